/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz-inventory.c - inventory files through inventory_load(), as `learn --inventory`
 * reads them, then every address they claim resolved. Built twice, fuzz-inventory-k8s and
 * fuzz-inventory-docker: one entry point detects the format, each corpus keeps to one.
 */
#include <netinet/in.h>
#include <stdint.h>

#include "fuzz/fuzz.h"
#include "inventory/inventory.h"

#define MAX_ADDRS 8

static void quiet(void *userdata, const char *msg)
{
	(void)userdata;
	(void)msg;
}

static void resolve_all(struct inventory *inv)
{
	struct graph *g = graph_new();

	inventory_note_running(inv, g, 0, UINT64_MAX);
	for (size_t i = 0; i < inventory_workload_count(inv); i++) {
		const struct graph_workload *w = inventory_workload(inv, i);
		struct util_addr addrs[MAX_ADDRS];
		size_t n = inventory_addresses(inv, graph_workload_id(w), addrs, MAX_ADDRS);

		for (size_t j = 0; j < n && j < MAX_ADDRS; j++) {
			struct inventory_endpoint eps[4];

			(void)inventory_resolve_client(inv, &addrs[j]);
			(void)inventory_resolve_server(inv, &addrs[j], IPPROTO_TCP, 80, eps, 4);
			(void)inventory_resolve_server(inv, &addrs[j], IPPROTO_UDP, 53, eps, 4);
		}
	}
	graph_free(g);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct inventory *inv = inventory_new();
	struct util_err err;

	inventory_set_warn(inv, quiet, NULL);
	if (inventory_load(inv, fuzz_file(data, size), &err) == 0)
		resolve_all(inv);
	inventory_free(inv);
	return 0;
}
