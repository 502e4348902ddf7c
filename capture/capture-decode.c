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

/* ---- Tunnel configuration ----------------------------------------------------------------- */

static const struct {
	const char *name;
	enum capture_tunnel_kind kind;
} tunnel_names[] = {
	{"vxlan", CAPTURE_TUNNEL_VXLAN},
	{"geneve", CAPTURE_TUNNEL_GENEVE},
};

void capture_tunnels_default(struct capture_tunnels *ret)
{
	*ret = (struct capture_tunnels){
		.ip = true,
		.n_ports = 3,
		.ports = {{4789, CAPTURE_TUNNEL_VXLAN},
			  {8472, CAPTURE_TUNNEL_VXLAN},
			  {6081, CAPTURE_TUNNEL_GENEVE}},
	};
}

int capture_tunnels_add_port(struct capture_tunnels *t, const char *spec)
{
	const char *colon = strchr(spec, ':');
	enum capture_tunnel_kind kind = 0;
	uint64_t port;

	for (size_t i = 0; colon && i < UTIL_ARRAY_SIZE(tunnel_names); i++)
		if (strlen(tunnel_names[i].name) == (size_t)(colon - spec) &&
		    strncmp(spec, tunnel_names[i].name, (size_t)(colon - spec)) == 0)
			kind = tunnel_names[i].kind;
	if (!kind || util_parse_u64(colon + 1, 65535, &port) < 0 || port == 0)
		return -EINVAL;
	for (unsigned i = 0; i < t->n_ports; i++)
		if (t->ports[i].port == port)
			return t->ports[i].kind == kind ? 0 : -EEXIST;
	if (t->n_ports == CAPTURE_TUNNEL_MAX_PORTS)
		return -E2BIG;
	t->ports[t->n_ports].port = (uint16_t)port;
	t->ports[t->n_ports].kind = (uint8_t)kind;
	t->n_ports++;
	return 0;
}

/* ---- Transport ---------------------------------------------------------------------------- */

#define ETHERTYPE_IPV4	     0x0800
#define ETHERTYPE_IPV6	     0x86dd
#define ETHERTYPE_8021Q	     0x8100
#define ETHERTYPE_8021AD     0x88a8
#define ETHERTYPE_QINQ_OLD   0x9100
#define ETHERTYPE_TEB	     0x6558 /* transparent Ethernet bridging: a whole frame follows */
#define ETHERTYPE_MPLS	     0x8847
#define ETHERTYPE_MPLS_MC    0x8848
#define ETHERTYPE_PPPOE_SESS 0x8864
#define MAX_VLAN_TAGS	     8
#define MAX_IPV6_EXT_HEADERS 16
#define MAX_MPLS_LABELS	     16

#define ICMP_ECHO_REPLY	      0
#define ICMP_UNREACH	      3
#define ICMP_UNREACH_NEEDFRAG 4 /* path MTU discovery, not a refusal */
#define ICMP_ECHO_REQUEST     8
#define ICMP6_UNREACH	      1
#define ICMP6_ECHO_REQUEST    128
#define ICMP6_ECHO_REPLY      129
#define IPPROTO_MOBILITY_HDR  135
#define TCP_RST		      0x04

/* What every layer of one packet's decoding shares: which tunnels to enter, and how deep. */
struct decode_ctx {
	const struct capture_tunnels *tun; /* NULL: none */
	unsigned depth;			   /* encapsulations entered so far */
};

static enum capture_decode_result decode_ip(struct cursor *c, int version, struct decode_ctx *ctx,
					    struct capture_packet *pkt);
static enum capture_decode_result decode_ethertype(struct cursor *c, uint16_t type,
						   struct decode_ctx *ctx,
						   struct capture_packet *pkt);

/*
 * The packet a destination-unreachable error quotes (its IP header and the first 8 bytes after,
 * RFC 792 and RFC 4443) becomes a packet of that flow from the end it could not reach: see
 * capture_packet.icmp_error. Only TCP, UDP and SCTP quotes without IPv6 extension headers. A
 * quote cut before the ports is TRUNCATED, as any header would be.
 */
static enum capture_decode_result decode_icmp_error(const struct cursor *c, bool v6,
						    const struct decode_ctx *ctx,
						    struct capture_packet *pkt)
{
	struct cursor q = *c;
	uint8_t b, proto;
	size_t hlen;
	uint16_t frag, qdport = 0;

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
	/*
	 * An error about a tunnel's own packet quotes too little to reach the inner flow, and the
	 * tunnel is not learned either (as IP-in-IP and GRE quotes are not: not TCP, UDP or SCTP).
	 */
	(void)cur_be16(&q, hlen + 2, &qdport);
	if (proto == IPPROTO_UDP && capture_tunnels_port_kind(ctx->tun, qdport))
		return CAPTURE_DECODE_UNSUPPORTED;
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

/* ---- Tunnels ------------------------------------------------------------------------------ */

/* One encapsulation deeper; false when that is past CAPTURE_TUNNEL_MAX_DEPTH. */
static bool encap_enter(struct decode_ctx *ctx)
{
	if (ctx->depth >= CAPTURE_TUNNEL_MAX_DEPTH)
		return false;
	ctx->depth++;
	return true;
}

/* A whole Ethernet frame inside a tunnel (VXLAN, Geneve, GRE's transparent bridging). */
static enum capture_decode_result decode_inner_ether(struct cursor *c, struct decode_ctx *ctx,
						     struct capture_packet *pkt)
{
	uint16_t type;

	if (!cur_be16(c, 12, &type) || !cur_skip(c, 14))
		return CAPTURE_DECODE_TRUNCATED;
	return decode_ethertype(c, type, ctx, pkt);
}

/*
 * What a tunnel header names by EtherType (Geneve's and GRE's protocol type): a frame for
 * transparent bridging, else what an Ethernet header with that type would carry.
 */
static enum capture_decode_result decode_inner_type(struct cursor *c, uint16_t type,
						    struct decode_ctx *ctx,
						    struct capture_packet *pkt)
{
	if (type == ETHERTYPE_TEB)
		return decode_inner_ether(c, ctx, pkt);
	return decode_ethertype(c, type, ctx, pkt);
}

/*
 * The UDP payload to a tunnel port (c at the UDP header, already known to be 8 bytes). The UDP
 * length bounds the inner packet, as an IP length bounds what follows it.
 */
static enum capture_decode_result decode_udp_tunnel(struct cursor *c, enum capture_tunnel_kind kind,
						    struct decode_ctx *ctx,
						    struct capture_packet *pkt)
{
	uint16_t len = 0, type;
	uint8_t b;
	size_t hlen;

	(void)cur_be16(c, 4, &len);
	/* 0 is an IPv6 jumbogram's: trust the capture then */
	if (len != 0 && len < 8)
		return CAPTURE_DECODE_MALFORMED;
	if (len != 0)
		cur_clamp(c, len);
	(void)cur_skip(c, 8);
	if (!encap_enter(ctx))
		return CAPTURE_DECODE_UNSUPPORTED;
	if (!cur_u8(c, 0, &b))
		return CAPTURE_DECODE_TRUNCATED;
	if (kind == CAPTURE_TUNNEL_VXLAN) {
		/* flags, 3 reserved, VNI, 1 reserved; the I flag says the VNI is valid */
		if (!(b & 0x08))
			return CAPTURE_DECODE_MALFORMED;
		if (!cur_skip(c, 8))
			return CAPTURE_DECODE_TRUNCATED;
		return decode_inner_ether(c, ctx, pkt);
	}
	/* Geneve: version (2 bits) and options length in words, flags, protocol type, VNI */
	if (b >> 6 != 0)
		return CAPTURE_DECODE_UNSUPPORTED;
	hlen = 8 + (size_t)(b & 0x3f) * 4;
	if (!cur_be16(c, 2, &type) || !cur_skip(c, hlen))
		return CAPTURE_DECODE_TRUNCATED;
	return decode_inner_type(c, type, ctx, pkt);
}

/* GRE (RFC 2784 and 2890): flags and version, protocol type, then the optional fields. */
#define GRE_CSUM    0x8000
#define GRE_ROUTING 0x4000
#define GRE_KEY	    0x2000
#define GRE_SEQ	    0x1000
#define GRE_VERSION 0x0007

static enum capture_decode_result decode_gre(struct cursor *c, struct decode_ctx *ctx,
					     struct capture_packet *pkt)
{
	uint16_t flags, type;
	size_t hlen = 4;

	if (!cur_be16(c, 0, &flags) || !cur_be16(c, 2, &type))
		return CAPTURE_DECODE_TRUNCATED;
	/* version 1 is PPTP's, and RFC 1701 source routing is long deprecated */
	if (flags & (GRE_VERSION | GRE_ROUTING))
		return CAPTURE_DECODE_UNSUPPORTED;
	hlen += flags & GRE_CSUM ? 4 : 0;
	hlen += flags & GRE_KEY ? 4 : 0;
	hlen += flags & GRE_SEQ ? 4 : 0;
	if (!cur_skip(c, hlen))
		return CAPTURE_DECODE_TRUNCATED;
	if (!encap_enter(ctx))
		return CAPTURE_DECODE_UNSUPPORTED;
	return decode_inner_type(c, type, ctx, pkt);
}

/* An MPLS label stack down to the entry with bottom-of-stack set; IPv4 or IPv6 by its nibble. */
static enum capture_decode_result decode_mpls(struct cursor *c, struct decode_ctx *ctx,
					      struct capture_packet *pkt)
{
	uint32_t entry = 0;
	uint8_t b;

	if (!encap_enter(ctx))
		return CAPTURE_DECODE_UNSUPPORTED;
	for (int i = 0; !(entry & 0x100); i++) {
		if (i == MAX_MPLS_LABELS)
			return CAPTURE_DECODE_MALFORMED;
		if (!cur_be32(c, 0, &entry))
			return CAPTURE_DECODE_TRUNCATED;
		(void)cur_skip(c, 4);
	}
	/* no type field: the payload says what it is (a pseudowire's control word starts 0) */
	if (!cur_u8(c, 0, &b))
		return CAPTURE_DECODE_TRUNCATED;
	if (b >> 4 != 4 && b >> 4 != 6)
		return CAPTURE_DECODE_UNSUPPORTED;
	return decode_ip(c, b >> 4, ctx, pkt);
}

/* A PPPoE session frame (RFC 2516): version and type, code 0, session, length, PPP protocol. */
#define PPP_IPV4 0x0021
#define PPP_IPV6 0x0057

static enum capture_decode_result decode_pppoe(struct cursor *c, struct decode_ctx *ctx,
					       struct capture_packet *pkt)
{
	uint16_t len, proto;
	uint8_t vt, code;

	if (!cur_u8(c, 0, &vt) || !cur_u8(c, 1, &code) || !cur_be16(c, 4, &len) ||
	    !cur_be16(c, 6, &proto))
		return CAPTURE_DECODE_TRUNCATED;
	if (vt != 0x11 || code != 0 || len < 2)
		return CAPTURE_DECODE_MALFORMED;
	(void)cur_skip(c, 6);
	cur_clamp(c, len);
	(void)cur_skip(c, 2);
	if (proto != PPP_IPV4 && proto != PPP_IPV6)
		return CAPTURE_DECODE_NOT_IP; /* LCP, IPCP, authentication... */
	if (!encap_enter(ctx))
		return CAPTURE_DECODE_UNSUPPORTED;
	return decode_ip(c, proto == PPP_IPV4 ? 4 : 6, ctx, pkt);
}

/* ---- What follows an IP header ------------------------------------------------------------ */

static enum capture_decode_result decode_transport(struct cursor *c, uint8_t proto, bool v6,
						   struct decode_ctx *ctx,
						   struct capture_packet *pkt)
{
	enum capture_tunnel_kind kind;
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
		kind = capture_tunnels_port_kind(ctx->tun, pkt->dport);
		if (kind)
			return decode_udp_tunnel(c, kind, ctx, pkt);
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
			return decode_icmp_error(c, v6, ctx, pkt);
		/* Only echo opens something; other errors, NDP and MLD say nothing of a flow. */
		if (v6 ? pkt->l4_type != ICMP6_ECHO_REQUEST && pkt->l4_type != ICMP6_ECHO_REPLY
		       : pkt->l4_type != ICMP_ECHO_REQUEST && pkt->l4_type != ICMP_ECHO_REPLY)
			return CAPTURE_DECODE_UNSUPPORTED;
		(void)cur_be16(c, 4, &pkt->sport);
		pkt->dport = pkt->sport;
		break;
	case IPPROTO_IPIP:
	case IPPROTO_IPV6:
		if (!ctx->tun || !ctx->tun->ip)
			return CAPTURE_DECODE_UNSUPPORTED;
		if (!encap_enter(ctx))
			return CAPTURE_DECODE_UNSUPPORTED;
		return decode_ip(c, proto == IPPROTO_IPIP ? 4 : 6, ctx, pkt);
	case IPPROTO_GRE:
		if (!ctx->tun || !ctx->tun->ip)
			return CAPTURE_DECODE_UNSUPPORTED;
		return decode_gre(c, ctx, pkt);
	default:
		return CAPTURE_DECODE_UNSUPPORTED;
	}
	pkt->proto = proto;
	return CAPTURE_DECODE_OK;
}

/* ---- IP ----------------------------------------------------------------------------------- */

static enum capture_decode_result decode_ipv4(struct cursor *c, struct decode_ctx *ctx,
					      struct capture_packet *pkt)
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
	return decode_transport(c, proto, false, ctx, pkt);
}

static enum capture_decode_result decode_ipv6(struct cursor *c, struct decode_ctx *ctx,
					      struct capture_packet *pkt)
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
			return decode_transport(c, nh, true, ctx, pkt);
		}
		(void)cur_u8(c, 0, &nh);
		if (!cur_skip(c, hlen))
			return CAPTURE_DECODE_TRUNCATED;
	}
	return CAPTURE_DECODE_MALFORMED;
}

static enum capture_decode_result decode_ip(struct cursor *c, int version, struct decode_ctx *ctx,
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
		return decode_ipv4(c, ctx, pkt);
	if (version == 6)
		return decode_ipv6(c, ctx, pkt);
	return CAPTURE_DECODE_MALFORMED;
}

/* ---- Link --------------------------------------------------------------------------------- */

static enum capture_decode_result decode_ethertype(struct cursor *c, uint16_t type,
						   struct decode_ctx *ctx,
						   struct capture_packet *pkt)
{
	/* 802.1Q, 802.1ad and the older 0x9100 may be stacked (QinQ); each tag is 4 bytes. */
	for (int tags = 0; tags <= MAX_VLAN_TAGS; tags++) {
		switch (type) {
		case ETHERTYPE_IPV4:
			return decode_ip(c, 4, ctx, pkt);
		case ETHERTYPE_IPV6:
			return decode_ip(c, 6, ctx, pkt);
		case ETHERTYPE_MPLS:
		case ETHERTYPE_MPLS_MC:
			return decode_mpls(c, ctx, pkt);
		case ETHERTYPE_PPPOE_SESS:
			return decode_pppoe(c, ctx, pkt);
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
 * or UDP (to a port that is no tunnel's). Read from fixed offsets after one length check and
 * written straight to ret; true only when decode_ipv4() would say CAPTURE_DECODE_OK with the very
 * same packet. Anything else, even a packet this could reject itself, is left to the general path
 * (false, nothing written), so that every verdict other than OK keeps exactly one source.
 */
static inline bool decode_ipv4_fast(const uint8_t *ip, size_t left,
				    const struct capture_tunnels *tun, struct capture_packet *ret)
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
	} else if (proto != IPPROTO_UDP || left < 8 ||
		   /* a tunnel's inner packet is the one to learn: the general path opens it */
		   capture_tunnels_port_kind(tun, (uint16_t)(l4[2] << 8 | l4[3]))) {
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
static __attribute__((noinline)) enum capture_decode_result
decode_link(const struct link_type *lt, const uint8_t *bytes, size_t caplen,
	    const struct capture_tunnels *tun, struct capture_packet *ret)
{
	struct cursor c = {.p = bytes, .left = caplen};
	struct decode_ctx ctx = {.tun = tun};
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
		r = decode_ethertype(&c, type, &ctx, &pkt);
		break;
	case LINK_IP:
		r = decode_ip(&c, 0, &ctx, &pkt);
		break;
	case LINK_IPV4:
		r = decode_ip(&c, 4, &ctx, &pkt);
		break;
	case LINK_IPV6:
		r = decode_ip(&c, 6, &ctx, &pkt);
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
		r = decode_ip(&c, v, &ctx, &pkt);
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
decode_other(int dlt, const uint8_t *bytes, size_t caplen, const struct capture_tunnels *tun,
	     struct capture_packet *ret)
{
	const struct link_type *lt = link_type_find(dlt);

	if (!lt)
		return CAPTURE_DECODE_NOT_IP;
	switch (lt->kind) {
	case LINK_ETHERTYPE:
		if (caplen >= lt->hdr_len && bytes[lt->proto_off] == 0x08 &&
		    bytes[lt->proto_off + 1] == 0x00 &&
		    decode_ipv4_fast(bytes + lt->hdr_len, caplen - lt->hdr_len, tun, ret))
			return CAPTURE_DECODE_OK;
		break;
	case LINK_IP:
	case LINK_IPV4:
		if (decode_ipv4_fast(bytes, caplen, tun, ret))
			return CAPTURE_DECODE_OK;
		break;
	default:
		break;
	}
	return decode_link(lt, bytes, caplen, tun, ret);
}

enum capture_decode_result capture_decode(int dlt, const uint8_t *bytes, size_t caplen,
					  const struct capture_tunnels *tun,
					  struct capture_packet *ret)
{
	/*
	 * Ethernet first, without the table search. DLT_NULL and DLT_LOOP never take the fast
	 * path: tests/test-decode.c compares the two paths through them.
	 */
	if (dlt == DLT_EN10MB && caplen >= 14 && bytes[12] == 0x08 && bytes[13] == 0x00 &&
	    decode_ipv4_fast(bytes + 14, caplen - 14, tun, ret))
		return CAPTURE_DECODE_OK;
	return decode_other(dlt, bytes, caplen, tun, ret);
}

enum capture_decode_result capture_decode_general(int dlt, const uint8_t *bytes, size_t caplen,
						  const struct capture_tunnels *tun,
						  struct capture_packet *ret)
{
	const struct link_type *lt = link_type_find(dlt);

	return lt ? decode_link(lt, bytes, caplen, tun, ret) : CAPTURE_DECODE_NOT_IP;
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
