/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz-policy.c - NetworkPolicy files through policy_set_load(), as `flowlock verify` reads
 * them, then what the policies allow among a few workloads.
 */
#include <netinet/in.h>
#include <stdlib.h>

#include "fuzz/fuzz.h"
#include "policy/policy.h"

#define N_WORKLOADS 4

static struct graph_workload *workloads[N_WORKLOADS];

static void workload_address(struct graph_workload *w, const char *cidr)
{
	struct util_prefix p;

	if (util_prefix_parse(cidr, 0, &p) < 0)
		abort();
	graph_workload_add_address(w, &p);
}

/* Pods in two namespaces the corpus names, a node and an outside peer. */
static void workloads_make(void)
{
	workloads[0] = graph_workload_new(GRAPH_KIND_K8S, "shop", "deployment", "frontend");
	graph_workload_set_label(workloads[0], "app", "frontend");
	workload_address(workloads[0], "10.244.1.5/32");
	workloads[1] = graph_workload_new(GRAPH_KIND_K8S, "default", "statefulset", "db");
	graph_workload_set_label(workloads[1], "app", "db");
	graph_workload_set_label(workloads[1], "tier", "backend");
	workload_address(workloads[1], "10.244.2.7/32");
	workload_address(workloads[1], "fd00:10:244::7/128");
	workloads[2] = graph_workload_new(GRAPH_KIND_NODE, NULL, NULL, "worker-1");
	workload_address(workloads[2], "172.18.0.3/32");
	workloads[3] = graph_workload_new(GRAPH_KIND_EXTERNAL, NULL, NULL, "203.0.113.0/24");
	workload_address(workloads[3], "203.0.113.0/24");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct policy_set *s = policy_set_new();
	struct util_err err;

	if (!workloads[0])
		workloads_make();
	if (policy_set_load(s, fuzz_file(data, size), &err) == 0) {
		for (size_t i = 0; i < N_WORKLOADS; i++)
			for (size_t j = 0; j < N_WORKLOADS; j++) {
				struct policy_ports *p;

				if (i == j)
					continue;
				p = policy_allowed(s, NULL, workloads[i], workloads[j]);
				free(policy_ports_format(p));
				policy_ports_free(p);
				(void)policy_check(s, NULL, workloads[i], workloads[j], IPPROTO_TCP,
						   80);
			}
	}
	policy_set_free(s);
	return 0;
}
