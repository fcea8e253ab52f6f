# daemon.sh: the one way a test starts and stops a wgnetd (source it after assert.sh). Each is
# stopped with SIGTERM, at the latest when the test exits (daemon_stop_all), so that the sanitize
# build's LeakSanitizer runs at its exit (a kill -9, or a deleted namespace, would silence it),
# and each log is searched for sanitizer reports (daemon_reports).
# shellcheck shell=bash
#
#   daemon_start DIR CMD...       CMD in the background, stdin /dev/null, stdout and stderr
#                                 appended to DIR/wgnetd.log; CMD must exec wgnetd (ip netns
#                                 exec, nsenter, unshare and sh -c '... && exec "$@"' do), so
#                                 that DIR/wgnetd.pid is wgnetd's pid. DIR/wgnetd.status holds
#                                 its exit status once it ended.
#   daemon_stop DIR [TERM|KILL]   stop it and wait; DAEMON_STATUS = its exit status (128 +
#                                 signal when a signal ended it), "timeout" when it was still
#                                 there 10 s after the signal (then killed)
#   daemon_stop_all               daemon_stop TERM for every wgnetd started and still running;
#                                 prints a line for each that did not exit 0
#   daemon_reports                the sanitizer reports in the logs, 3 lines per log
#   daemon_logs                   the logs of every wgnetd started (one per DIR)

DAEMON_DIRS=()
DAEMON_REPORT_RE='AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:'

daemon_start()
{
	local dir=$1 i
	shift
	mkdir -p "$dir"
	[[ " ${DAEMON_DIRS[*]} " == *" $dir "* ]] || DAEMON_DIRS+=("$dir")
	rm -f "$dir/wgnetd.pid" "$dir/wgnetd.status"
	echo "---- wgnetd start $(date +%T.%N): $*" >>"$dir/wgnetd.log"
	# A quiet wrapper waits for it and keeps its exit status (bash would print a "Killed" line
	# for a job of ours killed by a signal)
	(
		if declare -F "$1" >/dev/null; then
			("$@") </dev/null >>"$dir/wgnetd.log" 2>&1 &	# a function that execs
		else
			(exec "$@") </dev/null >>"$dir/wgnetd.log" 2>&1 &
		fi
		echo $! >"$dir/wgnetd.pid"
		wait $!
		echo $? >"$dir/wgnetd.status"
	) 2>/dev/null &
	for ((i = 0; i < 100; i++)); do
		[ -s "$dir/wgnetd.pid" ] && return 0
		sleep 0.02
	done
	die "wgnetd in $dir did not start"
}

daemon_stop()
{
	local dir=$1 sig=${2:-TERM} pid i
	DAEMON_STATUS=""
	pid=$(cat "$dir/wgnetd.pid" 2>/dev/null)
	[ -n "$pid" ] || return 0
	kill -"$sig" "$pid" 2>/dev/null
	for ((i = 0; i < 100; i++)); do
		pid_alive "$pid" || break
		sleep 0.1
	done
	if pid_alive "$pid"; then
		kill -KILL "$pid" 2>/dev/null
		DAEMON_STATUS=timeout
	fi
	for ((i = 0; i < 50; i++)); do
		[ -s "$dir/wgnetd.status" ] && break
		sleep 0.1
	done
	[ -n "$DAEMON_STATUS" ] || DAEMON_STATUS=$(cat "$dir/wgnetd.status" 2>/dev/null)
	rm -f "$dir/wgnetd.pid"
	echo "---- wgnetd stopped with SIG$sig, status $DAEMON_STATUS $(date +%T.%N)" \
		>>"$dir/wgnetd.log"
}

daemon_stop_all()
{
	local dir
	for dir in "${DAEMON_DIRS[@]}"; do
		[ -s "$dir/wgnetd.pid" ] || continue
		daemon_stop "$dir" TERM
		[ "$DAEMON_STATUS" = 0 ] ||
			echo "wgnetd of $dir: SIGTERM at the end, exit status $DAEMON_STATUS, not 0"
	done
	return 0
}

daemon_reports()
{
	local dir
	for dir in "${DAEMON_DIRS[@]}"; do
		grep -qE "$DAEMON_REPORT_RE" "$dir/wgnetd.log" 2>/dev/null || continue
		echo "$dir/wgnetd.log:"
		grep -m3 -E "$DAEMON_REPORT_RE" "$dir/wgnetd.log"
	done
	return 0
}

daemon_logs()
{
	local dir
	for dir in "${DAEMON_DIRS[@]}"; do
		[ -f "$dir/wgnetd.log" ] && echo "$dir/wgnetd.log"
	done
	return 0
}
