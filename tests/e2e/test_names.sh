#!/usr/bin/env bash
# test_names.sh: names across hosts (issue 20) on three simulated hosts with dockerd 20.10
# (test_names_forky.sh: 28.5), in both membership modes, one after the other on the same hosts:
# first through an etcd store (one member, TLS with client certificates), then, once every host
# left the store, with join lines (the peers asked over the tunnel).
#
# In each mode: examples/compose/ with docker-compose 1.29, `web` on host 2 and `client` on
# host 1 (dns: the pool's responder); the client fetches http://web/ through Docker's embedded
# DNS, and finds web by its container name and by <name>.<network>; `web` scaled onto host 1
# too gives a client on host 3 both addresses (on host 1 Docker answers its own web itself); a
# name of another pool is not answered, not even by asking that pool's responder; `web` stopped
# is gone. The store down: the names known keep answering. How long a name took to appear or go
# on the other hosts is printed (bench/names measures it), never asserted.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$E2E_LIB_DIR/../etcd.sh"

HOSTS=(1 2 3)
POOL=10.210.0.0/16
DNS=10.210.0.53			# the responder of POOL: its address + 53
OTHER=10.212.0.0/16		# another pool, on hosts 2 and 3
OTHER_DNS=10.212.0.53
MEMBER=201			# the etcd member's namespace, named like a host (lib.sh cleans it)
MEMBER_IP=192.168.77.201
STORE=https://$MEMBER_IP:2379

for t in etcd etcdctl openssl jq dig docker-compose; do
	command -v "$t" >/dev/null || { echo "test_names.sh: needs $t (scripts/setup.sh)" >&2; exit 1; }
done

# compose_on i ARGS...: examples/compose/ with Debian 12's docker-compose 1.29 in host i
compose_on()
{
	local i=$1
	shift
	host_exec "$i" env IMAGE=bb:latest WGNET_SUBNET="$POOL" WGNET_DNS="$DNS" \
		DOCKER_HOST=unix:///run/docker.sock docker-compose -p demo \
		-f "$E2E_REPO/examples/compose/docker-compose.yml" "$@"
}

# fetch i CTR URL: the page, from container CTR of host i (its names through Docker's DNS)
fetch()
{
	docker_on "$1" exec "$2" timeout 5 wget -qO- "$3"
}

# lookup i CTR NAME: the addresses Docker's embedded DNS gives container CTR of host i for NAME
# (asked from the container's network namespace, at 127.0.0.11), sorted, one line
lookup()
{
	ctr_netns "$1" "$2" dig +short +tries=1 +time=3 "$3" @127.0.0.11 | sort | xargs
}

# ask i SERVER NAME [CTR]: dig at SERVER from host i (or from its container CTR): "STATUS addr.."
ask()
{
	local out where=(host_exec "$1")
	[ -n "${4:-}" ] && where=(ctr_netns "$1" "$4")
	out=$("${where[@]}" dig +tries=1 +time=3 "$3" @"$2") || { query_failed "dig $3 @$2" $?; return; }
	echo "$(grep -oE 'status: [A-Z]+' <<<"$out" | cut -d' ' -f2)" \
		"$(awk '$4 == "A" { print $5 }' <<<"$out" | sort | xargs)" | xargs
}

# seen i NAME WANT T0 WHAT: host i's responder answers NAME with WANT within 20 s; prints how long
# after T0 (ns) it did
seen()
{
	local i=$1 name=$2 want=$3 t0=$4 what=$5
	if retry_eq 20 "$want" ask "$i" "$DNS" "$name"; then
		pass "host $i answers $name: $want ($what $((($(date +%s%N) - t0) / 1000000)) ms before)"
	else
		fail "host $i answers $name: $want ($what)" "got: $RETRY_OUT"
	fi
}

ctr_addr()	# i CTR NETWORK
{
	container_ip "$1" "$2" "$3"
}

etcdctl_()
{
	uplink_exec etcdctl --endpoints "$STORE" --cacert "$PKI/ca.pem" --cert "$PKI/host.pem" \
		--key "$PKI/host-key.pem" --command-timeout 3s "$@"
}

member_start()
{
	local dir
	dir=$(host_dir "$MEMBER")
	etcd_member_argv m1 "$MEMBER_IP" "$E2E_RUN/etcd" "m1=https://$MEMBER_IP:2380" \
		"wge2e$E2E_ID" "$PKI"
	ip netns exec "$(host_ns "$MEMBER")" "${ETCD_ARGV[@]}" >>"$dir/etcd.log" 2>&1 &
	echo $! >"$dir/etcd.pid"
	disown $!
}

store_is()	# i STATE
{
	wgnet_on "$1" status | grep -E "^store .*   $2   " >/dev/null
}

# ---------------------------------------------------------------- the checks of both modes
# names MODE: what either membership mode must give, with web on host 2 and client on host 1
names()
{
	local mode=$1 web2 web1 t0 secret
	web2=$(ctr_addr 2 demo_web_1 demo_app)
	assert_match "$mode: web is in host 2's slice" '^10\.210\.2\.' "$web2"
	assert_ok "$mode: host 1's client fetches http://web/ (web on host 2)" \
		retry 20 fetch 1 demo_client_1 http://web/
	assert_eq "$mode: ... by the service name, web" "$web2" "$(lookup 1 demo_client_1 web)"
	assert_eq "$mode: ... by the container name, demo_web_1" "$web2" \
		"$(lookup 1 demo_client_1 demo_web_1)"
	# <network> is the name Docker gives host 1's network of the pool, which host 1 learns
	# when its names watcher reads its own client (compose made the network a moment before):
	# waited for, as a loaded CI saw the lookup come first
	if retry_eq 10 "$web2" lookup 1 demo_client_1 demo_web_1.demo_app; then
		pass "$mode: ... by <name>.<network>, demo_web_1.demo_app"
	else
		fail "$mode: ... by <name>.<network>, demo_web_1.demo_app" \
			"expected: $web2" "actual:   $RETRY_OUT"
	fi
	assert_eq "$mode: ... by <alias>.<network>, web.demo_app" "$web2" \
		"$(lookup 1 demo_client_1 web.demo_app)"
	assert_match "$mode: the page is host 2's web" "^hello from" \
		"$(fetch 1 demo_client_1 http://web/)"
	assert_eq "$mode: a name nobody has is REFUSED (Docker asks the next server)" "REFUSED" \
		"$(ask 1 "$DNS" nothere demo_client_1)"
	assert_eq "$mode: AAAA of a name it has: NOERROR, no record" "NOERROR" \
		"$(ctr_netns 1 demo_client_1 dig +tries=1 +time=3 AAAA web @"$DNS" |
			grep -oE 'status: [A-Z]+|^web\..*AAAA' | cut -d' ' -f2 | xargs)"

	# web scaled onto host 1: host 3's client gets both (on host 1 Docker answers its own web)
	assert_ok "$mode: host 3: docker-compose up -d client" compose_on 3 up -d client
	assert_ok "$mode: host 1: docker-compose up -d web" compose_on 1 up -d web
	t0=$(date +%s%N)
	web1=$(ctr_addr 1 demo_web_1 demo_app)
	seen 3 web "NOERROR $(printf '%s\n' "$web1" "$web2" | sort | xargs)" "$t0" \
		"host 1's web was up"
	assert_eq "$mode: host 3's client finds web on hosts 1 and 2" \
		"$(printf '%s\n' "$web1" "$web2" | sort | xargs)" "$(lookup 3 demo_client_1 web)"
	assert_ok "$mode: host 3's client fetches http://web/" fetch 3 demo_client_1 http://web/

	# a name of another pool: never to this pool's clients, not even at its responder
	secret=$(ctr_addr 2 "secret$mode" other)
	assert_eq "$mode: the other pool's client on host 3 finds secret$mode (control)" \
		"$secret" "$(lookup 3 "peer$mode" "secret$mode")"
	assert_eq "$mode: host 3's client of pool app does not find secret$mode" "" \
		"$(lookup 3 demo_client_1 "secret$mode")"
	assert_eq "$mode: ... nor when it asks pool other's responder itself" "REFUSED" \
		"$(ask 3 "$OTHER_DNS" "secret$mode" demo_client_1)"

	# web stopped on host 2, then on host 1: gone from the others (timed from when docker stop
	# returned: the container has stopped)
	assert_ok "$mode: host 2: docker stop web" docker_on 2 stop -t 1 demo_web_1
	t0=$(date +%s%N)
	seen 3 web "NOERROR $web1" "$t0" "host 2's web stopped"
	seen 1 demo_web_1.demo_app "NOERROR $web1" "$t0" "host 2's web stopped"
	assert_ok "$mode: host 1: docker stop web" docker_on 1 stop -t 1 demo_web_1
	t0=$(date +%s%N)
	seen 3 web REFUSED "$t0" "host 1's web stopped"
	seen 2 web REFUSED "$t0" "host 1's web stopped"
	assert_ok "$mode: host 2: docker start web" docker_on 2 start demo_web_1
	t0=$(date +%s%N)
	web2=$(ctr_addr 2 demo_web_1 demo_app)
	seen 1 web "NOERROR $web2" "$t0" "host 2's web started again"
	seen 3 web "NOERROR $web2" "$t0" "host 2's web started again"
}

# ---------------------------------------------------------------- the hosts, the store
e2e_init
PKI=$E2E_RUN/pki
mkdir -p "$PKI" "$(host_dir "$MEMBER")"
bash "$E2E_LIB_DIR/../etcd_pki.sh" "$PKI" "$MEMBER_IP" >"$E2E_RUN/pki.log" 2>&1 ||
	die "certificates" "$(tail -n 5 "$E2E_RUN/pki.log")"
ip netns add "$(host_ns "$MEMBER")" || die "etcd member: namespace"
E2E_HOSTS+=("$MEMBER")
underlay_attach "$(host_ns "$MEMBER")" e1 "$MEMBER_IP"
member_start
retry 30 etcdctl_ endpoint health || die "etcd healthy" "$(tail -n 5 "$(host_dir "$MEMBER")/etcd.log")"

host_up "${HOSTS[@]}"
for i in "${HOSTS[@]}"; do
	wgnetd_start_backend "$i"
	wgnet_on "$i" init --index "$i" --endpoint "$(host_ip "$i"):51820" --name "h$i" \
		--store "$STORE" --store-ca "$PKI/ca.pem" --store-cert "$PKI/host.pem" \
		--store-key "$PKI/host-key.pem" >/dev/null || die "host $i: wgnet init --store"
done
# host 3: another program listens on TCP port 53 of every address when pool other's network
# comes: status says its responder does not listen, and why; once the port is free it does
nsenter -t "$(host_holder 3)" -n -- busybox nc -l -p 53 </dev/null >/dev/null 2>&1 &
NC=$!		# nsenter execs: busybox itself
nc_stop() { kill "$NC" 2>/dev/null; wait "$NC" 2>/dev/null; }
on_exit nc_stop
held() { host_exec 3 ss -Hltn 'sport = :53' | grep . >/dev/null; }
retry 5 held || die "host 3: nc listens on TCP port 53"
for i in 2 3; do
	docker_on "$i" network create -d wgnet --ipam-driver wgnet --subnet "$OTHER" other \
		>/dev/null || die "host $i: network other"
done
assert_match "host 3: port 53 held: status says the responder of $OTHER does not listen, and why" \
	"responder $OTHER_DNS \(pool $OTHER\) NOT listening: $OTHER_DNS port 53/tcp: Address already in use \(another program holds port 53, maybe on every address\)" \
	"$(wgnet_on 3 status)"
nc_stop
listening() { wgnet_on 3 status | grep -F "responder $OTHER_DNS (pool $OTHER) listening" >/dev/null; }
assert_ok "host 3: the port free, the responder listens (tried again every 5 s)" retry 15 listening
assert_ok "host 2: docker-compose up -d web" compose_on 2 up -d web
assert_ok "host 1: docker-compose up -d client" compose_on 1 up -d client
st=$(wgnet_on 1 status --json)
assert_eq "host 1: status --json names the responder of pool app, listening" "$DNS true" \
	"$(jq -r '.networks[] | select(.pool == "'"$POOL"'") | "\(.responder.address) \(.responder.listening)"' <<<"$st")"
assert_eq "host 1: ... and its address is on lo, labelled lo:wgnet" "lo:wgnet" \
	"$(host_exec 1 ip -j addr show dev lo | jq -r '.[].addr_info[] | select(.local == "'"$DNS"'") | .label')"
assert_match "host 1: wgnet status shows it" "responder $DNS \(pool $POOL\) listening on port 53" \
	"$(wgnet_on 1 status)"
docker_on 3 run -d --stop-timeout 1 --name peerstore --network other --dns "$OTHER_DNS" \
	bb:latest sleep 3600 >/dev/null || die "host 3: run peerstore"
docker_on 2 run -d --stop-timeout 1 --name secretstore --network other bb:latest sleep 3600 \
	>/dev/null || die "host 2: run secretstore"

# ---------------------------------------------------------------- 1. through the store
t0=$(date +%s%N)
seen 1 demo_web_1 "NOERROR $(ctr_addr 2 demo_web_1 demo_app)" "$t0" "a look after the compose ups"
assert_match "host 2's record of web is in the store, under its index" "^/wgnet/names/2/[0-9a-f]{64}$" \
	"$(etcdctl_ get --prefix --keys-only /wgnet/names/2/ | grep . | head -n 1)"
names store
assert_match "host 1: wgnet names lists host 2's web" "10\.210\.0\.0/16 +10\.210\.2\.[0-9]+ +2 +web$" \
	"$(wgnet_on 1 names)"
assert_match "host 1: status counts the names of the other hosts" "[1-9][0-9]* from other hosts" \
	"$(wgnet_on 1 status)"

# a name of 40 containers (a host that exists only in the store publishes them): over UDP
# without EDNS (512 bytes: 30 addresses fit) the answer is truncated, whole over TCP
KEY9=$(head -c 32 /dev/urandom | base64)
etcdctl_ put /wgnet/index/9 "$KEY9" >/dev/null || fail "claim of index 9"
etcdctl_ put /wgnet/hosts/9 "{\"v\":1,\"name\":\"h9\",\"index\":9,\"key\":\"$KEY9\",\"listen_port\":51820,\"mtu\":1420,\"endpoints\":[\"192.0.2.9:51820\"]}" \
	>/dev/null || fail "record of index 9"
for k in $(seq 1 40); do
	etcdctl_ put "/wgnet/names/9/$(printf '%064x' "$k")" \
		"{\"v\":1,\"pool\":\"$POOL\",\"addr\":\"10.210.9.$((k + 1))\",\"names\":[\"many\"]}" \
		>/dev/null || fail "names record $k of index 9"
done
many() { host_exec 1 dig +tries=1 +time=3 "$@" many @"$DNS" | grep -c 'IN[[:space:]]A[[:space:]]10\.210\.9\.'; }
assert_ok "host 1 answers all 40 addresses of many (EDNS: 1232 bytes)" retry_eq 10 40 many
assert_match "... without EDNS: truncated (TC), no address" "flags: qr aa tc rd; QUERY: 1, ANSWER: 0" \
	"$(host_exec 1 dig +tries=1 +time=3 +noedns +ignore many @"$DNS")"
assert_eq "... and over TCP, all 40" 40 "$(many +tcp)"
assert_eq "... dig's own fallback to TCP after the truncated UDP answer: all 40" 40 "$(many +noedns)"
etcdctl_ del --prefix /wgnet/names/9/ >/dev/null
etcdctl_ del /wgnet/hosts/9 >/dev/null
etcdctl_ del /wgnet/index/9 >/dev/null

# the store down: what is known keeps answering
web2=$(ctr_addr 2 demo_web_1 demo_app)
e2e_stop_pid "$(cat "$(host_dir "$MEMBER")/etcd.pid")" 10 || fail "etcd stopped"
assert_ok "host 1: status says the store is unreachable" retry 15 store_is 1 unreachable
assert_eq "store down: host 1's client still fetches http://web/ (web on host 2)" "$web2" \
	"$(lookup 1 demo_client_1 web)"
sleep "$((2 * E2E_TIME_SCALE))"
assert_eq "store down, 2 s later: host 3 still answers web" "NOERROR $web2" \
	"$(ask 3 "$DNS" web)"
member_start
retry 30 etcdctl_ endpoint health || fail "etcd healthy again"
assert_ok "host 1: the store is reachable again" retry 15 store_is 1 reachable

# ---------------------------------------------------------------- 2. with join lines
for i in "${HOSTS[@]}"; do
	wgnet_on "$i" leave >/dev/null || fail "host $i: wgnet leave"
done
for i in "${HOSTS[@]}"; do
	for j in "${HOSTS[@]}"; do
		[ "$i" = "$j" ] || wgnet_on "$i" peer add "$(wgnet_on "$j" join-line)" >/dev/null ||
			die "host $i: peer add h$j"
	done
done
assert_eq "host 1: no names from the store after leaving it" "0" \
	"$(wgnet_on 1 status --json | jq .names.remote)"
compose_on 1 rm -fsv web >/dev/null 2>&1
compose_on 3 rm -fsv client >/dev/null 2>&1
docker_on 2 rm -f secretstore >/dev/null
docker_on 3 rm -f peerstore >/dev/null
docker_on 3 run -d --stop-timeout 1 --name peerjoin --network other --dns "$OTHER_DNS" \
	bb:latest sleep 3600 >/dev/null || die "host 3: run peerjoin"
docker_on 2 run -d --stop-timeout 1 --name secretjoin --network other bb:latest sleep 3600 \
	>/dev/null || die "host 2: run secretjoin"
names join
assert_match "host 3 asked its peers (join lines)" "^[1-9]" \
	"$(wgnet_on 3 status --json | jq .names.peer_queries)"

e2e_finish
