"""Amazon Route 53 (REST-XML, API 2013-04-01) for fakeaws.FakeAWS.

Served on the fake's port (`route53_url`), endpoint name ``route53``:

* ``POST /2013-04-01/hostedzone/{Id}/rrset/`` (also without the trailing slash) --
  ChangeResourceRecordSets. The XML body is decoded by walking botocore's input shape
  ``ChangeResourceRecordSetsRequest`` (root element and namespace
  ``https://route53.amazonaws.com/doc/2013-04-01/`` checked, members in any order, list
  members ``<Changes><Change>``/``<ResourceRecords><ResourceRecord>``, unknown elements, type,
  min/max/enum/pattern refused), then ``botocore.validate.validate_parameters``; problems are
  400 ``InvalidInput``. Route 53's own rules follow (a batch is applied whole or not at all):
  CREATE must not exist, DELETE must exist with the same TTL and values, UPSERT; the name inside
  the zone (case-insensitive, trailing dot optional); TTL and ResourceRecords for a non-alias
  record; CNAME exactly one value, not at the apex, and alone at its name; A values dotted IPv4,
  AAAA valid IPv6; one change per (name, type, SetIdentifier) per batch. Failures are 400
  ``InvalidChangeBatch`` with every message (shape: `route53_batch_error_shape`).
* ``GET /2013-04-01/change/{Id}`` -- GetChange: PENDING until `route53_insync_delay` seconds
  (read at GetChange time) after submission, then INSYNC.
* ``GET /2013-04-01/hostedzone/{Id}/rrset?name=&type=&identifier=&maxitems=`` --
  ListResourceRecordSets in Route 53's order (names compared label by label from the right,
  then type, then SetIdentifier), starting at name/type; IsTruncated and NextRecordName/Type
  (/Identifier) when more remain; MaxItems default 300 (at most 300 are returned).

``{Id}`` may be ``Z123`` or ``/hostedzone/Z123`` (URL-encoded or not), a change id ``C123`` or
``/change/C123``. Every request is SigV4-signed for service ``route53`` in ``us-east-1``,
whatever the fake's own region (checked by fakeaws_proto.SigV4Mixin). An unknown zone is 404
``NoSuchHostedZone``, an unknown change 404 ``NoSuchChange``. Answers are built from botocore's
output shapes.

Test API (on FakeAWS): `route53_add_zone`, `route53_set_record`, `route53_record`,
`route53_changes`, `route53_insync_delay`, `route53_batch_error_shape`, `route53_url`.
Outcomes: r53_changed, r53_get_change, r53_listed, invalid_change_batch, invalid,
no_such_zone, no_such_change (plus the SigV4 and fault outcomes).
"""

import ipaddress
import re
import time
import urllib.parse
import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape

from botocore.exceptions import ParamValidationError
from botocore.validate import validate_parameters

from fakeaws_proto import AWSError, _random_id, operation_model

R53_XMLNS = "https://route53.amazonaws.com/doc/2013-04-01/"
R53_VERSION = "2013-04-01"
R53_REGION = "us-east-1"
R53_MAX_ITEMS = 300
R53_OPERATIONS = ("ChangeResourceRecordSets", "GetChange", "ListResourceRecordSets")

_NS = "{%s}" % R53_XMLNS
_RRSET_RE = re.compile(r"/2013-04-01/hostedzone/(?P<id>.+?)/rrset(?P<slash>/?)")
_CHANGE_RE = re.compile(r"/2013-04-01/change/(?P<id>.+)")
_INT_RE = re.compile(r"[+-]?\d+")
_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_IPV4_RE = re.compile(r"%s(?:\.%s){3}" % (_OCTET, _OCTET))
_XML_DECL = b'<?xml version="1.0"?>\n'

# The NS and SOA records Route 53 puts at the apex of a new zone.
_APEX_NS = ["ns-1536.awsdns-00.co.uk.", "ns-0.awsdns-00.com.", "ns-1024.awsdns-00.org.",
            "ns-512.awsdns-00.net."]
_APEX_SOA = "ns-1536.awsdns-00.co.uk. awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400"


def route53_operation(method, path):
    """(operation, id) for a request under /2013-04-01/, or (None, None)."""
    m = _RRSET_RE.fullmatch(path)
    if m:
        if method == "POST":
            return "ChangeResourceRecordSets", _strip_id(m["id"], "hostedzone")
        if method == "GET":
            return "ListResourceRecordSets", _strip_id(m["id"], "hostedzone")
        return None, None
    m = _CHANGE_RE.fullmatch(path)
    if m and method == "GET":
        return "GetChange", _strip_id(m["id"], "change")
    return None, None


def route53_access_denied(operation):
    """The AccessDenied message Route 53 gives a role without the permission."""
    action = "route53:" + (operation or "ChangeResourceRecordSets")
    return ("User: arn:aws:sts::123456789012:assumed-role/hostwatch/fake is not authorized to "
            "perform: %s because no identity-based policy allows the %s action"
            % (action, action))


def _strip_id(raw, kind):
    text = urllib.parse.unquote(raw)
    for prefix in ("/%s/" % kind, "%s/" % kind):
        if text.startswith(prefix):
            return text[len(prefix):]
    return text


def normalize_name(name):
    """A DNS name as Route 53 stores it: lower case, with the trailing dot."""
    name = name.strip().lower()
    return name if name.endswith(".") else name + "."


def _order_key(name, rtype="", ident=""):
    """Route 53's list order: labels compared from the right (com.example.www), then type."""
    labels = tuple(reversed(name.rstrip(".").split("."))) if name.rstrip(".") else ()
    return (labels, rtype, ident or "")


class BatchError(AWSError):
    """400 InvalidChangeBatch with Route 53's list of messages."""

    def __init__(self, messages):
        super().__init__(400, "InvalidChangeBatch", "[%s]" % ", ".join(messages),
                         outcome="invalid_change_batch")
        self.messages = list(messages)


def _invalid(message):
    return AWSError(400, "InvalidInput", message)


# --------------------------------------------------------------------------------------------
# XML body -> botocore parameters, walked along the input shape


def _member_names(shape):
    """{wire element name: member name} of a structure, body members only."""
    return {m.serialization.get("name", name): name for name, m in shape.members.items()
            if "location" not in m.serialization}


def _check_text_only(elem, path):
    if elem.attrib:
        raise _invalid("Invalid XML ; attribute %s not allowed on %s"
                       % (next(iter(elem.attrib)), path))
    for child in elem:
        if (child.tail or "").strip():
            raise _invalid("Invalid XML ; text not allowed between elements in %s" % path)


def _local(elem, path):
    if not isinstance(elem.tag, str) or not elem.tag.startswith(_NS):
        raise _invalid("Invalid XML ; element %s in %s is not in the namespace %s"
                       % (elem.tag, path, R53_XMLNS))
    return elem.tag[len(_NS):]


def _walk(elem, shape, path):
    """Decodes elem as shape (structure, list or scalar) into botocore parameters."""
    kind = shape.type_name
    if kind in ("structure", "list"):
        _check_text_only(elem, path)
        if (elem.text or "").strip():
            raise _invalid("Invalid XML ; %s must contain elements, not text" % path)
    if kind == "structure":
        wire, out = _member_names(shape), {}
        for child in elem:
            local = _local(child, path)
            if local not in wire:
                raise _invalid("Invalid XML ; unexpected element '%s' in %s, expected one of %s"
                               % (local, path, ", ".join(wire)))
            name = wire[local]
            if name in out:
                raise _invalid("Invalid XML ; element '%s' repeated in %s" % (local, path))
            out[name] = _walk(child, shape.members[name], path + "." + local)
        return out
    if kind == "list":
        item_name = shape.member.serialization.get("name", "member")
        items = []
        for i, child in enumerate(elem, 1):
            if _local(child, path) != item_name:
                raise _invalid("Invalid XML ; unexpected element '%s' in %s, expected %s"
                               % (_local(child, path), path, item_name))
            items.append(_walk(child, shape.member, "%s.%s[%d]" % (path, item_name, i)))
        _check_count(len(items), shape, path)
        return items
    if len(elem):
        raise _invalid("Invalid XML ; %s is a value, not a structure" % path)
    if elem.attrib:
        raise _invalid("Invalid XML ; attributes not allowed on %s" % path)
    return scalar_value(elem.text or "", shape, path)


def _check_count(n, shape, path):
    meta = shape.metadata
    if n < meta.get("min", 0) or ("max" in meta and n > meta["max"]):
        raise _invalid("%s has %d members, the model allows %s..%s"
                       % (path, n, meta.get("min", 0), meta.get("max", "")))


def scalar_value(text, shape, path):
    """Converts a text value to shape's type and checks the model's min/max/enum/pattern."""
    kind, meta = shape.type_name, shape.metadata
    if kind == "string":
        if len(text) < meta.get("min", 0) or ("max" in meta and len(text) > meta["max"]):
            raise _invalid("%s: length %d is outside %s..%s"
                           % (path, len(text), meta.get("min", 0), meta.get("max", "")))
        if shape.enum and text not in shape.enum:
            raise _invalid("%s: %r must be one of %s" % (path, text, ", ".join(shape.enum)))
        pattern = meta.get("pattern")
        if pattern and not re.fullmatch(pattern, text, re.ASCII | re.DOTALL):
            raise _invalid("%s: %r does not match %s" % (path, text, pattern))
        return text
    if kind in ("integer", "long"):
        if not _INT_RE.fullmatch(text.strip()):
            raise _invalid("%s: %r is not an integer" % (path, text))
        value = int(text)
        if value < meta.get("min", value) or value > meta.get("max", value):
            raise _invalid("%s: %d is outside %s..%s"
                           % (path, value, meta.get("min", ""), meta.get("max", "")))
        return value
    if kind == "boolean":
        if text.strip() not in ("true", "false"):
            raise _invalid("%s: %r is not a boolean" % (path, text))
        return text.strip() == "true"
    raise _invalid("%s: type %s is not supported by the fake" % (path, kind))


def _validate(params, shape):
    try:
        validate_parameters(params, shape)
    except ParamValidationError as e:
        raise _invalid(str(e.kwargs.get("report", e))) from None


def change_batch_params(body, zone_id):
    """The ChangeResourceRecordSets body (bytes) as botocore parameters; AWSError if invalid."""
    shape = operation_model("route53", "ChangeResourceRecordSets").input_shape
    try:
        root = ET.fromstring(body)
    except ET.ParseError as e:
        raise _invalid("Invalid XML ; %s" % e) from None
    want = shape.serialization.get("name", shape.name)
    if root.tag != _NS + want:
        raise _invalid("Invalid XML ; the root element must be %s in the namespace %s, not %s"
                       % (want, R53_XMLNS, root.tag))
    params = _walk(root, shape, want)
    params["HostedZoneId"] = scalar_value(zone_id, shape.members["HostedZoneId"], "Id")
    _validate(params, shape)
    return params


def list_params(query, zone_id):
    """ListResourceRecordSets parameters from the URI and query string, checked by the model."""
    shape = operation_model("route53", "ListResourceRecordSets").input_shape
    wire = {m.serialization["name"]: name for name, m in shape.members.items()
            if m.serialization.get("location") == "querystring"}
    params = {"HostedZoneId": scalar_value(zone_id, shape.members["HostedZoneId"], "Id")}
    for key, value in urllib.parse.parse_qsl(query, keep_blank_values=True):
        if key in wire:
            if wire[key] in params:
                raise _invalid("query parameter %s given twice" % key)
            params[wire[key]] = scalar_value(value, shape.members[wire[key]], key)
    _validate(params, shape)
    if "StartRecordType" in params and "StartRecordName" not in params:
        raise _invalid("The input is not valid: type requires name")
    if "StartRecordIdentifier" in params and "StartRecordType" not in params:
        raise _invalid("The input is not valid: identifier requires name and type")
    items = params.get("MaxItems", str(R53_MAX_ITEMS))
    if not items.isdigit() or int(items) < 1:
        raise _invalid("maxitems must be a positive integer, not %r" % items)
    return params


# --------------------------------------------------------------------------------------------
# Answers from the output shapes


def _iso_ms(epoch):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch)) + ".%03dZ" % (
        int(epoch * 1000) % 1000)


def render(value, shape, tag):
    """value (botocore-style parameters) as XML text, members in the model's order."""
    kind = shape.type_name
    if kind == "structure":
        inner = "".join(render(value[name], m, m.serialization.get("name", name))
                        for name, m in shape.members.items() if value.get(name) is not None)
    elif kind == "list":
        item = shape.member.serialization.get("name", "member")
        inner = "".join(render(v, shape.member, item) for v in value)
    elif kind == "boolean":
        inner = "true" if value else "false"
    elif kind == "timestamp":
        inner = _iso_ms(value)
    else:
        inner = escape(str(value))
    return "<%s>%s</%s>" % (tag, inner, tag)


def response_body(operation, params):
    """The XML answer of operation (declaration, root with the Route 53 namespace)."""
    shape = operation_model("route53", operation).output_shape
    text = render(params, shape, shape.name)
    root = "<%s>" % shape.name
    text = '<%s xmlns="%s">' % (shape.name, R53_XMLNS) + text[len(root):]
    return _XML_DECL + text.encode()


def error_body(err, request_id, batch_shape):
    """An error in Route 53's shapes: InvalidChangeBatch with Messages, else ErrorResponse."""
    if isinstance(err, BatchError) and batch_shape == "invalid_change_batch":
        msgs = "".join("<Message>%s</Message>" % escape(m) for m in err.messages)
        text = ('<InvalidChangeBatch xmlns="%s"><Messages>%s</Messages><RequestId>%s'
                "</RequestId></InvalidChangeBatch>" % (R53_XMLNS, msgs, request_id))
    else:
        text = ('<ErrorResponse xmlns="%s"><Error><Type>%s</Type><Code>%s</Code><Message>%s'
                "</Message></Error><RequestId>%s</RequestId></ErrorResponse>"
                % (R53_XMLNS, err.kind, escape(err.code), escape(err.message), request_id))
    return _XML_DECL + text.encode()


# --------------------------------------------------------------------------------------------
# Route 53's rules for a change batch


def _rrset_desc(name, rtype):
    return "[name='%s', type='%s']" % (name, rtype)


def _value_problems(name, rtype, values):
    """Messages for record values Route 53 refuses (A, AAAA, CNAME, duplicates)."""
    out = []
    if rtype == "CNAME" and len(values) != 1:
        out.append("RRSet of type CNAME with DNS name %s must have exactly one value, not %d"
                   % (name, len(values)))
    for v in values:
        if rtype == "A" and not _IPV4_RE.fullmatch(v):
            out.append("Invalid Resource Record: 'FATAL problem: ARRDATAIllegalIPv4Address "
                       "(Value is not a valid IPv4 address) encountered with '%s''" % v)
        if rtype == "AAAA" and not _is_ipv6(v):
            out.append("Invalid Resource Record: 'FATAL problem: AAAARRDATAIllegalIPv6Address "
                       "(Value is not a valid IPv6 address) encountered with '%s''" % v)
    if len(set(values)) != len(values):
        out.append("Duplicate Resource Record in RRSet %s" % _rrset_desc(name, rtype))
    return out


def _is_ipv6(text):
    if "%" in text or ":" not in text:
        return False
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return True


def _shape_problems(change, zone_name):
    """Messages about one change on its own: zone, TTL/records/alias, values, apex CNAME."""
    rrset, action = change["ResourceRecordSet"], change["Action"]
    name, rtype = normalize_name(rrset["Name"]), rrset["Type"]
    if name != zone_name and not name.endswith("." + zone_name):
        return ["RRSet with DNS name %s is not permitted in zone %s" % (name, zone_name)]
    out = []
    simple = "TTL" in rrset or "ResourceRecords" in rrset
    others = [k for k in ("AliasTarget", "TrafficPolicyInstanceId") if k in rrset]
    if (simple and others) or len(others) > 1 or \
            (not others and ("TTL" not in rrset or "ResourceRecords" not in rrset)):
        out.append("Invalid request: Expected exactly one of [AliasTarget, all of [TTL, and "
                   "ResourceRecords], or TrafficPolicyInstanceId], but found %s in Change with "
                   "[Action=%s, Name=%s, Type=%s, SetIdentifier=%s]"
                   % ("more than one" if others and (simple or len(others) > 1) else "none",
                      action, name, rtype, rrset.get("SetIdentifier", "null")))
    values = [r["Value"] for r in rrset.get("ResourceRecords", [])]
    out += _value_problems(name, rtype, values)
    if rtype == "CNAME" and name == zone_name:
        out.append("RRSet of type CNAME with DNS name %s is not permitted at apex in zone %s"
                   % (name, zone_name))
    return out


def _same_record(a, b):
    strip = {k: v for k, v in a.items() if k != "ResourceRecords"}
    other = {k: v for k, v in b.items() if k != "ResourceRecords"}
    vals = sorted(r["Value"] for r in a.get("ResourceRecords", []))
    return strip == other and vals == sorted(r["Value"] for r in b.get("ResourceRecords", []))


def _state_problems(change, records, zone_name):
    """Messages about one change against the zone's records as the batch left them so far."""
    rrset, action = change["ResourceRecordSet"], change["Action"]
    name, rtype = rrset["Name"], rrset["Type"]
    key = (name, rtype, rrset.get("SetIdentifier"))
    if action == "CREATE" and key in records:
        return ["Tried to create resource record set %s but it already exists"
                % _rrset_desc(name, rtype)]
    if action == "DELETE":
        if key not in records:
            return ["Tried to delete resource record set %s but it was not found"
                    % _rrset_desc(name, rtype)]
        if not _same_record(records[key], rrset):
            return ["Tried to delete resource record set %s but the values provided do not "
                    "match the current values" % _rrset_desc(name, rtype)]
        if name == zone_name and rtype in ("SOA", "NS"):
            return ["A HostedZone must contain exactly one SOA record and at least one NS "
                    "record for the zone itself"]
        return []
    types = {k[1] for k in records if k[0] == name}
    if rtype == "CNAME" and types - {"CNAME"}:
        return ["RRSet of type CNAME with DNS name %s is not permitted as it conflicts with "
                "other records with the same DNS name in zone %s" % (name, zone_name)]
    if rtype != "CNAME" and "CNAME" in types:
        return ["RRSet of type %s with DNS name %s is not permitted because a conflicting RRSet "
                "of type CNAME with the same DNS name already exists in zone %s"
                % (rtype, name, zone_name)]
    return []


def apply_batch(changes, records, zone_name):
    """The zone's records after the batch (a new dict); raises BatchError with all messages."""
    records = dict(records)
    messages, seen = [], set()
    for change in changes:
        rrset = dict(change["ResourceRecordSet"])
        rrset["Name"] = normalize_name(rrset["Name"])
        change = dict(change, ResourceRecordSet=rrset)
        key = (rrset["Name"], rrset["Type"], rrset.get("SetIdentifier"))
        if key in seen:
            messages.append("The request contains an invalid set of changes for a resource "
                            "record set '%s %s'" % (rrset["Type"], rrset["Name"]))
            continue
        seen.add(key)
        problems = _shape_problems(change, zone_name)
        problems = problems or _state_problems(change, records, zone_name)
        messages += problems
        if problems:
            continue
        if change["Action"] == "DELETE":
            del records[key]
        else:
            records[key] = rrset
    if messages:
        raise BatchError(messages)
    return records


# --------------------------------------------------------------------------------------------
# The FakeAWS methods


class Route53Mixin:
    """Route 53 of FakeAWS (mixed into it; uses its _lock, _bump, _send, _authenticate and
    base_url). State: _r53_zones {id: {"name", "records"}}, _r53_changes [dict]."""

    def _route53_init(self):
        self.route53_insync_delay = 0.5
        # "invalid_change_batch": <InvalidChangeBatch><Messages> (the documented shape);
        # "error_response": <ErrorResponse> with Code InvalidChangeBatch (botocore reads it).
        self.route53_batch_error_shape = "invalid_change_batch"
        self._r53_zones = {}
        self._r53_changes = []
        operation_model("route53", "ChangeResourceRecordSets")

    @property
    def route53_url(self):
        """Route 53 endpoint (botocore endpoint_url; sign for us-east-1, service route53)."""
        return self.base_url

    def route53_add_zone(self, zone_id, name, *, apex_records=True):
        """Adds a hosted zone (id like Z0123456789ABCDEFGHIJ, name like corp.internal); with
        apex_records it holds the NS and SOA records Route 53 creates with a zone."""
        zone_id, name = _strip_id(zone_id, "hostedzone"), normalize_name(name)
        records = {}
        if apex_records:
            records[(name, "NS", None)] = self._r53_rrset(name, "NS", 172800, _APEX_NS)
            records[(name, "SOA", None)] = self._r53_rrset(name, "SOA", 900, [_APEX_SOA])
        with self._lock:
            self._r53_zones[zone_id] = {"name": name, "records": records}
            self._bump()

    @staticmethod
    def _r53_rrset(name, rtype, ttl, values):
        return {"Name": name, "Type": rtype, "TTL": int(ttl),
                "ResourceRecords": [{"Value": v} for v in values]}

    def route53_set_record(self, zone_id, name, type, ttl, values):  # noqa: A002 - API name
        """Sets a simple record directly (no change recorded); values None removes it."""
        name, zone_id = normalize_name(name), _strip_id(zone_id, "hostedzone")
        with self._lock:
            if zone_id not in self._r53_zones:
                raise ValueError("no hosted zone %s (route53_add_zone first)" % zone_id)
            records = self._r53_zones[zone_id]["records"]
            if values is None:
                records.pop((name, type, None), None)
            else:
                records[(name, type, None)] = self._r53_rrset(name, type, ttl, list(values))
            self._bump()

    def route53_record(self, zone_id, name, type):  # noqa: A002 - API name
        """(ttl, [values]) of the simple record name/type, or None."""
        with self._lock:
            zone = self._r53_zones.get(_strip_id(zone_id, "hostedzone"))
            rec = zone and zone["records"].get((normalize_name(name), type, None))
            if not rec:
                return None
            return rec.get("TTL"), [r["Value"] for r in rec.get("ResourceRecords", [])]

    def route53_changes(self, zone_id=None):
        """Accepted change batches, oldest first (dicts: time, zone, id, access_key, changes,
        comment), optionally for one zone."""
        with self._lock:
            return [dict(c, changes=[dict(x, values=list(x["values"])) for x in c["changes"]])
                    for c in self._r53_changes if zone_id in (None, c["zone"])]

    def _route53_reset(self):
        self._r53_changes = []

    def _route53_error_body(self, call, err):
        return error_body(err, call.request_id, self.route53_batch_error_shape)

    def _route53(self, call):
        """Signature first, then the operation picked by _route (call.operation)."""
        self._authenticate(call, "route53", region=R53_REGION)
        op = call.operation
        if op is None:
            raise AWSError(404, "InvalidAction", "No Route 53 operation at %s %s (the fake "
                           "serves ChangeResourceRecordSets, GetChange, ListResourceRecordSets)"
                           % (call.method, call.path), outcome="not_found")
        if op == "GetChange":
            return self._r53_get_change(call)
        if op == "ListResourceRecordSets":
            return self._r53_list(call)
        return self._r53_change(call)

    def _r53_zone(self, zone_id):
        zone = self._r53_zones.get(zone_id)
        if zone is None:
            raise AWSError(404, "NoSuchHostedZone", "No hosted zone found with ID: %s" % zone_id,
                           outcome="no_such_zone")
        return zone

    def _r53_change(self, call):
        params = change_batch_params(call.raw_body, call.resource_id)
        batch = params["ChangeBatch"]
        with self._lock:
            zone = self._r53_zone(params["HostedZoneId"])
            zone["records"] = apply_batch(batch["Changes"], zone["records"], zone["name"])
            entry = {"time": time.time(), "zone": params["HostedZoneId"],
                     "id": _random_id("C", 13, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"),
                     "access_key": call.access_key, "comment": batch.get("Comment"),
                     "changes": [self._r53_change_entry(c) for c in batch["Changes"]]}
            self._r53_changes.append(entry)
        body = response_body("ChangeResourceRecordSets",
                             {"ChangeInfo": self._r53_change_info(entry)})
        self._send(call, 200, body, "text/xml", "r53_changed")

    @staticmethod
    def _r53_change_entry(change):
        rrset = change["ResourceRecordSet"]
        return {"action": change["Action"], "name": normalize_name(rrset["Name"]),
                "type": rrset["Type"], "ttl": rrset.get("TTL"),
                "values": [r["Value"] for r in rrset.get("ResourceRecords", [])]}

    def _r53_change_info(self, entry):
        insync = time.time() >= entry["time"] + float(self.route53_insync_delay)
        return {"Id": "/change/" + entry["id"], "Status": "INSYNC" if insync else "PENDING",
                "SubmittedAt": entry["time"], "Comment": entry["comment"]}

    def _r53_get_change(self, call):
        shape = operation_model("route53", "GetChange").input_shape
        change_id = scalar_value(call.resource_id, shape.members["Id"], "Id")
        with self._lock:
            found = [c for c in self._r53_changes if c["id"] == change_id]
        if not found:
            raise AWSError(404, "NoSuchChange", "A change with the specified change ID does "
                           "not exist: %s" % change_id, outcome="no_such_change")
        body = response_body("GetChange", {"ChangeInfo": self._r53_change_info(found[0])})
        self._send(call, 200, body, "text/xml", "r53_get_change")

    def _r53_list(self, call):
        params = list_params(call.query, call.resource_id)
        with self._lock:
            zone = self._r53_zone(params["HostedZoneId"])
            rrsets = sorted(zone["records"].values(),
                            key=lambda r: _order_key(r["Name"], r["Type"],
                                                     r.get("SetIdentifier")))
        if "StartRecordName" in params:
            start = _order_key(normalize_name(params["StartRecordName"]),
                               params.get("StartRecordType", ""),
                               params.get("StartRecordIdentifier", ""))
            rrsets = [r for r in rrsets
                      if _order_key(r["Name"], r["Type"], r.get("SetIdentifier")) >= start]
        max_items = params.get("MaxItems", str(R53_MAX_ITEMS))
        n = min(int(max_items), R53_MAX_ITEMS)
        out = {"ResourceRecordSets": [dict(r) for r in rrsets[:n]],
               "IsTruncated": len(rrsets) > n, "MaxItems": max_items}
        if len(rrsets) > n:
            nxt = rrsets[n]
            out.update(NextRecordName=nxt["Name"], NextRecordType=nxt["Type"],
                       NextRecordIdentifier=nxt.get("SetIdentifier"))
        self._send(call, 200, response_body("ListResourceRecordSets", out), "text/xml",
                   "r53_listed")
