/* SPDX-License-Identifier: Apache-2.0 */
/* util-k8s.c - the Kubernetes and Docker naming rules every emitted name and label must pass. */
#include "util/util.h"

#include <fnmatch.h>
#include <string.h>

static bool is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool is_alnum(char c)
{
	return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

bool util_k8s_dns_label(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 63 || !is_lower_alnum(s[0]) || !is_lower_alnum(s[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_lower_alnum(s[i]) && s[i] != '-')
			return false;
	return true;
}

bool util_k8s_dns_subdomain(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 253 || !is_lower_alnum(s[0]) || !is_lower_alnum(s[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!is_lower_alnum(s[i]) && s[i] != '-' && s[i] != '.')
			return false;
		/* each dot-separated part is itself a label: no empty part, no '-' at its edges */
		if (s[i] == '.' && (!is_lower_alnum(s[i - 1]) || !is_lower_alnum(s[i + 1])))
			return false;
	}
	return true;
}

/* The name part of a label key, and any label value: <= 63 of [A-Za-z0-9._-], alnum at both ends.
 */
static bool k8s_qualified_name(const char *s, size_t n, bool allow_empty)
{
	if (n == 0)
		return allow_empty;
	if (n > 63 || !is_alnum(s[0]) || !is_alnum(s[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_alnum(s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
			return false;
	return true;
}

bool util_k8s_label_key(const char *s)
{
	const char *slash = strchr(s, '/');
	char prefix[254];
	size_t plen;

	if (!slash)
		return k8s_qualified_name(s, strlen(s), false);
	plen = (size_t)(slash - s);
	if (plen == 0 || plen > 253)
		return false;
	memcpy(prefix, s, plen);
	prefix[plen] = '\0';
	return util_k8s_dns_subdomain(prefix) &&
	       k8s_qualified_name(slash + 1, strlen(slash + 1), false);
}

bool util_k8s_label_value(const char *s)
{
	return k8s_qualified_name(s, strlen(s), true);
}

/* A DNS label of at most 15 characters with a letter and no "--" (IANA service names). */
bool util_k8s_port_name(const char *s)
{
	bool letter = false;

	for (const char *c = s; *c; c++)
		if (*c >= 'a' && *c <= 'z')
			letter = true;
	return letter && strlen(s) <= 15 && util_k8s_dns_label(s) && !strstr(s, "--");
}

/* Kinds go into workload ids (owner and controller kinds): an identifier, "ReplicaSet" style. */
bool util_k8s_kind(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 63 || s[0] < 'A' || s[0] > 'Z')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_alnum(s[i]))
			return false;
	return true;
}

/*
 * A controller in a workload id: a kind ("Deployment"), or for kinds of API groups other than
 * the built-in core, apps and batch, the kind and its group ("Rollout.argoproj.io"), so that a
 * Volcano Job never reads as a batch/v1 Job.
 */
bool util_k8s_controller(const char *s)
{
	const char *dot = strchr(s, '.');
	char kind[64];
	size_t n;

	if (!dot)
		return util_k8s_kind(s);
	n = (size_t)(dot - s);
	if (n == 0 || n >= sizeof(kind))
		return false;
	memcpy(kind, s, n);
	kind[n] = '\0';
	return util_k8s_kind(kind) && util_k8s_dns_subdomain(dot + 1);
}

bool util_docker_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 253 || !is_alnum(s[0]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_alnum(s[i]) && s[i] != '_' && s[i] != '.' && s[i] != '-')
			return false;
	return true;
}

/* The namespaces Kubernetes runs itself in. */
bool util_k8s_system_namespace(const char *ns)
{
	return strcmp(ns, "kube-system") == 0 || strcmp(ns, "kube-public") == 0 ||
	       strcmp(ns, "kube-node-lease") == 0;
}

enum util_scope util_k8s_namespace_scope(const char *ns, const char *const *include,
					 size_t n_include, const char *const *exclude,
					 size_t n_exclude)
{
	bool named = false, matched = n_include == 0;

	for (size_t i = 0; i < n_include; i++) {
		if (fnmatch(include[i], ns, 0) != 0)
			continue;
		matched = true;
		/* '*' means every namespace of the user's, not Kubernetes' own */
		named |= strncmp(include[i], "kube-", 5) == 0;
	}
	for (size_t i = 0; i < n_exclude; i++)
		if (fnmatch(exclude[i], ns, 0) == 0)
			return UTIL_SCOPE_EXCLUDED;
	if (!matched)
		return UTIL_SCOPE_EXCLUDED;
	if (util_k8s_system_namespace(ns) && !named)
		return UTIL_SCOPE_SYSTEM;
	return UTIL_SCOPE_IN;
}
