/* SPDX-License-Identifier: MIT */
/* The ring of events: numbers, reading from any number on, what a full ring drops, texts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "driver/event_ring.h"

static struct event out[EVENT_RING_MAX + 8];

static void push_n(struct event_ring *r, unsigned n)
{
	char subject[16];

	for (unsigned i = 0; i < n; i++) {
		snprintf(subject, sizeof(subject), "e%llu", (unsigned long long)r->last + 1);
		event_ring_push(r, 1000 + (int64_t)r->last, EVENT_PEER_UP, subject, "detail");
	}
}

static void test_numbers_and_since(void **state)
{
	struct event_ring *r = calloc(1, sizeof(*r));
	uint64_t lost = 99;

	(void)state;
	assert_non_null(r);
	assert_int_equal(event_ring_since(r, 0, out, 10, &lost), 0);	/* empty */
	assert_int_equal(lost, 0);
	event_ring_push(r, 1700000000, EVENT_FIREWALL_REBUILT, "firewall", "tables deleted");
	event_ring_push(r, 1700000001, EVENT_STORE_LOST, "store", "refused");
	event_ring_push(r, 1700000002, EVENT_STORE_BACK, "store", "reachable again");
	assert_int_equal(r->last, 3);
	assert_int_equal(event_ring_since(r, 0, out, 10, &lost), 3);
	assert_int_equal(lost, 0);
	assert_int_equal(out[0].seq, 1);
	assert_int_equal(out[0].unix_time, 1700000000);
	assert_int_equal(out[0].kind, EVENT_FIREWALL_REBUILT);
	assert_string_equal(out[0].subject, "firewall");
	assert_string_equal(out[2].detail, "reachable again");
	/* after the last one seen: only the newer ones; after the newest: none */
	assert_int_equal(event_ring_since(r, 2, out, 10, &lost), 1);
	assert_int_equal(out[0].seq, 3);
	assert_int_equal(event_ring_since(r, 3, out, 10, &lost), 0);
	assert_int_equal(event_ring_since(r, 50, out, 10, &lost), 0);
	/* at most max, oldest first: the reader asks again from the last it got */
	assert_int_equal(event_ring_since(r, 0, out, 2, &lost), 2);
	assert_int_equal(out[1].seq, 2);
	free(r);
}

static void test_full_ring(void **state)
{
	struct event_ring *r = calloc(1, sizeof(*r));
	uint64_t lost;
	size_t n;

	(void)state;
	assert_non_null(r);
	push_n(r, EVENT_RING_MAX + 10);
	/* the oldest ten went: a reader at 0 missed them, and says how many */
	n = event_ring_since(r, 0, out, EVENT_RING_MAX + 8, &lost);
	assert_int_equal(n, EVENT_RING_MAX);
	assert_int_equal(lost, 10);
	assert_int_equal(out[0].seq, 11);
	assert_string_equal(out[0].subject, "e11");
	assert_int_equal(out[n - 1].seq, EVENT_RING_MAX + 10);
	assert_string_equal(out[n - 1].subject, "e266");
	/* one that read up to 5 missed 6..10 */
	event_ring_since(r, 5, out, 1, &lost);
	assert_int_equal(lost, 5);
	assert_int_equal(out[0].seq, 11);
	/* one that read up to 10 missed nothing */
	event_ring_since(r, 10, out, 1, &lost);
	assert_int_equal(lost, 0);
	assert_int_equal(out[0].seq, 11);
	/* many laps: still in order, numbers go on */
	push_n(r, 3 * EVENT_RING_MAX + 1);
	n = event_ring_since(r, r->last - 3, out, 10, &lost);
	assert_int_equal(n, 3);
	assert_int_equal(lost, 0);
	assert_int_equal(out[0].seq + 2, r->last);
	free(r);
}

static void test_texts(void **state)
{
	struct event_ring *r = calloc(1, sizeof(*r));
	char longer[EVENT_DETAIL_MAX * 2];
	uint64_t lost;

	(void)state;
	assert_non_null(r);
	memset(longer, 'x', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = 0;
	/* control bytes and bytes above 0x7e (a store's error text could hold any) become '?' */
	event_ring_push(r, 1, EVENT_STORE_LOST, "st\x01re", "a\nb\tc \xc3\xa9 d\x7f");
	event_ring_push(r, 2, EVENT_PEER_DOWN, NULL, longer);
	assert_int_equal(event_ring_since(r, 0, out, 2, &lost), 2);
	assert_string_equal(out[0].subject, "st?re");
	assert_string_equal(out[0].detail, "a?b?c ?? d?");
	assert_string_equal(out[1].subject, "");
	assert_int_equal(strlen(out[1].detail), EVENT_DETAIL_MAX - 1);
	free(r);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(event_kind_name(EVENT_PEER_UP), "peer-up");
	assert_string_equal(event_kind_name(EVENT_PEER_DOWN), "peer-down");
	assert_string_equal(event_kind_name(EVENT_ENDPOINT_MOVED), "endpoint-moved");
	assert_string_equal(event_kind_name(EVENT_FAILOVER), "failover");
	assert_string_equal(event_kind_name(EVENT_FIREWALL_REBUILT), "firewall-rebuilt");
	assert_string_equal(event_kind_name(EVENT_FIREWALL_FAILED), "firewall-failed");
	assert_string_equal(event_kind_name(EVENT_FIREWALL_OK), "firewall-ok");
	assert_string_equal(event_kind_name(EVENT_STORE_LOST), "store-lost");
	assert_string_equal(event_kind_name(EVENT_STORE_BACK), "store-back");
	assert_string_equal(event_kind_name(EVENT_WATCHDOG_RESTART), "watchdog-restart");
	assert_string_equal(event_kind_name(EVENT_WATCHDOG_FAILED), "watchdog-failed");
	assert_string_equal(event_kind_name(EVENT_KEY_ROTATED), "key-rotated");
	assert_string_equal(event_kind_name(EVENT_PEER_REKEYED), "peer-rekeyed");
	assert_string_equal(event_kind_name(EVENT_KEY_REVOKED), "key-revoked");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_numbers_and_since),
		cmocka_unit_test(test_full_ring),
		cmocka_unit_test(test_texts),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
