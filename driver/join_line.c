/* SPDX-License-Identifier: MIT */
/* The join line: parsed strictly, since it is pasted from another machine. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driver/join_line.h"

bool join_line_name_valid(const char *s)
{
	size_t n = strlen(s);

	if (n < 1 || n > JOIN_LINE_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

int join_line_endpoint_check(const char *s, struct errbuf *e)
{
	const char *colon = strrchr(s, ':');
	const char *host_end = colon;
	bool v6 = false;
	char *end;
	long port;

	if (!colon || colon == s || strlen(s) >= STATE_HOST_ENDPOINT_MAX)
		return errbuf_set(e, -EINVAL, "endpoint '%.64s' is not HOST:PORT", s);
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	/* digits only: strtol would skip a leading tab or newline */
	if (errno || *end || colon[1] < '0' || colon[1] > '9' || port < 1 || port > 65535)
		return errbuf_set(e, -EINVAL, "endpoint '%.64s' has no valid port (1-65535)", s);
	if (s[0] == '[') {
		if (colon[-1] != ']' || colon - s < 3)
			return errbuf_set(e, -EINVAL, "endpoint '%.64s': an IPv6 host is written "
					  "[address]:port", s);
		s++;
		host_end = colon - 1;
		v6 = true;
	}
	for (const char *c = s; c < host_end; c++)
		if (*c <= ' ' || *c > '~' || *c == '/' || *c == '"' || *c == '\\' || *c == '[' ||
		    *c == ']' || (*c == ':' && !v6))
			return errbuf_set(e, -EINVAL, "endpoint '%.64s' has an invalid host part", s);
	return 0;
}

void join_line_text_clean(char *out, size_t size, const char *s)
{
	size_t i;

	if (!size)
		return;
	for (i = 0; s[i] && i + 1 < size; i++)
		out[i] = (unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f ? '?' : s[i];
	out[i] = 0;
}

static int field(const char *tok, const char *key, const char **val)
{
	size_t n = strlen(key);

	if (strncmp(tok, key, n) != 0 || tok[n] != '=')
		return 0;
	*val = tok + n + 1;
	return 1;
}

int join_line_parse(const char *s, struct join_line *out, struct errbuf *e)
{
	char buf[JOIN_LINE_MAX], *save = NULL, *tok;
	struct join_line j = { 0 };
	bool have_index = false, have_key = false, have_ep = false, have_name = false;
	size_t len = strlen(s);

	while (len && (s[len - 1] == '\n' || s[len - 1] == '\r' || s[len - 1] == ' '))
		len--;
	if (len >= sizeof(buf))
		return errbuf_set(e, -EINVAL, "join line longer than %d bytes", JOIN_LINE_MAX - 1);
	memcpy(buf, s, len);
	buf[len] = 0;
	/* Fields are split on single spaces: any other byte up to 0x20 (a tab, a newline) would
	 * stay inside a value, be saved, and break every line printed from it. */
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)buf[i] < 0x20 || buf[i] == 0x7f)
			return errbuf_set(e, -EINVAL, "join line: control character 0x%02x at byte "
					  "%zu (fields are separated by single spaces)",
					  (unsigned char)buf[i], i + 1);
	if (strncmp(buf, JOIN_LINE_MAGIC " ", strlen(JOIN_LINE_MAGIC) + 1) != 0)
		return errbuf_set(e, -EINVAL, "not a wgnet join line: it starts with '"
				  JOIN_LINE_MAGIC "' (print one with 'wgnet join-line')");
	for (tok = strtok_r(buf + strlen(JOIN_LINE_MAGIC), " ", &save); tok;
	     tok = strtok_r(NULL, " ", &save)) {
		const char *v;
		char *end;

		if (field(tok, "index", &v)) {
			unsigned long n;

			if (have_index)
				return errbuf_set(e, -EINVAL, "join line: index given twice");
			errno = 0;
			n = strtoul(v, &end, 10);
			if (errno || *end || !v[0] || v[0] < '1' || v[0] > '9' || n > 65535)
				return errbuf_set(e, -EINVAL, "join line: index '%.16s' is not "
						  "1..65535", v);
			j.index = (unsigned)n;
			have_index = true;
		} else if (field(tok, "key", &v)) {
			if (have_key)
				return errbuf_set(e, -EINVAL, "join line: key given twice");
			if (keys_from_b64(v, j.key) < 0)
				return errbuf_set(e, -EINVAL, "join line: key is not a base64 "
						  "WireGuard public key");
			have_key = true;
		} else if (field(tok, "endpoint", &v)) {
			int ret;

			if (have_ep)
				return errbuf_set(e, -EINVAL, "join line: endpoint given twice");
			ret = join_line_endpoint_check(v, e);
			if (ret < 0)
				return ret;
			snprintf(j.endpoint, sizeof(j.endpoint), "%s", v);
			have_ep = true;
		} else if (field(tok, "name", &v)) {
			if (have_name)
				return errbuf_set(e, -EINVAL, "join line: name given twice");
			if (!join_line_name_valid(v))
				return errbuf_set(e, -EINVAL, "join line: name '%.64s' is not 1..63 of "
						  "A-Z a-z 0-9 . _ -", v);
			snprintf(j.name, sizeof(j.name), "%s", v);
			have_name = true;
		} else if (!strchr(tok, '=')) {
			return errbuf_set(e, -EINVAL, "join line: '%.32s' is not key=value", tok);
		}
	}
	if (!have_index || !have_key)
		return errbuf_set(e, -EINVAL, "join line without %s", have_index ? "key=" : "index=");
	if (!have_name)
		snprintf(j.name, sizeof(j.name), "host%u", j.index);
	*out = j;
	return 0;
}

void join_line_format(const struct join_line *j, char out[JOIN_LINE_MAX])
{
	char key[KEYS_B64_LEN];

	keys_b64(j->key, key);
	snprintf(out, JOIN_LINE_MAX, JOIN_LINE_MAGIC " index=%u key=%s%s%s name=%s", j->index, key,
		 j->endpoint[0] ? " endpoint=" : "", j->endpoint, j->name);
}
