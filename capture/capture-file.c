/* SPDX-License-Identifier: Apache-2.0 */
/* capture-file.c - feeds the packets of a pcap or pcapng file through the decoder to the tracker.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#if defined(HAVE_FSETLOCKING)
#include <stdio_ext.h>
#endif
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#if defined(__SSE2__)
#include <immintrin.h>
#endif

#include "capture/capture-private.h"

/*
 * A file is read by two threads, in file order. This one runs libpcap and the decoder; a feeder
 * thread hands the decoded packets to the tracker, so the tracker's callbacks run there too (its
 * idle function whenever the feeder has spun without a batch), and nothing else touches the
 * tracker until the feeder is joined. libpcap's own read is the larger half of the work, so
 * tracking and attribution overlap with it instead of adding to it.
 *
 * Packets travel in batches through a ring deep enough for the feeder's bursts: every few seconds
 * of packet time the tracker ends what has expired, on a node's mix tens of thousands of flows
 * reported at once (45 ms). With a ring of 16 batches the reader stood still through each,
 * which cost a fifth of the read; 256 batches (16 MiB, in huge pages where the kernel has
 * them) let it read on. Only the pages the ring has reached are resident, so a short file costs
 * little, and one CPU gets one batch. head and tail are the only words both sides write
 * (release/acquire), so neither makes a system call while the other keeps up; the side that must
 * wait polls (a short spin, then naps growing to FEED_NAP_MAX_NS). Waking a sleeper per batch
 * cost ~12 us a hand-over on a VM, more than the batch. Only input slower than the naps (a pipe,
 * a cold disk) puts the feeder to sleep on a condition variable, and the reader wakes it.
 *
 * Where the CPU has them, records are written with non-temporal stores: a line the feeder has
 * read is otherwise pulled back from its cache before the reader can overwrite it, which cost the
 * reader a third more time. Without a second thread (one CPU, or none could start) the reader
 * feeds each batch itself: slower, the same result.
 */
#define FEED_BATCH	1024 /* packets per batch */
#define FEED_BATCHES	256  /* batches in the ring: 16 MiB (a power of two) */
#define FEED_SPINS	64
#define FEED_NAP_MIN_NS 10000
#define FEED_NAP_MAX_NS 160000
#define FEED_NAPS	12 /* ~1.4 ms of naps without a batch, then the feeder sleeps */
#define FEED_LINE	64

/* ThreadSanitizer does not see non-temporal stores: under it, records are copied plainly. */
#if defined(__SANITIZE_THREAD__)
#define FEED_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define FEED_TSAN 1
#endif
#endif
#if defined(__SSE2__) && !defined(FEED_TSAN)
#define FEED_STREAM 1
#endif

struct feed_rec {
	_Alignas(FEED_LINE) struct capture_packet p;
	uint64_t ts;
};
_Static_assert(sizeof(struct feed_rec) == FEED_LINE, "a record is one cache line");

struct feed_batch {
	size_t n;
	struct feed_rec r[FEED_BATCH];
};

struct feed {
	struct capture_tracker *t;
	struct feed_batch *ring; /* mask + 1 of them (a power of two), from util_block_new() */
	uint64_t mask;
	size_t n; /* records in the batch being filled, ring[head & mask] */
	_Alignas(FEED_LINE) _Atomic uint64_t head; /* batches handed over */
	_Alignas(FEED_LINE) _Atomic uint64_t tail; /* batches fed to the tracker */
	_Atomic bool done;			   /* no batch follows */
	_Atomic bool asleep;			   /* the feeder waits on wake */
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool threaded;
	pthread_t thread;
};

static void feed_batch_run(struct capture_tracker *t, const struct feed_batch *b)
{
	for (size_t i = 0; i < b->n; i++)
		capture_tracker_add(t, &b->r[i].p, b->r[i].ts);
}

/* One wait of a poll: a pause while *waits is small, then a nap that doubles up to a cap. */
static void feed_wait(unsigned *waits)
{
	struct timespec nap = {.tv_nsec = FEED_NAP_MIN_NS};

	if (++*waits < FEED_SPINS) {
#if defined(__SSE2__)
		_mm_pause();
#endif
		return;
	}
	for (unsigned i = FEED_SPINS; i < *waits && nap.tv_nsec < FEED_NAP_MAX_NS; i++)
		nap.tv_nsec = nap.tv_nsec * 2 < FEED_NAP_MAX_NS ? nap.tv_nsec * 2 : FEED_NAP_MAX_NS;
	nanosleep(&nap, NULL);
}

/*
 * The feeder sleeps until the reader hands over a batch or is done. asleep here and head or done
 * in the reader are each stored before the other is loaded, sequentially consistent: either the
 * feeder sees the batch and does not wait, or the reader sees it asleep and wakes it. The lock
 * is held from the store of asleep to the wait, so a wake cannot slip in between.
 */
static void feed_sleep(struct feed *f, uint64_t tail)
{
	pthread_mutex_lock(&f->lock);
	atomic_store(&f->asleep, true);
	while (tail == atomic_load(&f->head) && !atomic_load(&f->done))
		pthread_cond_wait(&f->wake, &f->lock);
	atomic_store(&f->asleep, false);
	pthread_mutex_unlock(&f->lock);
}

static void feed_wake(struct feed *f)
{
	if (!atomic_load(&f->asleep))
		return;
	pthread_mutex_lock(&f->lock);
	pthread_cond_signal(&f->wake);
	pthread_mutex_unlock(&f->lock);
}

static void *feed_main(void *arg)
{
	struct feed *f = arg;
	uint64_t tail = 0;
	unsigned waits = 0;

	for (;;) {
		if (tail == atomic_load_explicit(&f->head, memory_order_acquire)) {
			/* done is set after the last head: read head again once done is seen */
			if (atomic_load_explicit(&f->done, memory_order_acquire) &&
			    tail == atomic_load_explicit(&f->head, memory_order_acquire))
				return NULL;
			/* spun without a batch: the reader is behind, once in each such wait */
			if (waits == FEED_SPINS)
				capture_tracker_idle(f->t);
			if (waits < FEED_SPINS + FEED_NAPS) {
				feed_wait(&waits);
			} else {
				feed_sleep(f, tail);
				waits = 0;
			}
			continue;
		}
		waits = 0;
		feed_batch_run(f->t, &f->ring[tail & f->mask]);
		atomic_store_explicit(&f->tail, ++tail, memory_order_release);
	}
}

static struct feed_batch *feed_current(struct feed *f)
{
	return &f->ring[atomic_load_explicit(&f->head, memory_order_relaxed) & f->mask];
}

static void feed_add(struct feed *f, const struct feed_rec *rec)
{
	struct feed_rec *d = &feed_current(f)->r[f->n++];

#if defined(FEED_STREAM)
	/* Fed in line, the record is read back at once: then it belongs in the cache. */
	if (f->threaded) {
		const __m128i *from = (const __m128i *)rec;
		__m128i *to = (__m128i *)d;

		for (size_t i = 0; i < sizeof(*rec) / sizeof(*to); i++)
			_mm_stream_si128(to + i, _mm_load_si128(from + i));
		return;
	}
#endif
	*d = *rec;
}

/* Hands the batch over; waits, when the ring is full, for the feeder to free a slot. */
static void feed_push(struct feed *f)
{
	uint64_t head = atomic_load_explicit(&f->head, memory_order_relaxed);
	unsigned waits = 0;

	feed_current(f)->n = f->n;
	f->n = 0;
	if (!f->threaded) {
		feed_batch_run(f->t, feed_current(f));
		return;
	}
#if defined(FEED_STREAM)
	_mm_sfence(); /* the streamed records before head */
#endif
	atomic_store(&f->head, ++head); /* sequentially consistent: see feed_sleep() */
	feed_wake(f);
	while (head - atomic_load_explicit(&f->tail, memory_order_acquire) > f->mask)
		feed_wait(&waits);
}

static void feed_start(struct feed *f, struct capture_tracker *t)
{
	sigset_t all, old;
	cpu_set_t cpus;

	memset(f, 0, sizeof(*f));
	f->t = t;
	pthread_mutex_init(&f->lock, NULL);
	pthread_cond_init(&f->wake, NULL);
	/*
	 * On one CPU the two would only take turns, each napping while the other works (measured:
	 * 2x a bare read, against 1.4x for feeding in line).
	 */
	if (sched_getaffinity(0, sizeof(cpus), &cpus) == 0 && CPU_COUNT(&cpus) < 2) {
		f->ring = util_block_new(sizeof(*f->ring));
		return;
	}
	f->mask = FEED_BATCHES - 1;
	f->ring = util_block_new(FEED_BATCHES * sizeof(*f->ring));
	/* Signals stay with the caller's thread, as they were before the feeder existed. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	f->threaded = pthread_create(&f->thread, NULL, feed_main, f) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* Feeds what is left; when this returns the tracker has had every packet. */
static void feed_finish(struct feed *f)
{
	if (f->n > 0)
		feed_push(f);
	if (f->threaded) {
		atomic_store(&f->done, true);
		feed_wake(f);
		pthread_join(f->thread, NULL);
	}
	pthread_cond_destroy(&f->wake);
	pthread_mutex_destroy(&f->lock);
	util_block_free(f->ring, (f->mask + 1) * sizeof(*f->ring));
}

/* Counted here and added to the caller's stats once, at the end: no pointer chase per packet. */
struct read_ctx {
	struct feed feed;
	int dlt;
	const struct capture_tunnels *tun;
	uint64_t counts[CAPTURE_DECODE_KINDS];
	uint64_t first_ns, last_ns; /* the span of the decoded packets; first 0: none yet */
};

static void read_one(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
	struct read_ctx *ctx = (struct read_ctx *)user;
	struct feed_rec rec;

	/* The handle was opened with nanosecond precision: tv_usec holds nanoseconds. */
	if (!capture_record_decode(ctx->dlt, true, h, bytes, ctx->tun, ctx->counts, &rec.p,
				   &rec.ts))
		return;
	/* records are nearly in time order: two compares, mostly not taken */
	if (rec.ts < ctx->first_ns || !ctx->first_ns)
		ctx->first_ns = rec.ts;
	if (rec.ts > ctx->last_ns)
		ctx->last_ns = rec.ts;
	feed_add(&ctx->feed, &rec);
	if (ctx->feed.n == FEED_BATCH)
		feed_push(&ctx->feed);
}

static uint64_t read_ctx_packets(const struct read_ctx *ctx)
{
	return capture_stats_add(NULL, ctx->counts);
}

int capture_file_read(struct capture_tracker *t, const char *path,
		      const struct capture_tunnels *tun, struct capture_stats *stats,
		      struct util_err *err)
{
	char errbuf[PCAP_ERRBUF_SIZE] = "";
	struct read_ctx ctx = {.dlt = 0, .tun = tun};
	const char *name;
	pcap_t *p = NULL;
	struct stat st;
	FILE *f;
	int r;

	/* Opened here rather than by libpcap so that a missing file reports its real errno. */
	if (strcmp(path, "-") == 0) {
		int fd = dup(STDIN_FILENO);

		path = "standard input";
		f = fd < 0 ? NULL : fdopen(fd, "rb");
		if (!f && fd >= 0)
			close(fd);
	} else {
		f = fopen(path, "rb");
	}
	if (!f)
		return util_err_set(err, errno, "%s: %s", path, strerror(errno));
	if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
		fclose(f);
		return util_err_set(err, EISDIR, "%s: %s", path, strerror(EISDIR));
	}
	p = pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_NANO, errbuf);
	if (!p) {
		/* On failure libpcap leaves the stream to its caller. */
		fclose(f);
		return util_err_set(err, EINVAL, "%s: not a pcap or pcapng capture (%s)", path,
				    errbuf);
	}

	ctx.dlt = pcap_datalink(p);
	if (!capture_linktype_supported(ctx.dlt)) {
		name = pcap_datalink_val_to_name(ctx.dlt);
		r = util_err_set(err, EPROTONOSUPPORT, "%s: unsupported link type %s (%d)", path,
				 name ? name : "unknown", ctx.dlt);
		goto out;
	}

	/*
	 * One pcap_dispatch over the whole file: no per-packet call and copy as pcap_next_ex. The
	 * stream is this thread's alone: stdio need not lock it for each of libpcap's reads.
	 */
#if defined(HAVE_FSETLOCKING)
	(void)__fsetlocking(f, FSETLOCKING_BYCALLER);
#endif
	feed_start(&ctx.feed, t);
	r = pcap_dispatch(p, -1, read_one, (u_char *)&ctx);
	feed_finish(&ctx.feed);
	if (r == PCAP_ERROR) {
		r = util_err_set(err, EINVAL, "%s: record %llu: %s", path,
				 (unsigned long long)(read_ctx_packets(&ctx) + 1), pcap_geterr(p));
		goto out;
	}
	r = 0;
out:
	if (stats) {
		struct capture_stats file = {.first_ns = ctx.first_ns, .last_ns = ctx.last_ns};

		(void)capture_stats_add(&file, ctx.counts);
		capture_stats_merge(stats, &file);
	}
	pcap_close(p);
	return r;
}
