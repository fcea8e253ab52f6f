# mesh.sh: a second wgnetd host and Docker-like networks and containers through the plugin API,
# for tests of two hosts joined by a real WireGuard mesh (source it after lib.sh; the test
# defines ctr_ns LABEL = the namespace of container LABEL).
# shellcheck shell=bash
#
#   host2_start NS DIR            a wgnetd in NS, its sockets, state, log and /run under DIR
#                                 (stopped with TERM at exit, its log searched: daemon.sh)
#   mesh_hosts NS DIR LABEL...    containers' namespaces, host 2 (host2_start NS DIR) on an
#                                 uplink, both hosts initialised and each the other's peer
#   net_create API POOL SLICE GATEWAY/LEN INTERNAL   sets NET, POOLID
#   ctr_join API HOST-NS LABEL ADDRESS/LEN GATEWAY   sets EP_<label>, NET_<label>
#   must DESC                     the last api call answered 200, or die
#   mesh_reap PREFIX stale|all    namespaces PREFIX-<label>-<pid> of runs whose shell is gone
#                                 (all: this run's too) and their processes
#   count_on NS                   a table of the test's own counting what reaches NS's input
#                                 after wgnet's input chain, whose drops are final
#   counted NS PORT               packets counted for udp dport PORT in NS
#   probe SENDER-PREFIX NS DST    3 UDP datagrams to DST:$PORT (a port not used before: a new
#                                 flow, a counter of its own), waits up to 1.5 s; N = arrived

MESH_OPTS='{"com.docker.network.endpoint.exposedports":[],"com.docker.network.portmap":[]}'
MESH_GW_OPTS='{"RequestAddressType":"com.docker.network.gateway"}'

must() { [ "$HTTP_STATUS" = 200 ] || die "$1" "HTTP $HTTP_STATUS $BODY"; }

mesh_reap()
{
	local n pid p
	for n in $(ip netns list 2>/dev/null | awk '{print $1}' | grep -E "^$1-[a-z0-9]+-[0-9]+$"); do
		pid=${n##*-}
		[ "$2" = all ] && [ "$pid" = $$ ] || { [ -d "/proc/$pid" ] && continue; }
		for p in $(ip netns pids "$n" 2>/dev/null); do
			kill -KILL "$p" 2>/dev/null
		done
		ip netns del "$n" 2>/dev/null
	done
}

count_on()
{
	ip netns exec "$1" nft add table inet wgtest
	ip netns exec "$1" nft add chain inet wgtest in '{ type filter hook input priority 10; }'
}

counted()
{
	ip netns exec "$1" nft -j list chain inet wgtest in |
		jq --argjson p "$2" '[.nftables[] | select(.rule) | .rule |
			select(any(.expr[]; .match.right? == $p)) | .expr[] |
			select(.counter) | .counter.packets] | add // 0'
}

probe()
{
	local recv=$2 dst=$3 i
	ip netns exec "$recv" nft add rule inet wgtest in udp dport $PORT counter
	for i in 1 2 3; do
		$1 bash -c "echo x >/dev/udp/$dst/$PORT" 2>/dev/null
	done
	for i in 1 2 3 4 5 6; do
		sleep 0.25
		N=$(counted "$recv" $PORT)
		[ "$N" -gt 0 ] && break
	done
}

# host2_start NS DIR: its own sockets (DIR/plugin.sock, DIR/control.sock), state and /run (for
# its wireguard-go), log DIR/wgnetd.log; stopped with TERM at exit (tests/daemon.sh)
host2_start()
{
	mkdir -p "$2/run" "$2/state"
	daemon_start "$2" ip netns exec "$1" unshare -m --propagation private sh -c \
		'mount --bind "$0" /run && exec "$@"' "$2/run" "$WGNETD" \
		--plugin-socket "$2/plugin.sock" --control-socket "$2/control.sock" \
		--state-dir "$2/state" --no-iptables --log-level debug
	retry 15 test -S "$2/control.sock" || die "wgnetd in $1 did not start" "$(tail "$2/wgnetd.log")"
}

# mesh_hosts NS DIR LABEL...: the namespace of each container LABEL ($(ctr_ns LABEL)), host 2
# in NS with its wgnetd, on a veth up0 (host 1 192.0.2.1, its default route through host 2 at
# 192.0.2.2); both hosts initialised (h1, h2) and each the other's peer
mesh_hosts()
{
	local h2ns=$1 h2dir=$2 c
	shift 2
	for c in "$@"; do
		ip netns add "$(ctr_ns "$c")" || die "namespace $(ctr_ns "$c")"
		ip -n "$(ctr_ns "$c")" link set lo up
	done
	ip netns add "$h2ns" || die "namespace $h2ns"
	ip -n "$h2ns" link set lo up
	ip link add up0 netns "$IT_NS" type veth peer name up0 netns "$h2ns" || die "uplink veth"
	ip -n "$IT_NS" addr add 192.0.2.1/24 dev up0
	ip -n "$IT_NS" link set up0 up
	ip -n "$IT_NS" route add default via 192.0.2.2
	ip -n "$h2ns" addr add 192.0.2.2/24 dev up0
	ip -n "$h2ns" link set up0 up
	host2_start "$h2ns" "$h2dir"
	cli init --index 1 --endpoint 192.0.2.1:51820 --name h1 >/dev/null || die "host 1: wgnet init"
	"$WGNET" --socket "$h2dir/control.sock" init --index 2 --endpoint 192.0.2.2:51820 \
		--name h2 >/dev/null || die "host 2: wgnet init"
	cli peer add "$("$WGNET" --socket "$h2dir/control.sock" join-line)" >/dev/null ||
		die "host 1: peer add"
	"$WGNET" --socket "$h2dir/control.sock" peer add "$(cli join-line)" >/dev/null ||
		die "host 2: peer add"
}

# a wgnet network through a plugin API (api or a function calling it with another socket)
net_create()	# API POOL SLICE GATEWAY INTERNAL
{
	local call=$1
	$call IpamDriver.RequestPool "{\"AddressSpace\":\"wgnet-local\",\"Pool\":\"$2\",\"SubPool\":\"\",\"Options\":{},\"V6\":false}"
	must "RequestPool $2"
	POOLID=$(jq -r .PoolID <<<"$BODY")
	$call IpamDriver.RequestAddress "{\"PoolID\":\"$POOLID\",\"Address\":\"\",\"Options\":$MESH_GW_OPTS}"
	must "gateway of $2"
	NET=$(rand_id)
	$call NetworkDriver.CreateNetwork "{\"NetworkID\":\"$NET\",\"Options\":{\"com.docker.network.enable_ipv6\":false,\"com.docker.network.internal\":$5,\"com.docker.network.generic\":{}},\"IPv4Data\":[{\"AddressSpace\":\"wgnet-local\",\"Gateway\":\"$4\",\"Pool\":\"$3\"}],\"IPv6Data\":[]}"
	must "CreateNetwork $2"
}

# a container of that network: endpoint, Join, its veth end moved into namespace
# $(ctr_ns LABEL) as eth0, as dockerd does it
ctr_join()	# API HOST-NS LABEL ADDRESS GATEWAY
{
	local call=$1 hns=$2 c=$3 ep cns
	cns=$(ctr_ns "$c")
	ep=$(rand_id)
	$call IpamDriver.RequestAddress "{\"PoolID\":\"$POOLID\",\"Address\":\"${4%/*}\",\"Options\":null}"
	must "RequestAddress $4"
	$call NetworkDriver.CreateEndpoint "{\"NetworkID\":\"$NET\",\"EndpointID\":\"$ep\",\"Interface\":{\"Address\":\"$4\",\"AddressIPv6\":\"\",\"MacAddress\":\"\"},\"Options\":$MESH_OPTS}"
	must "CreateEndpoint $c"
	$call NetworkDriver.Join "{\"NetworkID\":\"$NET\",\"EndpointID\":\"$ep\",\"SandboxKey\":\"/var/run/docker/netns/$c\",\"Options\":$MESH_OPTS}"
	must "Join $c"
	ip -n "$hns" link set "wgc${ep:0:11}" netns "$cns" || die "move wgc${ep:0:11}"
	ip -n "$cns" link set "wgc${ep:0:11}" name eth0
	ip -n "$cns" addr add "$4" dev eth0
	ip -n "$cns" link set eth0 up
	ip -n "$cns" route add default via "$5"
	eval "EP_$c=$ep NET_$c=$NET"
}
