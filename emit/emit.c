/* SPDX-License-Identifier: Apache-2.0 */
/* emit.c - picks a renderer by name and writes its output only once it has all succeeded. */
#include "emit/emit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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

void emit_time_seconds(uint64_t ns, char buf[static UTIL_TIME_LEN])
{
	char *dot;

	util_time_format(ns, buf);
	buf[10] = ' ';
	dot = strchr(buf, '.');
	if (dot)
		*dot = '\0';
}
