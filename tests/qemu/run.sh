#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# run.sh: wgnet against real kernel WireGuard. This machine's kernel has none, so Debian's
# kernel boots under qemu (TCG) with an initramfs holding busybox, the modules, test_wg_kernel
# (netlink/wg_genl*.c alone) and guest_mesh.sh (two wgnetd hosts in namespaces, on kernel
# WireGuard, with iproute2's ip, wg and curl); /init runs both, and they print their PASS/FAIL
# lines on the serial console.
#   exit 0: every check passed and the guest reached the end; 77: qemu missing (skip); else 1.
# Root only for apt-get download into the cache; WGNET_QEMU_CACHE overrides the cache dir.
# WGNETD and WGNET name the binaries to test (default: build/release/).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cache=${WGNET_QEMU_CACHE:-/var/cache/wgnet-qemu}
boot_timeout=${WGNET_QEMU_TIMEOUT:-180}
# dependencies first; more are added from each module's depends= field (libcrc32c needs a
# crc32c implementation that it asks for at load time: crc32c_generic; table bridge wgnet's
# meta expression is nft_meta_bridge's in the bridge family)
modules=(libcurve25519-generic udp_tunnel ip6_udp_tunnel poly1305-x86_64 libchacha chacha-x86_64
	libchacha20poly1305 curve25519-x86_64 wireguard veth
	crc32c_generic bridge nf_tables nft_ct nft_fib_inet nft_nat nft_masq nft_chain_nat
	nft_meta_bridge)
wgnetd=${WGNETD:-$repo/build/release/wgnetd}
wgnet=${WGNET:-$repo/build/release/wgnet}

log() { echo "qemu: $*" >&2; }

if ! command -v qemu-system-x86_64 >/dev/null; then
	echo "qemu: SKIP: qemu-system-x86_64 is not installed (apt-get install qemu-system-x86 cpio)"
	exit 77
fi
for tool in cpio gzip gcc busybox ip wg curl; do
	command -v "$tool" >/dev/null || { log "$tool is not installed"; exit 1; }
done
for bin in "$wgnetd" "$wgnet"; do
	[ -x "$bin" ] || { log "no $bin: build first, or set WGNETD and WGNET"; exit 1; }
done
if ! busybox --list >/dev/null 2>&1 || ldd "$(command -v busybox)" >/dev/null 2>&1; then
	log "busybox must be the static one (busybox-static)"
	exit 1
fi

work=$(mktemp -d /tmp/wgnet-qemu.XXXXXX)
trap 'rm -rf "$work"' EXIT

# ---- the kernel: Debian's current one, downloaded once and kept in the cache
# shellcheck source=tests/qemu/kernel.sh
. "$repo/tests/qemu/kernel.sh"
kernel_find || exit 1
vmlinuz=$VMLINUZ
moddir=$MODDIR

# ---- the test program, with the netlink files it needs
build=$work/build
mkdir -p "$build"
cflags=(-std=c11 -O2 -Wall -Wextra -Werror -D_GNU_SOURCE -I"$repo")
for f in nl link addr route wg wg_genl wg_genl_build wg_genl_parse; do
	gcc "${cflags[@]}" -c "$repo/netlink/$f.c" -o "$build/$f.o"
done
gcc "${cflags[@]}" "$repo/tests/qemu/test_wg_kernel.c" "$build"/*.o -o "$build/test_wg_kernel" \
	-lmnl -lsodium

# ---- the initramfs
root=$work/root
mkdir -p "$root"/{bin,sbin,proc,sys,dev,run,tmp,var,lib/modules,lib64,usr/bin,usr/sbin}
ln -s ../run "$root/var/run"		# iproute2 keeps its namespaces in /var/run/netns
cp "$(command -v busybox)" "$root/bin/busybox"
for applet in $(busybox --list); do
	[ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"
done
cp "$build/test_wg_kernel" "$root/bin/test_wg_kernel"
cp "$repo/tests/qemu/guest_mesh.sh" "$root/bin/guest_mesh.sh"
cp "$wgnetd" "$root/usr/sbin/wgnetd"
cp "$wgnet" "$root/usr/bin/wgnet"
cp "$(command -v ip)" "$root/usr/sbin/ip"	# busybox's ip has no netns
cp "$(command -v wg)" "$root/usr/bin/wg"
cp "$(command -v curl)" "$root/usr/bin/curl"
# every shared library ldd lists, the loader included, at the same path
for bin in "$build/test_wg_kernel" "$wgnetd" "$wgnet" "$(command -v ip)" "$(command -v wg)" \
	"$(command -v curl)"; do
	ldd "$bin" | grep -oE '/[^ ]+'
done | sort -u | while read -r lib; do
	mkdir -p "$root$(dirname "$lib")"
	cp -L "$lib" "$root$lib"
done

# name -> file, '-' and '_' being the same in module names
declare -A modfile
while read -r f; do
	n=$(basename "$f")
	n=${n%%.ko*}
	modfile[${n//-/_}]=$f
done < <(find "$moddir/kernel" -name '*.ko*')

order=()
declare -A seen
mod_add()
{
	local key=${1//-/_} f dep deps
	[ -n "${seen[$key]:-}" ] && return 0
	seen[$key]=1
	f=${modfile[$key]:-}
	[ -n "$f" ] || { log "module $1 not found in $moddir"; return 1; }
	case $f in
	*.ko.xz) xz -dc "$f" >"$work/$key.ko" ;;
	*.ko.zst) zstd -qdc "$f" >"$work/$key.ko" ;;
	*.ko.gz) gzip -dc "$f" >"$work/$key.ko" ;;
	*) cp "$f" "$work/$key.ko" ;;
	esac
	deps=$(strings "$work/$key.ko" | sed -n 's/^depends=//p' | head -n 1)
	for dep in ${deps//,/ }; do
		mod_add "$dep" || return 1
	done
	mv "$work/$key.ko" "$root/lib/modules/$key.ko"
	order+=("$key")
}
for m in "${modules[@]}"; do
	mod_add "$m" || exit 1
done

{
	echo '#!/bin/sh'
	echo 'mount -t proc proc /proc'
	echo 'mount -t sysfs sysfs /sys'
	echo 'mount -t devtmpfs devtmpfs /dev'
	echo 'mount -t tmpfs tmpfs /run'
	echo 'echo WGNET-QEMU-BOOTED'
	for m in "${order[@]}"; do
		echo "insmod /lib/modules/$m.ko || echo 'FAIL insmod $m'"
	done
	echo '/bin/test_wg_kernel'
	echo 'rc=$?'
	echo 'sh /bin/guest_mesh.sh && echo WGNET-QEMU-MESH-DONE'
	echo 'echo "WGNET-QEMU-END rc=$rc"'
	echo 'poweroff -f'
} >"$root/init"
chmod 755 "$root/init"

initrd=$work/initrd.gz
initramfs_pack "$root" "$initrd" || exit 1
log "booting $(basename "$vmlinuz") with ${#order[@]} modules, initramfs $((INITRD_SIZE / 1024)) KiB"

# ---- boot: TCG (the CPU here offers no virtualisation to KVM), the console on stdio
out=$work/console.log
t0=$(date +%s)
set +e
timeout "$boot_timeout" qemu-system-x86_64 -accel tcg -m 512 -smp 1 -nographic -no-reboot \
	-kernel "$vmlinuz" -initrd "$initrd" \
	-append "console=ttyS0 panic=-1 loglevel=3 edd=off" </dev/null >"$out" 2>&1
qrc=$?
set -e
tr -d '\r' <"$out" | grep -E '^(PASS|FAIL|kernel:|#|WGNET-QEMU)' || true
secs=$(($(date +%s) - t0))

pass=$(tr -d '\r' <"$out" | grep -c '^PASS ' || true)
fail=$(tr -d '\r' <"$out" | grep -c '^FAIL ' || true)
if [ "$qrc" -eq 124 ]; then
	log "the guest did not finish within ${boot_timeout} s; its console:"
	tr -d '\r' <"$out" | tail -n 40 >&2
	exit 1
fi
if ! tr -d '\r' <"$out" | grep -q '^WGNET-QEMU-END rc=0$' ||
	! tr -d '\r' <"$out" | grep -q '^WGNET-QEMU-MESH-DONE$' || [ "$fail" -ne 0 ] ||
	[ "$pass" -eq 0 ]; then
	log "FAILED: $pass passed, $fail failed, qemu exit $qrc, ${secs} s; the console's end:"
	tr -d '\r' <"$out" | tail -n 40 >&2
	exit 1
fi
log "all $pass checks passed in the guest (${secs} s of boot and test)"
exit 0
