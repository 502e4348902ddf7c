/* SPDX-License-Identifier: Apache-2.0 */
/* graph-state-save.c - writing the state file: the same bytes for the same graph, atomically. */
#include "graph/graph-private.h"

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
#include <yaml.h>

/* ---- Saving ------------------------------------------------------------------------------- */

/*
 * The emitter writes into memory; the first failure is kept and later events are dropped, so
 * the rendering code reads straight through and checks once at the end.
 */
struct state_out {
	yaml_emitter_t emitter;
	char *buf;
	size_t len, cap;
	const char *problem;
};

static int state_write(void *data, unsigned char *buffer, size_t size)
{
	struct state_out *o = data;

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

static void out_event(struct state_out *o, yaml_event_t *ev, int initialized)
{
	if (!initialized) {
		if (!o->problem)
			o->problem = "cannot build a YAML event";
		return;
	}
	if (o->problem) {
		yaml_event_delete(ev);
		return;
	}
	/* yaml_emitter_emit() owns the event from here, failed or not. */
	if (!yaml_emitter_emit(&o->emitter, ev))
		o->problem = o->emitter.problem ? o->emitter.problem : "YAML emitter failed";
}

static void out_scalar(struct state_out *o, const char *s, yaml_scalar_style_t style)
{
	yaml_event_t ev;

	out_event(o, &ev,
		  yaml_scalar_event_initialize(&ev, NULL, NULL, (const yaml_char_t *)s,
					       (int)strlen(s), 1, 1, style));
}

/*
 * Plain only when the text cannot read back as anything but a string in YAML 1.1 or 1.2 (no
 * null, bool, number or date), otherwise double-quoted. Conservative: a digit first is only
 * plain with a '/' in it (CIDRs), which no YAML number or date has.
 */
static bool state_plain_safe(const char *s)
{
	static const char *const words[] = {"y",     "n",  "yes", "no",	 "true",
					    "false", "on", "off", "null"};
	size_t n = strlen(s);

	if (n == 0 || !state_is_alnum(s[0]) || s[n - 1] == ':')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!state_is_alnum(s[i]) && !strchr("._/:-", s[i]))
			return false;
	if (state_is_digit(s[0]))
		return strchr(s, '/') != NULL;
	if (n > 5) /* longer than any of the words */
		return true;
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(words); i++)
		if (strcasecmp(s, words[i]) == 0)
			return false;
	return true;
}

static void out_str(struct state_out *o, const char *s)
{
	out_scalar(o, s,
		   state_plain_safe(s) ? YAML_PLAIN_SCALAR_STYLE : YAML_DOUBLE_QUOTED_SCALAR_STYLE);
}

static void out_u64(struct state_out *o, uint64_t v)
{
	char buf[UTIL_U64_LEN];

	(void)util_u64_format(v, buf);
	out_scalar(o, buf, YAML_PLAIN_SCALAR_STYLE);
}

static void out_time(struct state_out *o, uint64_t ns)
{
	char buf[UTIL_TIME_LEN];

	util_time_format(ns, buf);
	/* quoted: PyYAML and yq would read a plain one as a date and write it back another way */
	out_scalar(o, buf, YAML_DOUBLE_QUOTED_SCALAR_STYLE);
}

static void out_key(struct state_out *o, const char *key)
{
	out_scalar(o, key, YAML_PLAIN_SCALAR_STYLE);
}

static void out_mapping_start(struct state_out *o)
{
	yaml_event_t ev;

	out_event(
		o, &ev,
		yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE));
}

/* A short mapping on one line: {refused: 1, unanswered: 0}. */
static void out_flow_mapping_start(struct state_out *o)
{
	yaml_event_t ev;

	out_event(o, &ev,
		  yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_FLOW_MAPPING_STYLE));
}

static void out_mapping_end(struct state_out *o)
{
	yaml_event_t ev;

	out_event(o, &ev, yaml_mapping_end_event_initialize(&ev));
}

static void out_sequence_start(struct state_out *o)
{
	yaml_event_t ev;

	out_event(o, &ev,
		  yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
						       YAML_BLOCK_SEQUENCE_STYLE));
}

/* A short list of numbers on one line: [22, 23, 80]. */
static void out_flow_sequence_start(struct state_out *o)
{
	yaml_event_t ev;

	out_event(
		o, &ev,
		yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, YAML_FLOW_SEQUENCE_STYLE));
}

static void out_sequence_end(struct state_out *o)
{
	yaml_event_t ev;

	out_event(o, &ev, yaml_sequence_end_event_initialize(&ev));
}

/* Refuses what graph_state_load() would refuse, so that a saved state always loads. */
static int state_check_graph(const struct graph *g, const char *path, struct util_err *err)
{
	char msg[STATE_MSG_LEN], show[STATE_SHOW_LEN];
	int field;

	for (size_t i = 0; i < graph_counter_count(g); i++)
		if (!graph_counter_name_valid(graph_counter_name(g, i)))
			return util_err_set(err, EINVAL, "%s: cannot save counter \"%s\": bad name",
					    path, state_show(graph_counter_name(g, i), show));
	if (graph_node_count(g) > STATE_MAX_NODES)
		return util_err_set(err, EINVAL, "%s: cannot save more than %d nodes", path,
				    STATE_MAX_NODES);
	for (size_t i = 0; i < graph_workload_count(g); i++) {
		const struct graph_workload *w = graph_workload(g, i);
		int ret = state_check_identity(graph_workload_kind(w), graph_workload_namespace(w),
					       graph_workload_controller(w), graph_workload_name(w),
					       msg, &field);

		if (ret == 0 && graph_workload_label_count(w) > 0 &&
		    graph_workload_kind(w) != GRAPH_KIND_K8S &&
		    graph_workload_kind(w) != GRAPH_KIND_DOCKER) {
			snprintf(msg, sizeof(msg), "labels are not allowed for kind %s",
				 graph_kind_name(graph_workload_kind(w)));
			ret = -EINVAL;
		}
		if (graph_workload_label_count(w) > STATE_MAX_LABELS ||
		    graph_workload_address_count(w) > STATE_MAX_ADDRESSES) {
			snprintf(msg, sizeof(msg), "too many labels or addresses");
			ret = -EINVAL;
		}
		for (size_t j = 0; ret == 0 && j < graph_workload_label_count(w); j++)
			ret = state_check_label(graph_workload_label_key(w, j),
						graph_workload_label_value(w, j), msg);
		for (size_t j = 0; ret == 0 && j < graph_workload_address_count(w); j++)
			ret = state_check_address(graph_workload_address(w, j), msg);
		if (ret < 0)
			return util_err_set(err, EINVAL, "%s: cannot save workload \"%s\": %s",
					    path, state_show(graph_workload_id(w), show), msg);
	}
	for (size_t i = 0; i < graph_edge_count(g); i++) {
		const struct graph_edge *e = graph_edge(g, i);
		int ret = state_check_port(graph_edge_proto(e), graph_edge_port(e), msg);

		if (ret == 0 && graph_edge_last_ns(e) < graph_edge_first_ns(e)) {
			snprintf(msg, sizeof(msg), "last seen before first seen");
			ret = -EINVAL;
		}
		if (ret < 0)
			return util_err_set(err, EINVAL, "%s: cannot save edge %s -> %s: %s", path,
					    graph_workload_id(graph_edge_client(e)),
					    graph_workload_id(graph_edge_server(e)), msg);
	}
	for (size_t i = 0; i < graph_attempt_count(g); i++) {
		const struct graph_attempt *a = graph_attempt(g, i);
		uint8_t proto = graph_attempt_proto(a);
		int ret = 0;

		/* what state_parse_attempt() would refuse */
		if (!util_proto_name(proto)) {
			snprintf(msg, sizeof(msg), "unsupported protocol %u", proto);
			ret = -EINVAL;
		} else if (graph_attempt_last_ns(a) < graph_attempt_first_ns(a)) {
			snprintf(msg, sizeof(msg), "last seen before first seen");
			ret = -EINVAL;
		} else if (graph_attempt_refused(a) == 0 && graph_attempt_unanswered(a) == 0) {
			snprintf(msg, sizeof(msg), "neither refused nor unanswered");
			ret = -EINVAL;
		}
		for (size_t j = 0; ret == 0 && j < graph_attempt_port_count(a); j++)
			ret = state_check_port(proto, graph_attempt_port(a, j), msg);
		if (ret < 0)
			return util_err_set(err, EINVAL, "%s: cannot save attempt %s -> %s: %s",
					    path, graph_workload_id(graph_attempt_client(a)),
					    graph_workload_id(graph_attempt_server(a)), msg);
	}
	return 0;
}

static void state_render_workload(struct state_out *o, const struct graph *g,
				  const struct graph_workload *w)
{
	uint64_t first, last;

	out_mapping_start(o);
	out_key(o, "id");
	out_str(o, graph_workload_id(w));
	out_key(o, "kind");
	out_str(o, graph_kind_name(graph_workload_kind(w)));
	if (*graph_workload_namespace(w)) {
		out_key(o, "namespace");
		out_str(o, graph_workload_namespace(w));
	}
	if (*graph_workload_controller(w)) {
		out_key(o, "controller");
		out_str(o, graph_workload_controller(w));
	}
	out_key(o, "name");
	out_str(o, graph_workload_name(w));
	if (graph_workload_label_count(w) > 0) {
		out_key(o, "labels");
		out_mapping_start(o);
		for (size_t i = 0; i < graph_workload_label_count(w); i++) {
			out_str(o, graph_workload_label_key(w, i));
			out_str(o, graph_workload_label_value(w, i));
		}
		out_mapping_end(o);
	}
	if (graph_workload_address_count(w) > 0) {
		out_key(o, "addresses");
		out_sequence_start(o);
		for (size_t i = 0; i < graph_workload_address_count(w); i++)
			out_str(o, graph_workload_address(w, i));
		out_sequence_end(o);
	}
	if (graph_workload_running(g, w, &first, &last)) {
		out_key(o, "first-running");
		out_time(o, first);
		out_key(o, "last-running");
		out_time(o, last);
	}
	out_mapping_end(o);
}

static void state_render_edge(struct state_out *o, const struct graph_edge *e, bool merged)
{
	out_mapping_start(o);
	out_key(o, "client");
	out_str(o, graph_workload_id(graph_edge_client(e)));
	out_key(o, "server");
	out_str(o, graph_workload_id(graph_edge_server(e)));
	out_key(o, "protocol");
	out_str(o, util_proto_name(graph_edge_proto(e)));
	out_key(o, "port");
	out_u64(o, graph_edge_port(e));
	out_key(o, "connections");
	out_u64(o, graph_edge_connections(e));
	out_key(o, "first-seen");
	out_time(o, graph_edge_first_ns(e));
	out_key(o, "last-seen");
	out_time(o, graph_edge_last_ns(e));
	if (merged) {
		out_key(o, "nodes");
		out_mapping_start(o);
		for (size_t i = 0; i < graph_edge_node_count(e); i++) {
			out_str(o, graph_edge_node_name(e, i));
			out_u64(o, graph_edge_node_connections(e, i));
		}
		out_mapping_end(o);
	}
	out_mapping_end(o);
}

static void state_render_attempt(struct state_out *o, const struct graph_attempt *a, bool merged)
{
	uint64_t refused, unanswered;

	out_mapping_start(o);
	out_key(o, "client");
	out_str(o, graph_workload_id(graph_attempt_client(a)));
	out_key(o, "server");
	out_str(o, graph_workload_id(graph_attempt_server(a)));
	out_key(o, "protocol");
	out_str(o, util_proto_name(graph_attempt_proto(a)));
	if (graph_attempt_port_count(a) > 0) {
		out_key(o, "ports");
		out_flow_sequence_start(o);
		for (size_t i = 0; i < graph_attempt_port_count(a); i++)
			out_u64(o, graph_attempt_port(a, i));
		out_sequence_end(o);
	}
	out_key(o, "refused");
	out_u64(o, graph_attempt_refused(a));
	out_key(o, "unanswered");
	out_u64(o, graph_attempt_unanswered(a));
	out_key(o, "first-seen");
	out_time(o, graph_attempt_first_ns(a));
	out_key(o, "last-seen");
	out_time(o, graph_attempt_last_ns(a));
	if (merged) {
		out_key(o, "nodes");
		out_mapping_start(o);
		for (size_t i = 0; i < graph_attempt_node_count(a); i++) {
			graph_attempt_node_counts(a, i, &refused, &unanswered);
			out_str(o, graph_attempt_node_name(a, i));
			out_flow_mapping_start(o);
			out_key(o, "refused");
			out_u64(o, refused);
			out_key(o, "unanswered");
			out_u64(o, unanswered);
			out_mapping_end(o);
		}
		out_mapping_end(o);
	}
	out_mapping_end(o);
}

/* A merged state: each node's own counters, from which the totals above are summed. */
static void state_render_nodes(struct state_out *o, const struct graph *g)
{
	uint64_t v;

	out_key(o, "nodes");
	out_mapping_start(o);
	for (size_t i = 0; i < graph_node_count(g); i++) {
		out_str(o, graph_node_name(g, i));
		out_mapping_start(o);
		out_key(o, "counters");
		out_mapping_start(o);
		for (size_t j = 0; j < graph_counter_count(g); j++) {
			if (graph_counter_node_value(g, j, i, &v) < 0)
				continue;
			out_str(o, graph_counter_name(g, j));
			out_u64(o, v);
		}
		out_mapping_end(o);
		out_mapping_end(o);
	}
	out_mapping_end(o);
}

static void state_render(struct state_out *o, const struct graph *g)
{
	/* One node (or none) is written as before merging existed: old states stay the same. */
	bool merged = graph_node_count(g) > 1;
	yaml_event_t ev;

	out_event(o, &ev, yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING));
	out_event(o, &ev, yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1));
	out_mapping_start(o);

	out_key(o, "flowlock-state");
	out_u64(o, graph_attempt_count(g) > 0 ? GRAPH_STATE_VERSION : 2);
	if (graph_node_count(g) == 1 && *graph_node_name(g, 0)) {
		out_key(o, "node");
		out_str(o, graph_node_name(g, 0));
	}

	out_key(o, "counters");
	out_mapping_start(o);
	for (size_t i = 0; i < graph_counter_count(g); i++) {
		out_str(o, graph_counter_name(g, i));
		out_u64(o, graph_counter_value(g, i));
	}
	out_mapping_end(o);
	if (merged)
		state_render_nodes(o, g);

	if (graph_window_count(g) > 0) {
		out_key(o, "observed");
		out_sequence_start(o);
		for (size_t i = 0; i < graph_window_count(g); i++) {
			uint64_t from, until;

			graph_window(g, i, &from, &until);
			out_mapping_start(o);
			out_key(o, "from");
			out_time(o, from);
			out_key(o, "until");
			out_time(o, until);
			out_mapping_end(o);
		}
		out_sequence_end(o);
	}

	out_key(o, "workloads");
	out_sequence_start(o);
	for (size_t i = 0; i < graph_workload_count(g); i++)
		state_render_workload(o, g, graph_workload(g, i));
	out_sequence_end(o);

	out_key(o, "edges");
	out_sequence_start(o);
	for (size_t i = 0; i < graph_edge_count(g); i++)
		state_render_edge(o, graph_edge(g, i), merged);
	out_sequence_end(o);

	/* Only when there are any: a state without them stays version 2, byte for byte. */
	if (graph_attempt_count(g) > 0) {
		out_key(o, "attempts");
		out_sequence_start(o);
		for (size_t i = 0; i < graph_attempt_count(g); i++)
			state_render_attempt(o, graph_attempt(g, i), merged);
		out_sequence_end(o);
	}

	out_mapping_end(o);
	out_event(o, &ev, yaml_document_end_event_initialize(&ev, 1));
	out_event(o, &ev, yaml_stream_end_event_initialize(&ev));
	if (!o->problem && !yaml_emitter_flush(&o->emitter))
		o->problem = o->emitter.problem ? o->emitter.problem : "YAML emitter failed";
}

static int state_dir_open(const char *path)
{
	char *dir = util_strdup(path), *slash = strrchr(dir, '/');
	const char *d = ".";
	int fd;

	if (slash == dir)
		d = "/";
	else if (slash) {
		*slash = '\0';
		d = dir;
	}
	fd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		fd = -errno;
	free(dir);
	return fd;
}

/*
 * Removes temporary files of path that a save killed mid-way (kill -9, a crash) left behind:
 * PATH.tmp.XXXXXX, a regular file not touched for STATE_TMP_STALE_S. A save writes and renames
 * its own in far less, so a live writer's file is never taken. Best effort: errors are ignored.
 */
static void state_sweep_stale(const char *path)
{
	const char *slash = strrchr(path, '/'), *base = slash ? slash + 1 : path;
	size_t n = strlen(base);
	time_t cutoff = time(NULL) - STATE_TMP_STALE_S;
	int fd = state_dir_open(path);
	struct dirent *de;
	DIR *dir;

	if (fd < 0)
		return;
	dir = fdopendir(fd);
	if (!dir) {
		close(fd);
		return;
	}
	while ((de = readdir(dir)) != NULL) {
		struct stat st;

		if (strlen(de->d_name) != n + strlen(".tmp.XXXXXX") ||
		    strncmp(de->d_name, base, n) != 0 || strncmp(de->d_name + n, ".tmp.", 5) != 0)
			continue;
		if (fstatat(dirfd(dir), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISREG(st.st_mode) && st.st_mtime < cutoff)
			(void)unlinkat(dirfd(dir), de->d_name, 0);
	}
	closedir(dir);
}

int graph_state_save(const struct graph *g, const char *path, struct util_err *err)
{
	struct state_out o = {0};
	int ret;

	ret = state_check_graph(g, path, err);
	if (ret < 0)
		return ret;

	if (!yaml_emitter_initialize(&o.emitter))
		return util_err_set(err, ENOMEM, "%s: out of memory", path);
	yaml_emitter_set_output(&o.emitter, state_write, &o);
	yaml_emitter_set_unicode(&o.emitter, 1);
	yaml_emitter_set_width(&o.emitter, -1); /* never fold a long id over two lines */
	yaml_emitter_set_indent(&o.emitter, 2);
	yaml_emitter_set_break(&o.emitter, YAML_LN_BREAK);
	state_render(&o, g);
	yaml_emitter_delete(&o.emitter);
	if (o.problem) {
		ret = util_err_set(err, EINVAL, "%s: cannot render YAML: %s", path, o.problem);
		goto out;
	}

	/*
	 * The state describes the cluster's topology, not secrets: readable like the policies. An
	 * existing state keeps the mode the user chose.
	 */
	ret = util_file_replace(path, o.buf, o.len, 0644, err);
	if (ret == 0)
		state_sweep_stale(path);
out:
	free(o.buf);
	return ret;
}
