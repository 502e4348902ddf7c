/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test-tracker.c - the flow tracker (capture-tracker.c): directions, outcomes and eviction, its
 * caches against its slow path, and what live sources add (conntrack events, expiry, peek).
 */
#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "tests/test-capture-helpers.h"

/* ---- Tracker cases ------------------------------------------------------------------------ */

struct tpkt {
	uint32_t ms; /* packet time, from an arbitrary start */
	const char *src;
	uint16_t sport;
	const char *dst;
	uint16_t dport;
	uint8_t proto;
	uint8_t flags; /* TCP flags, or ICMP / SCTP type */
};

struct tracker_case {
	const char *name;
	struct tpkt pkts[24];
	struct tflow flows[4];
	size_t open; /* capture_tracker_open_flows() after the last packet */
};

#define S  0x02
#define SA 0x12
#define A  0x10
#define PA 0x18
#define FA 0x11
#define RA 0x14
#define C  "10.0.0.2"
#define SV "10.0.0.1"

/* A whole connection from C:port to SV:sport at t0 ms, 8 packets, closed at t0 + 7. */
#define CONN(t0, port, sport)                                                                      \
	{(t0), C, (port), SV, (sport), TCP, S}, {(t0) + 1, SV, (sport), C, (port), TCP, SA},       \
		{(t0) + 2, C, (port), SV, (sport), TCP, A},                                        \
		{(t0) + 3, C, (port), SV, (sport), TCP, PA},                                       \
		{(t0) + 4, SV, (sport), C, (port), TCP, PA},                                       \
		{(t0) + 5, C, (port), SV, (sport), TCP, FA},                                       \
		{(t0) + 6, SV, (sport), C, (port), TCP, FA},                                       \
	{                                                                                          \
		(t0) + 7, C, (port), SV, (sport), TCP, A                                           \
	}

static const struct tracker_case tracker_cases[] = {
	{"handshake", {CONN(0, 45000, 80)}, {{C, SV, TCP, 80, 8, HS, false, 0, 7}}, 1},
	{"handshake beats ports (client port 80, server port 50000)",
	 {CONN(0, 80, 50000)},
	 {{C, SV, TCP, 50000, 8, HS, false, 0, 7}},
	 1},
	{"syn-ack alone tells the server",
	 {{0, SV, 50000, C, 80, TCP, SA}, {1, C, 80, SV, 50000, TCP, A}},
	 {{C, SV, TCP, 50000, 2, HS, false, 0, 1}},
	 1},
	{"mid-connection, listener known from an earlier handshake",
	 {CONN(0, 2000, 40000),
	  {100, SV, 40000, "10.0.0.3", 2001, TCP, PA},
	  {101, "10.0.0.3", 2001, SV, 40000, TCP, A}},
	 {{C, SV, TCP, 40000, 8, HS, false, 0, 7},
	  {"10.0.0.3", SV, TCP, 40000, 2, LI, false, 100, 101}},
	 2},
	{"mid-connection, listener learned later but before the report",
	 {{0, SV, 40000, "10.0.0.3", 2001, TCP, PA},
	  {1, "10.0.0.3", 2001, SV, 40000, TCP, A},
	  CONN(2, 2000, 40000)},
	 {{"10.0.0.3", SV, TCP, 40000, 2, LI, false, 0, 1},
	  {C, SV, TCP, 40000, 8, HS, false, 2, 9}},
	 2},
	{"mid-connection, well-known port",
	 {{0, SV, 443, C, 51000, TCP, PA}, {1, C, 51000, SV, 443, TCP, A}},
	 {{C, SV, TCP, 443, 2, PO, false, 0, 1}},
	 1},
	{"mid-connection, same class, lower port",
	 {{0, C, 3000, SV, 5000, TCP, PA}, {1, SV, 5000, C, 3000, TCP, A}},
	 {{SV, C, TCP, 3000, 2, PO, false, 0, 1}},
	 1},
	{"udp request and response",
	 {{0, C, 53000, SV, 53, UDP, 0}, {2, SV, 53, C, 53000, UDP, 0}},
	 {{C, SV, UDP, 53, 2, PO, false, 0, 2}},
	 1},
	{"udp equal ports, first sender opened it",
	 {{0, "10.0.0.9", 5353, SV, 5353, UDP, 0}, {1, SV, 5353, "10.0.0.9", 5353, UDP, 0}},
	 {{"10.0.0.9", SV, UDP, 5353, 2, FI, false, 0, 1}},
	 1},
	{"udp equal ports, first sender is the lower address",
	 {{0, SV, 5353, "10.0.0.9", 5353, UDP, 0}},
	 {{SV, "10.0.0.9", UDP, 5353, 1, FI, false, 0, 0}},
	 1},
	{"ecn syn (syn|ece|cwr) is a bare syn",
	 {{0, C, 80, SV, 50000, TCP, 0xc2},
	  {1, SV, 50000, C, 80, TCP, 0x52},
	  {2, C, 80, SV, 50000, TCP, A}},
	 {{C, SV, TCP, 50000, 3, HS, false, 0, 2}},
	 1},
	{"syn retransmit counted once",
	 {{0, C, 45000, SV, 443, TCP, S},
	  {1000, C, 45000, SV, 443, TCP, S},
	  {1001, SV, 443, C, 45000, TCP, SA},
	  {1002, C, 45000, SV, 443, TCP, A}},
	 {{C, SV, TCP, 443, 4, HS, false, 0, 1002}},
	 1},
	{"port reuse after close gives two flows",
	 {CONN(0, 45000, 443), CONN(2000, 45000, 443)},
	 {{C, SV, TCP, 443, 8, HS, true, 0, 7}, {C, SV, TCP, 443, 8, HS, false, 2000, 2007}},
	 1},
	{"late ack after close stays in the flow",
	 {CONN(0, 45000, 443),
	  {3000, SV, 443, C, 45000, TCP, A},
	  {20000, "10.0.0.7", 40000, SV, 53, UDP, 0}},
	 {{C, SV, TCP, 443, 9, HS, true, 0, 3000},
	  {"10.0.0.7", SV, UDP, 53, 1, PO, false, 20000, 20000}},
	 1},
	{"closed flow lingers until 10 s of packet time",
	 {CONN(0, 45000, 443), {9000, "10.0.0.7", 40000, SV, 53, UDP, 0}},
	 {{C, SV, TCP, 443, 8, HS, false, 0, 7},
	  {"10.0.0.7", SV, UDP, 53, 1, PO, false, 9000, 9000}},
	 2},
	{"reset closes",
	 {{0, C, 45000, SV, 9, TCP, S},
	  {1, SV, 9, C, 45000, TCP, RA},
	  {15000, C, 1, SV, 2, UDP, 0}},
	 {{C, SV, TCP, 9, 2, HS, true, 0, 1}, {SV, C, UDP, 1, 1, PO, false, 15000, 15000}},
	 1},
	{"idle udp expires after 120 s, idle tcp not yet",
	 {{0, C, 53000, SV, 53, UDP, 0},
	  {0, C, 45000, SV, 443, TCP, PA},
	  {200000, C, 53001, SV, 53, UDP, 0}},
	 {{C, SV, UDP, 53, 1, PO, true, 0, 0},
	  {C, SV, TCP, 443, 1, PO, false, 0, 0},
	  {C, SV, UDP, 53, 1, PO, false, 200000, 200000}},
	 2},
	{"an opened tcp connection is not idle: live capture sees nothing between SYN and FIN",
	 {{0, C, 45000, SV, 443, TCP, S},
	  {1, SV, 443, C, 45000, TCP, SA},
	  {600000, C, 45000, SV, 443, TCP, FA},
	  {600001, SV, 443, C, 45000, TCP, FA},
	  {700000, C, 53001, SV, 53, UDP, 0}},
	 {{C, SV, TCP, 443, 4, HS, true, 0, 600001},
	  {C, SV, UDP, 53, 1, PO, false, 700000, 700000}},
	 1},
	/* a DNS exchange (UDP, one end on port 53) ends once every query has its answer */
	{"a dns exchange ends with its answer, after 10 s of linger",
	 {{0, C, 53000, SV, 53, UDP, 0},
	  {2, SV, 53, C, 53000, UDP, 0},
	  {3000, SV, 53, C, 53000, UDP, 0},
	  {15000, C, 53001, SV, 5353, UDP, 0}},
	 {{C, SV, UDP, 53, 3, PO, true, 0, 3000}, {C, SV, UDP, 5353, 1, PO, false, 15000, 15000}},
	 1},
	{"a dns exchange of two queries ends with the second answer",
	 {{0, C, 53000, SV, 53, UDP, 0},
	  {1, C, 53000, SV, 53, UDP, 0},
	  {2, SV, 53, C, 53000, UDP, 0},
	  {9000, SV, 53, C, 53000, UDP, 0},
	  {15000, C, 53001, SV, 5353, UDP, 0},
	  {20000, C, 53001, SV, 5353, UDP, 0}},
	 {{C, SV, UDP, 53, 4, PO, true, 0, 9000}, {C, SV, UDP, 5353, 2, PO, false, 15000, 20000}},
	 1},
	{"a new query on an answered dns socket opens it again",
	 {{0, C, 53000, SV, 53, UDP, 0},
	  {2, SV, 53, C, 53000, UDP, 0},
	  {5000, C, 53000, SV, 53, UDP, 0},
	  {15000, C, 53001, SV, 5353, UDP, 0}},
	 {{C, SV, UDP, 53, 3, PO, false, 0, 5000}, {C, SV, UDP, 5353, 1, PO, false, 15000, 15000}},
	 2},
	{"a dns answer alone, or a query alone, waits for its idle timeout",
	 {{0, SV, 53, C, 53000, UDP, 0},
	  {0, C, 53002, SV, 53, UDP, 0},
	  {15000, C, 53001, SV, 5353, UDP, 0}},
	 {{C, SV, UDP, 53, 1, PO, false, 0, 0},
	  {C, SV, UDP, 53, 1, PO, false, 0, 0},
	  {C, SV, UDP, 5353, 1, PO, false, 15000, 15000}},
	 3},
	{"udp between two port 53s is no dns exchange",
	 {{0, C, 53, SV, 53, UDP, 0},
	  {2, SV, 53, C, 53, UDP, 0},
	  {15000, C, 53001, SV, 5353, UDP, 0}},
	 {{C, SV, UDP, 53, 2, FI, false, 0, 2}, {C, SV, UDP, 5353, 1, PO, false, 15000, 15000}},
	 2},
	{"idle tcp expires after 300 s",
	 {{0, C, 45000, SV, 443, TCP, PA}, {301000, C, 53001, SV, 53, UDP, 0}},
	 {{C, SV, TCP, 443, 1, PO, true, 0, 0}, {C, SV, UDP, 53, 1, PO, false, 301000, 301000}},
	 1},
	{"icmp echo request and reply",
	 {{0, C, 77, SV, 77, ICMP, 8}, {1, SV, 77, C, 77, ICMP, 0}},
	 {{C, SV, ICMP, 0, 2, HS, false, 0, 1}},
	 1},
	{"icmpv6 echo reply alone",
	 {{0, "fd99::1", 5, "fd99::2", 5, ICMP6, 129}},
	 {{"fd99::2", "fd99::1", ICMP6, 0, 1, HS, false, 0, 0}},
	 1},
	{"sctp init ack alone",
	 {{0, SV, 3868, C, 40000, SCTP, 2}, {1, C, 40000, SV, 3868, SCTP, 0}},
	 {{C, SV, SCTP, 3868, 2, HS, false, 0, 1}},
	 1},
	{"sctp init then a listener for mid-association traffic",
	 {{0, C, 40000, SV, 38680, SCTP, 1},
	  {1, SV, 38680, C, 40000, SCTP, 2},
	  {2, "10.0.0.4", 1000, SV, 38680, SCTP, 0}},
	 {{C, SV, SCTP, 38680, 2, HS, false, 0, 1},
	  {"10.0.0.4", SV, SCTP, 38680, 1, LI, false, 2, 2}},
	 2},
	{"ipv6 handshake",
	 {{0, "fd99::2", 45000, "fd99::1", 8080, TCP, S},
	  {1, "fd99::1", 8080, "fd99::2", 45000, TCP, SA},
	  {2, "fd99::2", 45000, "fd99::1", 8080, TCP, A}},
	 {{"fd99::2", "fd99::1", TCP, 8080, 3, HS, false, 0, 2}},
	 1},
};

#define BASE_NS 1700000000000000000ULL

static bool flow_matches(const struct tflow *want, const struct capture_flow *got, bool early)
{
	struct util_addr client, server;

	ck_assert_int_eq(util_addr_parse(want->client, &client), 0);
	ck_assert_int_eq(util_addr_parse(want->server, &server), 0);
	return util_addr_compare(&client, &got->client) == 0 &&
	       util_addr_compare(&server, &got->server) == 0 && want->proto == got->proto &&
	       want->port == got->port && want->packets == got->packets && want->how == got->how &&
	       want->early == early && BASE_NS + want->first_ms * 1000000ULL == got->first_ns &&
	       BASE_NS + want->last_ms * 1000000ULL == got->last_ns;
}

static void flow_print(const struct capture_flow *f, bool early)
{
	char c[UTIL_ADDR_LEN], s[UTIL_ADDR_LEN];

	fprintf(stderr, "  got %s -> %s proto %u port %u packets %llu how %d early %d\n",
		util_addr_format(&f->client, c), util_addr_format(&f->server, s), f->proto, f->port,
		(unsigned long long)f->packets, f->how, early);
}

START_TEST(test_tracker)
{
	const struct tracker_case *tc = &tracker_cases[_i];
	struct collected got = {0};
	struct capture_tracker *t = capture_tracker_new(collect, &got);
	bool used[8] = {false};
	size_t n_want = 0;

	for (size_t i = 0; i < UTIL_ARRAY_SIZE(tc->pkts) && tc->pkts[i].src; i++) {
		const struct tpkt *tp = &tc->pkts[i];
		struct capture_packet p = {
			.proto = tp->proto,
			.sport = tp->sport,
			.dport = tp->dport,
		};

		ck_assert_int_eq(util_addr_parse(tp->src, &p.src), 0);
		ck_assert_int_eq(util_addr_parse(tp->dst, &p.dst), 0);
		if (tp->proto == IPPROTO_TCP)
			p.tcp_flags = tp->flags;
		else
			p.l4_type = tp->flags;
		capture_tracker_add(t, &p, BASE_NS + tp->ms * 1000000ULL);
	}
	ck_assert_uint_eq(capture_tracker_open_flows(t), tc->open);
	got.flushing = true;
	capture_tracker_flush(t);
	ck_assert_uint_eq(capture_tracker_open_flows(t), 0);
	t = capture_tracker_free(t);
	ck_assert_ptr_null(t);

	while (n_want < UTIL_ARRAY_SIZE(tc->flows) && tc->flows[n_want].client)
		n_want++;
	if (got.n != n_want) {
		for (size_t j = 0; j < got.n; j++)
			flow_print(&got.flows[j], got.early[j]);
		ck_abort_msg("%s: %zu flows reported, want %zu", tc->name, got.n, n_want);
	}
	for (size_t i = 0; i < n_want; i++) {
		bool found = false;

		for (size_t j = 0; j < got.n && !found; j++) {
			if (!used[j] && flow_matches(&tc->flows[i], &got.flows[j], got.early[j])) {
				used[j] = true;
				found = true;
			}
		}
		if (!found) {
			for (size_t j = 0; j < got.n; j++)
				flow_print(&got.flows[j], got.early[j]);
			ck_abort_msg("%s: flow %zu (%s -> %s port %u) not reported", tc->name, i,
				     tc->flows[i].client, tc->flows[i].server, tc->flows[i].port);
		}
	}
}
END_TEST

/* ---- What became of a flow: served, refused, unanswered ------------------------------------ */

#define R    0x04	 /* a bare RST */
#define UNR  0xff	 /* an ICMP port unreachable about the packet before, in outcome_cases */
#define SV2  "10.0.0.9"	 /* a backend behind a Service address (SV) */
#define NODE "10.0.0.77" /* the node that masquerades C */

struct outcome_case {
	const char *name;
	struct tpkt pkts[8];
	bool one_way;
	/* every flow reported, each with this outcome; port 0 and none reported: n 0 */
	enum capture_outcome want;
	size_t n;
};

static const struct outcome_case outcome_cases[] = {
	{"tcp handshake",
	 {{0, C, 40000, SV, 80, TCP, S},
	  {1, SV, 80, C, 40000, TCP, SA},
	  {2, C, 40000, SV, 80, TCP, A}},
	 false,
	 CAPTURE_SERVED,
	 1},
	{"tcp syn+ack alone (the server's side only)",
	 {{1, SV, 80, C, 40000, TCP, SA}, {2, SV, 80, C, 40000, TCP, PA}},
	 false,
	 CAPTURE_SERVED,
	 1},
	{"tcp refused",
	 {{0, C, 40000, SV, 81, TCP, S}, {1, SV, 81, C, 40000, TCP, RA}},
	 false,
	 CAPTURE_REFUSED,
	 1},
	{"tcp unanswered",
	 {{0, C, 40000, SV, 82, TCP, S}, {1000, C, 40000, SV, 82, TCP, S}},
	 false,
	 CAPTURE_UNANSWERED,
	 1},
	{"tcp half-open scan of an open port",
	 {{0, C, 40000, SV, 80, TCP, S},
	  {1, SV, 80, C, 40000, TCP, SA},
	  {2, C, 40000, SV, 80, TCP, R}},
	 false,
	 CAPTURE_UNANSWERED,
	 1},
	{"tcp aborted after the handshake (RST+ACK) is served",
	 {{0, C, 40000, SV, 80, TCP, S},
	  {1, SV, 80, C, 40000, TCP, SA},
	  {2, C, 40000, SV, 80, TCP, RA}},
	 false,
	 CAPTURE_SERVED,
	 1},
	{"tcp going when the capture began",
	 {{0, C, 40000, SV, 80, TCP, PA}, {1, SV, 80, C, 40000, TCP, A}},
	 false,
	 CAPTURE_SERVED,
	 1},
	{"tcp one side mid-stream is unanswered",
	 {{0, C, 40000, SV, 80, TCP, PA}, {1, C, 40000, SV, 80, TCP, PA}},
	 false,
	 CAPTURE_UNANSWERED,
	 1},
	{"tcp one side mid-stream, one-way capture point",
	 {{0, C, 40000, SV, 80, TCP, PA}, {1, C, 40000, SV, 80, TCP, PA}},
	 true,
	 CAPTURE_SERVED,
	 1},
	{"tcp bare syn stays unanswered one-way",
	 {{0, C, 40000, SV, 80, TCP, S}},
	 true,
	 CAPTURE_UNANSWERED,
	 1},
	{"tcp client acknowledges a server out of sight",
	 {{0, C, 40000, SV, 80, TCP, S},
	  {1, C, 40000, SV, 80, TCP, A},
	  {2, C, 40000, SV, 80, TCP, PA}},
	 false,
	 CAPTURE_SERVED,
	 1},
	{"udp answered",
	 {{0, C, 40000, SV, 53, UDP, 0}, {1, SV, 53, C, 40000, UDP, 0}},
	 false,
	 CAPTURE_SERVED,
	 1},
	{"udp unanswered",
	 {{0, C, 40000, SV, 54, UDP, 0}, {5, C, 40000, SV, 54, UDP, 0}},
	 false,
	 CAPTURE_UNANSWERED,
	 1},
	{"udp refused by icmp",
	 {{0, C, 40000, SV, 55, UDP, 0}, {1, SV, 55, C, 40000, UDP, UNR}},
	 false,
	 CAPTURE_REFUSED,
	 1},
	{"udp unanswered is served one-way",
	 {{0, C, 40000, SV, 54, UDP, 0}},
	 true,
	 CAPTURE_SERVED,
	 1},
	{"an icmp error about no flow makes none",
	 {{1, SV, 55, C, 40000, UDP, UNR}},
	 false,
	 CAPTURE_SERVED,
	 0},
	{"sctp init ack",
	 {{0, C, 40000, SV, 3868, SCTP, 1}, {1, SV, 3868, C, 40000, SCTP, 2}},
	 false,
	 CAPTURE_SERVED,
	 1},
	{"sctp abort",
	 {{0, C, 40000, SV, 3869, SCTP, 1}, {1, SV, 3869, C, 40000, SCTP, 6}},
	 false,
	 CAPTURE_REFUSED,
	 1},
	{"sctp init alone", {{0, C, 40000, SV, 3870, SCTP, 1}}, false, CAPTURE_UNANSWERED, 1},
	{"icmp echo answered",
	 {{0, C, 7, SV, 7, ICMP, 8}, {1, SV, 7, C, 7, ICMP, 0}},
	 false,
	 CAPTURE_SERVED,
	 1},
	{"icmp echo unanswered", {{0, C, 7, SV, 7, ICMP, 8}}, false, CAPTURE_UNANSWERED, 1},
	{"icmp echo reply alone (backscatter)",
	 {{0, SV, 7, C, 7, ICMP, 0}},
	 false,
	 CAPTURE_UNANSWERED,
	 1},
	/* a capture point that sees each side before NAT: two one-sided flows, one connection */
	{"dnat halves, client first",
	 {{0, C, 40000, SV, 80, TCP, S},
	  {1, SV2, 8080, C, 40000, TCP, SA},
	  {2, C, 40000, SV, 80, TCP, A},
	  {3, C, 40000, SV, 80, TCP, FA},
	  {4, SV2, 8080, C, 40000, TCP, FA}},
	 false,
	 CAPTURE_SERVED,
	 2},
	{"dnat halves of udp",
	 {{0, C, 40000, SV, 53, UDP, 0}, {1, SV2, 53, C, 40000, UDP, 0}},
	 false,
	 CAPTURE_SERVED,
	 2},
	{"snat halves",
	 {{0, C, 40000, SV, 443, TCP, S},
	  {1, SV, 443, NODE, 40000, TCP, SA},
	  {2, C, 40000, SV, 443, TCP, PA},
	  {3, SV, 443, NODE, 40000, TCP, PA}},
	 false,
	 CAPTURE_SERVED,
	 2},
	{"two syns from one client end are no halves",
	 {{0, C, 40000, SV, 80, TCP, S}, {1, C, 40000, SV2, 80, TCP, S}},
	 false,
	 CAPTURE_UNANSWERED,
	 2},
	{"port 0 is counted, never reported",
	 {{0, C, 40000, SV, 0, TCP, S}, {1, SV, 0, C, 40000, TCP, SA}},
	 false,
	 CAPTURE_SERVED,
	 0},
	{"udp to port 0 is counted, never reported, though its answer is from 0",
	 {{0, C, 40001, SV, 0, UDP, 0}, {1, SV, 0, C, 40001, UDP, 0}},
	 false,
	 CAPTURE_SERVED,
	 0},
	/* a Geneve reply from port zero: the tunnel endpoint it goes to is the server */
	{"a datagram from port zero is a request to its receiver",
	 {{0, SV, 0, C, 6081, UDP, 0}, {1, C, 6081, SV, 0, UDP, UNR}},
	 false,
	 CAPTURE_REFUSED,
	 1},
};

static void tpkt_packet(const struct tpkt *tp, struct capture_packet *p);

struct outcome_got {
	enum capture_outcome v[8];
	uint64_t packets[8];
	size_t n;
};

static void outcome_collect(const struct capture_flow *flow, void *userdata)
{
	struct outcome_got *got = userdata;

	ck_assert_uint_lt(got->n, UTIL_ARRAY_SIZE(got->v));
	ck_assert_uint_ne(flow->port == 0 && flow->proto != IPPROTO_ICMP, true);
	got->packets[got->n] = flow->packets;
	got->v[got->n++] = flow->outcome;
}

/* _i: the case, twice: with the tracker's caches and without (every packet the slow way). */
START_TEST(test_tracker_outcome)
{
	const struct outcome_case *oc = &outcome_cases[_i / 2];
	struct outcome_got got = {0};
	struct capture_tracker *t = capture_tracker_new(outcome_collect, &got);
	struct capture_tracker_stats st;
	uint64_t sent = 0; /* packets of the flows; ICMP errors are about them */

	if (_i % 2)
		capture_tracker_set_fast_path(t, false);
	capture_tracker_set_one_way(t, oc->one_way);
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(oc->pkts) && oc->pkts[i].src; i++) {
		const struct tpkt *tp = &oc->pkts[i];
		struct capture_packet p;

		tpkt_packet(tp, &p);
		sent += tp->flags != UNR;
		if (tp->flags == UNR) {
			p.icmp_error = 1;
			p.tcp_flags = 0x04;
			p.l4_type = 0;
		}
		capture_tracker_add(t, &p, BASE_NS + tp->ms * 1000000ULL);
	}
	capture_tracker_flush(t);
	capture_tracker_get_stats(t, &st);
	capture_tracker_free(t);
	ck_assert_msg(got.n == oc->n, "%s: %zu flows, want %zu", oc->name, got.n, oc->n);
	for (size_t i = 0; i < got.n; i++)
		ck_assert_msg(got.v[i] == oc->want, "%s: flow %zu is %d, want %d", oc->name, i,
			      got.v[i], oc->want);
	if (strstr(oc->name, "port 0"))
		ck_assert_uint_eq(st.port_zero, 1);
	if (got.n == 1)
		ck_assert_msg(got.packets[0] == sent, "%s: %" PRIu64 " packets, want %" PRIu64,
			      oc->name, got.packets[0], sent);
}
END_TEST

/* A table that is full ends the oldest unanswered flow, not an older answered one. */
/*
 * A DNS socket owes more answers than the count holds (INT8_MAX): it no longer closes with an
 * answer, so the late answers still find it, and it waits for its idle timeout.
 */
START_TEST(test_tracker_dns_many_queries)
{
	struct outcome_got got = {0};
	struct capture_tracker *t = capture_tracker_new(outcome_collect, &got);
	struct capture_packet p;
	uint64_t ms = 0;

	for (int i = 0; i < 130; i++, ms++) {
		tpkt_packet(&(struct tpkt){0, C, 53000, SV, 53, UDP, 0}, &p);
		capture_tracker_add(t, &p, BASE_NS + ms * 1000000);
	}
	for (int i = 0; i < 130; i++, ms++) {
		/* the last answers come long after, past a scan: a close would have ended the flow
		 */
		if (i == 127) {
			ms += 15000;
			tpkt_packet(&(struct tpkt){0, C, 53001, SV, 5353, UDP, 0}, &p);
			capture_tracker_add(t, &p, BASE_NS + ms * 1000000);
		}
		tpkt_packet(&(struct tpkt){0, SV, 53, C, 53000, UDP, 0}, &p);
		capture_tracker_add(t, &p, BASE_NS + ms * 1000000);
	}
	ck_assert_uint_eq(got.n, 0);
	ck_assert_uint_eq(capture_tracker_open_flows(t), 2);
	capture_tracker_flush(t);
	ck_assert_uint_eq(got.n, 2);
	ck_assert_int_eq(got.v[0], CAPTURE_SERVED);
	ck_assert_uint_eq(got.packets[0], 260);
	capture_tracker_free(t);
}
END_TEST

START_TEST(test_tracker_evict)
{
	struct outcome_got got = {0};
	struct capture_tracker *t = capture_tracker_new(outcome_collect, &got);
	struct capture_tracker_stats st;
	struct capture_packet p;

	capture_tracker_set_max_flows(t, 2);
	tpkt_packet(&(struct tpkt){0, C, 40000, SV, 80, TCP, S}, &p);
	capture_tracker_add(t, &p, BASE_NS);
	tpkt_packet(&(struct tpkt){1, SV, 80, C, 40000, TCP, SA}, &p);
	capture_tracker_add(t, &p, BASE_NS + 1000000);
	tpkt_packet(&(struct tpkt){2, C, 40001, SV, 99, TCP, S}, &p);
	capture_tracker_add(t, &p, BASE_NS + 2000000);
	tpkt_packet(&(struct tpkt){3, C, 40002, SV, 98, TCP, S}, &p);
	capture_tracker_add(t, &p, BASE_NS + 3000000);
	ck_assert_uint_eq(capture_tracker_open_flows(t), 2);
	ck_assert_uint_eq(got.n, 1);
	ck_assert_int_eq(got.v[0], CAPTURE_UNANSWERED); /* the SYN to 99, not the served one */
	capture_tracker_get_stats(t, &st);
	ck_assert_uint_eq(st.evicted, 1);
	capture_tracker_flush(t);
	capture_tracker_free(t);
}
END_TEST

/* ---- The fast path against the slow path, one flow at a time against batches --------------- */

/*
 * capture-tracker.c sends most packets through caches (dir[] for IPv4 TCP/UDP, recent[] for the
 * rest) that point at flows; this switch, not part of the API, turns them off so that every
 * packet goes through the hash table. Both ways must report the very same flows, in the same
 * order, at the same moments, and hold the same number open after every packet. So must a
 * third tracker that hands the flows an expiry scan or the flush ends over in batches.
 */

struct diff_flow {
	struct capture_flow flow;
	size_t when; /* packets added before it was reported */
	bool early;  /* reported before capture_tracker_flush() */
};

struct diff_side {
	const char *name;
	struct capture_tracker *t;
	struct diff_flow *flows;
	size_t n, cap, added;
	bool flushing;
	/* flows: in one batch at most, reported by the flush, ended early and came in a batch */
	size_t largest_batch, at_flush, early_in_batches;
	size_t idles; /* calls of the idle function */
};

static void diff_idle(void *userdata)
{
	((struct diff_side *)userdata)->idles++;
}

static void diff_collect(const struct capture_flow *flow, void *userdata)
{
	struct diff_side *d = userdata;

	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 64;
		d->flows = util_reallocarray(d->flows, d->cap, sizeof(*d->flows));
	}
	d->flows[d->n++] = (struct diff_flow){*flow, d->added, !d->flushing};
	d->at_flush += d->flushing;
}

static void diff_collect_batch(const struct capture_flow *flows, size_t n, void *userdata)
{
	struct diff_side *d = userdata;

	if (n == 0 || n > CAPTURE_FLOW_BATCH)
		ck_abort_msg("a batch of %zu flows", n);
	if (n > d->largest_batch)
		d->largest_batch = n;
	d->early_in_batches += d->flushing ? 0 : n;
	for (size_t i = 0; i < n; i++)
		diff_collect(&flows[i], d);
}

enum {
	DIFF_FAST,
	DIFF_SLOW,
	DIFF_BATCHED,
	DIFF_SIDES
};

struct diff_pair {
	struct diff_side side[DIFF_SIDES];
};

static void diff_start(struct diff_pair *dp)
{
	static const char *const names[DIFF_SIDES] = {"the fast path", "the slow path", "batches"};

	*dp = (struct diff_pair){0};
	for (int i = 0; i < DIFF_SIDES; i++) {
		dp->side[i].name = names[i];
		dp->side[i].t = capture_tracker_new(diff_collect, &dp->side[i]);
	}
	capture_tracker_set_fast_path(dp->side[DIFF_SLOW].t, false);
	capture_tracker_set_batch_fn(dp->side[DIFF_BATCHED].t, diff_collect_batch);
}

/* Passing ck_assert calls cost a pipe write each under CK_FORK: only fail through Check. */
static void diff_add(struct diff_pair *dp, const struct capture_packet *p, uint64_t ts_ns)
{
	const struct diff_side *f = &dp->side[DIFF_FAST];

	for (int i = 0; i < DIFF_SIDES; i++) {
		capture_tracker_add(dp->side[i].t, p, ts_ns);
		dp->side[i].added++;
	}
	for (int i = 1; i < DIFF_SIDES; i++) {
		const struct diff_side *d = &dp->side[i];
		size_t nf = capture_tracker_open_flows(f->t), nd = capture_tracker_open_flows(d->t);

		if (nf != nd || f->n != d->n)
			ck_abort_msg("after packet %zu: %zu open and %zu reported with %s, %zu and "
				     "%zu with %s",
				     f->added, nf, f->n, f->name, nd, d->n, d->name);
	}
}

static bool diff_flow_equal(const struct diff_flow *x, const struct diff_flow *y)
{
	const struct capture_flow *a = &x->flow, *b = &y->flow;

	return util_addr_compare(&a->client, &b->client) == 0 &&
	       util_addr_compare(&a->server, &b->server) == 0 && a->proto == b->proto &&
	       a->port == b->port && a->first_ns == b->first_ns && a->last_ns == b->last_ns &&
	       a->packets == b->packets && a->how == b->how && x->when == y->when &&
	       x->early == y->early;
}

/*
 * Flushes all three, compares everything reported, frees; returns how many flows each
 * reported. Batches are never larger than CAPTURE_FLOW_BATCH, and a flush of more flows than
 * that fills one.
 */
static size_t diff_finish(struct diff_pair *dp, const char *name)
{
	const struct diff_side *f = &dp->side[DIFF_FAST], *b = &dp->side[DIFF_BATCHED];
	size_t n;

	for (int i = 0; i < DIFF_SIDES; i++) {
		dp->side[i].flushing = true;
		capture_tracker_flush(dp->side[i].t);
	}
	n = f->n;
	for (int s = 1; s < DIFF_SIDES; s++) {
		const struct diff_side *d = &dp->side[s];

		ck_assert_msg(f->n == d->n, "%s: %zu flows with %s, %zu with %s", name, f->n,
			      f->name, d->n, d->name);
		for (size_t i = 0; i < f->n; i++) {
			if (!diff_flow_equal(&f->flows[i], &d->flows[i])) {
				flow_print(&f->flows[i].flow, f->flows[i].early);
				flow_print(&d->flows[i].flow, d->flows[i].early);
				ck_abort_msg("%s: flow %zu differs between %s and %s", name, i,
					     f->name, d->name);
			}
		}
	}
	for (int s = 1; s < DIFF_SIDES; s++) {
		struct capture_tracker_stats x, y;

		capture_tracker_get_stats(f->t, &x);
		capture_tracker_get_stats(dp->side[s].t, &y);
		ck_assert_msg(x.port_zero == y.port_zero && x.evicted == y.evicted,
			      "%s: %s counted %" PRIu64 " to port 0 and %" PRIu64
			      " evicted, %s %" PRIu64 " and %" PRIu64,
			      name, f->name, x.port_zero, x.evicted, dp->side[s].name, y.port_zero,
			      y.evicted);
	}
	if (b->at_flush >= CAPTURE_FLOW_BATCH)
		ck_assert_uint_eq(b->largest_batch, CAPTURE_FLOW_BATCH);
	for (int i = 0; i < DIFF_SIDES; i++) {
		capture_tracker_free(dp->side[i].t);
		free(dp->side[i].flows);
	}
	return n;
}

static void tpkt_packet(const struct tpkt *tp, struct capture_packet *p)
{
	*p = (struct capture_packet){.proto = tp->proto, .sport = tp->sport, .dport = tp->dport};
	ck_assert_int_eq(util_addr_parse(tp->src, &p->src), 0);
	ck_assert_int_eq(util_addr_parse(tp->dst, &p->dst), 0);
	if (tp->proto == IPPROTO_TCP)
		p->tcp_flags = tp->flags;
	else
		p->l4_type = tp->flags;
}

static void diff_script(const struct tracker_case *tc)
{
	struct diff_pair dp;

	diff_start(&dp);
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(tc->pkts) && tc->pkts[i].src; i++) {
		struct capture_packet p;

		tpkt_packet(&tc->pkts[i], &p);
		diff_add(&dp, &p, BASE_NS + tc->pkts[i].ms * 1000000ULL);
	}
	ck_assert_uint_gt(diff_finish(&dp, tc->name), 0);
}

/* Every tracker case above, both ways. */
START_TEST(test_tracker_fast_path_cases)
{
	diff_script(&tracker_cases[_i]);
}
END_TEST

/* Sequences aimed at the caches: only compared between the two ways, no expected flows. */
static const struct tracker_case diff_scripts[] = {
	{.name = "a flow freed by expiry, then its tuple again (stale cache entry)",
	 .pkts = {CONN(0, 45000, 443),
		  {20000, "10.0.0.7", 40000, SV, 53, UDP, 0},
		  {20001, C, 45000, SV, 443, TCP, A},
		  {20002, SV, 443, C, 45000, TCP, PA},
		  {20003, C, 45000, SV, 443, TCP, FA}}},
	{.name = "the same over ipv6",
	 .pkts = {{0, "fd99::2", 45000, "fd99::1", 443, TCP, S},
		  {1, "fd99::1", 443, "fd99::2", 45000, TCP, SA},
		  {2, "fd99::2", 45000, "fd99::1", 443, TCP, A},
		  {3, "fd99::2", 45000, "fd99::1", 443, TCP, RA},
		  {20000, "fd99::7", 40000, "fd99::1", 53, UDP, 0},
		  {20001, "fd99::2", 45000, "fd99::1", 443, TCP, A},
		  {20002, "fd99::1", 443, "fd99::2", 45000, TCP, PA}}},
	{.name = "idle udp freed, then its tuple again from the other side",
	 .pkts = {{0, C, 53000, SV, 53, UDP, 0},
		  {1, SV, 53, C, 53000, UDP, 0},
		  {130000, C, 1, SV, 2, UDP, 0},
		  {130001, SV, 53, C, 53000, UDP, 0},
		  {130002, C, 53000, SV, 53, UDP, 0}}},
	{.name = "port reuse while the closed flow lingers, plain packets between",
	 .pkts = {CONN(0, 45000, 443),
		  {8, C, 45000, SV, 443, TCP, A},
		  {9, SV, 443, C, 45000, TCP, A},
		  {10, C, 45000, SV, 443, TCP, S},
		  {11, SV, 443, C, 45000, TCP, A},
		  {12, C, 45000, SV, 443, TCP, PA},
		  {13, SV, 443, C, 45000, TCP, SA},
		  {14, C, 45000, SV, 443, TCP, A}}},
	{.name = "a flow with itself: both endpoints equal",
	 .pkts = {{0, C, 5000, C, 5000, TCP, S},
		  {1, C, 5000, C, 5000, TCP, SA},
		  {2, C, 5000, C, 5000, TCP, A},
		  {3, C, 5000, C, 5000, TCP, PA},
		  {4, C, 5000, C, 5000, TCP, FA},
		  {5, C, 5000, C, 5000, TCP, FA},
		  {6, C, 5000, C, 5000, UDP, 0},
		  {7, C, 5000, C, 5000, UDP, 0}}},
	{.name = "rst then data, fin retransmits, syn retransmit on an open flow",
	 .pkts = {{0, C, 45000, SV, 80, TCP, S},
		  {1, C, 45000, SV, 80, TCP, S},
		  {2, SV, 80, C, 45000, TCP, SA},
		  {3, C, 45000, SV, 80, TCP, PA},
		  {4, C, 45000, SV, 80, TCP, FA},
		  {5, C, 45000, SV, 80, TCP, FA},
		  {6, C, 45000, SV, 80, TCP, PA},
		  {7, SV, 80, C, 45000, TCP, 0x04},
		  {8, C, 45000, SV, 80, TCP, PA},
		  {9, SV, 80, C, 45000, TCP, FA}}},
	{.name = "port 0 is counted, never reported: as a scan ends it, then at the flush",
	 .pkts = {{0, C, 40000, SV, 0, TCP, S},
		  {1, SV, 0, C, 40000, TCP, SA},
		  {2, C, 40001, SV, 0, UDP, 0},
		  {3, SV, 0, C, 40001, UDP, 0},
		  {130000, C, 40002, SV, 0, UDP, 0},
		  {130001, C, 45000, SV, 53, UDP, 0}}},
	{.name = "tcp and udp on the same ports are two flows",
	 .pkts = {{0, C, 45000, SV, 53, TCP, PA},
		  {1, C, 45000, SV, 53, UDP, 0},
		  {2, SV, 53, C, 45000, TCP, A},
		  {3, SV, 53, C, 45000, UDP, 0},
		  {4, C, 45000, SV, 53, TCP, FA},
		  {5, C, 45000, SV, 53, UDP, 0}}},
};

/* capture_tracker_reset() keeps the batch function: the flush after it still hands batches over. */
START_TEST(test_tracker_reset_batches)
{
	static const struct tpkt conns[] = {CONN(0, 45000, 80), CONN(10, 45001, 80)};
	struct diff_side d = {.name = "batches"};

	d.t = capture_tracker_new(diff_collect, &d);
	capture_tracker_set_batch_fn(d.t, diff_collect_batch);
	capture_tracker_set_idle_fn(d.t, diff_idle);
	for (int round = 0; round < 2; round++) {
		/* the idle function too stays through a reset */
		capture_tracker_idle(d.t);
		ck_assert_uint_eq(d.idles, (size_t)round + 1);
		for (size_t i = 0; i < UTIL_ARRAY_SIZE(conns); i++) {
			struct capture_packet p;

			tpkt_packet(&conns[i], &p);
			capture_tracker_add(d.t, &p, BASE_NS + conns[i].ms * 1000000ULL);
		}
		d.flushing = true;
		capture_tracker_flush(d.t);
		d.flushing = false;
		ck_assert_uint_eq(d.n, 2 * (round + 1));
		ck_assert_uint_eq(d.largest_batch, 2);
		d.largest_batch = 0;
		capture_tracker_reset(d.t);
	}
	capture_tracker_free(d.t);
	free(d.flows);
}
END_TEST

START_TEST(test_tracker_fast_path_scripts)
{
	diff_script(&diff_scripts[_i]);
}
END_TEST

/*
 * Random traffic from a fixed seed over a working set of connections: each packet picks one at
 * random and sends it either way, with flags drawn per protocol; now and then a connection is
 * swapped for a new one. Endpoints come from small pools, so tuples repeat (port reuse), flows
 * meet themselves and several protocols share ports.
 */
struct tracker_diff_case {
	const char *name;
	uint32_t seed;
	unsigned packets;
	unsigned working; /* connections open at a time */
	unsigned renew;	  /* per mille of packets that swap a connection for a new one */
	unsigned hosts;	  /* addresses in the pool */
	unsigned ports;	  /* ports in the pool */
	unsigned v6, udp, icmp, sctp; /* percent of connections; the rest are TCP */
	uint32_t step_ms;	      /* packet time moves by 0..step_ms */
	unsigned jump; /* per mille of packets 9 to 400 s after the last: linger and idle expiry */
	unsigned back; /* per mille of packets a little earlier than the last: interfaces mixed */
};

static const struct tracker_diff_case tracker_diff_cases[] = {
	{"few endpoints: reuse, self flows, shared ports", 1, 20000, 8, 50, 3, 4, 20, 20, 5, 5, 400,
	 2, 2},
	/* 20000 connections, 40000 directions: more than dir[] and recent[] have slots. */
	{"many concurrent connections contend for every cache slot", 2, 120000, 20000, 20, 4000,
	 500, 10, 20, 0, 0, 1, 0, 0},
	{"ipv6 only, more connections than recent[] has slots", 3, 40000, 3000, 20, 500, 200, 100,
	 20, 5, 5, 2, 0, 0},
	{"expiry frees flows the caches point at", 4, 30000, 40, 30, 20, 20, 10, 25, 5, 5, 1000, 20,
	 0},
	{"tcp only: handshakes, closes, resets, port reuse", 5, 30000, 6, 5, 2, 3, 0, 0, 0, 0, 300,
	 3, 0},
	{"timestamps out of order", 6, 30000, 50, 20, 30, 30, 10, 20, 5, 5, 200, 5, 100},
};

static void diff_endpoint(unsigned i, bool v6, struct util_addr *ret)
{
	*ret = (struct util_addr){.family = v6 ? AF_INET6 : AF_INET};
	if (v6) {
		ret->bytes[0] = 0xfd;
		ret->bytes[14] = (uint8_t)(i >> 8);
		ret->bytes[15] = (uint8_t)i;
	} else {
		ret->bytes[0] = 10;
		ret->bytes[2] = (uint8_t)(i >> 8);
		ret->bytes[3] = (uint8_t)i;
	}
}

static uint16_t diff_port(unsigned i)
{
	/* The first ones span the port classes and the rules between them. */
	static const uint16_t ports[] = {80, 443, 53, 1024, 8080, 32767, 32768, 45000, 60000, 5353};

	return i < UTIL_ARRAY_SIZE(ports) ? ports[i] : (uint16_t)(20000 + i * 7);
}

struct diff_conn {
	struct capture_packet p; /* one direction; the other swaps it */
};

static void diff_conn_new(const struct tracker_diff_case *dc, uint64_t *rng, struct diff_conn *c)
{
	unsigned kind = test_rand(rng) % 100;
	bool v6 = test_rand(rng) % 100 < dc->v6;
	struct capture_packet *p = &c->p;

	*p = (struct capture_packet){0};
	diff_endpoint(test_rand(rng) % dc->hosts, v6, &p->src);
	diff_endpoint(test_rand(rng) % dc->hosts, v6, &p->dst);
	p->sport = diff_port(test_rand(rng) % dc->ports);
	p->dport = diff_port(test_rand(rng) % dc->ports);
	if (kind < dc->udp) {
		p->proto = IPPROTO_UDP;
	} else if (kind < dc->udp + dc->icmp) {
		p->proto = v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP;
		p->dport = p->sport; /* the echo identifier */
	} else if (kind < dc->udp + dc->icmp + dc->sctp) {
		p->proto = IPPROTO_SCTP;
	} else {
		p->proto = IPPROTO_TCP;
	}
}

static void diff_conn_packet(const struct diff_conn *c, uint64_t *rng, struct capture_packet *ret)
{
	/* Mostly plain segments, the rest every flag the tracker looks at and some it does not. */
	static const uint8_t tcp[] = {A,  PA, A,  PA,	A,    PA,   A,	  PA,	S,    SA,
				      FA, FA, RA, 0x04, 0xc2, 0x52, 0x03, 0x07, 0x01, 0x00};
	uint32_t r = test_rand(rng);

	*ret = c->p;
	if (r % 2) {
		ret->src = c->p.dst;
		ret->dst = c->p.src;
		ret->sport = c->p.dport;
		ret->dport = c->p.sport;
	}
	r = test_rand(rng);
	switch (ret->proto) {
	case IPPROTO_TCP:
		ret->tcp_flags = tcp[r % UTIL_ARRAY_SIZE(tcp)];
		break;
	case IPPROTO_UDP:
		/* Whatever a caller leaves in the TCP flags of a UDP packet means nothing. */
		ret->tcp_flags = r % 4 ? 0 : (uint8_t)(r >> 8);
		break;
	case IPPROTO_ICMP:
		ret->l4_type = r % 2 ? 8 : 0;
		break;
	case IPPROTO_ICMPV6:
		ret->l4_type = r % 2 ? 128 : 129;
		break;
	default:
		ret->l4_type = (uint8_t)(r % 4);
		break;
	}
}

START_TEST(test_tracker_fast_path_random)
{
	const struct tracker_diff_case *dc = &tracker_diff_cases[_i];
	uint64_t rng = 0x9e3779b97f4a7c15ULL ^ dc->seed, ts = BASE_NS;
	struct diff_conn *conns = util_reallocarray(NULL, dc->working, sizeof(*conns));
	struct diff_pair dp;
	size_t n;

	diff_start(&dp);
	for (unsigned i = 0; i < dc->working; i++)
		diff_conn_new(dc, &rng, &conns[i]);
	for (unsigned i = 0; i < dc->packets; i++) {
		struct capture_packet p;
		uint32_t r = test_rand(&rng) % 1000;

		if (test_rand(&rng) % 1000 < dc->renew)
			diff_conn_new(dc, &rng, &conns[test_rand(&rng) % dc->working]);
		if (r < dc->jump)
			ts += (9 + test_rand(&rng) % 392) * 1000000000ULL;
		else if (r < dc->jump + dc->back)
			ts -= test_rand(&rng) % (50 * 1000000ULL);
		else
			ts += test_rand(&rng) % (dc->step_ms * 1000000ULL + 1);
		diff_conn_packet(&conns[test_rand(&rng) % dc->working], &rng, &p);
		diff_add(&dp, &p, ts);
	}
	/* the flows a scan ends come in batches too */
	if (dc->jump > 0)
		ck_assert_uint_gt(dp.side[DIFF_BATCHED].early_in_batches, 0);
	n = diff_finish(&dp, dc->name);
	/* Enough flows to have meant something: more than the working set ever holds. */
	ck_assert_uint_gt(n, dc->working);
	free(conns);
}
END_TEST

/* ---- Tracker additions for live sources: conntrack events, wall-clock expiry, peek --------- */

enum lkind {
	L_PKT = 0, /* capture_tracker_add() */
	L_NEW,	   /* capture_tracker_add_ct(): a NEW event or a dump entry */
	L_DESTROY, /* capture_tracker_add_ct(): a DESTROY event */
	L_UPDATE,  /* capture_tracker_add_ct(): an UPDATE event, the entry replied */
	L_EXPIRE,  /* capture_tracker_expire() at ms */
	L_PEEK,	   /* capture_tracker_peek() */
};

/*
 * One step. For an event p is the original tuple and r the reply tuple's source and
 * destination; rsrc NULL means no NAT (the reply comes from p.dst to p.src).
 */
struct lstep {
	struct tpkt p;
	enum lkind kind;
	const char *rsrc, *rdst;
	uint16_t rsport, rdport;
};

struct live_case {
	const char *name;
	struct lstep steps[20];
	struct tflow flows[4];	/* through the tracker's callback */
	struct tflow peeked[4]; /* through capture_tracker_peek(); early is not compared */
	size_t open;		/* capture_tracker_open_flows() after the last step */
};

#define VIP "10.0.9.9"
#define BE  "10.0.0.5"
#define LP(t, s, sp, d, dp, pr, fl)                                                                \
	{                                                                                          \
		.p = {(t), (s), (sp), (d), (dp), (pr), (fl) }                                      \
	}
#define CT(k, t, s, sp, d, dp, pr)                                                                 \
	{                                                                                          \
		.p = {(t), (s), (sp), (d), (dp), (pr), 0}, .kind = (k)                             \
	}
#define CTNAT(k, t, s, sp, d, dp, pr, rs, rsp, rd, rdp)                                            \
	{                                                                                          \
		.p = {(t), (s), (sp), (d), (dp), (pr), 0}, .kind = (k), .rsrc = (rs),              \
		.rsport = (rsp), .rdst = (rd), .rdport = (rdp)                                     \
	}
/* C:45000 opens VIP:80, which the router turns into BE:8080. */
#define DNAT(k, t) CTNAT(k, t, C, 45000, VIP, 80, TCP, BE, 8080, C, 45000)
#define LEXP(t)                                                                                    \
	{                                                                                          \
		.p = {.ms = (t)}, .kind = L_EXPIRE                                                 \
	}
#define LPEEK(t)                                                                                   \
	{                                                                                          \
		.p = {.ms = (t)}, .kind = L_PEEK                                                   \
	}
/* CONN() as steps. */
#define LCONN(t0, port, sport)                                                                     \
	LP((t0), C, (port), SV, (sport), TCP, S), LP((t0) + 1, SV, (sport), C, (port), TCP, SA),   \
		LP((t0) + 2, C, (port), SV, (sport), TCP, A),                                      \
		LP((t0) + 3, C, (port), SV, (sport), TCP, PA),                                     \
		LP((t0) + 4, SV, (sport), C, (port), TCP, PA),                                     \
		LP((t0) + 5, C, (port), SV, (sport), TCP, FA),                                     \
		LP((t0) + 6, SV, (sport), C, (port), TCP, FA),                                     \
		LP((t0) + 7, C, (port), SV, (sport), TCP, A)

static const struct live_case live_cases[] = {
	{"conntrack alone: NEW, DESTROY, reported after the linger",
	 {CT(L_NEW, 0, C, 45000, SV, 80, TCP), CT(L_DESTROY, 1000, C, 45000, SV, 80, TCP),
	  LEXP(10999), LPEEK(10999), LEXP(11000)},
	 {{C, SV, TCP, 80, 0, HS, true, 0, 1000}},
	 {{C, SV, TCP, 80, 0, HS, false, 0, 1000}},
	 0},
	{"pcap and conntrack see one connection",
	 {CT(L_NEW, 0, C, 45000, SV, 80, TCP), LCONN(0, 45000, 80)},
	 {{C, SV, TCP, 80, 8, HS, false, 0, 7}},
	 {{0}},
	 1},
	{"conntrack's direction beats the ports",
	 {LP(0, C, 50000, SV, 80, TCP, PA), LP(1, SV, 80, C, 50000, TCP, A),
	  CT(L_NEW, 2, SV, 80, C, 50000, TCP)},
	 {{SV, C, TCP, 50000, 2, HS, false, 0, 2}},
	 {{0}},
	 1},
	{"dnat: event first, packets of both legs, the backend becomes a listener",
	 {DNAT(L_NEW, 0), LP(1, C, 45000, VIP, 80, TCP, S), LP(1, C, 45000, BE, 8080, TCP, S),
	  LP(2, BE, 8080, C, 45000, TCP, SA), LP(2, VIP, 80, C, 45000, TCP, SA),
	  LP(3, C, 45000, BE, 8080, TCP, A), LP(4, C, 45000, VIP, 80, TCP, A),
	  LP(5, "10.0.0.3", 2001, BE, 8080, TCP, PA), LP(6, BE, 8080, "10.0.0.3", 2001, TCP, A)},
	 {{C, BE, TCP, 8080, 6, HS, false, 0, 4}, {"10.0.0.3", BE, TCP, 8080, 2, LI, false, 5, 6}},
	 {{0}},
	 2},
	{"dnat: the post-dnat leg read first is merged when the event comes",
	 {LP(0, C, 45000, BE, 8080, TCP, S), LP(1, BE, 8080, C, 45000, TCP, SA), DNAT(L_NEW, 2),
	  LP(3, C, 45000, BE, 8080, TCP, A), LP(4, C, 45000, VIP, 80, TCP, PA),
	  LP(5, C, 45000, BE, 8080, TCP, FA), LP(6, BE, 8080, C, 45000, TCP, FA), LEXP(10005),
	  LPEEK(10005), LEXP(10006)},
	 {{C, BE, TCP, 8080, 6, HS, true, 0, 6}},
	 {{C, BE, TCP, 8080, 6, HS, false, 0, 6}},
	 0},
	{"dnat: a leg peeked before its event keeps its id through the merge",
	 {LP(0, C, 45000, BE, 8080, TCP, S), LP(1, BE, 8080, C, 45000, TCP, SA), LPEEK(1),
	  DNAT(L_NEW, 2), LPEEK(2), LP(3, C, 45000, BE, 8080, TCP, A)},
	 {{C, BE, TCP, 8080, 3, HS, false, 0, 3}},
	 {{C, BE, TCP, 8080, 2, HS, false, 0, 1}, {C, BE, TCP, 8080, 2, HS, false, 0, 2}},
	 1},
	{"dnat tuple reused after a reset, the event first",
	 {DNAT(L_NEW, 0), LP(1, C, 45000, BE, 8080, TCP, S), LP(2, BE, 8080, C, 45000, TCP, SA),
	  LP(3, C, 45000, BE, 8080, TCP, RA), DNAT(L_NEW, 5), LP(6, C, 45000, BE, 8080, TCP, S),
	  LP(7, BE, 8080, C, 45000, TCP, SA)},
	 {{C, BE, TCP, 8080, 3, HS, true, 0, 3}, {C, BE, TCP, 8080, 2, HS, false, 5, 7}},
	 {{0}},
	 1},
	{"dnat tuple reused after a reset, the new syn first",
	 {DNAT(L_NEW, 0), LP(1, C, 45000, BE, 8080, TCP, S), LP(2, BE, 8080, C, 45000, TCP, SA),
	  LP(3, C, 45000, BE, 8080, TCP, RA), LP(5, C, 45000, BE, 8080, TCP, S), DNAT(L_NEW, 6),
	  LP(7, BE, 8080, C, 45000, TCP, SA)},
	 {{C, BE, TCP, 8080, 3, HS, true, 0, 3}, {C, BE, TCP, 8080, 2, HS, false, 5, 7}},
	 {{0}},
	 1},
	{"icmp echo through conntrack is one flow, port 0",
	 {CT(L_NEW, 0, C, 77, SV, 77, ICMP), LP(1, C, 77, SV, 77, ICMP, 8),
	  LP(2, SV, 77, C, 77, ICMP, 0)},
	 {{C, SV, ICMP, 0, 2, HS, false, 0, 2}},
	 {{0}},
	 1},
	{"icmp echo to a dnat address",
	 {CTNAT(L_NEW, 0, C, 77, VIP, 77, ICMP, BE, 77, C, 77), LP(1, C, 77, BE, 77, ICMP, 8),
	  LP(2, BE, 77, C, 77, ICMP, 0)},
	 {{C, BE, ICMP, 0, 2, HS, false, 0, 2}},
	 {{0}},
	 1},
	{"ipv6 dnat",
	 {CTNAT(L_NEW, 0, "fd99::2", 45000, "fd99::99", 80, TCP, "fd99::5", 8080, "fd99::2", 45000),
	  LP(1, "fd99::2", 45000, "fd99::5", 8080, TCP, S),
	  LP(2, "fd99::5", 8080, "fd99::2", 45000, TCP, SA),
	  LP(3, "fd99::2", 45000, "fd99::99", 80, TCP, A)},
	 {{"fd99::2", "fd99::5", TCP, 8080, 3, HS, false, 0, 3}},
	 {{0}},
	 1},
	{"snat and dnat: the post-nat leg is the reply tuple turned round",
	 {CTNAT(L_NEW, 0, C, 45000, VIP, 80, TCP, BE, 8080, "10.0.0.254", 61000),
	  LP(1, "10.0.0.254", 61000, BE, 8080, TCP, S),
	  LP(2, BE, 8080, "10.0.0.254", 61000, TCP, SA), LP(3, C, 45000, VIP, 80, TCP, A)},
	 {{C, BE, TCP, 8080, 3, HS, false, 0, 3}},
	 {{0}},
	 1},
	{"a refused syn: its events after the reset's flow was reported add no flow",
	 {LP(0, C, 45000, SV, 81, TCP, S), CT(L_NEW, 0, C, 45000, SV, 81, TCP),
	  LP(1, SV, 81, C, 45000, TCP, RA), LEXP(20000), CT(L_UPDATE, 20001, C, 45000, SV, 81, TCP),
	  CT(L_DESTROY, 30000, C, 45000, SV, 81, TCP), LEXP(60000)},
	 {{C, SV, TCP, 81, 2, HS, true, 0, 1}},
	 {{0}},
	 0},
	{"a refused syn: its NEW event after the reset",
	 {LP(0, C, 45000, SV, 81, TCP, S), LP(1, SV, 81, C, 45000, TCP, RA),
	  CT(L_NEW, 2, C, 45000, SV, 81, TCP), CT(L_UPDATE, 2, C, 45000, SV, 81, TCP)},
	 {{C, SV, TCP, 81, 2, HS, false, 0, 2}},
	 {{0}},
	 1},
	{"a refused syn: its events before its packets",
	 {CT(L_NEW, 0, C, 45000, SV, 81, TCP), CT(L_UPDATE, 1, C, 45000, SV, 81, TCP),
	  LP(2, C, 45000, SV, 81, TCP, S), LP(3, SV, 81, C, 45000, TCP, RA)},
	 {{C, SV, TCP, 81, 2, HS, false, 0, 3}},
	 {{0}},
	 1},
	{"a refused syn: NEW and DESTROY read before its packets, seen on two interfaces",
	 {CT(L_NEW, 2, C, 45000, SV, 81, TCP), CT(L_DESTROY, 2, C, 45000, SV, 81, TCP),
	  LP(0, C, 45000, SV, 81, TCP, S), LP(0, C, 45000, SV, 81, TCP, S),
	  LP(1, SV, 81, C, 45000, TCP, RA), LP(1, SV, 81, C, 45000, TCP, RA), LEXP(11000)},
	 {{C, SV, TCP, 81, 4, HS, true, 2, 2}},
	 {{0}},
	 0},
	{"a SYN after conntrack closed the flow is the tuple reused",
	 {CT(L_NEW, 0, C, 45000, SV, 81, TCP), CT(L_DESTROY, 1, C, 45000, SV, 81, TCP),
	  LP(2, C, 45000, SV, 81, TCP, S), LP(3, SV, 81, C, 45000, TCP, RA), LEXP(12000)},
	 {{C, SV, TCP, 81, 0, HS, true, 0, 1}, {C, SV, TCP, 81, 2, HS, true, 2, 3}},
	 {{0}},
	 0},
	{"a dump entry and an event for one connection are one flow",
	 {CT(L_NEW, 0, C, 45000, SV, 80, TCP), CT(L_NEW, 1, C, 45000, SV, 80, TCP)},
	 {{C, SV, TCP, 80, 0, HS, false, 0, 1}},
	 {{0}},
	 1},
	{"a DESTROY alone creates nothing",
	 {CT(L_DESTROY, 0, C, 45000, SV, 80, TCP), LPEEK(0)},
	 {{0}},
	 {{0}},
	 0},
	{"a DESTROY after the flow was reported creates nothing",
	 {CT(L_NEW, 0, C, 45000, SV, 80, TCP), LCONN(0, 45000, 80), LEXP(20000),
	  CT(L_DESTROY, 120000, C, 45000, SV, 80, TCP), LPEEK(120000)},
	 {{C, SV, TCP, 80, 8, HS, true, 0, 7}},
	 {{0}},
	 0},
	{"a late NEW attaches to the pcap flow it closed already",
	 {LCONN(0, 45000, 80), CT(L_NEW, 8, C, 45000, SV, 80, TCP)},
	 {{C, SV, TCP, 80, 8, HS, false, 0, 8}},
	 {{0}},
	 1},
	{"an alias goes with its flow: later packets of that tuple are a flow of their own",
	 {DNAT(L_NEW, 0), DNAT(L_DESTROY, 1), LEXP(11001), LP(12000, BE, 8080, C, 45000, TCP, PA),
	  LP(12001, C, 45000, BE, 8080, TCP, A)},
	 {{C, BE, TCP, 8080, 0, HS, true, 0, 1}, {C, BE, TCP, 8080, 2, PO, false, 12000, 12001}},
	 {{0}},
	 1},
	/* Under ASan a cache entry left behind for the alias tuple faults here. */
	{"post-dnat packets, the flow ends, then that tuple again",
	 {DNAT(L_NEW, 0), LP(1, C, 45000, BE, 8080, TCP, PA), LP(2, BE, 8080, C, 45000, TCP, A),
	  DNAT(L_DESTROY, 3), LEXP(10003), LP(12000, BE, 8080, C, 45000, TCP, PA),
	  LP(12001, C, 45000, BE, 8080, TCP, A)},
	 {{C, BE, TCP, 8080, 2, HS, true, 0, 3}, {C, BE, TCP, 8080, 2, PO, false, 12000, 12001}},
	 {{0}},
	 1},
	{"the same over ipv6",
	 {CTNAT(L_NEW, 0, "fd99::2", 45000, "fd99::99", 80, TCP, "fd99::5", 8080, "fd99::2", 45000),
	  LP(1, "fd99::2", 45000, "fd99::5", 8080, TCP, PA),
	  LP(2, "fd99::5", 8080, "fd99::2", 45000, TCP, A),
	  CTNAT(L_DESTROY, 3, "fd99::2", 45000, "fd99::99", 80, TCP, "fd99::5", 8080, "fd99::2",
		45000),
	  LEXP(10003), LP(12000, "fd99::5", 8080, "fd99::2", 45000, TCP, PA),
	  LP(12001, "fd99::2", 45000, "fd99::5", 8080, TCP, A)},
	 {{"fd99::2", "fd99::5", TCP, 8080, 2, HS, true, 0, 3},
	  {"fd99::2", "fd99::5", TCP, 8080, 2, PO, false, 12000, 12001}},
	 {{0}},
	 1},
	/* a DNS close made before conntrack knew the flow is no conntrack close */
	{"dns answered before its late NEW: later queries stay one conntrack flow",
	 {LP(0, C, 53000, SV, 53, UDP, 0), LP(1, SV, 53, C, 53000, UDP, 0),
	  CT(L_NEW, 2, C, 53000, SV, 53, UDP), LP(8000, C, 53000, SV, 53, UDP, 0),
	  LP(8001, SV, 53, C, 53000, UDP, 0), LP(16000, C, 53000, SV, 53, UDP, 0),
	  LP(16001, SV, 53, C, 53000, UDP, 0), CT(L_DESTROY, 30000, C, 53000, SV, 53, UDP),
	  LEXP(39999)},
	 {{C, SV, UDP, 53, 6, HS, false, 0, 30000}},
	 {{0}},
	 1},
	{"dns answered before its NEW, then a dump entry: still one flow",
	 {LP(0, C, 53000, SV, 53, UDP, 0), LP(1, SV, 53, C, 53000, UDP, 0),
	  CT(L_NEW, 2, C, 53000, SV, 53, UDP), CT(L_NEW, 3, C, 53000, SV, 53, UDP)},
	 {{C, SV, UDP, 53, 2, HS, false, 0, 3}},
	 {{0}},
	 1},
	{"dnat dns, the post-dnat leg answered before the NEW: its close is not merged",
	 {LP(0, C, 53000, BE, 53, UDP, 0), LP(1, BE, 53, C, 53000, UDP, 0),
	  CTNAT(L_NEW, 2, C, 53000, VIP, 53, UDP, BE, 53, C, 53000),
	  LP(8000, C, 53000, BE, 53, UDP, 0), LP(8001, BE, 53, C, 53000, UDP, 0),
	  LP(16000, C, 53000, BE, 53, UDP, 0), LP(16001, BE, 53, C, 53000, UDP, 0)},
	 {{C, BE, UDP, 53, 6, HS, false, 0, 16001}},
	 {{0}},
	 1},
	{"wall-clock expiry: idle udp at 120 s, idle tcp at 300 s",
	 {LP(0, C, 53000, SV, 53, UDP, 0), LP(0, C, 45000, SV, 443, TCP, PA), LEXP(119999),
	  LPEEK(119999), LEXP(120000), LEXP(299999), LPEEK(299999), LEXP(300000)},
	 {{C, SV, UDP, 53, 1, PO, true, 0, 0}, {C, SV, TCP, 443, 1, PO, true, 0, 0}},
	 {{C, SV, UDP, 53, 1, PO, false, 0, 0},
	  {C, SV, TCP, 443, 1, PO, false, 0, 0},
	  {C, SV, TCP, 443, 1, PO, false, 0, 0}},
	 0},
	{"peek describes open flows as they stand; the end reports them once",
	 {LP(0, C, 45000, SV, 80, TCP, S), LP(1, SV, 80, C, 45000, TCP, SA), LPEEK(1),
	  LP(2, C, 45000, SV, 80, TCP, A)},
	 {{C, SV, TCP, 80, 3, HS, false, 0, 2}},
	 {{C, SV, TCP, 80, 2, HS, false, 0, 1}},
	 1},
	{"peek of a dnat flow names the backend",
	 {DNAT(L_NEW, 0), LPEEK(0)},
	 {{C, BE, TCP, 8080, 0, HS, false, 0, 0}},
	 {{C, BE, TCP, 8080, 0, HS, false, 0, 0}},
	 1},
	{"a flow conntrack opened itself is not merged as another's leg",
	 {CT(L_NEW, 0, C, 45000, BE, 8080, TCP), DNAT(L_NEW, 1), LP(2, C, 45000, BE, 8080, TCP, A)},
	 {{C, BE, TCP, 8080, 1, HS, false, 0, 2}, {C, BE, TCP, 8080, 0, HS, false, 1, 1}},
	 {{0}},
	 2},
	{"events that make no flow: another protocol, icmpv6 over ipv4",
	 {CT(L_NEW, 0, C, 1, SV, 1, 47), CT(L_NEW, 0, C, 5, SV, 5, ICMP6)},
	 {{0}},
	 {{0}},
	 0},
	{"a reply tuple of another family is ignored: the server is the original destination",
	 {CTNAT(L_NEW, 0, C, 45000, VIP, 80, TCP, "fd99::5", 8080, "fd99::2", 45000)},
	 {{C, VIP, TCP, 80, 0, HS, false, 0, 0}},
	 {{0}},
	 1},
};

static void lstep_event(const struct lstep *st, struct capture_ct_event *ret)
{
	*ret = (struct capture_ct_event){
		.destroy = st->kind == L_DESTROY,
		.update = st->kind == L_UPDATE,
		.replied = st->kind == L_UPDATE,
		.proto = st->p.proto,
		.orig_sport = st->p.sport,
		.orig_dport = st->p.dport,
		.reply_sport = st->rsrc ? st->rsport : st->p.dport,
		.reply_dport = st->rdst ? st->rdport : st->p.sport,
	};
	ck_assert_int_eq(util_addr_parse(st->p.src, &ret->orig_src), 0);
	ck_assert_int_eq(util_addr_parse(st->p.dst, &ret->orig_dst), 0);
	ck_assert_int_eq(util_addr_parse(st->rsrc ? st->rsrc : st->p.dst, &ret->reply_src), 0);
	ck_assert_int_eq(util_addr_parse(st->rdst ? st->rdst : st->p.src, &ret->reply_dst), 0);
}

/* Every wanted flow is among got, each matched once, and nothing else is. */
static void live_expect(const char *name, const char *what, const struct tflow *want, size_t max,
			const struct collected *got, bool compare_early)
{
	bool used[UTIL_ARRAY_SIZE(got->flows)] = {false};
	size_t n_want = 0;

	while (n_want < max && want[n_want].client)
		n_want++;
	if (got->n != n_want) {
		for (size_t j = 0; j < got->n; j++)
			flow_print(&got->flows[j], got->early[j]);
		ck_abort_msg("%s: %zu flows %s, want %zu", name, got->n, what, n_want);
	}
	for (size_t i = 0; i < n_want; i++) {
		bool found = false;

		for (size_t j = 0; j < got->n && !found; j++) {
			bool early = compare_early ? got->early[j] : want[i].early;

			if (!used[j] && flow_matches(&want[i], &got->flows[j], early))
				used[j] = found = true;
		}
		if (!found) {
			for (size_t j = 0; j < got->n; j++)
				flow_print(&got->flows[j], got->early[j]);
			ck_abort_msg("%s: flow %zu (%s -> %s port %u) not %s", name, i,
				     want[i].client, want[i].server, want[i].port, what);
		}
	}
}

/* Runs one case with the tracker's caches on or off: the answers must not differ. */
static void live_run(const struct live_case *lc, bool fast)
{
	struct collected got = {0}, peeked = {0};
	struct capture_tracker *t = capture_tracker_new(collect, &got);

	if (!fast)
		capture_tracker_set_fast_path(t, false);
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(lc->steps); i++) {
		const struct lstep *st = &lc->steps[i];
		uint64_t ts = BASE_NS + st->p.ms * 1000000ULL;
		struct capture_ct_event ev;
		struct capture_packet p;

		if (st->kind == L_PKT && !st->p.src)
			break;
		switch (st->kind) {
		case L_PKT:
			tpkt_packet(&st->p, &p);
			capture_tracker_add(t, &p, ts);
			break;
		case L_NEW:
		case L_DESTROY:
		case L_UPDATE:
			lstep_event(st, &ev);
			capture_tracker_add_ct(t, &ev, ts);
			break;
		case L_EXPIRE:
			capture_tracker_expire(t, ts);
			break;
		case L_PEEK:
			capture_tracker_peek(t, collect, &peeked);
			break;
		}
	}
	ck_assert_msg(capture_tracker_open_flows(t) == lc->open, "%s: %zu open, want %zu", lc->name,
		      capture_tracker_open_flows(t), lc->open);
	got.flushing = true;
	capture_tracker_flush(t);
	ck_assert_uint_eq(capture_tracker_open_flows(t), 0);
	capture_tracker_free(t);
	live_expect(lc->name, "reported", lc->flows, UTIL_ARRAY_SIZE(lc->flows), &got, true);
	live_expect(lc->name, "peeked", lc->peeked, UTIL_ARRAY_SIZE(lc->peeked), &peeked, false);
	/* ids: one per connection, and what a peek named is what the end reports (check) */
	for (size_t i = 0; i < got.n; i++) {
		ck_assert_msg(got.flows[i].id != 0, "%s: flow %zu has no id", lc->name, i);
		for (size_t j = 0; j < i; j++)
			ck_assert_msg(got.flows[i].id != got.flows[j].id,
				      "%s: flows %zu and %zu share id", lc->name, j, i);
	}
	for (size_t i = 0; i < peeked.n; i++) {
		bool reported = false;

		for (size_t j = 0; j < got.n; j++)
			reported |= peeked.flows[i].id == got.flows[j].id;
		ck_assert_msg(reported, "%s: peeked flow %zu (id %" PRIu64 ") is never reported",
			      lc->name, i, peeked.flows[i].id);
	}
}

START_TEST(test_tracker_live)
{
	live_run(&live_cases[_i], true);
}
END_TEST

START_TEST(test_tracker_live_slow)
{
	live_run(&live_cases[_i], false);
}
END_TEST

/* What conntrack and packets together make of an unserved TCP connection: one flow, this outcome.
 */
static const struct {
	const char *name;
	struct lstep steps[8];
	enum capture_outcome want;
} ct_outcome_cases[] = {
	{"a SYN refused with a RST, its events read first",
	 {CT(L_NEW, 2, C, 45000, SV, 81, TCP), CT(L_DESTROY, 2, C, 45000, SV, 81, TCP),
	  LP(0, C, 45000, SV, 81, TCP, S), LP(1, SV, 81, C, 45000, TCP, RA)},
	 CAPTURE_REFUSED},
	{"a SYN refused with a RST, its packets read first",
	 {LP(0, C, 45000, SV, 81, TCP, S), LP(1, SV, 81, C, 45000, TCP, RA),
	  CT(L_NEW, 2, C, 45000, SV, 81, TCP), CT(L_DESTROY, 2, C, 45000, SV, 81, TCP)},
	 CAPTURE_REFUSED},
	{"a SYN nobody answers",
	 {CT(L_NEW, 1, C, 45000, SV, 81, TCP), LP(0, C, 45000, SV, 81, TCP, S)},
	 CAPTURE_UNANSWERED},
	{"conntrack alone cannot tell a RST from silence",
	 {CT(L_NEW, 1, C, 45000, SV, 81, TCP), CT(L_DESTROY, 1, C, 45000, SV, 81, TCP)},
	 CAPTURE_UNANSWERED},
	{"conntrack saw a reply it never assured",
	 {CT(L_NEW, 1, C, 45000, SV, 81, TCP), CT(L_UPDATE, 2, C, 45000, SV, 81, TCP)},
	 CAPTURE_REFUSED},
};

START_TEST(test_tracker_ct_outcome)
{
	struct outcome_got got = {0};
	struct capture_tracker *t = capture_tracker_new(outcome_collect, &got);

	for (size_t i = 0; i < UTIL_ARRAY_SIZE(ct_outcome_cases[_i].steps); i++) {
		const struct lstep *st = &ct_outcome_cases[_i].steps[i];
		uint64_t ts = BASE_NS + st->p.ms * 1000000ULL;
		struct capture_ct_event ev;
		struct capture_packet p;

		if (st->kind == L_PKT && !st->p.src)
			break;
		if (st->kind == L_PKT) {
			tpkt_packet(&st->p, &p);
			capture_tracker_add(t, &p, ts);
		} else {
			lstep_event(st, &ev);
			capture_tracker_add_ct(t, &ev, ts);
		}
	}
	capture_tracker_flush(t);
	capture_tracker_free(t);
	ck_assert_msg(got.n == 1, "%s: %zu flows, want 1", ct_outcome_cases[_i].name, got.n);
	ck_assert_msg(got.v[0] == ct_outcome_cases[_i].want, "%s: outcome %d, want %d",
		      ct_outcome_cases[_i].name, got.v[0], ct_outcome_cases[_i].want);
}
END_TEST

static Suite *tracker_suite(void)
{
	Suite *s = suite_create("tracker");
	TCase *tc;

	tc = tcase_create("tracker");
	tcase_add_loop_test(tc, test_tracker, 0, UTIL_ARRAY_SIZE(tracker_cases));
	tcase_add_loop_test(tc, test_tracker_fast_path_cases, 0, UTIL_ARRAY_SIZE(tracker_cases));
	tcase_add_loop_test(tc, test_tracker_fast_path_scripts, 0, UTIL_ARRAY_SIZE(diff_scripts));
	tcase_add_test(tc, test_tracker_reset_batches);
	tcase_add_loop_test(tc, test_tracker_fast_path_random, 0,
			    UTIL_ARRAY_SIZE(tracker_diff_cases));
	tcase_add_loop_test(tc, test_tracker_outcome, 0, 2 * UTIL_ARRAY_SIZE(outcome_cases));
	tcase_add_test(tc, test_tracker_evict);
	tcase_add_test(tc, test_tracker_dns_many_queries);
	suite_add_tcase(s, tc);

	tc = tcase_create("tracker-live");
	tcase_add_loop_test(tc, test_tracker_live, 0, UTIL_ARRAY_SIZE(live_cases));
	tcase_add_loop_test(tc, test_tracker_live_slow, 0, UTIL_ARRAY_SIZE(live_cases));
	tcase_add_loop_test(tc, test_tracker_ct_outcome, 0, UTIL_ARRAY_SIZE(ct_outcome_cases));
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_run(tracker_suite());
}
