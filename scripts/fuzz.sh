#!/usr/bin/env bash
# Run each libFuzzer harness for a short while: scripts/fuzz.sh SECONDS HARNESS...
# Corpora live in fuzz/corpus/<name>/ (seeds committed); new finds go to a scratch copy.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=$1
shift
status=0
for bin in "$@"; do
	name=$(basename "$bin")
	name=${name#fuzz_}
	seeds=fuzz/corpus/$name
	work=$(mktemp -d)
	[ -d "$seeds" ] && cp -r "$seeds"/. "$work"/
	echo "== fuzz $name for ${secs}s"
	if ! "$bin" -max_total_time="$secs" -print_final_stats=0 -artifact_prefix=fuzz/ "$work" 2>"$work.log"; then
		tail -40 "$work.log"
		status=1
	else
		grep -E '^#[0-9]+.*(DONE|pulse)' "$work.log" | tail -1 || true
	fi
	rm -rf "$work" "$work.log"
done
exit $status
