/* SPDX-License-Identifier: Apache-2.0 */
/* cli-verify.c - flowlock verify: what NetworkPolicies would break and what they allow too much. */
#include "cli/cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "emit/emit.h"
#include "learn/learn.h"
#include "policy/policy.h"

static const char verify_help[] =
	"Usage: flowlock verify [--inventory FILE]... [--namespace GLOB]...\n"
	"                       [--exclude-namespace GLOB]... [--quiet] POLICY STATE\n"
	"\n"
	"Evaluates the NetworkPolicies in POLICY (any policies, not only flowlock's:\n"
	"a List, several YAML documents, single objects or JSON; other kinds are\n"
	"skipped) against the traffic learned in STATE, with Kubernetes semantics.\n"
	"Reports the observed edges the policies would deny (what would break at\n"
	"lockdown) and the workload pairs they allow beyond what was observed (excess\n"
	"privilege), then a summary line.\n"
	"\n"
	"  -I, --inventory FILE  kubectl get pods,namespaces,services -A -o yaml (or\n"
	"                        json): namespace labels for namespaceSelectors and\n"
	"                        container ports for named ports (repeatable)\n"
	"      --namespace GLOB  report on edges and pairs with a workload in a namespace\n"
	"                        matching GLOB only (repeatable); kube-system, kube-public\n"
	"                        and kube-node-lease only when a GLOB starting kube- names\n"
	"                        them, as emit writes policies\n"
	"      --exclude-namespace GLOB\n"
	"                        leave namespaces matching GLOB out (repeatable)\n"
	"  -q, --quiet           print the summary line only\n"
	"  -h, --help            this text\n"
	"\n"
	"Exit status: 0 nothing would break, 1 observed traffic would be denied,\n"
	"2 bad usage or bad input.\n";

/* ---- The report --------------------------------------------------------------------------- */

/* Once per namespace: Kubernetes' own ones are not reported on unless asked for. */
static void verify_say_scope(const struct graph *g, const struct policy_scope *scope, bool quiet)
{
	const char *last = NULL;
	size_t n = 0;

	/* workloads are sorted by id, so a namespace's k8s workloads come together */
	for (size_t i = 0; i <= graph_workload_count(g); i++) {
		const struct graph_workload *w = graph_workload(g, i);
		const char *ns = w && graph_workload_kind(w) == GRAPH_KIND_K8S
					 ? graph_workload_namespace(w)
					 : NULL;

		if (last && (!ns || strcmp(ns, last) != 0)) {
			if (!quiet)
				cli_log_error("warning: %s: %zu workload%s not reported on: "
					      "Kubernetes' own namespace is left out unless "
					      "--namespace %s names it",
					      last, n, n == 1 ? "" : "s", last);
			last = NULL;
		}
		if (!ns ||
		    util_k8s_namespace_scope(ns, scope->include, scope->n_include, scope->exclude,
					     scope->n_exclude) != UTIL_SCOPE_SYSTEM)
			continue;
		if (!last) {
			last = ns;
			n = 0;
		}
		n++;
	}
}

/* ---- The command -------------------------------------------------------------------------- */

int cli_verify(int argc, char **argv)
{
	enum {
		OPT_NAMESPACE = 0x100,
		OPT_EXCLUDE_NAMESPACE
	};
	static const struct option options[] = {
		{"inventory", required_argument, NULL, 'I'},
		{"namespace", required_argument, NULL, OPT_NAMESPACE},
		{"exclude-namespace", required_argument, NULL, OPT_EXCLUDE_NAMESPACE},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{},
	};
	struct inventory *inv = inventory_new();
	struct policy_report *report = NULL;
	struct policy_set *set = policy_set_new();
	struct graph *g = NULL;
	struct util_err err = {""};
	const char **inventories, **includes, **excludes;
	size_t n_inventories = 0, n_includes = 0, n_excludes = 0, hidden;
	struct policy_scope scope;
	bool quiet = false;
	int c, ret = CLI_EXIT_BAD;

	inventories = util_reallocarray(NULL, (size_t)argc, sizeof(*inventories));
	includes = util_reallocarray(NULL, (size_t)argc, sizeof(*includes));
	excludes = util_reallocarray(NULL, (size_t)argc, sizeof(*excludes));
	while ((c = getopt_long(argc, argv, "I:qh", options, NULL)) != -1) {
		switch (c) {
		case 'I':
			inventories[n_inventories++] = optarg;
			break;
		case OPT_NAMESPACE:
			includes[n_includes++] = optarg;
			break;
		case OPT_EXCLUDE_NAMESPACE:
			excludes[n_excludes++] = optarg;
			break;
		case 'q':
			quiet = true;
			break;
		case 'h':
			fputs(verify_help, stdout);
			ret = EXIT_SUCCESS;
			goto out;
		default:
			ret = cli_option_error("verify", argv);
			goto out;
		}
	}
	if (argc - optind != 2) {
		ret = cli_usage_error("verify", "expected a POLICY file and a STATE file");
		goto out;
	}
	if (graph_state_load(argv[optind + 1], &g, &err) < 0) {
		cli_log_error("%s", err.msg);
		goto out;
	}
	for (size_t i = 0; i < n_inventories; i++) {
		if (inventory_load(inv, inventories[i], &err) < 0) {
			cli_log_error("%s", err.msg);
			goto out;
		}
	}
	/* as learn does: the newest inventory's labels win, and its workloads are peers too */
	for (size_t i = 0; i < inventory_workload_count(inv); i++)
		(void)graph_add_workload(g, inventory_workload(inv, i));
	if (policy_set_load(set, argv[optind], &err) < 0) {
		cli_log_error("%s", err.msg);
		goto out;
	}
	if (policy_set_count(set) == 0)
		cli_log_error("warning: %s holds no NetworkPolicy of networking.k8s.io/v1: "
			      "nothing is isolated",
			      argv[optind]);

	scope = (struct policy_scope){includes, n_includes, excludes, n_excludes};
	verify_say_scope(g, &scope, quiet);
	/* a policy that isolates what is not reported on could break it unseen: say so */
	hidden = policy_scope_hidden(set, g, &scope);
	if (hidden)
		cli_log_error(
			"warning: the policies isolate %zu workload%s outside the namespaces "
			"reported on: give --namespace for them to see what would break there",
			hidden, hidden == 1 ? "" : "s");
	report = policy_verify(set, g, inv, &scope);
	/* a write error stays on the stream: the flush says it */
	(void)emit_verify(stdout, set, report, quiet);
	if (cli_stdout_flush() < 0)
		goto out;
	ret = policy_report_break_count(report) ? CLI_EXIT_FOUND : EXIT_SUCCESS;
out:
	policy_report_free(report);
	policy_set_free(set);
	inventory_free(inv);
	graph_free(g);
	free(inventories);
	free(includes);
	free(excludes);
	return ret;
}
