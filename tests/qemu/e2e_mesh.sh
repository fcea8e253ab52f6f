#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# e2e_mesh.sh: the mesh e2e (tests/e2e/test_mesh.sh: three hosts, dockerd 20.10, containers)
# on kernel WireGuard, in Debian's kernel under qemu, since this machine's kernel has none.
# The guest's root is this machine's root file system, shared read-only over virtio-9p under an
# overlay with a tmpfs on top, so dockerd, containerd, runc, bash, jq, nft, the repo and its
# build are the ones here; e2e_guest.sh loads the modules and runs the test there with
# WGNET_E2E_WG_BACKEND=kernel. Manual (not in ctest): under TCG it takes tens of minutes.
#   exit 0: the test passed in the guest; 77: qemu missing; else 1.
# Environment: WGNET_QEMU_CACHE (kernel cache, as run.sh), WGNET_QEMU_TIMEOUT (s, default 1800),
# WGNET_QEMU_MEM (default 4G), WGNET_QEMU_SMP (default 2), WGNET_QEMU_LOG (the console, kept),
# WGNET_E2E_TEST (default test_mesh.sh), WGNET_E2E_TIME_SCALE (default 4: lib.sh's waits).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cache=${WGNET_QEMU_CACHE:-/var/cache/wgnet-qemu}
boot_timeout=${WGNET_QEMU_TIMEOUT:-1800}
test_name=${WGNET_E2E_TEST:-test_mesh.sh}
wgnetd=${WGNETD:-$repo/build/release/wgnetd}
wgnet=${WGNET:-$repo/build/release/wgnet}
# what the initramfs needs to mount the shared root; the rest is loaded in the guest
boot_modules=(virtio_pci 9pnet_virtio 9p overlay)

log() { echo "qemu-e2e: $*" >&2; }

if ! command -v qemu-system-x86_64 >/dev/null; then
	echo "qemu-e2e: SKIP: qemu-system-x86_64 is not installed (apt-get install qemu-system-x86 cpio)"
	exit 77
fi
for tool in cpio gzip busybox dockerd containerd runc jq nft; do
	command -v "$tool" >/dev/null || { log "$tool is not installed"; exit 1; }
done
for bin in "$wgnetd" "$wgnet"; do
	[ -x "$bin" ] || { log "no $bin: build first, or set WGNETD and WGNET"; exit 1; }
done
[ -f "$repo/tests/e2e/$test_name" ] || { log "no tests/e2e/$test_name"; exit 1; }
# the guest mounts empty tmpfs on these (e2e_guest.sh), hiding whatever this machine has there
for path in "$repo" "$wgnetd" "$wgnet"; do
	case $(readlink -f "$path")/ in
	/run/* | /tmp/* | /var/tmp/*)
		log "$path is under /run, /tmp or /var/tmp, which the guest mounts empty:" \
			"run from a checkout elsewhere"
		exit 1
		;;
	esac
done

# shellcheck source=tests/qemu/kernel.sh
. "$repo/tests/qemu/kernel.sh"
kernel_find || exit 1
kver=$(basename "$MODDIR")
# modules.dep, for busybox modprobe in the guest (made once, in the cache)
if [ ! -f "$MODDIR/modules.dep" ]; then
	log "busybox depmod for $kver (once)"
	busybox depmod -b "$KDIR" "$kver"
fi

# work dir on the shared root: the guest reads its settings there and writes its exit status
work=$(mktemp -d /var/tmp/wgnet-qemu-e2e.XXXXXX)
trap 'rm -rf "$work"' EXIT
out=${WGNET_QEMU_LOG:-$work/console.log}

# ---- the initramfs: static busybox, the modules for 9p and overlay, /init
root=$work/initramfs
mkdir -p "$root"/{bin,proc,sys,dev,lower,rw,newroot,mod}
cp "$(command -v busybox)" "$root/bin/busybox"
for applet in sh mount mkdir insmod switch_root poweroff echo cat; do
	ln -s busybox "$root/bin/$applet"
done
# modules.dep lists every dependency, the last one to be loaded first
declare -A loaded
order=()
mod_add()
{
	local path dep line deps
	path=$(awk -v m="/$1.ko:" 'index($1, m) { sub(":", "", $1); print $1; exit }' \
		"$MODDIR/modules.dep")
	[ -n "$path" ] || { log "module $1 not in modules.dep"; return 1; }
	line=$(grep -m1 "^$path:" "$MODDIR/modules.dep")
	read -ra deps <<<"${line#*:}"
	for ((dep = ${#deps[@]} - 1; dep >= 0; dep--)); do
		[ -n "${loaded[${deps[dep]}]:-}" ] && continue
		loaded[${deps[dep]}]=1
		order+=("${deps[dep]}")
	done
	[ -n "${loaded[$path]:-}" ] && return 0
	loaded[$path]=1
	order+=("$path")
}
for m in "${boot_modules[@]}"; do
	mod_add "$m" || exit 1
done

insmods=""
for p in "${order[@]}"; do
	cp "$MODDIR/$p" "$root/mod/"
	insmods+="insmod /mod/$(basename "$p") || echo 'FAIL insmod $p'"$'\n'
done
cat >"$root/init" <<EOT
#!/bin/sh
mount -t proc proc /proc
mount -t devtmpfs devtmpfs /dev
${insmods}echo WGNET-QEMU-BOOTED
mount -t 9p -o trans=virtio,version=9p2000.L,ro,cache=loose,msize=524288 hostroot /lower ||
	echo 'FAIL mount 9p'
mount -t tmpfs -o size=75% tmpfs /rw && mkdir /rw/upper /rw/work
mount -t overlay overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work /newroot ||
	echo 'FAIL mount overlay'
umount /proc
exec switch_root /newroot /bin/bash $repo/tests/qemu/e2e_guest.sh $work/guest.env
EOT
chmod 755 "$root/init"
initrd=$work/initrd.gz
initramfs_pack "$root" "$initrd" || exit 1

# ---- what the guest runs (paths are the same there)
cat >"$work/guest.env" <<-EOT
	REPO=$repo
	MODDIR=$MODDIR
	KVER=$kver
	TEST=$repo/tests/e2e/$test_name
	export WGNETD=$wgnetd WGNET=$wgnet WGNET_E2E_WG_BACKEND=kernel
	export WGNET_E2E_TIME_SCALE=${WGNET_E2E_TIME_SCALE:-4}
EOT

log "booting $(basename "$VMLINUZ") ($((${WGNET_QEMU_SMP:-2})) CPUs, ${WGNET_QEMU_MEM:-4G}, TCG) to run $test_name on kernel WireGuard; console: $out"
t0=$(date +%s)
set +e
timeout "$boot_timeout" qemu-system-x86_64 -accel tcg -m "${WGNET_QEMU_MEM:-4G}" \
	-smp "${WGNET_QEMU_SMP:-2}" -nographic -no-reboot -nic none \
	-kernel "$VMLINUZ" -initrd "$initrd" \
	-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
	-append "console=ttyS0 panic=-1 loglevel=3 edd=off" </dev/null 2>&1 | tr -d '\r' | tee "$out"
qrc=${PIPESTATUS[0]}
set -e
secs=$(($(date +%s) - t0))
rc=$(sed -n 's/^WGNET-QEMU-E2E-END rc=\([0-9]*\)$/\1/p' "$out" | tail -n 1)
if [ "$qrc" -eq 124 ]; then
	log "FAILED: the guest did not finish within ${boot_timeout} s"
	exit 1
fi
if [ "$rc" != 0 ]; then
	log "FAILED: $test_name in the guest ended with '${rc:-nothing}' (qemu exit $qrc), ${secs} s"
	exit 1
fi
log "$test_name passed on kernel WireGuard in the guest (${secs} s of boot and test)"
