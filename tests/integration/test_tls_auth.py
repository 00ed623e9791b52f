"""The endpoint over HTTPS with basic auth: certificates made by openssl in the test, checked
by curl --cacert and by a real Prometheus; 401 for every wrong credential, in equal time;
/healthz left open; certificates renewed on SIGHUP; bad files rejected with the file named."""
import http.client
import os
import re
import shutil
import signal
import socket
import ssl
import statistics
import subprocess
import tempfile
import time
import json
import base64

import hwtest
from hwtest import make_cert
from hwtest import TAP, Agent, prom_query as query, prometheus_server, run_bin, wait_until

PASSWORD = "correct horse"


def hash_password(pw, method):
    r = subprocess.run([hwtest.BIN, "hash-password", "--method", method], input=pw + "\n",
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


def https_get(port, path, cafile, auth=None, timeout=5.0):
    """(status, headers, body), or None when no TLS session or answer came."""
    ctx = ssl.create_default_context(cafile=cafile)
    headers = {}
    if auth:
        headers["Authorization"] = "Basic " + base64.b64encode(
            ("%s:%s" % auth).encode()).decode()
    try:
        c = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=timeout)
        c.request("GET", path, headers=headers)
        r = c.getresponse()
        out = (r.status, {k.lower(): v for k, v in r.getheaders()}, r.read())
        c.close()
        return out
    except (OSError, ssl.SSLError, http.client.HTTPException):
        return None


def curl(args):
    return subprocess.run(["curl", "-sS", "--max-time", "10"] + args, capture_output=True,
                          timeout=30)


def config(cert, key, users):
    return {
        "agent": {"interval": "1s", "state_dir": "@DIR@/state"},
        "collectors": {"memory": {}},
        "exporters": {"prometheus": {
            "listen": "127.0.0.1:@PORT@",
            "tls": {"cert_file": cert, "key_file": key},
            "basic_auth": {"users": users, "open_paths": ["/healthz"]}}},
    }


def start(agent, cafile):
    agent.start(wait_ready=False)
    ok = wait_until(lambda: agent.proc.poll() is not None or
                    (https_get(agent.port, "/healthz", cafile) or (0,))[0] == 200, 15)
    if agent.proc.poll() is not None or not ok:
        raise RuntimeError("agent did not serve HTTPS:\n" + agent.read_log())


def test_https_and_auth(t, a, cert):
    url = "https://127.0.0.1:%d/metrics" % a.port
    r = curl(["--cacert", cert, "-u", "prom:" + PASSWORD, url])
    t.eq(r.returncode, 0, "curl --cacert with the right password", r.stderr)
    m = hwtest.parse_text_metrics(r.stdout.decode())
    t.eq(m.get("node_memory_MemTotal_bytes"), hwtest.meminfo_kb("MemTotal") * 1024.0,
         "MemTotal over HTTPS with basic auth")
    r = curl([url])
    t.ok(r.returncode == 60, "curl without --cacert refuses the self-signed certificate",
         r.stderr)
    for who, auth in (("no credentials", None), ("wrong password", ("prom", "x" + PASSWORD)),
                      ("unknown user", ("nobody", PASSWORD)), ("empty password", ("prom", ""))):
        r = https_get(a.port, "/metrics", cert, auth)
        t.ok(r and r[0] == 401 and r[2] == b"unauthorized\n", "401 for " + who, r)
        t.eq(r and r[1].get("www-authenticate"), 'Basic realm="hostwatch"',
             "401 asks for Basic (" + who + ")")
    for path in ("/nope", "/-/ready", "/"):
        r = https_get(a.port, path, cert)
        t.ok(r and r[0] == 401, "unauthenticated %s is 401, not revealing routes" % path, r)
    r = https_get(a.port, "/healthz", cert)
    t.ok(r and r[0] == 200 and r[2] == b"ok\n", "/healthz is open (open_paths)", r)
    r = https_get(a.port, "/-/ready", cert, ("ops", "ops-" + PASSWORD))
    t.ok(r and r[0] == 200, "second user (SHA-crypt hash) accepted", r)
    h = run_bin(["health", "-c", a.config_path])
    t.ok(h.returncode == 0 and h.stdout == "ok\n", "hostwatch health over HTTPS", h)
    dead = "http://127.0.0.1:%d" % hwtest.free_port()  # a proxy that is not there
    h = run_bin(["health", "-c", a.config_path], env={"https_proxy": dead, "HTTPS_PROXY": dead})
    t.ok(h.returncode == 0 and h.stdout == "ok\n",
         "hostwatch health goes to its own listener directly, not through a proxy", h)


def timed_401(port, cert, auth, n):
    times = []
    for _ in range(n):
        t0 = time.monotonic()
        r = https_get(port, "/metrics", cert, auth)
        times.append(time.monotonic() - t0)
        assert r and r[0] == 401, r
    return statistics.median(times)


def test_timing(t, a, cert):
    # Warm both paths, then alternate; bcrypt (cost 10) dominates both failures.
    timed_401(a.port, cert, ("nobody", "a"), 1)
    wrong_user = timed_401(a.port, cert, ("nobody", PASSWORD), 7)
    wrong_pass = timed_401(a.port, cert, ("prom", "not-" + PASSWORD), 7)
    ok_t = []
    for _ in range(5):
        t0 = time.monotonic()
        https_get(a.port, "/metrics", cert, ("prom", PASSWORD))
        ok_t.append(time.monotonic() - t0)
    diag = "wrong user %.1f ms, wrong password %.1f ms, cached success %.1f ms" % (
        wrong_user * 1e3, wrong_pass * 1e3, statistics.median(ok_t) * 1e3)
    print("# " + diag)
    t.ok(wrong_pass > 0.005, "a wrong password costs a real bcrypt check", diag)
    t.ok(0.6 < wrong_user / wrong_pass < 1.6,
         "unknown user and wrong password take the same time", diag)


def test_plain_http_on_tls_port(t, a, cert):
    s = socket.create_connection(("127.0.0.1", a.port), timeout=5)
    s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
    try:
        data = s.recv(4096)
    except OSError:
        data = b""
    s.close()
    t.ok(not data.startswith(b"HTTP/1.1 200"), "plain HTTP on the TLS port gets no metrics",
         data[:200])
    r = https_get(a.port, "/healthz", cert)
    t.ok(r and r[0] == 200, "the endpoint still serves after a plain-HTTP client", r)


def test_reload(t, a, cert_a, paths):
    cert_b, key_b = make_cert(a.dir, "renewed")
    shutil.copy(cert_b, paths[0])
    shutil.copy(key_b, paths[1])
    a.signal(signal.SIGHUP)
    ok = wait_until(lambda: (https_get(a.port, "/healthz", cert_b) or (0,))[0] == 200, 10)
    t.ok(ok, "SIGHUP: the renewed certificate is served", a.read_log()[-1500:])
    t.ok(https_get(a.port, "/healthz", cert_a) is None, "the old certificate is gone")
    other_cert, other_key = make_cert(a.dir, "other")
    shutil.copy(other_key, paths[1])  # a key that does not belong to the certificate
    a.signal(signal.SIGHUP)
    wait_until(lambda: "reload rejected" in a.read_log(), 10)
    log = a.read_log()
    t.ok("reload rejected" in log, "a key not matching the certificate is rejected", log[-1500:])
    t.ok(re.search(r'level=error comp=prometheus msg="[^"]*(key|certificate)', log, re.I),
         "the log says the certificate and key were refused", log[-1500:])
    r = https_get(a.port, "/metrics", cert_b, ("prom", PASSWORD))
    t.ok(r and r[0] == 200, "the running listener keeps serving the good pair", r)
    shutil.copy(key_b, paths[1])


def test_self_metrics(t, a, cert):
    def unauthorized():
        r = https_get(a.port, "/metrics", cert, ("prom", PASSWORD))
        m = hwtest.parse_text_metrics(r[2].decode()) if r and r[0] == 200 else {}
        return m.get('hostwatch_export_requests_total{exporter="prometheus",'
                     'result="unauthorized"}')
    v = wait_until(lambda: (unauthorized() or 0) >= 20, 5)
    t.ok(v, "unauthorized requests are counted", unauthorized())


def test_prometheus_scrapes(t, a, cert):
    prom = shutil.which("prometheus")
    if not prom:
        t.skip("Prometheus scrapes over HTTPS with basic auth", "prometheus not installed")
        return
    scrape = ("  - job_name: hostwatch\n"
              "    scheme: https\n"
              "    tls_config: {ca_file: '%s'}\n"
              "    basic_auth: {username: prom, password: '%s'}\n"
              "    static_configs: [{targets: ['127.0.0.1:%d']}]\n" % (cert, PASSWORD, a.port))
    with prometheus_server(prom, a.dir, scrape) as p:
        pport = p.port

        def stored():
            res = query(pport, "node_memory_MemTotal_bytes")
            return res if res else None
        res = wait_until(stored, 60, 0.5)
        t.ok(res and float(res[0]["value"][1]) == hwtest.meminfo_kb("MemTotal") * 1024.0,
             "a real Prometheus scrapes over HTTPS with basic auth and stores MemTotal",
             res or open(os.path.join(a.dir, "prometheus.log")).read()[-1500:])


def test_check_names_files(t, d):
    cfg = os.path.join(d, "bad.json")
    with open(cfg, "w") as f:
        json.dump({"collectors": {"memory": {}}, "exporters": {"prometheus": {
            "tls": {"cert_file": os.path.join(d, "missing.crt"), "key_file": cfg},
            "basic_auth": {"users": {"prom": "hunter2"}, "open_paths": ["/health"]}}}}, f)
    r = run_bin(["check", "-c", cfg])
    t.eq(r.returncode, 1, "check rejects bad TLS and auth settings")
    err = r.stderr
    t.ok(re.search(r"exporters\.prometheus\.tls\.cert_file: certificate \".*missing\.crt\": "
                   r"No such file", err), "check names the missing certificate", err)
    t.ok("exporters.prometheus.basic_auth.users.prom: not a password hash" in err,
         "check refuses a plain-text password", err)
    t.ok("basic_auth.open_paths[0]: \"/health\" is not an endpoint" in err,
         "check names a mistyped open path", err)


def main():
    t = TAP()
    d = tempfile.mkdtemp(prefix="hw-tls-")
    cert, key = make_cert(d, "first")
    live_cert, live_key = os.path.join(d, "live.crt"), os.path.join(d, "live.key")
    shutil.copy(cert, live_cert)
    shutil.copy(key, live_key)
    users = {"prom": hash_password(PASSWORD, "bcrypt"),
             "ops": hash_password("ops-" + PASSWORD, "sha512")}
    a = Agent(config(live_cert, live_key, users))
    try:
        start(a, cert)
        for fn in (lambda: test_https_and_auth(t, a, cert),
                   lambda: test_timing(t, a, cert),
                   lambda: test_plain_http_on_tls_port(t, a, cert),
                   lambda: test_self_metrics(t, a, cert),
                   lambda: test_prometheus_scrapes(t, a, cert),
                   lambda: test_reload(t, a, cert, (live_cert, live_key)),
                   lambda: test_check_names_files(t, d)):
            try:
                fn()
            except Exception as e:  # noqa: BLE001 - report and continue
                t.ok(False, "raised: %r" % e, a.read_log()[-1500:])
    finally:
        a.stop()
        shutil.rmtree(a.dir, ignore_errors=True)
        shutil.rmtree(d, ignore_errors=True)
    t.run([])


main()
