"""Answer check for bench/logs.sh (Python 3 standard library only).

  logcheck.py TRUTH.json HOSTWATCH.prom [MTAIL.json|-] [GREP_ANY] [GREP_ERROR]

Compares what `hostwatch once` printed (Prometheus text) and what `mtail --one_shot` printed
(JSON) with the expected results genlog.py computed from the lines it wrote, and the two grep
counts with the lines the five patterns / ERROR match. Prints one row per check with agree or
DISAGREE, then a summary line "hostwatch: agree|DISAGREE" and "others: agree|DISAGREE|n/a".
Exit status: 0 when hostwatch agrees, 1 when it does not, 2 on unreadable input.

Histogram buckets: hostwatch's cumulative le="B" counts values <= B (Prometheus). mtail's JSON
gives a count per range, summed here. mtail 3.0.0~rc50 (Debian 12) files a value v in the range
min < v <= max, the first range starting at 0, so a value of 0 is in Count and Sum but in no
bucket: its sums are checked against "0 < v <= B". Later mtail releases use min <= v < max
("v < B"); either rule is accepted for mtail and the one that held is printed.
"""

import json
import re
import sys

SERIES = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)')
LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def read_prom(path):
    out = {}
    with open(path) as f:
        for line in f:
            if line.startswith("#"):
                continue
            m = SERIES.match(line)
            if m:
                labels = tuple(sorted(LABEL.findall(m.group(2) or "")))
                out[(m.group(1), labels)] = float(m.group(3))
    return out


def hostwatch_view(prom):
    status = {}
    buckets = {}
    for (name, labels), v in prom.items():
        d = dict(labels)
        if name == "app_responses_total":
            status[d.get("status", "")] = int(v)
        elif name == "app_latency_ms_bucket" and d.get("le") != "+Inf":
            buckets["%g" % float(d["le"])] = int(v)
    g = lambda n, lb=(): prom.get((n, lb))
    return {
        "lines": g("hostwatch_log_lines_total", (("source", "bench"),)),
        "errors": g("app_errors_total"),
        "timeouts": g("app_timeouts_total"),
        "status": status,
        "count": g("app_latency_ms_count"),
        "sum": g("app_latency_ms_sum"),
        "buckets": buckets,
        "degraded": g("app_degraded"),
    }


def mtail_view(path):
    with open(path) as f:
        d = json.load(f)

    def scalar(name):
        for m in d.get(name, []):
            for lv in m.get("LabelValues", []):
                return lv["Value"].get("Value")
        return None

    status = {}
    for m in d.get("app_responses_total", []):
        for lv in m.get("LabelValues", []):
            status[lv["Labels"][0]] = int(lv["Value"]["Value"])
    count = total = None
    buckets = {}
    for m in d.get("app_latency_ms", []):
        for lv in m.get("LabelValues", []):
            count, total = lv["Value"]["Count"], lv["Value"]["Sum"]
            per = lv["Value"]["Buckets"]
            ranges = sorted((float(r["Max"]), r["Max"]) for r in m.get("Buckets", [])
                            if r["Max"] != "+Inf")
            run = 0
            for upper, key in ranges:  # [min, max) ranges summed: values < max
                run += int(per.get(key, 0))
                buckets["%g" % upper] = run
    return {"errors": scalar("app_errors_total"), "timeouts": scalar("app_timeouts_total"),
            "status": status, "count": count, "sum": total, "buckets": buckets,
            "degraded": scalar("app_degraded")}


def num(v):
    return "n/a" if v is None else ("%d" % v if float(v).is_integer() else "%g" % v)


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        with open(argv[1]) as f:
            t = json.load(f)
        hw = hostwatch_view(read_prom(argv[2]))
        mt = mtail_view(argv[3]) if len(argv) > 3 and argv[3] != "-" else None
    except (OSError, ValueError, KeyError) as e:
        print("logcheck: %s" % e, file=sys.stderr)
        return 2
    grep_any = int(argv[4]) if len(argv) > 4 and argv[4].isdigit() else None
    grep_err = int(argv[5]) if len(argv) > 5 and argv[5].isdigit() else None
    lat = t["latency"]
    exp_le = {"%g" % float(k): v for k, v in lat["buckets"].items()}
    exp_lt = {"%g" % float(k): v for k, v in lat["buckets_lt"].items()}
    exp_pos = {"%g" % float(k): v for k, v in lat["buckets_pos"].items()}
    mrule = None
    if mt is not None:
        mrule = ("0 < v <= B" if mt["buckets"] == exp_pos else
                 "v < B" if mt["buckets"] == exp_lt else None)
    status_total = lambda s: sum(s.values()) if s else None

    rows = []  # (what, expected, hostwatch, mtail, grep, hw_ok, others_ok)

    def row(what, exp, h, m=None, g=None, hcmp=None, mcmp=None):
        h_ok = (h == exp) if hcmp is None else hcmp
        m_ok = None if mt is None or m is None and mcmp is None else (
            (m == exp) if mcmp is None else mcmp)
        g_ok = None if g is None else g == exp
        rows.append((what, exp, h, m, g, h_ok, m_ok, g_ok))

    row("lines read", t["lines"], hw["lines"])
    row("ERROR lines", t["errors"], hw["errors"], mt and mt["errors"], grep_err)
    row("lines by status: total", sum(t["status"].values()), status_total(hw["status"]),
        mt and status_total(mt["status"]))
    row("lines by status: %d labels, each" % len(t["status"]), len(t["status"]),
        len(hw["status"]), mt and len(mt["status"]),
        hcmp=hw["status"] == t["status"], mcmp=mt and mt["status"] == t["status"])
    row("latency_ms count", lat["count"], hw["count"], mt and mt["count"])
    row("latency_ms sum", lat["sum"], hw["sum"], mt and mt["sum"])
    row("latency_ms buckets, each (see below)", len(exp_le), len(hw["buckets"]),
        mt and len(mt["buckets"]), hcmp=hw["buckets"] == exp_le, mcmp=mt and mrule is not None)
    row("timeout lines", t["timeouts"], hw["timeouts"], mt and mt["timeouts"])
    row("circuit breaker gauge (last)", t["degraded"], hw["degraded"], mt and mt["degraded"])
    if grep_any is not None:
        rows.append(("lines any of the 5 patterns", t["any"], None, None, grep_any, None, None,
                     grep_any == t["any"]))

    word = lambda ok: "" if ok is None else ("agree" if ok else "DISAGREE")
    print("| %-38s | %12s | %12s | %12s | %12s | %-8s | %-8s | %-8s |" % (
        "answer check", "expected", "hostwatch", "mtail", "grep", "hw", "mtail", "grep"))
    print("|%s|%s|%s|%s|%s|%s|%s|%s|" % ("-" * 40, "-" * 14, "-" * 14, "-" * 14, "-" * 14,
                                         "-" * 10, "-" * 10, "-" * 10))
    for what, exp, h, m, g, h_ok, m_ok, g_ok in rows:
        print("| %-38s | %12s | %12s | %12s | %12s | %-8s | %-8s | %-8s |" % (
            what, num(exp), "" if h is None and h_ok is None else num(h),
            "" if m_ok is None else num(m), "" if g is None else num(g),
            word(h_ok), word(m_ok), word(g_ok)))
    if mt is not None:
        zeros = exp_le[min(exp_le, key=float)] - exp_pos[min(exp_pos, key=float)]
        print("buckets: hostwatch checked against v <= B (le); mtail %s%s" % (
            "against " + mrule if mrule else "matched neither 0 < v <= B nor v < B",
            " (%d observations of 0: in mtail's count, in none of its buckets)" % zeros
            if mrule == "0 < v <= B" and zeros else ""))
    hw_ok = all(r[5] for r in rows if r[5] is not None)
    others = [r[6] for r in rows if r[6] is not None] + [r[7] for r in rows if r[7] is not None]
    print("hostwatch: %s" % ("agree" if hw_ok else "DISAGREE"))
    print("others: %s" % ("n/a" if not others else ("agree" if all(others) else "DISAGREE")))
    if mt is not None and hw["status"] == mt["status"] and hw["count"] == mt["count"] and \
            hw["sum"] == mt["sum"] and hw["errors"] == mt["errors"]:
        print("hostwatch vs mtail: agree (ERROR count, per-status counts, histogram count/sum)")
    elif mt is not None:
        print("hostwatch vs mtail: DISAGREE")
    return 0 if hw_ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
