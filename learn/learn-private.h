/* SPDX-License-Identifier: Apache-2.0 */
/* learn-private.h - what the files of learn/ share and no other module sees. */
#pragma once

#include "learn/learn.h"

/*
 * Connections attribution has counted lately, kept with the inventory that resolved them
 * (learn-attribute.c): a connection that a capture point sees both before and after a Service's
 * DNAT is two flows, and must be counted once.
 */
struct learn_recent;
struct learn_recent **inventory_recent(struct inventory *inv);
void learn_recent_free(struct learn_recent *r); /* NULL-safe */

/*
 * inventory_resolve_server_at, also saying whether addr:port of proto is a Service's (a
 * ClusterIP, a NodePort, a load balancer address); and whether w on port is behind one. These are
 * the two sides a DNAT joins: only their flows can be the same connection seen twice, so only
 * they are remembered.
 */
size_t inventory_resolve_server_via(struct inventory *inv, const struct util_addr *addr,
				    uint8_t proto, uint16_t port, uint64_t ts_ns,
				    struct inventory_endpoint *ret, size_t max, bool *ret_service);
bool inventory_is_backend(const struct inventory *inv, const struct graph_workload *w,
			  uint8_t proto, uint16_t port);

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
