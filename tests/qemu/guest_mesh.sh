#!/bin/sh
# SPDX-License-Identifier: MIT
# guest_mesh.sh: wgnetd on kernel WireGuard, run by the qemu guest's /init after test_wg_kernel.
# Two hosts, network namespaces h1 and h2 joined by a veth underlay, each with its own wgnetd.
# A "container" per host is a namespace c1/c2 given the veth that Join names, as dockerd would
# do. Checks: the backend is picked by itself, a port in use is reported, the mesh carries
# pings over kernel WireGuard, and the data path survives wgnetd stopping and starting again.
# Prints PASS/FAIL lines for run.sh; busybox sh, with iproute2's ip and wireguard-tools' wg.
W=/tmp/mesh
IP=/usr/sbin/ip
WG=/usr/bin/wg
NET=00000000000000000000000000000000000000000000000000000000000a5e01
OPTS='{"com.docker.network.endpoint.exposedports":[],"com.docker.network.portmap":[]}'

pass() { echo "PASS mesh: $1"; }
fail() {
	echo "FAIL mesh: $1"
	[ -z "$2" ] || echo "$2" | sed 's/^/# /'
}
check() {
	desc=$1
	shift
	if "$@" >/dev/null 2>&1; then pass "$desc"; else fail "$desc"; fi
}

# check_grep DESC PATTERN CMD...: CMD's output has PATTERN
check_grep() {
	desc=$1 pattern=$2
	shift 2
	if "$@" 2>&1 | grep -q -- "$pattern"; then pass "$desc"; else fail "$desc"; fi
}

wgnet() {
	h=$1
	shift
	/usr/bin/wgnet --socket "$W/h$h/control.sock" "$@"
}

# api HOST PATH JSON: the plugin API as dockerd calls it; the reply in $BODY
api() {
	BODY=$(curl -s --max-time 20 --unix-socket "$W/h$1/plugin.sock" -X POST -H 'Host;' \
		-H 'Content-Type:' --data-binary "$3" "http://localhost/$2")
}

# field NAME: a string value of $BODY (the replies are flat enough for sed)
field() {
	echo "$BODY" | sed -n "s/.*\"$1\": *\"\\([^\"]*\\)\".*/\\1/p"
}

wgnetd_start() {
	h=$1
	mkdir -p "$W/h$h/state"
	rm -f "$W/h$h/plugin.sock"
	$IP netns exec "h$h" /usr/sbin/wgnetd --plugin-socket "$W/h$h/plugin.sock" \
		--control-socket "$W/h$h/control.sock" --state-dir "$W/h$h/state" --no-iptables \
		--log-level debug >>"$W/h$h/log" 2>&1 &
	eval "PID$h=$!"
	i=0
	while [ $i -lt 300 ]; do
		[ -S "$W/h$h/plugin.sock" ] && [ -S "$W/h$h/control.sock" ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	fail "host $h: wgnetd did not start" "$(tail -n 5 "$W/h$h/log")"
	return 1
}

wgnetd_stop() {
	eval "pid=\$PID$1"
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
}

ping_ok() {
	$IP netns exec "c$1" ping -c 1 -W 3 "$2"
}

# ping_retry FROM ADDR: the first handshake, under TCG, may take a few seconds
ping_retry() {
	i=0
	while [ $i -lt 5 ]; do
		ping_ok "$1" "$2" >/dev/null 2>&1 && return 0
		i=$((i + 1))
	done
	return 1
}

mkdir -p "$W" /run/netns
for h in 1 2; do
	$IP netns add "h$h" && $IP netns add "c$h" || { fail "namespaces"; exit 1; }
	$IP -n "h$h" link set lo up
	$IP -n "c$h" link set lo up
done
$IP link add u1 netns h1 type veth peer name u2 netns h2
for h in 1 2; do
	$IP -n "h$h" addr add "192.168.77.$h/24" dev "u$h"
	$IP -n "h$h" link set "u$h" up
	wgnetd_start "$h" || exit 1
done

# ---- a kernel WireGuard that is not ours already has UDP 51820 on host 1
$IP -n h1 link add wgx type wireguard
$IP netns exec h1 $WG set wgx listen-port 51820
$IP -n h1 link set wgx up
out=$(wgnet 1 init --index 1 --endpoint 192.168.77.1:51820 --name host1 2>&1)
rc=$?
if [ $rc -ne 0 ] &&
	echo "$out" | grep -q 'host index 1 is saved, but .*UDP port 51820 is in use by another'; then
	pass "init with UDP 51820 taken fails and says so"
else
	fail "init with UDP 51820 taken fails and says so" "exit $rc: $out"
fi
$IP -n h1 link del wgx

# ---- init, then each host adds the other
for h in 1 2; do
	out=$(wgnet "$h" init --index "$h" --endpoint "192.168.77.$h:51820" --name "host$h" 2>&1) ||
		fail "host $h: wgnet init" "$out"
	eval "JOIN$h=\$(wgnet $h join-line)"
	check_grep "host $h: status says backend kernel" 'backend kernel' wgnet "$h" status
	check_grep "host $h: wgnet0 is a kernel wireguard link" ' wireguard ' \
		$IP -n "h$h" -d link show wgnet0
	port=$($IP netns exec "h$h" $WG show wgnet0 listen-port 2>&1)
	[ "$port" = 51820 ] && pass "host $h: wgnet0 listens on 51820" ||
		fail "host $h: wgnet0 listens on 51820" "wg show: $port"
done
# shellcheck disable=SC2086 # the join line as several arguments, as the e2e test does too
check "host 1: peer add host2" wgnet 1 peer add $JOIN2
# shellcheck disable=SC2086
check "host 2: peer add host1" wgnet 2 peer add $JOIN1
for h in 1 2; do
	n=$($IP netns exec "h$h" $WG show wgnet0 peers | wc -l)
	[ "$n" = 1 ] && pass "host $h: the kernel device has 1 peer" ||
		fail "host $h: the kernel device has 1 peer" "wg show wgnet0 peers: $n lines"
done

# ---- a network and a container on each host, as dockerd drives it
for h in 1 2; do
	api "$h" IpamDriver.RequestPool \
		'{"AddressSpace":"wgnet-local","Pool":"10.210.0.0/16","SubPool":"","Options":{},"V6":false}'
	pool=$(field PoolID)
	[ "$pool" = "wgnet-local/10.210.$h.0/24" ] || fail "host $h: RequestPool" "$BODY"
	api "$h" IpamDriver.RequestAddress "{\"PoolID\":\"$pool\",\"Address\":\"\",\"Options\":{\"RequestAddressType\":\"com.docker.network.gateway\"}}"
	gw=$(field Address)
	api "$h" NetworkDriver.CreateNetwork "{\"NetworkID\":\"$NET\",\"Options\":{\"com.docker.network.enable_ipv6\":false,\"com.docker.network.generic\":{}},\"IPv4Data\":[{\"AddressSpace\":\"wgnet-local\",\"Gateway\":\"$gw\",\"Pool\":\"10.210.$h.0/24\"}],\"IPv6Data\":[]}"
	[ "$BODY" = "{}" ] && pass "host $h: CreateNetwork" || fail "host $h: CreateNetwork" "$BODY"
	api "$h" IpamDriver.RequestAddress "{\"PoolID\":\"$pool\",\"Address\":\"\",\"Options\":null}"
	addr=$(field Address)
	ep=$(printf 'c%063d' "$h")
	api "$h" NetworkDriver.CreateEndpoint "{\"NetworkID\":\"$NET\",\"EndpointID\":\"$ep\",\"Interface\":{\"Address\":\"$addr\",\"AddressIPv6\":\"\",\"MacAddress\":\"\"},\"Options\":$OPTS}"
	api "$h" NetworkDriver.Join "{\"NetworkID\":\"$NET\",\"EndpointID\":\"$ep\",\"SandboxKey\":\"/var/run/docker/netns/c$h\",\"Options\":$OPTS}"
	src=$(field SrcName)
	gwip=$(field Gateway)
	if [ -z "$src" ] || [ -z "$gwip" ]; then
		fail "host $h: Join names the veth and the gateway" "$BODY"
		continue
	fi
	pass "host $h: Join -> $src, gateway $gwip, address $addr"
	$IP -n "h$h" link set "$src" netns "c$h"
	$IP -n "c$h" link set "$src" name eth0
	$IP -n "c$h" addr add "$addr" dev eth0
	$IP -n "c$h" link set eth0 up
	$IP -n "c$h" route add default via "$gwip"
done

# ---- the data path: container to container through kernel WireGuard, both ways
check "c1 -> c2 (10.210.2.2) over kernel WireGuard" ping_retry 1 10.210.2.2
check "c2 -> c1 (10.210.1.2) over kernel WireGuard" ping_retry 2 10.210.1.2
hs=$($IP netns exec h1 $WG show wgnet0 latest-handshakes | awk '{print $2}')
[ -n "$hs" ] && [ "$hs" != 0 ] && pass "host 1: a handshake with host 2" ||
	fail "host 1: a handshake with host 2" "latest-handshakes: $hs"

# ---- the kernel keeps the data path while wgnetd is away, and a new wgnetd adopts it
wgnetd_stop 1
check "c1 -> c2 with host 1's wgnetd stopped" ping_retry 1 10.210.2.2
wgnetd_start 1 || exit 1
check "c1 -> c2 after host 1's wgnetd started again" ping_retry 1 10.210.2.2
n=$($IP netns exec h1 $WG show wgnet0 peers | wc -l)
[ "$n" = 1 ] && pass "host 1: still 1 peer after the restart" ||
	fail "host 1: still 1 peer after the restart" "$n"
for h in 1 2; do
	wgnetd_stop "$h"
done
# the refused init above is the one warning expected
bad=$(grep -hE '^(error|warn):' "$W/h1/log" "$W/h2/log" | grep -v 'UDP port 51820 is in use')
[ -z "$bad" ] && pass "no other warning or error in either wgnetd's log" ||
	fail "no other warning or error in either wgnetd's log" "$(echo "$bad" | head -n 5)"
echo "# mesh done"
