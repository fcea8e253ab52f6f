#!/usr/bin/env bash
# cli_args.sh WGNET: wgnet's command line without a wgnetd. --socket and --help are taken
# anywhere on the line, also between a command group (peer, host) and its sub-command; what the
# line asks is sent to the socket it names (here one that does not exist: exit 1, "cannot reach").
set -uo pipefail
wgnet=${1:?usage: cli_args.sh WGNET}
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

sock=/nonexistent/wgnet-cli-args-$$.sock
help=$(WGNET_SOCKET='' "$wgnet" --help)
assert_eq "wgnet --help: exit 0" 0 "$?"

# run ARGS...: sets OUT, ERR and RC of wgnet ARGS (no $WGNET_SOCKET)
run()
{
	OUT=$(WGNET_SOCKET='' "$wgnet" "$@" 2>"$err_file")
	RC=$?
	ERR=$(cat "$err_file")
}
err_file=$(mktemp)
remove_err_file()
{
	rm -f "$err_file"
}
on_exit remove_err_file

# reaches ARGS...: the line passes the argument checks and goes to $sock
reaches()
{
	run "$@"
	assert_eq "wgnet $*: exit 1, wgnetd unreachable" \
		"1 wgnet: cannot reach wgnetd at $sock: No such file or directory (is wgnetd running?)" \
		"$RC $ERR"
}

# prints_help ARGS...: wgnet ARGS prints the help, exit 0
prints_help()
{
	run "$@"
	# the first line of each stream when it is not the help
	[ "$OUT" = "$help" ] && OUT="the help" || OUT="stdout '${OUT%%$'\n'*}' stderr '${ERR%%$'\n'*}'"
	assert_eq "wgnet $*: exit 0, the help" "0 the help" "$RC $OUT"
}

reaches --socket "$sock" peer ls
reaches --socket "$sock" init --index 1 --mtu 1280
reaches --socket "$sock" init --index 1 --mtu 9000
for m in 576 1279 9001; do	# wgnetd's bounds, 1280..9000, checked before anything is sent
	run --socket "$sock" init --index 1 --mtu $m
	assert_match "wgnet init --mtu $m: exit 2, the bounds named" \
		"^2 wgnet: --mtu must be 1280\.\.9000 in decimal digits, not '$m'" "$RC $ERR"
done
reaches peer --socket "$sock" ls
reaches host --socket "$sock" allowed
reaches host --socket="$sock" allow tcp/53
reaches host allowed --socket "$sock"
reaches host rm --socket "$sock" h2
for g in peer host; do
	prints_help $g --help
	prints_help $g -h
	prints_help $g --socket "$sock" --help
	run $g --bogus
	assert_match "wgnet $g --bogus: exit 2, the option named" \
		"^2 wgnet: unknown option '--bogus' for $g \(usage: wgnet \[--socket PATH\] $g " \
		"$RC $ERR"
done
prints_help host rm --help
prints_help host rm h2 -h
unit_finish
