/* SPDX-License-Identifier: Apache-2.0 */
/* policy.h - Kubernetes NetworkPolicies read from YAML or JSON and evaluated on learned workloads.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "graph/graph.h"
#include "inventory/inventory.h"
#include "util/util.h"

/* ---- Sets of protocols and ports ---------------------------------------------------------- */

/*
 * What a rule can allow: port ranges for TCP, UDP and SCTP (1-65535), and every other protocol
 * (ICMP, ...) as one whole, which only a rule without ports allows. Other protocols are given
 * to these functions with their number; their port is ignored.
 */
struct policy_ports;
struct policy_ports *policy_ports_new(void);
struct policy_ports *policy_ports_free(struct policy_ports *p); /* NULL-safe, returns NULL */
struct policy_ports *policy_ports_copy(const struct policy_ports *p);
/* Adds lo..hi of proto (TCP, UDP, SCTP), or every other protocol for any other proto. */
void policy_ports_add(struct policy_ports *p, uint8_t proto, uint16_t lo, uint16_t hi);
/* Adds everything: every port of every protocol. */
void policy_ports_add_all(struct policy_ports *p);
/* Removes one port of proto, or every other protocol for any other proto. */
void policy_ports_remove(struct policy_ports *p, uint8_t proto, uint16_t port);
/* p becomes p intersected with q. */
void policy_ports_intersect(struct policy_ports *p, const struct policy_ports *q);
/* p becomes p united with q. */
void policy_ports_unite(struct policy_ports *p, const struct policy_ports *q);
bool policy_ports_contains(const struct policy_ports *p, uint8_t proto, uint16_t port);
bool policy_ports_empty(const struct policy_ports *p);
/*
 * The set in words, e.g. "TCP 80,8000-8080; UDP all; other protocols", "all traffic" for
 * everything, "none" for nothing. Always the same text for the same set; the caller frees it.
 */
char *policy_ports_format(const struct policy_ports *p);

/* ---- Policies ----------------------------------------------------------------------------- */

/*
 * NetworkPolicy objects of networking.k8s.io/v1, as the API server would hold them after
 * defaulting (policyTypes from the presence of egress rules, protocol TCP, namespace "default").
 */
struct policy_set;
struct policy_set *policy_set_new(void);
struct policy_set *policy_set_free(struct policy_set *s); /* NULL-safe, returns NULL */

/*
 * Adds the NetworkPolicies in path: a kind: List (or NetworkPolicyList), several YAML documents,
 * single objects, or JSON. Objects of other kinds, and NetworkPolicy kinds of other API groups
 * (Calico's), are skipped and counted. A policy with the namespace and name of one already held
 * replaces it, as `kubectl apply` would. A malformed policy fails the whole file with one line
 * "FILE:LINE:COL: message" and leaves s as it was; so does a file with no document at all.
 */
int policy_set_load(struct policy_set *s, const char *path, struct util_err *err);
/* The same for text in memory; name stands for the file in messages. */
int policy_set_load_buffer(struct policy_set *s, const char *name, const char *buf, size_t len,
			   struct util_err *err);

/* The policies, sorted by namespace then name. */
size_t policy_set_count(const struct policy_set *s);
const char *policy_set_namespace(const struct policy_set *s, size_t i);
const char *policy_set_name(const struct policy_set *s, size_t i);
/* Objects of other kinds that loading skipped. */
size_t policy_set_skipped(const struct policy_set *s);

/* ---- Evaluation --------------------------------------------------------------------------- */

/*
 * Workloads stand for their pods. A k8s workload is selected through its labels (the selector
 * learn derived: per-pod labels such as pod-template-hash are not among them) and its
 * namespace's labels from inv; named ports resolve through the server workload's container
 * ports in inv. Node, external and docker workloads are never selected by a policy, so their
 * side of a connection is not constrained; as peers they are matched only by ipBlock, when
 * every address they have lies inside the block and outside all of its excepts. inv may be NULL:
 * namespaces then have only kubernetes.io/metadata.name, and named ports match nothing.
 */
#define POLICY_DENY_EGRESS  1u /* the client is isolated for egress and no rule allows it */
#define POLICY_DENY_INGRESS 2u /* the server is isolated for ingress and no rule allows it */

/* client -> server over proto to port: 0 when allowed, else which side(s) deny it. */
unsigned policy_check(const struct policy_set *s, const struct inventory *inv,
		      const struct graph_workload *client, const struct graph_workload *server,
		      uint8_t proto, uint16_t port);

/* Everything the policies allow from client to server (both sides); the caller frees it. */
struct policy_ports *policy_allowed(const struct policy_set *s, const struct inventory *inv,
				    const struct graph_workload *client,
				    const struct graph_workload *server);

/* ---- Verifying a learned graph ------------------------------------------------------------ */

/*
 * s against g: every edge (would the policies break it?) and every ordered pair of g's workloads
 * with a k8s workload on at least one end (what do the policies allow that was never seen?).
 * Pairs with no k8s end are no NetworkPolicy's business and are left out. Results are in the
 * graph's order: by client id, server id, protocol, port.
 */
struct policy_report;
/*
 * Which namespaces are reported on (verify --namespace, --exclude-namespace): an edge or pair is
 * evaluated when one of its k8s ends is in one, by util_k8s_namespace_scope(). NULL: every
 * namespace.
 */
struct policy_scope {
	const char *const *include;
	size_t n_include;
	const char *const *exclude;
	size_t n_exclude;
};
struct policy_report *policy_verify(const struct policy_set *s, const struct graph *g,
				    const struct inventory *inv, const struct policy_scope *scope);
struct policy_report *policy_report_free(struct policy_report *r); /* NULL-safe, returns NULL */

/* Edges with a k8s end (the others are not counted anywhere below). */
size_t policy_report_governed(const struct policy_report *r);

/* Observed edges that the policies deny: what would break at lockdown. */
size_t policy_report_break_count(const struct policy_report *r);
const struct graph_edge *policy_report_break_edge(const struct policy_report *r, size_t i);
unsigned policy_report_break_denied(const struct policy_report *r, size_t i); /* POLICY_DENY_* */
/*
 * The policies that isolate the denying side, e.g. "egress shop/a; ingress shop/b,shop/c":
 * which policies to widen. Names are validated (DNS subdomains), so the text is safe to print.
 */
const char *policy_report_break_policies(const struct policy_report *r, size_t i);

/*
 * Observed edges with an unknown peer (a cluster address that matched no pod or Service): no
 * policy can name it, so they are listed apart and neither allowed nor broken.
 */
size_t policy_report_unknown_count(const struct policy_report *r);
const struct graph_edge *policy_report_unknown_edge(const struct policy_report *r, size_t i);

/*
 * k8s workloads in scope that no policy isolates, for ingress or egress: everything to and from
 * them is allowed. Pairs of two such ends are not counted as excess; they are listed here once.
 */
size_t policy_report_unlocked_count(const struct policy_report *r);
const struct graph_workload *policy_report_unlocked(const struct policy_report *r, size_t i);

/* How many k8s workloads of g outside the scope the policies isolate (not reported on). */
size_t policy_scope_hidden(const struct policy_set *s, const struct graph *g,
			   const struct policy_scope *scope);

/*
 * Pairs the policies allow more to than was observed: excess privilege. Either the pair was never
 * observed at all, or it was, and ports beyond the observed ones are allowed too. A pair whose
 * ends no policy isolates (unlocked) is not among them.
 */
size_t policy_report_excess_count(const struct policy_report *r);
const struct graph_workload *policy_report_excess_client(const struct policy_report *r, size_t i);
const struct graph_workload *policy_report_excess_server(const struct policy_report *r, size_t i);
bool policy_report_excess_observed(const struct policy_report *r, size_t i); /* on other ports */
/* What is allowed and was never observed on this pair. */
const struct policy_ports *policy_report_excess_ports(const struct policy_report *r, size_t i);
