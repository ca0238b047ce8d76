#!/usr/bin/env bash
# Run every test suite against $BUILD (build/ or build-san/) and sum the results:
# unit (cmocka), conformance (Python), end to end (Node and Python clients against a
# real server), browser (headless Chromium).  The last line is "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
BUILD=${BUILD:-build}
export CARRIER_BUILD="$root/$BUILD"
export CARRIER_BIN="$CARRIER_BUILD/carrier"
export PYTHON=/usr/bin/python3
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:exitcode=23}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
only=${ONLY:-}            # ONLY=unit|static|conformance|e2e|browser runs one kind

passed=0 failed=0
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT

tally() {   # name passed failed
	printf '  %-44s %4d passed, %d failed\n' "$1" "$2" "$3"
	passed=$((passed + $2))
	failed=$((failed + $3))
}

want() { [ -z "$only" ] || [ "$only" = "$1" ]; }

run_cmocka() {
	local bin=$1 name out p f
	name=$(basename "$bin")
	out="$log/$name.out"
	timeout 300 "$bin" >"$out" 2>&1
	local rc=$?
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$out" | tail -1)
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$out" | tail -1)
	p=${p:-0} f=${f:-0}
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
	[ "$f" -ne 0 ] && { echo "--- $name"; cat "$out"; }
	tally "unit/$name" "$p" "$f"
}

run_python() {
	local file=$1 name out p f
	name=${file#tests/}
	out="$log/$(echo "$name" | tr / _).out"
	timeout 900 "$PYTHON" "$file" >"$out" 2>&1
	local rc=$?
	local ran
	ran=$(sed -n 's/^Ran \([0-9]*\) test.*/\1/p' "$out" | tail -1)
	ran=${ran:-0}
	f=0
	if grep -q '^FAILED' "$out"; then
		f=$(grep '^FAILED' "$out" | tail -1 | grep -o '[0-9]\+' | awk '{s+=$1} END {print s+0}')
	fi
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
	p=$((ran - f))
	[ "$p" -lt 0 ] && p=0
	[ "$f" -ne 0 ] && { echo "--- $name"; tail -60 "$out"; }
	tally "$name" "$p" "$f"
}

run_node() {
	local file=$1 name out p f
	name=${file#tests/}
	out="$log/$(echo "$name" | tr / _).out"
	timeout 900 node --test --test-reporter=tap "$file" >"$out" 2>&1
	local rc=$?
	p=$(sed -n 's/^# pass \([0-9]*\)/\1/p' "$out" | tail -1)
	f=$(sed -n 's/^# fail \([0-9]*\)/\1/p' "$out" | tail -1)
	p=${p:-0} f=${f:-0}
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
	[ "$f" -ne 0 ] && { echo "--- $name"; grep -v '^\s*$' "$out" | tail -80; }
	tally "$name" "$p" "$f"
}

echo "== make check ($BUILD)"
if want unit; then
	for bin in "$CARRIER_BUILD"/tests/test_*; do
		[ -x "$bin" ] && run_cmocka "$bin"
	done
fi
for kind in static conformance e2e browser; do
	want "$kind" || continue
	for file in $(ls tests/$kind/*.test.mjs tests/$kind/test_*.py 2>/dev/null | sort); do
		case $file in
			*.mjs) run_node "$file" ;;
			*.py) run_python "$file" ;;
		esac
	done
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
