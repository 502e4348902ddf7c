/* SPDX-License-Identifier: Apache-2.0 */
/* test-docker.c - live containers in the inventory, and the Engine API client against a fake. */
#include "inventory/inventory-private.h"
#include "learn/learn.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/test-helpers.h"

#define DK_DIR TEST_DATA "/docker/"

/* Container ids of the recorded fixtures (tests/data/docker/inspect/). */
#define ID_WEB "0c2b2dba68de747a204ebe0fc3d30a2f8b8a6163053d68e10fd275f0c0c65bd0"
#define ID_DB  "8fd1ade3f86184529762769d9ec92710d437dddc17cdbc6d9ded688dcb85438a"

/* The recorded event times were moved to 2100, after any "now" the listing uses. */
#define T0     UINT64_C(4102444800000000000)
#define AT(ms) (T0 + (uint64_t)(ms)*1000000u)

static struct util_addr addr(const char *s)
{
	struct util_addr a;

	ck_assert_msg(util_addr_parse(s, &a) == 0, "bad address in a test table: %s", s);
	return a;
}

/* The inventory's workload ids, comma-separated, in its (sorted) order. */
static void workloads_str(const struct inventory *inv, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < inventory_workload_count(inv) && o < len; i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%s", i ? "," : "",
				      graph_workload_id(inventory_workload(inv, i)));
}

struct resolve {
	const char *ip;
	uint64_t ts; /* 0: "now", through inventory_resolve_client() */
	const char *id;
};

static void check_resolves(struct inventory *inv, const struct resolve *rs, size_t n,
			   const char *what)
{
	for (size_t i = 0; i < n && rs[i].ip; i++) {
		struct util_addr a = addr(rs[i].ip);
		struct inventory_endpoint ep[2];
		struct graph_workload *w;
		size_t k;

		if (rs[i].ts)
			w = inventory_resolve_client_at(inv, &a, rs[i].ts);
		else
			w = inventory_resolve_client(inv, &a);
		ck_assert_msg(strcmp(graph_workload_id(w), rs[i].id) == 0,
			      "%s: %s at %" PRIu64 " resolved to %s, expected %s", what, rs[i].ip,
			      rs[i].ts, graph_workload_id(w), rs[i].id);
		/* the server end agrees, the port unchanged */
		if (rs[i].ts)
			k = inventory_resolve_server_at(inv, &a, IPPROTO_TCP, 8080, rs[i].ts, ep,
							2);
		else
			k = inventory_resolve_server(inv, &a, IPPROTO_TCP, 8080, ep, 2);
		ck_assert_uint_eq(k, 1);
		ck_assert_ptr_eq(ep[0].workload, w);
		ck_assert_uint_eq(ep[0].port, 8080);
	}
}

/* ---- The inventory's live containers, without a socket ------------------------------------ */

enum op_kind {
	OP_END = 0,
	OP_SET,	   /* set container id (name, project, service) with addresses from t */
	OP_REMOVE, /* remove container id at t */
	OP_LOAD,   /* inventory_load() of a tests/data/inventory file */
	OP_CHURN,  /* n containers in turn take one address, each for 1 ms from t */
	OP_RELOAD, /* inventory_reload() of "a,b" tests/data/inventory files */
};

struct op {
	enum op_kind kind;
	const char *id, *name, *project, *service;
	const char *addrs; /* "a,b" */
	uint64_t t;
	const char *err; /* for OP_SET: expected failure text, or NULL */
};

#define SET(id, name, project, service, addrs, t)                                                  \
	{                                                                                          \
		OP_SET, id, name, project, service, addrs, t, NULL                                 \
	}
#define SET_FAIL(id, name, project, service, addrs, t, err)                                        \
	{                                                                                          \
		OP_SET, id, name, project, service, addrs, t, err                                  \
	}
#define REMOVE(id, t)                                                                              \
	{                                                                                          \
		OP_REMOVE, id, NULL, NULL, NULL, NULL, t, NULL                                     \
	}
#define LOAD(file)                                                                                 \
	{                                                                                          \
		OP_LOAD, file, NULL, NULL, NULL, NULL, 0, NULL                                     \
	}
#define RELOAD(files, err)                                                                         \
	{                                                                                          \
		OP_RELOAD, files, NULL, NULL, NULL, NULL, 0, err                                   \
	}

/* Times for the tables without a socket: in the past, so that "now" is after all of them. */
#define P(ms) (UINT64_C(1600000000000000000) + (uint64_t)(ms)*1000000u)

#define MAX_OPS 12
static const struct {
	const char *name;
	struct op ops[MAX_OPS];
	const char *workloads;
	struct resolve resolves[12];
} inv_cases[] = {
	{"one container",
	 {SET("c1", "web", NULL, NULL, "172.18.0.2", P(1000))},
	 "docker:web",
	 {{"172.18.0.2", P(1000), "docker:web"},
	  {"172.18.0.2", P(5000), "docker:web"},
	  {"172.18.0.2", 0, "docker:web"},
	  /* moments before its start event: the container, which may send first */
	  {"172.18.0.2", P(999), "docker:web"},
	  /* seconds before it held the address, nobody live did */
	  {"172.18.0.2", P(0) - 1500000000u, "external:172.18.0.2/32"},
	  {"172.18.0.3", P(1000), "external:172.18.0.3/32"}}},
	{"the address moves to another container",
	 {SET("c1", "web", NULL, NULL, "172.18.0.2", P(1000)), REMOVE("c1", P(2000)),
	  SET("c2", "db", NULL, NULL, "172.18.0.2", P(3000))},
	 "docker:db,docker:web",
	 {{"172.18.0.2", P(1500), "docker:web"},
	  {"172.18.0.2", P(1999), "docker:web"},
	  /* a flow seen after web left and before db came: the last holder */
	  {"172.18.0.2", P(2500), "docker:web"},
	  {"172.18.0.2", P(3000), "docker:db"},
	  {"172.18.0.2", 0, "docker:db"}}},
	{"a container sends before its start event: its first flows are its own",
	 {SET("c1", "web", NULL, NULL, "172.18.0.2", P(10000)), REMOVE("c1", P(20000)),
	  SET("c2", "db", NULL, NULL, "172.18.0.2", P(30000))},
	 "docker:db,docker:web",
	 /* just before web's start: web, not an external address */
	 {{"172.18.0.2", P(9000), "docker:web"},
	  /* long after web died, just before db's start: db, not the dead web */
	  {"172.18.0.2", P(29500), "docker:db"},
	  /* just after web died and long before db: web (stamps may differ a little) */
	  {"172.18.0.2", P(21000), "docker:web"},
	  /* long before anyone: nobody live */
	  {"172.18.0.2", P(1000), "external:172.18.0.2/32"}}},
	{"a new container takes the address before the old one's die",
	 {SET("c1", "web", NULL, NULL, "172.18.0.2", P(1000)),
	  SET("c2", "db", NULL, NULL, "172.18.0.2", P(3000)), REMOVE("c1", P(4000))},
	 "docker:db,docker:web",
	 {{"172.18.0.2", P(2000), "docker:web"},
	  {"172.18.0.2", P(3500), "docker:db"},
	  {"172.18.0.2", P(4500), "docker:db"}}},
	{"compose labels name the workload project/service",
	 {SET("c1", "shop-api-1", "shop", "api", "172.18.0.3,fd00::3", P(1000)),
	  SET("c2", "shop-api-2", "shop", "api", "172.18.0.4", P(1000)),
	  /* half a compose pair is a plain container */
	  SET("c3", "odd", "shop", NULL, "172.18.0.5", P(1000))},
	 "docker:odd,docker:shop/api",
	 {{"172.18.0.3", P(1001), "docker:shop/api"},
	  {"fd00::3", P(1001), "docker:shop/api"},
	  {"172.18.0.4", P(1001), "docker:shop/api"},
	  {"172.18.0.5", P(1001), "docker:odd"}}},
	{"a rename changes the workload from then on",
	 {SET("c1", "web", NULL, NULL, "172.18.0.2", P(1000)),
	  SET("c1", "frontend", NULL, NULL, "172.18.0.2", P(2000))},
	 "docker:frontend,docker:web",
	 {{"172.18.0.2", P(1500), "docker:web"}, {"172.18.0.2", P(2500), "docker:frontend"}}},
	{"a reconnect replaces the addresses",
	 {SET("c1", "web", NULL, NULL, "172.18.0.2,172.19.0.2", P(1000)),
	  SET("c1", "web", NULL, NULL, "172.19.0.2,172.20.0.2", P(2000))},
	 "docker:web",
	 {{"172.18.0.2", P(1500), "docker:web"},
	  /* the new address is web's from the reconnect on, and moments before it */
	  {"172.20.0.2", P(1500), "docker:web"},
	  {"172.20.0.2", P(0) - 1000000000u, "external:172.20.0.2/32"},
	  {"172.20.0.2", P(2500), "docker:web"},
	  {"172.19.0.2", P(1500), "docker:web"}}},
	{"the same container set again earlier starts its claim earlier",
	 {SET("c1", "web", NULL, NULL, "172.18.0.2", P(5000)),
	  SET("c1", "web", NULL, NULL, "172.18.0.2", P(1000))},
	 "docker:web",
	 {{"172.18.0.2", P(2000), "docker:web"},
	  {"172.18.0.2", P(0) - 1500000000u, "external:172.18.0.2/32"}}},
	{"an earlier set never reaches back past the previous holder",
	 {SET("c1", "web", NULL, NULL, "172.18.0.2", P(1000)), REMOVE("c1", P(2000)),
	  SET("c2", "db", NULL, NULL, "172.18.0.2", P(3000)),
	  SET("c2", "db", NULL, NULL, "172.18.0.2", P(500))},
	 "docker:db,docker:web",
	 {{"172.18.0.2", P(1500), "docker:web"}, {"172.18.0.2", P(2500), "docker:db"}}},
	{"removing an unknown container changes nothing",
	 {SET("c1", "web", NULL, NULL, "172.18.0.2", P(1000)), REMOVE("nope", P(2000)),
	  REMOVE("c1", P(3000)), REMOVE("c1", P(4000))},
	 "docker:web",
	 {{"172.18.0.2", P(3500), "docker:web"}}},
	{"a live claim beats a file claim while it lasts",
	 {LOAD("docker-inspect.json"), SET("c1", "intruder", NULL, NULL, "172.20.0.2", P(1000))},
	 "docker:intruder,docker:shop/db,docker:shop/web,docker:toolbox",
	 {{"172.20.0.2", P(500), "docker:shop/db"},
	  {"172.20.0.2", P(1500), "docker:intruder"},
	  {"172.20.0.2", 0, "docker:intruder"},
	  {"172.20.0.3", P(1500), "docker:shop/web"}}},
	{"a live workload that a file also names is listed once",
	 {LOAD("docker-inspect.json"), SET("c1", "web-1", "shop", "web", "172.18.0.2", P(1000)),
	  LOAD("docker-hostnet.json")},
	 "docker:proxy,docker:shop/db,docker:shop/web,docker:toolbox",
	 {{"172.18.0.2", P(1500), "docker:shop/web"}}},
	{"history is bounded: the oldest claims are forgotten",
	 {{OP_CHURN, .name = "c", .addrs = "172.18.0.2", .t = P(0), .err = "20"}},
	 NULL,
	 /* claims of c0..c3 dropped: the first flows go to the oldest claim kept, c4, which
	  * starts moments later, not to c0..c3 (c0 held the address at P(0)) */
	 {{"172.18.0.2", P(0), "docker:c4"},
	  {"172.18.0.2", P(3), "docker:c4"},
	  {"172.18.0.2", P(4), "docker:c4"},
	  {"172.18.0.2", P(19), "docker:c19"},
	  {"172.18.0.2", P(50), "docker:c19"}}},
	{"a reload replaces the files and keeps live containers",
	 {LOAD("docker-inspect.json"), SET("c1", "intruder", NULL, NULL, "172.20.0.2", P(1000)),
	  RELOAD("docker-reuse.json", NULL)},
	 "docker:intruder,docker:toolbox-new",
	 {{"172.20.0.2", P(1500), "docker:intruder"},
	  {"172.20.0.3", P(1500), "external:172.20.0.3/32"},
	  {"172.17.0.2", P(1500), "docker:toolbox-new"}}},
	{"a reload that fails changes nothing",
	 {LOAD("docker-inspect.json"), SET("c1", "intruder", NULL, NULL, "172.20.0.2", P(1000)),
	  RELOAD("docker-reuse.json,bad-docker-name.json", "bad-docker-name.json:"),
	  RELOAD("docker-reuse.json,missing.json", "missing.json: No such file or directory")},
	 "docker:intruder,docker:shop/db,docker:shop/web,docker:toolbox",
	 {{"172.20.0.3", P(1500), "docker:shop/web"}, {"172.17.0.2", P(1500), "docker:toolbox"}}},
	{"a reload to no files at all",
	 {LOAD("docker-inspect.json"), SET("c1", "intruder", NULL, NULL, "172.20.0.2", P(1000)),
	  RELOAD("", NULL)},
	 "docker:intruder",
	 {{"172.20.0.3", P(1500), "external:172.20.0.3/32"},
	  {"172.20.0.2", P(1500), "docker:intruder"}}},
	{"hostile names are refused and the inventory is unchanged",
	 {SET("c1", "web", NULL, NULL, "172.18.0.2", P(1000)),
	  SET_FAIL("c1", "we\"b", NULL, NULL, "172.18.0.9", P(2000),
		   "container c1: invalid container name \"we\\\"b\""),
	  SET_FAIL("c2", "x", "shop;rm", "api", "172.18.0.9", P(2000),
		   "container c2: invalid compose project label \"shop;rm\""),
	  SET_FAIL("c3", "x", "shop", "a\nb", "172.18.0.9", P(2000),
		   "container c3: invalid compose service label \"a\\nb\""),
	  SET_FAIL("c/4", "x", NULL, NULL, "172.18.0.9", P(2000), "invalid container id \"c/4\""),
	  SET_FAIL("c5", "", NULL, NULL, "172.18.0.9", P(2000),
		   "container c5: invalid container name \"\""),
	  SET_FAIL("c6", "-x", NULL, NULL, "172.18.0.9", P(2000),
		   "container c6: invalid container name \"-x\"")},
	 "docker:web",
	 {{"172.18.0.2", P(2500), "docker:web"},
	  {"172.18.0.9", P(2500), "external:172.18.0.9/32"}}},
};

static void parse_addrs(const char *s, struct util_addr *out, size_t max, size_t *n)
{
	char buf[256], *save = NULL;

	*n = 0;
	snprintf(buf, sizeof(buf), "%s", s ? s : "");
	for (char *t = strtok_r(buf, ",", &save); t && *n < max; t = strtok_r(NULL, ",", &save))
		out[(*n)++] = addr(t);
}

START_TEST(test_inventory_live)
{
	struct inventory *inv = inventory_new();
	char got[1024];

	for (size_t i = 0; i < MAX_OPS && inv_cases[_i].ops[i].kind != OP_END; i++) {
		const struct op *op = &inv_cases[_i].ops[i];
		struct util_err err = {{0}};
		struct util_addr addrs[4];
		char path[512];
		size_t n;
		int r;

		switch (op->kind) {
		case OP_SET: {
			const struct inventory_container c = {op->id,	   op->name, op->project,
							      op->service, addrs,    0};
			struct inventory_container cc = c;

			workloads_str(inv, got, sizeof(got));
			parse_addrs(op->addrs, addrs, 4, &n);
			cc.n_addrs = n;
			r = inventory_set_container(inv, &cc, op->t, &err);
			if (!op->err) {
				ck_assert_msg(r == 0, "%s: op %zu: %d %s", inv_cases[_i].name, i, r,
					      err.msg);
				break;
			}
			ck_assert_int_eq(r, -EINVAL);
			ck_assert_str_eq(err.msg, op->err);
			/* refused: the workload list is what it was */
			{
				char after[1024];

				workloads_str(inv, after, sizeof(after));
				ck_assert_str_eq(after, got);
			}
			break;
		}
		case OP_REMOVE:
			inventory_remove_container(inv, op->id, op->t);
			break;
		case OP_LOAD:
			snprintf(path, sizeof(path), "%s/inventory/%s", TEST_DATA, op->id);
			r = inventory_load(inv, path, &err);
			ck_assert_msg(r == 0, "%s: %s", path, err.msg);
			break;
		case OP_CHURN:
			n = strtoul(op->err, NULL, 10);
			parse_addrs(op->addrs, addrs, 1, &(size_t){0});
			for (size_t k = 0; k < n; k++) {
				char id[32], name[32];
				const struct inventory_container c = {id,   name,  NULL,
								      NULL, addrs, 1};

				snprintf(id, sizeof(id), "%s%zu", op->name, k);
				snprintf(name, sizeof(name), "%s%zu", op->name, k);
				ck_assert_int_eq(inventory_set_container(
							 inv, &c, op->t + k * 1000000u, &err),
						 0);
				inventory_remove_container(inv, id, op->t + k * 1000000u + 900000u);
			}
			break;
		case OP_RELOAD: {
			char buf[256], *save = NULL, paths_buf[4][512];
			const char *paths[4];
			size_t np = 0;

			snprintf(buf, sizeof(buf), "%s", op->id);
			for (char *t = strtok_r(buf, ",", &save); t && np < 4;
			     t = strtok_r(NULL, ",", &save)) {
				snprintf(paths_buf[np], sizeof(paths_buf[np]), "%s/inventory/%s",
					 TEST_DATA, t);
				paths[np] = paths_buf[np];
				np++;
			}
			workloads_str(inv, got, sizeof(got));
			r = inventory_reload(inv, paths, np, &err);
			if (!op->err) {
				ck_assert_msg(r == 0, "reload %s: %s", op->id, err.msg);
			} else {
				char after[1024];

				ck_assert_int_lt(r, 0);
				ck_assert_msg(strstr(err.msg, op->err), "reload: got \"%s\"",
					      err.msg);
				workloads_str(inv, after, sizeof(after));
				ck_assert_str_eq(after, got);
			}
			break;
		}
		case OP_END:
		default:
			break;
		}
	}
	if (inv_cases[_i].workloads) {
		workloads_str(inv, got, sizeof(got));
		ck_assert_str_eq(got, inv_cases[_i].workloads);
	}
	check_resolves(inv, inv_cases[_i].resolves, UTIL_ARRAY_SIZE(inv_cases[_i].resolves),
		       inv_cases[_i].name);
	inventory_free(inv);
}
END_TEST

/* ---- Attribution: a flow is resolved at the time it began --------------------------------- */

static const struct {
	const char *client;
	uint64_t first_ns;
	const char *edge; /* "client>server" of the one edge the flow makes */
} flow_cases[] = {
	{"172.18.0.7", P(1500), "docker:shop/web>docker:web"},
	{"172.18.0.7", P(3500), "docker:shop/web>docker:db"},
	/* moments before web's start event: web, which may send before the engine says so */
	{"172.18.0.7", P(500), "docker:shop/web>docker:web"},
	/* seconds before anyone: outside (the client's own container had not started either) */
	{"172.18.0.7", P(0) - 3000000000u, "external:172.18.0.7/32>external:172.18.0.2/32"},
};

START_TEST(test_flow_at)
{
	struct inventory *inv = inventory_new();
	struct graph *g = graph_new();
	struct util_addr a2 = addr("172.18.0.2"), a7 = addr("172.18.0.7");
	const struct inventory_container web = {"c1", "web", NULL, NULL, &a2, 1};
	const struct inventory_container db = {"c2", "db", NULL, NULL, &a2, 1};
	const struct inventory_container shop = {"c3", "shop-web-1", "shop", "web", &a7, 1};
	struct capture_flow flow = {.proto = IPPROTO_TCP, .port = 5432, .packets = 3};
	const struct graph_edge *e;
	char got[300];

	ck_assert_int_eq(inventory_set_container(inv, &shop, P(0), NULL), 0);
	ck_assert_int_eq(inventory_set_container(inv, &web, P(1000), NULL), 0);
	inventory_remove_container(inv, "c1", P(2000));
	ck_assert_int_eq(inventory_set_container(inv, &db, P(3000), NULL), 0);

	flow.client = addr(flow_cases[_i].client);
	flow.server = a2;
	flow.first_ns = flow_cases[_i].first_ns;
	flow.last_ns = flow.first_ns + 1000;
	ck_assert_uint_eq(learn_add_flow(g, inv, &flow), 1);
	ck_assert_uint_eq(graph_edge_count(g), 1);
	e = graph_edge(g, 0);
	snprintf(got, sizeof(got), "%s>%s", graph_workload_id(graph_edge_client(e)),
		 graph_workload_id(graph_edge_server(e)));
	ck_assert_str_eq(got, flow_cases[_i].edge);
	ck_assert_uint_eq(graph_edge_port(e), 5432);
	ck_assert_uint_eq(graph_edge_connections(e), 1);
	/* a checkpoint of a flow still open: the same edge, no connection counted */
	flow.last_ns += 5000;
	ck_assert_uint_eq(learn_note_flow(g, inv, &flow), 1);
	ck_assert_uint_eq(graph_edge_count(g), 1);
	ck_assert_uint_eq(graph_edge_connections(graph_edge(g, 0)), 1);
	ck_assert_uint_eq(graph_edge_last_ns(graph_edge(g, 0)), flow.last_ns);
	graph_free(g);
	inventory_free(inv);
}
END_TEST

/* ---- A fake Docker Engine on a unix socket ------------------------------------------------ */

#define EVENTS_TARGET "/events?filters=%7B%22type%22%3A%5B%22container%22%2C%22network%22%5D%7D"

enum frame {
	FRAME_CHUNKED = 0, /* chunk size lines in lowercase hex */
	FRAME_EXT,	   /* uppercase hex and chunk extensions */
	FRAME_TRAILER,	   /* the last chunk, then trailer fields */
	FRAME_LENGTH,	   /* Content-Length, no chunks */
	FRAME_EOF,	   /* neither: the body ends when the engine closes */
	FRAME_OVERRUN,	   /* a chunk carries more than its size says */
	FRAME_HUGE_SIZE,   /* a chunk size past any limit */
	FRAME_HUGE_EVENT,  /* 2 MiB without a newline */
};

enum bad_inspect {
	BAD_500 = 0, /* HTTP 500 with the engine's message */
	BAD_JSON,    /* 200, and a body that is not JSON */
	BAD_CLOSE,   /* the connection closed before the answer */
};

struct engine {
	const char *list; /* served for /containers/json, under tests/data/docker */
	int list_status;  /* 0: 200 */
	bool list_chunked;
	const char *events; /* event lines for /events; NULL: none */
	const char *head;   /* the /events response header, verbatim; NULL: a normal one */
	bool huge_head;	    /* 70 KiB of header fields */
	enum frame frame;   /* how the event lines are framed */
	size_t chunk;	    /* bytes per chunk; 0: one chunk per line */
	size_t write;	    /* bytes per write; 0: as few writes as can be */
	unsigned pause_us;  /* between writes */
	size_t cut;	    /* close after this many body bytes; 0: send all */
	bool last_chunk;    /* end with the 0-size chunk rather than a close */
	/*
	 * In step with the client: after each line that makes it inspect a container, wait
	 * until that inspect was answered and the client hung up (so it has been applied).
	 */
	bool sync;
	unsigned gen;	      /* generated: start events for containers gen-0 .. gen-(gen-1) */
	bool gen_die;	      /* a die for gen-0 right after its start, in the same write */
	unsigned bad;	      /* 1 + the generated container whose inspect fails; 0: none */
	enum bad_inspect how; /* how it fails */
	unsigned slow;	      /* 1 + the generated container whose inspect is answered late */
	unsigned slow_ms;
	bool keep_open; /* the stream stays open until the client leaves */
	/*
	 * Events wait until the test says inventory_docker_open() has returned (gate_open()), so
	 * the work they cause happens in dispatch, however the scheduler orders the two processes.
	 */
	bool gate;
	unsigned backlog_ms; /* the listen backlog is full for this long at first */
};

/* The fake's children tell the event stream that an inspect is over, a byte per inspect. */
static int sync_pipe[2] = {-1, -1};
static int gate_pipe[2] = {-1, -1};

static void gate_open(void)
{
	ck_assert_int_eq(write(gate_pipe[1], "g", 1), 1);
}

#define GEN_PREFIX "9e11"
static void gen_id(unsigned i, char id[static 65])
{
	snprintf(id, 65, GEN_PREFIX "%060u", i);
}

/* The engine side writes as the test says; a reader that went away just ends the child. */
static void put(int fd, const char *p, size_t n, const struct engine *e)
{
	size_t step = e->write ? e->write : n;

	while (n > 0) {
		size_t k = n < step ? n : step;
		ssize_t w = write(fd, p, k);

		if (w <= 0)
			_exit(0);
		p += w;
		n -= (size_t)w;
		if (e->pause_us && n > 0)
			usleep(e->pause_us);
	}
}

static void put_str(int fd, const char *s, const struct engine *e)
{
	put(fd, s, strlen(s), e);
}

static void serve_file(int fd, const char *path, int status, bool chunked)
{
	const struct engine plain = {0};
	char head[256];
	size_t n = 0;
	char *body = test_read_file(path, &n);

	if (!body) {
		body = strdup("{\"message\":\"No such container\"}\n");
		n = strlen(body);
		status = 404;
	}
	if (chunked) {
		snprintf(head, sizeof(head),
			 "HTTP/1.1 %d X\r\nContent-Type: application/json\r\n"
			 "Transfer-Encoding: chunked\r\n\r\n%zx\r\n",
			 status, n);
		put_str(fd, head, &plain);
		put(fd, body, n, &plain);
		put_str(fd, "\r\n0\r\n\r\n", &plain);
	} else {
		snprintf(head, sizeof(head),
			 "HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: "
			 "%zu\r\n\r\n",
			 status, n);
		put_str(fd, head, &plain);
		put(fd, body, n, &plain);
	}
	free(body);
}

/* Whether the event line that ends at body[end] makes the client inspect a container. */
static bool wants_inspect(const char *body, size_t end)
{
	size_t start = end;
	char line[4096];

	while (start > 0 && body[start - 1] != '\n')
		start--;
	snprintf(line, sizeof(line), "%.*s", (int)(end - start), body + start);
	return strstr(line, "\"Action\":\"start\"") || strstr(line, "\"Action\":\"rename\"") ||
	       strstr(line, "\"Action\":\"connect\"") || strstr(line, "\"Action\":\"disconnect\"");
}

/* GET /containers/9e11.../json: a generated container, answered as the test asks. */
static void serve_gen(int fd, unsigned i, const struct engine *e)
{
	const struct engine plain = {0};
	char body[1024], head[256], id[65];

	if (e->slow == i + 1)
		usleep(e->slow_ms * 1000u);
	if (e->bad == i + 1 && e->how == BAD_CLOSE) {
		(void)shutdown(fd, SHUT_WR);
		return;
	}
	if (e->bad == i + 1 && e->how == BAD_500) {
		snprintf(body, sizeof(body), "{\"message\":\"server error for gen-%u\"}", i);
	} else if (e->bad == i + 1) {
		snprintf(body, sizeof(body), "{\"Id\": [unclosed");
	} else {
		gen_id(i, id);
		snprintf(body, sizeof(body),
			 "{\"Id\":\"%s\",\"Name\":\"/gen-%u\",\"State\":{\"Running\":true},"
			 "\"Config\":{\"Labels\":{}},\"HostConfig\":{\"NetworkMode\":\"bridge\"},"
			 "\"NetworkSettings\":{\"IPAddress\":\"\",\"Networks\":{\"gen\":"
			 "{\"IPAddress\":\"172.31.0.%u\"}}}}",
			 id, i, 10 + i);
	}
	snprintf(head, sizeof(head),
		 "HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
		 e->bad == i + 1 && e->how == BAD_500 ? 500 : 200, strlen(body));
	put_str(fd, head, &plain);
	put_str(fd, body, &plain);
}

/* The event stream framed as the test asks, written in pieces. */
static void serve_events(int fd, const struct engine *e)
{
	char path[512], line[64];
	size_t n = 0, o = 0, cap, n_syncs = 0, *syncs;
	char *body = NULL, *out;

	if (e->head) {
		put_str(fd, e->head, e);
	} else if (e->huge_head) {
		put_str(fd, "HTTP/1.1 200 OK\r\n", e);
		for (int i = 0; i < 1000; i++)
			put_str(fd,
				"X-Padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
				"aaaaaaaaaa\r\n",
				e);
		put_str(fd, "\r\n", e);
		return;
	} else if (e->frame == FRAME_LENGTH || e->frame == FRAME_EOF) {
		put_str(fd, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n", e);
	} else {
		put_str(fd,
			"HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\nContent-Type: application/json\r\n"
			"Server: Docker/20.10.24 (linux)\r\nTransfer-Encoding: chunked\r\n\r\n",
			e);
	}
	if (e->events) {
		snprintf(path, sizeof(path), "%s%s", DK_DIR, e->events);
		body = test_read_file(path, &n);
		if (!body)
			_exit(1);
	}
	if (e->gate) {
		struct pollfd g = {.fd = gate_pipe[0], .events = POLLIN};

		if (poll(&g, 1, 10000) == 1)
			(void)read(gate_pipe[0], &(char){0}, 1);
	}
	if (e->gen) {
		size_t cap_gen = 512 * (e->gen + 2);

		body = realloc(body, cap_gen);
		if (!body)
			abort();
		n = 0;
		for (unsigned i = 0; i < e->gen; i++) {
			char id[65];

			gen_id(i, id);
			n += (size_t)snprintf(
				body + n, cap_gen - n,
				"{\"Type\":\"container\",\"Action\":\"start\",\"Actor\":"
				"{\"ID\":\"%s\",\"Attributes\":{\"name\":\"gen-%u\"}},"
				"\"timeNano\":%" PRIu64 "}\n",
				id, i, AT(1000 + i));
			if (i == 0 && e->gen_die)
				n += (size_t)snprintf(
					body + n, cap_gen - n,
					"{\"Type\":\"container\",\"Action\":\"die\",\"Actor\":"
					"{\"ID\":\"%s\"},\"timeNano\":%" PRIu64 "}\n",
					id, AT(1500));
		}
	}
	if (e->frame == FRAME_HUGE_EVENT) {
		n = 2u << 20;
		body = realloc(body, n);
		memset(body, 'x', n);
		body[0] = '{';
	}
	if (e->frame == FRAME_LENGTH) {
		snprintf(line, sizeof(line), "Content-Length: %zu\r\n\r\n", n);
		put_str(fd, line, e);
	} else if (e->frame == FRAME_EOF) {
		put_str(fd, "\r\n", e);
	}
	cap = n * 8 + 256;
	out = malloc(cap);
	syncs = calloc(n + 1, sizeof(*syncs));
	if (!out || !syncs)
		abort();
	for (size_t i = 0; i < n;) {
		size_t k;

		if (e->frame == FRAME_LENGTH || e->frame == FRAME_EOF) {
			memcpy(out, body, n);
			for (size_t j = 0; j < n; j++)
				if (body[j] == '\n' && wants_inspect(body, j))
					syncs[n_syncs++] = j + 1;
			o = n;
			break;
		}
		if (e->chunk) {
			k = n - i < e->chunk ? n - i : e->chunk;
		} else {
			const char *nl = memchr(body + i, '\n', n - i);

			k = nl ? (size_t)(nl - (body + i)) + 1 : n - i;
		}
		switch (e->frame) {
		case FRAME_EXT:
			o += (size_t)sprintf(out + o, "%zX;name=\"v;x\"; b=1\r\n", k);
			break;
		case FRAME_HUGE_SIZE:
			o += (size_t)sprintf(out + o, "fffffffffffffffff\r\n");
			break;
		default:
			o += (size_t)sprintf(out + o, "%zx\r\n", k);
			break;
		}
		memcpy(out + o, body + i, k);
		for (size_t j = i; j < i + k; j++)
			if (body[j] == '\n' && wants_inspect(body, j))
				syncs[n_syncs++] = o + (j - i) + 1;
		o += k;
		if (e->frame == FRAME_OVERRUN)
			out[o++] = '!';
		o += (size_t)sprintf(out + o, "\r\n");
		i += k;
	}
	if (e->frame == FRAME_TRAILER)
		o += (size_t)sprintf(out + o, "0\r\nX-Checksum: none\r\nX-Other: 1\r\n\r\n");
	else if (e->last_chunk)
		o += (size_t)sprintf(out + o, "0\r\n\r\n");
	if (e->cut && e->cut < o)
		o = e->cut;
	for (size_t k = 0, done = 0; done < o; k++) {
		size_t upto = e->sync && k < n_syncs && syncs[k] < o ? syncs[k] : o;
		struct pollfd p = {.fd = sync_pipe[0], .events = POLLIN};
		char c;

		put(fd, out + done, upto - done, e);
		done = upto;
		if (done < o && poll(&p, 1, 5000) == 1)
			(void)read(sync_pipe[0], &c, 1);
	}
	free(syncs);
	free(out);
	free(body);
	if (e->keep_open) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		char c[256];

		while (poll(&p, 1, 30000) == 1 && read(fd, c, sizeof(c)) > 0)
			;
	}
	/* an engine that has more to say keeps the stream open for a moment */
	if (!e->cut && !e->last_chunk && e->frame != FRAME_TRAILER && e->frame != FRAME_LENGTH)
		usleep(100000);
}

static void serve(int fd, const struct engine *e)
{
	char req[8192], target[512], path[700];
	size_t n = 0;

	while (n < sizeof(req) - 1 && !memmem(req, n, "\r\n\r\n", 4)) {
		ssize_t got = read(fd, req + n, sizeof(req) - 1 - n);

		if (got <= 0)
			_exit(0);
		n += (size_t)got;
	}
	req[n] = '\0';
	if (sscanf(req, "GET %511s HTTP/1.1\r\n", target) != 1 || !strstr(req, "\r\nHost: "))
		_exit(2);
	if (strncmp(target, "/events?", 8) == 0) {
		if (strcmp(target, EVENTS_TARGET) != 0)
			serve_file(fd, "/nonexistent", 400, false);
		else
			serve_events(fd, e);
	} else if (strcmp(target, "/containers/json") == 0) {
		snprintf(path, sizeof(path), "%s%s", DK_DIR, e->list ? e->list : "");
		serve_file(fd, path, e->list_status ? e->list_status : 200, e->list_chunked);
	} else if (strncmp(target, "/containers/", 12) == 0 && strlen(target) > 17 &&
		   strcmp(target + strlen(target) - 5, "/json") == 0) {
		char c[256];
		struct pollfd p = {.fd = fd, .events = POLLIN};

		if (strncmp(target + 12, GEN_PREFIX, strlen(GEN_PREFIX)) == 0) {
			serve_gen(fd, (unsigned)strtoul(target + 12 + strlen(GEN_PREFIX), NULL, 10),
				  e);
		} else {
			snprintf(path, sizeof(path), "%sinspect/%.*s.json", DK_DIR,
				 (int)(strlen(target) - 17), target + 12);
			serve_file(fd, path, 200, true);
		}
		/* the client hangs up once it has applied the answer */
		while (poll(&p, 1, 5000) == 1 && read(fd, c, sizeof(c)) > 0)
			;
		(void)write(sync_pipe[1], "x", 1);
	} else {
		serve_file(fd, "/nonexistent", 404, false);
	}
}

struct fake {
	char dir[64];
	char sock[100];
	pid_t pid;
};

/* The engine's own cleanup: it is told to stop, or its test ended (even by a failed assert). */
static struct fake *fake_self;

static void fake_on_term(int sig)
{
	(void)sig;
	(void)unlink(fake_self->sock);
	(void)rmdir(fake_self->dir);
	_exit(0);
}

static void fake_start(struct fake *f, const struct engine *e)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int lfd, filler = -1;

	snprintf(f->dir, sizeof(f->dir), "/tmp/flowlock-docker-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(f->dir));
	snprintf(f->sock, sizeof(f->sock), "%s/docker.sock", f->dir);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", f->sock);
	if (sync_pipe[0] < 0)
		ck_assert_int_eq(pipe2(sync_pipe, O_CLOEXEC), 0);
	if (gate_pipe[0] < 0)
		ck_assert_int_eq(pipe2(gate_pipe, O_CLOEXEC), 0);
	while (poll(&(struct pollfd){.fd = gate_pipe[0], .events = POLLIN}, 1, 0) == 1 &&
	       read(gate_pipe[0], &(char){0}, 1) == 1)
		;
	/* bytes left from the case before would let this one's stream run ahead */
	while (poll(&(struct pollfd){.fd = sync_pipe[0], .events = POLLIN}, 1, 0) == 1 &&
	       read(sync_pipe[0], &(char){0}, 1) == 1)
		;
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(lfd, 0);
	ck_assert_int_eq(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(listen(lfd, e->backlog_ms ? 0 : 16), 0);
	if (e->backlog_ms) {
		/* one connection not yet accepted fills a backlog of 0: the next is refused */
		filler = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		ck_assert_int_ge(filler, 0);
		ck_assert_int_eq(connect(filler, (struct sockaddr *)&sa, sizeof(sa)), 0);
	}
	f->pid = fork();
	ck_assert_int_ge(f->pid, 0);
	if (f->pid == 0) {
		fake_self = f;
		signal(SIGTERM, fake_on_term);
		(void)prctl(PR_SET_PDEATHSIG, SIGTERM);
		(void)setpgid(0, 0);
		signal(SIGCHLD, SIG_IGN);
		alarm(60);
		if (filler >= 0) {
			usleep(e->backlog_ms * 1000u);
			close(filler);
		}
		for (;;) {
			int cfd = accept(lfd, NULL, NULL);

			if (cfd < 0)
				continue;
			if (fork() == 0) {
				(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
				close(lfd);
				serve(cfd, e);
				_exit(0);
			}
			close(cfd);
		}
	}
	close(lfd);
	if (filler >= 0)
		close(filler);
}

static void fake_stop(struct fake *f)
{
	if (f->pid > 0) {
		(void)kill(f->pid, SIGTERM);
		(void)waitpid(f->pid, NULL, 0);
		(void)kill(-f->pid, SIGKILL); /* connections still being served */
	}
	(void)unlink(f->sock);
	(void)rmdir(f->dir);
}

/* ---- The client against the fake engine ---------------------------------------------------- */

#define WEB_2 "docker:fldk-web"
#define DB_2  "docker:fldk-db"
#define API_3 "docker:fldkshop/api"

/* What the recorded stream teaches: web, then db, on 172.18.0.2; api on 172.18.0.3. */
#define RECORDED_RESOLVES                                                                          \
	{"172.18.0.2", AT(1000), WEB_2}, {"172.18.0.2", AT(4000), WEB_2},                          \
		{"172.18.0.2", AT(4600), WEB_2}, {"172.18.0.2", AT(5000), DB_2},                   \
		{"172.18.0.2", AT(9000), DB_2},                                                    \
		{"172.18.0.3", AT(2000),                                                           \
		 API_3}, /* moments before its start event: the container, which may send first */ \
		{"172.18.0.3", AT(1700), API_3},                                                   \
		{"172.18.0.2", AT(700), WEB_2}, /* seconds before: nobody yet */                   \
		{"172.18.0.3", AT(0) - 3000000000u, "external:172.18.0.3/32"},                     \
	{                                                                                          \
		"172.18.0.2", AT(0) - 3000000000u, "external:172.18.0.2/32"                        \
	}
#define RECORDED_WORKLOADS DB_2 "," WEB_2 "," API_3

#define CLOSED "the Docker Engine closed the event stream"
#define ENDED  "the Docker Engine ended the event stream"
/* HTTP that libcurl refuses: its own words on why follow */
#define BAD_HTTP "GET /events: invalid HTTP response: "

static const struct {
	const char *name;
	struct engine engine;
	bool no_engine;
	const char *open_err; /* NULL: open succeeds */
	const char *err;      /* the error that ends dispatching */
	int err_no;
	const char *workloads;
	struct resolve resolves[10];
} engine_cases[] = {
	/* listing */
	{"list",
	 {.list = "containers.json"},
	 .err = CLOSED,
	 .err_no = EPIPE,
	 .workloads = "docker:fldk-web,docker:fldkshop/api",
	 .resolves = {{"172.18.0.2", 0, WEB_2},
		      {"172.18.0.3", 0, API_3},
		      {"172.18.0.4", 0, "external:172.18.0.4/32"}}},
	{"list, chunked",
	 {.list = "containers.json", .list_chunked = true},
	 .err = CLOSED,
	 .err_no = EPIPE,
	 .workloads = "docker:fldk-web,docker:fldkshop/api",
	 .resolves = {{"172.18.0.2", 0, WEB_2}, {"172.18.0.3", 0, API_3}}},
	{"list, two networks and IPv6",
	 {.list = "containers-dual.json"},
	 .err = CLOSED,
	 .err_no = EPIPE,
	 .workloads = "docker:shop/cart",
	 .resolves = {{"172.18.0.10", 0, "docker:shop/cart"},
		      {"172.19.0.10", 0, "docker:shop/cart"},
		      {"fd00:db8::10", 0, "docker:shop/cart"}}},
	{"hostile list: bad containers skipped, the rest kept",
	 {.list = "containers-hostile.json"},
	 .err = CLOSED,
	 .err_no = EPIPE,
	 .workloads = "docker:fldk-web",
	 .resolves = {{"172.18.0.2", 0, WEB_2},
		      {"172.18.0.5", 0, "external:172.18.0.5/32"},
		      {"172.18.0.6", 0, "external:172.18.0.6/32"},
		      {"172.18.0.8", 0, "external:172.18.0.8/32"}}},
	/* the recorded event stream, framed and split in several ways */
	{"events, a chunk per event",
	 {.list = "containers-empty.json", .events = "events.jsonl", .sync = true},
	 .err = CLOSED,
	 .err_no = EPIPE,
	 .workloads = RECORDED_WORKLOADS,
	 .resolves = {RECORDED_RESOLVES}},
	{"events, chunks split mid-object, writes split mid size line",
	 {.list = "containers-empty.json",
	  .events = "events.jsonl",
	  .sync = true,
	  .chunk = 333,
	  .write = 97,
	  .pause_us = 2000,
	  .last_chunk = true},
	 .err = ENDED,
	 .err_no = EPIPE,
	 .workloads = RECORDED_WORKLOADS,
	 .resolves = {RECORDED_RESOLVES}},
	{"events, byte by byte",
	 {.list = "containers-empty.json",
	  .events = "events.jsonl",
	  .sync = true,
	  .chunk = 1,
	  .write = 1},
	 .err = CLOSED,
	 .err_no = EPIPE,
	 .workloads = RECORDED_WORKLOADS,
	 .resolves = {RECORDED_RESOLVES}},
	{"events, after a list of the same containers",
	 {.list = "containers.json",
	  .events = "events.jsonl",
	  .sync = true,
	  .chunk = 4096,
	  .write = 1000},
	 .err = CLOSED,
	 .err_no = EPIPE,
	 .workloads = RECORDED_WORKLOADS,
	 .resolves = {{"172.18.0.2", AT(1000), WEB_2},
		      {"172.18.0.2", AT(5000), DB_2},
		      {"172.18.0.3", AT(2000), API_3},
		      /* listed, so known from the listing on */
		      {"172.18.0.3", AT(100), API_3}}},
	{"events, chunk extensions and uppercase hex",
	 {.list = "containers-empty.json", .events = "events-db.jsonl", .frame = FRAME_EXT},
	 .err = CLOSED,
	 .err_no = EPIPE,
	 .workloads = DB_2,
	 .resolves = {{"172.18.0.2", AT(5000), DB_2}}},
	{"events, trailer fields after the last chunk",
	 {.list = "containers-empty.json",
	  .events = "events-db.jsonl",
	  .frame = FRAME_TRAILER,
	  .write = 5},
	 .err = ENDED,
	 .err_no = EPIPE,
	 .workloads = DB_2,
	 .resolves = {{"172.18.0.2", AT(5000), DB_2}}},
	{"events, Content-Length framing",
	 {.list = "containers-empty.json", .events = "events-db.jsonl", .frame = FRAME_LENGTH},
	 .err = ENDED,
	 .err_no = EPIPE,
	 .workloads = DB_2,
	 .resolves = {{"172.18.0.2", AT(5000), DB_2}}},
	{"events, body until the connection closes",
	 {.list = "containers-empty.json", .events = "events-db.jsonl", .frame = FRAME_EOF},
	 .err = CLOSED,
	 .err_no = EPIPE,
	 .workloads = DB_2,
	 .resolves = {{"172.18.0.2", AT(5000), DB_2}}},
	{"events, the engine leaves mid-chunk",
	 {.list = "containers-empty.json", .events = "events-db.jsonl", .cut = 600},
	 .err = CLOSED,
	 .err_no = EPIPE,
	 /* the connect event made it through; the engine said the container runs */
	 .workloads = DB_2,
	 .resolves = {{"172.18.0.2", AT(5000), DB_2}}},
	{"events, hostile containers skipped, the good one kept",
	 {.list = "containers-empty.json", .events = "events-hostile.jsonl", .write = 200},
	 .err = CLOSED,
	 .err_no = EPIPE,
	 .workloads = DB_2,
	 .resolves = {{"172.18.0.9", AT(5500), "external:172.18.0.9/32"},
		      {"172.18.0.11", AT(5500), "external:172.18.0.11/32"},
		      {"172.18.0.2", AT(6000), DB_2}}},
	{"the engine's backlog is full for a moment: the connect is tried again",
	 {.list = "containers.json", .backlog_ms = 300},
	 .err = CLOSED,
	 .err_no = EPIPE,
	 .workloads = "docker:fldk-web,docker:fldkshop/api",
	 .resolves = {{"172.18.0.2", 0, WEB_2}}},
	/* what must fail, clearly */
	{"no engine",
	 {0},
	 .no_engine = true,
	 .open_err = "docker.sock: connect: No such file or directory"},
	{"events: HTTP status 500",
	 {.head = "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n"},
	 .open_err = "GET /events: HTTP status 500 Internal Server Error"},
	{"events: not HTTP", {.head = "SSH-2.0-OpenSSH_9.6\r\n\r\n"}, .open_err = BAD_HTTP},
	{"events: status not three digits",
	 {.head = "HTTP/1.1 2OO OK\r\n\r\n"},
	 .open_err = BAD_HTTP},
	{"events: header larger than 64 KiB",
	 {.huge_head = true},
	 .open_err = "GET /events: response header larger than 64 KiB"},
	{"events: header without a colon",
	 {.head = "HTTP/1.1 200 OK\r\nNo colon here\r\n\r\n"},
	 .open_err = BAD_HTTP},
	{"events: closed before the header ends",
	 {.head = "HTTP/1.1 200 OK\r\nX-A: b\r\n"},
	 .open_err = "GET /events: connection closed in the middle of the response"},
	{"list: HTTP status 500 with the engine's message",
	 {.list = "containers-object.json", .list_status = 500},
	 .open_err = "GET /containers/json: HTTP status 500: page not found"},
	{"list: truncated JSON",
	 {.list = "containers-truncated.json"},
	 .open_err = "GET /containers/json: invalid JSON at "},
	{"list: not an array",
	 {.list = "containers-object.json"},
	 .open_err = "GET /containers/json: not a JSON array of containers"},
	{"list: missing",
	 {.list = "no-such-file.json"},
	 .open_err = "GET /containers/json: HTTP status 404: No such container"},
	/* an event that cannot be read is skipped: the stream goes on until the engine leaves */
	{"events: malformed JSON",
	 {.list = "containers-empty.json", .events = "events-badjson.jsonl", .write = 50},
	 .err = CLOSED,
	 .err_no = EPIPE,
	 /* the event before the bad one was applied */
	 .workloads = DB_2},
	{"events: an event that is not an object",
	 {.list = "containers-empty.json", .events = "events-notobject.jsonl"},
	 .err = CLOSED,
	 .err_no = EPIPE,
	 .workloads = ""},
	{"events: an event larger than 1 MiB",
	 {.list = "containers-empty.json", .frame = FRAME_HUGE_EVENT, .chunk = 65536},
	 .err = "GET /events: an event larger than 1024 KiB",
	 .err_no = EMSGSIZE,
	 .workloads = ""},
	{"events: chunk longer than its size",
	 {.list = "containers-empty.json",
	  .events = "events-db.jsonl",
	  .frame = FRAME_OVERRUN,
	  .write = 64,
	  .pause_us = 20000},
	 .err = BAD_HTTP,
	 .err_no = EBADMSG,
	 .workloads = DB_2},
	{"events: chunk size too large",
	 {.list = "containers-empty.json",
	  .events = "events-db.jsonl",
	  .frame = FRAME_HUGE_SIZE,
	  .write = 64,
	  .pause_us = 20000},
	 .err = BAD_HTTP,
	 .err_no = EBADMSG,
	 .workloads = ""},
};

START_TEST(test_engine)
{
	const __typeof__(engine_cases[0]) *c = &engine_cases[_i];
	struct inventory *inv = inventory_new();
	struct inventory_docker *d = NULL;
	struct util_err err = {{0}}, again = {{0}};
	struct fake f = {0};
	char got[1024];
	int r;

	if (c->no_engine) {
		snprintf(f.dir, sizeof(f.dir), "/tmp/flowlock-docker-XXXXXX");
		ck_assert_ptr_nonnull(mkdtemp(f.dir));
		snprintf(f.sock, sizeof(f.sock), "%s/docker.sock", f.dir);
	} else {
		fake_start(&f, &c->engine);
	}
	r = inventory_docker_open(f.sock, inv, &d, &err);
	if (c->open_err) {
		ck_assert_msg(r < 0, "%s: open succeeded", c->name);
		ck_assert_ptr_null(d);
		/* one line that names the socket first */
		ck_assert_msg(strncmp(err.msg, f.sock, strlen(f.sock)) == 0 &&
				      strstr(err.msg, c->open_err) && !strchr(err.msg, '\n'),
			      "%s: got \"%s\", expected \"%s\"", c->name, err.msg, c->open_err);
		goto out;
	}
	/*
	 * A quick engine (or a slow test machine) can deliver the whole stream with the header.
	 * Then open reports the end itself: after applying the events when the stream simply
	 * ended, before the list when its framing was bad (so what was applied is not checked).
	 */
	if (r < 0 && strstr(err.msg, c->err)) {
		ck_assert_ptr_null(d);
		if (c->err_no != EPIPE) {
			ck_assert_int_eq(r, -c->err_no);
			goto out;
		}
	} else {
		ck_assert_msg(r == 0, "%s: open: %s", c->name, err.msg);
		ck_assert_int_ge(inventory_docker_fd(d), 0);
		for (int rounds = 0;; rounds++) {
			struct pollfd p = {.fd = inventory_docker_fd(d), .events = POLLIN};

			ck_assert_msg(rounds < 100000, "%s: the stream never ended", c->name);
			/* with inspects queued, dispatch is called again soon whatever the stream
			 * does */
			if (inventory_docker_busy(d))
				(void)poll(&p, 1, 10);
			else
				ck_assert_int_eq(poll(&p, 1, 10000), 1);
			r = inventory_docker_dispatch(d, &err);
			if (r < 0)
				break;
		}
		/* once failed, it stays failed */
		ck_assert_int_eq(inventory_docker_dispatch(d, &again), r);
		ck_assert_ptr_nonnull(strstr(again.msg, "the event stream failed earlier"));
	}
	ck_assert_msg(r == -c->err_no && strncmp(err.msg, f.sock, strlen(f.sock)) == 0 &&
			      strstr(err.msg, c->err) && !strchr(err.msg, '\n'),
		      "%s: got %d \"%s\", expected %d \"%s\"", c->name, r, err.msg, -c->err_no,
		      c->err);
	workloads_str(inv, got, sizeof(got));
	ck_assert_msg(strcmp(got, c->workloads) == 0, "%s: workloads %s, expected %s", c->name, got,
		      c->workloads);
	check_resolves(inv, c->resolves, UTIL_ARRAY_SIZE(c->resolves), c->name);
	if (strcmp(c->workloads, API_3) == 0 || strstr(c->workloads, API_3)) {
		const struct graph_workload *w = NULL;

		for (size_t i = 0; i < inventory_workload_count(inv); i++)
			if (strcmp(graph_workload_id(inventory_workload(inv, i)), API_3) == 0)
				w = inventory_workload(inv, i);
		ck_assert_ptr_nonnull(w);
		ck_assert_uint_eq(graph_workload_label_count(w), 2);
		ck_assert_str_eq(graph_workload_label_key(w, 0), "com.docker.compose.project");
		ck_assert_str_eq(graph_workload_label_value(w, 0), "fldkshop");
		ck_assert_str_eq(graph_workload_label_value(w, 1), "api");
	}
out:
	inventory_docker_free(d);
	inventory_free(inv);
	fake_stop(&f);
}
END_TEST

/* ---- Bounded work: inspects queued, each dispatch call short, nothing fatal but the end ---- */

#define GEN(i) "docker:gen-" #i

static int64_t mono_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static const struct {
	const char *name;
	struct engine engine;
	const char *workloads; /* what the inventory holds once the work is done */
	bool want_busy;	       /* some dispatch call must have left work for the next */
	bool want_end;	       /* the stream ends: -EPIPE, and the client's claims closed */
	struct resolve resolves[6];
} work_cases[] = {
	{"an inspect answering 500 skips that container only",
	 {.list = "containers-empty.json",
	  .gen = 3,
	  .bad = 2,
	  .how = BAD_500,
	  .keep_open = true,
	  .gate = true},
	 GEN(0) "," GEN(2),
	 .resolves = {{"172.31.0.10", AT(1500), GEN(0)},
		      {"172.31.0.11", AT(1500), "external:172.31.0.11/32"},
		      {"172.31.0.12", AT(1500), GEN(2)}}},
	{"an inspect answering bad JSON skips that container only",
	 {.list = "containers-empty.json",
	  .gen = 3,
	  .bad = 1,
	  .how = BAD_JSON,
	  .keep_open = true,
	  .gate = true},
	 GEN(1) "," GEN(2),
	 .resolves = {{"172.31.0.10", AT(1500), "external:172.31.0.10/32"},
		      {"172.31.0.11", AT(1500), GEN(1)}}},
	{"an inspect cut short skips that container only",
	 {.list = "containers-empty.json",
	  .gen = 3,
	  .bad = 3,
	  .how = BAD_CLOSE,
	  .keep_open = true,
	  .gate = true},
	 GEN(0) "," GEN(1),
	 .resolves = {{"172.31.0.12", AT(1500), "external:172.31.0.12/32"}}},
	{"a slow inspect: each call returns at once, later calls finish",
	 {.list = "containers-empty.json",
	  .gen = 2,
	  .slow = 1,
	  .slow_ms = 3000,
	  .keep_open = true,
	  .gate = true},
	 GEN(0) "," GEN(1),
	 .want_busy = true,
	 .resolves = {{"172.31.0.10", AT(1500), GEN(0)}, {"172.31.0.11", AT(1500), GEN(1)}}},
	{"a burst of 20 starts, a few inspects per call",
	 {.list = "containers-empty.json", .gen = 20, .keep_open = true, .gate = true},
	 /* sorted as strings */
	 "docker:gen-0,docker:gen-1,docker:gen-10,docker:gen-11,docker:gen-12,docker:gen-13,"
	 "docker:gen-14,docker:gen-15,docker:gen-16,docker:gen-17,docker:gen-18,docker:gen-19,"
	 "docker:gen-2,docker:gen-3,docker:gen-4,docker:gen-5,docker:gen-6,docker:gen-7,"
	 "docker:gen-8,docker:gen-9",
	 .want_busy = true,
	 .resolves = {{"172.31.0.10", AT(1500), GEN(0)},
		      {"172.31.0.29", AT(1500), GEN(19)},
		      {"172.31.0.30", AT(1500), "external:172.31.0.30/32"}}},
	{"a container that dies before its inspect is dropped from the queue",
	 {.list = "containers-empty.json",
	  .gen = 2,
	  .gen_die = true,
	  .slow = 1,
	  .slow_ms = 300,
	  .keep_open = true},
	 GEN(1),
	 .resolves = {{"172.31.0.10", AT(1200), "external:172.31.0.10/32"},
		      {"172.31.0.11", AT(1500), GEN(1)}}},
	{"the engine closes the stream: the client's claims end",
	 {.list = "containers.json", .gen = 2},
	 "docker:fldk-web,docker:fldkshop/api," GEN(0) "," GEN(1),
	 .want_end = true,
	 .resolves = {{"172.31.0.11", AT(1500), GEN(1)}}},
};

START_TEST(test_work)
{
	const __typeof__(work_cases[0]) *c = &work_cases[_i];
	struct inventory *inv = inventory_new();
	struct inventory_docker *d = NULL;
	struct util_err err = {{0}};
	int64_t give_up = mono_ms() + 20000, longest = 0;
	bool saw_busy = false;
	struct util_addr a[4];
	struct fake f = {0};
	char got[2048] = "";
	int r = 0, calls = 0;

	fake_start(&f, &c->engine);
	ck_assert_msg(inventory_docker_open(f.sock, inv, &d, &err) == 0, "%s: open: %s", c->name,
		      err.msg);
	if (c->engine.gate)
		gate_open();
	if (c->want_end)
		ck_assert_uint_eq(inventory_addresses(inv, "docker:fldk-web", a, 4), 1);
	for (;;) {
		struct pollfd p = {.fd = inventory_docker_fd(d), .events = POLLIN};
		int64_t t0, dt;

		ck_assert_msg(mono_ms() < give_up, "%s: not done: %s (last problem: busy %d)",
			      c->name, got, inventory_docker_busy(d));
		(void)poll(&p, 1, inventory_docker_busy(d) ? 10 : 100);
		t0 = mono_ms();
		r = inventory_docker_dispatch(d, &err);
		dt = mono_ms() - t0;
		calls++;
		longest = dt > longest ? dt : longest;
		ck_assert_msg(dt < 1500, "%s: one dispatch call took %" PRId64 " ms", c->name, dt);
		if (r < 0)
			break;
		if (inventory_docker_busy(d))
			saw_busy = true;
		workloads_str(inv, got, sizeof(got));
		if (!inventory_docker_busy(d) && !c->want_end && strcmp(got, c->workloads) == 0)
			break;
	}
	if (c->want_end) {
		ck_assert_msg(r == -EPIPE && strstr(err.msg, "the Docker Engine"),
			      "%s: got %d \"%s\"", c->name, r, err.msg);
		ck_assert(!inventory_docker_busy(d));
		/* nobody holds the listed address now: its death can no longer be seen */
		ck_assert_uint_eq(inventory_addresses(inv, "docker:fldk-web", a, 4), 0);
		ck_assert_uint_eq(inventory_addresses(inv, "docker:fldkshop/api", a, 4), 0);
	} else {
		ck_assert_msg(r == 0, "%s: dispatch: %d %s", c->name, r, err.msg);
	}
	workloads_str(inv, got, sizeof(got));
	ck_assert_msg(strcmp(got, c->workloads) == 0, "%s: workloads %s, expected %s", c->name, got,
		      c->workloads);
	ck_assert_msg(saw_busy || !c->want_busy, "%s: never busy in %d calls", c->name, calls);
	check_resolves(inv, c->resolves, UTIL_ARRAY_SIZE(c->resolves), c->name);
	inventory_docker_free(d);
	inventory_free(inv);
	fake_stop(&f);
}
END_TEST

/* ---- Can this user reach the engine? ------------------------------------------------------- */

#define NO_ACCESS                                                                                  \
	"docker.sock: connect: Permission denied (the user given with --user needs access to the " \
	"Docker socket, e.g. the docker group)"

static const struct {
	const char *name;
	bool listen;	 /* a socket is there, and listens */
	mode_t mode;	 /* of the socket */
	bool nobody;	 /* checked as uid 65534 */
	bool root;	 /* needs root, to become nobody or to pass mode 000: the root tcase */
	const char *err; /* NULL: access */
} access_cases[] = {
	{"no socket", false, 0, false, false, "docker.sock: connect: No such file or directory"},
	{"mode 000, as nobody", true, 0, true, true, NO_ACCESS},
	{"mode 666, as nobody", true, 0666, true, true, NULL},
	{"mode 000, as root", true, 0, false, true, NULL},
};

/* The rows of access_cases the engine tcase checks and those the root tcase does. */
static size_t access_any[UTIL_ARRAY_SIZE(access_cases)], n_access_any;
static size_t access_root[UTIL_ARRAY_SIZE(access_cases)], n_access_root;

static void access_check(size_t i)
{
	const __typeof__(access_cases[0]) *c = &access_cases[i];
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char dir[64] = "/tmp/flowlock-docker-XXXXXX", sock[100], msg[600] = "";
	int lfd = -1, pfd[2], status;
	ssize_t n;
	pid_t pid;

	ck_assert_msg(!c->root || geteuid() == 0, "%s: needs root (\"test-docker root\")", c->name);
	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_eq(chmod(dir, 0755), 0);
	snprintf(sock, sizeof(sock), "%s/docker.sock", dir);
	if (c->listen) {
		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
		lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		ck_assert_int_ge(lfd, 0);
		ck_assert_int_eq(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
		ck_assert_int_eq(listen(lfd, 4), 0);
		ck_assert_int_eq(chmod(sock, c->mode), 0);
	}
	ck_assert_int_eq(pipe(pfd), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct util_err err = {{0}};
		int r;

		close(pfd[0]);
		if (c->nobody && (setgroups(0, NULL) < 0 || setgid(65534) < 0 || setuid(65534) < 0))
			_exit(3);
		r = inventory_docker_check_access(sock, &err);
		if (write(pfd[1], err.msg, strlen(err.msg)) < 0)
			_exit(4);
		_exit(r == 0 ? 0 : r == -EACCES ? 1 : 2);
	}
	close(pfd[1]);
	n = read(pfd[0], msg, sizeof(msg) - 1);
	msg[n > 0 ? n : 0] = '\0';
	close(pfd[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	if (!c->err) {
		ck_assert_msg(WEXITSTATUS(status) == 0, "%s: %d \"%s\"", c->name,
			      WEXITSTATUS(status), msg);
	} else {
		ck_assert_int_ne(WEXITSTATUS(status), 0);
		ck_assert_int_ne(WEXITSTATUS(status), 3);
		/* one line, the socket first */
		ck_assert_msg(strncmp(msg, sock, strlen(dir)) == 0 && strstr(msg, c->err) &&
				      !strchr(msg, '\n'),
			      "%s: got \"%s\", expected \"%s\"", c->name, msg, c->err);
	}
	if (lfd >= 0)
		close(lfd);
	(void)unlink(sock);
	(void)rmdir(dir);
}

START_TEST(test_access)
{
	access_check(access_any[_i]);
}
END_TEST

START_TEST(test_access_root)
{
	access_check(access_root[_i]);
}
END_TEST

START_TEST(test_free_null)
{
	ck_assert_ptr_null(inventory_docker_free(NULL));
}
END_TEST

/* ---- The engine's bytes replayed without a socket (inventory_docker_replay(), for fuzz/) --------
 */

struct replay_case {
	const char *name;
	const char *events; /* under DK_DIR, the stream's body; NULL: a stream without events */
	int events_status;  /* 0: 200 */
	const char *list;
	int list_status;
	size_t read_size;
	int err;
	const char *workloads;
	struct resolve resolves[3];
};

static const struct replay_case replay_cases[] = {
	{"list only", .list = "containers.json", .read_size = 4096,
	 .workloads = "docker:fldk-web,docker:fldkshop/api",
	 .resolves = {{"172.18.0.2", 0, WEB_2}, {"172.18.0.3", 0, API_3}}},
	{"events, byte by byte", .events = "events-db.jsonl", .list = "containers-empty.json",
	 .read_size = 1, .workloads = DB_2, .resolves = {{"172.18.0.2", AT(5000), DB_2}}},
	{"events, 7-byte reads", .events = "events-db.jsonl", .list = "containers-empty.json",
	 .read_size = 7, .workloads = DB_2, .resolves = {{"172.18.0.2", AT(5000), DB_2}}},
	{"events, after the list", .events = "events-db.jsonl", .list = "containers.json",
	 .read_size = 4096, .workloads = "docker:fldk-db,docker:fldk-web,docker:fldkshop/api",
	 .resolves = {{"172.18.0.3", 0, API_3}, {"172.18.0.2", AT(5000), DB_2}}},
	{"list refused", .list = "containers.json", .list_status = 500, .read_size = 4096,
	 .err = -EPROTO, .workloads = ""},
	{"event stream refused", .events = "events-db.jsonl", .events_status = 404,
	 .list = "containers.json", .read_size = 4096, .err = -EPROTO, .workloads = ""},
};

START_TEST(test_replay)
{
	const struct replay_case *c = &replay_cases[_i];
	char *ev_body = NULL, *list_body, *inspect_body, *path;
	size_t n_ev = 0, n_list, n_inspect;
	struct inventory_docker_response inspects[2];
	struct inventory *inv = inventory_new();
	struct inventory_docker_replay rp;
	struct util_err err;
	char got[512];
	int r;

	if (c->events) {
		path = util_asprintf(DK_DIR "%s", c->events);
		ev_body = test_read_file(path, &n_ev);
		free(path);
	}
	path = util_asprintf(DK_DIR "%s", c->list);
	list_body = test_read_file(path, &n_list);
	free(path);
	inspect_body = test_read_file(DK_DIR "inspect/" ID_DB ".json", &n_inspect);
	inspects[0] = inspects[1] = (struct inventory_docker_response){
		.status = 200, .body = inspect_body, .len = n_inspect};
	rp = (struct inventory_docker_replay){
		.events = {.status = c->events_status, .body = ev_body ? ev_body : "", .len = n_ev},
		.list = {.status = c->list_status, .body = list_body, .len = n_list},
		.inspects = inspects,
		.count = 2,
		.read_size = c->read_size,
	};
	r = inventory_docker_replay(inv, &rp, &err);
	ck_assert_msg(r == c->err, "%s: returned %d (%s), expected %d", c->name, r,
		      r < 0 ? err.msg : "", c->err);
	workloads_str(inv, got, sizeof(got));
	ck_assert_msg(strcmp(got, c->workloads) == 0, "%s: workloads \"%s\", expected \"%s\"",
		      c->name, got, c->workloads);
	check_resolves(inv, c->resolves, UTIL_ARRAY_SIZE(c->resolves), c->name);
	inventory_free(inv);
	free(ev_body);
	free(list_body);
	free(inspect_body);
}
END_TEST

static Suite *docker_suite(void)
{
	Suite *s = suite_create("docker");
	TCase *tc = tcase_create("inventory");

	for (size_t i = 0; i < UTIL_ARRAY_SIZE(access_cases); i++) {
		if (access_cases[i].root)
			access_root[n_access_root++] = i;
		else
			access_any[n_access_any++] = i;
	}
	tcase_add_loop_test(tc, test_inventory_live, 0, (int)UTIL_ARRAY_SIZE(inv_cases));
	tcase_add_loop_test(tc, test_flow_at, 0, (int)UTIL_ARRAY_SIZE(flow_cases));
	suite_add_tcase(s, tc);
	tc = tcase_create("engine");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_engine, 0, (int)UTIL_ARRAY_SIZE(engine_cases));
	tcase_add_loop_test(tc, test_work, 0, (int)UTIL_ARRAY_SIZE(work_cases));
	tcase_add_loop_test(tc, test_access, 0, (int)n_access_any);
	tcase_add_test(tc, test_free_null);
	suite_add_tcase(s, tc);
	tc = tcase_create("replay");
	tcase_add_loop_test(tc, test_replay, 0, (int)UTIL_ARRAY_SIZE(replay_cases));
	suite_add_tcase(s, tc);
	tc = tcase_create(TEST_NEEDS_ROOT);
	tcase_set_tags(tc, TEST_NEEDS_ROOT);
	tcase_add_loop_test(tc, test_access_root, 0, (int)n_access_root);
	suite_add_tcase(s, tc);
	return s;
}

int main(int argc, char **argv)
{
	return test_main(argc, argv, docker_suite());
}
