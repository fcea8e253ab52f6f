/* SPDX-License-Identifier: MIT */
/*
 * Userspace backend of wg.h: the cross-platform UAPI of wireguard-go, plain "key=value" lines
 * over the unix socket <dir>/<ifname>.sock (https://www.wireguard.com/xplatform/). A request is
 * "set=1" or "get=1" with its lines and a blank line; the reply's last line before the blank one
 * is "errno=N". Each call opens one connection and sends one operation, so all of set_peers'
 * peers go in one message. Every wait on the socket is bounded: a wireguard-go that hangs must
 * not hang the driver. What the lines say is wg_uapi_text.c's (pure); starting and watching
 * wireguard-go is wg_userspace.c's.
 */
#include <errno.h>
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
#include "netlink/wg_uapi_text.h"

#define UAPI_LINE_MAX 256		/* longest reply line: keys are 64 hex digits */
#define BIND_WAIT_MS 1000		/* for wireguard-go to see its TUN up and open its socket */
#define BIND_POLL_MS 2

struct uapi_conn {
	int fd;
	size_t off, len;
	char buf[4096];			/* may hold a private key: wiped by uapi_close */
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
			ret = wg_uapi_text_parse_u64(eq[1] == '-' ? eq + 2 : eq + 1, 4095, &status);
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
	char req[WG_UAPI_TEXT_DEVICE_MAX];
	int len, ret;

	if (dev->listen_port) {
		ret = wait_bound(b->uapi_dir, dev->ifname);
		if (ret < 0)
			return ret;
	}
	len = wg_uapi_text_format_device(req, sizeof(req), dev);
	ret = len < 0 ? len : uapi_call(b->uapi_dir, dev->ifname, req, (size_t)len, NULL, NULL);
	explicit_bzero(req, sizeof(req));
	return ret;
}

static int uapi_set_peers(const struct wg_backend *b, const char *ifname,
			  const struct wg_peer *peers, size_t n)
{
	char *req = NULL;
	size_t len;
	int ret;

	if (!ifname_valid(ifname))
		return -EINVAL;
	ret = wg_peers_check(peers, n);
	if (ret < 0)
		return ret;
	if (n == 0)
		return 0;
	ret = wg_uapi_text_format_peers(peers, n, &req, &len);
	if (ret == 0)
		ret = uapi_call(b->uapi_dir, ifname, req, len, NULL, NULL);
	free(req);
	return ret;
}

static int uapi_get_device(const struct wg_backend *b, const char *ifname, struct wg_device *out)
{
	static const char req[] = "get=1\n\n";
	struct wg_uapi_text_get g = { 0 };
	int ret;

	if (!ifname_valid(ifname))
		return -EINVAL;
	ret = uapi_call(b->uapi_dir, ifname, req, sizeof(req) - 1, wg_uapi_text_parse_line, &g);
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
