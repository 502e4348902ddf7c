/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cli-learn.c - flowlock learn and flowlock check: their options, then the state (or baseline),
 * the inventory and the agent (learn/), wired in the data flow's order: files, then live.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capture/capture.h"
#include "learn/learn.h"
#include "emit/emit.h"
#include "util/util.h"
#include "cli/cli.h"

/* ---- learn ------------------------------------------------------------------------------- */

static const char learn_help[] =
	"Usage: flowlock learn [-r FILE]... [-i IFACE_OR_PATTERN]... [--conntrack]\n"
	"                      [--docker[=SOCKET]] [--inventory FILE]... --state STATE\n"
	"                      [--duration SECS] [--checkpoint SECS] [--user NAME]\n"
	"                      [--tunnel-port KIND:PORT]... [--no-tunnels]\n"
	"\n"
	"Learns who talks to whom and merges it into STATE (created if missing;\n"
	"observation accumulates). Capture files are read first; then, with -i or\n"
	"--conntrack, it watches live traffic until --duration ends or SIGINT or\n"
	"SIGTERM arrives, writing STATE every --checkpoint seconds and on exit.\n"
	"SIGHUP re-reads the inventory files (so does a change to one of them).\n"
	"\n"
	"  -r, --read FILE          a pcap or pcapng capture (repeatable)\n"
	"  -i, --interface PATTERN  capture live on matching interfaces: docker0, br-*,\n"
	"                           veth* (repeatable; interfaces that appear later are\n"
	"                           attached, deleted ones detached)\n"
	"      --conntrack          also learn from connection tracking (sees DNAT)\n"
	"      --docker[=SOCKET]    name containers through the Docker Engine API\n"
	"                           (default " INVENTORY_DOCKER_SOCKET ")\n"
	"  -I, --inventory FILE     kubectl get nodes,namespaces,pods,services,\n"
	"                           endpointslices -A -o yaml|json output (controllers\n"
	"                           such as deployments,cronjobs too), or docker inspect\n"
	"                           JSON (repeatable). Live, a FIFO or - is a watch:\n"
	"                           kubectl get KIND -A --watch --output-watch-events\n"
	"                           -o json, each change applied as it comes\n"
	"  -s, --state STATE        the state file to create or update (required)\n"
	"      --node NAME          the node this agent runs on, kept in STATE so that\n"
	"                           'flowlock merge' counts each node once\n"
	"      --duration SECS      stop live capture after SECS (default: until a signal)\n"
	"      --checkpoint SECS    write STATE every SECS while live (default 60)\n"
	"      --user NAME          after opening everything, run as NAME keeping only\n"
	"                           CAP_NET_RAW and CAP_NET_ADMIN\n"
	"      --pod-cidr CIDR      a range of pod addresses (repeatable; Nodes' podCIDRs\n"
	"                           in the inventory are used too)\n"
	"      --service-cidr CIDR  the range of ClusterIPs (repeatable; ServiceCIDR objects\n"
	"                           and the Services' own addresses are used too)\n"
	"      --external-prefix N  aggregate outside IPv4 peers to /N (default 32)\n"
	"      --external-prefix6 N aggregate outside IPv6 peers to /N (default 128)\n"
	"      --max-flows N        open flows tracked at most (default 262144); when full,\n"
	"                           the oldest unanswered one is ended (flows-evicted)\n"
	"      --one-way            the capture point sees only one direction of each\n"
	"                           connection: a flow counts as served unless refused,\n"
	"                           a half-open scan or a lone SYN (UDP probes count too)\n"
	"      --tunnel-port KIND:PORT\n"
	"                           also open KIND (vxlan or geneve) on UDP PORT and\n"
	"                           learn the flow inside (repeatable; defaults:\n"
	"                           vxlan:4789, vxlan:8472, geneve:6081)\n"
	"      --no-tunnels         open no tunnel but the --tunnel-port ones: no default\n"
	"                           port, no IP-in-IP or GRE\n"
	"  -q, --quiet              no progress, warnings or summary on standard error\n"
	"  -h, --help               this text\n"
	"\n"
	"Only served flows become edges: refused and unanswered ones are kept as\n"
	"attempts, which 'flowlock show --coverage' lists. Inside VXLAN and Geneve on\n"
	"the tunnel ports, IP-in-IP and GRE, and behind MPLS and PPPoE, the inner flow\n"
	"is learned, not the tunnel. -r - and --inventory - read standard input. An\n"
	"address inside a pod or service range that matches no pod or Service is an\n"
	"unknown peer: it is listed, and no policy allows it.\n";

static const char check_help[] =
	"Usage: flowlock check --baseline STATE [-r FILE]... [-i IFACE_OR_PATTERN]...\n"
	"                      [--conntrack] [--docker[=SOCKET]] [--inventory FILE]...\n"
	"                      [--duration SECS] [--user NAME] [--format text|json]\n"
	"\n"
	"Reads new traffic as 'flowlock learn' does and reports every flow whose edge\n"
	"(client, server, protocol, port) the baseline STATE does not have, one line\n"
	"each: when it began, client, server, protocol and port. A summary line ends\n"
	"the report. Capture files are reported sorted by time; live traffic is\n"
	"reported as it happens, until --duration ends or SIGINT or SIGTERM arrives.\n"
	"Nothing is written to the baseline or any other state.\n"
	"\n"
	"  -b, --baseline STATE     the state learned before (required)\n"
	"  -f, --format FORMAT      text (the default), or json: one object per line\n"
	"  -r, -i, --conntrack, --docker, -I, --duration, --user, --pod-cidr,\n"
	"  --service-cidr, --external-prefix, --external-prefix6, --max-flows, --one-way,\n"
	"  --tunnel-port, --no-tunnels\n"
	"                           as for 'flowlock learn' (give the inventories,\n"
	"                           ranges and prefixes the baseline was learned with)\n"
	"  -q, --quiet              no progress on standard error\n"
	"  -h, --help               this text\n"
	"\n"
	"Exit status: 0 every flow is in the baseline, 1 some are not, 2 bad usage\n"
	"or bad input.\n";

/* --max-flows: a few more than a handful of connections, and at most ~3 GiB of flows. */
#define CLI_MAX_FLOWS_MIN 64u
#define CLI_MAX_FLOWS_MAX (1u << 24)

/* What a step returns when the command goes on; any other value is the exit status. */
#define LEARN_GO_ON (-1)

struct learn_opts {
	bool check; /* flowlock check: compare with baseline_path, write no state */
	const char *cmd;
	const char *baseline_path;
	enum emit_report_format format;
	const char **reads, **inventories, **patterns, **ranges, **tunnel_ports;
	size_t n_reads, n_inventories, n_patterns, n_ranges, n_tunnel_ports;
	const char *state_path, *docker_socket, *user;
	const char *node; /* --node: whose counts these are, for flowlock merge */
	bool conntrack, docker, quiet;
	bool live;	  /* -i or --conntrack */
	bool one_way;	  /* --one-way: the capture point sees one direction */
	size_t max_flows; /* --max-flows, 0 for the tracker's default */
	unsigned prefix4, prefix6;
	struct capture_tunnels tunnels; /* --tunnel-port, after the defaults unless --no-tunnels */
	bool no_tunnels;
	uint64_t duration_s, checkpoint_s;
	bool have_checkpoint; /* --checkpoint was given: check refuses it */
};

/* Where check's reports and the agent's messages go: stdout and stderr. */
struct learn_out {
	enum emit_report_format format; /* check's reports */
	/* a report could not be written: the agent stops */
	int failed;
	/* stderr is a terminal: the status line is updated in place */
	bool tty;
};

/* What learn and check open; learn_close frees it. */
struct learn_run {
	struct learn_opts *o;
	struct learn_out out;
	struct graph *graph;	   /* learn: the state; NULL in check mode */
	struct graph *baseline;	   /* check: only looked up */
	struct learn_check *check; /* check: every flow goes here instead of to graph */
	struct inventory *inv;
	struct learn_agent *agent;
	size_t edges_before;
};

/* ---- Where things are said ---------------------------------------------------------------- */

static void check_report(void *userdata, const struct learn_violation *v)
{
	struct learn_out *out = userdata;
	struct util_err err = {""};

	if (out->failed)
		return;
	if (emit_violation(stdout, out->format, v, &err) < 0) {
		cli_log_error("%s", err.msg);
		out->failed = -EIO;
	}
}

/* check stops when its report cannot be written any more */
static bool check_stopped(void *userdata)
{
	const struct learn_out *out = userdata;

	return out->failed != 0;
}

static void learn_log(void *userdata, const char *line)
{
	cli_log_error("%s", line);
}

static void learn_status(void *userdata, const char *text, bool final)
{
	const struct learn_out *out = userdata;

	/* one line updated in place on a terminal; a log line otherwise */
	if (out->tty)
		fprintf(stderr, "\r\033[Kflowlock: %s%s", text, final ? "\n" : "");
	else
		fprintf(stderr, "flowlock: %s\n", text);
}

/* ---- Options ------------------------------------------------------------------------------ */

enum {
	OPT_PREFIX4 = 0x100,
	OPT_PREFIX6,
	OPT_CONNTRACK,
	OPT_DOCKER,
	OPT_DURATION,
	OPT_CHECKPOINT,
	OPT_USER,
	OPT_NODE,
	OPT_RANGE,
	OPT_MAX_FLOWS,
	OPT_ONE_WAY,
	OPT_TUNNEL_PORT,
	OPT_NO_TUNNELS,
};

static int parse_prefix(const char *arg, unsigned max, unsigned *ret)
{
	uint64_t v;

	if (util_parse_u64(arg, max, &v) < 0 || v == 0)
		return -EINVAL;
	*ret = (unsigned)v;
	return 0;
}

/* The options that take a number or a name with limits. */
static int learn_option_value(struct learn_opts *o, int c)
{
	uint64_t v;

	switch (c) {
	case OPT_DURATION:
	case OPT_CHECKPOINT:
		if (util_parse_u64(optarg, 10 * 365 * 86400ULL, &v) < 0 || v == 0)
			return cli_usage_error(
				o->cmd, c == OPT_DURATION ? "--duration takes whole seconds > 0"
							  : "--checkpoint takes whole seconds > 0");
		if (c == OPT_DURATION) {
			o->duration_s = v;
		} else {
			o->checkpoint_s = v;
			o->have_checkpoint = true;
		}
		return LEARN_GO_ON;
	case OPT_NODE:
		if (o->check)
			return cli_usage_error(o->cmd, "--node goes with 'flowlock learn'");
		if (!graph_node_name_valid(optarg))
			return cli_usage_error(o->cmd, "--node takes 1 to 253 of [A-Za-z0-9._-], "
						       "alphanumeric first");
		o->node = optarg;
		return LEARN_GO_ON;
	case OPT_PREFIX4:
		if (parse_prefix(optarg, 32, &o->prefix4) < 0)
			return cli_usage_error(o->cmd, "--external-prefix takes 1 to 32");
		return LEARN_GO_ON;
	case OPT_PREFIX6:
		if (parse_prefix(optarg, 128, &o->prefix6) < 0)
			return cli_usage_error(o->cmd, "--external-prefix6 takes 1 to 128");
		return LEARN_GO_ON;
	case OPT_MAX_FLOWS:
		if (util_parse_u64(optarg, CLI_MAX_FLOWS_MAX, &v) < 0 || v < CLI_MAX_FLOWS_MIN)
			return cli_usage_error(o->cmd, "--max-flows takes 64 to 16777216");
		o->max_flows = (size_t)v;
		return LEARN_GO_ON;
	}
	return LEARN_GO_ON;
}

/* One option getopt_long returned. */
static int learn_option(struct learn_opts *o, int c, int argc, char **argv)
{
	switch (c) {
	case 'r':
		o->reads[o->n_reads++] = optarg;
		break;
	case 'i':
		o->patterns[o->n_patterns++] = optarg;
		break;
	case 'I':
		o->inventories[o->n_inventories++] = optarg;
		break;
	case OPT_RANGE:
		o->ranges[o->n_ranges++] = optarg;
		break;
	case OPT_TUNNEL_PORT:
		o->tunnel_ports[o->n_tunnel_ports++] = optarg;
		break;
	case 's':
		o->state_path = optarg;
		break;
	case 'b':
		o->baseline_path = optarg;
		break;
	case 'f':
		if (emit_report_format_from_name(optarg, &o->format) < 0 ||
		    o->format == EMIT_REPORT_MARKDOWN)
			return cli_usage_error(o->cmd, "--format is text or json");
		break;
	case OPT_CONNTRACK:
		o->conntrack = true;
		break;
	case OPT_DOCKER:
		o->docker = true;
		/* "--docker SOCKET" as well as "--docker=SOCKET": a path is not an option */
		if (optarg)
			o->docker_socket = optarg;
		else if (optind < argc && argv[optind][0] == '/')
			o->docker_socket = argv[optind++];
		break;
	case OPT_USER:
		o->user = optarg;
		break;
	case OPT_ONE_WAY:
		o->one_way = true;
		break;
	case OPT_NO_TUNNELS:
		o->no_tunnels = true;
		break;
	case 'q':
		o->quiet = true;
		break;
	case 'h':
		fputs(o->check ? check_help : learn_help, stdout);
		return EXIT_SUCCESS;
	case OPT_DURATION:
	case OPT_CHECKPOINT:
	case OPT_NODE:
	case OPT_PREFIX4:
	case OPT_PREFIX6:
	case OPT_MAX_FLOWS:
		return learn_option_value(o, c);
	default:
		return cli_option_error(o->cmd, argv);
	}
	return LEARN_GO_ON;
}

static int learn_parse_options(struct learn_opts *o, int argc, char **argv)
{
	static const struct option options[] = {
		{"read", required_argument, NULL, 'r'},
		{"interface", required_argument, NULL, 'i'},
		{"inventory", required_argument, NULL, 'I'},
		{"state", required_argument, NULL, 's'},
		{"baseline", required_argument, NULL, 'b'},
		{"format", required_argument, NULL, 'f'},
		{"conntrack", no_argument, NULL, OPT_CONNTRACK},
		{"docker", optional_argument, NULL, OPT_DOCKER},
		{"duration", required_argument, NULL, OPT_DURATION},
		{"checkpoint", required_argument, NULL, OPT_CHECKPOINT},
		{"user", required_argument, NULL, OPT_USER},
		{"node", required_argument, NULL, OPT_NODE},
		{"pod-cidr", required_argument, NULL, OPT_RANGE},
		{"service-cidr", required_argument, NULL, OPT_RANGE},
		{"external-prefix", required_argument, NULL, OPT_PREFIX4},
		{"external-prefix6", required_argument, NULL, OPT_PREFIX6},
		{"max-flows", required_argument, NULL, OPT_MAX_FLOWS},
		{"one-way", no_argument, NULL, OPT_ONE_WAY},
		{"tunnel-port", required_argument, NULL, OPT_TUNNEL_PORT},
		{"no-tunnels", no_argument, NULL, OPT_NO_TUNNELS},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{},
	};
	int c, r;

	o->reads = util_reallocarray(NULL, (size_t)argc, sizeof(*o->reads));
	o->inventories = util_reallocarray(NULL, (size_t)argc, sizeof(*o->inventories));
	o->patterns = util_reallocarray(NULL, (size_t)argc, sizeof(*o->patterns));
	o->ranges = util_reallocarray(NULL, (size_t)argc, sizeof(*o->ranges));
	o->tunnel_ports = util_reallocarray(NULL, (size_t)argc, sizeof(*o->tunnel_ports));
	while ((c = getopt_long(argc, argv, "r:i:I:s:b:f:qh", options, NULL)) != -1) {
		r = learn_option(o, c, argc, argv);
		if (r != LEARN_GO_ON)
			return r;
	}
	o->live = o->n_patterns > 0 || o->conntrack;
	return LEARN_GO_ON;
}

/* The defaults, then the ports given: one port cannot be two kinds of tunnel. */
static int learn_validate_tunnels(struct learn_opts *o)
{
	int r;

	_Static_assert(CAPTURE_TUNNEL_MAX_PORTS == 16, "the message below says 16");
	if (!o->no_tunnels)
		capture_tunnels_default(&o->tunnels);
	for (size_t i = 0; i < o->n_tunnel_ports; i++) {
		r = capture_tunnels_add_port(&o->tunnels, o->tunnel_ports[i]);
		if (r < 0)
			return cli_usage_error(
				o->cmd,
				r == -EEXIST
					? "--tunnel-port: that port is already another kind "
					  "of tunnel (the defaults are dropped by --no-tunnels)"
				: r == -E2BIG ? "--tunnel-port: at most 16 ports"
					      : "--tunnel-port takes vxlan:PORT or "
						"geneve:PORT, PORT 1 to 65535");
	}
	return LEARN_GO_ON;
}

/* Standard input is read once. */
static int learn_validate_inputs(const struct learn_opts *o)
{
	size_t stdin_uses = 0;

	for (size_t i = 0; i < o->n_reads; i++)
		stdin_uses += strcmp(o->reads[i], "-") == 0;
	for (size_t i = 0; i < o->n_inventories; i++)
		stdin_uses += strcmp(o->inventories[i], "-") == 0;
	if (stdin_uses > 1)
		return cli_usage_error(o->cmd, "standard input (-) can be read once: give it to "
					       "one -r or one --inventory");
	return LEARN_GO_ON;
}

static int learn_validate(struct learn_opts *o, int argc)
{
	const char *cmd = o->cmd;
	int r;

	r = learn_validate_tunnels(o);
	if (r != LEARN_GO_ON)
		return r;
	if (optind < argc)
		return cli_usage_error(cmd, "unexpected argument; captures are given with -r");
	if (!o->check && !o->state_path)
		return cli_usage_error(cmd, "--state is required");
	if (!o->check && (o->baseline_path || o->format != EMIT_REPORT_TEXT))
		return cli_usage_error(cmd, "--baseline and --format go with 'flowlock check'");
	if (o->check && !o->baseline_path)
		return cli_usage_error(cmd, "--baseline is required");
	if (o->check && (o->state_path || o->have_checkpoint))
		return cli_usage_error(cmd, "check writes no state: --state and --checkpoint go "
					    "with 'flowlock learn'");
	if (o->n_reads == 0 && !o->live)
		return cli_usage_error(
			cmd, "nothing to learn from: give -r FILE, -i INTERFACE or --conntrack");
	r = learn_validate_inputs(o);
	if (r != LEARN_GO_ON)
		return r;
	if (!o->live && (o->docker || o->user || o->duration_s))
		return cli_usage_error(cmd, "--docker, --user and --duration go with live capture "
					    "(-i or --conntrack)");
	return LEARN_GO_ON;
}

/* ---- Opening: the state or the baseline, the inventory, the agent ------------------------- */

static int learn_open_graph(struct learn_run *run)
{
	const struct learn_opts *o = run->o;
	struct util_err err = {""};
	int r;

	if (o->check) {
		/* the baseline is only looked up: check keeps no graph of its own */
		if (graph_state_load(o->baseline_path, &run->baseline, &err) < 0) {
			cli_log_error("%s", err.msg);
			return CLI_EXIT_BAD;
		}
		run->out.format = o->format;
		run->check =
			learn_check_new(run->baseline, o->n_reads > 0, check_report, &run->out);
		/* without names every address is an external peer: all would be reported */
		if (!o->quiet && !o->n_inventories && !o->docker && graph_has_named(run->baseline))
			cli_log_error(
				"warning: the baseline names workloads, but neither "
				"--inventory nor --docker was given: every address will be an "
				"external peer");
		return LEARN_GO_ON;
	}
	r = graph_state_load(o->state_path, &run->graph, &err);
	if (r == -ENOENT) {
		run->graph = graph_new();
	} else if (r < 0) {
		cli_log_error("%s", err.msg);
		return CLI_EXIT_BAD;
	}
	/* one node's counts never go into another node's state: merge keeps them apart */
	if (o->node && graph_claim_node(run->graph, o->node) < 0) {
		cli_log_error("%s: learned by node %s, not %s: give each node its own state "
			      "and combine them with 'flowlock merge'",
			      o->state_path, graph_node_name(run->graph, 0), o->node);
		return CLI_EXIT_BAD;
	}
	run->edges_before = graph_edge_count(run->graph);
	return LEARN_GO_ON;
}

static struct learn_agent *learn_new_agent(struct learn_run *run)
{
	const struct learn_opts *o = run->o;
	struct learn_agent_config cfg = {
		.graph = run->graph,
		.state_path = o->state_path,
		.check = run->check,
		.inv = run->inv,
		.inventories = o->inventories,
		.n_inventories = o->n_inventories,
		.live = o->live,
		.docker_socket = o->docker ? o->docker_socket : NULL,
		.patterns = o->patterns,
		.n_patterns = o->n_patterns,
		.conntrack = o->conntrack,
		.user = o->user,
		.tunnels = &o->tunnels,
		.max_flows = o->max_flows,
		.one_way = o->one_way,
		.duration_s = o->duration_s,
		.checkpoint_s = o->checkpoint_s,
		.status_s = run->out.tty ? 1 : 10,
		.quiet = o->quiet,
		.log = learn_log,
		.status = learn_status,
		.stop = o->check ? check_stopped : NULL,
		.userdata = &run->out,
	};

	return learn_agent_new(&cfg);
}

/* Everything is read and checked before the state is written: bad input never touches it. */
static int learn_open(struct learn_run *run)
{
	struct learn_opts *o = run->o;
	struct util_err err = {""};
	int r;

	r = learn_open_graph(run);
	if (r != LEARN_GO_ON)
		return r;
	run->inv = inventory_new();
	(void)inventory_set_external_prefix(run->inv, o->prefix4, o->prefix6);
	inventory_set_warn(run->inv, cli_warn_stderr, &o->quiet);
	for (size_t i = 0; i < o->n_ranges; i++) {
		if (inventory_add_cluster_range(run->inv, o->ranges[i]) < 0)
			return cli_usage_error(o->cmd,
					       "--pod-cidr and --service-cidr take ADDRESS/PREFIX, "
					       "like 10.244.0.0/16");
	}
	run->out.tty = isatty(STDERR_FILENO);
	run->agent = learn_new_agent(run);
	if (learn_agent_load_inventories(run->agent, &err) < 0) {
		cli_log_error("%s", err.msg);
		return CLI_EXIT_BAD;
	}
	return LEARN_GO_ON;
}

static void learn_close(struct learn_run *run)
{
	learn_agent_free(run->agent);
	inventory_free(run->inv);
	graph_free(run->graph);
	graph_free(run->baseline);
	learn_check_free(run->check);
}

/* ---- Running: the files, then live ---------------------------------------------------------- */

static int learn_read_files(struct learn_run *run)
{
	struct util_err err = {""};

	for (size_t i = 0; i < run->o->n_reads; i++) {
		if (learn_agent_read_file(run->agent, run->o->reads[i], &err) < 0) {
			cli_log_error("%s", err.msg);
			return CLI_EXIT_BAD;
		}
	}
	return LEARN_GO_ON;
}

static int learn_live(struct learn_run *run)
{
	struct util_err err = {""};

	/* what the files taught is safe on disk before the first live packet */
	if (learn_agent_save_files(run->agent, &err) < 0) {
		cli_log_error("%s", err.msg);
		return CLI_EXIT_BAD;
	}
	/* check: the files' reports, sorted; live ones follow as they happen */
	if (run->check) {
		learn_check_flush(run->check);
		if (run->out.failed < 0)
			return CLI_EXIT_BAD;
	}
	/* A closed pipe on stderr must not kill the agent before its last save. */
	signal(SIGPIPE, SIG_IGN);
	/*
	 * A source that could not be opened (the Docker Engine or libcurl, an interface,
	 * conntrack, --user) stops the agent before it begins: nothing was learned live, and what
	 * the files taught is saved already. The state is left as it was, or not created.
	 */
	if (learn_agent_open(run->agent, &err) < 0) {
		cli_log_error("%s", err.msg);
		return CLI_EXIT_BAD;
	}
	if (learn_agent_run(run->agent, &err) < 0) {
		cli_log_error("%s", err.msg);
		/* a live source failed: keep what was learned up to here */
		if (learn_agent_save(run->agent, true, &err) < 0)
			cli_log_error("%s", err.msg);
		return CLI_EXIT_BAD;
	}
	return LEARN_GO_ON;
}

/* ---- The end: check's summary, or learn's ------------------------------------------------- */

static int check_summary(struct learn_run *run, const struct learn_agent_stats *st)
{
	struct learn_check_counts n;
	struct util_err err = {""};

	learn_check_flush(run->check);
	learn_check_get_counts(run->check, &n);
	if (run->out.failed < 0 ||
	    emit_check_summary(stdout, run->o->format, st->flows, n.flows_found, n.edges_found,
			       n.attempts_found, &err) < 0) {
		if (!run->out.failed)
			cli_log_error("%s", err.msg);
		return CLI_EXIT_BAD;
	}
	/*
	 * Any flow the baseline does not allow needs a look. Attempts are reported, but learn
	 * would add no edge for them, so they do not fail a build by themselves.
	 */
	return n.flows_found ? CLI_EXIT_FOUND : EXIT_SUCCESS;
}

static void learn_summary(const struct learn_run *run, const struct learn_agent_stats *st)
{
	const struct graph *g = run->graph;

	fprintf(stderr,
		"flowlock: %" PRIu64 " packets, %" PRIu64 " flows -> %zu edges (%zu new) "
		"among %zu workloads in %s; %" PRIu64 " refused and %" PRIu64
		" unanswered (attempts, not edges); skipped %" PRIu64 " truncated, %" PRIu64
		" malformed, %" PRIu64 " fragments, %" PRIu64 " non-IP, %" PRIu64 " other\n",
		st->cap.packets, st->flows, graph_edge_count(g),
		graph_edge_count(g) - run->edges_before, graph_workload_count(g),
		run->o->state_path, st->refused, st->unanswered, st->cap.truncated,
		st->cap.malformed, st->cap.fragments, st->cap.not_ip, st->cap.unsupported);
}

static int learn_finish(struct learn_run *run)
{
	struct learn_agent_stats st;
	struct util_err err = {""};

	if (learn_agent_save(run->agent, true, &err) < 0) {
		cli_log_error("%s", err.msg);
		return CLI_EXIT_BAD;
	}
	learn_agent_get_stats(run->agent, &st);
	if (run->check)
		return check_summary(run, &st);
	if (!run->o->quiet)
		learn_summary(run, &st);
	return EXIT_SUCCESS;
}

/* learn and check share everything up to what a flow becomes: an edge in STATE, or a report. */
static int learn_or_check(int argc, char **argv, bool check)
{
	struct learn_opts o = {.check = check,
			       .cmd = check ? "check" : "learn",
			       .prefix4 = 32,
			       .prefix6 = 128,
			       .checkpoint_s = check ? 1 : 60,
			       .docker_socket = INVENTORY_DOCKER_SOCKET};
	struct learn_run run = {.o = &o};
	int ret;

	ret = learn_parse_options(&o, argc, argv);
	if (ret == LEARN_GO_ON)
		ret = learn_validate(&o, argc);
	if (ret == LEARN_GO_ON)
		ret = learn_open(&run);
	if (ret == LEARN_GO_ON)
		ret = learn_read_files(&run);
	if (ret == LEARN_GO_ON && o.live)
		ret = learn_live(&run);
	if (ret == LEARN_GO_ON)
		ret = learn_finish(&run);
	learn_close(&run);
	free(o.reads);
	free(o.inventories);
	free(o.patterns);
	free(o.ranges);
	free(o.tunnel_ports);
	return ret;
}

int cli_learn(int argc, char **argv)
{
	return learn_or_check(argc, argv, false);
}

int cli_check(int argc, char **argv)
{
	return learn_or_check(argc, argv, true);
}
