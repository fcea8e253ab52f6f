/* SPDX-License-Identifier: MIT */
/* A container's names: normalised, compared, and as the store keeps them (parsed as hostile). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "driver/dns_record.h"

bool dns_record_name_norm(const char *text, char out[256])
{
	size_t i, label = 0;

	for (i = 0; text[i]; i++) {
		char ch = text[i];

		if (i >= 253)
			return false;
		if (ch == '.') {
			if (label == 0)
				return false;	/* a leading dot, or two in a row */
			label = 0;
			out[i] = ch;
			continue;
		}
		if (ch >= 'A' && ch <= 'Z')
			ch = (char)(ch - 'A' + 'a');
		if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' ||
		      ch == '_') || ++label > 63)
			return false;
		out[i] = ch;
	}
	out[i] = 0;
	return i > 0 && label > 0;		/* not empty, no trailing dot */
}

const char *dns_record_name_next(const struct dns_record *r, const char *prev)
{
	const char *next;

	if (!r->names || !r->names_len)
		return NULL;
	if (!prev)
		return r->names;
	next = prev + strlen(prev) + 1;
	return next < r->names + r->names_len ? next : NULL;
}

int dns_record_name_add(struct dns_record *r, const char *name)
{
	char norm[256];
	size_t n;
	char *p;

	if (!dns_record_name_norm(name, norm))
		return -EINVAL;
	for (const char *have = dns_record_name_next(r, NULL); have;
	     have = dns_record_name_next(r, have))
		if (strcmp(have, norm) == 0)
			return 0;
	n = strlen(norm) + 1;
	if (r->nnames >= DNS_RECORD_NAMES_MAX || r->names_len + n > DNS_RECORD_NAMES_BYTES)
		return -E2BIG;
	p = realloc(r->names, r->names_len + n);
	if (!p)
		return -ENOMEM;
	memcpy(p + r->names_len, norm, n);
	r->names = p;
	r->names_len += n;
	r->nnames++;
	return 0;
}

bool dns_record_equal(const struct dns_record *a, const struct dns_record *b)
{
	return strcmp(a->endpoint, b->endpoint) == 0 && cidr_equal(&a->pool, &b->pool) &&
	       a->addr == b->addr && a->nnames == b->nnames && a->names_len == b->names_len &&
	       (!a->names_len || memcmp(a->names, b->names, a->names_len) == 0);
}

int dns_record_copy(const struct dns_record *src, struct dns_record *dst)
{
	struct dns_record r = *src;

	r.names = NULL;
	if (src->names_len) {
		r.names = malloc(src->names_len);
		if (!r.names)
			return -ENOMEM;
		memcpy(r.names, src->names, src->names_len);
	}
	*dst = r;
	return 0;
}

void dns_record_release(struct dns_record *r)
{
	free(r->names);
	memset(r, 0, sizeof(*r));
}

void dns_record_key(unsigned index, const char *endpoint, char out[DNS_RECORD_KEY_MAX])
{
	snprintf(out, DNS_RECORD_KEY_MAX, "%s%u/%.64s", DNS_RECORD_PREFIX, index, endpoint);
}

void dns_record_key_prefix(unsigned index, char out[DNS_RECORD_KEY_MAX])
{
	snprintf(out, DNS_RECORD_KEY_MAX, "%s%u/", DNS_RECORD_PREFIX, index);
}

bool dns_record_key_parse(const char *key, unsigned *index, char endpoint[DOCKER_ID_LEN + 1])
{
	size_t n = strlen(DNS_RECORD_PREFIX);
	unsigned long v = 0;
	const char *p;

	if (strncmp(key, DNS_RECORD_PREFIX, n) != 0)
		return false;
	p = key + n;
	if (*p < '1' || *p > '9')
		return false;
	for (; *p >= '0' && *p <= '9' && v <= 65535; p++)
		v = v * 10 + (unsigned long)(*p - '0');
	if (v > 65535 || *p != '/' || !names_docker_id_valid(p + 1))
		return false;
	*index = (unsigned)v;
	memcpy(endpoint, p + 1, DOCKER_ID_LEN + 1);
	return true;
}

char *dns_record_format(const struct dns_record *r)
{
	char pool[CIDR_STR_MAX], addr[CIDR_ADDR_STR_MAX];
	json_t *names = json_array(), *root;
	char *text;

	for (const char *n = dns_record_name_next(r, NULL); names && n;
	     n = dns_record_name_next(r, n))
		json_array_append_new(names, json_string(n));
	cidr_format(&r->pool, pool);
	cidr_addr_format(r->addr, addr);
	root = names ? json_pack("{s:i, s:s, s:s, s:o}", "v", 1, "pool", pool, "addr", addr,
				 "names", names) : NULL;
	text = root ? json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(root);
	return text;
}

int dns_record_parse(const char *text, size_t len, struct dns_record *out, struct errbuf *e)
{
	struct dns_record r = { 0 };
	const char *pool, *addr;
	json_t *root, *names;
	json_error_t jerr;
	json_int_t v;
	int ret = -EINVAL;

	if (len > DNS_RECORD_TEXT_MAX)
		return errbuf_set(e, -EMSGSIZE, "names record over %d bytes", DNS_RECORD_TEXT_MAX);
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return errbuf_set(e, -EINVAL, "names record is not JSON: %s", jerr.text);
	if (json_unpack_ex(root, &jerr, 0, "{s:I, s:s, s:s, s:o}", "v", &v, "pool", &pool, "addr",
			   &addr, "names", &names) < 0) {
		errbuf_set(e, ret, "names record: %s", jerr.text);
		goto out;
	}
	if (v != 1) {
		errbuf_set(e, ret, "names record version %lld is not 1", (long long)v);
		goto out;
	}
	if (cidr_parse(pool, &r.pool) < 0 || cidr_addr_parse(addr, &r.addr) < 0 ||
	    !cidr_contains(&r.pool, r.addr)) {
		errbuf_set(e, ret, "names record: pool '%.32s' and address '%.32s' are not a pool "
			   "and an address inside it", pool, addr);
		goto out;
	}
	if (!json_is_array(names) || json_array_size(names) < 1 ||
	    json_array_size(names) > DNS_RECORD_NAMES_MAX) {
		errbuf_set(e, ret, "names record: names is not an array of 1..%d",
			   DNS_RECORD_NAMES_MAX);
		goto out;
	}
	for (size_t i = 0; i < json_array_size(names); i++) {
		const char *n = json_string_value(json_array_get(names, i));

		ret = n ? dns_record_name_add(&r, n) : -EINVAL;
		if (ret == -ENOMEM) {
			errbuf_set(e, ret, "out of memory");
			goto out;
		}
		if (ret < 0) {
			errbuf_set(e, -EINVAL, "names record: name %zu is not a DNS name of at most "
				   "253 bytes (labels of letters, digits, - and _)", i);
			ret = -EINVAL;
			goto out;
		}
	}
	*out = r;
	r = (struct dns_record){ 0 };
	ret = 0;
out:
	dns_record_release(&r);
	json_decref(root);
	return ret;
}
