"""A real Prometheus server scrapes the agent every second; its query API must show the host's
true values under node_exporter's names. Run twice: as configured by default (Prometheus asks
for OpenMetrics) and with native histograms on (Prometheus asks for protobuf first)."""
import os
import shutil

import hwtest
from hwtest import TAP, Agent, process, wait_until

CONFIG = {
    "agent": {"interval": "1s"},
    "collectors": {"memory": {}, "disk": {"mounts": ["/"]}},
    "exporters": {"prometheus": {"listen": "127.0.0.1:@PORT@"}},
}


query = hwtest.prom_query


def scrape_run(t, prom, flags, label):
    agent = Agent(CONFIG)
    pport = hwtest.free_port()
    cfg = os.path.join(agent.dir, "prometheus.yml")
    with open(cfg, "w") as f:
        f.write("global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
                "scrape_configs:\n"
                "  - job_name: hostwatch\n"
                "    static_configs: [{targets: ['127.0.0.1:%d']}]\n" % agent.port)
    argv = [prom, "--config.file=" + cfg, "--storage.tsdb.path=" + os.path.join(agent.dir, "tsdb"),
            "--web.listen-address=127.0.0.1:%d" % pport, "--log.level=warn"] + flags
    try:
        agent.start()
        with process(argv, os.path.join(agent.dir, "prometheus.log")) as p:
            def scraped():
                res = query(pport, 'up{job="hostwatch"}')
                return res and res[0]["value"][1] == "1"

            t.ok(wait_until(scraped, 60, 0.5), label + ": Prometheus scrapes the agent (up == 1)",
                 open(os.path.join(agent.dir, "prometheus.log")).read()[-2000:])

            def run(tap):
                res = query(pport, "node_memory_MemTotal_bytes")
                tap.ok(res and len(res) == 1, label + ": node_memory_MemTotal_bytes is stored", res)
                tap.eq(float(res[0]["value"][1]), hwtest.meminfo_kb("MemTotal") * 1024.0,
                       label + ": node_memory_MemTotal_bytes = MemTotal x 1024")
                res = query(pport, 'node_filesystem_size_bytes{mountpoint="/"}')
                st = os.statvfs("/")
                tap.ok(res and len(res) == 1, label + ": one series for / ", res)
                tap.eq(float(res[0]["value"][1]), float(st.f_blocks * st.f_frsize),
                       label + ": node_filesystem_size_bytes{mountpoint=\"/\"} = statvfs")
                res = query(pport, "scrape_samples_post_metric_relabeling{job=\"hostwatch\"}")
                tap.ok(res and float(res[0]["value"][1]) > 40, label + ": samples per scrape", res)
                res = query(pport, 'count(rate(node_disk_read_bytes_total[5s]) >= 0)')
                tap.ok(res is not None, label + ": diskstats counters queryable as rates", res)

            run(t)
            t.ok(p.poll() is None, label + ": Prometheus still running")
    finally:
        agent.stop()
    shutil.rmtree(agent.dir, ignore_errors=True)


def main():
    t = TAP()
    prom = shutil.which("prometheus")
    if not prom:
        t.skip("prometheus server scrape", "prometheus not installed")
        t.run([])
    t.run([lambda tap: scrape_run(tap, prom, [], "OpenMetrics"),
           lambda tap: scrape_run(tap, prom, ["--enable-feature=native-histograms"],
                                  "protobuf")])


main()
