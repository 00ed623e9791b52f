"""The .deb itself: lintian (no error, no warning not overridden), its file list, the conffile,
Depends naming the libraries the agent loads with dlopen, and install, `check`, upgrade,
removal and purge in a plain Debian 12 container where systemd is not running."""
import json
import os
import subprocess
import tempfile

import pkgtest
from pkgtest import Container

# Every file the package ships (directories aside); dpkg-deb -c must list exactly these.
FILES = {
    "/etc/hostwatch/hostwatch.json",
    "/lib/systemd/system/hostwatch.service",
    "/usr/bin/hostwatch",
    "/usr/share/doc/hostwatch/README.md.gz",
    "/usr/share/doc/hostwatch/changelog.gz",
    "/usr/share/doc/hostwatch/copyright",
    "/usr/share/doc/hostwatch/filter-patterns.md.gz",
    "/usr/share/doc/hostwatch/fsfo-route53.md.gz",
    "/usr/share/doc/hostwatch/examples/systemd/log-groups.conf",
    "/usr/share/man/man1/hostwatch.1.gz",
    "/usr/share/hostwatch/hostwatch.schema.json",
    "/usr/share/lintian/overrides/hostwatch",
}


def example_files():
    """/usr/share/doc/hostwatch/examples/... for every file under packaging/examples."""
    root = os.path.join(pkgtest.SRCDIR, "packaging", "examples")
    out = set()
    for d, _, names in os.walk(root):
        for n in names:
            rel = os.path.relpath(os.path.join(d, n), root)
            out.add("/usr/share/doc/hostwatch/examples/" + rel)
    return out


def deb_files(deb):
    out = subprocess.run(["dpkg-deb", "-c", deb], capture_output=True, text=True, check=True)
    files = set()
    for line in out.stdout.splitlines():
        if line.startswith("-"):
            files.add(line.split()[5].lstrip("."))
    return files


def field(deb, name):
    return subprocess.run(["dpkg-deb", "-f", deb, name], capture_output=True, text=True,
                          check=True).stdout.strip()


def test_lintian(t):
    deb = pkgtest.find_one("hostwatch_*_amd64.deb")
    r = subprocess.run(["lintian", "--allow-root", "--fail-on", "error,warning", deb],
                       capture_output=True, text=True, timeout=600)
    t.eq(r.returncode, 0, "lintian: no error or warning", r.stdout + r.stderr)
    bad = [l for l in r.stdout.splitlines() if l[:2] in ("E:", "W:")]
    t.eq(bad, [], "lintian prints no E: or W: line")


def test_contents(t):
    for arch in ("amd64", "arm64"):
        deb = pkgtest.find_one("hostwatch_*_%s.deb" % arch)
        got = deb_files(deb)
        want = FILES | example_files()
        t.eq(sorted(got - want), [], arch + ": no unexpected file")
        t.eq(sorted(want - got), [], arch + ": every expected file, examples included")
        t.eq(field(deb, "Architecture"), arch, arch + ": Architecture")
        dep = field(deb, "Depends")
        for lib in ("libcurl4 (>= 7.62) | libcurl4t64", "libssl3 | libssl3t64", "libsnappy1v5",
                    "libjansson4",
                    "libmicrohttpd12", "libpcre2-8-0", "procps"):
            t.ok(lib in dep, "%s: Depends has %s" % (arch, lib), dep)
    ctl = subprocess.run(["dpkg-deb", "-I", deb, "conffiles"], capture_output=True, text=True)
    t.eq(ctl.stdout.split(), ["/etc/hostwatch/hostwatch.json"], "the config is the one conffile")


def test_default_config(t):
    deb = pkgtest.find_one("hostwatch_*_amd64.deb")
    with tempfile.TemporaryDirectory(prefix="hw-deb-") as d:
        subprocess.run(["dpkg-deb", "-x", deb, d], check=True)
        cfg = os.path.join(d, "etc", "hostwatch", "hostwatch.json")
        binary = os.path.join(d, "usr", "bin", "hostwatch")
        r = subprocess.run([binary, "check", "-c", cfg], capture_output=True, text=True)
        t.ok(r.returncode == 0 and "OK (2 collectors, 2 exporters)" in r.stdout,
             "the default config passes check", r.stdout + r.stderr)
        with open(cfg) as f:
            c = json.load(f)
        t.eq(sorted(c["collectors"]), ["disk", "memory"], "default: memory and disk")
        t.eq(c["exporters"]["prometheus"]["listen"], "127.0.0.1:9273", "default: Prometheus on loopback")
        t.eq(c["exporters"]["cloudwatch"]["enabled"], False, "default: CloudWatch off")
        r = subprocess.run([binary, "once", "-c", cfg], capture_output=True, text=True, timeout=60)
        t.ok(r.returncode == 0 and "node_memory_MemTotal_bytes" in r.stdout,
             "once on the default config", r.stderr)


def test_no_systemd(t):
    """Install, upgrade, remove and purge where systemd is not PID 1 (a build container)."""
    deb = pkgtest.find_one("hostwatch_*_amd64.deb")
    with tempfile.TemporaryDirectory(prefix="hw-deb-") as d, \
            Container("debian:bookworm", ["--network", "host"], ["sleep", "600"], 1) as c:
        c.cp_in(deb, "/tmp/hw.deb")
        c.cp_in(pkgtest.repack_newer(deb, d), "/tmp/hw-new.deb")
        r = c.sh("apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive "
                 "apt-get install -y -q /tmp/hw.deb", timeout=600)
        t.eq(r.returncode, 0, "install without systemd", r.stdout[-1500:] + r.stderr)
        r = c.sh("hostwatch --version && hostwatch check -c /etc/hostwatch/hostwatch.json")
        t.ok(r.returncode == 0 and "OK" in r.stdout, "installed binary runs; config checks", r)
        r = c.sh("echo '{}' > /etc/hostwatch/hostwatch.json && DEBIAN_FRONTEND=noninteractive "
                 "apt-get install -y -q -o Dpkg::Options::=--force-confold /tmp/hw-new.deb")
        t.eq(r.returncode, 0, "upgrade without systemd", r.stderr)
        t.eq(c.sh("cat /etc/hostwatch/hostwatch.json").stdout.strip(), "{}",
             "upgrade keeps the edited conffile")
        r = c.sh("apt-get remove -y -q hostwatch")
        t.eq(r.returncode, 0, "remove without systemd", r.stderr)
        t.eq(c.sh("test -e /usr/bin/hostwatch; echo $?").stdout.strip(), "1", "binary removed")
        t.eq(c.sh("test -e /etc/hostwatch/hostwatch.json; echo $?").stdout.strip(), "0",
             "remove keeps the conffile")
        c.sh("mkdir -p /var/lib/private/hostwatch && touch /var/lib/private/hostwatch/state.json"
             " && ln -s private/hostwatch /var/lib/hostwatch")
        r = c.sh("apt-get purge -y -q hostwatch")
        t.eq(r.returncode, 0, "purge without systemd", r.stderr)
        r = c.sh("ls -d /etc/hostwatch /var/lib/hostwatch /var/lib/private/hostwatch 2>/dev/null")
        t.eq(r.stdout.split(), [], "purge removes the config and /var/lib/hostwatch")


if __name__ == "__main__":
    pkgtest.main([test_lintian, test_contents, test_default_config, test_no_systemd])
