#!/usr/bin/env bash
# script_rules.sh [REPO]: mistakes of test scripts that no test run shows, refused by grep:
#  - a $(...) or `...` among retry's (or retry_eq's) arguments: it is expanded once, before
#    retry runs, so retry re-runs a constant (`retry 5 test "$(count)" = 1` tests one string);
#  - a script that sources a test library and sets its own EXIT trap: the library's trap is what
#    fails a test that stopped half-way and keeps its exit status (on_exit FUNC adds cleanup);
#  - a .ci/run that passes WGNET_TEST_SKIP (or _SETUP) from its environment on to test.sh: CI
#    runs every step (read, not run: running it would run the whole suite).
set -uo pipefail
repo=${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# the shell scripts of tests/, bench/ and scripts/ (but this one: its probe lines are bad on
# purpose)
scripts()
{
	local f
	for f in $(cd "$repo" && git ls-files tests bench scripts 2>/dev/null ||
		find tests bench scripts -type f); do
		case $f in
		tests/unit/script_rules.sh) ;;
		*.sh) echo "$f" ;;
		*.*) ;;
		*) head -n 1 "$repo/$f" | grep -E '^#!.*(ba)?sh' >/dev/null && echo "$f" ;;
		esac
	done
}

# retry_substitutions FILE...: "file:line: text" of each retry call with an expansion among its
# arguments (continued lines joined; single quotes, escapes and the end of the command heeded)
retry_substitutions()
{
	awk '
	function check(text, lineno,    start, i, c, n, sq, dq) {
		if (text ~ /^[ \t]*#/ || !match(text, /(^|[^A-Za-z0-9_-])retry(_eq)?[ \t]+[^ \t()]+[ \t]/))
			return
		start = RSTART + RLENGTH
		n = length(text)
		sq = dq = 0
		for (i = start; i <= n; i++) {
			c = substr(text, i, 1)
			if (sq) { if (c == "\047") sq = 0; continue }
			if (c == "\\") { i++; continue }
			if (c == "\"") { dq = !dq; continue }
			if (!dq && c == "\047") { sq = 1; continue }
			if (c == "`" || (c == "$" && substr(text, i + 1, 1) == "(")) {
				printf "%s:%d: %s\n", FILENAME, lineno, text
				return
			}
			if (!dq && (c == "|" || c == "&" || c == ";" || c == ")" || c == "#"))
				return
		}
	}
	FNR == 1 { buf = "" }
	{
		if (buf == "") first = FNR
		line = $0
		if (line ~ /\\$/) { buf = buf substr(line, 1, length(line) - 1) " "; next }
		check(buf line, first)
		buf = ""
	}' "$@"
}

cd "$repo" || exit 2
mapfile -t files < <(scripts)
[ "${#files[@]}" -gt 10 ] || die "found only ${#files[@]} scripts under tests/, bench/, scripts/"

# the checker itself, on a bad and a good line
probe=$(mktemp "${TMPDIR:-/tmp}/wgnet-rules.$$.XXXXXX")
tmp_rm() { rm -f "$probe"; }
on_exit tmp_rm
printf '%s\n' 'retry 5 test "$(count)" = 1 && pass x' 'assert_ok "d" retry 5 has \' \
	'	"$(names)"' 'retry 3 eval '"'"'[ -n "$(q)" ]'"'"' || fail "$(x)"' \
	'retry 5 sh -c "[ \"\$(tail f)\" = a ]"' 'x=$(retry 5 f) && y=$(g)' >"$probe"
assert_eq "the check finds \$(...) in retry's arguments, and only there" \
	"$probe:1 $probe:2" "$(retry_substitutions "$probe" | cut -d: -f1,2 | xargs)"

assert_eq "no \$(...) among retry's arguments (expanded once: use a function or retry_eq)" "" \
	"$(retry_substitutions "${files[@]}")"

traps=$(grep -lE '^\. .*(lib|mesh)\.sh"' "${files[@]}" | xargs -r grep -nE '^[^#]*trap .*EXIT' |
	grep -vE '^tests/(integration|e2e|unit)/lib\.sh:')
assert_eq "no script that sources a test library sets its own EXIT trap (on_exit FUNC)" "" "$traps"

ci=$(grep -vE '^\s*#' .ci/run)
assert_match ".ci/run unsets WGNET_TEST_SKIP and WGNET_TEST_SKIP_SETUP before it runs test.sh" \
	'unset WGNET_TEST_SKIP WGNET_TEST_SKIP_SETUP.*bash scripts/test\.sh' "$(tr '\n' ' ' <<<"$ci")"
unit_finish
