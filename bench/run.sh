#!/usr/bin/env bash
# bench/run.sh [PATH-TO-hostwatch]
#   Measures hostwatch (HTTP threads 1 and 2) and, when installed, node_exporter with the same
#   three collector areas (meminfo, filesystem, diskstats), in the same run:
#     idle RSS, start to first good scrape, /metrics throughput + latency (wrk), series served,
#     and hostwatch's cost of one memory+disk collection. Prints a table, the ratios and the
#     targets with PASS/MISS. Exits non-zero only on a real error, never on a MISS.
#   Environment: BENCH_DURATION (wrk -d, default 10s), BENCH_STARTS (starts per median,
#   default 10), BENCH_GZIP=0 (skip the gzip wrk runs), NODE_EXPORTER (binary name or path,
#   default prometheus-node-exporter).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
HW=${1:-$HERE/../build/release/hostwatch}
NE_NAME=${NODE_EXPORTER:-prometheus-node-exporter}
DURATION=${BENCH_DURATION:-10s}
STARTS=${BENCH_STARTS:-10}
GZIP=${BENCH_GZIP:-1}
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
# shellcheck source=bench/lib.sh
. "$HERE/lib.sh"
PROBE=("$PY" "$HERE/probe.py")

[ -x "$HW" ] || die "no hostwatch binary at $HW (./dev.sh bench builds build/release/hostwatch)"
command -v wrk >/dev/null || die "wrk is not installed (Debian package wrk)"
case "$STARTS" in '' | *[!0-9]* | 0) die "BENCH_STARTS must be a positive number" ;; esac
NE=$(command -v "$NE_NAME" || true)

WORK=$(mktemp -d "${TMPDIR:-/tmp}/hostwatch-bench.XXXXXX")
PIDS=() # servers still running

# ---- small helpers -------------------------------------------------------------------------
nthreads() { awk '/^Threads:/ { print $2 }' "/proc/$1/status"; }

# hw_config FILE PORT THREADS INTERVAL
hw_config() {
    printf '{"agent":{"interval":"%s"},"collectors":{"memory":{},"disk":{}},' "$4" >"$1"
    printf '"exporters":{"prometheus":{"listen":"127.0.0.1:%s","threads":%s}}}\n' "$2" "$3" >>"$1"
}

# server_cmd TARGET PORT: sets CMD to the command line serving TARGET on 127.0.0.1:PORT.
# Targets: hw1 / hw2 (hostwatch with 1 / 2 HTTP threads), ne (node_exporter).
server_cmd() {
    case "$1" in
    hw1 | hw2)
        local cfg="$WORK/$1-$2.json"
        hw_config "$cfg" "$2" "${1#hw}" 10s
        CMD=("$HW" run -c "$cfg")
        ;;
    ne)
        CMD=("$NE" --collector.disable-defaults --collector.meminfo --collector.filesystem
            --collector.diskstats "--web.listen-address=127.0.0.1:$2")
        ;;
    esac
}

# start TARGET PORT: starts the server in the background (logs in $WORK), sets SERVER_PID.
start() {
    server_cmd "$1" "$2"
    "${CMD[@]}" >"$WORK/$1.log" 2>&1 &
    SERVER_PID=$!
    PIDS+=("$SERVER_PID")
    if ! "${PROBE[@]}" wait "http://127.0.0.1:$2/metrics" 10; then
        tail -n 20 "$WORK/$1.log" >&2
        die "$1 did not serve /metrics within 10 s"
    fi
}
forget() { # forget PID: drop it from PIDS once stopped
    local keep=() p
    for p in "${PIDS[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
    PIDS=("${keep[@]+"${keep[@]}"}")
}

declare -A R # results, keyed "target.metric"

# serve_phase TARGET: idle RSS, series, wrk (plain, then gzip) on one running server.
serve_phase() {
    local t=$1 port url
    port=$(free_port)
    url="http://127.0.0.1:$port/metrics"
    note "$t: idle RSS, series, wrk $DURATION"
    start "$t" "$port"
    local pid=$SERVER_PID
    "${PROBE[@]}" get "$url" 5 >"$WORK/$t.metrics"
    sleep 2
    R[$t.rss]=$(rss_mib "$pid")
    R[$t.threads]=$(nthreads "$pid")
    R[$t.series]=$(grep -cv -e '^#' -e '^$' "$WORK/$t.metrics")
    R[$t.payload]=$(grep -cE '^node_(memory|disk|filesystem)_' "$WORK/$t.metrics" || true)
    R[$t.keepalive]=$("${PROBE[@]}" keepalive "$url")
    R[$t.bytes]=$(wc -c <"$WORK/$t.metrics")
    local c0 c1
    c0=$("${PROBE[@]}" cpu "$pid")
    wrk_run "$WORK/$t.wrk" "$url"
    c1=$("${PROBE[@]}" cpu "$pid")
    R[$t.rps]=$(wrk_rps "$WORK/$t.wrk")
    R[$t.p50]=$(wrk_p50 "$WORK/$t.wrk")
    R[$t.errors]=$(wrk_errors "$WORK/$t.wrk")
    local requests
    requests=$(awk '/ requests in / { print $1 }' "$WORK/$t.wrk")
    R[$t.cpureq]=$(calc "($c1 - $c0) * 1000 / $requests" 1) # server CPU per request, in us
    if [ "$GZIP" = 1 ]; then
        wrk_run "$WORK/$t.wrkgz" "$url" -H "Accept-Encoding: gzip"
        R[$t.rpsgz]=$(wrk_rps "$WORK/$t.wrkgz")
        R[$t.p50gz]=$(wrk_p50 "$WORK/$t.wrkgz")
        R[$t.errors]=$((${R[$t.errors]} + $(wrk_errors "$WORK/$t.wrkgz")))
    fi
    R[$t.rssload]=$(rss_mib "$pid")
    stop "$pid"
    forget "$pid"
}

# startup_phase TARGET: median over $STARTS starts of spawn -> first good scrape.
startup_phase() {
    local t=$1 i port
    note "$t: start to first scrape, $STARTS starts"
    : >"$WORK/$t.startup"
    for ((i = 0; i < STARTS; i++)); do
        port=$(free_port)
        server_cmd "$t" "$port"
        "${PROBE[@]}" startup "http://127.0.0.1:$port/metrics" -- "${CMD[@]}" \
            >>"$WORK/$t.startup" || die "$t did not serve /metrics after a start"
    done
    R[$t.startup]=$(median <"$WORK/$t.startup" | xargs printf '%.2f')
    R[$t.startupmax]=$(sort -g "$WORK/$t.startup" | tail -n 1)
}

# collect_phase: hostwatch's own cost of one memory+disk collection.
#   wall: median over samples of the hostwatch_collect_duration_seconds gauges (memory + disk),
#         with a 100 ms interval so every sample is a fresh collection;
#   cpu:  the agent's CPU over 3 s of 100 ms collections with no scrapes, per collection;
#   once: mean CPU of a whole `hostwatch once` process (start, config, collect, print, exit).
collect_phase() {
    local port cfg pid c0 c1 t0 t1 i
    note "hw1: collection cost"
    port=$(free_port)
    cfg="$WORK/collect.json"
    hw_config "$cfg" "$port" 1 100ms
    "$HW" run -c "$cfg" >"$WORK/collect.log" 2>&1 &
    pid=$!
    PIDS+=("$pid")
    "${PROBE[@]}" wait "http://127.0.0.1:$port/metrics" 10 || die "hostwatch (100ms) not serving"
    sleep 0.5
    t0=$(date +%s.%N)
    c0=$("${PROBE[@]}" cpu "$pid")
    sleep 3
    c1=$("${PROBE[@]}" cpu "$pid")
    t1=$(date +%s.%N)
    R[hw1.collcpu]=$(calc "($c1 - $c0) / (($t1 - $t0) / 0.1)" 3) # one collection per 100 ms
    : >"$WORK/collect.samples"
    for ((i = 0; i < 30; i++)); do
        "${PROBE[@]}" get "http://127.0.0.1:$port/metrics" | awk '
            /^hostwatch_collect_duration_seconds\{collector="(memory|disk)"\}/ { s += $2; n++ }
            END { if (n == 2) printf "%.4f\n", s * 1000 }' >>"$WORK/collect.samples"
        sleep 0.15
    done
    R[hw1.collwall]=$(median <"$WORK/collect.samples" | xargs printf '%.3f')
    R[hw1.collmin]=$(sort -g "$WORK/collect.samples" | head -n 1 | xargs printf '%.3f')
    R[hw1.collmax]=$(sort -g "$WORK/collect.samples" | tail -n 1 | xargs printf '%.3f')
    R[hw1.collmem]=$(awk '/^hostwatch_collect_duration_seconds\{collector="memory"\}/ {
        printf "%.3f", $2 * 1000 }' <("${PROBE[@]}" get "http://127.0.0.1:$port/metrics"))
    stop "$pid"
    forget "$pid"
    hw_config "$cfg" "$(free_port)" 1 10s
    R[hw1.oncecpu]=$("${PROBE[@]}" runcpu 10 -- "$HW" once -c "$cfg") || die "hostwatch once failed"
}

# ---- run -----------------------------------------------------------------------------------
TARGETS=(hw1 hw2)
if [ -n "$NE" ]; then
    TARGETS+=(ne)
else
    note "node_exporter ($NE_NAME) is not installed: measuring hostwatch alone, no ratios"
fi

HW_VERSION=$("$HW" --version 2>&1 | head -n 1)
NE_VERSION=${NE:+$("$NE" --version 2>&1 | head -n 1)}
note "hostwatch: $HW_VERSION; node_exporter: ${NE_VERSION:-not installed}"
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
BUSY_BEFORE=$(cpu_busy)
[ "$BUSY_BEFORE" -gt 10 ] &&
    note "warning: ${BUSY_BEFORE}% of the CPUs were already busy before the run; numbers will be noisy"

for t in "${TARGETS[@]}"; do serve_phase "$t"; done
for t in "${TARGETS[@]}"; do startup_phase "$t"; done
collect_phase
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
BUSY_AFTER=$(cpu_busy)

# ---- report --------------------------------------------------------------------------------
v() { echo "${R[$1]:-n/a}"; }
# ratio A B: A/B with a "x", or n/a
ratio() {
    local a=${R[$1]:-} b=${R[$2]:-}
    if [ -z "$a" ] || [ -z "$b" ] || [ "$a" = n/a ] || [ "$b" = n/a ]; then echo n/a; return; fi
    awk -v a="$a" -v b="$b" 'BEGIN { if (b == 0) print "n/a"; else printf "%.2fx\n", a / b }'
}
# line A B C [D E F]: one table line; the node_exporter columns only when it was measured
line() {
    printf '| %-36s | %12s | %12s |' "$1" "$2" "$3"
    [ -n "$NE" ] && printf ' %13s | %9s | %9s |' "$4" "$5" "$6"
    echo
}
row() { # row LABEL KEY [-]: "-" leaves the ratio columns empty
    local r1 r2
    r1=$(ratio "hw1.$2" "ne.$2")
    r2=$(ratio "hw2.$2" "ne.$2")
    [ "${3:-}" = - ] && r1="" r2=""
    line "$1" "$(v "hw1.$2")" "$(v "hw2.$2")" "$(v "ne.$2")" "$r1" "$r2"
}
dashes() { printf -- '-%.0s' $(seq "$1"); }

echo
echo "hostwatch bench, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, kernel $(uname -r)"
echo "  hostwatch:     $HW_VERSION ($HW)"
echo "  node_exporter: ${NE_VERSION:-not installed}"
echo "  $(wrk --version 2>&1 | head -n 1 | cut -d' ' -f1-2): -t2 -c4 -d$DURATION --latency"
echo "  other CPU use (1 s sample): ${BUSY_BEFORE}% before, ${BUSY_AFTER}% after; load average before: $LOAD_BEFORE, after: $LOAD_AFTER"
echo
line "" hostwatch "hw threads=2" node_exporter hw/ne hw2/ne
printf '|%s|%s|%s|' "$(dashes 38)" "$(dashes 14)" "$(dashes 14)"
[ -n "$NE" ] && printf '%s|%s|%s|' "$(dashes 15)" "$(dashes 11)" "$(dashes 11)"
echo
row "idle RSS (MiB)" rss
row "RSS after the wrk runs (MiB)" rssload
row "threads" threads -
row "series served" series
row "node_memory/disk/filesystem series" payload
row "/metrics body (bytes)" bytes
row "start to first scrape, median (ms)" startup
row "start to first scrape, max (ms)" startupmax
row "/metrics req/s" rps
row "/metrics median latency (ms)" p50
row "server CPU per request (us)" cpureq
if [ "$GZIP" = 1 ]; then
    row "/metrics req/s, gzip" rpsgz
    row "/metrics median latency, gzip (ms)" p50gz
fi
row "wrk errors (non-2xx, socket)" errors -
row "HTTP/1.1 keep-alive" keepalive -
[ -n "$NE" ] && echo "(hw/ne: hostwatch's value over node_exporter's; higher is better for req/s only)"
echo
echo "hostwatch, one memory+disk collection (100 ms interval):"
echo "  wall, 30 samples of hostwatch_collect_duration_seconds (memory + disk): median $(v hw1.collwall) ms, min $(v hw1.collmin), max $(v hw1.collmax) (memory alone, last sample: $(v hw1.collmem) ms)"
echo "  agent CPU per collection (3 s idle, no scrapes): $(v hw1.collcpu) ms"
echo "  CPU of one whole \`hostwatch once\` process (mean of 10): $(v hw1.oncecpu) ms"

# ---- targets -------------------------------------------------------------------------------
echo
echo "targets:"
printf '  %-4s idle RSS <= 5 MiB: %s MiB (threads=2: %s MiB)\n' \
    "$(verdict "${R[hw1.rss]} <= 5")" "${R[hw1.rss]}" "${R[hw2.rss]}"
for t in hw1 hw2; do
    label="threads=${t#hw}"
    if [ -n "$NE" ]; then
        x=$(awk -v a="${R[$t.rps]}" -v b="${R[ne.rps]}" 'BEGIN { printf "%.1f", a / b }')
        printf '  %-4s /metrics >= 20x node_exporter req/s with median <= 0.5 ms (%s): %sx, %s ms\n' \
            "$(verdict "$x >= 20 && ${R[$t.p50]} <= 0.5")" "$label" "$x" "${R[$t.p50]}"
    else
        printf '  %-4s /metrics median <= 0.5 ms (%s; no node_exporter, the 20x part not measured): %s ms\n' \
            "$(verdict "${R[$t.p50]} <= 0.5")" "$label" "${R[$t.p50]}"
    fi
done
printf '  %-4s start to first scrape <= 50 ms: %s ms (median of %s)\n' \
    "$(verdict "${R[hw1.startup]} <= 50")" "${R[hw1.startup]}" "$STARTS"
printf '  %-4s one memory+disk collection <= 1 ms: %s ms wall, %s ms CPU\n' \
    "$(verdict "${R[hw1.collwall]} <= 1")" "${R[hw1.collwall]}" "${R[hw1.collcpu]}"
if [ "$(v hw1.errors)" != 0 ] || [ "$(v hw2.errors)" != 0 ]; then
    note "warning: wrk saw errors against hostwatch; the req/s above include failed requests"
fi
exit 0
