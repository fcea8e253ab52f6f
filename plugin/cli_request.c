/* SPDX-License-Identifier: MIT */
/* The HTTP client: one request to the control API over its unix socket, with libcurl. */
#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin/cli.h"

#define CLI_REPLY_MAX (4 * 1024 * 1024)
#define CLI_CONNECT_TIMEOUT_MS 5000L
#define CLI_TOTAL_TIMEOUT_MS 30000L

struct cli_reply {
	char *data;
	size_t len;
	size_t cap;
	bool too_big;
};

static size_t cli_reply_write(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct cli_reply *r = userdata;
	size_t n = size * nmemb;	/* size is 1 for libcurl */

	if (n > CLI_REPLY_MAX - r->len) {
		r->too_big = true;
		return 0;
	}
	if (r->len + n + 1 > r->cap) {
		size_t cap = r->cap ? r->cap : 4096;
		char *data;

		while (cap < r->len + n + 1)
			cap *= 2;
		data = realloc(r->data, cap);
		if (!data)
			return 0;	/* libcurl reports a write error */
		r->data = data;
		r->cap = cap;
	}
	memcpy(r->data + r->len, ptr, n);
	r->len += n;
	r->data[r->len] = '\0';
	return n;
}

static bool quiet;

void cli_request_quiet(bool on)
{
	quiet = on;
}

static void cli_unreachable(const struct cli_socket *sock, CURL *c, CURLcode res,
			    const char *errbuf)
{
	const char *reason = errbuf[0] ? errbuf : curl_easy_strerror(res);
	long os_errno = 0;

	if (quiet)
		return;
	/* "Connection refused" or "No such file" tell more than curl's "port 80" text */
	if (res == CURLE_COULDNT_CONNECT &&
	    curl_easy_getinfo(c, CURLINFO_OS_ERRNO, &os_errno) == CURLE_OK && os_errno > 0)
		reason = strerror((int)os_errno);
	fputs("wgnet: cannot reach wgnetd at ", stderr);
	cli_print_clean(stderr, sock->path);
	fputs(": ", stderr);
	cli_print_clean(stderr, reason);
	fputs(" (is wgnetd running?)\n", stderr);
}

/*
 * One request to the control API. On success *out is the reply's JSON object (the caller
 * frees it). Every failure is printed here, once: an unreachable daemon (-ENOTCONN), an
 * {"Err": ...} from it (-EIO), or a reply that is not what the API promises.
 */
int cli_request(const struct cli_socket *sock, const char *path, const char *body,
		json_t **out)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	struct cli_reply reply = { 0 };
	struct curl_slist *headers = NULL;
	json_t *root = NULL, *err;
	json_error_t jerr;
	char url[256];
	long status = 0;
	CURLcode res;
	CURL *c;
	int ret = -EIO;

	snprintf(url, sizeof(url), "http://localhost%s", path);
	c = curl_easy_init();
	if (!c) {
		cli_fail("cannot start libcurl", NULL);
		return -ENOMEM;
	}
	if (body) {
		headers = curl_slist_append(NULL, "Content-Type: application/json");
		if (!headers) {
			cli_fail("out of memory", NULL);
			ret = -ENOMEM;
			goto out;
		}
	}
	if (curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, sock->path) ||
	    curl_easy_setopt(c, CURLOPT_URL, url) ||
#if LIBCURL_VERSION_NUM >= 0x075500
	    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http") ||
#endif
	    curl_easy_setopt(c, CURLOPT_PROXY, "") ||	/* never an $http_proxy */
	    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) ||
	    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, CLI_CONNECT_TIMEOUT_MS) ||
	    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, CLI_TOTAL_TIMEOUT_MS) ||
	    curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)CLI_REPLY_MAX) ||
	    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf) ||
	    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, cli_reply_write) ||
	    curl_easy_setopt(c, CURLOPT_WRITEDATA, &reply) ||
	    (body && (curl_easy_setopt(c, CURLOPT_POSTFIELDS, body) ||
		      curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body)) ||
		      curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers)))) {
		cli_fail("libcurl lacks an option wgnet needs (unix sockets?)", NULL);
		goto out;
	}

	res = curl_easy_perform(c);
	if (reply.too_big || res == CURLE_FILESIZE_EXCEEDED) {
		fprintf(stderr, "wgnet: reply from wgnetd over %d bytes\n", CLI_REPLY_MAX);
		ret = -EMSGSIZE;
		goto out;
	}
	if (res != CURLE_OK) {
		cli_unreachable(sock, c, res, errbuf);
		ret = -ENOTCONN;
		goto out;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);

	ret = -EBADMSG;
	root = json_loadb(reply.data ? reply.data : "", reply.len, JSON_REJECT_DUPLICATES, &jerr);
	if (status != 200) {
		err = root ? json_object_get(root, "Err") : NULL;
		if (json_is_string(err) && json_string_length(err) > 0) {
			cli_fail(json_string_value(err), NULL);
			ret = -EIO;
		} else {
			fprintf(stderr, "wgnet: wgnetd answered HTTP %ld without an error text\n",
				status);
		}
		goto out;
	}
	if (!root) {
		fprintf(stderr, "wgnet: malformed reply from wgnetd: bad JSON at byte %d: ",
			jerr.position);
		cli_print_clean(stderr, jerr.text);
		fputc('\n', stderr);
		goto out;
	}
	if (!json_is_object(root)) {
		cli_fail("malformed reply from wgnetd: not a JSON object", NULL);
		goto out;
	}
	*out = root;
	root = NULL;
	ret = 0;
out:
	json_decref(root);
	curl_slist_free_all(headers);
	curl_easy_cleanup(c);
	free(reply.data);
	return ret;
}

int cli_json_set_new(json_t *req, const char *key, json_t *value)
{
	if (json_object_set_new(req, key, value) < 0) {
		cli_fail("out of memory", NULL);
		return CLI_EXIT_FAIL;
	}
	return CLI_EXIT_OK;
}

/* POSTs req (which it keeps) to path; on success *out is the reply. */
int cli_post(const struct cli_socket *sock, const char *path, const json_t *req,
	     json_t **out)
{
	char *body = json_dumps(req, JSON_COMPACT);
	int ret;

	if (!body) {
		cli_fail("out of memory", NULL);
		return -ENOMEM;
	}
	ret = cli_request(sock, path, body, out);
	free(body);
	return ret;
}

/* Builds a command's request from its arguments and posts it to path. CLI_EXIT_OK with *root
 * set: the reply to print; CLI_EXIT_OK with *root NULL: --help was printed; else an exit code. */
int cli_post_cmd(int argc, char **argv, int i, struct cli_socket *sock,
		 int (*args)(int, char **, int, struct cli_socket *, json_t *, bool *),
		 const char *path, json_t **root)
{
	json_t *req = json_object();
	bool help = false;
	int ret;

	*root = NULL;
	if (!req) {
		cli_fail("out of memory", NULL);
		return CLI_EXIT_FAIL;
	}
	ret = args(argc, argv, i, sock, req, &help);
	if (ret == CLI_EXIT_OK && help)
		ret = CLI_EXIT_HELP;
	else if (ret == CLI_EXIT_OK && cli_post(sock, path, req, root) < 0)
		ret = CLI_EXIT_FAIL;
	json_decref(req);
	return ret;
}
