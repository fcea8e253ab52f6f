/* SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "driver/instance.h"
#include "driver/log.h"
#include "driver/persist.h"

/* The state directory and its parents; it holds the private key: 0700. */
static int mkdir_p(const char *dir)
{
	char path[PATH_MAX];
	size_t n = strlen(dir);

	if (n == 0 || n >= sizeof(path))
		return -ENAMETOOLONG;
	memcpy(path, dir, n + 1);
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/* "<name>.XXXXXX" of an atomic write (file_write_atomic) that a kill -9 interrupted before its
 * rename. */
static void temp_files_remove(const char *dir, const char *const *names, size_t nnames)
{
	struct dirent *de;
	DIR *dp = opendir(dir);

	if (!dp)
		return;
	while ((de = readdir(dp))) {
		for (size_t i = 0; i < nnames; i++) {
			size_t n = strlen(names[i]);

			if (strncmp(de->d_name, names[i], n) != 0 || de->d_name[n] != '.' ||
			    strlen(de->d_name + n + 1) != 6)
				continue;
			if (unlinkat(dirfd(dp), de->d_name, 0) == 0)
				log_info("removed %s/%s, left by an interrupted save", dir, de->d_name);
		}
	}
	closedir(dp);
}

int persist_dir_prepare(const char *dir, const char *const *names, size_t nnames,
			struct errbuf *e)
{
	int ret = mkdir_p(dir);

	if (ret < 0)
		return errbuf_set(e, ret, "could not create the state directory %s: %s", dir,
				  strerror(-ret));
	temp_files_remove(dir, names, nnames);
	return 0;
}

static int save_state(struct driver *d, const struct state *st, struct errbuf *e)
{
	struct errbuf se = { 0 };
	int ret;

	ret = state_save(d->state_path, st, &se);
	/* The JSON tree of a big state is megabytes of short-lived blocks between the long-lived
	 * ones: hand the freed pages back instead of keeping them resident. */
	malloc_trim(0);
	if (ret > 0) {
		/* renamed into place: it is what the next start reads, so it counts as saved */
		log_warn("state saved to %s, but %s, ignoring", d->state_path, se.msg);
		return 0;
	}
	if (ret < 0)
		return errbuf_set(e, ret, "could not save the state to %s: %s", d->state_path,
				  se.msg);
	return 0;
}

int persist_save(struct driver *d, struct errbuf *e)
{
	return save_state(d, &d->st, e);
}

int persist_commit(struct driver *d, struct state *next, struct errbuf *e)
{
	int ret = save_state(d, next, e);

	if (ret < 0) {
		state_release(next);
		return ret;
	}
	state_release(&d->st);
	d->st = *next;
	*next = (struct state){ 0 };
	return 0;
}
