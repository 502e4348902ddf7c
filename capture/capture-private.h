/* SPDX-License-Identifier: Apache-2.0 */
/*
 * capture-private.h - what capture/'s files share (the per-record decoder that files and live
 * capture both run) and the hooks its tests and fuzz harnesses use; nothing outside capture/,
 * tests/ and fuzz/ includes it. It is the one header that needs libpcap's.
 */
#pragma once

#include <pcap/pcap.h>

#include "capture/capture.h"

/* ---- Reading records (shared by files and live capture) ----------------------------------- */

struct capture_stats;

/* Verdicts counted per batch of records, indexed by enum capture_decode_result. */
#define CAPTURE_DECODE_KINDS (CAPTURE_DECODE_MALFORMED + 1)

/*
 * Decodes one record as libpcap handed it over and counts its verdict in counts; true (with
 * ret and ret_ts set) when it decoded. nano: the handle gives nanosecond timestamps. Inline:
 * it runs for every packet, and a call more costs ~4% of a whole run.
 */
static inline bool capture_record_decode(int dlt, bool nano, const struct pcap_pkthdr *h,
					 const uint8_t *bytes, const struct capture_tunnels *tun,
					 uint64_t counts[static CAPTURE_DECODE_KINDS],
					 struct capture_packet *ret, uint64_t *ret_ts)
{
	enum capture_decode_result r = capture_decode(dlt, bytes, h->caplen, tun, ret);

	/* Bad input must not index out of counts, whatever a future decoder returns. */
	if ((unsigned)r < CAPTURE_DECODE_KINDS)
		counts[r]++;
	if (r != CAPTURE_DECODE_OK)
		return false;
	*ret_ts = h->ts.tv_sec < 0 ? 0
				   : (uint64_t)h->ts.tv_sec * UTIL_NSEC_PER_SEC +
					     (uint64_t)h->ts.tv_usec * (nano ? 1 : 1000);
	return true;
}
/* Adds a batch's verdict counts to stats; returns how many records the batch had. */
uint64_t capture_stats_add(struct capture_stats *stats,
			   const uint64_t counts[static CAPTURE_DECODE_KINDS]);

/* ---- Test hooks ----------------------------------------------------------------------------- */

/* false sends every packet the slow way, past the tracker's caches (tests/test-tracker.c). */
void capture_tracker_set_fast_path(struct capture_tracker *t, bool on);

/* The live capture's Ethernet filter text, allocated: for tests of what it keeps. */
char *capture_live_filter(void);

/*
 * capture_decode() without its fast path: the general decoder alone, for every link type. The
 * two must agree on every input (fuzz/fuzz-decode-diff.c).
 */
enum capture_decode_result capture_decode_general(int dlt, const uint8_t *bytes, size_t caplen,
						  const struct capture_tunnels *tun,
						  struct capture_packet *ret);

/*
 * A conntrack reader without sockets, feeding t. capture_conntrack_feed() hands it one datagram
 * as the kernel sends it: every message in it goes, converted as libnl's receive loop converts
 * it, to the handler the live sockets call. dump: the datagram is one read of a table dump;
 * resync: of a dump made after an overrun, whose end closes what it did not list.
 */
struct capture_conntrack *capture_conntrack_new_detached(struct capture_tracker *t);
void capture_conntrack_feed(struct capture_conntrack *ct, const void *buf, size_t len, bool dump,
			    bool resync);

/* Runs the tracker's idle function, if it has one: the file's feeder has nothing to feed. */
void capture_tracker_idle(struct capture_tracker *t);

/*
 * As capture_tracker_free() then capture_tracker_new() with the same callback (and the same
 * batch and idle functions), keeping the tracker's own memory: a harness starts each input afresh
 * without ~300 KiB of page faults.
 */
void capture_tracker_reset(struct capture_tracker *t);
