"""Pieces the benchmark scripts share: a GET on a fresh connection, a process's CPU time, and
stopping an agent under test."""
import glob
import http.client
import shutil
import signal
import urllib.parse


def fetch(url, timeout=2.0):
    """One GET on a fresh connection; returns (status, body) or (None, b"") when refused."""
    u = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)
    try:
        conn.request("GET", u.path or "/")
        resp = conn.getresponse()
        return resp.status, resp.read()
    except (OSError, http.client.HTTPException):
        return None, b""
    finally:
        conn.close()


def cpu_ns(pid):
    """CPU time of every thread of pid, in ns (/proc/PID/task/*/schedstat)."""
    total = 0
    for path in glob.glob("/proc/%d/task/*/schedstat" % pid):
        try:
            with open(path) as f:
                total += int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            pass  # a thread that just ended
    return total


def stop_agent(proc, workdir):
    """SIGTERM, a bounded wait, and the agent's scratch directory removed."""
    proc.send_signal(signal.SIGTERM)
    proc.wait(10)
    shutil.rmtree(workdir, ignore_errors=True)
