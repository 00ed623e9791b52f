"""`hostwatch test-filter`: the on-host "Test pattern" button, with grep-like exit codes."""
import json
import os
import shutil
import tempfile

from hwtest import TAP, run_bin

APACHE = ('127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /apache_pb.gif HTTP/1.0" 404 2326\n'
          '127.0.0.1 - frank [10/Oct/2000:13:25:16 -0700] "GET /index.html HTTP/1.0" 200 1043\n'
          '10.0.0.2 - - [10/Oct/2000:13:25:17 -0700] "GET /missing HTTP/1.0" 404 0\n')


def main():
    d = tempfile.mkdtemp(prefix="hw-tf-")
    log = os.path.join(d, "access.log")
    with open(log, "w") as f:
        f.write(APACHE)
    t = TAP()

    def test_regex(t):
        r = run_bin(["test-filter", "--regex", "\" (?<status>\\d{3}) (?<value>\\d+)$", log])
        t.eq(r.returncode, 0, "regex: exit 0 when lines match")
        t.ok("%s:1: 127.0.0.1 - frank" % log in r.stdout, "regex: file:line of a match", r.stdout)
        t.ok('status="404" value="2326"' in r.stdout, "regex: captured fields shown", r.stdout)
        t.ok("test_filter_matches{} += 2326" in r.stdout, "regex: the metric update", r.stdout)
        t.ok("test_filter_matches 3369" in r.stdout, "regex: the resulting value (sum)", r.stdout)

    def test_pattern(t):
        p = "[ip, identity, user_id, timestamp, request, status_code = 4*, size]"
        r = run_bin(["test-filter", "--pattern", p, "--value", "$size", log])
        t.eq(r.returncode, 0, "pattern: exit 0", r.stderr)
        t.ok("%s:1:" % log in r.stdout and "%s:3:" % log in r.stdout and
             "%s:2:" % log not in r.stdout, "pattern: lines 1 and 3 match, 2 does not", r.stdout)
        t.ok('$timestamp="10/Oct/2000:13:25:15 -0700"' in r.stdout,
             "pattern: bracket group extracted without brackets", r.stdout)
        t.ok("test_filter_matches 2326" in r.stdout, "pattern: value from $size", r.stdout)

    def test_exit_codes(t):
        r = run_bin(["test-filter", "--regex", "NOPE", log])
        t.eq(r.returncode, 1, "no match: exit 1")
        r = run_bin(["test-filter", "--regex", "(", log])
        t.ok(r.returncode == 2 and "missing closing parenthesis" in r.stderr,
             "bad regex: exit 2 and PCRE2's message", r.stderr)
        r = run_bin(["test-filter", "--pattern", "{ $.x = ", log])
        t.eq(r.returncode, 2, "bad pattern: exit 2")
        r = run_bin(["test-filter", "--regex", "x", os.path.join(d, "missing.log")])
        t.ok(r.returncode == 2 and "cannot read" in r.stderr, "missing file: exit 2", r.stderr)
        r = run_bin(["test-filter", log])
        t.eq(r.returncode, 2, "no filter given: usage error 2")

    def test_config(t):
        cfg = os.path.join(d, "hw.json")
        with open(cfg, "w") as f:
            json.dump({"collectors": {"logs": [{"name": "web", "paths": [log], "filters": [
                {"name": "not_found", "metric": "http_404_total", "regex": "\" 404 "},
                {"metric": "bytes_total", "regex": " (?<value>\\d+)$"}]}]}}, f)
        r = run_bin(["test-filter", "-c", cfg, "--filter", "not_found", log])
        t.eq(r.returncode, 0, "config: exit 0")
        t.ok("http_404_total 2" in r.stdout and "bytes_total" not in r.stdout,
             "config: --filter selects one filter", r.stdout)
        r = run_bin(["test-filter", "-c", cfg, log])
        t.ok("http_404_total 2" in r.stdout and "bytes_total 3369" in r.stdout,
             "config: every filter without --filter", r.stdout)
        r = run_bin(["test-filter", "-c", cfg, "--filter", "nosuch", log])
        t.eq(r.returncode, 2, "config: unknown filter name: exit 2")

    try:
        TAP.run(t, [test_regex, test_pattern, test_exit_codes, test_config])
    finally:
        shutil.rmtree(d, ignore_errors=True)


main()
