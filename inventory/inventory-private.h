/* SPDX-License-Identifier: Apache-2.0 */
/* inventory-private.h - what the files of inventory/ share, and the Docker client's test hook. */
#pragma once

#include "inventory/inventory.h"
#include "util/util-yaml.h"

#include "util/util-uthash.h"

/* ---- Records: what one file said, kept so that every load can rebuild the lookups ---------- */

struct inv_kv {
	const char *key; /* both util_intern()'s */
	const char *value;
};

struct inv_cport {
	char *name; /* NULL when the container port has none */
	uint8_t proto;
	uint16_t port;
};

struct inv_addrs {
	struct util_addr *v;
	size_t n;
};

/* status.phase; NONE when the pod has none (a hand-written inventory): taken as running. */
enum inv_phase {
	INV_PHASE_NONE = 0,
	INV_PHASE_PENDING,
	INV_PHASE_RUNNING,
	INV_PHASE_SUCCEEDED,
	INV_PHASE_FAILED,
	INV_PHASE_UNKNOWN,
};

/* The controller ownerReference of a pod, ReplicaSet or Job: kind, API group, name. */
struct inv_owner {
	char *kind;  /* validated kind, NULL when there is no owner */
	char *group; /* "" for the core group, "apps", "argoproj.io", ... */
	char *name;
};

struct inv_pod {
	char *ns, *name;
	char *uid;	 /* metadata.uid, or NULL: tells one pod's records in two snapshots apart */
	bool superseded; /* a later state of this very pod (finished) is in the inventory */
	struct inv_owner owner_ref;
	struct inv_kv *labels;
	size_t n_labels;
	struct inv_addrs ips;
	struct inv_addrs host_ips;
	char *node; /* spec.nodeName, NULL when unscheduled */
	bool host_network;
	bool terminated; /* Succeeded or Failed: its IP may already belong to another pod */
	enum inv_phase phase;
	uint64_t start_ns; /* status.startTime, 0 when unknown */
	uint64_t end_ns;   /* terminated: when its last container finished, 0 when unknown */
	struct inv_cport *cports;
	size_t n_cports;
	struct graph_workload *w; /* set while the lookups are rebuilt */
};

/*
 * A controller object (Deployment, StatefulSet, DaemonSet, CronJob, Rollout...), or a
 * ReplicaSet or Job, which may be owned by one: what the inventory knows of workloads beyond
 * their pods, so that one with no pod running (scaled to zero, a CronJob between runs) is known.
 */
struct inv_object {
	char *ns, *name;
	char *controller;	    /* "Deployment", "Rollout.argoproj.io" */
	struct inv_owner owner_ref; /* its own controller, for ReplicaSets and Jobs */
	bool host_network;	    /* its pods are their node's: no workload of its own */
};

struct inv_sport {
	char *name; /* the service port's name, "" when it has none */
	uint8_t proto;
	uint16_t port;
	uint16_t target;    /* 0: the named target, or (no name either) the port itself */
	char *target_name;  /* a container port name, or NULL */
	uint16_t node_port; /* NodePort and LoadBalancer Services, else 0 */
};

struct inv_service {
	char *ns, *name;
	struct inv_addrs ips;	  /* ClusterIPs */
	struct inv_addrs outside; /* externalIPs and load-balancer ingress IPs */
	struct inv_kv *selector;
	size_t n_selector;
	struct inv_sport *ports;
	size_t n_ports;
};

/* A cluster range: a prefix of pod or Service addresses (podCIDRs, ServiceCIDRs, options). */
struct inv_range {
	struct util_addr addr; /* masked */
	uint8_t prefix;
};

struct inv_nodeobj {
	char *name;
	struct inv_addrs ips;
	struct inv_range *pod_cidrs;
	size_t n_pod_cidrs;
};

/* One address behind a Service, from an EndpointSlice or an Endpoints object. */
struct inv_slice_port {
	char *name; /* "" when the Service port has none */
	uint8_t proto;
	uint16_t port;
};

struct inv_slice {
	char *ns, *service;
	struct inv_addrs ready; /* endpoints that take traffic (conditions.ready not false) */
	struct inv_slice_port *ports;
	size_t n_ports;
};

/* A Namespace object's labels, for NetworkPolicy namespaceSelectors (flowlock verify). */
struct inv_namespace {
	char *name;
	struct inv_kv *labels;
	size_t n_labels;
};

struct inv_container {
	char *project; /* compose project, NULL for a plain container */
	char *name;    /* compose service, or the container name */
	struct inv_addrs ips;
	bool running;		   /* State.Running, or no State at all */
	uint64_t start_ns, end_ns; /* State.StartedAt and FinishedAt, 0 when unset */
	struct graph_workload *w;  /* set while the lookups are rebuilt */
};

struct inv_batch {
	char *path; /* the file, for warnings */
	struct inv_pod *pods;
	size_t n_pods, cap_pods;
	struct inv_object *objects;
	size_t n_objects, cap_objects;
	struct inv_slice *slices;
	size_t n_slices, cap_slices;
	struct inv_range *service_cidrs; /* ServiceCIDR objects */
	size_t n_service_cidrs;
	struct inv_service *services;
	size_t n_services, cap_services;
	struct inv_nodeobj *nodes;
	size_t n_nodes, cap_nodes;
	struct inv_container *containers;
	size_t n_containers, cap_containers;
	struct inv_namespace *namespaces;
	size_t n_namespaces, cap_namespaces;
};

/* ---- Lookup tables ------------------------------------------------------------------------ */

struct inv_wl {
	struct graph_workload *w; /* one reference, keyed by its id */
	struct inv_kv *labels;	  /* the intersection so far; strings borrowed from the records */
	size_t n_labels;
	bool seen;
	UT_hash_handle hh;
};

/* A pod that held an address once and has finished, over [start, end]. */
#define INV_PAST_HOLDERS 4
struct inv_past {
	struct graph_workload *w; /* borrowed from the workload table */
	uint64_t start, end;
};

struct inv_ip {
	struct util_addr addr;
	struct graph_workload *w;  /* who holds it now (borrowed), or NULL */
	uint64_t since;		   /* when that pod started, 0 when unknown */
	bool running;		   /* held by a pod in phase Running */
	const struct inv_pod *pod; /* the pod holding it, for warnings */
	struct inv_past *past;	   /* finished pods, latest end first: INV_PAST_HOLDERS, or NULL */
	size_t n_past;
	UT_hash_handle hh;
};

struct inv_svc_key {
	struct util_addr addr;
	uint8_t proto;
	uint16_t port;
};

/*
 * Where a Service address led before a stream changed it, until then; each workload holds a
 * reference. Kept only while streams are watched, where flows are attributed after the fact.
 */
#define INV_SVC_PAST 2
struct inv_svc_past {
	struct inventory_endpoint *eps;
	size_t n_eps; /* 0: the address was no Service's */
	uint64_t until;
};

struct inv_svc {
	struct inv_svc_key key; /* hashed as bytes: built from a zeroed struct */
	struct inventory_endpoint *eps;
	size_t n_eps;				/* 0: no Service's now, only in the past */
	struct inv_svc_past past[INV_SVC_PAST]; /* latest first */
	size_t n_past;
	UT_hash_handle hh;
};

/* A workload and port some Service address leads to. */
struct inv_backend_key {
	const struct graph_workload *w;
	uint16_t port;
	uint8_t proto;
	uint8_t pad[5]; /* keys are hashed as bytes: zeroed */
};

struct inv_backend {
	struct inv_backend_key key;
	UT_hash_handle hh;
};

/*
 * A peer that stands for a prefix, not a workload: an outside address aggregated to the external
 * prefix, or an address of a cluster range that nothing claims. Keyed by the masked prefix
 * (hashed as bytes, from a zeroed struct), so a lookup formats nothing.
 */
struct inv_prefix_peer {
	struct inv_range key;
	struct graph_workload *w; /* one reference */
	UT_hash_handle hh;
};

/*
 * The peers made so far, in two generations: a flood of forged sources names a new outside
 * address with every packet, so now holds at most INV_PREFIX_PEERS_MAX. When it is full it
 * becomes old and a new one starts; the old one before it goes. A workload a lookup returned
 * thus lives through at least that many more lookups: its caller uses it for one flow (which
 * makes two), and the graph and check keep references of their own.
 */
#define INV_PREFIX_PEERS_MAX 32768
struct inv_prefix_peers {
	struct inv_prefix_peer *now, *old;
};

/*
 * Live containers. An address keeps a short history of the containers that held it, each claim
 * valid over [since, until), so a flow is attributed to whoever held the address when it began.
 */
#define INV_LIVE_HISTORY 16 /* past claims kept per address; the oldest is dropped */
#define INV_LIVE_OPEN	 UINT64_MAX

struct inv_live_claim {
	struct graph_workload *w; /* borrowed from the live workload table */
	uint64_t serial;	  /* the claiming container's, so only its own claims are closed */
	uint64_t since, until;	  /* until is INV_LIVE_OPEN while the container holds it */
};

struct inv_live_ip {
	struct util_addr addr;				/* normalised */
	struct inv_live_claim claims[INV_LIVE_HISTORY]; /* sorted by since, oldest first */
	size_t n;
	UT_hash_handle hh;
};

struct inv_live_ctr {
	char *id;
	uint64_t serial;
	struct graph_workload *w;
	struct util_addr *addrs; /* normalised and unique */
	size_t n_addrs;
	UT_hash_handle hh;
};

/* Every workload a live container has had; kept until the inventory is freed. */
struct inv_live_wl {
	struct graph_workload *w; /* one reference, keyed by its id */
	UT_hash_handle hh;
};

/* A cluster range, in a set: looked up once per prefix length in use. */
struct inv_range_e {
	struct inv_range key; /* hashed as bytes: masked, from a zeroed struct */
	UT_hash_handle hh;
};

struct inv_stream;

struct inventory {
	struct inv_batch *batches; /* every successful load, oldest first */
	size_t n_batches;
	/* what every lookup reads, set by inv_rebuild: the files' batches, then each object the
	 * streams hold, in the order they came */
	struct inv_batch **all;
	size_t n_all;
	struct inv_stream **streams; /* watch streams (inventory-watch.c) */
	size_t n_streams;
	int stream_efd;		  /* readable when a stream has news; -1 until one is open */
	uint64_t rebuild_next_ns; /* monotonic: how soon a stream may rebuild */
	bool rebuild_due;	  /* a stream changed what the lookups know */
	uint64_t changed_ns;	  /* wall time of the first change a rebuild has yet to make */
	unsigned prefix4, prefix6;
	struct inv_range *given_ranges; /* --pod-cidr, --service-cidr: kept across reloads */
	size_t n_given_ranges;
	struct inv_range_e *ranges; /* every cluster range */
	uint8_t range_lens[2][129]; /* per family (IPv4, IPv6): the prefix lengths used, longest
				       first */
	size_t n_range_lens[2];
	struct inv_prefix_peers unknowns; /* one per cluster range */
	util_warn_fn warn;
	void *warn_userdata;
	struct util_said *said; /* warnings said: each once for the inventory's lifetime */
	/* another module's, freed with the inventory: learn-attribute.c's recent Service
	 * connections and flows like one before */
	void *attachment;
	void (*attachment_free)(void *data);
	struct inv_wl *workloads;
	struct graph_workload **view; /* workloads sorted by id */
	size_t n_view;
	struct inv_ip *ips;
	/* most of ips' entries, in one block a rebuild sizes by the records' addresses */
	struct inv_ip *ip_slab;
	size_t n_ip_slab, cap_ip_slab;
	struct inv_svc *svcs;
	struct inv_backend *backends;	   /* what svcs lead to */
	struct inv_prefix_peers externals; /* one per external prefix */
	/*
	 * Workloads replaced by a rebuild. Callers may still hold what an earlier lookup returned,
	 * so those stay alive until the inventory is freed.
	 */
	struct graph_workload **retired;
	size_t n_retired;
	struct inv_live_ip *live_ips;
	struct inv_live_ctr *live_ctrs;
	struct inv_live_wl *live_wls;
	uint64_t live_serial;
	uint64_t generation; /* inventory_generation(): moved by inv_changed() */
};

/* What a lookup answers may have changed: see inventory_generation(). */
static inline void inv_changed(struct inventory *inv)
{
	inv->generation++;
}

/*
 * Tests and fuzzing only (fuzz/fuzz-docker.c): what inventory_docker_open() and
 * inventory_docker_dispatch() do with the Docker Engine's answers, given here instead of read from
 * the socket. libcurl frames the HTTP; what it hands over, and what is given here, is each
 * response's status and body. events is GET /events (its body the stream, ending where the bytes
 * do), list GET /containers/json, inspects the answers to the GET /containers/{id}/json requests
 * the events queue, in the order they are asked. Every body goes through the write callback
 * libcurl calls, in pieces of read_size bytes (0: 1). Returns what inventory_docker_open() would;
 * the stream's end is no error.
 */
struct inventory_docker_response {
	int status; /* 0: 200 */
	const char *body;
	size_t len;
};
struct inventory_docker_replay {
	struct inventory_docker_response events, list;
	const struct inventory_docker_response *inspects;
	size_t count;
	size_t read_size;
};
int inventory_docker_replay(struct inventory *inv, const struct inventory_docker_replay *rp,
			    struct util_err *err);

/* ---- Reading files: one context per file, errors worded by the shared reader ---------- */

struct inv_ctx {
	struct util_yaml_reader rd; /* subject: "pod NS/NAME" */
	struct inv_batch *batch;
	/* a list read item by item: whether the rest of its items wait for its end */
	bool items_kept;
};

/* The shared reader words the errors (util-yaml.c). */
#define inv_fail(ctx, ...)  util_yaml_fail(&(ctx)->rd, __VA_ARGS__)
#define inv_field(ctx, ...) util_yaml_field(&(ctx)->rd, __VA_ARGS__)

/* ---- Shared between the files of inventory/ --------------------------------------------- */

/* Says a warning through the callback, once for the inventory's lifetime. */
#define inv_warn(inv, ...)                                                                         \
	util_warn_once(&(inv)->said, (inv)->warn, (inv)->warn_userdata, __VA_ARGS__)

/* records and lookups (inventory.c) */
void inv_addr_normalise(const struct util_addr *in, struct util_addr *out);
void inv_addrs_add(struct inv_addrs *a, const struct util_addr *addr);
void inv_batch_clear(struct inv_batch *b);
void *inv_grow(void *arr, size_t n, size_t *cap, size_t size);
void inv_kv_free(struct inv_kv *kv, size_t n);
const char *inv_kv_get(const struct inv_kv *kv, size_t n, const char *key);
void inv_object_clear(struct inv_object *o);
void inv_pod_clear(struct inv_pod *p);
void inv_rebuild(struct inventory *inv);
/* inv->all anew from the batches and the streams' objects (inv_rebuild does it first). */
void inv_all_build(struct inventory *inv);
void inv_service_clear(struct inv_service *s);
void inv_slice_clear(struct inv_slice *sl);
void inv_view_build(struct inventory *inv);

/* the parsing context's field readers (inventory-read.c) */
int inv_bool(struct inv_ctx *ctx, const struct util_yaml_node *map, const char *key, bool *ret);
int inv_ip(struct inv_ctx *ctx, const struct util_yaml_node *n, struct inv_addrs *out);
int inv_ip_list(struct inv_ctx *ctx, const struct util_yaml_node *map, const char *key,
		struct inv_addrs *out);
int inv_k8s_meta(struct inv_ctx *ctx, const struct util_yaml_node *obj, const char *what,
		 bool namespaced, bool name_is_label, const char **ret_ns, const char **ret_name);
int inv_labels(struct inv_ctx *ctx, const struct util_yaml_node *map, struct inv_kv **kv,
	       size_t *n_kv);
int inv_port(struct inv_ctx *ctx, const struct util_yaml_node *n, uint16_t *ret);
int inv_proto(struct inv_ctx *ctx, const struct util_yaml_node *map, uint8_t *ret);
int inv_str(struct inv_ctx *ctx, const struct util_yaml_node *map, const char *key,
	    const struct util_yaml_node **ret);

bool inv_item_alone(const struct util_yaml_node *root, const struct util_yaml_node *item,
		    char **ret_kind, const struct util_yaml_node **ret_api);

/* Kubernetes objects (inventory-k8s.c) */
char *inv_controller_name(const char *kind, const char *group);
int inv_k8s_document(struct inv_ctx *ctx, const struct util_yaml_node *root);
/* One item of a list; kind (the list's, less "List") and list_api may be NULL. */
int inv_k8s_object(struct inv_ctx *ctx, const struct util_yaml_node *obj, const char *kind,
		   const struct util_yaml_node *list_api);
int inv_range_parse(const char *s, struct inv_range *ret);

/* docker inspect (inventory-docker.c) */
int inv_docker_container(struct inv_ctx *ctx, const struct util_yaml_node *obj);
bool inv_is_docker(const struct util_yaml_node *root);
bool inv_is_image(const struct util_yaml_node *root);

/* watch streams (inventory-watch.c) */
void inv_streams_records(struct inventory *inv);
void inv_streams_free(struct inventory *inv);
/*
 * Tests only: how many bytes stream i (in the order opened) has read and made into messages, over
 * all its openings, and how many openings were applied (inventory_watch_dispatch).
 */
void inv_stream_progress(const struct inventory *inv, size_t i, size_t *ret_bytes,
			 unsigned *ret_opens);

/* live containers (inventory-live.c) */
void inv_live_clear(struct inventory *inv);
struct graph_workload *inv_live_find(const struct inventory *inv, const struct util_addr *a,
				     uint64_t ts, bool *ret_early);
