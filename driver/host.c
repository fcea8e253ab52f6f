/* SPDX-License-Identifier: MIT */
/* `wgnet init`: the host's index, name, endpoint, port and MTU, then its mesh. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "driver/dns_server.h"
#include "driver/instance.h"
#include "driver/join_line.h"
#include "driver/firewall.h"
#include "driver/log.h"
#include "driver/mesh.h"
#include "driver/mtu.h"
#include "driver/persist.h"

/* "host<index>": unique in the cluster like the index itself (hostnames need not be);
 * `wgnet init --name` gives a nicer one. */
static void default_host_name(char *out, size_t size, unsigned index)
{
	snprintf(out, size, "host%u", index);
}

int driver_host_init(struct driver *d, const struct host_init_req *req, struct errbuf *e)
{
	char from[sizeof(d->mtu_from)];
	struct errbuf step = { 0 };
	struct state old;
	unsigned mtu;
	int ret = 0;

	if (req->index < 1 || req->index > 65535)
		return errbuf_set(e, -EINVAL, "host index %u out of range: use 1..65535, unique in "
				  "the cluster", req->index);
	if (req->mtu && (req->mtu < MTU_MIN || req->mtu > MTU_MAX_JUMBO))
		return errbuf_set(e, -EINVAL, "MTU %u out of range %u..%u", req->mtu, MTU_MIN,
				  MTU_MAX_JUMBO);
	if (req->endpoint && req->endpoint[0]) {
		ret = join_line_endpoint_check(req->endpoint, e);
		if (ret < 0)
			return ret;
	}
	if (req->name && !join_line_name_valid(req->name))
		return errbuf_set(e, -EINVAL, "host name '%.64s' is not 1..63 of A-Z a-z 0-9 . _ -",
				  req->name);
	if (req->listen_port > 65535)
		return errbuf_set(e, -EINVAL, "listen port %u out of range 1..65535",
				  req->listen_port);

	pthread_mutex_lock(&d->lock);
	if (d->st.npools && d->st.host_index && req->index != d->st.host_index) {
		ret = errbuf_set(e, -EBUSY, "this host already has index %u and %zu wgnet pool(s) "
				 "use it: remove those networks before changing the index",
				 d->st.host_index, d->st.npools);
		goto out;
	}
	for (size_t i = 0; i < d->st.npeers; i++) {
		if (d->st.peers[i].index == req->index) {
			ret = errbuf_set(e, -EEXIST, "index %u belongs to peer %s: each host needs "
					 "its own", req->index, d->st.peers[i].name);
			goto out;
		}
	}
	/* without --mtu (here or wgnetd's), from the uplink; networks made before keep theirs */
	mtu = req->mtu ? req->mtu : d->cfg_mtu;
	if (req->mtu)
		snprintf(from, sizeof(from), "--mtu");
	else if (mtu)
		snprintf(from, sizeof(from), "wgnetd's --mtu (WGNET_MTU)");
	else if (mtu_derive(d, &mtu, from, sizeof(from)) < 0) {
		mtu = d->st.mtu ? d->st.mtu : DRIVER_DEFAULT_MTU;
		snprintf(from, sizeof(from), "no route to the peers nor a default route: kept; "
			 "wgnet init --mtu N sets it");
	}
	old = d->st;
	d->st.host_index = req->index;
	if (req->endpoint)
		snprintf(d->st.host_endpoint, sizeof(d->st.host_endpoint), "%s", req->endpoint);
	d->st.mtu = mtu;
	if (req->listen_port)
		d->st.listen_port = (uint16_t)req->listen_port;
	if (req->name)
		snprintf(d->st.host_name, sizeof(d->st.host_name), "%s", req->name);
	if (!d->st.host_name[0])
		default_host_name(d->st.host_name, sizeof(d->st.host_name), req->index);
	ret = persist_save(d, e);
	if (ret < 0) {
		d->st.host_index = old.host_index;
		d->st.mtu = old.mtu;
		d->st.listen_port = old.listen_port;
		memcpy(d->st.host_endpoint, old.host_endpoint, sizeof(old.host_endpoint));
		memcpy(d->st.host_name, old.host_name, sizeof(old.host_name));
		goto out;
	}
	memcpy(d->mtu_from, from, sizeof(d->mtu_from));
	log_info("host index %u%s%s, MTU %u (%s)", req->index,
		 d->st.host_endpoint[0] ? ", endpoint " : "", d->st.host_endpoint, mtu, from);
	/* kept when the mesh fails: local networks work without it, and init runs again */
	ret = mesh_start(d, &step);
	if (ret < 0) {
		errbuf_set(e, ret, "host index %u is saved, but %.440s", req->index, step.msg);
		/* the host is closed to the mesh from init on (the table's input chain), the
		 * device up or not; mesh_start builds it only once the device is there */
		if (firewall_apply(d, &d->st, &step) < 0)
			log_error("%s", step.msg);
	}
	dns_server_sync(d);		/* this host's index: whose slice is its own */
out:
	pthread_mutex_unlock(&d->lock);
	return ret;
}
