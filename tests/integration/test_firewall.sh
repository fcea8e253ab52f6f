#!/usr/bin/env bash
# test_firewall.sh: what the mesh, other networks and the uplink can reach, judged by what
# ARRIVES (an nft counter in the receiver's namespace), each refusal beside a positive control
# from the same sender. Two wgnetd (host 1 = the lib's namespace, host 2 = its uplink neighbour)
# joined by a real WireGuard mesh (wireguard-go), containers as namespaces:
#
#   c1 10.210.1.2 (wgnet net A, host 1)      c2 10.210.2.2 (net A, host 2) "remote container"
#   ci 10.211.1.2 (wgnet --internal, host 1) cd 172.17.0.2 on docker0 (another Docker network)
#   cc 172.30.0.2 on mybr0 (a custom-named bridge)       host 2 = 192.0.2.2 "the uplink"
#   c3 10.210.1.3 (net A, host 1), joined after its anti-spoofing table was deleted by hand
set -u
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/mesh.sh"

H2=wgf-h2-$$
CTRS=(c1 ci c2 cd cc c3)
H2_DIR=$IT_DIR/h2
H2_PLUGIN=$H2_DIR/plugin.sock
H2_CONTROL=$H2_DIR/control.sock
PORT=40000		# every probe gets its own UDP port, so its counter is its own

ctr_ns() { echo "wgf-$1-$$"; }
in_ctr() { local c=$1; shift; ip netns exec "$(ctr_ns "$c")" "$@"; }
h2() { ip netns exec "$H2" "$@"; }
cli2() { "$WGNET" --socket "$H2_CONTROL" "$@"; }
api2() { IT_PLUGIN_SOCK=$H2_PLUGIN api "$@"; }

# namespaces of earlier runs whose shell is gone; then ours at exit (on_exit); the counters
# on the receivers (count_on, counted, probe) are mesh.sh's
mesh_reap wgf stale
fw_cleanup()
{
	mesh_reap wgf all
}

# arrives DESC SENDER-PREFIX RECEIVER-NS DST / blocked ...: judged by the receiver's counter
arrives()
{
	PORT=$((PORT + 1))
	probe "$2" "$3" "$4"
	[ "$N" -gt 0 ] && pass "$1 ($N packets)" || fail "$1" "nothing arrived at $3"
}
blocked()
{
	PORT=$((PORT + 1))
	probe "$2" "$3" "$4"
	[ "$N" -eq 0 ] && pass "$1 (nothing arrived)" || fail "$1" "$N packets arrived at $3"
}

# ---------------------------------------------------------------- topology

# a plain bridge with one container, as Docker makes docker0 or a custom-named bridge
plain_bridge()	# NAME GATEWAY/LEN CTR CTR-ADDR/LEN
{
	ns ip link add "$1" type bridge
	ns ip addr add "$2" dev "$1"
	ns ip link set "$1" up
	ns ip link add "v$3" type veth peer name eth0 netns "$(ctr_ns "$3")"
	ns ip link set "v$3" master "$1" up
	in_ctr "$3" ip addr add "$4" dev eth0
	in_ctr "$3" ip link set eth0 up
	in_ctr "$3" ip route add default via "${2%/*}"
}

it_setup
on_exit fw_cleanup
for c in "${CTRS[@]}"; do
	ip netns add "$(ctr_ns "$c")" || die "namespace $(ctr_ns "$c")"
	in_ctr "$c" ip link set lo up
done
ip netns add "$H2" || die "namespace $H2"
h2 ip link set lo up
ip link add up0 netns "$IT_NS" type veth peer name up0 netns "$H2" || die "uplink veth"
ns ip addr add 192.0.2.1/24 dev up0
ns ip link set up0 up
ns ip route add default via 192.0.2.2
h2 ip addr add 192.0.2.2/24 dev up0
h2 ip link set up0 up

host2_start "$H2" "$H2_DIR"

assert_ok "host 1: wgnet init" cli init --index 1 --endpoint 192.0.2.1:51820 --name h1
assert_ok "host 2: wgnet init" cli2 init --index 2 --endpoint 192.0.2.2:51820 --name h2
cli peer add "$(cli2 join-line)" >/dev/null || die "host 1: peer add"
cli2 peer add "$(cli join-line)" >/dev/null || die "host 2: peer add"

net_create api 10.210.0.0/16 10.210.1.0/24 10.210.1.1/24 false
ctr_join api "$IT_NS" c1 10.210.1.2/24 10.210.1.1
NET_A=$NET POOL_A=$POOLID
net_create api 10.211.0.0/16 10.211.1.0/24 10.211.1.1/24 true
ctr_join api "$IT_NS" ci 10.211.1.2/24 10.211.1.1
net_create api2 10.210.0.0/16 10.210.2.0/24 10.210.2.1/24 false
ctr_join api2 "$H2" c2 10.210.2.2/24 10.210.2.1
plain_bridge docker0 172.17.0.1/16 cd 172.17.0.2/16
plain_bridge mybr0 172.30.0.1/24 cc 172.30.0.2/24
h2 ip route add 172.16.0.0/12 via 192.0.2.1	# replies to the bridges of host 1

for c in c1 ci c2 cd cc; do count_on "$(ctr_ns "$c")"; done
count_on "$IT_NS"
count_on "$H2"
C1="in_ctr c1" CI="in_ctr ci" C2="in_ctr c2" CD="in_ctr cd" CC="in_ctr cc" UP="h2"
N1=$IT_NS N_C1=$(ctr_ns c1) N_C2=$(ctr_ns c2) N_CD=$(ctr_ns cd) N_CC=$(ctr_ns cc)
retry 20 in_ctr c2 ping -c1 -W1 10.210.1.2 || die "the mesh does not carry c2 -> c1"
assert_eq "status: firewall ok" ok "$(cli status --json | jq -r .firewall)"

# ---------------------------------------------------------------- 1. the host, from the mesh
arrives "remote container -> container of host 1 (control)" "$C2" "$N_C1" 10.210.1.2
blocked "remote container -> host 1's gateway address: dropped on input" "$C2" "$N1" 10.210.1.1
blocked "remote container -> host 1's uplink address: dropped on input" "$C2" "$N1" 192.0.2.1
arrives "host 1's own container -> its gateway (not from the mesh)" "$C1" "$N1" 10.210.1.1
assert_ok "remote container pings host 1's gateway (echo passes)" in_ctr c2 ping -c1 -W2 10.210.1.1
assert_ok "host 1 pings the remote container (replies pass)" ns ping -c1 -W2 -I 10.210.1.1 10.210.2.2
OPEN=$((PORT + 1))	# the next probe's port
assert_ok "wgnet host allow udp/$OPEN" cli host allow udp/$OPEN
arrives "remote container -> host 1 udp/$OPEN once allowed" "$C2" "$N1" 10.210.1.1
assert_match "host allowed lists it" "udp/$OPEN open to the mesh" "$(cli host allowed)"
assert_eq "status --json lists it" "[\"udp/$OPEN\"]" "$(cli status --json | jq -c .host_allow)"
assert_ok "wgnet host deny udp/$OPEN" cli host deny udp/$OPEN
PORT=$((OPEN - 1))	# the same port again (a new flow: another source port), closed now
ip netns exec "$N1" nft flush chain inet wgtest in
blocked "remote container -> host 1 udp/$OPEN after host deny" "$C2" "$N1" 10.210.1.1
assert_fails "host allow tcp/0 is refused" cli host allow tcp/0
assert_fails "host allow icmp/1 is refused" cli host allow icmp/1
assert_fails "host deny of a closed port is refused" cli host deny tcp/9

# ---------------------------------------------------------------- 2. --internal
arrives "internal container -> its gateway (control)" "$CI" "$N1" 10.211.1.1
blocked "internal container -> the uplink: dropped" "$CI" "$H2" 192.0.2.2
arrives "container of a normal network -> the uplink (control)" "$C1" "$H2" 192.0.2.2
blocked "internal container -> another Docker network: dropped" "$CI" "$N_CD" 172.17.0.2

# ---------------------------------------------------------------- 3. allow-list isolation
blocked "wgnet container -> custom-named bridge mybr0: dropped" "$C1" "$N_CC" 172.30.0.2
blocked "wgnet container -> docker0: dropped" "$C1" "$N_CD" 172.17.0.2
arrives "custom bridge container -> the uplink (control)" "$CC" "$H2" 192.0.2.2
blocked "custom bridge container -> wgnet container: dropped" "$CC" "$N_C1" 10.210.1.2
arrives "docker0 container -> the uplink (control)" "$CD" "$H2" 192.0.2.2
blocked "docker0 container -> wgnet container: dropped" "$CD" "$N_C1" 10.210.1.2
blocked "docker0 container -> the tunnel (remote container): dropped" "$CD" "$N_C2" 10.210.2.2
h2 ip route add 10.210.1.2/32 via 192.0.2.1	# the uplink aims at the container directly
blocked "uplink -> wgnet container directly: dropped" "$UP" "$N_C1" 10.210.1.2
h2 ip route del 10.210.1.2/32 via 192.0.2.1

# ---------------------------------------------------------------- 4. spoofing into the tunnel
# c1 rewrites its own source on the way out (CAP_NET_RAW could forge anything)
spoof_as()	# SOURCE: c1's next probe leaves with that source
{
	in_ctr c1 nft delete table ip spoof 2>/dev/null
	in_ctr c1 nft add table ip spoof
	in_ctr c1 nft add chain ip spoof post '{ type nat hook postrouting priority 100; }'
	in_ctr c1 nft add rule ip spoof post udp dport $((PORT + 1)) snat to "$1"
}
spoof_as 10.210.1.2
arrives "container -> remote container with its own source (control)" "$C1" "$N_C2" 10.210.2.2
spoof_as 10.210.1.3
blocked "container -> remote container as its neighbour 10.210.1.3: dropped" "$C1" "$N_C2" 10.210.2.2
spoof_as 10.210.9.9
blocked "container -> remote container as 10.210.9.9: dropped" "$C1" "$N_C2" 10.210.2.2
# a new endpoint only adds its element to the set; with the table gone (deleted by hand), the
# whole table is made again, with every endpoint's element: by the firewall watch as soon as
# the table goes, or by the endpoint's own call if it comes first
ns nft delete table bridge wgnet
NET=$NET_A POOLID=$POOL_A ctr_join api "$IT_NS" c3 10.210.1.3/24 10.210.1.1
assert_match "the table deleted by hand: wgnetd rebuilt it" \
	"(could not add wgv${EP_c3:0:11} in table bridge wgnet in place .*: rebuilding it|table bridge wgnet deleted by nft.*: rebuilding wgnet's tables)" \
	"$(cat "$IT_LOG")"
assert_eq "the rebuilt set holds every endpoint's veth with its MAC and address (c1, ci, c3)" \
	"$(printf '"wgv%s" . 02:42:%s . %s\n' "${EP_c1:0:11}" 0a:d2:01:02 10.210.1.2 \
		"${EP_ci:0:11}" 0a:d3:01:02 10.211.1.2 "${EP_c3:0:11}" 0a:d2:01:03 10.210.1.3 | sort)" \
	"$(ns nft -j list set bridge wgnet ports | jq -r '.nftables[] | select(.set) | .set.elem[] |
		.concat | "\"\(.[0])\" . \(.[1]) . \(.[2])"' | sort)"
arrives "new container -> remote container with its own source" "in_ctr c3" "$N_C2" 10.210.2.2
spoof_as 10.210.1.3
blocked "after the rebuild: container -> remote container as the new one: dropped" \
	"$C1" "$N_C2" 10.210.2.2
in_ctr c1 nft delete table ip spoof

# ---------------------------------------------------------------- 7, 8, 9. published ports
api NetworkDriver.ProgramExternalConnectivity "{\"NetworkID\":\"$NET_A\",\"EndpointID\":\"$EP_c1\",\"Options\":{\"com.docker.network.portmap\":[{\"Proto\":6,\"IP\":\"\",\"Port\":80,\"HostIP\":\"\",\"HostPort\":8080,\"HostPortEnd\":8080},{\"Proto\":17,\"IP\":\"\",\"Port\":81,\"HostIP\":\"\",\"HostPort\":0,\"HostPortEnd\":0},{\"Proto\":17,\"IP\":\"\",\"Port\":82,\"HostIP\":\"\",\"HostPort\":0,\"HostPortEnd\":0}]}}"
assert_json "ProgramExternalConnectivity -p 8080:80 -P 81/udp 82/udp -> {}" '. == {}'
api NetworkDriver.EndpointOperInfo "{\"NetworkID\":\"$NET_A\",\"EndpointID\":\"$EP_c1\"}"
assert_json "EndpointOperInfo returns the mapping, -P ports distinct" \
	'.Value["com.docker.network.portmap"] | length == 3 and .[0].HostPort == 8080 and
	 .[0].Port == 80 and .[0].Proto == 6 and .[1].HostPort >= 49153 and
	 .[2].HostPort >= 49153 and .[1].HostPort != .[2].HostPort'
P81=$(jq '.Value["com.docker.network.portmap"][1].HostPort' <<<"$BODY")
ctr_http()	# a one-shot TCP server on c1:80 that answers "hello"
{
	(in_ctr c1 timeout 20 busybox nc -l -p 80 -e sh -c 'echo hello' >/dev/null 2>&1 &)
	retry 5 sh -c "ip netns exec $N_C1 ss -ltn | grep -q ':80 '"
}
ctr_http
assert_match "host: curl 127.0.0.1:8080 reaches the container (-p 8080:80)" hello \
	"$(ns timeout 10 busybox nc 127.0.0.1 8080 </dev/null 2>&1)"
ctr_http
assert_match "docker0 container -> host's address:8080 reaches the container" hello \
	"$(in_ctr cd timeout 10 busybox nc 192.0.2.1 8080 </dev/null 2>&1)"
ctr_http
assert_match "uplink -> host 1:8080 reaches the container" hello \
	"$(h2 timeout 10 busybox nc 192.0.2.1 8080 </dev/null 2>&1)"
in_ctr c1 nft add rule inet wgtest in udp dport 81 counter	# after the DNAT: the container's port
for i in 1 2 3; do h2 bash -c "echo x >/dev/udp/192.0.2.1/$P81"; done
retry 2 eval '[ "$(counted "$N_C1" 81)" -gt 0 ]' &&
	pass "uplink -> host 1 udp/$P81 (-P for 81/udp) arrives at the container's :81" ||
	fail "uplink -> host 1 udp/$P81 (-P for 81/udp) arrives at the container's :81"

# ---------------------------------------------------------------- 10. ports in use
(ns timeout 30 busybox nc -l -p 8090 >/dev/null 2>&1 &)
retry 5 sh -c "ip netns exec $IT_NS ss -ltn | grep -q ':8090 '"
publish_ci()	# HOSTPORT: -p HOSTPORT:80 for ci's endpoint
{
	api NetworkDriver.ProgramExternalConnectivity "{\"NetworkID\":\"$NET_ci\",\"EndpointID\":\"$EP_ci\",\"Options\":{\"com.docker.network.portmap\":[{\"Proto\":6,\"IP\":\"\",\"Port\":80,\"HostIP\":\"\",\"HostPort\":$1,\"HostPortEnd\":$1}]}}"
}
publish_ci 8090
assert_err "-p 8090 while a host program listens on it is refused" 'tcp/8090.*listening'
publish_ci 8080
assert_err "-p 8080 while another container publishes it is refused" 'tcp/8080.*another container'
publish_ci 8091
assert_json "-p 8091 (free) is accepted" '. == {}'

# ---------------------------------------------------------------- 5. fail closed
peers_on_h1() { lines it_in_run wg show wgnet0 peers; }
assert_eq "host 1 has its peer" 1 "$(peers_on_h1)"
wgnetd_stop TERM
ns nft delete table inet wgnet
mkfifo "$IT_DIR/hold"
ip netns exec "$IT_NS" nft -i <"$IT_DIR/hold" >/dev/null 2>&1 &
HOLD=$!			# nft's own pid (ip netns exec execs it)
exec 7>"$IT_DIR/hold"
echo 'add table inet wgnet { flags owner; }' >&7	# another program owns the name: ours fails
retry 5 ns nft list table inet wgnet || die "the owned table was not made"
wgnetd_start 7>&-	# wgnetd must not hold the fifo open
assert_eq "table refused: status says firewall failed" failed "$(cli status --json | jq -r .firewall)"
assert_match "wgnet status says it loudly" "WARNING +firewall failed" "$(cli status)"
assert_eq "table refused: no peer on wgnet0 (fail closed)" 0 "$(peers_on_h1)"
blocked "container -> remote container with no firewall: nothing leaves" "$C1" "$N_C2" 10.210.2.2
kill "$HOLD"		# the owner goes, its table with it
wait "$HOLD" 2>/dev/null
exec 7>&-
wgnetd_stop TERM
wgnetd_start 7>&-	# wgnetd must not hold the fifo open
assert_eq "table back: status ok" ok "$(cli status --json | jq -r .firewall)"
retry_eq 10 1 peers_on_h1 && pass "table back: the peer is configured again" ||
	fail "table back: the peer is configured again"
retry 20 in_ctr c2 ping -c1 -W1 10.210.1.2 >/dev/null
arrives "table back: remote container -> container again" "$C2" "$N_C1" 10.210.1.2

# fail closed at start: a boot (no wireguard-go, no wgnet0, no tables), sampled all along from
# one namespace ("peers table" per line, "- t" while there is no device): the device never holds
# a peer while the table is missing, nor at all while another program holds the table's name
sampler_start()
{
	rm -f "$IT_DIR/sample.stop"
	(it_in_run bash -c 'while [ ! -e "$0/sample.stop" ]; do
		if p=$(wg show wgnet0 peers 2>/dev/null); then p=$(grep -c . <<<"$p"); else p=-; fi
		nft list table inet wgnet >/dev/null 2>&1 && t=1 || t=0
		echo "$p $t"
	done' "$IT_DIR") >"$IT_DIR/samples" 2>/dev/null &
	SAMPLER=$!
}
sampler_stop()
{
	touch "$IT_DIR/sample.stop"
	wait "$SAMPLER"
}
boot()	# a machine that just started: wgnetd stopped, no wireguard-go, no wgnet0, no tables
{
	wgnetd_stop TERM
	for p in $(ip netns pids "$IT_NS"); do
		[[ "$(cat "/proc/$p/comm" 2>/dev/null)" == *wireguard* ]] && kill -KILL "$p"
	done
	retry 5 sh -c "! ip -n $IT_NS link show wgnet0" || ns ip link del wgnet0
	ns nft delete table inet wgnet 2>/dev/null
	ns nft delete table bridge wgnet 2>/dev/null
}
device_up() { (it_in_run wg show wgnet0) >/dev/null 2>&1; }
boot
ip netns exec "$IT_NS" nft -i <"$IT_DIR/hold" >/dev/null 2>&1 &
HOLD=$!
exec 7>"$IT_DIR/hold"
echo 'add table inet wgnet { flags owner; }' >&7
retry 5 ns nft list table inet wgnet || die "the owned table was not made"
sampler_start
wgnetd_start 7>&-
retry 20 device_up || fail "boot, table refused: wgnetd made wgnet0"
assert_eq "boot, table refused: status says firewall failed" failed \
	"$(cli status --json | jq -r .firewall)"
sampler_stop
assert_match "boot, table refused: the sampler saw the device ($(wc -l <"$IT_DIR/samples") samples)" \
	'(^|,)0 ' "$(tr '\n' , <"$IT_DIR/samples")"
assert_eq "boot, table refused: never a peer on wgnet0" "" \
	"$(grep -E '^[1-9]' "$IT_DIR/samples" | head -3)"
kill "$HOLD"
wait "$HOLD" 2>/dev/null
exec 7>&-
boot
sampler_start
wgnetd_start
one_peer() { [ "$(peers_on_h1)" = 1 ]; }
retry 20 one_peer && pass "boot: the peer is configured" || fail "boot: the peer is configured"
sampler_stop
assert_match "boot: the sampler saw the peer arrive ($(wc -l <"$IT_DIR/samples") samples)" \
	'^1 1$' "$(cat "$IT_DIR/samples")"
assert_eq "boot: never a peer without the table" "" \
	"$(grep -E '^[1-9][0-9]* 0$' "$IT_DIR/samples" | head -3)"

it_finish
