#!/bin/sh
# run_fuzz.sh TARGET SEED_DIR SECONDS: fuzz from a scratch copy of the seeds (the committed
# corpus is never written), fail on any crash, leak or sanitizer report.
set -eu
target=$1 seeds=$2 seconds=$3
work=$(mktemp -d "${TMPDIR:-/tmp}/wgnet-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/corpus" "$work/artifacts"
if [ -d "$seeds" ]; then cp -r "$seeds"/. "$work/corpus/"; fi
"$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=1024 -print_final_stats=1 \
	-artifact_prefix="$work/artifacts/" "$work/corpus" 2>&1 | tail -n 25
status=$?
if [ -n "$(ls -A "$work/artifacts")" ]; then
	echo "fuzz: $(basename "$target") found a crash:" >&2
	for f in "$work/artifacts"/*; do echo "--- $f" >&2; od -c "$f" | head -20 >&2; done
	exit 1
fi
exit "$status"
