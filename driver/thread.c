/* SPDX-License-Identifier: MIT */
#include "driver/instance.h"
#include "driver/log.h"
#include "driver/thread.h"

void thread_start(struct driver *d, void *(*fn)(void *), pthread_t *t, bool *running,
		  const char *what)
{
	if (*running)
		return;
	if (pthread_create(t, NULL, fn, d) == 0)
		*running = true;
	else
		log_warn("could not start the %s thread, ignoring", what);
}

void thread_stop(struct driver *d, pthread_cond_t *wake, pthread_t *t, bool *running)
{
	if (!*running)
		return;
	pthread_mutex_lock(&d->lock);
	d->stopping = true;
	if (wake)
		pthread_cond_broadcast(wake);
	pthread_mutex_unlock(&d->lock);
	pthread_join(*t, NULL);
	*running = false;
}
