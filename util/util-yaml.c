/* SPDX-License-Identifier: Apache-2.0 */
/* util-yaml.c - libyaml's events as a stream, the document tree built from them, the emitter. */
#include "util/util-yaml.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <yaml.h>

struct util_yaml_node *util_yaml_free(struct util_yaml_node *n)
{
	/* a pooled node and all below it go when the pool is emptied */
	if (!n || n->pooled)
		return NULL;
	/* recursion is bounded: the tree is never deeper than the caller's max_depth */
	for (size_t i = 0; i < n->n_kids; i++)
		util_yaml_free(n->kids[i]);
	free(n->kids);
	free(n); /* a scalar's text is in the same block */
	return NULL;
}

bool util_yaml_is_null(const struct util_yaml_node *n)
{
	const char *s = n->str;

	if (n->type != UTIL_YAML_SCALAR || !n->plain)
		return false;
	/* by the first character: most scalars are asked, few are null */
	switch (s[0]) {
	case '\0':
		return true;
	case '~':
		return s[1] == '\0';
	case 'n':
		return strcmp(s, "null") == 0;
	case 'N':
		return strcmp(s, "Null") == 0 || strcmp(s, "NULL") == 0;
	default:
		return false;
	}
}

/*
 * Whether two keys are the same: the first characters first, since most keys asked about differ
 * there and strcmp() was a tenth of reading an inventory.
 */
static inline bool key_eq(const char *a, const char *b)
{
	return a[0] == b[0] && strcmp(a, b) == 0;
}

const struct util_yaml_node *util_yaml_get(const struct util_yaml_node *map, const char *key)
{
	if (!map || map->type != UTIL_YAML_MAP)
		return NULL;
	for (size_t i = 0; i + 1 < map->n_kids; i += 2) {
		const struct util_yaml_node *k = map->kids[i];

		if (k->type == UTIL_YAML_SCALAR && key_eq(k->str, key))
			return map->kids[i + 1];
	}
	return NULL;
}

/* ---- The event stream --------------------------------------------------------------------- */

struct util_yaml_stream {
	yaml_parser_t parser;
	yaml_event_t event; /* the current one, while have_event */
	bool have_event, ended;
	const struct util_yaml_stream_opts *opts;
	FILE *f;	  /* NULL: reading a buffer */
	size_t total;	  /* bytes read from f */
	size_t event_end; /* where the last event ended (a character index) */
	bool too_big, too_long;
	int error;
};

/* libyaml's input callback, which also enforces the limits on whatever the file is. */
static int stream_read(void *data, unsigned char *buf, size_t size, size_t *size_read)
{
	struct util_yaml_stream *s = data;
	size_t n;

	/* A character index never exceeds the bytes read, so this over-estimates, never under. */
	if (s->opts->max_lookahead && s->total > s->event_end + s->opts->max_lookahead) {
		s->too_long = true;
		return 0;
	}
	n = fread(buf, 1, size, s->f);
	if (n == 0 && ferror(s->f)) {
		s->error = errno ? errno : EIO;
		return 0;
	}
	s->total += n;
	if (s->opts->max_input && s->total > s->opts->max_input) {
		s->too_big = true;
		return 0;
	}
	*size_read = n;
	return 1;
}

int util_yaml_stream_open(FILE *f, const char *buf, size_t len,
			  const struct util_yaml_stream_opts *opts, struct util_yaml_stream **ret)
{
	struct util_yaml_stream *s = util_zalloc(sizeof(*s));

	if (!yaml_parser_initialize(&s->parser)) {
		free(s);
		return opts->fault(opts->userdata, &(struct util_yaml_fault){
							   .kind = UTIL_YAML_NOMEM,
							   .line = 1,
							   .col = 1,
						   });
	}
	s->opts = opts;
	s->f = f;
	if (f)
		yaml_parser_set_input(&s->parser, stream_read, s);
	else
		yaml_parser_set_input_string(&s->parser, (const unsigned char *)buf, len);
	*ret = s;
	return 0;
}

struct util_yaml_stream *util_yaml_stream_close(struct util_yaml_stream *s)
{
	if (!s)
		return NULL;
	if (s->have_event)
		yaml_event_delete(&s->event);
	yaml_parser_delete(&s->parser);
	free(s);
	return NULL;
}

static int stream_parse_fault(struct util_yaml_stream *s)
{
	const yaml_parser_t *p = &s->parser;
	struct util_yaml_fault f = {.kind = UTIL_YAML_SYNTAX};

	if (s->too_big) {
		f.kind = UTIL_YAML_TOO_BIG;
	} else if (s->too_long) {
		f.kind = UTIL_YAML_TOO_LONG;
		f.line = p->mark.line + 1;
		f.col = p->mark.column + 1;
	} else if (s->error) {
		f.kind = UTIL_YAML_READ;
		f.error = s->error;
	} else {
		f.line = p->problem_mark.line + 1;
		f.col = p->problem_mark.column + 1;
		f.problem = p->problem;
		f.context = p->context;
		f.context_line = p->context_mark.line + 1;
		f.context_col = p->context_mark.column + 1;
		f.nomem = p->error == YAML_MEMORY_ERROR;
		f.text = p->error == YAML_READER_ERROR;
		f.offset = p->problem_offset;
	}
	return s->opts->fault(s->opts->userdata, &f);
}

static const enum util_yaml_event_type stream_types[] = {
	[YAML_STREAM_START_EVENT] = UTIL_YAML_EV_STREAM_START,
	[YAML_STREAM_END_EVENT] = UTIL_YAML_EV_STREAM_END,
	[YAML_DOCUMENT_START_EVENT] = UTIL_YAML_EV_DOC_START,
	[YAML_DOCUMENT_END_EVENT] = UTIL_YAML_EV_DOC_END,
	[YAML_SCALAR_EVENT] = UTIL_YAML_EV_SCALAR,
	[YAML_SEQUENCE_START_EVENT] = UTIL_YAML_EV_SEQ_START,
	[YAML_SEQUENCE_END_EVENT] = UTIL_YAML_EV_SEQ_END,
	[YAML_MAPPING_START_EVENT] = UTIL_YAML_EV_MAP_START,
	[YAML_MAPPING_END_EVENT] = UTIL_YAML_EV_MAP_END,
};

static int stream_refuse(struct util_yaml_stream *s, enum util_yaml_fault_kind kind)
{
	const yaml_mark_t *m = &s->event.start_mark;

	return s->opts->fault(s->opts->userdata, &(struct util_yaml_fault){
							 .kind = kind,
							 .line = m->line + 1,
							 .col = m->column + 1,
						 });
}

/* util_yaml_stream_next(), inlined into the tree's loop, which reads most of what is read. */
static inline __attribute__((always_inline)) int stream_next(struct util_yaml_stream *s,
							     struct util_yaml_event *ev)
{
	const yaml_event_t *e = &s->event;
	const yaml_char_t *tag = NULL;

	if (s->have_event) {
		yaml_event_delete(&s->event);
		s->have_event = false;
	}
	if (s->ended)
		return -EINVAL;
	if (!yaml_parser_parse(&s->parser, &s->event))
		return stream_parse_fault(s);
	s->have_event = true;
	s->event_end = e->end_mark.index;
	ev->type = stream_types[e->type];
	ev->start.line = e->start_mark.line + 1;
	ev->start.col = e->start_mark.column + 1;
	ev->str = NULL;
	ev->len = 0;
	ev->plain = false;
	ev->utf8 = false;
	switch (e->type) {
	case YAML_SCALAR_EVENT:
		if (e->data.scalar.anchor)
			return stream_refuse(s, UTIL_YAML_ANCHOR);
		tag = e->data.scalar.tag;
		ev->str = (const char *)e->data.scalar.value;
		ev->len = e->data.scalar.length;
		ev->plain = e->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
		break;
	case YAML_SEQUENCE_START_EVENT:
		if (e->data.sequence_start.anchor)
			return stream_refuse(s, UTIL_YAML_ANCHOR);
		tag = e->data.sequence_start.tag;
		break;
	case YAML_MAPPING_START_EVENT:
		if (e->data.mapping_start.anchor)
			return stream_refuse(s, UTIL_YAML_ANCHOR);
		tag = e->data.mapping_start.tag;
		break;
	case YAML_ALIAS_EVENT:
		return stream_refuse(s, UTIL_YAML_ALIAS);
	case YAML_STREAM_START_EVENT:
		ev->utf8 = e->data.stream_start.encoding == YAML_UTF8_ENCODING;
		break;
	case YAML_STREAM_END_EVENT:
		s->ended = true;
		break;
	default:
		break;
	}
	ev->tagged = tag != NULL;
	return 0;
}

int util_yaml_stream_next(struct util_yaml_stream *s, struct util_yaml_event *ev)
{
	return stream_next(s, ev);
}

/* ---- Events into the tree ----------------------------------------------------------------- */

struct tree_builder {
	const struct util_yaml_opts *opts;
	struct util_yaml_node **stack; /* opts->max_depth entries */
	size_t depth, n_values, n_docs;
	struct util_yaml_node *root;
	struct util_yaml_node *items; /* the root's "items" sequence, once begun */
	bool skip_next;		      /* the next value belongs to a skipped key */
	size_t skip_depth;	      /* collections open inside a skipped value */
	struct pool_block *pool;      /* the nodes of the item being read, when items are taken */
};

/*
 * An inventory is mostly items, each read, handed over and freed at once: their nodes, a few
 * hundred each, come from a pool emptied after each, not from malloc() one by one. A pooled
 * node's kids are pooled too. An item the caller keeps is copied out of the pool first, so no
 * pooled node outlives the parse.
 */
#define POOL_BLOCK (64 * 1024)

struct pool_block {
	struct pool_block *next; /* older blocks */
	size_t size, used;
	max_align_t data[];
};

static void *pool_alloc(struct tree_builder *b, size_t size)
{
	struct pool_block *p = b->pool;
	void *r;

	size = (size + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
	if (!p || p->size - p->used < size) {
		size_t block = size > POOL_BLOCK ? size : POOL_BLOCK;

		p = util_reallocarray(NULL, 1, sizeof(*p) + block);
		*p = (struct pool_block){.next = b->pool, .size = block};
		b->pool = p;
	}
	r = (char *)p->data + p->used;
	p->used += size;
	return r;
}

/* Empties the pool; keeps one block of the usual size for the next item. */
static void pool_empty(struct tree_builder *b, bool keep)
{
	struct pool_block *p = b->pool, *next;

	b->pool = NULL;
	for (; p; p = next) {
		next = p->next;
		if (keep && !b->pool && p->size == POOL_BLOCK) {
			p->used = 0;
			p->next = NULL;
			b->pool = p;
		} else {
			free(p);
		}
	}
}

/* A copy of a pooled item outside the pool, for a caller that keeps it in the tree. */
static struct util_yaml_node *tree_unpool(const struct util_yaml_node *n)
{
	size_t text = n->type == UTIL_YAML_SCALAR ? strlen(n->str) + 1 : 0;
	struct util_yaml_node *c = util_reallocarray(NULL, 1, sizeof(*c) + text);

	*c = *n;
	c->pooled = false;
	if (text) {
		c->str = (char *)(c + 1);
		memcpy(c->str, n->str, text);
	}
	c->kids = n->n_kids ? util_reallocarray(NULL, n->n_kids, sizeof(*c->kids)) : NULL;
	c->cap_kids = n->n_kids;
	/* recursion is bounded: the tree is never deeper than the caller's max_depth */
	for (size_t i = 0; i < n->n_kids; i++)
		c->kids[i] = tree_unpool(n->kids[i]);
	return c;
}

static int tree_fault(const struct tree_builder *b, enum util_yaml_fault_kind kind,
		      const struct util_yaml_event *ev)
{
	struct util_yaml_fault f = {.kind = kind, .line = 1, .col = 1};

	if (ev) {
		f.line = ev->start.line;
		f.col = ev->start.col;
	}
	return b->opts->fault(b->opts->userdata, &f);
}

static int tree_key_cmp(const void *a, const void *b)
{
	const struct util_yaml_node *const *x = a, *const *y = b;

	return strcmp((*x)->str, (*y)->str);
}

/*
 * A key twice in one mapping is refused, as the Kubernetes API server's strict decoding does:
 * libyaml passes both, and whichever a reader took, the other would be ignored unseen (a
 * second podSelector, say). Small mappings are compared pairwise, large ones sorted.
 */
static int tree_check_keys(const struct tree_builder *b, const struct util_yaml_node *map)
{
	const struct util_yaml_node *dup = NULL, **keys;
	size_t n = 0;

	if (map->n_kids <= 32) {
		for (size_t i = 0; i + 1 < map->n_kids && !dup; i += 2)
			for (size_t j = i + 2; j + 1 < map->n_kids && !dup; j += 2)
				if (map->kids[i]->type == UTIL_YAML_SCALAR &&
				    map->kids[j]->type == UTIL_YAML_SCALAR &&
				    key_eq(map->kids[i]->str, map->kids[j]->str))
					dup = map->kids[j];
	} else {
		keys = util_reallocarray(NULL, map->n_kids / 2, sizeof(*keys));
		for (size_t i = 0; i + 1 < map->n_kids; i += 2)
			if (map->kids[i]->type == UTIL_YAML_SCALAR)
				keys[n++] = map->kids[i];
		qsort(keys, n, sizeof(*keys), tree_key_cmp);
		for (size_t i = 1; i < n && !dup; i++)
			if (strcmp(keys[i - 1]->str, keys[i]->str) == 0)
				dup = keys[i]->line > keys[i - 1]->line ||
						      (keys[i]->line == keys[i - 1]->line &&
						       keys[i]->col > keys[i - 1]->col)
					      ? keys[i]
					      : keys[i - 1];
		free(keys);
	}
	if (!dup)
		return 0;
	return b->opts->fault(b->opts->userdata,
			      &(struct util_yaml_fault){.kind = UTIL_YAML_DUPLICATE,
							.line = dup->line,
							.col = dup->col,
							.problem = dup->str});
}

static void tree_reset(struct tree_builder *b)
{
	/* the root owns everything on the stack */
	b->root = util_yaml_free(b->root);
	b->items = NULL;
	b->depth = 0;
	b->skip_next = false;
	b->skip_depth = 0;
}

static void tree_attach(struct tree_builder *b, struct util_yaml_node *n)
{
	struct util_yaml_node *parent;

	if (b->depth == 0) {
		util_yaml_free(b->root);
		b->root = n;
		return;
	}
	parent = b->stack[b->depth - 1];
	if (parent->n_kids == parent->cap_kids) {
		parent->cap_kids = parent->cap_kids ? parent->cap_kids * 2 : 8;
		if (parent->pooled) {
			struct util_yaml_node **kids =
				pool_alloc(b, parent->cap_kids * sizeof(*kids));

			if (parent->n_kids)
				memcpy(kids, parent->kids, parent->n_kids * sizeof(*kids));
			parent->kids = kids;
		} else {
			parent->kids = util_reallocarray(parent->kids, parent->cap_kids,
							 sizeof(*parent->kids));
		}
	}
	parent->kids[parent->n_kids++] = n;
}

/* Inside a skipped value: its events go by, only its nesting counted. */
static int tree_skip(struct tree_builder *b, const struct util_yaml_event *ev)
{
	b->skip_next = false;
	switch (ev->type) {
	case UTIL_YAML_EV_SEQ_START:
	case UTIL_YAML_EV_MAP_START:
		if (b->depth + b->skip_depth >= b->opts->max_depth)
			return tree_fault(b, UTIL_YAML_DEPTH, ev);
		b->skip_depth++;
		break;
	case UTIL_YAML_EV_SEQ_END:
	case UTIL_YAML_EV_MAP_END:
		if (b->skip_depth > 0)
			b->skip_depth--;
		break;
	default:
		break;
	}
	return 0;
}

/* Whether n, about to be attached, is a key whose value is skipped: then n is freed. */
static bool tree_key_skipped(struct tree_builder *b, struct util_yaml_node *n)
{
	const struct util_yaml_node *parent;

	if (!b->opts->skip_keys || n->type != UTIL_YAML_SCALAR || b->depth == 0)
		return false;
	parent = b->stack[b->depth - 1];
	if (parent->type != UTIL_YAML_MAP || parent->n_kids % 2 != 0)
		return false;
	for (const char *const *k = b->opts->skip_keys; *k; k++) {
		if (key_eq(*k, n->str)) {
			util_yaml_free(n);
			b->skip_next = true;
			return true;
		}
	}
	return false;
}

/* A node has just ended: when it is an item of the root's "items", it may be handed over. */
static int tree_item_done(struct tree_builder *b)
{
	struct util_yaml_node *item;
	int r;

	if (!b->opts->item || !b->items || b->depth != 2 || b->stack[1] != b->items)
		return 0;
	item = b->items->kids[b->items->n_kids - 1];
	r = b->opts->item(b->opts->userdata, b->root, item);
	if (r < 0)
		return r;
	if (r == 0)
		b->items->kids[b->items->n_kids - 1] = tree_unpool(item);
	else
		b->items->n_kids--;
	pool_empty(b, true);
	return 0;
}

/*
 * One event into the tree under construction. The checks keep the order both callers had, so
 * input with several faults reports the same one as before.
 */
static int tree_event(struct tree_builder *b, const struct util_yaml_event *ev)
{
	const struct util_yaml_opts *opts = b->opts;
	struct util_yaml_node *n;
	size_t text;
	bool pooled;
	int r;

	if (b->skip_next || b->skip_depth)
		return tree_skip(b, ev);
	switch (ev->type) {
	case UTIL_YAML_EV_DOC_START:
		if (opts->one_document && ++b->n_docs > 1)
			return tree_fault(b, UTIL_YAML_DOCUMENTS, ev);
		tree_reset(b);
		return 0;
	case UTIL_YAML_EV_DOC_END:
		if (!opts->document)
			return 0;
		r = opts->document(opts->userdata, b->root);
		tree_reset(b);
		return r;
	case UTIL_YAML_EV_MAP_END:
		if (b->depth > 0 && (r = tree_check_keys(b, b->stack[b->depth - 1])) < 0)
			return r;
		/* fall through */
	case UTIL_YAML_EV_SEQ_END:
		if (b->depth > 0)
			b->depth--;
		return tree_item_done(b);
	case UTIL_YAML_EV_SCALAR:
	case UTIL_YAML_EV_SEQ_START:
	case UTIL_YAML_EV_MAP_START:
		break;
	default:
		return 0;
	}
	if (opts->max_values && ++b->n_values > opts->max_values)
		return tree_fault(b, UTIL_YAML_VALUES, ev);
	if (ev->type != UTIL_YAML_EV_SCALAR && b->depth >= opts->max_depth)
		return tree_fault(b, UTIL_YAML_DEPTH, ev);
	if (ev->type == UTIL_YAML_EV_SCALAR && memchr(ev->str, '\0', ev->len))
		return tree_fault(b, UTIL_YAML_NUL, ev);
	/* one block for a node and its text: a large inventory has hundreds of thousands */
	pooled = opts->item && b->items && b->depth >= 2 && b->stack[1] == b->items;
	text = ev->type == UTIL_YAML_EV_SCALAR ? ev->len + 1 : 0;
	n = pooled ? pool_alloc(b, sizeof(*n) + text)
		   : util_reallocarray(NULL, 1, sizeof(*n) + text);
	if (ev->type == UTIL_YAML_EV_SCALAR) {
		*n = (struct util_yaml_node){.type = UTIL_YAML_SCALAR,
					     .plain = ev->plain,
					     .pooled = pooled,
					     .str = (char *)(n + 1)};
		memcpy(n->str, ev->str, ev->len);
		n->str[ev->len] = '\0';
	} else {
		*n = (struct util_yaml_node){
			.type = ev->type == UTIL_YAML_EV_SEQ_START ? UTIL_YAML_SEQ : UTIL_YAML_MAP,
			.pooled = pooled};
	}
	n->line = ev->start.line;
	n->col = ev->start.col;
	if (tree_key_skipped(b, n))
		return 0;
	if (b->depth == 1 && n->type == UTIL_YAML_SEQ && b->root->type == UTIL_YAML_MAP &&
	    b->root->n_kids % 2 == 1 &&
	    b->root->kids[b->root->n_kids - 1]->type == UTIL_YAML_SCALAR &&
	    strcmp(b->root->kids[b->root->n_kids - 1]->str, "items") == 0)
		b->items = n;
	tree_attach(b, n);
	if (n->type != UTIL_YAML_SCALAR) {
		b->stack[b->depth++] = n;
		return 0;
	}
	return tree_item_done(b);
}

/* f, or else len bytes of buf, into the tree. */
static int tree_parse(FILE *f, const char *buf, size_t len, const struct util_yaml_opts *opts,
		      struct util_yaml_node **ret_root)
{
	const struct util_yaml_stream_opts sopts = {
		.max_input = opts->max_input,
		.fault = opts->fault,
		.userdata = opts->userdata,
	};
	struct tree_builder b = {.opts = opts};
	struct util_yaml_stream *s;
	struct util_yaml_event ev;
	int r;

	r = util_yaml_stream_open(f, buf, len, &sopts, &s);
	if (r < 0)
		return r;
	b.stack = util_reallocarray(NULL, opts->max_depth ? opts->max_depth : 1, sizeof(*b.stack));
	do {
		r = stream_next(s, &ev);
		if (r == 0)
			r = tree_event(&b, &ev);
	} while (r == 0 && ev.type != UTIL_YAML_EV_STREAM_END);
	if (r == 0 && !opts->document) {
		if (b.root) {
			*ret_root = b.root;
			b.root = NULL;
		} else {
			r = tree_fault(&b, UTIL_YAML_EMPTY, NULL);
		}
	}
	tree_reset(&b);
	pool_empty(&b, false);
	free(b.stack);
	util_yaml_stream_close(s);
	return r;
}

int util_yaml_parse_file(FILE *f, const struct util_yaml_opts *opts,
			 struct util_yaml_node **ret_root)
{
	return tree_parse(f, NULL, 0, opts, ret_root);
}

int util_yaml_parse_buffer(const char *buf, size_t len, const struct util_yaml_opts *opts,
			   struct util_yaml_node **ret_root)
{
	return tree_parse(NULL, buf, len, opts, ret_root);
}

/* ---- Reading a file of objects: the errors ------------------------------------------------ */

int util_yaml_fail(struct util_yaml_reader *rd, const struct util_yaml_node *at, const char *fmt,
		   ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return util_err_set(rd->err, EINVAL, "%s:%zu:%zu: %s%s", rd->path,
			    (at ? at->line : 1) + rd->line_offset, at ? at->col : 1, msg,
			    rd->suffix);
}

const char *util_yaml_type_name(enum util_yaml_type t)
{
	switch (t) {
	case UTIL_YAML_SCALAR:
		return "a scalar";
	case UTIL_YAML_SEQ:
		return "a sequence";
	case UTIL_YAML_MAP:
	default:
		return "a mapping";
	}
}

int util_yaml_field(struct util_yaml_reader *rd, const struct util_yaml_node *map, const char *key,
		    enum util_yaml_type want, const struct util_yaml_node **ret)
{
	const struct util_yaml_node *n = util_yaml_get(map, key);

	if (n && util_yaml_is_null(n))
		n = NULL;
	if (n && n->type != want)
		return util_yaml_fail(rd, n, "%s is not %s%s%s", key, util_yaml_type_name(want),
				      *rd->subject ? " on " : "", rd->subject);
	*ret = n;
	return 0;
}

const char *util_yaml_show(const char *s, char buf[static UTIL_YAML_SHOW_LEN])
{
	return util_show_escaped(s, strlen(s), UTIL_YAML_SHOW_MAX - 3, buf);
}

const char *util_yaml_show_node(const struct util_yaml_node *n, char buf[static UTIL_YAML_SHOW_LEN])
{
	if (n->type != UTIL_YAML_SCALAR)
		return n->type == UTIL_YAML_SEQ ? "(a sequence)" : "(a mapping)";
	return util_yaml_show(n->str, buf);
}

/* The tree's faults in the reader's words. */
static int reader_fault(void *data, const struct util_yaml_fault *f)
{
	struct util_yaml_reader *rd = data;
	struct util_yaml_node at = {.line = f->line, .col = f->col};
	char show[UTIL_YAML_SHOW_LEN];

	/* a fault is about the text, not the object that was being read */
	rd->suffix[0] = '\0';
	rd->faulted = true;
	rd->fault = f->kind;
	switch (f->kind) {
	case UTIL_YAML_NOMEM:
		return util_err_set(rd->err, ENOMEM, "%s: cannot initialise the YAML parser",
				    rd->path);
	case UTIL_YAML_TOO_BIG:
		return util_err_set(rd->err, EFBIG, "%s: larger than %zu MiB", rd->path,
				    rd->format->max_size >> 20);
	case UTIL_YAML_READ:
		return util_err_set(rd->err, f->error, "%s: %s", rd->path, strerror(f->error));
	case UTIL_YAML_SYNTAX:
		return util_err_set(rd->err, EINVAL, "%s:%zu:%zu: %s%s%s", rd->path,
				    f->line + rd->line_offset, f->col,
				    f->problem ? f->problem : "invalid YAML", f->context ? " " : "",
				    f->context ? f->context : "");
	case UTIL_YAML_ANCHOR:
		return util_yaml_fail(rd, &at, "YAML anchors are not allowed in %s",
				      rd->format->what);
	case UTIL_YAML_ALIAS:
		return util_yaml_fail(rd, &at, "YAML aliases are not allowed in %s",
				      rd->format->what);
	case UTIL_YAML_DEPTH:
		return util_yaml_fail(rd, &at, "nested deeper than %zu levels",
				      rd->format->max_depth);
	case UTIL_YAML_NUL:
		return util_yaml_fail(rd, &at, "NUL character in a string");
	case UTIL_YAML_DUPLICATE:
		return util_yaml_fail(rd, &at, "duplicate key \"%s\"",
				      util_yaml_show(f->problem, show));
	case UTIL_YAML_DOCUMENTS:
	case UTIL_YAML_VALUES:
	case UTIL_YAML_EMPTY:
	default:
		/* not asked for by reader_parse()'s options */
		return util_yaml_fail(rd, &at, "invalid YAML");
	}
}

static int reader_document(void *data, const struct util_yaml_node *root)
{
	struct util_yaml_reader *rd = data;

	if (!root || util_yaml_is_null(root))
		return 0; /* an empty document in a stream ("---" then nothing) */
	rd->n_docs++;
	return rd->format->document(rd->userdata, root);
}

static int reader_item(void *data, const struct util_yaml_node *root,
		       const struct util_yaml_node *item)
{
	struct util_yaml_reader *rd = data;

	return rd->format->item(rd->userdata, root, item);
}

/* f, or else len bytes of buf. */
static int reader_parse(struct util_yaml_reader *rd, FILE *f, const char *buf, size_t len)
{
	const struct util_yaml_opts opts = {
		.max_depth = rd->format->max_depth,
		.max_input = rd->format->max_size,
		.fault = reader_fault,
		.document = reader_document,
		.item = rd->format->item ? reader_item : NULL,
		.skip_keys = rd->format->skip_keys,
		.userdata = rd,
	};
	int r;

	r = f ? util_yaml_parse_file(f, &opts, NULL)
	      : util_yaml_parse_buffer(buf, len, &opts, NULL);
	if (r == 0 && rd->n_docs == 0)
		r = util_err_set(rd->err, EINVAL, "%s:1:1: empty file, %s", rd->path,
				 rd->format->empty);
	return r;
}

int util_yaml_read_file(struct util_yaml_reader *rd)
{
	struct stat st;
	FILE *f;
	int r;

	f = fopen(rd->path, "re");
	if (!f)
		return util_err_set(rd->err, errno, "%s: %s", rd->path, strerror(errno));
	if (fstat(fileno(f), &st) < 0) {
		r = util_err_set(rd->err, errno, "%s: %s", rd->path, strerror(errno));
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		r = util_err_set(rd->err, EISDIR, "%s: is a directory", rd->path);
		goto out;
	}
	if (S_ISREG(st.st_mode) && (uint64_t)st.st_size > rd->format->max_size) {
		r = util_err_set(rd->err, EFBIG, "%s: larger than %zu MiB", rd->path,
				 rd->format->max_size >> 20);
		goto out;
	}
	r = reader_parse(rd, f, NULL, 0);
out:
	fclose(f);
	return r;
}

int util_yaml_read_stream(struct util_yaml_reader *rd, FILE *f)
{
	return reader_parse(rd, f, NULL, 0);
}

int util_yaml_read_buffer(struct util_yaml_reader *rd, const char *buf, size_t len)
{
	return reader_parse(rd, NULL, buf, len);
}

/* ---- The emitter -------------------------------------------------------------------------- */

struct util_yaml_out {
	yaml_emitter_t emitter;
	unsigned flags;
	/* where it goes: out; else fd (util_yaml_out_open_fd()); else buf */
	FILE *out;
	int fd;
	int *fd_errno; /* the errno of fd's failed write */
	char *buf;
	size_t len, cap;
	const char *what;
	struct util_err *err;
	int r;		     /* the first failure; later events are dropped */
	const char *problem; /* its words, when it was ours */
};

static int out_memory(void *data, unsigned char *buffer, size_t size)
{
	struct util_yaml_out *o = data;

	if (size > SIZE_MAX / 2 - o->len)
		return 0;
	if (o->len + size > o->cap) {
		size_t cap = o->cap ? o->cap : 16384;

		while (cap < o->len + size)
			cap *= 2;
		o->buf = util_reallocarray(o->buf, cap, 1);
		o->cap = cap;
	}
	memcpy(o->buf + o->len, buffer, size);
	o->len += size;
	return 1;
}

static void out_failed(struct util_yaml_out *o, int error, const char *problem)
{
	if (o->r < 0)
		return;
	o->problem = problem;
	o->r = -error;
	if (o->err)
		o->r = problem ? util_err_set(o->err, error, "cannot write %s: %s", o->what,
					      problem)
			       : util_err_set(o->err, error, "cannot write %s", o->what);
}

/* libyaml's output buffer, written as it fills: nothing of the stream is held whole. */
static int out_fd(void *data, unsigned char *buffer, size_t size)
{
	struct util_yaml_out *o = data;
	int r = util_write_all(o->fd, buffer, size);

	if (r < 0) {
		*o->fd_errno = -r;
		out_failed(o, -r, strerror(-r));
		return 0;
	}
	return 1;
}

/* Takes ev, initialized when ok; the emitter owns it from here, failed or not. */
static void out_event(struct util_yaml_out *o, yaml_event_t *ev, int ok)
{
	if (!ok) {
		out_failed(o, EINVAL, "cannot build a YAML event");
		return;
	}
	if (o->r < 0) {
		yaml_event_delete(ev);
		return;
	}
	if (!yaml_emitter_emit(&o->emitter, ev))
		out_failed(o, EIO, o->emitter.problem ? o->emitter.problem : "unknown error");
}

/* A stream with no target yet, or NULL when libyaml cannot set up. */
static struct util_yaml_out *out_new(unsigned flags)
{
	struct util_yaml_out *o = util_zalloc(sizeof(*o));

	if (!yaml_emitter_initialize(&o->emitter)) {
		free(o);
		return NULL;
	}
	o->flags = flags;
	return o;
}

/* The emitter's settings, and the stream's start. */
static void out_setup(struct util_yaml_out *o)
{
	yaml_event_t ev;

	yaml_emitter_set_unicode(&o->emitter, 1);
	yaml_emitter_set_width(&o->emitter, -1); /* a line break inside a string is not JSON */
	yaml_emitter_set_indent(&o->emitter, 2);
	yaml_emitter_set_break(&o->emitter, YAML_LN_BREAK);
	out_event(o, &ev, yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING));
}

int util_yaml_out_open(FILE *out, unsigned flags, const char *what, struct util_err *err,
		       struct util_yaml_out **ret)
{
	struct util_yaml_out *o = out_new(flags);

	if (!o)
		return err ? util_err_set(err, ENOMEM, "cannot set up the YAML emitter") : -ENOMEM;
	o->out = out;
	o->what = what;
	o->err = err;
	if (out)
		yaml_emitter_set_output_file(&o->emitter, out);
	else
		yaml_emitter_set_output(&o->emitter, out_memory, o);
	out_setup(o);
	*ret = o;
	return 0;
}

int util_yaml_out_open_fd(int fd, unsigned flags, int *ret_errno, struct util_yaml_out **ret)
{
	struct util_yaml_out *o = out_new(flags);

	if (!o)
		return -ENOMEM;
	o->fd = fd;
	o->fd_errno = ret_errno;
	*ret_errno = 0;
	yaml_emitter_set_output(&o->emitter, out_fd, o);
	out_setup(o);
	*ret = o;
	return 0;
}

int util_yaml_out_close(struct util_yaml_out *o, char **ret_buf, size_t *ret_len,
			const char **ret_problem)
{
	yaml_event_t ev;
	int r;

	out_event(o, &ev, yaml_stream_end_event_initialize(&ev));
	if (o->r == 0 && !yaml_emitter_flush(&o->emitter))
		out_failed(o, EIO, NULL);
	if (o->r == 0 && o->out && (fflush(o->out) != 0 || ferror(o->out)))
		out_failed(o, EIO, strerror(errno));
	r = o->r;
	if (ret_problem)
		*ret_problem = o->problem;
	if (r == 0 && ret_buf) {
		*ret_buf = o->buf;
		*ret_len = o->len;
		o->buf = NULL;
	}
	yaml_emitter_delete(&o->emitter);
	free(o->buf);
	free(o);
	return r;
}

int util_yaml_out_error(const struct util_yaml_out *o)
{
	return o->r;
}

void util_yaml_out_fail(struct util_yaml_out *o, int r)
{
	if (o->r == 0)
		o->r = r;
}

void util_yaml_out_document_start(struct util_yaml_out *o)
{
	yaml_event_t ev;

	out_event(o, &ev,
		  yaml_document_start_event_initialize(
			  &ev, NULL, NULL, NULL,
			  !!(o->flags & (UTIL_YAML_OUT_JSON | UTIL_YAML_OUT_ONE_DOCUMENT))));
}

void util_yaml_out_document_end(struct util_yaml_out *o)
{
	yaml_event_t ev;

	out_event(o, &ev, yaml_document_end_event_initialize(&ev, 1));
}

static void out_map_start(struct util_yaml_out *o, bool flow)
{
	yaml_event_t ev;

	out_event(o, &ev,
		  yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
						      flow ? YAML_FLOW_MAPPING_STYLE
							   : YAML_BLOCK_MAPPING_STYLE));
}

void util_yaml_out_map_start(struct util_yaml_out *o)
{
	out_map_start(o, o->flags & UTIL_YAML_OUT_JSON);
}

void util_yaml_out_flow_map_start(struct util_yaml_out *o)
{
	out_map_start(o, true);
}

void util_yaml_out_map_end(struct util_yaml_out *o)
{
	yaml_event_t ev;

	out_event(o, &ev, yaml_mapping_end_event_initialize(&ev));
}

static void out_seq_start(struct util_yaml_out *o, bool flow)
{
	yaml_event_t ev;

	out_event(o, &ev,
		  yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
						       flow ? YAML_FLOW_SEQUENCE_STYLE
							    : YAML_BLOCK_SEQUENCE_STYLE));
}

void util_yaml_out_seq_start(struct util_yaml_out *o)
{
	out_seq_start(o, o->flags & UTIL_YAML_OUT_JSON);
}

void util_yaml_out_flow_seq_start(struct util_yaml_out *o)
{
	out_seq_start(o, true);
}

void util_yaml_out_seq_end(struct util_yaml_out *o)
{
	yaml_event_t ev;

	out_event(o, &ev, yaml_sequence_end_event_initialize(&ev));
}

static bool out_is_letter(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool out_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* The one plain-scalar rule (util_yaml_out_str). */
static bool out_plain_safe(const char *s, bool addresses)
{
	static const char *const words[] = {"y",   "n",	   "yes",   "no",  "on",
					    "off", "true", "false", "null"};
	size_t n = strlen(s);

	if (n == 0 || !(out_is_letter(s[0]) || (addresses && out_is_digit(s[0]))))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!out_is_letter(s[i]) && !out_is_digit(s[i]) && s[i] != '.' && s[i] != '-' &&
		    s[i] != '_' && s[i] != '/' && !(addresses && s[i] == ':'))
			return false;
	if (s[n - 1] == ':')
		return false;
	if (out_is_digit(s[0]))
		return strchr(s, '/') != NULL;
	if (n > 5 || !strchr("yYnNoOtTfF", s[0])) /* cannot be one of the words */
		return true;
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(words); i++)
		if (strcasecmp(s, words[i]) == 0)
			return false;
	return true;
}

static void out_scalar(struct util_yaml_out *o, const char *s, bool plain)
{
	yaml_event_t ev;

	out_event(o, &ev,
		  yaml_scalar_event_initialize(
			  &ev, NULL, NULL, (const yaml_char_t *)s, (int)strlen(s), 1, 1,
			  plain ? YAML_PLAIN_SCALAR_STYLE : YAML_DOUBLE_QUOTED_SCALAR_STYLE));
}

void util_yaml_out_str(struct util_yaml_out *o, const char *s)
{
	out_scalar(o, s,
		   !(o->flags & UTIL_YAML_OUT_JSON) &&
			   out_plain_safe(s, o->flags & UTIL_YAML_OUT_ADDRESSES));
}

void util_yaml_out_key(struct util_yaml_out *o, const char *key)
{
	out_scalar(o, key, true);
}

void util_yaml_out_quoted(struct util_yaml_out *o, const char *s)
{
	out_scalar(o, s, false);
}

void util_yaml_out_u64(struct util_yaml_out *o, uint64_t v)
{
	char buf[UTIL_U64_LEN];

	(void)util_u64_format(v, buf);
	out_scalar(o, buf, true);
}

void util_yaml_out_kv(struct util_yaml_out *o, const char *key, const char *value)
{
	util_yaml_out_str(o, key);
	util_yaml_out_str(o, value);
}
