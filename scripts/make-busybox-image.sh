#!/usr/bin/env bash
# make-busybox-image.sh OUT.tar: a root file system holding only the static busybox and one
# symlink per applet, as a tar for `docker import - bb:latest` (no registry needed).
set -euo pipefail

out=${1:?usage: make-busybox-image.sh OUT.tar}
busybox=${BUSYBOX:-/bin/busybox}

# ldd says so, and exits 1, for a static binary
ldd_out=$(LC_ALL=C ldd "$busybox" 2>&1 || true)
if ! grep -q 'not a dynamic' <<<"$ldd_out"; then
	echo "make-busybox-image.sh: $busybox is not static (install busybox-static)" >&2
	exit 1
fi

root=$(mktemp -d "${TMPDIR:-/tmp}/wgnet-bbroot.XXXXXX")
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc,tmp,proc,sys,dev,root,var/www}
chmod 1777 "$root/tmp"
cp "$busybox" "$root/bin/busybox"
# --list-full names each applet with its usual directory (bin/sh, usr/bin/wget, sbin/ip, ...)
"$busybox" --list-full | while read -r applet; do
	[ "$applet" = bin/busybox ] && continue
	ln -sf /bin/busybox "$root/$applet"
done
echo 'root:x:0:0:root:/root:/bin/sh' >"$root/etc/passwd"
echo 'root:x:0:' >"$root/etc/group"
tar -C "$root" --numeric-owner -cf "$out.tmp" .
mv "$out.tmp" "$out"
