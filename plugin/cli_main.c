/* SPDX-License-Identifier: MIT */
/*
 * wgnet: the command-line client of wgnetd's control API. This file holds the table of commands,
 * the help made from it, and main, which reads the global options and hands the rest of the
 * line to one command.
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

#define CLI_PREFIX "wgnet [--socket PATH] "
#define CLI_MARGIN "       "	/* as wide as "usage: " */
#define CLI_NAME_WIDTH 10	/* the names under "Commands:" */

/*
 * A command of wgnet: a row of cli_verbs, which is all that main and the help know of it. A
 * group ("peer") has no run: the next word picks one of its commands ("peer add").
 */
struct cli_verb {
	const char *name;	/* the words that pick it: "status", "peer add" */
	int (*run)(int argc, char **argv, int i, struct cli_socket *sock);	/* i: after name */
	const char *usage;	/* one line, in its errors */
	const char *synopsis;	/* its lines under "usage:" (NULL: usage, "": none); a line that
				   does not start with "wgnet" goes on after the command's name */
	const char *help;	/* its lines under "Commands:" (NULL: none) */
};

static const struct cli_verb cli_verbs[] = {
	{ .name = "init", .run = cli_cmd_init, .usage = CLI_USAGE_INIT,
	  .synopsis = "wgnet [--socket PATH] init --index N [--endpoint HOST:PORT] [--mtu N]\n"
		      "[--listen-port N] [--name NAME]\n"
		      "wgnet [--socket PATH] init --store URL[,URL...] [--store-ca FILE]\n"
		      "[--store-cert FILE --store-key FILE] [--index N]\n"
		      "[--store-insecure-http] [--store-no-client-cert]\n"
		      "[--endpoint HOST:PORT] [--mtu N] [--listen-port N]\n"
		      "[--name NAME]",
	  .help = "make this host number N (1..65535) of the mesh and print its\n"
		  "join line; --endpoint is the HOST:PORT where other hosts reach\n"
		  "its WireGuard port (a name, an IPv4 or an [IPv6] address),\n"
		  "--mtu is 1280..9000 (default: the MTU of the route towards\n"
		  "the peers, or of the default route, minus 80, in\n"
		  "1280..1420, up to 9000 with jumbo frames; new networks\n"
		  "take it, existing ones keep theirs and are listed),\n"
		  "--listen-port the WireGuard UDP port (1..65535), --name\n"
		  "the host's name in the mesh (1..63 of A-Z a-z 0-9 . _ -;\n"
		  "default: the hostname)\n"
		  "With --store (etcd v3 URLs, TLS files), init claims the lowest\n"
		  "free index (or --index N) in the store and publishes this host:\n"
		  "every host of the store becomes a peer, no join lines needed;\n"
		  "an http:// URL is refused without --store-insecure-http (no\n"
		  "encryption: whoever is on the path reads and changes the mesh),\n"
		  "and no --store-cert without --store-no-client-cert (whoever\n"
		  "reaches the store joins the mesh or removes hosts)" },
	{ .name = "status", .run = cli_cmd_status, .usage = CLI_USAGE_STATUS,
	  .help = "show this host, its peers and its networks; --json prints\n"
		  "wgnetd's reply" },
	{ .name = "names", .run = cli_cmd_names, .usage = CLI_USAGE_NAMES,
	  .help = "show the names this host answers for its pools' containers\n"
		  "(its own and the other hosts'): name, address, pool, host;\n"
		  "--json prints wgnetd's reply" },
	{ .name = "events", .run = cli_cmd_events, .usage = CLI_USAGE_EVENTS,
	  .help = "print what changes as it happens, one line each, until\n"
		  "interrupted: peer up/down, endpoint moved, failover, firewall\n"
		  "rebuilt/failed, store lost/back, watchdog restarts; --json: one\n"
		  "JSON object per line; --since N: first the events after number\n"
		  "N that wgnetd still holds (0: all of them)" },
	{ .name = "join-line", .run = cli_cmd_join_line, .usage = CLI_USAGE_JOIN,
	  .help = "print this host's join line, for `wgnet peer add` elsewhere" },
	{ .name = "peer", .usage = CLI_USAGE_PEER },
	{ .name = "peer add", .run = cli_cmd_peer_add, .usage = CLI_USAGE_PEER_ADD,
	  .synopsis = "wgnet [--socket PATH] peer add [--endpoint HOST:PORT | --no-endpoint]\n"
		      "[--keepalive N] JOIN-LINE...",
	  .help = "add the host of a join line (one argument, or several joined\n"
		  "with spaces); --endpoint replaces the line's endpoint,\n"
		  "--no-endpoint ignores it (that host is behind NAT),\n"
		  "--keepalive is 0..65535 seconds (default 25)" },
	{ .name = "peer rm", .run = cli_cmd_peer_rm, .usage = CLI_USAGE_PEER_RM,
	  .help = "remove a peer by name or public key" },
	{ .name = "peer ls", .run = cli_cmd_peer_ls, .usage = CLI_USAGE_PEER_LS,
	  .help = "show the peers; --json prints wgnetd's reply" },
	{ .name = "host", .usage = CLI_USAGE_HOST },
	{ .name = "host allow", .run = cli_cmd_host_allow, .usage = CLI_USAGE_HOST,
	  .synopsis = "wgnet [--socket PATH] host allow|deny PROTO/PORT",
	  .help = "open a port of this host to the mesh (tcp/53, udp/5353,\n"
		  "sctp/N): every other new connection that arrives through\n"
		  "the tunnel for this host's own addresses is dropped" },
	{ .name = "host deny", .run = cli_cmd_host_deny, .usage = CLI_USAGE_HOST, .synopsis = "",
	  .help = "close it again" },
	{ .name = "host allowed", .run = cli_cmd_host_allowed, .usage = CLI_USAGE_HOST,
	  .synopsis = "wgnet [--socket PATH] host allowed [--json]",
	  .help = "show the ports open to the mesh; --json prints wgnetd's reply" },
	{ .name = "host rm", .run = cli_cmd_host_rm, .usage = CLI_USAGE_HOST_RM,
	  .help = "remove another host from the store" },
	{ .name = "host revoke", .run = cli_cmd_host_revoke, .usage = CLI_USAGE_HOST_REVOKE,
	  .help = "put a host's key on the store's revoked list (every host\n"
		  "refuses it from then on, now and later) and take the host\n"
		  "out of the store; revoke its client certificate at the\n"
		  "store too (README)" },
	{ .name = "key", .usage = CLI_USAGE_KEY },
	{ .name = "key rotate", .run = cli_cmd_key_rotate, .usage = CLI_USAGE_KEY_ROTATE,
	  .help = "give this host a new key pair; with a store, all at once:\n"
		  "the others take the new key, then this host switches, and\n"
		  "running containers keep talking; with join lines, it prints\n"
		  "the new join line for `wgnet peer add` on every other host,\n"
		  "and --finish then switches to the new key" },
	{ .name = "leave", .run = cli_cmd_leave, .usage = CLI_USAGE_LEAVE,
	  .help = "remove this host from the store (its peers drop it)" },
};
#define CLI_NVERBS (sizeof(cli_verbs) / sizeof(cli_verbs[0]))

/* Whether v is a command of the group named group (its first n bytes). */
static bool cli_verb_in(const struct cli_verb *v, const char *group, size_t n)
{
	return strncmp(v->name, group, n) == 0 && v->name[n] == ' ';
}

/* The command that word picks in the group named group, or at the top when group is "". */
static const struct cli_verb *cli_verb_find(const char *group, const char *word)
{
	size_t n = strlen(group);

	for (size_t k = 0; k < CLI_NVERBS; k++) {
		const struct cli_verb *v = &cli_verbs[k];

		if (n ? !cli_verb_in(v, group, n) : strchr(v->name, ' ') != NULL)
			continue;
		if (strcmp(v->name + (n ? n + 1 : 0), word) == 0)
			return v;
	}
	return NULL;
}

/* Appends s to the string in buf (cut at size). */
static void cli_append(char *buf, size_t size, const char *s)
{
	size_t n = strlen(buf);

	snprintf(buf + n, size - n, "%s", s);
}

/* "wgnet [--socket PATH] init|status|... [OPTIONS], wgnet --help": the usage of a bad line */
static const char *cli_usage_any(void)
{
	static char buf[256];
	const char *sep = "";

	snprintf(buf, sizeof(buf), CLI_PREFIX);
	for (size_t k = 0; k < CLI_NVERBS; k++)
		if (!strchr(cli_verbs[k].name, ' ')) {
			cli_append(buf, sizeof(buf), sep);
			cli_append(buf, sizeof(buf), cli_verbs[k].name);
			sep = "|";
		}
	cli_append(buf, sizeof(buf), " [OPTIONS], wgnet --help");
	return buf;
}

/* Its lines under "usage:", the first after *lead ("usage: " for the very first line). */
static void cli_print_synopsis(const struct cli_verb *v, const char **lead)
{
	const char *s = v->synopsis ? v->synopsis : v->usage;
	int indent = (int)(strlen(CLI_PREFIX) + strlen(v->name) + 1);
	size_t len;

	for (; *s; s += len + (s[len] == '\n')) {
		len = strcspn(s, "\n");
		/* a line that does not start with "wgnet" goes on after the command's name */
		printf("%s%*s%.*s\n", *lead, strncmp(s, "wgnet", 5) != 0 ? indent : 0, "", (int)len,
		       s);
		*lead = CLI_MARGIN;
	}
}

/* Its lines under "Commands:", the name in a column. */
static void cli_print_command(const struct cli_verb *v)
{
	const char *s = v->help;
	size_t len;

	/* a name wider than the column is followed by two spaces */
	printf("  %-*s%s", CLI_NAME_WIDTH, v->name, strlen(v->name) > CLI_NAME_WIDTH ? "  " : " ");
	for (; *s; s += len + (s[len] == '\n')) {
		len = strcspn(s, "\n");
		printf("%*s%.*s\n", s == v->help ? 0 : 2 + CLI_NAME_WIDTH + 1, "", (int)len, s);
	}
}

static void cli_print_help(void)
{
	const char *lead = "usage: ";

	for (size_t k = 0; k < CLI_NVERBS; k++)
		if (cli_verbs[k].run)
			cli_print_synopsis(&cli_verbs[k], &lead);
	fputs(CLI_MARGIN "wgnet --help | -h\n" CLI_MARGIN "wgnet --version\n\nCommands:\n", stdout);
	for (size_t k = 0; k < CLI_NVERBS; k++)
		if (cli_verbs[k].help)
			cli_print_command(&cli_verbs[k]);
	fputs("\n"
	      "Options:\n"
	      "  --socket PATH   wgnetd's control socket (default $" CLI_SOCKET_ENV ", else\n"
	      "                  " CLI_SOCKET_DEFAULT ")\n"
	      "  -h, --help      show this help\n"
	      "  --version       show the version\n"
	      "\n"
	      "Exit status: 0 done, 1 wgnetd unreachable or it refused, 2 bad arguments.\n", stdout);
}

/* A group's command: peer [--socket PATH] add ... */
static int cli_run_group(const struct cli_verb *g, int argc, char **argv, int i,
			 struct cli_socket *sock)
{
	const struct cli_verb *v;
	size_t n = strlen(g->name), count = 0, k, j = 0;
	char words[128] = "";
	bool help = false;
	int r;

	r = cli_group_args(argc, argv, &i, sock, g->usage, g->name, &help);
	if (r != CLI_EXIT_OK)
		return r;
	if (i < argc) {
		v = cli_verb_find(g->name, argv[i]);
		if (!v)
			return cli_usage_error(g->usage, "unknown %s command '%s'", g->name, argv[i]);
		return v->run(argc, argv, i + 1, sock);
	}
	/* "peer needs add, rm or ls" */
	for (k = 0; k < CLI_NVERBS; k++)
		count += cli_verb_in(&cli_verbs[k], g->name, n);
	for (k = 0; k < CLI_NVERBS; k++) {
		if (!cli_verb_in(&cli_verbs[k], g->name, n))
			continue;
		cli_append(words, sizeof(words), j == 0 ? "" : j + 1 < count ? ", " : " or ");
		cli_append(words, sizeof(words), cli_verbs[k].name + n + 1);
		j++;
	}
	return cli_usage_error(g->usage, "%s needs %s", g->name, words);
}

int main(int argc, char **argv)
{
	struct cli_socket sock = { CLI_SOCKET_DEFAULT };
	const char *env = getenv(CLI_SOCKET_ENV), *any = cli_usage_any();
	const struct cli_verb *v;
	int i, r;

	if (env && env[0]) {
		if (!cli_socket_valid(env))
			return cli_usage_error(any, "$%s must be 1..%zu bytes",
					       CLI_SOCKET_ENV,
					       sizeof(((struct sockaddr_un *)NULL)->sun_path) - 1);
		sock.path = env;
	}

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		r = cli_opt_socket(argc, argv, &i, &sock, any);
		if (r < 0)
			return -r;
		if (r > 0)
			continue;
		if (cli_is_help(argv[i])) {
			cli_print_help();
			goto flush;
		}
		if (strcmp(argv[i], "--version") == 0) {
			printf("wgnet %s\n", WGNET_VERSION);
			goto flush;
		}
		return cli_usage_error(any, "unknown option '%s'", argv[i]);
	}
	if (i >= argc)
		return cli_usage_error(any, "no command given");

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		cli_fail("cannot start libcurl", NULL);
		return CLI_EXIT_FAIL;
	}
	v = cli_verb_find("", argv[i]);
	if (!v)
		r = cli_usage_error(any, "unknown command '%s'", argv[i]);
	else if (v->run)
		r = v->run(argc, argv, i + 1, &sock);
	else
		r = cli_run_group(v, argc, argv, i + 1, &sock);
	curl_global_cleanup();
	if (r == CLI_EXIT_HELP)
		cli_print_help();
	else if (r != CLI_EXIT_OK)
		return r;
flush:
	/* a full disk or closed pipe must not look like success */
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "wgnet: cannot write output: %s\n", strerror(errno));
		return CLI_EXIT_FAIL;
	}
	return CLI_EXIT_OK;
}
