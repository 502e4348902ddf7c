/* SPDX-License-Identifier: Apache-2.0 */
/* policy-ports.c - sets of protocols and port ranges, as NetworkPolicy rules allow them. */
#include "policy/policy.h"

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The protocols a NetworkPolicy port can name, in the order they are shown. */
static const uint8_t ports_protos[] = {IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP};
#define PORTS_N_PROTOS 3

struct ports_range {
	uint16_t lo, hi;
};

struct policy_ports {
	/* per protocol: sorted, disjoint, and never adjacent (merged) */
	struct ports_range *r[PORTS_N_PROTOS];
	size_t n[PORTS_N_PROTOS];
	bool other; /* every protocol without ports */
};

static int ports_index(uint8_t proto)
{
	for (int i = 0; i < PORTS_N_PROTOS; i++)
		if (ports_protos[i] == proto)
			return i;
	return -1;
}

struct policy_ports *policy_ports_new(void)
{
	return util_zalloc(sizeof(struct policy_ports));
}

struct policy_ports *policy_ports_free(struct policy_ports *p)
{
	if (!p)
		return NULL;
	for (int i = 0; i < PORTS_N_PROTOS; i++)
		free(p->r[i]);
	free(p);
	return NULL;
}

struct policy_ports *policy_ports_copy(const struct policy_ports *p)
{
	struct policy_ports *c = policy_ports_new();

	for (int i = 0; i < PORTS_N_PROTOS; i++) {
		if (!p->n[i])
			continue;
		c->r[i] = util_reallocarray(NULL, p->n[i], sizeof(*c->r[i]));
		memcpy(c->r[i], p->r[i], p->n[i] * sizeof(*c->r[i]));
		c->n[i] = p->n[i];
	}
	c->other = p->other;
	return c;
}

void policy_ports_add(struct policy_ports *p, uint8_t proto, uint16_t lo, uint16_t hi)
{
	int k = ports_index(proto);
	struct ports_range *v, *out;
	size_t n, m = 0;
	bool placed = false;

	if (k < 0) {
		p->other = true;
		return;
	}
	if (lo == 0)
		lo = 1;
	if (hi < lo)
		return;
	v = p->r[k];
	n = p->n[k];
	out = util_reallocarray(NULL, n + 1, sizeof(*out));
	/* one pass: copy what lies apart, swallow what touches [lo, hi] */
	for (size_t i = 0; i < n; i++) {
		if ((uint32_t)v[i].hi + 1 < lo) {
			out[m++] = v[i];
		} else if ((uint32_t)hi + 1 < v[i].lo) {
			if (!placed) {
				out[m++] = (struct ports_range){lo, hi};
				placed = true;
			}
			out[m++] = v[i];
		} else {
			lo = v[i].lo < lo ? v[i].lo : lo;
			hi = v[i].hi > hi ? v[i].hi : hi;
		}
	}
	if (!placed)
		out[m++] = (struct ports_range){lo, hi};
	free(v);
	p->r[k] = out;
	p->n[k] = m;
}

void policy_ports_add_all(struct policy_ports *p)
{
	for (int i = 0; i < PORTS_N_PROTOS; i++)
		policy_ports_add(p, ports_protos[i], 1, 65535);
	p->other = true;
}

void policy_ports_remove(struct policy_ports *p, uint8_t proto, uint16_t port)
{
	int k = ports_index(proto);
	struct ports_range *v, *out;
	size_t n, m = 0;

	if (k < 0) {
		p->other = false;
		return;
	}
	v = p->r[k];
	n = p->n[k];
	if (!n)
		return;
	out = util_reallocarray(NULL, n + 1, sizeof(*out));
	for (size_t i = 0; i < n; i++) {
		if (port < v[i].lo || port > v[i].hi) {
			out[m++] = v[i];
			continue;
		}
		if (port > v[i].lo)
			out[m++] = (struct ports_range){v[i].lo, (uint16_t)(port - 1)};
		if (port < v[i].hi)
			out[m++] = (struct ports_range){(uint16_t)(port + 1), v[i].hi};
	}
	free(v);
	p->r[k] = out;
	p->n[k] = m;
}

void policy_ports_intersect(struct policy_ports *p, const struct policy_ports *q)
{
	for (int k = 0; k < PORTS_N_PROTOS; k++) {
		struct ports_range *out = NULL;
		size_t m = 0, cap = 0, i = 0, j = 0;

		/* both lists are sorted and disjoint: walk them side by side */
		while (i < p->n[k] && j < q->n[k]) {
			uint16_t lo = p->r[k][i].lo > q->r[k][j].lo ? p->r[k][i].lo : q->r[k][j].lo;
			uint16_t hi = p->r[k][i].hi < q->r[k][j].hi ? p->r[k][i].hi : q->r[k][j].hi;

			if (lo <= hi) {
				if (m == cap) {
					cap = cap ? 2 * cap : 4;
					out = util_reallocarray(out, cap, sizeof(*out));
				}
				out[m++] = (struct ports_range){lo, hi};
			}
			if (p->r[k][i].hi < q->r[k][j].hi)
				i++;
			else
				j++;
		}
		free(p->r[k]);
		p->r[k] = out;
		p->n[k] = m;
	}
	p->other = p->other && q->other;
}

void policy_ports_unite(struct policy_ports *p, const struct policy_ports *q)
{
	for (int k = 0; k < PORTS_N_PROTOS; k++)
		for (size_t i = 0; i < q->n[k]; i++)
			policy_ports_add(p, ports_protos[k], q->r[k][i].lo, q->r[k][i].hi);
	p->other |= q->other;
}

bool policy_ports_contains(const struct policy_ports *p, uint8_t proto, uint16_t port)
{
	int k = ports_index(proto);

	if (k < 0)
		return p->other;
	for (size_t i = 0; i < p->n[k]; i++)
		if (port >= p->r[k][i].lo && port <= p->r[k][i].hi)
			return true;
	return false;
}

bool policy_ports_empty(const struct policy_ports *p)
{
	for (int k = 0; k < PORTS_N_PROTOS; k++)
		if (p->n[k])
			return false;
	return !p->other;
}

static bool ports_full(const struct policy_ports *p, int k)
{
	return p->n[k] == 1 && p->r[k][0].lo == 1 && p->r[k][0].hi == 65535;
}

char *policy_ports_format(const struct policy_ports *p)
{
	bool all = p->other;
	size_t len = 64, o = 0;
	char *buf;

	for (int k = 0; k < PORTS_N_PROTOS; k++) {
		all = all && ports_full(p, k);
		len += p->n[k] * 12 + 16;
	}
	if (all)
		return util_strdup("all traffic");
	if (policy_ports_empty(p))
		return util_strdup("none");
	buf = util_zalloc(len);
	for (int k = 0; k < PORTS_N_PROTOS; k++) {
		if (!p->n[k])
			continue;
		o += (size_t)snprintf(buf + o, len - o, "%s%s ", o ? "; " : "",
				      util_proto_name(ports_protos[k]));
		if (ports_full(p, k)) {
			o += (size_t)snprintf(buf + o, len - o, "all");
			continue;
		}
		for (size_t i = 0; i < p->n[k]; i++) {
			const struct ports_range *r = &p->r[k][i];

			if (r->lo == r->hi)
				o += (size_t)snprintf(buf + o, len - o, "%s%u", i ? "," : "",
						      (unsigned)r->lo);
			else
				o += (size_t)snprintf(buf + o, len - o, "%s%u-%u", i ? "," : "",
						      (unsigned)r->lo, (unsigned)r->hi);
		}
	}
	if (p->other)
		snprintf(buf + o, len - o, "%sother protocols", o ? "; " : "");
	return buf;
}
