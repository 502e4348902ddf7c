/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test-agent.c - the agent (learn-agent.c) where it needs no live capture and no root: what it
 * saves from files (each counter once, however many saves), checkpoints that fail and recover
 * (each said once), the poll loop ending on a signal, a deadline or when told, and the inventory
 * re-read on change and on SIGHUP.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "learn/learn-private.h"
#include "tests/test-helpers.h"

/* 24 records: 14 decoded into 3 flows, 2 not IP, 8 that open nothing (tests/data/capture). */
#define SESSION TEST_DATA "/capture/session.pcap"

static const char one_pod[] = "apiVersion: v1\n"
			      "kind: Pod\n"
			      "metadata: {name: db-0, namespace: shop, labels: {app: db}}\n"
			      "spec: {nodeName: worker-1}\n"
			      "status: {podIP: 10.244.1.20}\n";
static const char two_pods[] = "apiVersion: v1\n"
			       "kind: List\n"
			       "items:\n"
			       "- apiVersion: v1\n"
			       "  kind: Pod\n"
			       "  metadata: {name: db-0, namespace: shop, labels: {app: db}}\n"
			       "  spec: {nodeName: worker-1}\n"
			       "  status: {podIP: 10.244.1.20}\n"
			       "- apiVersion: v1\n"
			       "  kind: Pod\n"
			       "  metadata: {name: web, namespace: shop, labels: {app: web}}\n"
			       "  spec: {nodeName: worker-1}\n"
			       "  status: {podIP: 10.244.1.10}\n";

/* What the agent said through its callbacks, and how the test answers them. */
struct said {
	char *lines[16];
	size_t n_lines;
	size_t n_status;
	bool last_final; /* the last status line was the final one */
	bool stop;	 /* what the stop callback answers */
	int signal;	 /* raised at the first status line that is not final (0: none) */
};

static void said_log(void *userdata, const char *line)
{
	struct said *s = userdata;

	ck_assert_uint_lt(s->n_lines, UTIL_ARRAY_SIZE(s->lines));
	s->lines[s->n_lines++] = util_strdup(line);
}

static void said_status(void *userdata, const char *text, bool final)
{
	struct said *s = userdata;

	ck_assert(strstr(text, " packets, ") != NULL);
	s->n_status++;
	s->last_final = final;
	if (!final && s->signal)
		ck_assert_int_eq(raise(s->signal), 0);
}

static bool said_stop(void *userdata)
{
	const struct said *s = userdata;

	return s->stop;
}

static void said_free(struct said *s)
{
	for (size_t i = 0; i < s->n_lines; i++)
		free(s->lines[i]);
}

/* An agent learning into g, with no live source: the poll loop then watches signals alone. */
static struct learn_agent *agent_new(struct graph *g, struct inventory *inv, const char *state,
				     struct said *s)
{
	struct learn_agent_config cfg = {
		.graph = g,
		.state_path = state,
		.inv = inv,
		.checkpoint_s = 60,
		.status_s = 1,
		.log = said_log,
		.status = said_status,
		.stop = said_stop,
		.userdata = s,
	};

	return learn_agent_new(&cfg);
}

static uint64_t counter(const struct graph *g, const char *name)
{
	for (size_t i = 0; i < graph_counter_count(g); i++)
		if (strcmp(graph_counter_name(g, i), name) == 0)
			return graph_counter_value(g, i);
	ck_abort_msg("no counter %s", name);
	return 0;
}

/*
 * The counters of session.pcap in the state at path, each read once whatever the saves before;
 * flows are counted when they end (a checkpoint notes the edges of open ones).
 */
static void check_session_counters(const char *path, uint64_t flows)
{
	struct util_err err = {""};
	struct graph *saved = NULL;

	ck_assert_msg(graph_state_load(path, &saved, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(counter(saved, "packets"), 24);
	ck_assert_uint_eq(counter(saved, "packets-decoded"), 14);
	ck_assert_uint_eq(counter(saved, "packets-not-ip"), 2);
	ck_assert_uint_eq(counter(saved, "packets-unsupported"), 8);
	ck_assert_uint_eq(counter(saved, "flows"), flows);
	ck_assert_uint_eq(graph_edge_count(saved), 3);
	graph_free(saved);
}

/* ---- Saves: each counter is committed once -------------------------------------------------- */

/* How many checkpoints come between the files' save and the last one. */
static const unsigned checkpoint_cases[] = {0, 1, 3};

START_TEST(test_counters_once)
{
	char *dir = test_tmpdir_new(), *state = util_asprintf("%s/state.yaml", dir);
	struct graph *g = graph_new();
	struct inventory *inv = inventory_new();
	struct util_err err = {""};
	struct learn_agent_stats st;
	struct said s = {0};
	struct learn_agent *a = agent_new(g, inv, state, &s);

	ck_assert_msg(learn_agent_read_file(a, SESSION, &err) == 0, "%s", err.msg);
	ck_assert_msg(learn_agent_save_files(a, &err) == 0, "%s", err.msg);
	check_session_counters(state, 3);
	for (unsigned i = 0; i < checkpoint_cases[_i]; i++) {
		ck_assert_msg(learn_agent_save(a, false, &err) == 0, "%s", err.msg);
		check_session_counters(state, 3);
	}
	ck_assert_msg(learn_agent_save(a, true, &err) == 0, "%s", err.msg);
	check_session_counters(state, 3);
	learn_agent_get_stats(a, &st);
	ck_assert_uint_eq(st.cap.packets, 24);
	ck_assert_uint_eq(st.flows, 3);
	ck_assert_uint_eq(st.refused + st.unanswered, 0);
	ck_assert_uint_eq(s.n_lines, 0);
	learn_agent_free(a);
	inventory_free(inv);
	graph_free(g);
	free(state);
	test_tmpdir_free(dir);
}
END_TEST

/* No file read: nothing to save before live capture, and no state is made for it. */
START_TEST(test_no_files_no_save)
{
	char *dir = test_tmpdir_new(), *state = util_asprintf("%s/state.yaml", dir);
	struct graph *g = graph_new();
	struct inventory *inv = inventory_new();
	struct util_err err = {""};
	struct said s = {0};
	struct learn_agent *a = agent_new(g, inv, state, &s);

	ck_assert_int_eq(learn_agent_save_files(a, &err), 0);
	ck_assert_int_eq(access(state, F_OK), -1);
	learn_agent_free(a);
	inventory_free(inv);
	graph_free(g);
	free(state);
	test_tmpdir_free(dir);
}
END_TEST

/* ---- Checkpoints that fail: said once, and once when saving works again ------------------- */

static const unsigned failure_cases[] = {1, 3};

START_TEST(test_checkpoint_failures)
{
	static const char warning[] = "warning: cannot save the state, learning goes on in memory "
				      "and every checkpoint tries again: ";
	unsigned failures = failure_cases[_i];
	char *dir = test_tmpdir_new(), *sub = util_asprintf("%s/missing", dir);
	char *state = util_asprintf("%s/state.yaml", sub), *back;
	struct graph *g = graph_new();
	struct inventory *inv = inventory_new();
	struct util_err err = {""};
	struct said s = {0};
	struct learn_agent *a = agent_new(g, inv, state, &s);

	ck_assert_msg(learn_agent_read_file(a, SESSION, &err) == 0, "%s", err.msg);
	for (unsigned i = 0; i < failures; i++) {
		learn_agent_checkpoint(a);
		ck_assert_uint_eq(s.n_lines, 1);
	}
	ck_assert_msg(strncmp(s.lines[0], warning, strlen(warning)) == 0, "%s", s.lines[0]);
	ck_assert(strstr(s.lines[0], state) != NULL);
	ck_assert_int_eq(access(state, F_OK), -1);

	ck_assert_int_eq(mkdir(sub, 0700), 0);
	learn_agent_checkpoint(a);
	ck_assert_uint_eq(s.n_lines, 2);
	back = util_asprintf("%s: saved again, after %u failed checkpoint%s", state, failures,
			     failures == 1 ? "" : "s");
	ck_assert_str_eq(s.lines[1], back);
	/* what the failed checkpoints counted is in the state once; the flows are still open */
	check_session_counters(state, 0);
	learn_agent_checkpoint(a);
	ck_assert_uint_eq(s.n_lines, 2);
	check_session_counters(state, 0);
	ck_assert_msg(learn_agent_save(a, true, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(s.n_lines, 2);
	check_session_counters(state, 3);

	said_free(&s);
	free(back);
	learn_agent_free(a);
	inventory_free(inv);
	graph_free(g);
	free(state);
	free(sub);
	test_tmpdir_free(dir);
}
END_TEST

/* ---- The poll loop: how it ends ----------------------------------------------------------- */

/* SIGTERM at the first status line: one more round, then the final status line. */
START_TEST(test_run_signal)
{
	static const int signals[] = {SIGTERM, SIGINT};
	struct graph *g = graph_new();
	struct inventory *inv = inventory_new();
	struct util_err err = {""};
	struct said s = {.signal = signals[_i]};
	struct learn_agent *a = agent_new(g, inv, NULL, &s);

	ck_assert_msg(learn_agent_open(a, &err) == 0, "%s", err.msg);
	ck_assert_msg(learn_agent_run(a, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(s.n_status, 2);
	ck_assert(s.last_final);
	ck_assert_uint_eq(s.n_lines, 0);
	learn_agent_free(a);
	inventory_free(inv);
	graph_free(g);
}
END_TEST

/* Told to stop before the first round (check's reports cannot be written): only the last line. */
START_TEST(test_run_told_to_stop)
{
	struct graph *g = graph_new();
	struct inventory *inv = inventory_new();
	struct util_err err = {""};
	struct said s = {.stop = true};
	struct learn_agent *a = agent_new(g, inv, NULL, &s);

	ck_assert_msg(learn_agent_open(a, &err) == 0, "%s", err.msg);
	ck_assert_msg(learn_agent_run(a, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(s.n_status, 1);
	ck_assert(s.last_final);
	learn_agent_free(a);
	inventory_free(inv);
	graph_free(g);
}
END_TEST

/* --duration 1 and quiet: no status line at all, and the run lasts its second. */
START_TEST(test_run_duration_quiet)
{
	struct graph *g = graph_new();
	struct inventory *inv = inventory_new();
	struct util_err err = {""};
	struct said s = {0};
	struct learn_agent_config cfg = {
		.graph = g,
		.inv = inv,
		.duration_s = 1,
		.checkpoint_s = 60,
		.status_s = 1,
		.quiet = true,
		.log = said_log,
		.status = said_status,
		.userdata = &s,
	};
	struct learn_agent *a = learn_agent_new(&cfg);
	uint64_t t0 = util_now_ns(CLOCK_MONOTONIC);

	ck_assert_msg(learn_agent_open(a, &err) == 0, "%s", err.msg);
	ck_assert_msg(learn_agent_run(a, &err) == 0, "%s", err.msg);
	ck_assert_uint_ge(util_now_ns(CLOCK_MONOTONIC) - t0, UTIL_NSEC_PER_SEC);
	ck_assert_uint_eq(s.n_status, 0);
	ck_assert_uint_eq(s.n_lines, 0);
	learn_agent_free(a);
	inventory_free(inv);
	graph_free(g);
}
END_TEST

/* ---- The inventory: re-read when a file changes, and on SIGHUP ---------------------------- */

static const struct reload_case {
	const char *name;
	const char *next; /* the file's new content, with a new mtime (NULL: unchanged) */
	bool hangup;	  /* SIGHUP once the agent is open */
	const char *said; /* the one line said (a prefix) */
	size_t workloads; /* in the inventory and the graph after */
} reload_cases[] = {
	{"changed", two_pods, false, "inventory re-read (2 workloads)", 2},
	{"sighup", NULL, true, "inventory re-read (1 workloads)", 1},
	{"bad", "kind: [\n", false,
	 "warning: inventory not reloaded, keeping the previous one: ", 1},
};

START_TEST(test_reload)
{
	const struct reload_case *c = &reload_cases[_i];
	char *dir = test_tmpdir_new(), *path = util_asprintf("%s/inventory.yaml", dir);
	const char *const paths[] = {path};
	struct graph *g = graph_new();
	struct inventory *inv = inventory_new();
	struct util_err err = {""};
	struct said s = {.signal = SIGTERM};
	struct learn_agent_config cfg = {
		.graph = g,
		.inv = inv,
		.inventories = paths,
		.n_inventories = 1,
		.checkpoint_s = 60,
		.status_s = 1,
		.log = said_log,
		.status = said_status,
		.userdata = &s,
	};
	struct learn_agent *a;

	test_write_file(path, one_pod, strlen(one_pod));
	a = learn_agent_new(&cfg);
	ck_assert_msg(learn_agent_load_inventories(a, &err) == 0, "%s: %s", c->name, err.msg);
	ck_assert_uint_eq(inventory_workload_count(inv), 1);
	ck_assert_uint_eq(graph_workload_count(g), 1);
	if (c->next) {
		/* a second later than the first version: a coarse clock cannot hide the change */
		struct timespec t[2] = {{.tv_sec = time(NULL) + 1}, {.tv_sec = time(NULL) + 1}};

		test_write_file(path, c->next, strlen(c->next));
		ck_assert_int_eq(utimensat(AT_FDCWD, path, t, 0), 0);
	}
	ck_assert_msg(learn_agent_open(a, &err) == 0, "%s", err.msg);
	if (c->hangup)
		ck_assert_int_eq(raise(SIGHUP), 0);
	ck_assert_msg(learn_agent_run(a, &err) == 0, "%s", err.msg);

	ck_assert_uint_eq(s.n_lines, 1);
	ck_assert_msg(strncmp(s.lines[0], c->said, strlen(c->said)) == 0, "%s: %s", c->name,
		      s.lines[0]);
	ck_assert_uint_eq(inventory_workload_count(inv), c->workloads);
	ck_assert_uint_eq(graph_workload_count(g), c->workloads);
	said_free(&s);
	learn_agent_free(a);
	inventory_free(inv);
	graph_free(g);
	free(path);
	test_tmpdir_free(dir);
}
END_TEST

static Suite *agent_suite(void)
{
	Suite *s = suite_create("agent");
	TCase *tc = tcase_create("save");

	tcase_add_loop_test(tc, test_counters_once, 0, (int)UTIL_ARRAY_SIZE(checkpoint_cases));
	tcase_add_test(tc, test_no_files_no_save);
	tcase_add_loop_test(tc, test_checkpoint_failures, 0, (int)UTIL_ARRAY_SIZE(failure_cases));
	suite_add_tcase(s, tc);
	tc = tcase_create("run");
	tcase_add_loop_test(tc, test_run_signal, 0, 2);
	tcase_add_test(tc, test_run_told_to_stop);
	tcase_add_test(tc, test_run_duration_quiet);
	tcase_add_loop_test(tc, test_reload, 0, (int)UTIL_ARRAY_SIZE(reload_cases));
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_run(agent_suite());
}
