/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test-watch.c - the inventory as a watch: recorded `kubectl get --watch --output-watch-events
 * -o json` streams (tests/data/watch, made by make.py) written into FIFOs step by step, each step
 * applied at a time of its own; then who held each address when, where a Service leads, and
 * what the agent was told.
 */
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <time.h>

#include "inventory/inventory-private.h"
#include "test-helpers.h"

#define T0     1764720000ull /* make.py's */
#define SEC(s) ((T0 + (uint64_t)(s)) * UTIL_NSEC_PER_SEC)

#define MAX_STEPS  6
#define MAX_CHECKS 10
#define MAX_SAID   10

struct step {
	int stream;	  /* 0 or 1 */
	const char *file; /* written by the stream's writer; NULL: the writer leaves */
	int64_t at;	  /* applied at T0 + at seconds */
	bool partial;	  /* ends inside a value: nothing to wait for */
	bool reopened;	  /* wait until the stream was opened again */
	bool relisted;	  /* wait until a relisting went quiet */
	bool idle;	  /* nothing comes for 2.5 s */
	bool gone;	  /* the writer leaves and the FIFO is removed; the next writer makes it */
};

struct check {
	const char *addr;
	int64_t at;	  /* a flow that began at T0 + at */
	const char *want; /* the client end's id; a server end: "ID:PORT ..." */
	uint16_t port;	  /* 0: the client end; else the server end on TCP port */
};

#define STEP(s, f, at_)                                                                            \
	{                                                                                          \
		.stream = s, .file = f, .at = at_                                                  \
	}
#define CLIENT(a, at, want)                                                                        \
	{                                                                                          \
		a, at, want, 0                                                                     \
	}
#define SERVER(a, at, want, port)                                                                  \
	{                                                                                          \
		a, at, want, port                                                                  \
	}

static const struct watch_case {
	const char *name;
	int streams;
	struct step steps[MAX_STEPS];
	struct check checks[MAX_CHECKS];
	const char *said[MAX_SAID]; /* every message, STREAM0 and STREAM1 for the FIFOs */
} cases[] = {
	{"an address reused by a new pod of another workload: each flow goes to its holder then",
	 1,
	 {STEP(0, "churn-1", 100), STEP(0, "churn-2", 200)},
	 {CLIENT("10.244.1.11", -7000, "k8s:shop/deployment/cart"),
	  CLIENT("10.244.1.11", 150, "k8s:shop/deployment/cart"),
	  /* cart was deleted at 200, search started at 201 */
	  CLIENT("10.244.1.11", 250, "k8s:shop/deployment/search"),
	  CLIENT("fd00:10:244:1::b", 150, "k8s:shop/deployment/cart"),
	  CLIENT("fd00:10:244:1::b", 250, "k8s:shop/deployment/search"),
	  CLIENT("10.244.1.10", 250, "k8s:shop/deployment/web"),
	  CLIENT("10.244.2.5", 250, "k8s:shop/statefulset/db"),
	  /* the finished report job held its address only while it ran */
	  CLIENT("10.244.2.9", -3570, "k8s:shop/cronjob/report"),
	  CLIENT("172.18.0.3", 250, "node:worker-1"),
	  CLIENT("fd00:10:244:2::5", 250, "k8s:shop/statefulset/db")},
	 {NULL}},
	{"a deleted pod is forgotten 10 minutes after: memory does not grow with churn",
	 1,
	 {STEP(0, "churn-1", 100), STEP(0, "churn-2", 200), {.at = 801, .idle = true}},
	 /* with no history left, the address is its holder's now, as in a file */
	 {CLIENT("10.244.1.11", 150, "k8s:shop/deployment/search"),
	  CLIENT("10.244.1.11", 250, "k8s:shop/deployment/search")},
	 {NULL}},
	{"a DELETED event whose object cannot be read deletes it still",
	 1,
	 {STEP(0, "churn-1", 100), STEP(0, "deleted-bad-1", 200)},
	 {CLIENT("10.244.1.11", 150, "k8s:shop/deployment/cart"),
	  CLIENT("10.244.1.11", 250, "external:10.244.1.11/32")},
	 {"warning: STREAM0:1141:24: invalid label value \"cart\\x1b[31m\" on pod "
	  "shop/cart-5f6d8b7c9-m4wz8: skipped",
	  NULL}},
	{"a relisting is over once an object it listed comes again, quiet or not",
	 1,
	 {STEP(0, "cut-1", 100), {.at = 200, .reopened = true}, STEP(0, "relist-repeat-1", 300)},
	 {CLIENT("10.244.1.11", 150, "k8s:shop/deployment/cart"),
	  CLIENT("10.244.1.11", 350, "external:10.244.1.11/32")},
	 {"warning: STREAM0: the stream ended (its writer closed it); reopening it",
	  "STREAM0: a writer is back; what it does not list again is taken as deleted when the "
	  "stream ended",
	  "STREAM0: 1 objects not listed again since it reopened: taken as deleted when it ended",
	  NULL}},
	{"a Service whose endpoints move to another Deployment leads to the new one",
	 2,
	 {STEP(1, "endpoints-pods", 50), STEP(0, "endpoints-1", 60), STEP(0, "endpoints-2", 300),
	  STEP(0, "endpoints-3", 400)},
	 {SERVER("10.96.20.11", 100, "k8s:shop/deployment/cart:8080", 80),
	  SERVER("10.96.20.11", 310, "k8s:shop/deployment/cart-canary:8080", 80),
	  SERVER("fd00:10:96::20b", 310, "k8s:shop/deployment/cart-canary:8080", 80),
	  CLIENT("10.244.2.12", 310, "k8s:shop/deployment/cart-canary"),
	  /* deleted at 400: before, it led where it did; after, it is no Service's */
	  SERVER("10.96.20.11", 350, "k8s:shop/deployment/cart-canary:8080", 80),
	  SERVER("10.96.20.11", 450, "external:10.96.20.11/32:80", 80)},
	 {NULL}},
	{"a writer cut off mid-event; the next lists again without cart, which went meanwhile",
	 1,
	 {STEP(0, "cut-1", 100),
	  {.file = "cut-2", .at = 200, .partial = true},
	  {.at = 210, .reopened = true},
	  {.file = "cut-3", .at = 400, .relisted = true}},
	 {CLIENT("10.244.1.11", 150, "k8s:shop/deployment/cart"),
	  /* gone when the stream broke (210): nobody holds it after */
	  CLIENT("10.244.1.11", 500, "external:10.244.1.11/32"),
	  CLIENT("10.244.1.10", 500, "k8s:shop/deployment/web")},
	 {"warning: STREAM0:1132: a value cut off by the stream's end: dropped",
	  "warning: STREAM0: the stream ended (its writer closed it); reopening it",
	  "STREAM0: a writer is back; what it does not list again is taken as deleted when the "
	  "stream ended",
	  "STREAM0: 1 objects not listed again since it reopened: taken as deleted when it ended",
	  NULL}},
	{"malformed values are said and skipped; the good ones around them count",
	 1,
	 {STEP(0, "malformed-1", 100)},
	 {CLIENT("10.244.1.10", 150, "k8s:shop/deployment/web"),
	  CLIENT("10.244.1.11", 150, "k8s:shop/deployment/cart"),
	  /* the bad db-0 (its address invalid) was skipped; a good one came later */
	  CLIENT("10.244.2.5", 150, "k8s:shop/statefulset/db")},
	 {"warning: STREAM0:224: 28 bytes that begin no JSON value: skipped",
	  "warning: STREAM0:380:27: invalid IP address \"10.244.2.300\" on pod shop/db-0: skipped",
	  "warning: STREAM0:405: unknown watch event type \"RESYNCED\": skipped",
	  "warning: STREAM0:636:24: invalid label value \"web\\x1b[31m\" on pod "
	  "shop/web-7d4b9c6f5-x2kqp: skipped",
	  "warning: STREAM0:865:51: did not find expected node content while parsing a flow node: "
	  "skipped",
	  "warning: STREAM0:868: the API server says: too old resource version: 41000 (41213)",
	  NULL}},
	{"a writer cut off mid-event, and the next writer's first event right after it",
	 1,
	 {STEP(0, "cut-next-1", 100)},
	 {CLIENT("10.244.2.5", 150, "k8s:shop/statefulset/db"),
	  CLIENT("10.244.1.11", 150, "k8s:shop/deployment/cart"),
	  /* web's event was cut off: web is unknown */
	  CLIENT("10.244.1.10", 150, "external:10.244.1.10/32")},
	 {"warning: STREAM0:183: a value cut off by the next one: dropped", NULL}},
	{"a stream reopened that no writer lists again: everything stays as it was",
	 1,
	 {STEP(0, "cut-1", 100), {.at = 200, .reopened = true}, {.at = 300, .idle = true}},
	 {CLIENT("10.244.1.11", 500, "k8s:shop/deployment/cart"),
	  CLIENT("10.244.1.10", 500, "k8s:shop/deployment/web")},
	 {"warning: STREAM0: the stream ended (its writer closed it); reopening it", NULL}},
	{"a FIFO removed as its writer left: said once while it is missing, and what the next "
	 "writer does not list again went when the stream broke",
	 1,
	 {STEP(0, "cut-1", 100),
	  {.at = 200, .gone = true},
	  /* two more tries to open it fail meanwhile, unsaid */
	  {.at = 300, .idle = true},
	  {.file = "cut-3", .at = 400, .relisted = true}},
	 {CLIENT("10.244.1.11", 150, "k8s:shop/deployment/cart"),
	  /* gone when the stream broke (200), not when an open first failed (250) */
	  CLIENT("10.244.1.11", 225, "external:10.244.1.11/32"),
	  CLIENT("10.244.1.10", 500, "k8s:shop/deployment/web")},
	 {"warning: STREAM0: the stream ended (its writer closed it); reopening it",
	  "warning: STREAM0: the stream ended (cannot open it: No such file or directory); "
	  "reopening it",
	  "STREAM0: a writer is back; what it does not list again is taken as deleted when the "
	  "stream ended",
	  "STREAM0: 1 objects not listed again since it reopened: taken as deleted when it ended",
	  NULL}},
	{"a List replaces what the stream said: what it no longer holds went when it came",
	 1,
	 {STEP(0, "list-1", 100), STEP(0, "list-2", 300)},
	 {CLIENT("10.244.1.11", 150, "k8s:shop/deployment/cart"),
	  CLIENT("10.244.1.11", 350, "external:10.244.1.11/32"),
	  CLIENT("10.244.1.10", 350, "k8s:shop/deployment/web")},
	 {NULL}},
	{"kubectl --watch without --output-watch-events: bare objects, one per line",
	 1,
	 {STEP(0, "bare-1", 100)},
	 {CLIENT("10.244.1.11", 150, "k8s:shop/deployment/cart"),
	  CLIENT("fd00:10:244:1::a", 150, "k8s:shop/deployment/web"),
	  CLIENT("172.18.0.3", 150, "node:worker-1")},
	 {NULL}},
};

struct said {
	char *lines[32];
	size_t n;
	const char *fifo[2];
};

/* What the streams say, with the FIFOs' paths made stable. */
static void collect(void *userdata, const char *msg)
{
	struct said *s = userdata;
	char *line = util_strdup(msg);

	for (int i = 0; i < 2; i++) {
		const char *f = s->fifo[i];
		char *at;

		while (f && (at = strstr(line, f))) {
			char *next = util_asprintf("%.*sSTREAM%d%s", (int)(at - line), line, i,
						   at + strlen(f));

			free(line);
			line = next;
		}
	}
	if (s->n < UTIL_ARRAY_SIZE(s->lines))
		s->lines[s->n++] = line;
	else
		free(line);
}

/* Applies what the streams have until stream i has read and applied bytes, or opened opens. */
static void wait_for(struct inventory *inv, int i, size_t bytes, unsigned opens, uint64_t at)
{
	for (int tries = 0; tries < 3000; tries++) {
		struct pollfd p = {.fd = inventory_watch_fd(inv), .events = POLLIN};
		size_t done;
		unsigned opened;

		(void)inventory_watch_dispatch(inv, at);
		inv_stream_progress(inv, (size_t)i, &done, &opened);
		if (done >= bytes && opened >= opens) {
			/* what came before the count is queued: apply it */
			(void)inventory_watch_dispatch(inv, at);
			return;
		}
		(void)poll(&p, 1, 10);
	}
	ck_abort_msg("stream %d: waited 30 s for %zu bytes and %u openings", i, bytes, opens);
}

/* A relisting is over once it was quiet for 2 s: until then it is pending. */
static void wait_relisted(struct inventory *inv, uint64_t at)
{
	for (int tries = 0; tries < 300 && inventory_watch_pending(inv); tries++) {
		(void)inventory_watch_dispatch(inv, at);
		usleep(20000);
	}
	(void)inventory_watch_dispatch(inv, at);
	ck_assert_msg(!inventory_watch_pending(inv), "the relisting never ended");
}

static void lookups_current(struct inventory *inv, uint64_t at)
{
	/* the rebuild is at most every 50 ms: let it happen */
	for (int tries = 0; tries < 100 && inventory_watch_pending(inv); tries++) {
		usleep(10000);
		(void)inventory_watch_dispatch(inv, at);
	}
	ck_assert(!inventory_watch_pending(inv));
}

static void check_resolve(struct inventory *inv, const struct check *c, const char *name)
{
	struct util_addr a;
	char got[512] = "";

	ck_assert_int_eq(util_addr_parse(c->addr, &a), 0);
	if (c->port) {
		struct inventory_endpoint eps[8];
		size_t n = inventory_resolve_server_at(inv, &a, IPPROTO_TCP, c->port, SEC(c->at),
						       eps, 8);

		for (size_t i = 0; i < n && i < 8; i++)
			snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s:%u",
				 i ? " " : "", graph_workload_id(eps[i].workload), eps[i].port);
	} else {
		snprintf(got, sizeof(got), "%s",
			 graph_workload_id(inventory_resolve_client_at(inv, &a, SEC(c->at))));
	}
	ck_assert_msg(strcmp(got, c->want) == 0, "%s: %s at T0%+" PRId64 ": \"%s\", not \"%s\"",
		      name, c->addr, c->at, got, c->want);
}

START_TEST(test_watch)
{
	const struct watch_case *c = &cases[_i];
	char *dir = test_tmpdir_new(), *fifo[2] = {NULL, NULL};
	struct inventory *inv = inventory_new();
	struct said said = {0};
	struct util_err err = {""};
	int wfd[2] = {-1, -1};
	size_t written[2] = {0, 0};
	unsigned opens[2] = {1, 1};
	size_t n_said = 0;

	for (int i = 0; i < c->streams; i++) {
		fifo[i] = util_asprintf("%s/stream%d.json", dir, i);
		ck_assert_int_eq(mkfifo(fifo[i], 0600), 0);
		said.fifo[i] = fifo[i];
		ck_assert(inventory_is_stream(fifo[i]));
		ck_assert_msg(inventory_watch(inv, fifo[i], collect, &said, &err) == 0, "%s",
			      err.msg);
	}
	for (size_t k = 0; k < MAX_STEPS && (c->steps[k].file || c->steps[k].at); k++) {
		const struct step *st = &c->steps[k];
		int i = st->stream;

		if (st->idle) {
			for (int t = 0; t < 125; t++) {
				(void)inventory_watch_dispatch(inv, SEC(st->at));
				usleep(20000);
			}
			continue;
		}
		if (!st->file && st->gone) {
			size_t said_before = said.n;

			/* gone before the writer leaves: the reader's next open fails */
			ck_assert_int_eq(unlink(fifo[i]), 0);
			close(wfd[i]);
			wfd[i] = -1;
			/*
			 * Both ends said, each at a time of its own: the writer's at T0 + at, the
			 * first open that failed (a second later) at T0 + at + 50.
			 */
			for (int t = 0; t < 1500 && said.n < said_before + 2; t++) {
				(void)inventory_watch_dispatch(
					inv, SEC(st->at + (said.n > said_before ? 50 : 0)));
				usleep(20000);
			}
			ck_assert_uint_ge(said.n, said_before + 2);
			continue;
		}
		if (!st->file) {
			/* the writer leaves; the stream is opened again */
			close(wfd[i]);
			wfd[i] = -1;
			wait_for(inv, i, written[i], ++opens[i], SEC(st->at));
			continue;
		}
		if (access(fifo[i], F_OK) != 0)
			ck_assert_int_eq(mkfifo(fifo[i], 0600), 0);
		if (wfd[i] < 0) {
			wfd[i] = open(fifo[i], O_WRONLY | O_CLOEXEC);
			ck_assert_int_ge(wfd[i], 0);
		}
		{
			char *path = util_asprintf("%s/watch/%s.json", TEST_DATA, st->file);
			size_t len;
			char *text = test_read_file(path, &len);

			ck_assert_msg(text, "%s", path);
			ck_assert_int_eq(write(wfd[i], text, len), (ssize_t)len);
			written[i] += len;
			free(text);
			free(path);
		}
		if (!st->partial)
			wait_for(inv, i, written[i], opens[i], SEC(st->at));
		if (st->relisted)
			wait_relisted(inv, SEC(st->at));
		/* lookups are rebuilt at most every 50 ms: each step is a state of its own */
		lookups_current(inv, SEC(st->at));
	}
	lookups_current(inv, SEC(c->steps[0].at));
	for (size_t k = 0; k < MAX_CHECKS && c->checks[k].addr; k++)
		check_resolve(inv, &c->checks[k], c->name);
	for (size_t k = 0; k < said.n; k++) {
		ck_assert_msg(n_said < MAX_SAID && c->said[n_said], "%s: said more: %s", c->name,
			      said.lines[k]);
		ck_assert_msg(strcmp(said.lines[k], c->said[n_said]) == 0,
			      "%s: said\n  %s\nnot\n  %s", c->name, said.lines[k], c->said[n_said]);
		n_said++;
	}
	ck_assert_msg(n_said == MAX_SAID || !c->said[n_said], "%s: never said %s", c->name,
		      c->said[n_said]);
	for (int i = 0; i < 2; i++) {
		if (wfd[i] >= 0)
			close(wfd[i]);
		free(fifo[i]);
	}
	inventory_free(inv);
	for (size_t k = 0; k < said.n; k++)
		free(said.lines[k]);
	test_tmpdir_free(dir);
}
END_TEST

/* A FIFO nobody writes: the wait at start ends, and says so. */
START_TEST(test_settle_no_writer)
{
	char *dir = test_tmpdir_new(), *fifo = util_asprintf("%s/pods.json", dir);
	struct inventory *inv = inventory_new();
	struct said said = {.fifo = {fifo, NULL}};
	struct util_err err = {""};

	ck_assert_int_eq(mkfifo(fifo, 0600), 0);
	ck_assert_int_eq(inventory_watch(inv, fifo, collect, &said, &err), 0);
	ck_assert_uint_eq(inventory_watch_settle(inv, 50, 200), 0);
	ck_assert_uint_eq(said.n, 1);
	ck_assert_str_eq(said.lines[0], "warning: STREAM0: nothing came in 200 ms (is its writer "
					"running?); flows are attributed by what comes later");
	inventory_free(inv);
	free(said.lines[0]);
	free(fifo);
	test_tmpdir_free(dir);
}
END_TEST

static Suite *watch_suite(void)
{
	Suite *s = suite_create("watch");
	TCase *tc = tcase_create("watch");

	/* a case waits on the streams' one-second reopens and two-second relistings */
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_watch, 0, (int)UTIL_ARRAY_SIZE(cases));
	tcase_add_test(tc, test_settle_no_writer);
	suite_add_tcase(s, tc);
	return s;
}

int main(int argc, char **argv)
{
	return test_main(argc, argv, watch_suite());
}
