/* SPDX-License-Identifier: Apache-2.0 */
/* emit-table.c - `flowlock show`: the learned edges as a fixed-column table for people. */
#include "emit/emit.h"

#include <errno.h>
#include <netinet/in.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

enum table_col {
	TABLE_CLIENT = 0,
	TABLE_SERVER,
	TABLE_PROTO,
	TABLE_PORT,
	TABLE_CONNS,
	TABLE_FIRST,
	TABLE_LAST,
	TABLE_NCOLS,
};

static const struct {
	const char *title;
	bool right; /* numbers line up on their last digit */
} table_cols[TABLE_NCOLS] = {
	[TABLE_CLIENT] = {"CLIENT", false},  [TABLE_SERVER] = {"SERVER", false},
	[TABLE_PROTO] = {"PROTO", false},    [TABLE_PORT] = {"PORT", true},
	[TABLE_CONNS] = {"CONNS", true},     [TABLE_FIRST] = {"FIRST SEEN", false},
	[TABLE_LAST] = {"LAST SEEN", false},
};

/*
 * Display width of s in a terminal, or -1 when it holds a control character (an escape
 * sequence in a workload name must not reach someone's terminal) or invalid UTF-8.
 * Counts one column per code point, which is right for everything a validated graph holds.
 */
static int table_width(const char *s)
{
	int width = 0;

	while (*s) {
		uint32_t cp;
		size_t n = util_utf8_next(s, &cp);

		if (n == 0 || util_is_control(cp))
			return -1;
		s += n;
		width++;
	}
	return width;
}

static void table_row_free(char **row)
{
	for (size_t i = 0; i < TABLE_NCOLS; i++)
		free(row[i]);
}

static void table_edge_row(const struct graph_edge *e, char **row)
{
	const char *proto = util_proto_name(graph_edge_proto(e));
	char buf[UTIL_TIME_LEN];

	row[TABLE_CLIENT] = util_strdup(graph_workload_id(graph_edge_client(e)));
	row[TABLE_SERVER] = util_strdup(graph_workload_id(graph_edge_server(e)));
	row[TABLE_PROTO] =
		proto ? util_strdup(proto) : util_asprintf("%u", (unsigned)graph_edge_proto(e));
	if (graph_edge_proto(e) == IPPROTO_ICMP || graph_edge_proto(e) == IPPROTO_ICMPV6)
		row[TABLE_PORT] = util_strdup("-");
	else
		row[TABLE_PORT] = util_asprintf("%u", (unsigned)graph_edge_port(e));
	row[TABLE_CONNS] = util_asprintf("%" PRIu64, graph_edge_connections(e));
	emit_time_seconds(graph_edge_first_ns(e), buf);
	row[TABLE_FIRST] = util_strdup(buf);
	emit_time_seconds(graph_edge_last_ns(e), buf);
	row[TABLE_LAST] = util_strdup(buf);
}

/* Two spaces between columns; nothing trails the last one. */
static void table_print_row(FILE *out, char *const *row, const int *widths)
{
	for (size_t i = 0; i < TABLE_NCOLS; i++) {
		int pad = widths[i] - table_width(row[i]);
		bool last = i + 1 == TABLE_NCOLS;

		if (table_cols[i].right)
			fprintf(out, "%*s%s", pad, "", row[i]);
		else
			fprintf(out, "%s%*s", row[i], last ? 0 : pad, "");
		fputs(last ? "\n" : "  ", out);
	}
}

int emit_table(FILE *out, const struct graph *g, const struct emit_options *opts,
	       struct util_err *err)
{
	size_t n = graph_edge_count(g);
	size_t nw = graph_workload_count(g);
	char *(*rows)[TABLE_NCOLS] = util_reallocarray(NULL, n ? n : 1, sizeof(*rows));
	char *titles[TABLE_NCOLS];
	int widths[TABLE_NCOLS];
	int r = 0;

	for (size_t i = 0; i < TABLE_NCOLS; i++) {
		titles[i] = (char *)table_cols[i].title;
		widths[i] = table_width(titles[i]);
	}
	for (size_t i = 0; i < n; i++)
		table_edge_row(graph_edge(g, i), rows[i]);
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < TABLE_NCOLS; j++) {
			int w = table_width(rows[i][j]);

			if (w < 0) {
				r = util_err_set(
					err, EINVAL,
					"table: a workload id holds a control character or "
					"invalid UTF-8 (%zu bytes); not shown",
					strlen(rows[i][j]));
				goto out;
			}
			if (w > widths[j])
				widths[j] = w;
		}
	}

	if (n == 0) {
		fputs("no edges learned yet\n", out);
	} else {
		table_print_row(out, titles, widths);
		for (size_t i = 0; i < n; i++)
			table_print_row(out, rows[i], widths);
	}
	fprintf(out, "%zu workload%s, %zu edge%s", nw, nw == 1 ? "" : "s", n, n == 1 ? "" : "s");
	if (graph_attempt_count(g) > 0)
		fprintf(out, "; %zu pair%s with refused or unanswered attempts (show --coverage)",
			graph_attempt_count(g), graph_attempt_count(g) == 1 ? "" : "s");
	fputc('\n', out);
	if (fflush(out) != 0 || ferror(out))
		r = util_err_set(err, EIO, "cannot write the table: %s", strerror(errno));
out:
	for (size_t i = 0; i < n; i++)
		table_row_free(rows[i]);
	free(rows);
	return r;
}
