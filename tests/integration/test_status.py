"""GET /status, the agent's status document (hostwatch-status/1), from a real agent: every
collector and exporter with its runs and state; a log source's files (capped at 100 and saying
so), positions, bytes behind and filters; the FSFO role and the event line behind it; the
CloudWatch exporter's last error, next retry and last success against the fake AWS; the last
reload's failure naming the key; the health rules; refreshed about once a second; the same
basic-auth rule as /metrics."""
import base64
import json
import os
import shutil
import signal
import subprocess

import hwtest
from cwtest import FakeAWS, run_with_fake
from hwtest import Agent, http_get, wait_until


def status(a, headers=None):
    r = http_get(a.port, "/status", headers=headers)
    if not r or r[0] != 200:
        return None
    return json.loads(r[2].decode())


def by_name(items, name):
    return next((x for x in items if x["name"] == name), None)


def config(fake, d):
    return {"agent": {"interval": "500ms", "state_dir": "@DIR@/state"},
            "collectors": {
                "logs": [{"name": "app", "paths": [os.path.join(d, "app-*.log")],
                          "start_at": "beginning",
                          "filters": [{"name": "errors", "metric": "app_errors_total",
                                       "regex": "ERROR (?<code>[A-Z]+)", "labels": ["code"],
                                       "max_series": 5}]}],
                "fsfo": {"observer_logs": [os.path.join(d, "observer.log")],
                         "databases": ["orclviq", "orclstd"]}},
            "exporters": {"prometheus": {"listen": "127.0.0.1:@PORT@"},
                          "cloudwatch": {"endpoint": fake.cloudwatch_url, "region": fake.region,
                                         "flush_interval": "1s", "namespace": "HWTest",
                                         "metrics": ["app_errors_total"], "max_retries": 3,
                                         "timeout": "2s"}},
            "health": {"rules": [{"name": "orclstd is primary",
                                  "metric": "oracle_fsfo_is_primary",
                                  "labels": {"database": "orclstd"}, "equals": 1}]}}


def test_status_document(t):
    with FakeAWS() as fake:
        a = Agent({}, env=fake.environ("static"))
        d = a.dir
        for i in range(150):
            with open(os.path.join(d, "app-%03d.log" % i), "w") as f:
                f.write("ok\n" if i else "ERROR DISK one\nERROR NET two\nok <b>&\n")
        with open(os.path.join(d, "observer.log"), "w") as f:
            f.write('[W000 2026-12-04T22:00:00.000+00:00] Failover succeeded, new primary is '
                    '"orclstd"\n')
        a.write_config(config(fake, d))
        try:
            fake.set_fault("throttle", 1)
            a.start()
            ok = wait_until(lambda: (status(a) or {}).get("collectors") and
                            by_name(status(a)["collectors"], "app")["collections"] > 0, 10)
            s = status(a)
            t.ok(ok and s["format"] == "hostwatch-status/1" and s["version"], "a status document",
                 s)
            t.eq(sorted(c["name"] for c in s["collectors"]), ["app", "fsfo"], "its collectors")
            t.eq(sorted(e["name"] for e in s["exporters"]), ["cloudwatch", "prometheus"],
                 "its exporters")
            t.eq(s["config"]["file"], a.config_path, "the config file")
            app = by_name(s["collectors"], "app")
            det = app["detail"]
            t.eq((det["files_total"], det["files_shown"], det["files_truncated"]), (150, 100, True),
                 "150 files: 100 listed, and it says so")
            first = next((f for f in det["files"] if f["path"].endswith("app-000.log")), None)
            size = os.path.getsize(os.path.join(d, "app-000.log"))
            t.ok(first and first["position"] == size and first["size"] == size and
                 first["behind"] == 0 and first["inode"] == os.stat(
                     os.path.join(d, "app-000.log")).st_ino, "a file's inode, position, size and "
                 "bytes behind", first)
            flt = det["filters"][0]
            t.eq((flt["name"], flt["matches"], flt["series"], flt["max_series"]),
                 ("errors", 2, 2, 5), "the filter's matches and series of max_series")
            t.eq(det["lines"], 152, "the source's lines")
            fs = by_name(s["collectors"], "fsfo")["detail"]
            t.eq(fs["primary"], "orclstd", "FSFO: the primary")
            t.eq({x["name"]: x["role"] for x in fs["databases"]},
                 {"orclviq": "standby", "orclstd": "primary"}, "every database's role")
            ev = fs["last_event"]
            t.ok(ev and ev["kind"] == "failover" and ev["line"] == 1 and
                 "new primary is" in ev["text"], "the event and its line", ev)
            t.ok(s["health"]["healthy"] and s["health"]["rules"][0]["ok"], "the health rule holds",
                 s["health"])
            # CloudWatch: throttled once, then delivered
            t.ok(wait_until(lambda: (by_name(status(a)["exporters"], "cloudwatch")["detail"] or {})
                            .get("last_success_at"), 15), "CloudWatch: a last success",
                 fake.counts())
            cw = by_name(status(a)["exporters"], "cloudwatch")["detail"]
            t.ok(cw["last_error"] and cw["last_error"]["cause"] == "Throttling",
                 "the last error's cause", cw)
            t.eq(cw["endpoint"], fake.cloudwatch_url, "where it sends")
            t.ok(cw["requests"]["throttled"] >= 1 and cw["requests"]["success"] >= 1,
                 "its requests by result", cw["requests"])
            # refreshed about once a second
            g1 = status(a)["generated_at"]
            t.ok(wait_until(lambda: status(a)["generated_at"] != g1, 3), "refreshed within 3 s")
            # a reload with a broken config: the failure and the key it names
            cfg = config(fake, d)
            cfg["exporters"]["cloudwatch"]["storage_resolution"] = 7
            a.write_config(cfg)
            a.signal(signal.SIGHUP)
            t.ok(wait_until(lambda: (status(a)["config"]["last_reload"] or {}).get("result") ==
                            "failure", 5), "the last reload failed")
            lr = status(a)["config"]["last_reload"]
            t.ok("exporters.cloudwatch.storage_resolution" in (lr.get("error") or ""),
                 "... naming the key", lr)
            t.eq(status(a)["config"]["reloads"], {"success": 0, "failure": 1}, "reload counts")
        finally:
            a.stop()
            shutil.rmtree(a.dir, ignore_errors=True)


def test_status_needs_credentials(t):
    r = subprocess.run([hwtest.BIN, "hash-password", "--method", "sha512"], input="s3cret\n",
                       capture_output=True, text=True, timeout=30)
    h = r.stdout.strip()
    a = Agent({"agent": {"state_dir": "@DIR@/state"}, "collectors": {"memory": {}},
               "exporters": {"prometheus": {"listen": "127.0.0.1:@PORT@",
                                            "basic_auth": {"users": {"ops": h}}}}})
    try:
        a.start(wait_ready=False)
        wait_until(lambda: http_get(a.port, "/status") is not None, 10)
        r = http_get(a.port, "/status")
        t.eq(r[0] if r else None, 401, "no credentials: 401, as for /metrics")
        good = {"Authorization": "Basic " + base64.b64encode(b"ops:s3cret").decode()}
        t.ok(wait_until(lambda: status(a, good) is not None, 10), "with them: the document")
    finally:
        a.stop()
        shutil.rmtree(a.dir, ignore_errors=True)


if __name__ == "__main__":
    run_with_fake("status", [test_status_document, test_status_needs_credentials])
