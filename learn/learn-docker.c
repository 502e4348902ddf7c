/* SPDX-License-Identifier: Apache-2.0 */
/* learn-docker.c - a Docker Engine API client on a unix socket that keeps the inventory live. */
#include "learn/learn-private.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
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
#define DK_MAX_LINE	  1024		     /* a chunk-size or trailer line */
#define DK_MAX_EVENT	  ((size_t)1 << 20)  /* one event object on the stream */
#define DK_MAX_DEPTH	  64
#define DK_MAX_NODES	  ((size_t)1 << 21)
#define DK_TIMEOUT_MS	  5000 /* for each whole request that is not the event stream */
#define DK_READS_PER_RUN  64   /* a flood of events yields to the caller's loop */
#define DK_BUDGET_MS	  200  /* what one dispatch call may spend waiting for inspects */
#define DK_INFLIGHT	  4    /* inspects under way at once */
#define DK_STARTS_PER_RUN 4    /* inspects one dispatch call may begin */
#define DK_QUEUE_MAX	  4096 /* containers waiting to be inspected */
#define DK_SHOW_MAX	  80

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

/* Waits for events on fd until deadline (monotonic ms): 0, or -ETIMEDOUT, or -errno. */
static int dk_wait(int fd, short events, int64_t deadline)
{
	for (;;) {
		struct pollfd p = {.fd = fd, .events = events};
		int64_t left = deadline - dk_monotonic_ms();
		int r;

		if (left <= 0)
			return -ETIMEDOUT;
		r = poll(&p, 1, (int)left);
		if (r > 0)
			return 0;
		if (r == 0)
			return -ETIMEDOUT;
		if (errno != EINTR)
			return -errno;
	}
}

/* ---- The connection ----------------------------------------------------------------------- */

/* The socket's address; a path too long for it is refused. */
static int dk_sockaddr(const char *path, struct sockaddr_un *ret, struct util_err *err)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};

	if (strlen(path) >= sizeof(sa.sun_path))
		return util_err_set(err, ENAMETOOLONG, "%s: socket path longer than %zu bytes",
				    path, sizeof(sa.sun_path) - 1);
	memcpy(sa.sun_path, path, strlen(path) + 1);
	*ret = sa;
	return 0;
}

/*
 * A nonblocking connect, waited for until deadline. A unix socket whose listen backlog is full
 * answers EAGAIN rather than EINPROGRESS; that is retried, briefly, until the deadline.
 */
static int dk_connect(const char *path, int64_t deadline, int *ret_fd, struct util_err *err)
{
	struct sockaddr_un sa;
	int fd, r, soerr = 0;
	socklen_t len = sizeof(soerr);

	r = dk_sockaddr(path, &sa, err);
	if (r < 0)
		return r;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return util_err_set(err, errno, "%s: socket: %s", path, strerror(errno));
	for (;;) {
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			break;
		r = -errno;
		if (r == -EINTR)
			continue;
		if (r == -EAGAIN && dk_monotonic_ms() < deadline) {
			(void)poll(NULL, 0, 10);
			continue;
		}
		if (r == -EINPROGRESS) {
			r = dk_wait(fd, POLLOUT, deadline);
			if (r == 0 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0)
				r = -errno;
			if (r == 0 && soerr)
				r = -soerr;
			if (r == 0)
				break;
		}
		if (r == -EAGAIN)
			r = -ETIMEDOUT;
		r = util_err_set(err, -r, "%s: connect: %s", path, strerror(-r));
		close(fd);
		return r;
	}
	*ret_fd = fd;
	return 0;
}

/* MSG_NOSIGNAL: an engine that went away must give EPIPE, not kill the agent with SIGPIPE. */
static int dk_send_all(int fd, const char *buf, size_t n, int64_t deadline)
{
	while (n > 0) {
		ssize_t w = send(fd, buf, n, MSG_NOSIGNAL);
		int r;

		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				return -errno;
			r = dk_wait(fd, POLLOUT, deadline);
			if (r < 0)
				return r;
			continue;
		}
		buf += w;
		n -= (size_t)w;
	}
	return 0;
}

/* ---- HTTP/1.1 responses ------------------------------------------------------------------- */

/*
 * A strict, incremental reader of one response: the status line and headers (CRLF line ends,
 * no folding), then a body framed by chunked transfer coding, Content-Length, or the end of
 * the connection. Bytes may arrive in any split; body bytes go to fn as they are decoded.
 */
enum dk_state {
	DK_HEAD,
	DK_SIZE,     /* a chunk-size line */
	DK_DATA,     /* inside a chunk */
	DK_DATA_END, /* the CRLF after a chunk */
	DK_TRAILER,
	DK_LENGTH, /* Content-Length bytes */
	DK_TO_EOF,
	DK_DONE,
};

typedef int (*dk_body_fn)(void *userdata, const char *p, size_t n, struct util_err *err);

struct dk_http {
	const char *where; /* "PATH: GET TARGET", the start of every message */
	enum dk_state state;
	char *head;
	size_t n_head;
	char line[DK_MAX_LINE];
	size_t n_line;
	size_t n_trailer;
	int status;
	char reason[DK_SHOW_MAX + 8];
	uint64_t left;
	uint64_t body, max_body; /* max_body 0: a stream without end */
	dk_body_fn fn;
	void *userdata;
};

static void dk_http_init(struct dk_http *h, const char *where, uint64_t max_body, dk_body_fn fn,
			 void *userdata)
{
	memset(h, 0, sizeof(*h));
	h->where = where;
	h->max_body = max_body;
	h->fn = fn;
	h->userdata = userdata;
	h->head = util_zalloc(DK_MAX_HEAD + 1);
}

static void dk_http_clear(struct dk_http *h)
{
	free(h->head);
	h->head = NULL;
}

static bool dk_is_tchar(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* The header value between optional whitespace, NUL-terminated in place. */
static char *dk_trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		*--e = '\0';
	return s;
}

static int dk_http_head(struct dk_http *h, struct util_err *err)
{
	bool chunked = false, have_length = false;
	uint64_t length = 0;
	char show[DK_SHOW_MAX + 8];
	char *line = h->head, *end;
	size_t n_line = 0;

	if (memchr(h->head, '\0', h->n_head))
		return util_err_set(err, EBADMSG, "%s: NUL byte in the response header", h->where);
	h->head[h->n_head] = '\0';
	for (; (end = strstr(line, "\r\n")) != NULL; line = end + 2, n_line++) {
		char *colon, *value;

		*end = '\0';
		if (strpbrk(line, "\r\n"))
			return util_err_set(err, EBADMSG,
					    "%s: stray CR or LF in the response header", h->where);
		if (n_line == 0) {
			/* HTTP/1.x SP 3DIGIT [SP reason] */
			if ((strncmp(line, "HTTP/1.1 ", 9) != 0 &&
			     strncmp(line, "HTTP/1.0 ", 9) != 0) ||
			    line[9] < '1' || line[9] > '5' || line[10] < '0' || line[10] > '9' ||
			    line[11] < '0' || line[11] > '9' || (line[12] && line[12] != ' '))
				return util_err_set(err, EBADMSG, "%s: invalid status line \"%s\"",
						    h->where, dk_show(line, strlen(line), show));
			h->status =
				(line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
			(void)dk_show(line[12] ? line + 13 : "", line[12] ? strlen(line + 13) : 0,
				      h->reason);
			continue;
		}
		if (!*line)
			break; /* the empty line that ends the header */
		if (*line == ' ' || *line == '\t')
			return util_err_set(err, EBADMSG, "%s: folded header line", h->where);
		colon = strchr(line, ':');
		if (!colon || colon == line)
			return util_err_set(err, EBADMSG, "%s: invalid header line \"%s\"",
					    h->where, dk_show(line, strlen(line), show));
		for (char *c = line; c < colon; c++)
			if (!dk_is_tchar((unsigned char)*c))
				return util_err_set(err, EBADMSG, "%s: invalid header name \"%s\"",
						    h->where,
						    dk_show(line, (size_t)(colon - line), show));
		*colon = '\0';
		value = dk_trim(colon + 1);
		if (strcasecmp(line, "Transfer-Encoding") == 0) {
			if (strcasecmp(value, "chunked") != 0)
				return util_err_set(err, EBADMSG,
						    "%s: unsupported Transfer-Encoding \"%s\"",
						    h->where, dk_show(value, strlen(value), show));
			chunked = true;
		} else if (strcasecmp(line, "Content-Length") == 0) {
			uint64_t v;

			if (util_parse_u64(value, UINT64_MAX, &v) < 0 ||
			    (have_length && v != length))
				return util_err_set(err, EBADMSG,
						    "%s: invalid Content-Length \"%s\"", h->where,
						    dk_show(value, strlen(value), show));
			have_length = true;
			length = v;
		}
	}
	if (chunked && have_length)
		return util_err_set(err, EBADMSG,
				    "%s: both Transfer-Encoding and Content-Length in the response",
				    h->where);
	if (h->status < 200)
		return util_err_set(err, EBADMSG, "%s: unexpected interim response %d", h->where,
				    h->status);
	if (h->status == 204 || h->status == 304)
		h->state = DK_DONE;
	else if (chunked)
		h->state = DK_SIZE;
	else if (have_length) {
		if (h->max_body && length > h->max_body)
			return util_err_set(err, EFBIG, "%s: response body larger than %llu MiB",
					    h->where, (unsigned long long)(h->max_body >> 20));
		h->left = length;
		h->state = length ? DK_LENGTH : DK_DONE;
	} else {
		h->state = DK_TO_EOF;
	}
	return 0;
}

static int dk_http_body(struct dk_http *h, const char *p, size_t n, struct util_err *err)
{
	h->body += n;
	if (h->max_body && h->body > h->max_body)
		return util_err_set(err, EFBIG, "%s: response body larger than %llu MiB", h->where,
				    (unsigned long long)(h->max_body >> 20));
	return h->fn(h->userdata, p, n, err);
}

/* A chunk-size line: 1*HEXDIG [ BWS ";" extensions ]. */
static int dk_http_size(struct dk_http *h, struct util_err *err)
{
	char show[DK_SHOW_MAX + 8];
	uint64_t size = 0;
	size_t i = 0, j;

	for (; i < h->n_line; i++) {
		char c = h->line[i];
		unsigned v;

		if (c >= '0' && c <= '9')
			v = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v = (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v = (unsigned)(c - 'A' + 10);
		else
			break;
		if (i >= 15) /* past 2^60 is nothing the limits would let through */
			return util_err_set(err, EFBIG, "%s: chunk size \"%s\" too large", h->where,
					    dk_show(h->line, h->n_line, show));
		size = size * 16 + v;
	}
	for (j = i; j < h->n_line && (h->line[j] == ' ' || h->line[j] == '\t'); j++)
		;
	if (i == 0 || (j < h->n_line && h->line[j] != ';'))
		return util_err_set(err, EBADMSG, "%s: invalid chunk size \"%s\"", h->where,
				    dk_show(h->line, h->n_line, show));
	if (size == 0) {
		h->state = DK_TRAILER;
		return 0;
	}
	if (h->max_body && size > h->max_body - h->body)
		return util_err_set(err, EFBIG, "%s: response body larger than %llu MiB", h->where,
				    (unsigned long long)(h->max_body >> 20));
	h->left = size;
	h->state = DK_DATA;
	return 0;
}

/* One byte of a CRLF-terminated line; *ret_done when the line is complete (without CRLF). */
static int dk_http_line_byte(struct dk_http *h, char c, bool *ret_done, struct util_err *err)
{
	*ret_done = false;
	if (c == '\n') {
		if (h->n_line == 0 || h->line[h->n_line - 1] != '\r')
			return util_err_set(err, EBADMSG, "%s: bare LF in chunked framing",
					    h->where);
		h->n_line--;
		*ret_done = true;
		return 0;
	}
	if (h->n_line > 0 && h->line[h->n_line - 1] == '\r')
		return util_err_set(err, EBADMSG, "%s: bare CR in chunked framing", h->where);
	if (h->n_line >= sizeof(h->line))
		return util_err_set(err, EBADMSG, "%s: chunked framing line longer than %d bytes",
				    h->where, DK_MAX_LINE);
	h->line[h->n_line++] = c;
	return 0;
}

static int dk_http_feed(struct dk_http *h, const char *p, size_t n, struct util_err *err)
{
	int r = 0;

	while (n > 0 && r == 0) {
		switch (h->state) {
		case DK_HEAD: {
			size_t take = DK_MAX_HEAD - h->n_head, from;
			char *end;

			if (take > n)
				take = n;
			from = h->n_head > 3 ? h->n_head - 3 : 0;
			memcpy(h->head + h->n_head, p, take);
			h->n_head += take;
			end = memmem(h->head + from, h->n_head - from, "\r\n\r\n", 4);
			if (!end) {
				if (h->n_head == DK_MAX_HEAD)
					return util_err_set(
						err, EMSGSIZE,
						"%s: response header larger than %zu KiB", h->where,
						DK_MAX_HEAD >> 10);
				p += take;
				n -= take;
				break;
			}
			/* the bytes past the header are the body's: give them back */
			take -= h->n_head - (size_t)(end + 4 - h->head);
			h->n_head = (size_t)(end + 4 - h->head);
			p += take;
			n -= take;
			r = dk_http_head(h, err);
			break;
		}
		case DK_SIZE:
		case DK_DATA_END:
		case DK_TRAILER: {
			bool done;

			r = dk_http_line_byte(h, *p, &done, err);
			p++;
			n--;
			if (r < 0 || !done)
				break;
			if (h->state == DK_SIZE) {
				r = dk_http_size(h, err);
			} else if (h->state == DK_DATA_END) {
				if (h->n_line != 0)
					r = util_err_set(err, EBADMSG,
							 "%s: chunk data longer than its size",
							 h->where);
				h->state = DK_SIZE;
			} else {
				h->n_trailer += h->n_line + 2;
				if (h->n_trailer > DK_MAX_HEAD)
					r = util_err_set(err, EMSGSIZE,
							 "%s: trailer larger than %zu KiB",
							 h->where, DK_MAX_HEAD >> 10);
				if (h->n_line == 0)
					h->state = DK_DONE;
			}
			h->n_line = 0;
			break;
		}
		case DK_DATA:
		case DK_LENGTH: {
			size_t take = h->left < n ? (size_t)h->left : n;

			r = dk_http_body(h, p, take, err);
			p += take;
			n -= take;
			h->left -= take;
			if (h->left == 0)
				h->state = h->state == DK_DATA ? DK_DATA_END : DK_DONE;
			break;
		}
		case DK_TO_EOF:
			r = dk_http_body(h, p, n, err);
			n = 0;
			break;
		case DK_DONE:
		default:
			/* nothing may follow a response on a connection we asked to close */
			return util_err_set(err, EBADMSG, "%s: data after the end of the response",
					    h->where);
		}
	}
	return r;
}

/* The connection ended: fine only when that is how the body ends. */
static int dk_http_eof(struct dk_http *h, struct util_err *err)
{
	if (h->state == DK_TO_EOF)
		h->state = DK_DONE;
	if (h->state == DK_DONE)
		return 0;
	return util_err_set(err, EPIPE, "%s: connection closed in the middle of the response",
			    h->where);
}

/* ---- One blocking request ------------------------------------------------------------------ */

struct dk_buf {
	char *p;
	size_t n, cap;
};

static int dk_buf_append(void *userdata, const char *p, size_t n, struct util_err *err)
{
	struct dk_buf *b = userdata;

	if (b->n + n + 1 > b->cap) {
		while (b->n + n + 1 > b->cap)
			b->cap = b->cap ? b->cap * 2 : 4096;
		b->p = util_reallocarray(b->p, b->cap, 1);
	}
	memcpy(b->p + b->n, p, n);
	b->n += n;
	b->p[b->n] = '\0';
	return 0;
}

/* "GET target" on fd, the whole response read with h, within deadline. */
static char *dk_request(const char *target, bool close_after)
{
	return util_asprintf(
		"GET %s HTTP/1.1\r\nHost: docker\r\nUser-Agent: flowlock/" FLOWLOCK_VERSION
		"\r\nAccept: application/json\r\n%s\r\n",
		target, close_after ? "Connection: close\r\n" : "");
}

static int dk_exchange(int fd, const char *target, struct dk_http *h, bool close_after,
		       int64_t deadline, struct util_err *err)
{
	char *req = dk_request(target, close_after);
	char buf[16384];
	int r;

	r = dk_send_all(fd, req, strlen(req), deadline);
	free(req);
	if (r < 0)
		return util_err_set(err, -r, "%s: send: %s", h->where, strerror(-r));
	/* for the event stream, only the header is waited for here */
	while (close_after ? h->state != DK_DONE : h->state == DK_HEAD) {
		ssize_t got;

		r = dk_wait(fd, POLLIN, deadline);
		if (r == -ETIMEDOUT)
			return util_err_set(err, ETIMEDOUT, "%s: no complete answer within %d s",
					    h->where, DK_TIMEOUT_MS / 1000);
		if (r < 0)
			return util_err_set(err, -r, "%s: poll: %s", h->where, strerror(-r));
		got = read(fd, buf, sizeof(buf));
		if (got < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return util_err_set(err, errno, "%s: read: %s", h->where, strerror(errno));
		}
		if (got == 0)
			return dk_http_eof(h, err);
		r = dk_http_feed(h, buf, (size_t)got, err);
		if (r < 0)
			return r;
	}
	return 0;
}

/* ---- JSON, read with libyaml (JSON is YAML's flow syntax) ----------------------------------- */

/* JSON has one null, and a node that is not there counts as one. */
static bool dk_is_null(const struct learn_tree_node *n)
{
	return !n || (n->type == LEARN_TREE_SCALAR && n->plain && strcmp(n->str, "null") == 0);
}

/* A string member, or NULL when absent, null or not a string. */
static const char *dk_get_str(const struct learn_tree_node *map, const char *key)
{
	const struct learn_tree_node *n = learn_tree_get(map, key);

	return n && n->type == LEARN_TREE_SCALAR && !dk_is_null(n) ? n->str : NULL;
}

static const struct learn_tree_node *dk_get_type(const struct learn_tree_node *map, const char *key,
						 enum learn_tree_type type)
{
	const struct learn_tree_node *n = learn_tree_get(map, key);

	return n && n->type == type ? n : NULL;
}

struct dk_json {
	const char *where;
	struct util_err *err;
};

/* The tree's faults in the words of a JSON reader; positions are within buf. */
static int dk_json_fault(void *data, const struct learn_tree_fault *f)
{
	const struct dk_json *j = data;
	const char *what;

	switch (f->kind) {
	case LEARN_TREE_NOMEM:
		return util_err_set(j->err, ENOMEM, "%s: cannot initialise the YAML parser",
				    j->where);
	case LEARN_TREE_VALUES:
		return util_err_set(j->err, EFBIG, "%s: JSON with more than %zu values", j->where,
				    DK_MAX_NODES);
	case LEARN_TREE_DEPTH:
		return util_err_set(j->err, EBADMSG, "%s: JSON nested deeper than %d levels",
				    j->where, DK_MAX_DEPTH);
	case LEARN_TREE_EMPTY:
		return util_err_set(j->err, EBADMSG, "%s: empty JSON", j->where);
	case LEARN_TREE_ANCHOR:
	case LEARN_TREE_ALIAS:
		what = "YAML anchor or alias";
		break;
	case LEARN_TREE_DOCUMENTS:
		what = "more than one value";
		break;
	case LEARN_TREE_NUL:
		what = "NUL in a string";
		break;
	case LEARN_TREE_DUPLICATE:
		what = "a key twice in one object";
		break;
	case LEARN_TREE_SYNTAX:
	case LEARN_TREE_TOO_BIG:
	case LEARN_TREE_READ:
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
			 struct learn_tree_node **ret, struct util_err *err)
{
	struct dk_json j = {.where = where, .err = err};
	const struct learn_tree_opts opts = {
		.max_depth = DK_MAX_DEPTH,
		.max_values = DK_MAX_NODES,
		.one_document = true,
		.fault = dk_json_fault,
		.userdata = &j,
	};

	return learn_tree_parse_buffer(buf, len, &opts, ret);
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
static int dk_ctr_read(const struct learn_tree_node *obj, bool listed, struct dk_ctr *c, char *why,
		       size_t why_len)
{
	const struct learn_tree_node *labels, *nets, *net, *names, *state, *running;
	const char *mode;
	int r;

	memset(c, 0, sizeof(*c));
	if (!obj || obj->type != LEARN_TREE_MAP) {
		snprintf(why, why_len, "container is not a JSON object");
		return -EINVAL;
	}
	c->id = dk_get_str(obj, "Id");
	if (!c->id) {
		snprintf(why, why_len, "container without Id");
		return -EINVAL;
	}
	if (listed) {
		names = dk_get_type(obj, "Names", LEARN_TREE_SEQ);
		if (names && names->n_kids > 0 && names->kids[0]->type == LEARN_TREE_SCALAR)
			c->name = names->kids[0]->str;
		labels = learn_tree_get(obj, "Labels");
		c->running = true;
	} else {
		c->name = dk_get_str(obj, "Name");
		labels = learn_tree_get(dk_get_type(obj, "Config", LEARN_TREE_MAP), "Labels");
		state = dk_get_type(obj, "State", LEARN_TREE_MAP);
		running = learn_tree_get(state, "Running");
		c->running = running && running->type == LEARN_TREE_SCALAR && running->plain &&
			     strcmp(running->str, "true") == 0;
	}
	if (!c->name) {
		snprintf(why, why_len, "container without a name");
		return -EINVAL;
	}
	if (*c->name == '/')
		c->name++;
	if (!dk_is_null(labels) && labels->type != LEARN_TREE_MAP) {
		snprintf(why, why_len, "Labels is not an object");
		return -EINVAL;
	}
	c->project = dk_get_str(labels, "com.docker.compose.project");
	c->service = dk_get_str(labels, "com.docker.compose.service");

	/* a host-network container has no address of its own: its traffic is the host's */
	mode = dk_get_str(dk_get_type(obj, "HostConfig", LEARN_TREE_MAP), "NetworkMode");
	if (mode && strcmp(mode, "host") == 0) {
		c->host_network = true;
		return 0;
	}
	net = dk_get_type(obj, "NetworkSettings", LEARN_TREE_MAP);
	r = dk_ctr_ip(c, dk_get_str(net, "IPAddress"), why, why_len);
	if (r == 0)
		r = dk_ctr_ip(c, dk_get_str(net, "GlobalIPv6Address"), why, why_len);
	nets = learn_tree_get(net, "Networks");
	if (r == 0 && !dk_is_null(nets) && nets->type != LEARN_TREE_MAP) {
		snprintf(why, why_len, "Networks is not an object");
		r = -EINVAL;
	}
	for (size_t i = 1; r == 0 && nets && i < nets->n_kids; i += 2) {
		const struct learn_tree_node *one = nets->kids[i];

		if (dk_is_null(one))
			continue;
		if (one->type != LEARN_TREE_MAP) {
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

/* One GET /containers/{id}/json under way on a nonblocking connection of its own. */
struct dk_req {
	char *id; /* NULL: the slot is free */
	uint64_t ts;
	int fd;
	bool connecting; /* connect said EINPROGRESS: writable means done */
	bool connected;
	char *msg;
	size_t n_msg, o_msg;
	char *where;
	struct dk_http http;
	struct dk_buf body;
	int64_t deadline;
};

struct learn_docker {
	char *path;
	struct sockaddr_un sa;
	struct learn_inventory *inv;
	int fd; /* the event stream */
	char *where;
	struct dk_http http;
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
	struct dk_req reqs[DK_INFLIGHT];
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

static void dk_own(struct learn_docker *d, const char *id)
{
	struct dk_owned *o;

	HASH_FIND_STR(d->owned, id, o);
	if (o)
		return;
	o = util_zalloc(sizeof(*o));
	o->id = util_strdup(id);
	HASH_ADD_KEYPTR(hh, d->owned, o->id, strlen(o->id), o);
}

static void dk_remove(struct learn_docker *d, const char *id, uint64_t ts)
{
	struct dk_owned *o;

	learn_inventory_remove_container(d->inv, id, ts);
	HASH_FIND_STR(d->owned, id, o);
	if (!o)
		return;
	HASH_DEL(d->owned, o);
	free(o->id);
	free(o);
}

/* The engine can no longer tell us who dies: every claim this client opened ends at ts. */
static void dk_close_claims(struct learn_docker *d, uint64_t ts)
{
	struct dk_owned *o, *tmp;

	HASH_ITER (hh, d->owned, o, tmp) {
		learn_inventory_remove_container(d->inv, o->id, ts);
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
static void dk_refuse(struct learn_docker *d, const char *id, uint64_t ts, const char *why)
{
	d->refused++;
	(void)util_err_set(&d->last_refusal, EINVAL, "%s: container skipped: %s", d->path, why);
	if (id && util_docker_name(id))
		dk_remove(d, id, ts);
}

static void dk_apply(struct learn_docker *d, const struct dk_ctr *c, uint64_t ts)
{
	const struct learn_container lc = {
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
	if (learn_inventory_set_container(d->inv, &lc, ts, &err) < 0)
		dk_refuse(d, c->id, ts, err.msg);
	else
		dk_own(d, c->id);
}

/* GET target on a connection of its own, blocking until the deadline; *ret_body ends in NUL. */
static int dk_get_request(struct learn_docker *d, const char *target, int *ret_status,
			  char **ret_body, size_t *ret_len, struct util_err *err)
{
	char *where = util_asprintf("%s: GET %s", d->path, target);
	int64_t deadline = dk_monotonic_ms() + DK_TIMEOUT_MS;
	struct dk_buf body = {0};
	struct dk_http h;
	int fd = -1, r;

	r = dk_connect(d->path, deadline, &fd, err);
	if (r < 0)
		goto out;
	dk_http_init(&h, where, DK_MAX_BODY, dk_buf_append, &body);
	r = dk_exchange(fd, target, &h, true, deadline, err);
	if (r == 0) {
		(void)dk_buf_append(&body, "", 0, NULL);
		*ret_status = h.status;
		*ret_body = body.p;
		*ret_len = body.n;
		body.p = NULL;
	}
	dk_http_clear(&h);
out:
	if (fd >= 0)
		close(fd);
	free(body.p);
	free(where);
	return r;
}

/* A status other than 200, with the engine's own {"message": ...} when it sent one. */
static int dk_status_error(struct learn_docker *d, const char *target, int status, const char *body,
			   size_t len, struct util_err *err)
{
	char show[DK_SHOW_MAX + 8] = "";
	struct learn_tree_node *root = NULL;
	struct util_err ignored;
	const char *msg;

	if (dk_json_parse(body, len, "", &root, &ignored) == 0 &&
	    (msg = dk_get_str(root, "message")) != NULL)
		(void)dk_show(msg, strlen(msg), show);
	learn_tree_free(root);
	return util_err_set(err, EPROTO, "%s: GET %s: HTTP status %d%s%s", d->path, target, status,
			    *show ? ": " : "", show);
}

/*
 * The engine's answer about one container, applied as of ts. A container gone is no error;
 * any other failure costs this container only: it stays unknown, or keeps its old claim.
 */
static void dk_inspect_done(struct learn_docker *d, const char *id, uint64_t ts, int status,
			    const char *body, size_t len)
{
	char *target = util_asprintf("/containers/%s/json", id);
	char *where = util_asprintf("%s: GET %s", d->path, target);
	struct learn_tree_node *root = NULL;
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
	learn_tree_free(root);
	free(where);
	free(target);
}

static void dk_req_clear(struct dk_req *q)
{
	if (!q->id)
		return;
	if (q->fd >= 0)
		close(q->fd);
	dk_http_clear(&q->http);
	free(q->body.p);
	free(q->msg);
	free(q->where);
	free(q->id);
	memset(q, 0, sizeof(*q));
	q->fd = -1;
}

static void dk_req_fail(struct learn_docker *d, struct dk_req *q)
{
	d->failed_inspects++;
	dk_req_clear(q);
}

/* Takes the oldest queued container into the free slot q. */
static void dk_req_start(struct learn_docker *d, struct dk_req *q, int64_t now)
{
	struct dk_pending *p = d->queue;
	char *target;

	HASH_DEL(d->queue, p);
	memset(q, 0, sizeof(*q));
	q->id = p->id;
	q->ts = p->ts;
	free(p);
	target = util_asprintf("/containers/%s/json", q->id);
	q->where = util_asprintf("%s: GET %s", d->path, target);
	q->msg = dk_request(target, true);
	q->n_msg = strlen(q->msg);
	free(target);
	q->deadline = now + DK_TIMEOUT_MS;
	dk_http_init(&q->http, q->where, DK_MAX_BODY, dk_buf_append, &q->body);
	q->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (q->fd < 0) {
		(void)util_err_set(&d->last_problem, errno, "%s: socket: %s", d->path,
				   strerror(errno));
		dk_req_fail(d, q);
	}
}

/*
 * Moves a request on as far as it goes without waiting: 1 when the response is complete, 0
 * with *ret_events what to wait for (0: try again shortly), or -errno with the problem in err.
 */
static int dk_req_step(struct learn_docker *d, struct dk_req *q, short *ret_events,
		       struct util_err *err)
{
	char buf[16384];
	int r;

	if (!q->connected && q->connecting) {
		struct pollfd p = {.fd = q->fd, .events = POLLOUT};
		socklen_t len = sizeof(r);

		if (poll(&p, 1, 0) == 0) {
			*ret_events = POLLOUT;
			return 0;
		}
		r = 0;
		if (getsockopt(q->fd, SOL_SOCKET, SO_ERROR, &r, &len) < 0)
			r = errno;
		if (r)
			return util_err_set(err, r, "%s: connect: %s", d->path, strerror(r));
		q->connected = true;
	}
	while (!q->connected) {
		if (connect(q->fd, (struct sockaddr *)&d->sa, sizeof(d->sa)) == 0) {
			q->connected = true;
		} else if (errno == EINPROGRESS) {
			q->connecting = true;
			*ret_events = POLLOUT;
			return 0;
		} else if (errno == EAGAIN) {
			*ret_events = 0; /* the engine's backlog is full */
			return 0;
		} else if (errno != EINTR) {
			return util_err_set(err, errno, "%s: connect: %s", d->path,
					    strerror(errno));
		}
	}
	while (q->o_msg < q->n_msg) {
		ssize_t w = send(q->fd, q->msg + q->o_msg, q->n_msg - q->o_msg, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			*ret_events = POLLOUT;
			return 0;
		}
		if (w < 0)
			return util_err_set(err, errno, "%s: send: %s", q->where, strerror(errno));
		q->o_msg += (size_t)w;
	}
	for (;;) {
		ssize_t got = read(q->fd, buf, sizeof(buf));

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			*ret_events = POLLIN;
			return 0;
		}
		if (got < 0)
			return util_err_set(err, errno, "%s: read: %s", q->where, strerror(errno));
		if (got == 0) {
			r = dk_http_eof(&q->http, err);
			return r < 0 ? r : 1;
		}
		r = dk_http_feed(&q->http, buf, (size_t)got, err);
		if (r < 0)
			return r;
		if (q->http.state == DK_DONE)
			return 1;
	}
}

static size_t dk_reqs_busy(const struct learn_docker *d)
{
	size_t n = 0;

	for (size_t i = 0; i < DK_INFLIGHT; i++)
		n += d->reqs[i].id != NULL;
	return n;
}

/*
 * Works on queued inspects until `end` (monotonic ms): at most DK_INFLIGHT at once, at most
 * `starts` begun. What is not done by then stays queued or under way for the next call.
 */
static void dk_inspects_run(struct learn_docker *d, int64_t end, int starts)
{
	for (;;) {
		struct pollfd p[DK_INFLIGHT];
		int64_t now = dk_monotonic_ms(), wake = end;
		bool progress = false, retry = false;
		nfds_t n = 0;

		for (size_t i = 0; i < DK_INFLIGHT && d->queue && starts > 0; i++) {
			if (d->reqs[i].id)
				continue;
			dk_req_start(d, &d->reqs[i], now);
			starts--;
		}
		for (size_t i = 0; i < DK_INFLIGHT; i++) {
			struct dk_req *q = &d->reqs[i];
			short events = 0;
			int r;

			if (!q->id)
				continue;
			r = dk_req_step(d, q, &events, &d->last_problem);
			if (r == 0 && now >= q->deadline)
				r = util_err_set(&d->last_problem, ETIMEDOUT,
						 "%s: no complete answer within %d s", q->where,
						 DK_TIMEOUT_MS / 1000);
			if (r < 0) {
				dk_req_fail(d, q);
				progress = true;
			} else if (r == 1) {
				(void)dk_buf_append(&q->body, "", 0, NULL);
				dk_inspect_done(d, q->id, q->ts, q->http.status, q->body.p,
						q->body.n);
				dk_req_clear(q);
				progress = true;
			} else if (events) {
				p[n++] = (struct pollfd){.fd = q->fd, .events = events};
			} else {
				retry = true;
			}
			if (q->id && q->deadline < wake)
				wake = q->deadline;
		}
		if (dk_reqs_busy(d) == 0 && (!d->queue || starts <= 0))
			return;
		if (progress)
			continue; /* free slots: start more, within what this call may begin */
		now = dk_monotonic_ms();
		if (now >= end)
			return;
		if (retry && wake > now + 5)
			wake = now + 5;
		(void)poll(p, n, (int)(wake - now));
	}
}

/* Remembers that id must be asked about, as of ts; once per container however often. */
static void dk_enqueue(struct learn_docker *d, const char *id, uint64_t ts)
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
static void dk_forget(struct learn_docker *d, const char *id)
{
	struct dk_pending *p;

	HASH_FIND_STR(d->queue, id, p);
	if (p) {
		HASH_DEL(d->queue, p);
		free(p->id);
		free(p);
	}
	for (size_t i = 0; i < DK_INFLIGHT; i++)
		if (d->reqs[i].id && strcmp(d->reqs[i].id, id) == 0)
			dk_req_clear(&d->reqs[i]);
}

static void dk_abandon(struct learn_docker *d)
{
	struct dk_pending *p, *tmp;

	HASH_ITER (hh, d->queue, p, tmp) {
		HASH_DEL(d->queue, p);
		free(p->id);
		free(p);
		d->abandoned++;
	}
	for (size_t i = 0; i < DK_INFLIGHT; i++) {
		if (d->reqs[i].id)
			d->abandoned++;
		dk_req_clear(&d->reqs[i]);
	}
}

#define DK_LIST_TARGET "/containers/json"

/* The engine's answer to GET /containers/json: every running container is applied now. */
static int dk_list_apply(struct learn_docker *d, int status, const char *body, size_t len,
			 struct util_err *err)
{
	char *where = NULL;
	struct learn_tree_node *root = NULL;
	uint64_t now;
	int r;

	if (status != 200)
		return dk_status_error(d, DK_LIST_TARGET, status, body, len, err);
	where = util_asprintf("%s: GET %s", d->path, DK_LIST_TARGET);
	r = dk_json_parse(body, len, where, &root, err);
	if (r < 0)
		goto out;
	if (root->type != LEARN_TREE_SEQ) {
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
	learn_tree_free(root);
	free(where);
	return r;
}

static int dk_list(struct learn_docker *d, struct util_err *err)
{
	char *body = NULL;
	size_t len = 0;
	int status = 0, r;

	r = dk_get_request(d, DK_LIST_TARGET, &status, &body, &len, err);
	if (r == 0)
		r = dk_list_apply(d, status, body, len, err);
	free(body);
	return r;
}

/* When the event happened by the engine's clock: timeNano, else time, else now. */
static uint64_t dk_event_time(const struct learn_tree_node *ev)
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
static void dk_event(struct learn_docker *d, const char *line, size_t len)
{
	const struct learn_tree_node *actor, *attrs;
	const char *type, *action, *id = NULL;
	char show[DK_SHOW_MAX + 8], why[256];
	struct learn_tree_node *ev = NULL;
	bool set = false;
	uint64_t ts;

	if (dk_json_parse(line, len, d->where, &ev, &d->last_problem) < 0) {
		d->bad_events++;
		return;
	}
	if (ev->type != LEARN_TREE_MAP) {
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
	actor = dk_get_type(ev, "Actor", LEARN_TREE_MAP);
	attrs = dk_get_type(actor, "Attributes", LEARN_TREE_MAP);
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
	learn_tree_free(ev);
}

/* Applies every complete line in the event buffer; keeps the partial one. */
static int dk_events_run(struct learn_docker *d, struct util_err *err)
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

/* The event stream's body: one JSON object per line, lines split anywhere across chunks. */
static int dk_events_body(void *userdata, const char *p, size_t n, struct util_err *err)
{
	struct learn_docker *d = userdata;

	/* held events are few (one read's worth); a running stream is cut by dk_events_run() */
	if (d->n_ev + n > DK_MAX_BODY)
		return util_err_set(err, EMSGSIZE, "%s: more than %zu MiB of events unapplied",
				    d->where, DK_MAX_BODY >> 20);
	if (d->n_ev + n > d->cap_ev) {
		while (d->n_ev + n > d->cap_ev)
			d->cap_ev = d->cap_ev ? d->cap_ev * 2 : 16384;
		d->ev = util_reallocarray(d->ev, d->cap_ev, 1);
	}
	memcpy(d->ev + d->n_ev, p, n);
	d->n_ev += n;
	return d->hold ? 0 : dk_events_run(d, err);
}

/* Request-target characters: RFC 3986 unreserved pass, everything else is percent-encoded. */
static char *dk_url_encode(const char *s)
{
	char *out = util_zalloc(strlen(s) * 3 + 1), *o = out;

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    strchr("-._~", c))
			*o++ = (char)c;
		else
			o += sprintf(o, "%%%02X", c);
	}
	return out;
}

/* The stream is over (r < 0, the reason in d->end_err): what it said is drained, then reported. */
static void dk_end(struct learn_docker *d, int r)
{
	if (d->ended)
		return;
	d->ended = r;
	d->drain_until = dk_monotonic_ms() + DK_TIMEOUT_MS;
}

/* Reads what the event stream has, at most DK_READS_PER_RUN times and until `end`. */
static void dk_stream_read(struct learn_docker *d, int64_t end)
{
	char buf[16384];

	for (int i = 0; i < DK_READS_PER_RUN && !d->ended && dk_monotonic_ms() < end; i++) {
		ssize_t n = read(d->fd, buf, sizeof(buf));
		int r;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			/* a reset is the engine leaving, as an orderly close is */
			dk_end(d, util_err_set(&d->end_err, errno == ECONNRESET ? EPIPE : errno,
					       "%s: read: %s", d->where, strerror(errno)));
		} else if (n == 0) {
			dk_end(d, util_err_set(&d->end_err, EPIPE,
					       "%s: the Docker Engine closed the event stream",
					       d->where));
		} else {
			r = dk_http_feed(&d->http, buf, (size_t)n, &d->end_err);
			if (r == 0 && d->http.state == DK_DONE)
				r = util_err_set(&d->end_err, EPIPE,
						 "%s: the Docker Engine ended the event stream",
						 d->where);
			if (r < 0)
				dk_end(d, r);
		}
	}
}

struct learn_docker *learn_docker_free(struct learn_docker *d)
{
	struct dk_owned *o, *tmp;

	if (!d)
		return NULL;
	if (d->fd >= 0)
		close(d->fd);
	dk_abandon(d);
	HASH_ITER (hh, d->owned, o, tmp) {
		HASH_DEL(d->owned, o);
		free(o->id);
		free(o);
	}
	dk_http_clear(&d->http);
	free(d->ev);
	free(d->where);
	free(d->path);
	free(d);
	return NULL;
}

/* A client of the engine at socket_path, not yet connected. */
static struct learn_docker *dk_new(const char *socket_path, struct learn_inventory *inv)
{
	struct learn_docker *d = util_zalloc(sizeof(*d));

	d->path = util_strdup(socket_path ? socket_path : LEARN_DOCKER_SOCKET);
	d->inv = inv;
	d->fd = -1;
	for (size_t i = 0; i < DK_INFLIGHT; i++)
		d->reqs[i].fd = -1;
	d->where = util_asprintf("%s: GET /events", d->path);
	dk_http_init(&d->http, d->where, 0, dk_events_body, d);
	return d;
}

int learn_docker_open(const char *socket_path, struct learn_inventory *inv,
		      struct learn_docker **ret, struct util_err *err)
{
	char *filters = dk_url_encode("{\"type\":[\"container\",\"network\"]}");
	char *target = util_asprintf("/events?filters=%s", filters);
	struct learn_docker *d = dk_new(socket_path, inv);
	int64_t deadline;
	int r, flags;

	r = dk_sockaddr(d->path, &d->sa, err);
	if (r < 0)
		goto out;

	/*
	 * Subscribe first, then list: a container that starts in between is in the list, or its
	 * events are held and applied after it (setting a container twice changes nothing).
	 */
	d->hold = true;
	deadline = dk_monotonic_ms() + DK_TIMEOUT_MS;
	r = dk_connect(d->path, deadline, &d->fd, err);
	if (r < 0)
		goto out;
	r = dk_exchange(d->fd, target, &d->http, false, deadline, err);
	if (r < 0)
		goto out;
	if (d->http.status != 200) {
		r = util_err_set(err, EPROTO, "%s: HTTP status %d%s%s", d->where, d->http.status,
				 *d->http.reason ? " " : "", d->http.reason);
		goto out;
	}
	r = dk_list(d, err);
	if (r < 0)
		goto out;
	d->hold = false;
	r = dk_events_run(d, err);
	if (r < 0)
		goto out;
	/* a stream that already ended is reported by dispatch, once what it said is applied */
	if (d->http.state == DK_DONE)
		dk_end(d, util_err_set(&d->end_err, EPIPE,
				       "%s: the Docker Engine ended the event stream", d->where));
	/* open may block: the held events are answered now, within one request's time */
	dk_inspects_run(d, dk_monotonic_ms() + DK_TIMEOUT_MS, DK_QUEUE_MAX);
	flags = fcntl(d->fd, F_GETFL);
	if (flags < 0 || fcntl(d->fd, F_SETFL, flags | O_NONBLOCK) < 0) {
		r = util_err_set(err, errno, "%s: fcntl: %s", d->path, strerror(errno));
		goto out;
	}
	*ret = d;
	d = NULL;
out:
	learn_docker_free(d);
	free(target);
	free(filters);
	return r;
}

int learn_docker_fd(const struct learn_docker *d)
{
	return d->fd;
}

bool learn_docker_busy(const struct learn_docker *d)
{
	return d->queue || dk_reqs_busy(d) > 0 || (d->ended && !d->failed);
}

int learn_docker_dispatch(struct learn_docker *d, struct util_err *err)
{
	int64_t end = dk_monotonic_ms() + DK_BUDGET_MS;

	if (d->failed)
		return util_err_set(err, -d->failed, "%s: the event stream failed earlier",
				    d->where);
	if (!d->ended)
		dk_stream_read(d, end);
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

int learn_docker_check_access(const char *socket_path, struct util_err *err)
{
	const char *path = socket_path ? socket_path : LEARN_DOCKER_SOCKET;
	struct util_err e;
	int fd = -1, r;

	r = dk_connect(path, dk_monotonic_ms() + DK_TIMEOUT_MS, &fd, &e);
	if (r == -EACCES || r == -EPERM)
		return util_err_set(err, -r,
				    "%s: connect: %s (the user given with --user needs access to "
				    "the Docker socket, e.g. the docker group)",
				    path, strerror(-r));
	if (r < 0) {
		if (err)
			*err = e;
		return r;
	}
	close(fd);
	return 0;
}

/* ---- Replay (tests and fuzzing only: learn-private.h) -------------------------------------- */

/* Feeds p to h in reads of step bytes, then the end of the connection. */
static int dk_replay_response(struct dk_http *h, const char *p, size_t n, size_t step,
			      struct util_err *err)
{
	int r = 0;

	for (size_t off = 0; r == 0 && off < n; off += step)
		r = dk_http_feed(h, p + off, n - off < step ? n - off : step, err);
	return r < 0 || h->state == DK_DONE ? r : dk_http_eof(h, err);
}

/* Answers the queued inspects, oldest first, as dk_inspects_run() would. */
static void dk_replay_inspects(struct learn_docker *d, const struct learn_docker_replay *rp,
			       size_t step, size_t *next)
{
	while (d->queue && *next < rp->count) {
		struct dk_pending *p = d->queue;
		char *where = util_asprintf("%s: GET /containers/%s/json", d->path, p->id);
		struct dk_buf body = {0};
		struct dk_http h;

		HASH_DEL(d->queue, p);
		dk_http_init(&h, where, DK_MAX_BODY, dk_buf_append, &body);
		if (dk_replay_response(&h, rp->inspects[*next], rp->n_inspects[*next], step,
				       &d->last_problem) < 0) {
			d->failed_inspects++;
		} else {
			(void)dk_buf_append(&body, "", 0, NULL);
			dk_inspect_done(d, p->id, p->ts, h.status, body.p, body.n);
		}
		(*next)++;
		dk_http_clear(&h);
		free(body.p);
		free(where);
		free(p->id);
		free(p);
	}
}

int learn_docker_replay(struct learn_inventory *inv, const struct learn_docker_replay *rp,
			struct util_err *err)
{
	struct learn_docker *d = dk_new("replay", inv);
	size_t step = rp->read_size ? rp->read_size : 1, off = 0, next = 0;
	struct dk_buf list = {0};
	struct dk_http h;
	int r = 0;

	/* learn_docker_open(): the stream's header, events held, then the list */
	d->hold = true;
	for (; r == 0 && d->http.state == DK_HEAD && off < rp->n_events; off += step)
		r = dk_http_feed(&d->http, rp->events + off,
				 rp->n_events - off < step ? rp->n_events - off : step, err);
	if (r == 0 && d->http.state == DK_HEAD)
		r = dk_http_eof(&d->http, err);
	if (r == 0 && d->http.status != 200)
		r = util_err_set(err, EPROTO, "%s: HTTP status %d", d->where, d->http.status);
	if (r < 0)
		goto out;
	dk_http_init(&h, "replay: GET " DK_LIST_TARGET, DK_MAX_BODY, dk_buf_append, &list);
	r = dk_replay_response(&h, rp->list, rp->n_list, step, err);
	dk_http_clear(&h);
	if (r == 0) {
		(void)dk_buf_append(&list, "", 0, NULL);
		r = dk_list_apply(d, h.status, list.p, list.n, err);
	}
	if (r < 0)
		goto out;
	d->hold = false;
	r = dk_events_run(d, err);
	if (r < 0)
		goto out;
	if (d->http.state == DK_DONE)
		dk_end(d, util_err_set(&d->end_err, EPIPE, "%s: ended", d->where));
	dk_replay_inspects(d, rp, step, &next);

	/* learn_docker_dispatch(): the rest of the stream, a read at a time */
	for (; !d->ended && off < rp->n_events; off += step) {
		r = dk_http_feed(&d->http, rp->events + off,
				 rp->n_events - off < step ? rp->n_events - off : step,
				 &d->end_err);
		if (r == 0 && d->http.state == DK_DONE)
			r = util_err_set(&d->end_err, EPIPE, "%s: ended", d->where);
		if (r < 0)
			dk_end(d, r);
		dk_replay_inspects(d, rp, step, &next);
	}
	r = 0;
	dk_abandon(d);
	dk_close_claims(d, util_now_ns(CLOCK_REALTIME));
out:
	free(list.p);
	learn_docker_free(d);
	return r;
}
