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
#include <unistd.h>

#include "learn/learn.h"

#define STATE_DATA TEST_DATA "/state"

static SRunner *runner; /* to ask whether tests run forked */
#define NS 1000000000ull
#define T0 (1795356000ull * NS) /* 2026-11-22T14:00:00Z */

/* ---- Helpers ------------------------------------------------------------------------------ */

/* The whole file, NUL-terminated for convenience; NULL if it cannot be read. */
static char *slurp(const char *path, size_t *ret_len)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t len = 0, n;

	if (!f)
		return NULL;
	buf = util_zalloc(1);
	for (;;) {
		buf = util_reallocarray(buf, len + 65536 + 1, 1);
		n = fread(buf + len, 1, 65536, f);
		len += n;
		if (n == 0)
			break;
	}
	buf[len] = '\0';
	fclose(f);
	if (ret_len)
		*ret_len = len;
	return buf;
}

static void spit(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "we");

	ck_assert_msg(f, "%s: %s", path, strerror(errno));
	ck_assert_uint_eq(fwrite(data, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
}

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
static char *graph_dump(const struct learn_graph *g)
{
	char *buf = NULL, t1[UTIL_TIME_LEN], t2[UTIL_TIME_LEN];
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(f);
	for (size_t i = 0; i < learn_graph_counter_count(g); i++)
		fprintf(f, "counter %s=%" PRIu64 "\n", learn_graph_counter_name(g, i),
			learn_graph_counter_value(g, i));
	for (size_t i = 0; i < learn_graph_workload_count(g); i++) {
		const struct learn_workload *w = learn_graph_workload(g, i);

		fprintf(f, "workload %s kind=%s ns=%s ctrl=%s name=%s", learn_workload_id(w),
			learn_kind_name(learn_workload_kind(w)), learn_workload_namespace(w),
			learn_workload_controller(w), learn_workload_name(w));
		for (size_t j = 0; j < learn_workload_label_count(w); j++)
			fprintf(f, " label[%s=%s]", learn_workload_label_key(w, j),
				learn_workload_label_value(w, j));
		for (size_t j = 0; j < learn_workload_address_count(w); j++)
			fprintf(f, " addr[%s]", learn_workload_address(w, j));
		fputc('\n', f);
	}
	for (size_t i = 0; i < learn_graph_edge_count(g); i++) {
		const struct learn_edge *e = learn_graph_edge(g, i);

		util_time_format(learn_edge_first_ns(e), t1);
		util_time_format(learn_edge_last_ns(e), t2);
		fprintf(f, "edge %s -> %s %u/%u n=%" PRIu64 " %s %s\n",
			learn_workload_id(learn_edge_client(e)),
			learn_workload_id(learn_edge_server(e)), learn_edge_proto(e),
			learn_edge_port(e), learn_edge_connections(e), t1, t2);
	}
	ck_assert_int_eq(fclose(f), 0);
	return buf;
}

/*
 * Adds a workload described compactly: labels "k=v;k=v", addresses "a;b" (either may be NULL).
 * Returns the graph's workload.
 */
static const struct learn_workload *add_wl(struct learn_graph *g, enum learn_kind kind,
					   const char *ns, const char *ctrl, const char *name,
					   const char *labels, const char *addresses)
{
	struct learn_workload *w = learn_workload_new(kind, ns, ctrl, name);
	const struct learn_workload *ret;
	char *copy, *save = NULL;

	if (labels) {
		copy = util_strdup(labels);
		for (char *kv = strtok_r(copy, ";", &save); kv; kv = strtok_r(NULL, ";", &save)) {
			char *eq = strchr(kv, '=');

			ck_assert_ptr_nonnull(eq);
			*eq = '\0';
			learn_workload_set_label(w, kv, eq + 1);
		}
		free(copy);
	}
	if (addresses) {
		copy = util_strdup(addresses);
		for (char *a = strtok_r(copy, ";", &save); a; a = strtok_r(NULL, ";", &save))
			learn_workload_add_address(w, a);
		free(copy);
	}
	ret = learn_graph_add_workload(g, w);
	learn_workload_unref(w);
	return ret;
}

static void add_edge_ids(struct learn_graph *g, const char *client, const char *server,
			 uint8_t proto, uint16_t port, uint64_t n, uint64_t first, uint64_t last)
{
	const struct learn_workload *c = learn_graph_find_workload(g, client);
	const struct learn_workload *s = learn_graph_find_workload(g, server);

	ck_assert_msg(c && s, "%s -> %s: workloads missing", client, server);
	learn_graph_add_edge(g, c, s, proto, port, n, first, last);
}

/* ---- Workloads ---------------------------------------------------------------------------- */

static const struct id_case {
	enum learn_kind kind;
	const char *ns, *ctrl, *name, *id;
} id_cases[] = {
	{LEARN_KIND_K8S, "shop", "Deployment", "frontend", "k8s:shop/deployment/frontend"},
	{LEARN_KIND_K8S, "shop", "StatefulSet", "db", "k8s:shop/statefulset/db"},
	{LEARN_KIND_K8S, "kube-system", "DaemonSet", "kube-proxy",
	 "k8s:kube-system/daemonset/kube-proxy"},
	{LEARN_KIND_K8S, "default", "Pod", "debug", "k8s:default/pod/debug"},
	{LEARN_KIND_DOCKER, "shop", NULL, "web", "docker:shop/web"},
	{LEARN_KIND_DOCKER, NULL, NULL, "redis", "docker:redis"},
	{LEARN_KIND_DOCKER, "", "", "redis", "docker:redis"},
	{LEARN_KIND_NODE, NULL, NULL, "worker-1", "node:worker-1"},
	{LEARN_KIND_NODE, NULL, NULL, "10.0.0.5", "node:10.0.0.5"},
	{LEARN_KIND_EXTERNAL, NULL, NULL, "203.0.113.7/32", "external:203.0.113.7/32"},
	{LEARN_KIND_EXTERNAL, NULL, NULL, "2001:db8::/32", "external:2001:db8::/32"},
};

START_TEST(test_workload_id)
{
	const struct id_case *c = &id_cases[_i];
	struct learn_workload *w = learn_workload_new(c->kind, c->ns, c->ctrl, c->name);

	ck_assert_str_eq(learn_workload_id(w), c->id);
	ck_assert_int_eq(learn_workload_kind(w), c->kind);
	ck_assert_str_eq(learn_workload_namespace(w), c->ns ? c->ns : "");
	ck_assert_str_eq(learn_workload_controller(w), c->ctrl ? c->ctrl : "");
	ck_assert_str_eq(learn_workload_name(w), c->name);
	ck_assert_uint_eq(learn_workload_label_count(w), 0);
	ck_assert_uint_eq(learn_workload_address_count(w), 0);
	ck_assert_ptr_null(learn_workload_unref(w));
}
END_TEST

static const struct kind_case {
	const char *name;
	int ret;
	enum learn_kind kind;
} kind_cases[] = {
	{"k8s", 0, LEARN_KIND_K8S},   {"docker", 0, LEARN_KIND_DOCKER},
	{"node", 0, LEARN_KIND_NODE}, {"external", 0, LEARN_KIND_EXTERNAL},
	{"K8S", -EINVAL, 0},	      {"", -EINVAL, 0},
	{"pod", -EINVAL, 0},	      {"external ", -EINVAL, 0},
};

START_TEST(test_workload_kind_names)
{
	const struct kind_case *c = &kind_cases[_i];
	enum learn_kind kind = (enum learn_kind)99;

	ck_assert_int_eq(learn_kind_from_name(c->name, &kind), c->ret);
	if (c->ret == 0) {
		ck_assert_int_eq(kind, c->kind);
		ck_assert_str_eq(learn_kind_name(kind), c->name);
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

static char *label_join(const struct learn_workload *w)
{
	char *s = util_strdup(""), *n;

	for (size_t i = 0; i < learn_workload_label_count(w); i++) {
		n = util_asprintf("%s%s%s=%s", s, i ? "," : "", learn_workload_label_key(w, i),
				  learn_workload_label_value(w, i));
		free(s);
		s = n;
	}
	return s;
}

START_TEST(test_workload_labels)
{
	const struct label_case *c = &label_cases[_i];
	struct learn_workload *w = learn_workload_new(LEARN_KIND_K8S, "ns", "Deployment", "x");
	char *joined;

	for (size_t i = 0; i < UTIL_ARRAY_SIZE(c->ops) && c->ops[i]; i++) {
		char *kv = util_strdup(c->ops[i]), *eq = strchr(kv, '=');

		*eq = '\0';
		learn_workload_set_label(w, kv, eq + 1);
		free(kv);
	}
	joined = label_join(w);
	ck_assert_str_eq(joined, c->expect);
	ck_assert_ptr_null(learn_workload_label_key(w, learn_workload_label_count(w)));
	ck_assert_ptr_null(learn_workload_label_value(w, learn_workload_label_count(w)));
	free(joined);
	learn_workload_unref(w);
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
	struct learn_workload *w = learn_workload_new(LEARN_KIND_NODE, NULL, NULL, "n1");
	char *s = util_strdup(""), *n;

	for (size_t i = 0; i < UTIL_ARRAY_SIZE(c->add) && c->add[i]; i++)
		learn_workload_add_address(w, c->add[i]);
	for (size_t i = 0; i < learn_workload_address_count(w); i++) {
		n = util_asprintf("%s%s%s", s, i ? "," : "", learn_workload_address(w, i));
		free(s);
		s = n;
	}
	ck_assert_str_eq(s, c->expect);
	ck_assert_ptr_null(learn_workload_address(w, learn_workload_address_count(w)));
	free(s);
	learn_workload_unref(w);
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
	struct learn_workload *w = learn_workload_new(LEARN_KIND_NODE, NULL, NULL, "n1");
	struct learn_graph *g = learn_graph_new();

	ck_assert_ptr_null(learn_workload_unref(NULL));
	ck_assert_ptr_null(learn_workload_ref(NULL));
	for (int i = 0; i < c->extra; i++)
		ck_assert_ptr_eq(learn_workload_ref(w), w);
	if (c->in_graph)
		ck_assert_ptr_eq(learn_graph_add_workload(g, w), w);
	for (int i = 0; i < c->extra; i++) {
		ck_assert_ptr_null(learn_workload_unref(w));
		ck_assert_str_eq(learn_workload_id(w), "node:n1"); /* still alive */
	}
	ck_assert_ptr_null(learn_workload_unref(w));
	if (c->in_graph) /* the graph's reference keeps it */
		ck_assert_str_eq(learn_workload_id(learn_graph_find_workload(g, "node:n1")),
				 "node:n1");
	ck_assert_ptr_null(learn_graph_free(g));
	ck_assert_ptr_null(learn_graph_free(NULL));
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
	struct learn_graph *g = learn_graph_new();
	const struct learn_workload *w[3];

	for (size_t i = 0; i < 3; i++)
		w[i] = add_wl(g, LEARN_KIND_K8S, "ns", "Deployment", graph_ids[i] + 18, NULL, NULL);
	ck_assert_str_eq(learn_workload_id(w[2]), graph_ids[2]);
	for (size_t i = 0; i < c->n_ops; i++) {
		const struct edge_op *op = &c->ops[i];

		learn_graph_add_edge(g, w[op->client], w[op->server], op->proto, op->port, op->n,
				     op->first, op->last);
	}
	ck_assert_msg(learn_graph_edge_count(g) == c->n_expect, "%s: %zu edges", c->name,
		      learn_graph_edge_count(g));
	for (size_t i = 0; i < c->n_expect; i++) {
		const struct edge_op *x = &c->expect[i];
		const struct learn_edge *e = learn_graph_edge(g, i);

		ck_assert_ptr_nonnull(e);
		ck_assert_str_eq(learn_workload_id(learn_edge_client(e)), graph_ids[x->client]);
		ck_assert_str_eq(learn_workload_id(learn_edge_server(e)), graph_ids[x->server]);
		ck_assert_uint_eq(learn_edge_proto(e), x->proto);
		ck_assert_uint_eq(learn_edge_port(e), x->port);
		ck_assert_uint_eq(learn_edge_connections(e), x->n);
		ck_assert_uint_eq(learn_edge_first_ns(e), x->first);
		ck_assert_uint_eq(learn_edge_last_ns(e), x->last);
	}
	ck_assert_ptr_null(learn_graph_edge(g, c->n_expect));
	learn_graph_free(g);
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
	struct learn_graph *g = learn_graph_new();
	const struct learn_workload *a, *b, *found;
	char *labels;

	a = add_wl(g, LEARN_KIND_K8S, "ns", "Deployment", "a", c->labels_before, c->addrs_before);
	b = add_wl(g, LEARN_KIND_K8S, "ns", "Deployment", "b", NULL, NULL);
	learn_graph_add_edge(g, a, b, IPPROTO_TCP, 80, 3, 10, 20);
	learn_graph_add_edge(g, b, a, IPPROTO_TCP, 81, 1, 10, 20);

	found = add_wl(g, LEARN_KIND_K8S, "ns", "Deployment", "a", c->labels_after, c->addrs_after);
	ck_assert_ptr_eq(learn_graph_find_workload(g, "k8s:ns/deployment/a"), found);
	ck_assert_uint_eq(learn_graph_workload_count(g), 2);
	labels = label_join(found);
	ck_assert_str_eq(labels, c->expect_labels);
	free(labels);
	ck_assert_uint_eq(learn_workload_address_count(found), c->addrs_after ? 1 : 0);

	/* both edges survived and now point at the new workload */
	ck_assert_uint_eq(learn_graph_edge_count(g), 2);
	ck_assert_ptr_eq(learn_edge_client(learn_graph_edge(g, 0)), found);
	ck_assert_ptr_eq(learn_edge_server(learn_graph_edge(g, 1)), found);
	ck_assert_uint_eq(learn_edge_connections(learn_graph_edge(g, 0)), 3);
	/* and adding to the edge through the new workload sums into the same edge */
	learn_graph_add_edge(g, found, b, IPPROTO_TCP, 80, 1, 5, 30);
	ck_assert_uint_eq(learn_graph_edge_count(g), 2);
	ck_assert_uint_eq(learn_edge_connections(learn_graph_edge(g, 0)), 4);
	ck_assert_uint_eq(learn_edge_first_ns(learn_graph_edge(g, 0)), 5);
	ck_assert_uint_eq(learn_edge_last_ns(learn_graph_edge(g, 0)), 30);
	learn_graph_free(g);
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
	struct learn_graph *g = learn_graph_new();
	char *s = util_strdup(""), *n;

	for (size_t i = 0; i < UTIL_ARRAY_SIZE(c->ops) && c->ops[i].name; i++)
		learn_graph_add_counter(g, c->ops[i].name, c->ops[i].n);
	for (size_t i = 0; i < learn_graph_counter_count(g); i++) {
		n = util_asprintf("%s%s%s=%" PRIu64, s, i ? "," : "",
				  learn_graph_counter_name(g, i), learn_graph_counter_value(g, i));
		free(s);
		s = n;
	}
	ck_assert_str_eq(s, c->expect);
	ck_assert_ptr_null(learn_graph_counter_name(g, learn_graph_counter_count(g)));
	free(s);
	learn_graph_free(g);
}
END_TEST

/* ---- The state file: round trips ---------------------------------------------------------- */

static struct learn_graph *build_empty(void)
{
	return learn_graph_new();
}

/* The graph tests/data/state/good.yaml holds, added in a scrambled order. */
static struct learn_graph *build_rich(void)
{
	struct learn_graph *g = learn_graph_new();

	add_wl(g, LEARN_KIND_NODE, NULL, NULL, "worker-1", NULL, "10.0.1.5/32;10.0.0.5/32");
	add_wl(g, LEARN_KIND_K8S, "shop", "Deployment", "frontend",
	       "empty=;canary=true;app.kubernetes.io/part-of=shop;app=frontend", NULL);
	add_wl(g, LEARN_KIND_EXTERNAL, NULL, NULL, "203.0.113.7/32", NULL, "203.0.113.7/32");
	add_wl(g, LEARN_KIND_K8S, "shop", "StatefulSet", "0123", "app=db", NULL);
	add_wl(g, LEARN_KIND_DOCKER, NULL, NULL, "redis", NULL, NULL);
	add_wl(g, LEARN_KIND_K8S, "shop", "Deployment", "cart", "app=cart", NULL);
	add_wl(g, LEARN_KIND_NODE, NULL, NULL, "10.0.0.6", NULL, "10.0.0.6/32");
	add_wl(g, LEARN_KIND_K8S, "kube-system", "Pod", "coredns-7db6d8ff4d-x2k9p",
	       "k8s-app=kube-dns", NULL);
	add_wl(g, LEARN_KIND_EXTERNAL, NULL, NULL, "2001:db8::/32", NULL, "2001:db8::/32");
	add_wl(g, LEARN_KIND_DOCKER, "shop", NULL, "web", "com.docker.compose.service=web", NULL);

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

	learn_graph_add_counter(g, "packets", 1000);
	learn_graph_add_counter(g, "packets-truncated", 0);
	learn_graph_add_counter(g, "flows", 9);
	learn_graph_add_counter(g, "packets", 234);
	return g;
}

/* Values that must be quoted to stay strings: they look like bools, numbers, nulls, dates. */
static struct learn_graph *build_quoting(void)
{
	static const char *const values[] = {
		"true", "False", "yes",	 "NO",	       "on",	"Off",
		"y",	"n",	 "null", "Null",       "123",	"1.5",
		"0x1F", "1e3",	 "0o17", "2026-11-22", "1_000", "12345678901234567890"};
	struct learn_graph *g = learn_graph_new();
	struct learn_workload *w = learn_workload_new(LEARN_KIND_K8S, "n1", "Deployment", "123");

	for (size_t i = 0; i < UTIL_ARRAY_SIZE(values); i++) {
		char key[16];

		snprintf(key, sizeof(key), "k%02zu", i);
		learn_workload_set_label(w, key, values[i]);
	}
	learn_workload_set_label(w, "true", "1");
	learn_workload_set_label(w, "null", "null");
	learn_graph_add_workload(g, w);
	learn_workload_unref(w);
	add_wl(g, LEARN_KIND_DOCKER, "1", NULL, "1.5", NULL, NULL);
	add_wl(g, LEARN_KIND_NODE, NULL, NULL, "null", NULL, "::/0;0.0.0.0/0;::ffff:10.0.0.1/128");
	add_wl(g, LEARN_KIND_NODE, NULL, NULL, "::1", NULL, NULL);
	add_wl(g, LEARN_KIND_EXTERNAL, NULL, NULL, "::/0", NULL, NULL);
	add_edge_ids(g, "node:::1", "external:::/0", IPPROTO_TCP, 1, 0, 0, 0);
	add_edge_ids(g, "docker:1/1.5", "node:null", IPPROTO_UDP, 65535, 1, 1, 2);
	learn_graph_add_counter(g, "123", 1);
	learn_graph_add_counter(g, "true", 0);
	return g;
}

/* Many workloads and edges, to see that order does not depend on hash-table order. */
static struct learn_graph *build_many(void)
{
	struct learn_graph *g = learn_graph_new();
	char name[32], a[64], b[64];

	for (int i = 0; i < 300; i++) {
		snprintf(name, sizeof(name), "w%d", (i * 7919) % 300);
		add_wl(g, LEARN_KIND_K8S, i % 2 ? "odd" : "even", i % 3 ? "Deployment" : "Job",
		       name, "app=x", NULL);
	}
	for (int i = 0; i < 1000; i++) {
		const struct learn_workload *c = learn_graph_workload(g, (size_t)(i * 31) % 300);
		const struct learn_workload *s = learn_graph_workload(g, (size_t)(i * 17) % 300);

		snprintf(a, sizeof(a), "%s", learn_workload_id(c));
		snprintf(b, sizeof(b), "%s", learn_workload_id(s));
		add_edge_ids(g, a, b, i % 2 ? IPPROTO_TCP : IPPROTO_UDP,
			     (uint16_t)(1 + (i * 13) % 65535), (uint64_t)i, T0 + (uint64_t)i,
			     T0 + 2 * (uint64_t)i);
	}
	return g;
}

static const struct roundtrip_case {
	const char *name;
	struct learn_graph *(*build)(void);
	const char *golden; /* the exact bytes expected, or NULL */
} roundtrip_cases[] = {
	{"empty", build_empty, "empty-graph.yaml"},
	{"rich", build_rich, "good.yaml"},
	{"quoting", build_quoting, "quoting.yaml"},
	{"many", build_many, NULL},
};

START_TEST(test_state_roundtrip)
{
	const struct roundtrip_case *c = &roundtrip_cases[_i];
	struct learn_graph *g = c->build(), *loaded = NULL, *again = NULL;
	struct util_err err = {""};
	char *dir = tmpdir_new();
	char *p1 = util_asprintf("%s/one.yaml", dir), *p2 = util_asprintf("%s/two.yaml", dir);
	char *p3 = util_asprintf("%s/three.yaml", dir);
	char *b1, *b2, *b3, *d0, *d1, *d2;
	size_t l1, l2, l3;
	struct stat st;

	ck_assert_msg(learn_state_save(g, p1, &err) == 0, "%s: %s", c->name, err.msg);
	ck_assert_msg(learn_state_save(g, p3, &err) == 0, "%s: %s", c->name, err.msg);
	ck_assert_msg(learn_state_load(p1, &loaded, &err) == 0, "%s: %s", c->name, err.msg);
	ck_assert_msg(learn_state_save(loaded, p2, &err) == 0, "%s: %s", c->name, err.msg);
	ck_assert_msg(learn_state_load(p2, &again, &err) == 0, "%s: %s", c->name, err.msg);

	b1 = slurp(p1, &l1);
	b2 = slurp(p2, &l2);
	b3 = slurp(p3, &l3);
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
		size_t lg;
		char *golden = slurp(path, &lg);

		ck_assert_msg(golden, "%s: %s", path, strerror(errno));
		ck_assert_msg(lg == l1 && memcmp(golden, b1, l1) == 0,
			      "%s: output differs from %s:\n%s", c->name, c->golden, b1);
		free(golden);
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
	learn_graph_free(g);
	learn_graph_free(loaded);
	learn_graph_free(again);
	tmpdir_free(dir);
}
END_TEST

/* ---- The state file: loading fixtures ----------------------------------------------------- */

static const struct good_case {
	const char *file;
	size_t workloads, edges, counters;
	const char *canonical; /* what saving the loaded graph must give, byte for byte */
} good_cases[] = {
	{"good.yaml", 10, 8, 3, "good.yaml"},
	{"good-unordered.yaml", 10, 8, 3, "good.yaml"},
	{"minimal.yaml", 0, 0, 0, "empty-graph.yaml"},
	{"empty-graph.yaml", 0, 0, 0, "empty-graph.yaml"},
};

START_TEST(test_state_load_good)
{
	const struct good_case *c = &good_cases[_i];
	char *path = util_asprintf("%s/%s", STATE_DATA, c->file);
	char *canon_path = util_asprintf("%s/%s", STATE_DATA, c->canonical);
	char *dir = tmpdir_new(), *out = util_asprintf("%s/out.yaml", dir);
	struct learn_graph *g = NULL;
	struct util_err err = {""};
	char *canon, *got;
	size_t lc, lg;

	ck_assert_msg(learn_state_load(path, &g, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(learn_graph_workload_count(g), c->workloads);
	ck_assert_uint_eq(learn_graph_edge_count(g), c->edges);
	ck_assert_uint_eq(learn_graph_counter_count(g), c->counters);
	ck_assert_msg(learn_state_save(g, out, &err) == 0, "%s", err.msg);
	canon = slurp(canon_path, &lc);
	got = slurp(out, &lg);
	ck_assert_ptr_nonnull(canon);
	ck_assert_ptr_nonnull(got);
	ck_assert_msg(lc == lg && memcmp(canon, got, lc) == 0, "%s: re-saved as:\n%s", c->file,
		      got);
	if (c->edges > 0) { /* spot checks through the API */
		const struct learn_workload *fe =
			learn_graph_find_workload(g, "k8s:shop/deployment/frontend");
		const struct learn_edge *e = learn_graph_edge(g, 1);

		ck_assert_ptr_nonnull(fe);
		ck_assert_str_eq(learn_workload_controller(fe), "Deployment");
		ck_assert_uint_eq(learn_workload_label_count(fe), 4);
		ck_assert_str_eq(learn_workload_label_key(fe, 2), "canary");
		ck_assert_str_eq(learn_workload_label_value(fe, 2), "true");
		ck_assert_str_eq(learn_workload_label_value(fe, 3), "");
		ck_assert_uint_eq(learn_edge_proto(e), IPPROTO_SCTP);
		ck_assert_uint_eq(learn_edge_connections(e), UINT64_MAX);
		ck_assert_uint_eq(learn_edge_last_ns(e), UINT64_MAX);
	}
	free(canon);
	free(got);
	free(out);
	free(path);
	free(canon_path);
	learn_graph_free(g);
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
	 "bad-version.yaml:1:17: unsupported state version 2 (this flowlock reads 1)"},
	{"bad-version-quoted.yaml", -EINVAL,
	 "bad-version-quoted.yaml:1:17: flowlock-state: expected a number"},
	{"bad-version-not-first.yaml", -EINVAL,
	 "bad-version-not-first.yaml:1:1: not a flowlock state file"},
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
	{"bad-text.yaml", -EINVAL, "bad-text.yaml:1:1: not a flowlock state file"},
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
};

/* A failed load names the file, returns the error, writes nothing and leaves the file as is. */
static void check_load_fails(const char *path, int expect_ret, const char *expect)
{
	struct learn_graph *sentinel = (struct learn_graph *)&sentinel, *g = sentinel;
	struct util_err err = {""};
	char *before, *after;
	size_t lb = 0, la = 0;
	int r;

	before = slurp(path, &lb);
	r = learn_state_load(path, &g, &err);
	ck_assert_msg(r == expect_ret, "%s: returned %d (%s)", path, r, err.msg);
	ck_assert_ptr_eq(g, sentinel);
	ck_assert_msg(strstr(err.msg, expect), "%s:\n  got      \"%s\"\n  expected \"%s\"", path,
		      err.msg, expect);
	ck_assert_msg(strncmp(err.msg, path, strlen(path)) == 0, "message does not start with %s",
		      path);
	ck_assert_ptr_null(strchr(err.msg, '\n'));
	after = slurp(path, &la);
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
	struct learn_graph *g = NULL;
	struct util_err err = {""};

	ck_assert_ptr_nonnull(f);
	c->gen(f);
	ck_assert_int_eq(fclose(f), 0);

	ck_assert_int_eq(getrusage(RUSAGE_SELF, &before), 0);
	ck_assert_int_eq(learn_state_load(path, &g, &err), -EINVAL);
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
static struct learn_graph *build_bad_label(void)
{
	struct learn_graph *g = learn_graph_new();

	add_wl(g, LEARN_KIND_K8S, "ns", "Deployment", "a", "app=x\ny", NULL);
	return g;
}

static struct learn_graph *build_bad_quote(void)
{
	struct learn_graph *g = learn_graph_new();

	add_wl(g, LEARN_KIND_DOCKER, NULL, NULL, "web\"; rm -rf /", NULL, NULL);
	return g;
}

static struct learn_graph *build_bad_port(void)
{
	struct learn_graph *g = learn_graph_new();

	add_wl(g, LEARN_KIND_NODE, NULL, NULL, "a", NULL, NULL);
	add_edge_ids(g, "node:a", "node:a", IPPROTO_TCP, 0, 1, 1, 1);
	return g;
}

static struct learn_graph *build_bad_icmp(void)
{
	struct learn_graph *g = learn_graph_new();

	add_wl(g, LEARN_KIND_NODE, NULL, NULL, "a", NULL, NULL);
	add_edge_ids(g, "node:a", "node:a", IPPROTO_ICMP, 8, 1, 1, 1);
	return g;
}

static struct learn_graph *build_bad_proto(void)
{
	struct learn_graph *g = learn_graph_new();

	add_wl(g, LEARN_KIND_NODE, NULL, NULL, "a", NULL, NULL);
	add_edge_ids(g, "node:a", "node:a", 47, 1, 1, 1, 1);
	return g;
}

static struct learn_graph *build_bad_address(void)
{
	struct learn_graph *g = learn_graph_new();

	add_wl(g, LEARN_KIND_NODE, NULL, NULL, "a", NULL, "10.0.0.1");
	return g;
}

static struct learn_graph *build_bad_counter(void)
{
	struct learn_graph *g = learn_graph_new();

	learn_graph_add_counter(g, "with space", 1);
	return g;
}

static const struct save_bad_case {
	struct learn_graph *(*build)(void);
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
};

START_TEST(test_state_save_invalid)
{
	const struct save_bad_case *c = &save_bad_cases[_i];
	struct learn_graph *g = c->build();
	char *dir = tmpdir_new(), *path = util_asprintf("%s/state.yaml", dir), *after;
	struct util_err err = {""};
	static const char old[] = "flowlock-state: 1\n";

	spit(path, old, sizeof(old) - 1);
	ck_assert_int_eq(learn_state_save(g, path, &err), -EINVAL);
	ck_assert_msg(strstr(err.msg, c->expect), "got \"%s\"", err.msg);
	ck_assert_msg(strncmp(err.msg, path, strlen(path)) == 0, "%s", err.msg);
	after = slurp(path, NULL);
	ck_assert_str_eq(after, old);
	ck_assert_uint_eq(count_temp_files(dir), 0);
	free(after);
	free(path);
	learn_graph_free(g);
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
};

START_TEST(test_state_atomic)
{
	const struct atomic_case *c = &atomic_cases[_i];
	struct learn_graph *g = build_rich();
	struct util_err err = {""};
	char *dir, *path, *watch, *golden_path = util_asprintf("%s/good.yaml", STATE_DATA);
	char *golden = slurp(golden_path, NULL), *old = NULL, *after;
	struct rlimit saved_limit;
	struct stat st;
	int r;

	if (c->setup == ATOMIC_READ_ONLY_DIR && geteuid() == 0) {
		/* root ignores directory permissions; be somebody else in this forked test */
		if (srunner_fork_status(runner) == CK_NOFORK)
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
		spit(path, old, strlen(old));
		ck_assert_int_eq(chmod(path, 0600), 0);
		break;
	case ATOMIC_NO_DIR:
		free(path);
		path = util_asprintf("%s/missing/state.yaml", dir);
		break;
	case ATOMIC_DIR_IS_FILE:
		spit(path, "x", 1);
		free(path);
		path = util_asprintf("%s/state.yaml/state.yaml", dir);
		break;
	case ATOMIC_TARGET_IS_DIR:
		ck_assert_int_eq(mkdir(path, 0755), 0);
		free(old);
		old = util_asprintf("%s/keep", path);
		spit(old, "keep", 4);
		break;
	case ATOMIC_READ_ONLY_DIR:
		old = util_strdup("flowlock-state: 1\n");
		spit(path, old, strlen(old));
		ck_assert_int_eq(chmod(dir, 0555), 0);
		break;
	case ATOMIC_WRITE_FAILS:
		old = util_strdup("flowlock-state: 1\n");
		spit(path, old, strlen(old));
		signal(SIGXFSZ, SIG_IGN);
		ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &saved_limit), 0);
		ck_assert_int_eq(
			setrlimit(RLIMIT_FSIZE, &(struct rlimit){100, saved_limit.rlim_max}), 0);
		break;
	}

	r = learn_state_save(g, path, &err);
	if (c->setup == ATOMIC_WRITE_FAILS)
		ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &saved_limit), 0);

	if (!c->expect) {
		ck_assert_msg(r == 0, "%s: %s", c->name, err.msg);
		after = slurp(path, NULL);
		ck_assert_str_eq(after, golden);
		free(after);
		ck_assert_int_eq(stat(path, &st), 0);
		ck_assert_uint_eq(st.st_mode & 07777, c->setup == ATOMIC_NEW_FILE ? 0644 : 0600);
	} else {
		ck_assert_msg(r < 0, "%s: saved", c->name);
		ck_assert_msg(strstr(err.msg, c->expect), "%s: got \"%s\"", c->name, err.msg);
		ck_assert_msg(strncmp(err.msg, path, strlen(path)) == 0, "%s", err.msg);
		if (c->setup == ATOMIC_TARGET_IS_DIR) {
			after = slurp(old, NULL);
			ck_assert_str_eq(after, "keep");
			free(after);
		} else if (old) {
			after = slurp(path, NULL);
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
	learn_graph_free(g);
}
END_TEST

/* ---- Suite -------------------------------------------------------------------------------- */

#define ADD_LOOP(tc, fn, table) tcase_add_loop_test(tc, fn, 0, (int)UTIL_ARRAY_SIZE(table))

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
	ADD_LOOP(tc, test_graph_edges, graph_cases);
	ADD_LOOP(tc, test_graph_replace_workload, replace_cases);
	ADD_LOOP(tc, test_graph_counters, counter_cases);
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
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(learn_suite());
	int failed;

	runner = sr;
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed != 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
