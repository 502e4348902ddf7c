/* SPDX-License-Identifier: Apache-2.0 */
/* test-nft.c - the nftables ruleset: goldens, determinism, hostile names, IPv6, nft -c; addresses.
 */
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "emit/emit.h"
#include "tests/test-helpers.h"

#define GOLDEN_DIR TEST_DATA "/nft"
#define T0	   1795356005123456789ull
#define SEC	   UTIL_NSEC_PER_SEC

#define K8S	 GRAPH_KIND_K8S
#define DOCKER	 GRAPH_KIND_DOCKER
#define NODE	 GRAPH_KIND_NODE
#define EXTERNAL GRAPH_KIND_EXTERNAL
#define TCP	 IPPROTO_TCP
#define UDP	 IPPROTO_UDP
#define SCTP	 IPPROTO_SCTP
#define ICMP	 IPPROTO_ICMP
#define ICMP6	 IPPROTO_ICMPV6

/* ---- fixtures: graphs and the host's addresses, as tables --------------------------------- */

struct wl_spec {
	enum graph_kind kind;
	const char *ns, *controller, *name;
	const char *cidrs[2]; /* node and external peers */
};

struct edge_spec {
	const char *client, *server;
	uint8_t proto;
	uint16_t port;
};

/* What the addresses callback answers: a docker workload id and its current addresses. */
struct addr_spec {
	const char *id;
	const char *addrs[4];
};

struct fixture {
	const struct wl_spec *wl;
	size_t n_wl;
	const struct edge_spec *edges;
	size_t n_edges;
	const struct addr_spec *addrs;
	size_t n_addrs;
};

#define FIXTURE(w, e, a)                                                                           \
	{                                                                                          \
		w, UTIL_ARRAY_SIZE(w), e, UTIL_ARRAY_SIZE(e), a, UTIL_ARRAY_SIZE(a)                \
	}

static const struct wl_spec host_wl[] = {
	{DOCKER, "", "", "web", {NULL}},
	{DOCKER, "", "", "api", {NULL}},
	{DOCKER, "", "", "db", {NULL}},
	{DOCKER, "shop", "", "cache", {NULL}},
	{DOCKER, "", "", "ghost", {NULL}}, /* stopped: no current address */
	{EXTERNAL, "", "", "203.0.113.0/24", {"203.0.113.0/24"}},
	{EXTERNAL, "", "", "203.0.113.7/32", {"203.0.113.7/32"}}, /* inside the /24 above */
	{EXTERNAL, "", "", "198.51.100.7/32", {NULL}},		  /* by its name */
	{EXTERNAL, "", "", "2001:db8:77::/48", {"2001:db8:77::/48"}},
	{NODE, "", "", "backup", {"192.0.2.10/32", "2001:db8:1::10/128"}},
	{K8S, "prod", "Deployment", "pay", {NULL}},
	{K8S, "prod", "Deployment", "ledger", {NULL}},
	{GRAPH_KIND_UNKNOWN, "", "", "10.244.0.0/16", {"10.244.0.0/16"}},
};

static const struct edge_spec host_edges[] = {
	{"docker:web", "docker:api", TCP, 8080},
	{"docker:api", "docker:db", TCP, 5432},
	{"docker:api", "docker:shop/cache", TCP, 6379},
	{"docker:web", "docker:api", ICMP, 0},
	{"docker:web", "docker:api", ICMP6, 0},
	{"docker:api", "docker:web", UDP, 9125},
	/* published ports, after Docker's DNAT */
	{"external:203.0.113.0/24", "docker:web", TCP, 443},
	{"external:203.0.113.7/32", "docker:web", TCP, 443},
	{"external:2001:db8:77::/48", "docker:web", TCP, 443},
	{"docker:api", "external:198.51.100.7/32", UDP, 123},
	{"docker:api", "external:198.51.100.7/32", SCTP, 3868},
	{"node:backup", "docker:db", TCP, 5432},
	{"docker:db", "node:backup", ICMP, 0},
	{"docker:web", "k8s:prod/deployment/pay", TCP, 443},
	{"docker:ghost", "docker:api", TCP, 8080},
	{"docker:web", "docker:api", 47 /* GRE */, 0},
	{"k8s:prod/deployment/pay", "k8s:prod/deployment/ledger", TCP, 8443},
	{"docker:api", "unknown:10.244.0.0/16", TCP, 9000},
};

static const struct addr_spec host_addrs[] = {
	{"docker:web", {"172.18.0.2", "fd00:18::2"}},
	{"docker:api", {"fd00:18::3", "172.18.0.3", "172.18.0.3"}}, /* unsorted, repeated */
	{"docker:db", {"172.18.0.4"}},
	{"docker:shop/cache", {"172.19.0.3", "172.19.0.2"}},
};

static const struct fixture fx_host = FIXTURE(host_wl, host_edges, host_addrs);
static const struct fixture fx_empty = {NULL, 0, NULL, 0, NULL, 0};

static const char *const host_warnings[] = {
	"docker:ghost: no current address, its rules are left out",
	"docker:api -> unknown:10.244.0.0/16: an address that matched nothing in the inventory, "
	"left out",
	"docker:web -> docker:api: protocol 47 cannot be expressed in nftables, left out",
	"docker:web -> k8s:prod/deployment/pay: a Kubernetes peer cannot be expressed in nftables, "
	"left out",
	NULL,
};

/* ---- helpers ------------------------------------------------------------------------------ */

static void permute(size_t *idx, size_t n, unsigned seed)
{
	uint32_t x = seed * 2654435761u + 1;

	for (size_t i = 0; i < n; i++)
		idx[i] = i;
	for (size_t i = n; seed && i > 1; i--) {
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

		for (size_t a = 0; a < UTIL_ARRAY_SIZE(s->cidrs); a++)
			if (s->cidrs[a])
				graph_workload_add_address(w, TEST_PREFIX(s->cidrs[a]));
		graph_add_workload(g, w);
		graph_workload_unref(w);
	}
	permute(idx, f->n_edges, seed);
	for (size_t k = 0; k < f->n_edges; k++) {
		const struct edge_spec *e = &f->edges[idx[k]];
		const struct graph_workload *c = graph_find_workload(g, e->client);
		const struct graph_workload *s = graph_find_workload(g, e->server);

		ck_assert_msg(c && s, "fixture edge %s -> %s names an unknown workload", e->client,
			      e->server);
		graph_add_edge(g, c, s, e->proto, e->port, 1, T0, T0 + SEC);
	}
	free(idx);
	return g;
}

/* The callback's userdata: the table, and the order to answer in (shuffled with the graph). */
struct addr_ctx {
	const struct addr_spec *addrs;
	size_t n;
	unsigned seed;
};

static size_t table_addresses(void *userdata, const struct graph_workload *w, struct util_addr *ret,
			      size_t max)
{
	const struct addr_ctx *c = userdata;

	for (size_t i = 0; i < c->n; i++) {
		const struct addr_spec *s = &c->addrs[i];
		size_t n = 0, idx[4];

		if (strcmp(s->id, graph_workload_id(w)) != 0)
			continue;
		while (n < UTIL_ARRAY_SIZE(s->addrs) && s->addrs[n])
			n++;
		permute(idx, n, c->seed);
		for (size_t k = 0; k < n && k < max; k++)
			ck_assert_int_eq(util_addr_parse(s->addrs[idx[k]], &ret[k]), 0);
		return n;
	}
	return 0;
}

static void render(const struct graph *g, const struct addr_spec *addrs, size_t n_addrs,
		   unsigned seed, enum emit_nft_mode mode, struct test_warnings *warnings,
		   struct test_output *o)
{
	struct addr_ctx ac = {addrs, n_addrs, seed};
	struct emit_options opts = {
		.nft_mode = mode,
		.addresses = table_addresses,
		.addresses_userdata = &ac,
		.warn = warnings ? test_collect_warning : NULL,
		.warn_userdata = warnings,
	};
	FILE *f;

	f = test_output_open(o);
	o->r = emit_graph(EMIT_FORMAT_NFTABLES, f, g, &opts, &o->err);
	ck_assert_int_eq(fclose(f), 0);
}

/*
 * The kernel's own parser as the oracle: nft -c -f (check only, never load) reads each ruleset
 * the way 'flowlock apply' loads it. Only the root tcase (test-nft root, meson's nft-root) runs
 * it, and there a missing nft fails; without root that tcase is skipped (77), never passed
 * unchecked. nft_check_status gives the wait status; the caller asserts, after cleaning up.
 */
static bool with_nft;

static int nft_check_status(const char *path)
{
	static const char *const nfts[] = {"/usr/sbin/nft", "/sbin/nft", "/usr/bin/nft"};
	const char *nft = NULL;
	pid_t pid;
	int status;

	for (size_t i = 0; i < UTIL_ARRAY_SIZE(nfts) && !nft; i++)
		if (access(nfts[i], X_OK) == 0)
			nft = nfts[i];
	ck_assert_msg(nft, "nft is missing: the root tcase needs it (apt-get install nftables)");
	pid = fork();
	if (pid < 0)
		return 1 << 8;
	if (pid == 0) {
		execl(nft, "nft", "-c", "-f", path, (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid)
		return 1 << 8;
	return status;
}

static void nft_check(const char *path)
{
	int status;

	if (!with_nft)
		return;
	status = nft_check_status(path);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "nft -c -f %s failed (%d)",
		      path, status);
}

static void nft_check_buffer(const char *buf, size_t len)
{
	char path[] = "/tmp/test-nft-XXXXXX";
	int status;

	if (!with_nft)
		return;
	test_write_temp(path, buf, len);
	status = nft_check_status(path);
	/* the file names a failure: kept only then, for a look */
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		unlink(path);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "nft -c -f %s failed (%d)",
		      path, status);
}

/* The text of every comment "..." is in the quoting function's alphabet and <= 128 bytes. */
static size_t comments_check(const char *buf)
{
	static const char ok[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
				 " ._:/>-";
	const char *p = buf;
	size_t n = 0;

	while ((p = strstr(p, "comment \""))) {
		const char *start = p + strlen("comment \""), *end = strchr(start, '"');

		ck_assert_ptr_nonnull(end);
		ck_assert_uint_le((size_t)(end - start), 128);
		for (const char *q = start; q < end; q++)
			ck_assert_msg(strchr(ok, *q), "comment byte 0x%02x", (unsigned char)*q);
		p = end + 1;
		n++;
	}
	return n;
}

/*
 * IPv6 must not pass by an IPv4-only match, nor IPv4 by an IPv6 one: every rule line that
 * decides by an address says its family first, and only that family's fields follow.
 */
static void families_check(const char *buf)
{
	char *copy = strdup(buf), *save = NULL;
	bool in_chain = false;
	size_t rules = 0;

	ck_assert_ptr_nonnull(copy);
	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		while (*line == '\t')
			line++;
		if (strncmp(line, "chain forward", 13) == 0)
			in_chain = true;
		if (!in_chain || *line == '#')
			continue;
		if (strstr(line, "ip saddr") || strstr(line, "ip daddr") ||
		    strstr(line, "@managed4") || strstr(line, "icmp type")) {
			ck_assert_msg(strncmp(line, "meta nfproto ipv4 ", 18) == 0, "%s", line);
			ck_assert_msg(!strstr(line, "ip6 ") && !strstr(line, "6 accept"), "%s",
				      line);
			rules++;
		}
		if (strstr(line, "ip6 ") || strstr(line, "icmpv6")) {
			ck_assert_msg(strncmp(line, "meta nfproto ipv6 ", 18) == 0, "%s", line);
			ck_assert_msg(!strstr(line, " ip saddr") && !strstr(line, " ip daddr") &&
					      !strstr(line, "4 accept"),
				      "%s", line);
			rules++;
		}
		/* nothing else accepts, except what conntrack already let through */
		if (strstr(line, "accept") && !strstr(line, "meta nfproto") &&
		    !strstr(line, "policy accept"))
			ck_assert_msg(strncmp(line, "ct state ", 9) == 0 ||
					      strcmp(line, "accept") == 0,
				      "%s", line);
	}
	ck_assert_uint_eq(rules, 11); /* 5 per family, and IPv6 neighbour discovery */
	free(copy);
}

/* ---- goldens, determinism, warnings, nft -c ----------------------------------------------- */

struct golden_case {
	const char *file;
	const struct fixture *fx;
	enum emit_nft_mode mode;
	const char *const *warnings;
	size_t comments; /* how many set elements carry a comment */
};

static const struct golden_case golden_cases[] = {
	{"host-enforce.nft", &fx_host, EMIT_NFT_ENFORCE, host_warnings, 22},
	{"host-audit.nft", &fx_host, EMIT_NFT_AUDIT, host_warnings, 22},
};

/* A ruleset that manages no container would change nothing: an error that says why. */
static const struct wl_spec ghosts_wl[] = {
	{DOCKER, "", "", "ghost", {NULL}},
	{DOCKER, "shop", "", "gone", {NULL}},
	{EXTERNAL, "", "", "203.0.113.7/32", {"203.0.113.7/32"}},
};
static const struct edge_spec ghosts_edges[] = {
	{"docker:ghost", "external:203.0.113.7/32", TCP, 443},
};
static const struct addr_spec no_addrs[] = {{"docker:other", {"172.18.0.9"}}};
static const struct fixture fx_ghosts = FIXTURE(ghosts_wl, ghosts_edges, no_addrs);

static const struct {
	const struct fixture *fx;
	const char *error;
} nothing_cases[] = {
	{&fx_empty, "no Docker container in the state: learn on the Docker host with --docker or a "
		    "docker inspect --inventory"},
	{&fx_ghosts, "none of the 2 containers in the state has an address now (are they "
		     "running? is this the host they ran on?)"},
};

START_TEST(test_nothing_to_write)
{
	struct graph *g = fixture_build(nothing_cases[_i].fx, 0);
	struct test_output o;

	render(g, nothing_cases[_i].fx->addrs, nothing_cases[_i].fx->n_addrs, 0, EMIT_NFT_ENFORCE,
	       NULL, &o);
	ck_assert_int_eq(o.r, -ENODATA);
	ck_assert_uint_eq(o.len, 0);
	ck_assert_str_eq(o.err.msg, nothing_cases[_i].error);
	free(o.buf);
	graph_free(g);
}
END_TEST

static void case_golden(int _i)
{
	const struct golden_case *gc = &golden_cases[_i];
	struct graph *g = fixture_build(gc->fx, 0);
	struct test_warnings w = {0};
	struct test_output o, again;
	char path[512];
	size_t n = 0;

	render(g, gc->fx->addrs, gc->fx->n_addrs, 0, gc->mode, &w, &o);
	ck_assert_msg(o.r == 0, "%s", o.err.msg);
	snprintf(path, sizeof(path), "%s/%s", GOLDEN_DIR, gc->file);
	test_golden_check(path, o.buf, o.len);
	while (gc->warnings[n])
		n++;
	ck_assert_uint_eq(w.n, n);
	for (size_t i = 0; i < n; i++)
		ck_assert_str_eq(w.msg[i], gc->warnings[i]);
	ck_assert_uint_eq(comments_check(o.buf), gc->comments);
	families_check(o.buf);
	ck_assert_ptr_nonnull(strstr(o.buf, "\ntable inet flowlock\ndelete table inet flowlock\n"));
	ck_assert_ptr_nonnull(
		strstr(o.buf, gc->mode == EMIT_NFT_AUDIT ? "\t\taccept\n\t}" : "\t\tdrop\n\t}"));
	/* only its own table: no other table and no Docker chain is named */
	ck_assert_ptr_null(strstr(o.buf, "table ip "));
	ck_assert_ptr_null(strstr(o.buf, "DOCKER"));
	nft_check(path);

	/* the same twice, and without a warn callback */
	render(g, gc->fx->addrs, gc->fx->n_addrs, 0, gc->mode, NULL, &again);
	ck_assert_int_eq(again.r, 0);
	ck_assert_uint_eq(again.len, o.len);
	ck_assert_mem_eq(again.buf, o.buf, o.len);
	free(again.buf);
	free(o.buf);
	test_warnings_clear(&w);
	graph_free(g);
}

START_TEST(test_golden)
{
	case_golden(_i);
}
END_TEST

START_TEST(test_golden_nft)
{
	with_nft = true;
	case_golden(_i);
}
END_TEST

/* Workloads, edges and addresses added in another order give the same bytes. */
START_TEST(test_determinism)
{
	const struct golden_case *gc = &golden_cases[_i / 4];
	unsigned seed = 1 + _i % 4;
	struct graph *g0 = fixture_build(gc->fx, 0), *g = fixture_build(gc->fx, seed);
	struct test_output a, b;

	render(g0, gc->fx->addrs, gc->fx->n_addrs, 0, gc->mode, NULL, &a);
	render(g, gc->fx->addrs, gc->fx->n_addrs, seed, gc->mode, NULL, &b);
	ck_assert_int_eq(a.r, 0);
	ck_assert_int_eq(b.r, 0);
	ck_assert_uint_eq(a.len, b.len);
	ck_assert_mem_eq(a.buf, b.buf, a.len);
	free(a.buf);
	free(b.buf);
	graph_free(g0);
	graph_free(g);
}
END_TEST

/* ---- hostile names ------------------------------------------------------------------------ */

/*
 * A docker workload with a hostile name, talking to web. Its ruleset must be byte for byte the
 * one of a workload whose name is what the quoting function makes of it: the name adds no
 * syntax, only comment text.
 */
struct hostile_case {
	const char *name, *tame;
};

#define A10  "aaaaaaaaaa"
#define A100 A10 A10 A10 A10 A10 A10 A10 A10 A10 A10
static const struct hostile_case hostile_cases[] = {
	{"a\"b", "a_b"},
	{"a\"; flush ruleset; \"", "a__ flush ruleset_ _"},
	{"x}\n}\ntable ip nat {", "x____table ip nat _"},
	{"a{b}c", "a_b_c"},
	{"a\nb", "a_b"},
	{"a\\\"b", "a__b"},
	{"tab\there#", "tab_here_"},
	{"caf\xc3\xa9", "caf__"},
	{"$(reboot)`id`", "__reboot__id_"},
	{A100 A100 A100 "\"", A100 A10 A10 "a"}, /* capped: "docker:" + 121 characters */
};

static void case_hostile_name(int _i)
{
	const struct hostile_case *hc = &hostile_cases[_i];
	const char *names[2] = {hc->name, hc->tame};
	struct test_output o[2];

	for (int k = 0; k < 2; k++) {
		struct graph *g = graph_new();
		struct graph_workload *h = graph_workload_new(DOCKER, "", "", names[k]);
		struct graph_workload *web = graph_workload_new(DOCKER, "", "", "web");
		const struct graph_workload *gh = graph_add_workload(g, h);
		const struct graph_workload *gw = graph_add_workload(g, web);
		char id[512];
		struct addr_spec addrs[2] = {{id, {"172.18.0.9"}}, {"docker:web", {"172.18.0.2"}}};

		snprintf(id, sizeof(id), "docker:%s", names[k]);
		graph_add_edge(g, gh, gw, TCP, 80, 1, T0, T0);
		graph_add_edge(g, gw, gh, TCP, 81, 1, T0, T0);
		render(g, addrs, 2, 0, EMIT_NFT_ENFORCE, NULL, &o[k]);
		ck_assert_msg(o[k].r == 0, "%s", o[k].err.msg);
		ck_assert_uint_eq(comments_check(o[k].buf), 4);
		graph_workload_unref(h);
		graph_workload_unref(web);
		graph_free(g);
	}
	ck_assert_uint_eq(o[0].len, o[1].len);
	ck_assert_mem_eq(o[0].buf, o[1].buf, o[0].len);
	/* the only quotes: 4 comments, and the log prefix in the header and in the chain */
	for (size_t i = 0, quotes = 0; i <= o[0].len; i++) {
		if (i == o[0].len)
			ck_assert_uint_eq(quotes, 2 * 4 + 4);
		else if (o[0].buf[i] == '"')
			quotes++;
	}
	ck_assert_ptr_nonnull(
		strstr(o[0].buf, "\t\ttype filter hook forward priority filter - 10;"));
	nft_check_buffer(o[0].buf, o[0].len);
	free(o[0].buf);
	free(o[1].buf);
}

START_TEST(test_hostile_name)
{
	case_hostile_name(_i);
}
END_TEST

START_TEST(test_hostile_name_nft)
{
	with_nft = true;
	case_hostile_name(_i);
}
END_TEST

/* ---- refusals ----------------------------------------------------------------------------- */

struct refusal_case {
	enum graph_kind kind;
	const char *name, *cidr;
	const char *msg;
};

/*
 * An outside peer stands for its addresses, which the graph keeps parsed, or for an external
 * without any, for the prefix its name spells: that name is what can be refused.
 */
static const struct refusal_case refusal_cases[] = {
	{EXTERNAL, "203.0.113.0/33", NULL, "external:203.0.113.0/33: CIDR \"203.0.113.0/33\""},
	{EXTERNAL, "10.0.0.0/8; flush ruleset", NULL, "CIDR \"10.0.0.0/8_ flush ruleset\""},
	{EXTERNAL, "300.1.1.1/32", NULL,
	 "external:300.1.1.1/32: CIDR \"300.1.1.1/32\" is not valid"},
	{EXTERNAL, "10.0.0.1/", NULL, "external:10.0.0.1/: CIDR \"10.0.0.1/\" is not valid"},
	{EXTERNAL, "2001:db8::/129", NULL, "CIDR \"2001:db8::/129\" is not valid"},
};

START_TEST(test_refusal)
{
	const struct refusal_case *rc = &refusal_cases[_i];
	struct graph *g = graph_new();
	struct graph_workload *p = graph_workload_new(rc->kind, "", "", rc->name);
	struct graph_workload *web = graph_workload_new(DOCKER, "", "", "web");
	const struct graph_workload *gp, *gw;
	static const struct addr_spec addrs[] = {{"docker:web", {"172.18.0.2"}}};
	struct test_output o;

	if (rc->cidr)
		graph_workload_add_address(p, TEST_PREFIX(rc->cidr));
	gp = graph_add_workload(g, p);
	gw = graph_add_workload(g, web);
	graph_add_edge(g, gw, gp, TCP, 443, 1, T0, T0);
	render(g, addrs, 1, 0, EMIT_NFT_ENFORCE, NULL, &o);
	ck_assert_int_eq(o.r, -EINVAL);
	ck_assert_msg(strstr(o.err.msg, rc->msg), "%s", o.err.msg);
	ck_assert_uint_eq(o.len, 0); /* nothing half written */
	free(o.buf);
	graph_workload_unref(p);
	graph_workload_unref(web);
	graph_free(g);
}
END_TEST

/* ---- what the addresses callback hands over ---------------------------------------------- */

struct many_case {
	size_t n;	/* addresses the callback has for docker:big */
	uint8_t family; /* of the last one */
	int r;
	size_t managed; /* elements of managed4 */
};

static const struct many_case many_cases[] = {
	{16, AF_INET, 0, 17},			    /* exactly what is asked for first */
	{17, AF_INET, 0, 18},			    /* one more: asked again with room for all */
	{200, AF_INET, 0, 201}, {3, 0, -EINVAL, 0}, /* a family that is neither */
	{40, 99, -EINVAL, 0},			    /* the same past the first ask */
};

static size_t many_addresses(void *userdata, const struct graph_workload *w, struct util_addr *ret,
			     size_t max)
{
	const struct many_case *mc = userdata;
	size_t n = strcmp(graph_workload_id(w), "docker:big") == 0 ? mc->n : 1;

	for (size_t i = 0; i < n && i < max; i++) {
		/* the other one is docker:web; big's come in descending order */
		memset(&ret[i], 0, sizeof(ret[i]));
		ret[i].family = n == 1 ? AF_INET : (i + 1 == n ? mc->family : AF_INET);
		ret[i].bytes[0] = n == 1 ? 172 : 10;
		ret[i].bytes[2] = (uint8_t)((n - i) >> 8);
		ret[i].bytes[3] = (uint8_t)(n - i);
	}
	return n;
}

static void case_many_addresses(int _i)
{
	const struct many_case *mc = &many_cases[_i];
	struct graph *g = graph_new();
	struct graph_workload *big = graph_workload_new(DOCKER, "", "", "big");
	struct graph_workload *web = graph_workload_new(DOCKER, "", "", "web");
	const struct graph_workload *gb = graph_add_workload(g, big);
	const struct graph_workload *gw = graph_add_workload(g, web);
	struct emit_options opts = {.addresses = many_addresses, .addresses_userdata = (void *)mc};
	struct util_err err = {{0}};
	char *buf = NULL, *set, *end;
	size_t len = 0, n = 0;
	FILE *f = open_memstream(&buf, &len);
	int r;

	ck_assert_ptr_nonnull(f);
	graph_add_edge(g, gb, gw, TCP, 80, 1, T0, T0);
	r = emit_graph(EMIT_FORMAT_NFTABLES, f, g, &opts, &err);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(r, mc->r);
	if (r == 0) {
		set = strstr(buf, "set managed4 {");
		ck_assert_ptr_nonnull(set);
		end = strstr(set, "\n\t}\n");
		for (char *p = set; (p = strstr(p, " comment ")) && p < end; p++)
			n++;
		ck_assert_uint_eq(n, mc->managed);
		/* sorted by address, not as handed over: 10.0.0.1 first, 10.0.0.2 next */
		ck_assert_ptr_nonnull(strstr(set, "\t\t\t10.0.0.1 comment \"docker:big\",\n"
						  "\t\t\t10.0.0.2 comment"));
		nft_check_buffer(buf, len);
	} else {
		ck_assert_uint_eq(len, 0);
		ck_assert_ptr_nonnull(strstr(err.msg, "docker:big: address of unknown family"));
	}
	free(buf);
	graph_workload_unref(big);
	graph_workload_unref(web);
	graph_free(g);
}

START_TEST(test_many_addresses)
{
	case_many_addresses(_i);
}
END_TEST

START_TEST(test_many_addresses_nft)
{
	with_nft = true;
	case_many_addresses(_i);
}
END_TEST

START_TEST(test_format_name)
{
	enum emit_format f = EMIT_FORMAT_K8S;

	ck_assert_int_eq(emit_format_from_name("nftables", &f), 0);
	ck_assert_int_eq(f, EMIT_FORMAT_NFTABLES);
	ck_assert_int_eq(emit_format_from_name("nft", &f), -EINVAL);
}
END_TEST

/* ---- inventory_addresses ------------------------------------------------------------ */

enum inv_setup {
	SETUP_FILE,    /* docker-inspect.json only */
	SETUP_LIVE,    /* plus a live compose container shop/cache with a repeated address */
	SETUP_TAKEN,   /* plus a live container that has taken toolbox's address */
	SETUP_REMOVED, /* plus shop/cache, since removed */
};

struct inv_case {
	enum inv_setup setup;
	const char *id;
	size_t max;
	size_t total;
	const char *want[3];
};

static const struct inv_case inv_cases[] = {
	{SETUP_FILE, "docker:shop/web", 4, 2, {"172.20.0.3", "fd00:dead:beef::3"}},
	{SETUP_FILE, "docker:shop/web", 1, 2, {"172.20.0.3"}},
	{SETUP_FILE, "docker:toolbox", 4, 1, {"172.17.0.2"}},
	{SETUP_FILE, "docker:nope", 4, 0, {NULL}},
	{SETUP_LIVE, "docker:shop/cache", 4, 2, {"172.20.0.8", "172.20.0.9"}},
	{SETUP_LIVE, "docker:shop/web", 4, 2, {"172.20.0.3", "fd00:dead:beef::3"}},
	{SETUP_TAKEN, "docker:toolbox", 4, 0, {NULL}},
	{SETUP_TAKEN, "docker:thief", 4, 2, {"172.17.0.2", "172.17.0.5"}},
	{SETUP_REMOVED, "docker:shop/cache", 4, 0, {NULL}},
};

START_TEST(test_inventory_addresses)
{
	const struct inv_case ic = inv_cases[_i];
	struct inventory *inv = inventory_new();
	struct util_addr cache[3], thief[2], got[4];
	struct inventory_container c = {0};
	struct util_err err = {{0}};
	size_t n;

	ck_assert_int_eq(inventory_load(inv, TEST_DATA "/inventory/docker-inspect.json", &err), 0);
	ck_assert_int_eq(util_addr_parse("172.20.0.9", &cache[0]), 0);
	ck_assert_int_eq(util_addr_parse("172.20.0.8", &cache[1]), 0);
	cache[2] = cache[0];
	ck_assert_int_eq(util_addr_parse("172.17.0.5", &thief[0]), 0);
	ck_assert_int_eq(util_addr_parse("172.17.0.2", &thief[1]), 0);
	if (ic.setup == SETUP_LIVE || ic.setup == SETUP_REMOVED) {
		c = (struct inventory_container){"c1", "shop-cache-1", "shop", "cache", cache, 3};
		ck_assert_int_eq(inventory_set_container(inv, &c, 0, &err), 0);
	}
	if (ic.setup == SETUP_REMOVED)
		inventory_remove_container(inv, "c1", 1);
	if (ic.setup == SETUP_TAKEN) {
		c = (struct inventory_container){"c2", "thief", NULL, NULL, thief, 2};
		ck_assert_int_eq(inventory_set_container(inv, &c, 0, &err), 0);
	}
	memset(got, 0xa5, sizeof(got));
	n = inventory_addresses(inv, ic.id, got, ic.max);
	ck_assert_uint_eq(n, ic.total);
	for (size_t i = 0; i < ic.max && i < n; i++) {
		char buf[UTIL_ADDR_LEN];

		ck_assert_ptr_nonnull(ic.want[i]);
		ck_assert_str_eq(util_addr_format(&got[i], buf), ic.want[i]);
	}
	/* nothing past max is written */
	for (size_t i = ic.max < n ? ic.max : n; i < UTIL_ARRAY_SIZE(got); i++)
		ck_assert_uint_eq(got[i].family, 0xa5);
	inventory_free(inv);
}
END_TEST

/* ---- The guard of flowlock apply: nothing outside flowlock's own table --------------------- */

static const struct guard_case {
	const char *what;
	const char *text;
	int ret;
	const char *msg; /* after "PATH" */
} guard_cases[] = {
	{"a ruleset as emit writes it",
	 "table inet flowlock\ndelete table inet flowlock\n\n"
	 "table inet flowlock {\n\tchain forward {\n\t\ttype filter "
	 "hook forward priority filter - 10;\n\t}\n}\n",
	 0, NULL},
	{"comments and blank lines around it",
	 "# flowlock ruleset\n\n   \t\n# another\ntable inet flowlock {\n}\n", 0, NULL},
	{"braces and # inside strings do not count",
	 "table inet flowlock {\n\tset s { comment \"}}} # {\" ; }\n}\n", 0, NULL},
	{"a brace in a comment does not count", "table inet flowlock { # }}}\n}\n", 0, NULL},
	{"flush ruleset", "flush ruleset\ntable inet flowlock {\n}\n", -EPERM,
	 ":1: does something outside flowlock's own table (inet flowlock); refusing to load it"},
	{"another table", "table inet flowlock {\n}\ntable ip filter {\n}\n", -EPERM,
	 ":3: does something outside flowlock's own table (inet flowlock); refusing to load it"},
	{"a table whose name only begins like ours", "table inet flowlock2 {\n}\n", -EPERM,
	 ":1: does something outside flowlock's own table (inet flowlock); refusing to load it"},
	{"an include", "include \"/etc/nftables.conf\"\n", -EPERM,
	 ":1: does something outside flowlock's own table (inet flowlock); refusing to load it"},
	{"deleting another table", "delete table ip nat\n", -EPERM,
	 ":1: does something outside flowlock's own table (inet flowlock); refusing to load it"},
	{"a rule after our table closed", "table inet flowlock {\n}\nadd rule ip filter x drop\n",
	 -EPERM,
	 ":3: does something outside flowlock's own table (inet flowlock); refusing to load it"},
	{"unclosed", "table inet flowlock {\n\tchain c {\n}\n", -EINVAL,
	 ": unbalanced braces; not a flowlock ruleset"},
	{"closed too often", "table inet flowlock {\n}}\n", -EINVAL,
	 ": unbalanced braces; not a flowlock ruleset"},
	{"a lone brace after our table", "table inet flowlock {\n}\n}\n", -EPERM,
	 ":3: does something outside flowlock's own table (inet flowlock); refusing to load it"},
	{"only comments", "# nothing\n\n", -EINVAL,
	 ": not a flowlock ruleset (no table inet flowlock)"},
	{"empty", "", -EINVAL, ": not a flowlock ruleset (no table inet flowlock)"},
};

START_TEST(test_guard)
{
	const struct guard_case *gc = &guard_cases[_i];
	char path[] = "/tmp/test-nft-XXXXXX", want[512];
	struct util_err err = {""};

	test_write_temp(path, gc->text, strlen(gc->text));
	ck_assert_msg(emit_nft_guard(path, &err) == gc->ret, "%s: %s", gc->what, err.msg);
	if (gc->msg) {
		snprintf(want, sizeof(want), "%s%s", path, gc->msg);
		ck_assert_str_eq(err.msg, want);
	}
	unlink(path);
}
END_TEST

/* What emit writes, the guard lets through, in every mode. */
START_TEST(test_guard_golden)
{
	const struct golden_case *gc = &golden_cases[_i];
	char path[] = "/tmp/test-nft-XXXXXX";
	struct util_err err = {""};
	struct graph *g = fixture_build(gc->fx, 0);
	struct test_output o;

	render(g, gc->fx->addrs, gc->fx->n_addrs, 0, gc->mode, NULL, &o);
	ck_assert_msg(o.r == 0, "%s", o.err.msg);
	test_write_temp(path, o.buf, o.len);
	ck_assert_msg(emit_nft_guard(path, &err) == 0, "%s: %s", gc->file, err.msg);
	unlink(path);
	free(o.buf);
	graph_free(g);
}
END_TEST

static Suite *nft_suite(void)
{
	Suite *s = suite_create("nft");
	TCase *tc = tcase_create("nft");

	tcase_add_loop_test(tc, test_golden, 0, UTIL_ARRAY_SIZE(golden_cases));
	tcase_add_loop_test(tc, test_determinism, 0, UTIL_ARRAY_SIZE(golden_cases) * 4);
	tcase_add_loop_test(tc, test_nothing_to_write, 0, UTIL_ARRAY_SIZE(nothing_cases));
	tcase_add_loop_test(tc, test_hostile_name, 0, UTIL_ARRAY_SIZE(hostile_cases));
	tcase_add_loop_test(tc, test_refusal, 0, UTIL_ARRAY_SIZE(refusal_cases));
	tcase_add_loop_test(tc, test_many_addresses, 0, UTIL_ARRAY_SIZE(many_cases));
	tcase_add_test(tc, test_format_name);
	tcase_add_loop_test(tc, test_inventory_addresses, 0, UTIL_ARRAY_SIZE(inv_cases));
	tcase_add_loop_test(tc, test_guard, 0, UTIL_ARRAY_SIZE(guard_cases));
	tcase_add_loop_test(tc, test_guard_golden, 0, UTIL_ARRAY_SIZE(golden_cases));
	suite_add_tcase(s, tc);
	/* the same rulesets through nft -c: needs root and nft */
	tc = tcase_create(TEST_NEEDS_ROOT);
	tcase_set_tags(tc, TEST_NEEDS_ROOT);
	tcase_add_loop_test(tc, test_golden_nft, 0, UTIL_ARRAY_SIZE(golden_cases));
	tcase_add_loop_test(tc, test_hostile_name_nft, 0, UTIL_ARRAY_SIZE(hostile_cases));
	tcase_add_loop_test(tc, test_many_addresses_nft, 0, UTIL_ARRAY_SIZE(many_cases));
	suite_add_tcase(s, tc);
	return s;
}

int main(int argc, char **argv)
{
	return test_main(argc, argv, nft_suite());
}
