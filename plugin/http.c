/* SPDX-License-Identifier: MIT */
/*
 * libmicrohttpd on a unix socket we bind ourselves (MHD_OPTION_LISTEN_SOCKET): MHD only knows
 * TCP ports. A few threads poll every connection (epoll), so that an idle connection costs a
 * file descriptor and a little memory, not a thread: a stuck client holding a thousand of
 * them cannot starve dockerd. Connections are capped (HTTP_CONN_MAX). dockerd keeps its
 * connections open between calls, and a request whose connection drops after its body was
 * sent is retried with an empty body (docker-plugin-protocol.md): so the first HTTP_CONN_CALM
 * connections never time out, and only those opened while more are open time out when idle
 * for HTTP_IDLE_TIMEOUT seconds, which is when a client is misbehaving.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <microhttpd.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "plugin/http.h"

#define HTTP_THREADS 4

struct http_server {
	struct MHD_Daemon *mhd;
	atomic_uint nconn;		/* connections open now */
	http_handler handler;
	void *ctx;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	dev_t dev;
	ino_t ino;
};

/* What MHD keeps for us between the calls of one request. */
struct request_body {
	char *buf;
	size_t len;
	size_t cap;
	bool too_big;
};

char *http_error_body(const char *msg)
{
	json_t *o = json_pack("{s:s}", "Err", msg && msg[0] ? msg : "internal error");
	char *s;

	if (!o)
		return NULL;
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return s;
}

static int body_append(struct request_body *b, const char *data, size_t len)
{
	size_t cap;
	char *v;

	if (b->too_big || b->len + len > HTTP_BODY_MAX) {
		b->too_big = true;	/* keep reading so the reply can be sent */
		return 0;
	}
	if (b->len + len + 1 > b->cap) {
		cap = b->cap ? b->cap : 1024;
		while (cap < b->len + len + 1)
			cap *= 2;
		v = realloc(b->buf, cap);
		if (!v)
			return -ENOMEM;
		b->buf = v;
		b->cap = cap;
	}
	memcpy(b->buf + b->len, data, len);
	b->len += len;
	b->buf[b->len] = 0;
	return 0;
}

static enum MHD_Result send_reply(struct MHD_Connection *conn, unsigned status, char *body)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;
	size_t len = body ? strlen(body) : 0;

	resp = MHD_create_response_from_buffer(len, body ? body : (char *)"",
					       body ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	if (!resp) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result send_error(struct MHD_Connection *conn, unsigned status, const char *msg)
{
	return send_reply(conn, status, http_error_body(msg));
}

/*
 * A body declared over this is refused before it is read. A smaller one that is still over
 * HTTP_BODY_MAX is read and dropped, and refused once it is in: a reply sent while the client
 * is still sending is lost to the reset that closing an unread socket causes (curl waits only
 * 1 s for "100 Continue"; a busy daemon can answer later than that).
 */
#define HTTP_BODY_DRAIN_MAX (16u << 20)

static bool declared_too_big(struct MHD_Connection *conn)
{
	const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						     MHD_HTTP_HEADER_CONTENT_LENGTH);
	char *end;
	unsigned long long n;

	if (!cl)
		return false;
	errno = 0;
	n = strtoull(cl, &end, 10);
	return errno == ERANGE || (end != cl && n > HTTP_BODY_DRAIN_MAX);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload,
				  size_t *upload_size, void **req_cls)
{
	struct http_server *s = cls;
	struct request_body *b = *req_cls;
	struct http_request req;
	struct http_reply reply = { 0 };

	(void)version;
	if (!b) {
		b = calloc(1, sizeof(*b));
		if (!b)
			return MHD_NO;
		*req_cls = b;
		/* Refuse a huge body before reading: with "Expect: 100-continue" it is never sent. */
		if (declared_too_big(conn))
			return send_error(conn, MHD_HTTP_CONTENT_TOO_LARGE,
					  "request body over 1 MiB");
		return MHD_YES;
	}
	if (*upload_size) {
		if (body_append(b, upload, *upload_size) < 0)
			return MHD_NO;
		*upload_size = 0;
		return MHD_YES;
	}
	if (b->too_big)
		return send_error(conn, MHD_HTTP_CONTENT_TOO_LARGE, "request body over 1 MiB");
	req = (struct http_request){
		.method = method,
		.path = url,
		.body = b->buf ? b->buf : "",
		.body_len = b->len,
	};
	s->handler(s->ctx, &req, &reply);
	if (!reply.status)
		reply.status = MHD_HTTP_INTERNAL_SERVER_ERROR;
	return send_reply(conn, reply.status, reply.body);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct request_body *b = *req_cls;

	(void)cls;
	(void)conn;
	(void)toe;
	if (b) {
		free(b->buf);
		free(b);
		*req_cls = NULL;
	}
}

/* Counts connections; one opened while HTTP_CONN_CALM others are open gets an idle timeout. */
static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
			  enum MHD_ConnectionNotificationCode code)
{
	struct http_server *s = cls;

	(void)socket_context;
	if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
		atomic_fetch_sub(&s->nconn, 1);
		return;
	}
	if (atomic_fetch_add(&s->nconn, 1) >= HTTP_CONN_CALM)
		MHD_set_connection_option(conn, MHD_CONNECTION_OPTION_TIMEOUT,
					  (unsigned)HTTP_IDLE_TIMEOUT);
}

static int mkdir_parent(const char *path)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = 0;
	for (char *p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/* A socket file nobody accepts on is left by a crash: remove it. A live one is another wgnetd. */
static int clear_stale(const struct sockaddr_un *sa)
{
	struct stat st;
	int fd, ret;

	if (lstat(sa->sun_path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	ret = connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
	close(fd);
	if (ret == 0)
		return -EADDRINUSE;
	if (unlink(sa->sun_path) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

static int listen_unix(const char *path, dev_t *dev, ino_t *ino)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	mode_t old;
	int fd, ret;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	ret = mkdir_parent(path);
	if (ret < 0)
		return ret;
	ret = clear_stale(&sa);
	if (ret < 0)
		return ret;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	old = umask(0177);	/* the socket is born 0600: no window where others may connect */
	ret = bind(fd, (const struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (ret < 0 || chmod(path, 0600) < 0 || listen(fd, 128) < 0 || stat(path, &st) < 0) {
		ret = -errno;
		close(fd);
		return ret;
	}
	*dev = st.st_dev;
	*ino = st.st_ino;
	return fd;
}

int http_server_start(const char *socket_path, http_handler handler, void *ctx,
		      struct http_server **out)
{
	struct http_server *s;
	int fd, ret;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->handler = handler;
	s->ctx = ctx;
	snprintf(s->path, sizeof(s->path), "%s", socket_path);
	fd = listen_unix(socket_path, &s->dev, &s->ino);
	if (fd < 0) {
		free(s);
		return fd;
	}
	s->mhd = MHD_start_daemon(MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL,
				  on_request, s,
				  MHD_OPTION_LISTEN_SOCKET, fd,
				  MHD_OPTION_THREAD_POOL_SIZE, (unsigned)HTTP_THREADS,
				  MHD_OPTION_CONNECTION_LIMIT, (unsigned)HTTP_CONN_MAX,
				  MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)0,
				  MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
				  MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
				  MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
				  MHD_OPTION_END);
	if (!s->mhd) {
		ret = -EIO;
		close(fd);
		unlink(socket_path);
		free(s);
		return ret;
	}
	*out = s;
	return 0;
}

void http_server_stop(struct http_server *s)
{
	struct stat st;

	if (!s)
		return;
	MHD_stop_daemon(s->mhd);	/* closes the listening socket too */
	if (stat(s->path, &st) == 0 && st.st_dev == s->dev && st.st_ino == s->ino)
		unlink(s->path);
	free(s);
}
