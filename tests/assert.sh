# assert.sh: the assertions, the retry loop and the exit bookkeeping that the unit, integration
# and e2e libraries share (source it after defining pass DESC and fail DESC [DETAIL...]; pass
# sets ASSERT_LAST_PASS=DESC).
# shellcheck shell=bash

# A query whose failure would read as "nothing there" (`wg show ... | grep -c .`, `etcdctl get |
# grep`, `nft -j ... | jq`) fails as a whole when any part of it fails; helpers that print a
# count or a list still check their query's status (see query_failed).
set -o pipefail

ASSERT_LAST_PASS=""
ASSERT_ON_EXIT=()

# die DESC [DETAIL...]: a step the rest of the test depends on failed; cleanup runs from the trap.
# In a subshell ($(...), a pipeline, ( )) an exit would stop only the subshell, and its fail
# count would be lost: the test's own shell is stopped instead (TERM: it exits 143 and the EXIT
# trap fails the test), with the message on stderr (stdout may be what $(...) captures).
die()
{
	if [ "$BASH_SUBSHELL" -gt 0 ]; then
		fail "$1 (fatal, stopping the test from a subshell)" "${@:2}" >&2
		kill -TERM $$
		exit 1
	fi
	fail "$1 (fatal, stopping)" "${@:2}"
	exit 1
}

# query_failed WHAT STATUS: the line a helper prints instead of a count or a list when its query
# failed (so that an assert_eq expecting 0 or "" sees it), returning STATUS:
# `out=$(ip -j link show) || { query_failed "ip link show" $?; return; }`
query_failed()
{
	echo "(query failed, exit $2: $1)"
	return "$2"
}

# lines CMD...: how many non-empty lines CMD prints; query_failed's line when CMD fails
lines()
{
	local out
	out=$("$@") || { query_failed "$*" $?; return; }
	grep -c . <<<"$out" || true
}

# matching REGEX CMD...: the lines CMD prints that match REGEX (grep -E); query_failed's line when
# CMD fails, so that `assert_eq "none left" "" "$(matching ...)"` fails on a failed query
matching()
{
	local re=$1 out
	shift
	out=$("$@") || { query_failed "$*" $?; return; }
	grep -E -- "$re" <<<"$out" || true
}

# assert_eq DESC EXPECTED ACTUAL
assert_eq()
{
	if [ "$2" = "$3" ]; then
		pass "$1"
	else
		fail "$1" "expected: $2" "actual:   $3"
	fi
}

# assert_match DESC REGEX ACTUAL (extended regex, grep -E)
assert_match()
{
	if grep -qE -- "$2" <<<"$3"; then
		pass "$1"
	else
		fail "$1" "expected to match: $2" "actual: $3"
	fi
}

# assert_ok DESC CMD...: the command succeeds; its output is shown when it does not
assert_ok()
{
	local desc=$1 out
	shift
	if out=$("$@" 2>&1); then
		pass "$desc"
	else
		fail "$desc" "command failed ($?): $*" "$(tail -n 5 <<<"$out")"
	fi
}

# assert_fails DESC CMD...: the command fails; ASSERT_OUT holds its output for further checks
assert_fails()
{
	local desc=$1
	shift
	if ASSERT_OUT=$("$@" 2>&1); then
		fail "$desc" "command succeeded but should fail: $*" "$(tail -n 5 <<<"$ASSERT_OUT")"
	else
		pass "$desc"
	fi
}

# pid_alive PID: the process runs and is not a zombie. One read of its state: kill -0 then ps
# would call a process reaped between the two alive (ps prints nothing, which is not "Z").
pid_alive()
{
	local stat
	[ -n "$1" ] || return 1
	stat=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
	[ -n "$stat" ] && [ "${stat:0:1}" != Z ]
}

# retry SECONDS CMD...: run CMD (its output discarded) every 0.1 s until it succeeds; fails once
# SECONDS (a whole number, times RETRY_SCALE, default 1: a slow guest and the sanitize build
# set it) have passed.
# CMD's arguments are expanded once, before retry runs: `retry 5 test "$(count)" = 1` tests the
# same string every time. Put the query in a function (`retry 5 has_one`), or compare a
# command's output with retry_eq; tests/unit/script_rules.sh refuses a $(...) among retry's
# arguments.
retry()
{
	local deadline=$(($(date +%s%N) / 1000000 + $1 * 1000 * ${RETRY_SCALE:-1}))
	shift
	while ! "$@" >/dev/null 2>&1; do
		[ $(($(date +%s%N) / 1000000)) -ge "$deadline" ] && return 1
		sleep 0.1
	done
}

# retry_eq SECONDS EXPECTED CMD...: run CMD every 0.1 s until it succeeds and prints EXPECTED;
# fails once SECONDS have passed, RETRY_OUT then holds what CMD printed last
retry_eq()
{
	local secs=$1 want=$2
	shift 2
	retry "$secs" retry_eq_once "$want" "$@"
}

retry_eq_once()
{
	local want=$1
	shift
	RETRY_OUT=$("$@" 2>&1) && [ "$RETRY_OUT" = "$want" ]
}

# ---------------------------------------------------------------- the end of a test

# on_exit FUNC: FUNC runs when the test exits, before the library's own cleanup (its namespace
# and directory; every wgnetd is stopped before it: tests/daemon.sh), the last registered
# first. The exit status and the counts survive it. A test never replaces the library's EXIT
# trap: that trap is what fails a test that stopped half-way.
on_exit()
{
	ASSERT_ON_EXIT+=("$1")
}

# on_exit_run: the functions on_exit registered (what they return is ignored)
on_exit_run()
{
	local i
	for ((i = ${#ASSERT_ON_EXIT[@]} - 1; i >= 0; i--)); do
		"${ASSERT_ON_EXIT[i]}"
	done
	ASSERT_ON_EXIT=()
}

# stopped_where STATUS: where a test that did not reach its finish call stopped: the calls that
# were running when the shell exited (read from the EXIT trap's stack: call this directly from
# the trap's function), the exit status and the last check that passed
stopped_where()
{
	local i calls=""
	# frame 0 is this function, 1 the EXIT trap's, the rest what ran at the exit; the last is main
	for ((i = 2; i < ${#FUNCNAME[@]} - 1; i++)); do
		calls+="${calls:+ <- }${FUNCNAME[i]} at ${BASH_SOURCE[i + 1]##*/}:${BASH_LINENO[i]}"
	done
	echo "stopped half-way (exit status $1${calls:+, in $calls}), after the check" \
		"'${ASSERT_LAST_PASS:-(none passed)}'"
}
