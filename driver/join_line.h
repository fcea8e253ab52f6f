/* SPDX-License-Identifier: MIT */
#ifndef WGNET_DRIVER_JOIN_LINE_H
#define WGNET_DRIVER_JOIN_LINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "driver/errbuf.h"
#include "driver/keys.h"
#include "driver/state.h"

/*
 * What one host tells the others, on one line:
 *   wgnet-join v1 index=2 key=<base64 public key> endpoint=198.51.100.7:51820 name=host2
 * endpoint= is absent for a host behind NAT. Unknown key=value fields are ignored, so later
 * versions may add some; a repeated field is an error.
 */
#define JOIN_LINE_MAGIC "wgnet-join v1"
#define JOIN_LINE_MAX 512
#define JOIN_LINE_NAME_MAX 63

struct join_line {
	unsigned index;
	uint8_t key[KEYS_LEN];
	char endpoint[STATE_HOST_ENDPOINT_MAX];	/* "" = none */
	char name[JOIN_LINE_NAME_MAX + 1];
};

int join_line_parse(const char *s, struct join_line *out, struct errbuf *e);
void join_line_format(const struct join_line *j, char out[JOIN_LINE_MAX]);

/* [A-Za-z0-9._-], 1..63 characters */
bool join_line_name_valid(const char *s);
/* "host:port" or "[v6]:port", port 1..65535; -EINVAL worded. */
int join_line_endpoint_check(const char *s, struct errbuf *e);
/* A copy of s for display, each byte outside 0x21..0x7e replaced by '?': what an older
 * wgnet saved may hold a tab, and must not break `wgnet status`. */
void join_line_text_clean(char *out, size_t size, const char *s);

#endif
