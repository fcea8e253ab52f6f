/* SPDX-License-Identifier: MIT */
#ifndef WGNET_DRIVER_FILE_WRITE_H
#define WGNET_DRIVER_FILE_WRITE_H

#include <stddef.h>

#include "driver/errbuf.h"

/*
 * The one way wgnet replaces a file of its state directory (state.json, private.key,
 * store.json): a new file "<path>.XXXXXX" beside it (mkostemp: O_EXCL, mode 0600), all of data
 * written and fsync'd, renamed over path, then the directory fsync'd. On failure the new file
 * is removed and path is as it was. Returns 0; 1 (e worded) when only the directory's fsync
 * failed: the file is in place and is what the next start reads, so it counts as written;
 * -errno (e worded) otherwise. data is never copied (it may be a private key).
 */
#define FILE_WRITE_TEMP_SUFFIX ".XXXXXX"
int file_write_atomic(const char *path, const void *data, size_t len, struct errbuf *e);
/* A file written so put over another (a key that takes over), the directory fsync'd after:
 * the same returns. */
int file_write_rename(const char *from, const char *to, struct errbuf *e);

#endif
