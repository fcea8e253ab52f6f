# lib.sh: pass/fail for the unit tier's shell tests (source it); `exit "$failed"` at the end.
# shellcheck shell=bash
failed=0

fail()
{
	failed=1
	echo "FAIL: $1"
	shift
	printf '      %s\n' "$@"
}

pass()
{
	echo "ok: $1"
}

. "$(dirname "${BASH_SOURCE[0]}")/../assert.sh"
