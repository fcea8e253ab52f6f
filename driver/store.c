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

#include "driver/driver_impl.h"
#include "driver/log.h"
#include "driver/store.h"
#include "driver/store_etcd.h"
#include "driver/store_record.h"

#define STORE_FILE_NAME "store.json"
#define STORE_RENEW_SECONDS 10		/* keepalive period, a third of the lease */
#define STORE_FAILOVER_SECONDS 15	/* no handshake on an endpoint for this long: next */
#define STORE_SESSION_SECONDS 180	/* WireGuard's reject-after time: a session this young lives */
#define STORE_CLAIM_TRIES 256

struct store_host {
	unsigned index;
	bool has_claim;
	uint8_t claim[KEYS_LEN];
	int64_t claim_rev;
	bool has_record;
	struct store_record rec;
	int64_t rec_rev;
	bool alive;
	int64_t logged_rev;		/* a refused record is logged once per revision */
};

struct store_failover {
	uint8_t key[KEYS_LEN];
	size_t cur;			/* endpoint tried now */
	time_t since;
	bool settled;			/* a handshake came: its endpoint is kept */
};

struct store {
	char path[PATH_MAX];
	struct etcd etcd;
	bool configured;
	bool leave_pending;
	bool removed;
	atomic_bool stop;
	pthread_t watcher, keeper;
	bool running;
	struct store_host *hosts;
	size_t nhosts;
	int64_t rev;
	bool synced;			/* hosts reflect the store at rev */
	bool reachable;
	char error[256];
	uint8_t (*mine)[KEYS_LEN];	/* peers that came from the store */
	size_t nmine;
	int64_t lease;
	time_t renewed;
	bool publish;
	struct store_failover *fo;
	size_t nfo;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init_once(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* ---- store.json: the store's address, our peers from it, a pending leave */

static int file_save(const struct store *s, struct errbuf *e)
{
	char tmp[PATH_MAX + 8], urls[512], key[KEYS_B64_LEN];
	json_t *root, *mine;
	char *text;
	int fd, ret = 0;

	if (!s->configured && !s->leave_pending) {
		if (unlink(s->path) < 0 && errno != ENOENT)
			return errbuf_set(e, -errno, "could not remove %s: %s", s->path,
					  strerror(errno));
		return 0;
	}
	mine = json_array();
	for (size_t i = 0; mine && i < s->nmine; i++) {
		keys_b64(s->mine[i], key);
		json_array_append_new(mine, json_string(key));
	}
	etcd_urls_text(&s->etcd, urls, sizeof(urls));
	root = json_pack("{s:s, s:s, s:s, s:s, s:b, s:o}", "urls", urls, "ca", s->etcd.ca,
			 "cert", s->etcd.cert, "key", s->etcd.key, "leave_pending",
			 s->leave_pending, "peers", mine ? mine : json_array());
	text = root ? json_dumps(root, JSON_INDENT(1)) : NULL;
	json_decref(root);
	if (!text)
		return errbuf_set(e, -ENOMEM, "out of memory");
	snprintf(tmp, sizeof(tmp), "%s.tmp", s->path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text) || fsync(fd) < 0)
		ret = -errno;
	if (fd >= 0 && close(fd) < 0 && ret == 0)
		ret = -errno;
	if (ret == 0 && rename(tmp, s->path) < 0)
		ret = -errno;
	free(text);
	if (ret < 0) {
		unlink(tmp);
		return errbuf_set(e, ret, "could not write %s: %s", s->path, strerror(-ret));
	}
	return 0;
}

static int file_load(struct store *s, struct errbuf *e)
{
	const char *urls, *ca, *cert, *key;
	json_t *root, *mine = NULL;
	json_error_t jerr;
	int leave = 0, ret;

	root = json_load_file(s->path, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		if (access(s->path, F_OK) < 0 && errno == ENOENT)
			return 0;
		return errbuf_set(e, -EINVAL, "%s: %s", s->path, jerr.text);
	}
	ret = -EINVAL;
	if (json_unpack_ex(root, &jerr, 0, "{s:s, s:s, s:s, s:s, s:b, s:o}", "urls", &urls, "ca",
			   &ca, "cert", &cert, "key", &key, "leave_pending", &leave, "peers",
			   &mine) < 0 || !json_is_array(mine)) {
		errbuf_set(e, ret, "%s: %s", s->path, jerr.text);
		goto out;
	}
	ret = etcd_config(&s->etcd, urls, ca, cert, key, e);
	if (ret < 0)
		goto out;
	s->mine = calloc(json_array_size(mine) + 1, sizeof(*s->mine));
	if (!s->mine) {
		ret = errbuf_set(e, -ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < json_array_size(mine); i++)
		if (keys_from_b64(json_string_value(json_array_get(mine, i)), s->mine[s->nmine]) == 0)
			s->nmine++;
	s->leave_pending = leave;
	s->configured = !leave;
out:
	json_decref(root);
	return ret;
}

/* ---- what the store says */

static struct store_host *host_get(struct store *s, unsigned index, bool create)
{
	struct store_host *v;

	for (size_t i = 0; i < s->nhosts; i++)
		if (s->hosts[i].index == index)
			return &s->hosts[i];
	if (!create)
		return NULL;
	v = realloc(s->hosts, (s->nhosts + 1) * sizeof(*v));
	if (!v)
		return NULL;
	s->hosts = v;
	v = &s->hosts[s->nhosts++];
	memset(v, 0, sizeof(*v));
	v->index = index;
	return v;
}

static bool endpoints_same(const struct store_record *a, const struct store_record *b)
{
	if (a->nendpoints != b->nendpoints)
		return false;
	for (size_t i = 0; i < a->nendpoints; i++)
		if (strcmp(a->endpoints[i], b->endpoints[i]) != 0)
			return false;
	return true;
}

static void failover_forget(struct store *s, const uint8_t key[KEYS_LEN])
{
	for (size_t i = 0; i < s->nfo; i++)
		if (memcmp(s->fo[i].key, key, KEYS_LEN) == 0) {
			s->fo[i] = s->fo[--s->nfo];
			return;
		}
}

static void host_update(struct store *s, const struct etcd_kv *kv, bool deleted)
{
	struct store_record was = { 0 };
	struct errbuf e = { 0 };
	struct store_host *h;
	unsigned index;
	enum store_key_kind kind = store_key_parse(kv->key, &index);

	if (kind == STORE_KEY_OTHER)
		return;
	h = host_get(s, index, !deleted);
	if (!h)
		return;
	switch (kind) {
	case STORE_KEY_INDEX:
		h->has_claim = !deleted && keys_from_b64(kv->value, h->claim) == 0;
		h->claim_rev = kv->create_rev;
		if (!deleted && !h->has_claim)
			log_warn("store: claim of index %u is not a key, ignoring", index);
		break;
	case STORE_KEY_HOST:
		h->rec_rev = kv->mod_rev;
		if (h->has_record)
			was = h->rec;
		if (deleted) {
			h->has_record = false;
		} else if (store_record_parse(kv->value, kv->value_len, &h->rec, &e) < 0) {
			log_warn("store: record of index %u refused: %s", index, e.msg);
		} else {
			h->has_record = true;
			/* new endpoints: failover starts again at the first */
			if (was.nendpoints && !endpoints_same(&was, &h->rec))
				failover_forget(s, was.key);
		}
		break;
	case STORE_KEY_ALIVE:
		h->alive = !deleted;
		break;
	case STORE_KEY_OTHER:
		break;
	}
}

static bool mine_in(uint8_t (*mine)[KEYS_LEN], size_t n, const uint8_t key[KEYS_LEN])
{
	for (size_t i = 0; i < n; i++)
		if (memcmp(mine[i], key, KEYS_LEN) == 0)
			return true;
	return false;
}

static bool mine_has(const struct store *s, const uint8_t key[KEYS_LEN])
{
	return mine_in(s->mine, s->nmine, key);
}

/* Why the record of h may not become a peer, NULL when it may. */
static const char *record_refusal(const struct driver *d, const struct store *s,
				  const struct store_host *h)
{
	const struct store_record *r = &h->rec;

	if (r->index != h->index)
		return "it names another index than its key";
	if (!h->has_claim || memcmp(h->claim, r->key, KEYS_LEN) != 0)
		return "its key is not the one that claimed the index";
	if (memcmp(r->key, d->st.host_public_key, KEYS_LEN) == 0)
		return "it claims this host's key";
	if (r->index == d->st.host_index)
		return "it claims this host's index";
	for (size_t i = 0; i < d->st.npeers; i++) {
		const struct state_peer *p = &d->st.peers[i];

		if (mine_has(s, p->public_key))
			continue;
		if (p->index == r->index || memcmp(p->public_key, r->key, KEYS_LEN) == 0 ||
		    strcmp(p->name, r->name) == 0)
			return "a peer from a join line has its index, key or name";
	}
	for (size_t i = 0; i < s->nhosts; i++) {
		const struct store_host *o = &s->hosts[i];

		if (o == h || !o->has_record || o->index != o->rec.index || !o->has_claim ||
		    memcmp(o->claim, o->rec.key, KEYS_LEN) != 0 || o->claim_rev > h->claim_rev)
			continue;
		/* the older claim keeps a key or a name */
		if (memcmp(o->rec.key, r->key, KEYS_LEN) == 0)
			return "another host's older record has its key";
		if (strcmp(o->rec.name, r->name) == 0)
			return "another host's older record has its name";
	}
	return NULL;
}

static const struct store_host *host_by_key(const struct store *s, const uint8_t key[KEYS_LEN])
{
	for (size_t i = 0; i < s->nhosts; i++)
		if (s->hosts[i].has_record && memcmp(s->hosts[i].rec.key, key, KEYS_LEN) == 0)
			return &s->hosts[i];
	return NULL;
}

static bool host_valid(const struct driver *d, const struct store *s, struct store_host *h)
{
	const char *why;

	if (!h->has_record)
		return false;
	if (h->index == d->st.host_index &&
	    memcmp(h->rec.key, d->st.host_public_key, KEYS_LEN) == 0)
		return false;	/* this host's own */
	why = record_refusal(d, s, h);
	if (why && h->logged_rev != h->rec_rev) {
		log_warn("store: record of index %u (%s) refused: %s", h->index, h->rec.name, why);
		h->logged_rev = h->rec_rev;
	}
	return !why;
}

static const char *failover_endpoint(const struct store *s, const struct store_host *h)
{
	for (size_t i = 0; i < s->nfo; i++)
		if (memcmp(s->fo[i].key, h->rec.key, KEYS_LEN) == 0 && h->rec.nendpoints)
			return h->rec.endpoints[s->fo[i].cur % h->rec.nendpoints];
	return h->rec.nendpoints ? h->rec.endpoints[0] : "";
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

/*
 * Peers whose record now advertises another endpoint get it on the device at once (the device
 * keeps a peer's endpoint otherwise, maybe learnt from its packets): unless their session is
 * live, since then the endpoint in use works and WireGuard follows the peer when it moves.
 * Lock held.
 */
static void endpoints_push(struct driver *d, uint8_t (*moved)[KEYS_LEN], size_t nmoved)
{
	struct wg_device have = { 0 };
	time_t now = time(NULL);

	if (!nmoved || !mesh_usable(d) || d->wg.get_device(&d->wg, NAMES_WG_DEVICE, &have) < 0)
		return;
	for (size_t i = 0; i < have.npeers; i++) {
		const struct wg_peer *wp = &have.peers[i];
		const struct state_peer *p = NULL;
		struct wg_peer set = { 0 };

		if (!mine_in(moved, nmoved, wp->public_key))
			continue;
		for (size_t j = 0; j < d->st.npeers && !p; j++)
			if (memcmp(d->st.peers[j].public_key, wp->public_key, KEYS_LEN) == 0)
				p = &d->st.peers[j];
		if (!p || !p->endpoint[0])
			continue;
		if (wp->last_handshake_sec && now - wp->last_handshake_sec < STORE_SESSION_SECONDS) {
			log_debug("store: peer %s advertises %s; its live session keeps its endpoint",
				  p->name, p->endpoint);
			continue;
		}
		if (resolve_endpoint(d, p->endpoint, &set.endpoint) < 0 ||
		    sockaddr_same(&set.endpoint, &wp->endpoint))
			continue;
		memcpy(set.public_key, wp->public_key, KEYS_LEN);
		set.keepalive = wp->keepalive;
		if (d->wg.set_peers(&d->wg, NAMES_WG_DEVICE, &set, 1) < 0)
			log_warn("store: peer %s: could not set endpoint %s", p->name, p->endpoint);
		else
			log_info("store: peer %s: endpoint %s (its record changed)", p->name,
				 p->endpoint);
	}
	wg_device_release(&have);
}

/*
 * The store's valid records into the state's peers, lock held: peers from the store that no
 * valid record names go, new ones come, changed ones change. Saved and applied when changed.
 */
static void store_apply(struct driver *d)
{
	struct store *s = d->store;
	struct state_peer *old = NULL;
	uint8_t (*mine)[KEYS_LEN], (*moved)[KEYS_LEN] = NULL;
	size_t nold = d->st.npeers, nmine = 0, nmoved = 0;
	struct errbuf e = { 0 };
	bool changed = false;

	if (!s->configured || !s->synced || !d->st.host_index)
		return;
	mine = calloc(s->nhosts + d->st.npeers + 1, sizeof(*mine));
	old = calloc(nold + 1, sizeof(*old));
	moved = calloc(s->nhosts + 1, sizeof(*moved));
	if (!mine || !old || !moved)
		goto out;
	if (nold)
		memcpy(old, d->st.peers, nold * sizeof(*old));
	for (size_t i = 0; i < s->nhosts; i++) {
		struct store_host *h = &s->hosts[i];
		const char *ep = failover_endpoint(s, h);
		struct state_peer *p = NULL;

		if (!host_valid(d, s, h))
			continue;
		memcpy(mine[nmine++], h->rec.key, KEYS_LEN);
		for (size_t j = 0; j < d->st.npeers; j++)
			if (memcmp(d->st.peers[j].public_key, h->rec.key, KEYS_LEN) == 0)
				p = &d->st.peers[j];
		if (!p) {
			p = state_peer_add(&d->st);
			if (!p)
				goto out;
			memcpy(p->public_key, h->rec.key, KEYS_LEN);
			p->keepalive = 25;
			changed = true;
			log_info("store: peer %s added: index %u", h->rec.name, h->index);
		} else if (ep[0] && strcmp(p->endpoint, ep) != 0) {
			/* the device keeps a known peer's endpoint: endpoints_push moves it */
			memcpy(moved[nmoved++], p->public_key, KEYS_LEN);
		}
		if (p->index != h->index || strcmp(p->name, h->rec.name) != 0 ||
		    strcmp(p->endpoint, ep) != 0) {
			p->index = h->index;
			snprintf(p->name, sizeof(p->name), "%s", h->rec.name);
			snprintf(p->endpoint, sizeof(p->endpoint), "%s", ep);
			changed = true;
		}
	}
	for (size_t j = d->st.npeers; j-- > 0;) {
		const struct state_peer *p = &d->st.peers[j];
		const struct store_host *h = host_get(s, p->index, false);
		bool keep = !mine_has(s, p->public_key);

		for (size_t k = 0; !keep && k < nmine; k++)
			keep = memcmp(mine[k], p->public_key, KEYS_LEN) == 0;
		if (keep)
			continue;
		/* a refused record that replaced a good one changes nothing: only a removed
		 * record removes a peer */
		if (h && h->has_record && !mine_in(mine, nmine, p->public_key)) {
			memcpy(mine[nmine++], p->public_key, KEYS_LEN);
			continue;
		}
		log_info("store: peer %s removed (its record is gone)", p->name);
		state_peer_remove(&d->st, j);
		changed = true;
	}
	if (!changed)
		goto out;
	if (driver_save(d, &e) < 0) {
		/* back to what was saved: the next change tries again */
		log_error("store: %s", e.msg);
		free(d->st.peers);
		d->st.peers = old;
		d->st.npeers = nold;
		old = NULL;
		goto out;
	}
	free(s->mine);
	s->mine = mine;
	s->nmine = nmine;
	mine = NULL;
	if (file_save(s, &e) < 0)
		log_error("store: %s", e.msg);
	if (mesh_sync(d, &e) < 0)
		log_error("store: %s", e.msg);
	endpoints_push(d, moved, nmoved);
	/* after the device has them: bench/store_scale times this line */
	log_info("store: revision %lld applied, %zu peer(s) from the store", (long long)s->rev,
		 s->nmine);
out:
	free(mine);
	free(moved);
	if (old && d->st.peers != old)
		free(old);
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
		host_update(s, ev[i].kv, ev[i].deleted);
	if (rev > s->rev)
		s->rev = rev;
	set_reachable(s, 0, NULL);
	if (n)
		store_apply(d);
	pthread_mutex_unlock(&d->lock);
	return 0;
}

static void hosts_reset(struct store *s, const struct etcd_kvs *kvs)
{
	free(s->hosts);
	s->hosts = NULL;
	s->nhosts = 0;
	for (size_t i = 0; i < kvs->n; i++)
		host_update(s, &kvs->v[i], false);
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

	for (size_t j = d->st.npeers; j-- > 0;)
		if (mine_has(s, d->st.peers[j].public_key))
			state_peer_remove(&d->st, j);
	s->nmine = 0;
	s->configured = false;
	s->leave_pending = false;
	s->synced = false;
	atomic_store(&s->stop, true);
	if (driver_save(d, &e) < 0 || file_save(s, &e) < 0)
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
	h = host_get(s, r.index, false);
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

/* Does any record name several endpoints? Else there is nothing to fail over to. */
static bool failover_possible(const struct store *s)
{
	for (size_t i = 0; i < s->nhosts; i++)
		if (s->hosts[i].has_record && s->hosts[i].rec.nendpoints >= 2)
			return true;
	return false;
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
	if (!d->wg_ready || !failover_possible(s) ||
	    d->wg.get_device(&d->wg, NAMES_WG_DEVICE, &have) < 0)
		return;
	for (size_t i = 0; i < have.npeers; i++) {
		const struct wg_peer *wp = &have.peers[i];
		const struct store_host *h = host_by_key(s, wp->public_key);
		struct store_failover *f = NULL, *v;
		struct wg_peer set = { 0 };

		if (!h || h->rec.nendpoints < 2 || !mine_has(s, wp->public_key))
			continue;
		for (size_t j = 0; j < s->nfo; j++)
			if (memcmp(s->fo[j].key, wp->public_key, KEYS_LEN) == 0)
				f = &s->fo[j];
		if (!f) {
			v = realloc(s->fo, (s->nfo + 1) * sizeof(*v));
			if (!v)
				break;
			s->fo = v;
			f = &s->fo[s->nfo++];
			*f = (struct store_failover){ .since = now };
			memcpy(f->key, wp->public_key, KEYS_LEN);
		}
		/* a handshake since trying, or a session that outlived a restart of wgnetd: the
		 * device's endpoint, maybe learnt from the peer's packets (NAT), is kept */
		if (wp->last_handshake_sec && (wp->last_handshake_sec >= f->since - 1 ||
					       now - wp->last_handshake_sec < STORE_SESSION_SECONDS))
			f->settled = true;
		if (f->settled || now - f->since < STORE_FAILOVER_SECONDS)
			continue;
		f->cur = (f->cur + 1) % h->rec.nendpoints;
		f->since = now;
		memcpy(set.public_key, wp->public_key, KEYS_LEN);
		set.keepalive = wp->keepalive;
		if (endpoint_numeric(h->rec.endpoints[f->cur], &set.endpoint) < 0)
			continue;
		log_info("store: peer %s: no handshake in %d s, trying endpoint %s", h->rec.name,
			 STORE_FAILOVER_SECONDS, h->rec.endpoints[f->cur]);
		if (d->wg.set_peers(&d->wg, NAMES_WG_DEVICE, &set, 1) < 0)
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
	if ((s->configured || s->leave_pending) && d->st.host_index)
		threads_start(d, true);
	return 0;
}

void store_free(struct driver *d)
{
	struct store *s = d->store;

	if (!s)
		return;
	threads_stop(s);
	free(s->hosts);
	free(s->mine);
	free(s->fo);
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
	struct keys k = { 0 };
	struct etcd c;
	int64_t lease = 0;
	bool gone = false;
	unsigned want;
	int ret;

	if (req->index > 65535)
		return errbuf_set(e, -EINVAL, "host index %u out of range 1..65535", req->index);
	ret = etcd_config(&c, req->urls, req->ca, req->cert, req->key, e);
	if (ret < 0)
		return ret;
	ret = keys_load_or_create(d->key_path, &k, e);
	if (ret < 0)
		return ret;
	/* a host that has an index (its networks use its slice) asks for that one */
	pthread_mutex_lock(&d->lock);
	want = req->index ? req->index : d->st.host_index;
	pthread_mutex_unlock(&d->lock);
	ret = claim_index(&c, k.pub, want, &hreq.index, e);
	keys_wipe(&k);
	if (ret < 0)
		return ret;
	threads_stop(s);
	ret = driver_host_init(d, &hreq, e);
	if (ret < 0) {
		/* nothing published: the claim alone is harmless, init again */
		pthread_mutex_lock(&d->lock);
		if (s->configured || s->leave_pending)
			threads_start(d, true);	/* the store we had goes on */
		pthread_mutex_unlock(&d->lock);
		return ret;
	}
	pthread_mutex_lock(&d->lock);
	s->etcd = c;
	s->configured = true;
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
	bool done = false, configured, self;
	int ret;

	pthread_mutex_lock(&d->lock);
	for (size_t i = 0; s->configured && i < s->nhosts; i++)
		if (s->hosts[i].has_record && s->hosts[i].has_claim &&
		    strcmp(s->hosts[i].rec.name, name) == 0)
			h = &s->hosts[i];
	if (h) {
		index = h->index;
		memcpy(claim, h->claim, KEYS_LEN);
	}
	c = s->etcd;
	configured = s->configured;
	self = h && index == d->st.host_index;
	pthread_mutex_unlock(&d->lock);
	if (!configured)
		return errbuf_set(e, -ENOENT, "this host is in no store (wgnet init --store)");
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
	for (size_t i = 0; i < s->nhosts; i++)
		st->hosts += s->hosts[i].has_record;
	for (size_t i = 0; i < out->npeers; i++) {
		struct status_peer *p = &out->peers[i];
		const struct state_peer *sp = NULL;
		const struct store_host *h;

		for (size_t j = 0; j < d->st.npeers; j++)
			if (strcmp(d->st.peers[j].name, p->name) == 0)
				sp = &d->st.peers[j];
		p->from_store = sp && mine_has(s, sp->public_key);
		h = p->from_store ? host_by_key(s, sp->public_key) : NULL;
		p->alive = !p->from_store ? -1 : h && h->alive ? 1 : 0;
	}
}
