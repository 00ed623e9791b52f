"""The .rpm as Debian's rpmbuild made it (no RPM distribution runs here): the same files as the
.deb (after the two layouts' known differences), the config as %config(noreplace), the
systemd scriptlets, and Requires naming the libraries loaded with dlopen."""
import subprocess

import pkgtest
import test_deb


def rpmq(rpm, *flags):
    return subprocess.run(["rpm", "-qp"] + list(flags) + [rpm], capture_output=True, text=True,
                          check=True).stdout


def normalise_deb(path):
    """A .deb path as the RPM layout puts it: man pages and docs uncompressed by Debian's rpm
    (Fedora's brp-compress gzips man pages: the spec lists hostwatch.1*), units in /usr/lib."""
    if path.startswith("/lib/systemd/"):
        path = "/usr" + path
    if path.startswith("/usr/share/doc/") or path.startswith("/usr/share/man/"):
        path = path[:-3] if path.endswith(".gz") else path
    return path


# Debian-only files: the copyright file, the Debian changelog and lintian's overrides.
DEB_ONLY = {"/usr/share/doc/hostwatch/copyright", "/usr/share/doc/hostwatch/changelog",
            "/usr/share/lintian/overrides/hostwatch"}


def test_same_files(t):
    rpm = pkgtest.find_one("hostwatch-*.x86_64.rpm")
    deb = pkgtest.find_one("hostwatch_*_amd64.deb")
    dirs = set(l.split()[-1] for l in rpmq(rpm, "-l", "-v").splitlines() if l.startswith("d"))
    got = set(p for p in rpmq(rpm, "-l").split()
              if p not in dirs and not p.startswith("/usr/lib/.build-id/"))
    want = set(normalise_deb(p) for p in test_deb.deb_files(deb)) - DEB_ONLY
    t.eq(sorted(got - want), [], "rpm -qpl: nothing the .deb lacks")
    t.eq(sorted(want - got), [], "rpm -qpl: everything the .deb has")


def test_config_and_scripts(t):
    rpm = pkgtest.find_one("hostwatch-*.x86_64.rpm")
    t.eq(rpmq(rpm, "-c").split(), ["/etc/hostwatch/hostwatch.json"], "the config file")
    # RPMFILE_CONFIG is 0x1, RPMFILE_NOREPLACE 0x10.
    flags = rpmq(rpm, "--qf", "[%{FILEFLAGS} %{FILENAMES}\\n]")
    cfg = [int(l.split()[0]) for l in flags.splitlines() if l.endswith(" /etc/hostwatch/hostwatch.json")]
    t.ok(cfg and cfg[0] & 0x1 and cfg[0] & 0x10, "%config(noreplace)", flags)
    s = rpmq(rpm, "--scripts")
    t.ok("postinstall scriptlet" in s and "preset hostwatch.service" in s, "%post: systemd_post", s)
    t.ok("preuninstall scriptlet" in s and "disable --now hostwatch.service" in s,
         "%preun: systemd_preun", s)
    t.ok("postuninstall scriptlet" in s and "try-restart hostwatch.service" in s,
         "%postun: systemd_postun_with_restart", s)


def test_requires(t):
    rpm = pkgtest.find_one("hostwatch-*.x86_64.rpm")
    req = rpmq(rpm, "-R").split("\n")
    for r in ("libcurl.so.4()(64bit)", "libcrypto.so.3()(64bit)", "libsnappy.so.1()(64bit)",
              "/usr/bin/kill",
              "libjansson.so.4()(64bit)", "libmicrohttpd.so.12()(64bit)"):
        t.ok(r in [x.strip() for x in req], "Requires " + r, req)
    t.eq(rpmq(rpm, "--qf", "%{ARCH} %{VERSION}").split()[0], "x86_64", "architecture")


if __name__ == "__main__":
    pkgtest.main([test_same_files, test_config_and_scripts, test_requires])
