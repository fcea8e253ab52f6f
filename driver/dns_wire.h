/* SPDX-License-Identifier: MIT */
#ifndef WGNET_DRIVER_DNS_WIRE_H
#define WGNET_DRIVER_DNS_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The DNS wire format of wgnet's name responder (RFC 1035, EDNS0 of RFC 6891), pure: no I/O,
 * no allocation, every buffer the caller's. Queries come from containers and are parsed as
 * hostile. The responder's loop:
 *
 *	rc = dns_query_parse(msg, len, &q);
 *	if (rc < 0)
 *		drop it (too short to echo an ID, or a response: answering could loop)
 *	reply.rcode = rc, or, when rc is 0, NOERROR with the addresses of q.question.name and
 *		authoritative set (NOERROR without addresses for another type of a name we own),
 *		REFUSED for a name we do not own (Docker's embedded DNS then asks the next server)
 *	reply.limit = dns_response_limit(&q, transport);
 *	n = dns_response_build(&q, &reply, buf, sizeof(buf));
 *
 * Names are compared as dotted text with dns_name_match().
 */
#define DNS_HEADER_LEN 12
#define DNS_NAME_MAX 255	/* wire form, root label included (RFC 1035 3.1) */
#define DNS_NAME_TEXT_MAX 254	/* dotted text without the trailing dot, NUL included */
#define DNS_LABEL_MAX 63
#define DNS_UDP_MIN 512		/* without EDNS, and the least an EDNS size means (RFC 6891 6.2.3) */
#define DNS_UDP_MAX 1232	/* our cap on a client's EDNS size: no IP fragments (DNS flag day 2020) */
#define DNS_TCP_MAX 65535
#define DNS_POINTER_HOPS 127	/* compression pointers followed in one name of a response */

#define DNS_TYPE_A 1
#define DNS_TYPE_AAAA 28
#define DNS_TYPE_OPT 41
#define DNS_TYPE_ANY 255
#define DNS_CLASS_IN 1

enum dns_rcode {
	DNS_RCODE_NOERROR = 0,
	DNS_RCODE_FORMERR = 1,
	DNS_RCODE_SERVFAIL = 2,
	DNS_RCODE_NXDOMAIN = 3,
	DNS_RCODE_NOTIMP = 4,
	DNS_RCODE_REFUSED = 5,
	DNS_RCODE_BADVERS = 16,	/* extended (RFC 6891): only in a response carrying an OPT record */
};

enum dns_transport { DNS_TRANSPORT_UDP, DNS_TRANSPORT_TCP };

struct dns_question {
	uint8_t wire[DNS_NAME_MAX];	/* QNAME as received, case kept: 0x20 resolvers check it */
	uint8_t wire_len;		/* 1..255 */
	char name[DNS_NAME_TEXT_MAX];	/* lower case, dotted, no trailing dot, "" for the root;
					 * also "" when a label has a byte other than a letter,
					 * digit, '-' or '_' (no name of ours has one) */
	uint16_t qtype;
	uint16_t qclass;
};

struct dns_query {
	uint16_t id;
	uint8_t opcode;
	bool rd;		/* recursion desired, echoed */
	bool cd;		/* checking disabled, echoed */
	bool has_question;	/* the question parsed: the response echoes it */
	struct dns_question question;
	bool edns;		/* an OPT record came: the response carries one */
	uint16_t edns_size;	/* its UDP payload size, as sent (see dns_response_limit) */
	uint8_t edns_version;
	bool edns_do;		/* DNSSEC OK, echoed (RFC 3225) */
};

/*
 * Parse a query. < 0 (-EBADMSG): drop it, no response: shorter than a header, or QR set (a
 * response: answering it could bounce between two servers). Otherwise the rcode to answer with,
 * `q` written in every case:
 *   DNS_RCODE_NOTIMP   an opcode other than QUERY; the response is the header only
 *   DNS_RCODE_FORMERR  anything else malformed; the response is the header only (no question,
 *                      no OPT): QDCOUNT not 1, an answer or authority record, more than one
 *                      additional record or one that is not a well-formed OPT with the root as
 *                      owner, a compression pointer or an extended label type in the question
 *                      (no stub resolver compresses the first name of a message: there is
 *                      nothing before it to point to), a label or name too long, bytes missing
 *                      or left over
 *   DNS_RCODE_BADVERS  a well-formed query with an EDNS version other than 0
 *   DNS_RCODE_REFUSED  a well-formed query for a name that cannot be ours: a class other than
 *                      IN, or a label with a byte other than a letter, digit, '-' or '_'.
 *                      REFUSED, not NXDOMAIN, so that Docker's embedded DNS asks the next server
 *                      (docs/decisions.md, "Names across hosts")
 *   0                  a query to answer from q->question (name, qtype)
 */
int dns_query_parse(const uint8_t *msg, size_t len, struct dns_query *q);

/*
 * The largest response a query may get: 512 over UDP without EDNS, the client's EDNS size over
 * UDP (512 at least, DNS_UDP_MAX at most), 65535 over TCP.
 */
size_t dns_response_limit(const struct dns_query *q, enum dns_transport transport);

struct dns_reply {
	enum dns_rcode rcode;
	bool authoritative;	/* AA: for the names we own */
	const uint32_t *addrs;	/* one A record each, host byte order; NOERROR only */
	size_t naddrs;
	uint32_t ttl;		/* seconds, at most INT32_MAX */
	size_t limit;		/* dns_response_limit() */
};

/*
 * Build the response to a parsed query into buf: the header with q's ID, opcode, RD and CD, QR
 * and r's rcode and AA (RA, AD and Z clear); the question as received when q has one; one A
 * record per address, its owner a pointer to the question; an OPT record when the query had
 * one (our size DNS_UDP_MAX, version 0, DO echoed, BADVERS's upper bits). Nothing else: no
 * authority, no padding. When the answers do not fit min(limit, size), none is sent and TC is
 * set (the client asks again over TCP): never a partial RRset, never more than the limit.
 * Returns the length, or -EINVAL (a bad reply: an unknown rcode, addresses with another rcode
 * or without a question, BADVERS without EDNS, over 65535 addresses, a TTL over INT32_MAX),
 * -EMSGSIZE (not even the header, question and OPT fit).
 */
int dns_response_build(const struct dns_query *q, const struct dns_reply *r, uint8_t *buf,
		       size_t size);

/*
 * A query of ours (the peers asked over the tunnel): dns_question_set makes the question of a
 * dotted name (labels of letters, digits, '-' and '_'; -EINVAL otherwise) and type, class IN;
 * dns_query_build writes q (ID, opcode, RD, CD, the question, an OPT record of DNS_UDP_MAX when
 * edns): its length, -EINVAL without a question, -EMSGSIZE when it does not fit.
 */
int dns_question_set(struct dns_question *q, const char *name, uint16_t qtype);
int dns_query_build(const struct dns_query *q, uint8_t *buf, size_t size);

struct dns_response {
	uint16_t id;
	uint8_t opcode;
	unsigned rcode;		/* with the OPT record's extended bits */
	bool aa, tc, rd, ra;
	bool has_question;
	struct dns_question question;
	bool edns;
	uint16_t edns_size;
	size_t nanswers;	/* records in the answer section */
	size_t naddrs;		/* A records of class IN for the question's name (may exceed max) */
};

/*
 * Parse a response (ours read back, or a peer's): header with QR set, at most one question
 * (no compression pointer there either), then every record; names in records may use
 * compression pointers, followed only towards the start of the message, each further back than
 * the one before, at most DNS_POINTER_HOPS per name. The first `max` A records of class IN
 * whose owner is the question's name (case ignored) go to addrs (host byte order). 0 or
 * -EBADMSG; `r` is written only on success.
 */
int dns_response_parse(const uint8_t *msg, size_t len, struct dns_response *r, uint32_t *addrs,
		       size_t max);

/*
 * TCP (RFC 1035 4.2.2, RFC 7766): a 2-byte length before each message. dns_tcp_frame looks at
 * the bytes received so far: 0 when more are needed; else the frame's whole length (2 + the
 * message's), the message being the *msg_len bytes at buf + 2; -EBADMSG for a zero length
 * (close the connection). dns_tcp_prefix writes the length of a message of msg_len bytes, or
 * returns -EMSGSIZE over 65535.
 */
int dns_tcp_frame(const uint8_t *buf, size_t len, size_t *msg_len);
int dns_tcp_prefix(uint8_t out[2], size_t msg_len);

/*
 * Whether a parsed name (dns_question.name) is `name` or `name.network`, ASCII case ignored,
 * a trailing dot on `name` or `network` allowed; network may be NULL. Docker's names as they
 * come: a container name may hold dots ("web.v1" matches the two labels web and v1).
 */
bool dns_name_match(const char *qname, const char *name, const char *network);

#endif
