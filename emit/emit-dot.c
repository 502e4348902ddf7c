/* SPDX-License-Identifier: Apache-2.0 */
/* emit-dot.c - the graph for Graphviz: one cluster per namespace or compose project. */
#include "emit/emit.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

/*
 * Every string that reaches the output passes here: ids, labels, cluster names. Control
 * characters are refused rather than escaped, since no valid graph holds one.
 */
static int dot_quote(FILE *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		uint32_t cp;
		size_t n = util_utf8_next((const char *)p, &cp);

		if (n == 0 || util_is_control(cp))
			return -EINVAL;
		p += n;
	}
	fputc('"', out);
	for (p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fputc('\\', out);
		fputc(*p, out);
	}
	fputc('"', out);
	return 0;
}

static int dot_bad(struct util_err *err, const char *what, const char *s)
{
	/* the string itself is what is wrong with it: it is not repeated into the message */
	return util_err_set(err, EINVAL,
			    "dot: %s holds a control character or invalid UTF-8 (%zu bytes)", what,
			    strlen(s));
}

/* What a person reads on the box: controller/name for k8s, the name otherwise. */
static char *dot_display_name(const struct graph_workload *w)
{
	if (graph_workload_kind(w) == GRAPH_KIND_K8S && *graph_workload_controller(w))
		return util_asprintf("%s/%s", graph_workload_controller(w), graph_workload_name(w));
	return util_strdup(graph_workload_name(w));
}

static int dot_node(FILE *out, const struct graph_workload *w, const char *indent,
		    struct util_err *err)
{
	char *label = dot_display_name(w);
	int r;

	fputs(indent, out);
	r = dot_quote(out, graph_workload_id(w));
	if (r < 0) {
		r = dot_bad(err, "a workload id", graph_workload_id(w));
		goto out;
	}
	fputs(" [label=", out);
	r = dot_quote(out, label);
	if (r < 0) {
		r = dot_bad(err, "a workload name", label);
		goto out;
	}
	switch (graph_workload_kind(w)) {
	case GRAPH_KIND_EXTERNAL:
		fputs(", shape=ellipse", out);
		break;
	case GRAPH_KIND_NODE:
		fputs(", shape=hexagon", out);
		break;
	case GRAPH_KIND_UNKNOWN:
		fputs(", shape=ellipse, style=dashed", out);
		break;
	default:
		break;
	}
	fputs("];\n", out);
	r = 0;
out:
	free(label);
	return r;
}

/* The cluster a workload is drawn in, or NULL for the top level. */
static char *dot_cluster(const struct graph_workload *w, char **ret_label)
{
	const char *ns = graph_workload_namespace(w);

	switch (graph_workload_kind(w)) {
	case GRAPH_KIND_K8S:
		*ret_label = util_strdup(ns);
		return util_asprintf("cluster_k8s:%s", ns);
	case GRAPH_KIND_DOCKER:
		if (!*ns)
			return NULL;
		*ret_label = util_asprintf("compose: %s", ns);
		return util_asprintf("cluster_docker:%s", ns);
	default:
		return NULL;
	}
}

struct dot_item {
	const struct graph_workload *w;
	char *cluster; /* NULL: top level */
	char *label;
};

static int dot_item_cmp(const void *a, const void *b)
{
	const struct dot_item *ia = a, *ib = b;
	int c;

	/* clusters first, in name order; the top level last */
	if (!ia->cluster != !ib->cluster)
		return ia->cluster ? -1 : 1;
	if (ia->cluster) {
		c = strcmp(ia->cluster, ib->cluster);
		if (c)
			return c;
	}
	return strcmp(graph_workload_id(ia->w), graph_workload_id(ib->w));
}

static int dot_nodes(FILE *out, const struct graph *g, struct util_err *err)
{
	size_t n = graph_workload_count(g);
	struct dot_item *items = util_reallocarray(NULL, n, sizeof(*items));
	const char *open = NULL;
	int r = 0;

	for (size_t i = 0; i < n; i++) {
		items[i].w = graph_workload(g, i);
		items[i].label = NULL;
		items[i].cluster = dot_cluster(items[i].w, &items[i].label);
	}
	qsort(items, n, sizeof(*items), dot_item_cmp);

	for (size_t i = 0; i < n; i++) {
		struct dot_item *it = &items[i];

		if (open && (!it->cluster || strcmp(open, it->cluster) != 0)) {
			fputs("\t}\n", out);
			open = NULL;
		}
		if (it->cluster && !open) {
			fputs("\tsubgraph ", out);
			if (dot_quote(out, it->cluster) < 0) {
				r = dot_bad(err, "a namespace or project", it->cluster);
				goto out;
			}
			fputs(" {\n\t\tlabel=", out);
			if (dot_quote(out, it->label) < 0) {
				r = dot_bad(err, "a namespace or project", it->label);
				goto out;
			}
			fputs(";\n", out);
			open = it->cluster;
		}
		r = dot_node(out, it->w, open ? "\t\t" : "\t", err);
		if (r < 0)
			goto out;
	}
	if (open)
		fputs("\t}\n", out);
out:
	for (size_t i = 0; i < n; i++) {
		free(items[i].cluster);
		free(items[i].label);
	}
	free(items);
	return r;
}

static void dot_port_label(FILE *out, const struct graph_edge *e)
{
	const char *name = util_proto_name(graph_edge_proto(e));
	uint8_t proto = graph_edge_proto(e);

	if (name)
		fputs(name, out);
	else
		fprintf(out, "proto-%u", (unsigned)proto);
	/* ICMP echo has no port: the graph stores 0 */
	if (proto != IPPROTO_ICMP && proto != IPPROTO_ICMPV6)
		fprintf(out, "/%u", (unsigned)graph_edge_port(e));
}

/* One arrow per client -> server pair; the graph's order puts a pair's ports together, sorted. */
static void dot_edges(FILE *out, const struct graph *g)
{
	size_t n = graph_edge_count(g);

	for (size_t i = 0; i < n;) {
		const struct graph_edge *e = graph_edge(g, i);
		const struct graph_workload *client = graph_edge_client(e);
		const struct graph_workload *server = graph_edge_server(e);

		fputc('\t', out);
		(void)dot_quote(out, graph_workload_id(client)); /* checked with the nodes */
		fputs(" -> ", out);
		(void)dot_quote(out, graph_workload_id(server));
		fputs(" [label=\"", out);
		for (size_t j = i; i < n; i++) {
			e = graph_edge(g, i);
			if (graph_edge_client(e) != client || graph_edge_server(e) != server)
				break;
			if (i > j)
				fputs(", ", out);
			dot_port_label(out, e);
		}
		fputs("\"];\n", out);
	}
}

int emit_dot(FILE *out, const struct graph *g, const struct emit_options *opts,
	     struct util_err *err)
{
	int r;

	fputs("digraph flowlock {\n"
	      "\tgraph [rankdir=LR];\n"
	      "\tnode [shape=box];\n",
	      out);
	r = dot_nodes(out, g, err);
	if (r < 0)
		return r;
	dot_edges(out, g);
	fputs("}\n", out);
	if (fflush(out) != 0 || ferror(out))
		return util_err_set(err, EIO, "cannot write the Graphviz output: %s",
				    strerror(errno));
	return 0;
}
