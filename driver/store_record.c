/* SPDX-License-Identifier: MIT */
/* Host records of the store: names of keys, and records parsed as if hostile. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "driver/join_line.h"
#include "driver/store_record.h"

static bool index_parse(const char *s, unsigned *out)
{
	unsigned long v = 0;

	if (!*s || *s == '0' || strlen(s) > 5)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		v = v * 10 + (unsigned long)(*s - '0');
	}
	if (v < 1 || v > 65535)
		return false;
	*out = (unsigned)v;
	return true;
}

enum store_key_kind store_key_parse(const char *key, unsigned *index)
{
	static const struct {
		const char *prefix;
		enum store_key_kind kind;
	} kinds[] = {
		{ STORE_INDEX_PREFIX, STORE_KEY_INDEX },
		{ STORE_HOSTS_PREFIX, STORE_KEY_HOST },
		{ STORE_ALIVE_PREFIX, STORE_KEY_ALIVE },
	};

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		size_t n = strlen(kinds[i].prefix);

		if (strncmp(key, kinds[i].prefix, n) == 0)
			return index_parse(key + n, index) ? kinds[i].kind : STORE_KEY_OTHER;
	}
	return STORE_KEY_OTHER;
}

void store_key_format(const char *prefix, unsigned index, char out[STORE_KEY_MAX])
{
	snprintf(out, STORE_KEY_MAX, "%s%u", prefix, index);
}

bool store_key_parse_revoked(const char *key, uint8_t out[KEYS_LEN])
{
	size_t n = strlen(STORE_REVOKED_PREFIX);

	return strncmp(key, STORE_REVOKED_PREFIX, n) == 0 && keys_from_b64(key + n, out) == 0;
}

void store_key_format_revoked(const uint8_t key[KEYS_LEN], char out[STORE_KEY_MAX])
{
	char b64[KEYS_B64_LEN];

	keys_b64(key, b64);
	snprintf(out, STORE_KEY_MAX, "%s%s", STORE_REVOKED_PREFIX, b64);
}

bool store_key_parse_ack(const char *key, unsigned *index, unsigned *by)
{
	size_t n = strlen(STORE_ROTATE_PREFIX);
	char first[8];
	const char *slash;

	if (strncmp(key, STORE_ROTATE_PREFIX, n) != 0)
		return false;
	key += n;
	slash = strchr(key, '/');
	if (!slash || (size_t)(slash - key) >= sizeof(first))
		return false;
	memcpy(first, key, (size_t)(slash - key));
	first[slash - key] = 0;
	return index_parse(first, index) && index_parse(slash + 1, by);
}

void store_key_format_ack(unsigned index, unsigned by, char out[STORE_KEY_MAX])
{
	snprintf(out, STORE_KEY_MAX, "%s%u/%u", STORE_ROTATE_PREFIX, index, by);
}

int store_record_parse(const char *text, size_t len, struct store_record *out, struct errbuf *e)
{
	struct store_record r;
	json_t *root, *eps = NULL;
	const char *name, *key, *next = NULL;
	json_int_t v, index, port, mtu;
	json_error_t jerr;
	int ret = -EINVAL;

	memset(&r, 0, sizeof(r));	/* padding too: records are compared with memcmp */
	if (len > STORE_RECORD_MAX)
		return errbuf_set(e, -EMSGSIZE, "record over %d bytes", STORE_RECORD_MAX);
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return errbuf_set(e, -EINVAL, "record is not JSON: %s", jerr.text);
	if (json_unpack_ex(root, &jerr, 0, "{s:I, s:s, s:I, s:s, s:I, s:I, s:o, s?s}", "v", &v,
			   "name", &name, "index", &index, "key", &key, "listen_port", &port, "mtu",
			   &mtu, "endpoints", &eps, "next_key", &next) < 0) {
		errbuf_set(e, ret, "record: %s", jerr.text);
		goto out;
	}
	if (v != 1) {
		errbuf_set(e, ret, "record version %lld is not 1", (long long)v);
		goto out;
	}
	if (!join_line_name_valid(name)) {
		errbuf_set(e, ret, "record name '%.64s' is not 1..63 of A-Z a-z 0-9 . _ -", name);
		goto out;
	}
	if (index < 1 || index > 65535 || port < 1 || port > 65535 || mtu < 1280 || mtu > 9000) {
		errbuf_set(e, ret, "record index, listen_port or mtu out of range");
		goto out;
	}
	if (keys_from_b64(key, r.key) < 0) {
		errbuf_set(e, ret, "record key is not a base64 WireGuard key");
		goto out;
	}
	r.has_next = next != NULL;
	if (next && (keys_from_b64(next, r.next_key) < 0 ||
		     memcmp(r.next_key, r.key, KEYS_LEN) == 0)) {
		errbuf_set(e, ret, "record next_key is not a base64 WireGuard key other than key");
		goto out;
	}
	if (!json_is_array(eps) || json_array_size(eps) > STORE_ENDPOINTS_MAX) {
		errbuf_set(e, ret, "record endpoints is not an array of at most %d",
			   STORE_ENDPOINTS_MAX);
		goto out;
	}
	for (size_t i = 0; i < json_array_size(eps); i++) {
		const char *ep = json_string_value(json_array_get(eps, i));

		if (!ep || strlen(ep) >= STATE_HOST_ENDPOINT_MAX) {
			errbuf_set(e, ret, "record endpoint %zu is not a string", i);
			goto out;
		}
		ret = join_line_endpoint_check(ep, e);
		if (ret < 0)
			goto out;
		ret = -EINVAL;
		snprintf(r.endpoints[r.nendpoints++], STATE_HOST_ENDPOINT_MAX, "%s", ep);
	}
	snprintf(r.name, sizeof(r.name), "%s", name);
	r.index = (unsigned)index;
	r.listen_port = (uint16_t)port;
	r.mtu = (unsigned)mtu;
	*out = r;
	ret = 0;
out:
	json_decref(root);
	return ret;
}

char *store_record_format(const struct store_record *r)
{
	char key[KEYS_B64_LEN];
	json_t *eps = json_array(), *root;
	char *text;

	for (size_t i = 0; eps && i < r->nendpoints; i++)
		json_array_append_new(eps, json_string(r->endpoints[i]));
	keys_b64(r->key, key);
	root = json_pack("{s:i, s:s, s:i, s:s, s:i, s:i, s:o}", "v", 1, "name", r->name, "index",
			 (int)r->index, "key", key, "listen_port", (int)r->listen_port, "mtu",
			 (int)r->mtu, "endpoints", eps ? eps : json_array());
	if (root && r->has_next) {
		keys_b64(r->next_key, key);
		json_object_set_new(root, "next_key", json_string(key));
	}
	text = root ? json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(root);
	return text;
}

int store_txn_rotate(struct store_txn *t, const struct store_record *r,
		     const uint8_t old[KEYS_LEN], bool do_switch)
{
	const uint8_t *key = do_switch ? r->key : r->next_key;

	memset(t, 0, sizeof(*t));
	if (do_switch == r->has_next)
		return -EINVAL;		/* publish carries the next key, switch none */
	t->record = store_record_format(r);
	if (!t->record)
		return -ENOMEM;
	keys_b64(old, t->old_b64);
	keys_b64(key, t->new_b64);
	store_key_format(STORE_INDEX_PREFIX, r->index, t->names[0]);
	store_key_format_revoked(key, t->names[1]);
	store_key_format(STORE_HOSTS_PREFIX, r->index, t->names[2]);
	t->guards[t->nguards++] = (struct etcd_guard){ t->names[0], t->old_b64 };
	t->guards[t->nguards++] = (struct etcd_guard){ t->names[1], NULL };
	if (do_switch)
		t->ops[t->nops++] = (struct etcd_op){ .key = t->names[0], .value = t->new_b64 };
	t->ops[t->nops++] = (struct etcd_op){ .key = t->names[2], .value = t->record };
	if (do_switch) {
		/* "/wgnet/rotate/<N>/": every acknowledgement of this host's rotation */
		snprintf(t->names[3], STORE_KEY_MAX, "%s%u/", STORE_ROTATE_PREFIX, r->index);
		t->ops[t->nops++] = (struct etcd_op){ .key = t->names[3], .prefix = true };
	}
	return 0;
}

void store_txn_release(struct store_txn *t)
{
	free(t->record);
	memset(t, 0, sizeof(*t));
}
