#!/usr/bin/env bash
# test_store.sh: two simulated Docker hosts (dockerd 20.10) join the mesh with nothing but the
# store's address (an etcd with TLS client certificates on the uplink), create the same network
# and their containers talk by IP both ways; one host leaves and the other drops it.
# (tests/integration/test_store.sh covers the store's failure cases without dockerd.)
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

HOSTS=(1 2)
STORE=https://$E2E_UPLINK_IP:2379

reaches()	# i FROM IP
{
	docker_on "$1" exec "$2" ping -c 1 -W 2 "$3" >/dev/null 2>&1
}

peer_names()	# i
{
	wgnet_on "$1" status --json | jq -r '[.peers[] | "\(.name)/\(.source)"] | sort | join(" ")'
}

has_peers()	# i "NAMES"
{
	[ "$(peer_names "$1")" = "$2" ]
}

for t in etcd openssl; do
	command -v "$t" >/dev/null || { echo "test_store.sh: needs $t (scripts/setup.sh)" >&2; exit 1; }
done
e2e_init
PKI=$E2E_RUN/pki
mkdir -p "$PKI"
bash "$E2E_LIB_DIR/../etcd_pki.sh" "$PKI" "$E2E_UPLINK_IP" >"$E2E_RUN/pki.log" 2>&1 ||
	die "certificates" "$(tail -n 5 "$E2E_RUN/pki.log")"
uplink_exec etcd --name m1 --data-dir "$E2E_RUN/etcd" \
	--listen-client-urls "$STORE" --advertise-client-urls "$STORE" \
	--listen-peer-urls http://127.0.0.1:2380 --initial-advertise-peer-urls http://127.0.0.1:2380 \
	--initial-cluster m1=http://127.0.0.1:2380 --cert-file "$PKI/etcd.pem" \
	--key-file "$PKI/etcd-key.pem" --client-cert-auth --trusted-ca-file "$PKI/ca.pem" \
	>"$E2E_RUN/etcd.log" 2>&1 &
E2E_PIDS_UPLINK+=($!)
disown $!
retry 20 uplink_exec etcdctl --endpoints "$STORE" --cacert "$PKI/ca.pem" --cert "$PKI/host.pem" \
	--key "$PKI/host-key.pem" endpoint health || die "etcd" "$(tail -n 5 "$E2E_RUN/etcd.log")"

host_up "${HOSTS[@]}"
for i in "${HOSTS[@]}"; do
	wgnetd_start "$i"
	assert_ok "host $i: wgnet init --store (no index, no join line)" wgnet_on "$i" init \
		--store "$STORE" --store-ca "$PKI/ca.pem" --store-cert "$PKI/host.pem" \
		--store-key "$PKI/host-key.pem"
	assert_eq "host $i: got index $i" "$i" "$(wgnet_on "$i" status --json | jq -r .host.index)"
done
assert_ok "host 1 has host 2 from the store" retry 5 has_peers 1 "host2/store"
assert_ok "host 2 has host 1 from the store" retry 5 has_peers 2 "host1/store"

for i in "${HOSTS[@]}"; do
	assert_ok "host $i: docker network create" docker_on "$i" network create -d wgnet \
		--ipam-driver wgnet --subnet 10.210.0.0/16 app
	docker_on "$i" run -d --stop-timeout 1 --name "c$i" --network app bb:latest sleep 3600 \
		>/dev/null || die "host $i: docker run"
done
A1=$(container_ip 1 c1 app)
A2=$(container_ip 2 c2 app)
assert_match "host 1's container is in its slice" '^10\.210\.1\.' "$A1"
assert_match "host 2's container is in its slice" '^10\.210\.2\.' "$A2"
assert_ok "container on host 1 -> container on host 2 ($A2)" retry 20 reaches 1 c1 "$A2"
assert_ok "container on host 2 -> container on host 1 ($A1)" retry 20 reaches 2 c2 "$A1"

assert_ok "host 2: wgnet leave" wgnet_on 2 leave
assert_ok "host 1 dropped host 2" retry 5 has_peers 1 ""
e2e_finish
