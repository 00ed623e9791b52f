"""A small forward HTTP proxy for tests: listens on 127.0.0.1 (a free port) in a background
thread, records every request it is asked to forward, and forwards it to its target, which
must be on 127.0.0.1 (anything else is refused with 403, so a test never reaches out).
Absolute-form requests only (``POST http://127.0.0.1:P/ HTTP/1.1``): plain-HTTP proxying, what
libcurl does with ``http_proxy``. Standard library only."""

import http.client
import http.server
import threading
import urllib.parse

_HOP_BY_HOP = {"connection", "proxy-connection", "keep-alive", "proxy-authorization",
               "transfer-encoding", "te", "trailer", "upgrade"}


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 30

    def do_GET(self):  # noqa: N802 - http.server naming
        self.server.proxy._forward(self)

    do_POST = do_PUT = do_HEAD = do_GET

    def log_message(self, fmt, *args):
        pass


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class ForwardProxy:
    """Use as a context manager; `url` is the proxy URL, `seen()` the requests it forwarded
    as (method, absolute URL) pairs, oldest first."""

    def __init__(self, timeout=10.0):
        self.timeout = timeout
        self._lock = threading.Lock()
        self._seen = []
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.proxy = self
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        daemon=True)
        self._thread.start()

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def seen(self):
        with self._lock:
            return list(self._seen)

    def stop(self):
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    def _forward(self, h):
        target = urllib.parse.urlsplit(h.path)
        with self._lock:
            self._seen.append((h.command, h.path))
        if target.scheme != "http" or target.hostname != "127.0.0.1":
            self._answer(h, 403, [], b"this test proxy forwards only to http://127.0.0.1\n")
            return
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else None
        headers = {k: v for k, v in h.headers.items() if k.lower() not in _HOP_BY_HOP}
        path = target.path + ("?" + target.query if target.query else "")
        conn = http.client.HTTPConnection("127.0.0.1", target.port or 80, timeout=self.timeout)
        try:
            conn.request(h.command, path or "/", body=body, headers=headers)
            r = conn.getresponse()
            data = r.read()
            kept = [(k, v) for k, v in r.getheaders()
                    if k.lower() not in _HOP_BY_HOP and k.lower() != "content-length"]
            self._answer(h, r.status, kept, data)
        except OSError as e:
            self._answer(h, 502, [], ("upstream failed: %s\n" % e).encode())
        finally:
            conn.close()

    @staticmethod
    def _answer(h, status, headers, body):
        h.send_response_only(status)
        for k, v in headers:
            h.send_header(k, v)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        if h.command != "HEAD":
            h.wfile.write(body)
