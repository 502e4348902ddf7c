/* SPDX-License-Identifier: Apache-2.0 */
/* bench-gen.c - writes a large synthetic TCP capture (real connections or a SYN flood) for the
 * benchmarks. */
#include <arpa/inet.h>
#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Usage: bench-gen [--connections | --syn-flood] OUT.pcap COUNT EDGES   (OUT "-": stdout)
 * Clients 10.1.x.y talk to servers 10.2.x.y; EDGES distinct (client, server, port) triples are
 * each opened again and again with new ephemeral ports, 64 connections open at a time, so the
 * number of edges stays fixed however many packets are asked for. Deterministic (fixed seed).
 *   (no option)    COUNT packets; connections of 8 to 67 packets
 *   --connections  COUNT whole connections of 8 to 15 packets (handshake, 2 to 9 data packets,
 *                  close), the last of them ended before the file does
 *   --syn-flood    COUNT bare SYNs from random addresses (outside 10/8 and 127/8) and random
 *                  ports to EDGES servers 10.2.0.x, ports 8000 to 8006; nothing answers
 *   --mix          COUNT packets of what a node's bridge carries: short connections whose data
 *                  packets carry their payload (mostly under 512 bytes, one in eight a full
 *                  1448), one connection in five over IPv6, a DNS query and answer over UDP
 *                  before most connections, the odd ping, and one frame in ten VLAN-tagged
 */

#define CONCURRENT 64
#define PKT_LEN	   66 /* Ethernet 14 + IPv4 20 + TCP 32 (timestamps option) */

struct conn {
	uint32_t client, server;
	uint16_t sport, dport;
	uint32_t step, steps;
};

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)rng;
}

static uint16_t csum(const uint8_t *p, size_t n)
{
	uint32_t s = 0;

	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static void conn_start(struct conn *c, uint32_t edges, uint16_t *ephemeral, bool short_conns)
{
	uint32_t e = next_rand() % edges;

	c->client = 0x0a010000u | (e % 4000 + 1);
	c->server = 0x0a020000u | (e % 97 + 1);
	c->dport = (uint16_t)(8000 + e % 7);
	c->sport = (*ephemeral)++;
	if (*ephemeral < 32768)
		*ephemeral = 32768;
	c->step = 0;
	/* handshake, data, close */
	c->steps = 8 + next_rand() % (short_conns ? 8 : 60);
}

/* A SYN from a random source nobody answers; step stays 0, so build() writes a bare SYN. */
static void flood_start(struct conn *c, uint32_t servers)
{
	uint32_t a = next_rand();
	uint32_t first = 1 + (a >> 24) % 223; /* 1 to 223: unicast */

	if (first == 10 || first == 127)
		first = 11;
	c->client = first << 24 | (a & 0xffffffu);
	c->server = 0x0a020000u | (next_rand() % servers + 1);
	c->dport = (uint16_t)(8000 + next_rand() % 7);
	c->sport = (uint16_t)(1024 + next_rand() % (65536 - 1024));
	c->step = 0;
	c->steps = 1;
}

static void build(uint8_t *pkt, const struct conn *c)
{
	/* steps: 0 SYN, 1 SYN-ACK, 2 ACK, data (alternating), FIN, FIN-ACK (server), ACK */
	uint32_t last = c->steps - 1;
	bool from_client;

	if (c->step == 0 || c->step == 2 || c->step == last - 2 || c->step == last)
		from_client = true;
	else if (c->step == 1 || c->step == last - 1)
		from_client = false;
	else
		from_client = c->step % 2 == 1;
	uint8_t flags = 0x10;
	uint8_t *ip = pkt + 14, *tcp = ip + 20;
	uint32_t src = from_client ? c->client : c->server;
	uint32_t dst = from_client ? c->server : c->client;

	if (c->step == 0)
		flags = 0x02;
	else if (c->step == 1)
		flags = 0x12;
	else if (c->step == last - 2 || c->step == last - 1)
		flags = 0x11;
	else if (c->step > 2 && c->step < last)
		flags = 0x18;

	memset(pkt, 0, PKT_LEN);
	memcpy(pkt, "\x02\x42\xac\x11\x00\x02\x02\x42\xac\x11\x00\x03\x08\x00", 14);
	ip[0] = 0x45;
	ip[2] = 0;
	ip[3] = 52 + (flags & 0x08 ? 100 : 0); /* data packets claim 100 payload bytes */
	ip[6] = 0x40;
	ip[8] = 64;
	ip[9] = 6;
	*(uint32_t *)(ip + 12) = htonl(src);
	*(uint32_t *)(ip + 16) = htonl(dst);
	*(uint16_t *)(ip + 10) = htons(csum(ip, 20));
	*(uint16_t *)(tcp + 0) = htons(from_client ? c->sport : c->dport);
	*(uint16_t *)(tcp + 2) = htons(from_client ? c->dport : c->sport);
	*(uint32_t *)(tcp + 4) = htonl(1000 + c->step);
	*(uint32_t *)(tcp + 8) = htonl(flags & 0x10 ? 2000 + c->step : 0);
	tcp[12] = 8 << 4;
	tcp[13] = flags;
	*(uint16_t *)(tcp + 14) = htons(502);
	memcpy(tcp + 20, "\x01\x01\x08\x0a\x00\x00\x00\x01\x00\x00\x00\x02", 12);
}

/* ---- --mix ---------------------------------------------------------------------------- */

#define MIX_MAX 1522 /* Ethernet, a VLAN tag, IPv6, TCP, 1448 bytes */

enum mix_kind {
	MIX_DNS_QUERY,
	MIX_DNS_ANSWER,
	MIX_PING,
	MIX_PONG,
	MIX_TCP
};

struct mix {
	struct conn c;
	bool v6;
	uint32_t dns; /* packets of DNS before the connection: 2, or 0 */
	bool ping;    /* a ping (request and reply) instead of a connection */
};

static uint8_t payload[1448];

static void mix_start(struct mix *m, uint32_t edges, uint16_t *ephemeral)
{
	conn_start(&m->c, edges, ephemeral, true);
	m->v6 = next_rand() % 5 == 0;
	m->ping = next_rand() % 100 == 0;
	m->dns = !m->ping && next_rand() % 10 < 7 ? 2 : 0;
}

/* An address of the mix: 10.x.y.z, or fd00::10.x.y.z for IPv6. */
static uint8_t *mix_addr(uint8_t *at, uint32_t a, bool v6)
{
	if (!v6) {
		*(uint32_t *)at = htonl(a);
		return at + 4;
	}
	memset(at, 0, 16);
	at[0] = 0xfd;
	*(uint32_t *)(at + 12) = htonl(a);
	return at + 16;
}

/* One frame of m's session into pkt; its captured length. */
static size_t mix_build(uint8_t *pkt, struct mix *m)
{
	enum mix_kind kind = MIX_TCP;
	bool vlan = next_rand() % 10 == 0, from_client = true;
	uint8_t *l3, *l4, proto = 6;
	size_t l4_len, pay = 0, hdr;
	uint32_t src, dst;
	uint16_t sport, dport;

	if (m->dns) {
		kind = m->dns == 2 ? MIX_DNS_QUERY : MIX_DNS_ANSWER;
		from_client = kind == MIX_DNS_QUERY;
	} else if (m->ping) {
		kind = m->c.step == 0 ? MIX_PING : MIX_PONG;
		from_client = kind == MIX_PING;
	}
	memcpy(pkt, "\x02\x42\xac\x11\x00\x02\x02\x42\xac\x11\x00\x03", 12);
	hdr = 12;
	if (vlan) {
		memcpy(pkt + hdr, "\x81\x00\x00\x64", 4); /* VLAN 100 */
		hdr += 4;
	}
	memcpy(pkt + hdr, m->v6 ? "\x86\xdd" : "\x08\x00", 2);
	l3 = pkt + hdr + 2;
	if (kind == MIX_TCP) {
		uint8_t flags;

		build(pkt + MIX_MAX, &m->c); /* the 66-byte frame of the plain benchmark */
		from_client = ntohl(*(uint32_t *)(pkt + MIX_MAX + 26)) == m->c.client;
		flags = pkt[MIX_MAX + 14 + 33];
		l4_len = 32;
		if (flags & 0x08)
			pay = next_rand() % 8 == 0 ? 1448 : 1 + next_rand() % 512;
		src = from_client ? m->c.client : m->c.server;
		dst = from_client ? m->c.server : m->c.client;
		sport = from_client ? m->c.sport : m->c.dport;
		dport = from_client ? m->c.dport : m->c.sport;
	} else if (kind == MIX_DNS_QUERY || kind == MIX_DNS_ANSWER) {
		proto = 17;
		l4_len = 8;
		pay = kind == MIX_DNS_QUERY ? 45 : 61;
		src = from_client ? m->c.client : 0x0a600000u | 10; /* 10.96.0.10 */
		dst = from_client ? 0x0a600000u | 10 : m->c.client;
		sport = from_client ? (uint16_t)(m->c.sport ^ 0x5a5a) | 0x8000 : 53;
		dport = from_client ? 53 : (uint16_t)(m->c.sport ^ 0x5a5a) | 0x8000;
	} else {
		proto = m->v6 ? 58 : 1;
		l4_len = 8;
		pay = 56;
		src = from_client ? m->c.client : m->c.server;
		dst = from_client ? m->c.server : m->c.client;
		sport = dport = 0;
	}
	if (m->v6) {
		memset(l3, 0, 40);
		l3[0] = 0x60;
		*(uint16_t *)(l3 + 4) = htons((uint16_t)(l4_len + pay));
		l3[6] = proto;
		l3[7] = 64;
		mix_addr(mix_addr(l3 + 8, src, true), dst, true);
		l4 = l3 + 40;
	} else {
		memset(l3, 0, 20);
		l3[0] = 0x45;
		*(uint16_t *)(l3 + 2) = htons((uint16_t)(20 + l4_len + pay));
		l3[6] = 0x40;
		l3[8] = 64;
		l3[9] = proto;
		mix_addr(mix_addr(l3 + 12, src, false), dst, false);
		*(uint16_t *)(l3 + 10) = htons(csum(l3, 20));
		l4 = l3 + 20;
	}
	if (kind == MIX_TCP) {
		memcpy(l4, pkt + MIX_MAX + 34, 32);
	} else if (proto == 17) {
		*(uint16_t *)(l4 + 0) = htons(sport);
		*(uint16_t *)(l4 + 2) = htons(dport);
		*(uint16_t *)(l4 + 4) = htons((uint16_t)(8 + pay));
		*(uint16_t *)(l4 + 6) = 0;
	} else {
		memset(l4, 0, 8);
		l4[0] = kind == MIX_PING ? (m->v6 ? 128 : 8) : (m->v6 ? 129 : 0);
		*(uint16_t *)(l4 + 4) = htons(m->c.sport);
		*(uint16_t *)(l4 + 6) = htons(1);
	}
	memcpy(l4 + l4_len, payload, pay);
	/* the session moves on */
	if (m->dns)
		m->dns--;
	else
		m->c.step = m->ping && m->c.step == 1 ? m->c.steps : m->c.step + 1;
	return (size_t)(l4 + l4_len + pay - pkt);
}

static int mix_main(pcap_dumper_t *d, uint64_t count, uint32_t edges)
{
	static struct mix mixes[CONCURRENT];
	static uint8_t pkt[2 * MIX_MAX];
	uint64_t ts_us = 1795356000000000ull;
	uint16_t ephemeral = 32768;

	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)next_rand();
	for (int i = 0; i < CONCURRENT; i++)
		mix_start(&mixes[i], edges, &ephemeral);
	for (uint64_t n = 0; n < count; n++) {
		struct mix *m = &mixes[next_rand() % CONCURRENT];
		struct pcap_pkthdr h;

		h.caplen = h.len = (bpf_u_int32)mix_build(pkt, m);
		ts_us += 1 + next_rand() % 20;
		h.ts.tv_sec = (time_t)(ts_us / 1000000);
		h.ts.tv_usec = (suseconds_t)(ts_us % 1000000);
		pcap_dump((u_char *)d, &h, pkt);
		if (m->c.step == m->c.steps)
			mix_start(m, edges, &ephemeral);
	}
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: bench-gen [--connections | --syn-flood | --mix] OUT.pcap COUNT EDGES\n");
}

int main(int argc, char **argv)
{
	enum {
		PACKETS,
		CONNECTIONS,
		SYN_FLOOD,
		MIX
	} mode = PACKETS;
	struct conn conns[CONCURRENT] = {0}; /* step == steps: idle */
	uint8_t pkt[PKT_LEN];
	uint64_t count, started = 0, ended = 0, n = 0, ts_us = 1795356000000000ull;
	uint16_t ephemeral = 32768;
	pcap_dumper_t *d;
	uint32_t edges;
	pcap_t *p;

	if (argc == 5 && strcmp(argv[1], "--connections") == 0)
		mode = CONNECTIONS;
	else if (argc == 5 && strcmp(argv[1], "--syn-flood") == 0)
		mode = SYN_FLOOD;
	else if (argc == 5 && strcmp(argv[1], "--mix") == 0)
		mode = MIX;
	else if (argc != 4) {
		usage();
		return 2;
	}
	argv += argc - 4;
	count = strtoull(argv[2], NULL, 10);
	edges = (uint32_t)strtoul(argv[3], NULL, 10);
	if (!count || !edges) {
		fprintf(stderr, "bench-gen: COUNT and EDGES must be positive\n");
		return 2;
	}
	p = pcap_open_dead(DLT_EN10MB, 262144);
	d = pcap_dump_open(p, argv[1]);
	if (!d) {
		fprintf(stderr, "bench-gen: %s\n", pcap_geterr(p));
		return 2;
	}
	if (mode == MIX) {
		mix_main(d, count, edges);
		pcap_dump_close(d);
		pcap_close(p);
		return 0;
	}
	for (int i = 0; i < CONCURRENT && (mode == PACKETS || started < count); i++) {
		if (mode == SYN_FLOOD)
			flood_start(&conns[i], edges);
		else
			conn_start(&conns[i], edges, &ephemeral, mode == CONNECTIONS);
		started++;
	}
	for (;;) {
		struct conn *c;
		struct pcap_pkthdr h = {.caplen = PKT_LEN};

		if (mode == PACKETS ? n == count : ended == count)
			break;
		c = &conns[next_rand() % CONCURRENT];
		/* in --connections, a slot whose connection ended and is not to be replaced idles
		 */
		if (c->step == c->steps)
			continue;
		build(pkt, c);
		h.len = PKT_LEN + (pkt[14 + 33] & 0x08 ? 100 : 0);
		ts_us += 1 + next_rand() % 20;
		h.ts.tv_sec = (time_t)(ts_us / 1000000);
		h.ts.tv_usec = (suseconds_t)(ts_us % 1000000);
		pcap_dump((u_char *)d, &h, pkt);
		n++;
		if (++c->step < c->steps)
			continue;
		ended++;
		if (mode != PACKETS && started == count)
			continue;
		if (mode == SYN_FLOOD)
			flood_start(c, edges);
		else
			conn_start(c, edges, &ephemeral, mode == CONNECTIONS);
		started++;
	}
	pcap_dump_close(d);
	pcap_close(p);
	if (mode != PACKETS)
		fprintf(stderr, "bench-gen: %llu packets, %llu connections\n",
			(unsigned long long)n, (unsigned long long)ended);
	return 0;
}
