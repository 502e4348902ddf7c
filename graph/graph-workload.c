/* SPDX-License-Identifier: Apache-2.0 */
/* graph-workload.c - a workload: its identity, selector labels and (for peers) its addresses. */
#include "graph/graph-private.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct learn_label {
	const char *key; /* both util_intern()'s: workloads of one app share them */
	const char *value;
};

/* An address is kept parsed; its text is what the prefix formats to, kept for order and output. */
struct graph_address {
	struct util_prefix prefix;
	char text[UTIL_PREFIX_LEN];
};

struct graph_workload {
	int refcount;
	enum graph_kind kind;
	char *namespace_;
	char *controller;
	char *name;
	char *id;
	struct learn_label *labels; /* sorted by key */
	size_t n_labels;
	struct graph_address *addresses; /* sorted by text, unique */
	size_t n_addresses;
	struct util_prefix name_prefix; /* an external's name, parsed */
	bool name_is_prefix;
};

static const char *const graph_kind_names[] = {
	[GRAPH_KIND_K8S] = "k8s",	  [GRAPH_KIND_DOCKER] = "docker",
	[GRAPH_KIND_NODE] = "node",	  [GRAPH_KIND_EXTERNAL] = "external",
	[GRAPH_KIND_UNKNOWN] = "unknown",
};

const char *graph_kind_name(enum graph_kind kind)
{
	if ((size_t)kind >= UTIL_ARRAY_SIZE(graph_kind_names))
		return "invalid";
	return graph_kind_names[kind];
}

int graph_kind_from_name(const char *name, enum graph_kind *ret)
{
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(graph_kind_names); i++) {
		if (strcmp(graph_kind_names[i], name) == 0) {
			*ret = (enum graph_kind)i;
			return 0;
		}
	}
	return -EINVAL;
}

size_t graph_workload_format_id(enum graph_kind kind, const char *ns, const char *controller,
				const char *name, char *buf, size_t size)
{
	const char *prefix = graph_kind_name(kind);
	size_t n = 0;

	/* as snprintf(): the length the id has, what fits of it written and ended */
#define ID_PUT(s)                                                                                  \
	do {                                                                                       \
		size_t len_ = strlen(s);                                                           \
		if (n < size)                                                                      \
			memcpy(buf + n, s, n + len_ < size ? len_ : size - n);                     \
		n += len_;                                                                         \
	} while (0)
	ns = ns ? ns : "";
	controller = controller ? controller : "";
	name = name ? name : "";
	if (kind > GRAPH_KIND_UNKNOWN)
		prefix = graph_kind_name(GRAPH_KIND_EXTERNAL);
	ID_PUT(prefix);
	ID_PUT(":");
	if (kind == GRAPH_KIND_K8S || (kind == GRAPH_KIND_DOCKER && *ns)) {
		ID_PUT(ns);
		ID_PUT("/");
	}
	if (kind == GRAPH_KIND_K8S) {
		size_t at = n;

		ID_PUT(controller);
		for (size_t i = at; i < n && i < size; i++)
			if (buf[i] >= 'A' && buf[i] <= 'Z')
				buf[i] = (char)(buf[i] - 'A' + 'a');
		ID_PUT("/");
	}
	ID_PUT(name);
#undef ID_PUT
	if (size)
		buf[n < size ? n : size - 1] = '\0';
	return n;
}

struct graph_workload *graph_workload_new(enum graph_kind kind, const char *namespace_,
					  const char *controller, const char *name)
{
	size_t l_ns, l_ctl, l_name, l_id;
	struct graph_workload *w;
	char *text;

	namespace_ = namespace_ ? namespace_ : "";
	controller = controller ? controller : "";
	name = name ? name : "";
	l_ns = strlen(namespace_) + 1;
	l_ctl = strlen(controller) + 1;
	l_name = strlen(name) + 1;
	l_id = graph_workload_format_id(kind, namespace_, controller, name, NULL, 0) + 1;
	/* one block: the workload, then its strings; a large inventory holds thousands */
	w = util_zalloc(sizeof(*w) + l_ns + l_ctl + l_name + l_id);
	text = (char *)(w + 1);
	w->refcount = 1;
	w->kind = kind;
	w->namespace_ = memcpy(text, namespace_, l_ns);
	w->controller = memcpy(text + l_ns, controller, l_ctl);
	w->name = memcpy(text + l_ns + l_ctl, name, l_name);
	w->id = text + l_ns + l_ctl + l_name;
	(void)graph_workload_format_id(kind, namespace_, controller, name, w->id, l_id);
	if (kind == GRAPH_KIND_EXTERNAL)
		w->name_is_prefix =
			util_prefix_parse(w->name, UTIL_PREFIX_HOST, &w->name_prefix) == 0;
	return w;
}

struct graph_workload *graph_workload_ref(struct graph_workload *w)
{
	if (w)
		w->refcount++;
	return w;
}

struct graph_workload *graph_workload_unref(struct graph_workload *w)
{
	if (!w || --w->refcount > 0)
		return NULL;
	for (size_t i = 0; i < w->n_labels; i++) {
		util_intern_drop(w->labels[i].key);
		util_intern_drop(w->labels[i].value);
	}
	free(w->labels);
	free(w->addresses);
	free(w); /* and its strings, in the same block */
	return NULL;
}

void graph_workload_set_label(struct graph_workload *w, const char *key, const char *value)
{
	size_t i;

	for (i = 0; i < w->n_labels; i++) {
		int c = strcmp(w->labels[i].key, key);

		if (c == 0) {
			const char *old = w->labels[i].value;

			/* taken before the old one is given back: value may be that very text */
			w->labels[i].value = util_intern(value);
			util_intern_drop(old);
			return;
		}
		if (c > 0)
			break;
	}
	w->labels = util_reallocarray(w->labels, w->n_labels + 1, sizeof(*w->labels));
	memmove(&w->labels[i + 1], &w->labels[i], (w->n_labels - i) * sizeof(*w->labels));
	w->labels[i] = (struct learn_label){util_intern(key), util_intern(value)};
	w->n_labels++;
}

void graph_workload_add_address(struct graph_workload *w, const struct util_prefix *p)
{
	char text[UTIL_PREFIX_LEN];
	size_t i;

	util_prefix_format(p, text);
	for (i = 0; i < w->n_addresses; i++) {
		int c = strcmp(w->addresses[i].text, text);

		if (c == 0)
			return;
		if (c > 0)
			break;
	}
	w->addresses = util_reallocarray(w->addresses, w->n_addresses + 1, sizeof(*w->addresses));
	memmove(&w->addresses[i + 1], &w->addresses[i],
		(w->n_addresses - i) * sizeof(*w->addresses));
	w->addresses[i].prefix = *p;
	memcpy(w->addresses[i].text, text, sizeof(text));
	w->n_addresses++;
}

const char *graph_workload_id(const struct graph_workload *w)
{
	return w->id;
}

enum graph_kind graph_workload_kind(const struct graph_workload *w)
{
	return w->kind;
}

const char *graph_workload_namespace(const struct graph_workload *w)
{
	return w->namespace_;
}

const char *graph_workload_controller(const struct graph_workload *w)
{
	return w->controller;
}

const char *graph_workload_name(const struct graph_workload *w)
{
	return w->name;
}

size_t graph_workload_label_count(const struct graph_workload *w)
{
	return w->n_labels;
}

const char *graph_workload_label_key(const struct graph_workload *w, size_t i)
{
	return i < w->n_labels ? w->labels[i].key : NULL;
}

const char *graph_workload_label_value(const struct graph_workload *w, size_t i)
{
	return i < w->n_labels ? w->labels[i].value : NULL;
}

size_t graph_workload_address_count(const struct graph_workload *w)
{
	return w->n_addresses;
}

const struct util_prefix *graph_workload_address_prefix(const struct graph_workload *w, size_t i)
{
	return i < w->n_addresses ? &w->addresses[i].prefix : NULL;
}

const char *graph_workload_address(const struct graph_workload *w, size_t i)
{
	return i < w->n_addresses ? w->addresses[i].text : NULL;
}

size_t graph_workload_prefix_count(const struct graph_workload *w)
{
	if (w->n_addresses == 0 && w->kind == GRAPH_KIND_EXTERNAL)
		return w->name_is_prefix ? 1 : 0;
	return w->n_addresses;
}

const struct util_prefix *graph_workload_prefix(const struct graph_workload *w, size_t i)
{
	if (i >= graph_workload_prefix_count(w))
		return NULL;
	return w->n_addresses ? &w->addresses[i].prefix : &w->name_prefix;
}
