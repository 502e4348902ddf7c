/* SPDX-License-Identifier: Apache-2.0 */
/* util.c - allocation wrappers, error formatting, protocol names, text checks and quoting. */
#include "util/util.h"

#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "util/util-uthash.h"

static void __attribute__((noreturn)) util_oom(void)
{
	/* Nothing sensible can continue without memory; say so and stop. */
	fputs("flowlock: out of memory\n", stderr);
	abort();
}

void *util_zalloc(size_t size)
{
	void *p = calloc(1, size ? size : 1);

	if (!p)
		util_oom();
	return p;
}

void *util_block_new(size_t size)
{
	size_t len, n = (size + UTIL_BLOCK_SIZE - 1) / UTIL_BLOCK_SIZE * UTIL_BLOCK_SIZE;
	uint8_t *p, *b;

	if (n == 0 || n > SIZE_MAX - UTIL_BLOCK_SIZE)
		util_oom();
	len = n + UTIL_BLOCK_SIZE;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		util_oom();
	/* aligned to UTIL_BLOCK_SIZE out of one block more: the rest goes back at once */
	b = (uint8_t *)(((uintptr_t)p + UTIL_BLOCK_SIZE - 1) & ~(uintptr_t)(UTIL_BLOCK_SIZE - 1));
	if (b > p)
		(void)munmap(p, (size_t)(b - p));
	if (p + len > b + n)
		(void)munmap(b + n, (size_t)(p + len - (b + n)));
#if defined(MADV_HUGEPAGE)
	/*
	 * only a hint: where the kernel has no huge page to give, 4 KiB pages as ever. Less than
	 * half a block (one CPU's one batch of the file reader's ring) is told the opposite, even
	 * where huge pages are the default: one would make the whole block resident for what
	 * touches a few pages.
	 */
	(void)madvise(b, n, size >= UTIL_BLOCK_SIZE / 2 ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
#endif
	return b;
}

void util_block_free(void *block, size_t size)
{
	if (block)
		(void)munmap(block,
			     (size + UTIL_BLOCK_SIZE - 1) / UTIL_BLOCK_SIZE * UTIL_BLOCK_SIZE);
}

/*
 * Zeroed memory of size bytes: blocks (huge pages advised) from half a block on, else the heap;
 * what the tables and the pools take. big_free() takes the same size.
 */
static void *big_zalloc(size_t size)
{
	return size >= UTIL_BLOCK_SIZE / 2 ? util_block_new(size) : util_zalloc(size);
}

static void big_free(void *p, size_t size)
{
	if (size >= UTIL_BLOCK_SIZE / 2)
		util_block_free(p, size);
	else
		free(p);
}

/* Under ASan every bucket array is an allocation of its own, so that its bounds stay checked. */
void *util_table_new(size_t size)
{
	return UTIL_ASAN ? util_zalloc(size) : big_zalloc(size);
}

void util_table_free(void *p, size_t size)
{
	if (UTIL_ASAN)
		free(p);
	else
		big_free(p, size);
}

/* ---- Pools -------------------------------------------------------------------------------- */

#define POOL_FIRST ((size_t)64 << 10) /* the first chunk: a small graph stays small */
#define POOL_ALIGN 16

struct pool_chunk {
	struct pool_chunk *prev;
	size_t size;
	_Alignas(POOL_ALIGN) uint8_t data[];
};

struct util_pool {
	uint8_t *next, *end; /* what is left of the newest chunk */
	struct pool_chunk *chunks;
};

struct util_pool *util_pool_new(void)
{
	return util_zalloc(sizeof(struct util_pool));
}

static void pool_grow(struct util_pool *p, size_t size)
{
	size_t n = p->chunks ? UTIL_BLOCK_SIZE : POOL_FIRST;
	struct pool_chunk *c;

	if (size > SIZE_MAX - sizeof(*c) - UTIL_BLOCK_SIZE)
		util_oom();
	if (n < sizeof(*c) + size)
		n = (sizeof(*c) + size + UTIL_BLOCK_SIZE - 1) / UTIL_BLOCK_SIZE * UTIL_BLOCK_SIZE;
	c = big_zalloc(n);
	c->prev = p->chunks;
	c->size = n;
	p->chunks = c;
	p->next = c->data;
	p->end = (uint8_t *)c + n;
}

void *util_pool_zalloc(struct util_pool *p, size_t size)
{
#if UTIL_ASAN
	(void)p;
	return util_zalloc(size);
#else
	void *r;

	if (size > SIZE_MAX - (POOL_ALIGN - 1))
		util_oom();
	size = size ? (size + POOL_ALIGN - 1) & ~(size_t)(POOL_ALIGN - 1) : POOL_ALIGN;
	if (size > (size_t)(p->end - p->next))
		pool_grow(p, size);
	r = p->next;
	p->next += size;
	return r;
#endif
}

char *util_pool_strdup(struct util_pool *p, const char *s)
{
	size_t n = strlen(s) + 1;

	return memcpy(util_pool_zalloc(p, n), s, n);
}

void util_pool_put(struct util_pool *p, void *record)
{
	(void)p;
#if UTIL_ASAN
	free(record);
#else
	(void)record;
#endif
}

struct util_pool *util_pool_free(struct util_pool *p)
{
	struct pool_chunk *c, *prev;

	if (!p)
		return NULL;
	for (c = p->chunks; c; c = prev) {
		prev = c->prev;
		big_free(c, c->size);
	}
	free(p);
	return NULL;
}

void *util_reallocarray(void *ptr, size_t nmemb, size_t size)
{
	void *p = reallocarray(ptr, nmemb ? nmemb : 1, size ? size : 1);

	if (!p)
		util_oom();
	return p;
}

char *util_strdup(const char *s)
{
	char *p = strdup(s);

	if (!p)
		util_oom();
	return p;
}

struct interned {
	UT_hash_handle hh;
	size_t refs;
	char s[];
};

static struct interned *interned;
static pthread_mutex_t interned_lock = PTHREAD_MUTEX_INITIALIZER;

const char *util_intern(const char *s)
{
	size_t len = strlen(s);
	struct interned *e;

	pthread_mutex_lock(&interned_lock);
	HASH_FIND(hh, interned, s, len, e);
	if (!e) {
		e = util_zalloc(sizeof(*e) + len + 1);
		memcpy(e->s, s, len + 1);
		HASH_ADD_KEYPTR(hh, interned, e->s, len, e);
	}
	e->refs++;
	pthread_mutex_unlock(&interned_lock);
	return e->s;
}

void util_intern_drop(const char *s)
{
	struct interned *e;

	if (!s)
		return;
	e = (struct interned *)(void *)(s - offsetof(struct interned, s));
	pthread_mutex_lock(&interned_lock);
	if (--e->refs == 0) {
		HASH_DEL(interned, e);
		free(e);
	}
	pthread_mutex_unlock(&interned_lock);
}

char *util_strndup(const char *s, size_t n)
{
	char *p = strndup(s, n);

	if (!p)
		util_oom();
	return p;
}

char *util_asprintf(const char *fmt, ...)
{
	va_list ap;
	char *p;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&p, fmt, ap);
	va_end(ap);
	if (r < 0)
		util_oom();
	return p;
}

int util_err_set(struct util_err *err, int errnum, const char *fmt, ...)
{
	va_list ap;

	if (err) {
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
		/* The message is one line whatever the input put into it. */
		for (char *c = err->msg; *c; c++)
			if (*c == '\n' || *c == '\r')
				*c = ' ';
	}
	return -abs(errnum);
}

static const struct {
	uint8_t proto;
	const char *name;
} util_protos[] = {
	{IPPROTO_TCP, "TCP"},	{IPPROTO_UDP, "UDP"},	    {IPPROTO_SCTP, "SCTP"},
	{IPPROTO_ICMP, "ICMP"}, {IPPROTO_ICMPV6, "ICMPv6"},
};

struct util_said {
	char *msg;
	UT_hash_handle hh;
};

void util_warn_once(struct util_said **said, util_warn_fn warn, void *userdata, const char *fmt,
		    ...)
{
	struct util_said *s;
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		abort(); /* out of memory, as util_asprintf would */
	va_end(ap);
	for (char *p = msg; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	HASH_FIND_STR(*said, msg, s);
	if (s) {
		free(msg);
		return;
	}
	s = util_zalloc(sizeof(*s));
	s->msg = msg;
	HASH_ADD_KEYPTR(hh, *said, s->msg, strlen(s->msg), s);
	if (warn)
		warn(userdata, msg);
}

void util_said_free(struct util_said **said)
{
	struct util_said *s, *tmp;

	HASH_ITER (hh, *said, s, tmp) {
		HASH_DEL(*said, s);
		free(s->msg);
		free(s);
	}
}

const char *util_proto_name(uint8_t proto)
{
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(util_protos); i++)
		if (util_protos[i].proto == proto)
			return util_protos[i].name;
	return NULL;
}

bool util_proto_has_ports(uint8_t proto)
{
	return proto == IPPROTO_TCP || proto == IPPROTO_UDP || proto == IPPROTO_SCTP;
}

int util_proto_from_name(const char *name, uint8_t *ret_proto)
{
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(util_protos); i++) {
		if (strcmp(util_protos[i].name, name) == 0) {
			*ret_proto = util_protos[i].proto;
			return 0;
		}
	}
	return -EINVAL;
}

size_t util_u64_format(uint64_t v, char buf[static UTIL_U64_LEN])
{
	char tmp[UTIL_U64_LEN];
	size_t n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (size_t i = 0; i < n; i++)
		buf[i] = tmp[n - 1 - i];
	buf[n] = '\0';
	return n;
}

size_t util_utf8_next(const char *str, uint32_t *ret_cp)
{
	const unsigned char *s = (const unsigned char *)str;
	uint32_t cp;
	size_t n;

	if (s[0] < 0x80) {
		*ret_cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		cp = s[0] & 0x07;
	} else {
		return 0; /* a stray continuation byte or an overlong lead */
	}
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80) /* also stops at the terminating NUL */
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	*ret_cp = cp;
	return n;
}

bool util_is_control(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f);
}

const char *util_show_escaped(const char *s, size_t len, size_t limit, char *buf)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		char tmp[8];
		size_t n;

		if (c == '"' || c == '\\')
			snprintf(tmp, sizeof(tmp), "\\%c", c);
		else if (c == '\n')
			snprintf(tmp, sizeof(tmp), "\\n");
		else if (c == '\t')
			snprintf(tmp, sizeof(tmp), "\\t");
		else if (c == '\r')
			snprintf(tmp, sizeof(tmp), "\\r");
		else if (c < 0x20 || c >= 0x7f)
			snprintf(tmp, sizeof(tmp), "\\x%02x", c);
		else
			snprintf(tmp, sizeof(tmp), "%c", c);
		n = strlen(tmp);
		if (o + n > limit) {
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		memcpy(buf + o, tmp, n);
		o += n;
	}
	buf[o] = '\0';
	return buf;
}

const char *util_show_printable(const char *s, size_t max, char *buf)
{
	size_t i;

	for (i = 0; s[i] && i < max; i++)
		buf[i] = s[i] >= 0x20 && s[i] <= 0x7e ? s[i] : '?';
	strcpy(buf + i, s[i] ? "..." : "");
	return buf;
}

int util_parse_u64(const char *s, uint64_t max, uint64_t *ret)
{
	uint64_t v = 0;

	if (!s || !*s)
		return -EINVAL;
	for (const char *c = s; *c; c++) {
		if (*c < '0' || *c > '9')
			return -EINVAL;
		if (v > (UINT64_MAX - (uint64_t)(*c - '0')) / 10)
			return -ERANGE;
		v = v * 10 + (uint64_t)(*c - '0');
	}
	if (v > max)
		return -ERANGE;
	*ret = v;
	return 0;
}
