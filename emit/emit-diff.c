/* SPDX-License-Identifier: Apache-2.0 */
/* emit-diff.c - what flowlock diff and check report: edges and workloads as text, markdown, JSON.
 */
#include "emit/emit.h"
#include "util/util-yaml.h"

#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

static const char *const report_format_names[] = {
	[EMIT_REPORT_TEXT] = "text",
	[EMIT_REPORT_MARKDOWN] = "markdown",
	[EMIT_REPORT_JSON] = "json",
};

int emit_report_format_from_name(const char *name, enum emit_report_format *ret)
{
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(report_format_names); i++) {
		if (strcmp(report_format_names[i], name) == 0) {
			*ret = (enum emit_report_format)i;
			return 0;
		}
	}
	return -EINVAL;
}

/*
 * Names reach terminals, pull requests and JSON readers: a name that emit_json_width() refuses
 * (control characters would forge a line or a table row) is not shown at all. None is in a
 * graph whose names were validated on the way in.
 */
static int report_name_check(const char *what, const char *s, struct util_err *err)
{
	if (emit_json_width(s) >= 0)
		return 0;
	return util_err_set(err, EINVAL,
			    "%s: a workload id holds a control character or invalid UTF-8 "
			    "(%zu bytes); not shown",
			    what, strlen(s));
}

/* "TCP", or the protocol number when it has no name: always a string, so readers see one type. */
static const char *report_proto(uint8_t proto, char buf[static 4])
{
	const char *name = util_proto_name(proto);

	if (name)
		return name;
	snprintf(buf, 4, "%u", (unsigned)proto);
	return buf;
}

/* People read "-" for the port of ICMP, which has none; JSON keeps the 0 of the state. */
static const char *report_port(uint8_t proto, uint16_t port, char buf[static 6])
{
	if (proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6)
		return "-";
	snprintf(buf, 6, "%u", (unsigned)port);
	return buf;
}

/* A report is rendered into memory, then written whole: a failure half way leaves nothing. */
struct report_buf {
	FILE *mem;
	char *buf;
	size_t len;
};

static int report_open(struct report_buf *b, struct util_err *err)
{
	*b = (struct report_buf){0};
	b->mem = open_memstream(&b->buf, &b->len);
	if (!b->mem)
		return util_err_set(err, errno, "cannot allocate the output buffer: %s",
				    strerror(errno));
	return 0;
}

/* Writes what was rendered to out unless r (how rendering went) says it failed, and frees it. */
static int report_close(struct report_buf *b, FILE *out, int r, const char *what,
			struct util_err *err)
{
	if (fclose(b->mem) != 0 && r == 0)
		r = util_err_set(err, ENOMEM, "cannot render the %s: out of memory", what);
	if (r == 0 && ((b->len && fwrite(b->buf, 1, b->len, out) != b->len) || fflush(out) != 0 ||
		       ferror(out)))
		r = util_err_set(err, EIO, "cannot write the report: %s", strerror(errno));
	free(b->buf);
	return r;
}

/* ---- JSON through libyaml's emitter -------------------------------------------------------- */

/* One JSON value on one line; strings are names checked by emit_json_width() or our own words. */
static int rj_begin(FILE *out, struct util_err *err, struct util_yaml_out **ret)
{
	int r;

	r = util_yaml_out_open(out, UTIL_YAML_OUT_JSON, "the JSON output", err, ret);
	if (r < 0)
		return r;
	util_yaml_out_document_start(*ret);
	util_yaml_out_map_start(*ret);
	return 0;
}

static int rj_end(struct util_yaml_out *y)
{
	util_yaml_out_map_end(y);
	util_yaml_out_document_end(y);
	return util_yaml_out_close(y, NULL, NULL, NULL);
}

static void rj_kv_uint(struct util_yaml_out *y, const char *key, uint64_t value)
{
	util_yaml_out_str(y, key);
	util_yaml_out_u64(y, value);
}

static void rj_edge(struct util_yaml_out *y, const char *client, const char *server, uint8_t proto,
		    uint16_t port)
{
	char pbuf[4];

	util_yaml_out_kv(y, "client", client);
	util_yaml_out_kv(y, "server", server);
	util_yaml_out_kv(y, "protocol", report_proto(proto, pbuf));
	rj_kv_uint(y, "port", port);
}

/* ---- the diff ------------------------------------------------------------------------------ */

/* One line of the diff: an edge or a workload that is only in the old graph or only the new. */
struct diff_item {
	bool added;   /* in the new graph, else the old one */
	size_t index; /* of the edge or workload in that graph */
};

struct diff {
	const struct graph *old_g, *new_g;
	struct diff_item *edges, *works;
	size_t n_edges, n_works;
	struct emit_diff_counts counts;
};

/* How old_g's item i compares with new_g's item k in one of the lists both graphs keep sorted. */
typedef int (*diff_cmp_fn)(const struct graph *old_g, size_t i, const struct graph *new_g,
			   size_t k);

/* The order the graph sorts edges in, so that one merge walk over both finds the differences. */
static int diff_edge_cmp(const struct graph *old_g, size_t i, const struct graph *new_g, size_t k)
{
	const struct graph_edge *a = graph_edge(old_g, i), *b = graph_edge(new_g, k);
	int c = strcmp(graph_workload_id(graph_edge_client(a)),
		       graph_workload_id(graph_edge_client(b)));

	if (c)
		return c;
	c = strcmp(graph_workload_id(graph_edge_server(a)),
		   graph_workload_id(graph_edge_server(b)));
	if (c)
		return c;
	if (graph_edge_proto(a) != graph_edge_proto(b))
		return graph_edge_proto(a) < graph_edge_proto(b) ? -1 : 1;
	if (graph_edge_port(a) != graph_edge_port(b))
		return graph_edge_port(a) < graph_edge_port(b) ? -1 : 1;
	return 0;
}

static int diff_work_cmp(const struct graph *old_g, size_t i, const struct graph *new_g, size_t k)
{
	return strcmp(graph_workload_id(graph_workload(old_g, i)),
		      graph_workload_id(graph_workload(new_g, k)));
}

/*
 * One merge walk over a list that both graphs keep sorted (n_old items in d's old graph, n_new
 * in its new one): what only one of them has, in order. Counts both kinds.
 */
static struct diff_item *diff_walk(const struct diff *d, size_t n_old, size_t n_new,
				   diff_cmp_fn cmp, size_t *ret_n, size_t *ret_added,
				   size_t *ret_removed)
{
	struct diff_item *v = util_reallocarray(NULL, n_old + n_new + 1, sizeof(*v));
	size_t i = 0, k = 0, n = 0;

	while (i < n_old || k < n_new) {
		int c = i == n_old ? 1 : k == n_new ? -1 : cmp(d->old_g, i, d->new_g, k);

		if (c == 0) {
			i++, k++;
		} else if (c < 0) {
			v[n++] = (struct diff_item){.added = false, .index = i++};
			(*ret_removed)++;
		} else {
			v[n++] = (struct diff_item){.added = true, .index = k++};
			(*ret_added)++;
		}
	}
	*ret_n = n;
	return v;
}

static void diff_compute(const struct graph *old_g, const struct graph *new_g, struct diff *d)
{
	*d = (struct diff){.old_g = old_g, .new_g = new_g};
	d->edges = diff_walk(d, graph_edge_count(old_g), graph_edge_count(new_g), diff_edge_cmp,
			     &d->n_edges, &d->counts.edges_added, &d->counts.edges_removed);
	d->works = diff_walk(d, graph_workload_count(old_g), graph_workload_count(new_g),
			     diff_work_cmp, &d->n_works, &d->counts.workloads_appeared,
			     &d->counts.workloads_vanished);
}

/* The edge or workload that item i of the diff stands for. */
static const struct graph_edge *diff_edge(const struct diff *d, size_t i)
{
	return graph_edge(d->edges[i].added ? d->new_g : d->old_g, d->edges[i].index);
}

static const struct graph_workload *diff_work(const struct diff *d, size_t i)
{
	return graph_workload(d->works[i].added ? d->new_g : d->old_g, d->works[i].index);
}

static int diff_check_names(const struct diff *d, const char *what, struct util_err *err)
{
	int r = 0;

	for (size_t i = 0; r == 0 && i < d->n_edges; i++) {
		r = report_name_check(what, graph_workload_id(graph_edge_client(diff_edge(d, i))),
				      err);
		if (r == 0)
			r = report_name_check(
				what, graph_workload_id(graph_edge_server(diff_edge(d, i))), err);
	}
	for (size_t i = 0; r == 0 && i < d->n_works; i++)
		r = report_name_check(what, graph_workload_id(diff_work(d, i)), err);
	return r;
}

static const char *plural(size_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

static void diff_summary(FILE *out, const struct emit_diff_counts *c)
{
	fprintf(out, "%zu %s added, %zu removed; %zu %s appeared, %zu vanished", c->edges_added,
		plural(c->edges_added, "edge", "edges"), c->edges_removed, c->workloads_appeared,
		plural(c->workloads_appeared, "workload", "workloads"), c->workloads_vanished);
}

/* text: a table for people, "+" before what NEW added and "-" before what it no longer has */

enum {
	DIFF_CLIENT = 0,
	DIFF_SERVER,
	DIFF_PROTO,
	DIFF_PORT,
	DIFF_NCOLS
};

static void diff_edge_cells(const struct graph_edge *e, const char *cells[DIFF_NCOLS],
			    char pbuf[static 4], char portbuf[static 6])
{
	cells[DIFF_CLIENT] = graph_workload_id(graph_edge_client(e));
	cells[DIFF_SERVER] = graph_workload_id(graph_edge_server(e));
	cells[DIFF_PROTO] = report_proto(graph_edge_proto(e), pbuf);
	cells[DIFF_PORT] = report_port(graph_edge_proto(e), graph_edge_port(e), portbuf);
}

static void text_row(FILE *out, const char *mark, const char *const cells[DIFF_NCOLS],
		     const int widths[DIFF_NCOLS])
{
	fprintf(out, "%s ", mark);
	for (size_t i = 0; i < DIFF_NCOLS; i++) {
		int pad = widths[i] - emit_json_width(cells[i]);

		if (i == DIFF_PORT)
			fprintf(out, "%*s%s\n", pad, "", cells[i]);
		else
			fprintf(out, "%s%*s  ", cells[i], pad, "");
	}
}

static void diff_text(FILE *out, const struct diff *d)
{
	static const char *const titles[DIFF_NCOLS] = {"CLIENT", "SERVER", "PROTO", "PORT"};
	int widths[DIFF_NCOLS];

	if (d->n_edges) {
		for (size_t i = 0; i < DIFF_NCOLS; i++)
			widths[i] = emit_json_width(titles[i]);
		for (size_t i = 0; i < d->n_edges; i++) {
			const char *cells[DIFF_NCOLS];
			char pbuf[4], portbuf[6];

			diff_edge_cells(diff_edge(d, i), cells, pbuf, portbuf);
			for (size_t c = 0; c < DIFF_NCOLS; c++)
				if (emit_json_width(cells[c]) > widths[c])
					widths[c] = emit_json_width(cells[c]);
		}
		text_row(out, " ", titles, widths);
		for (size_t i = 0; i < d->n_edges; i++) {
			const char *cells[DIFF_NCOLS];
			char pbuf[4], portbuf[6];

			diff_edge_cells(diff_edge(d, i), cells, pbuf, portbuf);
			text_row(out, d->edges[i].added ? "+" : "-", cells, widths);
		}
		fputc('\n', out);
	}
	if (d->n_works) {
		fputs("  WORKLOAD\n", out);
		for (size_t i = 0; i < d->n_works; i++)
			fprintf(out, "%s %s\n", d->works[i].added ? "+" : "-",
				graph_workload_id(diff_work(d, i)));
		fputc('\n', out);
	}
	diff_summary(out, &d->counts);
	fputc('\n', out);
}

/*
 * A name in a markdown table cell, for a pull-request comment. Names are untrusted, so each is a
 * code span: inside one nothing is markup (no emphasis, links, autolinks, HTML, entities, emoji
 * or @mentions). The fence is one backtick longer than the longest run of backticks in the name,
 * and a space pads a name that starts or ends with a backtick or a space, which the renderer
 * strips again. A '|' would end the cell even there, so it is written as "\|" (GFM tables turn
 * that back into '|' before the code span is read). Newlines were refused before.
 */
static void md_code(FILE *out, const char *s)
{
	size_t run = 0, longest = 0, len = strlen(s);
	bool pad;

	for (const char *p = s; *p; p++) {
		run = *p == '`' ? run + 1 : 0;
		if (run > longest)
			longest = run;
	}
	pad = len && (s[0] == '`' || s[0] == ' ' || s[len - 1] == '`' || s[len - 1] == ' ');
	for (size_t i = 0; i <= longest; i++)
		fputc('`', out);
	if (pad)
		fputc(' ', out);
	for (const char *p = s; *p; p++) {
		if (*p == '|')
			fputc('\\', out);
		fputc(*p, out);
	}
	if (pad)
		fputc(' ', out);
	for (size_t i = 0; i <= longest; i++)
		fputc('`', out);
}

static void diff_markdown(FILE *out, const struct diff *d)
{
	fputs("**flowlock diff**: ", out);
	diff_summary(out, &d->counts);
	fputs(".\n", out);
	if (d->n_edges) {
		fputs("\n| change | client | server | protocol | port |\n"
		      "| --- | --- | --- | --- | ---: |\n",
		      out);
		for (size_t i = 0; i < d->n_edges; i++) {
			const struct graph_edge *e = diff_edge(d, i);
			char pbuf[4], portbuf[6];

			fprintf(out, "| %s | ", d->edges[i].added ? "**added**" : "removed");
			md_code(out, graph_workload_id(graph_edge_client(e)));
			fputs(" | ", out);
			md_code(out, graph_workload_id(graph_edge_server(e)));
			fprintf(out, " | %s | %s |\n", report_proto(graph_edge_proto(e), pbuf),
				report_port(graph_edge_proto(e), graph_edge_port(e), portbuf));
		}
	}
	if (d->n_works) {
		fputs("\n| change | workload |\n| --- | --- |\n", out);
		for (size_t i = 0; i < d->n_works; i++) {
			fprintf(out, "| %s | ", d->works[i].added ? "appeared" : "vanished");
			md_code(out, graph_workload_id(diff_work(d, i)));
			fputs(" |\n", out);
		}
	}
}

static int diff_json(FILE *out, const struct diff *d, struct util_err *err)
{
	static const char *const keys[] = {"edges_added", "edges_removed", "workloads_appeared",
					   "workloads_vanished"};
	struct util_yaml_out *y;
	int r = rj_begin(out, err, &y);

	if (r < 0)
		return r;
	rj_kv_uint(y, "version", 1);
	/* added first, then removed: each list stays in the graph's order */
	for (size_t k = 0; k < 2; k++) {
		util_yaml_out_str(y, keys[k]);
		util_yaml_out_seq_start(y);
		for (size_t i = 0; i < d->n_edges; i++) {
			const struct graph_edge *e = diff_edge(d, i);

			if (d->edges[i].added != (k == 0))
				continue;
			util_yaml_out_map_start(y);
			rj_edge(y, graph_workload_id(graph_edge_client(e)),
				graph_workload_id(graph_edge_server(e)), graph_edge_proto(e),
				graph_edge_port(e));
			util_yaml_out_map_end(y);
		}
		util_yaml_out_seq_end(y);
	}
	for (size_t k = 2; k < 4; k++) {
		util_yaml_out_str(y, keys[k]);
		util_yaml_out_seq_start(y);
		for (size_t i = 0; i < d->n_works; i++)
			if (d->works[i].added == (k == 2))
				util_yaml_out_str(y, graph_workload_id(diff_work(d, i)));
		util_yaml_out_seq_end(y);
	}
	return rj_end(y);
}

int emit_diff(FILE *out, enum emit_report_format format, const struct graph *old_g,
	      const struct graph *new_g, struct emit_diff_counts *ret_counts, struct util_err *err)
{
	struct report_buf b;
	struct diff d;
	int r;

	if ((size_t)format >= UTIL_ARRAY_SIZE(report_format_names))
		return util_err_set(err, EINVAL, "unknown report format %d", (int)format);
	diff_compute(old_g, new_g, &d);
	r = diff_check_names(&d, "diff", err);
	if (r == 0)
		r = report_open(&b, err);
	if (r < 0)
		goto out;
	if (format == EMIT_REPORT_TEXT)
		diff_text(b.mem, &d);
	else if (format == EMIT_REPORT_MARKDOWN)
		diff_markdown(b.mem, &d);
	else
		r = diff_json(b.mem, &d, err);
	r = report_close(&b, out, r, "diff", err);
	if (r == 0 && ret_counts)
		*ret_counts = d.counts;
out:
	free(d.edges);
	free(d.works);
	return r;
}

/* ---- check -------------------------------------------------------------------------------- */

int emit_violation(FILE *out, enum emit_report_format format, const struct learn_violation *v,
		   struct util_err *err)
{
	const char *client = graph_workload_id(v->client), *server = graph_workload_id(v->server);
	const char *outcome = v->outcome == CAPTURE_REFUSED	 ? "refused"
			      : v->outcome == CAPTURE_UNANSWERED ? "unanswered"
								 : NULL;
	char time[UTIL_TIME_LEN], pbuf[4], portbuf[6];
	struct report_buf b;
	struct util_yaml_out *y;
	int r;

	if (format != EMIT_REPORT_TEXT && format != EMIT_REPORT_JSON)
		return util_err_set(err, EINVAL, "check reports as text or json only");
	r = report_name_check("check", client, err);
	if (r == 0)
		r = report_name_check("check", server, err);
	if (r < 0)
		return r;
	util_time_format(v->time_ns, time);
	r = report_open(&b, err);
	if (r < 0)
		return r;
	if (format == EMIT_REPORT_TEXT) {
		fprintf(b.mem, "%s %s -> %s %s %s", time, client, server,
			report_proto(v->proto, pbuf), report_port(v->proto, v->port, portbuf));
		if (outcome)
			fprintf(b.mem, " (attempt: %s)", outcome);
		fputc('\n', b.mem);
	} else {
		r = rj_begin(b.mem, err, &y);
		if (r == 0) {
			util_yaml_out_kv(y, "event", outcome ? "attempt" : "violation");
			util_yaml_out_kv(y, "time", time);
			rj_edge(y, client, server, v->proto, v->port);
			if (outcome)
				util_yaml_out_kv(y, "outcome", outcome);
			r = rj_end(y);
		}
	}
	return report_close(&b, out, r, "report", err);
}

int emit_check_summary(FILE *out, enum emit_report_format format, uint64_t flows_seen,
		       uint64_t flows, uint64_t edges, uint64_t attempts, struct util_err *err)
{
	struct report_buf b;
	struct util_yaml_out *y;
	int r;

	if (format != EMIT_REPORT_TEXT && format != EMIT_REPORT_JSON)
		return util_err_set(err, EINVAL, "check reports as text or json only");
	r = report_open(&b, err);
	if (r < 0)
		return r;
	if (format == EMIT_REPORT_TEXT) {
		fprintf(b.mem, "%" PRIu64 " of %" PRIu64 " %s not in the baseline, %" PRIu64 " %s",
			flows, flows_seen, flows_seen == 1 ? "flow" : "flows", edges,
			edges == 1 ? "distinct edge" : "distinct edges");
		if (attempts)
			fprintf(b.mem, "; %" PRIu64 " %s (refused or unanswered)", attempts,
				attempts == 1 ? "attempt" : "attempts");
		fputc('\n', b.mem);
	} else {
		r = rj_begin(b.mem, err, &y);
		if (r == 0) {
			util_yaml_out_kv(y, "event", "summary");
			rj_kv_uint(y, "flows_seen", flows_seen);
			rj_kv_uint(y, "flows", flows);
			rj_kv_uint(y, "edges", edges);
			if (attempts)
				rj_kv_uint(y, "attempts", attempts);
			r = rj_end(y);
		}
	}
	return report_close(&b, out, r, "report", err);
}
