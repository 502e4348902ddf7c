/* SPDX-License-Identifier: Apache-2.0 */
/* capture-conntrack.c - conntrack NEW and DESTROY events and table dumps, fed to the tracker. */
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>

#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <netlink/errno.h>
#include <netlink/msg.h>
#include <netlink/netfilter/ct.h>
#include <netlink/netfilter/nfnl.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

#define uthash_fatal(msg) abort()
#include <uthash.h>

#include "capture/capture-private.h"

/*
 * Two netlink sockets in the caller's network namespace (conntrack is per namespace): one
 * subscribed to NEW and DESTROY events, read without blocking from the main loop, and one for
 * dumps of the whole table. The subscription comes first and the dump second, so a connection
 * opened in between is in the dump, or its NEW event waits in the event socket, or both.
 *
 * Every entry goes to the tracker (capture_tracker_add_ct()), which keys flows by the original
 * tuple and so already merges a dump entry with an event for the same connection. What it cannot
 * know is which connections it has been told about before: a TCP entry outlives its connection
 * (TIME_WAIT) and a UDP one its last packet, so the flow is often reported and freed long before
 * conntrack drops the entry, and a dump that lists the entry again would make a second flow. So
 * this file remembers every connection it has fed, by conntrack id and original tuple, until its
 * DESTROY (struct ct_seen): memory grows with the kernel's table (nf_conntrack_max), never with
 * traffic. A known entry is not fed again; a DESTROY for one never fed (opened before the
 * subscription, or its NEW lost) is fed as NEW then DESTROY, so the connection is not lost.
 *
 * When the kernel cannot queue an event, the next read fails with ENOBUFS (libnl maps it to
 * NLE_NOMEM, as it does ENOMEM: lib/error.c nl_syserr2nlerr() in libnl 3.7). Events are lost,
 * so the receive buffer is doubled (SO_RCVBUFFORCE, which CAP_NET_ADMIN allows beyond rmem_max,
 * else SO_RCVBUF) up to CT_RCVBUF_MAX and the table is dumped again. Entries the new dump lists
 * and that were not known are fed; known ones it no longer lists ended while events were lost:
 * their flows are closed (a DESTROY) and they are kept, marked gone, until the events queued
 * before the dump have been read, in case their own DESTROY is among them.
 */

#define CT_RCVBUF     (8 << 20)
#define CT_RCVBUF_MAX (64 << 20)
/* A dump that the table's changes interrupted (NLM_F_DUMP_INTR) is made again, this often. */
#define CT_DUMP_TRIES 3
/* A dump that stalls this long fails instead of blocking the agent. */
#define CT_DUMP_TIMEOUT_S 5
/* Datagrams read per dispatch, so that a storm of events cannot starve the other sources. */
#define CT_READS_PER_DISPATCH 4096

/* A connection fed to the tracker: conntrack's id and the original tuple. */
struct ct_seen_key {
	uint32_t id;
	uint8_t family;
	uint8_t proto;
	uint16_t sport;
	uint16_t dport;
	uint8_t pad[2];
	uint8_t src[16];
	uint8_t dst[16];
};

struct ct_seen {
	struct ct_seen_key key;
	uint32_t gen; /* the last dump that listed it */
	bool gone;    /* not in the last resync dump: closed, its own DESTROY may still come */
	bool replied, assured; /* what the tracker has been told */
	UT_hash_handle hh;
};

struct capture_conntrack {
	struct capture_tracker *t;
	struct nl_sock *ev;   /* NEW, UPDATE and DESTROY events, nonblocking */
	struct nl_sock *dump; /* table dumps */
	struct ct_seen *seen;
	size_t n_gone;
	uint32_t gen;
	int rcvbuf;
	bool dumping;
	struct capture_conntrack_stats stats;
};

/* A libnl error as the errno it most likely came from, for the caller's return value. */
static int ct_errno(int nlerr)
{
	switch (-nlerr) {
	case NLE_PERM:
		return EPERM;
	case NLE_NOACCESS:
		return EACCES;
	case NLE_NOMEM:
		return ENOBUFS;
	case NLE_AGAIN:
		return ETIMEDOUT;
	case NLE_AF_NOSUPPORT:
	case NLE_PROTO_MISMATCH:
	case NLE_OPNOTSUPP:
		return EPROTONOSUPPORT;
	default:
		return EIO;
	}
}

static const char *ct_hint(int nlerr)
{
	return nlerr == -NLE_PERM || nlerr == -NLE_NOACCESS ? " (needs CAP_NET_ADMIN)" : "";
}

static bool ct_addr(const struct nl_addr *a, int family, struct util_addr *ret)
{
	unsigned int len = family == AF_INET ? 4 : 16;

	if (!a || nl_addr_get_family(a) != family || nl_addr_get_len(a) != len)
		return false;
	*ret = (struct util_addr){.family = (uint8_t)family};
	memcpy(ret->bytes, nl_addr_get_binary_addr(a), len);
	return true;
}

/* The ports of one tuple; ICMP's echo identifier stands in both, as decoded packets have it. */
static void ct_ports(const struct nfnl_ct *ct, int repl, uint8_t proto, uint16_t *ret_sport,
		     uint16_t *ret_dport)
{
	if (proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6) {
		uint16_t id = nfnl_ct_test_icmp_id(ct, repl) ? nfnl_ct_get_icmp_id(ct, repl) : 0;

		*ret_sport = *ret_dport = id;
		return;
	}
	*ret_sport = nfnl_ct_test_src_port(ct, repl) ? nfnl_ct_get_src_port(ct, repl) : 0;
	*ret_dport = nfnl_ct_test_dst_port(ct, repl) ? nfnl_ct_get_dst_port(ct, repl) : 0;
}

/* False for what flowlock does not follow: other families and protocols, broken entries. */
static bool ct_event_make(const struct nfnl_ct *ct, bool destroy, struct capture_ct_event *ret)
{
	int family = nfnl_ct_get_family(ct);
	struct capture_ct_event ev = {.destroy = destroy};
	uint32_t status = nfnl_ct_test_status(ct) ? nfnl_ct_get_status(ct) : 0;

	if ((family != AF_INET && family != AF_INET6) || !nfnl_ct_test_proto(ct))
		return false;
	ev.replied = status & IPS_SEEN_REPLY;
	ev.assured = status & IPS_ASSURED;
	ev.proto = nfnl_ct_get_proto(ct);
	switch (ev.proto) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
	case IPPROTO_SCTP:
		break;
	case IPPROTO_ICMP:
		if (family != AF_INET)
			return false;
		break;
	case IPPROTO_ICMPV6:
		if (family != AF_INET6)
			return false;
		break;
	default:
		return false;
	}
	if (!ct_addr(nfnl_ct_get_src(ct, 0), family, &ev.orig_src) ||
	    !ct_addr(nfnl_ct_get_dst(ct, 0), family, &ev.orig_dst))
		return false;
	ct_ports(ct, 0, ev.proto, &ev.orig_sport, &ev.orig_dport);
	if (ct_addr(nfnl_ct_get_src(ct, 1), family, &ev.reply_src) &&
	    ct_addr(nfnl_ct_get_dst(ct, 1), family, &ev.reply_dst)) {
		ct_ports(ct, 1, ev.proto, &ev.reply_sport, &ev.reply_dport);
	} else {
		/* No reply tuple: no NAT to know of. */
		ev.reply_src = ev.orig_dst;
		ev.reply_dst = ev.orig_src;
		ev.reply_sport = ev.orig_dport;
		ev.reply_dport = ev.orig_sport;
	}
	*ret = ev;
	return true;
}

static void ct_seen_key_make(const struct capture_ct_event *ev, uint32_t id,
			     struct ct_seen_key *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->id = id;
	ret->family = ev->orig_src.family;
	ret->proto = ev->proto;
	ret->sport = ev->orig_sport;
	ret->dport = ev->orig_dport;
	memcpy(ret->src, ev->orig_src.bytes, sizeof(ret->src));
	memcpy(ret->dst, ev->orig_dst.bytes, sizeof(ret->dst));
}

static void ct_seen_drop(struct capture_conntrack *c, struct ct_seen *s)
{
	if (s->gone)
		c->n_gone--;
	HASH_DEL(c->seen, s);
	free(s);
}

/* One connection from an event or a dump: to the tracker, unless it has it already. */
static void ct_feed(struct capture_conntrack *c, const struct capture_ct_event *ev, uint32_t id)
{
	struct ct_seen_key k;
	struct ct_seen *s;
	bool gone;

	ct_seen_key_make(ev, id, &k);
	HASH_FIND(hh, c->seen, &k, sizeof(k), s);
	if (!ev->destroy) {
		if (s) {
			/* Listed again after all: it was not gone, and its flow is known. */
			if (s->gone) {
				s->gone = false;
				c->n_gone--;
			}
			s->gen = c->gen;
			/* An update (or a dump) that says more than the tracker knows: a reply. */
			if ((ev->replied && !s->replied) || (ev->assured && !s->assured)) {
				struct capture_ct_event up = *ev;

				up.update = true;
				s->replied |= ev->replied;
				s->assured |= ev->assured;
				capture_tracker_add_ct(c->t, &up, util_now_ns(CLOCK_REALTIME));
			}
			return;
		}
		s = util_zalloc(sizeof(*s));
		s->key = k;
		s->gen = c->gen;
		s->replied = ev->replied;
		s->assured = ev->assured;
		HASH_ADD(hh, c->seen, key, sizeof(s->key), s);
		capture_tracker_add_ct(c->t, ev, util_now_ns(CLOCK_REALTIME));
		return;
	}
	if (!s) {
		struct capture_ct_event opened = *ev;

		opened.destroy = false;
		capture_tracker_add_ct(c->t, &opened, util_now_ns(CLOCK_REALTIME));
		capture_tracker_add_ct(c->t, ev, util_now_ns(CLOCK_REALTIME));
		return;
	}
	gone = s->gone;
	ct_seen_drop(c, s);
	if (!gone)
		capture_tracker_add_ct(c->t, ev, util_now_ns(CLOCK_REALTIME));
}

/* libnl's NL_CB_VALID callback for both sockets: one conntrack message. */
static int ct_message(struct nl_msg *msg, void *arg)
{
	struct capture_conntrack *c = arg;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct capture_ct_event ev;
	struct nfnl_ct *ct;
	bool destroy;

	if (NFNL_SUBSYS_ID(nlh->nlmsg_type) != NFNL_SUBSYS_CTNETLINK)
		return NL_SKIP;
	destroy = nfnlmsg_subtype(nlh) == IPCTNL_MSG_CT_DELETE;
	if (!destroy && nfnlmsg_subtype(nlh) != IPCTNL_MSG_CT_NEW)
		return NL_SKIP;
	if (c->dumping)
		c->stats.dumped++;
	else
		c->stats.events++;
	if (nfnlmsg_ct_parse(nlh, &ct) < 0)
		return NL_SKIP;
	if (ct_event_make(ct, destroy, &ev))
		ct_feed(c, &ev, nfnl_ct_test_id(ct) ? nfnl_ct_get_id(ct) : 0);
	nfnl_ct_put(ct);
	return NL_OK;
}

/* After a complete resync dump: what it did not list has ended unseen. */
static void ct_sweep(struct capture_conntrack *c)
{
	struct ct_seen *s, *tmp;

	HASH_ITER (hh, c->seen, s, tmp) {
		struct capture_ct_event ev = {.destroy = true, .proto = s->key.proto};

		if (s->gen == c->gen)
			continue;
		if (s->gone) {
			ct_seen_drop(c, s);
			continue;
		}
		ev.orig_src.family = ev.orig_dst.family = s->key.family;
		memcpy(ev.orig_src.bytes, s->key.src, sizeof(ev.orig_src.bytes));
		memcpy(ev.orig_dst.bytes, s->key.dst, sizeof(ev.orig_dst.bytes));
		ev.orig_sport = s->key.sport;
		ev.orig_dport = s->key.dport;
		/* A DESTROY only closes the flow that it names by the original tuple. */
		ev.reply_src = ev.orig_dst;
		ev.reply_dst = ev.orig_src;
		ev.reply_sport = ev.orig_dport;
		ev.reply_dport = ev.orig_sport;
		capture_tracker_add_ct(c->t, &ev, util_now_ns(CLOCK_REALTIME));
		s->gone = true;
		c->n_gone++;
	}
}

/* Every event queued before the last resync dump has been read: no DESTROY is still to come. */
static void ct_forget_gone(struct capture_conntrack *c)
{
	struct ct_seen *s, *tmp;

	HASH_ITER (hh, c->seen, s, tmp) {
		if (s->gone)
			ct_seen_drop(c, s);
	}
}

static int ct_dump(struct capture_conntrack *c, bool resync, struct util_err *err)
{
	int r = 0;

	for (int i = 0; i < CT_DUMP_TRIES; i++) {
		c->gen++;
		c->dumping = true;
		/* It returns the bytes sent (a libnl bug kept for compatibility): < 0 fails. */
		r = nfnl_ct_dump_request(c->dump);
		if (r >= 0)
			r = nl_recvmsgs_default(c->dump);
		c->dumping = false;
		if (r >= 0) {
			if (resync) {
				c->stats.resyncs++;
				ct_sweep(c);
			}
			return 0;
		}
		if (r != -NLE_DUMP_INTR)
			break;
	}
	if (r == -NLE_AGAIN)
		return util_err_set(err, ETIMEDOUT,
				    "conntrack: the table dump did not finish within %d s",
				    CT_DUMP_TIMEOUT_S);
	return util_err_set(err, ct_errno(r), "conntrack: cannot dump the connection table: %s%s",
			    nl_geterror(r), ct_hint(r));
}

/* SO_RCVBUFFORCE goes past net.core.rmem_max with CAP_NET_ADMIN; without, SO_RCVBUF is capped. */
static void ct_rcvbuf_set(struct capture_conntrack *c, int bytes)
{
	int fd = nl_socket_get_fd(c->ev);

	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof(bytes)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof(bytes));
	c->rcvbuf = bytes;
}

static struct nl_sock *ct_socket(struct capture_conntrack *c, int *ret_nlerr)
{
	struct nl_sock *sk = nl_socket_alloc();
	int r;

	if (!sk)
		abort();
	/* Messages as large as the kernel makes them, whatever the buffer size. */
	nl_socket_enable_msg_peek(sk);
	r = nl_socket_modify_cb(sk, NL_CB_VALID, NL_CB_CUSTOM, ct_message, c);
	if (r >= 0)
		r = nfnl_connect(sk);
	if (r < 0) {
		nl_socket_free(sk);
		*ret_nlerr = r;
		return NULL;
	}
	return sk;
}

int capture_conntrack_open(struct capture_tracker *t, struct capture_conntrack **ret,
			   struct util_err *err)
{
	struct capture_conntrack *c = util_zalloc(sizeof(*c));
	struct timeval tv = {.tv_sec = CT_DUMP_TIMEOUT_S};
	int r = 0, nlerr = 0;

	c->t = t;
	c->ev = ct_socket(c, &nlerr);
	if (!c->ev) {
		r = util_err_set(err, ct_errno(nlerr),
				 "conntrack: cannot open a netfilter netlink socket: %s%s",
				 nl_geterror(nlerr), ct_hint(nlerr));
		goto out;
	}
	/* Events carry no sequence numbers to check. */
	nl_socket_disable_seq_check(c->ev);
	/* UPDATE too: a reply (SEEN_REPLY, ASSURED) is what makes a connection served. */
	nlerr = nl_socket_add_memberships(c->ev, NFNLGRP_CONNTRACK_NEW, NFNLGRP_CONNTRACK_UPDATE,
					  NFNLGRP_CONNTRACK_DESTROY, 0);
	if (nlerr < 0) {
		r = util_err_set(err, ct_errno(nlerr),
				 "conntrack: cannot subscribe to events: %s%s", nl_geterror(nlerr),
				 ct_hint(nlerr));
		goto out;
	}
	nlerr = nl_socket_set_nonblocking(c->ev);
	if (nlerr < 0) {
		r = util_err_set(err, ct_errno(nlerr), "conntrack: cannot set up the socket: %s",
				 nl_geterror(nlerr));
		goto out;
	}
	ct_rcvbuf_set(c, CT_RCVBUF);

	c->dump = ct_socket(c, &nlerr);
	if (!c->dump) {
		r = util_err_set(err, ct_errno(nlerr),
				 "conntrack: cannot open a netfilter netlink socket: %s%s",
				 nl_geterror(nlerr), ct_hint(nlerr));
		goto out;
	}
	/* The dump ends with NLMSG_DONE; an acknowledgement is not waited for. */
	nl_socket_disable_auto_ack(c->dump);
	(void)setsockopt(nl_socket_get_fd(c->dump), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	r = ct_dump(c, false, err);
out:
	if (r < 0) {
		capture_conntrack_free(c);
		return r;
	}
	*ret = c;
	return 0;
}

int capture_conntrack_fd(const struct capture_conntrack *ct)
{
	return nl_socket_get_fd(ct->ev);
}

/* Events were lost: a bigger buffer for the next burst, and the table again. */
static int ct_overrun(struct capture_conntrack *c, struct util_err *err)
{
	c->stats.overruns++;
	if (c->rcvbuf < CT_RCVBUF_MAX)
		ct_rcvbuf_set(c, c->rcvbuf > CT_RCVBUF_MAX / 2 ? CT_RCVBUF_MAX : c->rcvbuf * 2);
	return ct_dump(c, true, err);
}

int capture_conntrack_dispatch(struct capture_conntrack *ct, struct util_err *err)
{
	for (int i = 0; i < CT_READS_PER_DISPATCH; i++) {
		int r = nl_recvmsgs_default(ct->ev);

		if (r >= 0 || r == -NLE_INTR)
			continue;
		if (r == -NLE_AGAIN) {
			if (ct->n_gone)
				ct_forget_gone(ct);
			return 0;
		}
		/*
		 * ENOBUFS, as libnl reports it. One resync per call: under an event storm the pcap
		 * rings need reading too; what is still queued is read on the next call.
		 */
		if (r == -NLE_NOMEM)
			return ct_overrun(ct, err);
		return util_err_set(err, ct_errno(r), "conntrack: cannot read events: %s",
				    nl_geterror(r));
	}
	return 0;
}

const struct capture_conntrack_stats *capture_conntrack_stats(const struct capture_conntrack *ct)
{
	return &ct->stats;
}

struct capture_conntrack *capture_conntrack_free(struct capture_conntrack *ct)
{
	struct ct_seen *s, *next;

	if (!ct)
		return NULL;
	nl_socket_free(ct->ev);
	nl_socket_free(ct->dump);
	s = ct->seen;
	HASH_CLEAR(hh, ct->seen);
	for (; s; s = next) {
		next = s->hh.next;
		free(s);
	}
	free(ct);
	return NULL;
}

struct capture_conntrack *capture_conntrack_new_detached(struct capture_tracker *t)
{
	struct capture_conntrack *c = util_zalloc(sizeof(*c));

	c->t = t;
	return c;
}

void capture_conntrack_feed(struct capture_conntrack *ct, const void *buf, size_t len, bool dump,
			    bool resync)
{
	/* nlmsg_convert() copies; the header is read in place, as libnl's recvmsgs() does */
	struct nlmsghdr *hdr = (struct nlmsghdr *)buf;
	int left = len > INT_MAX ? INT_MAX : (int)len;

	if (dump) {
		ct->gen++;
		ct->dumping = true;
	}
	for (; nlmsg_ok(hdr, left); hdr = nlmsg_next(hdr, &left)) {
		struct nl_msg *msg;

		/* DONE, ERROR, NOOP and OVERRUN never reach the NL_CB_VALID handler */
		if (hdr->nlmsg_type < NLMSG_MIN_TYPE)
			continue;
		msg = nlmsg_convert(hdr);
		if (!msg)
			abort();
		nlmsg_set_proto(msg, NETLINK_NETFILTER);
		(void)ct_message(msg, ct);
		nlmsg_free(msg);
	}
	if (dump) {
		ct->dumping = false;
		if (resync) {
			ct->stats.resyncs++;
			ct_sweep(ct);
		}
	} else if (ct->n_gone) {
		/* the next read would find the socket empty: see capture_conntrack_dispatch() */
		ct_forget_gone(ct);
	}
}

/* 1 or 0 from a sysctl file; -1 when it is missing or unreadable. */
static int ct_sysctl(const char *path)
{
	FILE *f = fopen(path, "re");
	int v = -1;

	if (!f)
		return -1;
	if (fscanf(f, "%d", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

/*
 * The files are per network namespace on recent kernels (and appear in each one once the
 * module is loaded), so this tells about the caller's namespace.
 */
const char *capture_conntrack_bridge_problem(void)
{
	int v4 = ct_sysctl("/proc/sys/net/bridge/bridge-nf-call-iptables");
	int v6 = ct_sysctl("/proc/sys/net/bridge/bridge-nf-call-ip6tables");

	if (v4 < 0 && v6 < 0)
		return "br_netfilter is not loaded: conntrack does not see traffic between "
		       "containers "
		       "on the same bridge (modprobe br_netfilter; sysctl "
		       "net.bridge.bridge-nf-call-iptables=1 "
		       "net.bridge.bridge-nf-call-ip6tables=1), "
		       "use -i to capture it";
	if (v4 == 0 && v6 == 0)
		return "net.bridge.bridge-nf-call-iptables and -ip6tables are 0: conntrack does "
		       "not "
		       "see traffic between containers on the same bridge (sysctl "
		       "net.bridge.bridge-nf-call-iptables=1 "
		       "net.bridge.bridge-nf-call-ip6tables=1), "
		       "use -i to capture it";
	if (v4 == 0)
		return "net.bridge.bridge-nf-call-iptables is 0: conntrack does not see IPv4 "
		       "traffic "
		       "between containers on the same bridge (sysctl "
		       "net.bridge.bridge-nf-call-iptables=1), use -i to capture it";
	if (v6 == 0)
		return "net.bridge.bridge-nf-call-ip6tables is 0: conntrack does not see IPv6 "
		       "traffic "
		       "between containers on the same bridge (sysctl "
		       "net.bridge.bridge-nf-call-ip6tables=1), use -i to capture it";
	return NULL;
}
