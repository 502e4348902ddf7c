/* SPDX-License-Identifier: Apache-2.0 */
/* test-helpers.h - what every unit test needs: running its suite, files, golden outputs. */
#pragma once

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <ftw.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/util.h"

/* A prefix written as text ("10.0.0.1/32", or a bare host); a typo fails the test. */
static inline struct util_prefix test_prefix(const char *s)
{
	struct util_prefix p = {0};

	ck_assert_msg(util_prefix_parse(s, UTIL_PREFIX_HOST, &p) == 0, "\"%s\" is no prefix", s);
	return p;
}
/* The same, as the pointer graph_workload_add_address() takes; it lives in the enclosing block. */
#define TEST_PREFIX(s) ((struct util_prefix[1]){test_prefix(s)})

/*
 * Cases that need what a plain run may lack are a tcase of their own, named and tagged after
 * what they need. The default run leaves them out; main's one argument runs one of them alone
 * (tests/meson.build: the test NAME-python or NAME-root), and exits 77, which meson shows as
 * SKIP, when what it needs is missing. So no case is reported passed that did not run.
 *   python  cases that read flowlock's output back with python3 (test_python_accepts())
 *   root    cases that need root, e.g. to become another user
 */
#define TEST_NEEDS_PYTHON "python"
#define TEST_NEEDS_ROOT	  "root"

/* The runner while test_run() runs, for a test that must know whether tests fork. */
static SRunner *test_runner;

/* The python3 the python tcase runs, found by test_main() before any test runs. */
static const char *test_python;

/*
 * Runs the tests of s in tcases tagged include (NULL: any) and not exclude (NULL: none), and
 * returns main's exit status: EXIT_FAILURE when any failed, or when none ran (that would check
 * nothing).
 */
static inline int test_run_tagged(Suite *s, const char *include, const char *exclude)
{
	int failed, ran;

	test_runner = srunner_create(s);
	srunner_run_tagged(test_runner, NULL, NULL, include, exclude, CK_NORMAL);
	failed = srunner_ntests_failed(test_runner);
	ran = srunner_ntests_run(test_runner);
	srunner_free(test_runner);
	test_runner = NULL;
	if (ran == 0)
		fprintf(stderr, "no test ran\n");
	return failed || ran == 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* Runs every test of s but those that need python3 or root, and returns main's exit status. */
static inline int test_run(Suite *s)
{
	return test_run_tagged(s, NULL, TEST_NEEDS_PYTHON " " TEST_NEEDS_ROOT);
}

/*
 * Runs python -c code with buf on its standard input: its wait status, or -1 if it could not be
 * started (exit status 127: python could not be executed).
 */
static inline int test_python_status(const char *python, const char *code, const char *buf,
				     size_t len)
{
	void (*old)(int);
	int fds[2], status;
	size_t done = 0;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return -1;
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		if (dup2(fds[0], STDIN_FILENO) == STDIN_FILENO)
			execlp(python, python, "-c", code, (char *)NULL);
		_exit(127);
	}
	close(fds[0]);
	old = signal(SIGPIPE, SIG_IGN); /* python may stop reading early: its status says why */
	while (done < len) {
		ssize_t n = write(fds[1], buf + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		done += (size_t)n;
	}
	close(fds[1]);
	signal(SIGPIPE, old);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return status;
}

/* A python3 that can import json, Debian's first (as tests/lib.sh's find_python); or NULL. */
static inline const char *test_python_find(void)
{
	static const char *const pythons[] = {"/usr/bin/python3", "python3"};

	for (size_t i = 0; i < UTIL_ARRAY_SIZE(pythons); i++) {
		int status = test_python_status(pythons[i], "import json, sys", "", 0);

		if (status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0)
			return pythons[i];
	}
	return NULL;
}

/*
 * main() of a unit test: with no argument, every tcase of s but those that need something; with
 * "python" or "root", that tcase of s alone, or exit 77 (meson: SKIP) when python3 or root is
 * missing. s is freed.
 */
static inline int test_main(int argc, char **argv, Suite *s)
{
	const char *need = argc == 2 ? argv[1] : NULL, *missing = NULL;
	bool known = need &&
		     (strcmp(need, TEST_NEEDS_PYTHON) == 0 || strcmp(need, TEST_NEEDS_ROOT) == 0);

	if (argc == 1)
		return test_run(s);
	if (!known || !suite_tcase(s, need)) {
		fprintf(stderr, "usage: %s [%s|%s], a tcase this file has\n", argv[0],
			TEST_NEEDS_PYTHON, TEST_NEEDS_ROOT);
		srunner_free(srunner_create(s));
		return 2;
	}
	if (strcmp(need, TEST_NEEDS_PYTHON) == 0 && !(test_python = test_python_find()))
		missing = "python3 (with its json module)";
	else if (strcmp(need, TEST_NEEDS_ROOT) == 0 && geteuid() != 0)
		missing = "root";
	if (missing) {
		printf("%s %s: %s missing: skipped\n", argv[0], need, missing);
		srunner_free(srunner_create(s));
		return 77;
	}
	return test_run_tagged(s, need, NULL);
}

/*
 * A stream every write to fails with ENOSPC, as on a full disk: what /dev/full gives, without
 * depending on a device node the test's machine may not have. Buffered like a file, so a
 * writer sees the failure where it would for real: at a flush, or once the buffer fills.
 */
static inline ssize_t test_full_write(void *cookie, const char *buf, size_t len)
{
	(void)cookie;
	(void)buf;
	(void)len;
	errno = ENOSPC;
	return -1;
}

static inline FILE *test_full_stream(void)
{
	static const cookie_io_functions_t io = {.write = test_full_write};
	FILE *f = fopencookie(NULL, "w", io);

	ck_assert_ptr_nonnull(f);
	return f;
}

/* xorshift64 from *state (not 0): deterministic, so a failure of random variants reproduces. */
static inline uint32_t test_rand(uint64_t *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 7;
	*state ^= *state << 17;
	return (uint32_t)(*state >> 11);
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

/* A new directory, /tmp/PROGRAM-XXXXXX; test_tmpdir_free() removes it with all it holds. */
static inline char *test_tmpdir_new(void)
{
	char *dir = util_asprintf("/tmp/%s-XXXXXX", program_invocation_short_name);

	ck_assert_ptr_nonnull(mkdtemp(dir));
	return dir;
}

static inline int test_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)remove(path);
	return 0;
}

/* Removes dir and all it holds, even one a test made read-only, and frees dir. */
static inline void test_tmpdir_free(char *dir)
{
	(void)chmod(dir, 0700);
	(void)nftw(dir, test_rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(dir);
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
 * The strictest reader at hand: whether python3 -c code exits 0 with buf on its standard input.
 * Only a case of the python tcase calls it, once test_main() has found python3; one that could
 * not run python3 fails, it never passes unchecked.
 */
static inline bool test_python_accepts(const char *code, const char *buf, size_t len)
{
	int status;

	ck_assert_msg(test_python,
		      "python3 was not looked for: only a case of the %s tcase may "
		      "call test_python_accepts()",
		      TEST_NEEDS_PYTHON);
	status = test_python_status(test_python, code, buf, len);
	ck_assert_msg(status != -1 && !(WIFEXITED(status) && WEXITSTATUS(status) == 127),
		      "%s could not run (wait status %d)", test_python, status);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
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
