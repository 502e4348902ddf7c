/* SPDX-License-Identifier: Apache-2.0 */
/*
 * learn-check.c - flowlock check's comparison: each flow's edges, resolved as learn would record
 * them, looked up in a baseline graph; what the baseline does not allow is reported per flow.
 */
#include <stdlib.h>
#include <string.h>

#include "learn/learn.h"

#include "util/util-uthash.h"

/*
 * A flow reported while still open, by its tracker id, so that it is not reported again when it
 * ends, even if what it looked like changed in between (conntrack named its real server, or its
 * pcap and conntrack views became one).
 */
struct check_open {
	UT_hash_handle hh;
	uint64_t id;
	uint64_t round; /* the last round that saw it open */
};

struct learn_check {
	const struct graph *baseline;
	learn_check_fn fn;
	void *userdata;
	struct graph *found; /* the distinct edges not in the baseline */
	uint64_t flows_found;
	uint64_t attempts_found; /* flows refused or unanswered on edges not in the baseline */
	/* reading files: collected and reported sorted by learn_check_flush; live: as they happen
	 */
	bool collect;
	struct learn_violation *hits; /* each holds a reference to its workloads */
	size_t n_hits, cap_hits;
	/* the flow being checked */
	bool flow_found;  /* has an edge not in the baseline */
	bool flow_repeat; /* ... or is a connection already checked, seen on its other side */
	uint64_t flow_first_ns;
	enum capture_outcome flow_outcome;
	struct check_open *open; /* live: open flows already reported */
	uint64_t round;		 /* rounds of open flows so far */
};

struct learn_check *learn_check_new(const struct graph *baseline, bool collect, learn_check_fn fn,
				    void *userdata)
{
	struct learn_check *c = util_zalloc(sizeof(*c));

	c->baseline = baseline;
	c->collect = collect;
	c->fn = fn;
	c->userdata = userdata;
	c->found = graph_new();
	return c;
}

static void check_unref_hits(struct learn_check *c)
{
	for (size_t i = 0; i < c->n_hits; i++) {
		graph_workload_unref((struct graph_workload *)c->hits[i].client);
		graph_workload_unref((struct graph_workload *)c->hits[i].server);
	}
	c->n_hits = 0;
}

struct learn_check *learn_check_free(struct learn_check *c)
{
	struct check_open *o, *otmp;

	if (!c)
		return NULL;
	HASH_ITER (hh, c->open, o, otmp) {
		HASH_DEL(c->open, o);
		free(o);
	}
	graph_free(c->found);
	check_unref_hits(c);
	free(c->hits);
	free(c);
	return NULL;
}

static void check_on_edge(struct graph_workload *client, struct graph_workload *server,
			  uint8_t proto, uint16_t port, bool repeat, void *userdata)
{
	struct learn_check *c = userdata;
	struct learn_violation v = {c->flow_first_ns, client, server, proto, port, c->flow_outcome};

	/* the other side of a Service's DNAT: this connection was checked already */
	if (repeat) {
		c->flow_repeat = true;
		return;
	}
	if (graph_find_edge(c->baseline, graph_workload_id(client), graph_workload_id(server),
			    proto, port))
		return;
	c->flow_found = true;
	/* an attempt is reported, but is no edge: learn would not add it */
	if (c->flow_outcome == CAPTURE_SERVED) {
		(void)graph_add_workload(c->found, client);
		(void)graph_add_workload(c->found, server);
		graph_add_edge(c->found, client, server, proto, port, 1, c->flow_first_ns,
			       c->flow_first_ns);
	}
	if (!c->collect) {
		c->fn(c->userdata, &v);
		return;
	}
	if (c->n_hits == c->cap_hits) {
		c->cap_hits = c->cap_hits ? c->cap_hits * 2 : 64;
		c->hits = util_reallocarray(c->hits, c->cap_hits, sizeof(*c->hits));
	}
	/* the inventory may drop a workload later (a reload): the report keeps its own */
	v.client = graph_workload_ref(client);
	v.server = graph_workload_ref(server);
	c->hits[c->n_hits++] = v;
}

void learn_check_flow(struct learn_check *c, struct inventory *inv, const struct capture_flow *flow,
		      bool open)
{
	struct check_open *o;

	HASH_FIND(hh, c->open, &flow->id, sizeof(flow->id), o);
	if (o) {
		if (open) {
			o->round = c->round;
		} else {
			HASH_DEL(c->open, o);
			free(o);
		}
		return;
	}
	if (flow->outcome != CAPTURE_SERVED && open)
		return;
	c->flow_found = c->flow_repeat = false;
	c->flow_first_ns = flow->first_ns;
	c->flow_outcome = flow->outcome;
	(void)learn_flow_edges(inv, flow, check_on_edge, c);
	if (c->flow_outcome == CAPTURE_SERVED)
		c->flows_found += c->flow_found;
	else
		c->attempts_found += c->flow_found;
	/* a repeat is remembered too: a second later it would no longer look like one */
	if (open && (c->flow_found || c->flow_repeat)) {
		o = util_zalloc(sizeof(*o));
		o->id = flow->id;
		o->round = c->round;
		HASH_ADD(hh, c->open, id, sizeof(o->id), o);
	}
}

void learn_check_round_begin(struct learn_check *c)
{
	c->round++;
}

void learn_check_round_end(struct learn_check *c)
{
	struct check_open *o, *tmp;

	HASH_ITER (hh, c->open, o, tmp) {
		if (o->round != c->round) {
			HASH_DEL(c->open, o);
			free(o);
		}
	}
}

/* Collected reports by time, then by edge: the same capture gives the same bytes. */
static int check_hit_cmp(const void *pa, const void *pb)
{
	const struct learn_violation *a = pa, *b = pb;
	int c;

	if (a->time_ns != b->time_ns)
		return a->time_ns < b->time_ns ? -1 : 1;
	c = strcmp(graph_workload_id(a->client), graph_workload_id(b->client));
	if (c)
		return c;
	c = strcmp(graph_workload_id(a->server), graph_workload_id(b->server));
	if (c)
		return c;
	if (a->proto != b->proto)
		return a->proto < b->proto ? -1 : 1;
	if (a->port != b->port)
		return a->port < b->port ? -1 : 1;
	return (a->outcome > b->outcome) - (a->outcome < b->outcome);
}

void learn_check_flush(struct learn_check *c)
{
	if (c->n_hits > 1)
		qsort(c->hits, c->n_hits, sizeof(*c->hits), check_hit_cmp);
	for (size_t i = 0; i < c->n_hits; i++)
		c->fn(c->userdata, &c->hits[i]);
	check_unref_hits(c);
	c->collect = false;
}

void learn_check_get_counts(const struct learn_check *c, struct learn_check_counts *ret)
{
	*ret = (struct learn_check_counts){
		.flows_found = c->flows_found,
		.attempts_found = c->attempts_found,
		.edges_found = graph_edge_count(c->found),
	};
}
