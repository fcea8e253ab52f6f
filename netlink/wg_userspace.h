/* SPDX-License-Identifier: MIT */
#ifndef WGNET_NETLINK_WG_USERSPACE_H
#define WGNET_NETLINK_WG_USERSPACE_H

#include <sys/types.h>

/*
 * A userspace WireGuard (wireguard-go) for when the kernel has none, found through its UAPI
 * socket <dir>/<ifname>.sock. wireguard-go itself always listens in WG_UAPI_DIR; dir only says
 * where to look (NULL = WG_UAPI_DIR).
 */

/*
 * 1 if the socket answers get=1; 0 if there is no socket or nobody listens on it (such a stale
 * socket file is removed); -errno otherwise (-ETIMEDOUT: someone listens but does not answer).
 */
int wg_userspace_probe(const char *dir, const char *ifname);
/* The same with a timeout of its own for the answer; *pid is the process listening on the
 * socket (0 if none), so that one that does not answer (-ETIMEDOUT) can be replaced. */
int wg_userspace_check(const char *dir, const char *ifname, unsigned timeout_ms, pid_t *pid);

/*
 * Starts `program -f ifname` (program NULL = "wireguard-go", looked up in PATH) with
 * WG_PROCESS_FOREGROUND=1, detached from us: a process group of its own (in our session, see
 * wg_userspace.c), not our child (double fork), stdio on /dev/null, no blocked signals, so it
 * outlives us. A stale socket is removed first.
 * Waits up to 5 s for its socket in dir to answer. -EEXIST if one already answers there,
 * exec's error (-ENOENT, -EACCES) if program cannot be run, -ESRCH if it exited before its
 * socket answered, -ETIMEDOUT if it did not answer in time (it is killed then). *pid is its
 * process id; it goes away with SIGTERM or SIGKILL, taking its TUN device and socket along.
 */
int wg_userspace_start(const char *program, const char *dir, const char *ifname, pid_t *pid);

#endif
