/* SPDX-License-Identifier: Apache-2.0 */
/* cli-apply.c - flowlock apply: a ruleset checked to touch only flowlock's table, then loaded by
 * nft. */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "capture/capture.h"
#include "util/util.h"
#include "cli/cli.h"

static const char apply_help[] =
	"Usage: flowlock apply [--dry-run] FILE\n"
	"\n"
	"Loads an nftables ruleset written by 'flowlock emit --format nftables'. The file\n"
	"must touch nothing but flowlock's own table (inet flowlock); it is checked\n"
	"against the kernel with 'nft -c -f' first, then loaded in one transaction.\n"
	"Also says when same-bridge traffic would bypass the rules (br_netfilter).\n"
	"\n"
	"  -n, --dry-run  check only, load nothing\n"
	"  -h, --help     this text\n";

/*
 * The file may do nothing outside flowlock's own table: at the top level only "table inet
 * flowlock", "delete table inet flowlock", comments and blank lines are allowed (so never
 * "flush ruleset", another table, or an include); everything else must be inside the braces of
 * our table. Braces inside quoted strings and comments do not count.
 */
static int apply_check_tables(const char *path, struct util_err *err)
{
	char line[4096];
	size_t lineno = 0;
	int depth = 0;
	bool ours = false;
	FILE *f = fopen(path, "re");

	if (!f)
		return util_err_set(err, errno, "%s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		const char *p = line;
		bool quoted = false;

		lineno++;
		while (*p == ' ' || *p == '\t')
			p++;
		if (depth == 0 && *p != '#' && *p != '\n' && *p != '\0') {
			const char *t = strncmp(p, "delete table ", 13) == 0 ? p + 13
					: strncmp(p, "table ", 6) == 0	     ? p + 6
									     : NULL;

			if (!t || strncmp(t, "inet flowlock", 13) != 0 ||
			    (t[13] != ' ' && t[13] != '{' && t[13] != '\n' && t[13] != '\0')) {
				fclose(f);
				return util_err_set(
					err, EPERM,
					"%s:%zu: does something outside flowlock's own table "
					"(inet flowlock); refusing to load it",
					path, lineno);
			}
			ours = true;
		}
		for (; *p && *p != '\n'; p++) {
			if (*p == '"')
				quoted = !quoted;
			else if (!quoted && *p == '#')
				break;
			else if (!quoted && *p == '{')
				depth++;
			else if (!quoted && *p == '}' && --depth < 0)
				break;
		}
		if (depth < 0)
			break;
	}
	fclose(f);
	if (depth != 0)
		return util_err_set(err, EINVAL, "%s: unbalanced braces; not a flowlock ruleset",
				    path);
	if (!ours)
		return util_err_set(err, EINVAL,
				    "%s: not a flowlock ruleset (no table inet flowlock)", path);
	return 0;
}

static int run_nft(const char *check, const char *path)
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		if (check)
			execlp("nft", "nft", check, "-f", path, (char *)NULL);
		else
			execlp("nft", "nft", "-f", path, (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		return -ENOENT;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EINVAL;
}

int cli_apply(int argc, char **argv)
{
	static const struct option options[] = {
		{"dry-run", no_argument, NULL, 'n'},
		{"help", no_argument, NULL, 'h'},
		{},
	};
	struct util_err err = {""};
	bool dry_run = false;
	const char *path, *problem;
	int c, r;

	while ((c = getopt_long(argc, argv, "nh", options, NULL)) != -1) {
		switch (c) {
		case 'n':
			dry_run = true;
			break;
		case 'h':
			fputs(apply_help, stdout);
			return EXIT_SUCCESS;
		default:
			return cli_option_error("apply", argv);
		}
	}
	if (argc - optind != 1)
		return cli_usage_error("apply", "expected exactly one ruleset FILE");
	path = argv[optind];
	if (apply_check_tables(path, &err) < 0) {
		cli_log_error("%s", err.msg);
		return CLI_EXIT_BAD;
	}
	problem = capture_conntrack_bridge_problem();
	if (problem)
		cli_log_error("warning: containers on one bridge would bypass these rules: %s",
			      problem);
	r = run_nft("-c", path);
	if (r == -ENOENT) {
		cli_log_error("apply: nft is not installed (Debian: apt-get install nftables)");
		return CLI_EXIT_BAD;
	}
	if (r < 0) {
		cli_log_error("%s: the kernel refuses this ruleset (nft -c -f said why above)",
			      path);
		return CLI_EXIT_BAD;
	}
	if (dry_run) {
		fprintf(stderr, "flowlock: %s: checked, not loaded (--dry-run)\n", path);
		return EXIT_SUCCESS;
	}
	if (run_nft(NULL, path) < 0) {
		cli_log_error(
			"%s: nft -f failed (it said why above); the previous rules are in place",
			path);
		return CLI_EXIT_BAD;
	}
	fprintf(stderr, "flowlock: %s: loaded (table inet flowlock replaced)\n", path);
	return EXIT_SUCCESS;
}
