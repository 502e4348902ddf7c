/* SPDX-License-Identifier: Apache-2.0 */
/* test-capture-helpers.h - what the tracker and capture file tests share: expected flows. */
#pragma once

#include <netinet/in.h>

#include "capture/capture-private.h"
#include "tests/test-helpers.h"

/* Short names for the tables of cases. */
#define TCP   IPPROTO_TCP
#define UDP   IPPROTO_UDP
#define SCTP  IPPROTO_SCTP
#define ICMP  IPPROTO_ICMP
#define ICMP6 IPPROTO_ICMPV6
#define HS    CAPTURE_HOW_HANDSHAKE
#define LI    CAPTURE_HOW_LISTENER
#define PO    CAPTURE_HOW_PORTS
#define FI    CAPTURE_HOW_FIRST

/* A flow a case expects to be reported. */
struct tflow {
	const char *client, *server;
	uint8_t proto;
	uint16_t port;
	uint64_t packets;
	enum capture_how how;
	bool early; /* reported before capture_tracker_flush() */
	uint32_t first_ms, last_ms;
};

/* The flows a tracker reported, through collect() as its callback. */
struct collected {
	struct capture_flow flows[8];
	bool early[8];
	size_t n;
	bool flushing; /* set before capture_tracker_flush(): what comes then is not early */
};

static inline void collect(const struct capture_flow *flow, void *userdata)
{
	struct collected *c = userdata;

	ck_assert_uint_lt(c->n, UTIL_ARRAY_SIZE(c->flows));
	c->early[c->n] = !c->flushing;
	c->flows[c->n++] = *flow;
}
