/* SPDX-License-Identifier: Apache-2.0 */
/* emit-json.c - the graph as JSON for other tools, written by libyaml's emitter in flow style. */
#include "emit/emit.h"
#include "util/util-yaml.h"

#include <errno.h>
#include <string.h>

/* libyaml writes a longer mapping key as "? key" (YAML's complex key), which JSON has not. */
#define JSON_KEY_MAX 128

struct json_ctx {
	struct util_yaml_out *y;
	struct util_err *err;
};

/* Strings may come from anywhere in the graph: what JSON cannot hold is refused, not mangled. */
static void json_str(struct json_ctx *c, const char *s)
{
	if (util_yaml_out_error(c->y) < 0)
		return;
	if (emit_json_width(s) < 0) {
		util_yaml_out_fail(c->y, util_err_set(c->err, EINVAL,
						      "json: a string holds a control character or "
						      "invalid UTF-8 (%zu bytes); not written",
						      strlen(s)));
		return;
	}
	util_yaml_out_str(c->y, s);
}

static void json_key(struct json_ctx *c, const char *s)
{
	if (util_yaml_out_error(c->y) < 0)
		return;
	if (strlen(s) > JSON_KEY_MAX) {
		util_yaml_out_fail(c->y,
				   util_err_set(c->err, EINVAL,
						"json: key \"%.40s...\" is longer than %d bytes, "
						"which libyaml cannot write as a JSON key",
						s, JSON_KEY_MAX));
		return;
	}
	json_str(c, s);
}

static void json_kv_str(struct json_ctx *c, const char *key, const char *value)
{
	json_key(c, key);
	json_str(c, value);
}

static void json_kv_uint(struct json_ctx *c, const char *key, uint64_t value)
{
	json_key(c, key);
	util_yaml_out_u64(c->y, value);
}

static void json_kv_time(struct json_ctx *c, const char *key, uint64_t ns)
{
	char buf[UTIL_TIME_LEN];

	util_time_format(ns, buf);
	json_kv_str(c, key, buf);
}

static void json_workload(struct json_ctx *c, const struct graph_workload *w)
{
	util_yaml_out_map_start(c->y);
	json_kv_str(c, "id", graph_workload_id(w));
	json_kv_str(c, "kind", graph_kind_name(graph_workload_kind(w)));
	json_kv_str(c, "namespace", graph_workload_namespace(w));
	json_kv_str(c, "controller", graph_workload_controller(w));
	json_kv_str(c, "name", graph_workload_name(w));
	json_key(c, "labels");
	util_yaml_out_map_start(c->y);
	for (size_t i = 0; i < graph_workload_label_count(w); i++)
		json_kv_str(c, graph_workload_label_key(w, i), graph_workload_label_value(w, i));
	util_yaml_out_map_end(c->y);
	json_key(c, "addresses");
	util_yaml_out_seq_start(c->y);
	for (size_t i = 0; i < graph_workload_address_count(w); i++)
		json_str(c, graph_workload_address(w, i));
	util_yaml_out_seq_end(c->y);
	util_yaml_out_map_end(c->y);
}

static void json_edge(struct json_ctx *c, const struct graph_edge *e)
{
	const char *proto = util_proto_name(graph_edge_proto(e));
	char buf[8];

	if (!proto) {
		/* kept a string either way, so readers see one type */
		snprintf(buf, sizeof(buf), "%u", (unsigned)graph_edge_proto(e));
		proto = buf;
	}
	util_yaml_out_map_start(c->y);
	json_kv_str(c, "client", graph_workload_id(graph_edge_client(e)));
	json_kv_str(c, "server", graph_workload_id(graph_edge_server(e)));
	json_kv_str(c, "protocol", proto);
	json_kv_uint(c, "port", graph_edge_port(e));
	json_kv_uint(c, "connections", graph_edge_connections(e));
	json_kv_time(c, "first_seen", graph_edge_first_ns(e));
	json_kv_time(c, "last_seen", graph_edge_last_ns(e));
	util_yaml_out_map_end(c->y);
}

int emit_json(FILE *out, const struct graph *g, const struct emit_options *opts,
	      struct util_err *err)
{
	struct json_ctx c = {.err = err};
	int r;

	r = util_yaml_out_open(out, UTIL_YAML_OUT_JSON, "the JSON output", err, &c.y);
	if (r < 0)
		return r;
	util_yaml_out_document_start(c.y);
	util_yaml_out_map_start(c.y);
	json_kv_uint(&c, "version", 1);

	json_key(&c, "workloads");
	util_yaml_out_seq_start(c.y);
	for (size_t i = 0; i < graph_workload_count(g); i++)
		json_workload(&c, graph_workload(g, i));
	util_yaml_out_seq_end(c.y);

	json_key(&c, "edges");
	util_yaml_out_seq_start(c.y);
	for (size_t i = 0; i < graph_edge_count(g); i++)
		json_edge(&c, graph_edge(g, i));
	util_yaml_out_seq_end(c.y);

	json_key(&c, "counters");
	util_yaml_out_map_start(c.y);
	for (size_t i = 0; i < graph_counter_count(g); i++)
		json_kv_uint(&c, graph_counter_name(g, i), graph_counter_value(g, i));
	util_yaml_out_map_end(c.y);

	util_yaml_out_map_end(c.y);
	util_yaml_out_document_end(c.y);
	return util_yaml_out_close(c.y, NULL, NULL, NULL);
}
