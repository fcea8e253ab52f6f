#!/usr/bin/env bash
# test_security.sh: every claim of the README's security section, probed as an attacker would
# (from a container, a LAN neighbour and a peer of the mesh) on two simulated hosts with a real
# dockerd 20.10, and a mutation check: each rule of `inet wgnet`, `bridge wgnet` and wgnet's
# DOCKER-USER is deleted in turn and the probes run again: a rule no probe needs is a failure.
# test_security_d29_nft.sh runs it against dockerd 29.7.2 with the nftables firewall backend,
# where there is no DOCKER-USER (that part of the mutation check says so and is skipped).
#
#   host 1: c1 c3 (app 10.210.0.0/16; c1 publishes 8080:80/tcp and 127.0.0.1:8081:81/udp),
#           ci ci3 (int 10.211.0.0/16, --internal), cd (docker0), cb (a br-* network),
#           cc (mybr0, a custom-named bridge), cg (a bridge named docker_gwbridge)
#   host 2: c2 (app), ci2 (int); "the attacker" is host 2 itself, writing any IP packet into its
#           wgnet0 with a peer entry for host 1 that also routes host 1's own addresses,
#           127.0.0.1 and 172.16.0.0/12 (whoever holds host 2's key can do that)
#   uplink: 192.168.77.254 (and 2001:db8:77::254), the hosts' LAN neighbour
#   the names responder of app: 10.210.0.53 on host 1's lo; the peers ask host 1's gateways
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/probes.sh"

FRAME=${FRAME:-$E2E_REPO/build/release/tests/frame}
H1=192.168.77.1
DNS=10.210.0.53		# the names responder of pool app (its address + 53)
UP=$E2E_UPLINK_IP

e2e_init
[ -x "$FRAME" ] || die "no frame tool at $FRAME (set FRAME)"
host_up 1 2		# each host's dockerd is the one WGNET_E2E_DOCKER names (lib.sh checks)
for i in 1 2; do
	wgnetd_start_backend "$i"
	wgnet_on "$i" init --index "$i" --endpoint "192.168.77.$i:51820" --name "h$i" >/dev/null ||
		die "host $i: wgnet init"
done
wgnet_on 1 peer add "$(wgnet_on 2 join-line)" >/dev/null || die "host 1: peer add"
wgnet_on 2 peer add "$(wgnet_on 1 join-line)" >/dev/null || die "host 2: peer add"
for i in 1 2; do
	docker_on "$i" network create -d wgnet --ipam-driver wgnet --subnet 10.210.0.0/16 app \
		>/dev/null || die "host $i: network app"
	docker_on "$i" network create -d wgnet --ipam-driver wgnet --subnet 10.211.0.0/16 \
		--internal int >/dev/null || die "host $i: network int"
done
docker_on 1 network create --subnet 172.30.0.0/24 br >/dev/null || die "network br"
docker_on 1 network create --subnet 172.31.0.0/24 -o com.docker.network.bridge.name=mybr0 \
	named >/dev/null || die "network named"
docker_on 1 network create --subnet 172.29.0.0/24 \
	-o com.docker.network.bridge.name=docker_gwbridge gwbridge >/dev/null || die "network gwbridge"

ctr()	# i NAME NETWORK [docker run options...]
{
	local i=$1 name=$2 net=$3
	shift 3
	docker_on "$i" run -d --stop-timeout 1 --name "$name" --network "$net" "$@" bb:latest \
		sh -c 'httpd -p 80 -h /tmp && exec sleep 3600' >/dev/null || die "host $i: run $name"
	place_ctr "$name" "$i"
}
ctr 1 c1 app -p 8080:80 -p 127.0.0.1:8081:81/udp
ctr 1 c3 app
ctr 1 ci int
ctr 1 ci3 int
ctr 1 cd bridge
ctr 1 cb br
ctr 1 cc named
ctr 1 cg gwbridge
ctr 2 c2 app
ctr 2 ci2 int
declare -A IP MAC
for c in c1:1:app c3:1:app ci:1:int ci3:1:int cd:1:bridge cb:1:br cc:1:named cg:1:gwbridge \
	c2:2:app ci2:2:int; do
	IFS=: read -r name i net <<<"$c"
	IP[$name]=$(container_ip "$i" "$name" "$net")
	MAC[$name]=$(docker_on "$i" inspect -f "{{(index .NetworkSettings.Networks \"$net\").MacAddress}}" "$name")
done
BR_APP=$(host_exec 1 ip -j -4 addr show to 10.210.1.1/32 | jq -r '.[0].ifname')
BR_INT=$(host_exec 1 ip -j -4 addr show to 10.211.1.1/32 | jq -r '.[0].ifname')
GW_MAC=$(host_exec 1 cat "/sys/class/net/$BR_APP/address")
H1_MAC=$(host_exec 1 cat /sys/class/net/eth0/address)
e2e_log "c1 ${IP[c1]} ${MAC[c1]}, c3 ${IP[c3]}, c2 ${IP[c2]}, bridges $BR_APP $BR_INT"

# the LAN neighbour speaks IPv6 too, and host 1 routes it (a host with IPv6 Docker networks)
uplink_exec ip -6 addr add 2001:db8:77::254/64 dev uln0 nodad
host_exec 1 ip -6 addr add 2001:db8:77::1/64 dev eth0 nodad
uplink_exec ip route add 10.210.0.0/16 via "$H1"	# a neighbour that aims at the pools
uplink_exec ip route add 10.211.0.0/16 via "$H1"

# the attacker: host 2's peer entry for host 1 also routes host 1's addresses and Docker's
H1_KEY=$(wg_on 2 show wgnet0 allowed-ips | awk '/10\.210\.1\.0\/24/ { print $1 }')
[ -n "$H1_KEY" ] || die "host 2 has no peer for host 1's slice"
wg_on 2 set wgnet0 peer "$H1_KEY" allowed-ips \
	"10.210.1.0/24,10.211.1.0/24,$H1/32,127.0.0.1/32,172.16.0.0/12,$DNS/32" ||
	die "attacker peer entry"
retry 20 at c2 ping -c1 -W1 "${IP[c1]}" || die "the mesh does not carry c2 -> c1"
retry 20 at ci2 ping -c1 -W1 "${IP[ci]}" || die "the mesh does not carry ci2 -> ci"

# ---------------------------------------------------------------- what is not a rule
assert_eq "host 1's WireGuard takes from host 2 exactly its slices of both pools" \
	"10.210.2.0/24 10.211.2.0/24" \
	"$(wg_on 1 show wgnet0 allowed-ips | awk '{ $1 = ""; print }' | tr ' ' '\n' | grep . | sort | xargs)"
for l in "$BR_APP" "$BR_INT" $(host_exec 1 ip -j link show | jq -r '.[].ifname | select(startswith("wgv"))'); do
	assert_eq "$l: IPv6 disabled" 1 "$(host_exec 1 cat "/proc/sys/net/ipv6/conf/$l/disable_ipv6")"
	assert_eq "$l: no IPv6 address" "" "$(host_exec 1 ip -6 -o addr show dev "$l")"
done

# ---------------------------------------------------------------- the probes
# UDP DST [PORT]: three datagrams to DST:PORT ({P}) from the sender's own stack
udp()
{
	UDP=(bash -c "for i in 1 2 3; do echo x >/dev/udp/$1/${2:-{P\}}; done")
}
# SYN DST PORT: one connection attempt (its SYN is what is counted)
syn()
{
	SYN=(timeout 2 bash -c "exec 3<>/dev/tcp/$1/$2")
}
# probe_udp NAME EXPECT FROM TO DST [MATCH-PREFIX]: counted in TO's input
probe_udp()
{
	udp "$5"
	probe_send "$1" "$2" "$3" "$4" in "${6:-} udp dport {P}" "${UDP[@]}"
}
# probe_atk NAME EXPECT TO CHAIN KIND FRAME-ARGS...: host 2 writes the packet into its wgnet0
probe_atk()
{
	local name=$1 expect=$2 to=$3 chain=$4 kind=$5
	shift 5
	probe_send "$name" "$expect" h2 "$to" "$chain" "${kind/syn/tcp} dport {P}" \
		"$FRAME" wgnet0 "$kind" sport={P} dport={P} "$@"
}

# A peer of the mesh (host 2 with its key) reaches the containers of host 1's networks whose
# pool it shares, by their own addresses ...
probe_udp "peer: remote container -> container of the same pool" arrives c2 c1 "${IP[c1]}"
probe_udp "peer: --internal network reaches its pool through the tunnel" arrives ci2 ci "${IP[ci]}"
probe_atk "peer: from its own slice -> container of the same pool" arrives c1 in udp \
	src=10.210.2.250 dst="${IP[c1]}"
# ... host 1's addresses only with ping, replies and what `wgnet host allow` opened
probe_check "peer: remote container pings host 1's gateway (echo passes)" arrives \
	check_peer_ping
probe_check "peer: host 1 pings a remote container (replies pass)" arrives check_host_ping
probe_atk "peer: -> host 1's uplink address, UDP" blocked h1 in udp src=10.210.2.250 dst=$H1
probe_atk "peer: -> host 1's uplink address, any TCP port" blocked h1 in syn \
	src=10.210.2.250 dst=$H1
probe_atk "peer: -> host 1's gateway, TCP" blocked h1 in syn src=10.210.2.250 dst=10.210.1.1
probe_send "peer: -> 127.0.0.1 of host 1" blocked h2 h1 in "ip daddr 127.0.0.1 udp dport {P}" \
	"$FRAME" wgnet0 udp src=10.210.2.250 dst=127.0.0.1 dport={P} sport={P}
probe_send "peer: -> a published port (8080) through the tunnel" blocked h2 c1 in \
	"ip saddr 10.210.2.250 tcp dport 80 tcp flags syn" \
	"$FRAME" wgnet0 syn src=10.210.2.250 dst=$H1 dport=8080 sport={P}
probe_send "peer: -> the port published on 127.0.0.1 (8081) through the tunnel" blocked h2 c1 in \
	"ip saddr 10.210.2.250 udp dport 81" \
	"$FRAME" wgnet0 udp src=10.210.2.250 dst=127.0.0.1 dport=8081 sport={P}
# ... never a pool it does not share with host 1, Docker's other networks or anything else
probe_atk "peer: app's slice -> container of the --internal pool" blocked ci in udp \
	src=10.210.2.250 dst="${IP[ci]}"
probe_atk "peer: -> docker0 container" blocked cd in udp src=10.210.2.250 dst="${IP[cd]}"
probe_atk "peer: -> br-* container" blocked cb in udp src=10.210.2.250 dst="${IP[cb]}"
probe_atk "peer: -> custom-named bridge container" blocked cc in udp src=10.210.2.250 dst="${IP[cc]}"
probe_atk "peer: -> docker_gwbridge container" blocked cg in udp src=10.210.2.250 dst="${IP[cg]}"
probe_atk "peer: a source outside its slices is dropped by WireGuard" blocked c1 in udp \
	src=10.210.3.9 dst="${IP[c1]}"

# A wgnet container reaches its bridge, its pool through the tunnel and the uplink ...
probe_udp "container -> container of its bridge" arrives c1 c3 "${IP[c3]}"
probe_udp "internal container -> container of its bridge" arrives ci ci3 "${IP[ci3]}"
probe_udp "container -> its pool on another host" arrives c1 c2 "${IP[c2]}"
probe_udp "internal container -> its pool on another host" arrives ci ci2 "${IP[ci2]}"
probe_udp "container -> the uplink, masqueraded" arrives c1 up $UP "ip saddr $H1"
probe_udp "container -> its gateway (not from the mesh)" arrives c1 h1 10.210.1.1
probe_check "container -> the uplink, TCP (replies pass)" arrives check_ctr_tcp_uplink
# ... nothing else
probe_udp "container -> another wgnet network of its host" blocked c1 ci "${IP[ci]}"
probe_udp "container -> another pool on another host" blocked c1 ci2 "${IP[ci2]}"
probe_udp "container -> docker0 container" blocked c1 cd "${IP[cd]}"
probe_udp "container -> br-* container" blocked c1 cb "${IP[cb]}"
probe_udp "container -> custom-named bridge container" blocked c1 cc "${IP[cc]}"
probe_udp "container -> docker_gwbridge container" blocked c1 cg "${IP[cg]}"
probe_udp "internal container -> the uplink" blocked ci up $UP
probe_send "container -> the host's 127.0.0.1 through its gateway" blocked c1 h1 in \
	"ip daddr 127.0.0.1 udp dport {P}" \
	"$FRAME" eth0 udp dmac="$GW_MAC" src="${IP[c1]}" dst=127.0.0.1 dport={P} sport={P}
probe_check "container -> its pool when the tunnel is down: nothing leaves by the uplink" \
	blocked check_pool_leak
# It cannot send into the tunnel, or to its neighbours, with any source but its own
probe_send "container -> remote container as its neighbour" blocked c1 c2 in "udp dport {P}" \
	"$FRAME" eth0 udp dmac="$GW_MAC" src="${IP[c3]}" dst="${IP[c2]}" dport={P} sport={P}
probe_send "container -> neighbour as another address of the slice" blocked c1 c3 in \
	"udp dport {P}" \
	"$FRAME" eth0 udp dmac="${MAC[c3]}" src=10.210.1.250 dst="${IP[c3]}" dport={P} sport={P}
probe_send "container -> remote container with a forged MAC" blocked c1 c2 in "udp dport {P}" \
	"$FRAME" eth0 udp smac=02:42:0a:d2:01:fa dmac="$GW_MAC" src="${IP[c1]}" dst="${IP[c2]}" \
	dport={P} sport={P}
probe_send "container -> remote container as its neighbour, behind two VLAN 0 tags" blocked \
	c1 c2 in "udp dport {P}" \
	"$FRAME" eth0 udp vlan=0,0 dmac="$GW_MAC" src="${IP[c3]}" dst="${IP[c2]}" dport={P} sport={P}
probe_send "container -> neighbour behind a VLAN tag" blocked c1 c3 in "udp dport {P}" \
	"$FRAME" eth0 udp vlan=0 dmac="${MAC[c3]}" src="${IP[c1]}" dst="${IP[c3]}" dport={P} sport={P}
probe_send "container -> the uplink over IPv6 (host 1 routes IPv6)" blocked c1 up in "udp dport {P}" \
	"$FRAME" eth0 udp6 dmac="$GW_MAC" src=2001:db8:210:1::2 dst=2001:db8:77::254 dport={P} sport={P}
probe_check "container's router advertisement: no route or address on its neighbour or host" \
	blocked check_ra
probe_check "container's ARP for its neighbour's address: host keeps the neighbour's MAC" \
	blocked check_arp_takeover
probe_check "container's ARP naming another MAC: host keeps its MAC" blocked check_arp_sha
probe_check "container's frame with a neighbour's MAC: the bridge keeps it on the neighbour's port" \
	blocked check_fdb_takeover

# Other Docker networks and the uplink reach a wgnet container only through a published port,
# and never use the tunnel
syn $H1 8080
probe_send "uplink -> host 1:8080 reaches the container's :80" arrives up c1 in \
	"ip saddr $UP tcp dport 80 tcp flags syn" "${SYN[@]}"
probe_send "host 1 -> its own address:8080 reaches the container" arrives h1 c1 in \
	"ip saddr $H1 tcp dport 80 tcp flags syn" "${SYN[@]}"
udp 127.0.0.1 8081
probe_send "host 1 -> 127.0.0.1:8081 reaches the container's :81" arrives h1 c1 in \
	"ip saddr 10.210.1.1 udp dport 81" "${UDP[@]}"
probe_check "docker0 container -> host 1:8080 (replies pass)" arrives check_docker0_published
probe_send "uplink -> 127.0.0.1:8081 of host 1 (published on 127.0.0.1 only)" blocked up c1 in \
	"ip saddr $UP udp dport 81" \
	"$FRAME" uln0 udp dmac="$H1_MAC" src=$UP dst=127.0.0.1 dport=8081 sport={P}
probe_udp "uplink -> wgnet container directly" blocked up c1 "${IP[c1]}"
udp 10.210.2.250
probe_send "uplink -> the tunnel through host 1" blocked up h1 post \
	"oifname \"wgnet0\" udp dport {P}" "${UDP[@]}"
probe_send "docker0 container -> the tunnel" blocked cd h1 post \
	"oifname \"wgnet0\" udp dport {P}" "${UDP[@]}"
probe_udp "docker0 container -> wgnet container" blocked cd c1 "${IP[c1]}"
probe_udp "br-* container -> wgnet container" blocked cb c1 "${IP[c1]}"

# The names responder of app (on host 1's lo, the same address on every host) answers the
# containers of its bridges; nobody else reaches it, whatever the host opens to the mesh. Each
# sender reaches something else of host 1 (the probes above: its positive controls). The peers
# ask host 1's gateways (UDP 53) for its own names.
udp "$DNS" 53
probe_send "container -> the names responder of its pool" arrives c1 h1 in \
	"ip saddr ${IP[c1]} ip daddr $DNS udp dport 53" "${UDP[@]}"
probe_send "uplink -> the names responder, UDP" blocked up h1 in \
	"ip saddr $UP ip daddr $DNS udp dport 53" "${UDP[@]}"
probe_send "docker0 container -> the names responder" blocked cd h1 in \
	"ip saddr ${IP[cd]} ip daddr $DNS udp dport 53" "${UDP[@]}"
syn "$DNS" 53
probe_send "uplink -> the names responder, TCP" blocked up h1 in \
	"ip saddr $UP ip daddr $DNS tcp dport 53 tcp flags syn" "${SYN[@]}"
probe_send "peer: -> the names responder through the tunnel" blocked h2 h1 in \
	"ip saddr 10.210.2.250 ip daddr $DNS udp dport 53" \
	"$FRAME" wgnet0 udp src=10.210.2.250 dst="$DNS" dport=53 sport={P}
probe_send "peer: -> host 1's gateway, UDP 53 (the peers' names port)" arrives h2 h1 in \
	"ip saddr 10.210.2.250 ip daddr 10.210.1.1 udp dport 53 udp sport {P}" \
	"$FRAME" wgnet0 udp src=10.210.2.250 dst=10.210.1.1 dport=53 sport={P}

# the checks (probes.sh): 0 when the thing they name happened, 1 when not, 2 when they broke
check_peer_ping() { at c2 ping -c1 -W3 10.210.1.1 || return 1; }
check_host_ping() { at h1 ping -c1 -W3 -I 10.210.1.1 "${IP[c2]}" || return 1; }
check_ctr_tcp_uplink() { at c1 timeout 5 bash -c "exec 3<>/dev/tcp/$UP/80" || return 1; }
check_docker0_published() { at cd timeout 5 bash -c "exec 3<>/dev/tcp/$H1/8080" || return 1; }
# the tunnel down takes the pool routes with it: the pool must not leave by the default route
check_pool_leak()
{
	local n
	uplink_exec nft -f - <<-EOF || return 2
		table ip wgleak
		delete table ip wgleak
		table ip wgleak {
			chain pre {
				type filter hook prerouting priority -400;
				ip daddr 10.210.2.251 udp dport $1 counter
			}
		}
	EOF
	host_exec 1 ip link set wgnet0 down || return 2
	at c1 bash -c "for i in 1 2 3; do echo x >/dev/udp/10.210.2.251/$1; done"
	sleep 0.5
	n=$(uplink_exec nft -j list table ip wgleak | jq '[.nftables[] | .rule? // empty |
		.expr[] | .counter?.packets // empty] | add // 0')
	host_exec 1 ip link set wgnet0 up || return 2
	host_exec 1 ip route replace 10.210.0.0/16 dev wgnet0 proto 77 scope global || return 2
	host_exec 1 ip route replace 10.211.0.0/16 dev wgnet0 proto 77 scope global || return 2
	uplink_exec nft delete table ip wgleak
	[ -n "$n" ] || return 2
	[ "$n" -gt 0 ]
}
# a router advertisement from c1: its prefix or route on c3 or on host 1 means it was taken
check_ra()
{
	local taken=1
	host_exec 1 sysctl -qw net.ipv6.conf.all.forwarding=0
	at c1 "$FRAME" eth0 ra prefix=2001:db8:99:: || return 2
	sleep 0.5
	at c3 ip -6 addr show | grep -q 2001:db8:99: && taken=0
	at c3 ip -6 route show default | grep -q . && taken=0
	at h1 ip -6 route show default | grep -q . && taken=0
	at h1 ip -6 addr show | grep -q 2001:db8:99: && taken=0
	# undo what an advertisement that got through configured
	at c3 ip -6 route flush default 2>/dev/null
	at c3 ip -6 addr flush scope global 2>/dev/null
	at h1 ip -6 route flush default 2>/dev/null
	at h1 ip -6 route flush 2001:db8:99::/64 2>/dev/null
	for l in $(at h1 ip -j -6 addr show | jq -r '.[] | select(any(.addr_info[]; .local | startswith("2001:db8:99:"))) | .ifname'); do
		at h1 ip -6 addr flush dev "$l" scope global
	done
	host_exec 1 sysctl -qw net.ipv6.conf.all.forwarding=1
	return $taken
}
host_neigh_mac()	# IP: host 1's ARP entry for IP on the app bridge
{
	at h1 ip -j neigh show "$1" dev "$BR_APP" | jq -r '.[0].lladdr // empty'
}
# c1 announces c3's address as its own (gratuitous: it overrides a fresh entry)
check_arp_takeover()
{
	local got
	at h1 ip neigh replace "${IP[c3]}" lladdr "${MAC[c3]}" dev "$BR_APP" nud reachable
	at c1 "$FRAME" eth0 arp op=reply spa="${IP[c3]}" tpa="${IP[c3]}" || return 2
	sleep 0.3
	got=$(host_neigh_mac "${IP[c3]}")
	at h1 ip neigh replace "${IP[c3]}" lladdr "${MAC[c3]}" dev "$BR_APP" nud reachable
	[ "$got" != "${MAC[c3]}" ]
}
# c1 announces its own address at c3's MAC (its traffic would go to c3's port)
check_arp_sha()
{
	local got
	at h1 ip neigh replace "${IP[c1]}" lladdr "${MAC[c1]}" dev "$BR_APP" nud reachable
	at c1 "$FRAME" eth0 arp op=reply sha="${MAC[c3]}" spa="${IP[c1]}" tpa="${IP[c1]}" || return 2
	sleep 0.3
	got=$(host_neigh_mac "${IP[c1]}")
	at h1 ip neigh replace "${IP[c1]}" lladdr "${MAC[c1]}" dev "$BR_APP" nud reachable
	[ "$got" != "${MAC[c1]}" ]
}
fdb_port()	# MAC: the port of the app bridge that MAC was learnt on
{
	at h1 bridge -j fdb show br "$BR_APP" | jq -r --arg m "$1" \
		'[.[] | select(.mac == $m)][0].ifname // empty'
}
# c1 sends an ARP of its own from c3's MAC: the bridge would learn c3's MAC on c1's port
check_fdb_takeover()
{
	local own got
	at c3 ping -c1 -W1 10.210.1.1 >/dev/null	# c3's MAC learnt on its own port
	own=$(fdb_port "${MAC[c3]}")
	at c1 "$FRAME" eth0 arp op=request smac="${MAC[c3]}" sha="${MAC[c1]}" spa="${IP[c1]}" \
		tpa=10.210.1.1 || return 2
	sleep 0.2
	got=$(fdb_port "${MAC[c3]}")
	at c3 ping -c1 -W1 10.210.1.1 >/dev/null	# and back
	[ -n "$own" ] && [ "$got" != "$own" ]
}
host_exec 1 sysctl -qw net.ipv6.conf.all.forwarding=1

# ---------------------------------------------------------------- 1. every claim, as it is
probes_run
e2e_log "all ${#PROBE_NAME[@]} probes in $PROBE_SECS ms"
probe_report

# What the responders answer (wgnetd's, not a rule: the mutation check stops wgnetd): a
# container only its own pool's names, a peer only this host's names of the pool it asks from.
# ask WHERE SERVER NAME [dig options]: "STATUS address..." of dig from place WHERE
ask()
{
	local out
	out=$(at "$1" dig +tries=1 +time=2 "${@:4}" "$3" @"$2") || { echo "no answer"; return; }
	echo "$(grep -oE 'status: [A-Z]+' <<<"$out" | cut -d' ' -f2)" \
		"$(awk '$4 == "A" { print $5 }' <<<"$out" | xargs)" | xargs
}
if retry_eq 10 "NOERROR ${IP[c2]}" ask c1 "$DNS" c2; then
	pass "container of app asks app's responder for c2 (on host 2): its address"
else
	fail "container of app asks app's responder for c2 (on host 2): its address" "$RETRY_OUT"
fi
assert_eq "container of pool int asks app's responder for c2: REFUSED, no address" "REFUSED" \
	"$(ask ci "$DNS" c2)"
assert_eq "container of pool int asks its own responder for c2: REFUSED" "REFUSED" \
	"$(ask ci 10.211.0.53 c2)"
assert_eq "peer (host 2, app's slice) asks host 1's app gateway for c1: its address" \
	"NOERROR ${IP[c1]}" "$(ask h2 10.210.1.1 c1 -b 10.210.2.1)"
assert_eq "peer asks host 1's app gateway for ci (pool int): REFUSED" "REFUSED" \
	"$(ask h2 10.210.1.1 ci -b 10.210.2.1)"
assert_eq "peer asks host 1's int gateway from app's slice: no answer" "no answer" \
	"$(ask h2 10.211.1.1 ci -b 10.210.2.1)"

# ---------------------------------------------------------------- 2. the mutation check
# wgnetd would put a deleted rule back at once (it watches its tables): it stops, the kernel
# keeps everything (SIGTERM), and each rule is deleted, the probes run, the table put back.
# A rule is needed when a probe turns out otherwise without it: that needs every probe as
# expected with all of them.
[ -z "$(probes_changed)" ] || die "the mutation check needs every probe as expected first"
wgnetd_stop 1
SAVED=$E2E_RUN/tables.nft
nft_on 1 list table inet wgnet >"$SAVED.inet" || die "save inet wgnet"
nft_on 1 list table bridge wgnet >"$SAVED.bridge" || die "save bridge wgnet"
tables_restore()
{
	nft_on 1 delete table inet wgnet 2>/dev/null
	nft_on 1 delete table bridge wgnet 2>/dev/null
	nft_on 1 -f - <"$SAVED.inet" && nft_on 1 -f - <"$SAVED.bridge"
}
# the rules of a table as "family chain handle<TAB>text"
rules_of()
{
	nft_on 1 -j list table "$1" wgnet | jq -r '.nftables[] | .rule? // empty |
		"\(.family) \(.chain) \(.handle)"'
}
mutate()	# DESC DELETE-CMD... : run the probes without it; a rule no probe needs fails
{
	local desc=$1 changed
	shift
	"$@" >/dev/null 2>&1 || { fail "mutation: could not delete: $desc"; return; }
	probes_run
	changed=$(probes_changed | paste -sd ';' | sed 's/;/; /g')
	if [ -n "$changed" ]; then
		pass "mutation: without [$desc] these fail: $changed"
	else
		fail "mutation: no probe needs [$desc]"
		UNNEEDED+=("$desc")
	fi
}
UNNEEDED=()
# our tables must stand alone (a host's own firewall may accept everything): Docker's filters
# are bypassed while they are mutated: its iptables FORWARD chain and, from 28.0 on, its raw
# PREROUTING drops of packets for its containers that come from elsewhere; on its nftables
# backend the forward and raw-PREROUTING chains of `ip docker-bridges`
docker_forward_bypass()	# on|off
{
	local h op chain
	if [ "$E2E_FIREWALL" = iptables ]; then
		[ "$1" = on ] && op=-I || op=-D
		iptables_on 1 "$op" FORWARD -m comment --comment wgnet-test -j ACCEPT &&
			iptables_on 1 -t raw "$op" PREROUTING -m comment --comment wgnet-test \
				-j ACCEPT
		return
	fi
	for chain in filter-FORWARD raw-PREROUTING; do
		if [ "$1" = on ]; then
			nft_on 1 insert rule ip docker-bridges "$chain" accept \
				comment '"wgnet-test"' || return 1
			continue
		fi
		h=$(nft_on 1 -a list chain ip docker-bridges "$chain" |
			sed -nE 's/.*comment "wgnet-test" # handle ([0-9]+)$/\1/p')
		[ -n "$h" ] || return 1
		nft_on 1 delete rule ip docker-bridges "$chain" handle "$h" || return 1
	done
}
docker_forward_bypass on || die "bypass Docker's forward filter"
for fam in inet bridge; do
	n=$(rules_of "$fam" | wc -l)
	for ((k = 1; k <= n; k++)); do
		tables_restore || die "restore the tables"
		read -r f chain handle < <(rules_of "$fam" | sed -n "${k}p")
		text=$(nft_on 1 -a list chain "$f" wgnet "$chain" | grep -E "# handle $handle\$" |
			sed -E 's/^\s+//; s/ # handle [0-9]+$//')
		mutate "$f $chain: $text" nft_on 1 delete rule "$f" wgnet "$chain" handle "$handle"
	done
done
tables_restore || die "restore the tables"
docker_forward_bypass off || die "put Docker's forward filter back"
DU=()
if [ "$E2E_FIREWALL" = iptables ]; then
	# wgnet's DOCKER-USER accepts, with Docker's FORWARD chain as dockerd made it
	mapfile -t DU < <(iptables_on 1 -S DOCKER-USER | grep -- '--comment wgnet')
	assert_ok "wgnet's DOCKER-USER rules are there (${#DU[@]})" test "${#DU[@]}" -ge 4
else
	assert_fails "nftables backend: there is no DOCKER-USER chain" iptables_on 1 -S DOCKER-USER
	assert_match "iptables says there is no such chain" 'No chain' "$ASSERT_OUT"
	e2e_log "mutation check: no DOCKER-USER on Docker's nftables backend: its part is" \
		"skipped, wgnet's tables above were the whole firewall"
fi
for rule in "${DU[@]}"; do
	spec=${rule#-A DOCKER-USER }
	pos=$(iptables_on 1 -S DOCKER-USER | grep -v '^-N' | grep -nxF -- "$rule" | cut -d: -f1)
	# shellcheck disable=SC2086
	mutate "DOCKER-USER $spec" iptables_on 1 -D DOCKER-USER $spec
	# shellcheck disable=SC2086
	iptables_on 1 -I DOCKER-USER "$pos" $spec || die "put back: $spec"
done
if [ ${#UNNEEDED[@]} -eq 0 ]; then
	e2e_log "mutation check: every rule is needed by at least one probe"
else
	e2e_log "mutation check: rules no probe needs:"
	printf '      %s\n' "${UNNEEDED[@]}"
fi

# ---------------------------------------------------------------- 3. wgnetd's own tables again
wgnetd_start_backend 1
retry 20 at c2 ping -c1 -W1 "${IP[c1]}" || fail "after wgnetd's restart: c2 -> c1"
probes_run
[ -z "$(probes_changed)" ] && pass "after wgnetd's restart: every probe as expected" ||
	fail "after wgnetd's restart: probes differ" "$(probes_changed)"

e2e_finish
