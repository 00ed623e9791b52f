#!/usr/bin/python3
"""Steady-state CPU of the CloudWatch exporter in the real agent: 1000 counter series, a 10 s
collection interval, a 60 s flush, PutMetricData over HTTP to the botocore-verifying fake in
tests/integration (signatures checked, bodies gunzipped, every datum parsed).

The agent runs twice on the same config, with and without exporters.cloudwatch, for the same
window; the difference of its CPU time (every thread's, from /proc/PID/task/*/schedstat, in ns)
is the exporter's. The window holds two flushes of 1000 datums.

Usage: cw_steady.py HOSTWATCH [SECONDS]   (default 130)"""
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
from benchlib import cpu_ns, stop_agent  # noqa: E402
from fakeaws import FakeAWS  # noqa: E402
from hwtest import free_port, wait_until  # noqa: E402

SERIES = 1000


def config(d, fake, with_cloudwatch):
    log = os.path.join(d, "app.log")
    with open(log, "w") as f:
        for i in range(SERIES):
            f.write("req /api/v1/items/%04d\n" % i)
    exporters = {"prometheus": {"listen": "127.0.0.1:%d" % free_port()}}
    if with_cloudwatch:
        exporters["cloudwatch"] = {"endpoint": fake.cloudwatch_url, "region": fake.region,
                                   "flush_interval": "60s", "namespace": "Bench",
                                   "metrics": ["app_requests_total"],
                                   "dimensions": {"host": "bench-host"}}
    return {"agent": {"interval": "10s", "state_dir": os.path.join(d, "state")},
            "collectors": {"logs": [{"name": "app", "paths": [log], "start_at": "beginning",
                                     "filters": [{"metric": "app_requests_total",
                                                  "regex": "^req (?<path>\\S+)",
                                                  "labels": ["path"], "max_series": SERIES}]}]},
            "exporters": exporters}


def run(binary, fake, with_cloudwatch, seconds):
    """Agent CPU in ns over the window, and the datums the fake accepted meanwhile."""
    d = tempfile.mkdtemp(prefix="hw-cwsteady-")
    path = os.path.join(d, "hostwatch.json")
    with open(path, "w") as f:
        json.dump(config(d, fake, with_cloudwatch), f)
    env = dict(os.environ)
    env.update(fake.environ("static"))
    with open(os.path.join(d, "agent.log"), "wb") as out:
        proc = subprocess.Popen([binary, "run", "-c", path], stdout=out, stderr=subprocess.STDOUT,
                                env=env)
    try:
        time.sleep(5)  # libraries loaded, the log read, the first snapshots taken
        before, datums0, t0 = cpu_ns(proc.pid), len(fake.datums()), time.monotonic()
        wait_until(lambda: proc.poll() is not None, seconds, step=1.0)
        used, elapsed = cpu_ns(proc.pid) - before, time.monotonic() - t0
        return used, elapsed, len(fake.datums()) - datums0
    finally:
        stop_agent(proc, d)


def main():
    binary = sys.argv[1]
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 130.0
    with FakeAWS() as fake:
        with_cw = run(binary, fake, True, seconds)
        without = run(binary, fake, False, seconds)
    exporter = with_cw[0] - without[0]
    print("agent with cloudwatch:    %8.1f ms CPU in %.0f s, %d datums accepted"
          % (with_cw[0] / 1e6, with_cw[1], with_cw[2]))
    print("agent without cloudwatch: %8.1f ms CPU in %.0f s" % (without[0] / 1e6, without[1]))
    print("exporter: %.1f ms CPU = %.4f %% of a core (target <= 0.1 %%)"
          % (exporter / 1e6, exporter / 1e9 / with_cw[1] * 100))


main()
