/* SPDX-License-Identifier: MIT */
#ifndef WGNET_DRIVER_THREAD_H
#define WGNET_DRIVER_THREAD_H

#include <pthread.h>
#include <stdbool.h>
#include <time.h>

struct driver;

/*
 * The driver's threads (watchdog, DOCKER-USER, resolver, firewall watch): started once, with d
 * as their argument; stopped by setting d->stopping under the lock and waking wake (NULL for a
 * thread that only sleeps), then joined.
 */
void thread_start(struct driver *d, void *(*fn)(void *), pthread_t *t, bool *running,
		  const char *what);
void thread_stop(struct driver *d, pthread_cond_t *wake, pthread_t *t, bool *running);

/* A condition variable that times out on CLOCK_MONOTONIC: immune to clock steps. */
void thread_cond_init(pthread_cond_t *c);

/* The CLOCK_MONOTONIC time ms milliseconds from now, for pthread_cond_timedwait. */
struct timespec thread_deadline_ms(unsigned ms);

#endif
