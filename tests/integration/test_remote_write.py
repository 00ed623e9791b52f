"""A real Prometheus server with its remote write receiver on: the agent pushes memory figures,
a log-filter counter and a histogram to it, and Prometheus' query API must give back exactly
what the host and the log say (MemTotal x 1024, the number of lines written)."""
import os
import shutil

import hwtest
from hwtest import TAP, Agent, http_get, process, wait_until

LINES = 25


def config(pport, log):
    return {"agent": {"interval": "500ms", "state_dir": "@DIR@/state"},
            "collectors": {"memory": {},
                           "logs": [{"name": "app", "paths": [log], "start_at": "beginning",
                                     "filters": [
                                         {"metric": "app_lines_total", "regex": "^line "},
                                         {"metric": "app_latency_ms", "type": "histogram",
                                          "regex": "ms=(?<value>\\d+)",
                                          "buckets": [10, 100]}]}]},
            "exporters": {"prometheus": {"listen": "127.0.0.1:@PORT@"},
                          "remote_write": {"url": "http://127.0.0.1:%d/api/v1/write" % pport,
                                           "flush_interval": "500ms",
                                           "metrics": ["node_memory_*", "app_*",
                                                       "hostwatch_build_info"]}}}


query = hwtest.prom_query


def value(port, expr):
    res = query(port, expr)
    return float(res[0]["value"][1]) if res and len(res) == 1 else None


def start_prometheus(prom, d, pport):
    cfg = os.path.join(d, "prometheus.yml")
    with open(cfg, "w") as f:
        f.write("global: {scrape_interval: 1m, evaluation_interval: 1m}\n")
    argv = [prom, "--config.file=" + cfg, "--storage.tsdb.path=" + os.path.join(d, "tsdb"),
            "--web.listen-address=127.0.0.1:%d" % pport, "--web.enable-remote-write-receiver",
            "--log.level=warn"]
    return process(argv, os.path.join(d, "prometheus.log"))


def write_lines(path, n):
    with open(path, "a") as f:
        for i in range(n):
            f.write("line %d ms=%d\n" % (i, 5 if i % 5 else 50))


def check_values(t, agent, pport, prom_log):
    ok = wait_until(lambda: value(pport, "app_lines_total") == float(LINES), 30, 0.25)
    t.ok(ok, "the log counter arrives: app_lines_total == lines written (%d)" % LINES,
         (query(pport, "app_lines_total"), agent.read_log()[-1500:], prom_log()[-1500:]))
    t.eq(value(pport, "node_memory_MemTotal_bytes"), hwtest.meminfo_kb("MemTotal") * 1024.0,
         "node_memory_MemTotal_bytes = MemTotal x 1024")
    t.eq(value(pport, "app_latency_ms_count"), float(LINES), "histogram _count")
    t.eq(value(pport, 'app_latency_ms_bucket{le="10"}'), float(LINES - LINES // 5),
         "histogram bucket le=10 (cumulative)")
    t.eq(value(pport, 'app_latency_ms_bucket{le="+Inf"}'), float(LINES), "histogram +Inf")
    t.eq(value(pport, "app_latency_ms_sum"), 5.0 * (LINES - LINES // 5) + 50.0 * (LINES // 5),
         "histogram _sum")
    res = query(pport, "hostwatch_build_info")
    t.ok(res and res[0]["metric"].get("__name__") == "hostwatch_build_info",
         "labelled gauge stored", res)
    t.eq(query(pport, "node_filesystem_size_bytes"), [],
         "metrics outside the configured globs are not sent")
    exposed = agent.metrics()
    t.eq(exposed.get("app_lines_total"), value(pport, "app_lines_total"),
         "Prometheus holds what the agent exposes on /metrics")
    n = wait_until(lambda: (value(pport, "count_over_time(app_lines_total[1m])") or 0) >= 4,
                   10, 0.25)
    t.ok(n, "a sample per collection is stored (4 or more after 2 s)",
         query(pport, "count_over_time(app_lines_total[1m])"))


def check_self_metrics(t, agent):
    m = wait_until(lambda: (lambda x: x if x.get(
        'hostwatch_export_requests_total{exporter="remote_write",result="success"}', 0) > 0
        else None)(agent.metrics()), 5)
    m = m or agent.metrics()
    t.ok(m.get('hostwatch_export_requests_total{exporter="remote_write",result="success"}', 0)
         > 0, "requests counted as success", m)
    t.ok(m.get('hostwatch_export_datapoints_total{exporter="remote_write",result="sent"}', 0)
         > LINES, "datapoints counted as sent")
    t.eq(m.get('hostwatch_export_datapoints_total{exporter="remote_write",result="dropped"}'),
         0.0, "nothing dropped")
    t.eq(m.get('hostwatch_export_requests_total{exporter="remote_write",result="rejected"}'),
         0.0, "nothing rejected (no out-of-order or duplicate samples)")


def test_real_prometheus(t, prom):
    pport = hwtest.free_port()
    agent = Agent({})
    log = os.path.join(agent.dir, "app.log")
    open(log, "w").close()
    agent.write_config(config(pport, log))
    prom_log = lambda: open(os.path.join(agent.dir, "prometheus.log")).read()  # noqa: E731
    try:
        with start_prometheus(prom, agent.dir, pport) as p:
            t.ok(wait_until(lambda: (http_get(pport, "/-/ready") or (0,))[0] == 200, 60, 0.25),
                 "Prometheus is ready", prom_log()[-2000:])
            agent.start()
            write_lines(log, LINES)
            check_values(t, agent, pport, prom_log)
            check_self_metrics(t, agent)
            t.ok(p.poll() is None, "Prometheus still running")
            t.ok("out of order" not in prom_log() and "duplicate" not in prom_log(),
                 "Prometheus logged no out-of-order or duplicate samples", prom_log()[-2000:])
    finally:
        agent.stop()
    shutil.rmtree(agent.dir, ignore_errors=True)


def test_receiver_down_then_up(t, prom):
    """The receiver starts late: the first collections wait in the spool and arrive in order."""
    pport = hwtest.free_port()
    agent = Agent({})
    log = os.path.join(agent.dir, "app.log")
    open(log, "w").close()
    cfg = config(pport, log)
    cfg["exporters"]["remote_write"].update({"max_retries": 0, "timeout": "1s"})
    agent.write_config(cfg)
    try:
        agent.start()
        write_lines(log, LINES)
        spooled = 'hostwatch_export_datapoints_total{exporter="remote_write",result="spooled"}'
        t.ok(wait_until(lambda: agent.metrics().get(spooled, 0) > 0, 10),
             "with the receiver down, samples go to the spool", agent.read_log()[-1500:])
        # At least four flushes wait in the spool before the receiver starts (each flush holds
        # about as many samples as the first), however slow the build under test.
        one_flush = agent.metrics().get(spooled, 0)
        wait_until(lambda: agent.metrics().get(spooled, 0) >= 4 * one_flush, 20)
        with start_prometheus(prom, agent.dir, pport):
            ok = wait_until(lambda: value(pport, "app_lines_total") == float(LINES), 60, 0.5)
            t.ok(ok, "after the receiver comes up the counter arrives",
                 (agent.read_log()[-1500:],))
            # One sample per series and interval: the spool drains body by body, so the first
            # replayed body already holds the final value; wait for the rest.
            count = lambda: query(pport, "count_over_time(app_lines_total[10m])")  # noqa: E731
            wait_until(lambda: (lambda r: r and float(r[0]["value"][1]) >= 4)(count()), 20, 0.5)
            res = count()
            first = query(pport, "min_over_time(timestamp(app_lines_total)[10m:100ms])")
            t.ok(res and float(res[0]["value"][1]) >= 4, "spooled samples were replayed", res)
            t.ok(first is not None, "timestamps queryable", first)
            m = agent.metrics()
            t.eq(m.get('hostwatch_export_requests_total{exporter="remote_write",'
                       'result="rejected"}'), 0.0, "replay in order: nothing rejected")
            t.eq(m.get('hostwatch_spool_bytes{exporter="remote_write"}') is not None, True,
                 "spool size exposed")
    finally:
        agent.stop()
    shutil.rmtree(agent.dir, ignore_errors=True)


def main():
    t = TAP()
    prom = shutil.which("prometheus")
    if prom is None:
        t.skip("remote write into a real Prometheus", "prometheus not installed")
    t.run([] if prom is None else [lambda tap: test_real_prometheus(tap, prom),
                                   lambda tap: test_receiver_down_then_up(tap, prom)])


main()
