#!/usr/bin/env bash
# build-plugin.sh [--local | --image] [--network MODE] [--create NAME:TAG] OUT: make the
# managed plugin's directory OUT (config.json + rootfs/, what `docker plugin create` takes) and,
# with --create, the plugin NAME:TAG from it in the dockerd that `docker` talks to.
#
#   --image  the Dockerfile's way: `docker build` (needs the base images debian:bookworm,
#            debian:bookworm-slim and debian:trixie-slim, or a registry to pull them from), then
#            the image's file system exported into rootfs/; --network MODE is docker build's
#            (host: apt in the build reaches the archive as this machine does, the way
#            scripts/build-plugin-image.sh builds it without a registry or the machine's dockerd)
#   --local  without any image: the rootfs is assembled from this machine, build/release's
#            wgnetd and wgnet (scripts/build-dir.sh), /usr/bin/wireguard-go, both iptables
#            variants with their extensions, and every shared library they load (ldd)
#   (neither: --image when the base images are there, else --local)
#
# Both ways give the same layout: /usr/sbin/wgnetd (the entrypoint), /usr/bin/wgnet,
# /usr/bin/wireguard-go, /usr/sbin/iptables-nft and iptables-legacy (+ -save/-restore) with
# /usr/lib/x86_64-linux-gnu/xtables/, /run/docker/plugins, /run/wgnet, /run/wireguard,
# /var/lib/wgnet, /var/run -> /run. DOCKER names the docker command (default: docker).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
mode=auto
create=""
network=()
while [ $# -gt 1 ]; do
	case "$1" in
	--local) mode=local ;;
	--image) mode=image ;;
	--create)
		create=$2
		shift
		;;
	--network)
		network=(--network "$2")
		shift
		;;
	*) break ;;
	esac
	shift
done
if [ $# -ne 1 ] || [[ "$1" == -* ]]; then
	echo "usage: build-plugin.sh [--local | --image] [--network MODE] [--create NAME:TAG]" \
		"OUT" >&2
	exit 2
fi
out=$1
read -r -a docker <<<"${DOCKER:-docker}"
bases=(debian:bookworm debian:bookworm-slim debian:trixie-slim)

# copy_libs FILE...: every library FILE loads (ldd), at the same path under the rootfs
copy_libs()
{
	local f lib
	for f in "$@"; do
		# ldd lines: "name => /path (addr)" or "/lib64/ld-linux... (addr)"
		while read -r lib; do
			[ -e "$rootfs$lib" ] || cp -L --parents "$lib" "$rootfs"
		done < <(ldd "$f" 2>/dev/null | awk '/=> \// { print $3 } /^\t\// { print $1 }')
	done
}

# copy_with_libs FILE...: FILE (a symlink's target too) and its libraries
copy_with_libs()
{
	local f
	for f in "$@"; do
		cp -P --parents "$f" "$rootfs"
		[ -L "$f" ] && cp --parents "$(readlink -f "$f")" "$rootfs"
		copy_libs "$f"
	done
}

assemble_local()
{
	local bin=$repo/build/release multiarch xt
	if [ -z "${WGNETD:-}" ]; then
		WGNET_BUILD_QUIET=1 bash "$repo/scripts/build-dir.sh" release wgnetd wgnet
	fi
	command -v wireguard-go >/dev/null || { echo "build-plugin.sh: wireguard-go missing (scripts/setup.sh)" >&2; exit 1; }
	multiarch=$(gcc -print-multiarch)
	xt=/usr/lib/$multiarch/xtables
	[ -d "$xt" ] || xt=/lib/$multiarch/xtables
	# merged /usr, as Debian 12: /lib/x86_64-linux-gnu/libc.so.6 lands in /usr/lib
	mkdir -p "$rootfs"/usr/{bin,sbin,lib,lib64}
	for d in bin sbin lib lib64; do
		ln -s "usr/$d" "$rootfs/$d"
	done
	install -m 0755 "${WGNETD:-$bin/wgnetd}" "$rootfs/usr/sbin/wgnetd"
	install -m 0755 "${WGNET:-$bin/wgnet}" "$rootfs/usr/bin/wgnet"
	install -m 0755 "$(command -v wireguard-go)" "$rootfs/usr/bin/wireguard-go"
	copy_libs "$rootfs/usr/sbin/wgnetd" "$rootfs/usr/bin/wgnet" "$rootfs/usr/bin/wireguard-go"
	copy_with_libs /usr/sbin/xtables-nft-multi /usr/sbin/xtables-legacy-multi "$xt"/*.so
	for v in nft legacy; do
		for s in "" -save -restore; do
			ln -sf "xtables-$v-multi" "$rootfs/usr/sbin/iptables-$v$s"
		done
	done
}

assemble_image()
{
	local tag=wgnet-plugin-build:$$ ctr ret=0
	# --force-rm: a failed step's container goes too
	"${docker[@]}" build --force-rm "${network[@]}" -t "$tag" "$repo" || return
	if ctr=$("${docker[@]}" create "$tag"); then
		"${docker[@]}" export "$ctr" | tar -x -C "$rootfs" || ret=1
		"${docker[@]}" rm -f "$ctr" >/dev/null || ret=1
	else
		ret=1
	fi
	"${docker[@]}" rmi "$tag" >/dev/null || ret=1
	return "$ret"
}

if [ "$mode" = auto ]; then
	mode=image
	for b in "${bases[@]}"; do
		"${docker[@]}" image inspect "$b" >/dev/null 2>&1 ||
			"${docker[@]}" pull -q "$b" >/dev/null 2>&1 || { mode=local; break; }
	done
	echo "build-plugin.sh: $([ $mode = local ] && echo "no base images: assembling the rootfs locally" || echo "building the Dockerfile")"
fi

# out_remove_failed: nothing half-made is left when the assembly fails
out_remove_failed()
{
	local status=$?
	[ "$status" -eq 0 ] || rm -rf "$out"
	exit "$status"
}

rm -rf "$out"
trap out_remove_failed EXIT
rootfs=$out/rootfs
mkdir -p "$rootfs"
"assemble_$mode"
# what dockerd and wgnetd need to find, whichever way the files came
mkdir -p "$rootfs"/{run/docker/plugins,run/wgnet,run/wireguard,var/lib/wgnet,etc,tmp,proc,sys,dev} \
	"$rootfs/host/sys/fs/cgroup"
[ -e "$rootfs/var/run" ] || ln -s ../run "$rootfs/var/run"
chmod 1777 "$rootfs/tmp"
cp "$repo/config.json" "$out/config.json"
for f in usr/sbin/wgnetd usr/bin/wgnet usr/bin/wireguard-go usr/sbin/iptables-nft \
	usr/sbin/iptables-legacy; do
	[ -x "$rootfs/$f" ] || { echo "build-plugin.sh: $f missing from the rootfs" >&2; exit 1; }
done
trap - EXIT
echo "build-plugin.sh: $out ($mode, $(du -sh "$rootfs" | cut -f1))"

if [ -n "$create" ]; then
	"${docker[@]}" plugin create "$create" "$out"
fi
