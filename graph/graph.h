/* SPDX-License-Identifier: Apache-2.0 */
/*
 * graph.h - the learned graph: workloads, workload -> workload edges (protocol, server port),
 * attempts that were not served, when things ran and were watched, per-node counts, merging,
 * and the state file that keeps it.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

/* ---- Workloads ---------------------------------------------------------------------------- */

enum graph_kind {
	GRAPH_KIND_K8S =
		0, /* namespace + controller (Deployment, StatefulSet, ..., or a bare Pod) */
	GRAPH_KIND_DOCKER,   /* compose project/service, else the container name */
	GRAPH_KIND_NODE,     /* a node IP, which hostNetwork pods share */
	GRAPH_KIND_EXTERNAL, /* an address (or prefix) that matches nothing in the inventory */
	/*
	 * An address inside the cluster's own ranges (pod and Service CIDRs) that matches no pod or
	 * Service: a pod that came and went between two inventories. No policy can name it (an
	 * ipBlock is for addresses outside the cluster), so its traffic is listed, never allowed.
	 */
	GRAPH_KIND_UNKNOWN,
};

/* "k8s", "docker", "node", "external", "unknown" and back. */
const char *graph_kind_name(enum graph_kind kind);
int graph_kind_from_name(const char *name, enum graph_kind *ret);

/*
 * A workload is immutable once it has been given to a graph or an inventory. Its id is derived
 * from its fields and is what the state file, the graph and every output key on:
 *   k8s       "k8s:NAMESPACE/CONTROLLER/NAME"  controller lowercased ("deployment", "pod", ...)
 *   docker    "docker:PROJECT/SERVICE" (compose) or "docker:NAME"
 *   node      "node:NAME"
 *   external  "external:CIDR"               (name is the CIDR, e.g. "203.0.113.7/32")
 *   unknown   "unknown:CIDR"                (name is the cluster range the address is in)
 * Reference counted: _new returns one reference, _unref(NULL) is fine and returns NULL.
 */
struct graph_workload;
struct graph_workload *graph_workload_new(enum graph_kind kind, const char *namespace_,
					  const char *controller, const char *name);
/*
 * The id graph_workload_new() would give, as snprintf(): its length is returned, and what fits
 * in size bytes of buf is written and ended. Finds a workload without making one.
 */
size_t graph_workload_format_id(enum graph_kind kind, const char *namespace_,
				const char *controller, const char *name, char *buf, size_t size);
struct graph_workload *graph_workload_ref(struct graph_workload *w);
struct graph_workload *graph_workload_unref(struct graph_workload *w);
/* Labels are the pod selector (k8s) or container labels kept for display; sorted by key. */
void graph_workload_set_label(struct graph_workload *w, const char *key, const char *value);
/*
 * Addresses are prefixes, kept unique and in the order of their text (util_prefix_format), the
 * order the state file lists them in; used for node and external peers. Host bits are kept.
 */
void graph_workload_add_address(struct graph_workload *w, const struct util_prefix *p);

const char *graph_workload_id(const struct graph_workload *w);
enum graph_kind graph_workload_kind(const struct graph_workload *w);
const char *graph_workload_namespace(const struct graph_workload *w);  /* "" when none */
const char *graph_workload_controller(const struct graph_workload *w); /* "" when none */
const char *graph_workload_name(const struct graph_workload *w);
size_t graph_workload_label_count(const struct graph_workload *w);
const char *graph_workload_label_key(const struct graph_workload *w, size_t i);
const char *graph_workload_label_value(const struct graph_workload *w, size_t i);
size_t graph_workload_address_count(const struct graph_workload *w);
const struct util_prefix *graph_workload_address_prefix(const struct graph_workload *w, size_t i);
const char *graph_workload_address(const struct graph_workload *w, size_t i); /* its text */
/*
 * The prefixes a node or outside peer stands for: its addresses, or for an external workload
 * that has none, the one its name spells (a bare address is a host). An external whose name is
 * no address has none. NULL past the end.
 */
size_t graph_workload_prefix_count(const struct graph_workload *w);
const struct util_prefix *graph_workload_prefix(const struct graph_workload *w, size_t i);

/* ---- The graph ---------------------------------------------------------------------------- */

/*
 * Workloads and the edges between them: client -> server over one protocol to one server port.
 * Every accessor that takes an index walks a sorted view, so iteration order is deterministic:
 * workloads by id; edges by client id, server id, protocol number, port.
 */
struct graph;
struct graph_edge;

struct graph *graph_new(void);
struct graph *graph_free(struct graph *g); /* NULL-safe, returns NULL */

/*
 * Adds w (taking a reference) or, when a workload with the same id is already there, replaces
 * its labels and addresses with w's (the newest inventory wins). Returns the graph's workload.
 */
const struct graph_workload *graph_add_workload(struct graph *g, struct graph_workload *w);
const struct graph_workload *graph_find_workload(const struct graph *g, const char *id);
/* The edge client -> server on proto/port, by workload ids, or NULL (constant time). */
const struct graph_edge *graph_find_edge(const struct graph *g, const char *client_id,
					 const char *server_id, uint8_t proto, uint16_t port);

/*
 * Adds connections to the edge client -> server (both must already be in g): connections are
 * summed, first_ns is the minimum and last_ns the maximum of what was there and what is added.
 */
void graph_add_edge(struct graph *g, const struct graph_workload *client,
		    const struct graph_workload *server, uint8_t proto, uint16_t port,
		    uint64_t connections, uint64_t first_ns, uint64_t last_ns);
/*
 * graph_add_workload() of both ends, then graph_add_edge(), each end looked up once: what the
 * capture path does for every flow. Returns the edge, which lives as long as g: edges are never
 * taken out of a graph.
 */
struct graph_edge *graph_add_flow_edge(struct graph *g, struct graph_workload *client,
				       struct graph_workload *server, uint8_t proto, uint16_t port,
				       uint64_t connections, uint64_t first_ns, uint64_t last_ns);
/* The same for an edge graph_add_flow_edge() returned: no lookup at all. */
void graph_edge_add_flow(struct graph *g, struct graph_edge *e, uint64_t connections,
			 uint64_t first_ns, uint64_t last_ns);
/*
 * Hints, for a caller about to add flows to many edges: fetch into the cache what
 * graph_edge_add_flow() reads of e, then (once e has arrived) of its two ends. They change
 * nothing.
 */
void graph_edge_prefetch(const struct graph_edge *e);
void graph_edge_prefetch_ends(const struct graph_edge *e);
/* Unique to g among the graphs of this process, even one made where a freed one was. */
uint64_t graph_serial(const struct graph *g);

/*
 * graph_workload() and graph_edge() go in order of ids (then protocol and port): sorted views,
 * brought up to date when first read after a change by sorting only what was added and merging
 * it in. graph_prepare_views() does that now if what was added is an eighth of the views or
 * more: for a moment with nothing else to do (learn calls it while the capture's reader is
 * behind), so that the save after the last packet has little left to sort. It changes nothing
 * the graph holds.
 */
void graph_prepare_views(const struct graph *g);
size_t graph_workload_count(const struct graph *g);
const struct graph_workload *graph_workload(const struct graph *g, size_t i);
size_t graph_edge_count(const struct graph *g);
const struct graph_edge *graph_edge(const struct graph *g, size_t i);

const struct graph_workload *graph_edge_client(const struct graph_edge *e);
const struct graph_workload *graph_edge_server(const struct graph_edge *e);
uint8_t graph_edge_proto(const struct graph_edge *e);
uint16_t graph_edge_port(const struct graph_edge *e);
uint64_t graph_edge_connections(const struct graph_edge *e);
uint64_t graph_edge_first_ns(const struct graph_edge *e);
uint64_t graph_edge_last_ns(const struct graph_edge *e);

/*
 * What was watched, and when. The observation window is the spans of time flowlock watched (a
 * capture file from its first to its last packet, a live agent from its start to its latest
 * save), united and sorted. At most GRAPH_MAX_WINDOWS are read or saved: beyond that, spans
 * closer than a gap that doubles from one second are joined until few enough remain, whatever
 * order they came in; a window may then claim such a gap as watched.
 */
#define GRAPH_MAX_WINDOWS 256
void graph_add_window(struct graph *g, uint64_t from_ns, uint64_t until_ns);
size_t graph_window_count(const struct graph *g);
void graph_window(const struct graph *g, size_t i, uint64_t *ret_from_ns, uint64_t *ret_until_ns);

/*
 * When a k8s or docker workload was seen running, first and last: from inventories (a pod in
 * phase Running, a container up) and from its own traffic (every edge notes both its ends over
 * the edge's first and last seen). A workload never seen running during the window (a CronJob
 * that did not fire, a Deployment scaled to zero, pods all Pending) gets no policy. w must be in
 * g (any instance with its id); other kinds are ignored. Merging keeps the earliest and latest.
 */
void graph_note_running(struct graph *g, const struct graph_workload *w, uint64_t first_ns,
			uint64_t last_ns);
/* False when w (any instance with its id) was never seen running, or is not in g. */
bool graph_workload_running(const struct graph *g, const struct graph_workload *w,
			    uint64_t *ret_first_ns, uint64_t *ret_last_ns);

/*
 * Attempts: flows that were refused or went unanswered (see enum capture_outcome), which are
 * never edges. Kept per client, server and protocol, counted per node like edges, with the
 * lowest GRAPH_ATTEMPT_PORTS server ports as examples (none for ICMP). At most
 * GRAPH_MAX_ATTEMPTS such pairs are kept: beyond them attempts are only counted, in the counter
 * "attempts-dropped", so a scan from random sources costs bounded memory. Sorted like edges.
 */
#define GRAPH_MAX_ATTEMPTS  4096
#define GRAPH_ATTEMPT_PORTS 8
struct graph_attempt;
/*
 * Adds to the attempts client -> server over proto (both must be in g): refused and unanswered
 * are summed for the current node, ports kept among the lowest, the span widened. False, and
 * nothing changed, when the pair is new and GRAPH_MAX_ATTEMPTS are kept already (attribution
 * then counts the flow in "attempts-dropped").
 */
bool graph_add_attempt(struct graph *g, const struct graph_workload *client,
		       const struct graph_workload *server, uint8_t proto, const uint16_t *ports,
		       size_t n_ports, uint64_t refused, uint64_t unanswered, uint64_t first_ns,
		       uint64_t last_ns);
bool graph_attempts_full(const struct graph *g);
size_t graph_attempt_count(const struct graph *g);
const struct graph_attempt *graph_attempt(const struct graph *g, size_t i);
const struct graph_workload *graph_attempt_client(const struct graph_attempt *a);
const struct graph_workload *graph_attempt_server(const struct graph_attempt *a);
uint8_t graph_attempt_proto(const struct graph_attempt *a);
uint64_t graph_attempt_refused(const struct graph_attempt *a);
uint64_t graph_attempt_unanswered(const struct graph_attempt *a);
uint64_t graph_attempt_first_ns(const struct graph_attempt *a);
uint64_t graph_attempt_last_ns(const struct graph_attempt *a);
size_t graph_attempt_port_count(const struct graph_attempt *a);
uint16_t graph_attempt_port(const struct graph_attempt *a, size_t i);
size_t graph_attempt_node_count(const struct graph_attempt *a);
const char *graph_attempt_node_name(const struct graph_attempt *a, size_t i);
void graph_attempt_node_counts(const struct graph_attempt *a, size_t i, uint64_t *ret_refused,
			       uint64_t *ret_unanswered);

/*
 * Named counters carried in the state (packets read, truncated, ...); added to, sorted by name.
 * A name is 1 to 63 of [A-Za-z0-9._-], a letter or digit at both ends: graph_counter_name_valid
 * says whether s is one (the state refuses any other); graph_counter_name_build makes one,
 * "PREFIX.WHAT", from untrusted text (an interface's name), replacing what the rule does not allow.
 */
#define GRAPH_COUNTER_NAME_MAX 63
bool graph_counter_name_valid(const char *s);
void graph_counter_name_build(char buf[static GRAPH_COUNTER_NAME_MAX + 1], const char *prefix,
			      const char *what);
void graph_add_counter(struct graph *g, const char *name, uint64_t n);
size_t graph_counter_count(const struct graph *g);
const char *graph_counter_name(const struct graph *g, size_t i);
uint64_t graph_counter_value(const struct graph *g, size_t i);

/*
 * Nodes: the hosts whose agents learned the graph, so that states from many agents merge
 * without counting anything twice. Every edge count and counter value belongs to one node;
 * graph_edge_connections() and graph_counter_value() are sums over nodes. "" is the
 * unnamed node (an agent run without --node). A node name is 1 to 253 of [A-Za-z0-9._-],
 * alphanumeric first.
 */
bool graph_node_name_valid(const char *name);
/*
 * Makes name the node that later graph_add_edge() and _add_counter() count for, adding
 * it when new. "" is the unnamed node; NULL is the unnamed node too, but added only when it
 * first counts (what a new graph starts with). -EINVAL for an invalid name.
 */
int graph_use_node(struct graph *g, const char *name);
/*
 * learn --node: as graph_use_node(), except that a graph learned by one node alone is
 * not mixed with another: when that node is unnamed it takes name, when it has another name
 * the result is -EEXIST and g is unchanged. -EINVAL for an invalid or empty name.
 */
int graph_claim_node(struct graph *g, const char *name);
/* The nodes that counted anything (or were named), sorted by name. */
size_t graph_node_count(const struct graph *g);
const char *graph_node_name(const struct graph *g, size_t i);
/* An edge's connections per node that saw it, sorted by node name. */
size_t graph_edge_node_count(const struct graph_edge *e);
const char *graph_edge_node_name(const struct graph_edge *e, size_t i);
uint64_t graph_edge_node_connections(const struct graph_edge *e, size_t i);
/* Counter i's value for node `node` (an index of graph_node_name()); -ENOENT if none. */
int graph_counter_node_value(const struct graph *g, size_t counter, size_t node,
			     uint64_t *ret_value);

/*
 * Merges from into g (flowlock merge). Workloads are united by id, their addresses too; per
 * node, an edge keeps the larger connection count and a counter the larger value (one agent's
 * counts only grow); first seen is the earlier and last seen the later time. So merging is
 * associative, commutative and idempotent. A workload whose labels differ between the two (a
 * rollout relabelled it) keeps the labels of the graph whose edges saw it last, on a tie the
 * larger label set: a maximum too, so the algebra holds. A workload whose kind, namespace,
 * controller or name differ is -EEXIST with err naming it ("workload \"ID\" has different
 * controller"), and g is unchanged. from is not changed; g may share its workloads.
 */
int graph_merge(struct graph *g, const struct graph *from, struct util_err *err);

/* Whether g knows any workload by name (k8s, docker, node), not only by address. */
bool graph_has_named(const struct graph *g);

/* ---- The state file ----------------------------------------------------------------------- */

/*
 * Version 2 added the observation window, when workloads ran, unknown peers and quoted times.
 * Version 3 added attempts; a state without any is still written as version 2, so that older
 * flowlock reads it and refuses, for its version, only a file it could not read right.
 * Version 1 files still load: their window is taken from their edges' first and last seen.
 */
#define GRAPH_STATE_VERSION 3

/*
 * Reads a state file written by graph_state_save(). -ENOENT (with err set) when the file does
 * not exist; any other failure names the file and, for YAML problems, the line and column.
 */
int graph_state_load(const char *path, struct graph **ret, struct util_err *err);

/*
 * Writes g to path atomically: a temporary file in the same directory, fsync, rename, fsync of
 * the directory. Output is byte-for-byte the same for the same graph. On failure path is untouched.
 */
int graph_state_save(const struct graph *g, const char *path, struct util_err *err);
