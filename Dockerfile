# The managed plugin's root file system (scripts/build-plugin.sh --image turns it into the
# plugin; --local assembles the same layout from this machine when no base image can be pulled).
# CI builds it without a registry: scripts/build-plugin-image.sh, in tests/e2e/test_plugin_forky.sh.
#   build:     Debian 12 with the -dev packages; wgnetd and wgnet, RelWithDebInfo
#   wireguard: Debian 13's wireguard-go (faster than Debian 12's; scripts/fetch-wireguard-go.sh)
#   runtime:   Debian 12 slim with the runtime libraries and iptables, both variants
#              (iptables-nft and iptables-legacy: wgnetd picks the one the host's dockerd uses,
#              WGNET_IPTABLES=auto)
FROM debian:bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends \
		build-essential cmake pkg-config libmicrohttpd-dev libjansson-dev libmnl-dev \
		libnftnl-dev libsodium-dev libcurl4-openssl-dev libcmocka-dev \
	&& rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY CMakeLists.txt ./
COPY process process
COPY netlink netlink
COPY driver driver
COPY plugin plugin
COPY systemd systemd
COPY tests tests
COPY bench bench
RUN cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=gcc \
	&& cmake --build build -j"$(nproc)" --target wgnetd wgnet

FROM debian:trixie-slim AS wireguard
RUN apt-get update && apt-get install -y --no-install-recommends wireguard-go \
	&& rm -rf /var/lib/apt/lists/*

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends \
		libmicrohttpd12 libjansson4 libmnl0 libnftnl11 libsodium23 libcurl4 iptables \
	&& rm -rf /var/lib/apt/lists/* \
	&& mkdir -p /run/docker/plugins /run/wgnet /run/wireguard /var/lib/wgnet /host/sys/fs/cgroup
COPY --from=wireguard /usr/bin/wireguard-go /usr/bin/wireguard-go
COPY --from=build /src/build/wgnetd /usr/sbin/wgnetd
COPY --from=build /src/build/wgnet /usr/bin/wgnet
ENTRYPOINT ["/usr/sbin/wgnetd"]
