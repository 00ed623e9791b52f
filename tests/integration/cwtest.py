"""Helpers shared by the CloudWatch exporter's integration tests: an agent config that tails
one log into a counter, sends it to a FakeAWS, and the sums of what the fake accepted."""
import os

from hwtest import TAP, Agent

try:
    from fakeaws import FakeAWS  # noqa: F401 - the tests take it from here
except ImportError:  # botocore missing: run_with_fake reports a skip
    FakeAWS = None


def config(fake, log, **cw):
    c = {"endpoint": fake.cloudwatch_url, "region": fake.region, "flush_interval": "1s",
         "namespace": "HWTest", "metrics": ["mem_used_percent", "lines_total"],
         "dimensions": {"host": "test-host"}, "max_retries": 2, "timeout": "2s"}
    c.update(cw)
    return {"agent": {"interval": "500ms", "state_dir": "@DIR@/state",
                      "checkpoint_interval": "200ms"},
            "collectors": {"memory": {},
                           "logs": [{"name": "app", "paths": [log], "start_at": "beginning",
                                     "filters": [{"metric": "lines_total",
                                                  "regex": "^line ", "unit": "Count"}]}]},
            "exporters": {"cloudwatch": c,
                          "prometheus": {"listen": "127.0.0.1:@PORT@"}}}


def delivered(fake, name="lines_total"):
    return sum(d.value for d in fake.datums(name=name) if d.value is not None)


def write_lines(path, start, n):
    with open(path, "a") as f:
        for i in range(start, start + n):
            f.write("line %d\n" % i)
    return start + n


def run_agent(fake, creds, extra_env=None, **cw):
    env = fake.environ(creds, **({} if creds != "web_identity" else
                                 {"token_file": extra_env.pop("token_file")}))
    env.update(extra_env or {})
    a = Agent({}, env=env)
    log = os.path.join(a.dir, "app.log")
    open(log, "w").close()
    a.write_config(config(fake, log, **cw))
    return a, log


def run_with_fake(name, tests):
    """Runs tests as TAP, or reports one skip when python3-botocore (which the fake verifies
    signatures with) is not installed."""
    t = TAP()
    if FakeAWS is None or not os.path.exists("/usr/lib/python3/dist-packages/botocore"):
        t.skip(name, "python3-botocore not installed")
        t.run([])
    t.run(tests)
