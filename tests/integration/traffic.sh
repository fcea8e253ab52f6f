# traffic.sh: a ping stream and a TCP connection between two "containers" across a key
# rotation (source it after lib.sh).
# shellcheck shell=bash
#
#   traffic_start FROM-NS TO-NS ADDR   1000 pings every 10 ms from FROM-NS to ADDR (in TO-NS),
#                                 and a TCP connection FROM-NS -> ADDR:7000 that has carried a
#                                 line; returns once 100 pings were answered
#   traffic_stop                  waits for the pings' end; sets TRAFFIC_SENT, TRAFFIC_GOT,
#                                 TRAFFIC_LOST; the connection carries a second line, and
#                                 TRAFFIC_TCP_AFTER says whether it arrived (ok) or not (lost)
#
# TRAFFIC_HANDSHAKE: the most a rotation may lose of the stream, one handshake's worth: WireGuard
# starts a handshake again only REKEY_TIMEOUT (5 s) after one that got no answer, 500 packets of
# this stream. A rotation in the wrong order (the host switching before its peers take its new
# key, or its peers dropping the old key while it still uses it) loses at least that.

TRAFFIC_COUNT=1000
TRAFFIC_HANDSHAKE=500
TRAFFIC_PING=""
TRAFFIC_NC=""

traffic_cleanup()
{
	[ -n "$TRAFFIC_PING" ] && kill "$TRAFFIC_PING" 2>/dev/null
	[ -n "$TRAFFIC_NC" ] && kill "$TRAFFIC_NC" 2>/dev/null
	[ -n "${TRAFFIC_TCP_PID:-}" ] && kill "$TRAFFIC_TCP_PID" 2>/dev/null
	return 0
}

traffic_answered() { [ "$(grep -c 'bytes from' "$IT_DIR/traffic.ping")" -ge 100 ]; }
traffic_listening() { ip netns exec "$1" ss -ltn | grep -q ':7000 '; }
traffic_received() { grep -qx "$1" "$IT_DIR/traffic.tcp"; }

traffic_start()	# FROM-NS TO-NS ADDR
{
	on_exit traffic_cleanup
	ip netns exec "$2" busybox nc -l -p 7000 >"$IT_DIR/traffic.tcp" 2>&1 &
	TRAFFIC_NC=$!
	retry 5 traffic_listening "$2" || die "TCP listener in $2"
	coproc TRAFFIC_TCP { ip netns exec "$1" bash -c "exec 3<>/dev/tcp/$3/7000 &&
		while read -r l; do echo \"\$l\" >&3; done"; }
	echo before >&"${TRAFFIC_TCP[1]}"
	retry 5 traffic_received before || die "TCP connection $1 -> $3:7000"
	ip netns exec "$1" ping -c "$TRAFFIC_COUNT" -i 0.01 -W 1 "$3" >"$IT_DIR/traffic.ping" 2>&1 &
	TRAFFIC_PING=$!
	retry 30 traffic_answered || die "ping $1 -> $3" "$(tail -n 3 "$IT_DIR/traffic.ping")"
}

traffic_stop()
{
	wait "$TRAFFIC_PING"
	TRAFFIC_PING=""
	read -r TRAFFIC_SENT TRAFFIC_GOT < <(sed -n \
		's/^\([0-9]*\) packets transmitted, \([0-9]*\) received.*/\1 \2/p' "$IT_DIR/traffic.ping")
	TRAFFIC_LOST=$((TRAFFIC_SENT - TRAFFIC_GOT))
	echo after >&"${TRAFFIC_TCP[1]}"
	TRAFFIC_TCP_AFTER=lost
	retry 10 traffic_received after && TRAFFIC_TCP_AFTER=ok
	eval "exec ${TRAFFIC_TCP[1]}>&-"
	kill "$TRAFFIC_NC" 2>/dev/null
	wait "$TRAFFIC_NC" 2>/dev/null
	TRAFFIC_NC=""
}
