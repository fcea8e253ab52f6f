/* SPDX-License-Identifier: MIT */
/* wgnet host allow|deny|allowed: ports of this host open to the mesh; host rm NAME. */
#include <errno.h>

#include "plugin/cli.h"

/* wgnet host rm NAME */
int cli_cmd_host_rm(int argc, char **argv, int i, struct cli_socket *sock)
{
	json_t *root = NULL, *req;
	const char *name = NULL;
	bool help = false;
	int r;

	r = cli_plain_args(argc, argv, i, sock, CLI_USAGE_HOST_RM, "host rm", NULL, NULL, &name,
			   &help);
	if (r != CLI_EXIT_OK)
		return r;
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

/* wgnet host revoke NAME|PUBLIC-KEY */
int cli_cmd_host_revoke(int argc, char **argv, int i, struct cli_socket *sock)
{
	json_t *root = NULL, *req;
	const char *who = NULL, *name;
	json_int_t index = 0, keys = 0;
	json_error_t jerr;
	int removed = 0, r;
	bool help = false;

	r = cli_plain_args(argc, argv, i, sock, CLI_USAGE_HOST_REVOKE, "host revoke", NULL, NULL,
			   &who, &help);
	if (r != CLI_EXIT_OK)
		return r;
	if (!who || (!cli_name_ok(who) && !cli_key_ok(who)))
		return cli_usage_error(CLI_USAGE_HOST_REVOKE, "host revoke needs a host name (1..%d "
				       "of A-Z a-z 0-9 . _ -) or a base64 public key", CLI_NAME_MAX);
	req = json_pack("{s:s}", "host", who);
	if (!req || cli_post(sock, "/hosts/revoke", req, &root) < 0) {
		json_decref(req);
		return CLI_EXIT_FAIL;
	}
	json_decref(req);
	r = CLI_EXIT_FAIL;
	if (json_unpack_ex(root, &jerr, 0, "{s:s, s:I, s:I, s:b}", "name", &name, "index", &index,
			   "keys", &keys, "removed", &removed) < 0) {
		cli_malformed(&jerr);
		goto out;
	}
	if ((name[0] && !cli_name_ok(name)) || index < 0 || index > 65535 || keys < 1 || keys > 2) {
		cli_fail("malformed reply from wgnetd: bad name, index or keys value", NULL);
		goto out;
	}
	if (name[0])
		printf("host %s (index %lld): %s revoked%s\n", name, (long long)index,
		       keys > 1 ? "its key and the next key of its rotation" : "its key",
		       removed ? ", and the host removed from the store" : "");
	else
		printf("key revoked (no host of the store has it now)\n");
	printf("every host refuses it from now on; revoke its client certificate at the store "
	       "too (README: Revoking a host)\n");
	r = CLI_EXIT_OK;
out:
	json_decref(root);
	return r;
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

/* wgnet host allow|deny PROTO/PORT: the ports open after the change */
static int cli_host_change(int argc, char **argv, int i, struct cli_socket *sock,
			   const char *path)
{
	json_t *root;
	int ret;

	ret = cli_post_cmd(argc, argv, i, sock, cli_host_port_req, path, &root);
	if (ret == CLI_EXIT_OK && root && cli_print_host_ports(root, false) < 0)
		ret = CLI_EXIT_FAIL;
	json_decref(root);
	return ret;
}

int cli_cmd_host_allow(int argc, char **argv, int i, struct cli_socket *sock)
{
	return cli_host_change(argc, argv, i, sock, "/host/allow");
}

int cli_cmd_host_deny(int argc, char **argv, int i, struct cli_socket *sock)
{
	return cli_host_change(argc, argv, i, sock, "/host/deny");
}

/* wgnet host allowed [--json] */
int cli_cmd_host_allowed(int argc, char **argv, int i, struct cli_socket *sock)
{
	bool as_json = false, help = false;
	json_t *root = NULL;
	int ret;

	ret = cli_plain_args(argc, argv, i, sock, CLI_USAGE_HOST, "host allowed", "--json", &as_json,
			     NULL, &help);
	if (ret != CLI_EXIT_OK || help)
		return ret;
	if (cli_request(sock, "/host/allowed", NULL, &root) < 0)
		return CLI_EXIT_FAIL;
	if (cli_print_host_ports(root, as_json) < 0)
		ret = CLI_EXIT_FAIL;
	json_decref(root);
	return ret;
}
