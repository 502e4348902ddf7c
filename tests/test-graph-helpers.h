/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test-graph-helpers.h - what the graph and state tests share: graphs built by workload id,
 * dumped as text to compare them, and the graphs both merge and save.
 */
#pragma once

#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph/graph.h"
#include "tests/test-helpers.h"

#define MERGE_DATA TEST_DATA "/merge"

#define NS UTIL_NSEC_PER_SEC
#define T0 (1795356000ull * NS) /* 2026-11-22T14:00:00Z */

/* Everything a graph holds, as text, so that two graphs can be compared. */
static inline char *graph_dump(const struct graph *g)
{
	char *buf = NULL, t1[UTIL_TIME_LEN], t2[UTIL_TIME_LEN];
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(f);
	for (size_t i = 0; i < graph_counter_count(g); i++)
		fprintf(f, "counter %s=%" PRIu64 "\n", graph_counter_name(g, i),
			graph_counter_value(g, i));
	for (size_t i = 0; i < graph_workload_count(g); i++) {
		const struct graph_workload *w = graph_workload(g, i);

		fprintf(f, "workload %s kind=%s ns=%s ctrl=%s name=%s", graph_workload_id(w),
			graph_kind_name(graph_workload_kind(w)), graph_workload_namespace(w),
			graph_workload_controller(w), graph_workload_name(w));
		for (size_t j = 0; j < graph_workload_label_count(w); j++)
			fprintf(f, " label[%s=%s]", graph_workload_label_key(w, j),
				graph_workload_label_value(w, j));
		for (size_t j = 0; j < graph_workload_address_count(w); j++)
			fprintf(f, " addr[%s]", graph_workload_address(w, j));
		fputc('\n', f);
	}
	for (size_t i = 0; i < graph_edge_count(g); i++) {
		const struct graph_edge *e = graph_edge(g, i);

		util_time_format(graph_edge_first_ns(e), t1);
		util_time_format(graph_edge_last_ns(e), t2);
		fprintf(f, "edge %s -> %s %u/%u n=%" PRIu64 " %s %s\n",
			graph_workload_id(graph_edge_client(e)),
			graph_workload_id(graph_edge_server(e)), graph_edge_proto(e),
			graph_edge_port(e), graph_edge_connections(e), t1, t2);
	}
	for (size_t i = 0; i < graph_attempt_count(g); i++) {
		const struct graph_attempt *a = graph_attempt(g, i);

		util_time_format(graph_attempt_first_ns(a), t1);
		util_time_format(graph_attempt_last_ns(a), t2);
		fprintf(f, "attempt %s -> %s %u refused=%" PRIu64 " unanswered=%" PRIu64 " %s %s",
			graph_workload_id(graph_attempt_client(a)),
			graph_workload_id(graph_attempt_server(a)), graph_attempt_proto(a),
			graph_attempt_refused(a), graph_attempt_unanswered(a), t1, t2);
		for (size_t j = 0; j < graph_attempt_port_count(a); j++)
			fprintf(f, " %u", graph_attempt_port(a, j));
		fputc('\n', f);
	}
	ck_assert_int_eq(fclose(f), 0);
	return buf;
}

/*
 * Adds a workload described compactly: labels "k=v;k=v", addresses "a;b" (either may be NULL).
 * Returns the graph's workload.
 */
static inline const struct graph_workload *add_wl(struct graph *g, enum graph_kind kind,
						  const char *ns, const char *ctrl,
						  const char *name, const char *labels,
						  const char *addresses)
{
	struct graph_workload *w = graph_workload_new(kind, ns, ctrl, name);
	const struct graph_workload *ret;
	char *copy, *save = NULL;

	if (labels) {
		copy = util_strdup(labels);
		for (char *kv = strtok_r(copy, ";", &save); kv; kv = strtok_r(NULL, ";", &save)) {
			char *eq = strchr(kv, '=');

			ck_assert_ptr_nonnull(eq);
			*eq = '\0';
			graph_workload_set_label(w, kv, eq + 1);
		}
		free(copy);
	}
	if (addresses) {
		copy = util_strdup(addresses);
		for (char *a = strtok_r(copy, ";", &save); a; a = strtok_r(NULL, ";", &save))
			graph_workload_add_address(w, TEST_PREFIX(a));
		free(copy);
	}
	ret = graph_add_workload(g, w);
	graph_workload_unref(w);
	return ret;
}

static inline void add_edge_ids(struct graph *g, const char *client, const char *server,
				uint8_t proto, uint16_t port, uint64_t n, uint64_t first,
				uint64_t last)
{
	const struct graph_workload *c = graph_find_workload(g, client);
	const struct graph_workload *s = graph_find_workload(g, server);

	ck_assert_msg(c && s, "%s -> %s: workloads missing", client, server);
	graph_add_edge(g, c, s, proto, port, n, first, last);
}

static inline struct graph *build_empty(void)
{
	return graph_new();
}

/* Values that must be quoted to stay strings: they look like bools, numbers, nulls, dates. */
static inline struct graph *build_quoting(void)
{
	static const char *const values[] = {
		"true", "False", "yes",	 "NO",	       "on",	"Off",
		"y",	"n",	 "null", "Null",       "123",	"1.5",
		"0x1F", "1e3",	 "0o17", "2026-11-22", "1_000", "12345678901234567890"};
	struct graph *g = graph_new();
	struct graph_workload *w = graph_workload_new(GRAPH_KIND_K8S, "n1", "Deployment", "123");

	for (size_t i = 0; i < UTIL_ARRAY_SIZE(values); i++) {
		char key[16];

		snprintf(key, sizeof(key), "k%02zu", i);
		graph_workload_set_label(w, key, values[i]);
	}
	graph_workload_set_label(w, "true", "1");
	graph_workload_set_label(w, "null", "null");
	graph_add_workload(g, w);
	graph_workload_unref(w);
	add_wl(g, GRAPH_KIND_DOCKER, "1", NULL, "1.5", NULL, NULL);
	add_wl(g, GRAPH_KIND_NODE, NULL, NULL, "null", NULL, "::/0;0.0.0.0/0;::ffff:10.0.0.1/128");
	add_wl(g, GRAPH_KIND_NODE, NULL, NULL, "::1", NULL, NULL);
	add_wl(g, GRAPH_KIND_EXTERNAL, NULL, NULL, "::/0", NULL, NULL);
	add_edge_ids(g, "node:::1", "external:::/0", IPPROTO_TCP, 1, 0, 0, 0);
	add_edge_ids(g, "docker:1/1.5", "node:null", IPPROTO_UDP, 65535, 1, 1, 2);
	graph_add_counter(g, "123", 1);
	graph_add_counter(g, "true", 0);
	return g;
}

/* Many workloads and edges, to see that order does not depend on hash-table order. */
static inline struct graph *build_many(void)
{
	struct graph *g = graph_new();
	char name[32], a[64], b[64];

	for (int i = 0; i < 300; i++) {
		snprintf(name, sizeof(name), "w%d", (i * 7919) % 300);
		add_wl(g, GRAPH_KIND_K8S, i % 2 ? "odd" : "even", i % 3 ? "Deployment" : "Job",
		       name, "app=x", NULL);
	}
	for (int i = 0; i < 1000; i++) {
		const struct graph_workload *c = graph_workload(g, (size_t)(i * 31) % 300);
		const struct graph_workload *s = graph_workload(g, (size_t)(i * 17) % 300);

		snprintf(a, sizeof(a), "%s", graph_workload_id(c));
		snprintf(b, sizeof(b), "%s", graph_workload_id(s));
		add_edge_ids(g, a, b, i % 2 ? IPPROTO_TCP : IPPROTO_UDP,
			     (uint16_t)(1 + (i * 13) % 65535), (uint64_t)i, T0 + (uint64_t)i,
			     T0 + 2 * (uint64_t)i);
	}
	return g;
}
