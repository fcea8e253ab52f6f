#!/usr/bin/env bash
# test_bad_input.sh: point 7 of the issue. Every endpoint gets malformed JSON, wrong types,
# missing fields, a 2 MiB body, unknown and invalid IDs, invalid CIDRs and addresses, an empty
# body; each must be answered 4xx/5xx with a worded {"Err"}, change neither the kernel (links,
# addresses, routes, nft ruleset) nor the state directory, and leave the same wgnetd answering.
# Then veths and bridges whose names are already taken, and the CLI's bad arguments.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

OPTS='{"com.docker.network.endpoint.exposedports":[],"com.docker.network.portmap":[]}'
UPPER=$(rand_id | tr a-f A-F)
BAD_IDS=("abc" "$UPPER" "$(rand_id)0" "$(rand_id | tr 0-9 g-p)" "")
BAD_ID_NAMES=("short" "uppercase" "65 hex" "not hex" "empty")

# ---------------------------------------------------------------- the checking core

SNAP=""
SUM=""
PID0=""
SKIP=()		# links left out of the snapshots

baseline()
{
	kernel_settle "${SKIP[@]}"
	SNAP=$(kernel_snapshot "${SKIP[@]}")
	SUM=$(state_sum)
}

# check DESC EXPECT [ERR-REGEX] [HTTP-CODE]: judge the last api call. EXPECT: err (4xx/5xx with
# a non-empty Err), ok (200: an idempotent no-op), any (either), none (no reply to judge). In
# every case nothing may have changed and the same wgnetd must still answer.
check()
{
	local desc=$1 expect=$2 re=${3:-} code=${4:-} why=() now i
	case $expect in
	err)
		err_reply "$re" || why+=("$IT_WHY")
		[ -n "$code" ] && [ "$HTTP_STATUS" != "$code" ] && why+=("expected HTTP $code, got $HTTP_STATUS")
		;;
	ok)
		[ "$HTTP_STATUS" = 200 ] || why+=("expected 200 (idempotent), got $HTTP_STATUS: $BODY")
		;;
	any)
		[ "$HTTP_STATUS" = 200 ] || err_reply || why+=("$IT_WHY")
		;;
	none) ;;
	esac
	now=$(kernel_snapshot "${SKIP[@]}")
	for ((i = 0; i < 5; i++)); do	# carrier/operstate may lag
		[ "$now" = "$SNAP" ] && break
		sleep 0.2
		now=$(kernel_snapshot "${SKIP[@]}")
	done
	if [ "$now" != "$SNAP" ]; then
		why+=("kernel changed:" "$(diff <(echo "$SNAP") <(echo "$now") | grep '^[<>]' | head -n 8)")
		SNAP=$now	# judge the next case on its own
	fi
	now=$(state_sum)
	if [ "$now" != "$SUM" ]; then
		why+=("state directory changed:" "$(diff <(echo "$SUM") <(echo "$now") | grep '^[<>]')")
		SUM=$now
	fi
	if [ "$IT_WGNETD_PID" != "$PID0" ] || ! pid_alive "$PID0"; then
		die "$desc: wgnetd died" "$(tail -n 30 "$IT_LOG")"
	fi
	wgnetd_ready || die "$desc: wgnetd no longer answers" "$(tail -n 30 "$IT_LOG")"
	if [ ${#why[@]} -eq 0 ]; then
		pass "$desc -> $HTTP_STATUS${BODY:+ $(head -c 120 <<<"$BODY")}"
	else
		fail "$desc" "${why[@]}"
	fi
}

# reason DESC: the words an Err must contain for a case named DESC (its field, or what a
# mistyped value is told); a case without one must name its regex (bad's 4th argument)
reason()
{
	local f=${1%% *}
	f=${f//\"/}
	f=${f#Interface.}
	case $1 in
	*" a string" | *" a number" | *" null") echo "$f (must be|is missing)"; return ;;
	*" missing") echo "$f is missing"; return ;;
	esac
	case $f in
	Pool) echo "(pool|--subnet)" ;;
	Gateway) echo "gateway" ;;
	Interface.Address | Address) echo "address" ;;
	MacAddress) echo "MAC address" ;;
	mtu) echo "mtu.*576\.\.1420" ;;
	SubPool) echo "(SubPool|--ip-range)" ;;
	PoolID) echo "(PoolID|pool ID)" ;;
	Proto | Port | HostPort | HostPortEnd | HostIP | SandboxKey) echo "$f" ;;
	V6 | enable_ipv6 | IPv6Data | AddressIPv6) echo "IPv6" ;;
	AddressSpace) echo "address space" ;;
	wgnet.slice) echo "slice" ;;
	*) echo "NO-REASON-GIVEN-FOR: $1" ;;
	esac
}

# base_ok PATH BODY UNDO-PATH UNDO-BODY: the base request of a group of bad cases succeeds as
# it is (so that each refusal was about its one change), then is undone; new baseline
base_ok()
{
	api "$1" "$2"
	assert_status "$1: the base of its bad cases, unchanged -> 200" 200
	api "$3" "$4"
	assert_status "$3: undoing it -> 200" 200
	baseline
}

# bad PATH DESC BODY [ERR-REGEX] [HTTP-CODE]: expect an error whose Err matches ERR-REGEX
# (default: the reason for DESC)
bad()
{
	api "$1" "$3"
	check "$1: $2" err "${4:-$(reason "$2")}" "${5:-}"
}

# noop PATH DESC BODY: an idempotent call for something not there: 200, nothing changed
noop()
{
	api "$1" "$3"
	check "$1: $2" ok
}

# mut JSON JQ-FILTER: JSON changed by the filter, compact
mut()
{
	jq -c "$2" <<<"$1"
}

# generic PATH BASE-JSON: what every endpoint with arguments must refuse
generic()
{
	local p=$1 base=$2 f=$IT_DIR/bad.body first
	first=$(jq -r 'keys_unsorted[0]' <<<"$base")
	api "$p" ""
	check "$p: empty body" err "empty request body" 400
	bad "$p" "malformed JSON" "${base%?}" "bad JSON.*expected"
	bad "$p" "not JSON" "NetworkID=abc" "bad JSON"
	bad "$p" "array" "[$base]" "is an array, a JSON object was expected"
	bad "$p" "null" "null" "bad JSON.*expected near 'null'"
	bad "$p" "number" "42" "bad JSON.*expected near '42'"
	bad "$p" "empty object" "{}" "[A-Za-z]+ is missing"
	bad "$p" "trailing garbage" "$base {}" "bad JSON.*end of file expected"
	bad "$p" "duplicate key" "{\"$first\":\"x\",${base#\{}" "duplicate object key"
	printf '%s' "${base%\}}" >"$f"
	printf ',"Pad":"' >>"$f"
	head -c $((2 << 20)) /dev/zero | tr '\0' a >>"$f"
	printf '"}\n' >>"$f"
	api_file "$p" "$f"
	check "$p: 2 MiB body" err "over 1 MiB" 413
	head -c 100000 /dev/zero | tr '\0' '[' >"$f"
	api_file "$p" "$f"
	check "$p: 100000 nested arrays" err "maximum parsing depth"
	printf '{"%s":"\0"}\n' "$first" >"$f"
	api_file "$p" "$f"
	check "$p: raw NUL byte" err "bad JSON.*control character"
	printf '{"%s":"\\u0000"}\n' "$first" >"$f"
	api_file "$p" "$f"
	check "$p: escaped NUL in a string" err "bad JSON.*u0000"
	printf '{"%s":"\xff\xfe"}\n' "$first" >"$f"
	api_file "$p" "$f"
	check "$p: invalid UTF-8" err "bad JSON.*unable to decode byte"
	# the client promises 100 bytes, sends 10 and gives up: no reply expected, no harm either
	curl -s --max-time 1 --unix-socket "$IT_PLUGIN_SOCK" -X POST -H 'Host;' -H 'Content-Type:' \
		-H 'Content-Length: 100' --data-binary '{"Network' -o /dev/null "http://localhost/$p"
	HTTP_STATUS=000 BODY=""
	check "$p: body shorter than Content-Length, client gone" none
}

# ids PATH BASE-JSON KEY: invalid and mistyped values of one ID field, and the field missing
ids()
{
	local p=$1 base=$2 k=$3 i
	for i in "${!BAD_IDS[@]}"; do
		bad "$p" "$k ${BAD_ID_NAMES[$i]}" "$(mut "$base" ".$k = \"${BAD_IDS[$i]}\"")" \
			"$k (\".*\" is not a Docker ID|is longer than 64)" 400
	done
	bad "$p" "$k a number" "$(mut "$base" ".$k = 42")" "$k must be a string" 400
	bad "$p" "$k null" "$(mut "$base" ".$k = null")" "$k is missing" 400
	bad "$p" "$k missing" "$(mut "$base" "del(.$k)")" "$k is missing" 400
}

# ---------------------------------------------------------------- a host with things to break

it_setup
assert_ok "wgnet init --index 3" cli init --index 3

api IpamDriver.RequestPool '{"AddressSpace":"wgnet-local","Pool":"10.210.0.0/16","SubPool":"","Options":{},"V6":false}'
[ "$HTTP_STATUS" = 200 ] || die "RequestPool" "$HTTP_STATUS $BODY"
POOLID=wgnet-local/10.210.3.0/24
api IpamDriver.RequestAddress "{\"PoolID\":\"$POOLID\",\"Address\":\"\",\"Options\":{\"RequestAddressType\":\"com.docker.network.gateway\"}}"
NET=$(rand_id)
BR=wgb${NET:0:10}
api NetworkDriver.CreateNetwork "{\"NetworkID\":\"$NET\",\"Options\":{\"com.docker.network.enable_ipv6\":false,\"com.docker.network.generic\":{}},\"IPv4Data\":[{\"AddressSpace\":\"wgnet-local\",\"Gateway\":\"10.210.3.1/24\",\"Pool\":\"10.210.3.0/24\"}],\"IPv6Data\":[]}"
[ "$HTTP_STATUS" = 200 ] || die "CreateNetwork" "$HTTP_STATUS $BODY"
EP1=$(rand_id)
api IpamDriver.RequestAddress "{\"PoolID\":\"$POOLID\",\"Address\":\"\",\"Options\":null}"
EP1_ADDR=$(jq -r .Address <<<"$BODY")
api NetworkDriver.CreateEndpoint "{\"NetworkID\":\"$NET\",\"EndpointID\":\"$EP1\",\"Interface\":{\"Address\":\"$EP1_ADDR\",\"AddressIPv6\":\"\",\"MacAddress\":\"\"},\"Options\":$OPTS}"
[ "$HTTP_STATUS" = 200 ] || die "CreateEndpoint" "$HTTP_STATUS $BODY"
api NetworkDriver.Join "{\"NetworkID\":\"$NET\",\"EndpointID\":\"$EP1\",\"SandboxKey\":\"/var/run/docker/netns/0123456789ab\",\"Options\":$OPTS}"
[ "$HTTP_STATUS" = 200 ] || die "Join" "$HTTP_STATUS $BODY"
# a second pool, leased but not yet a network (dockerd between RequestPool and CreateNetwork)
api IpamDriver.RequestPool '{"AddressSpace":"wgnet-local","Pool":"10.212.0.0/16","SubPool":"","Options":{},"V6":false}'
LEASE=$(jq -r '.PoolID // empty' <<<"$BODY")
[ "$LEASE" = wgnet-local/10.212.3.0/24 ] || die "RequestPool 10.212.0.0/16" "$HTTP_STATUS $BODY"
api IpamDriver.RequestAddress "{\"PoolID\":\"$LEASE\",\"Address\":\"\",\"Options\":{\"RequestAddressType\":\"com.docker.network.gateway\"}}"
[ "$BODY" != "${BODY#*10.212.3.1/24}" ] || die "gateway of the lease" "$HTTP_STATUS $BODY"
api IpamDriver.RequestAddress "{\"PoolID\":\"$POOLID\",\"Address\":\"10.210.3.9\",\"Options\":{}}"
[ "$HTTP_STATUS" = 200 ] || die "RequestAddress 10.210.3.9" "$HTTP_STATUS $BODY"
link_exists "$BR" && link_exists "wgv${EP1:0:11}" || die "bridge and veth made"

PID0=$IT_WGNETD_PID
baseline
it_log "baseline: $(grep -c . <<<"$SNAP") snapshot lines, network $BR, endpoint ${EP1:0:12} ($EP1_ADDR)"

NEW=$(rand_id)		# valid syntax, known to nobody

# ---------------------------------------------------------------- HTTP level
api NetworkDriver.NoSuchCall '{}'
check "unknown path" err "no such call" 404
out=$(curl -s --max-time 5 --unix-socket "$IT_PLUGIN_SOCK" -H 'Host;' -w '\n%{http_code}' \
	http://localhost/NetworkDriver.GetCapabilities)
HTTP_STATUS=${out##*$'\n'} BODY=${out%$'\n'*}
check "GET instead of POST" err "must be called with another method"
f=$IT_DIR/big.body
head -c $((2 << 20)) /dev/zero | tr '\0' ' ' >"$f"
api_file NetworkDriver.GetCapabilities "$f"
check "NetworkDriver.GetCapabilities: 2 MiB body" err "over 1 MiB" 413

# ---------------------------------------------------------------- NetworkDriver.CreateNetwork
P=NetworkDriver.CreateNetwork
B="{\"NetworkID\":\"$NEW\",\"Options\":{\"com.docker.network.enable_ipv6\":false,\"com.docker.network.generic\":{}},\"IPv4Data\":[{\"AddressSpace\":\"wgnet-local\",\"Gateway\":\"10.212.3.1/24\",\"Pool\":\"10.212.3.0/24\"}],\"IPv6Data\":[]}"
generic "$P" "$B"
ids "$P" "$B" NetworkID
bad $P "IPv4Data a string" "$(mut "$B" '.IPv4Data = "10.212.3.0/24"')" "IPv4Data must be" 400
bad $P "IPv4Data[0] a string" "$(mut "$B" '.IPv4Data = ["10.212.3.0/24"]')" "IPv4Data\[0\] must be" 400
bad $P "Options a number" "$(mut "$B" '.Options = 42')" "" 400
bad $P "generic options a string" "$(mut "$B" '.Options["com.docker.network.generic"] = "x"')" "generic must be an object" 400
bad $P "enable_ipv6 a string" "$(mut "$B" '.Options["com.docker.network.enable_ipv6"] = "no"')" "enable_ipv6 must be true or false" 400
bad $P "Pool a number" "$(mut "$B" '.IPv4Data[0].Pool = 42')" "" 400
bad $P "Pool missing" "$(mut "$B" 'del(.IPv4Data[0].Pool)')"
for c in 10.212.3.0/33 10.212.3.1/24 foo 10.212.3.0 300.212.3.0/24 10.212.3.0/24x ""; do
	bad $P "Pool \"$c\"" "$(mut "$B" ".IPv4Data[0].Pool = \"$c\"")" "invalid IPv4Data pool '$c'"
done
for c in foo 10.212.9.1/24 10.212.3.0/24 10.212.3.255/24 10.212.3.1/33 10.210.3.1/24; do
	bad $P "Gateway \"$c\"" "$(mut "$B" ".IPv4Data[0].Gateway = \"$c\"")" \
		"invalid gateway '$c' for slice 10.212.3.0/24"
done
bad $P "no IPv4Data" "$(mut "$B" '.IPv4Data = []')" "no IPv4 pool"
bad $P "two IPv4Data" "$(mut "$B" '.IPv4Data += [{"AddressSpace":"wgnet-local","Pool":"10.210.3.0/24"}]')" "exactly one IPv4 --subnet"
bad $P "IPv6Data" "$(mut "$B" '.IPv6Data = [{"AddressSpace":"wgnet-local","Pool":"fd00:1::/64"}]')"
bad $P "enable_ipv6 true" "$(mut "$B" '.Options["com.docker.network.enable_ipv6"] = true')"
bad $P "Docker's default IPAM" "$(mut "$B" '.IPv4Data = [{"AddressSpace":"LocalDefault","Gateway":"172.18.0.1/16","Pool":"172.18.0.0/16"}]')" "ipam-driver wgnet"
bad $P "the null IPAM" "$(mut "$B" '.IPv4Data = [{"AddressSpace":"null","Pool":"0.0.0.0/0"}]')" "ipam-driver wgnet"
bad $P "a slice wgnet never handed out" "$(mut "$B" '.IPv4Data[0].Pool = "10.213.3.0/24" | .IPv4Data[0].Gateway = "10.213.3.1/24"')" "not handed out by wgnet's IPAM"
bad $P "the slice of a live network, new ID" "$(mut "$B" '.IPv4Data[0].Pool = "10.210.3.0/24" | .IPv4Data[0].Gateway = "10.210.3.1/24"')" "already used by wgnet network ${NET:0:12}"
for m in abc 99999 100 -1 1500x; do
	bad $P "mtu option \"$m\"" "$(mut "$B" ".Options[\"com.docker.network.generic\"][\"com.docker.network.driver.mtu\"] = \"$m\"")"
done
base_ok $P "$B" NetworkDriver.DeleteNetwork "{\"NetworkID\":\"$NEW\"}"

P=NetworkDriver.DeleteNetwork
B="{\"NetworkID\":\"$NEW\"}"
generic $P "$B"
ids $P "$B" NetworkID
noop $P "unknown network (idempotent)" "$B"

# ---------------------------------------------------------------- endpoints
P=NetworkDriver.CreateEndpoint
B="{\"NetworkID\":\"$NET\",\"EndpointID\":\"$NEW\",\"Interface\":{\"Address\":\"10.210.3.9/24\",\"AddressIPv6\":\"\",\"MacAddress\":\"\"},\"Options\":$OPTS}"
generic $P "$B"
ids $P "$B" NetworkID
ids $P "$B" EndpointID
bad $P "unknown network" "$(mut "$B" ".NetworkID = \"$(rand_id)\"")" "is not a wgnet network of this host"
bad $P "Interface a string" "$(mut "$B" '.Interface = "x"')" "" 400
bad $P "Interface missing" "$(mut "$B" 'del(.Interface)')" "" 400
bad $P "Interface.Address a number" "$(mut "$B" '.Interface.Address = 42')" "" 400
bad $P "Interface.Address missing" "$(mut "$B" 'del(.Interface.Address)')"
for c in foo 10.210.3.9/33 10.210.3.9/16 10.210.3.300/24 10.210.9.9/24 10.210.3.0/24 10.210.3.255/24 \
	10.210.3.1/24 "$EP1_ADDR" "" "fd00::9/64"; do
	case $c in
	10.210.3.1/24) re="$c is the network's gateway" ;;
	"$EP1_ADDR") re="$c is in use by endpoint ${EP1:0:12}" ;;
	"") re="no IPv4 address" ;;
	*) re="address '$c' is not in this host's slice 10.210.3.0/24" ;;
	esac
	bad $P "Interface.Address \"$c\"" "$(mut "$B" ".Interface.Address = \"$c\"")" "$re"
done
bad $P "AddressIPv6 (no IPv6 yet)" "$(mut "$B" '.Interface.AddressIPv6 = "fd00::9/64"')"
bad $P "MacAddress \"zz:zz\"" "$(mut "$B" '.Interface.MacAddress = "zz:zz"')"
bad $P "MacAddress a number" "$(mut "$B" '.Interface.MacAddress = 42')" "" 400
bad $P "portmap a string" "$(mut "$B" '.Options["com.docker.network.portmap"] = "x"')" "" 400
bad $P "the ID of an existing endpoint, another address" "$(mut "$B" ".EndpointID = \"$EP1\"")" \
	"endpoint ${EP1:0:12} already exists with another network or address"
bad $P "an ID that starts like an existing endpoint's (its veth's name)" \
	"$(mut "$B" ".EndpointID = \"${EP1:0:11}$(rand_id | cut -c 12-)\"")" \
	"starts with the same 11 characters as endpoint ${EP1:0:12}"
base_ok $P "$B" NetworkDriver.DeleteEndpoint "{\"NetworkID\":\"$NET\",\"EndpointID\":\"$NEW\"}"

for P in NetworkDriver.Join NetworkDriver.EndpointOperInfo NetworkDriver.ProgramExternalConnectivity \
	NetworkDriver.Leave NetworkDriver.DeleteEndpoint NetworkDriver.RevokeExternalConnectivity; do
	B="{\"NetworkID\":\"$NET\",\"EndpointID\":\"$EP1\"}"
	case $P in
	*.Join) B=$(mut "$B" ".SandboxKey = \"/var/run/docker/netns/ba5e0000beef\" | .Options = $OPTS") ;;
	*.ProgramExternalConnectivity) B=$(mut "$B" ".Options = $OPTS") ;;
	esac
	generic $P "$B"
	ids $P "$B" NetworkID
	ids $P "$B" EndpointID
	U=$(mut "$B" ".EndpointID = \"$NEW\"")
	W=$(mut "$B" ".NetworkID = \"$NEW\"")	# EP1, named with a network it is not on
	case $P in
	*.Join | *.EndpointOperInfo | *.ProgramExternalConnectivity)
		bad $P "unknown endpoint" "$U" "endpoint ${NEW:0:12} is not known on network ${NET:0:12}"
		bad $P "endpoint on another network" "$W" "endpoint ${EP1:0:12} is not known on network ${NEW:0:12}"
		;;
	*.Leave | *.DeleteEndpoint)
		noop $P "unknown endpoint (idempotent)" "$U"
		api $P "$W"
		check "$P: endpoint named with another network: EP1 untouched" any
		;;
	*.RevokeExternalConnectivity)
		api $P "$U"
		check "$P: unknown endpoint" any
		;;
	esac
done
P=NetworkDriver.Join
B="{\"NetworkID\":\"$NET\",\"EndpointID\":\"$EP1\",\"SandboxKey\":\"/var/run/docker/netns/ba5e0000beef\",\"Options\":$OPTS}"
bad $P "SandboxKey a number" "$(mut "$B" '.SandboxKey = 42')" "" 400
bad $P "SandboxKey missing" "$(mut "$B" 'del(.SandboxKey)')" "" 400
bad $P "SandboxKey of 300 bytes" "$(mut "$B" ".SandboxKey = \"/$(head -c 299 /dev/zero | tr '\0' a)\"")" "longer than 255"

P=NetworkDriver.ProgramExternalConnectivity
B="{\"NetworkID\":\"$NET\",\"EndpointID\":\"$EP1\",\"Options\":{\"com.docker.network.portmap\":[{\"Proto\":6,\"IP\":\"\",\"Port\":80,\"HostIP\":\"\",\"HostPort\":8080,\"HostPortEnd\":8080}]}}"
pm() { mut "$B" ".Options[\"com.docker.network.portmap\"][0] |= ($1)"; }
bad $P "portmap a string" "$(mut "$B" '.Options["com.docker.network.portmap"] = "x"')" "portmap must be an array" 400
bad $P "portmap entry a string" "$(mut "$B" '.Options["com.docker.network.portmap"] = ["x"]')" "portmap\[0\] must be an object" 400
bad $P "Proto 999" "$(pm '.Proto = 999')"
bad $P "Proto a string" "$(pm '.Proto = "tcp"')" "" 400
bad $P "Port -1" "$(pm '.Port = -1')"
bad $P "Port 70000" "$(pm '.Port = 70000')"
bad $P "Port 0" "$(pm '.Port = 0')"
bad $P "HostPort 70000" "$(pm '.HostPort = 70000 | .HostPortEnd = 70000')"
bad $P "HostPortEnd below HostPort" "$(pm '.HostPortEnd = 8070')"
bad $P "HostIP \"foo\"" "$(pm '.HostIP = "foo"')"
bad $P "HostIP IPv6 (no IPv6 yet)" "$(pm '.HostIP = "::1"')"
base_ok $P "$B" NetworkDriver.RevokeExternalConnectivity "{\"NetworkID\":\"$NET\",\"EndpointID\":\"$EP1\"}"

# ---------------------------------------------------------------- IpamDriver
P=IpamDriver.RequestPool
B='{"AddressSpace":"wgnet-local","Pool":"10.214.0.0/16","SubPool":"","Options":{},"V6":false}'
generic $P "$B"
bad $P "Pool missing" "$(mut "$B" 'del(.Pool)')"
bad $P "Pool a number" "$(mut "$B" '.Pool = 42')" "" 400
for c in 10.214.0.0/33 10.214.0.1/16 foo 10.214.0.0 10.214.0.0/16/1 "fd00::/48" 10.214.0.0/24 \
	10.210.0.0/16 10.210.0.0/15 10.210.3.0/24 10.210.3.0/25; do
	bad $P "Pool \"$c\"" "$(mut "$B" ".Pool = \"$c\"")"
done
bad $P "Pool \"\": the default pool, in use" "$(mut "$B" '.Pool = ""')" "(pool|in use)"
for c in foo 10.214.9.0/25 10.214.3.128/33 10.214.3.129/25 10.214.0.0/16; do
	bad $P "SubPool \"$c\"" "$(mut "$B" ".SubPool = \"$c\"")"
done
bad $P "SubPool without Pool" "$(mut "$B" '.Pool = "" | .SubPool = "10.210.3.0/25"')" "--ip-range needs --subnet"
bad $P "SubPool a number" "$(mut "$B" '.SubPool = 42')" "" 400
bad $P "V6 true" "$(mut "$B" '.V6 = true')"
bad $P "V6 a string" "$(mut "$B" '.V6 = "false"')" "" 400
bad $P "AddressSpace \"bogus\"" "$(mut "$B" '.AddressSpace = "bogus"')"
bad $P "AddressSpace a number" "$(mut "$B" '.AddressSpace = 42')" "" 400
bad $P "Options a string" "$(mut "$B" '.Options = "x"')" "" 400
for s in 33 abc 8 0 -24; do
	bad $P "wgnet.slice \"$s\"" "$(mut "$B" ".Options = {\"wgnet.slice\":\"$s\"}")"
done
base_ok $P "$B" IpamDriver.ReleasePool '{"PoolID":"wgnet-local/10.214.3.0/24"}'

P=IpamDriver.ReleasePool
B="{\"PoolID\":\"$POOLID\"}"
generic $P "$B"
for c in 42 null; do
	bad $P "PoolID $c" "$(mut "$B" ".PoolID = $c")" "" 400
done
bad $P "PoolID missing" "$(mut "$B" 'del(.PoolID)')" "" 400
for c in foo "" wgnet-local/foo wgnet-local/10.99.3.0/33; do
	bad $P "PoolID \"$c\"" "$(mut "$B" ".PoolID = \"$c\"")"
done
api $P '{"PoolID":"other/10.99.3.0/24"}'
check "$P: PoolID of another address space" any
noop $P "unknown pool (idempotent)" '{"PoolID":"wgnet-local/10.99.3.0/24"}'
noop $P "the pool of a live network (dockerd sends it before DeleteNetwork)" "$B"

P=IpamDriver.RequestAddress
B="{\"PoolID\":\"$POOLID\",\"Address\":\"10.210.3.10\",\"Options\":{}}"
generic $P "$B"
bad $P "PoolID a number" "$(mut "$B" '.PoolID = 42')" "" 400
bad $P "PoolID missing" "$(mut "$B" 'del(.PoolID)')" "" 400
for c in foo "" wgnet-local/10.99.3.0/24 wgnet-local/10.210.3.0/33; do
	bad $P "PoolID \"$c\"" "$(mut "$B" ".PoolID = \"$c\"")"
done
bad $P "Address a number" "$(mut "$B" '.Address = 42')" "" 400
bad $P "Address missing" "$(mut "$B" 'del(.Address)')" "" 400
for c in foo 10.210.3.300 10.210.9.9 10.210.3.0 10.210.3.255 10.210.3.1 "${EP1_ADDR%/*}" \
	10.210.3.9 ::1 10.210.3.10/33 " 10.210.3.10"; do
	bad $P "Address \"$c\"" "$(mut "$B" ".Address = \"$c\"")"
done
bad $P "Options a string" "$(mut "$B" '.Options = "x"')" "" 400
bad $P "RequestAddressType a number" "$(mut "$B" '.Options = {"RequestAddressType":42}')" "" 400

P=IpamDriver.ReleaseAddress
B="{\"PoolID\":\"$POOLID\",\"Address\":\"10.210.3.10\"}"
generic $P "$B"
bad $P "PoolID a number" "$(mut "$B" '.PoolID = 42')" "" 400
bad $P "PoolID missing" "$(mut "$B" 'del(.PoolID)')" "" 400
bad $P "Address a number" "$(mut "$B" '.Address = 42')" "" 400
bad $P "Address missing" "$(mut "$B" 'del(.Address)')" "" 400
bad $P "Address \"foo\"" "$(mut "$B" '.Address = "foo"')"
bad $P "Address \"10.210.3.300\"" "$(mut "$B" '.Address = "10.210.3.300"')"
api $P "$(mut "$B" '.Address = "10.210.9.9"')"
check "$P: Address outside the slice" any
noop $P "unknown pool (idempotent)" '{"PoolID":"wgnet-local/10.99.3.0/24","Address":"10.99.3.5"}'
noop $P "an address not allocated (idempotent)" "$B"

# ---------------------------------------------------------------- names already taken

# A link of another kind holds the veth's name: CreateEndpoint fails, no wgc half is left, the
# address of the failed endpoint is not kept, and once the name is free the same call works.
EPC=$(rand_id)
VC=wgv${EPC:0:11}
ns ip link add "$VC" type bridge
SKIP=("$VC")
baseline
P=NetworkDriver.CreateEndpoint
B="{\"NetworkID\":\"$NET\",\"EndpointID\":\"$EPC\",\"Interface\":{\"Address\":\"10.210.3.9/24\",\"AddressIPv6\":\"\",\"MacAddress\":\"\"},\"Options\":$OPTS}"
bad $P "veth name $VC taken by a bridge" "$B" "a bridge link named $VC exists and is not a veth"
link_exists "wgc${EPC:0:11}" && fail "no wgc${EPC:0:11} left behind" || pass "no wgc${EPC:0:11} left behind"
assert_eq "the bridge named $VC is still a bridge" bridge "$(link_field "$VC" .linkinfo.info_kind)"
B2=$(mut "$B" '.Interface.Address = "10.210.3.21/24"')	# never requested from the IPAM
bad $P "veth name taken, address not from RequestAddress" "$B2" \
	"a bridge link named $VC exists and is not a veth"
api IpamDriver.RequestAddress "{\"PoolID\":\"$POOLID\",\"Address\":\"10.210.3.21\",\"Options\":{}}"
assert_json "the failed CreateEndpoint's address was not kept (RequestAddress 10.210.3.21 works)" \
	'.Address == "10.210.3.21/24"'
api IpamDriver.ReleaseAddress "{\"PoolID\":\"$POOLID\",\"Address\":\"10.210.3.21\"}"
ns ip link del "$VC"
SKIP=()
api $P "$B"
assert_status "CreateEndpoint once the name is free -> 200" 200
assert_eq "its veth is on $BR" "$BR" "$(link_field "$VC" .master)"
api NetworkDriver.DeleteEndpoint "{\"NetworkID\":\"$NET\",\"EndpointID\":\"$EPC\"}"
assert_status "DeleteEndpoint of it -> 200" 200
link_exists "$VC" && fail "$VC gone" || pass "$VC gone"

# A veth pair of someone else's holds the name: wgnet replaces it (the endpoint is not joined, so
# the name is its own) with a pair of its own, whose wgc end Join hands out.
EPD=$(rand_id)
VD=wgv${EPD:0:11}
CD=wgc${EPD:0:11}
ns ip link add "$VD" type veth peer name sq$$
api $P "$(mut "$B" ".EndpointID = \"$EPD\"")"
assert_status "CreateEndpoint over a foreign veth pair $VD/sq$$ -> 200 (taken over)" 200
link_exists "$CD" && pass "taken over: $CD exists" ||
	fail "taken over: $CD exists" "$(ns ip -br link | grep -E "$VD|$CD|sq$$")"
link_exists "sq$$" && fail "taken over: the foreign peer sq$$ is gone" ||
	pass "taken over: the foreign peer sq$$ is gone"
assert_eq "taken over: $VD is a veth on $BR, MTU 1420, up, paired with $CD" \
	"veth $BR 1420 true $CD" "$(link_json "$VD" | jq -r --arg c "$CD" '"\(.linkinfo.info_kind)
	\(.master) \(.mtu) \((.flags // []) | index("UP") != null) \(.link)"' | xargs)"
api NetworkDriver.DeleteEndpoint "{\"NetworkID\":\"$NET\",\"EndpointID\":\"$EPD\"}"
assert_status "DeleteEndpoint of it -> 200" 200
ns ip link del "$VD" 2>/dev/null
baseline

# The lease of 10.212.0.0/16 may by now be older than the 120 s after which a lease that saw no
# CreateNetwork counts as abandoned (this test runs for minutes on a loaded machine): take it anew.
api IpamDriver.ReleasePool "{\"PoolID\":\"$LEASE\"}"
[ "$HTTP_STATUS" = 200 ] || die "ReleasePool $LEASE" "$HTTP_STATUS $BODY"
api IpamDriver.RequestPool '{"AddressSpace":"wgnet-local","Pool":"10.212.0.0/16","SubPool":"","Options":{},"V6":false}'
[ "$(jq -r '.PoolID // empty' <<<"$BODY")" = "$LEASE" ] ||
	die "RequestPool 10.212.0.0/16 again" "$HTTP_STATUS $BODY"

# A non-bridge link holds a new network's bridge name: refused, link and state untouched.
NETG=$(rand_id)
BG=wgb${NETG:0:10}
ns ip link add "$BG" type veth peer name sqb$$
baseline
P=NetworkDriver.CreateNetwork
B="{\"NetworkID\":\"$NETG\",\"Options\":{\"com.docker.network.enable_ipv6\":false,\"com.docker.network.generic\":{}},\"IPv4Data\":[{\"AddressSpace\":\"wgnet-local\",\"Gateway\":\"10.212.3.1/24\",\"Pool\":\"10.212.3.0/24\"}],\"IPv6Data\":[]}"
bad $P "bridge name $BG taken by a veth" "$B" "a veth link named $BG exists and is not a bridge"
ns ip link del "$BG"
baseline

# A bridge of that name exists (left by a crash, or made by hand): the name says it is ours, so
# it is adopted, and made exactly what wgnet makes: MTU, MAC, the gateway as its only address, up.
NETF=$(rand_id)
BF=wgb${NETF:0:10}
ns ip link add "$BF" mtu 1500 type bridge
ns ip addr add 192.0.2.1/24 dev "$BF"
baseline
api $P "$(mut "$B" ".NetworkID = \"$NETF\"")"
assert_status "CreateNetwork over an existing bridge $BF -> 200 (adopted)" 200
assert_eq "adopted $BF: MTU 1420, MAC 02:42 + gateway, up" "1420 02:42:0a:d4:03:01 true" \
	"$(link_json "$BF" | jq -r '"\(.mtu) \(.address) \((.flags // []) | index("UP") != null)"')"
assert_eq "adopted $BF: its only IPv4 address is the gateway (192.0.2.1/24 removed)" \
	"10.212.3.1/24" "$(ns ip -j -4 addr show dev "$BF" |
		jq -r '[.[].addr_info[] | "\(.local)/\(.prefixlen)"] | join(" ")')"
nft_table_json | jq -e --arg b "$BF" '[.. | strings] | index($b) != null' >/dev/null &&
	pass "adopted $BF: in table inet wgnet" || fail "adopted $BF: in table inet wgnet"
cli status --json | jq -e --arg id "$NETF" '[.. | strings] | index($id) != null' >/dev/null &&
	pass "adopted: the network is in the state" || fail "adopted: the network is in the state"
api NetworkDriver.DeleteNetwork "{\"NetworkID\":\"$NETF\"}"
assert_status "DeleteNetwork of the adopted network" 200
link_exists "$BF" && fail "adopted $BF deleted with its network" || pass "adopted $BF deleted"

# ---------------------------------------------------------------- the CLI
baseline
sum=$(state_sum)
for a in "--index 0" "--index abc" "--index 70000" "--index" "--index 3 --endpoint nope" \
	"--index 3 --endpoint 1.2.3.4:99999" "--bogus"; do
	# shellcheck disable=SC2086
	cli init $a >"$IT_DIR/cli.out" 2>&1
	assert_eq "wgnet init $a: exit 2" 2 "$?"
done
cli no-such-command >/dev/null 2>&1
assert_eq "wgnet no-such-command: exit 2" 2 "$?"
assert_eq "bad CLI arguments change no state" "$sum" "$(state_sum)"
assert_eq "bad CLI arguments change nothing in the kernel" "$SNAP" "$(kernel_snapshot)"
assert_eq "wgnetd has the same pid" "$PID0" "$IT_WGNETD_PID"
pid_alive "$PID0" && wgnetd_ready && pass "wgnetd still answers" || fail "wgnetd still answers"

it_finish
