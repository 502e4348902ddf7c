/* SPDX-License-Identifier: Apache-2.0 */
/* learn-workload.c - a workload: its identity, selector labels and (for peers) its addresses. */
#include "learn/learn.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct learn_label {
	char *key;
	char *value;
};

struct learn_workload {
	int refcount;
	enum learn_kind kind;
	char *namespace_;
	char *controller;
	char *name;
	char *id;
	struct learn_label *labels; /* sorted by key */
	size_t n_labels;
	char **addresses; /* sorted, unique */
	size_t n_addresses;
};

static const char *const learn_kind_names[] = {
	[LEARN_KIND_K8S] = "k8s",	  [LEARN_KIND_DOCKER] = "docker",
	[LEARN_KIND_NODE] = "node",	  [LEARN_KIND_EXTERNAL] = "external",
	[LEARN_KIND_UNKNOWN] = "unknown",
};

const char *learn_kind_name(enum learn_kind kind)
{
	if ((size_t)kind >= UTIL_ARRAY_SIZE(learn_kind_names))
		return "invalid";
	return learn_kind_names[kind];
}

int learn_kind_from_name(const char *name, enum learn_kind *ret)
{
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(learn_kind_names); i++) {
		if (strcmp(learn_kind_names[i], name) == 0) {
			*ret = (enum learn_kind)i;
			return 0;
		}
	}
	return -EINVAL;
}

static char *workload_make_id(enum learn_kind kind, const char *ns, const char *controller,
			      const char *name)
{
	char *lower, *id;

	switch (kind) {
	case LEARN_KIND_K8S:
		lower = util_strdup(controller);
		for (char *c = lower; *c; c++)
			if (*c >= 'A' && *c <= 'Z')
				*c = (char)(*c - 'A' + 'a');
		id = util_asprintf("k8s:%s/%s/%s", ns, lower, name);
		free(lower);
		return id;
	case LEARN_KIND_DOCKER:
		if (*ns)
			return util_asprintf("docker:%s/%s", ns, name);
		return util_asprintf("docker:%s", name);
	case LEARN_KIND_NODE:
		return util_asprintf("node:%s", name);
	case LEARN_KIND_UNKNOWN:
		return util_asprintf("unknown:%s", name);
	case LEARN_KIND_EXTERNAL:
	default:
		return util_asprintf("external:%s", name);
	}
}

struct learn_workload *learn_workload_new(enum learn_kind kind, const char *namespace_,
					  const char *controller, const char *name)
{
	struct learn_workload *w = util_zalloc(sizeof(*w));

	w->refcount = 1;
	w->kind = kind;
	w->namespace_ = util_strdup(namespace_ ? namespace_ : "");
	w->controller = util_strdup(controller ? controller : "");
	w->name = util_strdup(name ? name : "");
	w->id = workload_make_id(kind, w->namespace_, w->controller, w->name);
	return w;
}

struct learn_workload *learn_workload_ref(struct learn_workload *w)
{
	if (w)
		w->refcount++;
	return w;
}

struct learn_workload *learn_workload_unref(struct learn_workload *w)
{
	if (!w || --w->refcount > 0)
		return NULL;
	for (size_t i = 0; i < w->n_labels; i++) {
		free(w->labels[i].key);
		free(w->labels[i].value);
	}
	for (size_t i = 0; i < w->n_addresses; i++)
		free(w->addresses[i]);
	free(w->labels);
	free(w->addresses);
	free(w->namespace_);
	free(w->controller);
	free(w->name);
	free(w->id);
	free(w);
	return NULL;
}

void learn_workload_set_label(struct learn_workload *w, const char *key, const char *value)
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

void learn_workload_add_address(struct learn_workload *w, const char *cidr)
{
	size_t i;

	for (i = 0; i < w->n_addresses; i++) {
		int c = strcmp(w->addresses[i], cidr);

		if (c == 0)
			return;
		if (c > 0)
			break;
	}
	w->addresses = util_reallocarray(w->addresses, w->n_addresses + 1, sizeof(*w->addresses));
	memmove(&w->addresses[i + 1], &w->addresses[i], (w->n_addresses - i) * sizeof(char *));
	w->addresses[i] = util_strdup(cidr);
	w->n_addresses++;
}

const char *learn_workload_id(const struct learn_workload *w)
{
	return w->id;
}

enum learn_kind learn_workload_kind(const struct learn_workload *w)
{
	return w->kind;
}

const char *learn_workload_namespace(const struct learn_workload *w)
{
	return w->namespace_;
}

const char *learn_workload_controller(const struct learn_workload *w)
{
	return w->controller;
}

const char *learn_workload_name(const struct learn_workload *w)
{
	return w->name;
}

size_t learn_workload_label_count(const struct learn_workload *w)
{
	return w->n_labels;
}

const char *learn_workload_label_key(const struct learn_workload *w, size_t i)
{
	return i < w->n_labels ? w->labels[i].key : NULL;
}

const char *learn_workload_label_value(const struct learn_workload *w, size_t i)
{
	return i < w->n_labels ? w->labels[i].value : NULL;
}

size_t learn_workload_address_count(const struct learn_workload *w)
{
	return w->n_addresses;
}

const char *learn_workload_address(const struct learn_workload *w, size_t i)
{
	return i < w->n_addresses ? w->addresses[i] : NULL;
}
