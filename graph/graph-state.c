/* SPDX-License-Identifier: Apache-2.0 */
/* graph-state.c - the state file's rules, shared by load and save: a state we write is always one
 * we can read back. */
#include "graph/graph-private.h"

#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

/* ---- Rules shared by load and save: a state we write is always one we can read back ------ */

/* A hostile value quoted in a message: printable ASCII only, cut short. */
const char *state_show(const char *s, char buf[static STATE_SHOW_LEN])
{
	return util_show_printable(s, STATE_SHOW_LEN - 4, buf);
}

/* Canonical text (what inet_ntop prints, no leading zeros in LEN), so that ids cannot alias. */
bool state_cidr(const char *s)
{
	struct util_prefix p;

	return util_prefix_parse(s, UTIL_PREFIX_CANONICAL, &p) == 0;
}

bool state_ip(const char *s)
{
	struct util_prefix p;

	return !strchr(s, '/') &&
	       util_prefix_parse(s, UTIL_PREFIX_HOST | UTIL_PREFIX_CANONICAL, &p) == 0;
}

const char *const state_workload_keys[WL_N] = {
	[WL_ID] = "id",
	[WL_KIND] = "kind",
	[WL_NAMESPACE] = "namespace",
	[WL_CONTROLLER] = "controller",
	[WL_NAME] = "name",
	[WL_LABELS] = "labels",
	[WL_ADDRESSES] = "addresses",
	[WL_FIRST_RUNNING] = "first-running",
	[WL_LAST_RUNNING] = "last-running",
};

/*
 * Checks the identity fields of a workload of the given kind ("" is an absent field). On failure
 * writes why into msg and the offending field (WL_*) into ret_field.
 */
int state_check_identity(enum graph_kind kind, const char *ns, const char *ctrl, const char *name,
			 char msg[static STATE_MSG_LEN], int *ret_field)
{
	const char *kname = graph_kind_name(kind), *rule = NULL;
	char show[STATE_SHOW_LEN];
	int field = WL_NAME;
	bool ok;

	switch (kind) {
	case GRAPH_KIND_K8S:
		if (!*ns || !*ctrl) {
			field = *ns ? WL_CONTROLLER : WL_NAMESPACE;
			snprintf(msg, STATE_MSG_LEN, "kind k8s needs a %s",
				 state_workload_keys[field]);
			goto fail;
		}
		if (!util_k8s_dns_label(ns)) {
			field = WL_NAMESPACE;
			snprintf(msg, STATE_MSG_LEN,
				 "namespace \"%s\" is not a valid Kubernetes namespace (RFC 1123 "
				 "label)",
				 state_show(ns, show));
			goto fail;
		}
		if (!util_k8s_controller(ctrl)) {
			field = WL_CONTROLLER;
			snprintf(msg, STATE_MSG_LEN,
				 "controller \"%s\" is not a Kubernetes kind (like Deployment, or "
				 "Rollout.argoproj.io)",
				 state_show(ctrl, show));
			goto fail;
		}
		ok = util_k8s_dns_subdomain(name);
		rule = "a Kubernetes object name (RFC 1123 subdomain)";
		break;
	case GRAPH_KIND_DOCKER:
		if (*ctrl) {
			field = WL_CONTROLLER;
			snprintf(msg, STATE_MSG_LEN, "controller is not allowed for kind docker");
			goto fail;
		}
		if (*ns && !util_docker_name(ns)) {
			field = WL_NAMESPACE;
			snprintf(msg, STATE_MSG_LEN,
				 "namespace \"%s\" is not a valid compose project name",
				 state_show(ns, show));
			goto fail;
		}
		ok = util_docker_name(name);
		rule = "a Docker container or compose service name";
		break;
	case GRAPH_KIND_NODE:
	case GRAPH_KIND_EXTERNAL:
	case GRAPH_KIND_UNKNOWN:
		if (*ns || *ctrl) {
			field = *ns ? WL_NAMESPACE : WL_CONTROLLER;
			snprintf(msg, STATE_MSG_LEN, "%s is not allowed for kind %s",
				 state_workload_keys[field], kname);
			goto fail;
		}
		if (kind == GRAPH_KIND_NODE) {
			ok = util_k8s_dns_subdomain(name) || state_ip(name);
			rule = "a node name or IP address";
		} else {
			ok = state_cidr(name);
			rule = "a CIDR in canonical form (like 203.0.113.0/24)";
		}
		break;
	default:
		field = WL_KIND;
		snprintf(msg, STATE_MSG_LEN, "unknown workload kind %d", (int)kind);
		goto fail;
	}
	if (!ok) {
		snprintf(msg, STATE_MSG_LEN, "%s name \"%s\" is not valid: expected %s", kname,
			 state_show(name, show), rule);
		goto fail;
	}
	return 0;
fail:
	*ret_field = field;
	return -EINVAL;
}

int state_check_label(const char *key, const char *value, char msg[static STATE_MSG_LEN])
{
	char show[STATE_SHOW_LEN], show2[STATE_SHOW_LEN];

	if (!util_k8s_label_key(key)) {
		snprintf(msg, STATE_MSG_LEN, "label key \"%s\" is not a valid Kubernetes label key",
			 state_show(key, show));
		return -EINVAL;
	}
	if (!util_k8s_label_value(value)) {
		snprintf(msg, STATE_MSG_LEN,
			 "label \"%s\" has an invalid value \"%s\" (at most 63 of [A-Za-z0-9._-], "
			 "alphanumeric at both ends)",
			 state_show(key, show), state_show(value, show2));
		return -EINVAL;
	}
	return 0;
}

int state_parse_address(const char *cidr, struct util_prefix *ret, char msg[static STATE_MSG_LEN])
{
	char show[STATE_SHOW_LEN];

	if (util_prefix_parse(cidr, UTIL_PREFIX_CANONICAL, ret) == 0)
		return 0;
	snprintf(msg, STATE_MSG_LEN,
		 "address \"%s\" is not a CIDR in canonical form (like 10.1.2.3/32)",
		 state_show(cidr, show));
	return -EINVAL;
}

/* ICMP has no ports: its edges carry port 0 and nothing else; every other protocol needs one. */
int state_check_port(uint8_t proto, uint64_t port, char msg[static STATE_MSG_LEN])
{
	const char *pname = util_proto_name(proto);

	if (!pname) {
		snprintf(msg, STATE_MSG_LEN, "unsupported protocol %u", proto);
		return -EINVAL;
	}
	if (proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6) {
		if (port == 0)
			return 0;
		snprintf(msg, STATE_MSG_LEN, "port %" PRIu64 " is not valid for %s (only 0)", port,
			 pname);
		return -EINVAL;
	}
	if (port >= 1 && port <= 65535)
		return 0;
	snprintf(msg, STATE_MSG_LEN, "port %" PRIu64 " is not valid for %s (1 to 65535)", port,
		 pname);
	return -EINVAL;
}
