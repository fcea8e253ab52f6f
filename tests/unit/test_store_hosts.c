/* SPDX-License-Identifier: MIT */
/*
 * What the store's records make of the peers (store_plan_make): one index is one peer, the claim
 * is the authority, a refused record changes nothing, join-line peers are never displaced; a
 * rotation's next key waits beside its peer's key and takes over when the claim says so; a
 * revoked key is never a peer; and whatever the records say, the plan is a state that loads
 * (random records, next keys and revocations, many rounds).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "driver/store_hosts.h"
#include "driver/store_plan.h"

#define OWN_INDEX 1
#define OWN_KEY 0xee

struct fixture {
	struct store_hosts t;
	struct state st;
	struct store_keys mine;
	int64_t rev;
};

static void key_of(uint8_t tag, uint8_t out[KEYS_LEN])
{
	memset(out, tag, KEYS_LEN);
}

static int setup(void **ctx)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->st.host_index = OWN_INDEX;
	f->st.has_host_key = true;
	key_of(OWN_KEY, f->st.host_public_key);
	f->rev = 1;
	*ctx = f;
	return 0;
}

static int teardown(void **ctx)
{
	struct fixture *f = *ctx;

	store_hosts_release(&f->t);
	store_hosts_keys_release(&f->mine);
	state_release(&f->st);
	free(f);
	return 0;
}

/* etcd's view of one key: a put (value) or a delete (NULL), at the next revision. */
static void kv(struct fixture *f, const char *prefix, unsigned index, const char *value)
{
	char key[STORE_KEY_MAX];
	struct etcd_kv v = { .key = key, .value = (char *)(value ? value : "") };

	store_key_format(prefix, index, key);
	v.value_len = strlen(v.value);
	v.create_rev = v.mod_rev = ++f->rev;
	store_hosts_update(&f->t, &v, !value);
}

static void claim(struct fixture *f, unsigned index, uint8_t tag)
{
	uint8_t k[KEYS_LEN];
	char b64[KEYS_B64_LEN];

	key_of(tag, k);
	keys_b64(k, b64);
	kv(f, STORE_INDEX_PREFIX, index, b64);
}

/* A record; next_tag not 0: its host rotates to that key. */
static void record_next(struct fixture *f, unsigned index, unsigned rec_index, uint8_t tag,
			const char *name, uint8_t next_tag)
{
	struct store_record r = { .index = rec_index, .listen_port = 51820, .mtu = 1420 };
	char *text;

	key_of(tag, r.key);
	if (next_tag) {
		key_of(next_tag, r.next_key);
		r.has_next = true;
	}
	snprintf(r.name, sizeof(r.name), "%s", name);
	snprintf(r.endpoints[r.nendpoints++], STATE_HOST_ENDPOINT_MAX, "192.0.2.%u:51820",
		 index % 250 + 1);
	text = store_record_format(&r);
	assert_non_null(text);
	kv(f, STORE_HOSTS_PREFIX, index, text);
	free(text);
}

static void record(struct fixture *f, unsigned index, unsigned rec_index, uint8_t tag,
		   const char *name)
{
	record_next(f, index, rec_index, tag, name, 0);
}

/* wgnet host revoke (in): /wgnet/revoked/<key>; out: that key deleted (by hand). */
static void revoke(struct fixture *f, uint8_t tag, bool in)
{
	char name[STORE_KEY_MAX];
	uint8_t k[KEYS_LEN];
	struct etcd_kv v = { .key = name, .value = (char *)"x", .value_len = 1 };

	key_of(tag, k);
	store_key_format_revoked(k, name);
	v.create_rev = v.mod_rev = ++f->rev;
	assert_true(store_hosts_update(&f->t, &v, !in));
}

/* A host as wgnet init --store leaves it: its claim, then its record. */
static void host(struct fixture *f, unsigned index, uint8_t tag, const char *name)
{
	claim(f, index, tag);
	record(f, index, index, tag, name);
}

static void join_line_peer(struct fixture *f, unsigned index, uint8_t tag, const char *name)
{
	struct state_peer *p = state_peer_add(&f->st);

	assert_non_null(p);
	p->index = index;
	key_of(tag, p->public_key);
	snprintf(p->name, sizeof(p->name), "%s", name);
}

/* The plan made the state's peers, as store.c does when it saves. */
static bool apply(struct fixture *f)
{
	struct store_plan p = { 0 };
	bool changed;

	assert_int_equal(store_hosts_reindex(&f->t), 0);
	assert_int_equal(store_plan_make(&f->t, &f->st, &f->mine, &p), 0);
	changed = p.changed;
	if (changed) {
		free(f->st.peers);
		f->st.peers = p.peers;
		f->st.npeers = p.npeers;
		p.peers = NULL;
		store_hosts_keys_release(&f->mine);
		f->mine = p.mine;
		p.mine = (struct store_keys){ 0 };
	}
	store_plan_release(&p);
	return changed;
}

/* "index:name:tag" of every peer, sorted by index, then >next for a rotation and a * for the
 * store's. */
static const char *peers_text(const struct fixture *f)
{
	static char out[1024];
	size_t off = 0;

	out[0] = 0;
	for (unsigned index = 1; index < 300; index++)
		for (size_t i = 0; i < f->st.npeers; i++) {
			const struct state_peer *p = &f->st.peers[i];

			if (p->index != index)
				continue;
			off += (size_t)snprintf(out + off, sizeof(out) - off, "%s%u:%s:%02x",
						off ? " " : "", p->index, p->name,
						p->public_key[0]);
			if (p->has_next_key)
				off += (size_t)snprintf(out + off, sizeof(out) - off, ">%02x",
							p->next_key[0]);
			if (store_hosts_keys_has(&f->mine, p->public_key))
				off += (size_t)snprintf(out + off, sizeof(out) - off, "*");
		}
	return out;
}

/* The state saves and loads: no two peers with one index, key or name, none of this host's. */
static void assert_loads(const struct fixture *f)
{
	struct state back = { 0 };
	struct errbuf e = { 0 };
	char *text = NULL;

	assert_int_equal(state_dump(&f->st, &text), 0);
	if (state_parse(text, strlen(text), &back, &e) < 0)
		fail_msg("%s: %s", e.msg, peers_text(f));
	state_release(&back);
	free(text);
}

static void test_records_make_peers(void **ctx)
{
	struct fixture *f = *ctx;

	host(f, OWN_INDEX, OWN_KEY, "me");	/* this host's own record: not a peer */
	host(f, 5, 0x05, "h5");
	host(f, 7, 0x07, "h7");
	claim(f, 9, 0x09);			/* a claim without a record yet */
	assert_true(apply(f));
	assert_string_equal(peers_text(f), "5:h5:05* 7:h7:07*");
	assert_false(apply(f));		/* nothing new: nothing changes */
	record(f, 9, 9, 0x09, "h9");
	assert_true(apply(f));
	assert_string_equal(peers_text(f), "5:h5:05* 7:h7:07* 9:h9:09*");
	kv(f, STORE_HOSTS_PREFIX, 7, NULL);	/* a removed record removes its peer */
	assert_true(apply(f));
	assert_string_equal(peers_text(f), "5:h5:05* 9:h9:09*");
	assert_loads(f);
}

/* A put at index/N and hosts/N with another key: the peer at N is replaced in one plan. */
static void test_rekey_replaces(void **ctx)
{
	struct fixture *f = *ctx;
	uint8_t old[KEYS_LEN];

	host(f, 5, 0x05, "h5");
	host(f, 6, 0x06, "h6");
	apply(f);
	claim(f, 5, 0x55);
	/* the claim alone: the record (old key) is refused, the old peer stays */
	assert_false(apply(f));
	assert_string_equal(peers_text(f), "5:h5:05* 6:h6:06*");
	record(f, 5, 5, 0x55, "h5new");		/* another name too: the index decides */
	assert_true(apply(f));
	assert_string_equal(peers_text(f), "5:h5new:55* 6:h6:06*");
	key_of(0x05, old);
	assert_false(store_hosts_keys_has(&f->mine, old));
	assert_loads(f);
}

/* A host left and another was set up at its index while this host did not see it: all of it
 * arrives in one batch (or one full read). */
static void test_left_and_replaced_in_one_batch(void **ctx)
{
	struct fixture *f = *ctx;

	host(f, 3, 0x03, "host3");
	host(f, 4, 0x04, "host4");
	apply(f);
	kv(f, STORE_HOSTS_PREFIX, 3, NULL);
	kv(f, STORE_INDEX_PREFIX, 3, NULL);
	host(f, 3, 0x33, "host3");
	assert_true(apply(f));
	assert_string_equal(peers_text(f), "3:host3:33* 4:host4:04*");
	assert_loads(f);
}

/* A record refused after a good one: the peer stays as it was. */
static void test_refused_record_changes_nothing(void **ctx)
{
	struct fixture *f = *ctx;

	host(f, 5, 0x05, "h5");
	apply(f);
	record(f, 5, 5, 0x66, "h5");		/* a key that does not hold the claim */
	assert_false(apply(f));
	record(f, 5, 8, 0x05, "h5");		/* another index than its place */
	assert_false(apply(f));
	record(f, 5, 5, OWN_KEY, "h5");	/* this host's key */
	assert_false(apply(f));
	assert_string_equal(peers_text(f), "5:h5:05*");
	assert_loads(f);
}

/* A key that moves to another index takes its peer with it. */
static void test_key_moves(void **ctx)
{
	struct fixture *f = *ctx;

	host(f, 5, 0x05, "h5");
	apply(f);
	kv(f, STORE_HOSTS_PREFIX, 5, NULL);
	kv(f, STORE_INDEX_PREFIX, 5, NULL);
	host(f, 8, 0x05, "h8");
	assert_true(apply(f));
	assert_string_equal(peers_text(f), "8:h8:05*");
	assert_loads(f);
}

/* Join-line peers stay; a record that collides with one is refused; this host's index too. */
static void test_join_lines_win(void **ctx)
{
	struct fixture *f = *ctx;

	join_line_peer(f, 4, 0x04, "line4");
	host(f, 4, 0x44, "h4");			/* its index */
	host(f, 5, 0x04, "h5");			/* its key */
	host(f, 6, 0x06, "line4");		/* its name */
	claim(f, OWN_INDEX, 0x77);		/* this host's index, another key */
	record(f, OWN_INDEX, OWN_INDEX, 0x77, "x");
	host(f, 7, 0x07, "h7");
	apply(f);
	assert_string_equal(peers_text(f), "4:line4:04 7:h7:07*");
	assert_loads(f);
}

/* Two records with one key or one name: the older claim keeps it; as old: neither. */
static void test_older_claim_wins(void **ctx)
{
	struct fixture *f = *ctx;

	host(f, 2, 0x02, "a");
	host(f, 3, 0x02, "b");			/* a's key, newer claim */
	host(f, 4, 0x04, "a");			/* a's name, newer claim */
	apply(f);
	assert_string_equal(peers_text(f), "2:a:02*");
	assert_loads(f);
}

/* A peer kept for its refused record gives way to a valid record that takes its name. */
static void test_kept_peer_gives_way(void **ctx)
{
	struct fixture *f = *ctx;

	host(f, 2, 0x02, "x");
	host(f, 3, 0x03, "y");
	apply(f);
	record(f, 2, 2, 0x02, "y");		/* the older claim renames itself y: 3 is refused */
	assert_true(apply(f));
	assert_string_equal(peers_text(f), "2:y:02*");
	assert_loads(f);
}

/* A rotation through the store: the record's next key waits beside the peer's key; the
 * claim swapped to it (and the record) makes it the peer's key, in the same entry. */
static void test_rotation_takes_over(void **ctx)
{
	struct fixture *f = *ctx;
	struct store_plan p = { 0 };
	uint8_t k[KEYS_LEN];

	host(f, 5, 0x05, "h5");
	host(f, 6, 0x06, "h6");
	apply(f);
	record_next(f, 5, 5, 0x05, "h5", 0x55);		/* published: the next key */
	assert_true(apply(f));
	assert_string_equal(peers_text(f), "5:h5:05>55* 6:h6:06*");
	assert_loads(f);
	claim(f, 5, 0x55);				/* the compare-and-swap */
	record(f, 5, 5, 0x55, "h5");
	assert_int_equal(store_hosts_reindex(&f->t), 0);
	assert_int_equal(store_plan_make(&f->t, &f->st, &f->mine, &p), 0);
	assert_true(p.takeover);
	store_plan_release(&p);
	assert_true(apply(f));
	assert_string_equal(peers_text(f), "5:h5:55* 6:h6:06*");
	key_of(0x05, k);
	assert_false(store_hosts_keys_has(&f->mine, k));	/* the old key is no peer */
	assert_loads(f);
	/* a host that did not see the publish gets the swap alone: one peer at 5, the new key */
	record(f, 6, 6, 0x06, "h6");
	claim(f, 6, 0x66);
	record(f, 6, 6, 0x66, "h6");
	assert_true(apply(f));
	assert_string_equal(peers_text(f), "5:h5:55* 6:h6:66*");
	assert_loads(f);
}

/* A next key that is another host's key, this host's, or revoked: the record is refused and
 * its peer stays as it was. */
static void test_next_key_refused(void **ctx)
{
	struct fixture *f = *ctx;

	host(f, 5, 0x05, "h5");
	host(f, 6, 0x06, "h6");
	apply(f);
	record_next(f, 5, 5, 0x05, "h5", 0x06);
	assert_false(apply(f));
	record_next(f, 5, 5, 0x05, "h5", OWN_KEY);
	assert_false(apply(f));
	revoke(f, 0x57, true);
	record_next(f, 5, 5, 0x05, "h5", 0x57);
	assert_false(apply(f));
	assert_string_equal(peers_text(f), "5:h5:05* 6:h6:06*");
	/* two hosts rotating to one key: neither takes it */
	record_next(f, 5, 5, 0x05, "h5", 0x77);
	record_next(f, 6, 6, 0x06, "h6", 0x77);
	apply(f);
	assert_string_equal(peers_text(f), "5:h5:05* 6:h6:06*");
	assert_loads(f);
}

/* The revoked list: a revoked key's peer goes (a join line's too), a record with it is refused
 * now and later, wherever it is; its deletion from the list lets the record apply again. */
static void test_revoked_keys(void **ctx)
{
	struct fixture *f = *ctx;

	host(f, 5, 0x05, "h5");
	host(f, 6, 0x06, "h6");
	join_line_peer(f, 200, 0x20, "line200");
	apply(f);
	assert_string_equal(peers_text(f), "5:h5:05* 6:h6:06* 200:line200:20");
	revoke(f, 0x06, true);
	revoke(f, 0x20, true);
	assert_true(apply(f));
	assert_string_equal(peers_text(f), "5:h5:05*");
	assert_loads(f);
	host(f, 9, 0x06, "forged");			/* the revoked key again, elsewhere */
	assert_false(apply(f));
	assert_string_equal(peers_text(f), "5:h5:05*");
	kv(f, STORE_HOSTS_PREFIX, 9, NULL);
	kv(f, STORE_INDEX_PREFIX, 9, NULL);
	revoke(f, 0x06, false);				/* taken off the list by hand */
	assert_true(apply(f));
	assert_string_equal(peers_text(f), "5:h5:05* 6:h6:06*");
	assert_loads(f);
}

static void test_key_sets_and_acks(void **ctx)
{
	struct fixture *f = *ctx;
	struct store_keys k = { 0 };
	uint8_t a[KEYS_LEN], b[KEYS_LEN], c[KEYS_LEN];
	char name[STORE_KEY_MAX], b64[KEYS_B64_LEN];
	struct etcd_kv v = { .key = name, .value = b64 };

	key_of(0x30, a);
	key_of(0x10, b);
	key_of(0x20, c);
	assert_int_equal(store_hosts_keys_set(&k, a, true), 0);
	assert_int_equal(store_hosts_keys_set(&k, b, true), 0);
	assert_int_equal(store_hosts_keys_set(&k, c, true), 0);
	assert_int_equal(store_hosts_keys_set(&k, b, true), 0);	/* once */
	assert_int_equal(k.n, 3);
	assert_int_equal(k.v[0][0], 0x10);
	assert_int_equal(k.v[2][0], 0x30);
	assert_int_equal(store_hosts_keys_set(&k, c, false), 0);
	assert_false(store_hosts_keys_has(&k, c));
	assert_true(store_hosts_keys_has(&k, a) && store_hosts_keys_has(&k, b));
	store_hosts_keys_release(&k);

	/* host 4 and host 6 acknowledge host 5's next key a; host 7 an older one */
	for (unsigned by = 4; by <= 7; by++) {
		store_key_format_ack(5, by, name);
		keys_b64(by == 7 ? b : a, b64);
		v.value_len = strlen(b64);
		assert_false(store_hosts_update(&f->t, &v, false));	/* no peer changes */
	}
	assert_true(store_hosts_acked(&f->t, 5, 4, a) && store_hosts_acked(&f->t, 5, 5, a));
	assert_true(store_hosts_acked(&f->t, 5, 6, a));
	assert_false(store_hosts_acked(&f->t, 5, 7, a));
	store_key_format_ack(5, 6, name);
	store_hosts_update(&f->t, &v, true);
	assert_false(store_hosts_acked(&f->t, 5, 6, a));
	assert_true(store_hosts_acked(&f->t, 5, 4, a) && store_hosts_acked(&f->t, 5, 5, a));
}

/* Random claims, records (some at another index than their place), removals and join-line
 * peers, applied now and then: every plan is a state that loads. */
static void test_random_rounds(void **ctx)
{
	struct fixture *f = *ctx;
	static const char *const names[] = { "a", "b", "c", "d", "e" };
	unsigned seed = 12345;

	for (int round = 0; round < 4000; round++) {
		unsigned r = (unsigned)rand_r(&seed), index = 1 + r % 9;
		uint8_t tag = (uint8_t)(1 + (r >> 8) % 7);
		const char *name = names[(r >> 12) % 5];

		switch ((r >> 16) % 10) {
		case 0:
		case 1:
			claim(f, index, tag);
			break;
		case 2:
		case 3:
			record(f, index, (r >> 20) % 8 ? index : 1 + (r >> 22) % 9, tag, name);
			break;
		case 4:
			host(f, index, tag, name);
			break;
		case 5:
			kv(f, (r >> 20) % 2 ? STORE_HOSTS_PREFIX : STORE_INDEX_PREFIX, index, NULL);
			break;
		case 6:
			/* wgnet peer add refuses what a peer has: other indexes, keys, names */
			if ((r >> 20) % 16 == 0) {
				unsigned li = 100 + (r >> 24) % 50;
				char ln[16];
				bool taken = false;

				for (size_t i = 0; i < f->st.npeers; i++)
					taken |= f->st.peers[i].index == li;
				snprintf(ln, sizeof(ln), "line%u", li);
				if (!taken)
					join_line_peer(f, li, (uint8_t)(0x10 + li - 100), ln);
			}
			break;
		case 7:
			/* a rotation: the next key, sometimes another's */
			record_next(f, index, index, tag, name, (uint8_t)(1 + (r >> 20) % 9));
			break;
		case 8:
			revoke(f, (uint8_t)(1 + (r >> 20) % 9), (r >> 24) % 4 == 0);
			break;
		default:
			break;
		}
		if ((r >> 28) % 2 == 0) {
			apply(f);
			assert_loads(f);
		}
	}
	apply(f);
	assert_loads(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_records_make_peers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rekey_replaces, setup, teardown),
		cmocka_unit_test_setup_teardown(test_left_and_replaced_in_one_batch, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_refused_record_changes_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_key_moves, setup, teardown),
		cmocka_unit_test_setup_teardown(test_join_lines_win, setup, teardown),
		cmocka_unit_test_setup_teardown(test_older_claim_wins, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kept_peer_gives_way, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rotation_takes_over, setup, teardown),
		cmocka_unit_test_setup_teardown(test_next_key_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_revoked_keys, setup, teardown),
		cmocka_unit_test_setup_teardown(test_key_sets_and_acks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_random_rounds, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
