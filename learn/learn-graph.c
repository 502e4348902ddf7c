/* SPDX-License-Identifier: Apache-2.0 */
/* learn-graph.c - workloads and client -> server edges in hash tables, read through sorted views.
 */
#include "learn/learn.h"

#include <stdlib.h>
#include <string.h>
#include <uthash.h>

struct graph_node {
	char *id;		  /* the node's own copy: w may be replaced and freed */
	struct learn_workload *w; /* replaced when a newer inventory describes the same id */
	UT_hash_handle hh;	  /* keyed by id */
	/*
	 * Also keyed by the pointer w, which is what attribution holds for every flow: no string
	 * to hash. Safe because the node holds a reference, so w cannot be freed and reused.
	 */
	UT_hash_handle hh_ptr;
};

struct edge_key {
	const struct graph_node *client;
	const struct graph_node *server;
	uint16_t port;
	uint8_t proto;
	uint8_t pad; /* keys are hashed as bytes: the padding is zeroed and stays zero */
};

struct learn_edge {
	struct edge_key key;
	uint64_t connections;
	uint64_t first_ns, last_ns;
	UT_hash_handle hh;
};

struct graph_counter {
	char *name;
	uint64_t value;
};

struct learn_graph {
	struct graph_node *nodes;
	struct graph_node *nodes_by_ptr;
	struct learn_edge *edges;
	struct graph_counter *counters; /* sorted by name */
	size_t n_counters;
	/* sorted views, rebuilt on first indexed access after a change */
	struct graph_node **node_view;
	struct learn_edge **edge_view;
	bool nodes_dirty, edges_dirty;
};

/* Counts that run for days must not wrap back to small numbers: they stop at the maximum. */
static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

struct learn_graph *learn_graph_new(void)
{
	struct learn_graph *g = util_zalloc(sizeof(*g));

	g->nodes_dirty = g->edges_dirty = true;
	return g;
}

struct learn_graph *learn_graph_free(struct learn_graph *g)
{
	struct graph_node *n, *ntmp;
	struct learn_edge *e, *etmp;

	if (!g)
		return NULL;
	HASH_ITER (hh, g->edges, e, etmp) {
		HASH_DEL(g->edges, e);
		free(e);
	}
	HASH_CLEAR(hh_ptr, g->nodes_by_ptr);
	HASH_ITER (hh, g->nodes, n, ntmp) {
		HASH_DEL(g->nodes, n);
		learn_workload_unref(n->w);
		free(n->id);
		free(n);
	}
	for (size_t i = 0; i < g->n_counters; i++)
		free(g->counters[i].name);
	free(g->counters);
	free(g->node_view);
	free(g->edge_view);
	free(g);
	return NULL;
}

static struct graph_node *graph_find_node(const struct learn_graph *g, const char *id)
{
	struct graph_node *n;

	HASH_FIND_STR(g->nodes, id, n);
	return n;
}

static struct graph_node *graph_find_node_ptr(const struct learn_graph *g,
					      const struct learn_workload *w)
{
	struct graph_node *n;

	HASH_FIND(hh_ptr, g->nodes_by_ptr, &w, sizeof(w), n);
	return n;
}

const struct learn_workload *learn_graph_add_workload(struct learn_graph *g,
						      struct learn_workload *w)
{
	struct graph_node *n = graph_find_node_ptr(g, w);

	if (n)
		return n->w;
	n = graph_find_node(g, learn_workload_id(w));
	if (n) {
		HASH_DELETE(hh_ptr, g->nodes_by_ptr, n);
		learn_workload_ref(w);
		learn_workload_unref(n->w);
		n->w = w;
		HASH_ADD(hh_ptr, g->nodes_by_ptr, w, sizeof(n->w), n);
		return n->w;
	}
	n = util_zalloc(sizeof(*n));
	n->id = util_strdup(learn_workload_id(w));
	n->w = learn_workload_ref(w);
	HASH_ADD_KEYPTR(hh, g->nodes, n->id, strlen(n->id), n);
	HASH_ADD(hh_ptr, g->nodes_by_ptr, w, sizeof(n->w), n);
	g->nodes_dirty = true;
	return n->w;
}

/* The graph's own node for w: by pointer when w is the graph's instance, else by id. */
static struct graph_node *graph_node_of(const struct learn_graph *g, const struct learn_workload *w)
{
	struct graph_node *n = graph_find_node_ptr(g, w);

	return n ? n : graph_find_node(g, learn_workload_id(w));
}

const struct learn_workload *learn_graph_find_workload(const struct learn_graph *g, const char *id)
{
	struct graph_node *n = graph_find_node(g, id);

	return n ? n->w : NULL;
}

void learn_graph_add_edge(struct learn_graph *g, const struct learn_workload *client,
			  const struct learn_workload *server, uint8_t proto, uint16_t port,
			  uint64_t connections, uint64_t first_ns, uint64_t last_ns)
{
	struct edge_key key;
	struct learn_edge *e;

	memset(&key, 0, sizeof(key));
	key.client = graph_node_of(g, client);
	key.server = graph_node_of(g, server);
	key.proto = proto;
	key.port = port;
	if (!key.client || !key.server)
		abort(); /* a caller bug: workloads are added before their edges */

	HASH_FIND(hh, g->edges, &key, sizeof(key), e);
	if (!e) {
		e = util_zalloc(sizeof(*e));
		e->key = key;
		e->first_ns = first_ns;
		e->last_ns = last_ns;
		HASH_ADD(hh, g->edges, key, sizeof(key), e);
		g->edges_dirty = true;
	}
	e->connections = sat_add(e->connections, connections);
	if (first_ns < e->first_ns)
		e->first_ns = first_ns;
	if (last_ns > e->last_ns)
		e->last_ns = last_ns;
}

static int node_cmp(const void *a, const void *b)
{
	const struct graph_node *na = *(struct graph_node *const *)a;
	const struct graph_node *nb = *(struct graph_node *const *)b;

	return strcmp(learn_workload_id(na->w), learn_workload_id(nb->w));
}

static int edge_cmp(const void *a, const void *b)
{
	const struct learn_edge *ea = *(struct learn_edge *const *)a;
	const struct learn_edge *eb = *(struct learn_edge *const *)b;
	int c;

	c = strcmp(learn_workload_id(ea->key.client->w), learn_workload_id(eb->key.client->w));
	if (c)
		return c;
	c = strcmp(learn_workload_id(ea->key.server->w), learn_workload_id(eb->key.server->w));
	if (c)
		return c;
	if (ea->key.proto != eb->key.proto)
		return ea->key.proto < eb->key.proto ? -1 : 1;
	if (ea->key.port != eb->key.port)
		return ea->key.port < eb->key.port ? -1 : 1;
	return 0;
}

/* The views are caches; building them does not change what the graph holds. */
static void graph_sort_nodes(const struct learn_graph *cg)
{
	struct learn_graph *g = (struct learn_graph *)cg;
	struct graph_node *n, *tmp;
	size_t i = 0;

	if (!g->nodes_dirty)
		return;
	g->node_view = util_reallocarray(g->node_view, HASH_COUNT(g->nodes), sizeof(*g->node_view));
	HASH_ITER (hh, g->nodes, n, tmp)
		g->node_view[i++] = n;
	qsort(g->node_view, i, sizeof(*g->node_view), node_cmp);
	g->nodes_dirty = false;
}

static void graph_sort_edges(const struct learn_graph *cg)
{
	struct learn_graph *g = (struct learn_graph *)cg;
	struct learn_edge *e, *tmp;
	size_t i = 0;

	if (!g->edges_dirty)
		return;
	g->edge_view = util_reallocarray(g->edge_view, HASH_COUNT(g->edges), sizeof(*g->edge_view));
	HASH_ITER (hh, g->edges, e, tmp)
		g->edge_view[i++] = e;
	qsort(g->edge_view, i, sizeof(*g->edge_view), edge_cmp);
	g->edges_dirty = false;
}

size_t learn_graph_workload_count(const struct learn_graph *g)
{
	return HASH_COUNT(g->nodes);
}

const struct learn_workload *learn_graph_workload(const struct learn_graph *g, size_t i)
{
	if (i >= HASH_COUNT(g->nodes))
		return NULL;
	graph_sort_nodes(g);
	return g->node_view[i]->w;
}

size_t learn_graph_edge_count(const struct learn_graph *g)
{
	return HASH_COUNT(g->edges);
}

const struct learn_edge *learn_graph_edge(const struct learn_graph *g, size_t i)
{
	if (i >= HASH_COUNT(g->edges))
		return NULL;
	graph_sort_edges(g);
	return g->edge_view[i];
}

const struct learn_workload *learn_edge_client(const struct learn_edge *e)
{
	return e->key.client->w;
}

const struct learn_workload *learn_edge_server(const struct learn_edge *e)
{
	return e->key.server->w;
}

uint8_t learn_edge_proto(const struct learn_edge *e)
{
	return e->key.proto;
}

uint16_t learn_edge_port(const struct learn_edge *e)
{
	return e->key.port;
}

uint64_t learn_edge_connections(const struct learn_edge *e)
{
	return e->connections;
}

uint64_t learn_edge_first_ns(const struct learn_edge *e)
{
	return e->first_ns;
}

uint64_t learn_edge_last_ns(const struct learn_edge *e)
{
	return e->last_ns;
}

void learn_graph_add_counter(struct learn_graph *g, const char *name, uint64_t n)
{
	size_t i;

	for (i = 0; i < g->n_counters; i++) {
		int c = strcmp(g->counters[i].name, name);

		if (c == 0) {
			g->counters[i].value = sat_add(g->counters[i].value, n);
			return;
		}
		if (c > 0)
			break;
	}
	g->counters = util_reallocarray(g->counters, g->n_counters + 1, sizeof(*g->counters));
	memmove(&g->counters[i + 1], &g->counters[i], (g->n_counters - i) * sizeof(*g->counters));
	g->counters[i] = (struct graph_counter){util_strdup(name), n};
	g->n_counters++;
}

size_t learn_graph_counter_count(const struct learn_graph *g)
{
	return g->n_counters;
}

const char *learn_graph_counter_name(const struct learn_graph *g, size_t i)
{
	return i < g->n_counters ? g->counters[i].name : NULL;
}

uint64_t learn_graph_counter_value(const struct learn_graph *g, size_t i)
{
	return i < g->n_counters ? g->counters[i].value : 0;
}
