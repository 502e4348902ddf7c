/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test-state.c - the state file: round trips, loading (good files, 80 bad ones, hostile input),
 * saving (what may not be saved, the atomic write and its faults, sweeping what a killed save
 * left) and merged states' own errors: table-driven Check tests.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "graph/graph-private.h"
#include "graph/graph.h"
#include "tests/test-graph-helpers.h"
#include "tests/test-faults.h"

#define STATE_DATA TEST_DATA "/state"

/* ---- Helpers ------------------------------------------------------------------------------ */

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

/* ---- The state file: round trips ---------------------------------------------------------- */

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
	char *dir = test_tmpdir_new();
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
	test_tmpdir_free(dir);
}
END_TEST

/*
 * A big state is rendered on two threads, cut before an edge (graph_state_write()): the text cut
 * before any edge is the text of one emitter. The graphs of the round trips, and merged states
 * with their nodes' counts and attempts.
 */
static const char *const split_files[] = {TEST_DATA "/merge/abc.yaml",
					  TEST_DATA "/merge/good-attempts.yaml"};

static char *split_render(const struct graph *g, size_t split, size_t *ret_len)
{
	const char *problem;
	int fd = memfd_create("test-state", MFD_CLOEXEC), write_errno;
	char path[64];
	char *b;

	ck_assert_int_ge(fd, 0);
	ck_assert_msg(graph_state_write(g, fd, split, &write_errno, &problem) == 0,
		      "split before edge %zu: %s", split, problem ? problem : "failed");
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	b = test_read_file(path, ret_len);
	ck_assert_ptr_nonnull(b);
	close(fd);
	return b;
}

START_TEST(test_state_split)
{
	size_t n_builds = UTIL_ARRAY_SIZE(roundtrip_cases), len, l, first_len;
	struct util_err err = {""};
	struct graph *g = NULL;
	char *whole, *first;

	if ((size_t)_i < n_builds) {
		g = roundtrip_cases[_i].build();
	} else {
		const char *path = split_files[(size_t)_i - n_builds];

		ck_assert_msg(graph_state_load(path, &g, &err) == 0, "%s", err.msg);
		ck_assert_uint_gt(graph_node_count(g), 1);
	}
	/*
	 * The first render of the fresh graph is cut, so that its sorted views are built there,
	 * before the second thread reads them (ThreadSanitizer watches this test).
	 */
	first = split_render(g, graph_edge_count(g) / 2, &first_len);
	whole = split_render(g, 0, &len);
	ck_assert_msg(first_len == len && memcmp(first, whole, len) == 0,
		      "the first render, cut: not the same text");
	free(first);
	for (size_t split = 1; split < graph_edge_count(g); split++) {
		char *b = split_render(g, split, &l);

		ck_assert_msg(l == len && memcmp(b, whole, len) == 0,
			      "cut before edge %zu of %zu: not the same text", split,
			      graph_edge_count(g));
		free(b);
	}
	/* where a save cuts: not at all below a few thousand edges, else inside */
	l = graph_state_split(g);
	ck_assert(l == 0 || (l >= 1 && l < graph_edge_count(g)));
	free(whole);
	graph_free(g);
}
END_TEST

/* A save of enough edges to be cut (graph_state_split()): the text of one emitter, and it loads. */
START_TEST(test_state_split_save)
{
	struct graph *g = graph_new(), *loaded = NULL;
	char *dir = test_tmpdir_new(), *path = util_asprintf("%s/big.yaml", dir), *b, *whole;
	struct util_err err = {""};
	char name[32], a[64], c[64];
	size_t len, l;

	for (int i = 0; i < 100; i++) {
		snprintf(name, sizeof(name), "w%02d", i);
		add_wl(g, GRAPH_KIND_K8S, "shop", "Deployment", name, "app=x", "10.244.1.0/32");
	}
	for (int i = 0; i < 5000; i++) {
		snprintf(a, sizeof(a), "k8s:shop/deployment/w%02d", i % 100);
		snprintf(c, sizeof(c), "k8s:shop/deployment/w%02d", (i / 100) % 100);
		add_edge_ids(g, a, c, IPPROTO_TCP, (uint16_t)(1000 + i / 10000), 1, T0, T0 + 1);
	}
	ck_assert_uint_eq(graph_edge_count(g), 5000);
	l = graph_state_split(g);
	ck_assert_msg(l > 0 && l < 5000, "a save of 5,000 edges cut at %zu", l);
	ck_assert_msg(graph_state_save(g, path, &err) == 0, "%s", err.msg);
	b = test_read_file(path, &l);
	ck_assert_ptr_nonnull(b);
	whole = split_render(g, 0, &len);
	ck_assert_msg(l == len && memcmp(b, whole, len) == 0, "the save is not one emitter's text");
	ck_assert_msg(graph_state_load(path, &loaded, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(graph_edge_count(loaded), 5000);
	free(b);
	free(whole);
	graph_free(loaded);
	graph_free(g);
	free(path);
	test_tmpdir_free(dir);
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
	/* "node" after the edges, which were read into the graph early: read again, as one */
	{"good-node-late.yaml", 13, 9, 3, "good-node-late-resaved.yaml"},
};

START_TEST(test_state_load_good)
{
	const struct good_case *c = &good_cases[_i];
	char *path = util_asprintf("%s/%s", STATE_DATA, c->file);
	char *canon_path = util_asprintf("%s/%s", STATE_DATA, c->canonical);
	char *dir = test_tmpdir_new(), *out = util_asprintf("%s/out.yaml", dir);
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
	test_tmpdir_free(dir);
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
	/*
	 * Edges read into the graph early fail as kept ones do: a duplicate once the file is
	 * read (so a later fault in the text comes first), an undefined workload in the order of
	 * the edges.
	 */
	{"bad-edge-duplicate-early.yaml", -EINVAL,
	 "bad-edge-duplicate-early.yaml:21:3: duplicate edge k8s:shop/deployment/frontend -> "
	 "k8s:shop/deployment/cart TCP/8080"},
	{"bad-edge-duplicate-then-key.yaml", -EINVAL,
	 "bad-edge-duplicate-then-key.yaml:28:1: state: unknown key \"bogus\""},
	{"bad-edge-undefined-early.yaml", -EINVAL,
	 "bad-edge-undefined-early.yaml:22:11: server: undefined workload "
	 "\"k8s:shop/deployment/db\""},
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
	char *dir = test_tmpdir_new(), *path = util_asprintf("%s/%s", dir, c->file);
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
	test_tmpdir_free(dir);
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
	{build_bad_counter, "cannot save counter \"with space\""},
	{build_bad_attempt_proto, "cannot save attempt node:a -> node:a: unsupported protocol 47"},
	{build_bad_attempt_time, "cannot save attempt node:a -> node:a: last seen before first"},
	{build_bad_attempt_zero, "cannot save attempt node:a -> node:a: neither refused nor"},
};

START_TEST(test_state_save_invalid)
{
	const struct save_bad_case *c = &save_bad_cases[_i];
	struct graph *g = c->build();
	char *dir = test_tmpdir_new(), *path = util_asprintf("%s/state.yaml", dir), *after;
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
	test_tmpdir_free(dir);
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
	dir = test_tmpdir_new();
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
	test_tmpdir_free(dir);
skip:
	free(old);
	free(golden);
	free(golden_path);
	graph_free(g);
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

static Suite *state_suite(void)
{
	Suite *s = suite_create("state");
	TCase *tc;

	tc = tcase_create("state");
	tcase_set_timeout(tc, 120);
	ADD_LOOP(tc, test_state_roundtrip, roundtrip_cases);
	tcase_add_loop_test(tc, test_state_split, 0,
			    (int)(UTIL_ARRAY_SIZE(roundtrip_cases) + UTIL_ARRAY_SIZE(split_files)));
	tcase_add_test(tc, test_state_split_save);
	ADD_LOOP(tc, test_state_load_good, good_cases);
	ADD_LOOP(tc, test_state_load_bad, bad_cases);
	ADD_LOOP(tc, test_state_load_hostile, hostile_cases);
	ADD_LOOP(tc, test_state_save_invalid, save_bad_cases);
	ADD_LOOP(tc, test_state_atomic, atomic_cases);
	ADD_LOOP(tc, test_state_sweep, sweep_cases);
	suite_add_tcase(s, tc);

	tc = tcase_create("merged");
	ADD_LOOP(tc, test_merge_load_bad, merge_bad_cases);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_run(state_suite());
}
