/* SPDX-License-Identifier: Apache-2.0 */
/* emit-k8s.c - one least-privilege NetworkPolicy per Kubernetes workload, through libyaml. */
#include "emit/emit.h"
#include "util/util-yaml.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <uthash.h>

#define K8S_POLICY_PREFIX "flowlock-"
#define K8S_NAME_MAX	  253

struct k8s_port {
	uint8_t proto;
	uint16_t port;
};

/* Everything one peer may do: it becomes one rule, so its ports are ANDed with that peer only. */
struct k8s_rule {
	const struct graph_workload *peer;
	struct k8s_port *ports;
	size_t n_ports;
};

struct k8s_policy {
	const struct graph_workload *w;
	char *name;
	bool skip;
	bool dns_rule;	  /* allow_dns, and no learned rule to kube-dns to merge it into */
	bool dns_ingress; /* allow_dns, and this is kube-dns: every pod may ask it */
	struct k8s_rule *ingress, *egress;
	size_t n_ingress, n_egress;
	UT_hash_handle hh; /* keyed by the workload id */
};

/* Counts k8s workloads per "namespace/name" to find the ones whose plain names would clash. */
struct k8s_name_count {
	char *key;
	size_t n;
	UT_hash_handle hh;
};

struct k8s_ctx {
	const struct emit_options *opts;
	struct util_err *err;
	struct util_said *said;
	struct k8s_policy **policies; /* sorted by namespace, then name */
	size_t n_policies;
	struct k8s_policy *by_id;
	struct util_yaml_out *y;
	size_t n_k8s; /* k8s workloads in the graph, written or not */
	struct k8s_unknown *unknowns;
};

/* An unknown peer's traffic with the workloads that got policies: said once, summed. */
struct k8s_unknown {
	const struct graph_workload *peer;
	uint64_t connections;
	const struct graph_workload **with; /* the workloads it talked with, each once */
	size_t n_with;
	UT_hash_handle hh;
};

/* Said once: the same peer or edge shows up from both its ends. */
#define k8s_warn(c, ...)                                                                           \
	util_warn_once(&(c)->said, (c)->opts->warn, (c)->opts->warn_userdata, __VA_ARGS__)

/* ---- validation --------------------------------------------------------------------------- */

/*
 * The bad string itself goes into the message, but only as printable ASCII and not too much of
 * it: what is refused here may be exactly the escape sequence meant for someone's terminal.
 */
#define K8S_SHOWN_MAX 64
static const char *k8s_shown(const char *s, char buf[static K8S_SHOWN_MAX + 4])
{
	return util_show_printable(s, K8S_SHOWN_MAX, buf);
}

static int k8s_bad(struct util_err *err, const struct graph_workload *w, const char *what,
		   const char *s)
{
	char id[K8S_SHOWN_MAX + 4], bad[K8S_SHOWN_MAX + 4];

	return util_err_set(err, EINVAL, "%s: %s \"%s\" is not valid",
			    k8s_shown(graph_workload_id(w), id), what, k8s_shown(s, bad));
}

/* The graph came from a validated state; this is the last line before text someone applies. */
static int k8s_validate(const struct graph *g, struct util_err *err)
{
	for (size_t i = 0; i < graph_workload_count(g); i++) {
		const struct graph_workload *w = graph_workload(g, i);

		switch (graph_workload_kind(w)) {
		case GRAPH_KIND_K8S:
			if (!util_k8s_dns_label(graph_workload_namespace(w)))
				return k8s_bad(err, w, "namespace", graph_workload_namespace(w));
			for (size_t j = 0; j < graph_workload_label_count(w); j++) {
				const char *key = graph_workload_label_key(w, j);

				if (!util_k8s_label_key(key))
					return k8s_bad(err, w, "label key", key);
				if (!util_k8s_label_value(graph_workload_label_value(w, j)))
					return k8s_bad(err, w, "label value",
						       graph_workload_label_value(w, j));
			}
			break;
		case GRAPH_KIND_EXTERNAL:
			if (graph_workload_prefix_count(w) == 0)
				return k8s_bad(err, w, "CIDR", graph_workload_name(w));
			break;
		case GRAPH_KIND_DOCKER:
		default:
			break;
		}
	}
	return 0;
}

/* ---- the model ---------------------------------------------------------------------------- */

static char *k8s_lower(const char *s)
{
	char *l = util_strdup(s);

	for (char *p = l; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	return l;
}

/* Cut to the longest valid length; what is left must still be a valid object name. */
static char *k8s_policy_name(const struct graph_workload *w, bool qualify)
{
	char *name, *ctl;
	size_t n;

	if (qualify) {
		ctl = k8s_lower(graph_workload_controller(w));
		name = util_asprintf(K8S_POLICY_PREFIX "%s-%s", ctl, graph_workload_name(w));
		free(ctl);
	} else {
		name = util_asprintf(K8S_POLICY_PREFIX "%s", graph_workload_name(w));
	}
	n = strlen(name);
	if (n > K8S_NAME_MAX)
		n = K8S_NAME_MAX;
	while (n > 0 && (name[n - 1] == '-' || name[n - 1] == '.'))
		n--;
	name[n] = '\0';
	return name;
}

static int k8s_policy_cmp(const void *a, const void *b)
{
	const struct k8s_policy *pa = *(struct k8s_policy *const *)a;
	const struct k8s_policy *pb = *(struct k8s_policy *const *)b;
	int c = strcmp(graph_workload_namespace(pa->w), graph_workload_namespace(pb->w));

	if (c)
		return c;
	c = strcmp(pa->name, pb->name);
	if (c)
		return c;
	return strcmp(graph_workload_id(pa->w), graph_workload_id(pb->w));
}

/* Why a k8s workload gets no policy, or K8S_WRITE when it gets one. */
enum k8s_skip {
	K8S_WRITE = 0,
	K8S_OUT_OF_SCOPE, /* --namespace, --exclude-namespace */
	K8S_SYSTEM,	  /* kube-system and the like, unless asked for */
	K8S_NEVER_RAN,	  /* not seen running while flowlock watched */
};

static enum k8s_skip k8s_skip_reason(const struct k8s_ctx *c, const struct graph *g,
				     const struct graph_workload *w)
{
	switch (util_k8s_namespace_scope(graph_workload_namespace(w), c->opts->namespaces,
					 c->opts->n_namespaces, c->opts->exclude_namespaces,
					 c->opts->n_exclude_namespaces)) {
	case UTIL_SCOPE_EXCLUDED:
		return K8S_OUT_OF_SCOPE;
	case UTIL_SCOPE_SYSTEM:
		return K8S_SYSTEM;
	case UTIL_SCOPE_IN:
	default:
		break;
	}
	/*
	 * A policy for what never ran is a guess at what it needs: the next run of a CronJob, a
	 * Deployment scaled up again, would be cut off. It is left as it is, unlocked.
	 */
	if (!graph_workload_running(g, w, NULL, NULL))
		return K8S_NEVER_RAN;
	return K8S_WRITE;
}

/* One line per system namespace: how many workloads it has that got no policy. */
struct k8s_ns_count {
	char *ns;
	size_t n;
	UT_hash_handle hh;
};

static void k8s_note_system(struct k8s_ns_count **counts, const char *ns)
{
	struct k8s_ns_count *e;

	HASH_FIND_STR(*counts, ns, e);
	if (!e) {
		e = util_zalloc(sizeof(*e));
		e->ns = util_strdup(ns);
		HASH_ADD_KEYPTR(hh, *counts, e->ns, strlen(e->ns), e);
	}
	e->n++;
}

static int k8s_ns_count_cmp(const void *a, const void *b)
{
	return strcmp(((const struct k8s_ns_count *)a)->ns, ((const struct k8s_ns_count *)b)->ns);
}

static void k8s_say_system(struct k8s_ctx *c, struct k8s_ns_count **counts)
{
	struct k8s_ns_count *e, *tmp;

	HASH_SORT(*counts, k8s_ns_count_cmp);
	HASH_ITER (hh, *counts, e, tmp) {
		k8s_warn(c,
			 "%s: no policy for its %zu workload%s: Kubernetes' own namespace is not "
			 "locked unless --namespace %s names it",
			 e->ns, e->n, e->n == 1 ? "" : "s", e->ns);
		HASH_DEL(*counts, e);
		free(e->ns);
		free(e);
	}
}

/* How many k8s workloads share each "namespace/name": those names are qualified. */
static void k8s_count_names(const struct graph *g, struct k8s_name_count **counts)
{
	struct k8s_name_count *nc;

	for (size_t i = 0; i < graph_workload_count(g); i++) {
		const struct graph_workload *w = graph_workload(g, i);
		char *key;

		if (graph_workload_kind(w) != GRAPH_KIND_K8S)
			continue;
		key = util_asprintf("%s/%s", graph_workload_namespace(w), graph_workload_name(w));
		HASH_FIND_STR(*counts, key, nc);
		if (nc) {
			nc->n++;
			free(key);
			continue;
		}
		nc = util_zalloc(sizeof(*nc));
		nc->key = key;
		nc->n = 1;
		HASH_ADD_KEYPTR(hh, *counts, nc->key, strlen(nc->key), nc);
	}
}

/* The policy for w, or NULL (said why) when none is written. */
static struct k8s_policy *k8s_new_policy(struct k8s_ctx *c, const struct graph *g,
					 const struct graph_workload *w,
					 struct k8s_name_count *counts,
					 struct k8s_ns_count **system)
{
	struct k8s_name_count *nc;
	struct k8s_policy *p;
	char *key;

	switch (k8s_skip_reason(c, g, w)) {
	case K8S_OUT_OF_SCOPE:
		return NULL;
	case K8S_SYSTEM:
		k8s_note_system(system, graph_workload_namespace(w));
		return NULL;
	case K8S_NEVER_RAN:
		k8s_warn(c,
			 "%s: never seen running while flowlock watched (a CronJob between "
			 "runs, scaled to zero, Pending); no policy written",
			 graph_workload_id(w));
		return NULL;
	case K8S_WRITE:
	default:
		break;
	}
	if (graph_workload_label_count(w) == 0) {
		/* podSelector: {} would select every pod in the namespace */
		k8s_warn(c, "%s: no labels to select it by; no policy written",
			 graph_workload_id(w));
		return NULL;
	}
	key = util_asprintf("%s/%s", graph_workload_namespace(w), graph_workload_name(w));
	HASH_FIND_STR(counts, key, nc);
	free(key);

	p = util_zalloc(sizeof(*p));
	p->w = w;
	p->name = k8s_policy_name(w, nc && nc->n > 1);
	if (!util_k8s_dns_subdomain(p->name)) {
		k8s_warn(c, "%s: \"%s\" is not a valid object name; no policy written",
			 graph_workload_id(w), p->name);
		free(p->name);
		free(p);
		return NULL;
	}
	return p;
}

/* Sorted; names that still meet after qualifying or truncating: no winner, both left out. */
static void k8s_index_policies(struct k8s_ctx *c, size_t n)
{
	qsort(c->policies, n, sizeof(*c->policies), k8s_policy_cmp);
	for (size_t i = 0; i + 1 < n; i++) {
		struct k8s_policy *a = c->policies[i], *b = c->policies[i + 1];

		if (strcmp(graph_workload_namespace(a->w), graph_workload_namespace(b->w)) != 0 ||
		    strcmp(a->name, b->name) != 0)
			continue;
		a->skip = b->skip = true;
	}
	for (size_t i = 0; i < n; i++) {
		struct k8s_policy *p = c->policies[i];

		if (p->skip) {
			k8s_warn(c,
				 "%s: policy name %s in namespace %s is wanted twice; no policy "
				 "written",
				 graph_workload_id(p->w), p->name, graph_workload_namespace(p->w));
			continue;
		}
		HASH_ADD_KEYPTR(hh, c->by_id, graph_workload_id(p->w),
				strlen(graph_workload_id(p->w)), p);
	}
	c->n_policies = n;
}

static void k8s_build_policies(struct k8s_ctx *c, const struct graph *g)
{
	struct k8s_name_count *counts = NULL, *nc, *tmp;
	struct k8s_ns_count *system = NULL;
	size_t n = 0;

	k8s_count_names(g, &counts);
	c->policies = util_reallocarray(NULL, graph_workload_count(g), sizeof(*c->policies));
	for (size_t i = 0; i < graph_workload_count(g); i++) {
		const struct graph_workload *w = graph_workload(g, i);
		struct k8s_policy *p;

		if (graph_workload_kind(w) != GRAPH_KIND_K8S)
			continue;
		c->n_k8s++;
		p = k8s_new_policy(c, g, w, counts, &system);
		if (p)
			c->policies[n++] = p;
	}
	HASH_ITER (hh, counts, nc, tmp) {
		HASH_DEL(counts, nc);
		free(nc->key);
		free(nc);
	}
	k8s_say_system(c, &system);
	k8s_index_policies(c, n);
}

static const char *k8s_edge_proto(const struct graph_edge *e, char buf[static 16])
{
	const char *name = util_proto_name(graph_edge_proto(e));

	if (name)
		return name;
	snprintf(buf, 16, "proto-%u", (unsigned)graph_edge_proto(e));
	return buf;
}

/* Whether rules may name this peer; says why not, once per peer. */
static bool k8s_peer_ok(struct k8s_ctx *c, const struct graph_workload *peer)
{
	const char *id = graph_workload_id(peer);

	switch (graph_workload_kind(peer)) {
	case GRAPH_KIND_K8S:
		if (graph_workload_label_count(peer) > 0)
			return true;
		k8s_warn(c, "%s: no labels to select it by as a peer; its traffic is not allowed",
			 id);
		return false;
	case GRAPH_KIND_DOCKER:
		k8s_warn(c,
			 "%s: a Docker container cannot be a NetworkPolicy peer; its traffic is "
			 "not allowed",
			 id);
		return false;
	case GRAPH_KIND_NODE:
		if (graph_workload_address_count(peer) > 0)
			return true;
		k8s_warn(c, "%s: no address known for this node; its traffic is not allowed", id);
		return false;
	case GRAPH_KIND_EXTERNAL:
		return true;
	case GRAPH_KIND_UNKNOWN:
		return false; /* said once per peer, with its traffic summed (k8s_unknown_add) */
	default:
		k8s_warn(c, "%s: unknown kind of peer; its traffic is not allowed", id);
		return false;
	}
}

/* Traffic of an unknown peer with w, which has a policy: left out, and said once at the end. */
static void k8s_unknown_add(struct k8s_ctx *c, const struct graph_workload *peer,
			    const struct graph_workload *w, uint64_t connections)
{
	struct k8s_unknown *u;

	HASH_FIND(hh, c->unknowns, &peer, sizeof(peer), u);
	if (!u) {
		u = util_zalloc(sizeof(*u));
		u->peer = peer;
		HASH_ADD(hh, c->unknowns, peer, sizeof(u->peer), u);
	}
	u->connections += connections;
	for (size_t i = 0; i < u->n_with; i++)
		if (u->with[i] == w)
			return;
	u->with = util_reallocarray(u->with, u->n_with + 1, sizeof(*u->with));
	u->with[u->n_with++] = w;
}

static int k8s_workload_ptr_cmp(const void *a, const void *b)
{
	return strcmp(graph_workload_id(*(const struct graph_workload *const *)a),
		      graph_workload_id(*(const struct graph_workload *const *)b));
}

static int k8s_unknown_cmp(const void *a, const void *b)
{
	return strcmp(graph_workload_id(((const struct k8s_unknown *)a)->peer),
		      graph_workload_id(((const struct k8s_unknown *)b)->peer));
}

static void k8s_say_unknowns(struct k8s_ctx *c)
{
	struct k8s_unknown *u, *tmp;

	HASH_SORT(c->unknowns, k8s_unknown_cmp);
	HASH_ITER (hh, c->unknowns, u, tmp) {
		char *with = util_strdup("");

		qsort(u->with, u->n_with, sizeof(*u->with), k8s_workload_ptr_cmp);
		for (size_t i = 0; i < u->n_with; i++) {
			char *more = util_asprintf("%s%s%s", with, i ? ", " : "",
						   graph_workload_id(u->with[i]));

			free(with);
			with = more;
		}
		k8s_warn(c,
			 "%s: %llu connection%s with %s from or to cluster addresses that match no "
			 "pod or Service (a pod gone before the inventory was taken?); not allowed",
			 graph_workload_id(u->peer), (unsigned long long)u->connections,
			 u->connections == 1 ? "" : "s", with);
		free(with);
		HASH_DEL(c->unknowns, u);
		free(u->with);
		free(u);
	}
}

/*
 * The graph hands out edges sorted by client, server, protocol, port: for one policy the
 * peers of its ingress (the clients) and of its egress (the servers) both arrive in order, and
 * each peer's ports arrive sorted and unique. So appending keeps every list sorted.
 */
static void k8s_rule_add(struct k8s_rule **rules, size_t *n, const struct graph_workload *peer,
			 uint8_t proto, uint16_t port)
{
	struct k8s_rule *r = *n > 0 ? &(*rules)[*n - 1] : NULL;

	if (!r || r->peer != peer) {
		*rules = util_reallocarray(*rules, *n + 1, sizeof(**rules));
		r = &(*rules)[(*n)++];
		*r = (struct k8s_rule){.peer = peer};
	}
	r->ports = util_reallocarray(r->ports, r->n_ports + 1, sizeof(*r->ports));
	r->ports[r->n_ports++] = (struct k8s_port){proto, port};
}

static const struct k8s_port k8s_dns_ports[] = {{IPPROTO_TCP, 53}, {IPPROTO_UDP, 53}};

/* Whether peer is exactly what the allow_dns rule selects: k8s-app=kube-dns in kube-system. */
static bool k8s_is_dns_peer(const struct graph_workload *peer)
{
	return graph_workload_kind(peer) == GRAPH_KIND_K8S &&
	       strcmp(graph_workload_namespace(peer), "kube-system") == 0 &&
	       graph_workload_label_count(peer) == 1 &&
	       strcmp(graph_workload_label_key(peer, 0), "k8s-app") == 0 &&
	       strcmp(graph_workload_label_value(peer, 0), "kube-dns") == 0;
}

static int k8s_port_cmp(const void *a, const void *b)
{
	const struct k8s_port *pa = a, *pb = b;

	if (pa->proto != pb->proto)
		return pa->proto < pb->proto ? -1 : 1;
	return pa->port < pb->port ? -1 : pa->port > pb->port;
}

/*
 * With allow_dns the DNS ports go into the learned rule to kube-dns when there is one, so the
 * same peer is not listed twice; otherwise they are a rule of their own, after all others.
 */
static void k8s_add_dns(struct k8s_policy *p)
{
	struct k8s_rule *r = NULL;

	/* kube-dns's own policy must let in what every other policy now lets out */
	if (k8s_is_dns_peer(p->w))
		p->dns_ingress = true;

	for (size_t i = 0; i < p->n_egress && !r; i++)
		if (k8s_is_dns_peer(p->egress[i].peer))
			r = &p->egress[i];
	if (!r) {
		p->dns_rule = true;
		return;
	}
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(k8s_dns_ports); i++) {
		if (bsearch(&k8s_dns_ports[i], r->ports, r->n_ports, sizeof(*r->ports),
			    k8s_port_cmp))
			continue;
		r->ports = util_reallocarray(r->ports, r->n_ports + 1, sizeof(*r->ports));
		r->ports[r->n_ports++] = k8s_dns_ports[i];
		qsort(r->ports, r->n_ports, sizeof(*r->ports), k8s_port_cmp);
	}
}

/*
 * A policy whose workload talks with a k8s peer that has no labels to select it by would leave
 * that peer out and so cut it off (a CronJob whose pod template has no labels of its own: its
 * pods carry only per-run labels). Such a workload gets no policy, and says why: unlocked is
 * safe, a policy that breaks what was observed is not.
 */
static void k8s_drop_unselectable(struct k8s_ctx *c, const struct graph *g)
{
	for (size_t i = 0; i < graph_edge_count(g); i++) {
		const struct graph_edge *e = graph_edge(g, i);

		for (int end = 0; end < 2; end++) {
			const struct graph_workload *self =
				end ? graph_edge_server(e) : graph_edge_client(e);
			const struct graph_workload *peer =
				end ? graph_edge_client(e) : graph_edge_server(e);
			struct k8s_policy *p;

			if (graph_workload_kind(peer) != GRAPH_KIND_K8S ||
			    graph_workload_label_count(peer) > 0 || peer == self)
				continue;
			/* --allow-dns lets every pod ask kube-dns: that peer is covered */
			if (end && c->opts->allow_dns && k8s_is_dns_peer(self) &&
			    graph_edge_port(e) == 53 &&
			    (graph_edge_proto(e) == IPPROTO_UDP ||
			     graph_edge_proto(e) == IPPROTO_TCP))
				continue;
			HASH_FIND_STR(c->by_id, graph_workload_id(self), p);
			if (!p || p->skip)
				continue;
			k8s_warn(
				c,
				"%s: no policy written: its peer %s has no labels to select it by, "
				"and a policy without it would cut it off (give its pod template a "
				"label)",
				graph_workload_id(self), graph_workload_id(peer));
			p->skip = true;
			HASH_DEL(c->by_id, p);
		}
	}
}

static void k8s_build_rules(struct k8s_ctx *c, const struct graph *g)
{
	k8s_drop_unselectable(c, g);
	for (size_t i = 0; i < graph_edge_count(g); i++) {
		const struct graph_edge *e = graph_edge(g, i);
		const struct graph_workload *client = graph_edge_client(e);
		const struct graph_workload *server = graph_edge_server(e);
		struct k8s_policy *pc, *ps;
		char pbuf[16];

		HASH_FIND_STR(c->by_id, graph_workload_id(client), pc);
		HASH_FIND_STR(c->by_id, graph_workload_id(server), ps);
		if (!pc && !ps)
			continue;
		if (!util_proto_has_ports(graph_edge_proto(e))) {
			/* A rule without ports would allow every protocol and port. */
			k8s_warn(c,
				 "%s -> %s %s: NetworkPolicy cannot express this protocol; not "
				 "allowed",
				 graph_workload_id(client), graph_workload_id(server),
				 k8s_edge_proto(e, pbuf));
			continue;
		}
		if (graph_edge_port(e) == 0) {
			k8s_warn(c, "%s -> %s %s/0: port 0 cannot be expressed; not allowed",
				 graph_workload_id(client), graph_workload_id(server),
				 k8s_edge_proto(e, pbuf));
			continue;
		}
		if (ps && graph_workload_kind(client) == GRAPH_KIND_UNKNOWN)
			k8s_unknown_add(c, client, server, graph_edge_connections(e));
		if (pc && graph_workload_kind(server) == GRAPH_KIND_UNKNOWN)
			k8s_unknown_add(c, server, client, graph_edge_connections(e));
		if (ps && k8s_peer_ok(c, client))
			k8s_rule_add(&ps->ingress, &ps->n_ingress, client, graph_edge_proto(e),
				     graph_edge_port(e));
		if (pc && k8s_peer_ok(c, server))
			k8s_rule_add(&pc->egress, &pc->n_egress, server, graph_edge_proto(e),
				     graph_edge_port(e));
	}
	k8s_say_unknowns(c);
	if (c->opts->allow_dns)
		for (size_t i = 0; i < c->n_policies; i++)
			k8s_add_dns(c->policies[i]);
}

static void k8s_ctx_free(struct k8s_ctx *c)
{
	HASH_CLEAR(hh, c->by_id);
	for (size_t i = 0; i < c->n_policies; i++) {
		struct k8s_policy *p = c->policies[i];

		for (size_t j = 0; j < p->n_ingress; j++)
			free(p->ingress[j].ports);
		for (size_t j = 0; j < p->n_egress; j++)
			free(p->egress[j].ports);
		free(p->ingress);
		free(p->egress);
		free(p->name);
		free(p);
	}
	free(c->policies);
	util_said_free(&c->said);
}

/* ---- rendering ---------------------------------------------------------------------------- */

/* matchLabels: {...} of one workload (its labels are its selector). */
static void k8s_match_labels(struct k8s_ctx *c, const struct graph_workload *w)
{
	util_yaml_out_str(c->y, "matchLabels");
	util_yaml_out_map_start(c->y);
	for (size_t i = 0; i < graph_workload_label_count(w); i++)
		util_yaml_out_kv(c->y, graph_workload_label_key(w, i),
				 graph_workload_label_value(w, i));
	util_yaml_out_map_end(c->y);
}

static void k8s_namespace_selector(struct k8s_ctx *c, const char *ns)
{
	util_yaml_out_str(c->y, "namespaceSelector");
	util_yaml_out_map_start(c->y);
	util_yaml_out_str(c->y, "matchLabels");
	util_yaml_out_map_start(c->y);
	util_yaml_out_kv(c->y, "kubernetes.io/metadata.name", ns);
	util_yaml_out_map_end(c->y);
	util_yaml_out_map_end(c->y);
}

static void k8s_ip_block(struct k8s_ctx *c, const struct util_prefix *p)
{
	char cidr[UTIL_PREFIX_LEN];

	util_yaml_out_map_start(c->y);
	util_yaml_out_str(c->y, "ipBlock");
	util_yaml_out_map_start(c->y);
	util_yaml_out_kv(c->y, "cidr", util_prefix_format(p, cidr));
	util_yaml_out_map_end(c->y);
	util_yaml_out_map_end(c->y);
}

/* The entries of from: / to: that stand for one peer (several for a peer with many addresses).
 */
static void k8s_peers(struct k8s_ctx *c, const struct graph_workload *self,
		      const struct graph_workload *peer)
{
	switch (graph_workload_kind(peer)) {
	case GRAPH_KIND_K8S:
		/* both selectors in one entry: pods with these labels in that namespace */
		util_yaml_out_map_start(c->y);
		if (strcmp(graph_workload_namespace(peer), graph_workload_namespace(self)) != 0)
			k8s_namespace_selector(c, graph_workload_namespace(peer));
		util_yaml_out_str(c->y, "podSelector");
		util_yaml_out_map_start(c->y);
		k8s_match_labels(c, peer);
		util_yaml_out_map_end(c->y);
		util_yaml_out_map_end(c->y);
		break;
	case GRAPH_KIND_EXTERNAL:
	case GRAPH_KIND_NODE:
		for (size_t i = 0; i < graph_workload_prefix_count(peer); i++)
			k8s_ip_block(c, graph_workload_prefix(peer, i));
		break;
	case GRAPH_KIND_DOCKER:
	default:
		break; /* k8s_peer_ok() kept these out of every rule */
	}
}

static void k8s_ports(struct k8s_ctx *c, const struct k8s_port *ports, size_t n)
{
	util_yaml_out_str(c->y, "ports");
	util_yaml_out_seq_start(c->y);
	for (size_t i = 0; i < n; i++) {
		util_yaml_out_map_start(c->y);
		util_yaml_out_kv(c->y, "protocol", util_proto_name(ports[i].proto));
		util_yaml_out_str(c->y, "port");
		util_yaml_out_u64(c->y, ports[i].port);
		util_yaml_out_map_end(c->y);
	}
	util_yaml_out_seq_end(c->y);
}

static void k8s_rules(struct k8s_ctx *c, const struct k8s_policy *p, bool ingress)
{
	const struct k8s_rule *rules = ingress ? p->ingress : p->egress;
	size_t n = ingress ? p->n_ingress : p->n_egress;
	bool dns = !ingress && p->dns_rule;
	bool dns_in = ingress && p->dns_ingress;

	/* no key at all: with the policy type listed, that denies everything */
	if (n == 0 && !dns && !dns_in)
		return;
	util_yaml_out_str(c->y, ingress ? "ingress" : "egress");
	util_yaml_out_seq_start(c->y);
	for (size_t i = 0; i < n; i++) {
		util_yaml_out_map_start(c->y);
		util_yaml_out_str(c->y, ingress ? "from" : "to");
		util_yaml_out_seq_start(c->y);
		k8s_peers(c, p->w, rules[i].peer);
		util_yaml_out_seq_end(c->y);
		k8s_ports(c, rules[i].ports, rules[i].n_ports);
		util_yaml_out_map_end(c->y);
	}
	if (dns) {
		util_yaml_out_map_start(c->y);
		util_yaml_out_str(c->y, "to");
		util_yaml_out_seq_start(c->y);
		util_yaml_out_map_start(c->y);
		k8s_namespace_selector(c, "kube-system");
		util_yaml_out_str(c->y, "podSelector");
		util_yaml_out_map_start(c->y);
		util_yaml_out_str(c->y, "matchLabels");
		util_yaml_out_map_start(c->y);
		util_yaml_out_kv(c->y, "k8s-app", "kube-dns");
		util_yaml_out_map_end(c->y);
		util_yaml_out_map_end(c->y);
		util_yaml_out_map_end(c->y);
		util_yaml_out_seq_end(c->y);
		k8s_ports(c, k8s_dns_ports, UTIL_ARRAY_SIZE(k8s_dns_ports));
		util_yaml_out_map_end(c->y);
	}
	if (dns_in) {
		/* an empty namespaceSelector: every pod in every namespace, and nothing outside */
		util_yaml_out_map_start(c->y);
		util_yaml_out_str(c->y, "from");
		util_yaml_out_seq_start(c->y);
		util_yaml_out_map_start(c->y);
		util_yaml_out_str(c->y, "namespaceSelector");
		util_yaml_out_map_start(c->y);
		util_yaml_out_map_end(c->y);
		util_yaml_out_map_end(c->y);
		util_yaml_out_seq_end(c->y);
		k8s_ports(c, k8s_dns_ports, UTIL_ARRAY_SIZE(k8s_dns_ports));
		util_yaml_out_map_end(c->y);
	}
	util_yaml_out_seq_end(c->y);
}

/* Annotation values may be anything; keep the id only when it is plain printable ASCII. */
static bool k8s_annotation_ok(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p > 0x7e)
			return false;
	return true;
}

static void k8s_policy(struct k8s_ctx *c, const struct k8s_policy *p)
{
	util_yaml_out_document_start(c->y);
	util_yaml_out_map_start(c->y);
	util_yaml_out_kv(c->y, "apiVersion", "networking.k8s.io/v1");
	util_yaml_out_kv(c->y, "kind", "NetworkPolicy");

	util_yaml_out_str(c->y, "metadata");
	util_yaml_out_map_start(c->y);
	util_yaml_out_kv(c->y, "name", p->name);
	util_yaml_out_kv(c->y, "namespace", graph_workload_namespace(p->w));
	util_yaml_out_str(c->y, "labels");
	util_yaml_out_map_start(c->y);
	util_yaml_out_kv(c->y, "app.kubernetes.io/managed-by", "flowlock");
	util_yaml_out_map_end(c->y);
	if (k8s_annotation_ok(graph_workload_id(p->w))) {
		util_yaml_out_str(c->y, "annotations");
		util_yaml_out_map_start(c->y);
		util_yaml_out_kv(c->y, "flowlock.io/workload", graph_workload_id(p->w));
		util_yaml_out_map_end(c->y);
	}
	util_yaml_out_map_end(c->y);

	util_yaml_out_str(c->y, "spec");
	util_yaml_out_map_start(c->y);
	util_yaml_out_str(c->y, "podSelector");
	util_yaml_out_map_start(c->y);
	k8s_match_labels(c, p->w);
	util_yaml_out_map_end(c->y);
	/* both types always: whatever no rule names is denied */
	util_yaml_out_str(c->y, "policyTypes");
	util_yaml_out_seq_start(c->y);
	util_yaml_out_str(c->y, "Ingress");
	util_yaml_out_str(c->y, "Egress");
	util_yaml_out_seq_end(c->y);
	k8s_rules(c, p, true);
	k8s_rules(c, p, false);
	util_yaml_out_map_end(c->y);

	util_yaml_out_map_end(c->y);
	util_yaml_out_document_end(c->y);
}

int emit_k8s(FILE *out, const struct graph *g, const struct emit_options *opts,
	     struct util_err *err)
{
	static const struct emit_options no_opts;
	struct k8s_ctx c = {.opts = opts ? opts : &no_opts, .err = err};
	size_t written = 0;
	int r;

	r = k8s_validate(g, err);
	if (r < 0)
		return r;
	k8s_build_policies(&c, g);
	k8s_build_rules(&c, g);

	for (size_t i = 0; i < c.n_policies; i++)
		written += !c.policies[i]->skip;
	if (c.n_k8s == 0) {
		r = util_err_set(err, ENODATA,
				 "no Kubernetes workload in the state: learn with --inventory from "
				 "'kubectl get nodes,namespaces,pods,services,endpointslices -A -o "
				 "yaml'");
		goto out;
	}
	if (written == 0) {
		r = util_err_set(
			err, ENODATA,
			"no policy to write: none of the %zu Kubernetes workload%s is in the "
			"namespaces asked for and seen running (see the warnings)",
			c.n_k8s, c.n_k8s == 1 ? "" : "s");
		goto out;
	}
	r = util_yaml_out_open(out, 0, "the NetworkPolicy YAML", err, &c.y);
	if (r == 0) {
		for (size_t i = 0; i < c.n_policies; i++)
			if (!c.policies[i]->skip)
				k8s_policy(&c, c.policies[i]);
		r = util_yaml_out_close(c.y, NULL, NULL, NULL);
	}
out:
	k8s_ctx_free(&c);
	return r;
}
