/* SPDX-License-Identifier: MIT */
#ifndef WGNET_DRIVER_STATE_CODEC_H
#define WGNET_DRIVER_STATE_CODEC_H

#include <stdint.h>

#include "driver/errbuf.h"
#include "driver/state.h"

/* Private to the state's files (state.c, state_parse.c, state_dump.c). */

/* Where a parse error is reported: "state" or the file's path, then the field. */
struct parse_ctx {
	const char *src;
	struct errbuf *e;
};

/* -EINVAL, e worded "<src>: <where>.<key>: <why>". */
int state_bad(const struct parse_ctx *c, const char *where, const char *key, const char *fmt,
	      ...) __attribute__((format(printf, 4, 5)));
/*
 * What ties the objects of a state together, checked by the loader after it parsed them and by
 * state_save before it writes: a state that would not load is never written. No two pools of
 * one network, every endpoint in its network's slice and no two with one ID, no two peers with
 * one index (their slices would be one), key or name, and none with this host's index or key.
 */
int state_check(const struct parse_ctx *c, const struct state *s);
/* "tcp", "udp", "sctp" <-> 6, 17, 132 (NULL / -EINVAL for others) */
const char *state_proto_name(uint8_t proto);
int state_proto_parse(const char *s, uint8_t *out);
/* qsort order of struct state_port: protocol, then port */
int state_port_cmp(const void *a, const void *b);

#endif
