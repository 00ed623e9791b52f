"""A local fake of the AWS endpoints that hostwatch's CloudWatch exporter talks to.

One `FakeAWS` object runs one HTTP server on 127.0.0.1 (a free port) in a background thread and
serves, all on that port:

* CloudWatch PutMetricData at ``POST /`` -- Query protocol (form body, optionally gzip) and, for
  newer SDKs, AWS JSON 1.0 (``X-Amz-Target: GraniteServiceVersion20100801.PutMetricData``).
  Every request's SigV4 ``Authorization`` header is recomputed with botocore's own signer
  (``botocore.auth.SigV4Auth``: canonical request, string to sign, signing key) and compared
  exactly; the body is then checked against botocore's CloudWatch service model
  (``botocore.validate.validate_parameters`` plus the model's max/enum/pattern constraints) and the
  service limits (1000 metrics, 150 values, 30 dimensions, finite values within +-2^360, timestamp
  between 2 weeks ago and 2 hours ahead, StorageResolution 1 or 60). Accepted data points are
  recorded as `Datum` objects.
* STS AssumeRoleWithWebIdentity, also at ``/`` (``POST`` form or ``GET`` query, unsigned). STS and
  CloudWatch share the path, so requests are dispatched on their ``Action`` parameter (JSON
  requests on ``X-Amz-Target``); `sts_url` and `cloudwatch_url` are the same URL.
* EC2 IMDSv2 under ``/latest/`` (token ``PUT``, token-protected ``GET``; tokenless -> 401).
* Amazon Managed Prometheus remote write at ``POST /workspaces/<id>/api/v1/remote_write``
  (SigV4, service ``aps``, checked with botocore as above) and a plain Prometheus-style receiver
  at ``POST /api/v1/write`` (``remote_write_auth``: None, ``("basic", user, password)`` or
  ``("bearer", token)``). Both require the remote write 1.0 headers, decode the Snappy-compressed
  ``WriteRequest`` (tests/integration/rwdecode.py), check label order and record each sample
  (`remote_write_samples`); outcomes ``rw_accepted``, ``rw_throttled`` (429 with Retry-After,
  `remote_write_throttle`), ``invalid``, ``auth_error``.
* ECS container credentials ``GET /v2/credentials/<id>``, EKS Pod Identity ``GET /v1/credentials``
  (both with an optional/required ``Authorization`` token) and ECS task metadata v4 under
  ``/v4/<id>``.

Credentials handed out by IMDS, ECS, EKS and STS are fresh temporary keys (``ASIA...`` + session
token) that CloudWatch then accepts until they expire (``credential_ttl``); IMDS/ECS/EKS keep
serving a key until less than half its lifetime is left, STS issues a new key per call.

Faults can be switched on from the test thread at any time (`set_fault`, `set_outage`,
`clear_fault`): throttling, 500, 503, AccessDenied, hang, slow answer, connection reset, close
without answer, garbage body, huge body, non-HTTP bytes. The fake's clock can be moved
(`set_clock_offset`) to play a client whose clock is off, and with ``tls_cert`` it serves
HTTPS. Every request is counted by outcome (`counts`) and logged (`requests`). Outcome names:

  accepted            PutMetricData recorded (200)
  invalid             400 for a bad body/parameters (InvalidParameterValue, MissingParameter,
                      InvalidParameterCombination, bad gzip/form/JSON, wrong Action/Version)
  auth_error          403 MissingAuthenticationToken, IncompleteSignature, InvalidClientTokenId
  signature_mismatch  403 SignatureDoesNotMatch (also 400 XAmzContentSHA256Mismatch)
  expired_token       ExpiredToken (403 by default, see expired_token_status)
  request_expired     400 RequestExpired (X-Amz-Date more than 15 min off)
  too_large           413 RequestEntityTooLarge
  fault_<mode>        an injected fault (fault_slow is counted in addition to the real outcome)
  tls_handshake_failed  (HTTPS mode) a client gave up the TLS handshake, e.g. its certificate
                      check failed
  sts_ok, sts_rejected (InvalidIdentityToken)
  imds_token, imds_ok, imds_unauthorized (401), imds_not_found, imds_bad_request,
  imds_forbidden, imds_bad_method
  ecs_ok, ecs_unauthorized, ecs_not_found, ecs_metadata, ecs_bad_method
  not_found           any other path
  fake_bug            500 InternalFailure: an exception inside the fake (a bug here, not in the
                      client)

What a client must do to be accepted by CloudWatch here (as by AWS): sign with SigV4 (service
``monitoring``, the fake's region) in the ``Authorization`` header, formatted exactly as
``AWS4-HMAC-SHA256 Credential=<key>/<yyyymmdd>/<region>/monitoring/aws4_request,
SignedHeaders=<sorted;lower;names>, Signature=<64 lower hex>``; sign at least ``host`` and
``x-amz-date`` (``X-Amz-Date: YYYYMMDDTHHMMSSZ``, within 15 min of the clock) and, with session
credentials, send and sign ``X-Amz-Security-Token``; hash the body bytes as sent (the gzip bytes
when ``Content-Encoding: gzip``); send ``Content-Type: application/x-www-form-urlencoded`` (a
``; charset=utf-8`` suffix is fine) with ``Action=PutMetricData&Version=2010-08-01``.

Standard library plus botocore only; run with the system python3 (Debian python3-botocore).
"""

import base64
import dataclasses
import datetime
import hashlib
import http.server
import json
import math
import re
import secrets
import socket
import ssl
import string
import struct
import sys
import threading
import time
import urllib.parse
import uuid
import zlib
from xml.sax.saxutils import escape

import botocore.session
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.compat import HTTPHeaders
from botocore.credentials import Credentials
from botocore.exceptions import ParamValidationError
from botocore.validate import validate_parameters

import rwdecode

__all__ = ["FakeAWS", "Datum", "RequestRecord", "StsCall", "FAULT_MODES",
           "DEFAULT_ACCESS_KEY", "DEFAULT_SECRET_KEY"]

DEFAULT_ACCESS_KEY = "AKIAHOSTWATCHFAKE001"
DEFAULT_SECRET_KEY = "hostwatch/Fake+Secret/Key0123456789abcde"
ACCOUNT_ID = "123456789012"

CW_XMLNS = "http://monitoring.amazonaws.com/doc/2010-08-01/"
STS_XMLNS = "https://sts.amazonaws.com/doc/2011-06-15/"
CW_VERSION = "2010-08-01"
STS_VERSION = "2011-06-15"
CW_JSON_PREFIX = "GraniteServiceVersion20100801."
JSON_CONTENT_TYPE = "application/x-amz-json-1.0"
FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"

MAX_METRICS = 1000
MAX_VALUES = 150
MAX_DIMENSIONS = 30
VALUE_LIMIT = 2.0 ** 360
PAST_WINDOW = 14 * 86400
FUTURE_WINDOW = 2 * 3600
SIGNATURE_SKEW = 15 * 60
SIGV4_DATE_FORMAT = "%Y%m%dT%H%M%SZ"
MAX_WAIT = 120.0

# Faults that answer with an AWS error: mode -> (HTTP status, code, type, message).
_ERROR_FAULTS = {
    "throttle": (400, "Throttling", "Sender", "Rate exceeded"),
    "internal_error": (500, "InternalServiceError", "Receiver", "Internal service error (fake)"),
    "unavailable": (503, "ServiceUnavailable", "Receiver", "Service unavailable (fake)"),
    "access_denied": (403, "AccessDenied", "Sender",
                      "User: arn:aws:sts::123456789012:assumed-role/hostwatch/fake is not "
                      "authorized to perform: cloudwatch:PutMetricData because no "
                      "identity-based policy allows the cloudwatch:PutMetricData action"),
    "too_many_requests": (429, "ThrottlingException", "Sender", "Rate exceeded (fake)"),
    "bad_request": (400, "ValidationException", "Sender", "out of bounds sample (fake)"),
}
# Faults that misbehave at the connection level, or answer slowly.
_BEHAVIOUR_FAULTS = ("hang", "slow", "reset", "close", "garbage", "huge", "not_http")
FAULT_MODES = tuple(_ERROR_FAULTS) + _BEHAVIOUR_FAULTS
FAULT_TARGETS = ("cloudwatch", "sts", "imds", "ecs", "aps", "any")

_JSON_ERROR_SHAPES = {
    "InvalidParameterValue": "InvalidParameterValueException",
    "MissingParameter": "MissingRequiredParameterException",
    "InvalidParameterCombination": "InvalidParameterCombinationException",
    "InternalServiceError": "InternalServiceFault",
}

_DOUBLE_RE = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_SPECIAL_DOUBLES = {"NaN": math.nan, "Infinity": math.inf, "+Infinity": math.inf,
                    "-Infinity": -math.inf}
_INT_RE = re.compile(r"[+-]?\d+")
_INDEX_RE = re.compile(r"[1-9]\d*")
_ISO_RE = re.compile(r"(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)")
_AUTH_RE = re.compile(
    r"AWS4-HMAC-SHA256 Credential=(?P<key>[^/,\s]+)/(?P<date>\d{8})/(?P<region>[^/,\s]+)/"
    r"(?P<service>[^/,\s]+)/aws4_request, SignedHeaders=(?P<signed>[^,\s]+), "
    r"Signature=(?P<sig>[0-9a-f]{64})")


# --------------------------------------------------------------------------------------------
# Records


@dataclasses.dataclass(frozen=True)
class Datum:
    """One accepted CloudWatch data point, as the fake understood it.

    Exactly one of `value`, `values` (with `counts`, None when omitted) and `statistic_values`
    (dict with SampleCount, Sum, Minimum, Maximum) is set. `timestamp` is epoch seconds (float) or
    None when the request had none; `storage_resolution` is None when omitted (the service then
    uses 60).
    """

    namespace: str
    name: str
    dimensions: dict
    value: float = None
    values: list = None
    counts: list = None
    statistic_values: dict = None
    unit: str = None
    timestamp: float = None
    storage_resolution: int = None
    request_id: str = ""
    access_key: str = ""
    key_source: str = ""
    protocol: str = "query"
    gzip: bool = False
    received_at: float = 0.0


@dataclasses.dataclass(frozen=True)
class RequestRecord:
    """One request the fake saw: where it went and what became of it."""

    time: float
    endpoint: str  # cloudwatch, sts, imds, ecs, other
    method: str
    path: str
    status: int  # 0 when no HTTP answer was sent (reset, close, hang)
    outcome: str
    request_id: str = ""
    access_key: str = ""
    headers: tuple = ()
    body: bytes = b""  # the decoded (gunzipped) body


@dataclasses.dataclass(frozen=True)
class StsCall:
    """One successful AssumeRoleWithWebIdentity call."""

    role_arn: str
    session_name: str
    web_identity_token: str
    duration_seconds: int
    access_key: str


@dataclasses.dataclass
class _Key:
    access_key: str
    secret_key: str
    token: str = None
    expires: float = None  # epoch seconds, None = never
    source: str = "static"


class AWSError(Exception):
    """An error answer: HTTP status, AWS error code, message, Sender/Receiver, outcome name."""

    def __init__(self, status, code, message, kind="Sender", outcome="invalid"):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.kind = kind
        self.outcome = outcome


class _BodyTooLarge(Exception):
    pass


# --------------------------------------------------------------------------------------------
# Small helpers


def _iso(epoch):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def _random_id(prefix, n=16, alphabet=string.ascii_uppercase + "234567"):
    return prefix + "".join(secrets.choice(alphabet) for _ in range(n))


def _random_secret():
    return base64.b64encode(secrets.token_bytes(30)).decode()


def _random_token():
    return base64.b64encode(secrets.token_bytes(120)).decode()


_MODEL_LOCK = threading.Lock()
_MODELS = {}


def operation_model(service, operation):
    """botocore's OperationModel for service/operation, loaded once per process."""
    with _MODEL_LOCK:
        if service not in _MODELS:
            _MODELS[service] = botocore.session.get_session().get_service_model(service)
        return _MODELS[service].operation_model(operation)


def cloudwatch_protocol():
    """The wire protocol the installed botocore uses for CloudWatch ('query', 'json', ...)."""
    model = operation_model("cloudwatch", "PutMetricData").service_model
    # botocore >= 1.42 picks from the model's "protocols" list by its own priority.
    return getattr(model, "resolved_protocol", None) or model.metadata.get("protocol")


def _xml_error(xmlns, code, message, kind, request_id):
    return ('<ErrorResponse xmlns="%s"><Error><Type>%s</Type><Code>%s</Code>'
            "<Message>%s</Message></Error><RequestId>%s</RequestId></ErrorResponse>\n"
            % (xmlns, kind, escape(code), escape(message), request_id)).encode()


# --------------------------------------------------------------------------------------------
# Query protocol -> botocore parameters (model driven)


def _form_tree(pairs):
    """Builds a tree from dotted form keys: {'A': {'member': {'1': {None: 'v'}}}}."""
    root = {}
    for key, value in pairs:
        node = root
        for part in key.split("."):
            node = node.setdefault(part, {})
        if None in node:
            raise AWSError(400, "InvalidParameterValue", "Parameter %s appears twice" % key)
        node[None] = value
    return root


def _scalar(node, shape, path):
    extra = [k for k in node if k is not None]
    if extra:
        raise AWSError(400, "InvalidParameterValue", "Unknown parameter %s.%s" % (path, extra[0]))
    text = node[None]
    kind = shape.type_name
    if kind == "string":
        return text
    if kind in ("integer", "long"):
        if not _INT_RE.fullmatch(text):
            raise AWSError(400, "InvalidParameterValue", "%s: %r is not an integer" % (path, text))
        return int(text)
    if kind in ("double", "float"):
        if text in _SPECIAL_DOUBLES:
            return _SPECIAL_DOUBLES[text]
        if not _DOUBLE_RE.fullmatch(text):
            raise AWSError(400, "InvalidParameterValue", "%s: %r is not a number" % (path, text))
        return float(text)
    if kind == "boolean":
        if text not in ("true", "false"):
            raise AWSError(400, "InvalidParameterValue", "%s: %r is not a boolean" % (path, text))
        return text == "true"
    if kind == "timestamp":
        return _parse_iso(text, path)
    if kind == "blob":
        try:
            return base64.b64decode(text, validate=True)
        except ValueError:
            raise AWSError(400, "InvalidParameterValue", "%s: not base64" % path) from None
    raise AWSError(400, "InvalidParameterValue", "%s: unsupported type %s" % (path, kind))


def _parse_iso(text, path):
    m = _ISO_RE.fullmatch(text)
    if not m:
        raise AWSError(400, "InvalidParameterValue",
                       "%s: %r is not an ISO 8601 timestamp (YYYY-MM-DDThh:mm:ss[.fff]Z)"
                       % (path, text))
    try:
        # Whole seconds + offset, then the fraction (fromisoformat limits its digits).
        base = datetime.datetime.fromisoformat(text[:19] + m.group(8).replace("Z", "+00:00"))
    except ValueError:
        raise AWSError(400, "InvalidParameterValue",
                       "%s: %r is not a valid date and time" % (path, text)) from None
    return base + datetime.timedelta(seconds=float(m.group(7) or 0))


def _list_items(node, path):
    """The element nodes of a (non-flattened) query list: Name.member.1 .. Name.member.N."""
    if set(node) == {None} and node[None] == "":
        return []
    bad = [k for k in node if k != "member"]
    if bad:
        raise AWSError(400, "InvalidParameterValue",
                       "Unknown parameter %s%s" % (path, "" if bad[0] is None else "." + bad[0]))
    members = node["member"]
    keys = [k for k in members if k is not None]
    if None in members or not all(_INDEX_RE.fullmatch(k) for k in keys) or \
            sorted(int(k) for k in keys) != list(range(1, len(keys) + 1)):
        raise AWSError(400, "InvalidParameterValue",
                       "%s.member.N: indices must be 1, 2, ... without gaps" % path)
    return [members[str(i)] for i in range(1, len(keys) + 1)]


def _decode_node(node, shape, path):
    kind = shape.type_name
    if kind == "structure":
        if None in node:
            raise AWSError(400, "InvalidParameterValue", "%s is a structure, not a value" % path)
        wire = {m.serialization.get("name", name): name for name, m in shape.members.items()}
        out = {}
        for child, sub in node.items():
            if child not in wire:
                raise AWSError(400, "InvalidParameterValue",
                               "Unknown parameter %s" % (path + "." + child if path else child))
            name = wire[child]
            out[name] = _decode_node(sub, shape.members[name],
                                     path + "." + child if path else child)
        return out
    if kind == "list":
        if shape.serialization.get("flattened"):
            raise AWSError(400, "InvalidParameterValue", "flattened lists are not supported")
        return [_decode_node(item, shape.member, "%s.member.%d" % (path, i))
                for i, item in enumerate(_list_items(node, path), 1)]
    if kind == "map":
        return _decode_map(node, shape, path)
    return _scalar(node, shape, path)


def _decode_map(node, shape, path):
    entries = node.get("entry")
    if entries is None or len(node) != 1:
        raise AWSError(400, "InvalidParameterValue", "%s: expected %s.entry.N" % (path, path))
    out = {}
    for i, item in enumerate(_list_items({"member": entries}, path + ".entry"), 1):
        where = "%s.entry.%d" % (path, i)
        if set(item) != {"key", "value"}:
            raise AWSError(400, "InvalidParameterValue", "%s needs key and value" % where)
        out[_scalar(item["key"], shape.key, where)] = _decode_node(item["value"], shape.value,
                                                                  where + ".value")
    return out


def query_params(pairs, shape):
    """Turns Query protocol form pairs (without Action/Version) into botocore parameters."""
    return _decode_node(_form_tree(pairs), shape, "")


def json_params(doc, shape, path=""):
    """Converts an AWS JSON 1.0 document into botocore parameters (timestamps, NaN strings)."""
    kind = shape.type_name
    if kind == "structure" and isinstance(doc, dict):
        return {k: json_params(v, shape.members[k], (path + "." + k).lstrip("."))
                if k in shape.members else v for k, v in doc.items()}
    if kind == "list" and isinstance(doc, list):
        return [json_params(v, shape.member, "%s.member.%d" % (path, i))
                for i, v in enumerate(doc, 1)]
    if kind == "timestamp" and isinstance(doc, (int, float)) and not isinstance(doc, bool):
        return datetime.datetime.fromtimestamp(doc, datetime.timezone.utc)
    if kind in ("double", "float") and isinstance(doc, str) and doc in _SPECIAL_DOUBLES:
        return _SPECIAL_DOUBLES[doc]
    if kind in ("integer", "long", "double", "float") and isinstance(doc, bool):
        raise AWSError(400, "InvalidParameterValue", "%s: boolean given for a number" % path)
    return doc


def check_model(params, shape):
    """validate_parameters (required members, types, min) plus max, enum and pattern checks."""
    try:
        validate_parameters(params, shape)
    except ParamValidationError as e:
        report = str(e.kwargs.get("report", e))
        code = "MissingParameter" if "Missing required parameter" in report \
            else "InvalidParameterValue"
        raise AWSError(400, code, report) from None
    problems = []
    _check_constraints(params, shape, "", problems)
    if problems:
        raise AWSError(400, "InvalidParameterValue", "; ".join(problems[:5]))


def _check_constraints(value, shape, path, problems):
    meta, kind = shape.metadata, shape.type_name
    if kind == "structure":
        for name, sub in value.items():
            _check_constraints(sub, shape.members[name], (path + "." + name).lstrip("."),
                               problems)
    elif kind == "list":
        if "max" in meta and len(value) > meta["max"]:
            problems.append("%s has %d members, at most %d allowed"
                            % (path, len(value), meta["max"]))
        for i, item in enumerate(value):
            _check_constraints(item, shape.member, "%s[%d]" % (path, i), problems)
    elif kind == "string":
        _check_string(value, shape, path, problems)
    elif kind in ("integer", "long", "double", "float"):
        if "max" in meta and value > meta["max"]:
            problems.append("%s: %r is above the maximum %r" % (path, value, meta["max"]))


def _check_string(value, shape, path, problems):
    meta = shape.metadata
    if "max" in meta and len(value) > meta["max"]:
        problems.append("%s is %d characters long, at most %d allowed"
                        % (path, len(value), meta["max"]))
    if shape.enum and value not in shape.enum:
        problems.append("%s: %r must be one of %s" % (path, value, ", ".join(shape.enum)))
    pattern = meta.get("pattern")
    if pattern and "\\u" not in pattern:  # Java-only \u escapes are skipped
        try:
            if not re.fullmatch(pattern, value, re.ASCII | re.DOTALL):
                problems.append("%s: %r does not match the pattern %s" % (path, value, pattern))
        except re.error:
            pass


# --------------------------------------------------------------------------------------------
# PutMetricData service rules (beyond the model)


def _ascii_label(text):
    """True for ASCII without control characters and with a non-blank character."""
    return text.isascii() and text.isprintable() and text.strip() != ""


def _check_number(x, where):
    if not math.isfinite(x) or abs(x) > VALUE_LIMIT:
        raise AWSError(400, "InvalidParameterValue",
                       "The value %r for parameter %s is invalid: values must be finite and "
                       "within -2^360..2^360" % (x, where))


def _check_dimensions(dims, where):
    names = set()
    for i, dim in enumerate(dims, 1):
        at = "%s.Dimensions.member.%d" % (where, i)
        if not _ascii_label(dim["Name"]) or dim["Name"].startswith(":"):
            raise AWSError(400, "InvalidParameterValue",
                           "%s.Name %r is invalid" % (at, dim["Name"]))
        if not _ascii_label(dim["Value"]):
            raise AWSError(400, "InvalidParameterValue",
                           "%s.Value %r is invalid" % (at, dim["Value"]))
        if dim["Name"] in names:
            raise AWSError(400, "InvalidParameterValue",
                           "%s: duplicate dimension name %r" % (at, dim["Name"]))
        names.add(dim["Name"])
    if len(dims) > MAX_DIMENSIONS:
        raise AWSError(400, "InvalidParameterValue",
                       "%s has %d dimensions, at most %d" % (where, len(dims), MAX_DIMENSIONS))


def _check_values(d, where):
    forms = [k for k in ("Value", "Values", "StatisticValues") if k in d]
    if len(forms) != 1:
        raise AWSError(400, "InvalidParameterCombination",
                       "%s: exactly one of Value, Values and StatisticValues must be given "
                       "(got %s)" % (where, ", ".join(forms) or "none"))
    if "Value" in d:
        _check_number(d["Value"], where + ".Value")
    if "Counts" in d and "Values" not in d:
        raise AWSError(400, "InvalidParameterCombination", "%s: Counts without Values" % where)
    if "Values" in d:
        _check_value_list(d, where)
    if "StatisticValues" in d:
        s = d["StatisticValues"]
        for k in ("SampleCount", "Sum", "Minimum", "Maximum"):
            _check_number(s[k], "%s.StatisticValues.%s" % (where, k))
        if s["SampleCount"] <= 0 or s["Minimum"] > s["Maximum"]:
            raise AWSError(400, "InvalidParameterValue",
                           "%s.StatisticValues: need SampleCount > 0 and Minimum <= Maximum"
                           % where)


def _check_value_list(d, where):
    values, counts = d["Values"], d.get("Counts")
    if not values or len(values) > MAX_VALUES:
        raise AWSError(400, "InvalidParameterValue",
                       "%s.Values has %d members, 1..%d allowed" % (where, len(values), MAX_VALUES))
    for i, v in enumerate(values, 1):
        _check_number(v, "%s.Values.member.%d" % (where, i))
    if len(set(values)) != len(values):
        raise AWSError(400, "InvalidParameterValue",
                       "%s.Values: each value must be listed once (use Counts)" % where)
    if counts is not None:
        if len(counts) != len(values):
            raise AWSError(400, "InvalidParameterValue",
                           "%s: Counts has %d members, Values %d" % (where, len(counts),
                                                                     len(values)))
        for i, c in enumerate(counts, 1):
            _check_number(c, "%s.Counts.member.%d" % (where, i))
            if c < 0:
                raise AWSError(400, "InvalidParameterValue",
                               "%s.Counts.member.%d is negative" % (where, i))


def _check_timestamp(ts, where, now):
    epoch = ts.timestamp()
    if epoch < now - PAST_WINDOW or epoch > now + FUTURE_WINDOW:
        raise AWSError(400, "InvalidParameterValue",
                       "The parameter %s.Timestamp (%s) must be between two weeks ago and two "
                       "hours from now" % (where, ts.isoformat()))


def check_put_metric_data(params, now):
    """Applies the PutMetricData rules the model cannot express; raises AWSError."""
    ns = params["Namespace"]
    if not _ascii_label(ns) or ns.startswith("AWS/"):
        raise AWSError(400, "InvalidParameterValue",
                       "The value %r for parameter Namespace is invalid" % ns)
    data = params["MetricData"]
    if not 1 <= len(data) <= MAX_METRICS:
        raise AWSError(400, "InvalidParameterValue",
                       "MetricData has %d members, 1..%d allowed" % (len(data), MAX_METRICS))
    for i, d in enumerate(data, 1):
        where = "MetricData.member.%d" % i
        _check_dimensions(d.get("Dimensions", []), where)
        _check_values(d, where)
        if "StorageResolution" in d and d["StorageResolution"] not in (1, 60):
            raise AWSError(400, "InvalidParameterValue",
                           "%s.StorageResolution must be 1 or 60" % where)
        if "Timestamp" in d:
            _check_timestamp(d["Timestamp"], where, now)


# --------------------------------------------------------------------------------------------
# SigV4 verification with botocore's signer


class _VerifyingSigner(SigV4Auth):
    """botocore's SigV4Auth, restricted to the headers the client says it signed."""

    def __init__(self, credentials, service, region, signed_names):
        super().__init__(credentials, service, region)
        self._signed_names = signed_names

    def headers_to_sign(self, request):
        out = HTTPHeaders()
        for name in self._signed_names:
            for value in request.headers.get_all(name) or []:
                out[name] = value
        return out


def expected_authorization(method, url, headers, body, key, service, region, amz_date,
                           signed_names):
    """Signs the received request again with botocore; returns (Authorization, canonical, sts).

    headers is a list of (name, value) as received (without Authorization); amz_date is the
    request's X-Amz-Date, used as botocore's signing time (request.context['timestamp']).
    """
    request = AWSRequest(method=method, url=url, data=body)
    for name, value in headers:
        request.headers[name] = value
    request.context["timestamp"] = amz_date
    signer = _VerifyingSigner(Credentials(key.access_key, key.secret_key, key.token), service,
                              region, signed_names)
    canonical = signer.canonical_request(request)
    to_sign = signer.string_to_sign(request, canonical)
    signer._inject_signature_to_request(request, signer.signature(to_sign, request))
    return request.headers["Authorization"], canonical, to_sign


# --------------------------------------------------------------------------------------------
# HTTP plumbing


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, fake, tls_context=None):
        self.fake = fake
        self.tls_context = tls_context
        super().__init__(("127.0.0.1", 0), _Handler)

    def get_request(self):
        conn, addr = super().get_request()
        if self.tls_context is not None:  # the handshake happens in the handler's thread
            conn = self.tls_context.wrap_socket(conn, server_side=True,
                                                do_handshake_on_connect=False)
        return conn, addr


class _Handler(http.server.BaseHTTPRequestHandler):
    """Reads one request at a time (HTTP/1.1 keep-alive) and hands it to the FakeAWS."""

    protocol_version = "HTTP/1.1"
    server_version = "FakeAWS/1.0"
    timeout = 30  # idle keep-alive connections are dropped after this

    def setup(self):
        super().setup()
        self.server.fake._connection(self.connection, True)

    def handle(self):
        if isinstance(self.connection, ssl.SSLSocket):
            try:
                self.connection.do_handshake()
            except (ssl.SSLError, OSError):
                self.server.fake._record_tls_failure()
                self.close_connection = True
                return
        super().handle()

    def date_time_string(self, timestamp=None):
        """The Date header, from the fake's clock (see FakeAWS.set_clock_offset)."""
        return super().date_time_string(self.server.fake.now() if timestamp is None
                                        else timestamp)

    def finish(self):
        try:
            super().finish()
        except OSError:
            pass
        finally:
            self.server.fake._connection(self.connection, False)

    def do_GET(self):  # noqa: N802 - http.server naming
        self.server.fake._handle(self)

    do_POST = do_PUT = do_GET

    def do_HEAD(self):  # noqa: N802
        self.answer(405, b"", "text/plain")

    do_DELETE = do_PATCH = do_HEAD

    def log_message(self, fmt, *args):
        if self.server.fake.verbose:
            sys.stderr.write("# fakeaws: %s\n" % (fmt % args))

    def read_body(self, limit):
        """The request body (Content-Length or chunked); raises _BodyTooLarge past limit."""
        te = (self.headers.get("Transfer-Encoding") or "").strip().lower()
        if te == "chunked":
            return self._read_chunked(limit)
        if te not in ("", "identity"):
            raise AWSError(501, "NotImplemented", "Transfer-Encoding %s" % te)
        length = self.headers.get("Content-Length")
        if length is None:
            return b""
        if not length.strip().isdigit():
            raise AWSError(400, "InvalidRequest", "bad Content-Length")
        n = int(length)
        if n > limit:
            raise _BodyTooLarge()
        data = self.rfile.read(n)
        if len(data) != n:
            raise ConnectionError("client went away")
        return data

    def _read_chunked(self, limit):
        out = bytearray()
        while True:
            line = self.rfile.readline(1024)
            size = int(line.split(b";")[0].strip() or b"x", 16)
            if size == 0:
                break
            if len(out) + size > limit:
                raise _BodyTooLarge()
            out += self.rfile.read(size)
            self.rfile.readline(16)
        while self.rfile.readline(8192) not in (b"\r\n", b"\n", b""):
            pass
        return bytes(out)

    def answer(self, status, body, content_type, headers=()):
        """Sends a complete response."""
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def reset(self):
        """Closes the connection with a TCP RST and no answer."""
        self.close_connection = True
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()

    def drop(self):
        """Closes the connection without an answer (a clean FIN)."""
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


@dataclasses.dataclass
class _Call:
    """Per-request state shared by the endpoint handlers."""

    handler: _Handler
    method: str
    path: str
    query: str
    raw_body: bytes
    endpoint: str = "other"
    protocol: str = "query"
    body: bytes = None  # decoded body, None when undecodable
    pairs: list = None  # form pairs, None when not a form
    decode_error: AWSError = None
    request_id: str = dataclasses.field(default_factory=lambda: str(uuid.uuid4()))
    access_key: str = ""
    gzip: bool = False

    def form(self):
        """Form parameters as a dict (first value of each); {} when the body is not a form."""
        out = {}
        for k, v in self.pairs or []:
            out.setdefault(k, v)
        return out


# --------------------------------------------------------------------------------------------
# The fake


class FakeAWS:
    """Fake CloudWatch + STS + IMDSv2 + ECS/EKS credentials + ECS metadata on one local port.

    Constructor arguments (all keyword, all optional):

    region              region the fake signs and answers for (default eu-west-1)
    keys                static key pairs accepted by CloudWatch: (access, secret[, token
                        [, expires_epoch]]) tuples; default [(DEFAULT_ACCESS_KEY,
                        DEFAULT_SECRET_KEY)]
    credential_ttl      lifetime in seconds of credentials issued by IMDS/ECS/EKS/STS (3600)
    imds_role           IAM role name served by IMDS; None = instance without a role (404)
    imds_tags           dict of instance tags served under tags/instance/ (None = tags off, 404)
    imds_v1             allow tokenless IMDS GETs (default False: 401 without a token)
    instance            dict overriding identity-document fields (instanceId, imageId,
                        instanceType, availabilityZone, accountId, privateIp)
    ecs_auth_token      token required in the Authorization header by /v2/credentials/<id>
                        (None = not checked) and by /v1/credentials (EKS Pod Identity)
    ecs_task            dict overriding task-metadata fields (Cluster, TaskARN, ...)
    role_arn            role reported by ECS/EKS credentials
    web_identity_tokens iterable of tokens STS accepts (None = any token of valid length)
    expired_token_status HTTP status of the ExpiredToken error (403; AWS pages disagree: 400/403)
    max_body_bytes      largest request body on the wire (1 MiB; larger -> 413)
    max_decoded_bytes   largest body after gunzip (1 MiB: stay under it uncompressed to be safe)
    timestamp_clock     callable giving "now" for the Timestamp window check (time.time)
    tls_cert, tls_key   PEM files: serve HTTPS with them instead of plain HTTP (None)
    max_log             number of RequestRecords kept (10000)
    verbose             print the HTTP access log to stderr as TAP comments
    """

    def __init__(self, *, region="eu-west-1", keys=None, credential_ttl=3600.0,
                 imds_role="hostwatch-role", imds_tags=None, imds_v1=False, instance=None,
                 ecs_auth_token=None, ecs_task=None,
                 role_arn="arn:aws:iam::%s:role/hostwatch" % ACCOUNT_ID,
                 web_identity_tokens=None, expired_token_status=403,
                 max_body_bytes=1 << 20, max_decoded_bytes=1 << 20, timestamp_clock=time.time,
                 max_log=10000, verbose=False, tls_cert=None, tls_key=None):
        self.region = region
        self.credential_ttl = float(credential_ttl)
        self.imds_role = imds_role
        self.imds_tags = dict(imds_tags) if imds_tags is not None else None
        self.imds_v1 = imds_v1
        self.ecs_auth_token = ecs_auth_token
        self.role_arn = role_arn
        self.web_identity_tokens = set(web_identity_tokens) if web_identity_tokens else None
        self.expired_token_status = expired_token_status
        self.max_body_bytes = max_body_bytes
        self.max_decoded_bytes = max_decoded_bytes
        self.timestamp_clock = timestamp_clock
        self.max_log = max_log
        self.verbose = verbose
        self.clock_offset = 0.0
        self.scheme = "https" if tls_cert else "http"
        self.ecs_credentials_id = str(uuid.uuid4())
        self.ecs_metadata_id = secrets.token_hex(16) + "-" + str(secrets.randbelow(10 ** 10))
        self.instance = self._default_instance(instance or {})
        self.ecs_task = self._default_task(ecs_task or {})
        self.remote_write_auth = None  # what POST /api/v1/write requires (see module doc)
        self._rw_throttle = [0, 0]  # answers 429 left, their Retry-After (s)

        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._generation = 0
        self._keys = {}
        self._current = {}  # source -> _Key currently handed out
        self._imds_tokens = {}  # token -> expiry (epoch)
        self._conns = set()
        self._stopping = threading.Event()
        self.reset()
        for spec in keys if keys is not None else [(DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY)]:
            self.add_key(*spec)
        # Load the service models now, not inside the first (timed) request.
        operation_model("cloudwatch", "PutMetricData")
        operation_model("sts", "AssumeRoleWithWebIdentity")
        tls_context = None
        if tls_cert:
            tls_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            tls_context.load_cert_chain(tls_cert, tls_key)
        self._server = _Server(self, tls_context)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        name="fakeaws-%d" % self.port, daemon=True)
        self._thread.start()

    # ---- lifecycle

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    def stop(self, timeout=5.0):
        """Stops the server: no new requests, open connections cut, thread joined (bounded)."""
        if self._thread is None:
            return
        self._stopping.set()
        self._server.shutdown()
        with self._lock:
            conns = list(self._conns)
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self._server.server_close()
        self._thread.join(timeout)
        with self._changed:
            self._changed.wait_for(lambda: not self._conns, timeout)
        self._thread = None

    close = stop

    def _connection(self, conn, opened):
        with self._lock:
            (self._conns.add if opened else self._conns.discard)(conn)
            self._changed.notify_all()

    # ---- URLs

    @property
    def base_url(self):
        """http://127.0.0.1:PORT, https:// with tls_cert (no trailing slash)."""
        return "%s://127.0.0.1:%d" % (self.scheme, self.port)

    @property
    def cloudwatch_url(self):
        """CloudWatch endpoint (AWS_ENDPOINT_URL_CLOUDWATCH / exporters.cloudwatch.endpoint)."""
        return self.base_url + "/"

    @property
    def sts_url(self):
        """STS endpoint (AWS_ENDPOINT_URL_STS); the same URL as cloudwatch_url."""
        return self.base_url + "/"

    @property
    def imds_url(self):
        """IMDS base (AWS_EC2_METADATA_SERVICE_ENDPOINT), without trailing slash."""
        return self.base_url

    @property
    def ecs_credentials_relative_uri(self):
        return "/v2/credentials/" + self.ecs_credentials_id

    @property
    def ecs_credentials_url(self):
        """ECS task-role credentials (AWS_CONTAINER_CREDENTIALS_FULL_URI)."""
        return self.base_url + self.ecs_credentials_relative_uri

    @property
    def pod_identity_url(self):
        """EKS Pod Identity credentials (AWS_CONTAINER_CREDENTIALS_FULL_URI + auth token)."""
        return self.base_url + "/v1/credentials"

    @property
    def ecs_metadata_url(self):
        """ECS task metadata v4 (ECS_CONTAINER_METADATA_URI_V4)."""
        return "%s/v4/%s" % (self.base_url, self.ecs_metadata_id)

    def environ(self, credentials="static", token_file=None):
        """Environment for an agent using this fake; credentials picks the provider to test:
        static, imds, ecs, eks (needs ecs_auth_token), web_identity (needs token_file)."""
        env = {"AWS_REGION": self.region, "AWS_ENDPOINT_URL_CLOUDWATCH": self.cloudwatch_url,
               "AWS_ENDPOINT_URL_STS": self.sts_url, "AWS_EC2_METADATA_DISABLED": "true"}
        if credentials == "static":
            key = self.static_key()
            env.update(AWS_ACCESS_KEY_ID=key[0], AWS_SECRET_ACCESS_KEY=key[1])
        elif credentials == "imds":
            env.update(AWS_EC2_METADATA_DISABLED="false",
                       AWS_EC2_METADATA_SERVICE_ENDPOINT=self.imds_url)
        elif credentials in ("ecs", "eks"):
            env["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = (
                self.ecs_credentials_url if credentials == "ecs" else self.pod_identity_url)
            if self.ecs_auth_token:
                env["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = self.ecs_auth_token
        elif credentials == "web_identity":
            env.update(AWS_WEB_IDENTITY_TOKEN_FILE=token_file, AWS_ROLE_ARN=self.role_arn,
                       AWS_ROLE_SESSION_NAME="hostwatch-test")
        else:
            raise ValueError("unknown credentials kind %r" % credentials)
        return env

    # ---- keys

    def add_key(self, access_key, secret_key, token=None, expires=None, source="static"):
        """Makes CloudWatch accept a key pair (token: required session token; expires: epoch)."""
        with self._lock:
            self._keys[access_key] = _Key(access_key, secret_key, token, expires, source)

    def static_key(self):
        """(access key, secret key) of the first static key."""
        with self._lock:
            for key in self._keys.values():
                if key.source == "static":
                    return key.access_key, key.secret_key
        return None

    def secrets(self):
        """Every secret key and session token the fake knows (to check none is logged)."""
        with self._lock:
            return [x for k in self._keys.values() for x in (k.secret_key, k.token) if x]

    def key_source(self, access_key):
        """static, imds, ecs, eks or sts for a known access key; None if unknown."""
        with self._lock:
            key = self._keys.get(access_key)
            return key.source if key else None

    def expire_credentials(self, source=None):
        """Expires every issued key of source (imds/ecs/eks/sts; None = all issued keys), so
        CloudWatch answers ExpiredToken and the next fetch hands out a new key."""
        now = time.time()
        with self._lock:
            for key in self._keys.values():
                if key.source != "static" and source in (None, key.source):
                    key.expires = now - 1
            for src in list(self._current):
                if source in (None, src):
                    del self._current[src]

    def revoke_key(self, access_key):
        """Forgets a key: CloudWatch then answers InvalidClientTokenId."""
        with self._lock:
            self._keys.pop(access_key, None)

    def _issue(self, source, ttl):
        key = _Key(_random_id("ASIA"), _random_secret(), _random_token(), time.time() + ttl,
                   source)
        self._keys[key.access_key] = key
        return key

    def _serve_key(self, source):
        """The key IMDS/ECS/EKS hand out: renewed when less than half its lifetime is left."""
        with self._lock:
            key = self._current.get(source)
            if key is None or key.expires - time.time() < self.credential_ttl / 2:
                key = self._current[source] = self._issue(source, self.credential_ttl)
            return key

    # ---- faults

    def set_fault(self, mode, count=1, *, target="cloudwatch", delay=2.0, size=16 << 20,
                  status=200):
        """Makes the next count requests to target fail as mode (count None = until cleared).

        mode: throttle (400 Throttling), internal_error (500 InternalServiceError), unavailable
        (503 ServiceUnavailable), access_denied (403 AccessDenied), hang (wait delay s, then close without answer), slow (wait
        delay s, then answer normally), reset (TCP RST, no answer), close (FIN, no answer),
        garbage (answer `status` with a junk body), huge (200 with a size-byte body), not_http
        (junk bytes instead of HTTP, then close). target: cloudwatch, sts, imds, ecs or any.
        delay is capped at 60 s and cut short by stop().
        """
        if mode not in FAULT_MODES:
            raise ValueError("unknown fault mode %r" % mode)
        if target not in FAULT_TARGETS:
            raise ValueError("unknown fault target %r" % target)
        with self._lock:
            self._fault = {"mode": mode, "left": count, "target": target,
                           "delay": min(max(float(delay), 0.0), 60.0), "size": int(size),
                           "status": int(status)}

    def set_outage(self, mode="reset", target="cloudwatch"):
        """Every request to target fails as mode (reset or unavailable, ...) until cleared."""
        self.set_fault(mode, None, target=target)

    def set_clock_offset(self, seconds):
        """Moves the fake's clock (its Date header and the SigV4 15-minute check) seconds
        ahead of the real one: the client's clock then looks that far behind."""
        with self._lock:
            self.clock_offset = float(seconds)

    def now(self):
        """The fake's clock: time.time() plus the offset set with set_clock_offset."""
        return time.time() + self.clock_offset

    def _record_tls_failure(self):
        with self._lock:
            self._counts["tls_handshake_failed"] = self._counts.get("tls_handshake_failed", 0) + 1
            self._bump()

    def clear_fault(self):
        with self._lock:
            self._fault = None

    def _take_fault(self, endpoint):
        with self._lock:
            f = self._fault
            if not f or f["target"] not in ("any", endpoint):
                return None
            if f["left"] is not None:
                f["left"] -= 1
                if f["left"] <= 0:
                    self._fault = None
            return dict(f)

    # ---- results

    def reset(self):
        """Forgets recorded data, counters, request log and STS calls; clears any fault."""
        with self._lock:
            self._datums = []
            self._counts = {}
            self._log = []
            self._sts_calls = []
            self._rw_samples = []
            self._fault = None
            self._bump()

    def datums(self, namespace=None, name=None):
        """Accepted data points (copies), optionally filtered by namespace and metric name."""
        with self._lock:
            return [d for d in self._datums if namespace in (None, d.namespace)
                    and name in (None, d.name)]

    def counts(self):
        """{outcome: number of requests}; see the module docstring for outcome names."""
        with self._lock:
            return dict(self._counts)

    def count(self, outcome):
        with self._lock:
            return self._counts.get(outcome, 0)

    def requests(self, endpoint=None):
        """RequestRecords, oldest first, optionally for one endpoint."""
        with self._lock:
            return [r for r in self._log if endpoint in (None, r.endpoint)]

    def sts_calls(self):
        with self._lock:
            return list(self._sts_calls)

    def wait_for(self, predicate, timeout=5.0):
        """Waits until predicate() is truthy or timeout (s, at most 120) passes; returns the
        last value. Re-evaluated whenever a request finishes (and every 0.1 s)."""
        if not 0 <= timeout <= MAX_WAIT:
            raise ValueError("timeout must be within 0..%g s" % MAX_WAIT)
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                generation = self._generation
            value = predicate()
            left = deadline - time.monotonic()
            if value or left <= 0:
                return value
            with self._changed:
                self._changed.wait_for(lambda: self._generation != generation, min(left, 0.1))

    def _bump(self):
        self._generation += 1
        self._changed.notify_all()

    def _record(self, call, status, outcome, datums=()):
        headers = tuple(call.handler.headers.items())
        rec = RequestRecord(time.time(), call.endpoint, call.method, call.path, status, outcome,
                            call.request_id, call.access_key, headers,
                            call.body if call.body is not None else call.raw_body)
        with self._lock:
            self._counts[outcome] = self._counts.get(outcome, 0) + 1
            self._datums.extend(datums)
            self._log.append(rec)
            del self._log[:-self.max_log]
            self._bump()

    # ---- dispatch

    def _handle(self, h):
        parts = urllib.parse.urlsplit(h.path)
        try:
            raw = h.read_body(self.max_body_bytes)
        except _BodyTooLarge:
            call = _Call(h, h.command, parts.path, parts.query, b"")
            self._error(call, AWSError(413, "RequestEntityTooLarge",
                                       "Request body exceeds %d bytes" % self.max_body_bytes,
                                       outcome="too_large"), close=True)
            return
        except AWSError as e:
            self._error(_Call(h, h.command, parts.path, parts.query, b""), e, close=True)
            return
        except (ConnectionError, ValueError, OSError):
            h.close_connection = True
            return
        call = _Call(h, h.command, parts.path, parts.query, raw)
        route = self._route(call)
        fault = self._take_fault(call.endpoint)
        try:
            if fault and self._apply_fault(call, fault):
                return
            route(call)
        except AWSError as e:
            self._error(call, e)
        except (ConnectionError, socket.timeout):
            h.close_connection = True
        except Exception as e:  # noqa: BLE001 - a fake bug must show, not hang the client
            self._error(call, AWSError(500, "InternalFailure", "fakeaws bug: %r" % e,
                                       "Receiver", "fake_bug"), close=True)
            if self.verbose:
                raise

    def _route(self, call):
        path, method = call.path, call.method
        if path.startswith("/latest/"):
            call.endpoint = "imds"
            return self._imds
        if path.startswith("/v2/credentials/") or path == "/v1/credentials":
            call.endpoint = "ecs"
            return self._container_credentials
        if path.startswith("/v4/"):
            call.endpoint = "ecs"
            return self._task_metadata
        if path == "/" and method in ("POST", "GET"):
            return self._route_api(call)
        if path == "/api/v1/write" or (path.startswith("/workspaces/") and
                                       path.endswith("/api/v1/remote_write")):
            call.endpoint = "aps"
            return self._remote_write
        return self._not_found

    def _route_api(self, call):
        """Decodes a request to '/' and picks CloudWatch or STS from its Action/X-Amz-Target."""
        h = call.handler
        target = h.headers.get("X-Amz-Target")
        call.endpoint = "cloudwatch"
        try:
            call.body = self._decode_body(call)
            if target is not None:
                call.protocol = "json"
                return self._cloudwatch_json
            text = call.query if call.method == "GET" else call.body.decode("utf-8")
            ctype = (h.headers.get("Content-Type") or "").split(";")[0].strip().lower()
            if call.method == "POST" and ctype != FORM_CONTENT_TYPE:
                raise AWSError(400, "InvalidRequest",
                               "Content-Type must be %s (or %s with X-Amz-Target)"
                               % (FORM_CONTENT_TYPE, JSON_CONTENT_TYPE))
            call.pairs = urllib.parse.parse_qsl(text, keep_blank_values=True,
                                                strict_parsing=bool(text))
        except AWSError as e:
            call.decode_error = e
        except (UnicodeDecodeError, ValueError) as e:
            call.decode_error = AWSError(400, "MalformedQueryString", "Bad form body: %s" % e)
        if call.form().get("Action") == "AssumeRoleWithWebIdentity":
            call.endpoint = "sts"
            return self._sts
        return self._cloudwatch_query

    def _decode_body(self, call):
        encoding = (call.handler.headers.get("Content-Encoding") or "identity").strip().lower()
        if encoding == "identity":
            if len(call.raw_body) > self.max_decoded_bytes:
                raise AWSError(413, "RequestEntityTooLarge", "Body too large",
                               outcome="too_large")
            return call.raw_body
        if encoding != "gzip":
            raise AWSError(400, "InvalidRequest", "Unsupported Content-Encoding %s" % encoding)
        call.gzip = True
        d = zlib.decompressobj(wbits=31)
        try:
            out = d.decompress(call.raw_body, self.max_decoded_bytes + 1)
        except zlib.error as e:
            raise AWSError(400, "InvalidRequest", "Body is not valid gzip: %s" % e) from None
        if len(out) > self.max_decoded_bytes:
            raise AWSError(413, "RequestEntityTooLarge",
                           "Decompressed body exceeds %d bytes" % self.max_decoded_bytes,
                           outcome="too_large")
        if not d.eof or d.unused_data:
            raise AWSError(400, "InvalidRequest", "gzip body is truncated or has trailing data")
        return out

    # ---- answers

    def _send(self, call, status, body, content_type, outcome, headers=(), datums=()):
        hdrs = [("x-amzn-RequestId", call.request_id)] + list(headers)
        self._record(call, status, outcome, datums)
        call.handler.answer(status, body, content_type, hdrs)

    def _error(self, call, err, close=False):
        """Sends err in the format of the endpoint/protocol the request was for."""
        headers = [("Connection", "close")] if close else []
        if call.endpoint in ("cloudwatch", "sts") and call.protocol == "json":
            body = json.dumps({"__type": _JSON_ERROR_SHAPES.get(err.code, err.code),
                               "message": err.message}).encode()
            headers.append(("x-amzn-query-error", "%s;%s" % (err.code, err.kind)))
            self._send(call, err.status, body, JSON_CONTENT_TYPE, err.outcome, headers)
        elif call.endpoint in ("cloudwatch", "sts", "other") and call.path == "/":
            xmlns = STS_XMLNS if call.endpoint == "sts" else CW_XMLNS
            body = _xml_error(xmlns, err.code, err.message, err.kind, call.request_id)
            self._send(call, err.status, body, "text/xml", err.outcome, headers)
        else:
            body = json.dumps({"code": err.code, "message": err.message}).encode()
            self._send(call, err.status, body, "application/json", err.outcome, headers)

    # ---- Prometheus remote write (Amazon Managed Prometheus and a plain receiver)

    def remote_write_samples(self, name=None):
        """Accepted remote write samples (dicts: name, labels, value, ts, access_key)."""
        with self._lock:
            return [dict(x) for x in self._rw_samples if name in (None, x["name"])]

    def remote_write_throttle(self, count, retry_after):
        """The next count remote write requests get 429 with Retry-After: retry_after."""
        with self._lock:
            self._rw_throttle = [int(count), int(retry_after)]

    def _remote_write_auth(self, call):
        """SigV4 (aps) under /workspaces/, else what remote_write_auth asks for."""
        if call.path.startswith("/workspaces/"):
            return self._authenticate(call, "aps").access_key
        want = self.remote_write_auth
        got = call.handler.headers.get("Authorization")
        if want is None:
            expected = None
        elif want[0] == "basic":
            expected = "Basic " + base64.b64encode(
                ("%s:%s" % (want[1], want[2])).encode()).decode()
        else:
            expected = "Bearer " + want[1]
        if got != expected:
            raise AWSError(401, "Unauthorized", "authorization %s" % (
                "missing" if got is None else "wrong"), outcome="auth_error")
        return ""

    @staticmethod
    def _remote_write_check(series):
        for labels, samples in series:
            names = [n for n, _ in labels]
            if names != sorted(names) or len(set(names)) != len(names):
                raise ValueError("labels not sorted or repeated: %r" % names)
            if "__name__" not in names or any(not n or not v for n, v in labels):
                raise ValueError("__name__ missing or an empty label: %r" % labels)
            if not samples:
                raise ValueError("a series without samples")

    def _remote_write(self, call):
        if call.method != "POST":
            raise AWSError(405, "MethodNotAllowed", "POST only")
        access_key = self._remote_write_auth(call)
        with self._lock:
            throttle = self._rw_throttle[0] > 0
            self._rw_throttle[0] -= 1 if throttle else 0
            after = self._rw_throttle[1]
        if throttle:
            self._send(call, 429, b"slow down\n", "text/plain", "rw_throttled",
                       [("Retry-After", str(after))])
            return
        h = call.handler
        for name, want in (("Content-Encoding", "snappy"),
                           ("Content-Type", "application/x-protobuf"),
                           ("X-Prometheus-Remote-Write-Version", "0.1.0")):
            if h.headers.get(name) != want:
                raise AWSError(400, "InvalidRequest", "%s must be %s" % (name, want))
        if not (h.headers.get("User-Agent") or "").startswith("hostwatch/"):
            raise AWSError(400, "InvalidRequest", "User-Agent must name the sender")
        try:
            series = rwdecode.decode_body(call.raw_body)
            self._remote_write_check(series)
        except (ValueError, UnicodeDecodeError, struct.error) as e:
            raise AWSError(400, "InvalidRequest", "bad remote write body: %s" % e) from None
        got = [{"name": dict(labels)["__name__"], "labels": dict(labels), "value": v,
                "ts": ts, "access_key": access_key}
               for labels, samples in series for v, ts in samples]
        with self._lock:
            self._rw_samples.extend(got)
        self._send(call, 200, b"", "text/plain", "rw_accepted")

    def _not_found(self, call):
        self._send(call, 404, b"Not Found\n", "text/plain", "not_found")

    def _apply_fault(self, call, f):
        """Acts out fault f; returns False when the request should then be served normally."""
        mode, h = f["mode"], call.handler
        outcome = "fault_" + mode
        if mode in _ERROR_FAULTS:
            status, code, kind, message = _ERROR_FAULTS[mode]
            self._error(call, AWSError(status, code, message, kind, outcome))
            return True
        if mode in ("hang", "slow"):
            self._stopping.wait(f["delay"])
            if mode == "slow" and not self._stopping.is_set():
                self._record(call, 0, outcome)
                return False
        if mode == "garbage":
            junk = b"<PutMetricDataResponse><<\x00\xff garbage" + secrets.token_bytes(64)
            self._send(call, f["status"], junk, "text/xml", outcome)
            return True
        if mode == "huge":
            self._record(call, 200, outcome)
            self._send_huge(h, f["size"])
            return True
        if mode == "not_http":
            h.wfile.write(b"\x16\x03\x01\x00\xffTHIS IS NOT HTTP\r\n\r\n\x00" * 8)
            h.wfile.flush()
        self._record(call, 0, outcome)
        if mode == "reset":
            h.reset()
        else:
            h.drop()
        return True

    def _send_huge(self, h, size):
        h.close_connection = True
        h.send_response(200)
        h.send_header("Content-Type", "text/xml")
        h.send_header("Content-Length", str(size))
        h.end_headers()
        chunk = b"<x>" + b"A" * 65533
        left = size
        while left > 0 and not self._stopping.is_set():
            n = min(left, len(chunk))
            h.wfile.write(chunk[:n])
            left -= n

    # ---- CloudWatch

    def _cloudwatch_query(self, call):
        key = self._authenticate(call, "monitoring")
        if call.decode_error:
            raise call.decode_error
        form = call.form()
        if len(form) != len(call.pairs):
            raise AWSError(400, "InvalidParameterValue", "A parameter is given twice")
        action = form.get("Action")
        if action != "PutMetricData":
            raise AWSError(400, "InvalidAction" if action else "MissingAction",
                           "The action %s is not valid for this endpoint" % action)
        if form.get("Version") != CW_VERSION:
            raise AWSError(400, "InvalidParameterValue",
                           "Version must be %s (got %r)" % (CW_VERSION, form.get("Version")))
        shape = operation_model("cloudwatch", "PutMetricData").input_shape
        params = query_params([p for p in call.pairs if p[0] not in ("Action", "Version")], shape)
        self._put_metric_data(call, key, params)

    def _cloudwatch_json(self, call):
        key = self._authenticate(call, "monitoring")
        if call.decode_error:
            raise call.decode_error
        h = call.handler
        target = h.headers.get("X-Amz-Target")
        if target != CW_JSON_PREFIX + "PutMetricData":
            raise AWSError(400, "UnknownOperationException", "Unknown target %s" % target)
        ctype = (h.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if ctype != JSON_CONTENT_TYPE:
            raise AWSError(400, "InvalidRequest", "Content-Type must be %s" % JSON_CONTENT_TYPE)
        try:
            doc = json.loads(call.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            raise AWSError(400, "SerializationException", "Bad JSON: %s" % e) from None
        if not isinstance(doc, dict):
            raise AWSError(400, "SerializationException", "Body must be a JSON object")
        shape = operation_model("cloudwatch", "PutMetricData").input_shape
        self._put_metric_data(call, key, json_params(doc, shape))

    def _put_metric_data(self, call, key, params):
        check_model(params, operation_model("cloudwatch", "PutMetricData").input_shape)
        check_put_metric_data(params, self.timestamp_clock())
        now = time.time()
        datums = [self._datum(params["Namespace"], d, call, key, now)
                  for d in params["MetricData"]]
        if call.protocol == "json":
            body, ctype = b"{}", JSON_CONTENT_TYPE
        else:
            body = ('<PutMetricDataResponse xmlns="%s"><ResponseMetadata><RequestId>%s'
                    "</RequestId></ResponseMetadata></PutMetricDataResponse>\n"
                    % (CW_XMLNS, call.request_id)).encode()
            ctype = "text/xml"
        self._send(call, 200, body, ctype, "accepted", datums=datums)

    @staticmethod
    def _datum(namespace, d, call, key, now):
        ts = d.get("Timestamp")
        return Datum(
            namespace=namespace, name=d["MetricName"],
            dimensions={x["Name"]: x["Value"] for x in d.get("Dimensions", [])},
            value=d.get("Value"), values=d.get("Values"),
            counts=d.get("Counts"),
            statistic_values=dict(d["StatisticValues"]) if "StatisticValues" in d else None,
            unit=d.get("Unit"), timestamp=ts.timestamp() if ts else None,
            storage_resolution=d.get("StorageResolution"), request_id=call.request_id,
            access_key=key.access_key, key_source=key.source, protocol=call.protocol,
            gzip=call.gzip, received_at=now)

    # ---- SigV4

    def _authenticate(self, call, service):
        """Checks the SigV4 Authorization header; returns the _Key used or raises AWSError."""
        h = call.handler
        auth = h.headers.get("Authorization")
        if not auth:
            raise AWSError(403, "MissingAuthenticationToken",
                           "Request is missing Authentication Token", outcome="auth_error")
        m = _AUTH_RE.fullmatch(auth)
        if not m:
            raise AWSError(403, "IncompleteSignature",
                           "Authorization must look like 'AWS4-HMAC-SHA256 Credential=AK/"
                           "YYYYMMDD/region/service/aws4_request, SignedHeaders=a;b, "
                           "Signature=<64 hex>', got %r" % auth, outcome="auth_error")
        call.access_key = m["key"]
        key = self._lookup_key(m["key"])
        signed = m["signed"].split(";")
        amz_date, sha = self._check_signed_headers(h, signed, key)
        if m["date"] != amz_date[:8] or m["region"] != self.region or m["service"] != service:
            raise AWSError(403, "SignatureDoesNotMatch",
                           "Credential should be scoped to %s/%s/%s/aws4_request, not %s/%s/%s"
                           % (amz_date[:8], self.region, service, m["date"], m["region"],
                              m["service"]), outcome="signature_mismatch")
        self._check_signature(call, key, service, amz_date, sha, signed, auth)
        return key

    def _lookup_key(self, access_key):
        with self._lock:
            key = self._keys.get(access_key)
            key = dataclasses.replace(key) if key else None
        if key is None:
            raise AWSError(403, "InvalidClientTokenId",
                           "The security token included in the request is invalid (unknown "
                           "access key %s)" % access_key, outcome="auth_error")
        if key.expires is not None and time.time() >= key.expires:
            raise AWSError(self.expired_token_status, "ExpiredToken",
                           "The security token included in the request is expired",
                           outcome="expired_token")
        return key

    def _check_signed_headers(self, h, signed, key):
        """Header rules: host and x-amz-date signed, token present iff needed and signed."""
        for name in ("host", "x-amz-date"):
            if name not in signed:
                raise AWSError(403, "IncompleteSignature", "%s must be signed" % name,
                               outcome="auth_error")
        for name in signed:
            if h.headers.get(name) is None:
                raise AWSError(403, "IncompleteSignature",
                               "Signed header %s is not in the request" % name,
                               outcome="auth_error")
        token = h.headers.get("X-Amz-Security-Token")
        if token != key.token:
            raise AWSError(403, "InvalidClientTokenId",
                           "The security token included in the request is invalid "
                           "(X-Amz-Security-Token %s)" % ("missing" if token is None
                                                          else "wrong or unexpected"),
                           outcome="auth_error")
        if token is not None and "x-amz-security-token" not in signed:
            raise AWSError(403, "IncompleteSignature", "x-amz-security-token must be signed",
                           outcome="auth_error")
        sha = h.headers.get("X-Amz-Content-SHA256")
        amz_date = h.headers.get("X-Amz-Date")
        try:
            when = datetime.datetime.strptime(amz_date, SIGV4_DATE_FORMAT)
        except ValueError:
            raise AWSError(403, "IncompleteSignature",
                           "X-Amz-Date %r is not YYYYMMDDTHHMMSSZ" % amz_date,
                           outcome="auth_error") from None
        skew = when.replace(tzinfo=datetime.timezone.utc).timestamp() - self.now()
        if abs(skew) > SIGNATURE_SKEW:
            raise AWSError(400, "RequestExpired",
                           "Request timestamp %s is %.0f s away from the server time"
                           % (amz_date, skew), outcome="request_expired")
        return amz_date, sha

    def _check_signature(self, call, key, service, amz_date, sha, signed, auth):
        if sha is not None and sha != hashlib.sha256(call.raw_body).hexdigest():
            raise AWSError(400, "XAmzContentSHA256Mismatch",
                           "X-Amz-Content-SHA256 does not match the body",
                           outcome="signature_mismatch")
        h = call.handler
        headers = [(k, v) for k, v in h.headers.items() if k.lower() != "authorization"]
        url = "http://%s%s" % (h.headers.get("Host", "127.0.0.1"), h.path)
        want, canonical, to_sign = expected_authorization(
            call.method, url, headers, call.raw_body, key, service, self.region, amz_date,
            signed)
        if auth != want:
            raise AWSError(403, "SignatureDoesNotMatch",
                           "The request signature we calculated does not match the signature "
                           "you provided. Check your AWS Secret Access Key and signing method."
                           "\n\nThe Canonical String for this request should have been\n'%s'"
                           "\n\nThe String-to-Sign should have been\n'%s'\n"
                           % (canonical, to_sign), outcome="signature_mismatch")

    # ---- STS

    def _sts(self, call):
        if call.decode_error:
            raise call.decode_error
        form = call.form()
        if form.get("Version") != STS_VERSION:
            raise AWSError(400, "InvalidParameterValue", "Version must be %s" % STS_VERSION)
        op = operation_model("sts", "AssumeRoleWithWebIdentity")
        params = query_params([p for p in call.pairs if p[0] not in ("Action", "Version")],
                              op.input_shape)
        check_model(params, op.input_shape)
        token = params["WebIdentityToken"]
        if self.web_identity_tokens is not None and token not in self.web_identity_tokens:
            raise AWSError(400, "InvalidIdentityToken", "Token is not valid (fake)",
                           outcome="sts_rejected")
        duration = params.get("DurationSeconds", 3600)
        with self._lock:
            key = self._issue("sts", min(duration, self.credential_ttl))
            self._sts_calls.append(StsCall(params["RoleArn"], params["RoleSessionName"], token,
                                           duration, key.access_key))
        self._send(call, 200, self._sts_body(call, params, key), "text/xml", "sts_ok")

    @staticmethod
    def _sts_body(call, params, key):
        role = params["RoleArn"].rsplit("/", 1)[-1]
        session = params["RoleSessionName"]
        return (
            '<AssumeRoleWithWebIdentityResponse xmlns="%s"><AssumeRoleWithWebIdentityResult>'
            "<SubjectFromWebIdentityToken>system:serviceaccount:default:hostwatch"
            "</SubjectFromWebIdentityToken><Audience>sts.amazonaws.com</Audience>"
            "<AssumedRoleUser><Arn>arn:aws:sts::%s:assumed-role/%s/%s</Arn>"
            "<AssumedRoleId>AROAFAKEROLEID0000001:%s</AssumedRoleId></AssumedRoleUser>"
            "<Credentials><SessionToken>%s</SessionToken><SecretAccessKey>%s</SecretAccessKey>"
            "<Expiration>%s</Expiration><AccessKeyId>%s</AccessKeyId></Credentials>"
            "<Provider>oidc.fake.local</Provider></AssumeRoleWithWebIdentityResult>"
            "<ResponseMetadata><RequestId>%s</RequestId></ResponseMetadata>"
            "</AssumeRoleWithWebIdentityResponse>\n"
            % (STS_XMLNS, ACCOUNT_ID, escape(role), escape(session), escape(session),
               key.token, escape(key.secret_key), _iso(key.expires), key.access_key,
               call.request_id)).encode()

    # ---- IMDS

    def _imds(self, call):
        h = call.handler
        if call.method == "PUT":
            return self._imds_token(call)
        if call.method != "GET":
            return self._send(call, 405, b"", "text/plain", "imds_bad_method")
        token = h.headers.get("X-aws-ec2-metadata-token")
        with self._lock:
            expiry = self._imds_tokens.get(token) if token is not None else None
        if (token is None and not self.imds_v1) or \
                (token is not None and (expiry is None or expiry < time.time())):
            return self._send(call, 401, b"", "text/plain", "imds_unauthorized")
        value = self._imds_value(call.path)
        if value is None:
            return self._send(call, 404, b"Not Found\n", "text/plain", "imds_not_found")
        ctype = "application/json" if value.startswith("{") else "text/plain"
        self._send(call, 200, value.encode(), ctype, "imds_ok")

    def _imds_token(self, call):
        h = call.handler
        if call.path != "/latest/api/token":
            return self._send(call, 405, b"", "text/plain", "imds_bad_method")
        if h.headers.get("X-Forwarded-For") is not None:
            return self._send(call, 403, b"", "text/plain", "imds_forbidden")
        ttl = (h.headers.get("X-aws-ec2-metadata-token-ttl-seconds") or "").strip()
        if not ttl.isdigit() or not 1 <= int(ttl) <= 21600:
            return self._send(call, 400, b"", "text/plain", "imds_bad_request")
        token = base64.urlsafe_b64encode(secrets.token_bytes(42)).decode()
        with self._lock:
            self._imds_tokens[token] = time.time() + int(ttl)
        self._send(call, 200, token.encode(), "text/plain", "imds_token",
                   [("X-aws-ec2-metadata-token-ttl-seconds", ttl)])

    def _imds_value(self, path):
        """Text served at an IMDS path, None for 404."""
        inst = self.instance
        simple = {
            "/latest/meta-data/instance-id": inst["instanceId"],
            "/latest/meta-data/ami-id": inst["imageId"],
            "/latest/meta-data/instance-type": inst["instanceType"],
            "/latest/meta-data/local-ipv4": inst["privateIp"],
            "/latest/meta-data/placement/region": inst["region"],
            "/latest/meta-data/placement/availability-zone": inst["availabilityZone"],
            "/latest/dynamic/instance-identity/document": json.dumps(inst, indent=2),
        }
        if path in simple:
            return simple[path]
        if path == "/latest/meta-data/":
            return "ami-id\ninstance-id\ninstance-type\nlocal-ipv4\nplacement/\niam/\n" + \
                ("tags/\n" if self.imds_tags is not None else "")
        if path.startswith("/latest/meta-data/iam/"):
            return self._imds_iam(path[len("/latest/meta-data/iam/"):])
        if path.startswith("/latest/meta-data/tags/instance/") and self.imds_tags is not None:
            name = urllib.parse.unquote(path[len("/latest/meta-data/tags/instance/"):])
            return "\n".join(self.imds_tags) if name == "" else self.imds_tags.get(name)
        return None

    def _imds_iam(self, rest):
        if self.imds_role is None:
            return None
        if rest == "info":
            return json.dumps({"Code": "Success", "LastUpdated": _iso(time.time()),
                               "InstanceProfileArn": "arn:aws:iam::%s:instance-profile/%s"
                               % (ACCOUNT_ID, self.imds_role),
                               "InstanceProfileId": "AIPAFAKEPROFILE000001"})
        if rest == "security-credentials/":
            return self.imds_role
        if rest == "security-credentials/" + self.imds_role:
            key = self._serve_key("imds")
            return json.dumps({"Code": "Success", "LastUpdated": _iso(time.time()),
                               "Type": "AWS-HMAC", "AccessKeyId": key.access_key,
                               "SecretAccessKey": key.secret_key, "Token": key.token,
                               "Expiration": _iso(key.expires)}, indent=2)
        return None

    def _default_instance(self, overrides):
        doc = {"accountId": ACCOUNT_ID, "architecture": "x86_64",
               "availabilityZone": self.region + "a", "billingProducts": None,
               "devpayProductCodes": None, "marketplaceProductCodes": None,
               "imageId": "ami-0123456789abcdef0", "instanceId": "i-0123456789abcdef0",
               "instanceType": "t3.micro", "kernelId": None, "pendingTime": _iso(time.time()),
               "privateIp": "10.0.0.10", "ramdiskId": None, "region": self.region,
               "version": "2017-09-30"}
        doc.update(overrides)
        return doc

    # ---- ECS / EKS

    def _container_credentials(self, call):
        h = call.handler
        eks = call.path == "/v1/credentials"
        if call.method != "GET":
            return self._send(call, 405, b"", "text/plain", "ecs_bad_method")
        if (eks or self.ecs_auth_token is not None) and \
                h.headers.get("Authorization") != self.ecs_auth_token:
            raise AWSError(401, "AccessDenied",
                           "Authorization token missing or wrong", outcome="ecs_unauthorized")
        if not eks and call.path != self.ecs_credentials_relative_uri:
            raise AWSError(400, "InvalidIdInRequest", "Credentials not found",
                           outcome="ecs_not_found")
        key = self._serve_key("eks" if eks else "ecs")
        doc = {"AccessKeyId": key.access_key, "SecretAccessKey": key.secret_key,
               "Token": key.token, "Expiration": _iso(key.expires)}
        if eks:
            doc["AccountId"] = ACCOUNT_ID
        else:
            doc["RoleArn"] = self.role_arn
        self._send(call, 200, json.dumps(doc).encode(), "application/json", "ecs_ok")

    def _task_metadata(self, call):
        base = "/v4/" + self.ecs_metadata_id
        docs = {base: self.ecs_task["Containers"][0], base + "/task": self.ecs_task,
                base + "/stats": {}, base + "/task/stats": {}}
        doc = docs.get(call.path.rstrip("/") or "/")
        if doc is None or call.method != "GET":
            return self._not_found(call)
        self._send(call, 200, json.dumps(doc, indent=2).encode(), "application/json",
                   "ecs_metadata")

    def _default_task(self, overrides):
        arn = "arn:aws:ecs:%s:%s:" % (self.region, ACCOUNT_ID)
        cluster = arn + "cluster/hostwatch-test"
        task_arn = arn + "task/hostwatch-test/" + self.ecs_metadata_id.split("-")[0]
        container = {
            "DockerId": self.ecs_metadata_id, "Name": "hostwatch",
            "DockerName": "ecs-hostwatch-1-hostwatch", "Image": "hostwatch:latest",
            "ImageID": "sha256:" + "0" * 64,
            "Labels": {"com.amazonaws.ecs.cluster": cluster,
                       "com.amazonaws.ecs.container-name": "hostwatch",
                       "com.amazonaws.ecs.task-arn": task_arn,
                       "com.amazonaws.ecs.task-definition-family": "hostwatch",
                       "com.amazonaws.ecs.task-definition-version": "1"},
            "DesiredStatus": "RUNNING", "KnownStatus": "RUNNING",
            "Limits": {"CPU": 256, "Memory": 512}, "CreatedAt": _iso(time.time()),
            "StartedAt": _iso(time.time()), "Type": "NORMAL",
            "ContainerARN": arn + "container/hostwatch-test/" + str(uuid.uuid4()),
            "Networks": [{"NetworkMode": "awsvpc", "IPv4Addresses": ["10.0.0.20"]}]}
        task = {"Cluster": cluster, "TaskARN": task_arn, "Family": "hostwatch", "Revision": "1",
                "DesiredStatus": "RUNNING", "KnownStatus": "RUNNING",
                "Limits": {"CPU": 0.25, "Memory": 512}, "PullStartedAt": _iso(time.time()),
                "AvailabilityZone": self.region + "a", "LaunchType": "FARGATE",
                "Containers": [container]}
        task.update(overrides)
        return task


if __name__ == "__main__":
    # Manual use: run a fake in the foreground and print its endpoints.
    with FakeAWS(verbose=True) as fake:
        print("cloudwatch/sts:", fake.cloudwatch_url)
        print("imds:", fake.imds_url)
        print("ecs credentials:", fake.ecs_credentials_url)
        print("ecs metadata:", fake.ecs_metadata_url)
        print("static key:", fake.static_key())
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
