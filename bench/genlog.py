"""Log generator and writers for bench/logs.sh (Python 3 standard library only).

  genlog.py generate FILE LINES SEED TRUTH.json
      Writes LINES lines (about 200 bytes each) of a seeded, deterministic access/app log to
      FILE and the expected filter results to TRUTH.json (computed from the lines written, so
      they are exact): lines, bytes, lines containing ERROR / timeout, count by the first
      status=NNN, latency_ms count / sum / cumulative bucket counts ("v <= bound", the
      Prometheus le; "0 < v <= bound" and "v < bound", mtail's ranges summed, see
      logcheck.py), the last circuit breaker state (1 open, 0 closed), and the lines any of
      the five patterns matches.
  genlog.py stream FILE RATE SECONDS BATCH_MS
      Appends RATE lines/s to FILE for SECONDS, one write of RATE*BATCH_MS/1000 lines every
      BATCH_MS ms (bounded: never more than RATE*SECONDS lines, gives up SECONDS + 10 s after
      the start). Prints "half" on stderr once half the lines are written (the driver samples
      the agent's RSS there), then JSON on stdout: lines, errors (lines containing ERROR),
      seconds, late_batches (batches written more than BATCH_MS late).
  genlog.py latency FILE URL METRIC COUNT GAP_MS
      Appends COUNT single ERROR lines to FILE, GAP_MS apart; after each, polls URL (HTTP/1.1
      keep-alive, no sleep) until the value of the series METRIC (the line starting with it)
      has grown, at most 2 s per line. Prints one latency in ms per line ("timeout" for a line
      not seen within 2 s).
  genlog.py wait URL SECONDS
      Polls URL every 10 ms until it answers 200 (exit 0), or exits 1 when SECONDS pass first.
  genlog.py value URL METRIC
      Prints the value of the series METRIC (the first line starting with it) in one GET of
      URL, or "nan" when the server or the series is missing.
"""

import http.client
import json
import os
import random
import sys
import time
import urllib.parse

from benchlib import fetch

BUCKETS = [5, 10, 25, 50, 100, 250, 500, 1000]

PATHS = [
    "/api/v2/orders/{}", "/api/v2/orders/{}/items", "/api/v2/users/{}", "/api/v2/users/{}/cart",
    "/api/v2/search?q=item{}&page=2", "/static/app.{}.js", "/api/v2/payments/{}",
    "/healthz", "/api/v2/inventory/{}?warehouse=eu-west-1", "/api/v1/legacy/report/{}",
]
METHODS = ["GET"] * 14 + ["POST"] * 4 + ["PUT", "DELETE"]
OK_STATUS = [200] * 80 + [201] * 5 + [204] * 4 + [301, 302, 304, 304] + [400, 401, 403] + \
    [404] * 4 + [429]
ERR_STATUS = [500, 500, 502, 503, 503, 504]
AGENTS = [
    "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_1) Safari/605.1",
    "okhttp/4.12.0", "curl/8.4.0", "python-requests/2.31.0", "Go-http-client/1.1",
]
WORKERS = ["http-worker-%d" % i for i in range(16)]
APP_MSGS = [
    ("INFO ", "scheduler", 'job=reindex shard={a} msg="batch committed" rows={b} duration_ms={c}'),
    ("INFO ", "cache", 'msg="eviction pass" evicted={a} kept={b} pass_ms={c} region=eu-west-1'),
    ("DEBUG", "db-pool", 'msg="connection recycled" pool=orders active={a} idle={b} age_s={c}'),
    ("INFO ", "kafka", 'msg="offsets committed" topic=orders partition={a} offset={b}{c}'),
]
TIMEOUT_MSGS = [
    ("WARN ", "db-pool", 'msg="query timeout, retrying" pool=orders attempt={a} waited_ms={c}'),
    ("WARN ", "http-client", 'msg="upstream read timeout" upstream=inventory-api host=10.3.{a}.{b} after_ms={c}'),
]
ERROR_MSGS = [
    'err="upstream connect error" upstream=payments-api',
    'err="deadline exceeded: context timeout" upstream=inventory-api',
    'err="null reference in OrderMapper.map" trace_id={t}',
    'err="connection reset by peer" upstream=users-api',
]


class Truth:
    def __init__(self):
        self.lines = 0
        self.bytes = 0
        self.errors = 0
        self.timeouts = 0
        self.status = {}
        self.lat_count = 0
        self.lat_sum = 0
        self.lat_values = {}
        self.degraded = None
        self.any = 0

    def add(self, line, status, latency, breaker):
        self.lines += 1
        self.bytes += len(line)
        err = "ERROR" in line
        tmo = "timeout" in line
        self.errors += err
        self.timeouts += tmo
        if status is not None:
            self.status[status] = self.status.get(status, 0) + 1
        if latency is not None:
            self.lat_count += 1
            self.lat_sum += latency
            self.lat_values[latency] = self.lat_values.get(latency, 0) + 1
        if breaker is not None:
            self.degraded = breaker
        self.any += err or tmo or status is not None or latency is not None or breaker is not None

    def json(self):
        le = [sum(n for v, n in self.lat_values.items() if v <= b) for b in BUCKETS]
        lt = [sum(n for v, n in self.lat_values.items() if v < b) for b in BUCKETS]
        pos = [sum(n for v, n in self.lat_values.items() if 0 < v <= b) for b in BUCKETS]
        return {
            "lines": self.lines, "bytes": self.bytes, "errors": self.errors,
            "timeouts": self.timeouts, "status": {str(k): v for k, v in sorted(self.status.items())},
            "latency": {"count": self.lat_count, "sum": self.lat_sum,
                        "buckets": {str(b): n for b, n in zip(BUCKETS, le)},
                        "buckets_lt": {str(b): n for b, n in zip(BUCKETS, lt)},
                        "buckets_pos": {str(b): n for b, n in zip(BUCKETS, pos)}},
            "degraded": self.degraded, "any": self.any,
        }


class Gen:
    """One line at a time; returns (line, status, latency, breaker) with the fields the five
    filters extract (None when absent)."""

    def __init__(self, seed, t0=1795305600.0):
        self.r = random.Random(seed)
        self.t = t0
        self.breaker_open = False

    def ts(self):
        self.t += self.r.random() * 0.0004
        whole = int(self.t)
        return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)) + ".%03dZ" % int(
            (self.t - whole) * 1000)

    def latency(self, slow=False):
        v = int(self.r.lognormvariate(3.2, 0.9))
        return v * 8 + 300 if slow else v

    def access(self, level, status, latency, tail):
        r = self.r
        path = r.choice(PATHS).format(r.randrange(1, 99999))
        return ('%s %s [%s] 10.%d.%d.%d "%s %s HTTP/1.1" status=%d latency_ms=%d bytes=%d '
                'host=web-%02d req_id=%016x ua="%s"%s' % (
                    self.ts(), level, r.choice(WORKERS), r.randrange(256), r.randrange(256),
                    r.randrange(1, 255), r.choice(METHODS), path, status, latency,
                    r.randrange(120, 90000), r.randrange(1, 40), r.getrandbits(64), r.choice(AGENTS),
                    tail))

    def next(self):
        r = self.r
        x = r.random()
        if x < 0.01:  # 1 % ERROR: a failed request
            st, lat = r.choice(ERR_STATUS), self.latency(slow=True)
            tail = " " + r.choice(ERROR_MSGS).format(t="%032x" % r.getrandbits(128))
            return self.access("ERROR", st, lat, tail), st, lat, None
        if x < 0.013:  # timeouts outside ERROR lines
            level, comp, msg = r.choice(TIMEOUT_MSGS)
            body = msg.format(a=r.randrange(1, 9), b=r.randrange(2, 250), c=r.randrange(1000, 30000))
            return "%s %s [%s] %s req_id=%016x" % (self.ts(), level, comp, body,
                                                  r.getrandbits(64)), None, None, None
        if x < 0.0136:  # the payments circuit breaker flips
            self.breaker_open = not self.breaker_open
            state = "open" if self.breaker_open else "closed"
            level = "WARN " if self.breaker_open else "INFO "
            line = ('%s %s [payments] circuit breaker %s upstream=payments-api failures=%d '
                    'window_s=30 threshold=5 msg="state change" node=pay-%d' % (
                        self.ts(), level, state, r.randrange(0, 20), r.randrange(1, 6)))
            return line, None, None, 1 if self.breaker_open else 0
        if x < 0.12:  # application lines without status/latency
            level, comp, msg = r.choice(APP_MSGS)
            body = msg.format(a=r.randrange(1, 64), b=r.randrange(1, 100000), c=r.randrange(1, 5000))
            return "%s %s [%s] %s node=app-%d req_id=%016x" % (
                self.ts(), level, comp, body, r.randrange(1, 9), r.getrandbits(64)), None, None, None
        st = r.choice(OK_STATUS) if x < 0.998 else 503
        lat = self.latency()
        return self.access("INFO " if st < 400 else "WARN ", st, lat, ""), st, lat, None


def generate(path, nlines, seed, truth_path):
    g = Gen(seed)
    truth = Truth()
    out = []
    with open(path, "w", encoding="ascii", newline="\n") as f:
        for i in range(nlines):
            line, st, lat, br = g.next()
            truth.add(line, st, lat, br)
            out.append(line)
            if len(out) == 10000 or i == nlines - 1:
                f.write("\n".join(out))
                f.write("\n")
                out = []
    with open(truth_path, "w") as f:
        json.dump(truth.json(), f, indent=1, sort_keys=True)
    return 0


def stream(path, rate, seconds, batch_ms):
    g = Gen(7)
    pool = [g.next()[0] + "\n" for _ in range(20000)]
    per_batch = max(1, rate * batch_ms // 1000)
    total = rate * seconds
    errors_in = [1 if "ERROR" in line else 0 for line in pool]
    written = errors = late = 0
    half_said = False
    pos = 0
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    t0 = time.monotonic()
    deadline = t0 + seconds + 10
    k = 0
    try:
        while written < total and time.monotonic() < deadline:
            due = t0 + k * batch_ms / 1000.0
            now = time.monotonic()
            if now < due:
                time.sleep(due - now)
            elif now - due > batch_ms / 1000.0:
                late += 1
            n = min(per_batch, total - written)
            chunk = []
            for _ in range(n):
                chunk.append(pool[pos])
                errors += errors_in[pos]
                pos = (pos + 1) % len(pool)
            data = "".join(chunk).encode("ascii")
            off = 0
            while off < len(data):
                off += os.write(fd, data[off:])
            written += n
            k += 1
            if not half_said and written * 2 >= total:
                half_said = True
                print("half", file=sys.stderr, flush=True)
    finally:
        os.close(fd)
    took = time.monotonic() - t0
    print(json.dumps({"lines": written, "errors": errors, "seconds": round(took, 3),
                      "late_batches": late}))
    return 0


def metric_value(body, metric):
    prefix = metric.encode()
    for line in body.split(b"\n"):
        if line.startswith(prefix) and line[len(prefix):len(prefix) + 1] in (b" ", b"{"):
            try:
                return float(line.rsplit(b" ", 1)[1])
            except ValueError:
                return None
    return None


def latency(path, url, metric, count, gap_ms):
    u = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=2.0)

    def scrape():
        nonlocal conn
        for _ in range(3):
            try:
                conn.request("GET", u.path or "/")
                resp = conn.getresponse()
                body = resp.read()
                if resp.status == 200:
                    return metric_value(body, metric)
                return None
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection(u.hostname, u.port, timeout=2.0)
        return None

    g = Gen(11)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        for i in range(count):
            before = scrape()
            before = 0.0 if before is None else before
            line = "%s ERROR [latency-probe] probe=%d msg=\"synthetic error line\"\n" % (g.ts(), i)
            t0 = time.monotonic()
            os.write(fd, line.encode("ascii"))
            took = None
            polls = 0
            while polls < 200000:
                polls += 1
                v = scrape()
                if v is not None and v > before:
                    took = time.monotonic() - t0
                    break
                if time.monotonic() - t0 > 2.0:
                    break
            print("%.3f" % (took * 1000) if took is not None else "timeout", flush=True)
            time.sleep(gap_ms / 1000.0)
    finally:
        os.close(fd)
        conn.close()
    return 0


def wait(url, seconds):
    t0 = time.monotonic()
    while time.monotonic() - t0 < seconds:
        if fetch(url)[0] == 200:
            return 0
        time.sleep(0.01)
    return 1


def value(url, metric):
    status, body = fetch(url)
    v = metric_value(body, metric) if status == 200 else None
    print("nan" if v is None else "%.17g" % v)
    return 0


def main(argv):
    if len(argv) == 6 and argv[1] == "generate":
        return generate(argv[2], int(argv[3]), int(argv[4]), argv[5])
    if len(argv) == 6 and argv[1] == "stream":
        return stream(argv[2], int(argv[3]), int(argv[4]), int(argv[5]))
    if len(argv) == 7 and argv[1] == "latency":
        return latency(argv[2], argv[3], argv[4], int(argv[5]), int(argv[6]))
    if len(argv) == 4 and argv[1] == "wait":
        return wait(argv[2], float(argv[3]))
    if len(argv) == 4 and argv[1] == "value":
        return value(argv[2], argv[3])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
