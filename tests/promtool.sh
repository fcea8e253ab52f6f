#!/usr/bin/env bash
# promtool.sh: print the path of Prometheus' promtool, taken once out of Debian's prometheus
# package (apt-get download, dpkg-deb -x) into $WGNET_E2E_CACHE (default /var/cache/wgnet-e2e):
# `promtool check metrics` judges wgnet's exposition. The package itself is never installed:
# it would start a Prometheus server. One that is already on PATH is taken as it is.
set -euo pipefail

if command -v promtool >/dev/null; then
	command -v promtool
	exit 0
fi
cache=${WGNET_E2E_CACHE:-/var/cache/wgnet-e2e}
bin=$cache/promtool/usr/bin/promtool
[ -x "$bin" ] && { echo "$bin"; exit 0; }
mkdir -p "$cache"
exec 9>"$cache/promtool.lock"
flock 9
[ -x "$bin" ] && { echo "$bin"; exit 0; }
tmp=$cache/promtool.tmp.$$
rm -rf "$tmp" "$cache/promtool"
mkdir -p "$tmp/deb"
if ! (cd "$tmp/deb" && apt-get download prometheus >"$cache/promtool.log" 2>&1) ||
	! dpkg-deb -x "$tmp"/deb/prometheus_*.deb "$tmp/root" >>"$cache/promtool.log" 2>&1 ||
	[ ! -x "$tmp/root/usr/bin/promtool" ]; then
	echo "promtool.sh: could not take promtool out of Debian's prometheus package" \
		"(apt-get download prometheus; log: $cache/promtool.log):" >&2
	tail -n 5 "$cache/promtool.log" >&2
	rm -rf "$tmp"
	exit 1
fi
mkdir -p "$cache/promtool/usr/bin"
mv "$tmp/root/usr/bin/promtool" "$bin"
rm -rf "$tmp"
echo "$bin"
