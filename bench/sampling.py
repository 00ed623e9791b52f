#!/usr/bin/python3
"""Samples sent per series per minute, and the push exporters' CPU, against the log rate.

The real agent (memory every second, one log filter) runs with remote write (to a receiver in
this script that decodes every body) and CloudWatch (the botocore-verifying fake in
tests/integration) while a log is written at 0, 1,000 and 100,000 lines/s; then again without
the push exporters. The CPU difference (every thread, /proc/PID/task/*/schedstat) is theirs.
Samples per series per minute and CloudWatch's mem_used_percent SampleCount should not depend on
the log rate.

Usage: sampling.py HOSTWATCH [SECONDS]   (default 30 per run; two runs with and two without
the push exporters at each rate, alternated)"""
import http.server
import json
import os
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
from benchlib import cpu_ns, stop_agent  # noqa: E402
from fakeaws import FakeAWS  # noqa: E402
from hwtest import free_port  # noqa: E402
from rwdecode import decode_body  # noqa: E402


class Receiver(http.server.BaseHTTPRequestHandler):
    samples = {}  # series name -> samples received
    lock = threading.Lock()

    def do_POST(self):  # noqa: N802 - the http.server interface
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with Receiver.lock:
            for labels, samples in decode_body(body):
                name = dict(labels).get("__name__")
                Receiver.samples[name] = Receiver.samples.get(name, 0) + len(samples)
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def config(d, fake, rport, exporters_on):
    log = os.path.join(d, "app.log")
    open(log, "w").close()
    ex = {"prometheus": {"listen": "127.0.0.1:%d" % free_port()}}
    if exporters_on:
        ex["remote_write"] = {"url": "http://127.0.0.1:%d/api/v1/write" % rport,
                              "flush_interval": "5s",
                              "metrics": ["node_memory_MemTotal_bytes", "app_lines_total"]}
        ex["cloudwatch"] = {"endpoint": fake.cloudwatch_url, "region": fake.region,
                            "flush_interval": "10s", "namespace": "Bench",
                            "metrics": ["mem_used_percent", "app_lines_total"]}
    return log, {"agent": {"interval": "1s", "state_dir": os.path.join(d, "state")},
                 "collectors": {"memory": {},
                                "logs": [{"name": "app", "paths": [log], "start_at": "end",
                                          "filters": [{"metric": "app_lines_total",
                                                       "regex": "^line "}]}]},
                 "exporters": ex}


def write_log(log, rate, seconds, stop):
    """rate lines/s in 10 ms bursts, for at most seconds."""
    if rate == 0:
        return
    burst = "".join("line %d GET /api/items status=200\n" % i for i in range(rate // 100))
    with open(log, "a") as f:
        t0 = time.monotonic()
        k = 0
        while not stop.is_set() and time.monotonic() - t0 < seconds:
            f.write(burst)
            f.flush()
            k += 1
            time.sleep(max(0.0, t0 + k * 0.01 - time.monotonic()))


def run(binary, fake, rport, rate, exporters_on, seconds):
    d = tempfile.mkdtemp(prefix="hw-sampling-")
    log, cfg = config(d, fake, rport, exporters_on)
    path = os.path.join(d, "hostwatch.json")
    with open(path, "w") as f:
        json.dump(cfg, f)
    env = dict(os.environ)
    env.update(fake.environ("static"))
    fake.reset()
    with Receiver.lock:
        Receiver.samples.clear()
    with open(os.path.join(d, "agent.log"), "wb") as out:
        proc = subprocess.Popen([binary, "run", "-c", path], stdout=out, stderr=subprocess.STDOUT,
                                env=env)
    stop = threading.Event()
    writer = threading.Thread(target=write_log, args=(log, rate, seconds + 10, stop))
    try:
        time.sleep(3)
        writer.start()
        time.sleep(2)
        c0, t0 = cpu_ns(proc.pid), time.monotonic()
        with Receiver.lock:
            s0 = dict(Receiver.samples)
        time.sleep(seconds)
        used, took = cpu_ns(proc.pid) - c0, time.monotonic() - t0
        with Receiver.lock:
            got = {k: v - s0.get(k, 0) for k, v in Receiver.samples.items()}
        counts = [int(x.statistic_values["SampleCount"]) for x in fake.datums(name="mem_used_percent")
                  if x.statistic_values]
        return used, took, got, counts
    finally:
        stop.set()
        if writer.is_alive():
            writer.join(15)
        stop_agent(proc, d)


PAIRS = 2


def main():
    binary = sys.argv[1]
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 30.0
    rport = free_port()
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", rport), Receiver)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    print("| log lines/s | remote write samples/series/min (MemTotal, log counter) | "
          "CloudWatch mem_used_percent SampleCount per 10 s datum | exporter CPU, % of a core, "
          "each pair |")
    print("|---|---|---|---|")
    with FakeAWS() as fake:
        for rate in (0, 1000, 100000):
            shares = []
            for _ in range(PAIRS):  # alternated, so a drift of the machine hits both sides
                on = run(binary, fake, rport, rate, True, seconds)
                off = run(binary, fake, rport, rate, False, seconds)
                shares.append((on[0] / on[1] - off[0] / off[1]) / 1e9 * 100)
            per_min = 60.0 / on[1]
            mem = on[2].get("node_memory_MemTotal_bytes", 0) * per_min
            lines = on[2].get("app_lines_total", 0) * per_min
            print("| %d | %.1f, %.1f | %s | %s |" % (rate, mem, lines, on[3],
                                                    ", ".join("%.3f" % x for x in shares)))
    srv.shutdown()


main()
