#!/usr/bin/env bash
# test_events.sh: `wgnet events` tells what changes as it happens, and the metrics count it.
# Two wgnetd (host 1 = the lib's namespace with --metrics on its 127.0.0.1, host 2 its uplink
# neighbour) joined by a real WireGuard mesh, containers as namespaces. Two followers run from
# the start, one printing JSON, one text; then: the peer comes up; `nft flush ruleset` (the
# tables are rebuilt); the table's name held by another program (failed closed: the peer goes
# down) and freed (built again, the peer up again); wireguard-go killed (the watchdog starts
# another); a store (one etcd member) lost and back; wgnetd restarted under the followers.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/mesh.sh"

H2=wge-h2-$$
H2_DIR=$IT_DIR/h2
METRICS=127.0.0.1:9586
EV_JSON=$IT_DIR/events.json
EV_TEXT=$IT_DIR/events.txt

ctr_ns() { echo "wge-$1-$$"; }
in_ctr() { local c=$1; shift; ip netns exec "$(ctr_ns "$c")" "$@"; }
api2() { IT_PLUGIN_SOCK=$H2_DIR/plugin.sock api "$@"; }

command -v etcd >/dev/null || { echo "$(basename "$0"): needs etcd" >&2; exit 1; }
mesh_reap wge stale
FOLLOWERS=()
ETCD=""
events_cleanup()
{
	local p
	for p in "${FOLLOWERS[@]}" $ETCD $HOLD; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	mesh_reap wge all
}
HOLD=""

# ---------------------------------------------------------------- what the checks read

# events KIND SUBJECT: the JSON follower's events of that kind about SUBJECT, one per line
events() { jq -c --arg k "$1" --arg s "$2" 'select(.event == $k and .subject == $s)' "$EV_JSON"; }
# seen KIND SUBJECT [N]: at least N (1) such events
seen() { [ "$(events "$1" "$2" | grep -c .)" -ge "${3:-1}" ]; }
# expect DESC KIND SUBJECT [N]: wait for the Nth such event
expect()
{
	if retry 20 seen "$2" "$3" "${4:-1}"; then
		pass "$1: $(events "$2" "$3" | tail -n 1 | jq -r .detail)"
	else
		fail "$1" "no ${4:-1}th $2 of $3 in:" "$(cat "$EV_JSON")"
	fi
}
metric() { ns curl -s --max-time 5 "http://$METRICS/metrics" | awk -v m="$1" '$1 == m { print $2 }'; }
store_metrics() { echo "$(metric wgnet_store_configured) $(metric wgnet_store_reachable)"; }
# every event of this wgnetd is in the JSON follower's file, and counted by the metrics
counted_all() { [ "$(grep -c . "$EV_JSON")" = "$(metric wgnet_events_total)" ]; }
wg_pid()
{
	local p
	for p in $(ip netns pids "$IT_NS" 2>/dev/null); do
		[ "$(cat "/proc/$p/comm" 2>/dev/null)" = wireguard-go ] &&
			[ "$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null)" != Z ] && echo "$p"
	done
}
etcd_start()
{
	ip netns exec "$IT_NS" etcd --name e1 --data-dir "$IT_DIR/etcd" \
		--listen-client-urls http://127.0.0.1:2379 --advertise-client-urls http://127.0.0.1:2379 \
		--listen-peer-urls http://127.0.0.1:2380 --initial-advertise-peer-urls http://127.0.0.1:2380 \
		--initial-cluster e1=http://127.0.0.1:2380 >>"$IT_DIR/etcd.log" 2>&1 &
	ETCD=$!
	retry 20 ns curl -sf http://127.0.0.1:2379/health >/dev/null || die "etcd" "$(tail "$IT_DIR/etcd.log")"
}

# ---------------------------------------------------------------- topology and followers

it_setup
on_exit events_cleanup
wgnetd_stop
wgnetd_start --metrics "$METRICS"
"$WGNET" --socket "$IT_CONTROL_SOCK" events --json >"$EV_JSON" 2>"$IT_DIR/events-json.err" &
FOLLOWERS+=($!)
"$WGNET" --socket "$IT_CONTROL_SOCK" events >"$EV_TEXT" 2>"$IT_DIR/events-text.err" &
FOLLOWERS+=($!)
mesh_hosts "$H2" "$H2_DIR" c1 c2
net_create api 10.210.0.0/16 10.210.1.0/24 10.210.1.1/24 false
ctr_join api "$IT_NS" c1 10.210.1.2/24 10.210.1.1
net_create api2 10.210.0.0/16 10.210.2.0/24 10.210.2.1/24 false
ctr_join api2 "$H2" c2 10.210.2.2/24 10.210.2.1
retry 20 in_ctr c2 ping -c1 -W1 10.210.1.2 >/dev/null || die "the mesh does not carry c2 -> c1"

# ---------------------------------------------------------------- peer up
expect "the peer comes up" peer-up h2
assert_match "text: one line with the time, the event, the peer and the handshake" \
	'^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8}  peer-up           h2: handshake [0-9]+s ago, endpoint 192\.0\.2\.2:51820$' \
	"$(grep peer-up "$EV_TEXT" | head -n 1)"
assert_ok "json: one object per line, with seq, time, event, subject and detail" \
	jq -e 'select(.event == "peer-up") | (.seq >= 1) and (.time > 1600000000) and
		(.detail | test("^handshake [0-9]+s ago"))' "$EV_JSON"
assert_eq "metrics: the peer is up" 1 \
	"$(ns curl -s "http://$METRICS/metrics" | awk '$1 ~ /^wgnet_peer_up\{.*name="h2"/ { print $2 }')"

# ---------------------------------------------------------------- firewall rebuilt
assert_eq "metrics: no rebuild yet" 0 "$(metric wgnet_firewall_rebuilds_total)"
ns nft flush ruleset || die "nft flush ruleset"
expect "nft flush ruleset: the firewall is rebuilt" firewall-rebuilt firewall
assert_match "it says who deleted what" \
	'^tables inet wgnet and bridge wgnet deleted by nft\[[0-9]+\]: rebuilt$' \
	"$(events firewall-rebuilt firewall | tail -n 1 | jq -r .detail)"
assert_eq "metrics: one rebuild" 1 "$(metric wgnet_firewall_rebuilds_total)"

# ---------------------------------------------------------------- failed closed, built again
mkfifo "$IT_DIR/hold"
ip netns exec "$IT_NS" nft -i <"$IT_DIR/hold" >/dev/null 2>&1 &
HOLD=$!
exec 7>"$IT_DIR/hold"
echo 'delete table inet wgnet; add table inet wgnet { flags owner; }' >&7
expect "the table's name taken: the firewall failed" firewall-failed firewall
assert_match "it says why" 'could not program table inet wgnet: .*: failed closed \(no peer on wgnet0\)$' \
	"$(events firewall-failed firewall | tail -n 1 | jq -r .detail)"
assert_ok "metrics: the firewall is not programmed" retry_eq 10 0 metric wgnet_firewall_programmed
expect "failed closed: the peer is down (no peer on wgnet0)" peer-down h2
assert_eq "it says why" "no session on wgnet0" "$(events peer-down h2 | tail -n 1 | jq -r .detail)"
kill "$HOLD"
wait "$HOLD" 2>/dev/null
HOLD=""
exec 7>&-
expect "the name freed: the firewall is built again" firewall-ok firewall
assert_ok "metrics: programmed again" retry_eq 10 1 metric wgnet_firewall_programmed
expect "the peer is up again" peer-up h2 2

# ---------------------------------------------------------------- watchdog
P=$(wg_pid)
[ -n "$P" ] || die "no wireguard-go in host 1"
assert_eq "metrics: no restart yet" 0 "$(metric wgnet_watchdog_restarts_total)"
kill -KILL "$P"
expect "wireguard-go killed: the watchdog starts another" watchdog-restart wgnet0
assert_match "it says what happened" '^wireguard-go started again \(restarted at [0-9:]{8}: it had exited\)$' \
	"$(events watchdog-restart wgnet0 | tail -n 1 | jq -r .detail)"
assert_eq "metrics: one restart" 1 "$(metric wgnet_watchdog_restarts_total)"

# ---------------------------------------------------------------- store lost and back
etcd_start
cli init --store http://127.0.0.1:2379 --store-insecure-http --store-no-client-cert --index 1 \
	--endpoint 192.0.2.1:51820 --name h1 >/dev/null || die "host 1: wgnet init --store"
assert_ok "metrics: a store, reachable" retry_eq 10 "1 1" store_metrics
kill "$ETCD"
wait "$ETCD" 2>/dev/null
ETCD=""
expect "etcd stopped: the store is lost" store-lost store
assert_ok "metrics: the store is unreachable" retry_eq 10 0 metric wgnet_store_reachable
etcd_start
expect "etcd back: so is the store" store-back store
assert_ok "metrics: reachable again" retry_eq 10 1 metric wgnet_store_reachable

# ---------------------------------------------------------------- wgnetd restarted
assert_ok "metrics: every event the follower printed is counted" retry 10 counted_all
wgnetd_stop
wgnetd_start --metrics "$METRICS"
expect "after a restart of wgnetd, the followers go on: the peer seen up by the new one" \
	peer-up h2 3
assert_eq "its events are numbered from 1 again" 1 \
	"$(events peer-up h2 | tail -n 1 | jq -r .seq)"
assert_match "the text follower says wgnetd restarted" '^-- wgnetd restarted: its events from its start --$' \
	"$(grep -- '^--' "$EV_TEXT")"
assert_match "the text follower said why it lost wgnetd" '^wgnet: cannot reach wgnetd at ' \
	"$(head -n 1 "$IT_DIR/events-text.err")"
assert_eq "then that it waited for it, once, and had it back" \
	"wgnet: waiting for wgnetd to answer again
wgnet: wgnetd answers again" "$(tail -n +2 "$IT_DIR/events-text.err")"
for p in "${FOLLOWERS[@]}"; do
	pid_alive "$p" || fail "follower $p still runs"
done

# ---------------------------------------------------------------- history, bad input
ALL=$(timeout 5 "$WGNET" --socket "$IT_CONTROL_SOCK" events --json --since 0)
assert_eq "--since 0: what this wgnetd holds, from its first (then it follows: timeout)" \
	"$(events peer-up h2 | tail -n 1)" "$(head -n 1 <<<"$ALL")"
cli events --since x >/dev/null 2>&1
assert_eq "events --since x: refused (exit 2, usage)" 2 "$?"
cli events --all >/dev/null 2>&1
assert_eq "events with an unknown option: refused (exit 2)" 2 "$?"
BODY=$(curl -s --unix-socket "$IT_CONTROL_SOCK" -w ' %{http_code}' 'http://wgnet/events?since=-1')
assert_eq "GET /events?since=-1: 400 with the reason" \
	'{"Err":"since must be a number 0..9223372036854775807"} 400' "$BODY"
BODY=$(curl -s --unix-socket "$IT_CONTROL_SOCK" -w ' %{http_code}' 'http://wgnet/events?wait=61')
assert_eq "GET /events?wait=61: 400" '{"Err":"wait must be a number 0..60"} 400' "$BODY"
BODY=$(curl -s --unix-socket "$IT_CONTROL_SOCK" -w ' %{http_code}' -X POST 'http://wgnet/events')
assert_match "POST /events: 405" ' 405$' "$BODY"
assert_match "the long poll is counted once per answer" '^[0-9]+$' \
	"$(ns curl -s "http://$METRICS/metrics" | awk '$1 ~ /^wgnet_api_calls_total\{api="control",endpoint="events",result="ok"\}/ { print $2 }')"

it_finish
