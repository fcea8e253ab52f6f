/* SPDX-License-Identifier: MIT */
/*
 * The mesh's thread: every 5 s a look at the peers (mesh_look.c: up, down, moved), and the
 * watchdog of a userspace WireGuard, which asks wireguard-go for its configuration every 2 s
 * without the lock, kills one that does not answer, and starts it again (mesh_start gives it
 * key, port and peers), with backoff after a failed restart, for as long as it takes.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <time.h>

#include "driver/events.h"
#include "driver/instance.h"
#include "driver/log.h"
#include "driver/mesh.h"
#include "driver/mesh_look.h"
#include "driver/mesh_watchdog.h"
#include "driver/thread.h"
#include "netlink/wg_userspace.h"

#define WATCHDOG_TICK_MS 250
#define WATCHDOG_PROBE_TICKS 8		/* a probe every 2 s */
#define WATCHDOG_ANSWER_MS 3000		/* a wireguard-go slower than this is hung */
#define WATCHDOG_BACKOFF_MAX 60		/* seconds between two failed restarts, at most */
#define LOOK_TICKS 20			/* a look at the peers every 5 s */

/* Lock dropped while sleeping ms. */
static void unlocked_sleep(struct driver *d, long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	pthread_mutex_unlock(&d->lock);
	nanosleep(&ts, NULL);
	pthread_mutex_lock(&d->lock);
}

/*
 * Is the userspace device served? Probed without the lock (a hung wireguard-go takes
 * WATCHDOG_ANSWER_MS to show it). One that does not answer is killed, so that it can be
 * replaced. 1: fine, 0: to be (re)started.
 */
static int watchdog_probe(struct driver *d)
{
	char when[16];
	pid_t pid;
	int ret, i;

	pthread_mutex_unlock(&d->lock);
	ret = wg_userspace_check(NULL, NAMES_WG_DEVICE, WATCHDOG_ANSWER_MS, &pid);
	if (ret == -ETIMEDOUT && pid > 0) {
		kill(pid, SIGKILL);
		/* until its socket refuses: then its TUN device is gone with it */
		for (i = 0; i < 100 && wg_userspace_check(NULL, NAMES_WG_DEVICE, 200, &pid) != 0; i++)
			nanosleep(&(struct timespec){ .tv_nsec = 20 * 1000000L }, NULL);
	}
	pthread_mutex_lock(&d->lock);
	if (ret == 1) {
		if (d->mesh.hung) {
			log_info("the userspace WireGuard of %s answers again", NAMES_WG_DEVICE);
			d->mesh.hung = false;
			mesh_sync_logged(d, "WireGuard device " NAMES_WG_DEVICE);
		}
		return 1;
	}
	log_clock(time(NULL), when);
	if (ret == -ETIMEDOUT) {
		log_warn("the userspace WireGuard of %s did not answer in %d ms: killed it, "
			 "starting another", NAMES_WG_DEVICE, WATCHDOG_ANSWER_MS);
		snprintf(d->mesh.problem, sizeof(d->mesh.problem), "replaced at %s: it did not "
			 "answer in %d s", when, WATCHDOG_ANSWER_MS / 1000);
	} else {
		log_warn("the userspace WireGuard of %s is gone, starting it again",
			 NAMES_WG_DEVICE);
		snprintf(d->mesh.problem, sizeof(d->mesh.problem), "restarted at %s: it had exited",
			 when);
	}
	return 0;
}

/* Start it again; after a failure the next try waits 1, 2, 4 ... 60 s, forever. */
static void watchdog_restart(struct driver *d)
{
	char note[sizeof(d->mesh.problem)];
	struct errbuf e = { 0 };
	unsigned wait;

	snprintf(note, sizeof(note), "%s", d->mesh.problem);
	d->mesh.next_try = 0;
	if (mesh_start(d, &e) == 0) {
		if (d->mesh.failures)
			log_info("%s is back after %u failed restarts", NAMES_WG_DEVICE,
				 d->mesh.failures);
		d->mesh.failures = 0;
		d->mesh.restarts++;
		snprintf(d->mesh.problem, sizeof(d->mesh.problem), "%s", note);
		events_add(d, EVENT_WATCHDOG_RESTART, NAMES_WG_DEVICE,
			   "wireguard-go started again (%s)", note);
		return;
	}
	d->mesh.ready = false;
	d->mesh.failures++;
	d->mesh.restart_failures++;
	wait = d->mesh.failures > 6 ? WATCHDOG_BACKOFF_MAX : 1u << (d->mesh.failures - 1);
	if (wait > WATCHDOG_BACKOFF_MAX)
		wait = WATCHDOG_BACKOFF_MAX;
	d->mesh.next_try = time(NULL) + wait;
	log_error("restarting %s (attempt %u): %s; next attempt in %u s", NAMES_WG_DEVICE,
		  d->mesh.failures, e.msg, wait);
	snprintf(d->mesh.problem, sizeof(d->mesh.problem), "down: restart %u failed (%.120s), next "
		 "in %u s", d->mesh.failures, e.msg, wait);
	events_add(d, EVENT_WATCHDOG_FAILED, NAMES_WG_DEVICE, "wireguard-go %s", d->mesh.problem);
}

static void *watchdog_main(void *arg)
{
	struct driver *d = arg;
	unsigned n = 0, ticks = 0;

	pthread_mutex_lock(&d->lock);
	for (;;) {
		unlocked_sleep(d, WATCHDOG_TICK_MS);
		if (d->stopping)
			break;
		if (++ticks % LOOK_TICKS == 0) {
			mesh_look(d);		/* drops the lock for the device read */
			if (d->stopping)
				break;
		}
		if (!d->mesh.watch)		/* kernel WireGuard needs no process */
			continue;
		if (d->mesh.next_try) {
			if (time(NULL) >= d->mesh.next_try)
				watchdog_restart(d);
			continue;
		}
		/* every 2 s, and at once when a call found it not answering */
		if ((++n % WATCHDOG_PROBE_TICKS != 0 && !d->mesh.hung) || !d->mesh.ready)
			continue;
		if (watchdog_probe(d) == 0 && !d->stopping) {
			d->mesh.ready = false;
			watchdog_restart(d);
		}
	}
	pthread_mutex_unlock(&d->lock);
	return NULL;
}

void mesh_watchdog_start(struct driver *d)
{
	thread_start(d, watchdog_main, &d->mesh.watchdog, &d->mesh.watchdog_running,
			    "WireGuard watchdog");
}

void mesh_watchdog_stop(struct driver *d)
{
	thread_stop(d, NULL, &d->mesh.watchdog, &d->mesh.watchdog_running);
	mesh_look_forget(d);
}
