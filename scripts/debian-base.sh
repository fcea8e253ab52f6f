#!/usr/bin/env bash
# debian-base.sh NAME...: for each base image the Dockerfile names (debian:bookworm,
# debian:bookworm-slim, debian:trixie-slim), print the path of a root file system tarball for
# `docker import - NAME`, where no registry can be reached. Each suite is made once with
# `debootstrap --variant=minbase` from the mirror of the system's Debian source (as Debian's
# official images are, by debuerreotype); -slim is the same tree with its documentation, man
# pages and locales removed and excluded from later installs (debuerreotype-slimify's list).
# The tarballs live in $WGNET_E2E_CACHE/debian-base (default /var/cache/wgnet-e2e, beside
# forky.sh's tree) and are reused by later runs; a failed debootstrap fails loudly and leaves
# nothing half-made behind.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=${WGNET_E2E_CACHE:-/var/cache/wgnet-e2e}/debian-base
# bump when the recipe changes: the next run then makes the tarballs again
recipe=1

# tarball NAME: its path in the cache (debian:bookworm-slim -> debian-bookworm-slim.r1.tar)
tarball()
{
	echo "$cache/${1/:/-}.r$recipe.tar"
}

# slimify ROOT: what debuerreotype-slimify does to a -slim image
slimify()
{
	local root=$1 d
	mkdir -p "$root/etc/dpkg/dpkg.cfg.d"
	cat >"$root/etc/dpkg/dpkg.cfg.d/docker" <<-'EOF'
		# as Debian's official -slim images: no documentation, man pages or locales
		path-exclude /usr/share/doc/*
		path-include /usr/share/doc/*/copyright
		path-exclude /usr/share/groff/*
		path-exclude /usr/share/info/*
		path-exclude /usr/share/linda/*
		path-exclude /usr/share/lintian/overrides/*
		path-exclude /usr/share/locale/*
		path-include /usr/share/locale/locale.alias
		path-exclude /usr/share/man/*
	EOF
	find "$root/usr/share/doc" -mindepth 1 ! -type d ! -name copyright -delete
	find "$root/usr/share/locale" -mindepth 1 ! -type d ! -name locale.alias -delete
	for d in groff info linda lintian/overrides man; do
		d=$root/usr/share/$d
		if [ -d "$d" ]; then
			find "$d" -mindepth 1 ! -type d -delete
		fi
	done
	find "$root/usr/share/doc" "$root/usr/share/locale" "$root/usr/share/man" -mindepth 1 \
		-type d -empty -delete
}

# pack ROOT OUT: ROOT as a tarball for docker import (no device nodes: dockerd makes /dev)
pack()
{
	tar -C "$1" --numeric-owner --exclude='./dev/*' --exclude='./proc/*' --exclude='./sys/*' \
		-cf "$2.tmp" .
	mv "$2.tmp" "$2"
}

# make_suite SUITE: debootstrap SUITE once, then its tarballs (full and -slim)
make_suite()
{
	local suite=$1 root log start
	root=$cache/$suite.tmp.$$
	log=$cache/$suite.log
	rm -rf "$root"
	start=$(date +%s)
	echo "debian-base.sh: debootstrap $suite from $mirror (once, into $cache)" >&2
	if ! debootstrap --variant=minbase "$suite" "$root" "$mirror" >"$log" 2>&1; then
		echo "debian-base.sh: debootstrap $suite failed, last lines of $log:" >&2
		tail -n 20 "$log" >&2
		rm -rf "$root"
		return 1
	fi
	# as in the official images: no package lists or downloaded packages
	rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/archives/*.deb
	rm -f "$cache/debian-$suite".r*.tar "$cache/debian-$suite-slim".r*.tar	# older recipes
	pack "$root" "$(tarball "debian:$suite")"
	slimify "$root"
	pack "$root" "$(tarball "debian:$suite-slim")"
	rm -rf "$root"
	echo "debian-base.sh: debian:$suite and debian:$suite-slim ready in" \
		"$(($(date +%s) - start)) s" >&2
}

[ $# -gt 0 ] || { echo "usage: debian-base.sh NAME..." >&2; exit 2; }
for name in "$@"; do
	case $name in
	debian:bookworm | debian:bookworm-slim | debian:trixie | debian:trixie-slim) ;;
	*) echo "debian-base.sh: $name: not one of debian:{bookworm,trixie}[-slim]" >&2; exit 2 ;;
	esac
done

mkdir -p "$cache"
# one debootstrap at a time, even with several runs starting together
exec 9>"$cache/.lock"
flock 9
# a run killed half-way (we hold the lock: no other run is making one)
rm -rf --one-file-system "$cache"/*.tmp.*
mirror=""
for name in "$@"; do
	[ -e "$(tarball "$name")" ] && continue
	if ! command -v debootstrap >/dev/null; then
		echo "debian-base.sh: debootstrap is missing (run scripts/setup.sh)" >&2
		exit 1
	fi
	[ -n "$mirror" ] || mirror=$(bash "$here/debian-mirror.sh")
	suite=${name#debian:}
	make_suite "${suite%-slim}"
done
for name in "$@"; do
	tarball "$name"
done
