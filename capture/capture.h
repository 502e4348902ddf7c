/* SPDX-License-Identifier: Apache-2.0 */
/* capture.h - turns packets (from capture files) into directed flow records: who opened what. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

/* An IP address; IPv4 lives in the first 4 bytes and the other 12 are zero. */
struct capture_addr {
	uint8_t family; /* AF_INET or AF_INET6 */
	uint8_t bytes[16];
};

/* Renders "192.0.2.1" or "2001:db8::1"; buf needs CAPTURE_ADDR_LEN bytes. */
#define CAPTURE_ADDR_LEN 46
const char *capture_addr_format(const struct capture_addr *a, char buf[static CAPTURE_ADDR_LEN]);
int capture_addr_parse(const char *s, struct capture_addr *ret);
int capture_addr_compare(const struct capture_addr *a, const struct capture_addr *b);

/* ---- Decoding one packet ------------------------------------------------------------------ */

/* What one packet says, after link, IP and transport headers have been read with bounds checks. */
struct capture_packet {
	struct capture_addr src, dst;
	uint8_t proto;	/* IPPROTO_TCP, _UDP, _SCTP, _ICMP, _ICMPV6 */
	uint16_t sport; /* host order; for ICMP echo both ports hold the echo identifier */
	uint16_t dport;
	uint8_t tcp_flags; /* TCP flags byte (FIN 0x01, SYN 0x02, RST 0x04, ACK 0x10) */
	uint8_t l4_type;   /* ICMP/ICMPv6 type; SCTP type of the first chunk (1 INIT, 2 INIT ACK) */
};

enum capture_decode_result {
	CAPTURE_DECODE_OK = 0,
	CAPTURE_DECODE_TRUNCATED,   /* a header runs past caplen, or a length field lies */
	CAPTURE_DECODE_NOT_IP,	    /* ARP, LLC, LLDP... nothing to learn */
	CAPTURE_DECODE_FRAGMENT,    /* a non-first IP fragment: no transport header in it */
	CAPTURE_DECODE_UNSUPPORTED, /* another transport, or an ICMP message that opens nothing */
	CAPTURE_DECODE_MALFORMED,   /* a header whose fields contradict each other */
};

/* True for the link types capture_decode() understands (DLT_* values as libpcap reports them). */
bool capture_linktype_supported(int dlt);

/*
 * Decodes the link, network and transport headers of one packet. Every byte read is checked
 * against caplen first; nothing is written to ret unless the result is CAPTURE_DECODE_OK.
 */
enum capture_decode_result capture_decode(int dlt, const uint8_t *bytes, size_t caplen,
					  struct capture_packet *ret);

/* ---- Directed flows ----------------------------------------------------------------------- */

/* How the direction of a flow was decided, strongest first. */
enum capture_how {
	CAPTURE_HOW_HANDSHAKE = 0, /* TCP SYN / SYN-ACK, SCTP INIT / INIT ACK, ICMP echo request */
	CAPTURE_HOW_LISTENER, /* the server endpoint was seen accepting a handshake elsewhere */
	CAPTURE_HOW_PORTS,    /* port class: well-known < registered < ephemeral; then lower */
	CAPTURE_HOW_FIRST,    /* nothing else told: the first packet's sender opened it */
};

/* One connection (or UDP exchange) with its direction resolved. The client port is not kept. */
struct capture_flow {
	struct capture_addr client, server;
	uint8_t proto;
	uint16_t port; /* server port; 0 for ICMP echo */
	uint64_t first_ns, last_ns;
	uint64_t packets;
	enum capture_how how;
};

typedef void (*capture_flow_fn)(const struct capture_flow *flow, void *userdata);

/*
 * Folds packets into flows keyed by their two endpoints and reports each flow once, when it
 * ends (TCP close or reset, then a quiet period), goes idle, or at capture_tracker_flush().
 * Memory grows with concurrent flows and listening endpoints, never with packets.
 */
struct capture_tracker;
struct capture_tracker *capture_tracker_new(capture_flow_fn fn, void *userdata);
void capture_tracker_add(struct capture_tracker *t, const struct capture_packet *p, uint64_t ts_ns);
void capture_tracker_flush(struct capture_tracker *t);
size_t capture_tracker_open_flows(const struct capture_tracker *t);
struct capture_tracker *
capture_tracker_free(struct capture_tracker *t); /* NULL-safe, returns NULL */

/* ---- Capture files ------------------------------------------------------------------------ */

struct capture_stats {
	uint64_t packets;     /* records read */
	uint64_t decoded;     /* fed to the tracker */
	uint64_t truncated;   /* skipped: CAPTURE_DECODE_TRUNCATED */
	uint64_t not_ip;      /* skipped: CAPTURE_DECODE_NOT_IP */
	uint64_t fragments;   /* skipped: CAPTURE_DECODE_FRAGMENT */
	uint64_t unsupported; /* skipped: CAPTURE_DECODE_UNSUPPORTED */
	uint64_t malformed;   /* skipped: CAPTURE_DECODE_MALFORMED */
};

/*
 * Reads a pcap or pcapng file (nanosecond timestamps) into the tracker and adds to stats.
 * A file that is not a capture, uses an unsupported link type, or ends inside a record fails
 * with a one-line message naming the file; packets already fed stay fed (the caller discards).
 */
int capture_file_read(struct capture_tracker *t, const char *path, struct capture_stats *stats,
		      struct util_err *err);
