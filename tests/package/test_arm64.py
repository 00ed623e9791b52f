"""The arm64 (Graviton) .deb, cross-built: its binary is an aarch64 executable and runs under
qemu-user: --version, `check` on every example config and the packaged default, `once` on the
default config with real figures; the JSON Schema the build wrote with it is there."""
import glob
import json
import os
import subprocess
import tempfile

import pkgtest

QEMU = "/usr/bin/qemu-aarch64-static"


def run(binary, *args):
    return subprocess.run([QEMU, binary] + list(args), capture_output=True, text=True,
                          timeout=120)


def test_arm64(t):
    deb = pkgtest.find_one("hostwatch_*_arm64.deb")
    with tempfile.TemporaryDirectory(prefix="hw-arm64-") as d:
        subprocess.run(["dpkg-deb", "-x", deb, d], check=True)
        binary = os.path.join(d, "usr", "bin", "hostwatch")
        f = subprocess.run(["file", "-b", binary], capture_output=True, text=True).stdout
        t.ok("ARM aarch64" in f, "an aarch64 executable", f)
        r = run(binary, "--version")
        ver = subprocess.run(["dpkg-deb", "-f", deb, "Version"], capture_output=True,
                             text=True).stdout.strip()
        t.eq(r.stdout.strip(), "hostwatch " + ver, "--version under qemu", r.stderr)
        with open(os.path.join(d, "usr/share/hostwatch/hostwatch.schema.json")) as f:
            schema = json.load(f)
        t.eq(schema.get("$schema"), "https://json-schema.org/draft/2020-12/schema",
             "the JSON Schema the cross build wrote by running the arm64 binary under qemu")
        configs = sorted(glob.glob(os.path.join(d, "usr/share/doc/hostwatch/examples/*.json")))
        t.ok(len(configs) >= 5, "the packaged examples", configs)
        for cfg in configs + [os.path.join(d, "etc/hostwatch/hostwatch.json")]:
            r = run(binary, "check", "-c", cfg)
            t.ok(r.returncode == 0 and ": OK (" in r.stdout,
                 "check " + os.path.relpath(cfg, d), r.stdout + r.stderr)
        r = run(binary, "once", "-c", os.path.join(d, "etc/hostwatch/hostwatch.json"))
        t.eq(r.returncode, 0, "once on the default config", r.stderr)
        total = [l for l in r.stdout.splitlines() if l.startswith("node_memory_MemTotal_bytes ")]
        t.ok(total and float(total[0].split()[1]) > 0, "once reports MemTotal", r.stdout[:800])
        t.ok("node_filesystem_size_bytes{" in r.stdout, "once reports filesystems", r.stdout[:800])


if __name__ == "__main__":
    pkgtest.main([test_arm64])
