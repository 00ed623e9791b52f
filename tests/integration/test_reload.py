"""SIGHUP reloads: a broken config is rejected and the running one keeps serving; a good one
takes effect without a restart; SIGTERM exits 0."""
import shutil
import signal

import hwtest
from hwtest import TAP, Agent, http_get, wait_until

BASE = {
    "agent": {"interval": "1s"},
    "collectors": {"memory": {}},
    "exporters": {"prometheus": {"listen": "127.0.0.1:@PORT@"}},
}


def main():
    t = TAP()
    a = Agent(BASE)
    try:
        a.start()
        pid = a.proc.pid
        m = a.metrics()
        t.ok("node_memory_MemTotal_bytes" in m, "memory collected before reload")
        t.ok(not any(k.startswith("node_filesystem_size_bytes") for k in m), "no disk yet")

        a.write_config('{ "agent": { "interval": "1s", }\n')
        a.signal(signal.SIGHUP)
        t.ok(wait_until(lambda: "reload rejected" in a.read_log(), 5),
             "broken config: reload rejected", a.read_log())
        t.ok(a.config_path + ":1:" in a.read_log(), "the parse error names file:line", a.read_log())
        t.eq((http_get(a.port, "/-/healthy") or (0,))[0], 200, "still serving after a bad reload")
        t.ok("node_memory_MemTotal_bytes" in a.metrics(), "old config still collects")

        bad = dict(BASE, collectors={"memory": {"scope": "nope"}})
        bad["exporters"] = {"prometheus": {"listen": "127.0.0.1:%d" % a.port}}
        a.write_config(bad)
        a.signal(signal.SIGHUP)
        t.ok(wait_until(lambda: "collectors.memory.scope" in a.read_log(), 5),
             "semantic error is logged with its JSON path", a.read_log())

        good = {"agent": {"interval": "1s"},
                "collectors": {"memory": {}, "disk": {"mounts": ["/"]}},
                "exporters": {"prometheus": {"listen": "127.0.0.1:%d" % a.port}}}
        a.write_config(good)
        a.signal(signal.SIGHUP)
        t.ok(wait_until(lambda: any(k.startswith("node_filesystem_size_bytes")
                                    for k in a.metrics()), 5),
             "good config: disk collector added by reload", a.read_log())
        m = a.metrics()
        t.eq(m.get('hostwatch_config_reloads_total{result="failure"}'), 2.0,
             "two failed reloads counted")
        t.eq(m.get('hostwatch_config_reloads_total{result="success"}'), 1.0,
             "one successful reload counted")
        t.eq(a.proc.pid, pid, "same process")

        port2 = hwtest.free_port()
        moved = dict(good, exporters={"prometheus": {"listen": "127.0.0.1:%d" % port2}})
        a.write_config(moved)
        a.signal(signal.SIGHUP)
        t.ok(wait_until(lambda: (http_get(port2, "/-/healthy") or (0,))[0] == 200, 5),
             "listen address moved by reload", a.read_log())
        t.ok(http_get(a.port, "/-/healthy") is None, "old port closed")
        t.eq(a.stop(), 0, "SIGTERM exits 0")
        t.ok("shutting down" in a.read_log(), "shutdown is logged")
    finally:
        a.stop()
    shutil.rmtree(a.dir, ignore_errors=True)
    t.run([])


main()
