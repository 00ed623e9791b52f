"""The monitoring examples in packaging/examples against the real tools and the real agent:
prometheus-alerts.yml passes promtool check rules and the promtool unit tests in
prometheus-alerts.test.yml (every alert fires and resolves there, and an alert made never to
fire fails them); a real Prometheus loads the rules while it scrapes an agent that has memory,
disk, a log source, the FSFO collector and a CloudWatch exporter (dry run); every metric the
rules and grafana-dashboard.json name is on the agent's /metrics, every rule evaluates, the
event alerts fire live, and every dashboard expression returns data. cloudwatch-dashboard.json
is a PutDashboard body botocore accepts, naming only metrics `hostwatch once --format
cloudwatch` sends, with the same dimensions."""
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import urllib.parse

import hwtest
from hwtest import TAP, Agent, http_get, prometheus_server, wait_until
from hwtest import prom_query as query

EX = os.path.join(hwtest.SRCDIR, "packaging", "examples")
RULES = os.path.join(EX, "prometheus-alerts.yml")
RULE_TESTS = os.path.join(hwtest.SRCDIR, "tests", "integration", "prometheus-alerts.test.yml")
GRAFANA = os.path.join(EX, "dashboards", "grafana-dashboard.json")
CLOUDWATCH = os.path.join(EX, "dashboards", "cloudwatch-dashboard.json")
PROMTOOL = shutil.which("promtool")
PROMETHEUS = shutil.which("prometheus")

# Names Prometheus itself makes for every target (not on the agent's /metrics); each is checked
# against the Prometheus server instead.
PROMETHEUS_MADE = {"up", "scrape_duration_seconds"}

# Substitutions for Grafana's variables: every instance, a 1 m rate window (60 samples at 1 s).
GRAFANA_VARS = [("$__rate_interval", "1m"), ("$__interval", "15s"), ("${instance}", ".*"),
                ("$instance", ".*")]

PROMQL_WORDS = {"and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring",
                "group_left", "group_right", "inf", "nan"}

NO_CREDS = {"AWS_EC2_METADATA_DISABLED": "true", "AWS_ACCESS_KEY_ID": "",
            "AWS_SECRET_ACCESS_KEY": "", "AWS_PROFILE": "",
            "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent", "AWS_CONFIG_FILE": "/nonexistent",
            "HOME": "/nonexistent"}


def metric_names(expr):
    """The metric names a PromQL expression selects (functions, keywords, label names and
    grouping lists left out)."""
    s = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    s = re.sub(r"\{[^}]*\}", " ", s)
    s = re.sub(r"\[[^\]]*\]", " ", s)
    s = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", s)
    names = set()
    for m in re.finditer(r"(?<![\w:.])([a-zA-Z_:][\w:]*)(\s*\()?", s):
        if not m.group(2) and m.group(1) not in PROMQL_WORDS:
            names.add(m.group(1))
    return names


def exposed_names(text):
    """Sample names of a text 0.0.4 exposition."""
    out = set()
    for line in text.splitlines():
        if line and not line.startswith("#"):
            out.add(re.match(r"[a-zA-Z_:][\w:]*", line).group(0))
    return out


def alert_blocks(rules_text):
    """[(alert name, expr line index)] of the rules file."""
    lines = rules_text.split("\n")
    out = []
    for i, line in enumerate(lines):
        m = re.match(r"\s*- alert: (\w+)\s*$", line)
        if m:
            j = i + 1
            while not re.match(r"\s*expr: ", lines[j]):
                j += 1
            out.append((m.group(1), j))
    return out


def unit_test_cases(text):
    """{alert: [(eval minutes, fires?)]} from the promtool test file (its own simple layout)."""
    cases = {}
    t = None
    alert = None
    for line in text.split("\n"):
        m = re.match(r"\s*- eval_time: (\d+)m\s*$", line)
        if m:
            t = int(m.group(1))
            continue
        m = re.match(r"\s*alertname: (\w+)\s*$", line)
        if m:
            alert = m.group(1)
            continue
        m = re.match(r"\s*exp_alerts:\s*(\[\])?\s*$", line)
        if m:
            cases.setdefault(alert, []).append((t, m.group(1) is None))
    return cases


def promtool(args, cwd=None):
    return subprocess.run([PROMTOOL] + args, capture_output=True, text=True, timeout=60, cwd=cwd)


def test_promtool(t):
    with open(RULES) as f:
        rules_text = f.read()
    alerts = [a for a, _ in alert_blocks(rules_text)]
    t.ok(len(alerts) >= 15 and len(set(alerts)) == len(alerts), "15 or more alerts, unique names",
         alerts)
    r = promtool(["check", "rules", RULES])
    t.ok(r.returncode == 0 and "SUCCESS: %d rules found" % len(alerts) in r.stdout,
         "promtool check rules: %d rules" % len(alerts), r.stdout + r.stderr)
    for name, _ in alert_blocks(rules_text):
        block = rules_text.split("- alert: " + name + "\n", 1)[1].split("- alert:", 1)[0]
        t.ok(re.search(r"\n\s+severity: (critical|warning)\n", block) and
             re.search(r"\n\s+summary: .*\{\{ \$labels\.", block) and
             re.search(r"\n\s+description: ", block),
             name + ": severity label, summary with labels, description", block)

    r = promtool(["test", "rules", RULE_TESTS])
    t.ok(r.returncode == 0 and "SUCCESS" in r.stdout, "promtool test rules passes",
         r.stdout + r.stderr)
    with open(RULE_TESTS) as f:
        cases = unit_test_cases(f.read())
    for name in alerts:
        c = cases.get(name, [])
        fired = [tm for tm, fires in c if fires]
        t.ok(fired and any(not fires and tm > min(fired) for tm, fires in c) and
             any(not fires and tm < min(fired) for tm, fires in c),
             name + ": unit test has quiet, firing and resolved evaluations", c)

    # Each alert in turn made never to fire: the unit tests must notice.
    d = tempfile.mkdtemp(prefix="hw-alerts-")
    try:
        with open(RULE_TESTS) as f:
            tests_text = f.read().replace("../../packaging/examples/prometheus-alerts.yml",
                                          "rules.yml")
        with open(os.path.join(d, "tests.yml"), "w") as f:
            f.write(tests_text)
        lines = rules_text.split("\n")
        caught = []
        for name, j in alert_blocks(rules_text):
            mutated = list(lines)
            mutated[j] = re.sub(r"expr: .*", "expr: vector(1) == 0", lines[j])
            with open(os.path.join(d, "rules.yml"), "w") as f:
                f.write("\n".join(mutated))
            r = promtool(["test", "rules", "tests.yml"], cwd=d)
            if r.returncode != 0 and "alertname: %s," % name in r.stdout + r.stderr:
                caught.append(name)
        t.eq(caught, alerts, "an alert that never fires fails its promtool unit test, each one")
    finally:
        shutil.rmtree(d, ignore_errors=True)


# ---- the live agent and Prometheus -----------------------------------------------------------

OBSERVER_START = ("[W000 2024-03-11T09:00:01.529+00:00] Observer trace level is set to USER\n"
                  "[W000 2024-03-11T09:00:01.550+00:00] Primary database has changed to orclviq.\n")
SWITCHOVER = 'Switchover succeeded, new primary is "orclstd"\n'


def agent_config(a):
    return {
        "agent": {"interval": "1s", "state_dir": "@DIR@/state", "checkpoint_interval": "200ms"},
        "collectors": {
            "memory": {}, "disk": {"mounts": ["/"]},
            "logs": [{"name": "app", "paths": ["@DIR@/app.log"], "start_at": "beginning",
                      "filters": [{"metric": "app_responses_total",
                                   "regex": "status=(?<status>\\d{3})", "labels": ["status"],
                                   "max_series": 1}]}],
            "fsfo": {"observer_logs": ["@DIR@/observer.log"],
                     "databases": ["orclviq", "orclstd"]}},
        "exporters": {
            "prometheus": {"listen": "127.0.0.1:@PORT@"},
            "cloudwatch": {"namespace": "CWAgent", "region": "eu-west-1", "dry_run": True,
                           "flush_interval": "1s"}}}


def grafana_exprs(dash):
    """[(panel title, expr)] of every target of every panel, rows' nested panels included."""
    out = []

    def walk(panels):
        for p in panels:
            for tg in p.get("targets", []):
                out.append((p.get("title", "?"), tg["expr"]))
            walk(p.get("panels", []))
    walk(dash["panels"])
    return out


def substitute(expr):
    for k, v in GRAFANA_VARS:
        expr = expr.replace(k, v)
    return expr


def sample(m, key):
    return m.get(key)


def reload_failing(a, cfg):
    """A SIGHUP with a broken config: counted as a failure, the old config keeps running."""
    before = a.metrics().get('hostwatch_config_reloads_total{result="failure"}', 0)
    a.write_config("{ broken")
    a.signal(signal.SIGHUP)
    ok = wait_until(lambda: a.metrics().get('hostwatch_config_reloads_total{result="failure"}',
                                            0) == before + 1, 10)
    a.write_config(cfg)
    return ok


def api(pport, path):
    r = http_get(pport, path)
    return json.loads(r[2])["data"] if r and r[0] == 200 else None


def firing(pport, name):
    data = api(pport, "/api/v1/alerts")
    return [al for al in (data or {}).get("alerts", [])
            if al["labels"].get("alertname") == name and al["state"] == "firing"]


def test_live(t):
    if not PROMETHEUS:
        t.skip("rules and dashboard against a real Prometheus", "prometheus not installed")
        return
    a = Agent({}, env=NO_CREDS)
    cfg = agent_config(a)
    a.write_config(cfg)
    log = os.path.join(a.dir, "app.log")
    obs = os.path.join(a.dir, "observer.log")
    with open(log, "w") as f:
        f.write("INFO status=200 path=/\nINFO status=200 path=/a\n")
    with open(obs, "w") as f:
        f.write(OBSERVER_START)
    rules_copy = os.path.join(a.dir, "alerts.yml")
    shutil.copy(RULES, rules_copy)
    scrape = ("  - job_name: hostwatch\n"
              "    static_configs: [{targets: ['127.0.0.1:%d']}]\n"
              "rule_files: ['%s']\n" % (a.port, rules_copy))
    try:
        a.start()
        # A filter over its max_series (a second status), a successful reload, a failed one.
        with open(log, "a") as f:
            f.write("ERROR status=500 path=/b\n")
        t.ok(wait_until(lambda: a.metrics().get(
            'hostwatch_series_dropped_total{filter="app_responses_total",source="app"}', 0) >= 1,
            10), "a second status value is dropped at max_series 1 and counted", a.metrics())
        a.signal(signal.SIGHUP)
        t.ok(wait_until(lambda: a.metrics().get(
            'hostwatch_config_reloads_total{result="success"}') == 1.0, 10),
            "a reload is counted as a success", a.read_log()[-1500:])
        t.ok(reload_failing(a, cfg), "a broken config's reload is counted as a failure")
        m = a.metrics()
        t.eq((m.get('oracle_fsfo_is_primary{database="orclviq"}'),
              m.get('oracle_fsfo_is_primary{database="orclstd"}'),
              m.get("oracle_fsfo_observer_up")), (1.0, 0.0, 1.0),
             "FSFO: orclviq primary, orclstd standby, observer up")
        t.ok(wait_until(lambda: a.metrics().get(
            'hostwatch_export_datapoints_total{exporter="cloudwatch",result="dry_run"}', 0) > 0,
            10), "the CloudWatch dry run counts its datapoints",
            sorted((k, v) for k, v in a.metrics().items() if "export" in k))
        m = a.metrics()
        t.ok(m.get('hostwatch_export_requests_total{exporter="cloudwatch",result="error"}')
             == 0.0 and m.get('hostwatch_spool_bytes{exporter="cloudwatch"}') == 0.0,
             "the CloudWatch dry run reports no failed request and an empty spool",
             sorted((k, v) for k, v in m.items() if "export" in k or "spool" in k))

        with prometheus_server(PROMETHEUS, a.dir, scrape) as p:
            pport = p.port
            t.ok(wait_until(lambda: (query(pport, 'oracle_fsfo_is_primary{database="orclstd"}')
                                     or [{"value": [0, ""]}])[0]["value"][1] == "0", 60, 0.5),
                 "Prometheus scrapes the agent (orclstd is 0)",
                 open(os.path.join(a.dir, "prometheus.log")).read()[-2000:])
            # Events while Prometheus watches: a switchover and a second failed reload.
            with open(obs, "a") as f:
                f.write(SWITCHOVER)
            t.ok(wait_until(lambda: a.metrics().get(
                'oracle_fsfo_is_primary{database="orclstd"}') == 1.0, 10),
                "the switchover makes orclstd primary", a.metrics())
            t.ok(reload_failing(a, cfg), "a second failed reload")
            with open(log, "a") as f:
                f.write("INFO status=200 path=/c\nERROR status=503 path=/d\n")

            t.ok(wait_until(lambda: [al for al in firing(pport, "FsfoPrimaryChanged")
                                     if al["labels"].get("database") == "orclstd"], 30, 0.5),
                 "FsfoPrimaryChanged fires live for orclstd", api(pport, "/api/v1/alerts"))
            t.ok(wait_until(lambda: firing(pport, "HostwatchConfigReloadFailed"), 30, 0.5),
                 "HostwatchConfigReloadFailed fires live", api(pport, "/api/v1/alerts"))
            t.eq([al["labels"].get("alertname") for al in firing(pport, "FsfoNoPrimary")], [],
                 "FsfoNoPrimary does not fire while a primary is known")

            # 20 s of 1 s scrapes, so every 1 m rate window has its samples.
            t.ok(wait_until(lambda: float((query(
                pport, 'count_over_time(hostwatch_build_info[1m])') or
                [{"value": [0, "0"]}])[0]["value"][1]) >= 20, 60, 0.5),
                "20 scrapes stored")
            r = http_get(a.port, "/metrics")
            names = exposed_names(r[2].decode()) if r and r[0] == 200 else set()

            groups = (api(pport, "/api/v1/rules") or {}).get("groups", [])
            rules = [ru for g in groups for ru in g["rules"]]
            with open(RULES) as f:
                want = [n for n, _ in alert_blocks(f.read())]
            t.eq(sorted(ru["name"] for ru in rules), sorted(want),
                 "Prometheus loaded every alert of the rules file")
            t.ok(wait_until(lambda: all(ru["health"] == "ok" for g in (api(
                pport, "/api/v1/rules") or {}).get("groups", []) for ru in g["rules"]), 15, 0.5),
                "every rule evaluates without error", api(pport, "/api/v1/rules"))
            used = {}
            for ru in rules:
                for n in metric_names(ru["query"]):
                    used.setdefault(n, set()).add("rule " + ru["name"])
            dash_exprs = grafana_exprs(json.load(open(GRAFANA)))
            for title, e in dash_exprs:
                for n in metric_names(substitute(e)):
                    used.setdefault(n, set()).add("panel " + title)
            t.ok({"up", "oracle_fsfo_is_primary", "hostwatch_collections_total",
                  "node_filesystem_readonly", "hostwatch_spool_bytes"} <= set(used),
                 "names extracted from the expressions", sorted(used))
            for n in sorted(used):
                if n in PROMETHEUS_MADE:
                    res = query(pport, '%s{job="hostwatch"}' % n)
                    t.ok(res, "%s (made by Prometheus) has data, used by %s"
                         % (n, ", ".join(sorted(used[n]))), res)
                else:
                    t.ok(n in names, "%s is on the agent's /metrics, used by %s"
                         % (n, ", ".join(sorted(used[n]))))

            t.ok(len(dash_exprs) >= 20, "the Grafana dashboard has %d expressions" %
                 len(dash_exprs))
            for title, e in dash_exprs:
                q = substitute(e)
                res = query(pport, q)
                t.ok(res, "panel %s: %s returns data" % (title, q), res)
            res = query(pport, "hostwatch_build_info")
            t.ok(res and all("instance" in s["metric"] for s in res),
                 "the instance variable's label_values(hostwatch_build_info, instance) has values",
                 res)
            t.ok(p.poll() is None, "Prometheus still running")
    finally:
        a.stop()
    shutil.rmtree(a.dir, ignore_errors=True)


# ---- dashboards' structure ------------------------------------------------------------------

def test_grafana_structure(t):
    with open(GRAFANA) as f:
        d = json.load(f)
    t.ok(37 <= d.get("schemaVersion", 0) <= 41, "schemaVersion %s" % d.get("schemaVersion"))
    tv = {v["name"]: v for v in d["templating"]["list"]}
    t.ok(tv.get("DS_PROMETHEUS", {}).get("type") == "datasource" and
         tv["DS_PROMETHEUS"].get("query") == "prometheus", "a Prometheus datasource variable")
    inst = tv.get("instance", {})
    t.ok(inst.get("type") == "query" and inst.get("includeAll") and inst.get("allValue") == ".*",
         "an instance variable with All = .*", inst)
    ids = []
    bad = []
    types = set()

    def walk(panels):
        for p in panels:
            ids.append(p["id"])
            types.add(p["type"])
            g = p["gridPos"]
            if g["x"] < 0 or g["w"] < 1 or g["x"] + g["w"] > 24 or g["h"] < 1:
                bad.append(p["title"])
            if p["type"] != "row":
                if p.get("datasource", {}).get("uid") != "${DS_PROMETHEUS}":
                    bad.append(p["title"] + ": datasource")
                for tg in p.get("targets", []):
                    if tg.get("datasource", {}).get("uid") != "${DS_PROMETHEUS}" or \
                            'instance=~"$instance"' not in tg["expr"]:
                        bad.append(p["title"] + ": " + tg["expr"])
                if not p.get("targets"):
                    bad.append(p["title"] + ": no targets")
            walk(p.get("panels", []))
    walk(d["panels"])
    t.eq(bad, [], "panels fit 24 columns, use the datasource variable and $instance")
    t.eq(len(ids), len(set(ids)), "panel ids unique")
    t.ok({"row", "stat", "timeseries", "state-timeline"} <= types, "panel types", types)
    timeline = [p for p in d["panels"] if p["type"] == "state-timeline" and
                any("oracle_fsfo_is_primary" in tg["expr"] for tg in p["targets"])]
    t.eq(len(timeline), 1, "a state timeline of oracle_fsfo_is_primary")


def cloudwatch_sent(cfg_extra, namespace, d):
    """{(namespace, MetricName, ((dim, value), ...))} `hostwatch once --format cloudwatch`
    prints for a config with memory, disk of /, FSFO and a CloudWatch exporter."""
    obs = os.path.join(d, "observer.log")
    with open(obs, "w") as f:
        f.write(OBSERVER_START)
    cw = {"namespace": namespace, "region": "eu-west-1", "dry_run": True}
    cw.update(cfg_extra)
    cfg = {"agent": {"interval": "1s", "state_dir": os.path.join(d, "state-" + namespace)},
           "collectors": {"memory": {}, "disk": {"mounts": ["/"]},
                          "fsfo": {"observer_logs": [obs], "databases": ["orclviq", "orclstd"]}},
           "exporters": {"cloudwatch": cw}}
    path = os.path.join(d, namespace + ".json")
    with open(path, "w") as f:
        json.dump(cfg, f)
    r = hwtest.run_bin(["once", "-c", path, "--format", "cloudwatch"], env=NO_CREDS)
    out = set()
    for line in r.stdout.splitlines():
        if "Action=PutMetricData" not in line:
            continue
        q = dict(urllib.parse.parse_qsl(line.strip(), keep_blank_values=True))
        ns = q["Namespace"]
        i = 1
        while "MetricData.member.%d.MetricName" % i in q:
            pre = "MetricData.member.%d." % i
            dims = []
            j = 1
            while pre + "Dimensions.member.%d.Name" % j in q:
                dims.append((q[pre + "Dimensions.member.%d.Name" % j],
                             q[pre + "Dimensions.member.%d.Value" % j]))
                j += 1
            out.add((ns, q[pre + "MetricName"], tuple(sorted(dims))))
            i += 1
    return r, out


# Dimension values that depend on the host (documented placeholders in the dashboard); the
# dimension names must still be the ones sent.
HOST_SPECIFIC = {"device", "fstype"}


def test_cloudwatch(t):
    with open(CLOUDWATCH) as f:
        text = f.read()
    body = json.loads(text)
    t.ok("${" not in text, "no ${...} left in the dashboard body")
    widgets = body.get("widgets", [])
    bad = [w for w in widgets
           if not (w.get("type") in ("metric", "text") and
                   all(isinstance(w.get(k), int) and w[k] >= 0 for k in ("x", "y")) and
                   all(isinstance(w.get(k), int) and 1 <= w[k] <= 24
                       for k in ("width", "height")) and
                   w["x"] + w["width"] <= 24 and isinstance(w.get("properties"), dict))]
    t.eq(bad, [], "every widget has type, x, y, width, height, properties; x + width <= 24")
    metric_widgets = [w for w in widgets if w["type"] == "metric"]
    t.ok(len(metric_widgets) >= 5, "%d metric widgets" % len(metric_widgets))
    t.eq([w["properties"].get("title") for w in metric_widgets
          if w["properties"].get("region") != "eu-west-1" or not w["properties"].get("metrics")],
         [], "every metric widget has a literal region and a metrics array")

    try:
        import botocore.session
        import botocore.validate
    except ImportError:
        t.skip("PutDashboard parameters", "botocore not installed")
    else:
        shape = botocore.session.get_session().get_service_model(
            "cloudwatch").operation_model("PutDashboard").input_shape
        botocore.validate.validate_parameters(
            {"DashboardName": "hostwatch", "DashboardBody": text}, shape)
        t.ok(True, "PutDashboard parameters valid for botocore's cloudwatch model")
        try:
            botocore.validate.validate_parameters({"DashboardName": "hostwatch",
                                                   "DashboardBody": body}, shape)
            t.ok(False, "a body that is not a string is refused by the model")
        except botocore.exceptions.ParamValidationError:
            t.ok(True, "a body that is not a string is refused by the model")

    d = tempfile.mkdtemp(prefix="hw-cwdash-")
    try:
        r1, sent = cloudwatch_sent({"dimensions": {"InstanceId": "i-0123456789abcdef0"},
                                    "metrics": ["mem_*", "swap_*", "disk_*"]}, "CWAgent", d)
        r2, sent2 = cloudwatch_sent({"metrics": ["oracle_fsfo_*"]}, "DataGuard", d)
        sent |= sent2
        t.ok(r1.returncode == 0 and r2.returncode == 0 and
             {"CWAgent", "DataGuard"} == {s[0] for s in sent},
             "once --format cloudwatch sends to CWAgent and DataGuard", (r1, r2))
        t.ok(("DataGuard", "oracle_fsfo_is_primary", (("database", "orclviq"),)) in sent,
             "the sent datums are parsed (is_primary of orclviq)", sorted(sent))
        for w in metric_widgets:
            for m in w["properties"]["metrics"]:
                items = [x for x in m if not isinstance(x, dict)]
                ns, name, dims = items[0], items[1], items[2:]
                want = dict(zip(dims[0::2], dims[1::2]))
                match = [s for s in sent if s[0] == ns and s[1] == name and
                         sorted(k for k, _ in s[2]) == sorted(want) and
                         all(want[k] == v for k, v in s[2] if k not in HOST_SPECIFIC)]
                t.ok(match, "%s: %s %s %s is sent by the agent" % (
                    w["properties"]["title"], ns, name, want),
                    sorted(s for s in sent if s[1] == name))
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_metric_names_parser(t):
    t.eq(metric_names('max by (instance, job) (hostwatch_collections_total{collector="fsfo"}) '
                      'unless on (instance, job) max by (instance, job) '
                      '(oracle_fsfo_is_primary == 1)'),
         {"hostwatch_collections_total", "oracle_fsfo_is_primary"}, "names of a join")
    t.eq(metric_names('sum by (a) (rate(x_total{b=~"c|d"}[5m])) > 1e3 and y offset 5m'),
         {"x_total", "y"}, "names beside functions, numbers and offsets")


def main():
    t = TAP()
    tests = [test_metric_names_parser, test_grafana_structure, test_cloudwatch]
    if PROMTOOL:
        tests.insert(0, test_promtool)
    else:
        t.skip("promtool check and test rules", "promtool not installed")
    tests.append(test_live)
    t.run(tests)


main()
