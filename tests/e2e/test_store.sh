#!/usr/bin/env bash
# test_store.sh: membership through etcd end to end (issue 12's acceptance) with dockerd 20.10.
# A 3-member etcd cluster (Debian's etcd-server), each member in a namespace of its own on the
# underlay, with TLS client certificates made here. Four simulated hosts join with nothing but
# the store's address (no --index, no join line): three at the same moment get three different
# indexes; the etcd leader is killed and the fourth host still joins. Each host makes the same
# wgnet network and runs a container on it, and the containers of every pair of hosts ping each
# other both ways. A forged record (another host's key at a new index) is ignored. With every
# member stopped, the containers keep talking and host 3's `wgnet leave` fails with a message
# saying it is kept; once the members restart from their data directories the leave applies:
# host 3 leaves every other host's peers and its container is cut off.
# (tests/integration/test_store.sh covers the store's other cases without dockerd.)
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$E2E_LIB_DIR/../etcd.sh"

HOSTS=(1 2 3 4)
MEMBERS=(1 2 3)
POOL=10.210.0.0/16

# etcd member m lives in namespace $(host_ns 20m) at 192.168.77.20m: named like a host so that
# lib.sh's cleanup (and the reaping of a killed run) removes it with whatever runs in it
member_id() { echo "20$1"; }
member_ip() { echo "192.168.77.20$1"; }
STORE=https://$(member_ip 1):2379,https://$(member_ip 2):2379,https://$(member_ip 3):2379
CLUSTER=m1=https://$(member_ip 1):2380,m2=https://$(member_ip 2):2380,m3=https://$(member_ip 3):2380

member_add()	# m: the namespace on the underlay
{
	local m=$1 ns id
	id=$(member_id "$m")
	ns=$(host_ns "$id")
	mkdir -p "$(host_dir "$id")"
	ip netns add "$ns" || die "etcd member $m: namespace"
	E2E_HOSTS+=("$id")
	underlay_attach "$ns" "e$m" "$(member_ip "$m")"
}

member_start()	# m: from its data directory (made at the first start)
{
	local m=$1 dir
	dir=$(host_dir "$(member_id "$m")")
	etcd_member_argv "m$m" "$(member_ip "$m")" "$E2E_RUN/etcd$m" "$CLUSTER" "wge2e$E2E_ID" "$PKI"
	# ip netns exec execs: $! is etcd itself
	ip netns exec "$(host_ns "$(member_id "$m")")" "${ETCD_ARGV[@]}" >>"$dir/etcd.log" 2>&1 &
	echo $! >"$dir/etcd.pid"
	disown $!
}

member_pid() { cat "$(host_dir "$(member_id "$1")")/etcd.pid" 2>/dev/null; }

member_stop()	# m [KILL]: TERM (up to 10 s) or KILL, and wait until it is gone
{
	local pid
	pid=$(member_pid "$1")
	[ -n "$pid" ] || return 0
	if [ "${2:-TERM}" = KILL ]; then
		e2e_stop_pid "$pid" 0 || return 1
	else
		e2e_stop_pid "$pid" 10 || return 1
	fi
	rm -f "$(host_dir "$(member_id "$1")")/etcd.pid"
}

etcdctl_()
{
	uplink_exec etcdctl --endpoints "$STORE" --cacert "$PKI/ca.pem" --cert "$PKI/host.pem" \
		--key "$PKI/host-key.pem" --command-timeout 3s "$@"
}

# leader: the client URL of the member that leads now (etcdctl's "simple" lines:
# endpoint, id, version, db size, is leader, ...)
leader()
{
	etcdctl_ endpoint status -w simple 2>/dev/null | awk -F', ' '$5 == "true" { print $1 }'
}

store_join()	# i: wgnet init with nothing but the store's address and the TLS files
{
	wgnet_on "$1" init --store "$STORE" --store-ca "$PKI/ca.pem" \
		--store-cert "$PKI/host.pem" --store-key "$PKI/host-key.pem"
}

# peer_names i: "name/source" of each peer, sorted, space-separated
peer_names()
{
	local j
	j=$(wgnet_on "$1" status --json) || { query_failed "host $1: wgnet status" $?; return; }
	jq -r '[.peers[] | "\(.name)/\(.source)"] | sort | join(" ")' <<<"$j"
}

# want_peers i LIVE...: what peer_names i should print when the hosts LIVE are in the store
want_peers()
{
	local i=$1 j
	shift
	for j in "$@"; do
		[ "$j" != "$i" ] && echo "${NAME[$j]}/store"
	done | sort | tr '\n' ' ' | sed 's/ $//'
}

has_peers()	# i "NAMES"
{
	local n
	n=$(peer_names "$1") && [ "$n" = "$2" ]
}

check_peers()	# DESC-SUFFIX LIVE...: every live host has every other live host from the store
{
	local what=$1 i want
	shift
	for i in "$@"; do
		want=$(want_peers "$i" "$@")
		if retry 10 has_peers "$i" "$want"; then
			pass "host $i has the others from the store $what: $want"
		else
			fail "host $i has the others from the store $what" "expected: $want" \
				"actual:   $(peer_names "$i")"
		fi
	done
}

store_is()	# i STATE: `wgnet status` shows the store reachable or unreachable
{
	wgnet_on "$1" status | grep -E "^store .*   $2   " >/dev/null
}

in_no_store()	# i: the host is in no store and has no leave pending
{
	[ "$(wgnet_on "$1" status --json | jq -c .store)" = null ]
}

reaches()	# i FROM IP: one ping from container FROM on host i
{
	docker_on "$1" exec "$2" ping -c 1 -W 2 "$3" >/dev/null 2>&1
}

check_pairs()	# DESC-SUFFIX SECONDS HOST...: the containers of every pair ping, both ways
{
	local what=$1 secs=$2 i j
	shift 2
	for i in "$@"; do
		for j in "$@"; do
			[ "$i" = "$j" ] && continue
			assert_ok "container on host $i -> container on host $j (${ADDR[$j]}) $what" \
				retry "$secs" reaches "$i" "c$i" "${ADDR[$j]}"
		done
	done
}

ctr_up()	# i: the network app and container c<i> on it, in the host's slice
{
	local i=$1
	docker_on "$i" network create -d wgnet --ipam-driver wgnet --subnet "$POOL" app \
		>/dev/null || die "host $i: docker network create -d wgnet --ipam-driver wgnet app"
	docker_on "$i" run -d --stop-timeout 1 --name "c$i" --network app bb:latest sleep 3600 \
		>/dev/null || die "host $i: docker run c$i"
	ADDR[$i]=$(container_ip "$i" "c$i" app)
	assert_match "host $i: its container is in the slice of index ${INDEX[$i]}" \
		"^10\.210\.${INDEX[$i]}\.[0-9]+$" "${ADDR[$i]}"
}

for t in etcd etcdctl openssl jq; do
	command -v "$t" >/dev/null || { echo "test_store.sh: needs $t (scripts/setup.sh)" >&2; exit 1; }
done
e2e_init
declare -A INDEX NAME ADDR

# ---- TLS and the etcd cluster
PKI=$E2E_RUN/pki
mkdir -p "$PKI"
bash "$E2E_LIB_DIR/../etcd_pki.sh" "$PKI" "$(member_ip 1)" "$(member_ip 2)" "$(member_ip 3)" \
	>"$E2E_RUN/pki.log" 2>&1 || die "certificates" "$(tail -n 5 "$E2E_RUN/pki.log")"
for m in "${MEMBERS[@]}"; do
	member_add "$m"
	member_start "$m"
done
retry 30 etcdctl_ endpoint health ||
	die "etcd cluster healthy" "$(tail -n 5 "$(host_dir "$(member_id 1)")/etcd.log")"
pass "3-member etcd cluster, TLS with client certificates, one namespace per member"

host_up "${HOSTS[@]}"
for i in "${HOSTS[@]}"; do wgnetd_start_backend "$i"; done

# ---- hosts 1..3 join at the same moment with nothing but the store's address
for i in 1 2 3; do
	store_join "$i" >"$E2E_RUN/init$i.out" 2>&1 &
	eval "INIT$i=$!"
done
for i in 1 2 3; do
	eval "pid=\$INIT$i"
	if wait "$pid"; then
		pass "host $i: wgnet init --store (no index, no join line, same moment as the others)"
	else
		fail "host $i: wgnet init --store" "$(cat "$E2E_RUN/init$i.out")"
	fi
	INDEX[$i]=$(wgnet_on "$i" status --json | jq -r .host.index)
	NAME[$i]=host${INDEX[$i]}
done
assert_eq "three hosts initialised at once claim three different indexes" "1 2 3" \
	"$(printf '%s\n' "${INDEX[1]}" "${INDEX[2]}" "${INDEX[3]}" | sort -n | tr '\n' ' ' | sed 's/ $//')"
check_peers "" 1 2 3
for i in 1 2 3; do ctr_up "$i"; done
check_pairs "" 20 1 2 3

# ---- the leader is killed: host 4 still joins and everyone takes it
LEADER=$(leader)
m=0
for k in "${MEMBERS[@]}"; do
	[ "$LEADER" = "https://$(member_ip "$k"):2379" ] && m=$k
done
[ "$m" != 0 ] || die "find the etcd leader" "$(etcdctl_ endpoint status -w simple 2>&1)"
KILLED=$m
pid=$(member_pid "$KILLED")
if member_stop "$KILLED" KILL && ! pid_alive "$pid"; then
	pass "etcd member $KILLED (the leader, $LEADER) killed with SIGKILL"
else
	fail "etcd member $KILLED (the leader) killed"
fi
t0=$(date +%s%N)
assert_ok "host 4: wgnet init --store with the leader dead" store_join 4
INDEX[4]=$(wgnet_on 4 status --json | jq -r .host.index)
NAME[4]=host${INDEX[4]}
assert_eq "host 4 gets the lowest free index" 4 "${INDEX[4]}"
e2e_log "host 4 joined $((($(date +%s%N) - t0) / 1000000)) ms after the kill"
check_peers "(one member dead)" 1 2 3 4
ctr_up 4
check_pairs "(host 4 joined)" 20 4 1 2 3

# ---- a forged record: host 1's key at index 9 (an index claimed with it, too)
KEY1=$(wgnet_on 1 status --json | jq -r .host.public_key)
etcdctl_ put /wgnet/index/9 "$KEY1" >/dev/null
etcdctl_ put /wgnet/hosts/9 "{\"v\":1,\"name\":\"forged\",\"index\":9,\"key\":\"$KEY1\",\"listen_port\":51820,\"mtu\":1420,\"endpoints\":[\"192.168.77.9:51820\"]}" \
	>/dev/null
for i in 2 4; do
	log=$(host_dir "$i")/wgnetd.log
	assert_ok "host $i logged the forged record as refused" retry 5 grep -q \
		"record of index 9 (forged) refused: another host's older record has its key" "$log"
	assert_eq "host $i: the forged record changed no peer" "$(want_peers "$i" 1 2 3 4)" \
		"$(peer_names "$i")"
done
assert_ok "container on host 2 -> container on host 1 after the forged record" \
	retry 5 reaches 2 c2 "${ADDR[1]}"
etcdctl_ del /wgnet/hosts/9 >/dev/null
etcdctl_ del /wgnet/index/9 >/dev/null

# ---- every member stopped: the containers keep talking; host 3's leave fails, saying it waits
PIDS=$(for m in "${MEMBERS[@]}"; do member_pid "$m"; done)
for m in "${MEMBERS[@]}"; do member_stop "$m"; done
assert_eq "no etcd member runs" "" "$(for pid in $PIDS; do pid_alive "$pid" && echo "$pid"; done)"
assert_ok "host 1: status says the store is unreachable" retry 15 store_is 1 unreachable
check_pairs "(etcd down)" 10 1 2 3 4
assert_fails "host 3: wgnet leave with etcd down fails" wgnet_on 3 leave
assert_match "... and says the leave is kept until the store answers" \
	"^wgnet: the store is unreachable \(https://192\.168\.77\.20[1-3]:2379: .+\): the leave is saved and applies when the store answers again \(wgnet status shows it pending\)$" \
	"$ASSERT_OUT"
assert_match "host 3: status shows the leave pending" "leave pending: applies when the store answers" \
	"$(wgnet_on 3 status)"
sleep 2
for i in 1 2 4; do
	assert_eq "host $i keeps host 3 while etcd is down" "$(want_peers "$i" 1 2 3 4)" \
		"$(peer_names "$i")"
done
assert_ok "container on host 1 -> container on host 3 while its leave waits" \
	retry 5 reaches 1 c1 "${ADDR[3]}"

# ---- the members restart from their data directories: the leave applies
for m in "${MEMBERS[@]}"; do member_start "$m"; done
retry 30 etcdctl_ endpoint health ||
	fail "etcd cluster healthy again" "$(tail -n 5 "$(host_dir "$(member_id 1)")/etcd.log")"
t0=$(date +%s)
if retry 20 in_no_store 3; then
	pass "host 3's pending leave applied $(($(date +%s) - t0)) s after etcd came back"
else
	fail "host 3's pending leave applied" "$(wgnet_on 3 status 2>&1 | tail -n 5)"
fi
assert_eq "host 3's record, claim and liveness are gone from etcd" "" \
	"$(matching "/${INDEX[3]}\$" etcdctl_ get --prefix --keys-only /wgnet/)"
check_peers "after host 3 left" 1 2 4
assert_eq "host 3 has no peers from the store left" "" "$(peer_names 3)"
blocked "container on host 1 cannot reach host 3's after its leave" 1 c1 "${ADDR[3]}" 3 c3 \
	"${ADDR[2]}"
check_pairs "(after host 3 left)" 10 1 2 4
e2e_finish
