/* SPDX-License-Identifier: Apache-2.0 */
/* emit-coverage.c - `flowlock show --coverage`: was the observation long enough to lock down? */
#include "emit/emit.h"
#include "util/util-yaml.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <uthash.h>

#define COV_DAY (86400 * UTIL_NSEC_PER_SEC)

/* What a state says about its own coverage, worked out once for either format. */
struct cov_kind {
	char *name; /* a controller ("Deployment", "Rollout.argoproj.io") or "container" */
	size_t seen, never;
	UT_hash_handle hh;
};

struct cov_day {
	uint64_t day; /* days since the epoch */
	size_t edges;
	UT_hash_handle hh;
};

struct cov {
	uint64_t first, last, watched; /* the window; watched: the sum of its spans */
	size_t spans;
	const struct graph_edge *newest; /* the edge first seen last, or NULL */
	struct cov_kind *kinds;
	const struct graph_workload **never; /* k8s and docker workloads never seen running */
	size_t n_never;
	struct cov_day *days;
	const struct graph_edge **stale; /* not seen in the last stale_days of the window */
	size_t n_stale;
	size_t unknown_edges;
	uint64_t attempts_dropped; /* attempts of pairs beyond GRAPH_MAX_ATTEMPTS, only counted */
};

static bool cov_runs(const struct graph_workload *w)
{
	return graph_workload_kind(w) == GRAPH_KIND_K8S ||
	       graph_workload_kind(w) == GRAPH_KIND_DOCKER;
}

static void cov_count_kind(struct cov *c, const struct graph_workload *w, bool seen)
{
	const char *name = graph_workload_kind(w) == GRAPH_KIND_DOCKER
				   ? "container"
				   : graph_workload_controller(w);
	struct cov_kind *k;

	HASH_FIND_STR(c->kinds, name, k);
	if (!k) {
		k = util_zalloc(sizeof(*k));
		k->name = util_strdup(name);
		HASH_ADD_KEYPTR(hh, c->kinds, k->name, strlen(k->name), k);
	}
	if (seen)
		k->seen++;
	else
		k->never++;
}

static int cov_kind_cmp(const void *a, const void *b)
{
	return strcmp(((const struct cov_kind *)a)->name, ((const struct cov_kind *)b)->name);
}

static int cov_day_cmp(const void *a, const void *b)
{
	uint64_t x = ((const struct cov_day *)a)->day, y = ((const struct cov_day *)b)->day;

	return (x > y) - (x < y);
}

static void cov_build(struct cov *c, const struct graph *g, unsigned stale_days)
{
	uint64_t stale_ns = (uint64_t)stale_days * COV_DAY;

	for (size_t i = 0; i < graph_window_count(g); i++) {
		uint64_t from, until;

		graph_window(g, i, &from, &until);
		if (i == 0)
			c->first = from;
		c->last = until;
		c->watched += until - from;
		c->spans++;
	}
	for (size_t i = 0; i < graph_workload_count(g); i++) {
		const struct graph_workload *w = graph_workload(g, i);
		bool seen;

		if (!cov_runs(w))
			continue;
		seen = graph_workload_running(g, w, NULL, NULL);
		cov_count_kind(c, w, seen);
		if (!seen) {
			c->never = util_reallocarray(c->never, c->n_never + 1, sizeof(*c->never));
			c->never[c->n_never++] = w;
		}
	}
	HASH_SORT(c->kinds, cov_kind_cmp);
	for (size_t i = 0; i < graph_edge_count(g); i++) {
		const struct graph_edge *e = graph_edge(g, i);
		uint64_t day = graph_edge_first_ns(e) / COV_DAY;
		struct cov_day *d;

		if (!c->newest || graph_edge_first_ns(e) > graph_edge_first_ns(c->newest))
			c->newest = e;
		HASH_FIND(hh, c->days, &day, sizeof(day), d);
		if (!d) {
			d = util_zalloc(sizeof(*d));
			d->day = day;
			HASH_ADD(hh, c->days, day, sizeof(d->day), d);
		}
		d->edges++;
		if (c->spans && graph_edge_last_ns(e) + stale_ns < c->last) {
			c->stale = util_reallocarray(c->stale, c->n_stale + 1, sizeof(*c->stale));
			c->stale[c->n_stale++] = e;
		}
		c->unknown_edges +=
			graph_workload_kind(graph_edge_client(e)) == GRAPH_KIND_UNKNOWN ||
			graph_workload_kind(graph_edge_server(e)) == GRAPH_KIND_UNKNOWN;
	}
	HASH_SORT(c->days, cov_day_cmp);
	for (size_t i = 0; i < graph_counter_count(g); i++)
		if (strcmp(graph_counter_name(g, i), "attempts-dropped") == 0)
			c->attempts_dropped = graph_counter_value(g, i);
}

static void cov_free(struct cov *c)
{
	struct cov_kind *k, *ktmp;
	struct cov_day *d, *dtmp;

	HASH_ITER (hh, c->kinds, k, ktmp) {
		HASH_DEL(c->kinds, k);
		free(k->name);
		free(k);
	}
	HASH_ITER (hh, c->days, d, dtmp) {
		HASH_DEL(c->days, d);
		free(d);
	}
	free(c->never);
	free(c->stale);
}

/* "3d 4h", "2h 5m", "4m 10s", "17s": the two largest units, for people. */
static void cov_duration(uint64_t ns, char buf[static 32])
{
	uint64_t s = ns / UTIL_NSEC_PER_SEC, d = s / 86400, h = s / 3600 % 24, m = s / 60 % 60;

	if (d)
		snprintf(buf, 32, "%" PRIu64 "d %" PRIu64 "h", d, h);
	else if (h)
		snprintf(buf, 32, "%" PRIu64 "h %" PRIu64 "m", h, m);
	else if (m)
		snprintf(buf, 32, "%" PRIu64 "m %" PRIu64 "s", m, s % 60);
	else
		snprintf(buf, 32, "%" PRIu64 "s", s);
}

static void cov_day_text(uint64_t day, char buf[static UTIL_TIME_LEN])
{
	util_time_format(day * COV_DAY, buf);
	buf[10] = '\0';
}

/* Ids come from a validated state; a terminal is still shown nothing it would act on. */
static int cov_check_ids(const struct cov *c, const struct graph *g, struct util_err *err)
{
	for (size_t i = 0; i < graph_attempt_count(g); i++) {
		const struct graph_attempt *a = graph_attempt(g, i);

		if (emit_json_width(graph_workload_id(graph_attempt_client(a))) < 0 ||
		    emit_json_width(graph_workload_id(graph_attempt_server(a))) < 0)
			return util_err_set(err, EINVAL, "coverage: a workload id cannot be shown");
	}
	for (size_t i = 0; i < c->n_never; i++)
		if (emit_json_width(graph_workload_id(c->never[i])) < 0)
			return util_err_set(err, EINVAL, "coverage: a workload id cannot be shown");
	for (size_t i = 0; i < c->n_stale; i++)
		if (emit_json_width(graph_workload_id(graph_edge_client(c->stale[i]))) < 0 ||
		    emit_json_width(graph_workload_id(graph_edge_server(c->stale[i]))) < 0)
			return util_err_set(err, EINVAL, "coverage: a workload id cannot be shown");
	if (c->newest && (emit_json_width(graph_workload_id(graph_edge_client(c->newest))) < 0 ||
			  emit_json_width(graph_workload_id(graph_edge_server(c->newest))) < 0))
		return util_err_set(err, EINVAL, "coverage: a workload id cannot be shown");
	return 0;
}

static void cov_edge_text(FILE *out, const struct graph_edge *e)
{
	uint8_t proto = graph_edge_proto(e);

	fprintf(out, "%s -> %s %s", graph_workload_id(graph_edge_client(e)),
		graph_workload_id(graph_edge_server(e)), util_proto_name(proto));
	if (util_proto_has_ports(proto))
		fprintf(out, " %u", (unsigned)graph_edge_port(e));
}

/*
 * Refused and unanswered flows: never edges, so no policy allows them, but a workload that
 * knocks on many ports or peers may be scanning. Only shown when there are any.
 */
static void cov_attempts_text(FILE *out, const struct cov *c, const struct graph *g)
{
	char t1[UTIL_TIME_LEN], t2[UTIL_TIME_LEN];

	if (graph_attempt_count(g) == 0 && c->attempts_dropped == 0)
		return;
	fprintf(out, "\nPOSSIBLE SCANS (refused or unanswered: never edges, no policy allows "
		     "them)\n");
	for (size_t i = 0; i < graph_attempt_count(g); i++) {
		const struct graph_attempt *a = graph_attempt(g, i);
		size_t n = graph_attempt_port_count(a);

		emit_time_seconds(graph_attempt_first_ns(a), t1);
		emit_time_seconds(graph_attempt_last_ns(a), t2);
		fprintf(out, "  %s -> %s %s: %" PRIu64 " refused, %" PRIu64 " unanswered",
			graph_workload_id(graph_attempt_client(a)),
			graph_workload_id(graph_attempt_server(a)),
			util_proto_name(graph_attempt_proto(a)), graph_attempt_refused(a),
			graph_attempt_unanswered(a));
		for (size_t j = 0; j < n; j++)
			fprintf(out, "%s%u", j ? "," : "; ports ",
				(unsigned)graph_attempt_port(a, j));
		if (n == GRAPH_ATTEMPT_PORTS)
			fprintf(out, " (the lowest; %d kept at most)", GRAPH_ATTEMPT_PORTS);
		fprintf(out, "; %s to %s\n", t1, t2);
	}
	if (c->attempts_dropped)
		fprintf(out,
			"  and %" PRIu64 " more between pairs not kept: a state keeps %d pairs at "
			"most\n",
			c->attempts_dropped, GRAPH_MAX_ATTEMPTS);
}

static void cov_text(FILE *out, const struct cov *c, const struct graph *g, unsigned stale_days)
{
	char t1[UTIL_TIME_LEN], t2[UTIL_TIME_LEN], d1[32], d2[32];
	size_t seen = 0, never = 0;
	int w = (int)strlen("total");
	struct cov_kind *k;
	struct cov_day *d;

	fprintf(out, "OBSERVED\n");
	if (!c->spans) {
		fprintf(out,
			"  nothing: no capture or live run has been learned into this state\n");
	} else {
		emit_time_seconds(c->first, t1);
		emit_time_seconds(c->last, t2);
		cov_duration(c->watched, d1);
		cov_duration(c->last - c->first, d2);
		fprintf(out,
			"  from %s to %s UTC: %s watched in %zu span%s (%s from first to last)\n",
			t1, t2, d1, c->spans, c->spans == 1 ? "" : "s", d2);
	}
	if (c->newest && c->spans) {
		uint64_t at = graph_edge_first_ns(c->newest);

		cov_duration(c->last > at ? c->last - at : 0, d1);
		emit_time_seconds(at, t1);
		fprintf(out, "  no new edge for %s: the last new one, at %s, was ", d1, t1);
		cov_edge_text(out, c->newest);
		fputc('\n', out);
	}
	fputc('\n', out);

	for (k = c->kinds; k; k = k->hh.next) {
		int n = (int)strlen(k->name);

		w = n > w ? n : w;
	}
	fprintf(out, "WORKLOADS\n  %-*s  %12s  %10s\n", w, "KIND", "SEEN RUNNING", "NEVER SEEN");
	for (k = c->kinds; k; k = k->hh.next) {
		fprintf(out, "  %-*s  %12zu  %10zu\n", w, k->name, k->seen, k->never);
		seen += k->seen;
		never += k->never;
	}
	fprintf(out, "  %-*s  %12zu  %10zu\n\n", w, "total", seen, never);

	if (c->n_never) {
		fprintf(out, "NEVER SEEN RUNNING (no NetworkPolicy is written for them)\n");
		for (size_t i = 0; i < c->n_never; i++)
			fprintf(out, "  %s\n", graph_workload_id(c->never[i]));
		fputc('\n', out);
	}

	fprintf(out, "NEW EDGES PER DAY (by first seen, UTC)\n");
	if (!c->days)
		fprintf(out, "  none\n");
	for (d = c->days; d; d = d->hh.next) {
		cov_day_text(d->day, t1);
		fprintf(out, "  %s  %zu\n", t1, d->edges);
	}
	fputc('\n', out);

	fprintf(out, "STALE (not seen in the last %u day%s of the window: still needed?)\n",
		stale_days, stale_days == 1 ? "" : "s");
	if (!c->n_stale)
		fprintf(out, "  none\n");
	for (size_t i = 0; i < c->n_stale; i++) {
		emit_time_seconds(graph_edge_last_ns(c->stale[i]), t1);
		fprintf(out, "  ");
		cov_edge_text(out, c->stale[i]);
		fprintf(out, ", last seen %s\n", t1);
	}
	if (c->unknown_edges)
		fprintf(out,
			"\nUNKNOWN PEERS: %zu edge%s with cluster addresses that matched no pod or "
			"Service (flowlock show lists them)\n",
			c->unknown_edges, c->unknown_edges == 1 ? "" : "s");
	cov_attempts_text(out, c, g);
}

static void cov_json_time(struct util_yaml_out *y, const char *key, uint64_t ns)
{
	char buf[UTIL_TIME_LEN];

	util_time_format(ns, buf);
	util_yaml_out_kv(y, key, buf);
}

static void cov_json_edge(struct util_yaml_out *y, const struct graph_edge *e)
{
	util_yaml_out_map_start(y);
	util_yaml_out_kv(y, "client", graph_workload_id(graph_edge_client(e)));
	util_yaml_out_kv(y, "server", graph_workload_id(graph_edge_server(e)));
	util_yaml_out_kv(y, "protocol", util_proto_name(graph_edge_proto(e)));
	util_yaml_out_str(y, "port");
	util_yaml_out_u64(y, graph_edge_port(e));
	cov_json_time(y, "first_seen", graph_edge_first_ns(e));
	cov_json_time(y, "last_seen", graph_edge_last_ns(e));
	util_yaml_out_map_end(y);
}

static void cov_json_attempts(struct util_yaml_out *y, const struct cov *c, const struct graph *g)
{
	if (graph_attempt_count(g) == 0 && c->attempts_dropped == 0)
		return;
	util_yaml_out_str(y, "possible_scans");
	util_yaml_out_seq_start(y);
	for (size_t i = 0; i < graph_attempt_count(g); i++) {
		const struct graph_attempt *a = graph_attempt(g, i);

		util_yaml_out_map_start(y);
		util_yaml_out_kv(y, "client", graph_workload_id(graph_attempt_client(a)));
		util_yaml_out_kv(y, "server", graph_workload_id(graph_attempt_server(a)));
		util_yaml_out_kv(y, "protocol", util_proto_name(graph_attempt_proto(a)));
		util_yaml_out_str(y, "ports");
		util_yaml_out_seq_start(y);
		for (size_t j = 0; j < graph_attempt_port_count(a); j++)
			util_yaml_out_u64(y, graph_attempt_port(a, j));
		util_yaml_out_seq_end(y);
		util_yaml_out_str(y, "refused");
		util_yaml_out_u64(y, graph_attempt_refused(a));
		util_yaml_out_str(y, "unanswered");
		util_yaml_out_u64(y, graph_attempt_unanswered(a));
		cov_json_time(y, "first_seen", graph_attempt_first_ns(a));
		cov_json_time(y, "last_seen", graph_attempt_last_ns(a));
		util_yaml_out_map_end(y);
	}
	util_yaml_out_seq_end(y);
	util_yaml_out_str(y, "attempts_dropped");
	util_yaml_out_u64(y, c->attempts_dropped);
}

static int cov_json(FILE *out, const struct cov *c, const struct graph *g, unsigned stale_days,
		    struct util_err *err)
{
	char day[UTIL_TIME_LEN];
	struct util_yaml_out *y;
	struct cov_kind *k;
	struct cov_day *d;
	int r;

	r = util_yaml_out_open(out, UTIL_YAML_OUT_JSON, "the coverage JSON", err, &y);
	if (r < 0)
		return r;
	util_yaml_out_document_start(y);
	util_yaml_out_map_start(y);
	util_yaml_out_str(y, "window");
	util_yaml_out_map_start(y);
	if (c->spans) {
		cov_json_time(y, "first", c->first);
		cov_json_time(y, "last", c->last);
	}
	util_yaml_out_str(y, "watched_seconds");
	util_yaml_out_u64(y, c->watched / UTIL_NSEC_PER_SEC);
	util_yaml_out_str(y, "spans");
	util_yaml_out_u64(y, c->spans);
	util_yaml_out_map_end(y);
	if (c->newest && c->spans) {
		uint64_t at = graph_edge_first_ns(c->newest);

		util_yaml_out_str(y, "last_new_edge");
		cov_json_edge(y, c->newest);
		util_yaml_out_str(y, "seconds_since_last_new_edge");
		util_yaml_out_u64(y, (c->last > at ? c->last - at : 0) / UTIL_NSEC_PER_SEC);
	}
	util_yaml_out_str(y, "workloads");
	util_yaml_out_map_start(y);
	for (k = c->kinds; k; k = k->hh.next) {
		util_yaml_out_str(y, k->name);
		util_yaml_out_map_start(y);
		util_yaml_out_str(y, "seen_running");
		util_yaml_out_u64(y, k->seen);
		util_yaml_out_str(y, "never_seen");
		util_yaml_out_u64(y, k->never);
		util_yaml_out_map_end(y);
	}
	util_yaml_out_map_end(y);
	util_yaml_out_str(y, "never_seen_running");
	util_yaml_out_seq_start(y);
	for (size_t i = 0; i < c->n_never; i++)
		util_yaml_out_str(y, graph_workload_id(c->never[i]));
	util_yaml_out_seq_end(y);
	util_yaml_out_str(y, "new_edges_per_day");
	util_yaml_out_map_start(y);
	for (d = c->days; d; d = d->hh.next) {
		cov_day_text(d->day, day);
		util_yaml_out_str(y, day);
		util_yaml_out_u64(y, d->edges);
	}
	util_yaml_out_map_end(y);
	util_yaml_out_str(y, "stale_days");
	util_yaml_out_u64(y, stale_days);
	util_yaml_out_str(y, "stale_edges");
	util_yaml_out_seq_start(y);
	for (size_t i = 0; i < c->n_stale; i++)
		cov_json_edge(y, c->stale[i]);
	util_yaml_out_seq_end(y);
	util_yaml_out_str(y, "unknown_peer_edges");
	util_yaml_out_u64(y, c->unknown_edges);
	cov_json_attempts(y, c, g);
	util_yaml_out_map_end(y);
	util_yaml_out_document_end(y);
	return util_yaml_out_close(y, NULL, NULL, NULL);
}

int emit_coverage(FILE *out, enum emit_report_format format, const struct graph *g,
		  unsigned stale_days, struct util_err *err)
{
	struct cov c = {0};
	int r;

	if (format == EMIT_REPORT_MARKDOWN)
		return util_err_set(err, EINVAL, "coverage is text or json");
	cov_build(&c, g, stale_days);
	r = cov_check_ids(&c, g, err);
	if (r == 0 && format == EMIT_REPORT_JSON) {
		r = cov_json(out, &c, g, stale_days, err);
	} else if (r == 0) {
		cov_text(out, &c, g, stale_days);
		if (ferror(out))
			r = util_err_set(err, EIO, "coverage: write failed");
	}
	cov_free(&c);
	return r;
}
