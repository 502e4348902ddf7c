/* SPDX-License-Identifier: Apache-2.0 */
/* inventory.c - the lookups the inventory builds from its records, and resolving an address to who
 * holds it. */
#include "inventory/inventory-private.h"

#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>

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

/* ---- Small helpers ------------------------------------------------------------------------ */

void *inv_grow(void *arr, size_t n, size_t *cap, size_t size)
{
	if (n < *cap)
		return arr;
	*cap = *cap ? *cap * 2 : 8;
	return util_reallocarray(arr, *cap, size);
}

void inv_addrs_add(struct inv_addrs *a, const struct util_addr *addr)
{
	for (size_t i = 0; i < a->n; i++)
		if (memcmp(&a->v[i], addr, sizeof(*addr)) == 0)
			return;
	a->v = util_reallocarray(a->v, a->n + 1, sizeof(*a->v));
	a->v[a->n++] = *addr;
}

void inv_kv_free(struct inv_kv *kv, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		util_intern_drop(kv[i].key);
		util_intern_drop(kv[i].value);
	}
	free(kv);
}

const char *inv_kv_get(const struct inv_kv *kv, size_t n, const char *key)
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

void inv_pod_clear(struct inv_pod *p)
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

void inv_service_clear(struct inv_service *s)
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

void inv_object_clear(struct inv_object *o)
{
	free(o->ns);
	free(o->name);
	free(o->controller);
	inv_owner_clear(&o->owner_ref);
}

void inv_slice_clear(struct inv_slice *sl)
{
	free(sl->ns);
	free(sl->service);
	free(sl->ready.v);
	for (size_t i = 0; i < sl->n_ports; i++)
		free(sl->ports[i].name);
	free(sl->ports);
}

void inv_batch_clear(struct inv_batch *b)
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
void inv_addr_normalise(const struct util_addr *in, struct util_addr *out)
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

static struct inv_wl *inv_workload(struct inventory *inv, enum graph_kind kind, const char *ns,
				   const char *controller, const char *name)
{
	struct graph_workload *w;
	char buf[512];
	const char *id;
	struct inv_wl *e;

	/* most pods are of a workload found already: look before making one */
	if (graph_workload_format_id(kind, ns, controller, name, buf, sizeof(buf)) < sizeof(buf)) {
		HASH_FIND_STR(inv->workloads, buf, e);
		if (e)
			return e;
	}
	w = graph_workload_new(kind, ns, controller, name);
	id = graph_workload_id(w);
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
	for (size_t b = 0; b < inv->n_all; b++) {
		for (size_t i = 0; i < inv->all[b]->n_objects; i++) {
			const struct inv_object *o = &inv->all[b]->objects[i];
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

	for (size_t b = 0; b < inv->n_all; b++) {
		for (size_t i = 0; i < inv->all[b]->n_pods; i++) {
			struct inv_pod *p = &inv->all[b]->pods[i];

			p->superseded = false;
			if (!p->terminated)
				continue;
			k = util_zalloc(sizeof(*k));
			k->key = inv_pod_key(p);
			HASH_ADD_KEYPTR(hh, done, k->key, strlen(k->key), k);
		}
	}
	for (size_t b = 0; done && b < inv->n_all; b++) {
		for (size_t i = 0; i < inv->all[b]->n_pods; i++) {
			struct inv_pod *p = &inv->all[b]->pods[i];
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
		if (inv->n_ip_slab < inv->cap_ip_slab) {
			e = &inv->ip_slab[inv->n_ip_slab++];
			memset(e, 0, sizeof(*e));
		} else {
			e = util_zalloc(sizeof(*e));
		}
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
		if (!e->past)
			e->past = util_reallocarray(NULL, INV_PAST_HOLDERS, sizeof(*e->past));
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
	struct util_prefix host = {.addr = *a, .len = a->family == AF_INET ? 32u : 128u};
	char ip[UTIL_ADDR_LEN];
	struct inv_wl *e;

	e = inv_workload(inv, GRAPH_KIND_NODE, "", "",
			 node_name ? node_name : util_addr_format(a, ip));
	graph_workload_add_address(e->w, &host);
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

	for (size_t b = 0; b < inv->n_all; b++) {
		for (size_t i = 0; i < inv->all[b]->n_services; i++) {
			const struct inv_addrs *a = &inv->all[b]->services[i].ips;

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
	for (size_t b = 0; b < inv->n_all; b++) {
		const struct inv_batch *batch = inv->all[b];

		for (size_t i = 0; i < batch->n_nodes; i++)
			for (size_t j = 0; j < batch->nodes[i].n_pod_cidrs; j++)
				inv_range_add(inv, &batch->nodes[i].pod_cidrs[j]);
		for (size_t i = 0; i < batch->n_service_cidrs; i++)
			inv_range_add(inv, &batch->service_cidrs[i]);
	}
	inv_ranges_from_services(inv);
}

static void inv_prefix_table_free(struct inv_prefix_peer **table)
{
	struct inv_prefix_peer *p, *tmp;

	HASH_ITER (hh, *table, p, tmp) {
		HASH_DEL(*table, p);
		graph_workload_unref(p->w);
		free(p);
	}
}

static void inv_prefix_peers_free(struct inv_prefix_peers *peers)
{
	inv_prefix_table_free(&peers->now);
	inv_prefix_table_free(&peers->old);
}

/*
 * The peer of the given kind that stands for prefix key, made the first time it is asked for
 * (again when its generation has gone, see struct inv_prefix_peers: a new instance, so what
 * the inventory answers changes too).
 */
static struct graph_workload *inv_prefix_peer(struct inventory *inv, struct inv_prefix_peers *peers,
					      const struct inv_range *key, enum graph_kind kind)
{
	struct util_prefix pre = {.addr = key->addr, .len = key->prefix};
	char cidr[UTIL_PREFIX_LEN];
	struct inv_prefix_peer *p;

	HASH_FIND(hh, peers->now, key, sizeof(*key), p);
	if (p)
		return p->w;
	if (HASH_COUNT(peers->now) >= INV_PREFIX_PEERS_MAX) {
		inv_prefix_table_free(&peers->old);
		peers->old = peers->now;
		peers->now = NULL;
		inv_changed(inv);
	}
	util_prefix_format(&pre, cidr);
	p = util_zalloc(sizeof(*p));
	p->key = *key;
	p->w = graph_workload_new(kind, "", "", cidr);
	graph_workload_add_address(p->w, &pre);
	HASH_ADD(hh, peers->now, key, sizeof(p->key), p);
	return p->w;
}

/* An address of the cluster's own ranges that nothing claims: the range's unknown peer. */
static struct graph_workload *inv_unknown(struct inventory *inv, const struct util_addr *a)
{
	const struct inv_range *r = inv_range_find(inv, a);

	return r ? inv_prefix_peer(inv, &inv->unknowns, r, GRAPH_KIND_UNKNOWN) : NULL;
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
	for (size_t b = 0; b < inv->n_all; b++)
		for (size_t i = 0; i < inv->all[b]->n_slices; i++)
			if (strcmp(inv->all[b]->slices[i].service, s->name) == 0 &&
			    strcmp(inv->all[b]->slices[i].ns, s->ns) == 0)
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

	for (size_t b = 0; slices && b < inv->n_all; b++) {
		for (size_t i = 0; i < inv->all[b]->n_slices; i++) {
			const struct inv_slice *sl = &inv->all[b]->slices[i];
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
	for (size_t b = 0; !slices && b < inv->n_all; b++) {
		for (size_t i = 0; i < inv->all[b]->n_pods; i++) {
			const struct inv_pod *p = &inv->all[b]->pods[i];
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

/* What a Service at addr:port of proto leads to, now or before, or NULL. */
static struct inv_svc *inv_svc_find(const struct inventory *inv, const struct util_addr *addr,
				    uint8_t proto, uint16_t port)
{
	struct inv_svc_key key;
	struct inv_svc *e;

	inv_svc_key_init(&key, addr, proto, port);
	HASH_FIND(hh, inv->svcs, &key, sizeof(key), e);
	return e;
}

/*
 * Endpoints hold their workloads: an outside or unknown peer's lives in a table that a flood of
 * new addresses empties (struct inv_prefix_peers), not until the next rebuild.
 */
static void inv_eps_hold(const struct inventory_endpoint *eps, size_t n)
{
	for (size_t i = 0; i < n; i++)
		graph_workload_ref(eps[i].workload);
}

static void inv_eps_free(struct inventory_endpoint *eps, size_t n)
{
	for (size_t i = 0; i < n; i++)
		graph_workload_unref(eps[i].workload);
	free(eps);
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
	inv_eps_free(e->eps, e->n_eps);
	e->eps = util_reallocarray(NULL, n, sizeof(*eps));
	memcpy(e->eps, eps, n * sizeof(*eps));
	e->n_eps = n;
	inv_eps_hold(e->eps, n);
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

static void inv_svc_past_clear(struct inv_svc_past *p)
{
	inv_eps_free(p->eps, p->n_eps);
	memset(p, 0, sizeof(*p));
}

static void inv_svc_free(struct inv_svc *s)
{
	for (size_t i = 0; i < s->n_past; i++)
		inv_svc_past_clear(&s->past[i]);
	inv_eps_free(s->eps, s->n_eps);
	free(s);
}

static bool inv_eps_same(const struct inventory_endpoint *a, size_t na,
			 const struct inventory_endpoint *b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (a[i].port != b[i].port ||
		    strcmp(graph_workload_id(a[i].workload), graph_workload_id(b[i].workload)) != 0)
			return false;
	return true;
}

/* How long a Service address remembers where it led. */
#define INV_SVC_KEEP_NS (600 * UTIL_NSEC_PER_SEC)

/*
 * After a rebuild while streams are watched: each Service address of old that leads elsewhere
 * now (or nowhere) keeps where it led until when, so a flow that began before is attributed as
 * it was then. old is emptied.
 */
static void inv_svcs_carry(struct inventory *inv, struct inv_svc **old, uint64_t when)
{
	struct inv_svc *o, *otmp, *e;

	HASH_ITER (hh, *old, o, otmp) {
		HASH_DEL(*old, o);
		HASH_FIND(hh, inv->svcs, &o->key, sizeof(o->key), e);
		if (!e) {
			if (!o->n_eps &&
			    (!o->n_past || o->past[0].until + INV_SVC_KEEP_NS < when)) {
				inv_svc_free(o);
				continue;
			}
			e = util_zalloc(sizeof(*e));
			e->key = o->key;
			HASH_ADD(hh, inv->svcs, key, sizeof(e->key), e);
		}
		if (inv_eps_same(o->eps, o->n_eps, e->eps, e->n_eps)) {
			memcpy(e->past, o->past, sizeof(e->past));
			e->n_past = o->n_past;
			o->n_past = 0;
		} else {
			/* where it led until now: its endpoints, with the hold on each workload */
			struct inv_svc_past now = {o->eps, o->n_eps, when};

			o->eps = NULL;
			o->n_eps = 0;
			if (o->n_past == INV_SVC_PAST)
				inv_svc_past_clear(&o->past[--o->n_past]);
			e->past[0] = now;
			memcpy(&e->past[1], o->past, o->n_past * sizeof(o->past[0]));
			e->n_past = o->n_past + 1;
			o->n_past = 0;
		}
		inv_svc_free(o);
	}
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
		free(ip->past);
		if (!inv->ip_slab || ip < inv->ip_slab || ip >= inv->ip_slab + inv->n_ip_slab)
			free(ip);
	}
	free(inv->ip_slab);
	inv->ip_slab = NULL;
	inv->n_ip_slab = inv->cap_ip_slab = 0;
	HASH_ITER (hh, inv->svcs, s, stmp) {
		HASH_DEL(inv->svcs, s);
		inv_svc_free(s);
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
void inv_view_build(struct inventory *inv)
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
	for (size_t b = 0; b < inv->n_all; b++) {
		for (size_t i = 0; i < inv->all[b]->n_objects; i++) {
			const struct inv_object *o = &inv->all[b]->objects[i];

			/* a ReplicaSet or Job that has a controller is that controller */
			if (o->host_network || (inv_object_is_link(o) && o->owner_ref.kind))
				continue;
			(void)inv_workload(inv, GRAPH_KIND_K8S, o->ns, o->controller, o->name);
		}
	}
}

/* Which workload each pod and container of the files is, with its labels. */
static void inv_rebuild_workloads(struct inventory *inv)
{
	struct inv_link *links = NULL;
	struct inv_wl *e, *tmp;

	inv_links_build(inv, &links);
	inv_mark_superseded(inv);
	for (size_t b = 0; b < inv->n_all; b++) {
		struct inv_batch *batch = inv->all[b];

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
}

/* Who holds each address the files name: pods, hostNetwork pods and nodes, containers. */
static void inv_rebuild_claims(struct inventory *inv)
{
	size_t n = 0;

	/* one block for the pods' addresses, the most of them; the rest are allocated alone */
	assert(!inv->ip_slab); /* inv_tables_clear() freed the last one */
	for (size_t b = 0; b < inv->n_all; b++)
		for (size_t j = 0; j < inv->all[b]->n_pods; j++)
			n += inv->all[b]->pods[j].ips.n;
	inv->ip_slab = n ? util_reallocarray(NULL, n, sizeof(*inv->ip_slab)) : NULL;
	inv->cap_ip_slab = n;
	for (size_t b = 0; b < inv->n_all; b++) {
		const struct inv_batch *batch = inv->all[b];

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
}

/* Services, with the nodes' addresses their NodePorts listen on. */
static void inv_rebuild_services(struct inventory *inv)
{
	struct util_addr *node_addrs;
	size_t n_node_addrs;

	node_addrs = inv_node_addresses(inv, &n_node_addrs);
	if (n_node_addrs > 1)
		qsort(node_addrs, n_node_addrs, sizeof(*node_addrs), inv_addr_qsort_cmp);
	for (size_t b = 0; b < inv->n_all; b++)
		for (size_t j = 0; j < inv->all[b]->n_services; j++)
			inv_add_service(inv, &inv->all[b]->services[j], node_addrs, n_node_addrs);
	free(node_addrs);
}

void inv_all_build(struct inventory *inv)
{
	inv_changed(inv);
	inv->all = util_reallocarray(inv->all, inv->n_batches + 1, sizeof(*inv->all));
	for (inv->n_all = 0; inv->n_all < inv->n_batches; inv->n_all++)
		inv->all[inv->n_all] = &inv->batches[inv->n_all];
	inv_streams_records(inv);
}

/*
 * Rebuilds every lookup from the records of all loads, so that selectors intersect over pods
 * from every file and Services find backends listed in another file. Addresses are claimed in
 * load order: when two records claim one address, the later one wins.
 */
void inv_rebuild(struct inventory *inv)
{
	struct inv_svc *old_svcs = NULL;

	inv_all_build(inv);
	/* watched, Service addresses keep where they led: take them before the tables go */
	if (inv->n_streams) {
		old_svcs = inv->svcs;
		inv->svcs = NULL;
	}
	inv_tables_clear(inv);
	inv_rebuild_workloads(inv);
	inv_rebuild_claims(inv);
	inv_ranges_build(inv);
	inv_rebuild_services(inv);
	if (inv->n_streams)
		inv_svcs_carry(inv, &old_svcs, inv->changed_ns);
	inv_view_build(inv);
}

/* ---- Public API --------------------------------------------------------------------------- */

struct inventory *inventory_new(void)
{
	struct inventory *inv = util_zalloc(sizeof(*inv));

	inv->prefix4 = 32;
	inv->prefix6 = 128;
	inv->stream_efd = -1;
	return inv;
}

struct inventory *inventory_free(struct inventory *inv)
{
	if (!inv)
		return NULL;
	inv_streams_free(inv);
	free(inv->all);
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

int inventory_set_external_prefix(struct inventory *inv, unsigned v4, unsigned v6)
{
	if (v4 > 32 || v6 > 128)
		return -EINVAL;
	inv->prefix4 = v4;
	inv->prefix6 = v6;
	inv_changed(inv);
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
	return inv_prefix_peer(inv, &inv->externals, &key, GRAPH_KIND_EXTERNAL);
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
	const struct inv_svc *e = inv_svc_find(inv, addr, proto, port);
	const struct inventory_endpoint *eps = NULL;
	size_t n = 0;

	if (e) {
		eps = e->eps;
		n = e->n_eps;
		/* where it led when the flow began: the oldest change after that undid it */
		for (size_t i = 0; ts_ns && i < e->n_past && ts_ns < e->past[i].until; i++) {
			eps = e->past[i].eps;
			n = e->past[i].n_eps;
		}
	}
	if (ret_service)
		*ret_service = n > 0;
	if (n > 0) {
		if (max > 0)
			memcpy(ret, eps, (n < max ? n : max) * sizeof(*ret));
		return n;
	}
	if (max > 0)
		ret[0] = (struct inventory_endpoint){inventory_resolve_client_at(inv, addr, ts_ns),
						     port};
	return 1;
}

uint64_t inventory_generation(const struct inventory *inv)
{
	return inv->generation;
}

/* Whether what a (normalised) resolves to as a client depends on when. */
static bool inv_timed(const struct inventory *inv, const struct util_addr *a)
{
	const struct inv_live_ip *l;
	const struct inv_ip *e;

	HASH_FIND(hh, inv->live_ips, a, sizeof(*a), l);
	if (l)
		return true;
	HASH_FIND(hh, inv->ips, a, sizeof(*a), e);
	return e && e->n_past > 0;
}

bool inventory_timeless(const struct inventory *inv, const struct util_addr *client,
			const struct util_addr *server, uint8_t proto, uint16_t port)
{
	struct util_addr c, s;

	if (inv_svc_find(inv, server, proto, port))
		return false;
	inv_addr_normalise(client, &c);
	inv_addr_normalise(server, &s);
	return !inv_timed(inv, &c) && !inv_timed(inv, &s);
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

	for (size_t b = 0; b < inv->n_all; b++) {
		const struct inv_batch *batch = inv->all[b];

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
	for (size_t b = inv ? inv->n_all : 0; b-- > 0;) {
		const struct inv_batch *batch = inv->all[b];

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

	for (size_t b = 0; inv && b < inv->n_all; b++) {
		const struct inv_batch *batch = inv->all[b];

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
