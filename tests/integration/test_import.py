"""`hostwatch import cloudwatch-agent|metric-filters` and `hostwatch check --cost`: the written
configs pass check, send the metric names and dimensions the source named, and the cost of a
fixed /proc + mountinfo fixture is exact."""
import json
import os
import shutil
import tempfile
import urllib.parse

from hwtest import SRCDIR, TAP, run_bin

FIX = os.path.join(SRCDIR, "tests", "fixtures")
SAMPLES = os.path.join(SRCDIR, "..", "shared", "import-samples")
MONTH_S = 2628000


def fixture_host(d):
    """A procfs (meminfo, diskstats, 1/mountinfo) and a rootfs whose mount points exist."""
    proc, root = os.path.join(d, "proc"), os.path.join(d, "root")
    os.makedirs(os.path.join(proc, "1"))
    shutil.copy(os.path.join(FIX, "proc", "linux-6.8", "meminfo"), proc)
    shutil.copy(os.path.join(FIX, "proc", "al2023-6.1", "diskstats"), proc)
    mi = os.path.join(FIX, "proc", "al2023-6.1", "mountinfo")
    shutil.copy(mi, os.path.join(proc, "1"))
    with open(mi) as f:
        for line in f:
            os.makedirs(root + line.split()[4], exist_ok=True)
    return proc, root


def bodies(stdout):
    """The form-encoded PutMetricData bodies as lists of {name, dims, fields}."""
    out = []
    for line in stdout.splitlines():
        q = urllib.parse.parse_qs(line)
        datums = {}
        for k, v in q.items():
            if k.startswith("MetricData.member."):
                parts = k.split(".")
                datums.setdefault(int(parts[2]), {})[".".join(parts[3:])] = v[0]
        ds = []
        for _, m in sorted(datums.items()):
            dims = {}
            i = 1
            while "Dimensions.member.%d.Name" % i in m:
                dims[m["Dimensions.member.%d.Name" % i]] = m["Dimensions.member.%d.Value" % i]
                i += 1
            ds.append({"name": m["MetricName"], "dims": dims, "m": m})
        out.append({"ns": q.get("Namespace", [""])[0], "datums": ds})
    return out


def main():
    d = tempfile.mkdtemp(prefix="hw-import-")
    proc, root = fixture_host(d)
    t = TAP()

    def imported(kind, src, *extra):
        out = os.path.join(d, os.path.basename(src) + ".hw.json")
        r = run_bin(["import", kind, src, "-o", out] + list(extra))
        return r, out

    def test_cwagent_once(t):
        r, out = imported("cloudwatch-agent", os.path.join(FIX, "import", "cwagent_memdisk.json"))
        t.eq(r.returncode, 0, "cwagent: exit 0", r.stderr)
        t.ok("%s: check OK" % out in r.stderr, "cwagent: the written config passed check",
             r.stderr)
        with open(out) as f:
            cfg = json.load(f)
        t.eq(cfg["exporters"]["cloudwatch"]["metrics"],
             ["mem_used_percent", "mem_available", "swap_used_percent", "disk_used_percent",
              "disk_inodes_free"],
             "cwagent: the exporter sends the measurements named")
        cfg["agent"].update({"procfs": proc, "rootfs": root})
        with open(out, "w") as f:
            json.dump(cfg, f)
        r = run_bin(["check", "-c", out])
        t.eq(r.returncode, 0, "cwagent: hostwatch check accepts it", r.stderr)
        r = run_bin(["once", "-c", out, "--format", "cloudwatch"])
        t.eq(r.returncode, 0, "cwagent: once --format cloudwatch", r.stderr)
        b = bodies(r.stdout)
        t.eq(len(b), 1, "cwagent: one request")
        t.eq(b[0]["ns"], "CWAgent", "cwagent: namespace")
        got = sorted((x["name"], tuple(sorted(x["dims"].items()))) for x in b[0]["datums"])
        disk = (("fstype", "xfs"), ("path", "/"))  # drop_device: true
        # off EC2 ${aws:InstanceId} is empty: memory has no dimension, so its [] roll-up is
        # the same metric and is sent once
        want = sorted([("disk_inodes_free", disk), ("disk_inodes_free", ()),
                       ("disk_used_percent", disk), ("disk_used_percent", ()),
                       ("mem_available", ()), ("mem_used_percent", ()),
                       ("swap_used_percent", ())])
        t.eq(got, want, "cwagent: names, the mount's dimensions without device, the [] roll-up",
             r.stdout)
        units = {x["name"]: x["m"].get("Unit") for x in b[0]["datums"]}
        t.eq(units, {"disk_inodes_free": "Count", "disk_used_percent": "Percent",
                     "mem_available": "Bytes", "mem_used_percent": "Percent",
                     "swap_used_percent": "Percent"},
             "cwagent: the agent's units")
        swap = [x["m"].get("StatisticValues.Maximum") for x in b[0]["datums"]
                if x["name"] == "swap_used_percent"]
        t.eq(swap, ["0"], "cwagent: swap_used_percent of the fixture (no swap in use)")

    def test_cwagent_errors(t):
        bad = os.path.join(d, "bad.json")
        with open(bad, "w") as f:
            f.write('{\n  "agent": {\n    "region": "x",\n  }\n}\n')
        r = run_bin(["import", "cloudwatch-agent", bad, "-o", os.path.join(d, "nope.json")])
        t.eq(r.returncode, 1, "errors: invalid JSON: exit 1")
        t.ok(r.stderr.startswith(bad + ":4:3: "), "errors: FILE:LINE:COL", r.stderr)
        t.ok(not os.path.exists(os.path.join(d, "nope.json")), "errors: nothing written")
        with open(bad, "w") as f:
            json.dump({"agent": {"metrics_collection_interval": "soon"}}, f)
        r = run_bin(["import", "cloudwatch-agent", bad])
        t.eq(r.returncode, 1, "errors: invalid value: exit 1")
        t.ok("%s: agent.metrics_collection_interval: expected" % bad in r.stderr,
             "errors: FILE: json.path: message", r.stderr)
        r = run_bin(["import", "splunk", bad])
        t.eq(r.returncode, 2, "errors: unknown kind: usage error")
        r = run_bin(["import", "metric-filters", bad])
        t.eq(r.returncode, 2, "errors: metric-filters needs --path")

    def test_cwagent_warnings(t):
        r, out = imported("cloudwatch-agent", os.path.join(FIX, "import", "cwagent_every_key.json"))
        t.eq(r.returncode, 0, "warnings: exit 0 with warnings", r.stderr)
        warns = [l for l in r.stderr.splitlines() if ": warning: " in l]
        t.eq(len(warns), 16, "warnings: one per item", r.stderr)
        src = os.path.join(FIX, "import", "cwagent_every_key.json")
        for path in ("metrics.metrics_collected.cpu", "metrics.metrics_collected.diskio",
                     "metrics.metrics_collected.frobnicator", "traces", "logs"):
            t.ok(any(w.startswith("%s: %s: warning: " % (src, path)) for w in warns),
                 "warnings: FILE: %s: warning: ..." % path, r.stderr)

    def test_shared_cwagent_samples(t):
        sd = os.path.join(SAMPLES, "cwagent")
        if not os.path.isdir(sd):
            t.skip("shared cwagent samples", "../shared/import-samples is missing")
            return
        for name in sorted(os.listdir(sd)):
            r, out = imported("cloudwatch-agent", os.path.join(sd, name))
            t.ok(r.returncode == 0 and "check OK" in r.stderr, "sample %s imports" % name,
                 r.stderr)

    def test_shared_filter_samples(t):
        sd = os.path.join(SAMPLES, "metric-filters")
        if not os.path.isdir(sd):
            t.skip("shared metric-filter samples", "../shared/import-samples is missing")
            return
        for name in sorted(os.listdir(sd)):
            r, out = imported("metric-filters", os.path.join(sd, name), "--path",
                              "*=" + os.path.join(d, "any.log"))
            t.ok(r.returncode == 0 and "check OK" in r.stderr, "sample %s imports" % name,
                 r.stderr)
            if name == "awsdocs_logs_guide_examples.json":
                t.ok('filter "BytesTransferred": dimension EventType = "$eventtype" is not a '
                     'field of its pattern' in r.stderr, "the docs' dimension bug is reported",
                     r.stderr)

    def test_fsfo_pair(t):
        log = os.path.join(d, "observer.log")
        shutil.copy(os.path.join(FIX, "fsfo", "s19c_failover_reinstate.log"), log)
        r, out = imported("metric-filters", os.path.join(FIX, "import", "fsfo_metric_filters.json"),
                          "--path", "/oracle/fsfo/observer=" + log)
        t.eq(r.returncode, 0, "fsfo: exit 0", r.stderr)
        r = run_bin(["test-filter", "-c", out, log])
        t.eq(r.returncode, 0, "fsfo: test-filter finds the failover", r.stdout)
        t.ok('%s:28: Failover succeeded, new primary is "mktdb02"' % log in r.stdout,
             "fsfo: the line CloudWatch's Test pattern shows", r.stdout)
        t.ok("Mktdb02IsPrimary 1" in r.stdout, "fsfo: the gauge is 1", r.stdout)
        with open(log, "a") as f:
            f.write('Failover succeeded, new primary is "mktdb01"\n')
        r = run_bin(["test-filter", "-c", out, log])
        t.ok("Mktdb02IsPrimary 0" in r.stdout, "fsfo: the other filter of the pair sets 0",
             r.stdout)
        r = run_bin(["once", "-c", out, "--format", "cloudwatch"])
        b = bodies(r.stdout)
        t.eq([(x["name"], x["m"].get("Value", x["m"].get("StatisticValues.Maximum")))
              for x in b[0]["datums"]] if b else None, [("Mktdb02IsPrimary", "0")],
             "fsfo: once sends the metric with the last value", r.stdout + r.stderr)
        t.eq(b[0]["ns"] if b else None, "Oracle/FSFO", "fsfo: the filters' namespace")

    def test_delimited_dimensions(t):
        log = os.path.join(d, "access.log")
        with open(log, "w") as f:
            f.write("10.0.0.1 - - ts GET 200 512\n10.0.0.1 - - ts GET 200 100\n"
                    "10.0.0.2 - - ts GET 404 7\nERROR healthcheck\nERROR db down\n")
        r, out = imported("metric-filters",
                          os.path.join(FIX, "import", "json_and_delimited_filters.json"),
                          "--path", "/web/access=" + log, "--path", "/app/checkout=" + log)
        t.eq(r.returncode, 0, "delimited: exit 0", r.stderr)
        t.ok('filter "broken": pattern not supported' in r.stderr,
             "delimited: the rejected pattern is named", r.stderr)
        r = run_bin(["test-filter", "-c", out, log])
        t.ok('BytesSent{StatusCode="200"} 612' in r.stdout and
             'BytesSent{StatusCode="404"} 7' in r.stdout, "delimited: $size per $status",
             r.stdout)
        t.ok("ErrorCount 1" in r.stdout, "delimited: the exclusion holds", r.stdout)
        # a counter's first flush only sets its baseline, so the series are read as JSON: their
        # labels are the CloudWatch dimensions
        r = run_bin(["once", "-c", out, "--format", "json"])
        fams = {f["name"]: f for f in json.loads(r.stdout)["families"]}
        got = sorted((sorted(x["labels"].items()), x["value"])
                     for x in fams.get("BytesSent", {}).get("series", []))
        t.eq(got, [([("StatusCode", "200")], 612.0), ([("StatusCode", "404")], 7.0)],
             "delimited: the dimension under its own name, the summed values", r.stdout)

    def cost_config(extra_exporters=None):
        log = os.path.join(d, "users.log")
        with open(log, "w") as f:
            for i in range(1200):
                f.write("login user=u%04d\n" % i)
        cfg = {"agent": {"procfs": proc, "rootfs": root, "state_dir": d},
               "collectors": {"memory": {"scope": "host"}, "disk": {"io_ignore_devices": ""},
                              "logs": [{"name": "users", "paths": [log], "start_at": "beginning",
                                        "filters": [{"metric": "logins_total",
                                                     "regex": "user=(?<user>\\w+)",
                                                     "labels": ["user"], "max_series": 1500}]}]},
               "exporters": {"cloudwatch": {
                   "metrics": ["mem_used_percent", "disk_used_percent", "diskio_*",
                               "logins_total"],
                   "dimensions": {"InstanceId": "${aws:InstanceId}",
                                  "AutoScalingGroupName": "${aws:AutoScalingGroupName}"},
                   "aggregation_dimensions": [["AutoScalingGroupName"], []],
                   "flush_interval": "30s"}}}
        cfg["exporters"].update(extra_exporters or {})
        path = os.path.join(d, "cost.json")
        with open(path, "w") as f:
            json.dump(cfg, f)
        return path

    def test_cost_counts(t):
        cfg = cost_config()
        r = run_bin(["check", "--cost", "-c", cfg, "--format", "json"])
        t.eq(r.returncode, 0, "cost: exit 0", r.stderr)
        j = json.loads(r.stdout)
        e = j["exporters"][0]
        # 9 mounts and 10 devices in the fixture, each metric also in 2 roll-ups; 1200 users
        want = {"mem_used_percent": 3, "disk_used_percent": 9 + 2, "logins_total": 1200 + 2}
        for m in ("io_time", "iops_in_progress", "read_bytes", "read_time", "reads",
                  "write_bytes", "write_time", "writes"):
            want["diskio_" + m] = 10 + 2
        t.eq(e["by_metric"], want, "cost: metrics per name", r.stdout)
        t.eq(e["metrics"], 3 + 11 + 8 * 12 + 1202, "cost: custom metrics now")
        t.eq(e["metrics_max"], 3 + 11 + 8 * 12 + 1500 * 3, "cost: with logins_total at max_series")
        t.eq(e["requests_per_flush"], 2, "cost: 1312 datums are 2 requests of at most 1000")
        t.eq(e["requests_month"], 2 * MONTH_S / 30, "cost: requests per month at 30 s")
        usd = j["total"]["usd_month"]
        t.ok(abs(usd["metrics"] - j["total"]["metrics"] * 0.30) < 1e-6,
             "cost: first tier at $0.30", r.stdout)
        t.ok(abs(usd["requests"] - 175200 / 1000 * 0.01) < 1e-6, "cost: $0.01 per 1,000 requests")
        t.eq(j["prices"]["read_on"], "2026-12-04", "cost: the table's date")

    def test_cost_prices_and_emf(t):
        emf_out = os.path.join(d, "emf.out")
        cfg = cost_config({"emf": {"namespace": "Sidecar", "output": emf_out,
                                   "metrics": ["mem_used_percent"], "flush_interval": "60s"}})
        prices = os.path.join(d, "prices.json")
        with open(prices, "w") as f:
            json.dump({"requests_per_1000": 1.0, "logs_ingestion_per_gb": 1000.0}, f)
        r = run_bin(["check", "--cost", "-c", cfg, "--prices", prices, "--format", "json"])
        t.eq(r.returncode, 0, "prices: exit 0", r.stderr)
        j = json.loads(r.stdout)
        emf = [e for e in j["exporters"] if e["exporter"] == "emf"]
        t.eq(len(emf), 1, "emf: priced", r.stdout)
        if emf:
            t.eq(emf[0]["metrics"], 1, "emf: one metric")
            per_flush = emf[0]["emf_bytes_month"] / (MONTH_S / 60)
            t.ok(100 < per_flush < 1000 and per_flush == int(per_flush),
                 "emf: bytes of one document per minute", per_flush)
            t.ok(abs(j["total"]["usd_month"]["logs_ingestion"] -
                     emf[0]["emf_bytes_month"] / 2**30 * 1000.0) < 1e-6, "emf: priced per GB")
        t.ok(abs(j["total"]["usd_month"]["requests"] - 175.2) < 1e-6,
             "prices: --prices overrides requests", r.stdout)
        r = run_bin(["check", "--cost", "-c", cfg])
        t.ok("custom metrics" in r.stdout and "PutMetricData requests" in r.stdout and
             "read 2026-12-04" in r.stdout, "table: printed with the price table's date",
             r.stdout)
        with open(cfg) as f:
            doc = json.load(f)
        doc["cost"] = {"prices": {"requests_per_1000": 0.5, "region": "eu-west-1"}}
        with open(cfg, "w") as f:
            json.dump(doc, f)
        r = run_bin(["check", "--cost", "-c", cfg, "--format", "json"])
        j = json.loads(r.stdout) if r.returncode == 0 else {}
        t.ok(j and abs(j["total"]["usd_month"]["requests"] - 87.6) < 1e-6 and
             j["prices"]["region"] == "eu-west-1", "prices: cost.prices in the config", r.stdout)
        r = run_bin(["check", "--cost", "-c", cfg, "--prices", prices, "--format", "json"])
        j = json.loads(r.stdout) if r.returncode == 0 else {}
        t.ok(j and abs(j["total"]["usd_month"]["requests"] - 175.2) < 1e-6,
             "prices: --prices wins over the config", r.stdout)
        doc["cost"] = {"prices": {"metrics_tiers": [{"up_to": 10}]}}
        with open(cfg, "w") as f:
            json.dump(doc, f)
        r = run_bin(["check", "-c", cfg])
        t.eq(r.returncode, 1, "prices: check rejects a bad cost.prices")
        t.ok(r.stderr.startswith(cfg + ": cost.prices: metrics_tiers"), "prices: FILE: json.path",
             r.stderr)
        del doc["cost"]
        with open(cfg, "w") as f:
            json.dump(doc, f)
        with open(prices, "w") as f:
            json.dump({"requests_per_1000": "free"}, f)
        r = run_bin(["check", "--cost", "-c", cfg, "--prices", prices])
        t.eq(r.returncode, 1, "prices: a bad table: exit 1")
        t.ok(r.stderr.startswith(prices + ": requests_per_1000: "), "prices: FILE: key", r.stderr)

    try:
        TAP.run(t, [test_cwagent_once, test_cwagent_errors, test_cwagent_warnings,
                    test_shared_cwagent_samples, test_shared_filter_samples, test_fsfo_pair, test_delimited_dimensions,
                    test_cost_counts, test_cost_prices_and_emf])
    finally:
        shutil.rmtree(d, ignore_errors=True)


main()
