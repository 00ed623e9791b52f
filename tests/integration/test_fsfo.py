"""FSFO end to end: every observer-log fixture replayed through `hostwatch once` and through the
running agent (appended event by event) gives the expected primary and counts; /healthz flips
with the role; a restart keeps the role before any new line arrives."""
import glob
import json
import tempfile
import os
import shutil
import signal
import time

import hwtest
from hwtest import TAP, Agent, http_get, wait_until

FIX = os.path.join(hwtest.SRCDIR, "tests", "fixtures", "fsfo")


def fixtures():
    for exp in sorted(glob.glob(os.path.join(FIX, "*.expected.json"))):
        with open(exp) as f:
            doc = json.load(f)
        yield os.path.join(FIX, doc["file"]), doc


def primary_of(m):
    """The database whose oracle_fsfo_is_primary is 1, or None; and how many say 1."""
    ones = [k for k, v in m.items() if k.startswith("oracle_fsfo_is_primary{") and v == 1.0]
    name = ones[0].split('database="', 1)[1].rstrip('"}') if ones else None
    return name, len(ones)


def same(a, b):
    return (a or "").lower() == (b or "").lower()


def config(log, state_dir, rules=None):
    cfg = {"agent": {"interval": "1s", "state_dir": state_dir, "checkpoint_interval": "200ms"},
           "collectors": {"fsfo": {"observer_logs": [log]}},
           "exporters": {"prometheus": {"listen": "127.0.0.1:@PORT@"}}}
    if rules:
        cfg["health"] = {"rules": rules}
    return cfg


def test_once(t):
    for log, doc in fixtures():
        d = tempfile.mkdtemp(prefix="hw-fsfo-")
        cfgp = os.path.join(d, "hw.json")
        cfg = config(log, d)
        cfg["exporters"] = {}
        with open(cfgp, "w") as f:
            json.dump(cfg, f)
        r = hwtest.run_bin(["once", "-c", cfgp])
        m = hwtest.parse_text_metrics(r.stdout)
        name, n = primary_of(m)
        base = doc["file"]
        t.eq(r.returncode, 0, base + ": once exits 0")
        if doc["final_primary"] is None:
            t.eq(n, 0, base + ": no primary known, so no is_primary series says 1")
        else:
            t.ok(same(name, doc["final_primary"]) and n == 1,
                 base + ": primary %s" % doc["final_primary"], r.stdout)
        t.eq(m.get("oracle_fsfo_failovers_total"), float(doc["failovers"]), base + ": failovers")
        t.eq(m.get("oracle_fsfo_switchovers_total"), float(doc["switchovers"]),
             base + ": switchovers")
        shutil.rmtree(d, ignore_errors=True)


def test_live_replay(t):
    """Appends each fixture event by event to a live agent and checks the role after each."""
    for src, doc in fixtures():
        with open(src, "rb") as f:
            data = f.read()
        lines = data.split(b"\n")  # the last element is the unterminated remainder
        a = Agent({})
        log = os.path.join(a.dir, "observer.log")
        open(log, "wb").close()
        a.write_config(config(log, "@DIR@/state"))
        base = doc["file"]
        try:
            a.start()
            written = 0
            good = True
            for ev in doc["timeline"]:
                with open(log, "ab") as f:
                    f.write(b"\n".join(lines[written:ev["line"]]) + b"\n")
                written = ev["line"]
                if ev["event"] in ("failover", "switchover", "primary_detected"):
                    want = ev["primary"]
                    ok = wait_until(lambda: same(primary_of(a.metrics())[0], want), 5, 0.01)
                    good &= t.ok(ok, "%s line %d: live agent says %s" % (base, ev["line"], want),
                                 a.metrics())
            with open(log, "ab") as f:
                f.write(b"\n".join(lines[written:]))
            m = {}
            wait_until(lambda: a.metrics().get("oracle_fsfo_failovers_total") ==
                       float(doc["failovers"]), 5)
            m = a.metrics()
            t.eq(m.get("oracle_fsfo_failovers_total"), float(doc["failovers"]),
                 base + ": live failovers")
            t.eq(m.get("oracle_fsfo_switchovers_total"), float(doc["switchovers"]),
                 base + ": live switchovers")
        finally:
            a.stop()
            shutil.rmtree(a.dir, ignore_errors=True)


def test_healthz_flip_and_restart(t):
    a = Agent({})
    log = os.path.join(a.dir, "observer.log")
    rules = [{"name": "db1 is primary", "metric": "oracle_fsfo_is_primary",
              "labels": {"database": "db1"}, "equals": 1}]
    with open(log, "w") as f:
        f.write("[W000 2024-03-11T09:00:00.000+00:00] Observer trace level is set to USER\n")
    a.write_config(config(log, "@DIR@/state", rules))
    try:
        a.start()
        r = http_get(a.port, "/healthz")
        t.ok(r[0] == 503 and b"unknown" in r[2], "/healthz is 503 while the primary is unknown", r)
        with open(log, "a") as f:
            f.write('[W000 2024-03-11T09:01:00.000+00:00] Failover succeeded, new primary is '
                    '"db1"\n')
        t.ok(wait_until(lambda: http_get(a.port, "/healthz")[0] == 200, 5, 0.005),
             "/healthz flips to 200 when db1 becomes primary")
        with open(log, "a") as f:
            f.write('[W000 2024-03-11T09:05:00.000+00:00] Switchover succeeded, new primary is '
                    '"db2"\n')
        t.ok(wait_until(lambda: http_get(a.port, "/healthz")[0] == 503, 5, 0.005),
             "/healthz flips to 503 after the switchover to db2")
        t.ok(b"(value is 0)" in http_get(a.port, "/healthz")[2], "and says the value")
        r = hwtest.run_bin(["health", "-c", a.config_path])
        t.ok(r.returncode == 1 and "db1 is primary" in r.stdout, "hostwatch health exits 1", r)
        a.proc.send_signal(signal.SIGKILL)
        a.proc.wait(10)
        a.log.close()
        with open(log, "a") as f:
            f.write("some unrelated chatter\n")
        a.start()
        m = a.metrics()
        t.eq(primary_of(m)[0], "db2", "after kill -9 the role is known before new role lines")
        t.eq(m.get("oracle_fsfo_switchovers_total"), 1.0, "and the counters are not doubled")
        t.eq(m.get("oracle_fsfo_failovers_total"), 1.0, "failovers kept")
    finally:
        a.stop()
        shutil.rmtree(a.dir, ignore_errors=True)


P = "[W000 2024-03-11T09:%02d:00.000+00:00] "


def test_rotation_restart_and_two_observers(t):
    """A failover whose "Initiating" and "succeeded" lines land in different files (rename
    rotation in between), a kill -9 between the two, and a second observer's log."""
    a = Agent({})
    log = os.path.join(a.dir, "observer.log")
    log2 = os.path.join(a.dir, "observer2.log")
    with open(log, "w") as f:
        f.write(P % 0 + "Observer trace level is set to USER\n")
        f.write(P % 1 + 'Failover succeeded, new primary is "db1"\n')
    open(log2, "w").close()
    cfg = config(log, "@DIR@/state")
    cfg["collectors"]["fsfo"]["observer_logs"] = [log, log2]
    cfg["collectors"]["fsfo"]["databases"] = ["db1", "db2"]
    a.write_config(cfg)
    try:
        a.start()
        t.eq(primary_of(a.metrics())[0], "db1", "db1 is primary at start")
        with open(log, "a") as f:
            f.write(P % 2 + "Initiating Fast-Start Failover to database \"db2\"...\n")
        time.sleep(0.5)  # checkpointed after "Initiating"
        a.proc.send_signal(signal.SIGKILL)
        a.proc.wait(10)
        a.log.close()
        os.rename(log, log + ".1")  # rotated while the agent is down
        with open(log + ".1", "a") as f:  # the observer still had the old file open
            f.write(P % 3 + "Performing failover NOW, please wait...\n")
        with open(log, "w") as f:
            f.write(P % 4 + 'Failover succeeded, new primary is "db2"\n')
        a.start()
        t.ok(wait_until(lambda: primary_of(a.metrics())[0] == "db2", 5),
             "failover across a kill -9 and a rotation: db2 is primary", a.metrics())
        m = a.metrics()
        t.eq(m.get("oracle_fsfo_failovers_total"), 2.0, "the failover is counted once")
        t.eq(m.get('oracle_fsfo_is_primary{database="db1"}'), 0.0, "db1 is 0, not absent")
        with open(log2, "a") as f:  # the other observer reports a switchover back
            f.write(P % 5 + 'Switchover succeeded, new primary is "DB1"\n')
        t.ok(wait_until(lambda: (primary_of(a.metrics())[0] or "").lower() == "db1", 5),
             "a second observer's log moves the role too (names compared case-insensitively)")
        t.eq(primary_of(a.metrics())[1], 1, "exactly one database is primary")
        with open(log2, "a") as f:
            f.write(P % 6 + "Primary database is now 'db2' according to a rumour\n")
            f.write("some shell trace: Failover succeeded, new primary is \"db2\"\n")
        time.sleep(1.5)
        t.eq((primary_of(a.metrics())[0] or "").lower(), "db1",
             "lines that merely mention a primary change nothing")
    finally:
        a.stop()
        shutil.rmtree(a.dir, ignore_errors=True)


def test_cloudwatch_fast_path(t):
    """flush_on_change: a role change reaches PutMetricData at once, not at the next 60 s flush."""
    try:
        from fakeaws import FakeAWS
    except ImportError:
        t.skip("fast path to CloudWatch", "python3-botocore not installed")
        return
    with FakeAWS() as fake:
        a = Agent({}, env=fake.environ("static"))
        log = os.path.join(a.dir, "observer.log")
        with open(log, "w") as f:
            f.write(P % 1 + 'Failover succeeded, new primary is "db1"\n')
        cfg = config(log, "@DIR@/state")
        cfg["collectors"]["fsfo"]["databases"] = ["db1", "db2"]
        cfg["exporters"]["cloudwatch"] = {"endpoint": fake.cloudwatch_url, "region": fake.region,
                                          "flush_interval": "60s", "namespace": "DataGuard",
                                          "metrics": ["oracle_fsfo_is_primary"],
                                          "gauge": "last",
                                          "flush_on_change": ["oracle_fsfo_is_primary"]}
        a.write_config(cfg)
        try:
            a.start()
            def db2_primary():
                return any(d.dimensions.get("database") == "db2" and d.value == 1.0
                           for d in fake.datums(name="oracle_fsfo_is_primary"))
            time.sleep(1)
            t0 = time.monotonic()
            with open(log, "a") as f:
                f.write(P % 2 + 'Failover succeeded, new primary is "db2"\n')
            ok = wait_until(db2_primary, 10, 0.005)
            took = time.monotonic() - t0
            t.ok(ok and took < 5, "role change sent to CloudWatch in %.0f ms (flush interval "
                 "60 s)" % (took * 1000), fake.counts())
        finally:
            a.stop()
            shutil.rmtree(a.dir, ignore_errors=True)


TAP().run([test_once, test_live_replay, test_healthz_flip_and_restart,
           test_rotation_restart_and_two_observers, test_cloudwatch_fast_path])
