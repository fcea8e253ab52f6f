/* SPDX-License-Identifier: MIT */
/*
 * The keeper: this host's side of the store. It keeps the lease alive, publishes this host's
 * record when the store's differs, applies a pending leave, and fails over between a silent
 * peer's endpoints.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <netdb.h>
#include <net/if.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "driver/dns_record.h"
#include "driver/dns_server.h"
#include "driver/events.h"
#include "driver/instance.h"
#include "driver/log.h"
#include "driver/mesh.h"
#include "driver/mesh_device.h"
#include "driver/mesh_key.h"
#include "driver/persist.h"
#include "driver/store_file.h"
#include "driver/store_keeper.h"
#include "driver/store_names.h"

#define NAMES_TICK_MS 100		/* how soon a change of this host's names is put */

static bool ifname_ours_or_docker(const char *n)
{
	static const char *const skip[] = { "docker", "br-", "veth", "wgb", "wgv", "wgc", "wgnet",
					    "virbr", "cni", "flannel", NULL };

	for (size_t i = 0; skip[i]; i++)
		if (strncmp(n, skip[i], strlen(skip[i])) == 0)
			return true;
	return false;
}

/* Every routable IPv4 address of the host, but Docker's, wgnet's and loopback. */
static void endpoints_discover(uint16_t port, struct store_record *r)
{
	struct ifaddrs *ifa = NULL;

	if (getifaddrs(&ifa) < 0)
		return;
	for (const struct ifaddrs *i = ifa; i && r->nendpoints < STORE_ENDPOINTS_MAX;
	     i = i->ifa_next) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)i->ifa_addr;
		char a[INET_ADDRSTRLEN];
		uint32_t h;

		if (!in || in->sin_family != AF_INET || !(i->ifa_flags & IFF_UP) ||
		    (i->ifa_flags & IFF_LOOPBACK) || ifname_ours_or_docker(i->ifa_name))
			continue;
		h = ntohl(in->sin_addr.s_addr);
		if ((h >> 24) == 127 || (h >> 16) == 0xa9fe || h == 0)
			continue;
		inet_ntop(AF_INET, &in->sin_addr, a, sizeof(a));
		snprintf(r->endpoints[r->nendpoints++], STATE_HOST_ENDPOINT_MAX, "%s:%u", a, port);
	}
	freeifaddrs(ifa);
}

/* This host's record, lock held. */
void store_keeper_record(const struct driver *d, struct store_record *r)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->name, sizeof(r->name), "%s", d->st.host_name);
	r->index = d->st.host_index;
	memcpy(r->key, d->st.host_public_key, KEYS_LEN);
	r->listen_port = d->st.listen_port ? d->st.listen_port : WG_DEFAULT_PORT;
	r->mtu = d->st.mtu;
	if (d->st.host_endpoint[0])
		snprintf(r->endpoints[r->nendpoints++], STATE_HOST_ENDPOINT_MAX, "%s",
			 d->st.host_endpoint);
	else
		endpoints_discover(r->listen_port, r);
	r->has_next = mesh_key_pending(d, r->next_key);	/* a rotation under way */
}

/*
 * The lease kept alive (a new one when it lapsed), and, guarded by our claim, the record (when
 * record is set) and the liveness key (with the record, or under a new lease). *gone: our
 * claim is not there.
 */
int store_keeper_publish(struct etcd *c, const struct store_record *r, bool record,
			 int64_t *lease, bool *gone, struct errbuf *e)
{
	char ikey[STORE_KEY_MAX], hkey[STORE_KEY_MAX], akey[STORE_KEY_MAX], key[KEYS_B64_LEN];
	char *text = store_record_format(r);
	struct etcd_op ops[2];
	bool done = false, fresh = false;
	int64_t ttl = 0;
	size_t n = 0;
	int ret;

	if (!text)
		return errbuf_set(e, -ENOMEM, "out of memory");
	keys_b64(r->key, key);
	store_key_format(STORE_INDEX_PREFIX, r->index, ikey);
	store_key_format(STORE_HOSTS_PREFIX, r->index, hkey);
	store_key_format(STORE_ALIVE_PREFIX, r->index, akey);
	ret = *lease ? etcd_lease_keepalive(c, *lease, &ttl, e) : 0;
	if (ret == 0 && ttl <= 0) {
		*lease = 0;
		ret = etcd_lease_grant(c, STORE_LEASE_TTL, lease, e);
		fresh = true;
	}
	if (record)
		ops[n++] = (struct etcd_op){ .key = hkey, .value = text };
	ops[n++] = (struct etcd_op){ .key = akey, .value = r->name, .lease = *lease };
	if (ret == 0 && (record || fresh))
		ret = etcd_txn(c, &(struct etcd_guard){ ikey, key }, 1, ops, n, &done, e);
	else
		done = true;
	free(text);
	if (ret == 0)
		*gone = !done;
	return ret;
}

int store_keeper_leave_txn(struct etcd *c, unsigned index, const uint8_t claim[KEYS_LEN],
			   bool *done, struct errbuf *e)
{
	char ikey[STORE_KEY_MAX], hkey[STORE_KEY_MAX], akey[STORE_KEY_MAX], key[KEYS_B64_LEN];
	char nkey[DNS_RECORD_KEY_MAX];
	/* its names too: they are under its lease, which a running wgnetd would keep renewing */
	struct etcd_op ops[4] = { { .key = hkey }, { .key = akey }, { .key = ikey },
				  { .key = nkey, .prefix = true } };

	keys_b64(claim, key);
	store_key_format(STORE_INDEX_PREFIX, index, ikey);
	store_key_format(STORE_HOSTS_PREFIX, index, hkey);
	store_key_format(STORE_ALIVE_PREFIX, index, akey);
	dns_record_key_prefix(index, nkey);
	return etcd_txn(c, &(struct etcd_guard){ ikey, key }, 1, ops, 4, done, e);
}

/* Out of the store: its peers go, the threads end. Lock held. */
void store_keeper_leave_finish(struct driver *d)
{
	struct store *s = d->store;
	struct errbuf e = { 0 };
	size_t n = 0;

	for (size_t j = 0; j < d->st.npeers; j++)	/* in place: one pass, not a move per peer */
		if (!store_mine_has(s, d->st.peers[j].public_key))
			d->st.peers[n++] = d->st.peers[j];
	d->st.npeers = n;
	store_hosts_keys_release(&s->mine);
	store_names_forget(d);
	s->configured = false;
	s->leave_pending = false;
	s->synced = false;
	atomic_store(&s->stop, true);
	store_wake(s);
	if (persist_save(d, &e) < 0 || store_file_save(s, &e) < 0)
		log_error("store: leave: %s", e.msg);
	if (mesh_sync(d, &e) < 0)
		log_error("store: leave: %s", e.msg);
	dns_server_sync(d);
	log_info("store: this host left the mesh");
}

/*
 * A switch that reached the store but not this host (wgnetd stopped, or the answer was lost):
 * the claim of this host's index holds its next key. Lock held.
 */
static void keeper_switch_finish(struct driver *d)
{
	struct store *s = d->store;
	const struct store_host *h = store_hosts_get(&s->hosts, d->st.host_index, false);
	struct errbuf e = { 0 };
	uint8_t next[KEYS_LEN];

	if (s->rotating || !s->synced || !mesh_key_pending(d, next) || !h || !h->has_claim ||
	    memcmp(h->claim, next, KEYS_LEN) != 0)
		return;
	if (mesh_key_switch(d, &e) < 0)
		log_error("store: %s", e.msg);
	else
		log_info("store: the store holds this host's new key: switched to it");
}

static void keeper_tick(struct driver *d)
{
	struct store *s = d->store;
	const struct store_host *h;
	struct store_record r;
	struct errbuf e = { 0 };
	bool leave, due, record, gone = false, done = false;
	int64_t lease;
	int ret;

	pthread_mutex_lock(&d->lock);
	keeper_switch_finish(d);
	leave = s->leave_pending;
	store_keeper_record(d, &r);
	if (!s->removed && store_hosts_keys_has(&s->hosts.revoked, r.key)) {
		log_error("store: this host's key is revoked (wgnet host revoke): not publishing; "
			  "it cannot join the store again with this key");
		events_add(d, EVENT_KEY_REVOKED, r.name, "this host's key is revoked: it is out of "
			   "the store");
		s->removed = true;
	}
	/* the record only when the store's differs (new endpoints, or overwritten): every put
	 * is an event for every host */
	h = store_hosts_get(&s->hosts, r.index, false);
	record = s->publish || (s->synced && (!h || !h->has_record ||
					      memcmp(&h->rec, &r, sizeof(r)) != 0));
	due = !s->removed && !s->rotating && (record || !s->lease ||
					       time(NULL) - s->renewed >= STORE_RENEW_SECONDS);
	lease = s->lease;
	s->keeper_busy = due || leave;	/* a rotation waits for it */
	pthread_mutex_unlock(&d->lock);
	if (leave) {
		ret = store_keeper_leave_txn(&s->etcd, r.index, r.key, &done, &e);
		pthread_mutex_lock(&d->lock);
		store_reachable_note(d, ret, &e);
		if (ret == 0)
			store_keeper_leave_finish(d);
		s->keeper_busy = false;
		pthread_mutex_unlock(&d->lock);
		return;
	}
	if (!due)
		return;
	ret = store_keeper_publish(&s->etcd, &r, record, &lease, &gone, &e);
	pthread_mutex_lock(&d->lock);
	s->keeper_busy = false;
	store_reachable_note(d, ret, &e);
	if (ret == 0) {
		if (lease != s->lease)
			atomic_store(&s->names_dirty, true);	/* our names go under it */
		s->lease = lease;
		s->renewed = time(NULL);
		s->publish = false;
		if (gone && !s->removed)
			log_warn("store: this host's claim of index %u is gone (wgnet host rm?): "
				 "not publishing; wgnet init --store joins again", r.index);
		s->removed = gone;
	}
	pthread_mutex_unlock(&d->lock);
}

/* One more acknowledgement to give or take back (*v grows); false without memory. */
static bool ack_push(struct store_ack_due **v, size_t *n, struct store_ack_due a)
{
	struct store_ack_due *w = reallocarray(*v, *n + 1, sizeof(*w));

	if (!w)
		return false;
	*v = w;
	w[(*n)++] = a;
	return true;
}

static bool ack_same(const struct store_ack_due *a, const struct store_ack_due *b)
{
	/* under another lease (the first lapsed, and took it along): given again */
	return a->index == b->index && a->lease == b->lease &&
	       memcmp(a->key, b->key, KEYS_LEN) == 0;
}

/* Given already (or on its way), lock held. */
static bool ack_sent(const struct store *s, const struct store_ack_due *a)
{
	for (size_t i = 0; i < s->nacks_sent; i++)	/* a handful, while rotations run */
		if (ack_same(&s->acks_sent[i], a))
			return true;
	return false;
}

/* One more acknowledgement to give unless it was, noted as given (not noted for want of
 * memory: given twice at worst); lock held. */
static bool ack_due(struct store *s, struct store_ack_due a, struct store_ack_due **out,
		    size_t *n)
{
	if (ack_sent(s, &a))
		return true;
	if (!ack_push(out, n, a))
		return false;
	ack_push(&s->acks_sent, &s->nacks_sent, a);
	return true;
}

/* These were not given after all: the next tick gives them again. Lock held. */
static void acks_sent_forget(struct store *s, const struct store_ack_due *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t k = 0;

		for (size_t j = 0; j < s->nacks_sent; j++)
			if (!ack_same(&s->acks_sent[j], &v[i]))
				s->acks_sent[k++] = s->acks_sent[j];
		s->nacks_sent = k;
	}
}

/*
 * Forgotten once no rotation needs them. The rotating host switched: its claim moved on, and the
 * switch deleted them. It gave up (its claim holds the old key) or left: taken back (into *out),
 * since they would stay under this host's lease. Lock held.
 */
static void acks_sent_prune(struct driver *d, struct store_ack_due **out, size_t *n)
{
	struct store *s = d->store;
	size_t k = 0;

	for (size_t i = 0; i < s->nacks_sent; i++) {
		struct store_ack_due a = s->acks_sent[i];
		const struct state_peer *p = NULL;

		for (size_t j = 0; j < d->st.npeers && !p; j++)	/* few: while a rotation runs */
			if (d->st.peers[j].index == a.index)
				p = &d->st.peers[j];
		if (p && p->has_next_key && memcmp(p->next_key, a.key, KEYS_LEN) == 0) {
			s->acks_sent[k++] = a;
			continue;
		}
		a.back = true;
		if ((!p || memcmp(p->public_key, a.claim, KEYS_LEN) == 0) && !ack_push(out, n, a))
			s->acks_sent[k++] = s->acks_sent[i];	/* no memory: the next tick */
	}
	s->nacks_sent = k;
}

/*
 * What this host must acknowledge: the next key of each store peer that rotates, once wgnet0
 * has it, under this host's lease (a host that goes away takes its acknowledgements with it).
 * Each once. Lock held.
 */
static size_t acks_collect(struct driver *d, struct store_ack_due **out)
{
	struct store *s = d->store;
	unsigned self = d->st.host_index;
	/* a host whose key is revoked takes no part, even before its keeper notices */
	bool part = s->configured && !s->removed &&
		    !store_hosts_keys_has(&s->hosts.revoked, d->st.host_public_key);
	size_t n = 0;

	*out = NULL;
	acks_sent_prune(d, out, &n);
	for (size_t i = 0; part && i < d->st.npeers; i++) {
		const struct state_peer *p = &d->st.peers[i];
		struct store_ack_due a = { .index = p->index, .by = self, .lease = s->lease };

		if (!p->has_next_key || !store_mine_has(s, p->public_key))
			continue;
		memcpy(a.key, p->next_key, KEYS_LEN);
		memcpy(a.claim, p->public_key, KEYS_LEN);
		if (!ack_due(s, a, out, &n))
			return n;
	}
	return n;
}

/* Given (or taken back) in the store, without the lock; v freed. Those that were not are
 * forgotten as given: the next tick gives (or takes back) them again. One whose claim moved on
 * (the rotation ended) is not written: a late acknowledgement would stay, under this host's
 * lease, for nothing. */
static void acks_send(struct driver *d, struct store_ack_due *v, size_t n)
{
	struct store *s = d->store;
	char name[STORE_KEY_MAX], ikey[STORE_KEY_MAX], key[KEYS_B64_LEN], claim[KEYS_B64_LEN];
	struct errbuf e = { 0 };
	size_t done = 0;
	int ret = 0;

	for (; done < n && ret == 0; done++) {
		store_key_format_ack(v[done].index, v[done].by, name);
		store_key_format(STORE_INDEX_PREFIX, v[done].index, ikey);
		keys_b64(v[done].key, key);
		keys_b64(v[done].claim, claim);
		if (v[done].back)
			ret = etcd_txn(&s->etcd, NULL, 0, &(struct etcd_op){ .key = name }, 1,
				       &(bool){ 0 }, &e);
		else
			ret = etcd_txn(&s->etcd, &(struct etcd_guard){ ikey, claim }, 1,
				       &(struct etcd_op){ .key = name, .value = key,
							  .lease = v[done].lease },
				       1, &(bool){ 0 }, &e);
	}
	if (n) {
		pthread_mutex_lock(&d->lock);
		store_reachable_note(d, ret, &e);
		if (ret < 0)	/* v[done - 1] failed: it and those after it were not sent */
			acks_sent_forget(s, v + done - 1, n - done + 1);
		for (size_t i = ret < 0 ? done - 1 : n; i < n; i++) {
			if (!v[i].back)
				continue;
			v[i].back = false;	/* given again: the next prune takes it back */
			ack_push(&s->acks_sent, &s->nacks_sent, v[i]);
		}
		pthread_mutex_unlock(&d->lock);
	}
	free(v);
}

void store_keeper_ack_soon(struct driver *d)
{
	struct store *s = d->store;
	struct store_ack_due *v;
	size_t n = acks_collect(d, &v), queued = 0;

	pthread_mutex_lock(&s->sleep_lock);	/* after the driver lock, as store_wake */
	while (queued < n && ack_push(&s->acks_due, &s->nacks_due, v[queued]))
		queued++;
	pthread_mutex_unlock(&s->sleep_lock);
	if (queued < n)		/* no memory: the next tick gives them */
		acks_sent_forget(s, v + queued, n - queued);
	free(v);
	if (n)
		store_wake(s);
}

/* The acknowledgements queued by the watcher, at once; else, with the lock, any still due (one
 * that failed, one the store lost with this host's lease). */
static void keeper_acks(struct driver *d)
{
	struct store *s = d->store;
	struct store_ack_due *v;
	size_t n;

	pthread_mutex_lock(&s->sleep_lock);
	v = s->acks_due;
	n = s->nacks_due;
	s->acks_due = NULL;
	s->nacks_due = 0;
	pthread_mutex_unlock(&s->sleep_lock);
	if (n) {	/* their events are not back yet: the lists below would send them again */
		acks_send(d, v, n);
		return;
	}
	pthread_mutex_lock(&d->lock);
	n = acks_collect(d, &v);
	pthread_mutex_unlock(&d->lock);
	acks_send(d, v, n);
}

/* "a.b.c.d:port" or "[v6]:port" without DNS (the lock is held). */
static int endpoint_numeric(const char *ep, struct sockaddr_storage *out)
{
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM, .ai_flags = AI_NUMERICHOST };
	struct addrinfo *res = NULL;
	char host[STATE_HOST_ENDPOINT_MAX];
	const char *colon = strrchr(ep, ':');
	size_t hl = colon ? (size_t)(colon - ep) : 0;

	if (!colon || hl >= sizeof(host))
		return -EINVAL;
	if (ep[0] == '[' && hl >= 2) {
		ep++;
		hl -= 2;
	}
	memcpy(host, ep, hl);
	host[hl] = 0;
	if (getaddrinfo(host, colon + 1, &hints, &res) != 0 || !res)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	memcpy(out, res->ai_addr, res->ai_addrlen);
	freeaddrinfo(res);
	return 0;
}

/*
 * A store peer with several endpoints and no handshake within STORE_FAILOVER_SECONDS of
 * trying one is tried at the next; once a handshake came, the device keeps what it learnt.
 * Lock held.
 */
static void failover_tick(struct driver *d)
{
	struct store *s = d->store;
	struct wg_device have = { 0 };
	time_t now = time(NULL);

	/* the device is read only when needed: once a second on every host, under the lock */
	if (!s->hosts.nmulti ||		/* no record with several endpoints */
	    mesh_device_read(d, &have) < 0)
		return;
	for (size_t i = 0; i < have.npeers; i++) {
		const struct wg_peer *wp = &have.peers[i];
		struct store_host *h = store_hosts_by_key(&s->hosts, wp->public_key);
		struct store_failover *f = h ? &h->fo : NULL;
		struct sockaddr_storage ep;

		if (!h || h->rec.nendpoints < 2 || !store_mine_has(s, wp->public_key))
			continue;
		if (!f->active)
			*f = (struct store_failover){ .active = true, .since = now };
		/* a handshake since trying, or a session that outlived a restart of wgnetd: the
		 * device's endpoint, maybe learnt from the peer's packets (NAT), is kept */
		if (wp->last_handshake_sec && (wp->last_handshake_sec >= f->since - 1 ||
					       now - wp->last_handshake_sec < STORE_SESSION_SECONDS))
			f->settled = true;
		if (f->settled || now - f->since < STORE_FAILOVER_SECONDS)
			continue;
		f->cur = (f->cur + 1) % h->rec.nendpoints;
		f->since = now;
		if (endpoint_numeric(h->rec.endpoints[f->cur], &ep) < 0)
			continue;
		log_info("store: peer %s: no handshake in %d s, trying endpoint %s", h->rec.name,
			 STORE_FAILOVER_SECONDS, h->rec.endpoints[f->cur]);
		events_add(d, EVENT_FAILOVER, h->rec.name, "no handshake in %d s: trying endpoint %s",
			   STORE_FAILOVER_SECONDS, h->rec.endpoints[f->cur]);
		if (mesh_device_peer_endpoint(d, wp, &ep) < 0)
			log_warn("store: peer %s: could not set endpoint %s, ignoring", h->rec.name,
				 h->rec.endpoints[f->cur]);
	}
	wg_device_release(&have);
}

void *store_keeper_main(void *arg)
{
	struct driver *d = arg;
	struct store *s = d->store;

	while (!atomic_load(&s->stop)) {
		keeper_acks(d);
		keeper_tick(d);
		pthread_mutex_lock(&d->lock);
		if (s->configured)
			failover_tick(d);
		pthread_mutex_unlock(&d->lock);
		/* a second, or less when this host's names changed (they are put at once) or
		 * acknowledgements are queued (store_wake) */
		for (unsigned t = 0; t < 1000 && !atomic_load(&s->stop); t += NAMES_TICK_MS) {
			if (store_names_due(d))
				store_names_publish(d);
			if (store_sleep(s, NAMES_TICK_MS))
				break;
		}
	}
	return NULL;
}
