/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz-docker.c - the Docker Engine client's parsers: HTTP/1.1 responses (status line, headers,
 * chunked and Content-Length bodies), the event stream's JSON lines, the container list and
 * inspect answers, replayed through the code learn_docker_open() and _dispatch() run.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz/fuzz.h"
#include "learn/learn-private.h"

/*
 * The input: a byte giving the size of each read (0: 65536), then the engine's responses
 * separated by SEP: the GET /events response, the GET /containers/json response, then the
 * answers to the inspects that the events ask for, in order.
 */
#define SEP	  "\n@@@@\n"
#define MAX_PARTS 34

static void quiet(void *userdata, const char *msg)
{
	(void)userdata;
	(void)msg;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *parts[MAX_PARTS];
	size_t lens[MAX_PARTS], n = 0;
	struct learn_inventory *inv;
	struct learn_docker_replay rp;
	struct util_err err;
	const char *p, *end;
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

		parts[n] = p;
		lens[n] = sep && n < MAX_PARTS - 1 ? (size_t)(sep - p) : (size_t)(end - p);
		n++;
		if (!sep || n == MAX_PARTS)
			break;
		p = sep + strlen(SEP);
	}
	while (n < 2) {
		parts[n] = "";
		lens[n++] = 0;
	}
	rp = (struct learn_docker_replay){
		.events = parts[0],
		.n_events = lens[0],
		.list = parts[1],
		.n_list = lens[1],
		.inspects = parts + 2,
		.n_inspects = lens + 2,
		.count = n - 2,
		.read_size = data[0] ? data[0] : 65536,
	};
	inv = learn_inventory_new();
	learn_inventory_set_warn(inv, quiet, NULL);
	(void)learn_docker_replay(inv, &rp, &err);
	learn_inventory_free(inv);
	free(copy);
	return 0;
}
