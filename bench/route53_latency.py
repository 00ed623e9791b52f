#!/usr/bin/python3
"""Role change appended to an FSFO observer log -> Route 53 UPSERT accepted, measured on a
running agent against the fake Route 53 of tests/integration (SigV4 verified with botocore, each
body decoded against botocore's model, as in the tests): COUNT alternating failovers, each timed
from just before the write until the fake accepted the change (its own clock, the same host).
Changes are spaced past min_interval (1 s) so each is sent at once.
Usage: route53_latency.py PATH-TO-hostwatch [COUNT]. Binds 127.0.0.1 on free ports; every wait
is bounded; the agent is stopped by its PID. Needs python3-botocore (run with /usr/bin/python3)."""
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "integration"))
from fakeaws import FakeAWS  # noqa: E402 - after the path is set
from benchlib import stop_agent  # noqa: E402

ZONE = "Z0123456789ABCDEFGHIJ"


def wait_for(pred, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.001)
    return False


def main():
    hw = sys.argv[1]
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 60
    d = tempfile.mkdtemp(prefix="hw-r53-bench-")
    log = os.path.join(d, "observer.log")
    open(log, "w").close()
    with FakeAWS() as fake:
        fake.route53_add_zone(ZONE, "corp.internal")
        fake.route53_set_record(ZONE, "db.corp.internal", "CNAME", 10, ["db1.corp.internal"])
        cfg = {"agent": {"state_dir": os.path.join(d, "state")},
               "collectors": {"fsfo": {"observer_logs": [log], "databases": ["db1", "db2"]}},
               "exporters": {"route53": {
                   "hosted_zone_id": ZONE, "endpoint": fake.route53_url, "min_interval": "1s",
                   "records": [{"name": "db.corp.internal", "ttl": 10,
                                "values": {"db1": "db1.corp.internal",
                                           "db2": "db2.corp.internal"}}]}}}
        with open(os.path.join(d, "hw.json"), "w") as f:
            json.dump(cfg, f)
        env = dict(os.environ, **fake.environ("static"))
        agent = subprocess.Popen([hw, "run", "-c", os.path.join(d, "hw.json")], env=env,
                                 stderr=subprocess.DEVNULL)
        lat = []
        try:
            if not wait_for(lambda: fake.count("r53_listed") >= 1, 10):
                sys.exit("the agent never read the record")
            last = 0.0
            for i in range(count):
                time.sleep(max(0.0, last + 1.05 - time.time()))
                n = len(fake.route53_changes())
                t0 = time.time()
                with open(log, "a") as f:
                    f.write('Failover succeeded, new primary is "db%d"\n' % (2 - i % 2))
                if not wait_for(lambda: len(fake.route53_changes()) > n, 5):
                    sys.exit("change %d never arrived" % i)
                last = fake.route53_changes()[-1]["time"]
                lat.append((last - t0) * 1000)
        finally:
            stop_agent(agent, d)
    lat.sort()
    p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))]  # noqa: E731
    med = statistics.median(lat)
    print("route53: %d changes: median %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms" %
          (len(lat), med, p(0.9), p(0.99), lat[-1]))
    ok = med <= 50 and p(0.99) <= 200
    print("targets median <= 50 ms, p99 <= 200 ms: %s" % ("PASS" if ok else "FAIL"))


if __name__ == "__main__":
    main()
