/* SPDX-License-Identifier: MIT */
/* The driver's events: the ring (event_ring.c) under the driver's lock, and a condition that
 * wakes the readers waiting for the next one. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "driver/api.h"
#include "driver/events.h"
#include "driver/instance.h"
#include "driver/thread.h"

void events_init(struct driver *d)
{
	struct timespec now;

	thread_cond_init(&d->events.cond);
	clock_gettime(CLOCK_REALTIME, &now);
	/* numbers start at 1 again in the next run: the epoch tells a reader it changed */
	d->events.epoch = (uint64_t)now.tv_sec * 1000000u + (uint64_t)now.tv_nsec / 1000u;
}

void events_fini(struct driver *d)
{
	pthread_cond_destroy(&d->events.cond);
}

void events_add(struct driver *d, enum event_kind kind, const char *subject, const char *fmt, ...)
{
	char detail[EVENT_DETAIL_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	event_ring_push(&d->events.ring, time(NULL), kind, subject, detail);
	pthread_cond_broadcast(&d->events.cond);
}

uint64_t events_last(const struct driver *d)
{
	return d->events.ring.last;
}

void driver_events_get(struct driver *d, uint64_t since, uint64_t epoch, struct driver_events *out)
{
	pthread_mutex_lock(&d->lock);
	/* numbers of another run of wgnetd mean nothing here: from the first one on */
	if (epoch && epoch != d->events.epoch)
		since = 0;
	out->n = event_ring_since(&d->events.ring, since, out->v, DRIVER_EVENTS_BATCH, &out->lost);
	out->last = d->events.ring.last;
	out->epoch = d->events.epoch;
	pthread_mutex_unlock(&d->lock);
}

uint64_t driver_events_wait(struct driver *d, uint64_t seen, unsigned ms)
{
	struct timespec until = thread_deadline_ms(ms);
	uint64_t last;

	pthread_mutex_lock(&d->lock);
	while (d->events.ring.last <= seen && !d->stopping &&
	       pthread_cond_timedwait(&d->events.cond, &d->lock, &until) != ETIMEDOUT)
		;
	last = d->events.ring.last;
	pthread_mutex_unlock(&d->lock);
	return last;
}
