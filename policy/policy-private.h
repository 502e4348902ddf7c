/* SPDX-License-Identifier: Apache-2.0 */
/*
 * policy-private.h - what policy/'s files share: the model the reader builds (policy.c), and
 * the evaluation of it (policy-eval.c) that verify (policy-verify.c) runs pair by pair.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "policy/policy.h"

/* ---- The model: policies as the API server holds them after defaulting ------------------- */

enum pol_op {
	POL_IN,
	POL_NOT_IN,
	POL_EXISTS,
	POL_DOES_NOT_EXIST,
};

/* One requirement of a label selector; matchLabels k: v is k In (v). */
struct pol_req {
	char *key;
	enum pol_op op;
	char **values;
	size_t n_values;
};

/* Every requirement must hold; a selector without any selects everything. */
struct pol_selector {
	struct pol_req *reqs;
	size_t n_reqs;
};

struct pol_peer {
	bool has_pods, has_namespaces, is_block;
	struct pol_selector pods, namespaces;
	struct util_prefix block; /* host bits cleared */
	struct util_prefix *except;
	size_t n_except;
};

enum pol_port_kind {
	POL_PORT_ALL,	 /* a protocol without a port: every port of it */
	POL_PORT_NUMBER, /* lo..hi (endPort) */
	POL_PORT_NAME,	 /* a container port's name */
};

struct pol_port {
	uint8_t proto;
	enum pol_port_kind kind;
	uint16_t lo, hi;
	char *name;
};

struct pol_rule {
	struct pol_peer *peers; /* none: every peer */
	size_t n_peers;
	struct pol_port *ports; /* none: every port of every protocol */
	size_t n_ports;
};

enum pol_dir {
	POL_INGRESS = 0,
	POL_EGRESS = 1,
};

struct pol_policy {
	char *ns, *name;
	struct pol_selector pods;
	bool isolates[2]; /* policyTypes, indexed by enum pol_dir */
	struct pol_rule *rules[2];
	size_t n_rules[2];
};

struct policy_set {
	struct pol_policy *v; /* sorted by namespace, then name */
	size_t n;
	size_t skipped;
};

/* ---- Evaluation (policy-eval.c) ----------------------------------------------------------- */

/* The indices of the policies that isolate w for dir; ret has room for every policy. */
size_t pol_isolating(const struct policy_set *s, const struct graph_workload *w, enum pol_dir dir,
		     size_t *ret);
/*
 * Whether peer (of a policy in policy_ns) matches other: with address addr of its addresses,
 * or (addr < 0) with every one it has.
 */
bool pol_peer_matches(const struct pol_peer *peer, const char *policy_ns,
		      const struct inventory *inv, const struct graph_workload *other,
		      ssize_t addr);
/* Whether the pod selector sel selects workload w, by its labels. */
bool pol_selects_workload(const struct pol_selector *sel, const struct graph_workload *w);
/* Whether the namespace selector sel selects namespace ns (its labels from inv). */
bool pol_selects_namespace(const struct pol_selector *sel, const struct inventory *inv,
			   const char *ns);
/* How many addresses of other are judged one by one: a node's or outside peer's, when several. */
size_t pol_addresses(const struct graph_workload *other);
/*
 * What the policies isolating an end for dir (n_iso of them, indices in iso) allow with other
 * at the far end, whatever address of other is used; with ret_any, also what some address may
 * do (NULL there when other has one address). See policy-eval.c.
 */
struct policy_ports *pol_side_each(const struct policy_set *s, const struct inventory *inv,
				   const size_t *iso, size_t n_iso, enum pol_dir dir,
				   const struct graph_workload *other,
				   const struct graph_workload *server,
				   struct policy_ports **ret_any);

/* ---- Test hooks ----------------------------------------------------------------------------- */

/*
 * true makes verify judge every pair of workloads, as it did before it learnt which pairs can say
 * anything: the two reports must be the same (tests/test-policy.c).
 */
void pol_verify_set_every_pair(bool on);
