#!/usr/bin/env bash
# forky.sh: make (once) and print the path of a Debian 14 (forky) root file system with
# docker.io 28.5, used by lib.sh when WGNET_E2E_DOCKER=forky to run a newer dockerd in a
# simulated host (simulated-hosts.md, "Newer Docker"). The tree lives outside the repository,
# in $WGNET_E2E_CACHE (default /var/cache/wgnet-e2e), and is reused by later runs; a failed
# debootstrap fails loudly and leaves nothing half-made behind.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cache=${WGNET_E2E_CACHE:-/var/cache/wgnet-e2e}
dir=$cache/forky
# bump the stamp when the recipe changes: the next run then rebuilds the tree
stamp=$dir/.wgnet-forky-ready-2

if [ -e "$stamp" ]; then
	echo "$dir"
	exit 0
fi

mkdir -p "$cache"
# one debootstrap at a time, even with several test runs starting together
exec 9>"$cache/forky.lock"
flock 9
if [ -e "$stamp" ]; then
	echo "$dir"
	exit 0
fi

if ! command -v debootstrap >/dev/null; then
	echo "forky.sh: debootstrap is missing (run scripts/setup.sh)" >&2
	exit 1
fi
mirror=$(bash "$repo/scripts/debian-mirror.sh")
tmp=$cache/forky.tmp.$$
rm -rf "$dir" "$tmp"
start=$(date +%s)
echo "forky.sh: debootstrap forky from $mirror into $dir (once)" >&2
# Debian 12's debootstrap has no forky script; sid's works for it.
include=docker.io,docker-cli,iptables,iproute2,ca-certificates
if ! debootstrap --variant=minbase --include="$include" forky "$tmp" "$mirror" \
	/usr/share/debootstrap/scripts/sid >"$cache/forky.log" 2>&1; then
	echo "forky.sh: debootstrap failed, last lines of $cache/forky.log:" >&2
	tail -n 20 "$cache/forky.log" >&2
	rm -rf "$tmp"
	exit 1
fi
if [ ! -x "$tmp/usr/sbin/dockerd" ]; then
	echo "forky.sh: debootstrap finished but $tmp/usr/sbin/dockerd is missing" >&2
	rm -rf "$tmp"
	exit 1
fi
mv "$tmp" "$dir"
touch "$stamp"
echo "forky.sh: ready in $(($(date +%s) - start)) s: $(chroot "$dir" dockerd --version)" >&2
echo "$dir"
