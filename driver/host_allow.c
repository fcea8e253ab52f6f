/* SPDX-License-Identifier: MIT */
/*
 * `wgnet host allow tcp/53`: ports of this host opened to the mesh. The input chain of
 * `inet wgnet` drops every other new connection that arrives through wgnet0 for a local
 * address; the list lives in the state and is applied in the same one-batch rebuild.
 */
#include <errno.h>
#include <string.h>

#include "driver/firewall.h"
#include "driver/instance.h"
#include "driver/log.h"
#include "driver/persist.h"

static size_t host_allow_find(const struct state *st, const struct state_port *p, bool *found)
{
	size_t i;

	for (i = 0; i < st->nhost_allow; i++) {
		const struct state_port *q = &st->host_allow[i];

		if (q->proto > p->proto || (q->proto == p->proto && q->port >= p->port))
			break;
	}
	*found = i < st->nhost_allow && st->host_allow[i].proto == p->proto &&
		 st->host_allow[i].port == p->port;
	return i;
}

static void host_allow_list(const struct state *st, struct driver_host_ports *out)
{
	for (size_t i = 0; i < st->nhost_allow; i++)
		state_port_format(&st->host_allow[i], out->v[i]);
	out->n = st->nhost_allow;
}

/* The state with the change, then the table, then the file; any failure puts all back. */
static int host_allow_change(struct driver *d, const struct state_port *p, bool allow,
			     const char *text, struct errbuf *e)
{
	struct state_port saved[STATE_HOST_ALLOW_MAX];
	size_t nsaved = d->st.nhost_allow, i;
	bool found;
	int ret;

	i = host_allow_find(&d->st, p, &found);
	if (found == allow)
		return allow ? 0 : errbuf_set(e, -ENOENT, "%s is not open to the mesh", text);
	if (allow && nsaved == STATE_HOST_ALLOW_MAX)
		return errbuf_set(e, -ENOSPC, "already %d ports open to the mesh: remove one first "
				  "(wgnet host rm)", STATE_HOST_ALLOW_MAX);
	memcpy(saved, d->st.host_allow, sizeof(saved));
	if (allow) {
		memmove(&d->st.host_allow[i + 1], &d->st.host_allow[i],
			(nsaved - i) * sizeof(saved[0]));
		d->st.host_allow[i] = *p;
		d->st.nhost_allow++;
	} else {
		memmove(&d->st.host_allow[i], &d->st.host_allow[i + 1],
			(nsaved - i - 1) * sizeof(saved[0]));
		d->st.nhost_allow--;
	}
	ret = firewall_apply(d, &d->st, e);
	if (ret == 0)
		ret = persist_save(d, e);
	if (ret == 0) {
		log_info("%s %s to the mesh", text, allow ? "opened" : "closed");
		return 0;
	}
	memcpy(d->st.host_allow, saved, sizeof(saved));
	d->st.nhost_allow = nsaved;
	firewall_apply(d, &d->st, NULL);
	return ret;
}

int driver_host_allow(struct driver *d, const char *port, bool allow,
		      struct driver_host_ports *out, struct errbuf *e)
{
	struct state_port p;
	int ret = 0;

	if (port && state_port_parse(port, &p) < 0)
		return errbuf_set(e, -EINVAL, "'%s' is not a port like tcp/53 (tcp, udp or sctp, "
				  "then 1..65535)", port);
	pthread_mutex_lock(&d->lock);
	if (port)
		ret = host_allow_change(d, &p, allow, port, e);
	if (ret == 0)
		host_allow_list(&d->st, out);
	pthread_mutex_unlock(&d->lock);
	return ret;
}
