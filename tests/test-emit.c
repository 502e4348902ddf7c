/* SPDX-License-Identifier: Apache-2.0 */
/* test-emit.c - every output format against golden files, plus determinism, warnings, refusals. */
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "emit/emit.h"
#include "tests/test-helpers.h"

#define GOLDEN_DIR TEST_DATA "/emit"
#define T0	   1795356005123456789ull /* 2026-11-22T14:00:05.123456789Z */
#define SEC	   UTIL_NSEC_PER_SEC

#define K8S	 GRAPH_KIND_K8S
#define DOCKER	 GRAPH_KIND_DOCKER
#define NODE	 GRAPH_KIND_NODE
#define EXTERNAL GRAPH_KIND_EXTERNAL
#define TCP	 IPPROTO_TCP
#define UDP	 IPPROTO_UDP
#define SCTP	 IPPROTO_SCTP
#define ICMP	 IPPROTO_ICMP

/* ---- fixtures: graphs described as tables ------------------------------------------------- */

struct wl_spec {
	enum graph_kind kind;
	const char *ns, *controller, *name;
	const char *labels[4][2]; /* {key, value}, up to the first NULL key */
	const char *addresses[3];
	bool never_ran; /* k8s and docker: not seen running (all others were, at T0) */
};

struct edge_spec {
	const char *client, *server; /* workload ids */
	uint8_t proto;
	uint16_t port;
	uint64_t conns;
	uint64_t first_s, last_s; /* seconds after T0 */
};

struct counter_spec {
	const char *name;
	uint64_t value;
};

struct fixture {
	const struct wl_spec *wl;
	size_t n_wl;
	const struct edge_spec *edges;
	size_t n_edges;
	const struct counter_spec *counters;
	size_t n_counters;
};

#define FIXTURE(w, e, c)                                                                           \
	{                                                                                          \
		w, UTIL_ARRAY_SIZE(w), e, UTIL_ARRAY_SIZE(e), c, UTIL_ARRAY_SIZE(c)                \
	}

/* A shop across two namespaces, with every kind of peer and everything k8s cannot express. */
/* Designated, so that a workload without labels or addresses says nothing about them. */
#define WL(k, n, c, nm, ...)                                                                       \
	{                                                                                          \
		.kind = k, .ns = n, .controller = c, .name = nm, .labels = { __VA_ARGS__ }         \
	}
#define NEVER_RAN(k, n, c, nm, ...)                                                                \
	{                                                                                          \
		.kind = k, .ns = n, .controller = c, .name = nm, .labels = {__VA_ARGS__},          \
		.never_ran = true                                                                  \
	}
#define PEER(k, nm, ...)                                                                           \
	{                                                                                          \
		.kind = k, .ns = "", .controller = "", .name = nm, .addresses = { __VA_ARGS__ }    \
	}

static const struct wl_spec shop_wl[] = {
	WL(K8S, "shop", "Deployment", "frontend", {"app", "frontend"}, {"canary", "true"}),
	WL(K8S, "shop", "Deployment", "cart", {"app", "cart"}, {"release", "2024"}),
	WL(K8S, "shop", "StatefulSet", "db", {"app", "db"}),
	WL(K8S, "shop", "Pod", "debug"),
	WL(K8S, "shop", "Deployment", "web", {"app", "web"}),
	WL(K8S, "shop", "StatefulSet", "web", {"app", "web-store"}),
	WL(K8S, "shop", "Deployment", "idle", {"app", "idle"}),
	WL(K8S, "pay", "Deployment", "payments", {"app", "payments"},
	   {"app.kubernetes.io/part-of", "shop"}),
	WL(K8S, "kube-system", "Deployment", "coredns", {"k8s-app", "kube-dns"}),
	NEVER_RAN(K8S, "shop", "CronJob", "backup", {"app", "backup"}),
	PEER(EXTERNAL, "203.0.113.7/32"),
	PEER(EXTERNAL, "2001:db8::/32"),
	PEER(NODE, "worker-1", "10.0.0.11/32", "fd00::11/128"),
	PEER(GRAPH_KIND_UNKNOWN, "10.244.1.0/24", "10.244.1.0/24"),
	WL(DOCKER, "legacy", "", "cron", {"com.docker.compose.service", "cron"}),
};

static const struct edge_spec shop_edges[] = {
	{"k8s:shop/deployment/frontend", "k8s:shop/deployment/cart", TCP, 8080, 120, 0, 3600},
	{"k8s:shop/deployment/frontend", "k8s:shop/deployment/cart", TCP, 9090, 3, 60, 61},
	{"k8s:shop/deployment/cart", "k8s:shop/statefulset/db", TCP, 5432, 40, 2, 3000},
	{"k8s:shop/deployment/cart", "k8s:shop/statefulset/db", ICMP, 0, 2, 5, 6},
	{"k8s:shop/deployment/cart", "k8s:pay/deployment/payments", TCP, 443, 17, 10, 2000},
	{"k8s:shop/deployment/cart", "k8s:pay/deployment/payments", SCTP, 3868, 1, 11, 11},
	{"k8s:pay/deployment/payments", "external:203.0.113.7/32", TCP, 443, 5, 12, 1900},
	{"k8s:pay/deployment/payments", "external:2001:db8::/32", TCP, 443, 1, 13, 13},
	{"k8s:pay/deployment/payments", "k8s:kube-system/deployment/coredns", UDP, 53, 30, 1, 1800},
	{"node:worker-1", "k8s:shop/deployment/frontend", TCP, 8080, 60, 0, 3590},
	{"docker:legacy/cron", "k8s:shop/deployment/cart", TCP, 8080, 4, 100, 400},
	{"k8s:shop/pod/debug", "k8s:shop/statefulset/db", TCP, 5432, 1, 50, 50},
	{"k8s:shop/deployment/web", "k8s:shop/statefulset/web", TCP, 6379, 9, 20, 900},
	{"unknown:10.244.1.0/24", "k8s:shop/deployment/frontend", TCP, 8080, 2, 30, 31},
	{"unknown:10.244.1.0/24", "k8s:shop/deployment/cart", TCP, 8080, 1, 30, 31},
	{"k8s:pay/deployment/payments", "unknown:10.244.1.0/24", TCP, 9000, 4, 30, 31},
};

static const struct counter_spec shop_counters[] = {
	{"packets_read", 123456},
	{"packets_truncated", 2},
	{"flows_dropped", 0},
};

static const struct fixture fx_shop = FIXTURE(shop_wl, shop_edges, shop_counters);
static const struct fixture fx_empty = {NULL, 0, NULL, 0, NULL, 0};

#define X10  "xxxxxxxxxx"
#define X100 X10 X10 X10 X10 X10 X10 X10 X10 X10 X10
/* 250 characters: with "flowlock-" it is cut to 253, which ends on the '-', which goes too */
#define LONG_NAME X100 X100 X10 X10 X10 X10 "xxx-yyyyyy"

/* Names that clash, get too long, or cannot be made valid. */
static const struct wl_spec names_wl[] = {
	WL(K8S, "names", "Deployment", "web", {"app", "web"}),
	WL(K8S, "names", "StatefulSet", "web", {"app", "web-db"}),
	WL(K8S, "names", "Deployment", "deployment-web", {"app", "dw"}),
	WL(K8S, "names", "Deployment", LONG_NAME, {"app", "long"}),
	WL(K8S, "names", "Deployment", "Bad", {"app", "bad"}),
	WL(K8S, "other", "Deployment", "web", {"app", "web"}, {"8080", "on"}),
};

static const struct edge_spec names_edges[] = {
	{"k8s:names/statefulset/web", "k8s:other/deployment/web", TCP, 80, 1, 0, 0},
	{"k8s:names/deployment/web", "k8s:names/statefulset/web", UDP, 5000, 1, 0, 0},
};

static const struct counter_spec no_counters[] = {{"none", 0}};
static const struct fixture fx_names = {names_wl,    UTIL_ARRAY_SIZE(names_wl),
					names_edges, UTIL_ARRAY_SIZE(names_edges),
					no_counters, 0};

/* Peers and edges a NetworkPolicy cannot express: each is said once and left out. */
static const struct wl_spec odd_wl[] = {
	WL(K8S, "odd", "Deployment", "a", {"app", "a"}),
	PEER(DOCKER, "\x1b[31mred"),
	PEER(NODE, "n0"),
	PEER(EXTERNAL, "198.51.100.0/24"),
};

static const struct edge_spec odd_edges[] = {
	{"docker:\x1b[31mred", "k8s:odd/deployment/a", TCP, 80, 1, 0, 0},
	{"docker:\x1b[31mred", "k8s:odd/deployment/a", UDP, 81, 1, 0, 0},
	{"node:n0", "k8s:odd/deployment/a", TCP, 22, 1, 0, 0},
	{"external:198.51.100.0/24", "k8s:odd/deployment/a", TCP, 0, 1, 0, 0},
	{"k8s:odd/deployment/a", "external:198.51.100.0/24", 47, 0, 1, 0, 0},
	{"k8s:odd/deployment/a", "external:198.51.100.0/24", ICMP, 0, 1, 0, 0},
	{"k8s:odd/deployment/a", "k8s:odd/deployment/a", TCP, 8080, 1, 0, 0},
};

static const struct fixture fx_odd = {
	odd_wl, UTIL_ARRAY_SIZE(odd_wl), odd_edges, UTIL_ARRAY_SIZE(odd_edges), no_counters, 0};

/* Hostile strings, each in a graph of its own. */
#define HOSTILE_FIXTURE(w, e)                                                                      \
	{                                                                                          \
		w, UTIL_ARRAY_SIZE(w), e, UTIL_ARRAY_SIZE(e), no_counters, 0                       \
	}

static const struct wl_spec hq_label_wl[] = {
	WL(K8S, "h", "Deployment", "x", {"app", "a\"b"}),
};
static const struct wl_spec hn_label_wl[] = {
	WL(K8S, "h", "Deployment", "x", {"app", "a\nb"}),
};
static const struct wl_spec bad_ns_wl[] = {
	WL(K8S, "Shop", "Deployment", "x", {"app", "x"}),
};
/* valid for Kubernetes (prefix <= 253), too long for a JSON key written by libyaml */
#define LONG_KEY                                                                                   \
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa."                        \
	"bbbbbbbbbbbbbbbbbbbbbbbbb"                                                                \
	"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb.example.com/app"
static const struct wl_spec long_key_wl[] = {
	WL(K8S, "h", "Deployment", "x", {LONG_KEY, "x"}),
};
static const struct edge_spec no_edges[] = {{NULL, NULL, 0, 0, 0, 0, 0}};

#define DOCKER_PAIR(name)                                                                          \
	{                                                                                          \
		PEER(DOCKER, name), PEER(EXTERNAL, "192.0.2.1/32")                                 \
	}
static const struct wl_spec hq_name_wl[] = DOCKER_PAIR("a\"b\\c");
static const struct wl_spec hn_name_wl[] = DOCKER_PAIR("a\nb");
static const struct wl_spec esc_name_wl[] = DOCKER_PAIR("\x1b[31mred");
static const struct wl_spec ls_name_wl[] = DOCKER_PAIR("a\xe2\x80\xa8z");
static const struct wl_spec utf8_name_wl[] = DOCKER_PAIR("a\xff");
static const struct wl_spec bmp_name_wl[] = DOCKER_PAIR("caf\xc3\xa9\xef\xbb\xbf");
static const struct edge_spec hq_name_edges[] = {
	{"docker:a\"b\\c", "external:192.0.2.1/32", TCP, 80, 1, 0, 0}};
static const struct edge_spec hn_name_edges[] = {
	{"docker:a\nb", "external:192.0.2.1/32", TCP, 80, 1, 0, 0}};
static const struct edge_spec esc_name_edges[] = {
	{"docker:\x1b[31mred", "external:192.0.2.1/32", TCP, 80, 1, 0, 0}};
static const struct edge_spec ls_name_edges[] = {
	{"docker:a\xe2\x80\xa8z", "external:192.0.2.1/32", TCP, 80, 1, 0, 0}};
static const struct edge_spec bmp_name_edges[] = {
	{"docker:caf\xc3\xa9\xef\xbb\xbf", "external:192.0.2.1/32", TCP, 80, 1, 0, 0}};
static const struct edge_spec utf8_name_edges[] = {
	{"docker:a\xff", "external:192.0.2.1/32", TCP, 80, 1, 0, 0}};

static const struct wl_spec bad_cidr_wl[] = {
	WL(K8S, "h", "Deployment", "x", {"app", "x"}),
	PEER(EXTERNAL, "not-a-cidr"),
};
static const struct edge_spec bad_cidr_edges[] = {
	{"k8s:h/deployment/x", "external:not-a-cidr", TCP, 80, 1, 0, 0}};

/* labels of a Docker container are kept for display and may be anything JSON can hold */
static const struct wl_spec empty_label_wl[] = {
	WL(DOCKER, "", "", "c", {"", ""}, {"k", "{\"x\": [1]}"}),
};
static const struct fixture fx_empty_label = {empty_label_wl, 1, no_edges, 0, no_counters, 0};
static const struct fixture fx_hq_label = {hq_label_wl, 1, no_edges, 0, no_counters, 0};
static const struct fixture fx_hn_label = {hn_label_wl, 1, no_edges, 0, no_counters, 0};
static const struct fixture fx_bad_ns = {bad_ns_wl, 1, no_edges, 0, no_counters, 0};
static const struct fixture fx_long_key = {long_key_wl, 1, no_edges, 0, no_counters, 0};
static const struct fixture fx_hq_name = HOSTILE_FIXTURE(hq_name_wl, hq_name_edges);
static const struct fixture fx_hn_name = HOSTILE_FIXTURE(hn_name_wl, hn_name_edges);
static const struct fixture fx_esc_name = HOSTILE_FIXTURE(esc_name_wl, esc_name_edges);
static const struct fixture fx_ls_name = HOSTILE_FIXTURE(ls_name_wl, ls_name_edges);
static const struct fixture fx_utf8_name = HOSTILE_FIXTURE(utf8_name_wl, utf8_name_edges);
static const struct fixture fx_bmp_name = HOSTILE_FIXTURE(bmp_name_wl, bmp_name_edges);
static const struct fixture fx_bad_cidr = HOSTILE_FIXTURE(bad_cidr_wl, bad_cidr_edges);

/* A fixed permutation of 0..n-1 for a seed (0 keeps the order): insertion order must not show. */
static void permute(size_t *idx, size_t n, unsigned seed)
{
	uint32_t x = seed * 2654435761u + 1;

	for (size_t i = 0; i < n; i++)
		idx[i] = i;
	if (seed == 0)
		return;
	for (size_t i = n; i > 1; i--) {
		size_t j, t;

		x = x * 1103515245u + 12345u;
		j = (x >> 8) % i;
		t = idx[i - 1];
		idx[i - 1] = idx[j];
		idx[j] = t;
	}
}

static struct graph *fixture_build(const struct fixture *f, unsigned seed)
{
	struct graph *g = graph_new();
	size_t n = f->n_wl > f->n_edges ? f->n_wl : f->n_edges;
	size_t *idx = calloc(n ? n : 1, sizeof(*idx));

	ck_assert_ptr_nonnull(idx);
	permute(idx, f->n_wl, seed);
	for (size_t k = 0; k < f->n_wl; k++) {
		const struct wl_spec *s = &f->wl[idx[k]];
		struct graph_workload *w =
			graph_workload_new(s->kind, s->ns, s->controller, s->name);

		/* labels too go in shuffled: the workload sorts them */
		for (size_t l = 4; l > 0; l--) {
			size_t i = seed ? l - 1 : 4 - l;

			if (s->labels[i][0])
				graph_workload_set_label(w, s->labels[i][0], s->labels[i][1]);
		}
		for (size_t a = 0; a < UTIL_ARRAY_SIZE(s->addresses); a++)
			if (s->addresses[a])
				graph_workload_add_address(w, TEST_PREFIX(s->addresses[a]));
		graph_add_workload(g, w);
		if (!s->never_ran)
			graph_note_running(g, w, T0, T0);
		graph_workload_unref(w);
	}
	permute(idx, f->n_edges, seed);
	for (size_t k = 0; k < f->n_edges; k++) {
		const struct edge_spec *e = &f->edges[idx[k]];
		const struct graph_workload *c = graph_find_workload(g, e->client);
		const struct graph_workload *s = graph_find_workload(g, e->server);

		ck_assert_msg(c && s, "fixture edge %s -> %s names an unknown workload", e->client,
			      e->server);
		graph_add_edge(g, c, s, e->proto, e->port, e->conns, T0 + e->first_s * SEC,
			       T0 + e->last_s * SEC);
	}
	for (size_t k = 0; k < f->n_counters; k++)
		graph_add_counter(g, f->counters[k].name, f->counters[k].value);
	free(idx);
	return g;
}

/* ---- helpers ------------------------------------------------------------------------------ */

/* Renders through emit_graph (or the renderer itself when direct) into memory. */
static void render(const struct graph *g, enum emit_format fmt, bool allow_dns, bool direct,
		   struct test_warnings *warnings, struct test_output *o)
{
	static int (*const fns[])(FILE *, const struct graph *, const struct emit_options *,
				  struct util_err *) = {
		[EMIT_FORMAT_K8S] = emit_k8s,
		[EMIT_FORMAT_DOT] = emit_dot,
		[EMIT_FORMAT_JSON] = emit_json,
		[EMIT_FORMAT_TABLE] = emit_table,
	};
	struct emit_options opts = {
		.allow_dns = allow_dns,
		.warn = warnings ? test_collect_warning : NULL,
		.warn_userdata = warnings,
	};
	FILE *f;

	f = test_output_open(o);
	if (direct)
		o->r = fns[fmt](f, g, &opts, &o->err);
	else
		o->r = emit_graph(fmt, f, g, &opts, &o->err);
	ck_assert_int_eq(fclose(f), 0);
}

/* ---- golden outputs ----------------------------------------------------------------------- */

static const char *const shop_k8s_warnings[] = {
	"k8s:shop/cronjob/backup: never seen running while flowlock watched (a CronJob between "
	"runs, scaled to zero, Pending); no policy written",
	"k8s:shop/pod/debug: no labels to select it by; no policy written",
	"kube-system: no policy for its 1 workload: Kubernetes' own namespace is not locked unless "
	"--namespace kube-system names it",
	"k8s:shop/statefulset/db: no policy written: its peer k8s:shop/pod/debug has no labels to "
	"select it by, and a policy without it would cut it off (give its pod template a label)",
	"docker:legacy/cron: a Docker container cannot be a NetworkPolicy peer; its traffic is not "
	"allowed",
	"k8s:shop/deployment/cart -> k8s:shop/statefulset/db ICMP: NetworkPolicy cannot express "
	"this protocol; not allowed",
	"unknown:10.244.1.0/24: 7 connections with k8s:pay/deployment/payments, "
	"k8s:shop/deployment/cart, k8s:shop/deployment/frontend from or to cluster addresses that "
	"match no pod or Service (a pod gone before the inventory was taken?); not allowed",
	NULL,
};

static const char *const names_k8s_warnings[] = {
	"k8s:names/deployment/Bad: \"flowlock-Bad\" is not a valid object name; no policy written",
	"k8s:names/deployment/deployment-web: policy name flowlock-deployment-web in namespace "
	"names is wanted twice; no policy written",
	"k8s:names/deployment/web: policy name flowlock-deployment-web in namespace names is "
	"wanted twice; no policy written",
	NULL,
};

static const char *const odd_k8s_warnings[] = {
	"docker:?[31mred: a Docker container cannot be a NetworkPolicy peer; its traffic is not "
	"allowed",
	"external:198.51.100.0/24 -> k8s:odd/deployment/a TCP/0: port 0 cannot be expressed; not "
	"allowed",
	"k8s:odd/deployment/a -> external:198.51.100.0/24 ICMP: NetworkPolicy cannot express this "
	"protocol; not allowed",
	"k8s:odd/deployment/a -> external:198.51.100.0/24 proto-47: NetworkPolicy cannot express "
	"this protocol; not allowed",
	"node:n0: no address known for this node; its traffic is not allowed",
	NULL,
};

static const char *const no_warnings[] = {NULL};

static const struct golden_case {
	const struct fixture *fx;
	enum emit_format fmt;
	bool allow_dns;
	const char *golden;
	const char *const *warnings;
	size_t n_docs; /* k8s: policies written */
} golden_cases[] = {
	{&fx_shop, EMIT_FORMAT_K8S, false, "shop.yaml", shop_k8s_warnings, 6},
	{&fx_shop, EMIT_FORMAT_K8S, true, "shop-dns.yaml", shop_k8s_warnings, 6},
	{&fx_shop, EMIT_FORMAT_DOT, false, "shop.dot", no_warnings, 0},
	{&fx_shop, EMIT_FORMAT_JSON, false, "shop.json", no_warnings, 0},
	{&fx_shop, EMIT_FORMAT_TABLE, false, "shop.txt", no_warnings, 0},
	{&fx_empty, EMIT_FORMAT_DOT, false, "empty.dot", no_warnings, 0},
	{&fx_empty, EMIT_FORMAT_JSON, false, "empty.json", no_warnings, 0},
	{&fx_empty, EMIT_FORMAT_TABLE, false, "empty.txt", no_warnings, 0},
	{&fx_names, EMIT_FORMAT_K8S, false, "names.yaml", names_k8s_warnings, 3},
	{&fx_names, EMIT_FORMAT_DOT, false, "names.dot", no_warnings, 0},
	{&fx_names, EMIT_FORMAT_TABLE, false, "names.txt", no_warnings, 0},
	{&fx_odd, EMIT_FORMAT_K8S, false, "odd.yaml", odd_k8s_warnings, 1},
};

static void yaml_check_policies(const struct golden_case *tc, const char *buf, size_t len);

START_TEST(test_golden)
{
	const struct golden_case *tc = &golden_cases[_i];
	struct graph *g = fixture_build(tc->fx, 0);
	struct test_warnings w = {0};
	struct test_output o;
	char path[512];
	size_t n = 0;

	render(g, tc->fmt, tc->allow_dns, false, &w, &o);
	ck_assert_msg(o.r == 0, "%s: %d %s", tc->golden, o.r, o.err.msg);
	for (n = 0; tc->warnings[n]; n++) {
		ck_assert_msg(n < w.n, "%s: warning missing: %s", tc->golden, tc->warnings[n]);
		ck_assert_str_eq(w.msg[n], tc->warnings[n]);
	}
	ck_assert_msg(w.n == n, "%s: %zu warnings, %zu expected; the first extra: %s", tc->golden,
		      w.n, n, w.n > n ? w.msg[n] : "");
	snprintf(path, sizeof(path), "%s/%s", GOLDEN_DIR, tc->golden);
	test_golden_check(path, o.buf, o.len);

	if (tc->fmt == EMIT_FORMAT_K8S)
		yaml_check_policies(tc, o.buf, o.len);
	if (tc->fmt == EMIT_FORMAT_JSON) {
		ck_assert_msg(o.len > 0 && o.buf[o.len - 1] == '\n' &&
				      (o.len < 2 || o.buf[o.len - 2] != '\n'),
			      "JSON must end in exactly one newline");
		ck_assert_ptr_null(memmem(o.buf, o.len, "---", 3));
		ck_assert_ptr_null(memmem(o.buf, o.len, "...", 3));
	}
	test_warnings_clear(&w);
	free(o.buf);
	graph_free(g);
}
END_TEST

/* ---- reading the YAML back ---------------------------------------------------------------- */

static yaml_node_t *ynode_get(yaml_document_t *doc, yaml_node_t *map, const char *key)
{
	if (!map || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = yaml_document_get_node(doc, p->key);

		if (k->type == YAML_SCALAR_NODE && strcmp((char *)k->data.scalar.value, key) == 0)
			return yaml_document_get_node(doc, p->value);
	}
	return NULL;
}

static const char *yscalar(yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

/* What a YAML 1.1 reader (kubectl's) would take for a non-string if it were left plain. */
static bool looks_like_non_string(const char *s)
{
	static const char *const words[] = {"y",    "n",     "yes",  "no", "on", "off",
					    "true", "false", "null", "~",  ""};

	for (size_t i = 0; i < UTIL_ARRAY_SIZE(words); i++)
		if (strcasecmp(s, words[i]) == 0)
			return true;
	return strchr("0123456789+-.", s[0]) != NULL;
}

/* Every scalar of a selector: strings, so plain only when no reader could take another type. */
static void check_selector(yaml_document_t *doc, yaml_node_t *sel, const char *where)
{
	yaml_node_t *ml = ynode_get(doc, sel, "matchLabels");

	ck_assert_msg(ml && ml->type == YAML_MAPPING_NODE, "%s: no matchLabels", where);
	ck_assert_msg(ml->data.mapping.pairs.top > ml->data.mapping.pairs.start,
		      "%s: empty matchLabels would select every pod", where);
	for (yaml_node_pair_t *p = ml->data.mapping.pairs.start; p < ml->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *kv[2] = {yaml_document_get_node(doc, p->key),
				      yaml_document_get_node(doc, p->value)};

		for (size_t i = 0; i < 2; i++) {
			ck_assert_int_eq(kv[i]->type, YAML_SCALAR_NODE);
			if (kv[i]->data.scalar.style == YAML_PLAIN_SCALAR_STYLE)
				ck_assert_msg(!looks_like_non_string(yscalar(kv[i])),
					      "%s: plain \"%s\" would not read back as a string",
					      where, yscalar(kv[i]));
		}
	}
}

/* Returns true for the one peer that selects every pod: an empty namespaceSelector alone. */
static bool check_peer(yaml_document_t *doc, yaml_node_t *peer, const char *where)
{
	yaml_node_t *pod = ynode_get(doc, peer, "podSelector");
	yaml_node_t *ns = ynode_get(doc, peer, "namespaceSelector");
	yaml_node_t *ip = ynode_get(doc, peer, "ipBlock");

	if (!pod && !ip && ns && ns->type == YAML_MAPPING_NODE &&
	    ns->data.mapping.pairs.top == ns->data.mapping.pairs.start)
		return true;
	ck_assert_msg(pod || ip, "%s: a peer with neither podSelector nor ipBlock", where);
	if (pod)
		check_selector(doc, pod, where);
	if (ns)
		check_selector(doc, ns, where);
	if (ip) {
		ck_assert_msg(!pod && !ns, "%s: ipBlock mixed with selectors", where);
		ck_assert_ptr_nonnull(yscalar(ynode_get(doc, ip, "cidr")));
		ck_assert_ptr_nonnull(strchr(yscalar(ynode_get(doc, ip, "cidr")), '/'));
	}
	return false;
}

static void check_rules(yaml_document_t *doc, yaml_node_t *rules, const char *peers_key,
			const char *where)
{
	if (!rules)
		return;
	ck_assert_int_eq(rules->type, YAML_SEQUENCE_NODE);
	ck_assert_msg(rules->data.sequence.items.top > rules->data.sequence.items.start,
		      "%s: an empty rule list would read as no rules", where);
	for (yaml_node_item_t *r = rules->data.sequence.items.start;
	     r < rules->data.sequence.items.top; r++) {
		yaml_node_t *rule = yaml_document_get_node(doc, *r);
		yaml_node_t *peers = ynode_get(doc, rule, peers_key);
		yaml_node_t *ports = ynode_get(doc, rule, "ports");

		ck_assert_msg(peers && peers->type == YAML_SEQUENCE_NODE &&
				      peers->data.sequence.items.top >
					      peers->data.sequence.items.start,
			      "%s: a rule without %s would allow every peer", where, peers_key);
		ck_assert_msg(ports && ports->type == YAML_SEQUENCE_NODE &&
				      ports->data.sequence.items.top >
					      ports->data.sequence.items.start,
			      "%s: a rule without ports would allow every port", where);
		bool all_pods = false;

		for (yaml_node_item_t *p = peers->data.sequence.items.start;
		     p < peers->data.sequence.items.top; p++)
			all_pods |= check_peer(doc, yaml_document_get_node(doc, *p), where);
		/* every pod may be let in for DNS (allow_dns, on kube-dns) and for nothing else */
		for (yaml_node_item_t *p = ports->data.sequence.items.start;
		     all_pods && p < ports->data.sequence.items.top; p++)
			ck_assert_msg(strcmp(yscalar(ynode_get(doc, yaml_document_get_node(doc, *p),
							       "port")),
					     "53") == 0,
				      "%s: every pod let in on a port that is not DNS", where);
		for (yaml_node_item_t *p = ports->data.sequence.items.start;
		     p < ports->data.sequence.items.top; p++) {
			yaml_node_t *port = yaml_document_get_node(doc, *p);
			yaml_node_t *num = ynode_get(doc, port, "port");
			const char *proto = yscalar(ynode_get(doc, port, "protocol"));
			const char *s = yscalar(num);
			char *end;
			long v;

			ck_assert_msg(proto && (strcmp(proto, "TCP") == 0 ||
						strcmp(proto, "UDP") == 0 ||
						strcmp(proto, "SCTP") == 0),
				      "%s: protocol %s", where, proto ? proto : "(none)");
			ck_assert_ptr_nonnull(s);
			/* an int: plain, and nothing but digits */
			ck_assert_int_eq(num->data.scalar.style, YAML_PLAIN_SCALAR_STYLE);
			v = strtol(s, &end, 10);
			ck_assert_msg(*s >= '1' && *s <= '9' && *end == '\0' && v > 0 && v <= 65535,
				      "%s: port \"%s\"", where, s);
		}
	}
}

static void yaml_check_policies(const struct golden_case *tc, const char *buf, size_t len)
{
	yaml_parser_t parser;
	size_t docs = 0;

	ck_assert(yaml_parser_initialize(&parser));
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	for (;;) {
		yaml_document_t doc;
		yaml_node_t *root, *meta, *spec, *types;
		char where[320];

		ck_assert_msg(yaml_parser_load(&parser, &doc), "%s: does not parse: %s", tc->golden,
			      parser.problem);
		root = yaml_document_get_root_node(&doc);
		if (!root) {
			yaml_document_delete(&doc);
			break;
		}
		docs++;
		meta = ynode_get(&doc, root, "metadata");
		spec = ynode_get(&doc, root, "spec");
		snprintf(where, sizeof(where), "%s: %s/%s", tc->golden,
			 yscalar(ynode_get(&doc, meta, "namespace")),
			 yscalar(ynode_get(&doc, meta, "name")));
		ck_assert_str_eq(yscalar(ynode_get(&doc, root, "apiVersion")),
				 "networking.k8s.io/v1");
		ck_assert_str_eq(yscalar(ynode_get(&doc, root, "kind")), "NetworkPolicy");
		ck_assert_ptr_nonnull(yscalar(ynode_get(&doc, meta, "name")));
		ck_assert_str_eq(yscalar(ynode_get(&doc, ynode_get(&doc, meta, "labels"),
						   "app.kubernetes.io/managed-by")),
				 "flowlock");
		check_selector(&doc, ynode_get(&doc, spec, "podSelector"), where);
		types = ynode_get(&doc, spec, "policyTypes");
		ck_assert_msg(types && types->type == YAML_SEQUENCE_NODE &&
				      types->data.sequence.items.top -
						      types->data.sequence.items.start ==
					      2,
			      "%s: policyTypes must list Ingress and Egress", where);
		ck_assert_str_eq(
			yscalar(yaml_document_get_node(&doc, types->data.sequence.items.start[0])),
			"Ingress");
		ck_assert_str_eq(
			yscalar(yaml_document_get_node(&doc, types->data.sequence.items.start[1])),
			"Egress");
		check_rules(&doc, ynode_get(&doc, spec, "ingress"), "from", where);
		check_rules(&doc, ynode_get(&doc, spec, "egress"), "to", where);
		if (tc->allow_dns)
			ck_assert_msg(ynode_get(&doc, spec, "egress"), "%s: no DNS egress", where);
		yaml_document_delete(&doc);
	}
	yaml_parser_delete(&parser);
	ck_assert_uint_eq(docs, tc->n_docs);
}

/* The strictest JSON reader at hand, python3 (the python tcase), on a graph's JSON. */
static void json_check_python(const char *buf, size_t len)
{
	static const char code[] =
		"import json,sys\n"
		"d = json.load(sys.stdin)\n"
		"assert d[\"version\"] == 1\n"
		"assert all(type(e[\"port\"]) is int and type(e[\"connections\"]) is int"
		" for e in d[\"edges\"])\n"
		"assert all(type(v) is str for w in d[\"workloads\"] for v in "
		"w[\"labels\"].values())\n"
		"assert all(type(v) is int for v in d[\"counters\"].values())\n";

	ck_assert_msg(test_python_accepts(code, buf, len),
		      "python3 does not read the output as the expected JSON");
}

/* ---- determinism -------------------------------------------------------------------------- */

static const struct {
	enum emit_format fmt;
	bool allow_dns;
	unsigned seed;
} shuffle_cases[] = {
	{EMIT_FORMAT_K8S, false, 1},	{EMIT_FORMAT_K8S, true, 2},
	{EMIT_FORMAT_K8S, false, 77},	{EMIT_FORMAT_DOT, false, 3},
	{EMIT_FORMAT_DOT, false, 1234}, {EMIT_FORMAT_JSON, false, 4},
	{EMIT_FORMAT_JSON, false, 99},	{EMIT_FORMAT_TABLE, false, 5},
	{EMIT_FORMAT_TABLE, false, 6},
};

START_TEST(test_shuffled_same_bytes)
{
	struct graph *a = fixture_build(&fx_shop, 0);
	struct graph *b = fixture_build(&fx_shop, shuffle_cases[_i].seed);
	struct test_warnings wa = {0}, wb = {0};
	struct test_output oa, ob, oa2;

	render(a, shuffle_cases[_i].fmt, shuffle_cases[_i].allow_dns, false, &wa, &oa);
	render(b, shuffle_cases[_i].fmt, shuffle_cases[_i].allow_dns, true, &wb, &ob);
	render(a, shuffle_cases[_i].fmt, shuffle_cases[_i].allow_dns, true, NULL, &oa2);
	ck_assert_int_eq(oa.r, 0);
	ck_assert_int_eq(ob.r, 0);
	ck_assert_int_eq(oa2.r, 0);
	ck_assert_uint_gt(oa.len, 0);
	ck_assert_msg(oa.len == ob.len && memcmp(oa.buf, ob.buf, oa.len) == 0,
		      "insertion order changed the output");
	ck_assert_msg(oa.len == oa2.len && memcmp(oa.buf, oa2.buf, oa.len) == 0,
		      "a second run changed the output");
	ck_assert_uint_eq(wa.n, wb.n);
	for (size_t i = 0; i < wa.n; i++)
		ck_assert_str_eq(wa.msg[i], wb.msg[i]);
	test_warnings_clear(&wa);
	test_warnings_clear(&wb);
	free(oa.buf);
	free(ob.buf);
	free(oa2.buf);
	graph_free(a);
	graph_free(b);
}
END_TEST

/* ---- which workloads get a policy --------------------------------------------------------- */

/* Namespaces of every kind, each workload running unless said otherwise. */
static const struct wl_spec scope_wl[] = {
	WL(K8S, "shop", "Deployment", "web", {"app", "web"}),
	WL(K8S, "shop", "Deployment", "idle", {"app", "idle"}), /* ran, said nothing */
	NEVER_RAN(K8S, "shop", "Deployment", "ads", {"app", "ads"}),
	NEVER_RAN(K8S, "shop", "CronJob", "report", {"app", "report"}),
	WL(K8S, "shop-staging", "Deployment", "web", {"app", "web"}),
	WL(K8S, "kube-system", "Deployment", "coredns", {"k8s-app", "kube-dns"}),
	WL(K8S, "kube-system", "DaemonSet", "kube-proxy", {"k8s-app", "kube-proxy"}),
	WL(K8S, "kube-public", "Deployment", "info", {"app", "info"}),
	WL(K8S, "kube-node-lease", "Deployment", "lease", {"app", "lease"}),
	WL(K8S, "kubeflow", "Deployment", "ui", {"app", "ui"}),
};

static const struct edge_spec scope_edges[] = {
	{"k8s:shop/deployment/web", "k8s:kube-system/deployment/coredns", UDP, 53, 3, 0, 9},
	{"k8s:kube-system/deployment/coredns", "k8s:kube-system/daemonset/kube-proxy", TCP, 10249,
	 1, 0, 1},
};

static const struct fixture fx_scope = FIXTURE(scope_wl, scope_edges, no_counters);

#define NEVER(id)                                                                                  \
	id ": never seen running while flowlock watched (a CronJob between runs, scaled to "       \
	   "zero, Pending); no policy written"
#define SYSTEM(ns, n)                                                                              \
	ns ": no policy for its " #n " workload"                                                   \
	   ": Kubernetes' own namespace is not locked "                                            \
	   "unless --namespace " ns " names it"

static const struct scope_case {
	const char *what;
	const char *includes[3], *excludes[3];
	const char *policies; /* "NS/NAME ..." written, in order; NULL: nothing (-ENODATA) */
	const char *warnings[6];
} scope_cases[] = {
	{"the defaults",
	 {NULL},
	 {NULL},
	 "kubeflow/flowlock-ui shop/flowlock-idle shop/flowlock-web shop-staging/flowlock-web",
	 {NEVER("k8s:shop/cronjob/report"), NEVER("k8s:shop/deployment/ads"),
	  SYSTEM("kube-node-lease", 1), SYSTEM("kube-public", 1),
	  "kube-system: no policy for its 2 workloads: Kubernetes' own namespace is not locked "
	  "unless --namespace kube-system names it"}},
	{"one namespace",
	 {"shop"},
	 {NULL},
	 "shop/flowlock-idle shop/flowlock-web",
	 {NEVER("k8s:shop/cronjob/report"), NEVER("k8s:shop/deployment/ads")}},
	{"a glob",
	 {"shop*"},
	 {NULL},
	 "shop/flowlock-idle shop/flowlock-web shop-staging/flowlock-web",
	 {NEVER("k8s:shop/cronjob/report"), NEVER("k8s:shop/deployment/ads")}},
	{"'*' does not lock Kubernetes' own",
	 {"*"},
	 {"shop", "shop-*"},
	 "kubeflow/flowlock-ui",
	 {SYSTEM("kube-node-lease", 1), SYSTEM("kube-public", 1),
	  "kube-system: no policy for its 2 workloads: Kubernetes' own namespace is not locked "
	  "unless --namespace kube-system names it"}},
	{"named, kube-system is locked",
	 {"kube-system"},
	 {NULL},
	 "kube-system/flowlock-coredns kube-system/flowlock-kube-proxy",
	 {NULL}},
	{"kube-* names them all",
	 {"kube-*"},
	 {"kube-public"},
	 "kube-node-lease/flowlock-lease kube-system/flowlock-coredns "
	 "kube-system/flowlock-kube-proxy",
	 {NULL}},
	{"an exclude wins", {"shop"}, {"sh*p"}, NULL, {NULL}},
	{"nothing matches", {"payments"}, {NULL}, NULL, {NULL}},
	{"only what never ran",
	 {"shop"},
	 {NULL},
	 "shop/flowlock-idle shop/flowlock-web",
	 {NEVER("k8s:shop/cronjob/report"), NEVER("k8s:shop/deployment/ads")}},
};

/* "NS/NAME NS/NAME" of the policies in a NetworkPolicy stream, in order. */
static char *policy_names(const char *buf, size_t len)
{
	char *names = util_strdup(""), *doc = strndup(buf, len), *line, *save = NULL, *name = NULL;

	ck_assert_ptr_nonnull(doc);
	for (line = strtok_r(doc, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "  name: ", 8) == 0) {
			free(name);
			name = util_strdup(line + 8);
		} else if (strncmp(line, "  namespace: ", 13) == 0 && name) {
			char *more = util_asprintf("%s%s%s/%s", names, *names ? " " : "", line + 13,
						   name);

			free(names);
			names = more;
		}
	}
	free(name);
	free(doc);
	return names;
}

START_TEST(test_scope)
{
	const struct scope_case *tc = &scope_cases[_i];
	struct graph *g = fixture_build(&fx_scope, (unsigned)_i);
	struct test_warnings w = {0};
	struct emit_options opts = {.warn = test_collect_warning, .warn_userdata = &w};
	struct test_output o;
	size_t n;
	FILE *f;

	for (opts.n_namespaces = 0; tc->includes[opts.n_namespaces];)
		opts.n_namespaces++;
	for (opts.n_exclude_namespaces = 0; tc->excludes[opts.n_exclude_namespaces];)
		opts.n_exclude_namespaces++;
	opts.namespaces = tc->includes;
	opts.exclude_namespaces = tc->excludes;
	f = test_output_open(&o);
	o.r = emit_graph(EMIT_FORMAT_K8S, f, g, &opts, &o.err);
	ck_assert_int_eq(fclose(f), 0);
	if (!tc->policies) {
		ck_assert_msg(o.r == -ENODATA, "%s: %d", tc->what, o.r);
		ck_assert_msg(strstr(o.err.msg, "no policy to write: none of the 10 Kubernetes "
						"workloads is in the namespaces asked for"),
			      "%s: %s", tc->what, o.err.msg);
		ck_assert_uint_eq(o.len, 0);
	} else {
		char *names = policy_names(o.buf, o.len);

		ck_assert_msg(o.r == 0, "%s: %s", tc->what, o.err.msg);
		ck_assert_msg(strcmp(names, tc->policies) == 0, "%s: wrote %s", tc->what, names);
		free(names);
	}
	for (n = 0; tc->warnings[n]; n++) {
		ck_assert_msg(n < w.n, "%s: warning missing: %s", tc->what, tc->warnings[n]);
		ck_assert_str_eq(w.msg[n], tc->warnings[n]);
	}
	ck_assert_msg(w.n == n, "%s: %zu warnings; the first extra: %s", tc->what, w.n,
		      w.n > n ? w.msg[n] : "");
	test_warnings_clear(&w);
	free(o.buf);
	graph_free(g);
}
END_TEST

/* Nothing to write is an error that says why, and writes nothing. */
START_TEST(test_nothing_to_write)
{
	struct graph *g = fixture_build(&fx_empty, 0);
	struct test_output o;

	render(g, EMIT_FORMAT_K8S, true, false, NULL, &o);
	ck_assert_int_eq(o.r, -ENODATA);
	ck_assert_uint_eq(o.len, 0);
	ck_assert_str_eq(o.err.msg,
			 "no Kubernetes workload in the state: learn with --inventory "
			 "from 'kubectl get nodes,namespaces,pods,services,endpointslices "
			 "-A -o yaml'");
	free(o.buf);
	graph_free(g);
}
END_TEST

/* ---- show --coverage ---------------------------------------------------------------------- */

/*
 * Three days watched in two spans, with a quiet gap: edges first seen on each day, one not seen
 * in the last two days, a workload that never ran, an unknown peer.
 */
#define DAY (86400ULL)
static const struct wl_spec cov_wl[] = {
	WL(K8S, "shop", "Deployment", "web", {"app", "web"}),
	WL(K8S, "shop", "Deployment", "api", {"app", "api"}),
	WL(K8S, "shop", "Rollout.argoproj.io", "catalog", {"app", "catalog"}),
	NEVER_RAN(K8S, "shop", "CronJob", "backup", {"app", "backup"}),
	NEVER_RAN(K8S, "shop", "Deployment", "ads", {"app", "ads"}),
	WL(DOCKER, "", "", "legacy"),
	PEER(EXTERNAL, "203.0.113.7/32", "203.0.113.7/32"),
	PEER(GRAPH_KIND_UNKNOWN, "10.244.1.0/24", "10.244.1.0/24"),
};
static const struct edge_spec cov_edges[] = {
	{"k8s:shop/deployment/web", "k8s:shop/deployment/api", TCP, 8080, 90, 10, 3 * DAY - 50},
	{"k8s:shop/deployment/api", "external:203.0.113.7/32", TCP, 443, 4, 20, 100},
	{"k8s:shop/deployment/api", "k8s:shop/rollout.argoproj.io/catalog", TCP, 3550, 7, DAY + 5,
	 2 * DAY + 7},
	{"unknown:10.244.1.0/24", "k8s:shop/deployment/web", TCP, 8080, 1, 2 * DAY + 3600,
	 2 * DAY + 3601},
	{"docker:legacy", "k8s:shop/deployment/api", ICMP, 0, 2, 2 * DAY + 7200, 3 * DAY - 60},
};
static const struct fixture fx_cov = FIXTURE(cov_wl, cov_edges, no_counters);

static const struct {
	const char *golden;
	enum emit_report_format format;
	unsigned stale_days;
	bool window;
	const char *python; /* JSON: what python3 asserts of it (the python tcase) */
} cov_cases[] = {
	{"coverage.txt", EMIT_REPORT_TEXT, 1, true, NULL},
	{"coverage.json", EMIT_REPORT_JSON, 1, true,
	 "import json,sys\n"
	 "d = json.load(sys.stdin)\n"
	 "assert d[\"window\"][\"spans\"] == 2\n"
	 "assert d[\"never_seen_running\"] == "
	 "[\"k8s:shop/cronjob/backup\", \"k8s:shop/deployment/ads\"]\n"
	 "assert sum(d[\"new_edges_per_day\"].values()) == 5\n"
	 "assert all(type(e[\"port\"]) is int for e in d[\"stale_edges\"])\n"},
	{"coverage-stale7.txt", EMIT_REPORT_TEXT, 7, true, NULL},
	{"coverage-nowindow.txt", EMIT_REPORT_TEXT, 7, false, NULL},
};

/* Case i's coverage of the fixture built with seed, its two windows added in either order. */
static void coverage_render(size_t i, unsigned seed, bool windows_reversed, struct test_output *o)
{
	struct graph *g = fixture_build(&fx_cov, seed);
	FILE *f;

	if (cov_cases[i].window && !windows_reversed) {
		graph_add_window(g, T0, T0 + DAY * SEC);
		graph_add_window(g, T0 + (DAY + 3600) * SEC, T0 + 3 * DAY * SEC);
	} else if (cov_cases[i].window) {
		graph_add_window(g, T0 + (DAY + 3600) * SEC, T0 + 3 * DAY * SEC);
		graph_add_window(g, T0, T0 + DAY * SEC);
	}
	f = test_output_open(o);
	o->r = emit_coverage(f, cov_cases[i].format, g, cov_cases[i].stale_days, &o->err);
	ck_assert_int_eq(fclose(f), 0);
	graph_free(g);
}

START_TEST(test_coverage)
{
	struct test_output o, again;
	char path[512];

	coverage_render((size_t)_i, (unsigned)_i, false, &o);
	ck_assert_msg(o.r == 0, "%s", o.err.msg);
	snprintf(path, sizeof(path), "%s/%s", GOLDEN_DIR, cov_cases[_i].golden);
	test_golden_check(path, o.buf, o.len);
	/* the same graph built in another order gives the same bytes */
	coverage_render((size_t)_i, 7 + (unsigned)_i, true, &again);
	ck_assert_int_eq(again.r, 0);
	ck_assert_uint_eq(again.len, o.len);
	ck_assert_mem_eq(again.buf, o.buf, o.len);
	free(o.buf);
	free(again.buf);
}
END_TEST

/* A scan kept as attempts (tests/data/state/attempts.yaml): listed as possible scans. */
static const struct {
	const char *golden;
	enum emit_report_format format;
	const char *python; /* JSON: what python3 asserts of it (the python tcase) */
} cov_attempt_cases[] = {
	{"coverage-attempts.txt", EMIT_REPORT_TEXT, NULL},
	{"coverage-attempts.json", EMIT_REPORT_JSON,
	 "import json,sys\n"
	 "d = json.load(sys.stdin)\n"
	 "s = d[\"possible_scans\"]\n"
	 "assert len(s) == 4 and d[\"attempts_dropped\"] == 0\n"
	 "assert s[0][\"refused\"] == 200 and s[0][\"unanswered\"] == 100\n"
	 "assert s[0][\"ports\"] == list(range(1001, 1009))\n"
	 "assert s[2][\"ports\"] == []\n"},
};

static void coverage_attempts_render(size_t i, struct test_output *o)
{
	struct graph *g = NULL;
	struct util_err err = {""};
	FILE *f;

	ck_assert_msg(graph_state_load(TEST_DATA "/state/attempts.yaml", &g, &err) == 0, "%s",
		      err.msg);
	f = test_output_open(o);
	o->r = emit_coverage(f, cov_attempt_cases[i].format, g, 7, &o->err);
	ck_assert_int_eq(fclose(f), 0);
	graph_free(g);
}

START_TEST(test_coverage_attempts)
{
	struct test_output o;
	char path[512];

	coverage_attempts_render((size_t)_i, &o);
	ck_assert_msg(o.r == 0, "%s", o.err.msg);
	snprintf(path, sizeof(path), "%s/%s", GOLDEN_DIR, cov_attempt_cases[_i].golden);
	test_golden_check(path, o.buf, o.len);
	if (cov_attempt_cases[_i].format == EMIT_REPORT_TEXT)
		ck_assert_ptr_nonnull(strstr(o.buf, "\nPOSSIBLE SCANS"));
	free(o.buf);
}
END_TEST

/* ---- hostile strings ---------------------------------------------------------------------- */

static const struct {
	const char *what;
	const struct fixture *fx;
	enum emit_format fmt;
	int ret;
	/* ret 0: in the output ("" for no output at all); ret < 0: in the error message */
	const char *expect;
} hostile_cases[] = {
	{"quote in a label value", &fx_hq_label, EMIT_FORMAT_K8S, -EINVAL,
	 "k8s:h/deployment/x: label value \"a\"b\" is not valid"},
	{"quote in a label value", &fx_hq_label, EMIT_FORMAT_JSON, 0, "\"app\": \"a\\\"b\""},
	{"newline in a label value", &fx_hn_label, EMIT_FORMAT_K8S, -EINVAL,
	 "label value \"a?b\" is not valid"},
	{"newline in a label value", &fx_hn_label, EMIT_FORMAT_JSON, -EINVAL,
	 "json: a string holds a control character"},
	{"uppercase namespace", &fx_bad_ns, EMIT_FORMAT_K8S, -EINVAL,
	 "namespace \"Shop\" is not valid"},
	{"long label key", &fx_long_key, EMIT_FORMAT_K8S, 0, "      ? " LONG_KEY "\n      : x\n"},
	{"long label key", &fx_long_key, EMIT_FORMAT_JSON, -EINVAL, "longer than 128 bytes"},
	{"quote and backslash in a name", &fx_hq_name, EMIT_FORMAT_DOT, 0,
	 "\"docker:a\\\"b\\\\c\" [label=\"a\\\"b\\\\c\"];"},
	{"quote and backslash in a name", &fx_hq_name, EMIT_FORMAT_JSON, 0,
	 "\"client\": \"docker:a\\\"b\\\\c\""},
	{"quote and backslash in a name", &fx_hq_name, EMIT_FORMAT_TABLE, 0, "docker:a\"b\\c  "},
	{"quote and backslash in a name", &fx_hq_name, EMIT_FORMAT_K8S, -ENODATA,
	 "no Kubernetes workload in the state"},
	{"newline in a name", &fx_hn_name, EMIT_FORMAT_DOT, -EINVAL, "dot: a workload id"},
	{"newline in a name", &fx_hn_name, EMIT_FORMAT_JSON, -EINVAL, "json: a string"},
	{"newline in a name", &fx_hn_name, EMIT_FORMAT_TABLE, -EINVAL, "table: a workload id"},
	{"terminal escape in a name", &fx_esc_name, EMIT_FORMAT_DOT, -EINVAL, "dot: a workload id"},
	{"terminal escape in a name", &fx_esc_name, EMIT_FORMAT_JSON, -EINVAL, "json: a string"},
	{"terminal escape in a name", &fx_esc_name, EMIT_FORMAT_TABLE, -EINVAL,
	 "table: a workload id"},
	{"U+2028 in a name", &fx_ls_name, EMIT_FORMAT_JSON, -EINVAL, "json: a string"},
	{"U+2028 in a name", &fx_ls_name, EMIT_FORMAT_DOT, 0, "\"docker:a\xe2\x80\xa8z\""},
	{"invalid UTF-8 in a name", &fx_utf8_name, EMIT_FORMAT_DOT, -EINVAL, "dot: a workload id"},
	{"invalid UTF-8 in a name", &fx_utf8_name, EMIT_FORMAT_JSON, -EINVAL, "json: a string"},
	{"invalid UTF-8 in a name", &fx_utf8_name, EMIT_FORMAT_TABLE, -EINVAL,
	 "table: a workload id"},
	/* libyaml writes é as it is and U+FEFF as \uFEFF: both JSON */
	{"non-ASCII in a name", &fx_bmp_name, EMIT_FORMAT_JSON, 0,
	 "\"client\": \"docker:caf\xc3\xa9\\uFEFF\""},
	{"non-ASCII in a name", &fx_bmp_name, EMIT_FORMAT_TABLE, 0,
	 "docker:caf\xc3\xa9\xef\xbb\xbf  "},
	{"empty and JSON-looking labels", &fx_empty_label, EMIT_FORMAT_JSON, 0,
	 "\"labels\": {\"\": \"\", \"k\": \"{\\\"x\\\": [1]}\"}"},
	{"external that is not a CIDR", &fx_bad_cidr, EMIT_FORMAT_K8S, -EINVAL,
	 "external:not-a-cidr: CIDR \"not-a-cidr\" is not valid"},
};

START_TEST(test_hostile)
{
	const char *expect = hostile_cases[_i].expect;
	struct graph *g = fixture_build(hostile_cases[_i].fx, 0);
	struct test_output o;

	render(g, hostile_cases[_i].fmt, false, false, NULL, &o);
	ck_assert_msg(o.r == hostile_cases[_i].ret, "%s: got %d (%s)", hostile_cases[_i].what, o.r,
		      o.err.msg);
	if (o.r < 0) {
		ck_assert_msg(o.len == 0, "%s: %zu bytes written before failing",
			      hostile_cases[_i].what, o.len);
		ck_assert_msg(strstr(o.err.msg, expect), "%s: \"%s\" not in the error \"%s\"",
			      hostile_cases[_i].what, expect, o.err.msg);
		for (const char *c = o.err.msg; *c; c++)
			ck_assert_msg((unsigned char)*c >= 0x20 && *c != 0x7f,
				      "%s: a control character in the error",
				      hostile_cases[_i].what);
	} else if (!*expect) {
		ck_assert_msg(o.len == 0, "%s: output where none was expected: %.*s",
			      hostile_cases[_i].what, (int)o.len, o.buf);
	} else {
		ck_assert_msg(memmem(o.buf, o.len, expect, strlen(expect)) != NULL,
			      "%s: \"%s\" not in the output:\n%.*s", hostile_cases[_i].what, expect,
			      (int)o.len, o.buf);
	}
	free(o.buf);
	graph_free(g);
}
END_TEST

/* ---- format names and write errors -------------------------------------------------------- */

static const struct {
	const char *name;
	int ret;
	enum emit_format fmt;
} format_cases[] = {
	{"k8s", 0, EMIT_FORMAT_K8S},
	{"dot", 0, EMIT_FORMAT_DOT},
	{"json", 0, EMIT_FORMAT_JSON},
	{"table", 0, EMIT_FORMAT_TABLE},
	{"K8S", -EINVAL, 0},
	{"yaml", -EINVAL, 0},
	{"", -EINVAL, 0},
	{"json ", -EINVAL, 0},
};

START_TEST(test_format_names)
{
	enum emit_format fmt = (enum emit_format)42;

	ck_assert_int_eq(emit_format_from_name(format_cases[_i].name, &fmt), format_cases[_i].ret);
	ck_assert_int_eq(fmt, format_cases[_i].ret == 0 ? format_cases[_i].fmt : 42);
}
END_TEST

static const enum emit_format all_formats[] = {EMIT_FORMAT_K8S, EMIT_FORMAT_DOT, EMIT_FORMAT_JSON,
					       EMIT_FORMAT_TABLE};

START_TEST(test_write_error)
{
	struct graph *g = fixture_build(&fx_shop, 0);
	struct util_err err = {{0}};
	FILE *full = test_full_stream();
	int r;

	r = emit_graph(all_formats[_i], full, g, NULL, &err);
	ck_assert_int_eq(r, -EIO);
	ck_assert_uint_gt(strlen(err.msg), 0);
	fclose(full);
	graph_free(g);
}
END_TEST

START_TEST(test_unknown_format)
{
	struct graph *g = graph_new();
	struct util_err err = {{0}};

	ck_assert_int_eq(emit_graph((enum emit_format)17, stdout, g, NULL, &err), -EINVAL);
	ck_assert_uint_gt(strlen(err.msg), 0);
	graph_free(g);
}
END_TEST

/* ---- python3 reads the JSON back (the python tcase: meson's emit-python) ------------------- */

/* The rows of the tables above that write JSON, filled in by emit_suite(). */
static size_t json_goldens[UTIL_ARRAY_SIZE(golden_cases)], n_json_goldens;
static size_t json_hostiles[UTIL_ARRAY_SIZE(hostile_cases)], n_json_hostiles;
static size_t json_coverages[UTIL_ARRAY_SIZE(cov_cases)], n_json_coverages;
static size_t json_attempts[UTIL_ARRAY_SIZE(cov_attempt_cases)], n_json_attempts;

START_TEST(test_golden_python)
{
	const struct golden_case *tc = &golden_cases[json_goldens[_i]];
	struct graph *g = fixture_build(tc->fx, 0);
	struct test_output o;

	render(g, tc->fmt, tc->allow_dns, false, NULL, &o);
	ck_assert_msg(o.r == 0, "%s: %d %s", tc->golden, o.r, o.err.msg);
	json_check_python(o.buf, o.len);
	free(o.buf);
	graph_free(g);
}
END_TEST

START_TEST(test_hostile_python)
{
	size_t i = json_hostiles[_i];
	struct graph *g = fixture_build(hostile_cases[i].fx, 0);
	struct test_output o;

	render(g, hostile_cases[i].fmt, false, false, NULL, &o);
	ck_assert_msg(o.r == 0, "%s: got %d (%s)", hostile_cases[i].what, o.r, o.err.msg);
	json_check_python(o.buf, o.len);
	free(o.buf);
	graph_free(g);
}
END_TEST

START_TEST(test_coverage_python)
{
	size_t i = json_coverages[_i];
	struct test_output o;

	coverage_render(i, (unsigned)i, false, &o);
	ck_assert_msg(o.r == 0, "%s", o.err.msg);
	ck_assert_msg(test_python_accepts(cov_cases[i].python, o.buf, o.len),
		      "python3 does not read %s as expected", cov_cases[i].golden);
	free(o.buf);
}
END_TEST

START_TEST(test_coverage_attempts_python)
{
	size_t i = json_attempts[_i];
	struct test_output o;

	coverage_attempts_render(i, &o);
	ck_assert_msg(o.r == 0, "%s", o.err.msg);
	ck_assert_msg(test_python_accepts(cov_attempt_cases[i].python, o.buf, o.len),
		      "python3 does not read %s as expected", cov_attempt_cases[i].golden);
	free(o.buf);
}
END_TEST

static Suite *emit_suite(void)
{
	Suite *s = suite_create("emit");
	TCase *tc = tcase_create("emit");

	for (size_t i = 0; i < UTIL_ARRAY_SIZE(golden_cases); i++)
		if (golden_cases[i].fmt == EMIT_FORMAT_JSON)
			json_goldens[n_json_goldens++] = i;
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(hostile_cases); i++)
		if (hostile_cases[i].fmt == EMIT_FORMAT_JSON && hostile_cases[i].ret == 0 &&
		    *hostile_cases[i].expect)
			json_hostiles[n_json_hostiles++] = i;
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(cov_cases); i++)
		if (cov_cases[i].python)
			json_coverages[n_json_coverages++] = i;
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(cov_attempt_cases); i++)
		if (cov_attempt_cases[i].python)
			json_attempts[n_json_attempts++] = i;

	tcase_add_loop_test(tc, test_golden, 0, (int)UTIL_ARRAY_SIZE(golden_cases));
	tcase_add_loop_test(tc, test_shuffled_same_bytes, 0, (int)UTIL_ARRAY_SIZE(shuffle_cases));
	tcase_add_loop_test(tc, test_hostile, 0, (int)UTIL_ARRAY_SIZE(hostile_cases));
	tcase_add_loop_test(tc, test_scope, 0, (int)UTIL_ARRAY_SIZE(scope_cases));
	tcase_add_test(tc, test_nothing_to_write);
	tcase_add_loop_test(tc, test_coverage, 0, (int)UTIL_ARRAY_SIZE(cov_cases));
	tcase_add_loop_test(tc, test_coverage_attempts, 0, (int)UTIL_ARRAY_SIZE(cov_attempt_cases));
	tcase_add_loop_test(tc, test_format_names, 0, (int)UTIL_ARRAY_SIZE(format_cases));
	tcase_add_loop_test(tc, test_write_error, 0, (int)UTIL_ARRAY_SIZE(all_formats));
	tcase_add_test(tc, test_unknown_format);
	suite_add_tcase(s, tc);
	tc = tcase_create(TEST_NEEDS_PYTHON);
	tcase_set_tags(tc, TEST_NEEDS_PYTHON);
	tcase_add_loop_test(tc, test_golden_python, 0, (int)n_json_goldens);
	tcase_add_loop_test(tc, test_hostile_python, 0, (int)n_json_hostiles);
	tcase_add_loop_test(tc, test_coverage_python, 0, (int)n_json_coverages);
	tcase_add_loop_test(tc, test_coverage_attempts_python, 0, (int)n_json_attempts);
	suite_add_tcase(s, tc);
	return s;
}

int main(int argc, char **argv)
{
	return test_main(argc, argv, emit_suite());
}
