/* SPDX-License-Identifier: Apache-2.0 */
/* inventory-k8s.c - Kubernetes objects from kubectl output: pods, Services, EndpointSlices, nodes,
 * namespaces. */
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

/* ---- Kubernetes objects ------------------------------------------------------------------- */

/* apiVersion "apps/v1" is group "apps"; "v1" is the core group, "". */
static int inv_api_group(struct inv_ctx *ctx, const struct util_yaml_node *n, char **ret)
{
	char show[UTIL_YAML_SHOW_LEN];
	const char *slash;
	char *group;

	if (!n) {
		*ret = util_strdup("");
		return 0;
	}
	slash = strrchr(n->str, '/');
	group = slash ? util_strndup(n->str, (size_t)(slash - n->str)) : util_strdup("");
	if ((*group && !util_k8s_dns_subdomain(group)) || !*(slash ? slash + 1 : n->str)) {
		free(group);
		return inv_fail(ctx, n, "invalid apiVersion \"%s\" on %s",
				util_yaml_show(n->str, show), ctx->rd.subject);
	}
	*ret = group;
	return 0;
}

/* The built-in groups: their kinds are written without a group, as before groups were kept. */
static bool inv_group_builtin(const char *group)
{
	return !*group || strcmp(group, "apps") == 0 || strcmp(group, "batch") == 0 ||
	       strcmp(group, "extensions") == 0;
}

/* "Deployment", or for another group's kind "Rollout.argoproj.io". */
char *inv_controller_name(const char *kind, const char *group)
{
	return inv_group_builtin(group) ? util_strdup(kind) : util_asprintf("%s.%s", kind, group);
}

/* The controller ownerReference of an object (the first one when none says controller). */
static int inv_owner_parse(struct inv_ctx *ctx, const struct util_yaml_node *meta,
			   struct inv_owner *ret)
{
	const struct util_yaml_node *owners, *owner = NULL, *kind, *name, *api;
	char show[UTIL_YAML_SHOW_LEN];
	int r;

	r = inv_field(ctx, meta, "ownerReferences", UTIL_YAML_SEQ, &owners);
	if (r < 0)
		return r;
	for (size_t i = 0; owners && i < owners->n_kids; i++) {
		bool controller;

		if (owners->kids[i]->type != UTIL_YAML_MAP)
			return inv_fail(ctx, owners->kids[i],
					"ownerReferences item is not a mapping on %s",
					ctx->rd.subject);
		r = inv_bool(ctx, owners->kids[i], "controller", &controller);
		if (r < 0)
			return r;
		if (!owner || controller)
			owner = owners->kids[i];
		if (controller)
			break;
	}
	if (!owner)
		return 0;
	r = inv_str(ctx, owner, "kind", &kind);
	if (r < 0)
		return r;
	if (!kind || !util_k8s_kind(kind->str))
		return inv_fail(ctx, kind ? kind : owner, "invalid owner kind \"%s\" on %s",
				util_yaml_show(kind ? kind->str : "", show), ctx->rd.subject);
	r = inv_str(ctx, owner, "name", &name);
	if (r < 0)
		return r;
	if (!name || !util_k8s_dns_subdomain(name->str))
		return inv_fail(ctx, name ? name : owner, "invalid owner name \"%s\" on %s",
				util_yaml_show(name ? name->str : "", show), ctx->rd.subject);
	r = inv_str(ctx, owner, "apiVersion", &api);
	if (r < 0)
		return r;
	r = inv_api_group(ctx, api, &ret->group);
	if (r < 0)
		return r;
	ret->kind = util_strdup(kind->str);
	ret->name = util_strdup(name->str);
	return 0;
}

/* A time field ("2026-11-20T09:14:05Z"); absent or null is 0. */
static int inv_time(struct inv_ctx *ctx, const struct util_yaml_node *map, const char *key,
		    uint64_t *ret)
{
	const struct util_yaml_node *n;
	char show[UTIL_YAML_SHOW_LEN];
	int r;

	*ret = 0;
	r = inv_str(ctx, map, key, &n);
	if (r < 0 || !n)
		return r;
	if (util_time_parse(n->str, ret) < 0)
		return inv_fail(ctx, n, "invalid time \"%s\" for %s on %s",
				util_yaml_show(n->str, show), key, ctx->rd.subject);
	return 0;
}

/*
 * When the pod's containers ran: the earliest start (when status.startTime is missing) and,
 * for a pod that finished, the latest finish of its containers.
 */
static int inv_container_times(struct inv_ctx *ctx, const struct util_yaml_node *status,
			       struct inv_pod *pod)
{
	static const char *const lists[] = {"initContainerStatuses", "containerStatuses"};
	const struct util_yaml_node *seq, *state, *st;
	uint64_t t;
	int r;

	for (size_t l = 0; l < UTIL_ARRAY_SIZE(lists); l++) {
		r = inv_field(ctx, status, lists[l], UTIL_YAML_SEQ, &seq);
		if (r < 0)
			return r;
		for (size_t i = 0; seq && i < seq->n_kids; i++) {
			r = inv_field(ctx, seq->kids[i], "state", UTIL_YAML_MAP, &state);
			if (r < 0)
				return r;
			for (int k = 0; k < 2; k++) {
				r = inv_field(ctx, state, k ? "terminated" : "running",
					      UTIL_YAML_MAP, &st);
				if (r < 0)
					return r;
				r = inv_time(ctx, st, "startedAt", &t);
				if (r < 0)
					return r;
				if (t && (!pod->start_ns || t < pod->start_ns))
					pod->start_ns = t;
				if (!k)
					continue;
				r = inv_time(ctx, st, "finishedAt", &t);
				if (r < 0)
					return r;
				if (t > pod->end_ns)
					pod->end_ns = t;
			}
		}
	}
	return 0;
}

static enum inv_phase inv_phase_parse(const char *s)
{
	static const char *const names[] = {
		[INV_PHASE_PENDING] = "Pending",
		[INV_PHASE_RUNNING] = "Running",
		[INV_PHASE_SUCCEEDED] = "Succeeded",
		[INV_PHASE_FAILED] = "Failed",
	};

	for (size_t i = INV_PHASE_PENDING; i < UTIL_ARRAY_SIZE(names); i++)
		if (strcmp(s, names[i]) == 0)
			return (enum inv_phase)i;
	return INV_PHASE_UNKNOWN;
}

static int inv_container_ports(struct inv_ctx *ctx, const struct util_yaml_node *spec,
			       const char *key, struct inv_pod *pod)
{
	const struct util_yaml_node *containers, *ports, *n;
	char show[UTIL_YAML_SHOW_LEN];
	int r;

	r = inv_field(ctx, spec, key, UTIL_YAML_SEQ, &containers);
	if (r < 0 || !containers)
		return r;
	for (size_t i = 0; i < containers->n_kids; i++) {
		r = inv_field(ctx, containers->kids[i], "ports", UTIL_YAML_SEQ, &ports);
		if (r < 0)
			return r;
		for (size_t j = 0; ports && j < ports->n_kids; j++) {
			const struct util_yaml_node *p = ports->kids[j];
			struct inv_cport cp = {0};

			if (p->type != UTIL_YAML_MAP)
				return inv_fail(ctx, p, "container port is not a mapping on %s",
						ctx->rd.subject);
			r = inv_str(ctx, p, "containerPort", &n);
			if (r < 0)
				return r;
			if (!n)
				return inv_fail(ctx, p,
						"container port without containerPort on %s",
						ctx->rd.subject);
			r = inv_port(ctx, n, &cp.port);
			if (r < 0)
				return r;
			r = inv_proto(ctx, p, &cp.proto);
			if (r < 0)
				return r;
			r = inv_str(ctx, p, "name", &n);
			if (r < 0)
				return r;
			if (n && !util_k8s_port_name(n->str))
				return inv_fail(ctx, n, "invalid port name \"%s\" on %s",
						util_yaml_show(n->str, show), ctx->rd.subject);
			cp.name = n ? util_strdup(n->str) : NULL;
			pod->cports = util_reallocarray(pod->cports, pod->n_cports + 1,
							sizeof(*pod->cports));
			pod->cports[pod->n_cports++] = cp;
		}
	}
	return 0;
}

static int inv_k8s_pod(struct inv_ctx *ctx, const struct util_yaml_node *obj)
{
	const struct util_yaml_node *meta, *labels, *spec, *status, *n;
	struct inv_pod pod = {0};
	char show[UTIL_YAML_SHOW_LEN];
	const char *ns, *name;
	int r;

	r = inv_k8s_meta(ctx, obj, "pod", true, false, &ns, &name);
	if (r < 0)
		goto out;
	pod.ns = util_strdup(ns);
	pod.name = util_strdup(name);
	meta = util_yaml_get(obj, "metadata");
	r = inv_field(ctx, meta, "labels", UTIL_YAML_MAP, &labels);
	if (r < 0)
		goto out;
	r = inv_labels(ctx, labels, &pod.labels, &pod.n_labels);
	if (r < 0)
		goto out;
	r = inv_owner_parse(ctx, meta, &pod.owner_ref);
	if (r < 0)
		goto out;
	r = inv_str(ctx, meta, "uid", &n);
	if (r < 0)
		goto out;
	if (n && *n->str && strlen(n->str) <= 128)
		pod.uid = util_strdup(n->str);

	r = inv_field(ctx, obj, "spec", UTIL_YAML_MAP, &spec);
	if (r < 0)
		goto out;
	r = inv_str(ctx, spec, "nodeName", &n);
	if (r < 0)
		goto out;
	if (n && !util_k8s_dns_subdomain(n->str)) {
		r = inv_fail(ctx, n, "invalid node name \"%s\" on %s", util_yaml_show(n->str, show),
			     ctx->rd.subject);
		goto out;
	}
	pod.node = n ? util_strdup(n->str) : NULL;
	r = inv_bool(ctx, spec, "hostNetwork", &pod.host_network);
	if (r < 0)
		goto out;
	r = inv_container_ports(ctx, spec, "containers", &pod);
	if (r < 0)
		goto out;
	/* sidecars are init containers that keep running, and may serve ports */
	r = inv_container_ports(ctx, spec, "initContainers", &pod);
	if (r < 0)
		goto out;

	r = inv_field(ctx, obj, "status", UTIL_YAML_MAP, &status);
	if (r < 0)
		goto out;
	r = inv_str(ctx, status, "phase", &n);
	if (r < 0)
		goto out;
	pod.phase = n ? inv_phase_parse(n->str) : INV_PHASE_NONE;
	pod.terminated = pod.phase == INV_PHASE_SUCCEEDED || pod.phase == INV_PHASE_FAILED;
	r = inv_time(ctx, status, "startTime", &pod.start_ns);
	if (r < 0)
		goto out;
	r = inv_container_times(ctx, status, &pod);
	if (r < 0)
		goto out;
	r = inv_ip(ctx, util_yaml_get(status, "podIP"), &pod.ips);
	if (r < 0)
		goto out;
	r = inv_ip_list(ctx, status, "podIPs", &pod.ips);
	if (r < 0)
		goto out;
	r = inv_ip(ctx, util_yaml_get(status, "hostIP"), &pod.host_ips);
	if (r < 0)
		goto out;
	r = inv_ip_list(ctx, status, "hostIPs", &pod.host_ips);
	if (r < 0)
		goto out;

	ctx->batch->pods = inv_grow(ctx->batch->pods, ctx->batch->n_pods, &ctx->batch->cap_pods,
				    sizeof(*ctx->batch->pods));
	ctx->batch->pods[ctx->batch->n_pods++] = pod;
	return 0;
out:
	inv_pod_clear(&pod);
	return r;
}

/* A Service or EndpointSlice port's name (a DNS label), "" when it has none. */
static int inv_port_name(struct inv_ctx *ctx, const struct util_yaml_node *map, char **ret)
{
	const struct util_yaml_node *n;
	char show[UTIL_YAML_SHOW_LEN];
	int r;

	r = inv_str(ctx, map, "name", &n);
	if (r < 0)
		return r;
	if (n && *n->str && !util_k8s_dns_label(n->str))
		return inv_fail(ctx, n, "invalid port name \"%s\" on %s",
				util_yaml_show(n->str, show), ctx->rd.subject);
	*ret = util_strdup(n ? n->str : "");
	return 0;
}

static int inv_service_port(struct inv_ctx *ctx, const struct util_yaml_node *p,
			    struct inv_sport *sp)
{
	const struct util_yaml_node *n;
	char show[UTIL_YAML_SHOW_LEN];
	int r;

	if (p->type != UTIL_YAML_MAP)
		return inv_fail(ctx, p, "service port is not a mapping on %s", ctx->rd.subject);
	r = inv_port_name(ctx, p, &sp->name);
	if (r < 0)
		return r;
	r = inv_str(ctx, p, "port", &n);
	if (r < 0)
		return r;
	if (!n)
		return inv_fail(ctx, p, "service port without port on %s", ctx->rd.subject);
	r = inv_port(ctx, n, &sp->port);
	if (r < 0)
		return r;
	r = inv_proto(ctx, p, &sp->proto);
	if (r < 0)
		return r;
	r = inv_str(ctx, p, "nodePort", &n);
	if (r < 0)
		return r;
	if (n) {
		r = inv_port(ctx, n, &sp->node_port);
		if (r < 0)
			return r;
	}
	r = inv_str(ctx, p, "targetPort", &n);
	if (r < 0 || !n)
		return r;
	if (*n->str >= '0' && *n->str <= '9')
		return inv_port(ctx, n, &sp->target);
	if (!util_k8s_port_name(n->str))
		return inv_fail(ctx, n, "invalid targetPort \"%s\" on %s",
				util_yaml_show(n->str, show), ctx->rd.subject);
	sp->target_name = util_strdup(n->str);
	return 0;
}

/* A ClusterIP that is "None" (headless) or empty (ExternalName) is no address. */
static int inv_cluster_ip(struct inv_ctx *ctx, const struct util_yaml_node *n,
			  struct inv_addrs *out)
{
	if (n && n->type == UTIL_YAML_SCALAR && strcmp(n->str, "None") == 0)
		return 0;
	return inv_ip(ctx, n, out);
}

static int inv_k8s_service(struct inv_ctx *ctx, const struct util_yaml_node *obj)
{
	const struct util_yaml_node *spec, *seq, *sel, *lb;
	struct inv_service svc = {0};
	const char *ns, *name;
	int r;

	r = inv_k8s_meta(ctx, obj, "service", true, true, &ns, &name);
	if (r < 0)
		goto out;
	svc.ns = util_strdup(ns);
	svc.name = util_strdup(name);
	r = inv_field(ctx, obj, "spec", UTIL_YAML_MAP, &spec);
	if (r < 0)
		goto out;
	r = inv_cluster_ip(ctx, util_yaml_get(spec, "clusterIP"), &svc.ips);
	if (r < 0)
		goto out;
	r = inv_field(ctx, spec, "clusterIPs", UTIL_YAML_SEQ, &seq);
	if (r < 0)
		goto out;
	for (size_t i = 0; seq && i < seq->n_kids; i++) {
		r = inv_cluster_ip(ctx, seq->kids[i], &svc.ips);
		if (r < 0)
			goto out;
	}
	/* addresses outside the cluster that lead to it: externalIPs, a load balancer's */
	r = inv_field(ctx, spec, "externalIPs", UTIL_YAML_SEQ, &seq);
	if (r < 0)
		goto out;
	for (size_t i = 0; seq && i < seq->n_kids; i++) {
		r = inv_ip(ctx, seq->kids[i], &svc.outside);
		if (r < 0)
			goto out;
	}
	r = inv_field(ctx, util_yaml_get(obj, "status"), "loadBalancer", UTIL_YAML_MAP, &lb);
	if (r < 0)
		goto out;
	/* {ip: ADDR}; one with a hostname instead (some clouds) is no address */
	r = inv_ip_list(ctx, lb, "ingress", &svc.outside);
	if (r < 0)
		goto out;
	r = inv_field(ctx, spec, "selector", UTIL_YAML_MAP, &sel);
	if (r < 0)
		goto out;
	r = inv_labels(ctx, sel, &svc.selector, &svc.n_selector);
	if (r < 0)
		goto out;
	r = inv_field(ctx, spec, "ports", UTIL_YAML_SEQ, &seq);
	if (r < 0)
		goto out;
	for (size_t i = 0; seq && i < seq->n_kids; i++) {
		svc.ports = util_reallocarray(svc.ports, svc.n_ports + 1, sizeof(*svc.ports));
		svc.ports[svc.n_ports] = (struct inv_sport){0};
		r = inv_service_port(ctx, seq->kids[i], &svc.ports[svc.n_ports]);
		svc.n_ports++; /* counted even when half-filled, so that it is freed */
		if (r < 0)
			goto out;
	}

	ctx->batch->services = inv_grow(ctx->batch->services, ctx->batch->n_services,
					&ctx->batch->cap_services, sizeof(*ctx->batch->services));
	ctx->batch->services[ctx->batch->n_services++] = svc;
	return 0;
out:
	inv_service_clear(&svc);
	return r;
}

/* "10.244.1.0/24" or "fd00:10:244:1::/64" into a masked range. */
int inv_range_parse(const char *s, struct inv_range *ret)
{
	struct util_prefix p;

	if (util_prefix_parse(s, UTIL_PREFIX_MASK, &p) < 0)
		return -EINVAL;
	ret->addr = p.addr;
	ret->prefix = (uint8_t)p.len;
	return 0;
}

static int inv_cidr(struct inv_ctx *ctx, const struct util_yaml_node *n, struct inv_range *ret)
{
	char show[UTIL_YAML_SHOW_LEN];

	if (n->type != UTIL_YAML_SCALAR || inv_range_parse(n->str, ret) < 0)
		return inv_fail(ctx, n, "invalid CIDR \"%s\" on %s", util_yaml_show_node(n, show),
				ctx->rd.subject);
	return 0;
}

static int inv_cidr_list(struct inv_ctx *ctx, const struct util_yaml_node *map, const char *key,
			 struct inv_range **v, size_t *n)
{
	const struct util_yaml_node *seq;
	int r;

	r = inv_field(ctx, map, key, UTIL_YAML_SEQ, &seq);
	if (r < 0 || !seq)
		return r;
	for (size_t i = 0; i < seq->n_kids; i++) {
		*v = util_reallocarray(*v, *n + 1, sizeof(**v));
		r = inv_cidr(ctx, seq->kids[i], &(*v)[*n]);
		if (r < 0)
			return r;
		(*n)++;
	}
	return 0;
}

/* A ServiceCIDR (networking.k8s.io): the ranges ClusterIPs are given from. */
static int inv_k8s_service_cidr(struct inv_ctx *ctx, const struct util_yaml_node *obj)
{
	const struct util_yaml_node *spec;
	const char *ns, *name;
	int r;

	r = inv_k8s_meta(ctx, obj, "servicecidr", false, false, &ns, &name);
	if (r < 0)
		return r;
	r = inv_field(ctx, obj, "spec", UTIL_YAML_MAP, &spec);
	if (r < 0)
		return r;
	return inv_cidr_list(ctx, spec, "cidrs", &ctx->batch->service_cidrs,
			     &ctx->batch->n_service_cidrs);
}

/*
 * The addresses behind a Service: an EndpointSlice (discovery.k8s.io/v1), or an Endpoints object
 * (v1, older clusters and mirrored slices). Only endpoints that take traffic are kept.
 */
static int inv_slice_ports(struct inv_ctx *ctx, const struct util_yaml_node *seq,
			   struct inv_slice *sl)
{
	const struct util_yaml_node *n;
	int r;

	for (size_t i = 0; seq && i < seq->n_kids; i++) {
		struct inv_slice_port *sp;

		if (seq->kids[i]->type != UTIL_YAML_MAP)
			return inv_fail(ctx, seq->kids[i], "port is not a mapping on %s",
					ctx->rd.subject);
		r = inv_str(ctx, seq->kids[i], "port", &n);
		if (r < 0)
			return r;
		if (!n)
			continue; /* "all ports": nothing to translate a Service port to */
		sl->ports = util_reallocarray(sl->ports, sl->n_ports + 1, sizeof(*sl->ports));
		sp = &sl->ports[sl->n_ports++];
		*sp = (struct inv_slice_port){0};
		r = inv_port_name(ctx, seq->kids[i], &sp->name);
		if (r < 0)
			return r;
		r = inv_port(ctx, n, &sp->port);
		if (r < 0)
			return r;
		r = inv_proto(ctx, seq->kids[i], &sp->proto);
		if (r < 0)
			return r;
	}
	return 0;
}

static void inv_slice_add(struct inv_ctx *ctx, struct inv_slice *sl)
{
	struct inv_batch *b = ctx->batch;

	b->slices = inv_grow(b->slices, b->n_slices, &b->cap_slices, sizeof(*b->slices));
	b->slices[b->n_slices++] = *sl;
	*sl = (struct inv_slice){0};
}

static int inv_k8s_endpoint_slice(struct inv_ctx *ctx, const struct util_yaml_node *obj)
{
	const struct util_yaml_node *meta, *labels, *svc, *type, *seq, *addrs, *cond;
	struct inv_slice sl = {0};
	char show[UTIL_YAML_SHOW_LEN];
	const char *ns, *name;
	int r;

	r = inv_k8s_meta(ctx, obj, "endpointslice", true, false, &ns, &name);
	if (r < 0)
		return r;
	meta = util_yaml_get(obj, "metadata");
	r = inv_field(ctx, meta, "labels", UTIL_YAML_MAP, &labels);
	if (r < 0)
		return r;
	r = inv_str(ctx, labels, "kubernetes.io/service-name", &svc);
	if (r < 0)
		return r;
	if (!svc)
		return 0; /* a slice of no Service: nothing to resolve through it */
	if (!util_k8s_dns_label(svc->str))
		return inv_fail(ctx, svc, "invalid service name \"%s\" on %s",
				util_yaml_show(svc->str, show), ctx->rd.subject);
	r = inv_str(ctx, obj, "addressType", &type);
	if (r < 0)
		return r;
	if (type && strcmp(type->str, "IPv4") != 0 && strcmp(type->str, "IPv6") != 0)
		return 0; /* FQDN endpoints are names, not addresses */
	sl.ns = util_strdup(ns);
	sl.service = util_strdup(svc->str);
	r = inv_field(ctx, obj, "ports", UTIL_YAML_SEQ, &seq);
	if (r < 0)
		goto out;
	r = inv_slice_ports(ctx, seq, &sl);
	if (r < 0)
		goto out;
	r = inv_field(ctx, obj, "endpoints", UTIL_YAML_SEQ, &seq);
	if (r < 0)
		goto out;
	for (size_t i = 0; seq && i < seq->n_kids; i++) {
		bool ready = true;

		if (seq->kids[i]->type != UTIL_YAML_MAP) {
			r = inv_fail(ctx, seq->kids[i], "endpoint is not a mapping on %s",
				     ctx->rd.subject);
			goto out;
		}
		r = inv_field(ctx, seq->kids[i], "conditions", UTIL_YAML_MAP, &cond);
		if (r < 0)
			goto out;
		/* absent means ready, as the API says */
		if (cond && util_yaml_get(cond, "ready")) {
			r = inv_bool(ctx, cond, "ready", &ready);
			if (r < 0)
				goto out;
		}
		r = inv_field(ctx, seq->kids[i], "addresses", UTIL_YAML_SEQ, &addrs);
		if (r < 0)
			goto out;
		for (size_t j = 0; ready && addrs && j < addrs->n_kids; j++) {
			r = inv_ip(ctx, addrs->kids[j], &sl.ready);
			if (r < 0)
				goto out;
		}
	}
	inv_slice_add(ctx, &sl);
	return 0;
out:
	inv_slice_clear(&sl);
	return r;
}

static int inv_k8s_endpoints(struct inv_ctx *ctx, const struct util_yaml_node *obj)
{
	const struct util_yaml_node *subsets, *seq;
	struct inv_slice sl = {0};
	const char *ns, *name;
	int r;

	r = inv_k8s_meta(ctx, obj, "endpoints", true, true, &ns, &name);
	if (r < 0)
		return r;
	r = inv_field(ctx, obj, "subsets", UTIL_YAML_SEQ, &subsets);
	if (r < 0)
		return r;
	/* each subset is addresses times ports: one slice each */
	for (size_t i = 0; subsets && i < subsets->n_kids; i++) {
		sl.ns = util_strdup(ns);
		sl.service = util_strdup(name);
		r = inv_field(ctx, subsets->kids[i], "ports", UTIL_YAML_SEQ, &seq);
		if (r < 0)
			goto out;
		r = inv_slice_ports(ctx, seq, &sl);
		if (r < 0)
			goto out;
		/* notReadyAddresses take no traffic */
		r = inv_ip_list(ctx, subsets->kids[i], "addresses", &sl.ready);
		if (r < 0)
			goto out;
		inv_slice_add(ctx, &sl);
	}
	return 0;
out:
	inv_slice_clear(&sl);
	return r;
}

/* Whether a pod template runs on its node's network: its pods are that node, not a workload. */
static int inv_template_host_network(struct inv_ctx *ctx, const struct util_yaml_node *spec,
				     bool cronjob, bool *ret)
{
	const struct util_yaml_node *n = spec;
	int r;

	*ret = false;
	if (cronjob) {
		r = inv_field(ctx, n, "jobTemplate", UTIL_YAML_MAP, &n);
		if (r < 0)
			return r;
		r = inv_field(ctx, n, "spec", UTIL_YAML_MAP, &n);
		if (r < 0)
			return r;
	}
	r = inv_field(ctx, n, "template", UTIL_YAML_MAP, &n);
	if (r < 0)
		return r;
	r = inv_field(ctx, n, "spec", UTIL_YAML_MAP, &n);
	if (r < 0 || !n)
		return r;
	return inv_bool(ctx, n, "hostNetwork", ret);
}

/*
 * A controller object: Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob (the built-in
 * groups), an Argo Rollout, a Volcano Job. group is its apiVersion's.
 */
static int inv_k8s_controller(struct inv_ctx *ctx, const struct util_yaml_node *obj,
			      const char *kind, const char *group)
{
	const struct util_yaml_node *spec;
	struct inv_object o = {0};
	const char *ns, *name;
	int r;

	r = inv_k8s_meta(ctx, obj, kind, true, false, &ns, &name);
	if (r < 0)
		return r;
	r = inv_owner_parse(ctx, util_yaml_get(obj, "metadata"), &o.owner_ref);
	if (r < 0)
		goto out;
	r = inv_field(ctx, obj, "spec", UTIL_YAML_MAP, &spec);
	if (r < 0)
		goto out;
	r = inv_template_host_network(ctx, spec, strcmp(kind, "CronJob") == 0, &o.host_network);
	if (r < 0)
		goto out;
	o.ns = util_strdup(ns);
	o.name = util_strdup(name);
	o.controller = inv_controller_name(kind, group);
	ctx->batch->objects = inv_grow(ctx->batch->objects, ctx->batch->n_objects,
				       &ctx->batch->cap_objects, sizeof(*ctx->batch->objects));
	ctx->batch->objects[ctx->batch->n_objects++] = o;
	return 0;
out:
	inv_object_clear(&o);
	return r;
}

static int inv_k8s_node(struct inv_ctx *ctx, const struct util_yaml_node *obj)
{
	const struct util_yaml_node *status, *addrs, *type, *spec, *n;
	struct inv_nodeobj node = {0};
	const char *ns, *name;
	int r;

	r = inv_k8s_meta(ctx, obj, "node", false, false, &ns, &name);
	if (r < 0)
		return r;
	r = inv_field(ctx, obj, "status", UTIL_YAML_MAP, &status);
	if (r < 0)
		return r;
	r = inv_field(ctx, status, "addresses", UTIL_YAML_SEQ, &addrs);
	if (r < 0)
		return r;
	for (size_t i = 0; addrs && i < addrs->n_kids; i++) {
		r = inv_str(ctx, addrs->kids[i], "type", &type);
		if (r < 0)
			goto out;
		/* Hostname and the DNS entries are names, not addresses */
		if (!type ||
		    (strcmp(type->str, "InternalIP") != 0 && strcmp(type->str, "ExternalIP") != 0))
			continue;
		r = inv_ip(ctx, util_yaml_get(addrs->kids[i], "address"), &node.ips);
		if (r < 0)
			goto out;
	}
	r = inv_field(ctx, obj, "spec", UTIL_YAML_MAP, &spec);
	if (r < 0)
		goto out;
	r = inv_cidr_list(ctx, spec, "podCIDRs", &node.pod_cidrs, &node.n_pod_cidrs);
	if (r < 0)
		goto out;
	if (node.n_pod_cidrs == 0) { /* clusters before dual-stack: the one podCIDR */
		r = inv_str(ctx, spec, "podCIDR", &n);
		if (r < 0)
			goto out;
		if (n) {
			node.pod_cidrs = util_zalloc(sizeof(*node.pod_cidrs));
			node.n_pod_cidrs = 1;
			r = inv_cidr(ctx, n, node.pod_cidrs);
			if (r < 0)
				goto out;
		}
	}
	node.name = util_strdup(name);
	ctx->batch->nodes = inv_grow(ctx->batch->nodes, ctx->batch->n_nodes, &ctx->batch->cap_nodes,
				     sizeof(*ctx->batch->nodes));
	ctx->batch->nodes[ctx->batch->n_nodes++] = node;
	return 0;
out:
	free(node.ips.v);
	free(node.pod_cidrs);
	return r;
}

/* A Namespace: its name is validated as a DNS label, its labels kept for namespaceSelectors. */
static int inv_k8s_namespace(struct inv_ctx *ctx, const struct util_yaml_node *obj)
{
	const struct util_yaml_node *labels;
	struct inv_namespace nso = {0};
	const char *ns, *name;
	int r;

	r = inv_k8s_meta(ctx, obj, "namespace", false, true, &ns, &name);
	if (r < 0)
		return r;
	r = inv_field(ctx, util_yaml_get(obj, "metadata"), "labels", UTIL_YAML_MAP, &labels);
	if (r < 0)
		return r;
	r = inv_labels(ctx, labels, &nso.labels, &nso.n_labels);
	if (r < 0) {
		inv_kv_free(nso.labels, nso.n_labels);
		return r;
	}
	nso.name = util_strdup(name);
	ctx->batch->namespaces =
		inv_grow(ctx->batch->namespaces, ctx->batch->n_namespaces,
			 &ctx->batch->cap_namespaces, sizeof(*ctx->batch->namespaces));
	ctx->batch->namespaces[ctx->batch->n_namespaces++] = nso;
	return 0;
}

/* The kinds of workload controllers flowlock reads, by API group. */
static const struct {
	const char *group, *kind;
} inv_controller_kinds[] = {
	{"apps", "Deployment"},	    {"apps", "StatefulSet"},
	{"apps", "DaemonSet"},	    {"apps", "ReplicaSet"},
	{"batch", "Job"},	    {"batch", "CronJob"},
	{"argoproj.io", "Rollout"}, {"batch.volcano.sh", "Job"},
};

int inv_k8s_object(struct inv_ctx *ctx, const struct util_yaml_node *obj, const char *kind,
		   const struct util_yaml_node *list_api)
{
	const struct util_yaml_node *n, *api;
	char *group = NULL;
	int r;

	if (obj->type != UTIL_YAML_MAP)
		return inv_fail(ctx, obj, "list item is not a mapping");
	r = inv_str(ctx, obj, "kind", &n);
	if (r < 0)
		return r;
	if (n)
		kind = n->str;
	if (!kind)
		return 0;
	if (strcmp(kind, "Pod") == 0)
		return inv_k8s_pod(ctx, obj);
	if (strcmp(kind, "Service") == 0)
		return inv_k8s_service(ctx, obj);
	if (strcmp(kind, "Node") == 0)
		return inv_k8s_node(ctx, obj);
	if (strcmp(kind, "Namespace") == 0)
		return inv_k8s_namespace(ctx, obj);
	if (strcmp(kind, "EndpointSlice") == 0)
		return inv_k8s_endpoint_slice(ctx, obj);
	if (strcmp(kind, "Endpoints") == 0)
		return inv_k8s_endpoints(ctx, obj);
	if (strcmp(kind, "ServiceCIDR") == 0)
		return inv_k8s_service_cidr(ctx, obj);
	/* a typed list's items carry neither kind nor apiVersion: the list's holds */
	r = inv_str(ctx, obj, "apiVersion", &api);
	if (r < 0)
		return r;
	r = inv_api_group(ctx, api ? api : list_api, &group);
	if (r < 0)
		return r;
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(inv_controller_kinds); i++) {
		if (strcmp(kind, inv_controller_kinds[i].kind) == 0 &&
		    strcmp(group, inv_controller_kinds[i].group) == 0) {
			r = inv_k8s_controller(ctx, obj, kind, group);
			break;
		}
	}
	free(group);
	return r; /* ConfigMaps, Secrets...: nothing to learn addresses or workloads from */
}

/* A List ("List", or "PodList" and friends, whose items carry no kind) or a single object. */
int inv_k8s_document(struct inv_ctx *ctx, const struct util_yaml_node *root)
{
	const char *kind = util_yaml_get(root, "kind")->str;
	const struct util_yaml_node *items, *api = util_yaml_get(root, "apiVersion");
	size_t len = strlen(kind);
	char *item_kind = NULL;
	int r;

	if (len < 4 || strcmp(kind + len - 4, "List") != 0)
		return inv_k8s_object(ctx, root, NULL, NULL);
	r = inv_field(ctx, root, "items", UTIL_YAML_SEQ, &items);
	if (r < 0)
		return r;
	if (len > 4)
		item_kind = util_strndup(kind, len - 4);
	for (size_t i = 0; items && i < items->n_kids && r == 0; i++)
		r = inv_k8s_object(ctx, items->kids[i], item_kind, api);
	free(item_kind);
	return r;
}
