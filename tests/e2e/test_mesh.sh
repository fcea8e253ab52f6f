#!/usr/bin/env bash
# test_mesh.sh: three simulated hosts joined by wgnet's WireGuard mesh (issue 4's end-to-end
# acceptance), with dockerd 20.10. Host i is 192.168.77.i on the underlay, index i, slice
# 10.210.i.0/24 of the network app. Host 1 is "behind NAT" for host 2: host 2 adds it with
# --no-endpoint and learns its endpoint from host 1's handshake. Host 3 listens on UDP 51821 and
# has an MTU of 1400 (wgnet init --listen-port, --mtu). WGNET_E2E_DOCKER=forky runs it against
# dockerd 28.5 (test_mesh_forky.sh), docker29 against 29.7.2 with either firewall backend
# (test_mesh_d29.sh, test_mesh_d29_nft.sh); the WireGuard backend is named (E2E_WG_BACKEND,
# lib.sh) and given to wgnetd with --wg-backend (and --wg-userspace for userspace).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

HOSTS=(1 2 3)
POOL=10.210.0.0/16
OTHER_POOL=10.211.0.0/16

# ctr i NAME NETWORK [docker run options...] [-- command...]: start a busybox container
ctr()
{
	local i=$1 name=$2 net=$3
	shift 3
	docker_on "$i" run -d --stop-timeout 1 --name "$name" --network "$net" "$@" \
		bb:latest sleep 3600 >/dev/null || die "host $i: docker run $name on $net"
}

# reaches i FROM IP: one ping from container FROM on host i to IP
reaches()
{
	docker_on "$1" exec "$2" ping -c 1 -W 2 "$3" >/dev/null 2>&1
}

# reaches_soon i FROM IP: within 20 s (the first packet to a peer may wait for a handshake)
reaches_soon()
{
	retry 20 reaches "$@"
}

# fetch i FROM URL: print the page (busybox wget -T segfaults: use timeout)
fetch()
{
	docker_on "$1" exec "$2" timeout 5 wget -qO- "$3"
}

status_json()
{
	wgnet_on "$1" status --json
}

# peers_digest i: what `peer add` may change, for before/after comparisons
peers_digest()
{
	status_json "$1" | jq -c '[.peers[] | {name, index, public_key, configured_endpoint,
		keepalive, allowed_ips: (.allowed_ips | sort)}] | sort_by(.index)'
}

# peer_field i NAME JQ: a field of peer NAME in host i's status
peer_field()
{
	local j
	j=$(status_json "$1") || { query_failed "host $1: wgnet status" $?; return; }
	jq -r --arg n "$2" ".peers[] | select(.name == \$n) | $3" <<<"$j"
}

# all_peers_up i N: host i has N peers, all with a handshake
all_peers_up()
{
	[ "$(status_json "$1" | jq '[.peers[] | select(.up)] | length')" = "$2" ]
}

# host_links i REGEX: names of host i's links matching REGEX
host_links()
{
	host_exec "$1" ip -j link show | jq -r --arg re "$2" '.[].ifname | select(test($re))'
}

# ping_stats FILE: "transmitted received" from busybox ping's summary
ping_stats()
{
	sed -nE 's/^([0-9]+) packets transmitted, ([0-9]+) packets received.*/\1 \2/p' "$1"
}

# lost_seqs FILE N: the sequence numbers 0..N-1 that busybox ping got no reply for
lost_seqs()
{
	seq 0 $(($2 - 1)) | grep -vxFf <(sed -nE 's/.*seq=([0-9]+) .*/\1/p' "$1")
}

running()
{
	[ "$(docker_on "$1" inspect -f '{{.State.Running}}' "$2" 2>/dev/null)" = true ]
}

# port_of i, mtu_of i: what each host is given at init
port_of() { [ "$1" = 3 ] && echo 51821 || echo 51820; }
mtu_of() { [ "$1" = 3 ] && echo 1400 || echo 1420; }

e2e_init
host_up "${HOSTS[@]}"
e2e_log "WireGuard backend under test: $E2E_WG_BACKEND"
for i in "${HOSTS[@]}"; do
	wgnetd_start_backend "$i"
done
assert_eq "host 1: the control socket is mode 0600, root's" "600 root" \
	"$(host_exec 1 stat -c '%a %U' /run/wgnet/wgnet.sock)"

# ---- init: every simulated host has the machine's hostname (no UTS namespace), and peer
# names must be unique, so each gets --name
declare -A JOIN
for i in "${HOSTS[@]}"; do
	extra=()
	[ "$i" = 3 ] && extra=(--listen-port "$(port_of 3)" --mtu "$(mtu_of 3)")
	out=$(wgnet_on "$i" init --index "$i" --endpoint "$(host_ip "$i"):$(port_of "$i")" \
		--name "host$i" "${extra[@]}" 2>&1) || die "host $i: wgnet init" "$out"
	JOIN[$i]=$(wgnet_on "$i" join-line) || die "host $i: wgnet join-line"
	e2e_log "host $i: ${JOIN[$i]}"
	assert_match "host $i: join line has index, key, endpoint and name" \
		"^wgnet-join v1( [a-z_]+=[^ ]+)+$" "${JOIN[$i]}"
	for f in "index=$i" "endpoint=$(host_ip "$i"):$(port_of "$i")" "name=host$i" \
		'key=[A-Za-z0-9+/]{43}='; do
		assert_match "host $i: join line has $f" " $f( |$)" "${JOIN[$i]}"
	done
	assert_eq "host $i: wgnet init printed the join line on its own line" "${JOIN[$i]}" \
		"$(grep -x -F -- "${JOIN[$i]}" <<<"$out")"
	assert_match "host $i: wgnet init says 'join line:'" 'join line:' "$out"
done

# ---- peers: everyone adds the other two; host 2 adds host 1 without its endpoint (NAT)
for i in "${HOSTS[@]}"; do
	for j in "${HOSTS[@]}"; do
		[ "$i" = "$j" ] && continue
		if [ "$i" = 2 ] && [ "$j" = 1 ]; then
			# shellcheck disable=SC2086 # the line as several arguments
			assert_ok "host 2: peer add host1 --no-endpoint" \
				wgnet_on 2 peer add --no-endpoint ${JOIN[1]}
		elif [ "$i" = 3 ]; then
			assert_ok "host 3: peer add --keepalive 15 host$j (line as one argument)" \
				wgnet_on 3 peer add --keepalive 15 "${JOIN[$j]}"
		else
			# shellcheck disable=SC2086
			assert_ok "host $i: peer add host$j" wgnet_on "$i" peer add ${JOIN[$j]}
		fi
	done
done

# ---- the network on every host
declare -A NETID
for i in "${HOSTS[@]}"; do
	NETID[$i]=$(docker_on "$i" network create -d wgnet --ipam-driver wgnet \
		--subnet "$POOL" app) ||
		die "host $i: docker network create -d wgnet --ipam-driver wgnet --subnet $POOL app"
done

# ---- kernel objects: wgnet0 without addresses, one route for the pool
for i in "${HOSTS[@]}"; do
	wgjson=$(host_exec "$i" ip -j addr show dev wgnet0 2>&1)
	assert_ok "host $i: wgnet0 exists" jq -e '.[0].ifname == "wgnet0"' <<<"$wgjson"
	# the kernel may give a layer-3 device an IPv6 link-local address of its own; wgnet gives
	# it none: no IPv4 and no non-link-local IPv6
	assert_eq "host $i: wgnet0 has no address" "" \
		"$(jq -r '.[0].addr_info[]? | select(.family == "inet" or .scope != "link")
			| .local' <<<"$wgjson")"
	assert_eq "host $i: wgnet0 is a $E2E_WG_BACKEND device (link kind)" \
		"$([ "$E2E_WG_BACKEND" = kernel ] && echo wireguard || echo tun)" \
		"$(host_exec "$i" ip -d -j link show dev wgnet0 | jq -r '.[0].linkinfo.info_kind')"
	assert_eq "host $i: wgnet0 is up" true \
		"$(jq -r '(.[0].flags // []) | index("UP") != null' <<<"$wgjson")"
	assert_eq "host $i: wgnet0 MTU (--mtu on host 3)" "$(mtu_of "$i")" "$(jq -r '.[0].mtu' <<<"$wgjson")"
	assert_eq "host $i: wgnet0 listens on UDP $(port_of "$i") (--listen-port on host 3)" \
		"$(port_of "$i")" "$(wg_on "$i" show wgnet0 listen-port)"
	rt=$(host_exec "$i" ip -j route show exact "$POOL")
	assert_eq "host $i: route $POOL dev wgnet0 proto 77 scope global" "wgnet0 77 global" \
		"$(jq -r '.[] | "\(.dev) \(.protocol) \(.scope // "global")"' <<<"$rt")"
	assert_match "host $i: slice 10.210.$i.0/24 is on the bridge" "wgb${NETID[$i]:0:10}" \
		"$(host_exec "$i" ip -j route show exact "10.210.$i.0/24" | jq -r '.[].dev')"
done

# ---- containers: a web server on host 2 whose CGI prints the client's address, clients on
# hosts 1, 2 and 3
ctr 1 c1 app
ctr 2 web app
ctr 2 c2 app
ctr 3 c3 app --restart always
docker_on 2 exec -i web sh -c 'mkdir -p /var/www/cgi-bin && cat >/var/www/cgi-bin/addr &&
	chmod +x /var/www/cgi-bin/addr && echo "hello from host 2" >/var/www/index.html &&
	httpd -p 80 -h /var/www' <<-'EOF' || die "host 2: httpd in web"
	#!/bin/sh
	printf 'Content-Type: text/plain\r\n\r\n%s\n' "$REMOTE_ADDR"
EOF
declare -A CIP
CIP[c1]=$(container_ip 1 c1 app)
CIP[web]=$(container_ip 2 web app)
CIP[c2]=$(container_ip 2 c2 app)
CIP[c3]=$(container_ip 3 c3 app)
e2e_log "c1 ${CIP[c1]}, web ${CIP[web]}, c2 ${CIP[c2]}, c3 ${CIP[c3]}"
assert_match "c1 is in host 1's slice" '^10\.210\.1\.[0-9]+$' "${CIP[c1]}"
assert_match "web is in host 2's slice" '^10\.210\.2\.[0-9]+$' "${CIP[web]}"
assert_match "c3 is in host 3's slice" '^10\.210\.3\.[0-9]+$' "${CIP[c3]}"

# ---- the blog's test: host 1 fetches from host 2 by private IP, unmasqueraded
assert_ok "c1 (host 1) reaches web (host 2)" reaches_soon 1 c1 "${CIP[web]}"
assert_eq "c1 fetches web's page across hosts" "hello from host 2" \
	"$(fetch 1 c1 "http://${CIP[web]}/")"
seen=$(fetch 1 c1 "http://${CIP[web]}/cgi-bin/addr")
assert_match "web saw c1's own address ${CIP[c1]}, not a masqueraded one" \
	"^\[?(::ffff:)?${CIP[c1]//./\\.}\]?$" "$seen"

# ---- NAT: host 2 was given no endpoint for host 1 and learnt it from host 1's handshake
assert_eq "host 2: host1 has no configured endpoint" "" "$(peer_field 2 host1 .configured_endpoint)"
assert_eq "host 2: host1's endpoint learnt from its handshake" "$(host_ip 1):51820" \
	"$(peer_field 2 host1 .endpoint)"
assert_eq "host 1: host2 keepalive 25 s (keeps the NAT mapping)" 25 \
	"$(peer_field 1 host2 .keepalive)"
assert_ok "c2 (host 2) reaches c1 (host 1, behind NAT)" reaches_soon 2 c2 "${CIP[c1]}"
assert_eq "host 3: host1's keepalive is the --keepalive 15 of its peer add (status, wg)" "15 15" \
	"$(peer_field 3 host1 .keepalive) $(wg_on 3 show wgnet0 persistent-keepalive |
		awk -v k="$(grep -oE 'key=[^ ]+' <<<"${JOIN[1]}" | cut -d= -f2-)" '$1 == k { print $2 }')"

# ---- every container to every other host's container, and to every gateway
declare -A HOST_OF=([c1]=1 [c2]=2 [c3]=3)
for a in c1 c2 c3; do
	for b in c1 c2 c3; do
		[ "$a" = "$b" ] && continue
		assert_ok "$a (host ${HOST_OF[$a]}) pings $b (host ${HOST_OF[$b]})" \
			reaches_soon "${HOST_OF[$a]}" "$a" "${CIP[$b]}"
	done
	for g in "${HOSTS[@]}"; do
		assert_ok "$a (host ${HOST_OF[$a]}) pings host $g's gateway 10.210.$g.1" \
			reaches_soon "${HOST_OF[$a]}" "$a" "10.210.$g.1"
	done
done

# ---- MTU: the largest packet that fits, with DF set, crosses the tunnel; bulk TCP in both
# directions arrives whole; no packet is fragmented on the way (IP fragment counters of the
# containers and of the hosts, which carry the tunnel's UDP)
# frags i [CTR]: "created reassembled" IP fragment counters of host i (or of its container CTR)
frags()
{
	local cmd=(host_exec "$1")
	[ -n "${2:-}" ] && cmd=(ctr_netns "$1" "$2")
	"${cmd[@]}" cat /proc/net/snmp | awk '$1 == "Ip:" && !h { for (i = 2; i <= NF; i++) n[$i] = i; h = 1; next }
		$1 == "Ip:" { print $n["FragCreates"], $n["ReasmReqds"] }'
}
f_before=$(for w in "1" "2" "1 c1" "2 c2" "2 web" "3" "3 c3"; do frags $w; done | xargs)
assert_ok "c1 -> c2: DF ping of 1392 bytes (a 1420-byte packet, the MTU) crosses the tunnel" \
	retry 10 ctr_netns 1 c1 ping -M do -c 2 -W 2 -s 1392 "${CIP[c2]}"
assert_fails "c1: a DF ping of 1393 bytes does not fit (eth0 MTU 1420)" \
	ctr_netns 1 c1 ping -M do -c 1 -W 2 -s 1393 "${CIP[c2]}"
assert_ok "c3 -> c2: DF ping of 1372 bytes (host 3's --mtu 1400)" \
	retry 10 ctr_netns 3 c3 ping -M do -c 2 -W 2 -s 1372 "${CIP[c2]}"
docker_on 2 exec web sh -c 'dd if=/dev/urandom of=/var/www/bulk bs=1024 count=4096 2>/dev/null'
sum_web=$(docker_on 2 exec web md5sum /var/www/bulk | cut -d' ' -f1)
for c in c1 c3; do
	assert_eq "$c fetches 4 MiB from web over TCP across hosts, intact" "$sum_web" \
		"$(docker_on "${HOST_OF[$c]}" exec "$c" sh -c "timeout 60 wget -qO- http://${CIP[web]}/bulk | md5sum" |
			cut -d' ' -f1)"
done
docker_on 1 exec c1 sh -c 'mkdir -p /var/www && dd if=/dev/urandom of=/var/www/bulk bs=1024 count=4096 2>/dev/null &&
	httpd -p 80 -h /var/www' || fail "c1: httpd for the bulk transfer back"
assert_eq "web fetches 4 MiB from c1 over TCP (the other direction), intact" \
	"$(docker_on 1 exec c1 md5sum /var/www/bulk | cut -d' ' -f1)" \
	"$(docker_on 2 exec web sh -c "timeout 60 wget -qO- http://${CIP[c1]}/bulk | md5sum" | cut -d' ' -f1)"
f_after=$(for w in "1" "2" "1 c1" "2 c2" "2 web" "3" "3 c3"; do frags $w; done | xargs)
assert_eq "no IP fragment made or reassembled (hosts 1, 2, 3; c1, c2, web, c3)" "$f_before" "$f_after"

# ---- status and peer ls
for i in "${HOSTS[@]}"; do
	assert_ok "host $i: both peers have a handshake" retry 30 all_peers_up "$i" 2
	st=$(status_json "$i")
	assert_eq "host $i: status has 2 peers" 2 "$(jq '.peers | length' <<<"$st")"
	assert_eq "host $i: status host name and device" "host$i wgnet0 true" \
		"$(jq -r '.host | "\(.name) \(.device) \(.device_up)"' <<<"$st")"
	assert_eq "host $i: status join_line = wgnet join-line" "${JOIN[$i]}" \
		"$(jq -r .host.join_line <<<"$st")"
	assert_eq "host $i: backend (--wg-backend $E2E_WG_BACKEND)" "$E2E_WG_BACKEND" \
		"$(jq -r .host.backend <<<"$st")"
	ls_out=$(wgnet_on "$i" peer ls 2>&1)
	for j in "${HOSTS[@]}"; do
		[ "$i" = "$j" ] && continue
		p=$(jq -c --arg n "host$j" '.peers[] | select(.name == $n)' <<<"$st")
		assert_eq "host $i: peer host$j has index $j and is up" "$j true" \
			"$(jq -r '"\(.index) \(.up)"' <<<"$p")"
		assert_ok "host $i: host$j's handshake is recent (< 180 s)" \
			jq -e '.latest_handshake > 0 and .handshake_age != null and
				.handshake_age < 180' <<<"$p"
		assert_ok "host $i: host$j's allowed IPs contain 10.210.$j.0/24" \
			jq -e '.allowed_ips | index("10.210.'"$j"'.0/24") != null' <<<"$p"
		assert_eq "host $i: host$j's key is the one of its join line" \
			"$(grep -oE 'key=[^ ]+' <<<"${JOIN[$j]}" | cut -d= -f2-)" \
			"$(jq -r .public_key <<<"$p")"
		assert_match "host $i: peer ls shows host$j with index $j and its slice" \
			"host$j +$j .*10\.210\.$j\.0/24" "$ls_out"
	done
done
assert_ok "wgnet peer ls --json is JSON with 2 peers" \
	jq -e '.peers | length == 2' <<<"$(wgnet_on 1 peer ls --json)"

# ---- isolation: a plain Docker network may not use the tunnel
docker_on 1 network create plain >/dev/null || die "host 1: docker network create plain"
ctr 1 cp plain
blocked "plain container cp (host 1) cannot reach c2 (host 2)" 1 cp "${CIP[c2]}" 2 c2 "$E2E_UPLINK_IP"
blocked "plain container cp (host 1) cannot reach web (host 2)" 1 cp "${CIP[web]}" 2 web "$E2E_UPLINK_IP"
assert_fails "plain container on host 1 cannot ping host 2's gateway" reaches 1 cp 10.210.2.1

# ---- isolation between two wgnet networks across hosts
for i in 1 2; do
	docker_on "$i" network create -d wgnet --ipam-driver wgnet --subnet "$OTHER_POOL" other \
		>/dev/null || die "host $i: docker network create other ($OTHER_POOL)"
	ctr "$i" "o$i" other
	CIP[o$i]=$(container_ip "$i" "o$i" other)
done
e2e_log "o1 ${CIP[o1]}, o2 ${CIP[o2]}"
assert_ok "control: o1 (host 1) pings o2 (host 2) on other" reaches_soon 1 o1 "${CIP[o2]}"
blocked "o1 (other, host 1) cannot reach c2 (app, host 2)" 1 o1 "${CIP[c2]}" 2 c2 "${CIP[o2]}"
blocked "o1 (other, host 1) cannot reach web (app, host 2)" 1 o1 "${CIP[web]}" 2 web "${CIP[o2]}"
blocked "o2 (other, host 2) cannot reach c1 (app, host 1)" 2 o2 "${CIP[c1]}" 1 c1 "${CIP[o1]}"
blocked "c1 (app, host 1) cannot reach o2 (other, host 2)" 1 c1 "${CIP[o2]}" 2 o2 "${CIP[c2]}"
blocked "c2 (app, host 2) cannot reach o1 (other, host 1)" 2 c2 "${CIP[o1]}" 1 o1 "${CIP[c1]}"

# ---- bad input to peer add: each refused with a message, the peers unchanged
key_new=$(wg genkey | wg pubkey)
key2=$(grep -oE 'key=[^ ]+' <<<"${JOIN[2]}" | cut -d= -f2-)
key1=$(grep -oE 'key=[^ ]+' <<<"${JOIN[1]}" | cut -d= -f2-)
ep=192.168.77.9:51820
before=$(peers_digest 1)
bad=(
	"garbage|this is not a join line"
	"bad key|wgnet-join v1 index=9 key=notakey endpoint=$ep name=bad1"
	"short key|wgnet-join v1 index=9 key=${key_new:0:40} endpoint=$ep name=bad2"
	"index 0|wgnet-join v1 index=0 key=$key_new endpoint=$ep name=bad3"
	"index 65536|wgnet-join v1 index=65536 key=$key_new endpoint=$ep name=bad4"
	"missing key|wgnet-join v1 index=9 endpoint=$ep name=bad5"
	"missing index|wgnet-join v1 key=$key_new endpoint=$ep name=bad6"
	"repeated field|wgnet-join v1 index=9 index=10 key=$key_new endpoint=$ep name=bad7"
	"bad endpoint|wgnet-join v1 index=9 key=$key_new endpoint=192.168.77.9 name=bad8"
	"bad name|wgnet-join v1 index=9 key=$key_new endpoint=$ep name=a/b"
	"duplicate index (host2's)|wgnet-join v1 index=2 key=$key_new endpoint=$ep name=bad9"
	"duplicate key (host2's)|wgnet-join v1 index=9 key=$key2 endpoint=$ep name=bad10"
	"duplicate name (host2)|wgnet-join v1 index=9 key=$key_new endpoint=$ep name=host2"
	"own index|wgnet-join v1 index=1 key=$key_new endpoint=$ep name=bad11"
	"own key|wgnet-join v1 index=9 key=$key1 endpoint=$ep name=bad12"
)
for b in "${bad[@]}"; do
	what=${b%%|*}
	line=${b#*|}
	assert_fails "peer add refuses: $what" wgnet_on 1 peer add "$line"
	assert_match "peer add ($what) says why" '[a-z]' "$ASSERT_OUT"
	e2e_log "  peer add ($what): $(tail -n 1 <<<"$ASSERT_OUT")"
done
assert_fails "peer add with --endpoint and --no-endpoint is refused" \
	wgnet_on 1 peer add --no-endpoint --endpoint "$ep" \
	"wgnet-join v1 index=9 key=$key_new name=bad13"
assert_fails "peer add --keepalive 70000 is refused" \
	wgnet_on 1 peer add --keepalive 70000 "wgnet-join v1 index=9 key=$key_new name=bad14"
assert_fails "peer rm of an unknown peer fails" wgnet_on 1 peer rm nosuchhost
assert_eq "host 1: peers unchanged after the refused commands" "$before" "$(peers_digest 1)"

# ---- wgnetd restarted on host 1 (TERM, then KILL) while c1 pings c2: no packet lost. The
# tunnel (wgnet0, its peers and sessions) and the firewall must outlive the daemon and stay
# open through its reconcile. One ping every 10 ms, so that even a gap of a few tens of
# milliseconds (a firewall table briefly without the tunnel's rules) shows every time, not
# once in several runs as with -i 0.2. WGNET_E2E_TIME_SCALE widens the window (pings) with the
# daemon's waits on a slow machine.
NPING=$((1500 * E2E_TIME_SCALE))
for sig in TERM KILL; do
	wg_before=$(host_wg_pids 1)
	wgidx_before=$(host_exec 1 cat /sys/class/net/wgnet0/ifindex)
	pingout=$E2E_RUN/ping-$sig.txt
	t_ping=$(date +%s.%N)
	docker_on 1 exec c1 ping -c "$NPING" -i 0.01 -W 2 "${CIP[c2]}" >"$pingout" 2>&1 &
	pingpid=$!
	sleep 2
	t_stop=$(date +%s.%N)
	wgnetd_stop 1 "$sig"
	t_stopped=$(date +%s.%N)
	sleep 1
	wgnetd_start_backend 1
	t_started=$(date +%s.%N)
	sleep 1
	if pid_alive "$pingpid"; then
		pass "wgnetd $sig: restarted while the ping still runs"
	else
		fail "wgnetd $sig: the ping ended before wgnetd was back (window too short)"
	fi
	wait "$pingpid"
	read -r tx rx <<<"$(ping_stats "$pingout")"
	assert_eq "wgnetd $sig: $NPING pings c1 -> c2 sent, none lost (sent received)" \
		"$NPING $NPING" "$tx $rx"
	if [ "$rx" != "$NPING" ]; then
		# which ones (10 ms apart), against the daemon's stop and start
		e2e_log "  lost seq (first 40): $(lost_seqs "$pingout" "$NPING" | head -n 40 |
			tr '\n' ' ')$(awk -v p="$t_ping" -v a="$t_stop" -v b="$t_stopped" \
			-v c="$t_started" 'BEGIN { printf "(from the ping'"'"'s start: wgnetd " \
			"stop +%.2f s, gone +%.2f s, answering +%.2f s)", a - p, b - p, c - p }')"
	fi
	if [ "$E2E_WG_BACKEND" = userspace ]; then
		assert_match "wgnetd $sig: a wireguard-go ran on host 1 before the stop" '^[0-9]+$' \
			"$wg_before"
		assert_eq "wgnetd $sig: the same wireguard-go still runs" "$wg_before" "$(host_wg_pids 1)"
	else
		assert_eq "wgnetd $sig: kernel backend, no wireguard-go" "" "$wg_before$(host_wg_pids 1)"
	fi
	assert_eq "wgnetd $sig: the same wgnet0 (ifindex)" "$wgidx_before" \
		"$(host_exec 1 cat /sys/class/net/wgnet0/ifindex)"
	assert_eq "wgnetd $sig: host 1 still has its 2 peers" 2 \
		"$(status_json 1 | jq '.peers | length')"
	assert_ok "after wgnetd $sig: c1 fetches from web" fetch 1 c1 "http://${CIP[web]}/"
done

# ---- wireguard-go dies under a running wgnetd (host 2): wgnetd starts it again and re-applies
# the key, port and peers; traffic resumes with no manual step (userspace backend only)
if [ "$E2E_WG_BACKEND" = userspace ]; then
	wg_before=$(host_wg_pids 2)
	host_kill_wg 2
	wg_after=""
	for _ in $(seq 1 75); do
		wg_after=$(host_wg_pids 2)
		[ -n "$wg_after" ] && [ "$wg_after" != "$wg_before" ] && break
		sleep 0.2
	done
	[ -n "$wg_after" ] && [ "$wg_after" != "$wg_before" ] &&
		pass "wireguard-go killed on host 2: wgnetd started a new one ($wg_before -> $wg_after)" ||
		fail "wireguard-go killed on host 2: wgnetd started a new one" "before $wg_before after $wg_after"
	assert_ok "after the wireguard-go restart: c1 (host 1) reaches c2 (host 2)" \
		retry 30 reaches 1 c1 "${CIP[c2]}"
	assert_eq "after the wireguard-go restart: host 2 still has its 2 peers" 2 \
		"$(status_json 2 | jq '.peers | length')"
fi

# ---- simulated reboot of host 3: everything that lives in RAM is gone; wgnetd (started
# before dockerd, as its unit is) and dockerd bring c3 (--restart always) back, no manual step
dockerd_stop 3 TERM
wgnetd_stop 3 TERM
host_kill_wg 3
host_exec 3 ip link del wgnet0 2>/dev/null
for l in $(host_links 3 '^wg(b|v|c)'); do
	host_exec 3 ip link del "$l" 2>/dev/null
done
nft_on 3 delete table inet wgnet 2>/dev/null
# the rest of the firewall is gone after a reboot too, and forwarding is as at boot
nft_on 3 flush ruleset
host_boot_forwarding "$(host_ns 3)"
# /run is a tmpfs and the conntrack table lives in RAM: both start empty
host_exec 3 sh -c 'for m in $(awk "\$2 ~ \"^/run/\" { print \$2 }" /proc/self/mounts | sort -r); do
	umount -l "$m"; done; rm -rf /run/* /run/.[!.]* 2>/dev/null; true'
e2e_log "reboot: host 3 had $(host_exec 3 conntrack -C) conntrack entries"
assert_ok "reboot: host 3's conntrack table flushed (conntrack -F)" host_exec 3 conntrack -F
# only packets of the peers' retries may have come in since (none with host 3's containers)
assert_eq "reboot: no conntrack entry of host 3's slice is left" "" \
	"$(matching '10\.210\.3\.' host_exec 3 conntrack -L 2>/dev/null | head -n 3)"
assert_eq "reboot: host 3's /run is empty" "" "$(matching . host_exec 3 find /run -mindepth 1 | head -n 5)"
assert_eq "reboot: nothing of wgnet's is left on host 3" "" "$(wgnet_leftovers 3)"
wgnetd_start_backend 3
dockerd_start 3
assert_ok "reboot: c3 (--restart always) runs again" retry 30 running 3 c3
CIP[c3]=$(container_ip 3 c3 app)
assert_ok "reboot: host 3 has wgnet0 again" host_exec 3 ip link show dev wgnet0
assert_eq "reboot: host 3 has its route again" "wgnet0 77" \
	"$(host_exec 3 ip -j route show exact "$POOL" | jq -r '.[] | "\(.dev) \(.protocol)"')"
assert_ok "reboot: c3 reaches c1 on host 1 ($(date +%T))" retry 30 reaches 3 c3 "${CIP[c1]}"
assert_ok "reboot: c1 reaches c3 (${CIP[c3]})" reaches_soon 1 c1 "${CIP[c3]}"
assert_ok "reboot: c3 reaches web on host 2" reaches_soon 3 c3 "${CIP[web]}"
assert_ok "reboot: host 3's peers are up" retry 30 all_peers_up 3 2

# ---- peer rm: host 1 drops host 3; host 1 <-> host 2 unaffected
assert_ok "host 1: wgnet peer rm host3" wgnet_on 1 peer rm host3
assert_eq "host 1: one peer left (host2)" host2 \
	"$(status_json 1 | jq -r '[.peers[].name] | join(",")')"
assert_ok "after peer rm: c1 still pings c2" reaches 1 c1 "${CIP[c2]}"
assert_ok "after peer rm: c2 still pings c1" reaches 2 c2 "${CIP[c1]}"
assert_ok "after peer rm: c3 still pings c2" reaches_soon 3 c3 "${CIP[c2]}"
blocked "after peer rm: c1 cannot reach c3" 1 c1 "${CIP[c3]}" 3 c3 "${CIP[c2]}"
blocked "after peer rm: c3 cannot reach c1" 3 c3 "${CIP[c1]}" 1 c1 "${CIP[c2]}"

# ---- teardown: containers and networks removed; wgnet0 stays while the host is initialised
# (it carries the mesh, not a network), everything else of wgnet's is gone
for i in "${HOSTS[@]}"; do
	# shellcheck disable=SC2046
	docker_on "$i" rm -f $(docker_on "$i" ps -aq) >/dev/null || die "host $i: docker rm -f"
	for n in app other plain; do
		if docker_on "$i" network inspect "$n" >/dev/null 2>&1; then
			assert_ok "host $i: docker network rm $n" docker_on "$i" network rm "$n"
		fi
	done
	assert_eq "host $i: nothing of wgnet's is left but wgnet0" wgnet0 "$(wgnet_leftovers "$i")"
	assert_eq "host $i: no route to $POOL is left" "" \
		"$(matching . host_exec "$i" ip route show exact "$POOL")"
done

e2e_finish
