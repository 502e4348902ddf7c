/* SPDX-License-Identifier: Apache-2.0 */
/*
 * inventory-watch.c - the inventory as a watch: streams that never end, such as `kubectl get pods
 * -A --watch --output-watch-events -o json`, read on a thread each and applied object by object.
 *
 * kubectl writes one JSON value per change, each after the last. libyaml reads one document and
 * takes whatever follows for more of it, so each value is found by its brackets first (strings
 * and escapes kept track of) and handed to a parser of its own, which reads it as it comes: a
 * List of 20,000 pods is read item by item, never held. What the thread makes of each value goes
 * to the agent's thread through a short queue, and is applied there at the time it arrives.
 */
#include "inventory/inventory-private.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

/* Objects a stream may have made but not yet applied: the thread waits beyond this. */
#define WATCH_QUEUE_MAX 256
/* A deleted pod's addresses stay its own for flows before its deletion this long. */
#define WATCH_KEEP_GONE_NS (600 * UTIL_NSEC_PER_SEC)
/* ... and at most this many deleted pods are kept per stream, the oldest dropped first. */
#define WATCH_GONE_MAX 16384
/*
 * A reopened stream lists everything again; it is taken as done once quiet this long, or once
 * an object it listed again comes again (a change: the listing is over), or at most after the
 * longest.
 */
#define WATCH_RELIST_QUIET_NS (2 * UTIL_NSEC_PER_SEC)
#define WATCH_RELIST_MAX_NS   (120 * UTIL_NSEC_PER_SEC)
/* How long to wait before reopening a FIFO whose writer left. */
#define WATCH_REOPEN_MS 1000
/* Lookups are rebuilt at most this often, and never more than a fifth of the time. */
#define WATCH_REBUILD_MIN_NS (50 * 1000 * 1000ull)
#define WATCH_MAX_DEPTH	     64
/* One value: a List can be as long as an inventory file. */
#define WATCH_MAX_VALUE ((size_t)4 << 30)

enum watch_msg_type {
	WATCH_OPENED,	  /* the stream (re)opened */
	WATCH_UPSERT,	  /* an object added or modified, or an item of a List */
	WATCH_DELETE,	  /* an object deleted */
	WATCH_LIST_BEGIN, /* a List: what follows replaces everything the stream said */
	WATCH_LIST_END,
	WATCH_LIST_ABORT, /* ... cut short: nothing is taken as gone */
	WATCH_NOTE,	  /* something to say: an event skipped */
	WATCH_ENDED,	  /* the stream ended; text says how */
};

struct watch_msg {
	enum watch_msg_type type;
	char *key;	       /* UPSERT, DELETE: "Kind/uid", or "Kind/ns/name" */
	struct inv_batch *rec; /* UPSERT, DELETE: what the object said, or NULL */
	char *text;	       /* NOTE, ENDED */
	bool reopen;	       /* ENDED: the stream will be opened again */
	struct watch_msg *next;
};

/* One object a stream holds: kept in the order it came, its records in rec. */
struct watch_entry {
	char *key;
	struct inv_batch rec;
	unsigned gen;	  /* the stream's listing it was last seen in */
	uint64_t gone_ns; /* when it was deleted (a pod, kept for a while), 0 while it exists */
	UT_hash_handle hh;
};

/* The thread's reader: the stream's bytes, handed to libyaml one value at a time. */
struct watch_src {
	struct inv_stream *s;
	int fd;
	char buf[16384];
	size_t pos, len;
	bool eof, failed;
	int error;
	size_t line;  /* of the next byte, 1-based */
	bool col0;    /* the next byte starts a line */
	size_t total; /* bytes read before this opening */
	/* the value being handed over */
	size_t start_line, depth, handed;
	bool in_str, esc, done, cut;
};

/* The value's reading context: inv_ctx first, for inventory-k8s.c's field readers. */
struct watch_ctx {
	struct inv_ctx ic;
	struct inv_stream *s;
	struct util_err err;
	bool listing;	 /* a List's items have been posted */
	bool list_ended; /* ... and its end */
	bool yaml;	 /* YAML read to its end: all of it is one listing */
};

struct inv_stream {
	struct inventory *inv;
	char *path;
	util_warn_fn say;
	void *userdata;
	bool reopens; /* a named FIFO: opened again when its writer leaves */
	/* shared with the thread, under lock */
	pthread_t thread;
	bool started;
	pthread_mutex_t lock;
	pthread_cond_t room;
	struct watch_msg *head, *tail;
	size_t n_msgs;
	bool stop;
	int cancel_efd;
	size_t processed; /* bytes read and made into messages, over every opening */
	/* the agent's thread's */
	struct watch_entry *entries;
	size_t n_gone;
	unsigned gen, opens;
	bool relisting;	      /* reopened: what is not listed again was deleted meanwhile */
	size_t relisted;      /* objects since it reopened */
	uint64_t relist_from; /* monotonic: when the first of them came */
	bool relist_over;     /* one of them came twice */
	uint64_t broke_ns;    /* wall time it ended, for what relisting finds gone */
	bool down;	      /* ended, and not opened since */
	uint64_t last_news;
	size_t values;	      /* objects applied */
	uint64_t next_expire; /* wall time: gone pods are looked at once a second */
	bool ended;	      /* ended for good */
	bool list_open;
};

/* ---- The thread: reading ------------------------------------------------------------------ */

static void watch_post(struct inv_stream *s, struct watch_msg *m)
{
	uint64_t one = 1;

	pthread_mutex_lock(&s->lock);
	while (s->n_msgs >= WATCH_QUEUE_MAX && !s->stop)
		pthread_cond_wait(&s->room, &s->lock);
	if (s->tail)
		s->tail->next = m;
	else
		s->head = m;
	s->tail = m;
	s->n_msgs++;
	pthread_mutex_unlock(&s->lock);
	(void)!write(s->inv->stream_efd, &one, sizeof(one));
}

static void watch_post_text(struct inv_stream *s, enum watch_msg_type type, bool reopen,
			    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void watch_post_text(struct inv_stream *s, enum watch_msg_type type, bool reopen,
			    const char *fmt, ...)
{
	struct watch_msg *m = util_zalloc(sizeof(*m));
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&m->text, fmt, ap) < 0)
		abort(); /* out of memory, as util's allocation wrappers */
	va_end(ap);
	m->type = type;
	m->reopen = reopen;
	watch_post(s, m);
}

static bool watch_stopped(struct inv_stream *s)
{
	bool stop;

	pthread_mutex_lock(&s->lock);
	stop = s->stop;
	pthread_mutex_unlock(&s->lock);
	return stop;
}

/*
 * Waits for the stream's next bytes; false at its end, on an error, or when told to stop.
 * between: no value is half read, so every byte so far has made its messages.
 */
static bool src_fill(struct watch_src *src, bool between)
{
	struct pollfd fds[2] = {{.fd = src->fd, .events = POLLIN},
				{.fd = src->s->cancel_efd, .events = POLLIN}};
	ssize_t n;

	while (src->pos == src->len) {
		if (between) {
			pthread_mutex_lock(&src->s->lock);
			src->s->processed = src->total;
			pthread_mutex_unlock(&src->s->lock);
		}
		if (src->eof || src->failed)
			return false;
		if (poll(fds, 2, -1) < 0 && errno != EINTR) {
			src->failed = true;
			src->error = errno;
			return false;
		}
		if (fds[1].revents) {
			src->failed = true;
			src->error = ECANCELED;
			return false;
		}
		if (!fds[0].revents)
			continue;
		n = read(src->fd, src->buf, sizeof(src->buf));
		if (n > 0) {
			src->pos = 0;
			src->len = (size_t)n;
			src->total += (size_t)n;
		} else if (n == 0) {
			src->eof = true;
		} else if (errno != EAGAIN && errno != EINTR) {
			src->failed = true;
			src->error = errno;
		}
	}
	return true;
}

static void src_advance(struct watch_src *src, char c)
{
	src->pos++;
	src->col0 = c == '\n';
	src->line += c == '\n';
}

/*
 * Up to the start of the next value, which is a mapping or a sequence: anything else between
 * values is skipped a line at a time, and said.
 */
static bool src_next_value(struct watch_src *src)
{
	size_t junk = 0, junk_line = 0;

	for (;;) {
		char c;

		if (!src_fill(src, true))
			break;
		c = src->buf[src->pos];
		if (junk == 0 && (c == '{' || c == '[')) {
			src->start_line = src->line;
			src->depth = src->handed = 0;
			src->in_str = src->esc = src->done = src->cut = false;
			return true;
		}
		if (junk || (c != ' ' && c != '\t' && c != '\r' && c != '\n')) {
			if (!junk)
				junk_line = src->line;
			junk++;
			if (c == '\n') {
				watch_post_text(
					src->s, WATCH_NOTE, false,
					"%s:%zu: %zu bytes that begin no JSON value: skipped",
					src->s->path, junk_line, junk);
				junk = 0;
			}
		}
		src_advance(src, c);
	}
	if (junk)
		watch_post_text(src->s, WATCH_NOTE, false,
				"%s:%zu: %zu bytes that begin no JSON value: skipped", src->s->path,
				junk_line, junk);
	return false;
}

/*
 * The cookie's read: the value's bytes, ending where its brackets close. A '{' or '[' that
 * starts a line inside a value begins the next one (kubectl indents what is inside, or writes
 * each value on a line of its own): the writer was cut off mid-value, and that value ends here.
 */
static ssize_t src_read(void *cookie, char *out, size_t size)
{
	struct watch_src *src = cookie;
	size_t n = 0;

	while (n < size && !src->done) {
		char c;

		if (src->pos == src->len && (n > 0 || !src_fill(src, false)))
			break;
		c = src->buf[src->pos];
		if (src->handed > 0 && src->col0 && (c == '{' || c == '[')) {
			src->cut = src->done = true;
			break;
		}
		out[n++] = c;
		src->handed++;
		src_advance(src, c);
		if (src->in_str) {
			if (src->esc)
				src->esc = false;
			else if (c == '\\')
				src->esc = true;
			else if (c == '"')
				src->in_str = false;
		} else if (c == '"') {
			src->in_str = true;
		} else if (c == '{' || c == '[') {
			src->depth++;
		} else if ((c == '}' || c == ']') && src->depth > 0 && --src->depth == 0) {
			src->done = true;
		}
	}
	return (ssize_t)n;
}

/* ---- The thread: what a value says -------------------------------------------------------- */

/* "Kind/uid", or "Kind/ns/name" for an object without a uid (a hand-made stream). */
static char *watch_key(const struct util_yaml_node *obj, const char *kind)
{
	const struct util_yaml_node *meta = util_yaml_get(obj, "metadata");
	const struct util_yaml_node *uid = util_yaml_get(meta, "uid");
	const struct util_yaml_node *ns = util_yaml_get(meta, "namespace");
	const struct util_yaml_node *name = util_yaml_get(meta, "name");

	if (uid && uid->type == UTIL_YAML_SCALAR && *uid->str)
		return util_asprintf("%s/%s", kind, uid->str);
	return util_asprintf("%s/%s/%s", kind, ns && ns->type == UTIL_YAML_SCALAR ? ns->str : "",
			     name && name->type == UTIL_YAML_SCALAR ? name->str : "");
}

static bool batch_empty(const struct inv_batch *b)
{
	return !b->n_pods && !b->n_objects && !b->n_slices && !b->n_service_cidrs &&
	       !b->n_services && !b->n_nodes && !b->n_containers && !b->n_namespaces;
}

/* Arrays grow by doubling from 8: an object's one record would keep room for seven more. */
#define WATCH_TRIM(b, arr, n, cap)                                                                 \
	do {                                                                                       \
		if ((b)->n && (b)->cap > (b)->n) {                                                 \
			(b)->arr = util_reallocarray((b)->arr, (b)->n, sizeof(*(b)->arr));         \
			(b)->cap = (b)->n;                                                         \
		}                                                                                  \
	} while (0)

static void batch_trim(struct inv_batch *b)
{
	WATCH_TRIM(b, pods, n_pods, cap_pods);
	WATCH_TRIM(b, objects, n_objects, cap_objects);
	WATCH_TRIM(b, slices, n_slices, cap_slices);
	WATCH_TRIM(b, services, n_services, cap_services);
	WATCH_TRIM(b, nodes, n_nodes, cap_nodes);
	WATCH_TRIM(b, containers, n_containers, cap_containers);
	WATCH_TRIM(b, namespaces, n_namespaces, cap_namespaces);
}

/* One object, read as the inventory reads it, posted to be applied; a bad one is said. */
static void watch_object(struct watch_ctx *wc, const struct util_yaml_node *obj,
			 const char *list_kind, const struct util_yaml_node *list_api,
			 enum watch_msg_type type)
{
	const struct util_yaml_node *kind = util_yaml_get(obj, "kind");
	struct inv_batch rec = {0};
	struct watch_msg *m;

	wc->ic.batch = &rec;
	if (obj->type != UTIL_YAML_MAP || inv_k8s_object(&wc->ic, obj, list_kind, list_api) < 0) {
		if (obj->type != UTIL_YAML_MAP)
			(void)inv_fail(&wc->ic, obj, "an object that is not a mapping");
		watch_post_text(wc->s, WATCH_NOTE, false, "%s: skipped", wc->err.msg);
		inv_batch_clear(&rec);
		if (type != WATCH_DELETE || obj->type != UTIL_YAML_MAP)
			return;
		/* what cannot be read can still be deleted: its key is enough */
		memset(&rec, 0, sizeof(rec));
	}
	if (batch_empty(&rec) && type == WATCH_UPSERT)
		return; /* a ConfigMap, a Secret: nothing the inventory keeps */
	m = util_zalloc(sizeof(*m));
	m->type = type;
	m->key = watch_key(obj, kind && kind->type == UTIL_YAML_SCALAR ? kind->str
				: list_kind			       ? list_kind
								       : "");
	if (!batch_empty(&rec)) {
		batch_trim(&rec);
		m->rec = util_zalloc(sizeof(*m->rec));
		*m->rec = rec;
	}
	watch_post(wc->s, m);
}

static void watch_list_begin(struct watch_ctx *wc)
{
	struct watch_msg *m;

	if (wc->listing)
		return;
	wc->listing = true;
	m = util_zalloc(sizeof(*m));
	m->type = WATCH_LIST_BEGIN;
	watch_post(wc->s, m);
}

/* An item of a List as soon as it ends, as inventory files are read. */
static int watch_item(void *data, const struct util_yaml_node *root,
		      const struct util_yaml_node *item)
{
	struct watch_ctx *wc = data;
	const struct util_yaml_node *api;
	char *kind;

	if (!inv_item_alone(root, item, &kind, &api)) {
		free(kind);
		return 0;
	}
	watch_list_begin(wc);
	watch_object(wc, item, kind, api, WATCH_UPSERT);
	free(kind);
	return 1;
}

/* A watch event ({"type": ..., "object": ...}). */
static void watch_event(struct watch_ctx *wc, const struct util_yaml_node *type,
			const struct util_yaml_node *obj)
{
	const struct util_yaml_node *msg = util_yaml_get(obj, "message");
	char show[UTIL_YAML_SHOW_LEN];

	if (strcmp(type->str, "ADDED") == 0 || strcmp(type->str, "MODIFIED") == 0)
		watch_object(wc, obj, NULL, NULL, WATCH_UPSERT);
	else if (strcmp(type->str, "DELETED") == 0)
		watch_object(wc, obj, NULL, NULL, WATCH_DELETE);
	else if (strcmp(type->str, "ERROR") == 0)
		/* kubectl ends the watch after it (410 Gone): the stream's end says the rest */
		watch_post_text(wc->s, WATCH_NOTE, false, "%s:%zu: the API server says: %s",
				wc->s->path, wc->ic.rd.line_offset + type->line,
				util_yaml_show_node(
					msg && msg->type == UTIL_YAML_SCALAR ? msg : type, show));
	else if (strcmp(type->str, "BOOKMARK") != 0)
		watch_post_text(wc->s, WATCH_NOTE, false,
				"%s:%zu: unknown watch event type \"%s\": skipped", wc->s->path,
				wc->ic.rd.line_offset + type->line,
				util_yaml_show(type->str, show));
}

/* A whole value: an event, a List, or a single object (kubectl --watch without events). */
static int watch_document(void *data, const struct util_yaml_node *root)
{
	struct watch_ctx *wc = data;
	const struct util_yaml_node *type = util_yaml_get(root, "type");
	const struct util_yaml_node *obj = util_yaml_get(root, "object");
	const struct util_yaml_node *kind = util_yaml_get(root, "kind");
	const struct util_yaml_node *api = util_yaml_get(root, "apiVersion");
	const struct util_yaml_node *items = util_yaml_get(root, "items");
	size_t len = kind && kind->type == UTIL_YAML_SCALAR ? strlen(kind->str) : 0;
	struct watch_msg *m;

	if (type && type->type == UTIL_YAML_SCALAR && obj && obj->type == UTIL_YAML_MAP) {
		watch_event(wc, type, obj);
		return 0;
	}
	if (!kind || kind->type != UTIL_YAML_SCALAR || !api || api->type != UTIL_YAML_SCALAR) {
		(void)inv_fail(&wc->ic, root, "not a watch event or a Kubernetes object");
		watch_post_text(wc->s, WATCH_NOTE, false, "%s: skipped", wc->err.msg);
		return 0;
	}
	if (len < 4 || strcmp(kind->str + len - 4, "List") != 0) {
		watch_object(wc, root, NULL, NULL, WATCH_UPSERT);
		return 0;
	}
	/* the items its reader kept (their kind came after them, from the list) */
	watch_list_begin(wc);
	for (size_t i = 0; items && items->type == UTIL_YAML_SEQ && i < items->n_kids; i++) {
		char *item_kind = len > 4 ? util_strndup(kind->str, len - 4) : NULL;

		watch_object(wc, items->kids[i], item_kind, api, WATCH_UPSERT);
		free(item_kind);
	}
	if (wc->yaml)
		return 0; /* the listing ends with the YAML */
	m = util_zalloc(sizeof(*m));
	m->type = WATCH_LIST_END;
	watch_post(wc->s, m);
	wc->list_ended = true;
	return 0;
}

static const char *const watch_skipped_keys[] = {"managedFields", "annotations", NULL};

static const struct util_yaml_format watch_format = {
	.what = "an inventory stream",
	.empty = "no value",
	.max_depth = WATCH_MAX_DEPTH,
	.max_size = WATCH_MAX_VALUE,
	.document = watch_document,
	.item = watch_item,
	.skip_keys = watch_skipped_keys,
};

/* What read gives of the stream, parsed into wc's messages: the reader's return. */
static int src_parse(struct watch_src *src, struct watch_ctx *wc, cookie_read_function_t *read,
		     size_t line_offset)
{
	FILE *f;
	int r;

	wc->ic.rd = (struct util_yaml_reader){.path = src->s->path,
					      .err = &wc->err,
					      .format = &watch_format,
					      .userdata = wc,
					      .line_offset = line_offset};
	f = fopencookie(src, "r", (cookie_io_functions_t){.read = read});
	if (!f) {
		src->failed = true;
		src->error = errno;
		return -errno;
	}
	r = util_yaml_read_stream(&wc->ic.rd, f);
	fclose(f);
	return r;
}

/* One value, from its first bracket to its last (or to where it was cut off). */
static void src_value(struct watch_src *src)
{
	struct inv_stream *s = src->s;
	struct watch_ctx wc = {.s = s};
	int r;

	r = src_parse(src, &wc, src_read, src->start_line - 1);
	/* what libyaml did not read of a value it refused */
	while (!src->done && (src->pos < src->len || src_fill(src, false))) {
		char skip[4096];

		if (src_read(src, skip, sizeof(skip)) == 0)
			break;
	}
	if (src->failed && src->error == ECANCELED)
		return;
	if (src->failed)
		; /* the stream's end says why */
	else if (src->cut || (src->eof && !src->done))
		watch_post_text(s, WATCH_NOTE, false, "%s:%zu: a value cut off %s: dropped",
				s->path, src->start_line,
				src->cut ? "by the next one" : "by the stream's end");
	else if (r < 0)
		watch_post_text(s, WATCH_NOTE, false, "%s: skipped", wc.err.msg);
	if (wc.listing && !wc.list_ended) {
		/* a List cut short says nothing of what it did not reach */
		struct watch_msg *m = util_zalloc(sizeof(*m));

		m->type = WATCH_LIST_ABORT;
		watch_post(s, m);
	}
}

/* The cookie's read for YAML: everything, to the stream's end. */
static ssize_t src_read_all(void *cookie, char *out, size_t size)
{
	struct watch_src *src = cookie;
	size_t n;

	if (src->pos == src->len && !src_fill(src, false))
		return 0;
	n = src->len - src->pos < size ? src->len - src->pos : size;
	memcpy(out, src->buf + src->pos, n);
	src->pos += n;
	return (ssize_t)n;
}

/*
 * Not JSON: YAML, such as <(kubectl get pods -A -o yaml) on a pipe, read to its end as one
 * listing of everything the stream holds. A bad object is said and skipped, as in JSON.
 */
static void src_yaml(struct watch_src *src)
{
	struct inv_stream *s = src->s;
	struct watch_ctx wc = {.s = s, .yaml = true};
	struct watch_msg *m;
	int r;

	watch_list_begin(&wc);
	r = src_parse(src, &wc, src_read_all, src->line - 1);
	if (src->failed && src->error == ECANCELED)
		return;
	if (r < 0 && !src->failed)
		watch_post_text(s, WATCH_NOTE, false, "%s: the rest is skipped", wc.err.msg);
	m = util_zalloc(sizeof(*m));
	m->type = r < 0 ? WATCH_LIST_ABORT : WATCH_LIST_END;
	watch_post(s, m);
}

/* Past the whitespace a stream begins with: is it JSON? */
static bool src_json(struct watch_src *src)
{
	while (src_fill(src, true)) {
		char c = src->buf[src->pos];

		if (c != ' ' && c != '\t' && c != '\r' && c != '\n')
			return c == '{' || c == '[';
		src_advance(src, c);
	}
	return true;
}

static int watch_open_fd(const struct inv_stream *s)
{
	int fd;

	/* standard input opened anew where it can be: O_NONBLOCK on a shared description would
	 * reach the shell that gave it */
	if (strcmp(s->path, "-") == 0) {
		fd = open("/proc/self/fd/0", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		return fd >= 0 ? fd : fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 3);
	}
	return open(s->path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
}

/* Waits ms, or less when told to stop; true when told to stop. */
static bool watch_pause(struct inv_stream *s, int ms)
{
	struct pollfd p = {.fd = s->cancel_efd, .events = POLLIN};

	return poll(&p, 1, ms) > 0 || watch_stopped(s);
}

static void *watch_main(void *data)
{
	struct inv_stream *s = data;
	struct watch_src *src = util_zalloc(sizeof(*src));
	int open_errno = 0; /* why the last open failed */

	src->s = s;
	while (!watch_stopped(s)) {
		struct watch_msg *m;

		src->fd = watch_open_fd(s);
		if (src->fd < 0) {
			int e = errno;

			/* tried again every second: said once for each reason it fails */
			if (e != open_errno)
				watch_post_text(s, WATCH_ENDED, s->reopens, "cannot open it: %s",
						strerror(e));
			open_errno = e;
			if (!s->reopens || watch_pause(s, WATCH_REOPEN_MS))
				break;
			continue;
		}
		open_errno = 0;
		m = util_zalloc(sizeof(*m));
		m->type = WATCH_OPENED;
		watch_post(s, m);
		src->pos = src->len = 0;
		src->eof = src->failed = false;
		src->line = 1;
		src->col0 = true;
		if (src_json(src)) {
			while (src_next_value(src))
				src_value(src);
		} else {
			src_yaml(src);
		}
		close(src->fd);
		if (src->failed && src->error == ECANCELED)
			break;
		watch_post_text(s, WATCH_ENDED, s->reopens, "%s",
				src->failed ? strerror(src->error) : "its writer closed it");
		if (!s->reopens || watch_pause(s, WATCH_REOPEN_MS))
			break;
	}
	free(src);
	return NULL;
}

/* ---- The agent's thread: applying --------------------------------------------------------- */

static void watch_msg_free(struct watch_msg *m)
{
	free(m->key);
	if (m->rec) {
		inv_batch_clear(m->rec);
		free(m->rec);
	}
	free(m->text);
	free(m);
}

static void entry_free(struct inv_stream *s, struct watch_entry *e)
{
	HASH_DEL(s->entries, e);
	s->n_gone -= e->gone_ns != 0;
	inv_batch_clear(&e->rec);
	free(e->key);
	free(e);
}

/*
 * An object gone at when: a pod stays, finished then, so that the addresses it held are still
 * its for flows that began before (a new pod may have them now); anything else goes.
 */
static void entry_gone(struct inv_stream *s, struct watch_entry *e, uint64_t when)
{
	if (e->gone_ns)
		return;
	if (!e->rec.n_pods) {
		entry_free(s, e);
		return;
	}
	for (size_t i = 0; i < e->rec.n_pods; i++) {
		struct inv_pod *p = &e->rec.pods[i];

		if (!p->terminated || !p->end_ns || p->end_ns > when)
			p->end_ns = when;
		p->terminated = true;
	}
	e->gone_ns = when;
	s->n_gone++;
	/* moved to the end, so the oldest gone come first */
	HASH_DEL(s->entries, e);
	HASH_ADD_KEYPTR(hh, s->entries, e->key, strlen(e->key), e);
}

/* What a relisting did not name again, gone since when; how many there were. */
static size_t stream_sweep(struct inv_stream *s, uint64_t when)
{
	struct watch_entry *e, *tmp;
	size_t n = 0;

	HASH_ITER (hh, s->entries, e, tmp) {
		if (e->gen != s->gen && !e->gone_ns) {
			entry_gone(s, e, when);
			n++;
		}
	}
	return n;
}

/* Gone pods kept long enough, or too many. */
static bool stream_expire(struct inv_stream *s, uint64_t now)
{
	struct watch_entry *e, *tmp;
	bool changed = false;

	if (!s->n_gone || now < s->next_expire)
		return false;
	s->next_expire = now + UTIL_NSEC_PER_SEC;
	HASH_ITER (hh, s->entries, e, tmp) {
		if (!e->gone_ns)
			continue;
		if (e->gone_ns + WATCH_KEEP_GONE_NS > now && s->n_gone <= WATCH_GONE_MAX)
			break; /* gone entries are in the order they went */
		entry_free(s, e);
		changed = true;
	}
	return changed;
}

static void stream_say(struct inv_stream *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void stream_say(struct inv_stream *s, const char *fmt, ...)
{
	char *line;
	va_list ap;

	if (!s->say)
		return;
	va_start(ap, fmt);
	if (vasprintf(&line, fmt, ap) < 0)
		abort();
	va_end(ap);
	s->say(s->userdata, line);
	free(line);
}

static void stream_upsert(struct inv_stream *s, struct watch_msg *m, uint64_t now)
{
	struct watch_entry *e;

	HASH_FIND_STR(s->entries, m->key, e);
	if (e)
		entry_free(s, e);
	e = util_zalloc(sizeof(*e));
	e->key = m->key;
	m->key = NULL;
	e->rec = *m->rec;
	free(m->rec);
	m->rec = NULL;
	e->gen = s->gen;
	HASH_ADD_KEYPTR(hh, s->entries, e->key, strlen(e->key), e);
	if (m->type == WATCH_DELETE)
		entry_gone(s, e, now);
}

/* One message; true when what the lookups know changed. */
static bool stream_apply(struct inv_stream *s, struct watch_msg *m, uint64_t now)
{
	struct watch_entry *e;

	switch (m->type) {
	case WATCH_OPENED:
		s->down = false;
		if (s->opens++ > 0) {
			/* a writer may come back much later, or never: until one lists again,
			 * everything stays as it was */
			s->gen++;
			s->relisting = true;
			s->relisted = 0;
		}
		return false;
	case WATCH_UPSERT:
	case WATCH_DELETE:
		s->values++;
		if (s->relisting) {
			HASH_FIND_STR(s->entries, m->key, e);
			s->relist_over |= e && e->gen == s->gen && s->relisted > 0;
			if (s->relisted++ == 0) {
				s->relist_from = s->last_news;
				stream_say(s,
					   "%s: a writer is back; what it does not list again is "
					   "taken as deleted when the stream ended",
					   s->path);
			}
		}
		if (m->rec) {
			stream_upsert(s, m, now);
			return true;
		}
		HASH_FIND_STR(s->entries, m->key, e);
		if (!e)
			return false;
		entry_gone(s, e, now);
		return true;
	case WATCH_LIST_BEGIN:
		s->gen++;
		s->list_open = true;
		return false;
	case WATCH_LIST_END:
		s->list_open = false;
		return stream_sweep(s, now) > 0;
	case WATCH_LIST_ABORT:
		s->list_open = false;
		return false;
	case WATCH_NOTE:
		stream_say(s, "warning: %s", m->text);
		return false;
	case WATCH_ENDED:
	default:
		stream_say(s, "%s: %s: the stream ended (%s)%s", s->reopens ? "warning" : "note",
			   s->path, m->text,
			   m->reopen ? "; reopening it" : "; keeping what it said");
		/* it broke when it first ended, not when it last failed to open again */
		if (!s->down)
			s->broke_ns = now;
		s->down = true;
		s->ended = !m->reopen;
		return false;
	}
}

/* Everything the thread has made, applied in order; true when the lookups must be rebuilt. */
static bool stream_dispatch(struct inv_stream *s, uint64_t now, uint64_t mono)
{
	struct watch_msg *m, *next;
	bool changed = false;

	pthread_mutex_lock(&s->lock);
	m = s->head;
	s->head = s->tail = NULL;
	s->n_msgs = 0;
	pthread_cond_broadcast(&s->room);
	pthread_mutex_unlock(&s->lock);
	if (m)
		s->last_news = mono;
	for (; m; m = next) {
		next = m->next;
		changed |= stream_apply(s, m, now);
		watch_msg_free(m);
	}
	if (s->relisting && s->relisted &&
	    (s->relist_over || mono >= s->last_news + WATCH_RELIST_QUIET_NS ||
	     mono >= s->relist_from + WATCH_RELIST_MAX_NS)) {
		size_t n = stream_sweep(s, s->broke_ns);

		s->relisting = s->relist_over = false;
		if (n)
			stream_say(s,
				   "%s: %zu objects not listed again since it reopened: taken "
				   "as deleted when it ended",
				   s->path, n);
		changed |= n > 0;
	}
	return changed | stream_expire(s, now);
}

/* ---- Inside the inventory ----------------------------------------------------------------- */

void inv_streams_records(struct inventory *inv)
{
	size_t n = inv->n_all;

	for (size_t i = 0; i < inv->n_streams; i++)
		n += HASH_COUNT(inv->streams[i]->entries);
	inv->all = util_reallocarray(inv->all, n + 1, sizeof(*inv->all));
	for (size_t i = 0; i < inv->n_streams; i++) {
		struct watch_entry *e, *tmp;

		HASH_ITER (hh, inv->streams[i]->entries, e, tmp)
			inv->all[inv->n_all++] = &e->rec;
	}
}

static void stream_free(struct inv_stream *s)
{
	struct watch_entry *e, *tmp;
	struct watch_msg *m, *next;
	uint64_t one = 1;

	if (s->started) {
		pthread_mutex_lock(&s->lock);
		s->stop = true;
		pthread_cond_broadcast(&s->room);
		pthread_mutex_unlock(&s->lock);
		(void)!write(s->cancel_efd, &one, sizeof(one));
		pthread_join(s->thread, NULL);
	}
	for (m = s->head; m; m = next) {
		next = m->next;
		watch_msg_free(m);
	}
	HASH_ITER (hh, s->entries, e, tmp)
		entry_free(s, e);
	if (s->cancel_efd >= 0)
		close(s->cancel_efd);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->room);
	free(s->path);
	free(s);
}

void inv_streams_free(struct inventory *inv)
{
	for (size_t i = 0; i < inv->n_streams; i++)
		stream_free(inv->streams[i]);
	free(inv->streams);
	inv->streams = NULL;
	inv->n_streams = 0;
	if (inv->stream_efd >= 0)
		close(inv->stream_efd);
	inv->stream_efd = -1;
}

void inv_stream_progress(const struct inventory *inv, size_t i, size_t *ret_bytes,
			 unsigned *ret_opens)
{
	struct inv_stream *s = inv->streams[i];

	pthread_mutex_lock(&s->lock);
	*ret_bytes = s->processed;
	pthread_mutex_unlock(&s->lock);
	*ret_opens = s->opens;
}

/* ---- Public API --------------------------------------------------------------------------- */

bool inventory_is_stream(const char *path)
{
	struct stat st;

	return strcmp(path, "-") == 0 || (stat(path, &st) == 0 && S_ISFIFO(st.st_mode));
}

int inventory_watch(struct inventory *inv, const char *path, util_warn_fn say, void *userdata,
		    struct util_err *err)
{
	struct inv_stream *s;
	sigset_t all, old;
	struct stat st;
	int r;

	if (inv->stream_efd < 0) {
		inv->stream_efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (inv->stream_efd < 0)
			return util_err_set(err, errno, "eventfd: %s", strerror(errno));
	}
	s = util_zalloc(sizeof(*s));
	s->inv = inv;
	s->path = util_strdup(path);
	s->say = say;
	s->userdata = userdata;
	/* a named FIFO can be opened again; a pipe (<(...), /dev/fd/N) or standard input not */
	s->reopens = strcmp(path, "-") != 0 && lstat(path, &st) == 0 && S_ISFIFO(st.st_mode);
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->room, NULL);
	s->cancel_efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (s->cancel_efd < 0) {
		r = util_err_set(err, errno, "eventfd: %s", strerror(errno));
		stream_free(s);
		return r;
	}
	/* signals are the agent's thread's, through its signalfd */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = pthread_create(&s->thread, NULL, watch_main, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r != 0) {
		stream_free(s);
		return util_err_set(err, r, "%s: cannot start reading it: %s", path, strerror(r));
	}
	s->started = true;
	inv->streams = util_reallocarray(inv->streams, inv->n_streams + 1, sizeof(*inv->streams));
	inv->streams[inv->n_streams++] = s;
	return 0;
}

int inventory_watch_fd(const struct inventory *inv)
{
	return inv->stream_efd;
}

bool inventory_watch_dispatch(struct inventory *inv, uint64_t now_ns)
{
	uint64_t mono = util_now_ns(CLOCK_MONOTONIC), v, took;

	if (inv->stream_efd < 0)
		return false;
	(void)!read(inv->stream_efd, &v, sizeof(v));
	for (size_t i = 0; i < inv->n_streams; i++) {
		if (!stream_dispatch(inv->streams[i], now_ns, mono))
			continue;
		/* the records an object had are gone: nothing may read them until the rebuild */
		inv_all_build(inv);
		if (!inv->rebuild_due) {
			inv->rebuild_due = true;
			inv->changed_ns = now_ns; /* what Services led to is theirs until then */
		}
	}
	if (!inv->rebuild_due || mono < inv->rebuild_next_ns)
		return false;
	inv_rebuild(inv);
	inv->rebuild_due = false;
	took = util_now_ns(CLOCK_MONOTONIC) - mono;
	inv->rebuild_next_ns =
		mono + (5 * took > WATCH_REBUILD_MIN_NS ? 5 * took : WATCH_REBUILD_MIN_NS);
	return true;
}

bool inventory_watch_pending(const struct inventory *inv)
{
	for (size_t i = 0; i < inv->n_streams; i++)
		if (inv->streams[i]->relisting && inv->streams[i]->relisted)
			return true;
	return inv->rebuild_due;
}

size_t inventory_watch_settle(struct inventory *inv, unsigned quiet_ms, unsigned max_ms)
{
	uint64_t start = util_now_ns(CLOCK_MONOTONIC), quiet = quiet_ms * 1000000ull;
	size_t values = 0;

	for (;;) {
		uint64_t mono = util_now_ns(CLOCK_MONOTONIC);
		struct pollfd p = {.fd = inv->stream_efd, .events = POLLIN};
		bool waiting = false;

		(void)inventory_watch_dispatch(inv, util_now_ns(CLOCK_REALTIME));
		for (size_t i = 0; i < inv->n_streams; i++) {
			const struct inv_stream *s = inv->streams[i];

			/* a writer that came and left with nothing is not waited for */
			if (!s->ended && !(s->broke_ns && !s->list_open) &&
			    (!s->values || s->list_open || mono < s->last_news + quiet))
				waiting = true;
		}
		if (!waiting || mono >= start + max_ms * 1000000ull)
			break;
		(void)poll(&p, 1, 20);
	}
	if (inv->rebuild_due) {
		inv_rebuild(inv);
		inv->rebuild_due = false;
	}
	for (size_t i = 0; i < inv->n_streams; i++) {
		struct inv_stream *s = inv->streams[i];

		values += s->values;
		if (!s->values && !s->ended && !s->broke_ns)
			stream_say(s,
				   "warning: %s: nothing came in %u ms (is its writer running?); "
				   "flows are attributed by what comes later",
				   s->path, max_ms);
	}
	return values;
}
