"""Push exporters sample on the collection clock, not on every publish: memory collected every
second beside a log written at 1,000 lines/s, exported at once to a real Prometheus (remote
write), the botocore-verifying fake CloudWatch and an EMF file. Each memory series gets at most
one sample per collection, the log counter at most one per interval, CloudWatch's SampleCount
counts collections, every counter sums to the lines written, and an FSFO failover written in
the middle of the run reaches remote write and CloudWatch within a second."""
import json
import os
import shutil
import socket
import time

import hwtest
from hwtest import TAP, Agent, http_get, wait_until

try:
    from fakeaws import FakeAWS
except ImportError:  # botocore missing: reported as a skip
    FakeAWS = None

INTERVAL = 1.0  # agent.interval and the memory collector's
RUN = 12.0      # seconds of log traffic
RATE = 1000     # lines per second
CW_FLUSH = 4    # seconds
P = "[W000 2026-12-04T10:%02d:00.000+00:00] "


def config(fake, pport, log, observer, emf):
    metrics = ["mem_used_percent", "lines_total", "oracle_fsfo_is_primary"]
    return {"agent": {"interval": "1s", "state_dir": "@DIR@/state"},
            "collectors": {"memory": {},
                           "logs": [{"name": "app", "paths": [log], "start_at": "beginning",
                                     "filters": [{"metric": "lines_total", "regex": "^line ",
                                                  "unit": "Count"}]}],
                           "fsfo": {"observer_logs": [observer], "databases": ["db1", "db2"]}},
            "exporters": {"prometheus": {"listen": "127.0.0.1:@PORT@"},
                          "remote_write": {"url": "http://127.0.0.1:%d/api/v1/write" % pport,
                                           "flush_interval": "1s",
                                           "flush_on_change": ["oracle_fsfo_is_primary"],
                                           "metrics": ["node_memory_MemTotal_bytes",
                                                       "lines_total",
                                                       "oracle_fsfo_is_primary"]},
                          "cloudwatch": {"endpoint": fake.cloudwatch_url, "region": fake.region,
                                         "flush_interval": "%ds" % CW_FLUSH,
                                         "namespace": "HWSampling", "metrics": metrics,
                                         "flush_on_change": ["oracle_fsfo_is_primary"],
                                         "max_retries": 2, "timeout": "2s"},
                          "emf": {"output": emf, "flush_interval": "%ds" % CW_FLUSH,
                                  "namespace": "HWSampling", "metrics": metrics}}}


def raw_samples(pport, expr):
    """[(timestamp s, value)] of the one series expr selects, over the last 10 minutes."""
    res = hwtest.prom_query(pport, expr + "[10m]")
    if not res or len(res) != 1:
        return []
    return [(float(ts), float(v)) for ts, v in res[0]["values"]]


def write_traffic(log, seconds, rate):
    """Appends `rate` lines a second in 10 ms bursts for `seconds`; returns how many."""
    n, burst, t_end = 0, rate // 100, time.monotonic() + seconds
    with open(log, "a") as f:
        while time.monotonic() < t_end:
            f.write("".join("line %d\n" % (n + i) for i in range(burst)))
            f.flush()
            n += burst
            time.sleep(0.01)
    return n


def primary_db(samples_by_db):
    ones = [db for db, v in samples_by_db.items() if v == 1.0]
    return ones[0] if len(ones) == 1 else None


def cw_db2_primary(fake):
    """A datum saying db2 was 1 (a statistic set's Maximum, or the value)."""
    for d in fake.datums(name="oracle_fsfo_is_primary"):
        v = d.value if d.value is not None else (d.statistic_values or {}).get("Maximum")
        if d.dimensions.get("database") == "db2" and v == 1.0:
            return True
    return False


def rw_primary(pport):
    res = hwtest.prom_query(pport, "oracle_fsfo_is_primary") or []
    return primary_db({r["metric"].get("database"): float(r["value"][1]) for r in res})


def failover(t, a, fake, pport, observer):
    with open(observer, "a") as f:
        f.write(P % 2 + 'Initiating Fast-Start Failover to database "db2"...\n')
        f.write(P % 3 + 'Failover succeeded, new primary is "db2"\n')
    t0 = time.monotonic()
    rw = wait_until(lambda: rw_primary(pport) == "db2", 5, 0.02)
    rw_s = time.monotonic() - t0
    cw = wait_until(lambda: cw_db2_primary(fake), 5, 0.02)
    cw_s = time.monotonic() - t0
    t.ok(rw and rw_s <= 1.0, "failover reaches remote write within 1 s (%.3f s)" % rw_s,
         hwtest.prom_query(pport, "oracle_fsfo_is_primary"))
    t.ok(cw and cw_s <= 1.0, "failover reaches CloudWatch within 1 s (%.3f s)" % cw_s,
         a.read_log()[-1500:])


def check_remote_write(t, pport, collections, lines, seconds):
    mem = raw_samples(pport, "node_memory_MemTotal_bytes")
    t.ok(0 < len(mem) <= collections + 1,
         "remote write: MemTotal samples (%d) <= memory collections (%d) + 1"
         % (len(mem), collections), mem)
    gaps = [b[0] - a[0] for a, b in zip(mem, mem[1:])]
    t.ok(gaps and min(gaps) >= 0.95 * INTERVAL,
         "remote write: MemTotal samples at least an interval apart (min %.3f s)"
         % (min(gaps) if gaps else 0), gaps)
    cnt = raw_samples(pport, "lines_total")
    t.ok(0 < len(cnt) <= seconds / INTERVAL + 2,
         "remote write: lines_total samples (%d) <= %.0f s / interval + 2"
         % (len(cnt), seconds), cnt[:5])
    t.eq(cnt[-1][1] if cnt else None, float(lines), "remote write: last lines_total = lines")


def check_cloudwatch(t, fake, collections, lines):
    mem = sorted((d for d in fake.datums(name="mem_used_percent") if d.statistic_values),
                 key=lambda d: d.timestamp)
    counts = [int(d.statistic_values["SampleCount"]) for d in mem]
    # A datum's Timestamp ends its interval; a flush_on_change send ends one early, so the
    # intervals differ: each SampleCount must be the collections its own interval held.
    spans = [(b.timestamp - a.timestamp) / INTERVAL for a, b in zip(mem, mem[1:])]
    t.ok(len(spans) >= 2 and all(abs(n - s) <= 1 for n, s in zip(counts[1:], spans)),
         "CloudWatch: mem_used_percent SampleCount per datum = collections in its interval "
         "(%s for intervals of %s s)" % (counts, ["%.2f" % x for x in spans]))
    t.ok(collections - 1 <= sum(counts) <= collections + 2,
         "CloudWatch: SampleCounts add up to the collections (%d vs %d, + the stop's)"
         % (sum(counts), collections))
    total = sum(d.value for d in fake.datums(name="lines_total") if d.value is not None)
    t.eq(total, float(lines), "CloudWatch: lines_total Sum over the run = lines written")


def check_emf(t, path, lines, seconds):
    docs = []
    with open(path) as f:
        for line in f:
            docs.append(json.loads(line))
    total = sum(d.get("lines_total", 0) for d in docs)
    t.eq(total, lines, "EMF: lines_total over the run = lines written")
    mem_docs = [d for d in docs if "mem_used_percent" in d]
    t.ok(0 < len(mem_docs) <= seconds / CW_FLUSH + 2,
         "EMF: one mem_used_percent per flush interval (%d documents)" % len(mem_docs))


def run_all(t, prom, fake):
    a = Agent({}, env=fake.environ("static"))
    log, observer = os.path.join(a.dir, "app.log"), os.path.join(a.dir, "observer.log")
    emf = os.path.join(a.dir, "emf.jsonl")
    open(log, "w").close()
    with open(observer, "w") as f:
        f.write(P % 1 + 'Failover succeeded, new primary is "db1"\n')
    try:
        with hwtest.prometheus_server(prom, a.dir, "  []\n",
                                      ("--web.enable-remote-write-receiver",)) as p:
            pport = p.port
            a.write_config(config(fake, pport, log, observer, emf))
            t.ok(wait_until(lambda: (http_get(pport, "/-/ready") or (0,))[0] == 200, 60, 0.25),
                 "Prometheus is ready")
            a.start()
            t0 = time.monotonic()
            lines = write_traffic(log, RUN / 2, RATE)
            failover(t, a, fake, pport, observer)
            lines += write_traffic(log, RUN / 2, RATE)
            wait_until(lambda: a.metrics().get("lines_total") == float(lines), 10)
            time.sleep(1.5)  # the last samples go out
            collections = int(a.metrics().get('hostwatch_collections_total{collector="memory"}'))
            a.stop()
            seconds = time.monotonic() - t0
            t.ok(wait_until(lambda: (raw_samples(pport, "lines_total") or [(0, 0)])[-1][1]
                            == float(lines), 10, 0.25), "remote write: the run has arrived")
            # one or two more collections may come between that read and the stop
            check_remote_write(t, pport, collections + 1, lines, seconds)
            check_cloudwatch(t, fake, collections, lines)
            check_emf(t, emf, lines, seconds)
    finally:
        a.stop()
        shutil.rmtree(a.dir, ignore_errors=True)


def test_queue_bound(t):
    """A receiver that takes the connection and never answers holds the sender in its request;
    meanwhile the samples queue in memory up to max_queue_bytes, then the oldest are dropped,
    counted and logged once."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(64)
    port = srv.getsockname()[1]
    a = Agent({"agent": {"interval": "200ms", "state_dir": "@DIR@/state"},
               "collectors": {"memory": {}},
               "exporters": {"prometheus": {"listen": "127.0.0.1:@PORT@"},
                             "remote_write": {"url": "http://127.0.0.1:%d/w" % port,
                                              "flush_interval": "1s", "timeout": "4s",
                                              "max_retries": 0, "max_queue_bytes": "64KiB",
                                              "spool": {"max_size": "0"}}}})
    dropped = 'hostwatch_export_datapoints_total{exporter="remote_write",result="dropped"}'
    try:
        a.start()
        t.ok(wait_until(lambda: a.metrics().get(dropped, 0) > 0, 15),
             "a stuck sender: the queue stays within max_queue_bytes, the oldest dropped "
             "and counted", a.read_log()[-1500:])
        time.sleep(2)
        t.eq(a.read_log().count("sender behind"), 1, "logged once")
        t.ok(a.metrics() != {}, "the agent keeps serving")
    finally:
        a.stop()
        srv.close()
        shutil.rmtree(a.dir, ignore_errors=True)


def main():
    t = TAP()
    prom = shutil.which("prometheus")
    if prom is None or FakeAWS is None or \
            not os.path.exists("/usr/lib/python3/dist-packages/botocore"):
        t.skip("sampling across remote write, CloudWatch and EMF",
               "prometheus or python3-botocore not installed")
        t.run([])
    with FakeAWS() as fake:
        t.run([lambda tap: run_all(tap, prom, fake), test_queue_bound])


main()
