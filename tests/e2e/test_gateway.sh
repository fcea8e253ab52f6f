#!/usr/bin/env bash
# test_gateway.sh: a container on a wgnet network and on Docker bridge networks at once. Docker
# gives one of them the container's default route (its gateway endpoint: the highest
# --gw-priority, 28.0 and later, then the network name) and tells that endpoint's driver to
# publish the container's ports (ProgramExternalConnectivity), the one before it to stop
# (RevokeExternalConnectivity); 20.10, 28.5 and 29 each send these at other moments. Whatever
# the version, a published port must lead to the container's address on the gateway network and
# nowhere else (counted in the container, per address), egress must leave by the gateway
# network's bridge, masqueraded (counted on the host and the uplink), and after `docker network
# disconnect` nothing of the container may be left in wgnet's tables.
#
#   host 1: app (wgnet, 10.210.0.0/16), aaa (bridge, sorts before app: the gateway once
#           connected, on every version), zzz (bridge, sorts after: the gateway only with
#           --gw-priority, 28.0 and later)
# WGNET_E2E_DOCKER=forky runs it against dockerd 28.5 (test_gateway_forky.sh), docker29 against
# 29.7.2 (test_gateway_d29.sh: iptables, test_gateway_d29_nft.sh: nftables).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

FRAME=${FRAME:-$E2E_REPO/build/release/tests/frame}
H=1
HOST_IP=$(host_ip "$H")
PROBE_PORT=30000	# a fresh UDP port for each egress check: no conntrack entry decides one

e2e_init
[ -x "$FRAME" ] || die "no frame tool at $FRAME (set FRAME)"
host_up "$H"
HOST_MAC=$(host_exec "$H" cat /sys/class/net/eth0/address)
wgnetd_start "$H"
wgnet_on "$H" init --index "$H" >/dev/null || die "wgnet init"
docker_on "$H" network create -d wgnet --ipam-driver wgnet --subnet 10.210.0.0/16 app \
	>/dev/null || die "network app"
docker_on "$H" network create --subnet 172.30.0.0/24 aaa >/dev/null || die "network aaa"
docker_on "$H" network create --subnet 172.31.0.0/24 zzz >/dev/null || die "network zzz"

# ctr NAME NETWORK PORT: a container serving "page-of-NAME" on :80, published on host PORT,
# and its UDP port 99 on host PORT + 1000
ctr()
{
	docker_on "$H" run -d --stop-timeout 1 --name "$1" --network "$2" -p "$3:80" \
		-p "$(($3 + 1000)):99/udp" bb:latest \
		sh -c "echo page-of-$1 >/tmp/index.html && httpd -p 80 -h /tmp && exec sleep 3600" \
		>/dev/null || die "docker run $1 on $2"
}

# addrs CTR: "network=address" for each network CTR is on
addrs()
{
	docker_on "$H" inspect -f \
		'{{range $n, $v := .NetworkSettings.Networks}}{{$n}}={{$v.IPAddress}} {{end}}' "$1"
}

# arrivals_arm CTR MATCH: count, in CTR's namespace, the packets matching MATCH that arrive at
# each of its addresses (after any DNAT)
arrivals_arm()
{
	local ctr=$1 rules="" nv
	for nv in $(addrs "$ctr"); do
		rules+="add rule ip wgtestgw in ip daddr ${nv#*=} $2 counter comment \"${nv%%=*}\""$'\n'
	done
	ctr_netns "$H" "$ctr" nft -f - <<-EOF
		table ip wgtestgw
		delete table ip wgtestgw
		table ip wgtestgw { chain in { type filter hook input priority -400; }; }
		$rules
	EOF
}

# arrivals CTR: the networks at whose address arrivals_arm's packets arrived ("none")
arrivals()
{
	local out got
	out=$(ctr_netns "$H" "$1" nft -j list table ip wgtestgw) ||
		{ query_failed "counters of $1" $?; return; }
	got=$(jq -r '[.nftables[] | .rule? // empty | select(any(.expr[]; .counter?.packets > 0)) |
		.comment] | sort | join(" ")' <<<"$out")
	echo "${got:-none}"
}

# lands CTR PORT: the networks of CTR at whose address a new connection of the uplink to
# host:PORT arrives, then "page" when the page came back, e.g. "app page"; "none" when nothing
# arrived
lands()
{
	local ctr=$1 port=$2 page=""
	arrivals_arm "$ctr" "tcp dport 80 tcp flags syn" ||
		{ echo "(counters could not be armed)"; return; }
	[ "$(uplink_exec timeout 5 busybox wget -qO- "http://$HOST_IP:$port/" 2>/dev/null)" = \
		"page-of-$ctr" ] && page=" page"
	echo "$(arrivals "$ctr")$page"
}

# flow_lands CTR PORT: the networks of CTR at whose address three more datagrams of one UDP
# flow of the uplink to host:PORT+1000 arrive: always the same source port, so that the flow's
# conntrack entry, made at its first datagram, decides where they go
flow_lands()
{
	local ctr=$1 port=$(($2 + 1000)) i
	arrivals_arm "$ctr" "udp dport 99" || { echo "(counters could not be armed)"; return; }
	for i in 1 2 3; do
		uplink_exec "$FRAME" uln0 udp dmac="$HOST_MAC" src="$E2E_UPLINK_IP" dst="$HOST_IP" \
			sport=$((port + 30000)) dport="$port" || { echo "(frame failed)"; return; }
	done
	sleep 0.3
	arrivals "$ctr"
}

# leaves CTR: which bridges forwarded a datagram of CTR to the uplink (counted on the host:
# "wgnet" for wgnet's, "docker" for Docker's), then "masqueraded" when the uplink got it from
# the host's address, e.g. "wgnet masqueraded"; "none" when no bridge forwarded it
leaves()
{
	local ctr=$1 p out got up masq=""
	p=$((PROBE_PORT += 1))
	nft_on "$H" -f - <<-EOF || { echo "(host counters could not be armed)"; return; }
		table ip wgtestgw
		delete table ip wgtestgw
		table ip wgtestgw {
			chain forwarded {
				type filter hook forward priority -400;
				iifname "wgb*" oifname "eth0" udp dport $p counter comment "wgnet"
				iifname "br-*" oifname "eth0" udp dport $p counter comment "docker"
			}
		}
	EOF
	uplink_exec nft -f - <<-EOF || { echo "(uplink counter could not be armed)"; return; }
		table ip wgtestgw
		delete table ip wgtestgw
		table ip wgtestgw {
			chain pre {
				type filter hook prerouting priority -400;
				ip saddr $HOST_IP udp dport $p counter
			}
		}
	EOF
	ctr_netns "$H" "$ctr" bash -c "for i in 1 2 3; do echo x >/dev/udp/$E2E_UPLINK_IP/$p; done"
	sleep 0.3
	out=$(nft_on "$H" -j list table ip wgtestgw) || { query_failed "host counters" $?; return; }
	got=$(jq -r '[.nftables[] | .rule? // empty | select(any(.expr[]; .counter?.packets > 0)) |
		.comment] | sort | join(" ")' <<<"$out")
	out=$(uplink_exec nft -j list table ip wgtestgw) || { query_failed "uplink counter" $?; return; }
	up=$(jq '[.nftables[] | .rule? // empty | .expr[] | .counter?.packets // empty] | add // 0' \
		<<<"$out")
	[ "$up" -gt 0 ] && masq=" masqueraded"
	echo "${got:-none}$masq"
}

# in_wgnet ADDRESS: the lines of wgnet's tables that name ADDRESS (a DNAT, a port's element)
in_wgnet()
{
	local t
	for t in "inet wgnet" "bridge wgnet"; do
		matching "[^0-9]${1//./\\.}([^0-9]|$)" nft_on "$H" list table $t
	done
}

# gateway CTR NET: CTR's default route leaves by its interface on NET
gateway_is()
{
	local dev ip
	ip=$(container_ip "$H" "$1" "$2")
	dev=$(ctr_netns "$H" "$1" ip -j -4 addr show to "$ip/32" | jq -r '.[0].ifname')
	[ "$(ctr_netns "$H" "$1" ip -j route show default | jq -r '.[0].dev')" = "$dev" ]
}

# follows CTR PORT NET WHEN: CTR's published PORT and its egress are on NET, and only there
follows()
{
	local ctr=$1 port=$2 net=$3 when=$4 kind=docker ip
	[ "$net" = app ] && kind=wgnet
	assert_ok "$when: $ctr's default route is on $net" gateway_is "$ctr" "$net"
	assert_eq "$when: host:$port reaches $ctr at its $net address, and only there" \
		"$net page" "$(lands "$ctr" "$port")"
	assert_eq "$when: the UDP flow to host:$((port + 1000)) reaches $ctr at its $net address" \
		"$net" "$(flow_lands "$ctr" "$port")"
	assert_eq "$when: $ctr's egress leaves by $net's bridge, masqueraded" \
		"$kind masqueraded" "$(leaves "$ctr")"
	ip=$(container_ip "$H" "$ctr" app 2>/dev/null)
	if [ "$net" != app ] && [ -n "$ip" ]; then
		assert_eq "$when: wgnet publishes nothing for $ctr's $ip" "" \
			"$(in_wgnet "$ip" | grep -i dnat)"
	fi
}

# localnet: app's bridge routes 127.0.0.1 (route_localnet, for ports published on it)
APP_BR=wgb$(docker_on "$H" network inspect -f '{{.Id}}' app | cut -c1-10)
localnet() { host_exec "$H" cat "/proc/sys/net/ipv4/conf/$APP_BR/route_localnet"; }

# ---- web1 starts on app (wgnet): its gateway; bridges come and go
ctr web1 app 8080
follows web1 8080 app "web1 on app alone"
assert_eq "web1 publishes on app: route_localnet on $APP_BR" 1 "$(localnet)"
docker_on "$H" network connect aaa web1 || die "connect aaa web1"
follows web1 8080 aaa "aaa connected (it sorts first)"
assert_eq "app publishes nothing now: route_localnet off again on $APP_BR" 0 "$(localnet)"
docker_on "$H" network disconnect aaa web1 || die "disconnect aaa web1"
follows web1 8080 app "aaa disconnected"
assert_eq "web1 publishes on app again: route_localnet on $APP_BR" 1 "$(localnet)"
docker_on "$H" network connect zzz web1 || die "connect zzz web1"
follows web1 8080 app "zzz connected (it sorts last)"
if [ "$E2E_DOCKER" = debian ]; then
	e2e_log "dockerd 20.10 has no --gw-priority: that part is left out"
else
	docker_on "$H" network disconnect zzz web1 || die "disconnect zzz web1"
	docker_on "$H" network connect --gw-priority 10 zzz web1 ||
		die "connect --gw-priority 10 zzz web1"
	follows web1 8080 zzz "zzz connected with --gw-priority 10"
	docker_on "$H" network disconnect zzz web1 || die "disconnect zzz web1 (gw-priority)"
	follows web1 8080 app "zzz (--gw-priority 10) disconnected"
fi

# ---- web2 starts on aaa (a bridge, its gateway); app comes and goes
ctr web2 aaa 8081
docker_on "$H" network connect app web2 || die "connect app web2"
web2_app=$(container_ip "$H" web2 app)
follows web2 8081 aaa "web2 on aaa, app connected"
docker_on "$H" network disconnect app web2 || die "disconnect app web2 (not its gateway)"
assert_eq "app (not web2's gateway) disconnected: nothing of web2 ($web2_app) in wgnet" "" \
	"$(in_wgnet "$web2_app")"
follows web2 8081 aaa "app disconnected from web2"
docker_on "$H" network connect app web2 || die "connect app web2 again"
web2_app=$(container_ip "$H" web2 app)
docker_on "$H" network disconnect aaa web2 || die "disconnect aaa web2"
follows web2 8081 app "aaa disconnected from web2 (app takes over)"

# ---- app disconnected while it is the gateway, and while it is not
web1_app=$(container_ip "$H" web1 app)
docker_on "$H" network connect aaa web1 || die "connect aaa web1 again"
docker_on "$H" network disconnect app web1 || die "disconnect app web1 (not its gateway)"
assert_eq "app disconnected from web1: nothing of web1 ($web1_app) in wgnet's tables" "" \
	"$(in_wgnet "$web1_app")"
follows web1 8080 aaa "app disconnected from web1 (aaa is its gateway)"
docker_on "$H" network disconnect app web2 || die "disconnect app web2 (its gateway)"
assert_eq "app (web2's gateway) disconnected: nothing of web2 ($web2_app) in wgnet's tables" "" \
	"$(in_wgnet "$web2_app")"
assert_eq "host:8081 reaches nothing once web2 is on no network" "none" "$(lands web2 8081)"
# the flow's datagrams meanwhile went to the host itself (nothing published the port): a
# conntrack entry without DNAT that every datagram keeps alive, until the port is published
assert_eq "the UDP flow to host:9081 reaches nothing once web2 is on no network" "none" \
	"$(flow_lands web2 8081)"
docker_on "$H" network connect app web2 || die "connect app web2 (the flow was unpublished)"
follows web2 8081 app "app connected to web2 again (after its UDP flow went nowhere)"
web2_app=$(container_ip "$H" web2 app)
docker_on "$H" network disconnect app web2 || die "disconnect app web2 (its gateway, again)"
assert_eq "app disconnected from web2 again: nothing of web2 ($web2_app) in wgnet's tables" "" \
	"$(in_wgnet "$web2_app")"

# ---- teardown: nothing of wgnet's left but wgnet0
docker_on "$H" rm -f web1 web2 >/dev/null || die "docker rm -f web1 web2"
assert_ok "docker network rm app aaa zzz" docker_on "$H" network rm app aaa zzz
nft_on "$H" delete table ip wgtestgw 2>/dev/null
assert_eq "nothing of wgnet's is left but wgnet0 (links, nft rules, DOCKER-USER rules)" "" \
	"$(wgnet_leftovers "$H" | grep -vx wgnet0)"

e2e_finish
