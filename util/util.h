/* SPDX-License-Identifier: Apache-2.0 */
/* util.h - allocation that aborts on OOM, error messages for main, names, times, validation. */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#define UTIL_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * 1 under AddressSanitizer: gcc says so with __SANITIZE_ADDRESS__, clang before 22 only through
 * __has_feature (the fuzz build). Where memory is packed into blocks, ASan builds keep each
 * record an allocation of its own instead, so that its bounds stay checked.
 */
#if defined(__SANITIZE_ADDRESS__)
#define UTIL_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UTIL_ASAN 1
#endif
#endif
#if !defined(UTIL_ASAN)
#define UTIL_ASAN 0
#endif

/*
 * A hash for uthash tables (util/util-uthash.h makes it theirs): one
 * multiply and shift per 8-byte word, then a final mix. Several times cheaper than uthash's
 * default (Jenkins) on the short keys flowlock looks up per flow: addresses, pointers, ids.
 * Not seeded, like uthash's own: it spreads keys, it does not resist chosen collisions.
 */
static inline uint32_t util_hash(const void *key, size_t len)
{
	const unsigned char *p = key;
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ len, w;

	for (; len >= 8; len -= 8, p += 8) {
		__builtin_memcpy(&w, p, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdULL;
		h ^= h >> 32;
	}
	if (len > 0) {
		w = 0;
		__builtin_memcpy(&w, p, len);
		h = (h ^ w) * 0xff51afd7ed558ccdULL;
	}
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return (uint32_t)h;
}
#define UTIL_HASH_FUNCTION(keyptr, keylen, hashv) ((hashv) = util_hash((keyptr), (keylen)))

/* Allocation wrappers: they abort on out-of-memory, so callers carry no OOM branches. */
void *util_zalloc(size_t size);
void *util_reallocarray(void *ptr, size_t nmemb, size_t size);
char *util_strdup(const char *s);
/*
 * Zeroed memory of at least size bytes, in whole blocks of UTIL_BLOCK_SIZE aligned to it, that
 * the kernel may back with huge pages when size is half a block or more: for records made by
 * the hundred thousand (a busy node's flows) and for big rings, where the first touch of every
 * 4 KiB page costs a fault (about 12 us each on a virtual machine with shadow page tables;
 * bench/bench.sh). Aborts on out-of-memory, as util_zalloc() does. util_block_free() takes the
 * same size.
 */
#define UTIL_BLOCK_SIZE ((size_t)2 << 20)
void *util_block_new(size_t size);
void util_block_free(void *block, size_t size);
/*
 * Zeroed memory for a uthash table (util/util-uthash.h): a bucket array of half a block or more
 * from util_block_new(). A busy node's flow table grows to megabytes of buckets, reached at
 * random: in 4 KiB pages each page was a fault (532 of the 2,910 of learn on bench/bench.sh's
 * 2M mix). util_table_free() takes the same size.
 */
void *util_table_new(size_t size);
void util_table_free(void *p, size_t size);
/*
 * A pool: zeroed memory for records made by the thousand, reached at random and freed all at
 * once (a graph's nodes, their ids, its edges and attempts). They are packed one after the other:
 * in a first chunk of 64 KiB, then in blocks (util_block_new(), huge pages advised), so that a busy
 * node's 13,000 edges and 6,000 nodes (3 MB) sit in two huge pages instead of some 780 small ones,
 * each a fault when made and a TLB miss whenever reached. Records are never reused:
 * util_pool_put() gives one back only under ASan, where each is an allocation of its own so
 * that its bounds stay checked; util_pool_free() gives back the rest.
 */
struct util_pool;
struct util_pool *util_pool_new(void);
void *util_pool_zalloc(struct util_pool *p, size_t size);
char *util_pool_strdup(struct util_pool *p, const char *s);
void util_pool_put(struct util_pool *p, void *record);
struct util_pool *util_pool_free(struct util_pool *p);
char *util_strndup(const char *s, size_t n);
/*
 * One shared, counted copy of a string many records repeat (label keys and values: a cluster's
 * pods carry thousands of copies of a few hundred). util_intern() returns it with one more
 * reference; util_intern_drop() gives one back (NULL-safe) and frees it after the last. The
 * text must not be changed. Safe from any thread.
 */
const char *util_intern(const char *s);
void util_intern_drop(const char *s);
char *util_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * An error for main to print: library code never logs, it fills one of these with a complete
 * one-line message ("FILE:LINE:COL: what is wrong") and returns a negative errno.
 */
struct util_err {
	char msg[512];
};

/* Formats the message into err (err may be NULL) and returns -errnum. */
int util_err_set(struct util_err *err, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Replacing a file atomically (util-file.c): util_file_begin creates a temporary file beside
 * path (so that a read-only or missing folder is found before any work), util_file_commit
 * writes len bytes of buf to it, fsyncs it and renames it over path, util_file_abort gives up.
 * Any failure (a full disk at write, fsync or close, a read-only or missing folder) leaves the
 * old file as it was and removes the temporary file; err names path. A new file gets mode, an
 * existing one keeps its own. Commit and abort free f, failed or not.
 */
struct util_file;
int util_file_begin(const char *path, mode_t mode, struct util_file **ret, struct util_err *err);
int util_file_commit(struct util_file *f, const void *buf, size_t len, struct util_err *err);
/* The temporary file, for writing it as it is made: then commit with no buffer. */
int util_file_fd(const struct util_file *f);
/* write(2) until all of buf is written; -errno on failure (EIO when nothing more goes). */
int util_write_all(int fd, const void *buf, size_t len);
void util_file_abort(struct util_file *f);
/* The folder path is in, opened O_DIRECTORY (a file descriptor), or -errno. */
int util_file_dir_open(const char *path);
/* begin and commit in one */
int util_file_replace(const char *path, const void *buf, size_t len, mode_t mode,
		      struct util_err *err);

/*
 * IP addresses and prefixes (util-addr.c): the one parser and formatter every module uses.
 * IPv4 lives in the first 4 bytes of an address and the other 12 are zero. Addresses sort IPv4
 * first, then by value.
 */
struct util_addr {
	uint8_t family; /* AF_INET or AF_INET6 */
	uint8_t bytes[16];
};
/* Renders "192.0.2.1" or "2001:db8::1" (inet_ntop's spelling); buf needs UTIL_ADDR_LEN bytes. */
#define UTIL_ADDR_LEN 46
const char *util_addr_format(const struct util_addr *a, char buf[static UTIL_ADDR_LEN]);
int util_addr_parse(const char *s, struct util_addr *ret);
int util_addr_compare(const struct util_addr *a, const struct util_addr *b);
/* Clears every bit of a after the first len. */
void util_addr_mask(struct util_addr *a, unsigned len);

struct util_prefix {
	struct util_addr addr;
	unsigned len; /* 0..32 or 0..128 */
};
enum {
	UTIL_PREFIX_HOST = 1 << 0,	/* a bare "ADDR" is ADDR/32 or ADDR/128 */
	UTIL_PREFIX_MASK = 1 << 1,	/* clear the host bits */
	UTIL_PREFIX_CANONICAL = 1 << 2, /* only inet_ntop's spelling, no leading zero in LEN */
};
/* "ADDR/LEN" with LEN within the family's bits; -EINVAL for anything else; ret untouched then. */
int util_prefix_parse(const char *s, unsigned flags, struct util_prefix *ret);
#define UTIL_PREFIX_LEN (UTIL_ADDR_LEN + 4)
const char *util_prefix_format(const struct util_prefix *p, char buf[static UTIL_PREFIX_LEN]);
/* Whether outer holds every address of inner; whether a and b share one. Same family only. */
bool util_prefix_contains(const struct util_prefix *outer, const struct util_prefix *inner);
bool util_prefix_overlap(const struct util_prefix *a, const struct util_prefix *b);

/* Warnings (non-fatal) go through a callback so that main decides where they are printed. */
typedef void (*util_warn_fn)(void *userdata, const char *msg);
/*
 * Says a warning through warn (may be NULL) unless *said holds its text already: each is said once
 * (the same peer shows up from both its ends, the same file is loaded again). Control characters
 * in the message become '?' (names reach a terminal). util_said_free forgets them all.
 */
struct util_said;
void util_warn_once(struct util_said **said, util_warn_fn warn, void *userdata, const char *fmt,
		    ...) __attribute__((format(printf, 4, 5)));
void util_said_free(struct util_said **said);

/* IP protocol numbers <-> the names used in every output ("TCP", "UDP", "SCTP", "ICMP", "ICMPv6").
 */
const char *util_proto_name(uint8_t proto);
int util_proto_from_name(const char *name, uint8_t *ret_proto);
/* Whether the protocol has ports, and so server ports that policies name: TCP, UDP, SCTP. */
bool util_proto_has_ports(uint8_t proto);

/*
 * Times (util-time.c) are nanoseconds: since the epoch on CLOCK_REALTIME, rendered as RFC 3339
 * UTC with nanoseconds, or since boot on CLOCK_MONOTONIC for deadlines. util_now_ns gives 0 if
 * the clock cannot be read.
 */
#define UTIL_NSEC_PER_SEC  1000000000ULL
#define UTIL_NSEC_PER_MSEC 1000000ULL
uint64_t util_now_ns(clockid_t clock);
#define UTIL_TIME_LEN 40
void util_time_format(uint64_t ns, char buf[static UTIL_TIME_LEN]);
int util_time_parse(const char *s, uint64_t *ret_ns);
/*
 * Only exactly what util_time_format() writes (nine digits, "Z", a real date), parsed without
 * strptime(): 0 when s is such a time, which util_time_parse() reads the same; else -EINVAL.
 */
int util_time_parse_canonical(const char *s, uint64_t *ret_ns);

/*
 * The UTF-8 character at s (NUL-terminated): returns its length in bytes and sets *ret_cp, or
 * returns 0 for invalid UTF-8 (overlong, surrogate, beyond U+10FFFF, cut short).
 */
size_t util_utf8_next(const char *s, uint32_t *ret_cp);
/* C0 and C1 control characters and DEL: nothing an output should pass through to a terminal. */
bool util_is_control(uint32_t cp);

/* Decimal digits of v without printf; returns the length. */
#define UTIL_U64_LEN 21
size_t util_u64_format(uint64_t v, char buf[static UTIL_U64_LEN]);

/*
 * Untrusted text quoted in a one-line message. util_show_escaped: the first len bytes of s with
 * quotes, backslashes, \n, \t and \r escaped and any other byte outside printable ASCII as \xNN;
 * it stops before the text passes limit characters and ends with "..." when cut, so buf needs
 * limit + 4 bytes. util_show_printable: anything not printable ASCII becomes '?', at most max
 * characters and then "...", so buf needs max + 4 bytes.
 */
const char *util_show_escaped(const char *s, size_t len, size_t limit, char *buf);
const char *util_show_printable(const char *s, size_t max, char *buf);

/* Strict unsigned parse of a whole string: no sign, no spaces, no trailing text, <= max. */
int util_parse_u64(const char *s, uint64_t max, uint64_t *ret);

/*
 * Kubernetes name and label rules (util-k8s.c). Everything that reaches an emitted policy has
 * passed one of these; inputs that fail them are rejected where they are read.
 */
bool util_k8s_dns_label(const char *s);	    /* RFC 1123 label, <= 63: namespaces, service names */
bool util_k8s_dns_subdomain(const char *s); /* RFC 1123 subdomain, <= 253: object names */
bool util_k8s_label_key(const char *s);	    /* [prefix/]name */
bool util_k8s_label_value(const char *s);   /* empty or <= 63 [A-Za-z0-9._-], alnum at both ends */
bool util_k8s_port_name(const char *s);	    /* IANA service name: <= 15 of [a-z0-9-], a letter */
bool util_k8s_kind(const char *s);	    /* a kind, "ReplicaSet": <= 63 [A-Za-z0-9], A-Z first */
bool util_k8s_controller(const char *s);    /* a kind, or KIND.GROUP: "Rollout.argoproj.io" */
/* kube-system, kube-public, kube-node-lease: where Kubernetes runs itself. */
bool util_k8s_system_namespace(const char *s);

/*
 * Which namespaces emit writes policies for and verify reports on (--namespace GLOB,
 * --exclude-namespace GLOB, fnmatch patterns). With includes, only namespaces matching one are
 * in; a matching exclude takes one out. The system namespaces are left out unless an include
 * that starts with "kube-" matches them: "*" never locks Kubernetes' own.
 */
enum util_scope {
	UTIL_SCOPE_IN = 0,
	UTIL_SCOPE_EXCLUDED, /* by the user's patterns */
	UTIL_SCOPE_SYSTEM,   /* a system namespace no include named */
};
enum util_scope util_k8s_namespace_scope(const char *ns, const char *const *include,
					 size_t n_include, const char *const *exclude,
					 size_t n_exclude);

/* Docker container names and compose project/service labels: [A-Za-z0-9][A-Za-z0-9_.-]*, <= 253. */
bool util_docker_name(const char *s);

/*
 * Becomes user (and their groups, so a docker group keeps the engine's socket reachable) and
 * keeps only CAP_NET_RAW and CAP_NET_ADMIN, which attaching to interfaces that appear later and
 * growing netlink buffers still need; every other capability is dropped from the bounding set
 * too, and no_new_privs is set. For a process that has already opened what it needs as root.
 */
int util_drop_privileges(const char *user, struct util_err *err);
