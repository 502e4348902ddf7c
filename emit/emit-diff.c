/* SPDX-License-Identifier: Apache-2.0 */
/* emit-diff.c - what flowlock diff and check report: edges and workloads as text, markdown, JSON.
 */
#include "emit/emit.h"

#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

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
 * Whether a name may be shown at all, and its width in columns. Names reach terminals, pull
 * requests and JSON readers: control characters (escape sequences, newlines that would forge a
 * line or a table row), U+2028/U+2029 and invalid UTF-8 are refused, and so is anything beyond
 * the BMP, which libyaml would escape in a way JSON has not. None of these is in a graph whose
 * names were validated on the way in. Returns -1 when refused.
 */
static int report_name_width(const char *s)
{
	int width = 0;

	while (*s) {
		uint32_t cp;
		size_t n = util_utf8_next(s, &cp);

		if (n == 0 || util_is_control(cp) || cp > 0xffff || cp == 0x2028 || cp == 0x2029)
			return -1;
		s += n;
		width++;
	}
	return width;
}

static int report_name_check(const char *what, const char *s, struct util_err *err)
{
	if (report_name_width(s) >= 0)
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

/* Renders into memory, then writes it whole: a failure half way leaves nothing on out. */
static int report_write(FILE *out, const char *buf, size_t len, struct util_err *err)
{
	if ((len && fwrite(buf, 1, len, out) != len) || fflush(out) != 0 || ferror(out))
		return util_err_set(err, EIO, "cannot write the report: %s", strerror(errno));
	return 0;
}

/* ---- JSON through libyaml's emitter -------------------------------------------------------- */

struct report_json {
	yaml_emitter_t emitter;
	struct util_err *err;
	int r; /* the first failure; later emits do nothing */
};

static void rj_emit(struct report_json *j, yaml_event_t *ev)
{
	if (j->r < 0) {
		yaml_event_delete(ev);
		return;
	}
	if (!yaml_emitter_emit(&j->emitter, ev))
		j->r = util_err_set(j->err, EIO, "cannot write the JSON output: %s",
				    j->emitter.problem ? j->emitter.problem : "unknown error");
}

/* Strings are names checked by report_name_width() or our own words: valid JSON when quoted. */
static void rj_str(struct report_json *j, const char *s)
{
	yaml_event_t ev;

	yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s, (int)strlen(s), 0, 1,
				     YAML_DOUBLE_QUOTED_SCALAR_STYLE);
	rj_emit(j, &ev);
}

static void rj_uint(struct report_json *j, uint64_t v)
{
	char buf[UTIL_U64_LEN];
	yaml_event_t ev;

	util_u64_format(v, buf);
	yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)buf, (int)strlen(buf), 1, 0,
				     YAML_PLAIN_SCALAR_STYLE);
	rj_emit(j, &ev);
}

static void rj_kv_str(struct report_json *j, const char *key, const char *value)
{
	rj_str(j, key);
	rj_str(j, value);
}

static void rj_kv_uint(struct report_json *j, const char *key, uint64_t value)
{
	rj_str(j, key);
	rj_uint(j, value);
}

static void rj_object(struct report_json *j, bool start)
{
	yaml_event_t ev;

	if (start)
		yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_FLOW_MAPPING_STYLE);
	else
		yaml_mapping_end_event_initialize(&ev);
	rj_emit(j, &ev);
}

static void rj_array(struct report_json *j, bool start)
{
	yaml_event_t ev;

	if (start)
		yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, YAML_FLOW_SEQUENCE_STYLE);
	else
		yaml_sequence_end_event_initialize(&ev);
	rj_emit(j, &ev);
}

/* One JSON value on one line: a stream of one document, in flow style, never wrapped. */
static int rj_begin(struct report_json *j, FILE *out, struct util_err *err)
{
	yaml_event_t ev;

	memset(j, 0, sizeof(*j));
	j->err = err;
	if (!yaml_emitter_initialize(&j->emitter))
		return util_err_set(err, ENOMEM, "cannot set up the YAML emitter");
	yaml_emitter_set_output_file(&j->emitter, out);
	yaml_emitter_set_unicode(&j->emitter, 1);
	yaml_emitter_set_width(&j->emitter, -1);
	yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
	rj_emit(j, &ev);
	yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1);
	rj_emit(j, &ev);
	return 0;
}

static int rj_end(struct report_json *j)
{
	yaml_event_t ev;

	yaml_document_end_event_initialize(&ev, 1);
	rj_emit(j, &ev);
	yaml_stream_end_event_initialize(&ev);
	rj_emit(j, &ev);
	yaml_emitter_delete(&j->emitter);
	return j->r;
}

static void rj_edge(struct report_json *j, const char *client, const char *server, uint8_t proto,
		    uint16_t port)
{
	char pbuf[4];

	rj_kv_str(j, "client", client);
	rj_kv_str(j, "server", server);
	rj_kv_str(j, "protocol", report_proto(proto, pbuf));
	rj_kv_uint(j, "port", port);
}

/* ---- the diff ------------------------------------------------------------------------------ */

/* One line of the diff: an edge or a workload that is only in the old graph or only the new. */
struct diff_item {
	bool added;
	const struct learn_edge *edge;	   /* edges */
	const struct learn_workload *work; /* workloads */
};

struct diff {
	struct diff_item *edges, *works;
	size_t n_edges, n_works;
	struct emit_diff_counts counts;
};

/* The order the graph sorts edges in, so that one merge walk over both finds the differences. */
static int diff_edge_cmp(const struct learn_edge *a, const struct learn_edge *b)
{
	int c = strcmp(learn_workload_id(learn_edge_client(a)),
		       learn_workload_id(learn_edge_client(b)));

	if (c)
		return c;
	c = strcmp(learn_workload_id(learn_edge_server(a)),
		   learn_workload_id(learn_edge_server(b)));
	if (c)
		return c;
	if (learn_edge_proto(a) != learn_edge_proto(b))
		return learn_edge_proto(a) < learn_edge_proto(b) ? -1 : 1;
	if (learn_edge_port(a) != learn_edge_port(b))
		return learn_edge_port(a) < learn_edge_port(b) ? -1 : 1;
	return 0;
}

static void diff_compute(const struct learn_graph *old_g, const struct learn_graph *new_g,
			 struct diff *d)
{
	size_t no = learn_graph_edge_count(old_g), nn = learn_graph_edge_count(new_g);
	size_t i = 0, k = 0;

	memset(d, 0, sizeof(*d));
	d->edges = util_reallocarray(NULL, no + nn + 1, sizeof(*d->edges));
	while (i < no || k < nn) {
		const struct learn_edge *a = i < no ? learn_graph_edge(old_g, i) : NULL;
		const struct learn_edge *b = k < nn ? learn_graph_edge(new_g, k) : NULL;
		int c = !a ? 1 : !b ? -1 : diff_edge_cmp(a, b);

		if (c == 0) {
			i++, k++;
		} else if (c < 0) {
			d->edges[d->n_edges++] = (struct diff_item){.added = false, .edge = a};
			d->counts.edges_removed++;
			i++;
		} else {
			d->edges[d->n_edges++] = (struct diff_item){.added = true, .edge = b};
			d->counts.edges_added++;
			k++;
		}
	}

	no = learn_graph_workload_count(old_g);
	nn = learn_graph_workload_count(new_g);
	i = k = 0;
	d->works = util_reallocarray(NULL, no + nn + 1, sizeof(*d->works));
	while (i < no || k < nn) {
		const struct learn_workload *a = i < no ? learn_graph_workload(old_g, i) : NULL;
		const struct learn_workload *b = k < nn ? learn_graph_workload(new_g, k) : NULL;
		int c = !a ? 1 : !b ? -1 : strcmp(learn_workload_id(a), learn_workload_id(b));

		if (c == 0) {
			i++, k++;
		} else if (c < 0) {
			d->works[d->n_works++] = (struct diff_item){.added = false, .work = a};
			d->counts.workloads_vanished++;
			i++;
		} else {
			d->works[d->n_works++] = (struct diff_item){.added = true, .work = b};
			d->counts.workloads_appeared++;
			k++;
		}
	}
}

static int diff_check_names(const struct diff *d, const char *what, struct util_err *err)
{
	int r = 0;

	for (size_t i = 0; r == 0 && i < d->n_edges; i++) {
		r = report_name_check(what, learn_workload_id(learn_edge_client(d->edges[i].edge)),
				      err);
		if (r == 0)
			r = report_name_check(
				what, learn_workload_id(learn_edge_server(d->edges[i].edge)), err);
	}
	for (size_t i = 0; r == 0 && i < d->n_works; i++)
		r = report_name_check(what, learn_workload_id(d->works[i].work), err);
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

static void diff_edge_cells(const struct learn_edge *e, const char *cells[DIFF_NCOLS],
			    char pbuf[static 4], char portbuf[static 6])
{
	cells[DIFF_CLIENT] = learn_workload_id(learn_edge_client(e));
	cells[DIFF_SERVER] = learn_workload_id(learn_edge_server(e));
	cells[DIFF_PROTO] = report_proto(learn_edge_proto(e), pbuf);
	cells[DIFF_PORT] = report_port(learn_edge_proto(e), learn_edge_port(e), portbuf);
}

static void text_row(FILE *out, const char *mark, const char *const cells[DIFF_NCOLS],
		     const int widths[DIFF_NCOLS])
{
	fprintf(out, "%s ", mark);
	for (size_t i = 0; i < DIFF_NCOLS; i++) {
		int pad = widths[i] - report_name_width(cells[i]);

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
			widths[i] = report_name_width(titles[i]);
		for (size_t i = 0; i < d->n_edges; i++) {
			const char *cells[DIFF_NCOLS];
			char pbuf[4], portbuf[6];

			diff_edge_cells(d->edges[i].edge, cells, pbuf, portbuf);
			for (size_t c = 0; c < DIFF_NCOLS; c++)
				if (report_name_width(cells[c]) > widths[c])
					widths[c] = report_name_width(cells[c]);
		}
		text_row(out, " ", titles, widths);
		for (size_t i = 0; i < d->n_edges; i++) {
			const char *cells[DIFF_NCOLS];
			char pbuf[4], portbuf[6];

			diff_edge_cells(d->edges[i].edge, cells, pbuf, portbuf);
			text_row(out, d->edges[i].added ? "+" : "-", cells, widths);
		}
		fputc('\n', out);
	}
	if (d->n_works) {
		fputs("  WORKLOAD\n", out);
		for (size_t i = 0; i < d->n_works; i++)
			fprintf(out, "%s %s\n", d->works[i].added ? "+" : "-",
				learn_workload_id(d->works[i].work));
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
			const struct learn_edge *e = d->edges[i].edge;
			char pbuf[4], portbuf[6];

			fprintf(out, "| %s | ", d->edges[i].added ? "**added**" : "removed");
			md_code(out, learn_workload_id(learn_edge_client(e)));
			fputs(" | ", out);
			md_code(out, learn_workload_id(learn_edge_server(e)));
			fprintf(out, " | %s | %s |\n", report_proto(learn_edge_proto(e), pbuf),
				report_port(learn_edge_proto(e), learn_edge_port(e), portbuf));
		}
	}
	if (d->n_works) {
		fputs("\n| change | workload |\n| --- | --- |\n", out);
		for (size_t i = 0; i < d->n_works; i++) {
			fprintf(out, "| %s | ", d->works[i].added ? "appeared" : "vanished");
			md_code(out, learn_workload_id(d->works[i].work));
			fputs(" |\n", out);
		}
	}
}

static int diff_json(FILE *out, const struct diff *d, struct util_err *err)
{
	static const char *const keys[] = {"edges_added", "edges_removed", "workloads_appeared",
					   "workloads_vanished"};
	struct report_json j;
	int r = rj_begin(&j, out, err);

	if (r < 0)
		return r;
	rj_object(&j, true);
	rj_kv_uint(&j, "version", 1);
	/* added first, then removed: each list stays in the graph's order */
	for (size_t k = 0; k < 2; k++) {
		rj_str(&j, keys[k]);
		rj_array(&j, true);
		for (size_t i = 0; i < d->n_edges; i++) {
			const struct learn_edge *e = d->edges[i].edge;

			if (d->edges[i].added != (k == 0))
				continue;
			rj_object(&j, true);
			rj_edge(&j, learn_workload_id(learn_edge_client(e)),
				learn_workload_id(learn_edge_server(e)), learn_edge_proto(e),
				learn_edge_port(e));
			rj_object(&j, false);
		}
		rj_array(&j, false);
	}
	for (size_t k = 2; k < 4; k++) {
		rj_str(&j, keys[k]);
		rj_array(&j, true);
		for (size_t i = 0; i < d->n_works; i++)
			if (d->works[i].added == (k == 2))
				rj_str(&j, learn_workload_id(d->works[i].work));
		rj_array(&j, false);
	}
	rj_object(&j, false);
	return rj_end(&j);
}

int emit_diff(FILE *out, enum emit_report_format format, const struct learn_graph *old_g,
	      const struct learn_graph *new_g, struct emit_diff_counts *ret_counts,
	      struct util_err *err)
{
	char *buf = NULL;
	size_t len = 0;
	struct diff d;
	FILE *mem;
	int r;

	if ((size_t)format >= UTIL_ARRAY_SIZE(report_format_names))
		return util_err_set(err, EINVAL, "unknown report format %d", (int)format);
	diff_compute(old_g, new_g, &d);
	r = diff_check_names(&d, "diff", err);
	if (r < 0)
		goto out;
	mem = open_memstream(&buf, &len);
	if (!mem) {
		r = util_err_set(err, errno, "cannot allocate the output buffer: %s",
				 strerror(errno));
		goto out;
	}
	if (format == EMIT_REPORT_TEXT)
		diff_text(mem, &d);
	else if (format == EMIT_REPORT_MARKDOWN)
		diff_markdown(mem, &d);
	else
		r = diff_json(mem, &d, err);
	if (fclose(mem) != 0 && r == 0)
		r = util_err_set(err, ENOMEM, "cannot render the diff: out of memory");
	if (r == 0)
		r = report_write(out, buf, len, err);
	if (r == 0 && ret_counts)
		*ret_counts = d.counts;
out:
	free(buf);
	free(d.edges);
	free(d.works);
	return r;
}

/* ---- check -------------------------------------------------------------------------------- */

int emit_violation(FILE *out, enum emit_report_format format, const struct emit_violation *v,
		   struct util_err *err)
{
	const char *client = learn_workload_id(v->client), *server = learn_workload_id(v->server);
	char time[UTIL_TIME_LEN], pbuf[4], portbuf[6];
	char *buf = NULL;
	size_t len = 0;
	FILE *mem;
	int r;

	if (format != EMIT_REPORT_TEXT && format != EMIT_REPORT_JSON)
		return util_err_set(err, EINVAL, "check reports as text or json only");
	r = report_name_check("check", client, err);
	if (r == 0)
		r = report_name_check("check", server, err);
	if (r < 0)
		return r;
	util_time_format(v->time_ns, time);
	mem = open_memstream(&buf, &len);
	if (!mem)
		return util_err_set(err, errno, "cannot allocate the output buffer: %s",
				    strerror(errno));
	if (format == EMIT_REPORT_TEXT) {
		fprintf(mem, "%s %s -> %s %s %s\n", time, client, server,
			report_proto(v->proto, pbuf), report_port(v->proto, v->port, portbuf));
	} else {
		struct report_json j;

		r = rj_begin(&j, mem, err);
		if (r == 0) {
			rj_object(&j, true);
			rj_kv_str(&j, "event", "violation");
			rj_kv_str(&j, "time", time);
			rj_edge(&j, client, server, v->proto, v->port);
			rj_object(&j, false);
			r = rj_end(&j);
		}
	}
	if (fclose(mem) != 0 && r == 0)
		r = util_err_set(err, ENOMEM, "cannot render the report: out of memory");
	if (r == 0)
		r = report_write(out, buf, len, err);
	free(buf);
	return r;
}

int emit_check_summary(FILE *out, enum emit_report_format format, uint64_t flows_seen,
		       uint64_t flows, uint64_t edges, struct util_err *err)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *mem;
	int r = 0;

	if (format != EMIT_REPORT_TEXT && format != EMIT_REPORT_JSON)
		return util_err_set(err, EINVAL, "check reports as text or json only");
	mem = open_memstream(&buf, &len);
	if (!mem)
		return util_err_set(err, errno, "cannot allocate the output buffer: %s",
				    strerror(errno));
	if (format == EMIT_REPORT_TEXT) {
		fprintf(mem, "%" PRIu64 " of %" PRIu64 " %s not in the baseline, %" PRIu64 " %s\n",
			flows, flows_seen, flows_seen == 1 ? "flow" : "flows", edges,
			edges == 1 ? "distinct edge" : "distinct edges");
	} else {
		struct report_json j;

		r = rj_begin(&j, mem, err);
		if (r == 0) {
			rj_object(&j, true);
			rj_kv_str(&j, "event", "summary");
			rj_kv_uint(&j, "flows_seen", flows_seen);
			rj_kv_uint(&j, "flows", flows);
			rj_kv_uint(&j, "edges", edges);
			rj_object(&j, false);
			r = rj_end(&j);
		}
	}
	if (fclose(mem) != 0 && r == 0)
		r = util_err_set(err, ENOMEM, "cannot render the report: out of memory");
	if (r == 0)
		r = report_write(out, buf, len, err);
	free(buf);
	return r;
}
