"""The two views of the status document on a real agent: `hostwatch status` (once, --json,
--watch, no agent, basic auth) and the page at GET / loaded in Debian's headless Chromium,
which must show the tailed file and the FSFO role; its screenshot is kept in the test's
working directory (the build tree)."""
import json
import os
import shutil
import signal
import subprocess
import time

import hwtest
from hwtest import TAP, Agent, http_get, make_cert, run_bin, wait_until

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def config(d, auth=None):
    prom = {"listen": "127.0.0.1:@PORT@"}
    if auth:
        prom["basic_auth"] = {"users": {"ops": auth}, "open_paths": ["/-/ready", "/-/healthy"]}
    return {"agent": {"interval": "500ms", "state_dir": "@DIR@/state"},
            "collectors": {"logs": [{"name": "app", "paths": [os.path.join(d, "app.log")],
                                     "start_at": "beginning",
                                     "filters": [{"name": "errors", "metric": "errors_total",
                                                  "regex": "ERROR"}]}],
                           "fsfo": {"observer_logs": [os.path.join(d, "observer.log")],
                                    "databases": ["orclviq", "orclstd"]}},
            "exporters": {"prometheus": prom},
            "health": {"rules": [{"name": "orclstd is primary", "metric": "oracle_fsfo_is_primary",
                                  "labels": {"database": "orclstd"}, "equals": 1}]}}


def agent(auth=None):
    a = Agent({})
    with open(os.path.join(a.dir, "app.log"), "w") as f:
        f.write("ok\nERROR disk\n")
    with open(os.path.join(a.dir, "observer.log"), "w") as f:
        f.write('Failover succeeded, new primary is "orclstd"\n')
    a.write_config(config(a.dir, auth))
    return a


def ready(a):
    """The document lists the log source after its first collection."""
    r = http_get(a.port, "/status")
    if not r or r[0] != 200:
        return False
    doc = json.loads(r[2].decode())
    return any(c["name"] == "app" and c["collections"] > 0 for c in doc["collectors"])


def test_status_command(t):
    a = agent()
    try:
        a.start()
        t.ok(wait_until(lambda: ready(a), 10), "the agent has a status document")
        r = run_bin(["status", "-c", a.config_path])
        log = os.path.join(a.dir, "app.log")
        t.ok(r.returncode == 0 and log in r.stdout and "primary orclstd" in r.stdout and
             "errors" in r.stdout, "status: the tailed file, the filter and the primary",
             r.stdout + r.stderr)
        r = run_bin(["status", "-c", a.config_path, "--json"])
        doc = json.loads(r.stdout) if r.returncode == 0 else {}
        t.eq(doc.get("format"), "hostwatch-status/1", "--json: the document itself")
        p = subprocess.Popen([hwtest.BIN, "status", "-c", a.config_path, "--watch", "1"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(3.5)
        p.send_signal(signal.SIGTERM)
        out, _ = p.communicate(timeout=10)
        t.ok(p.returncode == 0 and out.count("hostwatch %s" % doc.get("version")) >= 3,
             "--watch 1: redrawn every second, ends on SIGTERM (%d views)" %
             out.count("hostwatch %s" % doc.get("version")))
    finally:
        a.stop()
    r = run_bin(["status", "-c", a.config_path])
    lines = r.stderr.strip().splitlines()
    t.ok(r.returncode == 1 and len(lines) == 1 and "no agent answers at http://127.0.0.1:%d"
         % a.port in lines[0], "no agent: one line naming the address", r.stderr)
    shutil.rmtree(a.dir, ignore_errors=True)


def test_status_with_basic_auth(t):
    h = subprocess.run([hwtest.BIN, "hash-password", "--method", "sha512"], input="pw1\n",
                       capture_output=True, text=True, timeout=30).stdout.strip()
    a = agent(auth=h)
    try:
        a.start()
        r = run_bin(["status", "-c", a.config_path])
        t.ok(r.returncode == 1 and "asks for credentials: set HOSTWATCH_STATUS_USER" in r.stderr,
             "without credentials: one line saying how to give them", r.stderr)
        env = {"HOSTWATCH_STATUS_USER": "ops", "HOSTWATCH_STATUS_PASSWORD": "pw1"}
        t.ok(wait_until(lambda: run_bin(["status", "-c", a.config_path], env=env).returncode == 0,
                        10), "with them from the environment: the view")
        t.eq((http_get(a.port, "/") or (None,))[0], 401, "GET / needs them too")
    finally:
        a.stop()
        shutil.rmtree(a.dir, ignore_errors=True)


def test_status_over_tls(t):
    """HTTPS with basic auth: a wrong CA is one line naming the certificate, the right one and
    the credentials give the view."""
    h = subprocess.run([hwtest.BIN, "hash-password", "--method", "sha512"], input="pw2\n",
                       capture_output=True, text=True, timeout=30).stdout.strip()
    a = agent(auth=h)
    cert, key = make_cert(a.dir, "agent")
    other, _ = make_cert(a.dir, "other")
    cfg = config(a.dir, h)
    cfg["exporters"]["prometheus"]["tls"] = {"cert_file": cert, "key_file": key}
    a.write_config(cfg)
    env = {"HOSTWATCH_STATUS_USER": "ops", "HOSTWATCH_STATUS_PASSWORD": "pw2"}
    try:
        a.start(wait_ready=False)
        t.ok(wait_until(lambda: run_bin(["status", "-c", a.config_path, "--ca", cert],
                                        env=env).returncode == 0, 15),
             "HTTPS, the agent's CA and the credentials: the view")
        r = run_bin(["status", "-c", a.config_path, "--ca", other], env=env)
        lines = r.stderr.strip().splitlines()
        t.ok(r.returncode == 1 and len(lines) == 1 and "certificate" in lines[0] and
             "--ca" in lines[0], "another CA: one line about the certificate", r.stderr)
        r = run_bin(["status", "-c", a.config_path, "--ca", cert])
        t.ok(r.returncode == 1 and "asks for credentials" in r.stderr,
             "HTTPS without credentials: one line saying how to give them", r.stderr)
    finally:
        a.stop()
        shutil.rmtree(a.dir, ignore_errors=True)


def test_page_in_chromium(t):
    if not CHROMIUM:
        t.ok(False, "chromium is needed for this test: apt-get install chromium")
        return
    a = agent()
    prof = hwtest.tempfile.mkdtemp(prefix="hw-chromium-")
    shot = os.path.abspath("test_status_views-page.png")
    try:
        a.start()
        t.ok(wait_until(lambda: ready(a), 10), "the agent has a status document")
        r = http_get(a.port, "/")
        t.ok(r and r[0] == 200 and b"<script" not in r[2], "GET / is HTML without script")
        url = "http://127.0.0.1:%d/" % a.port
        base = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                "--user-data-dir=" + prof]
        dom = subprocess.run(base + ["--dump-dom", url], capture_output=True, text=True,
                             timeout=90).stdout
        log = os.path.join(a.dir, "app.log")
        t.ok(log in dom, "the page shows the tailed file", dom[:2000])
        t.ok("orclstd" in dom and "primary" in dom, "... and the FSFO role")
        if os.path.exists(shot):
            os.unlink(shot)
        subprocess.run(base + ["--screenshot=" + shot, "--window-size=1280,1600", url],
                       capture_output=True, timeout=90)
        ok = os.path.exists(shot) and open(shot, "rb").read(8) == b"\x89PNG\r\n\x1a\n"
        t.ok(ok and os.path.getsize(shot) > 10000, "a screenshot, kept at %s (%d bytes)" % (
            shot, os.path.getsize(shot) if os.path.exists(shot) else 0))
    finally:
        a.stop()
        shutil.rmtree(a.dir, ignore_errors=True)
        shutil.rmtree(prof, ignore_errors=True)


TAP().run([test_status_command, test_status_with_basic_auth, test_status_over_tls,
           test_page_in_chromium])
