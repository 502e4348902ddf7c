/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz-common.c - the harnesses' shared helpers (fuzz.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz/fuzz.h"

const char *fuzz_file(const uint8_t *data, size_t size)
{
	static char path[64];
	static int fd = -1;
	size_t off = 0;

	if (fd < 0) {
		fd = memfd_create("flowlock-fuzz", MFD_CLOEXEC);
		if (fd < 0)
			fuzz_fail("memfd_create: %s", strerror(errno));
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) < 0)
		fuzz_fail("ftruncate: %s", strerror(errno));
	while (off < size) {
		ssize_t n = pwrite(fd, data + off, size - off, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			fuzz_fail("pwrite: %s", strerror(errno));
		off += (size_t)n;
	}
	return path;
}

static char dir[4096];

static void fuzz_dir_remove(void)
{
	char cmd[4200];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	(void)!system(cmd);
}

const char *fuzz_dir(void)
{
	if (!*dir) {
		const char *base = getenv("TMPDIR");

		if (!base || !*base)
			base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
		/* run.sh points TMPDIR into its own directory: nothing stays after a crash */
		snprintf(dir, sizeof(dir), "%s/flowlock-fuzz.XXXXXX", base);
		if (!mkdtemp(dir))
			fuzz_fail("mkdtemp: %s", strerror(errno));
		atexit(fuzz_dir_remove);
	}
	return dir;
}

void fuzz_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("fuzz: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	abort();
}

/*
 * Freed memory waits in AddressSanitizer's quarantine before it is reused. At the default
 * 256 MiB, harnesses that allocate much per input spent most of their time faulting in fresh
 * pages (fuzz-docker ran 4.5 times slower); 8 MiB still holds many inputs' worth of frees.
 * ASAN_OPTIONS overrides it.
 */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "quarantine_size_mb=8";
}
