#!/bin/sh
# run_fuzz.sh TARGET SEED_DIR SECONDS: fuzz from a scratch copy of the seeds (the committed
# corpus is never written), fail on a missing target, a crash, a leak, a timeout, an
# out-of-memory or any sanitizer report (UBSan included: the build stops at the first report,
# -fno-sanitize-recover, and halt_on_error says so again at run time).
set -eu
target=$1 seeds=$2 seconds=$3
name=$(basename "$target")
if [ ! -x "$target" ]; then
	echo "fuzz: $name: no such fuzzer ($target)" >&2
	exit 1
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/wgnet-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/corpus" "$work/artifacts"
if [ -d "$seeds" ]; then cp -r "$seeds"/. "$work/corpus/"; fi
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
# the fuzzer's own status, not a pipe's: its log goes to a file, its end is shown
status=0
"$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=1024 -print_final_stats=1 \
	-artifact_prefix="$work/artifacts/" "$work/corpus" >"$work/log" 2>&1 || status=$?
tail -n 25 "$work/log"
if grep -qE '(Sanitizer|runtime error:|==ERROR: libFuzzer|deadly signal)' "$work/log"; then
	echo "fuzz: $name: a sanitizer or libFuzzer report:" >&2
	grep -m 5 -E '(Sanitizer|runtime error:|==ERROR: libFuzzer|deadly signal)' "$work/log" >&2
	[ "$status" -ne 0 ] || status=1
fi
if [ -n "$(ls -A "$work/artifacts")" ]; then
	echo "fuzz: $name found a crash, leak, timeout or out-of-memory input:" >&2
	for f in "$work/artifacts"/*; do echo "--- $f" >&2; od -c "$f" | head -20 >&2; done
	[ "$status" -ne 0 ] || status=1
fi
if [ "$status" -eq 0 ] && ! grep -q '^Done [0-9]* runs' "$work/log"; then
	echo "fuzz: $name did not report its end (Done N runs)" >&2
	status=1
fi
exit "$status"
