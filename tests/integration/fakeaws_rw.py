"""Prometheus remote write receiver of fakeaws.FakeAWS.

Amazon Managed Prometheus at ``POST /workspaces/<id>/api/v1/remote_write`` (SigV4, service
``aps``) and a plain receiver at ``POST /api/v1/write`` (``remote_write_auth``: None,
``("basic", user, password)`` or ``("bearer", token)``). Both require the remote write 1.0
headers, decode the Snappy-compressed ``WriteRequest`` (rwdecode.py), check label order and
record each sample. `RemoteWriteMixin` holds the FakeAWS methods for this.
"""

import base64
import struct

import rwdecode
from fakeaws_proto import AWSError


class RemoteWriteMixin:
    """The remote write endpoints of FakeAWS (mixed into it; uses its _lock, _rw_samples,
    _rw_throttle, remote_write_auth, _send and _authenticate)."""

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
