/* SPDX-License-Identifier: Apache-2.0 */
/* fuzz.h - what the libFuzzer harnesses share: an input as a file, and a loud failure. */
#pragma once

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * A path that reads exactly data: an in-memory file (memfd) opened through /proc/self/fd, so a
 * parser that takes a path reads the input as `flowlock` reads a file. The same path every call.
 */
const char *fuzz_file(const uint8_t *data, size_t size);

/* A directory of this process's own on tmpfs (or /tmp), removed at exit, for files a parser writes.
 */
const char *fuzz_dir(void);

/* A property of the code under test does not hold: say which, and crash so libFuzzer keeps it. */
_Noreturn void fuzz_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
