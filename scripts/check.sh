#!/usr/bin/env bash
# Run every test suite against $BUILD (build/ or build-san/) and sum the results:
# unit (cmocka), conformance (Python), end to end (Node and Python clients against a
# real server), browser (headless Chromium).  The last line is
# "N passed, N failed, N skipped"; a suite with skipped tests says why under its line
# (unittest skips, node:test "# SKIP").  Skips never fail the run.
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

passed=0 failed=0 skipped=0
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT

tally() {   # name passed failed [skipped [file of skip reasons, one a line]]
	local s=${4:-0}
	if [ "$s" -gt 0 ]; then
		printf '  %-44s %4d passed, %d failed, %d skipped\n' "$1" "$2" "$3" "$s"
		# one line per distinct reason, most frequent first
		[ -n "${5:-}" ] && sort "$5" | uniq -c | sort -rn | head -10 |
			sed 's/^ *\([0-9]*\) \(.*\)/      skipped \1: \2/'
	else
		printf '  %-44s %4d passed, %d failed\n' "$1" "$2" "$3"
	fi
	passed=$((passed + $2))
	failed=$((failed + $3))
	skipped=$((skipped + s))
}

want() { [ -z "$only" ] || [ "$only" = "$1" ]; }

run_cmocka() {
	local bin=$1 name out p f
	name=$(basename "$bin")
	out="$log/$name.out"
	timeout 300 "$bin" >"$out" 2>&1
	local rc=$?
	# a binary may run several groups (test_store: SQLite, then PostgreSQL): each
	# prints its own totals, summed here
	local s
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$out" | awk '{n+=$1} END {print n+0}')
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$out" | awk '{n+=$1} END {print n+0}')
	s=$(sed -n 's/^\[  SKIPPED \] \([0-9]*\) test.*/\1/p' "$out" | awk '{n+=$1} END {print n+0}')
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
	[ "$f" -ne 0 ] && { echo "--- $name"; cat "$out"; }
	# skips: the reason is the "# ..." line the binary printed (PostgreSQL absent)
	grep '^# ' "$out" | sed 's/^# //' >"$out.skips"
	tally "unit/$name" "$p" "$f" "$s" "$out.skips"
}

# "N" from "key=N" in unittest's last line, "OK (skipped=2)" or "FAILED (errors=1, ...)"
count() { grep -o "$1=[0-9]*" <<<"$2" | cut -d= -f2 | awk '{s+=$1} END {print s+0}'; }

run_python() {
	local file=$1 name out p f s
	name=${file#tests/}
	out="$log/$(echo "$name" | tr / _).out"
	# -v: unittest prints each skip's reason ("test_x (...) ... skipped 'why'")
	timeout 900 "$PYTHON" "$file" -v >"$out" 2>&1
	local rc=$?
	local ran last
	ran=$(sed -n 's/^Ran \([0-9]*\) test.*/\1/p' "$out" | tail -1)
	ran=${ran:-0}
	last=$(grep -E '^(OK|FAILED)( \(|$)' "$out" | tail -1)
	f=$(( $(count failures "$last") + $(count errors "$last") + $(count 'unexpected successes' "$last") ))
	s=$(count skipped "$last")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
	p=$((ran - f - s))
	[ "$p" -lt 0 ] && p=0
	[ "$f" -ne 0 ] && { echo "--- $name"; tail -60 "$out"; }
	sed -n "s/.* \.\.\. skipped '\(.*\)'\$/\1/p" "$out" >"$out.skips"
	tally "$name" "$p" "$f" "$s" "$out.skips"
}

run_node() {
	local file=$1 name out p f s
	name=${file#tests/}
	out="$log/$(echo "$name" | tr / _).out"
	timeout 900 node --test --test-reporter=tap "$file" >"$out" 2>&1
	local rc=$?
	p=$(sed -n 's/^# pass \([0-9]*\)/\1/p' "$out" | tail -1)
	f=$(sed -n 's/^# fail \([0-9]*\)/\1/p' "$out" | tail -1)
	s=$(sed -n 's/^# skipped \([0-9]*\)/\1/p' "$out" | tail -1)
	p=${p:-0} f=${f:-0} s=${s:-0}
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
	[ "$f" -ne 0 ] && { echo "--- $name"; grep -v '^\s*$' "$out" | tail -80; }
	# "ok 3 - name # SKIP why" (the reason may be empty)
	sed -n 's/^ *ok [0-9]* - .* # SKIP *\(.*\)$/\1/p' "$out" |
		sed 's/^$/(no reason given)/' >"$out.skips"
	tally "$name" "$p" "$f" "$s" "$out.skips"
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

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
