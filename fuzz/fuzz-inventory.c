/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz-inventory.c - inventory files through learn_inventory_load(), as `learn --inventory`
 * reads them, then every address they claim resolved. Built twice, fuzz-inventory-k8s and
 * fuzz-inventory-docker: one entry point detects the format, each corpus keeps to one.
 */
#include <netinet/in.h>
#include <stdint.h>

#include "fuzz/fuzz.h"
#include "learn/learn.h"

#define MAX_ADDRS 8

static void quiet(void *userdata, const char *msg)
{
	(void)userdata;
	(void)msg;
}

static void resolve_all(struct learn_inventory *inv)
{
	struct learn_graph *g = learn_graph_new();

	learn_inventory_note_running(inv, g, 0, UINT64_MAX);
	for (size_t i = 0; i < learn_inventory_workload_count(inv); i++) {
		const struct learn_workload *w = learn_inventory_workload(inv, i);
		struct util_addr addrs[MAX_ADDRS];
		size_t n = learn_inventory_addresses(inv, learn_workload_id(w), addrs, MAX_ADDRS);

		for (size_t j = 0; j < n && j < MAX_ADDRS; j++) {
			struct learn_endpoint eps[4];

			(void)learn_inventory_resolve_client(inv, &addrs[j]);
			(void)learn_inventory_resolve_server(inv, &addrs[j], IPPROTO_TCP, 80, eps,
							     4);
			(void)learn_inventory_resolve_server(inv, &addrs[j], IPPROTO_UDP, 53, eps,
							     4);
		}
	}
	learn_graph_free(g);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct learn_inventory *inv = learn_inventory_new();
	struct util_err err;

	learn_inventory_set_warn(inv, quiet, NULL);
	if (learn_inventory_load(inv, fuzz_file(data, size), &err) == 0)
		resolve_all(inv);
	learn_inventory_free(inv);
	return 0;
}
