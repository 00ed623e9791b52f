"""The command line: version, help, usage errors, `check` on good and broken configs, `once`."""
import glob
import json
import os

import hwtest
from hwtest import TAP, run_bin

FIX = os.path.join(hwtest.SRCDIR, "tests", "fixtures", "config", "bad")
EXAMPLES = os.path.join(hwtest.SRCDIR, "packaging", "examples")


def test_version_and_help(t):
    r = run_bin(["--version"])
    t.ok(r.returncode == 0 and r.stdout.startswith("hostwatch "), "--version", r)
    r = run_bin(["--help"])
    t.ok(r.returncode == 0 and "hostwatch check -c FILE" in r.stdout, "--help", r)
    r = run_bin(["frobnicate"])
    t.ok(r.returncode == 2 and "unknown command 'frobnicate'" in r.stderr, "unknown command", r)
    r = run_bin(["check", "-c"])
    t.ok(r.returncode == 2 and "-c needs a FILE" in r.stderr, "-c without a file", r)
    r = run_bin(["once", "--format", "xml"])
    t.ok(r.returncode == 2, "once with an unknown format", r)


def test_check_examples(t):
    files = sorted(glob.glob(os.path.join(EXAMPLES, "*.json")))
    t.ok(len(files) >= 3, "example configs exist", files)
    for f in files:
        r = run_bin(["check", "-c", f])
        t.ok(r.returncode == 0 and "OK" in r.stdout, "check passes on " + os.path.basename(f),
             r.stderr)


def test_check_broken(t):
    expectations = {}
    with open(os.path.join(FIX, "expectations.txt")) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            name, msg = line.rstrip("\n").split("\t", 1)
            expectations.setdefault(name, []).append(msg)
    files = sorted(glob.glob(os.path.join(FIX, "*.json")))
    t.eq(sorted(os.path.basename(f) for f in files), sorted(expectations),
         "every broken config has expectations")
    for f in files:
        r = run_bin(["check", "-c", f])
        name = os.path.basename(f)
        t.eq(r.returncode, 1, "check fails on " + name)
        for msg in expectations.get(name, []):
            want = msg.replace("FILE", f)
            t.ok(want in r.stderr, "%s reports %r" % (name, msg), r.stderr)
    r = run_bin(["check", "-c", os.path.join(FIX, "many_errors.json")])
    t.eq(len(r.stderr.strip().splitlines()), 4, "all errors of a config are reported at once")
    r = run_bin(["check", "-c", "/nonexistent/hw.json"])
    t.ok(r.returncode == 1 and "/nonexistent/hw.json: cannot open" in r.stderr,
         "missing config file", r.stderr)


def test_config_from_env(t):
    r = run_bin(["check"], env={"HOSTWATCH_CONFIG": os.path.join(EXAMPLES, "minimal.json")})
    t.ok(r.returncode == 0 and "minimal.json: OK" in r.stdout, "HOSTWATCH_CONFIG is honoured", r)


def test_once(t):
    cfg = os.path.join(EXAMPLES, "hostwatch.json")
    r = run_bin(["once", "-c", cfg])
    t.eq(r.returncode, 0, "once exits 0")
    m = hwtest.parse_text_metrics(r.stdout)
    t.eq(m.get("node_memory_MemTotal_bytes"), hwtest.meminfo_kb("MemTotal") * 1024.0,
         "once: node_memory_MemTotal_bytes = MemTotal x 1024")
    t.ok("# TYPE node_memory_MemTotal_bytes gauge" in r.stdout, "once: TYPE lines")
    t.ok(any(k.startswith("node_filesystem_size_bytes{") for k in m), "once: filesystem sizes")
    t.ok(not any(k.startswith("mem_used_percent") for k in m),
         "once --format prometheus shows node_exporter names only")
    r = run_bin(["once", "-c", cfg, "--format", "json"])
    doc = json.loads(r.stdout)
    names = {f["name"]: f for f in doc["families"]}
    t.ok("mem_used_percent" in names and "node_memory_MemTotal_bytes" in names,
         "once --format json has both naming views")
    pct = names["mem_used_percent"]["series"][0]["value"]
    t.ok(0 < pct < 100, "mem_used_percent is a percentage", pct)
    r = run_bin(["once", "-c", cfg, "--format", "cloudwatch"])
    t.ok(r.returncode == 1 and "no exporters.cloudwatch" in r.stderr,
         "once --format cloudwatch without a CloudWatch exporter says so", r)
    r = run_bin(["once", "-c", cfg, "--format", "openmetrics"])
    t.ok(r.returncode == 0 and r.stdout.endswith("# EOF\n") and
         "# TYPE node_memory_MemTotal_bytes gauge" in r.stdout, "once --format openmetrics", r)
    r = run_bin(["health"])
    t.eq(r.returncode, 2, "health is not built yet (exit 2)")


def test_man_page_lists_every_key(t):
    r = run_bin(["--help-config"])
    t.eq(r.returncode, 0, "--help-config exits 0")
    with open(os.path.join(hwtest.SRCDIR, "docs", "hostwatch.1")) as f:
        man = f.read().replace("\\-", "-")
    keys = set()
    for line in r.stdout.splitlines():
        if line.startswith("  "):
            key = line.split()[0].rsplit(".", 1)[-1].rstrip("[]")
            keys.add(key)
    t.ok(len(keys) > 15, "option tables describe keys", r.stdout)
    missing = sorted(k for k in keys if k not in man)
    t.eq(missing, [], "the man page documents every configuration key")


def test_instance_that_cannot_start(t):
    """A collector that cannot be created (ECS outside a task, not optional) ends every
    command cleanly with exit 1 and says why: no crash while the half-built agent is freed."""
    import tempfile
    with tempfile.TemporaryDirectory() as d:
        cfg = os.path.join(d, "hw.json")
        with open(cfg, "w") as f:
            json.dump({"agent": {"state_dir": d}, "collectors": {"ecs": {}},
                       "exporters": {"prometheus": {"listen": "127.0.0.1:0"},
                                     "emf": {"output": os.path.join(d, "emf.log")}}}, f)
        env = {"ECS_CONTAINER_METADATA_URI_V4": ""}
        for args in (["once", "-c", cfg], ["check", "--cost", "-c", cfg],
                     ["check", "--cost", "--format", "json", "-c", cfg], ["run", "-c", cfg]):
            r = run_bin(args, env=env, timeout=20)
            t.ok(r.returncode == 1 and "cannot create plugin instance" in r.stderr and
                 "collectors.ecs" in r.stderr, " ".join(args[:-2]) + ": exit 1 naming the "
                 "instance (got %d)" % r.returncode, r.stderr[-600:])


TAP().run([test_man_page_lists_every_key, test_instance_that_cannot_start, test_version_and_help, test_check_examples, test_check_broken, test_config_from_env,
           test_once])
