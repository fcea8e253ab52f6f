/* SPDX-License-Identifier: MIT */
#ifndef WGNET_NETLINK_WG_H
#define WGNET_NETLINK_WG_H

#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/*
 * One WireGuard interface, two backends picked at runtime: the kernel's `wireguard` generic
 * netlink family (wg_genl.c) or a userspace implementation's UAPI socket (wg_uapi.c). The
 * driver never asks which one it has. Keys are raw 32-byte arrays; never logged.
 */
#define WG_KEY_LEN 32
#define WG_DEFAULT_PORT 51820
#define WG_UAPI_DIR "/var/run/wireguard"

struct wg_allowed_ip {
	uint32_t addr;			/* IPv4, host byte order */
	uint8_t len;
};

struct wg_peer {
	uint8_t public_key[WG_KEY_LEN];
	struct sockaddr_storage endpoint;	/* ss_family AF_UNSPEC = none / keep the current one */
	uint16_t keepalive;		/* persistent keepalive in seconds, 0 = off */
	bool remove;			/* set: remove this peer (nothing else is read) */
	bool replace_allowed_ips;	/* set: allowed_ips replace the peer's list */
	struct wg_allowed_ip *allowed_ips;
	size_t nallowed_ips;
	/* read back by get_device only */
	int64_t last_handshake_sec;	/* 0 = never */
	uint64_t rx_bytes;
	uint64_t tx_bytes;
};

struct wg_device {
	char ifname[IFNAMSIZ];
	bool has_private_key;
	uint8_t private_key[WG_KEY_LEN];	/* wiped by wg_device_release */
	uint8_t public_key[WG_KEY_LEN];	/* read back only */
	uint16_t listen_port;		/* 0 = leave as is (set) */
	struct wg_peer *peers;		/* read back by get_device; malloc'd */
	size_t npeers;
};

struct wg_backend {
	const char *name;		/* "kernel" or "userspace" */
	/*
	 * Private key and listen port; peers are untouched. On a device that is up, a port in
	 * use fails with -EADDRINUSE (the userspace backend first waits up to 1 s for
	 * wireguard-go to have bound its socket: before that it would only store the port).
	 */
	int (*set_device)(const struct wg_backend *b, const struct wg_device *dev);
	/*
	 * Adds, updates or removes the given peers (in as many messages as needed); peers not
	 * named are untouched. A peer without endpoint keeps the one it has (a roaming peer's).
	 */
	int (*set_peers)(const struct wg_backend *b, const char *ifname,
			 const struct wg_peer *peers, size_t n);
	/* Everything: keys, port, peers with endpoints, handshakes and counters. */
	int (*get_device)(const struct wg_backend *b, const char *ifname, struct wg_device *out);
	char uapi_dir[108];		/* userspace only: where <ifname>.sock lives */
};

extern const struct wg_backend wg_backend_kernel;	/* wg_genl.c */
/* wg_uapi.c: a backend for the sockets in dir (NULL = WG_UAPI_DIR). */
void wg_backend_userspace(struct wg_backend *out, const char *dir);

/* wg_genl.c: 0 if the kernel has the wireguard family, -EPROTONOSUPPORT if not. */
int wg_genl_available(void);

/* What both backends refuse before sending anything, so that all or none of a set_peers
 * call is sent: -EAFNOSUPPORT for an endpoint that is neither IPv4 nor IPv6, -EINVAL for a
 * prefix over 32 or a count without an array. */
int wg_peer_check(const struct wg_peer *p);
int wg_peers_check(const struct wg_peer *peers, size_t n);

/* Frees peers' allowed IPs and the peer array, wipes the private key. */
void wg_device_release(struct wg_device *dev);

#endif
