"""Scheduling and bad input: collectors run at their own intervals; a collector that cannot
read its files fails alone, is logged once, counted, and nothing else stops; SIGINT exits 0."""
import shutil
import signal
import time

from hwtest import TAP, Agent, http_get, wait_until


def test_intervals(t):
    a = Agent({"agent": {"interval": "1s"},
               "collectors": {"memory": {"interval": "200ms"}, "disk": {"mounts": ["/"]}},
               "exporters": {"prometheus": {"listen": "127.0.0.1:@PORT@"}}})
    try:
        a.start()
        t0 = time.monotonic()
        mem = 'hostwatch_collections_total{collector="memory"}'
        disk = 'hostwatch_collections_total{collector="disk"}'
        ok = wait_until(lambda: a.metrics().get(mem, 0) >= 16, 10, 0.02)
        elapsed = time.monotonic() - t0
        m = a.metrics()
        t.ok(ok, "memory collected 16 times", m.get(mem))
        # 15 intervals of 200 ms after the first run: about 3 s, never a catch-up burst.
        t.ok(2.4 < elapsed < 4.5, "200ms interval honoured (16 runs in %.2fs)" % elapsed)
        t.ok(2 <= m.get(disk, 0) <= 6, "disk on the agent interval of 1s (%s runs)" % m.get(disk))
        a.signal(signal.SIGINT)
        a.proc.wait(10)
        t.eq(a.proc.returncode, 0, "SIGINT exits 0")
    finally:
        a.stop()
        shutil.rmtree(a.dir, ignore_errors=True)


def test_unreadable_proc(t):
    a = Agent({"agent": {"interval": "200ms", "procfs": "@DIR@/no-such-proc"},
               "collectors": {"memory": {"scope": "host"}, "disk": {"mounts": ["/"]}},
               "exporters": {"prometheus": {"listen": "127.0.0.1:@PORT@"}}})
    try:
        a.start()
        err = 'hostwatch_collect_errors_total{collector="memory"}'
        t.ok(wait_until(lambda: a.metrics().get(err, 0) >= 5, 10), "failures are counted")
        m = a.metrics()
        t.ok(not any(k.startswith("node_memory_") for k in m), "no memory figures invented")
        t.eq((http_get(a.port, "/-/healthy") or (0,))[0], 200, "the endpoint keeps serving")
        log = a.read_log()
        t.eq(log.count('msg="collection failed" collector=memory'), 1,
             "a lasting failure is logged once, not every interval")
        t.ok('collector=memory error="No such file or directory"' in log, "the log says why", log)
    finally:
        a.stop()
        shutil.rmtree(a.dir, ignore_errors=True)


def test_port_in_use(t):
    cfg = {"collectors": {"memory": {}},
           "exporters": {"prometheus": {"listen": "127.0.0.1:@PORT@"}}}
    a = Agent(cfg)
    try:
        a.start()
        b = Agent(dict(cfg, exporters={"prometheus": {"listen": "127.0.0.1:%d" % a.port}}))
        b.start(wait_ready=False)
        rc = b.proc.wait(10)
        t.eq(rc, 1, "a second agent on a taken port exits 1")
        t.ok("cannot listen" in b.read_log() and str(a.port) in b.read_log(),
             "and says which address", b.read_log())
        t.eq((http_get(a.port, "/-/healthy") or (0,))[0], 200, "the first agent is unaffected")
        b.stop()
        shutil.rmtree(b.dir, ignore_errors=True)
    finally:
        a.stop()
        shutil.rmtree(a.dir, ignore_errors=True)


TAP().run([test_intervals, test_unreadable_proc, test_port_in_use])
