#!/usr/bin/env bash
# test_children.sh: what wgnetd's children start with. iptables (run for DOCKER-USER) and
# wireguard-go (started by `wgnet init` and again by the watchdog after kill -9) are wrappers
# that write down their own /proc status before they exit or exec the real wireguard-go: no
# blocked and no ignored signal (both survive exec; wgnetd blocks its stop signals and ignores
# SIGPIPE), and wireguard-go in wgnetd's session, hence its scheduler autogroup (a session of
# its own cost it ~20% of the CPU under load: bench/README.md), in a process group of its own.
# Then the real wireguard-go's threads: none ignores a signal, none blocks SIGTERM, at most one
# blocks anything (Go's os/signal thread keeps the signals nobody asked for blocked).
set -u
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

it_setup
wgnetd_stop TERM

# The wrappers write down what they inherited: their pid, signal masks, process group and
# session. In perl, not sh: dash empties the blocked mask when it starts (awk would take
# iptables' options for its own). perl leaves the mask alone; it ignores SIGFPE for itself
# (bit 7 of SigIgn) and restores it before exec.
mkdir -p "$IT_DIR/rec"
# wrapper NAME LAST-LINE...
wrapper()
{
	local f=$IT_DIR/fake-$1
	shift
	cat >"$f" <<EOS
#!/usr/bin/perl
open(my \$in, '<', "/proc/self/status") or die;
open(my \$out, '>', "$IT_DIR/rec/\$\$.tmp") or die;
print \$out grep { /^(SigBlk|SigIgn):/ } <\$in>;
printf \$out "pid %d\npgid %d\nsid %d\n", \$\$, getpgrp(), (split(' ', \`cat /proc/\$\$/stat\`))[5];
close(\$out);
EOS
	printf '%s\n' "$@" >>"$f"
	chmod 755 "$f"
}
wrapper iptables "rename(\"$IT_DIR/rec/\$\$.tmp\", \"$IT_DIR/rec/ipt.\$\$\");" \
	'print STDERR "iptables: No chain/target/match by that name.\n";' 'exit 1;'
wrapper wireguard-go "rename(\"$IT_DIR/rec/\$\$.tmp\", \"$IT_DIR/rec/wg.\$\$\");" \
	"exec 'wireguard-go', @ARGV;"
IT_IPTABLES=$IT_DIR/fake-iptables wgnetd_start --wg-userspace "$IT_DIR/fake-wireguard-go"

field()		# FILE KEY
{
	awk -v k="$1" '$1 == k || $1 == k ":" { print $2 }' "$2"
}
D_SID=$(awk '{ print $6 }' "/proc/$IT_WGNETD_PID/stat")
D_PGID=$(awk '{ print $5 }' "/proc/$IT_WGNETD_PID/stat")

# check_record WHAT FILE [MASK]: no blocked, no ignored signal (but those of MASK, the wrapper's
# own)
check_record()
{
	local ign
	assert_eq "$1: no blocked signal (SigBlk)" 0000000000000000 "$(field SigBlk "$2")"
	ign=$(field SigIgn "$2")
	[ -n "$ign" ] && ign=$(printf '%016x' $((16#$ign & ~${3:-0})))
	assert_eq "$1: no ignored signal (SigIgn)" 0000000000000000 "$ign"
}

# check_wg WHAT FILE: the record, the session and group, and the running wireguard-go's threads
check_wg()
{
	local pid t blk ign nblk=0 bad=""
	check_record "$1" "$2" 0x80
	assert_eq "$1: in wgnetd's session (its scheduler autogroup)" "$D_SID" "$(field sid "$2")"
	pid=$(field pid "$2")
	if [ "$(field pgid "$2")" != "$D_PGID" ]; then
		pass "$1: in a process group of its own ($(field pgid "$2"), wgnetd's $D_PGID)"
	else
		fail "$1: in a process group of its own" "same as wgnetd's: $D_PGID"
	fi
	if [ -r /proc/self/autogroup ]; then
		assert_eq "$1: wgnetd's autogroup" "$(cut -d' ' -f1 "/proc/$IT_WGNETD_PID/autogroup")" \
			"$(cut -d' ' -f1 "/proc/$pid/autogroup" 2>/dev/null)"
	fi
	for t in /proc/"$pid"/task/*; do
		blk=$(awk '$1 == "SigBlk:" { print $2 }' "$t/status" 2>/dev/null) || continue
		ign=$(awk '$1 == "SigIgn:" { print $2 }' "$t/status" 2>/dev/null)
		[ -n "$blk" ] || continue
		[ "$blk" = 0000000000000000 ] || nblk=$((nblk + 1))
		# SIGTERM is signal 15: bit 14
		(((16#$blk >> 14) & 1)) && bad+=" ${t##*/} blocks SIGTERM ($blk);"
		[ "$ign" = 0000000000000000 ] || bad+=" ${t##*/} ignores $ign;"
	done
	[ "$nblk" -le 1 ] || bad+=" $nblk threads block signals;"
	if [ -z "$bad" ]; then
		pass "$1: wireguard-go's threads ignore nothing, none blocks SIGTERM, $nblk blocks any"
	else
		fail "$1: wireguard-go's threads" "$bad" \
			"$(grep -H -E 'Sig(Blk|Ign)' /proc/"$pid"/task/*/status 2>&1)"
	fi
}

assert_ok "wgnet init --index 3" cli init --index 3
mapfile -t IPT < <(ls "$IT_DIR"/rec/ipt.* 2>/dev/null)
if [ "${#IPT[@]}" -gt 0 ]; then
	pass "wgnetd ran iptables ${#IPT[@]} time(s)"
	for f in "${IPT[@]}"; do
		check_record "iptables (pid ${f##*.})" "$f" 0x80
	done
else
	fail "wgnetd ran iptables" "no record in $IT_DIR/rec"
fi

mapfile -t WG < <(ls "$IT_DIR"/rec/wg.* 2>/dev/null)
[ "${#WG[@]}" = 1 ] || die "wgnet init started one wireguard-go: ${#WG[@]} records"
check_wg "wireguard-go started by wgnet init" "${WG[0]}"

# the watchdog (another thread of wgnetd) starts it again
kill -KILL "$(field pid "${WG[0]}")"
retry 15 sh -c "[ \$(ls '$IT_DIR'/rec/wg.* | wc -l) -ge 2 ]" || die "the watchdog did not start wireguard-go again"
retry 5 cli status || true
WG2=$(ls -t "$IT_DIR"/rec/wg.* | head -n 1)
check_wg "wireguard-go started again by the watchdog" "$WG2"
it_finish
