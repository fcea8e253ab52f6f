#!/usr/bin/env bash
# fetch-wireguard-go.sh: install Debian 13 (trixie)'s wireguard-go 0.0.20231211 on Debian 12.
# Debian 12's 0.0.20220316 has no UDP GSO/GRO and is ~5x slower here (simulated-hosts.md); the
# trixie package depends only on libc6 (>= 2.34). It is fetched through a private apt source list
# and private list/cache directories, so the system's apt configuration and lists are untouched.
set -euo pipefail

want=0.0.20231211
suite=trixie
keyring=/usr/share/keyrings/debian-archive-keyring.gpg

have=$(dpkg-query -W -f='${Version}' wireguard-go 2>/dev/null || true)
case "$have" in
"$want"-*)
	echo "fetch-wireguard-go.sh: wireguard-go $have already installed"
	exit 0
	;;
esac

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
mirror=$(bash "$here/debian-mirror.sh")

# trixie's Release is signed with keys that Debian 12's debian-archive-keyring carries from
# 2023.3+deb12u1 on (a bookworm point-release update); apt checks the signature against it, so
# an older keyring is upgraded from the system's own sources rather than skipping the check.
if [ ! -e "/usr/share/keyrings/debian-archive-$suite-stable.gpg" ]; then
	echo "fetch-wireguard-go.sh: $keyring has no $suite key: upgrading debian-archive-keyring"
	apt-get update -q
	apt-get install -y -q --no-install-recommends debian-archive-keyring
fi
work=$(mktemp -d /tmp/wgnet-wggo.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lists/partial" "$work/cache/archives/partial"
cat >"$work/$suite.sources" <<SRC
Types: deb
URIs: $mirror
Suites: $suite
Components: main
Signed-By: $keyring
SRC

apt_private=(-o "Dir::Etc::sourcelist=$work/$suite.sources" -o Dir::Etc::sourceparts=-
	-o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache"
	-o APT::Sandbox::User=root)

echo "fetch-wireguard-go.sh: fetching wireguard-go $want from $mirror $suite"
apt-get "${apt_private[@]}" -q update
version=$(apt-cache "${apt_private[@]}" policy wireguard-go |
	awk '$1 == "Candidate:" { print $2 }')
case "$version" in
"$want"-*) ;;
*)
	echo "fetch-wireguard-go.sh: $suite offers wireguard-go '$version', not $want" >&2
	exit 1
	;;
esac
(cd "$work" && apt-get "${apt_private[@]}" -q download "wireguard-go=$version")
dpkg -i "$work"/wireguard-go_*.deb
wireguard-go --version
