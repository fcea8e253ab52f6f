# reap.sh: what runs killed with SIGKILL left behind (source it). A test killed that way (a ctest
# timeout) cannot clean up after itself; the next run removes what it left, and only what belongs
# to a run whose shell is gone, never a live run's.
# shellcheck shell=bash

# reap_stale NS-PREFIX DIR-PREFIX: the namespaces NS-PREFIX<pid>[suffix] (and their processes)
# and the directories DIR-PREFIX.<pid> whose pid is no longer running
reap_stale()
{
	local ns_prefix=$1 dir_prefix=$2 n pid p
	for n in $(ip netns list 2>/dev/null | awk '{print $1}' |
		grep -E "^$ns_prefix[0-9]+([a-z][0-9]*)?$"); do
		pid=$(sed -E "s/^$ns_prefix([0-9]+).*/\1/" <<<"$n")
		[ -d "/proc/$pid" ] && continue
		for p in $(ip netns pids "$n" 2>/dev/null); do
			kill -KILL "$p" 2>/dev/null
		done
		ip netns del "$n" 2>/dev/null
	done
	for n in "$dir_prefix".*; do
		pid=${n##*.}
		[[ "$pid" =~ ^[0-9]+$ ]] && [ ! -d "/proc/$pid" ] && rm -rf "$n"
	done
}
