/* SPDX-License-Identifier: Apache-2.0 */
/* emit.h - renders a learned graph: NetworkPolicy YAML, Graphviz, JSON, or a table for people. */
#pragma once

#include <stdbool.h>
#include <stdio.h>

#include "learn/learn.h"
#include "util/util.h"

enum emit_format {
	EMIT_FORMAT_K8S = 0,
	EMIT_FORMAT_DOT,
	EMIT_FORMAT_JSON,
	EMIT_FORMAT_TABLE,
	EMIT_FORMAT_NFTABLES,
};

enum emit_nft_mode {
	EMIT_NFT_ENFORCE = 0, /* log (rate-limited, fixed prefix) and drop what was not learned */
	EMIT_NFT_AUDIT,	      /* log the same, and accept it */
};

/* The log prefix of every packet the ruleset would refuse, for grepping the kernel log. */
#define EMIT_NFT_LOG_PREFIX "flowlock-deny: "

int emit_format_from_name(const char *name, enum emit_format *ret);

struct emit_options {
	bool allow_dns; /* k8s: egress to kube-dns (UDP and TCP 53) for every workload */
	/*
	 * k8s: the namespaces to write policies for (fnmatch patterns; none: every namespace), and
	 * those to leave out; see util_k8s_namespace_scope() for the system namespaces.
	 */
	const char *const *namespaces;
	size_t n_namespaces;
	const char *const *exclude_namespaces;
	size_t n_exclude_namespaces;
	enum emit_nft_mode nft_mode;
	/*
	 * nftables: the graph holds workloads, the ruleset needs addresses. Fills up to max current
	 * addresses of w and returns how many it has (0: unknown now, its rules are left out with
	 * a warning). Set by whoever knows the host: an inventory file or the Docker Engine.
	 */
	size_t (*addresses)(void *userdata, const struct graph_workload *w, struct util_addr *ret,
			    size_t max);
	void *addresses_userdata;
	util_warn_fn warn; /* what cannot be expressed is said here, once, and skipped */
	void *warn_userdata;
};

/*
 * Writes g to out in the given format. Output depends only on g and opts: the same graph gives
 * the same bytes. Fails (nothing partial is promised) with err set on a write error or when a
 * name or label in g breaks the rules of the output format, and with -ENODATA when there is
 * nothing to write: no policy for k8s, no container address for nftables (err says why).
 */
int emit_graph(enum emit_format format, FILE *out, const struct graph *g,
	       const struct emit_options *opts, struct util_err *err);

/* One renderer per format (emit-k8s.c, emit-dot.c, emit-json.c, emit-table.c); emit_graph
 * dispatches. */
int emit_k8s(FILE *out, const struct graph *g, const struct emit_options *opts,
	     struct util_err *err);
int emit_dot(FILE *out, const struct graph *g, const struct emit_options *opts,
	     struct util_err *err);
int emit_json(FILE *out, const struct graph *g, const struct emit_options *opts,
	      struct util_err *err);
int emit_table(FILE *out, const struct graph *g, const struct emit_options *opts,
	       struct util_err *err);
int emit_nftables(FILE *out, const struct graph *g, const struct emit_options *opts,
		  struct util_err *err);
/*
 * Whether the ruleset at path may be loaded by flowlock apply: it may do nothing outside
 * flowlock's own table. At the top level only "table inet flowlock", "delete table inet
 * flowlock", comments and blank lines are allowed (so never "flush ruleset", another table, or an
 * include); everything else must be inside the braces of our table. Braces inside quoted strings
 * and comments do not count. 0, or -EPERM (naming the line) or -EINVAL with err set.
 */
int emit_nft_guard(const char *path, struct util_err *err);

/* ---- flowlock diff and check (emit-diff.c) ------------------------------------------------ */

enum emit_report_format {
	EMIT_REPORT_TEXT = 0, /* for people: aligned columns, "+"/"-" marks */
	EMIT_REPORT_MARKDOWN, /* diff only: tables to post as a pull-request comment */
	EMIT_REPORT_JSON,     /* for tools: one JSON value per line, written by libyaml */
};

/* "text", "markdown", "json"; -EINVAL (ret untouched) for anything else. */
int emit_report_format_from_name(const char *name, enum emit_report_format *ret);

/* How much changed from one graph to another. */
struct emit_diff_counts {
	size_t edges_added, edges_removed;	       /* by client, server, protocol, port */
	size_t workloads_appeared, workloads_vanished; /* by id */
};

/*
 * Writes what changed from old_g to new_g: the edges only one of them has, in the graphs' edge
 * order, then the workloads only one of them has, by id. Connections, times and counters are
 * not compared. Output depends only on the two graphs. ret_counts may be NULL. Fails with err
 * set and nothing written when a workload id cannot be shown safely (control characters,
 * invalid UTF-8) or on a write error.
 */
int emit_diff(FILE *out, enum emit_report_format format, const struct graph *old_g,
	      const struct graph *new_g, struct emit_diff_counts *ret_counts, struct util_err *err);

/*
 * One line, flushed: text "TIME CLIENT -> SERVER PROTO PORT" (TIME as util_time_format writes
 * it, PORT "-" for ICMP), or a JSON object {"event": "violation", ...}. An attempt (a flow that
 * was refused or went unanswered) ends its text line with "(attempt: refused)" or "(attempt:
 * unanswered)", and is the JSON event "attempt" with an "outcome". Markdown is refused
 * (-EINVAL), and so is an id that cannot be shown safely; nothing is written then.
 */
int emit_violation(FILE *out, enum emit_report_format format, const struct learn_violation *v,
		   struct util_err *err);
/*
 * flowlock show --coverage (emit-coverage.c): what an observe-mode team reads before locking
 * down. The observation window (first and last traffic, time watched), how long since the last
 * new edge, workloads seen running and never seen, by kind, new edges per day, edges not seen in
 * the last stale_days of the window. Text or JSON (markdown is -EINVAL).
 */
int emit_coverage(FILE *out, enum emit_report_format format, const struct graph *g,
		  unsigned stale_days, struct util_err *err);

/*
 * The closing line: flows (of flows_seen) and distinct edges the baseline does not allow, and
 * attempts (flows refused or unanswered) on edges it does not have, said only when there are.
 */
int emit_check_summary(FILE *out, enum emit_report_format format, uint64_t flows_seen,
		       uint64_t flows, uint64_t edges, uint64_t attempts, struct util_err *err);

/* ---- Internal to emit/: what the renderers share (emit.c) --------------------------------- */

/*
 * The columns s takes, or -1 when it holds what no reader should be given or libyaml cannot
 * write as a JSON string: C0 and C1 controls, DEL, U+2028/U+2029, anything beyond the BMP
 * (libyaml escapes those in ways JSON has not), invalid UTF-8.
 */
int emit_json_width(const char *s);

/* A time as people read it, to the second: "2026-11-22 14:00:05" (UTC). */
void emit_time_seconds(uint64_t ns, char buf[static UTIL_TIME_LEN]);

/* ---- flowlock verify (emit-verify.c) ----------------------------------------------------------
 */

struct policy_set;
struct policy_report;
/*
 * The report of policy_verify(): the tables of what would break, unknown peers, excess and
 * unlocked workloads (each only when it has rows; none when quiet), then the summary line.
 * -EIO when out has failed (the caller's flush says it).
 */
int emit_verify(FILE *out, const struct policy_set *s, const struct policy_report *r, bool quiet);
