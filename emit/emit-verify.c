/* SPDX-License-Identifier: Apache-2.0 */
/*
 * emit-verify.c - flowlock verify's report: the observed edges the policies would deny, the
 * unknown peers, the pairs they allow beyond what was observed, the workloads no policy isolates,
 * and the summary line. Column widths follow the longest id, so the tables line up.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emit/emit.h"
#include "policy/policy.h"

static int verify_width(int w, const char *s)
{
	int n = (int)strlen(s);

	return n > w ? n : w;
}

static void verify_port(const struct graph_edge *e, char buf[static 8])
{
	if (util_proto_has_ports(graph_edge_proto(e)))
		snprintf(buf, 8, "%u", (unsigned)graph_edge_port(e));
	else
		snprintf(buf, 8, "-");
}

/* The columns an edge takes in a table, CLIENT SERVER PROTO PORT CONNS, and the widths that fit
 * every row: verify_cols_fit each edge, then verify_cols_header, then verify_cols_edge each. */
struct verify_cols {
	int client, server, conns;
};

static void verify_cols_fit(struct verify_cols *c, const struct graph_edge *e)
{
	char conns[UTIL_U64_LEN];

	util_u64_format(graph_edge_connections(e), conns);
	c->client = verify_width(c->client, graph_workload_id(graph_edge_client(e)));
	c->server = verify_width(c->server, graph_workload_id(graph_edge_server(e)));
	c->conns = verify_width(c->conns, conns);
}

/* Widens the columns to their titles too, then prints the titles. */
static void verify_cols_header(FILE *f, struct verify_cols *c)
{
	c->client = verify_width(c->client, "CLIENT");
	c->server = verify_width(c->server, "SERVER");
	c->conns = verify_width(c->conns, "CONNS");
	fprintf(f, "%-*s  %-*s  %-5s  %5s  %*s", c->client, "CLIENT", c->server, "SERVER", "PROTO",
		"PORT", c->conns, "CONNS");
}

static void verify_cols_edge(FILE *f, const struct verify_cols *c, const struct graph_edge *e)
{
	char port[8], conns[UTIL_U64_LEN];

	verify_port(e, port);
	util_u64_format(graph_edge_connections(e), conns);
	fprintf(f, "%-*s  %-*s  %-5s  %5s  %*s", c->client, graph_workload_id(graph_edge_client(e)),
		c->server, graph_workload_id(graph_edge_server(e)),
		util_proto_name(graph_edge_proto(e)), port, c->conns, conns);
}

static void verify_breaks(FILE *f, const struct policy_report *r)
{
	struct verify_cols c = {0};
	size_t n = policy_report_break_count(r);

	for (size_t i = 0; i < n; i++)
		verify_cols_fit(&c, policy_report_break_edge(r, i));
	fprintf(f, "WOULD BREAK (observed, denied by the policies)\n");
	verify_cols_header(f, &c);
	fputs("  DENIED BY\n", f);
	for (size_t i = 0; i < n; i++) {
		const struct graph_edge *e = policy_report_break_edge(r, i);

		verify_cols_edge(f, &c, e);
		fprintf(f, "  %s%s\n", policy_report_break_policies(r, i),
			util_proto_has_ports(graph_edge_proto(e))
				? ""
				: " (NetworkPolicy has no rule for this protocol)");
	}
	fputc('\n', f);
}

static void verify_excess(FILE *f, const struct policy_report *r)
{
	int wc = (int)strlen("CLIENT"), ws = (int)strlen("SERVER");
	size_t n = policy_report_excess_count(r);

	for (size_t i = 0; i < n; i++) {
		wc = verify_width(wc, graph_workload_id(policy_report_excess_client(r, i)));
		ws = verify_width(ws, graph_workload_id(policy_report_excess_server(r, i)));
	}
	fprintf(f, "EXCESS (allowed by the policies, never observed)\n");
	fprintf(f, "%-*s  %-*s  %-9s  %s\n", wc, "CLIENT", ws, "SERVER", "PAIR SEEN",
		"ALLOWED, NEVER OBSERVED");
	for (size_t i = 0; i < n; i++) {
		char *ports = policy_ports_format(policy_report_excess_ports(r, i));

		fprintf(f, "%-*s  %-*s  %-9s  %s\n", wc,
			graph_workload_id(policy_report_excess_client(r, i)), ws,
			graph_workload_id(policy_report_excess_server(r, i)),
			policy_report_excess_observed(r, i) ? "yes" : "no", ports);
		free(ports);
	}
	fputc('\n', f);
}

static void verify_unknowns(FILE *f, const struct policy_report *r)
{
	struct verify_cols c = {0};
	size_t n = policy_report_unknown_count(r);

	for (size_t i = 0; i < n; i++)
		verify_cols_fit(&c, policy_report_unknown_edge(r, i));
	fprintf(f, "UNKNOWN PEERS (cluster addresses that matched no pod or Service: no policy can "
		   "name them)\n");
	verify_cols_header(f, &c);
	fputc('\n', f);
	for (size_t i = 0; i < n; i++) {
		verify_cols_edge(f, &c, policy_report_unknown_edge(r, i));
		fputc('\n', f);
	}
	fputc('\n', f);
}

static void verify_unlocked(FILE *f, const struct policy_report *r)
{
	fprintf(f, "UNLOCKED (no policy isolates them: all their traffic is allowed)\n");
	for (size_t i = 0; i < policy_report_unlocked_count(r); i++)
		fprintf(f, "%s\n", graph_workload_id(policy_report_unlocked(r, i)));
	fputc('\n', f);
}

static void verify_summary(FILE *f, const struct policy_set *s, const struct policy_report *r)
{
	size_t breaks = policy_report_break_count(r), governed = policy_report_governed(r);
	size_t unseen = 0, wider = 0, inexpressible = 0;

	for (size_t i = 0; i < breaks; i++)
		inexpressible +=
			!util_proto_has_ports(graph_edge_proto(policy_report_break_edge(r, i)));

	for (size_t i = 0; i < policy_report_excess_count(r); i++) {
		if (policy_report_excess_observed(r, i))
			wider++;
		else
			unseen++;
	}
	fprintf(f, "verify: %zu polic%s", policy_set_count(s),
		policy_set_count(s) == 1 ? "y" : "ies");
	/* a file half of other kinds (or another group's NetworkPolicy) is half evaluated */
	if (policy_set_skipped(s))
		fprintf(f, " (%zu other object%s skipped)", policy_set_skipped(s),
			policy_set_skipped(s) == 1 ? "" : "s");
	fprintf(f, "; %zu observed edge%s: %zu allowed, %zu would break", governed,
		governed == 1 ? "" : "s", governed - breaks, breaks);
	if (inexpressible)
		fprintf(f, " (%zu of them a protocol NetworkPolicy cannot allow)", inexpressible);
	fprintf(f,
		"; excess: %zu pair%s allowed but never observed, %zu observed pair%s allowed "
		"more\n",
		unseen, unseen == 1 ? "" : "s", wider, wider == 1 ? "" : "s");
	if (policy_report_unknown_count(r) || policy_report_unlocked_count(r))
		fprintf(f,
			"verify: %zu observed edge%s with unknown peers, not evaluated; %zu "
			"workload%s unlocked\n",
			policy_report_unknown_count(r),
			policy_report_unknown_count(r) == 1 ? "" : "s",
			policy_report_unlocked_count(r),
			policy_report_unlocked_count(r) == 1 ? "" : "s");
}

int emit_verify(FILE *out, const struct policy_set *s, const struct policy_report *r, bool quiet)
{
	if (!quiet && policy_report_break_count(r))
		verify_breaks(out, r);
	if (!quiet && policy_report_unknown_count(r))
		verify_unknowns(out, r);
	if (!quiet && policy_report_excess_count(r))
		verify_excess(out, r);
	if (!quiet && policy_report_unlocked_count(r))
		verify_unlocked(out, r);
	verify_summary(out, s, r);
	return ferror(out) ? -EIO : 0;
}
