"""Helpers for the package tests (run by `./dev.sh test` as root, after `./dev.sh package`):
podman with the flags this kind of machine needs, containers stopped and removed by ID even
when a test fails or the run is interrupted, and the TAP reporter of the integration tests."""
import glob
import os
import re
import resource
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(SRCDIR, "tests", "integration"))

import hwtest  # noqa: E402  (after the path is set)
from hwtest import TAP  # noqa: E402,F401

PKGDIR = os.environ.get("HW_PKGDIR") or os.path.join(SRCDIR, "build", "packages")


def limits():
    """podman on this kind of machine needs runc and limits no higher than the shell's."""
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    return ["--ulimit", "nofile=1024:%d" % hard, "--ulimit", "nproc=4096:4096"]


def podman(*args, timeout=600, check=False, inp=None):
    r = subprocess.run(["podman", "--runtime", "runc"] + list(args), capture_output=True,
                       text=True, timeout=timeout, input=inp)
    if check and r.returncode != 0:
        raise RuntimeError("podman %s: %s" % (" ".join(args[:3]), r.stderr[-2000:]))
    return r


def build_image(tag, containerfile, context, extra=()):
    return podman("build", "--network", "host", *limits(), *extra, "-t", tag, "-f",
                  containerfile, context, timeout=900, check=True)


def find_one(pattern):
    found = sorted(glob.glob(os.path.join(PKGDIR, pattern)))
    if not found:
        raise RuntimeError("no %s in %s: run ./dev.sh package first" % (pattern, PKGDIR))
    return found[-1]


class Container:
    """podman run -d ...; stopped by ID and removed on exit, whatever happened."""

    def __init__(self, image, args=(), cmd=(), stop_timeout=15):
        self.image, self.args, self.cmd, self.stop_timeout = image, list(args), list(cmd), stop_timeout
        self.id = None

    def __enter__(self):
        r = podman("run", "-d", *limits(), *self.args, self.image, *self.cmd, check=True)
        self.id = r.stdout.strip().splitlines()[-1]
        return self

    def __exit__(self, *exc):
        if self.id:
            podman("stop", "-t", str(self.stop_timeout), self.id, timeout=120)
            podman("rm", "-f", self.id, timeout=120)
            self.id = None

    def sh(self, script, timeout=300):
        """Runs a shell script inside; the CompletedProcess (text)."""
        return podman("exec", self.id, "sh", "-c", script, timeout=timeout)

    def cp_in(self, src, dst):
        podman("cp", src, "%s:%s" % (self.id, dst), check=True)

    def logs(self):
        r = podman("logs", self.id)
        return r.stdout + r.stderr

    def wait_for(self, script, want, timeout=60):
        """Polls script until its stdout (stripped) is one of want; the last output."""
        deadline = time.monotonic() + timeout
        out = ""
        while time.monotonic() < deadline:
            out = self.sh(script).stdout.strip()
            if out in want:
                break
            time.sleep(0.5)
        return out


def interruptible():
    """SIGTERM/SIGINT unwind through the finally blocks, so containers are still removed."""
    def stop(signo, frame):
        raise SystemExit(128 + signo)
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)


def main(tests):
    """Runs the tests with TAP output; exit 1 when any check failed (dev.sh records it)."""
    interruptible()
    t = TAP()
    code = 0
    try:
        t.run(tests)
    except SystemExit as e:
        code = e.code or 0
    sys.exit(1 if t.failed or code else 0)


def repack_newer(deb, workdir):
    """The same package as version VERSION+upgrade, to test an upgrade; its path."""
    root = os.path.join(workdir, "repack")
    subprocess.run(["dpkg-deb", "-R", deb, root], check=True)
    ctl = os.path.join(root, "DEBIAN", "control")
    with open(ctl) as f:
        text = f.read()
    text = re.sub(r"^Version: (.*)$", r"Version: \1+upgrade", text, flags=re.M)
    with open(ctl, "w") as f:
        f.write(text)
    out = os.path.join(workdir, "upgrade.deb")
    subprocess.run(["dpkg-deb", "--root-owner-group", "-b", root, out], check=True,
                   capture_output=True)
    return out
