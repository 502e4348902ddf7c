/* SPDX-License-Identifier: Apache-2.0 */
/* graph-state-save.c - writing the state file: the same bytes for the same graph, atomically. */
#include "graph/graph-private.h"
#include "util/util-yaml.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- Saving ------------------------------------------------------------------------------- */

#define STATE_OUT_FLAGS (UTIL_YAML_OUT_ADDRESSES | UTIL_YAML_OUT_ONE_DOCUMENT)

/* Quoted: PyYAML and yq would read a plain time as a date and write it back another way. */
static void out_time(struct util_yaml_out *o, uint64_t ns)
{
	char buf[UTIL_TIME_LEN];

	util_time_format(ns, buf);
	util_yaml_out_quoted(o, buf);
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

static void state_render_workload(struct util_yaml_out *o, const struct graph *g,
				  const struct graph_workload *w)
{
	uint64_t first, last;

	util_yaml_out_map_start(o);
	util_yaml_out_key(o, "id");
	util_yaml_out_str(o, graph_workload_id(w));
	util_yaml_out_key(o, "kind");
	util_yaml_out_str(o, graph_kind_name(graph_workload_kind(w)));
	if (*graph_workload_namespace(w)) {
		util_yaml_out_key(o, "namespace");
		util_yaml_out_str(o, graph_workload_namespace(w));
	}
	if (*graph_workload_controller(w)) {
		util_yaml_out_key(o, "controller");
		util_yaml_out_str(o, graph_workload_controller(w));
	}
	util_yaml_out_key(o, "name");
	util_yaml_out_str(o, graph_workload_name(w));
	if (graph_workload_label_count(w) > 0) {
		util_yaml_out_key(o, "labels");
		util_yaml_out_map_start(o);
		for (size_t i = 0; i < graph_workload_label_count(w); i++) {
			util_yaml_out_str(o, graph_workload_label_key(w, i));
			util_yaml_out_str(o, graph_workload_label_value(w, i));
		}
		util_yaml_out_map_end(o);
	}
	if (graph_workload_address_count(w) > 0) {
		util_yaml_out_key(o, "addresses");
		util_yaml_out_seq_start(o);
		for (size_t i = 0; i < graph_workload_address_count(w); i++)
			util_yaml_out_str(o, graph_workload_address(w, i));
		util_yaml_out_seq_end(o);
	}
	if (graph_workload_running(g, w, &first, &last)) {
		util_yaml_out_key(o, "first-running");
		out_time(o, first);
		util_yaml_out_key(o, "last-running");
		out_time(o, last);
	}
	util_yaml_out_map_end(o);
}

static void state_render_edge(struct util_yaml_out *o, const struct graph_edge *e, bool merged)
{
	util_yaml_out_map_start(o);
	util_yaml_out_key(o, "client");
	util_yaml_out_str(o, graph_workload_id(graph_edge_client(e)));
	util_yaml_out_key(o, "server");
	util_yaml_out_str(o, graph_workload_id(graph_edge_server(e)));
	util_yaml_out_key(o, "protocol");
	util_yaml_out_str(o, util_proto_name(graph_edge_proto(e)));
	util_yaml_out_key(o, "port");
	util_yaml_out_u64(o, graph_edge_port(e));
	util_yaml_out_key(o, "connections");
	util_yaml_out_u64(o, graph_edge_connections(e));
	util_yaml_out_key(o, "first-seen");
	out_time(o, graph_edge_first_ns(e));
	util_yaml_out_key(o, "last-seen");
	out_time(o, graph_edge_last_ns(e));
	if (merged) {
		util_yaml_out_key(o, "nodes");
		util_yaml_out_map_start(o);
		for (size_t i = 0; i < graph_edge_node_count(e); i++) {
			util_yaml_out_str(o, graph_edge_node_name(e, i));
			util_yaml_out_u64(o, graph_edge_node_connections(e, i));
		}
		util_yaml_out_map_end(o);
	}
	util_yaml_out_map_end(o);
}

static void state_render_attempt(struct util_yaml_out *o, const struct graph_attempt *a,
				 bool merged)
{
	uint64_t refused, unanswered;

	util_yaml_out_map_start(o);
	util_yaml_out_key(o, "client");
	util_yaml_out_str(o, graph_workload_id(graph_attempt_client(a)));
	util_yaml_out_key(o, "server");
	util_yaml_out_str(o, graph_workload_id(graph_attempt_server(a)));
	util_yaml_out_key(o, "protocol");
	util_yaml_out_str(o, util_proto_name(graph_attempt_proto(a)));
	if (graph_attempt_port_count(a) > 0) {
		util_yaml_out_key(o, "ports");
		util_yaml_out_flow_seq_start(o);
		for (size_t i = 0; i < graph_attempt_port_count(a); i++)
			util_yaml_out_u64(o, graph_attempt_port(a, i));
		util_yaml_out_seq_end(o);
	}
	util_yaml_out_key(o, "refused");
	util_yaml_out_u64(o, graph_attempt_refused(a));
	util_yaml_out_key(o, "unanswered");
	util_yaml_out_u64(o, graph_attempt_unanswered(a));
	util_yaml_out_key(o, "first-seen");
	out_time(o, graph_attempt_first_ns(a));
	util_yaml_out_key(o, "last-seen");
	out_time(o, graph_attempt_last_ns(a));
	if (merged) {
		util_yaml_out_key(o, "nodes");
		util_yaml_out_map_start(o);
		for (size_t i = 0; i < graph_attempt_node_count(a); i++) {
			graph_attempt_node_counts(a, i, &refused, &unanswered);
			util_yaml_out_str(o, graph_attempt_node_name(a, i));
			util_yaml_out_flow_map_start(o);
			util_yaml_out_key(o, "refused");
			util_yaml_out_u64(o, refused);
			util_yaml_out_key(o, "unanswered");
			util_yaml_out_u64(o, unanswered);
			util_yaml_out_map_end(o);
		}
		util_yaml_out_map_end(o);
	}
	util_yaml_out_map_end(o);
}

/* A merged state: each node's own counters, from which the totals above are summed. */
static void state_render_nodes(struct util_yaml_out *o, const struct graph *g)
{
	uint64_t v;

	util_yaml_out_key(o, "nodes");
	util_yaml_out_map_start(o);
	for (size_t i = 0; i < graph_node_count(g); i++) {
		util_yaml_out_str(o, graph_node_name(g, i));
		util_yaml_out_map_start(o);
		util_yaml_out_key(o, "counters");
		util_yaml_out_map_start(o);
		for (size_t j = 0; j < graph_counter_count(g); j++) {
			if (graph_counter_node_value(g, j, i, &v) < 0)
				continue;
			util_yaml_out_str(o, graph_counter_name(g, j));
			util_yaml_out_u64(o, v);
		}
		util_yaml_out_map_end(o);
		util_yaml_out_map_end(o);
	}
	util_yaml_out_map_end(o);
}

/* The attempts, when there are any: a state without them stays version 2, byte for byte. */
static void state_render_attempts(struct util_yaml_out *o, const struct graph *g, bool merged)
{
	if (graph_attempt_count(g) == 0)
		return;
	util_yaml_out_key(o, "attempts");
	util_yaml_out_seq_start(o);
	for (size_t i = 0; i < graph_attempt_count(g); i++)
		state_render_attempt(o, graph_attempt(g, i), merged);
	util_yaml_out_seq_end(o);
}

/* One node (or none) is written as before merging existed: old states stay the same. */
static bool state_merged(const struct graph *g)
{
	return graph_node_count(g) > 1;
}

/* The state up to its edge cut (not included), and what follows only when cut is all. */
static void state_render(struct util_yaml_out *o, const struct graph *g, size_t cut)
{
	bool merged = state_merged(g);

	util_yaml_out_document_start(o);
	util_yaml_out_map_start(o);

	util_yaml_out_key(o, "flowlock-state");
	util_yaml_out_u64(o, graph_attempt_count(g) > 0 ? GRAPH_STATE_VERSION : 2);
	if (graph_node_count(g) == 1 && *graph_node_name(g, 0)) {
		util_yaml_out_key(o, "node");
		util_yaml_out_str(o, graph_node_name(g, 0));
	}

	util_yaml_out_key(o, "counters");
	util_yaml_out_map_start(o);
	for (size_t i = 0; i < graph_counter_count(g); i++) {
		util_yaml_out_str(o, graph_counter_name(g, i));
		util_yaml_out_u64(o, graph_counter_value(g, i));
	}
	util_yaml_out_map_end(o);
	if (merged)
		state_render_nodes(o, g);

	if (graph_window_count(g) > 0) {
		util_yaml_out_key(o, "observed");
		util_yaml_out_seq_start(o);
		for (size_t i = 0; i < graph_window_count(g); i++) {
			uint64_t from, until;

			graph_window(g, i, &from, &until);
			util_yaml_out_map_start(o);
			util_yaml_out_key(o, "from");
			out_time(o, from);
			util_yaml_out_key(o, "until");
			out_time(o, until);
			util_yaml_out_map_end(o);
		}
		util_yaml_out_seq_end(o);
	}

	util_yaml_out_key(o, "workloads");
	util_yaml_out_seq_start(o);
	for (size_t i = 0; i < graph_workload_count(g); i++)
		state_render_workload(o, g, graph_workload(g, i));
	util_yaml_out_seq_end(o);

	util_yaml_out_key(o, "edges");
	util_yaml_out_seq_start(o);
	for (size_t i = 0; i < cut; i++)
		state_render_edge(o, graph_edge(g, i), merged);
	util_yaml_out_seq_end(o);
	if (cut == graph_edge_count(g))
		state_render_attempts(o, g, merged);

	util_yaml_out_map_end(o);
	util_yaml_out_document_end(o);
}

/*
 * A big state is rendered on two threads. libyaml writes the items of the edges' sequence (the
 * value of a top-level key, so not indented) with the same bytes as the items of a sequence that
 * is a document of its own, and writes nothing at the end of a block collection or of an
 * implicit document. So the text can be cut before an edge: this thread writes the state up to
 * it, another renders the edges from it on as a sequence of their own into a memfd (the fresh
 * pages of a buffer of ours, faulted in one by one, made it twice as slow), which is appended,
 * and the attempts follow as a mapping of their own. The cut is where the two halves take about
 * as long (a workload costs about 0.6 of an edge, measured on the node's mix); test-state
 * compares the text cut before every edge of a small graph with the text of one emitter.
 */
#define STATE_SPLIT_MIN 4096 /* edges: fewer, and a thread costs more than it saves */

/* Renders into fd through one emitter, its output written as it fills; 0 or -errno. */
static int state_write_one(int fd, int *write_errno, const char **problem,
			   void (*render)(struct util_yaml_out *o, const void *arg),
			   const void *arg)
{
	struct util_yaml_out *o;

	if (util_yaml_out_open_fd(fd, STATE_OUT_FLAGS, write_errno, &o) < 0)
		return -ENOMEM;
	render(o, arg);
	return util_yaml_out_close(o, NULL, NULL, problem);
}

struct state_part {
	const struct graph *g;
	size_t from; /* the first edge */
	int fd;	     /* a memfd */
	int r, write_errno;
	const char *problem;
};

static void state_render_part(struct util_yaml_out *o, const void *arg)
{
	const struct state_part *p = arg;

	util_yaml_out_document_start(o);
	util_yaml_out_seq_start(o);
	for (size_t i = p->from; i < graph_edge_count(p->g); i++)
		state_render_edge(o, graph_edge(p->g, i), state_merged(p->g));
	util_yaml_out_seq_end(o);
	util_yaml_out_document_end(o);
}

size_t graph_state_split(const struct graph *g)
{
	size_t n = graph_edge_count(g), w = graph_workload_count(g) * 3 / 5;

	if (n < STATE_SPLIT_MIN)
		return 0;
	return w >= n - 2 ? 1 : (n - w) / 2;
}

struct state_until {
	const struct graph *g;
	size_t until;
};

static void state_render_until(struct util_yaml_out *o, const void *arg)
{
	const struct state_until *u = arg;

	state_render(o, u->g, u->until);
}

static void state_render_rest(struct util_yaml_out *o, const void *arg)
{
	const struct graph *g = arg;

	util_yaml_out_document_start(o);
	util_yaml_out_map_start(o);
	state_render_attempts(o, g, state_merged(g));
	util_yaml_out_map_end(o);
	util_yaml_out_document_end(o);
}

static void *state_part_main(void *arg)
{
	struct state_part *p = arg;

	p->r = state_write_one(p->fd, &p->write_errno, &p->problem, state_render_part, p);
	return NULL;
}

/* Appends the whole of from (a memfd, from its start) to fd; 0 or -errno. */
static int state_append(int fd, int from)
{
	char buf[65536];
	off_t at = 0;

	for (;;) {
		ssize_t n = pread(from, buf, sizeof(buf), at);
		int r;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : 0;
		r = util_write_all(fd, buf, (size_t)n);
		if (r < 0)
			return r;
		at += n;
	}
}

int graph_state_write(const struct graph *g, int fd, size_t split, int *write_errno,
		      const char **problem)
{
	struct state_until head = {g, graph_edge_count(g)};
	struct state_part part = {.g = g, .from = split, .fd = -1};
	sigset_t all, old;
	pthread_t thread;
	bool threaded;
	int r;

	*problem = NULL;
	*write_errno = 0;
	if (split > 0 && split < head.until)
		part.fd = memfd_create("flowlock-state", MFD_CLOEXEC);
	if (part.fd < 0)
		return state_write_one(fd, write_errno, problem, state_render_until, &head);
	/*
	 * Both threads read the graph's sorted view of its edges: built before the second starts
	 * (graph_edge() builds it when it is due). Signals stay with the caller's thread.
	 */
	head.until = split;
	(void)graph_edge(g, 0);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	threaded = pthread_create(&thread, NULL, state_part_main, &part) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!threaded)
		(void)state_part_main(&part);
	r = state_write_one(fd, write_errno, problem, state_render_until, &head);
	if (threaded)
		pthread_join(thread, NULL);
	if (r == 0 && part.r < 0) {
		r = part.r;
		*write_errno = part.write_errno;
		*problem = part.problem;
	}
	if (r == 0) {
		r = state_append(fd, part.fd);
		if (r < 0)
			*write_errno = -r;
	}
	close(part.fd);
	if (r == 0 && graph_attempt_count(g) > 0)
		r = state_write_one(fd, write_errno, problem, state_render_rest, g);
	return r;
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
	int fd = util_file_dir_open(path);
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
	struct util_file *f;
	const char *problem;
	int ret, write_errno;

	ret = state_check_graph(g, path, err);
	if (ret < 0)
		return ret;

	/*
	 * The state describes the cluster's topology, not secrets: readable like the policies. An
	 * existing state keeps the mode the user chose. It is written to its temporary file as it
	 * is rendered (a big one is megabytes), and replaces the old one only once whole.
	 */
	ret = util_file_begin(path, 0644, &f, err);
	if (ret < 0)
		return ret;
	ret = graph_state_write(g, util_file_fd(f), graph_state_split(g), &write_errno, &problem);
	if (ret < 0) {
		util_file_abort(f);
		if (write_errno)
			return util_err_set(err, write_errno, "%s: writing: %s", path,
					    strerror(write_errno));
		if (ret == -ENOMEM)
			return util_err_set(err, ENOMEM, "%s: out of memory", path);
		return util_err_set(err, EINVAL, "%s: cannot render YAML: %s", path,
				    problem ? problem : "YAML emitter failed");
	}
	ret = util_file_commit(f, NULL, 0, err);
	if (ret == 0)
		state_sweep_stale(path);
	return ret;
}
