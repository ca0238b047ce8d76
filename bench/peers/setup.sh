#!/usr/bin/env bash
# bench/peers/setup.sh -- install what the benchmark peers need and is missing:
# the Debian packages ngircd, inspircd and redis-server (apt-get), and ws,
# uwebsockets, socket.io, @socket.io/redis-adapter and redis with
# `npm ci` from bench/peers/package-lock.json.  Idempotent and quiet when
# everything is there; `make bench` calls it.  Never part of scripts/deps.sh:
# Carrier itself needs none of this.
set -euo pipefail
cd "$(dirname "$0")"

missing=()
for p in ngircd inspircd redis-server; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "bench/peers: installing ${missing[*]}"
	sudo=""
	[ "$(id -u)" -ne 0 ] && sudo=sudo
	$sudo apt-get update -qq
	# The packages' own system services (port 6667) are not used by the
	# benchmark; the peers are started by ngircd.sh / inspircd.sh instead.
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Node peers: reinstall when the lock file changed since the last `npm ci`.
if [ ! -f node_modules/.package-lock.json ] ||
   [ package-lock.json -nt node_modules/.package-lock.json ]; then
	echo "bench/peers: npm ci"
	npm ci --no-audit --no-fund --loglevel=error
fi

# uwebsockets ships prebuilt binaries per Node ABI; say so early if this
# Node has none (it needs a glibc Linux x64/arm64 and Node 16-25).
node -e "require('uwebsockets')" 2>/dev/null ||
	echo "bench/peers: warning: uwebsockets does not load on $(node --version); the uws peer is unavailable" >&2
exit 0
