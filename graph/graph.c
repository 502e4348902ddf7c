/* SPDX-License-Identifier: Apache-2.0 */
/* graph.c - workloads and client -> server edges in hash tables, read through sorted views.
 */
#include "graph/graph-private.h"

#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/util-uthash.h"

struct graph_node {
	char *id;		  /* the node's own copy: w may be replaced and freed */
	struct graph_workload *w; /* replaced when a newer inventory describes the same id */
	/*
	 * When it ran is kept (w is a k8s or docker workload), and known so (seen running, over
	 * [run_first, run_last]). In the node's first cache line with w, and without reading w:
	 * every flow's edge marks both its ends.
	 */
	bool runs, ran;
	uint64_t run_first, run_last;
	UT_hash_handle hh; /* keyed by id */
	/*
	 * Also keyed by the pointer w, which is what attribution holds for every flow: no string
	 * to hash. Safe because the node holds a reference, so w cannot be freed and reused.
	 */
	UT_hash_handle hh_ptr;
};

struct edge_key {
	struct graph_node *client; /* the edge counts both as running while it carries flows */
	struct graph_node *server;
	uint16_t port;
	uint8_t proto;
	uint8_t pad; /* keys are hashed as bytes: the padding is zeroed and stays zero */
};

/*
 * A node (host) whose agent learned part of the graph; "" is an agent that gave no name. Edges
 * and counters point at it, so that merged states count what each agent saw exactly once.
 */
struct graph_agent {
	char *name;
};

struct edge_count {
	const struct graph_agent *agent;
	uint64_t connections;
};

struct graph_edge {
	struct edge_key key;
	uint64_t connections; /* the sum over counts, kept so that readers need no loop */
	uint64_t first_ns, last_ns;
	/*
	 * Per agent, sorted by name. One agent is the common case, and the one the capture path
	 * pays for: counts then points at one_count and nothing is allocated.
	 */
	struct edge_count *counts;
	size_t n_counts;
	struct edge_count one_count;
	UT_hash_handle hh;
};

/*
 * Attempts one client made on one server over one protocol: what was refused and what went
 * unanswered, per agent as edges count, and a few of the ports (the lowest: a choice that merges
 * the same in any order).
 */
struct attempt_key {
	const struct graph_node *client;
	const struct graph_node *server;
	uint8_t proto;
	uint8_t pad[7]; /* hashed as bytes: zeroed */
};

struct attempt_count {
	const struct graph_agent *agent;
	uint64_t refused, unanswered;
};

struct graph_attempt {
	struct attempt_key key;
	uint64_t refused, unanswered; /* the sums over counts */
	uint64_t first_ns, last_ns;
	struct attempt_count *counts; /* per agent, sorted by name */
	size_t n_counts;
	uint16_t ports[GRAPH_ATTEMPT_PORTS]; /* sorted, unique */
	size_t n_ports;
	UT_hash_handle hh;
};

struct counter_value {
	const struct graph_agent *agent;
	uint64_t value;
};

/* agent_search() reads each per-agent count's agent from its first bytes. */
_Static_assert(offsetof(struct edge_count, agent) == 0 &&
		       offsetof(struct counter_value, agent) == 0 &&
		       offsetof(struct attempt_count, agent) == 0,
	       "every per-agent count starts with its agent");

struct graph_counter {
	char *name;
	uint64_t value;		      /* the sum over values */
	struct counter_value *values; /* per agent, sorted by name */
	size_t n_values;
};

/* A span of time that was watched: [from, until]. */
struct graph_window {
	uint64_t from, until;
};

struct graph_views {
	struct graph_node **node_view;
	struct graph_edge **edge_view;
	struct graph_attempt **attempt_view;
	bool nodes_dirty, edges_dirty, attempts_dirty;
	/*
	 * How many nodes and edges the two views hold sorted, and the last of each in its table's
	 * order: uthash appends what is added, and nodes and edges are only ever removed with the
	 * graph, so what follows these is what the views lack (graph_sort_nodes()).
	 */
	size_t nodes_sorted, edges_sorted;
	const struct graph_node *node_last;
	const struct graph_edge *edge_last;
};

struct graph {
	struct graph_node *nodes;
	struct graph_node *nodes_by_ptr;
	struct graph_edge *edges;
	struct graph_counter *counters; /* sorted by name */
	size_t n_counters;
	struct graph_agent **agents; /* sorted by name */
	size_t n_agents;
	struct graph_window *windows; /* sorted, disjoint */
	size_t n_windows;
	struct graph_attempt *attempts;
	/* What edges and counters are added for; NULL: the unnamed agent, registered when used. */
	struct graph_agent *agent;
	/*
	 * Sorted views, brought up to date on the first indexed access after a change (or by
	 * graph_prepare_views()). They are a cache, not what the graph holds, so readers of a
	 * const graph build them: the cache is reached through a pointer, never by casting the
	 * graph's const away.
	 */
	struct graph_views *views;
	struct util_pool *pool; /* the nodes, their ids, the edges and the attempts */
	uint64_t serial;	/* graph_serial() */
};

/* Counts that run for days must not wrap back to small numbers: they stop at the maximum. */
static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

struct graph *graph_new(void)
{
	static _Atomic uint64_t serials;
	struct graph *g = util_zalloc(sizeof(*g));

	g->serial = atomic_fetch_add(&serials, 1) + 1;
	g->views = util_zalloc(sizeof(*g->views));
	g->pool = util_pool_new();
	g->views->nodes_dirty = g->views->edges_dirty = g->views->attempts_dirty = true;
	return g;
}

struct graph *graph_free(struct graph *g)
{
	struct graph_node *n, *ntmp;
	struct graph_edge *e, *etmp;
	struct graph_attempt *a, *atmp;

	if (!g)
		return NULL;
	HASH_ITER (hh, g->edges, e, etmp) {
		HASH_DEL(g->edges, e);
		if (e->counts != &e->one_count)
			free(e->counts);
		util_pool_put(g->pool, e);
	}
	HASH_ITER (hh, g->attempts, a, atmp) {
		HASH_DEL(g->attempts, a);
		free(a->counts);
		util_pool_put(g->pool, a);
	}
	free(g->views->attempt_view);
	HASH_CLEAR(hh_ptr, g->nodes_by_ptr);
	HASH_ITER (hh, g->nodes, n, ntmp) {
		HASH_DEL(g->nodes, n);
		graph_workload_unref(n->w);
		util_pool_put(g->pool, n->id);
		util_pool_put(g->pool, n);
	}
	for (size_t i = 0; i < g->n_counters; i++) {
		free(g->counters[i].name);
		free(g->counters[i].values);
	}
	free(g->counters);
	for (size_t i = 0; i < g->n_agents; i++) {
		free(g->agents[i]->name);
		free(g->agents[i]);
	}
	free(g->agents);
	free(g->windows);
	free(g->views->node_view);
	free(g->views->edge_view);
	free(g->views);
	util_pool_free(g->pool);
	free(g);
	return NULL;
}

static struct graph_node *graph_find_node(const struct graph *g, const char *id)
{
	struct graph_node *n;

	HASH_FIND_STR(g->nodes, id, n);
	return n;
}

static struct graph_node *graph_find_node_ptr(const struct graph *g, const struct graph_workload *w)
{
	struct graph_node *n;

	HASH_FIND(hh_ptr, g->nodes_by_ptr, &w, sizeof(w), n);
	return n;
}

/* Whether when w ran is kept: a k8s or docker workload's. */
static bool node_runs(const struct graph_workload *w)
{
	return graph_workload_kind(w) == GRAPH_KIND_K8S ||
	       graph_workload_kind(w) == GRAPH_KIND_DOCKER;
}

/* w's node, made or given w when needed: see graph_add_workload(). */
static struct graph_node *graph_node_add(struct graph *g, struct graph_workload *w)
{
	struct graph_node *n = graph_find_node_ptr(g, w);

	if (n)
		return n;
	n = graph_find_node(g, graph_workload_id(w));
	if (n) {
		HASH_DELETE(hh_ptr, g->nodes_by_ptr, n);
		graph_workload_ref(w);
		graph_workload_unref(n->w);
		n->w = w;
		n->runs = node_runs(w);
		HASH_ADD(hh_ptr, g->nodes_by_ptr, w, sizeof(n->w), n);
		return n;
	}
	n = util_pool_zalloc(g->pool, sizeof(*n));
	n->id = util_pool_strdup(g->pool, graph_workload_id(w));
	n->w = graph_workload_ref(w);
	n->runs = node_runs(w);
	HASH_ADD_KEYPTR(hh, g->nodes, n->id, strlen(n->id), n);
	HASH_ADD(hh_ptr, g->nodes_by_ptr, w, sizeof(n->w), n);
	g->views->nodes_dirty = true;
	return n;
}

const struct graph_workload *graph_add_workload(struct graph *g, struct graph_workload *w)
{
	return graph_node_add(g, w)->w;
}

/* The graph's own node for w: by pointer when w is the graph's instance, else by id. */
static struct graph_node *graph_node_of(const struct graph *g, const struct graph_workload *w)
{
	struct graph_node *n = graph_find_node_ptr(g, w);

	return n ? n : graph_find_node(g, graph_workload_id(w));
}

const struct graph_workload *graph_find_workload(const struct graph *g, const char *id)
{
	struct graph_node *n = graph_find_node(g, id);

	return n ? n->w : NULL;
}

/* The edge client -> server on proto/port, or NULL; *ret_key is its key either way, to add it. */
static struct graph_edge *graph_edge_find(const struct graph *g, struct graph_node *client,
					  struct graph_node *server, uint8_t proto, uint16_t port,
					  struct edge_key *ret_key)
{
	struct graph_edge *e;

	memset(ret_key, 0, sizeof(*ret_key)); /* the padding is part of the key */
	ret_key->client = client;
	ret_key->server = server;
	ret_key->proto = proto;
	ret_key->port = port;
	HASH_FIND(hh, g->edges, ret_key, sizeof(*ret_key), e);
	return e;
}

uint64_t graph_serial(const struct graph *g)
{
	return g->serial;
}

const struct graph_edge *graph_find_edge(const struct graph *g, const char *client_id,
					 const char *server_id, uint8_t proto, uint16_t port)
{
	struct graph_node *client = graph_find_node(g, client_id);
	struct graph_node *server = graph_find_node(g, server_id);
	struct edge_key key;

	return client && server ? graph_edge_find(g, client, server, proto, port, &key) : NULL;
}

/* ---- Agents: the nodes that learned the graph ------------------------------------------- */

bool graph_node_name_valid(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	if (n == 0 || n > 253)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		bool alnum =
			(c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');

		if (!alnum && (i == 0 || (c != '.' && c != '_' && c != '-')))
			return false;
	}
	return true;
}

/* The agent called name, added in its sorted place when create is set (else NULL if absent). */
static struct graph_agent *graph_agent_get(struct graph *g, const char *name, bool create)
{
	size_t lo = 0, hi = g->n_agents;
	struct graph_agent *a;

	while (lo < hi) { /* the first agent whose name is not below name */
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(g->agents[mid]->name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < g->n_agents && strcmp(g->agents[lo]->name, name) == 0)
		return g->agents[lo];
	if (!create)
		return NULL;
	a = util_zalloc(sizeof(*a));
	a->name = util_strdup(name);
	g->agents = util_reallocarray(g->agents, g->n_agents + 1, sizeof(*g->agents));
	memmove(&g->agents[lo + 1], &g->agents[lo], (g->n_agents - lo) * sizeof(*g->agents));
	g->agents[lo] = a;
	g->n_agents++;
	return a;
}

/* Who counts when nobody said: the unnamed agent, registered the first time it counts. */
static struct graph_agent *graph_current_agent(struct graph *g)
{
	if (!g->agent)
		g->agent = graph_agent_get(g, "", true);
	return g->agent;
}

int graph_use_node(struct graph *g, const char *name)
{
	if (!name) {
		g->agent = NULL;
		return 0;
	}
	if (*name && !graph_node_name_valid(name))
		return -EINVAL;
	g->agent = graph_agent_get(g, name, true);
	return 0;
}

int graph_claim_node(struct graph *g, const char *name)
{
	if (!graph_node_name_valid(name))
		return -EINVAL;
	if (g->n_agents == 1 && strcmp(g->agents[0]->name, name) != 0) {
		if (*g->agents[0]->name)
			return -EEXIST;
		/* One agent, so every edge and counter is its alone: renaming keeps all sorted. */
		free(g->agents[0]->name);
		g->agents[0]->name = util_strdup(name);
	}
	return graph_use_node(g, name);
}

size_t graph_node_count(const struct graph *g)
{
	return g->n_agents;
}

const char *graph_node_name(const struct graph *g, size_t i)
{
	return i < g->n_agents ? g->agents[i]->name : NULL;
}

/* ---- What was watched, and when ----------------------------------------------------------- */

/* Only what can run (pods' workloads, containers) is noted: nodes and outside peers just are. */
static void node_ran(struct graph_node *n, uint64_t first, uint64_t last)
{
	if (!n->runs)
		return;
	if (last < first)
		last = first;
	if (!n->ran) {
		n->ran = true;
		n->run_first = first;
		n->run_last = last;
		return;
	}
	if (first < n->run_first)
		n->run_first = first;
	if (last > n->run_last)
		n->run_last = last;
}

void graph_note_running(struct graph *g, const struct graph_workload *w, uint64_t first_ns,
			uint64_t last_ns)
{
	struct graph_node *n = graph_node_of(g, w);

	if (n)
		node_ran(n, first_ns, last_ns);
}

bool graph_workload_running(const struct graph *g, const struct graph_workload *w,
			    uint64_t *ret_first_ns, uint64_t *ret_last_ns)
{
	const struct graph_node *n = graph_node_of(g, w);

	if (!n || !n->ran)
		return false;
	if (ret_first_ns)
		*ret_first_ns = n->run_first;
	if (ret_last_ns)
		*ret_last_ns = n->run_last;
	return true;
}

/*
 * At most max spans, joined the same way whatever order they came in: spans closer than a gap
 * that doubles from one second are joined until few enough remain. A function of the set of
 * spans alone, so that merging states in any order gives the same window.
 */
static void graph_windows_cap(struct graph *g, size_t max)
{
	uint64_t gap = UTIL_NSEC_PER_SEC;

	while (g->n_windows > max) {
		size_t k = 0;

		for (size_t i = 0; i < g->n_windows; i++) {
			if (k > 0 && g->windows[i].from - g->windows[k - 1].until < gap) {
				if (g->windows[i].until > g->windows[k - 1].until)
					g->windows[k - 1].until = g->windows[i].until;
				continue;
			}
			g->windows[k++] = g->windows[i];
		}
		g->n_windows = k;
		gap = gap > UINT64_MAX / 2 ? UINT64_MAX : gap * 2;
	}
}

void graph_add_window(struct graph *g, uint64_t from_ns, uint64_t until_ns)
{
	size_t lo = 0, hi;

	if (until_ns < from_ns)
		until_ns = from_ns;
	/* the windows that [from, until] overlaps or touches are [lo, hi): they become one */
	while (lo < g->n_windows && g->windows[lo].until < from_ns)
		lo++;
	hi = lo;
	while (hi < g->n_windows && g->windows[hi].from <= until_ns) {
		if (g->windows[hi].from < from_ns)
			from_ns = g->windows[hi].from;
		if (g->windows[hi].until > until_ns)
			until_ns = g->windows[hi].until;
		hi++;
	}
	if (hi == lo) {
		g->windows = util_reallocarray(g->windows, g->n_windows + 1, sizeof(*g->windows));
		memmove(&g->windows[lo + 1], &g->windows[lo],
			(g->n_windows - lo) * sizeof(*g->windows));
		g->n_windows++;
	} else if (hi > lo + 1) {
		memmove(&g->windows[lo + 1], &g->windows[hi],
			(g->n_windows - hi) * sizeof(*g->windows));
		g->n_windows -= hi - lo - 1;
	}
	g->windows[lo] = (struct graph_window){from_ns, until_ns};
	/* memory stays bounded; what is read and saved is capped exactly (graph_windows_cap) */
	if (g->n_windows > 4 * GRAPH_MAX_WINDOWS)
		graph_windows_cap(g, GRAPH_MAX_WINDOWS);
}

/*
 * Reading caps the windows in place, as every read has since windows were added: whatever reads
 * them sees exactly GRAPH_MAX_WINDOWS at most, and later adds start from what was read. Unlike
 * the sorted views this changes what the graph holds, so it is still done through a cast; doing
 * it only on write would change which windows merge, and so saved states.
 */
size_t graph_window_count(const struct graph *g)
{
	graph_windows_cap((struct graph *)g, GRAPH_MAX_WINDOWS);
	return g->n_windows;
}

void graph_window(const struct graph *g, size_t i, uint64_t *ret_from_ns, uint64_t *ret_until_ns)
{
	struct graph_window w;

	graph_windows_cap((struct graph *)g, GRAPH_MAX_WINDOWS);
	w = i < g->n_windows ? g->windows[i] : (struct graph_window){0, 0};

	if (ret_from_ns)
		*ret_from_ns = w.from;
	if (ret_until_ns)
		*ret_until_ns = w.until;
}

/* ---- Edges -------------------------------------------------------------------------------- */

static struct graph_edge *graph_edge_new(struct graph *g, const struct edge_key *key,
					 uint64_t first_ns, uint64_t last_ns)
{
	struct graph_edge *e = util_pool_zalloc(g->pool, sizeof(*e));

	e->key = *key;
	e->first_ns = first_ns;
	e->last_ns = last_ns;
	e->counts = &e->one_count;
	HASH_ADD(hh, g->edges, key, sizeof(e->key), e);
	g->views->edges_dirty = true;
	return e;
}

/* Replaces an edge's counts with v, n of them from the heap, sorted by name; takes v. */
static void edge_set_counts(struct graph_edge *e, struct edge_count *v, size_t n)
{
	if (e->counts != &e->one_count)
		free(e->counts);
	e->n_counts = n;
	e->counts = v;
	if (n == 1) { /* back inline: the common case stays allocation-free */
		e->one_count = v[0];
		e->counts = &e->one_count;
		free(v);
	}
}

/*
 * Where agent is, or would go, among n per-agent counts of size bytes each, every one starting
 * with its agent and all sorted by name (edges', counters' and attempts' counts); *ret_found
 * says whether it is there.
 */
static size_t agent_search(const void *v, size_t n, size_t size, const struct graph_agent *agent,
			   bool *ret_found)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct graph_agent *a;

		memcpy(&a, (const char *)v + mid * size, sizeof(a));
		if (a == agent) {
			*ret_found = true;
			return mid;
		}
		if (strcmp(a->name, agent->name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*ret_found = false;
	return lo;
}

/* The edge's count for agent, added at zero in its sorted place when missing. */
static struct edge_count *edge_count_of(struct graph_edge *e, const struct graph_agent *agent)
{
	bool found;
	size_t lo = agent_search(e->counts, e->n_counts, sizeof(*e->counts), agent, &found);
	struct edge_count *v;

	if (found)
		return &e->counts[lo];
	if (e->n_counts == 0) {
		e->one_count = (struct edge_count){agent, 0};
		e->counts = &e->one_count;
		e->n_counts = 1;
		return &e->one_count;
	}
	if (e->counts == &e->one_count) {
		v = util_reallocarray(NULL, 2, sizeof(*v));
		v[0] = e->one_count;
	} else {
		v = util_reallocarray(e->counts, e->n_counts + 1, sizeof(*v));
	}
	memmove(&v[lo + 1], &v[lo], (e->n_counts - lo) * sizeof(*v));
	v[lo] = (struct edge_count){agent, 0};
	e->counts = v;
	e->n_counts++;
	return &e->counts[lo];
}

/* A flow's connections and times, added to e for the current agent. */
void graph_edge_add_flow(struct graph *g, struct graph_edge *e, uint64_t connections,
			 uint64_t first_ns, uint64_t last_ns)
{
	const struct graph_agent *agent = graph_current_agent(g);
	struct edge_count *count;

	/* One agent learning is the hot path: its count is the first, and no search is made. */
	count = e->n_counts > 0 && e->counts[0].agent == agent ? &e->counts[0]
							       : edge_count_of(e, agent);
	count->connections = sat_add(count->connections, connections);
	e->connections = sat_add(e->connections, connections);
	if (first_ns < e->first_ns)
		e->first_ns = first_ns;
	if (last_ns > e->last_ns)
		e->last_ns = last_ns;
	/* both ends talked, so both were running then */
	node_ran(e->key.client, first_ns, last_ns);
	node_ran(e->key.server, first_ns, last_ns);
}

static struct graph_edge *graph_add_node_edge(struct graph *g, struct graph_node *c,
					      struct graph_node *s, uint8_t proto, uint16_t port,
					      uint64_t connections, uint64_t first_ns,
					      uint64_t last_ns)
{
	struct edge_key key;
	struct graph_edge *e;

	e = graph_edge_find(g, c, s, proto, port, &key);
	if (!e)
		e = graph_edge_new(g, &key, first_ns, last_ns);
	graph_edge_add_flow(g, e, connections, first_ns, last_ns);
	return e;
}

/* The first and the last byte of what graph_edge_add_flow() uses: one or two lines each. */
void graph_edge_prefetch(const struct graph_edge *e)
{
	__builtin_prefetch(e, 1);
	__builtin_prefetch((const char *)(&e->one_count + 1) - 1, 1);
}

void graph_edge_prefetch_ends(const struct graph_edge *e)
{
	const struct graph_node *ends[] = {e->key.client, e->key.server};

	for (size_t i = 0; i < UTIL_ARRAY_SIZE(ends); i++) {
		__builtin_prefetch(ends[i], 1);
		__builtin_prefetch((const char *)(&ends[i]->run_last + 1) - 1, 1);
	}
}

void graph_add_edge(struct graph *g, const struct graph_workload *client,
		    const struct graph_workload *server, uint8_t proto, uint16_t port,
		    uint64_t connections, uint64_t first_ns, uint64_t last_ns)
{
	struct graph_node *c = graph_node_of(g, client), *s = graph_node_of(g, server);

	if (!c || !s)
		abort(); /* a caller bug: workloads are added before their edges */
	graph_add_node_edge(g, c, s, proto, port, connections, first_ns, last_ns);
}

struct graph_edge *graph_add_flow_edge(struct graph *g, struct graph_workload *client,
				       struct graph_workload *server, uint8_t proto, uint16_t port,
				       uint64_t connections, uint64_t first_ns, uint64_t last_ns)
{
	struct graph_node *c = graph_node_add(g, client), *s = graph_node_add(g, server);

	return graph_add_node_edge(g, c, s, proto, port, connections, first_ns, last_ns);
}

/*
 * Views sort by the nodes' own ids, which are their workloads' (graph_node_add()): next to the
 * nodes in the pool, where the workloads' are one more miss away.
 */
static int node_cmp(const void *a, const void *b)
{
	const struct graph_node *na = *(struct graph_node *const *)a;
	const struct graph_node *nb = *(struct graph_node *const *)b;

	return strcmp(na->id, nb->id);
}

static int edge_cmp(const void *a, const void *b)
{
	const struct graph_edge *ea = *(struct graph_edge *const *)a;
	const struct graph_edge *eb = *(struct graph_edge *const *)b;
	int c;

	c = strcmp(ea->key.client->id, eb->key.client->id);
	if (c)
		return c;
	c = strcmp(ea->key.server->id, eb->key.server->id);
	if (c)
		return c;
	if (ea->key.proto != eb->key.proto)
		return ea->key.proto < eb->key.proto ? -1 : 1;
	if (ea->key.port != eb->key.port)
		return ea->key.port < eb->key.port ? -1 : 1;
	return 0;
}

/*
 * view[0, n) is sorted and view[n, n + k) was just added: sorts the k and merges them in, from
 * the back, so that only the k need room of their own. No two items compare equal (ids are
 * unique, and so are edges' keys), so this is the order a sort of all n + k gives.
 */
static void view_merge(void *view, size_t n, size_t k, int (*cmp)(const void *, const void *))
{
	/* the view's pointers, moved as bytes: the view holds nodes' or edges' pointers */
	const size_t size = sizeof(void *);
	unsigned char *v = view, *add;
	size_t i = n, j = k, d = n + k;

	qsort(v + n * size, k, size, cmp);
	if (n == 0 || k == 0 || cmp(v + (n - 1) * size, v + n * size) < 0)
		return;
	add = util_reallocarray(NULL, k, size);
	memcpy(add, v + n * size, k * size);
	while (j > 0) {
		if (i > 0 && cmp(v + (i - 1) * size, add + (j - 1) * size) > 0)
			memcpy(v + --d * size, v + --i * size, size);
		else
			memcpy(v + --d * size, add + --j * size, size);
	}
	free(add);
}

/* The views are caches; building them does not change what the graph holds. */
static void graph_sort_nodes(const struct graph *g)
{
	struct graph_views *v = g->views;
	const struct graph_node *n = v->node_last ? v->node_last->hh.next : g->nodes;
	size_t k = 0;

	if (!v->nodes_dirty)
		return;
	v->node_view = util_reallocarray(v->node_view, HASH_COUNT(g->nodes), sizeof(*v->node_view));
	for (; n; n = n->hh.next) {
		v->node_view[v->nodes_sorted + k++] = (struct graph_node *)n;
		v->node_last = n;
	}
	view_merge(v->node_view, v->nodes_sorted, k, node_cmp);
	v->nodes_sorted += k;
	v->nodes_dirty = false;
}

static void graph_sort_edges(const struct graph *g)
{
	struct graph_views *v = g->views;
	const struct graph_edge *e = v->edge_last ? v->edge_last->hh.next : g->edges;
	size_t k = 0;

	if (!v->edges_dirty)
		return;
	v->edge_view = util_reallocarray(v->edge_view, HASH_COUNT(g->edges), sizeof(*v->edge_view));
	for (; e; e = e->hh.next) {
		v->edge_view[v->edges_sorted + k++] = (struct graph_edge *)e;
		v->edge_last = e;
	}
	view_merge(v->edge_view, v->edges_sorted, k, edge_cmp);
	v->edges_sorted += k;
	v->edges_dirty = false;
}

void graph_views_unsorted(const struct graph *g, size_t *nodes, size_t *edges)
{
	*nodes = HASH_COUNT(g->nodes) - g->views->nodes_sorted;
	*edges = HASH_COUNT(g->edges) - g->views->edges_sorted;
}

void graph_prepare_views(const struct graph *g)
{
	const struct graph_views *v = g->views;

	if (v->nodes_dirty && HASH_COUNT(g->nodes) - v->nodes_sorted >= v->nodes_sorted / 8)
		graph_sort_nodes(g);
	if (v->edges_dirty && HASH_COUNT(g->edges) - v->edges_sorted >= v->edges_sorted / 8)
		graph_sort_edges(g);
}

size_t graph_workload_count(const struct graph *g)
{
	return HASH_COUNT(g->nodes);
}

const struct graph_workload *graph_workload(const struct graph *g, size_t i)
{
	if (i >= HASH_COUNT(g->nodes))
		return NULL;
	graph_sort_nodes(g);
	return g->views->node_view[i]->w;
}

size_t graph_edge_count(const struct graph *g)
{
	return HASH_COUNT(g->edges);
}

const struct graph_edge *graph_edge(const struct graph *g, size_t i)
{
	if (i >= HASH_COUNT(g->edges))
		return NULL;
	graph_sort_edges(g);
	return g->views->edge_view[i];
}

const struct graph_workload *graph_edge_client(const struct graph_edge *e)
{
	return e->key.client->w;
}

const struct graph_workload *graph_edge_server(const struct graph_edge *e)
{
	return e->key.server->w;
}

uint8_t graph_edge_proto(const struct graph_edge *e)
{
	return e->key.proto;
}

uint16_t graph_edge_port(const struct graph_edge *e)
{
	return e->key.port;
}

uint64_t graph_edge_connections(const struct graph_edge *e)
{
	return e->connections;
}

uint64_t graph_edge_first_ns(const struct graph_edge *e)
{
	return e->first_ns;
}

uint64_t graph_edge_last_ns(const struct graph_edge *e)
{
	return e->last_ns;
}

size_t graph_edge_node_count(const struct graph_edge *e)
{
	return e->n_counts;
}

const char *graph_edge_node_name(const struct graph_edge *e, size_t i)
{
	return i < e->n_counts ? e->counts[i].agent->name : NULL;
}

uint64_t graph_edge_node_connections(const struct graph_edge *e, size_t i)
{
	return i < e->n_counts ? e->counts[i].connections : 0;
}

/* The counter called name, added in its sorted place when missing. */
static struct graph_counter *graph_counter_get(struct graph *g, const char *name)
{
	size_t i;

	for (i = 0; i < g->n_counters; i++) {
		int c = strcmp(g->counters[i].name, name);

		if (c == 0)
			return &g->counters[i];
		if (c > 0)
			break;
	}
	g->counters = util_reallocarray(g->counters, g->n_counters + 1, sizeof(*g->counters));
	memmove(&g->counters[i + 1], &g->counters[i], (g->n_counters - i) * sizeof(*g->counters));
	g->counters[i] = (struct graph_counter){.name = util_strdup(name)};
	g->n_counters++;
	return &g->counters[i];
}

/* The counter's value for agent, added at zero in its sorted place when missing. */
static struct counter_value *counter_value_of(struct graph_counter *c,
					      const struct graph_agent *agent)
{
	bool found;
	size_t lo = agent_search(c->values, c->n_values, sizeof(*c->values), agent, &found);

	if (found)
		return &c->values[lo];
	c->values = util_reallocarray(c->values, c->n_values + 1, sizeof(*c->values));
	memmove(&c->values[lo + 1], &c->values[lo], (c->n_values - lo) * sizeof(*c->values));
	c->values[lo] = (struct counter_value){agent, 0};
	c->n_values++;
	return &c->values[lo];
}

static bool counter_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static bool counter_char(char c)
{
	return counter_alnum(c) || c == '-' || c == '_' || c == '.';
}

bool graph_counter_name_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > GRAPH_COUNTER_NAME_MAX || !counter_alnum(s[0]) ||
	    !counter_alnum(s[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!counter_char(s[i]))
			return false;
	return true;
}

void graph_counter_name_build(char buf[static GRAPH_COUNTER_NAME_MAX + 1], const char *prefix,
			      const char *what)
{
	size_t len = GRAPH_COUNTER_NAME_MAX + 1;
	size_t n = (size_t)snprintf(buf, len, "%s.%s", prefix, what);

	for (size_t i = strlen(prefix) + 1; i < n && i < len; i++)
		if (!counter_char(buf[i]))
			buf[i] = '_';
	if (n > 0 && n < len && !counter_alnum(buf[n - 1]))
		buf[n - 1] = '0';
}

void graph_add_counter(struct graph *g, const char *name, uint64_t n)
{
	const struct graph_agent *agent = graph_current_agent(g);
	struct graph_counter *c = graph_counter_get(g, name);
	struct counter_value *v = counter_value_of(c, agent);

	v->value = sat_add(v->value, n);
	c->value = sat_add(c->value, n);
}

size_t graph_counter_count(const struct graph *g)
{
	return g->n_counters;
}

const char *graph_counter_name(const struct graph *g, size_t i)
{
	return i < g->n_counters ? g->counters[i].name : NULL;
}

uint64_t graph_counter_value(const struct graph *g, size_t i)
{
	return i < g->n_counters ? g->counters[i].value : 0;
}

int graph_counter_node_value(const struct graph *g, size_t counter, size_t node,
			     uint64_t *ret_value)
{
	const struct graph_counter *c;
	bool found;
	size_t i;

	if (counter >= g->n_counters || node >= g->n_agents)
		return -ENOENT;
	c = &g->counters[counter];
	i = agent_search(c->values, c->n_values, sizeof(*c->values), g->agents[node], &found);
	if (!found)
		return -ENOENT;
	*ret_value = c->values[i].value;
	return 0;
}

/* ---- Merging ------------------------------------------------------------------------------ */

static void graph_merge_attempts(struct graph *g, const struct graph *from);

/* What differs between two workloads with one id, or NULL when nothing but addresses does. */
static const char *workload_conflict(const struct graph_workload *a, const struct graph_workload *b)
{
	size_t n = graph_workload_label_count(a);

	if (graph_workload_kind(a) != graph_workload_kind(b))
		return "kind";
	if (strcmp(graph_workload_namespace(a), graph_workload_namespace(b)) != 0)
		return "namespace";
	if (strcmp(graph_workload_controller(a), graph_workload_controller(b)) != 0)
		return "controller";
	if (strcmp(graph_workload_name(a), graph_workload_name(b)) != 0)
		return "name";
	if (n != graph_workload_label_count(b))
		return "labels";
	for (size_t i = 0; i < n; i++)
		if (strcmp(graph_workload_label_key(a, i), graph_workload_label_key(b, i)) != 0 ||
		    strcmp(graph_workload_label_value(a, i), graph_workload_label_value(b, i)) != 0)
			return "labels";
	return NULL;
}

/* Whether a holds every address b holds; both lists are sorted by strcmp(). */
static bool workload_has_addresses(const struct graph_workload *a, const struct graph_workload *b)
{
	size_t j = 0, na = graph_workload_address_count(a);

	for (size_t i = 0; i < graph_workload_address_count(b); i++) {
		const char *addr = graph_workload_address(b, i);

		while (j < na && strcmp(graph_workload_address(a, j), addr) < 0)
			j++;
		if (j == na || strcmp(graph_workload_address(a, j), addr) != 0)
			return false;
	}
	return true;
}

/* The last time g saw n: the latest last-seen of the edges that touch it, 0 when none do. */
static uint64_t node_last_seen(const struct graph *g, const struct graph_node *n)
{
	uint64_t last = 0;

	for (const struct graph_edge *e = g->edges; e; e = e->hh.next)
		if ((e->key.client == n || e->key.server == n) && e->last_ns > last)
			last = e->last_ns;
	return last;
}

/* A total order on label sets (count, then keys and values in order). */
static int workload_labels_cmp(const struct graph_workload *a, const struct graph_workload *b)
{
	size_t na = graph_workload_label_count(a), nb = graph_workload_label_count(b);
	int c;

	if (na != nb)
		return na < nb ? -1 : 1;
	for (size_t i = 0; i < na; i++) {
		c = strcmp(graph_workload_label_key(a, i), graph_workload_label_key(b, i));
		if (!c)
			c = strcmp(graph_workload_label_value(a, i),
				   graph_workload_label_value(b, i));
		if (c)
			return c;
	}
	return 0;
}

/*
 * Two states describe workload n with different labels (a rollout changed them between an
 * agent's older and newer state): keep the labels of the state that saw it last, by its
 * edges, and on a tie the larger label set. That is a maximum, so merging stays associative,
 * commutative and idempotent: the merged state saw the workload last when the winner did.
 */
static bool merge_takes_labels(const struct graph *g, const struct graph_node *mine,
			       const struct graph *from, const struct graph_node *n)
{
	uint64_t a = node_last_seen(g, mine), b = node_last_seen(from, n);

	if (a != b)
		return b > a;
	return workload_labels_cmp(n->w, mine->w) > 0;
}

/* A new workload: a with b's addresses added. */
static struct graph_workload *workload_union(const struct graph_workload *a,
					     const struct graph_workload *b)
{
	struct graph_workload *w =
		graph_workload_new(graph_workload_kind(a), graph_workload_namespace(a),
				   graph_workload_controller(a), graph_workload_name(a));

	for (size_t i = 0; i < graph_workload_label_count(a); i++)
		graph_workload_set_label(w, graph_workload_label_key(a, i),
					 graph_workload_label_value(a, i));
	for (size_t i = 0; i < graph_workload_address_count(a); i++)
		graph_workload_add_address(w, graph_workload_address_prefix(a, i));
	for (size_t i = 0; i < graph_workload_address_count(b); i++)
		graph_workload_add_address(w, graph_workload_address_prefix(b, i));
	return w;
}

/*
 * e's counts and from's, both sorted by name, walked side by side into one sorted list: the
 * larger count of an agent both have, each other count as it is. Linear, so that merging two
 * states of a thousand nodes each costs a thousand steps per edge, not a million.
 */
static void edge_merge_counts(struct graph *g, struct graph_edge *e, const struct graph_edge *from)
{
	struct edge_count *v = util_reallocarray(NULL, e->n_counts + from->n_counts, sizeof(*v));
	size_t i = 0, j = 0, n = 0;

	while (i < e->n_counts || j < from->n_counts) {
		int c = i == e->n_counts ? 1
			: j == from->n_counts
				? -1
				: strcmp(e->counts[i].agent->name, from->counts[j].agent->name);

		if (c < 0) {
			v[n++] = e->counts[i++];
			continue;
		}
		if (c > 0) {
			v[n++] = (struct edge_count){
				graph_agent_get(g, from->counts[j].agent->name, false),
				from->counts[j].connections};
			j++;
			continue;
		}
		v[n] = e->counts[i++];
		if (from->counts[j].connections > v[n].connections)
			v[n].connections = from->counts[j].connections;
		n++;
		j++;
	}
	edge_set_counts(e, v, n);
}

int graph_merge(struct graph *g, const struct graph *from, struct util_err *err)
{
	struct graph_node *n, *ntmp;
	struct graph_edge *fe, *etmp;
	char show[80];

	/* Everything that can fail is checked before anything changes. */
	HASH_ITER (hh, from->nodes, n, ntmp) {
		struct graph_node *mine = graph_find_node(g, n->id);
		const char *what = mine ? workload_conflict(mine->w, n->w) : NULL;

		if (what && strcmp(what, "labels") != 0)
			return util_err_set(err, EEXIST, "workload \"%s\" has different %s",
					    util_show_printable(n->id, 72, show), what);
	}

	for (size_t i = 0; i < from->n_agents; i++)
		(void)graph_agent_get(g, from->agents[i]->name, true);
	for (size_t i = 0; i < from->n_windows; i++)
		graph_add_window(g, from->windows[i].from, from->windows[i].until);
	HASH_ITER (hh, from->nodes, n, ntmp) {
		struct graph_node *mine = graph_find_node(g, n->id);
		struct graph_workload *w;

		if (!mine) {
			(void)graph_add_workload(g, n->w); /* immutable: safe to share */
			continue;
		}
		if (workload_conflict(mine->w, n->w) && merge_takes_labels(g, mine, from, n)) {
			w = workload_union(n->w, mine->w);
			(void)graph_add_workload(g, w);
			graph_workload_unref(w);
			continue;
		}
		if (workload_has_addresses(mine->w, n->w))
			continue;
		w = workload_union(mine->w, n->w);
		(void)graph_add_workload(g, w);
		graph_workload_unref(w);
	}
	HASH_ITER (hh, from->nodes, n, ntmp)
		if (n->ran)
			node_ran(graph_find_node(g, n->id), n->run_first, n->run_last);
	/*
	 * One agent's counts only grow, so of two copies of its counts the larger is the later
	 * one: taking the maximum per agent counts nothing twice, whatever the order of merging.
	 */
	HASH_ITER (hh, from->edges, fe, etmp) {
		struct edge_key key;
		struct graph_edge *e;

		e = graph_edge_find(g, graph_find_node(g, fe->key.client->id),
				    graph_find_node(g, fe->key.server->id), fe->key.proto,
				    fe->key.port, &key);
		if (!e)
			e = graph_edge_new(g, &key, fe->first_ns, fe->last_ns);
		edge_merge_counts(g, e, fe);
		e->connections = 0;
		for (size_t i = 0; i < e->n_counts; i++)
			e->connections = sat_add(e->connections, e->counts[i].connections);
		if (fe->first_ns < e->first_ns)
			e->first_ns = fe->first_ns;
		if (fe->last_ns > e->last_ns)
			e->last_ns = fe->last_ns;
	}
	graph_merge_attempts(g, from);
	for (size_t i = 0; i < from->n_counters; i++) {
		const struct graph_counter *fc = &from->counters[i];
		struct graph_counter *c = graph_counter_get(g, fc->name);

		for (size_t j = 0; j < fc->n_values; j++) {
			struct counter_value *v = counter_value_of(
				c, graph_agent_get(g, fc->values[j].agent->name, false));

			if (fc->values[j].value > v->value)
				v->value = fc->values[j].value;
		}
		c->value = 0;
		for (size_t j = 0; j < c->n_values; j++)
			c->value = sat_add(c->value, c->values[j].value);
	}
	return 0;
}

/* ---- Attempts ----------------------------------------------------------------------------- */

static struct graph_attempt *attempt_find(const struct graph *g, const struct graph_node *client,
					  const struct graph_node *server, uint8_t proto,
					  struct attempt_key *ret_key)
{
	struct graph_attempt *a;

	memset(ret_key, 0, sizeof(*ret_key));
	ret_key->client = client;
	ret_key->server = server;
	ret_key->proto = proto;
	HASH_FIND(hh, g->attempts, ret_key, sizeof(*ret_key), a);
	return a;
}

/* The attempt's count for agent, added at zero in its sorted place when missing. */
static struct attempt_count *attempt_count_of(struct graph_attempt *a,
					      const struct graph_agent *agent)
{
	bool found;
	size_t lo = agent_search(a->counts, a->n_counts, sizeof(*a->counts), agent, &found);

	if (found)
		return &a->counts[lo];
	a->counts = util_reallocarray(a->counts, a->n_counts + 1, sizeof(*a->counts));
	memmove(&a->counts[lo + 1], &a->counts[lo], (a->n_counts - lo) * sizeof(*a->counts));
	a->counts[lo] = (struct attempt_count){agent, 0, 0};
	a->n_counts++;
	return &a->counts[lo];
}

/* Keeps port among the lowest GRAPH_ATTEMPT_PORTS ports seen, sorted and unique. */
static void attempt_add_port(struct graph_attempt *a, uint16_t port)
{
	size_t i = 0;

	while (i < a->n_ports && a->ports[i] < port)
		i++;
	if ((i < a->n_ports && a->ports[i] == port) || i == GRAPH_ATTEMPT_PORTS)
		return;
	if (a->n_ports == GRAPH_ATTEMPT_PORTS)
		a->n_ports--;
	memmove(&a->ports[i + 1], &a->ports[i], (a->n_ports - i) * sizeof(a->ports[0]));
	a->ports[i] = port;
	a->n_ports++;
}

static void attempt_sum(struct graph_attempt *a)
{
	a->refused = a->unanswered = 0;
	for (size_t i = 0; i < a->n_counts; i++) {
		a->refused = sat_add(a->refused, a->counts[i].refused);
		a->unanswered = sat_add(a->unanswered, a->counts[i].unanswered);
	}
}

bool graph_attempts_full(const struct graph *g)
{
	return HASH_COUNT(g->attempts) >= GRAPH_MAX_ATTEMPTS;
}

/* The attempt client -> server over proto, made when new and there is room; else NULL. */
static struct graph_attempt *attempt_get(struct graph *g, const struct graph_node *c,
					 const struct graph_node *s, uint8_t proto,
					 uint64_t first_ns, uint64_t last_ns)
{
	struct attempt_key key;
	struct graph_attempt *a = attempt_find(g, c, s, proto, &key);

	if (a)
		return a;
	if (graph_attempts_full(g))
		return NULL;
	a = util_pool_zalloc(g->pool, sizeof(*a));
	a->key = key;
	a->first_ns = first_ns;
	a->last_ns = last_ns;
	HASH_ADD(hh, g->attempts, key, sizeof(a->key), a);
	g->views->attempts_dirty = true;
	return a;
}

bool graph_add_attempt(struct graph *g, const struct graph_workload *client,
		       const struct graph_workload *server, uint8_t proto, const uint16_t *ports,
		       size_t n_ports, uint64_t refused, uint64_t unanswered, uint64_t first_ns,
		       uint64_t last_ns)
{
	const struct graph_node *c = graph_node_of(g, client), *s = graph_node_of(g, server);
	struct graph_attempt *a;
	struct attempt_count *count;

	if (!c || !s)
		abort(); /* a caller bug: workloads are added before their attempts */
	a = attempt_get(g, c, s, proto, first_ns, last_ns);
	if (!a)
		return false;
	count = attempt_count_of(a, graph_current_agent(g));
	count->refused = sat_add(count->refused, refused);
	count->unanswered = sat_add(count->unanswered, unanswered);
	a->refused = sat_add(a->refused, refused);
	a->unanswered = sat_add(a->unanswered, unanswered);
	for (size_t i = 0; i < n_ports; i++)
		attempt_add_port(a, ports[i]);
	if (first_ns < a->first_ns)
		a->first_ns = first_ns;
	if (last_ns > a->last_ns)
		a->last_ns = last_ns;
	return true;
}

static int attempt_cmp(const void *pa, const void *pb)
{
	const struct graph_attempt *a = *(struct graph_attempt *const *)pa;
	const struct graph_attempt *b = *(struct graph_attempt *const *)pb;
	int c = strcmp(a->key.client->id, b->key.client->id);

	if (c)
		return c;
	c = strcmp(a->key.server->id, b->key.server->id);
	if (c)
		return c;
	return a->key.proto < b->key.proto ? -1 : a->key.proto > b->key.proto;
}

size_t graph_attempt_count(const struct graph *g)
{
	return HASH_COUNT(g->attempts);
}

/* A cache, as the other views (graph_sort_edges()). */
static void graph_sort_attempts(const struct graph *g)
{
	struct graph_views *v = g->views;
	struct graph_attempt *a, *tmp;
	size_t i = 0;

	if (!v->attempts_dirty)
		return;
	v->attempt_view = util_reallocarray(v->attempt_view, HASH_COUNT(g->attempts),
					    sizeof(*v->attempt_view));
	HASH_ITER (hh, g->attempts, a, tmp)
		v->attempt_view[i++] = a;
	qsort(v->attempt_view, i, sizeof(*v->attempt_view), attempt_cmp);
	v->attempts_dirty = false;
}

const struct graph_attempt *graph_attempt(const struct graph *g, size_t i)
{
	if (i >= HASH_COUNT(g->attempts))
		return NULL;
	graph_sort_attempts(g);
	return g->views->attempt_view[i];
}

const struct graph_workload *graph_attempt_client(const struct graph_attempt *a)
{
	return a->key.client->w;
}

const struct graph_workload *graph_attempt_server(const struct graph_attempt *a)
{
	return a->key.server->w;
}

uint8_t graph_attempt_proto(const struct graph_attempt *a)
{
	return a->key.proto;
}

uint64_t graph_attempt_refused(const struct graph_attempt *a)
{
	return a->refused;
}

uint64_t graph_attempt_unanswered(const struct graph_attempt *a)
{
	return a->unanswered;
}

uint64_t graph_attempt_first_ns(const struct graph_attempt *a)
{
	return a->first_ns;
}

uint64_t graph_attempt_last_ns(const struct graph_attempt *a)
{
	return a->last_ns;
}

size_t graph_attempt_port_count(const struct graph_attempt *a)
{
	return a->n_ports;
}

uint16_t graph_attempt_port(const struct graph_attempt *a, size_t i)
{
	return i < a->n_ports ? a->ports[i] : 0;
}

size_t graph_attempt_node_count(const struct graph_attempt *a)
{
	return a->n_counts;
}

const char *graph_attempt_node_name(const struct graph_attempt *a, size_t i)
{
	return i < a->n_counts ? a->counts[i].agent->name : NULL;
}

void graph_attempt_node_counts(const struct graph_attempt *a, size_t i, uint64_t *ret_refused,
			       uint64_t *ret_unanswered)
{
	*ret_refused = i < a->n_counts ? a->counts[i].refused : 0;
	*ret_unanswered = i < a->n_counts ? a->counts[i].unanswered : 0;
}

/* Merging: per agent the larger of each count, the lowest ports of both, the wider span. */
static void graph_merge_attempts(struct graph *g, const struct graph *from)
{
	struct graph_attempt *fa, *tmp;

	HASH_ITER (hh, from->attempts, fa, tmp) {
		struct graph_attempt *a = attempt_get(g, graph_find_node(g, fa->key.client->id),
						      graph_find_node(g, fa->key.server->id),
						      fa->key.proto, fa->first_ns, fa->last_ns);

		if (!a) {
			graph_add_counter(g, "attempts-dropped",
					  sat_add(fa->refused, fa->unanswered));
			continue;
		}
		for (size_t i = 0; i < fa->n_counts; i++) {
			struct attempt_count *c = attempt_count_of(
				a, graph_agent_get(g, fa->counts[i].agent->name, false));

			if (fa->counts[i].refused > c->refused)
				c->refused = fa->counts[i].refused;
			if (fa->counts[i].unanswered > c->unanswered)
				c->unanswered = fa->counts[i].unanswered;
		}
		attempt_sum(a);
		for (size_t i = 0; i < fa->n_ports; i++)
			attempt_add_port(a, fa->ports[i]);
		if (fa->first_ns < a->first_ns)
			a->first_ns = fa->first_ns;
		if (fa->last_ns > a->last_ns)
			a->last_ns = fa->last_ns;
	}
}

bool graph_has_named(const struct graph *g)
{
	for (size_t i = 0; i < graph_workload_count(g); i++)
		if (graph_workload_kind(graph_workload(g, i)) != GRAPH_KIND_EXTERNAL)
			return true;
	return false;
}
