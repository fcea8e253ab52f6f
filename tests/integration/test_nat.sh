#!/usr/bin/env bash
# test_nat.sh: a host behind a real NAT. Host A (the lib's namespace) is on the underlay; host B
# sits on a LAN behind router R, which masquerades it onto the underlay with a source-port
# rewrite (snat to R's address and a port range other than 51820). A knows B without an
# endpoint (peer add --no-endpoint), B knows A with its endpoint and a short keepalive:
#
#   container a 10.210.1.2 - host A 192.0.2.1 === 192.0.2.2 router R 10.99.0.1 --- 10.99.0.2
#                                                     (snat, conntrack)   host B - container b
#                                                                             10.210.2.2
#
# Checked: both containers reach each other; A's WireGuard sees B at R's address and the
# rewritten port (as R's conntrack says); then R's mapping changes (its NAT rule re-made with
# another port range and its conntrack flushed, as a router restart does) and within a few
# keepalive intervals A sees B's new port and both directions work again.
# NAT_FAULT=nokeepalive (B adds A with --keepalive 0) or NAT_FAULT=nonat (R forwards without
# NAT) plants a fault the test must report.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/mesh.sh"

KA=2			# B's keepalive to A, seconds
HEAL=$((4 * KA + 2))	# how long A may take to see B's new port: a few keepalive intervals
[ "${NAT_FAULT:-}" = nokeepalive ] && KA=0
R=${IT_NS}r		# names the lib's reaper knows (wgit<pid><letter>)
HB=${IT_NS}h
HB_DIR=$IT_DIR/hb

ctr_ns() { echo "$IT_NS${1#c}"; }	# ca -> wgit<pid>a, cb -> wgit<pid>b
in_ctr() { local c=$1; shift; ip netns exec "$(ctr_ns "$c")" "$@"; }
r() { ip netns exec "$R" "$@"; }
cli_b() { "$WGNET" --socket "$HB_DIR/control.sock" "$@"; }
api_b() { IT_PLUGIN_SOCK=$HB_DIR/plugin.sock api "$@"; }
wg_a() { (it_in_run wg "$@"); }

nat_cleanup()
{
	local n p
	for n in "$R" "$HB" "$(ctr_ns ca)" "$(ctr_ns cb)"; do
		for p in $(ip netns pids "$n" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
		ip netns del "$n" 2>/dev/null
	done
}

# router_nat LOW-HIGH: R's NAT made anew, as a router (re)started: B's UDP leaves with R's
# address and a port of LOW-HIGH; unsolicited traffic from the underlay is not forwarded
router_nat()
{
	local snat="meta l4proto udp snat to 192.0.2.2:$1"
	[ "${NAT_FAULT:-}" = nonat ] && snat="accept"
	r nft delete table ip nat 2>/dev/null
	r nft -f - <<-NFT || die "router NAT"
	table ip nat {
		chain post {
			type nat hook postrouting priority srcnat;
			oifname "up0" $snat
		}
		chain forward {
			type filter hook forward priority filter; policy drop;
			iifname "lan0" accept
			ct state established,related accept
		}
	}
	NFT
	r conntrack -F >/dev/null 2>&1
}

# b_endpoint_on_a: the endpoint A's WireGuard has for B (the only peer)
b_endpoint_on_a() { wg_a show wgnet0 endpoints | awk '{print $2}'; }
endpoint_in() { [[ "$(b_endpoint_on_a)" =~ ^192\.0\.2\.2:$1$ ]]; }

it_setup
on_exit nat_cleanup
for n in "$R" "$HB" "$(ctr_ns ca)" "$(ctr_ns cb)"; do
	ip netns add "$n" || die "namespace $n"
	ip -n "$n" link set lo up
done
ip link add up0 netns "$IT_NS" type veth peer name up0 netns "$R" || die "underlay veth"
ns ip addr add 192.0.2.1/24 dev up0
ns ip link set up0 up
r ip addr add 192.0.2.2/24 dev up0
r ip link set up0 up
ip link add lan0 netns "$R" type veth peer name lan0 netns "$HB" || die "LAN veth"
r ip addr add 10.99.0.1/24 dev lan0
r ip link set lan0 up
r sysctl -qw net.ipv4.ip_forward=1
ip -n "$HB" addr add 10.99.0.2/24 dev lan0
ip -n "$HB" link set lan0 up
ip -n "$HB" route add default via 10.99.0.1
router_nat 40000-40009
host2_start "$HB" "$HB_DIR"

assert_ok "host A: wgnet init" cli init --index 1 --endpoint 192.0.2.1:51820 --name a
assert_ok "host B: wgnet init (no public endpoint)" cli_b init --index 2 --name b
assert_ok "host A: peer add --no-endpoint B" cli peer add --no-endpoint "$(cli_b join-line)"
assert_eq "A has no endpoint for B before B knows A" "(none)" "$(b_endpoint_on_a)"
assert_ok "host B: peer add A --keepalive $KA" cli_b peer add --keepalive $KA "$(cli join-line)"
net_create api 10.210.0.0/16 10.210.1.0/24 10.210.1.1/24 false
ctr_join api "$IT_NS" ca 10.210.1.2/24 10.210.1.1
net_create api_b 10.210.0.0/16 10.210.2.0/24 10.210.2.1/24 false
ctr_join api_b "$HB" cb 10.210.2.2/24 10.210.2.1

# ---------------------------------------------------------------- through the NAT
if retry 20 in_ctr cb ping -c1 -W1 10.210.1.2; then
	pass "container b (behind NAT) pings container a"
else
	fail "container b (behind NAT) pings container a" "no reply within 20 s"
fi
assert_ok "container a pings container b (behind NAT)" in_ctr ca ping -c2 -W2 10.210.2.2
EP1=$(b_endpoint_on_a)
assert_match "A sees B at R's address with a rewritten port: $EP1" '^192\.0\.2\.2:4000[0-9]$' "$EP1"
assert_match "R's conntrack maps B's 10.99.0.2:51820 to ${EP1#*:}" \
	"src=10\.99\.0\.2 dst=192\.0\.2\.1 sport=51820 dport=51820 .*src=192\.0\.2\.1 dst=192\.0\.2\.2 sport=51820 dport=${EP1#*:}( |$)" \
	"$(r conntrack -L -p udp 2>/dev/null)"

# ---------------------------------------------------------------- the mapping changes
router_nat 50000-50009
t0=$(now_ms)
if retry $HEAL endpoint_in '5000[0-9]'; then
	pass "A sees B's new port $(b_endpoint_on_a) after $(($(now_ms) - t0)) ms (keepalive ${KA} s)"
else
	fail "A sees B's new port within $HEAL s" "A's endpoint for B: $(b_endpoint_on_a)"
fi
# A's direction first: B's keepalives alone must have healed it
assert_ok "container a pings container b again" in_ctr ca ping -c2 -W2 10.210.2.2
assert_ok "container b pings container a again" in_ctr cb ping -c2 -W2 10.210.1.2

it_finish
