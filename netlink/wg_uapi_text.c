/* SPDX-License-Identifier: MIT */
/*
 * The text of wireguard-go's cross-platform UAPI (https://www.wireguard.com/xplatform/), apart
 * from its socket (wg_uapi.c): the lines of a set request, and a get reply's lines into a
 * wg_device. A reply is read as hostile (another program wrote it): every number is bounded,
 * every key is 64 hex digits, and a private key's digits are decoded without a branch on them.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netlink/wg.h"
#include "netlink/wg_uapi_text.h"

#define KEY_HEX_LEN (2 * WG_KEY_LEN)

_Static_assert(WG_UAPI_TEXT_DEVICE_MAX >= sizeof("set=1\n\n") + sizeof("private_key=\n") +
		       KEY_HEX_LEN + sizeof("listen_port=65535\n"),
	       "a device's request fits");

/* A growing request; holds no secret (a device's request goes to a fixed buffer instead). */
struct uapi_msg {
	char *p;
	size_t len, cap;
	bool oom;
};

int wg_uapi_text_parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (*s < '0' || *s > '9')
		return -EBADMSG;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return -EBADMSG;
	*out = v;
	return 0;
}

/* ----- keys and addresses as text ----- */

static void key_to_hex(char hex[KEY_HEX_LEN + 1], const uint8_t key[WG_KEY_LEN])
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < WG_KEY_LEN; i++) {
		hex[2 * i] = digits[key[i] >> 4];
		hex[2 * i + 1] = digits[key[i] & 0xf];
	}
	hex[KEY_HEX_LEN] = '\0';
}

/* 0..15, or -1; no branch on the digit, which may be a private key's. */
static int hex_digit(unsigned char c)
{
	int num = c ^ '0';				/* 0..9 for '0'..'9' */
	int alpha = (c | 0x20) - ('a' - 10);		/* 10..15 for 'a'..'f', 'A'..'F' */
	int num_ok = (num - 10) >> 8;			/* -1 if num < 10 */
	int alpha_ok = ((alpha - 10) ^ (alpha - 16)) >> 8;	/* -1 if 10 <= alpha < 16 */

	return (num & num_ok) | (alpha & alpha_ok) | ~(num_ok | alpha_ok);
}

static int key_from_hex(uint8_t key[WG_KEY_LEN], const char *hex)
{
	int bad = 0, hi, lo;
	size_t i;

	if (strnlen(hex, KEY_HEX_LEN + 1) != KEY_HEX_LEN)
		return -EBADMSG;
	for (i = 0; i < WG_KEY_LEN; i++) {
		hi = hex_digit((unsigned char)hex[2 * i]);
		lo = hex_digit((unsigned char)hex[2 * i + 1]);
		bad |= hi | lo;
		/* unsigned: a bad digit is -1, and a negative int shifted left is undefined */
		key[i] = (uint8_t)(((unsigned)hi << 4) | (unsigned)lo);
	}
	return bad < 0 ? -EBADMSG : 0;
}

/* "a.b.c.d:port" or "[v6%scope]:port" */
static int endpoint_format(char *out, size_t size, const struct sockaddr_storage *ss)
{
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
	const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;
	char addr[INET6_ADDRSTRLEN];
	int n;

	if (ss->ss_family == AF_INET) {
		inet_ntop(AF_INET, &s4->sin_addr, addr, sizeof(addr));
		n = snprintf(out, size, "%s:%u", addr, ntohs(s4->sin_port));
	} else if (ss->ss_family == AF_INET6) {
		inet_ntop(AF_INET6, &s6->sin6_addr, addr, sizeof(addr));
		if (s6->sin6_scope_id)
			n = snprintf(out, size, "[%s%%%u]:%u", addr, s6->sin6_scope_id,
				     ntohs(s6->sin6_port));
		else
			n = snprintf(out, size, "[%s]:%u", addr, ntohs(s6->sin6_port));
	} else {
		return -EAFNOSUPPORT;
	}
	return n < 0 || (size_t)n >= size ? -EINVAL : 0;
}

static int endpoint_parse(const char *s, struct sockaddr_storage *out)
{
	struct sockaddr_storage ss = { .ss_family = AF_UNSPEC };
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	char addr[INET6_ADDRSTRLEN + 16];
	const char *port, *end;
	uint64_t v, scope = 0;
	char *pct;
	size_t len;

	if (s[0] == '[') {
		end = strstr(s, "]:");
		if (!end)
			return -EBADMSG;
		port = end + 2;
		s++;
	} else {
		end = strrchr(s, ':');
		if (!end)
			return -EBADMSG;
		port = end + 1;
	}
	len = (size_t)(end - s);
	if (len >= sizeof(addr) || wg_uapi_text_parse_u64(port, UINT16_MAX, &v) < 0)
		return -EBADMSG;
	memcpy(addr, s, len);
	addr[len] = '\0';
	pct = strchr(addr, '%');
	if (pct) {
		*pct = '\0';
		/* a zone by name means this namespace's device of that name: not ours to look up */
		if (wg_uapi_text_parse_u64(pct + 1, UINT32_MAX, &scope) < 0)
			scope = 0;
	}
	if (inet_pton(AF_INET, addr, &s4->sin_addr) == 1 && !pct) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)v);
	} else if (inet_pton(AF_INET6, addr, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)v);
		s6->sin6_scope_id = (uint32_t)scope;
	} else {
		return -EBADMSG;
	}
	*out = ss;
	return 0;
}

/* ----- requests ----- */

static void msg_printf(struct uapi_msg *m, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void msg_printf(struct uapi_msg *m, const char *fmt, ...)
{
	size_t cap;
	va_list ap;
	char *p;
	int n;

	if (m->oom)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(m->p ? m->p + m->len : NULL, m->p ? m->cap - m->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0) {
			m->oom = true;
			return;
		}
		if (m->p && (size_t)n < m->cap - m->len) {
			m->len += (size_t)n;
			return;
		}
		cap = m->cap ? m->cap * 2 : 4096;
		while (cap - m->len <= (size_t)n)
			cap *= 2;
		p = realloc(m->p, cap);
		if (!p) {
			m->oom = true;
			return;
		}
		m->p = p;
		m->cap = cap;
	}
}

static int put_peer(struct uapi_msg *m, const struct wg_peer *p)
{
	char hex[KEY_HEX_LEN + 1], ep[INET6_ADDRSTRLEN + 32], ip[INET_ADDRSTRLEN];
	struct in_addr a;
	size_t i;
	int ret;

	key_to_hex(hex, p->public_key);
	msg_printf(m, "public_key=%s\n", hex);
	if (p->remove) {
		msg_printf(m, "remove=true\n");
		return 0;
	}
	if (p->replace_allowed_ips)
		msg_printf(m, "replace_allowed_ips=true\n");
	/* none given: the peer keeps the endpoint it has, maybe one it roamed to */
	if (p->endpoint.ss_family != AF_UNSPEC) {
		ret = endpoint_format(ep, sizeof(ep), &p->endpoint);
		if (ret < 0)
			return ret;
		msg_printf(m, "endpoint=%s\n", ep);
	}
	msg_printf(m, "persistent_keepalive_interval=%u\n", p->keepalive);
	for (i = 0; i < p->nallowed_ips; i++) {
		a.s_addr = htonl(p->allowed_ips[i].addr);
		inet_ntop(AF_INET, &a, ip, sizeof(ip));
		msg_printf(m, "allowed_ip=%s/%u\n", ip, p->allowed_ips[i].len);
	}
	return 0;
}

int wg_uapi_text_format_peers(const struct wg_peer *peers, size_t n, char **out, size_t *len)
{
	struct uapi_msg m = { 0 };
	size_t i;
	int ret;

	msg_printf(&m, "set=1\n");
	for (i = 0; i < n; i++) {
		ret = put_peer(&m, &peers[i]);
		if (ret < 0)
			goto out;
	}
	msg_printf(&m, "\n");
	ret = -ENOMEM;
	if (m.oom)
		goto out;
	*out = m.p;
	*len = m.len;
	m.p = NULL;
	ret = 0;
out:
	free(m.p);
	return ret;
}

int wg_uapi_text_format_device(char *buf, size_t size, const struct wg_device *dev)
{
	char key[sizeof("private_key=\n") + KEY_HEX_LEN] = "", hex[KEY_HEX_LEN + 1];
	char port[sizeof("listen_port=65535\n")] = "";
	int n;

	if (dev->has_private_key) {
		key_to_hex(hex, dev->private_key);
		snprintf(key, sizeof(key), "private_key=%s\n", hex);
	}
	if (dev->listen_port)
		snprintf(port, sizeof(port), "listen_port=%u\n", dev->listen_port);
	n = snprintf(buf, size, "set=1\n%s%s\n", key, port);
	explicit_bzero(hex, sizeof(hex));
	explicit_bzero(key, sizeof(key));
	return n < 0 || (size_t)n >= size ? -EMSGSIZE : n;
}

/* ----- get ----- */

static int get_add_peer(struct wg_uapi_text_get *g, const char *hex)
{
	struct wg_peer *peers, *p;
	size_t cap;

	if (g->dev.npeers == g->peers_cap) {
		cap = g->peers_cap ? 2 * g->peers_cap : 8;
		peers = reallocarray(g->dev.peers, cap, sizeof(*peers));
		if (!peers)
			return -ENOMEM;
		g->dev.peers = peers;
		g->peers_cap = cap;
	}
	p = &g->dev.peers[g->dev.npeers];
	*p = (struct wg_peer){ .endpoint.ss_family = AF_UNSPEC };
	if (key_from_hex(p->public_key, hex) < 0)
		return -EBADMSG;
	g->dev.npeers++;
	g->ips_cap = 0;
	return 0;
}

static int get_add_ip(struct wg_uapi_text_get *g, struct wg_peer *p, const char *value)
{
	char addr[INET_ADDRSTRLEN];
	struct wg_allowed_ip *ips;
	const char *slash;
	struct in_addr a;
	uint64_t len;
	size_t cap;

	if (strchr(value, ':'))
		return 0;			/* IPv6 is not ours */
	slash = strchr(value, '/');
	if (!slash || (size_t)(slash - value) >= sizeof(addr))
		return -EBADMSG;
	memcpy(addr, value, (size_t)(slash - value));
	addr[slash - value] = '\0';
	if (inet_pton(AF_INET, addr, &a) != 1 || wg_uapi_text_parse_u64(slash + 1, 32, &len) < 0)
		return -EBADMSG;
	if (p->nallowed_ips == g->ips_cap) {
		cap = g->ips_cap ? 2 * g->ips_cap : 4;
		ips = reallocarray(p->allowed_ips, cap, sizeof(*ips));
		if (!ips)
			return -ENOMEM;
		p->allowed_ips = ips;
		g->ips_cap = cap;
	}
	p->allowed_ips[p->nallowed_ips++] = (struct wg_allowed_ip){
		.addr = ntohl(a.s_addr),
		.len = (uint8_t)len,
	};
	return 0;
}

static int get_peer_line(struct wg_uapi_text_get *g, const char *key, const char *value)
{
	struct wg_peer *p;
	uint64_t v;
	int ret = 0;

	if (g->dev.npeers == 0)
		return -EBADMSG;		/* a peer's key before any public_key= */
	p = &g->dev.peers[g->dev.npeers - 1];
	if (strcmp(key, "endpoint") == 0) {
		ret = endpoint_parse(value, &p->endpoint);
	} else if (strcmp(key, "last_handshake_time_sec") == 0) {
		ret = wg_uapi_text_parse_u64(value, INT64_MAX, &v);
		if (ret == 0)
			p->last_handshake_sec = (int64_t)v;
	} else if (strcmp(key, "rx_bytes") == 0) {
		ret = wg_uapi_text_parse_u64(value, UINT64_MAX, &p->rx_bytes);
	} else if (strcmp(key, "tx_bytes") == 0) {
		ret = wg_uapi_text_parse_u64(value, UINT64_MAX, &p->tx_bytes);
	} else if (strcmp(key, "persistent_keepalive_interval") == 0) {
		ret = wg_uapi_text_parse_u64(value, UINT16_MAX, &v);
		if (ret == 0)
			p->keepalive = (uint16_t)v;
	} else if (strcmp(key, "allowed_ip") == 0) {
		ret = get_add_ip(g, p, value);
	}
	return ret;
}

int wg_uapi_text_parse_line(void *data, const char *key, const char *value)
{
	struct wg_uapi_text_get *g = data;
	uint64_t v;
	int ret;

	if (strcmp(key, "private_key") == 0) {
		ret = key_from_hex(g->dev.private_key, value);
		g->dev.has_private_key = ret == 0;
		return ret;
	}
	if (strcmp(key, "listen_port") == 0) {
		ret = wg_uapi_text_parse_u64(value, UINT16_MAX, &v);
		if (ret == 0)
			g->dev.listen_port = (uint16_t)v;
		return ret;
	}
	if (strcmp(key, "public_key") == 0)
		return get_add_peer(g, value);
	if (strcmp(key, "endpoint") == 0 || strcmp(key, "last_handshake_time_sec") == 0 ||
	    strcmp(key, "rx_bytes") == 0 || strcmp(key, "tx_bytes") == 0 ||
	    strcmp(key, "persistent_keepalive_interval") == 0 || strcmp(key, "allowed_ip") == 0)
		return get_peer_line(g, key, value);
	return 0;				/* fwmark, protocol_version, ... */
}
