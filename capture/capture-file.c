/* SPDX-License-Identifier: Apache-2.0 */
/* capture-file.c - feeds the packets of a pcap or pcapng file through the decoder to the tracker.
 */
#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "capture/capture.h"

/* Counted here and added to the caller's stats once, at the end: no pointer chase per packet. */
struct read_ctx {
	struct capture_tracker *t;
	int dlt;
	uint64_t counts[CAPTURE_DECODE_KINDS];
};

static void read_one(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
	struct read_ctx *ctx = (struct read_ctx *)user;
	struct capture_packet p;
	uint64_t ts;

	/* The handle was opened with nanosecond precision: tv_usec holds nanoseconds. */
	if (capture_record_decode(ctx->dlt, true, h, bytes, ctx->counts, &p, &ts))
		capture_tracker_add(ctx->t, &p, ts);
}

static uint64_t read_ctx_packets(const struct read_ctx *ctx)
{
	return capture_stats_add(NULL, ctx->counts);
}

int capture_file_read(struct capture_tracker *t, const char *path, struct capture_stats *stats,
		      struct util_err *err)
{
	char errbuf[PCAP_ERRBUF_SIZE] = "";
	struct read_ctx ctx = {.t = t};
	const char *name;
	pcap_t *p = NULL;
	struct stat st;
	FILE *f;
	int r;

	/* Opened here rather than by libpcap so that a missing file reports its real errno. */
	f = fopen(path, "rb");
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

	/* One pcap_dispatch over the whole file: no per-packet call and copy as pcap_next_ex. */
	r = pcap_dispatch(p, -1, read_one, (u_char *)&ctx);
	if (r == PCAP_ERROR) {
		r = util_err_set(err, EINVAL, "%s: record %llu: %s", path,
				 (unsigned long long)(read_ctx_packets(&ctx) + 1), pcap_geterr(p));
		goto out;
	}
	r = 0;
out:
	(void)capture_stats_add(stats, ctx.counts);
	pcap_close(p);
	return r;
}
