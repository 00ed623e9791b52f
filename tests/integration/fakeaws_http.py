"""HTTP plumbing of fakeaws.FakeAWS: the threaded server, the request handler and `_Call`.

`_Server` listens on 127.0.0.1 (a free port), optionally with TLS (the handshake runs in the
handler's thread so a failed one is counted). `_Handler` reads one request at a time
(HTTP/1.1 keep-alive, Content-Length or chunked bodies), hands it to the fake and offers the
ways to answer: a complete response, a TCP reset, or a close without answer. `_Call` is the
per-request state the endpoint handlers share.
"""

import dataclasses
import http.server
import socket
import ssl
import struct
import sys
import uuid

from fakeaws_proto import AWSError


class _BodyTooLarge(Exception):
    """The request body is larger than the fake accepts (answered with 413)."""


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
            # Read (and drop) a body up to 8 times the limit first, so a client still sending
            # it sees the 413 instead of a broken pipe; anything larger is cut off at once.
            left = n if n <= 8 * limit else 0
            while left > 0:
                chunk = self.rfile.read(min(left, 1 << 16))
                if not chunk:
                    break
                left -= len(chunk)
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
    operation: str = None  # set by the router where faults may aim at one operation
    resource_id: str = None  # Route 53: the zone or change id from the path

    def form(self):
        """Form parameters as a dict (first value of each); {} when the body is not a form."""
        out = {}
        for k, v in self.pairs or []:
            out.setdefault(k, v)
        return out
