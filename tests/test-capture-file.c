/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test-capture-file.c - capture files (capture-file.c): what reading one feeds the tracker and
 * counts, what a bad one says, the reader and feeder threads against reading in line, and how
 * stats add up.
 */
#include <check.h>
#include <errno.h>
#include <pcap/dlt.h>
#include <pcap/pcap.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tests/test-capture-helpers.h"

/* The pods of the tunnel captures (tests/data/golden/tunnels/record.sh). */
#define P1   "10.244.1.10"
#define P2   "10.244.2.20"
#define P1_6 "fd00:244::1:10"
#define P2_6 "fd00:244::2:20"

/* ---- Capture files ------------------------------------------------------------------------ */

struct file_case {
	const char *name;
	const char *file; /* under TEST_DATA "/capture/" */
	int ret;
	const char *msg; /* expected message prefix after "PATH: " */
	struct capture_stats stats;
	struct tflow flows[6];
	bool tunnels; /* read with capture_tunnels_default(), else with none */
};

#define SESSION_FLOWS                                                                              \
	{                                                                                          \
		{"10.99.0.2", "10.99.0.1", TCP, 8080, 10, HS, false, 0, 0},                        \
			{"10.99.0.2", "10.99.0.1", UDP, 5353, 2, PO, false, 0, 0},                 \
		{                                                                                  \
			"fd99::2", "fd99::1", ICMP6, 0, 2, HS, false, 0, 0                         \
		}                                                                                  \
	}

static const struct file_case file_cases[] = {
	/* the pods' flows inside VXLAN, refused probes (ICMP unreachable inside) too */
	{.name = "vxlan, tunnels opened",
	 .file = "../golden/tunnels/vxlan.pcap",
	 .tunnels = true,
	 .stats = {.packets = 44, .decoded = 28, .not_ip = 2, .unsupported = 14},
	 .flows = {{P1, P2, TCP, 8080, 10, HS, false, 0, 0},
		   {P1, P2, UDP, 5353, 2, PO, false, 0, 0},
		   {P1, P2, UDP, 9999, 1, PO, false, 0, 0},
		   {P1_6, P2_6, TCP, 8080, 10, HS, false, 0, 0},
		   {P1_6, P2_6, UDP, 5353, 2, PO, false, 0, 0},
		   {P1_6, P2_6, UDP, 9999, 1, PO, false, 0, 0}}},
	/* IP-in-IP not opened: nothing to learn (VXLAN would be the nodes' one-way UDP flows) */
	{.name = "ipip, tunnels not opened",
	 .file = "../golden/tunnels/ipip.pcap",
	 .stats = {.packets = 35, .decoded = 0, .not_ip = 2, .unsupported = 33}},
	{.name = "pcap session",
	 .file = "session.pcap",
	 .stats = {.packets = 24, .decoded = 14, .not_ip = 2, .unsupported = 8},
	 .flows = SESSION_FLOWS},
	{.name = "pcapng session",
	 .file = "session.pcapng",
	 .stats = {.packets = 24, .decoded = 14, .not_ip = 2, .unsupported = 8},
	 .flows = SESSION_FLOWS},
	{.name = "cut inside the last record",
	 .file = "truncated.pcap",
	 .ret = -EINVAL,
	 .msg = "record 24: truncated dump file",
	 .stats = {.packets = 23, .decoded = 13, .not_ip = 2, .unsupported = 8}},
	{.name = "link type DLT_PPP",
	 .file = "ppp.pcap",
	 .ret = -EPROTONOSUPPORT,
	 .msg = "unsupported link type PPP (9)"},
	{.name = "link type DLT_USER0, which libpcap has no name for",
	 .file = "user0.pcap",
	 .ret = -EPROTONOSUPPORT,
	 .msg = "unsupported link type unknown (147)"},
	{.name = "not a capture",
	 .file = "garbage.pcap",
	 .ret = -EINVAL,
	 .msg = "not a pcap or pcapng capture (unknown file format)"},
	{.name = "empty file",
	 .file = "empty.pcap",
	 .ret = -EINVAL,
	 .msg = "not a pcap or pcapng capture ("},
	{.name = "missing file",
	 .file = "missing.pcap",
	 .ret = -ENOENT,
	 .msg = "No such file or directory"},
	{.name = "a directory", .file = ".", .ret = -EISDIR, .msg = "Is a directory"},
};

START_TEST(test_file)
{
	const struct file_case *fc = &file_cases[_i];
	struct collected got = {0};
	struct capture_tracker *t = capture_tracker_new(collect, &got);
	struct capture_stats stats = {0};
	struct util_err err = {.msg = ""};
	char path[512], prefix[1024];
	size_t n_want = 0;
	int r;

	struct capture_tunnels tun;

	capture_tunnels_default(&tun);
	snprintf(path, sizeof(path), "%s/capture/%s", TEST_DATA, fc->file);
	r = capture_file_read(t, path, fc->tunnels ? &tun : NULL, &stats, &err);
	ck_assert_msg(r == fc->ret, "%s: returned %d, want %d (%s)", fc->name, r, fc->ret, err.msg);
	if (fc->msg) {
		snprintf(prefix, sizeof(prefix), "%s: %s", path, fc->msg);
		ck_assert_msg(strncmp(err.msg, prefix, strlen(prefix)) == 0, "%s: message \"%s\"",
			      fc->name, err.msg);
		ck_assert_ptr_null(strchr(err.msg, '\n'));
	}
	ck_assert_uint_eq(stats.packets, fc->stats.packets);
	ck_assert_uint_eq(stats.decoded, fc->stats.decoded);
	ck_assert_uint_eq(stats.truncated, fc->stats.truncated);
	ck_assert_uint_eq(stats.not_ip, fc->stats.not_ip);
	ck_assert_uint_eq(stats.fragments, fc->stats.fragments);
	ck_assert_uint_eq(stats.unsupported, fc->stats.unsupported);
	ck_assert_uint_eq(stats.malformed, fc->stats.malformed);

	got.flushing = true;
	capture_tracker_flush(t);
	capture_tracker_free(t);
	while (n_want < UTIL_ARRAY_SIZE(fc->flows) && fc->flows[n_want].client)
		n_want++;
	if (r < 0)
		return;
	ck_assert_uint_eq(got.n, n_want);
	for (size_t i = 0; i < n_want; i++) {
		const struct tflow *w = &fc->flows[i];
		struct util_addr client, server;
		bool found = false;

		ck_assert_int_eq(util_addr_parse(w->client, &client), 0);
		ck_assert_int_eq(util_addr_parse(w->server, &server), 0);
		for (size_t j = 0; j < got.n; j++) {
			const struct capture_flow *f = &got.flows[j];

			if (util_addr_compare(&client, &f->client) == 0 &&
			    util_addr_compare(&server, &f->server) == 0 && f->proto == w->proto &&
			    f->port == w->port && f->packets == w->packets && f->how == w->how) {
				/* The capture was taken in 2020s with nanosecond stamps. */
				ck_assert_uint_gt(f->first_ns, 1600000000ULL * 1000000000ULL);
				ck_assert_uint_le(f->first_ns, f->last_ns);
				found = true;
			}
		}
		ck_assert_msg(found, "%s: flow %zu not reported", fc->name, i);
	}
}
END_TEST

/* Reading adds to the stats: the same file twice counts twice. */
START_TEST(test_file_stats_add)
{
	struct collected got = {0};
	struct capture_tracker *t = capture_tracker_new(collect, &got);
	struct capture_stats stats = {0};
	struct util_err err;

	ck_assert_int_eq(
		capture_file_read(t, TEST_DATA "/capture/session.pcap", NULL, &stats, &err), 0);
	ck_assert_int_eq(
		capture_file_read(t, TEST_DATA "/capture/session.pcapng", NULL, &stats, &err), 0);
	ck_assert_uint_eq(stats.packets, 48);
	ck_assert_uint_eq(stats.decoded, 28);
	capture_tracker_free(t);
}
END_TEST

/*
 * A file is read on two threads (capture-file.c): the reader decodes, a feeder thread runs the
 * tracker, through a ring of batches. Whatever the number of packets (empty, around a batch,
 * around the ring, many times round it), the flows reported must be those of feeding the same
 * records to the tracker in line, in the same order, and the stats the same.
 */
struct many_case {
	const char *name;
	unsigned packets;
	/*
	 * slow_flows: the tracker's callback stalls at its first flow, so the reader fills the ring
	 * and must wait for a free slot. slow_input: the file comes through a pipe with pauses
	 * longer than the feeder's naps, so it sleeps until the reader wakes it.
	 */
	bool slow_flows, slow_input;
};

static const struct many_case many_cases[] = {
	{.name = "empty", .packets = 0},
	{.name = "one", .packets = 1},
	{.name = "a batch less one", .packets = 1023},
	{.name = "a batch", .packets = 1024},
	{.name = "a batch and one", .packets = 1025},
	{.name = "a ring less one", .packets = 16383},
	{.name = "a ring", .packets = 16384},
	{.name = "a ring and one", .packets = 16385},
	{.name = "a ring fills while the tracker stalls", .packets = 60000, .slow_flows = true},
	{.name = "input slower than the feeder", .packets = 20000, .slow_input = true},
	{.name = "many rings", .packets = 60000},
};

struct many_flows {
	struct capture_flow *flows;
	size_t n, cap;
	bool slow;
	/*
	 * The idle function: how often it ran, whether ever on another thread than flows, or on
	 * the thread that reads the file.
	 */
	unsigned long idle;
	pthread_t flow_thread, reader;
	bool flowed, idle_elsewhere, idle_on_reader;
};

static void many_nap(long ns)
{
	struct timespec ts = {.tv_sec = ns / 1000000000L, .tv_nsec = ns % 1000000000L};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static void many_collect(const struct capture_flow *flow, void *userdata)
{
	struct many_flows *m = userdata;

	if (m->slow && m->n == 0)
		many_nap(100 * 1000000L); /* the reader needs ~2 ms to fill the ring */
	if (m->n == m->cap) {
		m->cap = m->cap ? 2 * m->cap : 256;
		m->flows = util_reallocarray(m->flows, m->cap, sizeof(*m->flows));
	}
	m->flows[m->n++] = *flow;
	m->flow_thread = pthread_self();
	m->flowed = true;
}

static void many_idle(void *userdata)
{
	struct many_flows *m = userdata;

	m->idle++;
	if (m->flowed && !pthread_equal(m->flow_thread, pthread_self()))
		m->idle_elsewhere = true;
	if (pthread_equal(m->reader, pthread_self()))
		m->idle_on_reader = true;
}

/* Packet i of a deterministic mix: 48 TCP connections open at a time, ARP, truncated frames. */
static size_t many_frame(unsigned i, uint8_t *buf, size_t *ret_len)
{
	static const uint8_t flags[] = {0x02, 0x12, 0x10, 0x18, 0x18, 0x11, 0x11, 0x10};
	unsigned conn = i / 8 % 48 + 48 * (i / (8 * 48)), step = i % 8;
	bool reply = step == 1 || step == 4 || step == 6;
	uint8_t cli[4] = {10, 9, (uint8_t)(conn % 7), (uint8_t)(1 + conn % 200)};
	uint8_t srv[4] = {10, 8, 0, (uint8_t)(1 + conn % 5)};
	uint16_t cport = (uint16_t)(32768 + conn % 20000), sport = (uint16_t)(8000 + conn % 3);

	memset(buf, 0, 54);
	buf[12] = 0x08;
	if (i % 97 == 5) { /* ARP: counted, not decoded */
		buf[13] = 0x06;
		*ret_len = 42;
		return 42;
	}
	buf[14] = 0x45;
	buf[17] = 40; /* total length */
	buf[22] = 64;
	buf[23] = IPPROTO_TCP;
	memcpy(buf + 26, reply ? srv : cli, 4);
	memcpy(buf + 30, reply ? cli : srv, 4);
	buf[34] = (uint8_t)((reply ? sport : cport) >> 8);
	buf[35] = (uint8_t)(reply ? sport : cport);
	buf[36] = (uint8_t)((reply ? cport : sport) >> 8);
	buf[37] = (uint8_t)(reply ? cport : sport);
	buf[46] = 0x50;
	buf[47] = flags[step];
	*ret_len = 54;
	return i % 89 == 7 ? 30 : 54; /* now and then cut inside the IP header */
}

static void many_write(const char *path, unsigned packets)
{
	pcap_t *p =
		pcap_open_dead_with_tstamp_precision(DLT_EN10MB, 65535, PCAP_TSTAMP_PRECISION_NANO);
	pcap_dumper_t *d;
	uint8_t buf[64];

	ck_assert_ptr_nonnull(p);
	d = pcap_dump_open(p, path);
	ck_assert_msg(d != NULL, "%s", pcap_geterr(p));
	for (unsigned i = 0; i < packets; i++) {
		struct pcap_pkthdr h = {0};
		size_t len;

		h.caplen = (bpf_u_int32)many_frame(i, buf, &len);
		h.len = (bpf_u_int32)len;
		/* a millisecond apart: idle flows expire, and are reported, while reading */
		h.ts.tv_sec = 1700000000 + i / 1000;
		h.ts.tv_usec = (suseconds_t)(i % 1000) * 1000000;
		pcap_dump((u_char *)d, &h, buf);
	}
	pcap_dump_close(d);
	pcap_close(p);
}

static void many_expect_same(const struct many_case *c, const struct many_flows *got,
			     const struct many_flows *want)
{
	ck_assert_msg(got->n == want->n, "%s: %zu flows, want %zu", c->name, got->n, want->n);
	for (size_t i = 0; i < want->n; i++) {
		const struct capture_flow *g = &got->flows[i], *w = &want->flows[i];

		ck_assert_msg(util_addr_compare(&g->client, &w->client) == 0 &&
				      util_addr_compare(&g->server, &w->server) == 0 &&
				      g->proto == w->proto && g->port == w->port &&
				      g->first_ns == w->first_ns && g->last_ns == w->last_ns &&
				      g->packets == w->packets && g->how == w->how &&
				      g->id == w->id,
			      "%s: flow %zu differs", c->name, i);
	}
}

struct many_pipe {
	const char *path;
	int fd;
};

/* Copies the file into the pipe in 32 KiB pieces (~450 records), 3 ms apart. */
static void *many_pipe_write(void *arg)
{
	const struct many_pipe *mp = arg;
	size_t len, off = 0;
	char *data = test_read_file(mp->path, &len);

	while (data && off < len) {
		size_t n = len - off < 32768 ? len - off : 32768;
		ssize_t w = write(mp->fd, data + off, n);

		if (w <= 0)
			break;
		off += (size_t)w;
		many_nap(3 * 1000000L);
	}
	close(mp->fd);
	free(data);
	return NULL;
}

/* Reads path with capture_file_read() into a fresh tracker; flows into got, stats returned. */
static struct capture_stats many_read(const struct many_case *c, const char *path,
				      struct many_flows *got)
{
	struct capture_tracker *t = capture_tracker_new(many_collect, got);
	struct capture_stats stats = {0};
	struct util_err err = {.msg = ""};
	struct many_pipe mp = {.path = path};
	char fdpath[64];
	pthread_t writer;
	int fds[2];

	capture_tracker_set_idle_fn(t, many_idle);
	got->reader = pthread_self();
	got->slow = c->slow_flows;
	if (c->slow_input) {
		ck_assert_int_eq(pipe(fds), 0);
		mp.fd = fds[1];
		ck_assert_int_eq(pthread_create(&writer, NULL, many_pipe_write, &mp), 0);
		snprintf(fdpath, sizeof(fdpath), "/dev/fd/%d", fds[0]);
		path = fdpath;
	}
	ck_assert_msg(capture_file_read(t, path, NULL, &stats, &err) == 0, "%s: %s", c->name,
		      err.msg);
	if (c->slow_input) {
		ck_assert_int_eq(pthread_join(writer, NULL), 0);
		close(fds[0]);
	}
	capture_tracker_flush(t);
	capture_tracker_free(t);
	return stats;
}

START_TEST(test_file_many)
{
	const struct many_case *c = &many_cases[_i];
	struct many_flows want = {0};
	struct capture_tracker *ref = capture_tracker_new(many_collect, &want);
	uint64_t counts[CAPTURE_DECODE_KINDS] = {0};
	struct capture_stats want_stats = {0};
	char errbuf[PCAP_ERRBUF_SIZE], path[] = "/tmp/test-capture-file-many-XXXXXX";
	struct pcap_pkthdr *h;
	const u_char *bytes;
	cpu_set_t one;
	bool two_cpus;
	pcap_t *p;
	int fd;

	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fclose(fdopen(fd, "w")), 0);
	many_write(path, c->packets);

	/* the reference: the same records, decoded and fed on this thread, one at a time */
	p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, errbuf);
	ck_assert_msg(p != NULL, "%s", errbuf);
	while (pcap_next_ex(p, &h, &bytes) == 1) {
		struct capture_packet pkt;
		uint64_t ts;

		if (capture_record_decode(DLT_EN10MB, true, h, bytes, NULL, counts, &pkt, &ts))
			capture_tracker_add(ref, &pkt, ts);
	}
	pcap_close(p);
	capture_tracker_flush(ref);
	capture_tracker_free(ref);
	ck_assert_uint_eq(capture_stats_add(&want_stats, counts), c->packets);
	if (c->packets > 1000) { /* the mix has each kind, and flows ended while reading */
		ck_assert_uint_gt(want_stats.truncated, 0);
		ck_assert_uint_gt(want_stats.not_ip, 0);
		ck_assert_uint_gt(want.n, 48);
	}

	/*
	 * Twice: as the machine allows (two threads where there are two CPUs), then pinned to one
	 * CPU, where the reader feeds the tracker itself. (Check runs each test in its own
	 * process.)
	 */
	ck_assert_int_eq(sched_getaffinity(0, sizeof(one), &one), 0);
	two_cpus = CPU_COUNT(&one) >= 2;
	for (int pinned = 0; pinned < 2; pinned++) {
		struct many_flows got = {0};
		struct capture_stats stats;

		if (pinned) {
			cpu_set_t all;
			int cpu = 0;

			ck_assert_int_eq(sched_getaffinity(0, sizeof(all), &all), 0);
			while (!CPU_ISSET(cpu, &all))
				cpu++;
			CPU_ZERO(&one);
			CPU_SET(cpu, &one);
			ck_assert_int_eq(sched_setaffinity(0, sizeof(one), &one), 0);
		}
		stats = many_read(c, path, &got);
		/*
		 * The idle function runs on the thread that has the flows, when the reader is
		 * behind: input slower than the feeder is, on two threads; one thread never waits.
		 */
		ck_assert_msg(!got.idle_elsewhere, "%s: idle on another thread", c->name);
		ck_assert_msg(!got.idle_on_reader, "%s: idle on the reader's thread", c->name);
		if (pinned)
			ck_assert_uint_eq(got.idle, 0);
		else if (c->slow_input && two_cpus)
			ck_assert_msg(got.idle > 0, "%s: never idle", c->name);
		ck_assert_uint_eq(stats.packets, c->packets);
		ck_assert_uint_eq(stats.decoded, want_stats.decoded);
		ck_assert_uint_eq(stats.truncated, want_stats.truncated);
		ck_assert_uint_eq(stats.not_ip, want_stats.not_ip);
		many_expect_same(c, &got, &want);
		free(got.flows);
	}
	free(want.flows);
	remove(path);
}
END_TEST

/* ---- Stats -------------------------------------------------------------------------------- */

/* Counts add up; the span widens to both, and an empty one (first 0) widens nothing. */
static const struct {
	uint64_t to_first, to_last, from_first, from_last, first, last;
} merge_cases[] = {
	{0, 0, 5, 9, 5, 9}, {3, 7, 5, 9, 3, 9}, {5, 9, 3, 7, 3, 9},
	{5, 9, 0, 0, 5, 9}, {5, 9, 6, 8, 5, 9}, {0, 0, 0, 0, 0, 0},
};

START_TEST(test_stats_merge)
{
	struct capture_stats to = {
		1, 2, 3, 4, 5, 6, 7, merge_cases[_i].to_first, merge_cases[_i].to_last};
	const struct capture_stats from = {
		10, 20, 30, 40, 50, 60, 70, merge_cases[_i].from_first, merge_cases[_i].from_last};

	capture_stats_merge(&to, &from);
	ck_assert_uint_eq(to.packets, 11);
	ck_assert_uint_eq(to.decoded, 22);
	ck_assert_uint_eq(to.truncated, 33);
	ck_assert_uint_eq(to.not_ip, 44);
	ck_assert_uint_eq(to.fragments, 55);
	ck_assert_uint_eq(to.unsupported, 66);
	ck_assert_uint_eq(to.malformed, 77);
	ck_assert_uint_eq(to.first_ns, merge_cases[_i].first);
	ck_assert_uint_eq(to.last_ns, merge_cases[_i].last);
}
END_TEST

static Suite *capture_file_suite(void)
{
	Suite *s = suite_create("capture-file");
	TCase *tc;

	tc = tcase_create("file");
	tcase_add_loop_test(tc, test_file, 0, UTIL_ARRAY_SIZE(file_cases));
	tcase_add_test(tc, test_file_stats_add);
	tcase_add_loop_test(tc, test_file_many, 0, UTIL_ARRAY_SIZE(many_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("stats");
	tcase_add_loop_test(tc, test_stats_merge, 0, UTIL_ARRAY_SIZE(merge_cases));
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_run(capture_file_suite());
}
