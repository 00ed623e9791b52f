"""ECS collector cost: one collection's fetch (both requests and parses) for a task of 10
containers against tests/integration/fakeecs.py, the two parses alone, and the agent's idle RSS
with only the ecs collector (and Prometheus) on, next to the same agent with the memory collector
instead.

Usage: /usr/bin/python3 bench/ecs.py BUILD_DIR [ROUNDS]  (BUILD_DIR holds hostwatch and
bench/ecs_fetch: make -C BUILD_DIR bench/ecs_fetch). Standard library only."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
from benchlib import stop_agent  # noqa: E402
from fakeecs import FakeECS, container  # noqa: E402
from hwtest import free_port, http_get, wait_until  # noqa: E402

MIB = 1048576


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return None


def idle_rss(binary, collectors, env):
    """VmRSS of an agent with these collectors after 10 collections and 2 s idle, in KiB."""
    d = tempfile.mkdtemp(prefix="hw-bench-ecs-")
    port = free_port()
    cfg = {"agent": {"interval": "500ms", "state_dir": d + "/state"}, "collectors": collectors,
           "exporters": {"prometheus": {"listen": "127.0.0.1:%d" % port}}}
    with open(d + "/c.json", "w") as f:
        json.dump(cfg, f)
    p = subprocess.Popen([binary, "run", "-c", d + "/c.json"], env=env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until(lambda: (http_get(port, "/-/ready") or (0,))[0] == 200, 10)
        time.sleep(5)
        for _ in range(5):
            http_get(port, "/metrics")
        time.sleep(2)
        return rss_kib(p.pid)
    finally:
        stop_agent(p, d)


def main():
    build = sys.argv[1]
    rounds = sys.argv[2] if len(sys.argv) > 2 else "300"
    cs = [container("c%02d" % i, ("%02x" % i) * 32, 256, 128, (100 + i) * MIB, i * MIB)
          for i in range(10)]
    with FakeECS(cs, task_limits={"CPU": 2, "Memory": 4096}) as fake:
        d = tempfile.mkdtemp(prefix="hw-bench-ecs-")
        with open(d + "/task.json", "w") as f:
            json.dump(fake.task_doc(), f)
        with fake.lock:
            doc = fake.stats_doc()
        with open(d + "/stats.json", "w") as f:
            json.dump(doc, f)
        print("bodies: /task %d bytes, /task/stats %d bytes" % (
            os.path.getsize(d + "/task.json"), os.path.getsize(d + "/stats.json")))
        r = subprocess.run([os.path.join(build, "bench", "ecs_fetch"), fake.url, rounds,
                            d + "/task.json", d + "/stats.json"], capture_output=True, text=True)
        sys.stdout.write(r.stdout + r.stderr)
        shutil.rmtree(d, ignore_errors=True)
        env = dict(os.environ, ECS_CONTAINER_METADATA_URI_V4=fake.url)
        binary = os.path.join(build, "hostwatch")
        ecs = idle_rss(binary, {"ecs": {}}, env)
        mem = idle_rss(binary, {"memory": {}}, env)
        print("idle RSS, ecs collector only:    %6.2f MiB" % (ecs / 1024.0))
        print("idle RSS, memory collector only: %6.2f MiB" % (mem / 1024.0))
        return r.returncode


if __name__ == "__main__":
    sys.exit(main())
