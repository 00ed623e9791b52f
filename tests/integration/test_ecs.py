"""The ecs collector against a fake ECS task metadata endpoint (tests/integration/fakeecs.py):
per-container and per-task series on /metrics equal to what the fake served, a container's
growing usage followed, a stopped and then removed container's series gone, the endpoint
answering garbage, 404 for stats, slowly or not at all (one log line, nothing stale, the loop
never held up), and the CloudWatch side (Container Insights names and dimensions, the task's
mem_used_percent, ${ecs:TaskArn} resolved) as accepted by the botocore-verifying fake."""
import os
import re
import shutil
import signal
import time

from fakeecs import CLUSTER_ARN, FAMILY, TASK_ARN, FakeECS, container
from hwtest import TAP, Agent, http_get, run_bin, wait_until

MIB = 1048576
APP, NGINX, HW = "a1" * 32, "b2" * 32, "c3" * 32
SERIES = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def three():
    return [container("app", APP, 512, 256, 300 * MIB, 50 * MIB),
            container("nginx", NGINX, 256, 128, 100 * MIB, 10 * MIB),
            container("hostwatch", HW, 64, 64, 20 * MIB, 1 * MIB)]


def scrape(a):
    """{(name, frozenset(labels)): value} from /metrics."""
    r = http_get(a.port, "/metrics")
    out = {}
    if not r or r[0] != 200:
        return out
    for line in r[2].decode().splitlines():
        m = SERIES.match(line)
        if m and not line.startswith("#"):
            out[(m.group(1), frozenset(LABEL.findall(m.group(2) or "")))] = float(m.group(3))
    return out


def value(a, name, **labels):
    return scrape(a).get((name, frozenset(labels.items())))


def ctr(name, cid):
    return {"container_name": name, "container_id": cid[:12]}


def ecs_agent(fake, extra=None, ecs=None, env=None):
    cfg = {"agent": {"interval": "500ms", "state_dir": "@DIR@/state"},
           "collectors": {"ecs": dict({"timeout": "1s"}, **(ecs or {}))},
           "exporters": {"prometheus": {"listen": "127.0.0.1:@PORT@"}}}
    cfg["exporters"].update(extra or {})
    e = {"ECS_CONTAINER_METADATA_URI_V4": fake.url, "NO_PROXY": "127.0.0.1"}
    e.update(env or {})
    return Agent(cfg, env=e)


def test_values(t):
    with FakeECS(three()) as fake:
        a = ecs_agent(fake)
        with a:
            ws = lambda: value(a, "container_memory_working_set_bytes", **ctr("app", APP))
            t.eq(wait_until(ws, 10), 250.0 * MIB,
                 "app's working set is usage - total_inactive_file", a.read_log()[-2000:])
            m = scrape(a)
            g = lambda name, **l: m.get((name, frozenset(l.items())))
            t.eq(g("container_memory_usage_bytes", **ctr("nginx", NGINX)), 100.0 * MIB,
                 "nginx's usage")
            t.eq(g("container_spec_memory_limit_bytes", **ctr("hostwatch", HW)), 64.0 * MIB,
                 "hostwatch's limit from the task definition, not the unlimited cgroup")
            t.eq(g("container_memory_working_set_bytes"), (250 + 90 + 19) * MIB,
                 "the task's working set is the containers' sum")
            t.eq(g("container_spec_memory_limit_bytes"), (512 + 256 + 64) * MIB,
                 "no task-level limit: the task's limit is the containers' sum")
            served = {d[APP]["cpu_stats"]["cpu_usage"]["total_usage"] / 1e9
                      for d in fake.served if d.get(APP)}
            t.ok(g("container_cpu_usage_seconds_total", **ctr("app", APP)) in served,
                 "app's CPU seconds are a total_usage the fake served", (m, served))
            rx = {d[NGINX]["networks"]["eth0"]["rx_bytes"] for d in fake.served if d.get(NGINX)}
            t.ok(g("container_network_receive_bytes_total", **ctr("nginx", NGINX)) in rx,
                 "nginx's rx bytes are what the fake served", rx)
            t.eq(fake.count("/v4/%s-1234567890/task/stats" % "158d1c8083dd49d6b527399fd6414f5c")
                 > 0, True, "the stats endpoint was asked")


def test_changes(t):
    with FakeECS(three()) as fake:
        a = ecs_agent(fake, ecs={"task_labels": True})
        with a:
            tl = {"task_arn": TASK_ARN, "cluster": "shop-prod"}
            key = dict(ctr("app", APP), **tl)
            ws = lambda want: lambda: value(a, "container_memory_working_set_bytes", **key) == want
            t.ok(wait_until(ws(250.0 * MIB), 10), "task_arn and cluster labels when asked for",
                 sorted(k for k in scrape(a) if k[0] == "container_memory_working_set_bytes"))
            fake.set("app", usage=400 * MIB)
            t.ok(wait_until(ws(350.0 * MIB), 5), "a growing usage is followed")
            fake.set("nginx", stopped=True)
            nx = dict(ctr("nginx", NGINX), **tl)
            gone = lambda: value(a, "container_memory_working_set_bytes", **nx) is None
            t.ok(wait_until(gone, 5), "a stopped container's working set goes away")
            t.eq(value(a, "container_spec_memory_limit_bytes", **nx), 256.0 * MIB,
                 "its limit stays while /task lists it")
            fake.remove("nginx")
            t.ok(wait_until(lambda: value(a, "container_spec_memory_limit_bytes", **nx) is None, 5),
                 "a removed container's series go away")
            t.eq(value(a, "container_memory_working_set_bytes", **tl), (350 + 19) * MIB,
                 "the task's working set without it")
            t.eq(a.read_log().count("container without stats"), 1,
                 "the stopped container is logged once", a.read_log()[-2000:])


def test_faults(t):
    with FakeECS(three()) as fake:
        a = ecs_agent(fake)
        with a:
            ws = lambda: value(a, "container_memory_working_set_bytes", **ctr("app", APP))
            t.eq(wait_until(ws, 10), 250.0 * MIB, "values before the faults")
            fake.set_mode("garbage")
            t.ok(wait_until(lambda: ws() is None, 5), "garbage: the series go after 3 intervals",
                 a.read_log()[-1500:])
            time.sleep(1.0)
            log = a.read_log()
            t.eq(log.count("task metadata unavailable"), 1, "garbage is logged once", log[-1500:])
            t.ok("not JSON" in log and "/task" in log, "the line says what and where", log[-800:])
            fake.set_mode("ok")
            t.eq(wait_until(ws, 5), 250.0 * MIB, "back after recovery")
            t.ok("task metadata complete again" in a.read_log(), "recovery is logged")
            fake.set_mode("stats404")
            t.ok(wait_until(lambda: ws() is None, 5), "404 for stats: no working set")
            t.eq(value(a, "container_spec_memory_limit_bytes", **ctr("app", APP)), 512.0 * MIB,
                 "404 for stats: the limits from /task remain")
            t.ok("too old to serve task stats" in a.read_log() and "HTTP 404" in a.read_log(),
                 "404 for stats is explained", a.read_log()[-800:])
            fake.set_mode("ok")
            t.eq(wait_until(ws, 5), 250.0 * MIB, "stats again")
            fake.set_mode("slow")
            worst = 0.0
            for _ in range(8):
                t0 = time.monotonic()
                r = http_get(a.port, "/metrics")
                worst = max(worst, time.monotonic() - t0)
                time.sleep(0.25)
            t.ok(r and r[0] == 200 and worst < 0.5,
                 "a slow endpoint does not hold up /metrics (worst %.3f s)" % worst)
            t.ok(wait_until(lambda: ws() is None, 5), "a silent endpoint leaves nothing stale")
            t.ok("timed out" in a.read_log().lower() or "timeout" in a.read_log().lower(),
                 "the time-out is logged", a.read_log()[-800:])
            fake.set_mode("down")
            t.ok(wait_until(lambda: a.read_log().count("task metadata unavailable") >= 3, 5),
                 "a closed connection is logged", a.read_log()[-800:])
            fake.set_mode("ok")
            t.eq(wait_until(ws, 5), 250.0 * MIB, "back after the endpoint returns")
            t.eq(a.stop(), 0, "the agent exits 0")


def test_reload_while_slow(t):
    """A reload that replaces the collector while a request hangs does not wait for it."""
    with FakeECS(three()) as fake:
        fake.delay = 4.0
        a = ecs_agent(fake, ecs={"timeout": "5s"})
        with a:
            ws = lambda: value(a, "container_memory_working_set_bytes", **ctr("app", APP))
            t.eq(wait_until(ws, 10), 250.0 * MIB, "values before the reload")
            fake.set_mode("slow")
            time.sleep(1.0)  # the next fetch is now waiting on the fake
            a.write_config({"agent": {"interval": "500ms", "state_dir": "@DIR@/state"},
                            "collectors": {"ecs": {"timeout": "1s"}},
                            "exporters": {"prometheus": {"listen": "127.0.0.1:@PORT@"}}})
            t0 = time.monotonic()
            a.signal(signal.SIGHUP)
            done = wait_until(lambda: "configuration reloaded" in a.read_log(), 5, 0.01)
            took = time.monotonic() - t0
            t.ok(done and took < 1.0, "the reload does not wait for the hung request (%.2f s)"
                 % took, a.read_log()[-1500:])
            fake.set_mode("ok")
            fake.set("app", usage=310 * MIB)
            t.eq(wait_until(lambda: ws() == 260.0 * MIB, 10) and ws(), 260.0 * MIB,
                 "the new instance collects")
        t.eq(a.proc.returncode, 0, "the agent exits 0 after the reload")
        shutil.rmtree(a.dir, ignore_errors=True)


def test_default_in_ecs(t):
    """No collectors section inside an ECS task: memory, disk and ecs; memory says whose cgroup
    it sees and leaves the container_* names to ecs."""
    with FakeECS(three()) as fake:
        a = ecs_agent(fake)
        a.write_config({"agent": {"interval": "500ms", "state_dir": "@DIR@/state"},
                        "exporters": {"prometheus": {"listen": "127.0.0.1:@PORT@"}}})
        with a:
            ws = lambda: value(a, "container_memory_working_set_bytes", **ctr("app", APP))
            t.eq(wait_until(ws, 10), 250.0 * MIB, "ecs is on by default in an ECS task",
                 a.read_log()[-1500:])
            m = scrape(a)
            t.ok(("node_memory_MemTotal_bytes", frozenset()) in m, "memory still runs")
            t.eq(m.get(("container_memory_working_set_bytes", frozenset())), 359.0 * MIB,
                 "the unlabelled working set is the task's, not the agent's cgroup")
            t.ok("the agent's cgroup is its own container's" in a.read_log(),
                 "memory says the cgroup is the agent container's", a.read_log()[-1500:])
        shutil.rmtree(a.dir, ignore_errors=True)


def test_once(t):
    """`hostwatch once` fetches synchronously: the values are in its one output."""
    with FakeECS(three()) as fake:
        a = ecs_agent(fake)
        r = run_bin(["once", "-c", a.config_path], env=a.env, timeout=20)
        line = 'container_memory_working_set_bytes{container_id="%s",container_name="app"} %d' % (
            APP[:12], 250 * MIB)
        t.ok(r.returncode == 0 and line in r.stdout, "once prints the working set", r)
    r = run_bin(["once", "-c", a.config_path], env={"ECS_CONTAINER_METADATA_URI_V4": ""})
    t.ok(r.returncode != 0 and "ECS_CONTAINER_METADATA_URI_V4 is not set" in r.stderr,
         "explicitly enabled outside ECS: a clear error", r)
    optional = {"collectors": {"memory": {}, "ecs": {"optional": True}}}
    a.write_config(optional)
    r = run_bin(["once", "-c", a.config_path], env={"ECS_CONTAINER_METADATA_URI_V4": ""})
    t.ok(r.returncode == 0 and "node_memory_MemTotal_bytes" in r.stdout and
         "the collector stays idle" in r.stderr and "container_cpu" not in r.stdout,
         "optional outside ECS: idle, said once, the other collectors run", r)
    shutil.rmtree(a.dir, ignore_errors=True)


def test_cloudwatch(t):
    try:
        from fakeaws import FakeAWS
    except ImportError:
        FakeAWS = None
    if FakeAWS is None or not os.path.exists("/usr/lib/python3/dist-packages/botocore"):
        t.skip("cloudwatch", "python3-botocore not installed")
        return
    with FakeAWS() as aws, FakeECS(three(), service="checkout") as fake:
        cw = {"endpoint": aws.cloudwatch_url, "region": aws.region, "flush_interval": "1s",
              "namespace": "ECS/ContainerInsights-hw", "gauge": "last", "timeout": "2s",
              "metrics": ["MemoryUtilized", "MemoryReserved", "CpuUtilized", "CpuReserved",
                          "NetworkRxBytes", "NetworkTxBytes", "mem_used_percent"],
              "dimensions": {"TaskArn": "${ecs:TaskArn}",
                             "Where": "${ecs:ClusterName}/${ecs:TaskDefinitionFamily}"}}
        env = aws.environ("static")
        a = ecs_agent(fake, extra={"cloudwatch": cw}, env=env)
        a.env["ECS_CONTAINER_METADATA_URI_V4"] = fake.url
        try:
            a.start()
            task_dims = {"ClusterName": "shop-prod", "TaskDefinitionFamily": FAMILY,
                         "ServiceName": "checkout", "TaskArn": TASK_ARN,
                         "Where": "shop-prod/" + FAMILY}

            def find(name, **extra):
                want = dict(task_dims, **extra)
                return [d for d in aws.datums(name=name) if d.dimensions == want]

            ok = wait_until(lambda: find("NetworkRxBytes") and find("mem_used_percent"), 15)
            t.ok(ok, "task datums arrive with the task's dimensions",
                 ([(d.name, d.dimensions) for d in aws.datums()][:10], a.read_log()[-1500:]))
            t.eq(find("MemoryUtilized", ContainerName="app")[-1].value, 250.0,
                 "MemoryUtilized in MiB per container")
            t.eq(find("MemoryReserved", ContainerName="nginx")[-1].value, 256.0,
                 "MemoryReserved per container")
            t.eq(find("MemoryUtilized")[-1].value, 359.0, "MemoryUtilized of the task")
            t.eq(find("mem_used_percent")[-1].value, 100.0 * 359 / 832,
                 "mem_used_percent = task working set / sum of container limits")
            t.eq(find("CpuUtilized", ContainerName="app")[-1].value, 256.0,
                 "CpuUtilized: 0.25 s per 1 s is 256 CPU units")
            t.eq(find("CpuUtilized")[-1].value, 768.0, "CpuUtilized of the task")
            t.eq(find("CpuReserved")[-1].value, 448.0, "CpuReserved of the task")
            t.eq(find("NetworkRxBytes", ContainerName="app")[-1].value, 1000.0,
                 "NetworkRxBytes per second")
            t.eq(find("NetworkTxBytes")[-1].value, 6000.0, "NetworkTxBytes of the task")
            t.eq({d.dimensions.get("TaskArn") for d in aws.datums()}, {TASK_ARN},
                 "${ecs:TaskArn} resolves on every datum")
            units = {d.name: d.unit for d in aws.datums() if getattr(d, "unit", None)}
            t.eq((units.get("MemoryUtilized"), units.get("NetworkRxBytes")),
                 ("Megabytes", "Bytes/Second"), "Container Insights' units", units)
        finally:
            a.stop()
            shutil.rmtree(a.dir, ignore_errors=True)


if __name__ == "__main__":
    assert CLUSTER_ARN.endswith("/shop-prod")
    TAP().run([test_values, test_changes, test_faults, test_reload_while_slow,
               test_default_in_ecs, test_once, test_cloudwatch])
