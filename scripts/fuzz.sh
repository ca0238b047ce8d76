#!/usr/bin/env bash
# Run each libFuzzer harness for a short while: scripts/fuzz.sh SECONDS HARNESS...
#
# build-fuzz/fuzz_<name> starts from its committed seeds, fuzz/corpus/<name>/ (a
# harness without seeds is an error), copied to a scratch directory: new finds are
# thrown away and the repo is never written to.  A crash, a sanitizer report (ASan,
# UBSan: undefined behaviour is fatal), a leak, an input slower than FUZZ_TIMEOUT or
# an out-of-memory fails the run: the fuzzer's report is shown, and the input that
# did it is printed in hex and kept under FUZZ_ARTIFACTS with the command that
# replays it.  Exits non-zero if any harness failed.
#
#   FUZZ_TIMEOUT    seconds one input may take before it counts as a hang (10)
#   FUZZ_ARTIFACTS  where failing inputs are kept (default: a new temp dir)
set -euo pipefail
cd "$(dirname "$0")/.."
secs=$1
shift
timeout_s=${FUZZ_TIMEOUT:-10}
if [ -n "${FUZZ_ARTIFACTS:-}" ]; then
	art=$FUZZ_ARTIFACTS own_art=0
	mkdir -p "$art"
else
	art=$(mktemp -d "${TMPDIR:-/tmp}/carrier-fuzz.XXXXXX") own_art=1
fi
# Known undefined behaviour awaiting a fix outside fuzz/ (see the file); halt on any other.
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:suppressions=$PWD/fuzz/ubsan.supp${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
status=0
failed=()
for bin in "$@"; do
	name=$(basename "$bin")
	name=${name#fuzz_}
	seeds=fuzz/corpus/$name
	if [ -z "$(ls -A "$seeds" 2>/dev/null)" ]; then
		echo "== fuzz $name: FAILED, no seed corpus in $seeds/ (commit a few inputs there)"
		status=1
		failed+=("$name")
		continue
	fi
	work=$(mktemp -d)
	log=$work.log
	cp -r "$seeds"/. "$work"/
	echo "== fuzz $name for ${secs}s from $(ls "$seeds" | wc -l) seeds"
	rc=0
	# libFuzzer stops itself after $secs; the outer timeout only guards against a
	# fuzzer that never gets back to its loop.
	timeout -k 10 $((secs + 120 + 2 * timeout_s)) \
		"$bin" -max_total_time="$secs" -timeout="$timeout_s" -print_final_stats=0 \
		-artifact_prefix="$art/$name-" "$work" >"$log" 2>&1 || rc=$?
	if [ "$rc" -ne 0 ]; then
		why="exit $rc"
		[ "$rc" -eq 124 ] && why="$why, killed by the outer timeout"
		echo "--- fuzz $name FAILED ($why)"
		# the report, and the run's random seed (-seed=N) if the tail lost it
		tail -n 100 "$log" >"$work.tail"
		grep -q '^INFO: Seed:' "$work.tail" || grep -m1 '^INFO: Seed:' "$log" || true
		cat "$work.tail"
		for f in "$art/$name"-*; do
			[ -f "$f" ] || continue
			echo "--- input $f ($(wc -c <"$f") bytes); replay: $bin $f"
			od -A x -t x1z -v "$f" | head -n 64
		done
		status=1
		failed+=("$name")
	else
		grep -E '^#[0-9]+.*(DONE|pulse)' "$log" | tail -1 || true
	fi
	rm -rf "$work" "$log" "$work.tail"
done
if [ "$status" -ne 0 ]; then
	echo "fuzz: FAILED: ${failed[*]} (failing inputs kept in $art)"
else
	[ "$own_art" -eq 0 ] || rmdir "$art" 2>/dev/null || true
	echo "fuzz: $# harnesses, ${secs}s each, no findings"
fi
exit $status
