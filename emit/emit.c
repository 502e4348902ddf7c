/* SPDX-License-Identifier: Apache-2.0 */
/* emit.c - picks a renderer by name and writes its output only once it has all succeeded. */
#include "emit/emit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

typedef int (*emit_fn)(FILE *out, const struct graph *g, const struct emit_options *opts,
		       struct util_err *err);

static const struct {
	const char *name;
	emit_fn fn;
} emit_formats[] = {
	[EMIT_FORMAT_K8S] = {"k8s", emit_k8s},
	[EMIT_FORMAT_DOT] = {"dot", emit_dot},
	[EMIT_FORMAT_JSON] = {"json", emit_json},
	[EMIT_FORMAT_TABLE] = {"table", emit_table},
	[EMIT_FORMAT_NFTABLES] = {"nftables", emit_nftables},
};

int emit_format_from_name(const char *name, enum emit_format *ret)
{
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(emit_formats); i++) {
		if (strcmp(emit_formats[i].name, name) == 0) {
			*ret = (enum emit_format)i;
			return 0;
		}
	}
	return -EINVAL;
}

int emit_graph(enum emit_format format, FILE *out, const struct graph *g,
	       const struct emit_options *opts, struct util_err *err)
{
	static const struct emit_options no_opts;
	char *buf = NULL;
	size_t len = 0;
	FILE *mem;
	int r;

	if ((size_t)format >= UTIL_ARRAY_SIZE(emit_formats))
		return util_err_set(err, EINVAL, "unknown output format %d", (int)format);
	if (!opts)
		opts = &no_opts;

	/*
	 * Render into memory first: a graph that breaks a rule half way through must not leave
	 * half a policy on stdout for someone to apply.
	 */
	mem = open_memstream(&buf, &len);
	if (!mem)
		return util_err_set(err, errno, "cannot allocate the output buffer: %s",
				    strerror(errno));
	r = emit_formats[format].fn(mem, g, opts, err);
	if (fclose(mem) != 0 && r == 0)
		r = util_err_set(err, EIO, "cannot finish the %s output",
				 emit_formats[format].name);
	if (r < 0)
		goto out;
	if (len > 0 && fwrite(buf, 1, len, out) != len) {
		r = util_err_set(err, EIO, "cannot write the %s output: %s",
				 emit_formats[format].name, strerror(errno));
		goto out;
	}
	if (fflush(out) != 0 || ferror(out)) {
		r = util_err_set(err, EIO, "cannot write the %s output: %s",
				 emit_formats[format].name, strerror(errno));
		goto out;
	}
	r = 0;
out:
	free(buf);
	return r;
}

/* ---- What the renderers share ------------------------------------------------------------- */

int emit_json_width(const char *s)
{
	int width = 0;

	while (*s) {
		uint32_t cp;
		size_t n = util_utf8_next(s, &cp);

		if (n == 0 || util_is_control(cp) || cp > 0xffff || cp == 0x2028 || cp == 0x2029)
			return -1;
		s += n;
		width++;
	}
	return width;
}

struct emit_yaml {
	yaml_emitter_t emitter;
	FILE *out;
	bool json;
	const char *what;
	struct util_err *err;
	int r; /* the first failure; later events are dropped */
};

/* Takes ev, initialized when ok; the emitter owns it from here, failed or not. */
static void emit_yaml_event(struct emit_yaml *y, yaml_event_t *ev, int ok)
{
	if (!ok) {
		if (y->r == 0)
			y->r = util_err_set(y->err, EINVAL, "cannot write %s: %s", y->what,
					    "cannot build a YAML event");
		return;
	}
	if (y->r < 0) {
		yaml_event_delete(ev);
		return;
	}
	if (!yaml_emitter_emit(&y->emitter, ev))
		y->r = util_err_set(y->err, EIO, "cannot write %s: %s", y->what,
				    y->emitter.problem ? y->emitter.problem : "unknown error");
}

int emit_yaml_open(FILE *out, bool json, const char *what, struct util_err *err,
		   struct emit_yaml **ret)
{
	struct emit_yaml *y = util_zalloc(sizeof(*y));
	yaml_event_t ev;

	if (!yaml_emitter_initialize(&y->emitter)) {
		free(y);
		return util_err_set(err, ENOMEM, "cannot set up the YAML emitter");
	}
	y->out = out;
	y->json = json;
	y->what = what;
	y->err = err;
	yaml_emitter_set_output_file(&y->emitter, out);
	yaml_emitter_set_unicode(&y->emitter, 1);
	yaml_emitter_set_width(&y->emitter, -1); /* a line break inside a string is not JSON */
	yaml_emitter_set_indent(&y->emitter, 2);
	emit_yaml_event(y, &ev, yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING));
	*ret = y;
	return 0;
}

int emit_yaml_close(struct emit_yaml *y)
{
	yaml_event_t ev;
	int r;

	emit_yaml_event(y, &ev, yaml_stream_end_event_initialize(&ev));
	if (y->r == 0 && !yaml_emitter_flush(&y->emitter))
		y->r = util_err_set(y->err, EIO, "cannot write %s", y->what);
	if (y->r == 0 && (fflush(y->out) != 0 || ferror(y->out)))
		y->r = util_err_set(y->err, EIO, "cannot write %s: %s", y->what, strerror(errno));
	r = y->r;
	yaml_emitter_delete(&y->emitter);
	free(y);
	return r;
}

int emit_yaml_error(const struct emit_yaml *y)
{
	return y->r;
}

void emit_yaml_fail(struct emit_yaml *y, int r)
{
	if (y->r == 0)
		y->r = r;
}

void emit_yaml_document_start(struct emit_yaml *y)
{
	yaml_event_t ev;

	emit_yaml_event(y, &ev,
			yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, y->json));
}

void emit_yaml_document_end(struct emit_yaml *y)
{
	yaml_event_t ev;

	emit_yaml_event(y, &ev, yaml_document_end_event_initialize(&ev, 1));
}

void emit_yaml_map_start(struct emit_yaml *y)
{
	yaml_event_t ev;

	emit_yaml_event(y, &ev,
			yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
							    y->json ? YAML_FLOW_MAPPING_STYLE
								    : YAML_BLOCK_MAPPING_STYLE));
}

void emit_yaml_map_end(struct emit_yaml *y)
{
	yaml_event_t ev;

	emit_yaml_event(y, &ev, yaml_mapping_end_event_initialize(&ev));
}

void emit_yaml_seq_start(struct emit_yaml *y)
{
	yaml_event_t ev;

	emit_yaml_event(y, &ev,
			yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
							     y->json ? YAML_FLOW_SEQUENCE_STYLE
								     : YAML_BLOCK_SEQUENCE_STYLE));
}

void emit_yaml_seq_end(struct emit_yaml *y)
{
	yaml_event_t ev;

	emit_yaml_event(y, &ev, yaml_sequence_end_event_initialize(&ev));
}

/*
 * Plain only where every YAML reader (kubectl's is YAML 1.1 flavoured) reads a string back:
 * a letter first, no indicator characters, and not one of the 1.1 booleans or null.
 */
static bool emit_yaml_plain_is_string(const char *s)
{
	static const char *const words[] = {"y",   "n",	   "yes",   "no",  "on",
					    "off", "true", "false", "null"};

	if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')))
		return false;
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' || *p == '_' || *p == '/'))
			return false;
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(words); i++)
		if (strcasecmp(s, words[i]) == 0)
			return false;
	return true;
}

void emit_yaml_str(struct emit_yaml *y, const char *s)
{
	bool plain = !y->json && emit_yaml_plain_is_string(s);
	yaml_event_t ev;

	emit_yaml_event(y, &ev,
			yaml_scalar_event_initialize(
				&ev, NULL, NULL, (const yaml_char_t *)s, (int)strlen(s), 1, 1,
				plain ? YAML_PLAIN_SCALAR_STYLE : YAML_DOUBLE_QUOTED_SCALAR_STYLE));
}

void emit_yaml_uint(struct emit_yaml *y, uint64_t v)
{
	char buf[UTIL_U64_LEN];
	yaml_event_t ev;

	(void)util_u64_format(v, buf);
	emit_yaml_event(y, &ev,
			yaml_scalar_event_initialize(&ev, NULL, NULL, (const yaml_char_t *)buf,
						     (int)strlen(buf), 1, 0,
						     YAML_PLAIN_SCALAR_STYLE));
}

void emit_yaml_kv(struct emit_yaml *y, const char *key, const char *value)
{
	emit_yaml_str(y, key);
	emit_yaml_str(y, value);
}

void emit_time_seconds(uint64_t ns, char buf[static UTIL_TIME_LEN])
{
	char *dot;

	util_time_format(ns, buf);
	buf[10] = ' ';
	dot = strchr(buf, '.');
	if (dot)
		*dot = '\0';
}
