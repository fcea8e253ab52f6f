#!/usr/bin/env bash
# test_faults_http.sh: a stuck client cannot starve dockerd. 1,000 idle connections on the
# plugin socket and 300 on the control socket: Docker calls and the CLI still answer (a
# starved server refuses or never answers: HTTP 000; how long they took is printed);
# the connections opened beyond the first few are closed once idle for 10 s (the first ones,
# dockerd's in real life, are kept: it would retry a call on a dropped one with an empty
# body); calls still answer afterwards.
# Then the cap of 4,096 connections per socket: dockerd's connection, opened first, then a
# stuck client with 4,200 connections that are never idle: the server holds 4,096, the others
# wait unserved in the accept queue, dockerd's calls on its connection and the CLI's (the
# other socket) still get answers, and once the stuck client is gone a new connection is
# served.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

HOLD_CONNS=${HOLD_CONNS:-$IT_REPO/build/release/tests/hold_conns}
GW_OPTS='{"RequestAddressType":"com.docker.network.gateway"}'
CALM=64			# HTTP_CONN_CALM: connections that never time out
CAP=4096		# HTTP_CONN_MAX: connections per socket
STUCK=4200		# more than the cap, fewer than the cap plus the accept queue (128)

must()
{
	[ "$HTTP_STATUS" = 200 ] || fail "$1" "HTTP $HTTP_STATUS $BODY"
}

# hold NAME SOCKET N [busy]: a stuck client with N idle connections (busy: never idle, a byte a
# second on each); its output in $IT_DIR/NAME.out
hold()
{
	"$HOLD_CONNS" "$2" "$3" ${4:+"$4"} >"$IT_DIR/$1.out" 2>&1 &
	HOLD_PIDS="$HOLD_PIDS $!"
	retry 20 grep -q '^open' "$IT_DIR/$1.out" || die "$1: hold_conns did not start" \
		"$(cat "$IT_DIR/$1.out")"
	assert_eq "$1: $3 connections open" "open $3" "$(grep '^open' "$IT_DIR/$1.out")"
}

alive()		# NAME: connections the server has not closed
{
	tail -n 1 "$IT_DIR/$1.out" | awk '$1 == "alive" {print $2}'
}

# served: the plugin socket's connections the server accepted and holds (their server ends,
# which carry the socket's path, live in the namespace of the client that connected: ours)
served()
{
	lines ss -xH src "$IT_PLUGIN_SOCK"
}

# queued: connections waiting in the plugin socket's accept queue (Recv-Q of the listener)
queued()
{
	local l
	l=$(ns ss -xlH src "$IT_PLUGIN_SOCK") || { query_failed "ss -xl in $IT_NS" $?; return; }
	awk '{ print $3 }' <<<"$l"
}

hold_cleanup()
{
	# shellcheck disable=SC2086
	[ -z "$HOLD_PIDS" ] || kill $HOLD_PIDS 2>/dev/null
	exec 8>&-
}

HOLD_PIDS=""
it_setup
on_exit hold_cleanup
[ -x "$HOLD_CONNS" ] || die "no hold_conns at $HOLD_CONNS (set HOLD_CONNS)"
assert_ok "wgnet init --index 1" cli init --index 1
hold plugin "$IT_PLUGIN_SOCK" 1000
hold control "$IT_CONTROL_SOCK" 300

api IpamDriver.RequestPool '{"AddressSpace":"wgnet-local","Pool":"10.230.0.0/16","SubPool":"","Options":{},"V6":false}'
must "RequestPool"
POOLID=$(jq -r .PoolID <<<"$BODY")
assert_answers "held: gateway RequestAddress" IpamDriver.RequestAddress \
	"{\"PoolID\":\"$POOLID\",\"Address\":\"\",\"Options\":$GW_OPTS}" '.Address == "10.230.1.1/24"'
NET=$(rand_id)
assert_answers "held: CreateNetwork" NetworkDriver.CreateNetwork "{\"NetworkID\":\"$NET\",\"Options\":{},\"IPv4Data\":[{\"AddressSpace\":\"wgnet-local\",\"Gateway\":\"10.230.1.1/24\",\"Pool\":\"10.230.1.0/24\"}],\"IPv6Data\":[]}" \
	'. == {}'
assert_ok "held: wgnet status" cli status
assert_answers "held: GetCapabilities" NetworkDriver.GetCapabilities "" '.Scope == "local"'

# the connections beyond the calm ones go after 10 s idle (the first check at once: none yet;
# hold_conns prints its first count after its first second of polling)
retry 20 grep -q '^alive' "$IT_DIR/plugin.out"
a=$(grep -m1 '^alive' "$IT_DIR/plugin.out" | awk '{print $2}')
[ "${a:-0}" -gt "$CALM" ] || fail "plugin: connections closed before they were idle 10 s" "alive $a"
if retry 25 sh -c "[ \"\$(tail -n 1 '$IT_DIR/plugin.out')\" = 'alive $CALM' ]"; then
	pass "plugin: the stuck client's extra connections were closed, $CALM kept"
else
	fail "plugin: idle connections not closed" "$(tail -n 1 "$IT_DIR/plugin.out")"
fi
if retry 5 sh -c "[ \"\$(tail -n 1 '$IT_DIR/control.out')\" = 'alive $CALM' ]"; then
	pass "control: the stuck client's extra connections were closed, $CALM kept"
else
	fail "control: idle connections not closed" "$(tail -n 1 "$IT_DIR/control.out")"
fi
assert_answers "after: DeleteNetwork" NetworkDriver.DeleteNetwork "{\"NetworkID\":\"$NET\"}" '. == {}'

# ---- the cap
# shellcheck disable=SC2086
kill $HOLD_PIDS
# shellcheck disable=SC2086
wait $HOLD_PIDS 2>/dev/null
HOLD_PIDS=""
retry_eq 10 0 served || die "the stuck clients' connections are not closed" "$RETRY_OUT"
# dockerd: one connection, opened first (a calm one), asked on from stdin (fd 8)
mkfifo "$IT_DIR/dockerd.in"
"$HOLD_CONNS" "$IT_PLUGIN_SOCK" 1 <"$IT_DIR/dockerd.in" >"$IT_DIR/dockerd.out" 2>&1 &
HOLD_PIDS=$!
exec 8>"$IT_DIR/dockerd.in"
retry_eq 10 1 served || die "dockerd's connection" "$RETRY_OUT" "$(cat "$IT_DIR/dockerd.out")"
hold stuck "$IT_PLUGIN_SOCK" "$STUCK" busy
if retry_eq 20 "$CAP" served; then
	pass "the plugin socket serves its cap, $CAP connections (dockerd's, $((CAP - 1)) stuck)"
else
	fail "the plugin socket serves at most $CAP connections" "it serves $RETRY_OUT"
fi
assert_eq "the stuck client's other $((STUCK + 1 - CAP)) wait unserved in the accept queue" \
	"$((STUCK + 1 - CAP))" "$(queued)"
echo "ask 1 NetworkDriver.GetCapabilities" >&8
if retry 10 grep -q '^answer 1 HTTP/1.1 200 ' "$IT_DIR/dockerd.out"; then
	pass "at the cap: dockerd's call on its connection gets an answer"
else
	fail "at the cap: dockerd's call on its connection gets an answer" \
		"$(tail -n 3 "$IT_DIR/dockerd.out")"
fi
assert_ok "at the plugin socket's cap: the CLI's control socket answers" cli status
kill "${HOLD_PIDS##* }"
assert_answers "the stuck client gone: a new connection is served" NetworkDriver.GetCapabilities "" \
	'.Scope == "local"'
it_finish
