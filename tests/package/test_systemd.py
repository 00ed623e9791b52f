"""The .deb under a real systemd: a Debian 12 container booting systemd as PID 1 (host network),
`apt-get install ./hostwatch_*.deb`, start (Type=notify: start returns after READY), the host
scrapes /metrics, a log readable only by its group needs the SupplementaryGroups= drop-in
(and `check` says so in the journal), reload with a broken config keeps the old one, stop
writes the state file, `systemd-analyze security` exposure <= 2.0, upgrade restarts it, purge
leaves no file of the package behind."""
import json
import os
import re
import tempfile

import pkgtest
from pkgtest import Container, hwtest

IMAGE = "localhost/hostwatch-systemd-test"
LOG_LINES = ["INFO start", "ERROR disk full", "INFO ok", "ERROR timeout", "ERROR again"]


def config(port):
    return {"agent": {"interval": "1s", "state_dir": "/var/lib/hostwatch"},
            "collectors": {"memory": {}, "disk": {"mounts": ["/"]},
                           "logs": [{"name": "app", "paths": ["/var/log/app/*.log"],
                                     "start_at": "beginning",
                                     "filters": [{"metric": "app_errors_total",
                                                  "pattern": "ERROR"}]}]},
            "exporters": {"prometheus": {"listen": "127.0.0.1:%d" % port}}}


def scrape(port):
    r = hwtest.http_get(port, "/metrics")
    return hwtest.parse_text_metrics(r[2].decode()) if r and r[0] == 200 else {}


def prepare(c, deb, port):
    """An application log readable by group adm only; the package installed without starting
    it (policy-rc.d), then the test's config (a free port) in place."""
    c.cp_in(deb, "/tmp/")
    with tempfile.TemporaryDirectory(prefix="hw-pkg-") as d:
        c.cp_in(pkgtest.repack_newer(deb, d), "/tmp/upgrade.deb")
        with open(os.path.join(d, "test.json"), "w") as f:
            json.dump(config(port), f)
        c.cp_in(os.path.join(d, "test.json"), "/tmp/test.json")
    return c.sh("set -e; useradd --system app; mkdir -p /var/log/app; "
                "printf '%s\\n' " + " ".join("'%s'" % l for l in LOG_LINES) +
                " > /var/log/app/app.log; chown -R app:adm /var/log/app; "
                "chmod 0750 /var/log/app; chmod 0640 /var/log/app/app.log; "
                "printf '#!/bin/sh\\nexit 101\\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; "
                "DEBIAN_FRONTEND=noninteractive apt-get install -y -q /tmp/" + os.path.basename(deb) +
                "; rm /usr/sbin/policy-rc.d; cp /tmp/test.json /etc/hostwatch/hostwatch.json",
                timeout=600)


def test_service(t):
    deb = pkgtest.find_one("hostwatch_*_amd64.deb")
    pkgtest.build_image(IMAGE, os.path.join(pkgtest.HERE, "systemd.Containerfile"), pkgtest.HERE)
    port = hwtest.free_port()
    # The unit's sandboxing (ProtectSystem=, PrivateDevices=, ...) makes mount namespaces: without
    # CAP_SYS_ADMIN and an unmasked /proc the service fails with 226/NAMESPACE in a container.
    args = ["--systemd=always", "--network", "host", "--cap-add", "SYS_ADMIN",
            "--security-opt", "unmask=ALL"]
    with Container(IMAGE, args, ["/lib/systemd/systemd"]) as c:
        state = c.wait_for("systemctl is-system-running", ("running", "degraded"), 60)
        t.eq(state, "running", "systemd boots as PID 1", c.sh("systemctl --failed").stdout)
        r = prepare(c, deb, port)
        t.eq(r.returncode, 0, "apt-get install ./hostwatch_*.deb", r.stdout[-2000:] + r.stderr)
        files = c.sh("dpkg -L hostwatch").stdout.split()
        t.eq(c.sh("systemctl is-enabled hostwatch").stdout.strip(), "enabled", "enabled at install")
        r = c.sh("systemctl start hostwatch")
        t.eq(r.returncode, 0, "systemctl start (returns once READY=1 arrived)", r.stderr)
        t.eq(c.sh("systemctl is-active hostwatch").stdout.strip(), "active", "status: active")
        show = c.sh("systemctl show -p Type -p DynamicUser -p WatchdogUSec hostwatch").stdout
        t.ok("Type=notify" in show and "DynamicUser=yes" in show and "WatchdogUSec=1min" in show,
             "Type=notify, DynamicUser, WatchdogSec", show)
        m = hwtest.wait_until(lambda: scrape(port).get("node_memory_MemTotal_bytes"), 15)
        t.ok(m and m > 0, "the host scrapes /metrics", scrape(port))
        t.ok("app_errors_total" not in scrape(port), "the group-only log is not readable yet")
        journal = c.sh("journalctl -u hostwatch --no-pager").stdout
        t.ok(re.search(r"collectors\.logs\[0\]\.paths\[0\]: warning: directory /var/log/app is "
                       r"not readable by uid \d+", journal), "check warns in the journal", journal)
        security(t, c, "as packaged")
        dropin(t, c, port)
        reload_broken(t, c, port)
        security(t, c, "with the drop-in")
        upgrade(t, c, port)
        stop_and_purge(t, c, files)


def dropin(t, c, port):
    r = c.sh("mkdir -p /etc/systemd/system/hostwatch.service.d && cp "
             "/usr/share/doc/hostwatch/examples/systemd/log-groups.conf "
             "/etc/systemd/system/hostwatch.service.d/ && systemctl daemon-reload && "
             "systemctl restart hostwatch")
    t.eq(r.returncode, 0, "restart with the log-groups drop-in", r.stderr)
    v = hwtest.wait_until(lambda: scrape(port).get("app_errors_total"), 15)
    t.eq(v, 3.0, "with SupplementaryGroups=adm the log is read: 3 ERROR lines", scrape(port))


def reload_broken(t, c, port):
    pid = c.sh("systemctl show -p MainPID --value hostwatch").stdout.strip()
    r = c.sh("cp /etc/hostwatch/hostwatch.json /tmp/good.json && "
             "echo '{ \"agent\": { \"interval\": 5 ' > /etc/hostwatch/hostwatch.json && "
             "systemctl reload hostwatch")
    t.eq(r.returncode, 0, "systemctl reload with a broken config", r.stderr)
    t.eq(c.sh("systemctl is-active hostwatch").stdout.strip(), "active", "still active")
    t.eq(c.sh("systemctl show -p MainPID --value hostwatch").stdout.strip(), pid, "same process")
    journal = c.sh("journalctl -u hostwatch --no-pager").stdout
    t.ok(re.search(r"hostwatch\.json:\d+:\d+: .*\n.*reload rejected; the running configuration "
                   r"stays", journal), "the rejection names file and line", journal[-1500:])
    t.eq(scrape(port).get("app_errors_total"), 3.0, "the old config keeps serving")
    t.eq(c.sh("cp /tmp/good.json /etc/hostwatch/hostwatch.json && systemctl reload hostwatch")
         .returncode, 0, "reload with the good config again")


def security(t, c, what):
    out = c.sh("systemd-analyze security hostwatch --no-pager").stdout
    m = re.search(r"Overall exposure level for hostwatch\.service: ([0-9.]+)", out)
    t.ok(m and float(m.group(1)) <= 2.0, "systemd-analyze security exposure <= 2.0 %s (%s)" %
         (what, m.group(1) if m else "?"), out[-600:])


def upgrade(t, c, port):
    pid = c.sh("systemctl show -p MainPID --value hostwatch").stdout.strip()
    r = c.sh("DEBIAN_FRONTEND=noninteractive apt-get install -y -q /tmp/upgrade.deb")
    t.eq(r.returncode, 0, "upgrade to a newer version", r.stdout[-1500:] + r.stderr)
    t.ok(c.sh("dpkg-query -W -f='${Version}' hostwatch").stdout.endswith("+upgrade"),
         "the newer version is installed")
    t.ok(c.sh("grep -c 127.0.0.1:%d /etc/hostwatch/hostwatch.json" % port).stdout.strip() == "1",
         "the edited conffile is kept")
    t.eq(c.sh("systemctl is-active hostwatch").stdout.strip(), "active", "active after upgrade")
    t.ok(c.sh("systemctl show -p MainPID --value hostwatch").stdout.strip() != pid,
         "restarted by the upgrade")
    t.eq(hwtest.wait_until(lambda: scrape(port).get("app_errors_total"), 15), 3.0,
         "the log is counted once across the upgrade's restart")


def stop_and_purge(t, c, files):
    r = c.sh("systemctl stop hostwatch")
    t.eq(r.returncode, 0, "systemctl stop", r.stderr)
    st = c.sh("cat /var/lib/hostwatch/state.json")
    t.ok(st.returncode == 0 and "logs:app" in st.stdout, "stop wrote the state file",
         st.stdout[:500] + st.stderr)
    r = c.sh("DEBIAN_FRONTEND=noninteractive apt-get purge -y -q hostwatch")
    t.eq(r.returncode, 0, "apt-get purge", r.stderr)
    left = [f for f in files if not c.sh("test -d '%s'" % f).returncode == 0 and
            c.sh("test -e '%s'" % f).returncode == 0]
    t.eq(left, [], "no file of the package is left")
    r = c.sh("ls -d /etc/hostwatch /var/lib/hostwatch /var/lib/private/hostwatch "
             "/etc/systemd/system/multi-user.target.wants/hostwatch.service 2>/dev/null")
    t.eq(r.stdout.split(), [], "config, state and the enable link are gone")


if __name__ == "__main__":
    pkgtest.main([test_service])
