#!/usr/bin/env bash
# test_faults_http.sh: a stuck client cannot starve dockerd. 1,000 idle connections on the
# plugin socket and 300 on the control socket: Docker calls and the CLI still answer (a
# starved server refuses or never answers: HTTP 000; how long they took is printed);
# the connections opened beyond the first few are closed once idle for 10 s (the first ones,
# dockerd's in real life, are kept: it would retry a call on a dropped one with an empty
# body); calls still answer afterwards.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

HOLD_CONNS=${HOLD_CONNS:-$IT_REPO/build/release/tests/hold_conns}
GW_OPTS='{"RequestAddressType":"com.docker.network.gateway"}'
CALM=64			# HTTP_CONN_CALM: connections that never time out

must()
{
	[ "$HTTP_STATUS" = 200 ] || fail "$1" "HTTP $HTTP_STATUS $BODY"
}

# hold NAME SOCKET N: a stuck client with N idle connections; its output in $IT_DIR/NAME.out
hold()
{
	"$HOLD_CONNS" "$2" "$3" >"$IT_DIR/$1.out" 2>&1 &
	HOLD_PIDS="$HOLD_PIDS $!"
	retry 20 grep -q '^open' "$IT_DIR/$1.out" || die "$1: hold_conns did not start" \
		"$(cat "$IT_DIR/$1.out")"
	assert_eq "$1: $3 connections open" "open $3" "$(grep '^open' "$IT_DIR/$1.out")"
}

alive()		# NAME: connections the server has not closed
{
	tail -n 1 "$IT_DIR/$1.out" | awk '$1 == "alive" {print $2}'
}

hold_cleanup()
{
	# shellcheck disable=SC2086
	[ -z "$HOLD_PIDS" ] || kill $HOLD_PIDS 2>/dev/null
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

it_finish
