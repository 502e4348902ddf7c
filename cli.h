/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cli.h - the flowlock program itself: what its commands share (one-line errors on stderr,
 * exit statuses) and the commands that live in files of their own. main.c wires the data flow
 * capture -> learn -> emit (learn, check, emit, show, apply); the lockdown workflow's other
 * commands (diff, verify, merge) read states and policies and are in cli-*.c.
 */
#pragma once

#define CLI_EXIT_BAD   2 /* bad usage or bad input */
#define CLI_EXIT_FOUND 1 /* diff, check, verify: something that needs review was found */

/* "flowlock: " + the message + newline, on stderr. */
void cli_log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* An emit_warn_fn: "flowlock: warning: MSG" unless userdata points to a true bool (quiet). */
void cli_warn_stderr(void *userdata, const char *msg);
/* "flowlock: CMD: WHAT (see 'flowlock CMD --help')"; returns CLI_EXIT_BAD. */
int cli_usage_error(const char *cmd, const char *what);
/* The one line about the option getopt_long just refused (opterr = 0); returns CLI_EXIT_BAD. */
int cli_option_error(const char *cmd, char **argv);
/* Flushes standard output; on a write error (a full disk, a closed pipe) says so and returns -1. */
int cli_stdout_flush(void);

/* Commands: argv[0] is the command's name; each returns the process exit status. */
int cli_diff(int argc, char **argv);   /* cli-diff.c */
int cli_verify(int argc, char **argv); /* cli-verify.c */
int cli_merge(int argc, char **argv);  /* cli-merge.c */
