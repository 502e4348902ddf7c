/* SPDX-License-Identifier: Apache-2.0 */
/* policy-eval.c - what a set of NetworkPolicies allows between two workloads. */
#include "policy/policy-private.h"
#include "graph/graph.h"
#include "inventory/inventory.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- Matching ----------------------------------------------------------------------------- */

static bool pol_req_holds(const struct pol_req *r, const char *value)
{
	bool listed = false;

	for (size_t i = 0; value && i < r->n_values && !listed; i++)
		listed = strcmp(r->values[i], value) == 0;
	switch (r->op) {
	case POL_IN:
		return listed;
	case POL_NOT_IN:
		return !listed; /* an absent label is not in any list */
	case POL_EXISTS:
		return value != NULL;
	case POL_DOES_NOT_EXIST:
	default:
		return value == NULL;
	}
}

static const char *pol_workload_label(const struct graph_workload *w, const char *key)
{
	for (size_t i = 0; i < graph_workload_label_count(w); i++)
		if (strcmp(graph_workload_label_key(w, i), key) == 0)
			return graph_workload_label_value(w, i);
	return NULL;
}

bool pol_selects_workload(const struct pol_selector *sel, const struct graph_workload *w)
{
	for (size_t i = 0; i < sel->n_reqs; i++)
		if (!pol_req_holds(&sel->reqs[i], pol_workload_label(w, sel->reqs[i].key)))
			return false;
	return true;
}

bool pol_selects_namespace(const struct pol_selector *sel, const struct inventory *inv,
			   const char *ns)
{
	for (size_t i = 0; i < sel->n_reqs; i++)
		if (!pol_req_holds(&sel->reqs[i],
				   inventory_namespace_label(inv, ns, sel->reqs[i].key)))
			return false;
	return true;
}

/*
 * An outside peer is inside a block when its address is, and in no except: address i of its
 * addresses, or (i < 0) every one it has. A peer with several addresses (a node, a dual-stack
 * host) may use any one of them: each is judged on its own (see pol_side_each).
 */
static bool pol_block_matches(const struct pol_peer *peer, const struct graph_workload *w,
			      ssize_t addr)
{
	size_t n = graph_workload_prefix_count(w);

	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		struct util_prefix c = *graph_workload_prefix(w, i);

		if (addr >= 0 && i != (size_t)addr)
			continue;
		util_addr_mask(&c.addr, c.len);
		if (!util_prefix_contains(&peer->block, &c))
			return false;
		for (size_t j = 0; j < peer->n_except; j++)
			if (util_prefix_overlap(&c, &peer->except[j]))
				return false;
	}
	return true;
}

bool pol_peer_matches(const struct pol_peer *peer, const char *policy_ns,
		      const struct inventory *inv, const struct graph_workload *other, ssize_t addr)
{
	enum graph_kind kind = graph_workload_kind(other);

	/* an unknown peer is a pod address: an ipBlock is for addresses outside the cluster */
	if (peer->is_block)
		return kind != GRAPH_KIND_K8S && kind != GRAPH_KIND_UNKNOWN &&
		       pol_block_matches(peer, other, addr);
	if (kind != GRAPH_KIND_K8S)
		return false;
	if (peer->has_namespaces) {
		if (!pol_selects_namespace(&peer->namespaces, inv, graph_workload_namespace(other)))
			return false;
	} else if (strcmp(graph_workload_namespace(other), policy_ns) != 0) {
		return false; /* podSelector alone: the policy's own namespace */
	}
	return !peer->has_pods || pol_selects_workload(&peer->pods, other);
}

/* The indices of the policies that isolate w for dir; ret has room for every policy. */
size_t pol_isolating(const struct policy_set *s, const struct graph_workload *w, enum pol_dir dir,
		     size_t *ret)
{
	const char *ns = graph_workload_namespace(w);
	size_t lo = 0, hi = s->n, n = 0;

	if (graph_workload_kind(w) != GRAPH_KIND_K8S)
		return 0; /* NetworkPolicy selects pods only */
	/* s is sorted by namespace: only the policies of w's own can select it */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(s->v[mid].ns, ns) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i < s->n && strcmp(s->v[i].ns, ns) == 0; i++) {
		const struct pol_policy *p = &s->v[i];

		if (p->isolates[dir] && pol_selects_workload(&p->pods, w))
			ret[n++] = i;
	}
	return n;
}

static void pol_rule_ports(const struct pol_rule *rule, const struct inventory *inv,
			   const struct graph_workload *server, struct policy_ports *out)
{
	if (!rule->n_ports) {
		policy_ports_add_all(out);
		return;
	}
	for (size_t i = 0; i < rule->n_ports; i++) {
		const struct pol_port *p = &rule->ports[i];
		uint16_t stack[16], *nums = stack;
		size_t n;

		if (p->kind != POL_PORT_NAME) {
			policy_ports_add(out, p->proto, p->lo, p->hi);
			continue;
		}
		/* a name means the server's container port; outside peers have none */
		if (graph_workload_kind(server) != GRAPH_KIND_K8S)
			continue;
		n = inventory_named_port(inv, graph_workload_id(server), p->name, p->proto, stack,
					 UTIL_ARRAY_SIZE(stack));
		if (n > UTIL_ARRAY_SIZE(stack)) {
			nums = util_reallocarray(NULL, n, sizeof(*nums));
			n = inventory_named_port(inv, graph_workload_id(server), p->name, p->proto,
						 nums, n);
		}
		for (size_t j = 0; j < n; j++)
			policy_ports_add(out, p->proto, nums[j], nums[j]);
		if (nums != stack)
			free(nums);
	}
}

/*
 * One side of a connection: what the policies isolating ep for dir (n_iso of them, indices in
 * iso) allow with other at the far end. Rules are a union over every such policy; nothing
 * isolating ep means everything.
 */
static struct policy_ports *pol_side(const struct policy_set *s, const struct inventory *inv,
				     const size_t *iso, size_t n_iso, enum pol_dir dir,
				     const struct graph_workload *other,
				     const struct graph_workload *server, ssize_t addr)
{
	struct policy_ports *out = policy_ports_new();

	/*
	 * "When a pod is isolated for ingress, the only allowed connections into the pod are
	 * those from the pod's node and those allowed by the ingress list": flowlock does not
	 * know which node runs which pod, so ingress from any node is allowed.
	 */
	if (!n_iso || (dir == POL_INGRESS && graph_workload_kind(other) == GRAPH_KIND_NODE)) {
		policy_ports_add_all(out);
		return out;
	}
	for (size_t i = 0; i < n_iso; i++) {
		const struct pol_policy *p = &s->v[iso[i]];

		for (size_t j = 0; j < p->n_rules[dir]; j++) {
			const struct pol_rule *rule = &p->rules[dir][j];
			bool match = rule->n_peers == 0; /* no from/to: every peer */

			for (size_t k = 0; k < rule->n_peers && !match; k++)
				match = pol_peer_matches(&rule->peers[k], p->ns, inv, other, addr);
			if (match)
				pol_rule_ports(rule, inv, server, out);
		}
	}
	return out;
}

/* How many addresses of other are judged one by one: a node's or outside peer's, when several. */
size_t pol_addresses(const struct graph_workload *other)
{
	enum graph_kind kind = graph_workload_kind(other);

	if (kind != GRAPH_KIND_NODE && kind != GRAPH_KIND_EXTERNAL)
		return 0;
	return graph_workload_address_count(other);
}

/*
 * pol_side for a peer with several addresses, each judged on its own: a connection uses one of
 * them, and flowlock writes an ipBlock for each. Returns what is allowed whatever address is used
 * (the intersection, for what would break); with ret_any, also what is allowed with some address
 * (the union, for excess), or NULL there when the peer has one address and the two are the same.
 */
struct policy_ports *pol_side_each(const struct policy_set *s, const struct inventory *inv,
				   const size_t *iso, size_t n_iso, enum pol_dir dir,
				   const struct graph_workload *other,
				   const struct graph_workload *server,
				   struct policy_ports **ret_any)
{
	size_t n = pol_addresses(other);
	struct policy_ports *every, *one;

	if (ret_any)
		*ret_any = NULL;
	if (n <= 1)
		return pol_side(s, inv, iso, n_iso, dir, other, server, -1);
	every = pol_side(s, inv, iso, n_iso, dir, other, server, 0);
	if (ret_any)
		*ret_any = policy_ports_copy(every);
	for (size_t i = 1; i < n; i++) {
		one = pol_side(s, inv, iso, n_iso, dir, other, server, (ssize_t)i);
		policy_ports_intersect(every, one);
		if (ret_any)
			policy_ports_unite(*ret_any, one);
		policy_ports_free(one);
	}
	return every;
}

/* Both sides of client -> server: what the client's egress and the server's ingress allow. */
static void pol_pair(const struct policy_set *s, const struct inventory *inv,
		     const struct graph_workload *client, const struct graph_workload *server,
		     struct policy_ports **ret_egress, struct policy_ports **ret_ingress)
{
	size_t *iso = util_reallocarray(NULL, s->n ? s->n : 1, sizeof(*iso));
	size_t n;

	n = pol_isolating(s, client, POL_EGRESS, iso);
	*ret_egress = pol_side_each(s, inv, iso, n, POL_EGRESS, server, server, NULL);
	n = pol_isolating(s, server, POL_INGRESS, iso);
	*ret_ingress = pol_side_each(s, inv, iso, n, POL_INGRESS, client, server, NULL);
	free(iso);
}

unsigned policy_check(const struct policy_set *s, const struct inventory *inv,
		      const struct graph_workload *client, const struct graph_workload *server,
		      uint8_t proto, uint16_t port)
{
	struct policy_ports *egress, *ingress;
	unsigned denied = 0;

	pol_pair(s, inv, client, server, &egress, &ingress);
	if (!policy_ports_contains(egress, proto, port))
		denied |= POLICY_DENY_EGRESS;
	if (!policy_ports_contains(ingress, proto, port))
		denied |= POLICY_DENY_INGRESS;
	policy_ports_free(egress);
	policy_ports_free(ingress);
	return denied;
}

struct policy_ports *policy_allowed(const struct policy_set *s, const struct inventory *inv,
				    const struct graph_workload *client,
				    const struct graph_workload *server)
{
	struct policy_ports *egress, *ingress;

	pol_pair(s, inv, client, server, &egress, &ingress);
	policy_ports_intersect(egress, ingress);
	policy_ports_free(ingress);
	return egress;
}
