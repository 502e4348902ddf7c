/* SPDX-License-Identifier: Apache-2.0 */
/* bench-inventory.c - times reading inventory files, inside one process. */
#include "inventory/inventory.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

/*
 * Usage: bench-inventory FILE...   inventory_load() of each FILE into one inventory, timed in
 *                                  total: reading, keeping and indexing, without the process's
 *                                  start, the capture or the state that learn adds around it.
 *                                  A FIFO is read as the agent reads one, as a watch stream,
 *                                  until every stream has listed what it holds (quiet for 0.5 s)
 * Prints one line of key=value: load_s, files, workloads, maxrss_kib. Exit 2 when a file does
 * not load. With streams, load_s includes the half second of quiet.
 */

static double now(void)
{
	return (double)util_now_ns(CLOCK_MONOTONIC) / (double)UTIL_NSEC_PER_SEC;
}

int main(int argc, char **argv)
{
	struct util_err err = {{0}};
	struct inventory *inv;
	struct rusage ru;
	bool streams = false;
	double t0, t;

	if (argc < 2 || argv[1][0] == '-') {
		fprintf(stderr, "usage: bench-inventory FILE...\n");
		return 2;
	}
	inv = inventory_new();
	t0 = now();
	for (int i = 1; i < argc; i++) {
		if (inventory_is_stream(argv[i])) {
			if (inventory_watch(inv, argv[i], NULL, NULL, &err) < 0) {
				fprintf(stderr, "bench-inventory: %s\n", err.msg);
				inventory_free(inv);
				return 2;
			}
			streams = true;
			continue;
		}
		if (inventory_load(inv, argv[i], &err) < 0) {
			fprintf(stderr, "bench-inventory: %s\n", err.msg);
			inventory_free(inv);
			return 2;
		}
	}
	if (streams)
		(void)inventory_watch_settle(inv, 500, 600 * 1000);
	t = now() - t0;
	getrusage(RUSAGE_SELF, &ru);
	printf("load_s=%.6f files=%d workloads=%zu maxrss_kib=%ld\n", t, argc - 1,
	       inventory_workload_count(inv), ru.ru_maxrss);
	inventory_free(inv);
	return 0;
}
