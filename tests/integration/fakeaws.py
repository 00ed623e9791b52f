"""A local fake of the AWS endpoints that hostwatch's exporters talk to.

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
* Amazon Route 53 (REST-XML, API 2013-04-01) under ``/2013-04-01/`` (fakeaws_route53.py):
  ChangeResourceRecordSets, GetChange, ListResourceRecordSets; SigV4 service ``route53``,
  always region ``us-east-1``; the body decoded along botocore's route53 model, then Route 53's
  rules (CREATE/DELETE/UPSERT, names inside the zone, CNAME alone and not at the apex, A/AAAA
  values, one change per record per batch). Test API: `route53_add_zone(zone_id, name,
  apex_records=True)`, `route53_set_record(zone_id, name, type, ttl, values)`,
  `route53_record(zone_id, name, type)` -> (ttl, [values]) or None, `route53_changes(zone_id=
  None)`, the attributes `route53_insync_delay` (0.5 s PENDING, then INSYNC) and
  `route53_batch_error_shape`, and `route53_url`.
* ECS container credentials ``GET /v2/credentials/<id>``, EKS Pod Identity ``GET /v1/credentials``
  (both with an optional/required ``Authorization`` token) and ECS task metadata v4 under
  ``/v4/<id>``.

Credentials handed out by IMDS, ECS, EKS and STS are fresh temporary keys (``ASIA...`` + session
token) that CloudWatch then accepts until they expire (``credential_ttl``); IMDS/ECS/EKS keep
serving a key until less than half its lifetime is left, STS issues a new key per call.

Faults can be switched on from the test thread at any time (`set_fault`, `set_outage`,
`clear_fault`): throttling, 500, 503, AccessDenied, PriorRequestNotComplete, hang, slow
answer, connection reset, close without answer, garbage body, huge body, non-HTTP bytes. The
fake's clock can be moved (`set_clock_offset`) to play a client whose clock is off, and with
``tls_cert`` it serves HTTPS. Every request is counted by outcome (`counts`) and logged
(`requests`). Outcome names:

  accepted            PutMetricData recorded (200)
  invalid             400 for a bad body/parameters (InvalidParameterValue, MissingParameter,
                      InvalidParameterCombination, bad gzip/form/JSON, wrong Action/Version)
  auth_error          403 MissingAuthenticationToken, IncompleteSignature, InvalidClientTokenId
  signature_mismatch  403 SignatureDoesNotMatch (also 400 XAmzContentSHA256Mismatch)
  expired_token       ExpiredToken (403 by default, see expired_token_status)
  request_expired     400 RequestExpired (X-Amz-Date more than 15 min off)
  too_large           413 RequestEntityTooLarge
  r53_changed, r53_get_change, r53_listed   Route 53 answered 200
  invalid_change_batch  Route 53 400 InvalidChangeBatch (invalid = 400 InvalidInput)
  no_such_zone, no_such_change  Route 53 404 NoSuchHostedZone, NoSuchChange
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

The code is split along the endpoints: this module has `FakeAWS` itself (lifecycle, URLs,
request log, dispatch, error answers, fault injection); fakeaws_http.py the HTTP server and
request handler; fakeaws_proto.py the test keys, `AWSError`, model-driven parameter decoding
and SigV4 verification; fakeaws_cloudwatch.py PutMetricData; fakeaws_creds.py the key store,
STS, IMDS and ECS/EKS; fakeaws_rw.py remote write; fakeaws_route53.py Route 53. Tests import
only this module, which re-exports the public names of the others.

Standard library plus botocore only; run with the system python3 (Debian python3-botocore).
"""

import dataclasses
import json
import secrets
import socket
import ssl
import threading
import time
import urllib.parse
import uuid
import zlib
from xml.sax.saxutils import escape

from fakeaws_cloudwatch import (  # noqa: F401 - re-exported
    FUTURE_WINDOW, MAX_DIMENSIONS, MAX_METRICS, MAX_VALUES, PAST_WINDOW, VALUE_LIMIT,
    CloudWatchMixin, Datum, check_put_metric_data, cloudwatch_protocol)
from fakeaws_creds import CredentialsMixin, StsCall  # noqa: F401 - re-exported
from fakeaws_http import _BodyTooLarge, _Call, _Server
from fakeaws_proto import (  # noqa: F401 - re-exported
    ACCOUNT_ID, CW_JSON_PREFIX, CW_VERSION, CW_XMLNS, DEFAULT_ACCESS_KEY, DEFAULT_SECRET_KEY,
    FORM_CONTENT_TYPE, JSON_CONTENT_TYPE, SIGNATURE_SKEW, SIGV4_DATE_FORMAT, STS_VERSION,
    STS_XMLNS, AWSError, SigV4Mixin, check_model, expected_authorization, json_params,
    operation_model, query_params)
from fakeaws_route53 import (  # noqa: F401 - re-exported
    R53_OPERATIONS, R53_REGION, R53_XMLNS, Route53Mixin, route53_access_denied,
    route53_operation)
from fakeaws_rw import RemoteWriteMixin

__all__ = ["FakeAWS", "Datum", "RequestRecord", "StsCall", "FAULT_MODES",
           "DEFAULT_ACCESS_KEY", "DEFAULT_SECRET_KEY"]

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
    "prior_request": (400, "PriorRequestNotComplete", "Sender",
                      "The request was rejected because Route 53 was still processing a prior "
                      "request."),
}
# Faults that misbehave at the connection level, or answer slowly.
_BEHAVIOUR_FAULTS = ("hang", "slow", "reset", "close", "garbage", "huge", "not_http")
FAULT_MODES = tuple(_ERROR_FAULTS) + _BEHAVIOUR_FAULTS
_FAULT_OPERATIONS = ("PutMetricData", "AssumeRoleWithWebIdentity") + R53_OPERATIONS
FAULT_TARGETS = ("cloudwatch", "sts", "imds", "ecs", "aps", "route53", "any")

_JSON_ERROR_SHAPES = {
    "InvalidParameterValue": "InvalidParameterValueException",
    "MissingParameter": "MissingRequiredParameterException",
    "InvalidParameterCombination": "InvalidParameterCombinationException",
    "InternalServiceError": "InternalServiceFault",
}


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


def _xml_error(xmlns, code, message, kind, request_id):
    return ('<ErrorResponse xmlns="%s"><Error><Type>%s</Type><Code>%s</Code>'
            "<Message>%s</Message></Error><RequestId>%s</RequestId></ErrorResponse>\n"
            % (xmlns, kind, escape(code), escape(message), request_id)).encode()


# --------------------------------------------------------------------------------------------
# The fake


class FakeAWS(SigV4Mixin, CloudWatchMixin, CredentialsMixin, RemoteWriteMixin, Route53Mixin):
    """Fake CloudWatch + STS + IMDSv2 + ECS/EKS credentials + ECS metadata + remote write +
    Route 53 on one local port.

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
        self._route53_init()
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

    # ---- faults

    def set_fault(self, mode, count=1, *, target="cloudwatch", delay=2.0, size=16 << 20,
                  status=200, operation=None):
        """Makes the next count requests to target fail as mode (count None = until cleared).

        mode: throttle (400 Throttling), internal_error (500 InternalServiceError), unavailable
        (503 ServiceUnavailable), access_denied (403 AccessDenied), prior_request (400
        PriorRequestNotComplete), hang (wait delay s, then close without answer), slow (wait
        delay s, then answer normally), reset (TCP RST, no answer), close (FIN, no answer),
        garbage (answer `status` with a junk body), huge (200 with a size-byte body), not_http
        (junk bytes instead of HTTP, then close). target: cloudwatch, sts, imds, ecs, aps,
        route53 or any. operation: only requests for that operation are hit (None = any):
        PutMetricData, AssumeRoleWithWebIdentity, or the Route 53 ChangeResourceRecordSets,
        GetChange, ListResourceRecordSets.
        delay is capped at 60 s and cut short by stop().
        """
        if mode not in FAULT_MODES:
            raise ValueError("unknown fault mode %r" % mode)
        if target not in FAULT_TARGETS:
            raise ValueError("unknown fault target %r" % target)
        if operation is not None and operation not in _FAULT_OPERATIONS:
            raise ValueError("unknown fault operation %r" % operation)
        with self._lock:
            self._fault = {"mode": mode, "left": count, "target": target, "operation": operation,
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

    def _take_fault(self, endpoint, operation=None):
        with self._lock:
            f = self._fault
            if not f or f["target"] not in ("any", endpoint) or \
                    f["operation"] not in (None, operation):
                return None
            if f["left"] is not None:
                f["left"] -= 1
                if f["left"] <= 0:
                    self._fault = None
            return dict(f)

    def _apply_fault(self, call, f):
        """Acts out fault f; returns False when the request should then be served normally."""
        mode, h = f["mode"], call.handler
        outcome = "fault_" + mode
        if mode in _ERROR_FAULTS:
            status, code, kind, message = _ERROR_FAULTS[mode]
            if mode == "access_denied" and call.endpoint == "route53":
                message = route53_access_denied(call.operation)
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
        """Answers 200 with a size-byte body, written until done or until the fake stops."""
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

    # ---- results

    def reset(self):
        """Forgets recorded data, counters, request log, STS calls and Route 53 changes (zones
        and their records stay); clears any fault."""
        with self._lock:
            self._datums = []
            self._counts = {}
            self._log = []
            self._sts_calls = []
            self._rw_samples = []
            self._route53_reset()
            self._fault = None
            self._bump()

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
            self._error(self._early_call(h, parts), AWSError(
                413, "RequestEntityTooLarge", "Request body exceeds %d bytes"
                % self.max_body_bytes, outcome="too_large"), close=True)
            return
        except AWSError as e:
            self._error(self._early_call(h, parts), e, close=True)
            return
        except (ConnectionError, ValueError, OSError):
            h.close_connection = True
            return
        call = _Call(h, h.command, parts.path, parts.query, raw)
        route = self._route(call)
        fault = self._take_fault(call.endpoint, call.operation)
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

    @staticmethod
    def _early_call(h, parts):
        """A _Call for an error before the body is read (Route 53 paths keep their shape)."""
        call = _Call(h, h.command, parts.path, parts.query, b"")
        if parts.path.startswith("/2013-04-01/"):
            call.endpoint = "route53"
        return call

    def _route(self, call):
        path, method = call.path, call.method
        if path.startswith("/2013-04-01/"):
            call.endpoint = "route53"
            call.operation, call.resource_id = route53_operation(method, path)
            return self._route53
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
        call.endpoint, call.operation = "cloudwatch", "PutMetricData"
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
            call.endpoint, call.operation = "sts", "AssumeRoleWithWebIdentity"
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
        elif call.endpoint == "route53":
            self._send(call, err.status, self._route53_error_body(call, err), "text/xml",
                       err.outcome, headers)
        elif call.endpoint in ("cloudwatch", "sts", "other") and call.path == "/":
            xmlns = STS_XMLNS if call.endpoint == "sts" else CW_XMLNS
            body = _xml_error(xmlns, err.code, err.message, err.kind, call.request_id)
            self._send(call, err.status, body, "text/xml", err.outcome, headers)
        else:
            body = json.dumps({"code": err.code, "message": err.message}).encode()
            self._send(call, err.status, body, "application/json", err.outcome, headers)

    def _not_found(self, call):
        self._send(call, 404, b"Not Found\n", "text/plain", "not_found")


if __name__ == "__main__":
    # Manual use: run a fake in the foreground and print its endpoints.
    with FakeAWS(verbose=True) as fake:
        print("cloudwatch/sts:", fake.cloudwatch_url)
        print("imds:", fake.imds_url)
        print("ecs credentials:", fake.ecs_credentials_url)
        print("ecs metadata:", fake.ecs_metadata_url)
        print("route53:", fake.route53_url)
        print("static key:", fake.static_key())
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
