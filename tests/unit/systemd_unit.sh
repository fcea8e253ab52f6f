#!/usr/bin/env bash
# systemd_unit.sh BUILD_DIR: the unit that `cmake --install` puts in place parses cleanly
# (systemd-analyze verify, against a copy of this machine's units in a scratch root, since
# systemd is not PID 1 here) and holds what the README promises: wgnetd starts before
# docker.service, is restarted on failure, and a stop signals only wgnetd (KillMode=process:
# wireguard-go keeps the tunnel up). Skipped (77) without systemd-analyze.
set -uo pipefail
build=${1:?usage: systemd_unit.sh BUILD_DIR}
command -v systemd-analyze >/dev/null || { echo "systemd-analyze missing: skipped"; exit 77; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/wgnet-unit.$$.XXXXXX")
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
tmp_rm() { rm -rf "$tmp"; }
on_exit tmp_rm

DESTDIR=$tmp/root cmake --install "$build" >"$tmp/install.log" 2>&1 ||
	die "cmake --install" "$(tail -n 5 "$tmp/install.log")"
unit=$(cd "$tmp/root" && find . -name wgnetd.service | sed 's/^\.//')
[ -n "$unit" ] || die "no wgnetd.service installed"
# docker.service, network-online.target, multi-user.target and sysinit.target must resolve
mkdir -p "$tmp/root/usr/lib/systemd"
cp -a /usr/lib/systemd/system "$tmp/root/usr/lib/systemd/"
# verify exits 0 after warnings it "ignores" (an unknown key, a bad Restart=): none may appear
out=$(systemd-analyze verify --man=no --root="$tmp/root" "$unit" 2>&1)
rc=$?
assert_eq "systemd-analyze verify $unit: no complaint" "0:" "$rc:$out"

f=$tmp/root$unit
for want in Before=docker.service WantedBy=docker.service WantedBy=multi-user.target \
	Restart=on-failure KillMode=process "ExecStart=/.*/sbin/wgnetd$"; do
	assert_match "unit has $want" "^$want" "$(cat "$f")"
done
unit_finish
