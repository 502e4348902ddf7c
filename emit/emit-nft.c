/* SPDX-License-Identifier: Apache-2.0 */
/* emit-nft.c - an nftables ruleset (one table, replaced atomically) locking down a Docker host. */
#include "emit/emit.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <uthash.h>

#define NFT_TABLE	"flowlock"
#define NFT_COMMENT_MAX 128 /* what nft keeps of a comment */
#define NFT_ADDRS_FIRST 16  /* addresses asked for first; more when the callback has more */

/*
 * One set element. Sets differ in which fields they use: managed (a), c2c (a proto b port),
 * out/in (a/alen proto b/blen port), icmp (a/alen b/blen). Unused fields stay zero, so one
 * comparison orders and deduplicates every kind.
 */
struct nft_elem {
	struct util_addr a, b;
	uint8_t alen, blen;
	uint8_t proto;
	uint16_t port;
	char *comment; /* already quoted */
};

enum nft_set_kind {
	NFT_SET_MANAGED = 0,
	NFT_SET_C2C,
	NFT_SET_OUT,
	NFT_SET_IN,
	NFT_SET_ICMP,
	NFT_SET_KINDS,
};

static const char *const nft_set_names[NFT_SET_KINDS] = {
	[NFT_SET_MANAGED] = "managed", [NFT_SET_C2C] = "c2c",	[NFT_SET_OUT] = "out",
	[NFT_SET_IN] = "in",	       [NFT_SET_ICMP] = "icmp",
};

struct nft_set {
	struct nft_elem *v;
	size_t n, cap;
};

/* The current addresses of one managed (docker) workload, normalised, sorted and unique. */
struct nft_wl {
	const char *id; /* borrowed from the graph */
	struct util_addr *addrs;
	size_t n_addrs;
	UT_hash_handle hh;
};

struct nft_ctx {
	const struct emit_options *opts;
	struct util_err *err;
	struct util_said *said;
	struct nft_wl *managed;
	struct nft_set sets[NFT_SET_KINDS][2]; /* [kind][0: IPv4, 1: IPv6] */
};

/* Said once: the same peer or edge shows up from both its ends. */
#define nft_warn(c, ...)                                                                           \
	util_warn_once(&(c)->said, (c)->opts->warn, (c)->opts->warn_userdata, __VA_ARGS__)

/*
 * THE quoting function: every string that reaches the ruleset from a workload passes here. The
 * result is safe inside "..." of an nft comment: a small alphabet, everything else '_', capped.
 * Names were validated on the way in; this is the last line before text someone applies as root.
 */
static char *nft_quote(const char *s)
{
	static const char ok[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
				 " ._:/>-";
	size_t n = strlen(s);
	char *q;

	if (n > NFT_COMMENT_MAX)
		n = NFT_COMMENT_MAX;
	q = util_strndup(s, n);
	for (char *p = q; *p; p++)
		if (!strchr(ok, *p))
			*p = '_';
	return q;
}

static int nft_family_index(const struct util_addr *a)
{
	return a->family == AF_INET ? 0 : 1;
}

static unsigned nft_host_len(const struct util_addr *a)
{
	return a->family == AF_INET ? 32 : 128;
}

/* IPv4 in the first 4 bytes and zeroes after, whatever the callback left there. */
static void nft_addr_normalise(struct util_addr *a)
{
	if (a->family == AF_INET)
		memset(a->bytes + 4, 0, sizeof(a->bytes) - 4);
}

static int nft_elem_cmp(const void *x, const void *y)
{
	const struct nft_elem *a = x, *b = y;
	int c = util_addr_compare(&a->a, &b->a);

	if (c)
		return c;
	if (a->alen != b->alen)
		return a->alen < b->alen ? -1 : 1;
	if (a->proto != b->proto)
		return a->proto < b->proto ? -1 : 1;
	c = util_addr_compare(&a->b, &b->b);
	if (c)
		return c;
	if (a->blen != b->blen)
		return a->blen < b->blen ? -1 : 1;
	if (a->port != b->port)
		return a->port < b->port ? -1 : 1;
	return strcmp(a->comment, b->comment);
}

static bool nft_elem_same_key(const struct nft_elem *a, const struct nft_elem *b)
{
	return util_addr_compare(&a->a, &b->a) == 0 && a->alen == b->alen && a->proto == b->proto &&
	       util_addr_compare(&a->b, &b->b) == 0 && a->blen == b->blen && a->port == b->port;
}

/* Whether prefix a/alen holds all of b/blen (same family). */
static bool nft_prefix_covers(const struct util_addr *a, unsigned alen, const struct util_addr *b,
			      unsigned blen)
{
	const struct util_prefix outer = {*a, alen}, inner = {*b, blen};

	return util_prefix_contains(&outer, &inner);
}

static void nft_set_add(struct nft_ctx *c, enum nft_set_kind kind, const struct nft_elem *e)
{
	struct nft_set *s = &c->sets[kind][nft_family_index(&e->a)];

	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 16;
		s->v = util_reallocarray(s->v, s->cap, sizeof(*s->v));
	}
	s->v[s->n++] = *e;
}

/*
 * Sorts and drops repeats (the first comment in order stays). In an interval set the kernel
 * refuses overlapping elements; prefixes either nest or are disjoint, so an element that a wider
 * one covers on every field is dropped: it allows nothing the wider one does not.
 */
static void nft_set_finish(struct nft_set *s, bool interval)
{
	bool *drop = util_zalloc((s->n ? s->n : 1) * sizeof(*drop));
	size_t keep = 0;

	if (s->n > 0)
		qsort(s->v, s->n, sizeof(*s->v), nft_elem_cmp);
	for (size_t i = 0; i < s->n; i++) {
		const struct nft_elem *e = &s->v[i];

		drop[i] = i > 0 && nft_elem_same_key(&s->v[i - 1], e);
		for (size_t j = 0; interval && !drop[i] && j < s->n; j++) {
			const struct nft_elem *w = &s->v[j];

			drop[i] = !nft_elem_same_key(w, e) && w->proto == e->proto &&
				  w->port == e->port &&
				  nft_prefix_covers(&w->a, w->alen, &e->a, e->alen) &&
				  nft_prefix_covers(&w->b, w->blen, &e->b, e->blen);
		}
	}
	for (size_t i = 0; i < s->n; i++) {
		if (drop[i])
			free(s->v[i].comment);
		else
			s->v[keep++] = s->v[i];
	}
	s->n = keep;
	free(drop);
}

/* ---- the model ---------------------------------------------------------------------------- */

static int nft_addr_cmp(const void *a, const void *b)
{
	return util_addr_compare(a, b);
}

static int nft_collect_managed(struct nft_ctx *c, const struct graph *g)
{
	for (size_t i = 0; i < graph_workload_count(g); i++) {
		const struct graph_workload *w = graph_workload(g, i);
		struct util_addr *addrs;
		size_t n = 0, got = 0, keep = 0;
		struct nft_wl *m;
		char *comment;

		if (graph_workload_kind(w) != GRAPH_KIND_DOCKER)
			continue;
		addrs = util_reallocarray(NULL, NFT_ADDRS_FIRST, sizeof(*addrs));
		if (c->opts->addresses) {
			n = c->opts->addresses(c->opts->addresses_userdata, w, addrs,
					       NFT_ADDRS_FIRST);
			got = n;
			if (n > NFT_ADDRS_FIRST) {
				addrs = util_reallocarray(addrs, n, sizeof(*addrs));
				got = c->opts->addresses(c->opts->addresses_userdata, w, addrs, n);
				if (got > n)
					got = n; /* it grew in between: keep what fits */
			}
		}
		for (size_t j = 0; j < got; j++) {
			if (addrs[j].family != AF_INET && addrs[j].family != AF_INET6) {
				unsigned family = addrs[j].family;
				char *shown = nft_quote(graph_workload_id(w));
				int r = util_err_set(c->err, EINVAL,
						     "%s: address of unknown family %u", shown,
						     family);

				free(shown);
				free(addrs);
				return r;
			}
			nft_addr_normalise(&addrs[j]);
		}
		if (got > 0)
			qsort(addrs, got, sizeof(*addrs), nft_addr_cmp);
		for (size_t j = 0; j < got; j++)
			if (keep == 0 || util_addr_compare(&addrs[keep - 1], &addrs[j]) != 0)
				addrs[keep++] = addrs[j];
		if (keep == 0) {
			nft_warn(c, "%s: no current address, its rules are left out",
				 graph_workload_id(w));
			free(addrs);
			continue;
		}
		m = util_zalloc(sizeof(*m));
		m->id = graph_workload_id(w);
		m->addrs = addrs;
		m->n_addrs = keep;
		HASH_ADD_KEYPTR(hh, c->managed, m->id, strlen(m->id), m);
		comment = nft_quote(m->id);
		for (size_t j = 0; j < keep; j++) {
			struct nft_elem e = {.a = addrs[j],
					     .alen = (uint8_t)nft_host_len(&addrs[j]),
					     .comment = util_strdup(comment)};

			nft_set_add(c, NFT_SET_MANAGED, &e);
		}
		free(comment);
	}
	return 0;
}

/* The prefixes of a node or external peer (see graph_workload_prefix), host bits cleared. */
static int nft_peer_prefixes(struct nft_ctx *c, const struct graph_workload *w,
			     struct util_addr **ret, uint8_t **ret_lens, size_t *ret_n)
{
	size_t n = graph_workload_prefix_count(w);
	struct util_addr *v;
	uint8_t *lens;

	if (n == 0 && graph_workload_kind(w) == GRAPH_KIND_EXTERNAL) {
		char *id = nft_quote(graph_workload_id(w)),
		     *shown = nft_quote(graph_workload_name(w));
		int r = util_err_set(c->err, EINVAL, "%s: CIDR \"%s\" is not valid", id, shown);

		free(shown);
		free(id);
		return r;
	}
	v = util_reallocarray(NULL, n ? n : 1, sizeof(*v));
	lens = util_reallocarray(NULL, n ? n : 1, sizeof(*lens));
	for (size_t i = 0; i < n; i++) {
		const struct util_prefix *p = graph_workload_prefix(w, i);

		v[i] = p->addr;
		util_addr_mask(&v[i], p->len);
		lens[i] = (uint8_t)p->len;
	}
	*ret = v;
	*ret_lens = lens;
	*ret_n = n;
	return 0;
}

static const char *nft_proto_name(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_TCP:
		return "tcp";
	case IPPROTO_UDP:
		return "udp";
	case IPPROTO_SCTP:
		return "sctp";
	default:
		return NULL;
	}
}

/* An edge between two managed containers: every address pair of one family. */
static void nft_edge_c2c(struct nft_ctx *c, const struct nft_wl *cl, const struct nft_wl *sv,
			 uint8_t proto, uint16_t port, const char *comment)
{
	bool icmp = proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6;

	for (size_t i = 0; i < cl->n_addrs; i++) {
		for (size_t j = 0; j < sv->n_addrs; j++) {
			const struct util_addr *a = &cl->addrs[i], *b = &sv->addrs[j];
			struct nft_elem e = {.a = *a,
					     .b = *b,
					     .alen = (uint8_t)nft_host_len(a),
					     .blen = (uint8_t)nft_host_len(b)};

			if (a->family != b->family)
				continue;
			if (icmp) {
				/* ICMP is IPv4's, ICMPv6 is IPv6's */
				if ((proto == IPPROTO_ICMP) != (a->family == AF_INET))
					continue;
			} else {
				e.proto = proto;
				e.port = port;
			}
			e.comment = util_strdup(comment);
			nft_set_add(c, icmp ? NFT_SET_ICMP : NFT_SET_C2C, &e);
		}
	}
}

/* An edge between a managed container and a peer outside Docker: host . prefix, or reversed. */
static void nft_edge_peer(struct nft_ctx *c, const struct nft_wl *m, const struct util_addr *pfx,
			  const uint8_t *lens, size_t n_pfx, bool outbound, uint8_t proto,
			  uint16_t port, const char *comment)
{
	bool icmp = proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6;

	for (size_t i = 0; i < m->n_addrs; i++) {
		for (size_t j = 0; j < n_pfx; j++) {
			const struct util_addr *h = &m->addrs[i];
			uint8_t hlen = (uint8_t)nft_host_len(h);
			struct nft_elem e = {0};

			if (h->family != pfx[j].family)
				continue;
			if (icmp && (proto == IPPROTO_ICMP) != (h->family == AF_INET))
				continue;
			e.a = outbound ? *h : pfx[j];
			e.alen = outbound ? hlen : lens[j];
			e.b = outbound ? pfx[j] : *h;
			e.blen = outbound ? lens[j] : hlen;
			if (!icmp) {
				e.proto = proto;
				e.port = port;
			}
			e.comment = util_strdup(comment);
			nft_set_add(c,
				    icmp       ? NFT_SET_ICMP
				    : outbound ? NFT_SET_OUT
					       : NFT_SET_IN,
				    &e);
		}
	}
}

static bool nft_is_peer(enum graph_kind k)
{
	return k == GRAPH_KIND_EXTERNAL || k == GRAPH_KIND_NODE;
}

static int nft_collect_edge(struct nft_ctx *c, const struct graph_edge *edge)
{
	const struct graph_workload *cl = graph_edge_client(edge), *sv = graph_edge_server(edge);
	enum graph_kind ck = graph_workload_kind(cl), sk = graph_workload_kind(sv);
	uint8_t proto = graph_edge_proto(edge);
	uint16_t port = graph_edge_port(edge);
	const struct nft_wl *mc = NULL, *ms = NULL;
	const struct graph_workload *peer;
	struct util_addr *pfx = NULL;
	uint8_t *lens = NULL;
	size_t n_pfx = 0;
	char *what, *comment;
	int r = 0;

	/* edges that touch no container are none of this host's business */
	if (ck != GRAPH_KIND_DOCKER && sk != GRAPH_KIND_DOCKER)
		return 0;
	what = util_asprintf("%s -> %s", graph_workload_id(cl), graph_workload_id(sv));
	if (ck == GRAPH_KIND_K8S || sk == GRAPH_KIND_K8S) {
		nft_warn(c, "%s: a Kubernetes peer cannot be expressed in nftables, left out",
			 what);
		goto out;
	}
	if (ck == GRAPH_KIND_UNKNOWN || sk == GRAPH_KIND_UNKNOWN) {
		nft_warn(c, "%s: an address that matched nothing in the inventory, left out", what);
		goto out;
	}
	if (proto != IPPROTO_ICMP && proto != IPPROTO_ICMPV6 && !nft_proto_name(proto)) {
		nft_warn(c, "%s: protocol %u cannot be expressed in nftables, left out", what,
			 proto);
		goto out;
	}
	if (ck == GRAPH_KIND_DOCKER)
		HASH_FIND_STR(c->managed, graph_workload_id(cl), mc);
	if (sk == GRAPH_KIND_DOCKER)
		HASH_FIND_STR(c->managed, graph_workload_id(sv), ms);
	/* a container without addresses was warned about already */
	if ((ck == GRAPH_KIND_DOCKER && !mc) || (sk == GRAPH_KIND_DOCKER && !ms))
		goto out;
	comment = nft_quote(what);
	if (mc && ms) {
		nft_edge_c2c(c, mc, ms, proto, port, comment);
	} else if (nft_is_peer(ck) || nft_is_peer(sk)) {
		peer = mc ? sv : cl;
		r = nft_peer_prefixes(c, peer, &pfx, &lens, &n_pfx);
		if (r == 0) {
			if (n_pfx == 0)
				nft_warn(c, "%s: %s has no address, left out", what,
					 graph_workload_id(peer));
			nft_edge_peer(c, mc ? mc : ms, pfx, lens, n_pfx, mc != NULL, proto, port,
				      comment);
		}
	}
	free(comment);
	free(pfx);
	free(lens);
out:
	free(what);
	return r;
}

/* ---- rendering ---------------------------------------------------------------------------- */

static const char *nft_addr(const struct util_addr *a, unsigned len, char *buf)
{
	char tmp[UTIL_ADDR_LEN];

	util_addr_format(a, tmp);
	if (len == nft_host_len(a))
		snprintf(buf, UTIL_ADDR_LEN + 8, "%s", tmp);
	else
		snprintf(buf, UTIL_ADDR_LEN + 8, "%s/%u", tmp, len);
	return buf;
}

static void nft_render_set(FILE *out, enum nft_set_kind kind, int fam, const struct nft_set *s)
{
	const char *addr = fam == 0 ? "ipv4_addr" : "ipv6_addr";
	char a[UTIL_ADDR_LEN + 8], b[UTIL_ADDR_LEN + 8];

	fprintf(out, "\tset %s%c {\n", nft_set_names[kind], fam == 0 ? '4' : '6');
	switch (kind) {
	case NFT_SET_MANAGED:
		fprintf(out, "\t\ttype %s\n", addr);
		break;
	case NFT_SET_ICMP:
		fprintf(out, "\t\ttype %s . %s\n\t\tflags interval\n", addr, addr);
		break;
	case NFT_SET_C2C:
		fprintf(out, "\t\ttype %s . inet_proto . %s . inet_service\n", addr, addr);
		break;
	default:
		fprintf(out, "\t\ttype %s . inet_proto . %s . inet_service\n\t\tflags interval\n",
			addr, addr);
		break;
	}
	if (s->n > 0) {
		fputs("\t\telements = {\n", out);
		for (size_t i = 0; i < s->n; i++) {
			const struct nft_elem *e = &s->v[i];

			fprintf(out, "\t\t\t%s", nft_addr(&e->a, e->alen, a));
			if (kind == NFT_SET_ICMP)
				fprintf(out, " . %s", nft_addr(&e->b, e->blen, b));
			else if (kind != NFT_SET_MANAGED)
				fprintf(out, " . %s . %s . %u", nft_proto_name(e->proto),
					nft_addr(&e->b, e->blen, b), e->port);
			fprintf(out, " comment \"%s\"%s\n", e->comment, i + 1 < s->n ? "," : "");
		}
		fputs("\t\t}\n", out);
	}
	fputs("\t}\n\n", out);
}

static void nft_render(FILE *out, struct nft_ctx *c)
{
	bool enforce = c->opts->nft_mode != EMIT_NFT_AUDIT;
	static const struct {
		const char *nfproto, *ip, *sfx, *icmp;
	} fam[2] = {{"ipv4", "ip", "4", "icmp"}, {"ipv6", "ip6", "6", "icmpv6"}};

	fprintf(out,
		"#!/usr/sbin/nft -f\n"
		"# Generated by flowlock: what the learned graph allows between this host's "
		"Docker\n"
		"# containers and their peers. Mode: %s.\n"
		"#\n"
		"# Check, then apply:  nft -c -f FILE  &&  nft -f FILE\n"
		"# It replaces the table inet " NFT_TABLE
		" (and nothing else: Docker's tables are\n"
		"# not touched) in one transaction, so applying it twice is applying it once and\n"
		"# there is never a moment without rules. Remove: nft delete table inet " NFT_TABLE
		"\n"
		"#\n"
		"# Only the forward hook is filtered: container <-> container, container <-> "
		"other\n"
		"# hosts, and published ports after Docker's DNAT (matched on the container's "
		"address\n"
		"# and port). Traffic between containers on one bridge reaches it only with\n"
		"# br_netfilter loaded and net.bridge.bridge-nf-call-iptables=1 (ip6tables=1 for "
		"IPv6).\n"
		"# Traffic that touches no managed container is left alone. Anything else to or "
		"from\n"
		"# a managed container is logged (at most 10/s, prefix \"" EMIT_NFT_LOG_PREFIX
		"\")\n"
		"# and %s.\n",
		enforce ? "enforce" : "audit",
		enforce ? "dropped" : "accepted (audit: nothing is refused)");
	fputs("table inet " NFT_TABLE "\n"
	      "delete table inet " NFT_TABLE "\n"
	      "\n"
	      "table inet " NFT_TABLE " {\n",
	      out);
	for (int k = 0; k < NFT_SET_KINDS; k++)
		for (int f = 0; f < 2; f++)
			nft_render_set(out, (enum nft_set_kind)k, f, &c->sets[k][f]);
	fputs("\tchain forward {\n"
	      "\t\ttype filter hook forward priority filter - 10; policy accept;\n"
	      "\t\tct state established,related accept\n"
	      /* IPv6 neighbour discovery is IPv6's ARP: without it no address resolves. Hop
	       * limit 255 means it was not forwarded by a router (RFC 4861). */
	      "\t\tmeta nfproto ipv6 icmpv6 type { nd-router-solicit, nd-router-advert, "
	      "nd-neighbor-solicit, nd-neighbor-advert } ip6 hoplimit 255 accept\n",
	      out);
	for (int f = 0; f < 2; f++)
		fprintf(out,
			"\t\tmeta nfproto %s %s saddr != @managed%s %s daddr != @managed%s "
			"accept\n",
			fam[f].nfproto, fam[f].ip, fam[f].sfx, fam[f].ip, fam[f].sfx);
	/* audit must refuse nothing: what enforce drops unlogged, audit accepts unlogged */
	fprintf(out, "\t\tct state invalid %s\n", enforce ? "drop" : "accept");
	for (int f = 0; f < 2; f++) {
		static const char *const port_sets[] = {"c2c", "out", "in"};

		for (size_t k = 0; k < UTIL_ARRAY_SIZE(port_sets); k++)
			fprintf(out,
				"\t\tmeta nfproto %s %s saddr . meta l4proto . %s daddr . th dport "
				"@%s%s accept\n",
				fam[f].nfproto, fam[f].ip, fam[f].ip, port_sets[k], fam[f].sfx);
		fprintf(out,
			"\t\tmeta nfproto %s meta l4proto %s %s type echo-request %s saddr . %s "
			"daddr @icmp%s accept\n",
			fam[f].nfproto, fam[f].icmp, fam[f].icmp, fam[f].ip, fam[f].ip, fam[f].sfx);
	}
	fprintf(out,
		"\t\tlimit rate 10/second log prefix \"" EMIT_NFT_LOG_PREFIX "\" level info\n"
		"\t\t%s\n"
		"\t}\n"
		"}\n",
		enforce ? "drop" : "accept");
}

int emit_nftables(FILE *out, const struct graph *g, const struct emit_options *opts,
		  struct util_err *err)
{
	struct nft_ctx c = {.opts = opts, .err = err};
	struct nft_wl *m, *mtmp;
	int r;

	r = nft_collect_managed(&c, g);
	/* a ruleset that manages no container would change nothing: say why instead */
	if (r == 0 && !c.managed) {
		size_t docker = 0;

		for (size_t i = 0; i < graph_workload_count(g); i++)
			docker += graph_workload_kind(graph_workload(g, i)) == GRAPH_KIND_DOCKER;
		r = docker ? util_err_set(err, ENODATA,
					  "none of the %zu containers in the state has an address "
					  "now (are they running? is this the host they ran on?)",
					  docker)
			   : util_err_set(err, ENODATA,
					  "no Docker container in the state: learn on the Docker "
					  "host with --docker or a docker inspect --inventory");
	}
	for (size_t i = 0; r == 0 && i < graph_edge_count(g); i++)
		r = nft_collect_edge(&c, graph_edge(g, i));
	if (r < 0)
		goto out;
	for (int k = 0; k < NFT_SET_KINDS; k++)
		for (int f = 0; f < 2; f++)
			nft_set_finish(&c.sets[k][f],
				       k == NFT_SET_OUT || k == NFT_SET_IN || k == NFT_SET_ICMP);
	nft_render(out, &c);
out:
	for (int k = 0; k < NFT_SET_KINDS; k++) {
		for (int f = 0; f < 2; f++) {
			for (size_t i = 0; i < c.sets[k][f].n; i++)
				free(c.sets[k][f].v[i].comment);
			free(c.sets[k][f].v);
		}
	}
	HASH_ITER (hh, c.managed, m, mtmp) {
		HASH_DEL(c.managed, m);
		free(m->addrs);
		free(m);
	}
	util_said_free(&c.said);
	return r;
}

/* ---- What apply loads ------------------------------------------------------------------- */

int emit_nft_guard(const char *path, struct util_err *err)
{
	char line[4096];
	size_t lineno = 0;
	int depth = 0;
	bool ours = false;
	FILE *f = fopen(path, "re");

	if (!f)
		return util_err_set(err, errno, "%s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		const char *p = line;
		bool quoted = false;

		lineno++;
		while (*p == ' ' || *p == '\t')
			p++;
		if (depth == 0 && *p != '#' && *p != '\n' && *p != '\0') {
			const char *t = strncmp(p, "delete table ", 13) == 0 ? p + 13
					: strncmp(p, "table ", 6) == 0	     ? p + 6
									     : NULL;

			if (!t || strncmp(t, "inet flowlock", 13) != 0 ||
			    (t[13] != ' ' && t[13] != '{' && t[13] != '\n' && t[13] != '\0')) {
				fclose(f);
				return util_err_set(
					err, EPERM,
					"%s:%zu: does something outside flowlock's own table "
					"(inet flowlock); refusing to load it",
					path, lineno);
			}
			ours = true;
		}
		for (; *p && *p != '\n'; p++) {
			if (*p == '"')
				quoted = !quoted;
			else if (!quoted && *p == '#')
				break;
			else if (!quoted && *p == '{')
				depth++;
			else if (!quoted && *p == '}' && --depth < 0)
				break;
		}
		if (depth < 0)
			break;
	}
	fclose(f);
	if (depth != 0)
		return util_err_set(err, EINVAL, "%s: unbalanced braces; not a flowlock ruleset",
				    path);
	if (!ours)
		return util_err_set(err, EINVAL,
				    "%s: not a flowlock ruleset (no table inet flowlock)", path);
	return 0;
}
