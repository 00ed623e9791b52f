#!/usr/bin/env bash
# bench/logs.sh [PATH-TO-hostwatch]
#   Log filtering: hostwatch's five log filters (ERROR count, count by status label, latency
#   histogram from a capture, a 1/0 gauge on a phrase, a "timeout" count) against mtail with the
#   same program and against grep/cat as the scan bound, in the same run on the same generated
#   log (2,000,000 lines of about 200 bytes, seeded). Then hostwatch tailing a file written at
#   100,000 lines/s (CPU, RSS), and the delay from a line appended to its count on /metrics.
#   Checks every tool's answers against the counts the generator expects. Prints tables, the
#   ratios and the targets with PASS/MISS. Exits non-zero only on a real error (a tool failing,
#   the agent not coming up, hostwatch's counts wrong), never on a MISS.
#   Environment: BENCH_LOG_LINES (default 2000000), BENCH_LOG_RUNS (runs per tool, fastest
#   kept, default 3), BENCH_TAIL_RATE (lines/s, default 100000), BENCH_TAIL_SECONDS (default
#   20), BENCH_LATENCY_PROBES (default 200), MTAIL (binary name or path, default mtail).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
HW=${1:-$HERE/../build/release/hostwatch}
LINES=${BENCH_LOG_LINES:-2000000}
RUNS=${BENCH_LOG_RUNS:-3}
RATE=${BENCH_TAIL_RATE:-100000}
TAIL_SECS=${BENCH_TAIL_SECONDS:-20}
PROBES=${BENCH_LATENCY_PROBES:-200}
MTAIL_NAME=${MTAIL:-mtail}
SEED=42
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
# shellcheck source=bench/lib.sh
. "$HERE/lib.sh"
GEN=("$PY" "$HERE/genlog.py")
TIME=/usr/bin/time
# the five patterns in one alternation: the scan bound for one pass over the file
ALT='ERROR|status=(\d{3})|latency_ms=(\d+)|circuit breaker (open|closed)|timeout'

[ -x "$HW" ] || die "no hostwatch binary at $HW (./dev.sh bench builds build/release/hostwatch)"
[ -x "$TIME" ] || die "$TIME is missing (Debian package time)"
for v in LINES RUNS RATE TAIL_SECS PROBES; do
    case "${!v}" in '' | *[!0-9]* | 0) die "$v must be a positive number" ;; esac
done
MTAIL_BIN=$(command -v "$MTAIL_NAME" || true)

WORK=$(mktemp -d "${TMPDIR:-/tmp}/hostwatch-logbench.XXXXXX")
PIDS=() # background processes still running

# ---- small helpers -------------------------------------------------------------------------
cpu_ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; } # utime + stime
CLK_TCK=$(getconf CLK_TCK)
# filters_json PATH: the log source with the five filters (six entries: the gauge is set to 1
# by one and to 0 by another), reading PATH from its beginning.
filters_json() {
    cat <<EOF
"logs":[{"name":"bench","paths":["$1"],"start_at":"beginning","max_line_size":"64KiB",
 "filters":[
  {"metric":"app_errors_total","regex":"ERROR"},
  {"metric":"app_responses_total","regex":"status=(?<status>\\\\d{3})","labels":["status"]},
  {"metric":"app_latency_ms","type":"histogram","regex":"latency_ms=(?<value>\\\\d+)",
   "buckets":[5,10,25,50,100,250,500,1000]},
  {"name":"degraded_open","metric":"app_degraded","type":"gauge","regex":"circuit breaker open",
   "value":1},
  {"name":"degraded_closed","metric":"app_degraded","type":"gauge",
   "regex":"circuit breaker closed","value":0},
  {"metric":"app_timeouts_total","pattern":"timeout"}]}]
EOF
}

declare -A R # results, keyed "tool.metric"

# timed TOOL OUT -- CMD...: runs CMD with stdout to OUT under /usr/bin/time; keeps the fastest
# run's wall time (ns clock around it) with that run's CPU time (user + system), and the
# largest peak RSS seen for TOOL. Bounded by timeout 600.
timed() {
    local tool=$1 out=$2 rc=0 wall user sys rss t0 t1
    shift 3
    t0=$(date +%s%N)
    timeout 600 "$TIME" -f '%e %U %S %M' -o "$WORK/$tool.time" "$@" >"$out" 2>"$WORK/$tool.err" &
    local pid=$!
    PIDS+=("$pid")
    wait "$pid" || rc=$?
    t1=$(date +%s%N)
    forget "$pid"
    # grep -c exits 1 when it counts 0 lines: only >1 is an error for it
    if [ "$rc" -ne 0 ] && ! { [ "${tool#grep}" != "$tool" ] && [ "$rc" -eq 1 ]; }; then
        tail -n 20 "$WORK/$tool.err" >&2
        die "$tool failed (exit $rc): $*"
    fi
    read -r _ user sys rss < <(tail -n 1 "$WORK/$tool.time") # %e: 10 ms resolution, unused
    wall=$(calc "($t1 - $t0) / 1e9" 3)
    if [ -z "${R[$tool.wall]:-}" ] || awk "BEGIN { exit !($wall < ${R[$tool.wall]}) }"; then
        R[$tool.wall]=$wall
        R[$tool.cpu]=$(calc "$user + $sys")
    fi
    if [ -z "${R[$tool.rss]:-}" ] || [ "$rss" -gt "${R[$tool.rss]}" ]; then R[$tool.rss]=$rss; fi
}

# ---- 1. the log ----------------------------------------------------------------------------
HW_VERSION=$("$HW" --version 2>&1 | head -n 1)
MTAIL_VERSION=${MTAIL_BIN:+$("$MTAIL_BIN" --version 2>&1 | head -n 1 | cut -d' ' -f1-3)}
GREP_VERSION=$(grep --version | head -n 1)
[ -n "$MTAIL_BIN" ] || note "mtail ($MTAIL_NAME) is not installed: no mtail run, no ratio to it"

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
BUSY_BEFORE=$(cpu_busy)
[ "$BUSY_BEFORE" -gt 10 ] &&
    note "warning: ${BUSY_BEFORE}% of the CPUs were already busy before the run; numbers will be noisy"

FREE_KB=$(df -Pk "$WORK" | awk 'NR == 2 { print $4 }')
TAIL_ON=1
if [ "$FREE_KB" -lt $((2 * 1024 * 1024)) ] && [ "$LINES" -gt 200000 ]; then
    note "only $((FREE_KB / 1024)) MiB free under $WORK (< 2 GiB): 200000 lines instead of $LINES"
    LINES=200000
fi
if [ "$FREE_KB" -lt $((RATE * TAIL_SECS / 4 + LINES / 4)) ]; then # ~200 bytes a line, x1.2
    note "not enough disk for $((RATE * TAIL_SECS)) tailed lines: tailing test skipped"
    TAIL_ON=0
fi

LOG=$WORK/app.log
note "generating $LINES lines (seed $SEED)"
"${GEN[@]}" generate "$LOG" "$LINES" "$SEED" "$WORK/truth.json" || die "genlog.py generate failed"
BYTES=$(stat -c %s "$LOG")
MB=$(calc "$BYTES / 1000000" 1)

printf '{"collectors":{%s},"exporters":{}}\n' "$(filters_json "$LOG")" >"$WORK/once.json"
"$HW" check -c "$WORK/once.json" >/dev/null 2>"$WORK/check.err" ||
    { cat "$WORK/check.err" >&2; die "hostwatch rejects the bench config"; }

# ---- 2. one pass over the file -------------------------------------------------------------
TOOLS=(cat grepE grepalt hw)
[ -n "$MTAIL_BIN" ] && TOOLS+=(mtail)
cat "$LOG" >/dev/null # page cache: every tool reads from memory
for ((r = 1; r <= RUNS; r++)); do
    note "one pass over the file, run $r of $RUNS: ${TOOLS[*]}"
    for t in "${TOOLS[@]}"; do
        case "$t" in
        cat) timed cat /dev/null -- cat "$LOG" ;;
        grepE) timed grepE "$WORK/grepE.out" -- grep -c -P ERROR "$LOG" ;;
        grepalt) timed grepalt "$WORK/grepalt.out" -- grep -c -P "$ALT" "$LOG" ;;
        hw) timed hw "$WORK/hw.prom" -- "$HW" once -c "$WORK/once.json" ;;
        mtail)
            # --one_shot still opens mtail's HTTP listener (*:3903 by default): keep it local
            timed mtail "$WORK/mtail.json" -- "$MTAIL_BIN" --one_shot --one_shot_format json \
                --address 127.0.0.1 --port "$(free_port)" --progs "$HERE/mtail" --logs "$LOG" \
                --logtostderr
            ;;
        esac
    done
done

CHECK_RC=0
"$PY" "$HERE/logcheck.py" "$WORK/truth.json" "$WORK/hw.prom" \
    "$([ -n "$MTAIL_BIN" ] && echo "$WORK/mtail.json" || echo -)" \
    "$(cat "$WORK/grepalt.out")" "$(cat "$WORK/grepE.out")" >"$WORK/check.txt" || CHECK_RC=$?
[ "$CHECK_RC" -le 1 ] || { cat "$WORK/check.txt" >&2; die "logcheck.py could not read the outputs"; }
HW_MATCHES=$(awk '/^hostwatch_filter_matches_total/ { n += $2 } END { print n + 0 }' "$WORK/hw.prom")

# ---- 3. tailing at RATE lines/s ------------------------------------------------------------
# start_agent: hostwatch run on an empty $WORK/tail.log; sets AGENT_PID and URL.
start_agent() {
    local port
    port=$(free_port)
    mkdir -p "$WORK/state"
    : >"$WORK/tail.log"
    printf '{"agent":{"interval":"1s","state_dir":"%s"},"collectors":{%s},' \
        "$WORK/state" "$(filters_json "$WORK/tail.log")" >"$WORK/run.json"
    printf '"exporters":{"prometheus":{"listen":"127.0.0.1:%s"}}}\n' "$port" >>"$WORK/run.json"
    "$HW" run -c "$WORK/run.json" >"$WORK/agent.log" 2>&1 &
    AGENT_PID=$!
    PIDS+=("$AGENT_PID")
    URL="http://127.0.0.1:$port"
    if ! "${GEN[@]}" wait "$URL/-/ready" 10; then
        tail -n 20 "$WORK/agent.log" >&2
        die "hostwatch run did not become ready within 10 s"
    fi
}
metric() { "${GEN[@]}" value "$URL/metrics" "$1"; }

note "hostwatch run: tailing $((RATE * TAIL_SECS)) lines at $RATE lines/s"
start_agent
sleep 1
if [ "$TAIL_ON" = 1 ]; then
    R[tail.rss0]=$(rss_mib "$AGENT_PID")
    c0=$(cpu_ticks "$AGENT_PID")
    t0=$(date +%s.%N)
    "${GEN[@]}" stream "$WORK/tail.log" "$RATE" "$TAIL_SECS" 10 >"$WORK/stream.json" \
        2>"$WORK/stream.err" &
    wpid=$!
    PIDS+=("$wpid")
    # the middle RSS sample: when the writer says half the lines are out (bounded wait)
    for ((i = 0; i < (TAIL_SECS + 10) * 20; i++)); do
        grep -q half "$WORK/stream.err" 2>/dev/null && break
        kill -0 "$wpid" 2>/dev/null || break
        sleep 0.05
    done
    R[tail.rss1]=$(rss_mib "$AGENT_PID")
    wait "$wpid" || die "the log writer failed: $(cat "$WORK/stream.err")"
    forget "$wpid"
    WRITTEN=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["lines"])' "$WORK/stream.json")
    WRITTEN_ERR=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["errors"])' "$WORK/stream.json")
    LATE=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["late_batches"])' "$WORK/stream.json")
    WSECS=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["seconds"])' "$WORK/stream.json")
    # until the agent has read every line: polled every 50 ms, at most 10 s
    for ((i = 0; i < 200; i++)); do
        [ "$(metric hostwatch_log_lines_total)" = "$WRITTEN" ] && break
        sleep 0.05
    done
    t1=$(date +%s.%N)
    c1=$(cpu_ticks "$AGENT_PID")
    R[tail.rss2]=$(rss_mib "$AGENT_PID")
    R[tail.secs]=$(calc "$t1 - $t0" 2)
    R[tail.cpu]=$(calc "100 * ($c1 - $c0) / $CLK_TCK / ($t1 - $t0)" 1)
    R[tail.lines]=$(metric hostwatch_log_lines_total)
    R[tail.errors]=$(metric app_errors_total)
fi

# ---- 4. append -> visible on /metrics ------------------------------------------------------
note "hostwatch run: $PROBES single lines, 20 ms apart, each until /metrics counts it"
"${GEN[@]}" latency "$WORK/tail.log" "$URL/metrics" app_errors_total "$PROBES" 20 \
    >"$WORK/latency.txt" || die "the latency probe failed"
R[lat.timeouts]=$(grep -c timeout "$WORK/latency.txt" || true)
read -r "R[lat.p50]" "R[lat.p90]" "R[lat.max]" < <(grep -v timeout "$WORK/latency.txt" | sort -g | awk '
    { v[NR] = $1 } END { if (NR == 0) { print "nan nan nan"; exit }
        i50 = int(0.5 * NR + 0.5); i90 = int(0.9 * NR + 0.5); if (i50 < 1) i50 = 1; if (i90 < 1) i90 = 1
        printf "%.2f %.2f %.2f\n", v[i50], v[i90], v[NR] }')
R[agent.rss]=$(rss_mib "$AGENT_PID")
stop "$AGENT_PID"
forget "$AGENT_PID"
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
BUSY_AFTER=$(cpu_busy)

# ---- report --------------------------------------------------------------------------------
v() { echo "${R[$1]:-n/a}"; }
lps() { [ -n "${R[$1.wall]:-}" ] && calc "$LINES / ${R[$1.wall]}" 0 || echo n/a; } # lines/s, wall
mbs() { [ -n "${R[$1.wall]:-}" ] && calc "$BYTES / 1000000 / ${R[$1.wall]}" 0 || echo n/a; }
lpc() { [ -n "${R[$1.cpu]:-}" ] && awk -v l="$LINES" -v c="${R[$1.cpu]}" 'BEGIN {
    if (c > 0) printf "%.0f", l / c; else print "n/a" }' || echo n/a; } # lines per CPU second
mib() { [ -n "${R[$1.rss]:-}" ] && calc "${R[$1.rss]} / 1024" 2 || echo n/a; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a + 0 == 0 || b + 0 == 0) print "n/a"; else printf "%.1fx", a / b }'; }
label() {
    case "$1" in
    hw) echo "hostwatch once, 5 filters" ;;
    mtail) echo "mtail --one_shot, same program" ;;
    grepalt) echo "grep -c -P, 5 patterns alternated" ;;
    grepE) echo "grep -c -P ERROR" ;;
    cat) echo "cat > /dev/null" ;;
    esac
}

echo
echo "hostwatch log filtering bench, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, kernel $(uname -r)"
echo "  hostwatch: $HW_VERSION ($HW)"
echo "  mtail:     ${MTAIL_VERSION:-not installed}"
echo "  grep:      $GREP_VERSION"
echo "  log: $LINES lines, $MB MB ($(calc "$BYTES / $LINES" 0) bytes a line), seed $SEED, page-cached; fastest of $RUNS runs per tool"
echo "  other CPU use (1 s sample): ${BUSY_BEFORE}% before, ${BUSY_AFTER}% after; load average before: $LOAD_BEFORE, after: $LOAD_AFTER"
echo
printf '| %-34s | %8s | %10s | %7s | %8s | %12s | %9s |\n' "one pass over the file" "wall (s)" \
    "lines/s" "MB/s" "CPU (s)" "lines/CPU-s" "peak RSS"
printf '|%s|%s|%s|%s|%s|%s|%s|\n' "------------------------------------" "----------" \
    "------------" "---------" "----------" "--------------" "-----------"
for t in hw mtail grepalt grepE cat; do
    [ -n "${R[$t.wall]:-}" ] || continue
    printf '| %-34s | %8s | %10s | %7s | %8s | %12s | %5s MiB |\n' "$(label "$t")" \
        "${R[$t.wall]}" "$(lps "$t")" "$(mbs "$t")" "${R[$t.cpu]}" "$(lpc "$t")" "$(mib "$t")"
done
echo "(wall: ns clock around the run; CPU: /usr/bin/time user + system, 10 ms resolution; peak RSS: %M, the largest of the runs)"
echo
echo "ratios (hostwatch's lines/s over the other's, wall time; CPU time in brackets):"
if [ -n "$MTAIL_BIN" ]; then
    echo "  hostwatch vs mtail:                   $(ratio "${R[mtail.wall]}" "${R[hw.wall]}") ($(ratio "${R[mtail.cpu]}" "${R[hw.cpu]}") CPU)"
fi
echo "  hostwatch vs grep -P, 5 alternated:   $(ratio "${R[grepalt.wall]}" "${R[hw.wall]}") ($(ratio "${R[grepalt.cpu]}" "${R[hw.cpu]}") CPU)"
echo "  filter matches (hostwatch_filter_matches_total, all filters): $HW_MATCHES"
echo
sed 's/^/  /' "$WORK/check.txt"
echo
if [ "$TAIL_ON" = 1 ]; then
    echo "tailing (hostwatch run, inotify): $WRITTEN lines written at $RATE lines/s in ${WSECS} s (batches every 10 ms, $LATE late)"
    echo "  agent CPU from the first write until it had read every line (${R[tail.secs]} s): ${R[tail.cpu]} % of one core"
    echo "  agent RSS: start $(v tail.rss0) MiB, middle $(v tail.rss1) MiB, end $(v tail.rss2) MiB"
    echo "  counted: hostwatch_log_lines_total $(v tail.lines) of $WRITTEN written, app_errors_total $(v tail.errors) of $WRITTEN_ERR written"
else
    echo "tailing: skipped (disk)"
fi
echo "append -> visible on /metrics (app_errors_total grows), $PROBES single lines 20 ms apart:"
echo "  median $(v lat.p50) ms, p90 $(v lat.p90) ms, max $(v lat.max) ms; not seen within 2 s: $(v lat.timeouts); agent RSS afterwards $(v agent.rss) MiB"

# ---- targets -------------------------------------------------------------------------------
HW_LPS=$(lps hw)
echo
echo "targets:"
printf '  %-4s >= 1.8M lines/s with the 5 filters: %s lines/s (%s per CPU second)\n' \
    "$(verdict "$HW_LPS >= 1800000")" "$HW_LPS" "$(lpc hw)"
printf '  %-4s >= the alternated grep -P pass (same run): %s vs %s lines/s\n' \
    "$(verdict "$HW_LPS >= $(lps grepalt)")" "$HW_LPS" "$(lps grepalt)"
if [ -n "$MTAIL_BIN" ]; then
    x=$(calc "${R[mtail.wall]} / ${R[hw.wall]}" 1)
    printf '  %-4s >= 20x mtail (same run): %sx\n' "$(verdict "$x >= 20")" "$x"
else
    echo "  n/a  >= 20x mtail: mtail not installed"
fi
printf '  %-4s peak RSS of hostwatch once <= 8 MiB: %s MiB\n' \
    "$(verdict "$(mib hw) <= 8")" "$(mib hw)"
if [ "$TAIL_ON" = 1 ]; then
    printf '  %-4s tailing %s lines/s <= 10%% of one core: %s %%\n' \
        "$(verdict "${R[tail.cpu]} <= 10")" "$RATE" "${R[tail.cpu]}"
    # flat: no growth after the first reads allocated the read buffer (read_block 256 KiB +
    # max_line_size 64 KiB): middle to end within 0.25 MiB, start to end within 1 MiB
    printf '  %-4s RSS flat while tailing (middle->end <= 0.25 MiB, start->end <= 1 MiB): %s / %s / %s MiB\n' \
        "$(verdict "${R[tail.rss2]} - ${R[tail.rss1]} <= 0.25 && ${R[tail.rss2]} - ${R[tail.rss0]} <= 1")" \
        "${R[tail.rss0]}" "${R[tail.rss1]}" "${R[tail.rss2]}"
    printf '  %-4s every tailed line counted: %s of %s lines, %s of %s ERROR lines\n' \
        "$(verdict "\"${R[tail.lines]}\" == \"$WRITTEN\" && \"${R[tail.errors]}\" == \"$WRITTEN_ERR\"")" \
        "${R[tail.lines]}" "$WRITTEN" "${R[tail.errors]}" "$WRITTEN_ERR"
fi
printf '  %-4s line appended -> visible on /metrics, median <= 20 ms: %s ms\n' \
    "$(verdict "${R[lat.p50]} <= 20 && ${R[lat.timeouts]} == 0")" "${R[lat.p50]}"
printf '  %-4s answers: hostwatch %s\n' "$([ "$CHECK_RC" -eq 0 ] && echo PASS || echo FAIL)" \
    "$(awk '/^hostwatch: / { print $2 }' "$WORK/check.txt")"
[ "$CHECK_RC" -eq 0 ] || die "hostwatch's counts differ from the generated log's (see above)"
exit 0
