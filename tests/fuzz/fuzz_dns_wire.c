/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer: DNS messages as a container (or a peer) may send them. Every input is read as a
 * query, a response and a TCP stream; a query that parses gets every kind of response, at
 * exactly what fits and one address more, over UDP and TCP, and each must stay within its
 * limit, be no longer than needed and parse back with the same ID and question.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "driver/dns_wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define A_RR_LEN 16
#define OPT_LEN 11

static uint8_t out[DNS_TCP_MAX];
static uint32_t addrs[DNS_TCP_MAX / A_RR_LEN + 1];
static uint32_t back[DNS_TCP_MAX / A_RR_LEN + 1];

static void check(bool ok)
{
	if (!ok)
		abort();
}

static bool name_ok(const struct dns_question *q)
{
	char head[DNS_NAME_TEXT_MAX];
	size_t len = strlen(q->name), h;

	if (len == 0)
		return true;
	for (size_t i = 0; i < len; i++)
		if (q->name[i] >= 'A' && q->name[i] <= 'Z')
			return false;
	/* dotted text is the wire form less the first length byte and the root */
	if (len + 2 != q->wire_len || !dns_name_match(q->name, q->name, NULL))
		return false;
	/* "a.b.c" is <name>.<network> for "a" and "b.c", and for "a." and "b.c." */
	h = strcspn(q->name, ".");
	if (h == len)
		return true;
	memcpy(head, q->name, h);
	head[h] = '\0';
	if (!dns_name_match(q->name, head, q->name + h + 1) || dns_name_match(q->name, head, NULL))
		return false;
	head[h] = '.';
	head[h + 1] = '\0';
	return dns_name_match(q->name, head, q->name + h + 1);
}

static void build_and_check(const struct dns_query *q, enum dns_rcode rcode, size_t naddrs,
			    enum dns_transport transport)
{
	struct dns_reply reply = { .rcode = rcode, .authoritative = naddrs % 2 == 1,
				   .addrs = addrs, .naddrs = naddrs, .ttl = 5,
				   .limit = dns_response_limit(q, transport) };
	size_t base = DNS_HEADER_LEN + (q->has_question ? q->question.wire_len + 4u : 0) +
		      (q->edns ? OPT_LEN : 0);
	struct dns_response r;
	uint8_t prefix[2];
	int len;

	len = dns_response_build(q, &reply, out, sizeof(out));
	if ((naddrs > 0 && (rcode != DNS_RCODE_NOERROR || !q->has_question)) ||
	    (rcode == DNS_RCODE_BADVERS && !q->edns)) {
		check(len == -EINVAL);
		return;
	}
	check(len > 0 && (size_t)len <= reply.limit);
	check(dns_response_parse(out, (size_t)len, &r, back, naddrs) == 0);
	check(r.id == q->id && r.opcode == q->opcode && r.rcode == rcode && r.rd == q->rd);
	check(!r.ra && r.aa == reply.authoritative);
	check(r.has_question == q->has_question && r.edns == q->edns);
	if (q->has_question)
		check(r.question.wire_len == q->question.wire_len &&
		      memcmp(r.question.wire, q->question.wire, q->question.wire_len) == 0 &&
		      r.question.qtype == q->question.qtype &&
		      r.question.qclass == q->question.qclass &&
		      strcmp(r.question.name, q->question.name) == 0);
	/* all the answers or none; never longer than needed */
	if (r.tc) {
		check(naddrs > 0 && base + naddrs * A_RR_LEN > reply.limit);
		check(r.nanswers == 0 && (size_t)len == base);
	} else {
		check(r.nanswers == naddrs && r.naddrs == naddrs);
		check((size_t)len == base + naddrs * A_RR_LEN);
		check(memcmp(back, addrs, naddrs * sizeof(addrs[0])) == 0);
	}
	check(dns_tcp_prefix(prefix, (size_t)len) == 0 && (prefix[0] << 8 | prefix[1]) == len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum dns_rcode rcodes[] = {
		DNS_RCODE_NOERROR, DNS_RCODE_FORMERR, DNS_RCODE_SERVFAIL, DNS_RCODE_NXDOMAIN,
		DNS_RCODE_NOTIMP, DNS_RCODE_REFUSED, DNS_RCODE_BADVERS,
	};
	static const enum dns_transport transports[] = { DNS_TRANSPORT_UDP, DNS_TRANSPORT_TCP };
	struct dns_response resp;
	struct dns_query q;
	size_t msg_len = 0, i, t;
	int rc, frame;

	if (addrs[1] == 0)
		for (i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++)
			addrs[i] = (uint32_t)(0x0ad20000u + i * 2654435761u);

	/* a peer's response, a TCP stream */
	rc = dns_response_parse(data, size, &resp, back, 8);
	check(rc == 0 || rc == -EBADMSG);
	if (rc == 0 && resp.has_question)
		check(name_ok(&resp.question));
	frame = dns_tcp_frame(data, size, &msg_len);
	check(frame == 0 || frame == -EBADMSG ||
	      (frame > 2 && (size_t)frame == msg_len + 2 && (size_t)frame <= size));

	rc = dns_query_parse(data, size, &q);
	if (rc < 0) {
		check(rc == -EBADMSG);
		return 0;
	}
	check(q.id == (data[0] << 8 | data[1]));
	switch (rc) {
	case DNS_RCODE_FORMERR:
	case DNS_RCODE_NOTIMP:
		check(!q.has_question && !q.edns);
		break;
	case DNS_RCODE_BADVERS:
		check(q.has_question && q.edns && q.edns_version != 0);
		break;
	case DNS_RCODE_REFUSED:
		check(q.has_question && (q.question.qclass != DNS_CLASS_IN ||
					 (q.question.name[0] == '\0' && q.question.wire_len > 1)));
		break;
	case DNS_RCODE_NOERROR:
		check(q.has_question && q.question.qclass == DNS_CLASS_IN);
		break;
	default:
		check(false);
	}
	if (q.has_question)
		check(name_ok(&q.question));

	for (t = 0; t < 2; t++) {
		size_t limit = dns_response_limit(&q, transports[t]);
		size_t base = DNS_HEADER_LEN + (q.has_question ? q.question.wire_len + 4u : 0) +
			      (q.edns ? OPT_LEN : 0);
		size_t fit = (limit - base) / A_RR_LEN;

		check(limit >= DNS_UDP_MIN && limit <= DNS_TCP_MAX && base <= limit);
		build_and_check(&q, (enum dns_rcode)rc, 0, transports[t]);
		for (i = 0; i < sizeof(rcodes) / sizeof(rcodes[0]); i++)
			build_and_check(&q, rcodes[i], 0, transports[t]);
		build_and_check(&q, DNS_RCODE_NOERROR, 1, transports[t]);
		build_and_check(&q, DNS_RCODE_NOERROR, fit, transports[t]);
		build_and_check(&q, DNS_RCODE_NOERROR, fit + 1, transports[t]);
	}
	return 0;
}
