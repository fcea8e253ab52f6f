/* SPDX-License-Identifier: MIT */
/*
 * wgnet: the command-line client of wgnetd's control API. This file holds the help text and
 * main, which reads the global options and hands the rest of the line to one command.
 */
#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "plugin/cli.h"

#ifndef WGNET_VERSION
#define WGNET_VERSION "0.1.0"
#endif

#define CLI_SOCKET_DEFAULT "/run/wgnet/wgnet.sock"
#define CLI_SOCKET_ENV "WGNET_SOCKET"

const char cli_help[] =
	"usage: wgnet [--socket PATH] init --index N [--endpoint HOST:PORT] [--mtu N]\n"
	"                                  [--listen-port N] [--name NAME]\n"
	"       wgnet [--socket PATH] init --store URL[,URL...] [--store-ca FILE]\n"
	"                                  [--store-cert FILE --store-key FILE] [--index N]\n"
	"                                  [--store-insecure-http] [--store-no-client-cert]\n"
	"                                  [--endpoint HOST:PORT] [--mtu N] [--listen-port N]\n"
	"                                  [--name NAME]\n"
	"       " CLI_USAGE_LEAVE "\n"
	"       " CLI_USAGE_HOST_RM "\n"
	"       " CLI_USAGE_STATUS "\n"
	"       " CLI_USAGE_EVENTS "\n"
	"       " CLI_USAGE_JOIN "\n"
	"       wgnet [--socket PATH] peer add [--endpoint HOST:PORT | --no-endpoint]\n"
	"                                      [--keepalive N] JOIN-LINE...\n"
	"       " CLI_USAGE_PEER_RM "\n"
	"       " CLI_USAGE_PEER_LS "\n"
	"       wgnet [--socket PATH] host allow|deny PROTO/PORT\n"
	"       wgnet [--socket PATH] host allowed [--json]\n"
	"       wgnet --help | -h\n"
	"       wgnet --version\n"
	"\n"
	"Commands:\n"
	"  init       make this host number N (1..65535) of the mesh and print its\n"
	"             join line; --endpoint is the HOST:PORT where other hosts reach\n"
	"             its WireGuard port (a name, an IPv4 or an [IPv6] address),\n"
	"             --mtu is 1280..9000 (default: the MTU of the route towards\n"
	"             the peers, or of the default route, minus 80, in\n"
	"             1280..1420, up to 9000 with jumbo frames; new networks\n"
	"             take it, existing ones keep theirs and are listed),\n"
	"             --listen-port the WireGuard UDP port (1..65535), --name\n"
	"             the host's name in the mesh (1..63 of A-Z a-z 0-9 . _ -;\n"
	"             default: the hostname)\n"
	"             With --store (etcd v3 URLs, TLS files), init claims the lowest\n"
	"             free index (or --index N) in the store and publishes this host:\n"
	"             every host of the store becomes a peer, no join lines needed;\n"
	"             an http:// URL is refused without --store-insecure-http (no\n"
	"             encryption: whoever is on the path reads and changes the mesh),\n"
	"             and no --store-cert without --store-no-client-cert (whoever\n"
	"             reaches the store joins the mesh or removes hosts)\n"
	"  leave      remove this host from the store (its peers drop it)\n"
	"  join-line  print this host's join line, for `wgnet peer add` elsewhere\n"
	"  peer add   add the host of a join line (one argument, or several joined\n"
	"             with spaces); --endpoint replaces the line's endpoint,\n"
	"             --no-endpoint ignores it (that host is behind NAT),\n"
	"             --keepalive is 0..65535 seconds (default 25)\n"
	"  peer rm    remove a peer by name or public key\n"
	"  peer ls    show the peers; --json prints wgnetd's reply\n"
	"  status     show this host, its peers and its networks; --json prints\n"
	"             wgnetd's reply\n"
	"  events     print what changes as it happens, one line each, until\n"
	"             interrupted: peer up/down, endpoint moved, failover, firewall\n"
	"             rebuilt/failed, store lost/back, watchdog restarts; --json: one\n"
	"             JSON object per line; --since N: first the events after number\n"
	"             N that wgnetd still holds (0: all of them)\n"
	"  host allow open a port of this host to the mesh (tcp/53, udp/5353,\n"
	"             sctp/N): every other new connection that arrives through\n"
	"             the tunnel for this host's own addresses is dropped\n"
	"  host deny  close it again\n"
	"  host allowed  show the ports open to the mesh; --json prints wgnetd's reply\n"
	"  host rm    remove another host from the store\n"
	"\n"
	"Options:\n"
	"  --socket PATH   wgnetd's control socket (default $" CLI_SOCKET_ENV ", else\n"
	"                  " CLI_SOCKET_DEFAULT ")\n"
	"  -h, --help      show this help\n"
	"  --version       show the version\n"
	"\n"
	"Exit status: 0 done, 1 wgnetd unreachable or it refused, 2 bad arguments.\n";

int main(int argc, char **argv)
{
	struct cli_socket sock = { CLI_SOCKET_DEFAULT };
	const char *env = getenv(CLI_SOCKET_ENV);
	int i, r;

	if (env && env[0]) {
		if (!cli_socket_valid(env))
			return cli_usage_error(CLI_USAGE_ANY, "$%s must be 1..%zu bytes",
					       CLI_SOCKET_ENV,
					       sizeof(((struct sockaddr_un *)NULL)->sun_path) - 1);
		sock.path = env;
	}

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		r = cli_opt_socket(argc, argv, &i, &sock, CLI_USAGE_ANY);
		if (r < 0)
			return -r;
		if (r > 0)
			continue;
		if (cli_is_help(argv[i])) {
			fputs(cli_help, stdout);
			goto flush;
		}
		if (strcmp(argv[i], "--version") == 0) {
			printf("wgnet %s\n", WGNET_VERSION);
			goto flush;
		}
		return cli_usage_error(CLI_USAGE_ANY, "unknown option '%s'", argv[i]);
	}
	if (i >= argc)
		return cli_usage_error(CLI_USAGE_ANY, "no command given");

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		cli_fail("cannot start libcurl", NULL);
		return CLI_EXIT_FAIL;
	}
	if (strcmp(argv[i], "init") == 0)
		r = cli_cmd_init(argc, argv, i + 1, &sock);
	else if (strcmp(argv[i], "status") == 0)
		r = cli_cmd_status(argc, argv, i + 1, &sock);
	else if (strcmp(argv[i], "events") == 0)
		r = cli_cmd_events(argc, argv, i + 1, &sock);
	else if (strcmp(argv[i], "join-line") == 0)
		r = cli_cmd_join_line(argc, argv, i + 1, &sock);
	else if (strcmp(argv[i], "peer") == 0)
		r = cli_cmd_peer(argc, argv, i + 1, &sock);
	else if (strcmp(argv[i], "leave") == 0)
		r = cli_cmd_leave(argc, argv, i + 1, &sock);
	else if (strcmp(argv[i], "host") == 0)
		r = cli_cmd_host(argc, argv, i + 1, &sock);
	else
		r = cli_usage_error(CLI_USAGE_ANY, "unknown command '%s'", argv[i]);
	curl_global_cleanup();
	if (r != CLI_EXIT_OK)
		return r;
flush:
	/* a full disk or closed pipe must not look like success */
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "wgnet: cannot write output: %s\n", strerror(errno));
		return CLI_EXIT_FAIL;
	}
	return CLI_EXIT_OK;
}
