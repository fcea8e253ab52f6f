#!/bin/sh
# Dependencies point down: plugin/ -> driver/ -> netlink/ -> process/, never back.
set -u
cd "${1:-$(dirname "$0")/../..}" || exit 2
bad=0
if grep -nE '#include [<"]((netlink|driver|plugin)/|jansson|microhttpd|libmnl|libnftnl)' \
	process/*.[ch]; then
	echo "layers: process/ must not include netlink/, driver/, plugin/ or a library" >&2
	bad=1
fi
if grep -nE '#include [<"]((driver|plugin)/|jansson|microhttpd)' netlink/*.[ch]; then
	echo "layers: netlink/ must not include driver/, plugin/, jansson or microhttpd" >&2
	bad=1
fi
if grep -nE '#include [<"](plugin/|microhttpd)' driver/*.[ch]; then
	echo "layers: driver/ must not include plugin/ or microhttpd" >&2
	bad=1
fi
if grep -nE '#include [<"]((netlink|process)/|libmnl|libnftnl)' plugin/*.[ch]; then
	echo "layers: plugin/ must not include netlink/, process/, libmnl or libnftnl" >&2
	bad=1
fi
[ "$bad" -eq 0 ] && echo "layers: ok"
exit "$bad"
