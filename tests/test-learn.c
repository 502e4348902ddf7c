/* SPDX-License-Identifier: Apache-2.0 */
/* test-learn.c - workloads, the graph and the state file: table-driven Check tests. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "graph/graph.h"
#include "tests/test-helpers.h"
#include "tests/test-faults.h"

#define STATE_DATA TEST_DATA "/state"
#define MERGE_DATA TEST_DATA "/merge"

#define NS UTIL_NSEC_PER_SEC
#define T0 (1795356000ull * NS) /* 2026-11-22T14:00:00Z */

/* ---- Helpers ------------------------------------------------------------------------------ */

static char *tmpdir_new(void)
{
	char *dir = util_strdup("/tmp/test-learn-XXXXXX");

	ck_assert_ptr_nonnull(mkdtemp(dir));
	return dir;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)remove(path);
	return 0;
}

static void tmpdir_free(char *dir)
{
	(void)chmod(dir, 0700);
	(void)nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(dir);
}

/* Temporary files the saver may have left behind in dir. */
static size_t count_temp_files(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t n = 0;

	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)))
		if (strstr(de->d_name, ".tmp."))
			n++;
	closedir(d);
	return n;
}

/* Everything a graph holds, as text, so that two graphs can be compared. */
static char *graph_dump(const struct graph *g)
{
	char *buf = NULL, t1[UTIL_TIME_LEN], t2[UTIL_TIME_LEN];
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(f);
	for (size_t i = 0; i < graph_counter_count(g); i++)
		fprintf(f, "counter %s=%" PRIu64 "\n", graph_counter_name(g, i),
			graph_counter_value(g, i));
	for (size_t i = 0; i < graph_workload_count(g); i++) {
		const struct graph_workload *w = graph_workload(g, i);

		fprintf(f, "workload %s kind=%s ns=%s ctrl=%s name=%s", graph_workload_id(w),
			graph_kind_name(graph_workload_kind(w)), graph_workload_namespace(w),
			graph_workload_controller(w), graph_workload_name(w));
		for (size_t j = 0; j < graph_workload_label_count(w); j++)
			fprintf(f, " label[%s=%s]", graph_workload_label_key(w, j),
				graph_workload_label_value(w, j));
		for (size_t j = 0; j < graph_workload_address_count(w); j++)
			fprintf(f, " addr[%s]", graph_workload_address(w, j));
		fputc('\n', f);
	}
	for (size_t i = 0; i < graph_edge_count(g); i++) {
		const struct graph_edge *e = graph_edge(g, i);

		util_time_format(graph_edge_first_ns(e), t1);
		util_time_format(graph_edge_last_ns(e), t2);
		fprintf(f, "edge %s -> %s %u/%u n=%" PRIu64 " %s %s\n",
			graph_workload_id(graph_edge_client(e)),
			graph_workload_id(graph_edge_server(e)), graph_edge_proto(e),
			graph_edge_port(e), graph_edge_connections(e), t1, t2);
	}
	for (size_t i = 0; i < graph_attempt_count(g); i++) {
		const struct graph_attempt *a = graph_attempt(g, i);

		util_time_format(graph_attempt_first_ns(a), t1);
		util_time_format(graph_attempt_last_ns(a), t2);
		fprintf(f, "attempt %s -> %s %u refused=%" PRIu64 " unanswered=%" PRIu64 " %s %s",
			graph_workload_id(graph_attempt_client(a)),
			graph_workload_id(graph_attempt_server(a)), graph_attempt_proto(a),
			graph_attempt_refused(a), graph_attempt_unanswered(a), t1, t2);
		for (size_t j = 0; j < graph_attempt_port_count(a); j++)
			fprintf(f, " %u", graph_attempt_port(a, j));
		fputc('\n', f);
	}
	ck_assert_int_eq(fclose(f), 0);
	return buf;
}

/*
 * Adds a workload described compactly: labels "k=v;k=v", addresses "a;b" (either may be NULL).
 * Returns the graph's workload.
 */
static const struct graph_workload *add_wl(struct graph *g, enum graph_kind kind, const char *ns,
					   const char *ctrl, const char *name, const char *labels,
					   const char *addresses)
{
	struct graph_workload *w = graph_workload_new(kind, ns, ctrl, name);
	const struct graph_workload *ret;
	char *copy, *save = NULL;

	if (labels) {
		copy = util_strdup(labels);
		for (char *kv = strtok_r(copy, ";", &save); kv; kv = strtok_r(NULL, ";", &save)) {
			char *eq = strchr(kv, '=');

			ck_assert_ptr_nonnull(eq);
			*eq = '\0';
			graph_workload_set_label(w, kv, eq + 1);
		}
		free(copy);
	}
	if (addresses) {
		copy = util_strdup(addresses);
		for (char *a = strtok_r(copy, ";", &save); a; a = strtok_r(NULL, ";", &save))
			graph_workload_add_address(w, a);
		free(copy);
	}
	ret = graph_add_workload(g, w);
	graph_workload_unref(w);
	return ret;
}

static void add_edge_ids(struct graph *g, const char *client, const char *server, uint8_t proto,
			 uint16_t port, uint64_t n, uint64_t first, uint64_t last)
{
	const struct graph_workload *c = graph_find_workload(g, client);
	const struct graph_workload *s = graph_find_workload(g, server);

	ck_assert_msg(c && s, "%s -> %s: workloads missing", client, server);
	graph_add_edge(g, c, s, proto, port, n, first, last);
}

/* An attempt by workload ids, with ports "p,p,p" (or NULL). */
static void add_attempt_ids(struct graph *g, const char *client, const char *server, uint8_t proto,
			    const char *ports, uint64_t refused, uint64_t unanswered,
			    uint64_t first, uint64_t last)
{
	const struct graph_workload *c = graph_find_workload(g, client);
	const struct graph_workload *s = graph_find_workload(g, server);
	uint16_t v[64];
	size_t n = 0;

	ck_assert_msg(c && s, "%s -> %s: workloads missing", client, server);
	for (const char *p = ports; p && *p && n < UTIL_ARRAY_SIZE(v);
	     p += strcspn(p, ","), p += *p == ',')
		v[n++] = (uint16_t)strtoul(p, NULL, 10);
	ck_assert(graph_add_attempt(g, c, s, proto, v, n, refused, unanswered, first, last));
}

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
	{{NULL}, ""},
};

START_TEST(test_workload_addresses)
{
	const struct address_case *c = &address_cases[_i];
	struct graph_workload *w = graph_workload_new(GRAPH_KIND_NODE, NULL, NULL, "n1");
	char *s = util_strdup(""), *n;

	for (size_t i = 0; i < UTIL_ARRAY_SIZE(c->add) && c->add[i]; i++)
		graph_workload_add_address(w, c->add[i]);
	for (size_t i = 0; i < graph_workload_address_count(w); i++) {
		n = util_asprintf("%s%s%s", s, i ? "," : "", graph_workload_address(w, i));
		free(s);
		s = n;
	}
	ck_assert_str_eq(s, c->expect);
	ck_assert_ptr_null(graph_workload_address(w, graph_workload_address_count(w)));
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

/* ---- The state file: round trips ---------------------------------------------------------- */

static struct graph *build_empty(void)
{
	return graph_new();
}

/* The graph tests/data/state/good.yaml holds, added in a scrambled order. */
static struct graph *build_rich(void)
{
	struct graph *g = graph_new();

	add_wl(g, GRAPH_KIND_NODE, NULL, NULL, "worker-1", NULL, "10.0.1.5/32;10.0.0.5/32");
	add_wl(g, GRAPH_KIND_K8S, "shop", "Deployment", "frontend",
	       "empty=;canary=true;app.kubernetes.io/part-of=shop;app=frontend", NULL);
	add_wl(g, GRAPH_KIND_EXTERNAL, NULL, NULL, "203.0.113.7/32", NULL, "203.0.113.7/32");
	add_wl(g, GRAPH_KIND_K8S, "shop", "StatefulSet", "0123", "app=db", NULL);
	add_wl(g, GRAPH_KIND_DOCKER, NULL, NULL, "redis", NULL, NULL);
	add_wl(g, GRAPH_KIND_K8S, "shop", "Deployment", "cart", "app=cart", NULL);
	add_wl(g, GRAPH_KIND_NODE, NULL, NULL, "10.0.0.6", NULL, "10.0.0.6/32");
	add_wl(g, GRAPH_KIND_K8S, "kube-system", "Pod", "coredns-7db6d8ff4d-x2k9p",
	       "k8s-app=kube-dns", NULL);
	add_wl(g, GRAPH_KIND_EXTERNAL, NULL, NULL, "2001:db8::/32", NULL, "2001:db8::/32");
	add_wl(g, GRAPH_KIND_DOCKER, "shop", NULL, "web", "com.docker.compose.service=web", NULL);
	add_wl(g, GRAPH_KIND_K8S, "shop", "Rollout.argoproj.io", "catalog", "app=catalog", NULL);
	add_wl(g, GRAPH_KIND_K8S, "shop", "CronJob", "backup", "app=backup", NULL);
	add_wl(g, GRAPH_KIND_UNKNOWN, NULL, NULL, "10.244.1.0/24", NULL, "10.244.1.0/24");

	/* two spans watched; the catalog ran while nobody called it; the backup never ran */
	graph_add_window(g, T0 + 400 * NS, T0 + 70200 * NS + 1);
	graph_add_window(g, T0 - 3600 * NS, T0 + 300 * NS);
	graph_note_running(g, graph_find_workload(g, "k8s:shop/rollout.argoproj.io/catalog"),
			   T0 + 500 * NS, T0 + 600 * NS);
	add_edge_ids(g, "unknown:10.244.1.0/24", "k8s:shop/deployment/frontend", IPPROTO_TCP, 8080,
		     2, T0 + 10 * NS, T0 + 11 * NS);
	add_edge_ids(g, "node:worker-1", "external:203.0.113.7/32", IPPROTO_ICMP, 0, 1, T0, T0);
	add_edge_ids(g, "k8s:shop/deployment/frontend", "k8s:shop/deployment/cart", IPPROTO_TCP,
		     8080, 40, T0 + 123456789, T0 + 100 * NS);
	add_edge_ids(g, "k8s:shop/deployment/frontend", "k8s:shop/deployment/cart", IPPROTO_TCP,
		     8080, 2, T0 + 200 * NS, T0 + 300 * NS);
	add_edge_ids(g, "k8s:shop/deployment/frontend", "k8s:shop/deployment/cart", IPPROTO_TCP,
		     443, 1, T0, T0);
	add_edge_ids(g, "k8s:shop/deployment/frontend",
		     "k8s:kube-system/pod/coredns-7db6d8ff4d-x2k9p", IPPROTO_UDP, 53, 7, T0,
		     T0 + 300 * NS);
	add_edge_ids(g, "k8s:shop/deployment/frontend",
		     "k8s:kube-system/pod/coredns-7db6d8ff4d-x2k9p", IPPROTO_TCP, 53, 2, T0,
		     T0 + 300 * NS);
	add_edge_ids(g, "k8s:shop/deployment/cart", "k8s:shop/statefulset/0123", IPPROTO_SCTP, 3868,
		     UINT64_MAX, 0, UINT64_MAX);
	add_edge_ids(g, "k8s:shop/statefulset/0123", "external:2001:db8::/32", IPPROTO_ICMPV6, 0, 5,
		     T0, T0 + 300 * NS);
	add_edge_ids(g, "docker:shop/web", "docker:redis", IPPROTO_TCP, 6379, 3, T0 - 3600 * NS,
		     T0 + 70200 * NS + 1);

	graph_add_counter(g, "packets", 1000);
	graph_add_counter(g, "packets-truncated", 0);
	graph_add_counter(g, "flows", 9);
	graph_add_counter(g, "packets", 234);
	return g;
}

/* Values that must be quoted to stay strings: they look like bools, numbers, nulls, dates. */
static struct graph *build_quoting(void)
{
	static const char *const values[] = {
		"true", "False", "yes",	 "NO",	       "on",	"Off",
		"y",	"n",	 "null", "Null",       "123",	"1.5",
		"0x1F", "1e3",	 "0o17", "2026-11-22", "1_000", "12345678901234567890"};
	struct graph *g = graph_new();
	struct graph_workload *w = graph_workload_new(GRAPH_KIND_K8S, "n1", "Deployment", "123");

	for (size_t i = 0; i < UTIL_ARRAY_SIZE(values); i++) {
		char key[16];

		snprintf(key, sizeof(key), "k%02zu", i);
		graph_workload_set_label(w, key, values[i]);
	}
	graph_workload_set_label(w, "true", "1");
	graph_workload_set_label(w, "null", "null");
	graph_add_workload(g, w);
	graph_workload_unref(w);
	add_wl(g, GRAPH_KIND_DOCKER, "1", NULL, "1.5", NULL, NULL);
	add_wl(g, GRAPH_KIND_NODE, NULL, NULL, "null", NULL, "::/0;0.0.0.0/0;::ffff:10.0.0.1/128");
	add_wl(g, GRAPH_KIND_NODE, NULL, NULL, "::1", NULL, NULL);
	add_wl(g, GRAPH_KIND_EXTERNAL, NULL, NULL, "::/0", NULL, NULL);
	add_edge_ids(g, "node:::1", "external:::/0", IPPROTO_TCP, 1, 0, 0, 0);
	add_edge_ids(g, "docker:1/1.5", "node:null", IPPROTO_UDP, 65535, 1, 1, 2);
	graph_add_counter(g, "123", 1);
	graph_add_counter(g, "true", 0);
	return g;
}

/* Many workloads and edges, to see that order does not depend on hash-table order. */
static struct graph *build_many(void)
{
	struct graph *g = graph_new();
	char name[32], a[64], b[64];

	for (int i = 0; i < 300; i++) {
		snprintf(name, sizeof(name), "w%d", (i * 7919) % 300);
		add_wl(g, GRAPH_KIND_K8S, i % 2 ? "odd" : "even", i % 3 ? "Deployment" : "Job",
		       name, "app=x", NULL);
	}
	for (int i = 0; i < 1000; i++) {
		const struct graph_workload *c = graph_workload(g, (size_t)(i * 31) % 300);
		const struct graph_workload *s = graph_workload(g, (size_t)(i * 17) % 300);

		snprintf(a, sizeof(a), "%s", graph_workload_id(c));
		snprintf(b, sizeof(b), "%s", graph_workload_id(s));
		add_edge_ids(g, a, b, i % 2 ? IPPROTO_TCP : IPPROTO_UDP,
			     (uint16_t)(1 + (i * 13) % 65535), (uint64_t)i, T0 + (uint64_t)i,
			     T0 + 2 * (uint64_t)i);
	}
	return g;
}

/* A scan: the served edge, and what was refused or went unanswered around it. */
static struct graph *build_attempts(void)
{
	struct graph *g = graph_new();
	char ports[512];
	size_t len = 0;

	add_wl(g, GRAPH_KIND_K8S, "shop", "Deployment", "web", "app=web", "10.244.1.7/32");
	add_wl(g, GRAPH_KIND_K8S, "shop", "StatefulSet", "db", "app=db", "10.244.2.9/32");
	add_wl(g, GRAPH_KIND_EXTERNAL, NULL, NULL, "2001:db8::/32", NULL, NULL);
	add_edge_ids(g, "k8s:shop/deployment/web", "k8s:shop/statefulset/db", IPPROTO_TCP, 8080, 3,
		     T0, T0 + 60 * NS);
	/* 200 ports refused, one at a time: the 8 lowest stay, in order */
	for (int p = 1200; p > 1000; p--) {
		snprintf(ports, sizeof(ports), "%d", p);
		add_attempt_ids(g, "k8s:shop/deployment/web", "k8s:shop/statefulset/db",
				IPPROTO_TCP, ports, 1, 0, T0 + (uint64_t)p * NS,
				T0 + (uint64_t)p * NS);
	}
	add_attempt_ids(g, "k8s:shop/deployment/web", "k8s:shop/statefulset/db", IPPROTO_TCP,
			"9999", 0, 100, T0 + 10 * NS, T0 + 20 * NS);
	for (int p = 0; p < 20; p++)
		len += (size_t)snprintf(ports + len, sizeof(ports) - len, "%s%d", p ? "," : "",
					5000 + 7 * p);
	add_attempt_ids(g, "k8s:shop/deployment/web", "k8s:shop/statefulset/db", IPPROTO_UDP, ports,
			0, 20, T0, T0 + 5 * NS);
	add_attempt_ids(g, "k8s:shop/statefulset/db", "external:2001:db8::/32", IPPROTO_ICMPV6,
			NULL, 2, 1, T0, UINT64_MAX);
	add_attempt_ids(g, "k8s:shop/statefulset/db", "k8s:shop/deployment/web", IPPROTO_SCTP,
			"65535", UINT64_MAX, UINT64_MAX, 0, 0);
	graph_add_counter(g, "flows-refused", 202);
	return g;
}

static const struct roundtrip_case {
	const char *name;
	struct graph *(*build)(void);
	const char *golden; /* the exact bytes expected, or NULL */
} roundtrip_cases[] = {
	{"empty", build_empty, "empty-graph.yaml"},    {"rich", build_rich, "good.yaml"},
	{"quoting", build_quoting, "quoting.yaml"},    {"many", build_many, NULL},
	{"attempts", build_attempts, "attempts.yaml"},
};

START_TEST(test_state_roundtrip)
{
	const struct roundtrip_case *c = &roundtrip_cases[_i];
	struct graph *g = c->build(), *loaded = NULL, *again = NULL;
	struct util_err err = {""};
	char *dir = tmpdir_new();
	char *p1 = util_asprintf("%s/one.yaml", dir), *p2 = util_asprintf("%s/two.yaml", dir);
	char *p3 = util_asprintf("%s/three.yaml", dir);
	char *b1, *b2, *b3, *d0, *d1, *d2;
	size_t l1, l2, l3;
	struct stat st;

	ck_assert_msg(graph_state_save(g, p1, &err) == 0, "%s: %s", c->name, err.msg);
	ck_assert_msg(graph_state_save(g, p3, &err) == 0, "%s: %s", c->name, err.msg);
	ck_assert_msg(graph_state_load(p1, &loaded, &err) == 0, "%s: %s", c->name, err.msg);
	ck_assert_msg(graph_state_save(loaded, p2, &err) == 0, "%s: %s", c->name, err.msg);
	ck_assert_msg(graph_state_load(p2, &again, &err) == 0, "%s: %s", c->name, err.msg);

	b1 = test_read_file(p1, &l1);
	b2 = test_read_file(p2, &l2);
	b3 = test_read_file(p3, &l3);
	ck_assert_ptr_nonnull(b1);
	ck_assert_ptr_nonnull(b2);
	ck_assert_uint_eq(l1, l2);
	ck_assert_msg(memcmp(b1, b2, l1) == 0, "%s: save(load(save(g))) differs", c->name);
	ck_assert_uint_eq(l1, l3);
	ck_assert_msg(memcmp(b1, b3, l1) == 0, "%s: two saves of one graph differ", c->name);
	ck_assert_msg(l1 > 0 && b1[l1 - 1] == '\n', "%s: no final newline", c->name);
	ck_assert_ptr_null(strstr(b1, "\n..."));
	ck_assert_ptr_null(strstr(b1, "---"));

	d0 = graph_dump(g);
	d1 = graph_dump(loaded);
	d2 = graph_dump(again);
	ck_assert_str_eq(d1, d0);
	ck_assert_str_eq(d2, d0);

	ck_assert_int_eq(stat(p1, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0644);
	ck_assert_uint_eq(count_temp_files(dir), 0);

	if (c->golden) {
		char *path = util_asprintf("%s/%s", STATE_DATA, c->golden);

		test_golden_check(path, b1, l1);
		free(path);
	}
	free(d0);
	free(d1);
	free(d2);
	free(b1);
	free(b2);
	free(b3);
	free(p1);
	free(p2);
	free(p3);
	graph_free(g);
	graph_free(loaded);
	graph_free(again);
	tmpdir_free(dir);
}
END_TEST

/* ---- The state file: loading fixtures ----------------------------------------------------- */

static const struct good_case {
	const char *file;
	size_t workloads, edges, counters;
	const char *canonical; /* what saving the loaded graph must give, byte for byte */
} good_cases[] = {
	{"good.yaml", 13, 9, 3, "good.yaml"},
	/* keys sorted, times single-quoted: what a round trip through PyYAML or yq gives */
	{"good-unordered.yaml", 13, 9, 3, "good.yaml"},
	/* version 1: no window (its edges give one), no running times, times unquoted */
	{"good-v1.yaml", 10, 8, 3, "good-v1-resaved.yaml"},
	{"minimal.yaml", 0, 0, 0, "empty-graph.yaml"},
	{"empty-graph.yaml", 0, 0, 0, "empty-graph.yaml"},
};

START_TEST(test_state_load_good)
{
	const struct good_case *c = &good_cases[_i];
	char *path = util_asprintf("%s/%s", STATE_DATA, c->file);
	char *canon_path = util_asprintf("%s/%s", STATE_DATA, c->canonical);
	char *dir = tmpdir_new(), *out = util_asprintf("%s/out.yaml", dir);
	struct graph *g = NULL;
	struct util_err err = {""};
	char *got;
	size_t lg;

	ck_assert_msg(graph_state_load(path, &g, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(graph_workload_count(g), c->workloads);
	ck_assert_uint_eq(graph_edge_count(g), c->edges);
	ck_assert_uint_eq(graph_counter_count(g), c->counters);
	ck_assert_msg(graph_state_save(g, out, &err) == 0, "%s", err.msg);
	got = test_read_file(out, &lg);
	ck_assert_ptr_nonnull(got);
	test_golden_check(canon_path, got, lg);
	if (c->edges > 0) { /* spot checks through the API */
		const struct graph_workload *fe =
			graph_find_workload(g, "k8s:shop/deployment/frontend");
		const struct graph_edge *e = graph_edge(g, 1);

		ck_assert_ptr_nonnull(fe);
		ck_assert_str_eq(graph_workload_controller(fe), "Deployment");
		ck_assert_uint_eq(graph_workload_label_count(fe), 4);
		ck_assert_str_eq(graph_workload_label_key(fe, 2), "canary");
		ck_assert_str_eq(graph_workload_label_value(fe, 2), "true");
		ck_assert_str_eq(graph_workload_label_value(fe, 3), "");
		ck_assert_uint_eq(graph_edge_proto(e), IPPROTO_SCTP);
		ck_assert_uint_eq(graph_edge_connections(e), UINT64_MAX);
		ck_assert_uint_eq(graph_edge_last_ns(e), UINT64_MAX);
	}
	free(got);
	free(out);
	free(path);
	free(canon_path);
	graph_free(g);
	tmpdir_free(dir);
}
END_TEST

static const struct bad_case {
	const char *file;
	int ret;
	const char *expect; /* a substring of the message, after the directory */
} bad_cases[] = {
	{"does-not-exist.yaml", -ENOENT, "does-not-exist.yaml: No such file or directory"},
	{"bad-binary.yaml", -EINVAL, "bad-binary.yaml:1:1: not YAML text: control characters"},
	{"bad-nul.yaml", -EINVAL, "bad-nul.yaml:3:14: not YAML text"},
	{"bad-utf16.yaml", -EINVAL, "bad-utf16.yaml:1:1: not UTF-8"},
	{"bad-empty.yaml", -EINVAL, "bad-empty.yaml: empty state file"},
	{"bad-comment-only.yaml", -EINVAL, "bad-comment-only.yaml: empty state file"},
	{"bad-version.yaml", -EINVAL,
	 "bad-version.yaml:1:17: unsupported state version 4 (this flowlock reads 1 to 3)"},
	{"bad-version-quoted.yaml", -EINVAL,
	 "bad-version-quoted.yaml:1:17: flowlock-state: expected a number"},
	{"bad-version-not-first.yaml", -EINVAL,
	 "bad-version-not-first.yaml:3:17: unsupported state version 4"},
	{"bad-version-missing.yaml", -EINVAL,
	 "bad-version-missing.yaml:1:1: not a flowlock state file: expected \"flowlock-state\" as "
	 "the first key, got \"counters\""},
	{"bad-version-zero.yaml", -EINVAL,
	 "bad-version-zero.yaml:1:17: unsupported state version 0"},
	/* a newer file through PyYAML: its new key sorts first, the version still speaks */
	{"bad-version-sorted.yaml", -EINVAL,
	 "bad-version-sorted.yaml:3:17: unsupported state version 4"},
	{"bad-running-node.yaml", -EINVAL,
	 "bad-running-node.yaml:7:18: first-running is not allowed for kind node"},
	{"bad-running-half.yaml", -EINVAL,
	 "bad-running-half.yaml:3:3: workload: \"last-running\" without \"first-running\""},
	{"bad-running-order.yaml", -EINVAL,
	 "bad-running-order.yaml:10:17: last-running: before first-running"},
	{"bad-running-time.yaml", -EINVAL,
	 "bad-running-time.yaml:9:18: first-running: \"2026-11-22\" is not a time"},
	{"bad-observed-order.yaml", -EINVAL, "bad-observed-order.yaml:5:10: until: before from"},
	{"bad-observed-missing.yaml", -EINVAL,
	 "bad-observed-missing.yaml:4:3: observed: missing \"until\""},
	{"bad-observed-key.yaml", -EINVAL,
	 "bad-observed-key.yaml:5:3: observed: unknown key \"to\""},
	{"bad-unknown-labels.yaml", -EINVAL,
	 "bad-unknown-labels.yaml:6:3: labels are not allowed for kind unknown"},
	{"bad-unknown-name.yaml", -EINVAL,
	 "bad-unknown-name.yaml:5:9: unknown name \"10.244.1.7\" is not valid"},
	{"bad-controller-group.yaml", -EINVAL,
	 "bad-controller-group.yaml:6:15: controller \"Job.Batch\" is not a Kubernetes kind"},
	{"bad-unknown-key.yaml", -EINVAL,
	 "bad-unknown-key.yaml:12:3: workload: unknown key \"nmae\""},
	{"bad-unknown-root-key.yaml", -EINVAL,
	 "bad-unknown-root-key.yaml:2:1: state: unknown key \"favourite-colour\""},
	{"bad-id-mismatch.yaml", -EINVAL,
	 "bad-id-mismatch.yaml:8:7: id: \"k8s:shop/statefulset/cart\" does not match the "
	 "workload's fields (expected \"k8s:shop/deployment/cart\")"},
	{"bad-label-value.yaml", -EINVAL,
	 "bad-label-value.yaml:14:10: labels: label \"app\" has an invalid value \"-cart-\""},
	{"bad-label-newline.yaml", -EINVAL,
	 "bad-label-newline.yaml:14:10: labels: label \"app\" has an invalid value \"cart?evil"},
	{"bad-label-quote.yaml", -EINVAL,
	 "bad-label-quote.yaml:14:10: labels: label \"app\" has an invalid value \"ca\"rt\""},
	{"bad-label-key.yaml", -EINVAL,
	 "bad-label-key.yaml:14:5: labels: label key \"bad key\" is not a valid"},
	{"bad-label-duplicate.yaml", -EINVAL,
	 "bad-label-duplicate.yaml:15:5: labels: duplicate key \"app\""},
	{"bad-port-zero.yaml", -EINVAL,
	 "bad-port-zero.yaml:17:9: port: port 0 is not valid for TCP (1 to 65535)"},
	{"bad-port-range.yaml", -EINVAL,
	 "bad-port-range.yaml:17:9: port: port 70000 is not valid for UDP (1 to 65535)"},
	{"bad-port-icmp.yaml", -EINVAL,
	 "bad-port-icmp.yaml:17:9: port: port 8 is not valid for ICMP"},
	{"bad-port-quoted.yaml", -EINVAL,
	 "bad-port-quoted.yaml:17:9: port: expected a number, got \"80\""},
	{"bad-port-leading-zero.yaml", -EINVAL,
	 "bad-port-leading-zero.yaml:17:9: port: expected a number, got \"080\""},
	{"bad-protocol.yaml", -EINVAL,
	 "bad-protocol.yaml:16:13: protocol: unknown protocol \"GRE\""},
	{"bad-edge-undefined.yaml", -EINVAL,
	 "bad-edge-undefined.yaml:15:11: server: undefined workload \"k8s:shop/deployment/db\""},
	{"bad-edge-duplicate.yaml", -EINVAL,
	 "bad-edge-duplicate.yaml:21:3: duplicate edge k8s:shop/deployment/frontend -> "
	 "k8s:shop/deployment/cart TCP/8080"},
	{"bad-edge-time-order.yaml", -EINVAL,
	 "bad-edge-time-order.yaml:20:14: last-seen: before first-seen"},
	{"bad-edge-time.yaml", -EINVAL,
	 "bad-edge-time.yaml:19:15: first-seen: \"2026-11-22 14:10\" is not a time"},
	{"bad-edge-missing.yaml", -EINVAL,
	 "bad-edge-missing.yaml:14:3: edge: missing \"connections\""},
	{"bad-edge-negative.yaml", -EINVAL,
	 "bad-edge-negative.yaml:18:16: connections: expected a number, got \"-1\""},
	{"bad-anchor.yaml", -EINVAL, "bad-anchor.yaml:3:3: anchors are not allowed"},
	{"bad-alias.yaml", -EINVAL, "bad-alias.yaml:3:3: aliases are not allowed"},
	{"bad-tag.yaml", -EINVAL, "bad-tag.yaml:3:3: tags are not allowed"},
	{"bad-namespace.yaml", -EINVAL,
	 "bad-namespace.yaml:5:14: namespace \"Shop_1\" is not a valid Kubernetes namespace"},
	{"bad-k8s-no-namespace.yaml", -EINVAL,
	 "bad-k8s-no-namespace.yaml:3:3: kind k8s needs a namespace"},
	{"bad-workload-duplicate.yaml", -EINVAL,
	 "bad-workload-duplicate.yaml:13:7: id: duplicate workload \"k8s:shop/deployment/cart\""},
	{"bad-external-name.yaml", -EINVAL,
	 "bad-external-name.yaml:5:9: external name \"10.0.0.1\" is not valid"},
	{"bad-address.yaml", -EINVAL,
	 "bad-address.yaml:7:5: addresses: address \"10.0.0.01/32\" is not a CIDR"},
	{"bad-node-labels.yaml", -EINVAL,
	 "bad-node-labels.yaml:6:3: labels are not allowed for kind node"},
	{"bad-kind.yaml", -EINVAL, "bad-kind.yaml:4:9: kind: unknown workload kind \"pod\""},
	{"bad-null-name.yaml", -EINVAL,
	 "bad-null-name.yaml:5:8: name: expected a string, got null"},
	{"bad-workloads-mapping.yaml", -EINVAL,
	 "bad-workloads-mapping.yaml:3:3: workloads: expected a sequence, got a mapping"},
	{"bad-id-sequence.yaml", -EINVAL,
	 "bad-id-sequence.yaml:3:7: id: expected a scalar, got a sequence"},
	{"bad-escaped-nul.yaml", -EINVAL,
	 "bad-escaped-nul.yaml:3:7: id: value contains a NUL character"},
	{"bad-counter-duplicate.yaml", -EINVAL,
	 "bad-counter-duplicate.yaml:4:3: counters: duplicate key \"packets\""},
	{"bad-counter-overflow.yaml", -EINVAL,
	 "bad-counter-overflow.yaml:3:12: packets: 18446744073709551616 is out of range"},
	{"bad-root-duplicate.yaml", -EINVAL,
	 "bad-root-duplicate.yaml:2:1: state: duplicate key \"flowlock-state\""},
	{"bad-top-sequence.yaml", -EINVAL,
	 "bad-top-sequence.yaml:1:1: expected a mapping at the top, got a sequence"},
	{"bad-top-scalar.yaml", -EINVAL,
	 "bad-top-scalar.yaml:1:1: expected a mapping at the top, got a scalar"},
	{"bad-text.yaml", -EINVAL,
	 "bad-text.yaml:1:25: invalid YAML: mapping values are not allowed"},
	{"bad-c-source.yaml", -EINVAL, "bad-c-source.yaml:1:1: expected a mapping at the top"},
	{"bad-tab-indent.yaml", -EINVAL,
	 "bad-tab-indent.yaml:3:1: invalid YAML: found character that cannot start any token"},
	{"bad-two-documents.yaml", -EINVAL,
	 "bad-two-documents.yaml:2:1: a state file holds one YAML document"},
	{"bad-truncated.yaml", -EINVAL,
	 "bad-truncated.yaml:48:16: invalid YAML: found unexpected end of stream"},
	{"bad-unclosed-flow.yaml", -EINVAL,
	 "bad-unclosed-flow.yaml:4:1: invalid YAML: did not find expected ',' or '}'"},
	{".", -EINVAL, "state/.: not a regular file"},
	{"bad-attempt-duplicate.yaml", -EINVAL,
	 "bad-attempt-duplicate.yaml:47:3: duplicate attempt k8s:shop/deployment/web -> "
	 "k8s:shop/statefulset/db TCP"},
	{"bad-attempt-icmp-ports.yaml", -EINVAL,
	 "bad-attempt-icmp-ports.yaml:42:3: ports: ICMP has no ports"},
	{"bad-attempt-key.yaml", -EINVAL,
	 "bad-attempt-key.yaml:47:3: attempt: unknown key \"port\""},
	{"bad-attempt-missing.yaml", -EINVAL,
	 "bad-attempt-missing.yaml:39:3: attempt: missing \"unanswered\""},
	{"bad-attempt-nodes.yaml", -EINVAL,
	 "bad-attempt-nodes.yaml:47:3: nodes: only a merged state (one with top-level "
	 "\"nodes\") has nodes on its attempts"},
	{"bad-attempt-port-zero.yaml", -EINVAL,
	 "bad-attempt-port-zero.yaml:42:11: ports: port 0 is not valid for TCP (1 to 65535)"},
	{"bad-attempt-ports-many.yaml", -EINVAL,
	 "bad-attempt-ports-many.yaml:42:35: ports: more than 8 example ports"},
	{"bad-attempt-ports-order.yaml", -EINVAL,
	 "bad-attempt-ports-order.yaml:42:15: ports: 22 is not above the port before it"},
	{"bad-attempt-ports-range.yaml", -EINVAL,
	 "bad-attempt-ports-range.yaml:42:15: ports: 65536 is out of range (at most 65535)"},
	{"bad-attempt-undefined.yaml", -EINVAL,
	 "bad-attempt-undefined.yaml:40:11: server: undefined workload "
	 "\"k8s:shop/deployment/db\""},
	{"bad-attempt-version.yaml", -EINVAL,
	 "bad-attempt-version.yaml:38:1: attempts: only a version 3 state has them (this one is "
	 "version 2)"},
	{"bad-attempt-zero.yaml", -EINVAL,
	 "bad-attempt-zero.yaml:43:12: refused: an attempt was refused or unanswered at least "
	 "once"},
};

/* A failed load names the file, returns the error, writes nothing and leaves the file as is. */
static void check_load_fails(const char *path, int expect_ret, const char *expect)
{
	struct graph *sentinel = (struct graph *)&sentinel, *g = sentinel;
	struct util_err err = {""};
	char *before, *after;
	size_t lb = 0, la = 0;
	int r;

	before = test_read_file(path, &lb);
	r = graph_state_load(path, &g, &err);
	ck_assert_msg(r == expect_ret, "%s: returned %d (%s)", path, r, err.msg);
	ck_assert_ptr_eq(g, sentinel);
	ck_assert_msg(strstr(err.msg, expect), "%s:\n  got      \"%s\"\n  expected \"%s\"", path,
		      err.msg, expect);
	ck_assert_msg(strncmp(err.msg, path, strlen(path)) == 0, "message does not start with %s",
		      path);
	ck_assert_ptr_null(strchr(err.msg, '\n'));
	after = test_read_file(path, &la);
	ck_assert_uint_eq(lb, la);
	if (before)
		ck_assert_int_eq(memcmp(before, after, lb), 0);
	free(before);
	free(after);
}

START_TEST(test_state_load_bad)
{
	const struct bad_case *c = &bad_cases[_i];
	char *path = util_asprintf("%s/%s", STATE_DATA, c->file);

	check_load_fails(path, c->ret, c->expect);
	free(path);
}
END_TEST

/* ---- The state file: hostile input generated here ----------------------------------------- */

static void put_n(FILE *f, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fputs(s, f);
}

/* Writes n bytes of c, a megabyte at a time, without holding them in memory. */
static void put_run(FILE *f, char c, size_t n)
{
	static char chunk[1 << 20];

	memset(chunk, c, sizeof(chunk));
	while (n > 0) {
		size_t k = n < sizeof(chunk) ? n : sizeof(chunk);

		ck_assert_uint_eq(fwrite(chunk, 1, k, f), k);
		n -= k;
	}
}

static void gen_deep_flow(FILE *f)
{
	put_n(f, "[", 1000000);
}

static void gen_deep_flow_inner(FILE *f)
{
	fputs("flowlock-state: 1\nworkloads:\n- id: node:a\n  labels: ", f);
	put_n(f, "{a: ", 200000);
}

static void gen_deep_block(FILE *f)
{
	fputs("flowlock-state: 1\nworkloads:\n", f);
	put_n(f, "- ", 200000);
	fputs("x\n", f);
}

static void gen_huge_plain(FILE *f)
{
	fputs("flowlock-state: 1\nworkloads:\n- id: ", f);
	put_run(f, 'a', 100u << 20);
	fputs("\n", f);
}

static void gen_huge_quoted(FILE *f)
{
	fputs("flowlock-state: 1\nworkloads:\n- id: \"", f);
	put_run(f, 'a', 100u << 20);
	fputs("\"\n", f);
}

static void gen_huge_key(FILE *f)
{
	fputs("flowlock-state: 1\n", f);
	put_run(f, 'k', 100u << 20);
	fputs(": 1\n", f);
}

static void gen_long_scalar(FILE *f)
{
	fputs("flowlock-state: 1\nworkloads:\n- id: ", f);
	put_run(f, 'a', 5000);
	fputs("\n", f);
}

static void gen_too_large(FILE *f)
{
	fputs("flowlock-state: 1\n", f);
	ck_assert_int_eq(ftruncate(fileno(f), (off_t)(1ull << 30) + 1), 0); /* sparse */
}

static void gen_laughs(FILE *f)
{
	fputs("flowlock-state: 1\ncounters: &a [1, 1, 1]\nworkloads: [*a, *a, *a, *a]\n", f);
}

/* Deterministic noise: every byte value, no seed to chase when it fails. */
static void gen_random(FILE *f)
{
	uint32_t x = 2463534242u;

	for (size_t i = 0; i < 65536; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		fputc((int)(x & 0xff), f);
	}
}

static void gen_many_labels(FILE *f)
{
	fputs("flowlock-state: 1\nworkloads:\n- id: k8s:a/pod/b\n  labels:\n", f);
	for (int i = 0; i < 2000; i++)
		fprintf(f, "    l%d: v\n", i);
}

static const struct hostile_case {
	const char *file;
	void (*gen)(FILE *f);
	const char *expect;
} hostile_cases[] = {
	{"deep-flow.yaml", gen_deep_flow, "deep-flow.yaml:1:1: expected a mapping at the top"},
	{"deep-flow-inner.yaml", gen_deep_flow_inner,
	 "deep-flow-inner.yaml:4:15: labels: expected a scalar, got a mapping"},
	{"deep-block.yaml", gen_deep_block,
	 "deep-block.yaml:3:3: workloads: expected a mapping, got a sequence"},
	{"huge-plain.yaml", gen_huge_plain, "huge-plain.yaml:3:"},
	{"huge-quoted.yaml", gen_huge_quoted, "huge-quoted.yaml:3:"},
	{"huge-key.yaml", gen_huge_key, "huge-key.yaml:2:"},
	{"long-scalar.yaml", gen_long_scalar,
	 "long-scalar.yaml:3:7: id: value too long (5000 bytes, at most 1024)"},
	{"too-large.yaml", gen_too_large, "too-large.yaml: state file too large"},
	{"laughs.yaml", gen_laughs, "laughs.yaml:2:11: anchors are not allowed"},
	{"random.yaml", gen_random, "random.yaml:"},
	{"many-labels.yaml", gen_many_labels, "many-labels.yaml:1029:5: labels: more than 1024"},
};

START_TEST(test_state_load_hostile)
{
	const struct hostile_case *c = &hostile_cases[_i];
	char *dir = tmpdir_new(), *path = util_asprintf("%s/%s", dir, c->file);
	struct rusage before, after;
	FILE *f = fopen(path, "we");
	struct graph *g = NULL;
	struct util_err err = {""};

	ck_assert_ptr_nonnull(f);
	c->gen(f);
	ck_assert_int_eq(fclose(f), 0);

	ck_assert_int_eq(getrusage(RUSAGE_SELF, &before), 0);
	ck_assert_int_eq(graph_state_load(path, &g, &err), -EINVAL);
	ck_assert_int_eq(getrusage(RUSAGE_SELF, &after), 0);
	ck_assert_msg(strstr(err.msg, c->expect), "got \"%s\", expected \"%s\"", err.msg,
		      c->expect);
	ck_assert_ptr_null(strchr(err.msg, '\n'));
	/* 100 MB of input must not become 100 MB of memory */
	ck_assert_msg(after.ru_maxrss - before.ru_maxrss < 48 * 1024, "%s: grew by %ld KiB",
		      c->file, after.ru_maxrss - before.ru_maxrss);
	free(path);
	tmpdir_free(dir);
}
END_TEST

/* ---- The state file: saving --------------------------------------------------------------- */

/* Graphs the API allows but a state file may not hold: saving them fails and writes nothing. */
static struct graph *build_bad_label(void)
{
	struct graph *g = graph_new();

	add_wl(g, GRAPH_KIND_K8S, "ns", "Deployment", "a", "app=x\ny", NULL);
	return g;
}

static struct graph *build_bad_quote(void)
{
	struct graph *g = graph_new();

	add_wl(g, GRAPH_KIND_DOCKER, NULL, NULL, "web\"; rm -rf /", NULL, NULL);
	return g;
}

static struct graph *build_bad_port(void)
{
	struct graph *g = graph_new();

	add_wl(g, GRAPH_KIND_NODE, NULL, NULL, "a", NULL, NULL);
	add_edge_ids(g, "node:a", "node:a", IPPROTO_TCP, 0, 1, 1, 1);
	return g;
}

static struct graph *build_bad_icmp(void)
{
	struct graph *g = graph_new();

	add_wl(g, GRAPH_KIND_NODE, NULL, NULL, "a", NULL, NULL);
	add_edge_ids(g, "node:a", "node:a", IPPROTO_ICMP, 8, 1, 1, 1);
	return g;
}

static struct graph *build_bad_proto(void)
{
	struct graph *g = graph_new();

	add_wl(g, GRAPH_KIND_NODE, NULL, NULL, "a", NULL, NULL);
	add_edge_ids(g, "node:a", "node:a", 47, 1, 1, 1, 1);
	return g;
}

/* Attempts the loader would refuse, which only the API (never capture) can make. */
static struct graph *build_bad_attempt(uint8_t proto, uint64_t refused, uint64_t first,
				       uint64_t last)
{
	struct graph *g = graph_new();

	add_wl(g, GRAPH_KIND_NODE, NULL, NULL, "a", NULL, NULL);
	add_attempt_ids(g, "node:a", "node:a", proto, NULL, refused, 0, first, last);
	return g;
}

static struct graph *build_bad_attempt_proto(void)
{
	return build_bad_attempt(47, 1, 1, 1);
}

static struct graph *build_bad_attempt_time(void)
{
	return build_bad_attempt(IPPROTO_ICMP, 1, 2, 1);
}

static struct graph *build_bad_attempt_zero(void)
{
	return build_bad_attempt(IPPROTO_ICMP, 0, 1, 1);
}

static struct graph *build_bad_address(void)
{
	struct graph *g = graph_new();

	add_wl(g, GRAPH_KIND_NODE, NULL, NULL, "a", NULL, "10.0.0.1");
	return g;
}

static struct graph *build_bad_counter(void)
{
	struct graph *g = graph_new();

	graph_add_counter(g, "with space", 1);
	return g;
}

static const struct save_bad_case {
	struct graph *(*build)(void);
	const char *expect;
} save_bad_cases[] = {
	{build_bad_label, "cannot save workload \"k8s:ns/deployment/a\": label \"app\" has an "
			  "invalid value \"x?y\""},
	{build_bad_quote, "cannot save workload \"docker:web\"; rm -rf /\": docker name"},
	{build_bad_port, "cannot save edge node:a -> node:a: port 0 is not valid for TCP"},
	{build_bad_icmp, "cannot save edge node:a -> node:a: port 8 is not valid for ICMP"},
	{build_bad_proto, "cannot save edge node:a -> node:a: unsupported protocol 47"},
	{build_bad_address, "cannot save workload \"node:a\": address \"10.0.0.1\""},
	{build_bad_counter, "cannot save counter \"with space\""},
	{build_bad_attempt_proto, "cannot save attempt node:a -> node:a: unsupported protocol 47"},
	{build_bad_attempt_time, "cannot save attempt node:a -> node:a: last seen before first"},
	{build_bad_attempt_zero, "cannot save attempt node:a -> node:a: neither refused nor"},
};

START_TEST(test_state_save_invalid)
{
	const struct save_bad_case *c = &save_bad_cases[_i];
	struct graph *g = c->build();
	char *dir = tmpdir_new(), *path = util_asprintf("%s/state.yaml", dir), *after;
	struct util_err err = {""};
	static const char old[] = "flowlock-state: 1\n";

	test_write_file(path, old, sizeof(old) - 1);
	ck_assert_int_eq(graph_state_save(g, path, &err), -EINVAL);
	ck_assert_msg(strstr(err.msg, c->expect), "got \"%s\"", err.msg);
	ck_assert_msg(strncmp(err.msg, path, strlen(path)) == 0, "%s", err.msg);
	after = test_read_file(path, NULL);
	ck_assert_str_eq(after, old);
	ck_assert_uint_eq(count_temp_files(dir), 0);
	free(after);
	free(path);
	graph_free(g);
	tmpdir_free(dir);
}
END_TEST

enum atomic_setup {
	ATOMIC_NEW_FILE,       /* no state yet: created 0644 */
	ATOMIC_REPLACE_LONGER, /* an existing, longer file is replaced whole, mode kept */
	ATOMIC_NO_DIR,	       /* the directory does not exist */
	ATOMIC_DIR_IS_FILE,    /* a path component is a regular file */
	ATOMIC_TARGET_IS_DIR,  /* rename fails after the temp file was written */
	ATOMIC_READ_ONLY_DIR,  /* no permission to create the temp file */
	ATOMIC_WRITE_FAILS,    /* the write itself fails (file size limit) */
	ATOMIC_FSYNC_FAILS,    /* every write took, fsync says the disk is full */
	ATOMIC_CLOSE_FAILS,    /* every write and fsync took, close says the disk is full */
};

static const struct atomic_case {
	const char *name;
	enum atomic_setup setup;
	const char *expect; /* NULL: success */
} atomic_cases[] = {
	{"new file", ATOMIC_NEW_FILE, NULL},
	{"replace longer", ATOMIC_REPLACE_LONGER, NULL},
	{"no directory", ATOMIC_NO_DIR, ": creating a temporary file: No such file or directory"},
	{"directory is a file", ATOMIC_DIR_IS_FILE, ": creating a temporary file: Not a directory"},
	{"target is a directory", ATOMIC_TARGET_IS_DIR, ": rename: Is a directory"},
	{"read-only directory", ATOMIC_READ_ONLY_DIR, ": creating a temporary file: Permission"},
	{"write fails", ATOMIC_WRITE_FAILS, ": writing: File too large"},
	{"fsync fails", ATOMIC_FSYNC_FAILS, ": fsync: No space left on device"},
	{"close fails", ATOMIC_CLOSE_FAILS, ": closing: No space left on device"},
};

START_TEST(test_state_atomic)
{
	const struct atomic_case *c = &atomic_cases[_i];
	struct graph *g = build_rich();
	struct util_err err = {""};
	char *dir, *path, *watch, *golden_path = util_asprintf("%s/good.yaml", STATE_DATA);
	char *golden = test_read_file(golden_path, NULL), *old = NULL, *after;
	struct rlimit saved_limit;
	struct stat st;
	int r;

	if (c->setup == ATOMIC_READ_ONLY_DIR && geteuid() == 0) {
		/* root ignores directory permissions; be somebody else in this forked test */
		if (srunner_fork_status(test_runner) == CK_NOFORK)
			goto skip;
		ck_assert_int_eq(setgid(65534), 0);
		ck_assert_int_eq(setuid(65534), 0);
	}
	dir = tmpdir_new();
	watch = util_strdup(dir); /* the directory where temp files would appear */
	path = util_asprintf("%s/state.yaml", dir);

	switch (c->setup) {
	case ATOMIC_NEW_FILE:
		break;
	case ATOMIC_REPLACE_LONGER:
		old = util_strdup(golden);
		old = util_reallocarray(old, strlen(golden) * 2 + 1, 1);
		strcat(old, golden); /* twice as long as what will be written */
		test_write_file(path, old, strlen(old));
		ck_assert_int_eq(chmod(path, 0600), 0);
		break;
	case ATOMIC_NO_DIR:
		free(path);
		path = util_asprintf("%s/missing/state.yaml", dir);
		break;
	case ATOMIC_DIR_IS_FILE:
		test_write_file(path, "x", 1);
		free(path);
		path = util_asprintf("%s/state.yaml/state.yaml", dir);
		break;
	case ATOMIC_TARGET_IS_DIR:
		ck_assert_int_eq(mkdir(path, 0755), 0);
		free(old);
		old = util_asprintf("%s/keep", path);
		test_write_file(old, "keep", 4);
		break;
	case ATOMIC_READ_ONLY_DIR:
		old = util_strdup("flowlock-state: 1\n");
		test_write_file(path, old, strlen(old));
		ck_assert_int_eq(chmod(dir, 0555), 0);
		break;
	case ATOMIC_WRITE_FAILS:
		old = util_strdup("flowlock-state: 1\n");
		test_write_file(path, old, strlen(old));
		signal(SIGXFSZ, SIG_IGN);
		ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &saved_limit), 0);
		ck_assert_int_eq(
			setrlimit(RLIMIT_FSIZE, &(struct rlimit){100, saved_limit.rlim_max}), 0);
		break;
	case ATOMIC_FSYNC_FAILS:
	case ATOMIC_CLOSE_FAILS:
		old = util_strdup("flowlock-state: 1\n");
		test_write_file(path, old, strlen(old));
		if (c->setup == ATOMIC_FSYNC_FAILS)
			fault_fsync_errno = ENOSPC;
		else
			fault_close_errno = ENOSPC;
		break;
	}

	r = graph_state_save(g, path, &err);
	if (c->setup == ATOMIC_WRITE_FAILS)
		ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &saved_limit), 0);
	ck_assert_int_eq(fault_fsync_errno + fault_close_errno, 0); /* the fault was used */

	if (!c->expect) {
		ck_assert_msg(r == 0, "%s: %s", c->name, err.msg);
		after = test_read_file(path, NULL);
		ck_assert_str_eq(after, golden);
		free(after);
		ck_assert_int_eq(stat(path, &st), 0);
		ck_assert_uint_eq(st.st_mode & 07777, c->setup == ATOMIC_NEW_FILE ? 0644 : 0600);
	} else {
		ck_assert_msg(r < 0, "%s: saved", c->name);
		ck_assert_msg(strstr(err.msg, c->expect), "%s: got \"%s\"", c->name, err.msg);
		ck_assert_msg(strncmp(err.msg, path, strlen(path)) == 0, "%s", err.msg);
		if (c->setup == ATOMIC_TARGET_IS_DIR) {
			after = test_read_file(old, NULL);
			ck_assert_str_eq(after, "keep");
			free(after);
		} else if (old) {
			after = test_read_file(path, NULL);
			ck_assert_str_eq(after, old);
			free(after);
		}
	}
	ck_assert_uint_eq(count_temp_files(watch), 0);

	free(watch);
	free(path);
	tmpdir_free(dir);
skip:
	free(old);
	free(golden);
	free(golden_path);
	graph_free(g);
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
	char *dir = tmpdir_new(), *path = util_asprintf("%s/s.yaml", dir), *buf;
	struct util_err err = {""};

	ck_assert_msg(graph_state_save(g, path, &err) == 0, "%s", err.msg);
	buf = test_read_file(path, NULL);
	ck_assert_ptr_nonnull(buf);
	free(path);
	tmpdir_free(dir);
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
	char *dir = tmpdir_new(), *path = util_asprintf("%s/abc.yaml", dir);
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
	tmpdir_free(dir);
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

/* A save sweeps the temporary files a killed save left: only those, and only old ones. */
static const struct sweep_case {
	const char *name; /* beside state.yaml */
	long age_s;
	bool dir; /* a folder, not a file */
	bool removed;
} sweep_cases[] = {
	{"state.yaml.tmp.Ab3xYz", 3600, false, true},
	{"state.yaml.tmp.Ab3xYz", 660, false, true},
	{"state.yaml.tmp.Ab3xYz", 60, false, false}, /* maybe another writer's, mid-save */
	{"state.yaml.tmp.Ab3xY", 3600, false, false},
	{"state.yaml.tmp.Ab3xYzz", 3600, false, false},
	{"other.yaml.tmp.Ab3xYz", 3600, false, false},
	{"state.yaml.bak.Ab3xYz", 3600, false, false},
	{"state.yaml.tmp.Ab3xYz", 3600, true, false},
};

START_TEST(test_state_sweep)
{
	const struct sweep_case *c = &sweep_cases[_i];
	char dir[] = "/tmp/fl-sweep.XXXXXX", *state, *stale;
	struct graph *g = graph_new();
	struct util_err err = {""};
	struct timespec times[2];
	struct stat st;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	state = util_asprintf("%s/state.yaml", dir);
	stale = util_asprintf("%s/%s", dir, c->name);
	if (c->dir)
		ck_assert_int_eq(mkdir(stale, 0700), 0);
	else
		test_write_file(stale, "half a state\n", 13);
	clock_gettime(CLOCK_REALTIME, &times[0]);
	times[0].tv_sec -= c->age_s;
	times[1] = times[0];
	ck_assert_int_eq(utimensat(AT_FDCWD, stale, times, 0), 0);
	ck_assert_int_eq(graph_state_save(g, state, &err), 0);
	ck_assert_msg((stat(stale, &st) != 0) == c->removed, "%s, %ld s old: %s", c->name, c->age_s,
		      c->removed ? "kept" : "removed");
	ck_assert_int_eq(stat(state, &st), 0);
	if (c->dir)
		rmdir(stale);
	else
		unlink(stale);
	unlink(state);
	ck_assert_int_eq(rmdir(dir), 0);
	free(state);
	free(stale);
	graph_free(g);
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

static const struct bad_case merge_bad_cases[] = {
	{"bad-node-name.yaml", -EINVAL,
	 "bad-node-name.yaml:2:7: node: \"-worker\" is not a node name (1 to 253 of "
	 "[A-Za-z0-9._-], alphanumeric first)"},
	{"bad-node-space.yaml", -EINVAL,
	 "bad-node-space.yaml:2:7: node: \"worker a\" is not a node name"},
	{"bad-node-null.yaml", -EINVAL,
	 "bad-node-null.yaml:2:6: node: expected a string, got null"},
	{"bad-node-and-nodes.yaml", -EINVAL,
	 "bad-node-and-nodes.yaml:6:1: nodes: a state has \"node\" (learned by one node) or "
	 "\"nodes\" (merged), not both"},
	{"bad-nodes-one.yaml", -EINVAL,
	 "bad-nodes-one.yaml:5:1: nodes: a merged state has at least two nodes"},
	{"bad-nodes-duplicate.yaml", -EINVAL,
	 "bad-nodes-duplicate.yaml:10:3: nodes: duplicate key \"worker-a\""},
	{"bad-nodes-unknown-key.yaml", -EINVAL,
	 "bad-nodes-unknown-key.yaml:11:5: nodes: unknown key \"count\""},
	{"bad-nodes-name.yaml", -EINVAL,
	 "bad-nodes-name.yaml:10:3: nodes: \"-c\" is not a node name"},
	{"bad-nodes-null-name.yaml", -EINVAL,
	 "bad-nodes-null-name.yaml:10:3: nodes: \"~\" is not a node name"},
	{"bad-nodes-sequence.yaml", -EINVAL,
	 "bad-nodes-sequence.yaml:6:1: nodes: expected a mapping, got a sequence"},
	{"bad-total-mismatch.yaml", -EINVAL,
	 "bad-total-mismatch.yaml:4:3: counters: packets is 83, but the nodes' add up to 82"},
	{"bad-total-missing.yaml", -EINVAL,
	 "bad-total-missing.yaml:3:3: counters: missing \"flows\", which nodes count"},
	{"bad-total-extra.yaml", -EINVAL,
	 "bad-total-extra.yaml:5:3: counters: \"pcap-drops\" is counted by no node"},
	{"bad-edge-no-nodes.yaml", -EINVAL,
	 "bad-edge-no-nodes.yaml:42:3: edge: missing \"nodes\" (a merged state says which "
	 "nodes saw each edge)"},
	{"bad-edge-unknown-node.yaml", -EINVAL,
	 "bad-edge-unknown-node.yaml:50:5: nodes: \"worker-b\" is not one of the state's "
	 "\"nodes\""},
	{"bad-edge-sum.yaml", -EINVAL,
	 "bad-edge-sum.yaml:46:16: connections: 2, but the edge's nodes add up to 3"},
	{"bad-edge-nodes-duplicate.yaml", -EINVAL,
	 "bad-edge-nodes-duplicate.yaml:60:5: nodes: duplicate key \"worker-a\""},
	{"bad-edge-nodes-empty.yaml", -EINVAL,
	 "bad-edge-nodes-empty.yaml:49:3: nodes: no node saw this edge"},
	{"bad-edge-nodes-negative.yaml", -EINVAL,
	 "bad-edge-nodes-negative.yaml:50:15: nodes: expected a number, got \"-2\""},
	{"bad-edge-nodes-unmerged.yaml", -EINVAL,
	 "bad-edge-nodes-unmerged.yaml:34:3: nodes: only a merged state (one with top-level "
	 "\"nodes\") has nodes on its edges"},
	{"bad-attempt-no-nodes.yaml", -EINVAL,
	 "bad-attempt-no-nodes.yaml:101:3: attempt: missing \"nodes\" (a merged state says "
	 "which nodes saw each attempt)"},
	{"bad-attempt-node-missing.yaml", -EINVAL,
	 "bad-attempt-node-missing.yaml:110:5: nodes: missing \"unanswered\""},
	{"bad-attempt-sum.yaml", -EINVAL,
	 "bad-attempt-sum.yaml:105:12: refused: 3, but the attempt's nodes add up to 2"},
	{"bad-attempt-unknown-node.yaml", -EINVAL,
	 "bad-attempt-unknown-node.yaml:110:5: nodes: \"worker-z\" is not one of the state's "
	 "\"nodes\""},
};

START_TEST(test_merge_load_bad)
{
	const struct bad_case *c = &merge_bad_cases[_i];
	char *path = util_asprintf("%s/%s", MERGE_DATA, c->file);

	check_load_fails(path, c->ret, c->expect);
	free(path);
}
END_TEST

/* ---- Suite -------------------------------------------------------------------------------- */

#define ADD_LOOP(tc, fn, table) tcase_add_loop_test(tc, fn, 0, (int)UTIL_ARRAY_SIZE(table))

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

static Suite *learn_suite(void)
{
	Suite *s = suite_create("learn");
	TCase *tc;

	tc = tcase_create("workload");
	ADD_LOOP(tc, test_workload_id, id_cases);
	ADD_LOOP(tc, test_workload_kind_names, kind_cases);
	ADD_LOOP(tc, test_workload_labels, label_cases);
	ADD_LOOP(tc, test_workload_addresses, address_cases);
	ADD_LOOP(tc, test_workload_refcount, ref_cases);
	suite_add_tcase(s, tc);

	tc = tcase_create("graph");
	tcase_add_loop_test(tc, test_counter_name, 0, (int)UTIL_ARRAY_SIZE(counter_name_cases));
	ADD_LOOP(tc, test_graph_edges, graph_cases);
	ADD_LOOP(tc, test_graph_replace_workload, replace_cases);
	ADD_LOOP(tc, test_graph_counters, counter_cases);
	ADD_LOOP(tc, test_graph_windows, window_cases);
	tcase_add_test(tc, test_graph_windows_cap);
	tcase_add_test(tc, test_graph_running);
	suite_add_tcase(s, tc);

	tc = tcase_create("state");
	tcase_set_timeout(tc, 120);
	ADD_LOOP(tc, test_state_roundtrip, roundtrip_cases);
	ADD_LOOP(tc, test_state_load_good, good_cases);
	ADD_LOOP(tc, test_state_load_bad, bad_cases);
	ADD_LOOP(tc, test_state_load_hostile, hostile_cases);
	ADD_LOOP(tc, test_state_save_invalid, save_bad_cases);
	ADD_LOOP(tc, test_state_atomic, atomic_cases);
	suite_add_tcase(s, tc);

	tc = tcase_create("merge");
	tcase_set_timeout(tc, 120);
	ADD_LOOP(tc, test_node_names, node_name_cases);
	ADD_LOOP(tc, test_node_claim, claim_cases);
	ADD_LOOP(tc, test_merge_algebra, algebra_cases);
	ADD_LOOP(tc, test_merge_counts, count_cases);
	ADD_LOOP(tc, test_merge_conflict, conflict_cases);
	ADD_LOOP(tc, test_find_edge, find_edge_cases);
	ADD_LOOP(tc, test_state_sweep, sweep_cases);
	ADD_LOOP(tc, test_merge_golden, merge_golden_cases);
	ADD_LOOP(tc, test_merge_load_bad, merge_bad_cases);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_run(learn_suite());
}
