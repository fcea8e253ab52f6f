#!/usr/bin/env bash
# build-plugin-image.sh OUT: `build-plugin.sh --image OUT` (the Dockerfile built, its file system
# exported into OUT/rootfs) where no registry can be reached, without the machine's dockerd:
# the base images are debian-base.sh's tarballs (debootstrap, cached), imported into a dockerd
# started for this build alone and removed after it, also when the build fails. That dockerd
# runs
#   - in a private mount namespace: its own /run (a system containerd's socket is not seen, so it
#     starts its own) and /etc/docker hidden (the machine's daemon.json and key.json are neither
#     read nor written);
#   - in the root network namespace, with --iptables=false --ip-forward=false --bridge=none:
#     `docker build --network host` lets apt reach Debian's archive as this machine does, and no
#     rule, bridge or sysctl of the machine is changed;
#   - with its own data root, exec root, pid file and socket in $WGNET_E2E_RUN/wgnet-image.<pid>
#     (default /var/tmp), never /var/lib/docker.
# Each of its processes, and build-plugin.sh with its docker CLI, carries WGNET_IMAGE_RUN=<that
# directory>: the cleanup stops those and the containers they run, and nothing else; after a
# failure OUT is removed too. A run killed with SIGKILL cannot clean up: the next run removes
# what runs whose pid is gone left behind.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [ $# -ne 1 ] || [[ "$1" == -* ]]; then
	echo "usage: build-plugin-image.sh OUT" >&2
	exit 2
fi
out=$1
if [ "$(id -u)" -ne 0 ]; then
	echo "build-plugin-image.sh: run as root (it starts a dockerd)" >&2
	exit 1
fi
runs=${WGNET_E2E_RUN:-/var/tmp}
run=$runs/wgnet-image.$$
bases=(debian:bookworm debian:bookworm-slim debian:trixie-slim)
docker=(/usr/bin/docker -H "unix://$run/docker.sock")

say()
{
	echo "build-plugin-image.sh: $*" >&2
}

# run_pids DIR: the processes of the build dockerd of DIR (the ones that carry its mark) and
# their children (the containers' first processes: with them go their PID namespaces)
run_pids()
{
	local mark="WGNET_IMAGE_RUN=$1" p marked=()
	for p in /proc/[0-9]*; do
		grep -qzxF "$mark" "$p/environ" 2>/dev/null && marked+=("${p#/proc/}")
	done
	[ ${#marked[@]} -gt 0 ] || return 0
	printf '%s\n' "${marked[@]}"
	ps -e -o pid=,ppid= | awk -v m=" ${marked[*]} " 'index(m, " " $2 " ") { print $1 }'
}

# run_stop DIR: stop the build dockerd of DIR (TERM: it stops its containers and containerd),
# then whatever of it is left (KILL), and remove DIR
run_stop()
{
	local dir=$1 pid i left
	pid=$(cat "$dir/dockerd.pid" 2>/dev/null || true)
	if [ -n "$pid" ] && grep -qzxF "WGNET_IMAGE_RUN=$dir" "/proc/$pid/environ" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null || true
		for ((i = 0; i < 300; i++)); do
			[ -d "/proc/$pid" ] || break
			sleep 0.1
		done
	fi
	for ((i = 0; i < 50; i++)); do
		left=$(run_pids "$dir")
		[ -z "$left" ] && break
		# shellcheck disable=SC2086
		kill -KILL $left 2>/dev/null || true
		sleep 0.1
	done
	if [ -n "$left" ]; then
		say "processes of $dir left: ${left//$'\n'/ }"
		return 1
	fi
	# the mounts (overlay, tmpfs) lived in the private namespace, gone with its last process
	if awk -v d="$dir" '$2 == d || index($2, d "/") == 1 { found = 1 } END { exit !found }' \
		/proc/self/mounts; then
		say "mounts left under $dir: kept"
		return 1
	fi
	rm -rf --one-file-system "$dir"
}

# reap_stale: what runs whose shell is dead left behind (a live run's are never touched)
reap_stale()
{
	local d pid
	for d in "$runs"/wgnet-image.*; do
		pid=${d##*.}
		if ! [[ "$pid" =~ ^[0-9]+$ ]] || [ ! -d "$d" ] || [ -d "/proc/$pid" ]; then
			continue
		fi
		say "reaping $d (its run $pid is gone)"
		run_stop "$d" || true
	done
}

cleanup()
{
	local status=$? t
	trap - EXIT
	t=$(date +%s)
	if ! run_stop "$run"; then
		say "could not remove the build dockerd's $run"
		[ "$status" -ne 0 ] || status=1
	fi
	[ "$status" -eq 0 ] || [ "$building" = 0 ] || rm -rf "$out"
	[ "$status" -eq 0 ] && say "$out built in $(($(date +%s) - t0)) s: base images" \
		"$((t1 - t0)) s, dockerd and imports $((t2 - t1)) s, docker build and export" \
		"$((t3 - t2)) s, dockerd stopped and removed $(($(date +%s) - t)) s"
	exit "$status"
}

t0=$(date +%s)
building=0
reap_stale
tarballs=$(bash "$here/debian-base.sh" "${bases[@]}")
t1=$(date +%s)
mkdir -p "$run"
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
echo '{}' >"$run/daemon.json"

# unshare and sh exec: $! is dockerd itself
# shellcheck disable=SC2016 # $1 and $run are the inner shell's
WGNET_IMAGE_RUN=$run unshare -m --propagation private sh -c '
	set -e
	run=$1
	mount -t tmpfs -o mode=755 tmpfs /run
	mkdir -p "$run/data" && mount -t tmpfs -o mode=710 tmpfs "$run/data"
	if [ -d /etc/docker ]; then mount -t tmpfs -o mode=755 tmpfs /etc/docker; fi
	exec dockerd --config-file "$run/daemon.json" --data-root "$run/data" \
		--exec-root "$run/exec" --pidfile "$run/docker.pid" -H "unix://$run/docker.sock" \
		--iptables=false --ip-forward=false --ip-masq=false --bridge=none
' sh "$run" >"$run/dockerd.log" 2>&1 &
echo $! >"$run/dockerd.pid"
for ((i = 0; i < 600; i++)); do
	"${docker[@]}" info >/dev/null 2>&1 && break
	if [ ! -d "/proc/$(cat "$run/dockerd.pid")" ] || [ "$i" = 599 ]; then
		say "the build dockerd did not start; last lines of its log:"
		tail -n 20 "$run/dockerd.log" >&2
		exit 1
	fi
	sleep 0.1
done
say "build dockerd $("${docker[@]}" version -f '{{.Server.Version}}') up in $run"

i=0
for tarball in $tarballs; do
	"${docker[@]}" import "$tarball" "${bases[$i]}" >/dev/null
	i=$((i + 1))
done
t2=$(date +%s)
say "base images ${bases[*]} imported"

# in the background: a TERM is then handled at once, not after the build
building=1
WGNET_IMAGE_RUN=$run DOCKER="${docker[*]}" DOCKER_BUILDKIT=0 DOCKER_CONFIG=$run/cli \
	bash "$here/build-plugin.sh" --image --network host "$out" &
wait $!
t3=$(date +%s)
