/* SPDX-License-Identifier: Apache-2.0 */
/* bench-state.c - times loading a state file and saving it again, inside one process. */
#include "graph/graph.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

/*
 * Usage: bench-state FILE [OUT]      graph_state_load(FILE), then graph_state_save() to OUT (by
 *                                    default a file in a new folder under $TMPDIR or /tmp,
 *                                    removed after), each timed
 *        bench-state load FILE...    graph_state_load() of each FILE in turn, freed before the
 *                                    next, timed in total: what merging them must at least do
 * Prints one line of key=value: load_s, save_s (first form), files, workloads and edges (summed
 * over the files), maxrss_kib. Exit 2 when a file does not load or save.
 */

/* Seconds on the monotonic clock (the project's own, util_now_ns). */
static double now(void)
{
	return (double)util_now_ns(CLOCK_MONOTONIC) / (double)UTIL_NSEC_PER_SEC;
}

static long maxrss_kib(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

static int load_all(int n, char **paths)
{
	struct util_err err = {{0}};
	size_t workloads = 0, edges = 0;
	double t0 = now(), t;

	for (int i = 0; i < n; i++) {
		struct graph *g;

		if (graph_state_load(paths[i], &g, &err) < 0) {
			fprintf(stderr, "bench-state: %s\n", err.msg);
			return 2;
		}
		workloads += graph_workload_count(g);
		edges += graph_edge_count(g);
		graph_free(g);
	}
	t = now() - t0;
	printf("load_s=%.6f files=%d workloads=%zu edges=%zu maxrss_kib=%ld\n", t, n, workloads,
	       edges, maxrss_kib());
	return 0;
}

static int load_save(const char *path, const char *out)
{
	struct util_err err = {{0}};
	char *tmp = NULL;
	const char *tmpdir = getenv("TMPDIR");
	struct graph *g;
	double t0, t_load, t_save;
	int r = 0;

	t0 = now();
	if (graph_state_load(path, &g, &err) < 0) {
		fprintf(stderr, "bench-state: %s\n", err.msg);
		return 2;
	}
	t_load = now() - t0;

	if (!out) {
		const char *base = tmpdir && *tmpdir ? tmpdir : "/tmp";
		char *d;

		if (asprintf(&d, "%s/bench-state.XXXXXX", base) < 0)
			return 2;
		if (!mkdtemp(d)) {
			fprintf(stderr, "bench-state: cannot make a folder in %s: %s\n", base,
				strerror(errno));
			free(d);
			return 2;
		}
		if (asprintf(&tmp, "%s/state.yaml", d) < 0)
			return 2;
		free(d);
		out = tmp;
	}
	t0 = now();
	if (graph_state_save(g, out, &err) < 0) {
		fprintf(stderr, "bench-state: %s\n", err.msg);
		r = 2;
	}
	t_save = now() - t0;
	if (r == 0)
		printf("load_s=%.6f save_s=%.6f files=1 workloads=%zu edges=%zu maxrss_kib=%ld\n",
		       t_load, t_save, graph_workload_count(g), graph_edge_count(g), maxrss_kib());
	if (tmp) {
		char *slash = strrchr(tmp, '/');

		(void)unlink(tmp);
		*slash = '\0';
		(void)rmdir(tmp);
		free(tmp);
	}
	graph_free(g);
	return r;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && strcmp(argv[1], "load") == 0)
		return load_all(argc - 2, argv + 2);
	if (argc == 2 || argc == 3)
		return load_save(argv[1], argc == 3 ? argv[2] : NULL);
	fprintf(stderr, "usage: bench-state FILE [OUT] | bench-state load FILE...\n");
	return 2;
}
