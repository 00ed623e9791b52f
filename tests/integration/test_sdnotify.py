"""systemd's notify protocol and `check`'s warnings for log files the service cannot read.

The agent sends READY=1 only after the first collection (the endpoint already serves the
collected figures), RELOADING=1 with MONOTONIC_USEC then READY=1 around SIGHUP (a rejected
config included), and STOPPING=1 at SIGTERM; a path socket and an abstract one both work;
WATCHDOG=1 at half of WATCHDOG_USEC."""
import os
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import time

import hwtest
from hwtest import TAP, Agent, run_bin

CONFIG = {"agent": {"interval": "1s", "state_dir": "@DIR@/state"},
          "collectors": {"memory": {}, "disk": {"mounts": ["/"]}},
          "exporters": {"prometheus": {"listen": "127.0.0.1:@PORT@"}}}


def recv(sock, timeout=10.0):
    """The next datagram as text, or None after timeout seconds."""
    sock.settimeout(timeout)
    try:
        return sock.recv(4096).decode()
    except socket.timeout:
        return None


def notify_socket(abstract):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    if abstract:
        name = "hw-notify-%d-%d" % (os.getpid(), time.monotonic_ns())
        s.bind("\0" + name)
        return s, "@" + name, None
    d = tempfile.mkdtemp(prefix="hw-notify-")
    path = os.path.join(d, "notify")
    s.bind(path)
    return s, path, d


def lifecycle(t, abstract):
    kind = "abstract" if abstract else "path"
    sock, addr, tmp = notify_socket(abstract)
    try:
        a = Agent(CONFIG, env={"NOTIFY_SOCKET": addr})
        a.start(wait_ready=False)
        try:
            msg = recv(sock)
            t.eq(msg, "READY=1", kind + ": READY=1 first", a.read_log())
            m = a.metrics()
            t.ok(m.get("node_memory_MemTotal_bytes", 0) > 0,
                 kind + ": at READY the first collection is served", sorted(m)[:10])
            a.signal(signal.SIGHUP)
            msg = recv(sock) or ""
            t.ok(msg.startswith("RELOADING=1\nMONOTONIC_USEC=") and
                 int(msg.split("=")[-1]) > 0, kind + ": RELOADING=1 with MONOTONIC_USEC", msg)
            t.eq(recv(sock), "READY=1", kind + ": READY=1 after the reload")
            a.write_config("{ broken")
            a.signal(signal.SIGHUP)
            t.ok((recv(sock) or "").startswith("RELOADING=1"), kind + ": RELOADING=1 (bad config)")
            t.eq(recv(sock), "READY=1", kind + ": READY=1 after a rejected reload")
            t.ok(a.proc.poll() is None, kind + ": still running on the old config")
            a.signal(signal.SIGTERM)
            t.eq(recv(sock), "STOPPING=1", kind + ": STOPPING=1 at SIGTERM")
            t.eq(a.proc.wait(10), 0, kind + ": exit 0")
        finally:
            a.stop()
    finally:
        sock.close()
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


def test_notify_path_socket(t):
    lifecycle(t, False)


def test_notify_abstract_socket(t):
    lifecycle(t, True)


def test_no_notify_socket(t):
    # Without NOTIFY_SOCKET (a plain `hostwatch run`) nothing is sent and nothing is logged.
    with Agent(CONFIG) as a:
        time.sleep(1.5)
        log = a.read_log()
    t.ok("notify" not in log, "no notification warning without NOTIFY_SOCKET", log)


def collect(sock, seconds):
    """Every datagram that arrives within the next seconds."""
    msgs = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        m = recv(sock, max(0.01, deadline - time.monotonic()))
        if m:
            msgs.append(m)
    return msgs


def test_watchdog(t):
    # WatchdogSec= sets WATCHDOG_USEC: WATCHDOG=1 at half of it, from the loop thread.
    sock, addr, tmp = notify_socket(False)
    try:
        with Agent(CONFIG, env={"NOTIFY_SOCKET": addr, "WATCHDOG_USEC": "400000"}):
            msgs = collect(sock, 2.0)
        pings = msgs.count("WATCHDOG=1")
        t.ok("READY=1" in msgs, "READY=1 with the watchdog on", msgs)
        t.ok(5 <= pings <= 12, "WATCHDOG=1 every 0.2 s (%d in 2 s)" % pings, msgs)
        env = {"NOTIFY_SOCKET": addr, "WATCHDOG_USEC": "400000", "WATCHDOG_PID": "1"}
        with Agent(CONFIG, env=env) as a:
            msgs = collect(sock, 1.0)
        t.ok("WATCHDOG=1" not in msgs, "no ping when WATCHDOG_PID is another process", msgs)
        t.ok(a.proc.returncode == 0, "exit 0", a.read_log())
    finally:
        sock.close()
        shutil.rmtree(tmp, ignore_errors=True)


def as_other_user():
    """argv prefix that runs a command as nobody when root; [] when already unprivileged."""
    if os.geteuid() != 0:
        return []
    return ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"]


def test_check_warns_unreadable(t):
    d = tempfile.mkdtemp(prefix="hw-check-")
    try:
        os.chmod(d, 0o755)
        for sub in ("open", "closed"):
            os.mkdir(os.path.join(d, sub))
        with open(os.path.join(d, "open", "ok.log"), "w") as f:
            f.write("ERROR one\n")
        with open(os.path.join(d, "open", "secret.log"), "w") as f:
            f.write("ERROR two\n")
        os.chmod(os.path.join(d, "open"), 0o755)
        os.chmod(os.path.join(d, "open", "ok.log"), 0o644)
        os.chmod(os.path.join(d, "open", "secret.log"), 0o600 if os.geteuid() == 0 else 0)
        os.chmod(os.path.join(d, "closed"), 0o700 if os.geteuid() == 0 else 0)
        cfg = os.path.join(d, "hostwatch.json")
        with open(cfg, "w") as f:
            f.write('{"collectors": {"logs": [{"name": "app", "paths": ["%s/open/*.log", '
                    '"%s/closed/app.log", "%s/missing/*.log"], "filters": [{"metric": '
                    '"errors_total", "pattern": "ERROR"}]}]}}' % (d, d, d))
        os.chmod(cfg, 0o644)
        r = subprocess.run(as_other_user() + [hwtest.BIN, "check", "-c", cfg],
                           capture_output=True, text=True, timeout=30)
        t.eq(r.returncode, 0, "check still passes", r.stderr)
        warns = [l for l in r.stderr.splitlines() if ": warning: " in l]
        t.eq(len(warns), 2, "two warnings (the unreadable file and directory)", r.stderr)
        t.ok(any(l.startswith(cfg + ": collectors.logs[0].paths[0]: warning: file " + d +
                              "/open/secret.log is not readable by uid ") for l in warns),
             "the file's warning names the config path and the file", r.stderr)
        t.ok(any(l.startswith(cfg + ": collectors.logs[0].paths[1]: warning: directory " + d +
                              "/closed is not readable") for l in warns),
             "the directory's warning names the config path and the directory", r.stderr)
        t.ok(all("SupplementaryGroups=" in l for l in warns), "warnings say what to do", warns)
        r = run_bin(["check", "-c", cfg]) if os.geteuid() == 0 else None
        if r is not None:
            t.ok(": warning: " not in r.stderr, "no warning for a user who can read them",
                 r.stderr)
    finally:
        for root, dirs, _ in os.walk(d):
            for x in dirs:
                os.chmod(os.path.join(root, x), stat.S_IRWXU)
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    TAP().run([test_notify_path_socket, test_notify_abstract_socket, test_no_notify_socket,
               test_watchdog, test_check_warns_unreadable])
