/* SPDX-License-Identifier: Apache-2.0 */
/* test-live.c - live capture on a host built of network namespaces: filter, flows, link changes. */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netpacket/packet.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "capture/capture-private.h"
#include "tests/test-helpers.h"

/*
 * The host: a bridge br-fltl0 in namespace fltl-lv-host, and pods (namespaces fltl-lv-a, -b and,
 * for link changes, -c) each with an eth0 whose peer fltl-vX is a port of the bridge. Addresses
 * are 10.77.0.0/24 and fd77::/64, in these namespaces only; no traffic leaves them.
 */
#define NS_HOST "fltl-lv-host"
#define BRIDGE	"br-fltl0"

struct pod {
	const char *ns;
	const char *veth; /* the host side, a bridge port */
	const char *addr4, *addr6;
};

static const struct pod pod_a = {"fltl-lv-a", "fltl-va", "10.77.0.2", "fd77::2"};
static const struct pod pod_b = {"fltl-lv-b", "fltl-vb", "10.77.0.3", "fd77::3"};
static const struct pod pod_c = {"fltl-lv-c", "fltl-vc", "10.77.0.4", "fd77::4"};

#define MAX_FLOWS 256
#define NS_PER_MS 1000000ULL

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / NS_PER_MS;
}

/* Runs a shell command built from fmt quietly; returns its exit status. */
__attribute__((format(printf, 1, 2))) static int sh(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;
	int r;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	strncat(cmd, " >/dev/null 2>&1", sizeof(cmd) - strlen(cmd) - 1);
	r = system(cmd);
	return r == -1 || !WIFEXITED(r) ? -1 : WEXITSTATUS(r);
}

static int pod_add(const struct pod *p)
{
	int r = 0;

	r |= sh("ip netns add %s", p->ns);
	r |= sh("ip -n %s link add %s type veth peer name eth0 netns %s", NS_HOST, p->veth, p->ns);
	r |= sh("ip -n %s link set %s master %s up", NS_HOST, p->veth, BRIDGE);
	r |= sh("ip -n %s addr add %s/24 dev eth0", p->ns, p->addr4);
	/* nodad: the address is usable at once, not after duplicate address detection. */
	r |= sh("ip -n %s addr add %s/64 dev eth0 nodad", p->ns, p->addr6);
	r |= sh("ip -n %s link set eth0 up", p->ns);
	r |= sh("ip -n %s link set lo up", p->ns);
	return r ? -1 : 0;
}

/* The host side first: deleting a namespace takes its links down later, in the background. */
static void pod_del(const struct pod *p)
{
	(void)sh("ip -n %s link del %s", NS_HOST, p->veth);
	(void)sh("ip netns del %s", p->ns);
}

static void host_down(void)
{
	pod_del(&pod_c);
	(void)sh("ip netns del %s", pod_b.ns);
	(void)sh("ip netns del %s", pod_a.ns);
	(void)sh("ip netns del %s", NS_HOST);
}

static int host_up(void)
{
	host_down();
	if (sh("ip netns add %s", NS_HOST) || sh("ip -n %s link set lo up", NS_HOST) ||
	    sh("ip -n %s link add %s type bridge", NS_HOST, BRIDGE) ||
	    sh("ip -n %s link set %s up", NS_HOST, BRIDGE) || pod_add(&pod_a) || pod_add(&pod_b))
		return -1;
	return 0;
}

static int ns_enter(const char *ns)
{
	char path[128];
	int fd, r;

	snprintf(path, sizeof(path), "/run/netns/%s", ns);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = setns(fd, CLONE_NEWNET) < 0 ? -errno : 0;
	close(fd);
	return r;
}

/* ---- The capture under test, pumped in bounded loops ---------------------------------------- */

struct env {
	struct capture_live *l;
	struct capture_tracker *t;
	struct capture_stats stats;
	struct capture_flow flows[MAX_FLOWS];
	size_t n_flows;
	pcap_t *ref; /* an unfiltered capture to compare with, or NULL */
	uint64_t ref_packets;
};

static void collect(const struct capture_flow *f, void *userdata)
{
	struct env *env = userdata;

	if (env->n_flows < MAX_FLOWS)
		env->flows[env->n_flows++] = *f;
}

static void env_open_rings(struct env *env, const char *const *patterns, int buffer_bytes,
			   int ring_budget)
{
	struct capture_live_options o = {
		.patterns = patterns, .buffer_bytes = buffer_bytes, .ring_budget = ring_budget};
	struct util_err err = {""};
	int r;

	while (patterns[o.n_patterns])
		o.n_patterns++;
	ck_assert_int_eq(ns_enter(NS_HOST), 0);
	env->t = capture_tracker_new(collect, env);
	r = capture_live_open(&o, env->t, &env->l, &err);
	ck_assert_msg(r == 0, "capture_live_open: %d %s", r, err.msg);
}

static void env_open_sized(struct env *env, const char *const *patterns, int buffer_bytes)
{
	env_open_rings(env, patterns, buffer_bytes, 0);
}

static void env_open(struct env *env, const char *const *patterns)
{
	env_open_sized(env, patterns, 0);
}

static void env_close(struct env *env)
{
	if (env->ref)
		pcap_close(env->ref);
	capture_live_free(env->l);
	capture_tracker_free(env->t);
}

static void ref_count(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
	(*(uint64_t *)user)++;
}

/* The reference: everything on iface, as a capture without flowlock's filter would see it. */
static void env_ref_open(struct env *env, const char *iface)
{
	char errbuf[PCAP_ERRBUF_SIZE];

	env->ref = pcap_create(iface, errbuf);
	ck_assert_msg(env->ref != NULL, "%s", errbuf);
	ck_assert_int_eq(pcap_set_promisc(env->ref, 1), 0);
	ck_assert_int_eq(pcap_set_snaplen(env->ref, 96), 0);
	ck_assert_int_eq(pcap_set_timeout(env->ref, 100), 0);
	ck_assert_int_ge(pcap_activate(env->ref), 0);
	ck_assert_int_eq(pcap_setnonblock(env->ref, 1, errbuf), 0);
}

/* One round: wait at most 20 ms for input, then read all that is ready. */
static void pump(struct env *env)
{
	struct pollfd fds[64];
	struct util_err err = {""};
	size_t n = capture_live_pollfds(env->l, fds, UTIL_ARRAY_SIZE(fds));
	int r;

	ck_assert_int_ge(n, 1);
	(void)poll(fds, n, 20);
	r = capture_live_dispatch(env->l, &env->stats, &err);
	ck_assert_msg(r == 0, "capture_live_dispatch: %d %s", r, err.msg);
	if (env->ref)
		(void)pcap_dispatch(env->ref, -1, ref_count, (u_char *)&env->ref_packets);
}

/*
 * Longer than the 100 ms block timeout plus the 250 ms capture-live.c holds packets to put them
 * in time order across interfaces: everything sent before is in the tracker after.
 */
#define SETTLE_MS 600

static void pump_for(struct env *env, uint64_t ms)
{
	uint64_t end = mono_ms() + ms;

	while (mono_ms() < end)
		pump(env);
}

static const struct capture_iface_stats *iface_find(const struct capture_live *l, const char *name,
						    size_t *ret_index)
{
	for (size_t i = 0; i < capture_live_iface_count(l); i++) {
		const struct capture_iface_stats *s = capture_live_iface(l, i);

		if (strcmp(s->name, name) == 0) {
			if (ret_index)
				*ret_index = i;
			return s;
		}
	}
	return NULL;
}

static bool iface_attached(const struct capture_live *l, const char *name)
{
	const struct capture_iface_stats *s = iface_find(l, name, NULL);

	return s && s->attached;
}

/* Pumps until name's attached state is want, for at most 3 s; returns whether it got there. */
static bool pump_until_attached(struct env *env, const char *name, bool want)
{
	uint64_t end = mono_ms() + 3000;

	while (mono_ms() < end) {
		pump(env);
		if (iface_attached(env->l, name) == want)
			return true;
	}
	return false;
}

/* How many reported flows go from client to server for proto and port; the last one found. */
static size_t flows_find(const struct env *env, const char *client, const char *server,
			 uint8_t proto, uint16_t port, struct capture_flow *ret)
{
	struct util_addr c, s;
	size_t n = 0;

	ck_assert_int_eq(util_addr_parse(client, &c), 0);
	ck_assert_int_eq(util_addr_parse(server, &s), 0);
	for (size_t i = 0; i < env->n_flows; i++) {
		const struct capture_flow *f = &env->flows[i];

		if (f->proto != proto || f->port != port || util_addr_compare(&f->client, &c) ||
		    util_addr_compare(&f->server, &s))
			continue;
		n++;
		if (ret)
			*ret = *f;
	}
	return n;
}

/* ---- Traffic between pods: a server and a client, each a child in its pod's namespace ------- */

struct exchange {
	const struct pod *client, *server;
	int family;
	uint8_t proto; /* IPPROTO_TCP, _UDP; _ICMP / _ICMPV6 is one ping */
	uint16_t port;
	size_t bytes; /* TCP: sent by the client, counted by the server */
};

static const char *pod_addr(const struct pod *p, int family)
{
	return family == AF_INET ? p->addr4 : p->addr6;
}

static socklen_t sockaddr_make(int family, const char *addr, uint16_t port,
			       struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		if (addr)
			(void)inet_pton(AF_INET, addr, &sin->sin_addr);
		return sizeof(*sin);
	}
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons(port);
	if (addr)
		(void)inet_pton(AF_INET6, addr, &sin6->sin6_addr);
	return sizeof(*sin6);
}

static bool fd_wait(int fd, short events, int ms)
{
	struct pollfd p = {.fd = fd, .events = events};

	return poll(&p, 1, ms) == 1;
}

/* In the child: serves one connection or datagram. Exit status 0 when all bytes arrived. */
static void __attribute__((noreturn)) server_main(const struct exchange *x, int ready)
{
	struct sockaddr_storage ss;
	socklen_t len = sockaddr_make(x->family, NULL, x->port, &ss);
	int type = x->proto == IPPROTO_TCP ? SOCK_STREAM : SOCK_DGRAM;
	int s, c, one = 1;
	size_t got = 0;
	char buf[65536];
	ssize_t n;

	if (ns_enter(x->server->ns) < 0 || (s = socket(x->family, type, 0)) < 0)
		_exit(10);
	(void)setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (x->family == AF_INET6)
		(void)setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(s, (struct sockaddr *)&ss, len) < 0 || (type == SOCK_STREAM && listen(s, 4) < 0))
		_exit(11);
	if (write(ready, "r", 1) != 1)
		_exit(12);
	if (!fd_wait(s, POLLIN, 3000))
		_exit(13);
	if (type == SOCK_DGRAM) {
		len = sizeof(ss);
		n = recvfrom(s, buf, sizeof(buf), 0, (struct sockaddr *)&ss, &len);
		if (n <= 0 || sendto(s, buf, (size_t)n, 0, (struct sockaddr *)&ss, len) != n)
			_exit(14);
		_exit(0);
	}
	c = accept(s, NULL, NULL);
	if (c < 0)
		_exit(15);
	while (fd_wait(c, POLLIN, 3000) && (n = read(c, buf, sizeof(buf))) > 0)
		got += (size_t)n;
	close(c);
	_exit(got == x->bytes ? 0 : 16);
}

static void __attribute__((noreturn)) client_main(const struct exchange *x)
{
	const char *dst = pod_addr(x->server, x->family);
	struct sockaddr_storage ss;
	socklen_t len = sockaddr_make(x->family, dst, x->port, &ss);
	static char buf[65536];
	size_t sent = 0;
	ssize_t n;
	int s;

	if (ns_enter(x->client->ns) < 0)
		_exit(20);
	if (x->proto == IPPROTO_ICMP || x->proto == IPPROTO_ICMPV6) {
		int null = open("/dev/null", O_WRONLY);

		if (null < 0 || dup2(null, STDOUT_FILENO) < 0)
			_exit(21);
		execlp("busybox", "busybox", "ping", "-c", "1", "-W", "2", dst, (char *)NULL);
		_exit(21);
	}
	signal(SIGPIPE, SIG_IGN);
	s = socket(x->family, x->proto == IPPROTO_TCP ? SOCK_STREAM : SOCK_DGRAM, 0);
	if (s < 0 || connect(s, (struct sockaddr *)&ss, len) < 0)
		_exit(22);
	if (x->proto == IPPROTO_UDP) {
		if (send(s, "ping", 4, 0) != 4 || !fd_wait(s, POLLIN, 3000) ||
		    recv(s, buf, sizeof(buf), 0) != 4)
			_exit(23);
		_exit(0);
	}
	while (sent < x->bytes) {
		size_t want = x->bytes - sent < sizeof(buf) ? x->bytes - sent : sizeof(buf);

		if (!fd_wait(s, POLLOUT, 3000) || (n = write(s, buf, want)) <= 0)
			_exit(24);
		sent += (size_t)n;
	}
	/* Our FIN, then the server's once it has read everything: both ends close. */
	if (shutdown(s, SHUT_WR) < 0)
		_exit(25);
	while (fd_wait(s, POLLIN, 3000) && (n = read(s, buf, sizeof(buf))) > 0)
		;
	close(s);
	_exit(0);
}

/* Waits (pumping the capture, if any) until pid exits, at most 5 s; returns its exit status. */
static int child_wait(struct env *env, pid_t pid)
{
	uint64_t end = mono_ms() + 5000;
	int status;

	while (mono_ms() < end) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
		if (env)
			pump(env);
		else
			usleep(10000);
	}
	kill(pid, SIGKILL);
	(void)waitpid(pid, &status, 0);
	return 129;
}

/*
 * Runs one exchange while pumping env (NULL: without reading the capture at all, so that
 * packets stay queued in the kernel). Asserts both sides succeeded.
 */
static void exchange_run(struct env *env, const struct exchange *x)
{
	bool has_server = x->proto == IPPROTO_TCP || x->proto == IPPROTO_UDP;
	pid_t server = -1, client;
	int ready[2];
	char c;

	if (has_server) {
		ck_assert_int_eq(pipe(ready), 0);
		server = fork();
		ck_assert_int_ge(server, 0);
		if (server == 0)
			server_main(x, ready[1]);
		close(ready[1]);
		ck_assert_msg(fd_wait(ready[0], POLLIN, 3000) && read(ready[0], &c, 1) == 1,
			      "server did not start");
		close(ready[0]);
	}
	client = fork();
	ck_assert_int_ge(client, 0);
	if (client == 0)
		client_main(x);
	ck_assert_int_eq(child_wait(env, client), 0);
	if (has_server)
		ck_assert_int_eq(child_wait(env, server), 0);
}

/* ---- The kernel filter, on frames built here -------------------------------------------- */

struct frame_spec {
	int tags; /* VLAN tags: the outer one 802.1ad when there are two or more */
	int family;
	uint8_t proto;
	uint8_t tcp_flags;
	uint8_t icmp_type;
	bool ext;	 /* IPv6: one extension header, ext_hdr, before the transport */
	uint8_t ext_hdr; /* 0 hop-by-hop, 44 fragment, 60 destination options */
	bool ip_options; /* IPv4: a 24-byte header */
	bool fragment;	 /* IPv4: a non-first fragment */
	bool arp;	 /* an ARP request instead of IP */
	size_t payload;	 /* bytes after the transport header */
};

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH 0x08
#define TCP_ACK 0x10
#define TCP_ECE 0x40
#define TCP_CWR 0x80

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t ip_checksum(const uint8_t *p, size_t n)
{
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* The largest frame_build() writes: two tags, IPv6 with an extension header, TCP, 200 bytes. */
#define FRAME_MAX 512

/* Builds the frame into buf (FRAME_MAX bytes); returns its length. */
static size_t frame_build(const struct frame_spec *s, const char *src, const char *dst,
			  uint16_t sport, uint16_t dport, uint8_t *buf)
{
	static const uint8_t dst_mac[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	static const uint8_t src_mac[6] = {0x02, 0x00, 0x00, 0x77, 0x00, 0x0a};
	uint8_t *p = buf, *ip, *l4;
	size_t l4_len = 0, ip_hlen;

	memset(buf, 0, FRAME_MAX);
	memcpy(p, dst_mac, 6);
	memcpy(p + 6, src_mac, 6);
	p += 12;
	for (int i = 0; i < s->tags; i++) {
		put16(p, i == 0 && s->tags > 1 ? 0x88a8 : 0x8100);
		put16(p + 2, (uint16_t)(100 + i));
		p += 4;
	}
	if (s->arp) {
		put16(p, 0x0806);
		put16(p + 2, 1);      /* Ethernet */
		put16(p + 4, 0x0800); /* IPv4 */
		p[6] = 6;
		p[7] = 4;
		put16(p + 8, 1); /* request */
		memcpy(p + 10, src_mac, 6);
		(void)inet_pton(AF_INET, src, p + 16);
		(void)inet_pton(AF_INET, dst, p + 26);
		return (size_t)(p + 30 - buf);
	}
	put16(p, s->family == AF_INET ? 0x0800 : 0x86dd);
	ip = p + 2;
	ck_assert_uint_le((size_t)(ip - buf) + 48 + 56 + s->payload, FRAME_MAX);

	if (s->family == AF_INET) {
		ip_hlen = s->ip_options ? 24 : 20;
		l4 = ip + ip_hlen;
	} else {
		ip_hlen = 40 + (s->ext ? 8 : 0);
		l4 = ip + ip_hlen;
	}
	switch (s->proto) {
	case IPPROTO_TCP:
		put16(l4, sport);
		put16(l4 + 2, dport);
		l4[4] = 0x12; /* sequence number */
		l4[12] = 0x50;
		l4[13] = s->tcp_flags;
		put16(l4 + 14, 64240);
		l4_len = 20;
		break;
	case IPPROTO_UDP:
		put16(l4, sport);
		put16(l4 + 2, dport);
		put16(l4 + 4, (uint16_t)(8 + s->payload));
		l4_len = 8;
		break;
	case IPPROTO_SCTP:
		put16(l4, sport);
		put16(l4 + 2, dport);
		l4[12] = 1; /* INIT */
		put16(l4 + 14, 20);
		l4_len = 32;
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		l4[0] = s->icmp_type;
		put16(l4 + 4, sport); /* echo identifier */
		l4_len = 8;
		/* destination unreachable quotes the UDP packet dst sent src: header and 8 bytes */
		if (s->icmp_type == (s->family == AF_INET ? 3 : 1)) {
			uint8_t *q = l4 + 8;
			size_t qh = s->family == AF_INET ? 20 : 40;

			if (s->family == AF_INET) {
				q[0] = 0x45;
				put16(q + 2, 28);
				q[8] = 64;
				q[9] = IPPROTO_UDP;
				(void)inet_pton(AF_INET, dst, q + 12);
				(void)inet_pton(AF_INET, src, q + 16);
			} else {
				q[0] = 0x60;
				put16(q + 4, 8);
				q[6] = IPPROTO_UDP;
				q[7] = 64;
				(void)inet_pton(AF_INET6, dst, q + 8);
				(void)inet_pton(AF_INET6, src, q + 24);
			}
			put16(q + qh, dport);
			put16(q + qh + 2, sport);
			put16(q + qh + 4, 8);
			l4_len += qh + 8;
		}
		break;
	default:
		l4_len = 8;
		break;
	}
	l4_len += s->payload;

	if (s->family == AF_INET) {
		ip[0] = (uint8_t)(0x40 | ip_hlen / 4);
		put16(ip + 2, (uint16_t)(ip_hlen + l4_len));
		put16(ip + 4, 0x1234);
		if (s->fragment)
			put16(ip + 6, 185); /* offset 1480, no more fragments */
		ip[8] = 64;
		ip[9] = s->proto;
		(void)inet_pton(AF_INET, src, ip + 12);
		(void)inet_pton(AF_INET, dst, ip + 16);
		if (s->ip_options)
			ip[20] = ip[21] = ip[22] = 1; /* NOP NOP NOP, then end of options */
		put16(ip + 10, ip_checksum(ip, ip_hlen));
	} else {
		ip[0] = 0x60;
		put16(ip + 4, (uint16_t)(ip_hlen - 40 + l4_len));
		ip[6] = s->ext ? s->ext_hdr : s->proto;
		ip[7] = 64;
		(void)inet_pton(AF_INET6, src, ip + 8);
		(void)inet_pton(AF_INET6, dst, ip + 24);
		if (s->ext) {
			ip[40] = s->proto; /* next header; length 0: 8 bytes, the rest padding */
			if (s->ext_hdr == 44)
				ip[47] = 7; /* fragment identification; offset 0, last */
			else
				ip[42] = 1, ip[43] = 4; /* PadN over the remaining 4 bytes */
		}
	}
	return (size_t)(l4 + l4_len - buf);
}

struct filter_case {
	const char *name;
	struct frame_spec f;
	bool keep;
};

#define V4 .family = AF_INET
#define V6 .family = AF_INET6

static const struct filter_case filter_cases[] = {
	{"v4 SYN", {V4, .proto = IPPROTO_TCP, .tcp_flags = TCP_SYN}, true},
	{"v4 ECN SYN", {V4, .proto = IPPROTO_TCP, .tcp_flags = TCP_SYN | TCP_ECE | TCP_CWR}, true},
	{"v4 SYN-ACK", {V4, .proto = IPPROTO_TCP, .tcp_flags = TCP_SYN | TCP_ACK}, true},
	{"v4 FIN-ACK", {V4, .proto = IPPROTO_TCP, .tcp_flags = TCP_FIN | TCP_ACK}, true},
	{"v4 RST", {V4, .proto = IPPROTO_TCP, .tcp_flags = TCP_RST}, true},
	{"v4 bare ACK", {V4, .proto = IPPROTO_TCP, .tcp_flags = TCP_ACK}, false},
	{"v4 data",
	 {V4, .proto = IPPROTO_TCP, .tcp_flags = TCP_PSH | TCP_ACK, .payload = 100},
	 false},
	{"v4 options, SYN",
	 {V4, .proto = IPPROTO_TCP, .tcp_flags = TCP_SYN, .ip_options = true},
	 true},
	{"v4 options, ACK",
	 {V4, .proto = IPPROTO_TCP, .tcp_flags = TCP_ACK, .ip_options = true},
	 false},
	/* The bytes where TCP flags would be are SYN, but a later fragment holds no TCP header. */
	{"v4 later fragment",
	 {V4, .proto = IPPROTO_TCP, .tcp_flags = TCP_SYN, .fragment = true},
	 false},
	{"v4 UDP", {V4, .proto = IPPROTO_UDP, .payload = 12}, true},
	{"v4 SCTP", {V4, .proto = IPPROTO_SCTP}, true},
	{"v4 echo request", {V4, .proto = IPPROTO_ICMP, .icmp_type = 8}, true},
	{"v4 echo reply", {V4, .proto = IPPROTO_ICMP, .icmp_type = 0}, true},
	/* destination unreachable refuses a flow (capture_packet.icmp_error); other errors not */
	{"v4 unreachable", {V4, .proto = IPPROTO_ICMP, .icmp_type = 3}, true},
	{"v4 time exceeded", {V4, .proto = IPPROTO_ICMP, .icmp_type = 11}, false},
	{"v4 ESP", {V4, .proto = 50}, false},
	/* kept whole: the flow is inside (test-decode.c runs real tunnels through the filter) */
	{"v4 GRE", {V4, .proto = 47}, true},
	{"v6 IP-in-IP", {V6, .proto = 4}, true},
	{"ARP", {.arp = true}, false},
	{"v6 SYN", {V6, .proto = IPPROTO_TCP, .tcp_flags = TCP_SYN}, true},
	{"v6 SYN-ACK", {V6, .proto = IPPROTO_TCP, .tcp_flags = TCP_SYN | TCP_ACK}, true},
	{"v6 FIN", {V6, .proto = IPPROTO_TCP, .tcp_flags = TCP_FIN | TCP_ACK}, true},
	{"v6 RST", {V6, .proto = IPPROTO_TCP, .tcp_flags = TCP_RST | TCP_ACK}, true},
	{"v6 bare ACK", {V6, .proto = IPPROTO_TCP, .tcp_flags = TCP_ACK}, false},
	{"v6 data",
	 {V6, .proto = IPPROTO_TCP, .tcp_flags = TCP_PSH | TCP_ACK, .payload = 100},
	 false},
	{"v6 UDP", {V6, .proto = IPPROTO_UDP}, true},
	{"v6 SCTP", {V6, .proto = IPPROTO_SCTP}, true},
	{"v6 echo request", {V6, .proto = IPPROTO_ICMPV6, .icmp_type = 128}, true},
	{"v6 echo reply", {V6, .proto = IPPROTO_ICMPV6, .icmp_type = 129}, true},
	{"v6 unreachable", {V6, .proto = IPPROTO_ICMPV6, .icmp_type = 1}, true},
	{"v6 packet too big", {V6, .proto = IPPROTO_ICMPV6, .icmp_type = 2}, false},
	{"v6 neighbour solicitation", {V6, .proto = IPPROTO_ICMPV6, .icmp_type = 135}, false},
	/* Behind an extension header BPF cannot find the flags: kept whole, even a bare ACK. */
	{"v6 hop-by-hop, ACK",
	 {V6, .proto = IPPROTO_TCP, .tcp_flags = TCP_ACK, .ext = true, .ext_hdr = 0},
	 true},
	{"v6 fragment header, ACK",
	 {V6, .proto = IPPROTO_TCP, .tcp_flags = TCP_ACK, .ext = true, .ext_hdr = 44},
	 true},
	{"v6 destination options, UDP",
	 {V6, .proto = IPPROTO_UDP, .ext = true, .ext_hdr = 60},
	 true},
	{"v6 ESP", {V6, .proto = 50}, false},
	{"vlan v4 SYN", {.tags = 1, V4, .proto = IPPROTO_TCP, .tcp_flags = TCP_SYN}, true},
	{"vlan v4 ACK", {.tags = 1, V4, .proto = IPPROTO_TCP, .tcp_flags = TCP_ACK}, false},
	{"vlan v4 UDP", {.tags = 1, V4, .proto = IPPROTO_UDP}, true},
	{"vlan v6 SYN", {.tags = 1, V6, .proto = IPPROTO_TCP, .tcp_flags = TCP_SYN}, true},
	{"vlan v6 ACK", {.tags = 1, V6, .proto = IPPROTO_TCP, .tcp_flags = TCP_ACK}, false},
	{"vlan ARP", {.tags = 1, .arp = true}, false},
	{"qinq v4 SYN", {.tags = 2, V4, .proto = IPPROTO_TCP, .tcp_flags = TCP_SYN}, true},
	{"qinq v4 data",
	 {.tags = 2, V4, .proto = IPPROTO_TCP, .tcp_flags = TCP_ACK, .payload = 64},
	 false},
	{"qinq v6 FIN", {.tags = 2, V6, .proto = IPPROTO_TCP, .tcp_flags = TCP_FIN}, true},
	{"qinq v6 echo", {.tags = 2, V6, .proto = IPPROTO_ICMPV6, .icmp_type = 128}, true},
	/* Three tags are beyond the filter (and rare): not kept. */
	{"three tags v4 SYN", {.tags = 3, V4, .proto = IPPROTO_TCP, .tcp_flags = TCP_SYN}, false},
};

START_TEST(test_filter)
{
	const struct filter_case *c = &filter_cases[_i];
	const struct frame_spec *f = &c->f;
	bool v6 = f->family == AF_INET6;
	char *text = capture_live_filter();
	pcap_t *p = pcap_open_dead(DLT_EN10MB, CAPTURE_LIVE_SNAPLEN);
	struct bpf_program prog;
	struct pcap_pkthdr h = {0};
	struct capture_packet pkt;
	uint8_t buf[FRAME_MAX];

	ck_assert_ptr_nonnull(p);
	ck_assert_msg(pcap_compile(p, &prog, text, 1, PCAP_NETMASK_UNKNOWN) == 0, "%s",
		      pcap_geterr(p));
	h.caplen = h.len = (bpf_u_int32)frame_build(f, v6 ? "fd77::2" : "10.77.0.2",
						    v6 ? "fd77::3" : "10.77.0.3", 40000, 8080, buf);
	ck_assert_msg((pcap_offline_filter(&prog, &h, buf) != 0) == c->keep, "%s: kept %d, want %d",
		      c->name, !c->keep, c->keep);
	/*
	 * What the filter keeps the decoder reads (three tags is within its limit too), but for
	 * the built tunnels, which carry nothing.
	 */
	if (c->keep && f->proto != 47 && f->proto != 4)
		ck_assert_int_eq(capture_decode(DLT_EN10MB, buf, h.caplen, NULL, &pkt),
				 CAPTURE_DECODE_OK);
	pcap_freecode(&prog);
	pcap_close(p);
	free(text);
}
END_TEST

/* ---- Traffic through the bridge -------------------------------------------------------- */

struct traffic_case {
	const char *name;
	const char *patterns[3];
	int family;
	uint8_t proto;
	uint16_t port;
	size_t bytes;
	bool learned;		   /* false: no pattern covers the path */
	enum capture_how how;	   /* when learned */
	const char *attached[3];   /* interfaces that must be attached */
	uint64_t max_flow_packets; /* 0: any */
};

#define TCP4 .family = AF_INET, .proto = IPPROTO_TCP
#define TCP6 .family = AF_INET6, .proto = IPPROTO_TCP
#define UDP4 .family = AF_INET, .proto = IPPROTO_UDP
#define UDP6 .family = AF_INET6, .proto = IPPROTO_UDP

static const struct traffic_case traffic_cases[] = {
	{"tcp4 on the bridge",
	 {"br-fltl*"},
	 TCP4,
	 .port = 8080,
	 .bytes = 1000,
	 .learned = true,
	 .how = CAPTURE_HOW_HANDSHAKE,
	 .attached = {BRIDGE}},
	{"tcp6 on the bridge",
	 {"br-fltl*"},
	 TCP6,
	 .port = 8443,
	 .bytes = 1000,
	 .learned = true,
	 .how = CAPTURE_HOW_HANDSHAKE,
	 .attached = {BRIDGE}},
	/* Each packet is seen twice, on the client's and on the server's veth: still one flow. */
	{"tcp4 on the veths",
	 {"fltl-v*"},
	 TCP4,
	 .port = 9000,
	 .bytes = 10,
	 .learned = true,
	 .how = CAPTURE_HOW_HANDSHAKE,
	 .attached = {"fltl-va", "fltl-vb"}},
	{"tcp6 on the server's veth",
	 {"fltl-vb"},
	 TCP6,
	 .port = 443,
	 .bytes = 10,
	 .learned = true,
	 .how = CAPTURE_HOW_HANDSHAKE,
	 .attached = {"fltl-vb"}},
	{"udp4 on the bridge",
	 {"br-fltl0"},
	 UDP4,
	 .port = 5353,
	 .learned = true,
	 .how = CAPTURE_HOW_PORTS,
	 .attached = {BRIDGE}},
	{"udp6 on the client's veth",
	 {"fltl-v[a]"},
	 UDP6,
	 .port = 5000,
	 .learned = true,
	 .how = CAPTURE_HOW_PORTS,
	 .attached = {"fltl-va"}},
	{"icmp4 echo, two patterns",
	 {"nomatch*", "br-*"},
	 .family = AF_INET,
	 .proto = IPPROTO_ICMP,
	 .learned = true,
	 .how = CAPTURE_HOW_HANDSHAKE,
	 .attached = {BRIDGE}},
	/* Three copies of each packet: bridge and both veths (and the host's lo, idle). */
	{"icmp6 echo, everything",
	 {"*"},
	 .family = AF_INET6,
	 .proto = IPPROTO_ICMPV6,
	 .learned = true,
	 .how = CAPTURE_HOW_HANDSHAKE,
	 .attached = {BRIDGE, "fltl-va", "fltl-vb"}},
	{"no interface matches", {"nomatch*", "fltl-v"}, TCP4, .port = 8081, .bytes = 100},
	/* The filter at work: 1 MiB of data, yet only the SYNs, FINs (and RSTs) are delivered. */
	{"tcp4 bulk 1 MiB",
	 {BRIDGE},
	 TCP4,
	 .port = 8082,
	 .bytes = 1 << 20,
	 .learned = true,
	 .how = CAPTURE_HOW_HANDSHAKE,
	 .attached = {BRIDGE},
	 .max_flow_packets = 8},
	{"tcp6 bulk 1 MiB",
	 {BRIDGE},
	 TCP6,
	 .port = 8083,
	 .bytes = 1 << 20,
	 .learned = true,
	 .how = CAPTURE_HOW_HANDSHAKE,
	 .attached = {BRIDGE},
	 .max_flow_packets = 8},
};

START_TEST(test_traffic)
{
	const struct traffic_case *c = &traffic_cases[_i];
	struct exchange x = {&pod_a, &pod_b, c->family, c->proto, c->port, c->bytes};
	const char *client = pod_addr(&pod_a, c->family), *server = pod_addr(&pod_b, c->family);
	struct env env = {0};
	struct capture_flow f;
	size_t attached = 0;

	env_open(&env, c->patterns);
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(c->attached) && c->attached[i]; i++) {
		ck_assert_msg(iface_attached(env.l, c->attached[i]), "%s: %s not attached", c->name,
			      c->attached[i]);
		attached++;
	}
	/* The pattern "*" also takes the host namespace's lo. */
	if (strcmp(c->patterns[0], "*") != 0)
		ck_assert_uint_eq(capture_live_iface_count(env.l), attached);
	if (c->max_flow_packets)
		env_ref_open(&env, BRIDGE);

	exchange_run(&env, &x);
	pump_for(&env, SETTLE_MS);
	capture_tracker_flush(env.t);

	if (!c->learned) {
		ck_assert_uint_eq(env.n_flows, 0);
		ck_assert_uint_eq(env.stats.packets, 0);
		goto out;
	}
	ck_assert_msg(flows_find(&env, client, server, c->proto, c->port, &f) == 1,
		      "%s: %zu flows, none or several %s -> %s:%u", c->name, env.n_flows, client,
		      server, c->port);
	ck_assert_int_eq(f.how, c->how);
	ck_assert_uint_eq(flows_find(&env, server, client, c->proto, c->port, NULL), 0);
	ck_assert_uint_ge(env.stats.decoded, 2);
	if (c->max_flow_packets) {
		ck_assert_msg(f.packets >= 3 && f.packets <= c->max_flow_packets,
			      "%s: %llu packets delivered", c->name, (unsigned long long)f.packets);
		/* Without the filter the same transfer is many more packets, even with GSO. */
		ck_assert_msg(env.ref_packets >= 4 * f.packets,
			      "%s: %llu delivered, %llu on the wire", c->name,
			      (unsigned long long)f.packets, (unsigned long long)env.ref_packets);
	}
	for (size_t i = 0; i < capture_live_iface_count(env.l); i++) {
		const struct capture_iface_stats *s = capture_live_iface(env.l, i);

		/* A quiet test host: a full ring here would be a bug in reading it. */
		ck_assert_msg(s->drops == 0 && s->if_drops == 0,
			      "%s: %llu drops, %llu at the interface", s->name,
			      (unsigned long long)s->drops, (unsigned long long)s->if_drops);
		ck_assert(s->attach_ns > 0);
	}
out:
	env_close(&env);
}
END_TEST

/* ---- Tagged frames, sent raw from a pod: the kernel holds the outer tag as metadata ---------- */

struct vlan_case {
	const char *name;
	const char *pattern;
	struct frame_spec f;
	bool keep;
};

static const struct vlan_case vlan_cases[] = {
	{"vlan v4 SYN, veth",
	 "fltl-va",
	 {.tags = 1, V4, .proto = IPPROTO_TCP, .tcp_flags = TCP_SYN},
	 true},
	{"vlan v4 data, veth",
	 "fltl-va",
	 {.tags = 1, V4, .proto = IPPROTO_TCP, .tcp_flags = TCP_ACK, .payload = 200},
	 false},
	{"vlan v6 SYN, veth",
	 "fltl-va",
	 {.tags = 1, V6, .proto = IPPROTO_TCP, .tcp_flags = TCP_SYN},
	 true},
	{"vlan v6 data, veth",
	 "fltl-va",
	 {.tags = 1, V6, .proto = IPPROTO_TCP, .tcp_flags = TCP_ACK, .payload = 200},
	 false},
	{"vlan v4 UDP, bridge", BRIDGE, {.tags = 1, V4, .proto = IPPROTO_UDP, .payload = 10}, true},
	{"qinq v4 SYN, veth",
	 "fltl-va",
	 {.tags = 2, V4, .proto = IPPROTO_TCP, .tcp_flags = TCP_SYN},
	 true},
	{"qinq v4 data, veth",
	 "fltl-va",
	 {.tags = 2, V4, .proto = IPPROTO_TCP, .tcp_flags = TCP_ACK, .payload = 200},
	 false},
	{"qinq v6 UDP, bridge", BRIDGE, {.tags = 2, V6, .proto = IPPROTO_UDP}, true},
};

#define VLAN_FRAMES 5

/* In the child: sends the frame VLAN_FRAMES times out of the pod's eth0. */
static void __attribute__((noreturn)) raw_send_main(const uint8_t *frame, size_t len)
{
	struct sockaddr_ll sll = {.sll_family = AF_PACKET, .sll_halen = 6};
	int s;

	if (ns_enter(pod_a.ns) < 0 || (s = socket(AF_PACKET, SOCK_RAW, 0)) < 0)
		_exit(30);
	sll.sll_ifindex = (int)if_nametoindex("eth0");
	memcpy(sll.sll_addr, frame, 6);
	for (int i = 0; i < VLAN_FRAMES; i++)
		if (sendto(s, frame, len, 0, (struct sockaddr *)&sll, sizeof(sll)) != (ssize_t)len)
			_exit(31);
	_exit(0);
}

START_TEST(test_vlan)
{
	const struct vlan_case *c = &vlan_cases[_i];
	bool v6 = c->f.family == AF_INET6;
	const char *client = pod_addr(&pod_a, c->f.family), *server = pod_addr(&pod_b, c->f.family);
	const char *patterns[] = {c->pattern, NULL};
	uint16_t port = (uint16_t)(7000 + _i);
	struct env env = {0};
	struct capture_flow f;
	uint8_t frame[FRAME_MAX];
	size_t len;
	pid_t pid;

	len = frame_build(&c->f, client, server, 45000, port, frame);
	env_open(&env, patterns);
	ck_assert(iface_attached(env.l, c->pattern));
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		raw_send_main(frame, len);
	ck_assert_int_eq(child_wait(&env, pid), 0);
	pump_for(&env, SETTLE_MS);
	capture_tracker_flush(env.t);

	if (!c->keep) {
		ck_assert_uint_eq(flows_find(&env, client, server, c->f.proto, port, NULL), 0);
		ck_assert_uint_eq(flows_find(&env, server, client, c->f.proto, port, NULL), 0);
		goto out;
	}
	/* A bare SYN tells the direction; a lone UDP datagram is told by its ports. */
	ck_assert_msg(flows_find(&env, client, server, c->f.proto, port, &f) == 1, "%s (%s)",
		      c->name, v6 ? "v6" : "v4");
	ck_assert_uint_eq(f.packets, VLAN_FRAMES);
out:
	env_close(&env);
}
END_TEST

/* ---- Links that come, go, go down and are renamed while capturing ------------------------ */

enum link_action {
	LINK_CREATE,	     /* pod c starts after capture_live_open() */
	LINK_DELETE,	     /* pod c's veth is deleted after its traffic was read */
	LINK_DELETE_QUEUED,  /* deleted while its packets are still unread in the ring */
	LINK_DOWN_UP,	     /* taken down (detached), brought up (attached again, same entry) */
	LINK_RENAME,	     /* renamed to another matching name: a new entry */
	LINK_RENAME_AWAY,    /* renamed to a name that does not match */
	LINK_CREATE_NOMATCH, /* a new link whose name does not match: never attached */
};

struct link_case {
	const char *name;
	enum link_action action;
	const char *pattern;
	const char *new_name; /* LINK_RENAME*, LINK_CREATE_NOMATCH */
};

static const struct link_case link_cases[] = {
	{"created after open", LINK_CREATE, "fltl-v*", NULL},
	{"created after open, exact name", LINK_CREATE, "fltl-vc", NULL},
	{"deleted after its traffic was read", LINK_DELETE, "fltl-v*", NULL},
	{"deleted with packets still queued", LINK_DELETE_QUEUED, "fltl-v[c]", NULL},
	{"down, then up", LINK_DOWN_UP, "fltl-v*", NULL},
	{"renamed to a matching name", LINK_RENAME, "fltl-v*", "fltl-vz"},
	{"renamed away", LINK_RENAME_AWAY, "fltl-v*", "other-c"},
	{"created, not matching", LINK_CREATE_NOMATCH, "fltl-v*", "xfltl-vd"},
};

/* TCP from pod c to pod b; asserts it was learned, with the handshake. */
static void link_traffic(struct env *env, uint16_t port, bool pumped)
{
	struct exchange x = {&pod_c, &pod_b, AF_INET, IPPROTO_TCP, port, 100};

	exchange_run(pumped ? env : NULL, &x);
	if (pumped)
		pump_for(env, SETTLE_MS);
}

static void link_learned(struct env *env, uint16_t port)
{
	struct capture_flow f;

	capture_tracker_flush(env->t);
	ck_assert_uint_eq(flows_find(env, pod_c.addr4, pod_b.addr4, IPPROTO_TCP, port, &f), 1);
	ck_assert_int_eq(f.how, CAPTURE_HOW_HANDSHAKE);
}

START_TEST(test_link)
{
	const struct link_case *c = &link_cases[_i];
	const char *patterns[] = {c->pattern, NULL};
	const struct capture_iface_stats *s, *s2;
	uint16_t port = (uint16_t)(6000 + _i);
	size_t idx, idx2, count;
	struct env env = {0};
	uint64_t attach_ns, packets;

	pod_del(&pod_c);
	if (c->action != LINK_CREATE && c->action != LINK_CREATE_NOMATCH)
		ck_assert_int_eq(pod_add(&pod_c), 0);
	env_open(&env, patterns);

	switch (c->action) {
	case LINK_CREATE:
		ck_assert_ptr_null(iface_find(env.l, pod_c.veth, NULL));
		ck_assert_int_eq(pod_add(&pod_c), 0);
		ck_assert_msg(pump_until_attached(&env, pod_c.veth, true), "not attached");
		link_traffic(&env, port, true);
		link_learned(&env, port);
		ck_assert_uint_gt(iface_find(env.l, pod_c.veth, NULL)->packets, 0);
		break;
	case LINK_CREATE_NOMATCH:
		count = capture_live_iface_count(env.l);
		ck_assert_int_eq(sh("ip -n %s link add %s type veth peer name %s-p", NS_HOST,
				    c->new_name, c->new_name),
				 0);
		ck_assert_int_eq(sh("ip -n %s link set %s up", NS_HOST, c->new_name), 0);
		pump_for(&env, SETTLE_MS);
		ck_assert_ptr_null(iface_find(env.l, c->new_name, NULL));
		ck_assert_uint_eq(capture_live_iface_count(env.l), count);
		(void)sh("ip -n %s link del %s", NS_HOST, c->new_name);
		break;
	case LINK_DELETE:
	case LINK_DELETE_QUEUED:
		ck_assert(iface_attached(env.l, pod_c.veth));
		link_traffic(&env, port, c->action == LINK_DELETE);
		count = capture_live_iface_count(env.l);
		ck_assert_int_eq(sh("ip -n %s link del %s", NS_HOST, pod_c.veth), 0);
		ck_assert_msg(pump_until_attached(&env, pod_c.veth, false), "not detached");
		pump_for(&env, SETTLE_MS);
		/* Gone, yet still reported, with what it saw. */
		s = iface_find(env.l, pod_c.veth, &idx);
		ck_assert_ptr_nonnull(s);
		ck_assert(!s->attached);
		ck_assert_uint_ge(s->packets, 4); /* SYN, SYN-ACK, two FINs */
		ck_assert_uint_eq(s->drops, 0);
		ck_assert_uint_eq(capture_live_iface_count(env.l), count);
		link_learned(&env, port);
		break;
	case LINK_DOWN_UP:
		s = iface_find(env.l, pod_c.veth, &idx);
		ck_assert(s && s->attached);
		attach_ns = s->attach_ns;
		link_traffic(&env, port, true);
		packets = s->packets;
		ck_assert_uint_gt(packets, 0);
		ck_assert_int_eq(sh("ip -n %s link set %s down", NS_HOST, pod_c.veth), 0);
		ck_assert_msg(pump_until_attached(&env, pod_c.veth, false), "not detached");
		ck_assert_int_eq(sh("ip -n %s link set %s up", NS_HOST, pod_c.veth), 0);
		ck_assert_msg(pump_until_attached(&env, pod_c.veth, true), "not attached again");
		/* The same entry, its counts kept and added to. */
		s2 = iface_find(env.l, pod_c.veth, &idx2);
		ck_assert_uint_eq(idx2, idx);
		ck_assert_uint_gt(s2->attach_ns, attach_ns);
		ck_assert_uint_ge(s2->packets, packets);
		link_traffic(&env, (uint16_t)(port + 100), true);
		ck_assert_uint_ge(s2->packets, packets + 4);
		link_learned(&env, port);
		ck_assert_uint_eq(flows_find(&env, pod_c.addr4, pod_b.addr4, IPPROTO_TCP,
					     (uint16_t)(port + 100), NULL),
				  1);
		break;
	case LINK_RENAME:
	case LINK_RENAME_AWAY:
		count = capture_live_iface_count(env.l);
		/* A link is renamed while down. */
		ck_assert_int_eq(sh("ip -n %s link set %s down", NS_HOST, pod_c.veth), 0);
		ck_assert_int_eq(
			sh("ip -n %s link set %s name %s", NS_HOST, pod_c.veth, c->new_name), 0);
		ck_assert_int_eq(sh("ip -n %s link set %s up", NS_HOST, c->new_name), 0);
		if (c->action == LINK_RENAME) {
			ck_assert_msg(pump_until_attached(&env, c->new_name, true), "not attached");
			ck_assert_uint_eq(capture_live_iface_count(env.l), count + 1);
		} else {
			pump_for(&env, SETTLE_MS);
			ck_assert_ptr_null(iface_find(env.l, c->new_name, NULL));
			ck_assert_uint_eq(capture_live_iface_count(env.l), count);
		}
		s = iface_find(env.l, pod_c.veth, NULL);
		ck_assert(s && !s->attached);
		(void)sh("ip -n %s link del %s", NS_HOST, c->new_name);
		break;
	}
	env_close(&env);
	pod_del(&pod_c);
}
END_TEST

/* ---- Drops: a ring too small for a burst, and one large enough ------------------------- */

struct drops_case {
	const char *name;
	int buffer_bytes;
	int datagrams; /* sent from pod a to pod b while the capture is not read */
	bool drops;
};

static const struct drops_case drops_cases[] = {
	{"64 KiB ring, 20000 datagrams", 1 << 16, 20000, true},
	{"default ring, 2000 datagrams", 0, 2000, false},
};

static void __attribute__((noreturn)) flood_main(int datagrams, uint16_t port)
{
	struct sockaddr_storage ss;
	socklen_t len = sockaddr_make(AF_INET, pod_b.addr4, port, &ss);
	char buf[64] = "flood";
	int s;

	/* Not connected: nobody listens, and the port unreachable errors must not stop it. */
	if (ns_enter(pod_a.ns) < 0 || (s = socket(AF_INET, SOCK_DGRAM, 0)) < 0)
		_exit(40);
	for (int i = 0; i < datagrams; i++)
		if (sendto(s, buf, sizeof(buf), 0, (struct sockaddr *)&ss, len) !=
		    (ssize_t)sizeof(buf))
			_exit(41);
	_exit(0);
}

START_TEST(test_drops)
{
	const struct drops_case *c = &drops_cases[_i];
	const char *patterns[] = {BRIDGE, NULL};
	uint16_t port = (uint16_t)(7100 + _i);
	const struct capture_iface_stats *s;
	struct env env = {0};
	struct capture_flow f;
	pid_t pid;

	env_open_sized(&env, patterns, c->buffer_bytes);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		flood_main(c->datagrams, port);
	/* Not read meanwhile: the ring alone has to hold the burst. */
	ck_assert_int_eq(child_wait(NULL, pid), 0);
	pump_for(&env, SETTLE_MS);
	capture_tracker_flush(env.t);
	s = iface_find(env.l, BRIDGE, NULL);
	ck_assert_ptr_nonnull(s);
	ck_assert_uint_eq(flows_find(&env, pod_a.addr4, pod_b.addr4, IPPROTO_UDP, port, &f), 1);
	if (c->drops) {
		ck_assert_uint_gt(s->drops, 0);
		ck_assert_uint_lt(f.packets, (uint64_t)c->datagrams);
	} else {
		ck_assert_uint_eq(s->drops, 0);
		ck_assert_uint_eq(f.packets, (uint64_t)c->datagrams);
	}
	env_close(&env);
}
END_TEST

/* ---- Rings: a bridge's own, the veths' shared ------------------------------------------- */

struct rings_case {
	const char *name;
	int buffer_bytes, ring_budget; /* 0: the defaults */
	int bridge, at_open, later; /* the rings wanted: the bridge's, the two veths', a third's */
};

static const struct rings_case rings_cases[] = {
	{"defaults", 0, 0, CAPTURE_LIVE_BUFFER, CAPTURE_LIVE_RING_BUDGET / 2,
	 CAPTURE_LIVE_RING_BUDGET / 3},
	{"3 MiB shared", 0, 3 << 20, CAPTURE_LIVE_BUFFER, 3 << 19, 1 << 20},
	{"at most buffer_bytes", 1 << 20, 64 << 20, 1 << 20, 1 << 20, 1 << 20},
	{"at least the minimum", 0, 100 << 10, CAPTURE_LIVE_BUFFER, CAPTURE_LIVE_RING_MIN,
	 CAPTURE_LIVE_RING_MIN},
	/* a bridge ring below the minimum: no veth gets more than the bridge */
	{"buffer below the minimum", 64 << 10, 0, 64 << 10, 64 << 10, 64 << 10},
};

START_TEST(test_rings)
{
	const struct rings_case *c = &rings_cases[_i];
	const char *patterns[] = {BRIDGE, "fltl-v*", NULL};
	struct env env = {0};

	pod_del(&pod_c);
	env_open_rings(&env, patterns, c->buffer_bytes, c->ring_budget);
	ck_assert_int_eq(iface_find(env.l, BRIDGE, NULL)->ring_bytes, c->bridge);
	/* both veths matched at open: an equal share, whichever was attached first */
	ck_assert_int_eq(iface_find(env.l, pod_a.veth, NULL)->ring_bytes, c->at_open);
	ck_assert_int_eq(iface_find(env.l, pod_b.veth, NULL)->ring_bytes, c->at_open);
	ck_assert_int_eq(pod_add(&pod_c), 0);
	ck_assert_msg(pump_until_attached(&env, pod_c.veth, true), "not attached");
	ck_assert_int_eq(iface_find(env.l, pod_c.veth, NULL)->ring_bytes, c->later);
	/* gone and back: its share is counted out and in again */
	pod_del(&pod_c);
	ck_assert_msg(pump_until_attached(&env, pod_c.veth, false), "not detached");
	ck_assert_int_eq(pod_add(&pod_c), 0);
	ck_assert_msg(pump_until_attached(&env, pod_c.veth, true), "not attached again");
	ck_assert_int_eq(iface_find(env.l, pod_c.veth, NULL)->ring_bytes, c->later);
	env_close(&env);
	pod_del(&pod_c);
}
END_TEST

/* ---- Options capture_live_open() refuses ------------------------------------------------- */

struct open_case {
	const char *name;
	size_t n_patterns;
	int snaplen, buffer_bytes;
	int ret;
	int ring_budget;
};

static const char *const open_patterns[] = {"br-*"};

static const struct open_case open_cases[] = {
	{"no pattern", 0, 0, 0, -EINVAL, 0},
	{"negative snaplen", 1, -1, 0, -EINVAL, 0},
	{"negative buffer", 1, 0, -5, -EINVAL, 0},
	{"negative ring budget", 1, 0, 0, -EINVAL, -1},
	{"small snaplen and buffer", 1, 64, 1 << 16, 0, 0},
};

START_TEST(test_open)
{
	const struct open_case *c = &open_cases[_i];
	struct capture_live_options o = {open_patterns,	  c->n_patterns, c->snaplen,
					 c->buffer_bytes, NULL,		 c->ring_budget};
	struct env env = {0};
	struct capture_tracker *t = capture_tracker_new(collect, &env);
	struct capture_live *l = (struct capture_live *)&o; /* must stay untouched on failure */
	struct util_err err = {""};
	int r;

	ck_assert_int_eq(ns_enter(NS_HOST), 0);
	r = capture_live_open(&o, t, &l, &err);
	ck_assert_int_eq(r, c->ret);
	if (r < 0) {
		ck_assert_ptr_eq(l, (struct capture_live *)&o);
		ck_assert(err.msg[0] != '\0' && !strchr(err.msg, '\n'));
	} else {
		ck_assert(iface_attached(l, BRIDGE));
		capture_live_free(l);
	}
	capture_tracker_free(t);
}
END_TEST

static Suite *live_suite(void)
{
	Suite *s = suite_create("live");
	TCase *tc;

	tc = tcase_create("filter");
	tcase_add_loop_test(tc, test_filter, 0, UTIL_ARRAY_SIZE(filter_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("open");
	tcase_add_loop_test(tc, test_open, 0, UTIL_ARRAY_SIZE(open_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("traffic");
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_traffic, 0, UTIL_ARRAY_SIZE(traffic_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("vlan");
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_vlan, 0, UTIL_ARRAY_SIZE(vlan_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("drops");
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_drops, 0, UTIL_ARRAY_SIZE(drops_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("rings");
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_rings, 0, UTIL_ARRAY_SIZE(rings_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("link");
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_link, 0, UTIL_ARRAY_SIZE(link_cases));
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	int r;

	if (geteuid() != 0) {
		fprintf(stderr, "test-live: needs root (network namespaces): skipped\n");
		return 77;
	}
	if (host_up() < 0) {
		host_down();
		fprintf(stderr, "test-live: cannot build network namespaces: skipped\n");
		return 77;
	}
	r = test_run(live_suite());
	host_down();
	return r;
}
