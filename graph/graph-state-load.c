/* SPDX-License-Identifier: Apache-2.0 */
/* graph-state-load.c - reading the state file strictly: every limit, key and value checked, with
 * line:column. */
#include "graph/graph-private.h"
#include "util/util-yaml.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- Loading ------------------------------------------------------------------------------ */

struct state_reader {
	struct util_yaml_stream *stream;
	struct util_yaml_event event; /* the current one */
	FILE *f;
	const char *path;
	struct util_err *err;
	unsigned version; /* the file's, once read */
	bool any_order;	  /* the second reading of a file whose version is not its first key */
	bool no_early;	  /* a reading after one whose early edges went wrong: none now */
};

static int state_error(struct state_reader *r, struct util_yaml_mark mark, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int state_error(struct state_reader *r, struct util_yaml_mark mark, const char *fmt, ...)
{
	char msg[STATE_MSG_LEN + 64];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return util_err_set(r->err, EINVAL, "%s:%zu:%zu: %s", r->path, mark.line, mark.col, msg);
}

/* libyaml reports reader errors (bad UTF-8, control bytes) as a byte offset: find its line. */
static struct util_yaml_mark state_offset_mark(struct state_reader *r, size_t offset)
{
	struct util_yaml_mark m = {1, 1};
	int c;

	if (fseek(r->f, 0, SEEK_SET) == 0) {
		for (size_t i = 0; i < offset && (c = getc(r->f)) != EOF; i++) {
			if (c == '\n') {
				m.line++;
				m.col = 1;
			} else {
				m.col++;
			}
		}
	}
	return m;
}

/* The stream's faults in the state's words. */
static int state_fault(void *data, const struct util_yaml_fault *f)
{
	struct state_reader *r = data;
	struct util_yaml_mark at = {f->line, f->col};

	switch (f->kind) {
	case UTIL_YAML_NOMEM:
		return util_err_set(r->err, ENOMEM, "%s: out of memory", r->path);
	case UTIL_YAML_TOO_BIG:
		return util_err_set(r->err, EINVAL,
				    "%s: state file too large (more than %llu bytes)", r->path,
				    STATE_MAX_FILE);
	case UTIL_YAML_TOO_LONG:
		return state_error(r, at, "a value or comment longer than %llu bytes",
				   STATE_MAX_LOOKAHEAD);
	case UTIL_YAML_READ:
		return util_err_set(r->err, f->error, "%s: read failed: %s", r->path,
				    strerror(f->error));
	case UTIL_YAML_ALIAS:
		return state_error(r, at, "aliases are not allowed in a state file");
	case UTIL_YAML_ANCHOR:
		return state_error(r, at, "anchors are not allowed in a state file");
	case UTIL_YAML_SYNTAX:
	default:
		break;
	}
	if (f->nomem)
		return util_err_set(r->err, ENOMEM, "%s: out of memory parsing YAML", r->path);
	if (f->text)
		return state_error(r, state_offset_mark(r, f->offset), "not YAML text: %s",
				   f->problem ? f->problem : "unreadable input");
	if (f->context)
		return state_error(r, at, "invalid YAML: %s (%s at %zu:%zu)",
				   f->problem ? f->problem : "syntax error", f->context,
				   f->context_line, f->context_col);
	return state_error(r, at, "invalid YAML: %s", f->problem ? f->problem : "syntax error");
}

static const char *state_event_what(enum util_yaml_event_type type)
{
	switch (type) {
	case UTIL_YAML_EV_SCALAR:
		return "a scalar";
	case UTIL_YAML_EV_SEQ_START:
		return "a sequence";
	case UTIL_YAML_EV_MAP_START:
		return "a mapping";
	case UTIL_YAML_EV_MAP_END:
	case UTIL_YAML_EV_SEQ_END:
		return "the end of a collection";
	case UTIL_YAML_EV_DOC_START:
		return "another document";
	default:
		return "something else";
	}
}

/* Advances to the next event. Anchors, aliases and tags have no place in a state file. */
static int state_next(struct state_reader *r)
{
	int ret = util_yaml_stream_next(r->stream, &r->event);

	if (ret < 0)
		return ret;
	if (r->event.tagged)
		return state_error(r, r->event.start, "tags are not allowed in a state file");
	return 0;
}

/* The current event must be of type; what names the place for the message. */
static int state_expect(struct state_reader *r, enum util_yaml_event_type type, const char *what)
{
	if (r->event.type == type)
		return 0;
	return state_error(r, r->event.start, "%s: expected %s, got %s", what,
			   state_event_what(type), state_event_what(r->event.type));
}

/* The current event is a scalar; checks its size and returns its text (valid until next). */
static int state_scalar_text(struct state_reader *r, const char *what, const char **ret_value)
{
	const struct util_yaml_event *e = &r->event;
	const char *s = e->str;

	if (e->len > STATE_MAX_SCALAR)
		return state_error(r, e->start, "%s: value too long (%zu bytes, at most %d)", what,
				   e->len, STATE_MAX_SCALAR);
	if (strlen(s) != e->len)
		return state_error(r, e->start, "%s: value contains a NUL character", what);
	*ret_value = s;
	return 0;
}

/* Advances to the next event, which must be of type. */
static int state_next_expect(struct state_reader *r, enum util_yaml_event_type type,
			     const char *what)
{
	int ret;

	ret = state_next(r);
	if (ret < 0)
		return ret;
	return state_expect(r, type, what);
}

/* Reads the next event as a scalar and returns its text (valid until the next event). */
static int state_read_scalar(struct state_reader *r, const char *what, const char **ret_value)
{
	int ret;

	ret = state_next_expect(r, UTIL_YAML_EV_SCALAR, what);
	if (ret < 0)
		return ret;
	return state_scalar_text(r, what, ret_value);
}

/*
 * Reads the next event of a sequence: 1 when it is an item (which must be of type item), 0 at
 * the end of the sequence, < 0 on error.
 */
static int state_next_item(struct state_reader *r, enum util_yaml_event_type item, const char *what)
{
	int ret;

	ret = state_next(r);
	if (ret < 0)
		return ret;
	if (r->event.type == UTIL_YAML_EV_SEQ_END)
		return 0;
	ret = state_expect(r, item, what);
	return ret < 0 ? ret : 1;
}

/* A sequence of mappings (workloads, edges): item reads each from its MAPPING_START on. */
static int state_parse_list(struct state_reader *r, const char *what,
			    int (*item)(struct state_reader *r, void *data), void *data)
{
	int ret;

	ret = state_next_expect(r, UTIL_YAML_EV_SEQ_START, what);
	if (ret < 0)
		return ret;
	while ((ret = state_next_item(r, UTIL_YAML_EV_MAP_START, what)) > 0) {
		ret = item(r, data);
		if (ret < 0)
			return ret;
	}
	return ret;
}

/* Reads the next event as a string scalar. A bare empty, ~ or null is YAML's null. */
static int state_read_string(struct state_reader *r, const char *what, const char **ret_value)
{
	static const char *const nulls[] = {"", "~", "null", "Null", "NULL"};
	const char *s = NULL;
	int ret;

	ret = state_read_scalar(r, what, &s);
	if (ret < 0)
		return ret;
	if (r->event.plain) {
		for (size_t i = 0; i < UTIL_ARRAY_SIZE(nulls); i++)
			if (strcmp(s, nulls[i]) == 0)
				return state_error(r, r->event.start,
						   "%s: expected a string, got null", what);
	}
	*ret_value = s;
	return 0;
}

/* The current event, a scalar, as a plain decimal number (no quotes, sign or leading zeros). */
static int state_scalar_u64(struct state_reader *r, const char *what, uint64_t max,
			    uint64_t *ret_value)
{
	char show[STATE_SHOW_LEN];
	const char *s = NULL;
	uint64_t v;
	int ret;

	ret = state_scalar_text(r, what, &s);
	if (ret < 0)
		return ret;
	if (!r->event.plain || (s[0] == '0' && s[1] != '\0') ||
	    util_parse_u64(s, UINT64_MAX, &v) == -EINVAL)
		return state_error(r, r->event.start, "%s: expected a number, got \"%s\"", what,
				   state_show(s, show));
	if (util_parse_u64(s, max, &v) < 0)
		return state_error(r, r->event.start,
				   "%s: %s is out of range (at most %" PRIu64 ")", what,
				   state_show(s, show), max);
	*ret_value = v;
	return 0;
}

/* Reads the next event as a plain decimal number. */
static int state_read_u64(struct state_reader *r, const char *what, uint64_t max,
			  uint64_t *ret_value)
{
	int ret;

	ret = state_next_expect(r, UTIL_YAML_EV_SCALAR, what);
	if (ret < 0)
		return ret;
	return state_scalar_u64(r, what, max, ret_value);
}

/* Reads the next event as a time in the canonical form util_time_format() writes. */
static int state_read_time(struct state_reader *r, const char *what, uint64_t *ret_value)
{
	char show[STATE_SHOW_LEN], canon[UTIL_TIME_LEN];
	const char *s = NULL;
	uint64_t ns;
	int ret;

	ret = state_read_string(r, what, &s);
	if (ret < 0)
		return ret;
	/* what the state writes, read at once: two times per edge */
	if (util_time_parse_canonical(s, ret_value) == 0)
		return 0;
	/* Re-formatting catches what strptime() forgives: spaces, signs, overflowing years. */
	if (util_time_parse(s, &ns) < 0 || (util_time_format(ns, canon), strcmp(canon, s) != 0))
		return state_error(r, r->event.start,
				   "%s: \"%s\" is not a time like 2026-11-22T14:00:00.000000000Z",
				   what, state_show(s, show));
	*ret_value = ns;
	return 0;
}

/*
 * Reads the next key of a mapping: 1 for a key, 0 at the end of the mapping, < 0 on error.
 * Given keys, any other key is an error and ret_index says which it was; the text (valid until
 * the next event) and where it starts are returned either way.
 */
static int state_read_key(struct state_reader *r, const char *what, const char *const *keys,
			  size_t n_keys, int *ret_index, const char **ret_text,
			  struct util_yaml_mark *ret_mark)
{
	char show[STATE_SHOW_LEN];
	const char *s = NULL;
	int ret;

	ret = state_next(r);
	if (ret < 0)
		return ret;
	if (r->event.type == UTIL_YAML_EV_MAP_END)
		return 0;
	if (r->event.type != UTIL_YAML_EV_SCALAR)
		return state_error(r, r->event.start, "%s: expected a key, got %s", what,
				   state_event_what(r->event.type));
	ret = state_scalar_text(r, what, &s);
	if (ret < 0)
		return ret;
	*ret_mark = r->event.start;
	if (ret_text)
		*ret_text = s;
	if (!keys)
		return 1;
	for (size_t i = 0; i < n_keys; i++) {
		if (strcmp(keys[i], s) == 0) {
			*ret_index = (int)i;
			return 1;
		}
	}
	return state_error(r, r->event.start, "%s: unknown key \"%s\"", what, state_show(s, show));
}

static int state_duplicate_key(struct state_reader *r, struct util_yaml_mark mark, const char *what,
			       const char *key)
{
	return state_error(r, mark, "%s: duplicate key \"%s\"", what, key);
}

/*
 * Counters are kept until the whole file is read: whose they are depends on "node" and "nodes",
 * which may come later.
 */
struct state_counter {
	char *name;
	uint64_t value;
	struct util_yaml_mark mark; /* of the name */
};

struct state_counters {
	struct state_counter *v;
	size_t n;
	struct util_yaml_mark mark; /* of the mapping */
};

static void state_counters_clear(struct state_counters *sc)
{
	for (size_t i = 0; i < sc->n; i++)
		free(sc->v[i].name);
	free(sc->v);
	*sc = (struct state_counters){0};
}

static int state_parse_counters(struct state_reader *r, struct state_counters *sc)
{
	char show[STATE_SHOW_LEN];
	const char *s = NULL;
	struct util_yaml_mark mark;
	uint64_t v;
	int ret;

	ret = state_next_expect(r, UTIL_YAML_EV_MAP_START, "counters");
	if (ret < 0)
		return ret;
	sc->mark = r->event.start;
	for (;;) {
		ret = state_read_key(r, "counters", NULL, 0, NULL, &s, &mark);
		if (ret <= 0)
			return ret;
		if (!graph_counter_name_valid(s))
			return state_error(r, mark, "counters: invalid counter name \"%s\"",
					   state_show(s, show));
		if (sc->n == STATE_MAX_COUNTERS)
			return state_error(r, mark, "counters: more than %d", STATE_MAX_COUNTERS);
		for (size_t i = 0; i < sc->n; i++)
			if (strcmp(sc->v[i].name, s) == 0)
				return state_duplicate_key(r, mark, "counters", sc->v[i].name);
		sc->v = util_reallocarray(sc->v, sc->n + 1, sizeof(*sc->v));
		sc->v[sc->n] = (struct state_counter){.name = util_strdup(s), .mark = mark};
		sc->n++;
		ret = state_read_u64(r, sc->v[sc->n - 1].name, UINT64_MAX, &v);
		if (ret < 0)
			return ret;
		sc->v[sc->n - 1].value = v;
	}
}

struct state_label {
	char *key, *value;
	struct util_yaml_mark mark;
};

struct state_address {
	struct util_prefix prefix;
	struct util_yaml_mark mark;
};

struct state_workload {
	char *field[WL_NAME + 1]; /* id, kind, namespace, controller, name; NULL when absent */
	struct util_yaml_mark mark[WL_N]; /* of each value */
	struct util_yaml_mark start;
	struct state_label *labels;
	size_t n_labels;
	struct state_address *addresses;
	size_t n_addresses;
	unsigned seen; /* 1u << WL_* of each key read */
	uint64_t first_running, last_running;
};

static void state_workload_clear(struct state_workload *sw)
{
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(sw->field); i++)
		free(sw->field[i]);
	for (size_t i = 0; i < sw->n_labels; i++) {
		free(sw->labels[i].key);
		free(sw->labels[i].value);
	}
	free(sw->labels);
	free(sw->addresses);
}

static int state_parse_labels(struct state_reader *r, struct state_workload *sw)
{
	char msg[STATE_MSG_LEN];
	struct state_label *l;
	const char *s = NULL;
	struct util_yaml_mark mark;
	int ret;

	ret = state_next_expect(r, UTIL_YAML_EV_MAP_START, "labels");
	if (ret < 0)
		return ret;
	for (;;) {
		ret = state_read_key(r, "labels", NULL, 0, NULL, &s, &mark);
		if (ret <= 0)
			return ret;
		if (sw->n_labels >= STATE_MAX_LABELS)
			return state_error(r, mark, "labels: more than %d labels",
					   STATE_MAX_LABELS);
		sw->labels = util_reallocarray(sw->labels, sw->n_labels + 1, sizeof(*sw->labels));
		l = &sw->labels[sw->n_labels++];
		*l = (struct state_label){.key = util_strdup(s), .mark = mark};
		/* An empty value is written "": a bare empty one is YAML's null and refused. */
		ret = state_read_string(r, "labels", &s);
		if (ret < 0)
			return ret;
		l->value = util_strdup(s);
		if (state_check_label(l->key, l->value, msg) < 0)
			return state_error(r, util_k8s_label_key(l->key) ? r->event.start : mark,
					   "labels: %s", msg);
	}
}

static int state_parse_addresses(struct state_reader *r, struct state_workload *sw)
{
	char msg[STATE_MSG_LEN];
	struct util_prefix prefix;
	const char *s = NULL;
	int ret;

	ret = state_next_expect(r, UTIL_YAML_EV_SEQ_START, "addresses");
	if (ret < 0)
		return ret;
	while ((ret = state_next_item(r, UTIL_YAML_EV_SCALAR, "addresses")) > 0) {
		ret = state_scalar_text(r, "addresses", &s);
		if (ret < 0)
			return ret;
		if (state_parse_address(s, &prefix, msg) < 0)
			return state_error(r, r->event.start, "addresses: %s", msg);
		if (sw->n_addresses >= STATE_MAX_ADDRESSES)
			return state_error(r, r->event.start, "addresses: more than %d addresses",
					   STATE_MAX_ADDRESSES);
		sw->addresses = util_reallocarray(sw->addresses, sw->n_addresses + 1,
						  sizeof(*sw->addresses));
		sw->addresses[sw->n_addresses++] = (struct state_address){prefix, r->event.start};
	}
	return ret;
}

/* The fields of sw each on its own and against each other, before a workload is made; its kind. */
static int state_check_workload(struct state_reader *r, const struct state_workload *sw,
				enum graph_kind *ret_kind)
{
	char msg[STATE_MSG_LEN], show[STATE_SHOW_LEN];
	enum graph_kind kind;
	int field;

	static const int required[] = {WL_ID, WL_KIND, WL_NAME};
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(required); i++)
		if (!sw->field[required[i]])
			return state_error(r, sw->start, "workload: missing \"%s\"",
					   state_workload_keys[required[i]]);
	if (graph_kind_from_name(sw->field[WL_KIND], &kind) < 0)
		return state_error(
			r, sw->mark[WL_KIND],
			"kind: unknown workload kind \"%s\" (expected k8s, docker, node, "
			"external or unknown)",
			state_show(sw->field[WL_KIND], show));
	if (state_check_identity(kind, sw->field[WL_NAMESPACE] ? sw->field[WL_NAMESPACE] : "",
				 sw->field[WL_CONTROLLER] ? sw->field[WL_CONTROLLER] : "",
				 sw->field[WL_NAME], msg, &field) < 0)
		return state_error(r, sw->field[field] ? sw->mark[field] : sw->start, "%s", msg);
	if (sw->n_labels > 0 && kind != GRAPH_KIND_K8S && kind != GRAPH_KIND_DOCKER)
		return state_error(r, sw->mark[WL_LABELS], "labels are not allowed for kind %s",
				   graph_kind_name(kind));
	for (int k = WL_FIRST_RUNNING; k <= WL_LAST_RUNNING; k++) {
		int other = k == WL_FIRST_RUNNING ? WL_LAST_RUNNING : WL_FIRST_RUNNING;

		if (!(sw->seen & (1u << k)))
			continue;
		if (kind != GRAPH_KIND_K8S && kind != GRAPH_KIND_DOCKER)
			return state_error(r, sw->mark[k], "%s is not allowed for kind %s",
					   state_workload_keys[k], graph_kind_name(kind));
		if (!(sw->seen & (1u << other)))
			return state_error(r, sw->start, "workload: \"%s\" without \"%s\"",
					   state_workload_keys[k], state_workload_keys[other]);
	}
	if (sw->last_running < sw->first_running)
		return state_error(r, sw->mark[WL_LAST_RUNNING],
				   "last-running: before first-running");
	*ret_kind = kind;
	return 0;
}

/* Builds the workload described by sw, checking it whole, and adds it to g. */
static int state_add_workload(struct state_reader *r, struct state_workload *sw, struct graph *g)
{
	struct graph_workload *w = NULL;
	char show[STATE_SHOW_LEN], show2[STATE_SHOW_LEN], text[UTIL_PREFIX_LEN];
	enum graph_kind kind = GRAPH_KIND_K8S;
	size_t before;
	int ret;

	ret = state_check_workload(r, sw, &kind);
	if (ret < 0)
		return ret;
	w = graph_workload_new(kind, sw->field[WL_NAMESPACE], sw->field[WL_CONTROLLER],
			       sw->field[WL_NAME]);
	if (strcmp(graph_workload_id(w), sw->field[WL_ID]) != 0) {
		ret = state_error(
			r, sw->mark[WL_ID],
			"id: \"%s\" does not match the workload's fields (expected \"%s\")",
			state_show(sw->field[WL_ID], show),
			state_show(graph_workload_id(w), show2));
		goto out;
	}
	for (size_t i = 0; i < sw->n_labels; i++) {
		before = graph_workload_label_count(w);
		graph_workload_set_label(w, sw->labels[i].key, sw->labels[i].value);
		if (graph_workload_label_count(w) == before) {
			ret = state_duplicate_key(r, sw->labels[i].mark, "labels",
						  state_show(sw->labels[i].key, show));
			goto out;
		}
	}
	for (size_t i = 0; i < sw->n_addresses; i++) {
		before = graph_workload_address_count(w);
		graph_workload_add_address(w, &sw->addresses[i].prefix);
		if (graph_workload_address_count(w) == before) {
			/* the text was canonical: it is what the prefix formats to */
			ret = state_error(
				r, sw->addresses[i].mark, "addresses: duplicate address \"%s\"",
				state_show(util_prefix_format(&sw->addresses[i].prefix, text),
					   show));
			goto out;
		}
	}
	if (graph_find_workload(g, graph_workload_id(w))) {
		ret = state_error(r, sw->mark[WL_ID], "id: duplicate workload \"%s\"",
				  state_show(graph_workload_id(w), show));
		goto out;
	}
	(void)graph_add_workload(g, w);
	if (sw->seen & (1u << WL_FIRST_RUNNING))
		graph_note_running(g, w, sw->first_running, sw->last_running);
	ret = 0;
out:
	graph_workload_unref(w);
	return ret;
}

/* The current event is the MAPPING_START of one workload, for g. */
static int state_parse_workload(struct state_reader *r, void *g)
{
	struct state_workload sw = {.start = r->event.start};
	struct util_yaml_mark mark;
	const char *s = NULL;
	int ret, k;

	for (;;) {
		ret = state_read_key(r, "workload", state_workload_keys, WL_N, &k, NULL, &mark);
		if (ret < 0)
			goto out;
		if (ret == 0)
			break;
		if (sw.seen & (1u << k)) {
			ret = state_duplicate_key(r, mark, "workload", state_workload_keys[k]);
			goto out;
		}
		sw.seen |= 1u << k;
		sw.mark[k] = mark;
		if (k == WL_LABELS) {
			ret = state_parse_labels(r, &sw);
		} else if (k == WL_ADDRESSES) {
			ret = state_parse_addresses(r, &sw);
		} else if (k == WL_FIRST_RUNNING || k == WL_LAST_RUNNING) {
			ret = state_read_time(r, state_workload_keys[k],
					      k == WL_FIRST_RUNNING ? &sw.first_running
								    : &sw.last_running);
			sw.mark[k] = r->event.start;
		} else {
			ret = state_read_string(r, state_workload_keys[k], &s);
			if (ret == 0) {
				sw.field[k] = util_strdup(s);
				sw.mark[k] = r->event.start;
			}
		}
		if (ret < 0)
			goto out;
	}
	ret = state_add_workload(r, &sw, g);
out:
	state_workload_clear(&sw);
	return ret;
}

enum {
	EDGE_CLIENT = 0,
	EDGE_SERVER,
	EDGE_PROTOCOL,
	EDGE_PORT,
	EDGE_CONNECTIONS,
	EDGE_FIRST_SEEN,
	EDGE_LAST_SEEN,
	EDGE_NODES, /* merged states only */
	EDGE_N,
};

static const char *const state_edge_keys[EDGE_N] = {
	[EDGE_CLIENT] = "client",	    [EDGE_SERVER] = "server",
	[EDGE_PROTOCOL] = "protocol",	    [EDGE_PORT] = "port",
	[EDGE_CONNECTIONS] = "connections", [EDGE_FIRST_SEEN] = "first-seen",
	[EDGE_LAST_SEEN] = "last-seen",	    [EDGE_NODES] = "nodes",
};

/*
 * One node's counts on an edge (connections) or an attempt (refused, unanswered) of a merged
 * state.
 */
struct state_node_count {
	char *name;
	uint64_t n[2];
	struct util_yaml_mark mark; /* of the name */
};

/* A merged state's edge or attempt, as its nodes are checked against it. */
struct state_item_nodes {
	const char *item; /* "edge", "attempt" */
	const struct state_node_count *v;
	size_t n;
	bool present;
	struct util_yaml_mark start, mark; /* of the item, of its "nodes" */
	/* the totals the nodes add up to: "connections"; "refused" and "unanswered" */
	const char *const *names;
	const uint64_t *totals;
	const struct util_yaml_mark *marks;
	size_t n_totals;
};

/*
 * Edges are kept until the whole file is read so that they may precede their workloads. Most
 * need not be: see struct state_edges.
 */
struct state_edge {
	char *client, *server;
	const struct graph_workload *cw, *sw; /* found as read, early; then no text is kept */
	struct util_yaml_mark start, mark[EDGE_N];
	uint8_t proto;
	uint16_t port;
	uint64_t connections, first_ns, last_ns;
	struct state_node_count *nodes;
	size_t n_nodes;
	bool has_nodes;
};

/*
 * A state as flowlock writes it has its version, its node and its workloads before its edges,
 * and is no merged one. Then each edge whose workloads are known goes into the graph as it is
 * read (early), and only those that cannot are kept: in a file that loads, none is. Anything
 * that would have made an early edge come out otherwise (a "node" or "nodes" after the edges,
 * an edge twice) reads the file again with none early, so that what is loaded and every error
 * are the same as if all were kept: a kept edge fails for its workload or its nodes either way.
 */
struct state_edges {
	struct state_edge *v;
	size_t n, cap;
	struct graph *g; /* given while edges may go in early */
	size_t n_early;
};

static void state_edges_clear(struct state_edges *edges)
{
	for (size_t i = 0; i < edges->n; i++) {
		free(edges->v[i].client);
		free(edges->v[i].server);
		for (size_t j = 0; j < edges->v[i].n_nodes; j++)
			free(edges->v[i].nodes[j].name);
		free(edges->v[i].nodes);
	}
	free(edges->v);
}

/*
 * Reads the next key of a mapping of nodes that has n so far: 1 with the name (valid until the
 * next event), 0 at the end. The unnamed node is the quoted key "" (a bare empty key is YAML's
 * null).
 */
static int state_read_node_key(struct state_reader *r, const char *what, size_t n,
			       const char **ret_name, struct util_yaml_mark *ret_mark)
{
	char show[STATE_SHOW_LEN];
	const char *s = NULL;
	int ret;

	ret = state_read_key(r, what, NULL, 0, NULL, &s, ret_mark);
	if (ret <= 0)
		return ret;
	if (*s ? !graph_node_name_valid(s) : r->event.plain)
		return state_error(r, *ret_mark,
				   "%s: \"%s\" is not a node name (1 to 253 of [A-Za-z0-9._-], "
				   "alphanumeric first; \"\" for the unnamed node)",
				   what, state_show(s, show));
	if (n >= STATE_MAX_NODES)
		return state_error(r, *ret_mark, "%s: more than %d nodes", what, STATE_MAX_NODES);
	*ret_name = s;
	return 1;
}

/* An edge's "nodes": NODE -> connections. */
static int state_parse_edge_nodes(struct state_reader *r, struct state_edge *e)
{
	struct state_node_count *n;
	const char *s = NULL;
	struct util_yaml_mark mark;
	int ret;

	e->has_nodes = true;
	ret = state_next_expect(r, UTIL_YAML_EV_MAP_START, "nodes");
	if (ret < 0)
		return ret;
	for (;;) {
		ret = state_read_node_key(r, "nodes", e->n_nodes, &s, &mark);
		if (ret <= 0)
			return ret;
		e->nodes = util_reallocarray(e->nodes, e->n_nodes + 1, sizeof(*e->nodes));
		n = &e->nodes[e->n_nodes++];
		*n = (struct state_node_count){.name = util_strdup(s), .mark = mark};
		ret = state_read_u64(r, "nodes", UINT64_MAX, &n->n[0]);
		if (ret < 0)
			return ret;
	}
}

/* An edge's or attempt's client or server: a copy of the next string. */
static int state_read_id(struct state_reader *r, const char *what, char **ret)
{
	const char *s = NULL;
	int ret_read = state_read_string(r, what, &s);

	if (ret_read == 0)
		*ret = util_strdup(s);
	return ret_read;
}

/* An edge's client or server: the workload when early and it is known, else the text. */
static int state_read_edge_end(struct state_reader *r, const char *what, struct graph *g,
			       const struct graph_workload **ret_w, char **ret_id)
{
	const char *s = NULL;
	int ret = state_read_string(r, what, &s);

	if (ret < 0)
		return ret;
	*ret_w = g ? graph_find_workload(g, s) : NULL;
	if (!*ret_w)
		*ret_id = util_strdup(s);
	return 0;
}

/* An edge's or attempt's protocol, by name. */
static int state_read_protocol(struct state_reader *r, uint8_t *ret)
{
	char show[STATE_SHOW_LEN];
	const char *s = NULL;
	int ret_read = state_read_string(r, "protocol", &s);

	if (ret_read == 0 && util_proto_from_name(s, ret) < 0)
		return state_error(
			r, r->event.start,
			"protocol: unknown protocol \"%s\" (expected TCP, UDP, SCTP, ICMP "
			"or ICMPv6)",
			state_show(s, show));
	return ret_read;
}

/* The edge just read: into the graph now when it can go early, else kept. */
static int state_edge_early(struct state_reader *r, struct state_edges *edges, struct state_edge *e)
{
	size_t before;

	if (edges->g && e->cw && e->sw && !e->has_nodes) {
		before = graph_edge_count(edges->g);
		graph_add_edge(edges->g, e->cw, e->sw, e->proto, e->port, e->connections,
			       e->first_ns, e->last_ns);
		if (graph_edge_count(edges->g) == before) {
			/* twice: the error is the one a reading with every edge kept gives */
			r->no_early = true;
			return -EAGAIN;
		}
		edges->n--;
		edges->n_early++;
		return 0;
	}
	if (e->cw)
		e->client = util_strdup(graph_workload_id(e->cw));
	if (e->sw)
		e->server = util_strdup(graph_workload_id(e->sw));
	return 0;
}

/* The current event is the MAPPING_START of one edge, for the struct state_edges data. */
static int state_parse_edge(struct state_reader *r, void *data)
{
	struct state_edges *edges = data;
	char msg[STATE_MSG_LEN];
	struct state_edge *e;
	unsigned seen = 0;
	struct util_yaml_mark mark;
	uint64_t port = 0;
	int ret, k;

	if (edges->n == edges->cap) {
		edges->cap = edges->cap ? 2 * edges->cap : 64;
		edges->v = util_reallocarray(edges->v, edges->cap, sizeof(*edges->v));
	}
	e = &edges->v[edges->n++];
	*e = (struct state_edge){.start = r->event.start};
	for (;;) {
		ret = state_read_key(r, "edge", state_edge_keys, EDGE_N, &k, NULL, &mark);
		if (ret <= 0)
			break;
		if (seen & (1u << k))
			return state_duplicate_key(r, mark, "edge", state_edge_keys[k]);
		seen |= 1u << k;
		switch (k) {
		case EDGE_CLIENT:
			ret = state_read_edge_end(r, "client", edges->g, &e->cw, &e->client);
			break;
		case EDGE_SERVER:
			ret = state_read_edge_end(r, "server", edges->g, &e->sw, &e->server);
			break;
		case EDGE_PROTOCOL:
			ret = state_read_protocol(r, &e->proto);
			break;
		case EDGE_PORT:
			ret = state_read_u64(r, "port", UINT64_MAX, &port);
			break;
		case EDGE_CONNECTIONS:
			ret = state_read_u64(r, "connections", UINT64_MAX, &e->connections);
			break;
		case EDGE_FIRST_SEEN:
			ret = state_read_time(r, "first-seen", &e->first_ns);
			break;
		case EDGE_LAST_SEEN:
			ret = state_read_time(r, "last-seen", &e->last_ns);
			break;
		case EDGE_NODES:
			ret = state_parse_edge_nodes(r, e);
			break;
		}
		if (ret < 0)
			return ret;
		e->mark[k] = k == EDGE_NODES ? mark : r->event.start;
	}
	if (ret < 0)
		return ret;
	for (k = 0; k < EDGE_NODES; k++)
		if (!(seen & (1u << k)))
			return state_error(r, e->start, "edge: missing \"%s\"", state_edge_keys[k]);
	if (state_check_port(e->proto, port, msg) < 0)
		return state_error(r, e->mark[EDGE_PORT], "port: %s", msg);
	e->port = (uint16_t)port;
	if (e->last_ns < e->first_ns)
		return state_error(r, e->mark[EDGE_LAST_SEEN], "last-seen: before first-seen");
	return state_edge_early(r, edges, e);
}

enum {
	ATT_CLIENT = 0,
	ATT_SERVER,
	ATT_PROTOCOL,
	ATT_REFUSED,
	ATT_UNANSWERED,
	ATT_FIRST_SEEN,
	ATT_LAST_SEEN,
	ATT_PORTS, /* none for ICMP */
	ATT_NODES, /* merged states only */
	ATT_N,
};

static const char *const state_attempt_keys[ATT_N] = {
	[ATT_CLIENT] = "client",	 [ATT_SERVER] = "server",
	[ATT_PROTOCOL] = "protocol",	 [ATT_REFUSED] = "refused",
	[ATT_UNANSWERED] = "unanswered", [ATT_FIRST_SEEN] = "first-seen",
	[ATT_LAST_SEEN] = "last-seen",	 [ATT_PORTS] = "ports",
	[ATT_NODES] = "nodes",
};

/* Attempts, like edges, are kept until the whole file is read. */
struct state_attempt {
	char *client, *server;
	struct util_yaml_mark start, mark[ATT_N];
	uint8_t proto;
	uint64_t counts[2]; /* refused, unanswered */
	uint64_t first_ns, last_ns;
	uint16_t ports[GRAPH_ATTEMPT_PORTS];
	struct util_yaml_mark port_marks[GRAPH_ATTEMPT_PORTS];
	size_t n_ports;
	struct state_node_count *nodes;
	size_t n_nodes;
	bool has_nodes;
};

struct state_attempts {
	struct state_attempt *v;
	size_t n;
};

static void state_attempts_clear(struct state_attempts *attempts)
{
	for (size_t i = 0; i < attempts->n; i++) {
		free(attempts->v[i].client);
		free(attempts->v[i].server);
		for (size_t j = 0; j < attempts->v[i].n_nodes; j++)
			free(attempts->v[i].nodes[j].name);
		free(attempts->v[i].nodes);
	}
	free(attempts->v);
}

/* An attempt's example ports: a sequence of valid ports, ascending, each once. */
static int state_parse_attempt_ports(struct state_reader *r, struct state_attempt *a)
{
	uint64_t port;
	int ret;

	ret = state_next_expect(r, UTIL_YAML_EV_SEQ_START, "ports");
	if (ret < 0)
		return ret;
	for (;;) {
		ret = state_next(r);
		if (ret < 0)
			return ret;
		if (r->event.type == UTIL_YAML_EV_SEQ_END)
			return 0;
		ret = state_expect(r, UTIL_YAML_EV_SCALAR, "ports");
		if (ret < 0)
			return ret;
		if (a->n_ports == GRAPH_ATTEMPT_PORTS)
			return state_error(r, r->event.start, "ports: more than %d example ports",
					   GRAPH_ATTEMPT_PORTS);
		ret = state_scalar_u64(r, "ports", UINT16_MAX, &port);
		if (ret < 0)
			return ret;
		if (a->n_ports > 0 && port <= a->ports[a->n_ports - 1])
			return state_error(r, r->event.start,
					   "ports: %" PRIu64 " is not above the port before it "
					   "(ascending, each once)",
					   port);
		a->port_marks[a->n_ports] = r->event.start;
		a->ports[a->n_ports++] = (uint16_t)port;
	}
}

/* An attempt's "nodes": NODE -> {refused: N, unanswered: N}. */
static int state_parse_attempt_nodes(struct state_reader *r, struct state_attempt *a)
{
	static const char *const keys[] = {"refused", "unanswered"};
	struct state_node_count *n;
	const char *s = NULL;
	struct util_yaml_mark mark, key_mark;
	int ret, k;

	a->has_nodes = true;
	ret = state_next_expect(r, UTIL_YAML_EV_MAP_START, "nodes");
	if (ret < 0)
		return ret;
	for (;;) {
		unsigned seen = 0;

		ret = state_read_node_key(r, "nodes", a->n_nodes, &s, &mark);
		if (ret <= 0)
			return ret;
		a->nodes = util_reallocarray(a->nodes, a->n_nodes + 1, sizeof(*a->nodes));
		n = &a->nodes[a->n_nodes++];
		*n = (struct state_node_count){.name = util_strdup(s), .mark = mark};
		ret = state_next_expect(r, UTIL_YAML_EV_MAP_START, "nodes");
		if (ret < 0)
			return ret;
		while ((ret = state_read_key(r, "nodes", keys, UTIL_ARRAY_SIZE(keys), &k, NULL,
					     &key_mark)) > 0) {
			if (seen & (1u << k))
				return state_duplicate_key(r, key_mark, "nodes", keys[k]);
			seen |= 1u << k;
			ret = state_read_u64(r, keys[k], UINT64_MAX, &n->n[k]);
			if (ret < 0)
				return ret;
		}
		if (ret < 0)
			return ret;
		for (k = 0; k < 2; k++)
			if (!(seen & (1u << k)))
				return state_error(r, mark, "nodes: missing \"%s\"", keys[k]);
	}
}

/* The current event is the MAPPING_START of one attempt, for the struct state_attempts data. */
static int state_parse_attempt(struct state_reader *r, void *data)
{
	struct state_attempts *attempts = data;
	char msg[STATE_MSG_LEN];
	struct state_attempt *a;
	unsigned seen = 0;
	struct util_yaml_mark mark;
	int ret, k;

	if (attempts->n == GRAPH_MAX_ATTEMPTS)
		return state_error(r, r->event.start, "attempts: more than %d", GRAPH_MAX_ATTEMPTS);
	attempts->v = util_reallocarray(attempts->v, attempts->n + 1, sizeof(*attempts->v));
	a = &attempts->v[attempts->n++];
	*a = (struct state_attempt){.start = r->event.start};
	for (;;) {
		ret = state_read_key(r, "attempt", state_attempt_keys, ATT_N, &k, NULL, &mark);
		if (ret <= 0)
			break;
		if (seen & (1u << k))
			return state_duplicate_key(r, mark, "attempt", state_attempt_keys[k]);
		seen |= 1u << k;
		switch (k) {
		case ATT_CLIENT:
			ret = state_read_id(r, "client", &a->client);
			break;
		case ATT_SERVER:
			ret = state_read_id(r, "server", &a->server);
			break;
		case ATT_PROTOCOL:
			ret = state_read_protocol(r, &a->proto);
			break;
		case ATT_REFUSED:
		case ATT_UNANSWERED:
			ret = state_read_u64(r, state_attempt_keys[k], UINT64_MAX,
					     &a->counts[k - ATT_REFUSED]);
			break;
		case ATT_FIRST_SEEN:
			ret = state_read_time(r, "first-seen", &a->first_ns);
			break;
		case ATT_LAST_SEEN:
			ret = state_read_time(r, "last-seen", &a->last_ns);
			break;
		case ATT_PORTS:
			ret = state_parse_attempt_ports(r, a);
			break;
		case ATT_NODES:
			ret = state_parse_attempt_nodes(r, a);
			break;
		}
		if (ret < 0)
			return ret;
		a->mark[k] = k >= ATT_PORTS ? mark : r->event.start;
	}
	if (ret < 0)
		return ret;
	for (k = 0; k < ATT_PORTS; k++)
		if (!(seen & (1u << k)))
			return state_error(r, a->start, "attempt: missing \"%s\"",
					   state_attempt_keys[k]);
	if (a->counts[0] == 0 && a->counts[1] == 0)
		return state_error(r, a->mark[ATT_REFUSED],
				   "refused: an attempt was refused or unanswered at least once");
	if (a->n_ports > 0 && (a->proto == IPPROTO_ICMP || a->proto == IPPROTO_ICMPV6))
		return state_error(r, a->mark[ATT_PORTS], "ports: %s has no ports",
				   util_proto_name(a->proto));
	for (size_t i = 0; i < a->n_ports; i++)
		if (state_check_port(a->proto, a->ports[i], msg) < 0)
			return state_error(r, a->port_marks[i], "ports: %s", msg);
	if (a->last_ns < a->first_ns)
		return state_error(r, a->mark[ATT_LAST_SEEN], "last-seen: before first-seen");
	return 0;
}

/* A merged state's "nodes": NODE -> {counters: {...}}. */
struct state_node {
	char *name;
	struct util_yaml_mark mark; /* of the name */
	struct state_counters counters;
};

/* Everything but the workloads, which go straight into the graph. */
struct state_doc {
	struct state_counters counters;
	struct state_node *nodes;
	size_t n_nodes;
	bool has_nodes;
	struct util_yaml_mark nodes_mark;
	char *node; /* the one node that learned the state, or NULL */
	struct state_edges edges;
	struct state_attempts attempts;
	uint64_t (*windows)[2]; /* observed: from, until */
	size_t n_windows;
};

static void state_doc_clear(struct state_doc *doc)
{
	state_counters_clear(&doc->counters);
	for (size_t i = 0; i < doc->n_nodes; i++) {
		free(doc->nodes[i].name);
		state_counters_clear(&doc->nodes[i].counters);
	}
	free(doc->nodes);
	free(doc->node);
	free(doc->windows);
	state_edges_clear(&doc->edges);
	state_attempts_clear(&doc->attempts);
}

static int state_parse_node(struct state_reader *r, struct state_node *n)
{
	static const char *const keys[] = {"counters"};
	bool seen = false;
	struct util_yaml_mark mark;
	int ret, k;

	ret = state_next_expect(r, UTIL_YAML_EV_MAP_START, "nodes");
	if (ret < 0)
		return ret;
	for (;;) {
		ret = state_read_key(r, "nodes", keys, UTIL_ARRAY_SIZE(keys), &k, NULL, &mark);
		if (ret <= 0)
			return ret;
		if (seen)
			return state_duplicate_key(r, mark, "nodes", keys[k]);
		seen = true;
		ret = state_parse_counters(r, &n->counters);
		if (ret < 0)
			return ret;
	}
}

static int state_parse_nodes(struct state_reader *r, struct state_doc *doc)
{
	char show[STATE_SHOW_LEN];
	const char *s = NULL;
	struct util_yaml_mark mark;
	int ret;

	ret = state_next_expect(r, UTIL_YAML_EV_MAP_START, "nodes");
	if (ret < 0)
		return ret;
	for (;;) {
		ret = state_read_node_key(r, "nodes", doc->n_nodes, &s, &mark);
		if (ret <= 0)
			return ret;
		for (size_t i = 0; i < doc->n_nodes; i++)
			if (strcmp(doc->nodes[i].name, s) == 0)
				return state_duplicate_key(r, mark, "nodes", state_show(s, show));
		doc->nodes = util_reallocarray(doc->nodes, doc->n_nodes + 1, sizeof(*doc->nodes));
		doc->nodes[doc->n_nodes] =
			(struct state_node){.name = util_strdup(s), .mark = mark};
		doc->n_nodes++;
		ret = state_parse_node(r, &doc->nodes[doc->n_nodes - 1]);
		if (ret < 0)
			return ret;
	}
}

static void state_add_counters(struct graph *g, const struct state_counters *sc)
{
	for (size_t i = 0; i < sc->n; i++)
		graph_add_counter(g, sc->v[i].name, sc->v[i].value);
}

/*
 * A merged state's "counters" are what its nodes add up to. They are written for readers of
 * the file; a file where they disagree was edited, and which of the two is right is unknown.
 */
static int state_check_totals(struct state_reader *r, const struct state_counters *sc,
			      const struct graph *g)
{
	size_t n = graph_counter_count(g), i, j;

	for (i = 0; i < sc->n; i++) {
		for (j = 0; j < n; j++)
			if (strcmp(graph_counter_name(g, j), sc->v[i].name) == 0)
				break;
		if (j == n)
			return state_error(r, sc->v[i].mark,
					   "counters: \"%s\" is counted by no node in \"nodes\"",
					   sc->v[i].name);
		if (graph_counter_value(g, j) != sc->v[i].value)
			return state_error(r, sc->v[i].mark,
					   "counters: %s is %" PRIu64 ", but the nodes' add up to "
					   "%" PRIu64,
					   sc->v[i].name, sc->v[i].value,
					   graph_counter_value(g, j));
	}
	for (j = 0; j < n; j++) {
		for (i = 0; i < sc->n; i++)
			if (strcmp(graph_counter_name(g, j), sc->v[i].name) == 0)
				break;
		if (i == sc->n)
			return state_error(r, sc->mark,
					   "counters: missing \"%s\", which nodes count",
					   graph_counter_name(g, j));
	}
	return 0;
}

/* Whether g has a node called name (the node list is sorted). */
static bool state_graph_has_node(const struct graph *g, const char *name)
{
	size_t lo = 0, hi = graph_node_count(g);

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(graph_node_name(g, mid), name);

		if (c == 0)
			return true;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

static int state_node_count_cmp(const void *a, const void *b)
{
	const struct state_node_count *na = *(const struct state_node_count *const *)a;
	const struct state_node_count *nb = *(const struct state_node_count *const *)b;
	int c = strcmp(na->name, nb->name);

	if (c)
		return c;
	return na < nb ? -1 : na > nb; /* file order: the second of two is the duplicate */
}

/*
 * A merged state's edge or attempt: its nodes are checked (known, each once, adding up to the
 * item's totals) and returned sorted by name, the order the graph keeps them in.
 */
static int state_check_nodes(struct state_reader *r, const struct state_item_nodes *in,
			     const struct graph *g, const struct state_node_count ***ret_sorted)
{
	const struct state_node_count **v = NULL, *dup = NULL;
	char show[STATE_SHOW_LEN];
	uint64_t sum[2] = {0, 0};
	int ret = 0;

	if (!in->present)
		return state_error(r, in->start,
				   "%s: missing \"nodes\" (a merged state says which nodes saw "
				   "each %s)",
				   in->item, in->item);
	if (in->n == 0)
		return state_error(r, in->mark, "nodes: no node saw this %s", in->item);
	v = util_reallocarray(NULL, in->n, sizeof(*v));
	for (size_t i = 0; i < in->n; i++) {
		v[i] = &in->v[i];
		if (!state_graph_has_node(g, in->v[i].name)) {
			ret = state_error(r, in->v[i].mark,
					  "nodes: \"%s\" is not one of the state's \"nodes\"",
					  state_show(in->v[i].name, show));
			goto out;
		}
		for (size_t k = 0; k < in->n_totals; k++)
			sum[k] = sum[k] > UINT64_MAX - in->v[i].n[k] ? UINT64_MAX
								     : sum[k] + in->v[i].n[k];
	}
	qsort(v, in->n, sizeof(*v), state_node_count_cmp);
	for (size_t i = 1; i < in->n; i++)
		if (strcmp(v[i - 1]->name, v[i]->name) == 0 && (!dup || v[i] < dup))
			dup = v[i];
	if (dup) {
		ret = state_duplicate_key(r, dup->mark, "nodes", state_show(dup->name, show));
		goto out;
	}
	for (size_t k = 0; k < in->n_totals; k++) {
		if (sum[k] != in->totals[k]) {
			ret = state_error(r, in->marks[k],
					  "%s: %" PRIu64 ", but the %s's nodes add up to %" PRIu64,
					  in->names[k], in->totals[k], in->item, sum[k]);
			goto out;
		}
	}
	*ret_sorted = v;
	v = NULL;
out:
	free(v);
	return ret;
}

static int state_add_edges(struct state_reader *r, const struct state_edges *edges, struct graph *g,
			   bool merged)
{
	char show[STATE_SHOW_LEN], show2[STATE_SHOW_LEN];

	for (size_t i = 0; i < edges->n; i++) {
		const struct state_edge *e = &edges->v[i];
		const struct graph_workload *client, *server;
		const struct state_node_count **sorted = NULL;
		size_t before;
		int ret;

		client = graph_find_workload(g, e->client);
		if (!client)
			return state_error(r, e->mark[EDGE_CLIENT],
					   "client: undefined workload \"%s\"",
					   state_show(e->client, show));
		server = graph_find_workload(g, e->server);
		if (!server)
			return state_error(r, e->mark[EDGE_SERVER],
					   "server: undefined workload \"%s\"",
					   state_show(e->server, show));
		if (!merged && e->has_nodes)
			return state_error(r, e->mark[EDGE_NODES],
					   "nodes: only a merged state (one with top-level "
					   "\"nodes\") has nodes on its edges");
		if (merged) {
			static const char *const names[] = {"connections"};
			struct state_item_nodes in = {
				.item = "edge",
				.v = e->nodes,
				.n = e->n_nodes,
				.present = e->has_nodes,
				.start = e->start,
				.mark = e->mark[EDGE_NODES],
				.names = names,
				.totals = &e->connections,
				.marks = &e->mark[EDGE_CONNECTIONS],
				.n_totals = 1,
			};

			ret = state_check_nodes(r, &in, g, &sorted);
			if (ret < 0)
				return ret;
		}
		before = graph_edge_count(g);
		for (size_t j = 0; j < (merged ? e->n_nodes : 1); j++) {
			uint64_t n = merged ? sorted[j]->n[0] : e->connections;

			if (merged)
				(void)graph_use_node(g, sorted[j]->name);
			graph_add_edge(g, client, server, e->proto, e->port, n, e->first_ns,
				       e->last_ns);
			if (j == 0 && graph_edge_count(g) == before)
				break;
		}
		free(sorted);
		if (graph_edge_count(g) == before)
			return state_error(r, e->start, "duplicate edge %s -> %s %s/%u",
					   state_show(e->client, show),
					   state_show(e->server, show2), util_proto_name(e->proto),
					   e->port);
	}
	return 0;
}

static int state_add_attempts(struct state_reader *r, const struct state_attempts *attempts,
			      struct graph *g, bool merged)
{
	static const char *const names[] = {"refused", "unanswered"};
	char show[STATE_SHOW_LEN], show2[STATE_SHOW_LEN];

	for (size_t i = 0; i < attempts->n; i++) {
		const struct state_attempt *a = &attempts->v[i];
		const struct graph_workload *client, *server;
		const struct state_node_count **sorted = NULL;
		size_t before;
		int ret;

		client = graph_find_workload(g, a->client);
		if (!client)
			return state_error(r, a->mark[ATT_CLIENT],
					   "client: undefined workload \"%s\"",
					   state_show(a->client, show));
		server = graph_find_workload(g, a->server);
		if (!server)
			return state_error(r, a->mark[ATT_SERVER],
					   "server: undefined workload \"%s\"",
					   state_show(a->server, show));
		if (!merged && a->has_nodes)
			return state_error(r, a->mark[ATT_NODES],
					   "nodes: only a merged state (one with top-level "
					   "\"nodes\") has nodes on its attempts");
		if (merged) {
			struct state_item_nodes in = {
				.item = "attempt",
				.v = a->nodes,
				.n = a->n_nodes,
				.present = a->has_nodes,
				.start = a->start,
				.mark = a->mark[ATT_NODES],
				.names = names,
				.totals = a->counts,
				.marks = &a->mark[ATT_REFUSED],
				.n_totals = 2,
			};

			ret = state_check_nodes(r, &in, g, &sorted);
			if (ret < 0)
				return ret;
		}
		before = graph_attempt_count(g);
		for (size_t j = 0; j < (merged ? a->n_nodes : 1); j++) {
			const uint64_t *n = merged ? sorted[j]->n : a->counts;

			if (merged)
				(void)graph_use_node(g, sorted[j]->name);
			/* At most GRAPH_MAX_ATTEMPTS were read: there is room for each. */
			(void)graph_add_attempt(g, client, server, a->proto, a->ports,
						j == 0 ? a->n_ports : 0, n[0], n[1], a->first_ns,
						a->last_ns);
			if (j == 0 && graph_attempt_count(g) == before)
				break;
		}
		free(sorted);
		if (graph_attempt_count(g) == before)
			return state_error(r, a->start, "duplicate attempt %s -> %s %s",
					   state_show(a->client, show),
					   state_show(a->server, show2), util_proto_name(a->proto));
	}
	return 0;
}

/* What the file said, now that it is all read, goes into g. */
static int state_build(struct state_reader *r, struct state_doc *doc, struct graph *g)
{
	int ret;

	if (doc->has_nodes && doc->node)
		return state_error(r, doc->nodes_mark,
				   "nodes: a state has \"node\" (learned by one node) or \"nodes\" "
				   "(merged), not both");
	if (doc->has_nodes && doc->n_nodes < 2)
		return state_error(r, doc->nodes_mark,
				   "nodes: a merged state has at least two nodes (one node is "
				   "written \"node: NAME\")");
	if (doc->node)
		(void)graph_use_node(g, doc->node);
	for (size_t i = 0; i < doc->n_windows; i++)
		graph_add_window(g, doc->windows[i][0], doc->windows[i][1]);
	if (!doc->has_nodes) {
		state_add_counters(g, &doc->counters);
		ret = state_add_edges(r, &doc->edges, g, false);
		if (ret == 0)
			ret = state_add_attempts(r, &doc->attempts, g, false);
		goto out;
	}
	for (size_t i = 0; i < doc->n_nodes; i++) {
		(void)graph_use_node(g, doc->nodes[i].name);
		state_add_counters(g, &doc->nodes[i].counters);
	}
	ret = state_check_totals(r, &doc->counters, g);
	if (ret < 0)
		return ret;
	ret = state_add_edges(r, &doc->edges, g, true);
	if (ret < 0)
		return ret;
	ret = state_add_attempts(r, &doc->attempts, g, true);
	if (ret < 0)
		return ret;
	/* Learning into a merged state without --node counts for the unnamed node. */
	(void)graph_use_node(g, NULL);
out:
	/*
	 * Version 1 kept no window: what its edges saw is the least it watched. Nor did it keep who
	 * ran: it wrote a policy for every workload, so every workload counts as running over that
	 * window, and a state learned before keeps its policies.
	 */
	if (ret == 0 && r->version == 1) {
		uint64_t from, until;
		size_t n;

		for (size_t i = 0; i < doc->edges.n; i++)
			graph_add_window(g, doc->edges.v[i].first_ns, doc->edges.v[i].last_ns);
		n = graph_window_count(g);
		if (n == 0)
			return 0;
		graph_window(g, 0, &from, NULL);
		graph_window(g, n - 1, NULL, &until);
		for (size_t i = 0; i < graph_workload_count(g); i++)
			graph_note_running(g, graph_workload(g, i), from, until);
	}
	return ret;
}

enum {
	ROOT_VERSION = 0,
	ROOT_NODE,
	ROOT_COUNTERS,
	ROOT_NODES,
	ROOT_OBSERVED,
	ROOT_WORKLOADS,
	ROOT_EDGES,
	ROOT_ATTEMPTS,
	ROOT_N,
};

static const char *const state_root_keys[ROOT_N] = {
	[ROOT_VERSION] = "flowlock-state",
	[ROOT_NODE] = "node",
	[ROOT_COUNTERS] = "counters",
	[ROOT_NODES] = "nodes",
	[ROOT_OBSERVED] = "observed",
	[ROOT_WORKLOADS] = "workloads",
	[ROOT_EDGES] = "edges",
	[ROOT_ATTEMPTS] = "attempts",
};

static int state_parse_node_name(struct state_reader *r, struct state_doc *doc)
{
	char show[STATE_SHOW_LEN];
	const char *s = NULL;
	int ret;

	ret = state_read_string(r, "node", &s);
	if (ret < 0)
		return ret;
	if (!graph_node_name_valid(s))
		return state_error(r, r->event.start,
				   "node: \"%s\" is not a node name (1 to 253 of [A-Za-z0-9._-], "
				   "alphanumeric first)",
				   state_show(s, show));
	doc->node = util_strdup(s);
	return 0;
}

/* One span of the observation window: {from: TIME, until: TIME}. */
static int state_parse_window(struct state_reader *r, void *data)
{
	static const char *const keys[] = {"from", "until"};
	struct state_doc *doc = data;
	uint64_t v[2] = {0, 0};
	struct util_yaml_mark start = r->event.start, mark, until_mark = start;
	unsigned seen = 0;
	int ret, k;

	if (doc->n_windows == GRAPH_MAX_WINDOWS)
		return state_error(r, start, "observed: more than %d spans", GRAPH_MAX_WINDOWS);
	for (;;) {
		ret = state_read_key(r, "observed", keys, UTIL_ARRAY_SIZE(keys), &k, NULL, &mark);
		if (ret < 0)
			return ret;
		if (ret == 0)
			break;
		if (seen & (1u << k))
			return state_duplicate_key(r, mark, "observed", keys[k]);
		seen |= 1u << k;
		ret = state_read_time(r, keys[k], &v[k]);
		if (ret < 0)
			return ret;
		if (k == 1)
			until_mark = r->event.start;
	}
	for (k = 0; k < 2; k++)
		if (!(seen & (1u << k)))
			return state_error(r, start, "observed: missing \"%s\"", keys[k]);
	if (v[1] < v[0])
		return state_error(r, until_mark, "until: before from");
	doc->windows = util_reallocarray(doc->windows, doc->n_windows + 1, sizeof(*doc->windows));
	doc->windows[doc->n_windows][0] = v[0];
	doc->windows[doc->n_windows][1] = v[1];
	doc->n_windows++;
	return 0;
}

/* The current event starts a value to be skipped: a scalar, or a whole collection. */
static int state_skip_value(struct state_reader *r)
{
	size_t depth = 0;
	int ret;

	ret = state_next(r);
	for (;;) {
		if (ret < 0)
			return ret;
		switch (r->event.type) {
		case UTIL_YAML_EV_SEQ_START:
		case UTIL_YAML_EV_MAP_START:
			depth++;
			break;
		case UTIL_YAML_EV_SEQ_END:
		case UTIL_YAML_EV_MAP_END:
			depth--;
			break;
		default:
			break;
		}
		if (depth == 0)
			return 0;
		ret = state_next(r);
	}
}

static int state_read_version(struct state_reader *r)
{
	uint64_t version;
	int ret;

	ret = state_read_u64(r, state_root_keys[ROOT_VERSION], UINT64_MAX, &version);
	if (ret < 0)
		return ret;
	if (version < 1 || version > GRAPH_STATE_VERSION)
		return state_error(r, r->event.start,
				   "unsupported state version %" PRIu64
				   " (this flowlock reads 1 to %d)",
				   version, GRAPH_STATE_VERSION);
	r->version = (unsigned)version;
	return 0;
}

/*
 * The version comes first, so that a newer file is refused for that and nothing else. A state
 * that went through a tool which sorts keys (PyYAML) has it elsewhere: then the top-level keys
 * are skimmed for it first (-EAGAIN: the caller reads the file again from its start, with the
 * version known and the keys in any order).
 */
static int state_find_version(struct state_reader *r)
{
	char show[STATE_SHOW_LEN], first_key[STATE_SHOW_LEN];
	struct util_yaml_mark mark, first = {0};
	const char *s = NULL;
	bool have_first = false;
	int ret;

	for (;;) {
		ret = state_read_key(r, "state", NULL, 0, NULL, &s, &mark);
		if (ret < 0)
			return ret;
		if (ret == 0)
			break;
		if (strcmp(s, state_root_keys[ROOT_VERSION]) == 0) {
			ret = state_read_version(r);
			if (ret < 0)
				return ret;
			if (!have_first)
				return 0; /* first, as written */
			r->any_order = true;
			return -EAGAIN;
		}
		if (!have_first) {
			first = mark;
			have_first = true;
			snprintf(first_key, sizeof(first_key), "%s", state_show(s, show));
		}
		ret = state_skip_value(r);
		if (ret < 0)
			return ret;
	}
	return state_error(r, have_first ? first : r->event.start,
			   "not a flowlock state file: expected \"%s\" as the first key%s%s%s",
			   state_root_keys[ROOT_VERSION], have_first ? ", got \"" : "",
			   have_first ? first_key : "", have_first ? "\"" : "");
}

static int state_parse_root(struct state_reader *r, struct graph *g, struct state_doc *doc)
{
	unsigned seen = 0;
	struct util_yaml_mark mark;
	int ret, k;

	if (!r->any_order) {
		ret = state_find_version(r);
		if (ret < 0)
			return ret;
		seen |= 1u << ROOT_VERSION;
	}
	for (;;) {
		ret = state_read_key(r, "state", state_root_keys, ROOT_N, &k, NULL, &mark);
		if (ret <= 0)
			return ret;
		if (seen & (1u << k))
			return state_duplicate_key(r, mark, "state", state_root_keys[k]);
		seen |= 1u << k;
		switch (k) {
		case ROOT_VERSION:
			ret = state_read_version(r); /* found by state_find_version() already */
			break;
		case ROOT_NODE:
			if (doc->edges.n_early)
				goto again;
			ret = state_parse_node_name(r, doc);
			break;
		case ROOT_COUNTERS:
			ret = state_parse_counters(r, &doc->counters);
			break;
		case ROOT_NODES:
			if (doc->edges.n_early)
				goto again;
			doc->has_nodes = true;
			doc->nodes_mark = mark;
			ret = state_parse_nodes(r, doc);
			break;
		case ROOT_OBSERVED:
			ret = state_parse_list(r, "observed", state_parse_window, doc);
			break;
		case ROOT_WORKLOADS:
			ret = state_parse_list(r, "workloads", state_parse_workload, g);
			break;
		case ROOT_EDGES:
			if (!r->no_early && r->version >= 2 && !doc->has_nodes &&
			    (seen & (1u << ROOT_WORKLOADS))) {
				doc->edges.g = g;
				/* what state_build() does first, before these edges count */
				if (doc->node)
					(void)graph_use_node(g, doc->node);
			}
			ret = state_parse_list(r, "edges", state_parse_edge, &doc->edges);
			doc->edges.g = NULL;
			break;
		case ROOT_ATTEMPTS:
			if (r->version < 3) {
				ret = state_error(r, mark,
						  "attempts: only a version 3 state has them (this "
						  "one is version %u)",
						  r->version);
				break;
			}
			ret = state_parse_list(r, "attempts", state_parse_attempt, &doc->attempts);
			break;
		default:
			ret = -EINVAL;
			break;
		}
		if (ret < 0)
			return ret;
	}
again:
	r->no_early = true;
	return -EAGAIN;
}

static int state_parse(struct state_reader *r, struct graph *g)
{
	struct state_doc doc = {0};
	int ret;

	ret = state_next_expect(r, UTIL_YAML_EV_STREAM_START, "state");
	if (ret < 0)
		goto out;
	/* The look-ahead limit counts bytes against characters: only right for UTF-8. */
	if (!r->event.utf8) {
		ret = state_error(r, r->event.start, "not UTF-8: a state file is UTF-8");
		goto out;
	}
	ret = state_next(r);
	if (ret < 0)
		goto out;
	if (r->event.type == UTIL_YAML_EV_STREAM_END) {
		ret = util_err_set(r->err, EINVAL, "%s: empty state file", r->path);
		goto out;
	}
	ret = state_next(r);
	if (ret < 0)
		goto out;
	if (r->event.type != UTIL_YAML_EV_MAP_START) {
		ret = state_error(r, r->event.start, "expected a mapping at the top, got %s",
				  state_event_what(r->event.type));
		goto out;
	}
	ret = state_parse_root(r, g, &doc);
	if (ret < 0)
		goto out;
	ret = state_next_expect(r, UTIL_YAML_EV_DOC_END, "state");
	if (ret < 0)
		goto out;
	ret = state_next(r);
	if (ret < 0)
		goto out;
	if (r->event.type != UTIL_YAML_EV_STREAM_END) {
		ret = state_error(r, r->event.start,
				  "a state file holds one YAML document, found another");
		goto out;
	}
	ret = state_build(r, &doc, g);
out:
	state_doc_clear(&doc);
	return ret;
}

int graph_state_load(const char *path, struct graph **ret_value, struct util_err *err)
{
	struct state_reader r = {.path = path, .err = err};
	const struct util_yaml_stream_opts opts = {
		.max_input = STATE_MAX_FILE,
		.max_lookahead = STATE_MAX_LOOKAHEAD,
		.fault = state_fault,
		.userdata = &r,
	};
	struct graph *g = NULL;
	struct stat st;
	int ret;

	r.f = fopen(path, "re");
	if (!r.f)
		return util_err_set(err, errno, "%s: %s", path, strerror(errno));
	if (fstat(fileno(r.f), &st) < 0) {
		ret = util_err_set(err, errno, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = util_err_set(err, EINVAL, "%s: not a regular file", path);
		goto out;
	}
	if ((uint64_t)st.st_size > STATE_MAX_FILE) {
		ret = util_err_set(err, EINVAL, "%s: state file too large (more than %llu bytes)",
				   path, STATE_MAX_FILE);
		goto out;
	}
	/* again when the version is not the first key, and when early edges went wrong */
	for (int pass = 0; pass < 3; pass++) {
		ret = util_yaml_stream_open(r.f, NULL, 0, &opts, &r.stream);
		if (ret < 0)
			goto out;
		g = graph_new();
		ret = state_parse(&r, g);
		if (ret != -EAGAIN)
			break;
		/* read again, now that the version is known or with no early edges */
		graph_free(g);
		g = NULL;
		r.stream = util_yaml_stream_close(r.stream);
		if (fseek(r.f, 0, SEEK_SET) < 0) {
			ret = util_err_set(err, errno, "%s: %s", path, strerror(errno));
			goto out;
		}
	}
	if (ret < 0)
		goto out;
	*ret_value = g;
	g = NULL;
out:
	graph_free(g);
	util_yaml_stream_close(r.stream);
	fclose(r.f);
	return ret;
}
