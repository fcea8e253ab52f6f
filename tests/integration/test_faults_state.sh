#!/usr/bin/env bash
# test_faults_state.sh: memory, disk and kernel agree after every outcome.
#  - A full disk under the state directory (a tiny tmpfs) during each Docker verb and CLI
#    change: the call fails with a worded Err, the kernel and the state file are as before;
#    with room again the same call succeeds, and a kill -9 and restart changes nothing (what
#    the retry did was saved).
#  - A join line with a tab inside a value is refused; a state that already holds one (saved
#    by an older wgnet) does not break `wgnet status` or `wgnet peer ls`.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/verbs.sh"

FILL=$IT_STATE_DIR/fill

must()		# DESC: the last api call must have been answered 200
{
	[ "$HTTP_STATUS" = 200 ] || die "$1" "HTTP $HTTP_STATUS $BODY"
}

state_file()
{
	sha256sum <"$IT_STATE_DIR/state.json" | cut -c1-64
}

tmp_files()	# temp files a failed save left behind
{
	lines find "$IT_STATE_DIR" -name 'state.json.*'
}

disk_fill()
{
	dd if=/dev/zero of="$FILL" bs=4k status=none 2>/dev/null
	sync
}

disk_free()
{
	rm -f "$FILL"
}

# assert_saved DESC SUM: what the retry did is on disk (a retry that "succeeds" without saving
# is undone by the next start; restart_same checks it whole at a few points)
assert_saved()
{
	if [ "$(state_file)" != "$2" ]; then
		pass "$1 with room again: saved"
	else
		fail "$1 with room again: the state file did not change"
	fi
}

same_kernel()	# DESC SNAPSHOT-BEFORE SNAPSHOT-AFTER
{
	if [ "$2" = "$3" ]; then
		pass "$1"
	else
		fail "$1" "$(diff <(echo "$2") <(echo "$3") | head -20)"
	fi
}

# restart_same DESC: kill -9 and start again; the kernel converges on the state, which must be
# what memory had (the kernel as it was before)
restart_same()
{
	local before after
	kernel_settle wgnet0
	before=$(kernel_snapshot wgnet0)
	wgnetd_stop KILL
	wgnetd_start
	kernel_settle wgnet0
	after=$(kernel_snapshot wgnet0)
	same_kernel "$1: kill -9 and restart: kernel as before" "$before" "$after"
}

# full VERB-DESC PATH JSON: on a full disk the call fails and changes nothing; with room
# again it succeeds; a restart shows it was saved. Leaves the call's reply in BODY.
full()
{
	local desc=$1 path=$2 json=$3 k0 s0 k1
	# no settling: a failed call's undo is synchronous, and the snapshot holds no carrier
	k0=$(kernel_snapshot wgnet0)
	s0=$(state_file)
	disk_fill
	api "$path" "$json"
	if err_reply 'save|space'; then
		pass "$desc on a full disk: $(jq -r .Err <<<"$BODY" | head -c 120)"
	else
		fail "$desc on a full disk: no worded error" "$IT_WHY"
	fi
	k1=$(kernel_snapshot wgnet0)
	same_kernel "$desc on a full disk: kernel unchanged" "$k0" "$k1"
	assert_eq "$desc on a full disk: state file unchanged" "$s0" "$(state_file)"
	assert_eq "$desc on a full disk: no temp file left" 0 "$(tmp_files)"
	disk_free
	api "$path" "$json"
	assert_status "$desc with room again: succeeds" 200
	assert_saved "$desc" "$s0"
}

# full_cli DESC ARGS...: the same through the control API
full_cli()
{
	local desc=$1 s0 out
	shift
	s0=$(state_file)
	disk_fill
	if out=$(cli "$@" 2>&1); then
		fail "$desc on a full disk: succeeded" "$out"
	else
		pass "$desc on a full disk: $out"
	fi
	assert_eq "$desc on a full disk: state file unchanged" "$s0" "$(state_file)"
	disk_free
	assert_ok "$desc with room again" cli "$@"
	assert_saved "$desc" "$s0"
}

# between_verbs VERB: the steps of this test between two verbs of each_verb
between_verbs()
{
	case $1 in
	Join)
		restart_same "network, endpoint, joined"
		;;
	RevokeExternalConnectivity)
		api NetworkDriver.ProgramExternalConnectivity "{$IDS,\"Options\":$PORTS}"
		must "ProgramExternalConnectivity again"
		;;
	Leave)
		api NetworkDriver.ProgramExternalConnectivity "{$IDS,\"Options\":$PORTS}"
		must "ProgramExternalConnectivity once more"
		;;
	DeleteEndpoint)
		restart_same "endpoint deleted"
		;;
	ReleaseAddress)	# an endpoint left behind (a forced cleanup): it goes with its network
		EP2=$(rand_id)
		api IpamDriver.RequestAddress \
			"{\"PoolID\":\"$POOLID\",\"Address\":\"10.210.3.8\",\"Options\":null}"
		must "RequestAddress 2"
		api NetworkDriver.CreateEndpoint "{\"NetworkID\":\"$NET\",\"EndpointID\":\"$EP2\",\"Interface\":{\"Address\":\"10.210.3.8/24\",\"AddressIPv6\":\"\",\"MacAddress\":\"\"},\"Options\":$OPTS}"
		must "CreateEndpoint 2"
		;;
	DeleteNetwork)
		restart_same "network deleted"
		assert_fails "DeleteNetwork saved: the bridge stays gone" link_exists "wgb${NET:0:10}"
		assert_fails "DeleteNetwork saved: the forgotten endpoint's veth stays gone" \
			link_exists "wgv${EP2:0:11}"
		;;
	esac
}

state_umount()
{
	umount -l "$IT_STATE_DIR" 2>/dev/null
}

it_setup
# the state directory on a tmpfs of its own, which the test fills up: mounted before wgnetd
# starts (its private mount namespace is a copy of ours); unmounted at exit before cleanup
wgnetd_stop TERM
on_exit state_umount
mount -t tmpfs -o size=256k,mode=0700 wgnet-faults "$IT_STATE_DIR" || die "tmpfs"
wgnetd_start
assert_ok "wgnet init --index 3" cli init --index 3

# ---- join lines (point 14): refused with a control byte; a saved one does not break status
K=$(head -c32 /dev/urandom | base64)
s0=$(state_file)
assert_fails "peer add: tab inside the endpoint is refused" \
	cli peer add "wgnet-join v1 index=7 key=$K endpoint=198.51.100.7:$(printf '\t')51820 name=h7"
assert_fails "peer add: newline inside the name is refused" \
	cli peer add "wgnet-join v1 index=7 key=$K name=h"$'\n'"7 endpoint=198.51.100.7:51820"
assert_fails "peer add: tab between fields is refused" \
	cli peer add "wgnet-join v1 index=7$(printf '\t')key=$K"
assert_eq "refused join lines: state unchanged" "$s0" "$(state_file)"
wgnetd_stop TERM
jq --arg k "$K" '.peers = [{"name":"h7","index":7,"public_key":$k,
	"endpoint":"198.51.100.7:\t51820","keepalive":25}]' "$IT_STATE_DIR/state.json" \
	>"$IT_DIR/st.json" && cat "$IT_DIR/st.json" >"$IT_STATE_DIR/state.json"
wgnetd_start
assert_ok "a saved endpoint with a tab: wgnet status works" cli status
assert_ok "a saved endpoint with a tab: wgnet peer ls works" cli peer ls
assert_match "peer ls shows the peer" "^h7 +7 " "$(cli peer ls 2>&1)"
assert_ok "peer rm of it" cli peer rm h7

# ---- a full disk during each verb (point 13)
each_verb full between_verbs
K2=$(head -c32 /dev/urandom | base64)
full_cli "peer add" peer add "wgnet-join v1 index=8 key=$K2 endpoint=198.51.100.8:51820 name=h8"
full_cli "peer rm" peer rm h8
restart_same "all gone"
assert_eq "nothing of wgnet is left in the kernel" "" "$(wgnet_links)"

it_finish
