/* SPDX-License-Identifier: MIT */
#ifndef WGNET_DRIVER_STORE_PLAN_H
#define WGNET_DRIVER_STORE_PLAN_H

#include <stdbool.h>
#include <stddef.h>

#include "driver/state.h"
#include "driver/store_hosts.h"

/*
 * What the store's records make of this host's peers (pure but the log): the plan sorts what it
 * compares once per apply, so a full read of 65,535 records costs O(n log n), no lookup
 * scanning every host or every peer.
 */

/* The state's peers with the store's records applied (store_plan_make). */
struct store_plan {
	struct state_peer *peers;	/* every peer: join-line ones as they were, the store's */
	size_t npeers;
	struct store_keys mine;		/* the keys of the peers from the store */
	struct state_peer *moved;	/* store peers whose record names another endpoint, by key */
	size_t nmoved;
	bool changed;			/* peers differs from the state's */
	bool takeover;			/* a peer's next key took over: a rotation to apply now */
	bool pending;			/* a peer has a new next key: to acknowledge once applied */
	/* what the caller tells (wgnet events): peers whose new key took over, or that went
	 * because their key is revoked, by name */
	char (*rekeyed)[STATE_NAME_MAX];
	size_t nrekeyed;
	char (*revoked)[STATE_NAME_MAX];
	size_t nrevoked;
};

/*
 * The peers that the state (st: its peers, host index and key; mine: which of its peers came
 * from the store) should have by the valid records of t. A record is valid when it sits under
 * its own index, carries the key that claims that index, is not this host's, collides with no
 * join-line peer's index, key or name, and no record of an older (or as old) claim has its key
 * or name; neither its key nor its next key is revoked, and its next key is nobody else's. The
 * claim is the authority: a valid record at index N replaces whatever store peer had N, in the
 * same plan (another key: the old peer goes; the key that peer was rotating to: it takes over
 * and the old key goes). A record's next key becomes its peer's. A store peer whose record was
 * refused stays as it was (only a removed record removes a peer) while no valid record takes
 * its name. Any peer with a revoked key goes, join-line peers too. So the plan never holds two
 * peers with one index, key or name. Refusals are logged once per record revision. -ENOMEM, or
 * 0 and out filled (release it).
 */
int store_plan_make(struct store_hosts *t, const struct state *st, const struct store_keys *mine,
		    struct store_plan *out);
void store_plan_release(struct store_plan *p);

#endif
