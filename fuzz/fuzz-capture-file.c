/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz-capture-file.c - pcap and pcapng files through capture_file_read(), as `learn -r` reads
 * them. */
#include "capture/capture-private.h"
#include "fuzz/fuzz.h"

static void check_flow(const struct capture_flow *f, void *userdata)
{
	(void)userdata;
	if (f->client.family != f->server.family)
		fuzz_fail("flow between address families %u and %u", f->client.family,
			  f->server.family);
}

/* As learn has them: the flows a scan or the end of the file ends come in batches. */
static void check_flows(const struct capture_flow *flows, size_t n, void *userdata)
{
	if (n == 0 || n > CAPTURE_FLOW_BATCH)
		fuzz_fail("a batch of %zu flows", n);
	for (size_t i = 0; i < n; i++)
		check_flow(&flows[i], userdata);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct capture_tracker *t;
	static struct capture_tunnels tunnels;
	struct capture_stats st = {0};
	struct util_err err;

	if (!t) {
		t = capture_tracker_new(check_flow, NULL);
		capture_tracker_set_batch_fn(t, check_flows);
		capture_tunnels_default(&tunnels);
	}

	(void)capture_file_read(t, fuzz_file(data, size), &tunnels, &st, &err);
	capture_tracker_flush(t);
	capture_tracker_reset(t);
	if (st.packets !=
	    st.decoded + st.truncated + st.not_ip + st.fragments + st.unsupported + st.malformed)
		fuzz_fail("%llu packets read, verdicts for a different number",
			  (unsigned long long)st.packets);
	if (st.first_ns > st.last_ns)
		fuzz_fail("first packet after the last");
	return 0;
}
