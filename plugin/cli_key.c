/* SPDX-License-Identifier: MIT */
/* wgnet key rotate [--finish]: a new key pair for this host. */
#include <errno.h>

#include "plugin/cli.h"

static int cli_key_rotate_args(int argc, char **argv, int i, struct cli_socket *sock,
			       json_t *req, bool *help)
{
	bool finish = false;
	int r;

	r = cli_plain_args(argc, argv, i, sock, CLI_USAGE_KEY_ROTATE, "key rotate", "--finish",
			   &finish, NULL, help);
	if (r == CLI_EXIT_HELP)
		return CLI_EXIT_OK;	/* cli_post_cmd prints it */
	if (r == CLI_EXIT_OK && finish)
		r = cli_json_set_new(req, "finish", json_true());
	return r;
}

struct cli_rotated {
	const char *old_key, *new_key, *missing, *line;
	int store, switched;
	json_int_t hosts, acked, wait_ms, line_peers;
};

static int cli_rotated_parse(json_t *root, struct cli_rotated *o)
{
	json_error_t jerr;

	if (json_unpack_ex(root, &jerr, 0, "{s:s, s:s, s:b, s:b, s:I, s:I, s:s, s:I, s:I, s:s}",
			   "old_key", &o->old_key, "new_key", &o->new_key, "store", &o->store,
			   "switched", &o->switched, "hosts", &o->hosts, "acked", &o->acked,
			   "missing", &o->missing, "wait_ms", &o->wait_ms, "line_peers",
			   &o->line_peers, "join_line", &o->line) < 0) {
		cli_malformed(&jerr);
		return -EBADMSG;
	}
	if (!cli_key_ok(o->old_key) || !cli_key_ok(o->new_key) || !cli_text_ok(o->missing, true) ||
	    !cli_join_line_ok(o->line) || o->hosts < 0 || o->acked < 0 || o->acked > o->hosts ||
	    o->wait_ms < 0 || o->line_peers < 0) {
		cli_fail("malformed reply from wgnetd: bad key, count or join line value", NULL);
		return -EBADMSG;
	}
	return 0;
}

int cli_cmd_key_rotate(int argc, char **argv, int i, struct cli_socket *sock)
{
	struct cli_rotated o;
	json_t *root;
	int ret;

	ret = cli_post_cmd(argc, argv, i, sock, cli_key_rotate_args, "/key/rotate", &root);
	if (ret != CLI_EXIT_OK || !root)
		return ret;
	ret = CLI_EXIT_FAIL;
	if (cli_rotated_parse(root, &o) < 0)
		goto out;
	if (o.switched)
		printf("this host's key is now %s (was %s)\n", o.new_key, o.old_key);
	else
		printf("new key %s waits; this host still uses %s\n", o.new_key, o.old_key);
	if (o.store) {
		printf("%lld of %lld host(s) of the store had the new key before the switch "
		       "(%lld ms after it was published)\n", (long long)o.acked,
		       (long long)o.hosts, (long long)o.wait_ms);
		if (o.missing[0])
			printf("not yet: %s (cut off from the store?): they take the new key when they "
			       "next hear from it, and reach this host again then\n", o.missing);
	}
	if (o.line_peers || !o.store)
		printf("new join line (for `wgnet peer add` on %s):\n%s\n",
		       o.store ? "the hosts that have this one from a join line" : "every other host",
		       o.line);
	if (!o.store && !o.switched)
		printf("once every other host has added it, `wgnet key rotate --finish` switches "
		       "this host to the new key\n");
	ret = CLI_EXIT_OK;
out:
	json_decref(root);
	return ret;
}
