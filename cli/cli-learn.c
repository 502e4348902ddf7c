/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cli-learn.c - flowlock learn and flowlock check: options, then capture -> learn, from files or
 * live.
 */
#include <errno.h>
#include <fnmatch.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>

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
	"                           JSON (repeatable)\n"
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

struct learn_opts {
	bool check; /* flowlock check: compare with baseline_path, write no state */
	const char *baseline_path;
	enum emit_report_format format;
	const char **reads, **inventories, **patterns, **ranges, **tunnel_ports;
	size_t n_reads, n_inventories, n_patterns, n_ranges, n_tunnel_ports;
	const char *state_path, *docker_socket, *user;
	const char *node; /* --node: whose counts these are, for flowlock merge */
	bool conntrack, docker, quiet;
	bool one_way;	  /* --one-way: the capture point sees one direction */
	size_t max_flows; /* --max-flows, 0 for the tracker's default */
	unsigned prefix4, prefix6;
	struct capture_tunnels tunnels; /* --tunnel-port, after the defaults unless --no-tunnels */
	uint64_t duration_s, checkpoint_s;
};

/* flowlock check: the comparison (learn_check) and where its reports go. */
struct check_out {
	enum emit_report_format format;
	int failed; /* a report could not be written: the agent stops */
};

struct learn_ctx {
	struct graph *graph; /* NULL in check mode */
	struct inventory *inv;
	uint64_t flows;
	uint64_t refused, unanswered; /* of flows: attempts, never edges */
	struct learn_check *check;    /* check mode: every flow goes to learn_check_flow instead */
	struct check_out *check_out;
};

static void check_report(void *userdata, const struct learn_violation *v)
{
	struct check_out *c = userdata;
	struct util_err err = {""};

	if (c->failed)
		return;
	if (emit_violation(stdout, c->format, v, &err) < 0) {
		cli_log_error("%s", err.msg);
		c->failed = -EIO;
	}
}

static void check_on_open_flow(const struct capture_flow *flow, void *userdata)
{
	struct learn_ctx *ctx = userdata;

	learn_check_flow(ctx->check, ctx->inv, flow, true);
}

static void learn_on_flow(const struct capture_flow *flow, void *userdata)
{
	struct learn_ctx *ctx = userdata;

	ctx->flows++;
	ctx->refused += flow->outcome == CAPTURE_REFUSED;
	ctx->unanswered += flow->outcome == CAPTURE_UNANSWERED;
	if (ctx->check)
		learn_check_flow(ctx->check, ctx->inv, flow, false);
	else
		(void)learn_add_flow(ctx->graph, ctx->inv, flow);
}

static void learn_on_open_flow(const struct capture_flow *flow, void *userdata)
{
	struct learn_ctx *ctx = userdata;

	(void)learn_note_flow(ctx->graph, ctx->inv, flow);
}

static int parse_prefix(const char *arg, unsigned max, unsigned *ret)
{
	uint64_t v;

	if (util_parse_u64(arg, max, &v) < 0 || v == 0)
		return -EINVAL;
	*ret = (unsigned)v;
	return 0;
}

/* Deadlines (duration, checkpoints, status) follow the monotonic clock: a stepped wall clock
 * must neither stall them nor end a run early. Flow expiry follows packet (wall) time. */
static uint64_t now_ns(void)
{
	return util_now_ns(CLOCK_MONOTONIC);
}

/*
 * Counters in the state accumulate over runs and checkpoints, so each save adds only what
 * changed since the previous one.
 */
struct counters {
	struct capture_stats cap;
	uint64_t flows;
	uint64_t refused, unanswered;
	struct capture_tracker_stats tracker;
	struct capture_conntrack_stats ct;
};

static void counters_commit(struct graph *g, const struct counters *now, struct counters *saved)
{
	/* rare: kept only once it happens, so a state that never saw one reads as before */
	static const struct {
		const char *name;
		size_t off;
		bool rare;
	} counters[] = {
		{"packets", offsetof(struct counters, cap.packets), false},
		{"packets-decoded", offsetof(struct counters, cap.decoded), false},
		{"packets-truncated", offsetof(struct counters, cap.truncated), false},
		{"packets-not-ip", offsetof(struct counters, cap.not_ip), false},
		{"packets-fragment", offsetof(struct counters, cap.fragments), false},
		{"packets-unsupported", offsetof(struct counters, cap.unsupported), false},
		{"packets-malformed", offsetof(struct counters, cap.malformed), false},
		{"flows", offsetof(struct counters, flows), false},
		{"flows-refused", offsetof(struct counters, refused), true},
		{"flows-unanswered", offsetof(struct counters, unanswered), true},
		{"flows-evicted", offsetof(struct counters, tracker.evicted), true},
		{"flows-port-zero", offsetof(struct counters, tracker.port_zero), true},
	};

	for (size_t i = 0; i < UTIL_ARRAY_SIZE(counters); i++) {
		uint64_t a = *(const uint64_t *)((const char *)now + counters[i].off);
		uint64_t b = *(const uint64_t *)((const char *)saved + counters[i].off);

		if (a != b || !counters[i].rare)
			graph_add_counter(g, counters[i].name, a - b);
	}
	*saved = *now;
}

struct agent {
	const struct learn_opts *o;
	struct learn_ctx *ctx;
	struct capture_tracker *tracker;
	struct capture_live *live;
	struct capture_conntrack *ct;
	struct inventory_docker *docker;
	struct counters now, saved;
	uint64_t *iface_drops_saved; /* per interface index, what the state already holds */
	size_t n_iface_saved;
	size_t n_iface_counted; /* interfaces already in the interfaces-seen counter */
	struct conntrack_saved {
		uint64_t events, overruns, resyncs;
	} ct_saved;
	struct timespec *inv_mtime;
	bool tty;
	uint64_t start_ns;
	uint64_t live_from_ns;	/* wall clock when live capture began: the window's start */
	unsigned save_failures; /* checkpoints failed in a row (a full disk): said once */
};

static int agent_save(struct agent *a, bool final, struct util_err *err)
{
	char name[GRAPH_COUNTER_NAME_MAX + 1];

	if (final) {
		if (a->live)
			capture_live_drain(a->live, &a->now.cap);
		capture_tracker_flush(a->tracker);
	} else if (a->ctx->check) {
		learn_check_round_begin(a->ctx->check);
		capture_tracker_peek(a->tracker, check_on_open_flow, a->ctx);
		learn_check_round_end(a->ctx->check);
	} else {
		capture_tracker_peek(a->tracker, learn_on_open_flow, a->ctx);
	}
	/* check writes no state: its checkpoints (every second) only report open flows */
	if (a->ctx->check)
		return 0;
	if (a->live_from_ns) {
		/* watched from the start until now; what ran meanwhile, by the inventory, ran */
		uint64_t wall = util_now_ns(CLOCK_REALTIME);

		graph_add_window(a->ctx->graph, a->live_from_ns, wall);
		/* a pod that ran and finished between two saves ran within the run too */
		inventory_note_running(a->ctx->inv, a->ctx->graph, a->live_from_ns, wall);
	}
	a->now.flows = a->ctx->flows;
	a->now.refused = a->ctx->refused;
	a->now.unanswered = a->ctx->unanswered;
	capture_tracker_get_stats(a->tracker, &a->now.tracker);
	counters_commit(a->ctx->graph, &a->now, &a->saved);

	if (a->live) {
		size_t n = capture_live_iface_count(a->live);

		if (n > a->n_iface_saved) {
			a->iface_drops_saved = util_reallocarray(a->iface_drops_saved, n,
								 sizeof(*a->iface_drops_saved));
			memset(a->iface_drops_saved + a->n_iface_saved, 0,
			       (n - a->n_iface_saved) * sizeof(*a->iface_drops_saved));
			a->n_iface_saved = n;
		}
		/*
		 * A total always; a counter of its own only for an interface that dropped, or the
		 * state would keep a line for every container's veth that ever existed.
		 */
		graph_add_counter(a->ctx->graph, "pcap-drops", 0);
		graph_add_counter(a->ctx->graph, "interfaces-seen", n - a->n_iface_counted);
		a->n_iface_counted = n;
		for (size_t i = 0; i < n; i++) {
			const struct capture_iface_stats *s = capture_live_iface(a->live, i);
			uint64_t drops = s->drops + s->if_drops, delta;

			delta = drops >= a->iface_drops_saved[i] ? drops - a->iface_drops_saved[i]
								 : 0;
			a->iface_drops_saved[i] = drops;
			if (delta == 0)
				continue;
			graph_counter_name_build(name, "pcap-drops", s->name);
			graph_add_counter(a->ctx->graph, name, delta);
			graph_add_counter(a->ctx->graph, "pcap-drops", delta);
		}
	}
	if (a->ct) {
		const struct capture_conntrack_stats *s = capture_conntrack_stats(a->ct);

		graph_add_counter(a->ctx->graph, "conntrack-events",
				  s->events - a->ct_saved.events);
		graph_add_counter(a->ctx->graph, "conntrack-overruns",
				  s->overruns - a->ct_saved.overruns);
		graph_add_counter(a->ctx->graph, "conntrack-resyncs",
				  s->resyncs - a->ct_saved.resyncs);
		a->ct_saved = (struct conntrack_saved){s->events, s->overruns, s->resyncs};
	}
	return graph_state_save(a->ctx->graph, a->o->state_path, err);
}

static uint64_t agent_drops(const struct agent *a)
{
	uint64_t d = 0;

	for (size_t i = 0; a->live && i < capture_live_iface_count(a->live); i++)
		d += capture_live_iface(a->live, i)->drops +
		     capture_live_iface(a->live, i)->if_drops;
	return d;
}

static void agent_status(struct agent *a, uint64_t now, bool final)
{
	uint64_t el = (now - a->start_ns) / UTIL_NSEC_PER_SEC;
	struct learn_check_counts n = {0};
	size_t attached = 0;
	char line[256];

	for (size_t i = 0; a->live && i < capture_live_iface_count(a->live); i++)
		attached += capture_live_iface(a->live, i)->attached;
	if (a->ctx->check)
		learn_check_get_counts(a->ctx->check, &n);
	snprintf(line, sizeof(line),
		 "%" PRIu64 " packets, %" PRIu64 " flows, %zu edges%s, %" PRIu64
		 " drops, %zu interface%s, %02" PRIu64 ":%02" PRIu64 ":%02" PRIu64 " elapsed",
		 a->now.cap.packets, a->ctx->flows,
		 a->ctx->check ? n.edges_found : graph_edge_count(a->ctx->graph),
		 a->ctx->check ? " not in the baseline" : "", agent_drops(a), attached,
		 attached == 1 ? "" : "s", el / 3600, el / 60 % 60, el % 60);
	/* which interfaces dropped, when any did: the first few, by name */
	for (size_t i = 0, shown = 0; a->live && i < capture_live_iface_count(a->live); i++) {
		const struct capture_iface_stats *s = capture_live_iface(a->live, i);
		size_t len = strlen(line);

		if (s->drops + s->if_drops == 0 || len + 48 > sizeof(line))
			continue;
		if (shown++ == 3) {
			snprintf(line + len, sizeof(line) - len, ", ...");
			break;
		}
		snprintf(line + len, sizeof(line) - len, "%s %.20s %" PRIu64,
			 shown == 1 ? " (drops:" : ",", s->name, s->drops + s->if_drops);
	}
	if (strstr(line, " (drops:"))
		strncat(line, ")", sizeof(line) - strlen(line) - 1);
	/* one line updated in place on a terminal; a log line otherwise */
	if (a->tty)
		fprintf(stderr, "\r\033[Kflowlock: %s%s", line, final ? "\n" : "");
	else
		fprintf(stderr, "flowlock: %s\n", line);
}

/*
 * A checkpoint that cannot be written (a full disk, a read-only folder) costs nothing learned:
 * the graph stays in memory and the next checkpoint tries again. Said once when saving starts
 * to fail and once when it works again, not at every checkpoint in between; -q or not, since
 * what is not saved is lost if the agent dies.
 */
static void agent_checkpoint(struct agent *a)
{
	struct util_err err = {""};

	if (agent_save(a, false, &err) < 0) {
		if (a->save_failures++ == 0)
			cli_log_error("warning: cannot save the state, learning goes on in memory "
				      "and every checkpoint tries again: %s",
				      err.msg);
		return;
	}
	if (a->save_failures > 0)
		cli_log_error("%s: saved again, after %u failed checkpoint%s", a->o->state_path,
			      a->save_failures, a->save_failures == 1 ? "" : "s");
	a->save_failures = 0;
}

/* Inventory files are re-read when one changes (or on SIGHUP); a bad new version is refused. */
static bool inventories_changed(struct agent *a)
{
	bool changed = false;

	for (size_t i = 0; i < a->o->n_inventories; i++) {
		struct stat st;

		if (stat(a->o->inventories[i], &st) < 0)
			continue;
		if (st.st_mtim.tv_sec != a->inv_mtime[i].tv_sec ||
		    st.st_mtim.tv_nsec != a->inv_mtime[i].tv_nsec) {
			a->inv_mtime[i] = st.st_mtim;
			changed = true;
		}
	}
	return changed;
}

static void agent_reload(struct agent *a)
{
	struct util_err err = {""};

	if (inventory_reload(a->ctx->inv, a->o->inventories, a->o->n_inventories, &err) < 0) {
		cli_log_error("warning: inventory not reloaded, keeping the previous one: %s",
			      err.msg);
		return;
	}
	for (size_t i = 0; a->ctx->graph && i < inventory_workload_count(a->ctx->inv); i++)
		(void)graph_add_workload(a->ctx->graph, inventory_workload(a->ctx->inv, i));
	if (!a->o->quiet)
		cli_log_error("inventory re-read (%zu workloads)",
			      inventory_workload_count(a->ctx->inv));
}

/* the signalfd, conntrack, the Docker Engine, and live capture */
#define AGENT_MAX_FDS (3 + CAPTURE_LIVE_MAX_POLLFDS)
/* After the Docker Engine left, how often to ask whether it is back. */
#define AGENT_DOCKER_RETRY_S 2

static int agent_run(struct agent *a)
{
	const struct learn_opts *o = a->o;
	struct util_err err = {""};
	uint64_t end, next_checkpoint, next_status, next_expire, next_docker = UINT64_MAX;
	struct pollfd *fds = util_reallocarray(NULL, AGENT_MAX_FDS, sizeof(*fds));
	bool stop = false;
	unsigned ct_failures = 0;
	sigset_t mask;
	int sfd = -1, ret = CLI_EXIT_BAD;
	const char *problem;

	/* A closed pipe on stderr must not kill the agent before its last save. */
	signal(SIGPIPE, SIG_IGN);
	/* Signals arrive as input on a descriptor, so no handler runs in the middle of a save. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0 ||
	    (sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC)) < 0) {
		cli_log_error("signalfd: %s", strerror(errno));
		goto out;
	}

	if (o->docker &&
	    inventory_docker_open(o->docker_socket, a->ctx->inv, &a->docker, &err) < 0) {
		cli_log_error("%s", err.msg);
		goto out;
	}
	if (o->n_patterns) {
		struct capture_live_options lo = {.patterns = o->patterns,
						  .n_patterns = o->n_patterns,
						  .tunnels = &o->tunnels};

		if (capture_live_open(&lo, a->tracker, &a->live, &err) < 0) {
			cli_log_error("%s", err.msg);
			goto out;
		}
		for (size_t i = 0; i < o->n_patterns && !o->quiet; i++) {
			bool any = false;

			for (size_t j = 0; j < capture_live_iface_count(a->live) && !any; j++)
				any = fnmatch(o->patterns[i], capture_live_iface(a->live, j)->name,
					      0) == 0;
			if (!any)
				cli_log_error("warning: no interface matches -i %s now; one that "
					      "appears later is attached",
					      o->patterns[i]);
		}
	}
	if (o->conntrack) {
		if (capture_conntrack_open(a->tracker, &a->ct, &err) < 0) {
			cli_log_error("%s", err.msg);
			goto out;
		}
		problem = capture_conntrack_bridge_problem();
		if (problem && !o->quiet)
			cli_log_error("warning: %s", problem);
	}
	/* Everything privileged is open: from here on root is not needed. */
	if (o->user && util_drop_privileges(o->user, &err) < 0) {
		cli_log_error("%s", err.msg);
		goto out;
	}
	/* inspecting a container opens the socket again: the user must still be allowed to */
	if (o->user && a->docker && inventory_docker_check_access(o->docker_socket, &err) < 0) {
		cli_log_error("%s", err.msg);
		goto out;
	}

	a->start_ns = now_ns();
	a->live_from_ns = util_now_ns(CLOCK_REALTIME);
	end = o->duration_s ? a->start_ns + o->duration_s * UTIL_NSEC_PER_SEC : UINT64_MAX;
	next_checkpoint = a->start_ns + o->checkpoint_s * UTIL_NSEC_PER_SEC;
	next_status = a->start_ns;
	next_expire = a->start_ns;
	/* check stops when its report cannot be written any more */
	while (!stop && !(a->ctx->check && a->ctx->check_out->failed)) {
		uint64_t now = now_ns(), wake = end;
		struct signalfd_siginfo si;
		size_t n = 0;
		int timeout;

		if (now >= end)
			break;
		if (next_checkpoint < wake)
			wake = next_checkpoint;
		if (next_status < wake && !o->quiet)
			wake = next_status;
		if (next_expire < wake)
			wake = next_expire;
		if (next_docker < wake)
			wake = next_docker;
		timeout = wake <= now ? 0 : (int)((wake - now + 999999) / 1000000);
		/* queued container inspects go on in small steps between everything else */
		if (a->docker && inventory_docker_busy(a->docker) && timeout > 20)
			timeout = 20;

		fds[n++] = (struct pollfd){.fd = sfd, .events = POLLIN};
		if (a->ct)
			fds[n++] = (struct pollfd){.fd = capture_conntrack_fd(a->ct),
						   .events = POLLIN};
		if (a->docker)
			fds[n++] = (struct pollfd){.fd = inventory_docker_fd(a->docker),
						   .events = POLLIN};
		if (a->live)
			n += capture_live_pollfds(a->live, fds + n, AGENT_MAX_FDS - n);
		if (poll(fds, (nfds_t)n, timeout) < 0 && errno != EINTR) {
			cli_log_error("poll: %s", strerror(errno));
			goto out;
		}

		while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
			if (si.ssi_signo == SIGHUP)
				agent_reload(a);
			else
				stop = true;
		}
		if (a->live && capture_live_dispatch(a->live, &a->now.cap, &err) < 0) {
			cli_log_error("%s", err.msg);
			goto out;
		}
		/* a failed resync is retried at the next overrun; only a conntrack that keeps
		 * failing stops the agent */
		if (a->ct && capture_conntrack_dispatch(a->ct, &err) < 0) {
			cli_log_error("warning: %s", err.msg);
			if (++ct_failures >= 10) {
				cli_log_error("conntrack failed 10 times in a row; stopping");
				goto out;
			}
		} else {
			ct_failures = 0;
		}
		if (a->docker && inventory_docker_dispatch(a->docker, &err) < 0) {
			/* the engine went away (a restart, an upgrade): keep observing with what
			 * is known, and ask again every AGENT_DOCKER_RETRY_S */
			cli_log_error("warning: %s; containers are not named until it is back",
				      err.msg);
			a->docker = inventory_docker_free(a->docker);
			next_docker = now_ns() + AGENT_DOCKER_RETRY_S * UTIL_NSEC_PER_SEC;
		}

		now = now_ns();
		if (!a->docker && now >= next_docker) {
			if (inventory_docker_open(o->docker_socket, a->ctx->inv, &a->docker, &err) <
			    0) {
				next_docker = now + AGENT_DOCKER_RETRY_S * UTIL_NSEC_PER_SEC;
			} else {
				next_docker = UINT64_MAX;
				if (!o->quiet)
					cli_log_error(
						"the Docker Engine is back: naming containers "
						"again");
			}
		}
		if (now >= next_expire) {
			capture_tracker_expire(a->tracker, util_now_ns(CLOCK_REALTIME));
			if (inventories_changed(a))
				agent_reload(a);
			next_expire = now + UTIL_NSEC_PER_SEC;
		}
		if (!o->quiet && now >= next_status) {
			agent_status(a, now, false);
			next_status = now + UTIL_NSEC_PER_SEC * (a->tty ? 1 : 10);
		}
		if (now >= next_checkpoint) {
			agent_checkpoint(a);
			next_checkpoint = now + o->checkpoint_s * UTIL_NSEC_PER_SEC;
		}
	}
	if (!o->quiet)
		agent_status(a, now_ns(), true);
	ret = EXIT_SUCCESS;
out:
	if (sfd >= 0)
		close(sfd);
	free(fds);
	return ret;
}

/* learn and check share everything up to what a flow becomes: an edge in STATE, or a report. */
static int learn_or_check(int argc, char **argv, bool check)
{
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
	struct learn_opts o = {.check = check,
			       .prefix4 = 32,
			       .prefix6 = 128,
			       .checkpoint_s = check ? 1 : 60,
			       .docker_socket = INVENTORY_DOCKER_SOCKET};
	const char *cmd = check ? "check" : "learn";
	struct capture_tracker *tracker = NULL;
	struct graph *baseline = NULL;
	struct check_out check_out = {0};
	bool have_checkpoint = false, no_tunnels = false;
	struct learn_ctx ctx = {0};
	struct agent a = {.o = &o, .ctx = &ctx};
	struct util_err err = {""};
	size_t edges_before = 0;
	bool live;
	int c, r, ret = CLI_EXIT_BAD;

	o.reads = util_reallocarray(NULL, (size_t)argc, sizeof(*o.reads));
	o.inventories = util_reallocarray(NULL, (size_t)argc, sizeof(*o.inventories));
	o.patterns = util_reallocarray(NULL, (size_t)argc, sizeof(*o.patterns));
	o.ranges = util_reallocarray(NULL, (size_t)argc, sizeof(*o.ranges));
	o.tunnel_ports = util_reallocarray(NULL, (size_t)argc, sizeof(*o.tunnel_ports));
	while ((c = getopt_long(argc, argv, "r:i:I:s:b:f:qh", options, NULL)) != -1) {
		switch (c) {
		case 'r':
			o.reads[o.n_reads++] = optarg;
			break;
		case 'i':
			o.patterns[o.n_patterns++] = optarg;
			break;
		case 'I':
			o.inventories[o.n_inventories++] = optarg;
			break;
		case 's':
			o.state_path = optarg;
			break;
		case 'b':
			o.baseline_path = optarg;
			break;
		case 'f':
			if (emit_report_format_from_name(optarg, &o.format) < 0 ||
			    o.format == EMIT_REPORT_MARKDOWN) {
				ret = cli_usage_error(cmd, "--format is text or json");
				goto out;
			}
			break;
		case OPT_CONNTRACK:
			o.conntrack = true;
			break;
		case OPT_DOCKER:
			o.docker = true;
			/* "--docker SOCKET" as well as "--docker=SOCKET": a path is not an option
			 */
			if (optarg)
				o.docker_socket = optarg;
			else if (optind < argc && argv[optind][0] == '/')
				o.docker_socket = argv[optind++];
			break;
		case OPT_DURATION:
		case OPT_CHECKPOINT: {
			uint64_t v;

			if (util_parse_u64(optarg, 10 * 365 * 86400ULL, &v) < 0 || v == 0) {
				ret = cli_usage_error(
					cmd, c == OPT_DURATION
						     ? "--duration takes whole seconds > 0"
						     : "--checkpoint takes whole seconds > 0");
				goto out;
			}
			if (c == OPT_DURATION) {
				o.duration_s = v;
			} else {
				o.checkpoint_s = v;
				have_checkpoint = true;
			}
			break;
		}
		case OPT_USER:
			o.user = optarg;
			break;
		case OPT_NODE:
			if (check) {
				ret = cli_usage_error(cmd, "--node goes with 'flowlock learn'");
				goto out;
			}
			if (!graph_node_name_valid(optarg)) {
				ret = cli_usage_error(cmd,
						      "--node takes 1 to 253 of [A-Za-z0-9._-], "
						      "alphanumeric first");
				goto out;
			}
			o.node = optarg;
			break;
		case OPT_RANGE:
			o.ranges[o.n_ranges++] = optarg;
			break;
		case OPT_PREFIX4:
			if (parse_prefix(optarg, 32, &o.prefix4) < 0) {
				ret = cli_usage_error(cmd, "--external-prefix takes 1 to 32");
				goto out;
			}
			break;
		case OPT_PREFIX6:
			if (parse_prefix(optarg, 128, &o.prefix6) < 0) {
				ret = cli_usage_error(cmd, "--external-prefix6 takes 1 to 128");
				goto out;
			}
			break;
		case OPT_MAX_FLOWS: {
			uint64_t v;

			if (util_parse_u64(optarg, CLI_MAX_FLOWS_MAX, &v) < 0 ||
			    v < CLI_MAX_FLOWS_MIN) {
				ret = cli_usage_error(cmd, "--max-flows takes 64 to 16777216");
				goto out;
			}
			o.max_flows = (size_t)v;
			break;
		}
		case OPT_ONE_WAY:
			o.one_way = true;
			break;
		case OPT_TUNNEL_PORT:
			o.tunnel_ports[o.n_tunnel_ports++] = optarg;
			break;
		case OPT_NO_TUNNELS:
			no_tunnels = true;
			break;
		case 'q':
			o.quiet = true;
			break;
		case 'h':
			fputs(check ? check_help : learn_help, stdout);
			ret = EXIT_SUCCESS;
			goto out;
		default:
			ret = cli_option_error(cmd, argv);
			goto out;
		}
	}
	live = o.n_patterns > 0 || o.conntrack;
	/* the defaults, then the ports given: one port cannot be two kinds of tunnel */
	_Static_assert(CAPTURE_TUNNEL_MAX_PORTS == 16, "the message below says 16");
	if (!no_tunnels)
		capture_tunnels_default(&o.tunnels);
	for (size_t i = 0; i < o.n_tunnel_ports; i++) {
		r = capture_tunnels_add_port(&o.tunnels, o.tunnel_ports[i]);
		if (r < 0) {
			ret = cli_usage_error(
				cmd,
				r == -EEXIST
					? "--tunnel-port: that port is already another kind "
					  "of tunnel (the defaults are dropped by --no-tunnels)"
				: r == -E2BIG ? "--tunnel-port: at most 16 ports"
					      : "--tunnel-port takes vxlan:PORT or geneve:PORT, "
						"PORT 1 to 65535");
			goto out;
		}
	}
	if (optind < argc) {
		ret = cli_usage_error(cmd, "unexpected argument; captures are given with -r");
		goto out;
	}
	if (!check && !o.state_path) {
		ret = cli_usage_error(cmd, "--state is required");
		goto out;
	}
	if (!check && (o.baseline_path || o.format != EMIT_REPORT_TEXT)) {
		ret = cli_usage_error(cmd, "--baseline and --format go with 'flowlock check'");
		goto out;
	}
	if (check && !o.baseline_path) {
		ret = cli_usage_error(cmd, "--baseline is required");
		goto out;
	}
	if (check && (o.state_path || have_checkpoint)) {
		ret = cli_usage_error(cmd, "check writes no state: --state and --checkpoint go "
					   "with 'flowlock learn'");
		goto out;
	}
	if (o.n_reads == 0 && !live) {
		ret = cli_usage_error(
			cmd, "nothing to learn from: give -r FILE, -i INTERFACE or --conntrack");
		goto out;
	}
	{
		size_t stdin_uses = 0;

		for (size_t i = 0; i < o.n_reads; i++)
			stdin_uses += strcmp(o.reads[i], "-") == 0;
		for (size_t i = 0; i < o.n_inventories; i++)
			stdin_uses += strcmp(o.inventories[i], "-") == 0;
		if (stdin_uses > 1) {
			ret = cli_usage_error(cmd,
					      "standard input (-) can be read once: give it to "
					      "one -r or one --inventory");
			goto out;
		}
		for (size_t i = 0; live && i < o.n_inventories; i++) {
			struct stat st;

			/* a pipe or a FIFO cannot be read again on change or SIGHUP */
			if (strcmp(o.inventories[i], "-") == 0 ||
			    (stat(o.inventories[i], &st) == 0 && !S_ISREG(st.st_mode) &&
			     !S_ISDIR(st.st_mode))) {
				ret = cli_usage_error(
					cmd, "a live agent re-reads its inventories on change "
					     "and SIGHUP: give regular files, not - or a pipe");
				goto out;
			}
		}
	}
	if (!live && (o.docker || o.user || o.duration_s)) {
		ret = cli_usage_error(cmd, "--docker, --user and --duration go with live capture "
					   "(-i or --conntrack)");
		goto out;
	}

	/* Everything is read and checked before the state is written: bad input never touches it.
	 */
	if (check) {
		/* the baseline is only looked up: check keeps no graph of its own */
		if (graph_state_load(o.baseline_path, &baseline, &err) < 0) {
			cli_log_error("%s", err.msg);
			goto out;
		}
		check_out.format = o.format;
		ctx.check = learn_check_new(baseline, o.n_reads > 0, check_report, &check_out);
		ctx.check_out = &check_out;
		/* without names every address is an external peer: all would be reported */
		if (!o.quiet && !o.n_inventories && !o.docker && graph_has_named(baseline))
			cli_log_error(
				"warning: the baseline names workloads, but neither "
				"--inventory nor --docker was given: every address will be an "
				"external peer");
	} else {
		r = graph_state_load(o.state_path, &ctx.graph, &err);
		if (r == -ENOENT) {
			ctx.graph = graph_new();
		} else if (r < 0) {
			cli_log_error("%s", err.msg);
			goto out;
		}
		/* one node's counts never go into another node's state: merge keeps them apart */
		if (o.node && graph_claim_node(ctx.graph, o.node) < 0) {
			cli_log_error(
				"%s: learned by node %s, not %s: give each node its own state "
				"and combine them with 'flowlock merge'",
				o.state_path, graph_node_name(ctx.graph, 0), o.node);
			goto out;
		}
		edges_before = graph_edge_count(ctx.graph);
	}

	ctx.inv = inventory_new();
	(void)inventory_set_external_prefix(ctx.inv, o.prefix4, o.prefix6);
	inventory_set_warn(ctx.inv, cli_warn_stderr, &o.quiet);
	for (size_t i = 0; i < o.n_ranges; i++) {
		if (inventory_add_cluster_range(ctx.inv, o.ranges[i]) < 0) {
			ret = cli_usage_error(cmd,
					      "--pod-cidr and --service-cidr take ADDRESS/PREFIX, "
					      "like 10.244.0.0/16");
			goto out;
		}
	}
	a.inv_mtime = util_reallocarray(NULL, o.n_inventories + 1, sizeof(*a.inv_mtime));
	for (size_t i = 0; i < o.n_inventories; i++) {
		struct stat st;

		a.inv_mtime[i] =
			stat(o.inventories[i], &st) == 0 ? st.st_mtim : (struct timespec){0, 0};
		if (inventory_load(ctx.inv, o.inventories[i], &err) < 0) {
			cli_log_error("%s", err.msg);
			goto out;
		}
	}
	for (size_t i = 0; ctx.graph && i < inventory_workload_count(ctx.inv); i++)
		(void)graph_add_workload(ctx.graph, inventory_workload(ctx.inv, i));

	tracker = capture_tracker_new(learn_on_flow, &ctx);
	capture_tracker_set_max_flows(tracker, o.max_flows);
	capture_tracker_set_one_way(tracker, o.one_way);
	a.tracker = tracker;
	a.tty = isatty(STDERR_FILENO);
	for (size_t i = 0; i < o.n_reads; i++) {
		struct capture_stats fs = {0};

		r = capture_file_read(tracker, o.reads[i], &o.tunnels, &fs, &err);
		capture_stats_merge(&a.now.cap, &fs);
		if (r < 0) {
			cli_log_error("%s", err.msg);
			goto out;
		}
		/* what the file watched: its first to its last packet; who ran then */
		if (ctx.graph && fs.first_ns) {
			graph_add_window(ctx.graph, fs.first_ns, fs.last_ns);
			inventory_note_running(ctx.inv, ctx.graph, fs.first_ns, fs.last_ns);
		}
	}
	if (live) {
		/* what the files taught is safe on disk before the first live packet */
		capture_tracker_flush(tracker);
		if (o.n_reads && agent_save(&a, false, &err) < 0) {
			cli_log_error("%s", err.msg);
			goto out;
		}
		/* check: the files' reports, sorted; live ones follow as they happen */
		if (check) {
			learn_check_flush(ctx.check);
			if (check_out.failed < 0)
				goto out;
		}
		if (agent_run(&a) != EXIT_SUCCESS) {
			/*
			 * A source that could not be opened (the Docker Engine or libcurl, an
			 * interface, conntrack, --user) stopped the agent before it began: nothing
			 * was learned live, and what the files taught is saved already. The state
			 * is left as it was, or not created.
			 */
			if (!a.start_ns)
				goto out;
			goto out_save;
		}
	}
	if (agent_save(&a, true, &err) < 0) {
		cli_log_error("%s", err.msg);
		goto out;
	}
	if (check) {
		struct learn_check_counts n;

		learn_check_flush(ctx.check);
		learn_check_get_counts(ctx.check, &n);
		if (check_out.failed < 0 ||
		    emit_check_summary(stdout, o.format, ctx.flows, n.flows_found, n.edges_found,
				       n.attempts_found, &err) < 0) {
			if (!check_out.failed)
				cli_log_error("%s", err.msg);
			goto out;
		}
		/*
		 * Any flow the baseline does not allow needs a look. Attempts are reported, but
		 * learn would add no edge for them, so they do not fail a build by themselves.
		 */
		ret = n.flows_found ? CLI_EXIT_FOUND : EXIT_SUCCESS;
		goto out;
	}
	if (!o.quiet)
		fprintf(stderr,
			"flowlock: %" PRIu64 " packets, %" PRIu64 " flows -> %zu edges (%zu new) "
			"among %zu workloads in %s; %" PRIu64 " refused and %" PRIu64
			" unanswered (attempts, not edges); skipped %" PRIu64 " truncated, %" PRIu64
			" malformed, %" PRIu64 " fragments, %" PRIu64 " non-IP, %" PRIu64
			" other\n",
			a.now.cap.packets, ctx.flows, graph_edge_count(ctx.graph),
			graph_edge_count(ctx.graph) - edges_before, graph_workload_count(ctx.graph),
			o.state_path, ctx.refused, ctx.unanswered, a.now.cap.truncated,
			a.now.cap.malformed, a.now.cap.fragments, a.now.cap.not_ip,
			a.now.cap.unsupported);
	ret = EXIT_SUCCESS;
	goto out;
out_save:
	/* a live source failed: keep what was learned up to here, then report the failure */
	if (agent_save(&a, true, &err) < 0)
		cli_log_error("%s", err.msg);
out:
	capture_live_free(a.live);
	capture_conntrack_free(a.ct);
	inventory_docker_free(a.docker);
	capture_tracker_free(tracker);
	inventory_free(ctx.inv);
	graph_free(ctx.graph);
	graph_free(baseline);
	learn_check_free(ctx.check);
	free(a.iface_drops_saved);
	free(a.inv_mtime);
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
