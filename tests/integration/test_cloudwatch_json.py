"""The CloudWatch exporter with `"protocol": "json"` (AWS JSON 1.0) against the local fake AWS,
which verifies every signature with botocore and decodes and validates every body against
botocore's CloudWatch model: values delivered, throttling retried, a validation error dropped
and counted, AccessDenied and RequestExpired reported, and the spool replayed after an outage, also across a
restart that switches the protocol (each batch is sent as it was encoded)."""
import contextlib
import json
import shutil
import time

import hwtest
from cwtest import config, delivered, FakeAWS, run_agent, run_with_fake, write_lines
from hwtest import wait_until


DP = 'hostwatch_export_datapoints_total{exporter="cloudwatch",result="%s"}'
REQ = 'hostwatch_export_requests_total{exporter="cloudwatch",result="%s"}'


def _gauge(cfg):
    cfg["collectors"]["logs"][0]["filters"].append(
        {"metric": "queue_depth", "type": "gauge", "regex": "^depth=(?<value>\\S+)$"})
    return cfg


@contextlib.contextmanager
def json_agent(fake, **cw):
    """An agent (not started) sending to fake in JSON 1.0; stopped and removed afterwards."""
    a, log = run_agent(fake, "static", protocol="json", **cw)
    try:
        yield a, log
    finally:
        a.stop()
        shutil.rmtree(a.dir, ignore_errors=True)


def _headers(rec):
    return {k.lower(): v for k, v in rec.headers}


def test_delivery(t):
    metrics = ["lines_total", "queue_depth", "mem_used_percent"]
    with FakeAWS() as fake:
        with json_agent(fake, metrics=metrics) as (a, log):
            a.write_config(_gauge(config(fake, log, protocol="json", metrics=metrics)))
            a.start()
            write_lines(log, 1, 7)
            t.ok(wait_until(lambda: delivered(fake) == 7.0, 10), "7 lines delivered as JSON",
                 (fake.counts(), a.read_log()[-1500:]))
            with open(log, "a") as f:
                f.write("depth=inf\n")  # never sent: nothing invalid reaches the fake (below)
            time.sleep(1.2)
            x = -1.2345678901234567e-7
            with open(log, "a") as f:
                f.write("depth=%r\n" % x)
            exact = lambda: [s for s in (d.statistic_values for d in fake.datums(name="queue_depth"))
                             if s["Minimum"] == x and s["Maximum"] == x and s["SampleCount"] >= 1]
            t.ok(wait_until(exact, 10), "the gauge's statistic set arrives with the exact value",
                 [d.statistic_values for d in fake.datums(name="queue_depth")])
            ds = fake.datums()
            t.eq({d.protocol for d in ds}, {"json"}, "every datum came in AWS JSON 1.0")
            t.ok(all(d.gzip for d in ds), "gzipped")
            t.eq({d.namespace for d in ds}, {"HWTest"}, "namespace")
            t.ok(all(d.dimensions.get("host") == "test-host" for d in ds), "static dimension")
            lines = [d for d in ds if d.name == "lines_total"]
            t.ok(all(d.unit == "Count" and d.storage_resolution == 60 for d in lines),
                 "unit and storage resolution", lines[:2])
            t.ok(all(abs(d.timestamp - time.time()) < 60 for d in ds),
                 "timestamps in epoch seconds", [d.timestamp for d in ds[:3]])
            recs = [r for r in fake.requests("cloudwatch") if r.outcome == "accepted"]
            h = _headers(recs[0]) if recs else {}
            t.ok(h.get("x-amz-target") == "GraniteServiceVersion20100801.PutMetricData" and
                 h.get("x-amzn-query-mode") == "true" and
                 h.get("content-type") == "application/x-amz-json-1.0",
                 "JSON 1.0 headers", h)
            t.ok(json.loads(recs[0].body)["Namespace"] == "HWTest", "the body is JSON")
            t.eq(fake.count("invalid"), 0, "nothing invalid was sent")
            r = hwtest.run_bin(["once", "-c", a.config_path, "--format", "cloudwatch"])
            body = json.loads(r.stdout.splitlines()[0]) if r.returncode == 0 else {}
            t.ok(body.get("Namespace") == "HWTest" and any(
                m["MetricName"] == "mem_used_percent" for m in body.get("MetricData", [])),
                "once --format cloudwatch prints the JSON body", r)


def test_throttling_and_validation(t):
    with FakeAWS() as fake:
        with json_agent(fake, metrics=["lines_total"]) as (a, log):
            a.start()
            fake.set_fault("throttle", count=2)
            n = write_lines(log, 1, 5)
            t.ok(wait_until(lambda: delivered(fake) == 5.0, 10), "throttled twice, then delivered",
                 fake.counts())
            t.eq(fake.count("fault_throttle"), 2, "the fake throttled twice")
            t.ok(wait_until(lambda: a.metrics().get(REQ % "throttled") == 2.0, 5),
                 "both counted as throttled", a.metrics().get(REQ % "throttled"))
            # Every timestamp now looks 3 weeks old: InvalidParameterValue, not retried.
            fake.timestamp_clock = lambda: time.time() + 21 * 86400
            n = write_lines(log, n, 4)
            t.ok(wait_until(lambda: a.metrics().get(DP % "dropped", 0) >= 1, 10),
                 "the refused datapoints are dropped and counted", a.read_log()[-1500:])
            t.ok(fake.count("invalid") >= 1, "the fake refused them as invalid", fake.counts())
            t.ok(a.metrics().get(REQ % "rejected", 0) >= 1, "the request counted as rejected")
            t.ok("code=InvalidParameterValue" in a.read_log() and
                 "request rejected; its datapoints are dropped" in a.read_log(),
                 "the log names the service's code", a.read_log()[-1500:])
            t.eq(a.metrics().get(DP % "spooled", 0), 0, "nothing spooled for a validation error")
            fake.timestamp_clock = time.time
            before = delivered(fake)
            n = write_lines(log, n, 3)
            t.ok(wait_until(lambda: delivered(fake) == before + 3, 10), "later lines delivered")


def test_access_denied(t):
    with FakeAWS() as fake:
        with json_agent(fake, metrics=["lines_total"]) as (a, log):
            a.start()
            fake.set_fault("access_denied", count=None)
            n = write_lines(log, 1, 4)
            t.ok(wait_until(lambda: "permission denied" in a.read_log(), 10), "reported",
                 a.read_log()[-1500:])
            line = next((x for x in a.read_log().splitlines() if "permission denied" in x), "")
            t.ok("cloudwatch:PutMetricData" in line and "AKIAHOST" in line and
                 "code=AccessDenied" in line, "names the action, the key and the code", line)
            t.ok(wait_until(lambda: a.metrics().get(DP % "spooled", 0) >= 4, 10), "kept in the spool")
            t.eq(delivered(fake), 0, "nothing accepted meanwhile")
            fake.clear_fault()
            write_lines(log, n, 2)
            t.ok(wait_until(lambda: delivered(fake) == 6.0, 15),
                 "after the policy is fixed every line is delivered once", fake.counts())


def test_clock_skew(t):
    """RequestExpired in JSON (x-amzn-query-error): the skew is logged, the batches kept."""
    with FakeAWS() as fake:
        with json_agent(fake, metrics=["lines_total"]) as (a, log):
            a.start()
            fake.set_clock_offset(1000)
            n = write_lines(log, 1, 5)
            t.ok(wait_until(lambda: "local clock is 16m40s behind the server" in a.read_log() or
                            "local clock is 16m39s behind the server" in a.read_log(), 10),
                 "RequestExpired: the log states the skew", a.read_log()[-1500:])
            t.ok(wait_until(lambda: a.metrics().get(DP % "spooled", 0) >= 5, 10), "spooled")
            fake.set_clock_offset(0)
            n = write_lines(log, n, 3)
            t.ok(wait_until(lambda: delivered(fake) == float(n - 1), 15),
                 "once the clocks agree every line is delivered once", fake.counts())


def test_outage_spool_protocol_switch(t):
    """Batches spooled as JSON during an outage are replayed as JSON after a restart that
    switches the exporter to the Query protocol; every line counted exactly once."""
    with FakeAWS() as fake:
        with json_agent(fake, metrics=["lines_total"]) as (a, log):
            a.start()
            n = write_lines(log, 1, 10)
            t.ok(wait_until(lambda: delivered(fake) == 10.0, 10), "before the outage")
            before = len(fake.datums(name="lines_total"))
            fake.set_outage("reset")
            for _ in range(3):
                n = write_lines(log, n, 5)
                time.sleep(0.7)
            t.ok(wait_until(lambda: a.metrics().get(DP % "spooled", 0) > 0, 10), "spooled")
            a.stop()
            a.write_config(config(fake, log, protocol="query", metrics=["lines_total"]))
            a.start()
            n = write_lines(log, n, 5)
            time.sleep(1.5)
            fake.clear_fault()
            t.ok(wait_until(lambda: delivered(fake) == float(n - 1), 20),
                 "every line delivered exactly once (%s of %d)" % (delivered(fake), n - 1),
                 fake.counts())
            protos = [d.protocol for d in fake.datums(name="lines_total")][before:]
            t.ok(protos and protos[0] == "json" and protos[-1] == "query" and
                 protos == sorted(protos),
                 "spooled batches replayed as JSON, new ones sent as Query", protos)
            t.eq(fake.count("invalid"), 0, "no request was malformed")


def main():
    run_with_fake("cloudwatch exporter",
                  [test_delivery,
                   test_throttling_and_validation,
                   test_access_denied,
                   test_clock_skew,
                   test_outage_spool_protocol_switch])


main()
