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
	if (emit_nft_guard(path, &err) < 0) {
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
