/* SPDX-License-Identifier: MIT */
#ifndef WGNET_PLUGIN_HTTP_H
#define WGNET_PLUGIN_HTTP_H

#include <stddef.h>

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

/*
 * A small HTTP/1.1 server on one unix socket (libmicrohttpd, a few threads polling every
 * connection). At most HTTP_CONN_MAX connections; keep-alive without idle timeout for the
 * first HTTP_CONN_CALM (dockerd re-sends a request whose connection we dropped with an empty
 * body), HTTP_IDLE_TIMEOUT seconds for those opened beyond (a stuck client). Bodies over
 * HTTP_BODY_MAX get 413 before the handler runs. Or on a TCP address (the metrics): two
 * threads, HTTP_TCP_CONN_MAX connections, each closed after HTTP_IDLE_TIMEOUT seconds idle, and
 * no request body.
 */
#define HTTP_BODY_MAX (1 << 20)
#define HTTP_CONN_MAX 4096
#define HTTP_CONN_CALM 64
#define HTTP_IDLE_TIMEOUT 10
#define HTTP_TCP_CONN_MAX 64

struct http_request {
	const char *method;
	const char *path;
	const char *body;		/* NUL-terminated (the NUL is not counted) */
	size_t body_len;
	uint64_t arrived_us;		/* when it arrived (http_now_us): it may have been put off */
	void *conn;			/* the server's: for http_request_arg */
};

struct http_reply {
	unsigned status;
	char *body;			/* malloc'd, freed by the server; NULL = empty */
	const char *content_type;	/* NULL = application/json */
	bool later;			/* no reply yet: the handler runs again at the next
					 * http_server_wake (a long poll) */
};

/* Called on one of the server's threads; must fill reply (status 0 = 500). */
typedef void (*http_handler)(void *ctx, const struct http_request *req, struct http_reply *reply);

struct http_server;

/*
 * Listen on socket_path (mode 0600, parent directory made 0755 if missing). A stale socket file
 * that nothing answers is replaced; a live one is -EADDRINUSE, any other file there -EEXIST.
 */
int http_server_start(const char *socket_path, http_handler handler, void *ctx,
		      struct http_server **out);
/* "A.B.C.D:PORT" or "[IPv6]:PORT", numeric only: 0, or -EINVAL. */
int http_addr_parse(const char *text, struct sockaddr_storage *out, socklen_t *len);
/* Listen on a TCP address (http_addr_parse's; it may not be configured yet: IP_FREEBIND). */
int http_server_start_tcp(const char *addr, http_handler handler, void *ctx,
			  struct http_server **out);
/* Stops serving and removes the socket file if it is still ours. */
void http_server_stop(struct http_server *s);
/* Every request that was put off (reply.later) is handled again, from any thread. */
void http_server_wake(struct http_server *s);
/* A monotonic clock in microseconds. */
uint64_t http_now_us(void);
/* The value of query argument key ("?since=3"), NULL when absent. */
const char *http_request_arg(const struct http_request *req, const char *key);

/* JSON body {"Err": msg} for any error reply; NULL on ENOMEM. */
char *http_error_body(const char *msg);

#endif
