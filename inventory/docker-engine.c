/* SPDX-License-Identifier: Apache-2.0 */
/* docker-engine.c - a Docker Engine API client on a unix socket that keeps the inventory live. */
#include "inventory/inventory-private.h"

#include <curl/curl.h>
#include <dlfcn.h>
#include <stddef.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <uthash.h>

/*
 * Limits on what the engine may send. The socket is root's, but a confused or hostile peer
 * must still not make the agent allocate without bound or parse for ever.
 */
#define DK_MAX_HEAD	  ((size_t)64 << 10) /* status line and headers */
#define DK_MAX_BODY	  ((size_t)64 << 20) /* one response body, and events held at open */
#define DK_MAX_EVENT	  ((size_t)1 << 20)  /* one event object on the stream */
#define DK_MAX_DEPTH	  64
#define DK_MAX_NODES	  ((size_t)1 << 21)
#define DK_TIMEOUT_MS	  5000 /* for each whole request that is not the event stream */
#define DK_BUDGET_MS	  200  /* what one dispatch call may spend waiting for inspects */
#define DK_INFLIGHT	  4    /* inspects under way at once */
#define DK_STARTS_PER_RUN 4    /* inspects one dispatch call may begin */
#define DK_QUEUE_MAX	  4096 /* containers waiting to be inspected */
#define DK_SHOW_MAX	  80
#define DK_SHOW_CURL	  160 /* libcurl's own words on what went wrong */
#define DK_RETRY_MS	  5   /* between connects that the engine's full backlog refused */

/* What the stream is asked for: filters={"type":["container","network"]}, percent-encoded. */
#define DK_EVENTS_TARGET "/events?filters=%7B%22type%22%3A%5B%22container%22%2C%22network%22%5D%7D"
#define DK_LIST_TARGET	 "/containers/json"

/* ---- libcurl, loaded when first needed ----------------------------------------------------- */

/*
 * libcurl and the ~30 libraries it links (TLS, LDAP, SSH, HTTP/2...) cost every flowlock process
 * ~15 million instructions and ~6 MB at start, and only --docker uses it. So it is opened with
 * dlopen() the first time a client needs it, the way systemd loads its optional libraries; the
 * header still gives the types and the ABI (libcurl.so.4). Never closed: loaded once per process.
 */
static struct {
	bool loaded;
	void (*easy_cleanup)(CURL *);
	CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
	CURLHcode (*easy_header)(CURL *, const char *, size_t, unsigned int, int,
				 struct curl_header **);
	CURL *(*easy_init)(void);
	CURLcode (*easy_perform)(CURL *);
	CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
	const char *(*easy_strerror)(CURLcode);
	void (*global_cleanup)(void);
	CURLcode (*global_init)(long);
	CURLMcode (*multi_add_handle)(CURLM *, CURL *);
	CURLMcode (*multi_cleanup)(CURLM *);
	CURLMsg *(*multi_info_read)(CURLM *, int *);
	CURLM *(*multi_init)(void);
	CURLMcode (*multi_remove_handle)(CURLM *, CURL *);
	CURLMcode (*multi_setopt)(CURLM *, CURLMoption, ...);
	CURLMcode (*multi_socket_action)(CURLM *, curl_socket_t, int, int *);
	const char *(*multi_strerror)(CURLMcode);
	struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
	void (*slist_free_all)(struct curl_slist *);
} dk_curl;

/* Opens libcurl and finds each function; says what is missing. Once per process. */
static int dk_curl_load(const char *path, struct util_err *err)
{
	static const struct {
		const char *name;
		size_t off;
	} syms[] = {
		{"curl_easy_cleanup", offsetof(__typeof__(dk_curl), easy_cleanup)},
		{"curl_easy_getinfo", offsetof(__typeof__(dk_curl), easy_getinfo)},
		{"curl_easy_header", offsetof(__typeof__(dk_curl), easy_header)},
		{"curl_easy_init", offsetof(__typeof__(dk_curl), easy_init)},
		{"curl_easy_perform", offsetof(__typeof__(dk_curl), easy_perform)},
		{"curl_easy_setopt", offsetof(__typeof__(dk_curl), easy_setopt)},
		{"curl_easy_strerror", offsetof(__typeof__(dk_curl), easy_strerror)},
		{"curl_global_cleanup", offsetof(__typeof__(dk_curl), global_cleanup)},
		{"curl_global_init", offsetof(__typeof__(dk_curl), global_init)},
		{"curl_multi_add_handle", offsetof(__typeof__(dk_curl), multi_add_handle)},
		{"curl_multi_cleanup", offsetof(__typeof__(dk_curl), multi_cleanup)},
		{"curl_multi_info_read", offsetof(__typeof__(dk_curl), multi_info_read)},
		{"curl_multi_init", offsetof(__typeof__(dk_curl), multi_init)},
		{"curl_multi_remove_handle", offsetof(__typeof__(dk_curl), multi_remove_handle)},
		{"curl_multi_setopt", offsetof(__typeof__(dk_curl), multi_setopt)},
		{"curl_multi_socket_action", offsetof(__typeof__(dk_curl), multi_socket_action)},
		{"curl_multi_strerror", offsetof(__typeof__(dk_curl), multi_strerror)},
		{"curl_slist_append", offsetof(__typeof__(dk_curl), slist_append)},
		{"curl_slist_free_all", offsetof(__typeof__(dk_curl), slist_free_all)},
	};
	void *lib;

	if (dk_curl.loaded)
		return 0;
	lib = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
	if (!lib)
		return util_err_set(err, ENOENT, "%s: the Docker Engine client needs libcurl: %s",
				    path, dlerror());
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(syms); i++) {
		void *fn = dlsym(lib, syms[i].name);

		if (!fn)
			return util_err_set(err, ENOENT, "%s: libcurl has no %s: %s", path,
					    syms[i].name, dlerror());
		memcpy((char *)&dk_curl + syms[i].off, &fn, sizeof(fn));
	}
	dk_curl.loaded = true;
	return 0;
}

/* ---- Small helpers ------------------------------------------------------------------------ */

/* Untrusted text for an error message: printable ASCII, escaped, cut short. */
static const char *dk_show(const char *s, size_t len, char buf[static DK_SHOW_MAX + 8])
{
	return util_show_escaped(s, len, DK_SHOW_MAX, buf);
}

static int64_t dk_monotonic_ms(void)
{
	return (int64_t)(util_now_ns(CLOCK_MONOTONIC) / UTIL_NSEC_PER_MSEC);
}

struct dk_buf {
	char *p;
	size_t n, cap;
};

/* Appends n bytes and keeps the buffer NUL-terminated (n may be 0 to make it so). */
static void dk_buf_append(struct dk_buf *b, const char *p, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		while (b->n + n + 1 > b->cap)
			b->cap = b->cap ? b->cap * 2 : 4096;
		b->p = util_reallocarray(b->p, b->cap, 1);
	}
	memcpy(b->p + b->n, p, n);
	b->n += n;
	b->p[b->n] = '\0';
}

/* ---- JSON, read with libyaml (JSON is YAML's flow syntax) ----------------------------------- */

/* JSON has one null, and a node that is not there counts as one. */
static bool dk_is_null(const struct util_yaml_node *n)
{
	return !n || (n->type == UTIL_YAML_SCALAR && n->plain && strcmp(n->str, "null") == 0);
}

/* A string member, or NULL when absent, null or not a string. */
static const char *dk_get_str(const struct util_yaml_node *map, const char *key)
{
	const struct util_yaml_node *n = util_yaml_get(map, key);

	return n && n->type == UTIL_YAML_SCALAR && !dk_is_null(n) ? n->str : NULL;
}

static const struct util_yaml_node *dk_get_type(const struct util_yaml_node *map, const char *key,
						enum util_yaml_type type)
{
	const struct util_yaml_node *n = util_yaml_get(map, key);

	return n && n->type == type ? n : NULL;
}

struct dk_json {
	const char *where;
	struct util_err *err;
};

/* The tree's faults in the words of a JSON reader; positions are within buf. */
static int dk_json_fault(void *data, const struct util_yaml_fault *f)
{
	const struct dk_json *j = data;
	const char *what;

	switch (f->kind) {
	case UTIL_YAML_NOMEM:
		return util_err_set(j->err, ENOMEM, "%s: cannot initialise the YAML parser",
				    j->where);
	case UTIL_YAML_VALUES:
		return util_err_set(j->err, EFBIG, "%s: JSON with more than %zu values", j->where,
				    DK_MAX_NODES);
	case UTIL_YAML_DEPTH:
		return util_err_set(j->err, EBADMSG, "%s: JSON nested deeper than %d levels",
				    j->where, DK_MAX_DEPTH);
	case UTIL_YAML_EMPTY:
		return util_err_set(j->err, EBADMSG, "%s: empty JSON", j->where);
	case UTIL_YAML_ANCHOR:
	case UTIL_YAML_ALIAS:
		what = "YAML anchor or alias";
		break;
	case UTIL_YAML_DOCUMENTS:
		what = "more than one value";
		break;
	case UTIL_YAML_NUL:
		what = "NUL in a string";
		break;
	case UTIL_YAML_DUPLICATE:
		what = "a key twice in one object";
		break;
	case UTIL_YAML_SYNTAX:
	case UTIL_YAML_TOO_BIG:
	case UTIL_YAML_READ:
	default:
		what = f->problem ? f->problem : "syntax error";
		break;
	}
	return util_err_set(j->err, EBADMSG, "%s: invalid JSON at %zu:%zu: %s", j->where, f->line,
			    f->col, what);
}

/*
 * Parses one JSON value into a tree. YAML features that JSON lacks (anchors, aliases, several
 * documents) are refused. The problem, if any, goes to err after the prefix `where`.
 */
static int dk_json_parse(const char *buf, size_t len, const char *where,
			 struct util_yaml_node **ret, struct util_err *err)
{
	struct dk_json j = {.where = where, .err = err};
	const struct util_yaml_opts opts = {
		.max_depth = DK_MAX_DEPTH,
		.max_values = DK_MAX_NODES,
		.one_document = true,
		.fault = dk_json_fault,
		.userdata = &j,
	};

	return util_yaml_parse_buffer(buf, len, &opts, ret);
}

/* ---- Containers as the engine describes them ---------------------------------------------- */

struct dk_ctr {
	const char *id, *name, *project, *service; /* borrowed from the JSON tree */
	struct util_addr *addrs;
	size_t n_addrs;
	bool running;
	bool host_network;
};

static int dk_ctr_ip(struct dk_ctr *c, const char *s, char *why, size_t why_len)
{
	char show[DK_SHOW_MAX + 8];
	struct util_addr a;

	if (!s || !*s)
		return 0;
	if (util_addr_parse(s, &a) < 0) {
		snprintf(why, why_len, "invalid IP address \"%s\"", dk_show(s, strlen(s), show));
		return -EINVAL;
	}
	c->addrs = util_reallocarray(c->addrs, c->n_addrs + 1, sizeof(*c->addrs));
	c->addrs[c->n_addrs++] = a;
	return 0;
}

/*
 * The parts of one container that the inventory needs, from an item of GET /containers/json
 * (Names, Labels) or from GET /containers/{id}/json (Name, Config.Labels, State.Running). A
 * container that does not have the expected shape is refused with the reason in why.
 */
static int dk_ctr_read(const struct util_yaml_node *obj, bool listed, struct dk_ctr *c, char *why,
		       size_t why_len)
{
	const struct util_yaml_node *labels, *nets, *net, *names, *state, *running;
	const char *mode;
	int r;

	memset(c, 0, sizeof(*c));
	if (!obj || obj->type != UTIL_YAML_MAP) {
		snprintf(why, why_len, "container is not a JSON object");
		return -EINVAL;
	}
	c->id = dk_get_str(obj, "Id");
	if (!c->id) {
		snprintf(why, why_len, "container without Id");
		return -EINVAL;
	}
	if (listed) {
		names = dk_get_type(obj, "Names", UTIL_YAML_SEQ);
		if (names && names->n_kids > 0 && names->kids[0]->type == UTIL_YAML_SCALAR)
			c->name = names->kids[0]->str;
		labels = util_yaml_get(obj, "Labels");
		c->running = true;
	} else {
		c->name = dk_get_str(obj, "Name");
		labels = util_yaml_get(dk_get_type(obj, "Config", UTIL_YAML_MAP), "Labels");
		state = dk_get_type(obj, "State", UTIL_YAML_MAP);
		running = util_yaml_get(state, "Running");
		c->running = running && running->type == UTIL_YAML_SCALAR && running->plain &&
			     strcmp(running->str, "true") == 0;
	}
	if (!c->name) {
		snprintf(why, why_len, "container without a name");
		return -EINVAL;
	}
	if (*c->name == '/')
		c->name++;
	if (!dk_is_null(labels) && labels->type != UTIL_YAML_MAP) {
		snprintf(why, why_len, "Labels is not an object");
		return -EINVAL;
	}
	c->project = dk_get_str(labels, "com.docker.compose.project");
	c->service = dk_get_str(labels, "com.docker.compose.service");

	/* a host-network container has no address of its own: its traffic is the host's */
	mode = dk_get_str(dk_get_type(obj, "HostConfig", UTIL_YAML_MAP), "NetworkMode");
	if (mode && strcmp(mode, "host") == 0) {
		c->host_network = true;
		return 0;
	}
	net = dk_get_type(obj, "NetworkSettings", UTIL_YAML_MAP);
	r = dk_ctr_ip(c, dk_get_str(net, "IPAddress"), why, why_len);
	if (r == 0)
		r = dk_ctr_ip(c, dk_get_str(net, "GlobalIPv6Address"), why, why_len);
	nets = util_yaml_get(net, "Networks");
	if (r == 0 && !dk_is_null(nets) && nets->type != UTIL_YAML_MAP) {
		snprintf(why, why_len, "Networks is not an object");
		r = -EINVAL;
	}
	for (size_t i = 1; r == 0 && nets && i < nets->n_kids; i += 2) {
		const struct util_yaml_node *one = nets->kids[i];

		if (dk_is_null(one))
			continue;
		if (one->type != UTIL_YAML_MAP) {
			snprintf(why, why_len, "a network is not an object");
			r = -EINVAL;
			break;
		}
		r = dk_ctr_ip(c, dk_get_str(one, "IPAddress"), why, why_len);
		if (r == 0)
			r = dk_ctr_ip(c, dk_get_str(one, "GlobalIPv6Address"), why, why_len);
	}
	if (r < 0) {
		free(c->addrs);
		c->addrs = NULL;
		c->n_addrs = 0;
	}
	return r;
}

/* ---- The client --------------------------------------------------------------------------- */

/* A container waiting to be inspected; the queue is the hash table, in insertion order. */
struct dk_pending {
	char *id;
	uint64_t ts; /* the first event that asked for it */
	UT_hash_handle hh;
};

/* A container whose claims this client opened and has not yet closed. */
struct dk_owned {
	char *id;
	UT_hash_handle hh;
};

/*
 * One GET on a connection of its own: the event stream, the container list, or one inspect.
 * libcurl frames the HTTP; the callbacks below bound what it hands over, and a callback that
 * stops a transfer says why in failed and err.
 */
struct dk_xfer {
	struct inventory_docker *d;
	CURL *h;     /* NULL in a replay */
	char *where; /* "PATH: GET TARGET", the start of every message */
	char *id;    /* an inspect's container, else NULL */
	uint64_t ts; /* the first event that asked for the inspect */
	struct curl_slist *headers;
	size_t n_head;
	bool head_done; /* a final (not 1xx) response's header has been read */
	char reason[DK_SHOW_MAX + 8];
	struct dk_buf body; /* the list's or an inspect's; the stream's bytes go to d->ev */
	int failed;
	struct util_err err;
	bool stream; /* the event stream: no time limit once connected */
	bool done;   /* libcurl is through with it: result */
	CURLcode result;
	char errbuf[CURL_ERROR_SIZE];
	int64_t deadline; /* monotonic ms: connects are retried until then */
	int64_t retry_at; /* when to connect again; 0: not waiting to */
};

struct inventory_docker {
	char *path;
	struct inventory *inv;
	/*
	 * libcurl's multi interface, driven through one descriptor for the caller's poll loop: an
	 * epoll set of libcurl's sockets and of a timerfd that stands for its timer.
	 */
	CURLM *multi;
	int epfd, tfd;
	bool curl; /* curl_global_init() was called for it */
	struct dk_xfer *stream;
	struct dk_xfer *list; /* while inventory_docker_open() waits for it */
	char *where;	      /* "PATH: GET /events" */
	char *ev; /* event bytes not yet applied: a partial line, or all of them while held */
	size_t n_ev, cap_ev;
	bool hold;  /* at open: events wait until the list has been applied */
	int failed; /* the stream's end, once reported: nothing after it can be trusted */
	/*
	 * The stream ended (or broke) with end_err. What it said before is still inspected,
	 * until drain_until; then the client's claims are closed and the end is reported.
	 */
	int ended;
	struct util_err end_err;
	int64_t drain_until;
	struct dk_pending *queue;
	struct dk_owned *owned;
	struct dk_xfer *reqs[DK_INFLIGHT];
	/*
	 * Problems that cost one container or one event, never the client: counted, the last
	 * one kept. Containers skipped for a bad name, label, address or shape are refusals.
	 */
	size_t refused;
	struct util_err last_refusal;
	size_t bad_events;	/* unparseable or not an object */
	size_t failed_inspects; /* connect, timeout, HTTP status, bad JSON */
	size_t overflow;	/* not queued: the queue was full */
	size_t abandoned;	/* still queued when the stream ended */
	struct util_err last_problem;
};

/* ---- Requests, through libcurl ------------------------------------------------------------- */

/* Each header line libcurl read: counted against DK_MAX_HEAD; a status line's reason is kept. */
static size_t dk_on_header(char *p, size_t size, size_t n, void *userdata)
{
	struct dk_xfer *x = userdata;
	long status = 0;

	n *= size;
	x->n_head += n;
	if (x->n_head > DK_MAX_HEAD) {
		x->failed =
			util_err_set(&x->err, EMSGSIZE, "%s: response header larger than %zu KiB",
				     x->where, DK_MAX_HEAD >> 10);
		return 0;
	}
	if (n >= 5 && memcmp(p, "HTTP/", 5) == 0) {
		/* HTTP/1.x SP 3DIGIT [SP reason], checked by libcurl */
		const char *sp = memchr(p, ' ', n), *end = p + n;

		while (end > p && (end[-1] == '\r' || end[-1] == '\n'))
			end--;
		x->reason[0] = '\0';
		if (sp && end - sp > 5 && sp[4] == ' ')
			(void)dk_show(sp + 5, (size_t)(end - (sp + 5)), x->reason);
	} else if ((n == 2 && p[0] == '\r' && p[1] == '\n') || (n == 1 && p[0] == '\n')) {
		/* the empty line that ends a header: a final response's, or an interim one's */
		(void)dk_curl.easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &status);
		x->head_done = status >= 200;
	}
	return n;
}

/* The body of the list or of an inspect, kept whole up to DK_MAX_BODY. */
static size_t dk_on_body(char *p, size_t size, size_t n, void *userdata)
{
	struct dk_xfer *x = userdata;

	n *= size;
	if (x->body.n + n > DK_MAX_BODY) {
		x->failed = util_err_set(&x->err, EFBIG, "%s: response body larger than %llu MiB",
					 x->where, (unsigned long long)(DK_MAX_BODY >> 20));
		return 0;
	}
	dk_buf_append(&x->body, p, n);
	return n;
}

/*
 * The event stream's body: one JSON object per line, lines split anywhere. The bytes wait in
 * d->ev for dk_stream_apply(), which runs once libcurl has returned: applying an event may
 * cancel an inspect, and no libcurl call may be made from inside its callbacks.
 */
static size_t dk_on_events(char *p, size_t size, size_t n, void *userdata)
{
	struct dk_xfer *x = userdata;
	struct inventory_docker *d = x->d;

	n *= size;
	if (n == 0)
		return 0; /* an empty body */
	/* held events are those of the list's time; a running stream is cut by dk_events_run() */
	if (d->n_ev + n > DK_MAX_BODY) {
		x->failed =
			util_err_set(&x->err, EMSGSIZE, "%s: more than %zu MiB of events unapplied",
				     d->where, DK_MAX_BODY >> 20);
		return 0;
	}
	if (d->n_ev + n > d->cap_ev) {
		while (d->n_ev + n > d->cap_ev)
			d->cap_ev = d->cap_ev ? d->cap_ev * 2 : 16384;
		d->ev = util_reallocarray(d->ev, d->cap_ev, 1);
	}
	memcpy(d->ev + d->n_ev, p, n);
	d->n_ev += n;
	return n;
}

/*
 * A request that libcurl gave up on (x->result), or that ended before its header did, in the
 * words this client has always used.
 */
static int dk_xfer_error(const struct dk_xfer *x, struct util_err *err)
{
	char show[DK_SHOW_CURL + 4];
	const char *what = *x->errbuf ? x->errbuf : dk_curl.easy_strerror(x->result);
	long os = 0, sent = 0;

	if (x->failed) {
		if (err)
			*err = x->err;
		return x->failed;
	}
	(void)dk_curl.easy_getinfo(x->h, CURLINFO_OS_ERRNO, &os);
	switch (x->result) {
	case CURLE_OK:
		/* libcurl took a close before the header's end for the end of the response */
		return util_err_set(err, EPIPE,
				    "%s: connection closed in the middle of the response",
				    x->where);
	case CURLE_COULDNT_CONNECT:
		/* a backlog still full at the deadline: dk_xfer_backlogged() */
		os = os && os != EAGAIN ? os : ETIMEDOUT;
		return util_err_set(err, (int)os, "%s: connect: %s", x->d->path, strerror((int)os));
	case CURLE_OPERATION_TIMEDOUT:
		/* nothing sent: the connection was never made */
		(void)dk_curl.easy_getinfo(x->h, CURLINFO_REQUEST_SIZE, &sent);
		if (!sent)
			return util_err_set(err, ETIMEDOUT, "%s: connect: %s", x->d->path,
					    strerror(ETIMEDOUT));
		return util_err_set(err, ETIMEDOUT, "%s: no complete answer within %d s", x->where,
				    DK_TIMEOUT_MS / 1000);
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
		if (!os)
			break; /* not the socket's fault: bad chunked framing, for one */
		return util_err_set(err, (int)os, "%s: %s: %s", x->where,
				    x->result == CURLE_SEND_ERROR ? "send" : "read",
				    strerror((int)os));
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
		return util_err_set(err, EPIPE,
				    "%s: connection closed in the middle of the response",
				    x->where);
	case CURLE_FILESIZE_EXCEEDED:
		return util_err_set(err, EFBIG, "%s: response body larger than %llu MiB", x->where,
				    (unsigned long long)(DK_MAX_BODY >> 20));
	default:
		break;
	}
	return util_err_set(err, EBADMSG, "%s: invalid HTTP response: %s", x->where,
			    util_show_escaped(what, strlen(what), DK_SHOW_CURL, show));
}

/* How the event stream ended, once its header had been read. */
static int dk_stream_error(const struct dk_xfer *x, struct util_err *err)
{
	struct curl_header *te;
	curl_off_t length = -1;
	long os = 0;

	if (x->result == CURLE_OK) {
		/* framed by chunks or a Content-Length, the stream came to its end; else the
		 * engine closed the connection */
		(void)dk_curl.easy_getinfo(x->h, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length);
		if (length >= 0 || dk_curl.easy_header(x->h, "Transfer-Encoding", 0, CURLH_HEADER,
						       -1, &te) == CURLHE_OK)
			return util_err_set(err, EPIPE,
					    "%s: the Docker Engine ended the event stream",
					    x->where);
	}
	if (x->result == CURLE_OK || x->result == CURLE_PARTIAL_FILE ||
	    x->result == CURLE_GOT_NOTHING)
		return util_err_set(err, EPIPE, "%s: the Docker Engine closed the event stream",
				    x->where);
	(void)dk_curl.easy_getinfo(x->h, CURLINFO_OS_ERRNO, &os);
	/* a reset is the engine leaving, as an orderly close is */
	if (!x->failed && x->result == CURLE_RECV_ERROR && os)
		return util_err_set(err, os == ECONNRESET ? EPIPE : (int)os, "%s: read: %s",
				    x->where, strerror((int)os));
	return dk_xfer_error(x, err);
}

/* A transfer with nothing of libcurl's yet: what a replay feeds. */
static struct dk_xfer *dk_xfer_new(struct inventory_docker *d, const char *target,
				   const char *where)
{
	struct dk_xfer *x = util_zalloc(sizeof(*x));

	x->d = d;
	x->where = where ? util_strdup(where) : util_asprintf("%s: GET %s", d->path, target);
	x->deadline = dk_monotonic_ms() + DK_TIMEOUT_MS;
	return x;
}

static struct dk_xfer *dk_xfer_free(struct dk_xfer *x)
{
	if (!x)
		return NULL;
	if (x->h) {
		if (x->d->multi)
			(void)dk_curl.multi_remove_handle(x->d->multi, x->h);
		dk_curl.easy_cleanup(x->h);
	}
	dk_curl.slist_free_all(x->headers);
	free(x->body.p);
	free(x->where);
	free(x->id);
	free(x);
	return NULL;
}

static struct curl_slist *dk_header_add(struct curl_slist *list, const char *line)
{
	struct curl_slist *l = dk_curl.slist_append(list, line);

	if (!l)
		abort(); /* out of memory, as util_zalloc() */
	return l;
}

/*
 * GET target on the engine's socket, and on nothing else: no proxy (whatever the environment
 * says), no other protocol, no redirect, no connection kept for another request. The event
 * stream has no time limit; every other request must be over within DK_TIMEOUT_MS.
 */
static int dk_xfer_setup(struct dk_xfer *x, const char *target, bool stream, struct util_err *err)
{
	char *url = util_asprintf("http://docker%s", target);
	CURLcode rc = CURLE_OK;

	x->stream = stream;
	x->h = dk_curl.easy_init();
	if (!x->h) {
		free(url);
		return util_err_set(err, ENOMEM, "%s: cannot initialise libcurl", x->where);
	}
	x->headers = dk_header_add(NULL, "Accept: application/json");
	if (!stream)
		x->headers = dk_header_add(x->headers, "Connection: close");
#define DK_SET(opt, val)                                                                           \
	do {                                                                                       \
		if (rc == CURLE_OK)                                                                \
			rc = dk_curl.easy_setopt(x->h, opt, val);                                  \
	} while (0)
	DK_SET(CURLOPT_UNIX_SOCKET_PATH, x->d->path);
	DK_SET(CURLOPT_URL, url);
	DK_SET(CURLOPT_PROTOCOLS_STR, "http");
	DK_SET(CURLOPT_PROXY, "");
	DK_SET(CURLOPT_NOPROXY, "*");
	DK_SET(CURLOPT_FOLLOWLOCATION, 0L);
	DK_SET(CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	DK_SET(CURLOPT_HTTP09_ALLOWED, 0L);
	DK_SET(CURLOPT_FORBID_REUSE, 1L);
	DK_SET(CURLOPT_FRESH_CONNECT, 1L);
	DK_SET(CURLOPT_NOSIGNAL, 1L);
	DK_SET(CURLOPT_USERAGENT, "flowlock/" FLOWLOCK_VERSION);
	DK_SET(CURLOPT_HTTPHEADER, x->headers);
	DK_SET(CURLOPT_CONNECTTIMEOUT_MS, (long)DK_TIMEOUT_MS);
	if (!stream) {
		DK_SET(CURLOPT_TIMEOUT_MS, (long)DK_TIMEOUT_MS);
		DK_SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)DK_MAX_BODY);
	}
	DK_SET(CURLOPT_HEADERFUNCTION, dk_on_header);
	DK_SET(CURLOPT_HEADERDATA, x);
	DK_SET(CURLOPT_WRITEFUNCTION, stream ? dk_on_events : dk_on_body);
	DK_SET(CURLOPT_WRITEDATA, x);
	DK_SET(CURLOPT_ERRORBUFFER, x->errbuf);
	DK_SET(CURLOPT_PRIVATE, x);
#undef DK_SET
	free(url);
	if (rc != CURLE_OK)
		return util_err_set(err, EINVAL, "%s: libcurl: %s", x->where,
				    dk_curl.easy_strerror(rc));
	return 0;
}

/*
 * A unix socket whose listen backlog is full answers EAGAIN, where a TCP one would make the
 * client wait; libcurl takes that for a connect under way, then for one that failed with no
 * error (os 0; a unix socket's connect fails at once for any other reason, with errno). A busy
 * engine is given until the request's deadline: x is connected again DK_RETRY_MS from now.
 */
static bool dk_xfer_backlogged(struct dk_xfer *x)
{
	int64_t now = dk_monotonic_ms();
	long os = 0;

	(void)dk_curl.easy_getinfo(x->h, CURLINFO_OS_ERRNO, &os);
	if (x->result != CURLE_COULDNT_CONNECT || (os && os != EAGAIN) ||
	    now + DK_RETRY_MS >= x->deadline)
		return false;
	x->retry_at = now + DK_RETRY_MS;
	return true;
}

/* Before x starts again: what is left of its time is all it has. */
static void dk_xfer_rearm(struct dk_xfer *x, int64_t now)
{
	long left = (long)(x->deadline - now);

	(void)dk_curl.easy_setopt(x->h, CURLOPT_CONNECTTIMEOUT_MS, left > 0 ? left : 1L);
	if (!x->stream)
		(void)dk_curl.easy_setopt(x->h, CURLOPT_TIMEOUT_MS, left > 0 ? left : 1L);
}

/* Starts GET target on the multi handle; where NULL: "PATH: GET target". */
static int dk_xfer_start(struct inventory_docker *d, const char *target, const char *where,
			 bool stream, struct dk_xfer **ret, struct util_err *err)
{
	struct dk_xfer *x = dk_xfer_new(d, target, where);
	CURLMcode mc;
	int r;

	r = dk_xfer_setup(x, target, stream, err);
	if (r == 0 && (mc = dk_curl.multi_add_handle(d->multi, x->h)) != CURLM_OK)
		r = util_err_set(err, ENOMEM, "%s: libcurl: %s", x->where,
				 dk_curl.multi_strerror(mc));
	if (r < 0) {
		dk_xfer_free(x);
		return r;
	}
	*ret = x;
	return 0;
}

static void dk_own(struct inventory_docker *d, const char *id)
{
	struct dk_owned *o;

	HASH_FIND_STR(d->owned, id, o);
	if (o)
		return;
	o = util_zalloc(sizeof(*o));
	o->id = util_strdup(id);
	HASH_ADD_KEYPTR(hh, d->owned, o->id, strlen(o->id), o);
}

static void dk_remove(struct inventory_docker *d, const char *id, uint64_t ts)
{
	struct dk_owned *o;

	inventory_remove_container(d->inv, id, ts);
	HASH_FIND_STR(d->owned, id, o);
	if (!o)
		return;
	HASH_DEL(d->owned, o);
	free(o->id);
	free(o);
}

/* The engine can no longer tell us who dies: every claim this client opened ends at ts. */
static void dk_close_claims(struct inventory_docker *d, uint64_t ts)
{
	struct dk_owned *o, *tmp;

	HASH_ITER (hh, d->owned, o, tmp) {
		inventory_remove_container(d->inv, o->id, ts);
		HASH_DEL(d->owned, o);
		free(o->id);
		free(o);
	}
}

/*
 * A container the inventory will not take. For files, a bad inventory fails whole; from the
 * live engine that would let one badly named container stop the agent observing everything
 * else, so the container is skipped (and counted), and what it held before ends at ts.
 */
static void dk_refuse(struct inventory_docker *d, const char *id, uint64_t ts, const char *why)
{
	d->refused++;
	(void)util_err_set(&d->last_refusal, EINVAL, "%s: container skipped: %s", d->path, why);
	if (id && util_docker_name(id))
		dk_remove(d, id, ts);
}

static void dk_apply(struct inventory_docker *d, const struct dk_ctr *c, uint64_t ts)
{
	const struct inventory_container lc = {
		.id = c->id,
		.name = c->name,
		.project = c->project,
		.service = c->service,
		.addrs = c->addrs,
		.n_addrs = c->n_addrs,
	};
	struct util_err err;

	/* as in a docker inspect file, a host-network container is no workload of its own */
	if (c->host_network)
		return;
	if (inventory_set_container(d->inv, &lc, ts, &err) < 0)
		dk_refuse(d, c->id, ts, err.msg);
	else
		dk_own(d, c->id);
}
/* A status other than 200, with the engine's own {"message": ...} when it sent one. */
static int dk_status_error(struct inventory_docker *d, const char *target, int status,
			   const char *body, size_t len, struct util_err *err)
{
	char show[DK_SHOW_MAX + 8] = "";
	struct util_yaml_node *root = NULL;
	struct util_err ignored;
	const char *msg;

	if (dk_json_parse(body, len, "", &root, &ignored) == 0 &&
	    (msg = dk_get_str(root, "message")) != NULL)
		(void)dk_show(msg, strlen(msg), show);
	util_yaml_free(root);
	return util_err_set(err, EPROTO, "%s: GET %s: HTTP status %d%s%s", d->path, target, status,
			    *show ? ": " : "", show);
}

/*
 * The engine's answer about one container, applied as of ts. A container gone is no error;
 * any other failure costs this container only: it stays unknown, or keeps its old claim.
 */
static void dk_inspect_done(struct inventory_docker *d, const char *id, uint64_t ts, int status,
			    const char *body, size_t len)
{
	char *target = util_asprintf("/containers/%s/json", id);
	char *where = util_asprintf("%s: GET %s", d->path, target);
	struct util_yaml_node *root = NULL;
	struct dk_ctr c = {0};
	char why[256];

	if (status == 404)
		goto out; /* destroyed since: its destroy event follows */
	if (status != 200) {
		d->failed_inspects++;
		(void)dk_status_error(d, target, status, body, len, &d->last_problem);
		goto out;
	}
	if (dk_json_parse(body, len, where, &root, &d->last_problem) < 0) {
		d->failed_inspects++;
		goto out;
	}
	if (dk_ctr_read(root, false, &c, why, sizeof(why)) < 0) {
		dk_refuse(d, id, ts, why);
		goto out;
	}
	/* the id asked for is the one the inventory knows it by */
	c.id = id;
	/* stopped since: its die event, before or after, releases the addresses */
	if (c.running)
		dk_apply(d, &c, ts);
out:
	free(c.addrs);
	util_yaml_free(root);
	free(where);
	free(target);
}

/* Takes the oldest queued container into the free slot i. */
static void dk_req_start(struct inventory_docker *d, size_t i)
{
	struct dk_pending *p = d->queue;
	char *target = util_asprintf("/containers/%s/json", p->id);
	struct dk_xfer *x;

	HASH_DEL(d->queue, p);
	if (dk_xfer_start(d, target, NULL, false, &x, &d->last_problem) < 0) {
		d->failed_inspects++;
	} else {
		x->id = p->id;
		x->ts = p->ts;
		p->id = NULL;
		d->reqs[i] = x;
	}
	free(target);
	free(p->id);
	free(p);
}

/* The inspect in slot i is over: its answer applied, or its failure counted. */
static void dk_req_finish(struct inventory_docker *d, size_t i)
{
	struct dk_xfer *x = d->reqs[i];
	long status = 0;

	if (x->result != CURLE_OK || !x->head_done) {
		d->failed_inspects++;
		(void)dk_xfer_error(x, &d->last_problem);
	} else {
		(void)dk_curl.easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &status);
		dk_buf_append(&x->body, "", 0);
		dk_inspect_done(d, x->id, x->ts, (int)status, x->body.p, x->body.n);
	}
	d->reqs[i] = dk_xfer_free(x);
}

static size_t dk_reqs_busy(const struct inventory_docker *d)
{
	size_t n = 0;

	for (size_t i = 0; i < DK_INFLIGHT; i++)
		n += d->reqs[i] != NULL;
	return n;
}

/* Remembers that id must be asked about, as of ts; once per container however often. */
static void dk_enqueue(struct inventory_docker *d, const char *id, uint64_t ts)
{
	struct dk_pending *p;

	HASH_FIND_STR(d->queue, id, p);
	if (p)
		return;
	if (HASH_COUNT(d->queue) >= DK_QUEUE_MAX) {
		d->overflow++;
		(void)util_err_set(
			&d->last_problem, ENOBUFS,
			"%s: more than %d containers waiting to be inspected; %s skipped", d->path,
			DK_QUEUE_MAX, id);
		return;
	}
	p = util_zalloc(sizeof(*p));
	p->id = util_strdup(id);
	p->ts = ts;
	HASH_ADD_KEYPTR(hh, d->queue, p->id, strlen(p->id), p);
}

/* A container gone: what was still to be asked about it no longer matters. */
static void dk_forget(struct inventory_docker *d, const char *id)
{
	struct dk_pending *p;

	HASH_FIND_STR(d->queue, id, p);
	if (p) {
		HASH_DEL(d->queue, p);
		free(p->id);
		free(p);
	}
	for (size_t i = 0; i < DK_INFLIGHT; i++)
		if (d->reqs[i] && strcmp(d->reqs[i]->id, id) == 0)
			d->reqs[i] = dk_xfer_free(d->reqs[i]);
}

static void dk_abandon(struct inventory_docker *d)
{
	struct dk_pending *p, *tmp;

	HASH_ITER (hh, d->queue, p, tmp) {
		HASH_DEL(d->queue, p);
		free(p->id);
		free(p);
		d->abandoned++;
	}
	for (size_t i = 0; i < DK_INFLIGHT; i++) {
		if (d->reqs[i])
			d->abandoned++;
		d->reqs[i] = dk_xfer_free(d->reqs[i]);
	}
}
/* When the event happened by the engine's clock: timeNano, else time, else now. */
static uint64_t dk_event_time(const struct util_yaml_node *ev)
{
	const char *s = dk_get_str(ev, "timeNano");
	uint64_t v;

	if (s && util_parse_u64(s, UINT64_MAX, &v) == 0)
		return v;
	s = dk_get_str(ev, "time");
	if (s && util_parse_u64(s, UINT64_MAX / UTIL_NSEC_PER_SEC, &v) == 0)
		return v * UTIL_NSEC_PER_SEC;
	return util_now_ns(CLOCK_REALTIME);
}

/*
 * One event. A container's start, rename, and network connect or disconnect queue it to be
 * asked what it looks like now; its die, stop and destroy release its addresses at the event's
 * time. Everything else (create, kill, exec, health, ...) is ignored. An event that cannot be
 * read is counted and skipped: the stream after it is still good.
 */
static void dk_event(struct inventory_docker *d, const char *line, size_t len)
{
	const struct util_yaml_node *actor, *attrs;
	const char *type, *action, *id = NULL;
	char show[DK_SHOW_MAX + 8], why[256];
	struct util_yaml_node *ev = NULL;
	bool set = false;
	uint64_t ts;

	if (dk_json_parse(line, len, d->where, &ev, &d->last_problem) < 0) {
		d->bad_events++;
		return;
	}
	if (ev->type != UTIL_YAML_MAP) {
		d->bad_events++;
		(void)util_err_set(&d->last_problem, EBADMSG, "%s: an event is not a JSON object",
				   d->where);
		goto out;
	}
	type = dk_get_str(ev, "Type");
	action = dk_get_str(ev, "Action");
	if (!action && !type && dk_get_str(ev, "id")) {
		/* engines before API 1.22 told only of containers, with status and id */
		type = "container";
		action = dk_get_str(ev, "status");
	}
	actor = dk_get_type(ev, "Actor", UTIL_YAML_MAP);
	attrs = dk_get_type(actor, "Attributes", UTIL_YAML_MAP);
	ts = dk_event_time(ev);
	if (!type || !action)
		goto out;
	if (strcmp(type, "container") == 0) {
		id = dk_get_str(actor, "ID");
		if (!id)
			id = dk_get_str(ev, "id");
		if (strcmp(action, "start") == 0 || strcmp(action, "rename") == 0)
			set = true;
		else if (strcmp(action, "die") != 0 && strcmp(action, "stop") != 0 &&
			 strcmp(action, "destroy") != 0)
			goto out;
	} else if (strcmp(type, "network") == 0) {
		if (strcmp(action, "connect") != 0 && strcmp(action, "disconnect") != 0)
			goto out;
		id = dk_get_str(attrs, "container");
		set = true;
	} else {
		goto out;
	}
	/* the id goes into a request path: only what an id can be */
	if (!id || !util_docker_name(id) || strlen(id) > 128) {
		snprintf(why, sizeof(why), "%s %s event with an invalid container id \"%s\"", type,
			 action, dk_show(id ? id : "", id ? strlen(id) : 0, show));
		dk_refuse(d, NULL, ts, why);
		goto out;
	}
	if (set) {
		dk_enqueue(d, id, ts);
	} else {
		dk_forget(d, id);
		dk_remove(d, id, ts);
	}
out:
	util_yaml_free(ev);
}

/* Applies every complete line in the event buffer; keeps the partial one. */
static int dk_events_run(struct inventory_docker *d, struct util_err *err)
{
	size_t start = 0;
	char *nl;

	if (d->n_ev == 0)
		return 0;
	while ((nl = memchr(d->ev + start, '\n', d->n_ev - start)) != NULL) {
		size_t len = (size_t)(nl - (d->ev + start));
		bool blank = true;

		for (size_t i = 0; i < len && blank; i++)
			blank = d->ev[start + i] == ' ' || d->ev[start + i] == '\t' ||
				d->ev[start + i] == '\r';
		if (!blank)
			dk_event(d, d->ev + start, len);
		start += len + 1;
	}
	memmove(d->ev, d->ev + start, d->n_ev - start);
	d->n_ev -= start;
	if (d->n_ev > DK_MAX_EVENT)
		return util_err_set(err, EMSGSIZE, "%s: an event larger than %zu KiB", d->where,
				    DK_MAX_EVENT >> 10);
	return 0;
}

/* The stream is over (r < 0, the reason in why): what it said is drained, then reported. */
static void dk_end(struct inventory_docker *d, int r, const struct util_err *why)
{
	if (d->ended)
		return;
	d->ended = r;
	d->end_err = *why;
	d->drain_until = dk_monotonic_ms() + DK_TIMEOUT_MS;
	/* nothing more of it is read */
	if (d->multi && d->stream && d->stream->h)
		(void)dk_curl.multi_remove_handle(d->multi, d->stream->h);
}

/* The whole event lines the stream has brought, unless held; an event too large ends it. */
static void dk_stream_apply(struct inventory_docker *d)
{
	struct util_err e;
	int r;

	if (d->hold)
		return;
	r = dk_events_run(d, &e);
	if (r < 0) {
		d->n_ev = 0; /* the event too large: nothing after it is read */
		dk_end(d, r, &e);
	}
}

/* ---- libcurl's multi interface behind one descriptor --------------------------------------- */

/* libcurl's sockets, in the epoll set that inventory_docker_fd() gives the caller's poll loop. */
static int dk_on_socket(CURL *h, curl_socket_t s, int what, void *userdata, void *socketp)
{
	struct inventory_docker *d = userdata;
	struct epoll_event ev = {.data.fd = s};

	if (what == CURL_POLL_REMOVE) {
		(void)epoll_ctl(d->epfd, EPOLL_CTL_DEL, s, NULL);
		return 0;
	}
	ev.events = (what & CURL_POLL_IN ? EPOLLIN : 0) | (what & CURL_POLL_OUT ? EPOLLOUT : 0);
	if (epoll_ctl(d->epfd, EPOLL_CTL_MOD, s, &ev) == 0 ||
	    (errno == ENOENT && epoll_ctl(d->epfd, EPOLL_CTL_ADD, s, &ev) == 0))
		return 0;
	return -1;
}

/* libcurl's one timer, as the timerfd in the same set: ms 0 is now, -1 is none. */
static int dk_on_timer(CURLM *multi, long ms, void *userdata)
{
	struct inventory_docker *d = userdata;
	struct itimerspec t = {{0, 0}, {0, 0}};

	if (ms >= 0) {
		t.it_value.tv_sec = ms / 1000;
		t.it_value.tv_nsec = ms % 1000 * 1000000 + (ms == 0); /* 0 would disarm it */
	}
	return timerfd_settime(d->tfd, 0, &t, NULL) < 0 ? -1 : 0;
}

/* x is over (x->result): the stream's end is noted, an inspect's answer applied. */
static void dk_xfer_over(struct inventory_docker *d, struct dk_xfer *x)
{
	x->done = true;
	if (x == d->stream && x->head_done) {
		struct util_err e;
		int r = dk_stream_error(x, &e);

		dk_end(d, r, &e);
	}
	for (size_t i = 0; i < DK_INFLIGHT; i++)
		if (d->reqs[i] == x)
			dk_req_finish(d, i);
}

/*
 * What libcurl has finished, and the event lines it has handed over. It runs between libcurl's
 * calls, never inside one, so an event may cancel an inspect here. The stream's lines go first:
 * they were read before an answer that came with them was complete.
 */
static void dk_collect(struct inventory_docker *d)
{
	CURLMsg *m;
	int left;

	dk_stream_apply(d);
	while ((m = dk_curl.multi_info_read(d->multi, &left)) != NULL) {
		struct dk_xfer *x;
		char *priv = NULL;

		if (m->msg != CURLMSG_DONE)
			continue;
		(void)dk_curl.easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &priv);
		x = (struct dk_xfer *)priv;
		x->result = m->data.result;
		(void)dk_curl.multi_remove_handle(d->multi, x->h); /* m is gone from here on */
		if (!dk_xfer_backlogged(x))
			dk_xfer_over(d, x);
	}
}

/* Connects again what waits to and is due; the next one due shortens timeout_ms. */
static int dk_retry(struct inventory_docker *d, int timeout_ms)
{
	struct dk_xfer *xs[DK_INFLIGHT + 2] = {d->stream, d->list};
	int64_t now = dk_monotonic_ms();

	memcpy(xs + 2, d->reqs, sizeof(d->reqs));
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(xs); i++) {
		struct dk_xfer *x = xs[i];

		if (!x || !x->retry_at)
			continue;
		if (x->retry_at > now) {
			if (timeout_ms < 0 || x->retry_at - now < timeout_ms)
				timeout_ms = (int)(x->retry_at - now);
			continue;
		}
		x->retry_at = 0;
		dk_xfer_rearm(x, now);
		if (dk_curl.multi_add_handle(d->multi, x->h) != CURLM_OK)
			dk_xfer_over(d, x); /* with the refused connect's result */
	}
	return timeout_ms;
}

/* Waits up to timeout_ms for libcurl's sockets or timer, and lets it act on what is ready. */
static void dk_drive(struct inventory_docker *d, int timeout_ms)
{
	struct epoll_event ev[DK_INFLIGHT + 4];
	int n;

	timeout_ms = dk_retry(d, timeout_ms);
	n = epoll_wait(d->epfd, ev, (int)UTIL_ARRAY_SIZE(ev), timeout_ms);

	for (int i = 0; i < n; i++) {
		curl_socket_t s = ev[i].data.fd;
		int mask = 0, running;
		uint64_t expired;

		if (s == d->tfd) {
			(void)read(d->tfd, &expired, sizeof(expired));
			s = CURL_SOCKET_TIMEOUT;
		} else {
			/* a hang-up is read as the end of what the engine sent */
			mask = (ev[i].events & (EPOLLIN | EPOLLHUP) ? CURL_CSELECT_IN : 0) |
			       (ev[i].events & EPOLLOUT ? CURL_CSELECT_OUT : 0) |
			       (ev[i].events & EPOLLERR ? CURL_CSELECT_ERR : 0);
		}
		(void)dk_curl.multi_socket_action(d->multi, s, mask, &running);
		dk_collect(d);
	}
}

/*
 * Works on queued inspects until `end` (monotonic ms): at most DK_INFLIGHT at once, at most
 * `starts` begun. What is not done by then stays queued or under way for the next call.
 */
static void dk_inspects_run(struct inventory_docker *d, int64_t end, int starts)
{
	for (;;) {
		int64_t now;

		for (size_t i = 0; i < DK_INFLIGHT && d->queue && starts > 0; i++) {
			if (d->reqs[i])
				continue;
			dk_req_start(d, i);
			starts--;
		}
		if (dk_reqs_busy(d) == 0 && (!d->queue || starts <= 0))
			return;
		now = dk_monotonic_ms();
		if (now >= end)
			return;
		dk_drive(d, (int)(end - now));
	}
}

/* The engine's answer to GET /containers/json: every running container is applied now. */
static int dk_list_apply(struct inventory_docker *d, int status, const char *body, size_t len,
			 struct util_err *err)
{
	char *where = NULL;
	struct util_yaml_node *root = NULL;
	uint64_t now;
	int r;

	if (status != 200)
		return dk_status_error(d, DK_LIST_TARGET, status, body, len, err);
	where = util_asprintf("%s: GET %s", d->path, DK_LIST_TARGET);
	r = dk_json_parse(body, len, where, &root, err);
	if (r < 0)
		goto out;
	if (root->type != UTIL_YAML_SEQ) {
		r = util_err_set(err, EBADMSG, "%s: not a JSON array of containers", where);
		goto out;
	}
	now = util_now_ns(CLOCK_REALTIME);
	for (size_t i = 0; i < root->n_kids; i++) {
		struct dk_ctr c;
		char why[256];

		if (dk_ctr_read(root->kids[i], true, &c, why, sizeof(why)) < 0) {
			dk_refuse(d, NULL, now, why);
			continue;
		}
		dk_apply(d, &c, now);
		free(c.addrs);
	}
out:
	util_yaml_free(root);
	free(where);
	return r;
}

/* GET /containers/json, waited for: libcurl ends it within DK_TIMEOUT_MS. */
static int dk_list(struct inventory_docker *d, struct util_err *err)
{
	struct dk_xfer *x = NULL;
	long status = 0;
	int r;

	r = dk_xfer_start(d, DK_LIST_TARGET, NULL, false, &x, err);
	d->list = x;
	while (r == 0 && !x->done)
		dk_drive(d, DK_TIMEOUT_MS);
	d->list = NULL;
	if (r == 0 && (x->result != CURLE_OK || !x->head_done))
		r = dk_xfer_error(x, err);
	if (r == 0) {
		(void)dk_curl.easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &status);
		dk_buf_append(&x->body, "", 0);
		r = dk_list_apply(d, (int)status, x->body.p, x->body.n, err);
	}
	dk_xfer_free(x);
	return r;
}

struct inventory_docker *inventory_docker_free(struct inventory_docker *d)
{
	struct dk_owned *o, *tmp;

	if (!d)
		return NULL;
	dk_abandon(d);
	d->stream = dk_xfer_free(d->stream);
	if (d->multi)
		dk_curl.multi_cleanup(d->multi);
	if (d->epfd >= 0)
		close(d->epfd);
	if (d->tfd >= 0)
		close(d->tfd);
	if (d->curl)
		dk_curl.global_cleanup();
	HASH_ITER (hh, d->owned, o, tmp) {
		HASH_DEL(d->owned, o);
		free(o->id);
		free(o);
	}
	free(d->ev);
	free(d->where);
	free(d->path);
	free(d);
	return NULL;
}

/* A client of the engine at socket_path, not yet connected. */
static struct inventory_docker *dk_new(const char *socket_path, struct inventory *inv)
{
	struct inventory_docker *d = util_zalloc(sizeof(*d));

	d->path = util_strdup(socket_path ? socket_path : INVENTORY_DOCKER_SOCKET);
	d->inv = inv;
	d->epfd = -1;
	d->tfd = -1;
	d->where = util_asprintf("%s: GET /events", d->path);
	return d;
}

/* The socket's path must fit a unix socket address; libcurl would refuse it less clearly. */
static int dk_check_path(const char *path, struct util_err *err)
{
	struct sockaddr_un sa;

	if (strlen(path) >= sizeof(sa.sun_path))
		return util_err_set(err, ENAMETOOLONG, "%s: socket path longer than %zu bytes",
				    path, sizeof(sa.sun_path) - 1);
	return 0;
}

/*
 * libcurl for this client. No TLS is ever used, so nothing of its global state but the least
 * (CURL_GLOBAL_NOTHING); the reference it takes is given back in inventory_docker_free().
 */
static int dk_curl_init(struct inventory_docker *d, struct util_err *err)
{
	int r = dk_curl_load(d->path, err);

	if (r < 0)
		return r;
	if (dk_curl.global_init(CURL_GLOBAL_NOTHING) != CURLE_OK)
		return util_err_set(err, ENOMEM, "%s: cannot initialise libcurl", d->path);
	d->curl = true;
	return 0;
}

/* The multi handle, its sockets and timer in one epoll set. */
static int dk_multi_open(struct inventory_docker *d, struct util_err *err)
{
	struct epoll_event ev = {.events = EPOLLIN};
	int r;

	r = dk_curl_init(d, err);
	if (r < 0)
		return r;
	d->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (d->epfd < 0)
		return util_err_set(err, errno, "%s: epoll_create1: %s", d->path, strerror(errno));
	d->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (d->tfd < 0)
		return util_err_set(err, errno, "%s: timerfd_create: %s", d->path, strerror(errno));
	ev.data.fd = d->tfd;
	if (epoll_ctl(d->epfd, EPOLL_CTL_ADD, d->tfd, &ev) < 0)
		return util_err_set(err, errno, "%s: epoll_ctl: %s", d->path, strerror(errno));
	d->multi = dk_curl.multi_init();
	if (!d->multi)
		return util_err_set(err, ENOMEM, "%s: cannot initialise libcurl", d->path);
	if (dk_curl.multi_setopt(d->multi, CURLMOPT_SOCKETFUNCTION, dk_on_socket) != CURLM_OK ||
	    dk_curl.multi_setopt(d->multi, CURLMOPT_SOCKETDATA, d) != CURLM_OK ||
	    dk_curl.multi_setopt(d->multi, CURLMOPT_TIMERFUNCTION, dk_on_timer) != CURLM_OK ||
	    dk_curl.multi_setopt(d->multi, CURLMOPT_TIMERDATA, d) != CURLM_OK)
		return util_err_set(err, EINVAL, "%s: libcurl refused its callbacks", d->path);
	return 0;
}

int inventory_docker_open(const char *socket_path, struct inventory *inv,
			  struct inventory_docker **ret, struct util_err *err)
{
	struct inventory_docker *d = dk_new(socket_path, inv);
	int64_t deadline = dk_monotonic_ms() + DK_TIMEOUT_MS;
	long status = 0;
	int r;

	r = dk_check_path(d->path, err);
	if (r == 0)
		r = dk_multi_open(d, err);
	if (r < 0)
		goto out;

	/*
	 * Subscribe first, then list: a container that starts in between is in the list, or its
	 * events are held and applied after it (setting a container twice changes nothing).
	 */
	d->hold = true;
	r = dk_xfer_start(d, DK_EVENTS_TARGET, d->where, true, &d->stream, err);
	if (r < 0)
		goto out;
	/* for the event stream, only the header is waited for here */
	while (!d->stream->head_done && !d->stream->done) {
		int64_t left = deadline - dk_monotonic_ms();

		if (left <= 0) {
			d->stream->result = CURLE_OPERATION_TIMEDOUT;
			break;
		}
		dk_drive(d, (int)left);
	}
	if (!d->stream->head_done) {
		r = dk_xfer_error(d->stream, err);
		goto out;
	}
	(void)dk_curl.easy_getinfo(d->stream->h, CURLINFO_RESPONSE_CODE, &status);
	if (status != 200) {
		r = util_err_set(err, EPROTO, "%s: HTTP status %ld%s%s", d->where, status,
				 *d->stream->reason ? " " : "", d->stream->reason);
		goto out;
	}
	r = dk_list(d, err);
	if (r < 0)
		goto out;
	d->hold = false;
	r = dk_events_run(d, err);
	if (r < 0)
		goto out;
	/*
	 * Open may block: the held events are answered now, within one request's time. A stream
	 * that already ended is reported by dispatch, once what it said is applied.
	 */
	dk_inspects_run(d, dk_monotonic_ms() + DK_TIMEOUT_MS, DK_QUEUE_MAX);
	*ret = d;
	d = NULL;
out:
	inventory_docker_free(d);
	return r;
}

int inventory_docker_fd(const struct inventory_docker *d)
{
	return d->epfd;
}

bool inventory_docker_busy(const struct inventory_docker *d)
{
	return d->queue || dk_reqs_busy(d) > 0 || (d->ended && !d->failed);
}

int inventory_docker_dispatch(struct inventory_docker *d, struct util_err *err)
{
	int64_t end = dk_monotonic_ms() + DK_BUDGET_MS;

	if (d->failed)
		return util_err_set(err, -d->failed, "%s: the event stream failed earlier",
				    d->where);
	/* what is ready now: the stream, answers to inspects, libcurl's timer */
	dk_drive(d, 0);
	if (!d->ended || dk_monotonic_ms() < d->drain_until)
		dk_inspects_run(d, end, DK_STARTS_PER_RUN);
	if (!d->ended)
		return 0;
	if ((d->queue || dk_reqs_busy(d) > 0) && dk_monotonic_ms() < d->drain_until)
		return 0;
	/* nobody will tell us of deaths now: addresses are no longer these containers' */
	dk_abandon(d);
	dk_close_claims(d, util_now_ns(CLOCK_REALTIME));
	d->failed = d->ended;
	if (err)
		*err = d->end_err;
	return d->failed;
}

/* Connects with libcurl alone (CURLOPT_CONNECT_ONLY), and hangs up. */
int inventory_docker_check_access(const char *socket_path, struct util_err *err)
{
	struct inventory_docker *d = dk_new(socket_path, NULL);
	struct dk_xfer *x = dk_xfer_new(d, "/", NULL);
	struct util_err e;
	int r;

	r = dk_check_path(d->path, &e);
	if (r == 0)
		r = dk_curl_init(d, &e);
	if (r == 0)
		r = dk_xfer_setup(x, "/", false, &e);
	if (r == 0 && dk_curl.easy_setopt(x->h, CURLOPT_CONNECT_ONLY, 1L) != CURLE_OK)
		r = util_err_set(&e, EINVAL, "%s: libcurl cannot connect only", d->path);
	while (r == 0 && (x->result = dk_curl.easy_perform(x->h)) != CURLE_OK) {
		if (!dk_xfer_backlogged(x)) {
			r = dk_xfer_error(x, &e);
			break;
		}
		(void)nanosleep(&(struct timespec){.tv_nsec = DK_RETRY_MS * 1000000}, NULL);
		dk_xfer_rearm(x, dk_monotonic_ms());
	}
	if (r == -EACCES || r == -EPERM)
		r = util_err_set(err, -r,
				 "%s: connect: %s (the user given with --user needs access to "
				 "the Docker socket, e.g. the docker group)",
				 d->path, strerror(-r));
	else if (r < 0 && err)
		*err = e;
	dk_xfer_free(x);
	inventory_docker_free(d);
	return r;
}

/* ---- Replay (tests and fuzzing only: inventory-private.h) --------------------------------- */

static int dk_replay_status(const struct inventory_docker_response *rsp)
{
	return rsp->status ? rsp->status : 200;
}

/* A body handed to the list's and inspects' write callback in pieces of step, as libcurl does. */
static int dk_replay_body(struct dk_xfer *x, const struct inventory_docker_response *rsp,
			  size_t step)
{
	for (size_t off = 0; off < rsp->len; off += step) {
		size_t n = rsp->len - off < step ? rsp->len - off : step;

		if (dk_on_body((char *)rsp->body + off, 1, n, x) != n)
			return x->failed;
	}
	dk_buf_append(&x->body, "", 0);
	return 0;
}

/* A piece of the event stream, as libcurl's write callback and then dk_collect() take it. */
static void dk_replay_stream(struct inventory_docker *d, const char *p, size_t n)
{
	if (d->ended)
		return;
	if (dk_on_events((char *)p, 1, n, d->stream) != n)
		dk_end(d, d->stream->failed, &d->stream->err);
	else
		dk_stream_apply(d);
}

/* Answers the queued inspects, oldest first, as dk_inspects_run() would. */
static void dk_replay_inspects(struct inventory_docker *d, const struct inventory_docker_replay *rp,
			       size_t step, size_t *next)
{
	while (d->queue && *next < rp->count) {
		const struct inventory_docker_response *rsp = &rp->inspects[(*next)++];
		struct dk_pending *p = d->queue;
		char *target = util_asprintf("/containers/%s/json", p->id);
		struct dk_xfer *x = dk_xfer_new(d, target, NULL);

		HASH_DEL(d->queue, p);
		if (dk_replay_body(x, rsp, step) < 0) {
			d->failed_inspects++;
			d->last_problem = x->err;
		} else {
			dk_inspect_done(d, p->id, p->ts, dk_replay_status(rsp), x->body.p,
					x->body.n);
		}
		dk_xfer_free(x);
		free(target);
		free(p->id);
		free(p);
	}
}

int inventory_docker_replay(struct inventory *inv, const struct inventory_docker_replay *rp,
			    struct util_err *err)
{
	struct inventory_docker *d;
	struct dk_xfer *list;
	size_t step = rp->read_size ? rp->read_size : 1, off = 0, next = 0;
	int r = dk_curl_load("replay", err);

	/* no transfer runs, but each keeps its libcurl handle as a live one does */
	if (r < 0)
		return r;
	d = dk_new("replay", inv);
	list = dk_xfer_new(d, DK_LIST_TARGET, NULL);

	/* inventory_docker_open(): the stream's header, a first piece of it held, then the list */
	d->stream = dk_xfer_new(d, DK_EVENTS_TARGET, d->where);
	d->hold = true;
	if (dk_replay_status(&rp->events) != 200) {
		r = util_err_set(err, EPROTO, "%s: HTTP status %d", d->where,
				 dk_replay_status(&rp->events));
		goto out;
	}
	off = rp->events.len < step ? rp->events.len : step;
	dk_replay_stream(d, rp->events.body, off);
	r = dk_replay_body(list, &rp->list, step);
	if (r < 0 && err)
		*err = list->err;
	if (r == 0)
		r = dk_list_apply(d, dk_replay_status(&rp->list), list->body.p, list->body.n, err);
	if (r < 0)
		goto out;
	d->hold = false;
	r = dk_events_run(d, err);
	if (r < 0)
		goto out;
	dk_replay_inspects(d, rp, step, &next);

	/* inventory_docker_dispatch(): the rest of the stream, a piece at a time */
	for (; !d->ended && off < rp->events.len; off += step) {
		dk_replay_stream(d, rp->events.body + off,
				 rp->events.len - off < step ? rp->events.len - off : step);
		dk_replay_inspects(d, rp, step, &next);
	}
	r = 0;
	dk_abandon(d);
	dk_close_claims(d, util_now_ns(CLOCK_REALTIME));
out:
	dk_xfer_free(list);
	inventory_docker_free(d);
	return r;
}
