/* SPDX-License-Identifier: Apache-2.0 */
/* test-diff.c - what flowlock diff and check print: every format, hostile names, counts, errors. */
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emit/emit.h"
#include "tests/test-helpers.h"

#define T0  1795356005123456789ull /* 2026-11-22T14:00:05.123456789Z */
#define SEC UTIL_NSEC_PER_SEC

#define TCP  IPPROTO_TCP
#define UDP  IPPROTO_UDP
#define ICMP IPPROTO_ICMP

/* ---- fixtures: graphs as tables of workloads and edges ------------------------------------ */

enum wl {
	W_NONE = 0, /* ends a list */
	W_FRONT,
	W_CART,
	W_DB,
	W_REPORT,
	W_EXT,
	W_NODE,
	W_PIPE,	    /* a '|' would end a markdown table cell */
	W_TICKS,    /* backticks, one leading, and a run of two */
	W_MARKUP,   /* emphasis, a link, HTML, an entity, a mention, an issue, emoji, math */
	W_SPACES,   /* a leading space, which a code span would strip */
	W_BS_PIPE,  /* a backslash before a '|', and one at the end */
	W_NEWLINE,  /* would forge a line or a table row */
	W_ESCAPE,   /* a terminal escape sequence */
	W_BAD_UTF8, /* not UTF-8 at all */
	W_ASTRAL,   /* beyond the BMP: libyaml would write it in a way JSON has not */
	W_COUNT,
};

static const struct {
	enum graph_kind kind;
	const char *ns, *controller, *name;
} wls[W_COUNT] = {
	[W_FRONT] = {GRAPH_KIND_K8S, "shop", "Deployment", "frontend"},
	[W_CART] = {GRAPH_KIND_K8S, "shop", "Deployment", "cart"},
	[W_DB] = {GRAPH_KIND_K8S, "shop", "StatefulSet", "db"},
	[W_REPORT] = {GRAPH_KIND_K8S, "shop", "CronJob", "report"},
	[W_EXT] = {GRAPH_KIND_EXTERNAL, "", "", "203.0.113.7/32"},
	[W_NODE] = {GRAPH_KIND_NODE, "", "", "worker-1"},
	[W_PIPE] = {GRAPH_KIND_DOCKER, "", "", "a|b"},
	[W_TICKS] = {GRAPH_KIND_DOCKER, "", "", "x``y`"},
	[W_MARKUP] = {GRAPH_KIND_DOCKER, "", "", "*b*_i_[l](http://x)<s>&amp;@me#1:a:$x$\\"},
	[W_SPACES] = {GRAPH_KIND_DOCKER, "", "", " x "},
	[W_BS_PIPE] = {GRAPH_KIND_DOCKER, "", "", "a\\|b\\"},
	[W_NEWLINE] = {GRAPH_KIND_DOCKER, "", "", "a\n| x |"},
	[W_ESCAPE] = {GRAPH_KIND_DOCKER, "", "", "\x1b[31mred"},
	[W_BAD_UTF8] = {GRAPH_KIND_DOCKER, "", "", "a\xff"},
	[W_ASTRAL] = {GRAPH_KIND_DOCKER, "", "", "a\xf0\x9f\x98\x80"},
};

struct edge_spec {
	enum wl client, server;
	uint8_t proto;
	uint16_t port;
};

struct graph_spec {
	enum wl wl[8];		   /* up to the first W_NONE */
	struct edge_spec edges[8]; /* up to the first with client W_NONE */
};

/* Built in reverse order too: what is printed must not depend on insertion order. */
static struct graph *graph_build(const struct graph_spec *spec, bool reverse)
{
	struct graph *g = graph_new();
	struct graph_workload *w[W_COUNT] = {0};
	size_t nw = 0, ne = 0;

	while (nw < UTIL_ARRAY_SIZE(spec->wl) && spec->wl[nw] != W_NONE)
		nw++;
	while (ne < UTIL_ARRAY_SIZE(spec->edges) && spec->edges[ne].client != W_NONE)
		ne++;
	for (size_t k = 0; k < nw; k++) {
		enum wl i = spec->wl[reverse ? nw - 1 - k : k];

		w[i] = graph_workload_new(wls[i].kind, wls[i].ns, wls[i].controller, wls[i].name);
		(void)graph_add_workload(g, w[i]);
	}
	for (size_t k = 0; k < ne; k++) {
		const struct edge_spec *e = &spec->edges[reverse ? ne - 1 - k : k];

		ck_assert_msg(w[e->client] && w[e->server], "fixture edge %d -> %d: no workload",
			      e->client, e->server);
		graph_add_edge(g, w[e->client], w[e->server], e->proto, e->port, 1, T0, T0);
	}
	for (size_t i = 0; i < W_COUNT; i++)
		graph_workload_unref(w[i]);
	return g;
}

static const struct graph_spec g_empty = {{W_NONE}, {{W_NONE}}};

static const struct graph_spec g_shop = {
	{W_FRONT, W_CART, W_DB, W_EXT, W_NODE},
	{
		{W_FRONT, W_CART, TCP, 8080},
		{W_CART, W_DB, TCP, 5432},
		{W_NODE, W_FRONT, TCP, 8080},
		{W_EXT, W_FRONT, TCP, 8080},
	},
};

/* the shop a release later: a new workload and edges, one edge gone, a peer gone */
static const struct graph_spec g_shop2 = {
	{W_FRONT, W_CART, W_DB, W_REPORT, W_NODE},
	{
		{W_FRONT, W_CART, TCP, 8080},
		{W_FRONT, W_CART, TCP, 9090},
		{W_CART, W_DB, TCP, 5432},
		{W_CART, W_DB, ICMP, 0},
		{W_REPORT, W_DB, 47, 0},
		{W_NODE, W_FRONT, TCP, 8080},
	},
};

/* the same edge count, other edges: added and removed must both be seen */
static const struct graph_spec g_swapped = {
	{W_FRONT, W_CART, W_DB, W_EXT, W_NODE},
	{
		{W_FRONT, W_CART, UDP, 8080},
		{W_CART, W_DB, TCP, 5432},
		{W_NODE, W_FRONT, TCP, 8080},
		{W_EXT, W_FRONT, TCP, 8081},
	},
};

static const struct graph_spec g_hostile = {
	{W_FRONT, W_PIPE, W_TICKS, W_MARKUP, W_SPACES, W_BS_PIPE},
	{
		{W_PIPE, W_FRONT, TCP, 80},
		{W_FRONT, W_BS_PIPE, TCP, 443},
		{W_TICKS, W_MARKUP, TCP, 81},
		{W_SPACES, W_FRONT, UDP, 53},
	},
};

#define ONE_EDGE_TO(w)                                                                             \
	{                                                                                          \
		{W_FRONT, w},                                                                      \
		{                                                                                  \
			{                                                                          \
				W_FRONT, w, TCP, 80                                                \
			}                                                                          \
		}                                                                                  \
	}
static const struct graph_spec g_front = {{W_FRONT}, {{W_NONE}}};
static const struct graph_spec g_newline = ONE_EDGE_TO(W_NEWLINE);
static const struct graph_spec g_escape = ONE_EDGE_TO(W_ESCAPE);
static const struct graph_spec g_bad_utf8 = ONE_EDGE_TO(W_BAD_UTF8);
static const struct graph_spec g_astral = ONE_EDGE_TO(W_ASTRAL);
/* a workload that vanished is shown too, so its name is checked as well */
static const struct graph_spec g_escape_alone = {{W_ESCAPE}, {{W_NONE}}};

/* ---- helpers ------------------------------------------------------------------------------ */

static void diff_render(const struct graph_spec *a, const struct graph_spec *b,
			enum emit_report_format fmt, bool reverse, struct emit_diff_counts *counts,
			struct test_output *o)
{
	struct graph *ga = graph_build(a, reverse), *gb = graph_build(b, !reverse);
	FILE *f;

	f = test_output_open(o);
	o->r = emit_diff(f, fmt, ga, gb, counts, &o->err);
	ck_assert_int_eq(fclose(f), 0);
	graph_free(ga);
	graph_free(gb);
}

/* The strictest JSON reader at hand, python3 (the python tcase): every line one JSON value. */
static void json_check_python(const char *buf, size_t len)
{
	static const char code[] = "import json,sys\n"
				   "lines = sys.stdin.read().split(\"\\n\")\n"
				   "assert lines[-1] == \"\"\n"
				   "for l in lines[:-1]: json.loads(l)\n";

	ck_assert_msg(test_python_accepts(code, buf, len),
		      "python3 does not read the output as JSON:\n%.*s", (int)len, buf);
}

/*
 * Every row of a markdown table has as many cell separators as its header: a name that ended a
 * cell early or started a new row would show here. A '|' after a backslash is part of a cell.
 */
static void markdown_check_rows(const char *buf, size_t len)
{
	size_t want = 0;
	bool in_table = false;

	for (const char *line = buf; line < buf + len;) {
		const char *end = memchr(line, '\n', (size_t)(buf + len - line));
		size_t pipes = 0;

		ck_assert_ptr_nonnull(end);
		for (const char *p = line; p < end; p++)
			pipes += *p == '|' && (p == line || p[-1] != '\\');
		if (line[0] == '|') {
			if (!in_table)
				want = pipes;
			ck_assert_msg(pipes == want,
				      "a row with %zu cell separators, %zu wanted: %.*s", pipes,
				      want, (int)(end - line), line);
			in_table = true;
		} else {
			ck_assert_msg(pipes == 0, "a '|' outside a table: %.*s", (int)(end - line),
				      line);
			in_table = false;
		}
		line = end + 1;
	}
}

/* ---- diff: every format on small graphs ----------------------------------------------------- */

static const struct diff_case {
	const char *what;
	const struct graph_spec *old_g, *new_g;
	enum emit_report_format fmt;
	struct emit_diff_counts counts;
	const char *expect;
} diff_cases[] = {
	{"nothing changed",
	 &g_shop,
	 &g_shop,
	 EMIT_REPORT_TEXT,
	 {0, 0, 0, 0},
	 "0 edges added, 0 removed; 0 workloads appeared, 0 vanished\n"},
	{"nothing changed",
	 &g_shop,
	 &g_shop,
	 EMIT_REPORT_MARKDOWN,
	 {0, 0, 0, 0},
	 "**flowlock diff**: 0 edges added, 0 removed; 0 workloads appeared, 0 vanished.\n"},
	{"nothing changed",
	 &g_shop,
	 &g_shop,
	 EMIT_REPORT_JSON,
	 {0, 0, 0, 0},
	 "{\"version\": 1, \"edges_added\": [], \"edges_removed\": [], \"workloads_appeared\": [], "
	 "\"workloads_vanished\": []}\n"},
	{"two empty graphs",
	 &g_empty,
	 &g_empty,
	 EMIT_REPORT_TEXT,
	 {0, 0, 0, 0},
	 "0 edges added, 0 removed; 0 workloads appeared, 0 vanished\n"},
	{"a release later",
	 &g_shop,
	 &g_shop2,
	 EMIT_REPORT_TEXT,
	 {3, 1, 1, 1},
	 "  CLIENT                        SERVER                        PROTO  PORT\n"
	 "- external:203.0.113.7/32       k8s:shop/deployment/frontend  TCP    8080\n"
	 "+ k8s:shop/cronjob/report       k8s:shop/statefulset/db       47        0\n"
	 "+ k8s:shop/deployment/cart      k8s:shop/statefulset/db       ICMP      -\n"
	 "+ k8s:shop/deployment/frontend  k8s:shop/deployment/cart      TCP    9090\n"
	 "\n"
	 "  WORKLOAD\n"
	 "- external:203.0.113.7/32\n"
	 "+ k8s:shop/cronjob/report\n"
	 "\n"
	 "3 edges added, 1 removed; 1 workload appeared, 1 vanished\n"},
	{"a release later",
	 &g_shop,
	 &g_shop2,
	 EMIT_REPORT_MARKDOWN,
	 {3, 1, 1, 1},
	 "**flowlock diff**: 3 edges added, 1 removed; 1 workload appeared, 1 vanished.\n"
	 "\n"
	 "| change | client | server | protocol | port |\n"
	 "| --- | --- | --- | --- | ---: |\n"
	 "| removed | `external:203.0.113.7/32` | `k8s:shop/deployment/frontend` | TCP | 8080 |\n"
	 "| **added** | `k8s:shop/cronjob/report` | `k8s:shop/statefulset/db` | 47 | 0 |\n"
	 "| **added** | `k8s:shop/deployment/cart` | `k8s:shop/statefulset/db` | ICMP | - |\n"
	 "| **added** | `k8s:shop/deployment/frontend` | `k8s:shop/deployment/cart` | TCP | 9090 "
	 "|\n"
	 "\n"
	 "| change | workload |\n"
	 "| --- | --- |\n"
	 "| vanished | `external:203.0.113.7/32` |\n"
	 "| appeared | `k8s:shop/cronjob/report` |\n"},
	{"a release later",
	 &g_shop,
	 &g_shop2,
	 EMIT_REPORT_JSON,
	 {3, 1, 1, 1},
	 "{\"version\": 1, \"edges_added\": [{\"client\": \"k8s:shop/cronjob/report\", \"server\": "
	 "\"k8s:shop/statefulset/db\", \"protocol\": \"47\", \"port\": 0}, {\"client\": "
	 "\"k8s:shop/deployment/cart\", \"server\": \"k8s:shop/statefulset/db\", \"protocol\": "
	 "\"ICMP\", \"port\": 0}, {\"client\": \"k8s:shop/deployment/frontend\", \"server\": "
	 "\"k8s:shop/deployment/cart\", \"protocol\": \"TCP\", \"port\": 9090}], "
	 "\"edges_removed\": [{\"client\": \"external:203.0.113.7/32\", \"server\": "
	 "\"k8s:shop/deployment/frontend\", \"protocol\": \"TCP\", \"port\": 8080}], "
	 "\"workloads_appeared\": [\"k8s:shop/cronjob/report\"], \"workloads_vanished\": "
	 "[\"external:203.0.113.7/32\"]}\n"},
	{"everything undone",
	 &g_shop2,
	 &g_shop,
	 EMIT_REPORT_TEXT,
	 {1, 3, 1, 1},
	 "  CLIENT                        SERVER                        PROTO  PORT\n"
	 "+ external:203.0.113.7/32       k8s:shop/deployment/frontend  TCP    8080\n"
	 "- k8s:shop/cronjob/report       k8s:shop/statefulset/db       47        0\n"
	 "- k8s:shop/deployment/cart      k8s:shop/statefulset/db       ICMP      -\n"
	 "- k8s:shop/deployment/frontend  k8s:shop/deployment/cart      TCP    9090\n"
	 "\n"
	 "  WORKLOAD\n"
	 "+ external:203.0.113.7/32\n"
	 "- k8s:shop/cronjob/report\n"
	 "\n"
	 "1 edge added, 3 removed; 1 workload appeared, 1 vanished\n"},
	{"protocol and port changed",
	 &g_shop,
	 &g_swapped,
	 EMIT_REPORT_TEXT,
	 {2, 2, 0, 0},
	 "  CLIENT                        SERVER                        PROTO  PORT\n"
	 "- external:203.0.113.7/32       k8s:shop/deployment/frontend  TCP    8080\n"
	 "+ external:203.0.113.7/32       k8s:shop/deployment/frontend  TCP    8081\n"
	 "- k8s:shop/deployment/frontend  k8s:shop/deployment/cart      TCP    8080\n"
	 "+ k8s:shop/deployment/frontend  k8s:shop/deployment/cart      UDP    8080\n"
	 "\n"
	 "2 edges added, 2 removed; 0 workloads appeared, 0 vanished\n"},
	{"from nothing",
	 &g_empty,
	 &g_front,
	 EMIT_REPORT_TEXT,
	 {0, 0, 1, 0},
	 "  WORKLOAD\n"
	 "+ k8s:shop/deployment/frontend\n"
	 "\n"
	 "0 edges added, 0 removed; 1 workload appeared, 0 vanished\n"},
	{"from nothing",
	 &g_empty,
	 &g_front,
	 EMIT_REPORT_JSON,
	 {0, 0, 1, 0},
	 "{\"version\": 1, \"edges_added\": [], \"edges_removed\": [], \"workloads_appeared\": "
	 "[\"k8s:shop/deployment/frontend\"], \"workloads_vanished\": []}\n"},
	/* names are untrusted: inert in every format */
	{"hostile names",
	 &g_front,
	 &g_hostile,
	 EMIT_REPORT_MARKDOWN,
	 {4, 0, 5, 0},
	 "**flowlock diff**: 4 edges added, 0 removed; 5 workloads appeared, 0 vanished.\n"
	 "\n"
	 "| change | client | server | protocol | port |\n"
	 "| --- | --- | --- | --- | ---: |\n"
	 "| **added** | ` docker: x  ` | `k8s:shop/deployment/frontend` | UDP | 53 |\n"
	 "| **added** | `docker:a\\|b` | `k8s:shop/deployment/frontend` | TCP | 80 |\n"
	 "| **added** | ``` docker:x``y` ``` | `docker:*b*_i_[l](http://x)<s>&amp;@me#1:a:$x$\\` | "
	 "TCP | 81 |\n"
	 "| **added** | `k8s:shop/deployment/frontend` | `docker:a\\\\|b\\` | TCP | 443 |\n"
	 "\n"
	 "| change | workload |\n"
	 "| --- | --- |\n"
	 "| appeared | ` docker: x  ` |\n"
	 "| appeared | `docker:*b*_i_[l](http://x)<s>&amp;@me#1:a:$x$\\` |\n"
	 "| appeared | `docker:a\\\\|b\\` |\n"
	 "| appeared | `docker:a\\|b` |\n"
	 "| appeared | ``` docker:x``y` ``` |\n"},
	{"hostile names",
	 &g_front,
	 &g_hostile,
	 EMIT_REPORT_JSON,
	 {4, 0, 5, 0},
	 "{\"version\": 1, \"edges_added\": [{\"client\": \"docker: x \", \"server\": "
	 "\"k8s:shop/deployment/frontend\", \"protocol\": \"UDP\", \"port\": 53}, {\"client\": "
	 "\"docker:a|b\", \"server\": \"k8s:shop/deployment/frontend\", \"protocol\": \"TCP\", "
	 "\"port\": 80}, {\"client\": \"docker:x``y`\", \"server\": "
	 "\"docker:*b*_i_[l](http://x)<s>&amp;@me#1:a:$x$\\\\\", \"protocol\": \"TCP\", \"port\": "
	 "81}, {\"client\": \"k8s:shop/deployment/frontend\", \"server\": \"docker:a\\\\|b\\\\\", "
	 "\"protocol\": \"TCP\", \"port\": 443}], \"edges_removed\": [], \"workloads_appeared\": "
	 "[\"docker: x \", \"docker:*b*_i_[l](http://x)<s>&amp;@me#1:a:$x$\\\\\", "
	 "\"docker:a\\\\|b\\\\\", \"docker:a|b\", \"docker:x``y`\"], \"workloads_vanished\": "
	 "[]}\n"},
	{"hostile names",
	 &g_front,
	 &g_hostile,
	 EMIT_REPORT_TEXT,
	 {4, 0, 5, 0},
	 "  CLIENT                        SERVER                                          PROTO  "
	 "PORT\n"
	 "+ docker: x                     k8s:shop/deployment/frontend                    UDP      "
	 "53\n"
	 "+ docker:a|b                    k8s:shop/deployment/frontend                    TCP      "
	 "80\n"
	 "+ docker:x``y`                  docker:*b*_i_[l](http://x)<s>&amp;@me#1:a:$x$\\  TCP     "
	 " 81\n"
	 "+ k8s:shop/deployment/frontend  docker:a\\|b\\                                    TCP    "
	 " 443\n"
	 "\n"
	 "  WORKLOAD\n"
	 "+ docker: x \n"
	 "+ docker:*b*_i_[l](http://x)<s>&amp;@me#1:a:$x$\\\n"
	 "+ docker:a\\|b\\\n"
	 "+ docker:a|b\n"
	 "+ docker:x``y`\n"
	 "\n"
	 "4 edges added, 0 removed; 5 workloads appeared, 0 vanished\n"},
};

START_TEST(test_diff)
{
	const struct diff_case *tc = &diff_cases[_i];
	struct emit_diff_counts counts = {99, 99, 99, 99};
	struct test_output o, again;

	diff_render(tc->old_g, tc->new_g, tc->fmt, false, &counts, &o);
	ck_assert_msg(o.r == 0, "%s: %d %s", tc->what, o.r, o.err.msg);
	ck_assert_msg(o.len == strlen(tc->expect) && memcmp(o.buf, tc->expect, o.len) == 0,
		      "%s: got\n%.*s\nexpected\n%s", tc->what, (int)o.len, o.buf, tc->expect);
	ck_assert_uint_eq(counts.edges_added, tc->counts.edges_added);
	ck_assert_uint_eq(counts.edges_removed, tc->counts.edges_removed);
	ck_assert_uint_eq(counts.workloads_appeared, tc->counts.workloads_appeared);
	ck_assert_uint_eq(counts.workloads_vanished, tc->counts.workloads_vanished);
	if (tc->fmt == EMIT_REPORT_MARKDOWN)
		markdown_check_rows(o.buf, o.len);

	/* the same graphs built in another order give the same bytes; counts may be left out */
	diff_render(tc->old_g, tc->new_g, tc->fmt, true, NULL, &again);
	ck_assert_int_eq(again.r, 0);
	ck_assert_msg(again.len == o.len && memcmp(again.buf, o.buf, o.len) == 0,
		      "%s: insertion order changed the output", tc->what);
	free(o.buf);
	free(again.buf);
}
END_TEST

/* ---- diff: names that cannot be shown safely are refused, with nothing written ------------- */

static const struct {
	const struct graph_spec *old_g, *new_g;
	enum emit_report_format fmt;
} refused_cases[] = {
	{&g_front, &g_newline, EMIT_REPORT_TEXT},
	{&g_front, &g_newline, EMIT_REPORT_MARKDOWN},
	{&g_front, &g_newline, EMIT_REPORT_JSON},
	{&g_front, &g_escape, EMIT_REPORT_TEXT},
	{&g_front, &g_escape, EMIT_REPORT_MARKDOWN},
	{&g_escape, &g_front, EMIT_REPORT_JSON},
	{&g_front, &g_bad_utf8, EMIT_REPORT_TEXT},
	{&g_bad_utf8, &g_front, EMIT_REPORT_MARKDOWN},
	{&g_front, &g_astral, EMIT_REPORT_JSON},
	{&g_escape_alone, &g_empty, EMIT_REPORT_TEXT},
	{&g_empty, &g_escape_alone, EMIT_REPORT_MARKDOWN},
};

START_TEST(test_diff_refused)
{
	struct emit_diff_counts counts = {7, 7, 7, 7};
	struct test_output o;

	diff_render(refused_cases[_i].old_g, refused_cases[_i].new_g, refused_cases[_i].fmt, false,
		    &counts, &o);
	ck_assert_int_eq(o.r, -EINVAL);
	ck_assert_msg(o.len == 0, "%zu bytes written before failing: %.*s", o.len, (int)o.len,
		      o.buf);
	ck_assert_ptr_nonnull(strstr(o.err.msg, "diff: a workload id holds a control character"));
	for (const char *c = o.err.msg; *c; c++)
		ck_assert_msg((unsigned char)*c >= 0x20 && *c != 0x7f,
			      "a control character in the error");
	/* ret_counts is written only on success */
	ck_assert_uint_eq(counts.edges_added, 7);
	ck_assert_uint_eq(counts.workloads_vanished, 7);
	free(o.buf);
}
END_TEST

/* ---- check: one line per violation, and the summary ---------------------------------------- */

static const struct violation_case {
	const char *what;
	enum wl client, server;
	uint8_t proto;
	uint16_t port;
	enum emit_report_format fmt;
	int ret;
	const char *expect; /* the line, or for ret < 0 part of the error */
	enum capture_outcome outcome;
} violation_cases[] = {
	{"TCP", W_REPORT, W_DB, TCP, 5432, EMIT_REPORT_TEXT, 0,
	 "2026-11-22T14:00:05.123456789Z k8s:shop/cronjob/report -> k8s:shop/statefulset/db TCP "
	 "5432\n",
	 CAPTURE_SERVED},
	{"TCP", W_REPORT, W_DB, TCP, 5432, EMIT_REPORT_JSON, 0,
	 "{\"event\": \"violation\", \"time\": \"2026-11-22T14:00:05.123456789Z\", \"client\": "
	 "\"k8s:shop/cronjob/report\", \"server\": \"k8s:shop/statefulset/db\", \"protocol\": "
	 "\"TCP\", \"port\": 5432}\n",
	 CAPTURE_SERVED},
	{"ICMP", W_NODE, W_EXT, ICMP, 0, EMIT_REPORT_TEXT, 0,
	 "2026-11-22T14:00:05.123456789Z node:worker-1 -> external:203.0.113.7/32 ICMP -\n",
	 CAPTURE_SERVED},
	{"ICMP", W_NODE, W_EXT, ICMP, 0, EMIT_REPORT_JSON, 0,
	 "{\"event\": \"violation\", \"time\": \"2026-11-22T14:00:05.123456789Z\", \"client\": "
	 "\"node:worker-1\", \"server\": \"external:203.0.113.7/32\", \"protocol\": \"ICMP\", "
	 "\"port\": 0}\n",
	 CAPTURE_SERVED},
	{"a protocol without a name", W_FRONT, W_EXT, 132 + 1, 7, EMIT_REPORT_TEXT, 0,
	 "2026-11-22T14:00:05.123456789Z k8s:shop/deployment/frontend -> external:203.0.113.7/32 "
	 "133 7\n",
	 CAPTURE_SERVED},
	{"quotes and backslashes", W_MARKUP, W_TICKS, UDP, 1, EMIT_REPORT_JSON, 0,
	 "{\"event\": \"violation\", \"time\": \"2026-11-22T14:00:05.123456789Z\", \"client\": "
	 "\"docker:*b*_i_[l](http://x)<s>&amp;@me#1:a:$x$\\\\\", \"server\": \"docker:x``y`\", "
	 "\"protocol\": \"UDP\", \"port\": 1}\n",
	 CAPTURE_SERVED},
	{"a newline", W_NEWLINE, W_DB, TCP, 1, EMIT_REPORT_TEXT, -EINVAL,
	 "check: a workload id holds a control character", CAPTURE_SERVED},
	{"a terminal escape", W_DB, W_ESCAPE, TCP, 1, EMIT_REPORT_JSON, -EINVAL,
	 "check: a workload id holds a control character", CAPTURE_SERVED},
	{"markdown is for diff", W_REPORT, W_DB, TCP, 5432, EMIT_REPORT_MARKDOWN, -EINVAL,
	 "text or json only", CAPTURE_SERVED},
	{"refused", W_REPORT, W_DB, TCP, 22, EMIT_REPORT_TEXT, 0,
	 "2026-11-22T14:00:05.123456789Z k8s:shop/cronjob/report -> k8s:shop/statefulset/db TCP "
	 "22 (attempt: refused)\n",
	 CAPTURE_REFUSED},
	{"unanswered", W_REPORT, W_DB, UDP, 161, EMIT_REPORT_JSON, 0,
	 "{\"event\": \"attempt\", \"time\": \"2026-11-22T14:00:05.123456789Z\", \"client\": "
	 "\"k8s:shop/cronjob/report\", \"server\": \"k8s:shop/statefulset/db\", \"protocol\": "
	 "\"UDP\", \"port\": 161, \"outcome\": \"unanswered\"}\n",
	 CAPTURE_UNANSWERED},
	{"refused ICMP", W_NODE, W_EXT, ICMP, 0, EMIT_REPORT_JSON, 0,
	 "{\"event\": \"attempt\", \"time\": \"2026-11-22T14:00:05.123456789Z\", \"client\": "
	 "\"node:worker-1\", \"server\": \"external:203.0.113.7/32\", \"protocol\": \"ICMP\", "
	 "\"port\": 0, \"outcome\": \"refused\"}\n",
	 CAPTURE_REFUSED},
	{"an attempt with a terminal escape", W_DB, W_ESCAPE, TCP, 1, EMIT_REPORT_TEXT, -EINVAL,
	 "check: a workload id holds a control character", CAPTURE_REFUSED},
};

static void violation_render(const struct violation_case *tc, struct test_output *o)
{
	struct graph_workload *c =
		graph_workload_new(wls[tc->client].kind, wls[tc->client].ns,
				   wls[tc->client].controller, wls[tc->client].name);
	struct graph_workload *s =
		graph_workload_new(wls[tc->server].kind, wls[tc->server].ns,
				   wls[tc->server].controller, wls[tc->server].name);
	struct learn_violation v = {T0, c, s, tc->proto, tc->port, tc->outcome};
	FILE *f = test_output_open(o);

	o->r = emit_violation(f, tc->fmt, &v, &o->err);
	ck_assert_int_eq(fclose(f), 0);
	graph_workload_unref(c);
	graph_workload_unref(s);
}

START_TEST(test_violation)
{
	const struct violation_case *tc = &violation_cases[_i];
	struct test_output o;

	violation_render(tc, &o);
	ck_assert_msg(o.r == tc->ret, "%s: %d (%s)", tc->what, o.r, o.err.msg);
	if (tc->ret < 0) {
		ck_assert_uint_eq(o.len, 0);
		ck_assert_msg(strstr(o.err.msg, tc->expect), "%s: \"%s\" not in \"%s\"", tc->what,
			      tc->expect, o.err.msg);
	} else {
		ck_assert_msg(o.len == strlen(tc->expect) && memcmp(o.buf, tc->expect, o.len) == 0,
			      "%s: got\n%.*s\nexpected\n%s", tc->what, (int)o.len, o.buf,
			      tc->expect);
	}
	free(o.buf);
}
END_TEST

static const struct {
	uint64_t seen, flows, edges;
	enum emit_report_format fmt;
	const char *expect;
	uint64_t attempts;
} summary_cases[] = {
	{97, 2, 1, EMIT_REPORT_TEXT, "2 of 97 flows not in the baseline, 1 distinct edge\n", 0},
	{97, 0, 0, EMIT_REPORT_TEXT, "0 of 97 flows not in the baseline, 0 distinct edges\n", 0},
	{1, 1, 1, EMIT_REPORT_TEXT, "1 of 1 flow not in the baseline, 1 distinct edge\n", 0},
	{0, 0, 0, EMIT_REPORT_TEXT, "0 of 0 flows not in the baseline, 0 distinct edges\n", 0},
	{18446744073709551615ull, 3, 2, EMIT_REPORT_TEXT,
	 "3 of 18446744073709551615 flows not in the baseline, 2 distinct edges\n", 0},
	{97, 2, 1, EMIT_REPORT_JSON,
	 "{\"event\": \"summary\", \"flows_seen\": 97, \"flows\": 2, \"edges\": 1}\n", 0},
	{0, 0, 0, EMIT_REPORT_JSON,
	 "{\"event\": \"summary\", \"flows_seen\": 0, \"flows\": 0, \"edges\": 0}\n", 0},
	{97, 2, 1, EMIT_REPORT_MARKDOWN, NULL, 0},
	{97, 0, 0, EMIT_REPORT_TEXT,
	 "0 of 97 flows not in the baseline, 0 distinct edges; 321 attempts (refused or "
	 "unanswered)\n",
	 321},
	{97, 1, 1, EMIT_REPORT_TEXT,
	 "1 of 97 flows not in the baseline, 1 distinct edge; 1 attempt (refused or "
	 "unanswered)\n",
	 1},
	{97, 2, 1, EMIT_REPORT_JSON,
	 "{\"event\": \"summary\", \"flows_seen\": 97, \"flows\": 2, \"edges\": 1, "
	 "\"attempts\": 5}\n",
	 5},
};

static void summary_render(size_t i, struct test_output *o)
{
	FILE *f = test_output_open(o);

	o->r = emit_check_summary(f, summary_cases[i].fmt, summary_cases[i].seen,
				  summary_cases[i].flows, summary_cases[i].edges,
				  summary_cases[i].attempts, &o->err);
	ck_assert_int_eq(fclose(f), 0);
}

START_TEST(test_summary)
{
	struct test_output o;

	summary_render((size_t)_i, &o);
	if (!summary_cases[_i].expect) {
		ck_assert_int_eq(o.r, -EINVAL);
		ck_assert_uint_eq(o.len, 0);
	} else {
		ck_assert_int_eq(o.r, 0);
		ck_assert_uint_eq(o.len, strlen(summary_cases[_i].expect));
		ck_assert_mem_eq(o.buf, summary_cases[_i].expect, o.len);
	}
	free(o.buf);
}
END_TEST

/* ---- format names and write errors -------------------------------------------------------- */

static const struct {
	const char *name;
	int ret;
	enum emit_report_format fmt;
} format_cases[] = {
	{"text", 0, EMIT_REPORT_TEXT}, {"markdown", 0, EMIT_REPORT_MARKDOWN},
	{"json", 0, EMIT_REPORT_JSON}, {"md", -EINVAL, 0},
	{"JSON", -EINVAL, 0},	       {"", -EINVAL, 0},
	{"text ", -EINVAL, 0},	       {"k8s", -EINVAL, 0},
};

START_TEST(test_format_names)
{
	enum emit_report_format fmt = (enum emit_report_format)42;

	ck_assert_int_eq(emit_report_format_from_name(format_cases[_i].name, &fmt),
			 format_cases[_i].ret);
	ck_assert_int_eq(fmt, format_cases[_i].ret == 0 ? format_cases[_i].fmt : 42);
}
END_TEST

static const enum emit_report_format all_formats[] = {EMIT_REPORT_TEXT, EMIT_REPORT_MARKDOWN,
						      EMIT_REPORT_JSON};

START_TEST(test_write_error)
{
	struct graph *a = graph_build(&g_shop, false), *b = graph_build(&g_shop2, false);
	struct emit_diff_counts counts = {5, 5, 5, 5};
	struct util_err err = {{0}};
	FILE *full = test_full_stream();

	ck_assert_int_eq(emit_diff(full, all_formats[_i], a, b, &counts, &err), -EIO);
	ck_assert_str_ne(err.msg, "");
	ck_assert_uint_eq(counts.edges_added, 5);
	fclose(full);
	graph_free(a);
	graph_free(b);
}
END_TEST

START_TEST(test_unknown_format)
{
	struct graph *g = graph_new();
	struct util_err err = {{0}};

	ck_assert_int_eq(emit_diff(stdout, (enum emit_report_format)9, g, g, NULL, &err), -EINVAL);
	ck_assert_str_ne(err.msg, "");
	graph_free(g);
}
END_TEST

/* ---- python3 reads every JSON line back (the python tcase: meson's diff-python) ----------- */

/* The rows of the tables above that write JSON, filled in by diff_suite(). */
static size_t json_diffs[UTIL_ARRAY_SIZE(diff_cases)], n_json_diffs;
static size_t json_violations[UTIL_ARRAY_SIZE(violation_cases)], n_json_violations;
static size_t json_summaries[UTIL_ARRAY_SIZE(summary_cases)], n_json_summaries;

START_TEST(test_diff_python)
{
	const struct diff_case *tc = &diff_cases[json_diffs[_i]];
	struct test_output o;

	diff_render(tc->old_g, tc->new_g, tc->fmt, false, NULL, &o);
	ck_assert_msg(o.r == 0, "%s: %d %s", tc->what, o.r, o.err.msg);
	json_check_python(o.buf, o.len);
	free(o.buf);
}
END_TEST

START_TEST(test_violation_python)
{
	const struct violation_case *tc = &violation_cases[json_violations[_i]];
	struct test_output o;

	violation_render(tc, &o);
	ck_assert_msg(o.r == 0, "%s: %d (%s)", tc->what, o.r, o.err.msg);
	json_check_python(o.buf, o.len);
	free(o.buf);
}
END_TEST

START_TEST(test_summary_python)
{
	struct test_output o;

	summary_render(json_summaries[_i], &o);
	ck_assert_int_eq(o.r, 0);
	json_check_python(o.buf, o.len);
	free(o.buf);
}
END_TEST

static Suite *diff_suite(void)
{
	Suite *s = suite_create("diff");
	TCase *tc = tcase_create("diff");

	for (size_t i = 0; i < UTIL_ARRAY_SIZE(diff_cases); i++)
		if (diff_cases[i].fmt == EMIT_REPORT_JSON)
			json_diffs[n_json_diffs++] = i;
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(violation_cases); i++)
		if (violation_cases[i].fmt == EMIT_REPORT_JSON && violation_cases[i].ret == 0)
			json_violations[n_json_violations++] = i;
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(summary_cases); i++)
		if (summary_cases[i].fmt == EMIT_REPORT_JSON && summary_cases[i].expect)
			json_summaries[n_json_summaries++] = i;

	tcase_add_loop_test(tc, test_diff, 0, (int)UTIL_ARRAY_SIZE(diff_cases));
	tcase_add_loop_test(tc, test_diff_refused, 0, (int)UTIL_ARRAY_SIZE(refused_cases));
	tcase_add_loop_test(tc, test_violation, 0, (int)UTIL_ARRAY_SIZE(violation_cases));
	tcase_add_loop_test(tc, test_summary, 0, (int)UTIL_ARRAY_SIZE(summary_cases));
	tcase_add_loop_test(tc, test_format_names, 0, (int)UTIL_ARRAY_SIZE(format_cases));
	tcase_add_loop_test(tc, test_write_error, 0, (int)UTIL_ARRAY_SIZE(all_formats));
	tcase_add_test(tc, test_unknown_format);
	suite_add_tcase(s, tc);
	tc = tcase_create(TEST_NEEDS_PYTHON);
	tcase_set_tags(tc, TEST_NEEDS_PYTHON);
	tcase_add_loop_test(tc, test_diff_python, 0, (int)n_json_diffs);
	tcase_add_loop_test(tc, test_violation_python, 0, (int)n_json_violations);
	tcase_add_loop_test(tc, test_summary_python, 0, (int)n_json_summaries);
	suite_add_tcase(s, tc);
	return s;
}

int main(int argc, char **argv)
{
	return test_main(argc, argv, diff_suite());
}
