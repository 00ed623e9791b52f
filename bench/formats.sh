#!/usr/bin/env bash
# bench/formats.sh [PATH-TO-hostwatch]
#   Scrape cost by exposition format: text 0.0.4, OpenMetrics 1.0 and delimited protobuf, at
#   1,000 and 10,000 series (one log-filter counter with an "id" label, plus the memory
#   collector), each plain and gzip; the agent's RSS with those series against the same agent
#   with none; and node_exporter (default collectors) asked for the same formats in the same
#   run. The agent publishes every second, so the slowest requests include a fresh rendering.
#   Exits non-zero only on a real error, never on a MISS.
#   Environment: BENCH_DURATION (wrk -d per run, default 5s), NODE_EXPORTER (binary name or
#   path, default prometheus-node-exporter).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
HW=${1:-$HERE/../build/release/hostwatch}
NE_NAME=${NODE_EXPORTER:-prometheus-node-exporter}
DURATION=${BENCH_DURATION:-5s}
WRK_LOAD="-t1 -c1" # one scraper: latency, not concurrency
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
# shellcheck source=bench/lib.sh
. "$HERE/lib.sh"

[ -x "$HW" ] || die "no hostwatch binary at $HW (./dev.sh bench builds build/release/hostwatch)"
command -v wrk >/dev/null || die "wrk is not installed (Debian package wrk)"
NE=$(command -v "$NE_NAME" || true)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/hostwatch-fmtbench.XXXXXX")
PIDS=()

FORMATS=(text openmetrics protobuf)
declare -A ACCEPT=(
    [text]="text/plain;version=0.0.4"
    [openmetrics]="application/openmetrics-text;version=1.0.0"
    [protobuf]="application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited"
)
declare -A R

# agent_config FILE PORT LOG
agent_config() {
    cat >"$1" <<EOF
{"agent": {"interval": "1s", "state_dir": "$WORK/state-$2"},
 "collectors": {"memory": {}, "disk": {"enabled": false},
   "logs": [{"name": "bench", "paths": ["$3"], "start_at": "beginning",
     "filters": [{"metric": "bench_requests_total", "type": "counter",
                  "regex": "id=(?<id>\\\\d+)", "labels": ["id"], "max_series": 20000}]}]},
 "exporters": {"prometheus": {"listen": "127.0.0.1:$2"}}}
EOF
}

# series_in URL: how many bench_requests_total series the text exposition holds
series_in() {
    "$PY" "$HERE/probe.py" get "$1" | grep -c '^bench_requests_total{' || true
}

# scrape_formats KEY URL: wrk per format, plain and gzip; fills R[KEY.FORMAT.{p50,p99,max,rps,bytes}]
scrape_formats() {
    local key=$1 url=$2 f out
    for f in "${FORMATS[@]}"; do
        for gz in plain gzip; do
            out="$WORK/$key.$f.$gz.wrk"
            if [ $gz = gzip ]; then
                wrk_run "$out" "$url" -H "Accept: ${ACCEPT[$f]}" -H "Accept-Encoding: gzip"
            else
                wrk_run "$out" "$url" -H "Accept: ${ACCEPT[$f]}"
            fi
            R[$key.$f.$gz.p50]=$(wrk_p50 "$out")
            R[$key.$f.$gz.p99]=$(awk '$1 == "99%" { v = $2 + 0; u = $2; sub(/^[0-9.]+/, "", u)
                if (u == "us") v /= 1000; else if (u == "s") v *= 1000; printf "%.3f", v }' "$out")
            R[$key.$f.$gz.rps]=$(wrk_rps "$out")
            [ "$(wrk_errors "$out")" = 0 ] || die "$key $f $gz: wrk saw errors"
        done
        R[$key.$f.bytes]=$(curl -s -H "Accept: ${ACCEPT[$f]}" "$url" | wc -c)
        R[$key.$f.type]=$(curl -s -o /dev/null -w '%{content_type}' -H "Accept: ${ACCEPT[$f]}" "$url" |
            cut -d';' -f1)
    done
}

# agent_run KEY SERIES: the agent over a log of SERIES distinct ids (0: as many lines, none
# matching); scrapes; RSS after them.
agent_run() {
    local key=$1 n=$2 port log cfg pid url
    port=$(free_port)
    log="$WORK/$key.log"
    if [ "$n" -gt 0 ]; then
        seq 0 $((n - 1)) | sed 's/^/GET \/api request id=/' >"$log"
    else # the same reading work, no series: the baseline for the RSS growth
        seq 0 9999 | sed 's/^/GET \/api request nr=/' >"$log"
    fi
    cfg="$WORK/$key.json"
    agent_config "$cfg" "$port" "$log"
    "$HW" run -c "$cfg" >"$WORK/$key.agent.log" 2>&1 &
    pid=$!
    PIDS+=("$pid")
    url="http://127.0.0.1:$port/metrics"
    "$PY" "$HERE/probe.py" wait "$url" 10 || die "agent ($key) not serving"
    local i
    for ((i = 0; i < 100; i++)); do
        [ "$(series_in "$url")" -ge "$n" ] && break
        sleep 0.1
    done
    R[$key.series]=$(series_in "$url")
    [ "${R[$key.series]}" -eq "$n" ] || die "agent ($key) serves ${R[$key.series]} series, not $n"
    R[$key.total]=$("$PY" "$HERE/probe.py" get "$url" | grep -cv -e '^#' -e '^$')
    note "hostwatch, $n log series (${R[$key.total]} in all): wrk $DURATION per format"
    scrape_formats "$key" "$url"
    # At rest: one scrape as Prometheus makes it (its rendering stays cached until the next
    # publish), then past the next checkpoint (5 s), which hands freed heap pages back.
    sleep 1.1
    curl -s -o /dev/null -H "Accept: ${ACCEPT[protobuf]}" -H "Accept-Encoding: gzip" "$url"
    sleep 6
    R[$key.rss]=$(rss_mib "$pid")
    R[$key.anon]=$(anon_mib "$pid")
    stop "$pid"
    forget "$pid"
}

ne_run() {
    local port pid url
    port=$(free_port)
    "$NE" "--web.listen-address=127.0.0.1:$port" >"$WORK/ne.log" 2>&1 &
    pid=$!
    PIDS+=("$pid")
    url="http://127.0.0.1:$port/metrics"
    "$PY" "$HERE/probe.py" wait "$url" 10 || die "node_exporter not serving"
    R[ne.total]=$("$PY" "$HERE/probe.py" get "$url" | grep -cv -e '^#' -e '^$')
    note "node_exporter, default collectors (${R[ne.total]} series): wrk $DURATION per format"
    scrape_formats ne "$url"
    R[ne.rss]=$(rss_mib "$pid")
    stop "$pid"
    forget "$pid"
}

BUSY_BEFORE=$(cpu_busy)
[ "$BUSY_BEFORE" -gt 10 ] &&
    note "warning: ${BUSY_BEFORE}% of the CPUs were already busy before the run; numbers will be noisy"
agent_run s0 0
agent_run s1k 1000
agent_run s10k 10000
[ -n "$NE" ] && ne_run

v() { echo "${R[$1]:-n/a}"; }
echo
echo "hostwatch scrape cost by format, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs"
echo "  $($HW --version); node_exporter: ${NE:+$("$NE" --version 2>&1 | head -n 1)}"
echo "  wrk -t1 -c1 -d$DURATION per cell; agent publishes every 1 s; other CPU use before: ${BUSY_BEFORE}%"
echo
printf '| %-30s | %-12s | %9s | %9s | %9s | %9s | %8s | %10s |\n' target format "p50 ms" \
    "p99 ms" "gz p50 ms" "gz p99 ms" "req/s" "bytes"
echo "|--------------------------------|--------------|-----------|-----------|-----------|-----------|----------|------------|"
for key in s1k s10k ${NE:+ne}; do
    case $key in
    s1k) label="hostwatch, 1,000 log series" ;;
    s10k) label="hostwatch, 10,000 log series" ;;
    ne) label="node_exporter ($(v ne.total) series)" ;;
    esac
    for f in "${FORMATS[@]}"; do
        printf '| %-30s | %-12s | %9s | %9s | %9s | %9s | %8s | %10s |\n' "$label" \
            "$f$([ "$(v "$key.$f.type")" = "text/plain" ] && [ "$f" != text ] && echo '*')" \
            "$(v "$key.$f.plain.p50")" "$(v "$key.$f.plain.p99")" "$(v "$key.$f.gzip.p50")" \
            "$(v "$key.$f.gzip.p99")" "$(v "$key.$f.plain.rps")" "$(v "$key.$f.bytes")"
    done
done
[ -n "$NE" ] && echo "(* node_exporter answered text/plain for this Accept header)"
echo
echo "RSS at rest after the scrapes: no log series $(v s0.rss) MiB, 1,000: $(v s1k.rss) MiB, 10,000: $(v s10k.rss) MiB${NE:+; node_exporter $(v ne.rss) MiB}"
echo "anonymous RSS (heap, stacks): no log series $(v s0.anon) MiB, 1,000: $(v s1k.anon) MiB, 10,000: $(v s10k.anon) MiB"
# The growth is taken on anonymous memory: file-backed library pages are the same in both
# agents, but a kernel reclaiming cold pages (DAMON, memory pressure) makes them drift.
GROWTH=$(calc "$(v s10k.anon) - $(v s0.anon)" 2)
echo
echo "targets (10,000 series):"
printf '  %-4s text median <= 5 ms: %s ms\n' "$(verdict "$(v s10k.text.plain.p50) <= 5")" \
    "$(v s10k.text.plain.p50)"
printf '  %-4s protobuf median <= 3 ms: %s ms\n' "$(verdict "$(v s10k.protobuf.plain.p50) <= 3")" \
    "$(v s10k.protobuf.plain.p50)"
printf '  %-4s RSS growth for the series <= 2 MiB (anonymous RSS): %s MiB\n' "$(verdict "$GROWTH <= 2")" "$GROWTH"
