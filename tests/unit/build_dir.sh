#!/usr/bin/env bash
# build_dir.sh REPO: scripts/build-dir.sh repairs a build directory that another script
# configured differently (README: demo.sh, test.sh and bench/run in any order). The old way to
# fail: build/release configured without a compiler, then again with -DCMAKE_C_COMPILER=gcc and
# the other -D: CMake wiped its cache, and with it the build type and compile_commands.json.
set -uo pipefail
repo=${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/wgnet-build-dir.$$.XXXXXX")
. "$repo/tests/unit/lib.sh"
tmp_rm() { rm -rf "$tmp"; }
on_exit tmp_rm
export WGNET_BUILD_ROOT=$tmp WGNET_BUILD_QUIET=1

cache()
{
	sed -n "s/^$2:[A-Z]*=//p" "$tmp/$1/CMakeCache.txt"
}

# release, as a script that names no compiler configured it, then the shared way
cmake -S "$repo" -B "$tmp/release" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null 2>&1 ||
	fail "plain cmake configure"
assert_ok "build-dir.sh release repairs a directory configured without a compiler" \
	bash "$repo/scripts/build-dir.sh" --configure-only release
assert_eq "release: build type" RelWithDebInfo "$(cache release CMAKE_BUILD_TYPE)"
assert_eq "release: compiler" "$(command -v gcc)" "$(cache release CMAKE_C_COMPILER)"
assert_ok "release: compile_commands.json for lint.sh" test -s "$tmp/release/compile_commands.json"
# and again (a second script after the first): nothing to repair, the same cache
assert_ok "build-dir.sh release a second time" \
	bash "$repo/scripts/build-dir.sh" --configure-only release
assert_eq "release: build type kept" RelWithDebInfo "$(cache release CMAKE_BUILD_TYPE)"

assert_fails "an unknown kind is refused" bash "$repo/scripts/build-dir.sh" debug
unit_finish
