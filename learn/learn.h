/* SPDX-License-Identifier: Apache-2.0 */
/*
 * learn.h - attribution of captured flows to workloads (adding them to a graph), check's
 * comparison of flows with a baseline graph, and the agent that feeds either from capture files
 * and live sources.
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
 * learn_add_flow() of each of n flows, in order: the same graph, faster for many at once (a
 * tracker's batch), since what the next flows need is fetched while the first are added.
 */
void learn_add_flows(struct graph *g, struct inventory *inv, const struct capture_flow *flows,
		     size_t n);

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

/* ---- The agent: files, then live sources, into a graph or a check (learn-agent.c) ---------- */

/*
 * The agent says nothing itself: each message goes to log as one line (without "flowlock: " or a
 * newline), and the progress line to status, final on the last one, so that the program decides
 * where and how they are shown. stop (may be NULL) is asked before each round of the poll loop:
 * true ends the run (check's reports can no longer be written).
 */
typedef void (*learn_agent_log_fn)(void *userdata, const char *line);
typedef void (*learn_agent_status_fn)(void *userdata, const char *text, bool final);
typedef bool (*learn_agent_stop_fn)(void *userdata);

struct learn_agent_config {
	/*
	 * learn: each flow becomes edges of graph, saved to state_path at every checkpoint and at
	 * the end. check (graph and state_path NULL): each flow goes to check, and nothing is
	 * saved. graph, check and inv are borrowed; they must outlive the agent.
	 */
	struct graph *graph;
	const char *state_path;
	struct learn_check *check;
	struct inventory *inv;
	/*
	 * the files inv is loaded from (learn_agent_load_inventories); live, re-read on change.
	 * Live, "-" and FIFOs are watched instead (inventory_watch): streams that never end.
	 */
	const char *const *inventories;
	size_t n_inventories;
	bool live;
	/* live sources, opened by learn_agent_open in this order; then run as user (NULL: stay) */
	const char *docker_socket; /* NULL: no Docker Engine */
	const char *const *patterns;
	size_t n_patterns;
	bool conntrack;
	const char *user;
	const struct capture_tunnels *tunnels; /* looked inside, in files and live; copied */
	size_t max_flows;		       /* the tracker's, 0 for its default */
	bool one_way;
	uint64_t duration_s;   /* live: stop after, 0 for never (a signal stops it) */
	uint64_t checkpoint_s; /* live: save (or check open flows) every checkpoint_s, > 0 */
	uint64_t status_s;     /* live: a status line every status_s, > 0 */
	/* no status and no notices; warnings about what is lost, and errors, are said still */
	bool quiet;
	learn_agent_log_fn log;
	learn_agent_status_fn status;
	learn_agent_stop_fn stop;
	void *userdata;
};

/* What the agent has read so far, from files and live. */
struct learn_agent_stats {
	struct capture_stats cap;
	uint64_t flows;
	uint64_t refused, unanswered; /* of flows: attempts, never edges */
};

struct learn_agent;
struct learn_agent *learn_agent_new(const struct learn_agent_config *cfg);
/* Loads each of cfg's inventory files into inv, noting when it changed; err names the file. */
int learn_agent_load_inventories(struct learn_agent *a, struct util_err *err);
/*
 * Reads one capture file, each flow into the graph (or the check); learn also adds what the file
 * watched (its first to its last packet) to the graph's window, and who ran then.
 */
int learn_agent_read_file(struct learn_agent *a, const char *path, struct util_err *err);
/*
 * Before live capture: ends every flow the files left open and, when a file was read, saves what
 * they taught, so that it is safe on disk before the first live packet.
 */
int learn_agent_save_files(struct learn_agent *a, struct util_err *err);
/*
 * Opens the live sources (the Docker Engine, interfaces, conntrack), then drops privileges.
 * SIGINT, SIGTERM and SIGHUP are blocked from here on and read by learn_agent_run. On failure
 * nothing was learned live.
 */
int learn_agent_open(struct learn_agent *a, struct util_err *err);
/*
 * Polls the live sources until duration_s, SIGINT or SIGTERM, or stop, re-reading the
 * inventory files on SIGHUP or change and saving every checkpoint_s (a checkpoint that fails is
 * said once, and so is the first that works again). The last status line is given when it
 * ends well; on failure (poll, an interface, conntrack failing 10 times in a row) err says why,
 * and what was learned is still to be saved.
 */
int learn_agent_run(struct learn_agent *a, struct util_err *err);
/*
 * Saves the graph with the counters gained since the last save (check: reports the open flows
 * and saves nothing). final: reads what live capture still holds and ends every open flow
 * first; otherwise open flows are noted without being counted.
 */
int learn_agent_save(struct learn_agent *a, bool final, struct util_err *err);
void learn_agent_get_stats(const struct learn_agent *a, struct learn_agent_stats *ret);
struct learn_agent *learn_agent_free(struct learn_agent *a); /* NULL-safe, returns NULL */
