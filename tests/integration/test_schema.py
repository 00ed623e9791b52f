"""`hostwatch --help-config --format json-schema`: a valid draft 2020-12 schema that accepts every
config `hostwatch check` accepts among the examples, the packaged defaults, the fixtures and
imported configs, and rejects broken configs at the same JSON path `check` names."""
import copy
import glob
import json
import os
import tempfile

import hwtest
from hwtest import TAP, run_bin

try:
    import jsonschema
except ImportError:  # reported as a failure below: dev.sh installs python3-jsonschema
    jsonschema = None

SRC = hwtest.SRCDIR
TMP = tempfile.mkdtemp(prefix="hw-schema-")


def load_schema():
    r = run_bin(["--help-config", "--format", "json-schema"])
    return r, json.loads(r.stdout) if r.returncode == 0 else None


def json_path(parts):
    """Path parts as check prints them: a.b[0].c"""
    out = ""
    for p in parts:
        if isinstance(p, int):
            out += "[%d]" % p
        else:
            out += ("." if out else "") + p
    return out


def schema_paths(validator, doc):
    """The paths the schema's errors point at. additionalProperties: false reports the object
    holding the unknown key; check names the key, so each unknown key is appended."""
    out = set()
    for e in validator.iter_errors(doc):
        parts = list(e.absolute_path)
        if e.validator == "additionalProperties" and isinstance(e.instance, dict):
            known = e.schema.get("properties", {})
            out.update(json_path(parts + [k]) for k in e.instance if k not in known)
        else:
            out.add(json_path(parts))
    return out


def write(name, doc):
    path = os.path.join(TMP, name)
    with open(path, "w") as f:
        json.dump(doc, f, indent=2)
    return path


def check_paths(path):
    """Exit code of `hostwatch check -c path` and the JSON paths of its "FILE: path: msg" lines."""
    r = run_bin(["check", "-c", path])
    prefix = path + ": "
    paths = set()
    for line in r.stderr.splitlines():
        if line.startswith(prefix):
            paths.add(line[len(prefix):].split(": ", 1)[0])
    return r.returncode, paths, r.stderr


def imported_configs():
    """Configs written by `hostwatch import cloudwatch-agent` from the import fixtures."""
    out = []
    for src in sorted(glob.glob(os.path.join(SRC, "tests", "fixtures", "import", "cwagent_*.json"))):
        dst = os.path.join(TMP, "imported-" + os.path.basename(src))
        r = run_bin(["import", "cloudwatch-agent", src, "-o", dst])
        if r.returncode == 0:
            out.append(dst)
    return out


def candidate_configs():
    files = []
    for pattern in ("packaging/examples/*.json", "packaging/docker/*.json",
                    "packaging/systemd/*.json", "tests/fixtures/**/*.json"):
        files += sorted(glob.glob(os.path.join(SRC, pattern), recursive=True))
    return files + imported_configs()


def base_config():
    """A valid config with a logs source and filter, CloudWatch and health rules."""
    log = os.path.join(TMP, "app.log")
    open(log, "w").close()
    return {
        "agent": {"interval": "10s", "state_dir": TMP},
        "collectors": {
            "memory": {},
            "logs": [{"name": "app", "paths": [log],
                      "filters": [{"metric": "app_errors_total", "regex": "ERROR"}]}],
        },
        "exporters": {
            "cloudwatch": {"namespace": "Test", "region": "eu-west-1", "gauge": "last",
                           "storage_resolution": 60, "dry_run": True,
                           "aggregation_dimensions": [["InstanceId"]]},
        },
        "health": {"rules": [{"metric": "up", "equals": 1}]},
    }


def broken(edit):
    doc = base_config()
    edit(doc)
    return doc


def set_in(doc, path, value):
    *head, last = path
    for p in head:
        doc = doc[p]
    doc[last] = value


# name -> (path in the config, bad value)
BROKEN = {
    "unknown key inside an exporter": (["exporters", "cloudwatch", "namespce"], "X"),
    "unknown key in a log filter": (["collectors", "logs", 0, "filters", 0, "colour"], "red"),
    "unknown top key": (["colectors"], {}),
    "unknown collector": (["collectors", "memroy"], {}),
    "out-of-range int": (["exporters", "cloudwatch", "storage_resolution"], 61),
    "out-of-range int in an array": (["collectors", "logs", 0, "filters", 0, "max_series"], 0),
    "bad enum": (["exporters", "cloudwatch", "gauge"], "lastt"),
    "bad enum in a filter": (["collectors", "logs", 0, "filters", 0, "type"], "summary"),
    "wrong type: number for a duration": (["agent", "interval"], 10),
    "wrong type: string for a list": (["collectors", "logs", 0, "paths"], "/var/log/x.log"),
    "wrong type: string for a bool": (["collectors", "memory", "enabled"], "yes"),
    "wrong type: object for a multi collector": (["collectors", "logs"], {"paths": []}),
    # beside equals: a rule with none left would add check's cross-field error at the rule
    "wrong type: string for a health number": (["health", "rules", 0, "above"], "1"),
    "bad duration text": (["exporters", "cloudwatch", "timeout"], "10 seconds"),
    "bad size text": (["collectors", "logs", 0, "max_line_size"], "64 KiB"),
    "bad aggregation_dimensions": (["exporters", "cloudwatch", "aggregation_dimensions"], ["x"]),
    "wrong type in a string map": (["exporters", "cloudwatch", "dimensions"], {"Env": 1}),
}


def main():
    t = TAP()
    if not t.ok(jsonschema is not None and hasattr(jsonschema, "Draft202012Validator"),
                "python3-jsonschema with Draft202012Validator is installed"):
        t.run([])
    r, schema = load_schema()
    V = jsonschema.Draft202012Validator

    def test_cli(t):
        t.eq(r.returncode, 0, "--help-config --format json-schema exits 0", r.stderr)
        text = run_bin(["--help-config"])
        t.ok(text.returncode == 0 and text.stdout.startswith("agent:\n"), "--help-config text")
        t.eq(run_bin(["--help-config", "--format", "text"]).stdout, text.stdout,
             "--format text is the plain --help-config")
        t.eq(run_bin(["--help-config", "--format=json-schema"]).stdout, r.stdout,
             "--format=json-schema")
        bad = run_bin(["--help-config", "--format", "yaml"])
        t.ok(bad.returncode == 2 and "text or json-schema" in bad.stderr,
             "an unknown format is a usage error naming the formats", bad.stderr)

    def test_check_schema(t):
        try:
            V.check_schema(schema)
            t.ok(True, "Draft202012Validator.check_schema")
        except jsonschema.exceptions.SchemaError as e:
            t.ok(False, "Draft202012Validator.check_schema", e)
        t.eq(schema.get("$schema"), "https://json-schema.org/draft/2020-12/schema", "$schema")
        t.ok(schema.get("$id") and schema.get("title"), "$id and title")

    def test_defaults_valid(t):
        """Every default validates against its own key's schema."""
        bad = []

        def walk(s, where):
            if not isinstance(s, dict):
                return
            if "default" in s and not V(s).is_valid(s["default"]):
                bad.append(where)
            for k, sub in s.get("properties", {}).items():
                walk(sub, where + "." + k)
            walk(s.get("items"), where + "[]")
        walk(schema, "")
        t.eq(bad, [], "every default is valid for its key")

    def test_accepted_configs(t):
        v = V(schema)
        n = 0
        for f in candidate_configs():
            rc, _, _ = check_paths(f)
            if rc != 0:
                continue  # not a config, or a broken one: check names its errors
            n += 1
            with open(f) as fh:
                doc = json.load(fh)
            errs = [json_path(e.absolute_path) + ": " + e.message for e in v.iter_errors(doc)]
            t.eq(errs, [], "schema accepts " + os.path.relpath(f, SRC if f.startswith(SRC) else TMP))
        t.ok(n >= 9, "the examples, the docker and packaged defaults and imports were checked", n)

    def test_broken_configs(t):
        v = V(schema)
        base = write("base.json", base_config())
        rc, paths, err = check_paths(base)
        t.ok(rc == 0 and not paths, "the base config passes check", err)
        t.eq(sorted(schema_paths(v, base_config())), [], "the schema accepts the base config")
        for i, (name, (path, value)) in enumerate(sorted(BROKEN.items())):
            doc = broken(lambda d: set_in(d, path, value))
            f = write("broken-%d.json" % i, copy.deepcopy(doc))
            rc, want, err = check_paths(f)
            t.ok(rc == 1 and want, name + ": check rejects it", err)
            got = schema_paths(v, doc)
            t.ok(got, name + ": the schema rejects it")
            t.eq(sorted(got), sorted(want), name + ": the schema's path is check's", err)

    t.run([test_cli, test_check_schema, test_defaults_valid, test_accepted_configs,
           test_broken_configs])


if __name__ == "__main__":
    main()
