/* SPDX-License-Identifier: Apache-2.0 */
/* inventory-live.c - live containers: their claims on addresses over time. */
#include "inventory/inventory-private.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>

/* ---- Live containers ---------------------------------------------------------------------- */

void inv_live_clear(struct inventory *inv)
{
	struct inv_live_ip *ip, *iptmp;
	struct inv_live_ctr *c, *ctmp;
	struct inv_live_wl *l, *ltmp;

	HASH_ITER (hh, inv->live_ips, ip, iptmp) {
		HASH_DEL(inv->live_ips, ip);
		free(ip);
	}
	HASH_ITER (hh, inv->live_ctrs, c, ctmp) {
		HASH_DEL(inv->live_ctrs, c);
		free(c->id);
		free(c->addrs);
		free(c);
	}
	HASH_ITER (hh, inv->live_wls, l, ltmp) {
		HASH_DEL(inv->live_wls, l);
		graph_workload_unref(l->w);
		free(l);
	}
}

/* The workload of a live container, made as a docker inspect file's would be. */
static struct graph_workload *inv_live_workload(struct inventory *inv, const char *project,
						const char *name, bool *ret_new)
{
	struct graph_workload *w = graph_workload_new(GRAPH_KIND_DOCKER, project, "", name);
	const char *id = graph_workload_id(w);
	struct inv_live_wl *l;

	HASH_FIND_STR(inv->live_wls, id, l);
	if (l) {
		graph_workload_unref(w);
		return l->w;
	}
	if (project) {
		graph_workload_set_label(w, "com.docker.compose.project", project);
		graph_workload_set_label(w, "com.docker.compose.service", name);
	}
	l = util_zalloc(sizeof(*l));
	l->w = w;
	HASH_ADD_KEYPTR(hh, inv->live_wls, id, strlen(id), l);
	*ret_new = true;
	return w;
}

static bool inv_addrs_have(const struct util_addr *v, size_t n, const struct util_addr *a)
{
	for (size_t i = 0; i < n; i++)
		if (memcmp(&v[i], a, sizeof(*a)) == 0)
			return true;
	return false;
}

/* Ends the container's claim on a at t, when it is the one holding the address. */
static void inv_live_close(struct inventory *inv, const struct util_addr *a, uint64_t serial,
			   uint64_t t)
{
	struct inv_live_claim *c;
	struct inv_live_ip *e;

	HASH_FIND(hh, inv->live_ips, a, sizeof(*a), e);
	if (!e || e->n == 0)
		return;
	c = &e->claims[e->n - 1];
	if (c->serial == serial && c->until == INV_LIVE_OPEN)
		c->until = t > c->since ? t : c->since;
}

/*
 * Gives a to w from since on. Whoever held it until now loses it then (its die event may come
 * later, or never if the engine restarted). Claims stay sorted by since: a set that reports an
 * earlier time than the newest claim starts where that claim starts.
 */
static void inv_live_open(struct inventory *inv, const struct util_addr *a,
			  struct graph_workload *w, uint64_t serial, uint64_t since)
{
	struct inv_live_claim *last;
	struct inv_live_ip *e;

	HASH_FIND(hh, inv->live_ips, a, sizeof(*a), e);
	if (!e) {
		e = util_zalloc(sizeof(*e));
		e->addr = *a;
		HASH_ADD(hh, inv->live_ips, addr, sizeof(e->addr), e);
	}
	if (e->n > 0) {
		last = &e->claims[e->n - 1];
		if (since < last->since)
			since = last->since;
		if (last->until == INV_LIVE_OPEN)
			last->until = since;
	}
	if (e->n == INV_LIVE_HISTORY) {
		memmove(&e->claims[0], &e->claims[1],
			(INV_LIVE_HISTORY - 1) * sizeof(e->claims[0]));
		e->n--;
	}
	e->claims[e->n++] = (struct inv_live_claim){w, serial, since, INV_LIVE_OPEN};
}

/*
 * The same container set again with nothing changed (the list, then a start event that came in
 * before it): its open claims may start earlier than was first known, back to the claim before.
 */
static void inv_live_extend(struct inventory *inv, const struct util_addr *a, uint64_t serial,
			    uint64_t since)
{
	struct inv_live_claim *c;
	struct inv_live_ip *e;
	uint64_t floor = 0;

	HASH_FIND(hh, inv->live_ips, a, sizeof(*a), e);
	if (!e || e->n == 0)
		return;
	c = &e->claims[e->n - 1];
	if (c->serial != serial || c->until != INV_LIVE_OPEN || since >= c->since)
		return;
	if (e->n > 1)
		floor = e->claims[e->n - 2].until;
	c->since = since > floor ? since : floor;
}

int inventory_set_container(struct inventory *inv, const struct inventory_container *c,
			    uint64_t since_ns, struct util_err *err)
{
	char show[UTIL_YAML_SHOW_LEN], show_id[UTIL_YAML_SHOW_LEN];
	struct util_addr *addrs = NULL;
	struct graph_workload *w;
	struct inv_live_ctr *ctr;
	size_t n_addrs = 0;
	bool is_new = false;

	if (!c->id || !util_docker_name(c->id))
		return util_err_set(err, EINVAL, "invalid container id \"%s\"",
				    util_yaml_show(c->id ? c->id : "", show));
	util_yaml_show(c->id, show_id);
	if (!c->name || !util_docker_name(c->name))
		return util_err_set(err, EINVAL, "container %s: invalid container name \"%s\"",
				    show_id, util_yaml_show(c->name ? c->name : "", show));
	if (c->project && !util_docker_name(c->project))
		return util_err_set(err, EINVAL,
				    "container %s: invalid compose project label \"%s\"", show_id,
				    util_yaml_show(c->project, show));
	if (c->service && !util_docker_name(c->service))
		return util_err_set(err, EINVAL,
				    "container %s: invalid compose service label \"%s\"", show_id,
				    util_yaml_show(c->service, show));
	for (size_t i = 0; i < c->n_addrs; i++)
		if (c->addrs[i].family != AF_INET && c->addrs[i].family != AF_INET6)
			return util_err_set(err, EINVAL, "container %s: invalid address family %u",
					    show_id, c->addrs[i].family);

	/* nothing fails past this point: a refused container leaves the inventory as it was */
	inv_changed(inv);
	addrs = util_reallocarray(NULL, c->n_addrs, sizeof(*addrs));
	for (size_t i = 0; i < c->n_addrs; i++) {
		struct util_addr a;

		inv_addr_normalise(&c->addrs[i], &a);
		if (!inv_addrs_have(addrs, n_addrs, &a))
			addrs[n_addrs++] = a;
	}
	if (c->project && c->service)
		w = inv_live_workload(inv, c->project, c->service, &is_new);
	else
		w = inv_live_workload(inv, NULL, c->name, &is_new);

	HASH_FIND_STR(inv->live_ctrs, c->id, ctr);
	if (!ctr) {
		ctr = util_zalloc(sizeof(*ctr));
		ctr->id = util_strdup(c->id);
		ctr->serial = ++inv->live_serial;
		HASH_ADD_KEYPTR(hh, inv->live_ctrs, ctr->id, strlen(ctr->id), ctr);
	}
	/* addresses it keeps under the same workload stay claimed without a break */
	for (size_t i = 0; i < ctr->n_addrs; i++) {
		if (ctr->w == w && inv_addrs_have(addrs, n_addrs, &ctr->addrs[i]))
			inv_live_extend(inv, &ctr->addrs[i], ctr->serial, since_ns);
		else
			inv_live_close(inv, &ctr->addrs[i], ctr->serial, since_ns);
	}
	for (size_t i = 0; i < n_addrs; i++)
		if (ctr->w != w || !inv_addrs_have(ctr->addrs, ctr->n_addrs, &addrs[i]))
			inv_live_open(inv, &addrs[i], w, ctr->serial, since_ns);
	free(ctr->addrs);
	ctr->addrs = addrs;
	ctr->n_addrs = n_addrs;
	ctr->w = w;
	if (is_new)
		inv_view_build(inv);
	return 0;
}

void inventory_remove_container(struct inventory *inv, const char *id, uint64_t until_ns)
{
	struct inv_live_ctr *ctr;

	if (!id)
		return;
	HASH_FIND_STR(inv->live_ctrs, id, ctr);
	if (!ctr)
		return;
	inv_changed(inv);
	for (size_t i = 0; i < ctr->n_addrs; i++)
		inv_live_close(inv, &ctr->addrs[i], ctr->serial, until_ns);
	HASH_DEL(inv->live_ctrs, ctr);
	free(ctr->id);
	free(ctr->addrs);
	free(ctr);
}

/*
 * A container's process runs (and sends: DNS, first connections) a little before the engine's
 * start event, and a packet's stamp and the engine's can differ by as much: this is how far
 * either side of a claim a flow still belongs to it.
 */
#define INV_LIVE_SLACK (2 * UTIL_NSEC_PER_SEC)

/*
 * Who held a (normalised) at ts: the claim valid then; else, for a flow reported after its
 * container left, the latest claim that started before ts, unless it ended more than the slack
 * before ts and another starts within the slack after (ret_early: that one, which a file claim
 * of the address still beats); else nobody live.
 */
struct graph_workload *inv_live_find(const struct inventory *inv, const struct util_addr *a,
				     uint64_t ts, bool *ret_early)
{
	const struct inv_live_claim *before = NULL, *after = NULL;
	const struct inv_live_ip *e;

	*ret_early = false;
	HASH_FIND(hh, inv->live_ips, a, sizeof(*a), e);
	if (!e)
		return NULL;
	for (size_t i = e->n; i-- > 0;)
		if (e->claims[i].since <= ts && ts < e->claims[i].until)
			return e->claims[i].w;
	/* claims are sorted by since: the latest one started before ts, the first one after */
	for (size_t i = 0; i < e->n; i++) {
		if (e->claims[i].since <= ts)
			before = &e->claims[i];
		else if (!after)
			after = &e->claims[i];
	}
	if (after && after->since - ts <= INV_LIVE_SLACK &&
	    (!before || ts - before->until > INV_LIVE_SLACK)) {
		*ret_early = true;
		return after->w;
	}
	return before ? before->w : NULL;
}
