#!/usr/bin/env bash
# A PostgreSQL of the tests' own: Debian's postgresql-15, initdb into a temporary
# directory and pg_ctl on a free loopback port, its socket in that directory.
# PostgreSQL refuses to run as root, so as root it runs as the postgres user.
#
#   tests/lib/pg.sh start DIR    start one in DIR (created); prints its URL
#   tests/lib/pg.sh stop DIR     stop it (fast shutdown) and remove DIR
#   tests/lib/pg.sh kill DIR     stop it at once (immediate shutdown), keep DIR
#   tests/lib/pg.sh restart DIR  start it again on the same port
#   tests/lib/pg.sh available    exit 0 if initdb and pg_ctl are installed
#
# The database is "carrier", owned by the role "carrier", trust auth on loopback
# only; fsync is off (a test's data need not survive a power cut).
set -euo pipefail

bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)

as_pg() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start() {   # DIR PORT
	as_pg "$bin/pg_ctl" -D "$1/data" -l "$1/log" -w -t 60 \
		-o "-p $2 -k $1 -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
		start >/dev/null
}

case ${1:-} in
available)
	[ -n "$bin" ] && [ -x "$bin/initdb" ] && [ -x "$bin/pg_ctl" ]
	;;
start)
	dir=$2
	[ -n "$bin" ] || { echo "pg.sh: PostgreSQL is not installed (postgresql-15)" >&2; exit 2; }
	mkdir -p "$dir"
	chmod 755 "$dir"
	[ "$(id -u)" -eq 0 ] && chown postgres "$dir"
	as_pg "$bin/initdb" -D "$dir/data" -U carrier --auth=trust -E UTF8 --locale=C.UTF-8 \
		>"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
	port=$(free_port)
	echo "$port" >"$dir/port"
	start "$dir" "$port" || { cat "$dir/log" >&2; exit 1; }
	as_pg "$bin/createdb" -h "$dir" -p "$port" -U carrier carrier
	echo "postgresql://carrier@127.0.0.1:$port/carrier"
	;;
restart)
	start "$2" "$(cat "$2/port")"
	;;
kill)
	as_pg "$bin/pg_ctl" -D "$2/data" -m immediate -w stop >/dev/null 2>&1 || true
	;;
stop)
	as_pg "$bin/pg_ctl" -D "$2/data" -m fast -w stop >/dev/null 2>&1 || true
	rm -rf "$2"
	;;
*)
	echo "usage: $0 start|stop|kill|restart DIR | available" >&2
	exit 2
	;;
esac
