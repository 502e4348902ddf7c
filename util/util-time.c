/* SPDX-License-Identifier: Apache-2.0 */
/* util-time.c - the clock, and times as RFC 3339 text: the one place that knows a second's length.
 */
#include "util/util.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

uint64_t util_now_ns(clockid_t clock)
{
	struct timespec ts;

	if (clock_gettime(clock, &ts) < 0)
		return 0;
	return (uint64_t)ts.tv_sec * UTIL_NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

/* Exactly width digits of v, most significant first. */
static char *put_digits(char *p, unsigned v, int width)
{
	for (int i = width - 1; i >= 0; i--) {
		p[i] = (char)('0' + v % 10);
		v /= 10;
	}
	return p + width;
}

/*
 * Written digit by digit: states hold two times per edge and are written at every checkpoint,
 * and strftime with snprintf was most of what writing them cost outside libyaml.
 */
void util_time_format(uint64_t ns, char buf[static UTIL_TIME_LEN])
{
	time_t secs = (time_t)(ns / UTIL_NSEC_PER_SEC);
	struct tm tm;
	char *p = buf;

	if (!gmtime_r(&secs, &tm) || tm.tm_year + 1900 < 0 || tm.tm_year + 1900 > 9999) {
		snprintf(buf, UTIL_TIME_LEN, "1970-01-01T00:00:00.000000000Z");
		return;
	}
	p = put_digits(p, (unsigned)(tm.tm_year + 1900), 4);
	*p++ = '-';
	p = put_digits(p, (unsigned)tm.tm_mon + 1, 2);
	*p++ = '-';
	p = put_digits(p, (unsigned)tm.tm_mday, 2);
	*p++ = 'T';
	p = put_digits(p, (unsigned)tm.tm_hour, 2);
	*p++ = ':';
	p = put_digits(p, (unsigned)tm.tm_min, 2);
	*p++ = ':';
	p = put_digits(p, (unsigned)tm.tm_sec, 2);
	*p++ = '.';
	p = put_digits(p, (unsigned)(ns % UTIL_NSEC_PER_SEC), 9);
	*p++ = 'Z';
	*p = '\0';
}

int util_time_parse(const char *s, uint64_t *ret_ns)
{
	struct tm tm = {0};
	const char *frac;
	uint64_t ns = 0;
	time_t secs;
	int digits = 0;

	frac = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!frac)
		return -EINVAL;
	if (*frac == '.') {
		for (frac++; *frac >= '0' && *frac <= '9'; frac++) {
			if (++digits > 9)
				return -EINVAL;
			ns = ns * 10 + (uint64_t)(*frac - '0');
		}
		if (digits == 0)
			return -EINVAL;
		for (; digits < 9; digits++)
			ns *= 10;
	}
	if (strcmp(frac, "Z") != 0)
		return -EINVAL;
	secs = timegm(&tm);
	if (secs < 0)
		return -EINVAL;
	*ret_ns = (uint64_t)secs * UTIL_NSEC_PER_SEC + ns;
	return 0;
}
