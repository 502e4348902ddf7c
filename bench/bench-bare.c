/* SPDX-License-Identifier: Apache-2.0 */
/* bench-bare.c - the baseline: a bare libpcap loop that reads every record of a file and nothing
 * more. */
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>

static void count(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
	uint64_t *n = (uint64_t *)user;

	/* touch the first byte, as any reader must, so the loop is not a no-op */
	n[0]++;
	n[1] += h->caplen ? bytes[0] : 0;
}

int main(int argc, char **argv)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	uint64_t n[2] = {0, 0};
	pcap_t *p;
	int r;

	if (argc != 2) {
		fprintf(stderr, "usage: bench-bare FILE\n");
		return 2;
	}
	p = pcap_open_offline_with_tstamp_precision(argv[1], PCAP_TSTAMP_PRECISION_NANO, errbuf);
	if (!p) {
		fprintf(stderr, "bench-bare: %s\n", errbuf);
		return 2;
	}
	while ((r = pcap_dispatch(p, 4096, count, (u_char *)n)) > 0)
		;
	if (r < 0) {
		fprintf(stderr, "bench-bare: %s\n", pcap_geterr(p));
		return 2;
	}
	pcap_close(p);
	printf("%llu packets\n", (unsigned long long)n[0]);
	return 0;
}
