#!/usr/bin/env bash
# test_reconcile.sh: wgnetd converges the kernel on its state at start. With a network and two
# endpoints (one joined) made through the API: kill -9, break things by hand (bridge and table
# deleted, a veth deleted, stray wgnet-named links added, foreign links nearby), start again:
# what is wgnet's and wanted is back, what is wgnet's and unwanted is gone, the rest untouched.
# Then the mesh and the firewall broken while it is down (the pool route deleted, a peer removed
# with wg set, a DNAT rule deleted, the bridge set down with its address changed): a start
# repairs each. SIGTERM leaves everything in place; the state file is not world-readable.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

OPTS='{"com.docker.network.endpoint.exposedports":[],"com.docker.network.portmap":[]}'
GW_OPTS='{"RequestAddressType":"com.docker.network.gateway"}'

must()		# DESC: the last api call must have been answered 200
{
	[ "$HTTP_STATUS" = 200 ] || die "$1" "HTTP $HTTP_STATUS $BODY"
}

slices_in_set()
{
	ns nft -j list set inet wgnet local_slices 2>/dev/null |
		jq -r '.nftables[] | select(.set) | .set.elem[]? |
			if type == "object" and .prefix then "\(.prefix.addr)/\(.prefix.len)"
			else tostring end'
}

# the bridge with its address and MTU, up; each endpoint's host veth on it; the table
bridge_ok()
{
	[ "$(link_field "$BR" .linkinfo.info_kind)" = bridge ] &&
		[ "$(link_field "$BR" .mtu)" = 1420 ] &&
		link_json "$BR" | jq -e '(.flags // []) | index("UP") != null' >/dev/null &&
		has_addr "$BR" 10.210.3.1/24
}

veth_ok()	# EPID
{
	local v=wgv${1:0:11} c=wgc${1:0:11}
	[ "$(link_field "$v" .master)" = "$BR" ] && [ "$(link_field "$v" .mtu)" = 1420 ] &&
		[ "$(link_field "$c" .mtu)" = 1420 ] && [ "$(link_field "$v" .linkinfo.info_kind)" = veth ]
}

table_ok()
{
	nft_table_json | jq -e --arg b "$BR" '[.. | strings] | index($b) != null' >/dev/null &&
		slices_in_set | grep -x 10.210.3.0/24 >/dev/null
}

it_setup
assert_ok "wgnet init --index 3" cli init --index 3

api IpamDriver.RequestPool '{"AddressSpace":"wgnet-local","Pool":"10.210.0.0/16","SubPool":"","Options":{},"V6":false}'
must RequestPool
POOLID=$(jq -r .PoolID <<<"$BODY")
api IpamDriver.RequestAddress "{\"PoolID\":\"$POOLID\",\"Address\":\"\",\"Options\":$GW_OPTS}"
must "gateway RequestAddress"
NET=$(rand_id)
BR=wgb${NET:0:10}
api NetworkDriver.CreateNetwork "{\"NetworkID\":\"$NET\",\"Options\":{\"com.docker.network.enable_ipv6\":false,\"com.docker.network.generic\":{}},\"IPv4Data\":[{\"AddressSpace\":\"wgnet-local\",\"Gateway\":\"10.210.3.1/24\",\"Pool\":\"10.210.3.0/24\"}],\"IPv6Data\":[]}"
must CreateNetwork
EP1=$(rand_id)		# a running container: joined
EP2=$(rand_id)		# created, not joined (dockerd between CreateEndpoint and Join)
for ep in "$EP1" "$EP2"; do
	api IpamDriver.RequestAddress "{\"PoolID\":\"$POOLID\",\"Address\":\"\",\"Options\":null}"
	must RequestAddress
	a=$(jq -r .Address <<<"$BODY")
	[ "$ep" = "$EP1" ] && EP1_ADDR=$a
	api NetworkDriver.CreateEndpoint "{\"NetworkID\":\"$NET\",\"EndpointID\":\"$ep\",\"Interface\":{\"Address\":\"$a\",\"AddressIPv6\":\"\",\"MacAddress\":\"\"},\"Options\":$OPTS}"
	must CreateEndpoint
done
api NetworkDriver.Join "{\"NetworkID\":\"$NET\",\"EndpointID\":\"$EP1\",\"SandboxKey\":\"/var/run/docker/netns/0123456789ab\",\"Options\":$OPTS}"
must Join
bridge_ok && veth_ok "$EP1" && veth_ok "$EP2" && table_ok || die "network and endpoints made"

# foreign links, some with names close to ours: never touched
ns ip link add foo0 mtu 1400 type bridge
ns ip addr add 192.0.2.1/24 dev foo0
ns ip link set foo0 up
ns ip link add wgbfoo type bridge		# wgb prefix, but not 10 hex
ns ip link add wgv0123 type bridge		# wgv prefix, too short
foreign()
{
	ns ip -j -d link show | jq -c '[.[] | select(.ifname == "foo0" or .ifname == "wgbfoo" or
		.ifname == "wgv0123") | {ifname, ifindex, mtu, master, kind: .linkinfo.info_kind}]'
	ns ip -j addr show dev foo0 | jq -c '[.[].addr_info[] | select(.family == "inet") | .local]'
}
FOREIGN=$(foreign)

# ---------------------------------------------------------------- kill -9, nothing changed
# wireguard-go's UDP sockets by inode: closed and opened again, they would drop what arrives
wg_sockets()
{
	ns ss -H -u -l -n -e 'sport = :51820' | grep -o 'ino:[0-9]*' | sort | tr '\n' ' '
}
kernel_settle
before=$(kernel_snapshot)
socks=$(wg_sockets)
[ -n "$socks" ] && pass "wireguard-go listens on UDP 51820: $socks" ||
	fail "wireguard-go listens on UDP 51820" "$(ns ss -u -l -n -e -p 2>&1)"
wgnetd_stop KILL
assert_eq "kill -9: wgnetd ended by SIGKILL" 137 "$IT_WGNETD_STATUS"
assert_eq "kill -9 leaves the kernel as it was" "$before" "$(kernel_snapshot)"
wgnetd_start
kernel_settle
assert_eq "restart with nothing broken changes nothing" "$before" "$(kernel_snapshot)"
assert_eq "restart keeps wireguard-go's UDP sockets (same key and port: not set again)" \
	"$socks" "$(wg_sockets)"

# ---------------------------------------------------------------- break it
wgnetd_stop KILL
ns ip link del "$BR"			# its ports stay, unenslaved
ns nft delete table inet wgnet
ns ip link del "wgv${EP2:0:11}"		# the unjoined endpoint's pair
ns ip link add wgv0123456789a type bridge	# stray: our pattern, in no state
ns ip link add wgc0123456789a type bridge
ns ip link add wgb0123456789 type bridge
link_exists "$BR" && die "bridge deleted by hand"
[ -z "$(link_field "wgv${EP1:0:11}" .master)" ] || die "veth of EP1 detached by hand"

wgnetd_start
# reconciling happens before the socket answers; allow a moment for links to come up
retry 3 bridge_ok && pass "bridge $BR is back: bridge, MTU 1420, up, 10.210.3.1/24" ||
	fail "bridge $BR is back: bridge, MTU 1420, up, 10.210.3.1/24" "$(link_json "$BR")" \
		"$(ns ip -br addr show dev "$BR" 2>&1)"
retry 3 veth_ok "$EP1" && pass "joined endpoint's veth is on the bridge again" ||
	fail "joined endpoint's veth is on the bridge again" "$(link_json "wgv${EP1:0:11}")"
retry 3 veth_ok "$EP2" && pass "unjoined endpoint's veth pair is made again, on the bridge" ||
	fail "unjoined endpoint's veth pair is made again, on the bridge" "$(ns ip -br link)"
retry 3 table_ok && pass "table inet wgnet is back with the bridge and the slice" ||
	fail "table inet wgnet is back with the bridge and the slice" "$(ns nft list ruleset 2>&1 | head -30)"
for l in wgv0123456789a wgc0123456789a wgb0123456789; do
	retry 3 eval "! link_exists $l" && pass "stray $l removed" || fail "stray $l removed"
done
assert_eq "foreign links untouched (foo0, wgbfoo, wgv0123)" "$FOREIGN" "$(foreign)"

# the API still knows everything; dockerd's replay after a restart gets the same answers
api NetworkDriver.EndpointOperInfo "{\"NetworkID\":\"$NET\",\"EndpointID\":\"$EP1\"}"
assert_json "EndpointOperInfo of the joined endpoint after restart" '. == {"Value":{}}'
st=$(cli status --json)
jq -e --arg id "$NET" --arg br "$BR" '[.. | strings] as $s | ($s | index($id)) != null and
	($s | index($br)) != null' >/dev/null 2>&1 <<<"$st" &&
	pass "status --json after restart shows the network" ||
	fail "status --json after restart shows the network" "$st"
api IpamDriver.RequestPool '{"AddressSpace":"wgnet-local","Pool":"10.210.0.0/16","SubPool":"","Options":{},"V6":false}'
assert_json "replayed RequestPool after restart -> the same PoolID" '.PoolID == $p' --arg p "$POOLID"
api IpamDriver.RequestAddress "{\"PoolID\":\"$POOLID\",\"Address\":\"10.210.3.1\",\"Options\":$GW_OPTS}"
assert_json "replayed gateway RequestAddress -> 10.210.3.1/24" '.Address == "10.210.3.1/24"'
api IpamDriver.RequestAddress "{\"PoolID\":\"$POOLID\",\"Address\":\"${EP1_ADDR%/*}\",\"Options\":null}"
assert_json "replayed endpoint RequestAddress -> $EP1_ADDR" '.Address == $a' --arg a "$EP1_ADDR"
api IpamDriver.RequestPool '{"AddressSpace":"wgnet-local","Pool":"10.210.0.0/16","SubPool":"","Options":{},"V6":false}'
assert_err "a second RequestPool for the live pool is refused again"

# ---------------------------------------------------------------- break the mesh and firewall
PEERKEY=$(wg genkey | wg pubkey)
assert_ok "peer add host4" cli peer add "wgnet-join v1 index=4 key=$PEERKEY endpoint=192.0.2.4:51820 name=host4"
api NetworkDriver.ProgramExternalConnectivity "{\"NetworkID\":\"$NET\",\"EndpointID\":\"$EP1\",\"Options\":{\"com.docker.network.portmap\":[{\"Proto\":6,\"IP\":\"\",\"Port\":80,\"HostIP\":\"\",\"HostPort\":8080,\"HostPortEnd\":8080}]}}"
must "ProgramExternalConnectivity -p 8080:80"
route_ok()
{
	[ "$(ns ip -j route show exact 10.210.0.0/16 | jq -r '.[] | "\(.dev) \(.protocol)"')" = "wgnet0 77" ]
}
peer_ok()
{
	(it_in_run wg show wgnet0 peers) | grep -xF "$PEERKEY" >/dev/null
}
# dnat_handles CHAIN: the handles of the DNAT rules (to 10.210.3.x:80) in CHAIN
dnat_handles()
{
	ns nft -j -a list chain inet wgnet "$1" 2>/dev/null |
		jq -r '.nftables[] | .rule? // empty | select(.expr | any(.[]; .dnat?.port == 80)) | .handle'
}
only_gateway()
{
	[ "$(ns ip -j -4 addr show dev "$BR" | jq -r '[.[].addr_info[] | "\(.local)/\(.prefixlen)"] | join(" ")')" = 10.210.3.1/24 ]
}
route_ok && peer_ok && [ -n "$(dnat_handles prerouting)" ] && bridge_ok && only_gateway ||
	die "route, peer, DNAT and bridge in place before breaking them" "$(ns ip route)" \
		"$(ns nft list chain inet wgnet prerouting 2>&1)"
wgnetd_stop KILL
ns ip route del 10.210.0.0/16 dev wgnet0
(it_in_run wg set wgnet0 peer "$PEERKEY" remove)
for h in $(dnat_handles prerouting); do
	ns nft delete rule inet wgnet prerouting handle "$h"
done
ns ip link set "$BR" down
ns ip addr del 10.210.3.1/24 dev "$BR"
ns ip addr add 10.210.3.99/24 dev "$BR"
! route_ok && ! peer_ok && [ -z "$(dnat_handles prerouting)" ] && ! bridge_ok ||
	die "route, peer, DNAT and bridge broken by hand"
wgnetd_start
retry 3 route_ok && pass "pool route 10.210.0.0/16 dev wgnet0 proto 77 is back" ||
	fail "pool route 10.210.0.0/16 dev wgnet0 proto 77 is back" "$(ns ip route 2>&1)"
retry 3 peer_ok && pass "peer removed with wg set ... remove is back on wgnet0" ||
	fail "peer removed with wg set ... remove is back on wgnet0" "$( (it_in_run wg show wgnet0) 2>&1)"
retry 3 eval '[ -n "$(dnat_handles prerouting)" ]' && pass "deleted DNAT rule (-p 8080:80) is back" ||
	fail "deleted DNAT rule (-p 8080:80) is back" "$(ns nft list chain inet wgnet prerouting 2>&1)"
retry 3 bridge_ok && pass "bridge set down is up again, with 10.210.3.1/24" ||
	fail "bridge set down is up again, with 10.210.3.1/24" "$(ns ip -br addr show dev "$BR" 2>&1)"
retry 3 only_gateway && pass "the address put on the bridge by hand (10.210.3.99/24) is gone" ||
	fail "the address put on the bridge by hand (10.210.3.99/24) is gone" "$(ns ip -br addr show dev "$BR" 2>&1)"

# ---------------------------------------------------------------- SIGTERM leaves it all
kernel_settle
before=$(kernel_snapshot)
wgnetd_stop TERM
assert_eq "SIGTERM: wgnetd exits 0" 0 "$IT_WGNETD_STATUS"
assert_eq "SIGTERM leaves bridge, veths and table in place" "$before" "$(kernel_snapshot)"
bridge_ok && veth_ok "$EP1" && veth_ok "$EP2" && table_ok &&
	pass "after SIGTERM: bridge, both veths, table" || fail "after SIGTERM: bridge, both veths, table"

mode=$(stat -c %a "$IT_STATE_DIR/state.json" 2>/dev/null)
assert_eq "state.json is mode 0600" 600 "$mode"
left=$(find "$IT_STATE_DIR" -type f ! -name state.json ! -name private.key) ||
	left="(find $IT_STATE_DIR failed)"
assert_eq "no temp files left in the state directory" "" "$left"
jq -e . "$IT_STATE_DIR/state.json" >/dev/null 2>&1 && pass "state.json is JSON" || fail "state.json is JSON"

it_finish
