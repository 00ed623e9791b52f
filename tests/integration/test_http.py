"""The Prometheus endpoint over real HTTP: routes, methods, gzip, limits, promtool."""
import os
import re
import shutil
import struct
import subprocess
import tempfile

import hwtest
import protowire
from hwtest import TAP, Agent, http_get, raw_request

CONFIG = {
    "agent": {"interval": "1s"},
    "collectors": {"memory": {}, "disk": {"mounts": ["/"]}},
    "exporters": {"prometheus": {"listen": "127.0.0.1:@PORT@", "max_request_size": "8KiB"}},
}


def test_routes(t, a):
    r = http_get(a.port, "/metrics")
    t.eq(r[0], 200, "GET /metrics is 200")
    t.eq(r[1].get("content-type"), "text/plain; version=0.0.4; charset=utf-8",
         "text format content type")
    body = r[2].decode()
    m = hwtest.parse_text_metrics(body)
    t.eq(m.get("node_memory_MemTotal_bytes"), hwtest.meminfo_kb("MemTotal") * 1024.0,
         "MemTotal over HTTP")
    st = os.statvfs("/")
    t.eq(m.get('node_filesystem_size_bytes{device="%s",fstype="%s",mountpoint="/"}'
               % root_device()), float(st.f_blocks * st.f_frsize),
         "filesystem size of / equals statvfs")
    t.ok('hostwatch_build_info{version="' in body, "build info is exposed")
    t.ok("hostwatch_collect_duration_seconds{collector=\"memory\"}" in body,
         "collect duration self-metric")
    r = http_get(a.port, "/metrics", {"Accept-Encoding": "gzip"})
    t.eq(r[1].get("content-encoding"), "gzip", "gzip when asked")
    t.ok(hwtest.gunzip(r[2]).startswith(b"# HELP "), "gzip body decompresses to the exposition")
    r = http_get(a.port, "/metrics", {"Accept-Encoding": "gzip;q=0, identity"})
    t.ok("content-encoding" not in r[1], "no gzip when q=0")
    r = http_get(a.port, "/metrics", method="HEAD")
    t.ok(r[0] == 200 and r[2] == b"" and int(r[1]["content-length"]) > 1000,
         "HEAD /metrics: headers, no body", r)
    for path, code, text in (("/-/healthy", 200, b"Healthy.\n"), ("/-/ready", 200, b"Ready.\n"),
                             ("/healthz", 200, b"ok\n"), ("/nope", 404, b"not found\n"),
                             ("/metrics/x", 404, b"not found\n")):
        r = http_get(a.port, path)
        t.ok(r[0] == code and r[2] == text, "GET %s is %d" % (path, code), r)
    r = http_get(a.port, "/", {})
    t.ok(r[0] == 200 and b'href="/metrics"' in r[2], "landing page links /metrics")


def delimited_ok(data):
    """How many [varint length][message starting with field 1 (name)] records tile data
    exactly; 0 when they do not."""
    pos = count = 0
    while pos < len(data):
        n = shift = 0
        while True:
            b = data[pos]
            pos += 1
            n |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                break
        if data[pos:pos + 1] != b"\x0a" or pos + n > len(data):
            return 0
        pos += n
        count += 1
    return count


def test_openmetrics(t, a):
    accept = ("application/openmetrics-text;version=1.0.0,"
              "text/plain;version=0.0.4;q=0.5,*/*;q=0.1")
    r = http_get(a.port, "/metrics", {"Accept": accept})
    t.eq(r[1].get("content-type"), "application/openmetrics-text; version=1.0.0; charset=utf-8",
         "OpenMetrics when a scraper prefers it")
    body = r[2].decode()
    t.ok(body.endswith("# EOF\n"), "OpenMetrics ends with # EOF")
    t.ok("# TYPE node_disk_reads_completed counter\n" in body and
         "node_disk_reads_completed_total{" in body, "counter family without _total, samples with")
    t.eq(hwtest.parse_text_metrics(body.replace("# EOF\n", "")).get("node_memory_MemTotal_bytes"),
         hwtest.meminfo_kb("MemTotal") * 1024.0, "same values as the text format")
    r = http_get(a.port, "/metrics", {"Accept": accept, "Accept-Encoding": "gzip"})
    t.ok(hwtest.gunzip(r[2]).endswith(b"# EOF\n"), "OpenMetrics gzipped")
    pb = ("application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;"
          "encoding=delimited,application/openmetrics-text;version=1.0.0;q=0.8")
    r = http_get(a.port, "/metrics", {"Accept": pb})
    t.eq(r[1].get("content-type"), "application/vnd.google.protobuf; "
         "proto=io.prometheus.client.MetricFamily; encoding=delimited", "protobuf when asked first")
    t.ok(delimited_ok(r[2]) > 10, "a stream of length-delimited MetricFamily messages",
         r[2][:40])
    r = http_get(a.port, "/metrics", {"Accept": "text/plain"})
    t.ok(r[1].get("content-type", "").startswith("text/plain; version=0.0.4") and
         b"# EOF" not in r[2], "text/plain still gives 0.0.4")


def test_bad_requests(t, a):
    for method in ("POST", "PUT", "DELETE", "OPTIONS"):
        r = http_get(a.port, "/metrics", method=method)
        t.ok(r[0] == 405 and r[1].get("allow") == "GET, HEAD", method + " is 405 with Allow", r)
    big = raw_request(a.port, b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 40000 +
                      b"\r\n\r\n")
    t.ok(big.startswith(b"HTTP/1.1 431") or big.startswith(b"HTTP/1.1 413") or big == b"",
         "oversized header is refused", big[:80])
    junk = raw_request(a.port, b"\x00\x01\x02garbage\r\n\r\n")
    t.ok(junk == b"" or junk.startswith(b"HTTP/1.1 400"), "garbage request line gets 400", junk[:80])
    body = raw_request(a.port, b"POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                               b"Connection: close\r\n\r\nhello")
    t.ok(body.startswith(b"HTTP/1.1 405"), "POST with a body is 405", body[:80])
    body = raw_request(a.port, b"GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                               b"Connection: close\r\n\r\nhello")
    t.ok(body.startswith(b"HTTP/1.1 400"), "GET with a body is 400", body[:80])
    r = http_get(a.port, "/-/healthy")
    t.eq(r and r[0], 200, "still serving after bad requests")
    m = a.metrics()
    t.ok(m.get('hostwatch_export_requests_total{exporter="prometheus",result="bad_request"}', 0)
         >= 0, "bad requests are counted")


def test_keep_alive(t, a):
    import http.client
    c = http.client.HTTPConnection("127.0.0.1", a.port, timeout=5)
    statuses, socks = [], set()
    for _ in range(5):
        c.request("GET", "/metrics", headers={"Accept-Encoding": "gzip"})
        r = c.getresponse()
        r.read()
        statuses.append(r.status)
        socks.add(c.sock.getsockname() if c.sock else None)
        t.ok(r.getheader("Connection", "").lower() != "close", "no Connection: close")
    c.close()
    t.eq(statuses, [200] * 5, "five scrapes on one connection")
    t.eq(len(socks), 1, "HTTP/1.1 keep-alive: one TCP connection served them all")


def root_device():
    with open("/proc/self/mountinfo") as f:
        for line in f:
            parts = line.split()
            if parts[4] == "/":
                sep = parts.index("-")
                dev, fstype = parts[sep + 2], parts[sep + 1]
    return dev, fstype


def test_promtool(t, a):
    promtool = shutil.which("promtool")
    if not promtool:
        t.skip("promtool check metrics", "promtool not installed")
        return
    body = http_get(a.port, "/metrics")[2]
    p = subprocess.run([promtool, "check", "metrics"], input=body, capture_output=True,
                       timeout=30)
    out = (p.stdout + p.stderr).decode()
    lint = [ln for ln in out.splitlines() if ln.strip()]
    camel_only = all("camelCase" in ln for ln in lint)
    t.ok(p.returncode == 0 or (p.returncode == 3 and camel_only),
         "promtool check metrics: no errors, only camelCase lint", out)


def test_malformed_accept(t, a):
    for accept in (";;;,,,", "q=abc", "application/vnd.google.protobuf; q=", "*/*;q=-1",
                   "application/openmetrics-text;version=9.9.9", "\t, ;q=0.5 ,", "a" * 4000,
                   "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;"
                   "encoding=delimited;q=0"):
        r = http_get(a.port, "/metrics", {"Accept": accept})
        t.ok(r and r[0] == 200 and r[1].get("content-type", "").startswith("text/plain"),
             "malformed Accept %r falls back to text" % accept[:40], r and r[:2])


PROTO_ACCEPT = ("application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;"
                "encoding=delimited")
TYPE_NAMES = {0: "counter", 1: "gauge", 2: "summary", 3: "untyped", 4: "histogram"}


def proto_families(data):
    """The delimited MetricFamily stream as {name: (type, {(sample name, labels): value})},
    with histograms spelled out as their text samples."""
    out, pos = {}, 0
    while pos < len(data):
        n, pos = protowire.varint(data, pos)
        msg, pos = data[pos:pos + n], pos + n
        name, mtype, samples = "", 0, {}
        for num, _, v in protowire.fields(msg):
            if num == 1:
                name = v.decode()
            elif num == 3:
                mtype = v
            elif num == 4:
                proto_metric(v, samples)
        out[name] = (TYPE_NAMES[mtype], {(name + suffix, lbl): val
                                         for (suffix, lbl), val in samples.items()})
    return out


def proto_metric(msg, samples):
    """Adds one Metric message's samples to samples, keyed (suffix, labels)."""
    labels, dbl = [], lambda b: struct.unpack("<d", b)[0]
    values = {}
    for num, _, v in protowire.fields(msg):
        if num == 1:
            pair = dict((n2, v2.decode()) for n2, _, v2 in protowire.fields(v))
            labels.append((pair.get(1, ""), pair.get(2, "")))
        elif num in (2, 3):  # gauge, counter: value = 1
            values[""] = dbl(dict((n2, v2) for n2, _, v2 in protowire.fields(v))[1])
        elif num == 7:  # histogram
            for n2, _, v2 in protowire.fields(v):
                if n2 == 1:
                    values["_count"] = float(v2)
                elif n2 == 2:
                    values["_sum"] = dbl(v2)
                elif n2 == 3:
                    b = dict((n3, v3) for n3, _, v3 in protowire.fields(v2))
                    values[("_bucket", dbl(b[2]))] = float(b.get(1, 0))
    for key, val in values.items():
        if isinstance(key, tuple):
            samples[(key[0], frozenset(labels + [("le", key[1])]))] = val
        else:
            samples[(key, frozenset(labels))] = val
    if "_count" in values:  # the +Inf bucket is implied by the count
        samples[("_bucket", frozenset(labels + [("le", float("inf"))]))] = values["_count"]


def text_families(text):
    """The text exposition as the same structure as proto_families()."""
    fams, out = {}, {}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, mtype = line.split(" ", 3)
            fams[name] = mtype
            out[name] = (mtype, {})
        elif line and not line.startswith("#"):
            m = re.match(r'^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$', line)
            labels = []
            for k, v in re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(2) or ""):
                v = v.replace("\\n", "\n").replace('\\"', '"').replace("\\\\", "\\")
                labels.append((k, float(v) if k == "le" else v))
            name = m.group(1)
            fam = next(f for f in (name, re.sub(r"_(bucket|sum|count)$", "", name))
                       if f in fams)
            out[fam][1][(name, frozenset(labels))] = float(m.group(3))
    return out


def test_protobuf_equals_text():
    """One snapshot (a 1 h interval: nothing changes between the two scrapes), fetched as
    protobuf and as text, compared family by family: names, types, every sample."""
    d = tempfile.mkdtemp(prefix="hw-proto-")
    log = os.path.join(d, "app.log")
    with open(log, "w") as f:
        for i in range(50):
            f.write('ts=%d status=%d latency_ms=%d path="/a b"\n' % (i, 200 + i % 3, i * 7))
    b = Agent({"agent": {"interval": "1h", "state_dir": "@DIR@/state"},
               "collectors": {"memory": {}, "disk": {"mounts": ["/"]},
                              "logs": [{"name": "app", "paths": [log], "start_at": "beginning",
                                        "filters": [
                                            {"metric": "app_latency_ms", "type": "histogram",
                                             "regex": "latency_ms=(?<value>\\d+)",
                                             "buckets": [10, 100, 250]},
                                            {"metric": "app_responses_total", "type": "counter",
                                             "regex": "status=(?<status>\\d+)",
                                             "labels": ["status"]}]}]},
               "exporters": {"prometheus": {"listen": "127.0.0.1:@PORT@"}}})

    def run(t):
        b.start()
        proto = proto_families(http_get(b.port, "/metrics", {"Accept": PROTO_ACCEPT})[2])
        text = text_families(http_get(b.port, "/metrics")[2].decode())
        t.eq(sorted(proto), sorted(text), "protobuf and text have the same families")
        diff = [n for n in text if proto.get(n) != text[n]]
        t.eq(diff, [], "every family has the same type and samples in both",
             [(n, proto.get(n), text[n]) for n in diff[:3]])
        hist = proto.get("app_latency_ms", ("", {}))
        t.eq(hist[0], "histogram", "the log histogram is a histogram in protobuf")
        t.eq(hist[1].get(("app_latency_ms_count", frozenset())), 50.0, "histogram count 50")
        t.eq(hist[1].get(("app_latency_ms_bucket", frozenset([("le", 10.0)]))), 2.0,
             "bucket le=10 holds 0 and 7")
        t.eq(proto["app_responses_total"][1].get(("app_responses_total",
                                                  frozenset([("status", "201")]))), 17.0,
             "counter by label")

    return b, d, run


def test_slow_clients():
    """Clients that open connections and never finish their request: the connection limit
    bounds them and the idle timeout frees their slots."""
    import socket
    import time
    b = Agent({"collectors": {"memory": {}},
               "exporters": {"prometheus": {"listen": "127.0.0.1:@PORT@",
                                           "connection_limit": 4, "timeout": "1s"}}})

    def run(t):
        held = []
        for _ in range(4):
            s = socket.create_connection(("127.0.0.1", b.port), timeout=5)
            s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")  # never ends the head
            held.append(s)
        r = http_get(b.port, "/metrics", timeout=0.5)
        t.ok(not r, "a fifth connection waits (not served) while 4 slots are held", r and r[:2])
        t0 = time.monotonic()
        closed = 0
        for s in held:
            s.settimeout(5)
            try:
                closed += s.recv(100) == b""
            except OSError:
                closed += 1
            s.close()
        waited = time.monotonic() - t0
        t.eq(closed, 4, "the idle timeout closes the incomplete requests")
        t.ok(waited < 4, "within the 1 s idle timeout (plus the server's sweep)", waited)
        r = hwtest.wait_until(lambda: http_get(b.port, "/metrics", timeout=2), 5)
        t.ok(r and r[0] == 200, "served again once the slots are free", r and r[:2])
        t.ok(b.proc.poll() is None, "the agent is still running")

    return b, run


def main():
    a = Agent(CONFIG)
    b, slow = test_slow_clients()
    c, cdir, proto_text = test_protobuf_equals_text()
    try:
        a.start()
        TAP().run([lambda t: test_routes(t, a), lambda t: test_openmetrics(t, a),
                   lambda t: test_bad_requests(t, a),
                   lambda t: test_keep_alive(t, a),
                   lambda t: test_malformed_accept(t, a),
                   lambda t: test_promtool(t, a),
                   lambda t: (b.start(), slow(t)),
                   proto_text])
    finally:
        a.stop()
        b.stop()
        c.stop()
        shutil.rmtree(c.dir, ignore_errors=True)
        shutil.rmtree(cdir, ignore_errors=True)
        shutil.rmtree(a.dir, ignore_errors=True)
        shutil.rmtree(b.dir, ignore_errors=True)


main()
