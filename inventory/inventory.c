/* SPDX-License-Identifier: Apache-2.0 */
/* inventory.c - kubectl, docker inspect and live containers turned into address lookups. */
#include "inventory/inventory-private.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#define HASH_FUNCTION UTIL_HASH_FUNCTION
#include <uthash.h>

#define INV_MAX_FILE_SIZE ((size_t)256 << 20)
#define INV_MAX_DEPTH	  64

/*
 * Labels that Kubernetes or its controllers put on pods one by one. They tell replicas, revisions
 * or runs apart and never describe the workload, so they are dropped before the pods' labels are
 * intersected into the workload's selector:
 *   pod-template-hash                         the Deployment's ReplicaSet revision
 *   controller-revision-hash                  the StatefulSet / DaemonSet revision
 *   pod-template-generation                   the DaemonSet generation (legacy)
 *   statefulset.kubernetes.io/pod-name        one StatefulSet replica
 *   apps.kubernetes.io/pod-index              one StatefulSet replica's ordinal
 *   controller-uid, batch.kubernetes.io/controller-uid      one Job run
 *   job-name, batch.kubernetes.io/job-name                  one Job run (a CronJob's schedule)
 *   batch.kubernetes.io/job-completion-index                one indexed Job completion
 *   rollouts-pod-template-hash                an Argo Rollout's ReplicaSet revision
 *   any key under topology.kubernetes.io/ or topology.k8s.io/   where a pod landed
 */
static const char *const inv_dropped_labels[] = {
	"pod-template-hash",
	"controller-revision-hash",
	"pod-template-generation",
	"statefulset.kubernetes.io/pod-name",
	"apps.kubernetes.io/pod-index",
	"controller-uid",
	"batch.kubernetes.io/controller-uid",
	"job-name",
	"batch.kubernetes.io/job-name",
	"batch.kubernetes.io/job-completion-index",
	"rollouts-pod-template-hash",
};
static const char *const inv_dropped_prefixes[] = {
	"topology.kubernetes.io/",
	"topology.k8s.io/",
};

/* ---- Records: what one file said, kept so that every load can rebuild the lookups ---------- */

struct inv_kv {
	char *key;
	char *value;
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
	struct graph_workload *w;		/* who holds it now (borrowed), or NULL */
	uint64_t since;				/* when that pod started, 0 when unknown */
	bool running;				/* held by a pod in phase Running */
	const struct inv_pod *pod;		/* the pod holding it, for warnings */
	struct inv_past past[INV_PAST_HOLDERS]; /* finished pods, latest end first */
	size_t n_past;
	UT_hash_handle hh;
};

struct inv_svc_key {
	struct util_addr addr;
	uint8_t proto;
	uint16_t port;
};

struct inv_svc {
	struct inv_svc_key key; /* hashed as bytes: built from a zeroed struct */
	struct inventory_endpoint *eps;
	size_t n_eps;
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

struct inventory {
	struct inv_batch *batches; /* every successful load, oldest first */
	size_t n_batches;
	unsigned prefix4, prefix6;
	struct inv_range *given_ranges; /* --pod-cidr, --service-cidr: kept across reloads */
	size_t n_given_ranges;
	struct inv_range_e *ranges; /* every cluster range */
	uint8_t range_lens[2][129]; /* per family (IPv4, IPv6): the prefix lengths used, longest
				       first */
	size_t n_range_lens[2];
	struct inv_prefix_peer *unknowns; /* one per cluster range */
	util_warn_fn warn;
	void *warn_userdata;
	struct util_said *said; /* warnings said: each once for the inventory's lifetime */
	/* another module's, freed with the inventory: learn-attribute.c's recent Service
	 * connections */
	void *attachment;
	void (*attachment_free)(void *data);
	struct inv_wl *workloads;
	struct graph_workload **view; /* workloads sorted by id */
	size_t n_view;
	struct inv_ip *ips;
	struct inv_svc *svcs;
	struct inv_backend *backends;	   /* what svcs lead to */
	struct inv_prefix_peer *externals; /* one per external prefix */
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
};

/* ---- Small helpers ------------------------------------------------------------------------ */

static void *inv_grow(void *arr, size_t n, size_t *cap, size_t size)
{
	if (n < *cap)
		return arr;
	*cap = *cap ? *cap * 2 : 8;
	return util_reallocarray(arr, *cap, size);
}

static void inv_addrs_add(struct inv_addrs *a, const struct util_addr *addr)
{
	for (size_t i = 0; i < a->n; i++)
		if (memcmp(&a->v[i], addr, sizeof(*addr)) == 0)
			return;
	a->v = util_reallocarray(a->v, a->n + 1, sizeof(*a->v));
	a->v[a->n++] = *addr;
}

static void inv_kv_free(struct inv_kv *kv, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(kv[i].key);
		free(kv[i].value);
	}
	free(kv);
}

static const char *inv_kv_get(const struct inv_kv *kv, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(kv[i].key, key) == 0)
			return kv[i].value;
	return NULL;
}

static void inv_owner_clear(struct inv_owner *o)
{
	free(o->kind);
	free(o->group);
	free(o->name);
	*o = (struct inv_owner){0};
}

static void inv_pod_clear(struct inv_pod *p)
{
	free(p->ns);
	free(p->name);
	free(p->uid);
	inv_owner_clear(&p->owner_ref);
	inv_kv_free(p->labels, p->n_labels);
	free(p->ips.v);
	free(p->host_ips.v);
	free(p->node);
	for (size_t i = 0; i < p->n_cports; i++)
		free(p->cports[i].name);
	free(p->cports);
}

static void inv_service_clear(struct inv_service *s)
{
	free(s->ns);
	free(s->name);
	free(s->ips.v);
	free(s->outside.v);
	inv_kv_free(s->selector, s->n_selector);
	for (size_t i = 0; i < s->n_ports; i++) {
		free(s->ports[i].name);
		free(s->ports[i].target_name);
	}
	free(s->ports);
}

static void inv_object_clear(struct inv_object *o)
{
	free(o->ns);
	free(o->name);
	free(o->controller);
	inv_owner_clear(&o->owner_ref);
}

static void inv_slice_clear(struct inv_slice *sl)
{
	free(sl->ns);
	free(sl->service);
	free(sl->ready.v);
	for (size_t i = 0; i < sl->n_ports; i++)
		free(sl->ports[i].name);
	free(sl->ports);
}

static void inv_batch_clear(struct inv_batch *b)
{
	for (size_t i = 0; i < b->n_pods; i++)
		inv_pod_clear(&b->pods[i]);
	for (size_t i = 0; i < b->n_services; i++)
		inv_service_clear(&b->services[i]);
	for (size_t i = 0; i < b->n_nodes; i++) {
		free(b->nodes[i].name);
		free(b->nodes[i].ips.v);
		free(b->nodes[i].pod_cidrs);
	}
	for (size_t i = 0; i < b->n_objects; i++)
		inv_object_clear(&b->objects[i]);
	for (size_t i = 0; i < b->n_slices; i++)
		inv_slice_clear(&b->slices[i]);
	free(b->objects);
	free(b->slices);
	free(b->service_cidrs);
	free(b->path);
	for (size_t i = 0; i < b->n_containers; i++) {
		free(b->containers[i].project);
		free(b->containers[i].name);
		free(b->containers[i].ips.v);
	}
	for (size_t i = 0; i < b->n_namespaces; i++) {
		free(b->namespaces[i].name);
		inv_kv_free(b->namespaces[i].labels, b->namespaces[i].n_labels);
	}
	free(b->namespaces);
	free(b->pods);
	free(b->services);
	free(b->nodes);
	free(b->containers);
	memset(b, 0, sizeof(*b));
}

/* IPv4 lives in the first 4 bytes with the rest zero; anything not AF_INET is taken as IPv6. */
static void inv_addr_normalise(const struct util_addr *in, struct util_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (in->family == AF_INET) {
		out->family = AF_INET;
		memcpy(out->bytes, in->bytes, 4);
	} else {
		out->family = AF_INET6;
		memcpy(out->bytes, in->bytes, 16);
	}
}

static int inv_addr_qsort_cmp(const void *a, const void *b)
{
	return util_addr_compare(a, b);
}

/* ---- Parsing context and errors ----------------------------------------------------------- */

struct inv_ctx {
	struct util_yaml_reader rd; /* subject: "pod NS/NAME" */
	struct inv_batch *batch;
};

/* The shared reader words the errors (util-yaml.c). */
#define inv_fail(ctx, ...)  util_yaml_fail(&(ctx)->rd, __VA_ARGS__)
#define inv_field(ctx, ...) util_yaml_field(&(ctx)->rd, __VA_ARGS__)

/* A string field: NULL when absent or null. */
static int inv_str(struct inv_ctx *ctx, const struct util_yaml_node *map, const char *key,
		   const struct util_yaml_node **ret)
{
	return inv_field(ctx, map, key, UTIL_YAML_SCALAR, ret);
}

static int inv_bool(struct inv_ctx *ctx, const struct util_yaml_node *map, const char *key,
		    bool *ret)
{
	const struct util_yaml_node *n;
	char show[UTIL_YAML_SHOW_LEN];
	int r;

	r = inv_str(ctx, map, key, &n);
	if (r < 0)
		return r;
	if (!n || strcmp(n->str, "false") == 0 || strcmp(n->str, "False") == 0 ||
	    strcmp(n->str, "FALSE") == 0) {
		*ret = false;
		return 0;
	}
	if (strcmp(n->str, "true") == 0 || strcmp(n->str, "True") == 0 ||
	    strcmp(n->str, "TRUE") == 0) {
		*ret = true;
		return 0;
	}
	return inv_fail(ctx, n, "invalid boolean \"%s\" for %s on %s", util_yaml_show(n->str, show),
			key, ctx->rd.subject);
}

static int inv_port(struct inv_ctx *ctx, const struct util_yaml_node *n, uint16_t *ret)
{
	char show[UTIL_YAML_SHOW_LEN];
	uint64_t v;

	if (n->type != UTIL_YAML_SCALAR || util_parse_u64(n->str, 65535, &v) < 0 || v == 0)
		return inv_fail(
			ctx, n, "invalid port \"%s\" on %s",
			util_yaml_show(n->type == UTIL_YAML_SCALAR ? n->str : "(not a scalar)",
				       show),
			ctx->rd.subject);
	*ret = (uint16_t)v;
	return 0;
}

/* Kubernetes ports speak TCP, UDP or SCTP; absent means TCP. */
static int inv_proto(struct inv_ctx *ctx, const struct util_yaml_node *map, uint8_t *ret)
{
	const struct util_yaml_node *n;
	char show[UTIL_YAML_SHOW_LEN];
	int r;

	r = inv_str(ctx, map, "protocol", &n);
	if (r < 0)
		return r;
	if (!n) {
		*ret = IPPROTO_TCP;
		return 0;
	}
	if (strcmp(n->str, "TCP") == 0 || strcmp(n->str, "UDP") == 0 || strcmp(n->str, "SCTP") == 0)
		return util_proto_from_name(n->str, ret);
	return inv_fail(ctx, n, "invalid protocol \"%s\" on %s", util_yaml_show(n->str, show),
			ctx->rd.subject);
}

/* An IP address field; empty strings are skipped. */
static int inv_ip(struct inv_ctx *ctx, const struct util_yaml_node *n, struct inv_addrs *out)
{
	struct util_addr a;
	char show[UTIL_YAML_SHOW_LEN];

	if (!n || util_yaml_is_null(n))
		return 0;
	if (n->type != UTIL_YAML_SCALAR)
		return inv_fail(ctx, n, "IP address is not a scalar on %s", ctx->rd.subject);
	if (!*n->str)
		return 0;
	if (util_addr_parse(n->str, &a) < 0)
		return inv_fail(ctx, n, "invalid IP address \"%s\" on %s",
				util_yaml_show(n->str, show), ctx->rd.subject);
	inv_addrs_add(out, &a);
	return 0;
}

/* A list of {ip: ADDR} (status.podIPs, status.hostIPs). */
static int inv_ip_list(struct inv_ctx *ctx, const struct util_yaml_node *map, const char *key,
		       struct inv_addrs *out)
{
	const struct util_yaml_node *seq, *ip;
	int r;

	r = inv_field(ctx, map, key, UTIL_YAML_SEQ, &seq);
	if (r < 0 || !seq)
		return r;
	for (size_t i = 0; i < seq->n_kids; i++) {
		if (seq->kids[i]->type != UTIL_YAML_MAP)
			return inv_fail(ctx, seq->kids[i], "%s item is not a mapping on %s", key,
					ctx->rd.subject);
		r = inv_str(ctx, seq->kids[i], "ip", &ip);
		if (r < 0)
			return r;
		r = inv_ip(ctx, ip, out);
		if (r < 0)
			return r;
	}
	return 0;
}

/* A label map (metadata.labels, spec.selector), every key and value validated. */
static int inv_labels(struct inv_ctx *ctx, const struct util_yaml_node *map, struct inv_kv **kv,
		      size_t *n_kv)
{
	char show[UTIL_YAML_SHOW_LEN];

	for (size_t i = 0; map && i + 1 < map->n_kids; i += 2) {
		const struct util_yaml_node *k = map->kids[i], *v = map->kids[i + 1];
		const char *value;

		if (k->type != UTIL_YAML_SCALAR || !util_k8s_label_key(k->str))
			return inv_fail(ctx, k, "invalid label key \"%s\" on %s",
					util_yaml_show(k->type == UTIL_YAML_SCALAR
							       ? k->str
							       : "(not a scalar)",
						       show),
					ctx->rd.subject);
		if (v->type != UTIL_YAML_SCALAR)
			return inv_fail(ctx, v, "invalid label value (not a scalar) on %s",
					ctx->rd.subject);
		value = util_yaml_is_null(v) ? "" : v->str;
		if (!util_k8s_label_value(value))
			return inv_fail(ctx, v, "invalid label value \"%s\" on %s",
					util_yaml_show(value, show), ctx->rd.subject);
		if (inv_kv_get(*kv, *n_kv, k->str))
			continue; /* a duplicate key: the first one counts, as in every lookup */
		*kv = util_reallocarray(*kv, *n_kv + 1, sizeof(**kv));
		(*kv)[(*n_kv)++] = (struct inv_kv){util_strdup(k->str), util_strdup(value)};
	}
	return 0;
}

/*
 * metadata.name (validated as a DNS label or subdomain) and, for namespaced objects,
 * metadata.namespace ("default" when absent, as kubectl applies it). Sets ctx->rd.subject.
 */
static int inv_k8s_meta(struct inv_ctx *ctx, const struct util_yaml_node *obj, const char *what,
			bool namespaced, bool name_is_label, const char **ret_ns,
			const char **ret_name)
{
	const struct util_yaml_node *meta, *name, *ns;
	char show[UTIL_YAML_SHOW_LEN];
	int r;

	ctx->rd.subject[0] = '\0';
	r = inv_field(ctx, obj, "metadata", UTIL_YAML_MAP, &meta);
	if (r < 0)
		return r;
	if (!meta)
		return inv_fail(ctx, obj, "%s without metadata", what);
	r = inv_str(ctx, meta, "name", &name);
	if (r < 0)
		return r;
	if (!name)
		return inv_fail(ctx, meta, "%s without metadata.name", what);
	if (!(name_is_label ? util_k8s_dns_label(name->str) : util_k8s_dns_subdomain(name->str)))
		return inv_fail(ctx, name, "invalid %s name \"%s\"", what,
				util_yaml_show(name->str, show));
	*ret_name = name->str;
	if (!namespaced) {
		snprintf(ctx->rd.subject, sizeof(ctx->rd.subject), "%s %s", what, name->str);
		return 0;
	}
	r = inv_str(ctx, meta, "namespace", &ns);
	if (r < 0)
		return r;
	if (ns && !util_k8s_dns_label(ns->str))
		return inv_fail(ctx, ns, "invalid namespace \"%s\" on %s %s",
				util_yaml_show(ns->str, show), what, name->str);
	*ret_ns = ns ? ns->str : "default";
	snprintf(ctx->rd.subject, sizeof(ctx->rd.subject), "%s %s/%s", what, *ret_ns, name->str);
	return 0;
}

/* ---- Kubernetes objects ------------------------------------------------------------------- */

/* apiVersion "apps/v1" is group "apps"; "v1" is the core group, "". */
static int inv_api_group(struct inv_ctx *ctx, const struct util_yaml_node *n, char **ret)
{
	char show[UTIL_YAML_SHOW_LEN];
	const char *slash;
	char *group;

	if (!n) {
		*ret = util_strdup("");
		return 0;
	}
	slash = strrchr(n->str, '/');
	group = slash ? util_strndup(n->str, (size_t)(slash - n->str)) : util_strdup("");
	if ((*group && !util_k8s_dns_subdomain(group)) || !*(slash ? slash + 1 : n->str)) {
		free(group);
		return inv_fail(ctx, n, "invalid apiVersion \"%s\" on %s",
				util_yaml_show(n->str, show), ctx->rd.subject);
	}
	*ret = group;
	return 0;
}

/* The built-in groups: their kinds are written without a group, as before groups were kept. */
static bool inv_group_builtin(const char *group)
{
	return !*group || strcmp(group, "apps") == 0 || strcmp(group, "batch") == 0 ||
	       strcmp(group, "extensions") == 0;
}

/* "Deployment", or for another group's kind "Rollout.argoproj.io". */
static char *inv_controller_name(const char *kind, const char *group)
{
	return inv_group_builtin(group) ? util_strdup(kind) : util_asprintf("%s.%s", kind, group);
}

/* The controller ownerReference of an object (the first one when none says controller). */
static int inv_owner_parse(struct inv_ctx *ctx, const struct util_yaml_node *meta,
			   struct inv_owner *ret)
{
	const struct util_yaml_node *owners, *owner = NULL, *kind, *name, *api;
	char show[UTIL_YAML_SHOW_LEN];
	int r;

	r = inv_field(ctx, meta, "ownerReferences", UTIL_YAML_SEQ, &owners);
	if (r < 0)
		return r;
	for (size_t i = 0; owners && i < owners->n_kids; i++) {
		bool controller;

		if (owners->kids[i]->type != UTIL_YAML_MAP)
			return inv_fail(ctx, owners->kids[i],
					"ownerReferences item is not a mapping on %s",
					ctx->rd.subject);
		r = inv_bool(ctx, owners->kids[i], "controller", &controller);
		if (r < 0)
			return r;
		if (!owner || controller)
			owner = owners->kids[i];
		if (controller)
			break;
	}
	if (!owner)
		return 0;
	r = inv_str(ctx, owner, "kind", &kind);
	if (r < 0)
		return r;
	if (!kind || !util_k8s_kind(kind->str))
		return inv_fail(ctx, kind ? kind : owner, "invalid owner kind \"%s\" on %s",
				util_yaml_show(kind ? kind->str : "", show), ctx->rd.subject);
	r = inv_str(ctx, owner, "name", &name);
	if (r < 0)
		return r;
	if (!name || !util_k8s_dns_subdomain(name->str))
		return inv_fail(ctx, name ? name : owner, "invalid owner name \"%s\" on %s",
				util_yaml_show(name ? name->str : "", show), ctx->rd.subject);
	r = inv_str(ctx, owner, "apiVersion", &api);
	if (r < 0)
		return r;
	r = inv_api_group(ctx, api, &ret->group);
	if (r < 0)
		return r;
	ret->kind = util_strdup(kind->str);
	ret->name = util_strdup(name->str);
	return 0;
}

/* A time field ("2026-11-20T09:14:05Z"); absent or null is 0. */
static int inv_time(struct inv_ctx *ctx, const struct util_yaml_node *map, const char *key,
		    uint64_t *ret)
{
	const struct util_yaml_node *n;
	char show[UTIL_YAML_SHOW_LEN];
	int r;

	*ret = 0;
	r = inv_str(ctx, map, key, &n);
	if (r < 0 || !n)
		return r;
	if (util_time_parse(n->str, ret) < 0)
		return inv_fail(ctx, n, "invalid time \"%s\" for %s on %s",
				util_yaml_show(n->str, show), key, ctx->rd.subject);
	return 0;
}

/*
 * When the pod's containers ran: the earliest start (when status.startTime is missing) and,
 * for a pod that finished, the latest finish of its containers.
 */
static int inv_container_times(struct inv_ctx *ctx, const struct util_yaml_node *status,
			       struct inv_pod *pod)
{
	static const char *const lists[] = {"initContainerStatuses", "containerStatuses"};
	const struct util_yaml_node *seq, *state, *st;
	uint64_t t;
	int r;

	for (size_t l = 0; l < UTIL_ARRAY_SIZE(lists); l++) {
		r = inv_field(ctx, status, lists[l], UTIL_YAML_SEQ, &seq);
		if (r < 0)
			return r;
		for (size_t i = 0; seq && i < seq->n_kids; i++) {
			r = inv_field(ctx, seq->kids[i], "state", UTIL_YAML_MAP, &state);
			if (r < 0)
				return r;
			for (int k = 0; k < 2; k++) {
				r = inv_field(ctx, state, k ? "terminated" : "running",
					      UTIL_YAML_MAP, &st);
				if (r < 0)
					return r;
				r = inv_time(ctx, st, "startedAt", &t);
				if (r < 0)
					return r;
				if (t && (!pod->start_ns || t < pod->start_ns))
					pod->start_ns = t;
				if (!k)
					continue;
				r = inv_time(ctx, st, "finishedAt", &t);
				if (r < 0)
					return r;
				if (t > pod->end_ns)
					pod->end_ns = t;
			}
		}
	}
	return 0;
}

static enum inv_phase inv_phase_parse(const char *s)
{
	static const char *const names[] = {
		[INV_PHASE_PENDING] = "Pending",
		[INV_PHASE_RUNNING] = "Running",
		[INV_PHASE_SUCCEEDED] = "Succeeded",
		[INV_PHASE_FAILED] = "Failed",
	};

	for (size_t i = INV_PHASE_PENDING; i < UTIL_ARRAY_SIZE(names); i++)
		if (strcmp(s, names[i]) == 0)
			return (enum inv_phase)i;
	return INV_PHASE_UNKNOWN;
}

static int inv_container_ports(struct inv_ctx *ctx, const struct util_yaml_node *spec,
			       const char *key, struct inv_pod *pod)
{
	const struct util_yaml_node *containers, *ports, *n;
	char show[UTIL_YAML_SHOW_LEN];
	int r;

	r = inv_field(ctx, spec, key, UTIL_YAML_SEQ, &containers);
	if (r < 0 || !containers)
		return r;
	for (size_t i = 0; i < containers->n_kids; i++) {
		r = inv_field(ctx, containers->kids[i], "ports", UTIL_YAML_SEQ, &ports);
		if (r < 0)
			return r;
		for (size_t j = 0; ports && j < ports->n_kids; j++) {
			const struct util_yaml_node *p = ports->kids[j];
			struct inv_cport cp = {0};

			if (p->type != UTIL_YAML_MAP)
				return inv_fail(ctx, p, "container port is not a mapping on %s",
						ctx->rd.subject);
			r = inv_str(ctx, p, "containerPort", &n);
			if (r < 0)
				return r;
			if (!n)
				return inv_fail(ctx, p,
						"container port without containerPort on %s",
						ctx->rd.subject);
			r = inv_port(ctx, n, &cp.port);
			if (r < 0)
				return r;
			r = inv_proto(ctx, p, &cp.proto);
			if (r < 0)
				return r;
			r = inv_str(ctx, p, "name", &n);
			if (r < 0)
				return r;
			if (n && !util_k8s_port_name(n->str))
				return inv_fail(ctx, n, "invalid port name \"%s\" on %s",
						util_yaml_show(n->str, show), ctx->rd.subject);
			cp.name = n ? util_strdup(n->str) : NULL;
			pod->cports = util_reallocarray(pod->cports, pod->n_cports + 1,
							sizeof(*pod->cports));
			pod->cports[pod->n_cports++] = cp;
		}
	}
	return 0;
}

static int inv_k8s_pod(struct inv_ctx *ctx, const struct util_yaml_node *obj)
{
	const struct util_yaml_node *meta, *labels, *spec, *status, *n;
	struct inv_pod pod = {0};
	char show[UTIL_YAML_SHOW_LEN];
	const char *ns, *name;
	int r;

	r = inv_k8s_meta(ctx, obj, "pod", true, false, &ns, &name);
	if (r < 0)
		goto out;
	pod.ns = util_strdup(ns);
	pod.name = util_strdup(name);
	meta = util_yaml_get(obj, "metadata");
	r = inv_field(ctx, meta, "labels", UTIL_YAML_MAP, &labels);
	if (r < 0)
		goto out;
	r = inv_labels(ctx, labels, &pod.labels, &pod.n_labels);
	if (r < 0)
		goto out;
	r = inv_owner_parse(ctx, meta, &pod.owner_ref);
	if (r < 0)
		goto out;
	r = inv_str(ctx, meta, "uid", &n);
	if (r < 0)
		goto out;
	if (n && *n->str && strlen(n->str) <= 128)
		pod.uid = util_strdup(n->str);

	r = inv_field(ctx, obj, "spec", UTIL_YAML_MAP, &spec);
	if (r < 0)
		goto out;
	r = inv_str(ctx, spec, "nodeName", &n);
	if (r < 0)
		goto out;
	if (n && !util_k8s_dns_subdomain(n->str)) {
		r = inv_fail(ctx, n, "invalid node name \"%s\" on %s", util_yaml_show(n->str, show),
			     ctx->rd.subject);
		goto out;
	}
	pod.node = n ? util_strdup(n->str) : NULL;
	r = inv_bool(ctx, spec, "hostNetwork", &pod.host_network);
	if (r < 0)
		goto out;
	r = inv_container_ports(ctx, spec, "containers", &pod);
	if (r < 0)
		goto out;
	/* sidecars are init containers that keep running, and may serve ports */
	r = inv_container_ports(ctx, spec, "initContainers", &pod);
	if (r < 0)
		goto out;

	r = inv_field(ctx, obj, "status", UTIL_YAML_MAP, &status);
	if (r < 0)
		goto out;
	r = inv_str(ctx, status, "phase", &n);
	if (r < 0)
		goto out;
	pod.phase = n ? inv_phase_parse(n->str) : INV_PHASE_NONE;
	pod.terminated = pod.phase == INV_PHASE_SUCCEEDED || pod.phase == INV_PHASE_FAILED;
	r = inv_time(ctx, status, "startTime", &pod.start_ns);
	if (r < 0)
		goto out;
	r = inv_container_times(ctx, status, &pod);
	if (r < 0)
		goto out;
	r = inv_ip(ctx, util_yaml_get(status, "podIP"), &pod.ips);
	if (r < 0)
		goto out;
	r = inv_ip_list(ctx, status, "podIPs", &pod.ips);
	if (r < 0)
		goto out;
	r = inv_ip(ctx, util_yaml_get(status, "hostIP"), &pod.host_ips);
	if (r < 0)
		goto out;
	r = inv_ip_list(ctx, status, "hostIPs", &pod.host_ips);
	if (r < 0)
		goto out;

	ctx->batch->pods = inv_grow(ctx->batch->pods, ctx->batch->n_pods, &ctx->batch->cap_pods,
				    sizeof(*ctx->batch->pods));
	ctx->batch->pods[ctx->batch->n_pods++] = pod;
	return 0;
out:
	inv_pod_clear(&pod);
	return r;
}

/* A Service or EndpointSlice port's name (a DNS label), "" when it has none. */
static int inv_port_name(struct inv_ctx *ctx, const struct util_yaml_node *map, char **ret)
{
	const struct util_yaml_node *n;
	char show[UTIL_YAML_SHOW_LEN];
	int r;

	r = inv_str(ctx, map, "name", &n);
	if (r < 0)
		return r;
	if (n && *n->str && !util_k8s_dns_label(n->str))
		return inv_fail(ctx, n, "invalid port name \"%s\" on %s",
				util_yaml_show(n->str, show), ctx->rd.subject);
	*ret = util_strdup(n ? n->str : "");
	return 0;
}

static int inv_service_port(struct inv_ctx *ctx, const struct util_yaml_node *p,
			    struct inv_sport *sp)
{
	const struct util_yaml_node *n;
	char show[UTIL_YAML_SHOW_LEN];
	int r;

	if (p->type != UTIL_YAML_MAP)
		return inv_fail(ctx, p, "service port is not a mapping on %s", ctx->rd.subject);
	r = inv_port_name(ctx, p, &sp->name);
	if (r < 0)
		return r;
	r = inv_str(ctx, p, "port", &n);
	if (r < 0)
		return r;
	if (!n)
		return inv_fail(ctx, p, "service port without port on %s", ctx->rd.subject);
	r = inv_port(ctx, n, &sp->port);
	if (r < 0)
		return r;
	r = inv_proto(ctx, p, &sp->proto);
	if (r < 0)
		return r;
	r = inv_str(ctx, p, "nodePort", &n);
	if (r < 0)
		return r;
	if (n) {
		r = inv_port(ctx, n, &sp->node_port);
		if (r < 0)
			return r;
	}
	r = inv_str(ctx, p, "targetPort", &n);
	if (r < 0 || !n)
		return r;
	if (*n->str >= '0' && *n->str <= '9')
		return inv_port(ctx, n, &sp->target);
	if (!util_k8s_port_name(n->str))
		return inv_fail(ctx, n, "invalid targetPort \"%s\" on %s",
				util_yaml_show(n->str, show), ctx->rd.subject);
	sp->target_name = util_strdup(n->str);
	return 0;
}

/* A ClusterIP that is "None" (headless) or empty (ExternalName) is no address. */
static int inv_cluster_ip(struct inv_ctx *ctx, const struct util_yaml_node *n,
			  struct inv_addrs *out)
{
	if (n && n->type == UTIL_YAML_SCALAR && strcmp(n->str, "None") == 0)
		return 0;
	return inv_ip(ctx, n, out);
}

static int inv_k8s_service(struct inv_ctx *ctx, const struct util_yaml_node *obj)
{
	const struct util_yaml_node *spec, *seq, *sel, *lb;
	struct inv_service svc = {0};
	const char *ns, *name;
	int r;

	r = inv_k8s_meta(ctx, obj, "service", true, true, &ns, &name);
	if (r < 0)
		goto out;
	svc.ns = util_strdup(ns);
	svc.name = util_strdup(name);
	r = inv_field(ctx, obj, "spec", UTIL_YAML_MAP, &spec);
	if (r < 0)
		goto out;
	r = inv_cluster_ip(ctx, util_yaml_get(spec, "clusterIP"), &svc.ips);
	if (r < 0)
		goto out;
	r = inv_field(ctx, spec, "clusterIPs", UTIL_YAML_SEQ, &seq);
	if (r < 0)
		goto out;
	for (size_t i = 0; seq && i < seq->n_kids; i++) {
		r = inv_cluster_ip(ctx, seq->kids[i], &svc.ips);
		if (r < 0)
			goto out;
	}
	/* addresses outside the cluster that lead to it: externalIPs, a load balancer's */
	r = inv_field(ctx, spec, "externalIPs", UTIL_YAML_SEQ, &seq);
	if (r < 0)
		goto out;
	for (size_t i = 0; seq && i < seq->n_kids; i++) {
		r = inv_ip(ctx, seq->kids[i], &svc.outside);
		if (r < 0)
			goto out;
	}
	r = inv_field(ctx, util_yaml_get(obj, "status"), "loadBalancer", UTIL_YAML_MAP, &lb);
	if (r < 0)
		goto out;
	/* {ip: ADDR}; one with a hostname instead (some clouds) is no address */
	r = inv_ip_list(ctx, lb, "ingress", &svc.outside);
	if (r < 0)
		goto out;
	r = inv_field(ctx, spec, "selector", UTIL_YAML_MAP, &sel);
	if (r < 0)
		goto out;
	r = inv_labels(ctx, sel, &svc.selector, &svc.n_selector);
	if (r < 0)
		goto out;
	r = inv_field(ctx, spec, "ports", UTIL_YAML_SEQ, &seq);
	if (r < 0)
		goto out;
	for (size_t i = 0; seq && i < seq->n_kids; i++) {
		svc.ports = util_reallocarray(svc.ports, svc.n_ports + 1, sizeof(*svc.ports));
		svc.ports[svc.n_ports] = (struct inv_sport){0};
		r = inv_service_port(ctx, seq->kids[i], &svc.ports[svc.n_ports]);
		svc.n_ports++; /* counted even when half-filled, so that it is freed */
		if (r < 0)
			goto out;
	}

	ctx->batch->services = inv_grow(ctx->batch->services, ctx->batch->n_services,
					&ctx->batch->cap_services, sizeof(*ctx->batch->services));
	ctx->batch->services[ctx->batch->n_services++] = svc;
	return 0;
out:
	inv_service_clear(&svc);
	return r;
}

/* "10.244.1.0/24" or "fd00:10:244:1::/64" into a masked range. */
static int inv_range_parse(const char *s, struct inv_range *ret)
{
	struct util_prefix p;

	if (util_prefix_parse(s, UTIL_PREFIX_MASK, &p) < 0)
		return -EINVAL;
	ret->addr = p.addr;
	ret->prefix = (uint8_t)p.len;
	return 0;
}

static int inv_cidr(struct inv_ctx *ctx, const struct util_yaml_node *n, struct inv_range *ret)
{
	char show[UTIL_YAML_SHOW_LEN];

	if (n->type != UTIL_YAML_SCALAR || inv_range_parse(n->str, ret) < 0)
		return inv_fail(ctx, n, "invalid CIDR \"%s\" on %s", util_yaml_show_node(n, show),
				ctx->rd.subject);
	return 0;
}

static int inv_cidr_list(struct inv_ctx *ctx, const struct util_yaml_node *map, const char *key,
			 struct inv_range **v, size_t *n)
{
	const struct util_yaml_node *seq;
	int r;

	r = inv_field(ctx, map, key, UTIL_YAML_SEQ, &seq);
	if (r < 0 || !seq)
		return r;
	for (size_t i = 0; i < seq->n_kids; i++) {
		*v = util_reallocarray(*v, *n + 1, sizeof(**v));
		r = inv_cidr(ctx, seq->kids[i], &(*v)[*n]);
		if (r < 0)
			return r;
		(*n)++;
	}
	return 0;
}

/* A ServiceCIDR (networking.k8s.io): the ranges ClusterIPs are given from. */
static int inv_k8s_service_cidr(struct inv_ctx *ctx, const struct util_yaml_node *obj)
{
	const struct util_yaml_node *spec;
	const char *ns, *name;
	int r;

	r = inv_k8s_meta(ctx, obj, "servicecidr", false, false, &ns, &name);
	if (r < 0)
		return r;
	r = inv_field(ctx, obj, "spec", UTIL_YAML_MAP, &spec);
	if (r < 0)
		return r;
	return inv_cidr_list(ctx, spec, "cidrs", &ctx->batch->service_cidrs,
			     &ctx->batch->n_service_cidrs);
}

/*
 * The addresses behind a Service: an EndpointSlice (discovery.k8s.io/v1), or an Endpoints object
 * (v1, older clusters and mirrored slices). Only endpoints that take traffic are kept.
 */
static int inv_slice_ports(struct inv_ctx *ctx, const struct util_yaml_node *seq,
			   struct inv_slice *sl)
{
	const struct util_yaml_node *n;
	int r;

	for (size_t i = 0; seq && i < seq->n_kids; i++) {
		struct inv_slice_port *sp;

		if (seq->kids[i]->type != UTIL_YAML_MAP)
			return inv_fail(ctx, seq->kids[i], "port is not a mapping on %s",
					ctx->rd.subject);
		r = inv_str(ctx, seq->kids[i], "port", &n);
		if (r < 0)
			return r;
		if (!n)
			continue; /* "all ports": nothing to translate a Service port to */
		sl->ports = util_reallocarray(sl->ports, sl->n_ports + 1, sizeof(*sl->ports));
		sp = &sl->ports[sl->n_ports++];
		*sp = (struct inv_slice_port){0};
		r = inv_port_name(ctx, seq->kids[i], &sp->name);
		if (r < 0)
			return r;
		r = inv_port(ctx, n, &sp->port);
		if (r < 0)
			return r;
		r = inv_proto(ctx, seq->kids[i], &sp->proto);
		if (r < 0)
			return r;
	}
	return 0;
}

static void inv_slice_add(struct inv_ctx *ctx, struct inv_slice *sl)
{
	struct inv_batch *b = ctx->batch;

	b->slices = inv_grow(b->slices, b->n_slices, &b->cap_slices, sizeof(*b->slices));
	b->slices[b->n_slices++] = *sl;
	*sl = (struct inv_slice){0};
}

static int inv_k8s_endpoint_slice(struct inv_ctx *ctx, const struct util_yaml_node *obj)
{
	const struct util_yaml_node *meta, *labels, *svc, *type, *seq, *addrs, *cond;
	struct inv_slice sl = {0};
	char show[UTIL_YAML_SHOW_LEN];
	const char *ns, *name;
	int r;

	r = inv_k8s_meta(ctx, obj, "endpointslice", true, false, &ns, &name);
	if (r < 0)
		return r;
	meta = util_yaml_get(obj, "metadata");
	r = inv_field(ctx, meta, "labels", UTIL_YAML_MAP, &labels);
	if (r < 0)
		return r;
	r = inv_str(ctx, labels, "kubernetes.io/service-name", &svc);
	if (r < 0)
		return r;
	if (!svc)
		return 0; /* a slice of no Service: nothing to resolve through it */
	if (!util_k8s_dns_label(svc->str))
		return inv_fail(ctx, svc, "invalid service name \"%s\" on %s",
				util_yaml_show(svc->str, show), ctx->rd.subject);
	r = inv_str(ctx, obj, "addressType", &type);
	if (r < 0)
		return r;
	if (type && strcmp(type->str, "IPv4") != 0 && strcmp(type->str, "IPv6") != 0)
		return 0; /* FQDN endpoints are names, not addresses */
	sl.ns = util_strdup(ns);
	sl.service = util_strdup(svc->str);
	r = inv_field(ctx, obj, "ports", UTIL_YAML_SEQ, &seq);
	if (r < 0)
		goto out;
	r = inv_slice_ports(ctx, seq, &sl);
	if (r < 0)
		goto out;
	r = inv_field(ctx, obj, "endpoints", UTIL_YAML_SEQ, &seq);
	if (r < 0)
		goto out;
	for (size_t i = 0; seq && i < seq->n_kids; i++) {
		bool ready = true;

		if (seq->kids[i]->type != UTIL_YAML_MAP) {
			r = inv_fail(ctx, seq->kids[i], "endpoint is not a mapping on %s",
				     ctx->rd.subject);
			goto out;
		}
		r = inv_field(ctx, seq->kids[i], "conditions", UTIL_YAML_MAP, &cond);
		if (r < 0)
			goto out;
		/* absent means ready, as the API says */
		if (cond && util_yaml_get(cond, "ready")) {
			r = inv_bool(ctx, cond, "ready", &ready);
			if (r < 0)
				goto out;
		}
		r = inv_field(ctx, seq->kids[i], "addresses", UTIL_YAML_SEQ, &addrs);
		if (r < 0)
			goto out;
		for (size_t j = 0; ready && addrs && j < addrs->n_kids; j++) {
			r = inv_ip(ctx, addrs->kids[j], &sl.ready);
			if (r < 0)
				goto out;
		}
	}
	inv_slice_add(ctx, &sl);
	return 0;
out:
	inv_slice_clear(&sl);
	return r;
}

static int inv_k8s_endpoints(struct inv_ctx *ctx, const struct util_yaml_node *obj)
{
	const struct util_yaml_node *subsets, *seq;
	struct inv_slice sl = {0};
	const char *ns, *name;
	int r;

	r = inv_k8s_meta(ctx, obj, "endpoints", true, true, &ns, &name);
	if (r < 0)
		return r;
	r = inv_field(ctx, obj, "subsets", UTIL_YAML_SEQ, &subsets);
	if (r < 0)
		return r;
	/* each subset is addresses times ports: one slice each */
	for (size_t i = 0; subsets && i < subsets->n_kids; i++) {
		sl.ns = util_strdup(ns);
		sl.service = util_strdup(name);
		r = inv_field(ctx, subsets->kids[i], "ports", UTIL_YAML_SEQ, &seq);
		if (r < 0)
			goto out;
		r = inv_slice_ports(ctx, seq, &sl);
		if (r < 0)
			goto out;
		/* notReadyAddresses take no traffic */
		r = inv_ip_list(ctx, subsets->kids[i], "addresses", &sl.ready);
		if (r < 0)
			goto out;
		inv_slice_add(ctx, &sl);
	}
	return 0;
out:
	inv_slice_clear(&sl);
	return r;
}

/* Whether a pod template runs on its node's network: its pods are that node, not a workload. */
static int inv_template_host_network(struct inv_ctx *ctx, const struct util_yaml_node *spec,
				     bool cronjob, bool *ret)
{
	const struct util_yaml_node *n = spec;
	int r;

	*ret = false;
	if (cronjob) {
		r = inv_field(ctx, n, "jobTemplate", UTIL_YAML_MAP, &n);
		if (r < 0)
			return r;
		r = inv_field(ctx, n, "spec", UTIL_YAML_MAP, &n);
		if (r < 0)
			return r;
	}
	r = inv_field(ctx, n, "template", UTIL_YAML_MAP, &n);
	if (r < 0)
		return r;
	r = inv_field(ctx, n, "spec", UTIL_YAML_MAP, &n);
	if (r < 0 || !n)
		return r;
	return inv_bool(ctx, n, "hostNetwork", ret);
}

/*
 * A controller object: Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob (the built-in
 * groups), an Argo Rollout, a Volcano Job. group is its apiVersion's.
 */
static int inv_k8s_controller(struct inv_ctx *ctx, const struct util_yaml_node *obj,
			      const char *kind, const char *group)
{
	const struct util_yaml_node *spec;
	struct inv_object o = {0};
	const char *ns, *name;
	int r;

	r = inv_k8s_meta(ctx, obj, kind, true, false, &ns, &name);
	if (r < 0)
		return r;
	r = inv_owner_parse(ctx, util_yaml_get(obj, "metadata"), &o.owner_ref);
	if (r < 0)
		goto out;
	r = inv_field(ctx, obj, "spec", UTIL_YAML_MAP, &spec);
	if (r < 0)
		goto out;
	r = inv_template_host_network(ctx, spec, strcmp(kind, "CronJob") == 0, &o.host_network);
	if (r < 0)
		goto out;
	o.ns = util_strdup(ns);
	o.name = util_strdup(name);
	o.controller = inv_controller_name(kind, group);
	ctx->batch->objects = inv_grow(ctx->batch->objects, ctx->batch->n_objects,
				       &ctx->batch->cap_objects, sizeof(*ctx->batch->objects));
	ctx->batch->objects[ctx->batch->n_objects++] = o;
	return 0;
out:
	inv_object_clear(&o);
	return r;
}

static int inv_k8s_node(struct inv_ctx *ctx, const struct util_yaml_node *obj)
{
	const struct util_yaml_node *status, *addrs, *type, *spec, *n;
	struct inv_nodeobj node = {0};
	const char *ns, *name;
	int r;

	r = inv_k8s_meta(ctx, obj, "node", false, false, &ns, &name);
	if (r < 0)
		return r;
	r = inv_field(ctx, obj, "status", UTIL_YAML_MAP, &status);
	if (r < 0)
		return r;
	r = inv_field(ctx, status, "addresses", UTIL_YAML_SEQ, &addrs);
	if (r < 0)
		return r;
	for (size_t i = 0; addrs && i < addrs->n_kids; i++) {
		r = inv_str(ctx, addrs->kids[i], "type", &type);
		if (r < 0)
			goto out;
		/* Hostname and the DNS entries are names, not addresses */
		if (!type ||
		    (strcmp(type->str, "InternalIP") != 0 && strcmp(type->str, "ExternalIP") != 0))
			continue;
		r = inv_ip(ctx, util_yaml_get(addrs->kids[i], "address"), &node.ips);
		if (r < 0)
			goto out;
	}
	r = inv_field(ctx, obj, "spec", UTIL_YAML_MAP, &spec);
	if (r < 0)
		goto out;
	r = inv_cidr_list(ctx, spec, "podCIDRs", &node.pod_cidrs, &node.n_pod_cidrs);
	if (r < 0)
		goto out;
	if (node.n_pod_cidrs == 0) { /* clusters before dual-stack: the one podCIDR */
		r = inv_str(ctx, spec, "podCIDR", &n);
		if (r < 0)
			goto out;
		if (n) {
			node.pod_cidrs = util_zalloc(sizeof(*node.pod_cidrs));
			node.n_pod_cidrs = 1;
			r = inv_cidr(ctx, n, node.pod_cidrs);
			if (r < 0)
				goto out;
		}
	}
	node.name = util_strdup(name);
	ctx->batch->nodes = inv_grow(ctx->batch->nodes, ctx->batch->n_nodes, &ctx->batch->cap_nodes,
				     sizeof(*ctx->batch->nodes));
	ctx->batch->nodes[ctx->batch->n_nodes++] = node;
	return 0;
out:
	free(node.ips.v);
	free(node.pod_cidrs);
	return r;
}

/* A Namespace: its name is validated as a DNS label, its labels kept for namespaceSelectors. */
static int inv_k8s_namespace(struct inv_ctx *ctx, const struct util_yaml_node *obj)
{
	const struct util_yaml_node *labels;
	struct inv_namespace nso = {0};
	const char *ns, *name;
	int r;

	r = inv_k8s_meta(ctx, obj, "namespace", false, true, &ns, &name);
	if (r < 0)
		return r;
	r = inv_field(ctx, util_yaml_get(obj, "metadata"), "labels", UTIL_YAML_MAP, &labels);
	if (r < 0)
		return r;
	r = inv_labels(ctx, labels, &nso.labels, &nso.n_labels);
	if (r < 0) {
		inv_kv_free(nso.labels, nso.n_labels);
		return r;
	}
	nso.name = util_strdup(name);
	ctx->batch->namespaces =
		inv_grow(ctx->batch->namespaces, ctx->batch->n_namespaces,
			 &ctx->batch->cap_namespaces, sizeof(*ctx->batch->namespaces));
	ctx->batch->namespaces[ctx->batch->n_namespaces++] = nso;
	return 0;
}

/* The kinds of workload controllers flowlock reads, by API group. */
static const struct {
	const char *group, *kind;
} inv_controller_kinds[] = {
	{"apps", "Deployment"},	    {"apps", "StatefulSet"},
	{"apps", "DaemonSet"},	    {"apps", "ReplicaSet"},
	{"batch", "Job"},	    {"batch", "CronJob"},
	{"argoproj.io", "Rollout"}, {"batch.volcano.sh", "Job"},
};

static int inv_k8s_object(struct inv_ctx *ctx, const struct util_yaml_node *obj, const char *kind,
			  const struct util_yaml_node *list_api)
{
	const struct util_yaml_node *n, *api;
	char *group = NULL;
	int r;

	if (obj->type != UTIL_YAML_MAP)
		return inv_fail(ctx, obj, "list item is not a mapping");
	r = inv_str(ctx, obj, "kind", &n);
	if (r < 0)
		return r;
	if (n)
		kind = n->str;
	if (!kind)
		return 0;
	if (strcmp(kind, "Pod") == 0)
		return inv_k8s_pod(ctx, obj);
	if (strcmp(kind, "Service") == 0)
		return inv_k8s_service(ctx, obj);
	if (strcmp(kind, "Node") == 0)
		return inv_k8s_node(ctx, obj);
	if (strcmp(kind, "Namespace") == 0)
		return inv_k8s_namespace(ctx, obj);
	if (strcmp(kind, "EndpointSlice") == 0)
		return inv_k8s_endpoint_slice(ctx, obj);
	if (strcmp(kind, "Endpoints") == 0)
		return inv_k8s_endpoints(ctx, obj);
	if (strcmp(kind, "ServiceCIDR") == 0)
		return inv_k8s_service_cidr(ctx, obj);
	/* a typed list's items carry neither kind nor apiVersion: the list's holds */
	r = inv_str(ctx, obj, "apiVersion", &api);
	if (r < 0)
		return r;
	r = inv_api_group(ctx, api ? api : list_api, &group);
	if (r < 0)
		return r;
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(inv_controller_kinds); i++) {
		if (strcmp(kind, inv_controller_kinds[i].kind) == 0 &&
		    strcmp(group, inv_controller_kinds[i].group) == 0) {
			r = inv_k8s_controller(ctx, obj, kind, group);
			break;
		}
	}
	free(group);
	return r; /* ConfigMaps, Secrets...: nothing to learn addresses or workloads from */
}

/* A List ("List", or "PodList" and friends, whose items carry no kind) or a single object. */
static int inv_k8s_document(struct inv_ctx *ctx, const struct util_yaml_node *root)
{
	const char *kind = util_yaml_get(root, "kind")->str;
	const struct util_yaml_node *items, *api = util_yaml_get(root, "apiVersion");
	size_t len = strlen(kind);
	char *item_kind = NULL;
	int r;

	if (len < 4 || strcmp(kind + len - 4, "List") != 0)
		return inv_k8s_object(ctx, root, NULL, NULL);
	r = inv_field(ctx, root, "items", UTIL_YAML_SEQ, &items);
	if (r < 0)
		return r;
	if (len > 4)
		item_kind = util_strndup(kind, len - 4);
	for (size_t i = 0; items && i < items->n_kids && r == 0; i++)
		r = inv_k8s_object(ctx, items->kids[i], item_kind, api);
	free(item_kind);
	return r;
}

/* ---- docker inspect ----------------------------------------------------------------------- */

static int inv_docker_ips(struct inv_ctx *ctx, const struct util_yaml_node *map,
			  struct inv_addrs *out)
{
	const struct util_yaml_node *n;
	int r;

	r = inv_str(ctx, map, "IPAddress", &n);
	if (r < 0)
		return r;
	r = inv_ip(ctx, n, out);
	if (r < 0)
		return r;
	r = inv_str(ctx, map, "GlobalIPv6Address", &n);
	if (r < 0)
		return r;
	return inv_ip(ctx, n, out);
}

static int inv_docker_label(struct inv_ctx *ctx, const struct util_yaml_node *labels,
			    const char *key, const char *what, const struct util_yaml_node **ret)
{
	char show[UTIL_YAML_SHOW_LEN];
	const struct util_yaml_node *n;
	int r;

	r = inv_str(ctx, labels, key, &n);
	if (r < 0)
		return r;
	if (n && !util_docker_name(n->str))
		return inv_fail(ctx, n, "invalid compose %s label \"%s\" on %s", what,
				util_yaml_show(n->str, show), ctx->rd.subject);
	*ret = n;
	return 0;
}

/*
 * Whether the container was up, and when. Docker writes "0001-01-01T00:00:00Z" for a time
 * that never happened, and nanoseconds; anything that is not a time counts as unset.
 */
static int inv_docker_state(struct inv_ctx *ctx, const struct util_yaml_node *obj,
			    struct inv_container *c)
{
	const struct util_yaml_node *state, *n;
	int r;

	c->running = true;
	r = inv_field(ctx, obj, "State", UTIL_YAML_MAP, &state);
	if (r < 0 || !state)
		return r;
	r = inv_bool(ctx, state, "Running", &c->running);
	if (r < 0)
		return r;
	r = inv_str(ctx, state, "StartedAt", &n);
	if (r < 0)
		return r;
	if (n && util_time_parse(n->str, &c->start_ns) < 0)
		c->start_ns = 0;
	r = inv_str(ctx, state, "FinishedAt", &n);
	if (r < 0)
		return r;
	if (n && util_time_parse(n->str, &c->end_ns) < 0)
		c->end_ns = 0;
	return 0;
}

/*
 * A compose container is the workload "PROJECT/SERVICE", labelled with the two compose labels
 * under their own keys; a plain container is its name and has no labels. Other Config.Labels
 * are free-form (images put anything there) and are not kept.
 */
static int inv_docker_container(struct inv_ctx *ctx, const struct util_yaml_node *obj)
{
	const struct util_yaml_node *name, *config, *labels, *project, *service, *host, *mode, *net,
		*nets;
	struct inv_container c = {0};
	char show[UTIL_YAML_SHOW_LEN];
	const char *cname;
	int r;

	ctx->rd.subject[0] = '\0';
	r = inv_str(ctx, obj, "Name", &name);
	if (r < 0)
		return r;
	if (!name)
		return inv_fail(ctx, obj, "container without Name");
	cname = name->str[0] == '/' ? name->str + 1 : name->str;
	if (!util_docker_name(cname))
		return inv_fail(ctx, name, "invalid container name \"%s\"",
				util_yaml_show(cname, show));
	snprintf(ctx->rd.subject, sizeof(ctx->rd.subject), "container %s", cname);

	r = inv_field(ctx, obj, "Config", UTIL_YAML_MAP, &config);
	if (r < 0)
		return r;
	r = inv_field(ctx, config, "Labels", UTIL_YAML_MAP, &labels);
	if (r < 0)
		return r;
	r = inv_docker_label(ctx, labels, "com.docker.compose.project", "project", &project);
	if (r < 0)
		return r;
	r = inv_docker_label(ctx, labels, "com.docker.compose.service", "service", &service);
	if (r < 0)
		return r;

	r = inv_field(ctx, obj, "HostConfig", UTIL_YAML_MAP, &host);
	if (r < 0)
		return r;
	r = inv_str(ctx, host, "NetworkMode", &mode);
	if (r < 0)
		return r;
	r = inv_field(ctx, obj, "NetworkSettings", UTIL_YAML_MAP, &net);
	if (r < 0)
		return r;
	r = inv_docker_ips(ctx, net, &c.ips);
	if (r < 0)
		goto out;
	r = inv_field(ctx, net, "Networks", UTIL_YAML_MAP, &nets);
	if (r < 0)
		goto out;
	for (size_t i = 0; nets && i + 1 < nets->n_kids; i += 2) {
		if (util_yaml_is_null(nets->kids[i + 1]))
			continue;
		if (nets->kids[i + 1]->type != UTIL_YAML_MAP) {
			r = inv_fail(ctx, nets->kids[i + 1], "network is not a mapping on %s",
				     ctx->rd.subject);
			goto out;
		}
		r = inv_docker_ips(ctx, nets->kids[i + 1], &c.ips);
		if (r < 0)
			goto out;
	}
	r = inv_docker_state(ctx, obj, &c);
	if (r < 0)
		goto out;
	/* a host-network container has no address of its own: its traffic is the host's */
	if (mode && strcmp(mode->str, "host") == 0) {
		r = 0;
		goto out;
	}

	if (project && service) {
		c.project = util_strdup(project->str);
		c.name = util_strdup(service->str);
	} else {
		c.name = util_strdup(cname);
	}
	ctx->batch->containers =
		inv_grow(ctx->batch->containers, ctx->batch->n_containers,
			 &ctx->batch->cap_containers, sizeof(*ctx->batch->containers));
	ctx->batch->containers[ctx->batch->n_containers++] = c;
	return 0;
out:
	free(c.ips.v);
	return r;
}

/* docker image inspect: images have RepoTags and RootFS, and no container's State or Name. */
static bool inv_is_image(const struct util_yaml_node *root)
{
	if (root->type != UTIL_YAML_SEQ || root->n_kids == 0)
		return false;
	for (size_t i = 0; i < root->n_kids; i++) {
		const struct util_yaml_node *c = root->kids[i];

		if (c->type != UTIL_YAML_MAP || util_yaml_get(c, "State") ||
		    util_yaml_get(c, "Name") ||
		    (!util_yaml_get(c, "RepoTags") && !util_yaml_get(c, "RootFS")))
			return false;
	}
	return true;
}

static bool inv_is_docker(const struct util_yaml_node *root)
{
	if (root->type != UTIL_YAML_SEQ || root->n_kids == 0)
		return false;
	for (size_t i = 0; i < root->n_kids; i++) {
		const struct util_yaml_node *c = root->kids[i];

		if (c->type != UTIL_YAML_MAP || !util_yaml_get(c, "Id") ||
		    (!util_yaml_get(c, "NetworkSettings") && !util_yaml_get(c, "Config")))
			return false;
	}
	return true;
}

/* Each document that is not empty (the reader's callback). */
static int inv_document(void *data, const struct util_yaml_node *root)
{
	struct inv_ctx *ctx = data;
	const struct util_yaml_node *kind, *api;
	int r = 0;

	kind = util_yaml_get(root, "kind");
	api = util_yaml_get(root, "apiVersion");
	if (kind && kind->type == UTIL_YAML_SCALAR && api && api->type == UTIL_YAML_SCALAR)
		return inv_k8s_document(ctx, root);
	if (inv_is_image(root))
		return inv_fail(ctx, root,
				"docker image inspect output (images, not containers): give "
				"'docker inspect' of the running containers");
	if (inv_is_docker(root)) {
		for (size_t i = 0; i < root->n_kids && r == 0; i++)
			r = inv_docker_container(ctx, root->kids[i]);
		return r;
	}
	/* kubectl -o yaml writes "kind: List" after the items: a file cut short has none */
	if (api && util_yaml_get(root, "items") && !kind)
		return inv_fail(ctx, root,
				"a kubectl list without its closing \"kind: List\": was the file "
				"cut short?");
	return inv_fail(ctx, root, "not a kubectl or docker inspect inventory");
}

/* ---- Building the lookups ----------------------------------------------------------------- */

static bool inv_label_dropped(const char *key)
{
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(inv_dropped_labels); i++)
		if (strcmp(key, inv_dropped_labels[i]) == 0)
			return true;
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(inv_dropped_prefixes); i++)
		if (strncmp(key, inv_dropped_prefixes[i], strlen(inv_dropped_prefixes[i])) == 0)
			return true;
	return false;
}

/* Says a warning through the callback, once for the inventory's lifetime. */
#define inv_warn(inv, ...)                                                                         \
	util_warn_once(&(inv)->said, (inv)->warn, (inv)->warn_userdata, __VA_ARGS__)

static struct inv_wl *inv_workload(struct inventory *inv, enum graph_kind kind, const char *ns,
				   const char *controller, const char *name)
{
	struct graph_workload *w = graph_workload_new(kind, ns, controller, name);
	const char *id = graph_workload_id(w);
	struct inv_wl *e;

	HASH_FIND_STR(inv->workloads, id, e);
	if (e) {
		graph_workload_unref(w);
		return e;
	}
	e = util_zalloc(sizeof(*e));
	e->w = w;
	HASH_ADD_KEYPTR(hh, inv->workloads, id, strlen(id), e);
	return e;
}

/* The selector is what every pod of the workload carries, minus the per-pod labels. */
static void inv_workload_intersect(struct inv_wl *e, const struct inv_pod *pod)
{
	size_t keep = 0;

	if (!e->seen) {
		e->seen = true;
		e->labels = util_reallocarray(NULL, pod->n_labels, sizeof(*e->labels));
		for (size_t i = 0; i < pod->n_labels; i++)
			if (!inv_label_dropped(pod->labels[i].key))
				e->labels[e->n_labels++] = pod->labels[i];
		return;
	}
	for (size_t i = 0; i < e->n_labels; i++) {
		const char *v = inv_kv_get(pod->labels, pod->n_labels, e->labels[i].key);

		if (v && strcmp(v, e->labels[i].value) == 0)
			e->labels[keep++] = e->labels[i];
	}
	e->n_labels = keep;
}

/* ---- Which workload a pod is -------------------------------------------------------------- */

/* A ReplicaSet or Job object that names its own controller: "NS/CONTROLLER/NAME" -> that. */
struct inv_link {
	char *key;
	const struct inv_object *o;
	UT_hash_handle hh;
};

static char *inv_link_key(const char *ns, const char *controller, const char *name)
{
	return util_asprintf("%s/%s/%s", ns, controller, name);
}

static bool inv_object_is_link(const struct inv_object *o)
{
	return strcmp(o->controller, "ReplicaSet") == 0 || strcmp(o->controller, "Job") == 0;
}

static void inv_links_build(struct inventory *inv, struct inv_link **links)
{
	for (size_t b = 0; b < inv->n_batches; b++) {
		for (size_t i = 0; i < inv->batches[b].n_objects; i++) {
			const struct inv_object *o = &inv->batches[b].objects[i];
			struct inv_link *l;
			char *key;

			/* only the kinds whose names tell revisions or runs apart lead further up
			 */
			if (!o->owner_ref.kind || !inv_object_is_link(o))
				continue;
			key = inv_link_key(o->ns, o->controller, o->name);
			HASH_FIND_STR(*links, key, l);
			if (l) { /* the later record wins */
				l->o = o;
				free(key);
				continue;
			}
			l = util_zalloc(sizeof(*l));
			l->key = key;
			l->o = o;
			HASH_ADD_KEYPTR(hh, *links, l->key, strlen(l->key), l);
		}
	}
}

static void inv_links_free(struct inv_link **links)
{
	struct inv_link *l, *tmp;

	HASH_ITER (hh, *links, l, tmp) {
		HASH_DEL(*links, l);
		free(l->key);
		free(l);
	}
}

/* Whether name is "<prefix>-<suffix>" for a non-empty suffix: the prefix's length, else 0. */
static size_t inv_strip_suffix(const char *name, const char *suffix)
{
	size_t n = strlen(name), ns = suffix ? strlen(suffix) : 0;

	if (!ns || n <= ns + 1 || name[n - ns - 1] != '-' || strcmp(name + n - ns, suffix) != 0)
		return 0;
	return n - ns - 1;
}

/* A pod's workload: its controller ("Deployment") and name, both allocated. */
struct inv_pod_wl {
	char *controller, *name;
};

/* Sets the workload to controller and name cut to len, unless that is no object name. */
static bool inv_pod_set(struct inv_pod_wl *ret, const char *controller, const char *name,
			size_t len)
{
	char *owner = util_strndup(name, len);

	if (!util_k8s_dns_subdomain(owner)) {
		free(owner);
		return false;
	}
	ret->controller = util_strdup(controller);
	ret->name = owner;
	return true;
}

/*
 * The workload of a pod, from its controller owner, one level up where the inventory or the
 * owner's name tells:
 *   no owner                        the pod itself ("Pod")
 *   a Node (a static or mirror pod) "StaticPod", its name without "-NODE"
 *   a ReplicaSet or Job object in the inventory with a controller of its own: that controller
 *   a ReplicaSet "NAME-HASH", HASH the pod's pod-template-hash: Deployment NAME
 *   ... HASH the pod's rollouts-pod-template-hash: Rollout.argoproj.io NAME (Argo Rollouts)
 *   a batch Job "NAME-DIGITS", 8 or more digits (a scheduled time): CronJob NAME
 *   any other owner                 the owner itself: its kind, with its API group when that is
 *                                   not a built-in one ("Job.batch.volcano.sh"), and its name
 * Returns false, ret untouched, when that gives no valid name to call the workload by.
 */
static bool inv_pod_workload(const struct inv_pod *p, struct inv_link *links,
			     struct inv_pod_wl *ret)
{
	const struct inv_owner *o = &p->owner_ref;
	struct inv_link *l;
	char *ctl, *key;
	bool ok;
	size_t len;

	if (!o->kind)
		return inv_pod_set(ret, "Pod", p->name, strlen(p->name));
	if (strcmp(o->kind, "Node") == 0 && !*o->group) {
		len = inv_strip_suffix(p->name, o->name);
		return inv_pod_set(ret, "StaticPod", p->name, len ? len : strlen(p->name));
	}
	ctl = inv_controller_name(o->kind, o->group);
	key = inv_link_key(p->ns, ctl, o->name);
	HASH_FIND_STR(links, key, l);
	free(key);
	if (l) {
		char *up = inv_controller_name(l->o->owner_ref.kind, l->o->owner_ref.group);

		ok = inv_pod_set(ret, up, l->o->owner_ref.name, strlen(l->o->owner_ref.name));
		free(up);
		free(ctl);
		return ok;
	}
	if (strcmp(ctl, "ReplicaSet") == 0) {
		len = inv_strip_suffix(o->name,
				       inv_kv_get(p->labels, p->n_labels, "pod-template-hash"));
		if (len && inv_pod_set(ret, "Deployment", o->name, len))
			goto found;
		len = inv_strip_suffix(
			o->name, inv_kv_get(p->labels, p->n_labels, "rollouts-pod-template-hash"));
		if (len && inv_pod_set(ret, "Rollout.argoproj.io", o->name, len))
			goto found;
	}
	if (strcmp(ctl, "Job") == 0 && strcmp(o->group, "batch") == 0) {
		/* a CronJob names each Job "<cronjob>-<scheduled time in minutes>" */
		const char *dash = strrchr(o->name, '-');
		size_t digits = dash ? strspn(dash + 1, "0123456789") : 0;

		if (dash && dash > o->name && digits >= 8 && dash[1 + digits] == '\0' &&
		    inv_pod_set(ret, "CronJob", o->name, (size_t)(dash - o->name)))
			goto found;
	}
	ok = inv_pod_set(ret, ctl, o->name, strlen(o->name));
	free(ctl);
	return ok;
found:
	free(ctl);
	return true;
}

/* A pod that takes traffic: Running, or of no stated phase (a hand-written inventory). */
static bool inv_pod_serving(const struct inv_pod *p)
{
	return (p->phase == INV_PHASE_RUNNING || p->phase == INV_PHASE_NONE) && !p->superseded;
}

/* A pod across snapshots: its uid, else its name and start. */
static char *inv_pod_key(const struct inv_pod *p)
{
	if (p->uid)
		return util_asprintf("%s", p->uid);
	return util_asprintf("%s/%s@%" PRIu64, p->ns, p->name, p->start_ns);
}

struct inv_key {
	char *key;
	UT_hash_handle hh;
};

/*
 * Two snapshots may hold one pod twice: Running in the older, finished in the newer. Whatever
 * the order the files came in, the finished record is the later state: the Running one is
 * superseded, and holds no address, serves no Service and runs no more.
 */
static void inv_mark_superseded(struct inventory *inv)
{
	struct inv_key *done = NULL, *k, *tmp;

	for (size_t b = 0; b < inv->n_batches; b++) {
		for (size_t i = 0; i < inv->batches[b].n_pods; i++) {
			struct inv_pod *p = &inv->batches[b].pods[i];

			p->superseded = false;
			if (!p->terminated)
				continue;
			k = util_zalloc(sizeof(*k));
			k->key = inv_pod_key(p);
			HASH_ADD_KEYPTR(hh, done, k->key, strlen(k->key), k);
		}
	}
	for (size_t b = 0; done && b < inv->n_batches; b++) {
		for (size_t i = 0; i < inv->batches[b].n_pods; i++) {
			struct inv_pod *p = &inv->batches[b].pods[i];
			char *key;

			if (p->terminated)
				continue;
			key = inv_pod_key(p);
			HASH_FIND_STR(done, key, k);
			p->superseded = k != NULL;
			free(key);
		}
	}
	HASH_ITER (hh, done, k, tmp) {
		HASH_DEL(done, k);
		free(k->key);
		free(k);
	}
}

/* ---- Who holds an address ----------------------------------------------------------------- */

static struct inv_ip *inv_ip_entry(struct inventory *inv, const struct util_addr *a)
{
	struct inv_ip *e;

	HASH_FIND(hh, inv->ips, a, sizeof(*a), e);
	if (!e) {
		e = util_zalloc(sizeof(*e));
		e->addr = *a;
		HASH_ADD(hh, inv->ips, addr, sizeof(e->addr), e);
	}
	return e;
}

static void inv_claim(struct inventory *inv, const struct util_addr *a, struct graph_workload *w)
{
	struct inv_ip *e = inv_ip_entry(inv, a);

	e->w = w; /* the later record wins */
	e->since = 0;
	e->running = false;
	e->pod = NULL;
}

/* A pod's claim on its address: now, or over the time it ran when it has finished. */
static void inv_claim_pod(struct inventory *inv, const struct util_addr *a, const struct inv_pod *p)
{
	char ip[UTIL_ADDR_LEN];
	struct inv_ip *e;
	size_t at;

	if (p->terminated) {
		/* its address may be another pod's by now: it held it only while it ran */
		if (!p->start_ns || !p->end_ns)
			return;
		e = inv_ip_entry(inv, a);
		for (at = 0; at < e->n_past && e->past[at].end >= p->end_ns; at++)
			;
		if (at == INV_PAST_HOLDERS)
			return; /* older than every finished pod kept */
		if (e->n_past == INV_PAST_HOLDERS)
			e->n_past--;
		memmove(&e->past[at + 1], &e->past[at], (e->n_past - at) * sizeof(e->past[0]));
		e->past[at] = (struct inv_past){p->w, p->start_ns, p->end_ns};
		e->n_past++;
		return;
	}
	if (p->superseded)
		return; /* the same pod has finished since, in a later record */
	e = inv_ip_entry(inv, a);
	if (e->running && p->phase == INV_PHASE_RUNNING && e->pod && e->w != p->w)
		inv_warn(inv,
			 "two Running pods claim %s: %s/%s and %s/%s; flows from it are taken as "
			 "the latter's",
			 util_addr_format(a, ip), e->pod->ns, e->pod->name, p->ns, p->name);
	e->w = p->w; /* the later record wins */
	e->since = p->start_ns;
	e->running = p->phase == INV_PHASE_RUNNING;
	e->pod = p;
}

/* The node that owns address a: node_name, or when it is unknown, a node named by the address. */
static void inv_claim_node(struct inventory *inv, const char *node_name, const struct util_addr *a)
{
	char ip[INET6_ADDRSTRLEN], cidr[INET6_ADDRSTRLEN + 8];
	struct inv_wl *e;

	if (!inet_ntop(a->family, a->bytes, ip, sizeof(ip)))
		return;
	snprintf(cidr, sizeof(cidr), "%s/%u", ip, a->family == AF_INET ? 32u : 128u);
	e = inv_workload(inv, GRAPH_KIND_NODE, "", "", node_name ? node_name : ip);
	graph_workload_add_address(e->w, cidr);
	inv_claim(inv, a, e->w);
}

/*
 * How long before its recorded start or after its end a finished pod still owns its address:
 * timestamps of packets and of the API server differ by a little.
 */
#define INV_PAST_SLACK (2 * UTIL_NSEC_PER_SEC)

/* Who held a (normalised) at ts by the inventory's records: a finished pod then, else now. */
static struct graph_workload *inv_file_holder(const struct inventory *inv,
					      const struct util_addr *a, uint64_t ts)
{
	const struct inv_ip *e;

	HASH_FIND(hh, inv->ips, a, sizeof(*a), e);
	if (!e)
		return NULL;
	/* the pod holding it now started after ts: the finished one that ran then had it */
	if (e->n_past && ts && !(e->w && e->since && e->since <= ts)) {
		for (size_t i = 0; i < e->n_past; i++) {
			const struct inv_past *p = &e->past[i];

			if (ts + INV_PAST_SLACK >= p->start && ts <= p->end + INV_PAST_SLACK)
				return p->w;
		}
	}
	/*
	 * ... and before it started, nobody the inventory knows had it. Only where the address is
	 * known to have changed hands: a capture whose clock was wrong (or whose times start at
	 * zero) must not lose every pod.
	 */
	if (e->n_past && e->w && e->since && ts && ts + INV_PAST_SLACK < e->since)
		return NULL;
	return e->w;
}

/* ---- Cluster ranges ----------------------------------------------------------------------- */

static bool inv_range_has(const struct inv_range *r, const struct util_addr *a)
{
	struct util_addr m = *a;

	if (a->family != r->addr.family)
		return false;
	util_addr_mask(&m, r->prefix);
	return memcmp(&m, &r->addr, sizeof(m)) == 0;
}

static int inv_family_index(int family)
{
	return family == AF_INET ? 0 : 1;
}

static void inv_range_add(struct inventory *inv, const struct inv_range *r)
{
	struct inv_range key;
	struct inv_range_e *e;
	int f = inv_family_index(r->addr.family);
	size_t at;

	memset(&key, 0, sizeof(key));
	key.addr = r->addr;
	key.prefix = r->prefix;
	HASH_FIND(hh, inv->ranges, &key, sizeof(key), e);
	if (e)
		return;
	e = util_zalloc(sizeof(*e));
	e->key = key;
	HASH_ADD(hh, inv->ranges, key, sizeof(e->key), e);
	/* the lengths in use, longest first: an address is named by its narrowest range */
	for (at = 0; at < inv->n_range_lens[f] && inv->range_lens[f][at] > r->prefix; at++)
		;
	if (at < inv->n_range_lens[f] && inv->range_lens[f][at] == r->prefix)
		return;
	memmove(&inv->range_lens[f][at + 1], &inv->range_lens[f][at], inv->n_range_lens[f] - at);
	inv->range_lens[f][at] = r->prefix;
	inv->n_range_lens[f]++;
}

static void inv_ranges_clear(struct inventory *inv)
{
	struct inv_range_e *e, *tmp;

	HASH_ITER (hh, inv->ranges, e, tmp) {
		HASH_DEL(inv->ranges, e);
		free(e);
	}
	inv->n_range_lens[0] = inv->n_range_lens[1] = 0;
}

/* The narrowest cluster range that holds a (normalised), or NULL: one lookup per length. */
static const struct inv_range *inv_range_find(const struct inventory *inv,
					      const struct util_addr *a)
{
	int f = inv_family_index(a->family);

	for (size_t i = 0; inv->ranges && i < inv->n_range_lens[f]; i++) {
		struct inv_range key;
		struct inv_range_e *e;

		memset(&key, 0, sizeof(key));
		key.addr = *a;
		key.prefix = inv->range_lens[f][i];
		util_addr_mask(&key.addr, key.prefix);
		HASH_FIND(hh, inv->ranges, &key, sizeof(key), e);
		if (e)
			return &e->key;
	}
	return NULL;
}

/* The widest range the API server gives ClusterIPs from: 20 bits of addresses. */
#define INV_SERVICE_PREFIX4 12
#define INV_SERVICE_PREFIX6 108

/*
 * Where ServiceCIDR objects and --service-cidr are missing, the Services' own addresses tell
 * where the range lies: the ClusterIPs no known range holds, in order, each joined to the
 * prefix before it while that stays at least as long as a service range can be (a /12 for
 * IPv4, a /108 for IPv6), else the start of a range of its own. Two ranges far apart stay two,
 * never one prefix over everything between them.
 */
static void inv_ranges_from_services(struct inventory *inv)
{
	struct util_addr *ips = NULL;
	size_t n = 0, cap = 0;

	for (size_t b = 0; b < inv->n_batches; b++) {
		for (size_t i = 0; i < inv->batches[b].n_services; i++) {
			const struct inv_addrs *a = &inv->batches[b].services[i].ips;

			for (size_t j = 0; j < a->n; j++) {
				if (inv_range_find(inv, &a->v[j]))
					continue;
				ips = inv_grow(ips, n, &cap, sizeof(*ips));
				inv_addr_normalise(&a->v[j], &ips[n++]);
			}
		}
	}
	if (n > 1)
		qsort(ips, n, sizeof(*ips), inv_addr_qsort_cmp);
	for (size_t i = 0; i < n;) {
		unsigned limit =
			ips[i].family == AF_INET ? INV_SERVICE_PREFIX4 : INV_SERVICE_PREFIX6;
		struct inv_range r = {.addr = ips[i]};
		size_t j = i + 1;

		r.prefix = (uint8_t)(ips[i].family == AF_INET ? 32 : 128);
		for (; j < n && ips[j].family == ips[i].family; j++) {
			struct inv_range wider = r;

			while (wider.prefix > limit && !inv_range_has(&wider, &ips[j])) {
				wider.prefix--;
				util_addr_mask(&wider.addr, wider.prefix);
			}
			if (!inv_range_has(&wider, &ips[j]))
				break;
			r = wider;
		}
		inv_range_add(inv, &r);
		i = j;
	}
	free(ips);
}

static void inv_ranges_build(struct inventory *inv)
{
	inv_ranges_clear(inv);
	for (size_t i = 0; i < inv->n_given_ranges; i++)
		inv_range_add(inv, &inv->given_ranges[i]);
	for (size_t b = 0; b < inv->n_batches; b++) {
		const struct inv_batch *batch = &inv->batches[b];

		for (size_t i = 0; i < batch->n_nodes; i++)
			for (size_t j = 0; j < batch->nodes[i].n_pod_cidrs; j++)
				inv_range_add(inv, &batch->nodes[i].pod_cidrs[j]);
		for (size_t i = 0; i < batch->n_service_cidrs; i++)
			inv_range_add(inv, &batch->service_cidrs[i]);
	}
	inv_ranges_from_services(inv);
}

/* The peer of the given kind that stands for prefix key, made the first time it is asked for. */
static struct graph_workload *inv_prefix_peer(struct inv_prefix_peer **table,
					      const struct inv_range *key, enum graph_kind kind)
{
	struct util_prefix pre = {.addr = key->addr, .len = key->prefix};
	char cidr[UTIL_PREFIX_LEN];
	struct inv_prefix_peer *p;

	HASH_FIND(hh, *table, key, sizeof(*key), p);
	if (p)
		return p->w;
	util_prefix_format(&pre, cidr);
	p = util_zalloc(sizeof(*p));
	p->key = *key;
	p->w = graph_workload_new(kind, "", "", cidr);
	graph_workload_add_address(p->w, cidr);
	HASH_ADD(hh, *table, key, sizeof(p->key), p);
	return p->w;
}

static void inv_prefix_peers_free(struct inv_prefix_peer **table)
{
	struct inv_prefix_peer *p, *tmp;

	HASH_ITER (hh, *table, p, tmp) {
		HASH_DEL(*table, p);
		graph_workload_unref(p->w);
		free(p);
	}
}

/* An address of the cluster's own ranges that nothing claims: the range's unknown peer. */
static struct graph_workload *inv_unknown(struct inventory *inv, const struct util_addr *a)
{
	const struct inv_range *r = inv_range_find(inv, a);

	return r ? inv_prefix_peer(&inv->unknowns, r, GRAPH_KIND_UNKNOWN) : NULL;
}

static struct graph_workload *inv_external(struct inventory *inv, const struct util_addr *a);

/* Who an address is by the files alone, now: a claim, an unknown cluster address, outside. */
static struct graph_workload *inv_resolve_file(struct inventory *inv, const struct util_addr *a,
					       uint64_t ts)
{
	struct graph_workload *w = inv_file_holder(inv, a, ts);

	if (!w)
		w = inv_unknown(inv, a);
	return w ? w : inv_external(inv, a);
}

/* ---- Services ----------------------------------------------------------------------------- */

static int inv_ep_cmp(const void *a, const void *b)
{
	const struct inventory_endpoint *ea = a, *eb = b;
	int c = strcmp(graph_workload_id(ea->workload), graph_workload_id(eb->workload));

	if (c)
		return c;
	return (ea->port > eb->port) - (ea->port < eb->port);
}

static bool inv_selects(const struct inv_service *s, const struct inv_pod *p)
{
	/* a Service without a selector has its endpoints managed by hand: not ours to guess */
	if (s->n_selector == 0 || !inv_pod_serving(p) || strcmp(s->ns, p->ns) != 0)
		return false;
	for (size_t i = 0; i < s->n_selector; i++) {
		const char *v = inv_kv_get(p->labels, p->n_labels, s->selector[i].key);

		if (!v || strcmp(v, s->selector[i].value) != 0)
			return false;
	}
	return true;
}

static void inv_ep_add(struct inventory_endpoint **eps, size_t *n, struct graph_workload *w,
		       uint16_t port)
{
	for (size_t j = 0; j < *n; j++)
		if ((*eps)[j].workload == w && (*eps)[j].port == port)
			return;
	*eps = util_reallocarray(*eps, *n + 1, sizeof(**eps));
	(*eps)[(*n)++] = (struct inventory_endpoint){w, port};
}

static bool inv_has_slices(const struct inventory *inv, const struct inv_service *s)
{
	for (size_t b = 0; b < inv->n_batches; b++)
		for (size_t i = 0; i < inv->batches[b].n_slices; i++)
			if (strcmp(inv->batches[b].slices[i].service, s->name) == 0 &&
			    strcmp(inv->batches[b].slices[i].ns, s->ns) == 0)
				return true;
	return false;
}

/*
 * The distinct (workload, target port) pairs behind one service port, for the Service's IPv4
 * addresses (ret[0]) and its IPv6 ones (ret[1]): what its EndpointSlices (or Endpoints) say, each
 * address for its own family, as kube-proxy reads them; else what its selector picks among the
 * pods, the same for both. An endpoint is whoever holds its address: a pod, a node (the API
 * server on the host network), an outside address.
 */
static void inv_service_endpoints(struct inventory *inv, const struct inv_service *s,
				  const struct inv_sport *sp, bool slices,
				  struct inventory_endpoint *ret[2], size_t ret_n[2])
{
	struct inventory_endpoint *eps[2] = {NULL, NULL};
	size_t n[2] = {0, 0};

	for (size_t b = 0; slices && b < inv->n_batches; b++) {
		for (size_t i = 0; i < inv->batches[b].n_slices; i++) {
			const struct inv_slice *sl = &inv->batches[b].slices[i];
			uint16_t port = 0;

			if (strcmp(sl->service, s->name) != 0 || strcmp(sl->ns, s->ns) != 0)
				continue;
			/* a slice's ports are the Service's, by name, on their target numbers */
			for (size_t j = 0; j < sl->n_ports && !port; j++)
				if (strcmp(sl->ports[j].name, sp->name) == 0 &&
				    sl->ports[j].proto == sp->proto)
					port = sl->ports[j].port;
			for (size_t j = 0; port && j < sl->ready.n; j++) {
				int f = sl->ready.v[j].family == AF_INET6;

				inv_ep_add(&eps[f], &n[f],
					   inv_resolve_file(inv, &sl->ready.v[j], 0), port);
			}
		}
	}
	for (size_t b = 0; !slices && b < inv->n_batches; b++) {
		for (size_t i = 0; i < inv->batches[b].n_pods; i++) {
			const struct inv_pod *p = &inv->batches[b].pods[i];
			uint16_t port = sp->target ? sp->target : sp->port;

			if (!inv_selects(s, p) || !p->w)
				continue;
			if (sp->target_name) {
				/* as the endpoints controller does: same name and protocol */
				port = 0;
				for (size_t j = 0; j < p->n_cports && !port; j++)
					if (p->cports[j].name &&
					    strcmp(p->cports[j].name, sp->target_name) == 0 &&
					    p->cports[j].proto == sp->proto)
						port = p->cports[j].port;
				if (!port)
					continue;
			}
			inv_ep_add(&eps[0], &n[0], p->w, port);
		}
	}
	if (!slices && n[0]) {
		n[1] = n[0];
		eps[1] = util_reallocarray(NULL, n[0], sizeof(*eps[0]));
		memcpy(eps[1], eps[0], n[0] * sizeof(*eps[0]));
	}
	for (int f = 0; f < 2; f++) {
		if (n[f] > 1)
			qsort(eps[f], n[f], sizeof(*eps[f]), inv_ep_cmp);
		ret[f] = eps[f];
		ret_n[f] = n[f];
	}
}

/* The key of addr:port over proto, from a zeroed struct: it is hashed as bytes. */
static void inv_svc_key_init(struct inv_svc_key *key, const struct util_addr *addr, uint8_t proto,
			     uint16_t port)
{
	memset(key, 0, sizeof(*key));
	inv_addr_normalise(addr, &key->addr);
	key->proto = proto;
	key->port = port;
}

/* addr:port of proto leads to eps (copied); a later Service at the same key wins. */
static void inv_svc_set(struct inventory *inv, const struct util_addr *addr, uint8_t proto,
			uint16_t port, const struct inventory_endpoint *eps, size_t n)
{
	struct inv_svc_key key;
	struct inv_svc *e;

	inv_svc_key_init(&key, addr, proto, port);
	HASH_FIND(hh, inv->svcs, &key, sizeof(key), e);
	if (!e) {
		e = util_zalloc(sizeof(*e));
		e->key = key;
		HASH_ADD(hh, inv->svcs, key, sizeof(e->key), e);
	}
	free(e->eps);
	e->eps = util_reallocarray(NULL, n, sizeof(*eps));
	memcpy(e->eps, eps, n * sizeof(*eps));
	e->n_eps = n;
	for (size_t i = 0; i < n; i++) {
		struct inv_backend_key bk;
		struct inv_backend *b;

		memset(&bk, 0, sizeof(bk));
		bk.w = eps[i].workload;
		bk.port = eps[i].port;
		bk.proto = proto;
		HASH_FIND(hh, inv->backends, &bk, sizeof(bk), b);
		if (b)
			continue;
		b = util_zalloc(sizeof(*b));
		b->key = bk;
		HASH_ADD(hh, inv->backends, key, sizeof(b->key), b);
	}
}

/*
 * Every address:port of s that leads to backends: its ClusterIPs, its externalIPs and load
 * balancer addresses, and for a NodePort every node address on the node port. A port without
 * backends is left out, so that its address resolves like any other the Service does not
 * translate.
 */
static void inv_add_service(struct inventory *inv, const struct inv_service *s,
			    const struct util_addr *node_addrs, size_t n_node_addrs)
{
	bool slices = inv_has_slices(inv, s);

	for (size_t i = 0; i < s->n_ports; i++) {
		const struct inv_sport *sp = &s->ports[i];
		struct inventory_endpoint *by_family[2];
		size_t n_by_family[2];

		inv_service_endpoints(inv, s, sp, slices, by_family, n_by_family);
		for (int f = 0; f < 2; f++) {
			int family = f ? AF_INET6 : AF_INET;
			struct inventory_endpoint *eps = by_family[f];
			size_t n = n_by_family[f];

			for (size_t j = 0; n && j < s->ips.n; j++)
				if (s->ips.v[j].family == family)
					inv_svc_set(inv, &s->ips.v[j], sp->proto, sp->port, eps, n);
			for (size_t j = 0; n && j < s->outside.n; j++)
				if (s->outside.v[j].family == family)
					inv_svc_set(inv, &s->outside.v[j], sp->proto, sp->port, eps,
						    n);
			for (size_t j = 0; n && sp->node_port && j < n_node_addrs; j++)
				if (node_addrs[j].family == family)
					inv_svc_set(inv, &node_addrs[j], sp->proto, sp->node_port,
						    eps, n);
			free(eps);
		}
	}
}

/* Every address a node holds, for NodePorts. */
static struct util_addr *inv_node_addresses(const struct inventory *inv, size_t *ret_n)
{
	struct util_addr *v = NULL;
	const struct inv_ip *e, *tmp;
	size_t n = 0, cap = 0;

	HASH_ITER (hh, inv->ips, e, tmp) {
		if (!e->w || graph_workload_kind(e->w) != GRAPH_KIND_NODE)
			continue;
		v = inv_grow(v, n, &cap, sizeof(*v));
		v[n++] = e->addr;
	}
	*ret_n = n;
	return v;
}

static void inv_tables_clear(struct inventory *inv)
{
	struct inv_wl *w, *wtmp;
	struct inv_ip *ip, *iptmp;
	struct inv_svc *s, *stmp;
	struct inv_backend *b, *btmp;

	/*
	 * Workloads a rebuild replaces stay alive for one more generation, so a pointer returned
	 * just before a reload is still good; the generation before that goes now. Anything kept
	 * longer holds its own reference (the graph does). Without this, every reload of a file
	 * that a cron job rewrites would keep all its workloads forever.
	 */
	for (size_t i = 0; i < inv->n_retired; i++)
		graph_workload_unref(inv->retired[i]);
	inv->n_retired = 0;
	HASH_ITER (hh, inv->workloads, w, wtmp) {
		HASH_DEL(inv->workloads, w);
		inv->retired =
			util_reallocarray(inv->retired, inv->n_retired + 1, sizeof(*inv->retired));
		inv->retired[inv->n_retired++] = w->w;
		free(w->labels);
		free(w);
	}
	HASH_ITER (hh, inv->ips, ip, iptmp) {
		HASH_DEL(inv->ips, ip);
		free(ip);
	}
	HASH_ITER (hh, inv->svcs, s, stmp) {
		HASH_DEL(inv->svcs, s);
		free(s->eps);
		free(s);
	}
	HASH_ITER (hh, inv->backends, b, btmp) {
		HASH_DEL(inv->backends, b);
		free(b);
	}
	free(inv->view);
	inv->view = NULL;
	inv->n_view = 0;
}

static int inv_view_cmp(const void *a, const void *b)
{
	return strcmp(graph_workload_id(*(struct graph_workload *const *)a),
		      graph_workload_id(*(struct graph_workload *const *)b));
}

/* The sorted view of every workload: the files', then live ones whose id no file has. */
static void inv_view_build(struct inventory *inv)
{
	struct inv_live_wl *l, *ltmp;
	struct inv_wl *e, *tmp;
	size_t i = 0;

	free(inv->view);
	inv->view = util_reallocarray(NULL, HASH_COUNT(inv->workloads) + HASH_COUNT(inv->live_wls),
				      sizeof(*inv->view));
	HASH_ITER (hh, inv->workloads, e, tmp)
		inv->view[i++] = e->w;
	HASH_ITER (hh, inv->live_wls, l, ltmp) {
		const char *id = graph_workload_id(l->w);

		HASH_FIND_STR(inv->workloads, id, e);
		if (!e)
			inv->view[i++] = l->w;
	}
	inv->n_view = i;
	qsort(inv->view, inv->n_view, sizeof(*inv->view), inv_view_cmp);
}

/* Controllers known from their own objects: workloads even when none of their pods runs. */
static void inv_object_workloads(struct inventory *inv)
{
	for (size_t b = 0; b < inv->n_batches; b++) {
		for (size_t i = 0; i < inv->batches[b].n_objects; i++) {
			const struct inv_object *o = &inv->batches[b].objects[i];

			/* a ReplicaSet or Job that has a controller is that controller */
			if (o->host_network || (inv_object_is_link(o) && o->owner_ref.kind))
				continue;
			(void)inv_workload(inv, GRAPH_KIND_K8S, o->ns, o->controller, o->name);
		}
	}
}

/*
 * Rebuilds every lookup from the records of all loads, so that selectors intersect over pods
 * from every file and Services find backends listed in another file. Addresses are claimed in
 * load order: when two records claim one address, the later one wins.
 */
static void inv_rebuild(struct inventory *inv)
{
	struct inv_link *links = NULL;
	struct util_addr *node_addrs;
	struct inv_wl *e, *tmp;
	size_t n_node_addrs;

	inv_tables_clear(inv);
	inv_links_build(inv, &links);
	inv_mark_superseded(inv);

	for (size_t b = 0; b < inv->n_batches; b++) {
		struct inv_batch *batch = &inv->batches[b];

		for (size_t j = 0; j < batch->n_pods; j++) {
			struct inv_pod *p = &batch->pods[j];
			char ip[INET6_ADDRSTRLEN] = "";
			struct inv_pod_wl pw;

			p->w = NULL;
			/*
			 * NetworkPolicy does not apply to hostNetwork pods: they are their node,
			 * and a Service that selects them leads to the node.
			 */
			if (p->host_network) {
				if (!p->node && p->ips.n > 0)
					(void)inet_ntop(p->ips.v[0].family, p->ips.v[0].bytes, ip,
							sizeof(ip));
				if (p->node || *ip) {
					e = inv_workload(inv, GRAPH_KIND_NODE, "", "",
							 p->node ? p->node : ip);
					p->w = e->w;
					continue;
				}
			}
			if (!inv_pod_workload(p, links, &pw))
				continue; /* no valid name to call its workload by */
			e = inv_workload(inv, GRAPH_KIND_K8S, p->ns, pw.controller, pw.name);
			free(pw.controller);
			free(pw.name);
			inv_workload_intersect(e, p);
			p->w = e->w;
		}
		for (size_t j = 0; j < batch->n_containers; j++) {
			struct inv_container *c = &batch->containers[j];

			e = inv_workload(inv, GRAPH_KIND_DOCKER, c->project, "", c->name);
			if (c->project) {
				graph_workload_set_label(e->w, "com.docker.compose.project",
							 c->project);
				graph_workload_set_label(e->w, "com.docker.compose.service",
							 c->name);
			}
			c->w = e->w;
		}
	}
	inv_links_free(&links);
	inv_object_workloads(inv);
	HASH_ITER (hh, inv->workloads, e, tmp) {
		for (size_t j = 0; j < e->n_labels; j++)
			graph_workload_set_label(e->w, e->labels[j].key, e->labels[j].value);
		free(e->labels);
		e->labels = NULL;
		e->n_labels = 0;
	}

	for (size_t b = 0; b < inv->n_batches; b++) {
		const struct inv_batch *batch = &inv->batches[b];

		for (size_t j = 0; j < batch->n_pods; j++) {
			const struct inv_pod *p = &batch->pods[j];

			for (size_t k = 0; k < p->ips.n; k++) {
				if (p->host_network)
					inv_claim_node(inv, p->node, &p->ips.v[k]);
				else if (p->w)
					inv_claim_pod(inv, &p->ips.v[k], p);
			}
			for (size_t k = 0; k < p->host_ips.n; k++)
				inv_claim_node(inv, p->node, &p->host_ips.v[k]);
		}
		for (size_t j = 0; j < batch->n_nodes; j++)
			for (size_t k = 0; k < batch->nodes[j].ips.n; k++)
				inv_claim_node(inv, batch->nodes[j].name,
					       &batch->nodes[j].ips.v[k]);
		for (size_t j = 0; j < batch->n_containers; j++)
			for (size_t k = 0; k < batch->containers[j].ips.n; k++)
				inv_claim(inv, &batch->containers[j].ips.v[k],
					  batch->containers[j].w);
	}
	inv_ranges_build(inv);

	node_addrs = inv_node_addresses(inv, &n_node_addrs);
	if (n_node_addrs > 1)
		qsort(node_addrs, n_node_addrs, sizeof(*node_addrs), inv_addr_qsort_cmp);
	for (size_t b = 0; b < inv->n_batches; b++)
		for (size_t j = 0; j < inv->batches[b].n_services; j++)
			inv_add_service(inv, &inv->batches[b].services[j], node_addrs,
					n_node_addrs);
	free(node_addrs);

	inv_view_build(inv);
}

/* ---- Public API --------------------------------------------------------------------------- */

static void inv_live_clear(struct inventory *inv);

struct inventory *inventory_new(void)
{
	struct inventory *inv = util_zalloc(sizeof(*inv));

	inv->prefix4 = 32;
	inv->prefix6 = 128;
	return inv;
}

struct inventory *inventory_free(struct inventory *inv)
{
	if (!inv)
		return NULL;
	inv_tables_clear(inv);
	for (size_t i = 0; i < inv->n_retired; i++)
		graph_workload_unref(inv->retired[i]);
	free(inv->retired);
	inv_prefix_peers_free(&inv->externals);
	for (size_t i = 0; i < inv->n_batches; i++)
		inv_batch_clear(&inv->batches[i]);
	free(inv->batches);
	inv_prefix_peers_free(&inv->unknowns);
	util_said_free(&inv->said);
	inv_ranges_clear(inv);
	free(inv->given_ranges);
	if (inv->attachment_free)
		inv->attachment_free(inv->attachment);
	inv_live_clear(inv);
	free(inv);
	return NULL;
}

void inventory_set_warn(struct inventory *inv, util_warn_fn fn, void *userdata)
{
	inv->warn = fn;
	inv->warn_userdata = userdata;
}

int inventory_add_cluster_range(struct inventory *inv, const char *cidr)
{
	struct inv_range r;

	if (inv_range_parse(cidr, &r) < 0)
		return -EINVAL;
	inv->given_ranges = util_reallocarray(inv->given_ranges, inv->n_given_ranges + 1,
					      sizeof(*inv->given_ranges));
	inv->given_ranges[inv->n_given_ranges++] = r;
	inv_rebuild(inv);
	return 0;
}

void *inventory_attachment(const struct inventory *inv)
{
	return inv->attachment;
}

void inventory_attach(struct inventory *inv, void *data, void (*free_fn)(void *data))
{
	if (inv->attachment_free)
		inv->attachment_free(inv->attachment);
	inv->attachment = data;
	inv->attachment_free = free_fn;
}

bool inventory_is_backend(const struct inventory *inv, const struct graph_workload *w,
			  uint8_t proto, uint16_t port)
{
	struct inv_backend_key key;
	struct inv_backend *b;

	if (!inv->backends)
		return false;
	memset(&key, 0, sizeof(key));
	key.w = w;
	key.port = port;
	key.proto = proto;
	HASH_FIND(hh, inv->backends, &key, sizeof(key), b);
	return b != NULL;
}

static const struct util_yaml_format inv_format = {
	.what = "an inventory",
	.empty = "not a kubectl or docker inspect inventory",
	.max_depth = INV_MAX_DEPTH,
	.max_size = INV_MAX_FILE_SIZE,
	.document = inv_document,
};

/*
 * A stream read whole: standard input or a pipe can be read once, and not sniffed and rewound
 * as a regular file can. name is what messages call it.
 */
static int inv_read_stream(FILE *f, const char *name, char **ret, size_t *ret_len,
			   struct util_err *err)
{
	size_t len = 0, cap = 0, n;
	char *buf = NULL;

	do {
		if (len == cap) {
			cap = cap ? 2 * cap : 65536;
			buf = util_reallocarray(buf, cap, 1);
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (len > INV_MAX_FILE_SIZE) {
			free(buf);
			return util_err_set(err, EFBIG, "%s: larger than %zu MiB", name,
					    INV_MAX_FILE_SIZE >> 20);
		}
	} while (n > 0);
	if (ferror(f)) {
		free(buf);
		return util_err_set(err, EIO, "%s: read failed", name);
	}
	*ret = buf;
	*ret_len = len;
	return 0;
}

/* The first bytes of a file, for what it is before YAML is asked: 0 bytes when unreadable. */
static size_t inv_sniff(const char *path, const char *buf, size_t len, unsigned char *head,
			size_t max)
{
	FILE *f;
	size_t n;

	if (buf) {
		n = len < max ? len : max;
		memcpy(head, buf, n);
		return n;
	}
	f = fopen(path, "re");
	if (!f)
		return 0;
	n = fread(head, 1, max, f);
	fclose(f);
	return n;
}

/* One file into batch, which the caller clears; nothing in inv is touched. "-" is stdin. */
static int inv_load_batch(const char *path, struct inv_batch *batch, struct util_err *err)
{
	struct inv_ctx ctx = {.batch = batch};
	unsigned char head[512];
	struct stat st;
	char *buf = NULL;
	size_t len = 0, n, i;
	int r;

	if (strcmp(path, "-") == 0) {
		r = inv_read_stream(stdin, "standard input", &buf, &len, err);
		if (r < 0)
			return r;
		path = "standard input";
	} else if (stat(path, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
		/* a pipe (<(kubectl get ...)) or a FIFO: one read, kept */
		FILE *f = fopen(path, "re");

		if (!f)
			return util_err_set(err, errno, "%s: %s", path, strerror(errno));
		r = inv_read_stream(f, path, &buf, &len, err);
		fclose(f);
		if (r < 0)
			return r;
	}
	ctx.rd = (struct util_yaml_reader){
		.path = path, .err = err, .format = &inv_format, .userdata = &ctx};
	n = inv_sniff(path, buf, len, head, sizeof(head));
	if (n >= 2 && head[0] == 0x1f && head[1] == 0x8b) {
		r = util_err_set(
			err, EINVAL,
			"%s: gzip-compressed: decompress it first (zcat %s >inventory.yaml)", path,
			buf ? "FILE" : path);
		goto out;
	}
	r = buf ? util_yaml_read_buffer(&ctx.rd, buf, len) : util_yaml_read_file(&ctx.rd);
	for (i = 0;
	     i < n && (head[i] == ' ' || head[i] == '\n' || head[i] == '\r' || head[i] == '\t');
	     i++)
		;
	/* `kubectl get -w -o json` writes one object per change, each after the last */
	if (r < 0 && ctx.rd.faulted && ctx.rd.fault == UTIL_YAML_SYNTAX && ctx.rd.n_docs > 0 &&
	    i < n && head[i] == '{')
		r = util_err_set(err, EINVAL,
				 "%s: JSON values one after another (kubectl get -w?): give one "
				 "'kubectl get ... -o json' list",
				 path);
	if (r == 0)
		batch->path = util_strdup(path);
out:
	free(buf);
	return r;
}

int inventory_load(struct inventory *inv, const char *path, struct util_err *err)
{
	struct inv_batch batch = {0};
	int r;

	r = inv_load_batch(path, &batch, err);
	if (r < 0)
		goto out;
	if (!batch.n_pods && !batch.n_nodes && !batch.n_containers && !batch.n_objects)
		inv_warn(
			inv,
			"%s: holds no Pod, Node, controller or container, so it names no "
			"workload (kubectl get pods,nodes,... -A, or docker inspect of containers)",
			batch.path);
	/* nothing above touched inv: a file that fails, fails whole */
	inv->batches = util_reallocarray(inv->batches, inv->n_batches + 1, sizeof(*inv->batches));
	inv->batches[inv->n_batches++] = batch;
	memset(&batch, 0, sizeof(batch));
	inv_rebuild(inv);
out:
	inv_batch_clear(&batch);
	return r;
}

int inventory_reload(struct inventory *inv, const char *const *paths, size_t n,
		     struct util_err *err)
{
	struct inv_batch *batches = util_reallocarray(NULL, n, sizeof(*batches));
	int r = 0;

	memset(batches, 0, (n ? n : 1) * sizeof(*batches));
	for (size_t i = 0; i < n && r == 0; i++)
		r = inv_load_batch(paths[i], &batches[i], err);
	if (r < 0) {
		/* every file is read before anything is replaced: on failure nothing changes */
		for (size_t i = 0; i < n; i++)
			inv_batch_clear(&batches[i]);
		free(batches);
		return r;
	}
	for (size_t i = 0; i < inv->n_batches; i++)
		inv_batch_clear(&inv->batches[i]);
	free(inv->batches);
	inv->batches = batches;
	inv->n_batches = n;
	/* live containers are kept apart from the files' records, so they stay as they are */
	inv_rebuild(inv);
	return 0;
}

int inventory_set_external_prefix(struct inventory *inv, unsigned v4, unsigned v6)
{
	if (v4 > 32 || v6 > 128)
		return -EINVAL;
	inv->prefix4 = v4;
	inv->prefix6 = v6;
	return 0;
}

size_t inventory_workload_count(const struct inventory *inv)
{
	return inv->n_view;
}

struct graph_workload *inventory_workload(const struct inventory *inv, size_t i)
{
	return i < inv->n_view ? inv->view[i] : NULL;
}

/*
 * An address nobody in the inventory owns, aggregated to the external prefix. Cached by the
 * masked address: this runs for every flow that leaves the inventory, so it must not format.
 */
static struct graph_workload *inv_external(struct inventory *inv, const struct util_addr *a)
{
	struct inv_range key;

	memset(&key, 0, sizeof(key));
	key.addr = *a;
	key.prefix = (uint8_t)(a->family == AF_INET ? inv->prefix4 : inv->prefix6);
	util_addr_mask(&key.addr, key.prefix);
	return inv_prefix_peer(&inv->externals, &key, GRAPH_KIND_EXTERNAL);
}

/* ---- Live containers ---------------------------------------------------------------------- */

static void inv_live_clear(struct inventory *inv)
{
	struct inv_live_ip *ip, *iptmp;
	struct inv_live_ctr *c, *ctmp;
	struct inv_live_wl *l, *ltmp;

	HASH_ITER (hh, inv->live_ips, ip, iptmp) {
		HASH_DEL(inv->live_ips, ip);
		free(ip);
	}
	HASH_ITER (hh, inv->live_ctrs, c, ctmp) {
		HASH_DEL(inv->live_ctrs, c);
		free(c->id);
		free(c->addrs);
		free(c);
	}
	HASH_ITER (hh, inv->live_wls, l, ltmp) {
		HASH_DEL(inv->live_wls, l);
		graph_workload_unref(l->w);
		free(l);
	}
}

/* The workload of a live container, made as a docker inspect file's would be. */
static struct graph_workload *inv_live_workload(struct inventory *inv, const char *project,
						const char *name, bool *ret_new)
{
	struct graph_workload *w = graph_workload_new(GRAPH_KIND_DOCKER, project, "", name);
	const char *id = graph_workload_id(w);
	struct inv_live_wl *l;

	HASH_FIND_STR(inv->live_wls, id, l);
	if (l) {
		graph_workload_unref(w);
		return l->w;
	}
	if (project) {
		graph_workload_set_label(w, "com.docker.compose.project", project);
		graph_workload_set_label(w, "com.docker.compose.service", name);
	}
	l = util_zalloc(sizeof(*l));
	l->w = w;
	HASH_ADD_KEYPTR(hh, inv->live_wls, id, strlen(id), l);
	*ret_new = true;
	return w;
}

static bool inv_addrs_have(const struct util_addr *v, size_t n, const struct util_addr *a)
{
	for (size_t i = 0; i < n; i++)
		if (memcmp(&v[i], a, sizeof(*a)) == 0)
			return true;
	return false;
}

/* Ends the container's claim on a at t, when it is the one holding the address. */
static void inv_live_close(struct inventory *inv, const struct util_addr *a, uint64_t serial,
			   uint64_t t)
{
	struct inv_live_claim *c;
	struct inv_live_ip *e;

	HASH_FIND(hh, inv->live_ips, a, sizeof(*a), e);
	if (!e || e->n == 0)
		return;
	c = &e->claims[e->n - 1];
	if (c->serial == serial && c->until == INV_LIVE_OPEN)
		c->until = t > c->since ? t : c->since;
}

/*
 * Gives a to w from since on. Whoever held it until now loses it then (its die event may come
 * later, or never if the engine restarted). Claims stay sorted by since: a set that reports an
 * earlier time than the newest claim starts where that claim starts.
 */
static void inv_live_open(struct inventory *inv, const struct util_addr *a,
			  struct graph_workload *w, uint64_t serial, uint64_t since)
{
	struct inv_live_claim *last;
	struct inv_live_ip *e;

	HASH_FIND(hh, inv->live_ips, a, sizeof(*a), e);
	if (!e) {
		e = util_zalloc(sizeof(*e));
		e->addr = *a;
		HASH_ADD(hh, inv->live_ips, addr, sizeof(e->addr), e);
	}
	if (e->n > 0) {
		last = &e->claims[e->n - 1];
		if (since < last->since)
			since = last->since;
		if (last->until == INV_LIVE_OPEN)
			last->until = since;
	}
	if (e->n == INV_LIVE_HISTORY) {
		memmove(&e->claims[0], &e->claims[1],
			(INV_LIVE_HISTORY - 1) * sizeof(e->claims[0]));
		e->n--;
	}
	e->claims[e->n++] = (struct inv_live_claim){w, serial, since, INV_LIVE_OPEN};
}

/*
 * The same container set again with nothing changed (the list, then a start event that came in
 * before it): its open claims may start earlier than was first known, back to the claim before.
 */
static void inv_live_extend(struct inventory *inv, const struct util_addr *a, uint64_t serial,
			    uint64_t since)
{
	struct inv_live_claim *c;
	struct inv_live_ip *e;
	uint64_t floor = 0;

	HASH_FIND(hh, inv->live_ips, a, sizeof(*a), e);
	if (!e || e->n == 0)
		return;
	c = &e->claims[e->n - 1];
	if (c->serial != serial || c->until != INV_LIVE_OPEN || since >= c->since)
		return;
	if (e->n > 1)
		floor = e->claims[e->n - 2].until;
	c->since = since > floor ? since : floor;
}

int inventory_set_container(struct inventory *inv, const struct inventory_container *c,
			    uint64_t since_ns, struct util_err *err)
{
	char show[UTIL_YAML_SHOW_LEN], show_id[UTIL_YAML_SHOW_LEN];
	struct util_addr *addrs = NULL;
	struct graph_workload *w;
	struct inv_live_ctr *ctr;
	size_t n_addrs = 0;
	bool is_new = false;

	if (!c->id || !util_docker_name(c->id))
		return util_err_set(err, EINVAL, "invalid container id \"%s\"",
				    util_yaml_show(c->id ? c->id : "", show));
	util_yaml_show(c->id, show_id);
	if (!c->name || !util_docker_name(c->name))
		return util_err_set(err, EINVAL, "container %s: invalid container name \"%s\"",
				    show_id, util_yaml_show(c->name ? c->name : "", show));
	if (c->project && !util_docker_name(c->project))
		return util_err_set(err, EINVAL,
				    "container %s: invalid compose project label \"%s\"", show_id,
				    util_yaml_show(c->project, show));
	if (c->service && !util_docker_name(c->service))
		return util_err_set(err, EINVAL,
				    "container %s: invalid compose service label \"%s\"", show_id,
				    util_yaml_show(c->service, show));
	for (size_t i = 0; i < c->n_addrs; i++)
		if (c->addrs[i].family != AF_INET && c->addrs[i].family != AF_INET6)
			return util_err_set(err, EINVAL, "container %s: invalid address family %u",
					    show_id, c->addrs[i].family);

	/* nothing fails past this point: a refused container leaves the inventory as it was */
	addrs = util_reallocarray(NULL, c->n_addrs, sizeof(*addrs));
	for (size_t i = 0; i < c->n_addrs; i++) {
		struct util_addr a;

		inv_addr_normalise(&c->addrs[i], &a);
		if (!inv_addrs_have(addrs, n_addrs, &a))
			addrs[n_addrs++] = a;
	}
	if (c->project && c->service)
		w = inv_live_workload(inv, c->project, c->service, &is_new);
	else
		w = inv_live_workload(inv, NULL, c->name, &is_new);

	HASH_FIND_STR(inv->live_ctrs, c->id, ctr);
	if (!ctr) {
		ctr = util_zalloc(sizeof(*ctr));
		ctr->id = util_strdup(c->id);
		ctr->serial = ++inv->live_serial;
		HASH_ADD_KEYPTR(hh, inv->live_ctrs, ctr->id, strlen(ctr->id), ctr);
	}
	/* addresses it keeps under the same workload stay claimed without a break */
	for (size_t i = 0; i < ctr->n_addrs; i++) {
		if (ctr->w == w && inv_addrs_have(addrs, n_addrs, &ctr->addrs[i]))
			inv_live_extend(inv, &ctr->addrs[i], ctr->serial, since_ns);
		else
			inv_live_close(inv, &ctr->addrs[i], ctr->serial, since_ns);
	}
	for (size_t i = 0; i < n_addrs; i++)
		if (ctr->w != w || !inv_addrs_have(ctr->addrs, ctr->n_addrs, &addrs[i]))
			inv_live_open(inv, &addrs[i], w, ctr->serial, since_ns);
	free(ctr->addrs);
	ctr->addrs = addrs;
	ctr->n_addrs = n_addrs;
	ctr->w = w;
	if (is_new)
		inv_view_build(inv);
	return 0;
}

void inventory_remove_container(struct inventory *inv, const char *id, uint64_t until_ns)
{
	struct inv_live_ctr *ctr;

	if (!id)
		return;
	HASH_FIND_STR(inv->live_ctrs, id, ctr);
	if (!ctr)
		return;
	for (size_t i = 0; i < ctr->n_addrs; i++)
		inv_live_close(inv, &ctr->addrs[i], ctr->serial, until_ns);
	HASH_DEL(inv->live_ctrs, ctr);
	free(ctr->id);
	free(ctr->addrs);
	free(ctr);
}

/*
 * A container's process runs (and sends: DNS, first connections) a little before the engine's
 * start event, and a packet's stamp and the engine's can differ by as much: this is how far
 * either side of a claim a flow still belongs to it.
 */
#define INV_LIVE_SLACK (2 * UTIL_NSEC_PER_SEC)

/*
 * Who held a (normalised) at ts: the claim valid then; else, for a flow reported after its
 * container left, the latest claim that started before ts, unless it ended more than the slack
 * before ts and another starts within the slack after (ret_early: that one, which a file claim
 * of the address still beats); else nobody live.
 */
static struct graph_workload *inv_live_find(const struct inventory *inv, const struct util_addr *a,
					    uint64_t ts, bool *ret_early)
{
	const struct inv_live_claim *before = NULL, *after = NULL;
	const struct inv_live_ip *e;

	*ret_early = false;
	HASH_FIND(hh, inv->live_ips, a, sizeof(*a), e);
	if (!e)
		return NULL;
	for (size_t i = e->n; i-- > 0;)
		if (e->claims[i].since <= ts && ts < e->claims[i].until)
			return e->claims[i].w;
	/* claims are sorted by since: the latest one started before ts, the first one after */
	for (size_t i = 0; i < e->n; i++) {
		if (e->claims[i].since <= ts)
			before = &e->claims[i];
		else if (!after)
			after = &e->claims[i];
	}
	if (after && after->since - ts <= INV_LIVE_SLACK &&
	    (!before || ts - before->until > INV_LIVE_SLACK)) {
		*ret_early = true;
		return after->w;
	}
	return before ? before->w : NULL;
}

struct graph_workload *inventory_resolve_client_at(struct inventory *inv,
						   const struct util_addr *addr, uint64_t ts_ns)
{
	struct graph_workload *w, *f;
	struct util_addr a;
	bool early;

	inv_addr_normalise(addr, &a);
	w = inv_live_find(inv, &a, ts_ns, &early);
	if (w && !early)
		return w;
	f = inv_file_holder(inv, &a, ts_ns);
	if (f)
		return f;
	if (w)
		return w;
	f = inv_unknown(inv, &a);
	return f ? f : inv_external(inv, &a);
}

struct graph_workload *inventory_resolve_client(struct inventory *inv, const struct util_addr *addr)
{
	return inventory_resolve_client_at(inv, addr,
					   inv->live_ips ? util_now_ns(CLOCK_REALTIME) : 0);
}

size_t inventory_resolve_server_via(struct inventory *inv, const struct util_addr *addr,
				    uint8_t proto, uint16_t port, uint64_t ts_ns,
				    struct inventory_endpoint *ret, size_t max, bool *ret_service)
{
	struct inv_svc_key key;
	struct inv_svc *e;

	inv_svc_key_init(&key, addr, proto, port);
	HASH_FIND(hh, inv->svcs, &key, sizeof(key), e);
	if (ret_service)
		*ret_service = e != NULL;
	if (e) {
		if (max > 0)
			memcpy(ret, e->eps, (e->n_eps < max ? e->n_eps : max) * sizeof(*ret));
		return e->n_eps;
	}
	if (max > 0)
		ret[0] = (struct inventory_endpoint){inventory_resolve_client_at(inv, addr, ts_ns),
						     port};
	return 1;
}

size_t inventory_resolve_server_at(struct inventory *inv, const struct util_addr *addr,
				   uint8_t proto, uint16_t port, uint64_t ts_ns,
				   struct inventory_endpoint *ret, size_t max)
{
	return inventory_resolve_server_via(inv, addr, proto, port, ts_ns, ret, max, NULL);
}

size_t inventory_resolve_server(struct inventory *inv, const struct util_addr *addr, uint8_t proto,
				uint16_t port, struct inventory_endpoint *ret, size_t max)
{
	return inventory_resolve_server_at(
		inv, addr, proto, port, inv->live_ips ? util_now_ns(CLOCK_REALTIME) : 0, ret, max);
}

/* ---- When workloads ran ------------------------------------------------------------------- */

/* Notes w as running over [start, end] cut to [from, until], when they meet. */
static void inv_note(struct graph *g, struct graph_workload *w, uint64_t start, uint64_t end,
		     uint64_t from, uint64_t until)
{
	const struct graph_workload *gw;

	if (start < from)
		start = from;
	if (end > until)
		end = until;
	if (!w || start > end)
		return;
	gw = graph_add_workload(g, w);
	graph_note_running(g, gw, start, end);
}

void inventory_note_running(struct inventory *inv, struct graph *g, uint64_t from_ns,
			    uint64_t until_ns)
{
	struct inv_live_ctr *c, *ctmp;

	for (size_t b = 0; b < inv->n_batches; b++) {
		const struct inv_batch *batch = &inv->batches[b];

		for (size_t i = 0; i < batch->n_pods; i++) {
			const struct inv_pod *p = &batch->pods[i];

			if (p->host_network || !p->w)
				continue;
			if (inv_pod_serving(p))
				inv_note(g, p->w, p->start_ns, UINT64_MAX, from_ns, until_ns);
			else if (p->terminated && p->start_ns && p->end_ns)
				inv_note(g, p->w, p->start_ns, p->end_ns, from_ns, until_ns);
		}
		for (size_t i = 0; i < batch->n_containers; i++) {
			const struct inv_container *ct = &batch->containers[i];

			if (ct->running)
				inv_note(g, ct->w, ct->start_ns, UINT64_MAX, from_ns, until_ns);
			else if (ct->start_ns && ct->end_ns)
				inv_note(g, ct->w, ct->start_ns, ct->end_ns, from_ns, until_ns);
		}
	}
	/* a live container is up until the engine says it died */
	HASH_ITER (hh, inv->live_ctrs, c, ctmp)
		inv_note(g, c->w, 0, UINT64_MAX, from_ns, until_ns);
}

/* ---- Current addresses -------------------------------------------------------------------- */

/* The claim on a live address that is valid at now, or NULL when nobody live holds it then. */
static const struct inv_live_claim *inv_live_now(const struct inv_live_ip *e, uint64_t now)
{
	for (size_t i = e->n; i-- > 0;)
		if (e->claims[i].since <= now && now < e->claims[i].until)
			return &e->claims[i];
	return NULL;
}

size_t inventory_addresses(struct inventory *inv, const char *workload_id, struct util_addr *ret,
			   size_t max)
{
	const struct inv_live_claim *c;
	struct inv_live_ip *l, *ltmp;
	struct util_addr *v = NULL;
	size_t n = 0, cap = 0, keep = 0;
	struct inv_ip *e, *etmp;
	uint64_t now;

	if (!inv || !workload_id)
		return 0;
	now = util_now_ns(CLOCK_REALTIME);
	HASH_ITER (hh, inv->live_ips, l, ltmp) {
		c = inv_live_now(l, now);
		if (!c || strcmp(graph_workload_id(c->w), workload_id) != 0)
			continue;
		v = inv_grow(v, n, &cap, sizeof(*v));
		v[n++] = l->addr;
	}
	HASH_ITER (hh, inv->ips, e, etmp) {
		if (!e->w || strcmp(graph_workload_id(e->w), workload_id) != 0)
			continue;
		/* a live container holding the address now wins, as it does when flows resolve */
		HASH_FIND(hh, inv->live_ips, &e->addr, sizeof(e->addr), l);
		c = l ? inv_live_now(l, now) : NULL;
		if (c && strcmp(graph_workload_id(c->w), workload_id) != 0)
			continue;
		v = inv_grow(v, n, &cap, sizeof(*v));
		v[n++] = e->addr;
	}
	if (n > 0)
		qsort(v, n, sizeof(*v), inv_addr_qsort_cmp);
	for (size_t i = 0; i < n; i++)
		if (keep == 0 || util_addr_compare(&v[keep - 1], &v[i]) != 0)
			v[keep++] = v[i];
	if (max > 0 && keep > 0)
		memcpy(ret, v, (keep < max ? keep : max) * sizeof(*ret));
	free(v);
	return keep;
}

/* ---- What NetworkPolicies select by (flowlock verify) ------------------------------------- */

const char *inventory_namespace_label(const struct inventory *inv, const char *ns, const char *key)
{
	/* the newest record of the namespace wins, as addresses do */
	for (size_t b = inv ? inv->n_batches : 0; b-- > 0;) {
		const struct inv_batch *batch = &inv->batches[b];

		for (size_t i = batch->n_namespaces; i-- > 0;) {
			const struct inv_namespace *n = &batch->namespaces[i];

			if (strcmp(n->name, ns) != 0)
				continue;
			/* Kubernetes sets this one itself and does not let it be changed */
			if (strcmp(key, "kubernetes.io/metadata.name") == 0)
				return n->name;
			return inv_kv_get(n->labels, n->n_labels, key);
		}
	}
	return strcmp(key, "kubernetes.io/metadata.name") == 0 ? ns : NULL;
}

static int inv_u16_cmp(const void *a, const void *b)
{
	uint16_t x = *(const uint16_t *)a, y = *(const uint16_t *)b;

	return (x > y) - (x < y);
}

size_t inventory_named_port(const struct inventory *inv, const char *workload_id, const char *name,
			    uint8_t proto, uint16_t *ret, size_t max)
{
	uint16_t *v = NULL;
	size_t n = 0, cap = 0, keep = 0;

	for (size_t b = 0; inv && b < inv->n_batches; b++) {
		const struct inv_batch *batch = &inv->batches[b];

		for (size_t i = 0; i < batch->n_pods; i++) {
			const struct inv_pod *p = &batch->pods[i];

			if (!p->w || strcmp(graph_workload_id(p->w), workload_id) != 0)
				continue;
			for (size_t j = 0; j < p->n_cports; j++) {
				if (!p->cports[j].name || p->cports[j].proto != proto ||
				    strcmp(p->cports[j].name, name) != 0)
					continue;
				v = inv_grow(v, n, &cap, sizeof(*v));
				v[n++] = p->cports[j].port;
			}
		}
	}
	if (n > 1)
		qsort(v, n, sizeof(*v), inv_u16_cmp);
	for (size_t i = 0; i < n; i++)
		if (keep == 0 || v[keep - 1] != v[i])
			v[keep++] = v[i];
	if (max > 0 && keep > 0)
		memcpy(ret, v, (keep < max ? keep : max) * sizeof(*ret));
	free(v);
	return keep;
}
