/* SPDX-License-Identifier: Apache-2.0 */
/* graph-private.h - what the files of graph/ share and no other module sees: the state file's
 * limits and the rules that both its reader and its writer apply. */
#pragma once

#include "graph/graph.h"

/*
 * Limits on what a state file may make us hold. The file size is far above any real graph; the
 * look-ahead bounds how much libyaml buffers for one token (a 100 MB scalar is refused after
 * 1 MiB, before it is in memory); the longest legitimate scalar is a k8s id (~390 bytes).
 */
#define STATE_MAX_FILE	    (1ull << 30)
#define STATE_MAX_LOOKAHEAD (1ull << 20)
#define STATE_MAX_SCALAR    1024
#define STATE_MAX_LABELS    1024
#define STATE_MAX_ADDRESSES 4096
#define STATE_MAX_NODES	    4096
/* A temporary file of the state older than this was left by a save that was killed. */
#define STATE_TMP_STALE_S 600
/* An agent writes a dozen, and one per interface that dropped packets: far fewer. */
#define STATE_MAX_COUNTERS 1024

#define STATE_MSG_LEN  320
#define STATE_SHOW_LEN 72

enum {
	WL_ID = 0,
	WL_KIND,
	WL_NAMESPACE,
	WL_CONTROLLER,
	WL_NAME,
	WL_LABELS,
	WL_ADDRESSES,
	WL_FIRST_RUNNING,
	WL_LAST_RUNNING,
	WL_N,
};
extern const char *const state_workload_keys[WL_N];

const char *state_show(const char *s, char buf[static STATE_SHOW_LEN]);
bool state_cidr(const char *s);
bool state_ip(const char *s);
int state_check_identity(enum graph_kind kind, const char *ns, const char *ctrl, const char *name,
			 char msg[static STATE_MSG_LEN], int *ret_field);
int state_check_label(const char *key, const char *value, char msg[static STATE_MSG_LEN]);
/* A workload's address, in the only spelling the state accepts (see state_cidr). */
int state_parse_address(const char *cidr, struct util_prefix *ret, char msg[static STATE_MSG_LEN]);
int state_check_port(uint8_t proto, uint64_t port, char msg[static STATE_MSG_LEN]);

/*
 * Writes g's state to fd, rendered on two threads when split (an edge, not the first) is given:
 * the same bytes either way. 0 or -errno; *write_errno is the errno of a failed write, else 0,
 * and *problem libyaml's words when it failed. graph_state_split() is where graph_state_save()
 * cuts g (0: not at all).
 */
int graph_state_write(const struct graph *g, int fd, size_t split, int *write_errno,
		      const char **problem);
size_t graph_state_split(const struct graph *g);

/* For tests: how many nodes and edges the sorted views lack (graph_prepare_views()). */
void graph_views_unsorted(const struct graph *g, size_t *nodes, size_t *edges);
