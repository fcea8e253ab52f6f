#!/usr/bin/env bash
# test_mtu.sh: without --mtu, `wgnet init` takes the WireGuard MTU from the uplink. The test's
# namespace gets an underlay link ul0 to a second namespace (a WireGuard peer run by hand with
# wireguard-go and wg); with ul0 at MTU 1400 wgnet0 gets 1320 (from the default route, no peer
# yet), a network's bridge too, and full-size packets through the tunnel to the peer arrive
# with no IP fragment on the underlay (IpFragCreates + IpReasmReqds of both namespaces). At MTU
# 9000 (jumbo), init again: 8920 from the route towards the peer, the network made before
# keeps 1320 and init names it, a new network takes 8920, full-size packets again unfragmented.
# --mtu still wins; with no peer and no default route the MTU is kept and init names --mtu.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PEER_NS=wgitp$$
PEER_RUN=$IT_DIR/peer-run
peer()		# CMD...: in the peer's namespace, with its own /run (wireguard-go's socket)
{
	ip netns exec "$PEER_NS" unshare -m --propagation private \
		sh -c 'mount --bind "$0" /run && exec "$@"' "$PEER_RUN" "$@"
}
peer_cleanup()
{
	local p
	for p in $(ip netns pids "$PEER_NS" 2>/dev/null); do
		kill -KILL "$p" 2>/dev/null
	done
	ip netns del "$PEER_NS" 2>/dev/null
}
it_setup
on_exit peer_cleanup

# the underlay: ul0 here (198.18.7.1, default route through the peer) and ul0 there (.2)
ip netns add "$PEER_NS" || die "namespace $PEER_NS"
mkdir -p "$PEER_RUN"
ip -n "$IT_NS" link add ul0 type veth peer name ul0 netns "$PEER_NS"
ip -n "$IT_NS" addr add 198.18.7.1/24 dev ul0
ip -n "$PEER_NS" addr add 198.18.7.2/24 dev ul0
for n in "$IT_NS" "$PEER_NS"; do
	ip -n "$n" link set lo up
	ip -n "$n" link set ul0 mtu 1400 up
done
ip -n "$IT_NS" route add default via 198.18.7.2

# frags: IpFragCreates + IpReasmReqds of both namespaces (a line that is no number when one
# could not be read)
frags()
{
	local n t=0 v
	for n in "$IT_NS" "$PEER_NS"; do
		v=$(ip netns exec "$n" awk '$1 == "Ip:" && !h { for (i = 2; i <= NF; i++) c[$i] = i; h = 1; next }
			$1 == "Ip:" { print $c["FragCreates"] + $c["ReasmReqds"] }' /proc/net/snmp)
		[[ "$v" =~ ^[0-9]+$ ]] || { query_failed "Ip counters of $n: '$v'" 1; return; }
		t=$((t + v))
	done
	echo "$t"
}
# init_ok DESC ARGS...: wgnet init ARGS succeeds; INIT_OUT holds what it printed
init_ok()
{
	local desc=$1
	shift
	if INIT_OUT=$(cli init "$@" 2>&1); then
		pass "$desc"
	else
		fail "$desc" "$INIT_OUT"
	fi
}
wg_mtu()
{
	link_field wgnet0 .mtu
}
# make_network POOL GATEWAY/LEN: a wgnet network through the API; its bridge's name on stdout
make_network()
{
	local poolid slice net
	api IpamDriver.RequestPool "{\"AddressSpace\":\"wgnet-local\",\"Pool\":\"$1\",\"SubPool\":\"\",\"Options\":{},\"V6\":false}"
	poolid=$(jq -r .PoolID <<<"$BODY")
	slice=$(jq -r .Pool <<<"$BODY")
	api IpamDriver.RequestAddress "{\"PoolID\":\"$poolid\",\"Address\":\"\",\"Options\":{\"RequestAddressType\":\"com.docker.network.gateway\"}}"
	net=$(rand_id)
	api NetworkDriver.CreateNetwork "{\"NetworkID\":\"$net\",\"Options\":{\"com.docker.network.enable_ipv6\":false,\"com.docker.network.generic\":{}},\"IPv4Data\":[{\"AddressSpace\":\"wgnet-local\",\"Gateway\":\"$2\",\"Pool\":\"$slice\"}],\"IPv6Data\":[]}"
	[ "$HTTP_STATUS" = 200 ] || die "CreateNetwork $1" "$BODY"
	echo "wgb${net:0:10}"
}
# full_size_ping: DF pings that fill wgnet0's MTU, host slice 3 to the peer's 10.210.4.1; they
# must all come back and leave no fragment on the underlay
full_size_ping()
{
	local m f0 f1 out
	m=$(wg_mtu)
	f0=$(frags)
	if out=$(ns ping -n -q -c 3 -i 0.2 -W 2 -M do -s $((m - 28)) -I 10.210.3.1 10.210.4.1 2>&1); then
		pass "$1: 3 pings of $m bytes (DF) through wgnet0 answered"
	else
		fail "$1: 3 pings of $m bytes (DF) through wgnet0 answered" "$out"
	fi
	f1=$(frags)
	if [[ "$f0 $f1" =~ ^[0-9]+\ [0-9]+$ ]]; then
		assert_eq "$1: no IP fragment on the underlay" 0 $((f1 - f0))
	else
		fail "$1: no IP fragment on the underlay" "counters before: $f0" "after: $f1"
	fi
}

# ---------------------------------------------------------------- underlay MTU 1400
init_ok "wgnet init --index 3 (no --mtu, ul0 at 1400)" --index 3
assert_match "init says where the MTU comes from" \
	'mtu 1320 \(ul0 \(MTU 1400\) of the default route\)' "$INIT_OUT"
assert_eq "wgnet0's MTU: 1400 - 80" 1320 "$(wg_mtu)"
BR1=$(make_network 10.210.0.0/16 10.210.3.1/24)
assert_eq "a new network's bridge takes it" 1320 "$(link_field "$BR1" .mtu)"

# the peer: index 4, slice 10.210.4.0/24, a wireguard-go configured by hand
PKEY=$IT_DIR/peer.key
(umask 077 && wg genkey >"$PKEY")
PPUB=$(wg pubkey <"$PKEY")
(peer wireguard-go -f wgp0) </dev/null >/dev/null 2>&1 &
retry 5 peer wg show wgp0 || die "the peer's wireguard-go did not start"
MYPUB=$(cli join-line | sed -n 's/.* key=\([^ ]*\).*/\1/p')
peer wg set wgp0 private-key "$PKEY" listen-port 51820 peer "$MYPUB" \
	allowed-ips 10.210.3.0/24 endpoint 198.18.7.1:51820 || die "wg set on the peer"
ip -n "$PEER_NS" addr add 10.210.4.1/24 dev wgp0
ip -n "$PEER_NS" link set wgp0 mtu 8920 up
ip -n "$PEER_NS" route add 10.210.3.0/24 dev wgp0
assert_ok "wgnet peer add (the peer at 198.18.7.2)" \
	cli peer add "wgnet-join v1 index=4 key=$PPUB endpoint=198.18.7.2:51820 name=peer4"
retry 10 ns ping -c 1 -W 1 -I 10.210.3.1 10.210.4.1 || die "no ping through the tunnel"
full_size_ping "underlay 1400"

# ---------------------------------------------------------------- underlay MTU 9000
for n in "$IT_NS" "$PEER_NS"; do
	ip -n "$n" link set ul0 mtu 9000
done
init_ok "wgnet init --index 3 again (ul0 at 9000)" --index 3
assert_match "init takes the route towards the peer" \
	'mtu 8920 \(ul0 \(MTU 9000\) towards the peers\)' "$INIT_OUT"
assert_match "init names the network that keeps its MTU" \
	"network [0-9a-f]{12} \\($BR1\\) keeps MTU 1320" "$INIT_OUT"
assert_eq "wgnet0's MTU: 9000 - 80 (jumbo frames)" 8920 "$(wg_mtu)"
assert_eq "the network made before keeps its bridge's MTU" 1320 "$(link_field "$BR1" .mtu)"
BR2=$(make_network 10.211.0.0/16 10.211.3.1/24)
assert_eq "a network made after takes the new MTU" 8920 "$(link_field "$BR2" .mtu)"
full_size_ping "underlay 9000"

init_ok "wgnet init --index 3 --mtu 1380" --index 3 --mtu 1380
assert_match "--mtu wins" 'mtu 1380 \(--mtu\)' "$INIT_OUT"
assert_eq "wgnet0's MTU: --mtu" 1380 "$(wg_mtu)"

# wgnetd's own --mtu (the managed plugin's WGNET_MTU) is what init takes without --mtu
wgnetd_stop
wgnetd_start --mtu 1360
init_ok "wgnet init --index 3, wgnetd --mtu 1360" --index 3
assert_match "init takes wgnetd's --mtu over the uplink's" "mtu 1360 \\(wgnetd's --mtu" \
	"$INIT_OUT"
assert_eq "wgnet0's MTU: wgnetd's --mtu" 1360 "$(wg_mtu)"
init_ok "wgnet init --index 3 --mtu 1380 with wgnetd --mtu 1360" --index 3 --mtu 1380
assert_match "init's --mtu still wins" 'mtu 1380 \(--mtu\)' "$INIT_OUT"

# nothing to derive it from (no peer, no default route): the MTU is kept and --mtu named
wgnetd_stop
wgnetd_start
assert_ok "peer rm peer4" cli peer rm peer4
ns ip route del default
init_ok "wgnet init --index 3 with no route to derive the MTU from" --index 3
assert_match "init keeps the MTU and points to --mtu" \
	'mtu 1380 \(no route to the peers nor a default route: kept; wgnet init --mtu N sets it\)' \
	"$INIT_OUT"
it_finish
