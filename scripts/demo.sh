#!/usr/bin/env bash
# demo.sh: install what is needed, build, and show wgnet joining two Docker hosts. The hosts are
# simulated by tests/e2e/lib.sh (a network namespace each on a shared underlay 192.168.77.0/24,
# with its own dockerd and wgnetd). Both hosts are initialised and exchange join lines, the same
# wgnet network is created on both, a web server container runs on host 2 and a container on
# host 1 fetches its page by private IP through the WireGuard mesh; then `wgnet status` of both
# hosts, and everything is removed. With WGNETD and WGNET set (binaries built elsewhere), the
# setup and build steps are skipped.
set -uo pipefail
exec </dev/null

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo" || exit 1
if [ "$(id -u)" -ne 0 ]; then
	echo "demo.sh: run as root (it makes network namespaces and starts dockerd)" >&2
	exit 1
fi

if [ -z "${WGNETD:-}" ] || [ -z "${WGNET:-}" ]; then
	bash scripts/setup.sh || exit 1
	echo "demo.sh: building into build/release"
	WGNET_BUILD_QUIET=1 bash scripts/build-dir.sh release wgnetd wgnet || exit 1
	export WGNETD=$repo/build/release/wgnetd WGNET=$repo/build/release/wgnet
fi
# shellcheck source=../tests/e2e/lib.sh
. tests/e2e/lib.sh

POOL=10.210.0.0/16

# show i SHELL-TEXT CMD...: print the command as a user would type it on host i, run it
show()
{
	local i=$1
	echo
	echo "host$i# $2"
	shift 2
	"$@"
}

e2e_init
host_up 1 2
wgnetd_start 1
wgnetd_start 2

echo
echo "== 1. each host gets its index and endpoint, and prints its join line"
# --name: the simulated hosts share this machine's hostname, the default name, and the names of
# the hosts of a mesh must differ
for i in 1 2; do
	ep=$(host_ip "$i"):51820
	show "$i" "wgnet init --index $i --endpoint $ep --name host$i" \
		wgnet_on "$i" init --index "$i" --endpoint "$ep" --name "host$i" ||
		die "host $i: wgnet init"
done
join1=$(wgnet_on 1 join-line) || die "host 1: wgnet join-line"
join2=$(wgnet_on 2 join-line) || die "host 2: wgnet join-line"

echo
echo "== 2. each host adds the other's join line"
show 1 "wgnet peer add '$join2'" wgnet_on 1 peer add "$join2" || die "host 1: wgnet peer add"
show 2 "wgnet peer add '$join1'" wgnet_on 2 peer add "$join1" || die "host 2: wgnet peer add"

echo
echo "== 3. the same network on both hosts (host i gets the slice 10.210.i.0/24)"
for i in 1 2; do
	show "$i" "docker network create -d wgnet --ipam-driver wgnet --subnet $POOL app" \
		docker_on "$i" network create -d wgnet --ipam-driver wgnet --subnet "$POOL" app ||
		die "host $i: docker network create"
done

echo
echo "== 4. a web server on host 2, fetched by private IP from a container on host 1"
show 2 "docker run -d --name web --network app bb:latest httpd -f -p 80 -h /var/www" \
	docker_on 2 run -d --stop-timeout 1 --name web --network app bb:latest \
	sh -c 'echo "hello from the web container on host 2" >/var/www/index.html &&
		exec httpd -f -p 80 -h /var/www' || die "host 2: docker run web"
web=$(container_ip 2 web app)
echo "web's address: $web"
echo
echo "host1# docker run --rm --network app bb:latest wget -qO- http://$web/"
# the first packet waits for the WireGuard handshake: allow a few tries
reply=""
for try in 1 2 3 4 5; do
	reply=$(docker_on 1 run --rm --network app bb:latest timeout 5 wget -qO- "http://$web/") &&
		break
	echo "(try $try: no answer yet)"
	sleep 1
done
echo "$reply"
assert_eq "a container on host 1 got the page from host 2 by private IP" \
	"hello from the web container on host 2" "$reply"

echo
echo "== 5. the state of both hosts"
show 1 "wgnet status" wgnet_on 1 status
show 2 "wgnet status" wgnet_on 2 status

echo
echo "== cleaning up"
for i in 1 2; do
	docker_on "$i" rm -f web >/dev/null 2>&1
	docker_on "$i" network rm app >/dev/null
done
e2e_finish
