"""Resource faults, each on a real agent: the state directory on a full filesystem (a small
tmpfs filled up) and on a read-only one, the spool directory removed while batches wait in it,
an unreadable log and a directory in a log's place (the agent running as nobody), and a
descriptor limit of 64 with 200 globbed logs. Each time the agent keeps collecting and serving,
says so once, keeps what it had, and recovers by itself where it can."""
import contextlib
import glob
import json
import os
import shutil
import subprocess
import time

import hwtest
from cwtest import FakeAWS, delivered, run_agent, run_with_fake, write_lines
from hwtest import Agent, wait_until


def lines_config(log_glob, state_dir):
    return {"agent": {"interval": "500ms", "state_dir": state_dir,
                      "checkpoint_interval": "200ms"},
            "collectors": {"memory": {},
                           "logs": [{"name": "app", "paths": [log_glob], "start_at": "beginning",
                                     "filters": [{"metric": "lines_total", "regex": "^line"}]}]},
            "exporters": {"prometheus": {"listen": "127.0.0.1:@PORT@"}}}


def write(path, first, n):
    with open(path, "a") as f:
        for i in range(first, first + n):
            f.write("line %d\n" % i)


def state_offset(path):
    with open(path) as f:
        doc = json.load(f)
    return doc["instances"]["logs:app"]["files"][0]["offset"]


def mount_tmpfs(path, opts):
    os.makedirs(path, exist_ok=True)
    return subprocess.run(["mount", "-t", "tmpfs", "-o", opts, "none", path],
                          capture_output=True).returncode == 0


def count(text, needle):
    return sum(1 for x in text.splitlines() if needle in x)


@contextlib.contextmanager
def agent_on_tmpfs(t, name, opts, lines):
    """An agent (not started) whose state dir is on a fresh tmpfs mounted with opts, tailing
    app.log that holds `lines` lines; yields (agent, mount point, log), or None without root."""
    a = Agent({})
    mnt = os.path.join(a.dir, "mnt")
    if os.geteuid() != 0 or not mount_tmpfs(mnt, opts):
        t.skip(name, "needs root to mount a tmpfs")
        shutil.rmtree(a.dir, ignore_errors=True)
        yield None
        return
    log = os.path.join(a.dir, "app.log")
    open(log, "w").close()
    write(log, 1, lines)
    a.write_config(lines_config(log, os.path.join(mnt, "state")))
    try:
        yield a, mnt, log
    finally:
        a.stop()
        subprocess.run(["umount", mnt], capture_output=True)
        shutil.rmtree(a.dir, ignore_errors=True)


def test_state_dir_full(t):
    with agent_on_tmpfs(t, "state dir on a full filesystem", "size=64k", 0) as env:
        if env is None:
            return
        a, mnt, log = env
        a.start()
        state = os.path.join(mnt, "state")
        write(log, 1, 20)
        sf = os.path.join(state, "state.json")
        t.ok(wait_until(lambda: os.path.exists(sf) and state_offset(sf) == os.path.getsize(log),
                        10), "the state file holds the first 20 lines")
        before = os.path.getsize(log)
        with open(os.path.join(mnt, "filler"), "wb") as f:
            try:
                f.write(b"\0" * (1 << 20))
            except OSError:
                pass  # full: what was written fills it
        write(log, 21, 20)
        t.ok(wait_until(lambda: a.metrics().get("lines_total") == 40.0, 10),
             "collecting and serving go on with the disk full")
        time.sleep(1.5)
        text = a.read_log()
        t.eq(count(text, "cannot write the state file"), 1, "said once", text[-1500:])
        t.ok("No space left on device" in text, "... with the reason")
        t.eq(state_offset(sf), before, "the previous state file is intact")
        os.unlink(os.path.join(mnt, "filler"))
        t.ok(wait_until(lambda: state_offset(sf) == os.path.getsize(log), 10),
             "space back: the state file is written again by itself")
        t.ok("state file written again" in a.read_log(), "... and it says so")


def test_state_dir_read_only(t):
    with agent_on_tmpfs(t, "state dir read-only", "size=64k,ro", 3) as env:
        if env is None:
            return
        a = env[0]
        a.start()
        t.ok(wait_until(lambda: a.metrics().get("lines_total") == 3.0, 10),
             "a read-only state dir: the agent starts, collects and serves")
        time.sleep(1.0)
        text = a.read_log()
        t.eq(count(text, "Read-only file system"), 1, "said once", text[-1000:])


def test_spool_dir_removed(t):
    with FakeAWS() as fake:
        a, log = run_agent(fake, "static", None)
        try:
            a.start()
            time.sleep(1.5)
            fake.set_outage("reset")
            n = write_lines(log, 1, 5)
            sp = os.path.join(a.dir, "state", "spool", "cloudwatch")
            t.ok(wait_until(lambda: glob.glob(sp + "/*.entry"), 20), "an outage: batches spooled")
            time.sleep(3)  # the batch with the 5 lines is through its retries and spooled too
            shutil.rmtree(sp)
            n = write_lines(log, n, 7)
            t.ok(wait_until(lambda: glob.glob(sp + "/*.entry"), 20),
                 "the spool directory removed: made again, later batches kept")
            fake.clear_fault()
            t.ok(wait_until(lambda: delivered(fake) == 7.0, 20),
                 "after the outage the kept batches are delivered (the 7 later lines)",
                 delivered(fake))
            text = a.read_log()
            t.eq(count(text, "spool directory was removed"), 1, "said once", text[-1500:])
        finally:
            a.stop()
            shutil.rmtree(a.dir, ignore_errors=True)


def test_unreadable_log_and_directory(t):
    if os.geteuid() != 0:
        t.skip("unreadable log", "needs root to run the agent as another user")
        return
    d = hwtest.tempfile.mkdtemp(prefix="hw-res-")
    os.chmod(d, 0o755)
    good, secret, dirlog = (os.path.join(d, x) for x in ("good.log", "secret.log", "dir.log"))
    write(good, 1, 4)
    write(secret, 1, 4)
    os.chmod(secret, 0o600)
    os.mkdir(dirlog)
    port = hwtest.free_port()
    cfg = lines_config(os.path.join(d, "*.log"), os.path.join(d, "state"))
    cfg["exporters"]["prometheus"]["listen"] = "127.0.0.1:%d" % port
    with open(os.path.join(d, "hw.json"), "w") as f:
        json.dump(cfg, f)
    os.chmod(os.path.join(d, "hw.json"), 0o644)
    os.mkdir(os.path.join(d, "state"))
    os.chown(os.path.join(d, "state"), 65534, 65534)
    logf = open(os.path.join(d, "agent.log"), "wb")
    p = subprocess.Popen(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                          hwtest.BIN, "run", "-c", os.path.join(d, "hw.json")], stdout=logf,
                         stderr=subprocess.STDOUT)
    try:
        def m():
            r = hwtest.http_get(port, "/metrics")
            return hwtest.parse_text_metrics(r[2].decode()) if r and r[0] == 200 else {}
        t.ok(wait_until(lambda: m().get("lines_total") == 4.0, 10),
             "the readable log is read; the others do not stop it", m().get("lines_total"))
        errs = m().get('hostwatch_log_read_errors_total{source="app"}')
        t.eq(errs, 2.0, "the unreadable file and the directory: one read error each, a metric")
        write(good, 5, 2)
        time.sleep(1.5)
        t.eq(m().get('hostwatch_log_read_errors_total{source="app"}'), 2.0,
             "counted once, not at every poll")
        t.eq(m().get("lines_total"), 6.0, "the rest unaffected: new lines of the good file read")
        with open(os.path.join(d, "agent.log")) as f:
            text = f.read()
        t.ok(count(text, "Permission denied") <= 1 and count(text, "collection failed") <= 1,
             "reported once in the log", text[-1500:])
    finally:
        p.terminate()
        p.wait(10)
        logf.close()
        shutil.rmtree(d, ignore_errors=True)


def test_descriptor_limit(t):
    a = Agent({})
    logs = os.path.join(a.dir, "logs")
    os.mkdir(logs)
    for i in range(200):
        write(os.path.join(logs, "f%03d.log" % i), 1, 1)
    a.write_config(lines_config(os.path.join(logs, "*.log"), "@DIR@/state"))
    log = open(os.path.join(a.dir, "agent.log"), "wb")
    p = subprocess.Popen(["prlimit", "--nofile=64:64", hwtest.BIN, "run", "-c", a.config_path],
                         stdout=log, stderr=subprocess.STDOUT)
    try:
        t.ok(wait_until(lambda: "node_memory_MemAvailable_bytes" in a.metrics() and
                        a.metrics().get("lines_total", 0) > 0, 10),
             "64 descriptors, 200 logs: memory is still collected, logs read as far as it goes")
        time.sleep(1.5)
        n = a.metrics().get("lines_total", 0)
        t.ok(0 < n < 200, "%d of the 200 files read: the rest wait for descriptors" % n)
        t.ok(os.path.exists(os.path.join(a.dir, "state", "state.json")),
             "descriptors left for the state file")
        t.eq(p.poll(), None, "no crash")
        with open(os.path.join(a.dir, "agent.log")) as f:
            text = f.read()
        t.ok("Too many open files" in text and count(text, "Too many open files") <= 2,
             "a clear message, once", text[-1500:])
    finally:
        p.terminate()
        p.wait(10)
        log.close()
        shutil.rmtree(a.dir, ignore_errors=True)


if __name__ == "__main__":
    run_with_fake("resources", [test_state_dir_full, test_state_dir_read_only,
                                test_spool_dir_removed, test_unreadable_log_and_directory,
                                test_descriptor_limit])
