#!/usr/bin/env bash
# test_key_lines.sh: key rotation with join lines, two wgnetd hosts (host 1 = the lib's
# namespace, host 2 its uplink neighbour: mesh.sh) and a container on each. Host 2 makes its new
# key (`wgnet key rotate`: the new join line); host 1 adds that line (the new key waits beside
# the old one on wgnet0, without allowed IPs); host 2 finishes (`--finish`: the switch); host
# 1's entry swaps to the new key at its first handshake. A ping stream every 10 ms and a TCP
# connection run between the containers meanwhile.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/mesh.sh"
. "$(dirname "${BASH_SOURCE[0]}")/traffic.sh"

H2=wgkl-h2-$$
H2_DIR=$IT_DIR/h2

ctr_ns() { echo "wgkl-$1-$$"; }
cli2() { "$WGNET" --socket "$H2_DIR/control.sock" "$@"; }
api2() { IT_PLUGIN_SOCK=$H2_DIR/plugin.sock api "$@"; }
wg1() { (it_in_run wg "$@"); }
peer_of_h1() { cli status --json | jq -r --arg f "$1" '.peers[] | select(.name == "h2") | .[$f] // ""'; }
key_of_h2() { cli2 status --json | jq -r .host.public_key; }
lines_cleanup() { mesh_reap wgkl all; }
c1_to_c2() { ip netns exec "$(ctr_ns c1)" ping -c1 -W1 10.210.2.2; }

mesh_reap wgkl stale
it_setup
on_exit lines_cleanup
mesh_hosts "$H2" "$H2_DIR" c1 c2
net_create api 10.210.0.0/16 10.210.1.0/24 10.210.1.1/24 false
ctr_join api "$IT_NS" c1 10.210.1.2/24 10.210.1.1
net_create api2 10.210.0.0/16 10.210.2.0/24 10.210.2.1/24 false
ctr_join api2 "$H2" c2 10.210.2.2/24 10.210.2.1
retry 20 c1_to_c2 >/dev/null ||
	die "the mesh does not carry c1 -> c2"
K2=$(key_of_h2)

assert_fails "host 2: wgnet key rotate --finish before a rotation" cli2 key rotate --finish
assert_match "... says there is none" "no key rotation is under way" "$ASSERT_OUT"

traffic_start "$(ctr_ns c1)" "$(ctr_ns c2)" 10.210.2.2
out=$(cli2 key rotate)
assert_ok "host 2: wgnet key rotate" test $? = 0
LINE=$(grep '^wgnet-join ' <<<"$out")
K2N=$(sed -n 's/.* key=\([^ ]*\).*/\1/p' <<<"$LINE")
assert_match "it prints the new join line, index and name kept" "^wgnet-join v1 .*index=2 .*name=h2" "$LINE"
assert_ok "... with a new key" test -n "$K2N" -a "$K2N" != "$K2"
assert_eq "host 2 still uses its old key" "$K2" "$(key_of_h2)"
out=$(cli peer add "$LINE")
assert_ok "host 1: wgnet peer add <the new line>" test $? = 0
assert_match "... says the new key waits" "its new key waits beside the old one" "$out"
assert_eq "host 1's peer h2 rotates to the new key" "$K2 $K2N" \
	"$(peer_of_h1 public_key) $(peer_of_h1 next_key)"
assert_eq "host 1's wgnet0 has both keys, the allowed IPs on the old one" \
	"$K2N (none);$K2 10.210.2.0/24;" \
	"$(wg1 show wgnet0 allowed-ips | grep -F -e "$K2" -e "$K2N" | sort -k2 | tr '\t\n' ' ;' | sed 's/ ;/;/g')"
out=$(cli2 key rotate --finish)
assert_ok "host 2: wgnet key rotate --finish" test $? = 0
assert_match "... says it switched" "this host's key is now ${K2N//+/\\+}" "$out"
took_over() { [ "$(peer_of_h1 public_key) $(peer_of_h1 next_key)" = "$K2N " ]; }
assert_ok "host 1's peer h2 took the new key (its first handshake)" retry 10 took_over
assert_eq "host 1's wgnet0: the new key has the allowed IPs, the old one is gone" \
	"$K2N 10.210.2.0/24" "$(wg1 show wgnet0 allowed-ips | tr '\t' ' ')"
assert_match "host 1 logged it" "peer h2: its new key had a handshake: it takes over" "$(cat "$IT_LOG")"
h1_events() { curl -s --unix-socket "$IT_CONTROL_SOCK" "http://localhost/events?since=0&wait=0" |
	jq -r '.events[] | "\(.event) \(.subject)"'; }
assert_match "host 1 told peer-rekeyed h2 (wgnet events)" "peer-rekeyed h2" "$(h1_events)"
traffic_stop
it_log "join-line rotation under $TRAFFIC_SENT pings every 10 ms: $TRAFFIC_GOT answered, $TRAFFIC_LOST lost"
assert_ok "the rotation lost at most one handshake's worth of the stream ($TRAFFIC_LOST <= $TRAFFIC_HANDSHAKE packets)" \
	test "$TRAFFIC_LOST" -le "$TRAFFIC_HANDSHAKE"
assert_eq "the TCP connection opened before the rotation carries data after it" ok "$TRAFFIC_TCP_AFTER"
assert_ok "no next key is kept on host 2" test ! -e "$H2_DIR/state/private.key.next"
wgnetd_stop
wgnetd_start
assert_eq "host 1 starts again with the new key for h2" "$K2N" "$(peer_of_h1 public_key)"
assert_ok "container 1 -> container 2 after that" retry 10 c1_to_c2

it_finish
