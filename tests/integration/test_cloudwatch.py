"""The CloudWatch exporter against a local fake AWS that verifies every signature with botocore
and validates every request against botocore's CloudWatch model: each credential source, key
rotation, throttling, an outage with the spool, a restart during the outage, dry run, and
`once --format cloudwatch`. Exactly-once delivery is checked with a log counter whose deltas
must add up to the lines written, also across kill -9 restarts."""
import os
import shutil
import signal
import time

import hwtest
import tempfile
from cwtest import config, delivered, FakeAWS, run_agent, run_with_fake, write_lines
from hwtest import Agent, wait_until



def test_credential_sources(t):
    for creds in ("static", "profile", "imds", "ecs", "web_identity"):
        with FakeAWS(imds_tags={"aws:autoscaling:groupName": "web-asg"}) as fake:
            extra = {}
            kind = creds
            if creds == "profile":
                d = tempfile.mkdtemp()
                p = os.path.join(d, "credentials")
                key = fake.static_key()
                with open(p, "w") as f:
                    f.write("[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n"
                            % key)
                extra = {"AWS_SHARED_CREDENTIALS_FILE": p}
                kind = "imds"  # an environment without keys; IMDS off below
                extra["AWS_EC2_METADATA_DISABLED"] = "true"
            if creds == "web_identity":
                d = tempfile.mkdtemp()
                tok = os.path.join(d, "token")
                with open(tok, "w") as f:
                    f.write("eyJ.fake.jwt\n")
                extra = {"token_file": tok}
            dims = {"host": "test-host", "AutoScalingGroupName": "${aws:AutoScalingGroupName}",
                    "InstanceId": "${aws:InstanceId}"} if creds == "imds" else {"host": "h"}
            a, log = run_agent(fake, kind, extra, dimensions=dims)
            try:
                a.start()
                write_lines(log, 1, 10)
                ok = wait_until(lambda: delivered(fake) == 10.0, 10)
                t.ok(ok, "%s: datapoints delivered and accepted (signature checked)" % creds,
                     (fake.counts(), a.read_log()[-1500:]))
                srcs = {fake.key_source(d.access_key) for d in fake.datums()}
                want = {"profile": "static", "web_identity": "sts"}.get(creds, creds)
                t.eq(srcs, {want}, "%s: keys came from %s" % (creds, want))
                if creds == "imds":
                    dd = fake.datums(name="mem_used_percent")[0].dimensions
                    t.ok(dd.get("AutoScalingGroupName") == "web-asg" and
                         dd.get("InstanceId", "").startswith("i-"),
                         "imds: ${aws:...} dimensions resolved from IMDS", dd)
            finally:
                a.stop()
                shutil.rmtree(a.dir, ignore_errors=True)


def test_key_rotation_and_throttling(t):
    with FakeAWS(credential_ttl=4) as fake:
        a, log = run_agent(fake, "ecs")
        try:
            a.start()
            fake.set_fault("throttle", count=2)
            n = write_lines(log, 1, 5)
            t.ok(wait_until(lambda: delivered(fake) == 5.0, 10), "throttled twice, then delivered",
                 fake.counts())
            t.ok(fake.count("fault_throttle") == 2, "the throttling answers were retried")
            time.sleep(4.5)  # the first keys expire; the agent must fetch new ones
            n = write_lines(log, n, 5)
            t.ok(wait_until(lambda: delivered(fake) == 10.0, 10),
                 "delivery continues across credential expiry", fake.counts())
            keys = {d.access_key for d in fake.datums()}
            t.ok(len(keys) >= 2, "a fresh key was used after the refresh (%d keys)" % len(keys))
            t.eq(fake.count("expired_token"), 0, "refreshed before expiry, never refused")
        finally:
            a.stop()
            shutil.rmtree(a.dir, ignore_errors=True)


def in_order(fake, name):
    ts = [(tuple(sorted(d.dimensions.items())), d.timestamp) for d in fake.datums(name=name)]
    last = {}
    for dims, stamp in ts:
        if dims in last and stamp <= last[dims]:
            return False
        last[dims] = stamp
    return True


def test_outage_and_restart(t):
    with FakeAWS() as fake:
        a, log = run_agent(fake, "static")
        try:
            a.start()
            n = write_lines(log, 1, 20)
            t.ok(wait_until(lambda: delivered(fake) == 20.0, 10), "before the outage")
            fake.set_outage("reset")
            for _ in range(4):  # lines keep coming during the outage
                n = write_lines(log, n, 15)
                time.sleep(0.7)
            t.ok(wait_until(lambda: a.metrics().get(
                'hostwatch_export_datapoints_total{exporter="cloudwatch",result="spooled"}', 0)
                > 0, 10), "batches go to the spool during the outage")
            a.stop()  # a restart in the middle of the outage: the spool must survive it
            spool = os.path.join(a.dir, "state", "spool", "cloudwatch")
            entries = [x for x in os.listdir(spool) if x.endswith(".entry")]
            t.ok(len(entries) > 0, "spool files exist after SIGTERM (%d)" % len(entries))
            a.start()
            n = write_lines(log, n, 10)
            time.sleep(1.5)
            fake.clear_fault()
            ok = wait_until(lambda: delivered(fake) == float(n - 1), 20)
            t.ok(ok, "after recovery every line counted exactly once (%s of %d)"
                 % (delivered(fake), n - 1), fake.counts())
            t.ok(in_order(fake, "lines_total"), "datapoints arrived in order per series")
        finally:
            a.stop()
            shutil.rmtree(a.dir, ignore_errors=True)


def test_kill9_exactly_once(t):
    """kill -9 between flushes, with lines counted by the log collector's checkpoint but not yet
    sent: the exporter's committed baselines, saved in the same state-file write, make the first
    flush after the restart send exactly the rest. The sum of the delivered counter values must
    equal the lines written, across every restart."""
    with FakeAWS() as fake:
        a, log = run_agent(fake, "static", flush_interval="3s")
        pending_at_kill = []
        try:
            a.start()
            n = write_lines(log, 1, 6)
            t.ok(wait_until(lambda: delivered(fake) == 6.0, 15), "first lines delivered",
                 fake.counts())
            for rnd in range(4):
                sent = len(fake.datums(name="lines_total"))
                # Right after a delivery, the next flush is 3 s away: lines written now are in the
                # log collector's next checkpoint (every 200 ms) well before they are sent.
                t.ok(wait_until(lambda: len(fake.datums(name="lines_total")) > sent, 10),
                     "round %d: a flush arrived" % rnd)
                n = write_lines(log, n, 5 + rnd)
                time.sleep(1.2)
                pending_at_kill.append(n - 1 - delivered(fake))
                a.proc.send_signal(signal.SIGKILL)
                a.proc.wait(10)
                a.log.close()
                n = write_lines(log, n, 3)  # while the agent is down
                a.start()
            # A reload that replaces the exporter: the new one takes over the old one's baselines.
            n = write_lines(log, n, 4)
            a.write_config(config(fake, log, flush_interval="2s"))
            a.signal(signal.SIGHUP)
            t.ok(wait_until(lambda: "reload" in a.read_log(), 10), "reloaded", a.read_log()[-800:])
            n = write_lines(log, n, 4)
            ok = wait_until(lambda: delivered(fake) >= float(n - 1), 20)
            time.sleep(3.5)  # one more flush: nothing may come twice
            t.ok(all(p > 0 for p in pending_at_kill),
                 "each kill -9 left counted but unsent lines behind %s" % pending_at_kill)
            t.ok(ok and delivered(fake) == float(n - 1),
                 "after 4 kill -9 restarts and a reload the delivered sums equal the lines written "
                 "exactly "
                 "(%s of %d)" % (delivered(fake), n - 1), (fake.counts(), a.read_log()[-2000:]))
        finally:
            a.stop()
            shutil.rmtree(a.dir, ignore_errors=True)


def test_dry_run_and_once(t):
    with FakeAWS() as fake:
        env = {"AWS_EC2_METADATA_DISABLED": "true", "AWS_ACCESS_KEY_ID": "",
               "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent", "HOME": "/nonexistent"}
        a = Agent({}, env=env)
        log = os.path.join(a.dir, "app.log")
        open(log, "w").close()
        a.write_config(config(fake, log))
        try:
            a.start()
            write_lines(log, 1, 3)
            t.ok(wait_until(lambda: "dry run: would send" in a.read_log(), 10),
                 "no credentials: dry run logs what it would send", a.read_log())
            t.eq(fake.count("accepted"), 0, "dry run sends nothing")
            r = hwtest.run_bin(["once", "-c", a.config_path, "--format", "cloudwatch"])
            t.ok(r.returncode == 0 and "Action=PutMetricData&Version=2010-08-01&Namespace=HWTest"
                 in r.stdout and "MetricName=mem_used_percent" in r.stdout,
                 "once --format cloudwatch prints the request body", r)
        finally:
            a.stop()
            shutil.rmtree(a.dir, ignore_errors=True)


def test_bad_answers_and_values(t):
    """Garbage, huge and reset answers are survived; a revoked key is reported once and the data
    kept; a value CloudWatch would reject (inf) is dropped alone, the rest still delivered."""
    with FakeAWS() as fake:
        a, log = run_agent(fake, "static")
        a.write_config(_with_gauge(config(fake, log, metrics=["lines_total", "queue_depth"])))
        try:
            a.start()
            for mode in ("huge", "garbage", "not_http", "close"):
                fake.set_fault(mode, count=1)
            n = write_lines(log, 1, 5)
            with open(log, "a") as f:
                f.write("depth=inf\ndepth=7\n")
            t.ok(wait_until(lambda: delivered(fake) == 5.0, 15),
                 "delivered after huge, garbage, non-HTTP and closed answers", fake.counts())
            t.ok(wait_until(lambda: any((d.statistic_values or {}).get("Maximum") == 7.0
                                        for d in fake.datums(name="queue_depth")), 10),
                 "a gauge next to an inf value is still delivered (as a statistic set)")
            t.eq(fake.count("invalid"), 0, "nothing invalid was ever sent (inf dropped locally)")
            t.ok(a.proc.poll() is None, "the agent is still running")
            key = fake.static_key()[0]
            fake.revoke_key(key)
            n = write_lines(log, n, 5)
            t.ok(wait_until(lambda: "permission denied" in a.read_log() or
                            "InvalidClientTokenId" in a.read_log(), 10),
                 "a refused key is reported", a.read_log()[-1500:])
            time.sleep(2)
            t.eq(a.read_log().count("InvalidClientTokenId"), 1, "once, not at every flush")
            t.ok(wait_until(lambda: a.metrics().get(
                'hostwatch_export_datapoints_total{exporter="cloudwatch",result="spooled"}', 0)
                > 0, 10), "its batches are kept in the spool meanwhile")
        finally:
            a.stop()
            shutil.rmtree(a.dir, ignore_errors=True)


def _with_gauge(cfg):
    cfg["collectors"]["logs"][0]["filters"].append(
        {"metric": "queue_depth", "type": "gauge", "regex": "^depth=(?<value>\\S+)$"})
    return cfg


def main():
    run_with_fake("cloudwatch exporter",
                  [test_credential_sources,
                   test_key_rotation_and_throttling,
                   test_outage_and_restart,
                   test_kill9_exactly_once,
                   test_dry_run_and_once,
                   test_bad_answers_and_values])


main()
