# assert.sh: the assertions and the retry loop the unit, integration and e2e libraries share
# (source it after defining pass DESC and fail DESC [DETAIL...]).
# shellcheck shell=bash

# die DESC [DETAIL...]: a step the rest of the test depends on failed; cleanup runs from the trap
die()
{
	fail "$1 (fatal, stopping)" "${@:2}"
	exit 1
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
# SECONDS (a whole number, times RETRY_SCALE, default 1: a slow guest sets it) have passed
retry()
{
	local deadline=$(($(date +%s%N) / 1000000 + $1 * 1000 * ${RETRY_SCALE:-1}))
	shift
	while ! "$@" >/dev/null 2>&1; do
		[ $(($(date +%s%N) / 1000000)) -ge "$deadline" ] && return 1
		sleep 0.1
	done
}
