/* SPDX-License-Identifier: Apache-2.0 */
/* policy.c - NetworkPolicy objects read from YAML or JSON into the model policy-private.h holds.
 */
#include "policy/policy-private.h"
#include "util/util-yaml.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/socket.h>

#define POL_MAX_FILE_SIZE ((size_t)256 << 20)
#define POL_MAX_DEPTH	  64

static void pol_selector_clear(struct pol_selector *sel)
{
	for (size_t i = 0; i < sel->n_reqs; i++) {
		free(sel->reqs[i].key);
		for (size_t j = 0; j < sel->reqs[i].n_values; j++)
			free(sel->reqs[i].values[j]);
		free(sel->reqs[i].values);
	}
	free(sel->reqs);
	memset(sel, 0, sizeof(*sel));
}

static void pol_rule_clear(struct pol_rule *r)
{
	for (size_t i = 0; i < r->n_peers; i++) {
		pol_selector_clear(&r->peers[i].pods);
		pol_selector_clear(&r->peers[i].namespaces);
		free(r->peers[i].except);
	}
	free(r->peers);
	for (size_t i = 0; i < r->n_ports; i++)
		free(r->ports[i].name);
	free(r->ports);
}

static void pol_policy_clear(struct pol_policy *p)
{
	free(p->ns);
	free(p->name);
	pol_selector_clear(&p->pods);
	for (int d = 0; d < 2; d++) {
		for (size_t i = 0; i < p->n_rules[d]; i++)
			pol_rule_clear(&p->rules[d][i]);
		free(p->rules[d]);
	}
	memset(p, 0, sizeof(*p));
}

struct policy_set *policy_set_new(void)
{
	return util_zalloc(sizeof(struct policy_set));
}

struct policy_set *policy_set_free(struct policy_set *s)
{
	if (!s)
		return NULL;
	for (size_t i = 0; i < s->n; i++)
		pol_policy_clear(&s->v[i]);
	free(s->v);
	free(s);
	return NULL;
}

size_t policy_set_count(const struct policy_set *s)
{
	return s->n;
}

const char *policy_set_namespace(const struct policy_set *s, size_t i)
{
	return i < s->n ? s->v[i].ns : NULL;
}

const char *policy_set_name(const struct policy_set *s, size_t i)
{
	return i < s->n ? s->v[i].name : NULL;
}

size_t policy_set_skipped(const struct policy_set *s)
{
	return s->skipped;
}

/* ---- Parsing context and errors ----------------------------------------------------------- */

struct pol_ctx {
	struct util_yaml_reader rd; /* suffix: " in networkpolicy NS/NAME" */
	struct pol_policy *v;	    /* this file's policies, in file order */
	size_t n, cap;
	size_t skipped;
};

/* The shared reader words the errors (util-yaml.c). */
#define pol_fail(ctx, ...)  util_yaml_fail(&(ctx)->rd, __VA_ARGS__)
#define pol_field(ctx, ...) util_yaml_field(&(ctx)->rd, __VA_ARGS__)

/*
 * Every key of map must be one of keys. A misspelt field would otherwise be read as absent,
 * and an absent field often means "everything" in a NetworkPolicy.
 */
static int pol_known_keys(struct pol_ctx *ctx, const struct util_yaml_node *map,
			  const char *const *keys, size_t n_keys, const char *what)
{
	char show[UTIL_YAML_SHOW_LEN];

	for (size_t i = 0; i + 1 < map->n_kids; i += 2) {
		const struct util_yaml_node *k = map->kids[i];
		bool known = false;

		for (size_t j = 0; k->type == UTIL_YAML_SCALAR && j < n_keys && !known; j++)
			known = strcmp(k->str, keys[j]) == 0;
		if (!known)
			return pol_fail(ctx, k, "unknown field \"%s\" in %s",
					util_yaml_show_node(k, show), what);
	}
	return 0;
}

/* A mapping (or null, which is taken as an empty one); anything else is refused. */
static int pol_expect_map(struct pol_ctx *ctx, const struct util_yaml_node *n, const char *what)
{
	if (n->type != UTIL_YAML_MAP && !util_yaml_is_null(n))
		return pol_fail(ctx, n, "%s is not a mapping", what);
	return 0;
}

/* ---- Parsing: selectors, peers, ports, rules ---------------------------------------------- */

static int pol_label_value(struct pol_ctx *ctx, const struct util_yaml_node *v, const char **ret)
{
	char show[UTIL_YAML_SHOW_LEN];
	const char *value;

	if (v->type != UTIL_YAML_SCALAR)
		return pol_fail(ctx, v, "label value is not a scalar");
	value = util_yaml_is_null(v) ? "" : v->str;
	if (!util_k8s_label_value(value))
		return pol_fail(ctx, v, "invalid label value \"%s\"", util_yaml_show_node(v, show));
	*ret = value;
	return 0;
}

static int pol_label_key(struct pol_ctx *ctx, const struct util_yaml_node *k)
{
	char show[UTIL_YAML_SHOW_LEN];

	if (k->type != UTIL_YAML_SCALAR || !util_k8s_label_key(k->str))
		return pol_fail(ctx, k, "invalid label key \"%s\"", util_yaml_show_node(k, show));
	return 0;
}

static struct pol_req *pol_req_add(struct pol_selector *sel, const char *key, enum pol_op op)
{
	struct pol_req *r;

	sel->reqs = util_reallocarray(sel->reqs, sel->n_reqs + 1, sizeof(*sel->reqs));
	r = &sel->reqs[sel->n_reqs++];
	*r = (struct pol_req){.key = util_strdup(key), .op = op};
	return r;
}

static void pol_req_add_value(struct pol_req *r, const char *value)
{
	r->values = util_reallocarray(r->values, r->n_values + 1, sizeof(*r->values));
	r->values[r->n_values++] = util_strdup(value);
}

static int pol_expression(struct pol_ctx *ctx, const struct util_yaml_node *e,
			  struct pol_selector *sel)
{
	static const char *const keys[] = {"key", "operator", "values"};
	static const struct {
		const char *name;
		enum pol_op op;
	} ops[] = {
		{"In", POL_IN},
		{"NotIn", POL_NOT_IN},
		{"Exists", POL_EXISTS},
		{"DoesNotExist", POL_DOES_NOT_EXIST},
	};
	const struct util_yaml_node *key, *op, *values;
	char show[UTIL_YAML_SHOW_LEN];
	struct pol_req *req;
	size_t i;
	int r;

	if (e->type != UTIL_YAML_MAP)
		return pol_fail(ctx, e, "matchExpressions item is not a mapping");
	r = pol_known_keys(ctx, e, keys, UTIL_ARRAY_SIZE(keys), "a match expression");
	if (r < 0)
		return r;
	r = pol_field(ctx, e, "key", UTIL_YAML_SCALAR, &key);
	if (r < 0)
		return r;
	if (!key)
		return pol_fail(ctx, e, "match expression without key");
	r = pol_label_key(ctx, key);
	if (r < 0)
		return r;
	r = pol_field(ctx, e, "operator", UTIL_YAML_SCALAR, &op);
	if (r < 0)
		return r;
	if (!op)
		return pol_fail(ctx, e, "match expression without operator");
	for (i = 0; i < UTIL_ARRAY_SIZE(ops); i++)
		if (strcmp(op->str, ops[i].name) == 0)
			break;
	if (i == UTIL_ARRAY_SIZE(ops))
		return pol_fail(ctx, op,
				"invalid operator \"%s\" (In, NotIn, Exists or DoesNotExist)",
				util_yaml_show_node(op, show));
	r = pol_field(ctx, e, "values", UTIL_YAML_SEQ, &values);
	if (r < 0)
		return r;
	if ((ops[i].op == POL_IN || ops[i].op == POL_NOT_IN) && (!values || !values->n_kids))
		return pol_fail(ctx, op, "operator %s needs values", ops[i].name);
	if ((ops[i].op == POL_EXISTS || ops[i].op == POL_DOES_NOT_EXIST) && values &&
	    values->n_kids)
		return pol_fail(ctx, values, "operator %s takes no values", ops[i].name);
	req = pol_req_add(sel, key->str, ops[i].op);
	for (size_t j = 0; values && j < values->n_kids; j++) {
		const char *value;

		r = pol_label_value(ctx, values->kids[j], &value);
		if (r < 0)
			return r;
		pol_req_add_value(req, value);
	}
	return 0;
}

/* A label selector; the caller has checked that n is a mapping or null. */
static int pol_selector(struct pol_ctx *ctx, const struct util_yaml_node *n,
			struct pol_selector *sel)
{
	static const char *const keys[] = {"matchLabels", "matchExpressions"};
	const struct util_yaml_node *labels, *exprs;
	int r;

	if (n->type != UTIL_YAML_MAP)
		return 0;
	r = pol_known_keys(ctx, n, keys, UTIL_ARRAY_SIZE(keys), "a label selector");
	if (r < 0)
		return r;
	r = pol_field(ctx, n, "matchLabels", UTIL_YAML_MAP, &labels);
	if (r < 0)
		return r;
	for (size_t i = 0; labels && i + 1 < labels->n_kids; i += 2) {
		const char *value;

		r = pol_label_key(ctx, labels->kids[i]);
		if (r < 0)
			return r;
		r = pol_label_value(ctx, labels->kids[i + 1], &value);
		if (r < 0)
			return r;
		pol_req_add_value(pol_req_add(sel, labels->kids[i]->str, POL_IN), value);
	}
	r = pol_field(ctx, n, "matchExpressions", UTIL_YAML_SEQ, &exprs);
	if (r < 0)
		return r;
	for (size_t i = 0; exprs && i < exprs->n_kids; i++) {
		r = pol_expression(ctx, exprs->kids[i], sel);
		if (r < 0)
			return r;
	}
	return 0;
}

static int pol_ip_block(struct pol_ctx *ctx, const struct util_yaml_node *n, struct pol_peer *peer)
{
	static const char *const keys[] = {"cidr", "except"};
	const struct util_yaml_node *cidr, *except;
	char show[UTIL_YAML_SHOW_LEN];
	int r;

	if (n->type != UTIL_YAML_MAP)
		return pol_fail(ctx, n, "ipBlock is not a mapping");
	r = pol_known_keys(ctx, n, keys, UTIL_ARRAY_SIZE(keys), "ipBlock");
	if (r < 0)
		return r;
	r = pol_field(ctx, n, "cidr", UTIL_YAML_SCALAR, &cidr);
	if (r < 0)
		return r;
	if (!cidr)
		return pol_fail(ctx, n, "ipBlock without cidr");
	if (util_prefix_parse(cidr->str, UTIL_PREFIX_MASK, &peer->block) < 0)
		return pol_fail(ctx, cidr, "invalid cidr \"%s\"", util_yaml_show_node(cidr, show));
	r = pol_field(ctx, n, "except", UTIL_YAML_SEQ, &except);
	if (r < 0)
		return r;
	for (size_t i = 0; except && i < except->n_kids; i++) {
		const struct util_yaml_node *x = except->kids[i];
		struct util_prefix c;

		if (x->type != UTIL_YAML_SCALAR ||
		    util_prefix_parse(x->str, UTIL_PREFIX_MASK, &c) < 0)
			return pol_fail(ctx, x, "invalid except cidr \"%s\"",
					util_yaml_show_node(x, show));
		/* as the API server validates it: a strict subset of cidr */
		if (!util_prefix_contains(&peer->block, &c) || c.len == peer->block.len)
			return pol_fail(ctx, x, "except \"%s\" is not a strict subset of cidr",
					util_yaml_show_node(x, show));
		peer->except =
			util_reallocarray(peer->except, peer->n_except + 1, sizeof(*peer->except));
		peer->except[peer->n_except++] = c;
	}
	peer->is_block = true;
	return 0;
}

static int pol_peer(struct pol_ctx *ctx, const struct util_yaml_node *n, struct pol_peer *peer)
{
	static const char *const keys[] = {"podSelector", "namespaceSelector", "ipBlock"};
	const struct util_yaml_node *pods, *nss, *block;
	int r;

	if (n->type != UTIL_YAML_MAP)
		return pol_fail(ctx, n, "peer is not a mapping");
	r = pol_known_keys(ctx, n, keys, UTIL_ARRAY_SIZE(keys), "a peer");
	if (r < 0)
		return r;
	pods = util_yaml_get(n, "podSelector");
	nss = util_yaml_get(n, "namespaceSelector");
	block = util_yaml_get(n, "ipBlock");
	/* a null selector is an absent one: the API's pointers are nil either way */
	pods = pods && util_yaml_is_null(pods) ? NULL : pods;
	nss = nss && util_yaml_is_null(nss) ? NULL : nss;
	block = block && util_yaml_is_null(block) ? NULL : block;
	if (block && (pods || nss))
		return pol_fail(ctx, block,
				"ipBlock cannot be combined with podSelector or namespaceSelector");
	if (block)
		return pol_ip_block(ctx, block, peer);
	if (!pods && !nss)
		return pol_fail(ctx, n, "peer without podSelector, namespaceSelector or ipBlock");
	if (pods) {
		r = pol_expect_map(ctx, pods, "podSelector");
		if (r < 0)
			return r;
		peer->has_pods = true;
		r = pol_selector(ctx, pods, &peer->pods);
		if (r < 0)
			return r;
	}
	if (nss) {
		r = pol_expect_map(ctx, nss, "namespaceSelector");
		if (r < 0)
			return r;
		peer->has_namespaces = true;
		r = pol_selector(ctx, nss, &peer->namespaces);
		if (r < 0)
			return r;
	}
	return 0;
}

static int pol_port_number(struct pol_ctx *ctx, const struct util_yaml_node *n, const char *what,
			   uint16_t *ret)
{
	char show[UTIL_YAML_SHOW_LEN];
	uint64_t v;

	if (n->type != UTIL_YAML_SCALAR || !n->plain || util_parse_u64(n->str, 65535, &v) < 0 ||
	    v == 0)
		return pol_fail(ctx, n, "invalid %s \"%s\" (1-65535)", what,
				util_yaml_show_node(n, show));
	*ret = (uint16_t)v;
	return 0;
}

static int pol_port(struct pol_ctx *ctx, const struct util_yaml_node *n, struct pol_port *port)
{
	static const char *const keys[] = {"protocol", "port", "endPort"};
	const struct util_yaml_node *proto, *num, *end;
	char show[UTIL_YAML_SHOW_LEN];
	int r;

	if (util_yaml_is_null(n)) {
		/* an empty item: TCP, every port */
		*port = (struct pol_port){
			.proto = IPPROTO_TCP, .kind = POL_PORT_ALL, .lo = 1, .hi = 65535};
		return 0;
	}
	if (n->type != UTIL_YAML_MAP)
		return pol_fail(ctx, n, "port is not a mapping");
	r = pol_known_keys(ctx, n, keys, UTIL_ARRAY_SIZE(keys), "a port");
	if (r < 0)
		return r;
	r = pol_field(ctx, n, "protocol", UTIL_YAML_SCALAR, &proto);
	if (r < 0)
		return r;
	port->proto = IPPROTO_TCP;
	if (proto) {
		if (strcmp(proto->str, "TCP") != 0 && strcmp(proto->str, "UDP") != 0 &&
		    strcmp(proto->str, "SCTP") != 0)
			return pol_fail(ctx, proto, "invalid protocol \"%s\" (TCP, UDP or SCTP)",
					util_yaml_show_node(proto, show));
		(void)util_proto_from_name(proto->str, &port->proto);
	}
	r = pol_field(ctx, n, "port", UTIL_YAML_SCALAR, &num);
	if (r < 0)
		return r;
	r = pol_field(ctx, n, "endPort", UTIL_YAML_SCALAR, &end);
	if (r < 0)
		return r;
	if (!num) {
		if (end)
			return pol_fail(ctx, end, "endPort without port");
		port->kind = POL_PORT_ALL;
		port->lo = 1;
		port->hi = 65535;
		return 0;
	}
	/* IntOrString: an unquoted number is a number, any string a container port's name */
	if (num->plain && *num->str >= '0' && *num->str <= '9') {
		r = pol_port_number(ctx, num, "port", &port->lo);
		if (r < 0)
			return r;
		port->kind = POL_PORT_NUMBER;
		port->hi = port->lo;
		if (end) {
			r = pol_port_number(ctx, end, "endPort", &port->hi);
			if (r < 0)
				return r;
			if (port->hi < port->lo)
				return pol_fail(ctx, end, "endPort %u is below port %u",
						(unsigned)port->hi, (unsigned)port->lo);
		}
		return 0;
	}
	if (!util_k8s_port_name(num->str))
		return pol_fail(ctx, num, "invalid port name \"%s\"",
				util_yaml_show_node(num, show));
	if (end)
		return pol_fail(ctx, end, "endPort needs a numeric port, not a name");
	port->kind = POL_PORT_NAME;
	port->name = util_strdup(num->str);
	return 0;
}

static int pol_rule(struct pol_ctx *ctx, const struct util_yaml_node *n, enum pol_dir dir,
		    struct pol_rule *rule)
{
	static const char *const in_keys[] = {"from", "ports"}, *const out_keys[] = {"to", "ports"};
	const char *peers_key = dir == POL_INGRESS ? "from" : "to";
	const struct util_yaml_node *peers, *ports;
	int r;

	if (util_yaml_is_null(n))
		return 0; /* an empty rule: every peer, every port */
	if (n->type != UTIL_YAML_MAP)
		return pol_fail(ctx, n, "%s rule is not a mapping",
				dir == POL_INGRESS ? "ingress" : "egress");
	r = pol_known_keys(ctx, n, dir == POL_INGRESS ? in_keys : out_keys, 2,
			   dir == POL_INGRESS ? "an ingress rule" : "an egress rule");
	if (r < 0)
		return r;
	r = pol_field(ctx, n, peers_key, UTIL_YAML_SEQ, &peers);
	if (r < 0)
		return r;
	for (size_t i = 0; peers && i < peers->n_kids; i++) {
		rule->peers =
			util_reallocarray(rule->peers, rule->n_peers + 1, sizeof(*rule->peers));
		rule->peers[rule->n_peers] = (struct pol_peer){0};
		/* counted before it is filled, so that a half-parsed peer is freed */
		r = pol_peer(ctx, peers->kids[i], &rule->peers[rule->n_peers++]);
		if (r < 0)
			return r;
	}
	r = pol_field(ctx, n, "ports", UTIL_YAML_SEQ, &ports);
	if (r < 0)
		return r;
	for (size_t i = 0; ports && i < ports->n_kids; i++) {
		rule->ports =
			util_reallocarray(rule->ports, rule->n_ports + 1, sizeof(*rule->ports));
		rule->ports[rule->n_ports] = (struct pol_port){0};
		r = pol_port(ctx, ports->kids[i], &rule->ports[rule->n_ports++]);
		if (r < 0)
			return r;
	}
	return 0;
}

static int pol_rules(struct pol_ctx *ctx, const struct util_yaml_node *spec, enum pol_dir dir,
		     struct pol_policy *p)
{
	const struct util_yaml_node *seq;
	int r;

	r = pol_field(ctx, spec, dir == POL_INGRESS ? "ingress" : "egress", UTIL_YAML_SEQ, &seq);
	if (r < 0)
		return r;
	for (size_t i = 0; seq && i < seq->n_kids; i++) {
		p->rules[dir] = util_reallocarray(p->rules[dir], p->n_rules[dir] + 1,
						  sizeof(*p->rules[dir]));
		p->rules[dir][p->n_rules[dir]] = (struct pol_rule){0};
		r = pol_rule(ctx, seq->kids[i], dir, &p->rules[dir][p->n_rules[dir]++]);
		if (r < 0)
			return r;
	}
	return 0;
}

static int pol_spec(struct pol_ctx *ctx, const struct util_yaml_node *spec, struct pol_policy *p)
{
	static const char *const keys[] = {"podSelector", "policyTypes", "ingress", "egress"};
	const struct util_yaml_node *pods, *types;
	char show[UTIL_YAML_SHOW_LEN];
	int r;

	/* The API's spec and podSelector are values, not pointers: absent is empty, all pods. */
	if (!spec)
		goto types;
	r = pol_known_keys(ctx, spec, keys, UTIL_ARRAY_SIZE(keys), "spec");
	if (r < 0)
		return r;
	pods = util_yaml_get(spec, "podSelector");
	if (pods) {
		r = pol_expect_map(ctx, pods, "podSelector");
		if (r < 0)
			return r;
		r = pol_selector(ctx, pods, &p->pods);
		if (r < 0)
			return r;
	}
	r = pol_rules(ctx, spec, POL_INGRESS, p);
	if (r < 0)
		return r;
	r = pol_rules(ctx, spec, POL_EGRESS, p);
	if (r < 0)
		return r;
	r = pol_field(ctx, spec, "policyTypes", UTIL_YAML_SEQ, &types);
	if (r < 0)
		return r;
	for (size_t i = 0; types && i < types->n_kids; i++) {
		const struct util_yaml_node *t = types->kids[i];

		if (t->type == UTIL_YAML_SCALAR && strcmp(t->str, "Ingress") == 0)
			p->isolates[POL_INGRESS] = true;
		else if (t->type == UTIL_YAML_SCALAR && strcmp(t->str, "Egress") == 0)
			p->isolates[POL_EGRESS] = true;
		else
			return pol_fail(ctx, t, "invalid policyType \"%s\" (Ingress or Egress)",
					util_yaml_show_node(t, show));
	}
	if (types && types->n_kids)
		return 0;
types:
	/* the API server's default: Ingress always, Egress when there are egress rules */
	p->isolates[POL_INGRESS] = true;
	p->isolates[POL_EGRESS] = p->n_rules[POL_EGRESS] > 0;
	return 0;
}

static int pol_network_policy(struct pol_ctx *ctx, const struct util_yaml_node *obj)
{
	const struct util_yaml_node *meta, *name, *ns, *spec;
	struct pol_policy p = {0};
	char show[UTIL_YAML_SHOW_LEN];
	int r;

	ctx->rd.suffix[0] = '\0';
	r = pol_field(ctx, obj, "metadata", UTIL_YAML_MAP, &meta);
	if (r < 0)
		return r;
	if (!meta)
		return pol_fail(ctx, obj, "NetworkPolicy without metadata");
	r = pol_field(ctx, meta, "name", UTIL_YAML_SCALAR, &name);
	if (r < 0)
		return r;
	if (!name)
		return pol_fail(ctx, meta, "NetworkPolicy without metadata.name");
	if (!util_k8s_dns_subdomain(name->str))
		return pol_fail(ctx, name, "invalid NetworkPolicy name \"%s\"",
				util_yaml_show_node(name, show));
	r = pol_field(ctx, meta, "namespace", UTIL_YAML_SCALAR, &ns);
	if (r < 0)
		return r;
	if (ns && !util_k8s_dns_label(ns->str))
		return pol_fail(ctx, ns, "invalid namespace \"%s\"", util_yaml_show_node(ns, show));
	/* without a namespace, `kubectl apply` puts it in the default one */
	p.ns = util_strdup(ns ? ns->str : "default");
	p.name = util_strdup(name->str);
	snprintf(ctx->rd.suffix, sizeof(ctx->rd.suffix), " in networkpolicy %s/%s", p.ns, p.name);
	r = pol_field(ctx, obj, "spec", UTIL_YAML_MAP, &spec);
	if (r < 0)
		goto out;
	r = pol_spec(ctx, spec, &p);
	if (r < 0)
		goto out;
	ctx->rd.suffix[0] = '\0';
	if (ctx->n == ctx->cap) {
		ctx->cap = ctx->cap ? 2 * ctx->cap : 8;
		ctx->v = util_reallocarray(ctx->v, ctx->cap, sizeof(*ctx->v));
	}
	ctx->v[ctx->n++] = p;
	return 0;
out:
	pol_policy_clear(&p);
	return r;
}

/* One object; in a list, list_kind is the kind its items have when they carry none. */
static int pol_object(struct pol_ctx *ctx, const struct util_yaml_node *obj, const char *list_kind,
		      const char *list_api)
{
	const struct util_yaml_node *kind, *api;
	const char *k, *a;
	int r;

	if (obj->type != UTIL_YAML_MAP)
		return pol_fail(ctx, obj, "not a Kubernetes object (a mapping with kind)");
	r = pol_field(ctx, obj, "kind", UTIL_YAML_SCALAR, &kind);
	if (r < 0)
		return r;
	r = pol_field(ctx, obj, "apiVersion", UTIL_YAML_SCALAR, &api);
	if (r < 0)
		return r;
	k = kind ? kind->str : list_kind;
	a = api ? api->str : list_api;
	if (!k)
		return pol_fail(ctx, obj, "not a Kubernetes object (no kind)");
	if (strcmp(k, "NetworkPolicy") != 0) {
		ctx->skipped++;
		return 0;
	}
	if (!a)
		return pol_fail(ctx, obj, "NetworkPolicy without apiVersion");
	/* another API group's NetworkPolicy (Calico's) means something else: not ours to read */
	if (strcmp(a, "networking.k8s.io/v1") != 0) {
		ctx->skipped++;
		return 0;
	}
	return pol_network_policy(ctx, obj);
}

/* Each document that is not empty (the reader's callback). */
static int pol_document(void *data, const struct util_yaml_node *root)
{
	struct pol_ctx *ctx = data;
	const struct util_yaml_node *kind, *api, *items;
	size_t len;
	int r;

	if (root->type != UTIL_YAML_MAP)
		return pol_fail(ctx, root, "not a Kubernetes object (a mapping with kind)");
	r = pol_field(ctx, root, "kind", UTIL_YAML_SCALAR, &kind);
	if (r < 0)
		return r;
	len = kind ? strlen(kind->str) : 0;
	if (len < 4 || strcmp(kind->str + len - 4, "List") != 0)
		return pol_object(ctx, root, NULL, NULL);
	r = pol_field(ctx, root, "apiVersion", UTIL_YAML_SCALAR, &api);
	if (r < 0)
		return r;
	r = pol_field(ctx, root, "items", UTIL_YAML_SEQ, &items);
	if (r < 0)
		return r;
	for (size_t i = 0; items && i < items->n_kids; i++) {
		/* a NetworkPolicyList's items may leave out their kind and apiVersion */
		bool typed = strcmp(kind->str, "NetworkPolicyList") == 0;

		r = pol_object(ctx, items->kids[i], typed ? "NetworkPolicy" : NULL,
			       typed && api ? api->str : NULL);
		if (r < 0)
			return r;
	}
	return 0;
}

/* ---- Reading a file ----------------------------------------------------------------------- */

static int pol_set_cmp(const void *a, const void *b)
{
	const struct pol_policy *pa = a, *pb = b;
	int c = strcmp(pa->ns, pb->ns);

	return c ? c : strcmp(pa->name, pb->name);
}

/* By namespace and name, then file order: sorting keeps a later twin after the earlier. */
static int pol_order_cmp(const void *a, const void *b)
{
	const struct pol_policy *const *pa = a, *const *pb = b;
	int c = pol_set_cmp(*pa, *pb);

	return c ? c : (*pa < *pb ? -1 : *pa > *pb);
}

/*
 * This file's policies into s: a later one of the same namespace and name replaces the earlier,
 * as kubectl apply does. s is sorted, so each lookup is a binary search: thousands of policies
 * load in a blink, not in time that grows with the square of their number.
 */
static void pol_set_merge(struct policy_set *s, struct pol_ctx *ctx)
{
	struct pol_policy **order = util_reallocarray(NULL, ctx->n ? ctx->n : 1, sizeof(*order));
	size_t n_old = s->n;

	for (size_t i = 0; i < ctx->n; i++)
		order[i] = &ctx->v[i];
	qsort(order, ctx->n, sizeof(*order), pol_order_cmp);
	for (size_t i = 0; i < ctx->n; i++) {
		struct pol_policy *p = order[i], *old;

		if (i + 1 < ctx->n && pol_set_cmp(p, order[i + 1]) == 0) {
			pol_policy_clear(p); /* a later one of this file replaces it */
			continue;
		}
		old = n_old ? bsearch(p, s->v, n_old, sizeof(*s->v), pol_set_cmp) : NULL;
		if (old) {
			pol_policy_clear(old);
			*old = *p;
			continue;
		}
		s->v = util_reallocarray(s->v, s->n + 1, sizeof(*s->v));
		s->v[s->n++] = *p;
	}
	free(order);
	ctx->n = 0;
	s->skipped += ctx->skipped;
	if (s->n > 1)
		qsort(s->v, s->n, sizeof(*s->v), pol_set_cmp);
}

static void pol_ctx_clear(struct pol_ctx *ctx)
{
	for (size_t i = 0; i < ctx->n; i++)
		pol_policy_clear(&ctx->v[i]);
	free(ctx->v);
}

static const struct util_yaml_format pol_format = {
	.what = "a policy file",
	.empty = "no Kubernetes objects",
	.max_depth = POL_MAX_DEPTH,
	.max_size = POL_MAX_FILE_SIZE,
	.document = pol_document,
};

static void pol_ctx_init(struct pol_ctx *ctx, const char *path, struct util_err *err)
{
	*ctx = (struct pol_ctx){0};
	ctx->rd = (struct util_yaml_reader){
		.path = path, .err = err, .format = &pol_format, .userdata = ctx};
}

/* The file's policies into s when it was read without error (r), else none of them. */
static int pol_ctx_finish(struct policy_set *s, struct pol_ctx *ctx, int r)
{
	if (r == 0)
		pol_set_merge(s, ctx);
	pol_ctx_clear(ctx);
	return r;
}

int policy_set_load(struct policy_set *s, const char *path, struct util_err *err)
{
	struct pol_ctx ctx;

	pol_ctx_init(&ctx, path, err);
	return pol_ctx_finish(s, &ctx, util_yaml_read_file(&ctx.rd));
}

int policy_set_load_buffer(struct policy_set *s, const char *name, const char *buf, size_t len,
			   struct util_err *err)
{
	struct pol_ctx ctx;

	pol_ctx_init(&ctx, name, err);
	return pol_ctx_finish(s, &ctx, util_yaml_read_buffer(&ctx.rd, buf, len));
}
