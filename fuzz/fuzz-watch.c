/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz-watch.c - a watch stream (what `kubectl get --watch --output-watch-events -o json`
 * writes, or anything a hostile writer sends instead) read by inventory_watch() to its end
 * and applied in two rounds at two times, then every address it claimed resolved at both.
 */
#include <netinet/in.h>
#include <stdint.h>

#include "fuzz/fuzz.h"
#include "inventory/inventory.h"

#define MAX_ADDRS 8
#define T1	  (1764720000ull * 1000000000ull)
#define T2	  (T1 + 3600ull * 1000000000ull)

static void quiet(void *userdata, const char *msg)
{
	(void)userdata;
	(void)msg;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct inventory *inv = inventory_new();
	struct util_err err;

	inventory_set_warn(inv, quiet, NULL);
	if (inventory_watch(inv, fuzz_file(data, size), quiet, NULL, &err) == 0) {
		/* the whole file read, each object applied when it came; then an hour later */
		(void)inventory_watch_settle(inv, 0, 60000);
		(void)inventory_watch_dispatch(inv, T2);
		for (size_t i = 0; i < inventory_workload_count(inv); i++) {
			const struct graph_workload *w = inventory_workload(inv, i);
			struct util_addr addrs[MAX_ADDRS];
			size_t n = inventory_addresses(inv, graph_workload_id(w), addrs, MAX_ADDRS);

			for (size_t j = 0; j < n && j < MAX_ADDRS; j++) {
				struct inventory_endpoint eps[4];

				(void)inventory_resolve_client_at(inv, &addrs[j], T1);
				(void)inventory_resolve_client_at(inv, &addrs[j], T2);
				(void)inventory_resolve_server_at(inv, &addrs[j], IPPROTO_TCP, 80,
								  T1, eps, 4);
			}
		}
	}
	inventory_free(inv);
	return 0;
}
