/* SPDX-License-Identifier: Apache-2.0 */
/* test-policy.c - NetworkPolicy files and their verdicts, worked out from the Kubernetes API. */
#include "policy/policy-private.h"

#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/test-helpers.h"

#define POLICY_DIR TEST_DATA "/policy/"

/*
 * The cluster (tests/data/policy/inventory.yaml):
 *   shop (team=web, env=prod): frontend {app=frontend, tier=web; http 8080, metrics 9100},
 *       cart {app=cart, tier=backend; http 8081, grpc 9000}, redis {app=redis, tier=db;
 *       redis 6379}, the bare pod debug {app=debug}
 *   payments (team=pay, env=prod): api {app=api, tier=backend; https 8443 in one pod and 9443
 *       in the other, mid-rollout; http 8080}
 *   dev (env=dev; its object has no kubernetes.io/metadata.name): tool {app=tool}
 *   kube-system (no Namespace object): coredns {k8s-app=kube-dns; dns 53/UDP, dns-tcp 53/TCP}
 *   legacy (no Namespace object): the bare pod old {app=old, env=prod}
 * and outside peers made here: three external addresses, an aggregated /24, an IPv6 address, and
 * the node worker-1 (172.18.0.2).
 */
#define FE    "k8s:shop/deployment/frontend"
#define CART  "k8s:shop/deployment/cart"
#define REDIS "k8s:shop/statefulset/redis"
#define DEBUG "k8s:shop/pod/debug"
#define API   "k8s:payments/deployment/api"
#define TOOL  "k8s:dev/deployment/tool"
#define DNS   "k8s:kube-system/deployment/coredns"
#define OLD   "k8s:legacy/pod/old"
#define EXT7  "external:203.0.113.7/32"
#define EXT77 "external:203.0.113.77/32"
#define EXTN  "external:198.51.100.0/24"
#define EXT6  "external:2001:db8::1/128"
#define NODE  "node:worker-1"

static const struct {
	enum graph_kind kind;
	const char *name, *address;
} outside[] = {
	{GRAPH_KIND_EXTERNAL, "203.0.113.7/32", "203.0.113.7/32"},
	{GRAPH_KIND_EXTERNAL, "203.0.113.77/32", "203.0.113.77/32"},
	{GRAPH_KIND_EXTERNAL, "198.51.100.0/24", "198.51.100.0/24"},
	{GRAPH_KIND_EXTERNAL, "2001:db8::1/128", "2001:db8::1/128"},
	{GRAPH_KIND_NODE, "worker-1", "172.18.0.2/32"},
};

struct fixture {
	struct inventory *inv;
	struct graph_workload *outside[UTIL_ARRAY_SIZE(outside)];
};

static void fixture_init(struct fixture *fx)
{
	struct util_err err = {""};
	int r;

	fx->inv = inventory_new();
	r = inventory_load(fx->inv, POLICY_DIR "inventory.yaml", &err);
	ck_assert_msg(r == 0, "inventory: %s", err.msg);
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(outside); i++) {
		fx->outside[i] = graph_workload_new(outside[i].kind, "", "", outside[i].name);
		graph_workload_add_address(fx->outside[i], TEST_PREFIX(outside[i].address));
	}
}

static void fixture_clear(struct fixture *fx)
{
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(outside); i++)
		graph_workload_unref(fx->outside[i]);
	inventory_free(fx->inv);
}

static struct graph_workload *workload(const struct fixture *fx, const char *id)
{
	for (size_t i = 0; i < inventory_workload_count(fx->inv); i++)
		if (strcmp(graph_workload_id(inventory_workload(fx->inv, i)), id) == 0)
			return inventory_workload(fx->inv, i);
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(outside); i++)
		if (strcmp(graph_workload_id(fx->outside[i]), id) == 0)
			return fx->outside[i];
	ck_abort_msg("no workload %s in the test cluster", id);
	return NULL;
}

static struct policy_set *load_text(const char *text)
{
	struct policy_set *s = policy_set_new();
	struct util_err err = {""};
	int r;

	r = policy_set_load_buffer(s, "policies.yaml", text, strlen(text), &err);
	ck_assert_msg(r == 0, "policies do not load: %s", err.msg);
	return s;
}

/* ---- Verdicts ----------------------------------------------------------------------------- */

/* One NetworkPolicy document; spec in YAML flow style. */
#define NP(name, ns, spec)                                                                         \
	"---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: " name       \
	", namespace: " ns "}\nspec: " spec "\n"

#define OK 0u
#define DE POLICY_DENY_EGRESS
#define DI POLICY_DENY_INGRESS
#define DB (POLICY_DENY_EGRESS | POLICY_DENY_INGRESS)

#define TCP  IPPROTO_TCP
#define UDP  IPPROTO_UDP
#define SCTP IPPROTO_SCTP
#define ICMP IPPROTO_ICMP

#define NOTHING	       "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: shop}\n"
#define DENY_IN_SHOP   NP("deny-in", "shop", "{podSelector: {}}")
#define DENY_OUT_SHOP  NP("deny-out", "shop", "{podSelector: {}, policyTypes: [Egress]}")
#define DENY_BOTH_SHOP NP("deny-all", "shop", "{podSelector: {}, policyTypes: [Ingress, Egress]}")
#define FE_EGRESS_CART                                                                             \
	NP("fe", "shop",                                                                           \
	   "{podSelector: {matchLabels: {app: frontend}}, egress: [{to: [{podSelector: "           \
	   "{matchLabels: {app: cart}}}]}]}")
#define FE_EGRESS_EMPTY                                                                            \
	NP("fe", "shop", "{podSelector: {matchLabels: {app: frontend}}, egress: []}")
#define CART_FROM_FE                                                                               \
	NP("cart", "shop",                                                                         \
	   "{podSelector: {matchLabels: {app: cart}}, ingress: [{from: [{podSelector: "            \
	   "{matchLabels: {app: frontend}}}], ports: [{port: 8081}]}]}")
/* Redis's ingress from one list of peers. */
#define REDIS_FROM(peers)                                                                          \
	NP("redis", "shop",                                                                        \
	   "{podSelector: {matchLabels: {app: redis}}, ingress: [{from: [" peers "]}]}")
/* Frontend's egress to one list of peers. */
#define FE_TO(peers)                                                                               \
	NP("fe", "shop",                                                                           \
	   "{podSelector: {matchLabels: {app: frontend}}, egress: [{to: [" peers "]}]}")
/* Frontend's ingress on 8080 from one ipBlock. */
#define FE_FROM_BLOCK(block)                                                                       \
	NP("fe", "shop",                                                                           \
	   "{podSelector: {matchLabels: {app: frontend}}, ingress: [{from: [{ipBlock: " block      \
	   "}], ports: [{port: 8080}]}]}")
/* Cart's ingress from anyone on one list of ports. */
#define CART_PORTS(ports)                                                                          \
	NP("cart", "shop",                                                                         \
	   "{podSelector: {matchLabels: {app: cart}}, ingress: [{ports: [" ports "]}]}")
#define FE_EGRESS_HTTP                                                                             \
	NP("fe", "shop",                                                                           \
	   "{podSelector: {matchLabels: {app: frontend}}, policyTypes: [Egress], egress: "         \
	   "[{ports: [{port: http}]}]}")
#define TWO_CART_POLICIES                                                                          \
	CART_FROM_FE                                                                               \
	NP("backend", "shop",                                                                      \
	   "{podSelector: {matchLabels: {tier: backend}}, ingress: [{from: [{namespaceSelector: "  \
	   "{matchLabels: {team: pay}}}], ports: [{port: 9000}]}]}")
#define CART_TWO_RULES                                                                             \
	NP("cart", "shop",                                                                         \
	   "{podSelector: {matchLabels: {app: cart}}, ingress: [{from: [{podSelector: "            \
	   "{matchLabels: {app: frontend}}}], ports: [{port: 8081}]}, {from: [{podSelector: "      \
	   "{matchLabels: {app: redis}}}], ports: [{port: 9000}]}]}")
#define CART_TO_API                                                                                \
	NP("cart", "shop",                                                                         \
	   "{podSelector: {matchLabels: {app: cart}}, policyTypes: [Egress], egress: [{to: "       \
	   "[{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: payments}}, "         \
	   "podSelector: {matchLabels: {app: api}}}], ports: [{port: 8443}]}]}")                   \
	NP("api", "payments",                                                                      \
	   "{podSelector: {matchLabels: {app: api}}, ingress: [{from: [{namespaceSelector: "       \
	   "{matchLabels: {team: web}}, podSelector: {matchLabels: {app: cart}}}], ports: "        \
	   "[{port: https}]}]}")
#define FE_EGRESS_DNS                                                                              \
	NP("fe", "shop",                                                                           \
	   "{podSelector: {matchLabels: {app: frontend}}, policyTypes: [Egress], egress: [{to: "   \
	   "[{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}}], "    \
	   "ports: [{protocol: UDP, port: 53}]}]}")
#define FE_EGRESS_IP                                                                               \
	NP("fe", "shop",                                                                           \
	   "{podSelector: {matchLabels: {app: frontend}}, policyTypes: [Egress], egress: [{to: "   \
	   "[{ipBlock: {cidr: 203.0.113.7/32}}], ports: [{port: 443}]}]}")
#define FE_EGRESS_ANY_53                                                                           \
	NP("fe", "shop",                                                                           \
	   "{podSelector: {matchLabels: {app: frontend}}, policyTypes: [Egress], egress: [{to: "   \
	   "[], ports: [{protocol: UDP, port: 53}]}]}")
#define DNS_PORTS(ports)                                                                           \
	NP("dns", "kube-system", "{podSelector: {}, ingress: [{ports: [" ports "]}]}")
#define API_HTTPS NP("api", "payments", "{podSelector: {}, ingress: [{ports: [{port: https}]}]}")
#define LIST_MIXED                                                                                 \
	"apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: "    \
	"{name: c}\n- apiVersion: networking.k8s.io/v1\n  kind: NetworkPolicy\n  metadata: "       \
	"{name: d, namespace: shop}\n  spec: {podSelector: {}}\n"
#define NP_LIST                                                                                    \
	"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicyList\nitems:\n- metadata: {name: "   \
	"d, namespace: shop}\n  spec: {podSelector: {}}\n"
#define CALICO                                                                                     \
	"apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata: {name: deny, "           \
	"namespace: shop}\nspec: {selector: all(), types: [Ingress, Egress]}\n"
#define JSON_CART                                                                                  \
	"{\"apiVersion\": \"networking.k8s.io/v1\", \"kind\": \"NetworkPolicy\", \"metadata\": "   \
	"{\"name\": \"cart\", \"namespace\": \"shop\"}, \"spec\": {\"podSelector\": "              \
	"{\"matchLabels\": {\"app\": \"cart\"}}, \"ingress\": [{\"ports\": [{\"port\": 8081}]}]}}"
#define NO_NAMESPACE                                                                               \
	"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: d}\nspec: "       \
	"{podSelector: {}}\n"
#define NO_SPEC                                                                                    \
	"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: d, namespace: "   \
	"shop}\n"
#define REPLACED                                                                                   \
	NP("p", "shop", "{podSelector: {}}")                                                       \
	NP("p", "shop", "{podSelector: {matchLabels: {app: redis}}}")

static const struct verdict_case {
	const char *what;
	const char *policies;
	const char *client, *server;
	uint8_t proto;
	uint16_t port;
	unsigned want;
} verdict_cases[] = {
	/* no policy selects a pod: it is not isolated, in either direction */
	{"no policy at all", NOTHING, FE, CART, TCP, 8081, OK},
	/* isolation is per direction: policyTypes, with the API server's defaults */
	{"default deny ingress", DENY_IN_SHOP, FE, CART, TCP, 8081, DI},
	{"default deny ingress: egress open, other namespace open", DENY_IN_SHOP, CART, API, TCP,
	 8443, OK},
	{"default deny ingress: from another namespace", DENY_IN_SHOP, API, CART, TCP, 8081, DI},
	{"default deny egress", DENY_OUT_SHOP, FE, CART, TCP, 8081, DE},
	{"default deny egress: ingress open", DENY_OUT_SHOP, API, CART, TCP, 8081, OK},
	{"default deny both", DENY_BOTH_SHOP, FE, CART, TCP, 8081, DB},
	{"default deny both: a workload to itself", DENY_BOTH_SHOP, FE, FE, TCP, 8080, DB},
	{"no policyTypes, egress rules: Egress", FE_EGRESS_CART, FE, REDIS, TCP, 6379, DE},
	{"no policyTypes, egress rules: the rule", FE_EGRESS_CART, FE, CART, TCP, 8081, OK},
	{"no policyTypes: Ingress always", FE_EGRESS_CART, CART, FE, TCP, 8080, DI},
	{"no policyTypes, egress: []: no Egress", FE_EGRESS_EMPTY, FE, REDIS, TCP, 6379, OK},
	{"no policyTypes, egress: []: Ingress", FE_EGRESS_EMPTY, REDIS, FE, TCP, 8080, DI},
	{"policyTypes [Egress] ignores ingress rules",
	 NP("fe", "shop",
	    "{podSelector: {matchLabels: {app: frontend}}, policyTypes: [Egress], ingress: "
	    "[{from: [{podSelector: {matchLabels: {app: nobody}}}]}], egress: [{}]}"),
	 REDIS, FE, TCP, 8080, OK},
	{"policyTypes [] is absent", NP("p", "shop", "{podSelector: {}, policyTypes: []}"), FE,
	 CART, TCP, 8081, DI},
	/* podSelector peers */
	{"podSelector peer, port", CART_FROM_FE, FE, CART, TCP, 8081, OK},
	{"podSelector peer, other port", CART_FROM_FE, FE, CART, TCP, 9000, DI},
	{"podSelector peer, other protocol", CART_FROM_FE, FE, CART, UDP, 8081, DI},
	{"podSelector peer, other pod", CART_FROM_FE, REDIS, CART, TCP, 8081, DI},
	{"podSelector alone: the policy's namespace",
	 REDIS_FROM("{podSelector: {matchLabels: "
		    "{tier: backend}}}"),
	 CART, REDIS, TCP, 6379, OK},
	{"podSelector alone: not another namespace",
	 REDIS_FROM("{podSelector: {matchLabels: {tier: backend}}}"), API, REDIS, TCP, 6379, DI},
	{"a policy isolates only what it selects",
	 REDIS_FROM("{podSelector: {matchLabels: {tier: backend}}}"), FE, CART, TCP, 8081, OK},
	{"podSelector {}: every pod of the namespace", REDIS_FROM("{podSelector: {}}"), DEBUG,
	 REDIS, TCP, 6379, OK},
	{"podSelector {}: no other namespace", REDIS_FROM("{podSelector: {}}"), TOOL, REDIS, TCP,
	 6379, DI},
	/* namespaceSelector peers */
	{"namespaceSelector", REDIS_FROM("{namespaceSelector: {matchLabels: {team: pay}}}"), API,
	 REDIS, TCP, 6379, OK},
	{"namespaceSelector, other namespace",
	 REDIS_FROM("{namespaceSelector: {matchLabels: {team: pay}}}"), CART, REDIS, TCP, 6379, DI},
	{"namespaceSelector {}: every namespace", REDIS_FROM("{namespaceSelector: {}}"), TOOL,
	 REDIS, TCP, 6379, OK},
	{"namespaceSelector {}: a namespace without an object",
	 REDIS_FROM("{namespaceSelector: {}}"), OLD, REDIS, TCP, 6379, OK},
	{"namespaceSelector {}: no outside address", REDIS_FROM("{namespaceSelector: {}}"), EXT7,
	 REDIS, TCP, 6379, DI},
	{"namespaceSelector {}: no node", FE_TO("{namespaceSelector: {}}"), FE, NODE, TCP, 10250,
	 DE},
	{"namespaceSelector AND podSelector: both hold",
	 REDIS_FROM("{namespaceSelector: {matchLabels: {env: prod}}, podSelector: {matchLabels: "
		    "{tier: backend}}}"),
	 API, REDIS, TCP, 6379, OK},
	{"namespaceSelector AND podSelector: same namespace",
	 REDIS_FROM("{namespaceSelector: {matchLabels: {env: prod}}, podSelector: {matchLabels: "
		    "{tier: backend}}}"),
	 CART, REDIS, TCP, 6379, OK},
	{"namespaceSelector AND podSelector: pod fails",
	 REDIS_FROM("{namespaceSelector: {matchLabels: {env: prod}}, podSelector: {matchLabels: "
		    "{tier: backend}}}"),
	 FE, REDIS, TCP, 6379, DI},
	{"namespaceSelector AND podSelector: namespace fails",
	 REDIS_FROM("{namespaceSelector: {matchLabels: {env: prod}}, podSelector: {matchLabels: "
		    "{tier: backend}}}"),
	 TOOL, REDIS, TCP, 6379, DI},
	{"two peers are OR: the first",
	 REDIS_FROM("{namespaceSelector: {matchLabels: {env: dev}}}, {podSelector: {matchLabels: "
		    "{tier: web}}}"),
	 TOOL, REDIS, TCP, 6379, OK},
	{"two peers are OR: the second",
	 REDIS_FROM("{namespaceSelector: {matchLabels: {env: dev}}}, {podSelector: {matchLabels: "
		    "{tier: web}}}"),
	 FE, REDIS, TCP, 6379, OK},
	{"two peers are OR: neither",
	 REDIS_FROM("{namespaceSelector: {matchLabels: {env: dev}}}, {podSelector: {matchLabels: "
		    "{tier: web}}}"),
	 API, REDIS, TCP, 6379, DI},
	{"kubernetes.io/metadata.name without a Namespace object", FE_EGRESS_DNS, FE, DNS, UDP, 53,
	 OK},
	{"kubernetes.io/metadata.name, other protocol", FE_EGRESS_DNS, FE, DNS, TCP, 53, DE},
	{"kubernetes.io/metadata.name, other namespace", FE_EGRESS_DNS, FE, CART, TCP, 8081, DE},
	{"kubernetes.io/metadata.name missing from the object",
	 REDIS_FROM("{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: dev}}}"), TOOL,
	 REDIS, TCP, 6379, OK},
	{"namespace labels, not the pod's",
	 REDIS_FROM("{namespaceSelector: {matchLabels: {env: "
		    "prod}}}"),
	 OLD, REDIS, TCP, 6379, DI},
	{"namespace labels", REDIS_FROM("{namespaceSelector: {matchLabels: {env: prod}}}"), API,
	 REDIS, TCP, 6379, OK},
	/* matchExpressions */
	{"In",
	 REDIS_FROM("{podSelector: {matchExpressions: [{key: app, operator: In, values: "
		    "[frontend, cart]}]}}"),
	 CART, REDIS, TCP, 6379, OK},
	{"In, not listed",
	 REDIS_FROM("{podSelector: {matchExpressions: [{key: app, operator: In, "
		    "values: [frontend, cart]}]}}"),
	 DEBUG, REDIS, TCP, 6379, DI},
	{"NotIn, label absent",
	 REDIS_FROM("{podSelector: {matchExpressions: [{key: tier, operator: "
		    "NotIn, values: [web]}]}}"),
	 DEBUG, REDIS, TCP, 6379, OK},
	{"NotIn, listed",
	 REDIS_FROM("{podSelector: {matchExpressions: [{key: tier, operator: NotIn, "
		    "values: [web]}]}}"),
	 FE, REDIS, TCP, 6379, DI},
	{"Exists, absent",
	 REDIS_FROM("{podSelector: {matchExpressions: [{key: tier, operator: "
		    "Exists}]}}"),
	 DEBUG, REDIS, TCP, 6379, DI},
	{"Exists", REDIS_FROM("{podSelector: {matchExpressions: [{key: tier, operator: Exists}]}}"),
	 CART, REDIS, TCP, 6379, OK},
	{"DoesNotExist",
	 REDIS_FROM("{podSelector: {matchExpressions: [{key: tier, operator: "
		    "DoesNotExist}]}}"),
	 DEBUG, REDIS, TCP, 6379, OK},
	{"DoesNotExist, present",
	 REDIS_FROM("{podSelector: {matchExpressions: [{key: tier, "
		    "operator: DoesNotExist}]}}"),
	 CART, REDIS, TCP, 6379, DI},
	{"namespaceSelector NotIn",
	 REDIS_FROM("{namespaceSelector: {matchExpressions: [{key: env, "
		    "operator: NotIn, values: [prod]}]}}"),
	 TOOL, REDIS, TCP, 6379, OK},
	{"namespaceSelector NotIn, namespace without labels",
	 REDIS_FROM("{namespaceSelector: {matchExpressions: [{key: env, operator: NotIn, values: "
		    "[prod]}]}}"),
	 OLD, REDIS, TCP, 6379, OK},
	{"namespaceSelector NotIn, listed",
	 REDIS_FROM("{namespaceSelector: {matchExpressions: "
		    "[{key: env, operator: NotIn, values: "
		    "[prod]}]}}"),
	 API, REDIS, TCP, 6379, DI},
	{"policy podSelector by expression: not selected",
	 NP("p", "shop",
	    "{podSelector: {matchExpressions: [{key: app, operator: NotIn, values: "
	    "[redis]}]}}"),
	 FE, REDIS, TCP, 6379, OK},
	{"policy podSelector by expression: selected",
	 NP("p", "shop",
	    "{podSelector: {matchExpressions: [{key: app, operator: NotIn, values: "
	    "[redis]}]}}"),
	 FE, CART, TCP, 8081, DI},
	{"matchLabels AND matchExpressions: both",
	 NP("p", "shop",
	    "{podSelector: {matchLabels: {tier: backend}, matchExpressions: [{key: app, "
	    "operator: In, values: [redis, cart]}]}}"),
	 FE, CART, TCP, 8081, DI},
	{"matchLabels AND matchExpressions: one",
	 NP("p", "shop",
	    "{podSelector: {matchLabels: {tier: backend}, matchExpressions: [{key: app, "
	    "operator: In, values: [redis, cart]}]}}"),
	 FE, REDIS, TCP, 6379, OK},
	/* approximation: per-pod labels are not in a workload's selector, so nothing selects by
	   them */
	{"a per-pod label selects nothing",
	 NP("p", "shop",
	    "{podSelector: {matchLabels: "
	    "{pod-template-hash: 5c8b7d}}}"),
	 FE, CART, TCP, 8081, OK},
	/* ipBlock */
	{"ipBlock", FE_FROM_BLOCK("{cidr: 203.0.113.0/24}"), EXT7, FE, TCP, 8080, OK},
	{"ipBlock, another address", FE_FROM_BLOCK("{cidr: 203.0.113.0/24}"), EXT77, FE, TCP, 8080,
	 OK},
	{"ipBlock, other port", FE_FROM_BLOCK("{cidr: 203.0.113.0/24}"), EXT7, FE, TCP, 8081, DI},
	{"ipBlock, outside it", FE_FROM_BLOCK("{cidr: 203.0.113.0/24}"), EXTN, FE, TCP, 8080, DI},
	{"ipBlock except", FE_FROM_BLOCK("{cidr: 203.0.113.0/24, except: [203.0.113.0/28]}"), EXT7,
	 FE, TCP, 8080, DI},
	{"ipBlock except, not excepted",
	 FE_FROM_BLOCK("{cidr: 203.0.113.0/24, except: [203.0.113.0/28]}"), EXT77, FE, TCP, 8080,
	 OK},
	{"ipBlock narrower than an aggregated peer", FE_FROM_BLOCK("{cidr: 198.51.100.0/25}"), EXTN,
	 FE, TCP, 8080, DI},
	{"ipBlock holding an aggregated peer", FE_FROM_BLOCK("{cidr: 198.51.0.0/16}"), EXTN, FE,
	 TCP, 8080, OK},
	{"ipBlock except inside an aggregated peer",
	 FE_FROM_BLOCK("{cidr: 198.51.0.0/16, except: [198.51.100.128/25]}"), EXTN, FE, TCP, 8080,
	 DI},
	{"ipBlock does not select pods", FE_FROM_BLOCK("{cidr: 0.0.0.0/0}"), CART, FE, TCP, 8080,
	 DI},
	{"ipBlock holds a node", FE_FROM_BLOCK("{cidr: 172.18.0.0/16}"), NODE, FE, TCP, 8080, OK},
	{"ipBlock IPv4 vs an IPv6 peer", FE_FROM_BLOCK("{cidr: 0.0.0.0/0}"), EXT6, FE, TCP, 8080,
	 DI},
	{"ipBlock IPv6", FE_FROM_BLOCK("{cidr: \"2001:db8::/32\"}"), EXT6, FE, TCP, 8080, OK},
	{"ipBlock IPv6 vs an IPv4 peer", FE_FROM_BLOCK("{cidr: \"::/0\"}"), EXT7, FE, TCP, 8080,
	 DI},
	{"ipBlock host bits are ignored", FE_FROM_BLOCK("{cidr: 203.0.113.200/24}"), EXT7, FE, TCP,
	 8080, OK},
	{"egress ipBlock", FE_EGRESS_IP, FE, EXT7, TCP, 443, OK},
	{"egress ipBlock, other address", FE_EGRESS_IP, FE, EXT77, TCP, 443, DE},
	{"egress ipBlock, other port", FE_EGRESS_IP, FE, EXT7, TCP, 80, DE},
	/* ports */
	{"endPort: first", CART_PORTS("{port: 8000, endPort: 8100}"), FE, CART, TCP, 8000, OK},
	{"endPort: inside", CART_PORTS("{port: 8000, endPort: 8100}"), FE, CART, TCP, 8081, OK},
	{"endPort: last", CART_PORTS("{port: 8000, endPort: 8100}"), FE, CART, TCP, 8100, OK},
	{"endPort: after", CART_PORTS("{port: 8000, endPort: 8100}"), FE, CART, TCP, 8101, DI},
	{"endPort: before", CART_PORTS("{port: 8000, endPort: 8100}"), FE, CART, TCP, 7999, DI},
	{"endPort: other protocol", CART_PORTS("{port: 8000, endPort: 8100}"), FE, CART, UDP, 8081,
	 DI},
	{"protocol without port: every port", CART_PORTS("{protocol: UDP}"), FE, CART, UDP, 5353,
	 OK},
	{"protocol without port: not TCP", CART_PORTS("{protocol: UDP}"), FE, CART, TCP, 5353, DI},
	{"SCTP", CART_PORTS("{protocol: SCTP, port: 9999}"), FE, CART, SCTP, 9999, OK},
	{"SCTP, not TCP", CART_PORTS("{protocol: SCTP, port: 9999}"), FE, CART, TCP, 9999, DI},
	{"protocol defaults to TCP", CART_PORTS("{port: 9000}"), FE, CART, TCP, 9000, OK},
	{"protocol defaults to TCP, not UDP", CART_PORTS("{port: 9000}"), FE, CART, UDP, 9000, DI},
	{"ports absent: ICMP too", REDIS_FROM("{podSelector: {}}"), FE, REDIS, ICMP, 0, OK},
	{"ports given: no ICMP", CART_PORTS("{port: 8081}"), FE, CART, ICMP, 0, DI},
	{"ports: [] is every port",
	 NP("cart", "shop",
	    "{podSelector: {matchLabels: {app: cart}}, "
	    "ingress: [{ports: []}]}"),
	 FE, CART, TCP, 1, OK},
	{"named port: the server's", CART_PORTS("{port: http}"), FE, CART, TCP, 8081, OK},
	{"named port: not the client's", CART_PORTS("{port: http}"), FE, CART, TCP, 8080, DI},
	{"egress named port: the destination's", FE_EGRESS_HTTP, FE, CART, TCP, 8081, OK},
	{"egress named port: not the source's", FE_EGRESS_HTTP, FE, CART, TCP, 8080, DE},
	{"egress named port: another namespace", FE_EGRESS_HTTP, FE, API, TCP, 8080, OK},
	{"egress named port: itself", FE_EGRESS_HTTP, FE, FE, TCP, 8080, OK},
	{"egress named port: a server without it", FE_EGRESS_HTTP, FE, REDIS, TCP, 6379, DE},
	{"egress named port: an outside peer has none", FE_EGRESS_HTTP, FE, EXT7, TCP, 8080, DE},
	{"named port: protocol defaults to TCP", DNS_PORTS("{port: dns}"), FE, DNS, UDP, 53, DI},
	{"named port with its protocol", DNS_PORTS("{port: dns, protocol: UDP}"), FE, DNS, UDP, 53,
	 OK},
	{"named port, TCP", DNS_PORTS("{port: dns-tcp}"), FE, DNS, TCP, 53, OK},
	{"named port mid-rollout: one number", API_HTTPS, CART, API, TCP, 8443, OK},
	{"named port mid-rollout: the other", API_HTTPS, CART, API, TCP, 9443, OK},
	{"named port mid-rollout: another name's", API_HTTPS, CART, API, TCP, 8080, DI},
	/* several rules and policies: a union */
	{"two policies: the first", TWO_CART_POLICIES, FE, CART, TCP, 8081, OK},
	{"two policies: the second", TWO_CART_POLICIES, API, CART, TCP, 9000, OK},
	{"two policies: no mixing peers and ports", TWO_CART_POLICIES, API, CART, TCP, 8081, DI},
	{"two policies: no mixing, other way", TWO_CART_POLICIES, FE, CART, TCP, 9000, DI},
	{"deny-all plus an allow", DENY_IN_SHOP CART_FROM_FE, FE, CART, TCP, 8081, OK},
	{"deny-all plus an allow: the rest", DENY_IN_SHOP CART_FROM_FE, REDIS, CART, TCP, 8081, DI},
	{"two rules: the second", CART_TWO_RULES, REDIS, CART, TCP, 9000, OK},
	{"two rules: no mixing", CART_TWO_RULES, REDIS, CART, TCP, 8081, DI},
	{"a policy in another namespace",
	 NP("deny", "payments",
	    "{podSelector: {}, policyTypes: "
	    "[Ingress, Egress]}"),
	 FE, CART, TCP, 8081, OK},
	{"another namespace's default deny: ingress",
	 NP("deny", "payments",
	    "{podSelector: {}, "
	    "policyTypes: [Ingress, "
	    "Egress]}"),
	 CART, API, TCP, 8443, DI},
	{"another namespace's default deny: egress",
	 NP("deny", "payments",
	    "{podSelector: {}, "
	    "policyTypes: [Ingress, "
	    "Egress]}"),
	 API, CART, TCP, 8081, DE},
	/* across namespaces: both sides must allow */
	{"cross-namespace: both allow", CART_TO_API, CART, API, TCP, 8443, OK},
	{"cross-namespace: only the server's named port", CART_TO_API, CART, API, TCP, 9443, DE},
	{"cross-namespace: another client", CART_TO_API, FE, API, TCP, 8443, DI},
	{"cross-namespace: client isolated for egress", CART_TO_API, CART, REDIS, TCP, 6379, DE},
	/* empty from / to, empty rules */
	{"from: [] is every source: outside", CART_PORTS("{port: 8081}"), EXT7, CART, TCP, 8081,
	 OK},
	{"from: [] explicitly",
	 NP("cart", "shop",
	    "{podSelector: {matchLabels: {app: cart}}, "
	    "ingress: [{from: [], ports: [{port: 8081}]}]}"),
	 TOOL, CART, TCP, 8081, OK},
	{"rule {}: everything",
	 NP("cart", "shop",
	    "{podSelector: {matchLabels: {app: cart}}, "
	    "ingress: [{}]}"),
	 EXT7, CART, ICMP, 0, OK},
	{"rule null: everything",
	 NP("cart", "shop",
	    "{podSelector: {matchLabels: {app: cart}}, "
	    "ingress: [~]}"),
	 NODE, CART, UDP, 7, OK},
	{"to: [] is every destination", FE_EGRESS_ANY_53, FE, EXT7, UDP, 53, OK},
	{"to: [], a pod", FE_EGRESS_ANY_53, FE, DNS, UDP, 53, OK},
	{"to: [], other protocol", FE_EGRESS_ANY_53, FE, EXT7, TCP, 53, DE},
	/* outside peers are never isolated themselves */
	/* "the only allowed connections into the pod are those from the pod's node and those
	 * allowed by the ingress list": which node runs the pod is not known, so any node */
	{"node to an isolated pod", DENY_BOTH_SHOP, NODE, FE, TCP, 8080, OK},
	{"node to a pod isolated by a rule for others", REDIS_FROM("{podSelector: {}}"), NODE,
	 REDIS, TCP, 6379, OK},
	{"isolated pod to a node", DENY_BOTH_SHOP, FE, NODE, TCP, 10250, DE},
	{"no pod on either side", DENY_BOTH_SHOP, EXT7, NODE, TCP, 22, OK},
	/* the file: other kinds, lists, JSON, defaults */
	{"Calico's NetworkPolicy is skipped", CALICO, FE, CART, TCP, 8081, OK},
	{"a List of mixed kinds", LIST_MIXED, FE, CART, TCP, 8081, DI},
	{"a NetworkPolicyList without item kinds", NP_LIST, FE, CART, TCP, 8081, DI},
	{"JSON", JSON_CART, FE, CART, TCP, 8081, OK},
	{"JSON, other port", JSON_CART, FE, CART, TCP, 9000, DI},
	{"no namespace: default", NO_NAMESPACE, FE, CART, TCP, 8081, OK},
	{"no spec: every pod, Ingress", NO_SPEC, FE, CART, TCP, 8081, DI},
	{"same name: the later replaces", REPLACED, FE, CART, TCP, 8081, OK},
	{"same name: the later applies", REPLACED, FE, REDIS, TCP, 6379, DI},
};

START_TEST(test_verdict)
{
	const struct verdict_case *tc = &verdict_cases[_i];
	struct policy_ports *allowed;
	struct policy_set *s;
	struct fixture fx;
	unsigned got;

	fixture_init(&fx);
	s = load_text(tc->policies);
	got = policy_check(s, fx.inv, workload(&fx, tc->client), workload(&fx, tc->server),
			   tc->proto, tc->port);
	ck_assert_msg(got == tc->want, "%s: %s -> %s %s/%u: denied %u, want %u", tc->what,
		      tc->client, tc->server, util_proto_name(tc->proto), (unsigned)tc->port, got,
		      tc->want);
	/* the set of everything allowed agrees with the single verdict */
	allowed = policy_allowed(s, fx.inv, workload(&fx, tc->client), workload(&fx, tc->server));
	ck_assert_msg(policy_ports_contains(allowed, tc->proto, tc->port) == (tc->want == 0),
		      "%s: policy_allowed disagrees", tc->what);
	policy_ports_free(allowed);
	policy_set_free(s);
	fixture_clear(&fx);
}
END_TEST

/* ---- What loading counts ------------------------------------------------------------------ */

static const struct {
	const char *text;
	size_t policies, skipped;
	const char *first; /* NS/NAME of the first in sorted order */
} count_cases[] = {
	{NOTHING, 0, 1, NULL},
	{CALICO, 0, 1, NULL},
	{LIST_MIXED, 1, 1, "shop/d"},
	{NP_LIST, 1, 0, "shop/d"},
	{REPLACED, 1, 0, "shop/p"},
	{NO_NAMESPACE, 1, 0, "default/d"},
	{NP("b", "shop", "{}") NP("a", "shop", "{}") NP("z", "payments", "{}"), 3, 0, "payments/z"},
	{"---\n---\n" NP("a", "shop", "{}") "---\n", 1, 0, "shop/a"},
};

START_TEST(test_counts)
{
	struct policy_set *s = load_text(count_cases[_i].text);
	char first[300];

	ck_assert_uint_eq(policy_set_count(s), count_cases[_i].policies);
	ck_assert_uint_eq(policy_set_skipped(s), count_cases[_i].skipped);
	if (count_cases[_i].first) {
		snprintf(first, sizeof(first), "%s/%s", policy_set_namespace(s, 0),
			 policy_set_name(s, 0));
		ck_assert_str_eq(first, count_cases[_i].first);
	}
	policy_set_free(s);
}
END_TEST

/* ---- Malformed policies: one line, file:line:col ------------------------------------------ */

#define HEAD                                                                                       \
	"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p, namespace: "   \
	"shop}\n"

static const struct {
	const char *text;
	const char *want; /* the whole message */
} bad_cases[] = {
	{"", "bad.yaml:1:1: empty file, no Kubernetes objects"},
	{"---\n", "bad.yaml:1:1: empty file, no Kubernetes objects"},
	{"just text\n", "bad.yaml:1:1: not a Kubernetes object (a mapping with kind)"},
	{"a: b\n", "bad.yaml:1:1: not a Kubernetes object (no kind)"},
	/* a key twice: strict decoding refuses it, and either copy would hide the other */
	{"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p}\nspec:\n"
	 "  podSelector: {matchLabels: {app: none}}\n  podSelector: {}\n",
	 "bad.yaml:6:3: duplicate key \"podSelector\""},
	{"kind: NetworkPolicy\nkind: List\n", "bad.yaml:2:1: duplicate key \"kind\""},
	{"kind: x\nmetadata: {labels: {a: \"1\", \"a\": \"2\"}}\n",
	 "bad.yaml:2:29: duplicate key \"a\""},
	/* more keys than the pairwise check takes: sorted, the later copy named */
	{"kind: x\nmetadata: {k0: v, k1: v, k2: v, k3: v, k4: v, k5: v, k6: v, k7: v, k8: v, k9: "
	 "v, k10: v, k11: v, k12: v, k13: v, k14: v, k15: v, k16: v, k17: v, k18: v, k19: v, k20: "
	 "v, k21: v, k22: v, k23: v, k24: v, k25: v, k26: v, k27: v, k28: v, k29: v, k30: v, k31: "
	 "v, k32: v, k33: v, k34: v, k35: v, k36: v, k37: v, k38: v, k39: v, k7: again}\n",
	 "bad.yaml:2:322: duplicate key \"k7\""},
	{"kind: [x]\n", "bad.yaml:1:7: kind is not a scalar"},
	{"a: [b\n", "bad.yaml:2:1: did not find expected ',' or ']' while parsing a flow sequence"},
	{"kind: NetworkPolicy\nmetadata: {name: p}\n",
	 "bad.yaml:1:1: NetworkPolicy without apiVersion"},
	{"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n",
	 "bad.yaml:1:1: NetworkPolicy without metadata"},
	{"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {namespace: shop}\n",
	 "bad.yaml:3:11: NetworkPolicy without metadata.name"},
	{"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: \"a\\nb\"}\n",
	 "bad.yaml:3:18: invalid NetworkPolicy name \"a\\nb\""},
	{"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: p, namespace: "
	 "Shop}\n",
	 "bad.yaml:3:32: invalid namespace \"Shop\""},
	{HEAD "spec: [x]\n", "bad.yaml:4:7: spec is not a mapping in networkpolicy shop/p"},
	{HEAD "spec: {podselector: {}}\n",
	 "bad.yaml:4:8: unknown field \"podselector\" in spec in networkpolicy shop/p"},
	{HEAD "spec: {podSelector: []}\n",
	 "bad.yaml:4:21: podSelector is not a mapping in networkpolicy shop/p"},
	{HEAD "spec: {podSelector: {matchLabel: {a: b}}}\n",
	 "bad.yaml:4:22: unknown field \"matchLabel\" in a label selector in networkpolicy shop/p"},
	{HEAD "spec: {podSelector: {matchLabels: {\"a b\": c}}}\n",
	 "bad.yaml:4:36: invalid label key \"a b\" in networkpolicy shop/p"},
	{HEAD "spec: {podSelector: {matchLabels: {a: \"b;c\"}}}\n",
	 "bad.yaml:4:39: invalid label value \"b;c\" in networkpolicy shop/p"},
	{HEAD "spec: {podSelector: {matchExpressions: [{key: a, operator: Has}]}}\n",
	 "bad.yaml:4:60: invalid operator \"Has\" (In, NotIn, Exists or DoesNotExist) in "
	 "networkpolicy shop/p"},
	{HEAD "spec: {podSelector: {matchExpressions: [{key: a, operator: In}]}}\n",
	 "bad.yaml:4:60: operator In needs values in networkpolicy shop/p"},
	{HEAD "spec: {podSelector: {matchExpressions: [{key: a, operator: NotIn, values: []}]}}\n",
	 "bad.yaml:4:60: operator NotIn needs values in networkpolicy shop/p"},
	{HEAD
	 "spec: {podSelector: {matchExpressions: [{key: a, operator: Exists, values: [b]}]}}\n",
	 "bad.yaml:4:76: operator Exists takes no values in networkpolicy shop/p"},
	{HEAD "spec: {podSelector: {matchExpressions: [{operator: Exists}]}}\n",
	 "bad.yaml:4:41: match expression without key in networkpolicy shop/p"},
	{HEAD "spec: {policyTypes: [Both]}\n",
	 "bad.yaml:4:22: invalid policyType \"Both\" (Ingress or Egress) in networkpolicy shop/p"},
	{HEAD "spec: {ingress: {from: []}}\n",
	 "bad.yaml:4:17: ingress is not a sequence in networkpolicy shop/p"},
	{HEAD "spec: {ingress: [{to: []}]}\n",
	 "bad.yaml:4:19: unknown field \"to\" in an ingress rule in networkpolicy shop/p"},
	{HEAD "spec: {egress: [{from: []}]}\n",
	 "bad.yaml:4:18: unknown field \"from\" in an egress rule in networkpolicy shop/p"},
	{HEAD "spec: {ingress: [{from: [{}]}]}\n",
	 "bad.yaml:4:26: peer without podSelector, namespaceSelector or ipBlock in networkpolicy "
	 "shop/p"},
	{HEAD "spec: {ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/8}, podSelector: {}}]}]}\n",
	 "bad.yaml:4:36: ipBlock cannot be combined with podSelector or namespaceSelector in "
	 "networkpolicy shop/p"},
	{HEAD "spec: {ingress: [{from: [{ipBlock: {cidr: 10.0.0.0}}]}]}\n",
	 "bad.yaml:4:43: invalid cidr \"10.0.0.0\" in networkpolicy shop/p"},
	{HEAD "spec: {ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/33}}]}]}\n",
	 "bad.yaml:4:43: invalid cidr \"10.0.0.0/33\" in networkpolicy shop/p"},
	{HEAD "spec: {ingress: [{from: [{ipBlock: {except: [10.1.0.0/16]}}]}]}\n",
	 "bad.yaml:4:36: ipBlock without cidr in networkpolicy shop/p"},
	{HEAD
	 "spec: {ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/16, except: [10.1.0.0/24]}}]}]}\n",
	 "bad.yaml:4:65: except \"10.1.0.0/24\" is not a strict subset of cidr in networkpolicy "
	 "shop/p"},
	{HEAD
	 "spec: {ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/16, except: [10.0.0.0/16]}}]}]}\n",
	 "bad.yaml:4:65: except \"10.0.0.0/16\" is not a strict subset of cidr in networkpolicy "
	 "shop/p"},
	{HEAD "spec: {ingress: [{ports: [{port: 0}]}]}\n",
	 "bad.yaml:4:34: invalid port \"0\" (1-65535) in networkpolicy shop/p"},
	{HEAD "spec: {ingress: [{ports: [{port: 65536}]}]}\n",
	 "bad.yaml:4:34: invalid port \"65536\" (1-65535) in networkpolicy shop/p"},
	{HEAD "spec: {ingress: [{ports: [{port: \"80\"}]}]}\n",
	 "bad.yaml:4:34: invalid port name \"80\" in networkpolicy shop/p"},
	{HEAD "spec: {ingress: [{ports: [{port: HTTP}]}]}\n",
	 "bad.yaml:4:34: invalid port name \"HTTP\" in networkpolicy shop/p"},
	{HEAD "spec: {ingress: [{ports: [{port: 80, endPort: 79}]}]}\n",
	 "bad.yaml:4:47: endPort 79 is below port 80 in networkpolicy shop/p"},
	{HEAD "spec: {ingress: [{ports: [{port: http, endPort: 90}]}]}\n",
	 "bad.yaml:4:49: endPort needs a numeric port, not a name in networkpolicy shop/p"},
	{HEAD "spec: {ingress: [{ports: [{endPort: 90}]}]}\n",
	 "bad.yaml:4:37: endPort without port in networkpolicy shop/p"},
	{HEAD "spec: {ingress: [{ports: [{protocol: ICMP}]}]}\n",
	 "bad.yaml:4:38: invalid protocol \"ICMP\" (TCP, UDP or SCTP) in networkpolicy shop/p"},
	{HEAD "spec: {ingress: [{ports: [{port: 80, portRange: 90}]}]}\n",
	 "bad.yaml:4:38: unknown field \"portRange\" in a port in networkpolicy shop/p"},
	{"a: &x b\n", "bad.yaml:1:4: YAML anchors are not allowed in a policy file"},
	/* a good policy before a bad one: the file fails whole */
	{NP("good", "shop", "{}") "---\n" HEAD "spec: {policyTypes: [Sideways]}\n",
	 "bad.yaml:10:22: invalid policyType \"Sideways\" (Ingress or Egress) in networkpolicy "
	 "shop/p"},
	/* a hostile name is escaped and cut, and the message stays one line */
	{"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: \"x\\n\\u001b[2J"
	 "yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy\"}\n",
	 "bad.yaml:3:18: invalid NetworkPolicy name "
	 "\"x\\n\\x1b[2Jyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy...\""},
};

START_TEST(test_bad)
{
	struct policy_set *s = policy_set_new();
	struct util_err err = {""};
	int r;

	/* what was loaded before stays exactly as it was */
	r = policy_set_load_buffer(s, "good.yaml", CART_FROM_FE, strlen(CART_FROM_FE), &err);
	ck_assert_int_eq(r, 0);
	r = policy_set_load_buffer(s, "bad.yaml", bad_cases[_i].text, strlen(bad_cases[_i].text),
				   &err);
	ck_assert_int_lt(r, 0);
	ck_assert_str_eq(err.msg, bad_cases[_i].want);
	ck_assert_ptr_null(strchr(err.msg, '\n'));
	ck_assert_uint_eq(policy_set_count(s), 1);
	ck_assert_str_eq(policy_set_name(s, 0), "cart");
	policy_set_free(s);
}
END_TEST

/* Files: the path, line and column; a missing file; a directory. */
static const struct {
	const char *path;
	int r;
	const char *want_prefix;
} file_cases[] = {
	{POLICY_DIR "bad-port.yaml", -EINVAL,
	 POLICY_DIR "bad-port.yaml:13:13: invalid port name \"8080\""},
	{POLICY_DIR "missing.yaml", -ENOENT, POLICY_DIR "missing.yaml: No such file"},
	{POLICY_DIR, -EISDIR, POLICY_DIR ": is a directory"},
	{POLICY_DIR "kinds.json", 0, NULL},
};

START_TEST(test_file)
{
	struct policy_set *s = policy_set_new();
	struct util_err err = {""};
	int r;

	r = policy_set_load(s, file_cases[_i].path, &err);
	ck_assert_int_eq(r, file_cases[_i].r);
	if (file_cases[_i].want_prefix)
		ck_assert_msg(strncmp(err.msg, file_cases[_i].want_prefix,
				      strlen(file_cases[_i].want_prefix)) == 0,
			      "%s", err.msg);
	else
		ck_assert_uint_eq(policy_set_count(s), 2);
	policy_set_free(s);
}
END_TEST

/* ---- Port sets ---------------------------------------------------------------------------- */

struct ports_op {
	char op; /* 'a' add, 'r' remove, 'A' add all, 0 end */
	uint8_t proto;
	uint16_t lo, hi;
};

static const struct {
	struct ports_op ops[6];
	struct ports_op with[4]; /* when set, intersected with this set */
	const char *want;
} ports_cases[] = {
	{{{0}}, {{0}}, "none"},
	{{{'a', TCP, 80, 80}}, {{0}}, "TCP 80"},
	{{{'a', TCP, 80, 80}, {'a', TCP, 81, 90}, {'a', TCP, 70, 79}}, {{0}}, "TCP 70-90"},
	{{{'a', TCP, 80, 80}, {'a', TCP, 82, 82}, {'a', UDP, 53, 53}}, {{0}}, "TCP 80,82; UDP 53"},
	{{{'a', TCP, 100, 200}, {'a', TCP, 1, 50}, {'a', TCP, 40, 120}}, {{0}}, "TCP 1-200"},
	{{{'a', TCP, 1, 65535}, {'a', SCTP, 9, 9}}, {{0}}, "TCP all; SCTP 9"},
	{{{'A', 0, 0, 0}}, {{0}}, "all traffic"},
	{{{'A', 0, 0, 0}, {'r', TCP, 8080, 0}},
	 {{0}},
	 "TCP 1-8079,8081-65535; UDP all; SCTP all; other protocols"},
	{{{'A', 0, 0, 0}, {'r', ICMP, 0, 0}}, {{0}}, "TCP all; UDP all; SCTP all"},
	{{{'a', ICMP, 0, 0}}, {{0}}, "other protocols"},
	{{{'a', TCP, 10, 20}, {'r', TCP, 10, 0}, {'r', TCP, 20, 0}, {'r', TCP, 15, 0}},
	 {{0}},
	 "TCP 11-14,16-19"},
	{{{'a', TCP, 5, 5}, {'r', TCP, 5, 0}}, {{0}}, "none"},
	{{{'a', TCP, 10, 20}, {'a', TCP, 30, 40}}, {{'a', TCP, 15, 35}}, "TCP 15-20,30-35"},
	{{{'A', 0, 0, 0}}, {{'a', UDP, 53, 53}}, "UDP 53"},
	{{{'a', TCP, 10, 20}}, {{'a', UDP, 10, 20}}, "none"},
	{{{'a', TCP, 1, 65535}}, {{'a', TCP, 65535, 65535}, {'a', TCP, 1, 1}}, "TCP 1,65535"},
};

static struct policy_ports *ports_build(const struct ports_op *ops, size_t n)
{
	struct policy_ports *p = policy_ports_new();

	for (size_t i = 0; i < n && ops[i].op; i++) {
		if (ops[i].op == 'a')
			policy_ports_add(p, ops[i].proto, ops[i].lo, ops[i].hi);
		else if (ops[i].op == 'r')
			policy_ports_remove(p, ops[i].proto, ops[i].lo);
		else
			policy_ports_add_all(p);
	}
	return p;
}

START_TEST(test_ports)
{
	struct policy_ports *p =
		ports_build(ports_cases[_i].ops, UTIL_ARRAY_SIZE(ports_cases[_i].ops));
	struct policy_ports *copy;
	char *text;

	if (ports_cases[_i].with[0].op) {
		struct policy_ports *q =
			ports_build(ports_cases[_i].with, UTIL_ARRAY_SIZE(ports_cases[_i].with));

		policy_ports_intersect(p, q);
		policy_ports_free(q);
	}
	text = policy_ports_format(p);
	ck_assert_str_eq(text, ports_cases[_i].want);
	ck_assert(policy_ports_empty(p) == (strcmp(ports_cases[_i].want, "none") == 0));
	free(text);
	copy = policy_ports_copy(p);
	text = policy_ports_format(copy);
	ck_assert_str_eq(text, ports_cases[_i].want);
	free(text);
	policy_ports_free(copy);
	policy_ports_free(p);
}
END_TEST

/* ---- What the inventory gives selectors --------------------------------------------------- */

static const struct {
	const char *ns, *key, *want;
} ns_label_cases[] = {
	{"shop", "team", "web"},
	{"shop", "kubernetes.io/metadata.name", "shop"},
	{"dev", "kubernetes.io/metadata.name", "dev"}, /* not in its object: Kubernetes sets it */
	{"dev", "env", "dev"},
	{"dev", "team", NULL},
	{"kube-system", "kubernetes.io/metadata.name", "kube-system"}, /* no object at all */
	{"kube-system", "env", NULL},
	{"legacy", "env", NULL}, /* its pod's label is not the namespace's */
};

START_TEST(test_namespace_label)
{
	struct fixture fx;
	const char *got;

	fixture_init(&fx);
	got = inventory_namespace_label(fx.inv, ns_label_cases[_i].ns, ns_label_cases[_i].key);
	if (ns_label_cases[_i].want)
		ck_assert_pstr_eq(got, ns_label_cases[_i].want);
	else
		ck_assert_ptr_null(got);
	fixture_clear(&fx);
}
END_TEST

static const struct {
	const char *id, *name;
	uint8_t proto;
	size_t n;
	uint16_t want[2];
} named_port_cases[] = {
	{CART, "http", TCP, 1, {8081}},	 {FE, "http", TCP, 1, {8080}},
	{FE, "http", UDP, 0, {0}},	 {API, "https", TCP, 2, {8443, 9443}},
	{DNS, "dns", UDP, 1, {53}},	 {DNS, "dns", TCP, 0, {0}},
	{REDIS, "http", TCP, 0, {0}},	 {"k8s:shop/deployment/nothing", "http", TCP, 0, {0}},
	{FE, "metrics", TCP, 1, {9100}},
};

START_TEST(test_named_port)
{
	struct fixture fx;
	uint16_t got[4] = {0};
	size_t n;

	fixture_init(&fx);
	n = inventory_named_port(fx.inv, named_port_cases[_i].id, named_port_cases[_i].name,
				 named_port_cases[_i].proto, got, UTIL_ARRAY_SIZE(got));
	ck_assert_uint_eq(n, named_port_cases[_i].n);
	for (size_t i = 0; i < n; i++)
		ck_assert_uint_eq(got[i], named_port_cases[_i].want[i]);
	fixture_clear(&fx);
}
END_TEST

/* ---- Verifying a graph -------------------------------------------------------------------- */

struct edge_spec {
	const char *client, *server;
	uint8_t proto;
	uint16_t port;
};

/* A small world: four workloads, the edges observed among them. */
static const char *const verify_workloads[] = {FE, CART, EXT7, NODE};
static const struct edge_spec verify_edges[] = {
	{FE, CART, TCP, 8081},
	{EXT7, FE, TCP, 8080},
	{NODE, FE, TCP, 8080},
	{NODE, EXT7, TCP, 22}, /* no pod on either end: not the policies' business */
};
/* Frontend: ingress from the outside peer and the node, egress to cart; cart: ingress from web. */
#define FE_POLICY(in_ports, egress_to, egress_ports)                                               \
	NP("fe", "shop",                                                                           \
	   "{podSelector: {matchLabels: {app: frontend}}, policyTypes: [Ingress, Egress], "        \
	   "ingress: [{from: [{ipBlock: {cidr: 203.0.113.7/32}}, {ipBlock: {cidr: "                \
	   "172.18.0.2/32}}], ports: [" in_ports "]}], egress: [{to: [" egress_to                  \
	   "], ports: [" egress_ports "]}]}")
#define CART_POLICY(from)                                                                          \
	NP("cart", "shop",                                                                         \
	   "{podSelector: {matchLabels: {app: cart}}, policyTypes: [Ingress, Egress], ingress: "   \
	   "[{from: [{podSelector: {matchLabels: {tier: web}}}]" from "}]}")
#define TO_CART	 "{podSelector: {matchLabels: {app: cart}}}"
#define EXACT_FE FE_POLICY("{port: http}", TO_CART, "{port: 8081}")
#define EXACT	 EXACT_FE CART_POLICY(", ports: [{port: 8081}]")

static const struct {
	const char *what, *policies;
	size_t governed, breaks, excess, unlocked;
	const char *first_break;  /* "CLIENT SERVER PORT denied policies" */
	const char *first_excess; /* "CLIENT SERVER seen ports" */
} verify_cases[] = {
	{"exact policies", EXACT, 3, 0, 0, 0, NULL, NULL},
	/* nothing isolates either pod: both are unlocked, and their pairs are not excess each */
	{"no policies: both pods unlocked", NOTHING, 3, 0, 0, 2, NULL, NULL},
	/* only the frontend is locked: what cart and the outside may do is no policy's grant */
	{"one side locked", EXACT_FE, 3, 0, 0, 1, NULL, NULL},
	{"a changed port breaks",
	 FE_POLICY("{port: 8080}", TO_CART, "{port: 9000}") CART_POLICY(", ports: [{port: 8081}]"),
	 3, 1, 0, 0, FE " " CART " 8081 1 egress shop/fe", NULL},
	/* the node's probe to frontend still goes through */
	{"both sides deny", DENY_BOTH_SHOP, 3, 2, 0, 0, EXT7 " " FE " 8080 2 ingress shop/deny-all",
	 NULL},
	{"two policies isolate", DENY_BOTH_SHOP NP("x", "shop", "{podSelector: {}}"), 3, 2, 0, 0,
	 EXT7 " " FE " 8080 2 ingress shop/deny-all,shop/x", NULL},
	{"a widened peer is excess",
	 FE_POLICY("{port: http}", TO_CART ", {ipBlock: {cidr: 0.0.0.0/0}}", "{port: 8081}")
		 CART_POLICY(", ports: [{port: 8081}]"),
	 3, 0, 2, 0, NULL, FE " " EXT7 " no TCP 8081"},
	{"a widened port range on an observed pair",
	 FE_POLICY("{port: http}", TO_CART, "{port: 8000, endPort: 8100}") CART_POLICY(""), 3, 0, 1,
	 0, NULL, FE " " CART " yes TCP 8000-8080,8082-8100"},
	/*
	 * Only the server is isolated, for ingress: what it lets in from a client nothing isolates
	 * is excess all the same, pair by pair, though that client has no edge to it.
	 */
	{"a server lets in a peer that never came",
	 NP("cart", "shop",
	    "{podSelector: {matchLabels: {app: cart}}, policyTypes: [Ingress], ingress: [{from: "
	    "[{podSelector: {matchLabels: {tier: web}}}, {ipBlock: {cidr: 203.0.113.0/24}}], "
	    "ports: [{port: 8081}]}]}"),
	 3, 0, 1, 1, NULL, EXT7 " " CART " no TCP 8081"},
	{"a server lets everyone in",
	 NP("cart", "shop",
	    "{podSelector: {matchLabels: {app: cart}}, policyTypes: [Ingress], ingress: [{ports: "
	    "[{port: 8082}]}]}"),
	 3, 1, 3, 1, FE " " CART " 8081 2 ingress shop/cart", EXT7 " " CART " no TCP 8082"},
};

/* Everything a report says, as text: two reports are the same when their texts are. */
static char *report_text(const struct policy_report *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(f);
	fprintf(f, "governed %zu\n", policy_report_governed(r));
	for (size_t i = 0; i < policy_report_unlocked_count(r); i++)
		fprintf(f, "unlocked %s\n", graph_workload_id(policy_report_unlocked(r, i)));
	for (size_t i = 0; i < policy_report_unknown_count(r); i++) {
		const struct graph_edge *e = policy_report_unknown_edge(r, i);

		fprintf(f, "unknown %s %s %u\n", graph_workload_id(graph_edge_client(e)),
			graph_workload_id(graph_edge_server(e)), (unsigned)graph_edge_port(e));
	}
	for (size_t i = 0; i < policy_report_break_count(r); i++) {
		const struct graph_edge *e = policy_report_break_edge(r, i);

		fprintf(f, "break %s %s %u %u %s\n", graph_workload_id(graph_edge_client(e)),
			graph_workload_id(graph_edge_server(e)), (unsigned)graph_edge_port(e),
			policy_report_break_denied(r, i), policy_report_break_policies(r, i));
	}
	for (size_t i = 0; i < policy_report_excess_count(r); i++) {
		char *ports = policy_ports_format(policy_report_excess_ports(r, i));

		fprintf(f, "excess %s %s %d %s\n",
			graph_workload_id(policy_report_excess_client(r, i)),
			graph_workload_id(policy_report_excess_server(r, i)),
			policy_report_excess_observed(r, i), ports);
		free(ports);
	}
	fclose(f);
	return buf;
}

/* verify judges only the pairs that can say something: judging every pair says the same. */
static void assert_every_pair_agrees(const struct policy_set *s, const struct graph *g,
				     const struct inventory *inv, const struct policy_scope *scope,
				     const struct policy_report *r)
{
	struct policy_report *all;
	char *want, *got;

	pol_verify_set_every_pair(true);
	all = policy_verify(s, g, inv, scope);
	pol_verify_set_every_pair(false);
	want = report_text(all);
	got = report_text(r);
	ck_assert_str_eq(got, want);
	free(want);
	free(got);
	policy_report_free(all);
}

START_TEST(test_verify)
{
	struct graph *g = graph_new();
	struct policy_report *r;
	struct policy_set *s;
	struct fixture fx;
	char buf[400];

	fixture_init(&fx);
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(verify_workloads); i++)
		(void)graph_add_workload(g, workload(&fx, verify_workloads[i]));
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(verify_edges); i++)
		graph_add_edge(g, graph_find_workload(g, verify_edges[i].client),
			       graph_find_workload(g, verify_edges[i].server),
			       verify_edges[i].proto, verify_edges[i].port, (uint64_t)i + 1,
			       1000000000ULL, 2000000000ULL);
	s = load_text(verify_cases[_i].policies);
	r = policy_verify(s, g, fx.inv, NULL);
	assert_every_pair_agrees(s, g, fx.inv, NULL, r);
	ck_assert_uint_eq(policy_report_governed(r), verify_cases[_i].governed);
	ck_assert_uint_eq(policy_report_break_count(r), verify_cases[_i].breaks);
	ck_assert_uint_eq(policy_report_excess_count(r), verify_cases[_i].excess);
	/* the pods no policy isolates */
	ck_assert_uint_eq(policy_report_unlocked_count(r), verify_cases[_i].unlocked);
	if (verify_cases[_i].first_break) {
		const struct graph_edge *e = policy_report_break_edge(r, 0);

		snprintf(buf, sizeof(buf), "%s %s %u %u %s",
			 graph_workload_id(graph_edge_client(e)),
			 graph_workload_id(graph_edge_server(e)), (unsigned)graph_edge_port(e),
			 policy_report_break_denied(r, 0), policy_report_break_policies(r, 0));
		ck_assert_str_eq(buf, verify_cases[_i].first_break);
	}
	if (verify_cases[_i].first_excess) {
		char *ports = policy_ports_format(policy_report_excess_ports(r, 0));

		snprintf(buf, sizeof(buf), "%s %s %s %s",
			 graph_workload_id(policy_report_excess_client(r, 0)),
			 graph_workload_id(policy_report_excess_server(r, 0)),
			 policy_report_excess_observed(r, 0) ? "yes" : "no", ports);
		free(ports);
		ck_assert_str_eq(buf, verify_cases[_i].first_excess);
	}
	policy_report_free(r);
	policy_set_free(s);
	graph_free(g);
	fixture_clear(&fx);
}
END_TEST

/*
 * A dual-stack cluster: Prometheus scrapes a node that has an IPv4 and an IPv6 address (either
 * may be used), and a pod that came and went (an unknown peer) called Prometheus.
 */
#define PROM_POLICY(egress)                                                                        \
	NP("flowlock-prometheus", "monitoring",                                                    \
	   "{podSelector: {matchLabels: {app: prometheus}}, policyTypes: [Ingress, Egress], "      \
	   "egress: [" egress "]}")
#define TO_V4(ports) "{to: [{ipBlock: {cidr: 172.18.0.4/32}}], ports: [" ports "]}"
#define TO_V6(ports) "{to: [{ipBlock: {cidr: 'fc00:f853:ccd:e793::4/128'}}], ports: [" ports "]}"
#define P9100	     "{port: 9100}"

static const struct {
	const char *what, *policies;
	const char *include, *exclude;
	size_t governed, breaks, excess, unknowns;
	const char *first_excess; /* "CLIENT SERVER seen ports" */
} dual_cases[] = {
	/* what emit writes: one ipBlock per address, each with the edge's ports */
	{"an ipBlock for each address", PROM_POLICY(TO_V4(P9100) ", " TO_V6(P9100)), NULL, NULL, 1,
	 0, 0, 1, NULL},
	{"both addresses in one rule",
	 PROM_POLICY("{to: [{ipBlock: {cidr: 172.18.0.4/32}}, {ipBlock: {cidr: "
		     "'fc00:f853:ccd:e793::4/128'}}], "
		     "ports: [" P9100 "]}"),
	 NULL, NULL, 1, 0, 0, 1, NULL},
	/* a scrape over IPv6 would be refused */
	{"the IPv4 address only", PROM_POLICY(TO_V4(P9100)), NULL, NULL, 1, 1, 0, 1, NULL},
	{"the IPv6 address only", PROM_POLICY(TO_V6(P9100)), NULL, NULL, 1, 1, 0, 1, NULL},
	/* what one address may do beyond what was seen is excess */
	{"more on one address", PROM_POLICY(TO_V4(P9100) ", " TO_V6(P9100 ", {port: 22}")), NULL,
	 NULL, 1, 0, 1, 1, "k8s:monitoring/statefulset/prometheus node:kind-worker2 yes TCP 22"},
	/* an ipBlock on the pod range never matches the unknown peer: it is listed apart */
	{"an ipBlock on the pod range",
	 PROM_POLICY(TO_V4(P9100) ", " TO_V6(P9100) ", {to: [{ipBlock: {cidr: 10.244.0.0/16}}]}"),
	 NULL, NULL, 1, 0, 0, 1, NULL},
	{"the namespace asked for", PROM_POLICY(TO_V4(P9100) ", " TO_V6(P9100)), "monitoring", NULL,
	 1, 0, 0, 1, NULL},
	{"the namespace left out", PROM_POLICY(TO_V4(P9100)), NULL, "monitor*", 0, 0, 0, 0, NULL},
	{"another namespace asked for", PROM_POLICY(TO_V4(P9100)), "shop", NULL, 0, 0, 0, 0, NULL},
};

START_TEST(test_verify_dual)
{
	struct graph *g = graph_new();
	struct graph_workload *prom =
		graph_workload_new(GRAPH_KIND_K8S, "monitoring", "StatefulSet", "prometheus");
	struct graph_workload *node = graph_workload_new(GRAPH_KIND_NODE, "", "", "kind-worker2");
	struct graph_workload *gone =
		graph_workload_new(GRAPH_KIND_UNKNOWN, "", "", "10.244.1.0/24");
	const char *include[1] = {dual_cases[_i].include}, *exclude[1] = {dual_cases[_i].exclude};
	struct policy_scope scope = {include, include[0] != NULL, exclude, exclude[0] != NULL};
	struct policy_report *r;
	struct policy_set *s;
	char buf[400];

	graph_workload_set_label(prom, "app", "prometheus");
	graph_workload_add_address(node, TEST_PREFIX("172.18.0.4/32"));
	graph_workload_add_address(node, TEST_PREFIX("fc00:f853:ccd:e793::4/128"));
	graph_workload_add_address(gone, TEST_PREFIX("10.244.1.0/24"));
	graph_add_edge(g, graph_add_workload(g, prom), graph_add_workload(g, node), TCP, 9100, 6, 1,
		       2);
	graph_add_edge(g, graph_add_workload(g, gone), prom, TCP, 9090, 1, 1, 2);
	s = load_text(dual_cases[_i].policies);
	r = policy_verify(s, g, NULL, &scope);
	assert_every_pair_agrees(s, g, NULL, &scope, r);
	ck_assert_msg(policy_report_governed(r) == dual_cases[_i].governed, "%s: %zu governed",
		      dual_cases[_i].what, policy_report_governed(r));
	ck_assert_msg(policy_report_break_count(r) == dual_cases[_i].breaks, "%s: %zu breaks",
		      dual_cases[_i].what, policy_report_break_count(r));
	ck_assert_msg(policy_report_excess_count(r) == dual_cases[_i].excess, "%s: %zu excess",
		      dual_cases[_i].what, policy_report_excess_count(r));
	ck_assert_uint_eq(policy_report_unknown_count(r), dual_cases[_i].unknowns);
	if (dual_cases[_i].unknowns)
		ck_assert_ptr_eq(graph_edge_client(policy_report_unknown_edge(r, 0)), gone);
	if (dual_cases[_i].first_excess) {
		char *ports = policy_ports_format(policy_report_excess_ports(r, 0));

		snprintf(buf, sizeof(buf), "%s %s %s %s",
			 graph_workload_id(policy_report_excess_client(r, 0)),
			 graph_workload_id(policy_report_excess_server(r, 0)),
			 policy_report_excess_observed(r, 0) ? "yes" : "no", ports);
		free(ports);
		ck_assert_str_eq(buf, dual_cases[_i].first_excess);
	}
	/* the same verdict for the edge on its own, where it is reported on */
	if (dual_cases[_i].governed)
		ck_assert_uint_eq(policy_check(s, NULL, prom, node, TCP, 9100) != 0,
				  dual_cases[_i].breaks > 0);
	/* a policy isolating what is not reported on is said (verify warns) */
	ck_assert_uint_eq(policy_scope_hidden(s, g, &scope), dual_cases[_i].governed ? 0 : 1);
	policy_report_free(r);
	policy_set_free(s);
	graph_workload_unref(prom);
	graph_workload_unref(node);
	graph_workload_unref(gone);
	graph_free(g);
}
END_TEST

/*
 * A generated cluster, one per seed: pods in three namespaces, a dual-stack node, outside peers,
 * random edges, and random policies of every shape a rule can take (pods, namespaces, both,
 * ipBlocks with except, no peers, no ports, ingress or egress only). Judging only the pairs that
 * can say something must give the report judging every pair gives.
 */
static uint32_t gen_next(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

/* One random peer of a rule. */
static void gen_peer(uint32_t *x, char *buf, size_t size)
{
	unsigned a = gen_next(x) % 4, b = gen_next(x) % 4;

	switch (gen_next(x) % 8) {
	case 0:
		snprintf(buf, size, "{podSelector: {matchLabels: {app: a%u}}}", a);
		break;
	case 1:
		snprintf(buf, size, "{podSelector: {matchLabels: {tier: t%u}}}", a);
		break;
	case 2:
		snprintf(buf, size,
			 "{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: n%u}}}",
			 a);
		break;
	case 3:
		snprintf(buf, size,
			 "{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: n%u}}, "
			 "podSelector: {matchLabels: {tier: t%u}}}",
			 a, b);
		break;
	case 4:
		snprintf(buf, size, "{namespaceSelector: {}}");
		break;
	case 5:
		snprintf(buf, size, "{ipBlock: {cidr: 203.0.113.0/24, except: [203.0.113.%u/32]}}",
			 a + 6);
		break;
	case 6:
		snprintf(buf, size, "{ipBlock: {cidr: 172.18.0.0/16}}");
		break;
	default:
		snprintf(buf, size,
			 "{podSelector: {matchExpressions: [{key: tier, operator: NotIn, values: "
			 "[t%u]}]}}",
			 a);
		break;
	}
}

START_TEST(test_verify_generated)
{
	uint32_t x = 2463534242u + (uint32_t)_i * 7919u;
	struct graph *g = graph_new();
	struct graph_workload *w[40];
	size_t n = 0;
	char *text = util_strdup(""), *t;
	struct policy_report *r;
	struct policy_set *s;

	for (unsigned i = 0; i < 36; i++) {
		char ns[8], name[8], app[8], tier[8];

		snprintf(ns, sizeof(ns), "n%u", i % 3);
		snprintf(name, sizeof(name), "w%u", i);
		snprintf(app, sizeof(app), "a%u", i);
		snprintf(tier, sizeof(tier), "t%u", i % 4);
		w[n] = graph_workload_new(GRAPH_KIND_K8S, ns, "Deployment", name);
		graph_workload_set_label(w[n], "app", app);
		graph_workload_set_label(w[n], "tier", tier);
		n++;
	}
	w[n] = graph_workload_new(GRAPH_KIND_NODE, "", "", "node-1");
	graph_workload_add_address(w[n], TEST_PREFIX("172.18.0.4/32"));
	graph_workload_add_address(w[n++], TEST_PREFIX("fc00::4/128"));
	w[n] = graph_workload_new(GRAPH_KIND_EXTERNAL, "", "", "203.0.113.7/32");
	graph_workload_add_address(w[n++], TEST_PREFIX("203.0.113.7/32"));
	w[n] = graph_workload_new(GRAPH_KIND_EXTERNAL, "", "", "203.0.113.0/24");
	graph_workload_add_address(w[n++], TEST_PREFIX("203.0.113.0/24"));
	w[n++] = graph_workload_new(GRAPH_KIND_UNKNOWN, "", "", "10.244.0.0/16");
	for (size_t i = 0; i < n; i++)
		(void)graph_add_workload(g, w[i]);
	for (int e = 0; e < 120; e++) {
		const struct graph_workload *c =
			graph_find_workload(g, graph_workload_id(w[gen_next(&x) % n]));
		const struct graph_workload *sv =
			graph_find_workload(g, graph_workload_id(w[gen_next(&x) % n]));

		graph_add_edge(g, c, sv, TCP, (uint16_t)(8000 + gen_next(&x) % 4), 1, 1, 2);
	}
	for (unsigned p = 0; p < 30; p++) {
		unsigned types = gen_next(&x) % 3; /* ingress, egress, both */
		char sel[64], peers[400] = "", ports[64], in[600], out[600];
		size_t np = gen_next(&x) % 4; /* 0: a rule without peers */

		if (gen_next(&x) % 5)
			snprintf(sel, sizeof(sel), "{matchLabels: {app: a%u}}", gen_next(&x) % 36);
		else
			snprintf(sel, sizeof(sel), "{}");
		for (size_t k = 0; k < np; k++) {
			char one[200];

			gen_peer(&x, one, sizeof(one));
			snprintf(peers + strlen(peers), sizeof(peers) - strlen(peers), "%s%s",
				 k ? ", " : "", one);
		}
		snprintf(ports, sizeof(ports), "%s",
			 gen_next(&x) % 3 ? "ports: [{port: 8001}, {port: 8002}]" : "");
		/* the same rule both ways: from for ingress, to for egress */
		snprintf(in, sizeof(in), ", ingress: [{%s%s%s%s%s}]", np ? "from: [" : "", peers,
			 np ? "]" : "", np && *ports ? ", " : "", ports);
		snprintf(out, sizeof(out), ", egress: [{%s%s%s%s%s}]", np ? "to: [" : "", peers,
			 np ? "]" : "", np && *ports ? ", " : "", ports);
		t = util_asprintf(
			"%s---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: "
			"{name: p%u, namespace: n%u}\nspec: {podSelector: %s, policyTypes: "
			"[%s]%s%s}\n",
			text, p, p % 3, sel,
			types == 0   ? "Ingress"
			: types == 1 ? "Egress"
				     : "Ingress, Egress",
			types != 1 ? in : "", types != 0 ? out : "");
		free(text);
		text = t;
	}
	s = load_text(text);
	r = policy_verify(s, g, NULL, NULL);
	assert_every_pair_agrees(s, g, NULL, NULL, r);
	ck_assert_uint_gt(policy_report_governed(r), 0);
	policy_report_free(r);
	policy_set_free(s);
	for (size_t i = 0; i < n; i++)
		graph_workload_unref(w[i]);
	graph_free(g);
	free(text);
}
END_TEST

static Suite *policy_suite(void)
{
	Suite *s = suite_create("policy");
	TCase *tc = tcase_create("policy");

	tcase_add_loop_test(tc, test_verdict, 0, (int)UTIL_ARRAY_SIZE(verdict_cases));
	tcase_add_loop_test(tc, test_counts, 0, (int)UTIL_ARRAY_SIZE(count_cases));
	tcase_add_loop_test(tc, test_bad, 0, (int)UTIL_ARRAY_SIZE(bad_cases));
	tcase_add_loop_test(tc, test_file, 0, (int)UTIL_ARRAY_SIZE(file_cases));
	tcase_add_loop_test(tc, test_ports, 0, (int)UTIL_ARRAY_SIZE(ports_cases));
	tcase_add_loop_test(tc, test_namespace_label, 0, (int)UTIL_ARRAY_SIZE(ns_label_cases));
	tcase_add_loop_test(tc, test_named_port, 0, (int)UTIL_ARRAY_SIZE(named_port_cases));
	tcase_add_loop_test(tc, test_verify, 0, (int)UTIL_ARRAY_SIZE(verify_cases));
	tcase_add_loop_test(tc, test_verify_dual, 0, (int)UTIL_ARRAY_SIZE(dual_cases));
	tcase_add_loop_test(tc, test_verify_generated, 0, 40);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_run(policy_suite());
}
