#!/usr/bin/env bash
# test_plugin.sh: wgnet as a managed Docker plugin on two simulated hosts (dockerd 20.10;
# test_plugin_forky.sh: 28.5). The plugin's rootfs is what WGNET_PLUGIN_ROOTFS names: local (the
# default: scripts/build-plugin.sh --local assembles it from this machine) or image (the
# Dockerfile built by scripts/build-plugin-image.sh from debootstrapped base images in a dockerd
# of its own; test_plugin_forky.sh). The plugin is created on host 1, refused with a bad
# `docker plugin set` value, pushed to a docker-registry on 127.0.0.1:5000
# and installed with `--alias wgnet` on both hosts (each host has its own registry process on
# its own loopback, sharing one storage directory). The host's wgnet CLI drives the plugin
# through /run/wgnet; containers on the two hosts talk; disable, upgrade and enable keep the
# host's key, peers, networks and the running containers' connectivity.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

POOL=10.210.0.0/16
REG=127.0.0.1:5000
REF=$REG/wgnet:latest
NAME=wgnet:latest
PDIR=/tmp/wgnet-plugin.$E2E_ID	# /tmp: seen by forky's docker CLI too
ROOTFS=${WGNET_PLUGIN_ROOTFS:-local}
# what Debian 13's wireguard-go 0.0.20231211 says it is (Debian 12's 0.0.20220316 says its own)
WG_GO_DEBIAN13="wireguard-go v0.0.20230223"

# registry_start i: docker-registry on 127.0.0.1:5000 in host i (storage shared by all hosts)
registry_start()
{
	local i=$1 cfg=$E2E_RUN/registry.yml ns
	ns=$(host_ns "$i")
	cat >"$cfg" <<-EOF
		version: 0.1
		log: { level: warn }
		storage: { filesystem: { rootdirectory: $E2E_RUN/registry } }
		http: { addr: "$REG" }
	EOF
	ip netns exec "$ns" docker-registry serve "$cfg" \
		>>"$(host_dir "$i")/registry.log" 2>&1 &
	disown $!
	retry 10 ip netns exec "$ns" curl -sf "http://$REG/v2/" || die "host $i: docker-registry on $REG"
}

# compose_on i ARGS...: Debian 12's docker-compose (1.29) with examples/compose/ in host i,
# on the managed plugin's driver name and a pool of its own
compose_on()
{
	local i=$1
	shift
	host_exec "$i" env IMAGE=bb:latest WGNET_DRIVER="$NAME" WGNET_SUBNET=10.220.0.0/16 \
		WGNET_DNS=10.220.0.53 \
		DOCKER_HOST=unix:///run/docker.sock docker-compose -p demo \
		-f "$E2E_REPO/examples/compose/docker-compose.yml" "$@"
}

# fetch i CTR URL: the page, from container CTR of host i
fetch()
{
	docker_on "$1" exec "$2" timeout 5 wget -qO- "$3"
}

plugin_cleanup()
{
	rm -rf "$PDIR"
}

e2e_init
on_exit plugin_cleanup
host_up 1 2
for i in 1 2; do
	registry_start "$i"
	# the mounts' sources must exist (runc does not make them): README, Managed plugin
	host_exec "$i" mkdir -p -m 0700 /var/lib/wgnet /run/wgnet /run/wireguard
done
case $ROOTFS in
local)
	assert_ok "build-plugin.sh --local assembles the plugin directory" \
		bash "$E2E_REPO/scripts/build-plugin.sh" --local "$PDIR"
	;;
image)
	log=$E2E_RUN/image-build.log
	if ! bash "$E2E_REPO/scripts/build-plugin-image.sh" "$PDIR" >"$log" 2>&1; then
		keep=/tmp/wgnet-e2e-logs.$E2E_ID	# where e2e_dump_logs keeps the hosts' logs
		mkdir -p "$keep"
		cp "$log" "$keep/"
		die "the Dockerfile builds (build-plugin-image.sh: build-plugin.sh --image)" \
			"$(tail -n 20 "$log")" "(all in $keep/image-build.log)"
	fi
	pass "the Dockerfile builds (build-plugin-image.sh: build-plugin.sh --image): $(
		tail -n 1 "$log")"
	assert_match "the rootfs is the image's: Debian 12 (bookworm-slim)" '^12\.' \
		"$(cat "$PDIR/rootfs/etc/debian_version")"
	assert_eq "the image's wireguard-go is Debian 13's (trixie-slim stage)" "$WG_GO_DEBIAN13" \
		"$(chroot "$PDIR/rootfs" /usr/bin/wireguard-go --version | head -n 1)"
	;;
*) die "WGNET_PLUGIN_ROOTFS must be local or image, not '$ROOTFS'" ;;
esac

# ---- create, a bad setting, push
assert_ok "host 1: docker plugin create $REF" docker_on 1 plugin create "$REF" "$PDIR"
assert_ok "host 1: docker plugin set WGNET_MTU=abc" docker_on 1 plugin set "$REF" WGNET_MTU=abc
assert_fails "host 1: docker plugin enable refuses the bad MTU" \
	docker_on 1 plugin enable --timeout 10 "$REF"
assert_match "host 1: the plugin's log says why" 'WGNET_MTU \\?"abc\\?" is not an MTU 1280..9000' \
	"$(grep WGNET_MTU "$(host_dir 1)/dockerd.log")"
assert_ok "host 1: docker plugin set WGNET_MTU= (the default: the uplink's)" \
	docker_on 1 plugin set "$REF" WGNET_MTU=
assert_ok "host 1: docker plugin push $REF" docker_on 1 plugin push "$REF"
assert_ok "host 1: docker plugin rm" docker_on 1 plugin rm "$REF"

# ---- install on both hosts, the host's CLI through /run/wgnet
# host 1: an MTU given at install; host 2: the default, the uplink's (1500) minus 80
assert_ok "host 1: docker plugin install --alias wgnet $REF WGNET_MTU=1400" \
	docker_on 1 plugin install --grant-all-permissions --alias wgnet "$REF" WGNET_MTU=1400
assert_ok "host 2: docker plugin install --alias wgnet $REF" \
	docker_on 2 plugin install --grant-all-permissions --alias wgnet "$REF"
mesh_pair 1 2		# through /run/wgnet
assert_match "host 1: wgnet status talks to the managed plugin" "host2" "$(wgnet_on 1 status)"
assert_eq "host 1: WGNET_MTU given at install is the host's MTU" 1400 \
	"$(wgnet_on 1 status --json | jq .host.mtu)"
assert_eq "host 2: without WGNET_MTU, the uplink's MTU minus 80" 1420 \
	"$(wgnet_on 2 status --json | jq .host.mtu)"
assert_fails "-d wgnet (no tag) does not name the plugin" \
	docker_on 1 network create -d wgnet --ipam-driver wgnet --subnet "$POOL" bad
for i in 1 2; do
	assert_ok "host $i: network create -d $NAME --ipam-driver $NAME" docker_on "$i" network \
		create -d "$NAME" --ipam-driver "$NAME" --subnet "$POOL" app
done
docker_on 2 run -d --stop-timeout 1 --name web --network app bb:latest \
	sh -c 'echo hello-from-2 >/var/www/index.html && exec httpd -f -p 80 -h /var/www' \
	>/dev/null || die "host 2: docker run web"
docker_on 1 run -d --stop-timeout 1 --name client --network app bb:latest sleep 3600 \
	>/dev/null || die "host 1: docker run client"
web=$(container_ip 2 web app)
assert_ok "host 1's container fetches host 2's web by private IP" \
	retry 20 fetch 1 client "http://$web/"

# ---- disable, upgrade, enable on host 1: state and connectivity stay
wg_before=$(host_wg_pids 1)
before=$(wgnet_on 1 status --json | jq -c '{key: .host.public_key, peers: [.peers[].name],
	networks: [.networks[] | {pool, endpoints}]}')
assert_ok "host 1: docker plugin disable -f" docker_on 1 plugin disable -f "$NAME"
gw=10.210.1.1	# host 1's slice
assert_ok "host 1, plugin disabled: the container still reaches its gateway $gw" \
	docker_on 1 exec client ping -c 1 -W 2 "$gw"
# the data path does not need the plugin's process: wireguard-go was moved out of the plugin's
# cgroup, which dockerd kills when it stops the plugin (config.json, WGNET_WG_CGROUP_ROOT)
assert_ok "host 1, plugin disabled: the container still fetches host 2's web (tunnel up)" \
	fetch 1 client "http://$web/"
assert_ok "host 1: docker plugin upgrade (same reference, rootfs replaced)" \
	docker_on 1 plugin upgrade --grant-all-permissions "$NAME" "$REF"
assert_ok "host 1: docker plugin enable" docker_on 1 plugin enable "$NAME"
after=$(wgnet_on 1 status --json | jq -c '{key: .host.public_key, peers: [.peers[].name],
	networks: [.networks[] | {pool, endpoints}]}')
assert_eq "host 1: key, peers and networks kept across disable/upgrade/enable" "$before" "$after"
assert_eq "host 1: the same wireguard-go, adopted by the upgraded plugin" "$wg_before" \
	"$(host_wg_pids 1)"
assert_ok "host 1's running container still reaches host 2's web" \
	retry 20 fetch 1 client "http://$web/"
assert_ok "host 1: a new container starts on the network" \
	docker_on 1 run --rm --network app bb:latest true

# ---- examples/compose/ on both hosts
assert_ok "host 2: docker-compose up -d web" compose_on 2 up -d web
assert_ok "host 1: docker-compose up -d client" compose_on 1 up -d client
web=$(container_ip 2 demo_web_1 demo_app)
assert_match "compose: web is in host 2's slice of the pool" '^10\.220\.2\.' "$web"
assert_match "compose: host 1's client fetches host 2's web by IP" "hello from" \
	"$(retry 20 fetch 1 demo_client_1 "http://$web/" && fetch 1 demo_client_1 "http://$web/")"
# the plugin reads the names of host 2's containers through the Docker socket it mounts, and
# host 1's asks host 2 for them over the tunnel (join lines)
assert_match "compose: host 1's client fetches http://web/ on host 2 by its name" "hello from" \
	"$(retry 20 fetch 1 demo_client_1 http://web/ && fetch 1 demo_client_1 http://web/)"
for i in 1 2; do
	assert_ok "host $i: docker-compose down" compose_on "$i" down -t 1
done

e2e_finish
