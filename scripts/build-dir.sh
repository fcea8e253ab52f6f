#!/usr/bin/env bash
# build-dir.sh [--configure-only] KIND [TARGET...]: configure build/KIND the one way every script
# uses (test.sh, demo.sh, bench/run, build-plugin.sh), then build TARGETs (everything when none is
# named).
#   release   gcc, RelWithDebInfo
#   sanitize  gcc, Debug, ASan + UBSan (WGNET_SANITIZE=ON)
#   fuzz      clang, RelWithDebInfo, libFuzzer (WGNET_FUZZ=ON, WGNET_FUZZ_SECONDS, default 20)
# all with compile_commands.json (scripts/lint.sh reads it).
#
# Why one place: CMake wipes its cache when the compiler of a configured directory changes and
# then drops the other -D of that command line. demo.sh configuring build/release without a
# compiler and test.sh then passing one left build/release with no build type and no
# compile_commands.json. Here a directory configured with another compiler is wiped first, and
# after configuring, the cache is checked for every value asked for: a directory that still lacks
# one is refused with the value named, never built half-configured.
#
# Environment: WGNET_BUILD_ROOT (default <repo>/build), WGNET_BUILD_QUIET=1 (configure and build
# output only on failure).
set -uo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=1
if [ "${1:-}" = --configure-only ]; then
	build=0
	shift
fi
kind=${1:-}
[ $# -gt 0 ] && shift
root=${WGNET_BUILD_ROOT:-$repo/build}
dir=$root/$kind

case "$kind" in
release)
	cc=gcc
	args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DWGNET_SANITIZE=OFF -DWGNET_FUZZ=OFF)
	;;
sanitize)
	cc=gcc
	args=(-DCMAKE_BUILD_TYPE=Debug -DWGNET_SANITIZE=ON -DWGNET_FUZZ=OFF)
	;;
fuzz)
	cc=clang
	args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DWGNET_SANITIZE=OFF -DWGNET_FUZZ=ON
		-DWGNET_FUZZ_SECONDS="${WGNET_FUZZ_SECONDS:-20}")
	;;
*)
	echo "usage: build-dir.sh [--configure-only] release|sanitize|fuzz [TARGET...]" >&2
	exit 2
	;;
esac
cc_path=$(command -v "$cc") || { echo "build-dir.sh: $cc is not installed" >&2; exit 1; }
args+=(-DCMAKE_C_COMPILER="$cc" -DCMAKE_EXPORT_COMPILE_COMMANDS=ON)

# cache_get NAME: the value of NAME in the directory's CMakeCache.txt (nothing if absent)
cache_get()
{
	sed -n "s/^$1:[A-Z]*=//p" "$dir/CMakeCache.txt" 2>/dev/null | head -n 1
}

# cache_mismatch: print the first asked-for value the cache lacks; status 0 when one does
cache_mismatch()
{
	local a name want have
	have=$(cache_get CMAKE_C_COMPILER)
	# as CMake compares it: the path, not what it links to (cc -> gcc is a change to CMake)
	[[ "$have" == /* ]] || have=$(command -v "$have")
	if [ "$have" != "$cc_path" ]; then
		echo "CMAKE_C_COMPILER is '$have', not $cc ($cc_path)"
		return 0
	fi
	for a in "${args[@]}"; do
		a=${a#-D}
		name=${a%%=*}
		want=${a#*=}
		[ "$name" = CMAKE_C_COMPILER ] && continue
		have=$(cache_get "$name")
		if [ "$have" != "$want" ]; then
			echo "$name is '$have', not '$want'"
			return 0
		fi
	done
	return 1
}

# quietly LOG CMD...: run CMD, its output into LOG; shown when it fails (or always, not quiet)
quietly()
{
	local log=$1
	shift
	if [ "${WGNET_BUILD_QUIET:-0}" = 1 ]; then
		"$@" >"$log" 2>&1 || { cat "$log" >&2; return 1; }
	else
		"$@" 2>&1 | tee "$log"
	fi
}

mkdir -p "$dir"
if [ -e "$dir/CMakeCache.txt" ] && why=$(cache_mismatch) && [[ "$why" == CMAKE_C_COMPILER* ]]; then
	# CMake would wipe the cache itself, and with it this command line's other values
	echo "build-dir.sh: $dir was configured with another compiler ($why): configuring it afresh"
	rm -rf "$dir/CMakeCache.txt" "$dir/CMakeFiles"
fi
if ! cmake -S "$repo" -B "$dir" "${args[@]}" >"$dir.configure.log" 2>&1; then
	cat "$dir.configure.log" >&2
	echo "build-dir.sh: configuring $dir failed (log: $dir.configure.log)" >&2
	exit 1
fi
if why=$(cache_mismatch) || [ ! -e "$dir/compile_commands.json" ]; then
	echo "build-dir.sh: $dir is not configured as a $kind build: ${why:-compile_commands.json missing}" >&2
	echo "build-dir.sh: remove $dir and run this again" >&2
	exit 1
fi
[ "$build" = 1 ] || exit 0

targets=()
for t in "$@"; do
	targets+=(--target "$t")
done
quietly "$dir.build.log" cmake --build "$dir" -j "$(nproc 2>/dev/null || echo 2)" "${targets[@]}"
