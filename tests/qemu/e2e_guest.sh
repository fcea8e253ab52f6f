#!/bin/bash
# SPDX-License-Identifier: MIT
# e2e_guest.sh ENVFILE: pid 1 of e2e_mesh.sh's guest, on the overlay of this machine's root.
# Mounts what a booted system has (proc, sys, cgroup2, /run, /tmp, /var/tmp as tmpfs), loads the
# modules dockerd and wgnet need from the kernel package's tree (busybox modprobe, modules.dep
# made by e2e_mesh.sh), runs the e2e test and prints WGNET-QEMU-E2E-END rc=N before powering off.
# shellcheck disable=SC1090
. "$1"
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root TERM=dumb

end()
{
	echo "WGNET-QEMU-E2E-END rc=$1"
	sync
	busybox poweroff -f
}

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm /dev/mqueue
# what udev or systemd would make: bash's <(...) needs /dev/fd
ln -sf /proc/self/fd /dev/fd
ln -sf /proc/self/fd/0 /dev/stdin
ln -sf /proc/self/fd/1 /dev/stdout
ln -sf /proc/self/fd/2 /dev/stderr
mount -t devpts -o newinstance,ptmxmode=0666 devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
mount -t mqueue mqueue /dev/mqueue
mount -t cgroup2 cgroup2 /sys/fs/cgroup || mount -t tmpfs tmpfs /sys/fs/cgroup
for d in /run /tmp /var/tmp; do
	mount -t tmpfs -o mode=1777 tmpfs "$d"
done
chmod 755 /run
hostname wgnet-qemu
echo "guest: $(uname -r), $(nproc) CPUs, $(awk '/MemTotal/ { print $2 / 1024 " MiB" }' /proc/meminfo)"

# the kernel package's modules where modprobe looks; busybox's modprobe for dockerd too
mkdir -p "/lib/modules/$KVER"
mount --bind "$MODDIR" "/lib/modules/$KVER"
command -v modprobe >/dev/null || ln -s "$(command -v busybox)" /usr/sbin/modprobe
mods=(wireguard veth bridge br_netfilter overlay nf_tables nfnetlink nf_conntrack
	nf_conntrack_netlink nf_nat nft_compat nft_ct nft_nat nft_masq nft_chain_nat nft_fib_inet
	nft_fib_ipv4 nft_fib_ipv6 nft_reject_inet nft_redir nft_meta_bridge nft_limit crc32c_generic
	x_tables xt_addrtype xt_conntrack xt_MASQUERADE xt_nat xt_tcpudp xt_mark xt_comment
	xt_multiport xt_physdev xt_state xt_REDIRECT ip_tables iptable_filter iptable_nat
	ip6_tables ip6table_filter ip6table_nat)
failed=()
for m in "${mods[@]}"; do
	modprobe "$m" 2>/dev/null || failed+=("$m")
done
echo "guest: $(wc -l </proc/modules) modules loaded${failed[*]:+; failed: ${failed[*]}}"
ip link add wgprobe type wireguard && ip link del wgprobe && echo "guest: kernel WireGuard works"
command -v wireguard-go >/dev/null && echo "guest: wireguard-go is installed (not to be used)"

cd "$REPO" || end 1
echo "guest: running $TEST with WGNET_E2E_WG_BACKEND=$WGNET_E2E_WG_BACKEND, WGNET_E2E_TIME_SCALE=$WGNET_E2E_TIME_SCALE"
t0=$(date +%s)
bash "$TEST" 2>&1
rc=$?
echo "guest: $(basename "$TEST") exit $rc after $(($(date +%s) - t0)) s"
end "$rc"
