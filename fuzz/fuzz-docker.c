/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz-docker.c - the Docker Engine client's readers of what libcurl hands over: the event
 * stream's JSON lines (split anywhere), the container list and the inspect answers, with their
 * HTTP statuses, replayed through the code inventory_docker_open() and _dispatch() run. HTTP
 * framing is libcurl's, and not fuzzed here.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz/fuzz.h"
#include "inventory/inventory-private.h"

/*
 * The input: a byte giving the size of each piece libcurl hands over (0: 65536), then the
 * engine's answers separated by SEP: GET /events, GET /containers/json, then the answers to the
 * inspects that the events ask for, in order. An answer that begins with three digits and a
 * space has that status and the rest for its body; any other is a 200, all of it the body.
 */
#define SEP	  "\n@@@@\n"
#define MAX_PARTS 34

static void quiet(void *userdata, const char *msg)
{
	(void)userdata;
	(void)msg;
}

static struct inventory_docker_response answer(const char *p, size_t len)
{
	if (len >= 4 && p[0] >= '0' && p[0] <= '9' && p[1] >= '0' && p[1] <= '9' && p[2] >= '0' &&
	    p[2] <= '9' && p[3] == ' ')
		return (struct inventory_docker_response){
			.status = (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0'),
			.body = p + 4,
			.len = len - 4,
		};
	return (struct inventory_docker_response){.status = 200, .body = p, .len = len};
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct inventory_docker_response parts[MAX_PARTS];
	struct inventory *inv;
	struct inventory_docker_replay rp;
	struct util_err err;
	const char *p, *end;
	size_t n = 0;
	char *copy;

	if (size < 1)
		return 0;
	/* a copy of exactly the input's size, so ASan sees a read past any part's end */
	copy = malloc(size);
	if (!copy)
		abort();
	memcpy(copy, data + 1, size - 1);
	p = copy;
	end = copy + size - 1;
	while (n < MAX_PARTS) {
		const char *sep = memmem(p, (size_t)(end - p), SEP, strlen(SEP));
		size_t len = sep && n < MAX_PARTS - 1 ? (size_t)(sep - p) : (size_t)(end - p);

		parts[n++] = answer(p, len);
		if (!sep || n == MAX_PARTS)
			break;
		p = sep + strlen(SEP);
	}
	while (n < 2)
		parts[n++] = answer("", 0);
	rp = (struct inventory_docker_replay){
		.events = parts[0],
		.list = parts[1],
		.inspects = parts + 2,
		.count = n - 2,
		.read_size = data[0] ? data[0] : 65536,
	};
	inv = inventory_new();
	inventory_set_warn(inv, quiet, NULL);
	(void)inventory_docker_replay(inv, &rp, &err);
	inventory_free(inv);
	free(copy);
	return 0;
}
