/* SPDX-License-Identifier: MIT */
/*
 * dns_query: bench/names' probe of the names responder, without a process per query (a dig
 * costs more than the answer it times).
 *   dns_query time SERVER NAME COUNT
 *       COUNT A queries for NAME over UDP, one after the other (each waits for its answer, at
 *       most 1 s): prints "p50 p99 max lost" in microseconds
 *   dns_query until SERVER NAME WANT T0 TIMEOUT_MS
 *       asks every 2 ms until the answer is WANT (an address, or "refused"): prints the
 *       milliseconds since T0 (CLOCK_REALTIME in ns, the caller's `date +%s%N`), or "-" after
 *       TIMEOUT_MS
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "driver/dns_wire.h"

static uint64_t now_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* One query: 0 and the response in r/addr, -1 when none came within wait_ms. */
static int ask(int fd, const struct dns_query *q, int wait_ms, struct dns_response *r,
	       uint32_t *addr)
{
	uint8_t msg[512], in[1500];
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int len = dns_query_build(q, msg, sizeof(msg));

	if (len < 0 || send(fd, msg, (size_t)len, 0) != len)
		return -1;
	while (poll(&p, 1, wait_ms) == 1) {
		ssize_t n = recv(fd, in, sizeof(in), 0);

		if (n > 0 && dns_response_parse(in, (size_t)n, r, addr, 1) == 0 && r->id == q->id)
			return 0;
	}
	return -1;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(53) };
	struct dns_query q = { .rd = true };
	struct dns_response r;
	uint32_t addr = 0;
	int fd;

	if (argc < 5 || inet_pton(AF_INET, argv[2], &sa.sin_addr) != 1 ||
	    dns_question_set(&q.question, argv[3], DNS_TYPE_A) < 0) {
		fprintf(stderr, "usage: dns_query time SERVER NAME COUNT | "
			"until SERVER NAME WANT T0 TIMEOUT_MS\n");
		return 2;
	}
	q.has_question = true;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("dns_query: socket");
		return 1;
	}
	if (strcmp(argv[1], "time") == 0) {
		long count = atol(argv[4]);
		uint64_t *us = calloc(count > 0 ? (size_t)count : 1, sizeof(*us));
		size_t n = 0;

		for (long i = 0; us && i < count; i++) {
			uint64_t t = now_ns(CLOCK_MONOTONIC);

			q.id = (uint16_t)i;
			if (ask(fd, &q, 1000, &r, &addr) == 0)
				us[n++] = (now_ns(CLOCK_MONOTONIC) - t) / 1000;
		}
		if (!n) {
			printf("- - - %ld\n", count);
			free(us);
			return 0;
		}
		qsort(us, n, sizeof(*us), cmp_u64);
		printf("%llu %llu %llu %ld\n", (unsigned long long)us[(n - 1) / 2],
		       (unsigned long long)us[(n * 99 + 99) / 100 - 1],
		       (unsigned long long)us[n - 1], count - (long)n);
		free(us);
		return 0;
	}
	if (strcmp(argv[1], "until") == 0 && argc == 7) {
		uint64_t t0 = strtoull(argv[5], NULL, 10), end = now_ns(CLOCK_MONOTONIC) +
			(uint64_t)atol(argv[6]) * 1000000u;
		char got[INET_ADDRSTRLEN];

		for (uint16_t id = 1; now_ns(CLOCK_MONOTONIC) < end; id++) {
			struct timespec nap = { .tv_nsec = 2000000 };

			q.id = id;
			if (ask(fd, &q, 50, &r, &addr) == 0) {
				if (r.naddrs) {
					struct in_addr in = { htonl(addr) };

					inet_ntop(AF_INET, &in, got, sizeof(got));
				} else {
					snprintf(got, sizeof(got), "%s", r.rcode == DNS_RCODE_REFUSED ?
						 "refused" : "none");
				}
				if (strcmp(got, argv[4]) == 0) {
					printf("%llu\n", (unsigned long long)
					       (now_ns(CLOCK_REALTIME) - t0) / 1000000u);
					return 0;
				}
			}
			nanosleep(&nap, NULL);
		}
		printf("-\n");
		return 0;
	}
	fprintf(stderr, "dns_query: unknown mode %s\n", argv[1]);
	return 2;
}
