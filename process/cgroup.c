/* SPDX-License-Identifier: MIT */
/*
 * A managed plugin's processes live in the plugin's cgroup, and when dockerd stops the plugin,
 * runc kills every process of that cgroup (the plugin has no PID namespace of its own). A
 * wireguard-go started by wgnetd must outlive it, as under systemd's KillMode=process: it is
 * moved to the cgroups of wgnetd's parent (containerd's shim, outside the plugin's cgroup).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "process/cgroup.h"

/* cgroup_of: the path of pid in hierarchy id, from /proc/PID/cgroup ("id:controllers:path") */
static int cgroup_of(pid_t pid, const char *id, char *path, size_t size)
{
	char file[64], line[PATH_MAX + 64];
	size_t idlen = strlen(id);
	int ret = -ENOENT;
	FILE *f;

	snprintf(file, sizeof(file), "/proc/%d/cgroup", (int)pid);
	f = fopen(file, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char *p = strchr(line, ':');

		if (!p || (size_t)(p - line) != idlen || strncmp(line, id, idlen) != 0)
			continue;
		p = strchr(p + 1, ':');
		if (!p)
			continue;
		p[strcspn(p, "\n")] = '\0';
		if (snprintf(path, size, "%s", p + 1) >= (int)size)
			ret = -ENAMETOOLONG;
		else
			ret = 0;
		break;
	}
	fclose(f);
	return ret;
}

/* hierarchy_dir: where the hierarchy of this controller list is mounted under root */
static int hierarchy_dir(const char *root, const char *ctrls, char *dir, size_t size)
{
	char probe[PATH_MAX];
	size_t n;

	if (!*ctrls) {		/* v2: root itself (pure v2) or root/unified (hybrid) */
		snprintf(probe, sizeof(probe), "%s/cgroup.procs", root);
		n = (size_t)snprintf(dir, size, access(probe, F_OK) == 0 ? "%s" : "%s/unified", root);
	} else if (strncmp(ctrls, "name=", 5) == 0) {
		n = (size_t)snprintf(dir, size, "%s/%s", root, ctrls + 5);
	} else {		/* "cpu,cpuacct" is mounted as that, or as its first controller */
		n = (size_t)snprintf(dir, size, "%s/%s", root, ctrls);
		if (n < size && access(dir, F_OK) != 0)
			n = (size_t)snprintf(dir, size, "%s/%.*s", root, (int)strcspn(ctrls, ","),
					     ctrls);
	}
	return n < size ? 0 : -ENAMETOOLONG;
}

static int write_pid(const char *dir, const char *path, pid_t pid)
{
	char file[PATH_MAX * 2 + 32], buf[32];
	int fd, len, ret = 0;

	/* the kernel's own path of our parent's cgroup: never a link to follow */
	snprintf(file, sizeof(file), "%s%s/cgroup.procs", dir, path);
	fd = open(file, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	len = snprintf(buf, sizeof(buf), "%d\n", (int)pid);
	if (write(fd, buf, (size_t)len) != len)
		ret = -errno;
	close(fd);
	return ret;
}

int cgroup_move_like(pid_t pid, pid_t like, const char *root)
{
	char file[64], line[PATH_MAX + 64], dir[PATH_MAX], mine[PATH_MAX];
	int ret = 0, moved = 0;
	FILE *f;

	snprintf(file, sizeof(file), "/proc/%d/cgroup", (int)like);
	f = fopen(file, "re");
	if (!f)
		return -errno;
	while (ret == 0 && fgets(line, sizeof(line), f)) {
		char *ctrls = strchr(line, ':'), *path;

		if (!ctrls)
			continue;
		*ctrls++ = '\0';
		path = strchr(ctrls, ':');
		if (!path)
			continue;
		*path++ = '\0';
		path[strcspn(path, "\n")] = '\0';
		if (cgroup_of(pid, line, mine, sizeof(mine)) == 0 && strcmp(mine, path) == 0)
			continue;
		ret = hierarchy_dir(root, ctrls, dir, sizeof(dir));
		if (ret == 0)
			ret = write_pid(dir, path, pid);
		if (ret == 0)
			moved++;
	}
	fclose(f);
	return ret < 0 ? ret : moved;
}
