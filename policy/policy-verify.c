/* SPDX-License-Identifier: Apache-2.0 */
/* policy-verify.c - verify: every edge and pair of a graph judged against a set of policies. */
#include "policy/policy-private.h"
#include "graph/graph.h"
#include "inventory/inventory.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- Verifying a graph -------------------------------------------------------------------- */

struct pol_break {
	const struct graph_edge *edge;
	unsigned denied;
	char *policies;
};

struct pol_excess {
	const struct graph_workload *client, *server;
	bool observed;
	struct policy_ports *ports;
};

struct policy_report {
	size_t governed;
	struct pol_break *breaks;
	size_t n_breaks, cap_breaks;
	const struct graph_edge **unknowns;
	size_t n_unknowns;
	const struct graph_workload **unlocked;
	size_t n_unlocked;
	struct pol_excess *excess;
	size_t n_excess, cap_excess;
};

/* Per workload of the graph, the policies that isolate it, for each direction. */
struct pol_isolation {
	size_t *iso[2];
	size_t n[2];
};

/* "egress NS/NAME,NS/NAME; ingress NS/NAME": the policies that isolate the denying side. */
static char *pol_break_policies(const struct policy_set *s, unsigned denied,
				const struct pol_isolation *client,
				const struct pol_isolation *server)
{
	size_t len = 32, o = 0;
	char *buf;

	for (int d = 0; d < 2; d++) {
		const struct pol_isolation *iso = d == POL_EGRESS ? client : server;

		for (size_t i = 0; i < iso->n[d]; i++)
			len += strlen(s->v[iso->iso[d][i]].ns) + strlen(s->v[iso->iso[d][i]].name) +
			       2;
	}
	buf = util_zalloc(len);
	/* egress first: the client's side is where the connection starts */
	for (int k = 0; k < 2; k++) {
		enum pol_dir d = k == 0 ? POL_EGRESS : POL_INGRESS;
		const struct pol_isolation *iso = d == POL_EGRESS ? client : server;

		if (!(denied & (d == POL_EGRESS ? POLICY_DENY_EGRESS : POLICY_DENY_INGRESS)))
			continue;
		o += (size_t)snprintf(buf + o, len - o, "%s%s ", o ? "; " : "",
				      d == POL_EGRESS ? "egress" : "ingress");
		for (size_t i = 0; i < iso->n[d]; i++)
			o += (size_t)snprintf(buf + o, len - o, "%s%s/%s", i ? "," : "",
					      s->v[iso->iso[d][i]].ns, s->v[iso->iso[d][i]].name);
	}
	return buf;
}

/* The order of the graph's edge view: client id, then server id. */
static int pol_edge_pair_cmp(const struct graph_edge *e, const struct graph_workload *c,
			     const struct graph_workload *s)
{
	int r = strcmp(graph_workload_id(graph_edge_client(e)), graph_workload_id(c));

	return r ? r : strcmp(graph_workload_id(graph_edge_server(e)), graph_workload_id(s));
}

static void pol_verify_pair(struct policy_report *r, const struct policy_set *s,
			    const struct graph *g, const struct inventory *inv,
			    const struct graph_workload *c, const struct pol_isolation *ci,
			    const struct graph_workload *sv, const struct pol_isolation *si,
			    size_t first, size_t end)
{
	struct policy_ports *egress, *ingress, *e_any, *i_any, *allowed;

	egress = pol_side_each(s, inv, ci->iso[POL_EGRESS], ci->n[POL_EGRESS], POL_EGRESS, sv, sv,
			       &e_any);
	ingress = pol_side_each(s, inv, si->iso[POL_INGRESS], si->n[POL_INGRESS], POL_INGRESS, c,
				sv, &i_any);
	/* excess: what the pair may do, with some address of a peer that has several */
	allowed = e_any ? e_any : policy_ports_copy(egress);
	policy_ports_intersect(allowed, i_any ? i_any : ingress);
	policy_ports_free(i_any);
	for (size_t k = first; k < end; k++) {
		const struct graph_edge *e = graph_edge(g, k);
		uint8_t proto = graph_edge_proto(e);
		uint16_t port = graph_edge_port(e);
		unsigned denied = 0;

		r->governed++;
		if (!policy_ports_contains(egress, proto, port))
			denied |= POLICY_DENY_EGRESS;
		if (!policy_ports_contains(ingress, proto, port))
			denied |= POLICY_DENY_INGRESS;
		if (denied) {
			if (r->n_breaks == r->cap_breaks) {
				r->cap_breaks = r->cap_breaks ? 2 * r->cap_breaks : 8;
				r->breaks = util_reallocarray(r->breaks, r->cap_breaks,
							      sizeof(*r->breaks));
			}
			r->breaks[r->n_breaks++] = (struct pol_break){
				.edge = e,
				.denied = denied,
				.policies = pol_break_policies(s, denied, ci, si),
			};
		}
		policy_ports_remove(allowed, proto, port);
	}
	/*
	 * What a node may reach is no policy's grant (see pol_side): not excess. Neither is what
	 * two ends no policy isolates may do: they are listed once each as unlocked, not as every
	 * pair they make.
	 */
	if (!policy_ports_empty(allowed) && graph_workload_kind(c) != GRAPH_KIND_NODE &&
	    (ci->n[POL_EGRESS] > 0 || si->n[POL_INGRESS] > 0)) {
		if (r->n_excess == r->cap_excess) {
			r->cap_excess = r->cap_excess ? 2 * r->cap_excess : 8;
			r->excess = util_reallocarray(r->excess, r->cap_excess, sizeof(*r->excess));
		}
		r->excess[r->n_excess++] = (struct pol_excess){
			.client = c,
			.server = sv,
			.observed = end > first,
			.ports = allowed,
		};
		allowed = NULL;
	}
	policy_ports_free(allowed);
	policy_ports_free(egress);
	policy_ports_free(ingress);
}

/* Whether w is a k8s workload whose namespace is reported on. */
static bool pol_in_scope(const struct graph_workload *w, const struct policy_scope *scope)
{
	if (graph_workload_kind(w) != GRAPH_KIND_K8S)
		return false;
	if (!scope)
		return true;
	return util_k8s_namespace_scope(graph_workload_namespace(w), scope->include,
					scope->n_include, scope->exclude,
					scope->n_exclude) == UTIL_SCOPE_IN;
}

size_t policy_scope_hidden(const struct policy_set *s, const struct graph *g,
			   const struct policy_scope *scope)
{
	size_t *scratch = util_reallocarray(NULL, s->n ? s->n : 1, sizeof(*scratch)), n = 0;

	for (size_t i = 0; i < graph_workload_count(g); i++) {
		const struct graph_workload *w = graph_workload(g, i);

		if (graph_workload_kind(w) != GRAPH_KIND_K8S || pol_in_scope(w, scope))
			continue;
		n += pol_isolating(s, w, POL_EGRESS, scratch) > 0 ||
		     pol_isolating(s, w, POL_INGRESS, scratch) > 0;
	}
	free(scratch);
	return n;
}

struct policy_report *policy_verify(const struct policy_set *s, const struct graph *g,
				    const struct inventory *inv, const struct policy_scope *scope)
{
	struct policy_report *r = util_zalloc(sizeof(*r));
	size_t nw = graph_workload_count(g), ne = graph_edge_count(g), cursor = 0;
	struct pol_isolation *iso = util_reallocarray(NULL, nw ? nw : 1, sizeof(*iso));
	size_t *scratch = util_reallocarray(NULL, s->n ? s->n : 1, sizeof(*scratch));

	/*
	 * Who is isolated by what depends on the workload alone: worked out once, each list
	 * as long as it is (workloads times policies would not fit a large cluster).
	 */
	for (size_t i = 0; i < nw; i++) {
		const struct graph_workload *w = graph_workload(g, i);

		for (int d = 0; d < 2; d++) {
			size_t n = pol_isolating(s, w, (enum pol_dir)d, scratch);

			iso[i].iso[d] = util_reallocarray(NULL, n ? n : 1, sizeof(size_t));
			memcpy(iso[i].iso[d], scratch, n * sizeof(size_t));
			iso[i].n[d] = n;
		}
	}
	free(scratch);
	for (size_t i = 0; i < nw; i++) {
		const struct graph_workload *w = graph_workload(g, i);

		if (!pol_in_scope(w, scope) || iso[i].n[POL_EGRESS] || iso[i].n[POL_INGRESS])
			continue;
		r->unlocked =
			util_reallocarray(r->unlocked, r->n_unlocked + 1, sizeof(*r->unlocked));
		r->unlocked[r->n_unlocked++] = w;
	}
	/* pairs in id order meet the edge view, which has the same order, in one walk */
	for (size_t i = 0; i < nw; i++) {
		const struct graph_workload *c = graph_workload(g, i);

		for (size_t j = 0; j < nw; j++) {
			const struct graph_workload *sv = graph_workload(g, j);
			size_t first;

			while (cursor < ne && pol_edge_pair_cmp(graph_edge(g, cursor), c, sv) < 0)
				cursor++;
			first = cursor;
			while (cursor < ne && pol_edge_pair_cmp(graph_edge(g, cursor), c, sv) == 0)
				cursor++;
			if (!pol_in_scope(c, scope) && !pol_in_scope(sv, scope))
				continue;
			/* no policy can name an unknown peer: its edges are listed, not judged */
			if (graph_workload_kind(c) == GRAPH_KIND_UNKNOWN ||
			    graph_workload_kind(sv) == GRAPH_KIND_UNKNOWN) {
				for (size_t k = first; k < cursor; k++) {
					r->unknowns =
						util_reallocarray(r->unknowns, r->n_unknowns + 1,
								  sizeof(*r->unknowns));
					r->unknowns[r->n_unknowns++] = graph_edge(g, k);
				}
				continue;
			}
			pol_verify_pair(r, s, g, inv, c, &iso[i], sv, &iso[j], first, cursor);
		}
	}
	for (size_t i = 0; i < nw; i++)
		for (int d = 0; d < 2; d++)
			free(iso[i].iso[d]);
	free(iso);
	return r;
}

struct policy_report *policy_report_free(struct policy_report *r)
{
	if (!r)
		return NULL;
	for (size_t i = 0; i < r->n_breaks; i++)
		free(r->breaks[i].policies);
	free(r->breaks);
	for (size_t i = 0; i < r->n_excess; i++)
		policy_ports_free(r->excess[i].ports);
	free(r->excess);
	free(r->unknowns);
	free(r->unlocked);
	free(r);
	return NULL;
}

size_t policy_report_unlocked_count(const struct policy_report *r)
{
	return r->n_unlocked;
}

const struct graph_workload *policy_report_unlocked(const struct policy_report *r, size_t i)
{
	return i < r->n_unlocked ? r->unlocked[i] : NULL;
}

size_t policy_report_unknown_count(const struct policy_report *r)
{
	return r->n_unknowns;
}

const struct graph_edge *policy_report_unknown_edge(const struct policy_report *r, size_t i)
{
	return i < r->n_unknowns ? r->unknowns[i] : NULL;
}

size_t policy_report_governed(const struct policy_report *r)
{
	return r->governed;
}

size_t policy_report_break_count(const struct policy_report *r)
{
	return r->n_breaks;
}

const struct graph_edge *policy_report_break_edge(const struct policy_report *r, size_t i)
{
	return i < r->n_breaks ? r->breaks[i].edge : NULL;
}

unsigned policy_report_break_denied(const struct policy_report *r, size_t i)
{
	return i < r->n_breaks ? r->breaks[i].denied : 0;
}

const char *policy_report_break_policies(const struct policy_report *r, size_t i)
{
	return i < r->n_breaks ? r->breaks[i].policies : NULL;
}

size_t policy_report_excess_count(const struct policy_report *r)
{
	return r->n_excess;
}

const struct graph_workload *policy_report_excess_client(const struct policy_report *r, size_t i)
{
	return i < r->n_excess ? r->excess[i].client : NULL;
}

const struct graph_workload *policy_report_excess_server(const struct policy_report *r, size_t i)
{
	return i < r->n_excess ? r->excess[i].server : NULL;
}

bool policy_report_excess_observed(const struct policy_report *r, size_t i)
{
	return i < r->n_excess && r->excess[i].observed;
}

const struct policy_ports *policy_report_excess_ports(const struct policy_report *r, size_t i)
{
	return i < r->n_excess ? r->excess[i].ports : NULL;
}
