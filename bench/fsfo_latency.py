#!/usr/bin/python3
"""Role change appended to an FSFO observer log -> /healthz (and /metrics) flipped, measured
on a running agent: 200 alternating failovers, each timed from the write until /healthz answers
with the new state. Usage: fsfo_latency.py PATH-TO-hostwatch [COUNT]. Standard library only;
binds 127.0.0.1 on a free port; every wait is bounded; the agent is stopped by its PID."""
import http.client
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def healthz(conn):
    conn.request("GET", "/healthz")
    r = conn.getresponse()
    r.read()
    return r.status


def main():
    hw = sys.argv[1]
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    d = tempfile.mkdtemp(prefix="hw-fsfo-bench-")
    log = os.path.join(d, "observer.log")
    port = free_port()
    with open(log, "w") as f:
        f.write('[W000 2024-03-11T09:00:00.000+00:00] Failover succeeded, new primary is "db2"\n')
    cfg = {"agent": {"state_dir": os.path.join(d, "state")},
           "collectors": {"fsfo": {"observer_logs": [log], "databases": ["db1", "db2"]}},
           "exporters": {"prometheus": {"listen": "127.0.0.1:%d" % port}},
           "health": {"rules": [{"metric": "oracle_fsfo_is_primary",
                                 "labels": {"database": "db1"}, "equals": 1}]}}
    with open(os.path.join(d, "hw.json"), "w") as f:
        json.dump(cfg, f)
    agent = subprocess.Popen([hw, "run", "-c", os.path.join(d, "hw.json")],
                             stderr=subprocess.DEVNULL)
    lat = []
    try:
        conn = None
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                if healthz(conn) == 503:
                    break
            except OSError:
                time.sleep(0.01)
        for i in range(count):
            target = "db1" if i % 2 == 0 else "db2"
            want = 200 if target == "db1" else 503
            t0 = time.monotonic()
            with open(log, "a") as f:
                f.write('[W000 2024-03-11T10:%02d:%02d.000+00:00] Failover succeeded, new primary '
                        'is "%s"\n' % (i // 60 % 60, i % 60, target))
            while healthz(conn) != want:
                if time.monotonic() - t0 > 2:
                    raise SystemExit("no flip within 2 s at change %d" % i)
            lat.append((time.monotonic() - t0) * 1000)
            time.sleep(0.02)
    finally:
        agent.send_signal(signal.SIGTERM)
        agent.wait(10)
        shutil.rmtree(d, ignore_errors=True)
    lat.sort()
    p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))]
    print("fsfo role change -> /healthz flipped, %d changes: median %.2f ms, p90 %.2f ms, "
          "p99 %.2f ms, max %.2f ms" % (len(lat), statistics.median(lat),
                                         lat[int(len(lat) * 0.9)], p99, lat[-1]))
    print("  %s median <= 20 ms" % ("PASS" if statistics.median(lat) <= 20 else "MISS"))
    print("  %s p99 <= 100 ms" % ("PASS" if p99 <= 100 else "MISS"))


main()
