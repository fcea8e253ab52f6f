# lib.sh: simulated Docker hosts on one machine, for the e2e tests and the demo (source it).
#
# Host i is a network namespace on a shared underlay bridge (eth0 = 192.168.77.i/24, default
# route via the uplink 192.168.77.254) plus a private mount namespace kept by a "holder"
# process: its own /run (docker and plugin sockets, /run/wgnet, /run/wireguard), its own
# /var/lib/docker, /var/lib/containerd and /var/lib/wgnet, and a dockerd of its own.
# See /work/shared/docs/simulated-hosts.md for why each step is needed.
#
#   e2e_init                      underlay + uplink, traps; call once first
#   host_up i [i...]              namespace, mounts, dockerd, busybox image bb:latest
#   host_exec i cmd...            run in host i (its network and mount namespace)
#   underlay_attach NS VETH IP    another namespace on the underlay (eth0 = IP/24)
#   docker_on i args...           the docker CLI of host i
#   wgnetd_start i [args]         start $WGNETD in host i, wait for both sockets (tests/daemon.sh:
#                                 stopped with TERM at exit, its log searched for sanitizer reports)
#   wgnetd_stop i [TERM|KILL]     stop it and wait
#   dockerd_stop i [TERM|KILL]    and dockerd_start i
#   wgnet_on i args...            the wgnet CLI ($WGNET) in host i
#   mesh_pair i j                 wgnet init on both (index, endpoint its address:51820, name
#                                 host<i>) and each the other's peer by its join line
#   iptables_on i, nft_on i args...  iptables and nft in host i (those of its dockerd's tree)
#   host_wg_pids i, host_kill_wg i   the host's wireguard-go processes (pids; kill -9)
#   uplink_exec cmd...            run in the uplink (192.168.77.254; a busybox httpd on :80
#                                 whose /cgi-bin/addr prints the client address)
#   rx_arm i CTR, rx_count i CTR  count the pings and HTTP connections that reach container CTR
#   blocked DESC i FROM IP j TO CONTROL-IP   FROM cannot reach TO (at IP): no reply, and nothing
#                                 arrives at TO (counted there); FROM does reach CONTROL-IP
#   assert_eq, assert_ok, assert_fails, assert_match, retry, retry_eq, e2e_finish
#   on_exit FUNC                  FUNC runs at exit, before the hosts go (never replace the trap)
#
# Environment: WGNETD, WGNET (default build/release/wgnetd and wgnet, as scripts/test.sh
# builds them); WGNET_E2E_DOCKER (debian = Debian 12's dockerd 20.10, the default; forky =
# dockerd 28.5 from a Debian 14 tree made by forky.sh; docker29 = Docker Engine 29.7.2 in a
# copy of that tree made by docker29.sh from the binaries WGNET_E2E_DOCKER29 names: the test
# fails when a host's dockerd says another version); WGNET_E2E_FIREWALL (iptables, the
# default, or nftables: dockerd --firewall-backend, docker29 only; the test fails when
# `docker info` names another backend); WGNET_E2E_CACHE (default /var/cache/wgnet-e2e: the
# forky and docker29 trees, reused across runs); WGNET_E2E_RUN (default /var/tmp: where the
# per-run directory with the hosts' docker data and logs goes).
# WGNET_E2E_WG_BACKEND: kernel or userspace, the WireGuard backend the mesh tests ask wgnetd
# for (default: kernel when this kernel can make a wireguard link, else userspace).
# WGNET_E2E_TIME_SCALE: a whole number the waits of retry() are multiplied by (default 1; a slow
# machine, such as a qemu guest under TCG, gives more).
# Names carry the pid of the test so that concurrent runs never clash; everything is removed by
# the EXIT trap, by pid, even when a test fails. A run killed with SIGKILL (a ctest timeout)
# cannot clean up: the next e2e_init reaps the runs whose shell is dead, and a run that finds
# its own leftovers at cleanup fails. A test that exits before e2e_finish fails, whatever its
# exit status, with a line that says where it stopped.

E2E_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
E2E_REPO=$(cd "$E2E_LIB_DIR/../.." && pwd)
E2E_ID=${E2E_ID:-$$}
E2E_UNDERLAY=wgu$E2E_ID
E2E_UPLINK_IP=192.168.77.254
E2E_CACHE=${WGNET_E2E_CACHE:-/var/cache/wgnet-e2e}
E2E_RUN=${WGNET_E2E_RUN:-/var/tmp}/wgnet-e2e.$E2E_ID
E2E_DOCKER=${WGNET_E2E_DOCKER:-debian}
E2E_FIREWALL=${WGNET_E2E_FIREWALL:-iptables}
E2E_ROOT=""	# the Debian 14 tree of the hosts' dockerd (forky, docker29); "": this machine's
E2E_NFT_BACKEND=""	# 1: dockerd --firewall-backend=nftables
E2E_HOSTS=()
E2E_PIDS_UPLINK=()
E2E_PASSED=0
E2E_FAILED=0
E2E_FINISHED=0
E2E_CLEANED=0
E2E_T0=$(date +%s)
E2E_CLEAN_PIDS=""
E2E_WG_BACKEND=${WGNET_E2E_WG_BACKEND:-}
E2E_TIME_SCALE=${WGNET_E2E_TIME_SCALE:-1}
RETRY_SCALE=$E2E_TIME_SCALE	# assert.sh's retry()
E2E_REGISTRY=${WGNET_E2E_RUN:-/var/tmp}/wgnet-e2e.rootdirs

WGNETD=${WGNETD:-$E2E_REPO/build/release/wgnetd}
WGNET=${WGNET:-$E2E_REPO/build/release/wgnet}

# ---------------------------------------------------------------- output and assertions

e2e_log()
{
	printf '[%4ds] %s\n' $(($(date +%s) - E2E_T0)) "$*"
}

pass()
{
	E2E_PASSED=$((E2E_PASSED + 1))
	ASSERT_LAST_PASS=$1
	e2e_log "ok: $1"
}

fail()
{
	E2E_FAILED=$((E2E_FAILED + 1))
	e2e_log "FAIL: $1"
	shift
	local line
	for line in "$@"; do
		printf '      %s\n' "$line"
	done
}

. "$(dirname "${BASH_SOURCE[0]}")/../assert.sh"
. "$(dirname "${BASH_SOURCE[0]}")/../daemon.sh"

# e2e_finish: the summary line; the exit status says whether everything passed
e2e_finish()
{
	E2E_FINISHED=1
	e2e_log "$(basename "$0"): $E2E_PASSED passed, $E2E_FAILED failed ($(($(date +%s) - E2E_T0)) s)"
	[ "$E2E_FAILED" -eq 0 ]
}

# ---------------------------------------------------------------- processes

# e2e_descendants PID...: the given pids and all their descendants, one per line
e2e_descendants()
{
	ps -e -o pid=,ppid= | awk -v roots="$*" '
		BEGIN { n = split(roots, r, " "); for (i = 1; i <= n; i++) want[r[i]] = 1 }
		{ parent[$1] = $2; pids[NR] = $1 }
		END {
			do {
				grew = 0
				for (i in pids) {
					p = pids[i]
					if (!(p in want) && (parent[p] in want)) { want[p] = 1; grew = 1 }
				}
			} while (grew)
			for (p in want) print p
		}'
}

# e2e_stop_pid PID SECONDS: TERM, wait up to SECONDS, then KILL and wait until it is gone
# (SECONDS 0: KILL at once)
e2e_stop_pid()
{
	local pid=$1 grace=$2 i
	pid_alive "$pid" || return 0
	[ "$grace" -gt 0 ] && kill -TERM "$pid" 2>/dev/null
	for ((i = 0; i < grace * 10; i++)); do
		pid_alive "$pid" || break
		sleep 0.1
	done
	pid_alive "$pid" && kill -KILL "$pid" 2>/dev/null
	for ((i = 0; i < 50; i++)); do
		pid_alive "$pid" || return 0
		sleep 0.1
	done
	return 1
}

# e2e_kill_netns NS: kill -9 whatever still lives in the network namespace, and the
# descendants of those processes (container processes live in namespaces of their own)
e2e_kill_netns()
{
	local ns=$1 pids i
	for ((i = 0; i < 50; i++)); do
		pids=$(ip netns pids "$ns" 2>/dev/null | tr '\n' ' ')
		[ -z "${pids// /}" ] && return 0
		# shellcheck disable=SC2046
		kill -KILL $(e2e_descendants $pids) 2>/dev/null
		sleep 0.1
	done
	echo "lib.sh: processes left in $ns: $pids" >&2
	return 1
}

# ---------------------------------------------------------------- stale runs, root directories

# e2e_reap_stale: what runs whose shell is dead left behind (their namespaces, the processes in
# them, their run directories); a live run's things are never touched
e2e_reap_stale()
{
	local n pid d
	for n in $(ip netns list 2>/dev/null | awk '{print $1}' | grep -E '^wg(u[0-9]+|h[0-9]+-[0-9]+)$'); do
		pid=${n#wg?}
		pid=${pid%%-*}
		[ -d "/proc/$pid" ] && continue
		echo "lib.sh: reaping $n (its run $pid is gone)" >&2
		e2e_kill_netns "$n"
		ip netns del "$n" 2>/dev/null
	done
	for d in "${WGNET_E2E_RUN:-/var/tmp}"/wgnet-e2e.*; do
		pid=${d##*.}
		[[ "$pid" =~ ^[0-9]+$ ]] && [ -d "$d" ] && [ ! -d "/proc/$pid" ] || continue
		grep -q " $d" /proc/self/mounts && continue
		echo "lib.sh: reaping $d (its run $pid is gone)" >&2
		rm -rf "$d"
	done
}

# e2e_rootdirs_add: the mount points /var/lib/{docker,containerd,wgnet} in the root namespace;
# those that did not exist are written down (shared by concurrent runs, under a lock) so that
# the last run to end removes them
e2e_rootdirs_add()
{
	local d
	(
		flock 9
		for d in /var/lib/docker /var/lib/containerd /var/lib/wgnet; do
			[ -e "$d" ] && continue
			mkdir -p "$d" && echo "$d" >>"$E2E_REGISTRY"
		done
	) 9>>"$E2E_REGISTRY.lock"
}

# e2e_rootdirs_release: when no other run is alive, remove the (empty) directories that runs
# made; a live run still binds them in its hosts' mount namespaces
e2e_rootdirs_release()
{
	(
		flock 9
		local d pid
		for d in "${WGNET_E2E_RUN:-/var/tmp}"/wgnet-e2e.*; do
			pid=${d##*.}
			[[ "$pid" =~ ^[0-9]+$ ]] && [ "$pid" != "$E2E_ID" ] && [ -d "/proc/$pid" ] &&
				exit 0
		done
		[ -f "$E2E_REGISTRY" ] || exit 0
		sort -u "$E2E_REGISTRY" | while read -r d; do
			rmdir "$d" 2>/dev/null || echo "lib.sh: $d is not empty: left in place" >&2
		done
		rm -f "$E2E_REGISTRY"
	) 9>>"$E2E_REGISTRY.lock"
}

# e2e_leftovers: what of this run is still there after its cleanup (printed; empty: nothing)
e2e_leftovers()
{
	local i pid
	ip netns list 2>/dev/null | awk '{print $1}' | grep -xE "$E2E_UNDERLAY|wgh$E2E_ID-[0-9]+" |
		sed 's/^/namespace /'
	for pid in $E2E_CLEAN_PIDS "${E2E_PIDS_UPLINK[@]}"; do
		pid_alive "$pid" && echo "process $pid ($(cat "/proc/$pid/comm" 2>/dev/null))"
	done
	[ -e "$E2E_RUN" ] && echo "directory $E2E_RUN"
	ls -d /tmp/.e2e-root-ready-"$E2E_ID"-* 2>/dev/null
	return 0
}

# ---------------------------------------------------------------- underlay and uplink

e2e_init()
{
	if [ "$(id -u)" -ne 0 ]; then
		echo "$(basename "$0"): needs root" >&2
		exit 1
	fi
	e2e_reap_stale
	trap e2e_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	mkdir -p "$E2E_RUN" "$E2E_CACHE"
	e2e_rootdirs_add
	e2e_log "e2e run $E2E_ID in $E2E_RUN, dockerd: $E2E_DOCKER, firewall backend: $E2E_FIREWALL"

	# the dockerd each choice is: a host whose dockerd says another version fails the test
	case $E2E_DOCKER in
	debian) E2E_DOCKERD_VERSION=20.10 ;;	# Debian 12's docker.io
	forky)
		E2E_DOCKERD_VERSION=28.5		# Debian 14's, in the tree forky.sh makes
		E2E_ROOT=$(bash "$E2E_LIB_DIR/forky.sh") || die "forky tree (tests/e2e/forky.sh)"
		;;
	docker29)
		E2E_DOCKERD_VERSION=29.7		# Docker's own, in a copy of the forky tree
		E2E_ROOT=$(bash "$E2E_LIB_DIR/docker29.sh") ||
			die "Docker 29 tree (tests/e2e/docker29.sh, WGNET_E2E_DOCKER29)"
		;;
	*) die "WGNET_E2E_DOCKER must be debian, forky or docker29, not '$E2E_DOCKER'" ;;
	esac
	case $E2E_FIREWALL in
	iptables) ;;
	nftables)
		[ "$E2E_DOCKER" = docker29 ] ||
			die "WGNET_E2E_FIREWALL=nftables needs WGNET_E2E_DOCKER=docker29"
		E2E_NFT_BACKEND=1
		;;
	*) die "WGNET_E2E_FIREWALL must be iptables or nftables, not '$E2E_FIREWALL'" ;;
	esac

	# the busybox image, made once per run and imported into every host
	bash "$E2E_REPO/scripts/make-busybox-image.sh" "$E2E_RUN/bb.tar" || die "busybox image"

	ip netns add "$E2E_UNDERLAY" || die "underlay namespace"
	ip -n "$E2E_UNDERLAY" link set lo up
	ip -n "$E2E_UNDERLAY" link add uln0 type bridge
	ip -n "$E2E_UNDERLAY" addr add "$E2E_UPLINK_IP/24" dev uln0
	ip -n "$E2E_UNDERLAY" link set uln0 up
	if [ -z "$E2E_WG_BACKEND" ]; then
		E2E_WG_BACKEND=userspace
		ip -n "$E2E_UNDERLAY" link add wge2eprobe type wireguard 2>/dev/null &&
			E2E_WG_BACKEND=kernel
		ip -n "$E2E_UNDERLAY" link del wge2eprobe 2>/dev/null
	fi
	case $E2E_WG_BACKEND in
	kernel | userspace) ;;
	*) die "WGNET_E2E_WG_BACKEND must be kernel or userspace, not '$E2E_WG_BACKEND'" ;;
	esac

	# the uplink: the hosts' default gateway, with a web server that shows who asked
	mkdir -p "$E2E_RUN/www/cgi-bin"
	echo "hello from the uplink" >"$E2E_RUN/www/index.html"
	cat >"$E2E_RUN/www/cgi-bin/addr" <<-'EOF'
		#!/bin/sh
		printf 'Content-Type: text/plain\r\n\r\n%s\n' "$REMOTE_ADDR"
	EOF
	chmod +x "$E2E_RUN/www/cgi-bin/addr"
	ip netns exec "$E2E_UNDERLAY" busybox httpd -f -p "$E2E_UPLINK_IP:80" -h "$E2E_RUN/www" &
	E2E_PIDS_UPLINK+=($!)
	disown $!
	retry 5 ip netns exec "$E2E_UNDERLAY" busybox wget -qO /dev/null "http://$E2E_UPLINK_IP/" ||
		die "uplink httpd"
}

uplink_exec()
{
	ip netns exec "$E2E_UNDERLAY" "$@"
}

# ---------------------------------------------------------------- hosts

host_ns()
{
	echo "wgh$E2E_ID-$1"
}

host_dir()
{
	echo "$E2E_RUN/host$1"
}

host_ip()
{
	echo "192.168.77.$1"
}

host_holder()
{
	cat "$(host_dir "$1")/holder.pid"
}

host_exec()
{
	local i=$1
	shift
	nsenter -t "$(host_holder "$i")" -m -n -- "$@"
}

# underlay_attach NS VETH IP: namespace NS on the underlay bridge by a veth (VETH: its end on the
# bridge), eth0 = IP/24, lo up
underlay_attach()
{
	ip -n "$1" link set lo up
	ip -n "$E2E_UNDERLAY" link add "$2" type veth peer name eth0 netns "$1"
	ip -n "$E2E_UNDERLAY" link set "$2" master uln0 up
	ip -n "$1" addr add "$3/24" dev eth0
	ip -n "$1" link set eth0 up
}

# host_boot_forwarding NS: net.ipv4.ip_forward in namespace NS as a real host boots with it:
# off, so that dockerd turns it on and sets FORWARD to DROP itself; on with the nftables
# backend, with which dockerd leaves forwarding to the host (sysctl.d) and will not start
# without it
host_boot_forwarding()
{
	ip netns exec "$1" sysctl -qw net.ipv4.ip_forward="$([ "$E2E_FIREWALL" = nftables ] &&
		echo 1 || echo 0)"
}

# host_add i: network namespace on the underlay and the holder of its mount namespace
host_add()
{
	local i=$1 ns dir mounts line
	ns=$(host_ns "$i")
	dir=$(host_dir "$i")
	mkdir -p "$dir/docker" "$dir/containerd" "$dir/wgnet"

	ip netns add "$ns" || die "host $i: namespace $ns"
	E2E_HOSTS+=("$i")
	underlay_attach "$ns" "h$i" "$(host_ip "$i")"
	ip -n "$ns" route add default via "$E2E_UPLINK_IP"
	host_boot_forwarding "$ns"

	# `ip netns exec` mounts a fresh /sys, which hides the cgroup mounts: repeat them
	# (v1: a tmpfs and one mount per controller; v2: one cgroup2 mount)
	mounts="mount -t tmpfs -o mode=755 tmpfs /run"
	mounts+=" && mount --bind '$dir/docker' /var/lib/docker"
	mounts+=" && mount --bind '$dir/containerd' /var/lib/containerd"
	mounts+=" && mount --bind '$dir/wgnet' /var/lib/wgnet"
	while read -r line; do
		set -- $line
		case "$3" in
		tmpfs)
			[ "$2" = /sys/fs/cgroup ] && mounts+=" && mount -t tmpfs -o mode=755 tmpfs $2"
			;;
		cgroup | cgroup2)
			mounts+=" && mkdir -p $2 && mount -t $3 -o $4 $3 $2"
			;;
		esac
	done < <(awk '$2 ~ /^\/sys\/fs\/cgroup/' /proc/self/mounts)
	# ip netns exec, unshare and sh all exec: $! is the holder itself
	ip netns exec "$ns" unshare -m --propagation private \
		sh -c "$mounts && touch '$dir/holder.ready' && exec sleep infinity" \
		>"$dir/holder.log" 2>&1 &
	echo $! >"$dir/holder.pid"
	disown $!
	e2e_wait_mounted "$dir" holder || die "host $i: mounts ($(cat "$dir/holder.log"))"
	[ -n "$E2E_ROOT" ] && host_add_root "$i"
	return 0
}

# e2e_wait_mounted DIR NAME: wait for the holder NAME (pid in DIR/NAME.pid) to say it is ready
e2e_wait_mounted()
{
	local n
	for ((n = 0; n < 100; n++)); do
		[ -e "$1/$2.ready" ] && return 0
		pid_alive "$(cat "$1/$2.pid")" || return 1
		sleep 0.1
	done
	return 1
}

# host_add_root i: a second mount namespace for host i whose root is the Debian 14 tree
# (forky's or docker29's), for its dockerd and docker CLI. Its root is made with pivot_root,
# not chroot: `docker exec` enters a container's mount namespace with setns(), which lands on
# the namespace's root, and under a chroot that is the machine's root file system instead of
# the container's. The host's /run,
# /var/lib/docker, /var/lib/containerd and /var/lib/wgnet (a managed plugin's state mount) are
# bound in, so sockets and files are shared with the host.
host_add_root()
{
	local i=$1 dir mounts d
	dir=$(host_dir "$i")
	mounts="mount --bind '$E2E_ROOT' '$E2E_ROOT'"
	for d in /proc /sys /dev /run /var/lib/docker /var/lib/containerd /var/lib/wgnet /tmp; do
		mounts+=" && mkdir -p '$E2E_ROOT$d' && mount --rbind $d '$E2E_ROOT$d'"
	done
	mounts+=" && mkdir -p '$E2E_ROOT/.oldroot' && cd '$E2E_ROOT'"
	mounts+=" && pivot_root . .oldroot && cd / && umount -l /.oldroot"
	mounts+=" && touch '/tmp/.e2e-root-ready-$E2E_ID-$i'"
	nsenter -t "$(host_holder "$i")" -m -n -- unshare -m --propagation private \
		/bin/sh -c "$mounts && exec sleep infinity" >"$dir/root.log" 2>&1 &
	echo $! >"$dir/root.pid"
	disown $!
	# the ready flag is written in the shared /tmp, seen here under the same name
	ln -sf "/tmp/.e2e-root-ready-$E2E_ID-$i" "$dir/root.ready"
	e2e_wait_mounted "$dir" root || die "host $i: $E2E_DOCKER root ($(cat "$dir/root.log"))"
	rm -f "/tmp/.e2e-root-ready-$E2E_ID-$i" "$dir/root.ready"
}

# host_docker_holder i: the holder whose mount namespace dockerd and the docker CLI run in
host_docker_holder()
{
	if [ -n "$E2E_ROOT" ]; then
		cat "$(host_dir "$1")/root.pid"
	else
		host_holder "$1"
	fi
}

dockerd_pid()
{
	cat "$(host_dir "$1")/dockerd.pid" 2>/dev/null
}

# dockerd_start i: start the host's dockerd and wait until it answers
dockerd_start()
{
	local i=$1 dir pid
	dir=$(host_dir "$i")
	# left behind by a kill -9, they stop the next start (simulated-hosts.md)
	host_exec "$i" rm -f /run/docker.pid /run/docker/containerd/containerd.pid
	# a simple command in the background, and nsenter execs: $! is dockerd itself
	# (the iptables backend is dockerd's default: it runs as configured out of the box)
	nsenter -t "$(host_docker_holder "$i")" -m -n -- dockerd \
		${E2E_NFT_BACKEND:+--firewall-backend=nftables} >>"$dir/dockerd.log" 2>&1 &
	pid=$!
	disown "$pid"
	echo "$pid" >"$dir/dockerd.pid"
	if ! retry 60 docker_on "$i" info; then
		tail -n 20 "$dir/dockerd.log" >&2
		die "host $i: dockerd did not answer within 60 s"
	fi
}

# dockerd_stop i [TERM|KILL]: TERM waits for dockerd to stop its containers (up to 30 s)
dockerd_stop()
{
	local i=$1 sig=${2:-TERM} pid
	pid=$(dockerd_pid "$i")
	[ -n "$pid" ] || return 0
	if [ "$sig" = KILL ]; then
		e2e_stop_pid "$pid" 0
	else
		e2e_stop_pid "$pid" 30
	fi
	rm -f "$(host_dir "$i")/dockerd.pid"
}

# docker_argv i: E2E_DOCKER_ARGV = the command line of host i's docker CLI (for `timeout`);
# Debian 12's own CLI (not one that PATH may find first), or the Debian 14 tree's (28.5)
docker_argv()
{
	E2E_DOCKER_ARGV=(nsenter -t "$(host_docker_holder "$1")" -m -n --
		env -u DOCKER_HOST -u DOCKER_CONTEXT /usr/bin/docker)
}

docker_on()
{
	docker_argv "$1"
	shift
	"${E2E_DOCKER_ARGV[@]}" "$@"
}

# host_up i [i...]: a ready host: namespaces, dockerd (the version WGNET_E2E_DOCKER names and
# the firewall backend WGNET_E2E_FIREWALL names, or the test stops), the image bb:latest
host_up()
{
	local i v fw
	for i in "$@"; do
		host_add "$i"
		dockerd_start "$i"
		v=$(docker_on "$i" version -f '{{.Server.Version}}' 2>&1)
		if [[ "$v" == "$E2E_DOCKERD_VERSION".* ]]; then
			pass "host $i: dockerd $v ($E2E_DOCKER: $E2E_DOCKERD_VERSION.x)"
		else
			die "host $i: dockerd $E2E_DOCKERD_VERSION.x ($E2E_DOCKER)" "it says: $v"
		fi
		# `docker info` names the backend from 28.1 on; 20.10 has iptables alone
		if [ "$E2E_DOCKER" != debian ]; then
			fw=$(docker_on "$i" info -f '{{.FirewallBackend.Driver}}' 2>&1)
			if [ "$fw" = "$E2E_FIREWALL" ]; then
				pass "host $i: docker info says firewall backend $fw"
			else
				die "host $i: firewall backend $E2E_FIREWALL" \
					"docker info says: $fw"
			fi
		fi
		docker_on "$i" import - bb:latest <"$E2E_RUN/bb.tar" >/dev/null ||
			die "host $i: docker import"
		e2e_log "host $i up: $(host_ip "$i"), dockerd $v"
	done
}

# container_pid i NAME: the pid of a container's init, for nsenter into its namespaces
container_pid()
{
	docker_on "$1" inspect -f '{{.State.Pid}}' "$2"
}

# container_ip i NAME NETWORK
container_ip()
{
	docker_on "$1" inspect -f "{{(index .NetworkSettings.Networks \"$3\").IPAddress}}" "$2"
}

# ctr_netns i NAME CMD...: CMD (a tool of this machine) in the network namespace of a container
ctr_netns()
{
	local pid
	pid=$(container_pid "$1" "$2") || return 1
	shift 2
	nsenter -t "$pid" -n -- "$@"
}

# rx_arm i CTR: count, from now on, the pings (ICMP echo requests) and TCP connections (SYNs)
# that arrive at container CTR, whatever their source: a table of ours in its network namespace,
# before anything else sees them
rx_arm()
{
	ctr_netns "$1" "$2" nft -f - <<-'EOF'
		table ip wge2erx
		delete table ip wge2erx
		table ip wge2erx {
			chain pre {
				type filter hook prerouting priority -400;
				icmp type echo-request counter
				tcp flags & (syn | ack) == syn counter
			}
		}
	EOF
}

# rx_count i CTR: how many packets rx_arm's counters saw
rx_count()
{
	ctr_netns "$1" "$2" nft -j list table ip wge2erx |
		jq '[.nftables[] | .rule? // empty | .expr[] | .counter?.packets // empty] | add // 0'
}

# blocked DESC i FROM IP j TO CONTROL-IP: container FROM on host i cannot reach container TO on
# host j at IP: 3 pings and an HTTP request get no reply, and not one packet of them arrives at
# TO (counted there, so that a one-way leak shows); FROM does ping CONTROL-IP (its docker exec and
# its own path work), and a ping from TO's own host gateway is counted (the counter works)
blocked()
{
	local desc=$1 i=$2 from=$3 ip=$4 j=$5 to=$6 control=$7 n ok=1 why=()
	rx_arm "$j" "$to" || { fail "$desc" "could not arm the counter in $to"; return; }
	if docker_on "$i" exec "$from" ping -c 3 -i 0.2 -W 1 "$ip" >/dev/null 2>&1; then
		ok=0 why+=("$from got a ping reply from $ip")
	fi
	if docker_on "$i" exec "$from" timeout 3 wget -qO /dev/null "http://$ip/" >/dev/null 2>&1; then
		ok=0 why+=("$from fetched http://$ip/")
	fi
	n=$(rx_count "$j" "$to")
	[ "$n" = 0 ] || { ok=0; why+=("$n packets arrived at $to (counted there)"); }
	if ! docker_on "$i" exec "$from" ping -c 1 -W 2 "$control" >/dev/null 2>&1 &&
		! docker_on "$i" exec "$from" ping -c 2 -W 2 "$control" >/dev/null 2>&1; then
		ok=0 why+=("control: $from cannot ping $control (docker exec or its own path broken)")
	fi
	host_exec "$j" ping -c 1 -W 2 "$ip" >/dev/null 2>&1
	n=$(rx_count "$j" "$to")
	[ "${n:-0}" -ge 1 ] 2>/dev/null || { ok=0; why+=("control: host $j's ping to $ip was not counted ($n)"); }
	if [ "$ok" = 1 ]; then
		pass "$desc (0 packets arrived; controls: $from pings $control, $to counts)"
	else
		fail "$desc" "${why[@]}"
	fi
}

# ---------------------------------------------------------------- wgnetd

wgnetd_pid()
{
	cat "$(host_dir "$1")/wgnetd.pid" 2>/dev/null
}

# wgnetd_ready i: both sockets answer (a socket file alone may be stale, left by a kill -9)
wgnetd_ready()
{
	host_exec "$1" curl -sf --max-time 2 --unix-socket /run/docker/plugins/wgnet.sock \
		-X POST http://wgnet/Plugin.Activate | grep NetworkDriver >/dev/null &&
		[ "$(host_exec "$1" curl -s --max-time 2 -o /dev/null -w '%{http_code}' \
			--unix-socket /run/wgnet/wgnet.sock http://wgnet/)" != 000 ]
}

# wgnetd_start i [args]: start wgnetd with the design's default paths (private to the host)
# and wait for the plugin and control sockets
wgnetd_start()
{
	local i=$1 dir pid
	shift
	dir=$(host_dir "$i")
	[ -x "$WGNETD" ] || die "wgnetd not built: $WGNETD (set WGNETD, or run scripts/test.sh)"
	daemon_start "$dir" nsenter -t "$(host_holder "$i")" -m -n -- "$WGNETD" "$@"
	pid=$(wgnetd_pid "$i")
	if ! retry 10 wgnetd_ready "$i" || ! pid_alive "$pid"; then
		tail -n 20 "$dir/wgnetd.log" >&2
		die "host $i: wgnetd did not answer on its sockets within 10 s"
	fi
}

# wgnetd_start_backend i [args]: wgnetd_start with the backend under test named
# (--wg-backend, and --wg-userspace with this machine's wireguard-go for userspace)
wgnetd_start_backend()
{
	local i=$1
	shift
	if [ "$E2E_WG_BACKEND" = userspace ]; then
		wgnetd_start "$i" --wg-backend userspace \
			--wg-userspace "$(command -v wireguard-go || echo wireguard-go)" "$@"
	else
		wgnetd_start "$i" --wg-backend kernel "$@"
	fi
}

# wg_on i args...: the wg tool in host i (its /run holds wireguard-go's socket)
wg_on()
{
	local i=$1
	shift
	host_exec "$i" wg "$@"
}

# wgnetd_stop i [TERM|KILL]: stop it and wait (DAEMON_STATUS: its exit status)
wgnetd_stop()
{
	daemon_stop "$(host_dir "$1")" "${2:-TERM}"
}

wgnet_on()
{
	local i=$1
	shift
	host_exec "$i" "$WGNET" "$@"
}

mesh_pair()
{
	local i
	for i in "$1" "$2"; do
		wgnet_on "$i" init --index "$i" --endpoint "$(host_ip "$i"):51820" --name "host$i" \
			>/dev/null || die "host $i: wgnet init"
	done
	wgnet_on "$1" peer add "$(wgnet_on "$2" join-line)" >/dev/null || die "host $1: peer add"
	wgnet_on "$2" peer add "$(wgnet_on "$1" join-line)" >/dev/null || die "host $2: peer add"
}

# host_wg_pids i: the userspace WireGuard processes (wireguard-go) running in host i. wgnetd
# starts them detached (a process group of their own, not its child) so they outlive it: find them
# by the host's network namespace and the program name (or a --wg-userspace program whose name
# says wireguard)
host_wg_pids()
{
	local pid comm
	for pid in $(ip netns pids "$(host_ns "$1")" 2>/dev/null); do
		comm=$(cat "/proc/$pid/comm" 2>/dev/null) || continue
		[[ "$comm" == *wireguard* ]] && echo "$pid"
	done
	return 0
}

# host_kill_wg i: kill -9 host i's wireguard-go (its TUN device and UAPI socket go with it)
host_kill_wg()
{
	local pid
	for pid in $(host_wg_pids "$1"); do
		e2e_stop_pid "$pid" 0
	done
}

# ---------------------------------------------------------------- kernel state checks

# iptables_on i args...: the iptables of the dockerd that host i runs
iptables_on()
{
	local i=$1
	shift
	nsenter -t "$(host_docker_holder "$i")" -m -n -- iptables "$@"
}

# nft_on i args...: nft in host i, the Debian 14 tree's when it has one: Debian 12's nft 1.0.6
# crashes (exit 139) on any command that reads every table once Docker 29's nftables backend
# made its `ip docker-bridges` (`nft list ruleset`, `nft list tables`)
nft_on()
{
	local i=$1
	shift
	if [ -n "$E2E_ROOT" ] && [ -x "$E2E_ROOT/usr/sbin/nft" ]; then
		nsenter -t "$(host_docker_holder "$i")" -m -n -- nft "$@"
	else
		host_exec "$i" nft "$@"
	fi
}

# wgnet_leftovers i: print what of wgnet's is still in host i (links, table, DOCKER-USER rules)
wgnet_leftovers()
{
	local i=$1 t out
	out=$(host_exec "$i" ip -j link show) || { query_failed "host $i: ip link show" $?; return; }
	jq -r '.[].ifname | select(test("^wg(b|v|c)|^wgnet0$"))' <<<"$out"
	# after wgnet init the tables stay for the host itself (the input chain closes it to the
	# mesh): what is left over is a rule that still names a bridge or a veth of ours
	out=$(nft_on "$i" list ruleset) || { query_failed "host $i: nft list ruleset" $?; return; }
	grep -oE '"wg(b[0-9a-f]{10}|v[0-9a-f]{11})"' <<<"$out" | sort -u | sed 's/^/nft rule for /'
	# wgnetd removes its DOCKER-USER rules from a thread of its own, just after the call
	# (no DOCKER-USER chain, e.g. after a simulated reboot: no rule)
	for t in 1 2 3 4 5 6 7 8 9 10; do
		iptables_on "$i" -S DOCKER-USER 2>/dev/null | grep -i wgnet >/dev/null || break
		sleep 0.3
	done
	iptables_on "$i" -S DOCKER-USER 2>/dev/null | grep -i wgnet
	return 0
}

# ---------------------------------------------------------------- cleanup

e2e_dump_logs()
{
	local i dir f keep
	keep=/tmp/wgnet-e2e-logs.$E2E_ID
	mkdir -p "$keep"
	for i in "${E2E_HOSTS[@]}"; do
		dir=$(host_dir "$i")
		for f in wgnetd.log dockerd.log holder.log root.log; do
			[ -s "$dir/$f" ] || continue
			cp "$dir/$f" "$keep/host$i-$f"
			echo "---- host $i $f (last 30 lines; all in $keep/host$i-$f)"
			grep -v 'module=grpc' "$dir/$f" | tail -n 30
		done
	done
}

e2e_cleanup()
{
	local status=$? i ns pid left where stops reports
	[ "$E2E_CLEANED" = 1 ] && return
	E2E_CLEANED=1
	trap - INT TERM
	# an exit before e2e_finish (die, a signal, an unset variable, the end of the script) is a
	# failure, whatever the exit status
	[ "$E2E_FINISHED" = 1 ] || where=$(stopped_where "$status")
	on_exit_run
	# every process of the run, to check at the end that none is left
	E2E_CLEAN_PIDS=$(cat "$E2E_RUN"/host*/*.pid 2>/dev/null
		for i in "${E2E_HOSTS[@]}"; do
			ip netns pids "$(host_ns "$i")" 2>/dev/null
		done
		ip netns pids "$E2E_UNDERLAY" 2>/dev/null)
	for i in "${E2E_HOSTS[@]}"; do
		# kill containers while wgnetd still answers, so dockerd's teardown calls are quick
		if pid_alive "$(dockerd_pid "$i")"; then
			docker_argv "$i"
			timeout 20 "${E2E_DOCKER_ARGV[@]}" ps -q 2>/dev/null |
				xargs -r timeout 20 "${E2E_DOCKER_ARGV[@]}" kill >/dev/null 2>&1
		fi
	done
	# SIGTERM for every wgnetd (a sanitizer build reports leaks at exit), then their logs
	stops=$(daemon_stop_all)
	[ -z "$stops" ] || fail "every wgnetd stops on SIGTERM with status 0" "$stops"
	reports=$(daemon_reports)
	[ -z "$reports" ] || fail "a wgnetd log has a sanitizer report" "$reports"
	if [ "$E2E_FINISHED" != 1 ]; then
		fail "$(basename "$0") $where"
		e2e_finish
	fi
	[ "$E2E_FAILED" -ne 0 ] && e2e_dump_logs

	for i in "${E2E_HOSTS[@]}"; do
		ns=$(host_ns "$i")
		# wgnetd leaves wireguard-go running on purpose (the tunnel outlives it)
		host_kill_wg "$i"
		pid=$(dockerd_pid "$i")
		[ -n "$pid" ] && e2e_stop_pid "$pid" 20
		e2e_kill_netns "$ns"
		pid=$(host_holder "$i" 2>/dev/null)
		[ -n "$pid" ] && e2e_stop_pid "$pid" 2
		ip netns del "$ns" 2>/dev/null
	done
	for pid in "${E2E_PIDS_UPLINK[@]}"; do
		e2e_stop_pid "$pid" 2
	done
	if ip netns list | grep -w "$E2E_UNDERLAY" >/dev/null; then
		e2e_kill_netns "$E2E_UNDERLAY"
		ip netns del "$E2E_UNDERLAY"
	fi
	# the mounts lived in the holders' private namespaces; nothing may remain in ours
	if grep -q "$E2E_RUN" /proc/self/mounts; then
		echo "lib.sh: mounts left under $E2E_RUN:" >&2
		grep "$E2E_RUN" /proc/self/mounts >&2
	else
		rm -rf "$E2E_RUN"
	fi
	rm -f /tmp/.e2e-root-ready-"$E2E_ID"-*
	e2e_rootdirs_release
	left=$(e2e_leftovers)
	if [ -n "$left" ]; then
		E2E_FAILED=$((E2E_FAILED + 1))
		e2e_log "FAIL: cleanup left things of run $E2E_ID behind:"
		sed 's/^/      /' <<<"$left"
	fi
	exit "$([ "$E2E_FAILED" -eq 0 ] && echo 0 || echo 1)"
}
