"""The EMF exporter in the real agent: one-second documents appended to a file (parsed back:
_aws structure, namespace, mem_used_percent as a Percent between 0 and 100, the exporter's own
counters on /metrics), then the same on stdout, where the documents must share the log file
with the agent's stderr only as whole lines."""
import json
import os
import shutil

import hwtest
from hwtest import TAP, Agent, wait_until


def config(output):
    return {"agent": {"interval": "500ms"},
            "collectors": {"memory": {}},
            "exporters": {"emf": {"enabled": True, "namespace": "HWTest", "flush_interval": "1s",
                                  "output": output, "metrics": ["mem_used_percent"],
                                  "dimensions": {"task": "${HW_EMF_TASK}"}},
                          "prometheus": {"listen": "127.0.0.1:@PORT@"}}}


def emf_docs(text):
    """The lines of text that are JSON objects with an _aws member, parsed; other lines (the
    agent's log) are returned apart. A line that starts like a document but does not parse is
    kept as a broken one."""
    docs, other, broken = [], [], []
    for line in text.splitlines():
        if line.startswith("{"):
            try:
                doc = json.loads(line)
            except ValueError:
                broken.append(line)
                continue
            (docs if isinstance(doc, dict) and "_aws" in doc else broken).append(doc)
        elif "_aws" in line:
            broken.append(line)
        elif line:
            other.append(line)
    return docs, other, broken


def check_doc(t, doc, label):
    aws = doc.get("_aws", {})
    t.ok(isinstance(aws.get("Timestamp"), int) and aws["Timestamp"] > 1.6e12,
         label + ": _aws.Timestamp in milliseconds", aws)
    dirs = aws.get("CloudWatchMetrics") or [{}]
    d = dirs[0]
    t.eq(len(dirs), 1, label + ": one metric directive")
    t.eq(d.get("Namespace"), "HWTest", label + ": namespace")
    t.eq(d.get("Dimensions"), [["task"]], label + ": the static dimension set")
    t.eq(doc.get("task"), "t-42", label + ": ${HW_EMF_TASK} expanded")
    defs = {m.get("Name"): m for m in d.get("Metrics", [])}
    t.eq(defs.get("mem_used_percent"), {"Name": "mem_used_percent", "Unit": "Percent",
                                        "StorageResolution": 60},
         label + ": mem_used_percent definition")
    v = doc.get("mem_used_percent")
    t.ok(isinstance(v, (int, float)) and not isinstance(v, bool) and 0 < v < 100,
         label + ": mem_used_percent is a number in (0, 100)", v)
    t.eq(sorted(doc), sorted(["_aws", "task", "mem_used_percent"]),
         label + ": only the directive's members")


def test_file(t):
    a = Agent(config("@DIR@/emf.jsonl"), env={"HW_EMF_TASK": "t-42"})
    path = os.path.join(a.dir, "emf.jsonl")

    def docs():
        if not os.path.exists(path):
            return None
        with open(path) as f:
            text = f.read()
        got = emf_docs(text[:text.rfind("\n") + 1])  # a line being written is not complete
        return got if len(got[0]) >= 2 else None

    try:
        a.start()
        got = wait_until(docs, 15, 0.1)
        t.ok(got, "two documents written within 15 s", a.read_log()[-2000:])
        if not got:
            return
        found, other, broken = got
        t.eq(other + broken, [], "the file holds only EMF documents")
        for i, doc in enumerate(found[:2]):
            check_doc(t, doc, "file doc %d" % i)
        ts = [d["_aws"]["Timestamp"] for d in found]
        t.ok(ts == sorted(ts) and ts[1] - ts[0] >= 500, "one document per interval", ts)

        def counted():
            m = a.metrics()
            v = m.get('hostwatch_export_requests_total{exporter="emf",result="success"}', 0)
            return m if v >= 2 else None

        m = wait_until(counted, 10, 0.1) or {}
        t.ok(m, "hostwatch_export_requests_total{exporter=\"emf\",result=\"success\"} >= 2")
        t.eq(m.get('hostwatch_export_requests_total{exporter="emf",result="error"}'), 0.0,
             "no write error counted")
        t.ok(m.get('hostwatch_export_datapoints_total{exporter="emf",result="sent"}', 0) >= 2,
             "datapoints sent counted")
    finally:
        rc = a.stop()
    t.eq(rc, 0, "the agent stops cleanly")
    with open(path) as f:
        after, _, broken = emf_docs(f.read())
    t.ok(len(after) >= 2 and not broken, "whole documents after SIGTERM (last interval written)",
         broken)
    shutil.rmtree(a.dir, ignore_errors=True)


def test_stdout(t):
    a = Agent(config("-"), env={"HW_EMF_TASK": "t-42"})

    def docs():
        text = a.read_log()
        got = emf_docs(text[:text.rfind("\n") + 1])
        return got if len(got[0]) >= 3 else None

    try:
        a.start()
        got = wait_until(docs, 15, 0.1)
        t.ok(got, "three documents on stdout within 15 s", a.read_log()[-2000:])
        if not got:
            return
        found, other, broken = got
        check_doc(t, found[0], "stdout doc")
        t.eq(broken, [], "documents never cut or glued to a log line")
        t.ok(all(line.startswith("level=") for line in other),
             "every other line is a whole log line", other)
    finally:
        rc = a.stop()
    t.eq(rc, 0, "the agent stops cleanly")
    _, other, broken = emf_docs(a.read_log())
    t.eq(broken, [], "still only whole lines after SIGTERM")
    shutil.rmtree(a.dir, ignore_errors=True)


def test_check_rejects_aws_placeholders(t):
    a = Agent(config("-"))
    cfg = config("-")
    cfg["exporters"]["emf"]["dimensions"] = {"InstanceId": "${aws:InstanceId}"}
    a.write_config(cfg)
    r = hwtest.run_bin(["check", "-c", a.config_path])
    t.ok(r.returncode != 0 and "cloudwatch" in r.stderr + r.stdout,
         "check: ${aws:...} in an emf dimension is a configuration error", r.stderr + r.stdout)
    shutil.rmtree(a.dir, ignore_errors=True)


TAP().run([test_file, test_stdout, test_check_rejects_aws_placeholders])
