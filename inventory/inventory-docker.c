/* SPDX-License-Identifier: Apache-2.0 */
/* inventory-docker.c - containers from docker inspect output. */
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

/* ---- docker inspect ----------------------------------------------------------------------- */

static int inv_docker_ips(struct inv_ctx *ctx, const struct util_yaml_node *map,
			  struct inv_addrs *out)
{
	const struct util_yaml_node *n;
	int r;

	r = inv_str(ctx, map, "IPAddress", &n);
	if (r < 0)
		return r;
	r = inv_ip(ctx, n, out);
	if (r < 0)
		return r;
	r = inv_str(ctx, map, "GlobalIPv6Address", &n);
	if (r < 0)
		return r;
	return inv_ip(ctx, n, out);
}

static int inv_docker_label(struct inv_ctx *ctx, const struct util_yaml_node *labels,
			    const char *key, const char *what, const struct util_yaml_node **ret)
{
	char show[UTIL_YAML_SHOW_LEN];
	const struct util_yaml_node *n;
	int r;

	r = inv_str(ctx, labels, key, &n);
	if (r < 0)
		return r;
	if (n && !util_docker_name(n->str))
		return inv_fail(ctx, n, "invalid compose %s label \"%s\" on %s", what,
				util_yaml_show(n->str, show), ctx->rd.subject);
	*ret = n;
	return 0;
}

/*
 * Whether the container was up, and when. Docker writes "0001-01-01T00:00:00Z" for a time
 * that never happened, and nanoseconds; anything that is not a time counts as unset.
 */
static int inv_docker_state(struct inv_ctx *ctx, const struct util_yaml_node *obj,
			    struct inv_container *c)
{
	const struct util_yaml_node *state, *n;
	int r;

	c->running = true;
	r = inv_field(ctx, obj, "State", UTIL_YAML_MAP, &state);
	if (r < 0 || !state)
		return r;
	r = inv_bool(ctx, state, "Running", &c->running);
	if (r < 0)
		return r;
	r = inv_str(ctx, state, "StartedAt", &n);
	if (r < 0)
		return r;
	if (n && util_time_parse(n->str, &c->start_ns) < 0)
		c->start_ns = 0;
	r = inv_str(ctx, state, "FinishedAt", &n);
	if (r < 0)
		return r;
	if (n && util_time_parse(n->str, &c->end_ns) < 0)
		c->end_ns = 0;
	return 0;
}

/*
 * A compose container is the workload "PROJECT/SERVICE", labelled with the two compose labels
 * under their own keys; a plain container is its name and has no labels. Other Config.Labels
 * are free-form (images put anything there) and are not kept.
 */
int inv_docker_container(struct inv_ctx *ctx, const struct util_yaml_node *obj)
{
	const struct util_yaml_node *name, *config, *labels, *project, *service, *host, *mode, *net,
		*nets;
	struct inv_container c = {0};
	char show[UTIL_YAML_SHOW_LEN];
	const char *cname;
	int r;

	ctx->rd.subject[0] = '\0';
	r = inv_str(ctx, obj, "Name", &name);
	if (r < 0)
		return r;
	if (!name)
		return inv_fail(ctx, obj, "container without Name");
	cname = name->str[0] == '/' ? name->str + 1 : name->str;
	if (!util_docker_name(cname))
		return inv_fail(ctx, name, "invalid container name \"%s\"",
				util_yaml_show(cname, show));
	snprintf(ctx->rd.subject, sizeof(ctx->rd.subject), "container %s", cname);

	r = inv_field(ctx, obj, "Config", UTIL_YAML_MAP, &config);
	if (r < 0)
		return r;
	r = inv_field(ctx, config, "Labels", UTIL_YAML_MAP, &labels);
	if (r < 0)
		return r;
	r = inv_docker_label(ctx, labels, "com.docker.compose.project", "project", &project);
	if (r < 0)
		return r;
	r = inv_docker_label(ctx, labels, "com.docker.compose.service", "service", &service);
	if (r < 0)
		return r;

	r = inv_field(ctx, obj, "HostConfig", UTIL_YAML_MAP, &host);
	if (r < 0)
		return r;
	r = inv_str(ctx, host, "NetworkMode", &mode);
	if (r < 0)
		return r;
	r = inv_field(ctx, obj, "NetworkSettings", UTIL_YAML_MAP, &net);
	if (r < 0)
		return r;
	r = inv_docker_ips(ctx, net, &c.ips);
	if (r < 0)
		goto out;
	r = inv_field(ctx, net, "Networks", UTIL_YAML_MAP, &nets);
	if (r < 0)
		goto out;
	for (size_t i = 0; nets && i + 1 < nets->n_kids; i += 2) {
		if (util_yaml_is_null(nets->kids[i + 1]))
			continue;
		if (nets->kids[i + 1]->type != UTIL_YAML_MAP) {
			r = inv_fail(ctx, nets->kids[i + 1], "network is not a mapping on %s",
				     ctx->rd.subject);
			goto out;
		}
		r = inv_docker_ips(ctx, nets->kids[i + 1], &c.ips);
		if (r < 0)
			goto out;
	}
	r = inv_docker_state(ctx, obj, &c);
	if (r < 0)
		goto out;
	/* a host-network container has no address of its own: its traffic is the host's */
	if (mode && strcmp(mode->str, "host") == 0) {
		r = 0;
		goto out;
	}

	if (project && service) {
		c.project = util_strdup(project->str);
		c.name = util_strdup(service->str);
	} else {
		c.name = util_strdup(cname);
	}
	ctx->batch->containers =
		inv_grow(ctx->batch->containers, ctx->batch->n_containers,
			 &ctx->batch->cap_containers, sizeof(*ctx->batch->containers));
	ctx->batch->containers[ctx->batch->n_containers++] = c;
	return 0;
out:
	free(c.ips.v);
	return r;
}

/* docker image inspect: images have RepoTags and RootFS, and no container's State or Name. */
bool inv_is_image(const struct util_yaml_node *root)
{
	if (root->type != UTIL_YAML_SEQ || root->n_kids == 0)
		return false;
	for (size_t i = 0; i < root->n_kids; i++) {
		const struct util_yaml_node *c = root->kids[i];

		if (c->type != UTIL_YAML_MAP || util_yaml_get(c, "State") ||
		    util_yaml_get(c, "Name") ||
		    (!util_yaml_get(c, "RepoTags") && !util_yaml_get(c, "RootFS")))
			return false;
	}
	return true;
}

bool inv_is_docker(const struct util_yaml_node *root)
{
	if (root->type != UTIL_YAML_SEQ || root->n_kids == 0)
		return false;
	for (size_t i = 0; i < root->n_kids; i++) {
		const struct util_yaml_node *c = root->kids[i];

		if (c->type != UTIL_YAML_MAP || !util_yaml_get(c, "Id") ||
		    (!util_yaml_get(c, "NetworkSettings") && !util_yaml_get(c, "Config")))
			return false;
	}
	return true;
}
