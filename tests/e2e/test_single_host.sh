#!/usr/bin/env bash
# test_single_host.sh: wgnetd on one simulated host, used by a real dockerd (issue 3's
# end-to-end acceptance). Host index 3, underlay 192.168.77.3, uplink 192.168.77.254.
# WGNET_E2E_DOCKER=forky runs the same test against dockerd 28.5 (test_single_host_forky.sh),
# docker29 against 29.7.2 (test_single_host_d29.sh).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

H=3
POOL=10.210.0.0/16
SLICE=10.210.3

# ctr NAME NETWORK [docker run options...]: start a container, die if it cannot start
ctr()
{
	local name=$1 net=$2
	shift 2
	docker_on "$H" run -d --stop-timeout 1 --name "$name" --network "$net" "$@" \
		bb:latest sleep 3600 >/dev/null || die "docker run $name on $net"
}

ip_of()
{
	container_ip "$H" "$1" "$2"
}

# reaches FROM IP: one ping from container FROM to IP
# reaches CTR IP: at least one of 3 pings answered (one lost echo on a loaded CI machine is not
# a broken path; a blocked one loses all three)
reaches()
{
	docker_on "$H" exec "$1" ping -c 3 -i 0.2 -W 2 "$2" >/dev/null 2>&1
}

# fetch FROM URL: print the page (busybox wget -T segfaults: use timeout)
fetch()
{
	docker_on "$H" exec "$1" timeout 4 wget -qO- "$2"
}

both_running()
{
	[ "$(docker_on "$H" inspect -f '{{.State.Running}}' ca cb | sort -u)" = true ]
}

e2e_init
host_up "$H"
wgnetd_start "$H"

assert_ok "wgnet init --index $H" wgnet_on "$H" init --index "$H"

# ---- network create: the slice, the bridge, the firewall
netid=$(docker_on "$H" network create -d wgnet --ipam-driver wgnet --subnet "$POOL" app) ||
	die "docker network create -d wgnet --ipam-driver wgnet --subnet $POOL app"
br=wgb${netid:0:10}
e2e_log "network app: $netid, bridge $br"
brjson=$(host_exec "$H" ip -j addr show dev "$br")
assert_eq "bridge $br has $SLICE.1/24" "$SLICE.1/24" \
	"$(jq -r '.[0].addr_info[] | select(.family == "inet") | "\(.local)/\(.prefixlen)"' <<<"$brjson")"
assert_eq "bridge $br MTU" 1420 "$(jq -r '.[0].mtu' <<<"$brjson")"
assert_eq "bridge $br is up" true "$(jq -r '(.[0].flags // []) | index("UP") != null' <<<"$brjson")"
assert_ok "nft table inet wgnet exists" host_exec "$H" nft list table inet wgnet
if [ "$E2E_FIREWALL" = iptables ]; then
	# written by a thread of wgnetd's (no Docker call waits on the xtables lock): at once
	docker_user_has_wgnet() { iptables_on "$H" -S DOCKER-USER | grep wgnet >/dev/null; }
	retry 5 docker_user_has_wgnet
	assert_match "DOCKER-USER has wgnet's accepts" 'wgnet' "$(iptables_on "$H" -S DOCKER-USER)"
else
	# Docker's nftables backend has no DOCKER-USER, and wgnet makes none: its tables suffice
	assert_fails "nftables backend: no DOCKER-USER chain (wgnet made none)" \
		iptables_on "$H" -S DOCKER-USER
	assert_match "iptables says there is no such chain" 'No chain' "$ASSERT_OUT"
fi

status=$(wgnet_on "$H" status 2>&1)
assert_match "wgnet status shows the slice" "$SLICE\.0/24" "$status"
assert_match "wgnet status shows the bridge" "$br" "$status"
assert_ok "wgnet status --json is JSON" jq -e . <<<"$(wgnet_on "$H" status --json)"

# the host dockerd's firewall backend, as wgnet status tells it (iptables is read by a thread)
docker_firewall() { wgnet_on "$H" status --json | jq -r ".docker_firewall.${1:-backend}"; }
retry_eq 10 "$E2E_FIREWALL" docker_firewall
assert_eq "wgnet status --json: the host's dockerd uses the $E2E_FIREWALL backend" \
	"$E2E_FIREWALL" "$(docker_firewall)"
assert_match "wgnet status says so" "^docker +firewall backend $E2E_FIREWALL \(" \
	"$(wgnet_on "$H" status)"
e2e_log "docker firewall: $(wgnet_on "$H" status | grep '^docker')"
assert_eq "no warning about iptables' FORWARD chain" "" "$(docker_firewall warning)"

# ---- two containers on the slice
ctr ca app
ctr cb app
a=$(ip_of ca app)
b=$(ip_of cb app)
e2e_log "ca $a, cb $b"
assert_match "ca has an address in $SLICE.0/24" "^$SLICE\.[0-9]+$" "$a"
assert_match "cb has an address in $SLICE.0/24" "^$SLICE\.[0-9]+$" "$b"
assert_eq "ca's eth0 MTU" 1420 "$(docker_on "$H" exec ca cat /sys/class/net/eth0/mtu)"
assert_ok "ca pings cb" reaches ca "$b"
assert_ok "cb pings ca" reaches cb "$a"
assert_ok "ca pings the gateway $SLICE.1" reaches ca "$SLICE.1"
docker_on "$H" exec ca sh -c 'echo page-of-ca >/var/www/index.html && httpd -p 80 -h /var/www'
assert_eq "cb fetches a page from ca" page-of-ca "$(fetch cb "http://$a/")"

# ---- egress: masqueraded to the host's underlay address
seen=$(fetch ca "http://$E2E_UPLINK_IP/cgi-bin/addr")
assert_match "uplink reached from ca sees the host's address" \
	"^\[?(::ffff:)?192\.168\.77\.$H\]?$" "$seen"

# ---- isolation from a plain Docker bridge network
docker_on "$H" network create plain >/dev/null || die "docker network create plain"
ctr cp plain
ctr cq plain
p=$(ip_of cp plain)
docker_on "$H" exec cp sh -c 'echo page-of-cp >/var/www/index.html && httpd -p 80 -h /var/www'
assert_eq "control: cq fetches from cp on plain" page-of-cp "$(fetch cq "http://$p/")"
blocked "plain container cp cannot reach wgnet container ca" "$H" cp "$a" "$H" ca "$E2E_UPLINK_IP"
blocked "wgnet container ca cannot reach plain container cp" "$H" ca "$p" "$H" cp "$b"

# ---- a published port: -p 8080:80 reaches the container from the underlay
ctr cw app -p 8080:80
docker_on "$H" exec cw sh -c 'echo page-of-cw >/var/www/index.html && httpd -p 80 -h /var/www'
url=http://$(host_ip "$H"):8080/
assert_eq "the uplink fetches cw's page through -p 8080:80 at $url" page-of-cw \
	"$(retry 10 uplink_exec busybox wget -qO /dev/null "$url" && uplink_exec busybox wget -qO- "$url")"
docker_on "$H" rm -f cw >/dev/null

# ---- -P: the image's EXPOSE 80/tcp is published on a host port wgnet picks (49153 up). dockerd
# cannot show a remote driver's ports (docker port: README, Published ports): the port is read
# from the DNAT rule to the container in wgnet's prerouting chain, then fetched from the uplink
docker_on "$H" import --change 'EXPOSE 80/tcp' - bbweb:latest <"$E2E_RUN/bb.tar" >/dev/null ||
	die "docker import --change 'EXPOSE 80/tcp'"
docker_on "$H" run -d --stop-timeout 1 --name cx --network app -P bbweb:latest \
	sh -c 'echo page-of-cx >/var/www/index.html && exec httpd -f -p 80 -h /var/www' >/dev/null ||
	die "docker run -P bbweb (EXPOSE 80/tcp)"
x=$(ip_of cx app)
rules=$(host_exec "$H" nft -j list chain inet wgnet prerouting) || rules='{"nftables":[]}'
port=$(jq -r --arg ip "$x" '.nftables[] | .rule? // empty |
	select(any(.expr[]; .dnat?.addr == $ip and .dnat.port == 80)) | .expr[] |
	select(.match?.left.payload?.protocol == "tcp" and .match.left.payload.field == "dport") |
	.match.right' <<<"$rules")
if [[ "$port" =~ ^[0-9]+$ ]] && [ "$port" -ge 49153 ]; then
	pass "-P: cx's EXPOSE 80/tcp is published on host port $port (DNAT to $x:80)"
else
	fail "-P: cx's EXPOSE 80/tcp is published on a host port from 49153" \
		"tcp dport of the DNAT rules to $x:80: '$port'" \
		"$(jq -c '.nftables[] | .rule? // empty' <<<"$rules")"
fi
url=http://$(host_ip "$H"):$port/
assert_eq "the uplink fetches cx's page through -P at $url" page-of-cx \
	"$(retry 10 uplink_exec busybox wget -qO /dev/null "$url" && uplink_exec busybox wget -qO- "$url")"
docker_on "$H" rm -f cx >/dev/null

# ---- refused networks
assert_fails "network with Docker's default IPAM is refused" \
	docker_on "$H" network create -d wgnet --subnet 10.220.0.0/16 defipam
assert_match "the refusal says to add --ipam-driver wgnet" '--ipam-driver wgnet' "$ASSERT_OUT"
assert_fails "a second network on $POOL is refused" \
	docker_on "$H" network create -d wgnet --ipam-driver wgnet --subnet "$POOL" app2
e2e_log "second network on the same pool: $(tail -n 1 <<<"$ASSERT_OUT")"
assert_eq "no network defipam or app2 left" "" \
	"$(docker_on "$H" network ls -q -f name=defipam -f name=app2)"

# ---- static address, sub-pool, and isolation between two wgnet networks
ctr cs app --ip "$SLICE.77"
assert_eq "--ip $SLICE.77 is honoured" "$SLICE.77" "$(ip_of cs app)"
assert_ok "cs pings ca" reaches cs "$a"
docker_on "$H" network create -d wgnet --ipam-driver wgnet --subnet 10.211.0.0/16 \
	--ip-range 10.211.3.128/25 --gateway 10.211.3.100 ranged >/dev/null ||
	die "network create --ip-range --gateway"
assert_eq "--gateway 10.211.3.100: the bridge's only address" 10.211.3.100/24 \
	"$(host_exec "$H" ip -j -4 addr show dev "wgb$(docker_on "$H" network inspect -f '{{.Id}}' ranged |
		cut -c1-10)" | jq -r '[.[].addr_info[] | "\(.local)/\(.prefixlen)"] | join(" ")')"
ctr cr ranged
r=$(ip_of cr ranged)
assert_match "--ip-range 10.211.3.128/25 is honoured ($r)" \
	'^10\.211\.3\.(1[3-9][0-9]|12[89]|2[0-5][0-9])$' "$r"
assert_ok "cr pings its gateway 10.211.3.100 (--gateway)" reaches cr 10.211.3.100
blocked "network ranged (cr) cannot reach network app (ca)" "$H" cr "$a" "$H" ca 10.211.3.100
blocked "network app (ca) cannot reach network ranged (cr)" "$H" ca "$r" "$H" cr "$b"

# ---- wgnetd stopped (SIGTERM, then kill -9) while containers run
for sig in TERM KILL; do
	wgnetd_stop "$H" "$sig"
	assert_ok "wgnetd $sig: bridge $br is still there" host_exec "$H" ip link show dev "$br"
	assert_ok "wgnetd $sig: ca still pings cb" reaches ca "$b"
	assert_ok "wgnetd $sig: cb still pings the gateway" reaches cb "$SLICE.1"
	wgnetd_start "$H"
	ctr "cn$sig" app
	n=$(ip_of "cn$sig" app)
	assert_match "after wgnetd $sig: a new container joins ($n)" "^$SLICE\.[0-9]+$" "$n"
	assert_ok "after wgnetd $sig: the new container pings ca" reaches "cn$sig" "$a"
	assert_ok "after wgnetd $sig: cb pings the new container" reaches cb "$n"
	assert_ok "after wgnetd $sig: egress still works" fetch "cn$sig" "http://$E2E_UPLINK_IP/"
done

# ---- dockerd restarted: networks survive (dockerd replays the IPAM, never CreateNetwork)
docker_on "$H" update --restart always ca cb >/dev/null || die "docker update --restart"
dockerd_stop "$H" TERM
dockerd_start "$H"
assert_ok "after dockerd restart: ca and cb (--restart always) run again" retry 30 both_running
a=$(ip_of ca app)
b=$(ip_of cb app)
assert_ok "after dockerd restart: ca pings cb ($b)" reaches ca "$b"
ctr cd app
assert_ok "after dockerd restart: a new container pings ca" reaches cd "$a"
assert_ok "after dockerd restart: egress from ca" fetch ca "http://$E2E_UPLINK_IP/"
assert_fails "after dockerd restart: a second network on $POOL is still refused" \
	docker_on "$H" network create -d wgnet --ipam-driver wgnet --subnet "$POOL" app2

# ---- Docker 29: the host switched from the iptables backend to nftables without a reboot.
# Docker leaves iptables' FORWARD policy DROP and DOCKER-USER with its jump, so wgnet's accepts
# there still let its traffic through; once the jump is gone too, nothing does: wgnet warns
if [ "$E2E_DOCKER" = docker29 ] && [ "$E2E_FIREWALL" = iptables ]; then
	dockerd_stop "$H" TERM
	E2E_NFT_BACKEND=1
	E2E_FIREWALL=nftables
	dockerd_start "$H"
	assert_eq "switched: docker info says firewall backend nftables" nftables \
		"$(docker_on "$H" info -f '{{.FirewallBackend.Driver}}')"
	assert_ok "switched: ca and cb (--restart always) run again" retry 30 both_running
	retry_eq 10 nftables docker_firewall
	assert_eq "switched: wgnet status says nftables" nftables "$(docker_firewall)"
	e2e_log "switched: $(wgnet_on "$H" status | grep '^docker')"
	fwd=$(iptables_on "$H" -S FORWARD)
	assert_match "switched: iptables' FORWARD policy is still DROP" '^-P FORWARD DROP' "$fwd"
	assert_match "switched: and still jumps to DOCKER-USER" '^-A FORWARD -j DOCKER-USER' "$fwd"
	assert_ok "switched: egress from ca (wgnet's DOCKER-USER accepts)" \
		fetch ca "http://$E2E_UPLINK_IP/"
	assert_eq "switched: no warning while the jump is there" "" "$(docker_firewall warning)"
	iptables_on "$H" -D FORWARD -j DOCKER-USER || die "delete FORWARD's jump to DOCKER-USER"
	assert_fails "no jump to DOCKER-USER: egress from ca is dropped" \
		fetch ca "http://$E2E_UPLINK_IP/"
	# seen twice 10 s apart: dockerd sets the policy before it makes DOCKER-USER
	warned() { docker_firewall warning | grep 'no rule jumps to DOCKER-USER' >/dev/null; }
	assert_ok "no jump to DOCKER-USER: wgnet status warns" retry 40 warned
	assert_match "and says so first, in its text form" \
		'^WARNING +iptables. FORWARD policy is DROP' "$(wgnet_on "$H" status | head -n 1)"
	assert_match "wgnetd's log says so" 'warn: iptables. FORWARD policy is DROP and no rule' \
		"$(cat "$(host_dir "$H")/wgnetd.log")"
	iptables_on "$H" -P FORWARD ACCEPT || die "iptables -P FORWARD ACCEPT"
	assert_ok "FORWARD accepts: egress from ca" fetch ca "http://$E2E_UPLINK_IP/"
	retry_eq 10 "" docker_firewall warning
	assert_eq "FORWARD accepts: the warning is gone" "" "$(docker_firewall warning)"
fi

# ---- teardown: network rm removes what wgnet made for it
docker_on "$H" rm -f $(docker_on "$H" ps -aq) >/dev/null || die "docker rm -f"
assert_eq "no wgv/wgc veth left once containers are gone" "" \
	"$(matching '^[0-9]+: wg[vc]' host_exec "$H" ip -o link show)"
assert_ok "docker network rm app" docker_on "$H" network rm app
assert_fails "bridge $br is gone" host_exec "$H" ip link show dev "$br"
assert_eq "the nft ruleset no longer names $br" "" "$(matching "$br" nft_on "$H" list ruleset)"
assert_ok "docker network rm ranged plain" docker_on "$H" network rm ranged plain
# wgnet0 belongs to the host, not to a network: it stays while the host is initialised
assert_eq "nothing of wgnet's is left but wgnet0 (links, nft table, DOCKER-USER rules)" "" \
	"$(wgnet_leftovers "$H" | grep -vx wgnet0)"
assert_eq "wgnet0 stays for the mesh" wgnet0 "$(wgnet_leftovers "$H" | grep -x wgnet0)"

e2e_finish
