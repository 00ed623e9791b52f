# Shared shell helpers of the benchmarks; sourced once HERE and PY are set (WORK and PIDS
# may come later: the EXIT trap copes with either missing).
# shellcheck shell=bash

die() { echo "bench: error: $*" >&2; exit 1; }
note() { echo "bench: $*" >&2; }

# stop PID: SIGTERM, up to 5 s, then SIGKILL.
stop() {
    local pid=$1 i
    kill "$pid" 2>/dev/null || return 0
    for ((i = 0; i < 50; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}
# shellcheck disable=SC2317 # invoked by the EXIT trap
cleanup() {
    local pid
    for pid in "${PIDS[@]+"${PIDS[@]}"}"; do stop "$pid"; done
    [ -z "${WORK:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
forget() { # forget PID: drop it from PIDS once stopped
    local keep=() p
    for p in "${PIDS[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
    PIDS=("${keep[@]+"${keep[@]}"}")
}

calc() { awk "BEGIN { printf \"%.${2:-2}f\", $1 }"; }
# median of the numbers on stdin
median() {
    sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) { print "nan"; exit }
        if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
rss_mib() { awk '/^VmRSS:/ { printf "%.2f", $2 / 1024 }' "/proc/$1/status"; }
# private anonymous memory only: the heap and stacks, not library pages a kernel may page out
anon_mib() { awk '/^RssAnon:/ { printf "%.2f", $2 / 1024 }' "/proc/$1/status"; }
free_port() { "$PY" "$HERE/probe.py" port; }
# CPU already busy before we start (other processes), over 1 s, in % of all CPUs
cpu_busy() {
    local a b
    a=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8, $2 + $3 + $4 + $5 + $6 + $7 + $8 }' /proc/stat)
    sleep 1
    b=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8, $2 + $3 + $4 + $5 + $6 + $7 + $8 }' /proc/stat)
    awk -v a="$a" -v b="$b" 'BEGIN { split(a, x, " "); split(b, y, " ")
        if (y[2] > x[2]) printf "%.0f", 100 * (y[1] - x[1]) / (y[2] - x[2]); else print 0 }'
}
verdict() { awk "BEGIN { exit !($1) }" && echo PASS || echo MISS; }

# wrk_run OUTFILE URL [wrk args]: bounded by wrk's own -d ($DURATION) plus a timeout guard;
# run in the background so that an INT/TERM stops the run at once. WRK_LOAD overrides the
# connection settings (default -t2 -c4).
wrk_run() {
    local out=$1 url=$2 pid rc=0
    shift 2
    # shellcheck disable=SC2086 # WRK_LOAD is a word list
    timeout 120 wrk ${WRK_LOAD:--t2 -c4} -d"$DURATION" --latency "$@" "$url" >"$out" 2>&1 &
    pid=$!
    PIDS+=("$pid")
    wait "$pid" || rc=$?
    forget "$pid"
    [ "$rc" -eq 0 ] || { cat "$out" >&2; die "wrk failed on $url"; }
}
wrk_rps() { awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$1"; }
# median latency in ms, whatever unit wrk printed it in
wrk_p50() {
    awk '$1 == "50%" { v = $2 + 0; u = $2; sub(/^[0-9.]+/, "", u)
        if (u == "us") v /= 1000; else if (u == "s") v *= 1000; else if (u == "m") v *= 60000
        printf "%.3f", v }' "$1"
}
# requests that were not a 2xx/3xx, plus socket errors
wrk_errors() {
    awk '/Non-2xx or 3xx responses:/ { n += $NF }
        /Socket errors:/ { for (i = 3; i <= NF; i++) n += $i + 0 } END { print n + 0 }' "$1"
}
