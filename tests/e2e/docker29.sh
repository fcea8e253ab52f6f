#!/usr/bin/env bash
# docker29.sh: make (once) and print the path of a root file system that runs Docker Engine
# 29.7.2, used by lib.sh when WGNET_E2E_DOCKER=docker29: forky.sh's Debian 14 tree (its
# containerd, runc, iptables and docker CLI 28.5) with dockerd and docker-proxy 29.7.2 in place
# of 28.5's, plus nft (Docker's nftables firewall backend runs it). The tree lives beside the
# forky one in $WGNET_E2E_CACHE (default /var/cache/wgnet-e2e) and is made again only when the
# binaries change.
#
# The binaries come from one setting, WGNET_E2E_DOCKER29: a directory holding dockerd and
# docker-proxy, xz-compressed beside a SHA256SUMS of the plain files (the workspace's
# ../shared/tools/docker-29), or plain as Docker's static binary tarball unpacks them
# (docker-29.7.2.tgz: its docker/ directory). Default: ../shared/tools/docker-29 from the
# repository root when it exists, else /work/shared/tools/docker-29.
#
#   docker29.sh          print the root (made once); fails with the reason
#   docker29.sh --where  print the directory of the binaries; exit 1 with the reason (on stderr)
#                        when they are not there (scripts/test.sh then leaves the tests out)
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=${WGNET_E2E_CACHE:-/var/cache/wgnet-e2e}
version=29.7.2
tarball=https://download.docker.com/linux/static/stable/x86_64/docker-$version.tgz

if [ -n "${WGNET_E2E_DOCKER29:-}" ]; then
	src=$WGNET_E2E_DOCKER29
elif [ -d "$repo/../shared/tools/docker-29" ]; then
	src=$(cd "$repo/../shared/tools/docker-29" && pwd)
else
	src=/work/shared/tools/docker-29
fi

# how: "xz" or "plain", or the reason there is nothing to use
how=""
if [ -r "$src/dockerd.xz" ] && [ -r "$src/docker-proxy.xz" ] && [ -r "$src/SHA256SUMS" ]; then
	how=xz
elif [ -x "$src/dockerd" ] && [ -x "$src/docker-proxy" ]; then
	how=plain
fi
if [ "${1:-}" = --where ]; then
	if [ -z "$how" ]; then
		echo "no dockerd $version in $src (WGNET_E2E_DOCKER29): get Docker's static binaries" \
			"($tarball), unpack them and set WGNET_E2E_DOCKER29=<that>/docker" >&2
		exit 1
	fi
	echo "$src"
	exit 0
fi
if [ -z "$how" ]; then
	echo "docker29.sh: $src holds neither dockerd.xz, docker-proxy.xz and SHA256SUMS nor" \
		"dockerd and docker-proxy (WGNET_E2E_DOCKER29; Docker's static binaries: $tarball)" >&2
	exit 1
fi

dir=$cache/docker29
# the tree is made again when the binaries are others
if [ "$how" = xz ]; then
	key=$(cat "$src/SHA256SUMS")
else
	key=$(cd "$src" && sha256sum dockerd docker-proxy)
fi
key=$(sha256sum <<<"$key" | cut -c1-16)
stamp=$dir/.wgnet-docker29-ready-$key

if [ -e "$stamp" ]; then
	echo "$dir"
	exit 0
fi
forky=$(bash "$here/forky.sh")
mkdir -p "$cache"
exec 9>"$cache/docker29.lock"
flock 9
if [ -e "$stamp" ]; then
	echo "$dir"
	exit 0
fi

start=$(date +%s)
tmp=$cache/docker29.tmp.$$
trap 'rm -rf "$tmp"' EXIT
rm -rf "$tmp"
echo "docker29.sh: dockerd $version from $src into $dir (once)" >&2
cp -a "$forky" "$tmp"
rm -f "$tmp"/.wgnet-forky-ready-*
for b in dockerd docker-proxy; do
	if [ "$how" = xz ]; then
		xz -dc "$src/$b.xz" >"$tmp/usr/sbin/$b"
	else
		cp "$src/$b" "$tmp/usr/sbin/$b"
	fi
	chmod 0755 "$tmp/usr/sbin/$b"
done
if [ "$how" = xz ] && ! (cd "$tmp/usr/sbin" && sha256sum -c --quiet "$src/SHA256SUMS"); then
	echo "docker29.sh: dockerd or docker-proxy do not match $src/SHA256SUMS" >&2
	exit 1
fi
if ! chroot "$tmp" sh -c 'command -v nft' >/dev/null; then
	# a mirror's snapshot of Debian 14 may be past its Release file's Valid-Until
	if ! chroot "$tmp" sh -c 'apt-get -o Acquire::Check-Valid-Until=false update -qq &&
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nftables &&
		apt-get clean' >"$cache/docker29.log" 2>&1; then
		echo "docker29.sh: could not install nftables in the tree, last lines of" \
			"$cache/docker29.log:" >&2
		tail -n 20 "$cache/docker29.log" >&2
		exit 1
	fi
fi
got=$(chroot "$tmp" dockerd --version)
if [[ "$got" != "Docker version $version,"* ]]; then
	echo "docker29.sh: $src's dockerd says '$got', not $version" >&2
	exit 1
fi
rm -rf "$dir"
mv "$tmp" "$dir"
touch "$stamp"
echo "docker29.sh: ready in $(($(date +%s) - start)) s: $got" >&2
echo "$dir"
