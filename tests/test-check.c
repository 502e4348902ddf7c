/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test-check.c - flowlock check's comparison: learn_flow_edges() (a flow's edges without a graph,
 * exactly as learn records them), and learn_check (those edges against a baseline: what is
 * reported, when, how often, in which order, and what is counted).
 */
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "learn/learn.h"
#include "tests/test-helpers.h"

#define T0  1795356005000000000ull /* 2026-11-22T14:00:05Z */
#define SEC UTIL_NSEC_PER_SEC

/*
 * A cluster small enough to read: two Deployments behind one Service (a named target port that
 * differs per pod), a StatefulSet with IPv4 and IPv6, a Service that selects nothing, a node.
 */
static const char inventory_yaml[] =
	"apiVersion: v1\n"
	"kind: List\n"
	"items:\n"
	"- apiVersion: v1\n"
	"  kind: Pod\n"
	"  metadata:\n"
	"    name: web-a-5c9b7f8d6-aaaaa\n"
	"    namespace: shop\n"
	"    labels: {app: web-a, tier: web, pod-template-hash: 5c9b7f8d6}\n"
	"    ownerReferences:\n"
	"    - {apiVersion: apps/v1, kind: ReplicaSet, name: web-a-5c9b7f8d6, controller: true}\n"
	"  spec:\n"
	"    nodeName: worker-1\n"
	"    containers:\n"
	"    - name: web\n"
	"      ports: [{containerPort: 8080, name: http, protocol: TCP}]\n"
	"  status:\n"
	"    podIP: 10.244.1.10\n"
	"    podIPs: [{ip: 10.244.1.10}]\n"
	"- apiVersion: v1\n"
	"  kind: Pod\n"
	"  metadata:\n"
	"    name: web-a-5c9b7f8d6-bbbbb\n"
	"    namespace: shop\n"
	"    labels: {app: web-a, tier: web, pod-template-hash: 5c9b7f8d6}\n"
	"    ownerReferences:\n"
	"    - {apiVersion: apps/v1, kind: ReplicaSet, name: web-a-5c9b7f8d6, controller: true}\n"
	"  spec:\n"
	"    nodeName: worker-1\n"
	"    containers:\n"
	"    - name: web\n"
	"      ports: [{containerPort: 8080, name: http, protocol: TCP}]\n"
	"  status:\n"
	"    podIP: 10.244.1.12\n"
	"    podIPs: [{ip: 10.244.1.12}]\n"
	"- apiVersion: v1\n"
	"  kind: Pod\n"
	"  metadata:\n"
	"    name: web-b-7d4b9c6f5d-ccccc\n"
	"    namespace: shop\n"
	"    labels: {app: web-b, tier: web, pod-template-hash: 7d4b9c6f5d}\n"
	"    ownerReferences:\n"
	"    - {apiVersion: apps/v1, kind: ReplicaSet, name: web-b-7d4b9c6f5d, controller: true}\n"
	"  spec:\n"
	"    nodeName: worker-1\n"
	"    containers:\n"
	"    - name: web\n"
	"      ports: [{containerPort: 8081, name: http, protocol: TCP}]\n"
	"  status:\n"
	"    podIP: 10.244.1.11\n"
	"    podIPs: [{ip: 10.244.1.11}]\n"
	"- apiVersion: v1\n"
	"  kind: Pod\n"
	"  metadata:\n"
	"    name: db-0\n"
	"    namespace: shop\n"
	"    labels: {app: db}\n"
	"    ownerReferences:\n"
	"    - {apiVersion: apps/v1, kind: StatefulSet, name: db, controller: true}\n"
	"  spec:\n"
	"    nodeName: worker-1\n"
	"    containers:\n"
	"    - name: db\n"
	"      ports: [{containerPort: 5432, protocol: TCP}]\n"
	"  status:\n"
	"    podIP: 10.244.1.20\n"
	"    podIPs: [{ip: 10.244.1.20}, {ip: 'fd00::20'}]\n"
	"- apiVersion: v1\n"
	"  kind: Service\n"
	"  metadata: {name: web, namespace: shop}\n"
	"  spec:\n"
	"    clusterIP: 10.96.0.50\n"
	"    clusterIPs: [10.96.0.50]\n"
	"    ports: [{name: http, port: 80, protocol: TCP, targetPort: http}]\n"
	"    selector: {tier: web}\n"
	"- apiVersion: v1\n"
	"  kind: Service\n"
	"  metadata: {name: nobody, namespace: shop}\n"
	"  spec:\n"
	"    clusterIP: 10.96.0.60\n"
	"    clusterIPs: [10.96.0.60]\n"
	"    ports: [{port: 80, protocol: TCP, targetPort: 80}]\n"
	"    selector: {app: nothing-has-this}\n"
	"- apiVersion: v1\n"
	"  kind: Node\n"
	"  metadata: {name: worker-1}\n"
	"  status:\n"
	"    addresses: [{address: 172.18.0.3, type: InternalIP}]\n";

#define WEB_A "k8s:shop/deployment/web-a"
#define WEB_B "k8s:shop/deployment/web-b"
#define DB    "k8s:shop/statefulset/db"

#define TCP  IPPROTO_TCP
#define UDP  IPPROTO_UDP
#define ICMP IPPROTO_ICMP

/* One flow and the edges it must give, in the order learn_flow_edges() reports them. */
#define FLOW(...) FLOW_AGG(0, 0, __VA_ARGS__)
/* The same with external peers aggregated to /p4 and /p6 (0: the defaults). */
#define FLOW_AGG(p4, p6, w, c, s, pr, po, at, ...)                                                 \
	{                                                                                          \
		.what = w, .client = c, .server = s, .proto = pr, .port = po, .at_s = at,          \
		.edges = {__VA_ARGS__}, .prefix4 = p4, .prefix6 = p6                               \
	}

static const struct flow_case {
	const char *what;
	const char *client, *server;
	uint8_t proto;
	uint16_t port;
	uint64_t at_s;		   /* the flow began T0 + at_s */
	const char *edges[3];	   /* "CLIENT SERVER PROTO PORT" in the order reported */
	unsigned prefix4, prefix6; /* external aggregation; 0: the defaults */
} flow_cases[] = {
	FLOW("pod to pod", "10.244.1.10", "10.244.1.20", TCP, 5432, 1, WEB_A " " DB " 6 5432"),
	FLOW("IPv6 pod to pod", "fd00::20", "fd00::20", TCP, 5432, 1, DB " " DB " 6 5432"),
	FLOW("replica to replica", "10.244.1.12", "10.244.1.10", TCP, 8080, 1,
	     WEB_A " " WEB_A " 6 8080"),
	FLOW("a Service in front of two workloads", "10.244.1.20", "10.96.0.50", TCP, 80, 1,
	     DB " " WEB_A " 6 8080", DB " " WEB_B " 6 8081"),
	/* ClusterIPs are the cluster's: where no backend takes them, no policy can name them */
	FLOW("a Service port that is not served", "10.244.1.20", "10.96.0.50", TCP, 81, 1,
	     DB " unknown:10.96.0.48/28 6 81"),
	FLOW("a Service without backends", "10.244.1.10", "10.96.0.60", TCP, 80, 1,
	     WEB_A " unknown:10.96.0.48/28 6 80"),
	FLOW("an outside client", "198.51.100.7", "10.244.1.11", TCP, 8081, 1,
	     "external:198.51.100.7/32 " WEB_B " 6 8081"),
	FLOW_AGG(24, 64, "an outside client, aggregated", "198.51.100.7", "10.244.1.11", TCP, 8081,
		 1, "external:198.51.100.0/24 " WEB_B " 6 8081"),
	FLOW_AGG(32, 32, "an outside IPv6 server, aggregated", "fd00::20", "2001:db8:1:2::99", TCP,
		 443, 1, DB " external:2001:db8::/32 6 443"),
	FLOW("the node", "172.18.0.3", "10.244.1.20", TCP, 5432, 1, "node:worker-1 " DB " 6 5432"),
	FLOW("ICMP echo", "10.244.1.10", "203.0.113.10", ICMP, 0, 1,
	     WEB_A " external:203.0.113.10/32 1 0"),
	FLOW("UDP", "10.244.1.10", "10.244.1.20", UDP, 53, 1, WEB_A " " DB " 17 53"),
	/* a container's address belongs to whoever held it when the flow began */
	FLOW("a container, before its address moved", "172.20.0.2", "10.244.1.20", TCP, 5432, 5,
	     "docker:old " DB " 6 5432"),
	FLOW("another container, after the address moved", "172.20.0.2", "10.244.1.20", TCP, 5432,
	     25, "docker:shop/new " DB " 6 5432"),
	/* after "old" left: a flow reported late is still its own */
	FLOW("between the two", "172.20.0.2", "10.244.1.20", TCP, 5432, 15,
	     "docker:old " DB " 6 5432"),
	/* clocks differ: a flow just before a claim began is the claimer's */
	FLOW("just before the new one started", "172.20.0.2", "10.244.1.20", TCP, 5432, 19,
	     "docker:shop/new " DB " 6 5432"),
	/* traffic that is not between workloads teaches nothing */
	FLOW("loopback", "127.0.0.1", "127.0.0.1", TCP, 8080, 1, NULL),
	FLOW("to loopback", "10.244.1.10", "127.0.0.53", UDP, 53, 1, NULL),
	FLOW("multicast", "10.244.1.10", "224.0.0.251", UDP, 5353, 1, NULL),
	FLOW("broadcast", "10.244.1.10", "255.255.255.255", UDP, 67, 1, NULL),
	FLOW("unspecified", "0.0.0.0", "10.244.1.20", UDP, 67, 1, NULL),
	FLOW("IPv6 loopback", "::1", "::1", TCP, 80, 1, NULL),
	FLOW("IPv6 link-local", "fe80::1", "fd00::20", TCP, 5432, 1, NULL),
	FLOW("IPv6 multicast", "fd00::20", "ff02::fb", UDP, 5353, 1, NULL),
	FLOW("IPv4-mapped loopback", "::ffff:127.0.0.1", "fd00::20", TCP, 5432, 1, NULL),
};

/* Loads inventory_yaml into inv, through a file as learn reads it. */
static void check_inventory_load(struct inventory *inv)
{
	char path[] = "/tmp/test-check-XXXXXX";
	struct util_err err = {{0}};

	test_write_temp(path, inventory_yaml, sizeof(inventory_yaml) - 1);
	ck_assert_msg(inventory_load(inv, path, &err) == 0, "%s", err.msg);
	unlink(path);
}

static struct inventory *case_inventory(const struct flow_case *tc)
{
	struct inventory *inv = inventory_new();
	struct util_err err = {{0}};
	struct util_addr addr;
	struct inventory_container old = {.id = "c-old", .name = "old"};
	struct inventory_container fresh = {
		.id = "c-new", .name = "new-1", .project = "shop", .service = "new"};

	check_inventory_load(inv);
	if (tc->prefix4)
		ck_assert_int_eq(inventory_set_external_prefix(inv, tc->prefix4, tc->prefix6), 0);

	/* 172.20.0.2 is "old" from T0 to T0+10s, nobody's until T0+20s, then "new"'s */
	ck_assert_int_eq(util_addr_parse("172.20.0.2", &addr), 0);
	old.addrs = fresh.addrs = &addr;
	old.n_addrs = fresh.n_addrs = 1;
	ck_assert_msg(inventory_set_container(inv, &old, T0, &err) == 0, "%s", err.msg);
	inventory_remove_container(inv, "c-old", T0 + 10 * SEC);
	ck_assert_msg(inventory_set_container(inv, &fresh, T0 + 20 * SEC, &err) == 0, "%s",
		      err.msg);
	return inv;
}

static struct capture_flow flow_of(const struct flow_case *tc)
{
	struct capture_flow flow = {
		.proto = tc->proto,
		.port = tc->port,
		.first_ns = T0 + tc->at_s * SEC,
		.last_ns = T0 + tc->at_s * SEC + 3,
		.packets = 4,
	};

	ck_assert_int_eq(util_addr_parse(tc->client, &flow.client), 0);
	ck_assert_int_eq(util_addr_parse(tc->server, &flow.server), 0);
	return flow;
}

struct seen {
	char *edge[8];
	size_t n;
	size_t repeats;
	const void *cookie;
};

static const int cookie;

static void on_edge(struct graph_workload *client, struct graph_workload *server, uint8_t proto,
		    uint16_t port, bool repeat, void *userdata)
{
	struct seen *s = userdata;

	ck_assert_ptr_eq(s->cookie, &cookie);
	s->repeats += repeat;
	ck_assert_uint_lt(s->n, UTIL_ARRAY_SIZE(s->edge));
	ck_assert_int_ge(asprintf(&s->edge[s->n++], "%s %s %u %u", graph_workload_id(client),
				  graph_workload_id(server), (unsigned)proto, (unsigned)port),
			 0);
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

START_TEST(test_flow_edges)
{
	const struct flow_case *tc = &flow_cases[_i];
	struct inventory *inv = case_inventory(tc);
	struct capture_flow flow = flow_of(tc);
	struct seen s = {.cookie = &cookie};
	size_t want = 0, n;

	while (want < UTIL_ARRAY_SIZE(tc->edges) && tc->edges[want])
		want++;
	n = learn_flow_edges(inv, &flow, on_edge, &s);
	ck_assert_msg(n == want && s.n == want, "%s: %zu edges returned, %zu reported, %zu wanted",
		      tc->what, n, s.n, want);
	for (size_t i = 0; i < want; i++)
		ck_assert_msg(strcmp(s.edge[i], tc->edges[i]) == 0,
			      "%s: edge %zu is \"%s\", not \"%s\"", tc->what, i, s.edge[i],
			      tc->edges[i]);

	/*
	 * One code path: learn records exactly these edges, each with both of its workloads, and
	 * a flow still open (a checkpoint) touches the same ones.
	 */
	for (size_t open = 0; open < 2; open++) {
		struct graph *g = graph_new();
		char *sorted[8];

		n = open ? learn_note_flow(g, inv, &flow) : learn_add_flow(g, inv, &flow);
		ck_assert_uint_eq(n, want);
		ck_assert_uint_eq(graph_edge_count(g), want);
		memcpy(sorted, s.edge, want * sizeof(*sorted));
		qsort(sorted, want, sizeof(*sorted), str_cmp);
		for (size_t i = 0; i < want; i++) {
			const struct graph_edge *e = graph_edge(g, i);
			char *got = NULL;

			ck_assert_int_ge(asprintf(&got, "%s %s %u %u",
						  graph_workload_id(graph_edge_client(e)),
						  graph_workload_id(graph_edge_server(e)),
						  (unsigned)graph_edge_proto(e),
						  (unsigned)graph_edge_port(e)),
					 0);
			ck_assert_str_eq(got, sorted[i]);
			ck_assert_uint_eq(graph_edge_connections(e), open ? 0 : 1);
			ck_assert_uint_eq(graph_edge_first_ns(e), flow.first_ns);
			ck_assert_uint_eq(graph_edge_last_ns(e), flow.last_ns);
			ck_assert_ptr_nonnull(
				graph_find_workload(g, graph_workload_id(graph_edge_client(e))));
			free(got);
		}
		/* a flow that teaches nothing leaves no workload behind either */
		if (want == 0)
			ck_assert_uint_eq(graph_workload_count(g), 0);
		graph_free(g);
	}
	for (size_t i = 0; i < s.n; i++)
		free(s.edge[i]);
	inventory_free(inv);
}
END_TEST

/* The same flow twice gives the same edges: nothing in the inventory moved between the calls. */
START_TEST(test_flow_edges_repeat)
{
	const struct flow_case *tc = &flow_cases[_i];
	struct inventory *inv = case_inventory(tc);
	struct capture_flow flow = flow_of(tc);
	struct seen a = {.cookie = &cookie}, b = {.cookie = &cookie};

	ck_assert_uint_eq(learn_flow_edges(inv, &flow, on_edge, &a),
			  learn_flow_edges(inv, &flow, on_edge, &b));
	ck_assert_uint_eq(a.n, b.n);
	for (size_t i = 0; i < a.n; i++) {
		ck_assert_str_eq(a.edge[i], b.edge[i]);
		free(a.edge[i]);
		free(b.edge[i]);
	}
	inventory_free(inv);
}
END_TEST

/*
 * One connection seen on both sides of a Service's DNAT: the client's flow to the ClusterIP and
 * the backend's from its own address, with the client's port. Each row is a second flow after
 * the first (db:40000 -> 10.96.0.50:80 at T0+1s) and whether it is that connection again.
 */
static const struct repeat_case {
	const char *what;
	const char *client, *server;
	uint16_t client_port, port;
	uint64_t at_ms;
	size_t repeats;
} repeat_cases[] = {
	{"the backend's side of the same connection", "10.244.1.20", "10.244.1.10", 40000, 8080,
	 1100, 1},
	{"the same, reported first by the other side", "10.244.1.20", "10.244.1.10", 40000, 8080,
	 900, 1},
	{"another client port: another connection", "10.244.1.20", "10.244.1.10", 40001, 8080, 1100,
	 0},
	{"minutes later: another connection", "10.244.1.20", "10.244.1.10", 40000, 8080, 181000, 0},
	{"the ClusterIP again: another connection", "10.244.1.20", "10.96.0.50", 40000, 80, 1100,
	 0},
	{"another backend port", "10.244.1.20", "10.244.1.10", 40000, 8081, 1100, 0},
};

/* Two flows straight to two replicas from one client port (UDP gossip): two connections. */
START_TEST(test_flow_edges_two_replicas)
{
	struct inventory *inv = inventory_new();
	struct capture_flow a = {.proto = TCP,
				 .port = 8080,
				 .client_port = 7946,
				 .first_ns = T0,
				 .last_ns = T0 + 1},
			    b = a;
	struct graph *g = graph_new();

	check_inventory_load(inv);
	ck_assert_int_eq(util_addr_parse("10.244.1.20", &a.client), 0);
	b.client = a.client;
	ck_assert_int_eq(util_addr_parse("10.244.1.10", &a.server), 0);
	ck_assert_int_eq(util_addr_parse("10.244.1.12", &b.server), 0);
	(void)learn_add_flow(g, inv, &a);
	(void)learn_add_flow(g, inv, &b);
	ck_assert_uint_eq(graph_edge_connections(graph_find_edge(g, DB, WEB_A, TCP, 8080)), 2);
	graph_free(g);
	inventory_free(inv);
}
END_TEST

/*
 * A flow straight to a backend, and minutes later the same client and backend again as the
 * other side of a Service's DNAT: a flow like one before that is still counted once.
 */
START_TEST(test_flow_edges_dnat_after_straight)
{
	struct inventory *inv = inventory_new();
	struct capture_flow straight = {.proto = TCP,
					.port = 8080,
					.client_port = 39000,
					.first_ns = T0 - 600 * SEC,
					.last_ns = T0 - 599 * SEC},
			    vip = {.proto = TCP,
				   .port = 80,
				   .client_port = 40000,
				   .first_ns = T0 + SEC,
				   .last_ns = T0 + 2 * SEC},
			    backend;
	struct graph *g = graph_new();

	check_inventory_load(inv);
	ck_assert_int_eq(util_addr_parse("10.244.1.20", &straight.client), 0);
	ck_assert_int_eq(util_addr_parse("10.244.1.10", &straight.server), 0);
	vip.client = straight.client;
	ck_assert_int_eq(util_addr_parse("10.96.0.50", &vip.server), 0);
	backend = straight;
	backend.client_port = vip.client_port;
	backend.first_ns = vip.first_ns + SEC / 10;
	backend.last_ns = vip.last_ns;
	(void)learn_add_flow(g, inv, &straight);
	ck_assert_uint_eq(learn_add_flow(g, inv, &vip), 2);
	(void)learn_add_flow(g, inv, &backend);
	ck_assert_uint_eq(graph_edge_connections(graph_find_edge(g, DB, WEB_A, TCP, 8080)), 2);
	graph_free(g);
	inventory_free(inv);
}
END_TEST

START_TEST(test_flow_edges_dnat)
{
	const struct repeat_case *tc = &repeat_cases[_i];
	struct inventory *inv = inventory_new();
	char path[] = "/tmp/test-check-XXXXXX";
	struct capture_flow vip = {.proto = TCP,
				   .port = 80,
				   .client_port = 40000,
				   .first_ns = T0 + SEC,
				   .last_ns = T0 + 2 * SEC},
			    second = {.proto = TCP,
				      .port = tc->port,
				      .client_port = tc->client_port,
				      .first_ns = T0 + tc->at_ms * 1000000,
				      .last_ns = T0 + tc->at_ms * 1000000 + SEC};
	struct seen a = {.cookie = &cookie}, b = {.cookie = &cookie}, c = {.cookie = &cookie};
	struct graph *g = graph_new();

	check_inventory_load(inv);
	ck_assert_int_eq(util_addr_parse("10.244.1.20", &vip.client), 0);
	ck_assert_int_eq(util_addr_parse("10.96.0.50", &vip.server), 0);
	ck_assert_int_eq(util_addr_parse(tc->client, &second.client), 0);
	ck_assert_int_eq(util_addr_parse(tc->server, &second.server), 0);

	ck_assert_uint_eq(learn_flow_edges(inv, &vip, on_edge, &a), 2);
	ck_assert_uint_eq(a.repeats, 0);
	(void)learn_flow_edges(inv, &second, on_edge, &b);
	ck_assert_msg(b.repeats == tc->repeats, "%s: %zu repeats", tc->what, b.repeats);
	/* a connection has two sides: a third view is counted again */
	(void)learn_flow_edges(inv, &second, on_edge, &c);
	ck_assert_uint_eq(c.repeats, 0);

	/* learn counts the connection once, and the second view still updates the times */
	inventory_free(inv);
	inv = inventory_new();
	memcpy(path + strlen(path) - 6, "XXXXXX", 6);
	check_inventory_load(inv);
	ck_assert_uint_eq(learn_add_flow(g, inv, &vip), 2);
	(void)learn_add_flow(g, inv, &second);
	if (tc->repeats) {
		const struct graph_edge *e = graph_find_edge(g, DB, WEB_A, TCP, tc->port);

		ck_assert_ptr_nonnull(e);
		ck_assert_uint_eq(graph_edge_connections(e), 1);
		ck_assert_uint_eq(graph_edge_last_ns(e),
				  second.last_ns > vip.last_ns ? second.last_ns : vip.last_ns);
	}
	for (size_t i = 0; i < a.n; i++)
		free(a.edge[i]);
	for (size_t i = 0; i < b.n; i++)
		free(b.edge[i]);
	for (size_t i = 0; i < c.n; i++)
		free(c.edge[i]);
	graph_free(g);
	inventory_free(inv);
}
END_TEST

/* The counter name of g, 0 when absent. */
static uint64_t counter_of(const struct graph *g, const char *name)
{
	for (size_t i = 0; i < graph_counter_count(g); i++)
		if (strcmp(graph_counter_name(g, i), name) == 0)
			return graph_counter_value(g, i);
	return 0;
}

/*
 * GRAPH_MAX_ATTEMPTS pairs kept (a scan from as many forged outside sources): a pair already
 * kept still counts its attempts, a new one is only counted in "attempts-dropped", and makes no
 * workload.
 */
START_TEST(test_attempts_full)
{
	struct inventory *inv = inventory_new();
	char addr[32];
	struct capture_flow f = {.proto = TCP,
				 .port = 22,
				 .client_port = 40000,
				 .first_ns = T0,
				 .last_ns = T0 + 1,
				 .outcome = CAPTURE_REFUSED};
	struct graph *g = graph_new();
	const struct graph_attempt *a;
	size_t workloads;

	check_inventory_load(inv);
	ck_assert_int_eq(util_addr_parse("10.244.1.20", &f.server), 0);
	for (int i = 0; i < GRAPH_MAX_ATTEMPTS; i++) {
		snprintf(addr, sizeof(addr), "198.18.%d.%d", i / 256, i % 256);
		ck_assert_int_eq(util_addr_parse(addr, &f.client), 0);
		ck_assert_uint_eq(learn_add_flow(g, inv, &f), 0);
	}
	ck_assert(graph_attempts_full(g));
	ck_assert_uint_eq(graph_attempt_count(g), GRAPH_MAX_ATTEMPTS);
	ck_assert_uint_eq(counter_of(g, "attempts-dropped"), 0);
	workloads = graph_workload_count(g);

	/* a kept pair, again, on another port: counted, its port kept */
	ck_assert_int_eq(util_addr_parse("198.18.0.7", &f.client), 0);
	f.port = 23;
	f.outcome = CAPTURE_UNANSWERED;
	(void)learn_add_flow(g, inv, &f);
	ck_assert_uint_eq(counter_of(g, "attempts-dropped"), 0);
	for (size_t i = 0; i < graph_attempt_count(g); i++) {
		a = graph_attempt(g, i);
		if (strcmp(graph_workload_id(graph_attempt_client(a)), "external:198.18.0.7/32"))
			continue;
		ck_assert_uint_eq(graph_attempt_refused(a), 1);
		ck_assert_uint_eq(graph_attempt_unanswered(a), 1);
		ck_assert_uint_eq(graph_attempt_port_count(a), 2);
		ck_assert_uint_eq(graph_attempt_port(a, 1), 23);
	}
	/* a new source: dropped and counted, no workload made for it */
	ck_assert_int_eq(util_addr_parse("198.19.255.255", &f.client), 0);
	(void)learn_add_flow(g, inv, &f);
	ck_assert_uint_eq(counter_of(g, "attempts-dropped"), 1);
	ck_assert_uint_eq(graph_workload_count(g), workloads);
	ck_assert_uint_eq(graph_attempt_count(g), GRAPH_MAX_ATTEMPTS);
	/* a served flow still makes its edge, and its workloads */
	f.outcome = CAPTURE_SERVED;
	ck_assert_uint_eq(learn_add_flow(g, inv, &f), 1);
	ck_assert_uint_eq(graph_workload_count(g), workloads + 1);
	graph_free(g);
	inventory_free(inv);
}
END_TEST

/* ---- learn_check: flows against a baseline ------------------------------------------------ */

enum step_kind {
	END = 1, /* a flow that ended */
	OPEN,	 /* a flow still open, seen in a round */
	ROUND,	 /* a round of open flows begins (the OPEN steps after it are in it) */
	ROUND_END,
	FLUSH,
};

#define SERVED	   CAPTURE_SERVED
#define REFUSED	   CAPTURE_REFUSED
#define UNANSWERED CAPTURE_UNANSWERED

struct step {
	enum step_kind kind;
	uint64_t id; /* the tracker's flow id */
	const char *client, *server;
	uint8_t proto;
	uint16_t port;
	uint64_t at_s;
	enum capture_outcome outcome;
	/* the reports this step gives: "AT_S CLIENT -> SERVER PROTO PORT OUTCOME" */
	const char *reports[4];
};

#define STEP(k, i, c, s, pr, po, at, oc, ...)                                                      \
	{                                                                                          \
		.kind = k, .id = i, .client = c, .server = s, .proto = pr, .port = po, .at_s = at, \
		.outcome = oc, .reports = {                                                        \
			__VA_ARGS__                                                                \
		}                                                                                  \
	}
#define DO(k, ...)                                                                                 \
	{                                                                                          \
		.kind = k, .reports = { __VA_ARGS__ }                                              \
	}

/* The baseline: learned from these served flows. */
static const struct step check_baseline[] = {
	STEP(END, 1, "10.244.1.10", "10.244.1.20", TCP, 5432, 0, SERVED), /* web-a -> db */
	STEP(END, 2, "10.244.1.11", "10.96.0.50", TCP, 80, 0, SERVED),	  /* web-b -> web */
	STEP(END, 3, "10.244.1.10", "172.18.0.3", UDP, 53, 0, SERVED),	  /* web-a -> node */
};

static const struct check_case {
	const char *what;
	bool collect;
	struct step steps[8];
	uint64_t flows_found, attempts_found, edges_found;
} check_cases[] = {
	{"an edge in the baseline is silent",
	 false,
	 {STEP(END, 10, "10.244.1.12", "10.244.1.20", TCP, 5432, 5, SERVED),
	  STEP(END, 11, "10.244.1.11", "10.244.1.10", TCP, 8080, 6, SERVED)},
	 0,
	 0,
	 0},
	{"an edge the baseline lacks: once per flow, one edge",
	 false,
	 {STEP(END, 10, "10.244.1.11", "10.244.1.20", TCP, 5432, 5, SERVED,
	       "5 " WEB_B " -> " DB " 6 5432 served"),
	  STEP(END, 11, "10.244.1.11", "10.244.1.20", TCP, 5432, 7, SERVED,
	       "7 " WEB_B " -> " DB " 6 5432 served")},
	 2,
	 0,
	 1},
	{"another port of an allowed pair",
	 false,
	 {STEP(END, 10, "10.244.1.10", "10.244.1.20", TCP, 5433, 5, SERVED,
	       "5 " WEB_A " -> " DB " 6 5433 served"),
	  STEP(END, 11, "10.244.1.10", "10.244.1.20", UDP, 5432, 6, SERVED,
	       "6 " WEB_A " -> " DB " 17 5432 served")},
	 2,
	 0,
	 2},
	{"attempts on a new edge are reported, counted apart, and are no edge",
	 false,
	 {STEP(END, 10, "10.244.1.10", "10.244.1.20", TCP, 6379, 5, REFUSED,
	       "5 " WEB_A " -> " DB " 6 6379 refused"),
	  STEP(END, 11, "10.244.1.10", "10.244.1.20", UDP, 161, 6, UNANSWERED,
	       "6 " WEB_A " -> " DB " 17 161 unanswered")},
	 0,
	 2,
	 0},
	{"a refused call to an allowed service is no drift",
	 false,
	 {STEP(END, 10, "10.244.1.10", "10.244.1.20", TCP, 5432, 5, REFUSED),
	  STEP(END, 11, "10.244.1.10", "10.244.1.20", TCP, 5432, 6, UNANSWERED)},
	 0,
	 0,
	 0},
	{"collected: nothing until the flush, then by time, then by edge",
	 true,
	 {STEP(END, 10, "10.244.1.20", "10.244.1.10", TCP, 8080, 9, SERVED),
	  STEP(END, 11, "10.244.1.20", "10.244.1.11", TCP, 8081, 3, REFUSED),
	  STEP(END, 12, "10.244.1.20", "10.244.1.10", TCP, 8080, 3, SERVED),
	  DO(FLUSH, "3 " DB " -> " WEB_A " 6 8080 served", "3 " DB " -> " WEB_B " 6 8081 refused",
	     "9 " DB " -> " WEB_A " 6 8080 served"),
	  /* after the flush each report is given as it is found */
	  STEP(END, 13, "10.244.1.20", "10.244.1.11", TCP, 8081, 1, SERVED,
	       "1 " DB " -> " WEB_B " 6 8081 served")},
	 3,
	 1,
	 2},
	{"an open flow is reported when it starts, not again when it ends",
	 false,
	 {DO(ROUND),
	  STEP(OPEN, 20, "10.244.1.20", "10.244.1.10", TCP, 8080, 2, SERVED,
	       "2 " DB " -> " WEB_A " 6 8080 served"),
	  DO(ROUND_END), DO(ROUND),
	  STEP(OPEN, 20, "10.244.1.20", "10.244.1.10", TCP, 8080, 2, SERVED), DO(ROUND_END),
	  STEP(END, 20, "10.244.1.20", "10.244.1.10", TCP, 8080, 2, SERVED)},
	 1,
	 0,
	 1},
	{"an open attempt waits for its end: it may still be served",
	 false,
	 {DO(ROUND), STEP(OPEN, 21, "10.244.1.20", "10.244.1.10", TCP, 8080, 2, UNANSWERED),
	  DO(ROUND_END),
	  STEP(END, 21, "10.244.1.20", "10.244.1.10", TCP, 8080, 2, UNANSWERED,
	       "2 " DB " -> " WEB_A " 6 8080 unanswered")},
	 0,
	 1,
	 0},
	{"a reported flow a round did not see is forgotten (merged into another view)",
	 false,
	 {DO(ROUND),
	  STEP(OPEN, 22, "10.244.1.20", "10.244.1.10", TCP, 8080, 2, SERVED,
	       "2 " DB " -> " WEB_A " 6 8080 served"),
	  DO(ROUND_END), DO(ROUND), DO(ROUND_END),
	  STEP(END, 22, "10.244.1.20", "10.244.1.10", TCP, 8080, 2, SERVED,
	       "2 " DB " -> " WEB_A " 6 8080 served")},
	 2,
	 0,
	 1},
	{"an open flow allowed by the baseline is not remembered",
	 false,
	 {DO(ROUND), STEP(OPEN, 23, "10.244.1.10", "10.244.1.20", TCP, 5432, 2, SERVED),
	  DO(ROUND_END), STEP(END, 23, "10.244.1.10", "10.244.1.20", TCP, 5432, 2, SERVED)},
	 0,
	 0,
	 0},
};

struct reports {
	char *v[16];
	size_t n;
};

static void on_report(void *userdata, const struct learn_violation *v)
{
	struct reports *r = userdata;
	static const char *const outcome[] = {"served", "refused", "unanswered"};

	ck_assert_uint_lt(r->n, UTIL_ARRAY_SIZE(r->v));
	ck_assert_uint_lt(v->outcome, UTIL_ARRAY_SIZE(outcome));
	ck_assert_int_ge(asprintf(&r->v[r->n++], "%llu %s -> %s %u %u %s",
				  (unsigned long long)((v->time_ns - T0) / SEC),
				  graph_workload_id(v->client), graph_workload_id(v->server),
				  (unsigned)v->proto, (unsigned)v->port, outcome[v->outcome]),
			 0);
}

static struct capture_flow step_flow(const struct step *st)
{
	struct capture_flow flow = {
		.id = st->id,
		.proto = st->proto,
		.port = st->port,
		.client_port = (uint16_t)(30000 + st->id),
		.first_ns = T0 + st->at_s * SEC,
		.last_ns = T0 + st->at_s * SEC + 3,
		.packets = 4,
		.outcome = st->outcome,
	};

	ck_assert_int_eq(util_addr_parse(st->client, &flow.client), 0);
	ck_assert_int_eq(util_addr_parse(st->server, &flow.server), 0);
	return flow;
}

START_TEST(test_check)
{
	const struct check_case *tc = &check_cases[_i];
	struct inventory *inv = inventory_new();
	struct graph *baseline = graph_new();
	struct learn_check_counts n;
	struct reports r = {0};
	struct learn_check *c;

	check_inventory_load(inv);
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(check_baseline); i++) {
		struct capture_flow flow = step_flow(&check_baseline[i]);

		(void)learn_add_flow(baseline, inv, &flow);
	}
	ck_assert_uint_eq(graph_edge_count(baseline), 4);
	c = learn_check_new(baseline, tc->collect, on_report, &r);
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(tc->steps) && tc->steps[i].kind; i++) {
		const struct step *st = &tc->steps[i];
		size_t before = r.n, want = 0;
		struct capture_flow flow;

		switch (st->kind) {
		case END:
		case OPEN:
			flow = step_flow(st);
			learn_check_flow(c, inv, &flow, st->kind == OPEN);
			break;
		case ROUND:
			learn_check_round_begin(c);
			break;
		case ROUND_END:
			learn_check_round_end(c);
			break;
		case FLUSH:
			learn_check_flush(c);
			break;
		}
		while (want < UTIL_ARRAY_SIZE(st->reports) && st->reports[want])
			want++;
		ck_assert_msg(r.n - before == want, "%s: step %zu gave %zu reports, not %zu",
			      tc->what, i, r.n - before, want);
		for (size_t j = 0; j < want; j++)
			ck_assert_str_eq(r.v[before + j], st->reports[j]);
	}
	learn_check_get_counts(c, &n);
	ck_assert_uint_eq(n.flows_found, tc->flows_found);
	ck_assert_uint_eq(n.attempts_found, tc->attempts_found);
	ck_assert_uint_eq(n.edges_found, tc->edges_found);
	learn_check_free(c);
	for (size_t i = 0; i < r.n; i++)
		free(r.v[i]);
	graph_free(baseline);
	inventory_free(inv);
}
END_TEST

/* Collected reports keep their workloads: an inventory freed before the flush takes none away. */
START_TEST(test_check_collect_outlives_inventory)
{
	struct inventory *inv = inventory_new();
	struct graph *baseline = graph_new();
	const struct step st = STEP(END, 1, "10.244.1.20", "10.244.1.10", TCP, 8080, 4, SERVED);
	struct capture_flow flow = step_flow(&st);
	struct reports r = {0};
	struct learn_check *c;

	check_inventory_load(inv);
	c = learn_check_new(baseline, true, on_report, &r);
	learn_check_flow(c, inv, &flow, false);
	inventory_free(inv);
	ck_assert_uint_eq(r.n, 0);
	learn_check_flush(c);
	ck_assert_uint_eq(r.n, 1);
	ck_assert_str_eq(r.v[0], "4 " DB " -> " WEB_A " 6 8080 served");
	free(r.v[0]);
	learn_check_free(c);
	graph_free(baseline);
}
END_TEST

/* Whether a baseline names workloads: check warns when it does and no inventory was given. */
START_TEST(test_graph_has_named)
{
	struct inventory *inv = inventory_new();
	struct graph *g = graph_new();
	const struct step ext = STEP(END, 1, "203.0.113.7", "198.51.100.9", TCP, 443, 1, SERVED);
	const struct step pod = STEP(END, 2, "10.244.1.10", "10.244.1.20", TCP, 5432, 1, SERVED);
	struct capture_flow flow = step_flow(&ext);

	ck_assert(!graph_has_named(g));
	(void)learn_add_flow(g, inv, &flow);
	ck_assert_uint_eq(graph_edge_count(g), 1);
	ck_assert(!graph_has_named(g)); /* two external peers */
	check_inventory_load(inv);
	flow = step_flow(&pod);
	(void)learn_add_flow(g, inv, &flow);
	ck_assert(graph_has_named(g));
	graph_free(g);
	inventory_free(inv);
}
END_TEST

static Suite *check_suite(void)
{
	Suite *s = suite_create("check");
	TCase *tc = tcase_create("flow-edges");

	tcase_add_loop_test(tc, test_flow_edges, 0, (int)UTIL_ARRAY_SIZE(flow_cases));
	tcase_add_loop_test(tc, test_flow_edges_repeat, 0, (int)UTIL_ARRAY_SIZE(flow_cases));
	tcase_add_loop_test(tc, test_flow_edges_dnat, 0, (int)UTIL_ARRAY_SIZE(repeat_cases));
	tcase_add_test(tc, test_flow_edges_two_replicas);
	tcase_add_test(tc, test_flow_edges_dnat_after_straight);
	tcase_add_test(tc, test_attempts_full);
	suite_add_tcase(s, tc);
	tc = tcase_create("check");
	tcase_add_loop_test(tc, test_check, 0, (int)UTIL_ARRAY_SIZE(check_cases));
	tcase_add_test(tc, test_check_collect_outlives_inventory);
	tcase_add_test(tc, test_graph_has_named);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_run(check_suite());
}
