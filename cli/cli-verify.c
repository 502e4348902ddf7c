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

/* What `flowlock verify` was asked, and what it has read. */
struct verify_cmd {
	const char **inventories, **includes, **excludes;
	size_t n_inventories, n_includes, n_excludes;
	bool quiet;
	struct inventory *inv;
	struct policy_set *set;
	struct graph *g;
};

/* The options into cmd. Returns -1 to go on, or the exit status (--help, a usage error). */
static int verify_parse_options(int argc, char **argv, struct verify_cmd *cmd)
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
	int c;

	while ((c = getopt_long(argc, argv, "I:qh", options, NULL)) != -1) {
		switch (c) {
		case 'I':
			cmd->inventories[cmd->n_inventories++] = optarg;
			break;
		case OPT_NAMESPACE:
			cmd->includes[cmd->n_includes++] = optarg;
			break;
		case OPT_EXCLUDE_NAMESPACE:
			cmd->excludes[cmd->n_excludes++] = optarg;
			break;
		case 'q':
			cmd->quiet = true;
			break;
		case 'h':
			fputs(verify_help, stdout);
			return EXIT_SUCCESS;
		default:
			return cli_option_error("verify", argv);
		}
	}
	if (argc - optind != 2)
		return cli_usage_error("verify", "expected a POLICY file and a STATE file");
	return -1;
}

/* The state, the inventories (their workloads join the graph) and the policies. */
static int verify_load(const char *policy_path, const char *state_path, struct verify_cmd *cmd)
{
	struct util_err err = {""};

	if (graph_state_load(state_path, &cmd->g, &err) < 0) {
		cli_log_error("%s", err.msg);
		return CLI_EXIT_BAD;
	}
	for (size_t i = 0; i < cmd->n_inventories; i++) {
		if (inventory_load(cmd->inv, cmd->inventories[i], &err) < 0) {
			cli_log_error("%s", err.msg);
			return CLI_EXIT_BAD;
		}
	}
	/* as learn does: the newest inventory's labels win, and its workloads are peers too */
	for (size_t i = 0; i < inventory_workload_count(cmd->inv); i++)
		(void)graph_add_workload(cmd->g, inventory_workload(cmd->inv, i));
	if (policy_set_load(cmd->set, policy_path, &err) < 0) {
		cli_log_error("%s", err.msg);
		return CLI_EXIT_BAD;
	}
	if (policy_set_count(cmd->set) == 0)
		cli_log_error("warning: %s holds no NetworkPolicy of networking.k8s.io/v1: "
			      "nothing is isolated",
			      policy_path);
	return -1;
}

/* The verdicts, the scope's warnings first; 1 when something observed would break. */
static int verify_report(struct verify_cmd *cmd)
{
	struct policy_scope scope = {cmd->includes, cmd->n_includes, cmd->excludes,
				     cmd->n_excludes};
	struct policy_report *report;
	size_t hidden;
	int ret = CLI_EXIT_BAD;

	verify_say_scope(cmd->g, &scope, cmd->quiet);
	/* a policy that isolates what is not reported on could break it unseen: say so */
	hidden = policy_scope_hidden(cmd->set, cmd->g, &scope);
	if (hidden)
		cli_log_error(
			"warning: the policies isolate %zu workload%s outside the namespaces "
			"reported on: give --namespace for them to see what would break there",
			hidden, hidden == 1 ? "" : "s");
	report = policy_verify(cmd->set, cmd->g, cmd->inv, &scope);
	/* a write error stays on the stream: the flush says it */
	(void)emit_verify(stdout, cmd->set, report, cmd->quiet);
	if (cli_stdout_flush() == 0)
		ret = policy_report_break_count(report) ? CLI_EXIT_FOUND : EXIT_SUCCESS;
	policy_report_free(report);
	return ret;
}

int cli_verify(int argc, char **argv)
{
	struct verify_cmd cmd = {.inv = inventory_new(), .set = policy_set_new()};
	int ret;

	cmd.inventories = util_reallocarray(NULL, (size_t)argc, sizeof(*cmd.inventories));
	cmd.includes = util_reallocarray(NULL, (size_t)argc, sizeof(*cmd.includes));
	cmd.excludes = util_reallocarray(NULL, (size_t)argc, sizeof(*cmd.excludes));
	ret = verify_parse_options(argc, argv, &cmd);
	if (ret < 0)
		ret = verify_load(argv[optind], argv[optind + 1], &cmd);
	if (ret < 0)
		ret = verify_report(&cmd);
	policy_set_free(cmd.set);
	inventory_free(cmd.inv);
	graph_free(cmd.g);
	free(cmd.inventories);
	free(cmd.includes);
	free(cmd.excludes);
	return ret;
}
