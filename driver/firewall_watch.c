/* SPDX-License-Identifier: MIT */
/*
 * Our tables can vanish under us: `nft flush ruleset`, a restart of Debian's nftables service
 * (its /etc/nftables.conf starts with `flush ruleset`), or a rule deleted by hand. A thread
 * reads nf_tables' events without the lock and, when another program changed `inet wgnet` or
 * `bridge wgnet`, rebuilds both from the state. While they cannot be built the host fails
 * closed: no peer on wgnet0, no DOCKER-USER accepts of ours, route_localnet off on our bridges;
 * it tries again every WATCH_RETRY seconds, and everything comes back with the tables.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "driver/events.h"
#include "driver/firewall.h"
#include "driver/firewall_watch.h"
#include "driver/instance.h"
#include "driver/join_line.h"
#include "driver/log.h"
#include "driver/mesh.h"
#include "driver/thread.h"
#include "netlink/nft.h"
#include "netlink/nft_monitor.h"

#define WATCH_TICK_MS 250	/* a read waits this long: the thread sees d->stopping in time */
#define WATCH_RETRY 5		/* seconds between two rebuilds while they fail */
#define WATCH_CHECK 5		/* seconds between two looks at which tables exist */
#define WATCH_GAP 1		/* seconds at least between two rebuilds: a program fighting over
				 * the tables (or our own changes taken for another's) cannot spin */

static const char *object_name(enum nft_object o)
{
	switch (o) {
	case NFT_OBJECT_TABLE:
		return "table";
	case NFT_OBJECT_CHAIN:
		return "a chain";
	case NFT_OBJECT_RULE:
		return "a rule";
	case NFT_OBJECT_SET:
		return "a set";
	case NFT_OBJECT_ELEMENT:
		return "a set element";
	case NFT_OBJECT_OTHER:
		return "an object";
	}
	return "?";
}

/* "table inet wgnet deleted", "a rule deleted from table inet wgnet" */
static void change_text(const struct nft_table_change *t, const char *family, char *out,
			size_t size)
{
	if (t->object == NFT_OBJECT_TABLE)
		snprintf(out, size, "table %s %s %s", family, NFT_TABLE_NAME,
			 t->removed ? "deleted" : "created");
	else
		snprintf(out, size, "%s %s table %s %s", object_name(t->object),
			 t->removed ? "deleted from" : "added to", family, NFT_TABLE_NAME);
}

/* "tables inet wgnet and bridge wgnet deleted by nft[1234]" */
static void cause_text(const struct nft_change *c, char *out, size_t size)
{
	char inet[64] = "", bridge[64] = "", who[48], comm[sizeof(c->comm)];

	join_line_text_clean(comm, sizeof(comm), c->comm);	/* any program names itself */
	if (c->pid)
		snprintf(who, sizeof(who), "%s[%u]", comm[0] ? comm : "?", c->pid);
	else
		snprintf(who, sizeof(who), "another program");
	if (c->inet.changed && c->bridge.changed && c->inet.removed && c->bridge.removed &&
	    c->inet.object == NFT_OBJECT_TABLE && c->bridge.object == NFT_OBJECT_TABLE) {
		snprintf(out, size, "tables inet %s and bridge %s deleted by %s", NFT_TABLE_NAME,
			 NFT_TABLE_NAME, who);
		return;
	}
	if (c->inet.changed)
		change_text(&c->inet, "inet", inet, sizeof(inet));
	if (c->bridge.changed)
		change_text(&c->bridge, "bridge", bridge, sizeof(bridge));
	snprintf(out, size, "%s%s%s by %s", inet, inet[0] && bridge[0] ? " and " : "", bridge,
		 who);
}

/* One line at warn per thing that happened to the tables; the rebuild follows. */
static void watch_note(struct driver *d, const char *cause)
{
	snprintf(d->fw.watch.cause, sizeof(d->fw.watch.cause), "%s", cause);
	d->fw.watch.cause_at = time(NULL);
	d->fw.watch.rebuilt_at = 0;
	d->fw.watch.pending = true;
	log_warn("%s: rebuilding wgnet's tables", cause);
}

/*
 * Follows firewall_failed(), whoever set it (this thread, a Docker call, the mesh): failed,
 * the peers leave wgnet0 and the DOCKER-USER thread removes our accepts; built again, they
 * come back (route_localnet came back with the table).
 */
static void watch_sync_closed(struct driver *d)
{
	if (d->fw.failed == d->fw.watch.closed)
		return;
	d->fw.watch.closed = d->fw.failed;
	firewall_docker_user_sync(d, true);
	if (d->fw.watch.closed) {
		mesh_fail_closed(d);
		firewall_localnet(&d->st, false);
		events_add(d, EVENT_FIREWALL_FAILED, "firewall", "%s: failed closed (no peer on %s)",
			   d->fw.watch.error[0] ? d->fw.watch.error : "the tables could not be built",
			   NAMES_WG_DEVICE);
		return;
	}
	log_info("firewall built again: peers, DOCKER-USER rules and route_localnet are back");
	events_add(d, EVENT_FIREWALL_OK, "firewall", "built again: peers, DOCKER-USER rules and "
		   "route_localnet are back");
	mesh_sync_logged(d, "the firewall is back");
}

static void watch_rebuild(struct driver *d, time_t now)
{
	struct errbuf e = { 0 };

	d->fw.watch.pending = false;
	d->fw.watch.last = now;
	if (firewall_apply(d, &d->st, &e) == 0) {
		if (d->fw.watch.cause[0] && !d->fw.watch.rebuilt_at) {
			d->fw.watch.rebuilt_at = now;
			d->fw.watch.rebuilds++;
			events_add(d, EVENT_FIREWALL_REBUILT, "firewall", "%s: rebuilt",
				   d->fw.watch.cause);
		}
		d->fw.watch.next_try = 0;
		d->fw.watch.error[0] = 0;
		return;
	}
	d->fw.watch.next_try = now + WATCH_RETRY;
	if (strncmp(d->fw.watch.error, e.msg, sizeof(d->fw.watch.error) - 1) != 0)	/* once, not each try */
		log_error("%s: failing closed (no peer on %s), trying again every %d s", e.msg,
			  NAMES_WG_DEVICE, WATCH_RETRY);
	snprintf(d->fw.watch.error, sizeof(d->fw.watch.error), "%.*s",
		 (int)sizeof(d->fw.watch.error) - 1, e.msg);
}

/* Both tables there? Only while they should be and the last build worked. */
static void watch_check(struct driver *d, time_t now)
{
	int have;

	d->fw.watch.next_check = now + WATCH_CHECK;
	if (d->fw.failed || d->fw.watch.pending || !firewall_wanted(d, &d->st))
		return;
	have = nft_exists();
	if (have < 0)
		log_debug("could not look for our nftables tables: %s", strerror(-have));
	else if (!have)
		watch_note(d, "table inet " NFT_TABLE_NAME " or bridge " NFT_TABLE_NAME
			   " missing (periodic check)");
}

/* Lock held: what the read found (ret, c), then the rebuild and the fail-closed state. */
static void watch_step(struct driver *d, int ret, const struct nft_change *c)
{
	char cause[sizeof(d->fw.watch.cause)];
	time_t now = time(NULL);

	if (ret == 1 && firewall_wanted(d, &d->st)) {
		cause_text(c, cause, sizeof(cause));
		watch_note(d, cause);
	} else if (ret == -ENOBUFS && firewall_wanted(d, &d->st)) {
		watch_note(d, "nftables events lost (our socket's buffer was full)");
	}
	if (now >= d->fw.watch.next_check)
		watch_check(d, now);
	if (d->fw.failed && now >= d->fw.watch.next_try)
		d->fw.watch.pending = true;
	if (d->fw.watch.pending && now - d->fw.watch.last >= WATCH_GAP)
		watch_rebuild(d, now);
	watch_sync_closed(d);
}

/* The events, without the lock; a sleep when there is no monitor. */
static int watch_read(struct driver *d, struct nft_change *c)
{
	int ret;

	if (!d->fw.watch.monitor) {
		nanosleep(&(struct timespec){ .tv_nsec = WATCH_TICK_MS * 1000000L }, NULL);
		return 0;
	}
	ret = nft_monitor_read(d->fw.watch.monitor, WATCH_TICK_MS, c);
	if (ret < 0 && ret != -ENOBUFS) {
		log_warn("could not read nftables events (%s): checking the tables every %d s only",
			 strerror(-ret), WATCH_CHECK);
		nft_monitor_close(d->fw.watch.monitor);
		d->fw.watch.monitor = NULL;
	}
	return ret;
}

static void *watch_main(void *arg)
{
	struct driver *d = arg;
	struct nft_change c;
	int ret;

	for (;;) {
		ret = watch_read(d, &c);
		pthread_mutex_lock(&d->lock);
		if (d->stopping) {
			pthread_mutex_unlock(&d->lock);
			break;
		}
		watch_step(d, ret, &c);
		pthread_mutex_unlock(&d->lock);
	}
	return NULL;
}

void firewall_watch_open(struct driver *d)
{
	int ret = nft_monitor_open(&d->fw.watch.monitor);

	if (ret < 0)
		log_warn("could not subscribe to nftables events (%s): checking the tables every "
			 "%d s only", strerror(-ret), WATCH_CHECK);
}

void firewall_watch_start(struct driver *d)
{
	d->fw.watch.next_check = time(NULL) + WATCH_CHECK;
	thread_start(d, watch_main, &d->fw.watch.thread, &d->fw.watch.running, "firewall watch");
}

void firewall_watch_stop(struct driver *d)
{
	thread_stop(d, NULL, &d->fw.watch.thread, &d->fw.watch.running);
	nft_monitor_close(d->fw.watch.monitor);
	d->fw.watch.monitor = NULL;
}

void firewall_metrics_fill(const struct driver *d, struct driver_metrics *m)
{
	m->firewall_programmed = !d->fw.failed && !d->fw.watch.pending;
	m->firewall_rebuilds = d->fw.watch.rebuilds;
}

void firewall_watch_status(const struct driver *d, char *out, size_t size)
{
	bool open = d->fw.watch.cause[0] && !d->fw.watch.rebuilt_at;	/* not answered by a rebuild yet */
	char at[16];

	log_clock(d->fw.watch.rebuilt_at ? d->fw.watch.rebuilt_at : d->fw.watch.cause_at, at);
	if (d->fw.failed && d->fw.watch.error[0])
		snprintf(out, size, "%s%s%s%s%s; trying again every %d s", open ? d->fw.watch.cause : "",
			 open ? " at " : "", open ? at : "", open ? ", then " : "", d->fw.watch.error,
			 WATCH_RETRY);
	else if (open)
		snprintf(out, size, "%s at %s: rebuilding", d->fw.watch.cause, at);
	else if (d->fw.watch.cause[0])
		snprintf(out, size, "rebuilt at %s: %s", at, d->fw.watch.cause);
	else
		out[0] = 0;
}
