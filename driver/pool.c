/* SPDX-License-Identifier: MIT */
/*
 * IpamDriver verbs: pool leases and addresses. A lease is made by RequestPool and becomes a
 * network when CreateNetwork names its slice. The PoolID is derived from the slice, so a
 * dockerd restart that replays RequestPool gets the same ID and the same slice back.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "driver/id_list.h"
#include "driver/instance.h"
#include "driver/log.h"
#include "driver/persist.h"

static bool space_ours(const char *space)
{
	return !space[0] || strcmp(space, DRIVER_ADDRESS_SPACE_LOCAL) == 0 ||
	       strcmp(space, DRIVER_ADDRESS_SPACE_GLOBAL) == 0;
}

static void pending_age_set(struct driver *d, const struct cidr *slice, time_t at)
{
	struct pending_age *v;

	for (size_t i = 0; i < d->npending_ages; i++) {
		if (cidr_equal(&d->pending_ages[i].slice, slice)) {
			d->pending_ages[i].at = at;
			return;
		}
	}
	v = realloc(d->pending_ages, (d->npending_ages + 1) * sizeof(*v));
	if (!v)
		return;		/* without an age the lease simply never expires */
	d->pending_ages = v;
	v[d->npending_ages++] = (struct pending_age){ .slice = *slice, .at = at };
}

static void pending_age_del(struct driver *d, const struct cidr *slice)
{
	for (size_t i = 0; i < d->npending_ages; i++) {
		if (cidr_equal(&d->pending_ages[i].slice, slice)) {
			d->pending_ages[i] = d->pending_ages[--d->npending_ages];
			return;
		}
	}
}

/* A lease with no CreateNetwork for a long time was abandoned (dockerd died mid-create). */
static bool pending_abandoned(struct driver *d, const struct state_pool *p)
{
	time_t now = time(NULL);

	for (size_t i = 0; i < d->npending_ages; i++)
		if (cidr_equal(&d->pending_ages[i].slice, &p->slice))
			return now - d->pending_ages[i].at > DRIVER_PENDING_POOL_TTL;
	pending_age_set(d, &p->slice, now);	/* loaded from disk: start its clock now */
	return false;
}

/* "<address space>/<slice>": derived, never stored, the same after any restart */
static void pool_id_format(const struct state_pool *p, char out[DRIVER_POOL_ID_MAX])
{
	char slice[CIDR_STR_MAX];

	cidr_format(&p->slice, slice);
	snprintf(out, DRIVER_POOL_ID_MAX, "%s/%s", p->address_space, slice);
}

static struct state_pool *pool_by_id(struct driver *d, const char *pool_id)
{
	char id[DRIVER_POOL_ID_MAX];

	for (size_t i = 0; i < d->st.npools; i++) {
		pool_id_format(&d->st.pools[i], id);
		if (strcmp(id, pool_id) == 0)
			return &d->st.pools[i];
	}
	return NULL;
}

/* -EINVAL (worded) unless pool_id has the shape "<address space>/<CIDR>". */
static int pool_id_check(const char *pool_id, struct errbuf *e)
{
	const char *slash = strchr(pool_id, '/');
	struct cidr c;

	if (!slash || slash == pool_id || cidr_parse(slash + 1, &c) < 0)
		return errbuf_set(e, -EINVAL, "invalid pool ID '%.80s': wgnet's pool IDs look like "
				  "wgnet-local/10.210.3.0/24", pool_id);
	return 0;
}

static void pool_reply(const struct state_pool *p, struct ipam_pool_reply *reply)
{
	pool_id_format(p, reply->pool_id);
	cidr_format(&p->slice, reply->pool);
}

/* dockerd replays a network created without --subnet with the slice it was given. */
static struct state_pool *pool_by_slice(struct driver *d, const struct cidr *c)
{
	for (size_t i = 0; i < d->st.npools; i++)
		if (cidr_equal(&d->st.pools[i].slice, c))
			return &d->st.pools[i];
	return NULL;
}

static int pool_request_locked(struct driver *d, const struct ipam_pool_req *req,
			       struct ipam_pool_reply *reply, struct errbuf *e)
{
	char pool_s[CIDR_STR_MAX], slice_s[CIDR_STR_MAX], other_s[CIDR_STR_MAX], idb[13];
	const char *space = req->address_space[0] ? req->address_space : DRIVER_ADDRESS_SPACE_LOCAL;
	struct state_pool *p, *same = NULL;
	struct cidr pool, slice, sub = { 0 };
	unsigned slice_len = IPAM_DEFAULT_SLICE_LEN;
	bool dflt = !req->pool[0];
	int ret;

	if (!d->st.host_index)
		return errbuf_set(e, -EAGAIN, "this host has no wgnet index yet: run 'wgnet init "
				  "--index N' (N unique in the cluster) first");
	if (req->v6)
		return errbuf_set(e, -EINVAL, "IPv6 pools are not supported by wgnet yet: create "
				  "the network without --ipv6");
	if (!space_ours(req->address_space))
		return errbuf_set(e, -EINVAL, "unknown address space '%s': use %s",
				  req->address_space, DRIVER_ADDRESS_SPACE_LOCAL);
	if (req->slice_opt) {
		ret = ipam_slice_len_parse(req->slice_opt, &slice_len, e);
		if (ret < 0)
			return ret;
	}
	if (dflt && req->sub_pool[0])
		return errbuf_set(e, -EINVAL, "--ip-range needs --subnet");
	ret = cidr_parse(dflt ? IPAM_DEFAULT_POOL : req->pool, &pool);
	if (ret < 0)
		return errbuf_set(e, ret, "invalid --subnet '%s': expected an IPv4 network such as "
				  "10.210.0.0/16 (host bits zero)", req->pool);

	/* A replay of a network that was created without --subnet names its slice. */
	p = dflt ? NULL : pool_by_slice(d, &pool);
	if (p && p->network_id[0] && !cidr_equal(&p->pool, &pool)) {
		same = p;
		slice = p->slice;
	} else {
		ret = ipam_slice_for(&pool, d->st.host_index, slice_len, &slice, e);
		if (ret < 0)
			return ret;
	}
	cidr_format(&pool, pool_s);
	cidr_format(&slice, slice_s);
	if (req->sub_pool[0]) {
		ret = cidr_parse(req->sub_pool, &sub);
		if (ret < 0)
			return errbuf_set(e, ret, "invalid --ip-range '%s': expected an IPv4 network "
					  "(host bits zero)", req->sub_pool);
		if (!cidr_covers(&slice, &sub))
			return errbuf_set(e, -EINVAL, "--ip-range %s is outside this host's slice %s "
					  "of %s (host index %u): give a range inside the slice",
					  req->sub_pool, slice_s, pool_s, d->st.host_index);
	}

	for (size_t i = 0; !same && d->st.pools && i < d->st.npools; i++) {
		p = &d->st.pools[i];
		if (cidr_equal(&p->slice, &slice) && cidr_equal(&p->pool, &pool)) {
			same = p;
			break;
		}
		if (!p->network_id[0] && pending_abandoned(d, p))
			continue;	/* dropped below if it is in the way */
		if (cidr_overlaps(&p->pool, &pool)) {
			cidr_format(&p->pool, other_s);
			return errbuf_set(e, -EBUSY, "pool %s overlaps pool %s of %s%s: each wgnet "
					  "network needs its own non-overlapping --subnet",
					  pool_s, other_s, p->network_id[0] ? "wgnet network " :
					  "a wgnet network being created",
					  p->network_id[0] ? names_short_id(p->network_id, idb) : "");
		}
	}

	if (same && same->network_id[0]) {
		if (!id_list_has(&d->replay_pools, same->network_id)) {
			if (dflt)
				return errbuf_set(e, -EBUSY, "the default pool %s is used by wgnet "
						  "network %s: give each further wgnet network its "
						  "own --subnet (the same on every host)", pool_s,
						  names_short_id(same->network_id, idb));
			return errbuf_set(e, -EBUSY, "pool %s is already used by wgnet network %s on "
					  "this host: each wgnet network needs its own --subnet",
					  pool_s, names_short_id(same->network_id, idb));
		}
		/* dockerd restarted and replays its network: same slice, same PoolID. */
		id_list_del(&d->replay_pools, same->network_id);
		if (id_list_add(&d->replay_addrs, same->network_id) < 0)
			return errbuf_set(e, -ENOMEM, "out of memory");
		log_info("pool %s replayed for network %s", slice_s, names_short_id(same->network_id, idb));
		pool_reply(same, reply);
		return 0;
	}
	if (same) {
		if (!pending_abandoned(d, same)) {
			if (dflt)
				return errbuf_set(e, -EBUSY, "dockerd refused slice %s of the default "
						  "pool (it overlaps a route or name server of this "
						  "host): choose a pool with --subnet", slice_s);
			return errbuf_set(e, -EBUSY, "pool %s is being used by another network that "
					  "is being created right now", pool_s);
		}
		state_pool_remove(&d->st, (size_t)(same - d->st.pools));
	}
	/* Leases abandoned by a dockerd that died mid-create go before we add a new one. */
	for (size_t i = d->st.pools ? d->st.npools : 0; i-- > 0;) {
		p = &d->st.pools[i];
		if (!p->network_id[0] && cidr_overlaps(&p->pool, &pool) && pending_abandoned(d, p)) {
			pending_age_del(d, &p->slice);
			state_pool_remove(&d->st, i);
		}
	}

	p = state_pool_add(&d->st);
	if (!p)
		return errbuf_set(e, -ENOMEM, "out of memory");
	snprintf(p->address_space, sizeof(p->address_space), "%s", space);
	p->pool = pool;
	p->slice = slice;
	p->has_sub_pool = req->sub_pool[0] != 0;
	p->sub_pool = sub;
	p->default_pool = dflt;
	p->mtu = d->st.mtu;
	ret = persist_save(d, e);
	if (ret < 0) {
		state_pool_remove(&d->st, d->st.npools - 1);
		return ret;
	}
	pending_age_set(d, &slice, time(NULL));
	log_debug("pool %s: slice %s for host %u", pool_s, slice_s, d->st.host_index);
	pool_reply(p, reply);
	return 0;
}

int driver_ipam_request_pool(struct driver *d, const struct ipam_pool_req *req,
			     struct ipam_pool_reply *reply, struct errbuf *e)
{
	int ret;

	pthread_mutex_lock(&d->lock);
	ret = pool_request_locked(d, req, reply, e);
	pthread_mutex_unlock(&d->lock);
	return ret;
}

int driver_ipam_release_pool(struct driver *d, const char *pool_id, struct errbuf *e)
{
	struct state_pool *p;
	struct state_pool saved;
	size_t i;
	int ret;

	ret = pool_id_check(pool_id, e);
	if (ret < 0)
		return ret;
	pthread_mutex_lock(&d->lock);
	p = pool_by_id(d, pool_id);
	if (!p) {
		log_debug("ReleasePool %s: unknown, already released", pool_id);
		goto out;
	}
	/* A network's pool is released just before DeleteNetwork, which removes it with its
	 * bridge; releasing it here would let a second network take a live slice. */
	if (p->network_id[0])
		goto out;
	i = (size_t)(p - d->st.pools);
	saved = *p;
	memmove(&d->st.pools[i], &d->st.pools[i + 1], (d->st.npools - i - 1) * sizeof(*p));
	d->st.npools--;
	ret = persist_save(d, e);
	if (ret < 0) {
		memmove(&d->st.pools[i + 1], &d->st.pools[i], (d->st.npools - i) * sizeof(*p));
		d->st.pools[i] = saved;
		d->st.npools++;
		goto out;
	}
	pending_age_del(d, &saved.slice);
	addr_set_release(&saved.addrs);
out:
	pthread_mutex_unlock(&d->lock);
	return ret;
}

static int gateway_request(struct state_pool *p, const char *want,
			   uint32_t *out, struct errbuf *e)
{
	char slice_s[CIDR_STR_MAX];
	uint32_t gw;
	int ret;

	cidr_format(&p->slice, slice_s);
	if (!want[0]) {
		/* The gateway is the slice's first address unless the user chose one. */
		gw = p->gateway ? p->gateway : cidr_first(&p->slice) + 1;
	} else {
		ret = cidr_addr_parse_any(want, &gw);
		if (ret < 0)
			return errbuf_set(e, ret, "invalid --gateway '%s': expected an IPv4 address",
					  want);
		if (!ipam_addr_usable(&p->slice, gw))
			return errbuf_set(e, -EINVAL, "--gateway %s is outside this host's slice %s: "
					  "leave --gateway out (wgnet uses the slice's first "
					  "address) or give one inside the slice", want, slice_s);
	}
	if (p->gateway == gw) {
		*out = gw;
		return 0;
	}
	if (p->gateway && p->network_id[0])
		return errbuf_set(e, -EBUSY, "network already has gateway; cannot change it");
	ret = addr_set_add(&p->addrs, gw);
	if (ret == -EEXIST)
		return errbuf_set(e, -EADDRINUSE, "gateway address %s is already in use", want);
	if (ret < 0)
		return errbuf_set(e, ret, "out of memory");
	if (p->gateway)
		addr_set_del(&p->addrs, p->gateway);
	p->gateway = gw;
	*out = gw;
	return 0;
}

static int address_request_locked(struct driver *d, const struct ipam_addr_req *req,
				  char reply[CIDR_STR_MAX], struct errbuf *e)
{
	char slice_s[CIDR_STR_MAX], a_s[CIDR_ADDR_STR_MAX];
	struct state_pool *p, saved;
	uint32_t a = 0;
	int ret;

	p = pool_by_id(d, req->pool_id);
	if (!p)
		return errbuf_set(e, -ENOENT, "unknown pool ID '%s': request a pool first",
				  req->pool_id);
	cidr_format(&p->slice, slice_s);
	ret = addr_set_copy(&p->addrs, &saved.addrs);
	if (ret < 0)
		return errbuf_set(e, ret, "out of memory");
	saved.gateway = p->gateway;
	saved.cursor = p->cursor;

	if (req->gateway) {
		ret = gateway_request(p, req->address, &a, e);
	} else if (req->address[0]) {
		ret = cidr_addr_parse_any(req->address, &a);
		if (ret < 0) {
			ret = errbuf_set(e, ret, "invalid address '%s': expected an IPv4 address",
					 req->address);
		} else if (!ipam_addr_usable(&p->slice, a)) {
			ret = errbuf_set(e, -EINVAL, "address %s is outside this host's slice %s "
					 "(host index %u): give an address inside the slice",
					 req->address, slice_s, d->st.host_index);
		} else {
			ret = addr_set_add(&p->addrs, a);
			/* dockerd re-requests stored addresses after it restarts */
			if (ret == -EEXIST && p->network_id[0] &&
			    id_list_has(&d->replay_addrs, p->network_id))
				ret = 0;
			else if (ret == -EEXIST)
				ret = errbuf_set(e, -EADDRINUSE, "address %s is already in use in %s",
						 req->address, slice_s);
			else if (ret < 0)
				ret = errbuf_set(e, ret, "out of memory");
		}
	} else {
		/* A fresh container: the replay (if any) is over. */
		if (p->network_id[0])
			id_list_del(&d->replay_addrs, p->network_id);
		ret = ipam_addr_pick(&p->addrs, &p->slice, p->has_sub_pool ? &p->sub_pool : &p->slice,
				     p->cursor, &a);
		if (ret == -ENOSPC)
			ret = errbuf_set(e, ret, "no free address left in %s%s", slice_s,
					 p->has_sub_pool ? " (--ip-range)" : "");
		else if (ret == 0 && (ret = addr_set_add(&p->addrs, a)) < 0)
			ret = errbuf_set(e, ret, "out of memory");
		if (ret == 0)
			p->cursor = a;
	}
	if (ret == 0)
		ret = persist_save(d, e);
	if (ret < 0) {
		addr_set_release(&p->addrs);
		p->addrs = saved.addrs;
		p->gateway = saved.gateway;
		p->cursor = saved.cursor;
		return ret;
	}
	addr_set_release(&saved.addrs);
	cidr_addr_format(a, a_s);
	snprintf(reply, CIDR_STR_MAX, "%s/%u", a_s, p->slice.len & 63u);
	return 0;
}

int driver_ipam_request_address(struct driver *d, const struct ipam_addr_req *req,
				char reply[CIDR_STR_MAX], struct errbuf *e)
{
	int ret;

	pthread_mutex_lock(&d->lock);
	ret = address_request_locked(d, req, reply, e);
	pthread_mutex_unlock(&d->lock);
	return ret;
}

int driver_ipam_release_address(struct driver *d, const char *pool_id, const char *address,
				struct errbuf *e)
{
	struct state_pool *p;
	uint32_t a, gw;
	int ret;

	ret = pool_id_check(pool_id, e);
	if (ret < 0)
		return ret;
	ret = cidr_addr_parse_any(address, &a);
	if (ret < 0)
		return errbuf_set(e, ret, "invalid address '%s'", address);
	pthread_mutex_lock(&d->lock);
	p = pool_by_id(d, pool_id);
	if (!p) {
		/* dockerd retries releases and only logs their errors: already gone is done */
		log_debug("ReleaseAddress %s in %s: unknown pool, already released", address,
			  pool_id);
		goto out;
	}
	/* A live network keeps its gateway until DeleteNetwork (dockerd releases it first). */
	if (a == p->gateway && p->network_id[0])
		goto out;
	if (addr_set_del(&p->addrs, a) < 0)
		goto out;	/* not allocated: a repeated release */
	gw = p->gateway;
	if (a == p->gateway)
		p->gateway = 0;
	ret = persist_save(d, e);
	if (ret < 0) {
		addr_set_add(&p->addrs, a);
		p->gateway = gw;
	}
out:
	pthread_mutex_unlock(&d->lock);
	return ret;
}
