/* SPDX-License-Identifier: MIT */
/* wgnet init, join-line and leave: this host joining and leaving the mesh. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "driver/mtu.h"
#include "plugin/cli.h"

/* The store's URLs and its TLS files, as absolute paths: wgnetd has another working directory. */
static int cli_store_args(json_t *req, const char *store, const char *ca, const char *cert,
			  const char *key, bool insecure_http, bool no_client_cert)
{
	const char *names[] = { "store_ca", "store_cert", "store_key" };
	const char *files[] = { ca, cert, key };

	if (!cert != !key)
		return cli_usage_error(CLI_USAGE_INIT, "--store-cert and --store-key go together");
	if (!cli_text_len_ok(store, 2047, false))
		return cli_usage_error(CLI_USAGE_INIT, "--store must be URL[,URL...]");
	if (cli_json_set_new(req, "store", json_string(store)) != CLI_EXIT_OK ||
	    (insecure_http &&
	     cli_json_set_new(req, "store_insecure_http", json_true()) != CLI_EXIT_OK) ||
	    (no_client_cert &&
	     cli_json_set_new(req, "store_no_client_cert", json_true()) != CLI_EXIT_OK))
		return CLI_EXIT_FAIL;
	for (size_t k = 0; k < 3; k++) {
		char *abs;

		if (!files[k])
			continue;
		abs = realpath(files[k], NULL);
		if (!abs) {
			fprintf(stderr, "wgnet: %s: %s\n", files[k], strerror(errno));
			return CLI_EXIT_USAGE;
		}
		if (cli_json_set_new(req, names[k], json_string(abs)) != CLI_EXIT_OK) {
			free(abs);
			return CLI_EXIT_FAIL;
		}
		free(abs);
	}
	return CLI_EXIT_OK;
}

/* Fills req from the options, or sets *help; returns an exit code (CLI_EXIT_OK to go on). */
static int cli_init_args(int argc, char **argv, int i, struct cli_socket *sock, json_t *req,
			 bool *help)
{
	const char *index = NULL, *endpoint = NULL, *mtu = NULL, *port = NULL, *name = NULL;
	const char *store = NULL, *ca = NULL, *cert = NULL, *key = NULL;
	bool insecure_http = false, no_client_cert = false;
	const char *problem;
	unsigned long v;
	int r;

	for (; i < argc; i++) {
		r = cli_opt_socket(argc, argv, &i, sock, CLI_USAGE_INIT);
		if (r < 0)
			return -r;
		if (r > 0)
			continue;
		if ((r = cli_opt_value(argc, argv, &i, "--index", &index)) != 0 ||
		    (r = cli_opt_value(argc, argv, &i, "--endpoint", &endpoint)) != 0 ||
		    (r = cli_opt_value(argc, argv, &i, "--mtu", &mtu)) != 0 ||
		    (r = cli_opt_value(argc, argv, &i, "--listen-port", &port)) != 0 ||
		    (r = cli_opt_value(argc, argv, &i, "--name", &name)) != 0 ||
		    (r = cli_opt_value(argc, argv, &i, "--store", &store)) != 0 ||
		    (r = cli_opt_value(argc, argv, &i, "--store-ca", &ca)) != 0 ||
		    (r = cli_opt_value(argc, argv, &i, "--store-cert", &cert)) != 0 ||
		    (r = cli_opt_value(argc, argv, &i, "--store-key", &key)) != 0) {
			if (r < 0)
				return cli_usage_error(CLI_USAGE_INIT, "%s needs a value", argv[i]);
			continue;
		}
		/* the risks of a store without TLS or without a client certificate, taken by name */
		if (strcmp(argv[i], "--store-insecure-http") == 0) {
			insecure_http = true;
			continue;
		}
		if (strcmp(argv[i], "--store-no-client-cert") == 0) {
			no_client_cert = true;
			continue;
		}
		if (cli_is_help(argv[i])) {
			*help = true;
			return CLI_EXIT_OK;
		}
		if (argv[i][0] == '-')
			return cli_usage_error(CLI_USAGE_INIT, "unknown option '%s' for init",
					       argv[i]);
		return cli_usage_error(CLI_USAGE_INIT, "unexpected argument '%s'", argv[i]);
	}

	if (!index && !store)
		return cli_usage_error(CLI_USAGE_INIT, "init needs --index N or --store URL");
	if (!store && (ca || cert || key || insecure_http || no_client_cert))
		return cli_usage_error(CLI_USAGE_INIT, "--store-ca, --store-cert, --store-key, "
				       "--store-insecure-http and --store-no-client-cert need "
				       "--store URL");
	if (store && (r = cli_store_args(req, store, ca, cert, key, insecure_http,
					 no_client_cert)) != CLI_EXIT_OK)
		return r;
	if (index && cli_parse_uint(index, 1, 65535, &v) < 0)
		return cli_usage_error(CLI_USAGE_INIT, "--index must be 1..65535 in decimal "
				       "digits, not '%s'", index);
	if (index && cli_json_set_new(req, "index", json_integer((json_int_t)v)) != CLI_EXIT_OK)
		return CLI_EXIT_FAIL;
	if (endpoint) {
		problem = cli_endpoint_problem(endpoint);
		if (problem)
			return cli_usage_error(CLI_USAGE_INIT, "--endpoint '%s' %s", endpoint,
					       problem);
		if (cli_json_set_new(req, "endpoint", json_string(endpoint)) != CLI_EXIT_OK)
			return CLI_EXIT_FAIL;
	}
	if (mtu) {
		/* wgnetd's bounds, so that the line is refused before it is sent */
		if (cli_parse_uint(mtu, MTU_MIN, MTU_MAX_JUMBO, &v) < 0)
			return cli_usage_error(CLI_USAGE_INIT, "--mtu must be %d..%d in decimal "
					       "digits, not '%s'", MTU_MIN, MTU_MAX_JUMBO, mtu);
		if (cli_json_set_new(req, "mtu", json_integer((json_int_t)v)) != CLI_EXIT_OK)
			return CLI_EXIT_FAIL;
	}
	if (port) {
		if (cli_parse_uint(port, 1, 65535, &v) < 0)
			return cli_usage_error(CLI_USAGE_INIT, "--listen-port must be 1..65535 in "
					       "decimal digits, not '%s'", port);
		if (cli_json_set_new(req, "listen_port", json_integer((json_int_t)v)) !=
		    CLI_EXIT_OK)
			return CLI_EXIT_FAIL;
	}
	if (name) {
		if (!cli_name_ok(name))
			return cli_usage_error(CLI_USAGE_INIT, "--name must be 1..%d of A-Z a-z "
					       "0-9 . _ -, not '%s'", CLI_NAME_MAX, name);
		if (cli_json_set_new(req, "name", json_string(name)) != CLI_EXIT_OK)
			return CLI_EXIT_FAIL;
	}
	return CLI_EXIT_OK;
}

/* Networks made before an MTU change keep theirs: say which, and how to move them. */
static void cli_print_other_mtu(const json_t *other, json_int_t mtu)
{
	const char *id, *bridge;
	json_int_t m;
	size_t k;
	json_t *n;

	if (!json_is_array(other))
		return;
	json_array_foreach(other, k, n) {
		if (json_unpack(n, "{s:s, s:s, s:I}", "network", &id, "bridge", &bridge, "mtu", &m) <
			    0 || !cli_text_ok(id, false) || !cli_text_ok(bridge, false) ||
		    !cli_u16_ok(m))
			continue;
		printf("network %.12s (%s) keeps MTU %lld: it was made before; remove and create it "
		       "again to use %lld\n", id, bridge, (long long)m, (long long)mtu);
	}
}

int cli_cmd_init(int argc, char **argv, int i, struct cli_socket *sock)
{
	const char *endpoint, *line = NULL, *from = "";
	json_int_t index, mtu;
	json_t *root, *other = NULL;
	json_error_t jerr;
	int ret;

	ret = cli_post_cmd(argc, argv, i, sock, cli_init_args, "/init", &root);
	if (ret != CLI_EXIT_OK || !root)
		return ret;
	ret = CLI_EXIT_FAIL;
	if (json_unpack_ex(root, &jerr, 0, "{s:I, s:s, s:I, s?s, s?s, s?o}", "index", &index,
			   "endpoint", &endpoint, "mtu", &mtu, "join_line", &line, "mtu_from", &from,
			   "networks_other_mtu", &other) < 0) {
		cli_malformed(&jerr);
		goto out;
	}
	if (index < 1 || index > 65535 || !cli_u16_ok(mtu) || !cli_text_ok(endpoint, true) ||
	    !cli_text_ok(from, true) || (line && line[0] && !cli_join_line_ok(line))) {
		cli_fail("malformed reply from wgnetd: bad index, endpoint, mtu or join line value",
			 NULL);
		goto out;
	}
	printf("host index %lld initialised\n", (long long)index);
	printf("endpoint %s\n", endpoint[0] ? endpoint : "(none)");
	printf("mtu %lld%s%s%s\n", (long long)mtu, from[0] ? " (" : "", from, from[0] ? ")" : "");
	cli_print_other_mtu(other, mtu);
	if (line && line[0])
		printf("join line:\n%s\n", line);
	ret = CLI_EXIT_OK;
out:
	json_decref(root);
	return ret;
}

int cli_cmd_join_line(int argc, char **argv, int i, struct cli_socket *sock)
{
	json_t *root = NULL;
	const char *line;
	json_error_t jerr;
	bool help = false;
	int ret;

	ret = cli_plain_args(argc, argv, i, sock, CLI_USAGE_JOIN, "join-line", NULL, NULL, NULL,
			     &help);
	if (ret != CLI_EXIT_OK || help)
		return ret;
	ret = CLI_EXIT_FAIL;
	if (cli_request(sock, "/join-line", NULL, &root) < 0)
		goto out;
	if (json_unpack_ex(root, &jerr, 0, "{s:s}", "join_line", &line) < 0) {
		cli_malformed(&jerr);
		goto out;
	}
	if (!cli_join_line_ok(line)) {
		cli_fail("malformed reply from wgnetd: bad join line", NULL);
		goto out;
	}
	printf("%s\n", line);
	ret = CLI_EXIT_OK;
out:
	json_decref(root);
	return ret;
}

int cli_cmd_leave(int argc, char **argv, int i, struct cli_socket *sock)
{
	json_t *root = NULL, *req;
	bool help = false;
	int ret;

	ret = cli_plain_args(argc, argv, i, sock, CLI_USAGE_LEAVE, "leave", NULL, NULL, NULL, &help);
	if (ret != CLI_EXIT_OK || help)
		return ret;
	req = json_object();
	if (!req || cli_post(sock, "/leave", req, &root) < 0) {
		json_decref(req);
		return CLI_EXIT_FAIL;
	}
	json_decref(req);
	json_decref(root);
	printf("this host left the store's mesh\n");
	return CLI_EXIT_OK;
}
