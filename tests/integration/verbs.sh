# verbs.sh: every Docker verb once, in dockerd's order, each call made by a wrapper the fault
# test chooses (source it after lib.sh).
# shellcheck shell=bash
#
#   each_verb WRAPPER [HOOK]      WRAPPER DESC PATH JSON makes each call and leaves its reply in
#                                 BODY; HOOK DESC (if given) runs after it, for the test's own
#                                 steps between two verbs
#
# The calls: pool 10.210.0.0/16, its gateway, network NET (slice 10.210.3.0/24), address
# 10.210.3.7, endpoint EP, Join, port 8080 published and revoked, Leave, the endpoint, address
# and network deleted; then pool 10.211.0.0/16, requested without the wrapper, released through
# it. POOLID, NET, EP and IDS (the two IDs as JSON members) are set for the hook; OPTS, PORTS
# and GW_OPTS are the Options of the calls.

OPTS='{"com.docker.network.endpoint.exposedports":[],"com.docker.network.portmap":[]}'
PORTS='{"com.docker.network.endpoint.exposedports":[{"Proto":6,"Port":80}],"com.docker.network.portmap":[{"Proto":6,"IP":"","Port":80,"HostIP":"","HostPort":8080,"HostPortEnd":8080}]}'
GW_OPTS='{"RequestAddressType":"com.docker.network.gateway"}'

# each_verb_call WRAPPER HOOK DESC PATH JSON
each_verb_call()
{
	"$1" "$3" "$4" "$5"
	"$2" "$3"
}

each_verb()
{
	local w=$1 h=${2:-:}

	"$w" RequestPool IpamDriver.RequestPool \
		'{"AddressSpace":"wgnet-local","Pool":"10.210.0.0/16","SubPool":"","Options":{},"V6":false}'
	POOLID=$(jq -r .PoolID <<<"$BODY")
	"$h" RequestPool
	each_verb_call "$w" "$h" "gateway RequestAddress" IpamDriver.RequestAddress \
		"{\"PoolID\":\"$POOLID\",\"Address\":\"\",\"Options\":$GW_OPTS}"
	NET=$(rand_id)
	each_verb_call "$w" "$h" CreateNetwork NetworkDriver.CreateNetwork "{\"NetworkID\":\"$NET\",\"Options\":{\"com.docker.network.enable_ipv6\":false,\"com.docker.network.generic\":{}},\"IPv4Data\":[{\"AddressSpace\":\"wgnet-local\",\"Gateway\":\"10.210.3.1/24\",\"Pool\":\"10.210.3.0/24\"}],\"IPv6Data\":[]}"
	each_verb_call "$w" "$h" RequestAddress IpamDriver.RequestAddress \
		"{\"PoolID\":\"$POOLID\",\"Address\":\"10.210.3.7\",\"Options\":null}"
	EP=$(rand_id)
	IDS="\"NetworkID\":\"$NET\",\"EndpointID\":\"$EP\""
	each_verb_call "$w" "$h" CreateEndpoint NetworkDriver.CreateEndpoint "{$IDS,\"Interface\":{\"Address\":\"10.210.3.7/24\",\"AddressIPv6\":\"\",\"MacAddress\":\"\"},\"Options\":$OPTS}"
	each_verb_call "$w" "$h" Join NetworkDriver.Join \
		"{$IDS,\"SandboxKey\":\"/var/run/docker/netns/0123456789ab\",\"Options\":$OPTS}"
	each_verb_call "$w" "$h" ProgramExternalConnectivity \
		NetworkDriver.ProgramExternalConnectivity "{$IDS,\"Options\":$PORTS}"
	each_verb_call "$w" "$h" RevokeExternalConnectivity \
		NetworkDriver.RevokeExternalConnectivity "{$IDS}"
	each_verb_call "$w" "$h" Leave NetworkDriver.Leave "{$IDS}"
	each_verb_call "$w" "$h" DeleteEndpoint NetworkDriver.DeleteEndpoint "{$IDS}"
	each_verb_call "$w" "$h" ReleaseAddress IpamDriver.ReleaseAddress \
		"{\"PoolID\":\"$POOLID\",\"Address\":\"10.210.3.7\"}"
	each_verb_call "$w" "$h" DeleteNetwork NetworkDriver.DeleteNetwork "{\"NetworkID\":\"$NET\"}"
	api IpamDriver.RequestPool \
		'{"AddressSpace":"wgnet-local","Pool":"10.211.0.0/16","SubPool":"","Options":{},"V6":false}'
	assert_status "RequestPool of a pool never used" 200
	each_verb_call "$w" "$h" ReleasePool IpamDriver.ReleasePool \
		"{\"PoolID\":\"$(jq -r .PoolID <<<"$BODY")\"}"
}
