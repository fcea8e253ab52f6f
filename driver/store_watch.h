/* SPDX-License-Identifier: MIT */
#ifndef WGNET_DRIVER_STORE_WATCH_H
#define WGNET_DRIVER_STORE_WATCH_H


/* The watcher (driver/store_watch.c): a thread, its argument the driver, that reads every
 * record once, then watches them and keeps the peers in step. */
void *store_watch_main(void *arg);

#endif
