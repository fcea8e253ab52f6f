#!/usr/bin/env bash
# test_api.sh: the Docker plugin API in the order dockerd 20.10 calls it (network create, two
# containers run and stopped, network rm), each step checked in the kernel with ip -j and nft -j.
# Then: Docker's default IPAM refused, a pool in use refused, keep-alive, 20 concurrent address
# requests, --ip-range sub-pools, aux addresses.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

OPTS='{"com.docker.network.endpoint.exposedports":[],"com.docker.network.portmap":[]}'
GW_OPTS='{"RequestAddressType":"com.docker.network.gateway"}'

pool_req()	# POOL [SUBPOOL]
{
	api IpamDriver.RequestPool "{\"AddressSpace\":\"wgnet-local\",\"Pool\":\"$1\",\"SubPool\":\"${2:-}\",\"Options\":{},\"V6\":false}"
}

addr_req()	# POOLID ADDRESS OPTIONS-JSON
{
	api IpamDriver.RequestAddress "{\"PoolID\":\"$1\",\"Address\":\"$2\",\"Options\":$3}"
}

addr_rel()	# POOLID ADDRESS
{
	api IpamDriver.ReleaseAddress "{\"PoolID\":\"$1\",\"Address\":\"$2\"}"
}

net_create()	# NETID ADDRESS-SPACE POOL GATEWAY
{
	api NetworkDriver.CreateNetwork "{\"NetworkID\":\"$1\",\"Options\":{\"com.docker.network.enable_ipv6\":false,\"com.docker.network.generic\":{}},\"IPv4Data\":[{\"AddressSpace\":\"$2\",\"Gateway\":\"$4\",\"Pool\":\"$3\"}],\"IPv6Data\":[]}"
}

ids()		# NETID EPID
{
	printf '"NetworkID":"%s","EndpointID":"%s"' "$1" "$2"
}

# nft_has JQ-FILTER: the filter holds on table inet wgnet (as nft -j prints it)
nft_has()
{
	nft_table_json | jq -e "$@" >/dev/null 2>&1
}

# the prefixes in set local_slices, as "a.b.c.d/len"
slices_in_set()
{
	ns nft -j list set inet wgnet local_slices 2>/dev/null |
		jq -r '.nftables[] | select(.set) | .set.elem[]? |
			if type == "object" and .prefix then "\(.prefix.addr)/\(.prefix.len)"
			elif type == "object" and .elem.val.prefix then
				"\(.elem.val.prefix.addr)/\(.elem.val.prefix.len)"
			else tostring end'
}

# port_check VETH ADDRESS: the element of set bridge wgnet ports (veth . MAC . address, the MAC
# 02:42 + the address), then the rules of that table
port_check()
{
	local set table mac
	set=$(ns nft list set bridge wgnet ports 2>&1) ||
		{ query_failed "nft list set bridge wgnet ports" $?; return; }
	table=$(ns nft -j list table bridge wgnet 2>&1) ||
		{ query_failed "nft list table bridge wgnet" $?; return; }
	mac=$(printf '02:42:%02x:%02x:%02x:%02x' ${2//./ })
	echo "$(grep -cF "\"$1\" . $mac . $2" <<<"$set") $(jq '[.nftables[] | select(.rule)] | length' <<<"$table")"
}

# endpoint_up N EPID ADDRESS: RequestAddress, CreateEndpoint, Join, Program, OperInfo x2,
# each checked, then the veth pair in the kernel
endpoint_up()
{
	local n=$1 ep=$2 addr=$3 veth=wgv${2:0:11} ctr=wgc${2:0:11} j

	addr_req "$POOLID" "" null
	assert_json "ep$n: RequestAddress \"\" -> $addr/24" '.Address == $a' --arg a "$addr/24"
	api NetworkDriver.CreateEndpoint "{$(ids "$NET" "$ep"),\"Interface\":{\"Address\":\"$addr/24\",\"AddressIPv6\":\"\",\"MacAddress\":\"\"},\"Options\":$OPTS}"
	assert_status "ep$n: CreateEndpoint -> 200" 200
	# only empty fields may be filled in: never the address; the MAC as decisions.md says
	assert_json "ep$n: CreateEndpoint fills in at most the MAC (02:42 + address)" \
		'(.Interface // {}) as $i | ($i.Address // "") == "" and ($i.AddressIPv6 // "") == ""
		 and (($i.MacAddress // "") == "" or $i.MacAddress == $mac)' \
		--arg mac "$(printf '02:42:%02x:%02x:%02x:%02x' ${addr//./ })"
	j=$(link_json "$veth")
	assert_eq "ep$n: $veth is a veth" veth "$(jq -r '.linkinfo.info_kind // empty' <<<"$j")"
	assert_eq "ep$n: $veth is on $BR" "$BR" "$(jq -r '.master // empty' <<<"$j")"
	assert_eq "ep$n: $veth MTU" 1420 "$(jq -r '.mtu // empty' <<<"$j")"
	assert_eq "ep$n: $veth is up" true "$(jq -r '(.flags // []) | index("UP") != null' <<<"$j")"
	assert_eq "ep$n: $veth . MAC . $addr in set bridge wgnet ports, still four rules" "1 4" \
		"$(port_check "$veth" "$addr")"
	j=$(link_json "$ctr")
	assert_eq "ep$n: peer $ctr exists (a veth)" veth "$(jq -r '.linkinfo.info_kind // empty' <<<"$j")"
	assert_eq "ep$n: $ctr MTU" 1420 "$(jq -r '.mtu // empty' <<<"$j")"
	api NetworkDriver.Join "{$(ids "$NET" "$ep"),\"SandboxKey\":\"/var/run/docker/netns/$(rand_id | cut -c1-12)\",\"Options\":$OPTS}"
	assert_json "ep$n: Join -> SrcName $ctr, DstPrefix eth, Gateway 10.210.3.1" \
		'.InterfaceName.SrcName == $c and .InterfaceName.DstPrefix == "eth" and
		 .Gateway == "10.210.3.1"' --arg c "$ctr"
	api NetworkDriver.ProgramExternalConnectivity "{$(ids "$NET" "$ep"),\"Options\":$OPTS}"
	assert_json "ep$n: ProgramExternalConnectivity -> {}" '. == {}'
	for j in 1 2; do	# dockerd asks twice
		api NetworkDriver.EndpointOperInfo "{$(ids "$NET" "$ep")}"
		assert_json "ep$n: EndpointOperInfo #$j -> {\"Value\":{}}" '. == {"Value":{}}'
	done
}

# endpoint_down N EPID ADDRESS: docker stop: Revoke, Leave, DeleteEndpoint, ReleaseAddress
endpoint_down()
{
	local n=$1 ep=$2 addr=$3 veth=wgv${2:0:11} ctr=wgc${2:0:11}

	api NetworkDriver.RevokeExternalConnectivity "{$(ids "$NET" "$ep")}"
	assert_json "ep$n: RevokeExternalConnectivity -> {}" '. == {}'
	api NetworkDriver.Leave "{$(ids "$NET" "$ep")}"
	assert_json "ep$n: Leave -> {}" '. == {}'
	api NetworkDriver.DeleteEndpoint "{$(ids "$NET" "$ep")}"
	assert_json "ep$n: DeleteEndpoint -> {}" '. == {}'
	link_exists "$veth" && fail "ep$n: $veth gone after DeleteEndpoint" || pass "ep$n: $veth gone"
	link_exists "$ctr" && fail "ep$n: $ctr gone after DeleteEndpoint" || pass "ep$n: $ctr gone"
	assert_eq "ep$n: $veth . MAC . $addr gone from set bridge wgnet ports, still four rules" "0 4" \
		"$(port_check "$veth" "$addr")"
	api NetworkDriver.DeleteEndpoint "{$(ids "$NET" "$ep")}"
	assert_status "ep$n: DeleteEndpoint again -> 200 (idempotent)" 200
	addr_rel "$POOLID" "$addr"
	assert_json "ep$n: ReleaseAddress $addr -> {}" '. == {}'
}

it_setup

# ---------------------------------------------------------------- activation
api Plugin.Activate
assert_json "Plugin.Activate -> NetworkDriver and IpamDriver" \
	'.Implements | sort == ["IpamDriver","NetworkDriver"]'
api NetworkDriver.GetCapabilities
assert_json "NetworkDriver.GetCapabilities -> Scope local" '.Scope == "local"'
api IpamDriver.GetCapabilities
assert_json "IpamDriver.GetCapabilities -> RequiresRequestReplay" '.RequiresRequestReplay == true'
api IpamDriver.GetDefaultAddressSpaces
assert_json "GetDefaultAddressSpaces -> wgnet-local, wgnet-global" \
	'.LocalDefaultAddressSpace == "wgnet-local" and .GlobalDefaultAddressSpace == "wgnet-global"'

# ---------------------------------------------------------------- before and after init
pool_req 10.210.0.0/16
assert_err "RequestPool before wgnet init fails and names the fix" 'wgnet init'

# Another WireGuard already listens on UDP 51820 here: init says so, whatever moment
# wireguard-go opens its socket at, and works once the port is free.
(it_in_run wireguard-go -f wgtaken) </dev/null >/dev/null 2>&1 &
TAKEN_PID=$!	# wireguard-go's: every step execs
retry 5 eval '(it_in_run wg show wgtaken listen-port)' ||
	die "wireguard-go wgtaken did not start"
(it_in_run wg set wgtaken listen-port 51820) || die "wg set wgtaken listen-port 51820"
assert_fails "wgnet init --index 3 with UDP 51820 taken fails" cli init --index 3
assert_match "... and names the port and the fix: $(head -c 300 <<<"$ASSERT_OUT")" \
	'host index 3 is saved, but .*UDP port 51820 is in use by another program.*--listen-port' \
	"$ASSERT_OUT"
kill "$TAKEN_PID"
wait "$TAKEN_PID" 2>/dev/null
assert_ok "wgnet init --index 3 once the port is free" cli init --index 3
assert_eq "wgnet0 listens on 51820" 51820 "$(it_in_run wg show wgnet0 listen-port)"

NETX=$(rand_id)
sum=$(state_sum)
net_create "$NETX" LocalDefault 172.18.0.0/16 172.18.0.1/16
assert_err "CreateNetwork from Docker's default IPAM is refused" '--ipam-driver wgnet'
link_exists "wgb${NETX:0:10}" && fail "default IPAM: no bridge made" || pass "default IPAM: no bridge made"
assert_eq "default IPAM: state unchanged" "$sum" "$(state_sum)"
# after init the table exists (its input chain): nothing of this network may be in it
if ! t=$(nft_table_json); then
	fail "default IPAM: nothing of it in the nft table" "table inet wgnet unreadable"
elif grep -q "wgb${NETX:0:10}" <<<"$t"; then
	fail "default IPAM: nothing of it in the nft table" "$(ns nft list table inet wgnet 2>&1 | head -30)"
else
	pass "default IPAM: nothing of it in the nft table"
fi

# ---------------------------------------------------------------- network create
pool_req 10.210.0.0/16
assert_json "RequestPool 10.210.0.0/16 on host 3 -> 10.210.3.0/24, PoolID wgnet-local/10.210.3.0/24" \
	'.Pool == "10.210.3.0/24" and .PoolID == "wgnet-local/10.210.3.0/24"'
POOLID=wgnet-local/10.210.3.0/24
addr_req "$POOLID" "" "$GW_OPTS"
assert_json "RequestAddress gateway -> 10.210.3.1/24" '.Address == "10.210.3.1/24"'

NET=$(rand_id)
BR=wgb${NET:0:10}
net_create "$NET" wgnet-local 10.210.3.0/24 10.210.3.1/24
assert_json "CreateNetwork -> {}" '. == {}'
j=$(link_json "$BR")
assert_eq "bridge $BR is a bridge" bridge "$(jq -r '.linkinfo.info_kind // empty' <<<"$j")"
# its own MAC (02:42 + the gateway), not its lowest port's, which changes as containers come and
# go and leaves the others with a stale ARP entry for their gateway
assert_eq "bridge $BR has the fixed MAC 02:42:0a:d2:03:01" 02:42:0a:d2:03:01 \
	"$(jq -r '.address // empty' <<<"$j")"
assert_eq "bridge MTU 1420" 1420 "$(jq -r '.mtu // empty' <<<"$j")"
assert_eq "bridge is up" true "$(jq -r '(.flags // []) | index("UP") != null' <<<"$j")"
has_addr "$BR" 10.210.3.1/24 && pass "bridge has 10.210.3.1/24" ||
	fail "bridge has 10.210.3.1/24" "$(ns ip -br addr show dev "$BR" 2>&1)"
nft_table_json >/dev/null && pass "table inet wgnet exists" || fail "table inet wgnet exists"
nft_has --arg br "$BR" '[.. | strings] | index($br) != null' &&
	pass "table inet wgnet names $BR" || fail "table inet wgnet names $BR" "$(ns nft list table inet wgnet 2>&1 | head -40)"
assert_match "set local_slices holds 10.210.3.0/24" '^10\.210\.3\.0/24$' "$(slices_in_set)"

net_create "$NET" wgnet-local 10.210.3.0/24 10.210.3.1/24
assert_json "CreateNetwork again -> {} (idempotent)" '. == {}'

sum=$(state_sum)
pool_req 10.210.0.0/16
assert_err "RequestPool on a pool a live network uses is refused"
pool_req 10.210.3.0/24
assert_err "RequestPool on that network's slice is refused too"
assert_eq "refused RequestPools change no state" "$sum" "$(state_sum)"
assert_eq "bridge still there after the refused RequestPool" bridge "$(link_field "$BR" .linkinfo.info_kind)"

# ---------------------------------------------------------------- two containers
EP1=$(rand_id)
EP2=$(rand_id)
endpoint_up 1 "$EP1" 10.210.3.2
endpoint_up 2 "$EP2" 10.210.3.3

# -p 8080:80 on the second container: DNAT in our table, gone after Revoke
PORTS='{"com.docker.network.endpoint.exposedports":[{"Proto":6,"Port":80}],"com.docker.network.portmap":[{"Proto":6,"IP":"","Port":80,"HostIP":"","HostPort":8080,"HostPortEnd":8080}]}'
api NetworkDriver.ProgramExternalConnectivity "{$(ids "$NET" "$EP2"),\"Options\":$PORTS}"
assert_json "ep2: ProgramExternalConnectivity with -p 8080:80 -> {}" '. == {}'
# a dnat statement, and the container's address somewhere in the table (in the statement or in
# a map it looks up)
# one rule in prerouting (from outside) and one in output (from the host itself): TCP to a local
# address, port 8080, DNAT to 10.210.3.3 port 80
DNAT='[.nftables[] | .rule? // empty | select(.expr | any(.[]; .dnat?) ) |
	select((.expr | any(.[]; .match?.left.payload? | . != null and .protocol == "tcp" and
			.field == "dport")) and
		(.expr | any(.[]; .match?.left.payload?.field == "dport" and .match.right == 8080)) and
		(.expr | any(.[]; .dnat?.addr == "10.210.3.3" and .dnat.port == 80))) | .chain] |
	sort == ["output", "prerouting"]'
nft_has "$DNAT" && pass "ep2: DNAT tcp dport 8080 -> 10.210.3.3:80 in prerouting and output" ||
	fail "ep2: DNAT tcp dport 8080 -> 10.210.3.3:80 in prerouting and output" \
		"$(ns nft list table inet wgnet 2>&1 | grep -i dnat)"

addr_req "$POOLID" 10.210.3.50 '{}'
assert_json "static RequestAddress 10.210.3.50 (--ip) -> 10.210.3.50/24" '.Address == "10.210.3.50/24"'
addr_req "$POOLID" 10.210.3.50 '{}'
assert_err "static RequestAddress 10.210.3.50 again -> in use" 'use|taken|allocated|assigned'
addr_req "$POOLID" 10.210.3.7 null
assert_json "aux address (Options null) 10.210.3.7 -> 10.210.3.7/24" '.Address == "10.210.3.7/24"'

# 20 containers starting at once: 20 distinct addresses, none of those already taken
pids=()
for i in $(seq 1 20); do
	curl -s --max-time 20 --unix-socket "$IT_PLUGIN_SOCK" -X POST -H 'Host;' -H 'Content-Type:' \
		-H 'Accept: application/vnd.docker.plugins.v1.2+json' \
		--data-binary "{\"PoolID\":\"$POOLID\",\"Address\":\"\",\"Options\":null}" \
		-o "$IT_DIR/par.$i" -w '%{http_code}\n' http://localhost/IpamDriver.RequestAddress \
		>"$IT_DIR/par.$i.code" &
	pids+=($!)
done
wait "${pids[@]}"
codes=$(cat "$IT_DIR"/par.*.code | sort | uniq -c | xargs)
assert_eq "20 concurrent RequestAddress: all 200" "20 200" "$codes"
got=$(cat $(seq -f "$IT_DIR/par.%g" 1 20) | jq -r '.Address // empty' | sort -u)
assert_eq "20 concurrent RequestAddress: 20 distinct addresses" 20 "$(grep -c . <<<"$got")"
assert_eq "20 concurrent RequestAddress: all new, in the slice, not .0/.1/.255" "" \
	"$(grep -vE '^10\.210\.3\.[0-9]+/24$' <<<"$got"; grep -xE '10\.210\.3\.(0|1|2|3|7|50|255)/24' <<<"$got")"
released=0
for a in $got; do
	addr_rel "$POOLID" "${a%/24}"
	[ "$HTTP_STATUS" = 200 ] && released=$((released + 1)) ||
		fail "ReleaseAddress ${a%/24}" "HTTP $HTTP_STATUS $BODY"
done
assert_eq "the 20 addresses released (200 each)" 20 "$released"

# keep-alive: two requests on one connection, both answered (the second without a new connect)
out=$(curl -s --max-time 10 --unix-socket "$IT_PLUGIN_SOCK" -X POST -H 'Host;' -H 'Content-Type:' \
	-H 'Accept: application/vnd.docker.plugins.v1.2+json' --data-binary "{$(ids "$NET" "$EP1")}" \
	-o /dev/null -o /dev/null -w '%{http_code}:%{num_connects}\n' \
	http://localhost/NetworkDriver.EndpointOperInfo http://localhost/NetworkDriver.EndpointOperInfo)
assert_eq "keep-alive: two requests on one connection both answered" "200:1 200:0" "$(xargs <<<"$out")"
out=$(curl -s --max-time 10 --unix-socket "$IT_PLUGIN_SOCK" -X POST -H 'Host;' -H 'Content-Type:' \
	-d '' -w '%{http_code}:%{num_connects}\n' -o /dev/null -o /dev/null \
	http://localhost/NetworkDriver.GetCapabilities http://localhost/IpamDriver.GetCapabilities)
assert_eq "keep-alive: empty-body calls on one connection" "200:1 200:0" "$(xargs <<<"$out")"

# ---------------------------------------------------------------- wgnet status
st=$(cli status --json)
assert_ok "wgnet status --json is JSON" jq -e . <<<"$st"
jq -e --arg id "$NET" --arg s 10.210.3.0/24 --arg br "$BR" '
	[.. | strings] as $all | ($all | index($id)) != null and ($all | index($s)) != null and
	($all | index($br)) != null' >/dev/null 2>&1 <<<"$st" &&
	pass "status --json shows the network, its slice and bridge" ||
	fail "status --json shows the network, its slice and bridge" "$st"
jq -e --arg id "$NET" '[.. | objects | select([.[]?] | index($id) != null) | to_entries[] |
	select(.key | test("endpoint"; "i")) | .value | if type == "array" then length else . end] |
	index(2) != null' >/dev/null 2>&1 <<<"$st" &&
	pass "status --json counts 2 endpoints on the network" ||
	fail "status --json counts 2 endpoints on the network" "$st"
st=$(cli status 2>&1)
assert_match "wgnet status shows the slice" '10\.210\.3\.0/24' "$st"
assert_match "wgnet status shows the bridge" "$BR" "$st"

# ---------------------------------------------------------------- docker stop, network rm
endpoint_down 1 "$EP1" 10.210.3.2
endpoint_down 2 "$EP2" 10.210.3.3
if ! t=$(nft_table_json); then
	fail "ep2: DNAT gone after Revoke/DeleteEndpoint" "table inet wgnet unreadable (the network is still there)"
elif jq -e '[.. | strings] | index("10.210.3.3") != null' <<<"$t" >/dev/null; then
	fail "ep2: DNAT gone after Revoke/DeleteEndpoint" "$(ns nft list table inet wgnet 2>&1 | grep 10.210.3.3)"
else
	pass "ep2: DNAT gone"
fi
for a in 10.210.3.50 10.210.3.7; do
	addr_rel "$POOLID" "$a"
	assert_json "ReleaseAddress $a -> {}" '. == {}'
done
addr_rel "$POOLID" 10.210.3.1
assert_json "ReleaseAddress gateway -> {}" '. == {}'
api IpamDriver.ReleasePool "{\"PoolID\":\"$POOLID\"}"
assert_json "ReleasePool -> {}" '. == {}'
api NetworkDriver.DeleteNetwork "{\"NetworkID\":\"$NET\"}"
assert_json "DeleteNetwork -> {}" '. == {}'
link_exists "$BR" && fail "bridge gone after DeleteNetwork" || pass "bridge $BR gone"
# after init the table stays: its input chain closes the host to the mesh
if t=$(nft_table_json) &&
	jq -e --arg br "$BR" '([.nftables[] | select(.chain) | .chain.name] | index("input") != null)
		and ([.. | strings] | index($br) == null)' <<<"$t" >/dev/null; then
	pass "the last network's rules gone, the input chain kept"
else
	fail "the last network's rules gone, the input chain kept" "$(ns nft list ruleset 2>&1 | head -30)"
fi
api NetworkDriver.DeleteNetwork "{\"NetworkID\":\"$NET\"}"
assert_status "DeleteNetwork again -> 200 (idempotent)" 200
assert_eq "no wgnet link left" "" "$(wgnet_links)"

# the pool is free again: the same request gets the same slice
pool_req 10.210.0.0/16
assert_json "RequestPool after network rm -> 10.210.3.0/24 again" '.PoolID == "wgnet-local/10.210.3.0/24"'
api IpamDriver.ReleasePool "{\"PoolID\":\"$POOLID\"}"
assert_json "ReleasePool of the unused lease -> {}" '. == {}'

# ---------------------------------------------------------------- --ip-range
pool_req 10.211.0.0/16 10.211.3.128/25
assert_json "RequestPool with SubPool 10.211.3.128/25 -> slice 10.211.3.0/24" '.Pool == "10.211.3.0/24"'
SUBID=$(jq -r '.PoolID // empty' <<<"$BODY")
inside=0
for i in 1 2 3 4 5; do
	addr_req "$SUBID" "" null
	a=$(jq -r '.Address // empty' <<<"$BODY")
	o=${a%/24}
	o=${o##*.}
	if [[ "$a" =~ ^10\.211\.3\.[0-9]+/24$ ]] && [ "$o" -ge 128 ] && [ "$o" -le 254 ]; then
		inside=$((inside + 1))
	else
		fail "--ip-range: dynamic address $i inside 10.211.3.128/25" "HTTP $HTTP_STATUS $BODY"
	fi
done
assert_eq "--ip-range: 5 dynamic addresses inside 10.211.3.128/25" 5 "$inside"
addr_req "$SUBID" 10.211.3.20 null
assert_json "--ip-range: an --aux-address outside the range but in the slice is honoured" \
	'.Address == "10.211.3.20/24"'
api IpamDriver.ReleasePool "{\"PoolID\":\"$SUBID\"}"
assert_json "ReleasePool of the --ip-range lease -> {}" '. == {}'

st=$(cli status --json)
jq -e --arg id "$NET" '[.. | strings] | index($id) == null and index("10.210.3.0/24") == null and
	index("10.211.3.0/24") == null' >/dev/null 2>&1 <<<"$st" &&
	pass "status --json: no network or lease left" || fail "status --json: no network or lease left" "$st"

it_finish
