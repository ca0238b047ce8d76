#!/usr/bin/env bash
# Writes per delivery: a fresh Carrier with N callers in the room (10 talking at RATE
# lines/s in all), the kernel's count of the server's writev calls over 3 s mid-run
# (perf stat), its CPU (task-clock) and the latency by kernel receive time.
#
#   bench/writev.sh [--hold US] [--callers N] [--rate R] [--carrier BINARY]
#
# Needs perf (Debian linux-perf) and the bench tools (make bench-tools build/carrier).
# Server on CPU 0, generator on CPU 1.  docs/BENCHMARKS.md, issue 15.
set -euo pipefail
cd "$(dirname "$0")/.."
hold=1000 n=1000 rate=200 bin=build/carrier
while [ $# -gt 0 ]; do
	case $1 in
		--hold) hold=$2; shift 2 ;;
		--callers) n=$2; shift 2 ;;
		--rate) rate=$2; shift 2 ;;
		--carrier) bin=$2; shift 2 ;;
		*) echo "usage: $0 [--hold US] [--callers N] [--rate R] [--carrier BINARY]" >&2; exit 2 ;;
	esac
done
db=build/bench/chat-accounts-1000.db
[ "$n" -le 1000 ] || db=build/bench/chat-accounts-10000.db
[ -f "$db" ] || { echo "no $db: run python3 bench/chat.py issue4 once to make it" >&2; exit 1; }
d=$(mktemp -d)
trap 'kill $pid 2>/dev/null; rm -rf "$d"' EXIT
printf '[bbs]\nmax_nodes = %d\nlogin_timeout = 3600\npassword_ops = "min"\npassword_mem = "min"\n[chat]\ncapacity = %d\nflood_rate = 1000.0\nflood_burst = 1000\nmax_line = 1024\n[limits]\nflush_hold_us = %d\n' \
	$((n + 16)) $((n + 16)) "$hold" > "$d/c.toml"
cp "$db" "$d/c.db"
taskset -c 0 "$bin" --config "$d/c.toml" --http 127.0.0.1:0 --telnet 127.0.0.1:0 --db "$d/c.db" > "$d/out" 2>&1 &
pid=$!
# "event=ready" and "listener=http addr=...", or an older binary's " ready" and
# "http listening on ..."
for _ in $(seq 100); do grep -Eq " ready|event=ready" "$d/out" && break; sleep 0.1; done
port=$(grep -Eo "(http listening on|listener=http addr=)127.0.0.1:[0-9]*" "$d/out" | grep -o "[0-9]*$")
taskset -c 1 build/bench/chatload -p "$port" -n "$n" -m 10 -r "$rate" -d 6 --warmup 1 -q > "$d/gen" 2>&1 &
gen=$!
sleep 5      # the callers join (a few seconds), then talk for 7 s: count 3 s of it
perf stat -x, -e task-clock,syscalls:sys_enter_writev -p "$pid" -o "$d/perf" -- sleep 3 > /dev/null 2>&1
wait $gen
r=$(grep RESULT "$d/gen")
tc=$(grep task-clock "$d/perf" | cut -d, -f1)
wv=$(grep writev "$d/perf" | cut -d, -f1)
field() { echo "$r" | grep -o "$1=[0-9.]*" | cut -d= -f2; }
awk -v h="$hold" -v rate="$rate" -v n="$n" -v wv="$wv" -v tc="$tc" -v p50="$(field lat_k_median_us)" \
    -v p99="$(field lat_k_p99_us)" -v gen="$(field measure_cpu_pct)" 'BEGIN {
	printf "hold=%dus rate=%d callers=%d writev/s=%.0f writev/delivery=%.3f server_cpu=%.0f%% " \
	       "p50_k=%.2fms p99_k=%.2fms generator_cpu=%d%%\n", h, rate, n, wv / 3,
	       wv / (rate * n * 3), tc / 30, p50 / 1000, p99 / 1000, gen }'
