#!/bin/bash
# ngircd-linked.sh PORT_A PORT_B DIR -- two ngIRCd servers on 127.0.0.1 linked to each
# other (an IRC server link, the way IRC networks share channels), for Carrier's
# cluster benchmark (docs/BENCHMARKS.md, issue 12).
#
# Writes DIR/a/ngircd.conf and DIR/b/ngircd.conf from ngircd.conf.in plus a
# [Server] block each (a.bench connects to b.bench; passwords on the link), starts
# both in the foreground (-n), waits until each accepts connections and the link is
# up (b.bench's log says a.bench registered), then prints
#     ready ngircd-linked port=PORT_A ports=PORT_A,PORT_B pid=PID_A pids=PID_A,PID_B
# and waits.  SIGTERM (or SIGINT) to this script stops both.  Exit status 1 if
# either did not come up, or the link did not, within 10 s.
set -u
here=$(cd "$(dirname "$0")" && pwd)
if [ $# -ne 3 ]; then
	echo "usage: $0 PORT_A PORT_B DIR" >&2
	exit 2
fi
pa=$1 pb=$2 dir=$3
for p in "$pa" "$pb"; do
	case "$p" in ''|*[!0-9]*) echo "ngircd-linked.sh: bad port '$p'" >&2; exit 2;; esac
done
command -v ngircd >/dev/null || { echo "ngircd-linked.sh: ngircd not installed (run bench/peers/setup.sh)" >&2; exit 1; }
mkdir -p "$dir/a/conf.d" "$dir/b/conf.d"
dir=$(cd "$dir" && pwd)
case "$dir" in *[!A-Za-z0-9/._+-]*) echo "ngircd-linked.sh: DIR must be a plain path" >&2; exit 2;; esac
# ngircd drops root for "nobody": its directories must be readable by it.
chmod 755 "$dir" "$dir/a" "$dir/b"

conf() {   # NAME PORT DIR PEER PEERPORT(or empty: passive)
	sed -e "s|@PORT@|$2|g" -e "s|@DIR@|$3|g" -e "s|Name = ngircd.bench|Name = $1|" \
	    -e "s|ConnectRetry = 3600|ConnectRetry = 1|" "$here/ngircd.conf.in"
	cat <<CONF

[Server]
	Name = $4
	Host = 127.0.0.1
${5:+	Port = $5
}	MyPassword = bench-link-$1
	PeerPassword = bench-link-$4
CONF
}
conf a.bench "$pa" "$dir/a" b.bench "$pb" > "$dir/a/ngircd.conf"
conf b.bench "$pb" "$dir/b" a.bench "" > "$dir/b/ngircd.conf"

ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
ngircd -n -f "$dir/b/ngircd.conf" > "$dir/b/ngircd.log" 2>&1 &
pid_b=$!
ngircd -n -f "$dir/a/ngircd.conf" > "$dir/a/ngircd.log" 2>&1 &
pid_a=$!
trap 'kill -TERM $pid_a $pid_b 2>/dev/null' TERM INT HUP

up() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
ready=0
for _ in $(seq 1 200); do
	kill -0 "$pid_a" 2>/dev/null && kill -0 "$pid_b" 2>/dev/null || break
	if up "$pa" && up "$pb" && grep -q 'Server "a.bench".*registered' "$dir/b/ngircd.log"; then
		ready=1
		break
	fi
	sleep 0.05
done
if [ $ready -ne 1 ]; then
	echo "ngircd-linked.sh: the linked servers did not come up; see $dir/[ab]/ngircd.log" >&2
	tail -n 10 "$dir/a/ngircd.log" "$dir/b/ngircd.log" >&2
	kill -TERM "$pid_a" "$pid_b" 2>/dev/null
	wait 2>/dev/null
	exit 1
fi
echo "ready ngircd-linked port=$pa ports=$pa,$pb pid=$pid_a pids=$pid_a,$pid_b"
while kill -0 "$pid_a" 2>/dev/null || kill -0 "$pid_b" 2>/dev/null; do
	wait
done
exit 0
