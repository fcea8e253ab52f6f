#!/usr/bin/env bash
# demo.sh: install what is needed, build, and show wgnet on a simulated Docker host (a network
# namespace with its own dockerd and wgnetd, made by tests/e2e/lib.sh): a wgnet network, a web
# server container, a second container fetching its page by private IP, `wgnet status`, cleanup.
# The two-host demo (containers on different hosts over WireGuard) comes with the mesh.
set -uo pipefail
exec </dev/null

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo" || exit 1
if [ "$(id -u)" -ne 0 ]; then
	echo "demo.sh: run as root (it makes network namespaces and starts dockerd)" >&2
	exit 1
fi

bash scripts/setup.sh || exit 1
echo "demo.sh: building into build/release"
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null || exit 1
cmake --build build/release -j "$(nproc)" --target wgnetd wgnet >/dev/null || exit 1

export WGNETD=$repo/build/release/wgnetd WGNET=$repo/build/release/wgnet
# shellcheck source=../tests/e2e/lib.sh
. tests/e2e/lib.sh

# show SHELL-TEXT CMD...: print the command as a user would type it on the host, run it
show()
{
	echo
	echo "host1# $1"
	shift
	"$@"
}

e2e_init
host_up 1
wgnetd_start 1

show "wgnet init --index 1" wgnet_on 1 init --index 1 || die "wgnet init"
show "docker network create -d wgnet --ipam-driver wgnet --subnet 10.210.0.0/16 app" \
	docker_on 1 network create -d wgnet --ipam-driver wgnet --subnet 10.210.0.0/16 app ||
	die "docker network create"
show "docker run -d --name web --network app bb:latest httpd -f -p 80 -h /var/www" \
	docker_on 1 run -d --stop-timeout 1 --name web --network app bb:latest \
	sh -c 'echo "hello from the web container" >/var/www/index.html &&
		exec httpd -f -p 80 -h /var/www' || die "docker run web"
web=$(container_ip 1 web app)
echo "web's address: $web"
echo
echo "host1# docker run --rm --network app bb:latest wget -qO- http://$web/"
reply=$(docker_on 1 run --rm --network app bb:latest timeout 5 wget -qO- "http://$web/")
echo "$reply"
assert_eq "the client container got the page by private IP" "hello from the web container" \
	"$reply"
show "wgnet status" wgnet_on 1 status

echo
echo "cleaning up"
docker_on 1 rm -f web >/dev/null
docker_on 1 network rm app >/dev/null
e2e_finish
