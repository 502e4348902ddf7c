/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test-decode.c - the decoder (capture-decode.c) on real packets: the cases of
 * data/capture/decode/TESTLIST, whole and cut at every length; its fast path against its general
 * path; the tunnel ports it opens; and what the live capture filter keeps of what it decodes.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <pcap/dlt.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "capture/capture-private.h"
#include "tests/test-helpers.h"

#define DECODE_DIR TEST_DATA "/capture/decode"

/* ---- The packets: one record per capture file ---------------------------------------------- */

/*
 * The one record of the capture file DECODE_DIR/file in a heap buffer of its exact size, so that
 * ASan catches a read past it, and the link type libpcap reports for the file.
 */
static uint8_t *packet_load(const char *file, int *ret_dlt, size_t *ret_len)
{
	char errbuf[PCAP_ERRBUF_SIZE], path[512];
	struct pcap_pkthdr *h;
	const u_char *bytes;
	uint8_t *buf;
	pcap_t *p;

	snprintf(path, sizeof(path), "%s/%s", DECODE_DIR, file);
	p = pcap_open_offline(path, errbuf);
	ck_assert_msg(p != NULL, "%s", errbuf);
	ck_assert_msg(pcap_next_ex(p, &h, &bytes) == 1, "%s: no record", path);
	buf = malloc(h->caplen ? h->caplen : 1);
	ck_assert_ptr_nonnull(buf);
	memcpy(buf, bytes, h->caplen);
	*ret_len = h->caplen;
	*ret_dlt = pcap_datalink(p);
	ck_assert_msg(pcap_next_ex(p, &h, &bytes) == PCAP_ERROR_BREAK, "%s: more than one record",
		      path);
	pcap_close(p);
	return buf;
}

/* ---- The cases of TESTLIST ------------------------------------------------------------------ */

/* Truncation never stops: the packet is TRUNCATED at every length, however long. */
#define NEVER		   ((size_t)-1)
#define DECODE_MAX_CASES   512
#define DECODE_MAX_PATCHES 4

struct patch {
	size_t off;
	uint8_t val;
};

/* One line of TESTLIST: NAME PCAPFILE EXPECTED-FILE [OPTIONS] (described there). */
struct decode_case {
	const char *name, *pcap, *expected;
	int dlt; /* dlt=N: decoded under N instead of the file's link type; -1: the file's */
	struct patch patch[DECODE_MAX_PATCHES]; /* patch=OFF:VAL: byte edits, for contradictions */
	size_t n_patch;
	bool no_tunnels; /* notunnels: no tunnel opened, instead of capture_tunnels_default() */
};

static struct decode_case decode_cases[DECODE_MAX_CASES];
static size_t n_decode_cases;
static char *testlist; /* TESTLIST's text, which the cases point into */

/* One option of a TESTLIST line into dc; false if it is none. */
static bool decode_option(struct decode_case *dc, const char *opt)
{
	unsigned long off, val;
	char *end;
	long dlt;

	if (strcmp(opt, "notunnels") == 0) {
		dc->no_tunnels = true;
		return true;
	}
	if (strncmp(opt, "dlt=", 4) == 0) {
		errno = 0;
		dlt = strtol(opt + 4, &end, 10);
		if (opt[4] < '0' || opt[4] > '9' || *end || errno || dlt > 65535)
			return false;
		dc->dlt = (int)dlt;
		return true;
	}
	if (strncmp(opt, "patch=", 6) == 0 && dc->n_patch < DECODE_MAX_PATCHES) {
		errno = 0;
		off = strtoul(opt + 6, &end, 10);
		if (opt[6] < '0' || opt[6] > '9' || *end != ':' || errno)
			return false;
		opt = end + 1;
		val = strtoul(opt, &end, 16);
		if (strncmp(opt, "0x", 2) != 0 || end == opt + 2 || *end || errno || val > 0xff)
			return false;
		dc->patch[dc->n_patch++] = (struct patch){.off = off, .val = (uint8_t)val};
		return true;
	}
	return false;
}

/*
 * Reads TESTLIST into decode_cases before any test runs: its cases are the tests. A line that
 * cannot be read, or a name given twice, is an error (said on stderr, -1): no case is skipped.
 */
static int decode_cases_load(const char *path)
{
	unsigned lineno = 0;
	char *line, *next;

	testlist = test_read_file(path, NULL);
	if (!testlist) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	for (line = testlist; line; line = next) {
		char *save = NULL, *hash, *tok[3];
		struct decode_case dc = {.dlt = -1};
		const char *opt;

		lineno++;
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		tok[0] = strtok_r(line, " \t", &save);
		if (!tok[0])
			continue;
		tok[1] = strtok_r(NULL, " \t", &save);
		tok[2] = tok[1] ? strtok_r(NULL, " \t", &save) : NULL;
		if (!tok[2]) {
			fprintf(stderr, "%s:%u: not NAME PCAPFILE EXPECTED-FILE [OPTIONS]\n", path,
				lineno);
			return -1;
		}
		dc.name = tok[0];
		dc.pcap = tok[1];
		dc.expected = tok[2];
		while ((opt = strtok_r(NULL, " \t", &save))) {
			if (!decode_option(&dc, opt)) {
				fprintf(stderr, "%s:%u: bad option \"%s\"\n", path, lineno, opt);
				return -1;
			}
		}
		for (size_t i = 0; i < n_decode_cases; i++) {
			if (strcmp(decode_cases[i].name, dc.name) == 0) {
				fprintf(stderr, "%s:%u: a second case %s\n", path, lineno, dc.name);
				return -1;
			}
		}
		if (n_decode_cases == DECODE_MAX_CASES) {
			fprintf(stderr, "%s:%u: more than %d cases\n", path, lineno,
				DECODE_MAX_CASES);
			return -1;
		}
		decode_cases[n_decode_cases++] = dc;
	}
	if (n_decode_cases == 0) {
		fprintf(stderr, "%s: no case\n", path);
		return -1;
	}
	return 0;
}

/* The record of a case, patched, in an exact-size heap buffer, and the link type to decode it. */
static uint8_t *case_build(const struct decode_case *dc, int *ret_dlt, size_t *ret_len)
{
	uint8_t *buf = packet_load(dc->pcap, ret_dlt, ret_len);

	for (size_t i = 0; i < dc->n_patch; i++) {
		ck_assert_msg(dc->patch[i].off < *ret_len, "%s: patch at %zu, past the %zu bytes",
			      dc->name, dc->patch[i].off, *ret_len);
		buf[dc->patch[i].off] = dc->patch[i].val;
	}
	if (dc->dlt >= 0)
		*ret_dlt = dc->dlt;
	return buf;
}

/* What a case is decoded with: the program's defaults unless it says otherwise. */
static const struct capture_tunnels *case_tunnels(const struct decode_case *dc)
{
	static struct capture_tunnels defaults;

	capture_tunnels_default(&defaults);
	return dc->no_tunnels ? NULL : &defaults;
}

static const char *const result_names[] = {
	[CAPTURE_DECODE_OK] = "ok",
	[CAPTURE_DECODE_TRUNCATED] = "truncated",
	[CAPTURE_DECODE_NOT_IP] = "not-ip",
	[CAPTURE_DECODE_FRAGMENT] = "fragment",
	[CAPTURE_DECODE_UNSUPPORTED] = "unsupported",
	[CAPTURE_DECODE_MALFORMED] = "malformed",
};

/*
 * An address as the expected files write it; one they cannot match (another family, an IPv4
 * address with bytes set past its four) as every byte, so that it differs and shows.
 */
static void render_addr(FILE *f, const char *key, const struct util_addr *a)
{
	static const uint8_t zero[sizeof(a->bytes) - 4];
	char buf[UTIL_ADDR_LEN];

	if (a->family == AF_INET6 || (a->family == AF_INET && !memcmp(a->bytes + 4, zero, 12))) {
		fprintf(f, "%s=%s\n", key, util_addr_format(a, buf));
		return;
	}
	fprintf(f, "%s=family %u, bytes", key, a->family);
	for (size_t i = 0; i < sizeof(a->bytes); i++)
		fprintf(f, " %02x", a->bytes[i]);
	fputc('\n', f);
}

/*
 * What the decoder made of a record under dlt, in the words of the expected files (TESTLIST says
 * which), header-length aside; p is read only for a record that decoded. Allocated.
 */
static char *render(int dlt, enum capture_decode_result r, const struct capture_packet *p)
{
	const char *name = pcap_datalink_val_to_name(dlt);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(f);
	fprintf(f, "link=%d%s%s\n", dlt, name ? " " : "", name ? name : "");
	fprintf(f, "supported=%s\n", capture_linktype_supported(dlt) ? "yes" : "no");
	if ((unsigned)r < UTIL_ARRAY_SIZE(result_names))
		fprintf(f, "result=%s\n", result_names[r]);
	else
		fprintf(f, "result=%d\n", (int)r);
	if (r == CAPTURE_DECODE_OK) {
		render_addr(f, "src", &p->src);
		render_addr(f, "dst", &p->dst);
		switch (p->proto) {
		case IPPROTO_TCP:
			fputs("proto=tcp\n", f);
			break;
		case IPPROTO_UDP:
			fputs("proto=udp\n", f);
			break;
		case IPPROTO_SCTP:
			fputs("proto=sctp\n", f);
			break;
		case IPPROTO_ICMP:
			fputs("proto=icmp\n", f);
			break;
		case IPPROTO_ICMPV6:
			fputs("proto=icmpv6\n", f);
			break;
		default:
			fprintf(f, "proto=%u\n", p->proto);
			break;
		}
		fprintf(f, "sport=%u\ndport=%u\ntcp-flags=0x%02x\nl4-type=%u\nicmp-error=%u\n",
			p->sport, p->dport, p->tcp_flags, p->l4_type, p->icmp_error);
	}
	ck_assert_int_eq(fclose(f), 0);
	return buf;
}

/*
 * The expected file of a case: into ret_text (allocated) all of it but its last line, which must
 * be header-length=N or header-length=never (into ret_hdr_len, never as NEVER).
 */
static void expected_load(const struct decode_case *dc, char **ret_text, size_t *ret_hdr_len)
{
	char path[512], *text, *last, *end;
	unsigned long long n;
	size_t len;

	snprintf(path, sizeof(path), "%s/%s", DECODE_DIR, dc->expected);
	text = test_read_file(path, &len);
	ck_assert_msg(text, "%s: %s", path, strerror(errno));
	ck_assert_msg(len > 0 && text[len - 1] == '\n', "%s: does not end a line", path);
	text[len - 1] = '\0';
	last = strrchr(text, '\n');
	last = last ? last + 1 : text;
	ck_assert_msg(strncmp(last, "header-length=", 14) == 0,
		      "%s: the last line is not header-length=", path);
	if (strcmp(last + 14, "never") == 0) {
		*ret_hdr_len = NEVER;
	} else {
		errno = 0;
		n = strtoull(last + 14, &end, 10);
		ck_assert_msg(last[14] >= '0' && last[14] <= '9' && !*end && !errno && n < NEVER,
			      "%s: header-length=%s", path, last + 14);
		*ret_hdr_len = (size_t)n;
	}
	*last = '\0';
	*ret_text = text;
}

/* Fails when got is not want, naming the first line that differs. */
static void text_check(const char *what, const char *got, const char *want)
{
	size_t i = 0, line = 1, start = 0, gl, wl;

	if (strcmp(got, want) == 0)
		return;
	for (; got[i] && got[i] == want[i]; i++) {
		if (got[i] == '\n') {
			line++;
			start = i + 1;
		}
	}
	gl = strcspn(got + start, "\n");
	wl = strcspn(want + start, "\n");
	ck_abort_msg("%s: line %zu is \"%.*s\", want \"%.*s\"", what, line, (int)gl, got + start,
		     (int)wl, want + start);
}

/* Each case whole: decoded as its expected file says; nothing is written unless it decodes. */
START_TEST(test_decode)
{
	const struct decode_case *dc = &decode_cases[_i];
	const uint8_t untouched[sizeof(struct capture_packet)] = {
		[0 ... sizeof(struct capture_packet) - 1] = 0xa5};
	struct capture_packet p;
	enum capture_decode_result r;
	size_t len, hdr_len;
	char *want, *got, what[256];
	int dlt;
	uint8_t *buf = case_build(dc, &dlt, &len);

	expected_load(dc, &want, &hdr_len);
	memset(&p, 0xa5, sizeof(p));
	r = capture_decode(dlt, buf, len, case_tunnels(dc), &p);
	got = render(dlt, r, &p);
	snprintf(what, sizeof(what), "%s (%s against %s)", dc->name, dc->pcap, dc->expected);
	text_check(what, got, want);
	if (r != CAPTURE_DECODE_OK)
		ck_assert_msg(memcmp(&p, untouched, sizeof(p)) == 0, "%s: result %d written",
			      dc->name, r);
	free(got);
	free(want);
	free(buf);
}
END_TEST

/*
 * Every cut from 0 bytes to the whole record, each in its own exact-size heap buffer so that the
 * ASan build catches any read past caplen: below the header length the record is TRUNCATED, from
 * there on it decodes exactly as the whole record does. Nothing is written unless it decodes.
 */
START_TEST(test_decode_truncated)
{
	const struct decode_case *dc = &decode_cases[_i];
	const uint8_t untouched[sizeof(struct capture_packet)] = {
		[0 ... sizeof(struct capture_packet) - 1] = 0xa5};
	size_t len, hdr_len;
	char *want, *truncated;
	int dlt;
	uint8_t *full = case_build(dc, &dlt, &len);

	expected_load(dc, &want, &hdr_len);
	truncated = render(dlt, CAPTURE_DECODE_TRUNCATED, NULL);
	if (hdr_len != NEVER)
		ck_assert_msg(hdr_len <= len, "%s: header-length=%zu, past the %zu bytes", dc->name,
			      hdr_len, len);
	for (size_t cut = 0; cut <= len; cut++) {
		uint8_t *buf = malloc(cut ? cut : 1);
		enum capture_decode_result r;
		struct capture_packet p;
		char *got, what[256];

		ck_assert_ptr_nonnull(buf);
		memcpy(buf, full, cut);
		memset(&p, 0xa5, sizeof(p));
		r = capture_decode(dlt, cut ? buf : NULL, cut, case_tunnels(dc), &p);
		got = render(dlt, r, &p);
		snprintf(what, sizeof(what), "%s cut at %zu", dc->name, cut);
		text_check(what, got, cut < hdr_len ? truncated : want);
		if (r != CAPTURE_DECODE_OK && memcmp(&p, untouched, sizeof(p)) != 0)
			ck_abort_msg("%s: result %d written", what, r);
		free(got);
		free(buf);
	}
	free(truncated);
	free(want);
	free(full);
}
END_TEST

/* Every file beside TESTLIST is the capture or the expected output of a case it lists. */
START_TEST(test_decode_files)
{
	DIR *d = opendir(DECODE_DIR);
	struct dirent *e;
	size_t n = 0;

	ck_assert_msg(d, "%s: %s", DECODE_DIR, strerror(errno));
	while ((e = readdir(d))) {
		bool named = false;

		if (e->d_name[0] == '.' || strcmp(e->d_name, "TESTLIST") == 0)
			continue;
		for (size_t i = 0; i < n_decode_cases && !named; i++)
			named = strcmp(e->d_name, decode_cases[i].pcap) == 0 ||
				strcmp(e->d_name, decode_cases[i].expected) == 0;
		if (!named)
			ck_abort_msg("%s/%s: no case of TESTLIST names it", DECODE_DIR, e->d_name);
		n++;
	}
	closedir(d);
	ck_assert_uint_gt(n, 0);
}
END_TEST

/* ---- The decoder's fast path against its general path ------------------------------------- */

/*
 * capture_decode() takes the common IPv4 TCP/UDP packet under Ethernet, Linux cooked and raw IP
 * links through a fast path, and the same IP bytes under DLT_NULL through the general path only.
 * So any IPv4 packet, however mangled and wherever cut, must get the same verdict and the same
 * fields under Ethernet, LINUX_SLL, LINUX_SLL2, DLT_IPV4 and (while the version nibble still
 * says 4: it picks the version there) DLT_RAW as under DLT_NULL. The variants come from a fixed
 * seed: byte edits, most of them at the fields the fast path reads, to values at and around its
 * limits.
 */
struct decode_diff_case {
	const char *name;
	const char *pcap; /* under DECODE_DIR: an Ethernet frame carrying IPv4 */
	uint32_t seed;
};

static const struct decode_diff_case decode_diff_cases[] = {
	{"tcp4 syn", "eth-tcp4-syn.pcap", 1},
	{"tcp4 syn-ack", "eth-tcp4-synack.pcap", 2},
	{"tcp4 rst-ack", "eth-tcp4-rst.pcap", 3},
	{"tcp4 syn ecn", "eth-tcp4-syn-ecn.pcap", 4},
	{"tcp4 syn, ipv4 record-route option", "eth-tcp4-syn-rr.pcap", 5},
	{"udp4 request", "eth-udp4-req.pcap", 6},
	{"icmp4 echo request", "eth-icmp4-echo-req.pcap", 7},
	{"icmp4 port unreachable", "eth-icmp4-unreach.pcap", 8},
	{"ipv4 first fragment", "eth-ip4-frag-first.pcap", 9},
	{"ipv4 later fragment", "eth-ip4-frag-later.pcap", 10},
	{"sctp4 init", "eth-sctp4-init.pcap", 11},
	/* the fast path must leave a tunnel port to the general path, which opens it */
	{"vxlan tcp4 syn", "tun-vxlan-syn.pcap", 12},
	{"vxlan on 8472, udp4", "tun-vxlan8472-udp.pcap", 13},
	{"geneve tcp4 syn", "tun-geneve-syn.pcap", 14},
	{"gre tcp4 syn", "tun-gre-syn.pcap", 15},
	{"ipip tcp4 syn", "tun-ipip-syn.pcap", 16},
	{"vxlan in ipip", "built-ipip-vxlan-syn.pcap", 17},
};

#define DIFF_VARIANTS 500

static bool packet_equal(const struct capture_packet *a, const struct capture_packet *b)
{
	return a->src.family == b->src.family && a->dst.family == b->dst.family &&
	       memcmp(a->src.bytes, b->src.bytes, sizeof(a->src.bytes)) == 0 &&
	       memcmp(a->dst.bytes, b->dst.bytes, sizeof(a->dst.bytes)) == 0 &&
	       a->proto == b->proto && a->sport == b->sport && a->dport == b->dport &&
	       a->tcp_flags == b->tcp_flags && a->l4_type == b->l4_type;
}

/*
 * Decodes ip[0, cut) after a link header, from an exact-size buffer so ASan sees any overread.
 * Millions of these run: passing ck_assert calls cost a pipe write each under CK_FORK, so the
 * checks here only call into Check when they fail.
 */
static enum capture_decode_result decode_under(int dlt, const uint8_t *hdr, size_t hdr_len,
					       const uint8_t *ip, size_t cut,
					       struct capture_packet *ret)
{
	size_t len = hdr_len + cut;
	uint8_t *buf = malloc(len ? len : 1);
	enum capture_decode_result r;
	const uint8_t untouched[sizeof(*ret)] = {[0 ... sizeof(*ret) - 1] = 0xa5};
	struct capture_tunnels tun;

	if (!buf)
		ck_abort_msg("out of memory");
	if (hdr_len)
		memcpy(buf, hdr, hdr_len);
	if (cut)
		memcpy(buf + hdr_len, ip, cut);
	memset(ret, 0xa5, sizeof(*ret));
	capture_tunnels_default(&tun);
	r = capture_decode(dlt, len ? buf : NULL, len, &tun, ret);
	if (r != CAPTURE_DECODE_OK && memcmp(ret, untouched, sizeof(*ret)) != 0)
		ck_abort_msg("dlt %d cut %zu: result %d written to ret", dlt, cut, r);
	free(buf);
	return r;
}

START_TEST(test_decode_fast_path)
{
	static const uint8_t null_af_inet[4] = {2, 0, 0, 0};
	/*
	 * Offsets into the IP header the fast path reads (and the UDP destination port, which
	 * may name a tunnel: 0x12b5 is 4789, 0x17c1 6081), and values at its edges.
	 */
	static const size_t hot_off[] = {0, 2, 3, 6, 7, 9, 22, 23, 32, 33};
	static const uint8_t hot_val[] = {0x00, 0x01, 0x04, 0x05, 0x06, 0x11, 0x12, 0x13,
					  0x14, 0x15, 0x17, 0x1c, 0x1f, 0x20, 0x28, 0x29,
					  0x2f, 0x3f, 0x40, 0x44, 0x45, 0x46, 0x4f, 0x50,
					  0x55, 0x60, 0x84, 0xb5, 0xc0, 0xc1, 0xe0, 0xff};
	const struct decode_diff_case *dc = &decode_diff_cases[_i];
	uint64_t rng = 0x9e3779b97f4a7c15ULL ^ dc->seed;
	size_t n_ok = 0, n_other = 0, len, sll_len, sll2_len, ip_len;
	int dlt, sll_dlt, sll2_dlt;
	uint8_t *frame = packet_load(dc->pcap, &dlt, &len);
	uint8_t *sll = packet_load("sll-tcp4-syn.pcap", &sll_dlt, &sll_len);
	uint8_t *sll2 = packet_load("sll2-icmp4-echo-req.pcap", &sll2_dlt, &sll2_len);
	uint8_t *ip;

	/* The link headers in front: each one's protocol field says IPv4. */
	ck_assert_int_eq(dlt, DLT_EN10MB);
	ck_assert_uint_gt(len, 14);
	ck_assert_uint_eq(frame[12], 0x08);
	ck_assert_uint_eq(frame[13], 0x00);
	ck_assert_int_eq(sll_dlt, DLT_LINUX_SLL);
	ck_assert_uint_ge(sll_len, 16);
	ck_assert_uint_eq(sll[14], 0x08);
	ck_assert_uint_eq(sll[15], 0x00);
	ck_assert_int_eq(sll2_dlt, DLT_LINUX_SLL2);
	ck_assert_uint_ge(sll2_len, 20);
	ck_assert_uint_eq(sll2[0], 0x08);
	ck_assert_uint_eq(sll2[1], 0x00);
	ip_len = len - 14;
	ip = malloc(ip_len);
	ck_assert_ptr_nonnull(ip);
	for (int v = 0; v <= DIFF_VARIANTS; v++) {
		memcpy(ip, frame + 14, ip_len);
		/* Variant 0 is the real packet; the others get one to three edits. */
		for (uint32_t e = 0, n = v ? 1 + test_rand(&rng) % 3 : 0; e < n; e++) {
			size_t off = test_rand(&rng) % 2
					     ? hot_off[test_rand(&rng) % UTIL_ARRAY_SIZE(hot_off)]
					     : test_rand(&rng) % ip_len;
			uint8_t val = test_rand(&rng) % 2
					      ? hot_val[test_rand(&rng) % UTIL_ARRAY_SIZE(hot_val)]
					      : (uint8_t)test_rand(&rng);

			if (off < ip_len)
				ip[off] = val;
		}
		for (size_t cut = 0; cut <= ip_len; cut++) {
			bool raw = cut == 0 || ip[0] >> 4 == 4;
			struct capture_packet pn, pe, ps, ps2, p4, pr;
			enum capture_decode_result rn, re, rs, rs2, r4, rr;

			rn = decode_under(DLT_NULL, null_af_inet, 4, ip, cut, &pn);
			re = decode_under(DLT_EN10MB, frame, 14, ip, cut, &pe);
			rs = decode_under(DLT_LINUX_SLL, sll, 16, ip, cut, &ps);
			rs2 = decode_under(DLT_LINUX_SLL2, sll2, 20, ip, cut, &ps2);
			r4 = decode_under(DLT_IPV4, NULL, 0, ip, cut, &p4);
			rr = raw ? decode_under(DLT_RAW, NULL, 0, ip, cut, &pr) : rn;
			if (re != rn || rs != rn || rs2 != rn || r4 != rn || rr != rn)
				ck_abort_msg("%s variant %d cut %zu: ethernet %d, sll %d, sll2 %d, "
					     "ipv4 %d, raw %d, general path %d",
					     dc->name, v, cut, re, rs, rs2, r4, rr, rn);
			if (rn == CAPTURE_DECODE_OK) {
				if (!packet_equal(&pe, &pn) || !packet_equal(&ps, &pn) ||
				    !packet_equal(&ps2, &pn) || !packet_equal(&p4, &pn) ||
				    (raw && !packet_equal(&pr, &pn)))
					ck_abort_msg("%s variant %d cut %zu: fields differ",
						     dc->name, v, cut);
				n_ok++;
			} else {
				n_other++;
			}
		}
	}
	/* Both kinds of verdict were compared, not just one. */
	ck_assert_uint_gt(n_ok, 0);
	ck_assert_uint_gt(n_other, 0);
	free(ip);
	free(sll2);
	free(sll);
	free(frame);
}
END_TEST

/* ---- Tunnel ports --------------------------------------------------------------------------- */

/*
 * capture_tunnels_add_port() on the defaults (or on nothing): what it returns, and the kind each
 * probed port then has (0: none). A refused spec leaves the list as it was.
 */
static const struct tunnel_port_case {
	const char *spec;
	bool from_defaults;
	int ret;
	uint16_t port;
	enum capture_tunnel_kind kind; /* of port afterwards */
	unsigned n_ports;	       /* afterwards */
} tunnel_port_cases[] = {
	{"vxlan:4790", true, 0, 4790, CAPTURE_TUNNEL_VXLAN, 4},
	{"geneve:6082", true, 0, 6082, CAPTURE_TUNNEL_GENEVE, 4},
	{"vxlan:1", false, 0, 1, CAPTURE_TUNNEL_VXLAN, 1},
	{"geneve:65535", false, 0, 65535, CAPTURE_TUNNEL_GENEVE, 1},
	{"vxlan:4789", true, 0, 4789, CAPTURE_TUNNEL_VXLAN, 3},
	{"geneve:4789", true, -EEXIST, 4789, CAPTURE_TUNNEL_VXLAN, 3},
	{"vxlan:6081", true, -EEXIST, 6081, CAPTURE_TUNNEL_GENEVE, 3},
	{"geneve:4789", false, 0, 4789, CAPTURE_TUNNEL_GENEVE, 1},
	{"vxlan:0", true, -EINVAL, 0, 0, 3},
	{"vxlan:65536", true, -EINVAL, 0, 0, 3},
	{"vxlan:-1", true, -EINVAL, 8472, CAPTURE_TUNNEL_VXLAN, 3},
	{"vxlan: 4790", true, -EINVAL, 4790, 0, 3},
	{"vxlan:4790x", true, -EINVAL, 4790, 0, 3},
	{"vxlan:", true, -EINVAL, 4790, 0, 3},
	{"vxlan", true, -EINVAL, 4790, 0, 3},
	{"4790", true, -EINVAL, 4790, 0, 3},
	{":4790", true, -EINVAL, 4790, 0, 3},
	{"VXLAN:4790", true, -EINVAL, 4790, 0, 3},
	{"vxla:4790", true, -EINVAL, 4790, 0, 3},
	{"vxlanx:4790", true, -EINVAL, 4790, 0, 3},
	{"gre:47", true, -EINVAL, 47, 0, 3},
	{"", true, -EINVAL, 4789, CAPTURE_TUNNEL_VXLAN, 3},
};

START_TEST(test_tunnel_port)
{
	const struct tunnel_port_case *tc = &tunnel_port_cases[_i];
	struct capture_tunnels t = {0}, before;

	if (tc->from_defaults)
		capture_tunnels_default(&t);
	before = t;
	ck_assert_int_eq(capture_tunnels_add_port(&t, tc->spec), tc->ret);
	if (tc->ret < 0) {
		ck_assert_uint_eq(t.n_ports, before.n_ports);
		for (unsigned i = 0; i < t.n_ports; i++) {
			ck_assert_uint_eq(t.ports[i].port, before.ports[i].port);
			ck_assert_uint_eq(t.ports[i].kind, before.ports[i].kind);
		}
	}
	ck_assert_uint_eq(t.n_ports, tc->n_ports);
	ck_assert_int_eq(capture_tunnels_port_kind(&t, tc->port), tc->kind);
	ck_assert_int_eq(capture_tunnels_port_kind(NULL, tc->port), 0);
	ck_assert(t.ip == tc->from_defaults);
}
END_TEST

/* The defaults, then ports up to CAPTURE_TUNNEL_MAX_PORTS, then one too many. */
START_TEST(test_tunnel_port_full)
{
	struct capture_tunnels t;
	char spec[32];

	capture_tunnels_default(&t);
	ck_assert_int_eq(capture_tunnels_port_kind(&t, 4789), CAPTURE_TUNNEL_VXLAN);
	ck_assert_int_eq(capture_tunnels_port_kind(&t, 8472), CAPTURE_TUNNEL_VXLAN);
	ck_assert_int_eq(capture_tunnels_port_kind(&t, 6081), CAPTURE_TUNNEL_GENEVE);
	ck_assert_int_eq(capture_tunnels_port_kind(&t, 53), 0);
	for (unsigned p = 10000; t.n_ports < CAPTURE_TUNNEL_MAX_PORTS; p++) {
		snprintf(spec, sizeof(spec), "geneve:%u", p);
		ck_assert_int_eq(capture_tunnels_add_port(&t, spec), 0);
	}
	ck_assert_int_eq(capture_tunnels_add_port(&t, "vxlan:20000"), -E2BIG);
	ck_assert_int_eq(capture_tunnels_add_port(&t, "geneve:10000"), 0); /* already there */
	ck_assert_uint_eq(t.n_ports, CAPTURE_TUNNEL_MAX_PORTS);
	ck_assert_int_eq(capture_tunnels_port_kind(&t, 20000), 0);
}
END_TEST
/* ---- What the live filter keeps of tunnels ------------------------------------------------- */

/* Compiles the live filter for Ethernet on a dead handle. */
static pcap_t *live_filter_compile(struct bpf_program *prog)
{
	char *text = capture_live_filter();
	pcap_t *p = pcap_open_dead(DLT_EN10MB, CAPTURE_LIVE_SNAPLEN);

	ck_assert_ptr_nonnull(p);
	ck_assert_msg(pcap_compile(p, prog, text, 1, PCAP_NETMASK_UNKNOWN) == 0, "%s",
		      pcap_geterr(p));
	free(text);
	return p;
}

/*
 * The recorded tunnel captures: every packet the decoder opens is one the kernel filter keeps,
 * so a live agent on a node's uplink misses no inner flow.
 */
static const char *const live_tunnel_captures[] = {
	"vxlan", "vxlan-8472", "vxlan6", "geneve", "gre", "gretap", "ipip",
};

START_TEST(test_live_filter_tunnels)
{
	char errbuf[PCAP_ERRBUF_SIZE], path[512];
	struct capture_tunnels tun;
	struct bpf_program prog;
	struct pcap_pkthdr *h;
	const u_char *bytes;
	pcap_t *dead = live_filter_compile(&prog), *p;
	size_t decoded = 0;

	capture_tunnels_default(&tun);
	snprintf(path, sizeof(path), "%s/golden/tunnels/%s.pcap", TEST_DATA,
		 live_tunnel_captures[_i]);
	p = pcap_open_offline(path, errbuf);
	ck_assert_msg(p != NULL, "%s", errbuf);
	ck_assert_int_eq(pcap_datalink(p), DLT_EN10MB);
	for (int i = 0; pcap_next_ex(p, &h, &bytes) == 1; i++) {
		struct capture_packet pkt;

		if (capture_decode(DLT_EN10MB, bytes, h->caplen, &tun, &pkt) != CAPTURE_DECODE_OK)
			continue;
		decoded++;
		ck_assert_msg(pcap_offline_filter(&prog, h, bytes) != 0, "%s record %d: dropped",
			      path, i);
	}
	ck_assert_uint_ge(decoded, 20);
	pcap_close(p);
	pcap_freecode(&prog);
	pcap_close(dead);
}
END_TEST

/* MPLS and PPPoE, untagged and behind an 802.1Q tag still in the frame: kept and decoded. */
static const struct live_framing_case {
	const char *name;
	const char *pcap; /* under DECODE_DIR: an Ethernet frame */
	bool tagged;
} live_framing_cases[] = {
	{"mpls", "built-mpls-syn.pcap", false},
	{"pppoe ipv4", "built-pppoe-syn.pcap", false},
	{"pppoe ipv6", "built-pppoe-syn6.pcap", false},
	{"vlan mpls", "built-mpls-syn.pcap", true},
	{"vlan pppoe ipv6", "built-pppoe-syn6.pcap", true},
};

START_TEST(test_live_filter_framing)
{
	const struct live_framing_case *c = &live_framing_cases[_i];
	static const uint8_t tag[4] = {0x81, 0x00, 0x00, 0x64};
	struct bpf_program prog;
	pcap_t *dead = live_filter_compile(&prog);
	struct pcap_pkthdr h = {0};
	struct capture_packet pkt;
	size_t frame_len, len;
	int dlt;
	uint8_t *frame = packet_load(c->pcap, &dlt, &frame_len), *buf;

	ck_assert_int_eq(dlt, DLT_EN10MB);
	ck_assert_uint_gt(frame_len, 12);
	len = frame_len + (c->tagged ? 4 : 0);
	buf = malloc(len);
	ck_assert_ptr_nonnull(buf);
	memcpy(buf, frame, 12);
	if (c->tagged)
		memcpy(buf + 12, tag, 4);
	memcpy(buf + (c->tagged ? 16 : 12), frame + 12, frame_len - 12);
	h.caplen = h.len = (bpf_u_int32)len;
	ck_assert_msg(pcap_offline_filter(&prog, &h, buf) != 0, "%s: dropped", c->name);
	ck_assert_int_eq(capture_decode(DLT_EN10MB, buf, len, NULL, &pkt), CAPTURE_DECODE_OK);
	ck_assert_uint_eq(pkt.dport, 8080);
	pcap_freecode(&prog);
	pcap_close(dead);
	free(buf);
	free(frame);
}
END_TEST

static Suite *decode_suite(void)
{
	Suite *s = suite_create("decode");
	TCase *tc;

	tc = tcase_create("decode");
	tcase_add_loop_test(tc, test_decode, 0, (int)n_decode_cases);
	tcase_add_loop_test(tc, test_decode_truncated, 0, (int)n_decode_cases);
	tcase_add_test(tc, test_decode_files);
	tcase_add_loop_test(tc, test_decode_fast_path, 0, UTIL_ARRAY_SIZE(decode_diff_cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("tunnel-ports");
	tcase_add_loop_test(tc, test_tunnel_port, 0, UTIL_ARRAY_SIZE(tunnel_port_cases));
	tcase_add_test(tc, test_tunnel_port_full);
	suite_add_tcase(s, tc);

	tc = tcase_create("live-filter");
	tcase_add_loop_test(tc, test_live_filter_tunnels, 0, UTIL_ARRAY_SIZE(live_tunnel_captures));
	tcase_add_loop_test(tc, test_live_filter_framing, 0, UTIL_ARRAY_SIZE(live_framing_cases));
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	if (decode_cases_load(DECODE_DIR "/TESTLIST") < 0)
		return EXIT_FAILURE;
	return test_run(decode_suite());
}
