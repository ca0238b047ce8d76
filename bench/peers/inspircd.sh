#!/bin/bash
# inspircd.sh PORT DIR -- run a fresh InspIRCd 3 on 127.0.0.1:PORT for the benchmark.
#
# Writes DIR/inspircd.conf from inspircd.conf.in (and a one-line DIR/motd.txt),
# runs inspircd in the foreground (--nofork --runasroot when started by root),
# its pid in DIR/inspircd.pid and its log in DIR/inspircd.log (start-up chatter
# in DIR/inspircd.out), prints
#     ready inspircd port=PORT pid=PID
# on stdout once the port accepts connections, and then waits for inspircd.
# Stop it with SIGTERM (or SIGINT) to this script or to PID; either way both end.
# BENCH_NODELAY=1: preload nodelay.c (built into DIR/nodelay.so) so accepted
# sockets get TCP_NODELAY like Carrier's; off by default (see README).
# Exit status: inspircd's, or 1 if it did not come up within 10 s.
set -u
here=$(cd "$(dirname "$0")" && pwd)
if [ $# -ne 2 ]; then
	echo "usage: $0 PORT DIR" >&2
	exit 2
fi
port=$1
dir=$2
case "$port" in ''|*[!0-9]*) echo "inspircd.sh: bad port '$port'" >&2; exit 2;; esac
command -v inspircd >/dev/null || { echo "inspircd.sh: inspircd not installed (run bench/peers/setup.sh)" >&2; exit 1; }
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
case "$dir" in *[!A-Za-z0-9/._+-]*) echo "inspircd.sh: DIR must be a plain path" >&2; exit 2;; esac
sed -e "s|@PORT@|$port|g" -e "s|@DIR@|$dir|g" "$here/inspircd.conf.in" > "$dir/inspircd.conf"
echo "bench" > "$dir/motd.txt"
rm -f "$dir/inspircd.pid"

preload=
if [ "${BENCH_NODELAY:-0}" = 1 ]; then
	cc -O2 -fPIC -shared -o "$dir/nodelay.so" "$here/nodelay.c" -ldl ||
		{ echo "inspircd.sh: cannot build nodelay.so" >&2; exit 1; }
	preload="$dir/nodelay.so"
fi

# One descriptor per caller plus a few: take the hard limit.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

asroot=
[ "$(id -u)" -eq 0 ] && asroot=--runasroot
LD_PRELOAD="$preload${LD_PRELOAD:+${preload:+:}$LD_PRELOAD}" inspircd --config "$dir/inspircd.conf" --nofork $asroot > "$dir/inspircd.out" 2>&1 &
pid=$!
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
	echo "inspircd.sh: inspircd did not listen on 127.0.0.1:$port; see $dir/inspircd.out" >&2
	tail -n 20 "$dir/inspircd.out" >&2
	kill -TERM "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	exit 1
fi
echo "ready inspircd port=$port pid=$pid${preload:+ nodelay=1}"
# wait returns early when a trapped signal arrives; keep waiting for inspircd.
while kill -0 "$pid" 2>/dev/null; do
	wait "$pid"
	rc=$?
done
exit "${rc:-0}"
