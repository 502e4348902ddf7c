/* SPDX-License-Identifier: Apache-2.0 */
/* capture-decode.c - reads link, IP and transport headers of one packet through checked getters. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pcap/dlt.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "capture/capture-private.h"

/*
 * A window over the captured bytes. Every getter checks the bytes it reads against what is left
 * before touching them, so a lying length field or a short snaplen can only ever give
 * CAPTURE_DECODE_TRUNCATED, never a read past the buffer.
 */
struct cursor {
	const uint8_t *p;
	size_t left;
};

static inline bool cur_has(const struct cursor *c, size_t off, size_t n)
{
	return off <= c->left && n <= c->left - off;
}

static inline bool cur_u8(const struct cursor *c, size_t off, uint8_t *ret)
{
	if (!cur_has(c, off, 1))
		return false;
	*ret = c->p[off];
	return true;
}

static inline bool cur_be16(const struct cursor *c, size_t off, uint16_t *ret)
{
	if (!cur_has(c, off, 2))
		return false;
	*ret = (uint16_t)(c->p[off] << 8 | c->p[off + 1]);
	return true;
}

static inline bool cur_be32(const struct cursor *c, size_t off, uint32_t *ret)
{
	if (!cur_has(c, off, 4))
		return false;
	*ret = (uint32_t)c->p[off] << 24 | (uint32_t)c->p[off + 1] << 16 |
	       (uint32_t)c->p[off + 2] << 8 | c->p[off + 3];
	return true;
}

static inline bool cur_bytes(const struct cursor *c, size_t off, size_t n, uint8_t *ret)
{
	if (!cur_has(c, off, n))
		return false;
	memcpy(ret, c->p + off, n);
	return true;
}

static inline bool cur_skip(struct cursor *c, size_t n)
{
	if (n > c->left)
		return false;
	c->p += n;
	c->left -= n;
	return true;
}

/* A length field may shorten what follows (link padding), never lengthen what was captured. */
static inline void cur_clamp(struct cursor *c, size_t len)
{
	if (len < c->left)
		c->left = len;
}

/* ---- Addresses ---------------------------------------------------------------------------- */

const char *capture_addr_format(const struct capture_addr *a, char buf[static CAPTURE_ADDR_LEN])
{
	if (!inet_ntop(a->family == AF_INET6 ? AF_INET6 : AF_INET, a->bytes, buf, CAPTURE_ADDR_LEN))
		strcpy(buf, "?");
	return buf;
}

int capture_addr_parse(const char *s, struct capture_addr *ret)
{
	struct capture_addr a = {0};

	if (inet_pton(AF_INET, s, a.bytes) == 1)
		a.family = AF_INET;
	else if (inet_pton(AF_INET6, s, a.bytes) == 1)
		a.family = AF_INET6;
	else
		return -EINVAL;
	*ret = a;
	return 0;
}

int capture_addr_compare(const struct capture_addr *a, const struct capture_addr *b)
{
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	return memcmp(a->bytes, b->bytes, sizeof(a->bytes));
}

void capture_addr_mask(struct capture_addr *a, unsigned len)
{
	for (unsigned i = 0; i < sizeof(a->bytes); i++) {
		unsigned bits = len > i * 8 ? len - i * 8 : 0;

		if (bits < 8)
			a->bytes[i] &= (uint8_t)(0xff00u >> bits);
	}
}

int capture_prefix_parse(const char *s, bool bare_ok, struct capture_addr *ret, unsigned *ret_len)
{
	const char *slash = strchr(s, '/');
	struct capture_addr a;
	uint64_t len;
	char *addr;
	int r;

	if (!slash && !bare_ok)
		return -EINVAL;
	addr = slash ? util_strndup(s, (size_t)(slash - s)) : util_strdup(s);
	r = capture_addr_parse(addr, &a);
	free(addr);
	if (r < 0)
		return -EINVAL;
	len = a.family == AF_INET ? 32 : 128;
	if (slash && util_parse_u64(slash + 1, len, &len) < 0)
		return -EINVAL;
	capture_addr_mask(&a, (unsigned)len);
	*ret = a;
	*ret_len = (unsigned)len;
	return 0;
}

/* ---- Link types --------------------------------------------------------------------------- */

enum link_kind {
	LINK_ETHERTYPE, /* an EtherType at proto_off, the network header at hdr_len */
	LINK_IP,	/* the packet starts with an IP header; its version nibble decides */
	LINK_IPV4,
	LINK_IPV6,
	LINK_AF_ANY, /* DLT_NULL: 4-byte address family in the capturing host's byte order */
	LINK_AF_BE,  /* DLT_LOOP: the same in network byte order */
};

struct link_type {
	int dlt;
	enum link_kind kind;
	uint8_t hdr_len;
	uint8_t proto_off;
};

/* libpcap maps LINKTYPE_RAW (101) in files to DLT_RAW; 101 is kept for callers passing it. */
#define LINKTYPE_RAW_VALUE 101
/* BSD/OS and OpenBSD call 14 DLT_RAW; elsewhere 14 is unassigned, so reading it as raw is safe. */
#define DLT_RAW_BSDOS 14

static const struct link_type link_types[] = {
	{DLT_EN10MB, LINK_ETHERTYPE, 14, 12},
	{DLT_LINUX_SLL, LINK_ETHERTYPE, 16, 14},
	{DLT_LINUX_SLL2, LINK_ETHERTYPE, 20, 0},
	{DLT_RAW, LINK_IP, 0, 0},
#if DLT_RAW != DLT_RAW_BSDOS
	{DLT_RAW_BSDOS, LINK_IP, 0, 0},
#endif
	{LINKTYPE_RAW_VALUE, LINK_IP, 0, 0},
	{DLT_IPV4, LINK_IPV4, 0, 0},
	{DLT_IPV6, LINK_IPV6, 0, 0},
	{DLT_NULL, LINK_AF_ANY, 4, 0},
	{DLT_LOOP, LINK_AF_BE, 4, 0},
};

static const struct link_type *link_type_find(int dlt)
{
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(link_types); i++)
		if (link_types[i].dlt == dlt)
			return &link_types[i];
	return NULL;
}

bool capture_linktype_supported(int dlt)
{
	return link_type_find(dlt) != NULL;
}

/* ---- Transport ---------------------------------------------------------------------------- */

#define ETHERTYPE_IPV4	     0x0800
#define ETHERTYPE_IPV6	     0x86dd
#define ETHERTYPE_8021Q	     0x8100
#define ETHERTYPE_8021AD     0x88a8
#define ETHERTYPE_QINQ_OLD   0x9100
#define MAX_VLAN_TAGS	     8
#define MAX_IPV6_EXT_HEADERS 16

#define ICMP_ECHO_REPLY	      0
#define ICMP_UNREACH	      3
#define ICMP_UNREACH_NEEDFRAG 4 /* path MTU discovery, not a refusal */
#define ICMP_ECHO_REQUEST     8
#define ICMP6_UNREACH	      1
#define ICMP6_ECHO_REQUEST    128
#define ICMP6_ECHO_REPLY      129
#define IPPROTO_MOBILITY_HDR  135
#define TCP_RST		      0x04

/*
 * The packet a destination-unreachable error quotes (its IP header and the first 8 bytes after,
 * RFC 792 and RFC 4443) becomes a packet of that flow from the end it could not reach: see
 * capture_packet.icmp_error. Only TCP, UDP and SCTP quotes without IPv6 extension headers. A
 * quote cut before the ports is TRUNCATED, as any header would be.
 */
static enum capture_decode_result decode_icmp_error(const struct cursor *c, bool v6,
						    struct capture_packet *pkt)
{
	struct cursor q = *c;
	uint8_t b, proto;
	size_t hlen;
	uint16_t frag;

	if (!cur_skip(&q, 8) || !cur_u8(&q, 0, &b))
		return CAPTURE_DECODE_TRUNCATED;
	if (b >> 4 != (v6 ? 6 : 4))
		return CAPTURE_DECODE_MALFORMED;
	if (v6) {
		hlen = 40;
		if (!cur_u8(&q, 6, &proto))
			return CAPTURE_DECODE_TRUNCATED;
	} else {
		hlen = (size_t)(b & 0x0f) * 4;
		if (hlen < 20)
			return CAPTURE_DECODE_MALFORMED;
		if (!cur_u8(&q, 9, &proto) || !cur_be16(&q, 6, &frag))
			return CAPTURE_DECODE_TRUNCATED;
		if (frag & 0x1fff) /* no transport header in a later fragment */
			return CAPTURE_DECODE_UNSUPPORTED;
	}
	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP && proto != IPPROTO_SCTP)
		return CAPTURE_DECODE_UNSUPPORTED;
	if (!cur_has(&q, 0, hlen + 4))
		return CAPTURE_DECODE_TRUNCATED;
	/* turned around: from the quoted destination back to the quoted source */
	(void)cur_bytes(&q, v6 ? 24 : 16, v6 ? 16 : 4, pkt->src.bytes);
	(void)cur_bytes(&q, v6 ? 8 : 12, v6 ? 16 : 4, pkt->dst.bytes);
	(void)cur_be16(&q, hlen, &pkt->dport);
	(void)cur_be16(&q, hlen + 2, &pkt->sport);
	pkt->proto = proto;
	pkt->icmp_error = 1;
	pkt->tcp_flags = TCP_RST;
	pkt->l4_type = 0;
	return CAPTURE_DECODE_OK;
}

static enum capture_decode_result decode_transport(struct cursor *c, uint8_t proto, bool v6,
						   struct capture_packet *pkt)
{
	uint8_t code = 0;

	uint8_t b;

	switch (proto) {
	case IPPROTO_TCP:
		if (!cur_has(c, 0, 20))
			return CAPTURE_DECODE_TRUNCATED;
		(void)cur_u8(c, 12, &b);
		/* The header is at least 5 words long; a smaller data offset is a lie. */
		if (b >> 4 < 5)
			return CAPTURE_DECODE_MALFORMED;
		(void)cur_be16(c, 0, &pkt->sport);
		(void)cur_be16(c, 2, &pkt->dport);
		(void)cur_u8(c, 13, &pkt->tcp_flags);
		break;
	case IPPROTO_UDP:
		if (!cur_has(c, 0, 8))
			return CAPTURE_DECODE_TRUNCATED;
		(void)cur_be16(c, 0, &pkt->sport);
		(void)cur_be16(c, 2, &pkt->dport);
		break;
	case IPPROTO_SCTP:
		/*
		 * The common header and the first chunk's header: every SCTP packet carries a chunk
		 * (RFC 9260 3), and one cut before it cannot be told from one without.
		 */
		if (!cur_has(c, 0, 16))
			return CAPTURE_DECODE_TRUNCATED;
		(void)cur_be16(c, 0, &pkt->sport);
		(void)cur_be16(c, 2, &pkt->dport);
		(void)cur_u8(c, 12, &pkt->l4_type);
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		if (v6 != (proto == IPPROTO_ICMPV6))
			return CAPTURE_DECODE_UNSUPPORTED;
		if (!cur_has(c, 0, 8))
			return CAPTURE_DECODE_TRUNCATED;
		(void)cur_u8(c, 0, &pkt->l4_type);
		(void)cur_u8(c, 1, &code);
		if (v6 ? pkt->l4_type == ICMP6_UNREACH
		       : pkt->l4_type == ICMP_UNREACH && code != ICMP_UNREACH_NEEDFRAG)
			return decode_icmp_error(c, v6, pkt);
		/* Only echo opens something; other errors, NDP and MLD say nothing of a flow. */
		if (v6 ? pkt->l4_type != ICMP6_ECHO_REQUEST && pkt->l4_type != ICMP6_ECHO_REPLY
		       : pkt->l4_type != ICMP_ECHO_REQUEST && pkt->l4_type != ICMP_ECHO_REPLY)
			return CAPTURE_DECODE_UNSUPPORTED;
		(void)cur_be16(c, 4, &pkt->sport);
		pkt->dport = pkt->sport;
		break;
	default:
		return CAPTURE_DECODE_UNSUPPORTED;
	}
	pkt->proto = proto;
	return CAPTURE_DECODE_OK;
}

/* ---- IP ----------------------------------------------------------------------------------- */

static enum capture_decode_result decode_ipv4(struct cursor *c, struct capture_packet *pkt)
{
	uint8_t vihl, proto;
	uint16_t total, frag;
	size_t ihl;

	if (!cur_has(c, 0, 20))
		return CAPTURE_DECODE_TRUNCATED;
	(void)cur_u8(c, 0, &vihl);
	if (vihl >> 4 != 4)
		return CAPTURE_DECODE_MALFORMED;
	ihl = (size_t)(vihl & 0x0f) * 4;
	if (ihl < 20)
		return CAPTURE_DECODE_MALFORMED;
	(void)cur_be16(c, 2, &total);
	/* Total length 0 is what TSO/BIG TCP sends leave in captures: trust the capture then. */
	if (total != 0 && total < ihl)
		return CAPTURE_DECODE_MALFORMED;
	if (!cur_has(c, 0, ihl))
		return CAPTURE_DECODE_TRUNCATED;
	(void)cur_be16(c, 6, &frag);
	if (frag & 0x1fff)
		return CAPTURE_DECODE_FRAGMENT;
	(void)cur_u8(c, 9, &proto);
	pkt->src.family = AF_INET;
	pkt->dst.family = AF_INET;
	(void)cur_bytes(c, 12, 4, pkt->src.bytes);
	(void)cur_bytes(c, 16, 4, pkt->dst.bytes);
	if (total != 0)
		cur_clamp(c, total);
	(void)cur_skip(c, ihl);
	return decode_transport(c, proto, false, pkt);
}

static enum capture_decode_result decode_ipv6(struct cursor *c, struct capture_packet *pkt)
{
	uint8_t vtc, nh, len;
	uint16_t plen, frag;
	size_t hlen;

	if (!cur_has(c, 0, 40))
		return CAPTURE_DECODE_TRUNCATED;
	(void)cur_u8(c, 0, &vtc);
	if (vtc >> 4 != 6)
		return CAPTURE_DECODE_MALFORMED;
	(void)cur_be16(c, 4, &plen);
	(void)cur_u8(c, 6, &nh);
	pkt->src.family = AF_INET6;
	pkt->dst.family = AF_INET6;
	(void)cur_bytes(c, 8, 16, pkt->src.bytes);
	(void)cur_bytes(c, 24, 16, pkt->dst.bytes);
	(void)cur_skip(c, 40);
	/* Payload length 0 means a jumbogram or a BIG TCP send: trust the capture then. */
	if (plen != 0)
		cur_clamp(c, plen);

	for (int i = 0; i < MAX_IPV6_EXT_HEADERS; i++) {
		switch (nh) {
		case IPPROTO_HOPOPTS:
		case IPPROTO_ROUTING:
		case IPPROTO_DSTOPTS:
		case IPPROTO_MOBILITY_HDR:
			if (!cur_u8(c, 1, &len))
				return CAPTURE_DECODE_TRUNCATED;
			hlen = ((size_t)len + 1) * 8;
			break;
		case IPPROTO_AH:
			if (!cur_u8(c, 1, &len))
				return CAPTURE_DECODE_TRUNCATED;
			hlen = ((size_t)len + 2) * 4;
			break;
		case IPPROTO_FRAGMENT:
			if (!cur_be16(c, 2, &frag) || !cur_has(c, 0, 8))
				return CAPTURE_DECODE_TRUNCATED;
			if (frag & 0xfff8)
				return CAPTURE_DECODE_FRAGMENT;
			hlen = 8;
			break;
		case IPPROTO_ESP:
		case IPPROTO_NONE:
			return CAPTURE_DECODE_UNSUPPORTED;
		default:
			return decode_transport(c, nh, true, pkt);
		}
		(void)cur_u8(c, 0, &nh);
		if (!cur_skip(c, hlen))
			return CAPTURE_DECODE_TRUNCATED;
	}
	return CAPTURE_DECODE_MALFORMED;
}

static enum capture_decode_result decode_ip(struct cursor *c, int version,
					    struct capture_packet *pkt)
{
	uint8_t b;

	if (!cur_u8(c, 0, &b))
		return CAPTURE_DECODE_TRUNCATED;
	if (version == 0)
		version = b >> 4;
	/* A link that announces one version and carries another contradicts itself. */
	if (b >> 4 != version)
		return CAPTURE_DECODE_MALFORMED;
	if (version == 4)
		return decode_ipv4(c, pkt);
	if (version == 6)
		return decode_ipv6(c, pkt);
	return CAPTURE_DECODE_MALFORMED;
}

/* ---- Link --------------------------------------------------------------------------------- */

static enum capture_decode_result decode_ethertype(struct cursor *c, uint16_t type,
						   struct capture_packet *pkt)
{
	/* 802.1Q, 802.1ad and the older 0x9100 may be stacked (QinQ); each tag is 4 bytes. */
	for (int tags = 0; tags <= MAX_VLAN_TAGS; tags++) {
		switch (type) {
		case ETHERTYPE_IPV4:
			return decode_ip(c, 4, pkt);
		case ETHERTYPE_IPV6:
			return decode_ip(c, 6, pkt);
		case ETHERTYPE_8021Q:
		case ETHERTYPE_8021AD:
		case ETHERTYPE_QINQ_OLD:
			if (!cur_be16(c, 2, &type) || !cur_skip(c, 4))
				return CAPTURE_DECODE_TRUNCATED;
			break;
		default:
			/* Below 0x0600 it is an 802.3 length (LLC, STP); above, ARP, LLDP... */
			return CAPTURE_DECODE_NOT_IP;
		}
	}
	return CAPTURE_DECODE_MALFORMED;
}

static int af_version(uint32_t af)
{
	switch (af) {
	case 2: /* AF_INET everywhere */
		return 4;
	case 10: /* AF_INET6: Linux */
	case 24: /* NetBSD, OpenBSD */
	case 28: /* FreeBSD, DragonFly */
	case 30: /* macOS */
		return 6;
	default:
		return 0;
	}
}

/* decode_ipv4_fast() writes these as one word. */
#define PACKET_FROM_PROTO(field)                                                                   \
	(offsetof(struct capture_packet, field) - offsetof(struct capture_packet, proto))
_Static_assert(PACKET_FROM_PROTO(sport) == 2 && PACKET_FROM_PROTO(dport) == 4 &&
		       PACKET_FROM_PROTO(tcp_flags) == 6 && PACKET_FROM_PROTO(l4_type) == 7,
	       "proto, its padding, sport, dport, tcp_flags and l4_type make one 8-byte word");

/*
 * The packet nearly every capture is made of: IPv4 without options, not a fragment, carrying TCP
 * or UDP. Read from fixed offsets after one length check and written straight to ret; true only
 * when decode_ipv4() would say CAPTURE_DECODE_OK with the very same packet. Anything else, even
 * a packet this could reject itself, is left to the general path (false, nothing written), so
 * that every verdict other than OK keeps exactly one source.
 */
static inline bool decode_ipv4_fast(const uint8_t *ip, size_t left, struct capture_packet *ret)
{
	const uint8_t *l4 = ip + 20;
	uint8_t proto, flags = 0;
	uint32_t src, dst, ports;
	uint16_t total;
	uint64_t w;

	if (left < 20 || ip[0] != 0x45 || (ip[6] & 0x1f) != 0 || ip[7] != 0)
		return false;
	total = (uint16_t)(ip[2] << 8 | ip[3]);
	/* As decode_ipv4(): length 0 (TSO) trusts the capture, else it may only shorten it. */
	if (total != 0) {
		if (total < 20)
			return false;
		if (total < left)
			left = total;
	}
	left -= 20;
	proto = ip[9];
	if (proto == IPPROTO_TCP) {
		if (left < 20 || l4[12] >> 4 < 5)
			return false;
		flags = l4[13];
	} else if (proto != IPPROTO_UDP || left < 8) {
		return false;
	}
	memcpy(&ports, l4, 4);
	ports = ntohl(ports);

	/*
	 * Whole 8-byte stores, each address as two of them the way the tracker loads it: a load
	 * that spans several narrower stores cannot be forwarded from them and stalls.
	 */
	memcpy(&src, ip + 12, 4);
	memcpy(&dst, ip + 16, 4);
	ret->src.family = AF_INET;
	w = src;
	memcpy(ret->src.bytes, &w, 8);
	w = 0;
	memcpy(ret->src.bytes + 8, &w, 8);
	ret->dst.family = AF_INET;
	w = dst;
	memcpy(ret->dst.bytes, &w, 8);
	w = 0;
	memcpy(ret->dst.bytes + 8, &w, 8);
	{
		struct {
			uint8_t proto, pad;
			uint16_t sport, dport;
			uint8_t tcp_flags, l4_type;
		} tail = {proto, 0, (uint16_t)(ports >> 16), (uint16_t)ports, flags, 0};

		memcpy(&w, &tail, 8);
		memcpy(&ret->proto, &w, 8);
	}
	return true;
}

/* The general path: every link type, protocol and oddity. */
static __attribute__((noinline)) enum capture_decode_result decode_link(const struct link_type *lt,
									const uint8_t *bytes,
									size_t caplen,
									struct capture_packet *ret)
{
	struct cursor c = {.p = bytes, .left = caplen};
	struct capture_packet pkt = {0};
	enum capture_decode_result r;
	uint16_t type = 0;
	uint32_t af;
	int v;

	switch (lt->kind) {
	case LINK_ETHERTYPE:
		if (!cur_has(&c, 0, lt->hdr_len))
			return CAPTURE_DECODE_TRUNCATED;
		(void)cur_be16(&c, lt->proto_off, &type);
		(void)cur_skip(&c, lt->hdr_len);
		r = decode_ethertype(&c, type, &pkt);
		break;
	case LINK_IP:
		r = decode_ip(&c, 0, &pkt);
		break;
	case LINK_IPV4:
		r = decode_ip(&c, 4, &pkt);
		break;
	case LINK_IPV6:
		r = decode_ip(&c, 6, &pkt);
		break;
	case LINK_AF_ANY:
	case LINK_AF_BE:
		if (!cur_be32(&c, 0, &af))
			return CAPTURE_DECODE_TRUNCATED;
		v = af_version(af);
		if (v == 0 && lt->kind == LINK_AF_ANY)
			v = af_version(__builtin_bswap32(af));
		if (v == 0)
			return CAPTURE_DECODE_NOT_IP;
		(void)cur_skip(&c, 4);
		r = decode_ip(&c, v, &pkt);
		break;
	default:
		return CAPTURE_DECODE_NOT_IP;
	}
	if (r == CAPTURE_DECODE_OK)
		*ret = pkt;
	return r;
}

/*
 * Everything but Ethernet's common packet, which capture_decode() handles itself: the same fast
 * path for IPv4 under the other link types that name it (Linux cooked captures, raw IP), then
 * the general path.
 */
static __attribute__((noinline)) enum capture_decode_result
decode_other(int dlt, const uint8_t *bytes, size_t caplen, struct capture_packet *ret)
{
	const struct link_type *lt = link_type_find(dlt);

	if (!lt)
		return CAPTURE_DECODE_NOT_IP;
	switch (lt->kind) {
	case LINK_ETHERTYPE:
		if (caplen >= lt->hdr_len && bytes[lt->proto_off] == 0x08 &&
		    bytes[lt->proto_off + 1] == 0x00 &&
		    decode_ipv4_fast(bytes + lt->hdr_len, caplen - lt->hdr_len, ret))
			return CAPTURE_DECODE_OK;
		break;
	case LINK_IP:
	case LINK_IPV4:
		if (decode_ipv4_fast(bytes, caplen, ret))
			return CAPTURE_DECODE_OK;
		break;
	default:
		break;
	}
	return decode_link(lt, bytes, caplen, ret);
}

enum capture_decode_result capture_decode(int dlt, const uint8_t *bytes, size_t caplen,
					  struct capture_packet *ret)
{
	/*
	 * Ethernet first, without the table search. DLT_NULL and DLT_LOOP never take the fast
	 * path: tests/test-capture.c compares the two paths through them.
	 */
	if (dlt == DLT_EN10MB && caplen >= 14 && bytes[12] == 0x08 && bytes[13] == 0x00 &&
	    decode_ipv4_fast(bytes + 14, caplen - 14, ret))
		return CAPTURE_DECODE_OK;
	return decode_other(dlt, bytes, caplen, ret);
}

enum capture_decode_result capture_decode_general(int dlt, const uint8_t *bytes, size_t caplen,
						  struct capture_packet *ret)
{
	const struct link_type *lt = link_type_find(dlt);

	return lt ? decode_link(lt, bytes, caplen, ret) : CAPTURE_DECODE_NOT_IP;
}

/* ---- Records ------------------------------------------------------------------------------ */

uint64_t capture_stats_add(struct capture_stats *stats,
			   const uint64_t counts[static CAPTURE_DECODE_KINDS])
{
	uint64_t n = 0;

	for (size_t i = 0; i < CAPTURE_DECODE_KINDS; i++)
		n += counts[i];
	if (stats) {
		stats->packets += n;
		stats->decoded += counts[CAPTURE_DECODE_OK];
		stats->truncated += counts[CAPTURE_DECODE_TRUNCATED];
		stats->not_ip += counts[CAPTURE_DECODE_NOT_IP];
		stats->fragments += counts[CAPTURE_DECODE_FRAGMENT];
		stats->unsupported += counts[CAPTURE_DECODE_UNSUPPORTED];
		stats->malformed += counts[CAPTURE_DECODE_MALFORMED];
	}
	return n;
}

void capture_stats_merge(struct capture_stats *to, const struct capture_stats *from)
{
	to->packets += from->packets;
	to->decoded += from->decoded;
	to->truncated += from->truncated;
	to->not_ip += from->not_ip;
	to->fragments += from->fragments;
	to->unsupported += from->unsupported;
	to->malformed += from->malformed;
	if (from->first_ns && (!to->first_ns || from->first_ns < to->first_ns))
		to->first_ns = from->first_ns;
	if (from->last_ns > to->last_ns)
		to->last_ns = from->last_ns;
}
