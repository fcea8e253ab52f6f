/* SPDX-License-Identifier: MIT */
/*
 * Membership through etcd. Two threads per daemon once a store is configured:
 *  - the watcher reads every key under /wgnet/ once, then watches from the next revision and
 *    applies each change to the peers (resuming from the last revision seen after a break,
 *    and reading everything again when that revision was compacted); a peer whose record
 *    advertises new endpoints is moved to the first, unless its session is live;
 *  - the keeper keeps this host's lease alive, publishes its record, applies a pending leave
 *    and fails over between a silent peer's endpoints.
 * The store is never on the data path: unreachable, it changes nothing; a host whose lease
 * lapsed stays a peer; only a removed record removes a peer. Store peers live in the state
 * like join-line peers (so they survive restarts without the store); store.json names them.
 * Everything in struct store is under the driver lock, but etcd (fixed while the threads run)
 * and stop.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <netdb.h>
#include <net/if.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "driver/instance.h"
#include "driver/file_write.h"
#include "driver/log.h"
#include "driver/mesh.h"
#include "driver/persist.h"
#include "driver/resolve.h"
#include "driver/store.h"
#include "driver/store_etcd.h"
#include "driver/store_hosts.h"
#include "driver/store_record.h"

#define STORE_RENEW_SECONDS 10		/* keepalive period, a third of the lease */
#define STORE_FAILOVER_SECONDS 15	/* no handshake on an endpoint for this long: next */
#define STORE_SESSION_SECONDS 180	/* WireGuard's reject-after time: a session this young lives */
#define STORE_CLAIM_TRIES 256

struct store {
	char path[PATH_MAX];
	struct etcd etcd;
	bool configured;
	bool refused;			/* store.json takes a risk the user did not: not used */
	bool leave_pending;
	bool removed;
	atomic_bool stop;
	pthread_t watcher, keeper;
	bool running;
	struct store_hosts hosts;
	int64_t rev;
	bool synced;			/* hosts reflect the store at rev */
	bool reachable;
	char error[256];
	struct store_keys mine;		/* peers that came from the store, sorted */
	int64_t lease;
	time_t renewed;
	bool publish;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init_once(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* ---- store.json: the store's address, our peers from it, a pending leave */

static int file_save(const struct store *s, struct errbuf *e)
{
	char urls[512], key[KEYS_B64_LEN];
	struct errbuf we = { 0 };	/* e may be NULL: a warning below needs the words */
	json_t *root, *mine;
	char *text;
	int ret;

	if (!s->configured && !s->leave_pending) {
		if (unlink(s->path) < 0 && errno != ENOENT)
			return errbuf_set(e, -errno, "could not remove %s: %s", s->path,
					  strerror(errno));
		return 0;
	}
	mine = json_array();	/* after the return above: it leaked there */
	for (size_t i = 0; mine && i < s->mine.n; i++) {
		keys_b64(s->mine.v[i], key);
		json_array_append_new(mine, json_string(key));
	}
	etcd_urls_text(&s->etcd, urls, sizeof(urls));
	root = json_pack("{s:s, s:s, s:s, s:s, s:b, s:b, s:b, s:o}", "urls", urls, "ca",
			 s->etcd.ca, "cert", s->etcd.cert, "key", s->etcd.key, "insecure_http",
			 (s->etcd.allow & ETCD_ALLOW_HTTP) != 0, "no_client_cert",
			 (s->etcd.allow & ETCD_ALLOW_NO_CERT) != 0, "leave_pending",
			 s->leave_pending, "peers", mine ? mine : json_array());
	text = root ? json_dumps(root, JSON_INDENT(1)) : NULL;
	json_decref(root);
	if (!text)
		return errbuf_set(e, -ENOMEM, "out of memory");
	ret = file_write_atomic(s->path, text, strlen(text), &we);
	free(text);
	if (ret > 0)	/* renamed into place: the next start reads it */
		log_warn("%s written, but %s, ignoring", s->path, we.msg);
	else if (ret < 0)
		return errbuf_set(e, ret, "%s", we.msg);
	return 0;
}

static int file_load(struct store *s, struct errbuf *e)
{
	const char *urls, *ca, *cert, *key;
	json_t *root, *mine = NULL;
	json_error_t jerr;
	int leave = 0, http = 0, no_cert = 0, ret;
	struct errbuf risk = { 0 };

	root = json_load_file(s->path, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		if (access(s->path, F_OK) < 0 && errno == ENOENT)
			return 0;
		return errbuf_set(e, -EINVAL, "%s: %s", s->path, jerr.text);
	}
	ret = -EINVAL;
	/* the risks are absent from files written before they had to be taken explicitly */
	if (json_unpack_ex(root, &jerr, 0, "{s:s, s:s, s:s, s:s, s?b, s?b, s:b, s:o}", "urls",
			   &urls, "ca", &ca, "cert", &cert, "key", &key, "insecure_http", &http,
			   "no_client_cert", &no_cert, "leave_pending", &leave, "peers",
			   &mine) < 0 || !json_is_array(mine)) {
		errbuf_set(e, ret, "%s: %s", s->path, jerr.text);
		goto out;
	}
	ret = etcd_config(&s->etcd, urls, ca, cert, key, (http ? ETCD_ALLOW_HTTP : 0) |
			  (no_cert ? ETCD_ALLOW_NO_CERT : 0), e);
	if (ret < 0)
		goto out;
	s->mine.v = calloc(json_array_size(mine) + 1, sizeof(*s->mine.v));
	if (!s->mine.v) {
		ret = errbuf_set(e, -ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < json_array_size(mine); i++)
		if (keys_from_b64(json_string_value(json_array_get(mine, i)),
				  s->mine.v[s->mine.n]) == 0)
			s->mine.n++;
	store_hosts_keys_sort(&s->mine);
	s->leave_pending = leave;
	s->configured = !leave;
	/* a risk the file does not take: the store is not used (its peers stay) until wgnet
	 * init --store takes it, or gives https and a certificate; wgnetd serves meanwhile */
	if (etcd_check_risks(&s->etcd, &risk) < 0) {
		s->refused = true;
		snprintf(s->error, sizeof(s->error), "%.255s", risk.msg);
		log_error("store: %s: %s; not used until wgnet init --store", s->path, risk.msg);
	}
out:
	json_decref(root);
	return ret;
}

/* ---- what the store says */

static bool mine_has(const struct store *s, const uint8_t key[KEYS_LEN])
{
	return store_hosts_keys_has(&s->mine, key);
}

static bool sockaddr_same(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	const struct sockaddr_in *a4 = (const void *)a, *b4 = (const void *)b;
	const struct sockaddr_in6 *a6 = (const void *)a, *b6 = (const void *)b;

	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET)
		return a4->sin_port == b4->sin_port && a4->sin_addr.s_addr == b4->sin_addr.s_addr;
	if (a->ss_family == AF_INET6)
		return a6->sin6_port == b6->sin6_port &&
		       memcmp(&a6->sin6_addr, &b6->sin6_addr, sizeof(a6->sin6_addr)) == 0;
	return true;
}

static int peer_key_order(const void *a, const void *b)
{
	return memcmp(((const struct state_peer *)a)->public_key,
		      ((const struct state_peer *)b)->public_key, KEYS_LEN);
}

/*
 * Peers whose record now advertises another endpoint (moved, sorted by key) get it on the device
 * at once (the device keeps a peer's endpoint otherwise, maybe learnt from its packets): unless
 * their session is live, since then the endpoint in use works and WireGuard follows the peer
 * when it moves. Lock held.
 */
static void endpoints_push(struct driver *d, const struct state_peer *moved, size_t nmoved)
{
	struct wg_device have = { 0 };
	time_t now = time(NULL);

	if (!nmoved || mesh_device_read(d, &have) < 0)
		return;
	for (size_t i = 0; i < have.npeers; i++) {
		const struct wg_peer *wp = &have.peers[i];
		const struct state_peer *p;
		struct state_peer probe;
		struct sockaddr_storage ep;

		memcpy(probe.public_key, wp->public_key, KEYS_LEN);
		p = bsearch(&probe, moved, nmoved, sizeof(*moved), peer_key_order);
		if (!p || !p->endpoint[0])
			continue;
		if (wp->last_handshake_sec && now - wp->last_handshake_sec < STORE_SESSION_SECONDS) {
			log_debug("store: peer %s advertises %s; its live session keeps its endpoint",
				  p->name, p->endpoint);
			continue;
		}
		if (resolve_endpoint(d, p->endpoint, &ep) < 0 || sockaddr_same(&ep, &wp->endpoint))
			continue;
		if (mesh_peer_endpoint_set(d, wp, &ep) < 0)
			log_warn("store: peer %s: could not set endpoint %s", p->name, p->endpoint);
		else
			log_info("store: peer %s: endpoint %s (its record changed)", p->name,
				 p->endpoint);
	}
	wg_device_release(&have);
}

/*
 * The store's valid records into the state's peers in one step, lock held (store_hosts_plan:
 * peers from the store that no valid record names go, new ones come, changed ones change, and
 * a record that re-keys an index replaces the peer there). Saved and applied when changed.
 */
static void store_apply(struct driver *d)
{
	struct store *s = d->store;
	struct store_plan plan = { 0 };
	struct state_peer *was;
	struct errbuf e = { 0 };
	size_t nwas;

	if (!s->configured || !s->synced || !d->st.host_index)
		return;
	if (store_hosts_plan(&s->hosts, &d->st, &s->mine, &plan) < 0) {
		log_error("store: out of memory applying revision %lld", (long long)s->rev);
		return;
	}
	if (!plan.changed)
		goto out;
	was = d->st.peers;
	nwas = d->st.npeers;
	d->st.peers = plan.peers;
	d->st.npeers = plan.npeers;
	if (persist_save(d, &e) < 0) {
		/* back to what was saved: the next change tries again */
		log_error("store: %s", e.msg);
		d->st.peers = was;
		d->st.npeers = nwas;
		goto out;
	}
	plan.peers = was;	/* freed with the plan */
	store_hosts_keys_release(&s->mine);
	s->mine = plan.mine;
	plan.mine = (struct store_keys){ 0 };
	if (file_save(s, &e) < 0)
		log_error("store: %s", e.msg);
	if (mesh_sync(d, &e) < 0)
		log_error("store: %s", e.msg);
	endpoints_push(d, plan.moved, plan.nmoved);
	/* after the device has them: bench/store_scale times this line */
	log_info("store: revision %lld applied, %zu peer(s) from the store", (long long)s->rev,
		 s->mine.n);
out:
	store_hosts_plan_release(&plan);
}

/* ---- this host's side */

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
static void own_record(const struct driver *d, struct store_record *r)
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
}

/*
 * The lease kept alive (a new one when it lapsed), and, guarded by our claim, the record (when
 * record is set) and the liveness key (with the record, or under a new lease). *gone: our
 * claim is not there.
 */
static int publish(struct etcd *c, const struct store_record *r, bool record, int64_t *lease,
		   bool *gone, struct errbuf *e)
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
		ret = etcd_txn_if_value(c, ikey, key, ops, n, &done, e);
	else
		done = true;
	free(text);
	if (ret == 0)
		*gone = !done;
	return ret;
}

static void set_reachable(struct store *s, int ret, const struct errbuf *e)
{
	if (ret == 0) {
		if (!s->reachable)
			log_info("store: reachable");
		s->reachable = true;
		s->error[0] = 0;
	} else {
		/* once per outage, not once per retry (status has the latest reason) */
		if (s->reachable || !s->error[0])
			log_warn("store: %s; peers stay as they are", e->msg);
		s->reachable = false;
		snprintf(s->error, sizeof(s->error), "%.255s", e->msg);
	}
}

static void sleep_ms(const atomic_bool *stop, unsigned ms)
{
	struct timespec tick = { .tv_nsec = 100 * 1000 * 1000 };

	for (unsigned t = 0; t < ms && !atomic_load(stop); t += 100)
		nanosleep(&tick, NULL);
}

static int watch_events(void *arg, const struct etcd_event *ev, size_t n, int64_t rev)
{
	struct driver *d = arg;
	struct store *s = d->store;

	pthread_mutex_lock(&d->lock);
	for (size_t i = 0; i < n; i++)
		store_hosts_update(&s->hosts, ev[i].kv, ev[i].deleted);
	if (store_hosts_reindex(&s->hosts) < 0)
		log_error("store: out of memory indexing the hosts by key");
	if (rev > s->rev)
		s->rev = rev;
	set_reachable(s, 0, NULL);
	if (n)
		store_apply(d);
	pthread_mutex_unlock(&d->lock);
	return 0;
}

/* Everything read again; a peer's failover goes on where it was if its record is the same. */
static void hosts_reset(struct store *s, const struct etcd_kvs *kvs)
{
	struct store_hosts was = s->hosts;

	s->hosts = (struct store_hosts){ 0 };
	for (size_t i = 0; i < kvs->n; i++)
		store_hosts_update(&s->hosts, &kvs->v[i], false);
	for (size_t i = 0; i < s->hosts.n; i++) {
		struct store_host *h = &s->hosts.v[i];
		const struct store_host *o = store_hosts_get(&was, h->index, false);

		if (o && o->has_record && h->has_record && memcmp(&o->rec, &h->rec, sizeof(h->rec)) == 0)
			h->fo = o->fo;
	}
	store_hosts_release(&was);
	if (store_hosts_reindex(&s->hosts) < 0)
		log_error("store: out of memory indexing the hosts by key");
	s->rev = kvs->revision;
	s->synced = true;
}

static void *watcher_main(void *arg)
{
	struct driver *d = arg;
	struct store *s = d->store;
	bool resync = true;

	while (!atomic_load(&s->stop)) {
		struct etcd_kvs kvs = { 0 };
		struct errbuf e = { 0 };
		int64_t from;
		int ret = 0;

		if (resync) {
			ret = etcd_range_prefix(&s->etcd, STORE_PREFIX, &kvs, &e);
			pthread_mutex_lock(&d->lock);
			if (ret == 0) {
				hosts_reset(s, &kvs);
				store_apply(d);
				resync = false;
			}
			set_reachable(s, ret, &e);
			pthread_mutex_unlock(&d->lock);
			etcd_kvs_release(&kvs);
		}
		if (!resync) {
			pthread_mutex_lock(&d->lock);
			from = s->rev + 1;
			pthread_mutex_unlock(&d->lock);
			ret = etcd_watch_prefix(&s->etcd, STORE_PREFIX, from, watch_events, d,
						&s->stop, &e);
			if (ret == -ESTALE) {
				log_info("store: revision %lld was compacted: reading everything "
					 "again", (long long)from);
				resync = true;
				continue;
			}
			pthread_mutex_lock(&d->lock);
			if (ret < 0)
				set_reachable(s, -ENOTCONN, &e);
			pthread_mutex_unlock(&d->lock);
		}
		sleep_ms(&s->stop, 1000);
	}
	return NULL;
}

static int leave_txn(struct etcd *c, unsigned index, const uint8_t claim[KEYS_LEN],
		     bool *done, struct errbuf *e)
{
	char ikey[STORE_KEY_MAX], hkey[STORE_KEY_MAX], akey[STORE_KEY_MAX], key[KEYS_B64_LEN];
	struct etcd_op ops[3] = { { .key = hkey }, { .key = akey }, { .key = ikey } };

	keys_b64(claim, key);
	store_key_format(STORE_INDEX_PREFIX, index, ikey);
	store_key_format(STORE_HOSTS_PREFIX, index, hkey);
	store_key_format(STORE_ALIVE_PREFIX, index, akey);
	return etcd_txn_if_value(c, ikey, key, ops, 3, done, e);
}

/* Out of the store: its peers go, the threads end. Lock held. */
static void leave_finish(struct driver *d)
{
	struct store *s = d->store;
	struct errbuf e = { 0 };
	size_t n = 0;


	for (size_t j = 0; j < d->st.npeers; j++)	/* in place: one pass, not a move per peer */
		if (!mine_has(s, d->st.peers[j].public_key))
			d->st.peers[n++] = d->st.peers[j];
	d->st.npeers = n;
	store_hosts_keys_release(&s->mine);
	s->configured = false;
	s->leave_pending = false;
	s->synced = false;
	atomic_store(&s->stop, true);
	if (persist_save(d, &e) < 0 || file_save(s, &e) < 0)
		log_error("store: leave: %s", e.msg);
	if (mesh_sync(d, &e) < 0)
		log_error("store: leave: %s", e.msg);
	log_info("store: this host left the mesh");
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
	leave = s->leave_pending;
	own_record(d, &r);
	/* the record only when the store's differs (new endpoints, or overwritten): every put
	 * is an event for every host */
	h = store_hosts_get(&s->hosts, r.index, false);
	record = s->publish || (s->synced && (!h || !h->has_record ||
					      memcmp(&h->rec, &r, sizeof(r)) != 0));
	due = !s->removed && (record || !s->lease ||
			      time(NULL) - s->renewed >= STORE_RENEW_SECONDS);
	lease = s->lease;
	pthread_mutex_unlock(&d->lock);
	if (leave) {
		ret = leave_txn(&s->etcd, r.index, r.key, &done, &e);
		pthread_mutex_lock(&d->lock);
		set_reachable(s, ret, &e);
		if (ret == 0)
			leave_finish(d);
		pthread_mutex_unlock(&d->lock);
		return;
	}
	if (!due)
		return;
	ret = publish(&s->etcd, &r, record, &lease, &gone, &e);
	pthread_mutex_lock(&d->lock);
	set_reachable(s, ret, &e);
	if (ret == 0) {
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

		if (!h || h->rec.nendpoints < 2 || !mine_has(s, wp->public_key))
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
		if (mesh_peer_endpoint_set(d, wp, &ep) < 0)
			log_warn("store: peer %s: could not set endpoint %s, ignoring", h->rec.name,
				 h->rec.endpoints[f->cur]);
	}
	wg_device_release(&have);
}

static void *keeper_main(void *arg)
{
	struct driver *d = arg;
	struct store *s = d->store;

	while (!atomic_load(&s->stop)) {
		keeper_tick(d);
		pthread_mutex_lock(&d->lock);
		if (s->configured)
			failover_tick(d);
		pthread_mutex_unlock(&d->lock);
		sleep_ms(&s->stop, 1000);
	}
	return NULL;
}

/* Joins threads that ran; no lock held (they take it). */
static void threads_stop(struct store *s)
{
	if (!s->running)
		return;
	atomic_store(&s->stop, true);
	pthread_join(s->watcher, NULL);
	pthread_join(s->keeper, NULL);
	s->running = false;
}

/* publish: the record goes to the store at the keeper's first tick (it may be stale there) */
static void threads_start(struct driver *d, bool publish)
{
	struct store *s = d->store;

	atomic_store(&s->stop, false);
	s->publish = publish;
	if (pthread_create(&s->watcher, NULL, watcher_main, d) != 0) {
		log_error("store: could not start the watch thread");
		return;
	}
	if (pthread_create(&s->keeper, NULL, keeper_main, d) != 0) {
		log_error("store: could not start the keepalive thread");
		atomic_store(&s->stop, true);
		pthread_join(s->watcher, NULL);
		return;
	}
	s->running = true;
}

int store_new(struct driver *d, const char *state_dir, struct errbuf *e)
{
	struct store *s = calloc(1, sizeof(*s));
	int ret;

	if (!s)
		return errbuf_set(e, -ENOMEM, "out of memory");
	pthread_once(&curl_once, curl_init_once);
	snprintf(s->path, sizeof(s->path), "%s/%s", state_dir, STORE_FILE_NAME);
	d->store = s;
	ret = file_load(s, e);
	if (ret < 0)
		return ret;
	if ((s->configured || s->leave_pending) && d->st.host_index && !s->refused)
		threads_start(d, true);
	return 0;
}

void store_free(struct driver *d)
{
	struct store *s = d->store;

	if (!s)
		return;
	threads_stop(s);
	store_hosts_release(&s->hosts);
	store_hosts_keys_release(&s->mine);
	free(s);
	d->store = NULL;
}

/* ---- requests */

/* The index this key holds, or the lowest free one claimed now. */
static int claim_index(struct etcd *c, const uint8_t pub[KEYS_LEN], unsigned want,
		       unsigned *out, struct errbuf *e)
{
	char ikey[STORE_KEY_MAX], key[KEYS_B64_LEN];
	struct etcd_kvs kvs = { 0 };
	uint8_t taken[65536 / 8] = { 0 };
	bool created = false;
	unsigned idx;
	int ret;

	keys_b64(pub, key);
	ret = etcd_range_prefix(c, STORE_INDEX_PREFIX, &kvs, e);
	if (ret < 0)
		return ret;
	for (size_t i = 0; i < kvs.n; i++) {
		if (store_key_parse(kvs.v[i].key, &idx) != STORE_KEY_INDEX)
			continue;
		taken[idx / 8] |= (uint8_t)(1u << (idx % 8));
		if (strcmp(kvs.v[i].value, key) == 0 && (!want || want == idx)) {
			*out = idx;	/* ours already: init again */
			etcd_kvs_release(&kvs);
			return 0;
		}
	}
	etcd_kvs_release(&kvs);
	for (unsigned tries = 0; tries < STORE_CLAIM_TRIES; tries++) {
		struct etcd_kvs held = { 0 };

		for (idx = want ? want : 1; !want && idx < 65536; idx++)
			if (!(taken[idx / 8] & (1u << (idx % 8))))
				break;
		if (idx > 65535)
			return errbuf_set(e, -ENOSPC, "every host index 1..65535 is taken");
		store_key_format(STORE_INDEX_PREFIX, idx, ikey);
		ret = etcd_create(c, ikey, key, 0, &created, &held, e);
		if (ret < 0)
			return ret;
		if (created) {
			*out = idx;
			return 0;
		}
		if (want) {
			char hkey[STORE_KEY_MAX], holder[STATE_NAME_MAX] = "";
			struct etcd_kvs rec = { 0 };
			struct store_record r;

			store_key_format(STORE_HOSTS_PREFIX, idx, hkey);
			if (etcd_range_prefix(c, hkey, &rec, NULL) == 0)
				for (size_t i = 0; i < rec.n; i++)
					if (strcmp(rec.v[i].key, hkey) == 0 &&
					    store_record_parse(rec.v[i].value, rec.v[i].value_len,
							       &r, NULL) == 0)
						snprintf(holder, sizeof(holder), "%s", r.name);
			etcd_kvs_release(&rec);
			ret = errbuf_set(e, -EEXIST, "index %u is held by host %s (key %.44s): pick "
					 "another, or leave --index out for the lowest free one",
					 idx, holder[0] ? holder : "(no record)",
					 held.n ? held.v[0].value : "?");
			etcd_kvs_release(&held);
			return ret;
		}
		etcd_kvs_release(&held);
		taken[idx / 8] |= (uint8_t)(1u << (idx % 8));	/* someone was faster */
	}
	return errbuf_set(e, -EBUSY, "could not claim a host index in %d tries",
			  STORE_CLAIM_TRIES);
}

int driver_store_init(struct driver *d, const struct store_init_req *req, struct errbuf *e)
{
	struct store *s = d->store;
	struct host_init_req hreq = {
		.endpoint = req->endpoint, .mtu = req->mtu, .listen_port = req->listen_port,
		.name = req->name,
	};
	struct store_record r;
	uint8_t pub[KEYS_LEN];
	struct etcd c;
	int64_t lease = 0;
	bool gone = false;
	unsigned want;
	int ret;

	if (req->index > 65535)
		return errbuf_set(e, -EINVAL, "host index %u out of range 1..65535", req->index);
	ret = etcd_config(&c, req->urls, req->ca, req->cert, req->key,
			  (req->insecure_http ? ETCD_ALLOW_HTTP : 0) |
			  (req->no_client_cert ? ETCD_ALLOW_NO_CERT : 0), e);
	if (ret == 0)
		ret = etcd_check_risks(&c, e);
	if (ret < 0)
		return ret;
	/* a host that has an index (its networks use its slice) asks for that one */
	pthread_mutex_lock(&d->lock);
	ret = mesh_public_key(d, pub, e);
	want = req->index ? req->index : d->st.host_index;
	pthread_mutex_unlock(&d->lock);
	if (ret < 0)
		return ret;
	ret = claim_index(&c, pub, want, &hreq.index, e);
	if (ret < 0)
		return ret;
	threads_stop(s);
	ret = driver_host_init(d, &hreq, e);
	if (ret < 0) {
		/* nothing published: the claim alone is harmless, init again */
		pthread_mutex_lock(&d->lock);
		if ((s->configured || s->leave_pending) && !s->refused)
			threads_start(d, true);	/* the store we had goes on */
		pthread_mutex_unlock(&d->lock);
		return ret;
	}
	pthread_mutex_lock(&d->lock);
	s->etcd = c;
	s->configured = true;
	s->refused = false;
	s->leave_pending = false;
	s->removed = false;
	s->synced = false;
	s->lease = 0;
	own_record(d, &r);
	pthread_mutex_unlock(&d->lock);
	/* published before the answer: the others see this host as soon as init returns */
	ret = publish(&c, &r, true, &lease, &gone, e);
	pthread_mutex_lock(&d->lock);
	if (ret == 0) {
		s->lease = lease;
		s->renewed = time(NULL);
	}
	if (file_save(s, e) < 0)
		ret = ret < 0 ? ret : -EIO;
	pthread_mutex_unlock(&d->lock);
	/* published just now: again only if that failed (another put is an event on every host) */
	threads_start(d, ret < 0 || gone);
	if (ret == 0 && gone)
		ret = errbuf_set(e, -EBUSY, "index %u was removed from the store meanwhile: run "
				 "wgnet init again", r.index);
	if (ret == 0)
		log_info("store: host %s joined %s as index %u", r.name, c.urls[0], r.index);
	return ret;
}

int driver_store_leave(struct driver *d, struct errbuf *e)
{
	struct store *s = d->store;
	uint8_t key[KEYS_LEN];
	struct etcd c;
	unsigned index;
	bool done = false;
	int ret;

	pthread_mutex_lock(&d->lock);
	if (!s->configured && !s->leave_pending) {
		pthread_mutex_unlock(&d->lock);
		return errbuf_set(e, -ENOENT, "this host is in no store (wgnet init --store)");
	}
	if (s->refused) {
		ret = errbuf_set(e, -EINVAL, "the store is not used: %s", s->error);
		pthread_mutex_unlock(&d->lock);
		return ret;
	}
	c = s->etcd;
	index = d->st.host_index;
	memcpy(key, d->st.host_public_key, KEYS_LEN);
	pthread_mutex_unlock(&d->lock);
	ret = leave_txn(&c, index, key, &done, e);
	pthread_mutex_lock(&d->lock);
	if (ret == -ENOTCONN && !s->leave_pending) {
		s->leave_pending = true;
		if (file_save(s, NULL) < 0)
			log_error("store: could not save the pending leave");
	}
	if (ret == 0 && (s->configured || s->leave_pending))
		leave_finish(d);
	pthread_mutex_unlock(&d->lock);
	if (ret == -ENOTCONN) {
		char why[ERRBUF_MSG_MAX];

		snprintf(why, sizeof(why), "%s", e->msg);	/* e is written next */
		return errbuf_set(e, -EAGAIN, "%.300s: the leave is saved and applies when the "
				  "store answers again (wgnet status shows it pending)", why);
	}
	return ret;
}

int driver_store_host_rm(struct driver *d, const char *name, struct errbuf *e)
{
	struct store *s = d->store;
	const struct store_host *h = NULL;
	uint8_t claim[KEYS_LEN];
	struct etcd c;
	unsigned index = 0;
	bool done = false, configured, refused, self;
	char why[sizeof(s->error)];
	int ret;

	pthread_mutex_lock(&d->lock);
	for (size_t i = 0; s->configured && i < s->hosts.n; i++)	/* one request: a scan */
		if (s->hosts.v[i].has_record && s->hosts.v[i].has_claim &&
		    strcmp(s->hosts.v[i].rec.name, name) == 0)
			h = &s->hosts.v[i];
	if (h) {
		index = h->index;
		memcpy(claim, h->claim, KEYS_LEN);
	}
	c = s->etcd;
	configured = s->configured;
	refused = s->refused;
	memcpy(why, s->error, sizeof(why));
	self = h && index == d->st.host_index;
	pthread_mutex_unlock(&d->lock);
	if (!configured)
		return errbuf_set(e, -ENOENT, "this host is in no store (wgnet init --store)");
	if (refused)
		return errbuf_set(e, -EINVAL, "the store is not used: %s", why);
	if (!h)
		return errbuf_set(e, -ENOENT, "no host named '%.64s' in the store (see wgnet peer "
				  "ls)", name);
	if (self)
		return errbuf_set(e, -EINVAL, "%s is this host: use wgnet leave", name);
	ret = leave_txn(&c, index, claim, &done, e);
	if (ret == 0 && !done)
		ret = errbuf_set(e, -EBUSY, "the claim of index %u changed meanwhile: look again",
				 index);
	if (ret == 0)
		log_info("store: host %s (index %u) removed from the store", name, index);
	return ret;
}

void store_status_fill(struct driver *d, struct driver_status *out)
{
	struct store *s = d->store;
	struct status_store *st = &out->store;

	st->configured = s->configured;
	st->leave_pending = s->leave_pending;
	st->removed = s->removed;
	if (s->configured || s->leave_pending)
		etcd_urls_text(&s->etcd, st->urls, sizeof(st->urls));
	st->reachable = s->reachable;
	snprintf(st->error, sizeof(st->error), "%.255s", s->reachable ? "" : s->error);
	st->revision = s->rev;
	st->hosts = s->hosts.nby_key;	/* those with a record */
	/* mesh_status_fill made out->peers[i] of d->st.peers[i] */
	for (size_t i = 0; i < out->npeers && i < d->st.npeers; i++) {
		const struct state_peer *sp = &d->st.peers[i];
		struct status_peer *p = &out->peers[i];
		const struct store_host *h;

		p->from_store = mine_has(s, sp->public_key);
		h = p->from_store ? store_hosts_by_key(&s->hosts, sp->public_key) : NULL;
		p->alive = !p->from_store ? -1 : h && h->alive ? 1 : 0;
	}
}
