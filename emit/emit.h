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
};

int emit_format_from_name(const char *name, enum emit_format *ret);

struct emit_options {
	bool allow_dns;	   /* k8s: egress to kube-dns (UDP and TCP 53) for every workload */
	util_warn_fn warn; /* what cannot be expressed is said here, once, and skipped */
	void *warn_userdata;
};

/*
 * Writes g to out in the given format. Output depends only on g and opts: the same graph gives
 * the same bytes. Fails (nothing partial is promised) with err set on a write error or when a
 * name or label in g breaks the rules of the output format.
 */
int emit_graph(enum emit_format format, FILE *out, const struct learn_graph *g,
	       const struct emit_options *opts, struct util_err *err);

/* One renderer per format (emit-k8s.c, emit-dot.c, emit-json.c, emit-table.c); emit_graph
 * dispatches. */
int emit_k8s(FILE *out, const struct learn_graph *g, const struct emit_options *opts,
	     struct util_err *err);
int emit_dot(FILE *out, const struct learn_graph *g, const struct emit_options *opts,
	     struct util_err *err);
int emit_json(FILE *out, const struct learn_graph *g, const struct emit_options *opts,
	      struct util_err *err);
int emit_table(FILE *out, const struct learn_graph *g, const struct emit_options *opts,
	       struct util_err *err);
