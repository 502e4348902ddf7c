/* SPDX-License-Identifier: Apache-2.0 */
/* cli-merge.c - flowlock merge: one state from the states that agents on many nodes learned. */
#include "cli/cli.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph/graph.h"

static const char merge_help[] =
	"Usage: flowlock merge -o OUT STATE...\n"
	"\n"
	"Merges the states that agents on different nodes learned (each with\n"
	"'flowlock learn --node NAME') into one: all their workloads and edges, with\n"
	"each node's counts kept apart, so nothing is counted twice. Merging is\n"
	"associative and commutative, and merging a state with itself changes\n"
	"nothing: OUT can be merged again with newer states from the same nodes.\n"
	"\n"
	"  -o, --output OUT  the merged state, written atomically (required; it may\n"
	"                    also be one of the STATEs)\n"
	"  -q, --quiet       no warnings and no summary on standard error\n"
	"  -h, --help        this text\n"
	"\n"
	"A workload that two STATEs describe differently is an error. A STATE without\n"
	"a node name is merged with a warning: two such states may hold the same\n"
	"connections. Exit status: 0 success, 2 bad usage or bad input (OUT is left\n"
	"as it was).\n";

/* A state no agent named: what it counted cannot be told apart from another unnamed one's. */
static bool merge_unnamed(const struct graph *g)
{
	size_t n = graph_node_count(g);

	return n == 0 || (n == 1 && !*graph_node_name(g, 0));
}

/*
 * Input i (in hand) disagrees with what inputs 0..i-1 (which all agree) hold: the first of them
 * it disagrees with alone is the file to name next to it. They are read again: only a failing
 * merge pays for it, and a working one holds one input at a time.
 */
static size_t merge_culprit(char *const *paths, size_t i, const struct graph *in)
{
	for (size_t j = 0; j < i; j++) {
		struct graph *scratch = graph_new(), *old = NULL;
		struct util_err err = {""};
		int r = graph_state_load(paths[j], &old, &err);

		if (r == 0)
			r = graph_merge(scratch, old, NULL);
		if (r == 0)
			r = graph_merge(scratch, in, NULL);
		graph_free(old);
		graph_free(scratch);
		if (r < 0)
			return j;
	}
	return 0; /* not reached: the inputs before i agree among themselves */
}

int cli_merge(int argc, char **argv)
{
	static const struct option options[] = {
		{"output", required_argument, NULL, 'o'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{},
	};
	struct graph *merged = NULL;
	bool *unnamed = NULL;
	struct util_err err = {""};
	const char *out_path = NULL;
	bool quiet = false;
	size_t n = 0;
	int c, ret = CLI_EXIT_BAD;

	while ((c = getopt_long(argc, argv, "o:qh", options, NULL)) != -1) {
		switch (c) {
		case 'o':
			out_path = optarg;
			break;
		case 'q':
			quiet = true;
			break;
		case 'h':
			fputs(merge_help, stdout);
			return EXIT_SUCCESS;
		default:
			return cli_option_error("merge", argv);
		}
	}
	if (!out_path)
		return cli_usage_error("merge", "-o OUT is required");
	if (optind >= argc)
		return cli_usage_error("merge", "expected at least one STATE file");

	/* Every input is read, checked and merged, one at a time, before OUT is written. */
	unnamed = util_zalloc((size_t)(argc - optind) * sizeof(*unnamed));
	merged = graph_new();
	for (int i = optind; i < argc; i++, n++) {
		struct graph *in = NULL;

		if (graph_state_load(argv[i], &in, &err) < 0) {
			cli_log_error("%s", err.msg);
			goto out;
		}
		unnamed[n] = merge_unnamed(in);
		if (graph_merge(merged, in, &err) < 0) {
			cli_log_error("merge: %s and %s disagree: %s",
				      argv[optind + (int)merge_culprit(argv + optind, n, in)],
				      argv[i], err.msg);
			graph_free(in);
			goto out;
		}
		graph_free(in);
	}
	if (graph_state_save(merged, out_path, &err) < 0) {
		cli_log_error("%s", err.msg);
		goto out;
	}
	for (size_t i = 0; i < n && !quiet; i++)
		if (unnamed[i])
			fprintf(stderr,
				"flowlock: warning: %s has no node name (learn --node): its counts "
				"may overlap another unnamed state's\n",
				argv[optind + (int)i]);
	if (!quiet)
		fprintf(stderr,
			"flowlock: %zu states, %zu nodes -> %zu edges among %zu workloads in %s\n",
			n, graph_node_count(merged), graph_edge_count(merged),
			graph_workload_count(merged), out_path);
	ret = EXIT_SUCCESS;
out:
	free(unnamed);
	graph_free(merged);
	return ret;
}
