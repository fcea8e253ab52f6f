# store.sh: the world of the store tests (source it after lib.sh): a LAN (a bridge in its own
# namespace), a 3-member etcd cluster with TLS and client certificates made here, and wgnetd
# hosts in namespaces on the LAN, each with its own /run, networks and "containers" driven
# through the plugin API as dockerd does. No dockerd.
# shellcheck shell=bash
#
#   store_world PREFIX            namespaces PREFIX<pid>{l,e,h<N>,c<N>,r<N>} (removed at exit),
#                                 certificates in $T/pki, the cluster started and healthy; sets
#                                 P, T, STORE, TLS (init's --store-* options)
#   attach NS ADDR...             a namespace on the LAN with these /24 addresses
#   etcd_start M / etcd_stop M    member M (1..3) of the cluster
#   etcdctl_ ARGS...              etcdctl against the cluster, as a wgnet host
#   wgnetd_start H / wgnetd_stop H   host H's wgnetd (daemon.sh: stopped with TERM at exit)
#   cli H ARGS...                 wgnet against host H;  api H PATH JSON: the plugin API (BODY)
#   peers_of H                    "name index source" per peer;  peer_names H: names, sorted
#   has_peers H "NAMES"           host H's peers are exactly NAMES
#   container_up H                network $NET (10.210.0.0/16) on host H and one "container"
#                                 (namespace ${P}c<H>) on it; sets A<H> (its address)
#   pingc FROM-H ADDR             one ping from container FROM-H
#   wg_of H ARGS...               wg in host H's namespace, with its /run
#   keys_at H INDEX               the keys of host H's peers at INDEX (state)
#   one_peer_at H INDEX KEY       one peer at INDEX with KEY, allowed IPs exactly its slice
#   on_device H KEY / off_device H KEY   the key is (not) a peer of host H's wgnet0
#   rekey_failed H                what host H has, for a failed check
#   cut_off H / cut_back H        host H cut off from etcd both ways (an open watch stream
#                                 would otherwise still deliver what etcd sends), and back
#   events_of H                   "event subject" per line: every event host H still holds

. "$IT_LIB_DIR/../etcd.sh"

NET=$(printf 'f%063d' 7)
STORE_OPTS='{"com.docker.network.endpoint.exposedports":[],"com.docker.network.portmap":[]}'
STORE=https://10.99.0.11:2379,https://10.99.0.12:2379,https://10.99.0.13:2379
STORE_CLUSTER=m1=https://10.99.0.11:2380,m2=https://10.99.0.12:2380,m3=https://10.99.0.13:2380

# at exit, once the lib stopped every wgnetd with SIGTERM: etcd, wireguard-go, the namespaces
store_cleanup()
{
	local n p
	for n in $(ip netns list 2>/dev/null | awk '{print $1}' | grep -E "^${P}[lehcr][0-9]*$"); do
		for p in $(ip netns pids "$n" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
	done
	sleep 0.2
	for n in $(ip netns list 2>/dev/null | awk '{print $1}' | grep -E "^${P}[lehcr][0-9]*$"); do
		ip netns del "$n" 2>/dev/null
	done
}

attach()	# NS ADDR...
{
	local ns=$1 a
	shift
	ip netns add "$ns" 2>/dev/null
	ip -n "$ns" link set lo up
	ip -n "${P}l" link add "v${ns#"$P"}" type veth peer name eth0 netns "$ns"
	ip -n "${P}l" link set "v${ns#"$P"}" master br0 up
	for a in "$@"; do ip -n "$ns" addr add "$a/24" dev eth0; done
	ip -n "$ns" link set eth0 up
}

etcd_start()	# MEMBER
{
	local m=$1
	etcd_member_argv "m$m" "10.99.0.1$m" "$T/etcd$m" "$STORE_CLUSTER" "$P" "$T/pki"
	ip netns exec "${P}e" "${ETCD_ARGV[@]}" >>"$T/etcd$m.log" 2>&1 &
	echo $! >"$T/etcd$m.pid"
	disown $!	# killed on purpose: no "Killed" line from bash
}

etcd_stop()	# MEMBER
{
	local pid i
	pid=$(cat "$T/etcd$1.pid" 2>/dev/null) || return 0
	kill -TERM "$pid" 2>/dev/null
	for ((i = 0; i < 100; i++)); do
		pid_alive "$pid" || break
		sleep 0.1
	done
	rm -f "$T/etcd$1.pid"
}

etcdctl_()
{
	ip netns exec "${P}e" etcdctl --endpoints "$STORE" --cacert "$T/pki/ca.pem" \
		--cert "$T/pki/host.pem" --key "$T/pki/host-key.pem" --command-timeout 3s "$@"
}

# PREFIX: the namespaces' (reap_stale's too), with this run's pid
store_world()
{
	local t m
	for t in etcd etcdctl openssl; do
		command -v "$t" >/dev/null ||
			{ echo "store.sh: needs $t (scripts/setup.sh)" >&2; exit 1; }
	done
	reap_stale "$1" /tmp/wgnet-st
	P=$1$$
	T=$IT_DIR
	it_init
	on_exit store_cleanup
	mkdir -p "$T/pki"
	ip netns add "${P}l" && ip -n "${P}l" link add br0 type bridge &&
		ip -n "${P}l" link set br0 up || die "LAN namespace"
	attach "${P}e" 10.99.0.11 10.99.0.12 10.99.0.13
	# a CA, one certificate for the members (server and peer), one client certificate
	bash "$IT_LIB_DIR/../etcd_pki.sh" "$T/pki" 10.99.0.11 10.99.0.12 10.99.0.13 \
		>"$T/pki.log" 2>&1 || die "certificates" "$(tail -n 5 "$T/pki.log")"
	TLS=(--store-ca "$T/pki/ca.pem" --store-cert "$T/pki/host.pem"
	     --store-key "$T/pki/host-key.pem")
	for m in 1 2 3; do etcd_start "$m"; done
	retry 30 etcdctl_ endpoint health || die "etcd cluster healthy" "$(tail -n 5 "$T/etcd1.log")"
	pass "3-member etcd cluster with client certificates"
}

# each host with its own /run (its wireguard-go's socket); the lib's wgnetd_start and
# wgnetd_stop (for its namespace's wgnetd) are not used here
wgnetd_start()	# HOST
{
	local h=$1 i
	mkdir -p "$T/h$h/state" "$T/h$h/run"
	daemon_start "$T/h$h" ip netns exec "${P}h$h" unshare -m --propagation private \
		sh -c 'mount --bind "$0" /run && exec "$@"' "$T/h$h/run" "$WGNETD" \
		--plugin-socket "$T/h$h/plugin.sock" --control-socket "$T/h$h/control.sock" \
		--state-dir "$T/h$h/state" --no-iptables --log-level debug
	for ((i = 0; i < 150; i++)); do
		[ -S "$T/h$h/control.sock" ] && [ -S "$T/h$h/plugin.sock" ] && return 0
		sleep 0.1
	done
	die "host $h: wgnetd did not start" "$(tail -n 5 "$T/h$h/wgnetd.log")"
}

wgnetd_stop()	# HOST
{
	daemon_stop "$T/h$1" TERM
	[ "$DAEMON_STATUS" = 0 ] ||
		fail "host $1: wgnetd stops on SIGTERM with status 0" "status $DAEMON_STATUS"
	rm -f "$T/h$1/control.sock" "$T/h$1/plugin.sock"
}

cli()		# HOST ARGS...
{
	local h=$1
	shift
	"$WGNET" --socket "$T/h$h/control.sock" "$@"
}

api()		# HOST PATH JSON: sets BODY
{
	BODY=$(curl -s --max-time 20 --unix-socket "$T/h$1/plugin.sock" -X POST -H 'Host;' \
		-H 'Content-Type:' --data-binary "$3" "http://localhost/$2")
}

peers_of()	# HOST: "name index source" per peer, sorted
{
	cli "$1" status --json | jq -r '.peers[] | "\(.name) \(.index) \(.source)"' | sort
}

peer_names()	# HOST: names, space-separated (query_failed's line when status fails)
{
	local j
	j=$(cli "$1" status --json) || { query_failed "host $1: wgnet status" $?; return; }
	jq -r '[.peers[].name] | sort | join(" ")' <<<"$j"
}

has_peers()	# HOST "NAMES"
{
	local n
	n=$(peer_names "$1") && [ "$n" = "$2" ]
}

body_field() { jq -r ".$1 // empty" <<<"$BODY"; }

container_up()	# HOST: a network and a container on it, as dockerd drives it
{
	local h=$1 i pool gw addr ep src gwip
	i=$(cli "$h" status --json | jq -r .host.index)
	api "$h" IpamDriver.RequestPool \
		'{"AddressSpace":"wgnet-local","Pool":"10.210.0.0/16","SubPool":"","Options":{},"V6":false}'
	pool=$(body_field PoolID)
	api "$h" IpamDriver.RequestAddress "{\"PoolID\":\"$pool\",\"Address\":\"\",\"Options\":{\"RequestAddressType\":\"com.docker.network.gateway\"}}"
	gw=$(body_field Address)
	api "$h" NetworkDriver.CreateNetwork "{\"NetworkID\":\"$NET\",\"Options\":{\"com.docker.network.enable_ipv6\":false,\"com.docker.network.generic\":{}},\"IPv4Data\":[{\"AddressSpace\":\"wgnet-local\",\"Gateway\":\"$gw\",\"Pool\":\"10.210.$i.0/24\"}],\"IPv6Data\":[]}"
	[ "$BODY" = "{}" ] || fail "host $h: CreateNetwork" "$BODY"
	api "$h" IpamDriver.RequestAddress "{\"PoolID\":\"$pool\",\"Address\":\"\",\"Options\":null}"
	addr=$(body_field Address)
	ep=$(printf 'e%063d' "$h")
	api "$h" NetworkDriver.CreateEndpoint "{\"NetworkID\":\"$NET\",\"EndpointID\":\"$ep\",\"Interface\":{\"Address\":\"$addr\",\"AddressIPv6\":\"\",\"MacAddress\":\"\"},\"Options\":$STORE_OPTS}"
	api "$h" NetworkDriver.Join "{\"NetworkID\":\"$NET\",\"EndpointID\":\"$ep\",\"SandboxKey\":\"/var/run/docker/netns/c$h\",\"Options\":$STORE_OPTS}"
	src=$(body_field InterfaceName.SrcName)
	gwip=$(body_field Gateway)
	[ -n "$src" ] && [ -n "$gwip" ] || die "host $h: Join" "$BODY"
	ip netns add "${P}c$h"
	ip -n "${P}h$h" link set "$src" netns "${P}c$h"
	ip -n "${P}c$h" link set "$src" name eth0
	ip -n "${P}c$h" addr add "$addr" dev eth0
	ip -n "${P}c$h" link set eth0 up
	ip -n "${P}c$h" route add default via "$gwip"
	eval "A$h=${addr%/*}"
}

pingc()		# FROM-CONTAINER ADDR
{
	ip netns exec "${P}c$1" ping -c 1 -W 1 "$2"
}

wg_of()		# HOST ARGS...: wg in the host's namespace, with its /run (wireguard-go's socket)
{
	local h=$1
	shift
	ip netns exec "${P}h$h" unshare -m --propagation private \
		sh -c 'mount --bind "$0" /run && exec wg "$@"' "$T/h$h/run" "$@"
}

keys_at()	# HOST INDEX: the keys of the host's peers at INDEX (state), space-separated
{
	cli "$1" status --json | jq -r --argjson i "$2" \
		'[.peers[] | select(.index == $i) | .public_key] | join(" ")'
}

one_peer_at()	# HOST INDEX KEY: one peer at INDEX, with KEY, whose allowed IPs on wgnet0 are
		# exactly its slice of 10.210.0.0/16, which no other peer of the device has
{
	local dev
	[ "$(keys_at "$1" "$2")" = "$3" ] || return 1
	dev=$(wg_of "$1" show wgnet0 allowed-ips) || return 1
	[ "$(awk -v k="$3" '$1 == k { $1 = ""; print substr($0, 2) }' <<<"$dev")" = "10.210.$2.0/24" ] &&
		[ "$(grep -c "10\.210\.$2\.0/24" <<<"$dev")" = 1 ]
}

on_device()	# HOST KEY: the key is a peer of the host's wgnet0
{
	wg_of "$1" show wgnet0 peers | grep -qxF "$2"
}

off_device()	# HOST KEY: the key is not a peer of the host's wgnet0 (and wg answered)
{
	local peers
	peers=$(wg_of "$1" show wgnet0 peers) && ! grep -qxF "$2" <<<"$peers"
}

rekey_failed()	# HOST: what the host has, for a failed check
{
	echo "state: $(peers_of "$1" | tr '\n' ';')"
	echo "wgnet0: $(wg_of "$1" show wgnet0 allowed-ips | tr '\t\n' ' ;')"
}

cut_off()	# HOST: no TCP to or from etcd's port: a stream already open stops delivering too
{
	ip netns exec "${P}h$1" nft -f - <<'NFT' || die "cut host $1 from etcd"
table inet wgstcut {
	chain out {
		type filter hook output priority 0;
		tcp dport 2379 reject with tcp reset
	}
	chain in {
		type filter hook input priority 0;
		tcp sport 2379 drop
	}
}
NFT
}

cut_back() { ip netns exec "${P}h$1" nft delete table inet wgstcut; }

# A container's names as host INDEX would publish them (with no dockerd here, put by hand): a
# host cut off from the store cannot take them back itself.
names_put()	# INDEX
{
	local ep
	ep=$(printf 'names of %s' "$1" | sha256sum | cut -d' ' -f1)
	etcdctl_ put "/wgnet/names/$1/$ep" \
		'{"v":1,"pool":"10.210.0.0/16","addr":"10.210.'"$1"'.5","names":["web'"$1"'"]}' >/dev/null
}
names_of() { etcdctl_ get --prefix --keys-only "/wgnet/names/$1/"; }	# INDEX

events_of()	# HOST: the control API's /events, batch after batch
{
	local since=0 j
	while :; do
		j=$(curl -s --max-time 5 --unix-socket "$T/h$1/control.sock" \
			"http://localhost/events?since=$since&wait=0") || return
		jq -r '.events[] | "\(.event) \(.subject)"' <<<"$j"
		[ "$(jq '.events | length' <<<"$j")" -gt 0 ] || return 0
		since=$(jq .last <<<"$j")
	done
}
