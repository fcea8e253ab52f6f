/* SPDX-License-Identifier: MIT */
/* The DNS wire format (dns_wire.h): every read bounds-checked, nothing in a message trusted. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "driver/dns_wire.h"

#define FLAG_QR 0x8000
#define FLAG_AA 0x0400
#define FLAG_TC 0x0200
#define FLAG_RD 0x0100
#define FLAG_RA 0x0080
#define FLAG_CD 0x0010
#define OPCODE_SHIFT 11
#define OPCODE_QUERY 0
#define RR_FIXED_LEN 10			/* type, class, TTL, RDLENGTH */
#define OPT_LEN (1 + RR_FIXED_LEN)	/* root owner, no options */
#define A_RR_LEN (2 + RR_FIXED_LEN + 4)	/* owner a pointer, IPv4 address */
#define POINTER 0xc0			/* the two high bits of a compression pointer */
#define POINTER_TO_QUESTION (POINTER << 8 | DNS_HEADER_LEN)
#define EDNS_DO 0x8000

struct cursor {
	const uint8_t *msg;
	size_t len;
	size_t off;			/* <= len */
};

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

/* The next n bytes at *p, or false when the message ends before them. */
static bool cursor_take(struct cursor *c, size_t n, const uint8_t **p)
{
	if (c->len - c->off < n)
		return false;
	*p = c->msg + c->off;
	c->off += n;
	return true;
}

static uint8_t ascii_lower(uint8_t ch)
{
	return ch >= 'A' && ch <= 'Z' ? (uint8_t)(ch - 'A' + 'a') : ch;
}

/* What a Docker name can be made of, as DNS labels: a container name is [a-zA-Z0-9_.-]. */
static bool label_char_ok(uint8_t ch)
{
	ch = ascii_lower(ch);
	return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' || ch == '_';
}

/*
 * A well-formed wire name as dotted lower-case text; false (and "") when a label holds another
 * byte: a dot or NUL inside a label must not turn into a name of ours.
 */
static bool name_text(const uint8_t *wire, char out[DNS_NAME_TEXT_MAX])
{
	size_t i = 0, o = 0, l;

	while (wire[i] != 0) {
		l = wire[i++];
		if (o > 0)
			out[o++] = '.';
		for (; l > 0; l--, i++) {
			if (!label_char_ok(wire[i])) {
				out[0] = '\0';
				return false;
			}
			out[o++] = (char)ascii_lower(wire[i]);
		}
	}
	out[o] = '\0';
	return true;
}

/*
 * A question: QNAME as labels only, then QTYPE and QCLASS. A compression pointer is refused
 * here: the question is the first name of a message, there is nothing before it to point to.
 */
static int question_read(struct cursor *c, struct dns_question *q, bool *hostname)
{
	const uint8_t *p;
	size_t n = 0;
	uint8_t l;

	for (;;) {
		if (c->off >= c->len)
			return -EBADMSG;
		l = c->msg[c->off];
		if (l > DNS_LABEL_MAX)			/* a pointer or an extended label type */
			return -EBADMSG;
		if (n + 1 + l > DNS_NAME_MAX || !cursor_take(c, 1 + (size_t)l, &p))
			return -EBADMSG;
		memcpy(q->wire + n, p, 1 + (size_t)l);
		n += 1 + (size_t)l;
		if (l == 0)
			break;
	}
	if (!cursor_take(c, 4, &p))
		return -EBADMSG;
	q->wire_len = (uint8_t)n;
	q->qtype = get16(p);
	q->qclass = get16(p + 2);
	*hostname = name_text(q->wire, q->name);
	return 0;
}

/* The OPT record of a query (RFC 6891 6.1.2): root owner, options well framed, else FORMERR. */
static int opt_read(struct cursor *c, struct dns_query *q)
{
	const uint8_t *p, *rdata;
	uint16_t rdlen, olen;
	uint32_t ttl;
	size_t i;

	if (!cursor_take(c, OPT_LEN, &p) || p[0] != 0 || get16(p + 1) != DNS_TYPE_OPT)
		return -EBADMSG;
	rdlen = get16(p + 9);
	if (!cursor_take(c, rdlen, &rdata))
		return -EBADMSG;
	for (i = 0; i < rdlen; i += olen) {	/* options are ignored, their framing is not */
		if (rdlen - i < 4)
			return -EBADMSG;
		olen = get16(rdata + i + 2);
		i += 4;
		if (rdlen - i < olen)
			return -EBADMSG;
	}
	ttl = get32(p + 5);
	q->edns = true;
	q->edns_size = get16(p + 3);
	q->edns_version = (uint8_t)(ttl >> 16);
	q->edns_do = (ttl & EDNS_DO) != 0;
	return 0;
}

int dns_query_parse(const uint8_t *msg, size_t len, struct dns_query *out)
{
	struct dns_query q = { 0 };
	struct cursor c = { msg, len, DNS_HEADER_LEN };
	bool hostname = false;
	uint16_t flags, arcount;
	int rc;

	if (!msg || len < DNS_HEADER_LEN)
		return -EBADMSG;
	flags = get16(msg + 2);
	if (flags & FLAG_QR)
		return -EBADMSG;
	q.id = get16(msg);
	q.opcode = (uint8_t)((flags >> OPCODE_SHIFT) & 0xf);
	q.rd = (flags & FLAG_RD) != 0;
	q.cd = (flags & FLAG_CD) != 0;
	if (q.opcode != OPCODE_QUERY) {
		rc = DNS_RCODE_NOTIMP;
		goto header_only;
	}
	rc = DNS_RCODE_FORMERR;
	arcount = get16(msg + 10);
	if (get16(msg + 4) != 1 || get16(msg + 6) != 0 || get16(msg + 8) != 0 || arcount > 1)
		goto header_only;
	if (question_read(&c, &q.question, &hostname) < 0)
		goto header_only;
	if (arcount == 1 && opt_read(&c, &q) < 0)
		goto header_only;
	if (c.off != len)
		goto header_only;
	q.has_question = true;
	if (q.edns && q.edns_version != 0)
		rc = DNS_RCODE_BADVERS;
	else if (!hostname || q.question.qclass != DNS_CLASS_IN)
		rc = DNS_RCODE_REFUSED;
	else
		rc = DNS_RCODE_NOERROR;
	*out = q;
	return rc;

header_only:
	/* what parsed beyond the header is not echoed */
	*out = (struct dns_query){ .id = q.id, .opcode = q.opcode, .rd = q.rd, .cd = q.cd };
	return rc;
}

size_t dns_response_limit(const struct dns_query *q, enum dns_transport transport)
{
	switch (transport) {
	case DNS_TRANSPORT_TCP:
		return DNS_TCP_MAX;
	case DNS_TRANSPORT_UDP:
		break;
	}
	if (!q->edns || q->edns_size < DNS_UDP_MIN)
		return DNS_UDP_MIN;
	return q->edns_size > DNS_UDP_MAX ? DNS_UDP_MAX : q->edns_size;
}

static bool rcode_valid(enum dns_rcode rcode)
{
	switch (rcode) {
	case DNS_RCODE_NOERROR:
	case DNS_RCODE_FORMERR:
	case DNS_RCODE_SERVFAIL:
	case DNS_RCODE_NXDOMAIN:
	case DNS_RCODE_NOTIMP:
	case DNS_RCODE_REFUSED:
	case DNS_RCODE_BADVERS:
		return true;
	}
	return false;
}

int dns_response_build(const struct dns_query *q, const struct dns_reply *r, uint8_t *buf,
		       size_t size)
{
	size_t limit = r->limit < size ? r->limit : size;
	size_t qlen = q->has_question ? (size_t)q->question.wire_len + 4 : 0;
	size_t base = DNS_HEADER_LEN + qlen + (q->edns ? OPT_LEN : 0);
	size_t n = r->naddrs, off = DNS_HEADER_LEN, i;
	uint16_t flags;
	bool tc = false;

	if (!rcode_valid(r->rcode) || (r->rcode == DNS_RCODE_BADVERS && !q->edns) ||
	    (n > 0 && (r->rcode != DNS_RCODE_NOERROR || !q->has_question || !r->addrs)) ||
	    n > UINT16_MAX || r->ttl > INT32_MAX)
		return -EINVAL;
	if (limit > DNS_TCP_MAX)
		limit = DNS_TCP_MAX;
	if (base > limit)
		return -EMSGSIZE;
	if (n > (limit - base) / A_RR_LEN) {	/* the whole RRset or none of it */
		n = 0;
		tc = true;
	}

	flags = (uint16_t)(FLAG_QR | (unsigned)(q->opcode & 0xf) << OPCODE_SHIFT |
			   (r->authoritative ? FLAG_AA : 0) | (tc ? FLAG_TC : 0) |
			   (q->rd ? FLAG_RD : 0) | (q->cd ? FLAG_CD : 0) | (r->rcode & 0xf));
	put16(buf, q->id);
	put16(buf + 2, flags);
	put16(buf + 4, q->has_question ? 1 : 0);
	put16(buf + 6, (uint16_t)n);
	put16(buf + 8, 0);
	put16(buf + 10, q->edns ? 1 : 0);
	if (q->has_question) {
		memcpy(buf + off, q->question.wire, q->question.wire_len);
		off += q->question.wire_len;
		put16(buf + off, q->question.qtype);
		put16(buf + off + 2, q->question.qclass);
		off += 4;
	}
	for (i = 0; i < n; i++) {
		put16(buf + off, POINTER_TO_QUESTION);
		put16(buf + off + 2, DNS_TYPE_A);
		put16(buf + off + 4, DNS_CLASS_IN);
		put32(buf + off + 6, r->ttl);
		put16(buf + off + 10, 4);
		put32(buf + off + 12, r->addrs[i]);
		off += A_RR_LEN;
	}
	if (q->edns) {
		buf[off] = 0;
		put16(buf + off + 1, DNS_TYPE_OPT);
		put16(buf + off + 3, DNS_UDP_MAX);
		put32(buf + off + 5, (uint32_t)(r->rcode >> 4) << 24 | (q->edns_do ? EDNS_DO : 0));
		put16(buf + off + 9, 0);
		off += OPT_LEN;
	}
	return (int)off;
}

int dns_question_set(struct dns_question *q, const char *name, uint16_t qtype)
{
	struct dns_question n = { .qtype = qtype, .qclass = DNS_CLASS_IN };
	size_t o = 0, label = 0;

	for (size_t i = 0;; i++) {
		if (name[i] == '.' || name[i] == 0) {
			if ((label == 0 && (name[i] || i)) || o + 1 + label + 1 > DNS_NAME_MAX)
				return -EINVAL;	/* an empty label, or too long */
			n.wire[o] = (uint8_t)label;
			memcpy(n.wire + o + 1, name + i - label, label);
			o += 1 + label;
			label = 0;
			if (name[i] == 0)
				break;
			continue;
		}
		if (!label_char_ok((uint8_t)name[i]) || ++label > DNS_LABEL_MAX)
			return -EINVAL;
	}
	if (o > 1)
		n.wire[o++] = 0;	/* the root label ends a name that has labels */
	n.wire_len = (uint8_t)o;
	if (!name_text(n.wire, n.name))
		return -EINVAL;
	*q = n;
	return 0;
}

int dns_query_build(const struct dns_query *q, uint8_t *buf, size_t size)
{
	struct dns_reply none = { .rcode = DNS_RCODE_NOERROR, .limit = size };
	int len;

	if (!q->has_question || !q->question.wire_len)
		return -EINVAL;
	/* a response without records is a query but for QR (the OPT record: our size, DO) */
	len = dns_response_build(q, &none, buf, size);
	if (len >= 0)
		buf[2] &= (uint8_t)~(FLAG_QR >> 8);
	return len;
}

/*
 * A name in a record: labels and compression pointers, each pointer to a spot past the header
 * and before the lowest one read so far (so a loop cannot be), at most DNS_POINTER_HOPS. Its
 * wire form into out; the cursor moves past the name where it sits.
 */
static int name_read(struct cursor *c, uint8_t out[DNS_NAME_MAX], size_t *out_len)
{
	size_t pos = c->off, low = c->off, end = 0, n = 0, target;
	unsigned hops = 0;
	uint8_t l;

	for (;;) {
		if (pos >= c->len)
			return -EBADMSG;
		l = c->msg[pos];
		if ((l & POINTER) == POINTER) {
			if (c->len - pos < 2 || ++hops > DNS_POINTER_HOPS)
				return -EBADMSG;
			target = (size_t)(l & ~POINTER) << 8 | c->msg[pos + 1];
			if (target < DNS_HEADER_LEN || target >= low)
				return -EBADMSG;
			if (end == 0)
				end = pos + 2;
			low = pos = target;
			continue;
		}
		if (l > DNS_LABEL_MAX || n + 1 + l > DNS_NAME_MAX || c->len - pos < 1 + (size_t)l)
			return -EBADMSG;
		memcpy(out + n, c->msg + pos, 1 + (size_t)l);
		n += 1 + (size_t)l;
		pos += 1 + (size_t)l;
		if (l == 0)
			break;
	}
	c->off = end ? end : pos;
	*out_len = n;
	return 0;
}

static bool wire_equal(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	size_t i;

	if (alen != blen)
		return false;
	for (i = 0; i < alen; i++)	/* length bytes are <= 63: lowering leaves them alone */
		if (ascii_lower(a[i]) != ascii_lower(b[i]))
			return false;
	return true;
}

enum section { SECTION_ANSWER, SECTION_AUTHORITY, SECTION_ADDITIONAL };

/* One record of a response into r (and addrs). */
static int record_read(struct cursor *c, enum section section, struct dns_response *r,
		       uint32_t *addrs, size_t max)
{
	uint8_t owner[DNS_NAME_MAX];
	const uint8_t *p, *rdata;
	uint16_t type, class, rdlen;
	size_t owner_len;

	if (name_read(c, owner, &owner_len) < 0 || !cursor_take(c, RR_FIXED_LEN, &p))
		return -EBADMSG;
	type = get16(p);
	class = get16(p + 2);
	rdlen = get16(p + 8);
	if (!cursor_take(c, rdlen, &rdata))
		return -EBADMSG;
	switch (section) {
	case SECTION_ANSWER:
		r->nanswers++;
		if (type != DNS_TYPE_A || class != DNS_CLASS_IN)
			break;
		if (rdlen != 4)
			return -EBADMSG;
		if (!r->has_question ||
		    !wire_equal(owner, owner_len, r->question.wire, r->question.wire_len))
			break;
		if (r->naddrs < max)
			addrs[r->naddrs] = get32(rdata);
		r->naddrs++;
		break;
	case SECTION_AUTHORITY:
		break;
	case SECTION_ADDITIONAL:
		if (type != DNS_TYPE_OPT)
			break;
		if (r->edns || owner_len != 1)		/* one OPT, owned by the root */
			return -EBADMSG;
		r->edns = true;
		r->edns_size = class;
		r->rcode |= (unsigned)p[4] << 4;	/* the TTL's top byte: extended rcode */
		break;
	}
	return 0;
}

int dns_response_parse(const uint8_t *msg, size_t len, struct dns_response *out, uint32_t *addrs,
		       size_t max)
{
	struct dns_response r = { 0 };
	struct cursor c = { msg, len, DNS_HEADER_LEN };
	bool hostname;
	uint16_t flags, qdcount, count;
	size_t i;
	int s;

	if (!msg || len < DNS_HEADER_LEN)
		return -EBADMSG;
	flags = get16(msg + 2);
	if (!(flags & FLAG_QR))
		return -EBADMSG;
	r.id = get16(msg);
	r.opcode = (uint8_t)((flags >> OPCODE_SHIFT) & 0xf);
	r.rcode = flags & 0xf;
	r.aa = (flags & FLAG_AA) != 0;
	r.tc = (flags & FLAG_TC) != 0;
	r.rd = (flags & FLAG_RD) != 0;
	r.ra = (flags & FLAG_RA) != 0;
	qdcount = get16(msg + 4);
	if (qdcount > 1)
		return -EBADMSG;
	if (qdcount == 1) {
		if (question_read(&c, &r.question, &hostname) < 0)
			return -EBADMSG;
		r.has_question = true;
	}
	for (s = SECTION_ANSWER; s <= SECTION_ADDITIONAL; s++) {
		count = get16(msg + 6 + 2 * s);
		for (i = 0; i < count; i++)
			if (record_read(&c, (enum section)s, &r, addrs, max) < 0)
				return -EBADMSG;
	}
	if (c.off != len)
		return -EBADMSG;
	*out = r;
	return 0;
}

int dns_tcp_frame(const uint8_t *buf, size_t len, size_t *msg_len)
{
	size_t n;

	if (len < 2)
		return 0;
	n = get16(buf);
	if (n == 0)
		return -EBADMSG;
	if (len - 2 < n)
		return 0;
	*msg_len = n;
	return (int)(n + 2);
}

int dns_tcp_prefix(uint8_t out[2], size_t msg_len)
{
	if (msg_len == 0 || msg_len > DNS_TCP_MAX)
		return -EMSGSIZE;
	put16(out, (uint16_t)msg_len);
	return 0;
}

/* s's length without one trailing dot */
static size_t len_undotted(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && s[n - 1] == '.' ? n - 1 : n;
}

static bool text_equal(const char *a, const char *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (ascii_lower((uint8_t)a[i]) != ascii_lower((uint8_t)b[i]))
			return false;
	return true;
}

bool dns_name_match(const char *qname, const char *name, const char *network)
{
	size_t q = strlen(qname), n = len_undotted(name), w;

	if (n == 0 || q < n || !text_equal(qname, name, n))
		return false;
	if (q == n)
		return true;
	if (!network || qname[n] != '.')
		return false;
	w = len_undotted(network);
	return w > 0 && q == n + 1 + w && text_equal(qname + n + 1, network, w);
}
