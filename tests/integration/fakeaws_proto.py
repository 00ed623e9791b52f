"""AWS protocol pieces shared by the endpoints of fakeaws.FakeAWS.

* The test credentials (`DEFAULT_ACCESS_KEY`, ...), the `_Key` record of a key pair the fake
  accepts and `AWSError`, the error answer every endpoint raises.
* botocore service models (`operation_model`) and the model-driven decoding of Query protocol
  form pairs and AWS JSON 1.0 documents into botocore parameters (`query_params`,
  `json_params`), checked against the model (`check_model`); used by CloudWatch and STS.
* SigV4 verification: `expected_authorization` signs a received request again with botocore's
  `SigV4Auth`, and `SigV4Mixin` gives FakeAWS the Authorization header checks used by
  CloudWatch (service ``monitoring``), Amazon Managed Prometheus (``aps``) and Route 53
  (``route53``, always region us-east-1).

Standard library plus botocore only.
"""

import base64
import dataclasses
import datetime
import hashlib
import math
import re
import secrets
import string
import threading
import time

import botocore.session
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.compat import HTTPHeaders
from botocore.credentials import Credentials
from botocore.exceptions import ParamValidationError
from botocore.validate import validate_parameters

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

SIGNATURE_SKEW = 15 * 60
SIGV4_DATE_FORMAT = "%Y%m%dT%H%M%SZ"

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
# Keys and errors


@dataclasses.dataclass
class _Key:
    """A key pair the fake accepts: static, or issued by IMDS/ECS/EKS/STS (source)."""

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


class SigV4Mixin:
    """The SigV4 Authorization checks of FakeAWS (mixed into it; uses its _lock, _keys, region,
    expired_token_status and now())."""

    def _authenticate(self, call, service, region=None):
        """Checks the SigV4 Authorization header; returns the _Key used or raises AWSError.
        region: the signing region (None = the fake's; Route 53 always signs for us-east-1)."""
        region = region or self.region
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
        if m["date"] != amz_date[:8] or m["region"] != region or m["service"] != service:
            raise AWSError(403, "SignatureDoesNotMatch",
                           "Credential should be scoped to %s/%s/%s/aws4_request, not %s/%s/%s"
                           % (amz_date[:8], region, service, m["date"], m["region"],
                              m["service"]), outcome="signature_mismatch")
        self._check_signature(call, key, service, region, amz_date, sha, signed, auth)
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

    def _check_signature(self, call, key, service, region, amz_date, sha, signed, auth):
        """Body hash check, then the signature recomputed by botocore must equal auth."""
        if sha is not None and sha != hashlib.sha256(call.raw_body).hexdigest():
            raise AWSError(400, "XAmzContentSHA256Mismatch",
                           "X-Amz-Content-SHA256 does not match the body",
                           outcome="signature_mismatch")
        h = call.handler
        headers = [(k, v) for k, v in h.headers.items() if k.lower() != "authorization"]
        url = "http://%s%s" % (h.headers.get("Host", "127.0.0.1"), h.path)
        want, canonical, to_sign = expected_authorization(
            call.method, url, headers, call.raw_body, key, service, region, amz_date, signed)
        if auth != want:
            raise AWSError(403, "SignatureDoesNotMatch",
                           "The request signature we calculated does not match the signature "
                           "you provided. Check your AWS Secret Access Key and signing method."
                           "\n\nThe Canonical String for this request should have been\n'%s'"
                           "\n\nThe String-to-Sign should have been\n'%s'\n"
                           % (canonical, to_sign), outcome="signature_mismatch")
