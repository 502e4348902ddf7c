/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz-state.c - state files through graph_state_load(). What it accepts must save, load again,
 * and save to the same bytes: a state that loads can always be learned into and written back.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz/fuzz.h"
#include "graph/graph.h"

static char *slurp(const char *path, size_t *ret_len)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t cap = 0, n = 0, got;

	if (!f)
		fuzz_fail("%s: cannot open what was just saved", path);
	do {
		if (n == cap) {
			cap = cap ? cap * 2 : 65536;
			buf = realloc(buf, cap);
			if (!buf)
				abort();
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
	} while (got > 0);
	fclose(f);
	*ret_len = n;
	return buf;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char first[128], second[128];
	struct graph *g = NULL, *again = NULL;
	char *a = NULL, *b = NULL;
	size_t na, nb;
	struct util_err err;

	if (!*first) {
		snprintf(first, sizeof(first), "%s/first.yaml", fuzz_dir());
		snprintf(second, sizeof(second), "%s/second.yaml", fuzz_dir());
	}
	if (graph_state_load(fuzz_file(data, size), &g, &err) < 0)
		return 0;
	if (graph_state_save(g, first, &err) < 0)
		fuzz_fail("a state that loaded does not save: %s", err.msg);
	if (graph_state_load(first, &again, &err) < 0)
		fuzz_fail("a state saved from one that loaded does not load: %s", err.msg);
	if (graph_state_save(again, second, &err) < 0)
		fuzz_fail("a state loaded twice does not save: %s", err.msg);
	a = slurp(first, &na);
	b = slurp(second, &nb);
	if (na != nb || memcmp(a, b, na) != 0)
		fuzz_fail("saved, loaded and saved again, a state changes (%zu bytes, then %zu)",
			  na, nb);
	free(a);
	free(b);
	graph_free(again);
	graph_free(g);
	return 0;
}
