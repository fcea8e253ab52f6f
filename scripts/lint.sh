#!/usr/bin/env bash
# lint.sh [BUILD_DIR]: clang-tidy with its default checks on every project .c file in the build's
# compile_commands.json (default build/release); any finding in a project file fails.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-$repo/build/release}
db=$build/compile_commands.json
if [ ! -r "$db" ]; then
	echo "lint.sh: $db missing: configure with -DCMAKE_EXPORT_COMPILE_COMMANDS=ON" >&2
	exit 1
fi

# Default checks minus one: clang-analyzer's insecureAPI.DeprecatedOrUnsafeBufferHandling flags
# every memcpy, memset and snprintf in C11 code and asks for Annex K's *_s functions, which glibc
# does not have. The rest of clang-analyzer-* and clang-diagnostic-* stays on. One file per
# clang-tidy run: clang-tidy 14 reports va_list false positives when given several at once.
checks=-clang-analyzer-security.insecureAPI.DeprecatedOrUnsafeBufferHandling

command -v clang-tidy >/dev/null || { echo "lint.sh: clang-tidy is not installed" >&2; exit 1; }
files=$(jq -r '.[].file' "$db" | grep -E "^$repo/(process|netlink|driver|plugin|tests|bench)/" | sort -u)
[ -n "$files" ] || { echo "lint.sh: no project file in $db" >&2; exit 1; }

out=$(mktemp "${TMPDIR:-/tmp}/wgnet-lint.XXXXXX")
err=$out.err
trap 'rm -f "$out" "$err"' EXIT
# clang-tidy exits 0 with warnings and non-zero when it could not check a file (a compile error,
# a crash): xargs then exits non-zero, and the lint failed even without a finding
status=0
xargs -r -P "$(nproc)" -n 1 clang-tidy -p "$build" --quiet --checks="$checks" \
	--header-filter="^$repo/(process|netlink|driver|plugin|tests|bench)/" <<<"$files" >"$out" 2>"$err" ||
	status=$?
# clang-tidy prints "N warnings generated" to stderr; findings go to stdout as file:line: ...
if grep -E "^$repo/.*: (warning|error):" "$out" >/dev/null; then
	grep -E -A3 "^$repo/.*: (warning|error):" "$out"
	echo "lint.sh: $(grep -cE "^$repo/.*: (warning|error):" "$out") clang-tidy findings" >&2
	exit 1
fi
if [ "$status" -ne 0 ]; then
	tail -n 20 "$out" "$err" >&2
	echo "lint.sh: clang-tidy failed (xargs exit $status) without a finding: not checked" >&2
	exit 1
fi
echo "lint.sh: clang-tidy clean ($(wc -l <<<"$files") files)"
