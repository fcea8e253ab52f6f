# lib.sh: one wgnetd in a fresh network namespace, driven over its unix sockets (source it).
# shellcheck shell=bash disable=SC2120
#
#   it_setup                      it_init, namespace wgit<pid>, wgnetd started
#   it_init                       temp dir, traps (a test without the lib's namespace and wgnetd)
#   on_exit FUNC                  FUNC runs at exit, after every wgnetd was stopped and before
#                                 the namespace and the temp dir go (never replace the trap)
#   wgnetd_start / wgnetd_stop [TERM|KILL]   (re)start or stop the daemon; $IT_WGNETD_PID
#                                 (--no-iptables, or --iptables $IT_IPTABLES when that is set)
#   daemon_start DIR CMD...       any other wgnetd (tests/daemon.sh): stopped with TERM at exit,
#                                 its log searched for sanitizer reports
#   api PATH [JSON]               POST like dockerd; sets $BODY and $HTTP_STATUS (000 = no reply)
#   api_file PATH FILE            the same with the body taken from FILE as is
#   cli ARGS...                   $WGNET --socket <control socket> ARGS...
#   ns CMD...                     run CMD in the namespace (ns ip -j link, ns nft -j ...)
#   link_json NAME                `ip -j -d link show NAME` as one object ("" if absent)
#   kernel_snapshot [IFNAME...]   normalized links, addresses, routes and nft ruleset
#                                 (the given links left out)
#   state_sum                     checksum of the state directory's files (names and contents)
#   wgnet_links                   the links wgnet made in the namespace (wgb*, wgv*, wgc*)
#   query_failed, lines           what a helper prints when its query fails (never "" or 0)
#   rand_id                       a random 64-hex Docker ID
#   pass, fail, assert_eq, assert_match, assert_ok, assert_fails, assert_status,
#   assert_json, assert_err, assert_answers, retry, retry_eq, it_finish
#
# WGNETD and WGNET come from ctest's environment (default build/release/, then build/).
# IT_IPTABLES (unset: --no-iptables) names the iptables binary wgnetd_start gives wgnetd.
# Everything is removed by the EXIT trap, by pid and by name, also when a test fails or is
# interrupted; the wgnetd logs are printed when something failed. A test that exits before
# it_finish fails, whatever its exit status, with a line that says where it stopped.

IT_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
IT_REPO=$(cd "$IT_LIB_DIR/../.." && pwd)
IT_NS=wgit$$
IT_DIR=/tmp/wgnet-it.$$
IT_PLUGIN_SOCK=$IT_DIR/plugin.sock
IT_CONTROL_SOCK=$IT_DIR/control.sock
IT_STATE_DIR=$IT_DIR/state
IT_LOG=$IT_DIR/wgnetd.log
IT_WGNETD_PID=""
IT_PASSED=0
IT_FAILED=0
IT_FINISHED=0
IT_CLEANED=0
IT_T0=$(date +%s)
BODY=""
HTTP_STATUS=""

it_default_bin()
{
	local d
	for d in build/release build; do
		[ -x "$IT_REPO/$d/$1" ] && { echo "$IT_REPO/$d/$1"; return; }
	done
	echo "$IT_REPO/build/$1"
}
WGNETD=${WGNETD:-$(it_default_bin wgnetd)}
WGNET=${WGNET:-$(it_default_bin wgnet)}

# ---------------------------------------------------------------- output and assertions

it_log()
{
	printf '[%3ds] %s\n' $(($(date +%s) - IT_T0)) "$*"
}

pass()
{
	IT_PASSED=$((IT_PASSED + 1))
	ASSERT_LAST_PASS=$1
	it_log "ok: $1"
}

# fail DESC [DETAIL...]
fail()
{
	IT_FAILED=$((IT_FAILED + 1))
	it_log "FAIL: $1"
	shift
	local line
	for line in "$@"; do
		printf '        %s\n' "$line"
	done
}

. "$(dirname "${BASH_SOURCE[0]}")/../assert.sh"
. "$(dirname "${BASH_SOURCE[0]}")/../daemon.sh"
. "$(dirname "${BASH_SOURCE[0]}")/../reap.sh"

# assert_status DESC CODE: the last api call answered CODE
assert_status()
{
	if [ "$HTTP_STATUS" = "$2" ]; then
		pass "$1"
	else
		fail "$1" "expected HTTP $2, got $HTTP_STATUS: $(head -c 300 <<<"$BODY")"
	fi
}

# assert_json DESC JQ-FILTER [JQ ARGS...]: the last api call answered 200 and the filter holds
# on its body
assert_json()
{
	local desc=$1 filter=$2
	shift 2
	if [ "$HTTP_STATUS" != 200 ]; then
		fail "$desc" "expected HTTP 200, got $HTTP_STATUS: $(head -c 300 <<<"$BODY")"
	elif jq -e "$@" "$filter" <<<"$BODY" >/dev/null 2>&1; then
		pass "$desc"
	else
		fail "$desc" "body does not satisfy: $filter" "body: $(head -c 300 <<<"$BODY")"
	fi
}

# err_reply [REGEX]: true if the last api call is a 4xx/5xx with a non-empty JSON Err (matching
# REGEX, case-insensitive); IT_WHY says what was wrong otherwise
err_reply()
{
	local err
	IT_WHY=""
	if ! [[ "$HTTP_STATUS" =~ ^[45][0-9][0-9]$ ]]; then
		IT_WHY="expected HTTP 4xx/5xx, got $HTTP_STATUS: $(head -c 300 <<<"$BODY")"
		return 1
	fi
	if ! err=$(jq -er 'if type == "object" and (.Err | type) == "string" and .Err != ""
			    then .Err else error("no Err") end' <<<"$BODY" 2>/dev/null); then
		IT_WHY="HTTP $HTTP_STATUS without a JSON {\"Err\": non-empty}: $(head -c 300 <<<"$BODY")"
		return 1
	fi
	if [ -n "${1:-}" ] && ! grep -qiE -- "$1" <<<"$err"; then
		IT_WHY="Err does not match /$1/: $err"
		return 1
	fi
	return 0
}

# assert_err DESC [REGEX]: the last api call failed with a worded {"Err"}
assert_err()
{
	if err_reply "${2:-}"; then
		pass "$1: $(jq -r .Err <<<"$BODY" | head -c 160)"
	else
		fail "$1" "$IT_WHY"
	fi
}

now_ms()
{
	echo $(($(date +%s%N) / 1000000))
}

# assert_answers DESC PATH JSON JQ-FILTER: the api call answers 200 with a body the filter holds
# on (HTTP 000: the server refused or dropped the connection, or gave no answer within curl's
# 60 s); how long it took is printed, a figure, never a bound (the machine may be loaded)
assert_answers()
{
	local t0 ms
	t0=$(now_ms)
	api "$2" "$3"
	ms=$(($(now_ms) - t0))
	if [ "$HTTP_STATUS" = 200 ] && jq -e "$4" <<<"$BODY" >/dev/null 2>&1; then
		pass "$1 (answered in $ms ms)"
	else
		fail "$1: HTTP $HTTP_STATUS after $ms ms, the body must satisfy $4" \
			"$(head -c 200 <<<"$BODY")"
	fi
}

it_finish()
{
	IT_FINISHED=1
	it_log "$(basename "$0"): $IT_PASSED passed, $IT_FAILED failed" \
		"($(($(date +%s) - IT_T0)) s)"
	[ "$IT_FAILED" -eq 0 ]
}

# ---------------------------------------------------------------- helpers

rand_id()
{
	head -c32 /dev/urandom | od -An -tx1 -v | tr -d ' \n'
}

ns()
{
	ip netns exec "$IT_NS" "$@"
}

cli()
{
	"$WGNET" --socket "$IT_CONTROL_SOCK" "$@"
}

# api PATH [JSON]: POST /PATH as dockerd 20.10 does (empty Host, no Content-Type, the Accept
# header, body = JSON + "\n", or nothing at all when JSON is empty). Sets BODY, HTTP_STATUS.
api()
{
	local f=$IT_DIR/req.body
	if [ -n "${2:-}" ]; then
		printf '%s\n' "$2" >"$f"
	else
		: >"$f"
	fi
	api_file "$1" "$f"
}

api_file()
{
	local out
	out=$(curl -s --max-time 60 --unix-socket "$IT_PLUGIN_SOCK" -X POST \
		-H 'Host;' -H 'Content-Type:' -H 'Expect:' -H 'User-Agent: Go-http-client/1.1' \
		-H 'Accept: application/vnd.docker.plugins.v1.2+json' \
		--data-binary "@$2" -w '\n%{http_code}' "http://localhost/$1")
	HTTP_STATUS=${out##*$'\n'}
	BODY=${out%$'\n'*}
	[ -n "$HTTP_STATUS" ] || HTTP_STATUS=000
}

# link_json NAME: the link as one JSON object, "" when it does not exist
link_json()
{
	ns ip -j -d link show dev "$1" 2>/dev/null | jq -c '.[0] // empty' 2>/dev/null
}

link_exists()
{
	ns ip link show dev "$1" >/dev/null 2>&1
}

# link_field NAME JQ: one field of the link ("" when absent)
link_field()
{
	link_json "$1" | jq -r "$2 // empty"
}

# has_addr IFNAME A.B.C.D/LEN
has_addr()
{
	ns ip -j -4 addr show dev "$1" 2>/dev/null |
		jq -e --arg a "$2" '[.[].addr_info[] | "\(.local)/\(.prefixlen)"] | index($a) != null' \
			>/dev/null
}

nft_table_json()
{
	ns nft -j list table inet wgnet 2>/dev/null
}

# kernel_snapshot [IFNAME...]: what a request could change in the namespace, as stable text:
# links (name, kind, master, MTU, admin state, MAC, ifindex), IPv4 and global IPv6 addresses,
# IPv4 routes of all tables and the nft ruleset without handles. The named links are left out.
kernel_snapshot()
{
	local skip n raw
	skip=$(for n in "$@"; do printf '"%s",' "$n"; done)
	skip="[${skip%,}]"
	raw=$(ip -n "$IT_NS" -j -d link show && ip -n "$IT_NS" -j addr show &&
		ip -n "$IT_NS" -j -4 route show table all && ns nft -j list ruleset) ||
		{ query_failed "ip and nft dumps of $IT_NS" $?; return; }
	jq -rs --argjson skip "$skip" '
		def keep(f): map(select(f as $n | $skip | index($n) | not));
		"# links",
		(.[0] | keep(.ifname) | sort_by(.ifname)[] |
			{ifname, ifindex, kind: .linkinfo.info_kind, master, mtu, address,
			 up: ((.flags // []) | index("UP") != null)} | tojson),
		"# addresses",
		(.[1] | keep(.ifname) | sort_by(.ifname)[] |
			{ifname, addrs: ([.addr_info[] | select(.family == "inet" or
				(.family == "inet6" and .scope == "global")) |
				"\(.local)/\(.prefixlen)"] | sort)} | tojson),
		"# routes",
		(.[2] | keep(.dev) | map(del(.flags)) | sort_by(tostring)[] | tojson),
		"# nft",
		(.[3].nftables | map(select(has("metainfo") | not)) |
			walk(if type == "object" then del(.handle) else . end)[] | tojson)' <<<"$raw"
}

# kernel_settle: wait until two snapshots in a row agree (operstate and carrier settle
# asynchronously after links come up), at most 3 s
kernel_settle()
{
	local a b i
	a=$(kernel_snapshot "$@")
	for ((i = 0; i < 15; i++)); do
		sleep 0.2
		b=$(kernel_snapshot "$@")
		[ "$a" = "$b" ] && return 0
		a=$b
	done
	return 1
}

# state_sum: names and contents of everything in the state directory (a leftover temp file
# counts as a change)
state_sum()
{
	(cd "$IT_STATE_DIR" && find . -type f | LC_ALL=C sort | while read -r f; do
		printf '%s %s\n' "$f" "$(sha256sum <"$f" | cut -c1-64)"
	done) || query_failed "the files of $IT_STATE_DIR" $?
}

# wgnet_links: the namespace's links that wgnet makes (wgb*, wgv*, wgc*), one name a line
wgnet_links()
{
	local j
	j=$(ns ip -j link show) || { query_failed "ip link show" $?; return; }
	jq -r '.[].ifname | select(test("^wg[bvc]"))' <<<"$j"
}

# ---------------------------------------------------------------- the daemon

# wgnetd_ready: the plugin socket answers (GetCapabilities: no side effects, unlike
# Plugin.Activate, which opens the replay window) and the control socket exists
wgnetd_ready()
{
	[ -S "$IT_CONTROL_SOCK" ] &&
		curl -s --max-time 2 --unix-socket "$IT_PLUGIN_SOCK" -X POST -H 'Host;' \
			-H 'Content-Type:' -d '' -o /dev/null -w '%{http_code}' \
			http://localhost/NetworkDriver.GetCapabilities | grep -x 200 >/dev/null
}

# it_in_run CMD...: CMD in the test's network namespace with the /run wgnetd has (where its
# userspace WireGuard's sockets are). It execs, so call it in ( ): the pid is CMD's.
it_in_run()
{
	exec ip netns exec "$IT_NS" unshare -m --propagation private \
		sh -c 'mount --bind "$0" /run && exec "$@"' "$IT_DIR/run" "$@"
}

wgnetd_start()
{
	local i ipt=(--no-iptables)
	[ -n "${IT_IPTABLES:-}" ] && ipt=(--iptables "$IT_IPTABLES")
	# Its /run is the test's own directory, the same at every restart: the userspace WireGuard
	# it starts (wgnet init) stays out of the machine's /run/wireguard and is adopted by the
	# next wgnetd; the process itself dies with the namespace at cleanup.
	mkdir -p "$IT_DIR/run"
	daemon_start "$IT_DIR" it_in_run "$WGNETD" --plugin-socket "$IT_PLUGIN_SOCK" \
		--control-socket "$IT_CONTROL_SOCK" --state-dir "$IT_STATE_DIR" \
		"${ipt[@]}" --log-level debug "$@"
	IT_WGNETD_PID=$(cat "$IT_DIR/wgnetd.pid")
	for ((i = 0; i < 150; i++)); do
		wgnetd_ready && return 0
		pid_alive "$IT_WGNETD_PID" || die "wgnetd exited at start" "$(tail -n 20 "$IT_LOG")"
		sleep 0.1
	done
	die "wgnetd did not answer on $IT_PLUGIN_SOCK within 15 s"
}

# wgnetd_stop [TERM|KILL]: stop it and wait; IT_WGNETD_STATUS = its exit status (128 + signal
# when a signal ended it), "timeout" when it had to be killed after 10 s
wgnetd_stop()
{
	daemon_stop "$IT_DIR" "${1:-TERM}"
	IT_WGNETD_STATUS=$DAEMON_STATUS
	IT_WGNETD_PID=""
}

# ---------------------------------------------------------------- setup and cleanup

# it_reap_stale: namespaces and temp dirs of earlier runs whose shell is gone
it_reap_stale()
{
	reap_stale wgit /tmp/wgnet-it
}

# it_init: checks, traps and the temp dir, for a test that makes its own namespaces
it_init()
{
	if [ "$(id -u)" -ne 0 ]; then
		echo "$(basename "$0"): needs root (network namespaces)" >&2
		exit 1
	fi
	local t
	for t in curl jq ip nft od sha256sum; do
		command -v "$t" >/dev/null || { echo "$(basename "$0"): needs $t" >&2; exit 1; }
	done
	[ -x "$WGNETD" ] || { echo "$(basename "$0"): no wgnetd at $WGNETD (set WGNETD)" >&2; exit 1; }
	[ -x "$WGNET" ] || { echo "$(basename "$0"): no wgnet at $WGNET (set WGNET)" >&2; exit 1; }
	it_reap_stale
	trap it_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	mkdir -p "$IT_DIR" "$IT_STATE_DIR"
	chmod 700 "$IT_DIR"
}

it_setup()
{
	it_init
	: >"$IT_LOG"
	ip netns add "$IT_NS" || die "namespace $IT_NS"
	ns ip link set lo up
	it_log "namespace $IT_NS, files in $IT_DIR, wgnetd $WGNETD"
	wgnetd_start
}

# it_cleanup: the EXIT trap. Every wgnetd is stopped with SIGTERM first (the sanitize build's
# LeakSanitizer reports at its exit), then the test's on_exit functions run, then the
# namespace and the temp dir go.
it_cleanup()
{
	local status=$? where p log n=0 stops reports
	[ "$IT_CLEANED" = 1 ] && return
	IT_CLEANED=1
	trap - INT TERM
	[ "$IT_FINISHED" = 1 ] || where=$(stopped_where "$status")
	stops=$(daemon_stop_all)
	[ -z "$stops" ] || fail "every wgnetd stops on SIGTERM with status 0" "$stops"
	# sanitizer reports (the sanitize build) are failures even when every reply was right
	reports=$(daemon_reports)
	[ -z "$reports" ] || fail "a wgnetd log has a sanitizer report" "$reports"
	on_exit_run
	if [ "$IT_FINISHED" != 1 ]; then
		fail "$(basename "$0") $where"
		it_finish
	fi
	if [ "$IT_FAILED" -ne 0 ]; then
		for log in $(daemon_logs); do
			[ -s "$log" ] || continue
			n=$((n + 1))
			p=/tmp/wgnet-it-$(basename "$0" .sh).$$.$n.log
			cp "$log" "$p"
			echo "---- $log, last 60 lines (all of it in $p)"
			tail -n 60 "$log"
			echo "----"
		done
	fi
	if ip netns list 2>/dev/null | awk '{print $1}' | grep -x "$IT_NS" >/dev/null; then
		for p in $(ip netns pids "$IT_NS" 2>/dev/null); do
			kill -KILL "$p" 2>/dev/null
		done
		ip netns del "$IT_NS"	# every link in it goes with it
	fi
	rm -rf "$IT_DIR"
	exit "$([ "$IT_FAILED" -eq 0 ] && echo 0 || echo 1)"
}
