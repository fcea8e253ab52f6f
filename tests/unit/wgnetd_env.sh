#!/usr/bin/env bash
# wgnetd_env.sh WGNETD: the managed plugin's settings (config.json "env") are checked before
# wgnetd does anything: a bad value exits 2 with a line naming the variable and what it takes;
# good values pass (--help then exits 0). An option wins over its variable.
set -uo pipefail
wgnetd=${1:?usage: wgnetd_env.sh WGNETD}
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# refused VAR=VALUE EXPECTED-MESSAGE
refused()
{
	local out rc
	out=$(env "$1" "$wgnetd" --help 2>&1 >/dev/null)
	rc=$?
	assert_eq "$1: exit 2" 2 "$rc"
	assert_eq "$1: the message" "$2" "$out"
}

refused WGNET_MTU=abc 'wgnetd: WGNET_MTU "abc" is not an MTU 1280..9000'
refused WGNET_MTU=1279 'wgnetd: WGNET_MTU "1279" is not an MTU 1280..9000'
refused WGNET_MTU=-1400 'wgnetd: WGNET_MTU "-1400" is not an MTU 1280..9000'
refused WGNET_LISTEN_PORT=65536 'wgnetd: WGNET_LISTEN_PORT "65536" is not a port number 1..65535'
refused WGNET_LISTEN_PORT=0x10 'wgnetd: WGNET_LISTEN_PORT "0x10" is not a port number 1..65535'
refused WGNET_WG_BACKEND=fast 'wgnetd: WGNET_WG_BACKEND "fast" is not auto, kernel or userspace'
refused WGNET_LOG_LEVEL=loud 'wgnetd: WGNET_LOG_LEVEL "loud" is not error, warn, info or debug'
long=/$(printf 'x%.0s' $(seq 1 110))
refused "WGNET_DOCKER_SOCKET=$long" "wgnetd: WGNET_DOCKER_SOCKET \"$long\" is not a socket path of at most 107 bytes"
metrics_takes='is not ADDR:PORT (a numeric IPv4 or [IPv6] address, a port 1..65535)'
refused WGNET_METRICS=localhost:9586 "wgnetd: WGNET_METRICS \"localhost:9586\" $metrics_takes"
refused WGNET_METRICS=127.0.0.1 "wgnetd: WGNET_METRICS \"127.0.0.1\" $metrics_takes"
refused WGNET_METRICS=127.0.0.1:0 "wgnetd: WGNET_METRICS \"127.0.0.1:0\" $metrics_takes"
refused WGNET_METRICS=::1:9586 "wgnetd: WGNET_METRICS \"::1:9586\" $metrics_takes"
assert_ok "good values and empty ones pass" env WGNET_MTU=9000 WGNET_LISTEN_PORT=1 \
	WGNET_WG_BACKEND=userspace WGNET_LOG_LEVEL=debug WGNET_IPTABLES=auto WGNET_MTU= \
	WGNET_METRICS=127.0.0.1:9586 "$wgnetd" --help
assert_ok "an IPv6 address in brackets passes" env WGNET_METRICS='[::1]:9586' "$wgnetd" --help
out=$("$wgnetd" --mtu 80 --help 2>&1 >/dev/null)
assert_eq "options are checked the same way" 'wgnetd: --mtu "80" is not an MTU 1280..9000' "$out"
unit_finish
