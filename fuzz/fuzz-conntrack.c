/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz-conntrack.c - conntrack netlink messages as libnl hands them over: each datagram's
 * messages nlmsg_convert()ed and parsed by the handler the live sockets use (nfnlmsg_ct_parse(),
 * then the events fed to the tracker), as events, dumps and resync dumps.
 */
#include <stdlib.h>
#include <string.h>

#include "capture/capture-private.h"
#include "fuzz/fuzz.h"

/*
 * The input: datagrams, each [flags: 1 byte][length: 2 bytes, big endian][bytes]; flags bit 0:
 * from a dump, bit 1: a resync dump. The last may be cut short.
 */
static void check_flow(const struct capture_flow *f, void *userdata)
{
	(void)userdata;
	if (f->client.family != f->server.family)
		fuzz_fail("flow between address families %u and %u", f->client.family,
			  f->server.family);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct capture_tracker *t;
	struct capture_conntrack *ct;
	size_t off = 0;

	if (!t)
		t = capture_tracker_new(check_flow, NULL);
	ct = capture_conntrack_new_detached(t);

	while (off + 3 <= size) {
		uint8_t flags = data[off];
		size_t len = (size_t)data[off + 1] << 8 | data[off + 2];
		void *dgram;

		off += 3;
		if (len > size - off)
			len = size - off;
		/* the kernel's datagrams are aligned, and exactly as long as they say */
		dgram = malloc(len ? len : 1);
		if (!dgram)
			abort();
		memcpy(dgram, data + off, len);
		off += len;
		capture_conntrack_feed(ct, dgram, len, flags & 1, flags & 2);
		free(dgram);
	}
	capture_conntrack_free(ct);
	capture_tracker_flush(t);
	capture_tracker_reset(t);
	return 0;
}
