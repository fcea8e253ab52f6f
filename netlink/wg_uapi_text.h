/* SPDX-License-Identifier: MIT */
#ifndef WGNET_NETLINK_WG_UAPI_TEXT_H
#define WGNET_NETLINK_WG_UAPI_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "netlink/wg.h"

/*
 * Private to netlink/: what wg_uapi.c writes to wireguard-go's socket and reads from it, as
 * text and nothing else (no I/O): keys as 64 hex digits, endpoints as "a.b.c.d:port" or
 * "[v6%scope]:port", allowed IPs as "a.b.c.d/len".
 */

/* Room for wg_uapi_text_format_device's request, whatever the device. */
#define WG_UAPI_TEXT_DEVICE_MAX 128

/*
 * "set=1", the private key (if any) and the listen port (if not 0), then the blank line, into
 * buf: its length, or -EMSGSIZE. buf holds the private key: the caller wipes it.
 */
int wg_uapi_text_format_device(char *buf, size_t size, const struct wg_device *dev);

/*
 * "set=1", each peer's lines, then the blank line, into *out (malloc'd, the caller frees it; no
 * secret in it) and its length into *len. A peer without endpoint keeps the one it has. 0,
 * -ENOMEM, or -EAFNOSUPPORT for an endpoint that is neither IPv4 nor IPv6.
 */
int wg_uapi_text_format_peers(const struct wg_peer *peers, size_t n, char **out, size_t *len);

/* A get reply being read, line by line. Start zeroed; on success take dev, on failure pass dev to
 * wg_device_release(). */
struct wg_uapi_text_get {
	struct wg_device dev;
	size_t peers_cap;
	size_t ips_cap;			/* of the last peer's allowed_ips */
};

/*
 * One key=value line of a get reply (those before errno=); data is a struct wg_uapi_text_get.
 * -EBADMSG for a bad value or a peer's line before any public_key=, -ENOMEM. Keys we do not use
 * (fwmark, protocol_version, ...) and IPv6 allowed IPs are skipped.
 */
int wg_uapi_text_parse_line(void *data, const char *key, const char *value);

/* Decimal digits only (no sign, no space), at most max: 0 or -EBADMSG. */
int wg_uapi_text_parse_u64(const char *s, uint64_t max, uint64_t *out);

#endif
