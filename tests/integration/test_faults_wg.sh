#!/usr/bin/env bash
# test_faults_wg.sh: no Docker call waits on DNS, a held xtables lock or a hung wireguard-go,
# and the watchdog keeps wireguard-go alive. Each call made during a fault must answer, and says
# how long it took (a figure: a loaded machine makes any bound flaky).
#  - wireguard-go killed: another one is started and configured (the peer is back);
#  - wireguard-go stopped (SIGSTOP): Docker calls still answer at once; within seconds it is
#    replaced, and `wgnet status` says so;
#  - its restart failing (a wrapper that exits): retried with backoff until it works again;
#  - a peer given by a name whose DNS never answers (a resolv.conf in wgnetd's mount
#    namespace naming an address that swallows packets): peer add and Docker calls answer at
#    once; a name that resolves (its /etc/hosts) reaches the device without another call;
#  - the xtables lock held by another process (iptables-legacy, flock on wgnetd's
#    /run/xtables.lock): Docker calls answer at once, the DOCKER-USER rules come once it is
#    free.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

GW_OPTS='{"RequestAddressType":"com.docker.network.gateway"}'

must()
{
	[ "$HTTP_STATUS" = 200 ] || die "$1" "HTTP $HTTP_STATUS $BODY"
}

# timed_cli DESC ARGS...: the CLI succeeds; how long it took is printed (assert_answers for
# the Docker API)
timed_cli()
{
	local desc=$1 t0 ms out rc
	shift
	t0=$(now_ms)
	out=$(cli "$@" 2>&1)
	rc=$?
	ms=$(($(now_ms) - t0))
	if [ "$rc" = 0 ]; then
		pass "$desc (answered in $ms ms)"
	else
		fail "$desc: exit $rc after $ms ms" "$out"
	fi
}

# a network on a fresh pool: NET_N (1, 2, ...) picks the pool 10.21N.0.0/16
NET_N=0
new_network()	# DESC
{
	local pool poolid net
	NET_N=$((NET_N + 1))
	pool=10.$((220 + NET_N)).0.0/16
	api IpamDriver.RequestPool "{\"AddressSpace\":\"wgnet-local\",\"Pool\":\"$pool\",\"SubPool\":\"\",\"Options\":{},\"V6\":false}"
	must "RequestPool $pool"
	poolid=$(jq -r .PoolID <<<"$BODY")
	api IpamDriver.RequestAddress "{\"PoolID\":\"$poolid\",\"Address\":\"\",\"Options\":$GW_OPTS}"
	must "gateway RequestAddress $pool"
	net=$(rand_id)
	assert_answers "$1: CreateNetwork" NetworkDriver.CreateNetwork "{\"NetworkID\":\"$net\",\"Options\":{\"com.docker.network.enable_ipv6\":false,\"com.docker.network.generic\":{}},\"IPv4Data\":[{\"AddressSpace\":\"wgnet-local\",\"Gateway\":\"10.$((220 + NET_N)).1.1/24\",\"Pool\":\"10.$((220 + NET_N)).1.0/24\"}],\"IPv6Data\":[]}" \
		'. == {}'
	LAST_NET=$net
}

wg_pid()	# the live wireguard-go of the namespace
{
	local p
	for p in $(ip netns pids "$IT_NS" 2>/dev/null); do
		[ "$(cat "/proc/$p/comm" 2>/dev/null)" = wireguard-go ] || continue
		[ "$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null)" = Z ] && continue
		echo "$p"
	done
}

wg_peers()	# the device's peers as `wg show wgnet0 endpoints` prints them
{
	(it_in_run wg show wgnet0 endpoints) 2>/dev/null
}

# served_by_new OLD-PID: another wireguard-go answers and has the peer K1 again
served_by_new()
{
	local p
	p=$(wg_pid)
	[ -n "$p" ] && [ "$p" != "$1" ] && wg_peers | grep "^$K1" >/dev/null
}

it_setup
# wgnetd from now on: its own resolv.conf and hosts (bound in its private mount namespace),
# and wireguard-go through a wrapper that fails while $IT_DIR/wg-fail exists
wgnetd_stop TERM
ns ip link add dnsvoid type dummy
ns ip addr add 10.99.0.1/24 dev dnsvoid
ns ip link set dnsvoid up
printf 'nameserver 10.99.0.2\noptions timeout:5 attempts:2\n' >"$IT_DIR/resolv.conf"
printf '127.0.0.1 localhost\n198.51.100.9 peer9.wgnet.test\n' >"$IT_DIR/hosts"
REAL_WGNETD=$WGNETD
WGNETD=$IT_DIR/wgnetd-wrapper
cat >"$WGNETD" <<EOF
#!/bin/sh
mount --bind "$IT_DIR/resolv.conf" /etc/resolv.conf &&
	mount --bind "$IT_DIR/hosts" /etc/hosts && exec "$REAL_WGNETD" "\$@"
EOF
cat >"$IT_DIR/wg-wrapper" <<EOF
#!/bin/sh
[ -e "$IT_DIR/wg-fail" ] && exit 1
exec wireguard-go "\$@"
EOF
chmod +x "$WGNETD" "$IT_DIR/wg-wrapper"
if command -v iptables-legacy >/dev/null; then
	IT_IPTABLES=iptables-legacy
fi
start()
{
	wgnetd_start --wg-userspace "$IT_DIR/wg-wrapper"
}
start
assert_ok "wgnet init --index 1" cli init --index 1 --endpoint 192.0.2.1:51820
K1=$(wg genkey | wg pubkey)
assert_ok "peer add (an address)" cli peer add "wgnet-join v1 index=2 key=$K1 endpoint=192.0.2.2:51820 name=h2"
new_network "before any fault"
retry 5 served_by_new 0 || fail "wireguard-go serves the peer" "$(wg_peers)"

# ---- killed
P=$(wg_pid)
kill -KILL "$P"
if retry 10 served_by_new "$P"; then
	pass "wireguard-go killed: another one serves the peer"
else
	fail "wireguard-go killed: not replaced in 10 s" "$(wg_peers)"
fi
assert_match "status says it was restarted" "wireguard-go restarted" "$(cli status 2>&1)"

# ---- stopped
P=$(wg_pid)
kill -STOP "$P"
new_network "wireguard-go stopped"
timed_cli "wireguard-go stopped: wgnet status" status
if retry 12 served_by_new "$P"; then
	pass "wireguard-go stopped: replaced by another one that serves the peer"
else
	fail "wireguard-go stopped: not replaced in 12 s" "$(wg_peers)"
fi
assert_match "status says it was replaced" "wireguard-go replaced at .* did not answer" \
	"$(cli status 2>&1)"
pid_alive "$P" && fail "the stopped wireguard-go was left running" "pid $P"
kill -CONT "$P" 2>/dev/null

# ---- its restart fails: retried with backoff until it works
P=$(wg_pid)
touch "$IT_DIR/wg-fail"
kill -KILL "$P"
if retry 10 sh -c "grep -q 'attempt 2' '$IT_LOG'"; then
	pass "restart failed twice: still trying"
else
	fail "restart failed: not tried again" "$(grep -E 'restart|WireGuard' "$IT_LOG" | tail -5)"
fi
assert_match "status says it is down and retried" "wireguard-go down: restart [0-9]+ failed.*next in" \
	"$(cli status 2>&1)"
new_network "wireguard-go down"
rm -f "$IT_DIR/wg-fail"
if retry 15 served_by_new "$P"; then
	pass "restart works again: wireguard-go serves the peer"
else
	fail "restart works again: not back in 15 s" "$(tail -5 "$IT_LOG")"
fi
assert_match "status: backend userspace again" "backend userspace" "$(cli status 2>&1)"

# ---- DNS never answers for a peer given by name
K3=$(wg genkey | wg pubkey)
timed_cli "peer add with a name DNS never answers" \
	peer add "wgnet-join v1 index=3 key=$K3 endpoint=peer3.wgnet.test:51820 name=h3"
new_network "a name being resolved"
timed_cli "wgnet peer ls while it is resolved" peer ls
K9=$(wg genkey | wg pubkey)
timed_cli "peer add with a name in /etc/hosts" \
	peer add "wgnet-join v1 index=9 key=$K9 endpoint=peer9.wgnet.test:51820 name=h9"
if retry 5 sh -c "(ip netns exec '$IT_NS' unshare -m --propagation private sh -c 'mount --bind \"\$0\" /run && wg show wgnet0 endpoints' '$IT_DIR/run') | grep -q '^$K9.198.51.100.9:51820'"; then
	pass "a resolved name reaches the device by itself"
else
	fail "a resolved name reaches the device by itself" "$(wg_peers)"
fi

# ---- the xtables lock held by another process
if [ -n "${IT_IPTABLES:-}" ]; then
	ns iptables-legacy -N DOCKER-USER
	# the subshell becomes sleep, which holds the lock: killing it frees the lock
	(exec 9>"$IT_DIR/run/xtables.lock" && flock 9 && exec sleep 60) &
	LOCKER=$!
	sleep 0.2
	new_network "xtables lock held"
	timed_cli "xtables lock held: wgnet status" status
	kill "$LOCKER"
	wait "$LOCKER" 2>/dev/null
	new_network "xtables lock free again"
	if retry 10 sh -c "ip netns exec '$IT_NS' iptables-legacy -w -S DOCKER-USER | grep -q 'wgnet'"; then
		pass "xtables lock free: the DOCKER-USER rules are written"
	else
		fail "xtables lock free: no DOCKER-USER rules" \
			"$(ns iptables-legacy -w -S DOCKER-USER 2>&1)"
	fi
else
	fail "no iptables-legacy: the xtables lock case was not run"
fi

# stopping does not wait for a lookup that never ends (peer3's name)
wgnetd_stop TERM
assert_eq "SIGTERM with a name being resolved: wgnetd exits at once, status 0" 0 \
	"$IT_WGNETD_STATUS"

it_finish
