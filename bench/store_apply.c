/* SPDX-License-Identifier: MIT */
/*
 * bench/store_apply: what one wgnetd does under its lock when store records arrive, for 1,024 to
 * 65,535 hosts, without etcd or a device: a full read (every claim and record, the hosts
 * indexed, the plan that makes the peers of an empty state), then the same records once more
 * (nothing changes), then one record re-keyed (claim and record of another key at one index).
 * Prints the median of BENCH_STORE_APPLY_RUNS runs (default 5) in ms and per record in
 * microseconds: per record stays flat when the work is O(n log n), and would grow with n if a
 * record were looked up by a scan. Info lines are off (a full read logs one per peer). Never
 * run by ctest; never fails for slowness.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "driver/log.h"
#include "driver/store_hosts.h"
#include "driver/store_plan.h"

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static void key_of(unsigned n, unsigned salt, uint8_t out[KEYS_LEN])
{
	memset(out, 0, KEYS_LEN);
	for (int i = 0; i < 4; i++)	/* spread: sorting by key is not sorting by index */
		out[i] = (uint8_t)((n * 2654435761u + salt) >> (8 * i));
	out[4] = (uint8_t)salt;
}

static void put(struct store_hosts *t, const char *prefix, unsigned index, const char *value,
		int64_t rev)
{
	char key[STORE_KEY_MAX];
	struct etcd_kv kv = { .key = key, .value = (char *)value, .value_len = strlen(value),
			      .create_rev = rev, .mod_rev = rev };

	store_key_format(prefix, index, key);
	store_hosts_update(t, &kv, false);
}

/* What etcd holds for host n with the key of salt: its claim and its record (made before the
 * clock starts: wgnetd parses records, it does not write them). */
struct host_text {
	char claim[KEYS_B64_LEN];
	char *record;
};

static void host_text(unsigned n, unsigned salt, struct host_text *out)
{
	struct store_record r = { .index = n, .listen_port = 51820, .mtu = 1420 };

	key_of(n, salt, r.key);
	keys_b64(r.key, out->claim);
	snprintf(r.name, sizeof(r.name), "host%u", n);
	snprintf(r.endpoints[r.nendpoints++], STATE_HOST_ENDPOINT_MAX, "10.%u.%u.%u:51820",
		 n >> 16, (n >> 8) & 255, n & 255);
	out->record = store_record_format(&r);
	if (!out->record)
		exit(1);
}

static void host_put(struct store_hosts *t, unsigned n, const struct host_text *h, int64_t rev)
{
	put(t, STORE_INDEX_PREFIX, n, h->claim, rev);
	put(t, STORE_HOSTS_PREFIX, n, h->record, rev + 1);
}

static void plan_into(struct store_hosts *t, struct state *st, struct store_keys *mine)
{
	struct store_plan p = { 0 };

	if (store_hosts_reindex(t) < 0 || store_plan_make(t, st, mine, &p) < 0) {
		fprintf(stderr, "store_apply: out of memory\n");
		exit(1);
	}
	if (p.changed) {
		free(st->peers);
		st->peers = p.peers;
		st->npeers = p.npeers;
		p.peers = NULL;
		store_hosts_keys_release(mine);
		*mine = p.mine;
		p.mine = (struct store_keys){ 0 };
	}
	store_plan_release(&p);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* One run for n hosts: the three times in ms. */
static void run(unsigned n, double out[3])
{
	struct store_hosts t = { 0 };
	struct store_keys mine = { 0 };
	struct state st = { .host_index = n + 1, .has_host_key = true };
	struct host_text *text = calloc(n + 1, sizeof(*text)), rekey;
	double t0;

	if (!text)
		exit(1);
	for (unsigned i = 1; i <= n; i++)
		host_text(i, 1, &text[i]);
	host_text(n / 2, 2, &rekey);
	memset(st.host_public_key, 0xee, KEYS_LEN);
	t0 = now_ms();
	for (unsigned i = 1; i <= n; i++)
		host_put(&t, i, &text[i], 2 * (int64_t)i);
	plan_into(&t, &st, &mine);
	out[0] = now_ms() - t0;
	if (st.npeers != n) {
		fprintf(stderr, "store_apply: %zu peers for %u records\n", st.npeers, n);
		exit(1);
	}
	t0 = now_ms();
	for (unsigned i = 1; i <= n; i++)
		host_put(&t, i, &text[i], 2 * (int64_t)i);
	plan_into(&t, &st, &mine);
	out[1] = now_ms() - t0;
	t0 = now_ms();
	host_put(&t, n / 2, &rekey, 4 * (int64_t)n);
	plan_into(&t, &st, &mine);
	out[2] = now_ms() - t0;
	if (st.npeers != n) {
		fprintf(stderr, "store_apply: %zu peers after a re-key\n", st.npeers);
		exit(1);
	}
	for (unsigned i = 1; i <= n; i++)
		free(text[i].record);
	free(text);
	free(rekey.record);
	store_hosts_release(&t);
	store_hosts_keys_release(&mine);
	state_release(&st);
}

int main(void)
{
	static const unsigned sizes[] = { 1024, 4096, 16384, 65535 };
	const char *env = getenv("BENCH_STORE_APPLY_RUNS");
	int runs = env ? atoi(env) : 5;

	log_set_level(LOG_LEVEL_WARN);	/* the work, not 65,535 "peer added" lines on a tty */
	if (runs < 1 || runs > 100) {
		fprintf(stderr, "store_apply: BENCH_STORE_APPLY_RUNS: 1..100\n");
		return 1;
	}
	printf("| hosts | full read: ms | per record: us | read again: ms | per record: us | "
	       "one index re-keyed: ms |\n|---|---|---|---|---|---|\n");
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		double v[3][100], m[3];

		for (int r = 0; r < runs; r++) {
			double one[3];

			run(sizes[s], one);
			for (int k = 0; k < 3; k++)
				v[k][r] = one[k];
		}
		for (int k = 0; k < 3; k++) {
			qsort(v[k], (size_t)runs, sizeof(double), cmp_double);
			m[k] = v[k][runs / 2];
		}
		printf("| %u | %.1f | %.2f | %.1f | %.2f | %.1f |\n", sizes[s], m[0],
		       m[0] * 1e3 / sizes[s], m[1], m[1] * 1e3 / sizes[s], m[2]);
	}
	return 0;
}
