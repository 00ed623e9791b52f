"""The sidecar image from hostwatch-image.tar: non-root fixed uid, entrypoint, HEALTHCHECK, the
size the layers add to the base; run with --memory 256m, --read-only and the state directory
on a volume: container_spec_memory_limit_bytes is the limit, the mem_* figures are relative to
it, `hostwatch health` and the image's health check pass, and the EMF lines on stdout parse."""
import json
import os
import re
import subprocess
import tempfile

import pkgtest
from pkgtest import Container, hwtest, podman

LIMIT = 256 * 1024 * 1024
UID = 10001


def inspect(image):
    return json.loads(podman("image", "inspect", image, check=True).stdout)[0]


def size_bytes(text):
    m = re.match(r"([0-9.]+)\s*([kMG]?B)", text.strip())
    mult = {"B": 1, "kB": 1e3, "MB": 1e6, "GB": 1e9}[m.group(2)]
    return float(m.group(1)) * mult


def test_image_config(t):
    r = podman("load", "-i", os.path.join(pkgtest.PKGDIR, "hostwatch-image.tar"), timeout=300)
    t.eq(r.returncode, 0, "podman load hostwatch-image.tar", r.stderr)
    t.ok("localhost/hostwatch:latest" in r.stdout, "tagged :latest", r.stdout)
    ver = subprocess.run(["sed", "-n", "s/^Version: *//p", os.path.join(
        pkgtest.SRCDIR, "packaging", "rpm", "hostwatch.spec")], capture_output=True,
        text=True).stdout.strip()
    t.ok("localhost/hostwatch:" + ver in r.stdout, "tagged :" + ver, r.stdout)
    img = inspect("localhost/hostwatch:latest")
    cfg = img["Config"]
    t.eq(cfg.get("User"), "%d:%d" % (UID, UID), "runs as the fixed uid")
    t.eq(cfg.get("Entrypoint"), ["hostwatch", "run"], "ENTRYPOINT")
    hc = img.get("Healthcheck") or cfg.get("Healthcheck") or {}
    t.eq(hc.get("Test"), ["CMD", "hostwatch", "health"], "HEALTHCHECK")
    t.ok("/var/lib/hostwatch" in (cfg.get("Volumes") or {}), "state directory is a volume")
    hist = podman("history", "--format", "{{.Size}}\t{{.CreatedBy}}", "localhost/hostwatch:latest",
                  check=True).stdout.splitlines()
    # The last entry is the base image; everything above it is what the Dockerfile adds.
    added = sum(size_bytes(l.split("\t")[0]) for l in hist[:-1])
    total = img["Size"]
    print("# image %.1f MB, layers above the base %.1f MB" % (total / 1e6, added / 1e6))
    t.ok(0 < added < 20e6, "layers above the base add %.1f MB (< 20)" % (added / 1e6), hist)


def metrics_in(pid):
    """/metrics of the agent inside the container's own network namespace."""
    code = ("import urllib.request;print(urllib.request.urlopen("
            "'http://127.0.0.1:9273/metrics',timeout=5).read().decode())")
    r = subprocess.run(["nsenter", "-t", str(pid), "-n", "/usr/bin/python3", "-c", code],
                       capture_output=True, text=True, timeout=30)
    return hwtest.parse_text_metrics(r.stdout) if r.returncode == 0 else {}


def test_sidecar_run(t):
    with tempfile.TemporaryDirectory(prefix="hw-img-") as vol:
        os.chown(vol, UID, UID)
        args = ["--memory", "256m", "--read-only", "-v", vol + ":/var/lib/hostwatch",
                "--network", "none"]
        with Container("localhost/hostwatch:latest", args, stop_timeout=20) as c:
            pid = podman("inspect", "-f", "{{.State.Pid}}", c.id, check=True).stdout.strip()
            m = hwtest.wait_until(lambda: metrics_in(pid).get("container_spec_memory_limit_bytes")
                                  and metrics_in(pid), 20)
            t.eq((m or {}).get("container_spec_memory_limit_bytes"), float(LIMIT),
                 "container_spec_memory_limit_bytes is --memory 256m", m)
            r = hwtest.wait_until(lambda: podman("exec", c.id, "hostwatch", "health").returncode == 0, 20)
            t.ok(r, "hostwatch health exits 0")
            r = podman("healthcheck", "run", c.id)
            t.eq(r.returncode, 0, "the image's health check passes", r.stdout + r.stderr)
            t.eq(c.sh("id -u").stdout.strip(), str(UID), "the agent's user is uid 10001")
            t.ok(c.sh("touch /etc/probe").returncode != 0, "the root filesystem is read-only")
            t.eq(c.sh("touch /var/lib/hostwatch/probe && echo ok").stdout.strip(), "ok",
                 "the state volume is writable by the agent")
            stopped = podman("stop", "-t", "20", c.id)
            t.eq(stopped.returncode, 0, "podman stop (SIGTERM flushes EMF)", stopped.stderr)
            out = podman("logs", c.id)
            st = podman("inspect", "-f", "{{.State.ExitCode}}", c.id).stdout.strip()
            t.eq(st, "0", "exit code 0 after SIGTERM", out.stderr[-1000:])
        emf(t, out.stdout)


def emf(t, stdout):
    docs = []
    bad = []
    for line in stdout.splitlines():
        if line.startswith("{"):
            try:
                docs.append(json.loads(line))
            except ValueError:
                bad.append(line)
    t.eq(bad, [], "every JSON line on stdout parses")
    t.ok(docs and all("_aws" in d and d["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "HostWatch"
                      for d in docs), "EMF documents in namespace HostWatch", stdout[-1500:])
    mem = [d for d in docs if "mem_total" in d]
    t.ok(mem, "an EMF document with the mem_* figures", stdout[-1500:])
    if mem:
        d = mem[-1]
        t.eq(d["mem_total"], LIMIT, "mem_total is the container's limit")
        t.ok(0 < d["mem_used"] < LIMIT and
             abs(d["mem_used_percent"] - 100.0 * d["mem_used"] / LIMIT) < 1e-6,
             "mem_used_percent = mem_used / limit", d)
    disk = [d for d in docs if "disk_used_percent" in d]
    t.ok(any(d.get("path") == "/var/lib/hostwatch" for d in disk), "disk of the state volume",
         disk)


if __name__ == "__main__":
    pkgtest.main([test_image_config, test_sidecar_run])
