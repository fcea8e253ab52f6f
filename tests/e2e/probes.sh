# probes.sh: firewall probes, run all at once and judged by what ARRIVES (source it after lib.sh).
# shellcheck shell=bash
#
# A probe sends something from one place and counts what reaches another, or runs a check that
# says whether something happened. Places: "up" (the uplink namespace), "h1", "h2" (a host's
# network namespace), or a container's name (registered with place_ctr). A pass runs every probe
# once and sets PROBE_GOT[i] to "arrives" or "blocked"; probe_report turns a pass into pass/fail
# lines. A pass is repeatable: every probe gets its own port (and source port) in every pass, so
# no conntrack entry of an earlier pass decides a later one.
#
#   place_ctr NAME i              container NAME of host i is a place (its pid is looked up once)
#   at PLACE CMD...               CMD (a tool of this machine) in PLACE's network namespace
#   nft_at PLACE args...          nft there (a host's: the one of its dockerd's tree, nft_on)
#   probe_send NAME EXPECT FROM TO CHAIN MATCH CMD...
#                                 FROM runs CMD; TO counts packets matching MATCH in its CHAIN
#                                 (in: input after everything, pre: prerouting before anything,
#                                 post: postrouting after everything). {P} in MATCH and CMD is
#                                 the probe's port of this pass. EXPECT: arrives or blocked
#   probe_check NAME EXPECT FUNC  FUNC (run with the pass's port as $1): 0 = it happened
#                                 (arrives), 1 = it did not (blocked), anything else = the check
#                                 itself broke (a failure whatever was expected)
#   probes_run                    one pass: PROBE_GOT[i], and PROBE_SECS
#   probe_report                  pass/fail per probe of the last pass
#   probes_changed                the names of the probes whose outcome differs from EXPECT

declare -A PLACE_PID=()
PROBE_NAME=()
PROBE_EXPECT=()
PROBE_KIND=()
PROBE_FROM=()
PROBE_TO=()
PROBE_CHAIN=()
PROBE_MATCH=()
PROBE_CMD=()
PROBE_GOT=()
PROBE_PASS=0

place_ctr()
{
	PLACE_PID[$1]=$(container_pid "$2" "$1") || die "no pid for container $1 on host $2"
}

at()
{
	local p=$1
	shift
	case $p in
	up) ip netns exec "$E2E_UNDERLAY" "$@" ;;
	h[0-9]) nsenter -t "$(host_holder "${p#h}")" -n -- "$@" ;;
	*) nsenter -t "${PLACE_PID[$p]:?unknown place $p}" -n -- "$@" ;;
	esac
}

# nft_at PLACE args...: nft in PLACE (a host's is its dockerd tree's: lib.sh's nft_on)
nft_at()
{
	case $1 in
	h[0-9]) nft_on "${1#h}" "${@:2}" ;;
	*) at "$1" nft "${@:2}" ;;
	esac
}

probe_send()
{
	local i=${#PROBE_NAME[@]}
	PROBE_NAME[i]=$1 PROBE_EXPECT[i]=$2 PROBE_KIND[i]=send PROBE_FROM[i]=$3 PROBE_TO[i]=$4
	PROBE_CHAIN[i]=$5 PROBE_MATCH[i]=$6
	shift 6
	local IFS=$'\x1f'
	PROBE_CMD[i]="$*"
}

probe_check()
{
	local i=${#PROBE_NAME[@]}
	PROBE_NAME[i]=$1 PROBE_EXPECT[i]=$2 PROBE_KIND[i]=check PROBE_CMD[i]=$3
}

# the port of probe i in this pass: 20000 + 100 per pass + i, wrapping below 60000
probe_port()
{
	echo $((20000 + (PROBE_PASS * 100 + $1) % 40000))
}

# counters_arm: a table inet wgtest in every receiving place with one counter rule per probe
counters_arm()
{
	local i to place rules
	declare -A script=()
	for i in "${!PROBE_NAME[@]}"; do
		[ "${PROBE_KIND[i]}" = send ] || continue
		to=${PROBE_TO[i]}
		rules="${PROBE_MATCH[i]//\{P\}/$(probe_port "$i")} counter comment \"p$i\""
		script[$to]+="add rule inet wgtest ${PROBE_CHAIN[i]} $rules"$'\n'
	done
	for place in "${!script[@]}"; do
		nft_at "$place" -f - <<-EOF || die "counters in $place"
			table inet wgtest
			delete table inet wgtest
			table inet wgtest {
				chain pre { type filter hook prerouting priority -400; }
				chain in { type filter hook input priority 10; }
				chain post { type filter hook postrouting priority 500; }
			}
			${script[$place]}
		EOF
	done
}

# counters_read: COUNT[i] for every send probe
counters_read()
{
	local place out i n
	declare -gA COUNT=()
	for place in $(printf '%s\n' "${PROBE_TO[@]}" | sort -u); do
		[ -n "$place" ] || continue
		out=$(nft_at "$place" -j list table inet wgtest) ||
			die "read the counters of $place"
		while read -r i n; do
			COUNT[$i]=$n
		done < <(jq -r '.nftables[] | .rule? // empty |
			[(.comment // "" | ltrimstr("p")), ([.expr[] | .counter?.packets // empty] | add)] |
			select(.[0] != "") | "\(.[0]) \(.[1] // 0)"' <<<"$out")
	done
}

# all the probes that should arrive have (or 3 s, times RETRY_SCALE, passed)
positives_in()
{
	local i
	counters_read
	for i in "${!PROBE_NAME[@]}"; do
		[ "${PROBE_KIND[i]}" = send ] && [ "${PROBE_EXPECT[i]}" = arrives ] &&
			[ "${COUNT[$i]:-0}" -eq 0 ] && return 1
	done
	return 0
}

probes_run()
{
	local i t0 pids=() port argv rc
	t0=$(date +%s%N)
	PROBE_PASS=$((PROBE_PASS + 1))
	counters_arm
	for i in "${!PROBE_NAME[@]}"; do
		[ "${PROBE_KIND[i]}" = send ] || continue
		port=$(probe_port "$i")
		IFS=$'\x1f' read -ra argv <<<"${PROBE_CMD[i]//\{P\}/$port}"
		at "${PROBE_FROM[i]}" "${argv[@]}" >/dev/null 2>&1 &
		pids+=($!)
	done
	wait "${pids[@]}" 2>/dev/null
	# what is still on its way arrives with the positives: wait for them, then a little more
	retry 3 positives_in
	sleep 0.3
	counters_read
	for i in "${!PROBE_NAME[@]}"; do
		if [ "${PROBE_KIND[i]}" = send ]; then
			[ "${COUNT[$i]:-0}" -gt 0 ] && PROBE_GOT[i]=arrives || PROBE_GOT[i]=blocked
			continue
		fi
		"${PROBE_CMD[i]}" "$(probe_port "$i")" >/dev/null 2>&1
		rc=$?
		case $rc in
		0) PROBE_GOT[i]=arrives ;;
		1) PROBE_GOT[i]=blocked ;;
		*) PROBE_GOT[i]="the check broke (status $rc)" ;;
		esac
	done
	PROBE_SECS=$((($(date +%s%N) - t0) / 1000000))
}

probe_report()
{
	local i n
	for i in "${!PROBE_NAME[@]}"; do
		n=""
		[ "${PROBE_KIND[i]}" = send ] && n=" (${COUNT[$i]:-0} packets)"
		if [ "${PROBE_GOT[i]}" = "${PROBE_EXPECT[i]}" ]; then
			pass "${PROBE_NAME[i]}: ${PROBE_GOT[i]}$n"
		else
			fail "${PROBE_NAME[i]}" "expected: ${PROBE_EXPECT[i]}, got: ${PROBE_GOT[i]}$n"
		fi
	done
}

probes_changed()
{
	local i
	for i in "${!PROBE_NAME[@]}"; do
		[ "${PROBE_GOT[i]}" = "${PROBE_EXPECT[i]}" ] || echo "${PROBE_NAME[i]}"
	done
}
