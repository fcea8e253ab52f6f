/* SPDX-License-Identifier: MIT */
#ifndef WGNET_DRIVER_PERSIST_H
#define WGNET_DRIVER_PERSIST_H

#include <stddef.h>

#include "driver/errbuf.h"
#include "driver/state.h"

/* The state on disk (state.json): below every verb, which saves through it. */

struct driver;

/* The state directory made (0700: it holds the private key), and the temp files that a kill -9
 * left of atomic writes of the files named (file_write_atomic: "<name>.XXXXXX") removed. */
int persist_dir_prepare(const char *dir, const char *const *names, size_t nnames,
			struct errbuf *e);
/* Persist d->st; on failure the error is worded in e. */
int persist_save(struct driver *d, struct errbuf *e);
/*
 * Saves next and makes it d->st; on failure d->st is untouched. next is consumed either way.
 * Removals go through it before any kernel object goes: a failed save then leaves memory,
 * disk and kernel as they were, and a retry does everything again, the save too.
 */
int persist_commit(struct driver *d, struct state *next, struct errbuf *e);

#endif
