"""Self-test of the Route 53 part of fakeaws.FakeAWS, with botocore (the real AWS SDK) as the
client: changes, GetChange, ListResourceRecordSets, Route 53's batch rules, the model-driven
body checks, SigV4 and the faults, each answer also parsed by botocore's rest-xml parser.
Needs the system python3 with Debian's python3-botocore; skipped when botocore is missing.
"""
import http.client
import re
import sys
import time

from hwtest import TAP, wait_until

try:
    import botocore.session
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.config import Config
    from botocore.credentials import Credentials
    from botocore.exceptions import ClientError, ConnectionClosedError, EndpointConnectionError
    from botocore.parsers import create_parser

    import fakeaws
except ImportError as e:  # pragma: no cover - depends on the machine
    print("1..0 # SKIP botocore not importable (%s); run with the system python3" % e)
    sys.exit(0)

ZONE = "Z0123456789ABCDEFGHIJ"
ZONE_NAME = "corp.internal"
NS = "https://route53.amazonaws.com/doc/2013-04-01/"
MODEL = botocore.session.get_session().get_service_model("route53")


# ---- helpers


def r53(fake, secret=None, key=None, token=None, region="us-east-1"):
    """A botocore Route 53 client pointed at the fake, one attempt, short timeouts."""
    # total_max_attempts: {"max_attempts": 1} would still allow one retry (legacy mode).
    cfg = Config(retries={"total_max_attempts": 1}, connect_timeout=2, read_timeout=5)
    return botocore.session.get_session().create_client(
        "route53", endpoint_url=fake.route53_url, region_name=region,
        aws_access_key_id=key or fakeaws.DEFAULT_ACCESS_KEY,
        aws_secret_access_key=secret or fakeaws.DEFAULT_SECRET_KEY, aws_session_token=token,
        config=cfg)


def new_fake():
    """A fake in eu-west-1 (Route 53 still signs for us-east-1) with the test zone."""
    fake = fakeaws.FakeAWS(region="eu-west-1")
    fake.route53_add_zone(ZONE, ZONE_NAME)
    return fake


def rrset(name, rtype, ttl, *values):
    out = {"Name": name, "Type": rtype, "ResourceRecords": [{"Value": v} for v in values]}
    if ttl is not None:
        out["TTL"] = ttl
    return out


def change(client, *changes, comment=None, zone=ZONE):
    batch = {"Changes": [{"Action": a, "ResourceRecordSet": r} for a, r in changes]}
    if comment is not None:
        batch["Comment"] = comment
    return client.change_resource_record_sets(HostedZoneId=zone, ChangeBatch=batch)


def client_error(fn):
    """The ClientError fn raises (None when it succeeds)."""
    try:
        fn()
    except ClientError as e:
        return e
    return None


def code_of(err):
    return None if err is None else (err.response["Error"]["Code"],
                                     err.response["ResponseMetadata"]["HTTPStatusCode"])


def send(fake, method, path, body=b"", sign=True, secret=None):
    """A hand-made request, SigV4-signed for route53/us-east-1: (status, headers, body)."""
    url = fake.route53_url + path
    headers = {}
    if sign:
        req = AWSRequest(method=method, url=url, data=body)
        creds = Credentials(fakeaws.DEFAULT_ACCESS_KEY, secret or fakeaws.DEFAULT_SECRET_KEY)
        SigV4Auth(creds, "route53", "us-east-1").add_auth(req)
        headers = {k: v for k, v in req.prepare().headers.items() if k != "Content-Length"}
    conn = http.client.HTTPConnection("127.0.0.1", fake.port, timeout=5)
    try:
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def parse(operation, status, headers, body):
    """An answer as botocore's rest-xml parser reads it for operation."""
    shape = MODEL.operation_model(operation).output_shape
    return create_parser("rest-xml").parse(
        {"status_code": status, "headers": headers, "body": body}, shape)


def batch_xml(inner, root="ChangeResourceRecordSetsRequest", ns=NS):
    return ('<?xml version="1.0" encoding="UTF-8"?><%s xmlns="%s"><ChangeBatch><Changes>%s'
            "</Changes></ChangeBatch></%s>" % (root, ns, inner, root)).encode()


def change_xml(action="UPSERT", name="x.corp.internal", rtype="A", ttl="60",
               value="10.0.0.1", extra=""):
    return ("<Change><Action>%s</Action><ResourceRecordSet><Name>%s</Name><Type>%s</Type>"
            "<TTL>%s</TTL><ResourceRecords><ResourceRecord><Value>%s</Value></ResourceRecord>"
            "</ResourceRecords>%s</ResourceRecordSet></Change>"
            % (action, name, rtype, ttl, value, extra))


# ---- tests


def test_upsert_and_change_status(t):
    with new_fake() as fake:
        fake.route53_insync_delay = 0.4
        c = r53(fake)
        t0 = time.time()
        r = change(c, ("UPSERT", rrset("DB.Corp.Internal", "CNAME", 10, "db-1.eu.example.com")),
                   comment="failover to db-1")
        info = r["ChangeInfo"]
        t.ok(re.fullmatch(r"/change/C[A-Z0-9]+", info["Id"]) is not None,
             "UPSERT answered with a /change/C... id", info)
        t.eq(info["Status"], "PENDING", "new change is PENDING")
        t.ok(abs(info["SubmittedAt"].timestamp() - t0) < 2, "SubmittedAt is now", info)
        t.eq(info.get("Comment"), "failover to db-1", "comment echoed")
        t.eq(fake.route53_record(ZONE, "db.corp.internal.", "CNAME"),
             (10, ["db-1.eu.example.com"]), "record stored lower-case, value as given")
        got = fake.route53_changes()
        t.eq(len(got), 1, "one change recorded")
        t.eq(got[0]["changes"], [{"action": "UPSERT", "name": "db.corp.internal.",
                                  "type": "CNAME", "ttl": 10,
                                  "values": ["db-1.eu.example.com"]}], "change entry")
        t.eq((got[0]["zone"], "/change/" + got[0]["id"], got[0]["access_key"],
              got[0]["comment"]), (ZONE, info["Id"], fakeaws.DEFAULT_ACCESS_KEY,
                                   "failover to db-1"), "change: zone, id, key, comment")
        t.ok(t0 - 1 <= got[0]["time"] <= time.time(), "change time is time.time()")
        t.eq(c.get_change(Id=info["Id"])["ChangeInfo"]["Status"], "PENDING",
             "GetChange right away: PENDING")
        status = wait_until(lambda: c.get_change(Id=info["Id"])["ChangeInfo"]["Status"]
                            == "INSYNC", timeout=5, step=0.1)
        t.ok(status and time.time() - t0 >= 0.4, "GetChange: INSYNC after the delay")
        s, h, b = send(fake, "GET", "/2013-04-01/change/%2Fchange%2F" + got[0]["id"])
        p = parse("GetChange", s, h, b)
        t.eq((s, p["ChangeInfo"]["Id"], p["ChangeInfo"]["Status"]),
             (200, info["Id"], "INSYNC"), "GetChange with an encoded /change/ id, raw parse")
        t.ok(b.startswith(b'<?xml version="1.0"?>\n<GetChangeResponse xmlns="%s">'
                          % NS.encode()), "GetChangeResponse root and namespace", b)
        change(c, ("UPSERT", rrset("db.corp.internal.", "CNAME", 30, "db-2.eu.example.com")),
               zone="/hostedzone/" + ZONE)
        t.eq(fake.route53_record(ZONE, "DB.corp.internal", "CNAME"),
             (30, ["db-2.eu.example.com"]), "second UPSERT (zone as /hostedzone/Z...) replaces")
        change(c, ("DELETE", rrset("db.corp.internal", "CNAME", 30, "db-2.eu.example.com")))
        t.eq(fake.route53_record(ZONE, "db.corp.internal", "CNAME"), None, "DELETE removes it")
        t.eq([x["changes"][0]["action"] for x in fake.route53_changes(ZONE)],
             ["UPSERT", "UPSERT", "DELETE"], "route53_changes(zone) in order")
        t.eq(fake.route53_changes("ZOTHER"), [], "route53_changes of another zone: none")
        t.eq({k: v for k, v in fake.counts().items()},
             {"r53_changed": 3, "r53_get_change": fake.count("r53_get_change")},
             "counted as r53_changed / r53_get_change")
        t.ok(fake.count("r53_get_change") >= 3, "GetChange counted")


def test_list(t):
    with new_fake() as fake:
        for name, rtype, ttl, vals in (("db.corp.internal", "CNAME", 10, ["db-1.example."]),
                                       ("a.corp.internal", "A", 60, ["10.0.0.1", "10.0.0.2"]),
                                       ("a.corp.internal", "AAAA", 60, ["fd00::1"]),
                                       ("b.a.corp.internal", "TXT", 300, ['"x"']),
                                       ("z.corp.internal", "A", 60, ["10.0.0.9"])):
            fake.route53_set_record(ZONE, name, rtype, ttl, vals)
        t.eq(fake.route53_changes(), [], "route53_set_record records no change")
        c = r53(fake)
        r = c.list_resource_record_sets(HostedZoneId=ZONE)
        t.eq([(x["Name"], x["Type"]) for x in r["ResourceRecordSets"]],
             [("corp.internal.", "NS"), ("corp.internal.", "SOA"), ("a.corp.internal.", "A"),
              ("a.corp.internal.", "AAAA"), ("b.a.corp.internal.", "TXT"),
              ("db.corp.internal.", "CNAME"), ("z.corp.internal.", "A")],
             "Route 53 order: labels reversed, then type")
        t.eq((r["IsTruncated"], r["MaxItems"], "NextRecordName" in r), (False, "300", False),
             "whole zone: not truncated, MaxItems 300")
        r = c.list_resource_record_sets(HostedZoneId=ZONE, StartRecordName="db.corp.internal",
                                        StartRecordType="CNAME", MaxItems="1")
        t.eq(r["ResourceRecordSets"], [{"Name": "db.corp.internal.", "Type": "CNAME", "TTL": 10,
                                        "ResourceRecords": [{"Value": "db-1.example."}]}],
             "name/type/maxitems=1: exactly the CNAME")
        t.eq((r["IsTruncated"], r["NextRecordName"], r["NextRecordType"], r["MaxItems"]),
             (True, "z.corp.internal.", "A", "1"), "truncated, next is z/A")
        r = c.list_resource_record_sets(HostedZoneId=ZONE, StartRecordName="A.corp.internal.",
                                        StartRecordType="AAAA")
        t.eq([(x["Name"], x["Type"]) for x in r["ResourceRecordSets"]][:2],
             [("a.corp.internal.", "AAAA"), ("b.a.corp.internal.", "TXT")],
             "start at a name/type (case-insensitive)")
        t.eq(r["ResourceRecordSets"][0]["ResourceRecords"], [{"Value": "fd00::1"}],
             "AAAA values")
        pages, kw = [], {"HostedZoneId": ZONE, "MaxItems": "2"}
        while len(pages) < 10:
            r = c.list_resource_record_sets(**kw)
            pages.append([x["Name"] + x["Type"] for x in r["ResourceRecordSets"]])
            if not r["IsTruncated"]:
                break
            kw.update(StartRecordName=r["NextRecordName"], StartRecordType=r["NextRecordType"])
        t.eq([len(p) for p in pages], [2, 2, 2, 1], "paging by 2 walks all 7 records")
        s, h, b = send(fake, "GET", "/2013-04-01/hostedzone/%2Fhostedzone%2F" + ZONE +
                       "/rrset?name=z.corp.internal&maxitems=5")
        p = parse("ListResourceRecordSets", s, h, b)
        t.eq((s, [x["Name"] for x in p["ResourceRecordSets"]], p["IsTruncated"], p["MaxItems"]),
             (200, ["z.corp.internal."], False, "5"), "raw list, encoded zone id, parsed")
        for query, what in (("type=A", "type without name"), ("maxitems=0", "maxitems 0"),
                            ("name=a.corp.internal&type=BOGUS", "unknown type")):
            s, _, b = send(fake, "GET", "/2013-04-01/hostedzone/%s/rrset?%s" % (ZONE, query))
            t.eq((s, parse("ListResourceRecordSets", s, {}, b)["Error"]["Code"]),
                 (400, "InvalidInput"), "list with %s: 400 InvalidInput" % what)
        t.eq(fake.count("r53_listed"), 8, "listings counted")
        test_list_identifiers(t, fake, c)


def test_list_identifiers(t, fake, c):
    """Weighted records: ordered by SetIdentifier, paged with NextRecordIdentifier."""
    for ident, ip in (("blue", "10.0.1.1"), ("green", "10.0.1.2"), ("amber", "10.0.1.3")):
        r = rrset("w.corp.internal", "A", 60, ip)
        r.update(SetIdentifier=ident, Weight=10)
        change(c, ("CREATE", r))
    r = c.list_resource_record_sets(HostedZoneId=ZONE, StartRecordName="w.corp.internal",
                                    StartRecordType="A", MaxItems="2")
    t.eq([(x["SetIdentifier"], x["Weight"]) for x in r["ResourceRecordSets"]],
         [("amber", 10), ("blue", 10)], "weighted records in SetIdentifier order")
    t.eq((r["IsTruncated"], r["NextRecordName"], r["NextRecordType"],
          r.get("NextRecordIdentifier")), (True, "w.corp.internal.", "A", "green"),
         "NextRecordIdentifier when a name/type continues")
    r = c.list_resource_record_sets(HostedZoneId=ZONE, StartRecordName="w.corp.internal",
                                    StartRecordType="A", StartRecordIdentifier="green")
    t.eq([x.get("SetIdentifier") for x in r["ResourceRecordSets"]], ["green", None],
         "identifier= starts there (then z.corp.internal A)")
    t.eq(fake.route53_record(ZONE, "w.corp.internal", "A"), None,
         "route53_record reads the simple record only")


def batch_cases():
    """(what, changes, expected message fragment) Route 53 refuses with InvalidChangeBatch."""
    return [
        ("CNAME with two values", [("UPSERT", rrset("w.corp.internal", "CNAME", 60, "a.x.",
                                                      "b.x."))], "exactly one value"),
        ("A with a non-IPv4 value", [("UPSERT", rrset("w.corp.internal", "A", 60,
                                                        "10.0.0.300"))],
         "ARRDATAIllegalIPv4Address"),
        ("A with a name as value", [("UPSERT", rrset("w.corp.internal", "A", 60, "db.x."))],
         "ARRDATAIllegalIPv4Address"),
        ("AAAA with a bad value", [("UPSERT", rrset("w.corp.internal", "AAAA", 60,
                                                     "fd00::1::2"))],
         "AAAARRDATAIllegalIPv6Address"),
        ("CNAME at the apex", [("UPSERT", rrset("corp.internal", "CNAME", 60, "a.x."))],
         "not permitted at apex"),
        ("A where a CNAME is", [("CREATE", rrset("db.corp.internal", "A", 60, "10.0.0.1"))],
         "conflicting RRSet of type CNAME"),
        ("CNAME where an A is", [("UPSERT", rrset("a.corp.internal", "CNAME", 60, "x."))],
         "conflicts with other records"),
        ("name outside the zone", [("UPSERT", rrset("db.corp.example", "A", 60, "10.0.0.1"))],
         "is not permitted in zone corp.internal."),
        ("no TTL", [("UPSERT", rrset("w.corp.internal", "A", None, "10.0.0.1"))],
         "Expected exactly one of"),
        ("DELETE of a missing record", [("DELETE", rrset("w.corp.internal", "A", 60,
                                                           "10.0.0.1"))], "was not found"),
        ("DELETE with another TTL", [("DELETE", rrset("a.corp.internal", "A", 61,
                                                        "10.0.0.1"))], "do not match"),
        ("two changes to one record", [("UPSERT", rrset("w.corp.internal", "A", 60, "10.0.0.1")),
                                       ("UPSERT", rrset("W.corp.internal.", "A", 60,
                                                        "10.0.0.2"))],
         "invalid set of changes for a resource record set 'A w.corp.internal.'"),
    ]


def test_batch_rules(t):
    with new_fake() as fake:
        fake.route53_set_record(ZONE, "db.corp.internal", "CNAME", 10, ["db-1.example."])
        fake.route53_set_record(ZONE, "a.corp.internal", "A", 60, ["10.0.0.1"])
        c = r53(fake)
        err = client_error(lambda: change(c, ("CREATE", rrset("db.corp.internal", "CNAME", 10,
                                                             "db-2.example."))))
        t.eq(err.response["ResponseMetadata"]["HTTPStatusCode"] if err else None, 400,
             "CREATE on an existing record: 400")
        t.eq(err.response.get("Messages") if err else None,
             {"Message": "Tried to create resource record set [name='db.corp.internal.', "
                         "type='CNAME'] but it already exists"},
             "default shape: <InvalidChangeBatch><Messages> as botocore parses it")
        body = fake.requests("route53")[-1]
        t.eq((body.status, body.outcome), (400, "invalid_change_batch"), "logged and counted")
        fake.route53_batch_error_shape = "error_response"
        err = client_error(lambda: change(c, ("CREATE", rrset("db.corp.internal", "CNAME", 10,
                                                             "db-2.example."))))
        t.eq(code_of(err), ("InvalidChangeBatch", 400),
             "error_response shape: botocore sees code InvalidChangeBatch")
        t.ok(err is not None and "but it already exists" in err.response["Error"]["Message"],
             "... with Route 53's message", err and err.response)
        for what, changes, fragment in batch_cases():
            err = client_error(lambda: change(c, *changes))
            msg = err.response["Error"]["Message"] if err else ""
            t.ok(code_of(err) == ("InvalidChangeBatch", 400) and fragment in msg,
                 "%s: InvalidChangeBatch (%s)" % (what, fragment), err and err.response)
        fake.route53_batch_error_shape = "invalid_change_batch"
        two_values = change_xml(name="w.corp.internal", rtype="CNAME", value="a.x.").replace(
            "</ResourceRecords>", "<ResourceRecord><Value>b.x.</Value></ResourceRecord>"
            "</ResourceRecords>")
        s, h, b = send(fake, "POST", "/2013-04-01/hostedzone/%s/rrset/" % ZONE, batch_xml(
            change_xml(name="ok.corp.internal", value="10.0.0.5") + two_values +
            change_xml(name="v.corp.internal", value="no.such.ip")))
        t.ok(s == 400 and b.startswith(b'<?xml version="1.0"?>\n<InvalidChangeBatch xmlns="%s">'
                                       b"<Messages><Message>" % NS.encode()),
             "InvalidChangeBatch root, Route 53 namespace, Messages", b)
        msgs = re.findall(rb"<Message>([^<]*)</Message>", b)
        t.ok(len(msgs) == 2 and b"exactly one value" in msgs[0] and
             b"ARRDATAIllegalIPv4Address" in msgs[1], "both problems of the batch listed", b)
        t.ok(re.search(rb"<RequestId>[0-9a-f-]{36}</RequestId></InvalidChangeBatch>", b),
             "RequestId after the Messages", b)
        t.eq(fake.route53_record(ZONE, "ok.corp.internal", "A"), None,
             "a refused batch changes nothing, not even its valid first change")
        change(c, ("DELETE", rrset("db.corp.internal", "CNAME", 10, "db-1.example.")),
               ("CREATE", rrset("db.corp.internal", "A", 60, "10.1.2.3")),
               ("UPSERT", rrset("v6.corp.internal", "AAAA", 60, "fd00::1", "2001:db8::2")))
        t.eq((fake.route53_record(ZONE, "db.corp.internal", "CNAME"),
              fake.route53_record(ZONE, "db.corp.internal", "A"),
              fake.route53_record(ZONE, "v6.corp.internal", "AAAA")),
             (None, (60, ["10.1.2.3"]), (60, ["fd00::1", "2001:db8::2"])),
             "DELETE CNAME + CREATE A at the same name in one batch, AAAA accepted")
        t.eq(fake.count("invalid_change_batch"), 3 + len(batch_cases()),
             "refused batches counted as invalid_change_batch")
        t.eq(len(fake.route53_changes()), 1, "only the accepted batch recorded")


def test_invalid_input(t):
    with new_fake() as fake:
        path = "/2013-04-01/hostedzone/%s/rrset/" % ZONE
        s, h, b = send(fake, "POST", path, batch_xml(change_xml()))
        t.eq((s, parse("ChangeResourceRecordSets", s, h, b)["ChangeInfo"]["Status"]),
             (200, "PENDING"), "hand-written body accepted and parsed")
        s, _, b = send(fake, "POST", path.rstrip("/"), batch_xml(
            "<Change><ResourceRecordSet><TTL>5</TTL><Type>A</Type><Name>y.corp.internal</Name>"
            "<ResourceRecords><ResourceRecord><Value>10.9.9.9</Value></ResourceRecord>"
            "</ResourceRecords></ResourceRecordSet><Action>CREATE</Action></Change>"))
        t.eq((s, fake.route53_record(ZONE, "y.corp.internal", "A")), (200, (5, ["10.9.9.9"])),
             "members in any order, path without the trailing slash")
        cases = [
            ("unknown element", batch_xml(change_xml(extra="<Colour>red</Colour>")),
             "unexpected element 'Colour'"),
            ("bad namespace", batch_xml(change_xml(), ns="https://route53.amazonaws.com/doc/"
                                                        "2012-02-29/"), "namespace"),
            ("no namespace", batch_xml(change_xml(), ns=""), "namespace"),
            ("wrong root", batch_xml(change_xml(), root="ChangeBatchRequest"), "root element"),
            ("malformed XML", batch_xml(change_xml())[:-10], "Invalid XML"),
            ("bad Action enum", batch_xml(change_xml(action="REPLACE")), "must be one of"),
            ("TTL not an integer", batch_xml(change_xml(ttl="ten")), "not an integer"),
            ("TTL below the model min", batch_xml(change_xml(ttl="-1")), "outside"),
            ("no Changes", batch_xml(""), "Changes"),
            ("list item misnamed", batch_xml(change_xml().replace("ResourceRecord>", "RR>")),
             "expected ResourceRecord"),
            ("missing Type", batch_xml(change_xml().replace("<Type>A</Type>", "")),
             "Missing required parameter"),
            ("Name too long", batch_xml(change_xml(name="a" * 1025)), "length 1025"),
            ("repeated element", batch_xml(change_xml(extra="<TTL>7</TTL>")), "repeated"),
        ]
        for what, body, fragment in cases:
            s, h, b = send(fake, "POST", path, body)
            p = parse("ChangeResourceRecordSets", s, h, b)
            t.ok((s, p["Error"]["Code"]) == (400, "InvalidInput") and
                 fragment in p["Error"]["Message"] and b"<Type>Sender</Type>" in b,
                 "%s: 400 InvalidInput (%s)" % (what, fragment), b)
        t.ok(b'<ErrorResponse xmlns="%s">' % NS.encode() in b, "ErrorResponse in Route 53's ns")
        t.eq(fake.count("invalid"), len(cases), "counted as invalid")
        s, _, b = send(fake, "POST", path, b"<x/>" * (300 << 10))
        t.eq((s, parse("GetChange", s, {}, b)["Error"]["Code"]),
             (413, "RequestEntityTooLarge"), "body over 1 MiB: 413 in Route 53's shape")
        t.eq(len(fake.route53_changes()), 2, "only the two good bodies recorded")


def test_not_found(t):
    with new_fake() as fake:
        c = r53(fake)
        err = client_error(lambda: change(c, ("UPSERT", rrset("a.corp.internal", "A", 60,
                                                             "10.0.0.1")), zone="ZNOSUCHZONE"))
        t.eq(code_of(err), ("NoSuchHostedZone", 404), "change in an unknown zone: 404")
        err = client_error(lambda: c.list_resource_record_sets(HostedZoneId="ZNOSUCHZONE"))
        t.eq(code_of(err), ("NoSuchHostedZone", 404), "list of an unknown zone: 404")
        err = client_error(lambda: c.get_change(Id="/change/CNOSUCHCHANGE"))
        t.eq(code_of(err), ("NoSuchChange", 404), "unknown change: 404 NoSuchChange")
        s, _, b = send(fake, "GET", "/2013-04-01/healthcheck")
        t.eq((s, parse("GetChange", s, {}, b)["Error"]["Code"]), (404, "InvalidAction"),
             "an operation the fake does not serve: 404")
        t.eq((fake.count("no_such_zone"), fake.count("no_such_change")), (2, 1),
             "counted as no_such_zone / no_such_change")


def test_auth(t):
    with new_fake() as fake:
        bad = "wrong" + fakeaws.DEFAULT_SECRET_KEY[5:]
        err = client_error(lambda: r53(fake, secret=bad).list_resource_record_sets(
            HostedZoneId=ZONE))
        t.eq(code_of(err), ("SignatureDoesNotMatch", 403), "wrong secret: 403")
        err = client_error(lambda: change(r53(fake, secret=bad), (
            "UPSERT", rrset("a.corp.internal", "A", 60, "10.0.0.1"))))
        t.eq(code_of(err), ("SignatureDoesNotMatch", 403), "wrong secret on a change: 403")
        err = client_error(lambda: r53(fake, region="eu-west-1").list_resource_record_sets(
            HostedZoneId=ZONE))
        t.eq(code_of(err), ("SignatureDoesNotMatch", 403),
             "signed for the fake's region instead of us-east-1: 403")
        t.ok(err is not None and "us-east-1/route53" in err.response["Error"]["Message"],
             "message names the scope us-east-1/route53", err and err.response)
        err = client_error(lambda: r53(fake, key="AKIAUNKNOWNKEY000000").get_change(Id="C1"))
        t.eq(code_of(err), ("InvalidClientTokenId", 403), "unknown key: 403")
        s, _, b = send(fake, "GET", "/2013-04-01/change/C1", sign=False)
        t.eq((s, parse("GetChange", s, {}, b)["Error"]["Code"]),
             (403, "MissingAuthenticationToken"), "unsigned: 403")
        fake.add_key("ASIAHOSTWATCHTEMP001", "temp/secret", "session-token-1")
        c = r53(fake, key="ASIAHOSTWATCHTEMP001", secret="temp/secret", token="session-token-1")
        change(c, ("UPSERT", rrset("t.corp.internal", "TXT", 60, '"v"')))
        t.eq(fake.route53_changes()[-1]["access_key"], "ASIAHOSTWATCHTEMP001",
             "session credentials accepted, key recorded")
        err = client_error(lambda: r53(fake, key="ASIAHOSTWATCHTEMP001", secret="temp/secret")
                           .get_change(Id="C1"))
        t.eq(code_of(err), ("InvalidClientTokenId", 403), "session key without its token: 403")
        fake.set_clock_offset(20 * 60)
        err = client_error(lambda: r53(fake).get_change(Id="C1"))
        t.eq(code_of(err), ("RequestExpired", 400), "clock 20 min off: 400 RequestExpired")
        fake.set_clock_offset(0)
        t.eq(len(fake.route53_changes()), 1, "refused requests record nothing")
        t.eq((fake.count("signature_mismatch"), fake.count("auth_error"),
              fake.count("request_expired")), (3, 3, 1), "outcomes as for CloudWatch")


def test_faults(t):
    with new_fake() as fake:
        c = r53(fake)
        up = ("UPSERT", rrset("a.corp.internal", "A", 60, "10.0.0.1"))
        fake.set_fault("throttle", target="route53")
        err = client_error(lambda: change(c, up))
        t.eq(code_of(err), ("Throttling", 400), "throttle: botocore sees 400 Throttling")
        fake.set_fault("prior_request", target="route53")
        err = client_error(lambda: change(c, up))
        t.eq(code_of(err), ("PriorRequestNotComplete", 400), "prior_request: 400")
        t.ok(err is not None and "still processing a prior request" in
             err.response["Error"]["Message"], "PriorRequestNotComplete message")
        fake.set_fault("access_denied", target="route53")
        err = client_error(lambda: change(c, up))
        t.ok(code_of(err) == ("AccessDenied", 403) and "route53:ChangeResourceRecordSets" in
             err.response["Error"]["Message"], "access_denied: 403 naming the action",
             err and err.response)
        fake.set_fault("internal_error", target="route53")
        t.eq(code_of(client_error(lambda: c.get_change(Id="C1"))),
             ("InternalServiceError", 500), "internal_error hits GetChange too")
        fake.set_fault("throttle", 2, target="route53", operation="ChangeResourceRecordSets")
        r = c.list_resource_record_sets(HostedZoneId=ZONE, MaxItems="1")
        t.eq(r["ResponseMetadata"]["HTTPStatusCode"], 200, "operation= fault spares the list")
        t.eq([code_of(client_error(lambda: change(c, up))) for _ in range(3)],
             [("Throttling", 400), ("Throttling", 400), None], "... and hits changes twice")
        fake.set_fault("throttle", target="cloudwatch")
        t.eq(c.list_resource_record_sets(HostedZoneId=ZONE)["ResponseMetadata"]
             ["HTTPStatusCode"], 200, "a CloudWatch fault leaves Route 53 alone")
        fake.clear_fault()
        s, h, b = send_fault(fake, "throttle")
        t.ok(b'<ErrorResponse xmlns="%s">' % NS.encode() in b and
             parse("GetChange", s, h, b)["Error"]["Code"] == "Throttling",
             "Throttling body in Route 53's ErrorResponse shape", b)
        fake.set_fault("reset", target="route53")
        try:
            c.get_change(Id="C1")
            t.ok(False, "reset: connection error")
        except (ConnectionClosedError, EndpointConnectionError, ConnectionError):
            t.ok(True, "reset: botocore gets a connection error")
        fake.set_fault("hang", target="route53", delay=0.3)
        t0 = time.monotonic()
        try:
            c.get_change(Id="C1")
            t.ok(False, "hang: no answer")
        except (ConnectionClosedError, EndpointConnectionError, ConnectionError):
            t.ok(time.monotonic() - t0 >= 0.25, "hang: closed unanswered after the delay")
        t.eq({k: fake.count("fault_" + k) for k in ("throttle", "prior_request",
                                                    "access_denied", "internal_error")},
             {"throttle": 4, "prior_request": 1, "access_denied": 1, "internal_error": 1},
             "faults counted")
        t.eq(len(fake.route53_changes()), 1, "only the unfaulted change recorded")
        try:
            fake.set_fault("throttle", target="route53", operation="DeleteHostedZone")
            t.ok(False, "unknown operation refused")
        except ValueError:
            t.ok(True, "set_fault refuses an unknown operation")


def send_fault(fake, mode):
    fake.set_fault(mode, target="route53", operation="GetChange")
    return send(fake, "GET", "/2013-04-01/change/C1")


def test_log_and_reset(t):
    with new_fake() as fake:
        c = r53(fake)
        change(c, ("UPSERT", rrset("a.corp.internal", "A", 60, "10.0.0.1")))
        c.list_resource_record_sets(HostedZoneId=ZONE)
        log = fake.requests("route53")
        t.eq([(r.method, r.status, r.outcome, r.access_key) for r in log],
             [("POST", 200, "r53_changed", fakeaws.DEFAULT_ACCESS_KEY),
              ("GET", 200, "r53_listed", fakeaws.DEFAULT_ACCESS_KEY)], "requests('route53')")
        t.ok(b"<Value>10.0.0.1</Value>" in log[0].body, "logged body is the XML sent")
        t.eq(fake.route53_url, "http://127.0.0.1:%d" % fake.port, "route53_url")
        fake.reset()
        t.eq((fake.route53_changes(), fake.requests("route53")), ([], []),
             "reset() forgets changes and the log")
        t.eq(fake.route53_record(ZONE, "a.corp.internal", "A"), (60, ["10.0.0.1"]),
             "reset() keeps zones and records")


if __name__ == "__main__":
    TAP().run([test_upsert_and_change_status, test_list, test_batch_rules, test_invalid_input,
               test_not_found, test_auth, test_faults, test_log_and_reset])
