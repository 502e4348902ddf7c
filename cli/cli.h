/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cli.h - the flowlock program itself: what its commands share (one-line errors on stderr,
 * exit statuses) and one function per command, each in its own cli-COMMAND.c. main.c only
 * finds the command; each command parses its options, opens its inputs and runs the modules
 * in the data flow's order: capture -> learn -> emit.
 */
#pragma once

#include "emit/emit.h"

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

/*
 * Loads the state at state_path and renders it in format to out_path (replaced atomically) or,
 * when out_path is NULL, to stdout; says what failed. Returns the exit status.
 */
struct emit_options;
int cli_render(enum emit_format format, const char *state_path, const char *out_path,
	       const struct emit_options *opts);

/* Commands: argv[0] is the command's name; each returns the process exit status. */
int cli_learn(int argc, char **argv);  /* cli-learn.c: traffic into a state */
int cli_check(int argc, char **argv);  /* cli-learn.c: new traffic against a state */
int cli_emit(int argc, char **argv);   /* cli-emit.c: a state into policy */
int cli_show(int argc, char **argv);   /* cli-show.c: a state as a table */
int cli_apply(int argc, char **argv);  /* cli-apply.c: an emitted ruleset into the kernel */
int cli_diff(int argc, char **argv);   /* cli-diff.c */
int cli_verify(int argc, char **argv); /* cli-verify.c */
int cli_merge(int argc, char **argv);  /* cli-merge.c */
