"""Log tailing with the real binary: filters turn lines into exact metrics, and a writer's
numbered lines are each counted exactly once while the real logrotate rotates the file (create
and copytruncate modes) and the agent is SIGTERMed, kill -9'd and restarted in between."""
import os
import shutil
import signal
import subprocess
import threading
import time

import hwtest
from hwtest import TAP, Agent, wait_until

LOGROTATE = shutil.which("logrotate") or "/usr/sbin/logrotate"


def source(path, filters, **kw):
    s = {"name": "app", "paths": [path], "start_at": "beginning", "filters": filters}
    s.update(kw)
    return s


def config(sources, **agent):
    a = {"interval": "1s", "state_dir": "@DIR@/state", "checkpoint_interval": "200ms"}
    a.update(agent)
    return {"agent": a, "collectors": {"logs": sources},
            "exporters": {"prometheus": {"listen": "127.0.0.1:@PORT@"}}}


def test_filters_exact(t):
    a = Agent({})
    log = os.path.join(a.dir, "app.log")
    lines = []
    for i in range(1, 301):
        status = 500 if i % 10 == 0 else 200
        level = "ERROR" if i % 25 == 0 else "INFO"
        lines.append("%s req=%d status=%d latency_ms=%d\n" % (level, i, status, i % 7 * 40))
    with open(log, "w") as f:
        f.writelines(lines)
        f.write("INFO partial line without newline")
    a.write_config(config([source(log, [
        {"metric": "app_errors_total", "regex": "^ERROR "},
        {"metric": "app_responses_total", "regex": "status=(?<status>\\d{3})",
         "labels": ["status"]},
        {"metric": "app_latency_ms", "type": "histogram", "regex": "latency_ms=(?<value>\\d+)",
         "buckets": [50, 100, 200]},
        {"metric": "app_last_req", "type": "gauge", "regex": "req=(?<value>\\d+)"},
    ])]))
    try:
        a.start()
        want = {'app_errors_total': 12.0,
                'app_responses_total{status="200"}': 270.0,
                'app_responses_total{status="500"}': 30.0,
                'app_latency_ms_count': 300.0,
                'app_latency_ms_bucket{le="50"}': float(sum(1 for i in range(1, 301)
                                                            if i % 7 * 40 <= 50)),
                'app_latency_ms_sum': float(sum(i % 7 * 40 for i in range(1, 301))),
                'app_last_req': 300.0,
                'hostwatch_log_lines_total{source="app"}': 300.0}
        ok = wait_until(lambda: all(a.metrics().get(k) == v for k, v in want.items()), 10)
        m = a.metrics()
        for k, v in want.items():
            t.eq(m.get(k), v, k)
        t.ok(ok, "values reached")
        # The partial line counts once its newline arrives, not before.
        with open(log, "a") as f:
            f.write(" ERROR-free\nERROR finally\n")
        t.ok(wait_until(lambda: a.metrics().get("app_errors_total") == 13.0, 5),
             "appended lines are counted (inotify)")
        t.eq(a.metrics().get('hostwatch_log_lines_total{source="app"}'), 302.0,
             "the completed partial line is one line")
    finally:
        a.stop()
        shutil.rmtree(a.dir, ignore_errors=True)


class Writer(threading.Thread):
    """Appends numbered lines; reopens its file every `reopen` lines (a logger after
    rotation), or keeps it open (copytruncate). `lock` is held around logrotate in
    copytruncate mode, so logrotate's own copy/truncate window loses nothing."""

    def __init__(self, path, total, reopen, lock):
        super().__init__(daemon=True)
        self.path, self.total, self.reopen, self.lock = path, total, reopen, lock
        self.written = 0

    def run(self):
        f = open(self.path, "ab", buffering=0)
        for i in range(1, self.total + 1):
            with self.lock:
                if self.reopen and i % self.reopen == 0:
                    f.close()
                    f = open(self.path, "ab", buffering=0)
                text = ("line %d payload %s\n" % (i, "x" * (i % 50))).encode()
                if i % 17 == 0:  # a line written in two pieces: a partial line for a moment
                    f.write(text[:5])
                    f.write(text[5:])
                else:
                    f.write(text)
                self.written = i
            if i % 10 == 0:
                time.sleep(0.01)
        f.close()


def rotate(conf, state):
    subprocess.run([LOGROTATE, "-f", "-s", state, conf], check=True, capture_output=True,
                   timeout=30)


def run_rotation(t, mode):
    a = Agent({})
    log = os.path.join(a.dir, "app.log")
    open(log, "w").close()
    conf = os.path.join(a.dir, "logrotate.conf")
    with open(conf, "w") as f:
        f.write("%s {\n  rotate 1000\n  %s\n  nocompress\n  missingok\n}\n"
                % (log, "copytruncate" if mode == "copytruncate" else "create 0644"))
    a.write_config(config([source(log, [
        {"metric": "lines_total", "regex": "^line "},
        {"metric": "line_numbers_total", "regex": "^line (?<value>\\d+) "},
    ], rotate_wait="2s")], interval="1s"))
    total = 8000
    lock = threading.Lock()
    w = Writer(log, total, 0 if mode == "copytruncate" else 150, lock)
    state = os.path.join(a.dir, "logrotate.state")
    events = {"rotations": 0, "sigterm": 0, "kill9": 0, "down_rotations": 0}
    try:
        a.start()
        w.start()
        deadline = time.monotonic() + 60
        step = 0
        while w.is_alive() and time.monotonic() < deadline:
            time.sleep(0.15)
            step += 1
            action = step % 5
            if action in (0, 2):
                with lock if mode == "copytruncate" else _nolock():
                    rotate(conf, state)
                events["rotations"] += 1
            elif action == 1:
                a.proc.send_signal(signal.SIGKILL)
                a.proc.wait(10)
                a.log.close()
                a.start()
                events["kill9"] += 1
            elif action == 3:
                a.stop()
                a.start()
                events["sigterm"] += 1
            elif action == 4 and step % 10 == 4:
                a.stop()
                with lock if mode == "copytruncate" else _nolock():
                    rotate(conf, state)
                time.sleep(0.05)
                a.start()
                events["down_rotations"] += 1
        w.join(30)
        n = w.written
        expect_sum = float(n * (n + 1) // 2)
        done = wait_until(lambda: a.metrics().get("lines_total") == float(n), 20, 0.1)
        m = a.metrics()
        t.ok(not w.is_alive() and n == total, "%s: writer wrote %d lines" % (mode, n))
        t.ok(events["rotations"] >= 10 and events["kill9"] >= 3 and events["sigterm"] >= 3,
             "%s: rotated %d times (%d while down), kill -9 %d, SIGTERM %d"
             % (mode, events["rotations"] + events["down_rotations"], events["down_rotations"],
                events["kill9"], events["sigterm"]))
        t.eq(m.get("lines_total"), float(n), "%s: every line counted exactly once" % mode)
        t.eq(m.get("line_numbers_total"), expect_sum,
             "%s: sum of line numbers (no loss hidden by a duplicate)" % mode)
        t.ok(done, "%s: converged" % mode, a.read_log()[-3000:])
    finally:
        a.stop()
        shutil.rmtree(a.dir, ignore_errors=True)


class _nolock:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_rotation_create(t):
    run_rotation(t, "create")


def test_rotation_copytruncate(t):
    run_rotation(t, "copytruncate")


def test_once_and_long_lines(t):
    a = Agent({})
    log = os.path.join(a.dir, "x.log")
    with open(log, "wb") as f:
        f.write(b"ERROR one\n" + b"A" * 5000 + b" ERROR too long\nERROR \xff\xfe binary\r\n"
                b"ERROR unterminated")
    cfg = config([source(log, [{"metric": "e_total", "regex": "ERROR"}],
                         max_line_size="1KiB")])
    a.write_config(cfg)
    try:
        r = subprocess.run([hwtest.BIN, "once", "-c", a.config_path], capture_output=True,
                           text=True, timeout=30)
        m = hwtest.parse_text_metrics(r.stdout)
        t.eq(r.returncode, 0, "once with a log source exits 0")
        t.eq(m.get("e_total"), 2.0, "once: the long line is skipped whole, the partial one waits")
        t.eq(m.get('hostwatch_log_lines_too_long_total{source="app"}'), 1.0,
             "once: the long line is counted")
        t.ok(not os.path.exists(os.path.join(a.dir, "state")), "once writes no checkpoint")
    finally:
        shutil.rmtree(a.dir, ignore_errors=True)


def test_corrupt_state(t):
    a = Agent({})
    log = os.path.join(a.dir, "c.log")
    with open(log, "w") as f:
        f.write("ERROR a\nERROR b\n")
    os.makedirs(os.path.join(a.dir, "state"))
    with open(os.path.join(a.dir, "state", "state.json"), "w") as f:
        f.write('{"format":"hostwatch-state/1","instances":{"logs:app":{"files":[]}},"crc32":7}')
    a.write_config(config([source(log, [{"metric": "e_total", "regex": "ERROR"}])]))
    try:
        a.start()
        t.ok(wait_until(lambda: a.metrics().get("e_total") == 2.0, 5),
             "corrupt state: lines counted from start_at", a.read_log())
        log_text = a.read_log()
        t.ok("state file not used" in log_text and "checksum mismatch" in log_text,
             "corrupt state: reported with its reason", log_text)
        kept = [n for n in os.listdir(os.path.join(a.dir, "state")) if ".corrupt-" in n]
        t.eq(len(kept), 1, "corrupt state: kept aside for inspection")
        t.eq(a.stop(), 0, "SIGTERM exits 0")
        with open(os.path.join(a.dir, "state", "state.json")) as f:
            t.ok('"logs:app"' in f.read(), "a fresh state file is written at exit")
    finally:
        a.stop()
        shutil.rmtree(a.dir, ignore_errors=True)


TAP().run([test_corrupt_state, test_filters_exact, test_once_and_long_lines, test_rotation_create,
           test_rotation_copytruncate])
