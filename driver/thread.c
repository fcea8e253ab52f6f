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

void thread_cond_init(pthread_cond_t *c)
{
	pthread_condattr_t attr;

	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(c, &attr);
	pthread_condattr_destroy(&attr);
}

struct timespec thread_deadline_ms(unsigned ms)
{
	struct timespec until;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	return until;
}
