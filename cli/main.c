/* SPDX-License-Identifier: Apache-2.0 */
/* main.c - the flowlock command line: finds the command and hands it the arguments. */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "cli/cli.h"

static const char main_help[] =
	"Usage: flowlock COMMAND [OPTIONS]\n"
	"\n"
	"Learns the least-privilege communication graph of container workloads from\n"
	"their traffic and writes the network policy that allows exactly that.\n"
	"\n"
	"Commands:\n"
	"  learn   read captures or live traffic, attribute flows to workloads,\n"
	"          update a state file\n"
	"  emit    render a state as Kubernetes NetworkPolicy, nftables, Graphviz or JSON\n"
	"  show    print a state as a table\n"
	"  apply   check an nftables ruleset against the kernel and load it\n"
	"  diff    compare two states: edges added and removed, workloads\n"
	"  check   report traffic that a learned state (the baseline) does not allow\n"
	"  verify  evaluate NetworkPolicies against a state: what would break, what\n"
	"          they allow that was never observed\n"
	"  merge   combine the states of many nodes' agents into one\n"
	"\n"
	"Run 'flowlock COMMAND --help' for a command's options.\n"
	"Exit status: 0 success, 1 diff, check or verify found something to review,\n"
	"2 bad usage or bad input.\n";

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} commands[] = {
	{"learn", cli_learn},	/* capture -> learn: traffic into a state */
	{"emit", cli_emit},	/* learn -> emit: a state into policy */
	{"show", cli_show},	/* a state as a table */
	{"apply", cli_apply},	/* an emitted ruleset into the kernel */
	{"diff", cli_diff},	/* two states */
	{"check", cli_check},	/* new traffic against a state */
	{"verify", cli_verify}, /* policies against a state */
	{"merge", cli_merge},	/* many nodes' states into one */
};

int main(int argc, char **argv)
{
	opterr = 0;
	if (argc < 2) {
		cli_log_error("no command given (see 'flowlock --help')");
		return CLI_EXIT_BAD;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		fputs(main_help, stdout);
		return EXIT_SUCCESS;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
		printf("flowlock %s\n", FLOWLOCK_VERSION);
		return EXIT_SUCCESS;
	}
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(commands); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].fn(argc - 1, argv + 1);
	cli_log_error("unknown command '%s' (see 'flowlock --help')", argv[1]);
	return CLI_EXIT_BAD;
}
