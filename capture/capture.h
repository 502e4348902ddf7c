/* SPDX-License-Identifier: Apache-2.0 */
/* capture.h - turns packets (from capture files) into directed flow records: who opened what. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <poll.h>
#include <stdint.h>

#include "util/util.h"

/* ---- Decoding one packet ------------------------------------------------------------------ */

/* What one packet says, after link, IP and transport headers have been read with bounds checks. */
struct capture_packet {
	struct util_addr src, dst;
	uint8_t proto; /* IPPROTO_TCP, _UDP, _SCTP, _ICMP, _ICMPV6 */
	/*
	 * Not a packet of the flow but an ICMP or ICMPv6 error about one (destination unreachable,
	 * except fragmentation needed): src:sport -> dst:dport is then the quoted packet turned
	 * around, from the endpoint it could not reach back to its sender, and tcp_flags holds RST.
	 */
	uint8_t icmp_error;
	uint16_t sport; /* host order; for ICMP echo both ports hold the echo identifier */
	uint16_t dport;
	/* TCP flags byte (FIN 0x01, SYN 0x02, RST 0x04, ACK 0x10); RST for an icmp_error */
	uint8_t tcp_flags;
	uint8_t l4_type; /* ICMP/ICMPv6 type; SCTP first chunk (1 INIT, 2 INIT ACK, 6 ABORT) */
};

enum capture_decode_result {
	CAPTURE_DECODE_OK = 0,
	CAPTURE_DECODE_TRUNCATED,   /* a header runs past caplen, or a length field lies */
	CAPTURE_DECODE_NOT_IP,	    /* ARP, LLC, LLDP... nothing to learn */
	CAPTURE_DECODE_FRAGMENT,    /* a non-first IP fragment: no transport header in it */
	CAPTURE_DECODE_UNSUPPORTED, /* another transport, or an ICMP message that opens nothing */
	CAPTURE_DECODE_MALFORMED,   /* a header whose fields contradict each other */
};

/* True for the link types capture_decode() understands (DLT_* values as libpcap reports them). */
bool capture_linktype_supported(int dlt);

/*
 * The encapsulations whose inner packet is decoded instead of the outer one: overlays carry pod
 * traffic inside them, and the inner flow is the one a policy is about. VXLAN and Geneve are
 * told only by their UDP destination port, so they are decoded on the ports listed here and on
 * no other. IP-in-IP (protocol 4, and IPv6 in IP, 41) and GRE (47) are told by their protocol
 * number. MPLS and PPPoE sessions are link framing, not tunnels: they are always decoded. All
 * zero (or a NULL pointer where one is taken): no tunnel is decoded, and a VXLAN or Geneve packet
 * is the UDP packet it looks like.
 */
enum capture_tunnel_kind {
	CAPTURE_TUNNEL_VXLAN = 1, /* RFC 7348 */
	CAPTURE_TUNNEL_GENEVE,	  /* RFC 8926 */
};
#define CAPTURE_TUNNEL_MAX_PORTS 16
/* Encapsulations one packet may nest (VXLAN in GRE in MPLS...); deeper is UNSUPPORTED. */
#define CAPTURE_TUNNEL_MAX_DEPTH 3
struct capture_tunnel_port {
	uint16_t port; /* UDP destination port */
	uint8_t kind;  /* enum capture_tunnel_kind */
};
struct capture_tunnels {
	bool ip; /* IP-in-IP and GRE */
	uint8_t n_ports;
	struct capture_tunnel_port ports[CAPTURE_TUNNEL_MAX_PORTS];
};
/* The defaults: VXLAN on 4789 and flannel's 8472, Geneve on 6081, IP-in-IP and GRE. */
void capture_tunnels_default(struct capture_tunnels *ret);
/*
 * Adds "vxlan:PORT" or "geneve:PORT" (PORT 1 to 65535): -EINVAL for anything else, -EEXIST for a
 * port already listed as the other kind, -E2BIG past CAPTURE_TUNNEL_MAX_PORTS. A port already
 * listed as the same kind is no change.
 */
int capture_tunnels_add_port(struct capture_tunnels *t, const char *spec);
/* The kind of tunnel on UDP destination port (0: none); NULL-safe. */
static inline enum capture_tunnel_kind capture_tunnels_port_kind(const struct capture_tunnels *t,
								 uint16_t port)
{
	if (!t)
		return 0;
	/* a pointer walk: in the fast path, an index would cost the common packet a register */
	for (const struct capture_tunnel_port *p = t->ports, *end = p + t->n_ports; p < end; p++)
		if (p->port == port)
			return (enum capture_tunnel_kind)p->kind;
	return 0;
}

/*
 * Decodes the link, network and transport headers of one packet, and of the packet inside it
 * when it is a tunnel tun lists (NULL: none) or MPLS or PPPoE; the result then describes the
 * innermost packet. Every byte read is checked against caplen first; nothing is written to ret
 * unless the result is CAPTURE_DECODE_OK.
 */
enum capture_decode_result capture_decode(int dlt, const uint8_t *bytes, size_t caplen,
					  const struct capture_tunnels *tun,
					  struct capture_packet *ret);

/* ---- Directed flows ----------------------------------------------------------------------- */

/* How the direction of a flow was decided, strongest first. */
enum capture_how {
	CAPTURE_HOW_HANDSHAKE = 0, /* TCP SYN / SYN-ACK, SCTP INIT / INIT ACK, ICMP echo request */
	CAPTURE_HOW_LISTENER, /* the server endpoint was seen accepting a handshake elsewhere */
	CAPTURE_HOW_PORTS,    /* port class: well-known < registered < ephemeral; then lower */
	CAPTURE_HOW_FIRST,    /* nothing else told: the first packet's sender opened it */
};

/*
 * What became of a flow: only a served one is a connection; the others are attempts. Served:
 * TCP SYN+ACK (or, for a connection whose start was not seen, packets other than SYN and RST
 * from both sides), SCTP INIT ACK (or chunks other than INIT and ABORT from both sides), a UDP
 * reply, an ICMP echo reply, a conntrack entry that saw a reply (ASSURED for TCP). A client that
 * answers the server's SYN+ACK with nothing but RST (a half-open scan) was not served. Refused:
 * not served, and the server (or a router for it) said no: RST, ICMP unreachable, SCTP ABORT.
 * Unanswered: nothing of the kind came back.
 */
enum capture_outcome {
	CAPTURE_SERVED = 0,
	CAPTURE_REFUSED,
	CAPTURE_UNANSWERED,
};

/*
 * One connection (or UDP exchange) with its direction resolved. The client's port is only for
 * telling connections apart; no edge or output keeps it.
 */
struct capture_flow {
	struct util_addr client, server;
	uint8_t proto;
	uint16_t port;	      /* server port; 0 for ICMP echo */
	uint16_t client_port; /* 0 for ICMP echo */
	uint64_t first_ns, last_ns;
	uint64_t packets; /* of the flow; ICMP errors about it are not counted */
	enum capture_how how;
	enum capture_outcome outcome;
	/*
	 * The same number for every report of one connection (open, then ended), unique in its
	 * tracker. When the pcap and conntrack views of a connection turn out to be one flow, it
	 * keeps the older view's number.
	 */
	uint64_t id;
};

typedef void (*capture_flow_fn)(const struct capture_flow *flow, void *userdata);
/*
 * n flows (1 to CAPTURE_FLOW_BATCH) that ended together, in the order a capture_flow_fn would
 * have had them; flows is the tracker's and holds only during the call.
 */
#define CAPTURE_FLOW_BATCH 64
typedef void (*capture_flows_fn)(const struct capture_flow *flows, size_t n, void *userdata);

/* What the tracker did instead of reporting. */
struct capture_tracker_stats {
	uint64_t evicted;   /* flows ended early because the table was full */
	uint64_t port_zero; /* TCP, UDP or SCTP flows to port 0, which no policy can name */
};

/*
 * Open flows kept at most (capture_tracker_set_max_flows()); a flood of SYNs or probes from
 * random sources costs at most this many, about 400 bytes each with their one-sided index
 * entries and hash buckets (bench/flood.sh: 94 to 106 MB over the baseline at the cap).
 */
#define CAPTURE_TRACKER_MAX_FLOWS (1u << 18)

/*
 * Folds packets into flows keyed by their two endpoints and reports each flow once, when it
 * ends (TCP close or reset, or a DNS exchange's last answer, then a quiet period), goes idle,
 * or at capture_tracker_flush().
 * Memory grows with concurrent flows and listening endpoints, never with packets.
 */
struct capture_tracker;
struct capture_tracker *capture_tracker_new(capture_flow_fn fn, void *userdata);
void capture_tracker_add(struct capture_tracker *t, const struct capture_packet *p, uint64_t ts_ns);
void capture_tracker_flush(struct capture_tracker *t);
size_t capture_tracker_open_flows(const struct capture_tracker *t);
/*
 * At most max open flows (0: CAPTURE_TRACKER_MAX_FLOWS). A new flow that finds the table full
 * ends the oldest one nobody answered (else the oldest), which is reported as it stands.
 */
void capture_tracker_set_max_flows(struct capture_tracker *t, size_t max);
/*
 * For a capture point that sees one direction of each connection: a flow counts as served
 * unless it was refused, is a half-open scan, or is a TCP SYN with nothing after it. Off by
 * default; it lets UDP probes through as served.
 */
void capture_tracker_set_one_way(struct capture_tracker *t, bool on);
/*
 * Many flows end at once (an expiry scan, capture_tracker_flush()): with fn set (NULL: none,
 * the default), those come to fn in batches, so that the receiver can fetch what each needs
 * before it uses the first. Flows that end one at a time still go to the tracker's per-flow
 * function. Neither function may call the tracker.
 */
void capture_tracker_set_batch_fn(struct capture_tracker *t, capture_flows_fn fn);
/*
 * fn (NULL: none, the default) is called, with the tracker's userdata, on the thread that feeds
 * the tracker while a capture file's reader is behind it: a moment for work that would
 * otherwise wait for the last packet. It may not call the tracker. Never called where there is
 * no such thread: a file read on one CPU (the reader feeds the tracker itself), live sources.
 */
typedef void (*capture_idle_fn)(void *userdata);
void capture_tracker_set_idle_fn(struct capture_tracker *t, capture_idle_fn fn);
void capture_tracker_get_stats(const struct capture_tracker *t, struct capture_tracker_stats *ret);
struct capture_tracker *
capture_tracker_free(struct capture_tracker *t); /* NULL-safe, returns NULL */

/* ---- Capture files ------------------------------------------------------------------------ */

struct capture_stats {
	uint64_t packets;     /* records read */
	uint64_t decoded;     /* fed to the tracker */
	uint64_t truncated;   /* skipped: CAPTURE_DECODE_TRUNCATED */
	uint64_t not_ip;      /* skipped: CAPTURE_DECODE_NOT_IP */
	uint64_t fragments;   /* skipped: CAPTURE_DECODE_FRAGMENT */
	uint64_t unsupported; /* skipped: CAPTURE_DECODE_UNSUPPORTED */
	uint64_t malformed;   /* skipped: CAPTURE_DECODE_MALFORMED */
	/* the earliest and latest time of a decoded packet (0: none): what a file watched */
	uint64_t first_ns, last_ns;
};

/*
 * Reads a pcap or pcapng file (nanosecond timestamps; "-" is standard input) into the tracker and
 * adds to stats. tun: the tunnels to look inside (NULL: none).
 * A file that is not a capture, uses an unsupported link type, or ends inside a record fails
 * with a one-line message naming the file; packets already fed stay fed (the caller discards).
 * Where two CPUs are free, the tracker is fed (and its callback runs) on a second thread, in file
 * order, while this one reads; nothing else may use the tracker until this returns.
 */
int capture_file_read(struct capture_tracker *t, const char *path,
		      const struct capture_tunnels *tun, struct capture_stats *stats,
		      struct util_err *err);
/* Adds the counts of from to to, and widens to's span to cover from's. */
void capture_stats_merge(struct capture_stats *to, const struct capture_stats *from);

/* ---- Live capture (capture-live.c) --------------------------------------------------------- */

/*
 * One libpcap handle per interface whose name matches a pattern (fnmatch: "br-*", "veth*",
 * "docker0"), opened with pcap_create/pcap_activate (TPACKET_V3, immediate mode off, a sized
 * buffer, a headers-only snaplen) and a kernel BPF filter that keeps what opens or closes a
 * connection and what direction recovery needs. Links are watched with rtnetlink (libnl-route-3):
 * matching interfaces that appear are attached, deleted ones detached, without losing anything.
 */
struct capture_live_options {
	const char *const *patterns;
	size_t n_patterns;
	int snaplen;			       /* 0: CAPTURE_LIVE_SNAPLEN */
	int buffer_bytes;		       /* 0: CAPTURE_LIVE_BUFFER per interface */
	const struct capture_tunnels *tunnels; /* looked inside (NULL: none); copied */
	int ring_budget;		       /* 0: CAPTURE_LIVE_RING_BUDGET */
};
#define CAPTURE_LIVE_SNAPLEN 160
/*
 * The kernel ring of each interface, which is resident memory from the start: a bridge, which
 * sees every container behind it, gets buffer_bytes. Other interfaces (a veth each pod or
 * container) share ring_budget: each gets the budget over how many are attached when it is
 * (at open, over how many match), at least CAPTURE_LIVE_RING_MIN and at most buffer_bytes. A
 * ring is never resized, so veths that arrive one by one hold more than the budget in all:
 * about 100 MiB for 200 of them (the budget over 1, 2, 3... each, then 256 KiB each), 50 MiB
 * for 200 present at open. Before, each had 8 MiB: 1.6 GiB. A ring too small shows as drops.
 */
#define CAPTURE_LIVE_BUFFER	 (8 << 20)
#define CAPTURE_LIVE_RING_BUDGET (16 << 20)
#define CAPTURE_LIVE_RING_MIN	 (256 << 10)

/* What one interface has seen; kept after the interface is gone, so nothing is forgotten. */
struct capture_iface_stats {
	char name[32];
	bool attached;
	uint64_t packets;   /* delivered to flowlock */
	uint64_t drops;	    /* pcap_stats ps_drop: the kernel buffer was full */
	uint64_t if_drops;  /* pcap_stats ps_ifdrop */
	uint64_t attach_ns; /* when it was (last) attached, wall clock */
	int ring_bytes;	    /* the ring asked for when it was (last) attached */
};

struct capture_live;
int capture_live_open(const struct capture_live_options *opts, struct capture_tracker *t,
		      struct capture_live **ret, struct util_err *err);
/*
 * The descriptors to poll for input: the link watcher, one per attached interface, and one per
 * interface detached a moment ago and still being read: at most CAPTURE_LIVE_MAX_POLLFDS.
 */
#define CAPTURE_LIVE_MAX_IFACES	 1024
#define CAPTURE_LIVE_MAX_POLLFDS (1 + 2 * CAPTURE_LIVE_MAX_IFACES)
size_t capture_live_pollfds(const struct capture_live *l, struct pollfd *fds, size_t max);
/*
 * Reads whatever is ready on any descriptor (never blocks): packets go to the tracker with
 * their capture timestamps, link changes attach and detach interfaces. Stats are refreshed.
 */
int capture_live_dispatch(struct capture_live *l, struct capture_stats *stats,
			  struct util_err *err);
/*
 * Before the last report: reads what the rings still hold and hands every packet waiting for
 * time order to the tracker, so nothing seen before a stop is lost.
 */
void capture_live_drain(struct capture_live *l, struct capture_stats *stats);
size_t capture_live_iface_count(const struct capture_live *l);
const struct capture_iface_stats *capture_live_iface(const struct capture_live *l, size_t i);
struct capture_live *capture_live_free(struct capture_live *l); /* NULL-safe */

/* ---- Conntrack (capture-conntrack.c) ------------------------------------------------------- */

/*
 * Connection tracking over netlink with libnl-nf-3: subscribes to NEW and DESTROY events first,
 * then dumps the table once, so nothing opened in between is missed. The original tuple tells
 * who opened the connection; when the reply comes from elsewhere (DNAT: a Service ClusterIP, a
 * published port) the flow's server is the real backend and its port.
 */
struct capture_conntrack_stats {
	uint64_t events;   /* NEW and DESTROY messages read */
	uint64_t dumped;   /* entries read by dumps */
	uint64_t overruns; /* ENOBUFS: the socket buffer overflowed, events were lost */
	uint64_t resyncs;  /* dumps made after an overrun to catch up */
};

struct capture_conntrack;
int capture_conntrack_open(struct capture_tracker *t, struct capture_conntrack **ret,
			   struct util_err *err);
int capture_conntrack_fd(const struct capture_conntrack *ct);
int capture_conntrack_dispatch(struct capture_conntrack *ct, struct util_err *err);
const struct capture_conntrack_stats *capture_conntrack_stats(const struct capture_conntrack *ct);
struct capture_conntrack *capture_conntrack_free(struct capture_conntrack *ct); /* NULL-safe */
/*
 * NULL when bridged traffic reaches netfilter, else a sentence saying why conntrack will not see
 * traffic between containers on one bridge (br_netfilter not loaded, bridge-nf-call-iptables=0).
 */
const char *capture_conntrack_bridge_problem(void);

/* ---- Tracker additions for live sources ---------------------------------------------------- */

/* One connection as conntrack reports it (addresses and ports of both tuples, host order). */
struct capture_ct_event {
	bool destroy; /* false: NEW or a dump entry */
	bool update;  /* an entry fed before, its status changed: never a reused tuple */
	bool replied; /* IPS_SEEN_REPLY: something came back */
	bool assured; /* IPS_ASSURED: for TCP, the handshake completed */
	uint8_t proto;
	struct util_addr orig_src, orig_dst, reply_src, reply_dst;
	uint16_t orig_sport, orig_dport, reply_sport, reply_dport;
};

/*
 * Feeds a conntrack event into the same flow table as packets, so a connection that both
 * sources see is one flow: the client is orig_src; the server is reply_src:reply_sport (the
 * real backend after any DNAT). Packets of the post-DNAT leg find the same flow.
 */
void capture_tracker_add_ct(struct capture_tracker *t, const struct capture_ct_event *ev,
			    uint64_t ts_ns);
/* Live mode: time passes without packets; ends flows idle or closed as of now_ns. */
void capture_tracker_expire(struct capture_tracker *t, uint64_t now_ns);
/*
 * Reports every open flow whose direction is known through fn without ending it, for
 * checkpoints: fn gets the flow with packets as seen so far; it is reported again, once, when
 * it ends.
 */
void capture_tracker_peek(struct capture_tracker *t, capture_flow_fn fn, void *userdata);
