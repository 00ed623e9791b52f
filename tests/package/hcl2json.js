// Prints the JSON form of one HCL file (Terraform), or the parser's error and exit 1.
// Run with NODE_PATH pointing at a node_modules that has @cdktf/hcl2json.
const { parse } = require("@cdktf/hcl2json");
const fs = require("fs");

(async () => {
  const file = process.argv[2];
  try {
    const json = await parse(file, fs.readFileSync(file, "utf8"));
    process.stdout.write(JSON.stringify(json) + "\n");
  } catch (e) {
    process.stderr.write(String(e) + "\n");
    process.exit(1);
  }
})();
