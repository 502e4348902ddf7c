/* SPDX-License-Identifier: Apache-2.0 */
/* test-conntrack.c - conntrack as a flow source on a routed host built of network namespaces. */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <netlink/addr.h>
#include <netlink/netfilter/ct.h>
#include <netlink/netfilter/nfnl.h>
#include <netlink/socket.h>

#include "capture/capture.h"
#include "tests/test-helpers.h"

/*
 * The host: a client namespace and a server namespace, each joined by a veth pair to a router
 * namespace that forwards between them. Conntrack runs in the router (it is per namespace), and
 * so does this test process (setns) while it reads conntrack; it opens each socket in the
 * namespace the socket belongs to and comes back. Addresses are 10.78.0.0/16 and fd78::/64 (cut
 * in /112s), in these namespaces only; no traffic leaves them. The router's nftables has
 * DNAT rules for a virtual address, 10.78.9.9 and fd78::9:9.
 */
#define NS_CLIENT "fltc-client"
#define NS_ROUTER "fltc-router"
#define NS_SERVER "fltc-server"
#define C4	  "10.78.1.2"
#define S4	  "10.78.2.2"
#define VIP4	  "10.78.9.9"
#define C6	  "fd78::1:2"
#define S6	  "fd78::2:2"
#define VIP6	  "fd78::9:9"

#define NS_PER_SEC UTIL_NSEC_PER_SEC
#define WAIT_MS	   3000

static const char *const setup_script[] = {
	"ip netns add " NS_CLIENT,
	"ip netns add " NS_ROUTER,
	"ip netns add " NS_SERVER,
	"ip -n " NS_CLIENT " link add fltc-c0 type veth peer name fltc-r0 netns " NS_ROUTER,
	"ip -n " NS_SERVER " link add fltc-s0 type veth peer name fltc-r1 netns " NS_ROUTER,
	"ip -n " NS_CLIENT " link set lo up",
	"ip -n " NS_ROUTER " link set lo up",
	"ip -n " NS_SERVER " link set lo up",
	/* nodad: the address is usable at once, not after duplicate address detection. */
	"ip -n " NS_CLIENT " addr add " C4 "/24 dev fltc-c0",
	"ip -n " NS_CLIENT " addr add " C6 "/112 dev fltc-c0 nodad",
	"ip -n " NS_ROUTER " addr add 10.78.1.1/24 dev fltc-r0",
	"ip -n " NS_ROUTER " addr add fd78::1:1/112 dev fltc-r0 nodad",
	"ip -n " NS_ROUTER " addr add 10.78.2.1/24 dev fltc-r1",
	"ip -n " NS_ROUTER " addr add fd78::2:1/112 dev fltc-r1 nodad",
	"ip -n " NS_SERVER " addr add " S4 "/24 dev fltc-s0",
	"ip -n " NS_SERVER " addr add " S6 "/112 dev fltc-s0 nodad",
	"ip -n " NS_CLIENT " link set fltc-c0 up",
	"ip -n " NS_ROUTER " link set fltc-r0 up",
	"ip -n " NS_ROUTER " link set fltc-r1 up",
	"ip -n " NS_SERVER " link set fltc-s0 up",
	"ip -n " NS_CLIENT " route add 10.78.0.0/16 via 10.78.1.1",
	"ip -n " NS_CLIENT " -6 route add fd78::/64 via fd78::1:1",
	"ip -n " NS_SERVER " route add 10.78.0.0/16 via 10.78.2.1",
	"ip -n " NS_SERVER " -6 route add fd78::/64 via fd78::2:1",
	"ip netns exec " NS_ROUTER " sysctl -qw net.ipv4.ip_forward=1",
	"ip netns exec " NS_ROUTER " sysctl -qw net.ipv6.conf.all.forwarding=1",
	/* A ct expression makes the namespace track connections in both families. */
	"ip netns exec " NS_ROUTER " nft add table inet fltc",
	"ip netns exec " NS_ROUTER " nft 'add chain inet fltc fltcfwd { type filter hook forward "
	"priority 0; policy accept; }'",
	"ip netns exec " NS_ROUTER " nft add rule inet fltc fltcfwd ct state new counter",
	"ip netns exec " NS_ROUTER " nft 'add chain inet fltc fltcpre { type nat hook prerouting "
	"priority -100; }'",
	"ip netns exec " NS_ROUTER " nft 'add chain inet fltc fltcpost { type nat hook postrouting "
	"priority 100; }'",
	"ip netns exec " NS_ROUTER " nft add rule inet fltc fltcpre ip daddr " VIP4
	" tcp dport 80 dnat ip to " S4 ":8080",
	"ip netns exec " NS_ROUTER " nft add rule inet fltc fltcpre ip daddr " VIP4
	" tcp dport 81 dnat ip to " S4 ":8081",
	"ip netns exec " NS_ROUTER " nft add rule inet fltc fltcpre ip6 daddr " VIP6
	" tcp dport 80 dnat ip6 to [" S6 "]:8082",
};

static int sh(const char *cmd)
{
	char buf[512];
	int r;

	snprintf(buf, sizeof(buf), "%s >/dev/null 2>&1", cmd);
	r = system(buf);
	return r == -1 || !WIFEXITED(r) ? -1 : WEXITSTATUS(r);
}

static void host_delete(void)
{
	/* Deleting a namespace deletes its veth ends, and with them their peers. */
	(void)sh("ip netns del " NS_CLIENT);
	(void)sh("ip netns del " NS_ROUTER);
	(void)sh("ip netns del " NS_SERVER);
}

static int host_build(void)
{
	host_delete();
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(setup_script); i++) {
		if (sh(setup_script[i]) != 0) {
			fprintf(stderr, "test-conntrack: setup failed: %s\n", setup_script[i]);
			return -1;
		}
	}
	return 0;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_SEC + (uint64_t)ts.tv_nsec;
}

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void ns_enter(const char *ns)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "/run/netns/%s", ns);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	ck_assert_msg(fd >= 0, "open %s: %s", path, strerror(errno));
	ck_assert_msg(setns(fd, CLONE_NEWNET) == 0, "setns %s: %s", ns, strerror(errno));
	close(fd);
}

/* A socket of namespace ns; the process goes back to the router afterwards. */
static int socket_in(const char *ns, int family, int type, int proto)
{
	int s;

	ns_enter(ns);
	s = socket(family, type | SOCK_CLOEXEC, proto);
	ck_assert_msg(s >= 0, "socket: %s", strerror(errno));
	ns_enter(NS_ROUTER);
	return s;
}

static socklen_t sockaddr_make(int family, const char *addr, uint16_t port,
			       struct sockaddr_storage *ret)
{
	memset(ret, 0, sizeof(*ret));
	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ret;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		ck_assert_int_eq(inet_pton(AF_INET, addr, &sin->sin_addr), 1);
		return sizeof(*sin);
	}
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ret;

	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons(port);
	ck_assert_int_eq(inet_pton(AF_INET6, addr, &sin6->sin6_addr), 1);
	return sizeof(*sin6);
}

static uint16_t local_port(int s)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	ck_assert_int_eq(getsockname(s, (struct sockaddr *)&ss, &len), 0);
	return ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
					     : ((struct sockaddr_in6 *)&ss)->sin6_port);
}

static void wait_fd(int fd, short events, const char *what)
{
	struct pollfd p = {.fd = fd, .events = events};

	ck_assert_msg(poll(&p, 1, WAIT_MS) == 1, "%s: nothing within %d ms", what, WAIT_MS);
}

/* A TCP server socket in the server namespace. */
static int tcp_listen(int family, uint16_t port)
{
	int s = socket_in(NS_SERVER, family, SOCK_STREAM, 0), one = 1;
	struct sockaddr_storage ss;
	socklen_t len = sockaddr_make(family, family == AF_INET ? S4 : S6, port, &ss);

	ck_assert_int_eq(setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)), 0);
	ck_assert_msg(bind(s, (struct sockaddr *)&ss, len) == 0, "bind: %s", strerror(errno));
	ck_assert_int_eq(listen(s, 16), 0);
	return s;
}

struct tcp_conn {
	int client, server;
	uint16_t client_port;
};

/* A connection from the client namespace to dial:port, accepted on listener ls. */
static void tcp_connect(int family, const char *dial, uint16_t port, int ls, struct tcp_conn *ret)
{
	struct sockaddr_storage ss;
	socklen_t len = sockaddr_make(family, dial, port, &ss), elen;
	int c = socket_in(NS_CLIENT, family, SOCK_STREAM | SOCK_NONBLOCK, 0), e = 0;

	ck_assert(connect(c, (struct sockaddr *)&ss, len) == 0 || errno == EINPROGRESS);
	wait_fd(c, POLLOUT, "connect");
	elen = sizeof(e);
	ck_assert_int_eq(getsockopt(c, SOL_SOCKET, SO_ERROR, &e, &elen), 0);
	ck_assert_msg(e == 0, "connect to %s port %u: %s", dial, port, strerror(e));
	wait_fd(ls, POLLIN, "accept");
	ret->server = accept(ls, NULL, NULL);
	ck_assert_int_ge(ret->server, 0);
	ret->client = c;
	ret->client_port = local_port(c);
}

/* One UDP datagram from the client namespace to dial:port, and the answer; the client's port. */
static uint16_t udp_exchange(int family, const char *dial, uint16_t port)
{
	int srv = socket_in(NS_SERVER, family, SOCK_DGRAM, 0);
	int c = socket_in(NS_CLIENT, family, SOCK_DGRAM, 0);
	struct sockaddr_storage ss, from;
	socklen_t len = sockaddr_make(family, family == AF_INET ? S4 : S6, port, &ss), flen;
	uint16_t client_port;
	char buf[64];

	ck_assert_msg(bind(srv, (struct sockaddr *)&ss, len) == 0, "bind: %s", strerror(errno));
	len = sockaddr_make(family, dial, port, &ss);
	ck_assert_int_eq(sendto(c, "q", 1, 0, (struct sockaddr *)&ss, len), 1);
	wait_fd(srv, POLLIN, "udp request");
	flen = sizeof(from);
	ck_assert_int_eq(recvfrom(srv, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen), 1);
	ck_assert_int_eq(sendto(srv, "a", 1, 0, (struct sockaddr *)&from, flen), 1);
	wait_fd(c, POLLIN, "udp answer");
	ck_assert_int_eq(recv(c, buf, sizeof(buf), 0), 1);
	client_port = local_port(c);
	close(c);
	close(srv);
	return client_port;
}

static uint16_t icmp_checksum(const uint8_t *p, size_t n)
{
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n % 2)
		sum += (uint32_t)(p[n - 1] << 8);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* An echo request with identifier id from the client to the server, and its reply. */
static void icmp_echo(int family, uint16_t id)
{
	bool v4 = family == AF_INET;
	int s = socket_in(NS_CLIENT, family, SOCK_RAW, v4 ? IPPROTO_ICMP : IPPROTO_ICMPV6);
	uint8_t msg[16] = {v4 ? 8 : 128, 0, 0, 0, (uint8_t)(id >> 8), (uint8_t)id, 0, 1}, buf[256];
	struct sockaddr_storage ss;
	socklen_t len = sockaddr_make(family, v4 ? S4 : S6, 0, &ss);
	uint64_t end = mono_ms() + WAIT_MS;

	if (v4) {
		uint16_t sum = icmp_checksum(msg, sizeof(msg));

		msg[2] = (uint8_t)(sum >> 8);
		msg[3] = (uint8_t)sum;
	}
	/* ICMPv6 raw sockets have the kernel fill in the checksum. */
	ck_assert_int_eq(sendto(s, msg, sizeof(msg), 0, (struct sockaddr *)&ss, len),
			 (ssize_t)sizeof(msg));
	for (;;) {
		ssize_t n;
		size_t off;

		ck_assert_msg(mono_ms() < end, "no echo reply");
		wait_fd(s, POLLIN, "echo reply");
		n = recv(s, buf, sizeof(buf), 0);
		ck_assert_int_gt(n, 0);
		off = v4 ? (size_t)(buf[0] & 0xf) * 4 : 0;
		if ((size_t)n >= off + 8 && buf[off] == (v4 ? 0 : 129) &&
		    buf[off + 4] == (uint8_t)(id >> 8) && buf[off + 5] == (uint8_t)id)
			break;
	}
	close(s);
}

/* Deletes the router's conntrack entry for a tuple, as conntrack -D would: a DESTROY event. */
static void ct_delete(int family, uint8_t proto, const char *src, uint16_t sport, const char *dst,
		      uint16_t dport)
{
	struct nl_sock *sk = nl_socket_alloc();
	struct nfnl_ct *ct = nfnl_ct_alloc();
	struct nl_addr *a;
	int r;

	ck_assert_int_eq(nfnl_connect(sk), 0);
	nfnl_ct_set_family(ct, (uint8_t)family);
	nfnl_ct_set_proto(ct, proto);
	ck_assert_int_eq(nl_addr_parse(src, family, &a), 0);
	ck_assert_int_eq(nfnl_ct_set_src(ct, 0, a), 0);
	nl_addr_put(a);
	ck_assert_int_eq(nl_addr_parse(dst, family, &a), 0);
	ck_assert_int_eq(nfnl_ct_set_dst(ct, 0, a), 0);
	nl_addr_put(a);
	nfnl_ct_set_src_port(ct, 0, sport);
	nfnl_ct_set_dst_port(ct, 0, dport);
	r = nfnl_ct_del(sk, ct, 0);
	ck_assert_msg(r == 0, "deleting the conntrack entry: %s", nl_geterror(r));
	nfnl_ct_put(ct);
	nl_socket_free(sk);
}

/* ---- Flows as reported ------------------------------------------------------------------- */

struct got_flow {
	struct capture_flow flow;
	bool early; /* before capture_tracker_flush() */
};

struct got {
	struct got_flow *flows;
	size_t n, cap;
	bool flushing;
};

static void got_add(const struct capture_flow *flow, void *userdata)
{
	struct got *g = userdata;

	if (g->n == g->cap) {
		g->cap = g->cap ? g->cap * 2 : 64;
		g->flows = util_reallocarray(g->flows, g->cap, sizeof(*g->flows));
	}
	g->flows[g->n++] = (struct got_flow){*flow, !g->flushing};
}

/* What the case's connection must look like. */
struct want {
	struct util_addr client, server;
	uint8_t proto;
	uint16_t port;
};

static bool want_matches(const struct want *w, const struct capture_flow *f)
{
	return util_addr_compare(&w->client, &f->client) == 0 &&
	       util_addr_compare(&w->server, &f->server) == 0 && w->proto == f->proto &&
	       w->port == f->port;
}

static size_t got_count(const struct got *g, const struct want *w, bool early_only)
{
	size_t n = 0;

	for (size_t i = 0; i < g->n; i++)
		n += want_matches(w, &g->flows[i].flow) && (!early_only || g->flows[i].early);
	return n;
}

/* Open flows that match w right now, without ending them. */
static size_t peek_count(struct capture_tracker *t, const struct want *w)
{
	struct got g = {0};
	size_t n;

	capture_tracker_peek(t, got_add, &g);
	n = got_count(&g, w, false);
	free(g.flows);
	return n;
}

static void dispatch(struct capture_conntrack *ct, int timeout_ms)
{
	struct pollfd p = {.fd = capture_conntrack_fd(ct), .events = POLLIN};
	struct util_err err = {""};
	int r;

	(void)poll(&p, 1, timeout_ms);
	r = capture_conntrack_dispatch(ct, &err);
	ck_assert_msg(r == 0, "dispatch: %d %s", r, err.msg);
	ck_assert_ptr_null(strchr(err.msg, '\n'));
}

/* Reads events until the tracker holds a flow like w (bounded). */
static void wait_open(struct capture_conntrack *ct, struct capture_tracker *t, const struct want *w)
{
	uint64_t end = mono_ms() + WAIT_MS;

	while (peek_count(t, w) == 0) {
		ck_assert_msg(mono_ms() < end, "no open flow within %d ms", WAIT_MS);
		dispatch(ct, 100);
	}
}

/* ---- Cases ------------------------------------------------------------------------------- */

enum ct_mode {
	MODE_PLAIN,	  /* capture, then the traffic */
	MODE_BEFORE_OPEN, /* a connection made before capture_conntrack_open(), left open */
	MODE_DESTROY,	  /* the entry is deleted: the DESTROY ends the flow before the flush */
	MODE_DEDUPE,	  /* decoded packets of both legs besides the events */
	MODE_OVERRUN,	  /* a buffer too small for the events: overrun and resync */
};

struct ct_case {
	const char *name;
	int family;
	uint8_t proto;
	const char *dial;   /* where the client sends: the server or a DNAT address */
	uint16_t dial_port; /* for ICMP the echo identifier */
	uint16_t port;	    /* where the server really listens; 0 for ICMP */
	enum ct_mode mode;
};

#define OVERRUN_CONNS 300

static const struct ct_case ct_cases[] = {
	{"tcp: one connection, opened by the client", AF_INET, IPPROTO_TCP, S4, 7001, 7001,
	 MODE_PLAIN},
	{"udp: one exchange", AF_INET, IPPROTO_UDP, S4, 7002, 7002, MODE_PLAIN},
	{"tcp over ipv6", AF_INET6, IPPROTO_TCP, S6, 7003, 7003, MODE_PLAIN},
	{"udp over ipv6", AF_INET6, IPPROTO_UDP, S6, 7004, 7004, MODE_PLAIN},
	{"icmp echo: port 0", AF_INET, IPPROTO_ICMP, S4, 0x4d2, 0, MODE_PLAIN},
	{"icmpv6 echo: port 0", AF_INET6, IPPROTO_ICMPV6, S6, 0x4d3, 0, MODE_PLAIN},
	{"dnat: the server is the real one, on its own port", AF_INET, IPPROTO_TCP, VIP4, 80, 8080,
	 MODE_PLAIN},
	{"dnat over ipv6", AF_INET6, IPPROTO_TCP, VIP6, 80, 8082, MODE_PLAIN},
	{"a connection opened before capture is found by the first dump", AF_INET, IPPROTO_TCP, S4,
	 7005, 7005, MODE_BEFORE_OPEN},
	{"a DESTROY ends a tcp flow", AF_INET, IPPROTO_TCP, S4, 7006, 7006, MODE_DESTROY},
	{"a DESTROY ends a udp flow", AF_INET6, IPPROTO_UDP, S6, 7007, 7007, MODE_DESTROY},
	{"dedupe: packets of both dnat legs and the events are one flow", AF_INET, IPPROTO_TCP,
	 VIP4, 81, 8081, MODE_DEDUPE},
	{"overrun: a resync dump finds every connection, each once", AF_INET, IPPROTO_UDP, S4, 7010,
	 7010, MODE_OVERRUN},
};

static void want_make(const struct ct_case *cc, struct want *ret)
{
	bool v4 = cc->family == AF_INET;

	*ret = (struct want){.proto = cc->proto, .port = cc->port};
	ck_assert_int_eq(util_addr_parse(v4 ? C4 : C6, &ret->client), 0);
	ck_assert_int_eq(util_addr_parse(v4 ? S4 : S6, &ret->server), 0);
}

static void packet_make(int family, uint8_t proto, const char *src, uint16_t sport, const char *dst,
			uint16_t dport, uint8_t flags, struct capture_packet *ret)
{
	*ret = (struct capture_packet){
		.proto = proto, .sport = sport, .dport = dport, .tcp_flags = flags};
	ck_assert_int_eq(util_addr_parse(src, &ret->src), 0);
	ck_assert_int_eq(util_addr_parse(dst, &ret->dst), 0);
	ck_assert_int_eq(ret->src.family, family);
}

/*
 * Made in the client and server namespaces while conntrack is read in the router's; returns the
 * client's port (for ICMP the echo identifier).
 */
static uint16_t traffic(const struct ct_case *cc, int ls)
{
	struct tcp_conn conn;

	switch (cc->proto) {
	case IPPROTO_TCP:
		tcp_connect(cc->family, cc->dial, cc->dial_port, ls, &conn);
		close(conn.client);
		close(conn.server);
		return conn.client_port;
	case IPPROTO_UDP:
		return udp_exchange(cc->family, cc->dial, cc->dial_port);
	default:
		icmp_echo(cc->family, cc->dial_port);
		return cc->dial_port;
	}
}

/* The connection's entry is deleted: its DESTROY closes the flow, reported after the linger. */
static void destroy(const struct ct_case *cc, struct capture_conntrack *ct,
		    struct capture_tracker *t, uint16_t client_port, const struct got *got,
		    const struct want *w)
{
	bool v4 = cc->family == AF_INET;
	uint64_t end = mono_ms() + WAIT_MS;

	ck_assert_uint_eq(got_count(got, w, false), 0);
	ct_delete(cc->family, cc->proto, v4 ? C4 : C6, client_port, v4 ? S4 : S6, cc->port);
	/* Expiry as if the linger had passed: only a closed flow ends that early. */
	while (got_count(got, w, true) == 0) {
		ck_assert_msg(mono_ms() < end, "no DESTROY within %d ms", WAIT_MS);
		dispatch(ct, 100);
		capture_tracker_expire(t, now_ns() + 11 * NS_PER_SEC);
	}
	ck_assert_uint_eq(peek_count(t, w), 0);
}

/*
 * Many UDP conversations while nothing reads the events, through a buffer made tiny. Before
 * that, one more whose flow is reported (idle) while conntrack still holds it: the resync dump
 * lists it again, and it must not come back as a second flow.
 */
static void overrun(const struct ct_case *cc, struct capture_conntrack *ct,
		    struct capture_tracker *t, const struct got *got, const struct want *w)
{
	int srv = socket_in(NS_SERVER, cc->family, SOCK_DGRAM, 0), tiny = 1, rcvbuf;
	int c[OVERRUN_CONNS];
	const struct capture_conntrack_stats *st = capture_conntrack_stats(ct);
	struct sockaddr_storage ss;
	socklen_t len = sockaddr_make(cc->family, S4, cc->port, &ss), olen = sizeof(rcvbuf);
	struct want reported = *w;
	uint64_t end;

	reported.port = cc->port + 1;
	(void)udp_exchange(cc->family, cc->dial, reported.port);
	wait_open(ct, t, &reported);
	capture_tracker_expire(t, now_ns() + 121 * NS_PER_SEC);
	ck_assert_uint_eq(got_count(got, &reported, true), 1);
	ck_assert_uint_eq(peek_count(t, &reported), 0);

	ck_assert_int_eq(bind(srv, (struct sockaddr *)&ss, len), 0);
	ck_assert_int_eq(
		setsockopt(capture_conntrack_fd(ct), SOL_SOCKET, SO_RCVBUF, &tiny, sizeof(tiny)),
		0);
	/* All open at once, so that each has a port of its own: OVERRUN_CONNS connections. */
	for (int i = 0; i < OVERRUN_CONNS; i++) {
		c[i] = socket_in(NS_CLIENT, cc->family, SOCK_DGRAM, 0);
		ck_assert_int_eq(sendto(c[i], "q", 1, 0, (struct sockaddr *)&ss, len), 1);
	}
	for (int i = 0; i < OVERRUN_CONNS; i++)
		close(c[i]);
	end = mono_ms() + WAIT_MS;
	while (st->resyncs == 0) {
		ck_assert_msg(mono_ms() < end, "no overrun within %d ms", WAIT_MS);
		dispatch(ct, 100);
	}
	ck_assert_uint_ge(st->overruns, 1);
	/* The buffer grew back past the tiny one, to at least the size it had at the start. */
	ck_assert_int_eq(
		getsockopt(capture_conntrack_fd(ct), SOL_SOCKET, SO_RCVBUF, &rcvbuf, &olen), 0);
	ck_assert_int_ge(rcvbuf, 8 << 20);
	dispatch(ct, 100);
	ck_assert_uint_eq(peek_count(t, &reported), 0);
	ck_assert_uint_eq(got_count(got, &reported, false), 1);
	close(srv);
}

/* Post-DNAT leg decoded before the event, pre-DNAT leg after, post-DNAT again: one flow. */
static void dedupe(const struct ct_case *cc, struct capture_conntrack *ct,
		   struct capture_tracker *t, int ls, const struct want *w)
{
	const struct capture_conntrack_stats *st = capture_conntrack_stats(ct);
	const char *c = C4, *s = S4;
	struct capture_packet p;
	struct tcp_conn conn;
	uint64_t end;

	tcp_connect(cc->family, cc->dial, cc->dial_port, ls, &conn);
	packet_make(cc->family, IPPROTO_TCP, c, conn.client_port, s, cc->port, 0x02, &p);
	capture_tracker_add(t, &p, now_ns());
	packet_make(cc->family, IPPROTO_TCP, s, cc->port, c, conn.client_port, 0x12, &p);
	capture_tracker_add(t, &p, now_ns());
	ck_assert_uint_eq(peek_count(t, w), 1);

	end = mono_ms() + WAIT_MS;
	while (st->events == 0) {
		ck_assert_msg(mono_ms() < end, "no event within %d ms", WAIT_MS);
		dispatch(ct, 100);
	}
	ck_assert_uint_eq(peek_count(t, w), 1);
	packet_make(cc->family, IPPROTO_TCP, c, conn.client_port, cc->dial, cc->dial_port, 0x02,
		    &p);
	capture_tracker_add(t, &p, now_ns());
	packet_make(cc->family, IPPROTO_TCP, cc->dial, cc->dial_port, c, conn.client_port, 0x12,
		    &p);
	capture_tracker_add(t, &p, now_ns());
	/* And the post-DNAT leg again, now that the flow has it as an alias. */
	packet_make(cc->family, IPPROTO_TCP, c, conn.client_port, s, cc->port, 0x10, &p);
	capture_tracker_add(t, &p, now_ns());
	ck_assert_uint_eq(peek_count(t, w), 1);
	close(conn.client);
	close(conn.server);
}

START_TEST(test_conntrack)
{
	const struct ct_case *cc = &ct_cases[_i];
	const struct capture_conntrack_stats *st;
	struct got got = {0};
	struct capture_tracker *t = capture_tracker_new(got_add, &got);
	struct capture_conntrack *ct = NULL;
	struct util_err err = {""};
	struct tcp_conn early = {-1, -1, 0};
	struct want w;
	uint16_t port;
	int ls = -1, r;

	want_make(cc, &w);
	ns_enter(NS_ROUTER);
	if (cc->proto == IPPROTO_TCP)
		ls = tcp_listen(cc->family, cc->port);
	if (cc->mode == MODE_BEFORE_OPEN)
		tcp_connect(cc->family, cc->dial, cc->dial_port, ls, &early);

	r = capture_conntrack_open(t, &ct, &err);
	ck_assert_msg(r == 0, "open: %d %s", r, err.msg);
	st = capture_conntrack_stats(ct);
	ck_assert_uint_eq(st->overruns, 0);
	ck_assert_uint_eq(st->resyncs, 0);

	switch (cc->mode) {
	case MODE_PLAIN:
		(void)traffic(cc, ls);
		wait_open(ct, t, &w);
		break;
	case MODE_DESTROY:
		port = traffic(cc, ls);
		wait_open(ct, t, &w);
		destroy(cc, ct, t, port, &got, &w);
		break;
	case MODE_BEFORE_OPEN:
		/* Nothing read from the event socket yet: the dump alone found it. */
		ck_assert_uint_gt(st->dumped, 0);
		ck_assert_uint_eq(peek_count(t, &w), 1);
		ck_assert_uint_eq(st->events, 0);
		break;
	case MODE_DEDUPE:
		dedupe(cc, ct, t, ls, &w);
		break;
	case MODE_OVERRUN:
		overrun(cc, ct, t, &got, &w);
		break;
	}

	capture_conntrack_free(ct);
	got.flushing = true;
	capture_tracker_flush(t);
	capture_tracker_free(t);
	if (early.client >= 0) {
		close(early.client);
		close(early.server);
	}
	if (ls >= 0)
		close(ls);
	ck_assert_uint_eq(got_count(&got, &w, false), cc->mode == MODE_OVERRUN ? OVERRUN_CONNS : 1);
	for (size_t i = 0; i < got.n; i++) {
		if (!want_matches(&w, &got.flows[i].flow))
			continue;
		ck_assert_int_eq(got.flows[i].flow.how, CAPTURE_HOW_HANDSHAKE);
		/* Both legs' SYN and SYN+ACK and an ACK, in the one flow. */
		if (cc->mode == MODE_DEDUPE)
			ck_assert_uint_eq(got.flows[i].flow.packets, 5);
	}
	/* Behind DNAT: nothing reported with the virtual address as the server. */
	if (cc->port != cc->dial_port && cc->port) {
		struct want vip = w;

		ck_assert_int_eq(util_addr_parse(cc->dial, &vip.server), 0);
		vip.port = cc->dial_port;
		ck_assert_uint_eq(got_count(&got, &vip, false), 0);
	}
	free(got.flows);
}
END_TEST

/* ---- The bridge warning, and errors ----------------------------------------------------- */

struct bridge_case {
	const char *name;
	int v4, v6;	  /* bridge-nf-call-iptables and -ip6tables in the router namespace */
	const char *want; /* NULL, or what the sentence starts with */
};

static const struct bridge_case bridge_cases[] = {
	{"both on: no problem", 1, 1, NULL},
	{"iptables off", 0, 1, "net.bridge.bridge-nf-call-iptables is 0: "},
	{"ip6tables off", 1, 0, "net.bridge.bridge-nf-call-ip6tables is 0: "},
	{"both off", 0, 0, "net.bridge.bridge-nf-call-iptables and -ip6tables are 0: "},
};

static void bridge_set(const char *name, int v)
{
	char cmd[160];

	snprintf(cmd, sizeof(cmd), "ip netns exec " NS_ROUTER " sysctl -qw net.bridge.%s=%d", name,
		 v);
	ck_assert_msg(sh(cmd) == 0, "%s failed", cmd);
}

/* The sysctls are per namespace: only the router's are changed, and set back. */
START_TEST(test_bridge_problem)
{
	const struct bridge_case *bc = &bridge_cases[_i];
	const char *got;

	ns_enter(NS_ROUTER);
	if (access("/proc/sys/net/bridge/bridge-nf-call-iptables", F_OK) != 0) {
		got = capture_conntrack_bridge_problem();
		ck_assert_ptr_nonnull(got);
		ck_assert_msg(strncmp(got, "br_netfilter is not loaded: ", 28) == 0, "%s", got);
		return;
	}
	bridge_set("bridge-nf-call-iptables", bc->v4);
	bridge_set("bridge-nf-call-ip6tables", bc->v6);
	got = capture_conntrack_bridge_problem();
	bridge_set("bridge-nf-call-iptables", 1);
	bridge_set("bridge-nf-call-ip6tables", 1);
	if (!bc->want) {
		ck_assert_msg(got == NULL, "%s: \"%s\"", bc->name, got);
		return;
	}
	ck_assert_ptr_nonnull(got);
	ck_assert_msg(strncmp(got, bc->want, strlen(bc->want)) == 0, "%s: \"%s\"", bc->name, got);
	ck_assert_ptr_nonnull(strstr(got, "use -i to capture it"));
	ck_assert_ptr_null(strchr(got, '\n'));
}
END_TEST

/*
 * Without CAP_NET_ADMIN the subscription is refused: one line that says why. In a child of its
 * own, which becomes nobody, so the test process keeps its privileges whatever CK_FORK says.
 */
START_TEST(test_open_unprivileged)
{
	static const char want[] = "conntrack: cannot subscribe to events: Operation not permitted "
				   "(needs CAP_NET_ADMIN)";
	struct {
		int r;
		char msg[sizeof(((struct util_err *)0)->msg)];
	} res = {0};
	int pfd[2], status;
	pid_t pid;

	ns_enter(NS_ROUTER);
	ck_assert_int_eq(pipe(pfd), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct capture_tracker *t = capture_tracker_new(got_add, NULL);
		struct capture_conntrack *ct = NULL;
		struct util_err err = {""};

		close(pfd[0]);
		if (setgroups(0, NULL) < 0 || setgid(65534) < 0 || setuid(65534) < 0)
			_exit(2);
		res.r = capture_conntrack_open(t, &ct, &err);
		memcpy(res.msg, err.msg, sizeof(res.msg));
		capture_conntrack_free(ct);
		capture_tracker_free(t);
		_exit(write(pfd[1], &res, sizeof(res)) == (ssize_t)sizeof(res) ? 0 : 3);
	}
	close(pfd[1]);
	ck_assert_int_eq(read(pfd[0], &res, sizeof(res)), (ssize_t)sizeof(res));
	close(pfd[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ck_assert_int_eq(res.r, -EPERM);
	ck_assert_str_eq(res.msg, want);
}
END_TEST

int main(void)
{
	Suite *s;
	TCase *tc;
	int r;

	if (geteuid() != 0) {
		fprintf(stderr, "test-conntrack: needs root (network namespaces, netlink)\n");
		return 77;
	}
	if (sh("command -v nft") != 0 || sh("command -v ip") != 0) {
		fprintf(stderr, "test-conntrack: needs ip and nft\n");
		return 77;
	}
	if (host_build() < 0) {
		host_delete();
		return 77;
	}
	s = suite_create("conntrack");
	tc = tcase_create("conntrack");
	tcase_add_loop_test(tc, test_conntrack, 0, UTIL_ARRAY_SIZE(ct_cases));
	suite_add_tcase(s, tc);
	tc = tcase_create("setup");
	tcase_add_loop_test(tc, test_bridge_problem, 0, UTIL_ARRAY_SIZE(bridge_cases));
	tcase_add_test(tc, test_open_unprivileged);
	suite_add_tcase(s, tc);
	r = test_run(s);
	host_delete();
	return r;
}
