/* SPDX-License-Identifier: MIT */
#ifndef WGNET_DRIVER_RECONCILE_H
#define WGNET_DRIVER_RECONCILE_H

#include "driver/errbuf.h"

struct driver;

/* Start-up (driver/reconcile.c): the kernel made what the state says, by difference. */
int reconcile_all(struct driver *d, struct errbuf *e);

#endif
