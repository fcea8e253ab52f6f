/* SPDX-License-Identifier: MIT */
/* file_write_atomic: the whole file or the old one, mode 0600, no temp file left behind. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "driver/file_write.h"

static int dir_setup(void **ctx)
{
	char *dir = strdup("/tmp/test_file_write.XXXXXX");

	if (!dir || !mkdtemp(dir)) {
		free(dir);
		return -1;
	}
	*ctx = dir;
	return 0;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

/* The directory and whatever a test left in it, also when it failed half-way. */
static int dir_teardown(void **ctx)
{
	nftw(*ctx, rm_entry, 16, FTW_DEPTH | FTW_PHYS);	/* children first */
	free(*ctx);
	return 0;
}

/* The names in dir, sorted and joined with spaces. */
static void dir_list(const char *dir, char *out, size_t size)
{
	char names[16][256];
	struct dirent *de;
	DIR *d = opendir(dir);
	size_t n = 0, off = 0;

	assert_non_null(d);
	while ((de = readdir(d)) && n < 16)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			snprintf(names[n++], sizeof(names[0]), "%s", de->d_name);
	closedir(d);
	qsort(names, n, sizeof(names[0]), (int (*)(const void *, const void *))strcmp);
	out[0] = 0;
	for (size_t i = 0; i < n; i++)
		off += (size_t)snprintf(out + off, size - off, "%s%s", i ? " " : "", names[i]);
}

static void file_is(const char *path, const char *want)
{
	char buf[256] = "";
	FILE *f = fopen(path, "r");
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	assert_string_equal(buf, want);
}

static void test_write_and_replace(void **ctx)
{
	const char *dir = *ctx;
	struct errbuf e = { 0 };
	char path[512], names[512];
	struct stat st1, st2;
	mode_t old_umask;

	snprintf(path, sizeof(path), "%s/state.json", dir);
	assert_int_equal(file_write_atomic(path, "first\n", 6, &e), 0);
	file_is(path, "first\n");
	assert_int_equal(stat(path, &st1), 0);
	assert_int_equal(st1.st_mode & 07777, 0600);

	/* a loose mode and a umask that would take the owner's write bit: 0600 all the same */
	assert_int_equal(chmod(path, 0644), 0);
	old_umask = umask(0277);
	assert_int_equal(file_write_atomic(path, "second", 6, &e), 0);
	umask(old_umask);
	file_is(path, "second");
	assert_int_equal(stat(path, &st2), 0);
	assert_int_equal(st2.st_mode & 07777, 0600);
	assert_true(st1.st_ino != st2.st_ino);	/* renamed over, never rewritten in place */
	dir_list(dir, names, sizeof(names));
	assert_string_equal(names, "state.json");

	/* nothing at all is a file too */
	assert_int_equal(file_write_atomic(path, "", 0, &e), 0);
	file_is(path, "");
}

/* A write that fails half-way (the file size limit, like a full disk): the old file is intact,
 * no temp file is left, the error names the temp file and the reason. */
static void test_write_fails_old_file_kept(void **ctx)
{
	const char *dir = *ctx;
	struct errbuf e = { 0 };
	char path[512], names[512], big[8192];
	struct rlimit was, lim;
	void (*old_handler)(int);
	int ret;

	snprintf(path, sizeof(path), "%s/store.json", dir);
	assert_int_equal(file_write_atomic(path, "old contents", 12, &e), 0);
	memset(big, 'x', sizeof(big));
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &was), 0);
	lim = was;
	lim.rlim_cur = 1024;
	old_handler = signal(SIGXFSZ, SIG_IGN);	/* EFBIG instead of the signal */
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	ret = file_write_atomic(path, big, sizeof(big), &e);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &was), 0);
	signal(SIGXFSZ, old_handler);
	assert_int_equal(ret, -EFBIG);
	assert_int_equal(e.code, -EFBIG);
	assert_non_null(strstr(e.msg, "could not write"));
	assert_non_null(strstr(e.msg, "store.json."));
	file_is(path, "old contents");
	dir_list(dir, names, sizeof(names));
	assert_string_equal(names, "store.json");
}

/* The rename fails (the path is a non-empty directory): nothing else changes. */
static void test_rename_fails(void **ctx)
{
	const char *dir = *ctx;
	struct errbuf e = { 0 };
	char path[512], sub[600], names[512];

	snprintf(path, sizeof(path), "%s/private.key", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(sub, sizeof(sub), "%s/x", path);
	assert_int_equal(mkdir(sub, 0700), 0);
	assert_true(file_write_atomic(path, "secret\n", 7, &e) < 0);
	assert_non_null(strstr(e.msg, "could not rename"));
	dir_list(dir, names, sizeof(names));
	assert_string_equal(names, "private.key");
	assert_int_equal(rmdir(sub), 0);
}

/* A name beside it that a fixed temp name would use ("<path>.tmp", a symlink to another file):
 * the temp file is made with O_EXCL under a name of its own, so nothing is written through it. */
static void test_planted_temp_name(void **ctx)
{
	const char *dir = *ctx;
	struct errbuf e = { 0 };
	char path[512], tmp[600], victim[512], names[512];

	snprintf(path, sizeof(path), "%s/store.json", dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	snprintf(victim, sizeof(victim), "%s/victim", dir);
	assert_int_equal(file_write_atomic(victim, "untouched", 9, &e), 0);
	assert_int_equal(symlink(victim, tmp), 0);
	assert_int_equal(file_write_atomic(path, "new", 3, &e), 0);
	file_is(path, "new");
	file_is(victim, "untouched");
	dir_list(dir, names, sizeof(names));
	assert_string_equal(names, "store.json store.json.tmp victim");
}

/* No directory: nothing made, the error says what could not be created. */
static void test_no_directory(void **ctx)
{
	const char *dir = *ctx;
	struct errbuf e = { 0 };
	char path[512], names[512];

	snprintf(path, sizeof(path), "%s/missing/state.json", dir);
	assert_int_equal(file_write_atomic(path, "x", 1, &e), -ENOENT);
	assert_non_null(strstr(e.msg, "could not create"));
	dir_list(dir, names, sizeof(names));
	assert_string_equal(names, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_write_and_replace, dir_setup, dir_teardown),
		cmocka_unit_test_setup_teardown(test_write_fails_old_file_kept, dir_setup,
						dir_teardown),
		cmocka_unit_test_setup_teardown(test_rename_fails, dir_setup, dir_teardown),
		cmocka_unit_test_setup_teardown(test_planted_temp_name, dir_setup, dir_teardown),
		cmocka_unit_test_setup_teardown(test_no_directory, dir_setup, dir_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
