"""The AWS and Prometheus examples under packaging/examples: the ECS task definition against
botocore's ECS model (RegisterTaskDefinition input) and what a sidecar needs, the IAM policy
(PutMetricData only, namespace condition), prometheus.yml with promtool, and the Terraform of
the FSFO failover path parsed by an HCL parser (@cdktf/hcl2json from the npm registry)."""
import copy
import glob
import json
import os
import re
import subprocess
import tempfile

import pkgtest

EX = os.path.join(pkgtest.SRCDIR, "packaging", "examples")
NODE_DIR = os.path.join(pkgtest.SRCDIR, "build", "node")
HCL2JSON = "@cdktf/hcl2json@0.21.0"


def load(rel):
    with open(os.path.join(EX, rel)) as f:
        return json.load(f)


def ecs_errors(doc):
    import botocore.session
    from botocore.validate import ParamValidator
    op = botocore.session.get_session().get_service_model("ecs").operation_model(
        "RegisterTaskDefinition")
    r = ParamValidator().validate(doc, op.input_shape)
    return r.generate_report() if r.has_errors() else ""


def test_ecs_task_definition(t):
    doc = load("aws/ecs-task-definition.json")
    t.eq(ecs_errors(doc), "", "valid RegisterTaskDefinition input (botocore's ECS model)")
    bad = copy.deepcopy(doc)
    bad["containerDefinitions"][1]["essential"] = "no"
    bad["containerDefinitions"][1]["healthCheck"]["retries"] = "3"
    t.ok("essential" in ecs_errors(bad), "the validator rejects a wrong type")
    byname = {c["name"]: c for c in doc["containerDefinitions"]}
    hw, app = byname.get("hostwatch", {}), byname.get("app", {})
    t.eq(hw.get("essential"), False, "sidecar: essential false")
    t.eq(hw.get("healthCheck", {}).get("command"), ["CMD", "hostwatch", "health"],
         "sidecar: healthCheck runs hostwatch health")
    t.ok({"containerName": "hostwatch", "condition": "START"} in app.get("dependsOn", []),
         "app dependsOn the sidecar", app.get("dependsOn"))
    t.eq(hw.get("logConfiguration", {}).get("logDriver"), "awslogs", "EMF lines go to awslogs")
    t.eq(hw.get("user"), "10001:10001", "the image's fixed uid")
    t.eq(hw.get("readonlyRootFilesystem"), True, "read-only root filesystem")
    t.ok({"sourceVolume": "hostwatch-state", "containerPath": "/var/lib/hostwatch"} in
         hw.get("mountPoints", []), "state directory on a task volume", hw.get("mountPoints"))


def test_iam_policy(t):
    doc = load("aws/iam-policy.json")
    t.eq(doc.get("Version"), "2012-10-17", "policy language version")
    st = doc.get("Statement", [])
    actions = [a for s in st for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])]
    t.eq(actions, ["cloudwatch:PutMetricData"], "only cloudwatch:PutMetricData")
    t.ok(all(s.get("Effect") == "Allow" for s in st), "Allow statements only")
    cond = st[0].get("Condition", {}).get("StringEquals", {}) if st else {}
    t.ok(cond.get("cloudwatch:namespace"), "condition on cloudwatch:namespace", st)
    default = load("../systemd/hostwatch.json")["exporters"]["cloudwatch"]["namespace"]
    t.eq(cond.get("cloudwatch:namespace"), default, "the namespace the default config sends to")


def test_iam_policy_route53(t):
    """The Route 53 policy allows exactly what the exporter calls, the changes only for the
    records of the example config, in the normalised form IAM compares."""
    doc = load("aws/iam-policy-route53.json")
    conf = load("route53.json")["exporters"]["route53"]
    st = {s["Action"]: s for s in doc.get("Statement", [])}
    t.eq(sorted(st), ["route53:ChangeResourceRecordSets", "route53:GetChange",
                      "route53:ListResourceRecordSets"], "exactly the three calls it makes")
    zone_arn = "arn:aws:route53:::hostedzone/" + conf["hosted_zone_id"]
    t.eq(st["route53:ChangeResourceRecordSets"].get("Resource"), zone_arn, "changes: the zone")
    t.eq(st["route53:ListResourceRecordSets"].get("Resource"), zone_arn, "reads: the zone")
    t.eq(st["route53:GetChange"].get("Resource"), "arn:aws:route53:::change/*", "its changes")
    cond = st["route53:ChangeResourceRecordSets"].get("Condition", {}).get(
        "ForAllValues:StringEquals", {})
    names = sorted(r["name"].lower().rstrip(".") for r in conf["records"])
    types = sorted({r.get("type", "CNAME") for r in conf["records"]})
    t.eq(cond.get("route53:ChangeResourceRecordSetsNormalizedRecordNames"), names,
         "only the configured names, lower case without the trailing dot")
    t.eq(cond.get("route53:ChangeResourceRecordSetsRecordTypes"), types, "only their types")
    t.eq(cond.get("route53:ChangeResourceRecordSetsActions"), ["UPSERT"], "only UPSERT")


def test_prometheus_yml(t):
    path = os.path.join(EX, "prometheus.yml")
    r = subprocess.run(["promtool", "check", "config", path], capture_output=True, text=True,
                       timeout=60)
    t.eq(r.returncode, 0, "promtool check config", r.stdout + r.stderr)
    with open(path) as f:
        text = f.read()
    t.ok(re.search(r"job_name: hostwatch-tls\n\s+scheme: https\n\s+tls_config:", text) and
         "basic_auth:" in text and "password_file:" in text, "TLS + basic auth job", text)
    with tempfile.TemporaryDirectory() as d:
        bad = os.path.join(d, "p.yml")
        with open(bad, "w") as f:
            f.write(text.replace("password_file:", "pasword_file:"))
        r = subprocess.run(["promtool", "check", "config", bad], capture_output=True, text=True)
        t.ok(r.returncode != 0, "promtool rejects a broken variant", r.stdout)


def hcl_parser():
    mod = os.path.join(NODE_DIR, "node_modules", "@cdktf", "hcl2json")
    if not os.path.isdir(mod):
        os.makedirs(NODE_DIR, exist_ok=True)
        pkg = os.path.join(NODE_DIR, "package.json")
        if not os.path.exists(pkg):
            with open(pkg, "w") as f:
                f.write('{"private": true}\n')
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--silent", "--cache",
                        os.path.join(NODE_DIR, ".npm-cache"), HCL2JSON], cwd=NODE_DIR,
                       check=True, timeout=300)
    return mod


def hcl(path):
    env = dict(os.environ, NODE_PATH=os.path.join(NODE_DIR, "node_modules"))
    return subprocess.run(["node", os.path.join(pkgtest.HERE, "hcl2json.js"), path],
                          capture_output=True, text=True, env=env, timeout=60)


def test_terraform(t):
    hcl_parser()
    tf = {}
    for f in sorted(glob.glob(os.path.join(EX, "terraform", "*.tf"))):
        r = hcl(f)
        t.eq(r.returncode, 0, "HCL parses: terraform/" + os.path.basename(f), r.stderr)
        for k, v in (json.loads(r.stdout) if r.returncode == 0 else {}).items():
            tf.setdefault(k, {}).update(v)
    with tempfile.TemporaryDirectory() as d:
        bad = os.path.join(d, "bad.tf")
        with open(bad, "w") as f:
            f.write('resource "aws_route53_record" "x" {\n  name = \n}\n')
        t.ok(hcl(bad).returncode != 0, "the parser rejects broken HCL")
    res = tf.get("resource", {})
    alarm = res.get("aws_cloudwatch_metric_alarm", {}).get("not_primary", [{}])[0]
    t.eq(alarm.get("metric_name"), "oracle_fsfo_is_primary", "alarm on oracle_fsfo_is_primary")
    t.eq((alarm.get("statistic"), alarm.get("period"), alarm.get("comparison_operator"),
          alarm.get("threshold"), alarm.get("treat_missing_data")),
         ("Minimum", 60, "LessThanThreshold", 1, "breaching"), "alarm as docs/fsfo-route53.md says")
    t.eq(alarm.get("dimensions"), {"database": "${each.key}"}, "one alarm per database label")
    hc = res.get("aws_route53_health_check", {}).get("primary", [{}])[0]
    t.eq(hc.get("type"), "CLOUDWATCH_METRIC", "health check on the alarm")
    t.eq(hc.get("cloudwatch_alarm_name"),
         "${aws_cloudwatch_metric_alarm.not_primary[each.key].alarm_name}", "... that alarm")
    t.eq(hc.get("insufficient_data_health_status"), "Unhealthy", "no data is unhealthy")
    rec = res.get("aws_route53_record", {}).get("db", [{}])[0]
    t.eq(rec.get("health_check_id"), "${aws_route53_health_check.primary[each.key].id}",
         "each record carries its database's health check")
    t.eq(rec.get("failover_routing_policy"), [{"type": "${each.value.failover}"}],
         "failover routing")
    dbs = tf.get("variable", {}).get("databases", [{}])[0].get("default", {})
    t.eq(sorted(v.get("failover") for v in dbs.values()), ["PRIMARY", "SECONDARY"],
         "a PRIMARY and a SECONDARY record by default", dbs)
    declared = set(tf.get("variable", {}))
    used = set()
    for f in glob.glob(os.path.join(EX, "terraform", "*.tf")):
        with open(f) as fh:
            used |= set(re.findall(r"var\.([a-z_]+)", fh.read()))
    t.eq(sorted(used - declared), [], "every var.* used is declared")


if __name__ == "__main__":
    pkgtest.main([test_ecs_task_definition, test_iam_policy, test_iam_policy_route53,
                  test_prometheus_yml, test_terraform])
