#!/usr/bin/env bash
# test_firewall_watch.sh: wgnet's tables taken away at runtime by another program are noticed
# and rebuilt, and while they cannot be, the host fails closed. Two wgnetd (host 1 = the lib's
# namespace, host 2 its uplink neighbour) joined by a real WireGuard mesh, containers as
# namespaces (c1 10.210.1.2 on host 1, with a published port; c2 10.210.2.2 on host 2):
#
#   a. nft flush ruleset                       b. nft -f of Debian's default /etc/nftables.conf
#   c. one of our rules deleted by handle      d. the table's name held by another program
#
# The probe the tables must block: c2 -> host 1's gateway on a closed UDP port, counted on
# host 1 after wgnet's input chain. Host 1 writes DOCKER-USER with iptables-legacy into a chain
# made by hand (iptables-nft's chain would go with `nft flush ruleset`).
set -u
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/mesh.sh"

H2=wgw-h2-$$
H2_DIR=$IT_DIR/h2
H2_PLUGIN=$H2_DIR/plugin.sock
PORT=41000		# every probe gets its own UDP port, so its counter is its own
IPT=iptables-legacy

ctr_ns() { echo "wgw-$1-$$"; }
in_ctr() { local c=$1; shift; ip netns exec "$(ctr_ns "$c")" "$@"; }
api2() { IT_PLUGIN_SOCK=$H2_PLUGIN api "$@"; }

mesh_reap wgw stale	# what earlier runs left; ours goes at exit
HOLD=""
watch_cleanup()
{
	[ -n "$HOLD" ] && kill "$HOLD" 2>/dev/null
	mesh_reap wgw all
}

# ---------------------------------------------------------------- what the checks read

# counting on host 1 (a flush takes the counters too: made again before each probe)
counter_on_h1() { ns nft list table inet wgtest >/dev/null 2>&1 || count_on "$IT_NS"; }
# host_closed DESC: the probe the tables block, from the remote container
host_closed()
{
	counter_on_h1
	PORT=$((PORT + 1))
	probe "in_ctr c2" "$IT_NS" 10.210.1.1
	[ "$N" -eq 0 ] && pass "$1 (nothing arrived)" || fail "$1" "$N packets arrived at host 1"
}
ctr_reached()	# DESC: c2 -> c1 arrives (the mesh carries it)
{
	PORT=$((PORT + 1))
	probe "in_ctr c2" "$(ctr_ns c1)" 10.210.1.2
	[ "$N" -gt 0 ] && pass "$1 ($N packets)" || fail "$1" "nothing arrived at c1"
}

# is WANT CMD...: CMD prints WANT (evaluated at each try of retry)
is() { local want=$1; shift; [ "$("$@")" = "$want" ]; }
tables_both() { ns nft list table inet wgnet && ns nft list table bridge wgnet; }
# our tables as text without handles, to compare with what they were
tables_text()
{
	{ ns nft -j list table inet wgnet; ns nft -j list table bridge wgnet; } 2>/dev/null |
		jq -c '[.nftables[] | select(has("metainfo") | not)] |
			walk(if type == "object" then del(.handle) else . end)'
}
peers_on_h1() { (it_in_run wg show wgnet0 peers) 2>/dev/null | grep -c .; }
docker_user_ours() { ns $IPT -w -S DOCKER-USER | grep -c -- '--comment wgnet'; }
localnet() { ns cat "/proc/sys/net/ipv4/conf/$BR1/route_localnet"; }
fw_word() { cli status --json | jq -r .firewall; }
fw_note() { cli status --json | jq -r .firewall_note; }
# warn lines about our tables in host 1's log
warn_lines() { grep -cE '^(<4>)?warn: .*table.* wgnet.* by nft\[[0-9]+\]: rebuilding' "$IT_LOG"; }

# ---------------------------------------------------------------- topology

command -v $IPT >/dev/null || { echo "$(basename "$0"): needs $IPT" >&2; exit 1; }
IT_IPTABLES=$IPT
it_setup
on_exit watch_cleanup
ns $IPT -w -N DOCKER-USER || die "DOCKER-USER chain in host 1's namespace"
mesh_hosts "$H2" "$H2_DIR" c1 c2

net_create api 10.210.0.0/16 10.210.1.0/24 10.210.1.1/24 false
ctr_join api "$IT_NS" c1 10.210.1.2/24 10.210.1.1
BR1=wgb${NET:0:10}
net_create api2 10.210.0.0/16 10.210.2.0/24 10.210.2.1/24 false
ctr_join api2 "$H2" c2 10.210.2.2/24 10.210.2.1
api NetworkDriver.ProgramExternalConnectivity "{\"NetworkID\":\"$NET_c1\",\"EndpointID\":\"$EP_c1\",\"Options\":{\"com.docker.network.portmap\":[{\"Proto\":6,\"IP\":\"\",\"Port\":80,\"HostIP\":\"\",\"HostPort\":8080,\"HostPortEnd\":8080}]}}"
must "publish c1's port 80 on 8080"
count_on "$(ctr_ns c1)"
retry 20 in_ctr c2 ping -c1 -W1 10.210.1.2 || die "the mesh does not carry c2 -> c1"

assert_eq "status: firewall ok, nothing to report" "ok " "$(fw_word) $(fw_note)"
retry 10 is 4 docker_user_ours || die "no DOCKER-USER rule of ours" \
	"$(ns $IPT -w -S DOCKER-USER 2>&1)"
assert_eq "route_localnet on $BR1 (it publishes a port)" 1 "$(localnet)"
BEFORE=$(tables_text)
ctr_reached "remote container -> container of host 1 (control)"
counter_on_h1
PORT=$((PORT + 1))
probe "in_ctr c1" "$IT_NS" 10.210.1.1
[ "$N" -gt 0 ] && pass "host 1's own container -> its gateway is counted (control)" ||
	fail "host 1's own container -> its gateway is counted (control)"
host_closed "remote container -> host 1's gateway, closed port: dropped"

# ---------------------------------------------------------------- a. nft flush ruleset
ns nft flush ruleset || die "nft flush ruleset"
retry 10 tables_both && pass "after nft flush ruleset: both tables are back" ||
	fail "after nft flush ruleset: both tables are back" "$(ns nft list tables)"
retry 5 is "$BEFORE" tables_text && pass "after nft flush ruleset: as they were" ||
	fail "after nft flush ruleset: as they were" "$(diff <(echo "$BEFORE") <(tables_text))"
host_closed "after nft flush ruleset: remote container -> host 1's gateway dropped again"
assert_match "status names what happened" \
	'^rebuilt at [0-9:]{8}: tables inet wgnet and bridge wgnet deleted by nft\[[0-9]+\]$' "$(fw_note)"
assert_match "wgnet status says it in words" \
	'firewall  ok \(rebuilt at [0-9:]{8}: tables inet wgnet and bridge wgnet deleted by nft\[[0-9]+\]\)' \
	"$(cli status)"
assert_eq "one warn line in wgnetd's log" 1 "$(warn_lines)"

# ---------------------------------------------------------------- b. Debian's nftables service
# what `systemctl restart nftables` runs: nft -f /etc/nftables.conf, Debian's default
cat >"$IT_DIR/nftables.conf" <<'EOF'
#!/usr/sbin/nft -f

flush ruleset

table inet filter {
	chain input {
		type filter hook input priority filter;
	}
	chain forward {
		type filter hook forward priority filter;
	}
	chain output {
		type filter hook output priority filter;
	}
}
EOF
ns nft -f "$IT_DIR/nftables.conf" || die "nft -f Debian's nftables.conf"
retry 10 tables_both && pass "after Debian's nftables.conf: both tables are back" ||
	fail "after Debian's nftables.conf: both tables are back" "$(ns nft list tables)"
retry 5 is "$BEFORE" tables_text && pass "after Debian's nftables.conf: as they were" ||
	fail "after Debian's nftables.conf: as they were" "$(diff <(echo "$BEFORE") <(tables_text))"
assert_ok "the service's own table inet filter is left alone" ns nft list table inet filter
host_closed "after Debian's nftables.conf: remote container -> host 1's gateway dropped again"
assert_match "status names what happened" \
	'^rebuilt at [0-9:]{8}: tables inet wgnet and bridge wgnet deleted by nft\[[0-9]+\]$' "$(fw_note)"
assert_eq "one more warn line" 2 "$(warn_lines)"

# ---------------------------------------------------------------- c. one rule deleted
H=$(ns nft -j -a list chain inet wgnet forward | jq '[.nftables[] | select(.rule) | .rule.handle][0]')
ns nft delete rule inet wgnet forward handle "$H" || die "delete rule handle $H"
retry 5 is "$BEFORE" tables_text && pass "a deleted forward rule is back" ||
	fail "a deleted forward rule is back" "$(diff <(echo "$BEFORE") <(tables_text))"
assert_match "status names what happened" \
	'^rebuilt at [0-9:]{8}: a rule deleted from table inet wgnet by nft\[[0-9]+\]$' "$(fw_note)"
assert_eq "one more warn line" 3 "$(warn_lines)"
ctr_reached "after the three rebuilds: remote container -> container (the peer stayed)"

# ---------------------------------------------------------------- d. fail closed
PID0=$IT_WGNETD_PID
assert_eq "host 1 has its peer" 1 "$(peers_on_h1)"
mkfifo "$IT_DIR/hold"
ip netns exec "$IT_NS" nft -i <"$IT_DIR/hold" >/dev/null 2>&1 &
HOLD=$!			# nft's own pid (ip netns exec execs it)
exec 7>"$IT_DIR/hold"
# one transaction: ours goes and another program's, owned by nft's socket, takes the name
echo 'delete table inet wgnet; add table inet wgnet { flags owner; }' >&7
retry 5 sh -c "ip netns exec $IT_NS nft list table inet wgnet | grep -q 'flags owner'" ||
	die "the owned table was not made"
retry 10 is failed fw_word && pass "name taken: status says firewall failed" ||
	fail "name taken: status says firewall failed" "$(fw_word)"
retry 10 is 0 peers_on_h1 && pass "name taken: no peer on wgnet0" ||
	fail "name taken: no peer on wgnet0" "$(peers_on_h1) peers"
retry 10 is 0 docker_user_ours && pass "name taken: no DOCKER-USER rule of ours" ||
	fail "name taken: no DOCKER-USER rule of ours" "$(ns $IPT -w -S DOCKER-USER)"
retry 10 is 0 localnet && pass "name taken: route_localnet off on $BR1" ||
	fail "name taken: route_localnet off on $BR1"
assert_match "status says why" "^table inet wgnet deleted by nft\[$HOLD\] at [0-9:]{8}, then could not program table inet wgnet: Operation not permitted; trying again every [0-9]+ s$" "$(fw_note)"
STATUS=$(cli status)
assert_match "wgnet status warns" "^WARNING +firewall failed: " "$STATUS"
assert_match "wgnet status says why" "^ +table inet wgnet deleted by nft\[$HOLD\] at " "$STATUS"
assert_match "the failure is logged" 'error: could not program table inet wgnet: .*failing closed' \
	"$(cat "$IT_LOG")"
kill "$HOLD"		# the owner goes, its table with it
wait "$HOLD" 2>/dev/null
HOLD=""
exec 7>&-
retry 20 tables_both && pass "owner gone: both tables are back" ||
	fail "owner gone: both tables are back" "$(ns nft list tables)"
retry 10 is ok fw_word && pass "owner gone: status ok" ||
	fail "owner gone: status ok" "$(fw_word)"
retry 10 is 1 peers_on_h1 && pass "owner gone: the peer is back" ||
	fail "owner gone: the peer is back"
retry 10 is 4 docker_user_ours && pass "owner gone: DOCKER-USER rules back" ||
	fail "owner gone: DOCKER-USER rules back" "$(ns $IPT -w -S DOCKER-USER)"
retry 10 is 1 localnet && pass "owner gone: route_localnet on again" ||
	fail "owner gone: route_localnet on again"
assert_eq "owner gone: the same wgnetd (no restart)" "$PID0" "$IT_WGNETD_PID"
pid_alive "$PID0" || fail "wgnetd is still running"
retry 20 in_ctr c2 ping -c1 -W1 10.210.1.2 >/dev/null
ctr_reached "owner gone: remote container -> container again"
host_closed "owner gone: remote container -> host 1's gateway dropped"

it_finish
