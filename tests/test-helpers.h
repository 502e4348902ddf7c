/* SPDX-License-Identifier: Apache-2.0 */
/* test-helpers.h - what every unit test needs: running its suite, files, golden outputs. */
#pragma once

#include <check.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

/* The runner while test_run() runs, for a test that must know whether tests fork. */
static SRunner *test_runner;

/* Runs every test of s and returns main's exit status: EXIT_FAILURE when any failed. */
static inline int test_run(Suite *s)
{
	int failed;

	test_runner = srunner_create(s);
	srunner_run_all(test_runner, CK_NORMAL);
	failed = srunner_ntests_failed(test_runner);
	srunner_free(test_runner);
	test_runner = NULL;
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* The whole file, NUL-terminated for convenience; NULL (length 0) if it cannot be read. */
static inline char *test_read_file(const char *path, size_t *ret_len)
{
	FILE *f = fopen(path, "re");
	char *buf;
	size_t len = 0, n;

	if (ret_len)
		*ret_len = 0;
	if (!f)
		return NULL;
	buf = util_zalloc(1);
	for (;;) {
		buf = util_reallocarray(buf, len + 65536 + 1, 1);
		n = fread(buf + len, 1, 65536, f);
		len += n;
		if (n == 0)
			break;
	}
	buf[len] = '\0';
	fclose(f);
	if (ret_len)
		*ret_len = len;
	return buf;
}

static inline void test_write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "we");

	ck_assert_msg(f, "%s: %s", path, strerror(errno));
	ck_assert_uint_eq(fwrite(data, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
}

/* Writes data to a new file made from path, a mkstemp() template ("/tmp/test-x-XXXXXX"). */
static inline void test_write_temp(char *path, const void *data, size_t len)
{
	int fd = mkstemp(path);
	FILE *f;

	ck_assert_msg(fd >= 0, "%s: %s", path, strerror(errno));
	f = fdopen(fd, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(data, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
}

/* Compares buf with the golden file at path, or rewrites it when FLOWLOCK_UPDATE_GOLDEN=1. */
static inline void test_golden_check(const char *path, const char *buf, size_t len)
{
	const char *update = getenv("FLOWLOCK_UPDATE_GOLDEN");
	size_t glen = 0, line = 1;
	char *golden;

	if (update && strcmp(update, "1") == 0) {
		test_write_file(path, buf, len);
		return;
	}
	golden = test_read_file(path, &glen);
	ck_assert_msg(golden, "cannot read %s (FLOWLOCK_UPDATE_GOLDEN=1 writes it)", path);
	for (size_t i = 0; i < len && i < glen; i++) {
		if (buf[i] != golden[i])
			break;
		if (buf[i] == '\n')
			line++;
	}
	ck_assert_msg(len == glen && memcmp(buf, golden, len) == 0,
		      "%s differs from the output at line %zu (%zu bytes expected, %zu written)",
		      path, line, glen, len);
	free(golden);
}

/*
 * The strictest reader at hand: whether the shell command script (a "python3 -c '...'")
 * accepts buf on its standard input. python3 is a test dependency (tools/install-deps): its
 * absence fails the test rather than passing it unchecked.
 */
static inline bool test_python_accepts(const char *script, const char *buf, size_t len)
{
	FILE *p;

	ck_assert_msg(system("command -v python3 >/dev/null 2>&1") == 0,
		      "python3 is missing: tools/install-deps test installs it");
	p = popen(script, "w");
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(fwrite(buf, 1, len, p), len);
	return pclose(p) == 0;
}

/* What a renderer wrote into memory, what it returned and its error. */
struct test_output {
	char *buf;
	size_t len;
	int r;
	struct util_err err;
};

/* A memory stream into o, zeroed first; the caller fcloses it, then frees o->buf. */
static inline FILE *test_output_open(struct test_output *o)
{
	FILE *f;

	memset(o, 0, sizeof(*o));
	f = open_memstream(&o->buf, &o->len);
	ck_assert_ptr_nonnull(f);
	return f;
}

/* The warnings a renderer gave, through test_collect_warning() as its emit warn callback. */
struct test_warnings {
	char *msg[32];
	size_t n;
};

static inline void test_collect_warning(void *userdata, const char *msg)
{
	struct test_warnings *w = userdata;

	ck_assert_uint_lt(w->n, sizeof(w->msg) / sizeof(w->msg[0]));
	w->msg[w->n++] = strdup(msg);
}

static inline void test_warnings_clear(struct test_warnings *w)
{
	for (size_t i = 0; i < w->n; i++)
		free(w->msg[i]);
	w->n = 0;
}
