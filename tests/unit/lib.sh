# lib.sh: pass/fail for the unit tier's shell tests (source it); `unit_finish` at the end. A test
# that exits before it (die, an unset variable, an exit) fails, with a line saying where.
# shellcheck shell=bash
failed=0
UNIT_FINISHED=0

fail()
{
	failed=1
	echo "FAIL: $1"
	shift
	printf '      %s\n' "$@"
}

pass()
{
	ASSERT_LAST_PASS=$1
	echo "ok: $1"
}

. "$(dirname "${BASH_SOURCE[0]}")/../assert.sh"

# unit_finish: the end of the test; the exit status says whether every check passed
unit_finish()
{
	UNIT_FINISHED=1
	exit "$failed"
}

# unit_exit: the EXIT trap (the test's own cleanup through on_exit FUNC)
unit_exit()
{
	local status=$? where=""
	[ "$UNIT_FINISHED" = 1 ] || where=$(stopped_where "$status")
	on_exit_run
	[ -z "$where" ] || fail "$(basename "$0") $where"
	exit "$failed"
}
trap unit_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
