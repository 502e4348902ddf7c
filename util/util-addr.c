/* SPDX-License-Identifier: Apache-2.0 */
/* util-addr.c - IP addresses and prefixes: the one parser, formatter and containment test. */
#include "util/util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

const char *util_addr_format(const struct util_addr *a, char buf[static UTIL_ADDR_LEN])
{
	if (!inet_ntop(a->family == AF_INET6 ? AF_INET6 : AF_INET, a->bytes, buf, UTIL_ADDR_LEN))
		strcpy(buf, "?");
	return buf;
}

int util_addr_parse(const char *s, struct util_addr *ret)
{
	struct util_addr a = {0};

	if (inet_pton(AF_INET, s, a.bytes) == 1)
		a.family = AF_INET;
	else if (inet_pton(AF_INET6, s, a.bytes) == 1)
		a.family = AF_INET6;
	else
		return -EINVAL;
	*ret = a;
	return 0;
}

int util_addr_compare(const struct util_addr *a, const struct util_addr *b)
{
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	return memcmp(a->bytes, b->bytes, sizeof(a->bytes));
}

void util_addr_mask(struct util_addr *a, unsigned len)
{
	for (unsigned i = 0; i < sizeof(a->bytes); i++) {
		unsigned bits = len > i * 8 ? len - i * 8 : 0;

		if (bits < 8)
			a->bytes[i] &= (uint8_t)(0xff00u >> bits);
	}
}

/* Whether the first n bits of a and b are the same (both of one family). */
static bool addr_bits_equal(const struct util_addr *a, const struct util_addr *b, unsigned n)
{
	size_t whole = n / 8;
	unsigned rest = n % 8;

	if (memcmp(a->bytes, b->bytes, whole) != 0)
		return false;
	if (!rest)
		return true;
	return ((a->bytes[whole] ^ b->bytes[whole]) & (uint8_t)(0xff00u >> rest)) == 0;
}

int util_prefix_parse(const char *s, unsigned flags, struct util_prefix *ret)
{
	const char *slash = strchr(s, '/');
	char addr[UTIL_ADDR_LEN], canon[UTIL_ADDR_LEN];
	struct util_prefix p;
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	uint64_t len;

	if ((!slash && !(flags & UTIL_PREFIX_HOST)) || n >= sizeof(addr))
		return -EINVAL;
	memcpy(addr, s, n);
	addr[n] = '\0';
	if (util_addr_parse(addr, &p.addr) < 0)
		return -EINVAL;
	/* one spelling per prefix: what inet_ntop prints, and a length without leading zeros */
	if ((flags & UTIL_PREFIX_CANONICAL) &&
	    (strcmp(util_addr_format(&p.addr, canon), addr) != 0 ||
	     (slash && slash[1] == '0' && slash[2] != '\0')))
		return -EINVAL;
	len = p.addr.family == AF_INET ? 32 : 128;
	if (slash && util_parse_u64(slash + 1, len, &len) < 0)
		return -EINVAL;
	p.len = (unsigned)len;
	if (flags & UTIL_PREFIX_MASK)
		util_addr_mask(&p.addr, p.len);
	*ret = p;
	return 0;
}

const char *util_prefix_format(const struct util_prefix *p, char buf[static UTIL_PREFIX_LEN])
{
	char a[UTIL_ADDR_LEN];

	snprintf(buf, UTIL_PREFIX_LEN, "%s/%u", util_addr_format(&p->addr, a), p->len);
	return buf;
}

bool util_prefix_contains(const struct util_prefix *outer, const struct util_prefix *inner)
{
	return inner->addr.family == outer->addr.family && inner->len >= outer->len &&
	       addr_bits_equal(&inner->addr, &outer->addr, outer->len);
}

bool util_prefix_overlap(const struct util_prefix *a, const struct util_prefix *b)
{
	return a->addr.family == b->addr.family &&
	       addr_bits_equal(&a->addr, &b->addr, a->len < b->len ? a->len : b->len);
}
