/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer: a get reply as wireguard-go writes it (another program: read as hostile), its lines
 * handed to wg_uapi_text_parse_line as wg_uapi.c hands them over. A device that parses formats
 * back into set requests, and those parse to the same private key, port, peers, endpoints,
 * keepalives and allowed IPs.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "netlink/wg.h"
#include "netlink/wg_uapi_text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define LINE_MAX_UAPI 256		/* wg_uapi.c's UAPI_LINE_MAX */

static void check(bool ok)
{
	if (!ok)
		abort();
}

/*
 * text[0..len) up to a blank line or errno= (wg_uapi.c's to read): 0, the parser's error, or -1
 * for what wg_uapi.c refuses before the parser sees it (a long line, a NUL, no '=').
 */
static int feed(const char *text, size_t len, struct wg_uapi_text_get *g)
{
	const char *end = text + len, *nl;
	char line[LINE_MAX_UAPI], *eq;
	size_t n;
	int ret;

	for (; text < end; text = nl ? nl + 1 : end) {
		nl = memchr(text, '\n', (size_t)(end - text));
		n = nl ? (size_t)(nl - text) : (size_t)(end - text);
		if (n == 0)
			return 0;
		if (n >= sizeof(line) || memchr(text, '\0', n))
			return -1;
		memcpy(line, text, n);
		line[n] = '\0';
		eq = strchr(line, '=');
		if (!eq)
			return -1;
		*eq = '\0';
		if (strcmp(line, "errno") == 0)
			return 0;
		ret = wg_uapi_text_parse_line(g, line, eq + 1);
		if (ret < 0)
			return ret;
	}
	return 0;
}

static bool peer_same(const struct wg_peer *a, const struct wg_peer *b)
{
	if (memcmp(a->public_key, b->public_key, WG_KEY_LEN) != 0 ||
	    memcmp(&a->endpoint, &b->endpoint, sizeof(a->endpoint)) != 0 ||
	    a->keepalive != b->keepalive || a->nallowed_ips != b->nallowed_ips)
		return false;
	for (size_t i = 0; i < a->nallowed_ips; i++)
		if (a->allowed_ips[i].addr != b->allowed_ips[i].addr ||
		    a->allowed_ips[i].len != b->allowed_ips[i].len)
			return false;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wg_uapi_text_get got = { 0 }, back = { 0 };
	char dev_req[WG_UAPI_TEXT_DEVICE_MAX];
	char *peers_req = NULL;
	size_t len = 0;
	int n, ret;

	if (feed((const char *)data, size, &got) < 0)
		goto out;
	/* what a reply gives is what set_peers accepts */
	check(wg_peers_check(got.dev.peers, got.dev.npeers) == 0);
	n = wg_uapi_text_format_device(dev_req, sizeof(dev_req), &got.dev);
	check(n > 0 && (size_t)n == strlen(dev_req));
	ret = wg_uapi_text_format_peers(got.dev.peers, got.dev.npeers, &peers_req, &len);
	if (ret == -ENOMEM)
		goto out;
	check(ret == 0 && len == strlen(peers_req));
	check(feed(dev_req, (size_t)n, &back) == 0 && feed(peers_req, len, &back) == 0);
	check(back.dev.has_private_key == got.dev.has_private_key);
	check(!got.dev.has_private_key ||
	      memcmp(back.dev.private_key, got.dev.private_key, WG_KEY_LEN) == 0);
	check(back.dev.listen_port == got.dev.listen_port);
	check(back.dev.npeers == got.dev.npeers);
	for (size_t i = 0; i < got.dev.npeers; i++)
		check(peer_same(&got.dev.peers[i], &back.dev.peers[i]));
out:
	free(peers_req);
	wg_device_release(&got.dev);
	wg_device_release(&back.dev);
	return 0;
}
