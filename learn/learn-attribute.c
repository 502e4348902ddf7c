/* SPDX-License-Identifier: Apache-2.0 */
/* learn-attribute.c - a captured flow, resolved through the inventory, becomes graph edges. */
#include "learn/learn.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "util/util-uthash.h"

static bool attr_v4_ignored(const uint8_t *b)
{
	static const uint8_t zero[4], bcast[4] = {255, 255, 255, 255};

	return b[0] == 127 ||		  /* loopback 127.0.0.0/8 */
	       memcmp(b, zero, 4) == 0 || /* unspecified */
	       (b[0] & 0xf0) == 0xe0 ||	  /* multicast 224.0.0.0/4 */
	       memcmp(b, bcast, 4) == 0;  /* limited broadcast */
}

/*
 * Addresses whose traffic is not between workloads: the host talking to itself, neighbour
 * discovery and other link-local chatter, group traffic, and addresses no peer can own.
 */
static bool attr_ignored(const struct util_addr *a)
{
	static const uint8_t zero[16], mapped[12] = {[10] = 0xff, [11] = 0xff};
	const uint8_t *b = a->bytes;

	if (a->family == AF_INET)
		return attr_v4_ignored(b);
	if (a->family != AF_INET6)
		return true;
	if (memcmp(b, zero, 15) == 0 && (b[15] == 0 || b[15] == 1)) /* :: and ::1 */
		return true;
	if (b[0] == 0xff) /* multicast ff00::/8 */
		return true;
	if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) /* link-local fe80::/10 */
		return true;
	if (memcmp(b, mapped, 12) == 0) /* ::ffff:a.b.c.d is the IPv4 address inside */
		return attr_v4_ignored(b + 12);
	return false;
}

/* ---- One connection, two flows ----------------------------------------------------------- */

/*
 * A capture point that sees both sides of a Service's DNAT (the client's packets to the
 * ClusterIP, the backend's replies from its own address) reports one connection as two flows:
 * same client address and port, same backend after resolution, different server addresses, begun
 * within a moment. The second is a repeat: its edges are touched but not counted again.
 */
#define RECENT_MAX   65536		     /* connections remembered; the oldest goes first */
#define RECENT_SLACK (2 * UTIL_NSEC_PER_SEC) /* the two flows begin this close together */

struct recent_key {
	struct util_addr client;
	uint8_t proto;
	uint8_t pad;
	uint16_t client_port;
	uint16_t port;			     /* the backend's */
	const struct graph_workload *server; /* the backend, as the inventory resolved it */
};

struct recent {
	struct recent_key key; /* hashed as bytes: built from a zeroed struct */
	struct util_addr to;   /* the address the flow was sent to */
	bool via_service;      /* to a Service's address (else straight to a backend) */
	uint64_t first_ns;
	size_t slot; /* in the ring */
	UT_hash_handle hh;
};

struct learn_recent {
	struct recent *table;
	struct recent *ring[RECENT_MAX]; /* insertion order, for eviction */
	size_t head, n;
};

/*
 * Most flows go where one before went: the same client address to the same server address and
 * port. Resolving a flow costs a handful of hash lookups that each miss the cache (the owner of
 * each address, the graph's node of each, the edge). A served flow that ended and went to one
 * edge, no Service involved, is remembered by those four: the next flow with the same four adds
 * to that edge without resolving. An entry holds only under the inventory and the graph it was
 * made with (inventory_generation(), graph_serial()), and only for addresses whose owner is the
 * same at any time (inventory_timeless()): so its edge is the one resolving would give.
 * Two entries a key can go to (a pair, two adjacent cache lines), of fixed size: a collision
 * costs a resolution, never memory or a wrong edge. Direct-mapped, the same memory missed
 * nearly twice as often on a node's mix. Its 13,324 edges in 16,384 pairs still left the flows
 * open at the end 6,900 misses to edges that had been remembered (a pair that three keys want);
 * 32,768 pairs leave 2,000.
 */
#define MEMO_SLOTS (1u << 16) /* 4 MiB, two blocks: 32,768 pairs */

struct memo_key {
	struct util_addr client, server;
	uint8_t proto;
	uint8_t pad; /* compared as bytes: built from a zeroed struct */
	uint16_t port;
};

struct memo {
	_Alignas(64) struct memo_key key;
	uint64_t epoch; /* learn_attr's when it was made; 0: never */
	struct graph_edge *edge;
};
_Static_assert(sizeof(struct memo) == 64, "an entry is one cache line");

/* What attribution keeps with an inventory (its attachment): each part made when first used. */
struct learn_attr {
	struct learn_recent *recent;
	struct memo *memo; /* MEMO_SLOTS of them */
	uint64_t epoch;	   /* of the entries that hold: moves when what they were made under does */
	uint64_t inv_generation, graph;
};

static void learn_attr_free(void *data)
{
	struct learn_attr *a = data;
	struct recent *e, *tmp;

	if (!a)
		return;
	if (a->recent) {
		HASH_ITER (hh, a->recent->table, e, tmp) {
			HASH_DEL(a->recent->table, e);
			free(e);
		}
		free(a->recent);
	}
	util_block_free(a->memo, MEMO_SLOTS * sizeof(*a->memo));
	free(a);
}

static struct learn_attr *learn_attr(struct inventory *inv)
{
	struct learn_attr *a = inventory_attachment(inv);

	if (!a) {
		a = util_zalloc(sizeof(*a));
		inventory_attach(inv, a, learn_attr_free);
	}
	return a;
}

static void recent_drop(struct learn_recent *r, struct recent *e)
{
	r->ring[e->slot] = NULL;
	HASH_DEL(r->table, e);
	free(e);
}

/*
 * Whether this edge of flow repeats one counted a moment ago: the other side of the same DNAT,
 * one flow to the Service's address and the other straight to its backend (two flows straight
 * to two replicas are two connections). If not, it is remembered.
 */
static bool recent_repeat(struct inventory *inv, const struct capture_flow *flow, bool via_service,
			  const struct graph_workload *server, uint16_t port)
{
	struct learn_attr *a;
	struct learn_recent *r;
	struct recent_key key;
	struct recent *e;

	if (!flow->client_port || !util_proto_has_ports(flow->proto))
		return false;
	a = learn_attr(inv);
	if (!a->recent)
		a->recent = util_zalloc(sizeof(*a->recent));
	r = a->recent;
	memset(&key, 0, sizeof(key));
	key.client = flow->client;
	key.proto = flow->proto;
	key.client_port = flow->client_port;
	key.port = port;
	key.server = server;
	HASH_FIND(hh, r->table, &key, sizeof(key), e);
	if (e) {
		uint64_t d = e->first_ns > flow->first_ns ? e->first_ns - flow->first_ns
							  : flow->first_ns - e->first_ns;

		if (d <= RECENT_SLACK && e->via_service != via_service &&
		    util_addr_compare(&e->to, &flow->server) != 0) {
			recent_drop(r, e); /* a connection has two sides, not three */
			return true;
		}
		recent_drop(r, e);
	}
	if (r->n == RECENT_MAX) {
		struct recent *old = r->ring[r->head];

		if (old)
			recent_drop(r, old);
		r->head = (r->head + 1) % RECENT_MAX;
		r->n--;
	}
	e = util_zalloc(sizeof(*e));
	e->key = key;
	e->to = flow->server;
	e->via_service = via_service;
	e->first_ns = flow->first_ns;
	e->slot = (r->head + r->n) % RECENT_MAX;
	r->ring[e->slot] = e;
	r->n++;
	/* the ring keeps its order; emptied slots at its head are passed over */
	while (r->n > 0 && !r->ring[r->head]) {
		r->head = (r->head + 1) % RECENT_MAX;
		r->n--;
	}
	HASH_ADD(hh, r->table, key, sizeof(e->key), e);
	return false;
}

/* ---- Edges -------------------------------------------------------------------------------- */

size_t learn_flow_edges(struct inventory *inv, const struct capture_flow *flow,
			learn_flow_edge_fn fn, void *userdata)
{
	return learn_flow_edges_ex(inv, flow, true, fn, userdata);
}

size_t learn_flow_edges_ex(struct inventory *inv, const struct capture_flow *flow, bool ended,
			   learn_flow_edge_fn fn, void *userdata)
{
	struct inventory_endpoint stack_eps[16], *eps = stack_eps;
	struct graph_workload *client;
	bool service, via_service;
	size_t n;

	if (attr_ignored(&flow->client) || attr_ignored(&flow->server))
		return 0;
	/* who owned each address when the flow began: a container's address may move later */
	client = inventory_resolve_client_at(inv, &flow->client, flow->first_ns);
	n = inventory_resolve_server_via(inv, &flow->server, flow->proto, flow->port,
					 flow->first_ns, eps, UTIL_ARRAY_SIZE(stack_eps), &service);
	if (n > UTIL_ARRAY_SIZE(stack_eps)) {
		/* a Service in front of many workloads */
		size_t max = n;

		eps = util_reallocarray(NULL, max, sizeof(*eps));
		n = inventory_resolve_server_at(inv, &flow->server, flow->proto, flow->port,
						flow->first_ns, eps, max);
		if (n > max)
			n = max;
	}
	/*
	 * Only the two sides a DNAT joins can be one connection seen twice: a flow to a Service's
	 * address, and one straight to what a Service leads to.
	 */
	via_service = ended && service;
	/* a workload talking to itself (replica to replica) is an edge like any other */
	for (size_t i = 0; i < n; i++) {
		bool dnat = via_service ||
			    (ended &&
			     inventory_is_backend(inv, eps[i].workload, flow->proto, eps[i].port));

		fn(client, eps[i].workload, flow->proto, eps[i].port,
		   dnat && recent_repeat(inv, flow, via_service, eps[i].workload, eps[i].port),
		   userdata);
	}
	if (eps != stack_eps)
		free(eps);
	return n;
}

struct attr_add_ctx {
	struct graph *g;
	const struct capture_flow *flow;
	uint64_t connections;
	size_t touched;
	bool dropped; /* an attempt of the flow found no room */
	/* the last edge added to, its server and port (the backend's) */
	struct graph_edge *edge;
	const struct graph_workload *server;
	uint16_t port;
};

/*
 * What the state can hold and a policy can name: a port for TCP, UDP and SCTP. The tracker
 * never reports port 0; this keeps any other way (a Service's target port) from adding what a
 * save would have to refuse.
 */
static bool attr_port_ok(uint8_t proto, uint16_t port)
{
	return port != 0 || !util_proto_has_ports(proto);
}

static void attr_add_edge(struct graph_workload *client, struct graph_workload *server,
			  uint8_t proto, uint16_t port, bool repeat, void *userdata)
{
	struct attr_add_ctx *c = userdata;

	if (!attr_port_ok(proto, port))
		return;
	c->edge =
		graph_add_flow_edge(c->g, client, server, proto, port, repeat ? 0 : c->connections,
				    c->flow->first_ns, c->flow->last_ns);
	c->server = server;
	c->port = port;
	c->touched++;
}

static void attr_add_attempt(struct graph_workload *client, struct graph_workload *server,
			     uint8_t proto, uint16_t port, bool repeat, void *userdata)
{
	struct attr_add_ctx *c = userdata;
	bool refused = c->flow->outcome == CAPTURE_REFUSED;

	/* the other side of a Service's DNAT: this attempt was counted already */
	if (repeat || !attr_port_ok(proto, port))
		return;
	/*
	 * Full: a pair already kept still counts, but a flood of new pairs must not make
	 * workloads (one per forged source) only to drop them.
	 */
	if (graph_attempts_full(c->g) && (!graph_find_workload(c->g, graph_workload_id(client)) ||
					  !graph_find_workload(c->g, graph_workload_id(server)))) {
		c->dropped = true;
		return;
	}
	(void)graph_add_workload(c->g, client);
	(void)graph_add_workload(c->g, server);
	if (!graph_add_attempt(c->g, client, server, proto, &port,
			       util_proto_has_ports(proto) ? 1 : 0, refused, !refused,
			       c->flow->first_ns, c->flow->last_ns))
		c->dropped = true;
}

/* The memo, its entries from before emptied when the inventory or the graph is not theirs. */
static struct learn_attr *memo_for(struct graph *g, struct inventory *inv)
{
	struct learn_attr *a = learn_attr(inv);

	if (!a->memo)
		a->memo = util_block_new(MEMO_SLOTS * sizeof(*a->memo));
	if (a->epoch == 0 || a->inv_generation != inventory_generation(inv) ||
	    a->graph != graph_serial(g)) {
		a->epoch++;
		a->inv_generation = inventory_generation(inv);
		a->graph = graph_serial(g);
	}
	return a;
}

/* The first of the two entries of a's memo where flow's would be, and its key. */
static struct memo *memo_slot(const struct learn_attr *a, const struct capture_flow *flow,
			      struct memo_key *key)
{
	memset(key, 0, sizeof(*key));
	key->client = flow->client;
	key->server = flow->server;
	key->proto = flow->proto;
	key->port = flow->port;
	return &a->memo[util_hash(key, sizeof(*key)) & (MEMO_SLOTS - 2)];
}

/* The entry of the pair at m that holds key, if one does. */
static const struct memo *memo_hit(const struct learn_attr *a, const struct memo *m,
				   const struct memo_key *key)
{
	for (int i = 0; i < 2; i++)
		if (m[i].epoch == a->epoch && memcmp(&m[i].key, key, sizeof(*key)) == 0)
			return &m[i];
	return NULL;
}

/* Into the pair at m: where an entry no longer holds, else first, the other one moved on. */
static void memo_put(const struct learn_attr *a, struct memo *m, const struct memo_key *key,
		     struct graph_edge *e)
{
	if (m[0].epoch == a->epoch && m[1].epoch != a->epoch)
		m++;
	else if (m[0].epoch == a->epoch)
		m[1] = m[0];
	*m = (struct memo){.key = *key, .epoch = a->epoch, .edge = e};
}

/* The edges of a served flow that ended: through the memo, else resolved (and remembered). */
static size_t attr_add_ended(struct graph *g, struct inventory *inv,
			     const struct capture_flow *flow, uint64_t connections)
{
	struct attr_add_ctx c = {.g = g, .flow = flow, .connections = connections};
	struct learn_attr *a = memo_for(g, inv);
	struct memo_key key;
	struct memo *m = memo_slot(a, flow, &key);
	const struct memo *h = memo_hit(a, m, &key);

	if (h) {
		graph_edge_add_flow(g, h->edge, connections, flow->first_ns, flow->last_ns);
		return 1;
	}
	(void)learn_flow_edges_ex(inv, flow, true, attr_add_edge, &c);
	/* not through a Service, nor to its backend: two such flows may be one connection */
	if (c.touched == 1 && c.edge && !inventory_is_backend(inv, c.server, flow->proto, c.port) &&
	    inventory_timeless(inv, &flow->client, &flow->server, flow->proto, flow->port))
		memo_put(a, m, &key, c.edge);
	return c.touched;
}

/*
 * The edges of one flow, each counted with connections (0 for a flow still open); or, for a
 * flow that ended unserved, its attempts. An open flow not served (yet) adds nothing.
 */
static size_t attr_add(struct graph *g, struct inventory *inv, const struct capture_flow *flow,
		       uint64_t connections)
{
	struct attr_add_ctx c = {.g = g, .flow = flow, .connections = connections};

	if (flow->outcome == CAPTURE_SERVED && connections > 0)
		return attr_add_ended(g, inv, flow, connections);
	if (flow->outcome == CAPTURE_SERVED) {
		(void)learn_flow_edges_ex(inv, flow, false, attr_add_edge, &c);
		return c.touched;
	}
	if (connections == 0)
		return 0;
	(void)learn_flow_edges_ex(inv, flow, true, attr_add_attempt, &c);
	/* once per flow, however many backends it resolved to */
	if (c.dropped)
		graph_add_counter(g, "attempts-dropped", 1);
	return 0;
}

size_t learn_add_flow(struct graph *g, struct inventory *inv, const struct capture_flow *flow)
{
	return attr_add(g, inv, flow, 1);
}

/*
 * Flows in groups of LEARN_AHEAD: the memo entries of the group's served flows are fetched, then
 * the edges of those that hold, then both ends of each edge, and only then is the first flow
 * added. Each stage reads what the one before fetched, so every flow's misses overlap the
 * group's others instead of following each other. An entry is followed only when it holds:
 * memo_for() has just moved the epoch past every entry made under another graph (graph_serial()
 * is never reused) or inventory, and a graph frees its edges and nodes only with itself. So
 * every edge and end read is one of g's.
 */
#define LEARN_AHEAD 16

static void memo_prefetch(struct graph *g, struct inventory *inv, const struct capture_flow *f,
			  size_t k)
{
	const struct learn_attr *a = memo_for(g, inv);
	const struct memo *hit[LEARN_AHEAD];
	struct memo_key keys[LEARN_AHEAD];

	for (size_t i = 0; i < k; i++) {
		hit[i] = f[i].outcome == CAPTURE_SERVED ? memo_slot(a, &f[i], &keys[i]) : NULL;
		if (hit[i]) {
			__builtin_prefetch(hit[i]);
			__builtin_prefetch(hit[i] + 1);
		}
	}
	for (size_t i = 0; i < k; i++) {
		hit[i] = hit[i] ? memo_hit(a, hit[i], &keys[i]) : NULL;
		if (hit[i])
			graph_edge_prefetch(hit[i]->edge);
	}
	for (size_t i = 0; i < k; i++)
		if (hit[i])
			graph_edge_prefetch_ends(hit[i]->edge);
}

void learn_add_flows(struct graph *g, struct inventory *inv, const struct capture_flow *flows,
		     size_t n)
{
	for (size_t at = 0; at < n; at += LEARN_AHEAD) {
		size_t k = n - at < LEARN_AHEAD ? n - at : LEARN_AHEAD;
		const struct capture_flow *f = flows + at;
		bool served = false;

		for (size_t i = 0; i < k; i++)
			served |= f[i].outcome == CAPTURE_SERVED;
		if (served)
			memo_prefetch(g, inv, f, k);
		for (size_t i = 0; i < k; i++)
			(void)learn_add_flow(g, inv, &f[i]);
	}
}

size_t learn_note_flow(struct graph *g, struct inventory *inv, const struct capture_flow *flow)
{
	return attr_add(g, inv, flow, 0);
}
