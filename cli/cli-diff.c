/* SPDX-License-Identifier: Apache-2.0 */
/* cli-diff.c - flowlock diff: what changed between two states, as a gate for CI. */
#include "cli/cli.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "emit/emit.h"
#include "graph/graph.h"

static const char diff_help[] =
	"Usage: flowlock diff [--format text|markdown|json] OLD NEW\n"
	"\n"
	"Compares two state files: the edges (client, server, protocol, port) NEW has\n"
	"and OLD has not (added) and the other way round (removed), then the workloads\n"
	"that appeared or vanished. Connections, times and counters are not compared.\n"
	"\n"
	"  -f, --format FORMAT  text (the default), markdown (tables to post as a\n"
	"                       pull-request comment) or json\n"
	"  -h, --help           this text\n"
	"\n"
	"Exit status: 0 no edge added, 1 edges added (new communication to review),\n"
	"2 bad usage or bad input.\n";

int cli_diff(int argc, char **argv)
{
	static const struct option options[] = {
		{"format", required_argument, NULL, 'f'},
		{"help", no_argument, NULL, 'h'},
		{},
	};
	enum emit_report_format format = EMIT_REPORT_TEXT;
	struct graph *old_g = NULL, *new_g = NULL;
	struct emit_diff_counts counts;
	struct util_err err = {""};
	int c, ret = CLI_EXIT_BAD;

	while ((c = getopt_long(argc, argv, "f:h", options, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (emit_report_format_from_name(optarg, &format) < 0)
				return cli_usage_error("diff",
						       "--format is one of text, markdown, json");
			break;
		case 'h':
			fputs(diff_help, stdout);
			return EXIT_SUCCESS;
		default:
			return cli_option_error("diff", argv);
		}
	}
	if (argc - optind != 2)
		return cli_usage_error("diff", "expected two state files, OLD and NEW");
	if (graph_state_load(argv[optind], &old_g, &err) < 0 ||
	    graph_state_load(argv[optind + 1], &new_g, &err) < 0) {
		cli_log_error("%s", err.msg);
		goto out;
	}
	if (emit_diff(stdout, format, old_g, new_g, &counts, &err) < 0) {
		cli_log_error("%s", err.msg);
		goto out;
	}
	/* new communication needs a review; what stopped does not hold a pipeline up */
	ret = counts.edges_added ? CLI_EXIT_FOUND : EXIT_SUCCESS;
out:
	graph_free(old_g);
	graph_free(new_g);
	return ret;
}
