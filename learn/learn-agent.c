/* SPDX-License-Identifier: Apache-2.0 */
/*
 * learn-agent.c - the agent: capture files, then live sources (interfaces, conntrack, the Docker
 * Engine) polled until a deadline or a signal; each flow is learned into a graph saved at every
 * checkpoint, or checked against a baseline.
 */
#include <errno.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "learn/learn-private.h"

/* the signalfd, conntrack, the Docker Engine, inventory streams, and live capture */
#define AGENT_MAX_FDS (4 + CAPTURE_LIVE_MAX_POLLFDS)
/* Inventory streams list what they hold at start: until they pause this long, or at most... */
#define AGENT_STREAM_QUIET_MS 500
#define AGENT_STREAM_WAIT_MS  30000
/* After the Docker Engine left, how often to ask whether it is back. */
#define AGENT_DOCKER_RETRY_S 2
/* A failed conntrack resync is retried at the next overrun; this many in a row stop the agent. */
#define AGENT_CT_FAILURES_MAX 10

/*
 * Counters in the state accumulate over runs and checkpoints, so each save adds only what
 * changed since the previous one.
 */
struct agent_counters {
	struct capture_stats cap;
	uint64_t flows;
	uint64_t refused, unanswered;
	struct capture_tracker_stats tracker;
};

struct learn_agent {
	struct learn_agent_config cfg;
	struct capture_tunnels tunnels;
	struct capture_tracker *tracker;
	struct capture_live *live;
	struct capture_conntrack *ct;
	struct inventory_docker *docker;
	struct agent_counters now, saved;
	uint64_t *iface_drops_saved; /* per interface index, what the state already holds */
	size_t n_iface_saved;
	size_t n_iface_counted; /* interfaces already in the interfaces-seen counter */
	struct agent_conntrack_saved {
		uint64_t events, overruns, resyncs;
	} ct_saved;
	struct timespec *inv_mtime;
	const char **inv_files; /* the inventories that are files, not streams */
	size_t n_inv_files;
	size_t files_read;
	int sfd; /* SIGINT, SIGTERM and SIGHUP, from learn_agent_open until the run ends */
	uint64_t start_ns;
	uint64_t live_from_ns;	/* wall clock when live capture began: the window's start */
	unsigned save_failures; /* checkpoints failed in a row (a full disk): said once */
	unsigned ct_failures;	/* conntrack reads failed in a row */
	/* the poll loop's deadlines, on the monotonic clock */
	uint64_t end, next_checkpoint, next_status, next_expire, next_docker;
	bool stop; /* SIGINT or SIGTERM */
};

/* Deadlines (duration, checkpoints, status) follow the monotonic clock: a stepped wall clock
 * must neither stall them nor end a run early. Flow expiry follows packet (wall) time. */
static uint64_t now_ns(void)
{
	return util_now_ns(CLOCK_MONOTONIC);
}

static void agent_log(const struct learn_agent *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void agent_log(const struct learn_agent *a, const char *fmt, ...)
{
	va_list ap;
	char *line;

	va_start(ap, fmt);
	if (vasprintf(&line, fmt, ap) < 0)
		abort(); /* out of memory, as util's allocation wrappers */
	va_end(ap);
	a->cfg.log(a->cfg.userdata, line);
	free(line);
}

/* ---- Flows -------------------------------------------------------------------------------- */

static void agent_count(struct learn_agent *a, const struct capture_flow *flow)
{
	a->now.flows++;
	a->now.refused += flow->outcome == CAPTURE_REFUSED;
	a->now.unanswered += flow->outcome == CAPTURE_UNANSWERED;
}

static void agent_on_flow(const struct capture_flow *flow, void *userdata)
{
	struct learn_agent *a = userdata;

	agent_count(a, flow);
	if (a->cfg.check)
		learn_check_flow(a->cfg.check, a->cfg.inv, flow, false);
	else
		(void)learn_add_flow(a->cfg.graph, a->cfg.inv, flow);
}

/* The file's reader is behind: what the views sort now is not sorted after the last packet. */
static void agent_on_idle(void *userdata)
{
	struct learn_agent *a = userdata;

	if (a->cfg.graph)
		graph_prepare_views(a->cfg.graph);
}

/* Flows that ended together (an expiry scan, the end of the input), as agent_on_flow has each. */
static void agent_on_flows(const struct capture_flow *flows, size_t n, void *userdata)
{
	struct learn_agent *a = userdata;

	if (a->cfg.check) {
		for (size_t i = 0; i < n; i++)
			agent_on_flow(&flows[i], a);
		return;
	}
	for (size_t i = 0; i < n; i++)
		agent_count(a, &flows[i]);
	learn_add_flows(a->cfg.graph, a->cfg.inv, flows, n);
}

static void agent_on_open_flow(const struct capture_flow *flow, void *userdata)
{
	struct learn_agent *a = userdata;

	(void)learn_note_flow(a->cfg.graph, a->cfg.inv, flow);
}

static void agent_check_open_flow(const struct capture_flow *flow, void *userdata)
{
	struct learn_agent *a = userdata;

	learn_check_flow(a->cfg.check, a->cfg.inv, flow, true);
}

struct learn_agent *learn_agent_new(const struct learn_agent_config *cfg)
{
	struct learn_agent *a = util_zalloc(sizeof(*a));

	a->cfg = *cfg;
	if (cfg->tunnels)
		a->tunnels = *cfg->tunnels;
	a->sfd = -1;
	a->inv_mtime = util_reallocarray(NULL, cfg->n_inventories + 1, sizeof(*a->inv_mtime));
	a->inv_files = util_reallocarray(NULL, cfg->n_inventories + 1, sizeof(*a->inv_files));
	a->tracker = capture_tracker_new(agent_on_flow, a);
	capture_tracker_set_batch_fn(a->tracker, agent_on_flows);
	capture_tracker_set_idle_fn(a->tracker, agent_on_idle);
	capture_tracker_set_max_flows(a->tracker, cfg->max_flows);
	capture_tracker_set_one_way(a->tracker, cfg->one_way);
	return a;
}

struct learn_agent *learn_agent_free(struct learn_agent *a)
{
	if (!a)
		return NULL;
	capture_live_free(a->live);
	capture_conntrack_free(a->ct);
	inventory_docker_free(a->docker);
	capture_tracker_free(a->tracker);
	if (a->sfd >= 0)
		close(a->sfd);
	free(a->iface_drops_saved);
	free(a->inv_mtime);
	free(a->inv_files);
	free(a);
	return NULL;
}

void learn_agent_get_stats(const struct learn_agent *a, struct learn_agent_stats *ret)
{
	*ret = (struct learn_agent_stats){
		.cap = a->now.cap,
		.flows = a->now.flows,
		.refused = a->now.refused,
		.unanswered = a->now.unanswered,
	};
}

/* ---- Inventory files ---------------------------------------------------------------------- */

static void agent_say(void *userdata, const char *msg)
{
	const struct learn_agent *a = userdata;

	a->cfg.log(a->cfg.userdata, msg);
}

/* Every workload the inventory knows is in the graph, with or without traffic. */
static void agent_add_workloads(struct learn_agent *a)
{
	const struct learn_agent_config *c = &a->cfg;

	for (size_t i = 0; c->graph && i < inventory_workload_count(c->inv); i++)
		(void)graph_add_workload(c->graph, inventory_workload(c->inv, i));
}

int learn_agent_load_inventories(struct learn_agent *a, struct util_err *err)
{
	const struct learn_agent_config *c = &a->cfg;
	size_t streams = 0, objects;
	int r;

	for (size_t i = 0; i < c->n_inventories; i++) {
		const char *path = c->inventories[i];
		struct stat st;

		if (c->live && inventory_is_stream(path)) {
			r = inventory_watch(c->inv, path, agent_say, a, err);
			if (r < 0)
				return r;
			streams++;
			continue;
		}
		a->inv_mtime[a->n_inv_files] =
			stat(path, &st) == 0 ? st.st_mtim : (struct timespec){0, 0};
		a->inv_files[a->n_inv_files++] = path;
		r = inventory_load(c->inv, path, err);
		if (r < 0)
			return r;
	}
	if (streams) {
		/* flows are attributed from the start by what the streams list first */
		objects =
			inventory_watch_settle(c->inv, AGENT_STREAM_QUIET_MS, AGENT_STREAM_WAIT_MS);
		if (!c->quiet)
			agent_log(a, "inventory streams: %zu objects listed (%zu workloads)",
				  objects, inventory_workload_count(c->inv));
	}
	agent_add_workloads(a);
	return 0;
}

/* Inventory files are re-read when one changes (or on SIGHUP); a bad new version is refused. */
static bool agent_inventories_changed(struct learn_agent *a)
{
	bool changed = false;

	for (size_t i = 0; i < a->n_inv_files; i++) {
		struct stat st;

		if (stat(a->inv_files[i], &st) < 0)
			continue;
		if (st.st_mtim.tv_sec != a->inv_mtime[i].tv_sec ||
		    st.st_mtim.tv_nsec != a->inv_mtime[i].tv_nsec) {
			a->inv_mtime[i] = st.st_mtim;
			changed = true;
		}
	}
	return changed;
}

static void agent_reload(struct learn_agent *a)
{
	const struct learn_agent_config *c = &a->cfg;
	struct util_err err = {""};

	if (inventory_reload(c->inv, a->inv_files, a->n_inv_files, &err) < 0) {
		agent_log(a, "warning: inventory not reloaded, keeping the previous one: %s",
			  err.msg);
		return;
	}
	agent_add_workloads(a);
	if (!c->quiet)
		agent_log(a, "inventory re-read (%zu workloads)", inventory_workload_count(c->inv));
}

/* ---- Files -------------------------------------------------------------------------------- */

int learn_agent_read_file(struct learn_agent *a, const char *path, struct util_err *err)
{
	struct capture_stats fs = {0};
	int r;

	a->files_read++;
	r = capture_file_read(a->tracker, path, &a->tunnels, &fs, err);
	capture_stats_merge(&a->now.cap, &fs);
	if (r < 0)
		return r;
	/* what the file watched: its first to its last packet; who ran then */
	if (a->cfg.graph && fs.first_ns) {
		graph_add_window(a->cfg.graph, fs.first_ns, fs.last_ns);
		inventory_note_running(a->cfg.inv, a->cfg.graph, fs.first_ns, fs.last_ns);
	}
	return 0;
}

int learn_agent_save_files(struct learn_agent *a, struct util_err *err)
{
	capture_tracker_flush(a->tracker);
	if (a->files_read == 0)
		return 0;
	return learn_agent_save(a, false, err);
}

/* ---- Saving ------------------------------------------------------------------------------- */

static void counters_commit(struct graph *g, const struct agent_counters *now,
			    struct agent_counters *saved)
{
	/* rare: kept only once it happens, so a state that never saw one reads as before */
	static const struct {
		const char *name;
		size_t off;
		bool rare;
	} counters[] = {
		{"packets", offsetof(struct agent_counters, cap.packets), false},
		{"packets-decoded", offsetof(struct agent_counters, cap.decoded), false},
		{"packets-truncated", offsetof(struct agent_counters, cap.truncated), false},
		{"packets-not-ip", offsetof(struct agent_counters, cap.not_ip), false},
		{"packets-fragment", offsetof(struct agent_counters, cap.fragments), false},
		{"packets-unsupported", offsetof(struct agent_counters, cap.unsupported), false},
		{"packets-malformed", offsetof(struct agent_counters, cap.malformed), false},
		{"flows", offsetof(struct agent_counters, flows), false},
		{"flows-refused", offsetof(struct agent_counters, refused), true},
		{"flows-unanswered", offsetof(struct agent_counters, unanswered), true},
		{"flows-evicted", offsetof(struct agent_counters, tracker.evicted), true},
		{"flows-port-zero", offsetof(struct agent_counters, tracker.port_zero), true},
	};

	for (size_t i = 0; i < UTIL_ARRAY_SIZE(counters); i++) {
		uint64_t x = *(const uint64_t *)((const char *)now + counters[i].off);
		uint64_t y = *(const uint64_t *)((const char *)saved + counters[i].off);

		if (x != y || !counters[i].rare)
			graph_add_counter(g, counters[i].name, x - y);
	}
	*saved = *now;
}

/*
 * A total always; a counter of its own only for an interface that dropped, or the state would
 * keep a line for every container's veth that ever existed.
 */
static void agent_commit_drops(struct learn_agent *a)
{
	size_t n = capture_live_iface_count(a->live);
	char name[GRAPH_COUNTER_NAME_MAX + 1];
	struct graph *g = a->cfg.graph;

	if (n > a->n_iface_saved) {
		a->iface_drops_saved =
			util_reallocarray(a->iface_drops_saved, n, sizeof(*a->iface_drops_saved));
		memset(a->iface_drops_saved + a->n_iface_saved, 0,
		       (n - a->n_iface_saved) * sizeof(*a->iface_drops_saved));
		a->n_iface_saved = n;
	}
	graph_add_counter(g, "pcap-drops", 0);
	graph_add_counter(g, "interfaces-seen", n - a->n_iface_counted);
	a->n_iface_counted = n;
	for (size_t i = 0; i < n; i++) {
		const struct capture_iface_stats *s = capture_live_iface(a->live, i);
		uint64_t drops = s->drops + s->if_drops, delta;

		delta = drops >= a->iface_drops_saved[i] ? drops - a->iface_drops_saved[i] : 0;
		a->iface_drops_saved[i] = drops;
		if (delta == 0)
			continue;
		graph_counter_name_build(name, "pcap-drops", s->name);
		graph_add_counter(g, name, delta);
		graph_add_counter(g, "pcap-drops", delta);
	}
}

static void agent_commit_conntrack(struct learn_agent *a)
{
	const struct capture_conntrack_stats *s = capture_conntrack_stats(a->ct);
	struct graph *g = a->cfg.graph;

	graph_add_counter(g, "conntrack-events", s->events - a->ct_saved.events);
	graph_add_counter(g, "conntrack-overruns", s->overruns - a->ct_saved.overruns);
	graph_add_counter(g, "conntrack-resyncs", s->resyncs - a->ct_saved.resyncs);
	a->ct_saved = (struct agent_conntrack_saved){s->events, s->overruns, s->resyncs};
}

int learn_agent_save(struct learn_agent *a, bool final, struct util_err *err)
{
	const struct learn_agent_config *c = &a->cfg;

	if (final) {
		if (a->live)
			capture_live_drain(a->live, &a->now.cap);
		capture_tracker_flush(a->tracker);
	} else if (c->check) {
		learn_check_round_begin(c->check);
		capture_tracker_peek(a->tracker, agent_check_open_flow, a);
		learn_check_round_end(c->check);
	} else {
		capture_tracker_peek(a->tracker, agent_on_open_flow, a);
	}
	/* check writes no state: its checkpoints (every second) only report open flows */
	if (c->check)
		return 0;
	if (a->live_from_ns) {
		/* watched from the start until now; what ran meanwhile, by the inventory, ran */
		uint64_t wall = util_now_ns(CLOCK_REALTIME);

		graph_add_window(c->graph, a->live_from_ns, wall);
		/* a pod that ran and finished between two saves ran within the run too */
		inventory_note_running(c->inv, c->graph, a->live_from_ns, wall);
	}
	capture_tracker_get_stats(a->tracker, &a->now.tracker);
	counters_commit(c->graph, &a->now, &a->saved);
	if (a->live)
		agent_commit_drops(a);
	if (a->ct)
		agent_commit_conntrack(a);
	return graph_state_save(c->graph, c->state_path, err);
}

/*
 * A checkpoint that cannot be written (a full disk, a read-only folder) costs nothing learned:
 * the graph stays in memory and the next checkpoint tries again. Said once when saving starts
 * to fail and once when it works again, not at every checkpoint in between; quiet or not, since
 * what is not saved is lost if the agent dies.
 */
void learn_agent_checkpoint(struct learn_agent *a)
{
	struct util_err err = {""};

	if (learn_agent_save(a, false, &err) < 0) {
		if (a->save_failures++ == 0)
			agent_log(a,
				  "warning: cannot save the state, learning goes on in memory "
				  "and every checkpoint tries again: %s",
				  err.msg);
		return;
	}
	if (a->save_failures > 0)
		agent_log(a, "%s: saved again, after %u failed checkpoint%s", a->cfg.state_path,
			  a->save_failures, a->save_failures == 1 ? "" : "s");
	a->save_failures = 0;
}

/* ---- The status line ---------------------------------------------------------------------- */

static uint64_t agent_drops(const struct learn_agent *a)
{
	uint64_t d = 0;

	for (size_t i = 0; a->live && i < capture_live_iface_count(a->live); i++)
		d += capture_live_iface(a->live, i)->drops +
		     capture_live_iface(a->live, i)->if_drops;
	return d;
}

/* Which interfaces dropped, when any did: the first few, by name. */
static void agent_status_drops(const struct learn_agent *a, char *line, size_t size)
{
	for (size_t i = 0, shown = 0; a->live && i < capture_live_iface_count(a->live); i++) {
		const struct capture_iface_stats *s = capture_live_iface(a->live, i);
		size_t len = strlen(line);

		if (s->drops + s->if_drops == 0 || len + 48 > size)
			continue;
		if (shown++ == 3) {
			snprintf(line + len, size - len, ", ...");
			break;
		}
		snprintf(line + len, size - len, "%s %.20s %" PRIu64, shown == 1 ? " (drops:" : ",",
			 s->name, s->drops + s->if_drops);
	}
	if (strstr(line, " (drops:"))
		strncat(line, ")", size - strlen(line) - 1);
}

static void agent_status(const struct learn_agent *a, uint64_t now, bool final)
{
	const struct learn_agent_config *c = &a->cfg;
	uint64_t el = (now - a->start_ns) / UTIL_NSEC_PER_SEC;
	struct learn_check_counts n = {0};
	size_t attached = 0;
	char line[256];

	for (size_t i = 0; a->live && i < capture_live_iface_count(a->live); i++)
		attached += capture_live_iface(a->live, i)->attached;
	if (c->check)
		learn_check_get_counts(c->check, &n);
	snprintf(line, sizeof(line),
		 "%" PRIu64 " packets, %" PRIu64 " flows, %zu edges%s, %" PRIu64
		 " drops, %zu interface%s, %02" PRIu64 ":%02" PRIu64 ":%02" PRIu64 " elapsed",
		 a->now.cap.packets, a->now.flows,
		 c->check ? n.edges_found : graph_edge_count(c->graph),
		 c->check ? " not in the baseline" : "", agent_drops(a), attached,
		 attached == 1 ? "" : "s", el / 3600, el / 60 % 60, el % 60);
	agent_status_drops(a, line, sizeof(line));
	c->status(c->userdata, line, final);
}

/* ---- Opening the live sources ------------------------------------------------------------- */

/* Signals arrive as input on a descriptor, so no handler runs in the middle of a save. */
static int agent_open_signals(struct learn_agent *a, struct util_err *err)
{
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0 ||
	    (a->sfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC)) < 0)
		return util_err_set(err, errno, "signalfd: %s", strerror(errno));
	return 0;
}

static int agent_open_interfaces(struct learn_agent *a, struct util_err *err)
{
	const struct learn_agent_config *c = &a->cfg;
	struct capture_live_options lo = {
		.patterns = c->patterns, .n_patterns = c->n_patterns, .tunnels = &a->tunnels};
	int r;

	r = capture_live_open(&lo, a->tracker, &a->live, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < c->n_patterns && !c->quiet; i++) {
		bool any = false;

		for (size_t j = 0; j < capture_live_iface_count(a->live) && !any; j++)
			any = fnmatch(c->patterns[i], capture_live_iface(a->live, j)->name, 0) == 0;
		if (!any)
			agent_log(a,
				  "warning: no interface matches -i %s now; one that appears "
				  "later is attached",
				  c->patterns[i]);
	}
	return 0;
}

int learn_agent_open(struct learn_agent *a, struct util_err *err)
{
	const struct learn_agent_config *c = &a->cfg;
	const char *problem;
	int r;

	r = agent_open_signals(a, err);
	if (r < 0)
		return r;
	if (c->docker_socket) {
		r = inventory_docker_open(c->docker_socket, c->inv, &a->docker, err);
		if (r < 0)
			return r;
	}
	if (c->n_patterns) {
		r = agent_open_interfaces(a, err);
		if (r < 0)
			return r;
	}
	if (c->conntrack) {
		r = capture_conntrack_open(a->tracker, &a->ct, err);
		if (r < 0)
			return r;
		problem = capture_conntrack_bridge_problem();
		if (problem && !c->quiet)
			agent_log(a, "warning: %s", problem);
	}
	/* Everything privileged is open: from here on root is not needed. */
	if (c->user) {
		r = util_drop_privileges(c->user, err);
		if (r < 0)
			return r;
	}
	/* inspecting a container opens the socket again: the user must still be allowed to */
	if (c->user && a->docker)
		return inventory_docker_check_access(c->docker_socket, err);
	return 0;
}

/* ---- The poll loop ------------------------------------------------------------------------ */

/* Waits until a source has input or the next deadline. */
static int agent_poll(struct learn_agent *a, struct pollfd *fds, uint64_t now, struct util_err *err)
{
	uint64_t wake = a->end;
	size_t n = 0;
	int timeout;

	if (a->next_checkpoint < wake)
		wake = a->next_checkpoint;
	if (a->next_status < wake && !a->cfg.quiet)
		wake = a->next_status;
	if (a->next_expire < wake)
		wake = a->next_expire;
	if (a->next_docker < wake)
		wake = a->next_docker;
	timeout = wake <= now ? 0 : (int)((wake - now + 999999) / 1000000);
	/* queued container inspects go on in small steps between everything else */
	if (a->docker && inventory_docker_busy(a->docker) && timeout > 20)
		timeout = 20;
	/* a stream's changes wait for the next rebuild, or a reopened one for its relisting */
	if (inventory_watch_pending(a->cfg.inv) && timeout > 50)
		timeout = 50;

	fds[n++] = (struct pollfd){.fd = a->sfd, .events = POLLIN};
	if (a->ct)
		fds[n++] = (struct pollfd){.fd = capture_conntrack_fd(a->ct), .events = POLLIN};
	if (a->docker)
		fds[n++] = (struct pollfd){.fd = inventory_docker_fd(a->docker), .events = POLLIN};
	if (inventory_watch_fd(a->cfg.inv) >= 0)
		fds[n++] = (struct pollfd){.fd = inventory_watch_fd(a->cfg.inv), .events = POLLIN};
	if (a->live)
		n += capture_live_pollfds(a->live, fds + n, AGENT_MAX_FDS - n);
	if (poll(fds, (nfds_t)n, timeout) < 0 && errno != EINTR)
		return util_err_set(err, errno, "poll: %s", strerror(errno));
	return 0;
}

/* Reads what every source has: signals, packets, conntrack events, the engine's events. */
static int agent_dispatch(struct learn_agent *a, struct util_err *err)
{
	struct signalfd_siginfo si;
	int r;

	while (read(a->sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGHUP)
			agent_reload(a);
		else
			a->stop = true;
	}
	/* before the packets that came with them: a pod's address is known before its flows */
	if (inventory_watch_dispatch(a->cfg.inv, util_now_ns(CLOCK_REALTIME)))
		agent_add_workloads(a);
	if (a->live) {
		r = capture_live_dispatch(a->live, &a->now.cap, err);
		if (r < 0)
			return r;
	}
	/* a failed resync is retried at the next overrun; only a conntrack that keeps failing
	 * stops the agent */
	if (a->ct && capture_conntrack_dispatch(a->ct, err) < 0) {
		agent_log(a, "warning: %s", err->msg);
		if (++a->ct_failures >= AGENT_CT_FAILURES_MAX)
			return util_err_set(err, EIO,
					    "conntrack failed %d times in a row; stopping",
					    AGENT_CT_FAILURES_MAX);
	} else {
		a->ct_failures = 0;
	}
	if (a->docker && inventory_docker_dispatch(a->docker, err) < 0) {
		/* the engine went away (a restart, an upgrade): keep observing with what is
		 * known, and ask again every AGENT_DOCKER_RETRY_S */
		agent_log(a, "warning: %s; containers are not named until it is back", err->msg);
		a->docker = inventory_docker_free(a->docker);
		a->next_docker = now_ns() + AGENT_DOCKER_RETRY_S * UTIL_NSEC_PER_SEC;
	}
	return 0;
}

/* What is due: asking whether the engine is back, expiry and inventory changes, status, saving. */
static void agent_deadlines(struct learn_agent *a)
{
	const struct learn_agent_config *c = &a->cfg;
	struct util_err err = {""};
	uint64_t now = now_ns();

	if (!a->docker && now >= a->next_docker) {
		if (inventory_docker_open(c->docker_socket, c->inv, &a->docker, &err) < 0) {
			a->next_docker = now + AGENT_DOCKER_RETRY_S * UTIL_NSEC_PER_SEC;
		} else {
			a->next_docker = UINT64_MAX;
			if (!c->quiet)
				agent_log(a, "the Docker Engine is back: naming containers again");
		}
	}
	if (now >= a->next_expire) {
		capture_tracker_expire(a->tracker, util_now_ns(CLOCK_REALTIME));
		/* a relisting gone quiet, deleted pods kept long enough */
		if (inventory_watch_dispatch(c->inv, util_now_ns(CLOCK_REALTIME)))
			agent_add_workloads(a);
		if (agent_inventories_changed(a))
			agent_reload(a);
		a->next_expire = now + UTIL_NSEC_PER_SEC;
	}
	if (!c->quiet && now >= a->next_status) {
		agent_status(a, now, false);
		a->next_status = now + UTIL_NSEC_PER_SEC * c->status_s;
	}
	if (now >= a->next_checkpoint) {
		learn_agent_checkpoint(a);
		a->next_checkpoint = now + c->checkpoint_s * UTIL_NSEC_PER_SEC;
	}
}

static int agent_loop(struct learn_agent *a, struct pollfd *fds, struct util_err *err)
{
	const struct learn_agent_config *c = &a->cfg;
	int r;

	a->start_ns = now_ns();
	a->live_from_ns = util_now_ns(CLOCK_REALTIME);
	a->end = c->duration_s ? a->start_ns + c->duration_s * UTIL_NSEC_PER_SEC : UINT64_MAX;
	a->next_checkpoint = a->start_ns + c->checkpoint_s * UTIL_NSEC_PER_SEC;
	a->next_status = a->start_ns;
	a->next_expire = a->start_ns;
	a->next_docker = UINT64_MAX;
	/* check stops when its report cannot be written any more */
	while (!a->stop && !(c->stop && c->stop(c->userdata))) {
		uint64_t now = now_ns();

		if (now >= a->end)
			break;
		r = agent_poll(a, fds, now, err);
		if (r < 0)
			return r;
		r = agent_dispatch(a, err);
		if (r < 0)
			return r;
		agent_deadlines(a);
	}
	if (!c->quiet)
		agent_status(a, now_ns(), true);
	return 0;
}

int learn_agent_run(struct learn_agent *a, struct util_err *err)
{
	struct pollfd *fds = util_reallocarray(NULL, AGENT_MAX_FDS, sizeof(*fds));
	int r;

	r = agent_loop(a, fds, err);
	free(fds);
	close(a->sfd);
	a->sfd = -1;
	return r;
}
