/* SPDX-License-Identifier: Apache-2.0 */
/* inventory-private.h - what the files of inventory/ share, and the Docker client's test hook. */
#pragma once

#include "inventory/inventory.h"
#include "util/util-yaml.h"

/*
 * Tests and fuzzing only (fuzz/fuzz-docker.c): what inventory_docker_open() and
 * inventory_docker_dispatch() do with the Docker Engine's answers, given here instead of read from
 * the socket. libcurl frames the HTTP; what it hands over, and what is given here, is each
 * response's status and body. events is GET /events (its body the stream, ending where the bytes
 * do), list GET /containers/json, inspects the answers to the GET /containers/{id}/json requests
 * the events queue, in the order they are asked. Every body goes through the write callback
 * libcurl calls, in pieces of read_size bytes (0: 1). Returns what inventory_docker_open() would;
 * the stream's end is no error.
 */
struct inventory_docker_response {
	int status; /* 0: 200 */
	const char *body;
	size_t len;
};
struct inventory_docker_replay {
	struct inventory_docker_response events, list;
	const struct inventory_docker_response *inspects;
	size_t count;
	size_t read_size;
};
int inventory_docker_replay(struct inventory *inv, const struct inventory_docker_replay *rp,
			    struct util_err *err);
