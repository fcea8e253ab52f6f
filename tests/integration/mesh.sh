# mesh.sh: a second wgnetd host and Docker-like networks and containers through the plugin API,
# for tests of two hosts joined by a real WireGuard mesh (source it after lib.sh; the test
# defines ctr_ns LABEL = the namespace of container LABEL).
# shellcheck shell=bash
#
#   host2_start NS DIR            a wgnetd in NS, its sockets, state, log and /run under DIR
#                                 (stopped with TERM at exit, its log searched: daemon.sh)
#   net_create API POOL SLICE GATEWAY/LEN INTERNAL   sets NET, POOLID
#   ctr_join API HOST-NS LABEL ADDRESS/LEN GATEWAY   sets EP_<label>, NET_<label>
#   must DESC                     the last api call answered 200, or die

MESH_OPTS='{"com.docker.network.endpoint.exposedports":[],"com.docker.network.portmap":[]}'
MESH_GW_OPTS='{"RequestAddressType":"com.docker.network.gateway"}'

must() { [ "$HTTP_STATUS" = 200 ] || die "$1" "HTTP $HTTP_STATUS $BODY"; }

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
