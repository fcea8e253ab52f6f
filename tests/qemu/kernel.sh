# SPDX-License-Identifier: MIT
# shellcheck shell=bash disable=SC2154 # $cache is the caller's
# kernel.sh: Debian's current kernel for the qemu tiers (run.sh, e2e_mesh.sh), sourced.
# kernel_find sets KDIR (the unpacked package), VMLINUZ and MODDIR (its lib/modules/VERSION),
# downloading the package into $cache (apt-get download) once; with no package lists it falls
# back to a kernel already in the cache. The caller defines log().

kernel_pkg()
{
	apt-cache depends linux-image-amd64 2>/dev/null |
		awk '/Depends: linux-image-[0-9].*-amd64$/ { print $2; exit }'
}

kernel_get()
{
	local pkg=$1 dir=$cache/$1
	if [ -f "$dir/.complete" ]; then
		echo "$dir"
		return 0
	fi
	mkdir -p "$cache"
	rm -rf "$dir" "$cache/dl"
	mkdir -p "$cache/dl"
	chown _apt "$cache/dl" 2>/dev/null || true	# apt's download sandbox
	log "downloading $pkg into $cache"
	(cd "$cache/dl" && apt-get download -q "$pkg" >&2) || return 1
	dpkg-deb -x "$cache"/dl/"$pkg"_*.deb "$dir" || return 1
	rm -rf "$cache/dl"
	touch "$dir/.complete"
	echo "$dir"
}

kernel_find()
{
	local pkg
	pkg=$(kernel_pkg)
	if [ -z "$pkg" ]; then
		pkg=$(find "$cache" -maxdepth 2 -name .complete 2>/dev/null | sort | tail -n 1 |
			xargs -r dirname | xargs -r basename)
	fi
	[ -n "$pkg" ] || { log "cannot name the kernel package (apt-cache depends linux-image-amd64)"; return 1; }
	KDIR=$(kernel_get "$pkg") || { log "could not download $pkg"; return 1; }
	VMLINUZ=$(find "$KDIR/boot" -name 'vmlinuz-*' | head -n 1)
	MODDIR=$(find "$KDIR/lib/modules" -mindepth 1 -maxdepth 1 -type d | head -n 1)
	if [ -z "$VMLINUZ" ] || [ -z "$MODDIR" ]; then
		log "no vmlinuz or modules in $KDIR"
		return 1
	fi
}

# initramfs_pack DIR OUT: DIR as a gzip'd newc cpio; fails when it came out too small (an
# empty initramfs hangs the guest silently). Sets INITRD_SIZE.
initramfs_pack()
{
	(cd "$1" && find . | cpio -o -H newc --quiet | gzip -1) >"$2"
	INITRD_SIZE=$(stat -c %s "$2")
	if [ "$INITRD_SIZE" -lt 500000 ]; then
		log "initramfs is only $INITRD_SIZE bytes: something is missing"
		return 1
	fi
}
