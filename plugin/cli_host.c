/* SPDX-License-Identifier: MIT */
/* wgnet host allow|deny|allowed: ports of this host open to the mesh; host rm NAME. */
#include <errno.h>
#include <string.h>

#include "plugin/cli.h"

/* wgnet host rm NAME (i: the word after rm) */
static int cli_cmd_host_rm(int argc, char **argv, int i, struct cli_socket *sock)
{
	json_t *root = NULL, *req;
	const char *name = NULL;
	int r;

	for (; i < argc; i++) {
		r = cli_opt_socket(argc, argv, &i, sock, CLI_USAGE_HOST_RM);
		if (r < 0)
			return -r;
		if (r > 0)
			continue;
		if (cli_is_help(argv[i])) {
			fputs(cli_help, stdout);	/* main checks the write */
			return CLI_EXIT_OK;
		}
		if (argv[i][0] == '-' || name)
			return cli_usage_error(CLI_USAGE_HOST_RM, "unexpected argument '%s'", argv[i]);
		name = argv[i];
	}
	if (!name || !cli_name_ok(name))
		return cli_usage_error(CLI_USAGE_HOST_RM, "host rm needs a host name (1..%d of "
				       "A-Z a-z 0-9 . _ -)", CLI_NAME_MAX);
	req = json_pack("{s:s}", "name", name);
	if (!req || cli_post(sock, "/hosts/rm", req, &root) < 0) {
		json_decref(req);
		return CLI_EXIT_FAIL;
	}
	json_decref(req);
	json_decref(root);
	printf("host %s removed from the store\n", name);
	return CLI_EXIT_OK;
}

/* The reply of /host*: {"host_allow": ["tcp/53", ...]}, printed one port a line. */
static int cli_print_host_ports(json_t *root, bool as_json)
{
	json_error_t jerr;
	json_t *arr, *v;
	size_t k;

	if (json_unpack_ex(root, &jerr, 0, "{s:o}", "host_allow", &arr) < 0) {
		cli_malformed(&jerr);
		return -EPROTO;
	}
	if (!json_is_array(arr)) {
		cli_fail("malformed reply from wgnetd: host_allow is not an array", NULL);
		return -EPROTO;
	}
	json_array_foreach(arr, k, v)
		if (!json_is_string(v) || !cli_text_len_ok(json_string_value(v), 16, false)) {
			cli_fail("malformed reply from wgnetd: bad host_allow value", NULL);
			return -EPROTO;
		}
	if (as_json) {
		cli_print_json(root);
		return 0;
	}
	if (!json_array_size(arr))
		printf("no port of this host is open to the mesh\n");
	json_array_foreach(arr, k, v)
		printf("%s open to the mesh\n", json_string_value(v));
	return 0;
}

static int cli_host_port_req(int argc, char **argv, int i, struct cli_socket *sock, json_t *req,
			     bool *help)
{
	const char *port = NULL;
	int r;

	for (; i < argc; i++) {
		if (argv[i][0] == '-') {
			r = cli_opt_socket(argc, argv, &i, sock, CLI_USAGE_HOST);
			if (r < 0)
				return -r;
			if (r > 0)
				continue;
			if (cli_is_help(argv[i])) {
				*help = true;
				return CLI_EXIT_OK;
			}
			return cli_usage_error(CLI_USAGE_HOST, "unknown option '%s' for host",
					       argv[i]);
		}
		if (port)
			return cli_usage_error(CLI_USAGE_HOST, "unexpected argument '%s'", argv[i]);
		port = argv[i];
	}
	if (!port)
		return cli_usage_error(CLI_USAGE_HOST, "host allow and host deny need a port like "
				       "tcp/53");
	if (!cli_text_len_ok(port, 16, false))
		return cli_usage_error(CLI_USAGE_HOST, "'%s' is not a port like tcp/53", port);
	return cli_json_set_new(req, "port", json_string(port));
}

/* wgnet host [--socket PATH] allow|deny PROTO/PORT, allowed [--json], rm NAME */
int cli_cmd_host(int argc, char **argv, int i, struct cli_socket *sock)
{
	bool as_json = false, help = false;
	json_t *root = NULL;
	int ret;

	ret = cli_group_args(argc, argv, &i, sock, CLI_USAGE_HOST, "host", &help);
	if (ret != CLI_EXIT_OK || help)
		return ret;
	if (i >= argc)
		return cli_usage_error(CLI_USAGE_HOST, "host needs allow, deny, allowed or rm");
	if (strcmp(argv[i], "rm") == 0)
		return cli_cmd_host_rm(argc, argv, i + 1, sock);
	if (strcmp(argv[i], "allowed") == 0) {
		ret = cli_plain_args(argc, argv, i + 1, sock, CLI_USAGE_HOST, "host allowed",
				     &as_json, &help);
		if (ret == CLI_EXIT_OK && !help &&
		    cli_request(sock, "/host/allowed", NULL, &root) < 0)
			ret = CLI_EXIT_FAIL;
	} else if (strcmp(argv[i], "allow") == 0 || strcmp(argv[i], "deny") == 0) {
		ret = cli_post_cmd(argc, argv, i + 1, sock, cli_host_port_req,
				   argv[i][0] == 'a' ? "/host/allow" : "/host/deny", &root);
		help = ret == CLI_EXIT_OK && !root;
	} else {
		return cli_usage_error(CLI_USAGE_HOST, "unknown host command '%s'", argv[i]);
	}
	if (ret == CLI_EXIT_OK && help && strcmp(argv[i], "allowed") == 0)
		fputs(cli_help, stdout);	/* main checks the write */
	if (ret == CLI_EXIT_OK && root && cli_print_host_ports(root, as_json) < 0)
		ret = CLI_EXIT_FAIL;
	json_decref(root);
	return ret;
}
