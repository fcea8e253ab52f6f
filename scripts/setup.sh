#!/usr/bin/env bash
# setup.sh: install everything wgnet needs to build and test on Debian 12 (root, non-interactive,
# idempotent: a second run installs nothing and takes a few seconds).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

if [ "$(id -u)" -ne 0 ]; then
	echo "setup.sh: run as root (sudo bash scripts/setup.sh)" >&2
	exit 1
fi

packages=(
	# build
	build-essential cmake pkg-config clang clang-tidy libclang-rt-14-dev
	libmicrohttpd-dev libjansson-dev libmnl-dev libnftnl-dev libsodium-dev
	libcurl4-openssl-dev libcmocka-dev
	# run and test: kernel tools, a real dockerd, the busybox test image, WireGuard tools
	nftables iptables iproute2 docker.io busybox-static wireguard-tools iputils-ping
	curl jq ca-certificates procps psmisc util-linux debootstrap iperf3 conntrack strace
	# names across hosts: dig asks the responders
	bind9-dnsutils
	# managed plugin and compose e2e: a local registry for push/install, Debian's compose 1.29
	docker-registry docker-compose
	# membership store tests: a real etcd cluster with TLS client certificates
	etcd-server etcd-client openssl
	# kernel tier: Debian's kernel under qemu for kernel WireGuard (tests/qemu/run.sh)
	qemu-system-x86 cpio
)

missing=()
for p in "${packages[@]}"; do
	# dpkg-query prints "install ok installed" only for a fully installed package
	if [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" != "install ok installed" ]; then
		missing+=("$p")
	fi
done

if [ ${#missing[@]} -gt 0 ]; then
	echo "setup.sh: installing ${missing[*]}"
	# docker.io's maintainer scripts would start the system dockerd where an init system runs;
	# the tests start their own dockerds in namespaces and never use or stop the system one.
	apt-get update -q
	apt-get install -y -q --no-install-recommends "${missing[@]}"
else
	echo "setup.sh: Debian packages already installed"
fi

bash "$here/fetch-wireguard-go.sh"
echo "setup.sh: done"
