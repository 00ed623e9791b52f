"""The CloudWatch exporter's failure paths against the local fake AWS: a skewed clock
(RequestExpired), AccessDenied, an HTTP proxy from the environment (and NO_PROXY), an HTTPS
endpoint with and without `ca_file`, and credentials from a `credential_process`. In every case
the log must say what is wrong in words an operator can act on, and the batches refused
meanwhile must be delivered, each exactly once, when the cause goes away."""
import os
import re
import shutil
import subprocess
import tempfile

from cwtest import config, delivered, FakeAWS, run_agent, run_with_fake, write_lines
from hwtest import wait_until

from fwdproxy import ForwardProxy

SPOOLED = 'hostwatch_export_datapoints_total{exporter="cloudwatch",result="spooled"}'


def spooled(agent):
    return agent.metrics().get(SPOOLED, 0)


def test_clock_skew(t):
    """The fake's clock runs 1000 s ahead: the agent's looks 16m40s behind."""
    with FakeAWS() as fake:
        a, log = run_agent(fake, "static")
        try:
            a.start()
            fake.set_clock_offset(1000)
            n = write_lines(log, 1, 5)
            m = wait_until(lambda: re.search(r"local clock is (\d+)m(\d\d)s behind the server",
                                             a.read_log()), 10)
            t.ok(m, "RequestExpired: the log states the skew", a.read_log()[-1500:])
            skew = int(m.group(1)) * 60 + int(m.group(2)) if m else 0
            t.ok(abs(skew - 1000) <= 2, "the skew is measured from the Date header (%d s)" % skew)
            t.ok(fake.count("request_expired") >= 1, "the fake refused the requests as expired",
                 fake.counts())
            t.ok(wait_until(lambda: spooled(a) >= 5, 10), "the refused batches are spooled")
            t.eq(delivered(fake), 0, "nothing was accepted while the clocks disagree")
            fake.set_clock_offset(0)
            n = write_lines(log, n, 3)
            t.ok(wait_until(lambda: delivered(fake) == float(n - 1), 15),
                 "once the clocks agree every line is delivered exactly once (%s of %d)"
                 % (delivered(fake), n - 1), fake.counts())
            t.eq(a.read_log().count("local clock is"), 1, "the skew is logged once, not per flush")
        finally:
            a.stop()
            shutil.rmtree(a.dir, ignore_errors=True)


def _denied_message(fake, creds, extra_env):
    """Runs an agent whose PutMetricData is denied; returns (log text, spooled count)."""
    a, log = run_agent(fake, creds, extra_env)
    try:
        a.start()
        fake.set_fault("access_denied", count=None)
        n = write_lines(log, 1, 4)
        wait_until(lambda: "permission denied" in a.read_log(), 10)
        wait_until(lambda: spooled(a) >= 4, 10)
        held, before = spooled(a), delivered(fake)
        fake.clear_fault()
        write_lines(log, n, 2)
        ok = wait_until(lambda: delivered(fake) == 6.0, 15)
        return a.read_log(), held, before, ok
    finally:
        a.stop()
        shutil.rmtree(a.dir, ignore_errors=True)


def test_access_denied(t):
    """The message names the action and who was refused, never a secret; the batches are kept
    in the spool (a policy fixed later gets them delivered)."""
    cases = (("static", {}, "AWS_ACCESS_KEY_ID, access key AKIAHOST..."),
             ("imds", {}, "instance role hostwatch-role, access key ASIA"),
             ("ecs", {}, "role arn:aws:iam::123456789012:role/hostwatch, access key ASIA"))
    for creds, env, who in cases:
        with FakeAWS() as fake:
            text, held, before, ok = _denied_message(fake, creds, env)
            line = next((x for x in text.splitlines() if "permission denied" in x), "")
            t.ok("cloudwatch:PutMetricData" in line and who in line,
                 "%s: the message names the action and %r" % (creds, who), text[-1500:])
            known = fake.secrets()
            t.ok(len(known) >= 1 and not any(x in text for x in known),
                 "%s: none of the %d secrets and tokens is in the log" % (creds, len(known)))
            t.ok(held >= 4 and before == 0, "%s: denied batches were spooled (%d), none accepted"
                 % (creds, held))
            t.ok(ok, "%s: after the policy is fixed every line is delivered once" % creds,
                 fake.counts())


def test_proxy(t):
    """http_proxy from the environment is used (libcurl reads it); NO_PROXY bypasses it."""
    for no_proxy in (None, "127.0.0.1"):
        with FakeAWS() as fake, ForwardProxy() as proxy:
            env = {"http_proxy": proxy.url}
            if no_proxy:
                env["NO_PROXY"] = no_proxy
            a, log = run_agent(fake, "static", env)
            try:
                a.start()
                write_lines(log, 1, 5)
                ok = wait_until(lambda: delivered(fake) == 5.0, 10)
                label = "NO_PROXY=%s" % no_proxy if no_proxy else "http_proxy"
                t.ok(ok, "%s: delivered" % label, (fake.counts(), a.read_log()[-1000:]))
                posts = [u for m, u in proxy.seen() if m == "POST"]
                if no_proxy:
                    t.eq(proxy.seen(), [], "%s: the proxy saw nothing" % label)
                else:
                    t.ok(len(posts) >= 1 and all(u == fake.cloudwatch_url for u in posts),
                         "%s: the PutMetricData requests went through the proxy (%d)"
                         % (label, len(posts)), proxy.seen())
            finally:
                a.stop()
                shutil.rmtree(a.dir, ignore_errors=True)


def _self_signed(d):
    cert, key = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                    "-out", cert, "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True, timeout=60)
    return cert, key


def test_tls_ca_file(t):
    """An HTTPS endpoint with a private certificate: refused (and said so) without ca_file,
    the batches kept; delivered, those included, once ca_file names the certificate."""
    d = tempfile.mkdtemp(prefix="hw-tls-")
    cert, key = _self_signed(d)
    with FakeAWS(tls_cert=cert, tls_key=key) as fake:
        a, log = run_agent(fake, "static")
        try:
            a.start()
            n = write_lines(log, 1, 5)
            t.ok(wait_until(lambda: "TLS connection to https://127.0.0.1" in a.read_log(), 10),
                 "without ca_file: the log says the TLS connection failed", a.read_log()[-1500:])
            line = next((x for x in a.read_log().splitlines() if "TLS connection" in x), "")
            t.ok("ca_file" in line and re.search(r"certificate", line, re.I),
                 "the message names the certificate problem and ca_file", line)
            t.ok(wait_until(lambda: spooled(a) >= 5, 10), "the batches are spooled")
            t.eq(delivered(fake), 0, "nothing reached the service")
            a.stop()
            a.write_config(config(fake, log, ca_file=cert))
            a.start()
            n = write_lines(log, n, 3)
            t.ok(wait_until(lambda: delivered(fake) == float(n - 1), 15),
                 "with ca_file: delivered, the spooled batches too, each once (%s of %d)"
                 % (delivered(fake), n - 1), (fake.counts(), a.read_log()[-1000:]))
        finally:
            a.stop()
            shutil.rmtree(a.dir, ignore_errors=True)
            shutil.rmtree(d, ignore_errors=True)


HELPER = """import json, sys
if sys.argv[1] == "fail":
    sys.stderr.write("token refresh failed\\nsecond line\\n")
    sys.exit(3)
json.dump({"Version": 1, "AccessKeyId": sys.argv[2], "SecretAccessKey": sys.argv[3]},
          sys.stdout)
"""


def _process_profile(d, profile, mode, key):
    """A config file whose profile runs a helper script (in a path with a space)."""
    script = os.path.join(d, "creds helper.py")
    with open(script, "w") as f:
        f.write(HELPER)
    conf = os.path.join(d, "config")
    section = "default" if profile == "default" else "profile " + profile
    with open(conf, "w") as f:
        f.write("[%s]\nregion = eu-west-1\ncredential_process = /usr/bin/python3 '%s' %s %s %s\n"
                % (section, script, mode, key[0], key[1]))
    return {"AWS_CONFIG_FILE": conf, "AWS_PROFILE": profile,
            "AWS_SHARED_CREDENTIALS_FILE": os.path.join(d, "none"),
            "AWS_EC2_METADATA_DISABLED": "true"}


def test_credential_process(t):
    """A profile's credential_process gives the keys; a failing one is reported by profile and
    file with its exit status and stderr, and never with a secret."""
    for profile, mode in (("default", "ok"), ("ci", "fail")):
        d = tempfile.mkdtemp(prefix="hw-cp-")
        with FakeAWS() as fake:
            env = _process_profile(d, profile, mode, fake.static_key())
            a, log = run_agent(fake, "imds", env)
            try:
                a.start()
                write_lines(log, 1, 5)
                if mode == "ok":
                    t.ok(wait_until(lambda: delivered(fake) == 5.0, 10),
                         "credential_process: delivered", (fake.counts(), a.read_log()[-1500:]))
                    t.ok("credentials=process" in a.read_log(),
                         "credential_process: the log names the source")
                    t.eq({fake.key_source(x.access_key) for x in fake.datums()}, {"static"},
                         "credential_process: signed with the key the helper printed")
                    continue
                want = ("credential_process of profile ci in %s: it exited with status 3; "
                        "stderr: token refresh failed;" % env["AWS_CONFIG_FILE"])
                t.ok(wait_until(lambda: want in a.read_log(), 10),
                     "a failing credential_process is reported with profile, file, status and "
                     "stderr", a.read_log()[-1500:])
                t.ok("dry run" in a.read_log() and fake.count("accepted") == 0,
                     "without credentials the agent runs dry")
                t.ok(fake.static_key()[1] not in a.read_log(), "no secret in the log")
            finally:
                a.stop()
                shutil.rmtree(a.dir, ignore_errors=True)
                shutil.rmtree(d, ignore_errors=True)


def main():
    run_with_fake("cloudwatch exporter failure paths",
                  [test_clock_skew,
                   test_access_denied,
                   test_proxy,
                   test_tls_ca_file,
                   test_credential_process])


main()
