/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz-seed-conntrack.c - writes seeds for fuzz-conntrack: conntrack messages built by libnl as
 * the kernel sends them (TCP through a DNAT, UDP, ICMP, SCTP; IPv4 and IPv6; events, a dump and
 * a resync dump). Usage: fuzz-seed-conntrack DIR
 */
#include <arpa/inet.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netlink/msg.h>
#include <netlink/netfilter/ct.h>

struct entry {
	int family;
	uint8_t proto;
	const char *src, *dst, *rsrc, *rdst; /* rsrc NULL: no reply tuple */
	uint16_t sport, dport, rsport, rdport;
	uint32_t status, id;
	bool destroy;
};

static struct nl_addr *addr(const char *s)
{
	struct nl_addr *a = NULL;

	if (nl_addr_parse(s, AF_UNSPEC, &a) < 0)
		abort();
	return a;
}

/* Appends one message (flags, length, bytes: the harness's framing, one datagram each). */
static void message(FILE *f, const struct entry *e, uint8_t flags)
{
	struct nfnl_ct *ct = nfnl_ct_alloc();
	struct nl_msg *msg = NULL;
	struct nlmsghdr *h;
	struct nl_addr *a;

	nfnl_ct_set_family(ct, (uint8_t)e->family);
	nfnl_ct_set_proto(ct, e->proto);
	for (int repl = 0; repl < (e->rsrc ? 2 : 1); repl++) {
		nfnl_ct_set_src(ct, repl, a = addr(repl ? e->rsrc : e->src));
		nl_addr_put(a);
		nfnl_ct_set_dst(ct, repl, a = addr(repl ? e->rdst : e->dst));
		nl_addr_put(a);
		if (e->proto == IPPROTO_ICMP || e->proto == IPPROTO_ICMPV6) {
			nfnl_ct_set_icmp_id(ct, repl, e->sport);
			nfnl_ct_set_icmp_type(ct, repl, repl ? 0 : 8);
			nfnl_ct_set_icmp_code(ct, repl, 0);
		} else {
			nfnl_ct_set_src_port(ct, repl, repl ? e->rsport : e->sport);
			nfnl_ct_set_dst_port(ct, repl, repl ? e->rdport : e->dport);
		}
	}
	if (e->status)
		nfnl_ct_set_status(ct, e->status);
	if (e->id)
		nfnl_ct_set_id(ct, e->id);
	if ((e->destroy ? nfnl_ct_build_delete_request(ct, 0, &msg)
			: nfnl_ct_build_add_request(ct, 0, &msg)) < 0)
		abort();
	h = nlmsg_hdr(msg);
	fputc(flags, f);
	fputc(h->nlmsg_len >> 8, f);
	fputc(h->nlmsg_len & 0xff, f);
	fwrite(h, 1, h->nlmsg_len, f);
	nlmsg_free(msg);
	nfnl_ct_put(ct);
}

static const struct entry tcp_dnat = {AF_INET,
				      IPPROTO_TCP,
				      "10.244.1.5",
				      "10.96.0.20",
				      "10.244.2.7",
				      "10.244.1.5",
				      40000,
				      80,
				      9090,
				      40000,
				      IPS_SEEN_REPLY | IPS_ASSURED | IPS_DST_NAT,
				      1001,
				      false};
static const struct entry udp6 = {AF_INET6, IPPROTO_UDP, "fd00::5", "fd00::53", NULL, NULL, 5353,
				  53,	    0,		 0,	    0,		1002, false};
static const struct entry icmp4 = {AF_INET,	   IPPROTO_ICMP, "10.0.0.1", "10.0.0.2", "10.0.0.2",
				   "10.0.0.1",	   77,		 0,	     0,		 0,
				   IPS_SEEN_REPLY, 1003,	 false};
static const struct entry sctp6 = {AF_INET6,	   IPPROTO_SCTP, "fd00::1", "fd00::2", "fd00::2",
				   "fd00::1",	   5000,	 3868,	    3868,      5000,
				   IPS_SEEN_REPLY, 1004,	 false};

static void seed(const char *dir, const char *name, const struct entry *const *es, size_t n,
		 uint8_t flags)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "we");
	if (!f) {
		perror(path);
		exit(1);
	}
	for (size_t i = 0; i < n; i++)
		message(f, es[i], flags);
	fclose(f);
}

int main(int argc, char **argv)
{
	struct entry tcp_end = tcp_dnat, udp6_end = udp6, tcp_new = tcp_dnat;
	const struct entry *events[] = {&tcp_new, &tcp_dnat, &udp6,    &icmp4,
					&sctp6,	  &tcp_end,  &udp6_end};
	const struct entry *dump[] = {&tcp_dnat, &udp6, &icmp4, &sctp6};

	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	tcp_new.status = 0;
	tcp_end.destroy = true;
	udp6_end.destroy = true;
	seed(argv[1], "events", events, sizeof(events) / sizeof(*events), 0);
	seed(argv[1], "dump", dump, sizeof(dump) / sizeof(*dump), 1);
	seed(argv[1], "resync", dump, 2, 3);
	return 0;
}
