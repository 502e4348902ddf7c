/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz-decode.c - the packet decoder over every supported link type, its packets into a tracker. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "capture/capture-private.h"
#include "fuzz/fuzz.h"

/*
 * The input: the link type (2 bytes, big endian: a DLT value the decoder supports, or any other
 * number, which picks one of those capture_linktype_supported() accepts, so the harness follows
 * whatever the decoder learns), a byte of options (bit 0 one-way, bits 1-3 a small flow table,
 * bit 4 no tunnels opened, else the default ports and IP-in-IP/GRE), then packets,
 * each as [length: 2 bytes, big endian][gap: 1 byte][bytes]. The last may be cut short. Every
 * packet that decodes goes to one tracker, gap^2 * 10 ms after the one before, so flows open,
 * close, idle out and get evicted.
 */
#define MAX_DLT 1024

static int dlts[MAX_DLT];
static size_t n_dlts;

static void check_flow(const struct capture_flow *f, void *userdata)
{
	(void)userdata;
	if (f->first_ns > f->last_ns)
		fuzz_fail("flow first seen at %llu, after its last packet at %llu",
			  (unsigned long long)f->first_ns, (unsigned long long)f->last_ns);
	if (f->client.family != f->server.family)
		fuzz_fail("flow between address families %u and %u", f->client.family,
			  f->server.family);
	if (f->packets == 0)
		fuzz_fail("flow of no packet");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct capture_tracker *t;
	static struct capture_tunnels tunnels, none;
	const struct capture_tunnels *tun;
	uint64_t ts = 1000000000ULL;
	size_t off = 3;
	int dlt;

	if (!n_dlts)
		for (int d = 0; d < MAX_DLT; d++)
			if (capture_linktype_supported(d))
				dlts[n_dlts++] = d;
	if (size < 3 || !n_dlts)
		return 0;
	dlt = data[0] << 8 | data[1];
	if (!capture_linktype_supported(dlt))
		dlt = dlts[(size_t)dlt % n_dlts];
	if (!t) {
		t = capture_tracker_new(check_flow, NULL);
		capture_tunnels_default(&tunnels);
	}
	tun = data[2] & 0x10 ? &none : &tunnels;
	capture_tracker_set_one_way(t, data[2] & 1);
	/* a small table: a new flow must then end the oldest unanswered one */
	if (data[2] & 0xe)
		capture_tracker_set_max_flows(t, (data[2] >> 1) & 7);
	while (off + 3 <= size) {
		size_t len = (size_t)data[off] << 8 | data[off + 1];
		unsigned gap = data[off + 2];
		struct capture_packet p;
		uint8_t *copy;

		off += 3;
		if (len > size - off)
			len = size - off;
		/* a buffer of exactly the packet's size, so ASan sees a read one byte past it */
		copy = malloc(len ? len : 1);
		if (!copy)
			abort();
		memcpy(copy, data + off, len);
		off += len;
		ts += (uint64_t)gap * gap * 10000000ULL;
		if (capture_decode(dlt, copy, len, tun, &p) == CAPTURE_DECODE_OK)
			capture_tracker_add(t, &p, ts);
		free(copy);
	}
	capture_tracker_flush(t);
	capture_tracker_reset(t);
	return 0;
}
