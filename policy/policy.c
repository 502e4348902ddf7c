/* SPDX-License-Identifier: Apache-2.0 */
/* policy.c - NetworkPolicy objects read from YAML or JSON, and what they allow between workloads.
 */
#include "policy/policy.h"
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

/* ---- The model: policies as the API server holds them after defaulting ------------------- */

enum pol_op {
	POL_IN,
	POL_NOT_IN,
	POL_EXISTS,
	POL_DOES_NOT_EXIST,
};

/* One requirement of a label selector; matchLabels k: v is k In (v). */
struct pol_req {
	char *key;
	enum pol_op op;
	char **values;
	size_t n_values;
};

/* Every requirement must hold; a selector without any selects everything. */
struct pol_selector {
	struct pol_req *reqs;
	size_t n_reqs;
};

struct pol_peer {
	bool has_pods, has_namespaces, is_block;
	struct pol_selector pods, namespaces;
	struct util_prefix block; /* host bits cleared */
	struct util_prefix *except;
	size_t n_except;
};

enum pol_port_kind {
	POL_PORT_ALL,	 /* a protocol without a port: every port of it */
	POL_PORT_NUMBER, /* lo..hi (endPort) */
	POL_PORT_NAME,	 /* a container port's name */
};

struct pol_port {
	uint8_t proto;
	enum pol_port_kind kind;
	uint16_t lo, hi;
	char *name;
};

struct pol_rule {
	struct pol_peer *peers; /* none: every peer */
	size_t n_peers;
	struct pol_port *ports; /* none: every port of every protocol */
	size_t n_ports;
};

enum pol_dir {
	POL_INGRESS = 0,
	POL_EGRESS = 1,
};

struct pol_policy {
	char *ns, *name;
	struct pol_selector pods;
	bool isolates[2]; /* policyTypes, indexed by enum pol_dir */
	struct pol_rule *rules[2];
	size_t n_rules[2];
};

struct policy_set {
	struct pol_policy *v; /* sorted by namespace, then name */
	size_t n;
	size_t skipped;
};

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

/* ---- Matching ----------------------------------------------------------------------------- */

static bool pol_req_holds(const struct pol_req *r, const char *value)
{
	bool listed = false;

	for (size_t i = 0; value && i < r->n_values && !listed; i++)
		listed = strcmp(r->values[i], value) == 0;
	switch (r->op) {
	case POL_IN:
		return listed;
	case POL_NOT_IN:
		return !listed; /* an absent label is not in any list */
	case POL_EXISTS:
		return value != NULL;
	case POL_DOES_NOT_EXIST:
	default:
		return value == NULL;
	}
}

static const char *pol_workload_label(const struct graph_workload *w, const char *key)
{
	for (size_t i = 0; i < graph_workload_label_count(w); i++)
		if (strcmp(graph_workload_label_key(w, i), key) == 0)
			return graph_workload_label_value(w, i);
	return NULL;
}

static bool pol_selects_workload(const struct pol_selector *sel, const struct graph_workload *w)
{
	for (size_t i = 0; i < sel->n_reqs; i++)
		if (!pol_req_holds(&sel->reqs[i], pol_workload_label(w, sel->reqs[i].key)))
			return false;
	return true;
}

static bool pol_selects_namespace(const struct pol_selector *sel, const struct inventory *inv,
				  const char *ns)
{
	for (size_t i = 0; i < sel->n_reqs; i++)
		if (!pol_req_holds(&sel->reqs[i],
				   inventory_namespace_label(inv, ns, sel->reqs[i].key)))
			return false;
	return true;
}

/*
 * An outside peer is inside a block when its address is, and in no except: address i of its
 * addresses, or (i < 0) every one it has. A peer with several addresses (a node, a dual-stack
 * host) may use any one of them: each is judged on its own (see pol_side_each).
 */
static bool pol_block_matches(const struct pol_peer *peer, const struct graph_workload *w,
			      ssize_t addr)
{
	size_t n = graph_workload_prefix_count(w);

	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		struct util_prefix c = *graph_workload_prefix(w, i);

		if (addr >= 0 && i != (size_t)addr)
			continue;
		util_addr_mask(&c.addr, c.len);
		if (!util_prefix_contains(&peer->block, &c))
			return false;
		for (size_t j = 0; j < peer->n_except; j++)
			if (util_prefix_overlap(&c, &peer->except[j]))
				return false;
	}
	return true;
}

static bool pol_peer_matches(const struct pol_peer *peer, const char *policy_ns,
			     const struct inventory *inv, const struct graph_workload *other,
			     ssize_t addr)
{
	enum graph_kind kind = graph_workload_kind(other);

	/* an unknown peer is a pod address: an ipBlock is for addresses outside the cluster */
	if (peer->is_block)
		return kind != GRAPH_KIND_K8S && kind != GRAPH_KIND_UNKNOWN &&
		       pol_block_matches(peer, other, addr);
	if (kind != GRAPH_KIND_K8S)
		return false;
	if (peer->has_namespaces) {
		if (!pol_selects_namespace(&peer->namespaces, inv, graph_workload_namespace(other)))
			return false;
	} else if (strcmp(graph_workload_namespace(other), policy_ns) != 0) {
		return false; /* podSelector alone: the policy's own namespace */
	}
	return !peer->has_pods || pol_selects_workload(&peer->pods, other);
}

/* The indices of the policies that isolate w for dir; ret has room for every policy. */
static size_t pol_isolating(const struct policy_set *s, const struct graph_workload *w,
			    enum pol_dir dir, size_t *ret)
{
	size_t n = 0;

	if (graph_workload_kind(w) != GRAPH_KIND_K8S)
		return 0; /* NetworkPolicy selects pods only */
	for (size_t i = 0; i < s->n; i++) {
		const struct pol_policy *p = &s->v[i];

		if (p->isolates[dir] && strcmp(p->ns, graph_workload_namespace(w)) == 0 &&
		    pol_selects_workload(&p->pods, w))
			ret[n++] = i;
	}
	return n;
}

static void pol_rule_ports(const struct pol_rule *rule, const struct inventory *inv,
			   const struct graph_workload *server, struct policy_ports *out)
{
	if (!rule->n_ports) {
		policy_ports_add_all(out);
		return;
	}
	for (size_t i = 0; i < rule->n_ports; i++) {
		const struct pol_port *p = &rule->ports[i];
		uint16_t stack[16], *nums = stack;
		size_t n;

		if (p->kind != POL_PORT_NAME) {
			policy_ports_add(out, p->proto, p->lo, p->hi);
			continue;
		}
		/* a name means the server's container port; outside peers have none */
		if (graph_workload_kind(server) != GRAPH_KIND_K8S)
			continue;
		n = inventory_named_port(inv, graph_workload_id(server), p->name, p->proto, stack,
					 UTIL_ARRAY_SIZE(stack));
		if (n > UTIL_ARRAY_SIZE(stack)) {
			nums = util_reallocarray(NULL, n, sizeof(*nums));
			n = inventory_named_port(inv, graph_workload_id(server), p->name, p->proto,
						 nums, n);
		}
		for (size_t j = 0; j < n; j++)
			policy_ports_add(out, p->proto, nums[j], nums[j]);
		if (nums != stack)
			free(nums);
	}
}

/*
 * One side of a connection: what the policies isolating ep for dir (n_iso of them, indices in
 * iso) allow with other at the far end. Rules are a union over every such policy; nothing
 * isolating ep means everything.
 */
static struct policy_ports *pol_side(const struct policy_set *s, const struct inventory *inv,
				     const size_t *iso, size_t n_iso, enum pol_dir dir,
				     const struct graph_workload *other,
				     const struct graph_workload *server, ssize_t addr)
{
	struct policy_ports *out = policy_ports_new();

	/*
	 * "When a pod is isolated for ingress, the only allowed connections into the pod are
	 * those from the pod's node and those allowed by the ingress list": flowlock does not
	 * know which node runs which pod, so ingress from any node is allowed.
	 */
	if (!n_iso || (dir == POL_INGRESS && graph_workload_kind(other) == GRAPH_KIND_NODE)) {
		policy_ports_add_all(out);
		return out;
	}
	for (size_t i = 0; i < n_iso; i++) {
		const struct pol_policy *p = &s->v[iso[i]];

		for (size_t j = 0; j < p->n_rules[dir]; j++) {
			const struct pol_rule *rule = &p->rules[dir][j];
			bool match = rule->n_peers == 0; /* no from/to: every peer */

			for (size_t k = 0; k < rule->n_peers && !match; k++)
				match = pol_peer_matches(&rule->peers[k], p->ns, inv, other, addr);
			if (match)
				pol_rule_ports(rule, inv, server, out);
		}
	}
	return out;
}

/* How many addresses of other are judged one by one: a node's or outside peer's, when several. */
static size_t pol_addresses(const struct graph_workload *other)
{
	enum graph_kind kind = graph_workload_kind(other);

	if (kind != GRAPH_KIND_NODE && kind != GRAPH_KIND_EXTERNAL)
		return 0;
	return graph_workload_address_count(other);
}

/*
 * pol_side for a peer with several addresses, each judged on its own: a connection uses one of
 * them, and flowlock writes an ipBlock for each. Returns what is allowed whatever address is used
 * (the intersection, for what would break); with ret_any, also what is allowed with some address
 * (the union, for excess), or NULL there when the peer has one address and the two are the same.
 */
static struct policy_ports *pol_side_each(const struct policy_set *s, const struct inventory *inv,
					  const size_t *iso, size_t n_iso, enum pol_dir dir,
					  const struct graph_workload *other,
					  const struct graph_workload *server,
					  struct policy_ports **ret_any)
{
	size_t n = pol_addresses(other);
	struct policy_ports *every, *one;

	if (ret_any)
		*ret_any = NULL;
	if (n <= 1)
		return pol_side(s, inv, iso, n_iso, dir, other, server, -1);
	every = pol_side(s, inv, iso, n_iso, dir, other, server, 0);
	if (ret_any)
		*ret_any = policy_ports_copy(every);
	for (size_t i = 1; i < n; i++) {
		one = pol_side(s, inv, iso, n_iso, dir, other, server, (ssize_t)i);
		policy_ports_intersect(every, one);
		if (ret_any)
			policy_ports_unite(*ret_any, one);
		policy_ports_free(one);
	}
	return every;
}

/* Both sides of client -> server: what the client's egress and the server's ingress allow. */
static void pol_pair(const struct policy_set *s, const struct inventory *inv,
		     const struct graph_workload *client, const struct graph_workload *server,
		     struct policy_ports **ret_egress, struct policy_ports **ret_ingress)
{
	size_t *iso = util_reallocarray(NULL, s->n ? s->n : 1, sizeof(*iso));
	size_t n;

	n = pol_isolating(s, client, POL_EGRESS, iso);
	*ret_egress = pol_side_each(s, inv, iso, n, POL_EGRESS, server, server, NULL);
	n = pol_isolating(s, server, POL_INGRESS, iso);
	*ret_ingress = pol_side_each(s, inv, iso, n, POL_INGRESS, client, server, NULL);
	free(iso);
}

unsigned policy_check(const struct policy_set *s, const struct inventory *inv,
		      const struct graph_workload *client, const struct graph_workload *server,
		      uint8_t proto, uint16_t port)
{
	struct policy_ports *egress, *ingress;
	unsigned denied = 0;

	pol_pair(s, inv, client, server, &egress, &ingress);
	if (!policy_ports_contains(egress, proto, port))
		denied |= POLICY_DENY_EGRESS;
	if (!policy_ports_contains(ingress, proto, port))
		denied |= POLICY_DENY_INGRESS;
	policy_ports_free(egress);
	policy_ports_free(ingress);
	return denied;
}

struct policy_ports *policy_allowed(const struct policy_set *s, const struct inventory *inv,
				    const struct graph_workload *client,
				    const struct graph_workload *server)
{
	struct policy_ports *egress, *ingress;

	pol_pair(s, inv, client, server, &egress, &ingress);
	policy_ports_intersect(egress, ingress);
	policy_ports_free(ingress);
	return egress;
}

/* ---- Verifying a graph -------------------------------------------------------------------- */

struct pol_break {
	const struct graph_edge *edge;
	unsigned denied;
	char *policies;
};

struct pol_excess {
	const struct graph_workload *client, *server;
	bool observed;
	struct policy_ports *ports;
};

struct policy_report {
	size_t governed;
	struct pol_break *breaks;
	size_t n_breaks, cap_breaks;
	const struct graph_edge **unknowns;
	size_t n_unknowns;
	const struct graph_workload **unlocked;
	size_t n_unlocked;
	struct pol_excess *excess;
	size_t n_excess, cap_excess;
};

/* Per workload of the graph, the policies that isolate it, for each direction. */
struct pol_isolation {
	size_t *iso[2];
	size_t n[2];
};

/* "egress NS/NAME,NS/NAME; ingress NS/NAME": the policies that isolate the denying side. */
static char *pol_break_policies(const struct policy_set *s, unsigned denied,
				const struct pol_isolation *client,
				const struct pol_isolation *server)
{
	size_t len = 32, o = 0;
	char *buf;

	for (int d = 0; d < 2; d++) {
		const struct pol_isolation *iso = d == POL_EGRESS ? client : server;

		for (size_t i = 0; i < iso->n[d]; i++)
			len += strlen(s->v[iso->iso[d][i]].ns) + strlen(s->v[iso->iso[d][i]].name) +
			       2;
	}
	buf = util_zalloc(len);
	/* egress first: the client's side is where the connection starts */
	for (int k = 0; k < 2; k++) {
		enum pol_dir d = k == 0 ? POL_EGRESS : POL_INGRESS;
		const struct pol_isolation *iso = d == POL_EGRESS ? client : server;

		if (!(denied & (d == POL_EGRESS ? POLICY_DENY_EGRESS : POLICY_DENY_INGRESS)))
			continue;
		o += (size_t)snprintf(buf + o, len - o, "%s%s ", o ? "; " : "",
				      d == POL_EGRESS ? "egress" : "ingress");
		for (size_t i = 0; i < iso->n[d]; i++)
			o += (size_t)snprintf(buf + o, len - o, "%s%s/%s", i ? "," : "",
					      s->v[iso->iso[d][i]].ns, s->v[iso->iso[d][i]].name);
	}
	return buf;
}

/* The order of the graph's edge view: client id, then server id. */
static int pol_edge_pair_cmp(const struct graph_edge *e, const struct graph_workload *c,
			     const struct graph_workload *s)
{
	int r = strcmp(graph_workload_id(graph_edge_client(e)), graph_workload_id(c));

	return r ? r : strcmp(graph_workload_id(graph_edge_server(e)), graph_workload_id(s));
}

static void pol_verify_pair(struct policy_report *r, const struct policy_set *s,
			    const struct graph *g, const struct inventory *inv,
			    const struct graph_workload *c, const struct pol_isolation *ci,
			    const struct graph_workload *sv, const struct pol_isolation *si,
			    size_t first, size_t end)
{
	struct policy_ports *egress, *ingress, *e_any, *i_any, *allowed;

	egress = pol_side_each(s, inv, ci->iso[POL_EGRESS], ci->n[POL_EGRESS], POL_EGRESS, sv, sv,
			       &e_any);
	ingress = pol_side_each(s, inv, si->iso[POL_INGRESS], si->n[POL_INGRESS], POL_INGRESS, c,
				sv, &i_any);
	/* excess: what the pair may do, with some address of a peer that has several */
	allowed = e_any ? e_any : policy_ports_copy(egress);
	policy_ports_intersect(allowed, i_any ? i_any : ingress);
	policy_ports_free(i_any);
	for (size_t k = first; k < end; k++) {
		const struct graph_edge *e = graph_edge(g, k);
		uint8_t proto = graph_edge_proto(e);
		uint16_t port = graph_edge_port(e);
		unsigned denied = 0;

		r->governed++;
		if (!policy_ports_contains(egress, proto, port))
			denied |= POLICY_DENY_EGRESS;
		if (!policy_ports_contains(ingress, proto, port))
			denied |= POLICY_DENY_INGRESS;
		if (denied) {
			if (r->n_breaks == r->cap_breaks) {
				r->cap_breaks = r->cap_breaks ? 2 * r->cap_breaks : 8;
				r->breaks = util_reallocarray(r->breaks, r->cap_breaks,
							      sizeof(*r->breaks));
			}
			r->breaks[r->n_breaks++] = (struct pol_break){
				.edge = e,
				.denied = denied,
				.policies = pol_break_policies(s, denied, ci, si),
			};
		}
		policy_ports_remove(allowed, proto, port);
	}
	/*
	 * What a node may reach is no policy's grant (see pol_side): not excess. Neither is what
	 * two ends no policy isolates may do: they are listed once each as unlocked, not as every
	 * pair they make.
	 */
	if (!policy_ports_empty(allowed) && graph_workload_kind(c) != GRAPH_KIND_NODE &&
	    (ci->n[POL_EGRESS] > 0 || si->n[POL_INGRESS] > 0)) {
		if (r->n_excess == r->cap_excess) {
			r->cap_excess = r->cap_excess ? 2 * r->cap_excess : 8;
			r->excess = util_reallocarray(r->excess, r->cap_excess, sizeof(*r->excess));
		}
		r->excess[r->n_excess++] = (struct pol_excess){
			.client = c,
			.server = sv,
			.observed = end > first,
			.ports = allowed,
		};
		allowed = NULL;
	}
	policy_ports_free(allowed);
	policy_ports_free(egress);
	policy_ports_free(ingress);
}

/* Whether w is a k8s workload whose namespace is reported on. */
static bool pol_in_scope(const struct graph_workload *w, const struct policy_scope *scope)
{
	if (graph_workload_kind(w) != GRAPH_KIND_K8S)
		return false;
	if (!scope)
		return true;
	return util_k8s_namespace_scope(graph_workload_namespace(w), scope->include,
					scope->n_include, scope->exclude,
					scope->n_exclude) == UTIL_SCOPE_IN;
}

size_t policy_scope_hidden(const struct policy_set *s, const struct graph *g,
			   const struct policy_scope *scope)
{
	size_t *scratch = util_reallocarray(NULL, s->n ? s->n : 1, sizeof(*scratch)), n = 0;

	for (size_t i = 0; i < graph_workload_count(g); i++) {
		const struct graph_workload *w = graph_workload(g, i);

		if (graph_workload_kind(w) != GRAPH_KIND_K8S || pol_in_scope(w, scope))
			continue;
		n += pol_isolating(s, w, POL_EGRESS, scratch) > 0 ||
		     pol_isolating(s, w, POL_INGRESS, scratch) > 0;
	}
	free(scratch);
	return n;
}

struct policy_report *policy_verify(const struct policy_set *s, const struct graph *g,
				    const struct inventory *inv, const struct policy_scope *scope)
{
	struct policy_report *r = util_zalloc(sizeof(*r));
	size_t nw = graph_workload_count(g), ne = graph_edge_count(g), cursor = 0;
	struct pol_isolation *iso = util_reallocarray(NULL, nw ? nw : 1, sizeof(*iso));
	size_t *scratch = util_reallocarray(NULL, s->n ? s->n : 1, sizeof(*scratch));

	/*
	 * Who is isolated by what depends on the workload alone: worked out once, each list
	 * as long as it is (workloads times policies would not fit a large cluster).
	 */
	for (size_t i = 0; i < nw; i++) {
		const struct graph_workload *w = graph_workload(g, i);

		for (int d = 0; d < 2; d++) {
			size_t n = pol_isolating(s, w, (enum pol_dir)d, scratch);

			iso[i].iso[d] = util_reallocarray(NULL, n ? n : 1, sizeof(size_t));
			memcpy(iso[i].iso[d], scratch, n * sizeof(size_t));
			iso[i].n[d] = n;
		}
	}
	free(scratch);
	for (size_t i = 0; i < nw; i++) {
		const struct graph_workload *w = graph_workload(g, i);

		if (!pol_in_scope(w, scope) || iso[i].n[POL_EGRESS] || iso[i].n[POL_INGRESS])
			continue;
		r->unlocked =
			util_reallocarray(r->unlocked, r->n_unlocked + 1, sizeof(*r->unlocked));
		r->unlocked[r->n_unlocked++] = w;
	}
	/* pairs in id order meet the edge view, which has the same order, in one walk */
	for (size_t i = 0; i < nw; i++) {
		const struct graph_workload *c = graph_workload(g, i);

		for (size_t j = 0; j < nw; j++) {
			const struct graph_workload *sv = graph_workload(g, j);
			size_t first;

			while (cursor < ne && pol_edge_pair_cmp(graph_edge(g, cursor), c, sv) < 0)
				cursor++;
			first = cursor;
			while (cursor < ne && pol_edge_pair_cmp(graph_edge(g, cursor), c, sv) == 0)
				cursor++;
			if (!pol_in_scope(c, scope) && !pol_in_scope(sv, scope))
				continue;
			/* no policy can name an unknown peer: its edges are listed, not judged */
			if (graph_workload_kind(c) == GRAPH_KIND_UNKNOWN ||
			    graph_workload_kind(sv) == GRAPH_KIND_UNKNOWN) {
				for (size_t k = first; k < cursor; k++) {
					r->unknowns =
						util_reallocarray(r->unknowns, r->n_unknowns + 1,
								  sizeof(*r->unknowns));
					r->unknowns[r->n_unknowns++] = graph_edge(g, k);
				}
				continue;
			}
			pol_verify_pair(r, s, g, inv, c, &iso[i], sv, &iso[j], first, cursor);
		}
	}
	for (size_t i = 0; i < nw; i++)
		for (int d = 0; d < 2; d++)
			free(iso[i].iso[d]);
	free(iso);
	return r;
}

struct policy_report *policy_report_free(struct policy_report *r)
{
	if (!r)
		return NULL;
	for (size_t i = 0; i < r->n_breaks; i++)
		free(r->breaks[i].policies);
	free(r->breaks);
	for (size_t i = 0; i < r->n_excess; i++)
		policy_ports_free(r->excess[i].ports);
	free(r->excess);
	free(r->unknowns);
	free(r->unlocked);
	free(r);
	return NULL;
}

size_t policy_report_unlocked_count(const struct policy_report *r)
{
	return r->n_unlocked;
}

const struct graph_workload *policy_report_unlocked(const struct policy_report *r, size_t i)
{
	return i < r->n_unlocked ? r->unlocked[i] : NULL;
}

size_t policy_report_unknown_count(const struct policy_report *r)
{
	return r->n_unknowns;
}

const struct graph_edge *policy_report_unknown_edge(const struct policy_report *r, size_t i)
{
	return i < r->n_unknowns ? r->unknowns[i] : NULL;
}

size_t policy_report_governed(const struct policy_report *r)
{
	return r->governed;
}

size_t policy_report_break_count(const struct policy_report *r)
{
	return r->n_breaks;
}

const struct graph_edge *policy_report_break_edge(const struct policy_report *r, size_t i)
{
	return i < r->n_breaks ? r->breaks[i].edge : NULL;
}

unsigned policy_report_break_denied(const struct policy_report *r, size_t i)
{
	return i < r->n_breaks ? r->breaks[i].denied : 0;
}

const char *policy_report_break_policies(const struct policy_report *r, size_t i)
{
	return i < r->n_breaks ? r->breaks[i].policies : NULL;
}

size_t policy_report_excess_count(const struct policy_report *r)
{
	return r->n_excess;
}

const struct graph_workload *policy_report_excess_client(const struct policy_report *r, size_t i)
{
	return i < r->n_excess ? r->excess[i].client : NULL;
}

const struct graph_workload *policy_report_excess_server(const struct policy_report *r, size_t i)
{
	return i < r->n_excess ? r->excess[i].server : NULL;
}

bool policy_report_excess_observed(const struct policy_report *r, size_t i)
{
	return i < r->n_excess && r->excess[i].observed;
}

const struct policy_ports *policy_report_excess_ports(const struct policy_report *r, size_t i)
{
	return i < r->n_excess ? r->excess[i].ports : NULL;
}
