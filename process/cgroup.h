/* SPDX-License-Identifier: MIT */
#ifndef WGNET_PROCESS_CGROUP_H
#define WGNET_PROCESS_CGROUP_H

#include <sys/types.h>

/*
 * Moves process pid into the cgroups of process like, in every hierarchy where they differ,
 * through the cgroup file systems mounted under root (v1: one directory per hierarchy, named
 * after its controllers or name=; v2: root itself, or root/unified in hybrid mode). Returns the
 * number of hierarchies changed, or -errno of the first move that failed.
 */
int cgroup_move_like(pid_t pid, pid_t like, const char *root);

#endif
