#!/usr/bin/env bash
# test_faults_kill.sh: kill -9 of wgnetd during each Docker verb, then a restart, leaks
# nothing. Each call is caught in its state save, the worst moment (the kernel work done, the
# state not yet replaced): strace holds its rename for 1.5 s, the temp file written, and the
# kill then lands (a tracee killed in a syscall-entry stop never runs the syscall). wgnetd is
# started again; the call, retried as dockerd retries a call whose connection failed,
# succeeds. At the end, with everything deleted, the kernel is as right after init and no
# file of an interrupted save is left.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/verbs.sh"

TRACER=""

traced()	# wgnetd is being traced
{
	[ "$(awk '/^TracerPid:/ {print $2}' "/proc/$IT_WGNETD_PID/status" 2>/dev/null)" -gt 0 ]
}

temp_files()
{
	(cd "$IT_STATE_DIR" && compgen -G 'state.json.??????')
}

saving()	# a save of the state is under way: a temp file that was not there before
{
	temp_files | grep -vxF -- "$TEMP_BEFORE" >/dev/null
}

# killed DESC PATH JSON: the call killed in its save, wgnetd started again, the call retried
killed()
{
	local desc=$1 path=$2 json=$3 curl_pid
	strace -f -qq -o /dev/null -e trace=rename,renameat,renameat2 \
		-e inject=rename,renameat,renameat2:delay_enter=1500000 -p "$IT_WGNETD_PID" \
		2>/dev/null &
	TRACER=$!
	retry 5 traced || die "$desc: strace did not attach"
	printf '%s\n' "$json" >"$IT_DIR/killed.body"
	TEMP_BEFORE=$(temp_files)
	[ -n "$TEMP_BEFORE" ] || TEMP_BEFORE=none
	curl -s --max-time 20 --unix-socket "$IT_PLUGIN_SOCK" -X POST -H 'Host;' \
		-H 'Content-Type:' --data-binary "@$IT_DIR/killed.body" -o /dev/null \
		"http://localhost/$path" &
	curl_pid=$!
	if retry 5 saving; then
		pass "$desc: caught in its save"
	else
		fail "$desc: no save under way"
	fi
	wgnetd_stop KILL
	wait "$curl_pid" 2>/dev/null
	kill "$TRACER" 2>/dev/null
	wait "$TRACER" 2>/dev/null
	TRACER=""
	wgnetd_start
	api "$path" "$json"
	assert_status "$desc: retried after the restart: succeeds" 200
}

tracer_cleanup()
{
	[ -z "$TRACER" ] || kill "$TRACER" 2>/dev/null
}

it_setup
on_exit tracer_cleanup
command -v strace >/dev/null || die "needs strace"
assert_ok "wgnet init --index 3" cli init --index 3
kernel_settle wgnet0
K_INIT=$(kernel_snapshot wgnet0)

each_verb killed

# nothing leaked: links, routes, table, files
wgnetd_stop KILL
wgnetd_start
kernel_settle wgnet0
assert_eq "links, addresses, routes and rules as right after init" "$K_INIT" \
	"$(kernel_snapshot wgnet0)"
files=$(ls "$IT_STATE_DIR") || files="(ls $IT_STATE_DIR failed)"
assert_eq "no temp file left in the state directory" "" \
	"$(grep -vxE 'state\.json|private\.key' <<<"$files")"
assert_eq "the state holds no pool or endpoint" "0 0" \
	"$(jq -r '"\(.pools | length) \(.endpoints | length)"' "$IT_STATE_DIR/state.json")"
it_finish
