/* SPDX-License-Identifier: Apache-2.0 */
/* emit-json.c - the graph as JSON for other tools, written by libyaml's emitter in flow style. */
#include "emit/emit.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <yaml.h>

/* libyaml writes a longer mapping key as "? key" (YAML's complex key), which JSON has not. */
#define JSON_KEY_MAX 128

struct json_ctx {
	yaml_emitter_t emitter;
	struct util_err *err;
	int r; /* the first failure; later emits do nothing */
};

/*
 * Whether libyaml's double-quoted style writes s as valid JSON: with unicode on it writes
 * U+0020..U+007E and most of the BMP as they are and escapes the rest, but several of its
 * escapes (\0 \a \v \e \x.. \N \_ \L \P \U........) are not JSON. So the characters that would
 * need one are refused: C0 and C1 controls, DEL, U+2028/U+2029, anything beyond the BMP, and
 * invalid UTF-8. None of these can be in a validated graph.
 */
static bool json_string_ok(const char *s)
{
	while (*s) {
		uint32_t cp;
		size_t n = util_utf8_next(s, &cp);

		if (n == 0 || util_is_control(cp) || cp > 0xffff || cp == 0x2028 || cp == 0x2029)
			return false;
		s += n;
	}
	return true;
}

static void json_emit(struct json_ctx *c, yaml_event_t *ev)
{
	if (c->r < 0) {
		yaml_event_delete(ev);
		return;
	}
	if (!yaml_emitter_emit(&c->emitter, ev))
		c->r = util_err_set(c->err, EIO, "cannot write the JSON output: %s",
				    c->emitter.problem ? c->emitter.problem : "unknown error");
}

static void json_str(struct json_ctx *c, const char *s)
{
	yaml_event_t ev;

	if (c->r < 0)
		return;
	if (!json_string_ok(s)) {
		c->r = util_err_set(c->err, EINVAL,
				    "json: a string holds a control character or invalid UTF-8 "
				    "(%zu bytes); not written",
				    strlen(s));
		return;
	}
	yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s, (int)strlen(s), 0, 1,
				     YAML_DOUBLE_QUOTED_SCALAR_STYLE);
	json_emit(c, &ev);
}

static void json_key(struct json_ctx *c, const char *s)
{
	if (c->r < 0)
		return;
	if (strlen(s) > JSON_KEY_MAX) {
		c->r = util_err_set(c->err, EINVAL,
				    "json: key \"%.40s...\" is longer than %d bytes, which libyaml "
				    "cannot write as a JSON key",
				    s, JSON_KEY_MAX);
		return;
	}
	json_str(c, s);
}

static void json_uint(struct json_ctx *c, uint64_t v)
{
	char buf[24];
	yaml_event_t ev;

	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)buf, (int)strlen(buf), 1, 0,
				     YAML_PLAIN_SCALAR_STYLE);
	json_emit(c, &ev);
}

static void json_kv_str(struct json_ctx *c, const char *key, const char *value)
{
	json_key(c, key);
	json_str(c, value);
}

static void json_kv_uint(struct json_ctx *c, const char *key, uint64_t value)
{
	json_key(c, key);
	json_uint(c, value);
}

static void json_kv_time(struct json_ctx *c, const char *key, uint64_t ns)
{
	char buf[UTIL_TIME_LEN];

	util_time_format(ns, buf);
	json_kv_str(c, key, buf);
}

static void json_object_start(struct json_ctx *c)
{
	yaml_event_t ev;

	yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_FLOW_MAPPING_STYLE);
	json_emit(c, &ev);
}

static void json_object_end(struct json_ctx *c)
{
	yaml_event_t ev;

	yaml_mapping_end_event_initialize(&ev);
	json_emit(c, &ev);
}

static void json_array_start(struct json_ctx *c)
{
	yaml_event_t ev;

	yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, YAML_FLOW_SEQUENCE_STYLE);
	json_emit(c, &ev);
}

static void json_array_end(struct json_ctx *c)
{
	yaml_event_t ev;

	yaml_sequence_end_event_initialize(&ev);
	json_emit(c, &ev);
}

static void json_workload(struct json_ctx *c, const struct learn_workload *w)
{
	json_object_start(c);
	json_kv_str(c, "id", learn_workload_id(w));
	json_kv_str(c, "kind", learn_kind_name(learn_workload_kind(w)));
	json_kv_str(c, "namespace", learn_workload_namespace(w));
	json_kv_str(c, "controller", learn_workload_controller(w));
	json_kv_str(c, "name", learn_workload_name(w));
	json_key(c, "labels");
	json_object_start(c);
	for (size_t i = 0; i < learn_workload_label_count(w); i++)
		json_kv_str(c, learn_workload_label_key(w, i), learn_workload_label_value(w, i));
	json_object_end(c);
	json_key(c, "addresses");
	json_array_start(c);
	for (size_t i = 0; i < learn_workload_address_count(w); i++)
		json_str(c, learn_workload_address(w, i));
	json_array_end(c);
	json_object_end(c);
}

static void json_edge(struct json_ctx *c, const struct learn_edge *e)
{
	const char *proto = util_proto_name(learn_edge_proto(e));
	char buf[8];

	if (!proto) {
		/* kept a string either way, so readers see one type */
		snprintf(buf, sizeof(buf), "%u", (unsigned)learn_edge_proto(e));
		proto = buf;
	}
	json_object_start(c);
	json_kv_str(c, "client", learn_workload_id(learn_edge_client(e)));
	json_kv_str(c, "server", learn_workload_id(learn_edge_server(e)));
	json_kv_str(c, "protocol", proto);
	json_kv_uint(c, "port", learn_edge_port(e));
	json_kv_uint(c, "connections", learn_edge_connections(e));
	json_kv_time(c, "first_seen", learn_edge_first_ns(e));
	json_kv_time(c, "last_seen", learn_edge_last_ns(e));
	json_object_end(c);
}

int emit_json(FILE *out, const struct learn_graph *g, const struct emit_options *opts,
	      struct util_err *err)
{
	struct json_ctx c = {.err = err};
	yaml_event_t ev;

	if (!yaml_emitter_initialize(&c.emitter))
		return util_err_set(err, ENOMEM, "cannot set up the YAML emitter");
	yaml_emitter_set_output_file(&c.emitter, out);
	yaml_emitter_set_unicode(&c.emitter, 1);
	yaml_emitter_set_width(&c.emitter, -1); /* a line break inside a string is not JSON */

	yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
	json_emit(&c, &ev);
	yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1);
	json_emit(&c, &ev);
	json_object_start(&c);
	json_kv_uint(&c, "version", 1);

	json_key(&c, "workloads");
	json_array_start(&c);
	for (size_t i = 0; i < learn_graph_workload_count(g); i++)
		json_workload(&c, learn_graph_workload(g, i));
	json_array_end(&c);

	json_key(&c, "edges");
	json_array_start(&c);
	for (size_t i = 0; i < learn_graph_edge_count(g); i++)
		json_edge(&c, learn_graph_edge(g, i));
	json_array_end(&c);

	json_key(&c, "counters");
	json_object_start(&c);
	for (size_t i = 0; i < learn_graph_counter_count(g); i++)
		json_kv_uint(&c, learn_graph_counter_name(g, i), learn_graph_counter_value(g, i));
	json_object_end(&c);

	json_object_end(&c);
	yaml_document_end_event_initialize(&ev, 1);
	json_emit(&c, &ev);
	yaml_stream_end_event_initialize(&ev);
	json_emit(&c, &ev);
	if (c.r == 0 && (fflush(out) != 0 || ferror(out)))
		c.r = util_err_set(err, EIO, "cannot write the JSON output: %s", strerror(errno));
	yaml_emitter_delete(&c.emitter);
	return c.r;
}
