/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz-decode-diff.c - the decoder's fast path against its general path, on the same bytes. */
#include <stdlib.h>
#include <string.h>

#include "capture/capture-private.h"
#include "fuzz/fuzz.h"

/*
 * capture_decode() takes the common packet (IPv4 without options carrying TCP or UDP, under
 * Ethernet, Linux cooked and raw IP links) through decode_ipv4_fast(); capture_decode_general()
 * never does. For any bytes under any supported link type (the first two bytes choose, as in
 * fuzz-decode.c), both must
 * give the same verdict, the same packet to the last byte when it is OK, and leave the packet
 * untouched when it is not.
 */
#define MAX_DLT 1024

static int dlts[MAX_DLT];
static size_t n_dlts;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct capture_tunnels tunnels; /* the defaults: tunnels opened on both paths */
	struct capture_packet fast, general, untouched_fast, untouched_general;
	enum capture_decode_result rf, rg;
	uint8_t *copy;
	size_t len;
	int dlt;

	if (!n_dlts)
		for (int d = 0; d < MAX_DLT; d++)
			if (capture_linktype_supported(d))
				dlts[n_dlts++] = d;
	if (size < 2 || !n_dlts)
		return 0;
	dlt = data[0] << 8 | data[1];
	if (!capture_linktype_supported(dlt))
		dlt = dlts[(size_t)dlt % n_dlts];
	len = size - 2;
	copy = malloc(len ? len : 1);
	if (!copy)
		abort();
	memcpy(copy, data + 2, len);
	/* different fillings: a byte either path leaves unwritten shows as a difference */
	memset(&fast, 0xa5, sizeof(fast));
	memset(&general, 0x5a, sizeof(general));
	untouched_fast = fast;
	untouched_general = general;
	if (!tunnels.n_ports)
		capture_tunnels_default(&tunnels);
	rf = capture_decode(dlt, copy, len, &tunnels, &fast);
	rg = capture_decode_general(dlt, copy, len, &tunnels, &general);
	free(copy);
	if (rf != rg)
		fuzz_fail("dlt %d, %zu bytes: verdict %d with the fast path, %d without", dlt, len,
			  rf, rg);
	if (rf == CAPTURE_DECODE_OK && memcmp(&fast, &general, sizeof(fast)) != 0)
		fuzz_fail("dlt %d, %zu bytes: the two paths decode different packets", dlt, len);
	if (rf != CAPTURE_DECODE_OK && (memcmp(&fast, &untouched_fast, sizeof(fast)) != 0 ||
					memcmp(&general, &untouched_general, sizeof(general)) != 0))
		fuzz_fail("dlt %d, %zu bytes: verdict %d, and the packet was written", dlt, len,
			  rf);
	return 0;
}
