#!/usr/bin/env bash
# test_metrics.sh: wgnetd --metrics on two simulated hosts with a real dockerd 20.10 (29.7:
# test_metrics_d29.sh), scraped as Prometheus would. Host 1 serves on its own address 192.168.77.1:9586, host 2 on its
# 127.0.0.1:9586. Off by default: nothing listens until --metrics is given. The exposition
# passes `promtool check metrics` (Debian's, tests/promtool.sh); the WireGuard families say what
# `wg show` says and move with traffic (pings between containers); the API counters move with
# `docker run`; containers and addresses per network follow; the names responder's counters
# follow the queries it answers. The endpoint is never reachable
# from the mesh until `wgnet host allow tcp/9586`: host 2 connects through the tunnel to host
# 1's address, counted on host 1 (what arrives on wgnet0, what passes its input chain).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PORT=9586
H1=192.168.77.1
POOL=10.210.0.0/16

# scrape i: host i's metrics, from where they are served (host 1: the uplink, its LAN)
scrape()
{
	if [ "$1" = 1 ]; then
		uplink_exec curl -sf --max-time 5 "http://$H1:$PORT/metrics"
	else
		host_exec 2 curl -sf --max-time 5 "http://127.0.0.1:$PORT/metrics"
	fi
}
# value i NAME [LABEL-REGEX]: the sample of NAME (with labels matching) in host i's metrics
value()
{
	local out
	out=$(scrape "$1") || { query_failed "host $1: scrape" $?; return; }
	awk -v n="$2" -v re="${3:-}" '{ split($1, a, "{") } a[1] == n && $1 ~ re { print $2 }' <<<"$out"
}
peer_value() { value 1 "$1" 'name="host2"'; }
api_value() { value 1 wgnet_api_calls_total "endpoint=\"$1\",result=\"ok\""; }
# wg_field FIELD: host 1's wg show wgnet0 FIELD for host 2's key
wg_field() { wg_on 1 show wgnet0 "$1" | awk -v k="$KEY2" '$1 == k { print $2, $3 }'; }
# same_as_wg FIELD METRIC...: the metrics say what wg show wgnet0 FIELD says of host 2 (read
# one after the other: a keepalive between them is why retry runs this)
same_as_wg()
{
	local field=$1 m got=""
	shift
	for m in "$@"; do
		got+="$(peer_value "$m") "
	done
	[ "$(wg_field "$field" | xargs)" = "$(xargs <<<"$got")" ]
}
ctr()
{
	docker_on "$1" run -d --stop-timeout 1 --name "$2" --network app bb:latest sleep 3600 \
		>/dev/null || die "host $1: docker run $2"
}
listening() { host_exec "$1" ss -Htln "sport = :$PORT" | grep -c LISTEN; }
uplink_gets() { uplink_exec curl -s --max-time 3 -o /dev/null "http://$1:$PORT/metrics"; }

e2e_init
PROMTOOL=$(bash "$E2E_REPO/tests/promtool.sh") || die "promtool (tests/promtool.sh)"
host_up 1 2

# ---- off by default
wgnetd_start_backend 1
assert_eq "off by default: nothing listens on $PORT on host 1" 0 "$(listening 1)"
assert_fails "off by default: the uplink gets nothing from $H1:$PORT" uplink_gets "$H1"
wgnetd_stop 1
wgnetd_start_backend 1 --metrics "$H1:$PORT"
wgnetd_start_backend 2 --metrics "127.0.0.1:$PORT"
assert_eq "--metrics $H1:$PORT: wgnetd listens there, nowhere else" "$H1:$PORT" \
	"$(host_exec 1 ss -Htln "sport = :$PORT" | awk '{ print $4 }')"
assert_fails "host 2's metrics on its 127.0.0.1: the uplink gets nothing" \
	uplink_gets "$(host_ip 2)"
assert_ok "host 2's metrics on its 127.0.0.1: host 2 itself scrapes them" scrape 2

mesh_pair 1 2
KEY2=$(wgnet_on 2 status --json | jq -r .host.public_key)
for i in 1 2; do
	docker_on "$i" network create -d wgnet --ipam-driver wgnet --subnet "$POOL" app >/dev/null ||
		die "host $i: network app"
done
NET1=$(docker_on 1 network inspect -f '{{.Id}}' app)

# ---- the exposition
OUT=$(scrape 1) || die "host 1: scrape" "$OUT"
assert_eq "Content-Type is Prometheus text 0.0.4" "text/plain; version=0.0.4; charset=utf-8" \
	"$(uplink_exec curl -s -o /dev/null -w '%{content_type}' "http://$H1:$PORT/metrics")"
assert_ok "promtool check metrics: the exposition passes" "$PROMTOOL" check metrics <<<"$OUT"
assert_eq "promtool has nothing to say about it" "" "$("$PROMTOOL" check metrics <<<"$OUT" 2>&1)"
assert_fails "control: promtool refuses a broken line" "$PROMTOOL" check metrics \
	<<<"$OUT"$'\nwgnet_broken{a="1" 2'
for f in wireguard_peer_receive_bytes_total wireguard_peer_transmit_bytes_total \
	wireguard_peer_last_handshake_seconds; do
	assert_match "$f: the exporter's labels, and wgnet's name and index" \
		"^$f\{device=\"wgnet0\",public_key=\"${KEY2//+/\\+}\",name=\"host2\",index=\"2\"\} [0-9]+$" \
		"$(grep "^$f{" <<<"$OUT")"
	assert_match "$f: HELP and TYPE" "# TYPE $f (counter|gauge)" "$(grep "^# TYPE $f " <<<"$OUT")"
done
assert_eq "GET /other: 404" 404 \
	"$(uplink_exec curl -s -o /dev/null -w '%{http_code}' "http://$H1:$PORT/other")"
assert_eq "POST /metrics: 405" 405 \
	"$(uplink_exec curl -s -o /dev/null -w '%{http_code}' -X POST "http://$H1:$PORT/metrics")"

# ---- containers, addresses and API calls follow docker run
JOIN0=$(api_value NetworkDriver.Join)
CREATE0=$(api_value NetworkDriver.CreateEndpoint)
assert_eq "no container yet: 0 endpoints, 1 address used (the gateway) of 254" "0 1 254" \
	"$(value 1 wgnet_network_endpoints "network_id=\"${NET1:0:12}\"") $(value 1 \
		wgnet_slice_addresses_used "slice=\"10.210.1.0/24\"") $(value 1 wgnet_slice_addresses \
		"slice=\"10.210.1.0/24\"")"
ctr 1 c1
ctr 2 c2
assert_eq "docker run: one more NetworkDriver.Join answered" "$((${JOIN0:-0} + 1))" \
	"$(api_value NetworkDriver.Join)"
assert_eq "docker run: one more NetworkDriver.CreateEndpoint answered" "$((${CREATE0:-0} + 1))" \
	"$(api_value NetworkDriver.CreateEndpoint)"
assert_match "docker run: Join's latency is in the histogram" '^[1-9][0-9]*$' \
	"$(value 1 wgnet_api_call_duration_seconds_count 'endpoint="NetworkDriver.Join"')"
assert_eq "one container: 1 endpoint, 2 addresses used" "1 2" \
	"$(value 1 wgnet_network_endpoints "network_id=\"${NET1:0:12}\"") $(value 1 \
		wgnet_slice_addresses_used "slice=\"10.210.1.0/24\"")"
IP2=$(container_ip 2 c2 app)

# ---- the WireGuard families say what wg says, and move with traffic
retry 20 docker_on 1 exec c1 ping -c 1 -W 1 "$IP2" >/dev/null || die "c1 does not reach c2"
RX0=$(peer_value wireguard_peer_receive_bytes_total)
TX0=$(peer_value wireguard_peer_transmit_bytes_total)
HS=$(peer_value wireguard_peer_last_handshake_seconds)
assert_ok "the handshake time is wg's" retry 10 same_as_wg latest-handshakes \
	wireguard_peer_last_handshake_seconds
assert_ok "the handshake is recent (age under 180 s): $(($(date +%s) - HS)) s" \
	test "$(($(date +%s) - HS))" -lt 180 -a "$HS" -gt 0
assert_eq "wgnet_peer_up: 1" 1 "$(peer_value wgnet_peer_up)"
docker_on 1 exec c1 ping -c 20 -i 0.05 -s 1000 -W 2 "$IP2" >/dev/null || fail "20 pings c1 -> c2"
RX1=$(peer_value wireguard_peer_receive_bytes_total)
TX1=$(peer_value wireguard_peer_transmit_bytes_total)
assert_ok "20 pings of 1000 bytes: 20000 bytes more sent to host 2 ($TX0 -> $TX1)" \
	test "$((TX1 - TX0))" -ge 20000
assert_ok "... and 20000 more received from it ($RX0 -> $RX1)" test "$((RX1 - RX0))" -ge 20000
assert_ok "the counters are wg's (received, sent)" retry 10 same_as_wg transfer \
	wireguard_peer_receive_bytes_total wireguard_peer_transmit_bytes_total

# ---- the names responder: the names it serves, what it was asked and how it answered (host 1's
# responder of the pool, asked from host 1; c1 is its own, a name nobody has is asked of host 2)
names_local() { [ "$(value 1 wgnet_names_served 'source="local"')" -ge 1 ] 2>/dev/null; }
names_counts()
{
	echo "$(value 1 wgnet_names_queries_total) $(value 1 wgnet_names_answered_total)" \
		"$(value 1 wgnet_names_refused_total) $(value 1 wgnet_names_peer_queries_total)"
}
assert_ok "names from Docker: wgnet_names_docker_connected 1" \
	retry_eq 20 1 value 1 wgnet_names_docker_connected
assert_ok "c1's names are served: wgnet_names_served{source=\"local\"} at least 1" \
	retry 20 names_local
read -r Q0 A0 R0 P0 <<<"$(names_counts)"
assert_eq "the responder answers c1 with its address" "$(container_ip 1 c1 app)" \
	"$(host_exec 1 dig +short +tries=1 +time=3 c1 @10.210.0.53)"
assert_eq "... and refuses a name that no host has" "" \
	"$(host_exec 1 dig +short +tries=1 +time=3 nosuch @10.210.0.53)"
assert_eq "2 queries more: 1 answered, 1 refused, host 2 asked once for the unknown name" \
	"$((Q0 + 2)) $((A0 + 1)) $((R0 + 1)) $((P0 + 1))" "$(names_counts)"

# ---- never from the mesh until allowed: host 2 connects through the tunnel to host 1's
# address (its WireGuard routes $H1 to host 1, from host 2's gateway address in its slice)
host_exec 2 wg set wgnet0 peer "$(wgnet_on 1 status --json | jq -r .host.public_key)" \
	allowed-ips "10.210.1.0/24,$H1/32" || die "host 2: a route to $H1 through the tunnel"
host_exec 2 ip rule add from 10.210.2.1 to "$H1" lookup 77 || die "host 2: ip rule"
host_exec 2 ip route add "$H1/32" dev wgnet0 table 77 || die "host 2: route through wgnet0"
nft_on 1 -f - <<EOF || die "host 1: counters"
table inet wgtest {
	chain pre {
		type filter hook prerouting priority -400;
		iifname "wgnet0" tcp dport $PORT tcp flags syn counter
	}
	chain in {
		type filter hook input priority 10;
		iifname "wgnet0" tcp dport $PORT tcp flags syn counter
	}
}
EOF
# counted CHAIN: host 2's SYNs to the metrics port counted in that chain of host 1
counted()
{
	nft_on 1 -j list chain inet wgtest "$1" |
		jq '[.nftables[] | .rule? // empty | .expr[] | .counter?.packets // empty] | add // 0'
}
from_mesh()
{
	host_exec 2 curl -s --max-time 3 --interface 10.210.2.1 -o /dev/null -w '%{http_code}' \
		"http://$H1:$PORT/metrics"
}
assert_eq "from the mesh: no answer" 000 "$(from_mesh)"
assert_ok "control: host 2's SYNs arrived on host 1's wgnet0 (counted before anything)" \
	test "$(counted pre)" -ge 1
assert_eq "and none passed host 1's input chain (wgnet's drop)" 0 "$(counted in)"
assert_ok "wgnet host allow tcp/$PORT" wgnet_on 1 host allow "tcp/$PORT"
assert_ok "allowed: host 2 scrapes host 1 through the tunnel" retry_eq 10 200 from_mesh
assert_ok "and its SYN passed host 1's input chain" test "$(counted in)" -ge 1
assert_ok "wgnet host deny tcp/$PORT" wgnet_on 1 host deny "tcp/$PORT"
assert_eq "denied again: no answer from the mesh" 000 "$(from_mesh)"
nft_on 1 delete table inet wgtest

e2e_finish
