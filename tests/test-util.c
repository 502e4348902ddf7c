/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test-util.c - table-driven tests of names, times, numbers, addresses and prefixes, the
 * Kubernetes naming rules and the atomic file writer.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/util.h"
#include "util/util-uthash.h"
#include "util/util-yaml.h"
#include "tests/test-helpers.h"
#include "tests/test-faults.h"

static const struct {
	uint64_t ns;
	const char *text;
} time_cases[] = {
	{0, "1970-01-01T00:00:00.000000000Z"},
	{1, "1970-01-01T00:00:00.000000001Z"},
	{1795356005123456789ull, "2026-11-22T14:00:05.123456789Z"},
	{951782400000000000ull, "2000-02-29T00:00:00.000000000Z"},
	{4102444799999999999ull, "2099-12-31T23:59:59.999999999Z"},
};

START_TEST(test_time_round_trip)
{
	char buf[UTIL_TIME_LEN];
	uint64_t ns = 0;

	util_time_format(time_cases[_i].ns, buf);
	ck_assert_str_eq(buf, time_cases[_i].text);
	ck_assert_int_eq(util_time_parse(time_cases[_i].text, &ns), 0);
	ck_assert_uint_eq(ns, time_cases[_i].ns);
}
END_TEST

/*
 * The state's fast reading of its own times agrees with parse-then-format on everything: the
 * times it writes, dates that do not exist, leap days and seconds, the edges of the range, and
 * each of those with one character changed.
 */
static const char *const canonical_seeds[] = {
	"2026-11-22T14:00:05.123456789Z", "1970-01-01T00:00:00.000000000Z",
	"2024-02-29T23:59:59.999999999Z", "2026-02-29T00:00:00.000000000Z",
	"2000-02-29T12:00:00.000000000Z", "1900-02-29T12:00:00.000000000Z",
	"2026-04-31T00:00:00.000000000Z", "2026-12-31T23:59:60.000000000Z",
	"2554-07-21T23:34:33.709551615Z", "2554-07-21T23:34:33.709551616Z",
	"9999-12-31T23:59:59.999999999Z", "1969-12-31T23:59:59.999999999Z",
	"2026-13-01T00:00:00.000000000Z", "2026-00-10T00:00:00.000000000Z",
	"2026-11-22T24:00:00.000000000Z", "2026-11-22 14:00:05.123456789Z",
	"2026-11-22T14:00:05.12345678Z",  "2026-11-22T14:00:05.123456789z",
};

START_TEST(test_time_parse_canonical)
{
	const char *seed = canonical_seeds[_i];
	static const char alphabet[] = "0123456789-T:.Z +";
	char s[40];

	for (size_t pos = 0; pos <= strlen(seed); pos++) {
		for (size_t k = 0; k < sizeof(alphabet); k++) {
			char canon[UTIL_TIME_LEN];
			uint64_t fast = 0, slow = 0;
			bool fast_ok, slow_ok;

			snprintf(s, sizeof(s), "%s", seed);
			if (pos < strlen(seed))
				s[pos] = k < sizeof(alphabet) - 1 ? alphabet[k] : s[pos];
			fast_ok = util_time_parse_canonical(s, &fast) == 0;
			slow_ok = util_time_parse(s, &slow) == 0 &&
				  (util_time_format(slow, canon), strcmp(canon, s) == 0);
			ck_assert_msg(fast_ok == slow_ok, "\"%s\": fast %d, slow %d", s, fast_ok,
				      slow_ok);
			if (fast_ok)
				ck_assert_uint_eq(fast, slow);
		}
	}
}
END_TEST

static const struct {
	const char *text;
	int ret;
	uint64_t ns;
} time_parse_cases[] = {
	{"2026-11-22T14:00:05Z", 0, 1795356005000000000ull},
	{"2026-11-22T14:00:05.5Z", 0, 1795356005500000000ull},
	{"2026-11-22T14:00:05.Z", -EINVAL, 0},
	{"2026-11-22T14:00:05.1234567890Z", -EINVAL, 0},
	{"2026-11-22T14:00:05", -EINVAL, 0},
	{"2026-11-22T14:00:05+01:00", -EINVAL, 0},
	{"2026-11-22T14:00:05Zjunk", -EINVAL, 0},
	{"yesterday", -EINVAL, 0},
	{"", -EINVAL, 0},
};

START_TEST(test_time_parse)
{
	uint64_t ns = 42;

	ck_assert_int_eq(util_time_parse(time_parse_cases[_i].text, &ns), time_parse_cases[_i].ret);
	ck_assert_uint_eq(ns, time_parse_cases[_i].ret == 0 ? time_parse_cases[_i].ns : 42);
}
END_TEST

static const struct {
	const char *text;
	uint64_t max;
	int ret;
	uint64_t value;
} u64_cases[] = {
	{"0", 10, 0, 0},
	{"65535", 65535, 0, 65535},
	{"65536", 65535, -ERANGE, 0},
	{"18446744073709551615", UINT64_MAX, 0, UINT64_MAX},
	{"18446744073709551616", UINT64_MAX, -ERANGE, 0},
	{"", 10, -EINVAL, 0},
	{"-1", 10, -EINVAL, 0},
	{"+1", 10, -EINVAL, 0},
	{" 1", 10, -EINVAL, 0},
	{"1 ", 10, -EINVAL, 0},
	{"0x10", 100, -EINVAL, 0},
};

START_TEST(test_parse_u64)
{
	uint64_t v = 7;

	ck_assert_int_eq(util_parse_u64(u64_cases[_i].text, u64_cases[_i].max, &v),
			 u64_cases[_i].ret);
	ck_assert_uint_eq(v, u64_cases[_i].ret == 0 ? u64_cases[_i].value : 7);
}
END_TEST

static const struct {
	uint8_t proto;
	const char *name;
	bool ports;
} proto_cases[] = {
	{IPPROTO_TCP, "TCP", true},	   {IPPROTO_UDP, "UDP", true},
	{IPPROTO_SCTP, "SCTP", true},	   {IPPROTO_ICMP, "ICMP", false},
	{IPPROTO_ICMPV6, "ICMPv6", false}, {IPPROTO_GRE, NULL, false},
};

START_TEST(test_proto_names)
{
	const char *name = util_proto_name(proto_cases[_i].proto);
	uint8_t p = 0;

	ck_assert_int_eq(util_proto_has_ports(proto_cases[_i].proto), proto_cases[_i].ports);
	if (!proto_cases[_i].name) {
		ck_assert_ptr_null(name);
		ck_assert_int_eq(util_proto_from_name("GRE", &p), -EINVAL);
		return;
	}
	ck_assert_str_eq(name, proto_cases[_i].name);
	ck_assert_int_eq(util_proto_from_name(name, &p), 0);
	ck_assert_uint_eq(p, proto_cases[_i].proto);
}
END_TEST

enum rule {
	DNS_LABEL,
	DNS_SUBDOMAIN,
	LABEL_KEY,
	LABEL_VALUE,
	DOCKER_NAME,
	PORT_NAME,
	KIND,
	CONTROLLER,
};

static const struct {
	enum rule rule;
	const char *text;
	bool valid;
} name_cases[] = {
	{DNS_LABEL, "shop", true},
	{DNS_LABEL, "kube-system", true},
	{DNS_LABEL, "Shop", false},
	{DNS_LABEL, "-shop", false},
	{DNS_LABEL, "shop-", false},
	{DNS_LABEL, "a.b", false},
	{DNS_LABEL, "", false},
	{DNS_LABEL, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", true},
	{DNS_LABEL, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false},
	{DNS_SUBDOMAIN, "frontend-7d4b9c", true},
	{DNS_SUBDOMAIN, "a.b.c", true},
	{DNS_SUBDOMAIN, "a..b", false},
	{DNS_SUBDOMAIN, "a.-b", false},
	{DNS_SUBDOMAIN, "a_b", false},
	{DNS_SUBDOMAIN, "web\"; x", false},
	{LABEL_KEY, "app", true},
	{LABEL_KEY, "app.kubernetes.io/name", true},
	{LABEL_KEY, "Tier_1", true},
	{LABEL_KEY, "/app", false},
	{LABEL_KEY, "example.com/", false},
	{LABEL_KEY, "a/b/c", false},
	{LABEL_KEY, "app name", false},
	{LABEL_KEY, "app\n", false},
	{LABEL_VALUE, "", true},
	{LABEL_VALUE, "v1.2_3-x", true},
	{LABEL_VALUE, "-v1", false},
	{LABEL_VALUE, "a\"b", false},
	{LABEL_VALUE, "a\nb", false},
	{LABEL_VALUE, "a;b", false},
	{LABEL_VALUE, "{a}", false},
	{DOCKER_NAME, "shop_web_1", true},
	{DOCKER_NAME, "Web.1-a", true},
	{DOCKER_NAME, "_web", false},
	{DOCKER_NAME, "web\"; drop", false},
	{DOCKER_NAME, "web}", false},
	{DOCKER_NAME, "", false},
	{PORT_NAME, "http", true},
	{PORT_NAME, "metrics-9090", true},
	{PORT_NAME, "123456789012345a", false}, /* 16 characters */
	{PORT_NAME, "8080", false},		/* no letter */
	{PORT_NAME, "a--b", false},
	{PORT_NAME, "Http", false},
	{PORT_NAME, "-http", false},
	{PORT_NAME, "", false},
	{KIND, "ReplicaSet", true},
	{KIND, "V1", true},
	{KIND, "replicaSet", false},
	{KIND, "Replica-Set", false},
	{KIND, "Pod\n", false},
	{KIND, "", false},
	{KIND, "Aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", true},
	{KIND, "Aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false},
	{KIND, "Job.batch.volcano.sh", false},
	{CONTROLLER, "Deployment", true},
	{CONTROLLER, "Rollout.argoproj.io", true},
	{CONTROLLER, "Job.batch.volcano.sh", true},
	{CONTROLLER, "Job.", false},
	{CONTROLLER, ".argoproj.io", false},
	{CONTROLLER, "job.batch.volcano.sh", false}, /* the kind starts upper-case */
	{CONTROLLER, "Job.Batch.volcano.sh", false}, /* groups are lower-case */
	{CONTROLLER, "Job.batch..sh", false},
	{CONTROLLER, "Job.batch/v1", false},
	{CONTROLLER, "Job.batch.volcano.sh\n", false},
};

START_TEST(test_names)
{
	const char *s = name_cases[_i].text;
	bool got = false;

	switch (name_cases[_i].rule) {
	case DNS_LABEL:
		got = util_k8s_dns_label(s);
		break;
	case DNS_SUBDOMAIN:
		got = util_k8s_dns_subdomain(s);
		break;
	case LABEL_KEY:
		got = util_k8s_label_key(s);
		break;
	case LABEL_VALUE:
		got = util_k8s_label_value(s);
		break;
	case DOCKER_NAME:
		got = util_docker_name(s);
		break;
	case PORT_NAME:
		got = util_k8s_port_name(s);
		break;
	case KIND:
		got = util_k8s_kind(s);
		break;
	case CONTROLLER:
		got = util_k8s_controller(s);
		break;
	}
	ck_assert_msg(got == name_cases[_i].valid, "rule %d on \"%s\": got %d", name_cases[_i].rule,
		      s, got);
}
END_TEST

static const struct {
	const char *bytes;
	size_t len; /* 0: invalid */
	uint32_t cp;
	bool control;
} utf8_cases[] = {
	{"a", 1, 'a', false},
	{"\x7f", 1, 0x7f, true},
	{"\x1b[31m", 1, 0x1b, true},
	{"\xc2\x85", 2, 0x85, true},	    /* C1 NEL */
	{"\xc3\xa9", 2, 0xe9, false},	    /* e acute */
	{"\xe2\x80\xa8", 3, 0x2028, false}, /* line separator: printable to the decoder */
	{"\xf0\x9f\x98\x80", 4, 0x1f600, false},
	{"\xc0\xaf", 0, 0, false},	   /* overlong '/' */
	{"\xe0\x80\xaf", 0, 0, false},	   /* overlong, 3 bytes */
	{"\xed\xa0\x80", 0, 0, false},	   /* surrogate */
	{"\xf4\x90\x80\x80", 0, 0, false}, /* beyond U+10FFFF */
	{"\x80", 0, 0, false},		   /* stray continuation */
	{"\xe2\x80", 0, 0, false},	   /* cut short by the NUL */
	{"\xff", 0, 0, false},
};

START_TEST(test_utf8)
{
	uint32_t cp = 0xdeadbeef;
	size_t n = util_utf8_next(utf8_cases[_i].bytes, &cp);

	ck_assert_uint_eq(n, utf8_cases[_i].len);
	if (n) {
		ck_assert_uint_eq(cp, utf8_cases[_i].cp);
		ck_assert(util_is_control(cp) == utf8_cases[_i].control);
	} else {
		ck_assert_uint_eq(cp, 0xdeadbeef);
	}
}
END_TEST

static const struct {
	uint64_t v;
	const char *text;
} u64_format_cases[] = {
	{0, "0"},
	{7, "7"},
	{10, "10"},
	{65535, "65535"},
	{1000000000000ull, "1000000000000"},
	{UINT64_MAX, "18446744073709551615"},
};

START_TEST(test_u64_format)
{
	char buf[UTIL_U64_LEN];

	ck_assert_uint_eq(util_u64_format(u64_format_cases[_i].v, buf),
			  strlen(u64_format_cases[_i].text));
	ck_assert_str_eq(buf, u64_format_cases[_i].text);
}
END_TEST

static const struct {
	const char *in;
	size_t limit;
	const char *escaped;   /* util_show_escaped(in, strlen(in), limit) */
	const char *printable; /* util_show_printable(in, limit) */
} show_cases[] = {
	{"web", 10, "web", "web"},
	{"a\"b\\c", 10, "a\\\"b\\\\c", "a\"b\\c"},
	{"a\nb\tc\rd", 20, "a\\nb\\tc\\rd", "a?b?c?d"},
	{"\x1b[31m\x7f\xc3\xa9", 40, "\\x1b[31m\\x7f\\xc3\\xa9", "?[31m???"},
	{"abcdefghij", 4, "abcd...", "abcd..."},
	{"abc\ndef", 4, "abc...", "abc?..."},
	{"", 4, "", ""},
};

START_TEST(test_show)
{
	char buf[64];

	ck_assert_str_eq(util_show_escaped(show_cases[_i].in, strlen(show_cases[_i].in),
					   show_cases[_i].limit, buf),
			 show_cases[_i].escaped);
	ck_assert_str_eq(util_show_printable(show_cases[_i].in, show_cases[_i].limit, buf),
			 show_cases[_i].printable);
}
END_TEST

START_TEST(test_err_one_line)
{
	struct util_err err;

	ck_assert_int_eq(util_err_set(&err, EINVAL, "%s: bad\nvalue\r", "f.yaml"), -EINVAL);
	ck_assert_str_eq(err.msg, "f.yaml: bad value ");
	ck_assert_int_eq(util_err_set(NULL, -ENOENT, "x"), -ENOENT);
}
END_TEST

/* A warning callback that keeps what it was told, joined by '|'. */
static void said_collect(void *userdata, const char *msg)
{
	char *buf = userdata;

	if (*buf)
		strcat(buf, "|");
	strcat(buf, msg);
}

/* Each text is said once; control characters are shown as '?' and count as the same text. */
START_TEST(test_warn_once)
{
	struct util_said *said = NULL;
	char heard[256] = "";

	util_warn_once(&said, said_collect, heard, "%s: no labels", "shop/web");
	util_warn_once(&said, said_collect, heard, "%s: no labels", "shop/web");
	util_warn_once(&said, said_collect, heard, "%s: no labels", "shop/db");
	util_warn_once(&said, said_collect, heard, "evil\x1b[2J%s", "\n");
	util_warn_once(&said, said_collect, heard, "evil?[2J?");
	util_warn_once(&said, NULL, NULL, "quiet");	     /* no callback: noted, not said */
	util_warn_once(&said, said_collect, heard, "quiet"); /* and so not said later either */
	ck_assert_str_eq(heard, "shop/web: no labels|shop/db: no labels|evil?[2J?");
	util_said_free(&said);
	ck_assert_ptr_null(said);
	util_warn_once(&said, said_collect, heard, "%s: no labels", "shop/web"); /* forgotten */
	ck_assert_str_eq(heard,
			 "shop/web: no labels|shop/db: no labels|evil?[2J?|shop/web: no labels");
	util_said_free(&said);
}
END_TEST

/* ---- The atomic file writer --------------------------------------------------------------- */

enum replace_setup {
	REPLACE_NEW,	     /* no file yet: created with the given mode */
	REPLACE_LONGER,	     /* a longer file is replaced whole, its mode kept */
	REPLACE_EMPTY,	     /* nothing to write: an empty file */
	REPLACE_NO_DIR,	     /* the directory does not exist */
	REPLACE_DIR_IS_FILE, /* a path component is a regular file */
	REPLACE_TARGET_DIR,  /* rename fails after the temporary file was written */
	REPLACE_READ_ONLY,   /* no permission to create the temporary file */
	REPLACE_WRITE_FAILS, /* write() fails (a file size limit: EFBIG, as ENOSPC would) */
	REPLACE_FSYNC_FAILS, /* every write took, fsync() says the disk is full */
	REPLACE_CLOSE_FAILS, /* every write and fsync took, close() says the disk is full */
};

static const struct replace_case {
	const char *name;
	enum replace_setup setup;
	const char *expect; /* NULL: success */
} replace_cases[] = {
	{"new file", REPLACE_NEW, NULL},
	{"replace a longer file", REPLACE_LONGER, NULL},
	{"empty", REPLACE_EMPTY, NULL},
	{"no directory", REPLACE_NO_DIR, ": creating a temporary file: No such file or directory"},
	{"directory is a file", REPLACE_DIR_IS_FILE,
	 ": creating a temporary file: Not a directory"},
	{"target is a directory", REPLACE_TARGET_DIR, ": rename: Is a directory"},
	{"read-only directory", REPLACE_READ_ONLY,
	 ": creating a temporary file: Permission denied"},
	{"write fails", REPLACE_WRITE_FAILS, ": writing: File too large"},
	{"fsync fails", REPLACE_FSYNC_FAILS, ": fsync: No space left on device"},
	{"close fails", REPLACE_CLOSE_FAILS, ": closing: No space left on device"},
};

static int replace_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)remove(path);
	return 0;
}

static size_t replace_temp_files(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t n = 0;

	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)))
		if (strstr(de->d_name, ".tmp."))
			n++;
	closedir(d);
	return n;
}

START_TEST(test_file_replace)
{
	const struct replace_case *c = &replace_cases[_i];
	static const char data[] = "kind: NetworkPolicy\nspec: {}\n";
	const char *want = c->setup == REPLACE_EMPTY ? "" : data;
	char dir[] = "/tmp/test-util-XXXXXX", *path, *old = NULL, *after;
	struct util_err err = {""};
	struct rlimit saved_limit;
	struct stat st;
	int r;

	if (c->setup == REPLACE_READ_ONLY && geteuid() == 0) {
		/* root ignores directory permissions; be somebody else in this forked test */
		if (srunner_fork_status(test_runner) == CK_NOFORK)
			return;
		ck_assert_int_eq(setgid(65534), 0);
		ck_assert_int_eq(setuid(65534), 0);
	}
	ck_assert_ptr_nonnull(mkdtemp(dir));
	path = util_asprintf("%s/out.yaml", dir);
	if (c->setup != REPLACE_NEW && c->setup != REPLACE_NO_DIR &&
	    c->setup != REPLACE_DIR_IS_FILE && c->setup != REPLACE_TARGET_DIR) {
		old = util_asprintf("%s%s%s", data, data, "# a longer file than the new one\n");
		test_write_file(path, old, strlen(old));
		ck_assert_int_eq(chmod(path, 0600), 0);
	}
	switch (c->setup) {
	case REPLACE_NO_DIR:
		free(path);
		path = util_asprintf("%s/missing/out.yaml", dir);
		break;
	case REPLACE_DIR_IS_FILE:
		test_write_file(path, "x", 1);
		free(path);
		path = util_asprintf("%s/out.yaml/out.yaml", dir);
		break;
	case REPLACE_TARGET_DIR:
		ck_assert_int_eq(mkdir(path, 0755), 0);
		break;
	case REPLACE_READ_ONLY:
		ck_assert_int_eq(chmod(dir, 0555), 0);
		break;
	case REPLACE_WRITE_FAILS:
		signal(SIGXFSZ, SIG_IGN);
		ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &saved_limit), 0);
		ck_assert_int_eq(
			setrlimit(RLIMIT_FSIZE, &(struct rlimit){10, saved_limit.rlim_max}), 0);
		break;
	case REPLACE_FSYNC_FAILS:
		fault_fsync_errno = ENOSPC;
		break;
	case REPLACE_CLOSE_FAILS:
		fault_close_errno = ENOSPC;
		break;
	default:
		break;
	}

	r = util_file_replace(path, want, strlen(want), 0644, &err);
	if (c->setup == REPLACE_WRITE_FAILS)
		ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &saved_limit), 0);
	/* the fault was used, not left armed for whatever runs next */
	ck_assert_int_eq(fault_fsync_errno + fault_close_errno, 0);

	if (!c->expect) {
		ck_assert_msg(r == 0, "%s: %s", c->name, err.msg);
		after = test_read_file(path, NULL);
		ck_assert_str_eq(after, want);
		free(after);
		ck_assert_int_eq(stat(path, &st), 0);
		ck_assert_uint_eq(st.st_mode & 07777, old ? 0600 : 0644);
	} else {
		ck_assert_msg(r < 0, "%s: saved", c->name);
		ck_assert_msg(strstr(err.msg, c->expect), "%s: got \"%s\"", c->name, err.msg);
		ck_assert_msg(strncmp(err.msg, path, strlen(path)) == 0, "%s", err.msg);
		ck_assert_msg(!strchr(err.msg, '\n'), "%s", err.msg);
		if (old) {
			after = test_read_file(path, NULL);
			ck_assert_str_eq(after, old);
			free(after);
			ck_assert_int_eq(stat(path, &st), 0);
			ck_assert_uint_eq(st.st_mode & 07777, 0600);
		}
		if (c->setup == REPLACE_TARGET_DIR)
			ck_assert_int_eq(stat(path, &st) == 0 && S_ISDIR(st.st_mode), 1);
	}
	ck_assert_uint_eq(replace_temp_files(dir), 0);

	(void)chmod(dir, 0700);
	(void)nftw(dir, replace_rm_one, 8, FTW_DEPTH | FTW_PHYS);
	free(path);
	free(old);
}
END_TEST

/* A writer that gives up (the render failed) leaves the old file and no temporary file. */
START_TEST(test_file_abort)
{
	char dir[] = "/tmp/test-util-XXXXXX", *path, *after;
	struct util_err err = {""};
	struct util_file *f = NULL;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	path = util_asprintf("%s/out.yaml", dir);
	test_write_file(path, "old\n", 4);
	ck_assert_int_eq(util_file_begin(path, 0644, &f, &err), 0);
	ck_assert_uint_eq(replace_temp_files(dir), 1);
	util_file_abort(f);
	util_file_abort(NULL);
	ck_assert_uint_eq(replace_temp_files(dir), 0);
	after = test_read_file(path, NULL);
	ck_assert_str_eq(after, "old\n");
	free(after);
	(void)nftw(dir, replace_rm_one, 8, FTW_DEPTH | FTW_PHYS);
	free(path);
}
END_TEST

/* ---- Addresses ---------------------------------------------------------------------------- */

struct addr_case {
	const char *in;
	int ret;
	uint8_t family;
	const char *out; /* how it renders back */
};

static const struct addr_case addr_cases[] = {
	{"192.0.2.1", 0, AF_INET, "192.0.2.1"},
	{"0.0.0.0", 0, AF_INET, "0.0.0.0"},
	{"2001:db8::1", 0, AF_INET6, "2001:db8::1"},
	{"2001:DB8:0:0:0:0:0:1", 0, AF_INET6, "2001:db8::1"},
	{"::ffff:192.0.2.1", 0, AF_INET6, "::ffff:192.0.2.1"},
	{"", -EINVAL, 0, NULL},
	{"1.2.3", -EINVAL, 0, NULL},
	{"300.1.1.1", -EINVAL, 0, NULL},
	{"1.2.3.4 ", -EINVAL, 0, NULL},
	{"fe80::1%eth0", -EINVAL, 0, NULL},
	{"10.0.0.1/8", -EINVAL, 0, NULL},
	{"1.2.3.4\n", -EINVAL, 0, NULL},
};

START_TEST(test_addr)
{
	const struct addr_case *ac = &addr_cases[_i];
	struct util_addr a, b, zero = {0};
	char buf[UTIL_ADDR_LEN];

	memset(&a, 0x5a, sizeof(a));
	ck_assert_int_eq(util_addr_parse(ac->in, &a), ac->ret);
	if (ac->ret < 0) {
		ck_assert_uint_eq(a.family, 0x5a); /* untouched on failure */
		return;
	}
	ck_assert_uint_eq(a.family, ac->family);
	if (a.family == AF_INET)
		ck_assert_mem_eq(a.bytes + 4, zero.bytes, 12);
	ck_assert_str_eq(util_addr_format(&a, buf), ac->out);
	ck_assert_int_eq(util_addr_parse(buf, &b), 0);
	ck_assert_int_eq(util_addr_compare(&a, &b), 0);
	/* IPv4 sorts before IPv6, and within a family by value. */
	ck_assert_int_eq(util_addr_parse("255.255.255.255", &b), 0);
	if (a.family == AF_INET) {
		ck_assert_int_lt(util_addr_compare(&a, &b), 0);
		ck_assert_int_gt(util_addr_compare(&b, &a), 0);
	} else {
		ck_assert_int_gt(util_addr_compare(&a, &b), 0);
		ck_assert_int_lt(util_addr_compare(&b, &a), 0);
	}
	ck_assert_int_eq(util_addr_parse("::", &b), 0);
	if (a.family == AF_INET)
		ck_assert_int_gt(util_addr_compare(&b, &a), 0);
	else
		ck_assert_int_lt(util_addr_compare(&b, &a), 0);
}
END_TEST

static const struct prefix_case {
	const char *in;
	unsigned flags;
	int ret;
	const char *addr; /* as it renders */
	unsigned len;
} prefix_cases[] = {
#define M UTIL_PREFIX_MASK
#define H UTIL_PREFIX_HOST
#define C UTIL_PREFIX_CANONICAL
	{"10.244.1.7/24", M, 0, "10.244.1.0", 24},
	{"10.244.1.7/32", M, 0, "10.244.1.7", 32},
	{"10.244.1.7/0", M, 0, "0.0.0.0", 0},
	{"192.0.2.255/25", M, 0, "192.0.2.128", 25},
	{"fd00:10:244:1::9/64", M, 0, "fd00:10:244:1::", 64},
	{"fd00:10:96::abcd/108", M, 0, "fd00:10:96::", 108},
	{"2001:db8::1/128", M, 0, "2001:db8::1", 128},
	{"2001:db8:ffff::/33", M, 0, "2001:db8:8000::", 33},
	{"10.0.0.1", H | M, 0, "10.0.0.1", 32},
	{"2001:db8::1", H | M, 0, "2001:db8::1", 128},
	{"10.0.0.1", M, -EINVAL, NULL, 0},
	{"10.0.0.1/33", H | M, -EINVAL, NULL, 0},
	{"2001:db8::/129", H | M, -EINVAL, NULL, 0},
	{"10.0.0.1/", H | M, -EINVAL, NULL, 0},
	{"10.0.0.1/-1", H | M, -EINVAL, NULL, 0},
	{"10.0.0.1/8/8", H | M, -EINVAL, NULL, 0},
	{"10.0.0.1/ 8", H | M, -EINVAL, NULL, 0},
	{"/8", H | M, -EINVAL, NULL, 0},
	{"", H | M, -EINVAL, NULL, 0},
	{"10.0.0/8", H | M, -EINVAL, NULL, 0},
	/* without MASK the host bits stay, as a workload's own address does */
	{"10.244.1.7/24", 0, 0, "10.244.1.7", 24},
	{"10.244.1.7", H, 0, "10.244.1.7", 32},
	{"10.244.1.7/08", 0, 0, "10.244.1.7", 8},
	/* canonical: inet_ntop's spelling and no leading zero, so that two texts never alias */
	{"10.244.1.7/8", C, 0, "10.244.1.7", 8},
	{"10.244.1.7/0", C, 0, "10.244.1.7", 0},
	{"2001:db8::1/64", C, 0, "2001:db8::1", 64},
	{"10.244.1.7/08", C, -EINVAL, NULL, 0},
	{"2001:DB8::1/64", C, -EINVAL, NULL, 0},
	{"2001:db8:0::1/64", C, -EINVAL, NULL, 0},
	{"::ffff:10.0.0.1/128", C, 0, "::ffff:10.0.0.1", 128},
	{"10.244.1.7", C, -EINVAL, NULL, 0},
	{"10.244.1.7", H | C, 0, "10.244.1.7", 32},
	{"ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255:1/128", H, -EINVAL, NULL, 0},
#undef M
#undef H
#undef C
};

START_TEST(test_prefix_parse)
{
	const struct prefix_case *pc = &prefix_cases[_i];
	struct util_prefix p, zero = {0};
	char buf[UTIL_ADDR_LEN], pbuf[UTIL_PREFIX_LEN], want[UTIL_PREFIX_LEN];

	memset(&p, 0x5a, sizeof(p));
	ck_assert_int_eq(util_prefix_parse(pc->in, pc->flags, &p), pc->ret);
	if (pc->ret < 0) {
		ck_assert_uint_eq(p.addr.family, 0x5a); /* untouched on failure */
		ck_assert_uint_eq(p.len, 0x5a5a5a5a);
		return;
	}
	ck_assert_str_eq(util_addr_format(&p.addr, buf), pc->addr);
	ck_assert_uint_eq(p.len, pc->len);
	if (p.addr.family == AF_INET)
		ck_assert_mem_eq(p.addr.bytes + 4, zero.addr.bytes, 12);
	snprintf(want, sizeof(want), "%s/%u", pc->addr, pc->len);
	ck_assert_str_eq(util_prefix_format(&p, pbuf), want);
	/* every prefix holds itself and overlaps itself */
	ck_assert(util_prefix_contains(&p, &p));
	ck_assert(util_prefix_overlap(&p, &p));
	/* masking again to the same length changes nothing when MASK was asked */
	if (pc->flags & UTIL_PREFIX_MASK) {
		util_addr_mask(&p.addr, p.len);
		ck_assert_str_eq(util_addr_format(&p.addr, buf), pc->addr);
	}
}
END_TEST

static const struct contains_case {
	const char *outer, *inner;
	bool contains, overlap;
} contains_cases[] = {
	{"10.0.0.0/8", "10.1.2.3/32", true, true},
	{"10.0.0.0/8", "10.0.0.0/8", true, true},
	{"10.0.0.0/8", "10.0.0.0/7", false, true},
	{"10.0.0.0/8", "11.0.0.0/8", false, false},
	{"10.0.0.0/9", "10.128.0.0/9", false, false},
	{"0.0.0.0/0", "203.0.113.9/32", true, true},
	{"0.0.0.0/0", "::/0", false, false}, /* families never mix */
	{"::/0", "10.0.0.0/8", false, false},
	{"fd00::/8", "fd00:10:244::1/128", true, true},
	{"fd00:10:244::/48", "fd00:10::/32", false, true},
	{"192.0.2.128/25", "192.0.2.127/32", false, false},
	{"192.0.2.128/25", "192.0.2.255/32", true, true},
};

START_TEST(test_prefix_contains)
{
	const struct contains_case *cc = &contains_cases[_i];
	struct util_prefix a, b;

	ck_assert_int_eq(util_prefix_parse(cc->outer, UTIL_PREFIX_MASK, &a), 0);
	ck_assert_int_eq(util_prefix_parse(cc->inner, UTIL_PREFIX_MASK, &b), 0);
	ck_assert_int_eq(util_prefix_contains(&a, &b), cc->contains);
	ck_assert_int_eq(util_prefix_overlap(&a, &b), cc->overlap);
	ck_assert_int_eq(util_prefix_overlap(&b, &a), cc->overlap); /* symmetric */
}
END_TEST

/* ---- The one YAML emitter's plain-scalar rule --------------------------------------------- */

static const struct {
	const char *s;
	unsigned flags;
	const char *want; /* the whole output: one string in a sequence */
} yaml_out_cases[] = {
	{"web", 0, "- web\n"},
	{"web-1.shop_x/y", 0, "- web-1.shop_x/y\n"},
	{"yesno", 0, "- yesno\n"},
	{"", 0, "- \"\"\n"},
	{"-web", 0, "- \"-web\"\n"},
	{"a b", 0, "- \"a b\"\n"},
	{"a:b", 0, "- \"a:b\"\n"},
	{"10.0.0.0/8", 0, "- \"10.0.0.0/8\"\n"},
	{"1.2", 0, "- \"1.2\"\n"},
	{"caf\xc3\xa9", 0, "- \"caf\xc3\xa9\"\n"},
	/* the YAML 1.1 booleans and null, in any case */
	{"y", 0, "- \"y\"\n"},
	{"No", 0, "- \"No\"\n"},
	{"ON", 0, "- \"ON\"\n"},
	{"off", 0, "- \"off\"\n"},
	{"True", 0, "- \"True\"\n"},
	{"NULL", 0, "- \"NULL\"\n"},
	{"nulls", 0, "- nulls\n"},
	/* the state file's addresses and ids */
	{"a:b", UTIL_YAML_OUT_ADDRESSES, "- a:b\n"},
	{"k8s:shop/web", UTIL_YAML_OUT_ADDRESSES, "- k8s:shop/web\n"},
	{"10.0.0.0/8", UTIL_YAML_OUT_ADDRESSES, "- 10.0.0.0/8\n"},
	{"fd00::1/128", UTIL_YAML_OUT_ADDRESSES, "- fd00::1/128\n"},
	{"1.2", UTIL_YAML_OUT_ADDRESSES, "- \"1.2\"\n"},
	{"2026-12-02", UTIL_YAML_OUT_ADDRESSES, "- \"2026-12-02\"\n"},
	{"abc:", UTIL_YAML_OUT_ADDRESSES, "- \"abc:\"\n"},
	{"yes", UTIL_YAML_OUT_ADDRESSES, "- \"yes\"\n"},
	{"a b", UTIL_YAML_OUT_ADDRESSES, "- \"a b\"\n"},
	/* JSON: every string quoted, flow style */
	{"web", UTIL_YAML_OUT_JSON, "[\"web\"]\n"},
	{"true", UTIL_YAML_OUT_JSON, "[\"true\"]\n"},
};

START_TEST(test_yaml_out)
{
	struct util_yaml_out *o;
	char *buf = NULL;
	size_t len = 0;

	ck_assert_int_eq(util_yaml_out_open(NULL,
					    yaml_out_cases[_i].flags | UTIL_YAML_OUT_ONE_DOCUMENT,
					    NULL, NULL, &o),
			 0);
	util_yaml_out_document_start(o);
	util_yaml_out_seq_start(o);
	util_yaml_out_str(o, yaml_out_cases[_i].s);
	util_yaml_out_seq_end(o);
	util_yaml_out_document_end(o);
	ck_assert_int_eq(util_yaml_out_close(o, &buf, &len, NULL), 0);
	ck_assert_uint_eq(len, strlen(yaml_out_cases[_i].want));
	ck_assert_msg(memcmp(buf, yaml_out_cases[_i].want, len) == 0, "\"%s\": got %.*s",
		      yaml_out_cases[_i].s, (int)len, buf);
	free(buf);
}
END_TEST

/* A failure is kept, worded once, and later events are dropped; a caller's own is kept too. */
START_TEST(test_yaml_out_fail)
{
	struct util_err err = {{0}};
	struct util_yaml_out *o;
	FILE *f = test_full_stream();

	ck_assert_int_eq(util_yaml_out_open(f, 0, "the test output", &err, &o), 0);
	util_yaml_out_document_start(o);
	util_yaml_out_seq_start(o);
	util_yaml_out_str(o, "\xff"); /* not UTF-8: libyaml refuses the event */
	ck_assert_int_eq(util_yaml_out_error(o), -EINVAL);
	ck_assert_str_eq(err.msg, "cannot write the test output: cannot build a YAML event");
	util_yaml_out_fail(o, -EIO); /* the first failure stays */
	util_yaml_out_seq_end(o);
	util_yaml_out_document_end(o);
	ck_assert_int_eq(util_yaml_out_close(o, NULL, NULL, NULL), -EINVAL);
	fclose(f);

	/* nothing failed until the stream is flushed into a full disk */
	err = (struct util_err){{0}};
	f = test_full_stream();
	ck_assert_int_eq(util_yaml_out_open(f, 0, "the test output", &err, &o), 0);
	util_yaml_out_document_start(o);
	util_yaml_out_str(o, "web");
	util_yaml_out_document_end(o);
	ck_assert_int_eq(util_yaml_out_error(o), 0);
	ck_assert_int_lt(util_yaml_out_close(o, NULL, NULL, NULL), 0);
	ck_assert_msg(strncmp(err.msg, "cannot write the test output", 28) == 0, "%s", err.msg);
	fclose(f);
}
END_TEST

/*
 * The event stream: each input read from a FILE, as a string of events (S/E stream start and
 * end, D/d document, M/m mapping, Q/q sequence, scalars in brackets, ! after a tagged node,
 * ' after a quoted scalar), or the fault that stops it as "KIND@LINE:COL".
 */
static const struct stream_case {
	const char *in;
	size_t in_len;	      /* 0: strlen(in) */
	size_t max_input;     /* 0: no limit */
	size_t max_lookahead; /* 0: no limit */
	const char *want;
} stream_cases[] = {
	{"a: 1\n", 0, 0, 0, "S D M [a] [1] m d E"},
	{"- x\n- 'y'\n", 0, 0, 0, "S D Q [x] [y]' q d E"},
	{"{\"a\": [1, 2]}", 0, 0, 0, "S D M [a]' Q [1] [2] q m d E"},
	{"", 0, 0, 0, "S E"},
	{"a\n---\nb\n", 0, 0, 0, "S D [a] d D [b] d E"},
	{"x: !!str 1\n", 0, 0, 0, "S D M [x] [1]! m d E"},
	{"a: \"x\\0y\"\n", 0, 0, 0, "S D M [a] [x.y]' m d E"},
	/* refused: anchors and aliases, where they start */
	{"a: &x 1\n", 0, 0, 0, "S D M [a] anchor@1:4"},
	{"- 1\n- *x\n", 0, 0, 0, "S D Q [1] alias@2:3"},
	/* libyaml's own refusals: syntax (where, and in what), and text that is no text */
	{"a: [1,\n", 0, 0, 0, "S D M [a] Q [1] syntax@2:1 (while parsing a flow node @2:1)"},
	/* (libyaml decodes what it has read before it parses: the fault comes first) */
	{"a: b\n\xff\n", 0, 0, 0, "text@5"},
	/* the limits: bytes read, and how far libyaml may read ahead of the last event */
	{"a: 1\n", 0, 4, 0, "too-big"},
	{"k: 1\nlong: xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n",
	 0, 0, 8, "S D M [k] [1] [long] too-long"},
	/* UTF-16 is read, and said */
	{"\xff\xfe"
	 "a\0",
	 4, 0, 0, "S(utf16) D [a] d E"},
};

static int stream_fault(void *data, const struct util_yaml_fault *f)
{
	char *out = data;
	size_t n = strlen(out);

	switch (f->kind) {
	case UTIL_YAML_ANCHOR:
		snprintf(out + n, 200 - n, "anchor@%zu:%zu", f->line, f->col);
		break;
	case UTIL_YAML_ALIAS:
		snprintf(out + n, 200 - n, "alias@%zu:%zu", f->line, f->col);
		break;
	case UTIL_YAML_SYNTAX:
		if (f->text)
			snprintf(out + n, 200 - n, "text@%zu", f->offset);
		else
			snprintf(out + n, 200 - n, "syntax@%zu:%zu (%s @%zu:%zu)", f->line, f->col,
				 f->context ? f->context : "", f->context_line, f->context_col);
		break;
	case UTIL_YAML_TOO_BIG:
		snprintf(out + n, 200 - n, "too-big");
		break;
	case UTIL_YAML_TOO_LONG:
		snprintf(out + n, 200 - n, "too-long");
		break;
	default:
		snprintf(out + n, 200 - n, "fault %d", (int)f->kind);
		break;
	}
	return -EINVAL;
}

START_TEST(test_yaml_stream)
{
	const struct stream_case *c = &stream_cases[_i];
	static const char *const letters[] = {
		[UTIL_YAML_EV_STREAM_START] = "S", [UTIL_YAML_EV_STREAM_END] = "E",
		[UTIL_YAML_EV_DOC_START] = "D",	   [UTIL_YAML_EV_DOC_END] = "d",
		[UTIL_YAML_EV_MAP_START] = "M",	   [UTIL_YAML_EV_MAP_END] = "m",
		[UTIL_YAML_EV_SEQ_START] = "Q",	   [UTIL_YAML_EV_SEQ_END] = "q",
	};
	char out[200] = "";
	struct util_yaml_stream_opts opts = {c->max_input, c->max_lookahead, stream_fault, out};
	FILE *f = fmemopen((void *)c->in, c->in_len ? c->in_len : strlen(c->in), "r");
	struct util_yaml_stream *s;
	struct util_yaml_event ev;
	int r;

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(util_yaml_stream_open(f, NULL, 0, &opts, &s), 0);
	while ((r = util_yaml_stream_next(s, &ev)) == 0) {
		size_t n = strlen(out);

		if (ev.type == UTIL_YAML_EV_SCALAR) {
			ck_assert_uint_lt(n + ev.len + 4, sizeof(out));
			out[n++] = '[';
			for (size_t i = 0; i < ev.len; i++) /* a NUL in the text shows as '.' */
				out[n++] = ev.str[i] ? ev.str[i] : '.';
			out[n++] = ']';
			out[n] = '\0';
			snprintf(out + n, sizeof(out) - n, "%s%s", ev.plain ? "" : "'",
				 ev.tagged ? "!" : "");
		} else {
			snprintf(out + n, sizeof(out) - n, "%s%s%s", letters[ev.type],
				 ev.type == UTIL_YAML_EV_STREAM_START && !ev.utf8 ? "(utf16)" : "",
				 ev.tagged ? "!" : "");
		}
		strcat(out, " ");
		if (ev.type == UTIL_YAML_EV_STREAM_END)
			break;
	}
	if (r == 0) {
		out[strlen(out) - 1] = '\0';
		ck_assert_int_eq(util_yaml_stream_next(s, &ev),
				 -EINVAL); /* nothing after the end */
	} else {
		ck_assert_int_eq(r, -EINVAL);
	}
	ck_assert_str_eq(out, c->want);
	util_yaml_stream_close(s);
	fclose(f);
}
END_TEST

/*
 * The tree with a reader's two economies: keys dropped unread, and the items of a top-level
 * "items" list handed over as each ends. The item callback takes the maps named "take" and
 * keeps the rest; the log has what it was given, then the document as the tree kept it.
 */
static const struct tree_case {
	const char *in;
	const char *want;
} tree_cases[] = {
	{"a: 1\nmanagedFields: {x: [1, {y: 2}]}\nb: 2\n", "doc {a: 1, b: 2}"},
	/* a skipped value is not read: neither a duplicate key nor a NUL in it counts */
	{"a: 1\nannotations: {k: 1, k: \"\\0\"}\n", "doc {a: 1}"},
	{"x: {annotations: [1, 2], y: 3}\n", "doc {x: {y: 3}}"},
	/* the key is what is skipped, not a value that looks like it */
	{"- annotations\n- managedFields: 1\n", "doc [annotations, {}]"},
	{"apiVersion: v1\nitems:\n- {name: take, n: 1}\n- {name: keep}\n- 7\n- {name: take, n: 2}\n"
	 "kind: List\n",
	 "item {name: take, n: 1} root {apiVersion: v1, items: [{name: take, n: 1}]} "
	 "item {name: keep} root {apiVersion: v1, items: [{name: keep}]} "
	 "item 7 root {apiVersion: v1, items: [{name: keep}, 7]} "
	 "item {name: take, n: 2} root {apiVersion: v1, items: [{name: keep}, 7, {name: take, n: "
	 "2}]} doc {apiVersion: v1, items: [{name: keep}, 7], kind: List}"},
	/* only the root's items: nested ones, and items that are no list, stay in the tree */
	{"spec: {items: [{name: take}]}\nitems: 3\n",
	 "doc {spec: {items: [{name: take}]}, items: 3}"},
	{"- items: [{name: take}]\n", "doc [{items: [{name: take}]}]"},
	/* each document's own */
	{"items: [{name: take}]\n---\nitems: [{name: take}]\n",
	 "item {name: take} root {items: [{name: take}]} doc {items: []} "
	 "item {name: take} root {items: [{name: take}]} doc {items: []}"},
};

static void tree_text(FILE *f, const struct util_yaml_node *n)
{
	if (n->type == UTIL_YAML_SCALAR) {
		fputs(n->str, f);
		return;
	}
	fputc(n->type == UTIL_YAML_MAP ? '{' : '[', f);
	for (size_t i = 0; i < n->n_kids; i++) {
		if (i)
			fputs(n->type == UTIL_YAML_MAP && i % 2 ? ": " : ", ", f);
		tree_text(f, n->kids[i]);
	}
	fputc(n->type == UTIL_YAML_MAP ? '}' : ']', f);
}

static int tree_case_item(void *data, const struct util_yaml_node *root,
			  const struct util_yaml_node *item)
{
	const struct util_yaml_node *name = util_yaml_get(item, "name");

	fputs("item ", data);
	tree_text(data, item);
	fputs(" root ", data);
	tree_text(data, root);
	fputc(' ', data);
	return name && strcmp(name->str, "take") == 0;
}

static int tree_case_document(void *data, const struct util_yaml_node *root)
{
	fputs("doc ", data);
	tree_text(data, root);
	fputc(' ', data);
	return 0;
}

static int tree_case_fault(void *data, const struct util_yaml_fault *f)
{
	fprintf(data, "fault %d ", (int)f->kind);
	return -EINVAL;
}

START_TEST(test_yaml_tree_reader)
{
	static const char *const skip[] = {"managedFields", "annotations", NULL};
	char *buf = NULL;
	size_t len = 0;
	FILE *log = open_memstream(&buf, &len);
	const struct util_yaml_opts opts = {
		.max_depth = 16,
		.fault = tree_case_fault,
		.document = tree_case_document,
		.item = tree_case_item,
		.skip_keys = skip,
		.userdata = log,
	};

	ck_assert_int_eq(
		util_yaml_parse_buffer(tree_cases[_i].in, strlen(tree_cases[_i].in), &opts, NULL),
		0);
	fclose(log);
	ck_assert_uint_gt(len, 0);
	buf[len - 1] = '\0';
	ck_assert_str_eq(buf, tree_cases[_i].want);
	free(buf);
}
END_TEST

/* A skipped value is still bounded by the depth limit. */
START_TEST(test_yaml_tree_skip_depth)
{
	static const char *const skip[] = {"annotations", NULL};
	static const char in[] = "a: 1\nannotations: [[[[[[1]]]]]]\n";
	char *buf = NULL;
	size_t len = 0;
	FILE *log = open_memstream(&buf, &len);
	const struct util_yaml_opts opts = {
		.max_depth = 4,
		.fault = tree_case_fault,
		.document = tree_case_document,
		.skip_keys = skip,
		.userdata = log,
	};

	ck_assert_int_eq(util_yaml_parse_buffer(in, sizeof(in) - 1, &opts, NULL), -EINVAL);
	fclose(log);
	ck_assert_str_eq(buf, "fault 9 "); /* UTIL_YAML_DEPTH */
	free(buf);
}
END_TEST

/*
 * Items bigger than the builder's pool blocks (64 KiB): a long scalar, and a mapping of many
 * keys whose kids array outgrows them. One is taken, the next kept, and the kept one must read
 * whole in the document after later items have reused the pool.
 */
START_TEST(test_yaml_tree_big_items)
{
	const size_t n_keys = 3000, text_len = 100000;
	char *in = NULL, *buf = NULL, *text = util_reallocarray(NULL, 1, text_len + 1);
	size_t in_len = 0, len = 0;
	FILE *f = open_memstream(&in, &in_len);
	FILE *log = open_memstream(&buf, &len);
	const struct util_yaml_opts opts = {
		.max_depth = 16,
		.fault = tree_case_fault,
		.item = tree_case_item,
		.userdata = log,
	};
	const struct util_yaml_node *items, *kept;
	struct util_yaml_node *root = NULL;

	memset(text, 'x', text_len);
	text[text_len] = '\0';
	fputs("items:\n", f);
	for (int item = 0; item < 4; item++) {
		fprintf(f, "- name: %s\n  text: %s%d\n", item % 2 ? "keep" : "take", text, item);
		for (size_t k = 0; k < n_keys; k++)
			fprintf(f, "  k%zu: v%d-%zu\n", k, item, k);
	}
	fclose(f);
	ck_assert_int_eq(util_yaml_parse_buffer(in, in_len, &opts, &root), 0);
	fclose(log);
	items = util_yaml_get(root, "items");
	ck_assert_ptr_nonnull(items);
	ck_assert_uint_eq(items->n_kids, 2);
	for (size_t i = 0; i < 2; i++) {
		char want[64];

		kept = items->kids[i];
		ck_assert_uint_eq(kept->n_kids, 2 * (n_keys + 2));
		snprintf(want, sizeof(want), "%d", (int)(2 * i + 1));
		ck_assert_uint_eq(strlen(util_yaml_get(kept, "text")->str), text_len + 1);
		ck_assert_str_eq(util_yaml_get(kept, "text")->str + text_len, want);
		snprintf(want, sizeof(want), "v%d-%zu", (int)(2 * i + 1), n_keys - 1);
		ck_assert_str_eq(util_yaml_get(kept, "k2999")->str, want);
		ck_assert_uint_eq(kept->kids[2 * n_keys + 2]->line,
				  (2 * i + 1) * (n_keys + 2) + n_keys + 3);
	}
	util_yaml_free(root);
	free(in);
	free(buf);
	free(text);
}
END_TEST

/* ---- Interned strings --------------------------------------------------------------------- */

static const char *const intern_texts[] = {
	"app.kubernetes.io/name", "app.kubernetes.io/name ", "web", "Web", "", "x", "team",
};

START_TEST(test_intern)
{
	const char *a[UTIL_ARRAY_SIZE(intern_texts)], *b[UTIL_ARRAY_SIZE(intern_texts)];
	char copy[64];

	for (size_t i = 0; i < UTIL_ARRAY_SIZE(intern_texts); i++) {
		snprintf(copy, sizeof(copy), "%s", intern_texts[i]);
		a[i] = util_intern(intern_texts[i]);
		b[i] = util_intern(copy); /* equal text from elsewhere: the same copy */
		ck_assert_ptr_eq(a[i], b[i]);
		ck_assert_ptr_ne(a[i], intern_texts[i]);
		ck_assert_str_eq(a[i], intern_texts[i]);
	}
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(intern_texts); i++)
		for (size_t j = 0; j < i; j++)
			ck_assert_ptr_ne(a[i], a[j]);
	/* one reference given back: the other still reads */
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(intern_texts); i++) {
		util_intern_drop(b[i]);
		ck_assert_str_eq(a[i], intern_texts[i]);
	}
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(intern_texts); i++)
		util_intern_drop(a[i]); /* the last: freed (ASan sees a second drop or a leak) */
	util_intern_drop(NULL);
}
END_TEST

#define INTERN_THREADS 4
#define INTERN_ROUNDS  2000

/* Each thread takes and gives back the same texts at once: one copy each, counted right. */
static void *intern_thread(void *arg)
{
	const char **mine = arg;
	char text[32];

	for (int r = 0; r < INTERN_ROUNDS; r++) {
		const char *s;

		snprintf(text, sizeof(text), "label-%d", r % 50);
		s = util_intern(text);
		if (r < 50)
			mine[r] = s; /* kept: one reference per thread and text */
		else
			util_intern_drop(s);
	}
	return NULL;
}

START_TEST(test_intern_threads)
{
	const char *kept[INTERN_THREADS][50];
	pthread_t t[INTERN_THREADS];

	for (int i = 0; i < INTERN_THREADS; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, intern_thread, kept[i]), 0);
	for (int i = 0; i < INTERN_THREADS; i++)
		ck_assert_int_eq(pthread_join(t[i], NULL), 0);
	for (int k = 0; k < 50; k++) {
		char text[32];

		snprintf(text, sizeof(text), "label-%d", k);
		for (int i = 0; i < INTERN_THREADS; i++) {
			ck_assert_ptr_eq(kept[i][k], kept[0][k]);
			ck_assert_str_eq(kept[i][k], text);
		}
	}
	for (int i = 0; i < INTERN_THREADS; i++)
		for (int k = 0; k < 50; k++)
			util_intern_drop(kept[i][k]);
}
END_TEST

/* A few events, the same into any stream. */
static void yaml_out_some(struct util_yaml_out *o)
{
	util_yaml_out_document_start(o);
	util_yaml_out_map_start(o);
	for (int i = 0; i < 2000; i++) {
		char key[32];

		snprintf(key, sizeof(key), "key-%d", i);
		util_yaml_out_str(o, key);
		util_yaml_out_str(o, "a value: with a colon, so it is quoted");
	}
	util_yaml_out_map_end(o);
	util_yaml_out_document_end(o);
}

/* Into a file as it fills: the same bytes as into memory; a write that fails stops it. */
START_TEST(test_yaml_out_fd)
{
	char path[] = "/tmp/flowlock-test-yaml-XXXXXX", *buf, *got;
	struct util_yaml_out *o;
	size_t len, got_len;
	int fd, write_errno;

	ck_assert_int_eq(util_yaml_out_open(NULL, 0, "memory", NULL, &o), 0);
	yaml_out_some(o);
	ck_assert_int_eq(util_yaml_out_close(o, &buf, &len, NULL), 0);
	ck_assert_uint_gt(len, 65536); /* libyaml's buffer filled several times */

	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(util_yaml_out_open_fd(fd, 0, &write_errno, &o), 0);
	yaml_out_some(o);
	ck_assert_int_eq(util_yaml_out_close(o, NULL, NULL, NULL), 0);
	ck_assert_int_eq(write_errno, 0);
	close(fd);
	got = test_read_file(path, &got_len);
	unlink(path);
	ck_assert_ptr_nonnull(got);
	ck_assert_uint_eq(got_len, len);
	ck_assert_mem_eq(got, buf, len);
	free(got);
	free(buf);

	fd = open("/dev/full", O_WRONLY | O_CLOEXEC);
	ck_assert_msg(fd >= 0, "/dev/full: %s", strerror(errno));
	ck_assert_int_eq(util_yaml_out_open_fd(fd, 0, &write_errno, &o), 0);
	yaml_out_some(o);
	ck_assert_int_eq(util_yaml_out_error(o), -ENOSPC);
	ck_assert_int_eq(write_errno, ENOSPC);
	ck_assert_int_eq(util_yaml_out_close(o, NULL, NULL, NULL), -ENOSPC);
	close(fd);
}
END_TEST

/*
 * Blocks: aligned to a block, zeroed, each its own, as big as asked (in whole blocks); several
 * at once, as a tracker holds.
 */
static const size_t block_sizes[] = {1, UTIL_BLOCK_SIZE, UTIL_BLOCK_SIZE + 1, 3 * UTIL_BLOCK_SIZE};

START_TEST(test_block)
{
	uint8_t *b[UTIL_ARRAY_SIZE(block_sizes)];

	for (size_t i = 0; i < UTIL_ARRAY_SIZE(b); i++) {
		size_t n = block_sizes[i];

		b[i] = util_block_new(n);
		ck_assert_uint_eq((uintptr_t)b[i] % UTIL_BLOCK_SIZE, 0);
		for (size_t off = 0; off < n; off += 4096)
			ck_assert_uint_eq(b[i][off], 0);
		ck_assert_uint_eq(b[i][n - 1], 0);
		memset(b[i], (int)i + 1, n);
	}
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(b); i++) {
		size_t n = block_sizes[i];

		ck_assert_uint_eq(b[i][0], i + 1);
		ck_assert_uint_eq(b[i][n - 1], i + 1);
		util_block_free(b[i], n);
	}
	util_block_free(NULL, 1);
}
END_TEST

/*
 * The advice the mapping holding p was given: huge pages ("hg" in its smaps VmFlags) or not
 * ("nh"), or neither: "".
 */
static const char *block_advice(const void *p)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[512];
	const char *advice = "";
	bool in = false;

	ck_assert_msg(f, "/proc/self/smaps: %s", strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		unsigned long from, to;

		if (sscanf(line, "%lx-%lx ", &from, &to) == 2) {
			in = (uintptr_t)p >= from && (uintptr_t)p < to;
			continue;
		}
		if (in && strncmp(line, "VmFlags:", 8) == 0)
			advice = strstr(line, " hg") ? "hg" : strstr(line, " nh") ? "nh" : "";
	}
	fclose(f);
	return advice;
}

/*
 * Huge pages are asked for blocks of half a block and more, and refused for less (the file
 * reader's one batch on one CPU), which would make a whole 2 MiB resident for a few pages
 * where huge pages are the default.
 */
static const struct {
	size_t size;
	bool huge;
} block_hint_cases[] = {
	{64 * 1024 + 64, false},
	{UTIL_BLOCK_SIZE / 2 - 1, false},
	{UTIL_BLOCK_SIZE / 2, true},
	{UTIL_BLOCK_SIZE, true},
};

/* Whether the kernel takes advice on huge pages: one without them refuses it. */
static bool huge_pages_advised(void)
{
	bool can = false;
#if defined(MADV_HUGEPAGE)
	void *probe = mmap(NULL, UTIL_BLOCK_SIZE, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ck_assert(probe != MAP_FAILED);
	can = madvise(probe, UTIL_BLOCK_SIZE, MADV_HUGEPAGE) == 0;
	munmap(probe, UTIL_BLOCK_SIZE);
#endif
	return can;
}

START_TEST(test_block_huge_hint)
{
	size_t n = block_hint_cases[_i].size;
	uint8_t *b = util_block_new(n);
	const char *want;
	bool can = huge_pages_advised();

	want = !can ? "" : block_hint_cases[_i].huge ? "hg" : "nh";
	b[0] = 1;
	ck_assert_msg(strcmp(block_advice(b), want) == 0,
		      "a block of %zu bytes: advised \"%s\", not \"%s\"", n, block_advice(b), want);
	util_block_free(b, n);
}
END_TEST

/*
 * uthash tables on util_table_new() (util/util-uthash.h): every item found and no other, through
 * the table's growth; a bucket array of half a block or more in a block of its own with huge
 * pages advised (except under ASan, where each stays an allocation of its own); and, as the
 * table empties, every array given back the way it was made (free() of a block aborts;
 * LeakSanitizer reports an array never given back).
 */
struct table_item {
	uint64_t key;
	UT_hash_handle hh;
};

static const size_t table_sizes[] = {1, 1000, 70000, 300000};

START_TEST(test_table)
{
	size_t n = table_sizes[_i];
	struct table_item *items = util_reallocarray(NULL, n, sizeof(*items)), *head = NULL, *f;
	uint64_t key;
	size_t bytes, wrong = 0; /* lookups that found another item, or none: one check each loop */

	memset(items, 0, n * sizeof(*items));
	for (size_t i = 0; i < n; i++) {
		items[i].key = (uint64_t)i * 0x9e3779b97f4a7c15ULL;
		HASH_ADD(hh, head, key, sizeof(items[i].key), &items[i]);
	}
	ck_assert_uint_eq(HASH_COUNT(head), n);
	for (size_t i = 0; i < n; i++) {
		HASH_FIND(hh, head, &items[i].key, sizeof(key), f);
		wrong += f != &items[i];
	}
	ck_assert_uint_eq(wrong, 0);
	key = (uint64_t)n * 0x9e3779b97f4a7c15ULL;
	HASH_FIND(hh, head, &key, sizeof(key), f);
	ck_assert_ptr_null(f);

	bytes = head->hh.tbl->num_buckets * sizeof(*head->hh.tbl->buckets);
#if !UTIL_ASAN
	if (bytes >= UTIL_BLOCK_SIZE / 2) {
		ck_assert_uint_eq((uintptr_t)head->hh.tbl->buckets % UTIL_BLOCK_SIZE, 0);
		ck_assert_str_eq(block_advice(head->hh.tbl->buckets),
				 huge_pages_advised() ? "hg" : "");
	}
#endif
	if (n == 300000)
		ck_assert_uint_ge(bytes, UTIL_BLOCK_SIZE / 2); /* the case reaches the blocks */

	for (size_t i = 0; i < n; i += 2)
		HASH_DEL(head, &items[i]);
	ck_assert_uint_eq(HASH_COUNT(head), n / 2);
	for (size_t i = 0; i < n; i++) {
		HASH_FIND(hh, head, &items[i].key, sizeof(key), f);
		wrong += f != (i % 2 ? &items[i] : NULL);
	}
	ck_assert_uint_eq(wrong, 0);
	for (size_t i = 1; i < n; i += 2)
		HASH_DEL(head, &items[i]);
	ck_assert_ptr_null(head);
	free(items);
}
END_TEST

/*
 * Pools: records of the sizes a graph makes (nodes, edges, ids of every length), enough of them
 * to fill the first chunk and several blocks, and one bigger than a block. Each is zeroed,
 * aligned to 16, and its own: filled with its own byte, none is overwritten by another. The
 * blocks have huge pages advised (not under ASan: there each record is its own allocation).
 */
static const struct {
	size_t size, n;
} pool_cases[] = {
	{1, 10}, {24, 100000}, {152, 30000}, {0, 5}, {UTIL_BLOCK_SIZE + 1, 3},
};

/* The first byte of p's n that is not b, or n: one check per record, not per byte. */
static size_t bytes_not(const uint8_t *p, size_t n, uint8_t b)
{
	size_t i = 0;

	while (i < n && p[i] == b)
		i++;
	return i;
}

START_TEST(test_pool)
{
	size_t size = pool_cases[_i].size, n = pool_cases[_i].n;
	struct util_pool *p = util_pool_new();
	uint8_t **r = util_reallocarray(NULL, n, sizeof(*r));
	char *id;

	for (size_t i = 0; i < n; i++) {
		r[i] = util_pool_zalloc(p, size);
		ck_assert_uint_eq((uintptr_t)r[i] % 16, 0);
		ck_assert_uint_eq(bytes_not(r[i], size, 0), size);
		memset(r[i], (int)(i % 251) + 1, size);
	}
	for (size_t i = 0; i < n; i++)
		ck_assert_uint_eq(bytes_not(r[i], size, (uint8_t)(i % 251 + 1)), size);
#if !UTIL_ASAN
	if ((size + 15) / 16 * 16 * n > 64 * 1024)
		ck_assert_str_eq(block_advice(r[n - 1]), huge_pages_advised() ? "hg" : "");
#endif
	id = util_pool_strdup(p, "k8s:shop/deployment/frontend");
	ck_assert_str_eq(id, "k8s:shop/deployment/frontend");
	util_pool_put(p, id);
	for (size_t i = 0; i < n; i++)
		util_pool_put(p, r[i]);
	free(r);
	ck_assert_ptr_null(util_pool_free(p));
	ck_assert_ptr_null(util_pool_free(NULL));
}
END_TEST

static Suite *util_suite(void)
{
	Suite *s = suite_create("util");
	TCase *tc = tcase_create("util");

	tcase_add_loop_test(tc, test_time_round_trip, 0, (int)UTIL_ARRAY_SIZE(time_cases));
	tcase_add_loop_test(tc, test_addr, 0, (int)UTIL_ARRAY_SIZE(addr_cases));
	tcase_add_loop_test(tc, test_prefix_parse, 0, (int)UTIL_ARRAY_SIZE(prefix_cases));
	tcase_add_loop_test(tc, test_prefix_contains, 0, (int)UTIL_ARRAY_SIZE(contains_cases));
	tcase_add_loop_test(tc, test_time_parse, 0, (int)UTIL_ARRAY_SIZE(time_parse_cases));
	tcase_add_loop_test(tc, test_time_parse_canonical, 0,
			    (int)UTIL_ARRAY_SIZE(canonical_seeds));
	tcase_add_loop_test(tc, test_parse_u64, 0, (int)UTIL_ARRAY_SIZE(u64_cases));
	tcase_add_loop_test(tc, test_proto_names, 0, (int)UTIL_ARRAY_SIZE(proto_cases));
	tcase_add_loop_test(tc, test_names, 0, (int)UTIL_ARRAY_SIZE(name_cases));
	tcase_add_loop_test(tc, test_utf8, 0, (int)UTIL_ARRAY_SIZE(utf8_cases));
	tcase_add_loop_test(tc, test_u64_format, 0, (int)UTIL_ARRAY_SIZE(u64_format_cases));
	tcase_add_loop_test(tc, test_show, 0, (int)UTIL_ARRAY_SIZE(show_cases));
	tcase_add_test(tc, test_err_one_line);
	tcase_add_test(tc, test_warn_once);
	tcase_add_loop_test(tc, test_file_replace, 0, (int)UTIL_ARRAY_SIZE(replace_cases));
	tcase_add_test(tc, test_file_abort);
	tcase_add_loop_test(tc, test_yaml_out, 0, (int)UTIL_ARRAY_SIZE(yaml_out_cases));
	tcase_add_test(tc, test_yaml_out_fail);
	tcase_add_test(tc, test_yaml_out_fd);
	tcase_add_loop_test(tc, test_yaml_stream, 0, (int)UTIL_ARRAY_SIZE(stream_cases));
	tcase_add_loop_test(tc, test_yaml_tree_reader, 0, (int)UTIL_ARRAY_SIZE(tree_cases));
	tcase_add_test(tc, test_yaml_tree_skip_depth);
	tcase_add_test(tc, test_yaml_tree_big_items);
	tcase_add_test(tc, test_intern);
	tcase_add_test(tc, test_intern_threads);
	tcase_add_test(tc, test_block);
	tcase_add_loop_test(tc, test_block_huge_hint, 0, (int)UTIL_ARRAY_SIZE(block_hint_cases));
	tcase_add_loop_test(tc, test_table, 0, (int)UTIL_ARRAY_SIZE(table_sizes));
	tcase_add_loop_test(tc, test_pool, 0, (int)UTIL_ARRAY_SIZE(pool_cases));
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_run(util_suite());
}
