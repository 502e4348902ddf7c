/* SPDX-License-Identifier: Apache-2.0 */
/*
 * learn.h - attribution of captured flows to workloads (adding them to a graph), and check's
 * comparison of flows with a baseline graph.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "capture/capture.h"
#include "graph/graph.h"
#include "inventory/inventory.h"
#include "util/util.h"

/* ---- Attribution -------------------------------------------------------------------------- */

/*
 * Resolves both ends of a captured flow through inv and adds the edge(s) to g; a flow that was
 * not served adds attempts instead (and touches no edge). Flows to loopback, multicast,
 * broadcast and unspecified addresses teach nothing and are dropped. Returns the number of
 * edges touched.
 */
size_t learn_add_flow(struct graph *g, struct inventory *inv, const struct capture_flow *flow);

/*
 * The edges of one flow without a graph, for whoever compares traffic with what was learned
 * (flowlock check): resolves the flow exactly as learn_add_flow does and calls fn once per
 * edge it would record. client and server are references owned by inv, valid while it is
 * unchanged. repeat is set when the flow is the second view of a connection already given (a
 * capture point that sees both sides of a Service's DNAT sees one connection as two flows):
 * learn counts it once. Returns the number of edges (0 for a flow that teaches nothing).
 */
typedef void (*learn_flow_edge_fn)(struct graph_workload *client, struct graph_workload *server,
				   uint8_t proto, uint16_t port, bool repeat, void *userdata);
size_t learn_flow_edges(struct inventory *inv, const struct capture_flow *flow,
			learn_flow_edge_fn fn, void *userdata);
/* As learn_flow_edges; a flow that has not ended (ended false) is never taken for a repeat. */
size_t learn_flow_edges_ex(struct inventory *inv, const struct capture_flow *flow, bool ended,
			   learn_flow_edge_fn fn, void *userdata);

/*
 * Like learn_add_flow for a flow that is still open (a checkpoint): its edges are added
 * with no connection counted, since the flow is counted once, when it ends.
 */
size_t learn_note_flow(struct graph *g, struct inventory *inv, const struct capture_flow *flow);

/* ---- Check: flows against a baseline (learn-check.c) --------------------------------------- */

/* One flow edge that a baseline does not allow: a connection, or an attempt that was not served. */
struct learn_violation {
	uint64_t time_ns; /* when the flow began */
	const struct graph_workload *client, *server;
	uint8_t proto;
	uint16_t port;
	enum capture_outcome outcome;
};

/*
 * flowlock check. Each flow's edges, resolved by learn_flow_edges, are looked up in baseline
 * (borrowed; it must outlive the check); fn gets each one the baseline lacks. An attempt (not
 * served) is reported only when its flow ends, and counts apart. With collect, reports wait for
 * learn_check_flush, which gives them sorted by time and edge (files: the same capture, the same
 * bytes); after it, and without collect, each is given as found (live).
 */
typedef void (*learn_check_fn)(void *userdata, const struct learn_violation *v);
struct learn_check *learn_check_new(const struct graph *baseline, bool collect, learn_check_fn fn,
				    void *userdata);
/*
 * A flow that ended (open false) or is still open. Live, open flows are checked each round, so a
 * connection the baseline does not allow is reported when it starts, not when it ends; each flow
 * is reported once, by its tracker id.
 */
void learn_check_flow(struct learn_check *c, struct inventory *inv, const struct capture_flow *flow,
		      bool open);
/* Around one round of open flows (capture_tracker_peek): the end forgets flows it did not see. */
void learn_check_round_begin(struct learn_check *c);
void learn_check_round_end(struct learn_check *c);
void learn_check_flush(struct learn_check *c);
struct learn_check_counts {
	uint64_t flows_found;	 /* served flows with an edge the baseline lacks */
	uint64_t attempts_found; /* refused or unanswered ones */
	size_t edges_found;	 /* distinct served edges the baseline lacks */
};
void learn_check_get_counts(const struct learn_check *c, struct learn_check_counts *ret);
struct learn_check *learn_check_free(struct learn_check *c); /* NULL-safe, returns NULL */
