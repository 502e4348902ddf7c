/* SPDX-License-Identifier: Apache-2.0 */
/* main.c - the flowlock command line: capture -> learn -> emit, wired in that order. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture/capture.h"
#include "emit/emit.h"
#include "learn/learn.h"
#include "util/util.h"

#define EXIT_BAD 2 /* bad usage or bad input */

static void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void log_error(const char *fmt, ...)
{
	va_list ap;

	fputs("flowlock: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void warn_stderr(void *userdata, const char *msg)
{
	bool quiet = userdata && *(bool *)userdata;

	if (!quiet)
		fprintf(stderr, "flowlock: warning: %s\n", msg);
}

static int usage_error(const char *cmd, const char *what)
{
	log_error("%s: %s (see 'flowlock %s --help')", cmd, what, cmd);
	return EXIT_BAD;
}

/* getopt stays quiet (opterr = 0): the one line about a bad option is ours. */
static int option_error(const char *cmd, char **argv)
{
	char what[128];

	if (optopt && optopt < 0x100)
		snprintf(what, sizeof(what), "unknown option or missing argument: -%c", optopt);
	else
		snprintf(what, sizeof(what), "unknown option or missing argument: %.80s",
			 argv[optind - 1]);
	return usage_error(cmd, what);
}

/* ---- learn -------------------------------------------------------------------------------- */

static const char learn_help[] =
	"Usage: flowlock learn [-r FILE]... [--inventory FILE]... --state STATE\n"
	"\n"
	"Reads capture files, attributes every flow to a workload and merges the\n"
	"learned edges into STATE (created if missing; observation accumulates).\n"
	"\n"
	"  -r, --read FILE          a pcap or pcapng capture (repeatable)\n"
	"  -I, --inventory FILE     kubectl get pods,namespaces,services -A -o yaml|json\n"
	"                           output, or docker inspect JSON (repeatable)\n"
	"  -s, --state STATE        the state file to create or update (required)\n"
	"      --external-prefix N  aggregate unknown IPv4 peers to /N (default 32)\n"
	"      --external-prefix6 N aggregate unknown IPv6 peers to /N (default 128)\n"
	"  -q, --quiet              no summary on standard error\n"
	"  -h, --help               this text\n";

struct learn_ctx {
	struct learn_graph *graph;
	struct learn_inventory *inv;
	uint64_t flows;
};

static void learn_on_flow(const struct capture_flow *flow, void *userdata)
{
	struct learn_ctx *ctx = userdata;

	ctx->flows++;
	(void)learn_graph_add_flow(ctx->graph, ctx->inv, flow);
}

static int parse_prefix(const char *arg, unsigned max, unsigned *ret)
{
	uint64_t v;

	if (util_parse_u64(arg, max, &v) < 0 || v == 0)
		return -EINVAL;
	*ret = (unsigned)v;
	return 0;
}

static int cmd_learn(int argc, char **argv)
{
	enum {
		OPT_PREFIX4 = 0x100,
		OPT_PREFIX6
	};
	static const struct option options[] = {
		{"read", required_argument, NULL, 'r'},
		{"inventory", required_argument, NULL, 'I'},
		{"state", required_argument, NULL, 's'},
		{"external-prefix", required_argument, NULL, OPT_PREFIX4},
		{"external-prefix6", required_argument, NULL, OPT_PREFIX6},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{},
	};
	const char **reads = NULL, **inventories = NULL, *state_path = NULL;
	size_t n_reads = 0, n_inventories = 0, edges_before;
	struct capture_tracker *tracker = NULL;
	struct capture_stats stats = {0};
	struct learn_ctx ctx = {0};
	unsigned prefix4 = 32, prefix6 = 128;
	struct util_err err = {""};
	bool quiet = false;
	int c, r, ret = EXIT_BAD;

	reads = util_reallocarray(NULL, (size_t)argc, sizeof(*reads));
	inventories = util_reallocarray(NULL, (size_t)argc, sizeof(*inventories));
	while ((c = getopt_long(argc, argv, "r:I:s:qh", options, NULL)) != -1) {
		switch (c) {
		case 'r':
			reads[n_reads++] = optarg;
			break;
		case 'I':
			inventories[n_inventories++] = optarg;
			break;
		case 's':
			state_path = optarg;
			break;
		case OPT_PREFIX4:
			if (parse_prefix(optarg, 32, &prefix4) < 0) {
				ret = usage_error("learn", "--external-prefix takes 1 to 32");
				goto out;
			}
			break;
		case OPT_PREFIX6:
			if (parse_prefix(optarg, 128, &prefix6) < 0) {
				ret = usage_error("learn", "--external-prefix6 takes 1 to 128");
				goto out;
			}
			break;
		case 'q':
			quiet = true;
			break;
		case 'h':
			fputs(learn_help, stdout);
			ret = EXIT_SUCCESS;
			goto out;
		default:
			ret = option_error("learn", argv);
			goto out;
		}
	}
	if (optind < argc) {
		ret = usage_error("learn", "unexpected argument; captures are given with -r");
		goto out;
	}
	if (!state_path) {
		ret = usage_error("learn", "--state is required");
		goto out;
	}
	if (n_reads == 0) {
		ret = usage_error("learn", "nothing to learn from: give at least one -r FILE");
		goto out;
	}

	/* Everything is read and checked before the state is written: bad input never touches it.
	 */
	r = learn_state_load(state_path, &ctx.graph, &err);
	if (r == -ENOENT) {
		ctx.graph = learn_graph_new();
	} else if (r < 0) {
		log_error("%s", err.msg);
		goto out;
	}
	edges_before = learn_graph_edge_count(ctx.graph);

	ctx.inv = learn_inventory_new();
	(void)learn_inventory_set_external_prefix(ctx.inv, prefix4, prefix6);
	for (size_t i = 0; i < n_inventories; i++) {
		if (learn_inventory_load(ctx.inv, inventories[i], &err) < 0) {
			log_error("%s", err.msg);
			goto out;
		}
	}
	for (size_t i = 0; i < learn_inventory_workload_count(ctx.inv); i++)
		(void)learn_graph_add_workload(ctx.graph, learn_inventory_workload(ctx.inv, i));

	tracker = capture_tracker_new(learn_on_flow, &ctx);
	for (size_t i = 0; i < n_reads; i++) {
		if (capture_file_read(tracker, reads[i], &stats, &err) < 0) {
			log_error("%s", err.msg);
			goto out;
		}
	}
	capture_tracker_flush(tracker);

	learn_graph_add_counter(ctx.graph, "packets", stats.packets);
	learn_graph_add_counter(ctx.graph, "packets-decoded", stats.decoded);
	learn_graph_add_counter(ctx.graph, "packets-truncated", stats.truncated);
	learn_graph_add_counter(ctx.graph, "packets-not-ip", stats.not_ip);
	learn_graph_add_counter(ctx.graph, "packets-fragment", stats.fragments);
	learn_graph_add_counter(ctx.graph, "packets-unsupported", stats.unsupported);
	learn_graph_add_counter(ctx.graph, "packets-malformed", stats.malformed);
	learn_graph_add_counter(ctx.graph, "flows", ctx.flows);

	if (learn_state_save(ctx.graph, state_path, &err) < 0) {
		log_error("%s", err.msg);
		goto out;
	}
	if (!quiet)
		fprintf(stderr,
			"flowlock: %" PRIu64 " packets, %" PRIu64 " flows -> %zu edges (%zu new) "
			"among %zu workloads in %s; skipped %" PRIu64 " truncated, %" PRIu64
			" malformed, %" PRIu64 " fragments, %" PRIu64 " non-IP, %" PRIu64
			" other\n",
			stats.packets, ctx.flows, learn_graph_edge_count(ctx.graph),
			learn_graph_edge_count(ctx.graph) - edges_before,
			learn_graph_workload_count(ctx.graph), state_path, stats.truncated,
			stats.malformed, stats.fragments, stats.not_ip, stats.unsupported);
	ret = EXIT_SUCCESS;
out:
	capture_tracker_free(tracker);
	learn_inventory_free(ctx.inv);
	learn_graph_free(ctx.graph);
	free(reads);
	free(inventories);
	return ret;
}

/* ---- emit and show ------------------------------------------------------------------------ */

static const char emit_help[] =
	"Usage: flowlock emit --format k8s|dot|json [--allow-dns] [-o FILE] STATE\n"
	"\n"
	"Renders the learned graph in STATE.\n"
	"\n"
	"  -f, --format FORMAT  k8s: one least-privilege NetworkPolicy per workload\n"
	"                       dot: a Graphviz picture; json: the graph for other tools\n"
	"      --allow-dns      k8s: let every workload reach kube-dns on port 53\n"
	"  -o, --output FILE    write to FILE (replaced atomically) instead of stdout\n"
	"  -q, --quiet          no warnings about what a format cannot express\n"
	"  -h, --help           this text\n";

static const char show_help[] =
	"Usage: flowlock show STATE\n"
	"\n"
	"Prints the learned graph as a table: client, server, protocol, port,\n"
	"connections, first and last seen.\n";

/* Writes through a temporary file so that a failed emit never leaves half a policy behind. */
static int render_to_file(enum emit_format format, const char *path, const struct learn_graph *g,
			  const struct emit_options *opts, struct util_err *err)
{
	char *tmp = util_asprintf("%s.tmp.XXXXXX", path);
	FILE *f = NULL;
	int fd, r;

	fd = mkstemp(tmp);
	if (fd < 0) {
		r = util_err_set(err, errno, "%s: cannot create: %s", path, strerror(errno));
		goto out;
	}
	(void)fchmod(fd, 0644);
	f = fdopen(fd, "w");
	if (!f) {
		r = util_err_set(err, errno, "%s: %s", path, strerror(errno));
		close(fd);
		goto fail;
	}
	r = emit_graph(format, f, g, opts, err);
	if (r < 0)
		goto fail;
	if (fflush(f) != 0 || fsync(fileno(f)) < 0) {
		r = util_err_set(err, errno, "%s: write failed: %s", path, strerror(errno));
		goto fail;
	}
	if (fclose(f) != 0) {
		f = NULL;
		r = util_err_set(err, errno, "%s: write failed: %s", path, strerror(errno));
		goto fail;
	}
	f = NULL;
	if (rename(tmp, path) < 0) {
		r = util_err_set(err, errno, "%s: %s", path, strerror(errno));
		goto fail;
	}
	r = 0;
	goto out;
fail:
	if (f)
		fclose(f);
	(void)unlink(tmp);
out:
	free(tmp);
	return r;
}

static int render(enum emit_format format, const char *state_path, const char *out_path,
		  const struct emit_options *opts)
{
	struct util_err err = {""};
	struct learn_graph *g = NULL;
	int ret = EXIT_BAD;

	if (learn_state_load(state_path, &g, &err) < 0) {
		log_error("%s", err.msg);
		return EXIT_BAD;
	}
	if (out_path) {
		if (render_to_file(format, out_path, g, opts, &err) < 0) {
			log_error("%s", err.msg);
			goto out;
		}
	} else {
		if (emit_graph(format, stdout, g, opts, &err) < 0) {
			log_error("%s", err.msg);
			goto out;
		}
		if (fflush(stdout) != 0 || ferror(stdout)) {
			log_error("standard output: write failed: %s", strerror(errno));
			goto out;
		}
	}
	ret = EXIT_SUCCESS;
out:
	learn_graph_free(g);
	return ret;
}

static int cmd_emit(int argc, char **argv)
{
	enum {
		OPT_ALLOW_DNS = 0x100
	};
	static const struct option options[] = {
		{"format", required_argument, NULL, 'f'},
		{"output", required_argument, NULL, 'o'},
		{"allow-dns", no_argument, NULL, OPT_ALLOW_DNS},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{},
	};
	struct emit_options opts = {.warn = warn_stderr};
	enum emit_format format = EMIT_FORMAT_K8S;
	const char *out_path = NULL;
	bool have_format = false, quiet = false;
	int c;

	opts.warn_userdata = &quiet;
	while ((c = getopt_long(argc, argv, "f:o:qh", options, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (emit_format_from_name(optarg, &format) < 0 ||
			    format == EMIT_FORMAT_TABLE)
				return usage_error("emit", "--format is one of k8s, dot, json");
			have_format = true;
			break;
		case 'o':
			out_path = optarg;
			break;
		case OPT_ALLOW_DNS:
			opts.allow_dns = true;
			break;
		case 'q':
			quiet = true;
			break;
		case 'h':
			fputs(emit_help, stdout);
			return EXIT_SUCCESS;
		default:
			return option_error("emit", argv);
		}
	}
	if (!have_format)
		return usage_error("emit", "--format is required (k8s, dot or json)");
	if (argc - optind != 1)
		return usage_error("emit", "expected exactly one STATE file");
	return render(format, argv[optind], out_path, &opts);
}

static int cmd_show(int argc, char **argv)
{
	static const struct option options[] = {
		{"help", no_argument, NULL, 'h'},
		{},
	};
	struct emit_options opts = {.warn = warn_stderr};
	int c;

	while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		if (c == 'h') {
			fputs(show_help, stdout);
			return EXIT_SUCCESS;
		}
		return option_error("show", argv);
	}
	if (argc - optind != 1)
		return usage_error("show", "expected exactly one STATE file");
	return render(EMIT_FORMAT_TABLE, argv[optind], NULL, &opts);
}

/* ---- dispatch ----------------------------------------------------------------------------- */

static const char main_help[] =
	"Usage: flowlock COMMAND [OPTIONS]\n"
	"\n"
	"Learns the least-privilege communication graph of container workloads from\n"
	"their traffic and writes the network policy that allows exactly that.\n"
	"\n"
	"Commands:\n"
	"  learn   read captures, attribute flows to workloads, update a state file\n"
	"  emit    render a state as Kubernetes NetworkPolicy, Graphviz or JSON\n"
	"  show    print a state as a table\n"
	"\n"
	"Run 'flowlock COMMAND --help' for a command's options.\n"
	"Exit status: 0 success, 2 bad usage or bad input.\n";

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} commands[] = {
	{"learn", cmd_learn},
	{"emit", cmd_emit},
	{"show", cmd_show},
};

int main(int argc, char **argv)
{
	opterr = 0;
	if (argc < 2) {
		log_error("no command given (see 'flowlock --help')");
		return EXIT_BAD;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		fputs(main_help, stdout);
		return EXIT_SUCCESS;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
		printf("flowlock %s\n", FLOWLOCK_VERSION);
		return EXIT_SUCCESS;
	}
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(commands); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].fn(argc - 1, argv + 1);
	log_error("unknown command '%s' (see 'flowlock --help')", argv[1]);
	return EXIT_BAD;
}
