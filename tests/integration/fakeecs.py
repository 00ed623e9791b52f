"""A fake ECS task metadata endpoint v4 for hostwatch's ecs collector tests.

`FakeECS` serves, on 127.0.0.1 (a free port) from a background thread, under ``/v4/<id>``:

* ``/task``: the task document (Cluster, TaskARN, Family, Revision, Limits, Containers[] with
  DockerId, Name, Limits, Type, Networks) built from the containers the test set;
* ``/task/stats``: container id -> Docker stats (memory_stats with usage, stats and limit;
  cpu_stats/precpu_stats; read/preread; networks), or null for a container marked stopped.

Every answer to /task/stats moves the fake's own clock one second forward and each running
container's counters by its per-request step (CPU ns, rx/tx bytes), so rates the agent derives
are exact whatever the real timing. Faults (`mode`): ok, garbage (200 with a non-JSON body),
stats404 (an old agent without /task/stats), slow (answers after `delay` seconds), down (closes
the connection without an answer). Requests are counted per path in `counts`.

Standard library only.
"""

import copy
import http.server
import json
import socket
import threading
import time

TASK_ID = "158d1c8083dd49d6b527399fd6414f5c"
CLUSTER_ARN = "arn:aws:ecs:us-west-2:111122223333:cluster/shop-prod"
TASK_ARN = "arn:aws:ecs:us-west-2:111122223333:task/shop-prod/" + TASK_ID
FAMILY = "shop"


def container(name, cid, mem_mib, cpu_units, usage, inactive, cpu_ns=10 ** 9, cpu_step=250000000,
              rx=0, rx_step=1000, tx=0, tx_step=2000):
    """A container as the fake keeps it (figures in bytes and ns)."""
    return {"name": name, "id": cid, "mem_mib": mem_mib, "cpu": cpu_units, "usage": usage,
            "inactive": inactive, "cpu_ns": cpu_ns, "cpu_step": cpu_step, "rx": rx,
            "rx_step": rx_step, "tx": tx, "tx_step": tx_step, "stopped": False}


class FakeECS:
    def __init__(self, containers, task_limits=None, service=None):
        self.lock = threading.Lock()
        self.containers = [dict(c) for c in containers]
        self.task_limits = task_limits
        self.service = service
        self.mode = "ok"
        self.delay = 3.0
        self.counts = {}
        self.clock = 1796410800.0  # 2026-12-04T19:00:00Z; +1 s per stats answer
        self.served = []  # the stats documents served, newest last
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def setup(self):
                super().setup()
                # Headers and body go out as two writes: without this, Nagle and the client's
                # delayed ACK add ~40 ms to every answer on a kept-alive connection.
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def do_GET(self):
                fake._handle(self)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = "http://127.0.0.1:%d/v4/%s-1234567890" % (self.port, TASK_ID)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    # ---- what the test changes
    def set(self, name, **fields):
        with self.lock:
            for c in self.containers:
                if c["name"] == name:
                    c.update(fields)

    def remove(self, name):
        with self.lock:
            self.containers = [c for c in self.containers if c["name"] != name]

    def set_mode(self, mode):
        with self.lock:
            self.mode = mode

    def count(self, path):
        with self.lock:
            return self.counts.get(path, 0)

    def last_stats(self):
        with self.lock:
            return copy.deepcopy(self.served[-1]) if self.served else None

    # ---- documents
    def task_doc(self):
        doc = {"Cluster": CLUSTER_ARN, "TaskARN": TASK_ARN, "Family": FAMILY, "Revision": "3",
               "DesiredStatus": "RUNNING", "KnownStatus": "RUNNING", "LaunchType": "EC2",
               "Containers": []}
        if self.service:
            doc["ServiceName"] = self.service
        if self.task_limits:
            doc["Limits"] = self.task_limits
        for c in self.containers:
            lim = {"CPU": c["cpu"]}
            if c["mem_mib"]:
                lim["Memory"] = c["mem_mib"]
            doc["Containers"].append({
                "DockerId": c["id"], "Name": c["name"], "DockerName": "ecs-shop-3-" + c["name"],
                "Image": "example/%s:1" % c["name"], "Limits": lim, "Type": "NORMAL",
                "KnownStatus": "STOPPED" if c["stopped"] else "RUNNING",
                "Networks": [{"NetworkMode": "bridge", "IPv4Addresses": ["172.17.0.2"]}]})
        return doc

    @staticmethod
    def _stamp(t):
        return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(int(t))) + ".%09dZ" % int(
            round((t - int(t)) * 1e9))

    def stats_doc(self):
        """Advances the clock and counters, then the document (called under the lock)."""
        self.clock += 1.0
        doc = {}
        for c in self.containers:
            if c["stopped"]:
                doc[c["id"]] = None
                continue
            c["cpu_ns"] += c["cpu_step"]
            c["rx"] += c["rx_step"]
            c["tx"] += c["tx_step"]
            doc[c["id"]] = {
                "read": self._stamp(self.clock), "preread": self._stamp(self.clock - 1.0),
                "cpu_stats": {"cpu_usage": {"total_usage": c["cpu_ns"]}, "online_cpus": 2},
                "precpu_stats": {"cpu_usage": {"total_usage": c["cpu_ns"] - c["cpu_step"]}},
                "memory_stats": {"usage": c["usage"],
                                 "stats": {"inactive_file": 4096,
                                           "total_inactive_file": c["inactive"]},
                                 "limit": 9223372036854771712},
                "networks": {"eth0": {"rx_bytes": c["rx"], "tx_bytes": c["tx"]}},
                "name": "/ecs-shop-3-" + c["name"], "id": c["id"]}
        self.served.append(copy.deepcopy(doc))
        return doc

    def _handle(self, h):
        path = h.path
        base = "/v4/%s-1234567890" % TASK_ID
        with self.lock:
            self.counts[path] = self.counts.get(path, 0) + 1
            mode, delay = self.mode, self.delay
        if mode == "down":
            h.close_connection = True
            h.connection.close()
            return
        if mode == "slow":
            time.sleep(delay)
        status, body = 404, b"404 page not found\n"
        with self.lock:
            if path == base + "/task":
                status, body = 200, json.dumps(self.task_doc()).encode()
            elif path == base + "/task/stats" and mode != "stats404":
                status, body = 200, json.dumps(self.stats_doc()).encode()
        if mode == "garbage":
            status, body = 200, b"<html>upstream connect error</html>"
        try:
            h.send_response(status)
            h.send_header("Content-Type", "application/json" if status == 200 else "text/plain")
            h.send_header("Content-Length", str(len(body)))
            h.end_headers()
            h.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the agent gave up waiting (slow mode): what a time-out looks like
