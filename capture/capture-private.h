/* SPDX-License-Identifier: Apache-2.0 */
/* capture-private.h - hooks into capture/ for its tests and fuzz harnesses; nothing else uses them.
 */
#pragma once

#include "capture/capture.h"

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

/*
 * As capture_tracker_free() then capture_tracker_new() with the same callback, keeping the
 * tracker's own memory: a harness starts each input afresh without ~300 KiB of page faults.
 */
void capture_tracker_reset(struct capture_tracker *t);
