/* SPDX-License-Identifier: Apache-2.0 */
/* graph-workload.c - a workload: its identity, selector labels and (for peers) its addresses. */
#include "graph/graph-private.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct learn_label {
	char *key;
	char *value;
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

static char *workload_make_id(enum graph_kind kind, const char *ns, const char *controller,
			      const char *name)
{
	char *lower, *id;

	switch (kind) {
	case GRAPH_KIND_K8S:
		lower = util_strdup(controller);
		for (char *c = lower; *c; c++)
			if (*c >= 'A' && *c <= 'Z')
				*c = (char)(*c - 'A' + 'a');
		id = util_asprintf("k8s:%s/%s/%s", ns, lower, name);
		free(lower);
		return id;
	case GRAPH_KIND_DOCKER:
		if (*ns)
			return util_asprintf("docker:%s/%s", ns, name);
		return util_asprintf("docker:%s", name);
	case GRAPH_KIND_NODE:
		return util_asprintf("node:%s", name);
	case GRAPH_KIND_UNKNOWN:
		return util_asprintf("unknown:%s", name);
	case GRAPH_KIND_EXTERNAL:
	default:
		return util_asprintf("external:%s", name);
	}
}

struct graph_workload *graph_workload_new(enum graph_kind kind, const char *namespace_,
					  const char *controller, const char *name)
{
	struct graph_workload *w = util_zalloc(sizeof(*w));

	w->refcount = 1;
	w->kind = kind;
	w->namespace_ = util_strdup(namespace_ ? namespace_ : "");
	w->controller = util_strdup(controller ? controller : "");
	w->name = util_strdup(name ? name : "");
	w->id = workload_make_id(kind, w->namespace_, w->controller, w->name);
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
		free(w->labels[i].key);
		free(w->labels[i].value);
	}
	free(w->labels);
	free(w->addresses);
	free(w->namespace_);
	free(w->controller);
	free(w->name);
	free(w->id);
	free(w);
	return NULL;
}

void graph_workload_set_label(struct graph_workload *w, const char *key, const char *value)
{
	size_t i;

	for (i = 0; i < w->n_labels; i++) {
		int c = strcmp(w->labels[i].key, key);

		if (c == 0) {
			free(w->labels[i].value);
			w->labels[i].value = util_strdup(value);
			return;
		}
		if (c > 0)
			break;
	}
	w->labels = util_reallocarray(w->labels, w->n_labels + 1, sizeof(*w->labels));
	memmove(&w->labels[i + 1], &w->labels[i], (w->n_labels - i) * sizeof(*w->labels));
	w->labels[i] = (struct learn_label){util_strdup(key), util_strdup(value)};
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
