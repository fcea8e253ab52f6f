/* SPDX-License-Identifier: MIT */
/* wgnet names: every name the responder serves, with its address, pool and host. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "plugin/cli.h"

struct cli_name {
	const char *name;		/* borrowed from the reply */
	const char *address;
	const char *pool;
	json_int_t host;
};

static int cli_name_order(const void *a, const void *b)
{
	const struct cli_name *x = a, *y = b;
	int c = strcmp(x->pool, y->pool);

	if (!c)
		c = strcmp(x->name, y->name);
	if (!c)
		c = (x->host > y->host) - (x->host < y->host);
	return c ? c : strcmp(x->address, y->address);
}

/* {"names": [{"name", "address", "pool", "host"}, ...]}, checked whole before printing */
static int cli_parse_names(json_t *root, struct cli_name **out, size_t *n)
{
	struct cli_name *v;
	json_error_t jerr;
	json_t *arr, *one;
	size_t i;

	if (json_unpack_ex(root, &jerr, 0, "{s:o}", "names", &arr) < 0) {
		cli_malformed(&jerr);
		return -EPROTO;
	}
	if (!json_is_array(arr)) {
		cli_fail("malformed reply from wgnetd: names is not an array", NULL);
		return -EPROTO;
	}
	v = calloc(json_array_size(arr) + 1, sizeof(*v));
	if (!v) {
		cli_fail("out of memory", NULL);
		return -ENOMEM;
	}
	json_array_foreach(arr, i, one) {
		struct cli_name *c = &v[i];

		if (json_unpack_ex(one, &jerr, 0, "{s:s, s:s, s:s, s:I}", "name", &c->name,
				   "address", &c->address, "pool", &c->pool, "host", &c->host) < 0 ||
		    !cli_text_len_ok(c->name, 255, false) || !cli_text_len_ok(c->address, 15, false) ||
		    !cli_text_len_ok(c->pool, 18, false) || !cli_u16_ok(c->host)) {
			cli_fail("malformed reply from wgnetd: a name has a bad value", NULL);
			free(v);
			return -EPROTO;
		}
	}
	*out = v;
	*n = json_array_size(arr);
	return 0;
}

int cli_cmd_names(int argc, char **argv, int i, struct cli_socket *sock)
{
	struct cli_name *v = NULL;
	bool as_json = false, help = false;
	json_t *root = NULL;
	size_t n = 0;
	int r;

	r = cli_plain_args(argc, argv, i, sock, CLI_USAGE_NAMES, "names", "--json", &as_json, NULL,
			   &help);
	if (r != CLI_EXIT_OK || help)
		return r;
	if (cli_request(sock, "/names", NULL, &root) < 0)
		return CLI_EXIT_FAIL;
	r = cli_parse_names(root, &v, &n);
	if (r == 0 && as_json) {
		cli_print_json(root);
	} else if (r == 0 && n == 0) {
		printf("no names\n");
	} else if (r == 0) {
		qsort(v, n, sizeof(*v), cli_name_order);
		printf("%-15s %-15s %-5s %s\n", "POOL", "ADDRESS", "HOST", "NAME");
		for (size_t k = 0; k < n; k++) {
			printf("%-15s %-15s ", v[k].pool, v[k].address);
			if (v[k].host)
				printf("%-5lld ", (long long)v[k].host);
			else
				printf("%-5s ", "here");
			cli_print_clean(stdout, v[k].name);
			putchar('\n');
		}
	}
	free(v);
	json_decref(root);
	return r < 0 ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}
