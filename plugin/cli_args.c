/* SPDX-License-Identifier: MIT */
/* The command line: options, numbers, endpoints and usage errors. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/un.h>

#include "plugin/cli.h"

int cli_usage_error(const char *usage, const char *fmt, ...)
{
	va_list ap;

	fputs("wgnet: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (usage: %s)\n", usage);
	return CLI_EXIT_USAGE;
}

bool cli_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Decimal digits only (no sign, no blanks, no hex), within [min, max]. */
int cli_parse_uint(const char *s, unsigned long min, unsigned long max,
		   unsigned long *out)
{
	unsigned long v = 0;

	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		if (!cli_is_digit(*s))
			return -EINVAL;
		v = v * 10 + (unsigned long)(*s - '0');
		if (v > max)
			return -ERANGE;
	}
	if (v < min)
		return -ERANGE;
	*out = v;
	return 0;
}

/* A DNS name: labels of 1..63 letters, digits and inner hyphens; all-numeric means IPv4. */
static bool cli_host_valid(const char *host, size_t len)
{
	struct in_addr a4;
	char buf[254];
	size_t i, label = 0;
	bool numeric = true;

	if (len == 0 || len >= sizeof(buf))
		return false;
	memcpy(buf, host, len);
	buf[len] = '\0';
	for (i = 0; i < len; i++) {
		char c = buf[i];

		if (c == '.') {
			if (label == 0 || buf[i - 1] == '-')
				return false;
			label = 0;
			continue;
		}
		if (!cli_is_digit(c))
			numeric = false;
		if (c == '-' && label == 0)
			return false;
		if (!cli_is_digit(c) && c != '-' && !(c >= 'a' && c <= 'z') &&
		    !(c >= 'A' && c <= 'Z'))
			return false;
		if (++label > 63)
			return false;
	}
	if (label == 0 || buf[len - 1] == '-')
		return false;
	if (numeric)
		return inet_pton(AF_INET, buf, &a4) == 1;
	return true;
}

/* NULL when ep is HOST:PORT, else what is wrong with it. */
const char *cli_endpoint_problem(const char *ep)
{
	struct in6_addr a6;
	char buf[INET6_ADDRSTRLEN];
	const char *port;
	unsigned long v;

	if (ep[0] == '[') {
		const char *end = strchr(ep, ']');
		size_t len;

		if (!end || end[1] != ':')
			return "must be [IPv6]:PORT";
		len = (size_t)(end - ep - 1);
		if (len == 0 || len >= sizeof(buf))
			return "has no valid IPv6 address between [ and ]";
		memcpy(buf, ep + 1, len);
		buf[len] = '\0';
		if (inet_pton(AF_INET6, buf, &a6) != 1)
			return "has no valid IPv6 address between [ and ]";
		port = end + 2;
	} else {
		const char *colon = strrchr(ep, ':');

		if (!colon)
			return "must be HOST:PORT";
		if (memchr(ep, ':', (size_t)(colon - ep)))
			return "must put an IPv6 address in brackets: [IPv6]:PORT";
		if (!cli_host_valid(ep, (size_t)(colon - ep)))
			return "needs a host name or IPv4 address before the ':'";
		port = colon + 1;
	}
	if (cli_parse_uint(port, 1, 65535, &v) < 0)
		return "needs a port of 1..65535 after the ':'";
	return NULL;
}

bool cli_socket_valid(const char *path)
{
	return path[0] && strlen(path) < sizeof(((struct sockaddr_un *)NULL)->sun_path);
}

/*
 * Matches argv[*i] against the long option name, as "--name=value" or "--name value".
 * Returns 1 with *value set, 0 when argv[*i] is not this option, -EINVAL when the value is
 * missing.
 */
int cli_opt_value(int argc, char **argv, int *i, const char *name, const char **value)
{
	const char *arg = argv[*i];
	size_t n = strlen(name);

	if (strncmp(arg, name, n) != 0)
		return 0;
	if (arg[n] == '=') {
		*value = arg + n + 1;
		return 1;
	}
	if (arg[n] != '\0')
		return 0;
	if (*i + 1 >= argc)
		return -EINVAL;
	*i += 1;
	*value = argv[*i];
	return 1;
}

/* --socket anywhere on the line; returns 1 if argv[*i] was it, 0 if not, or an exit code < 0. */
int cli_opt_socket(int argc, char **argv, int *i, struct cli_socket *sock,
		   const char *usage)
{
	const char *v;
	int r = cli_opt_value(argc, argv, i, "--socket", &v);

	if (r == -EINVAL)
		return -cli_usage_error(usage, "--socket needs a PATH");
	if (r == 0)
		return 0;
	if (!cli_socket_valid(v))
		return -cli_usage_error(usage, "--socket PATH must be 1..%zu bytes",
					sizeof(((struct sockaddr_un *)NULL)->sun_path) - 1);
	sock->path = v;
	return 1;
}

bool cli_is_help(const char *arg)
{
	return strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0;
}

/*
 * The arguments of a command that takes only --socket, --help, the option flag (when not NULL:
 * "--json", "--finish"; *set says whether it was given) and, when word is not NULL, at most one
 * word (a name, a key: *word, NULL when absent). Returns an exit code (CLI_EXIT_HELP for
 * --help); CLI_EXIT_OK to go on.
 */
int cli_plain_args(int argc, char **argv, int i, struct cli_socket *sock, const char *usage,
		   const char *cmd, const char *flag, bool *set, const char **word, bool *help)
{
	int r;

	for (; i < argc; i++) {
		r = cli_opt_socket(argc, argv, &i, sock, usage);
		if (r < 0)
			return -r;
		if (r > 0)
			continue;
		if (flag && strcmp(argv[i], flag) == 0) {
			*set = true;
			continue;
		}
		if (cli_is_help(argv[i])) {
			*help = true;
			return CLI_EXIT_HELP;
		}
		if (argv[i][0] == '-')
			return cli_usage_error(usage, "unknown option '%s' for %s", argv[i], cmd);
		if (!word || *word)
			return cli_usage_error(usage, "unexpected argument '%s'", argv[i]);
		*word = argv[i];
	}
	return CLI_EXIT_OK;
}

/*
 * The options of a command group (peer, host) before its sub-command: --socket and --help, which
 * it prints. Leaves *i at the sub-command; returns an exit code, CLI_EXIT_OK to go on (unless
 * *help is set).
 */
int cli_group_args(int argc, char **argv, int *i, struct cli_socket *sock, const char *usage,
		   const char *group, bool *help)
{
	int r;

	for (; *i < argc && argv[*i][0] == '-'; (*i)++) {
		r = cli_opt_socket(argc, argv, i, sock, usage);
		if (r < 0)
			return -r;
		if (r > 0)
			continue;
		if (cli_is_help(argv[*i])) {
			*help = true;
			return CLI_EXIT_HELP;
		}
		return cli_usage_error(usage, "unknown option '%s' for %s", argv[*i], group);
	}
	return CLI_EXIT_OK;
}
