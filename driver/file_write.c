/* SPDX-License-Identifier: MIT */
/* Atomic replacement of a file of the state directory: see file_write.h. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "driver/file_write.h"

static int write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t r = write(fd, p, len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		p += r;
		len -= (size_t)r;
	}
	return 0;
}

/* The rename is durable only once the directory holding the entry is synced. */
static int fsync_dir_of(const char *path, struct errbuf *e)
{
	const char *slash = strrchr(path, '/');
	char dir[PATH_MAX];
	int fd, ret = 0;

	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else
		snprintf(dir, sizeof(dir), "%.*s", slash == path ? 1 : (int)(slash - path), path);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return errbuf_set(e, -errno, "could not open directory %s: %s", dir,
				  strerror(errno));
	if (fsync(fd) < 0)
		ret = errbuf_set(e, -errno, "could not sync directory %s: %s", dir,
				 strerror(errno));
	close(fd);
	return ret;
}

int file_write_atomic(const char *path, const void *data, size_t len, struct errbuf *e)
{
	char tmp[PATH_MAX];
	int fd, ret;

	if (snprintf(tmp, sizeof(tmp), "%s" FILE_WRITE_TEMP_SUFFIX, path) >= (int)sizeof(tmp))
		return errbuf_set(e, -ENAMETOOLONG, "could not write %s: path too long", path);
	fd = mkostemp(tmp, O_CLOEXEC);		/* O_CREAT | O_EXCL, 0600 */
	if (fd < 0)
		return errbuf_set(e, -errno, "could not create %s: %s", tmp, strerror(errno));
	/* 0600 whatever the umask: the directory holds a private key */
	if (fchmod(fd, 0600) < 0) {
		ret = errbuf_set(e, -errno, "could not chmod %s: %s", tmp, strerror(errno));
		goto fail;
	}
	ret = write_all(fd, data, len);
	if (ret < 0) {
		errbuf_set(e, ret, "could not write %s: %s", tmp, strerror(-ret));
		goto fail;
	}
	if (fsync(fd) < 0) {
		ret = errbuf_set(e, -errno, "could not sync %s: %s", tmp, strerror(errno));
		goto fail;
	}
	ret = close(fd) < 0 ? -errno : 0;
	fd = -1;
	if (ret < 0) {
		errbuf_set(e, ret, "could not close %s: %s", tmp, strerror(-ret));
		goto fail;
	}
	if (rename(tmp, path) < 0) {
		ret = errbuf_set(e, -errno, "could not rename %s to %s: %s", tmp, path,
				 strerror(errno));
		goto fail;
	}
	return fsync_dir_of(path, e) < 0 ? 1 : 0;
fail:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return ret;
}

int file_write_rename(const char *from, const char *to, struct errbuf *e)
{
	if (rename(from, to) < 0)
		return errbuf_set(e, -errno, "could not rename %s to %s: %s", from, to,
				  strerror(errno));
	return fsync_dir_of(to, e) < 0 ? 1 : 0;
}
