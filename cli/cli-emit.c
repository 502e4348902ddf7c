/* SPDX-License-Identifier: Apache-2.0 */
/* cli-emit.c - flowlock emit: a state rendered as NetworkPolicy, nftables, Graphviz or JSON. */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "learn/learn.h"
#include "emit/emit.h"
#include "util/util.h"
#include "cli/cli.h"

static const char emit_help[] =
	"Usage: flowlock emit --format k8s [--namespace GLOB]... [--exclude-namespace GLOB]...\n"
	"                     [--allow-dns] [-o FILE] STATE\n"
	"       flowlock emit --format dot|json [-o FILE] STATE\n"
	"       flowlock emit --format nftables [--mode enforce|audit]\n"
	"                     (--inventory FILE... | --docker[=SOCKET]) [-o FILE] STATE\n"
	"\n"
	"Renders the learned graph in STATE. For k8s, a workload never seen running\n"
	"while flowlock watched (a CronJob between runs, scaled to zero, Pending) gets\n"
	"no policy, nor do Kubernetes' own namespaces unless asked for; traffic with\n"
	"unknown cluster addresses is left out. Each is said on stderr.\n"
	"\n"
	"  -f, --format FORMAT  k8s: one least-privilege NetworkPolicy per workload\n"
	"                       dot: a Graphviz picture; json: the graph for other tools\n"
	"                       nftables: a ruleset for a standalone Docker host\n"
	"      --namespace GLOB k8s: write policies for namespaces matching GLOB only\n"
	"                       (repeatable); kube-system, kube-public and\n"
	"                       kube-node-lease only when a GLOB starting kube- names them\n"
	"      --exclude-namespace GLOB\n"
	"                       k8s: no policies for namespaces matching GLOB (repeatable)\n"
	"      --allow-dns      k8s: let every workload reach kube-dns on port 53\n"
	"      --mode MODE      nftables: enforce (log and drop what was not learned,\n"
	"                       the default) or audit (log it and let it through)\n"
	"  -I, --inventory FILE nftables: docker inspect output giving each container's\n"
	"                       current addresses (repeatable)\n"
	"      --docker[=SOCKET] nftables: ask the Docker Engine for them instead\n"
	"  -o, --output FILE    write to FILE (replaced atomically) instead of stdout;\n"
	"                       - is stdout\n"
	"  -q, --quiet          no warnings about what a format cannot express\n"
	"  -h, --help           this text\n";

/*
 * Writes through a temporary file so that a failed emit, a full disk or a read-only folder never
 * leaves half a policy behind, nor a temporary file. The temporary file comes first: an output
 * that cannot be written is said before any warning about what is rendered.
 */
static int render_to_file(enum emit_format format, const char *path, const struct graph *g,
			  const struct emit_options *opts, struct util_err *err)
{
	struct util_file *f;
	char *buf = NULL;
	size_t len = 0;
	FILE *mem;
	int r;

	r = util_file_begin(path, 0644, &f, err);
	if (r < 0)
		return r;
	mem = open_memstream(&buf, &len);
	if (!mem) {
		int e = errno;

		util_file_abort(f);
		return util_err_set(err, e, "%s: %s", path, strerror(e));
	}
	r = emit_graph(format, mem, g, opts, err);
	if (fclose(mem) != 0 && r == 0)
		r = util_err_set(err, ENOMEM, "%s: out of memory", path);
	if (r < 0)
		util_file_abort(f);
	else
		r = util_file_commit(f, buf, len, err);
	free(buf);
	return r;
}

int cli_render(enum emit_format format, const char *state_path, const char *out_path,
	       const struct emit_options *opts)
{
	struct util_err err = {""};
	struct graph *g = NULL;
	int ret = CLI_EXIT_BAD;

	if (graph_state_load(state_path, &g, &err) < 0) {
		cli_log_error("%s", err.msg);
		return CLI_EXIT_BAD;
	}
	if (out_path) {
		if (render_to_file(format, out_path, g, opts, &err) < 0) {
			cli_log_error("%s", err.msg);
			goto out;
		}
	} else {
		if (emit_graph(format, stdout, g, opts, &err) < 0) {
			cli_log_error("%s", err.msg);
			goto out;
		}
		if (cli_stdout_flush() < 0)
			goto out;
	}
	ret = EXIT_SUCCESS;
out:
	graph_free(g);
	return ret;
}

/* nftables needs addresses: what the inventory (files or the engine) says each workload holds now
 */
static size_t emit_addresses(void *userdata, const struct graph_workload *w, struct util_addr *ret,
			     size_t max)
{
	return inventory_addresses(userdata, graph_workload_id(w), ret, max);
}

/* What `flowlock emit` was asked, once its options are parsed. */
struct emit_cmd {
	struct emit_options opts;
	enum emit_format format;
	const char *out_path, *docker_socket, **inventories, **includes, **excludes;
	bool have_format, quiet, have_mode;
	size_t n_inventories;
};

/* The options into cmd. Returns -1 to go on, or the exit status (--help, a usage error). */
static int emit_parse_options(int argc, char **argv, struct emit_cmd *cmd)
{
	enum {
		OPT_ALLOW_DNS = 0x100,
		OPT_MODE,
		OPT_DOCKER,
		OPT_NAMESPACE,
		OPT_EXCLUDE_NAMESPACE,
	};
	static const struct option options[] = {
		{"format", required_argument, NULL, 'f'},
		{"output", required_argument, NULL, 'o'},
		{"allow-dns", no_argument, NULL, OPT_ALLOW_DNS},
		{"namespace", required_argument, NULL, OPT_NAMESPACE},
		{"exclude-namespace", required_argument, NULL, OPT_EXCLUDE_NAMESPACE},
		{"mode", required_argument, NULL, OPT_MODE},
		{"inventory", required_argument, NULL, 'I'},
		{"docker", optional_argument, NULL, OPT_DOCKER},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{},
	};
	struct emit_options *opts = &cmd->opts;
	int c;

	while ((c = getopt_long(argc, argv, "f:o:I:qh", options, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (emit_format_from_name(optarg, &cmd->format) < 0 ||
			    cmd->format == EMIT_FORMAT_TABLE)
				return cli_usage_error(
					"emit", "--format is one of k8s, dot, json, nftables");
			cmd->have_format = true;
			break;
		case 'o':
			cmd->out_path = optarg;
			break;
		case OPT_ALLOW_DNS:
			opts->allow_dns = true;
			break;
		case OPT_NAMESPACE:
			cmd->includes[opts->n_namespaces++] = optarg;
			break;
		case OPT_EXCLUDE_NAMESPACE:
			cmd->excludes[opts->n_exclude_namespaces++] = optarg;
			break;
		case OPT_MODE:
			if (strcmp(optarg, "enforce") == 0)
				opts->nft_mode = EMIT_NFT_ENFORCE;
			else if (strcmp(optarg, "audit") == 0)
				opts->nft_mode = EMIT_NFT_AUDIT;
			else
				return cli_usage_error("emit", "--mode is enforce or audit");
			cmd->have_mode = true;
			break;
		case 'I':
			cmd->inventories[cmd->n_inventories++] = optarg;
			break;
		case OPT_DOCKER:
			cmd->docker_socket = optarg ? optarg : INVENTORY_DOCKER_SOCKET;
			if (!optarg && optind < argc && argv[optind][0] == '/' && argc - optind > 1)
				cmd->docker_socket = argv[optind++];
			break;
		case 'q':
			cmd->quiet = true;
			break;
		case 'h':
			fputs(emit_help, stdout);
			return EXIT_SUCCESS;
		default:
			return cli_option_error("emit", argv);
		}
	}
	return -1;
}

/* Options that do not go together, and what a format needs. -1 when all is well. */
static int emit_validate(int argc, struct emit_cmd *cmd)
{
	const struct emit_options *opts = &cmd->opts;

	if (!cmd->have_format)
		return cli_usage_error("emit", "--format is required (k8s, dot, json or nftables)");
	if (argc - optind != 1)
		return cli_usage_error("emit", "expected exactly one STATE file");
	if (cmd->format != EMIT_FORMAT_K8S &&
	    (opts->n_namespaces || opts->n_exclude_namespaces || opts->allow_dns))
		return cli_usage_error("emit",
				       "--namespace, --exclude-namespace and --allow-dns go "
				       "with --format k8s");
	/* "-o -" is standard output, as "-" is for input */
	if (cmd->out_path && strcmp(cmd->out_path, "-") == 0)
		cmd->out_path = NULL;
	if (cmd->format != EMIT_FORMAT_NFTABLES &&
	    (cmd->have_mode || cmd->n_inventories || cmd->docker_socket))
		return cli_usage_error(
			"emit", "--mode, --inventory and --docker go with --format nftables");
	/* the graph holds workloads; the rules need the addresses they have now */
	if (cmd->format == EMIT_FORMAT_NFTABLES && !cmd->n_inventories && !cmd->docker_socket)
		return cli_usage_error("emit", "--format nftables needs current addresses: give "
					       "--inventory FILE or --docker");
	return -1;
}

/* nftables: the inventory files, then the engine, say what each workload holds now. */
static int emit_open_addresses(struct emit_cmd *cmd, struct inventory **inv,
			       struct inventory_docker **docker)
{
	struct util_err err = {""};

	*inv = inventory_new();
	for (size_t i = 0; i < cmd->n_inventories; i++) {
		if (inventory_load(*inv, cmd->inventories[i], &err) < 0) {
			cli_log_error("%s", err.msg);
			return CLI_EXIT_BAD;
		}
	}
	if (cmd->docker_socket &&
	    inventory_docker_open(cmd->docker_socket, *inv, docker, &err) < 0) {
		cli_log_error("%s", err.msg);
		return CLI_EXIT_BAD;
	}
	cmd->opts.addresses = emit_addresses;
	cmd->opts.addresses_userdata = *inv;
	return -1;
}

int cli_emit(int argc, char **argv)
{
	struct emit_cmd cmd = {.opts = {.warn = cli_warn_stderr}, .format = EMIT_FORMAT_K8S};
	struct inventory *inv = NULL;
	struct inventory_docker *docker = NULL;
	int ret;

	cmd.inventories = util_reallocarray(NULL, (size_t)argc, sizeof(*cmd.inventories));
	cmd.includes = util_reallocarray(NULL, (size_t)argc, sizeof(*cmd.includes));
	cmd.excludes = util_reallocarray(NULL, (size_t)argc, sizeof(*cmd.excludes));
	cmd.opts.warn_userdata = &cmd.quiet;
	cmd.opts.namespaces = cmd.includes;
	cmd.opts.exclude_namespaces = cmd.excludes;
	ret = emit_parse_options(argc, argv, &cmd);
	if (ret < 0)
		ret = emit_validate(argc, &cmd);
	if (ret < 0 && cmd.format == EMIT_FORMAT_NFTABLES)
		ret = emit_open_addresses(&cmd, &inv, &docker);
	if (ret < 0)
		ret = cli_render(cmd.format, argv[optind], cmd.out_path, &cmd.opts);
	inventory_docker_free(docker);
	inventory_free(inv);
	free(cmd.inventories);
	free(cmd.includes);
	free(cmd.excludes);
	return ret;
}
