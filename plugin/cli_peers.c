/* SPDX-License-Identifier: MIT */
/* The peers of a reply: checked, then printed as a table (peer ls and status). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "plugin/cli.h"

static void cli_format_age(json_int_t age, char *buf, size_t size)
{
	if (age < 0)
		snprintf(buf, size, "never");
	else if (age < 60)
		snprintf(buf, size, "%llds ago", (long long)age);
	else if (age < 3600)
		snprintf(buf, size, "%lldm ago", (long long)(age / 60));
	else if (age < 86400)
		snprintf(buf, size, "%lldh ago", (long long)(age / 3600));
	else
		snprintf(buf, size, "%lldd ago", (long long)(age / 86400));
}

static void cli_format_bytes(json_int_t n, char *buf, size_t size)
{
	static const char *const units[] = { "KiB", "MiB", "GiB" };
	size_t u = 0;
	double v;

	if (n < 0) {
		snprintf(buf, size, "-");
		return;
	}
	if (n < 1024) {
		snprintf(buf, size, "%lld B", (long long)n);
		return;
	}
	v = (double)n / 1024;
	/* 1023.95 would print as "1024.0": move up a unit first */
	while (v >= 1023.95 && u + 1 < sizeof(units) / sizeof(units[0])) {
		v /= 1024;
		u++;
	}
	snprintf(buf, size, "%.1f %s", v, units[u]);
}

static bool cli_allowed_ips_ok(json_t *ips)
{
	size_t i;

	if (!json_is_array(ips))
		return false;
	for (i = 0; i < json_array_size(ips); i++) {
		json_t *ip = json_array_get(ips, i);

		if (!json_is_string(ip) || !cli_text_ok(json_string_value(ip), false))
			return false;
	}
	return true;
}

/* Name, index and key identify a peer; the rest is optional, with "unknown" defaults. */
static int cli_parse_peer(json_t *j, size_t i, struct cli_peer *peer)
{
	struct cli_peer p = { .endpoint = "", .configured_endpoint = "", .rx_bytes = -1,
			      .tx_bytes = -1 };
	json_int_t latest = 0, keepalive = 0;
	json_t *age = NULL, *rx = NULL, *tx = NULL;
	json_error_t jerr;
	int up = -1;

	if (json_unpack_ex(j, &jerr, 0,
			   "{s:s, s:I, s:s, s?s, s?s, s?I, s?I, s?o, s?o, s?o, s?o, s?b}",
			   "name", &p.name, "index", &p.index, "public_key", &p.public_key,
			   "endpoint", &p.endpoint, "configured_endpoint", &p.configured_endpoint,
			   "keepalive", &keepalive, "latest_handshake", &latest,
			   "handshake_age", &age, "rx_bytes", &rx, "tx_bytes", &tx,
			   "allowed_ips", &p.allowed_ips, "up", &up) < 0) {
		fprintf(stderr, "wgnet: malformed reply from wgnetd: peer %zu: ", i);
		cli_print_clean(stderr, jerr.text);
		fputc('\n', stderr);
		return -EBADMSG;
	}
	if (!cli_name_ok(p.name) || p.index < 1 || p.index > 65535 || !cli_key_ok(p.public_key) ||
	    !cli_text_ok(p.endpoint, true) || !cli_text_ok(p.configured_endpoint, true) ||
	    !cli_u16_ok(keepalive) || latest < 0 ||
	    (age && !json_is_integer(age) && !json_is_null(age)) ||
	    (p.allowed_ips && !cli_allowed_ips_ok(p.allowed_ips)) ||
	    (rx && (!json_is_integer(rx) || json_integer_value(rx) < 0)) ||
	    (tx && (!json_is_integer(tx) || json_integer_value(tx) < 0))) {
		fprintf(stderr, "wgnet: malformed reply from wgnetd: peer %zu has a bad value\n",
			i);
		return -EBADMSG;
	}
	if (rx)
		p.rx_bytes = json_integer_value(rx);
	if (tx)
		p.tx_bytes = json_integer_value(tx);
	p.age = -1;
	if (json_is_integer(age)) {
		p.age = json_integer_value(age);
		if (p.age < 0)
			p.age = 0;	/* the daemon's clock stepped back */
	} else if (!age && latest > 0) {
		time_t now = time(NULL);

		p.age = now > latest ? (json_int_t)now - latest : 0;
	}
	p.source = json_string_value(json_object_get(j, "source"));
	if (!p.source || !cli_text_len_ok(p.source, CLI_NAME_MAX, false))
		p.source = "-";
	p.next_key = json_string_value(json_object_get(j, "next_key"));
	if (p.next_key && !cli_key_ok(p.next_key)) {
		fprintf(stderr, "wgnet: malformed reply from wgnetd: peer %zu has a bad next key\n",
			i);
		return -EBADMSG;
	}
	p.alive = json_is_boolean(json_object_get(j, "alive")) ?
		  (json_is_true(json_object_get(j, "alive")) ? "yes" : "no") : "-";
	/* "up" is a handshake within the last 180 s, as wgnetd defines it */
	p.up = up >= 0 ? up != 0 : p.age >= 0 && p.age <= 180;
	*peer = p;
	return 0;
}

int cli_parse_peers(json_t *arr, struct cli_peers *out)
{
	struct cli_peers ps = { 0 };
	size_t i;
	int ret;

	if (!json_is_array(arr)) {
		cli_fail("malformed reply from wgnetd: peers is not an array", NULL);
		return -EBADMSG;
	}
	ps.n = json_array_size(arr);
	if (ps.n) {
		ps.v = calloc(ps.n, sizeof(*ps.v));
		if (!ps.v) {
			cli_fail("out of memory", NULL);
			return -ENOMEM;
		}
	}
	for (i = 0; i < ps.n; i++) {
		ret = cli_parse_peer(json_array_get(arr, i), i, &ps.v[i]);
		if (ret < 0) {
			free(ps.v);
			return ret;
		}
	}
	*out = ps;
	return 0;
}

/* "10.210.1.0/24,10.211.1.0/24", or "(none)"; NULL when out of memory. */
static char *cli_join_ips(json_t *ips)
{
	size_t i, len = 0, n = json_array_size(ips);
	char *s;

	if (n == 0)
		return strdup("(none)");
	for (i = 0; i < n; i++)
		len += json_string_length(json_array_get(ips, i)) + 1;
	s = malloc(len);
	if (!s)
		return NULL;
	s[0] = '\0';
	len = 0;
	for (i = 0; i < n; i++) {
		json_t *ip = json_array_get(ips, i);

		if (i)
			s[len++] = ',';
		memcpy(s + len, json_string_value(ip), json_string_length(ip) + 1);
		len += json_string_length(ip);
	}
	return s;
}

struct cli_peer_row {
	char index[8];
	char handshake[32];
	char rx[32];
	char tx[32];
	const char *endpoint;
	char *ips;
};

int cli_print_peers(const struct cli_peers *ps)
{
	static const char *const head[] = { "NAME", "INDEX", "ENDPOINT", "HANDSHAKE", "RX", "TX",
					    "ALLOWED-IPS", "SOURCE" };
	int w[8] = { 0 };
	struct cli_peer_row *rows;
	size_t i, c;
	int ret = 0;

	if (ps->n == 0) {
		printf("no peers\n");
		return 0;
	}
	rows = calloc(ps->n, sizeof(*rows));
	if (!rows) {
		cli_fail("out of memory", NULL);
		return -ENOMEM;
	}
	for (c = 0; c < 8; c++)
		w[c] = (int)strlen(head[c]);
	for (i = 0; i < ps->n; i++) {
		const struct cli_peer *p = &ps->v[i];
		struct cli_peer_row *r = &rows[i];
		const char *cols[8];

		snprintf(r->index, sizeof(r->index), "%lld", (long long)p->index);
		cli_format_age(p->age, r->handshake, sizeof(r->handshake));
		cli_format_bytes(p->rx_bytes, r->rx, sizeof(r->rx));
		cli_format_bytes(p->tx_bytes, r->tx, sizeof(r->tx));
		/* the address seen last, else the one configured */
		r->endpoint = p->endpoint[0] ? p->endpoint :
			      p->configured_endpoint[0] ? p->configured_endpoint : "(none)";
		r->ips = p->allowed_ips ? cli_join_ips(p->allowed_ips) : strdup("-");
		if (!r->ips) {
			cli_fail("out of memory", NULL);
			ret = -ENOMEM;
			goto out;
		}
		cols[0] = p->name;
		cols[1] = r->index;
		cols[2] = r->endpoint;
		cols[3] = r->handshake;
		cols[4] = r->rx;
		cols[5] = r->tx;
		cols[6] = r->ips;
		cols[7] = p->source;
		for (c = 0; c < 8; c++)
			if ((int)strlen(cols[c]) > w[c])
				w[c] = (int)strlen(cols[c]);
	}
	printf("%-*s  %*s  %-*s  %-*s  %*s  %*s  %-*s  %-*s  ALIVE  STATE\n", w[0], head[0], w[1],
	       head[1], w[2], head[2], w[3], head[3], w[4], head[4], w[5], head[5], w[6], head[6],
	       w[7], head[7]);
	for (i = 0; i < ps->n; i++) {
		const struct cli_peer_row *r = &rows[i];

		printf("%-*s  %*s  %-*s  %-*s  %*s  %*s  %-*s  %-*s  %-5s  %s\n", w[0],
		       ps->v[i].name, w[1], r->index, w[2], r->endpoint, w[3], r->handshake, w[4],
		       r->rx, w[5], r->tx, w[6], r->ips, w[7], ps->v[i].source, ps->v[i].alive,
		       ps->v[i].up ? "up" : "down");
	}
	for (i = 0; i < ps->n; i++)
		if (ps->v[i].next_key)
			printf("%s rotates its key: the new one, %s, waits beside the old one\n",
			       ps->v[i].name, ps->v[i].next_key);
out:
	for (i = 0; i < ps->n; i++)
		free(rows[i].ips);
	free(rows);
	return ret;
}
