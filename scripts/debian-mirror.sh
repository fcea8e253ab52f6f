#!/usr/bin/env bash
# debian-mirror.sh: print the mirror URI of the system's Debian entry (not debian-security),
# read from the deb822 or the one-line apt sources; deb.debian.org if there is none.
set -euo pipefail

mirror=""
if [ -r /etc/apt/sources.list.d/debian.sources ]; then
	mirror=$(awk '
		/^URIs:/ { for (i = 2; i <= NF; i++) if ($i !~ /security/) { print $i; exit } }
	' /etc/apt/sources.list.d/debian.sources)
fi
if [ -z "$mirror" ] && [ -r /etc/apt/sources.list ]; then
	mirror=$(awk '$1 == "deb" && $0 !~ /security/ {
		for (i = 2; i <= NF; i++) if ($i ~ /^[a-z+]+:\/\//) { print $i; exit }
	}' /etc/apt/sources.list)
fi
echo "${mirror:-http://deb.debian.org/debian}"
