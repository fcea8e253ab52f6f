#!/usr/bin/env bash
# test.sh: every test, as root on Debian 12 (the README's test command; .ci/run runs it).
#   1. scripts/setup.sh (packages; quick when already done)
#   2. build/release  gcc, RelWithDebInfo: unit, integration, e2e (dockerd 20.10, 28.5 and
#                     29.7 with both firewall backends), kernel (qemu)
#   3. build/sanitize gcc, ASan+UBSan:     unit, integration
#   4. build/fuzz     clang, libFuzzer:    each fuzz target for WGNET_FUZZ_SECONDS (default 20)
#   5. scripts/lint.sh: clang-tidy's default checks on every project file
# Two lanes run side by side once build/release is built: the release tests (mostly waiting on
# dockerds and qemu) in the foreground, and steps 3-5 (mostly compiling) in the background; the
# tests name everything by pid, so the two never share a namespace, a directory or a socket
# (and the release integration and e2e tests run two at a time: mostly waiting, too).
# Every step runs even when an earlier one failed; the exit status and the last line say
# whether everything passed. A step that did not run, a test that ctest reports as skipped
# (qemu missing) and a lint that could not run are failures, unless the caller named the step
# in WGNET_TEST_SKIP (words: setup unit integration e2e kernel sanitize fuzz lint); the summary
# line lists what was skipped that way. WGNET_TEST_SKIP_SETUP=1 is the same as naming setup.
# The e2e tests against Docker Engine 29 need its binaries (WGNET_E2E_DOCKER29, default
# ../shared/tools/docker-29: tests/e2e/docker29.sh): where they are not there, those tests do
# not run and the last line says so and how to provide them; under CI=true that is a failure.
set -uo pipefail
exec </dev/null

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo" || exit 1
jobs=$(nproc 2>/dev/null || echo 2)
t0=$(date +%s)
results=$(mktemp "${TMPDIR:-/tmp}/wgnet-test.XXXXXX")
lane_log=$results.lane
trap 'rm -f "$results" "$lane_log"' EXIT
skip_words=" ${WGNET_TEST_SKIP:-} "
[ "${WGNET_TEST_SKIP_SETUP:-0}" = 1 ] && skip_words+="setup "
for w in $skip_words; do
	case $w in
	setup | unit | integration | e2e | kernel | sanitize | fuzz | lint) ;;
	*) echo "test.sh: WGNET_TEST_SKIP: unknown step '$w'" >&2; exit 2 ;;
	esac
done

# step WORD NAME CMD...: run one step, unless WORD is in WGNET_TEST_SKIP; its outcome goes to
# the results file (the lanes are subshells: no shared variables)
step()
{
	local word=$1 name=$2 t
	t=$(date +%s)
	shift 2
	echo
	if [[ "$skip_words" == *" $word "* ]]; then
		echo "==== $name: skipped (WGNET_TEST_SKIP names $word)"
		printf 'skipped\t%s\n' "$name" >>"$results"
		return 0
	fi
	echo "==== $name"
	if "$@"; then
		printf 'ok\t%s\n' "$name" >>"$results"
		echo "==== $name: ok ($(($(date +%s) - t)) s)"
	else
		printf 'FAILED\t%s\n' "$name" >>"$results"
		echo "==== $name: FAILED ($(($(date +%s) - t)) s)"
	fi
}

# step_failed NAME: that step ran and failed
step_failed()
{
	grep -qxF "$(printf 'FAILED\t%s' "$1")" "$results"
}

# build KIND: configure (scripts/build-dir.sh: the one way every script does) and build build/KIND
build()
{
	bash scripts/build-dir.sh "$1"
}

# tests DIR LABEL [ctest args]: one tier; a tier with no tests, or with a test that ctest
# reports as skipped (exit code 77: something it needs is missing), is a failure, not a pass
tests()
{
	local dir=build/$1 label=$2 log
	shift 2
	log=$dir/ctest-$label.log
	ctest --test-dir "$dir" -L "^$label\$" --no-tests=error --output-on-failure "$@" 2>&1 |
		tee "$log" || return 1
	if grep -q 'tests did not run' "$log"; then
		echo "test.sh: ctest skipped a $label test (see above): failing; WGNET_TEST_SKIP names" \
			"a tier the caller chose to skip" >&2
		return 1
	fi
}

# e2e_docker29: e2e_args and d29_note: the Docker 29 tests left out, and why, when their
# binaries are not there (a failed step under CI=true)
e2e_args=()
d29_note=""
e2e_docker29()
{
	local why
	[[ "$skip_words" == *" e2e "* ]] && return 0
	why=$(bash tests/e2e/docker29.sh --where 2>&1 >/dev/null) && return 0
	e2e_args=(-LE '^docker29$')
	d29_note="; the Docker 29 e2e tests did not run: $why"
	if [ "${CI:-}" = true ]; then
		echo "test.sh: CI=true and $why" >&2
		printf 'FAILED\t%s\n' "release: e2e against Docker 29 (no binaries)" >>"$results"
	fi
}

if [ "$(id -u)" -ne 0 ]; then
	echo "test.sh: run as root (the integration and e2e tests make namespaces)" >&2
	exit 1
fi
mkdir -p build

step setup "setup" bash scripts/setup.sh

# the background lane: builds and checks that need no dockerd (CPU-bound, unlike the e2e tests)
lane_checks()
{
	step sanitize "build sanitize" build sanitize
	if ! step_failed "build sanitize"; then
		step sanitize "sanitize: unit" tests sanitize unit -j "$jobs"
		# ASan and UBSan make wgnetd two to three times slower: the bounds of the tests'
		# retries (assert.sh) grow with it; a retry still ends as soon as its check holds
		RETRY_SCALE=2 step sanitize "sanitize: integration" tests sanitize integration
	fi

	step fuzz "build fuzz" build fuzz
	if ! step_failed "build fuzz"; then
		step fuzz "fuzz" tests fuzz fuzz -j "$jobs"
	fi
	step lint lint bash scripts/lint.sh build/release
}

step build "build release" build release
if ! step_failed "build release"; then
	lane_checks >"$lane_log" 2>&1 &
	lane_pid=$!
	step unit "release: unit" tests release unit -j "$jobs"
	step integration "release: integration" tests release integration -j "$jobs"
	e2e_docker29
	step e2e "release: e2e" tests release e2e -j "$jobs" "${e2e_args[@]}"
	step kernel "release: kernel (qemu)" tests release kernel
	wait "$lane_pid"
	echo
	echo "==== the background lane (sanitize, fuzz, lint), as it ran:"
	cat "$lane_log"
else
	echo "test.sh: build/release failed: its tests and lint cannot run" >&2
	printf 'FAILED\t%s\n' "release tests, lint (not run)" >>"$results"
	lane_checks
fi

echo
secs=$(($(date +%s) - t0))
mapfile -t failed < <(awk -F '\t' '$1 == "FAILED" { print $2 }' "$results")
mapfile -t skipped < <(awk -F '\t' '$1 == "skipped" { print $2 }' "$results")
npassed=$(grep -c '^ok' "$results")
note=""
[ ${#skipped[@]} -eq 0 ] ||
	note="; skipped at the caller's request (WGNET_TEST_SKIP='${WGNET_TEST_SKIP:-}'$(
		[ "${WGNET_TEST_SKIP_SETUP:-0}" = 1 ] && echo ' WGNET_TEST_SKIP_SETUP=1')):$(
		printf ' [%s]' "${skipped[@]}")"
note+=$d29_note
if [ ${#failed[@]} -eq 0 ]; then
	echo "test.sh: all $npassed steps passed in $((secs / 60))m$((secs % 60))s$note"
	exit 0
fi
echo "test.sh: ${#failed[@]} of $((${#failed[@]} + npassed)) steps FAILED in" \
	"$((secs / 60))m$((secs % 60))s:$(printf ' [%s]' "${failed[@]}")$note"
exit 1
