"""Small harness for hostwatch's integration tests: TAP output, free ports, the agent and
its peers as child processes stopped by PID, bounded waits. Standard library only."""

import contextlib
import gzip
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.parse

BIN = os.environ.get("HOSTWATCH_BIN") or os.path.join(
    os.path.dirname(__file__), "..", "..", "hostwatch")
SRCDIR = os.environ.get("HW_SRCDIR") or os.path.join(os.path.dirname(__file__), "..", "..")


class TAP:
    """Collects results of named checks and prints them as TAP."""

    def __init__(self):
        self.n = 0
        self.failed = 0

    def ok(self, cond, name, diag=None):
        self.n += 1
        print(("ok %d - %s" if cond else "not ok %d - %s") % (self.n, name), flush=True)
        if not cond:
            self.failed += 1
            if diag is not None:
                for line in str(diag).splitlines()[:40]:
                    print("# " + line, flush=True)
        return cond

    def eq(self, got, want, name, diag=None):
        extra = "" if diag is None else "\n" + str(diag)
        return self.ok(got == want, name, "got:  %r\nwant: %r%s" % (got, want, extra))

    def skip(self, name, why):
        self.n += 1
        print("ok %d - %s # SKIP %s" % (self.n, name, why), flush=True)

    def run(self, tests):
        """Runs each test(tap) function; an exception fails that test and the run goes on."""
        for t in tests:
            try:
                t(self)
            except Exception:  # noqa: BLE001 - report and continue
                self.ok(False, t.__name__ + " raised", traceback.format_exc())
        print("1..%d" % self.n, flush=True)
        # Failures are the "not ok" lines; a non-zero exit is kept for a harness crash.
        sys.exit(0)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(pred, timeout=10.0, step=0.05):
    """Polls pred() until it returns a truthy value or the timeout passes; returns it."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v or time.monotonic() > deadline:
            return v
        time.sleep(step)


def http_get(port, path, headers=None, method="GET", timeout=5.0):
    """Returns (status, headers dict lower-cased, body bytes) or None when unreachable."""
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        c.request(method, path, headers=headers or {})
        r = c.getresponse()
        body = r.read()
        hdrs = {k.lower(): v for k, v in r.getheaders()}
        c.close()
        return r.status, hdrs, body
    except OSError:
        return None


def raw_request(port, data, timeout=5.0):
    """Sends raw bytes and returns whatever the server answered (bytes)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        out = b""
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                out += chunk
        except (socket.timeout, ConnectionResetError):
            pass
        return out


def parse_text_metrics(text):
    """Maps 'name{labels}' (labels as printed) to float values from a 0.0.4 exposition."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        key, _, val = line.rpartition(" ")
        out[key] = float(val)
    return out


def prom_query(port, expr):
    """Runs an instant query against a Prometheus server; its result list, or None."""
    r = http_get(port, "/api/v1/query?query=" + urllib.parse.quote(expr))
    if not r or r[0] != 200:
        return None
    doc = json.loads(r[2])
    return doc["data"]["result"] if doc.get("status") == "success" else None


def meminfo_kb(field):
    with open("/proc/meminfo") as f:
        for line in f:
            name, _, rest = line.partition(":")
            if name == field:
                return int(rest.split()[0])
    return None


class Agent:
    """The hostwatch binary running a config in a temp dir; stopped by PID."""

    def __init__(self, config, name="agent", env=None):
        self.env = dict(os.environ)
        self.env.update(env or {})
        self.dir = tempfile.mkdtemp(prefix="hw-it-")
        self.port = free_port()
        self.config_path = os.path.join(self.dir, "hostwatch.json")
        self.write_config(config)
        self.log_path = os.path.join(self.dir, name + ".log")
        self.proc = None

    def write_config(self, cfg):
        """Writes cfg (a dict or text) with @PORT@ and @DIR@ replaced, atomically."""
        text = cfg if isinstance(cfg, str) else json.dumps(cfg, indent=2)
        text = text.replace("@PORT@", str(self.port)).replace("@DIR@", self.dir)
        tmp = self.config_path + ".tmp"
        with open(tmp, "w") as f:
            f.write(text)
        os.replace(tmp, self.config_path)

    def start(self, wait_ready=True):
        self.log = open(self.log_path, "wb")
        self.t_start = time.monotonic()
        self.proc = subprocess.Popen([BIN, "run", "-c", self.config_path], stdout=self.log,
                                     stderr=subprocess.STDOUT, env=self.env)
        if wait_ready:
            ok = wait_until(lambda: self.proc.poll() is not None or
                            (http_get(self.port, "/-/ready") or (0,))[0] == 200, 10)
            if self.proc.poll() is not None or not ok:
                raise RuntimeError("agent did not become ready:\n" + self.read_log())
        return self

    def read_log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def metrics(self):
        r = http_get(self.port, "/metrics")
        return parse_text_metrics(r[2].decode()) if r and r[0] == 200 else {}

    def signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self, timeout=10):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if self.proc:
            self.log.close()
        return self.proc.returncode if self.proc else None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


@contextlib.contextmanager
def process(argv, log_path, cwd=None):
    """Runs a peer (e.g. Prometheus) and stops it by PID on exit."""
    with open(log_path, "wb") as log:
        p = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, cwd=cwd)
        try:
            yield p
        finally:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(15)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait(5)


@contextlib.contextmanager
def prometheus_server(binary, workdir, scrape_configs, flags=()):
    """A real Prometheus on a free loopback port, scraping every second with the given YAML
    scrape_configs text; yields its port. Its log is workdir/prometheus.log."""
    port = free_port()
    cfg = os.path.join(workdir, "prometheus.yml")
    with open(cfg, "w") as f:
        f.write("global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
                "scrape_configs:\n" + scrape_configs)
    argv = [binary, "--config.file=" + cfg, "--storage.tsdb.path=" + os.path.join(workdir, "tsdb"),
            "--web.listen-address=127.0.0.1:%d" % port, "--log.level=warn"] + list(flags)
    with process(argv, os.path.join(workdir, "prometheus.log")) as p:
        p.port = port
        yield p


def run_bin(args, timeout=30, env=None):
    e = dict(os.environ)
    if env:
        e.update(env)
    return subprocess.run([BIN] + args, capture_output=True, text=True, timeout=timeout, env=e)


def gunzip(data):
    return gzip.decompress(data)


def make_cert(dirname, name):
    """A self-signed EC certificate for 127.0.0.1 and localhost; returns (cert, key)."""
    cert, key = os.path.join(dirname, name + ".crt"), os.path.join(dirname, name + ".key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj",
                    "/CN=" + name, "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
                    "-keyout", key, "-out", cert], check=True, capture_output=True, timeout=30)
    return cert, key
