/* SPDX-License-Identifier: Apache-2.0 */
/* bench-yaml.c - the floors: libyaml's bare parser reading a file, and its bare emitter writing
 * the same events. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <yaml.h>

/*
 * Usage: bench-yaml parse FILE   every event of FILE produced and dropped, timed
 *        bench-yaml emit FILE    FILE's events read into memory (not timed), then written with
 *                                the emitter set up as util_yaml_out_open() sets it (unicode, no
 *                                line width, indent 2, LF) into a memory buffer, timed
 * Prints one line: "seconds=S events=N bytes=B maxrss_kib=K" (bytes: what was emitted, or the
 * file's size). Exit 2 on a YAML error.
 */

/* This floor links libyaml alone, so it keeps its own clock rather than util_now_ns(). */
static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long maxrss_kib(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

static int fail_parser(const yaml_parser_t *p, const char *path)
{
	fprintf(stderr, "bench-yaml: %s:%zu:%zu: %s\n", path, p->problem_mark.line + 1,
		p->problem_mark.column + 1, p->problem ? p->problem : "YAML error");
	return 2;
}

/* Where the emitter writes: a buffer that doubles, as util-yaml.c's out_memory does. */
struct membuf {
	unsigned char *buf;
	size_t len, cap;
};

static int membuf_write(void *data, unsigned char *buffer, size_t size)
{
	struct membuf *m = data;

	if (m->len + size > m->cap) {
		size_t cap = m->cap ? m->cap : 16384;
		unsigned char *nb;

		while (cap < m->len + size)
			cap *= 2;
		nb = realloc(m->buf, cap);
		if (!nb)
			return 0;
		m->buf = nb;
		m->cap = cap;
	}
	memcpy(m->buf + m->len, buffer, size);
	m->len += size;
	return 1;
}

static int cmd_parse(const char *path)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	uint64_t events = 0;
	long size;
	double t0, t;
	bool done = false;
	FILE *f;

	t0 = now();
	f = fopen(path, "rb");
	if (!f) {
		perror(path);
		return 2;
	}
	if (!yaml_parser_initialize(&parser)) {
		fprintf(stderr, "bench-yaml: out of memory\n");
		return 2;
	}
	yaml_parser_set_input_file(&parser, f);
	while (!done) {
		if (!yaml_parser_parse(&parser, &ev))
			return fail_parser(&parser, path);
		done = ev.type == YAML_STREAM_END_EVENT;
		events++;
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);
	size = ftell(f);
	fclose(f);
	t = now() - t0;
	printf("seconds=%.6f events=%llu bytes=%ld maxrss_kib=%ld\n", t, (unsigned long long)events,
	       size, maxrss_kib());
	return 0;
}

static int cmd_emit(const char *path)
{
	yaml_parser_t parser;
	yaml_emitter_t emitter;
	yaml_event_t *evs = NULL;
	size_t n = 0, cap = 0;
	struct membuf out = {0};
	bool done = false;
	double t0, t;
	FILE *f;

	f = fopen(path, "rb");
	if (!f) {
		perror(path);
		return 2;
	}
	if (!yaml_parser_initialize(&parser)) {
		fprintf(stderr, "bench-yaml: out of memory\n");
		return 2;
	}
	yaml_parser_set_input_file(&parser, f);
	while (!done) {
		if (n == cap) {
			cap = cap ? cap * 2 : 4096;
			evs = realloc(evs, cap * sizeof(*evs));
			if (!evs) {
				fprintf(stderr, "bench-yaml: out of memory\n");
				return 2;
			}
		}
		if (!yaml_parser_parse(&parser, &evs[n]))
			return fail_parser(&parser, path);
		done = evs[n].type == YAML_STREAM_END_EVENT;
		n++;
	}
	yaml_parser_delete(&parser);
	fclose(f);

	t0 = now();
	if (!yaml_emitter_initialize(&emitter)) {
		fprintf(stderr, "bench-yaml: out of memory\n");
		return 2;
	}
	yaml_emitter_set_output(&emitter, membuf_write, &out);
	yaml_emitter_set_unicode(&emitter, 1);
	yaml_emitter_set_width(&emitter, -1);
	yaml_emitter_set_indent(&emitter, 2);
	yaml_emitter_set_break(&emitter, YAML_LN_BREAK);
	/* the emitter takes each event over and frees it */
	for (size_t i = 0; i < n; i++) {
		if (!yaml_emitter_emit(&emitter, &evs[i])) {
			fprintf(stderr, "bench-yaml: cannot emit %s: %s\n", path,
				emitter.problem ? emitter.problem : "emitter error");
			return 2;
		}
	}
	yaml_emitter_delete(&emitter);
	t = now() - t0;
	printf("seconds=%.6f events=%zu bytes=%zu maxrss_kib=%ld\n", t, n, out.len, maxrss_kib());
	free(out.buf);
	free(evs);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "parse") == 0)
		return cmd_parse(argv[2]);
	if (argc == 3 && strcmp(argv[1], "emit") == 0)
		return cmd_emit(argv[2]);
	fprintf(stderr, "usage: bench-yaml parse|emit FILE\n");
	return 2;
}
