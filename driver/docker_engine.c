/* SPDX-License-Identifier: MIT */
/* The Docker Engine API over its unix socket: see docker_engine.h. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "driver/docker_engine.h"

#define LINE_MAX_BYTES (1 << 20)	/* one event; Docker's are a few hundred bytes */

struct buf {
	char *p;
	size_t len;
	size_t max;
};

static bool buf_append(struct buf *b, const char *data, size_t n)
{
	char *p;

	if (b->len + n > b->max)
		return false;
	p = realloc(b->p, b->len + n + 1);
	if (!p)
		return false;
	memcpy(p + b->len, data, n);
	b->p = p;
	b->len += n;
	b->p[b->len] = 0;
	return true;
}

static size_t body_write(char *ptr, size_t size, size_t nmemb, void *arg)
{
	return buf_append(arg, ptr, size * nmemb) ? size * nmemb : 0;
}

void docker_engine_init(struct docker_engine *c, const char *socket)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->socket, sizeof(c->socket), "%s", socket);
}

void docker_engine_release(struct docker_engine *c)
{
	if (c->curl)
		curl_easy_cleanup(c->curl);
	c->curl = NULL;
}

/* A handle for path on the socket ("http://docker" is a placeholder host); NULL: no memory. */
static CURL *handle(CURL *h, const struct docker_engine *c, const char *path, char *detail)
{
	char url[512];

	if (!h)
		return NULL;
	snprintf(url, sizeof(url), "http://docker%s", path);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, c->socket);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 2000L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http");
	curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, detail);
	return h;
}

static int no_answer(const struct docker_engine *c, CURLcode res, const char *detail,
		     struct errbuf *e)
{
	return errbuf_set(e, -ENOTCONN, "Docker does not answer on %s: %s", c->socket,
			  detail[0] ? detail : curl_easy_strerror(res));
}

/* GET the full path (with or without the version) */
static int get(struct docker_engine *c, const char *path, char **body, size_t *len, long *status,
	       struct errbuf *e)
{
	char detail[CURL_ERROR_SIZE] = "";
	struct buf b = { .max = DOCKER_BODY_MAX };
	CURLcode res;
	CURL *h;

	if (!c->curl)
		c->curl = curl_easy_init();
	else
		curl_easy_reset(c->curl);
	h = handle(c->curl, c, path, detail);
	if (!h)
		return errbuf_set(e, -ENOMEM, "out of memory");
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)DOCKER_TIMEOUT_MS);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, body_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
	res = curl_easy_perform(h);
	*status = 0;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, NULL);	/* the kept handle outlives detail */
	if (res != CURLE_OK) {
		free(b.p);
		if (res == CURLE_WRITE_ERROR)
			return errbuf_set(e, -EMSGSIZE, "Docker's answer to %s is over %d bytes",
					  path, DOCKER_BODY_MAX);
		return no_answer(c, res, detail, e);
	}
	if (!b.p && !buf_append(&b, "", 0)) {
		free(b.p);
		return errbuf_set(e, -ENOMEM, "out of memory");
	}
	*body = b.p;
	*len = b.len;
	return 0;
}

int docker_engine_connect(struct docker_engine *c, struct errbuf *e)
{
	char *body = NULL;
	size_t len = 0;
	long status = 0;
	int ret;

	c->api[0] = 0;
	ret = get(c, "/version", &body, &len, &status, e);
	if (ret == 0 && status != 200)
		ret = errbuf_set(e, -EPROTO, "Docker on %s answers HTTP %ld to /version",
				 c->socket, status);
	if (ret == 0)
		ret = docker_version_parse(body, len, &c->server, e);
	if (ret == 0)
		ret = docker_api_pick(&c->server, c->api, e);
	free(body);
	return ret;
}

int docker_engine_get(struct docker_engine *c, const char *path, char **body, size_t *len,
		      long *status, struct errbuf *e)
{
	char full[512];

	if ((size_t)snprintf(full, sizeof(full), "/v%s%s", c->api, path) >= sizeof(full))
		return errbuf_set(e, -ENAMETOOLONG, "Docker request path too long");
	return get(c, full, body, len, status, e);
}

struct stream {
	struct buf in;			/* bytes received, up to the last whole line and beyond */
	bool over;			/* a line over LINE_MAX_BYTES */
};

/* Only buffers: the lines are handed out after curl_multi_perform returns, never from inside
 * libcurl's callback (the caller's callback makes requests of its own). */
static size_t stream_write(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct stream *s = arg;
	size_t n = size * nmemb;

	if (!buf_append(&s->in, ptr, n)) {
		s->over = true;
		return 0;
	}
	return n;
}

/* The whole lines received so far, each to cb; what follows the last one stays. */
static int stream_lines(struct stream *s, docker_line_cb cb, void *arg)
{
	size_t off = 0;
	int ret = 0;
	char *nl;

	while (ret >= 0 && s->in.p && (nl = memchr(s->in.p + off, '\n', s->in.len - off))) {
		size_t end = (size_t)(nl - s->in.p);

		*nl = 0;
		if (end > off)
			ret = cb(arg, s->in.p + off, end - off);
		off = end + 1;
	}
	if (off) {
		memmove(s->in.p, s->in.p + off, s->in.len - off + 1);
		s->in.len -= off;
	}
	return ret;
}

int docker_engine_stream(struct docker_engine *c, const char *path, docker_line_cb cb, void *arg,
			 const atomic_bool *stop, struct errbuf *e)
{
	struct stream s = { .in = { .max = LINE_MAX_BYTES } };
	char detail[CURL_ERROR_SIZE] = "", full[1024];
	CURLcode res = CURLE_OK;
	CURLM *multi = NULL;
	long status = 0;
	int running = 1, ret = 0;
	CURLMsg *msg;
	CURL *h;

	if ((size_t)snprintf(full, sizeof(full), "/v%s%s", c->api, path) >= sizeof(full))
		return errbuf_set(e, -ENAMETOOLONG, "Docker request path too long");
	/* its own handle: the stream holds its connection as long as it lasts */
	h = handle(curl_easy_init(), c, full, detail);
	multi = h ? curl_multi_init() : NULL;
	if (!multi || curl_multi_add_handle(multi, h) != CURLM_OK) {
		ret = errbuf_set(e, -ENOMEM, "out of memory");
		goto out;
	}
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, stream_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &s);
	while (running && ret == 0 && !atomic_load(stop)) {
		if (curl_multi_perform(multi, &running) != CURLM_OK)
			break;
		ret = stream_lines(&s, cb, arg);
		if (running && ret == 0)
			curl_multi_poll(multi, NULL, 0, 200, NULL);
	}
	while ((msg = curl_multi_info_read(multi, &running)))
		if (msg->msg == CURLMSG_DONE)
			res = msg->data.result;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	if (ret < 0 || atomic_load(stop))
		goto out;
	if (s.over)
		ret = errbuf_set(e, -EMSGSIZE, "Docker's events: a line over %d bytes",
				 LINE_MAX_BYTES);
	else if (res == CURLE_OK && status != 200)
		ret = errbuf_set(e, -EPROTO, "Docker on %s answers HTTP %ld to %.100s", c->socket,
				 status, path);
	else if (res == CURLE_OK)
		ret = errbuf_set(e, -ENOTCONN, "Docker ended its events stream");
	else
		ret = no_answer(c, res, detail, e);
out:
	if (multi) {
		curl_multi_remove_handle(multi, h);
		curl_multi_cleanup(multi);
	}
	if (h)
		curl_easy_cleanup(h);
	free(s.in.p);
	return ret;
}
