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

/* Days from 1970-01-01 to y-m-d of the proleptic Gregorian calendar (Howard Hinnant's). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* The number in s[0, n) when it is n digits, else -1. */
static int64_t fixed_digits(const char *s, int n)
{
	int64_t v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* "2026-11-22T14:00:00.000000000Z": 30 characters */
int util_time_parse_canonical(const char *s, uint64_t *ret_ns)
{
	static const int month_days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int64_t y, mo, d, h, mi, sec, frac, days;
	uint64_t secs;

	if (strlen(s) != 30 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
	    s[16] != ':' || s[19] != '.' || s[29] != 'Z')
		return -EINVAL;
	y = fixed_digits(s, 4);
	mo = fixed_digits(s + 5, 2);
	d = fixed_digits(s + 8, 2);
	h = fixed_digits(s + 11, 2);
	mi = fixed_digits(s + 14, 2);
	sec = fixed_digits(s + 17, 2);
	frac = fixed_digits(s + 20, 9);
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 ||
	    sec < 0 || sec > 59 || frac < 0)
		return -EINVAL;
	if (d >
	    month_days[mo - 1] + (mo == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0) ? 1 : 0))
		return -EINVAL;
	days = days_from_civil(y, (int)mo, (int)d);
	secs = (uint64_t)days * 86400u + (uint64_t)(h * 3600 + mi * 60 + sec);
	if (secs > (UINT64_MAX - (uint64_t)frac) / UTIL_NSEC_PER_SEC)
		return -EINVAL;
	*ret_ns = secs * UTIL_NSEC_PER_SEC + (uint64_t)frac;
	return 0;
}
