#!/usr/bin/env bash
# test_store.sh: membership through a real etcd (Debian's etcd-server, 3 members, TLS with
# client certificates made here) and four wgnetd hosts in network namespaces on one bridge,
# no dockerd. Hosts join with nothing but the store's address: three at once get different
# indexes, a held --index is refused naming its holder, containers (namespaces given the
# Join veth) ping across wgnet0, forged records are refused, a revoked lease leaves the peer in
# place, a record advertising new endpoints moves a peer without a live session there at once
# (and not one with a live session), a peer whose first endpoint is unreachable is reached at
# its second (failover), `wgnet leave` drops a host from the others' peers, a new host joins
# with one member down;
# with every member down the tunnels keep working (also across a wgnetd restart), status says
# unreachable, leave is kept and applies when etcd is back; a watch whose revision was
# compacted reads everything again; `wgnet host rm` removes another host, which then says so,
# publishes nothing of itself and joins again with init. A client certificate of another CA,
# and a --store-ca that did not sign etcd's, are refused with errors that say so. A host behind
# NAT, reached at no address it publishes, keeps the endpoint its peer learnt from its
# handshake, also across a restart of that peer's wgnetd.
set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/lib.sh"	# it_init, not it_setup: the hosts are this test's own (cli, api per host)
. "$HERE/store.sh"
store_world wgst	# namespaces ${P}l (the LAN), ${P}e (etcd), ${P}h<N>, ${P}c<N>; host N's
			# wgnetd in $T/hN (daemon.sh: log $T/hN/wgnetd.log)

for h in 1 2 3; do attach "${P}h$h" "10.99.0.$h"; done
# host 4's first address is one the others cannot reach: its peers must fail over to the second
attach "${P}h4" 10.97.0.4 10.99.0.4
# ... and it never opens a flow itself, so only the others' failover can reach it
ip netns exec "${P}h4" nft -f - <<'NFT' || die "host 4: output filter"
table inet wgsttest {
	chain out {
		type filter hook output priority 0;
		udp dport 51820 ct state new drop
	}
}
NFT
for h in 1 2 3 4; do wgnetd_start "$h"; done

# ---- three hosts join at the same moment with nothing but the store's address
for h in 1 2 3; do
	cli "$h" init --store "$STORE" "${TLS[@]}" >"$T/init$h.out" 2>&1 &
	eval "INIT$h=$!"
done
for h in 1 2 3; do
	eval "wait \$INIT$h" || fail "host $h: wgnet init --store" "$(cat "$T/init$h.out")"
done
IDX=$(for h in 1 2 3; do cli "$h" status --json | jq -r .host.index; done | sort -n | tr '\n' ' ')
assert_eq "three concurrent inits claim three different indexes" "1 2 3 " "$IDX"
for h in 1 2 3; do
	eval "I$h=$(cli "$h" status --json | jq -r .host.index)"
done
N1=host$I1 N2=host$I2 N3=host$I3
for h in 1 2 3; do
	want=$(for o in 1 2 3; do [ "$o" != "$h" ] && eval "echo host\$I$o"; done | sort | tr '\n' ' ')
	if retry 5 has_peers "$h" "${want% }"; then
		pass "host $h has the other two as peers from the store"
	else
		fail "host $h has the other two as peers" "$(peers_of "$h")"
	fi
done
assert_eq "peer source and index shown" "$N2 $I2 store" "$(peers_of 1 | grep "^$N2 ")"
assert_match "status: the store is reachable" "store +https://10.99.0.11:2379.* reachable" \
	"$(cli 1 status)"
assert_match "peer ls: source and liveness columns" "SOURCE +ALIVE" "$(cli 1 peer ls)"
assert_eq "a live host shows alive" "true" \
	"$(cli 1 status --json | jq -r --arg n "$N2" '.peers[] | select(.name == $n) | .alive')"

# ---- TLS: a client certificate of another CA is refused, and so is a store certificate that
# --store-ca did not sign; each with an error that says so (etcdctl shows etcd refuses it too)
mkdir -p "$T/other"
bash "$HERE/../etcd_pki.sh" "$T/other" 10.99.0.11 10.99.0.12 10.99.0.13 >"$T/pki-other.log" 2>&1 ||
	die "certificates of another CA" "$(tail -n 5 "$T/pki-other.log")"
assert_fails "control: etcd refuses etcdctl with the other CA's client certificate" \
	ip netns exec "${P}e" etcdctl --endpoints "$STORE" --cacert "$T/pki/ca.pem" \
	--cert "$T/other/host.pem" --key "$T/other/host-key.pem" --command-timeout 3s get /wgnet/x
assert_fails "host 4: init --store with a client certificate the store's CA did not sign" \
	cli 4 init --store "$STORE" --store-ca "$T/pki/ca.pem" --store-cert "$T/other/host.pem" \
	--store-key "$T/other/host-key.pem"
assert_match "the error says the store refused the client certificate" \
	"^wgnet: the store (refused this host's client certificate|closed the connection at TLS, without an answer: it most likely refuses this host's client certificate).*--store-cert must be signed by the CA the store trusts" \
	"$ASSERT_OUT"
assert_fails "host 4: init --store with a --store-ca that did not sign the store's certificate" \
	cli 4 init --store "$STORE" --store-ca "$T/other/ca.pem" "${TLS[@]:2}"
assert_match "the error says the store's certificate is not verified" \
	"^wgnet: could not verify the store's certificate with --store-ca .*certificate problem" \
	"$ASSERT_OUT"
assert_eq "host 4 stays uninitialised after both" 0 "$(cli 4 status --json | jq -r .host.index)"

# ---- plain HTTP, or no client certificate: refused unless the user takes that risk by name,
# and by wgnetd itself (its control API), not only by the CLI
assert_fails "host 4: init --store http://... (plain HTTP)" \
	cli 4 init --store http://10.99.0.11:2379 --store-no-client-cert
assert_match "the error names the risk and --store-insecure-http" \
	"^wgnet: store URL http://10.99.0.11:2379 is plain HTTP: .*--store-insecure-http to take that risk" \
	"$ASSERT_OUT"
assert_fails "host 4: init --store https://... without a client certificate" \
	cli 4 init --store "$STORE" --store-ca "$T/pki/ca.pem"
assert_match "the error names the risk and --store-no-client-cert" \
	"^wgnet: no client certificate for the store .*could join the mesh.*--store-no-client-cert to take that risk" \
	"$ASSERT_OUT"
control_init()	# HOST JSON: POST /init on the control socket; sets BODY
{
	BODY=$(curl -s --max-time 20 --unix-socket "$T/h$1/control.sock" -X POST \
		-H 'Content-Type: application/json' --data-binary "$2" http://localhost/init)
}
control_init 4 '{"store":"http://10.99.0.11:2379","store_no_client_cert":true}'
assert_match "wgnetd refuses plain HTTP too (control API)" "plain HTTP: .*--store-insecure-http" \
	"$BODY"
control_init 4 "{\"store\":\"$STORE\",\"store_ca\":\"$T/pki/ca.pem\"}"
assert_match "wgnetd refuses no client certificate too (control API)" \
	"no client certificate .*--store-no-client-cert" "$BODY"
# the risk taken: the store is asked (this one wants a certificate, and says so at TLS)
assert_fails "host 4: init --store-no-client-cert goes to the store" \
	cli 4 init --store "$STORE" --store-ca "$T/pki/ca.pem" --store-no-client-cert
assert_match "... which refuses it at TLS, not wgnet" "^wgnet: the store (refused|closed|is unreachable)" "$ASSERT_OUT"
assert_fails "host 4: init --store http://... --store-insecure-http --store-no-client-cert goes to the store" \
	cli 4 init --store http://10.99.0.11:2379 --store-insecure-http --store-no-client-cert
# (libcurl words the first error of a transfer: a dead TLS connection of this thread's handle,
# probed before the new one, can give its words to this plain HTTP request)
assert_match "... which does not answer plain HTTP on its TLS port" \
	"^wgnet: the store .*\(http://10\.99\.0\.11:2379: " "$ASSERT_OUT"
assert_eq "... and libcurl sent it (http is not disabled once the risk is taken)" "" \
	"$(grep -o 'not supported or disabled' <<<"$ASSERT_OUT")"
assert_eq "host 4 stays uninitialised after these" 0 "$(cli 4 status --json | jq -r .host.index)"

# ---- --index of a held index: refused, naming the holder
assert_fails "host 4: init --index $I2 (held)" cli 4 init --store "$STORE" "${TLS[@]}" --index "$I2"
assert_match "the error names the holder" "index $I2 is held by host $N2" "$ASSERT_OUT"
assert_eq "host 4 stays uninitialised" 0 "$(cli 4 status --json | jq -r .host.index)"

# ---- a network and a container on hosts 1..3, as dockerd drives it
for h in 1 2 3; do container_up "$h"; done
for pair in "1 2" "2 3" "3 1"; do
	set -- $pair
	eval "to=\$A$2"
	if retry 15 pingc "$1" "$to"; then
		pass "container $1 -> container $2 ($to) through wgnet0"
	else
		fail "container $1 -> container $2 ($to)"
	fi
done

# ---- forged records: another host's key at a new index; another key at a held index
KEY1=$(cli 1 status --json | jq -r .host.public_key)
REC="{\"v\":1,\"name\":\"forged\",\"index\":9,\"key\":\"$KEY1\",\"listen_port\":51820,\"mtu\":1420,\"endpoints\":[\"10.99.0.9:51820\"]}"
etcdctl_ put /wgnet/index/9 "$KEY1" >/dev/null
etcdctl_ put /wgnet/hosts/9 "$REC" >/dev/null
FAKE=$(head -c32 /dev/urandom | base64)
REC2="{\"v\":1,\"name\":\"$N2\",\"index\":$I2,\"key\":\"$FAKE\",\"listen_port\":51820,\"mtu\":1420,\"endpoints\":[\"10.99.0.9:51820\"]}"
etcdctl_ put "/wgnet/hosts/$I2" "$REC2" >/dev/null
sleep 1.5
for h in 1 3; do
	assert_eq "host $h: forged records changed no peer" \
		"$(for o in 1 2 3; do [ "$o" != "$h" ] && eval "echo host\$I$o"; done | sort | tr '\n' ' ' | sed 's/ $//')" \
		"$(peer_names "$h")"
done
assert_match "host 3 logged the record with another host's key as refused" \
	"record of index 9 \(forged\) refused: another host's older record has its key" \
	"$(cat "$T/h3/wgnetd.log")"
assert_match "host 3 logged the record at another host's index as refused" \
	"record of index $I2 \($N2\) refused: its key is not the one that claimed the index" \
	"$(cat "$T/h3/wgnetd.log")"
assert_ok "container 1 -> container 2 still" retry 5 pingc 1 "$A2"
etcdctl_ del /wgnet/hosts/9 >/dev/null
etcdctl_ del /wgnet/index/9 >/dev/null

# ---- a record that re-keys an index (whoever writes the store is a member: a host set up
# again, here by hand): every other host replaces its peer at that index with the new key and
# the same allowed IPs, keeps it so across syncs, and starts again with that state
K3=$(cli 3 status --json | jq -r .host.public_key)
REC3=$(etcdctl_ get "/wgnet/hosts/$I3" --print-value-only)
KN=$(wg genkey | wg pubkey)
etcdctl_ put "/wgnet/index/$I3" "$KN" >/dev/null
etcdctl_ put "/wgnet/hosts/$I3" "$(jq -c --arg k "$KN" '.key = $k | .endpoints = ["10.99.0.33:51820"]' \
	<<<"$REC3")" >/dev/null
for h in 1 2; do
	if retry 10 one_peer_at "$h" "$I3" "$KN"; then
		pass "host $h: index $I3 re-keyed: one peer there, the new key, allowed IPs 10.210.$I3.0/24"
	else
		fail "host $h: index $I3 re-keyed: one peer there, the new key" "$(rekey_failed "$h")"
	fi
	assert_ok "host $h: the old key left wgnet0" off_device "$h" "$K3"
done
# syncs: a peer comes and goes (each a mesh sync on every host); index $I3 stays as it is
KS=$(wg genkey | wg pubkey)
synced=0
for round in 1 2 3; do
	etcdctl_ put /wgnet/index/9 "$KS" >/dev/null
	etcdctl_ put /wgnet/hosts/9 "{\"v\":1,\"name\":\"sync9\",\"index\":9,\"key\":\"$KS\",\"listen_port\":51820,\"mtu\":1420,\"endpoints\":[\"10.99.0.9:51820\"]}" >/dev/null
	retry 5 on_device 1 "$KS" && retry 5 on_device 2 "$KS" ||
		fail "sync round $round: sync9 added" "$(rekey_failed 1)"
	etcdctl_ del /wgnet/hosts/9 >/dev/null
	etcdctl_ del /wgnet/index/9 >/dev/null
	retry 5 off_device 1 "$KS" && retry 5 off_device 2 "$KS" ||
		fail "sync round $round: sync9 removed" "$(rekey_failed 1)"
	for h in 1 2; do
		if one_peer_at "$h" "$I3" "$KN"; then
			synced=$((synced + 1))
		else
			fail "host $h, sync round $round: index $I3 still one peer, the new key" \
				"$(rekey_failed "$h")"
		fi
	done
done
assert_eq "hosts 1 and 2 kept one peer at index $I3, the new key, across 6 syncs (3 rounds)" 6 \
	"$synced"
wgnetd_stop 1
wgnetd_start 1
assert_ok "host 1 starts again with that state: index $I3 is one peer, the new key" \
	retry 10 one_peer_at 1 "$I3" "$KN"
# back: host 3's claim and record again (a second re-key), and host 3 publishes again
etcdctl_ put "/wgnet/index/$I3" "$K3" >/dev/null
etcdctl_ put "/wgnet/hosts/$I3" "$REC3" >/dev/null
assert_ok "host 3: init --store again after its claim came back" \
	cli 3 init --store "$STORE" "${TLS[@]}"
for h in 1 2; do
	if retry 10 one_peer_at "$h" "$I3" "$K3"; then
		pass "host $h: index $I3 back to host 3's key, one peer there"
	else
		fail "host $h: index $I3 back to host 3's key, one peer there" "$(rekey_failed "$h")"
	fi
done
assert_ok "container 1 -> container 3 again" retry 15 pingc 1 "$A3"

# ---- a record that advertises new endpoints: a peer without a live session is moved there at
# once (index 9, a host that never comes up); a live session keeps the endpoint it works on
endpoint_is()	# HOST PEER-NAME ENDPOINT: the device's endpoint for the peer
{
	[ "$(cli "$1" status --json | jq -r --arg n "$2" '.peers[] | select(.name == $n) | .endpoint')" = "$3" ]
}
record_has()	# INDEX TEXT
{
	etcdctl_ get "/wgnet/hosts/$1" --print-value-only | grep -F "$2" >/dev/null
}
K9=$(head -c32 /dev/urandom | base64)
rec9()		# ENDPOINT
{
	echo "{\"v\":1,\"name\":\"absent9\",\"index\":9,\"key\":\"$K9\",\"listen_port\":51820,\"mtu\":1420,\"endpoints\":[\"$1\"]}"
}
etcdctl_ put /wgnet/index/9 "$K9" >/dev/null
etcdctl_ put /wgnet/hosts/9 "$(rec9 10.99.0.9:51820)" >/dev/null
assert_ok "host 1 has absent9 at its advertised 10.99.0.9:51820" \
	retry 5 endpoint_is 1 absent9 10.99.0.9:51820
t0=$(date +%s%N)
etcdctl_ put /wgnet/hosts/9 "$(rec9 10.99.0.19:51820)" >/dev/null
if retry 5 endpoint_is 1 absent9 10.99.0.19:51820; then
	pass "host 1 moved absent9 to its new endpoint $((($(date +%s%N) - t0) / 1000000)) ms after the change"
else
	fail "host 1 moved absent9 to its new endpoint" "$(cli 1 status --json | jq -c '.peers[]')"
fi
assert_match "host 1 logged the move" "store: peer absent9: endpoint 10.99.0.19:51820 \(its record changed\)" \
	"$(cat "$T/h1/wgnetd.log")"
EP2=$(cli 1 status --json | jq -r --arg n "$N2" '.peers[] | select(.name == $n) | .endpoint')
assert_eq "host 1 reaches host 2 at its address on the LAN" 10.99.0.2:51820 "$EP2"
etcdctl_ put "/wgnet/hosts/$I2" "$(etcdctl_ get "/wgnet/hosts/$I2" --print-value-only |
	jq -c '.endpoints = ["10.99.0.222:51820"]')" >/dev/null
assert_ok "host 1 saw host 2's record advertise 10.99.0.222:51820" retry 5 grep -q \
	"store: peer $N2 advertises 10.99.0.222:51820; its live session keeps its endpoint" "$T/h1/wgnetd.log"
assert_ok "host 1 keeps host 2 at the endpoint of its live session" endpoint_is 1 "$N2" "$EP2"
assert_ok "host 2 published its own record again" retry 5 record_has "$I2" 10.99.0.2:51820
assert_ok "container 1 -> container 2 still" retry 5 pingc 1 "$A2"
etcdctl_ del /wgnet/hosts/9 >/dev/null
etcdctl_ del /wgnet/index/9 >/dev/null
want1=$(printf '%s\n' "$N2" "$N3" | sort | tr '\n' ' ' | sed 's/ $//')
assert_ok "absent9 gone from host 1's peers" retry 5 has_peers 1 "$want1"

# ---- a lapsed lease: the host shows not alive and stays a peer; its wgnetd grants a new one
alive_of()	# HOST PEER-NAME
{
	cli "$1" status --json | jq -r --arg n "$2" '.peers[] | select(.name == $n) | .alive'
}
# (the ID is an int64: jq would round it)
lease=$(etcdctl_ get "/wgnet/alive/$I2" -w json | grep -oE '"lease":[0-9]+' | cut -d: -f2)
assert_ok "revoke host 2's lease" etcdctl_ lease revoke "$(printf '%x' "$lease")"
if retry 3 sh -c "[ \"\$('$WGNET' --socket '$T/h1/control.sock' status --json | jq -r --arg n '$N2' '.peers[] | select(.name == \$n) | .alive')\" = false ]"; then
	pass "host 1 shows host 2 not alive"
else
	fail "host 1 shows host 2 not alive" "$(alive_of 1 "$N2")"
fi
assert_match "host 2 stays host 1's peer" "(^| )$N2( |$)" "$(peer_names 1)"
if retry 15 sh -c "[ \"\$('$WGNET' --socket '$T/h1/control.sock' status --json | jq -r --arg n '$N2' '.peers[] | select(.name == \$n) | .alive')\" = true ]"; then
	pass "host 2's wgnetd took a new lease: alive again"
else
	fail "host 2 alive again" "$(alive_of 1 "$N2")"
fi

# ---- one member down: a new host still joins, and everyone sees it
etcd_stop 1
assert_ok "host 4 joins with one etcd member down" cli 4 init --store "$STORE" "${TLS[@]}"
I4=$(cli 4 status --json | jq -r .host.index)
assert_eq "host 4 gets the lowest free index" 4 "$I4"
want1=$(printf '%s\n' "$N2" "$N3" host4 | sort | tr '\n' ' ' | sed 's/ $//')
t0=$(date +%s%N)
if retry 5 has_peers 1 "$want1"; then
	pass "host 1 has host 4 as a peer $((($(date +%s%N) - t0) / 1000000)) ms after its init"
else
	fail "host 1 has host 4 as a peer" "$(peers_of 1)"
fi
etcd_start 1

# ---- failover: host 4's first endpoint is unreachable, its second answers
assert_eq "host 4 publishes both its addresses" '["10.97.0.4:51820","10.99.0.4:51820"]' \
	"$(etcdctl_ get /wgnet/hosts/4 --print-value-only | jq -c .endpoints)"
handshake_with()	# HOST PEER-NAME: the peer's endpoint once it had a handshake
{
	cli "$1" status --json | jq -er --arg n "$2" \
		'.peers[] | select(.name == $n and .latest_handshake > 0) | .endpoint'
}
t0=$(date +%s)
if retry 30 handshake_with 1 host4; then
	pass "host 1 reached host 4 at $(handshake_with 1 host4) after $(($(date +%s) - t0)) s"
else
	fail "host 1 reached host 4 by failing over" "$(cli 1 status --json | jq -c '.peers[]')"
fi
assert_match "host 1 logged the failover" "peer host4: no handshake in 15 s, trying endpoint 10.99.0.4:51820" \
	"$(cat "$T/h1/wgnetd.log")"

# ---- leave: host 3 disappears from every other host's peers; host 2, cut off from etcd
# meanwhile, then finds index $I3 held by a new host (another key) and has one peer there
# both ways: a watch stream already open would otherwise still deliver what etcd sends until
# host 2 next sends a segment (its ACK is what the output rule resets)
cut_off 2
assert_ok "host 2, cut off, sees the store unreachable" retry 30 sh -c \
	"'$WGNET' --socket '$T/h2/control.sock' status | grep -q 'unreachable'"
assert_ok "host 3: wgnet leave" cli 3 leave
t0=$(date +%s%N)
want1=$(printf '%s\n' "$N2" host4 | sort | tr '\n' ' ' | sed 's/ $//')
if retry 5 has_peers 1 "$want1"; then
	pass "host 3 left host 1's peers within $((($(date +%s%N) - t0) / 1000000)) ms"
else
	fail "host 3 left host 1's peers" "$(peers_of 1)"
fi
want4=$(printf '%s\n' "$N1" "$N2" | sort | tr '\n' ' ' | sed 's/ $//')
assert_ok "host 3 left host 4's peers" retry 5 has_peers 4 "$want4"
assert_eq "host 3 has no store peers left" "" "$(peer_names 3)"
attach "${P}h6" 10.99.0.6
wgnetd_start 6
assert_ok "host 6 (a new key) joins at index $I3, which host 3 left" \
	cli 6 init --store "$STORE" "${TLS[@]}" --index "$I3"
K6=$(cli 6 status --json | jq -r .host.public_key)
assert_ok "host 1 has host 6 at index $I3" retry 5 one_peer_at 1 "$I3" "$K6"
assert_eq "host 2, cut off, still has host 3 at index $I3" "$K3" "$(keys_at 2 "$I3")"
cut_back 2
if retry 20 one_peer_at 2 "$I3" "$K6"; then
	pass "host 2 reached etcd again: one peer at index $I3, host 6's key, allowed IPs 10.210.$I3.0/24"
else
	fail "host 2 reached etcd again: one peer at index $I3, host 6's key" "$(rekey_failed 2)"
fi
assert_ok "host 2: host 3's key left wgnet0" off_device 2 "$K3"
wgnetd_stop 2
wgnetd_start 2
assert_ok "host 2 starts again with that state: index $I3 is one peer, host 6's" \
	retry 10 one_peer_at 2 "$I3" "$K6"
assert_ok "host 6: wgnet leave" cli 6 leave
wgnetd_stop 6
assert_ok "host 6 left host 1's peers" retry 5 has_peers 1 "$want1"
want2=$(printf '%s\n' "$N1" host4 | sort | tr '\n' ' ' | sed 's/ $//')
assert_ok "host 6 left host 2's peers" retry 5 has_peers 2 "$want2"

# ---- every member down: tunnels keep working, status says so, leave waits
for m in 1 2 3; do etcd_stop "$m"; done
assert_ok "container 1 -> container 2 with etcd down" retry 5 pingc 1 "$A2"
assert_ok "status says the store is unreachable" retry 5 sh -c \
	"'$WGNET' --socket '$T/h1/control.sock' status | grep -q 'unreachable'"
assert_fails "host 2: wgnet leave with etcd down" cli 2 leave
assert_match "leave says it waits for the store" "unreachable.*applies when the store" "$ASSERT_OUT"
sleep 2
assert_eq "host 1 keeps host 2 while the store is down" "$want1" "$(peer_names 1)"
# host 4's watch too is down (no stream left open to a member that was stopping)
assert_ok "host 4 sees the store unreachable" retry 10 sh -c \
	"'$WGNET' --socket '$T/h4/control.sock' status | grep -q 'unreachable'"
assert_ok "container 2 -> container 1 with etcd down" retry 5 pingc 2 "$A1"
wgnetd_stop 1
wgnetd_start 1
assert_eq "host 1 restarted without the store: same peers" "$want1" "$(peer_names 1)"
assert_ok "container 1 -> container 2 after that restart" retry 10 pingc 1 "$A2"

# ---- etcd back, host 4 still cut off: host 2's leave applies, the history is compacted; then
# host 4's watch cannot resume from its revision and reads everything again (host 1, just
# restarted, reads everything anyway)
want4=$(printf '%s\n' "$N1" "$N2" | sort | tr '\n' ' ' | sed 's/ $//')
ip netns exec "${P}h4" nft -f - <<'NFT' || die "cut host 4 from etcd"
table inet wgstcut {
	chain out {
		type filter hook output priority 0;
		tcp dport 2379 reject with tcp reset
	}
}
NFT
for m in 1 2 3; do etcd_start "$m"; done
retry 30 etcdctl_ endpoint health || fail "etcd back" "$(tail -n 5 "$T/etcd1.log")"
no_record()	# INDEX: etcd answers, without a record at /wgnet/hosts/INDEX
{
	local v
	v=$(etcdctl_ get "/wgnet/hosts/$1" --print-value-only) && [ -z "$v" ]
}
if retry 20 no_record "$I2"; then
	pass "host 2's pending leave applied when etcd came back"
else
	fail "host 2's pending leave applied when etcd came back" "$(etcdctl_ get --prefix /wgnet/hosts/ --keys-only)"
fi
# one write outside wgnet's keys first: the compaction then surely passes the revision host 4
# resumes from (its last event's + 1), whatever else was written while etcd came back
assert_ok "a write outside /wgnet/" etcdctl_ put /wgnet-test-bump 1
rev=$(etcdctl_ get /wgnet/ --prefix -w json | grep -oE '"revision":[0-9]+' | head -1 | cut -d: -f2)
assert_ok "compact the store at revision $rev" etcdctl_ compact "$rev"
assert_eq "host 4, cut off, still has host 2" "$want4" "$(peer_names 4)"
ip netns exec "${P}h4" nft delete table inet wgstcut
t0=$(date +%s)
if retry 20 has_peers 4 "$N1"; then
	pass "host 4 dropped host 2 $(($(date +%s) - t0)) s after it reached etcd again"
else
	fail "host 4 dropped host 2 after it reached etcd again" "$(peers_of 4)"
fi
assert_match "host 4 read everything again (compacted)" "was compacted: reading everything again" \
	"$(cat "$T/h4/wgnetd.log")"
assert_ok "host 1 dropped host 2" retry 10 has_peers 1 host4
assert_ok "host 1 sees the store reachable again" retry 10 sh -c \
	"'$WGNET' --socket '$T/h1/control.sock' status | grep -qE ' reachable '"

# ---- host rm: host 1 removes host 4, cut off from the store with a container's names in it
# (they are under its lease, which its running wgnetd would renew: the rm takes them too)
cut_off 4
names_put 4
assert_ok "host 1: wgnet host rm host4" cli 1 host rm host4
assert_ok "host 4 left host 1's peers" retry 5 has_peers 1 ""
assert_eq "host 4's names went with it" "" "$(names_of 4)"
cut_back 4

# ---- what the removed host sees and does: it says so, publishes nothing of itself again (its
# keeper would otherwise undo the rm), keeps its peers as they are (the store is not the data
# path) and joins again with init --store
removed_is()	# HOST true|false
{
	[ "$(cli "$1" status --json | jq -r .store.removed)" = "$2" ]
}
in_store()	# KEY: etcd has it
{
	[ -n "$(etcdctl_ get "$1" --print-value-only 2>/dev/null)" ]
}
assert_ok "host 4 knows it was removed" retry 20 removed_is 4 true
assert_match "host 4: status says so and how to join again" \
	"this host was removed from the store: wgnet init --store joins again" "$(cli 4 status)"
assert_match "host 4 logged it" \
	"this host's claim of index 4 is gone \(wgnet host rm\?\): not publishing" "$(cat "$T/h4/wgnetd.log")"
# control: a record deleted by hand, its claim kept, is published again by its host
etcdctl_ del "/wgnet/hosts/$I1" >/dev/null
assert_ok "control: host 1 publishes its record again when it is deleted" \
	retry 5 in_store "/wgnet/hosts/$I1"
sleep 12	# more than the keeper's renewal period (10 s)
assert_eq "host 4 published nothing of itself again (12 s later)" "" \
	"$(matching '/4$' etcdctl_ get --prefix --keys-only /wgnet/)"
assert_eq "host 4 keeps its peers as they were" "$N1" "$(peer_names 4)"
assert_eq "host 1 still has no host 4" "" "$(peer_names 1)"
assert_ok "host 4: init --store joins again" cli 4 init --store "$STORE" "${TLS[@]}"
assert_eq "host 4 gets its index back" 4 "$(cli 4 status --json | jq -r .host.index)"
assert_ok "host 4 no longer says it was removed" retry 3 removed_is 4 false
assert_ok "host 1 has host 4 again" retry 5 has_peers 1 host4

# ---- an endpoint learnt from a handshake is kept: host 5 sits behind a NAT router (10.99.0.50)
# and publishes two addresses that nobody can reach. Host 1 learns the router's address from
# host 5's handshake and keeps it, also across a restart of its wgnetd (whose failover starts
# afresh: 15 s without a new handshake must not put an advertised endpoint back)
attach "${P}r5" 10.99.0.50
ip netns add "${P}h5"
ip -n "${P}h5" link set lo up
ip -n "${P}r5" link add in0 type veth peer name eth0 netns "${P}h5"
ip -n "${P}r5" addr add 10.98.0.1/24 dev in0
ip -n "${P}r5" link set in0 up
ip -n "${P}h5" addr add 10.98.0.5/24 dev eth0
ip -n "${P}h5" addr add 10.96.0.5/24 dev eth0
ip -n "${P}h5" link set eth0 up
ip -n "${P}h5" route add default via 10.98.0.1
ip netns exec "${P}r5" sysctl -qw net.ipv4.ip_forward=1
ip netns exec "${P}r5" nft -f - <<'NFT' || die "host 5's NAT router"
table ip wgstnat {
	chain post {
		type nat hook postrouting priority 100;
		oifname "eth0" masquerade
	}
}
NFT
wgnetd_start 5
assert_ok "host 5, behind NAT, joins" cli 5 init --store "$STORE" "${TLS[@]}"
I5=$(cli 5 status --json | jq -r .host.index)
N5=host$I5
assert_eq "host 5 publishes its two addresses (unreachable from the LAN)" \
	'["10.96.0.5:51820","10.98.0.5:51820"]' \
	"$(etcdctl_ get "/wgnet/hosts/$I5" --print-value-only | jq -c '.endpoints | sort')"
learnt()	# HOST PEER: the peer's endpoint once a handshake came through the NAT router
{
	cli "$1" status --json | jq -er --arg n "$2" '.peers[] | select(.name == $n and
		.latest_handshake > 0 and (.endpoint | startswith("10.99.0.50:"))) | .endpoint'
}
if retry 15 learnt 1 "$N5"; then
	pass "host 1 learnt host 5's endpoint from its handshake: $(learnt 1 "$N5")"
else
	fail "host 1 learnt host 5's endpoint from its handshake" \
		"$(cli 1 status --json | jq -c --arg n "$N5" '.peers[] | select(.name == $n)')"
fi
sleep 2		# the handshake is then older than the restarted failover's start
nlog=$(wc -l <"$T/h1/wgnetd.log")
wgnetd_stop 1
wgnetd_start 1
moved=""
for ((k = 1; k <= 18; k++)); do		# the failover period (15 s) and a margin
	ep=$(cli 1 status --json | jq -r --arg n "$N5" '.peers[] | select(.name == $n) | .endpoint')
	[[ "$ep" == 10.99.0.50:* ]] || moved+="after ${k} s: '$ep' "
	sleep 1
done
assert_eq "host 1 kept host 5's learnt endpoint for 18 s after a restart of its wgnetd" "" \
	"$moved"
assert_eq "host 1 did not fail host 5 over to an advertised endpoint" "" \
	"$(tail -n +"$((nlog + 1))" "$T/h1/wgnetd.log" | grep "peer $N5: no handshake")"

# ---- a store.json that takes a risk it does not name (edited by hand, or written before the
# flags existed): wgnetd serves without the store and says why, its peers stay, leave is
# refused; init --store with a certificate uses the store again
store_field()	# HOST FIELD: .store.FIELD of status --json
{
	cli "$1" status --json | jq -r ".store.$2"
}
peers5=$(peer_names 5)
wgnetd_stop 5
jq '.cert = "" | .key = "" | del(.no_client_cert)' "$T/h5/state/store.json" >"$T/store5.json" &&
	cat "$T/store5.json" >"$T/h5/state/store.json" || die "host 5: store.json without its certificate"
wgnetd_start 5
assert_match "host 5 serves; status says the store is not used, and why" \
	"^unreachable no client certificate for the store .*--store-no-client-cert" \
	"$(store_field 5 state) $(store_field 5 error)"
assert_match "host 5 logged it" "store: .*/store.json: no client certificate .*not used until wgnet init --store" \
	"$(cat "$T/h5/wgnetd.log")"
assert_eq "host 5 keeps its peers" "$peers5" "$(peer_names 5)"
assert_fails "host 5: leave is refused meanwhile" cli 5 leave
assert_match "... saying why" "^wgnet: the store is not used: no client certificate" "$ASSERT_OUT"
assert_ok "host 5: init --store with its certificate" cli 5 init --store "$STORE" "${TLS[@]}"
assert_ok "host 5 uses the store again" retry 10 sh -c \
	"[ \"\$('$WGNET' --socket '$T/h5/control.sock' status --json | jq -r .store.state)\" = reachable ]"

it_finish
