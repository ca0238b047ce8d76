#!/usr/bin/env bash
# Install what Carrier needs and is missing: Debian packages with apt-get,
# front-end packages with `npm ci` from web/package-lock.json.
#   scripts/deps.sh run     what `make run` needs (build + serve)
#   scripts/deps.sh check   that, plus what the test suites need
set -euo pipefail
cd "$(dirname "$0")/.."

run_pkgs=(build-essential pkg-config nodejs npm
  libuv1-dev libsqlite3-dev libsodium-dev libssl-dev libhttp-parser-dev
  libtelnet-dev libutf8proc-dev libssh-dev libhiredis-dev libsystemd-dev libpq-dev)
check_pkgs=(libcmocka-dev libvterm-dev python3 python3-websockets python3-autobahn
  chromium inetutils-telnet tmux clang libclang-rt-14-dev valgrind procps
  openssl curl openssh-client python3-paramiko redis-server systemd postgresql-15)

want=("${run_pkgs[@]}")
[ "${1:-run}" = check ] && want+=("${check_pkgs[@]}")

missing=()
for p in "${want[@]}"; do
  # node may come from elsewhere than Debian's package; accept any working node/npm.
  case $p in
    nodejs) command -v node >/dev/null && continue ;;
    npm) command -v npm >/dev/null && continue ;;
  esac
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "deps: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Front end: reinstall when the lock file changed since the last `npm ci`.
if [ ! -f web/node_modules/.package-lock.json ] ||
   [ web/package-lock.json -nt web/node_modules/.package-lock.json ]; then
  echo "deps: npm ci in web/"
  (cd web && npm ci --no-audit --no-fund --loglevel=error)
fi
