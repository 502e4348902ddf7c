/* SPDX-License-Identifier: Apache-2.0 */
/* cli-show.c - flowlock show: a state as a table, or what it covered. */
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "graph/graph.h"
#include "emit/emit.h"
#include "util/util.h"
#include "cli/cli.h"

static const char show_help[] =
	"Usage: flowlock show STATE\n"
	"       flowlock show --coverage [--stale DAYS] [--format text|json] STATE\n"
	"\n"
	"Prints the learned graph as a table: client, server, protocol, port,\n"
	"connections, first and last seen.\n"
	"\n"
	"With --coverage, what to read before locking down: the observation window\n"
	"(first and last traffic, time watched), how long since the last new edge,\n"
	"the workloads seen running and never seen, by kind, new edges per day, and\n"
	"the edges not seen in the last DAYS of the window (--stale, default 7).\n";

int cli_show(int argc, char **argv)
{
	enum {
		OPT_COVERAGE = 0x100,
		OPT_STALE
	};
	static const struct option options[] = {
		{"coverage", no_argument, NULL, OPT_COVERAGE},
		{"stale", required_argument, NULL, OPT_STALE},
		{"format", required_argument, NULL, 'f'},
		{"help", no_argument, NULL, 'h'},
		{},
	};
	struct emit_options opts = {.warn = cli_warn_stderr};
	enum emit_report_format format = EMIT_REPORT_TEXT;
	bool coverage = false, have_format = false, have_stale = false;
	struct util_err err = {""};
	struct graph *g = NULL;
	uint64_t stale = 7;
	int c, ret = CLI_EXIT_BAD;

	while ((c = getopt_long(argc, argv, "f:h", options, NULL)) != -1) {
		switch (c) {
		case OPT_COVERAGE:
			coverage = true;
			break;
		case OPT_STALE:
			if (util_parse_u64(optarg, 36500, &stale) < 0 || stale == 0)
				return cli_usage_error("show", "--stale takes whole days > 0");
			have_stale = true;
			break;
		case 'f':
			if (emit_report_format_from_name(optarg, &format) < 0 ||
			    format == EMIT_REPORT_MARKDOWN)
				return cli_usage_error("show", "--format is text or json");
			have_format = true;
			break;
		case 'h':
			fputs(show_help, stdout);
			return EXIT_SUCCESS;
		default:
			return cli_option_error("show", argv);
		}
	}
	if (argc - optind != 1)
		return cli_usage_error("show", "expected exactly one STATE file");
	if (!coverage && (have_format || have_stale))
		return cli_usage_error("show", "--format and --stale go with --coverage");
	if (!coverage)
		return cli_render(EMIT_FORMAT_TABLE, argv[optind], NULL, &opts);
	if (graph_state_load(argv[optind], &g, &err) < 0) {
		cli_log_error("%s", err.msg);
		return CLI_EXIT_BAD;
	}
	if (emit_coverage(stdout, format, g, (unsigned)stale, &err) < 0) {
		cli_log_error("%s", err.msg);
		goto out;
	}
	if (cli_stdout_flush() < 0)
		goto out;
	ret = EXIT_SUCCESS;
out:
	graph_free(g);
	return ret;
}
