/* SPDX-License-Identifier: MIT */
#ifndef WGNET_DRIVER_RESOLVE_H
#define WGNET_DRIVER_RESOLVE_H

#include <stdbool.h>
#include <sys/socket.h>

struct driver;

/*
 * Peer endpoints (driver/resolve.c), lock held. "a.b.c.d:port" and "[v6]:port" are parsed at
 * once; a name is looked up by a thread, which calls answered (lock held) when it has an
 * answer. 0 and *out set, -EAGAIN while the name is being resolved, -EHOSTUNREACH if it did
 * not resolve (tried again every RESOLVE_RETRY seconds).
 */
int resolve_endpoint(struct driver *d, const char *endpoint, struct sockaddr_storage *out);
void resolve_init(struct driver *d);
void resolve_start(struct driver *d, void (*answered)(struct driver *d, const char *name));
/* false if the thread is still in a lookup: it is left to end on its own (it touches nothing
 * but the lock and d->stopping then), so d must not be freed. */
bool resolve_stop(struct driver *d);
void resolve_fini(struct driver *d);

#endif
