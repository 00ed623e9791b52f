"""Secrets: the running agent is not dumpable (no core file, no ptrace by its own user); known
secrets given in the environment, a credential_process, the config (a bearer token, a password
hash) and a password typed to hash-password never appear in the agent's log at debug level, nor
in the output of check, check --cost, once (every format) and --help-config, while they are
really used (the fake AWS and the remote-write receiver accept them); check warns when a config
holding a secret is readable by every user, and not when it is not."""
import json
import os
import shutil
import subprocess
import sys

import hwtest
from cwtest import FakeAWS, run_with_fake
from hwtest import Agent, run_bin, wait_until

ACCESS = "ASIAKNOWNACCESS00001"
SECRET = "KnownSecretKey/0123456789abcdefGHIJKLMN"
TOKEN = "KnownSessionToken+zyxwvutsrqponmlkjihgfedcba=="
PROC_SECRET = "ProcessSecret/9876543210ABCDEFghijklmnop"
BEARER = "KnownBearerToken.eyJhbGciOiJIUzI1NiJ9.abcdef"
PASSWORD = "KnownPassword#42"
SECRETS = (SECRET, TOKEN, PROC_SECRET, BEARER, PASSWORD)


def leaked(text):
    return [s for s in SECRETS if s in text]


def proc_uid(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("Uid:"):
                return int(line.split()[1])
    return None


def test_not_dumpable(t):
    d = hwtest.tempfile.mkdtemp(prefix="hw-sec-")
    os.chmod(d, 0o755)
    cfg = os.path.join(d, "hw.json")
    port = hwtest.free_port()
    with open(cfg, "w") as f:
        json.dump({"agent": {"state_dir": os.path.join(d, "state")}, "collectors": {"memory": {}},
                   "exporters": {"prometheus": {"listen": "127.0.0.1:%d" % port}}}, f)
    os.chmod(cfg, 0o644)
    os.mkdir(os.path.join(d, "state"))
    os.chown(os.path.join(d, "state"), 65534, 65534)
    nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    ctl = subprocess.Popen(nobody + ["sleep", "30"])
    agent = subprocess.Popen(nobody + [hwtest.BIN, "run", "-c", cfg], stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE)
    try:
        ok = wait_until(lambda: hwtest.http_get(port, "/-/healthy") is not None, 10)
        t.ok(ok, "the agent runs as nobody", agent.poll())
        t.eq((proc_uid(ctl.pid), os.stat("/proc/%d/environ" % ctl.pid).st_uid), (65534, 65534),
             "a dumpable process of nobody owns its /proc files (the check can tell)")
        t.eq((proc_uid(agent.pid), os.stat("/proc/%d/environ" % agent.pid).st_uid), (65534, 0),
             "the agent is not dumpable: its /proc files are root's, no core, no ptrace by nobody")
    finally:
        for p in (agent, ctl):
            p.terminate()
            p.wait(10)
        shutil.rmtree(d, ignore_errors=True)


def config(fake, d, rw_port_url):
    h = subprocess.run([hwtest.BIN, "hash-password", "--method", "sha512"],
                       input=PASSWORD + "\n", capture_output=True, text=True, timeout=30)
    return {"agent": {"interval": "500ms", "state_dir": os.path.join(d, "state"),
                      "log_level": "debug"},
            "collectors": {"memory": {}},
            "exporters": {
                "prometheus": {"listen": "127.0.0.1:@PORT@",
                               "basic_auth": {"users": {"ops": h.stdout.strip()},
                                              "open_paths": ["/-/ready", "/-/healthy"]}},
                "cloudwatch": {"endpoint": fake.cloudwatch_url, "region": fake.region,
                               "flush_interval": "1s", "namespace": "HWTest",
                               "metrics": ["mem_used_percent"]},
                "remote_write": {"url": rw_port_url, "flush_interval": "1s",
                                 "bearer_token": BEARER}}}, h


def outputs(cfg_path, env):
    outs = []
    for args in (["check", "-c", cfg_path], ["check", "--cost", "-c", cfg_path],
                 ["once", "-c", cfg_path], ["once", "-c", cfg_path, "--format", "cloudwatch"],
                 ["once", "-c", cfg_path, "--format", "json"], ["--help-config"],
                 ["--help-config", "--format", "json-schema"]):
        r = run_bin(args, env=env, timeout=60)
        outs.append((" ".join(args[:2]), r.stdout + r.stderr))
    return outs


def test_no_secret_in_output(t):
    with FakeAWS() as fake:
        fake.add_key(ACCESS, SECRET, token=TOKEN)
        fake.remote_write_auth = ("bearer", BEARER)
        env = {"AWS_ACCESS_KEY_ID": ACCESS, "AWS_SECRET_ACCESS_KEY": SECRET,
               "AWS_SESSION_TOKEN": TOKEN, "AWS_REGION": fake.region,
               "AWS_EC2_METADATA_DISABLED": "true"}
        a = Agent({}, env=env)
        cfg, h = config(fake, a.dir, fake.base_url + "/api/v1/write")
        t.eq(leaked(h.stdout + h.stderr), [], "hash-password prints no password")
        a.write_config(cfg)
        try:
            a.start()
            t.ok(wait_until(lambda: fake.datums(name="mem_used_percent"), 15),
                 "CloudWatch accepted the environment's session key", fake.counts())
            t.ok(wait_until(lambda: fake.remote_write_samples(), 15),
                 "the receiver accepted the bearer token", fake.counts())
        finally:
            a.stop()
        log = a.read_log()
        t.ok("credentials=environment" in log, "the log speaks of the credentials it uses", log)
        t.eq(leaked(log), [], "no secret in the agent's log")
        for name, out in outputs(a.config_path, env):
            t.eq(leaked(out), [], "no secret in the output of %s" % name)
        shutil.rmtree(a.dir, ignore_errors=True)


def test_credential_process(t):
    with FakeAWS() as fake:
        fake.add_key("ASIAPROCESSKEY000001", PROC_SECRET, token=TOKEN)
        a = Agent({})
        d = a.dir
        helper = os.path.join(d, "creds.py")
        with open(helper, "w") as f:
            f.write("import json\nprint(json.dumps({'Version': 1, 'AccessKeyId': "
                    "'ASIAPROCESSKEY000001', 'SecretAccessKey': %r, 'SessionToken': %r}))\n"
                    % (PROC_SECRET, TOKEN))
        conf = os.path.join(d, "aws-config")
        with open(conf, "w") as f:
            f.write("[profile p]\ncredential_process = %s %s\n" % (sys.executable, helper))
        a.env.update(AWS_CONFIG_FILE=conf, AWS_PROFILE="p", AWS_REGION=fake.region,
                     AWS_SHARED_CREDENTIALS_FILE=os.path.join(d, "none"),
                     AWS_EC2_METADATA_DISABLED="true")
        for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
            a.env.pop(k, None)
        a.write_config({"agent": {"interval": "500ms", "state_dir": "@DIR@/state",
                                  "log_level": "debug"},
                        "collectors": {"memory": {}},
                        "exporters": {"prometheus": {"listen": "127.0.0.1:@PORT@"},
                                      "cloudwatch": {"endpoint": fake.cloudwatch_url,
                                                     "region": fake.region,
                                                     "flush_interval": "1s",
                                                     "namespace": "HWTest",
                                                     "metrics": ["mem_used_percent"]}}})
        try:
            a.start()
            t.ok(wait_until(lambda: fake.datums(name="mem_used_percent"), 15),
                 "CloudWatch accepted the credential_process key", fake.counts())
        finally:
            a.stop()
        t.eq(leaked(a.read_log()), [], "no secret from credential_process in the log")
        shutil.rmtree(d, ignore_errors=True)


def test_check_warns_on_readable_secrets(t):
    d = hwtest.tempfile.mkdtemp(prefix="hw-sec-")
    p = os.path.join(d, "hw.json")
    with open(p, "w") as f:
        json.dump({"agent": {"state_dir": d}, "collectors": {"memory": {}},
                   "exporters": {"remote_write": {"url": "http://127.0.0.1:9/api/v1/write",
                                                  "bearer_token": BEARER}}}, f)
    for mode, want in ((0o644, True), (0o640, False), (0o600, False)):
        os.chmod(p, mode)
        r = run_bin(["check", "-c", p])
        warned = "exporters.remote_write.bearer_token: warning: a secret in a file every user " \
                 "can read" in r.stderr
        t.ok(r.returncode == 0 and warned == want, "mode %03o: %s" % (
            mode, "warned" if want else "no warning"), r.stderr)
        t.eq(leaked(r.stdout + r.stderr), [], "mode %03o: the warning does not show the token"
             % mode)
    shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    run_with_fake("secrets", [test_not_dumpable, test_no_secret_in_output, test_credential_process,
                              test_check_warns_on_readable_secrets])
