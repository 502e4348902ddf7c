/* SPDX-License-Identifier: Apache-2.0 */
/* learn.h - workloads, inventory, the learned graph of workload -> workload edges, its state file.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "capture/capture.h"
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
struct graph_workload *graph_workload_ref(struct graph_workload *w);
struct graph_workload *graph_workload_unref(struct graph_workload *w);
/* Labels are the pod selector (k8s) or container labels kept for display; sorted by key. */
void graph_workload_set_label(struct graph_workload *w, const char *key, const char *value);
/* Addresses are CIDR strings, kept sorted and unique; used for node and external peers. */
void graph_workload_add_address(struct graph_workload *w, const char *cidr);

const char *graph_workload_id(const struct graph_workload *w);
enum graph_kind graph_workload_kind(const struct graph_workload *w);
const char *graph_workload_namespace(const struct graph_workload *w);  /* "" when none */
const char *graph_workload_controller(const struct graph_workload *w); /* "" when none */
const char *graph_workload_name(const struct graph_workload *w);
size_t graph_workload_label_count(const struct graph_workload *w);
const char *graph_workload_label_key(const struct graph_workload *w, size_t i);
const char *graph_workload_label_value(const struct graph_workload *w, size_t i);
size_t graph_workload_address_count(const struct graph_workload *w);
const char *graph_workload_address(const struct graph_workload *w, size_t i);

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

/* ---- Inventory ---------------------------------------------------------------------------- */

/*
 * What users already have: `kubectl get nodes,namespaces,pods,services,endpointslices -A -o yaml`
 * (or -o json, or single objects; controllers such as Deployments and CronJobs too) and `docker
 * inspect` JSON. inventory_load() detects which it was given; "-" is standard input.
 * Names and labels are validated on the way in; a file that breaks the rules fails whole.
 */
struct inventory;
struct inventory *inventory_new(void);
struct inventory *inventory_free(struct inventory *inv); /* NULL-safe */
int inventory_load(struct inventory *inv, const char *path, struct util_err *err);

/*
 * Where the inventory's warnings go (two Running pods claiming one address, a file that names no
 * workload), each said once; none are said until this is set.
 */
void inventory_set_warn(struct inventory *inv, util_warn_fn fn, void *userdata);

/*
 * A cluster range given by the user (--pod-cidr, --service-cidr), in addition to the Nodes'
 * podCIDRs, ServiceCIDR objects and the prefix that holds every ClusterIP. An address inside a
 * cluster range that no pod, node or Service claims is an unknown peer ("unknown:RANGE"), never
 * an external one. -EINVAL for anything but ADDRESS/PREFIX.
 */
int inventory_add_cluster_range(struct inventory *inv, const char *cidr);

/*
 * Notes in g when the inventory's workloads ran within [from_ns, until_ns]: a pod Running then
 * (since status.startTime), a finished pod between its start and its last container's finish,
 * a container up. Pending pods never ran. For capture files the span is each file's; a live
 * agent notes the present at every save.
 */
void inventory_note_running(struct inventory *inv, struct graph *g, uint64_t from_ns,
			    uint64_t until_ns);

/* Prefix lengths that external addresses are aggregated to (defaults 32 and 128). */
int inventory_set_external_prefix(struct inventory *inv, unsigned v4, unsigned v6);

/* Every workload the inventory knows (k8s, docker, node), sorted by id, for the state to keep. */
size_t inventory_workload_count(const struct inventory *inv);
struct graph_workload *inventory_workload(const struct inventory *inv, size_t i);

/*
 * One end of a flow as the graph should record it. For a Service ClusterIP:port a server end
 * resolves to every distinct workload the Service selects, each with its target port.
 */
struct inventory_endpoint {
	struct graph_workload *workload; /* a reference owned by the inventory */
	uint16_t port;
};

/* The client end: the workload owning addr, a node, or an external endpoint (never fails). */
struct graph_workload *inventory_resolve_client(struct inventory *inv,
						const struct util_addr *addr);
/*
 * The server end(s): fills up to max endpoints and returns how many there are (>= 1). A
 * Service resolves to its backends and their target ports (named ports through the pods'
 * container ports); anything else to one endpoint with the port unchanged.
 */
size_t inventory_resolve_server(struct inventory *inv, const struct util_addr *addr, uint8_t proto,
				uint16_t port, struct inventory_endpoint *ret, size_t max);

/*
 * The addresses a workload holds now (file claims and live containers valid now), sorted, for
 * renderers that need addresses (nftables). Fills up to max and returns how many there are.
 */
size_t inventory_addresses(struct inventory *inv, const char *workload_id, struct util_addr *ret,
			   size_t max);

/*
 * What NetworkPolicy selectors see (flowlock verify). The value of label key on namespace ns
 * (the newest Namespace object of that name wins), or NULL when it has none. Every namespace,
 * listed or not, has kubernetes.io/metadata.name=NAME, as Kubernetes sets it; that value may be
 * ns itself. inv may be NULL.
 */
const char *inventory_namespace_label(const struct inventory *inv, const char *ns, const char *key);
/*
 * The numbers that the container port called name (with protocol proto) has in the pods of
 * workload workload_id: pods of one workload may disagree (a rollout). Fills up to max, sorted
 * and unique, and returns how many there are; 0 when no pod names such a port. Linear in pods.
 */
size_t inventory_named_port(const struct inventory *inv, const char *workload_id, const char *name,
			    uint8_t proto, uint16_t *ret, size_t max);

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
/* Whether g knows any workload by name (k8s, docker, node), not only by address. */
bool graph_has_named(const struct graph *g);

/* ---- Live identity (learn-inventory.c, learn-docker.c) ------------------------------------- */

/*
 * Containers known while running live. Each container's addresses belong to it from since_ns
 * until it is removed, so an address that moves from one container to another is attributed to
 * the right one at the time of each flow. A container set again (renamed, reconnected) replaces
 * its addresses from that time on. Names and labels are validated as in inventory_load().
 */
struct inventory_container {
	const char *id;	     /* the engine's container id */
	const char *name;    /* without the leading '/' */
	const char *project; /* com.docker.compose.project, or NULL */
	const char *service; /* com.docker.compose.service, or NULL */
	const struct util_addr *addrs;
	size_t n_addrs;
};
int inventory_set_container(struct inventory *inv, const struct inventory_container *c,
			    uint64_t since_ns, struct util_err *err);
void inventory_remove_container(struct inventory *inv, const char *id, uint64_t until_ns);

/* As inventory_resolve_client/_server, for a flow that started at ts_ns. */
struct graph_workload *inventory_resolve_client_at(struct inventory *inv,
						   const struct util_addr *addr, uint64_t ts_ns);
size_t inventory_resolve_server_at(struct inventory *inv, const struct util_addr *addr,
				   uint8_t proto, uint16_t port, uint64_t ts_ns,
				   struct inventory_endpoint *ret, size_t max);

/*
 * A Docker Engine API client on a unix socket (default /var/run/docker.sock): lists running
 * containers into the inventory, then follows the event stream (start, die, destroy, network
 * connect and disconnect, rename) so containers that start later are known by name.
 */
#define INVENTORY_DOCKER_SOCKET "/var/run/docker.sock"
struct inventory_docker;
int inventory_docker_open(const char *socket_path, struct inventory *inv,
			  struct inventory_docker **ret, struct util_err *err);
/* What to poll for input (POLLIN), then call dispatch: one descriptor for all its connections. */
int inventory_docker_fd(const struct inventory_docker *d);
/*
 * Reads what the event stream has and applies it, spending at most a fraction of a second on
 * asking the engine about containers; -EPIPE when the engine left (the claims this client
 * opened are then closed). A problem with one event or one container is skipped, not returned.
 */
int inventory_docker_dispatch(struct inventory_docker *d, struct util_err *err);
/* True while work is left for dispatch (containers queued to be inspected): call it again soon. */
bool inventory_docker_busy(const struct inventory_docker *d);
/* Connects to the socket (with a timeout) and closes it: can this user reach the engine? */
int inventory_docker_check_access(const char *socket_path, struct util_err *err);
struct inventory_docker *inventory_docker_free(struct inventory_docker *d); /* NULL-safe */

/*
 * Replaces what was loaded from files with what paths hold now (SIGHUP, or a file changed);
 * live containers stay. On failure nothing changes and err names the file.
 */
int inventory_reload(struct inventory *inv, const char *const *paths, size_t n,
		     struct util_err *err);

/*
 * Like learn_add_flow for a flow that is still open (a checkpoint): its edges are added
 * with no connection counted, since the flow is counted once, when it ends.
 */
size_t learn_note_flow(struct graph *g, struct inventory *inv, const struct capture_flow *flow);

/* ---- Shared with policy/: the YAML/JSON document tree (learn-tree.c) ----------------------- */

/*
 * Internal to learn/ and policy/, not for other modules: the tree that learn-inventory.c,
 * learn-docker.c and policy/ (NetworkPolicy files) build from libyaml's events and then walk.
 * Anchors, aliases and NUL bytes in strings are refused; every node keeps the 1-based line and
 * column where it starts. The tree never words an error itself: each fault goes to the caller's
 * fault callback, which writes its own one-line message into its util_err.
 */
enum util_yaml_type {
	UTIL_YAML_SCALAR,
	UTIL_YAML_SEQ,
	UTIL_YAML_MAP,
};

struct util_yaml_node {
	enum util_yaml_type type;
	bool plain; /* an unquoted scalar: may be null, a boolean or a number */
	size_t line, col;
	char *str;		      /* scalars: text without NUL bytes */
	struct util_yaml_node **kids; /* sequence items; mapping keys and values alternating */
	size_t n_kids, cap_kids;
};

enum util_yaml_fault_kind {
	UTIL_YAML_NOMEM,     /* libyaml's parser could not be initialised */
	UTIL_YAML_TOO_BIG,   /* a FILE longer than max_input */
	UTIL_YAML_READ,	     /* a FILE read failed: error */
	UTIL_YAML_SYNTAX,    /* libyaml refused the text: problem and context, each maybe NULL */
	UTIL_YAML_ANCHOR,    /* an anchor (&name) */
	UTIL_YAML_ALIAS,     /* an alias (*name) */
	UTIL_YAML_DOCUMENTS, /* a second document where opts->one_document */
	UTIL_YAML_VALUES,    /* more than max_values nodes */
	UTIL_YAML_DEPTH,     /* collections nested deeper than max_depth */
	UTIL_YAML_NUL,	     /* a NUL byte in a scalar */
	UTIL_YAML_DUPLICATE, /* a mapping names one key twice: problem is the key, untrusted */
	UTIL_YAML_EMPTY,     /* no document at all, when the root is returned */
};

struct util_yaml_fault {
	enum util_yaml_fault_kind kind;
	size_t line, col; /* 1-based; where libyaml stopped or where the refused node starts */
	const char *problem, *context;
	int error;
};

struct util_yaml_opts {
	size_t max_depth;  /* nesting of sequences and mappings */
	size_t max_values; /* nodes in the whole input; 0: no limit */
	size_t max_input;  /* bytes read from a FILE; 0: no limit */
	bool one_document; /* a second document is a fault (JSON is one value) */
	/* Words the fault into the caller's error and returns its -errno. */
	int (*fault)(void *userdata, const struct util_yaml_fault *f);
	/*
	 * Given each document's root (NULL when empty) as soon as it ends; the tree is freed after.
	 * A negative return stops the parse and is returned. When NULL, the last document's root is
	 * given to the caller instead, and no document at all is UTIL_YAML_EMPTY.
	 */
	int (*document)(void *userdata, const struct util_yaml_node *root);
	void *userdata;
};

/* ret_root is written only when opts->document is NULL, and then must not be NULL. */
int util_yaml_parse_file(FILE *f, const struct util_yaml_opts *opts,
			 struct util_yaml_node **ret_root);
int util_yaml_parse_buffer(const char *buf, size_t len, const struct util_yaml_opts *opts,
			   struct util_yaml_node **ret_root);
struct util_yaml_node *util_yaml_free(struct util_yaml_node *n); /* NULL-safe, returns NULL */
/* A YAML null: a plain "", "~", "null", "Null" or "NULL" scalar. */
bool util_yaml_is_null(const struct util_yaml_node *n);
/* The first value under key in a mapping, or NULL (also when map is NULL or not a mapping). */
const struct util_yaml_node *util_yaml_get(const struct util_yaml_node *map, const char *key);

/*
 * Reading a file of Kubernetes-style objects through the tree (the inventory, policy files):
 * where its errors go and how they are worded, so that every such file fails alike. Messages
 * are one line, "PATH:LINE:COL: MESSAGE" for a problem in the text. The caller fills a reader's
 * fields up to userdata, often in a reader embedded in its own context, and the rest zeroed.
 */
#define UTIL_YAML_SHOW_MAX 60 /* untrusted text in a message is escaped and cut to this */
#define UTIL_YAML_SHOW_LEN (UTIL_YAML_SHOW_MAX + 4)

/* A kind of file (an inventory, a policy file): fixed, one for each caller. */
struct util_yaml_format {
	const char *what;  /* in fault messages: "an inventory", "a policy file" */
	const char *empty; /* why a file without objects fails: "no Kubernetes objects" */
	size_t max_depth;  /* nesting of sequences and mappings */
	size_t max_size;   /* bytes; a whole number of MiB, as messages say it in MiB */
	/* Given each document that is not empty; a negative return stops the read. */
	int (*document)(void *userdata, const struct util_yaml_node *root);
};

/* One file being read. */
struct util_yaml_reader {
	const char *path;     /* the file's name in every message */
	struct util_err *err; /* where the one failure goes */
	const struct util_yaml_format *format;
	void *userdata; /* for format->document */
	/*
	 * What is being read, for messages, "" when nothing; only validated names go in. subject
	 * ("pod NS/NAME") is for the caller to word into its own messages, and util_yaml_field()
	 * adds " on SUBJECT"; suffix (" in networkpolicy NS/NAME") ends every message as it is.
	 */
	char subject[400];
	char suffix[400];
	size_t n_docs; /* documents given to document() so far */
	/* the fault that ended the read, when the text itself was at fault */
	bool faulted;
	enum util_yaml_fault_kind fault;
};

/*
 * Opens rd->path (anything but a directory; a larger file than max_size fails before it is
 * read) and reads it; _buffer reads len bytes of buf instead. Each calls format->document once
 * per document; a file without any is -EINVAL. Returns 0 or the -errno that went into rd->err.
 */
int util_yaml_read_file(struct util_yaml_reader *rd);
int util_yaml_read_buffer(struct util_yaml_reader *rd, const char *buf, size_t len);
/* "PATH:LINE:COL: MESSAGE" (1:1 when at is NULL) and suffix into rd->err; returns -EINVAL. */
int util_yaml_fail(struct util_yaml_reader *rd, const struct util_yaml_node *at, const char *fmt,
		   ...) __attribute__((format(printf, 3, 4)));
/*
 * key's value in map (map may be NULL) when it has type want; absent and null both give NULL.
 * Another type fails: "KEY is not a mapping" and the subject.
 */
int util_yaml_field(struct util_yaml_reader *rd, const struct util_yaml_node *map, const char *key,
		    enum util_yaml_type want, const struct util_yaml_node **ret);
/* "a scalar", "a sequence", "a mapping". */
const char *util_yaml_type_name(enum util_yaml_type t);
/*
 * Untrusted text for a message, escaped and cut to UTIL_YAML_SHOW_MAX characters in buf.
 * _node shows a scalar's text, and a collection as "(a sequence)" or "(a mapping)".
 */
const char *util_yaml_show(const char *s, char buf[static UTIL_YAML_SHOW_LEN]);
const char *util_yaml_show_node(const struct util_yaml_node *n,
				char buf[static UTIL_YAML_SHOW_LEN]);
