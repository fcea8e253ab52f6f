/* SPDX-License-Identifier: MIT */
/*
 * Userspace backend of wg.h: the cross-platform UAPI of wireguard-go, plain "key=value" lines
 * over the unix socket <dir>/<ifname>.sock (https://www.wireguard.com/xplatform/). A request is
 * "set=1" or "get=1" with its lines and a blank line; the reply's last line before the blank one
 * is "errno=N". Each call opens one connection and sends one operation, so all of set_peers'
 * peers go in one message. Every wait on the socket is bounded: a wireguard-go that hangs must
 * not hang the driver. Starting and watching wireguard-go is wg_userspace.c's.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "netlink/wg.h"
#include "netlink/wg_uapi.h"

#define UAPI_LINE_MAX 256		/* longest reply line: keys are 64 hex digits */
#define BIND_WAIT_MS 1000		/* for wireguard-go to see its TUN up and open its socket */
#define BIND_POLL_MS 2
#define KEY_HEX_LEN (2 * WG_KEY_LEN)

struct uapi_conn {
	int fd;
	size_t off, len;
	char buf[4096];			/* may hold a private key: wiped by uapi_close */
};

/* A growing request; holds no secret (set_device uses a fixed buffer instead). */
struct uapi_msg {
	char *p;
	size_t len, cap;
	bool oom;
};

/* Called per reply line before errno=; a negative return fails the operation. */
typedef int (*uapi_line_cb)(void *data, const char *key, const char *value);

static bool ifname_valid(const char *name)
{
	size_t len = name ? strnlen(name, IFNAMSIZ) : 0;

	return len > 0 && len < IFNAMSIZ && !strchr(name, '/');
}

int wg_uapi_addr(const char *dir, const char *ifname, struct sockaddr_un *sun)
{
	int n;

	if (!ifname_valid(ifname))
		return -EINVAL;
	if (!dir)
		dir = WG_UAPI_DIR;
	if (!dir[0])
		return -ENAMETOOLONG;	/* wg_backend_userspace() got a dir too long to keep */
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	n = snprintf(sun->sun_path, sizeof(sun->sun_path), "%s/%s.sock", dir, ifname);
	if (n < 0 || (size_t)n >= sizeof(sun->sun_path))
		return -ENAMETOOLONG;
	return 0;
}

int wg_uapi_connect(const struct sockaddr_un *sun, unsigned timeout_ms)
{
	struct timeval tv = { .tv_sec = timeout_ms / 1000,
			      .tv_usec = (suseconds_t)(timeout_ms % 1000) * 1000 };
	int fd, ret;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* the send timeout bounds connect() too */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0 ||
	    connect(fd, (const struct sockaddr *)sun, sizeof(*sun)) < 0) {
		ret = errno == EAGAIN || errno == EINPROGRESS ? -ETIMEDOUT : -errno;
		close(fd);
		return ret;
	}
	return fd;
}

static void uapi_close(struct uapi_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	explicit_bzero(c->buf, sizeof(c->buf));
}

static int uapi_send(struct uapi_conn *c, const char *p, size_t len)
{
	ssize_t n;

	while (len) {
		n = send(c->fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN ? -ETIMEDOUT : -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* One line without its '\n' into line: its length, or -EBADMSG if too long or not text. */
static int uapi_read_line(struct uapi_conn *c, char *line, size_t size)
{
	size_t n = 0;
	ssize_t r;
	char ch;

	for (;;) {
		if (c->off == c->len) {
			r = recv(c->fd, c->buf, sizeof(c->buf), 0);
			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0)
				return errno == EAGAIN ? -ETIMEDOUT : -errno;
			if (r == 0)
				return -ECONNRESET;	/* closed before the blank line */
			c->off = 0;
			c->len = (size_t)r;
		}
		ch = c->buf[c->off++];
		if (ch == '\n') {
			line[n] = '\0';
			return (int)n;
		}
		if (ch == '\0' || n + 1 >= size)
			return -EBADMSG;
		line[n++] = ch;
	}
}

/* Decimal digits only (no sign, no space), at most max. */
static int parse_u64(const char *s, uint64_t max, uint64_t *out)
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

/*
 * Reads a reply up to its blank line, giving the lines before errno= to cb (may be NULL).
 * The status errno=N becomes -N; wireguard-go writes it negative, wireguard-tools' own
 * servers positive, so its sign is ignored.
 */
static int uapi_read_reply(struct uapi_conn *c, uapi_line_cb cb, void *data)
{
	char line[UAPI_LINE_MAX];
	bool have_status = false;
	uint64_t status = 0;
	char *eq;
	int ret;

	for (;;) {
		ret = uapi_read_line(c, line, sizeof(line));
		if (ret < 0)
			goto out;
		if (ret == 0)
			break;
		eq = strchr(line, '=');
		if (!eq) {
			ret = -EBADMSG;
			goto out;
		}
		*eq = '\0';
		if (have_status)
			continue;		/* nothing is meant to follow errno= */
		if (strcmp(line, "errno") == 0) {
			ret = parse_u64(eq[1] == '-' ? eq + 2 : eq + 1, 4095, &status);
			if (ret < 0)
				goto out;
			have_status = true;
		} else if (cb) {
			ret = cb(data, line, eq + 1);
			if (ret < 0)
				goto out;
		}
	}
	ret = !have_status ? -EPROTO : -(int)status;
out:
	explicit_bzero(line, sizeof(line));
	return ret;
}

/*
 * One operation on one connection. When a set fails half-way, wireguard-go answers and closes
 * without reading the rest: a failed send may still leave its answer to read.
 */
static int uapi_call(const char *dir, const char *ifname, const char *req, size_t len,
		     uapi_line_cb cb, void *data)
{
	struct uapi_conn c = { .fd = -1 };
	struct sockaddr_un sun;
	int ret, sent;

	ret = wg_uapi_addr(dir, ifname, &sun);
	if (ret < 0)
		return ret;
	c.fd = wg_uapi_connect(&sun, WG_UAPI_TIMEOUT_MS);
	if (c.fd < 0)
		return c.fd;
	sent = uapi_send(&c, req, len);
	if (sent < 0 && sent != -EPIPE && sent != -ECONNRESET) {
		ret = sent;
		goto out;
	}
	ret = uapi_read_reply(&c, cb, data);
	/* no answer to read after all: the send's error is the one to report */
	if (sent < 0 && (ret == 0 || ret == -ECONNRESET))
		ret = sent;
out:
	uapi_close(&c);
	return ret;
}

int wg_uapi_ping(int fd)
{
	static const char req[] = "get=1\n\n";
	struct uapi_conn c = { .fd = fd };
	int ret;

	ret = uapi_send(&c, req, sizeof(req) - 1);
	if (ret == 0)
		ret = uapi_read_reply(&c, NULL, NULL);
	explicit_bzero(c.buf, sizeof(c.buf));	/* the reply names the private key */
	return ret;
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
		key[i] = (uint8_t)((hi << 4) | lo);
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
	if (len >= sizeof(addr) || parse_u64(port, UINT16_MAX, &v) < 0)
		return -EBADMSG;
	memcpy(addr, s, len);
	addr[len] = '\0';
	pct = strchr(addr, '%');
	if (pct) {
		*pct = '\0';
		/* a zone by name means this namespace's device of that name: not ours to look up */
		if (parse_u64(pct + 1, UINT32_MAX, &scope) < 0)
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

/* ----- get ----- */

struct uapi_get {
	struct wg_device dev;
	size_t peers_cap;
	size_t ips_cap;			/* of the last peer's allowed_ips */
};

static int get_add_peer(struct uapi_get *g, const char *hex)
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

static int get_add_ip(struct uapi_get *g, struct wg_peer *p, const char *value)
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
	if (inet_pton(AF_INET, addr, &a) != 1 || parse_u64(slash + 1, 32, &len) < 0)
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

static int get_peer_line(struct uapi_get *g, const char *key, const char *value)
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
		ret = parse_u64(value, INT64_MAX, &v);
		if (ret == 0)
			p->last_handshake_sec = (int64_t)v;
	} else if (strcmp(key, "rx_bytes") == 0) {
		ret = parse_u64(value, UINT64_MAX, &p->rx_bytes);
	} else if (strcmp(key, "tx_bytes") == 0) {
		ret = parse_u64(value, UINT64_MAX, &p->tx_bytes);
	} else if (strcmp(key, "persistent_keepalive_interval") == 0) {
		ret = parse_u64(value, UINT16_MAX, &v);
		if (ret == 0)
			p->keepalive = (uint16_t)v;
	} else if (strcmp(key, "allowed_ip") == 0) {
		ret = get_add_ip(g, p, value);
	}
	return ret;
}

static int get_line(void *data, const char *key, const char *value)
{
	struct uapi_get *g = data;
	uint64_t v;
	int ret;

	if (strcmp(key, "private_key") == 0) {
		ret = key_from_hex(g->dev.private_key, value);
		g->dev.has_private_key = ret == 0;
		return ret;
	}
	if (strcmp(key, "listen_port") == 0) {
		ret = parse_u64(value, UINT16_MAX, &v);
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

/* ----- the backend ----- */

static int bound_line(void *data, const char *key, const char *value)
{
	bool *bound = data;

	if (strcmp(key, "listen_port") == 0)
		*bound = strcmp(value, "0") != 0;
	return 0;
}

/*
 * wireguard-go opens its UDP socket only once it has seen its TUN device up (at its start on
 * some kernels, at link up on others); until then a listen port is only stored, and a port in
 * use fails later, in its log alone. Waiting for a bound port makes the set report -EADDRINUSE.
 * After BIND_WAIT_MS the set goes ahead all the same: that is also what a device whose last
 * bind failed costs (it shows no port either).
 */
static int wait_bound(const char *dir, const char *ifname)
{
	static const char req[] = "get=1\n\n";
	struct timespec ts = { .tv_nsec = BIND_POLL_MS * 1000000L };
	int waited, ret;

	for (waited = 0; waited < BIND_WAIT_MS; waited += BIND_POLL_MS) {
		bool bound = false;

		ret = uapi_call(dir, ifname, req, sizeof(req) - 1, bound_line, &bound);
		if (ret < 0)
			return ret;
		if (bound)
			return 0;
		nanosleep(&ts, NULL);
	}
	return 0;
}

static int uapi_set_device(const struct wg_backend *b, const struct wg_device *dev)
{
	char req[32 + KEY_HEX_LEN + 32], hex[KEY_HEX_LEN + 1];
	size_t len;
	int ret;

	if (dev->listen_port) {
		ret = wait_bound(b->uapi_dir, dev->ifname);
		if (ret < 0)
			return ret;
	}
	len = (size_t)snprintf(req, sizeof(req), "set=1\n");
	if (dev->has_private_key) {
		key_to_hex(hex, dev->private_key);
		len += (size_t)snprintf(req + len, sizeof(req) - len, "private_key=%s\n", hex);
	}
	if (dev->listen_port)
		len += (size_t)snprintf(req + len, sizeof(req) - len, "listen_port=%u\n",
					dev->listen_port);
	len += (size_t)snprintf(req + len, sizeof(req) - len, "\n");
	ret = uapi_call(b->uapi_dir, dev->ifname, req, len, NULL, NULL);
	explicit_bzero(hex, sizeof(hex));
	explicit_bzero(req, sizeof(req));
	return ret;
}

static int uapi_set_peers(const struct wg_backend *b, const char *ifname,
			  const struct wg_peer *peers, size_t n)
{
	struct uapi_msg m = { 0 };
	size_t i;
	int ret;

	if (!ifname_valid(ifname))
		return -EINVAL;
	ret = wg_peers_check(peers, n);
	if (ret < 0)
		return ret;
	if (n == 0)
		return 0;
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
	ret = uapi_call(b->uapi_dir, ifname, m.p, m.len, NULL, NULL);
out:
	free(m.p);
	return ret;
}

static int uapi_get_device(const struct wg_backend *b, const char *ifname, struct wg_device *out)
{
	static const char req[] = "get=1\n\n";
	struct uapi_get g = { 0 };
	int ret;

	if (!ifname_valid(ifname))
		return -EINVAL;
	ret = uapi_call(b->uapi_dir, ifname, req, sizeof(req) - 1, get_line, &g);
	if (ret < 0)
		goto out;
	memcpy(g.dev.ifname, ifname, strlen(ifname) + 1);
	*out = g.dev;
	g.dev = (struct wg_device){ 0 };
out:
	wg_device_release(&g.dev);
	return ret;
}

void wg_backend_userspace(struct wg_backend *out, const char *dir)
{
	*out = (struct wg_backend){
		.name = "userspace",
		.set_device = uapi_set_device,
		.set_peers = uapi_set_peers,
		.get_device = uapi_get_device,
	};
	if (!dir)
		dir = WG_UAPI_DIR;
	/* too long to keep: left empty, so that every call fails with -ENAMETOOLONG */
	if (strlen(dir) < sizeof(out->uapi_dir))
		memcpy(out->uapi_dir, dir, strlen(dir) + 1);
}
