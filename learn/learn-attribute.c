/* SPDX-License-Identifier: Apache-2.0 */
/* learn-attribute.c - a captured flow, resolved through the inventory, becomes graph edges. */
#include "learn/learn.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

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
static bool attr_ignored(const struct capture_addr *a)
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

size_t learn_flow_edges(struct learn_inventory *inv, const struct capture_flow *flow,
			learn_flow_edge_fn fn, void *userdata)
{
	struct learn_endpoint stack_eps[16], *eps = stack_eps;
	struct learn_workload *client;
	size_t n;

	if (attr_ignored(&flow->client) || attr_ignored(&flow->server))
		return 0;
	/* who owned each address when the flow began: a container's address may move later */
	client = learn_inventory_resolve_client_at(inv, &flow->client, flow->first_ns);
	n = learn_inventory_resolve_server_at(inv, &flow->server, flow->proto, flow->port,
					      flow->first_ns, eps, UTIL_ARRAY_SIZE(stack_eps));
	if (n > UTIL_ARRAY_SIZE(stack_eps)) {
		/* a Service in front of many workloads */
		size_t max = n;

		eps = util_reallocarray(NULL, max, sizeof(*eps));
		n = learn_inventory_resolve_server_at(inv, &flow->server, flow->proto, flow->port,
						      flow->first_ns, eps, max);
		if (n > max)
			n = max;
	}
	/* a workload talking to itself (replica to replica) is an edge like any other */
	for (size_t i = 0; i < n; i++)
		fn(client, eps[i].workload, flow->proto, eps[i].port, userdata);
	if (eps != stack_eps)
		free(eps);
	return n;
}

struct attr_add_ctx {
	struct learn_graph *g;
	const struct capture_flow *flow;
	uint64_t connections;
};

static void attr_add_edge(struct learn_workload *client, struct learn_workload *server,
			  uint8_t proto, uint16_t port, void *userdata)
{
	const struct attr_add_ctx *c = userdata;

	(void)learn_graph_add_workload(c->g, client);
	(void)learn_graph_add_workload(c->g, server);
	learn_graph_add_edge(c->g, client, server, proto, port, c->connections, c->flow->first_ns,
			     c->flow->last_ns);
}

/* The edges of one flow, each counted with connections (0 for a flow still open). */
static size_t attr_add(struct learn_graph *g, struct learn_inventory *inv,
		       const struct capture_flow *flow, uint64_t connections)
{
	struct attr_add_ctx c = {.g = g, .flow = flow, .connections = connections};

	return learn_flow_edges(inv, flow, attr_add_edge, &c);
}

size_t learn_graph_add_flow(struct learn_graph *g, struct learn_inventory *inv,
			    const struct capture_flow *flow)
{
	return attr_add(g, inv, flow, 1);
}

size_t learn_graph_note_flow(struct learn_graph *g, struct learn_inventory *inv,
			     const struct capture_flow *flow)
{
	return attr_add(g, inv, flow, 0);
}
