"""The Route 53 exporter against the fake Route 53 (SigV4 checked with botocore, every body
decoded against botocore's route53 model): a failover line in the observer log becomes one
UPSERT within a second; a restart with the record right sends nothing; a failover written
while the agent was down is corrected once after start; throttling and
PriorRequestNotComplete are retried into one effective change; AccessDenied is one clear log
line and the agent keeps running; a flapping role settles on the newest value within
min_interval; `once --format route53` prints a batch the model accepts; `check` names bad keys."""
import contextlib
import json
import os
import shutil
import signal
import tempfile
import time

import hwtest
from cwtest import FakeAWS, run_with_fake
from hwtest import Agent, wait_until

ZONE = "Z0123456789ABCDEFGHIJ"
NAME = "db.corp.internal."
VALUES = {"orclviq": "orclviq.corp.internal", "orclstd": "orclstd.corp.internal"}


def r53_config(fake, log, **over):
    r53 = {"hosted_zone_id": ZONE, "endpoint": fake.route53_url, "min_interval": "2s",
           "timeout": "2s",
           "records": [{"name": "db.corp.internal", "type": "CNAME", "ttl": 10,
                        "metric": "oracle_fsfo_is_primary", "label": "database",
                        "values": VALUES}]}
    r53.update(over)
    if r53.get("endpoint") is None:
        del r53["endpoint"]
    return {"agent": {"interval": "1s", "state_dir": "@DIR@/state",
                      "checkpoint_interval": "200ms"},
            "collectors": {"fsfo": {"observer_logs": [log],
                                    "databases": ["orclviq", "orclstd"]}},
            "exporters": {"route53": r53, "prometheus": {"listen": "127.0.0.1:@PORT@"}}}


def new_fake():
    fake = FakeAWS()
    fake.route53_add_zone(ZONE, "corp.internal")
    fake.route53_set_record(ZONE, NAME, "CNAME", 10, [VALUES["orclviq"]])
    fake.route53_insync_delay = 0.3
    return fake


def agent_for(fake, endpoint_env=False, **over):
    """An agent (not started) on fake; endpoint_env: the endpoint from
    AWS_ENDPOINT_URL_ROUTE_53 instead of the config."""
    env = fake.environ("static")
    if endpoint_env:
        env["AWS_ENDPOINT_URL_ROUTE_53"] = fake.route53_url
        over["endpoint"] = None
    a = Agent({}, env=env)
    log = os.path.join(a.dir, "observer.log")
    open(log, "w").close()
    a.write_config(r53_config(fake, log, **over))
    return a, log


@contextlib.contextmanager
def running(**over):
    """A fake with the zone and the record (orclviq), and an agent on it started and past its
    first read of the record; yields (fake, agent, observer log)."""
    with new_fake() as fake:
        a, log = agent_for(fake, **over)
        try:
            a.start()
            wait_until(lambda: listed(fake) >= 1, 10)
            yield fake, a, log
        finally:
            a.stop()
            shutil.rmtree(a.dir, ignore_errors=True)


def write_role(log, db, kind="Failover"):
    """One observer result line; returns the wall time just before it was written."""
    t0 = time.time()
    with open(log, "a") as f:
        f.write('%s succeeded, new primary is "%s"\n' % (kind, db))
    return t0


def changes(fake):
    return [c for c in fake.route53_changes(ZONE)]


def record_value(fake):
    rec = fake.route53_record(ZONE, NAME, "CNAME")
    return rec[1][0].rstrip(".").lower() if rec else None


def listed(fake):
    return fake.count("r53_listed")


def test_failover_restart_and_missed(t):
    with new_fake() as fake:
        a, log = agent_for(fake)
        try:
            a.start()
            t.ok(wait_until(lambda: listed(fake) >= 1, 10), "the record is read at start",
                 fake.counts())
            time.sleep(0.5)
            t.eq(len(changes(fake)), 0, "no desired value yet (no role known): nothing sent")
            t0 = write_role(log, "orclstd")
            t.ok(wait_until(lambda: len(changes(fake)) == 1, 10), "the failover line gave a change",
                 (fake.counts(), a.read_log()[-2000:]))
            c = changes(fake)[0]
            took = c["time"] - t0
            t.ok(took < 2.0, "observer line to accepted UPSERT in %.0f ms" % (took * 1000))
            t.eq([(x["action"], x["name"], x["type"], x["ttl"], x["values"]) for x in c["changes"]],
                 [("UPSERT", NAME, "CNAME", 10, [VALUES["orclstd"]])],
                 "one UPSERT of db.corp.internal to the new primary, TTL 10")
            t.ok(c["comment"] and "orclstd" in c["comment"], "the batch's comment names why",
                 c["comment"])
            t.eq(record_value(fake), VALUES["orclstd"], "the record now points at orclstd")
            ok = wait_until(lambda: 'hostwatch_route53_insync_seconds{record="db.corp.internal",'
                            'type="CNAME"}' in a.metrics(), 10)
            m = a.metrics()
            t.ok(ok, "GetChange polled to INSYNC, its time a metric",
                 {k: v for k, v in m.items() if "route53" in k})
            ins = m.get('hostwatch_route53_insync_seconds{record="db.corp.internal",type="CNAME"}')
            t.ok(ins is not None and 0.25 <= ins < 5, "time to INSYNC %.3f s (fake: 0.3 s)"
                 % (ins or -1))
            t.eq(m.get('hostwatch_route53_changes_total{record="db.corp.internal",result="ok",'
                       'type="CNAME"}'), 1.0, "changes_total{result=ok} 1")
            t.eq(m.get('hostwatch_route53_desired{record="db.corp.internal",type="CNAME",'
                       'value="orclstd.corp.internal"}'), 1.0, "desired{value} 1")
            t.ok(fake.count("r53_get_change") >= 1, "GetChange was asked")
            # kill -9 and restart: the record is right, so nothing is sent
            a.proc.send_signal(signal.SIGKILL)
            a.proc.wait(5)
            a.log.close()
            n_list = listed(fake)
            a.start()
            t.ok(wait_until(lambda: listed(fake) > n_list, 10), "read again after the restart")
            time.sleep(1.5)
            t.eq(len(changes(fake)), 1, "restart with the record right: nothing sent")
            # a failover while the agent is down: corrected once after start
            a.stop()
            write_role(log, "orclviq", "Switchover")
            a.start()
            t.ok(wait_until(lambda: len(changes(fake)) == 2, 10),
                 "the switchover written while down is corrected after start", fake.counts())
            time.sleep(1.0)
            t.eq(len(changes(fake)), 2, "corrected once")
            t.eq(record_value(fake), VALUES["orclviq"], "the record points at orclviq again")
        finally:
            a.stop()
            shutil.rmtree(a.dir, ignore_errors=True)


def test_throttling_and_prior_request(t):
    with running(endpoint_env=True) as (fake, a, log):
        t.ok(wait_until(lambda: listed(fake) >= 1, 10), "read at start (endpoint from "
             "AWS_ENDPOINT_URL_ROUTE_53)", fake.counts())
        fake.set_fault("throttle", 2, target="route53", operation="ChangeResourceRecordSets")
        write_role(log, "orclstd")
        t.ok(wait_until(lambda: len(changes(fake)) == 1, 15), "throttled twice, then changed",
             (fake.counts(), a.read_log()[-1500:]))
        t.eq(fake.count("fault_throttle"), 2, "both Throttling answers were retried")
        time.sleep(2.2)  # min_interval
        fake.set_fault("prior_request", 2, target="route53",
                       operation="ChangeResourceRecordSets")
        write_role(log, "orclviq")
        t.ok(wait_until(lambda: len(changes(fake)) == 2, 15),
             "PriorRequestNotComplete twice, then changed", fake.counts())
        t.eq(fake.count("fault_prior_request"), 2, "both refusals were retried")
        time.sleep(1.0)
        t.eq(len(changes(fake)), 2, "one effective change each")
        t.eq(record_value(fake), VALUES["orclviq"], "the final value is right")
        key = 'hostwatch_route53_changes_total{record="db.corp.internal",result="throttled",' \
              'type="CNAME"}'
        wait_until(lambda: a.metrics().get(key) == 4.0, 5)  # published with the next snapshot
        t.eq(a.metrics().get(key), 4.0, "changes_total{throttled} 4")
        log_text = a.read_log()
        t.eq(log_text.count("code=Throttling"), 1, "a lasting cause is logged once",
             log_text[-1500:])


def test_access_denied(t):
    with running() as (fake, a, log):
        fake.set_fault("access_denied", None, target="route53",
                       operation="ChangeResourceRecordSets")
        write_role(log, "orclstd")
        t.ok(wait_until(lambda: "AccessDenied" in a.read_log(), 10), "AccessDenied logged",
             a.read_log()[-1500:])
        time.sleep(3.0)
        lines = [x for x in a.read_log().splitlines() if "AccessDenied" in x]
        t.eq(len(lines), 1, "one clear log line", lines)
        t.ok(lines and "level=error" in lines[0] and "iam-policy-route53.json" in lines[0] and
             "record=db.corp.internal" in lines[0], "it names the record and the policy",
             lines)
        t.eq(fake.count("fault_access_denied"), 1, "not retried while the value is the same")
        t.eq(hwtest.http_get(a.port, "/-/healthy")[0], 200, "the agent keeps running")
        t.eq(a.metrics().get('hostwatch_route53_changes_total{record="db.corp.internal",'
                             'result="rejected",type="CNAME"}'), 1.0,
             "changes_total{rejected} 1")
        fake.clear_fault()
        write_role(log, "orclviq", "Switchover")
        wait_until(lambda: 'hostwatch_route53_desired{record="db.corp.internal",type="CNAME",'
                   'value="orclviq.corp.internal"}' in a.metrics(), 10)
        write_role(log, "orclstd", "Switchover")
        t.ok(wait_until(lambda: record_value(fake) == VALUES["orclstd"], 10),
             "a new desired value is tried again and lands", fake.counts())


def test_flapping(t):
    with running() as (fake, a, log):
        for db in ("orclstd", "orclviq", "orclstd"):
            write_role(log, db, "Switchover")
            time.sleep(0.6)
        time.sleep(3.5)  # past min_interval (2 s) after the first change
        cs = changes(fake)
        t.ok(1 <= len(cs) <= 2, "3 role changes in 2 s: %d change(s), at most 2" % len(cs),
             [(c["time"], c["changes"][0]["values"]) for c in cs])
        t.eq(record_value(fake), VALUES["orclstd"], "the final value is right")
        # two changes 0.6 s apart: the second waits for min_interval, then goes
        n = len(cs)
        write_role(log, "orclviq", "Switchover")
        time.sleep(0.6)
        write_role(log, "orclstd", "Switchover")
        t.ok(wait_until(lambda: len(changes(fake)) == n + 2, 10), "both changes made",
             fake.counts())
        cs = changes(fake)
        gap = cs[-1]["time"] - cs[-2]["time"]
        t.ok(gap >= 1.95, "the second waited for min_interval (%.2f s)" % gap)
        time.sleep(1.0)
        t.eq(len(changes(fake)), n + 2, "and nothing more")
        t.eq(record_value(fake), VALUES["orclstd"], "the final value is right")


def test_dry_run_and_no_credentials(t):
    with running(dry_run=True) as (fake, a, log):
        write_role(log, "orclstd")
        t.ok(wait_until(lambda: "dry run: would UPSERT" in a.read_log(), 10),
             "dry run: the change is logged", a.read_log()[-1500:])
        line = [x for x in a.read_log().splitlines() if "would UPSERT" in x]
        t.ok(line and "value=orclstd.corp.internal" in line[0] and "database=orclstd" in line[0],
             "with the record's new value and why", line)
        t.eq(fake.requests("route53"), [], "dry run: nothing sent, not even the read")
        key = 'hostwatch_route53_changes_total{record="db.corp.internal",result="dry_run",' \
              'type="CNAME"}'
        wait_until(lambda: a.metrics().get(key) == 1.0, 5)  # published with the next snapshot
        t.eq(a.metrics().get(key), 1.0, "changes_total{dry_run} 1")
    with new_fake() as fake:
        a, log = agent_for(fake)
        home = os.path.join(a.dir, "home")
        os.mkdir(home)
        for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                  "AWS_PROFILE", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                  "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_WEB_IDENTITY_TOKEN_FILE"):
            a.env.pop(k, None)
        a.env.update(HOME=home, AWS_EC2_METADATA_DISABLED="true")
        try:
            a.start()
            write_role(log, "orclstd")
            t.ok(wait_until(lambda: "no credentials: would UPSERT" in a.read_log(), 15),
                 "no credentials: the change it would make is logged", a.read_log()[-1500:])
            time.sleep(1.0)
            t.eq(fake.count("r53_changed"), 0, "and nothing changed")
            t.eq(a.proc.poll(), None, "the agent keeps running (and retrying)")
        finally:
            a.stop()
            shutil.rmtree(a.dir, ignore_errors=True)


def test_once_and_check(t):
    from fakeaws_route53 import change_batch_params
    d = tempfile.mkdtemp(prefix="hw-r53-")
    log = os.path.join(d, "observer.log")
    with open(log, "w") as f:
        f.write('Failover succeeded, new primary is "orclstd"\n')
    cfg = r53_config(type("F", (), {"route53_url": "https://route53.amazonaws.com"}), log)
    cfg["exporters"]["route53"]["records"].append(
        {"name": "dbip.corp.internal", "type": "A",
         "values": {"orclviq": "10.0.0.1", "orclstd": ["10.0.0.9", "10.0.0.2"]}})
    p = os.path.join(d, "hw.json")
    with open(p, "w") as f:
        f.write(json.dumps(cfg).replace("@DIR@", d).replace("@PORT@", "0"))
    r = hwtest.run_bin(["once", "-c", p, "--format", "route53"])
    t.eq(r.returncode, 0, "once --format route53 exits 0", r.stderr)
    bodies = [x for x in r.stdout.splitlines() if x.startswith("<?xml")]
    t.eq(len(bodies), 2, "one batch per record", r.stdout)
    got = []
    for b in bodies:
        try:
            params = change_batch_params(b.encode(), ZONE)
            rrs = params["ChangeBatch"]["Changes"][0]["ResourceRecordSet"]
            got.append((params["ChangeBatch"]["Changes"][0]["Action"], rrs["Name"], rrs["Type"],
                        [v["Value"] for v in rrs["ResourceRecords"]]))
        except Exception as e:  # noqa: BLE001 - reported as the failure
            got.append(repr(e))
    t.eq(got, [("UPSERT", "db.corp.internal", "CNAME", ["orclstd.corp.internal"]),
               ("UPSERT", "dbip.corp.internal", "A", ["10.0.0.2", "10.0.0.9"])],
         "the batches decode against botocore's route53 model, for the log's primary")
    bad = json.loads(json.dumps(cfg).replace("@DIR@", d).replace("@PORT@", "0"))
    r53 = bad["exporters"]["route53"]
    r53["hosted_zone_id"] = "z-bad"
    r53["endpoint"] = "http://route53.example.com"
    r53["records"][0]["values"]["orclx"] = "orclx.corp.internal"
    r53["records"][1]["values"]["orclviq"] = "10.0.0.300"
    r53["records"].append({"name": "db.corp.internal", "type": "A",
                           "values": {"orclviq": "10.0.0.1"}})
    with open(p, "w") as f:
        json.dump(bad, f)
    r = hwtest.run_bin(["check", "-c", p])
    out = r.stdout + r.stderr
    t.eq(r.returncode, 1, "check refuses the bad config", out)
    for want in ("exporters.route53.hosted_zone_id: not a hosted zone id",
                 "exporters.route53.endpoint: plain http",
                 "exporters.route53.records[0].values.orclx: not one of collectors.fsfo.databases",
                 "exporters.route53.records[1].values.orclviq: not an IPv4 address",
                 "exporters.route53.records[2].name: a CNAME cannot share its name"):
        t.ok(want in out, "check names " + want.split(":")[0], out)
    shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    run_with_fake("route53", [test_once_and_check, test_failover_restart_and_missed,
                              test_throttling_and_prior_request, test_access_denied,
                              test_flapping, test_dry_run_and_no_credentials])
