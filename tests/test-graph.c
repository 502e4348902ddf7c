/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test-graph.c - workloads, the graph (edges, counters, observation windows, running times),
 * nodes and merging: table-driven Check tests.
 */
#include <check.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph/graph.h"
#include "graph/graph-private.h"
#include "tests/test-graph-helpers.h"

/* ---- Workloads ---------------------------------------------------------------------------- */

static const struct id_case {
	enum graph_kind kind;
	const char *ns, *ctrl, *name, *id;
} id_cases[] = {
	{GRAPH_KIND_K8S, "shop", "Deployment", "frontend", "k8s:shop/deployment/frontend"},
	{GRAPH_KIND_K8S, "shop", "StatefulSet", "db", "k8s:shop/statefulset/db"},
	{GRAPH_KIND_K8S, "kube-system", "DaemonSet", "kube-proxy",
	 "k8s:kube-system/daemonset/kube-proxy"},
	{GRAPH_KIND_K8S, "default", "Pod", "debug", "k8s:default/pod/debug"},
	{GRAPH_KIND_K8S, "shop", "Rollout.argoproj.io", "catalog",
	 "k8s:shop/rollout.argoproj.io/catalog"},
	{GRAPH_KIND_K8S, "ml", "Job.batch.volcano.sh", "train",
	 "k8s:ml/job.batch.volcano.sh/train"},
	{GRAPH_KIND_K8S, "kube-system", "StaticPod", "log-shipper",
	 "k8s:kube-system/staticpod/log-shipper"},
	{GRAPH_KIND_UNKNOWN, NULL, NULL, "10.244.1.0/24", "unknown:10.244.1.0/24"},
	{GRAPH_KIND_DOCKER, "shop", NULL, "web", "docker:shop/web"},
	{GRAPH_KIND_DOCKER, NULL, NULL, "redis", "docker:redis"},
	{GRAPH_KIND_DOCKER, "", "", "redis", "docker:redis"},
	{GRAPH_KIND_NODE, NULL, NULL, "worker-1", "node:worker-1"},
	{GRAPH_KIND_NODE, NULL, NULL, "10.0.0.5", "node:10.0.0.5"},
	{GRAPH_KIND_EXTERNAL, NULL, NULL, "203.0.113.7/32", "external:203.0.113.7/32"},
	{GRAPH_KIND_EXTERNAL, NULL, NULL, "2001:db8::/32", "external:2001:db8::/32"},
};

START_TEST(test_workload_id)
{
	const struct id_case *c = &id_cases[_i];
	struct graph_workload *w = graph_workload_new(c->kind, c->ns, c->ctrl, c->name);

	ck_assert_str_eq(graph_workload_id(w), c->id);
	ck_assert_int_eq(graph_workload_kind(w), c->kind);
	ck_assert_str_eq(graph_workload_namespace(w), c->ns ? c->ns : "");
	ck_assert_str_eq(graph_workload_controller(w), c->ctrl ? c->ctrl : "");
	ck_assert_str_eq(graph_workload_name(w), c->name);
	ck_assert_uint_eq(graph_workload_label_count(w), 0);
	ck_assert_uint_eq(graph_workload_address_count(w), 0);
	ck_assert_ptr_null(graph_workload_unref(w));
}
END_TEST

/* The id without the workload, as snprintf(): whole, and cut at every size. */
START_TEST(test_workload_format_id)
{
	const struct id_case *c = &id_cases[_i];
	size_t len = strlen(c->id);
	char buf[128];

	ck_assert_uint_eq(graph_workload_format_id(c->kind, c->ns, c->ctrl, c->name, NULL, 0), len);
	for (size_t size = 1; size <= len + 1; size++) {
		memset(buf, '#', sizeof(buf));
		ck_assert_uint_eq(
			graph_workload_format_id(c->kind, c->ns, c->ctrl, c->name, buf, size), len);
		ck_assert_uint_eq(strlen(buf), size - 1);
		ck_assert_int_eq(strncmp(buf, c->id, size - 1), 0);
		ck_assert_int_eq(buf[size], '#');
	}
}
END_TEST

static const struct kind_case {
	const char *name;
	int ret;
	enum graph_kind kind;
} kind_cases[] = {
	{"k8s", 0, GRAPH_KIND_K8S},   {"docker", 0, GRAPH_KIND_DOCKER},
	{"node", 0, GRAPH_KIND_NODE}, {"external", 0, GRAPH_KIND_EXTERNAL},
	{"K8S", -EINVAL, 0},	      {"", -EINVAL, 0},
	{"pod", -EINVAL, 0},	      {"external ", -EINVAL, 0},
};

START_TEST(test_workload_kind_names)
{
	const struct kind_case *c = &kind_cases[_i];
	enum graph_kind kind = (enum graph_kind)99;

	ck_assert_int_eq(graph_kind_from_name(c->name, &kind), c->ret);
	if (c->ret == 0) {
		ck_assert_int_eq(kind, c->kind);
		ck_assert_str_eq(graph_kind_name(kind), c->name);
	} else {
		ck_assert_int_eq(kind, 99); /* untouched on failure */
	}
}
END_TEST

/* Operations "k=v" applied in order; the result as "k=v,k=v" in the workload's order. */
static const struct label_case {
	const char *ops[6];
	const char *expect;
} label_cases[] = {
	{{"app=web"}, "app=web"},
	{{"tier=front", "app=web", "zone=a"}, "app=web,tier=front,zone=a"},
	{{"b=2", "a=1", "a=3"}, "a=3,b=2"},
	{{"a=1", "a=1"}, "a=1"},
	{{"x=", "app.kubernetes.io/name=web", "app=web"}, "app=web,app.kubernetes.io/name=web,x="},
	{{"c=1", "b=1", "a=1", "b=2", "c=", "a=z"}, "a=z,b=2,c="},
	{{NULL}, ""},
};

static char *label_join(const struct graph_workload *w)
{
	char *s = util_strdup(""), *n;

	for (size_t i = 0; i < graph_workload_label_count(w); i++) {
		n = util_asprintf("%s%s%s=%s", s, i ? "," : "", graph_workload_label_key(w, i),
				  graph_workload_label_value(w, i));
		free(s);
		s = n;
	}
	return s;
}

START_TEST(test_workload_labels)
{
	const struct label_case *c = &label_cases[_i];
	struct graph_workload *w = graph_workload_new(GRAPH_KIND_K8S, "ns", "Deployment", "x");
	char *joined;

	for (size_t i = 0; i < UTIL_ARRAY_SIZE(c->ops) && c->ops[i]; i++) {
		char *kv = util_strdup(c->ops[i]), *eq = strchr(kv, '=');

		*eq = '\0';
		graph_workload_set_label(w, kv, eq + 1);
		free(kv);
	}
	joined = label_join(w);
	ck_assert_str_eq(joined, c->expect);
	ck_assert_ptr_null(graph_workload_label_key(w, graph_workload_label_count(w)));
	ck_assert_ptr_null(graph_workload_label_value(w, graph_workload_label_count(w)));
	free(joined);
	graph_workload_unref(w);
}
END_TEST

static const struct address_case {
	const char *add[6];
	const char *expect;
} address_cases[] = {
	{{"10.0.0.1/32"}, "10.0.0.1/32"},
	{{"10.0.0.2/32", "10.0.0.1/32"}, "10.0.0.1/32,10.0.0.2/32"},
	{{"10.0.0.1/32", "10.0.0.1/32", "10.0.0.1/32"}, "10.0.0.1/32"},
	{{"2001:db8::1/128", "10.0.0.1/32", "2001:db8::1/128", "192.0.2.0/24"},
	 "10.0.0.1/32,192.0.2.0/24,2001:db8::1/128"},
	/* kept parsed: one address has one spelling, whatever text it came as */
	{{"10.0.0.1", "10.0.0.1/32"}, "10.0.0.1/32"},
	{{"2001:DB8:0::1/128", "2001:db8::1"}, "2001:db8::1/128"},
	/* host bits are kept, so these are two; the order is the text's, as the state lists it */
	{{"10.1.2.3/24", "10.1.2.0/24"}, "10.1.2.0/24,10.1.2.3/24"},
	{{"10.0.0.9/32", "10.0.0.10/32"}, "10.0.0.10/32,10.0.0.9/32"},
	{{NULL}, ""},
};

START_TEST(test_workload_addresses)
{
	const struct address_case *c = &address_cases[_i];
	struct graph_workload *w = graph_workload_new(GRAPH_KIND_NODE, NULL, NULL, "n1");
	char *s = util_strdup(""), *n;

	for (size_t i = 0; i < UTIL_ARRAY_SIZE(c->add) && c->add[i]; i++)
		graph_workload_add_address(w, TEST_PREFIX(c->add[i]));
	for (size_t i = 0; i < graph_workload_address_count(w); i++) {
		n = util_asprintf("%s%s%s", s, i ? "," : "", graph_workload_address(w, i));
		free(s);
		s = n;
	}
	ck_assert_str_eq(s, c->expect);
	ck_assert_ptr_null(graph_workload_address(w, graph_workload_address_count(w)));
	ck_assert_ptr_null(graph_workload_address_prefix(w, graph_workload_address_count(w)));
	free(s);
	graph_workload_unref(w);
}
END_TEST

/* What a peer stands for: its addresses, or an external's name when it has none. */
static const struct peer_prefix_case {
	enum graph_kind kind;
	const char *name, *address;
	const char *expect; /* the prefixes, comma separated */
} peer_prefix_cases[] = {
	{GRAPH_KIND_EXTERNAL, "203.0.113.0/24", NULL, "203.0.113.0/24"},
	{GRAPH_KIND_EXTERNAL, "203.0.113.7", NULL, "203.0.113.7/32"},
	{GRAPH_KIND_EXTERNAL, "2001:db8::/32", NULL, "2001:db8::/32"},
	{GRAPH_KIND_EXTERNAL, "203.0.113.0/24", "203.0.113.9/32", "203.0.113.9/32"},
	{GRAPH_KIND_EXTERNAL, "not-a-cidr", NULL, ""},
	{GRAPH_KIND_EXTERNAL, "203.0.113.0/33", NULL, ""},
	{GRAPH_KIND_NODE, "10.0.0.1/32", NULL, ""}, /* a node's name is a name */
	{GRAPH_KIND_NODE, "n1", "10.0.0.1/32", "10.0.0.1/32"},
	{GRAPH_KIND_UNKNOWN, "10.96.0.0/12", NULL, ""},
};

START_TEST(test_workload_peer_prefixes)
{
	const struct peer_prefix_case *c = &peer_prefix_cases[_i];
	struct graph_workload *w = graph_workload_new(c->kind, NULL, NULL, c->name);
	char *s = util_strdup(""), *n, buf[UTIL_PREFIX_LEN];
	size_t count;

	if (c->address)
		graph_workload_add_address(w, TEST_PREFIX(c->address));
	count = graph_workload_prefix_count(w);
	for (size_t i = 0; i < count; i++) {
		n = util_asprintf("%s%s%s", s, i ? "," : "",
				  util_prefix_format(graph_workload_prefix(w, i), buf));
		free(s);
		s = n;
	}
	ck_assert_str_eq(s, c->expect);
	ck_assert_ptr_null(graph_workload_prefix(w, count));
	free(s);
	graph_workload_unref(w);
}
END_TEST

/* Extra references taken and dropped, and whether a graph holds one too (ASan sees leaks). */
static const struct ref_case {
	int extra;
	bool in_graph;
} ref_cases[] = {
	{0, false}, {1, false}, {5, false}, {0, true}, {3, true},
};

START_TEST(test_workload_refcount)
{
	const struct ref_case *c = &ref_cases[_i];
	struct graph_workload *w = graph_workload_new(GRAPH_KIND_NODE, NULL, NULL, "n1");
	struct graph *g = graph_new();

	ck_assert_ptr_null(graph_workload_unref(NULL));
	ck_assert_ptr_null(graph_workload_ref(NULL));
	for (int i = 0; i < c->extra; i++)
		ck_assert_ptr_eq(graph_workload_ref(w), w);
	if (c->in_graph)
		ck_assert_ptr_eq(graph_add_workload(g, w), w);
	for (int i = 0; i < c->extra; i++) {
		ck_assert_ptr_null(graph_workload_unref(w));
		ck_assert_str_eq(graph_workload_id(w), "node:n1"); /* still alive */
	}
	ck_assert_ptr_null(graph_workload_unref(w));
	if (c->in_graph) /* the graph's reference keeps it */
		ck_assert_str_eq(graph_workload_id(graph_find_workload(g, "node:n1")), "node:n1");
	ck_assert_ptr_null(graph_free(g));
	ck_assert_ptr_null(graph_free(NULL));
}
END_TEST

/* ---- The graph ---------------------------------------------------------------------------- */

/* Workloads a, b, c (k8s:ns/deployment/a ...), edges by index into them. */
static const char *const graph_ids[] = {
	"k8s:ns/deployment/a",
	"k8s:ns/deployment/b",
	"k8s:ns/deployment/c",
};

struct edge_op {
	int client, server;
	uint8_t proto;
	uint16_t port;
	uint64_t n, first, last;
};

static const struct graph_case {
	const char *name;
	struct edge_op ops[8];
	size_t n_ops;
	struct edge_op expect[8]; /* in the sorted order */
	size_t n_expect;
} graph_cases[] = {
	{"one edge",
	 {{0, 1, IPPROTO_TCP, 80, 1, 10, 20}},
	 1,
	 {{0, 1, IPPROTO_TCP, 80, 1, 10, 20}},
	 1},
	{"sums and widens the time range",
	 {{0, 1, IPPROTO_TCP, 80, 1, 10, 20},
	  {0, 1, IPPROTO_TCP, 80, 5, 5, 15},
	  {0, 1, IPPROTO_TCP, 80, 2, 12, 40}},
	 3,
	 {{0, 1, IPPROTO_TCP, 80, 8, 5, 40}},
	 1},
	{"a later range inside the first changes nothing",
	 {{0, 1, IPPROTO_UDP, 53, 3, 10, 100}, {0, 1, IPPROTO_UDP, 53, 0, 50, 60}},
	 2,
	 {{0, 1, IPPROTO_UDP, 53, 3, 10, 100}},
	 1},
	{"direction, protocol and port make distinct edges",
	 {{0, 1, IPPROTO_TCP, 80, 1, 1, 1},
	  {1, 0, IPPROTO_TCP, 80, 1, 1, 1},
	  {0, 1, IPPROTO_UDP, 80, 1, 1, 1},
	  {0, 1, IPPROTO_TCP, 81, 1, 1, 1}},
	 4,
	 {{0, 1, IPPROTO_TCP, 80, 1, 1, 1},
	  {0, 1, IPPROTO_TCP, 81, 1, 1, 1},
	  {0, 1, IPPROTO_UDP, 80, 1, 1, 1},
	  {1, 0, IPPROTO_TCP, 80, 1, 1, 1}},
	 4},
	{"sorted by client, server, protocol number, port number (not text)",
	 {{2, 0, IPPROTO_TCP, 80, 1, 1, 1},
	  {0, 2, IPPROTO_SCTP, 3868, 1, 1, 1},
	  {0, 2, IPPROTO_UDP, 53, 1, 1, 1},
	  {0, 2, IPPROTO_TCP, 8080, 1, 1, 1},
	  {0, 2, IPPROTO_TCP, 443, 1, 1, 1},
	  {0, 2, IPPROTO_ICMP, 0, 1, 1, 1},
	  {0, 1, IPPROTO_TCP, 9000, 1, 1, 1},
	  {1, 1, IPPROTO_TCP, 1, 1, 1, 1}},
	 8,
	 {{0, 1, IPPROTO_TCP, 9000, 1, 1, 1},
	  {0, 2, IPPROTO_ICMP, 0, 1, 1, 1},
	  {0, 2, IPPROTO_TCP, 443, 1, 1, 1},
	  {0, 2, IPPROTO_TCP, 8080, 1, 1, 1},
	  {0, 2, IPPROTO_UDP, 53, 1, 1, 1},
	  {0, 2, IPPROTO_SCTP, 3868, 1, 1, 1},
	  {1, 1, IPPROTO_TCP, 1, 1, 1, 1},
	  {2, 0, IPPROTO_TCP, 80, 1, 1, 1}},
	 8},
	{"extreme values",
	 {{0, 0, IPPROTO_TCP, 65535, UINT64_MAX - 1, UINT64_MAX, UINT64_MAX},
	  {0, 0, IPPROTO_TCP, 65535, 1, 0, 0}},
	 2,
	 {{0, 0, IPPROTO_TCP, 65535, UINT64_MAX, 0, UINT64_MAX}},
	 1},
};

START_TEST(test_graph_edges)
{
	const struct graph_case *c = &graph_cases[_i];
	struct graph *g = graph_new();
	const struct graph_workload *w[3];

	for (size_t i = 0; i < 3; i++)
		w[i] = add_wl(g, GRAPH_KIND_K8S, "ns", "Deployment", graph_ids[i] + 18, NULL, NULL);
	ck_assert_str_eq(graph_workload_id(w[2]), graph_ids[2]);
	for (size_t i = 0; i < c->n_ops; i++) {
		const struct edge_op *op = &c->ops[i];

		graph_add_edge(g, w[op->client], w[op->server], op->proto, op->port, op->n,
			       op->first, op->last);
	}
	ck_assert_msg(graph_edge_count(g) == c->n_expect, "%s: %zu edges", c->name,
		      graph_edge_count(g));
	for (size_t i = 0; i < c->n_expect; i++) {
		const struct edge_op *x = &c->expect[i];
		const struct graph_edge *e = graph_edge(g, i);

		ck_assert_ptr_nonnull(e);
		ck_assert_str_eq(graph_workload_id(graph_edge_client(e)), graph_ids[x->client]);
		ck_assert_str_eq(graph_workload_id(graph_edge_server(e)), graph_ids[x->server]);
		ck_assert_uint_eq(graph_edge_proto(e), x->proto);
		ck_assert_uint_eq(graph_edge_port(e), x->port);
		ck_assert_uint_eq(graph_edge_connections(e), x->n);
		ck_assert_uint_eq(graph_edge_first_ns(e), x->first);
		ck_assert_uint_eq(graph_edge_last_ns(e), x->last);
	}
	ck_assert_ptr_null(graph_edge(g, c->n_expect));
	graph_free(g);
}
END_TEST

/*
 * Edges and attempts are read in order of their client's id, then their server's, then protocol
 * and port, whichever view is read first; and again after workloads that sort before, between
 * and after the others arrive with items of their own. Ids that share a prefix ("web" before
 * "web-10", which a compare of names with what follows them would put the other way round),
 * added out of order. Checked pair by pair against strcmp() of the ids.
 */
static const char *const order_names[] = {"web-2", "api", "web", "web-10", "db"};
static const char *const order_later[] = {"aaa", "web-1", "zz"};

struct order_item {
	const char *client, *server;
	unsigned proto, port;
};

static struct order_item order_item(const struct graph *g, bool attempts, size_t i)
{
	const struct graph_attempt *a = attempts ? graph_attempt(g, i) : NULL;
	const struct graph_edge *e = attempts ? NULL : graph_edge(g, i);

	if (a)
		return (struct order_item){graph_workload_id(graph_attempt_client(a)),
					   graph_workload_id(graph_attempt_server(a)),
					   graph_attempt_proto(a), 0};
	return (struct order_item){graph_workload_id(graph_edge_client(e)),
				   graph_workload_id(graph_edge_server(e)), graph_edge_proto(e),
				   graph_edge_port(e)};
}

/* Each item after the one before it; returns how many. */
static size_t order_check(const struct graph *g, bool attempts)
{
	size_t n = attempts ? graph_attempt_count(g) : graph_edge_count(g);

	for (size_t i = 1; i < n; i++) {
		struct order_item x = order_item(g, attempts, i - 1),
				  y = order_item(g, attempts, i);
		int c = strcmp(x.client, y.client);

		if (c == 0)
			c = strcmp(x.server, y.server);
		if (c == 0)
			c = x.proto != y.proto ? (x.proto < y.proto ? -1 : 1)
					       : (x.port < y.port ? -1 : x.port > y.port);
		ck_assert_msg(c < 0, "%s %zu (%s -> %s %u/%u) after %s -> %s %u/%u",
			      attempts ? "attempt" : "edge", i, y.client, y.server, y.proto, y.port,
			      x.client, x.server, x.proto, x.port);
	}
	return n;
}

static void order_add(struct graph *g, const char *const *names, size_t n, size_t salt)
{
	const struct graph_workload *w[8];

	for (size_t i = 0; i < n; i++)
		w[i] = add_wl(g, GRAPH_KIND_K8S, "ns", "deployment", names[i], NULL, NULL);
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < n; j++) {
			uint16_t port = (uint16_t)(8000 + (i * 7 + j * 3 + salt) % 5);

			if ((i + j + salt) % 3 == 0)
				continue;
			graph_add_edge(g, w[i], w[j], IPPROTO_TCP, port, 1, T0, T0);
			graph_add_edge(g, w[i], w[j], IPPROTO_UDP, port, 1, T0, T0);
			graph_add_edge(g, w[i], w[j], IPPROTO_TCP, port + 100, 1, T0, T0);
			(void)graph_add_attempt(g, w[j], w[i], IPPROTO_UDP, &port, 1, 1, 0, T0, T0);
			(void)graph_add_attempt(g, w[j], w[i], IPPROTO_TCP, &port, 1, 1, 0, T0, T0);
		}
	}
}

START_TEST(test_view_order)
{
	bool attempts_first = _i;
	struct graph *g = graph_new();
	size_t n[2];

	order_add(g, order_names, UTIL_ARRAY_SIZE(order_names), 0);
	for (int round = 0; round < 2; round++) {
		n[attempts_first] = order_check(g, attempts_first);
		n[!attempts_first] = order_check(g, !attempts_first);
		/* 5 x 5 pairs less 8 skipped, 3 edges and 2 attempts each; then 3 x 3 less 3 more
		 */
		ck_assert_uint_eq(n[0], round == 0 ? 51 : 69);
		ck_assert_uint_eq(n[1], round == 0 ? 34 : 46);
		order_add(g, order_later, UTIL_ARRAY_SIZE(order_later), 1);
	}
	graph_free(g);
}
END_TEST

/*
 * Views brought up to date in steps (a read, or graph_prepare_views()) hold what a graph sorted
 * once holds, in the same order: 600 workloads whose ids sort in another order than they come,
 * and their edges, added over 8 rounds with the views read or prepared between some, compared
 * item by item with a graph that got everything before its first read, and checked against
 * strcmp() of the ids. A preparation sorts what each round adds (an eighth of the views or
 * more), and leaves a last handful (less) for the read.
 */
static const struct {
	const char *name;
	unsigned every; /* rounds between two reads or preparations; 0: none */
	bool prepare;
} step_cases[] = {
	{"read after every round", 1, false}, {"prepared after every round", 1, true},
	{"read every third round", 3, false}, {"prepared every other round", 2, true},
	{"never before the end", 0, false},
};

#define STEP_WORKLOADS 600
#define STEP_ROUNDS    8

static void step_add(struct graph *g, unsigned from, unsigned to)
{
	const struct graph_workload *w[STEP_WORKLOADS];
	char name[32], id[64];

	for (unsigned i = 0; i < to; i++) {
		/* a permutation of 0..599: ids arrive out of their order */
		snprintf(name, sizeof(name), "w-%u", (i * 373 + 11) % STEP_WORKLOADS);
		snprintf(id, sizeof(id), "k8s:ns/deployment/%s", name);
		w[i] = i < from ? graph_find_workload(g, id)
				: add_wl(g, GRAPH_KIND_K8S, "ns", "deployment", name, NULL, NULL);
		ck_assert_ptr_nonnull(w[i]);
	}
	for (unsigned i = from; i < to; i++) {
		/* to workloads added before or with this one, whichever round it came in */
		graph_add_edge(g, w[i], w[(i * 7 + 1) % (i + 1)], IPPROTO_TCP,
			       (uint16_t)(80 + i % 3), 1, T0, T0);
		graph_add_edge(g, w[(i * 13 + 5) % (i + 1)], w[i], IPPROTO_UDP, 53, 1, T0, T0);
	}
}

START_TEST(test_view_steps)
{
	struct graph *g = graph_new(), *ref = graph_new();
	unsigned every = step_cases[_i].every, last = STEP_WORKLOADS - 5;
	size_t nodes, edges;

	for (unsigned r = 0; r < STEP_ROUNDS; r++) {
		step_add(g, r * last / STEP_ROUNDS, (r + 1) * last / STEP_ROUNDS);
		if (every == 0 || r % every != 0)
			continue;
		if (step_cases[_i].prepare) {
			graph_prepare_views(g);
			graph_views_unsorted(g, &nodes, &edges);
			ck_assert_uint_eq(nodes, 0);
			ck_assert_uint_eq(edges, 0);
		} else {
			(void)graph_workload(g, 0);
			(void)graph_edge(g, 0);
		}
	}
	/*
	 * 5 more workloads and their 10 edges. A preparation sorts what the views lack when that is
	 * an eighth of what they hold or more (all of it, when they hold nothing), else leaves it
	 * for the read: so after every round, these 5 are left.
	 */
	step_add(g, last, STEP_WORKLOADS);
	graph_views_unsorted(g, &nodes, &edges);
	{
		size_t lacked = nodes, lacked_edges = edges;
		size_t held = STEP_WORKLOADS - nodes, held_edges = graph_edge_count(g) - edges;

		graph_prepare_views(g);
		graph_views_unsorted(g, &nodes, &edges);
		ck_assert_uint_eq(nodes, lacked >= held / 8 ? 0 : lacked);
		ck_assert_uint_eq(edges, lacked_edges >= held_edges / 8 ? 0 : lacked_edges);
		if (every == 1) {
			ck_assert_uint_eq(nodes, 5);
			ck_assert_uint_eq(edges, 10);
		}
	}
	step_add(ref, 0, STEP_WORKLOADS);

	ck_assert_uint_eq(graph_workload_count(g), STEP_WORKLOADS);
	ck_assert_uint_eq(graph_edge_count(g), graph_edge_count(ref));
	for (size_t i = 0; i < STEP_WORKLOADS; i++) {
		ck_assert_str_eq(graph_workload_id(graph_workload(g, i)),
				 graph_workload_id(graph_workload(ref, i)));
		if (i > 0)
			ck_assert_int_lt(strcmp(graph_workload_id(graph_workload(g, i - 1)),
						graph_workload_id(graph_workload(g, i))),
					 0);
	}
	for (size_t i = 0; i < graph_edge_count(ref); i++) {
		struct order_item x = order_item(g, false, i), y = order_item(ref, false, i);

		ck_assert_msg(strcmp(x.client, y.client) == 0 && strcmp(x.server, y.server) == 0 &&
				      x.proto == y.proto && x.port == y.port,
			      "%s: edge %zu is %s -> %s %u/%u, not %s -> %s %u/%u",
			      step_cases[_i].name, i, x.client, x.server, x.proto, x.port, y.client,
			      y.server, y.proto, y.port);
	}
	ck_assert_uint_eq(order_check(g, false), graph_edge_count(ref));
	graph_views_unsorted(g, &nodes, &edges);
	ck_assert_uint_eq(nodes, 0);
	ck_assert_uint_eq(edges, 0);
	graph_free(g);
	graph_free(ref);
}
END_TEST

/* A workload re-added with the same id: new labels and addresses win, edges stay. */
static const struct replace_case {
	const char *labels_before, *addrs_before;
	const char *labels_after, *addrs_after;
	const char *expect_labels;
} replace_cases[] = {
	{"app=a;tier=web", NULL, "app=a2", NULL, "app=a2"},
	{"app=a", "10.0.0.1/32", NULL, "10.0.0.2/32", ""},
	{NULL, NULL, "z=1;a=2", NULL, "a=2,z=1"},
};

START_TEST(test_graph_replace_workload)
{
	const struct replace_case *c = &replace_cases[_i];
	struct graph *g = graph_new();
	const struct graph_workload *a, *b, *found;
	char *labels;

	a = add_wl(g, GRAPH_KIND_K8S, "ns", "Deployment", "a", c->labels_before, c->addrs_before);
	b = add_wl(g, GRAPH_KIND_K8S, "ns", "Deployment", "b", NULL, NULL);
	graph_add_edge(g, a, b, IPPROTO_TCP, 80, 3, 10, 20);
	graph_add_edge(g, b, a, IPPROTO_TCP, 81, 1, 10, 20);

	found = add_wl(g, GRAPH_KIND_K8S, "ns", "Deployment", "a", c->labels_after, c->addrs_after);
	ck_assert_ptr_eq(graph_find_workload(g, "k8s:ns/deployment/a"), found);
	ck_assert_uint_eq(graph_workload_count(g), 2);
	labels = label_join(found);
	ck_assert_str_eq(labels, c->expect_labels);
	free(labels);
	ck_assert_uint_eq(graph_workload_address_count(found), c->addrs_after ? 1 : 0);

	/* both edges survived and now point at the new workload */
	ck_assert_uint_eq(graph_edge_count(g), 2);
	ck_assert_ptr_eq(graph_edge_client(graph_edge(g, 0)), found);
	ck_assert_ptr_eq(graph_edge_server(graph_edge(g, 1)), found);
	ck_assert_uint_eq(graph_edge_connections(graph_edge(g, 0)), 3);
	/* and adding to the edge through the new workload sums into the same edge */
	graph_add_edge(g, found, b, IPPROTO_TCP, 80, 1, 5, 30);
	ck_assert_uint_eq(graph_edge_count(g), 2);
	ck_assert_uint_eq(graph_edge_connections(graph_edge(g, 0)), 4);
	ck_assert_uint_eq(graph_edge_first_ns(graph_edge(g, 0)), 5);
	ck_assert_uint_eq(graph_edge_last_ns(graph_edge(g, 0)), 30);
	graph_free(g);
}
END_TEST

static const struct counter_case {
	struct {
		const char *name;
		uint64_t n;
	} ops[6];
	const char *expect;
} counter_cases[] = {
	{{{"packets", 5}}, "packets=5"},
	{{{"packets", 5}, {"packets", 7}}, "packets=12"},
	{{{"truncated", 1}, {"flows", 2}, {"packets", 3}, {"flows", 0}},
	 "flows=2,packets=3,truncated=1"},
	{{{"b", 0}, {"a", UINT64_MAX}}, "a=18446744073709551615,b=0"},
	{{{NULL, 0}}, ""},
};

START_TEST(test_graph_counters)
{
	const struct counter_case *c = &counter_cases[_i];
	struct graph *g = graph_new();
	char *s = util_strdup(""), *n;

	for (size_t i = 0; i < UTIL_ARRAY_SIZE(c->ops) && c->ops[i].name; i++)
		graph_add_counter(g, c->ops[i].name, c->ops[i].n);
	for (size_t i = 0; i < graph_counter_count(g); i++) {
		n = util_asprintf("%s%s%s=%" PRIu64, s, i ? "," : "", graph_counter_name(g, i),
				  graph_counter_value(g, i));
		free(s);
		s = n;
	}
	ck_assert_str_eq(s, c->expect);
	ck_assert_ptr_null(graph_counter_name(g, graph_counter_count(g)));
	free(s);
	graph_free(g);
}
END_TEST

/* Spans of the observation window, added in order: the windows that result, "from-until,...". */
static const struct window_case {
	uint64_t spans[8][2];
	size_t n;
	const char *expect;
} window_cases[] = {
	{{{10, 20}}, 1, "10-20"},
	{{{10, 20}, {30, 40}}, 2, "10-20,30-40"},
	{{{30, 40}, {10, 20}}, 2, "10-20,30-40"},
	{{{10, 20}, {20, 30}}, 2, "10-30"}, /* touching */
	{{{10, 20}, {15, 30}}, 2, "10-30"}, /* overlapping */
	{{{10, 20}, {12, 18}}, 2, "10-20"}, /* inside */
	{{{10, 20}, {30, 40}, {50, 60}, {15, 55}}, 4, "10-60"},
	{{{10, 20}, {30, 40}, {50, 60}, {25, 28}}, 4, "10-20,25-28,30-40,50-60"},
	{{{10, 20}, {10, 20}}, 2, "10-20"}, /* the same capture learned twice */
	{{{20, 10}}, 1, "20-20"},	    /* until before from: a moment */
	{{{0, UINT64_MAX}, {5, 6}}, 2, "0-18446744073709551615"},
};

static char *windows_text(const struct graph *g)
{
	char *s = util_strdup(""), *n;

	for (size_t i = 0; i < graph_window_count(g); i++) {
		uint64_t from, until;

		graph_window(g, i, &from, &until);
		n = util_asprintf("%s%s%" PRIu64 "-%" PRIu64, s, i ? "," : "", from, until);
		free(s);
		s = n;
	}
	return s;
}

START_TEST(test_graph_windows)
{
	const struct window_case *c = &window_cases[_i];
	struct graph *g = graph_new();
	char *got;

	for (size_t i = 0; i < c->n; i++)
		graph_add_window(g, c->spans[i][0], c->spans[i][1]);
	got = windows_text(g);
	ck_assert_str_eq(got, c->expect);
	free(got);
	graph_free(g);
}
END_TEST

/*
 * More spans than are kept: the closest are joined, whatever order the spans came in. Spans of
 * 10 s, 100 s apart, but one gap of 2 s: joining gaps under 4 s makes them few enough.
 */
START_TEST(test_graph_windows_cap)
{
	struct graph *a = graph_new(), *b = graph_new();
	uint64_t from, until, s = 1000000000ULL;
	char *ta, *tb;

	for (uint64_t i = 0; i <= GRAPH_MAX_WINDOWS; i++) {
		uint64_t start = (i * 110 - (i > 100 ? 98 : 0)) * s;
		uint64_t j = GRAPH_MAX_WINDOWS - i, rstart = (j * 110 - (j > 100 ? 98 : 0)) * s;

		graph_add_window(a, start, start + 10 * s);
		graph_add_window(b, rstart, rstart + 10 * s); /* the other way round */
	}
	ck_assert_uint_eq(graph_window_count(a), GRAPH_MAX_WINDOWS);
	graph_window(a, 100, &from, &until);
	ck_assert_uint_eq(from, 11000 * s);
	ck_assert_uint_eq(until, (101 * 110 - 98 + 10) * s);
	graph_window(a, GRAPH_MAX_WINDOWS - 1, &from, &until);
	ck_assert_uint_eq(until, (GRAPH_MAX_WINDOWS * 110 - 98 + 10) * s);
	ta = windows_text(a);
	tb = windows_text(b);
	ck_assert_str_eq(ta, tb);
	free(ta);
	free(tb);
	graph_free(a);
	graph_free(b);
}
END_TEST

/*
 * Who ran when: noted directly, by an edge (both ends, k8s and docker only), and kept by a
 * merge as the earliest and the latest.
 */
START_TEST(test_graph_running)
{
	struct graph *g = graph_new(), *h = graph_new();
	const struct graph_workload *web, *node, *job;
	uint64_t first = 0, last = 0;

	add_wl(g, GRAPH_KIND_K8S, "shop", "Deployment", "web", "app=web", NULL);
	add_wl(g, GRAPH_KIND_K8S, "shop", "CronJob", "report", "app=report", NULL);
	add_wl(g, GRAPH_KIND_NODE, NULL, NULL, "worker-1", NULL, "10.0.0.5/32");
	web = graph_find_workload(g, "k8s:shop/deployment/web");
	job = graph_find_workload(g, "k8s:shop/cronjob/report");
	node = graph_find_workload(g, "node:worker-1");
	ck_assert(!graph_workload_running(g, web, NULL, NULL));
	graph_note_running(g, web, 100, 200);
	graph_note_running(g, web, 50, 60);
	ck_assert(graph_workload_running(g, web, &first, &last));
	ck_assert_uint_eq(first, 50);
	ck_assert_uint_eq(last, 200);
	graph_note_running(g, node, 1, 2); /* a node just is */
	ck_assert(!graph_workload_running(g, node, NULL, NULL));
	add_edge_ids(g, "node:worker-1", "k8s:shop/deployment/web", IPPROTO_TCP, 80, 1, 300, 400);
	ck_assert(graph_workload_running(g, web, &first, &last));
	ck_assert_uint_eq(last, 400);
	ck_assert(!graph_workload_running(g, node, NULL, NULL));
	ck_assert(!graph_workload_running(g, job, NULL, NULL));

	add_wl(h, GRAPH_KIND_K8S, "shop", "CronJob", "report", "app=report", NULL);
	add_wl(h, GRAPH_KIND_K8S, "shop", "Deployment", "web", "app=web", NULL);
	graph_note_running(h, graph_find_workload(h, "k8s:shop/cronjob/report"), 7, 9);
	graph_note_running(h, graph_find_workload(h, "k8s:shop/deployment/web"), 10, 1000);
	ck_assert_int_eq(graph_merge(g, h, NULL), 0);
	job = graph_find_workload(g, "k8s:shop/cronjob/report");
	web = graph_find_workload(g, "k8s:shop/deployment/web");
	ck_assert(graph_workload_running(g, job, &first, &last));
	ck_assert_uint_eq(first, 7);
	ck_assert_uint_eq(last, 9);
	ck_assert(graph_workload_running(g, web, &first, &last));
	ck_assert_uint_eq(first, 10);
	ck_assert_uint_eq(last, 1000);
	graph_free(g);
	graph_free(h);
}
END_TEST

/* ---- Nodes and merging -------------------------------------------------------------------- */

static const struct node_name_case {
	const char *name; /* NULL: repeat 'a' n times */
	size_t n;
	bool valid;
} node_name_cases[] = {
	{"worker-1", 0, true},
	{"a", 0, true},
	{"1", 0, true},
	{"A.b_c-d", 0, true},
	{"ip-10-0-0-5.ec2.internal", 0, true},
	{"", 0, false},
	{"-a", 0, false},
	{".a", 0, false},
	{"_a", 0, false},
	{"a b", 0, false},
	{"a/b", 0, false},
	{"a\nb", 0, false},
	{"a:b", 0, false},
	{"\xc3\xa4", 0, false},
	{"a\"b", 0, false},
	{NULL, 253, true},
	{NULL, 254, false},
	{NULL, 100000, false},
};

START_TEST(test_node_names)
{
	const struct node_name_case *c = &node_name_cases[_i];
	struct graph *g = graph_new();
	char *name = c->name ? util_strdup(c->name) : util_zalloc(c->n + 1);

	if (!c->name)
		memset(name, 'a', c->n);
	ck_assert_int_eq(graph_node_name_valid(name), c->valid);
	ck_assert_int_eq(graph_claim_node(g, name), c->valid ? 0 : -EINVAL);
	if (*name) /* "" is the unnamed node: use_node takes it, claim does not */
		ck_assert_int_eq(graph_use_node(g, name), c->valid ? 0 : -EINVAL);
	ck_assert_uint_eq(graph_node_count(g), c->valid ? 1 : 0);
	if (c->valid)
		ck_assert_str_eq(graph_node_name(g, 0), name);
	free(name);
	graph_free(g);
}
END_TEST

/* Node names, per-edge counts and per-node counters: what graph_dump() does not show. */
static char *nodes_dump(const struct graph *g)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	uint64_t v;

	ck_assert_ptr_nonnull(f);
	fputs("nodes:", f);
	for (size_t i = 0; i < graph_node_count(g); i++)
		fprintf(f, "%s%s", i ? "," : "", graph_node_name(g, i));
	fputc('\n', f);
	for (size_t i = 0; i < graph_edge_count(g); i++) {
		const struct graph_edge *e = graph_edge(g, i);

		fprintf(f, "edge %s->%s %u n=%" PRIu64 " %" PRIu64 "..%" PRIu64 " [",
			graph_workload_name(graph_edge_client(e)),
			graph_workload_name(graph_edge_server(e)), graph_edge_port(e),
			graph_edge_connections(e), graph_edge_first_ns(e), graph_edge_last_ns(e));
		for (size_t j = 0; j < graph_edge_node_count(e); j++)
			fprintf(f, "%s%s=%" PRIu64, j ? "," : "", graph_edge_node_name(e, j),
				graph_edge_node_connections(e, j));
		fputs("]\n", f);
		ck_assert_ptr_null(graph_edge_node_name(e, graph_edge_node_count(e)));
	}
	for (size_t i = 0; i < graph_attempt_count(g); i++) {
		const struct graph_attempt *a = graph_attempt(g, i);
		uint64_t refused, unanswered;

		fprintf(f, "attempt %s->%s %u [", graph_workload_name(graph_attempt_client(a)),
			graph_workload_name(graph_attempt_server(a)), graph_attempt_proto(a));
		for (size_t j = 0; j < graph_attempt_node_count(a); j++) {
			graph_attempt_node_counts(a, j, &refused, &unanswered);
			fprintf(f, "%s%s=%" PRIu64 "/%" PRIu64, j ? "," : "",
				graph_attempt_node_name(a, j), refused, unanswered);
		}
		fputs("]\n", f);
	}
	for (size_t i = 0; i < graph_counter_count(g); i++) {
		bool first = true;

		fprintf(f, "counter %s=%" PRIu64 " [", graph_counter_name(g, i),
			graph_counter_value(g, i));
		for (size_t j = 0; j < graph_node_count(g); j++) {
			if (graph_counter_node_value(g, i, j, &v) < 0)
				continue;
			fprintf(f, "%s%s=%" PRIu64, first ? "" : ",", graph_node_name(g, j), v);
			first = false;
		}
		fputs("]\n", f);
	}
	ck_assert_int_eq(graph_counter_node_value(g, graph_counter_count(g), 0, &v), -ENOENT);
	ck_assert_int_eq(fclose(f), 0);
	return buf;
}

/* What graph_state_save() writes for g, as a string. */
static char *saved_bytes(const struct graph *g)
{
	char *dir = test_tmpdir_new(), *path = util_asprintf("%s/s.yaml", dir), *buf;
	struct util_err err = {""};

	ck_assert_msg(graph_state_save(g, path, &err) == 0, "%s", err.msg);
	buf = test_read_file(path, NULL);
	ck_assert_ptr_nonnull(buf);
	free(path);
	test_tmpdir_free(dir);
	return buf;
}

static struct graph *load_merge_data(const char *file)
{
	char *path = util_asprintf("%s/%s", MERGE_DATA, file);
	struct graph *g = NULL;
	struct util_err err = {""};

	ck_assert_msg(graph_state_load(path, &g, &err) == 0, "%s", err.msg);
	free(path);
	return g;
}

/* A new graph: the inputs merged in order into an empty one. */
static struct graph *merge_all(struct graph *const *in, size_t n)
{
	struct graph *g = graph_new();
	struct util_err err = {""};

	for (size_t i = 0; i < n; i++)
		ck_assert_msg(graph_merge(g, in[i], &err) == 0, "%s", err.msg);
	return g;
}

enum claim_setup {
	CLAIM_FRESH,	 /* a new graph */
	CLAIM_UNNAMED,	 /* learned by an agent without --node */
	CLAIM_NAMED,	 /* learned by node a */
	CLAIM_MERGED,	 /* a and b */
	CLAIM_MERGED_UN, /* "" and a */
	CLAIM_LOADED,	 /* tests/data/merge/abc.yaml as learn loads it */
};

static const struct claim_case {
	const char *name;
	enum claim_setup setup;
	const char *node; /* NULL: learn without --node */
	int ret;
	const char *nodes_after; /* after one more connection was counted */
	const char *edge_after;	 /* the edge's counts then */
} claim_cases[] = {
	{"fresh, no name", CLAIM_FRESH, NULL, 0, "", "[=1]"},
	{"fresh, named", CLAIM_FRESH, "a", 0, "a", "[a=1]"},
	{"unnamed, no name", CLAIM_UNNAMED, NULL, 0, "", "[=3]"},
	{"unnamed takes the name", CLAIM_UNNAMED, "a", 0, "a", "[a=3]"},
	{"named, no name: stays its own", CLAIM_NAMED, NULL, 0, "a", "[a=3]"},
	{"named, same name", CLAIM_NAMED, "a", 0, "a", "[a=3]"},
	{"named, another name", CLAIM_NAMED, "b", -EEXIST, "a", "[a=2]"},
	{"named, invalid name", CLAIM_NAMED, "b c", -EINVAL, "a", "[a=2]"},
	{"merged, no name: the unnamed node", CLAIM_MERGED, NULL, 0, ",a,b", "[=1,a=2,b=5]"},
	{"merged, known name", CLAIM_MERGED, "b", 0, "a,b", "[a=2,b=6]"},
	{"merged, new name", CLAIM_MERGED, "c", 0, "a,b,c", "[a=2,b=5,c=1]"},
	{"merged with unnamed, no name", CLAIM_MERGED_UN, NULL, 0, ",a", "[=6,a=2]"},
	{"merged with unnamed, new name", CLAIM_MERGED_UN, "b", 0, ",a,b", "[=5,a=2,b=1]"},
	{"loaded merged, no name", CLAIM_LOADED, NULL, 0, ",worker-a,worker-b,worker-c",
	 "[=1,worker-a=5,worker-b=4]"},
	{"loaded merged, a name in it", CLAIM_LOADED, "worker-b", 0, "worker-a,worker-b,worker-c",
	 "[worker-a=5,worker-b=5]"},
};

START_TEST(test_node_claim)
{
	const struct claim_case *c = &claim_cases[_i];
	struct graph *g;
	const struct graph_workload *x, *y;
	const struct graph_edge *e;
	char *nodes = util_strdup(""), *edge, *before = NULL, *after, *tmp;

	if (c->setup == CLAIM_LOADED) {
		g = load_merge_data("abc.yaml");
	} else {
		g = graph_new();
		add_wl(g, GRAPH_KIND_K8S, "shop", "Deployment", "frontend", NULL, NULL);
		add_wl(g, GRAPH_KIND_K8S, "shop", "Deployment", "cart", NULL, NULL);
	}
	x = graph_find_workload(g, "k8s:shop/deployment/frontend");
	y = graph_find_workload(g, "k8s:shop/deployment/cart");
	switch (c->setup) {
	case CLAIM_FRESH:
	case CLAIM_LOADED:
		break;
	case CLAIM_UNNAMED:
		graph_add_edge(g, x, y, IPPROTO_TCP, 8080, 2, 1, 2);
		break;
	case CLAIM_NAMED:
		ck_assert_int_eq(graph_use_node(g, "a"), 0);
		graph_add_edge(g, x, y, IPPROTO_TCP, 8080, 2, 1, 2);
		break;
	case CLAIM_MERGED:
	case CLAIM_MERGED_UN:
		ck_assert_int_eq(graph_use_node(g, c->setup == CLAIM_MERGED ? "b" : ""), 0);
		graph_add_edge(g, x, y, IPPROTO_TCP, 8080, 5, 1, 2);
		ck_assert_int_eq(graph_use_node(g, "a"), 0);
		graph_add_edge(g, x, y, IPPROTO_TCP, 8080, 2, 1, 2);
		ck_assert_int_eq(graph_use_node(g, NULL), 0); /* as load leaves it */
		break;
	}
	if (c->ret < 0)
		before = saved_bytes(g);
	if (c->node)
		ck_assert_int_eq(graph_claim_node(g, c->node), c->ret);
	if (c->ret == 0) {
		graph_add_edge(g, x, y, IPPROTO_TCP, 8080, 1, 1, 2);
	} else { /* refused: nothing changed */
		after = saved_bytes(g);
		ck_assert_str_eq(after, before);
		free(after);
	}
	for (size_t i = 0; i < graph_node_count(g); i++) {
		tmp = util_asprintf("%s%s%s", nodes, i ? "," : "", graph_node_name(g, i));
		free(nodes);
		nodes = tmp;
	}
	ck_assert_ptr_null(graph_node_name(g, graph_node_count(g)));
	ck_assert_msg(strcmp(nodes, c->nodes_after) == 0, "%s: nodes %s", c->name, nodes);
	e = NULL;
	for (size_t i = 0; i < graph_edge_count(g); i++)
		if (graph_edge_client(graph_edge(g, i)) == x &&
		    graph_edge_server(graph_edge(g, i)) == y)
			e = graph_edge(g, i);
	ck_assert_ptr_nonnull(e);
	edge = util_strdup("[");
	for (size_t i = 0; i < graph_edge_node_count(e); i++) {
		tmp = util_asprintf("%s%s%s=%" PRIu64, edge, i ? "," : "",
				    graph_edge_node_name(e, i), graph_edge_node_connections(e, i));
		free(edge);
		edge = tmp;
	}
	tmp = util_asprintf("%s]", edge);
	free(edge);
	edge = tmp;
	ck_assert_msg(strcmp(edge, c->edge_after) == 0, "%s: edge %s", c->name, edge);
	free(edge);
	free(nodes);
	free(before);
	graph_free(g);
}
END_TEST

/* Graphs for the algebra: files, and graphs only the API makes. */
static struct graph *mk_a(void)
{
	return load_merge_data("a.yaml");
}

static struct graph *mk_a_later(void)
{
	return load_merge_data("a-later.yaml");
}

static struct graph *mk_b(void)
{
	return load_merge_data("b.yaml");
}

static struct graph *mk_c(void)
{
	return load_merge_data("c.yaml");
}

static struct graph *mk_abc(void)
{
	return load_merge_data("abc.yaml");
}

static struct graph *mk_unnamed(void)
{
	return load_merge_data("unnamed.yaml");
}

/* Many nodes, named so that hash order and insertion order are not name order. */
static struct graph *mk_many(int seed)
{
	struct graph *g = graph_new();
	const struct graph_workload *w[4];
	char name[32];

	for (int i = 0; i < 4; i++) {
		snprintf(name, sizeof(name), "w%d", i);
		w[i] = add_wl(g, GRAPH_KIND_K8S, "ns", "Deployment", name, "app=x", NULL);
	}
	for (int i = 0; i < 60; i++) {
		int k = (i * 37 + seed * 11) % 60;

		snprintf(name, sizeof(name), "node-%02d", k);
		ck_assert_int_eq(graph_use_node(g, name), 0);
		graph_add_edge(g, w[k % 4], w[(k / 4) % 4], IPPROTO_TCP, (uint16_t)(80 + k % 3),
			       (uint64_t)(k * seed + 1), T0 + (uint64_t)(k + seed),
			       T0 + (uint64_t)(100 + k * seed));
		graph_add_counter(g, "flows", (uint64_t)(k + seed));
		if (k % 5 == seed % 5)
			graph_add_counter(g, "pcap-drops", (uint64_t)k);
	}
	return g;
}

static struct graph *mk_many1(void)
{
	return mk_many(1);
}

static struct graph *mk_many2(void)
{
	return mk_many(2);
}

/* Counts at the top of the range: sums saturate, maxima do not. */
static struct graph *mk_huge(void)
{
	struct graph *g = graph_new();
	const struct graph_workload *a, *b;

	a = add_wl(g, GRAPH_KIND_K8S, "ns", "Deployment", "w0", "app=x", NULL);
	b = add_wl(g, GRAPH_KIND_K8S, "ns", "Deployment", "w1", "app=x", NULL);
	ck_assert_int_eq(graph_use_node(g, "x"), 0);
	graph_add_edge(g, a, b, IPPROTO_TCP, 80, UINT64_MAX, 0, UINT64_MAX);
	graph_add_counter(g, "flows", UINT64_MAX);
	ck_assert_int_eq(graph_use_node(g, "node-07"), 0);
	graph_add_edge(g, a, b, IPPROTO_TCP, 80, UINT64_MAX - 1, 5, 6);
	graph_add_counter(g, "flows", 3);
	return g;
}

/* Attempts seen by two nodes, some of them on both, with ports that overflow the examples. */
static struct graph *mk_scan(const char *node, int seed)
{
	struct graph *g = graph_new();
	const struct graph_workload *a, *b;

	a = add_wl(g, GRAPH_KIND_K8S, "shop", "Deployment", "frontend", "app=frontend", NULL);
	b = add_wl(g, GRAPH_KIND_K8S, "shop", "Deployment", "cart", "app=cart", NULL);
	ck_assert_int_eq(graph_use_node(g, node), 0);
	graph_add_edge(g, a, b, IPPROTO_TCP, 8080, 2, T0, T0 + 1);
	for (int i = 0; i < 6; i++) {
		uint16_t port = (uint16_t)(20 + i * seed);

		ck_assert(graph_add_attempt(g, a, b, IPPROTO_TCP, &port, 1, (uint64_t)seed,
					    (uint64_t)i, T0 + (uint64_t)(i * seed),
					    T0 + (uint64_t)(10 * seed)));
	}
	ck_assert(graph_add_attempt(g, b, a, IPPROTO_ICMP, NULL, 0, 0, (uint64_t)seed, T0, T0));
	return g;
}

static struct graph *mk_scan_a(void)
{
	return mk_scan("worker-a", 1);
}

static struct graph *mk_scan_b(void)
{
	return mk_scan("worker-b", 3);
}

static struct graph *mk_good_attempts(void)
{
	return load_merge_data("good-attempts.yaml");
}

static const struct algebra_case {
	const char *name;
	struct graph *(*mk[3])(void);
} algebra_cases[] = {
	{"three nodes", {mk_a, mk_b, mk_c}},
	{"a later snapshot of one node", {mk_a, mk_a_later, mk_b}},
	{"a merge and its parts", {mk_abc, mk_a, mk_c}},
	{"unnamed and named", {mk_unnamed, mk_a, mk_c}},
	{"the empty state", {build_empty, mk_a, build_empty}},
	{"unnamed states of other workloads", {build_quoting, build_many, mk_b}},
	{"sixty nodes each", {mk_many1, mk_many2, mk_c}},
	{"saturated counts", {mk_huge, mk_many1, mk_huge}},
	{"attempts", {mk_scan_a, mk_scan_b, mk_good_attempts}},
	{"attempts and a merged state with some", {mk_good_attempts, mk_scan_a, mk_abc}},
};

START_TEST(test_merge_algebra)
{
	const struct algebra_case *c = &algebra_cases[_i];
	struct graph *a = c->mk[0](), *b = c->mk[1](), *x = c->mk[2]();
	struct graph *ab = merge_all((struct graph *[]){a, b}, 2);
	struct graph *ba = merge_all((struct graph *[]){b, a}, 2);
	struct graph *bc = merge_all((struct graph *[]){b, x}, 2);
	struct graph *ab_c = merge_all((struct graph *[]){ab, x}, 2);
	struct graph *a_bc = merge_all((struct graph *[]){a, bc}, 2);
	struct graph *aa = merge_all((struct graph *[]){a, a}, 2);
	struct graph *a1 = merge_all((struct graph *[]){a}, 1);
	struct graph *loaded = NULL;
	char *s_a = saved_bytes(a), *s_b = saved_bytes(b), *s_ab = saved_bytes(ab);
	char *s_ba = saved_bytes(ba), *s_ab_c = saved_bytes(ab_c), *s_a_bc = saved_bytes(a_bc);
	char *s_aa = saved_bytes(aa), *s_a1 = saved_bytes(a1), *s_b2, *s_again, *d1, *d2;
	char *dir = test_tmpdir_new(), *path = util_asprintf("%s/abc.yaml", dir);
	struct util_err err = {""};

	ck_assert_msg(strcmp(s_ab, s_ba) == 0, "%s: merge(A,B) != merge(B,A):\n%s\n----\n%s",
		      c->name, s_ab, s_ba);
	ck_assert_msg(strcmp(s_ab_c, s_a_bc) == 0, "%s: not associative:\n%s\n----\n%s", c->name,
		      s_ab_c, s_a_bc);
	ck_assert_msg(strcmp(s_aa, s_a) == 0, "%s: merge(A,A) != A:\n%s", c->name, s_aa);
	ck_assert_msg(strcmp(s_a1, s_a) == 0, "%s: merge(A) != A:\n%s", c->name, s_a1);
	/* merging into itself what it already holds changes nothing */
	ck_assert_int_eq(graph_merge(ab_c, b, &err), 0);
	s_again = saved_bytes(ab_c);
	ck_assert_str_eq(s_again, s_ab_c);
	free(s_again);
	/* the input is read, never changed */
	s_b2 = saved_bytes(b);
	ck_assert_str_eq(s_b2, s_b);
	/* a merged state reads back to the same graph and the same bytes */
	ck_assert_msg(graph_state_save(ab_c, path, &err) == 0, "%s", err.msg);
	ck_assert_msg(graph_state_load(path, &loaded, &err) == 0, "%s: %s", c->name, err.msg);
	s_again = saved_bytes(loaded);
	ck_assert_str_eq(s_again, s_ab_c);
	d1 = nodes_dump(ab_c);
	d2 = nodes_dump(loaded);
	ck_assert_str_eq(d2, d1);
	free(d1);
	free(d2);
	d1 = graph_dump(ab_c);
	d2 = graph_dump(loaded);
	ck_assert_str_eq(d2, d1);

	free(d1);
	free(d2);
	free(s_again);
	free(s_b2);
	free(s_a);
	free(s_b);
	free(s_ab);
	free(s_ba);
	free(s_ab_c);
	free(s_a_bc);
	free(s_aa);
	free(s_a1);
	free(path);
	test_tmpdir_free(dir);
	graph_free(loaded);
	graph_free(a);
	graph_free(b);
	graph_free(x);
	graph_free(ab);
	graph_free(ba);
	graph_free(bc);
	graph_free(ab_c);
	graph_free(a_bc);
	graph_free(aa);
	graph_free(a1);
}
END_TEST

/* What one agent counted: on graph 0 or 1, for node, an edge between workloads w0..w2. */
struct count_op {
	int graph;
	const char *node;
	int client, server; /* -1: a counter instead */
	const char *counter;
	uint64_t n, first, last;
};

static const struct count_case {
	const char *name;
	struct count_op ops[8];
	size_t n_ops;
	const char *expect; /* nodes_dump() of merge(graph 0, graph 1) */
} count_cases[] = {
	{"one node twice: the larger count, the wider times",
	 {{0, "a", 0, 1, NULL, 5, 10, 20}, {1, "a", 0, 1, NULL, 7, 5, 15}},
	 2,
	 "nodes:a\nedge w0->w1 80 n=7 5..20 [a=7]\n"},
	{"two nodes add up",
	 {{0, "a", 0, 1, NULL, 5, 10, 20}, {1, "b", 0, 1, NULL, 3, 30, 40}},
	 2,
	 "nodes:a,b\nedge w0->w1 80 n=8 10..40 [a=5,b=3]\n"},
	{"per node maximum, then the sum",
	 {{0, "a", 0, 1, NULL, 5, 1, 1},
	  {0, "b", 0, 1, NULL, 2, 1, 1},
	  {1, "c", 0, 1, NULL, 1, 1, 1},
	  {1, "b", 0, 1, NULL, 6, 1, 1},
	  {1, "a", 0, 1, NULL, 4, 1, 1}},
	 5,
	 "nodes:a,b,c\nedge w0->w1 80 n=12 1..1 [a=5,b=6,c=1]\n"},
	{"counters: per node maximum, the total their sum",
	 {{0, "a", -1, -1, "packets", 100, 0, 0},
	  {0, "a", -1, -1, "flows", 1, 0, 0},
	  {1, "a", -1, -1, "packets", 150, 0, 0},
	  {1, "b", -1, -1, "packets", 20, 0, 0}},
	 4,
	 "nodes:a,b\ncounter flows=1 [a=1]\ncounter packets=170 [a=150,b=20]\n"},
	{"unnamed states are one node",
	 {{0, NULL, 0, 1, NULL, 5, 1, 2},
	  {1, NULL, 0, 1, NULL, 3, 1, 2},
	  {1, NULL, -1, -1, "flows", 3, 0, 0}},
	 3,
	 "nodes:\nedge w0->w1 80 n=5 1..2 [=5]\ncounter flows=3 [=3]\n"},
	{"sums saturate",
	 {{0, "a", 0, 1, NULL, UINT64_MAX, 0, UINT64_MAX},
	  {1, "b", 0, 1, NULL, 1, 3, 4},
	  {0, "a", -1, -1, "flows", UINT64_MAX, 0, 0},
	  {1, "b", -1, -1, "flows", 1, 0, 0}},
	 4,
	 "nodes:a,b\nedge w0->w1 80 n=18446744073709551615 0..18446744073709551615 "
	 "[a=18446744073709551615,b=1]\n"
	 "counter flows=18446744073709551615 [a=18446744073709551615,b=1]\n"},
	{"zero counts (open flows) are kept",
	 {{0, "a", 0, 1, NULL, 0, 1, 2}, {1, "b", 0, 1, NULL, 0, 3, 4}},
	 2,
	 "nodes:a,b\nedge w0->w1 80 n=0 1..4 [a=0,b=0]\n"},
	{"edges only one side has",
	 {{0, "a", 0, 1, NULL, 1, 1, 2}, {1, "b", 1, 2, NULL, 2, 3, 4}},
	 2,
	 "nodes:a,b\nedge w0->w1 80 n=1 1..2 [a=1]\nedge w1->w2 80 n=2 3..4 [b=2]\n"},
};

START_TEST(test_merge_counts)
{
	const struct count_case *c = &count_cases[_i];
	struct graph *g[2];
	struct graph *ab, *ba;
	char *d_ab, *d_ba;

	for (int i = 0; i < 2; i++) {
		g[i] = graph_new();
		for (int k = 0; k < 3; k++) {
			char name[8];

			snprintf(name, sizeof(name), "w%d", k);
			add_wl(g[i], GRAPH_KIND_K8S, "ns", "Deployment", name, NULL, NULL);
		}
	}
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(c->ops) &&
			   (c->ops[i].node || c->ops[i].n || c->ops[i].counter || c->ops[i].last);
	     i++) {
		const struct count_op *op = &c->ops[i];
		struct graph *t = g[op->graph];
		char cid[32], sid[32];

		ck_assert_int_eq(graph_use_node(t, op->node), 0);
		if (op->counter) {
			graph_add_counter(t, op->counter, op->n);
			continue;
		}
		snprintf(cid, sizeof(cid), "k8s:ns/deployment/w%d", op->client);
		snprintf(sid, sizeof(sid), "k8s:ns/deployment/w%d", op->server);
		add_edge_ids(t, cid, sid, IPPROTO_TCP, 80, op->n, op->first, op->last);
	}
	ab = merge_all(g, 2);
	ba = merge_all((struct graph *[]){g[1], g[0]}, 2);
	d_ab = nodes_dump(ab);
	d_ba = nodes_dump(ba);
	ck_assert_msg(strcmp(d_ab, c->expect) == 0, "%s:\n  got\n%s  expected\n%s", c->name, d_ab,
		      c->expect);
	ck_assert_str_eq(d_ba, d_ab);
	free(d_ab);
	free(d_ba);
	graph_free(ab);
	graph_free(ba);
	graph_free(g[0]);
	graph_free(g[1]);
}
END_TEST

/* graph_find_edge: by ids, direction, protocol and port; nothing else matches. */
static const struct find_edge_case {
	const char *client, *server;
	uint8_t proto;
	uint16_t port;
	bool found;
} find_edge_cases[] = {
	{"k8s:ns/deployment/a", "k8s:ns/deployment/b", IPPROTO_TCP, 80, true},
	{"k8s:ns/deployment/a", "k8s:ns/deployment/b", IPPROTO_UDP, 80, false},
	{"k8s:ns/deployment/a", "k8s:ns/deployment/b", IPPROTO_TCP, 81, false},
	{"k8s:ns/deployment/b", "k8s:ns/deployment/a", IPPROTO_TCP, 80, false},
	{"k8s:ns/deployment/a", "k8s:ns/deployment/a", IPPROTO_TCP, 80, false},
	{"k8s:ns/deployment/a", "k8s:ns/deployment/c", IPPROTO_TCP, 80, false},
	{"k8s:ns/deployment/b", "k8s:ns/deployment/b", IPPROTO_UDP, 53, true},
	{"k8s:ns/deployment/missing", "k8s:ns/deployment/b", IPPROTO_TCP, 80, false},
	{"", "", 0, 0, false},
};

START_TEST(test_find_edge)
{
	const struct find_edge_case *c = &find_edge_cases[_i];
	struct graph *g = graph_new();
	const struct graph_edge *e;

	add_wl(g, GRAPH_KIND_K8S, "ns", "Deployment", "a", NULL, NULL);
	add_wl(g, GRAPH_KIND_K8S, "ns", "Deployment", "b", NULL, NULL);
	add_wl(g, GRAPH_KIND_K8S, "ns", "Deployment", "c", NULL, NULL);
	add_edge_ids(g, "k8s:ns/deployment/a", "k8s:ns/deployment/b", IPPROTO_TCP, 80, 1, 1, 2);
	add_edge_ids(g, "k8s:ns/deployment/b", "k8s:ns/deployment/b", IPPROTO_UDP, 53, 1, 1, 2);
	e = graph_find_edge(g, c->client, c->server, c->proto, c->port);
	ck_assert_msg((e != NULL) == c->found, "%s -> %s %u/%u", c->client, c->server, c->proto,
		      c->port);
	if (e) {
		ck_assert_str_eq(graph_workload_id(graph_edge_client(e)), c->client);
		ck_assert_str_eq(graph_workload_id(graph_edge_server(e)), c->server);
		ck_assert_uint_eq(graph_edge_proto(e), c->proto);
		ck_assert_uint_eq(graph_edge_port(e), c->port);
	}
	graph_free(g);
}
END_TEST

/*
 * The same workload id described by two states. Labels may differ (a rollout relabelled it
 * between an older and a newer state): the labels of the state whose edges saw it last win,
 * and on a tie the larger label set (more labels, then by key and value). Anything else that
 * differs is an error.
 */
static const struct conflict_case {
	const char *name;
	const char *ctrl[2], *labels[2], *addrs[2];
	uint64_t last[2]; /* last-seen of each state's edge from w; 0 is 2 */
	int ret;
	const char *expect; /* the message, or the merged addresses */
	const char *labels_want;
} conflict_cases[] = {
	{"same",
	 {"Deployment", "Deployment"},
	 {"app=x", "app=x"},
	 {NULL, NULL},
	 {0, 0},
	 0,
	 "",
	 "app=x"},
	{"a label value, seen as late: the larger",
	 {"Deployment", "Deployment"},
	 {"app=x", "app=y"},
	 {NULL, NULL},
	 {0, 0},
	 0,
	 "",
	 "app=y"},
	{"a label value, the first seen later",
	 {"Deployment", "Deployment"},
	 {"app=y", "app=x"},
	 {NULL, NULL},
	 {0, 0},
	 0,
	 "",
	 "app=y"},
	{"a label more, seen as late: the more",
	 {"Deployment", "Deployment"},
	 {"app=x", "app=x;tier=web"},
	 {NULL, NULL},
	 {0, 0},
	 0,
	 "",
	 "app=x;tier=web"},
	{"a label fewer, but seen later",
	 {"Deployment", "Deployment"},
	 {"app=x;tier=web", "app=x"},
	 {NULL, NULL},
	 {2, 9},
	 0,
	 "",
	 "app=x"},
	{"a label value, the smaller seen later",
	 {"Deployment", "Deployment"},
	 {"app=y", "app=x"},
	 {NULL, NULL},
	 {3, 4},
	 0,
	 "",
	 "app=x"},
	{"a label key",
	 {"Deployment", "Deployment"},
	 {"app=x", "apq=x"},
	 {NULL, NULL},
	 {0, 0},
	 0,
	 "",
	 "apq=x"},
	{"labels and none",
	 {"Deployment", "Deployment"},
	 {"app=x", NULL},
	 {NULL, NULL},
	 {0, 0},
	 0,
	 "",
	 "app=x"},
	{"labels win, addresses are united",
	 {"Deployment", "Deployment"},
	 {"app=x", "app=y"},
	 {"10.0.0.2/32", "10.0.0.1/32"},
	 {5, 1},
	 0,
	 "10.0.0.1/32,10.0.0.2/32",
	 "app=x"},
	{"the controller's spelling",
	 {"Deployment", "DEPLOYMENT"},
	 {NULL, NULL},
	 {NULL, NULL},
	 {0, 0},
	 -EEXIST,
	 "workload \"k8s:ns/deployment/w\" has different controller",
	 NULL},
	{"addresses are united",
	 {"Deployment", "Deployment"},
	 {NULL, NULL},
	 {"10.0.0.2/32;10.0.0.9/32", "10.0.0.1/32;10.0.0.9/32"},
	 {0, 0},
	 0,
	 "10.0.0.1/32,10.0.0.2/32,10.0.0.9/32",
	 ""},
	{"addresses already held",
	 {"Deployment", "Deployment"},
	 {NULL, NULL},
	 {"10.0.0.1/32;10.0.0.2/32", "10.0.0.2/32"},
	 {0, 0},
	 0,
	 "10.0.0.1/32,10.0.0.2/32",
	 ""},
	{"addresses only in the second",
	 {"Deployment", "Deployment"},
	 {NULL, NULL},
	 {NULL, "2001:db8::1/128"},
	 {0, 0},
	 0,
	 "2001:db8::1/128",
	 ""},
};

/* A workload's labels as add_wl() takes them: "k=v;k=v". */
static char *labels_of(const struct graph_workload *w)
{
	char *s = util_strdup(""), *tmp;

	for (size_t i = 0; i < graph_workload_label_count(w); i++) {
		tmp = util_asprintf("%s%s%s=%s", s, i ? ";" : "", graph_workload_label_key(w, i),
				    graph_workload_label_value(w, i));
		free(s);
		s = tmp;
	}
	return s;
}

START_TEST(test_merge_conflict)
{
	const struct conflict_case *c = &conflict_cases[_i];
	struct graph *g[2], *into;
	struct util_err err = {""};
	const struct graph_workload *w;
	char *before, *after, *addrs = util_strdup(""), *tmp, *labels;
	struct graph *other, *again;

	for (int i = 0; i < 2; i++) {
		g[i] = graph_new();
		add_wl(g[i], GRAPH_KIND_K8S, "ns", c->ctrl[i], "w", c->labels[i], c->addrs[i]);
		add_wl(g[i], GRAPH_KIND_K8S, "ns", "Deployment", i ? "only1" : "only0", NULL, NULL);
		ck_assert_int_eq(graph_use_node(g[i], i ? "b" : "a"), 0);
		add_edge_ids(g[i], "k8s:ns/deployment/w",
			     i ? "k8s:ns/deployment/only1" : "k8s:ns/deployment/only0", IPPROTO_TCP,
			     80, 1, 1, c->last[i] ? c->last[i] : 2);
	}
	into = merge_all(g, 1);
	before = saved_bytes(into);
	ck_assert_int_eq(graph_merge(into, g[1], &err), c->ret);
	if (c->ret < 0) {
		ck_assert_msg(strstr(err.msg, c->expect), "%s: got \"%s\"", c->name, err.msg);
		ck_assert_ptr_null(strchr(err.msg, '\n'));
		after = saved_bytes(into); /* unchanged, not half merged */
		ck_assert_str_eq(after, before);
		free(after);
	} else {
		w = graph_find_workload(into, "k8s:ns/deployment/w");
		for (size_t i = 0; i < graph_workload_address_count(w); i++) {
			tmp = util_asprintf("%s%s%s", addrs, i ? "," : "",
					    graph_workload_address(w, i));
			free(addrs);
			addrs = tmp;
		}
		ck_assert_msg(strcmp(addrs, c->expect) == 0, "%s: addresses %s", c->name, addrs);
		labels = labels_of(w);
		ck_assert_msg(strcmp(labels, c->labels_want) == 0, "%s: labels %s", c->name,
			      labels);
		free(labels);
		/* the other order, and merging the result again, give the same bytes */
		other = merge_all((struct graph *const[]){g[1], g[0]}, 2);
		again = merge_all((struct graph *const[]){into, g[1], g[0]}, 3);
		after = saved_bytes(into);
		labels = saved_bytes(other);
		ck_assert_msg(strcmp(after, labels) == 0, "%s: the order matters", c->name);
		free(labels);
		labels = saved_bytes(again);
		ck_assert_msg(strcmp(after, labels) == 0, "%s: merging again changes it", c->name);
		free(labels);
		free(after);
		graph_free(other);
		graph_free(again);
		ck_assert_uint_eq(graph_workload_count(into), 3);
		ck_assert_uint_eq(graph_edge_count(into), 2);
		/* both edges still lead to the one workload w */
		ck_assert_ptr_eq(graph_edge_client(graph_edge(into, 0)), w);
		ck_assert_ptr_eq(graph_edge_client(graph_edge(into, 1)), w);
	}
	free(addrs);
	free(before);
	graph_free(into);
	graph_free(g[0]);
	graph_free(g[1]);
}
END_TEST

/* Files merged in order; the result saved must be the golden file byte for byte. */
static const struct merge_golden_case {
	const char *in[4];
	const char *golden;
} merge_golden_cases[] = {
	{{"a.yaml", "b.yaml", "c.yaml"}, "abc.yaml"},
	{{"c.yaml", "b.yaml", "a.yaml"}, "abc.yaml"},
	{{"a-later.yaml", "b.yaml", "a.yaml", "c-only.yaml"}, "abc.yaml"},
	{{"abc.yaml", "a.yaml"}, "abc.yaml"},
	{{"a-later.yaml", "c-only.yaml"}, "c.yaml"},
	{{"unnamed.yaml", "a.yaml"}, "with-unnamed.yaml"},
	{{"a.yaml"}, "a.yaml"},
	{{"b.yaml", "b.yaml"}, "b.yaml"},
	{{"c.yaml"}, "c.yaml"},
	{{"with-unnamed.yaml"}, "with-unnamed.yaml"},
	{{"abc.yaml"}, "abc.yaml"},
};

START_TEST(test_merge_golden)
{
	const struct merge_golden_case *c = &merge_golden_cases[_i];
	struct graph *in[4];
	size_t n = 0;
	struct graph *g;
	char *path = util_asprintf("%s/%s", MERGE_DATA, c->golden), *got;

	for (; n < UTIL_ARRAY_SIZE(c->in) && c->in[n]; n++)
		in[n] = load_merge_data(c->in[n]);
	g = merge_all(in, n);
	got = saved_bytes(g);
	test_golden_check(path, got, strlen(got));
	free(got);
	free(path);
	graph_free(g);
	for (size_t i = 0; i < n; i++)
		graph_free(in[i]);
}
END_TEST

/* ---- Counter names: the state's rule, and names made from interfaces --------------------- */

static const struct counter_name_case {
	const char *prefix, *what; /* NULL prefix: what is checked as it is */
	const char *name;	   /* made; NULL for a prefix-less case */
	bool valid;
} counter_name_cases[] = {
	{NULL, "packets", NULL, true},
	{NULL, "pcap-drops.br-1a2b3c", NULL, true},
	{NULL, "a", NULL, true},
	{NULL, "", NULL, false},
	{NULL, "-packets", NULL, false},
	{NULL, "packets.", NULL, false},
	{NULL, "pack ets", NULL, false},
	{NULL, "pack\nets", NULL, false},
	{NULL, "123456789012345678901234567890123456789012345678901234567890123", NULL, true},
	{NULL, "1234567890123456789012345678901234567890123456789012345678901234", NULL, false},
	{"pcap-drops", "eth0", "pcap-drops.eth0", true},
	{"pcap-drops", "br-1a2b3c4d5e6f", "pcap-drops.br-1a2b3c4d5e6f", true},
	{"pcap-drops", "veth@if3", "pcap-drops.veth_if3", true},
	{"pcap-drops", "eth0.", "pcap-drops.eth00", true},
	{"pcap-drops", "tap\n", "pcap-drops.tap0", true},
	{"pcap-drops", "x\033[2J", "pcap-drops.x__2J", true},
	{"pcap-drops", "\xc3\xa9t\xc3\xa9", "pcap-drops.__t_0", true},
};

START_TEST(test_counter_name)
{
	const struct counter_name_case *c = &counter_name_cases[_i];
	char buf[GRAPH_COUNTER_NAME_MAX + 1];

	if (!c->prefix) {
		ck_assert_int_eq(graph_counter_name_valid(c->what), c->valid);
		return;
	}
	graph_counter_name_build(buf, c->prefix, c->what);
	ck_assert_str_eq(buf, c->name);
	ck_assert_int_eq(graph_counter_name_valid(buf), c->valid);
}
END_TEST

/* ---- Suite -------------------------------------------------------------------------------- */

#define ADD_LOOP(tc, fn, table) tcase_add_loop_test(tc, fn, 0, (int)UTIL_ARRAY_SIZE(table))

static Suite *graph_suite(void)
{
	Suite *s = suite_create("graph");
	TCase *tc;

	tc = tcase_create("workload");
	ADD_LOOP(tc, test_workload_id, id_cases);
	ADD_LOOP(tc, test_workload_format_id, id_cases);
	ADD_LOOP(tc, test_workload_kind_names, kind_cases);
	ADD_LOOP(tc, test_workload_labels, label_cases);
	ADD_LOOP(tc, test_workload_addresses, address_cases);
	ADD_LOOP(tc, test_workload_peer_prefixes, peer_prefix_cases);
	ADD_LOOP(tc, test_workload_refcount, ref_cases);
	suite_add_tcase(s, tc);

	tc = tcase_create("graph");
	tcase_add_loop_test(tc, test_counter_name, 0, (int)UTIL_ARRAY_SIZE(counter_name_cases));
	ADD_LOOP(tc, test_graph_edges, graph_cases);
	tcase_add_loop_test(tc, test_view_order, 0, 2);
	ADD_LOOP(tc, test_view_steps, step_cases);
	ADD_LOOP(tc, test_graph_replace_workload, replace_cases);
	ADD_LOOP(tc, test_graph_counters, counter_cases);
	ADD_LOOP(tc, test_graph_windows, window_cases);
	tcase_add_test(tc, test_graph_windows_cap);
	tcase_add_test(tc, test_graph_running);
	ADD_LOOP(tc, test_find_edge, find_edge_cases);
	suite_add_tcase(s, tc);

	tc = tcase_create("merge");
	tcase_set_timeout(tc, 120);
	ADD_LOOP(tc, test_node_names, node_name_cases);
	ADD_LOOP(tc, test_node_claim, claim_cases);
	ADD_LOOP(tc, test_merge_algebra, algebra_cases);
	ADD_LOOP(tc, test_merge_counts, count_cases);
	ADD_LOOP(tc, test_merge_conflict, conflict_cases);
	ADD_LOOP(tc, test_merge_golden, merge_golden_cases);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_run(graph_suite());
}
