/* SPDX-License-Identifier: MIT */
/* wgnet peer add|rm|ls: the peers of a static mesh, from join lines. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "plugin/cli.h"

/* Appends arg to *line, a space between; returns 0 or -ENOMEM. */
static int cli_append_word(char **line, size_t *len, const char *arg)
{
	size_t n = strlen(arg), sep = *line ? 1 : 0;
	char *s = realloc(*line, *len + sep + n + 1);

	if (!s)
		return -ENOMEM;
	if (sep)
		s[(*len)++] = ' ';
	memcpy(s + *len, arg, n + 1);
	*len += n;
	*line = s;
	return 0;
}

/* Fills req from the options and the words of the join line; returns an exit code. */
static int cli_peer_add_args(int argc, char **argv, int i, struct cli_socket *sock, json_t *req,
			     bool *help)
{
	const char *endpoint = NULL, *keepalive = NULL, *problem;
	bool no_endpoint = false, words_only = false;
	char *line = NULL;
	size_t len = 0;
	unsigned long v = 0;
	int r, ret = CLI_EXIT_FAIL;

	for (; i < argc; i++) {
		if (words_only || argv[i][0] != '-') {
			if (cli_append_word(&line, &len, argv[i]) < 0) {
				cli_fail("out of memory", NULL);
				goto out;
			}
			continue;
		}
		r = cli_opt_socket(argc, argv, &i, sock, CLI_USAGE_PEER_ADD);
		if (r < 0) {
			ret = -r;
			goto out;
		}
		if (r > 0)
			continue;
		if ((r = cli_opt_value(argc, argv, &i, "--endpoint", &endpoint)) != 0 ||
		    (r = cli_opt_value(argc, argv, &i, "--keepalive", &keepalive)) != 0) {
			if (r < 0) {
				ret = cli_usage_error(CLI_USAGE_PEER_ADD, "%s needs a value",
						      argv[i]);
				goto out;
			}
			continue;
		}
		if (strcmp(argv[i], "--no-endpoint") == 0) {
			no_endpoint = true;
		} else if (strcmp(argv[i], "--") == 0) {
			words_only = true;
		} else if (cli_is_help(argv[i])) {
			*help = true;
			ret = CLI_EXIT_OK;
			goto out;
		} else {
			ret = cli_usage_error(CLI_USAGE_PEER_ADD,
					      "unknown option '%s' for peer add", argv[i]);
			goto out;
		}
	}

	ret = CLI_EXIT_USAGE;
	if (!line) {
		cli_usage_error(CLI_USAGE_PEER_ADD, "peer add needs a join line (from `wgnet "
				"join-line` on the other host)");
		goto out;
	}
	if (strncmp(line, CLI_JOIN_PREFIX, strlen(CLI_JOIN_PREFIX)) != 0) {
		cli_usage_error(CLI_USAGE_PEER_ADD, "the join line must start with '%s', not "
				"'%.40s'", CLI_JOIN_PREFIX, line);
		goto out;
	}
	if (endpoint && no_endpoint) {
		cli_usage_error(CLI_USAGE_PEER_ADD, "--endpoint and --no-endpoint exclude each "
				"other");
		goto out;
	}
	if (endpoint) {
		problem = cli_endpoint_problem(endpoint);
		if (problem) {
			cli_usage_error(CLI_USAGE_PEER_ADD, "--endpoint '%s' %s", endpoint,
					problem);
			goto out;
		}
	}
	if (keepalive && cli_parse_uint(keepalive, 0, 65535, &v) < 0) {
		cli_usage_error(CLI_USAGE_PEER_ADD, "--keepalive must be 0..65535 in decimal "
				"digits, not '%s'", keepalive);
		goto out;
	}

	ret = CLI_EXIT_FAIL;
	if (cli_json_set_new(req, "join_line", json_string(line)) != CLI_EXIT_OK ||
	    (endpoint &&
	     cli_json_set_new(req, "endpoint", json_string(endpoint)) != CLI_EXIT_OK) ||
	    (no_endpoint && cli_json_set_new(req, "no_endpoint", json_true()) != CLI_EXIT_OK) ||
	    (keepalive &&
	     cli_json_set_new(req, "keepalive", json_integer((json_int_t)v)) != CLI_EXIT_OK))
		goto out;
	ret = CLI_EXIT_OK;
out:
	free(line);
	return ret;
}

int cli_cmd_peer_add(int argc, char **argv, int i, struct cli_socket *sock)
{
	const char *name, *key = NULL;
	json_int_t index = -1;
	json_error_t jerr;
	int rotates = 0;
	json_t *root;
	int ret;

	ret = cli_post_cmd(argc, argv, i, sock, cli_peer_add_args, "/peers/add", &root);
	if (ret != CLI_EXIT_OK || !root)
		return ret;
	ret = CLI_EXIT_FAIL;
	if (json_unpack_ex(root, &jerr, 0, "{s:s, s?I, s?s, s?b}", "name", &name, "index", &index,
			   "public_key", &key, "rotates", &rotates) < 0) {
		cli_malformed(&jerr);
		goto out;
	}
	if (!cli_name_ok(name) || (index != -1 && (index < 1 || index > 65535)) ||
	    (key && !cli_key_ok(key))) {
		cli_fail("malformed reply from wgnetd: bad name, index or public key value", NULL);
		goto out;
	}
	if (rotates)
		printf("peer %s: its new key waits beside the old one; it takes over at its first "
		       "handshake (once %s runs wgnet key rotate --finish)\n", name, name);
	else
		printf("peer %s added\n", name);
	if (index != -1)
		printf("index %lld\n", (long long)index);
	if (key)
		printf("public key %s\n", key);
	ret = CLI_EXIT_OK;
out:
	json_decref(root);
	return ret;
}

static int cli_peer_rm_args(int argc, char **argv, int i, struct cli_socket *sock,
			    const char **peer, bool *help)
{
	bool words_only = false;
	int r;

	*peer = NULL;
	for (; i < argc; i++) {
		if (!words_only && argv[i][0] == '-') {
			r = cli_opt_socket(argc, argv, &i, sock, CLI_USAGE_PEER_RM);
			if (r < 0)
				return -r;
			if (r > 0)
				continue;
			if (strcmp(argv[i], "--") == 0) {
				words_only = true;
				continue;
			}
			if (cli_is_help(argv[i])) {
				*help = true;
				return CLI_EXIT_OK;
			}
			return cli_usage_error(CLI_USAGE_PEER_RM, "unknown option '%s' for peer rm",
					       argv[i]);
		}
		if (*peer)
			return cli_usage_error(CLI_USAGE_PEER_RM, "unexpected argument '%s'",
					       argv[i]);
		*peer = argv[i];
	}
	if (!*peer)
		return cli_usage_error(CLI_USAGE_PEER_RM, "peer rm needs a peer's name or public "
				       "key");
	if (!cli_name_ok(*peer) && !cli_key_ok(*peer))
		return cli_usage_error(CLI_USAGE_PEER_RM, "'%s' is neither a peer name (1..%d of "
				       "A-Z a-z 0-9 . _ -) nor a public key (%d characters of "
				       "base64)", *peer, CLI_NAME_MAX, CLI_KEY_LEN);
	return CLI_EXIT_OK;
}

static int cli_peer_rm_req(int argc, char **argv, int i, struct cli_socket *sock, json_t *req,
			   bool *help)
{
	const char *peer;
	int ret;

	ret = cli_peer_rm_args(argc, argv, i, sock, &peer, help);
	if (ret != CLI_EXIT_OK || *help)
		return ret;
	return cli_json_set_new(req, "peer", json_string(peer));
}

int cli_cmd_peer_rm(int argc, char **argv, int i, struct cli_socket *sock)
{
	const char *name;
	json_error_t jerr;
	json_t *root;
	int ret;

	ret = cli_post_cmd(argc, argv, i, sock, cli_peer_rm_req, "/peers/rm", &root);
	if (ret != CLI_EXIT_OK || !root)
		return ret;
	ret = CLI_EXIT_FAIL;
	if (json_unpack_ex(root, &jerr, 0, "{s:s}", "name", &name) < 0) {
		cli_malformed(&jerr);
		goto out;
	}
	if (!cli_name_ok(name)) {
		cli_fail("malformed reply from wgnetd: bad name value", NULL);
		goto out;
	}
	printf("peer %s removed\n", name);
	ret = CLI_EXIT_OK;
out:
	json_decref(root);
	return ret;
}

int cli_cmd_peer_ls(int argc, char **argv, int i, struct cli_socket *sock)
{
	struct cli_peers ps = { 0 };
	bool as_json = false, help = false;
	json_t *root = NULL, *peers;
	json_error_t jerr;
	int ret;

	ret = cli_plain_args(argc, argv, i, sock, CLI_USAGE_PEER_LS, "peer ls", "--json", &as_json,
			     NULL, &help);
	if (ret != CLI_EXIT_OK || help)
		return ret;
	ret = CLI_EXIT_FAIL;
	if (cli_request(sock, "/peers", NULL, &root) < 0)
		goto out;
	if (json_unpack_ex(root, &jerr, 0, "{s:o}", "peers", &peers) < 0) {
		cli_malformed(&jerr);
		goto out;
	}
	if (cli_parse_peers(peers, &ps) < 0)
		goto out;
	if (as_json)
		cli_print_json(root);
	else if (cli_print_peers(&ps) < 0)
		goto out;
	ret = CLI_EXIT_OK;
out:
	free(ps.v);
	json_decref(root);
	return ret;
}
