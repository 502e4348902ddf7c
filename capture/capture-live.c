/* SPDX-License-Identifier: Apache-2.0 */
/* capture-live.c - live capture on the interfaces that match, following links as they come and go.
 */
#include <errno.h>
#include <fnmatch.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <linux/rtnetlink.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/object.h>
#include <netlink/route/link.h>
#include <netlink/socket.h>

#include "capture/capture-private.h"

/*
 * Every attached interface holds a kernel ring (see CAPTURE_LIVE_RING_BUDGET) and a descriptor the
 * caller polls; the agent's poll set is sized for this many. Matching interfaces beyond it are not
 * attached.
 */
#define LIVE_MAX_ATTACHED CAPTURE_LIVE_MAX_IFACES
/*
 * Stats entries are kept for interfaces that are gone (their drops must still be reported) and
 * their indexes never change, so the caller can remember per-index values. Past this many, a new
 * interface takes over the entry of the longest gone one that never dropped anything, so the
 * counters of every entry only ever grow.
 */
#define LIVE_MAX_ENTRIES 4096
/* The TPACKET_V3 block timeout: how long a quiet interface may hold packets back. */
#define LIVE_TIMEOUT_MS 100
/* How long a detached interface's handle is still read: its last ring block, with margin. */
#define LIVE_LINGER_MS (3 * LIVE_TIMEOUT_MS)
/* Packets read from one interface per dispatch, so that one busy link cannot starve the others. */
#define LIVE_BATCH 4096
/* Netlink reads per dispatch: a storm of link changes cannot starve packet reading. */
#define LIVE_NL_ROUNDS 64
/* pcap_stats() reads sysfs files on Linux: an idle interface refreshes at most this often. */
#define LIVE_STATS_INTERVAL_NS UTIL_NSEC_PER_SEC
/*
 * How long decoded packets wait to be put in time order with other interfaces' (see held_add()):
 * a few TPACKET_V3 block timeouts. Past LIVE_HOLD_MAX waiting, the older half leaves at once.
 */
#define LIVE_HOLD_MS  250
#define LIVE_HOLD_MAX 65536
/* The event socket's receive buffer: containers started in bulk send link messages in bursts. */
#define LIVE_NL_RCVBUF (1 << 20)

/*
 * The kernel-side filter: only what opens or closes a connection, plus what direction recovery
 * needs, so a bulk transfer costs a handful of packets however large it is.
 */
static const char live_filter_core[] =
	/* IPv4 TCP with SYN, FIN or RST: opens and closes. A mask, so ECN SYNs (ECE, CWR) match
	 * too; tcp[] follows the IPv4 header length and skips non-first fragments itself. */
	"(ip and tcp[tcpflags] & (tcp-syn|tcp-fin|tcp-rst) != 0)"
	/* All IPv4 UDP and SCTP: UDP has no handshake to select on; SCTP is rare, kept whole. */
	" or (ip and (udp or sctp))"
	/* ICMP echo request and reply; destination unreachable, which refuses a flow. */
	" or (ip and (icmp[icmptype] == icmp-echo or icmp[icmptype] == icmp-echoreply"
	" or icmp[icmptype] == icmp-unreach))"
	/* IPv6 TCP with SYN, FIN or RST, no extension headers: the flags are at 40 + 13. tcp[]
	 * works for IPv4 only, and "ip6 and tcp" also matches TCP behind a fragment header, so the
	 * next header field is compared directly. */
	" or (ip6 and ip6[6] == 6 and ip6[53] & 0x07 != 0)"
	/* IPv6 UDP and SCTP, no extension headers. */
	" or (ip6 and (ip6[6] == 17 or ip6[6] == 132))"
	/* ICMPv6 echo request (128) and reply (129), unreachable (1), no extension headers. */
	" or (ip6 and ip6[6] == 58 and (ip6[40] == 128 or ip6[40] == 129 or ip6[40] == 1))"
	/* IPv6 starting with an extension header capture_decode() walks (hop-by-hop, routing,
	 * fragment, AH, destination options, mobility): BPF cannot follow the chain, so whole. */
	" or (ip6 and (ip6[6] == 0 or ip6[6] == 43 or ip6[6] == 44 or ip6[6] == 51"
	" or ip6[6] == 60 or ip6[6] == 135))"
	/* IP-in-IP (4, 41) and GRE (47), whole: what opens a flow is inside, where BPF cannot
	 * follow. VXLAN and Geneve are UDP, kept above. */
	" or (ip and (ip[9] == 4 or ip[9] == 41 or ip[9] == 47))"
	" or (ip6 and (ip6[6] == 4 or ip6[6] == 41 or ip6[6] == 47))"
	/* MPLS and PPPoE sessions, whole, for the same reason */
	" or ether[12:2] == 0x8847 or ether[12:2] == 0x8848 or ether[12:2] == 0x8864";

/*
 * The same clauses behind one or two VLAN tags that are still in the frame, for Ethernet, where
 * the tags sit before the EtherType. printf arguments: 1 the EtherType's offset, 2 the IP
 * header's, 3 the test that the tags are there. Written with plain ether[] loads, not libpcap's
 * "vlan" keyword: on a Linux live handle that keyword tests the tag the kernel moved into the
 * packet's metadata, and a clause before it then reads the headers at the wrong offsets (libpcap
 * 1.10 compiles "(X) or (vlan and (X))" so that an untagged-by-the-kernel ACK matches). The
 * outermost tag the kernel takes off on receive is no longer in the bytes the filter reads, so
 * live_filter_core already matches a frame with one such tag.
 */
static const char live_filter_tagged[] =
	"(%3$s and ("
	/* IPv4: TCP with SYN, FIN or RST in a first fragment, after the header's own length */
	"(ether[%1$d:2] == 0x0800 and ("
	"(ether[%2$d + 9] == 6 and ether[%2$d + 6:2] & 0x1fff == 0"
	" and ether[%2$d + ((ether[%2$d] & 0x0f) << 2) + 13] & 0x07 != 0)"
	/* UDP and SCTP; IP-in-IP and GRE */
	" or ether[%2$d + 9] == 17 or ether[%2$d + 9] == 132"
	" or ether[%2$d + 9] == 4 or ether[%2$d + 9] == 41 or ether[%2$d + 9] == 47"
	/* ICMP echo request (8), reply (0) and unreachable (3) in a first fragment */
	" or (ether[%2$d + 9] == 1 and ether[%2$d + 6:2] & 0x1fff == 0"
	" and (ether[%2$d + ((ether[%2$d] & 0x0f) << 2)] == 8"
	" or ether[%2$d + ((ether[%2$d] & 0x0f) << 2)] == 0"
	" or ether[%2$d + ((ether[%2$d] & 0x0f) << 2)] == 3))))"
	/* IPv6: the same as live_filter_core, then the extension headers kept whole */
	" or (ether[%1$d:2] == 0x86dd and ("
	"(ether[%2$d + 6] == 6 and ether[%2$d + 53] & 0x07 != 0)"
	" or ether[%2$d + 6] == 17 or ether[%2$d + 6] == 132"
	" or (ether[%2$d + 6] == 58 and (ether[%2$d + 40] == 128 or ether[%2$d + 40] == 129"
	" or ether[%2$d + 40] == 1))"
	" or ether[%2$d + 6] == 0 or ether[%2$d + 6] == 43 or ether[%2$d + 6] == 44"
	" or ether[%2$d + 6] == 51 or ether[%2$d + 6] == 60 or ether[%2$d + 6] == 135"
	" or ether[%2$d + 6] == 4 or ether[%2$d + 6] == 41 or ether[%2$d + 6] == 47))"
	/* MPLS and PPPoE sessions */
	" or ether[%1$d:2] == 0x8847 or ether[%1$d:2] == 0x8848 or ether[%1$d:2] == 0x8864))";

/* A VLAN tag's type at an offset: 802.1Q, 802.1ad, and the older QinQ 0x9100. */
#define LIVE_TAG(off)                                                                              \
	"(ether[" #off ":2] == 0x8100 or ether[" #off ":2] == 0x88a8 or ether[" #off               \
	":2] == 0x9100)"

/* The whole filter for Ethernet: untagged (or one tag held as metadata), one tag, two tags. */
static char *live_filter_ether(void)
{
	char *one = util_asprintf(live_filter_tagged, 16, 18, LIVE_TAG(12));
	char *two = util_asprintf(live_filter_tagged, 20, 22, LIVE_TAG(12) " and " LIVE_TAG(16));
	char *all = util_asprintf("(%s) or %s or %s", live_filter_core, one, two);

	free(one);
	free(two);
	return all;
}

char *capture_live_filter(void)
{
	return live_filter_ether();
}

/* One stats entry: an interface, attached now or before. */
struct live_iface {
	struct capture_iface_stats st;
	/*
	 * pcap_stats() counts in 32 bits per handle: what the current handle said last, so that
	 * only the difference (modulo 2^32) is added and a wrap never reads as a huge jump.
	 * A re-attached interface starts a new handle at zero and adds to the same totals.
	 */
	uint32_t ps_drop_last, ps_ifdrop_last;
	uint64_t stats_ns;   /* monotonic time of the last pcap_stats() */
	uint64_t detach_seq; /* order of detaching, to reuse the longest gone entry */
	pcap_t *pcap;	     /* NULL while detached */
	int ifindex;
	int dlt;
	bool nano;     /* timestamps in nanoseconds (else microseconds) */
	bool shares;   /* its ring is of the shared budget (no bridge) */
	int n_closing; /* handles of it still in struct capture_live's closing[] */
};

/*
 * A detached interface's handle, still read for LIVE_LINGER_MS. When a link goes, the packets it
 * captured last (the FIN or RST of a container that just stopped) may sit in a ring block the
 * kernel has not handed over yet: its block timer still does, after the link is gone, and libpcap
 * reports the link's loss once and then reads on.
 */
struct live_closing {
	pcap_t *pcap;
	struct live_iface *e;
	int dlt;
	bool nano;
	uint64_t until_ms; /* monotonic */
};

struct capture_live {
	char **patterns;
	size_t n_patterns;
	int snaplen;
	int buffer_bytes;
	int ring_budget;
	size_t n_sharing;	/* attached interfaces whose rings share ring_budget */
	size_t sharing_at_open; /* how many matched at open, while it attaches them */
	struct capture_tracker *t;

	struct live_iface **entries; /* append-only: indexes are stable */
	size_t n_entries;
	struct live_iface *attached[LIVE_MAX_ATTACHED];
	size_t n_attached;
	struct live_closing closing[LIVE_MAX_ATTACHED];
	size_t n_closing;
	uint64_t detach_seq;

	char *filter;		    /* live_filter_ether() */
	struct capture_tunnels tun; /* the options' copy: all zero for none */
	struct nl_sock *nl;	    /* RTNLGRP_LINK events */
	bool resync;		    /* events were lost (ENOBUFS): compare against a fresh dump */

	struct capture_stats *cur_stats; /* the caller's, while capture_live_dispatch() runs */
	uint64_t now_ms;		 /* monotonic, as of this dispatch */

	struct held *held;	   /* decoded packets waiting for time order, see held_add() */
	struct held *held_scratch; /* as large, for held_sort()'s merge */
	size_t n_held, n_sorted, cap_held;
	uint64_t held_seq;

	/* Internal counts with no place in capture.h yet. */
	uint64_t ignored;    /* matching interfaces not attached: too many, or no stats entry */
	uint64_t unfiltered; /* handles whose link type took no filter: everything is read */
	uint64_t failed;     /* pcap_create/pcap_activate failures */
};

static bool live_matches(const struct capture_live *l, const char *name)
{
	for (size_t i = 0; i < l->n_patterns; i++)
		if (fnmatch(l->patterns[i], name, 0) == 0)
			return true;
	return false;
}

/* ---- Packets ----------------------------------------------------------------------------- */

/*
 * Packets are handed to the tracker in timestamp order across interfaces. One packet is often
 * seen on several (the client's veth, the bridge, the server's veth), and each interface's ring
 * hands over its block on its own timer: read interface by interface, a SYN seen on the second
 * interface would reach the tracker after the FINs seen on the first, and look like a new
 * connection reusing the ports. So while more than one interface is attached, decoded packets
 * wait here until they are older than a few block timeouts, and leave sorted.
 */
struct held {
	uint64_t ts;
	uint64_t seq;	     /* arrival order: equal timestamps keep it */
	uint64_t arrival_ms; /* monotonic */
	struct capture_packet p;
};

static int held_cmp(const void *x, const void *y)
{
	const struct held *a = x, *b = y;

	if (a->ts != b->ts)
		return a->ts < b->ts ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/*
 * Puts the held packets in order. What came before is sorted already: the new ones are sorted
 * among themselves (each ring is in time order, so that is cheap) and merged in, so the cost per
 * dispatch is linear in what is held, not n log n of it.
 */
static void held_sort(struct capture_live *l)
{
	struct held *a = l->held, *b = l->held + l->n_sorted, *out = l->held_scratch;
	struct held *a_end = b, *b_end = l->held + l->n_held;

	if (l->n_sorted == l->n_held)
		return;
	qsort(b, l->n_held - l->n_sorted, sizeof(*b), held_cmp);
	if (l->n_sorted > 0 && held_cmp(a_end - 1, b) > 0) {
		while (a < a_end && b < b_end)
			*out++ = held_cmp(a, b) <= 0 ? *a++ : *b++;
		while (a < a_end)
			*out++ = *a++;
		while (b < b_end)
			*out++ = *b++;
		memcpy(l->held, l->held_scratch, l->n_held * sizeof(*l->held));
	}
	l->n_sorted = l->n_held;
}

/*
 * Hands over the oldest packets: those that waited LIVE_HOLD_MS (hold false: all of them), and
 * at least min of them. Sorted first, so one that arrived late holds back the ones after it in
 * time, which is the point.
 */
static void held_release(struct capture_live *l, bool hold, size_t min)
{
	size_t n = 0;

	held_sort(l);
	for (; n < l->n_held; n++) {
		const struct held *h = &l->held[n];

		if (hold && n >= min && h->arrival_ms + LIVE_HOLD_MS > l->now_ms)
			break;
		capture_tracker_add(l->t, &h->p, h->ts);
	}
	if (n == 0)
		return;
	l->n_held -= n;
	l->n_sorted -= n;
	memmove(l->held, l->held + n, l->n_held * sizeof(*l->held));
}

static void held_add(struct capture_live *l, const struct capture_packet *p, uint64_t ts)
{
	if (l->n_held == LIVE_HOLD_MAX)
		held_release(l, true, LIVE_HOLD_MAX / 2);
	if (l->n_held == l->cap_held) {
		l->cap_held = l->cap_held ? 2 * l->cap_held : 256;
		l->held = util_reallocarray(l->held, l->cap_held, sizeof(*l->held));
		l->held_scratch = util_reallocarray(l->held_scratch, l->cap_held, sizeof(*l->held));
	}
	l->held[l->n_held++] = (struct held){
		.ts = ts,
		.seq = l->held_seq++,
		.arrival_ms = l->now_ms,
		.p = *p,
	};
}

/* Counted here and added to the caller's stats once per batch, as capture-file.c does. */
struct read_ctx {
	struct capture_live *l;
	int dlt;
	bool nano;
	bool hold; /* through held_add(), else straight to the tracker */
	uint64_t counts[CAPTURE_DECODE_KINDS];
};

static void read_one(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
	struct read_ctx *ctx = (struct read_ctx *)user;
	struct capture_packet p;
	uint64_t ts;

	if (!capture_record_decode(ctx->dlt, ctx->nano, h, bytes, &ctx->l->tun, ctx->counts, &p,
				   &ts))
		return;
	if (ctx->hold)
		held_add(ctx->l, &p, ts);
	else
		capture_tracker_add(ctx->l->t, &p, ts);
}

static void read_ctx_add(const struct read_ctx *ctx, struct live_iface *e, struct capture_stats *s)
{
	e->st.packets += capture_stats_add(s, ctx->counts);
}

/* Returns pcap_dispatch()'s result: the packets read, or a negative PCAP_ERROR. */
static int handle_read(struct capture_live *l, pcap_t *p, int dlt, bool nano, struct live_iface *e,
		       int max)
{
	struct read_ctx ctx = {
		.l = l,
		.dlt = dlt,
		.nano = nano,
		.hold = l->n_attached + l->n_closing > 1 || l->n_held > 0,
	};
	int r;

	r = pcap_dispatch(p, max, read_one, (u_char *)&ctx);
	read_ctx_add(&ctx, e, l->cur_stats);
	return r;
}

static int iface_read(struct capture_live *l, struct live_iface *e, int max)
{
	return handle_read(l, e->pcap, e->dlt, e->nano, e, max);
}

/* ps_drop and ps_ifdrop are cumulative per handle; the entry adds those of earlier handles. */
static void iface_stats_refresh(struct live_iface *e)
{
	struct pcap_stat ps;

	e->stats_ns = util_now_ns(CLOCK_MONOTONIC);
	if (pcap_stats(e->pcap, &ps) < 0)
		return;
	e->st.drops += (uint32_t)(ps.ps_drop - e->ps_drop_last);
	e->st.if_drops += (uint32_t)(ps.ps_ifdrop - e->ps_ifdrop_last);
	e->ps_drop_last = ps.ps_drop;
	e->ps_ifdrop_last = ps.ps_ifdrop;
}

/* ---- Attaching and detaching -------------------------------------------------------------- */

static struct live_iface *entry_find(const struct capture_live *l, const char *name)
{
	for (size_t i = 0; i < l->n_entries; i++)
		if (strcmp(l->entries[i]->st.name, name) == 0)
			return l->entries[i];
	return NULL;
}

/* The entry for name: its own, a new one, or (when full) one of a long gone, drop-free link. */
static struct live_iface *entry_get(struct capture_live *l, const char *name)
{
	struct live_iface *e = entry_find(l, name), *old = NULL;

	if (e)
		return e;
	if (l->n_entries < LIVE_MAX_ENTRIES) {
		e = util_zalloc(sizeof(*e));
		l->entries = util_reallocarray(l->entries, l->n_entries + 1, sizeof(*l->entries));
		l->entries[l->n_entries++] = e;
	} else {
		for (size_t i = 0; i < l->n_entries; i++) {
			struct live_iface *c = l->entries[i];

			if (c->pcap || c->n_closing || c->st.drops || c->st.if_drops)
				continue;
			if (!old || c->detach_seq < old->detach_seq)
				old = c;
		}
		if (!old)
			return NULL;
		e = old;
		*e = (struct live_iface){0};
	}
	/* Names come from the kernel (IFNAMSIZ, 16), shorter than the field. */
	snprintf(e->st.name, sizeof(e->st.name), "%s", name);
	return e;
}

static struct live_iface *attached_by_index(const struct capture_live *l, int ifindex)
{
	for (size_t i = 0; i < l->n_attached; i++)
		if (l->attached[i]->ifindex == ifindex)
			return l->attached[i];
	return NULL;
}

static struct live_iface *attached_by_name(const struct capture_live *l, const char *name)
{
	for (size_t i = 0; i < l->n_attached; i++)
		if (strcmp(l->attached[i]->st.name, name) == 0)
			return l->attached[i];
	return NULL;
}

static void closing_close(struct capture_live *l, size_t i)
{
	struct live_closing *c = &l->closing[i];

	pcap_close(c->pcap);
	c->e->n_closing--;
	*c = l->closing[--l->n_closing];
}

/*
 * The entry stays, with its counts, and is no longer attached. The handle is read a little
 * longer (see struct live_closing) and then closed.
 */
static void iface_detach(struct capture_live *l, struct live_iface *e)
{
	struct live_closing *c;

	iface_stats_refresh(e);
	e->ps_drop_last = 0;
	e->ps_ifdrop_last = 0;
	if (l->n_closing == LIVE_MAX_ATTACHED)
		closing_close(l, 0);
	c = &l->closing[l->n_closing++];
	*c = (struct live_closing){
		.pcap = e->pcap,
		.e = e,
		.dlt = e->dlt,
		.nano = e->nano,
		.until_ms = l->now_ms + LIVE_LINGER_MS,
	};
	e->n_closing++;
	e->pcap = NULL;
	e->ifindex = 0;
	e->st.attached = false;
	if (e->shares)
		l->n_sharing--;
	e->shares = false;
	e->detach_seq = ++l->detach_seq;
	for (size_t i = 0; i < l->n_attached; i++) {
		if (l->attached[i] == e) {
			l->attached[i] = l->attached[--l->n_attached];
			break;
		}
	}
}

/*
 * The Ethernet filter, or the core one for other link types (raw IP, Linux cooked), or none when
 * that does not compile either: an unfiltered handle reads more, but still captures right.
 */
static void iface_set_filter(struct capture_live *l, pcap_t *p, int dlt)
{
	const char *text = dlt == DLT_EN10MB ? l->filter : live_filter_core;
	struct bpf_program prog;
	int r;

	if (pcap_compile(p, &prog, text, 1, PCAP_NETMASK_UNKNOWN) < 0) {
		l->unfiltered++;
		return;
	}
	r = pcap_setfilter(p, &prog);
	pcap_freecode(&prog);
	if (r < 0)
		l->unfiltered++;
}

/* The ring for an interface about to be attached (see CAPTURE_LIVE_RING_BUDGET). */
static int iface_ring_bytes(const struct capture_live *l, bool bridge)
{
	size_t n = l->n_sharing + 1, share;

	if (bridge)
		return l->buffer_bytes;
	if (n < l->sharing_at_open)
		n = l->sharing_at_open;
	share = (size_t)l->ring_budget / n;
	if (share < CAPTURE_LIVE_RING_MIN)
		share = CAPTURE_LIVE_RING_MIN;
	/* never more than a bridge's, even when buffer_bytes is below the minimum */
	return share > (size_t)l->buffer_bytes ? l->buffer_bytes : (int)share;
}

/*
 * Opens a handle on one interface. Errors concern this interface only: the entry records it as
 * not attached. Returns -EPERM when the process may not capture at all.
 */
static int iface_attach(struct capture_live *l, const char *name, int ifindex, bool bridge)
{
	char errbuf[PCAP_ERRBUF_SIZE] = "";
	struct live_iface *e;
	pcap_t *p;
	int r, ring = iface_ring_bytes(l, bridge);

	if (l->n_attached >= LIVE_MAX_ATTACHED) {
		l->ignored++;
		return -ENOSPC;
	}
	e = entry_get(l, name);
	if (!e) {
		l->ignored++;
		return -ENOSPC;
	}

	p = pcap_create(name, errbuf);
	if (!p) {
		l->failed++;
		return -ENODEV;
	}
	(void)pcap_set_snaplen(p, l->snaplen);
	(void)pcap_set_buffer_size(p, ring);
	(void)pcap_set_timeout(p, LIVE_TIMEOUT_MS);
	/*
	 * A veth sees every frame its container sends or receives without promiscuous mode. A
	 * bridge device does not: frames it forwards between two of its ports reach its own
	 * receive path (and so a capture on it) only while it is promiscuous. Anything else (a
	 * physical NIC matched by a pattern) stays as it is: others' frames are not ours to learn.
	 */
	(void)pcap_set_promisc(p, bridge);
	/* Unsupported precision is not fatal: microseconds are then scaled. */
	(void)pcap_set_tstamp_precision(p, PCAP_TSTAMP_PRECISION_NANO);
	/* Immediate mode stays off: TPACKET_V3 hands over whole blocks, one wakeup for many. */
	r = pcap_activate(p);
	/* Warnings (> 0: promiscuous mode or timestamp type unsupported) leave a working handle. */
	if (r < 0) {
		pcap_close(p);
		l->failed++;
		return r == PCAP_ERROR_PERM_DENIED ? -EPERM : -ENODEV;
	}
	e->dlt = pcap_datalink(p);
	if (!capture_linktype_supported(e->dlt)) {
		pcap_close(p);
		l->failed++;
		return -EPROTONOSUPPORT;
	}
	iface_set_filter(l, p, e->dlt);
	if (pcap_setnonblock(p, 1, errbuf) < 0 || pcap_get_selectable_fd(p) < 0) {
		pcap_close(p);
		l->failed++;
		return -ENODEV;
	}
	e->nano = pcap_get_tstamp_precision(p) == PCAP_TSTAMP_PRECISION_NANO;
	e->pcap = p;
	e->ifindex = ifindex;
	e->st.attached = true;
	e->st.attach_ns = util_now_ns(CLOCK_REALTIME);
	e->st.ring_bytes = ring;
	e->shares = !bridge;
	if (e->shares)
		l->n_sharing++;
	e->stats_ns = util_now_ns(CLOCK_MONOTONIC);
	l->attached[l->n_attached++] = e;
	return 0;
}

/*
 * One link as netlink describes it now. A link is captured while it exists, is up and its name
 * matches: it is attached when that becomes true (created, brought up, renamed to a matching
 * name) and detached when it stops (deleted, down, renamed away). A rename is a delete of the
 * old name and a new link under the new one, each with its own stats entry.
 */
static int link_update(struct capture_live *l, int ifindex, const char *name, bool up, bool deleted,
		       bool bridge)
{
	struct live_iface *e = attached_by_index(l, ifindex);

	if (e && (deleted || !up || strcmp(e->st.name, name) != 0))
		iface_detach(l, e);
	if (deleted || !up || !live_matches(l, name))
		return 0;
	e = attached_by_name(l, name);
	if (e && e->ifindex == ifindex)
		return 0;
	/* The same name on another index: the old link's deletion was lost or is still queued. */
	if (e)
		iface_detach(l, e);
	return iface_attach(l, name, ifindex, bridge);
}

/* A bridge keeps a ring of its own; every other link's is of the shared budget. */
static bool link_is_bridge(struct rtnl_link *link)
{
	const char *type = rtnl_link_get_type(link);

	return type && strcmp(type, "bridge") == 0;
}

static int link_update_obj(struct capture_live *l, struct rtnl_link *link, bool deleted)
{
	const char *name = rtnl_link_get_name(link);

	if (!name || rtnl_link_get_ifindex(link) <= 0)
		return 0;
	return link_update(l, rtnl_link_get_ifindex(link), name,
			   (rtnl_link_get_flags(link) & IFF_UP) != 0, deleted,
			   link_is_bridge(link));
}

/* ---- Link watching ------------------------------------------------------------------------ */

static void link_parsed(struct nl_object *obj, void *arg)
{
	struct capture_live *l = arg;
	struct rtnl_link *link = (struct rtnl_link *)obj;
	int type = nl_object_get_msgtype(obj);

	if (strcmp(nl_object_get_type(obj), "route/link") != 0)
		return;
	if (type == RTM_NEWLINK || type == RTM_DELLINK)
		(void)link_update_obj(l, link, type == RTM_DELLINK);
}

static int link_msg(struct nl_msg *msg, void *arg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	const struct ifinfomsg *ifi;

	/*
	 * A bridge reports its ports' state as AF_BRIDGE messages, and RTM_DELLINK with AF_BRIDGE
	 * means a port left the bridge, not that the link is gone: only AF_UNSPEC speaks of links.
	 * Decided on the message header: libnl gives a bridge's own link object the family
	 * AF_BRIDGE even in an AF_UNSPEC message, which made bridges created later invisible.
	 */
	if (!nlmsg_valid_hdr(nlh, sizeof(*ifi)))
		return NL_OK;
	ifi = nlmsg_data(nlh);
	if (ifi->ifi_family != AF_UNSPEC)
		return NL_OK;
	(void)nl_msg_parse(msg, link_parsed, arg);
	return NL_OK;
}

/*
 * Makes the attached set match a dump of every link: at open, and after the event socket
 * overflowed. Uses its own socket: the event socket is nonblocking and carries events.
 */
static int links_sync(struct capture_live *l, bool at_open, struct util_err *err)
{
	struct nl_cache *cache = NULL;
	struct nl_object *obj;
	struct nl_sock *sk;
	int r;

	sk = nl_socket_alloc();
	if (!sk)
		return util_err_set(err, ENOMEM, "rtnetlink: out of memory");
	r = nl_connect(sk, NETLINK_ROUTE);
	if (r == 0)
		r = rtnl_link_alloc_cache(sk, AF_UNSPEC, &cache);
	if (r < 0) {
		r = util_err_set(err, EIO, "rtnetlink: listing links: %s", nl_geterror(r));
		goto out;
	}

	/* Gone, renamed or down since: detach. Iterated from the end: detaching moves the last. */
	for (size_t i = l->n_attached; i-- > 0;) {
		struct live_iface *e = l->attached[i];
		struct rtnl_link *link = rtnl_link_get(cache, e->ifindex);
		const char *name = link ? rtnl_link_get_name(link) : NULL;

		if (!name || strcmp(name, e->st.name) != 0 || !(rtnl_link_get_flags(link) & IFF_UP))
			iface_detach(l, e);
		rtnl_link_put(link);
	}
	/* at open, the shared rings are cut for every interface that matches, whatever the order */
	l->sharing_at_open = 0;
	for (obj = nl_cache_get_first(cache); at_open && obj; obj = nl_cache_get_next(obj)) {
		struct rtnl_link *link = (struct rtnl_link *)obj;
		const char *name = rtnl_link_get_name(link);

		if (name && (rtnl_link_get_flags(link) & IFF_UP) && live_matches(l, name) &&
		    !link_is_bridge(link))
			l->sharing_at_open++;
	}
	r = 0;
	for (obj = nl_cache_get_first(cache); obj; obj = nl_cache_get_next(obj)) {
		/* Only at open is a missing privilege fatal: later, after dropping privileges, one
		 * interface that cannot be attached is only counted. */
		if (link_update_obj(l, (struct rtnl_link *)obj, false) == -EPERM && at_open && !r)
			r = util_err_set(err, EPERM,
					 "%s: capturing: permission denied (needs CAP_NET_RAW)",
					 rtnl_link_get_name((struct rtnl_link *)obj));
	}
	l->sharing_at_open = 0;
out:
	nl_cache_free(cache);
	nl_socket_free(sk);
	return r;
}

static int links_watch(struct capture_live *l, struct util_err *err)
{
	int r;

	l->nl = nl_socket_alloc();
	if (!l->nl)
		return util_err_set(err, ENOMEM, "rtnetlink: out of memory");
	nl_socket_disable_seq_check(l->nl);
	r = nl_socket_modify_cb(l->nl, NL_CB_VALID, NL_CB_CUSTOM, link_msg, l);
	if (r == 0)
		r = nl_connect(l->nl, NETLINK_ROUTE);
	if (r == 0)
		r = nl_socket_set_buffer_size(l->nl, LIVE_NL_RCVBUF, 0);
	if (r == 0)
		r = nl_socket_add_membership(l->nl, RTNLGRP_LINK);
	if (r == 0)
		r = nl_socket_set_nonblocking(l->nl);
	if (r < 0)
		return util_err_set(err, EIO, "rtnetlink: watching links: %s", nl_geterror(r));
	return 0;
}

/* Reads the queued link events; never blocks. */
static int links_read(struct capture_live *l, struct util_err *err)
{
	for (int i = 0; i < LIVE_NL_ROUNDS; i++) {
		int r = nl_recvmsgs_default(l->nl);

		if (r >= 0)
			continue;
		if (r == -NLE_AGAIN)
			break;
		/* ENOBUFS: events were dropped; what they said is recovered from a dump. */
		if (r == -NLE_NOMEM) {
			l->resync = true;
			continue;
		}
		return util_err_set(err, EIO, "rtnetlink: reading link events: %s", nl_geterror(r));
	}
	if (!l->resync)
		return 0;
	l->resync = false;
	return links_sync(l, false, err);
}

/* ---- The interface ------------------------------------------------------------------------ */

int capture_live_open(const struct capture_live_options *opts, struct capture_tracker *t,
		      struct capture_live **ret, struct util_err *err)
{
	struct capture_live *l;
	int r;

	if (opts->n_patterns == 0 || !opts->patterns)
		return util_err_set(err, EINVAL, "live capture: no interface pattern");
	if (opts->snaplen < 0 || opts->buffer_bytes < 0 || opts->ring_budget < 0)
		return util_err_set(err, EINVAL, "live capture: negative snaplen or buffer size");

	l = util_zalloc(sizeof(*l));
	l->t = t;
	l->snaplen = opts->snaplen ? opts->snaplen : CAPTURE_LIVE_SNAPLEN;
	l->buffer_bytes = opts->buffer_bytes ? opts->buffer_bytes : CAPTURE_LIVE_BUFFER;
	l->ring_budget = opts->ring_budget ? opts->ring_budget : CAPTURE_LIVE_RING_BUDGET;
	l->filter = live_filter_ether();
	if (opts->tunnels)
		l->tun = *opts->tunnels;
	l->patterns = util_reallocarray(NULL, opts->n_patterns, sizeof(*l->patterns));
	for (size_t i = 0; i < opts->n_patterns; i++)
		l->patterns[l->n_patterns++] = util_strdup(opts->patterns[i]);

	/*
	 * Subscribe first, then list: a link created in between shows up in the list, the events
	 * or both, and attaching is idempotent. No matching interface yet is fine: containers,
	 * and their bridges and veths, may come later.
	 */
	r = links_watch(l, err);
	if (r == 0)
		r = links_sync(l, true, err);
	if (r < 0) {
		capture_live_free(l);
		return r;
	}
	*ret = l;
	return 0;
}

size_t capture_live_pollfds(const struct capture_live *l, struct pollfd *fds, size_t max)
{
	size_t n = 0;

	if (n < max)
		fds[n++] = (struct pollfd){.fd = nl_socket_get_fd(l->nl), .events = POLLIN};
	for (size_t i = 0; i < l->n_attached && n < max; i++)
		fds[n++] = (struct pollfd){.fd = pcap_get_selectable_fd(l->attached[i]->pcap),
					   .events = POLLIN};
	/* Detached, still read for a moment: their last packets come without delay. */
	for (size_t i = 0; i < l->n_closing && n < max; i++)
		fds[n++] = (struct pollfd){.fd = pcap_get_selectable_fd(l->closing[i].pcap),
					   .events = POLLIN};
	return n;
}

int capture_live_dispatch(struct capture_live *l, struct capture_stats *stats, struct util_err *err)
{
	uint64_t now = util_now_ns(CLOCK_MONOTONIC);
	int r;

	l->cur_stats = stats;
	l->now_ms = now / UTIL_NSEC_PER_MSEC;
	/*
	 * Packets first: a link whose deletion is queued on netlink still has its last packets in
	 * the ring. Every handle is tried (nonblocking; an empty ring costs one check), from the
	 * end, since detaching moves the last handle into the freed slot.
	 */
	for (size_t i = l->n_attached; i-- > 0;) {
		struct live_iface *e = l->attached[i];

		r = iface_read(l, e, LIVE_BATCH);
		if (r < 0) {
			/* The link vanished or went down before netlink said so: not fatal. */
			iface_detach(l, e);
			continue;
		}
		if (r > 0 || now - e->stats_ns >= LIVE_STATS_INTERVAL_NS)
			iface_stats_refresh(e);
	}
	r = links_read(l, err);
	/* Closing handles last, so that one detached just now is read once before it closes. */
	for (size_t i = l->n_closing; i-- > 0;) {
		struct live_closing *c = &l->closing[i];

		/* Errors are expected here: the link is gone. The ring still holds what it held. */
		(void)handle_read(l, c->pcap, c->dlt, c->nano, c->e, LIVE_BATCH);
		if (l->now_ms >= c->until_ms)
			closing_close(l, i);
	}
	held_release(l, l->n_attached + l->n_closing > 1, 0);
	l->cur_stats = NULL;
	return r;
}

void capture_live_drain(struct capture_live *l, struct capture_stats *stats)
{
	l->cur_stats = stats;
	l->now_ms = util_now_ns(CLOCK_MONOTONIC) / UTIL_NSEC_PER_MSEC;
	for (size_t i = l->n_attached; i-- > 0;)
		(void)iface_read(l, l->attached[i], LIVE_BATCH);
	for (size_t i = 0; i < l->n_closing; i++)
		(void)handle_read(l, l->closing[i].pcap, l->closing[i].dlt, l->closing[i].nano,
				  l->closing[i].e, LIVE_BATCH);
	held_release(l, false, 0);
	l->cur_stats = NULL;
}

size_t capture_live_iface_count(const struct capture_live *l)
{
	return l->n_entries;
}

const struct capture_iface_stats *capture_live_iface(const struct capture_live *l, size_t i)
{
	return i < l->n_entries ? &l->entries[i]->st : NULL;
}

struct capture_live *capture_live_free(struct capture_live *l)
{
	if (!l)
		return NULL;
	for (size_t i = 0; i < l->n_closing; i++)
		pcap_close(l->closing[i].pcap);
	for (size_t i = 0; i < l->n_entries; i++) {
		if (l->entries[i]->pcap)
			pcap_close(l->entries[i]->pcap);
		free(l->entries[i]);
	}
	free(l->entries);
	for (size_t i = 0; i < l->n_patterns; i++)
		free(l->patterns[i]);
	free(l->patterns);
	free(l->filter);
	/* Packets still waiting for time order are dropped: the tracker may be flushed already. */
	free(l->held);
	free(l->held_scratch);
	nl_socket_free(l->nl);
	free(l);
	return NULL;
}
