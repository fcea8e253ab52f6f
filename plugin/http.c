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
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "plugin/http.h"

#define HTTP_THREADS 4

struct http_server {
	struct MHD_Daemon *mhd;
	atomic_uint nconn;		/* connections open now */
	unsigned calm;			/* connections without idle timeout */
	size_t body_max;
	http_handler handler;
	void *ctx;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];	/* "" for TCP */
	dev_t dev;
	ino_t ino;
	/* requests put off (reply.later), resumed by http_server_wake */
	pthread_mutex_t mu;
	struct MHD_Connection **held;
	size_t nheld, capheld;
	bool stopping;
};

/* What MHD keeps for us between the calls of one request. */
struct request_body {
	char *buf;
	size_t len;
	size_t cap;
	bool too_big;
	uint64_t arrived_us;
};

uint64_t http_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

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

static int body_append(struct request_body *b, size_t max, const char *data, size_t len)
{
	size_t cap;
	char *v;

	if (b->too_big || b->len + len > max) {
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

static enum MHD_Result send_reply(struct MHD_Connection *conn, unsigned status, char *body,
				  const char *content_type)
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
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
				content_type ? content_type : "application/json");
	ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result send_error(struct MHD_Connection *conn, unsigned status, const char *msg)
{
	return send_reply(conn, status, http_error_body(msg), NULL);
}

static const char *too_big_text(const struct http_server *s)
{
	return s->body_max ? "request body over 1 MiB" : "no request body is taken here";
}

/* reply.later: held until the next http_server_wake. While the server stops, the connection
 * is closed instead: the client sees the server go, as it does. */
static enum MHD_Result hold(struct http_server *s, struct MHD_Connection *conn)
{
	struct MHD_Connection **v;

	pthread_mutex_lock(&s->mu);
	if (s->stopping) {
		pthread_mutex_unlock(&s->mu);
		return MHD_NO;
	}
	if (s->nheld == s->capheld) {
		v = realloc(s->held, (s->capheld ? 2 * s->capheld : 16) * sizeof(*v));
		if (!v) {
			pthread_mutex_unlock(&s->mu);
			return send_error(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "out of memory");
		}
		s->held = v;
		s->capheld = s->capheld ? 2 * s->capheld : 16;
	}
	s->held[s->nheld++] = conn;
	MHD_suspend_connection(conn);
	pthread_mutex_unlock(&s->mu);
	return MHD_YES;
}

void http_server_wake(struct http_server *s)
{
	pthread_mutex_lock(&s->mu);
	for (size_t i = 0; i < s->nheld; i++)
		MHD_resume_connection(s->held[i]);
	s->nheld = 0;
	pthread_mutex_unlock(&s->mu);
}

const char *http_request_arg(const struct http_request *req, const char *key)
{
	return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, key);
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
		b->arrived_us = http_now_us();
		/* Refuse a huge body before reading: with "Expect: 100-continue" it is never sent. */
		if (declared_too_big(conn))
			return send_error(conn, MHD_HTTP_CONTENT_TOO_LARGE, too_big_text(s));
		return MHD_YES;
	}
	if (*upload_size) {
		if (body_append(b, s->body_max, upload, *upload_size) < 0)
			return MHD_NO;
		*upload_size = 0;
		return MHD_YES;
	}
	if (b->too_big)
		return send_error(conn, MHD_HTTP_CONTENT_TOO_LARGE, too_big_text(s));
	req = (struct http_request){
		.method = method,
		.path = url,
		.body = b->buf ? b->buf : "",
		.body_len = b->len,
		.arrived_us = b->arrived_us,
		.conn = conn,
	};
	s->handler(s->ctx, &req, &reply);
	if (reply.later) {
		free(reply.body);
		return hold(s, conn);
	}
	if (!reply.status)
		reply.status = MHD_HTTP_INTERNAL_SERVER_ERROR;
	return send_reply(conn, reply.status, reply.body, reply.content_type);
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
	if (atomic_fetch_add(&s->nconn, 1) >= s->calm)
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

static struct http_server *server_new(http_handler handler, void *ctx)
{
	struct http_server *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->handler = handler;
	s->ctx = ctx;
	pthread_mutex_init(&s->mu, NULL);
	return s;
}

static void server_free(struct http_server *s)
{
	pthread_mutex_destroy(&s->mu);
	free(s->held);
	free(s);
}

/* MHD on the listening socket fd (its own from then on, also when this fails). */
static int server_run(struct http_server *s, int fd, unsigned threads, unsigned conn_max,
		      unsigned timeout)
{
	s->mhd = MHD_start_daemon(MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG |
				  MHD_ALLOW_SUSPEND_RESUME, 0, NULL, NULL, on_request, s,
				  MHD_OPTION_LISTEN_SOCKET, fd,
				  MHD_OPTION_THREAD_POOL_SIZE, threads,
				  MHD_OPTION_CONNECTION_LIMIT, conn_max,
				  MHD_OPTION_CONNECTION_TIMEOUT, timeout,
				  MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
				  MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
				  MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
				  MHD_OPTION_END);
	if (!s->mhd) {
		close(fd);
		return -EIO;
	}
	return 0;
}

int http_server_start(const char *socket_path, http_handler handler, void *ctx,
		      struct http_server **out)
{
	struct http_server *s = server_new(handler, ctx);
	int fd, ret;

	if (!s)
		return -ENOMEM;
	s->calm = HTTP_CONN_CALM;
	s->body_max = HTTP_BODY_MAX;
	snprintf(s->path, sizeof(s->path), "%s", socket_path);
	fd = listen_unix(socket_path, &s->dev, &s->ino);
	if (fd < 0) {
		server_free(s);
		return fd;
	}
	ret = server_run(s, fd, HTTP_THREADS, HTTP_CONN_MAX, 0);
	if (ret < 0) {
		unlink(socket_path);
		server_free(s);
		return ret;
	}
	*out = s;
	return 0;
}

int http_addr_parse(const char *text, struct sockaddr_storage *out, socklen_t *len)
{
	struct sockaddr_in *in = (struct sockaddr_in *)out;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)out;
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon = strrchr(text, ':');
	size_t hl = colon ? (size_t)(colon - text) : 0;
	unsigned long port;
	char *end;

	if (!colon || hl == 0 || hl >= sizeof(host) || colon[1] < '0' || colon[1] > '9')
		return -EINVAL;
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (errno || *end || port < 1 || port > 65535)
		return -EINVAL;
	memcpy(host, text, hl);
	host[hl] = 0;
	memset(out, 0, sizeof(*out));
	if (host[0] == '[' && host[hl - 1] == ']') {
		host[hl - 1] = 0;
		if (inet_pton(AF_INET6, host + 1, &in6->sin6_addr) != 1)
			return -EINVAL;
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*in6);
		return 0;
	}
	if (inet_pton(AF_INET, host, &in->sin_addr) != 1)
		return -EINVAL;
	in->sin_family = AF_INET;
	in->sin_port = htons((uint16_t)port);
	*len = sizeof(*in);
	return 0;
}

static int listen_tcp(const char *addr)
{
	struct sockaddr_storage sa;
	socklen_t len;
	int fd, one = 1, ret;

	ret = http_addr_parse(addr, &sa, &len);
	if (ret < 0)
		return ret;
	fd = socket(sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* an address that comes up after wgnetd (a boot) still binds */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, len) < 0 || listen(fd, 16) < 0) {
		ret = -errno;
		close(fd);
		return ret;
	}
	return fd;
}

int http_server_start_tcp(const char *addr, http_handler handler, void *ctx,
			  struct http_server **out)
{
	struct http_server *s = server_new(handler, ctx);
	int fd, ret;

	if (!s)
		return -ENOMEM;
	fd = listen_tcp(addr);
	if (fd < 0) {
		server_free(s);
		return fd;
	}
	ret = server_run(s, fd, 2, HTTP_TCP_CONN_MAX, HTTP_IDLE_TIMEOUT);
	if (ret < 0) {
		server_free(s);
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
	/* MHD must hold no suspended connection when it stops: those put off are closed */
	pthread_mutex_lock(&s->mu);
	s->stopping = true;
	pthread_mutex_unlock(&s->mu);
	http_server_wake(s);
	MHD_stop_daemon(s->mhd);	/* closes the listening socket too */
	if (s->path[0] && stat(s->path, &st) == 0 && st.st_dev == s->dev && st.st_ino == s->ino)
		unlink(s->path);
	server_free(s);
}
