/* SPDX-License-Identifier: Apache-2.0 */
/* capture-tracker.c - folds decoded packets into two-way flows and reports each one directed. */
#include <netinet/in.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "util/util.h"

/*
 * Under ASan each flow is an allocation of its own, so that its bounds stay checked, and a
 * spare one is poisoned; otherwise flows come from blocks (util_block_new()).
 */
#if UTIL_ASAN
#include <sanitizer/asan_interface.h>
#define SPARE_POISON(p, n)   ASAN_POISON_MEMORY_REGION((p), (n))
#define SPARE_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#define FLOW_BLOCKS	     0
#else
#define SPARE_POISON(p, n)   ((void)(p), (void)(n))
#define SPARE_UNPOISON(p, n) ((void)(p), (void)(n))
#define FLOW_BLOCKS	     1
#endif

#include "capture/capture-private.h"

#define uthash_fatal(msg) abort()
#include "util/util-uthash.h"

/*
 * Who opened a flow is decided when the flow is reported, so that everything seen meanwhile
 * counts. The rules, strongest first (enum capture_how):
 *
 *  1. HANDSHAKE: the sender of a bare SYN (SYN without ACK) is the client; else the sender of
 *     SYN+ACK is the server. Likewise SCTP INIT (client) / INIT ACK (server), and ICMP echo
 *     request (client) / echo reply (server).
 *  2. LISTENER: an endpoint (address, protocol, port) seen earlier in the stream as the server
 *     of a handshake (it sent SYN+ACK or INIT ACK) is the server.
 *  3. PORTS: port classes well-known (< 1024) < registered (1024..32767) < ephemeral
 *     (>= 32768); the endpoint in the lower class is the server, and within one class the lower
 *     port number.
 *  4. FIRST: the ports are equal: the sender of the first packet seen is the client.
 *
 * All timing follows packet timestamps, never the wall clock, so a capture file gives the same
 * flows however fast it is read.
 *
 * Live sources add three things:
 *
 *  - capture_tracker_expire() runs the same expiry with the wall clock, for when no packet comes
 *    to move time on. capture_tracker_peek() describes every open flow, direction decided as it
 *    would be now, without ending it; the tracker's own callbacks still report it once at its end.
 *
 *  - Conntrack events (capture_tracker_add_ct()) are a second source for the same flow table, so
 *    a connection that pcap and conntrack both see is one flow, reported once. Its key is the
 *    original tuple, orig_src:orig_sport <-> orig_dst:orig_dport (ICMP: the echo identifier in
 *    both ports, as decoded packets have it). Conntrack knows who opened it, so such a flow is
 *    directed by conntrack and nothing else: the client is orig_src (HANDSHAKE) and the server
 *    is the reply's source, reply_src:reply_sport, the real backend after DNAT (for ICMP only
 *    the address counts: NAT may remap the identifier). What the event says lives in a
 *    struct ct_link beside the flow (flow.ct marks that it has one), so flows stay as small as
 *    the packet path wants them.
 *
 *  - After NAT the connection's packets travel as the inverse of the reply tuple,
 *    reply_dst:reply_dport <-> reply_src:reply_sport; with plain DNAT that is the client and the
 *    backend. When that key differs from the flow's own, it is an ALIAS (links by key, aliases
 *    by alias key): packets of that tuple that find no flow of their own land on the conntrack
 *    flow, their sides translated. An aliased packet is never put in dir[] or recent[]: the
 *    caches may only hold a flow under the tuples of its own key, since flow_remove() finds the
 *    entries from the key. The alias goes with the flow (flow_remove(), flows_free()). A pcap
 *    flow already open under the alias key when the event arrives (the post-DNAT leg was read
 *    first) is merged into the conntrack flow and freed unreported, so each connection is
 *    reported once. A newer connection takes over an alias an older, lingering one still holds.
 *
 *    A NEW event (or dump entry) for an open flow under its key only attaches to it; for a
 *    conntrack flow already closed it is the tuple reused: the old flow ends, a new one starts.
 *    A DESTROY event closes the flow like a TCP reset (it lingers, then is reported), and never
 *    creates one: TCP entries outlive their connections by TIME_WAIT, so a DESTROY usually comes
 *    after the flow was reported. An UPDATE (a reply) never creates one either.
 *    (capture-conntrack.c knows which connections it has fed and sends NEW first for any it has
 *    not.) A packet's SYN on a flow a DESTROY closed starts a new one only if it was sent after
 *    the DESTROY was read. A flow from conntrack alone has no packets; its times are those of
 *    its events. Events follow the wall clock and do not run expiry themselves.
 */

#define IDLE_TIMEOUT_TCP   (300 * UTIL_NSEC_PER_SEC)
#define IDLE_TIMEOUT_OTHER (120 * UTIL_NSEC_PER_SEC)
/*
 * A TCP connection seen opening (or known to conntrack) and not yet closed: live capture filters
 * out everything between the handshake and the FIN, so silence says nothing. It ends with its
 * FIN pair, RST or conntrack DESTROY; this only bounds what a lost FIN can keep.
 */
#define IDLE_TIMEOUT_TCP_OPENED (24 * 3600 * UTIL_NSEC_PER_SEC)
/*
 * A SYN nobody answered: the client's retransmissions (1, 2, 4 ... 64 s apart) are over within
 * about two minutes, and a scan or a flood must not hold the table for a day.
 */
#define IDLE_TIMEOUT_TCP_UNANSWERED IDLE_TIMEOUT_OTHER
/*
 * A closed TCP flow absorbs stragglers (the last ACK, retransmitted FINs) this long; so does an
 * answered DNS exchange (flow_dns()) a late duplicate.
 */
#define CLOSED_LINGER (10 * UTIL_NSEC_PER_SEC)
/* Expiry walks the whole table, so it runs at most this often in packet time. */
#define SCAN_INTERVAL (5 * UTIL_NSEC_PER_SEC)
/*
 * Recently used flows by recent_slot() (direct-mapped, both directions of a flow share one slot):
 * a hit touches only memory that is already hot, where the hash table's chains would miss the
 * cache once it holds many (lingering, idle) flows. The fast path for what dir[] does not hold.
 */
#define RECENT_SLOTS 1024
/*
 * The fast path for IPv4 TCP and UDP (struct dir_entry): 8192 slots of 24 bytes, so that the
 * few hundred directions busy at any moment rarely collide.
 */
#define DIR_BITS  13
#define DIR_SLOTS (1u << DIR_BITS)

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_ACK 0x10

#define SCTP_INIT     1
#define SCTP_INIT_ACK 2
#define SCTP_ABORT    6

#define ICMP_ECHO_REPLY	   0
#define ICMP_ECHO_REQUEST  8
#define ICMP6_ECHO_REQUEST 128
#define ICMP6_ECHO_REPLY   129

/* What one side of a flow has sent. */
enum side_flag {
	SENT_SYN = 1 << 0,	/* a bare SYN: it opened the connection */
	SENT_SYN_ACK = 1 << 1,	/* it accepted one */
	SENT_INIT = 1 << 2,	/* SCTP INIT */
	SENT_INIT_ACK = 1 << 3, /* SCTP INIT ACK */
	SENT_ECHO_REQ = 1 << 4, /* ICMP or ICMPv6 echo request */
	SENT_ECHO_REP = 1 << 5, /* ICMP or ICMPv6 echo reply */
	SENT_FIN = 1 << 6,
	/* TCP without SYN or RST (an ACK, data, FIN); any UDP packet; SCTP but INIT and ABORT */
	SENT_DATA = 1 << 7,
	SENT_RST = 1 << 8, /* TCP RST, SCTP ABORT, or an ICMP error turned around: a refusal */
	/*
	 * A RST without ACK: what a host sends back for a SYN+ACK it has no socket for (RFC 9293
	 * 3.10.7.1), so a half-open scan's RST. A connection that is aborted sends RST+ACK.
	 */
	SENT_RST_BARE = 1 << 9,
};

/* What conntrack has said about a flow's entry (struct ct_link). */
enum ct_status {
	CT_REPLIED = 1 << 0, /* IPS_SEEN_REPLY */
	CT_ASSURED = 1 << 1, /* IPS_ASSURED */
};

/*
 * The two endpoints in canonical order (see endpoint_le()), so both directions of a flow find the
 * same entry. Fixed size with its padding always zero: the hash and compare read every byte.
 */
struct flow_key {
	uint8_t a[16];
	uint8_t b[16];
	uint16_t a_port;
	uint16_t b_port;
	uint8_t proto;
	uint8_t family;
	uint8_t pad[2];
};
/* flow_has_packet() reads the key as whole 8-byte words. */
_Static_assert(sizeof(struct flow_key) == 40 && offsetof(struct flow_key, a_port) == 32,
	       "flow_key is five 8-byte words, the last one starting at a_port");

/* What the per-packet path touches comes first, next to the key, to share its cache lines. */
struct flow {
	union {
		struct flow_key key;
		struct flow *spare_next; /* while on the spare list, see flow_new() */
	};
	uint64_t last_ns;
	uint64_t packets;
	uint16_t sent[2];   /* enum side_flag, per side: 0 is a, 1 is b */
	uint8_t first_side; /* who sent the first packet seen */
	bool rst;
	bool closed;
	bool ct;	 /* it has a struct ct_link: conntrack decides its direction and server */
	bool half;	 /* one-sided so far: in halves under its client end (struct half) ... */
	bool half_filed; /* ... once it is there, rather than waiting in half_pending */
	/* what its other half (struct half), ended before it, saw each side send: outcome only */
	uint16_t other[2];
	uint8_t dns;	 /* a DNS exchange (flow_dns()): 1 + the side on port 53; else 0 */
	int8_t dns_owed; /* its queries not answered yet */
	uint64_t first_ns, closed_ns;
	uint64_t id; /* see struct capture_flow */
	UT_hash_handle hh;
};

/* An endpoint that accepted a handshake; the set grows with servers, not with packets. */
struct listener_key {
	uint8_t addr[16];
	uint16_t port;
	uint8_t proto;
	uint8_t family;
};

struct listener {
	struct listener_key key;
	UT_hash_handle hh;
};

/*
 * One-sided flows, by the ends NAT leaves alone. A capture point that sees each side's packets
 * before NAT (what enters a node: a pod's packets, and what comes back from its uplink) sees one
 * connection as two flows, each one-sided. Behind a Service's DNAT, the client's go to the
 * Service address and the backend's come from its own: the two share the client's end. Behind
 * masquerading (SNAT), the client's come from the pod and the answers go to the node: the two
 * share the server's end and the client's port. So each one-sided flow is filed under both
 * (HALF_CLIENT, HALF_SERVER), its other half finds it there, and what either half sent counts
 * for both (half_partner()). A flow leaves when it hears from its other side, or ends. The
 * likely client end is the one with the higher port class, then the higher port: the ephemeral.
 */
enum half_kind {
	HALF_CLIENT = 0, /* addr, port: the client end */
	HALF_SERVER,	 /* addr, port: the server end; client_port */
	HALF_KINDS,
};

struct half_key {
	uint8_t addr[16];
	uint16_t port;
	uint16_t client_port;
	uint8_t proto;
	uint8_t family;
	uint8_t kind;
	uint8_t pad;
};

struct half {
	struct half_key key;
	struct flow *f[2]; /* the two newest such flows; NULL when free */
	UT_hash_handle hh;
	struct half *spare_next; /* while on the spare list, as flows have one */
};

/*
 * One IPv4 direction of a TCP or UDP flow, by its own tuple: no canonical order to work out and
 * no 16-byte addresses to hash. Both addresses in one word (capture.h promises the other 12
 * bytes of an IPv4 address are zero), the protocol and ports in the other, see dir_rest(). An
 * empty entry has rest DIR_EMPTY, which no packet's word can equal. The flow pointer's lowest
 * bit (flows are 8-byte aligned) is the side of the flow that sends in this direction.
 */
struct dir_entry {
	uint64_t addrs;
	uint64_t rest;
	uintptr_t fs;
};

static inline struct flow *dir_flow(uintptr_t fs)
{
	return (struct flow *)(fs & ~(uintptr_t)1);
}
#define DIR_EMPTY UINT64_MAX

/*
 * What a conntrack event said about a flow, found from the flow's key in links and, when NAT
 * made the packets' tuple differ from the original one, from that alias key in aliases.
 */
struct ct_link {
	struct flow_key key;   /* the flow's own: the original tuple */
	struct flow_key alias; /* the inverse of the reply tuple; in aliases when in_aliases */
	struct flow *f;
	uint8_t server[16]; /* what is reported as the server: the real backend */
	uint16_t server_port;
	uint8_t client_side;	   /* orig_src's side of key */
	uint8_t alias_client_side; /* reply_dst's side of alias */
	uint8_t status;		   /* enum ct_status, from every event so far */
	bool in_aliases;
	UT_hash_handle hh; /* links, by key */
	UT_hash_handle ah; /* aliases, by alias */
};

struct capture_tracker {
	capture_flow_fn fn;
	capture_flows_fn batch_fn; /* NULL: every flow goes to fn */
	capture_idle_fn idle_fn;
	void *userdata;
	struct flow *flows;
	struct listener *listeners;
	struct half *halves;
	struct half *half_spare; /* freed halves, for the next ones */
	/*
	 * New one-sided flows not yet in halves, in the order they were made: see half_add().
	 * Filed (half_file_pending()) before anything looks halves up and before any flow goes,
	 * so every flow here is live.
	 */
	struct flow **half_pending;
	size_t n_half_pending, half_pending_cap;
	struct ct_link *links;
	struct ct_link *aliases;
	struct dir_entry dir[DIR_SLOTS];
	struct flow *recent[RECENT_SLOTS];
	struct flow *spare; /* freed flows, for the next ones: at most as many as were ever open */
	/*
	 * The blocks flows are carved from, each starting with the previous one's address, and
	 * the unused end of the newest.
	 */
	void *blocks;
	uint8_t *block_free, *block_end;
	uint64_t next_scan_ns;
	uint64_t last_id; /* the last flow's id */
	size_t n_flows;
	size_t max_flows;
	/*
	 * Every flow before this one in the table's order (the order flows were made in) has been
	 * answered, so the search for the oldest unanswered one to evict starts here: NULL is the
	 * start, or the end when evict_at_end. Flows are only ever answered, never unanswered
	 * again, and new ones go last; so each flow is passed over once, not once per eviction.
	 */
	struct flow *evict_from;
	bool evict_at_end;
	struct capture_tracker_stats stats;
	bool one_way;
	/* Tests only: fill neither dir[] nor recent[], so every packet goes the slow way. */
	bool no_cache;
	/* While batching (a scan or a flush), the flows ended and not yet handed to batch_fn. */
	bool batching;
	size_t n_batch;
	struct capture_flow batch[CAPTURE_FLOW_BATCH];
};

static void dir_clear(struct capture_tracker *t)
{
	for (size_t i = 0; i < DIR_SLOTS; i++)
		t->dir[i] = (struct dir_entry){.rest = DIR_EMPTY};
}

static void tracker_init(struct capture_tracker *t, capture_flow_fn fn, void *userdata)
{
	memset(t, 0, sizeof(*t));
	t->fn = fn;
	t->userdata = userdata;
	t->max_flows = CAPTURE_TRACKER_MAX_FLOWS;
	dir_clear(t);
}

struct capture_tracker *capture_tracker_new(capture_flow_fn fn, void *userdata)
{
	struct capture_tracker *t = util_zalloc(sizeof(*t));

	tracker_init(t, fn, userdata);
	return t;
}

static inline uint64_t dir_addrs(const struct capture_packet *p)
{
	uint32_t src, dst;

	memcpy(&src, p->src.bytes, 4);
	memcpy(&dst, p->dst.bytes, 4);
	return (uint64_t)src | (uint64_t)dst << 32;
}

/*
 * The protocol and both ports sit in the 8 bytes from proto on (their order within the word is
 * whatever the machine's is, the same for every packet): one load and a mask, no shifts.
 */
#define PACKET_FROM_PROTO(field)                                                                   \
	(offsetof(struct capture_packet, field) - offsetof(struct capture_packet, proto))
_Static_assert(PACKET_FROM_PROTO(sport) == 2 && PACKET_FROM_PROTO(dport) == 4 &&
		       PACKET_FROM_PROTO(l4_type) == 7,
	       "proto, its padding, sport, dport, tcp_flags and l4_type make one 8-byte word");

static inline uint64_t dir_rest(const struct capture_packet *p)
{
	static const union {
		uint8_t b[8];
		uint64_t w;
	} mask = {{0xff, 0, 0xff, 0xff, 0xff, 0xff, 0, 0}};
	uint64_t w;

	memcpy(&w, &p->proto, 8);
	return w & mask.w;
}

static inline size_t dir_index(uint64_t addrs, uint64_t rest)
{
	return (size_t)(((addrs ^ rest * 0xc2b2ae3d27d4eb4fULL) * 0x9e3779b97f4a7c15ULL) >>
			(64 - DIR_BITS));
}

/* The same direction's words, seen from the other side. */
static inline uint64_t dir_addrs_reverse(uint64_t addrs)
{
	return addrs >> 32 | addrs << 32;
}

/*
 * The two ports are the 16-bit fields at bytes 2 and 4 of the word: bits 16-31 and 32-47 in
 * either byte order, so swapping those two bit ranges swaps the ports anywhere.
 */
static inline uint64_t dir_rest_reverse(uint64_t rest)
{
	return (rest & ~0xffffffff0000ULL) | (rest >> 16 & 0xffff0000ULL) |
	       (rest << 16 & 0xffff00000000ULL);
}

static bool dir_holds(const struct capture_packet *p)
{
	return p->src.family == AF_INET && (p->proto == IPPROTO_TCP || p->proto == IPPROTO_UDP);
}

/*
 * Remembers both directions of p's flow f, for the fast path: the reverse one too, so that the
 * answer (SYN+ACK, a UDP response) finds f at once. side: the side of f that sent p.
 */
static void dir_remember(struct capture_tracker *t, const struct capture_packet *p, struct flow *f,
			 int side)
{
	uint64_t addrs, rest;

	if (!dir_holds(p))
		return;
	/* the reverse first: for a flow with itself the two are one tuple, and p's side holds */
	addrs = dir_addrs_reverse(dir_addrs(p));
	rest = dir_rest_reverse(dir_rest(p));
	t->dir[dir_index(addrs, rest)] = (struct dir_entry){addrs, rest, (uintptr_t)f | !side};
	addrs = dir_addrs(p);
	rest = dir_rest(p);
	t->dir[dir_index(addrs, rest)] = (struct dir_entry){addrs, rest, (uintptr_t)f | (side & 1)};
}

/*
 * Takes f out of dir[] before it is freed: both directions, from the slots they would have,
 * where they still point at f (another flow may have taken a slot since). Recomputed rather
 * than remembered, which would cost every flow 8 bytes.
 */
static void dir_forget(struct capture_tracker *t, const struct flow *f)
{
	struct capture_packet p = {
		.src.family = f->key.family,
		.proto = f->key.proto,
		.sport = f->key.a_port,
		.dport = f->key.b_port,
	};
	uint64_t addrs, rest;
	struct dir_entry *e;

	if (!dir_holds(&p))
		return;
	memcpy(p.src.bytes, f->key.a, 4);
	memcpy(p.dst.bytes, f->key.b, 4);
	addrs = dir_addrs(&p);
	rest = dir_rest(&p);
	e = &t->dir[dir_index(addrs, rest)];
	if (dir_flow(e->fs) == f)
		*e = (struct dir_entry){.rest = DIR_EMPTY};
	addrs = dir_addrs_reverse(addrs);
	rest = dir_rest_reverse(rest);
	e = &t->dir[dir_index(addrs, rest)];
	if (dir_flow(e->fs) == f)
		*e = (struct dir_entry){.rest = DIR_EMPTY};
}

/*
 * The recent[] slot of a flow: a hash of its two endpoints in either order, one strong hash per
 * endpoint, summed. So a packet finds the slot from its own fields without building the
 * canonical key first, and flow_remove() finds it from the key.
 */
static inline uint64_t endpoint_hash(const uint8_t *addr, uint16_t port)
{
	uint64_t w0, w1, h;

	memcpy(&w0, addr, 8);
	memcpy(&w1, addr + 8, 8);
	h = w0 * 0x9e3779b97f4a7c15ULL + (w1 + port) * 0xc2b2ae3d27d4eb4fULL;
	h ^= h >> 32;
	h *= 0xd6e8feb86659fd93ULL;
	return h ^ (h >> 29);
}

static inline size_t recent_slot(const uint8_t *x, uint16_t xport, const uint8_t *y, uint16_t yport,
				 uint8_t proto)
{
	uint64_t h = endpoint_hash(x, xport) + endpoint_hash(y, yport) + proto;

	return (size_t)((h ^ (h >> 32)) % RECENT_SLOTS);
}

static inline size_t recent_slot_packet(const struct capture_packet *p)
{
	return recent_slot(p->src.bytes, p->sport, p->dst.bytes, p->dport, p->proto);
}

static inline size_t recent_slot_key(const struct flow_key *k)
{
	return recent_slot(k->a, k->a_port, k->b, k->b_port, k->proto);
}

static void listener_key_make(struct listener_key *k, const struct flow_key *fk, int side)
{
	memset(k, 0, sizeof(*k));
	memcpy(k->addr, side ? fk->b : fk->a, sizeof(k->addr));
	k->port = side ? fk->b_port : fk->a_port;
	k->proto = fk->proto;
	k->family = fk->family;
}

static void listener_add(struct capture_tracker *t, const struct flow_key *fk, int side)
{
	struct listener_key k;
	struct listener *l;

	listener_key_make(&k, fk, side);
	HASH_FIND(hh, t->listeners, &k, sizeof(k), l);
	if (l)
		return;
	l = util_zalloc(sizeof(*l));
	l->key = k;
	HASH_ADD(hh, t->listeners, key, sizeof(l->key), l);
}

static bool listener_has(const struct capture_tracker *t, const struct flow_key *fk, int side)
{
	struct listener_key k;
	struct listener *l;

	listener_key_make(&k, fk, side);
	HASH_FIND(hh, t->listeners, &k, sizeof(k), l);
	return l != NULL;
}

/*
 * Well-known < registered < ephemeral: the lower, the likelier the server. Port 0 names no
 * service (no policy can allow it): for pairing halves it is the likeliest client end.
 */
static int port_class(uint16_t port)
{
	if (port == 0)
		return 3;
	if (port < 1024)
		return 0;
	if (port < 32768)
		return 1;
	return 2;
}

/* Whether both sides of f have sent something. */
static bool flow_two_sided(const struct flow *f)
{
	return f->sent[0] && f->sent[1];
}

/* ---- Halves: one connection seen as two one-sided flows ----------------------------------- */

/* The two halves of one connection begin this close together (a SYN and its SYN+ACK). */
#define HALF_SLACK (2 * UTIL_NSEC_PER_SEC)

/* The side of k that is the likely client end, or -1 when the ports do not tell. */
static int half_side(const struct flow_key *k)
{
	int ca = port_class(k->a_port), cb = port_class(k->b_port);

	if (ca != cb)
		return ca > cb ? 0 : 1;
	if (k->a_port != k->b_port)
		return k->a_port > k->b_port ? 0 : 1;
	return -1;
}

/* f's key of the given kind; side: f's likely client end. */
static void half_key_make(struct half_key *ret, const struct flow_key *k, int side,
			  enum half_kind kind)
{
	int end = kind == HALF_CLIENT ? side : !side;

	memset(ret, 0, sizeof(*ret));
	memcpy(ret->addr, end ? k->b : k->a, sizeof(ret->addr));
	ret->port = end ? k->b_port : k->a_port;
	if (kind == HALF_SERVER)
		ret->client_port = side ? k->b_port : k->a_port;
	ret->proto = k->proto;
	ret->family = k->family;
	ret->kind = (uint8_t)kind;
}

static struct half *half_find(const struct capture_tracker *t, const struct flow *f,
			      enum half_kind kind)
{
	struct half_key hk;
	struct half *h;

	half_key_make(&hk, &f->key, half_side(&f->key), kind);
	HASH_FIND(hh, t->halves, &hk, sizeof(hk), h);
	return h;
}

/* Files f, one-sided and waiting, under both its keys. */
static void half_file(struct capture_tracker *t, struct flow *f)
{
	int side = half_side(&f->key);

	for (int kind = 0; kind < HALF_KINDS; kind++) {
		struct half_key hk;
		struct half *h;

		half_key_make(&hk, &f->key, side, kind);
		HASH_FIND(hh, t->halves, &hk, sizeof(hk), h);
		if (!h) {
			/* two per connection, gone at its answer: kept for reuse, as flows are */
			h = t->half_spare;
			if (h) {
				t->half_spare = h->spare_next;
				memset(h, 0, sizeof(*h));
			} else {
				h = util_zalloc(sizeof(*h));
			}
			h->key = hk;
			HASH_ADD(hh, t->halves, key, sizeof(h->key), h);
		}
		if (h->f[0] && h->f[1]) { /* a third at once: the oldest is forgotten here */
			h->f[0] = h->f[1];
			h->f[1] = NULL;
		}
		h->f[h->f[0] ? 1 : 0] = f;
	}
	f->half_filed = true;
}

/*
 * Files the waiting flows that are still one-sided, in the order they were made, as if each had
 * been filed when it was made; the ones answered meanwhile never cost the index anything.
 */
static __attribute__((noinline)) void half_file_pending(struct capture_tracker *t)
{
	for (size_t i = 0; i < t->n_half_pending; i++) {
		struct flow *f = t->half_pending[i];

		if (f->half && !f->half_filed)
			half_file(t, f);
	}
	t->n_half_pending = 0;
}

/*
 * A new flow is one-sided: in halves, when its ports tell its client end. Most are answered
 * within a moment (a SYN+ACK, a DNS response), long before any other half looks for them, so
 * a new one only waits in half_pending until something looks halves up or a flow goes. That
 * saves the two lookups, two insertions and two deletions an answered flow would cost.
 */
static void half_add(struct capture_tracker *t, struct flow *f)
{
	if (half_side(&f->key) < 0 || f->key.proto == IPPROTO_ICMP ||
	    f->key.proto == IPPROTO_ICMPV6)
		return;
	if (t->n_half_pending == t->half_pending_cap) {
		t->half_pending_cap = t->half_pending_cap ? 2 * t->half_pending_cap : 1024;
		t->half_pending = util_reallocarray(t->half_pending, t->half_pending_cap,
						    sizeof(*t->half_pending));
	}
	t->half_pending[t->n_half_pending++] = f;
	f->half = true;
}

static __attribute__((noinline)) void half_remove(struct capture_tracker *t, struct flow *f)
{
	f->half = false;
	if (!f->half_filed) /* still waiting: half_file_pending() passes it over */
		return;
	f->half_filed = false;
	for (int kind = 0; kind < HALF_KINDS; kind++) {
		struct half *h = half_find(t, f, kind);

		if (!h)
			continue;
		if (h->f[0] == f) {
			h->f[0] = h->f[1];
			h->f[1] = NULL;
		} else if (h->f[1] == f) {
			h->f[1] = NULL;
		}
		if (!h->f[0]) {
			HASH_DEL(t->halves, h);
			h->spare_next = t->half_spare;
			t->half_spare = h;
		}
	}
}

/* Whether f and g are the two halves of one connection (see struct half). */
static bool half_match(const struct flow *f, const struct flow *g)
{
	int sf, sg;
	bool fc, gc;
	uint64_t d;

	if (!g || g == f || !g->half)
		return false;
	sf = half_side(&f->key);
	sg = half_side(&g->key);
	fc = f->sent[sf];
	gc = g->sent[sg];
	/* one is the client's (only its client end sent), the other the server's */
	if (fc == gc || (bool)f->sent[!sf] == fc || (bool)g->sent[!sg] == gc)
		return false;
	d = f->first_ns > g->first_ns ? f->first_ns - g->first_ns : g->first_ns - f->first_ns;
	return d <= HALF_SLACK;
}

/* The other half of f's connection, or NULL. */
static struct flow *half_partner(struct capture_tracker *t, const struct flow *f)
{
	if (!f->half)
		return NULL;
	if (t->n_half_pending > 0)
		half_file_pending(t);
	for (int kind = 0; kind < HALF_KINDS; kind++) {
		const struct half *h = half_find(t, f, kind);

		for (int i = 0; h && i < 2; i++)
			if (half_match(f, h->f[i]))
				return h->f[i];
	}
	return NULL;
}

/* What both sides of f's connection sent, counting its other half's: into ret, by f's sides. */
static void half_sent(struct capture_tracker *t, const struct flow *f, uint16_t ret[2])
{
	const struct flow *g = half_partner(t, f);
	int sf, sg;

	ret[0] = f->sent[0] | f->other[0];
	ret[1] = f->sent[1] | f->other[1];
	if (!g)
		return;
	sf = half_side(&f->key);
	sg = half_side(&g->key);
	ret[sf] |= g->sent[sg];
	ret[!sf] |= g->sent[!sg];
}

/* Returns the index of the server side, -1 when only one side claims nothing conclusive. */
static int server_by_flag(const struct flow *f, unsigned client_flag, unsigned server_flag)
{
	bool c0 = f->sent[0] & client_flag, c1 = f->sent[1] & client_flag;
	bool s0 = f->sent[0] & server_flag, s1 = f->sent[1] & server_flag;

	if (c0 != c1)
		return c0 ? 1 : 0;
	if (s0 != s1)
		return s0 ? 0 : 1;
	return -1;
}

static int flow_server(const struct capture_tracker *t, const struct flow *f,
		       enum capture_how *ret_how)
{
	const struct flow_key *k = &f->key;
	int server = -1;
	bool l0, l1;

	switch (k->proto) {
	case IPPROTO_TCP:
		server = server_by_flag(f, SENT_SYN, SENT_SYN_ACK);
		break;
	case IPPROTO_SCTP:
		server = server_by_flag(f, SENT_INIT, SENT_INIT_ACK);
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		server = server_by_flag(f, SENT_ECHO_REQ, SENT_ECHO_REP);
		break;
	}
	if (server >= 0) {
		*ret_how = CAPTURE_HOW_HANDSHAKE;
		return server;
	}

	/* only a handshake makes a listener (listener_add()): TCP and SCTP */
	l0 = l1 = false;
	if (k->proto == IPPROTO_TCP || k->proto == IPPROTO_SCTP) {
		l0 = listener_has(t, k, 0);
		l1 = listener_has(t, k, 1);
	}
	if (l0 != l1) {
		*ret_how = CAPTURE_HOW_LISTENER;
		return l0 ? 0 : 1;
	}

	/*
	 * Port 0 names no service, so its class says nothing of who served: a packet to it is a
	 * probe of it, one from it a reply (a tunnel's, say). The first packet tells which.
	 */
	if ((k->a_port == 0) != (k->b_port == 0))
		goto first;
	if (port_class(k->a_port) != port_class(k->b_port)) {
		*ret_how = CAPTURE_HOW_PORTS;
		return port_class(k->a_port) < port_class(k->b_port) ? 0 : 1;
	}
	if (k->a_port != k->b_port) {
		*ret_how = CAPTURE_HOW_PORTS;
		return k->a_port < k->b_port ? 0 : 1;
	}

first:
	*ret_how = CAPTURE_HOW_FIRST;
	return f->first_side ? 0 : 1;
}

static struct ct_link *ct_link_find(const struct capture_tracker *t, const struct flow *f)
{
	struct ct_link *l;

	HASH_FIND(hh, t->links, &f->key, sizeof(f->key), l);
	return l;
}

/*
 * A half-open scan: the client answered the server's SYN+ACK with a bare RST and nothing else.
 * An aborted connection resets with RST+ACK, and the live filter keeps every RST, so a real
 * connection whose data the filter dropped is never taken for one.
 */
static bool tcp_half_open(unsigned c)
{
	return (c & SENT_RST_BARE) && !(c & (SENT_DATA | SENT_FIN));
}

/* Whether the server side answered the client side in a way only an open service does. */
static bool flow_served_both_ways(const struct flow *f, unsigned c, unsigned s)
{
	switch (f->key.proto) {
	case IPPROTO_TCP:
		/*
		 * The server accepted the handshake, or the connection was going when the capture
		 * began. The SYN+ACK alone is enough: a capture point may only see what the server
		 * sends (the node's own probes of a pod), and the live filter drops the client's
		 * ACK. A client that answered it with a bare RST never wanted a connection. And
		 * a server out of sight (the node itself, whose answers never enter it): the client
		 * acknowledged the handshake, which it does only after the server's SYN+ACK.
		 */
		return ((s & SENT_SYN_ACK) && !tcp_half_open(c)) || (c & s & SENT_DATA) ||
		       (!s && (c & SENT_SYN) && (c & SENT_DATA));
	case IPPROTO_SCTP:
		return ((s & SENT_INIT_ACK) && (c & (SENT_INIT | SENT_DATA))) ||
		       (c & s & SENT_DATA);
	case IPPROTO_UDP:
		return c & s & SENT_DATA;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		return (c & SENT_ECHO_REQ) && (s & SENT_ECHO_REP);
	default:
		return false;
	}
}

/*
 * One-way capture points see one direction: what the server sends, or what the client sends.
 * Then anything but a refusal, a half-open scan or a bare SYN (TCP needs the client's ACK of the
 * handshake, or something from the server) counts as served.
 */
static bool flow_served_one_way(const struct flow *f, unsigned c, unsigned s)
{
	unsigned any = c | s;

	if ((s & SENT_RST) || (f->key.proto == IPPROTO_TCP && tcp_half_open(c)))
		return false;
	switch (f->key.proto) {
	case IPPROTO_TCP:
		return any & (SENT_DATA | SENT_FIN | SENT_SYN_ACK);
	case IPPROTO_SCTP:
		return any & (SENT_DATA | SENT_INIT_ACK);
	case IPPROTO_UDP:
		return any & SENT_DATA;
	default:
		return any & (SENT_ECHO_REQ | SENT_ECHO_REP);
	}
}

/* What became of f, whose server is side server (of its key); l: its conntrack link, or NULL. */
static enum capture_outcome flow_outcome(struct capture_tracker *t, const struct flow *f,
					 int server, const struct ct_link *l)
{
	uint16_t sent[2];
	unsigned c, s;
	bool tcp = f->key.proto == IPPROTO_TCP;

	half_sent(t, f, sent);
	c = sent[!server];
	s = sent[server];
	/*
	 * Conntrack sees every packet, the kernel's filter none of them lost: for TCP it alone
	 * decides what was served, so that the SYN+ACKs a server sends to a flood of forged
	 * sources never count. Not what was refused: the kernel drops the entry of a SYN answered
	 * with a RST before it marks it replied, so that RST, where captured, tells.
	 */
	if (l && tcp)
		return l->status & CT_ASSURED			    ? CAPTURE_SERVED
		       : (l->status & CT_REPLIED) || (s & SENT_RST) ? CAPTURE_REFUSED
								    : CAPTURE_UNANSWERED;
	if (l && (l->status & CT_REPLIED))
		return CAPTURE_SERVED;
	if (flow_served_both_ways(f, c, s) || (t->one_way && flow_served_one_way(f, c, s)))
		return CAPTURE_SERVED;
	if (s & SENT_RST)
		return CAPTURE_REFUSED;
	return CAPTURE_UNANSWERED;
}

/* Whether f has been answered at all, as far as eviction is concerned: either side may do. */
static bool flow_answered(const struct flow *f)
{
	return flow_two_sided(f) || f->ct;
}

/* The flow as it is reported, its direction decided now. */
static void flow_describe(struct capture_tracker *t, const struct flow *f, struct capture_flow *ret)
{
	const struct flow_key *k = &f->key;
	const struct ct_link *l = f->ct ? ct_link_find(t, f) : NULL;
	struct capture_flow out = {
		.proto = k->proto,
		.first_ns = f->first_ns,
		.last_ns = f->last_ns,
		.packets = f->packets,
		.id = f->id,
	};
	bool icmp = k->proto == IPPROTO_ICMP || k->proto == IPPROTO_ICMPV6;
	int server;

	out.client.family = k->family;
	out.server.family = k->family;
	if (l) {
		out.how = CAPTURE_HOW_HANDSHAKE;
		out.outcome = flow_outcome(t, f, !l->client_side, l);
		memcpy(out.client.bytes, l->client_side ? k->b : k->a, sizeof(out.client.bytes));
		memcpy(out.server.bytes, l->server, sizeof(out.server.bytes));
		if (!icmp) {
			out.port = l->server_port;
			out.client_port = l->client_side ? k->b_port : k->a_port;
		}
		*ret = out;
		return;
	}
	server = flow_server(t, f, &out.how);
	out.outcome = flow_outcome(t, f, server, NULL);
	memcpy(out.client.bytes, server ? k->a : k->b, sizeof(out.client.bytes));
	memcpy(out.server.bytes, server ? k->b : k->a, sizeof(out.server.bytes));
	if (!icmp) {
		out.port = server ? k->b_port : k->a_port;
		out.client_port = server ? k->a_port : k->b_port;
	}
	*ret = out;
}

/*
 * A server port that no policy can name (port 0) makes no edge and no attempt: such a flow is
 * counted and never reported, so nothing downstream has to refuse it.
 */
static bool flow_port_invalid(const struct capture_flow *out)
{
	return out->port == 0 && out->proto != IPPROTO_ICMP && out->proto != IPPROTO_ICMPV6;
}

static void batch_hand_over(struct capture_tracker *t)
{
	if (t->n_batch > 0)
		t->batch_fn(t->batch, t->n_batch, t->userdata);
	t->n_batch = 0;
}

/* The flows that end from here to batch_end() go to batch_fn, if there is one. */
static void batch_begin(struct capture_tracker *t)
{
	t->batching = t->batch_fn != NULL;
}

static void batch_end(struct capture_tracker *t)
{
	if (t->batching)
		batch_hand_over(t);
	t->batching = false;
}

static void flow_report(struct capture_tracker *t, struct flow *f)
{
	struct capture_flow out;

	if (t->batching) {
		flow_describe(t, f, &t->batch[t->n_batch]);
		if (flow_port_invalid(&t->batch[t->n_batch])) {
			t->stats.port_zero++;
			return;
		}
		if (++t->n_batch == CAPTURE_FLOW_BATCH)
			batch_hand_over(t);
		return;
	}
	flow_describe(t, f, &out);
	if (flow_port_invalid(&out)) {
		t->stats.port_zero++;
		return;
	}
	t->fn(&out, t->userdata);
}

/* Drops f's conntrack link and its alias, so no packet is steered to f once it is gone. */
static void ct_link_drop(struct capture_tracker *t, struct flow *f)
{
	struct ct_link *l = ct_link_find(t, f);

	if (!l)
		return;
	if (l->in_aliases)
		HASH_DELETE(ah, t->aliases, l);
	HASH_DELETE(hh, t->links, l);
	free(l);
	f->ct = false;
}

static void flow_remove(struct capture_tracker *t, struct flow *f)
{
	struct flow **slot = &t->recent[recent_slot_key(&f->key)];

	if (*slot == f)
		*slot = NULL;
	if (t->evict_from == f) {
		t->evict_from = f->hh.next;
		t->evict_at_end = !t->evict_from;
	}
	/* no flow that goes may still be waiting (f itself or one answered meanwhile) */
	if (t->n_half_pending > 0)
		half_file_pending(t);
	if (f->half)
		half_remove(t, f);
	if (f->ct)
		ct_link_drop(t, f);
	dir_forget(t, f);
	HASH_DEL(t->flows, f);
	t->n_flows--;
	f->spare_next = t->spare;
	t->spare = f;
	/* Under ASan a dangling pointer to a spare flow still faults, as it would after free(). */
	SPARE_POISON((uint8_t *)f + sizeof(f->spare_next), sizeof(*f) - sizeof(f->spare_next));
}

/*
 * A new flow under k, first seen at ts_ns from first_side, in the table. Taken from the spare
 * list when it has one: flows come and go at the rate of connections, and calloc() plus free()
 * cost more than everything else a connection does here.
 */
static void flow_end(struct capture_tracker *t, struct flow *f);

/*
 * The table is full: the oldest flow nobody answered ends now (a flood of SYNs or probes goes
 * first), else the oldest flow. Reported as it stands, as if it had ended.
 */
static void flow_evict(struct capture_tracker *t)
{
	struct flow *f = t->evict_from ? t->evict_from : t->evict_at_end ? NULL : t->flows;

	while (f && flow_answered(f))
		f = f->hh.next;
	t->evict_from = f;
	t->evict_at_end = !f;
	if (!f)
		f = t->flows;
	t->stats.evicted++;
	flow_end(t, f);
}

/*
 * A zeroed flow never used before. Flows are only ever made by the hundred thousand and then
 * reused (the spare list), so blocks are only given back when the table is emptied.
 */
static struct flow *flow_alloc(struct capture_tracker *t)
{
#if FLOW_BLOCKS
	struct flow *f;

	if ((size_t)(t->block_end - t->block_free) < sizeof(*f)) {
		void **b = util_block_new(UTIL_BLOCK_SIZE);

		*b = t->blocks;
		t->blocks = b;
		t->block_free = (uint8_t *)b + _Alignof(struct flow);
		t->block_end = (uint8_t *)b + UTIL_BLOCK_SIZE;
	}
	f = (struct flow *)t->block_free;
	t->block_free += sizeof(*f);
	return f;
#else
	return util_zalloc(sizeof(struct flow));
#endif
}

static struct flow *flow_new(struct capture_tracker *t, const struct flow_key *k, uint64_t ts_ns,
			     int first_side)
{
	struct flow *f;

	while (t->n_flows >= t->max_flows && t->flows)
		flow_evict(t);
	f = t->spare;

	if (!f) {
		f = flow_alloc(t);
	} else {
		SPARE_UNPOISON(f, sizeof(*f));
		t->spare = f->spare_next;
		memset(f, 0, sizeof(*f));
	}
	f->id = ++t->last_id;
	f->key = *k;
	f->first_ns = ts_ns;
	if (k->proto == IPPROTO_UDP && (k->a_port == 53) != (k->b_port == 53))
		f->dns = k->a_port == 53 ? 1 : 2;
	f->first_side = (uint8_t)first_side;
	HASH_ADD(hh, t->flows, key, sizeof(f->key), f);
	t->n_flows++;
	half_add(t, f);
	if (t->evict_at_end) {
		t->evict_from = f;
		t->evict_at_end = false;
	}
	return f;
}

static void flow_end(struct capture_tracker *t, struct flow *f)
{
	struct flow *g = half_partner(t, f);

	/*
	 * The other half, still open, keeps what this one saw, so that it is reported served too;
	 * apart from sent[], which decides its direction, end and expiry.
	 */
	if (g) {
		int sf = half_side(&f->key), sg = half_side(&g->key);

		g->other[sg] |= f->sent[sf];
		g->other[!sg] |= f->sent[!sf];
	}
	flow_report(t, f);
	flow_remove(t, f);
}

static uint64_t flow_idle_timeout(const struct capture_tracker *t, const struct flow *f)
{
	unsigned any = f->sent[0] | f->sent[1];

	if (f->key.proto != IPPROTO_TCP)
		return IDLE_TIMEOUT_OTHER;
	if (f->ct || (any & SENT_SYN_ACK))
		return IDLE_TIMEOUT_TCP_OPENED;
	if (any & SENT_SYN) /* one side alone is a SYN nobody answered, unless that is all we see */
		return t->one_way || flow_two_sided(f) ? IDLE_TIMEOUT_TCP_OPENED
						       : IDLE_TIMEOUT_TCP_UNANSWERED;
	return IDLE_TIMEOUT_TCP;
}

static bool flow_expired(const struct capture_tracker *t, const struct flow *f, uint64_t now)
{
	uint64_t idle = flow_idle_timeout(t, f);

	/* Packets from several interfaces may arrive slightly out of order: never underflow. */
	if (f->closed && now >= f->closed_ns && now - f->closed_ns >= CLOSED_LINGER)
		return true;
	return now >= f->last_ns && now - f->last_ns >= idle;
}

static void tracker_expire(struct capture_tracker *t, uint64_t now)
{
	struct flow *f, *tmp;

	batch_begin(t);
	HASH_ITER (hh, t->flows, f, tmp) {
		if (flow_expired(t, f, now))
			flow_end(t, f);
	}
	batch_end(t);
	t->next_scan_ns = now + SCAN_INTERVAL;
}

/*
 * Any total order of the endpoints makes a canonical key, so compare the addresses as two
 * native words rather than byte by byte: no call, and selects instead of branches on the path
 * that every packet takes in a random direction.
 */
static inline bool endpoint_le(const uint8_t *x, uint16_t xport, const uint8_t *y, uint16_t yport)
{
	uint64_t x0, x1, y0, y1;

	memcpy(&x0, x, 8);
	memcpy(&x1, x + 8, 8);
	memcpy(&y0, y, 8);
	memcpy(&y1, y + 8, 8);
	if (x0 != y0)
		return x0 < y0;
	if (x1 != y1)
		return x1 < y1;
	return xport <= yport;
}

/*
 * The last key word (ports, protocol, family, padding) is assembled in a register and stored
 * whole: the hash and the compare read the key back as 8-byte words, and a word load that spans
 * several narrow stores cannot be forwarded from them and stalls.
 */
static inline uint64_t flow_key_tail(uint16_t a_port, uint16_t b_port, uint8_t proto,
				     uint8_t family)
{
	struct {
		uint16_t a_port, b_port;
		uint8_t proto, family, pad[2];
	} tail = {a_port, b_port, proto, family, {0, 0}};
	uint64_t w;

	memcpy(&w, &tail, sizeof(w));
	return w;
}

/* Fills the canonical key; returns the side (0 a, 1 b) that sent p. */
static int flow_key_make(struct flow_key *k, const struct capture_packet *p)
{
	int side = !endpoint_le(p->src.bytes, p->sport, p->dst.bytes, p->dport);
	const struct util_addr *a = side ? &p->dst : &p->src, *b = side ? &p->src : &p->dst;
	uint64_t tail = flow_key_tail(side ? p->dport : p->sport, side ? p->sport : p->dport,
				      p->proto, p->src.family);

	memcpy(k->a, a->bytes, sizeof(k->a));
	memcpy(k->b, b->bytes, sizeof(k->b));
	memcpy(&k->a_port, &tail, sizeof(tail));
	return side;
}

static unsigned packet_flags(const struct capture_packet *p)
{
	if (p->icmp_error) /* the far end, or a router for it, refused what was sent */
		return SENT_RST;
	switch (p->proto) {
	case IPPROTO_TCP:
		if (p->tcp_flags & TCP_RST)
			return SENT_RST | (p->tcp_flags & TCP_ACK ? 0 : SENT_RST_BARE);
		if ((p->tcp_flags & (TCP_SYN | TCP_ACK)) == TCP_SYN)
			return SENT_SYN | (p->tcp_flags & TCP_FIN ? SENT_FIN : 0);
		if ((p->tcp_flags & (TCP_SYN | TCP_ACK)) == (TCP_SYN | TCP_ACK))
			return SENT_SYN_ACK;
		return SENT_DATA | (p->tcp_flags & TCP_FIN ? SENT_FIN : 0);
	case IPPROTO_UDP:
		return SENT_DATA;
	case IPPROTO_SCTP:
		if (p->l4_type == SCTP_INIT)
			return SENT_INIT;
		if (p->l4_type == SCTP_INIT_ACK)
			return SENT_INIT_ACK;
		if (p->l4_type == SCTP_ABORT)
			return SENT_RST;
		return SENT_DATA;
	case IPPROTO_ICMP:
		return p->l4_type == ICMP_ECHO_REQUEST ? SENT_ECHO_REQ
		       : p->l4_type == ICMP_ECHO_REPLY ? SENT_ECHO_REP
						       : 0;
	case IPPROTO_ICMPV6:
		return p->l4_type == ICMP6_ECHO_REQUEST ? SENT_ECHO_REQ
		       : p->l4_type == ICMP6_ECHO_REPLY ? SENT_ECHO_REP
							: 0;
	default:
		return 0;
	}
}

/* Whether p belongs to f, from either side: the packet's endpoints are f's key, in some order. */
static inline bool flow_has_packet(const struct flow *f, const struct capture_packet *p)
{
	const struct flow_key *k = &f->key;
	uint64_t s0, s1, d0, d1, a0, a1, b0, b1, tail, x, y;

	memcpy(&s0, p->src.bytes, 8);
	memcpy(&s1, p->src.bytes + 8, 8);
	memcpy(&d0, p->dst.bytes, 8);
	memcpy(&d1, p->dst.bytes + 8, 8);
	memcpy(&a0, k->a, 8);
	memcpy(&a1, k->a + 8, 8);
	memcpy(&b0, k->b, 8);
	memcpy(&b1, k->b + 8, 8);
	memcpy(&tail, &k->a_port, 8);
	x = (s0 ^ a0) | (s1 ^ a1) | (d0 ^ b0) | (d1 ^ b1) |
	    (tail ^ flow_key_tail(p->sport, p->dport, p->proto, p->src.family));
	y = (s0 ^ b0) | (s1 ^ b1) | (d0 ^ a0) | (d1 ^ a1) |
	    (tail ^ flow_key_tail(p->dport, p->sport, p->proto, p->src.family));
	return x == 0 || y == 0;
}

/* UDP, or TCP without SYN, FIN or RST: a packet whose only news is SENT_DATA. */
static inline bool packet_plain(const struct capture_packet *p)
{
	return (p->proto == IPPROTO_UDP && !p->icmp_error) ||
	       (p->proto == IPPROTO_TCP && !(p->tcp_flags & (TCP_SYN | TCP_FIN | TCP_RST)));
}

static __attribute__((noinline)) void tracker_tick(struct capture_tracker *t, uint64_t ts_ns)
{
	/* The first packet only arms the timer: nothing can have expired yet. */
	if (t->next_scan_ns != 0)
		tracker_expire(t, ts_ns);
	else
		t->next_scan_ns = ts_ns + SCAN_INTERVAL;
}

/* Which side of f sent p, as flow_key_make() would tell; p belongs to f. */
static inline int flow_side(const struct flow *f, const struct capture_packet *p)
{
	return !(memcmp(f->key.a, p->src.bytes, sizeof(f->key.a)) == 0 &&
		 f->key.a_port == p->sport);
}

/*
 * A DNS exchange: UDP with one end on port 53, and no conntrack to say when it ends. It is over
 * once every query has had its answer, and then lingers as a closed TCP connection does, for a
 * late duplicate. A resolver takes a new socket (a new port) for each lookup and a node makes
 * them by the thousand a second: kept for the whole idle timeout they filled the table, and on
 * bench/bench.sh's node mix at 4 million packets the evictions that followed ended new
 * connections before their answers came. Another query on the same socket opens it again.
 */
static inline void flow_dns(struct flow *f, int side, uint64_t ts_ns)
{
	if (side == f->dns - 1) {
		/* past INT8_MAX queries owed it no longer counts: the idle timeout ends it */
		if (f->dns_owed > 0 && f->dns_owed < INT8_MAX)
			f->dns_owed--;
		if (f->dns_owed == 0 && f->sent[!side] && !f->closed) {
			f->closed = true;
			f->closed_ns = ts_ns;
		}
	} else {
		if (f->dns_owed < INT8_MAX)
			f->dns_owed++;
		f->closed = false;
	}
}

/*
 * What a packet of f from side whose only news is SENT_DATA (packet_plain()) changes in it: the
 * whole update on both fast paths.
 */
static inline void flow_plain(struct capture_tracker *t, struct flow *f, int side, uint64_t ts_ns)
{
	if (ts_ns > f->last_ns)
		f->last_ns = ts_ns;
	f->packets++;
	f->sent[side] |= SENT_DATA;
	if (f->half && f->sent[!side])
		half_remove(t, f);
	if (f->dns)
		flow_dns(f, side, ts_ns);
}

/* What a packet of f, sent by side, changes in it. */
static void flow_update(struct capture_tracker *t, struct flow *f, int side,
			const struct capture_packet *p, unsigned flags, uint64_t ts_ns)
{
	if (ts_ns > f->last_ns)
		f->last_ns = ts_ns;
	/* an ICMP error is about the flow, not of it: how many come back is the kernel's limit */
	f->packets += !p->icmp_error;
	f->sent[side] |= flags;
	if (f->half && f->sent[!side])
		half_remove(t, f);
	if (flags & (SENT_SYN_ACK | SENT_INIT_ACK))
		listener_add(t, &f->key, side);
	if (f->dns && !p->icmp_error)
		flow_dns(f, side, ts_ns);
	if (p->proto == IPPROTO_TCP && !f->closed) {
		if (flags & SENT_RST)
			f->rst = true;
		if (f->rst || ((f->sent[0] & SENT_FIN) && (f->sent[1] & SENT_FIN))) {
			f->closed = true;
			f->closed_ns = ts_ns;
		}
	}
}

/* The side of l's flow that an endpoint on side alias_side of l's alias key is. */
static int ct_alias_side(const struct ct_link *l, int alias_side)
{
	return alias_side == l->alias_client_side ? l->client_side : !l->client_side;
}

/*
 * A SYN on a closed flow is its tuple reused by a new connection; except on a flow conntrack
 * closed, when the SYN was sent before the DESTROY was read. Netlink hands events over sooner
 * than capture hands packets: a refused SYN's NEW and DESTROY come before the SYN (once per
 * interface that saw it) and its RST, and those belong to the connection the DESTROY closed.
 */
static bool flow_reused_by(const struct flow *f, unsigned flags, uint64_t ts_ns)
{
	if (!f->closed || !(flags & SENT_SYN))
		return false;
	return !f->ct || ts_ns > f->closed_ns;
}

/*
 * A packet whose key k is l's alias: it updates l's flow, sides translated; a SYN+ACK or INIT
 * ACK makes the endpoint that really sent it (the backend) a listener. Returns false when it
 * is no alias, or when it reuses the tuple of a closed flow, which then ends: the caller makes
 * a new flow under k.
 */
static bool tracker_add_alias(struct capture_tracker *t, const struct flow_key *k, int side,
			      const struct capture_packet *p, uint64_t ts_ns)
{
	unsigned flags = packet_flags(p), acks = flags & (SENT_SYN_ACK | SENT_INIT_ACK);
	struct ct_link *l;
	struct flow *f;
	int fside;

	HASH_FIND(ah, t->aliases, k, sizeof(*k), l);
	if (!l)
		return false;
	f = l->f;
	if (flow_reused_by(f, flags, ts_ns)) {
		flow_end(t, f);
		return false;
	}
	fside = ct_alias_side(l, side);
	flow_update(t, f, fside, p, flags & ~acks, ts_ns);
	f->sent[fside] |= acks;
	if (acks)
		listener_add(t, &l->alias, side);
	return true;
}

/* Everything but the fast path. */
static __attribute__((noinline)) void
tracker_add_slow(struct capture_tracker *t, const struct capture_packet *p, uint64_t ts_ns)
{
	struct flow **slot = &t->recent[recent_slot_packet(p)];
	struct flow *f = *slot;
	struct flow_key k;
	unsigned flags;
	int side;

	if (f && !flow_has_packet(f, p))
		f = NULL;
	/*
	 * The same fast path for what dir[] does not hold (IPv6) or has lost to a collision; an
	 * IPv4 flow goes back into dir[] for its next packets.
	 */
	if (f && packet_plain(p)) {
		side = flow_side(f, p);
		dir_remember(t, p, f, side);
		flow_plain(t, f, side, ts_ns);
		return;
	}

	side = flow_key_make(&k, p);
	if (!f) {
		HASH_FIND(hh, t->flows, &k, sizeof(k), f);
		if (f && !t->no_cache)
			*slot = f;
	}
	/* No flow of its own: maybe the post-NAT leg of a conntrack flow. Never cached. */
	if (!f && t->aliases && tracker_add_alias(t, &k, side, p, ts_ns))
		return;
	/* An error about a flow never seen says nothing (and a forged one must not fill the table).
	 */
	if (!f && p->icmp_error)
		return;
	flags = packet_flags(p);

	/* A new bare SYN on a closed connection is the port being reused: a new flow. */
	if (f && flow_reused_by(f, flags, ts_ns)) {
		flow_end(t, f);
		f = NULL;
	}
	if (!f) {
		f = flow_new(t, &k, ts_ns, side);
		if (!t->no_cache)
			*slot = f;
	}
	if (!t->no_cache)
		dir_remember(t, p, f, side);
	flow_update(t, f, side, p, flags, ts_ns);
}

/* A packet with SYN, FIN or RST (or an ICMP error), its flow and side already found in dir[]. */
static __attribute__((noinline)) void tracker_add_flagged(struct capture_tracker *t, struct flow *f,
							  int side, const struct capture_packet *p,
							  uint64_t ts_ns)
{
	unsigned flags = packet_flags(p);

	/* Port reuse ends f and starts a new flow: the slow path knows how. */
	if (flow_reused_by(f, flags, ts_ns))
		tracker_add_slow(t, p, ts_ns);
	else
		flow_update(t, f, side, p, flags, ts_ns);
}

/*
 * Most packets belong to an established flow and set no flag on it (UDP, TCP without SYN, FIN
 * or RST): all they can change is the flow's time and count. For IPv4 such a packet finds its
 * flow in dir[] by its own tuple; IPv6 through recent[] in tracker_add_slow(). Both caches only
 * point at live flows: flow_remove() and flows_free() take a flow out of them before freeing it.
 * flow_remove() finds the entries from the flow's key, so a flow must only ever be cached under
 * the tuples of its own key.
 * Every call out of here is a tail call, so the common case needs no stack frame.
 */
static inline void tracker_add_fast(struct capture_tracker *t, const struct capture_packet *p,
				    uint64_t ts_ns)
{
	uint64_t addrs, rest;
	const struct dir_entry *e;
	struct flow *f;

	if (p->src.family != AF_INET) {
		tracker_add_slow(t, p, ts_ns);
		return;
	}
	addrs = dir_addrs(p);
	rest = dir_rest(p);
	e = &t->dir[dir_index(addrs, rest)];
	if (e->addrs != addrs || e->rest != rest) {
		tracker_add_slow(t, p, ts_ns);
		return;
	}
	f = dir_flow(e->fs);
	/* what the flags of a UDP packet say means nothing, unless it is an ICMP error (RST) */
	if ((p->tcp_flags & (TCP_SYN | TCP_FIN | TCP_RST)) &&
	    (p->proto == IPPROTO_TCP || p->icmp_error)) {
		tracker_add_flagged(t, f, (int)(e->fs & 1), p, ts_ns);
		return;
	}
	flow_plain(t, f, (int)(e->fs & 1), ts_ns);
}

static __attribute__((noinline)) void
tracker_add_tick(struct capture_tracker *t, const struct capture_packet *p, uint64_t ts_ns)
{
	tracker_tick(t, ts_ns);
	tracker_add_fast(t, p, ts_ns);
}

void capture_tracker_add(struct capture_tracker *t, const struct capture_packet *p, uint64_t ts_ns)
{
	if (ts_ns >= t->next_scan_ns)
		tracker_add_tick(t, p, ts_ns);
	else
		tracker_add_fast(t, p, ts_ns);
}

void capture_tracker_set_fast_path(struct capture_tracker *t, bool on)
{
	t->no_cache = !on;
	memset(t->recent, 0, sizeof(t->recent));
	dir_clear(t);
}

static void links_free(struct capture_tracker *t)
{
	struct ct_link *l = t->links, *next;

	HASH_CLEAR(ah, t->aliases);
	HASH_CLEAR(hh, t->links);
	for (; l; l = next) {
		next = l->hh.next;
		free(l);
	}
}

static void halves_free(struct capture_tracker *t)
{
	struct half *h, *tmp;

	HASH_ITER (hh, t->halves, h, tmp) {
		HASH_DEL(t->halves, h);
		free(h);
	}
	for (h = t->half_spare; h; h = tmp) {
		tmp = h->spare_next;
		free(h);
	}
	t->half_spare = NULL;
	free(t->half_pending);
	t->half_pending = NULL;
	t->n_half_pending = t->half_pending_cap = 0;
}

static void flows_free(struct capture_tracker *t)
{
	/* Everything goes: drop the buckets, then the flows, unlinking nothing. */
#if FLOW_BLOCKS
	HASH_CLEAR(hh, t->flows);
	while (t->blocks) {
		void *b = t->blocks;

		t->blocks = *(void **)b;
		util_block_free(b, UTIL_BLOCK_SIZE);
	}
	t->block_free = t->block_end = NULL;
#else
	struct flow *f = t->flows, *next;

	HASH_CLEAR(hh, t->flows);
	for (; f; f = next) {
		next = f->hh.next;
		free(f);
	}
	for (f = t->spare; f; f = next) {
		SPARE_UNPOISON(f, sizeof(*f));
		next = f->spare_next;
		free(f);
	}
#endif
	t->spare = NULL;
	memset(t->recent, 0, sizeof(t->recent));
	dir_clear(t);
	t->n_flows = 0;
	t->evict_from = NULL;
	t->evict_at_end = false;
	links_free(t);
	halves_free(t);
}

void capture_tracker_flush(struct capture_tracker *t)
{
	batch_begin(t);
	for (struct flow *f = t->flows; f; f = f->hh.next)
		flow_report(t, f);
	batch_end(t);
	flows_free(t);
}

size_t capture_tracker_open_flows(const struct capture_tracker *t)
{
	return t->n_flows;
}

static void tracker_clear(struct capture_tracker *t)
{
	struct listener *l, *next;

	flows_free(t);
	l = t->listeners;
	HASH_CLEAR(hh, t->listeners);
	for (; l; l = next) {
		next = l->hh.next;
		free(l);
	}
}

struct capture_tracker *capture_tracker_free(struct capture_tracker *t)
{
	if (!t)
		return NULL;
	tracker_clear(t);
	free(t);
	return NULL;
}

void capture_tracker_reset(struct capture_tracker *t)
{
	capture_flows_fn batch_fn = t->batch_fn;
	capture_idle_fn idle_fn = t->idle_fn;

	tracker_clear(t);
	tracker_init(t, t->fn, t->userdata);
	t->batch_fn = batch_fn;
	t->idle_fn = idle_fn;
}

/* ---- Live sources: wall-clock expiry, checkpoints, conntrack ------------------------------- */

void capture_tracker_expire(struct capture_tracker *t, uint64_t now_ns)
{
	tracker_expire(t, now_ns);
}

void capture_tracker_peek(struct capture_tracker *t, capture_flow_fn fn, void *userdata)
{
	for (const struct flow *f = t->flows; f; f = f->hh.next) {
		struct capture_flow out;

		flow_describe(t, f, &out);
		if (!flow_port_invalid(&out))
			fn(&out, userdata);
	}
}

static bool ct_addr_ok(const struct util_addr *a, uint8_t family)
{
	return a->family == family && (family == AF_INET || family == AF_INET6);
}

/*
 * The canonical key of x:xport <-> y:yport, as a packet between them would make it (an IPv4
 * address keeps only its 4 bytes, whatever the caller left in the other 12); returns x's side.
 */
static int ct_key_make(struct flow_key *k, uint8_t proto, const struct util_addr *x, uint16_t xport,
		       const struct util_addr *y, uint16_t yport)
{
	struct capture_packet p = {
		.src.family = x->family,
		.dst.family = y->family,
		.proto = proto,
		.sport = xport,
		.dport = yport,
	};
	size_t n = x->family == AF_INET ? 4 : 16;

	memcpy(p.src.bytes, x->bytes, n);
	memcpy(p.dst.bytes, y->bytes, n);
	return flow_key_make(k, &p);
}

/* Folds the pcap flow pf (the post-NAT leg, under l's alias key) into l's flow, and frees it. */
static void ct_merge(struct capture_tracker *t, const struct ct_link *l, struct flow *pf)
{
	struct flow *f = l->f;

	for (int side = 0; side < 2; side++)
		f->sent[ct_alias_side(l, side)] |= pf->sent[side];
	f->packets += pf->packets;
	if (pf->first_ns < f->first_ns)
		f->first_ns = pf->first_ns;
	if (pf->last_ns > f->last_ns)
		f->last_ns = pf->last_ns;
	f->rst |= pf->rst;
	/*
	 * A report may already have named either view. The older view was open at every
	 * checkpoint the newer one was, so if either id was reported, the older one was.
	 */
	if (pf->id < f->id)
		f->id = pf->id;
	if (pf->closed && !pf->dns && !f->closed) { /* a DNS close is not conntrack's */
		f->closed = true;
		f->closed_ns = pf->closed_ns;
	}
	flow_remove(t, pf);
}

/* Gives f (under k, the original tuple) what ev says: direction, real server, alias. */
static void ct_link_new(struct capture_tracker *t, struct flow *f, const struct flow_key *k,
			int client_side, const struct capture_ct_event *ev)
{
	struct ct_link *l = util_zalloc(sizeof(*l)), *old;
	bool icmp = ev->proto == IPPROTO_ICMP || ev->proto == IPPROTO_ICMPV6;
	bool reply_ok = ct_addr_ok(&ev->reply_src, ev->orig_src.family) &&
			ct_addr_ok(&ev->reply_dst, ev->orig_src.family);
	size_t n = ev->orig_src.family == AF_INET ? 4 : 16;
	struct flow *pf;

	l->key = *k;
	l->f = f;
	l->client_side = (uint8_t)client_side;
	if (reply_ok && (memcmp(ev->reply_src.bytes, ev->orig_dst.bytes, n) != 0 ||
			 (!icmp && ev->reply_sport != ev->orig_dport))) {
		memcpy(l->server, ev->reply_src.bytes, n);
		l->server_port = ev->reply_sport;
	} else {
		memcpy(l->server, ev->orig_dst.bytes, n);
		l->server_port = ev->orig_dport;
	}
	HASH_ADD(hh, t->links, key, sizeof(l->key), l);
	f->ct = true;
	/* conntrack says when it ends: a close that only flow_dns() made is undone */
	if (f->dns && f->closed)
		f->closed = false;
	f->dns = 0;
	if (f->half) /* conntrack knows both sides */
		half_remove(t, f);
	if (!reply_ok)
		return;

	l->alias_client_side =
		(uint8_t)!ct_key_make(&l->alias, ev->proto, &ev->reply_src, ev->reply_sport,
				      &ev->reply_dst, ev->reply_dport);
	if (memcmp(&l->alias, k, sizeof(*k)) == 0)
		return;
	HASH_FIND(hh, t->flows, &l->alias, sizeof(l->alias), pf);
	/* One that conntrack opened itself is another connection, not this one's other leg. */
	if (pf && !pf->ct)
		ct_merge(t, l, pf);
	HASH_FIND(ah, t->aliases, &l->alias, sizeof(l->alias), old);
	if (old) {
		HASH_DELETE(ah, t->aliases, old);
		old->in_aliases = false;
	}
	HASH_ADD(ah, t->aliases, alias, sizeof(l->alias), l);
	l->in_aliases = true;
}

void capture_tracker_add_ct(struct capture_tracker *t, const struct capture_ct_event *ev,
			    uint64_t ts_ns)
{
	uint8_t family = ev->orig_src.family;
	struct ct_link *l;
	struct flow_key k;
	struct flow *f;
	int client_side;

	if (!ct_addr_ok(&ev->orig_src, family) || !ct_addr_ok(&ev->orig_dst, family))
		return;
	switch (ev->proto) {
	case IPPROTO_TCP:
	case IPPROTO_UDP:
	case IPPROTO_SCTP:
		break;
	case IPPROTO_ICMP:
		if (family != AF_INET)
			return;
		break;
	case IPPROTO_ICMPV6:
		if (family != AF_INET6)
			return;
		break;
	default:
		return;
	}

	client_side = ct_key_make(&k, ev->proto, &ev->orig_src, ev->orig_sport, &ev->orig_dst,
				  ev->orig_dport);
	HASH_FIND(hh, t->flows, &k, sizeof(k), f);
	/*
	 * The flow of an update (a reply) or a DESTROY was fed before; if it is gone, it has been
	 * reported (packets saw it refused, or it ended unanswered): a late reply to it is not a
	 * second connection.
	 */
	if ((ev->destroy || ev->update) && !f)
		return;
	/*
	 * Conntrack made a new entry for the tuple of one it has closed: the tuple is reused. An
	 * update is news about the entry it has, however closed its flow looks.
	 */
	if (!ev->destroy && !ev->update && f && f->ct && f->closed) {
		flow_end(t, f);
		f = NULL;
	}
	if (!f) {
		f = flow_new(t, &k, ts_ns, client_side);
		f->last_ns = ts_ns;
	}
	if (ts_ns > f->last_ns)
		f->last_ns = ts_ns;
	if (!f->ct)
		ct_link_new(t, f, &k, client_side, ev);
	l = ct_link_find(t, f);
	if (l)
		l->status |= (ev->replied ? CT_REPLIED : 0) | (ev->assured ? CT_ASSURED : 0);
	if (ev->destroy && !f->closed) {
		f->closed = true;
		f->closed_ns = ts_ns;
	}
}

/* ---- Limits and modes -------------------------------------------------------------------- */

void capture_tracker_set_max_flows(struct capture_tracker *t, size_t max)
{
	t->max_flows = max ? max : CAPTURE_TRACKER_MAX_FLOWS;
}

void capture_tracker_set_one_way(struct capture_tracker *t, bool on)
{
	t->one_way = on;
}

void capture_tracker_set_batch_fn(struct capture_tracker *t, capture_flows_fn fn)
{
	t->batch_fn = fn;
}

void capture_tracker_set_idle_fn(struct capture_tracker *t, capture_idle_fn fn)
{
	t->idle_fn = fn;
}

void capture_tracker_idle(struct capture_tracker *t)
{
	if (t->idle_fn)
		t->idle_fn(t->userdata);
}

void capture_tracker_get_stats(const struct capture_tracker *t, struct capture_tracker_stats *ret)
{
	*ret = t->stats;
}
