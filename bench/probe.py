"""Helpers for bench/run.sh (Python 3 standard library only).

  probe.py port                   print a free TCP port on 127.0.0.1
  probe.py wait URL SECONDS       poll URL every 1 ms until it serves the metrics; exit 1 when
                                  SECONDS pass first
  probe.py get URL [COUNT]        GET URL COUNT times (default 1); print the last body
  probe.py keepalive URL          print "yes" when the server keeps an HTTP/1.1 connection
                                  open after a GET of URL (a second GET reuses it), else "no"
  probe.py startup URL -- CMD...  spawn CMD, poll URL every 1 ms until it serves the metrics
                                  (at most 10 s), stop CMD by its PID; print the time from the
                                  spawn to that first good scrape, in ms
  probe.py cpu PID                print the CPU time PID has used so far, in ms (scheduler ns
                                  when the kernel exposes them, else clock ticks)
  probe.py runcpu N -- CMD...     run CMD N times (output discarded); print the mean CPU time
                                  (user + system) of one run, in ms

"Serves the metrics" means: status 200 and a body containing node_memory_MemTotal_bytes.
"""

import glob
import http.client
import os
import resource
import signal
import socket
import subprocess
import sys
import time
import urllib.parse

from benchlib import fetch

MARKER = b"node_memory_MemTotal_bytes"
POLL_S = 0.001
STARTUP_LIMIT_S = 10.0


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def keeps_alive(url):
    u = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=2.0)
    try:
        for _ in range(2):
            conn.request("GET", u.path or "/")
            resp = conn.getresponse()
            resp.read()
            if resp.will_close:
                return False
        return True
    except (OSError, http.client.HTTPException):
        return False
    finally:
        conn.close()


def serves_metrics(url):
    status, body = fetch(url)
    return status == 200 and MARKER in body


def poll(url, limit_s, t0):
    """Polls until the metrics are served; returns seconds since t0, or None past limit_s."""
    while True:
        if serves_metrics(url):
            return time.monotonic() - t0
        if time.monotonic() - t0 > limit_s:
            return None
        time.sleep(POLL_S)


def stop(proc):
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


def startup(url, cmd):
    # A SIGTERM/SIGINT from run.sh's cleanup still stops the child (finally below).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        took = poll(url, STARTUP_LIMIT_S, t0)
    finally:
        stop(proc)
    if took is None:
        print(f"no good scrape within {STARTUP_LIMIT_S:.0f} s: {' '.join(cmd)}", file=sys.stderr)
        return 1
    print(f"{took * 1000:.2f}")
    return 0


def cpu_ms(pid):
    """CPU time of every thread of pid: se.sum_exec_runtime (ms, ns resolution) when
    /proc/PID/task/TID/sched exists, else utime + stime from /proc/PID/stat (clock ticks)."""
    total, found = 0.0, False
    for path in glob.glob(f"/proc/{pid}/task/*/sched"):
        try:
            with open(path) as f:
                for line in f:
                    if line.startswith("se.sum_exec_runtime"):
                        total += float(line.split(":")[1])
                        found = True
        except OSError:
            pass  # the thread exited meanwhile
    if found:
        return total
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000.0 / os.sysconf("SC_CLK_TCK")


def run_cpu(n, cmd):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    for _ in range(n):
        subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, check=True, timeout=10)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    used = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    print(f"{used * 1000 / n:.3f}")
    return 0


def main(argv):
    if len(argv) >= 2 and argv[1] == "port":
        print(free_port())
        return 0
    if len(argv) == 4 and argv[1] == "wait":
        return 0 if poll(argv[2], float(argv[3]), time.monotonic()) is not None else 1
    if len(argv) in (3, 4) and argv[1] == "get":
        status, body = None, b""
        for _ in range(int(argv[3]) if len(argv) == 4 else 1):
            status, body = fetch(argv[2])
        if status != 200:
            print(f"GET {argv[2]}: status {status}", file=sys.stderr)
            return 1
        sys.stdout.buffer.write(body)
        return 0
    if len(argv) == 3 and argv[1] == "keepalive":
        print("yes" if keeps_alive(argv[2]) else "no")
        return 0
    if len(argv) >= 5 and argv[1] == "startup" and argv[3] == "--":
        return startup(argv[2], argv[4:])
    if len(argv) == 3 and argv[1] == "cpu":
        print(f"{cpu_ms(int(argv[2])):.3f}")
        return 0
    if len(argv) >= 5 and argv[1] == "runcpu" and argv[3] == "--":
        return run_cpu(int(argv[2]), argv[4:])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
