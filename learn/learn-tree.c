/* SPDX-License-Identifier: Apache-2.0 */
/* learn-tree.c - libyaml's parser events built into the small document tree learn/ walks. */
#include "learn/learn.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

struct learn_tree_node *learn_tree_free(struct learn_tree_node *n)
{
	if (!n)
		return NULL;
	/* recursion is bounded: the tree is never deeper than the caller's max_depth */
	for (size_t i = 0; i < n->n_kids; i++)
		learn_tree_free(n->kids[i]);
	free(n->kids);
	free(n->str);
	free(n);
	return NULL;
}

bool learn_tree_is_null(const struct learn_tree_node *n)
{
	return n->type == LEARN_TREE_SCALAR && n->plain &&
	       (!*n->str || strcmp(n->str, "~") == 0 || strcmp(n->str, "null") == 0 ||
		strcmp(n->str, "Null") == 0 || strcmp(n->str, "NULL") == 0);
}

const struct learn_tree_node *learn_tree_get(const struct learn_tree_node *map, const char *key)
{
	if (!map || map->type != LEARN_TREE_MAP)
		return NULL;
	for (size_t i = 0; i + 1 < map->n_kids; i += 2) {
		const struct learn_tree_node *k = map->kids[i];

		if (k->type == LEARN_TREE_SCALAR && strcmp(k->str, key) == 0)
			return map->kids[i + 1];
	}
	return NULL;
}

/* ---- Reading a FILE ----------------------------------------------------------------------- */

struct tree_reader {
	FILE *f;
	size_t max, total;
	bool too_big;
	int error;
};

/* libyaml's input callback, which also enforces the size limit on whatever the file is. */
static int tree_read(void *data, unsigned char *buf, size_t size, size_t *size_read)
{
	struct tree_reader *rd = data;
	size_t n = fread(buf, 1, size, rd->f);

	if (n == 0 && ferror(rd->f)) {
		rd->error = errno ? errno : EIO;
		return 0;
	}
	rd->total += n;
	if (rd->max && rd->total > rd->max) {
		rd->too_big = true;
		return 0;
	}
	*size_read = n;
	return 1;
}

/* ---- Events into the tree ----------------------------------------------------------------- */

struct tree_builder {
	const struct learn_tree_opts *opts;
	struct learn_tree_node **stack; /* opts->max_depth entries */
	size_t depth, n_values, n_docs;
	struct learn_tree_node *root;
};

static const char *tree_event_anchor(const yaml_event_t *ev)
{
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		return (const char *)ev->data.scalar.anchor;
	case YAML_SEQUENCE_START_EVENT:
		return (const char *)ev->data.sequence_start.anchor;
	case YAML_MAPPING_START_EVENT:
		return (const char *)ev->data.mapping_start.anchor;
	default:
		return NULL;
	}
}

static int tree_fault(const struct tree_builder *b, enum learn_tree_fault_kind kind,
		      const yaml_event_t *ev)
{
	struct learn_tree_fault f = {.kind = kind, .line = 1, .col = 1};

	if (ev) {
		f.line = ev->start_mark.line + 1;
		f.col = ev->start_mark.column + 1;
	}
	return b->opts->fault(b->opts->userdata, &f);
}

static void tree_reset(struct tree_builder *b)
{
	/* the root owns everything on the stack */
	b->root = learn_tree_free(b->root);
	b->depth = 0;
}

static void tree_attach(struct tree_builder *b, struct learn_tree_node *n)
{
	struct learn_tree_node *parent;

	if (b->depth == 0) {
		learn_tree_free(b->root);
		b->root = n;
		return;
	}
	parent = b->stack[b->depth - 1];
	if (parent->n_kids == parent->cap_kids) {
		parent->cap_kids = parent->cap_kids ? parent->cap_kids * 2 : 8;
		parent->kids =
			util_reallocarray(parent->kids, parent->cap_kids, sizeof(*parent->kids));
	}
	parent->kids[parent->n_kids++] = n;
}

/*
 * One event into the tree under construction. The checks keep the order both callers had, so
 * input with several faults reports the same one as before.
 */
static int tree_event(struct tree_builder *b, const yaml_event_t *ev)
{
	const struct learn_tree_opts *opts = b->opts;
	struct learn_tree_node *n;
	int r;

	if (tree_event_anchor(ev))
		return tree_fault(b, LEARN_TREE_ANCHOR, ev);
	switch (ev->type) {
	case YAML_ALIAS_EVENT:
		return tree_fault(b, LEARN_TREE_ALIAS, ev);
	case YAML_DOCUMENT_START_EVENT:
		if (opts->one_document && ++b->n_docs > 1)
			return tree_fault(b, LEARN_TREE_DOCUMENTS, ev);
		tree_reset(b);
		return 0;
	case YAML_DOCUMENT_END_EVENT:
		if (!opts->document)
			return 0;
		r = opts->document(opts->userdata, b->root);
		tree_reset(b);
		return r;
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		if (b->depth > 0)
			b->depth--;
		return 0;
	case YAML_SCALAR_EVENT:
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		break;
	default:
		return 0;
	}
	if (opts->max_values && ++b->n_values > opts->max_values)
		return tree_fault(b, LEARN_TREE_VALUES, ev);
	if (ev->type != YAML_SCALAR_EVENT && b->depth >= opts->max_depth)
		return tree_fault(b, LEARN_TREE_DEPTH, ev);
	if (ev->type == YAML_SCALAR_EVENT &&
	    memchr(ev->data.scalar.value, '\0', ev->data.scalar.length))
		return tree_fault(b, LEARN_TREE_NUL, ev);
	n = util_zalloc(sizeof(*n));
	n->line = ev->start_mark.line + 1;
	n->col = ev->start_mark.column + 1;
	if (ev->type == YAML_SCALAR_EVENT) {
		n->type = LEARN_TREE_SCALAR;
		n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
		n->str = util_strndup((const char *)ev->data.scalar.value, ev->data.scalar.length);
	} else {
		n->type = ev->type == YAML_SEQUENCE_START_EVENT ? LEARN_TREE_SEQ : LEARN_TREE_MAP;
	}
	tree_attach(b, n);
	if (n->type != LEARN_TREE_SCALAR)
		b->stack[b->depth++] = n;
	return 0;
}

/* The event loop over a parser whose input is set; rd is the FILE reader, or NULL. */
static int tree_parse(yaml_parser_t *parser, const struct tree_reader *rd,
		      const struct learn_tree_opts *opts, struct learn_tree_node **ret_root)
{
	struct tree_builder b = {.opts = opts};
	struct learn_tree_fault f = {0};
	yaml_event_t ev;
	bool done = false;
	int r = 0;

	b.stack = util_reallocarray(NULL, opts->max_depth ? opts->max_depth : 1, sizeof(*b.stack));
	while (!done) {
		if (!yaml_parser_parse(parser, &ev)) {
			if (rd && rd->too_big) {
				f.kind = LEARN_TREE_TOO_BIG;
			} else if (rd && rd->error) {
				f.kind = LEARN_TREE_READ;
				f.error = rd->error;
			} else {
				f.kind = LEARN_TREE_SYNTAX;
				f.line = parser->problem_mark.line + 1;
				f.col = parser->problem_mark.column + 1;
				f.problem = parser->problem;
				f.context = parser->context;
			}
			r = opts->fault(opts->userdata, &f);
			break;
		}
		done = ev.type == YAML_STREAM_END_EVENT;
		r = tree_event(&b, &ev);
		yaml_event_delete(&ev);
		if (r < 0)
			break;
	}
	if (r == 0 && !opts->document) {
		if (b.root) {
			*ret_root = b.root;
			b.root = NULL;
		} else {
			r = tree_fault(&b, LEARN_TREE_EMPTY, NULL);
		}
	}
	tree_reset(&b);
	free(b.stack);
	return r;
}

int learn_tree_parse_file(FILE *f, const struct learn_tree_opts *opts,
			  struct learn_tree_node **ret_root)
{
	struct tree_reader rd = {.f = f, .max = opts->max_input};
	struct learn_tree_fault fault = {.kind = LEARN_TREE_NOMEM, .line = 1, .col = 1};
	yaml_parser_t parser;
	int r;

	if (!yaml_parser_initialize(&parser))
		return opts->fault(opts->userdata, &fault);
	yaml_parser_set_input(&parser, tree_read, &rd);
	r = tree_parse(&parser, &rd, opts, ret_root);
	yaml_parser_delete(&parser);
	return r;
}

int learn_tree_parse_buffer(const char *buf, size_t len, const struct learn_tree_opts *opts,
			    struct learn_tree_node **ret_root)
{
	struct learn_tree_fault fault = {.kind = LEARN_TREE_NOMEM, .line = 1, .col = 1};
	yaml_parser_t parser;
	int r;

	if (!yaml_parser_initialize(&parser))
		return opts->fault(opts->userdata, &fault);
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	r = tree_parse(&parser, NULL, opts, ret_root);
	yaml_parser_delete(&parser);
	return r;
}
