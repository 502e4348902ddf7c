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

/* ---- Which pairs can say anything -------------------------------------------------------- */

/*
 * Judging every pair of workloads costs pairs times policies. But a pair without edges is only
 * reported as excess, and only when one end is isolated and its policies let the other end in
 * (or out). So verify works out once, for each policy and direction, the workloads its rules
 * reach, as a set; for each client, the servers worth judging are then a union of such sets,
 * and everything else is skipped unjudged. These sets over-approximate (ports are left to the
 * pair's judgement), never under: a pair outside them has nothing to report.
 */

/* A set of the graph's workloads: bit i is workload i of its sorted view. */
struct pol_bits {
	uint64_t *w;
	size_t n_words;
};

static void pol_bits_init(struct pol_bits *b, size_t n)
{
	b->n_words = (n + 63) / 64;
	b->w = util_zalloc((b->n_words ? b->n_words : 1) * sizeof(*b->w));
}

static inline void pol_bits_set(struct pol_bits *b, size_t i)
{
	b->w[i / 64] |= 1ull << (i % 64);
}

static inline bool pol_bits_test(const struct pol_bits *b, size_t i)
{
	return b->w[i / 64] >> (i % 64) & 1;
}

/* The workloads one policy's rules for one direction may reach: all, or a sorted list. */
struct pol_reach {
	bool done, all;
	size_t *v;
	size_t n;
};

/* The k8s workloads of one namespace: by_ns[first, end). */
struct pol_ns_group {
	const char *ns;
	size_t first, end;
};

/* What verify works out once for the whole graph. */
struct pol_walk {
	const struct policy_set *s;
	const struct graph *g;
	const struct inventory *inv;
	size_t nw;
	struct pol_isolation *iso;
	const struct graph_workload **w; /* the graph's workloads, by index */
	size_t *by_ns;			 /* the k8s workloads, by namespace, then index */
	size_t n_by_ns;
	struct pol_ns_group *groups; /* by_ns cut by namespace, in namespace order */
	size_t n_groups;
	size_t *outside; /* the workloads an ipBlock may match: neither pods nor unknown */
	size_t n_outside;
	struct pol_reach *reach; /* [policy * 2 + direction] */
	struct pol_bits scratch;
	struct pol_bits not_ingress_isolated;
	/* for each client, the ingress-isolated servers whose policies let it in: CSR */
	size_t *in_start, *in_v;
	size_t *in_all; /* servers with a policy that lets every peer in */
	size_t n_in_all;
};

/* Workload indices by namespace, then index (qsort_r: data is the workloads by index). */
static int pol_by_ns_cmp(const void *a, const void *b, void *data)
{
	const struct graph_workload *const *w = data;
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	int c = strcmp(graph_workload_namespace(w[x]), graph_workload_namespace(w[y]));

	return c ? c : (x < y ? -1 : x > y);
}

/* The group of namespace ns, or NULL. */
static const struct pol_ns_group *pol_ns_group(const struct pol_walk *wk, const char *ns)
{
	size_t lo = 0, hi = wk->n_groups;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(wk->groups[mid].ns, ns);

		if (c == 0)
			return &wk->groups[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* Whether peer matches w with some address of w (see pol_side_each). */
static bool pol_peer_any(const struct pol_walk *wk, const struct pol_peer *peer, const char *ns,
			 const struct graph_workload *w)
{
	size_t n = pol_addresses(w);

	if (n <= 1)
		return pol_peer_matches(peer, ns, wk->inv, w, -1);
	for (size_t i = 0; i < n; i++)
		if (pol_peer_matches(peer, ns, wk->inv, w, (ssize_t)i))
			return true;
	return false;
}

/*
 * The pods of one namespace that peer matches, into scratch: the namespace is the policy's own
 * or one the peer's namespace selector selects, so only its pod selector is left (as
 * pol_peer_matches() judges a pod).
 */
static void pol_peer_group(struct pol_walk *wk, const struct pol_peer *peer,
			   const struct pol_ns_group *group)
{
	for (size_t k = group->first; k < group->end; k++)
		if (!peer->has_pods || pol_selects_workload(&peer->pods, wk->w[wk->by_ns[k]]))
			pol_bits_set(&wk->scratch, wk->by_ns[k]);
}

/* The workloads peer (of a policy in ns) matches, into scratch. */
static void pol_peer_reach(struct pol_walk *wk, const struct pol_peer *peer, const char *ns)
{
	const struct pol_ns_group *group;

	if (peer->is_block) {
		for (size_t k = 0; k < wk->n_outside; k++)
			if (pol_peer_any(wk, peer, ns, wk->w[wk->outside[k]]))
				pol_bits_set(&wk->scratch, wk->outside[k]);
		return;
	}
	if (!peer->has_namespaces) {
		group = pol_ns_group(wk, ns);
		if (group)
			pol_peer_group(wk, peer, group);
		return;
	}
	for (size_t k = 0; k < wk->n_groups; k++)
		if (pol_selects_namespace(&peer->namespaces, wk->inv, wk->groups[k].ns))
			pol_peer_group(wk, peer, &wk->groups[k]);
}

/* What policy p's rules for dir reach, worked out the first time it is asked for. */
static const struct pol_reach *pol_reach_of(struct pol_walk *wk, size_t p, enum pol_dir dir)
{
	struct pol_reach *r = &wk->reach[p * 2 + (size_t)dir];
	const struct pol_policy *pol = &wk->s->v[p];

	if (r->done)
		return r;
	r->done = true;
	for (size_t j = 0; j < pol->n_rules[dir] && !r->all; j++) {
		const struct pol_rule *rule = &pol->rules[dir][j];

		r->all = rule->n_peers == 0; /* no from/to: every peer */
		for (size_t k = 0; k < rule->n_peers; k++)
			pol_peer_reach(wk, &rule->peers[k], pol->ns);
	}
	/* the set as a sorted list (none when it is everyone), and scratch cleared for the next */
	for (size_t i = 0; i < wk->scratch.n_words && !r->all; i++)
		r->n += (size_t)__builtin_popcountll(wk->scratch.w[i]);
	r->v = util_reallocarray(NULL, r->n ? r->n : 1, sizeof(*r->v));
	r->n = 0;
	for (size_t i = 0; i < wk->scratch.n_words; i++) {
		for (uint64_t word = wk->scratch.w[i]; word && !r->all; word &= word - 1)
			r->v[r->n++] = i * 64 + (size_t)__builtin_ctzll(word);
		wk->scratch.w[i] = 0;
	}
	return r;
}

/* The ingress side, turned around: for each client, the servers that let it in. */
static void pol_walk_ingress(struct pol_walk *wk)
{
	uint64_t *pairs = NULL; /* client << 32 | server */
	size_t n = 0, cap = 0, *fill;

	for (size_t j = 0; j < wk->nw; j++) {
		const struct pol_isolation *si = &wk->iso[j];
		bool all = false;

		if (si->n[POL_INGRESS] == 0)
			pol_bits_set(&wk->not_ingress_isolated, j);
		for (size_t k = 0; k < si->n[POL_INGRESS] && !all; k++) {
			const struct pol_reach *r =
				pol_reach_of(wk, si->iso[POL_INGRESS][k], POL_INGRESS);

			all = r->all;
			if (!all && n + r->n > cap) {
				cap = 2 * (n + r->n);
				pairs = util_reallocarray(pairs, cap, sizeof(*pairs));
			}
			for (size_t m = 0; m < r->n && !all; m++)
				pairs[n++] = (uint64_t)r->v[m] << 32 | j;
		}
		if (all) {
			wk->in_all = util_reallocarray(wk->in_all, wk->n_in_all + 1,
						       sizeof(*wk->in_all));
			wk->in_all[wk->n_in_all++] = j;
		}
	}
	wk->in_start = util_zalloc((wk->nw + 1) * sizeof(*wk->in_start));
	wk->in_v = util_reallocarray(NULL, n ? n : 1, sizeof(*wk->in_v));
	for (size_t k = 0; k < n; k++)
		wk->in_start[(pairs[k] >> 32) + 1]++;
	for (size_t i = 0; i < wk->nw; i++)
		wk->in_start[i + 1] += wk->in_start[i];
	fill = util_reallocarray(NULL, wk->nw ? wk->nw : 1, sizeof(*fill));
	memcpy(fill, wk->in_start, wk->nw * sizeof(*fill));
	for (size_t k = 0; k < n; k++)
		wk->in_v[fill[pairs[k] >> 32]++] = (size_t)(pairs[k] & 0xffffffffu);
	free(fill);
	free(pairs);
}

static bool pol_every_pair;

void pol_verify_set_every_pair(bool on)
{
	pol_every_pair = on;
}

/* Into cand, the servers worth judging with client i (besides those it has edges with). */
static void pol_candidates(struct pol_walk *wk, size_t i, struct pol_bits *cand,
			   struct pol_bits *in)
{
	const struct pol_isolation *ci = &wk->iso[i];
	bool all = false;

	if (pol_every_pair) {
		memset(cand->w, 0xff, cand->n_words * sizeof(*cand->w));
		if (wk->nw % 64)
			cand->w[cand->n_words - 1] = (1ull << (wk->nw % 64)) - 1;
		return;
	}
	/* in: the servers whose ingress policies let i in */
	for (size_t k = wk->in_start[i]; k < wk->in_start[i + 1]; k++)
		pol_bits_set(in, wk->in_v[k]);
	for (size_t k = 0; k < wk->n_in_all; k++)
		pol_bits_set(in, wk->in_all[k]);
	if (ci->n[POL_EGRESS] == 0) {
		for (size_t k = 0; k < cand->n_words; k++)
			cand->w[k] |= in->w[k];
		return;
	}
	/* an egress-isolated client: where its policies let it go, and the server lets it in */
	for (size_t k = 0; k < ci->n[POL_EGRESS] && !all; k++) {
		const struct pol_reach *r = pol_reach_of(wk, ci->iso[POL_EGRESS][k], POL_EGRESS);

		all = r->all;
		for (size_t m = 0; m < r->n && !all; m++)
			if (pol_bits_test(&wk->not_ingress_isolated, r->v[m]) ||
			    pol_bits_test(in, r->v[m]))
				pol_bits_set(cand, r->v[m]);
	}
	if (all)
		for (size_t k = 0; k < cand->n_words; k++)
			cand->w[k] |= wk->not_ingress_isolated.w[k] | in->w[k];
}

/* A workload's index in the graph's view, found by its pointer. */
struct pol_index {
	const struct graph_workload *w;
	size_t i;
};

static int pol_index_cmp(const void *a, const void *b)
{
	const struct pol_index *x = a, *y = b;

	return x->w < y->w ? -1 : x->w > y->w;
}

/* ---- The report --------------------------------------------------------------------------- */

static void pol_walk_init(struct pol_walk *wk, const struct policy_set *s, const struct graph *g,
			  const struct inventory *inv)
{
	size_t *scratch = util_reallocarray(NULL, s->n ? s->n : 1, sizeof(*scratch));

	*wk = (struct pol_walk){.s = s, .g = g, .inv = inv, .nw = graph_workload_count(g)};
	wk->iso = util_reallocarray(NULL, wk->nw ? wk->nw : 1, sizeof(*wk->iso));
	wk->w = util_reallocarray(NULL, wk->nw ? wk->nw : 1, sizeof(*wk->w));
	wk->groups = util_reallocarray(NULL, wk->nw ? wk->nw : 1, sizeof(*wk->groups));
	wk->by_ns = util_reallocarray(NULL, wk->nw ? wk->nw : 1, sizeof(*wk->by_ns));
	wk->outside = util_reallocarray(NULL, wk->nw ? wk->nw : 1, sizeof(*wk->outside));
	wk->reach = util_zalloc((s->n ? s->n : 1) * 2 * sizeof(*wk->reach));
	pol_bits_init(&wk->scratch, wk->nw);
	pol_bits_init(&wk->not_ingress_isolated, wk->nw);
	/*
	 * Who is isolated by what depends on the workload alone: worked out once, each list
	 * as long as it is (workloads times policies would not fit a large cluster).
	 */
	for (size_t i = 0; i < wk->nw; i++) {
		const struct graph_workload *w = graph_workload(g, i);
		enum graph_kind kind = graph_workload_kind(w);

		wk->w[i] = w;
		for (int d = 0; d < 2; d++) {
			size_t n = pol_isolating(s, w, (enum pol_dir)d, scratch);

			wk->iso[i].iso[d] = util_reallocarray(NULL, n ? n : 1, sizeof(size_t));
			memcpy(wk->iso[i].iso[d], scratch, n * sizeof(size_t));
			wk->iso[i].n[d] = n;
		}
		if (kind == GRAPH_KIND_K8S)
			wk->by_ns[wk->n_by_ns++] = i;
		else if (kind != GRAPH_KIND_UNKNOWN)
			wk->outside[wk->n_outside++] = i;
	}
	free(scratch);
	qsort_r(wk->by_ns, wk->n_by_ns, sizeof(*wk->by_ns), pol_by_ns_cmp, wk->w);
	for (size_t k = 0; k < wk->n_by_ns; k++) {
		const char *ns = graph_workload_namespace(wk->w[wk->by_ns[k]]);

		if (wk->n_groups && strcmp(wk->groups[wk->n_groups - 1].ns, ns) == 0)
			wk->groups[wk->n_groups - 1].end = k + 1;
		else
			wk->groups[wk->n_groups++] = (struct pol_ns_group){ns, k, k + 1};
	}
	pol_walk_ingress(wk);
}

static void pol_walk_clear(struct pol_walk *wk)
{
	for (size_t i = 0; i < wk->nw; i++)
		for (int d = 0; d < 2; d++)
			free(wk->iso[i].iso[d]);
	for (size_t p = 0; p < wk->s->n * 2; p++)
		free(wk->reach[p].v);
	free(wk->iso);
	free(wk->w);
	free(wk->groups);
	free(wk->by_ns);
	free(wk->outside);
	free(wk->reach);
	free(wk->scratch.w);
	free(wk->not_ingress_isolated.w);
	free(wk->in_start);
	free(wk->in_v);
	free(wk->in_all);
}

/* The pair (c, sv) with edges [first, end) of the edge view: judged, or its edges listed. */
static void pol_report_pair(struct policy_report *r, struct pol_walk *wk,
			    const struct policy_scope *scope, size_t i, size_t j, size_t first,
			    size_t end)
{
	const struct graph_workload *c = wk->w[i], *sv = wk->w[j];

	if (!pol_in_scope(c, scope) && !pol_in_scope(sv, scope))
		return;
	/* no policy can name an unknown peer: its edges are listed, not judged */
	if (graph_workload_kind(c) == GRAPH_KIND_UNKNOWN ||
	    graph_workload_kind(sv) == GRAPH_KIND_UNKNOWN) {
		for (size_t k = first; k < end; k++) {
			r->unknowns = util_reallocarray(r->unknowns, r->n_unknowns + 1,
							sizeof(*r->unknowns));
			r->unknowns[r->n_unknowns++] = graph_edge(wk->g, k);
		}
		return;
	}
	pol_verify_pair(r, wk->s, wk->g, wk->inv, c, &wk->iso[i], sv, &wk->iso[j], first, end);
}

struct policy_report *policy_verify(const struct policy_set *s, const struct graph *g,
				    const struct inventory *inv, const struct policy_scope *scope)
{
	struct policy_report *r = util_zalloc(sizeof(*r));
	size_t ne = graph_edge_count(g), cursor = 0;
	struct pol_index *index;
	struct pol_bits cand, in;
	struct pol_walk wk;

	pol_walk_init(&wk, s, g, inv);
	for (size_t i = 0; i < wk.nw; i++) {
		const struct graph_workload *w = graph_workload(g, i);

		if (!pol_in_scope(w, scope) || wk.iso[i].n[POL_EGRESS] || wk.iso[i].n[POL_INGRESS])
			continue;
		r->unlocked =
			util_reallocarray(r->unlocked, r->n_unlocked + 1, sizeof(*r->unlocked));
		r->unlocked[r->n_unlocked++] = w;
	}
	/* a server's index from its pointer, for the edges */
	index = util_reallocarray(NULL, wk.nw ? wk.nw : 1, sizeof(*index));
	for (size_t i = 0; i < wk.nw; i++)
		index[i] = (struct pol_index){wk.w[i], i};
	qsort(index, wk.nw, sizeof(*index), pol_index_cmp);
	pol_bits_init(&cand, wk.nw);
	pol_bits_init(&in, wk.nw);
	/*
	 * Clients in id order, and each one's servers in id order: the order of the edge view,
	 * so the edges of each pair are met in one walk, and the report is in the order it has
	 * always had.
	 */
	for (size_t i = 0; i < wk.nw; i++) {
		const struct graph_workload *c = wk.w[i];
		size_t end = cursor;

		while (end < ne && graph_edge_client(graph_edge(g, end)) == c) {
			struct pol_index key = {graph_edge_server(graph_edge(g, end++)), 0};
			const struct pol_index *at =
				bsearch(&key, index, wk.nw, sizeof(*index), pol_index_cmp);

			pol_bits_set(&cand, at->i);
		}
		pol_candidates(&wk, i, &cand, &in);
		for (size_t k = 0; k < cand.n_words; k++) {
			for (uint64_t word = cand.w[k]; word; word &= word - 1) {
				size_t j = k * 64 + (size_t)__builtin_ctzll(word), first = cursor;
				const struct graph_workload *sv = wk.w[j];

				while (cursor < end &&
				       graph_edge_server(graph_edge(g, cursor)) == sv)
					cursor++;
				pol_report_pair(r, &wk, scope, i, j, first, cursor);
			}
			cand.w[k] = 0;
			in.w[k] = 0;
		}
	}
	free(index);
	free(cand.w);
	free(in.w);
	pol_walk_clear(&wk);
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
