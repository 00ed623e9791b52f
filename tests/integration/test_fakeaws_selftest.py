"""Self-test of fakeaws.FakeAWS, using botocore (the real AWS SDK) as the client.

Shows that the fake accepts what botocore sends and records it exactly, refuses bad signatures,
tampered and invalid bodies, handles gzip, acts out every fault mode, and serves IMDSv2, ECS/EKS
container credentials, ECS task metadata and STS web identity the way botocore expects.
Needs the system python3 with Debian's python3-botocore; skipped when botocore is missing.
"""
import datetime
import gzip
import http.client
import json
import re
import socket
import sys
import threading
import time
import urllib.parse

from hwtest import TAP

try:
    import botocore
    import botocore.session
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.config import Config
    from botocore.credentials import Credentials
    from botocore.exceptions import ClientError
    from botocore.serialize import create_serializer
    from botocore.utils import ContainerMetadataFetcher, InstanceMetadataFetcher

    import fakeaws
except ImportError as e:  # pragma: no cover - depends on the machine
    print("1..0 # SKIP botocore not importable (%s); run with the system python3" % e)
    sys.exit(0)

REGION = "eu-west-1"
FORM = "application/x-www-form-urlencoded; charset=utf-8"


# ---- client helpers


def client(fake, service="cloudwatch", key=None, secret=None, token=None, unsigned=False):
    """A botocore client for service pointed at the fake, one attempt, short timeouts."""
    key = key or fakeaws.DEFAULT_ACCESS_KEY
    secret = secret or fakeaws.DEFAULT_SECRET_KEY
    cfg = Config(retries={"total_max_attempts": 1}, connect_timeout=2, read_timeout=5,
                 signature_version=botocore.UNSIGNED if unsigned else None)
    return botocore.session.get_session().create_client(
        service, region_name=REGION, endpoint_url=fake.cloudwatch_url, aws_access_key_id=key,
        aws_secret_access_key=secret, aws_session_token=token, config=cfg)


def query_pairs(params):
    """PutMetricData params -> form pairs (without Action/Version), with botocore's own Query
    serializer."""
    model = fakeaws.operation_model("cloudwatch", "PutMetricData")
    body = create_serializer("query").serialize_to_request(params, model)["body"]
    return [(k, v) for k, v in body.items() if k not in ("Action", "Version")]


def sign(fake, body, headers, key=None, secret=None, token=None, region=REGION,
         service="monitoring"):
    """Signs a POST / with botocore's SigV4Auth; returns the headers to send."""
    req = AWSRequest(method="POST", url=fake.cloudwatch_url, data=body, headers=headers)
    creds = Credentials(key or fakeaws.DEFAULT_ACCESS_KEY, secret or fakeaws.DEFAULT_SECRET_KEY,
                        token)
    SigV4Auth(creds, service, region).add_auth(req)
    headers = dict(req.prepare().headers)
    headers.pop("Content-Length", None)  # unsigned; http.client sets it for the body sent
    return headers


def send(fake, body=b"", headers=None, method="POST", path="/", timeout=5.0):
    """One HTTP request to the fake: (status, lower-case headers, body)."""
    conn = http.client.HTTPConnection("127.0.0.1", fake.port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def put(fake, pairs, compress=False, sign_plain=False, tamper=None, **kw):
    """Signs and sends a PutMetricData form (list of pairs); returns (status, code, body)."""
    plain = urllib.parse.urlencode([("Action", "PutMetricData"), ("Version", "2010-08-01")] +
                                   list(pairs)).encode()
    body = gzip.compress(plain) if compress else plain
    headers = {"Content-Type": FORM}
    if compress:
        headers["Content-Encoding"] = "gzip"
    headers = sign(fake, plain if sign_plain else body, headers, **kw)
    if tamper:
        body = tamper(body)
    status, _, text = send(fake, body, headers)
    return status, error_code(text), text


def error_code(text):
    m = re.search(rb"<Code>([^<]*)</Code>", text)
    return m.group(1).decode() if m else None


def datum_pairs(name="M", value="1", n=1, extra=()):
    return [("Namespace", "SelfTest"), ("MetricData.member.%d.MetricName" % n, name),
            ("MetricData.member.%d.Value" % n, value)] + list(extra)


def now_utc():
    return datetime.datetime.now(datetime.timezone.utc)


# ---- tests


def test_protocol(t):
    proto = fakeaws.cloudwatch_protocol()
    print("# botocore %s uses the %r protocol for CloudWatch" % (botocore.__version__, proto))
    t.ok(proto in ("query", "json", "smithy-rpc-v2-cbor"), "installed botocore protocol known")


def test_botocore_client_accepted(t):
    ts = now_utc().replace(microsecond=250000)
    with fakeaws.FakeAWS(region=REGION) as fake:
        cw = client(fake)
        if fakeaws.cloudwatch_protocol() not in ("query", "json"):
            t.skip("botocore client PutMetricData", "botocore speaks CBOR to CloudWatch")
            return
        cw.put_metric_data(Namespace="Self/Test", MetricData=[
            {"MetricName": "Role", "Value": 1.5, "Unit": "Count", "Timestamp": ts,
             "StorageResolution": 1,
             "Dimensions": [{"Name": "Host", "Value": "db 1/a&b=c+d"}, {"Name": "Az",
                                                                       "Value": "eu-west-1a"}]},
            {"MetricName": "Latency", "Values": [0.5, 2.0, 1e-3], "Counts": [3, 1, 7],
             "Unit": "Seconds"},
            {"MetricName": "Gauge", "StatisticValues": {"SampleCount": 4, "Sum": 10.0,
                                                        "Minimum": -1.0, "Maximum": 6.25}}])
        got = fake.datums()
        t.eq(len(got), 3, "botocore PutMetricData accepted: 3 datums recorded")
        d = got[0]
        t.eq((d.namespace, d.name, d.value, d.unit, d.storage_resolution),
             ("Self/Test", "Role", 1.5, "Count", 1), "datum 1: name, value, unit, resolution")
        t.eq(d.dimensions, {"Host": "db 1/a&b=c+d", "Az": "eu-west-1a"},
             "datum 1: dimensions with reserved characters round-trip")
        # botocore's JSON serializer sends whole epoch seconds; Query keeps the fraction.
        want = ts.timestamp() if d.protocol == "query" else float(int(ts.timestamp()))
        t.eq(d.timestamp, want, "datum 1: timestamp exact (%s)" % d.protocol)
        t.eq((got[1].values, got[1].counts, got[1].value), ([0.5, 2.0, 1e-3], [3.0, 1.0, 7.0],
                                                             None), "datum 2: Values/Counts")
        t.eq(got[2].statistic_values, {"SampleCount": 4.0, "Sum": 10.0, "Minimum": -1.0,
                                       "Maximum": 6.25}, "datum 3: StatisticValues")
        t.eq((d.access_key, d.key_source, d.protocol), (fakeaws.DEFAULT_ACCESS_KEY, "static",
                                                        fakeaws.cloudwatch_protocol()),
             "datum records key id, key source and protocol")
        t.eq(fake.counts(), {"accepted": 1}, "one request counted as accepted")


def test_signature_refused(t):
    with fakeaws.FakeAWS(region=REGION) as fake:
        try:
            client(fake, secret="wrong" + fakeaws.DEFAULT_SECRET_KEY[5:]).put_metric_data(
                Namespace="N", MetricData=[{"MetricName": "M", "Value": 1}])
            t.ok(False, "wrong secret refused")
        except ClientError as e:
            t.eq((e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"]),
                 ("SignatureDoesNotMatch", 403), "wrong secret: 403 SignatureDoesNotMatch")
        try:
            client(fake, key="AKIAUNKNOWNKEY000000").put_metric_data(
                Namespace="N", MetricData=[{"MetricName": "M", "Value": 1}])
            t.ok(False, "unknown key refused")
        except ClientError as e:
            t.eq(e.response["Error"]["Code"], "InvalidClientTokenId", "unknown key: 403 "
                 "InvalidClientTokenId")
        status, code, text = put(fake, datum_pairs(value="1"),
                                 tamper=lambda b: b.replace(b"Value=1", b"Value=9"))
        t.eq((status, code), (403, "SignatureDoesNotMatch"), "body tampered after signing: 403")
        t.ok(b"The Canonical String for this request should have been" in text,
             "mismatch message shows the expected canonical request")
        status, _, _ = send(fake, b"Action=PutMetricData", {"Content-Type": FORM})
        t.eq(status, 403, "unsigned request: 403")
        t.eq(fake.datums(), [], "nothing recorded from refused requests")
        t.eq(fake.count("signature_mismatch"), 2, "signature mismatches counted")


def invalid_cases():
    """(name, form pairs, expected code) for bodies the fake must refuse with 400."""
    m = "MetricData.member.1."
    old = (now_utc() - datetime.timedelta(days=15)).strftime("%Y-%m-%dT%H:%M:%SZ")
    future = (now_utc() + datetime.timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
    many_values = [(m + "Values.member.%d" % i, str(i)) for i in range(1, 152)]
    many_dims = [p for i in range(1, 32) for p in ((m + "Dimensions.member.%d.Name" % i, "d%d" % i),
                                                   (m + "Dimensions.member.%d.Value" % i, "v"))]
    metrics = [p for i in range(1, 1002) for p in (("MetricData.member.%d.MetricName" % i, "m"),
                                                   ("MetricData.member.%d.Value" % i, "1"))]
    base = [("Namespace", "SelfTest"), (m + "MetricName", "M")]
    return [
        ("NaN value", base + [(m + "Value", "NaN")], "InvalidParameterValue"),
        ("Infinity value", base + [(m + "Value", "-Infinity")], "InvalidParameterValue"),
        ("value beyond 2^360", base + [(m + "Value", "1e300")], "InvalidParameterValue"),
        ("non-numeric value", base + [(m + "Value", "12abc")], "InvalidParameterValue"),
        ("unknown member", base + [(m + "Value", "1"), (m + "Colour", "red")],
         "InvalidParameterValue"),
        ("151 values", base + many_values, "InvalidParameterValue"),
        ("duplicate values", base + [(m + "Values.member.1", "1"), (m + "Values.member.2", "1")],
         "InvalidParameterValue"),
        ("Counts length differs", base + [(m + "Values.member.1", "1"),
                                          (m + "Counts.member.1", "1"),
                                          (m + "Counts.member.2", "1")], "InvalidParameterValue"),
        ("unit not in StandardUnit", base + [(m + "Value", "1"), (m + "Unit", "Parsecs")],
         "InvalidParameterValue"),
        ("StorageResolution 5", base + [(m + "Value", "1"), (m + "StorageResolution", "5")],
         "InvalidParameterValue"),
        ("timestamp 15 days old", base + [(m + "Value", "1"), (m + "Timestamp", old)],
         "InvalidParameterValue"),
        ("timestamp 3 h ahead", base + [(m + "Value", "1"), (m + "Timestamp", future)],
         "InvalidParameterValue"),
        ("timestamp not ISO 8601", base + [(m + "Value", "1"), (m + "Timestamp", "1700000000")],
         "InvalidParameterValue"),
        ("missing MetricName", [("Namespace", "SelfTest"), (m + "Value", "1")],
         "MissingParameter"),
        ("missing Namespace", [(m + "MetricName", "M"), (m + "Value", "1")], "MissingParameter"),
        ("Value and Values", base + [(m + "Value", "1"), (m + "Values.member.1", "2")],
         "InvalidParameterCombination"),
        ("no value at all", base, "InvalidParameterCombination"),
        ("1001 metrics", [("Namespace", "SelfTest")] + metrics, "InvalidParameterValue"),
        ("31 dimensions", base + [(m + "Value", "1")] + many_dims, "InvalidParameterValue"),
        ("duplicate dimension", base + [(m + "Value", "1")] + many_dims[:2] + [
            (m + "Dimensions.member.2.Name", "d1"), (m + "Dimensions.member.2.Value", "w")],
         "InvalidParameterValue"),
        ("dimension name too long", base + [(m + "Value", "1"),
                                            (m + "Dimensions.member.1.Name", "x" * 256),
                                            (m + "Dimensions.member.1.Value", "v")],
         "InvalidParameterValue"),
        ("reserved AWS/ namespace", [("Namespace", "AWS/EC2")] + base[1:] + [(m + "Value", "1")],
         "InvalidParameterValue"),
        ("list index gap", [("Namespace", "SelfTest"), ("MetricData.member.2.MetricName", "M"),
                            ("MetricData.member.2.Value", "1")], "InvalidParameterValue"),
    ]


def test_invalid_bodies(t):
    with fakeaws.FakeAWS(region=REGION) as fake:
        cases = invalid_cases()
        for name, pairs, want in cases:
            status, code, text = put(fake, pairs)
            t.eq((status, code), (400, want), "refused: " + name, text[:300])
        t.eq(fake.datums(), [], "no datum recorded from invalid bodies")
        t.eq(fake.count("invalid"), len(cases), "invalid bodies counted")
        ok = (now_utc() - datetime.timedelta(days=13)).strftime("%Y-%m-%dT%H:%M:%S.123Z")
        status, _, _ = put(fake, datum_pairs(extra=[("MetricData.member.1.Timestamp", ok)]))
        t.eq(status, 200, "timestamp 13 days old with milliseconds accepted")
        if fakeaws.cloudwatch_protocol() == "query":
            try:
                client(fake).put_metric_data(Namespace="N", MetricData=[
                    {"MetricName": "M", "Values": list(range(151))}])
                t.ok(False, "botocore client: 151 values refused")
            except ClientError as e:
                t.eq(e.response["Error"]["Code"], "InvalidParameterValue",
                     "botocore client sees InvalidParameterValue for 151 values")


def test_gzip(t):
    with fakeaws.FakeAWS(region=REGION) as fake:
        pairs = query_pairs({"Namespace": "Gz", "MetricData": [
            {"MetricName": "M%d" % i, "Value": float(i), "Unit": "Bytes/Second"}
            for i in range(200)]})
        status, _, _ = put(fake, pairs, compress=True)
        got = fake.datums("Gz")
        t.ok(status == 200 and len(got) == 200 and all(d.gzip for d in got),
             "gzip body signed over the compressed bytes is accepted (200 datums)")
        t.eq((got[7].name, got[7].value, got[7].unit), ("M7", 7.0, "Bytes/Second"),
             "gzip datum values exact")
        status, code, _ = put(fake, pairs, compress=True, sign_plain=True)
        t.eq((status, code), (403, "SignatureDoesNotMatch"),
             "gzip body signed over the uncompressed bytes is refused")
        headers = sign(fake, b"not gzip", {"Content-Type": FORM, "Content-Encoding": "gzip"})
        status, _, text = send(fake, b"not gzip", headers)
        t.eq((status, error_code(text)), (400, "InvalidRequest"), "broken gzip: 400")
        bomb = gzip.compress(b"Action=PutMetricData&" + b"x" * (2 << 20))
        headers = sign(fake, bomb, {"Content-Type": FORM, "Content-Encoding": "gzip"})
        status, _, _ = send(fake, bomb, headers)
        t.eq(status, 413, "gzip body inflating past 1 MiB: 413")


def test_keys_and_dates(t):
    with fakeaws.FakeAWS(region=REGION) as fake:
        fake.add_key("ASIASESSIONKEY000001", "sessionsecret", token="TOKEN/with+chars=")
        fake.add_key("ASIAEXPIREDKEY000001", "expiredsecret", token="T2",
                     expires=time.time() - 5)
        kw = {"key": "ASIASESSIONKEY000001", "secret": "sessionsecret"}
        status, _, _ = put(fake, datum_pairs(), token="TOKEN/with+chars=", **kw)
        t.eq(status, 200, "session key with signed X-Amz-Security-Token accepted")
        t.eq(put(fake, datum_pairs(), **kw)[:2], (403, "InvalidClientTokenId"),
             "session key without its token refused")
        t.eq(put(fake, datum_pairs(), key="ASIAEXPIREDKEY000001", secret="expiredsecret",
                 token="T2")[:2], (403, "ExpiredToken"), "expired key: ExpiredToken")
        t.eq(put(fake, datum_pairs(), region="us-east-1")[:2], (403, "SignatureDoesNotMatch"),
             "signature scoped to another region refused")
        t.eq(put(fake, datum_pairs(), service="logs")[:2], (403, "SignatureDoesNotMatch"),
             "signature for another service refused")
        plain = urllib.parse.urlencode([("Action", "PutMetricData"), ("Version", "2010-08-01")]
                                       + datum_pairs()).encode()
        old = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(time.time() - 1200))
        req = AWSRequest(method="POST", url=fake.cloudwatch_url, data=plain,
                         headers={"Content-Type": FORM})
        req.context["timestamp"] = old
        signer = SigV4Auth(Credentials(fakeaws.DEFAULT_ACCESS_KEY, fakeaws.DEFAULT_SECRET_KEY),
                           "monitoring", REGION)
        req.headers["X-Amz-Date"] = old
        signer._inject_signature_to_request(
            req, signer.signature(signer.string_to_sign(req, signer.canonical_request(req)), req))
        status, _, text = send(fake, plain, dict(req.prepare().headers))
        t.eq((status, error_code(text)), (400, "RequestExpired"), "X-Amz-Date 20 min old: 400")
        t.eq(fake.count("expired_token"), 1, "expired-token outcome counted")


def test_json_protocol(t):
    with fakeaws.FakeAWS(region=REGION) as fake:
        ts = int(time.time())
        doc = {"Namespace": "Js", "MetricData": [{"MetricName": "M", "Value": 2.5,
                                                  "Timestamp": ts, "Unit": "Percent"}]}
        hdrs = {"Content-Type": "application/x-amz-json-1.0", "x-amzn-query-mode": "true",
                "X-Amz-Target": "GraniteServiceVersion20100801.PutMetricData"}
        body = json.dumps(doc).encode()
        status, _, _ = send(fake, body, sign(fake, body, dict(hdrs)))
        d = fake.datums("Js")
        t.ok(status == 200 and len(d) == 1 and (d[0].value, d[0].timestamp, d[0].protocol) ==
             (2.5, float(ts), "json"), "AWS JSON 1.0 PutMetricData accepted", d)
        doc["MetricData"][0]["Value"] = "NaN"
        body = json.dumps(doc).encode()
        status, rh, text = send(fake, body, sign(fake, body, dict(hdrs)))
        t.eq((status, rh.get("x-amzn-query-error")), (400, "InvalidParameterValue;Sender"),
             "JSON 1.0 NaN refused with x-amzn-query-error", text)


def cw_ok(fake, timeout=5.0):
    """Sends one valid signed PutMetricData; returns the HTTP status."""
    plain = urllib.parse.urlencode([("Action", "PutMetricData"), ("Version", "2010-08-01")]
                                   + datum_pairs()).encode()
    return send(fake, plain, sign(fake, plain, {"Content-Type": FORM}), timeout=timeout)


def expect_error(fn, *types):
    try:
        fn()
    except types as e:
        return e
    return None


def test_error_faults(t, fake):
    fake.set_fault("throttle", 2)
    got = [cw_ok(fake) for _ in range(3)]
    t.eq([(s, error_code(b)) for s, _, b in got], [(400, "Throttling"), (400, "Throttling"),
                                                    (200, None)], "throttle x2, then accepted")
    t.ok(b"<Type>Sender</Type>" in got[0][2] and b"Rate exceeded" in got[0][2],
         "Throttling is a Sender error 'Rate exceeded'")
    fake.set_fault("internal_error")
    s, _, b = cw_ok(fake)
    t.eq((s, error_code(b)), (500, "InternalServiceError"), "500 InternalServiceError")
    fake.set_fault("unavailable")
    t.eq(cw_ok(fake)[0], 503, "503 ServiceUnavailable")
    t.eq(cw_ok(fake)[0], 200, "fault used up after count requests")
    if fakeaws.cloudwatch_protocol() == "query":
        fake.set_fault("throttle")
        err = expect_error(lambda: client(fake).put_metric_data(
            Namespace="N", MetricData=[{"MetricName": "M", "Value": 1}]), ClientError)
        t.ok(err is not None and err.response["Error"]["Code"] == "Throttling",
             "botocore parses the Throttling error")


def test_connection_faults(t, fake):
    fake.set_fault("hang", delay=0.6)
    t0 = time.monotonic()
    err = expect_error(lambda: cw_ok(fake, timeout=0.2), socket.timeout)
    t.ok(err is not None, "hang: client read times out")
    fake.set_fault("hang", delay=0.3)
    err = expect_error(lambda: cw_ok(fake, timeout=3), http.client.RemoteDisconnected)
    t.ok(err is not None and time.monotonic() - t0 >= 0.25,
         "hang: connection closed unanswered after the delay")
    fake.set_fault("slow", delay=0.3)
    t0 = time.monotonic()
    t.ok(cw_ok(fake)[0] == 200 and time.monotonic() - t0 >= 0.28, "slow: answered after delay")
    fake.set_fault("reset")
    t.ok(expect_error(lambda: cw_ok(fake), ConnectionResetError) is not None,
         "reset: ConnectionResetError")
    fake.set_fault("close")
    t.ok(expect_error(lambda: cw_ok(fake), http.client.RemoteDisconnected) is not None,
         "close: closed without answer")
    fake.set_fault("garbage")
    s, _, b = cw_ok(fake)
    t.ok(s == 200 and error_code(b) is None and b"\x00" in b, "garbage: 200 with a junk body")
    fake.set_fault("huge", size=4 << 20)
    s, h, b = cw_ok(fake)
    t.ok(s == 200 and len(b) == 4 << 20 == int(h["content-length"]), "huge: 4 MiB body")
    fake.set_fault("not_http")
    t.ok(expect_error(lambda: cw_ok(fake), http.client.HTTPException) is not None,
         "not_http: not an HTTP answer")


def test_outage(t, fake):
    fake.set_outage("reset")
    resets = sum(expect_error(lambda: cw_ok(fake), ConnectionResetError) is not None
                 for _ in range(3))
    t.eq(resets, 3, "outage(reset): every request reset")
    fake.set_outage("unavailable")
    t.eq([cw_ok(fake)[0] for _ in range(2)], [503, 503], "outage(unavailable): every 503")
    fake.clear_fault()
    t.eq(cw_ok(fake)[0], 200, "cleared outage: accepted again")
    fake.set_fault("unavailable", target="imds")
    t.eq(cw_ok(fake)[0], 200, "fault aimed at IMDS leaves CloudWatch alone")
    t.eq(send(fake, b"", {"X-aws-ec2-metadata-token-ttl-seconds": "60"}, "PUT",
              "/latest/api/token")[0], 503, "fault aimed at IMDS hits IMDS")


def test_faults(t):
    with fakeaws.FakeAWS(region=REGION) as fake:
        test_error_faults(t, fake)
        test_connection_faults(t, fake)
        test_outage(t, fake)
        c = fake.counts()
        t.eq({k: c.get(k, 0) for k in ("fault_throttle", "fault_internal_error",
                                       "fault_unavailable", "fault_hang", "fault_reset")},
             {"fault_throttle": 2 + (fakeaws.cloudwatch_protocol() == "query"),
              "fault_internal_error": 1, "fault_unavailable": 4, "fault_hang": 2,
              "fault_reset": 4}, "faults counted by outcome")


def test_imds(t):
    tags = {"aws:autoscaling:groupName": "web-asg", "Name": "db1"}
    with fakeaws.FakeAWS(region=REGION, imds_tags=tags, credential_ttl=60) as fake:
        s, h, token = send(fake, b"", {"X-aws-ec2-metadata-token-ttl-seconds": "21600"}, "PUT",
                           "/latest/api/token")
        t.ok(s == 200 and len(token) > 20 and h.get("x-aws-ec2-metadata-token-ttl-seconds") ==
             "21600", "IMDSv2 token PUT")
        auth = {"X-aws-ec2-metadata-token": token.decode()}

        def get(path, headers=auth):
            return send(fake, method="GET", path=path, headers=headers)

        t.eq(get("/latest/meta-data/instance-id")[::2], (200, b"i-0123456789abcdef0"),
             "instance-id with token")
        t.eq(get("/latest/meta-data/instance-id", {})[0], 401, "tokenless GET: 401")
        t.eq(get("/latest/meta-data/instance-id", {"X-aws-ec2-metadata-token": "bogus"})[0], 401,
             "unknown token: 401")
        t.eq(send(fake, b"", {}, "PUT", "/latest/api/token")[0], 400, "token PUT without TTL: 400")
        t.eq(get("/latest/meta-data/placement/region")[2], REGION.encode(), "placement/region")
        doc = json.loads(get("/latest/dynamic/instance-identity/document")[2])
        t.eq((doc["region"], doc["instanceType"], doc["imageId"]),
             (REGION, "t3.micro", "ami-0123456789abcdef0"), "identity document")
        t.eq(get("/latest/meta-data/tags/instance/aws:autoscaling:groupName")[2], b"web-asg",
             "ASG name from instance tags")
        t.eq(get("/latest/meta-data/iam/security-credentials/")[2], b"hostwatch-role",
             "role name")
        creds = json.loads(get("/latest/meta-data/iam/security-credentials/hostwatch-role")[2])
        t.ok(creds["Code"] == "Success" and creds["AccessKeyId"].startswith("ASIA") and
             creds["Token"], "role credentials JSON")
        fetched = InstanceMetadataFetcher(timeout=2, num_attempts=1,
                                          base_url=fake.imds_url).retrieve_iam_role_credentials()
        t.eq(fetched.get("access_key"), creds["AccessKeyId"],
             "botocore's IMDS fetcher gets the same key")
        s, code, _ = put(fake, datum_pairs(), key=creds["AccessKeyId"],
                         secret=creds["SecretAccessKey"], token=creds["Token"])
        t.eq((s, fake.datums()[-1].key_source if fake.datums() else None), (200, "imds"),
             "IMDS credentials accepted by CloudWatch")
        fake.expire_credentials("imds")
        s, code, _ = put(fake, datum_pairs(), key=creds["AccessKeyId"],
                         secret=creds["SecretAccessKey"], token=creds["Token"])
        t.eq((s, code), (403, "ExpiredToken"), "expired IMDS key: ExpiredToken")
        again = json.loads(get("/latest/meta-data/iam/security-credentials/hostwatch-role")[2])
        t.ok(again["AccessKeyId"] != creds["AccessKeyId"], "after expiry IMDS hands out a new key")


def test_ecs(t):
    with fakeaws.FakeAWS(region=REGION, ecs_auth_token="Bearer-abc123") as fake:
        path = fake.ecs_credentials_relative_uri
        t.eq(send(fake, method="GET", path=path)[0], 401, "ECS credentials without token: 401")
        fetcher = ContainerMetadataFetcher()
        creds = fetcher.retrieve_full_uri(fake.ecs_credentials_url,
                                          headers={"Authorization": "Bearer-abc123"})
        t.ok(creds["AccessKeyId"].startswith("ASIA") and creds["RoleArn"].endswith("hostwatch"),
             "botocore's container fetcher gets ECS credentials (with auth token)")
        pod = fetcher.retrieve_full_uri(fake.pod_identity_url,
                                        headers={"Authorization": "Bearer-abc123"})
        t.ok(pod["AccessKeyId"] != creds["AccessKeyId"] and pod["AccountId"],
             "EKS Pod Identity credentials")
        s, _, _ = put(fake, datum_pairs(), key=creds["AccessKeyId"],
                      secret=creds["SecretAccessKey"], token=creds["Token"])
        t.eq((s, fake.key_source(creds["AccessKeyId"])), (200, "ecs"),
             "ECS credentials accepted by CloudWatch")
        base = urllib.parse.urlsplit(fake.ecs_metadata_url).path
        task = json.loads(send(fake, method="GET", path=base + "/task")[2])
        container = json.loads(send(fake, method="GET", path=base)[2])
        t.ok(task["Cluster"].endswith("cluster/hostwatch-test") and ":task/" in task["TaskARN"]
             and container["Name"] == "hostwatch", "ECS task metadata v4 (task + container)")


def test_sts(t):
    with fakeaws.FakeAWS(region=REGION, web_identity_tokens=["good-token-1"]) as fake:
        sts = client(fake, "sts", unsigned=True)
        out = sts.assume_role_with_web_identity(
            RoleArn="arn:aws:iam::123456789012:role/hostwatch", RoleSessionName="hw-test",
            WebIdentityToken="good-token-1", DurationSeconds=900)
        c = out["Credentials"]
        t.ok(c["AccessKeyId"].startswith("ASIA") and c["SessionToken"] and
             c["Expiration"].timestamp() > time.time() + 800,
             "botocore AssumeRoleWithWebIdentity gets credentials")
        s, _, _ = put(fake, datum_pairs(), key=c["AccessKeyId"], secret=c["SecretAccessKey"],
                      token=c["SessionToken"])
        t.eq((s, fake.datums()[-1].key_source if fake.datums() else None), (200, "sts"),
             "STS credentials accepted by CloudWatch")
        err = expect_error(lambda: sts.assume_role_with_web_identity(
            RoleArn="arn:aws:iam::123456789012:role/hostwatch", RoleSessionName="hw-test",
            WebIdentityToken="bad-token"), ClientError)
        t.ok(err is not None and err.response["Error"]["Code"] == "InvalidIdentityToken",
             "unknown web identity token: InvalidIdentityToken")
        body = urllib.parse.urlencode({"Action": "AssumeRoleWithWebIdentity",
                                       "Version": "2011-06-15", "RoleSessionName": "bad name!",
                                       "RoleArn": "arn:aws:iam::123456789012:role/hostwatch",
                                       "WebIdentityToken": "good-token-1"}).encode()
        s, _, _ = send(fake, body, {"Content-Type": FORM})
        t.eq(s, 400, "invalid RoleSessionName refused")
        t.eq([(x.session_name, x.duration_seconds) for x in fake.sts_calls()], [("hw-test", 900)],
             "STS calls recorded")


def test_wait_and_stop(t):
    fake = fakeaws.FakeAWS(region=REGION)
    threading.Timer(0.2, cw_ok, args=(fake,)).start()
    t0 = time.monotonic()
    got = fake.wait_for(lambda: fake.datums(), timeout=5)
    t.ok(got and time.monotonic() - t0 < 2, "wait_for wakes up on a recorded datum")
    t0 = time.monotonic()
    t.ok(not fake.wait_for(lambda: False, timeout=0.3) and time.monotonic() - t0 < 1,
         "wait_for is bounded")
    fake.set_fault("hang", delay=30)
    hung = threading.Thread(target=lambda: expect_error(lambda: cw_ok(fake, timeout=10),
                                                        Exception))
    hung.start()
    fake.wait_for(lambda: fake.count("fault_hang") or fake.requests(), timeout=2)
    time.sleep(0.1)
    t0 = time.monotonic()
    fake.stop()
    hung.join(5)
    t.ok(time.monotonic() - t0 < 3 and not hung.is_alive(), "stop() is quick even mid-hang")
    err = expect_error(lambda: socket.create_connection(("127.0.0.1", fake.port), 1),
                       ConnectionRefusedError)
    t.ok(err is not None, "port closed after stop()")
    fake.stop()
    t.ok(True, "stop() twice is harmless")


if __name__ == "__main__":
    TAP().run([test_protocol, test_botocore_client_accepted, test_signature_refused,
               test_invalid_bodies, test_gzip, test_keys_and_dates, test_json_protocol,
               test_faults, test_imds, test_ecs, test_sts, test_wait_and_stop])
