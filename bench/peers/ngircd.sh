#!/bin/bash
# ngircd.sh PORT DIR -- run a fresh ngIRCd on 127.0.0.1:PORT for the benchmark.
#
# Writes DIR/ngircd.conf from ngircd.conf.in, runs ngircd in the foreground (-n)
# with its log in DIR/ngircd.log and its pid in DIR/ngircd.pid, prints
#     ready ngircd port=PORT pid=PID
# on stdout once the port accepts connections, and then waits for ngircd.
# Stop it with SIGTERM (or SIGINT) to this script or to PID; either way both end.
# BENCH_NODELAY=1: preload nodelay.c (built into DIR/nodelay.so) so accepted
# sockets get TCP_NODELAY like Carrier's; off by default (see README).
# Exit status: ngircd's, or 1 if it did not come up within 10 s.
set -u
here=$(cd "$(dirname "$0")" && pwd)
if [ $# -ne 2 ]; then
	echo "usage: $0 PORT DIR" >&2
	exit 2
fi
port=$1
dir=$2
case "$port" in ''|*[!0-9]*) echo "ngircd.sh: bad port '$port'" >&2; exit 2;; esac
command -v ngircd >/dev/null || { echo "ngircd.sh: ngircd not installed (run bench/peers/setup.sh)" >&2; exit 1; }
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
case "$dir" in *[!A-Za-z0-9/._+-]*) echo "ngircd.sh: DIR must be a plain path" >&2; exit 2;; esac
sed -e "s|@PORT@|$port|g" -e "s|@DIR@|$dir|g" "$here/ngircd.conf.in" > "$dir/ngircd.conf"
rm -f "$dir/ngircd.pid"
mkdir -p "$dir/conf.d"

preload=
if [ "${BENCH_NODELAY:-0}" = 1 ]; then
	cc -O2 -fPIC -shared -o "$dir/nodelay.so" "$here/nodelay.c" -ldl ||
		{ echo "ngircd.sh: cannot build nodelay.so" >&2; exit 1; }
	preload="$dir/nodelay.so"
fi

# One descriptor per caller plus a few: take the hard limit.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

LD_PRELOAD="$preload${LD_PRELOAD:+${preload:+:}$LD_PRELOAD}" ngircd -n -f "$dir/ngircd.conf" > "$dir/ngircd.log" 2>&1 &
pid=$!
echo "$pid" > "$dir/ngircd.pid"
trap 'kill -TERM $pid 2>/dev/null' TERM INT HUP

ready=0
for _ in $(seq 1 200); do
	if ! kill -0 "$pid" 2>/dev/null; then
		break
	fi
	if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
		ready=1
		break
	fi
	sleep 0.05
done
if [ $ready -ne 1 ]; then
	echo "ngircd.sh: ngircd did not listen on 127.0.0.1:$port; see $dir/ngircd.log" >&2
	tail -n 20 "$dir/ngircd.log" >&2
	kill -TERM "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	exit 1
fi
echo "ready ngircd port=$port pid=$pid${preload:+ nodelay=1}"
# wait returns early when a trapped signal arrives; keep waiting for ngircd.
while kill -0 "$pid" 2>/dev/null; do
	wait "$pid"
	rc=$?
done
exit "${rc:-0}"
