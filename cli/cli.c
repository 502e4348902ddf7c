/* SPDX-License-Identifier: Apache-2.0 */
/* cli.c - what every flowlock command shares: its one-line errors and warnings. */
#include "cli/cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

void cli_log_error(const char *fmt, ...)
{
	va_list ap;

	fputs("flowlock: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void cli_warn_stderr(void *userdata, const char *msg)
{
	bool quiet = userdata && *(bool *)userdata;

	if (!quiet)
		fprintf(stderr, "flowlock: warning: %s\n", msg);
}

int cli_usage_error(const char *cmd, const char *what)
{
	cli_log_error("%s: %s (see 'flowlock %s --help')", cmd, what, cmd);
	return CLI_EXIT_BAD;
}

/* getopt stays quiet (opterr = 0): the one line about a bad option is ours. */
int cli_option_error(const char *cmd, char **argv)
{
	char what[128];

	if (optopt && optopt < 0x100)
		snprintf(what, sizeof(what), "unknown option or missing argument: -%c", optopt);
	else
		snprintf(what, sizeof(what), "unknown option or missing argument: %.80s",
			 argv[optind - 1]);
	return cli_usage_error(cmd, what);
}

int cli_stdout_flush(void)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		cli_log_error("standard output: write failed: %s", strerror(errno));
		return -1;
	}
	return 0;
}
