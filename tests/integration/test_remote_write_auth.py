"""The remote write exporter against the fake AWS endpoint's receivers: SigV4 for Amazon Managed
Prometheus (service aps, signature recomputed with botocore; static and session credentials),
basic auth and bearer tokens, 500s then recovery (every sample delivered exactly once, in
order), a 400 (dropped and counted, not retried), and garbage or huge answers (no crash)."""
import json
import os
import shutil
import signal
import time

from hwtest import TAP, Agent, wait_until

try:
    from fakeaws import FakeAWS
except ImportError:  # botocore missing: reported as a skip
    FakeAWS = None

LINES = 10


def run_agent(fake, url, creds="static", **rw):
    c = {"url": url, "flush_interval": "300ms", "metrics": ["app_lines_total"],
         "max_retries": 5, "timeout": "2s"}
    c.update(rw)
    a = Agent({}, env=fake.environ(creds))
    log = os.path.join(a.dir, "app.log")
    open(log, "w").close()
    a.write_config({"agent": {"interval": "200ms", "state_dir": "@DIR@/state"},
                    "collectors": {"logs": [{"name": "app", "paths": [log],
                                             "start_at": "beginning",
                                             "filters": [{"metric": "app_lines_total",
                                                          "regex": "^line "}]}]},
                    "exporters": {"prometheus": {"listen": "127.0.0.1:@PORT@"},
                                  "remote_write": c}})
    return a, log


def write_lines(path, start, n):
    with open(path, "a") as f:
        for i in range(start, start + n):
            f.write("line %d\n" % i)
    return start + n


def latest(fake):
    s = fake.remote_write_samples("app_lines_total")
    return max(s, key=lambda x: x["ts"])["value"] if s else None


def stat(agent, family, result):
    return agent.metrics().get('%s{exporter="remote_write",result="%s"}' % (family, result))


def check_once_in_order(t, fake, label):
    s = fake.remote_write_samples("app_lines_total")
    ts = [x["ts"] for x in s]
    t.ok(s and ts == sorted(set(ts)), label + ": every sample once, in time order",
         ts[-20:])


def test_sigv4(t):
    for creds in ("static", "ecs"):
        with FakeAWS() as fake:
            url = fake.base_url + "/workspaces/ws-hw/api/v1/remote_write"
            a, log = run_agent(fake, url, creds, sigv4={"region": fake.region})
            try:
                a.start()
                write_lines(log, 1, LINES)
                ok = wait_until(lambda: latest(fake) == float(LINES), 10)
                t.ok(ok, "sigv4 %s: samples accepted (signature verified by botocore)" % creds,
                     (fake.counts(), a.read_log()[-1500:]))
                t.eq({k: v for k, v in fake.counts().items() if k != "rw_accepted"
                      and not k.startswith(("imds", "ecs"))}, {},
                     "sigv4 %s: no request refused" % creds)
                keys = {x["access_key"] for x in fake.remote_write_samples()}
                src = {fake.key_source(k) for k in keys}
                t.eq(src, {creds}, "sigv4 %s: signed with the %s key" % (creds, creds))
                labels = fake.remote_write_samples("app_lines_total")[0]["labels"]
                t.eq(labels, {"__name__": "app_lines_total"}, "sigv4: labels as exposed")
            finally:
                a.stop()
                shutil.rmtree(a.dir, ignore_errors=True)


def test_basic_and_bearer(t):
    with FakeAWS() as fake:
        url = fake.base_url + "/api/v1/write"
        tmp = Agent({})
        pw = os.path.join(tmp.dir, "pw")
        with open(pw, "w") as f:
            f.write("s3cret\n")
        cases = [("basic", ("basic", "alice", "s3cret"),
                  {"basic_auth": {"username": "alice", "password": "s3cret"}}),
                 ("basic password_file", ("basic", "alice", "s3cret"),
                  {"basic_auth": {"username": "alice", "password_file": pw}}),
                 ("bearer token", ("bearer", "tok-123"), {"bearer_token": "tok-123"}),
                 ("bearer token file", ("bearer", "s3cret"), {"bearer_token_file": pw})]
        for label, want, auth in cases:
            fake.reset()
            fake.remote_write_auth = want
            a, log = run_agent(fake, url, **auth)
            try:
                a.start()
                write_lines(log, 1, LINES)
                t.ok(wait_until(lambda: latest(fake) == float(LINES), 10),
                     label + ": accepted", (fake.counts(), a.read_log()[-1000:]))
                t.eq(fake.count("auth_error"), 0, label + ": never refused")
            finally:
                a.stop()
                shutil.rmtree(a.dir, ignore_errors=True)
        fake.reset()
        fake.remote_write_auth = ("basic", "alice", "other")
        a, log = run_agent(fake, url, basic_auth={"username": "alice", "password": "s3cret"})
        try:
            a.start()
            write_lines(log, 1, LINES)
            t.ok(wait_until(lambda: (stat(a, "hostwatch_export_requests_total", "rejected")
                                     or 0) >= 2, 10),
                 "wrong password: 401 answers counted as rejected", fake.counts())
            t.eq(fake.count("auth_error"), stat(a, "hostwatch_export_requests_total",
                                                "rejected"),
                 "a 401 is not retried (one request per rejection)")
            t.ok("request rejected by the receiver" in a.read_log(), "the rejection is logged")
            t.eq(a.read_log().count("status=401"), 1, "logged once per status")
        finally:
            a.stop()
            shutil.rmtree(a.dir, ignore_errors=True)
        shutil.rmtree(tmp.dir, ignore_errors=True)


def check_retry_after(t, fake, log, n):
    """A 429 with Retry-After: 2 is retried after 2 s, not after the jittered backoff."""
    fake.remote_write_throttle(1, 2)
    write_lines(log, n, 1)
    t.ok(wait_until(lambda: latest(fake) == float(n), 20), "429: delivered afterwards",
         fake.counts())
    log_ = fake.requests("aps")
    i = max(k for k, r in enumerate(log_) if r.outcome == "rw_throttled")
    gap = log_[i + 1].time - log_[i].time if i + 1 < len(log_) else None
    t.ok(gap is not None and 1.9 <= gap < 5, "429: the retry waited for Retry-After (%s s)" % gap)


def test_failures(t):
    with FakeAWS() as fake:
        a, log = run_agent(fake, fake.base_url + "/api/v1/write")
        try:
            a.start()
            n = write_lines(log, 1, LINES)
            t.ok(wait_until(lambda: latest(fake) == float(LINES), 10), "delivery starts",
                 (fake.counts(), a.read_log()[-1000:]))
            fake.set_fault("internal_error", count=3, target="aps")
            n = write_lines(log, n, LINES)
            t.ok(wait_until(lambda: latest(fake) == 2.0 * LINES, 20),
                 "after three 500s the samples arrive", fake.counts())
            t.eq(fake.count("fault_internal_error"), 3, "the 500s were retried")
            check_once_in_order(t, fake, "500s then recovery")
            fake.set_fault("bad_request", count=1, target="aps")
            t.ok(wait_until(lambda: stat(a, "hostwatch_export_requests_total", "rejected")
                            == 1.0, 10), "a 400 is counted as rejected", fake.counts())
            time.sleep(1)
            t.eq(fake.count("fault_bad_request"), 1, "a 400 is not retried")
            t.ok((stat(a, "hostwatch_export_datapoints_total", "dropped") or 0) >= 1,
                 "its samples are counted as dropped")
            t.ok("out of bounds sample (fake)" in a.read_log(),
                 "the receiver's message is logged", a.read_log()[-1000:])
            for mode in ("garbage", "huge", "not_http"):
                fake.set_fault(mode, count=1, target="aps", status=200)
                n = write_lines(log, n, 1)
                t.ok(wait_until(lambda: latest(fake) == float(n - 1), 20),
                     "%s answer: the agent goes on delivering" % mode, fake.counts())
            t.ok(a.proc.poll() is None, "the agent survived every bad answer")
            check_retry_after(t, fake, log, n)
            n += 1
            fake.set_outage("reset", target="aps")
            n = write_lines(log, n, LINES)
            t.ok(wait_until(lambda: (stat(a, "hostwatch_export_datapoints_total", "spooled")
                                     or 0) > 0, 20), "an outage fills the spool")
            fake.clear_fault()
            t.ok(wait_until(lambda: latest(fake) == float(n - 1), 30),
                 "the spool is replayed when the receiver is back", fake.counts())
            check_once_in_order(t, fake, "after the outage")
        finally:
            a.stop()
            shutil.rmtree(a.dir, ignore_errors=True)


def test_reload(t):
    """SIGHUP with a changed exporter: the new one takes over the spool, delivery goes on."""
    with FakeAWS() as fake:
        url = fake.base_url + "/api/v1/write"
        a, log = run_agent(fake, url)
        try:
            a.start()
            n = write_lines(log, 1, LINES)
            t.ok(wait_until(lambda: latest(fake) == float(LINES), 10), "reload: delivering")
            cfg = json.load(open(a.config_path))
            cfg["exporters"]["remote_write"]["flush_interval"] = "400ms"
            a.write_config(cfg)
            a.signal(signal.SIGHUP)
            t.ok(wait_until(lambda: "reload" in a.read_log() and "ready" in
                            a.read_log().split("reload", 1)[1], 10), "reload: new exporter up",
                 a.read_log()[-1500:])
            n = write_lines(log, n, LINES)
            t.ok(wait_until(lambda: latest(fake) == float(n - 1), 10),
                 "reload: delivery continues", (fake.counts(), a.read_log()[-1500:]))
            t.ok("spool unavailable" not in a.read_log(), "reload: the spool was handed over",
                 a.read_log()[-1500:])
            check_once_in_order(t, fake, "reload")
        finally:
            a.stop()
            shutil.rmtree(a.dir, ignore_errors=True)


def main():
    t = TAP()
    if FakeAWS is None:
        t.skip("remote write against the fake receivers", "python3-botocore not installed")
    t.run([] if FakeAWS is None else [test_sigv4, test_basic_and_bearer, test_failures,
                                      test_reload])


main()
