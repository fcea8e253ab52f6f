#!/usr/bin/env bash
# test.sh: every test, as root on Debian 12 (the README's test command; .ci/run runs it).
#   1. scripts/setup.sh (packages; quick when already done)
#   2. build/release  gcc, RelWithDebInfo: unit, integration, e2e (dockerd 20.10 and 28.5)
#   3. build/sanitize gcc, ASan+UBSan:     unit, integration
#   4. build/fuzz     clang, libFuzzer:    each fuzz target for WGNET_FUZZ_SECONDS (default 20)
#   5. scripts/lint.sh: clang-tidy's default checks on every project file
# Every step runs even when an earlier one failed; the exit status and the last line say
# whether everything passed. WGNET_TEST_SKIP_SETUP=1 skips step 1.
set -uo pipefail
exec </dev/null

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo" || exit 1
jobs=$(nproc 2>/dev/null || echo 2)
t0=$(date +%s)
failed=()
passed=()

step()
{
	local name=$1 t
	t=$(date +%s)
	shift
	echo
	echo "==== $name"
	if "$@"; then
		passed+=("$name")
		echo "==== $name: ok ($(($(date +%s) - t)) s)"
	else
		failed+=("$name")
		echo "==== $name: FAILED ($(($(date +%s) - t)) s)"
	fi
}

# build KIND: configure (scripts/build-dir.sh: the one way every script does) and build build/KIND
build()
{
	bash scripts/build-dir.sh "$1"
}

# tests DIR LABEL [ctest args]: one tier; a tier with no tests is a failure, not a pass
tests()
{
	local dir=build/$1 label=$2
	shift 2
	ctest --test-dir "$dir" -L "^$label\$" --no-tests=error --output-on-failure "$@"
}

if [ "$(id -u)" -ne 0 ]; then
	echo "test.sh: run as root (the integration and e2e tests make namespaces)" >&2
	exit 1
fi
mkdir -p build

if [ "${WGNET_TEST_SKIP_SETUP:-0}" != 1 ]; then
	step setup bash scripts/setup.sh
fi

step "build release" build release
if [[ " ${failed[*]} " != *" build release "* ]]; then
	step "release: unit" tests release unit -j "$jobs"
	step "release: integration" tests release integration
	step "release: e2e" tests release e2e
	step "release: kernel (qemu)" tests release kernel
	step lint bash scripts/lint.sh build/release
fi

step "build sanitize" build sanitize
if [[ " ${failed[*]} " != *" build sanitize "* ]]; then
	step "sanitize: unit" tests sanitize unit -j "$jobs"
	step "sanitize: integration" tests sanitize integration
fi

step "build fuzz" build fuzz
if [[ " ${failed[*]} " != *" build fuzz "* ]]; then
	step "fuzz" tests fuzz fuzz
fi

echo
secs=$(($(date +%s) - t0))
if [ ${#failed[@]} -eq 0 ]; then
	echo "test.sh: all ${#passed[@]} steps passed in $((secs / 60))m$((secs % 60))s"
	exit 0
fi
echo "test.sh: ${#failed[@]} of $((${#failed[@]} + ${#passed[@]})) steps FAILED in" \
	"$((secs / 60))m$((secs % 60))s: $(printf '[%s] ' "${failed[@]}")"
exit 1
