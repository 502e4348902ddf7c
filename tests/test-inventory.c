/* SPDX-License-Identifier: Apache-2.0 */
/* test-inventory.c - kubectl and docker inspect inventories, address resolution, attribution. */
#include "learn/learn.h"

#include <check.h>
#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tests/test-helpers.h"

#define INV_DIR TEST_DATA "/inventory/"

/* ---- File sets: what each test loads, in order --------------------------------------------- */

enum set {
	SET_K8S,      /* kubectl get pods,namespaces,services -A -o yaml */
	SET_K8S_JSON, /* the same, -o json */
	SET_K8S_NODES,
	SET_DOCKER,
	SET_REUSE_NEW_LAST, /* two docker inspects claiming one address: the later file wins */
	SET_REUSE_OLD_LAST,
	SET_MIXED,
	SET_SINGLES, /* one bare object; an API PodList whose items carry no kind */
};

static const char *const sets[][4] = {
	[SET_K8S] = {"shop-pods-services.yaml"},
	[SET_K8S_JSON] = {"shop-pods-services.json"},
	[SET_K8S_NODES] = {"shop-pods-services.yaml", "nodes.yaml"},
	[SET_DOCKER] = {"docker-inspect.json", "docker-hostnet.json"},
	[SET_REUSE_NEW_LAST] = {"docker-inspect.json", "docker-reuse.json"},
	[SET_REUSE_OLD_LAST] = {"docker-reuse.json", "docker-inspect.json"},
	[SET_MIXED] = {"shop-pods-services.json", "nodes.yaml", "docker-inspect.json"},
	[SET_SINGLES] = {"single-pod.yaml", "podlist.json"},
};

static struct inventory *load_set(enum set s)
{
	struct inventory *inv = inventory_new();

	for (size_t i = 0; i < UTIL_ARRAY_SIZE(sets[s]) && sets[s][i]; i++) {
		struct util_err err = {{0}};
		char path[512];
		int r;

		snprintf(path, sizeof(path), "%s%s", INV_DIR, sets[s][i]);
		r = inventory_load(inv, path, &err);
		ck_assert_msg(r == 0, "%s: %d %s", path, r, err.msg);
	}
	return inv;
}

static struct util_addr addr(const char *s)
{
	struct util_addr a;

	ck_assert_msg(util_addr_parse(s, &a) == 0, "bad address in a test table: %s", s);
	return a;
}

/* "k=v,k=v" of a workload's labels, in their (sorted) order. */
static void labels_str(const struct graph_workload *w, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < graph_workload_label_count(w); i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%s=%s", i ? "," : "",
				      graph_workload_label_key(w, i),
				      graph_workload_label_value(w, i));
}

static void addresses_str(const struct graph_workload *w, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < graph_workload_address_count(w); i++)
		o += (size_t)snprintf(buf + o, len - o, "%s%s", i ? "," : "",
				      graph_workload_address(w, i));
}

static const struct graph_workload *find_workload(const struct inventory *inv, const char *id)
{
	for (size_t i = 0; i < inventory_workload_count(inv); i++)
		if (strcmp(graph_workload_id(inventory_workload(inv, i)), id) == 0)
			return inventory_workload(inv, i);
	return NULL;
}

/* ---- Which workloads each file set defines, in id order ----------------------------------- */

static const struct {
	enum set set;
	const char *ids[20];
} workload_cases[] = {
	{SET_K8S,
	 {"k8s:kube-system/daemonset/fluent-bit", "k8s:kube-system/deployment/coredns",
	  "k8s:payments/cronjob/settlement", "k8s:payments/deployment/payments-api",
	  "k8s:payments/job/db-migrate", "k8s:shop/deployment/cart", "k8s:shop/deployment/frontend",
	  "k8s:shop/pod/debug", "k8s:shop/replicaset/legacy-worker", "k8s:shop/statefulset/redis",
	  "node:kind-control-plane", "node:kind-worker"}},
	{SET_K8S_JSON,
	 {"k8s:kube-system/daemonset/fluent-bit", "k8s:kube-system/deployment/coredns",
	  "k8s:payments/cronjob/settlement", "k8s:payments/deployment/payments-api",
	  "k8s:payments/job/db-migrate", "k8s:shop/deployment/cart", "k8s:shop/deployment/frontend",
	  "k8s:shop/pod/debug", "k8s:shop/replicaset/legacy-worker", "k8s:shop/statefulset/redis",
	  "node:kind-control-plane", "node:kind-worker"}},
	/* the host-network container (netdata) defines nothing */
	{SET_DOCKER, {"docker:proxy", "docker:shop/db", "docker:shop/web", "docker:toolbox"}},
	{SET_REUSE_NEW_LAST,
	 {"docker:shop/db", "docker:shop/web", "docker:toolbox", "docker:toolbox-new"}},
	{SET_MIXED,
	 {"docker:shop/db", "docker:shop/web", "docker:toolbox",
	  "k8s:kube-system/daemonset/fluent-bit", "k8s:kube-system/deployment/coredns",
	  "k8s:payments/cronjob/settlement", "k8s:payments/deployment/payments-api",
	  "k8s:payments/job/db-migrate", "k8s:shop/deployment/cart", "k8s:shop/deployment/frontend",
	  "k8s:shop/pod/debug", "k8s:shop/replicaset/legacy-worker", "k8s:shop/statefulset/redis",
	  "node:kind-control-plane", "node:kind-worker"}},
	{SET_SINGLES,
	 {"k8s:shop/deployment/checkout", "k8s:shop/statefulset/inventory",
	  "node:kind-control-plane", "node:kind-worker"}},
};

START_TEST(test_workloads)
{
	struct inventory *inv = load_set(workload_cases[_i].set);
	size_t n = 0;

	while (workload_cases[_i].ids[n])
		n++;
	ck_assert_uint_eq(inventory_workload_count(inv), n);
	for (size_t i = 0; i < n; i++)
		ck_assert_str_eq(graph_workload_id(inventory_workload(inv, i)),
				 workload_cases[_i].ids[i]);
	ck_assert_ptr_null(inventory_workload(inv, n));
	inventory_free(inv);
}
END_TEST

/* ---- Lists read item by item -------------------------------------------------------------- */

#define POD_JSON(name, ip, kind)                                                                   \
	"{" kind "\"metadata\": {\"name\": \"" name "\", \"namespace\": \"shop\", "                \
	"\"labels\": {\"app\": \"" name "\"}, \"managedFields\": [{\"manager\": \"kubelet\", "     \
	"\"fieldsV1\": {\"f:status\": {}, \"f:status\": {\"\\u0000\": 1}}}], "                     \
	"\"annotations\": {\"a\": \"x\", \"a\": \"\\u0000\"}}, "                                   \
	"\"spec\": {\"nodeName\": \"kind-worker\", \"containers\": [{\"name\": \"c\"}]}, "         \
	"\"status\": {\"phase\": \"Running\", \"podIP\": \"" ip "\"}}"
#define OWN_KIND "\"apiVersion\": \"v1\", \"kind\": \"Pod\", "

/*
 * A list is read item by item, each as soon as it ends, when its kind is known by then (the
 * list's, written first as the API server does, or the item's own, as kubectl writes it); an
 * item that cannot be read yet waits with every one after it for the list's end. Either way
 * every pod is found, and what no reader looks at (managedFields, annotations: here with
 * duplicate keys and NUL characters in them) is dropped unread.
 */
static const struct {
	const char *what, *text;
} list_cases[] = {
	{"kubectl: kind last, items with their own",
	 "{\"apiVersion\": \"v1\", \"items\": [" POD_JSON(
		 "a", "10.244.1.1",
		 OWN_KIND) ", " POD_JSON("b", "10.244.1.2",
					 OWN_KIND) "], \"kind\": \"List\", \"metadata\": {}}"},
	{"the API server: PodList first, items without kind",
	 "{\"kind\": \"PodList\", \"apiVersion\": \"v1\", \"metadata\": {}, \"items\": [" POD_JSON(
		 "a", "10.244.1.1", "") ", " POD_JSON("b", "10.244.1.2", "") "]}"},
	{"PodList last, items without kind: kept to the end",
	 "{\"apiVersion\": \"v1\", \"items\": [" POD_JSON("a", "10.244.1.1", "") ", " POD_JSON(
		 "b", "10.244.1.2", "") "], \"kind\": \"PodList\"}"},
	{"one item with its kind, one without",
	 "{\"apiVersion\": \"v1\", \"items\": [" POD_JSON(
		 "a", "10.244.1.1", OWN_KIND) ", " POD_JSON("b", "10.244.1.2",
							    "") "], \"kind\": \"PodList\"}"},
};

START_TEST(test_list_items)
{
	char *dir = test_tmpdir_new(), *path = util_asprintf("%s/pods.json", dir);
	struct inventory *inv = inventory_new();
	struct util_err err = {{0}};
	struct util_addr a = addr("10.244.1.1"), b = addr("10.244.1.2");
	const struct graph_workload *w;

	test_write_file(path, list_cases[_i].text, strlen(list_cases[_i].text));
	ck_assert_msg(inventory_load(inv, path, &err) == 0, "%s: %s", list_cases[_i].what, err.msg);
	w = inventory_resolve_client(inv, &a);
	ck_assert_ptr_nonnull(w);
	ck_assert_str_eq(graph_workload_id(w), "k8s:shop/pod/a");
	w = inventory_resolve_client(inv, &b);
	ck_assert_ptr_nonnull(w);
	ck_assert_str_eq(graph_workload_id(w), "k8s:shop/pod/b");
	inventory_free(inv);
	free(path);
	test_tmpdir_free(dir);
}
END_TEST

/*
 * A Pending pod (no pod address, only its node's) and a Running one on the same node: the
 * node's address entry is allocated on its own, the Running pod's from the pods' block, and
 * each is freed as such, on reload and at the end (ASan sees a wrong free).
 */
START_TEST(test_pending_and_running)
{
	static const char text[] =
		"apiVersion: v1\nitems:\n"
		"- apiVersion: v1\n  kind: Pod\n"
		"  metadata: {name: web-1, namespace: shop, labels: {app: web}}\n"
		"  spec: {nodeName: worker-1}\n"
		"  status: {phase: Pending, hostIP: 172.18.0.3}\n"
		"- apiVersion: v1\n  kind: Pod\n"
		"  metadata: {name: api-1, namespace: shop, labels: {app: api}}\n"
		"  spec: {nodeName: worker-1}\n"
		"  status: {phase: Running, hostIP: 172.18.0.3, podIP: 10.244.1.5}\n"
		"kind: List\n";
	char *dir = test_tmpdir_new(), *path = util_asprintf("%s/pods.yaml", dir);
	const char *paths[] = {path};
	struct inventory *inv = inventory_new();
	struct util_err err = {{0}};
	struct util_addr a = addr("172.18.0.3"), b = addr("10.244.1.5");

	test_write_file(path, text, sizeof(text) - 1);
	ck_assert_msg(inventory_load(inv, path, &err) == 0, "%s", err.msg);
	ck_assert_str_eq(graph_workload_id(inventory_resolve_client(inv, &a)), "node:worker-1");
	ck_assert_msg(inventory_reload(inv, paths, 1, &err) == 0, "%s", err.msg);
	ck_assert_str_eq(graph_workload_id(inventory_resolve_client(inv, &a)), "node:worker-1");
	ck_assert_str_eq(graph_workload_id(inventory_resolve_client(inv, &b)),
			 "k8s:shop/pod/api-1");
	inventory_free(inv);
	free(path);
	test_tmpdir_free(dir);
}
END_TEST

/* ---- Selector labels: intersection over replicas, per-pod labels dropped ------------------- */

static const struct {
	enum set set;
	const char *id;
	const char *labels;
} label_cases[] = {
	/* pod-template-hash dropped */
	{SET_K8S, "k8s:kube-system/deployment/coredns", "k8s-app=kube-dns"},
	/* controller-revision-hash and pod-template-generation dropped */
	{SET_K8S, "k8s:kube-system/daemonset/fluent-bit",
	 "app.kubernetes.io/instance=fluent-bit,app.kubernetes.io/name=fluent-bit"},
	/* canary=true is on one replica only: not in the intersection */
	{SET_K8S, "k8s:shop/deployment/frontend",
	 "app=frontend,app.kubernetes.io/part-of=shop,tier=web"},
	{SET_K8S, "k8s:shop/deployment/cart", "app=cart,app.kubernetes.io/part-of=shop"},
	/* pod-index, revision, pod-name and the topology label all dropped though shared */
	{SET_K8S, "k8s:shop/statefulset/redis", "app=redis"},
	{SET_K8S, "k8s:shop/pod/debug", "run=debug"},
	{SET_K8S, "k8s:shop/replicaset/legacy-worker", "app=legacy-worker"},
	{SET_K8S, "k8s:payments/deployment/payments-api", "app=payments-api"},
	/* job-name, controller-uid and their batch.kubernetes.io/ forms dropped */
	{SET_K8S, "k8s:payments/cronjob/settlement", "app=settlement"},
	{SET_K8S, "k8s:payments/job/db-migrate", "app=db-migrate"},
	{SET_K8S, "node:kind-worker", ""},
	{SET_K8S_JSON, "k8s:shop/deployment/frontend",
	 "app=frontend,app.kubernetes.io/part-of=shop,tier=web"},
	{SET_K8S_JSON, "k8s:shop/statefulset/redis", "app=redis"},
	{SET_DOCKER, "docker:shop/web",
	 "com.docker.compose.project=shop,com.docker.compose.service=web"},
	{SET_DOCKER, "docker:shop/db",
	 "com.docker.compose.project=shop,com.docker.compose.service=db"},
	/* plain containers keep no labels (the maintainer label is not kept) */
	{SET_DOCKER, "docker:toolbox", ""},
	{SET_DOCKER, "docker:proxy", ""},
	{SET_SINGLES, "k8s:shop/deployment/checkout", "app=checkout"},
	{SET_SINGLES, "k8s:shop/statefulset/inventory", "app=inventory"},
};

START_TEST(test_labels)
{
	struct inventory *inv = load_set(label_cases[_i].set);
	const struct graph_workload *w = find_workload(inv, label_cases[_i].id);
	char buf[512];

	ck_assert_msg(w != NULL, "%s not defined", label_cases[_i].id);
	labels_str(w, buf, sizeof(buf));
	ck_assert_str_eq(buf, label_cases[_i].labels);
	inventory_free(inv);
}
END_TEST

/* ---- Address -> workload ------------------------------------------------------------------ */

static const struct {
	enum set set;
	const char *ip;
	const char *id;
} ip_cases[] = {
	{SET_K8S, "10.244.0.2", "k8s:kube-system/deployment/coredns"},
	{SET_K8S, "10.244.0.3", "k8s:kube-system/deployment/coredns"},
	{SET_K8S, "10.244.0.5", "k8s:kube-system/daemonset/fluent-bit"},
	{SET_K8S, "10.244.1.5", "k8s:kube-system/daemonset/fluent-bit"},
	{SET_K8S, "10.244.1.10", "k8s:shop/deployment/frontend"},
	{SET_K8S, "10.244.1.11", "k8s:shop/deployment/frontend"},
	{SET_K8S, "10.244.1.20", "k8s:shop/deployment/cart"},
	{SET_K8S, "10.244.1.21", "k8s:shop/deployment/cart"},
	{SET_K8S, "fd00:10:244:1::14", "k8s:shop/deployment/cart"},
	{SET_K8S, "fd00:10:244:1::15", "k8s:shop/deployment/cart"},
	{SET_K8S, "10.244.1.30", "k8s:shop/statefulset/redis"},
	{SET_K8S, "10.244.0.30", "k8s:shop/statefulset/redis"},
	{SET_K8S, "10.244.1.50", "k8s:shop/pod/debug"},
	{SET_K8S, "10.244.0.40", "k8s:shop/replicaset/legacy-worker"},
	{SET_K8S, "10.244.1.62", "k8s:payments/job/db-migrate"},
	/* the Succeeded settlement pod listed later had this IP: it does not claim it */
	{SET_K8S, "10.244.1.60", "k8s:payments/deployment/payments-api"},
	/* hostNetwork pods and host IPs are node peers */
	{SET_K8S, "172.18.0.2", "node:kind-control-plane"},
	{SET_K8S, "172.18.0.3", "node:kind-worker"},
	/*
	 * nobody's: a free pod IP (no Node gives the pod ranges here), and inside the range that
	 * holds every ClusterIP (10.96.0.0/16) the apiserver's (no selector, no EndpointSlice) and
	 * a ClusterIP as a client: cluster addresses that match nothing are unknown peers
	 */
	{SET_K8S, "10.244.1.61", "external:10.244.1.61/32"},
	{SET_K8S, "10.96.0.1", "unknown:10.96.0.0/16"},
	{SET_K8S, "10.96.0.10", "unknown:10.96.0.0/16"},
	{SET_K8S, "fc00:f853:ccd:e793::2", "external:fc00:f853:ccd:e793::2/128"},
	{SET_K8S_JSON, "10.244.1.10", "k8s:shop/deployment/frontend"},
	{SET_K8S_JSON, "fd00:10:244:1::15", "k8s:shop/deployment/cart"},
	{SET_K8S_JSON, "10.244.1.60", "k8s:payments/deployment/payments-api"},
	{SET_K8S_JSON, "172.18.0.3", "node:kind-worker"},
	/* Node objects add their InternalIPs to the node */
	{SET_K8S_NODES, "fc00:f853:ccd:e793::2", "node:kind-control-plane"},
	{SET_K8S_NODES, "fc00:f853:ccd:e793::3", "node:kind-worker"},
	{SET_K8S_NODES, "172.18.0.2", "node:kind-control-plane"},
	{SET_DOCKER, "172.20.0.3", "docker:shop/web"},
	{SET_DOCKER, "fd00:dead:beef::3", "docker:shop/web"},
	{SET_DOCKER, "172.20.0.2", "docker:shop/db"},
	{SET_DOCKER, "172.17.0.2", "docker:toolbox"},
	{SET_DOCKER, "172.21.0.5", "docker:proxy"},
	{SET_DOCKER, "172.22.0.5", "docker:proxy"},
	{SET_DOCKER, "172.17.0.1", "external:172.17.0.1/32"},
	{SET_REUSE_NEW_LAST, "172.17.0.2", "docker:toolbox-new"},
	{SET_REUSE_OLD_LAST, "172.17.0.2", "docker:toolbox"},
	{SET_MIXED, "10.244.1.10", "k8s:shop/deployment/frontend"},
	{SET_MIXED, "172.20.0.3", "docker:shop/web"},
	{SET_MIXED, "fc00:f853:ccd:e793::3", "node:kind-worker"},
	{SET_SINGLES, "10.244.1.70", "k8s:shop/deployment/checkout"},
	{SET_SINGLES, "10.244.0.71", "k8s:shop/statefulset/inventory"},
	/* the evicted replica's address is not claimed */
	{SET_SINGLES, "10.244.1.72", "external:10.244.1.72/32"},
	{SET_SINGLES, "172.18.0.2", "node:kind-control-plane"},
};

START_TEST(test_ip)
{
	struct inventory *inv = load_set(ip_cases[_i].set);
	struct util_addr a = addr(ip_cases[_i].ip);
	struct graph_workload *w = inventory_resolve_client(inv, &a);
	struct inventory_endpoint ep[2];

	ck_assert_str_eq(graph_workload_id(w), ip_cases[_i].id);
	/* the same reference every time, externals included */
	ck_assert_ptr_eq(inventory_resolve_client(inv, &a), w);
	/* a non-Service server end is the same workload, port unchanged */
	ck_assert_uint_eq(inventory_resolve_server(inv, &a, IPPROTO_TCP, 31337, ep, 2), 1);
	ck_assert_ptr_eq(ep[0].workload, w);
	ck_assert_uint_eq(ep[0].port, 31337);
	inventory_free(inv);
}
END_TEST

/* ---- Node peers --------------------------------------------------------------------------- */

static const struct {
	enum set set;
	const char *id;
	const char *addresses;
} node_cases[] = {
	{SET_K8S, "node:kind-control-plane", "172.18.0.2/32"},
	{SET_K8S, "node:kind-worker", "172.18.0.3/32"},
	{SET_K8S_NODES, "node:kind-control-plane", "172.18.0.2/32,fc00:f853:ccd:e793::2/128"},
	{SET_K8S_NODES, "node:kind-worker", "172.18.0.3/32,fc00:f853:ccd:e793::3/128"},
	{SET_MIXED, "node:kind-worker", "172.18.0.3/32,fc00:f853:ccd:e793::3/128"},
};

START_TEST(test_nodes)
{
	struct inventory *inv = load_set(node_cases[_i].set);
	const struct graph_workload *w = find_workload(inv, node_cases[_i].id);
	char buf[512];

	ck_assert_msg(w != NULL, "%s not defined", node_cases[_i].id);
	ck_assert_int_eq(graph_workload_kind(w), GRAPH_KIND_NODE);
	ck_assert_str_eq(graph_workload_namespace(w), "");
	addresses_str(w, buf, sizeof(buf));
	ck_assert_str_eq(buf, node_cases[_i].addresses);
	inventory_free(inv);
}
END_TEST

/* ---- Service ClusterIP:port -> backends with their target ports -------------------------- */

static const struct {
	enum set set;
	const char *ip;
	uint8_t proto;
	uint16_t port;
	const char *ids[3]; /* sorted by id */
	uint16_t ports[3];
} svc_cases[] = {
	/* named targetPorts through the coredns containers' ports, per protocol */
	{SET_K8S, "10.96.0.10", IPPROTO_UDP, 53, {"k8s:kube-system/deployment/coredns"}, {53}},
	{SET_K8S, "10.96.0.10", IPPROTO_TCP, 53, {"k8s:kube-system/deployment/coredns"}, {53}},
	{SET_K8S, "10.96.0.10", IPPROTO_TCP, 9153, {"k8s:kube-system/deployment/coredns"}, {9153}},
	/* no such Service port: the ClusterIP is nobody's */
	{SET_K8S, "10.96.0.10", IPPROTO_UDP, 9153, {"unknown:10.96.0.0/16"}, {9153}},
	{SET_K8S, "10.96.100.10", IPPROTO_TCP, 80, {"k8s:shop/deployment/frontend"}, {8080}},
	/* numeric targetPort, dual-stack ClusterIPs */
	{SET_K8S, "10.96.100.20", IPPROTO_TCP, 80, {"k8s:shop/deployment/cart"}, {7070}},
	{SET_K8S, "fd00:10:96::64:14", IPPROTO_TCP, 80, {"k8s:shop/deployment/cart"}, {7070}},
	/* no targetPort: the port itself; the selector picks redis-0 only */
	{SET_K8S, "10.96.100.30", IPPROTO_TCP, 6379, {"k8s:shop/statefulset/redis"}, {6379}},
	/* one Service, two workloads, one named port resolving differently in each */
	{SET_K8S,
	 "10.96.100.40",
	 IPPROTO_TCP,
	 9100,
	 {"k8s:shop/deployment/cart", "k8s:shop/deployment/frontend"},
	 {9091, 9090}},
	{SET_K8S,
	 "10.96.200.10",
	 IPPROTO_TCP,
	 443,
	 {"k8s:payments/deployment/payments-api"},
	 {8443}},
	/* selector matches nothing; no selector at all */
	{SET_K8S, "10.96.100.50", IPPROTO_TCP, 8080, {"unknown:10.96.0.0/16"}, {8080}},
	{SET_K8S, "10.96.0.1", IPPROTO_TCP, 443, {"unknown:10.96.0.0/16"}, {443}},
	{SET_K8S_JSON, "10.96.0.10", IPPROTO_UDP, 53, {"k8s:kube-system/deployment/coredns"}, {53}},
	{SET_K8S_JSON,
	 "10.96.100.40",
	 IPPROTO_TCP,
	 9100,
	 {"k8s:shop/deployment/cart", "k8s:shop/deployment/frontend"},
	 {9091, 9090}},
	{SET_K8S_JSON, "fd00:10:96::64:14", IPPROTO_TCP, 80, {"k8s:shop/deployment/cart"}, {7070}},
};

START_TEST(test_service)
{
	struct inventory *inv = load_set(svc_cases[_i].set);
	struct util_addr a = addr(svc_cases[_i].ip);
	struct inventory_endpoint ep[4], one;
	size_t n = 0, got;

	while (n < 3 && svc_cases[_i].ids[n])
		n++;
	got = inventory_resolve_server(inv, &a, svc_cases[_i].proto, svc_cases[_i].port, ep, 4);
	ck_assert_uint_eq(got, n);
	for (size_t i = 0; i < n; i++) {
		ck_assert_str_eq(graph_workload_id(ep[i].workload), svc_cases[_i].ids[i]);
		ck_assert_uint_eq(ep[i].port, svc_cases[_i].ports[i]);
	}
	/* with room for one: the count is still the whole, the first one is filled */
	got = inventory_resolve_server(inv, &a, svc_cases[_i].proto, svc_cases[_i].port, &one, 1);
	ck_assert_uint_eq(got, n);
	ck_assert_str_eq(graph_workload_id(one.workload), svc_cases[_i].ids[0]);
	inventory_free(inv);
}
END_TEST

/* ---- External peers aggregated to a prefix ------------------------------------------------ */

static const struct {
	unsigned v4, v6;
	const char *ip;
	const char *id;
} ext_cases[] = {
	{32, 128, "203.0.113.7", "external:203.0.113.7/32"},
	{24, 128, "203.0.113.7", "external:203.0.113.0/24"},
	{20, 128, "203.0.113.7", "external:203.0.112.0/20"},
	{0, 128, "203.0.113.7", "external:0.0.0.0/0"},
	{32, 128, "2001:db8:1:2::7", "external:2001:db8:1:2::7/128"},
	{32, 64, "2001:db8:1:2:aa:bb:cc:7", "external:2001:db8:1:2::/64"},
	{32, 56, "2001:db8:1:2ff::7", "external:2001:db8:1:200::/56"},
	/* the prefix only applies to addresses the inventory does not own */
	{24, 64, "10.244.1.10", "k8s:shop/deployment/frontend"},
	{24, 64, "fd00:10:244:1::14", "k8s:shop/deployment/cart"},
};

START_TEST(test_external)
{
	struct inventory *inv = load_set(SET_K8S);
	struct util_addr a = addr(ext_cases[_i].ip);
	struct graph_workload *w;

	ck_assert_int_eq(inventory_set_external_prefix(inv, ext_cases[_i].v4, ext_cases[_i].v6), 0);
	w = inventory_resolve_client(inv, &a);
	ck_assert_str_eq(graph_workload_id(w), ext_cases[_i].id);
	ck_assert_ptr_eq(inventory_resolve_client(inv, &a), w);
	if (graph_workload_kind(w) == GRAPH_KIND_EXTERNAL) {
		ck_assert_uint_eq(graph_workload_address_count(w), 1);
		ck_assert_str_eq(graph_workload_address(w, 0),
				 ext_cases[_i].id + strlen("external:"));
	}
	/* externals are not inventory workloads */
	ck_assert_uint_eq(inventory_workload_count(inv), 12);
	inventory_free(inv);
}
END_TEST

/*
 * A flood of forged sources: each is an outside peer of its own, and the inventory keeps only
 * the last two generations of them (struct inv_prefix_peers). What a lookup returned stays
 * whole through many more lookups (under ASan a peer freed too soon is a fault), the same
 * address gives the same peer while its generation lasts, and a peer made again has its name.
 */
START_TEST(test_external_flood)
{
	struct inventory *inv = inventory_new();
	struct graph_workload *prev = NULL, *w;
	char want[64];

	for (uint32_t i = 0; i < 70000; i++) { /* past two turns of a generation */
		struct util_addr a = {.family = AF_INET};

		a.bytes[0] = 203;
		a.bytes[1] = (uint8_t)(i >> 16);
		a.bytes[2] = (uint8_t)(i >> 8);
		a.bytes[3] = (uint8_t)i;
		w = inventory_resolve_client(inv, &a);
		if (prev) {
			snprintf(want, sizeof(want), "external:203.%u.%u.%u/32",
				 (i - 1) >> 16 & 0xff, (i - 1) >> 8 & 0xff, (i - 1) & 0xff);
			ck_assert_str_eq(graph_workload_id(prev), want);
			ck_assert_uint_eq(graph_workload_address_count(prev), 1);
		}
		ck_assert_ptr_eq(inventory_resolve_client(inv, &a), w);
		prev = w;
	}
	/* the first address: its generation is gone, so its peer is made again */
	w = inventory_resolve_client(inv, &(struct util_addr){.family = AF_INET, .bytes = {203}});
	ck_assert_str_eq(graph_workload_id(w), "external:203.0.0.0/32");
	ck_assert_uint_eq(graph_workload_address_count(w), 1);
	inventory_free(inv);
}
END_TEST

START_TEST(test_external_prefix_range)
{
	static const struct {
		unsigned v4, v6;
		int r;
	} cases[] = {{32, 128, 0}, {0, 0, 0}, {33, 128, -EINVAL}, {32, 129, -EINVAL}};
	struct inventory *inv = inventory_new();

	for (size_t i = 0; i < UTIL_ARRAY_SIZE(cases); i++)
		ck_assert_int_eq(inventory_set_external_prefix(inv, cases[i].v4, cases[i].v6),
				 cases[i].r);
	inventory_free(inv);
}
END_TEST

/* ---- Files that must fail whole ----------------------------------------------------------- */

static const struct {
	const char *file;
	const char *msg; /* follows the path */
} bad_cases[] = {
	{"bad-malformed.yaml", ":7:4: did not find expected key while parsing a block mapping"},
	{"bad-malformed.json",
	 ":9:17: did not find expected ',' or '}' while parsing a flow mapping"},
	{"bad-label-newline.yaml", ":26:12: invalid label value \"web\\nprod\" on pod shop/web-0"},
	{"bad-label-quote.yaml", ":26:12: invalid label value \"we\\\"b\" on pod shop/web-0"},
	{"bad-label-semicolon.yaml",
	 ":26:12: invalid label value \"web;rm -rf /\" on pod shop/web-0"},
	{"bad-label-long.yaml", ":5:10: invalid label value "
				"\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...\" "
				"on pod shop/web-0"},
	{"bad-namespace-upper.yaml", ":9:16: invalid namespace \"Shop\" on pod web-0"},
	{"bad-ip.yaml", ":19:12: invalid IP address \"10.244.1.300\" on pod shop/web-0"},
	{"bad-port.yaml", ":10:11: invalid port \"70000\" on service shop/web"},
	{"bad-owner-kind.yaml", ":9:11: invalid owner kind \"Replica Set; rm\" on pod shop/web-0"},
	{"bad-docker-name.json",
	 ":25:17: invalid container name \"toolbox\\\"; drop table containers; {x}\""},
	{"bad-compose-newline.json",
	 ":87:47: invalid compose service label \"web\\nevil\" on container shop-web-1"},
	{"bad-nul.json", ":25:17: NUL character in a string"},
	{"bad-alias.yaml", ":3:3: YAML anchors are not allowed in an inventory"},
	{"bad-alias-only.yaml", ":3:11: YAML aliases are not allowed in an inventory"},
	{"bad-deep.json", ":1:65: nested deeper than 64 levels"},
	{"empty.yaml", ":1:1: empty file, not a kubectl or docker inspect inventory"},
	{"bad-binary.bin", ":1:1: control characters are not allowed"},
	{"bad-neither.yaml", ":2:1: not a kubectl or docker inspect inventory"},
};

static void assert_one_line(const char *msg)
{
	ck_assert_uint_lt(strlen(msg), sizeof(((struct util_err *)0)->msg) - 1);
	for (const char *c = msg; *c; c++)
		ck_assert_msg(*c >= 0x20 && *c < 0x7f, "unprintable byte 0x%02x in \"%s\"",
			      (unsigned char)*c, msg);
}

START_TEST(test_bad)
{
	struct inventory *inv = load_set(SET_K8S);
	struct util_addr kept = addr("10.244.1.10"), fresh = addr("10.244.9.9");
	struct util_err err = {{0}};
	char path[512], expect[1024];
	int r;

	snprintf(path, sizeof(path), "%s%s", INV_DIR, bad_cases[_i].file);
	snprintf(expect, sizeof(expect), "%s%s", path, bad_cases[_i].msg);
	r = inventory_load(inv, path, &err);
	ck_assert_int_eq(r, -EINVAL);
	ck_assert_str_eq(err.msg, expect);
	assert_one_line(err.msg);

	/* what was loaded before is untouched; the valid pods before the bad one were not taken */
	ck_assert_uint_eq(inventory_workload_count(inv), 12);
	ck_assert_str_eq(graph_workload_id(inventory_resolve_client(inv, &kept)),
			 "k8s:shop/deployment/frontend");
	ck_assert_str_eq(graph_workload_id(inventory_resolve_client(inv, &fresh)),
			 "external:10.244.9.9/32");
	ck_assert_ptr_null(find_workload(inv, "k8s:shop/pod/ok-0"));
	inventory_free(inv);
}
END_TEST

/* ---- Files that cannot be read ------------------------------------------------------------ */

enum special {
	SPECIAL_MISSING,
	SPECIAL_DIRECTORY,
	SPECIAL_HUGE, /* a sparse file one byte over 4 GiB */
};

static const struct {
	enum special kind;
	int r;
	const char *msg;
} special_cases[] = {
	{SPECIAL_MISSING, -ENOENT, ": No such file or directory"},
	{SPECIAL_DIRECTORY, -EISDIR, ": is a directory"},
	{SPECIAL_HUGE, -EFBIG, ": larger than 4096 MiB"},
};

START_TEST(test_special)
{
	char dir[] = "/tmp/test-inventory-XXXXXX", path[600], expect[1024];
	struct inventory *inv = inventory_new();
	struct util_err err = {{0}};
	int fd, r;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	switch (special_cases[_i].kind) {
	case SPECIAL_MISSING:
		snprintf(path, sizeof(path), "%s/missing.yaml", dir);
		break;
	case SPECIAL_DIRECTORY:
		snprintf(path, sizeof(path), "%s", dir);
		break;
	case SPECIAL_HUGE:
		snprintf(path, sizeof(path), "%s/huge.yaml", dir);
		fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
		ck_assert_int_ge(fd, 0);
		ck_assert_int_eq(ftruncate(fd, ((off_t)4 << 30) + 1), 0);
		close(fd);
		break;
	}
	r = inventory_load(inv, path, &err);
	snprintf(expect, sizeof(expect), "%s%s", path, special_cases[_i].msg);
	ck_assert_int_eq(r, special_cases[_i].r);
	ck_assert_str_eq(err.msg, expect);
	ck_assert_uint_eq(inventory_workload_count(inv), 0);
	if (special_cases[_i].kind == SPECIAL_HUGE)
		unlink(path);
	rmdir(dir);
	inventory_free(inv);
}
END_TEST

/* ---- Flows into the graph ----------------------------------------------------------------- */

struct edge_case {
	const char *client, *server;
	uint8_t proto;
	uint16_t port;
};

static const struct {
	const char *client, *server;
	uint8_t proto;
	uint16_t port;
	size_t touched;
	struct edge_case edges[3]; /* the graph's edges afterwards, in its order */
} flow_cases[] = {
	/* Service DNAT-style: the ClusterIP becomes the backend and its target port */
	{"10.244.1.10",
	 "10.96.100.20",
	 IPPROTO_TCP,
	 80,
	 1,
	 {{"k8s:shop/deployment/frontend", "k8s:shop/deployment/cart", IPPROTO_TCP, 7070}}},
	{"10.244.1.20",
	 "10.96.0.10",
	 IPPROTO_UDP,
	 53,
	 1,
	 {{"k8s:shop/deployment/cart", "k8s:kube-system/deployment/coredns", IPPROTO_UDP, 53}}},
	{"fd00:10:244:1::14",
	 "fd00:10:96::64:14",
	 IPPROTO_TCP,
	 80,
	 1,
	 {{"k8s:shop/deployment/cart", "k8s:shop/deployment/cart", IPPROTO_TCP, 7070}}},
	/* one Service, two backends: two edges, one of them back to the client's own workload */
	{"10.244.1.10",
	 "10.96.100.40",
	 IPPROTO_TCP,
	 9100,
	 2,
	 {{"k8s:shop/deployment/frontend", "k8s:shop/deployment/cart", IPPROTO_TCP, 9091},
	  {"k8s:shop/deployment/frontend", "k8s:shop/deployment/frontend", IPPROTO_TCP, 9090}}},
	/* replica to replica is an edge */
	{"10.244.1.10",
	 "10.244.1.11",
	 IPPROTO_TCP,
	 8080,
	 1,
	 {{"k8s:shop/deployment/frontend", "k8s:shop/deployment/frontend", IPPROTO_TCP, 8080}}},
	/* the kubelet probing a pod from its node */
	{"172.18.0.3",
	 "10.244.1.10",
	 IPPROTO_TCP,
	 8080,
	 1,
	 {{"node:kind-worker", "k8s:shop/deployment/frontend", IPPROTO_TCP, 8080}}},
	{"10.244.1.50",
	 "10.96.0.1",
	 IPPROTO_TCP,
	 443,
	 1,
	 {{"k8s:shop/pod/debug", "unknown:10.96.0.0/16", IPPROTO_TCP, 443}}},
	{"10.244.1.60",
	 "203.0.113.7",
	 IPPROTO_TCP,
	 443,
	 1,
	 {{"k8s:payments/deployment/payments-api", "external:203.0.113.7/32", IPPROTO_TCP, 443}}},
	{"198.51.100.23",
	 "10.96.100.10",
	 IPPROTO_TCP,
	 80,
	 1,
	 {{"external:198.51.100.23/32", "k8s:shop/deployment/frontend", IPPROTO_TCP, 8080}}},
	{"10.244.1.50",
	 "10.244.1.30",
	 IPPROTO_ICMP,
	 0,
	 1,
	 {{"k8s:shop/pod/debug", "k8s:shop/statefulset/redis", IPPROTO_ICMP, 0}}},
	/* nothing to learn from these */
	{"127.0.0.1", "127.0.0.1", IPPROTO_TCP, 8080, 0, {{0}}},
	{"10.244.1.10", "127.0.0.53", IPPROTO_UDP, 53, 0, {{0}}},
	{"10.244.1.10", "224.0.0.251", IPPROTO_UDP, 5353, 0, {{0}}},
	{"10.244.1.10", "239.255.255.250", IPPROTO_UDP, 1900, 0, {{0}}},
	{"10.244.1.10", "255.255.255.255", IPPROTO_UDP, 67, 0, {{0}}},
	{"0.0.0.0", "255.255.255.255", IPPROTO_UDP, 67, 0, {{0}}},
	{"::1", "::1", IPPROTO_TCP, 8080, 0, {{0}}},
	{"::", "ff02::16", IPPROTO_ICMPV6, 0, 0, {{0}}},
	{"fe80::1", "fe80::2", IPPROTO_ICMPV6, 0, 0, {{0}}},
	{"fd00:10:244:1::14", "ff02::1", IPPROTO_UDP, 547, 0, {{0}}},
	{"::ffff:127.0.0.1", "::ffff:127.0.0.1", IPPROTO_TCP, 80, 0, {{0}}},
};

START_TEST(test_flow)
{
	struct inventory *inv = load_set(SET_K8S);
	struct graph *g = graph_new();
	struct capture_flow flow;
	size_t n_edges = 0;

	memset(&flow, 0, sizeof(flow));
	flow.client = addr(flow_cases[_i].client);
	flow.server = addr(flow_cases[_i].server);
	flow.proto = flow_cases[_i].proto;
	flow.port = flow_cases[_i].port;
	flow.first_ns = 2000;
	flow.last_ns = 3000;
	flow.packets = 10;
	ck_assert_uint_eq(learn_add_flow(g, inv, &flow), flow_cases[_i].touched);
	/* the same connection seen again, earlier and later: counted, times widened */
	flow.first_ns = 1000;
	flow.last_ns = 2500;
	ck_assert_uint_eq(learn_add_flow(g, inv, &flow), flow_cases[_i].touched);
	flow.first_ns = 2200;
	flow.last_ns = 4000;
	ck_assert_uint_eq(learn_add_flow(g, inv, &flow), flow_cases[_i].touched);

	while (n_edges < 3 && flow_cases[_i].edges[n_edges].client)
		n_edges++;
	ck_assert_uint_eq(graph_edge_count(g), n_edges);
	for (size_t i = 0; i < n_edges; i++) {
		const struct graph_edge *e = graph_edge(g, i);
		const struct edge_case *want = &flow_cases[_i].edges[i];

		ck_assert_str_eq(graph_workload_id(graph_edge_client(e)), want->client);
		ck_assert_str_eq(graph_workload_id(graph_edge_server(e)), want->server);
		ck_assert_uint_eq(graph_edge_proto(e), want->proto);
		ck_assert_uint_eq(graph_edge_port(e), want->port);
		ck_assert_uint_eq(graph_edge_connections(e), 3);
		ck_assert_uint_eq(graph_edge_first_ns(e), 1000);
		ck_assert_uint_eq(graph_edge_last_ns(e), 4000);
		ck_assert_ptr_nonnull(graph_find_workload(g, want->client));
		ck_assert_ptr_nonnull(graph_find_workload(g, want->server));
	}
	if (n_edges == 0)
		ck_assert_uint_eq(graph_workload_count(g), 0);
	graph_free(g);
	inventory_free(inv);
}
END_TEST

/* The graph holds its own references: it outlives the inventory the workloads came from. */
START_TEST(test_flow_outlives_inventory)
{
	static const char *const flows[][2] = {
		{"10.244.1.10", "10.96.100.40"},
		{"203.0.113.9", "10.96.100.10"},
	};
	struct inventory *inv = load_set(SET_K8S);
	struct graph *g = graph_new();
	struct capture_flow flow;
	const struct graph_workload *w;

	memset(&flow, 0, sizeof(flow));
	flow.client = addr(flows[_i][0]);
	flow.server = addr(flows[_i][1]);
	flow.proto = IPPROTO_TCP;
	flow.port = _i == 0 ? 9100 : 80;
	ck_assert_uint_gt(learn_add_flow(g, inv, &flow), 0);
	inventory_free(inv);
	w = graph_find_workload(g, "k8s:shop/deployment/frontend");
	ck_assert_ptr_nonnull(w);
	ck_assert_str_eq(graph_workload_label_key(w, 0), "app");
	ck_assert_str_eq(graph_workload_label_value(w, 0), "frontend");
	graph_free(g);
}
END_TEST

/* ---- What real clusters run (cluster-shapes.yaml) ------------------------------------------ */

#define SHAPES	INV_DIR "cluster-shapes.yaml"
#define TS(hms) "2026-11-30T" hms "Z"

static uint64_t ts(const char *s)
{
	uint64_t ns = 0;

	if (s)
		ck_assert_msg(util_time_parse(s, &ns) == 0, "bad time in a test table: %s", s);
	return ns;
}

static struct inventory *load_shapes(void)
{
	struct inventory *inv = inventory_new();
	struct util_err err = {{0}};

	ck_assert_msg(inventory_load(inv, SHAPES, &err) == 0, "%s", err.msg);
	return inv;
}

/* Every workload the inventory knows, by id: one per identity rule, none for a host network. */
static const char *const shape_workloads[] = {
	"k8s:kube-system/staticpod/log-shipper",
	"k8s:ml/job.batch.volcano.sh/train-29412360",
	"k8s:shop/cachecluster.apps.example.com/cache",
	"k8s:shop/cronjob/backup",
	"k8s:shop/cronjob/report",
	"k8s:shop/deployment/ads",
	"k8s:shop/deployment/mail",
	"k8s:shop/deployment/recommend",
	"k8s:shop/deployment/web",
	"k8s:shop/pod/stale-a",
	"k8s:shop/pod/stale-b",
	"k8s:shop/rollout.argoproj.io/catalog",
	"node:kind-control-plane",
	"node:kind-worker",
};

START_TEST(test_shape_workloads)
{
	struct inventory *inv = load_shapes();
	size_t n = inventory_workload_count(inv);

	for (size_t i = 0; i < n && i < UTIL_ARRAY_SIZE(shape_workloads); i++)
		ck_assert_str_eq(graph_workload_id(inventory_workload(inv, i)), shape_workloads[i]);
	ck_assert_uint_eq(n, UTIL_ARRAY_SIZE(shape_workloads));
	inventory_free(inv);
}
END_TEST

/* Who an address is at a time (NULL: no time, as for a flow of unknown age). */
static const struct {
	const char *what, *ip, *at, *id;
} shape_ip_cases[] = {
	{"a Rollout's pod", "fd00:10:244:1::28", NULL, "k8s:shop/rollout.argoproj.io/catalog"},
	{"a static pod", "10.244.0.3", NULL, "k8s:kube-system/staticpod/log-shipper"},
	{"a Volcano Job's pod", "10.244.1.80", NULL, "k8s:ml/job.batch.volcano.sh/train-29412360"},
	{"an unknown owner", "10.244.1.90", NULL, "k8s:shop/cachecluster.apps.example.com/cache"},
	{"the CronJob's pod while it ran", "10.244.1.9", TS("10:00:18"), "k8s:shop/cronjob/report"},
	{"... a moment after it finished", "10.244.1.9", TS("10:00:21"), "k8s:shop/cronjob/report"},
	{"... the pod that took the address", "10.244.1.9", TS("10:00:25"),
	 "k8s:shop/deployment/recommend"},
	{"... at no known time: who holds it now", "10.244.1.9", NULL,
	 "k8s:shop/deployment/recommend"},
	/* before either: the pod holding it now had not started, nobody known had it */
	{"... before the job ran", "10.244.1.9", TS("09:00:00"), "unknown:10.244.1.0/24"},
	{"... a moment before the new pod's start", "10.244.1.9", TS("10:00:21"),
	 "k8s:shop/cronjob/report"},
	{"the Evicted pod's address is the running one's", "10.244.1.10", TS("10:00:05"),
	 "k8s:shop/deployment/web"},
	{"a finished pod's address, hours later", "10.244.1.66", TS("10:00:05"),
	 "unknown:10.244.1.0/24"},
	{"... while it ran", "10.244.1.66", TS("04:00:30"), "k8s:shop/cronjob/backup"},
	{"an address of a podCIDR no pod holds", "10.244.1.99", NULL, "unknown:10.244.1.0/24"},
	{"the same, IPv6", "fd00:10:244:1::63", NULL, "unknown:fd00:10:244:1::/64"},
	{"a ClusterIP as a client", "10.96.10.40", NULL, "unknown:10.96.0.0/16"},
	{"the ServiceCIDR, IPv6", "fd00:10:96::9", NULL, "unknown:fd00:10:96::/112"},
	{"a node, by its InternalIP", "fc00:f853:ccd:e793::3", NULL, "node:kind-worker"},
	{"the host-network API server", "172.18.0.2", NULL, "node:kind-control-plane"},
	{"outside the cluster", "192.0.2.50", NULL, "external:192.0.2.50/32"},
	{"the later of two Running pods", "10.244.1.77", NULL, "k8s:shop/pod/stale-b"},
};

START_TEST(test_shape_ip)
{
	struct inventory *inv = load_shapes();
	struct util_addr a = addr(shape_ip_cases[_i].ip);
	struct graph_workload *w = inventory_resolve_client_at(inv, &a, ts(shape_ip_cases[_i].at));

	ck_assert_msg(strcmp(graph_workload_id(w), shape_ip_cases[_i].id) == 0, "%s: %s, not %s",
		      shape_ip_cases[_i].what, graph_workload_id(w), shape_ip_cases[_i].id);
	inventory_free(inv);
}
END_TEST

/*
 * A flow like one before (the same client, server, protocol and port) after something changed:
 * attribution answers as if it had never seen the first, though it remembers flows like it.
 */
enum memo_change {
	MEMO_NOTHING,
	MEMO_RANGE,
	MEMO_PREFIX,
	MEMO_CONTAINER,
	MEMO_GRAPH,
	MEMO_CONTAINER_FIRST, /* the container starts before the first flow: nothing in between */
};

static const struct memo_case {
	const char *what;
	const char *client, *server;
	const char *first_at, *then_at;
	enum memo_change change;
	const char *first[2], *then[2]; /* the edge's client and server ids */
} memo_cases[] = {
	{"nothing changed: the same edge, counted twice",
	 "10.244.1.10",
	 "198.51.100.7",
	 TS("10:00:05"),
	 TS("10:00:06"),
	 MEMO_NOTHING,
	 {"k8s:shop/deployment/web", "external:198.51.100.7/32"},
	 {"k8s:shop/deployment/web", "external:198.51.100.7/32"}},
	{"an address that changed hands: the pod that has it now, then the one that had it",
	 "10.244.1.9",
	 "198.51.100.7",
	 TS("10:00:25"),
	 TS("10:00:18"),
	 MEMO_NOTHING,
	 {"k8s:shop/deployment/recommend", "external:198.51.100.7/32"},
	 {"k8s:shop/cronjob/report", "external:198.51.100.7/32"}},
	{"... the other way round",
	 "10.244.1.9",
	 "198.51.100.7",
	 TS("10:00:18"),
	 TS("10:00:25"),
	 MEMO_NOTHING,
	 {"k8s:shop/cronjob/report", "external:198.51.100.7/32"},
	 {"k8s:shop/deployment/recommend", "external:198.51.100.7/32"}},
	{"a cluster range added",
	 "10.244.1.10",
	 "198.51.100.7",
	 TS("10:00:05"),
	 TS("10:00:06"),
	 MEMO_RANGE,
	 {"k8s:shop/deployment/web", "external:198.51.100.7/32"},
	 {"k8s:shop/deployment/web", "unknown:198.51.100.0/24"}},
	{"another external prefix",
	 "10.244.1.10",
	 "198.51.100.7",
	 TS("10:00:05"),
	 TS("10:00:06"),
	 MEMO_PREFIX,
	 {"k8s:shop/deployment/web", "external:198.51.100.7/32"},
	 {"k8s:shop/deployment/web", "external:198.51.100.0/24"}},
	{"a container started with the address",
	 "10.244.1.10",
	 "198.51.100.7",
	 TS("10:00:05"),
	 TS("10:00:06"),
	 MEMO_CONTAINER,
	 {"k8s:shop/deployment/web", "external:198.51.100.7/32"},
	 {"k8s:shop/deployment/web", "docker:shop/api"}},
	{"a container's address, then before the container started",
	 "10.244.1.10",
	 "198.51.100.7",
	 TS("10:00:06"),
	 TS("09:00:00"),
	 MEMO_CONTAINER_FIRST,
	 {"k8s:shop/deployment/web", "docker:shop/api"},
	 {"k8s:shop/deployment/web", "external:198.51.100.7/32"}},
	{"another graph",
	 "10.244.1.10",
	 "198.51.100.7",
	 TS("10:00:05"),
	 TS("10:00:06"),
	 MEMO_GRAPH,
	 {"k8s:shop/deployment/web", "external:198.51.100.7/32"},
	 {"k8s:shop/deployment/web", "external:198.51.100.7/32"}},
};

static void memo_check(const struct graph *g, const char *const ids[2], uint64_t connections)
{
	const struct graph_edge *e = graph_find_edge(g, ids[0], ids[1], IPPROTO_TCP, 443);

	ck_assert_msg(e != NULL, "no edge %s -> %s", ids[0], ids[1]);
	ck_assert_uint_eq(graph_edge_connections(e), connections);
}

START_TEST(test_flow_memo)
{
	const struct memo_case *tc = &memo_cases[_i];
	struct util_addr ctr_addr = addr(tc->server);
	struct inventory_container ctr = {.id = "3f4e0d5c2b1a",
					  .name = "shop-api-1",
					  .project = "shop",
					  .service = "api",
					  .addrs = &ctr_addr,
					  .n_addrs = 1};
	struct inventory *inv = load_shapes();
	struct util_err err = {{0}};
	struct graph *g = graph_new();
	struct capture_flow flow = {
		.proto = IPPROTO_TCP, .port = 443, .client_port = 40000, .outcome = CAPTURE_SERVED};
	bool same =
		strcmp(tc->first[0], tc->then[0]) == 0 && strcmp(tc->first[1], tc->then[1]) == 0;

	if (tc->change == MEMO_CONTAINER_FIRST)
		ck_assert_msg(inventory_set_container(inv, &ctr, ts(TS("10:00:05")), &err) == 0,
			      "%s", err.msg);
	flow.client = addr(tc->client);
	flow.server = addr(tc->server);
	flow.first_ns = ts(tc->first_at);
	flow.last_ns = flow.first_ns + 1000;
	ck_assert_uint_eq(learn_add_flow(g, inv, &flow), 1);
	memo_check(g, tc->first, 1);
	switch (tc->change) {
	case MEMO_NOTHING:
	case MEMO_CONTAINER_FIRST:
		break;
	case MEMO_RANGE:
		ck_assert_int_eq(inventory_add_cluster_range(inv, "198.51.100.0/24"), 0);
		break;
	case MEMO_PREFIX:
		ck_assert_int_eq(inventory_set_external_prefix(inv, 24, 64), 0);
		break;
	case MEMO_CONTAINER:
		ck_assert_msg(inventory_set_container(inv, &ctr, ts(tc->first_at), &err) == 0, "%s",
			      err.msg);
		break;
	case MEMO_GRAPH:
		graph_free(g);
		g = graph_new();
		same = false;
		break;
	}
	flow.client_port++;
	flow.first_ns = ts(tc->then_at);
	flow.last_ns = flow.first_ns + 1000;
	ck_assert_uint_eq(learn_add_flow(g, inv, &flow), 1);
	memo_check(g, tc->then, same ? 2 : 1);
	graph_free(g);
	inventory_free(inv);
}
END_TEST

/*
 * learn_add_flows() in groups of any size gives the state learn_add_flow() gives one flow at a
 * time: through the memo (flows like one before, in one group and across groups), past it (a
 * Service's address and its backend straight, an address that changed hands, attempts), and
 * with the inventory's generation moving inside groups (a flood of outside sources empties the
 * outside peers' table). The grouped run's memo is full of entries from a graph freed before it
 * began: under AddressSanitizer, following one reads freed memory.
 */
static const struct batch_case {
	const char *name;
	size_t group;	/* flows per learn_add_flows() call */
	unsigned flood; /* new outside sources, spread over the flows */
} batch_cases[] = {
	{"one at a time", 1, 0},
	{"groups of 5", 5, 0},
	{"groups of 16", 16, 0},
	{"groups of 17", 17, 0},
	{"groups of 64", 64, 0},
	{"all at once", 100000, 0},
	{"groups of 64, a flood of outside sources between", 64, 32768 + 100},
};

static const char *const batch_clients[] = {"10.244.1.10",	 "10.244.1.80", "10.244.1.9",
					    "fd00:10:244:1::28", "192.0.2.50",	"198.51.100.7"};
static const char *const batch_servers[] = {"10.96.10.40", "10.244.1.90",      "10.96.10.50",
					    "192.0.2.50",  "fd00:10:96::1040", "10.244.1.77",
					    "172.18.0.3"};
static const uint16_t batch_ports[] = {3550, 5432, 8080, 30080, 443};

static char *batch_state(struct graph *g, const char *dir, const char *name)
{
	char *path = util_asprintf("%s/%s", dir, name), *text;
	struct util_err err = {{0}};
	size_t len;

	ck_assert_msg(graph_state_save(g, path, &err) == 0, "%s", err.msg);
	text = test_read_file(path, &len);
	free(path);
	return text;
}

START_TEST(test_add_flows)
{
	const struct batch_case *tc = &batch_cases[_i];
	size_t n = 3000 + tc->flood, at = 0;
	struct capture_flow *flows = util_reallocarray(NULL, n, sizeof(*flows));
	struct inventory *inv[2] = {load_shapes(), load_shapes()};
	struct graph *g[2] = {graph_new(), graph_new()}, *gone;
	uint64_t rng = 0x51ed2701, t = ts(TS("10:00:00"));
	char *dir = test_tmpdir_new(), *text[2];
	unsigned flooded = 0;

	for (size_t i = 0; i < n; i++) {
		struct capture_flow *f = &flows[i];
		uint32_t r = test_rand(&rng);

		*f = (struct capture_flow){.proto = IPPROTO_TCP, .client_port = 40000 + i % 20000};
		t += (test_rand(&rng) % 20) * 1000000ULL;
		f->first_ns = t;
		f->last_ns = t + 1000000;
		if (flooded < tc->flood && (i % 3 != 0 || n - i <= tc->flood - flooded)) {
			/* a new outside source each time, to a pod */
			f->client = addr("100.64.0.0");
			f->client.bytes[1] = (uint8_t)(64 + flooded / 65536);
			f->client.bytes[2] = (uint8_t)(flooded / 256);
			f->client.bytes[3] = (uint8_t)flooded;
			flooded++;
			f->server = addr("10.244.1.90");
			f->port = 8080;
			continue;
		}
		f->client = addr(batch_clients[r % UTIL_ARRAY_SIZE(batch_clients)]);
		f->server = addr(batch_servers[(r >> 8) % UTIL_ARRAY_SIZE(batch_servers)]);
		f->port = batch_ports[(r >> 16) % UTIL_ARRAY_SIZE(batch_ports)];
		if (f->client.family != f->server.family)
			f->server = f->client.family == AF_INET6 ? addr("fd00:10:96::1040")
								 : addr("10.96.10.40");
		f->outcome = (r >> 24) % 10 == 0   ? CAPTURE_REFUSED
			     : (r >> 24) % 10 == 1 ? CAPTURE_UNANSWERED
						   : CAPTURE_SERVED;
	}
	ck_assert_uint_eq(flooded, tc->flood);
	for (size_t i = 0; i < n; i++)
		(void)learn_add_flow(g[0], inv[0], &flows[i]);
	/* the same flows into a graph that is then freed: its edges stay in inv[1]'s memo */
	gone = graph_new();
	for (size_t i = 0; i < n; i++)
		(void)learn_add_flow(gone, inv[1], &flows[i]);
	graph_free(gone);
	for (; at < n; at += tc->group)
		learn_add_flows(g[1], inv[1], flows + at, n - at < tc->group ? n - at : tc->group);
	text[0] = batch_state(g[0], dir, "one.yaml");
	text[1] = batch_state(g[1], dir, "groups.yaml");
	ck_assert_msg(strcmp(text[0], text[1]) == 0, "%s: the states differ", tc->name);
	/* each outside source an edge of its own: the flood did reach the peers' table */
	ck_assert_uint_gt(graph_edge_count(g[0]), 20 + tc->flood);
	for (int i = 0; i < 2; i++) {
		free(text[i]);
		graph_free(g[i]);
		inventory_free(inv[i]);
	}
	free(flows);
	test_tmpdir_free(dir);
}
END_TEST

/*
 * More pairs than the memo has entries, each sent once or twice in a shuffled order: every edge
 * counts exactly the flows of its own pair, however entries collide and replace each other.
 * 2,000 outside clients (within the outside peers' table) to 5 servers on 8 ports: 80,000 pairs.
 */
START_TEST(test_flow_memo_many)
{
	enum {
		CLIENTS = 2000,
		SERVERS = 5,
		PORTS = 8,
		PAIRS = CLIENTS * SERVERS * PORTS
	};
	struct inventory *inv = inventory_new();
	struct graph *g = graph_new();
	uint32_t *order = util_reallocarray(NULL, 2 * PAIRS, sizeof(*order));
	uint8_t *times = util_zalloc(PAIRS);
	uint64_t rng = 0x6d656d6f, n = 0;

	for (uint32_t p = 0; p < PAIRS; p++) {
		times[p] = (uint8_t)(1 + test_rand(&rng) % 2);
		for (unsigned k = 0; k < times[p]; k++)
			order[n++] = p;
	}
	for (uint64_t i = n - 1; i > 0; i--) {
		uint64_t j = test_rand(&rng) % (i + 1);
		uint32_t x = order[i];

		order[i] = order[j];
		order[j] = x;
	}
	for (uint64_t i = 0; i < n; i++) {
		uint32_t p = order[i], c = p % CLIENTS;
		struct capture_flow flow = {.proto = IPPROTO_TCP,
					    .port = (uint16_t)(8000 + p / (CLIENTS * SERVERS)),
					    .client_port = (uint16_t)(30000 + i % 30000),
					    .outcome = CAPTURE_SERVED,
					    .first_ns = ts(TS("10:00:00")) + i * 1000,
					    .last_ns = ts(TS("10:00:00")) + i * 1000 + 500};

		flow.client = addr("198.18.0.0");
		flow.client.bytes[2] = (uint8_t)(c >> 8);
		flow.client.bytes[3] = (uint8_t)c;
		flow.server = addr("203.0.113.10");
		flow.server.bytes[3] += (uint8_t)(p / CLIENTS % SERVERS);
		ck_assert_uint_eq(learn_add_flow(g, inv, &flow), 1);
	}
	ck_assert_uint_eq(graph_edge_count(g), PAIRS);
	for (uint32_t p = 0; p < PAIRS; p++) {
		uint32_t c = p % CLIENTS;
		char client[64], server[64];
		const struct graph_edge *e;

		snprintf(client, sizeof(client), "external:198.18.%u.%u/32", c >> 8, c & 255);
		snprintf(server, sizeof(server), "external:203.0.113.%u/32",
			 10 + p / CLIENTS % SERVERS);
		e = graph_find_edge(g, client, server, IPPROTO_TCP,
				    (uint16_t)(8000 + p / (CLIENTS * SERVERS)));
		ck_assert_msg(e != NULL, "no edge %s -> %s", client, server);
		if (graph_edge_connections(e) != times[p])
			ck_abort_msg("%s -> %s port %u: %" PRIu64 " connections, %u sent", client,
				     server, 8000 + p / (CLIENTS * SERVERS),
				     graph_edge_connections(e), times[p]);
	}
	free(order);
	free(times);
	graph_free(g);
	inventory_free(inv);
}
END_TEST

/*
 * A Service whose endpoint is outside the cluster, after a flood of new outside sources has
 * emptied the outside peers' table twice (2 x 32,768, struct inv_prefix_peers) and a flow
 * straight to that endpoint has given the graph the peer's new instance: the Service still leads
 * to a live workload (the endpoint holds it), and its flows still count.
 */
START_TEST(test_service_outside_flood)
{
	struct inventory *inv = load_shapes();
	struct graph *g = graph_new();
	struct capture_flow flow = {.proto = IPPROTO_TCP,
				    .port = 5432,
				    .client_port = 40000,
				    .outcome = CAPTURE_SERVED,
				    .first_ns = ts(TS("10:00:05")),
				    .last_ns = ts(TS("10:00:06"))};
	const struct graph_edge *e;
	char ip[32];

	flow.client = addr("10.244.1.10");
	flow.server = addr("10.96.10.50");
	ck_assert_uint_eq(learn_add_flow(g, inv, &flow), 1);
	for (unsigned i = 0; i < 2 * 32768 + 16; i++) {
		struct util_addr a;

		snprintf(ip, sizeof(ip), "198.%u.%u.%u", 18 + i / 65536, i / 256 % 256, i % 256);
		a = addr(ip);
		ck_assert_ptr_nonnull(inventory_resolve_client(inv, &a));
	}
	flow.server = addr("192.0.2.50");
	flow.client_port++;
	ck_assert_uint_eq(learn_add_flow(g, inv, &flow), 1);
	flow.server = addr("10.96.10.50");
	flow.client_port++;
	ck_assert_uint_eq(learn_add_flow(g, inv, &flow), 1);
	e = graph_find_edge(g, "k8s:shop/deployment/web", "external:192.0.2.50/32", IPPROTO_TCP,
			    5432);
	ck_assert_ptr_nonnull(e);
	ck_assert_uint_eq(graph_edge_connections(e), 3);
	graph_free(g);
	inventory_free(inv);
}
END_TEST

/* Where a connection to addr:port goes, as kube-proxy sends it: "ID PORT" per endpoint. */
static const struct {
	const char *what, *ip;
	uint16_t port;
	const char *eps[3];
} shape_svc_cases[] = {
	{"the kubernetes Service: its EndpointSlice, to the node's 6443",
	 "10.96.0.1",
	 443,
	 {"node:kind-control-plane 6443"}},
	{"slices win over the selector, not-ready endpoints take nothing",
	 "10.96.10.40",
	 3550,
	 {"k8s:shop/rollout.argoproj.io/catalog 3550"}},
	{"the IPv6 ClusterIP: the IPv6 slice",
	 "fd00:10:96::1040",
	 3550,
	 {"k8s:shop/rollout.argoproj.io/catalog 3550"}},
	{"Endpoints to an outside address", "10.96.10.50", 5432, {"external:192.0.2.50/32 5432"}},
	{"a NodePort on the node", "172.18.0.3", 30080, {"k8s:shop/deployment/web 8080"}},
	{"a NodePort on the node's IPv6 address",
	 "fc00:f853:ccd:e793::3",
	 30080,
	 {"k8s:shop/deployment/web 8080"}},
	{"a NodePort on another node", "172.18.0.2", 30080, {"k8s:shop/deployment/web 8080"}},
	{"the load balancer's address", "172.18.255.200", 80, {"k8s:shop/deployment/web 8080"}},
	{"an externalIP", "198.51.100.20", 80, {"k8s:shop/deployment/web 8080"}},
	{"the LoadBalancer's ClusterIP", "10.96.10.11", 80, {"k8s:shop/deployment/web 8080"}},
	{"a port no Service has on a node", "172.18.0.3", 30081, {"node:kind-worker 30081"}},
	{"a ClusterIP on a port it has not", "10.96.10.40", 80, {"unknown:10.96.0.0/16 80"}},
};

START_TEST(test_shape_service)
{
	struct inventory *inv = load_shapes();
	struct util_addr a = addr(shape_svc_cases[_i].ip);
	struct inventory_endpoint ep[8];
	size_t want = 0, n;

	while (want < UTIL_ARRAY_SIZE(shape_svc_cases[_i].eps) && shape_svc_cases[_i].eps[want])
		want++;
	n = inventory_resolve_server(inv, &a, IPPROTO_TCP, shape_svc_cases[_i].port, ep,
				     UTIL_ARRAY_SIZE(ep));
	ck_assert_msg(n == want, "%s: %zu endpoints", shape_svc_cases[_i].what, n);
	for (size_t i = 0; i < n; i++) {
		char got[256];

		snprintf(got, sizeof(got), "%s %u", graph_workload_id(ep[i].workload),
			 (unsigned)ep[i].port);
		ck_assert_msg(strcmp(got, shape_svc_cases[_i].eps[i]) == 0, "%s: %s, not %s",
			      shape_svc_cases[_i].what, got, shape_svc_cases[_i].eps[i]);
	}
	inventory_free(inv);
}
END_TEST

/* Who ran while 10:00:00 to 10:00:30 was watched, and when; NULL: never. */
static const struct {
	const char *id, *first, *last;
} shape_running_cases[] = {
	{"k8s:shop/rollout.argoproj.io/catalog", TS("10:00:00"), TS("10:00:30")},
	{"k8s:shop/cronjob/report", TS("10:00:16"), TS("10:00:20")},
	{"k8s:shop/deployment/recommend", TS("10:00:22"), TS("10:00:30")},
	{"k8s:kube-system/staticpod/log-shipper", TS("10:00:00"), TS("10:00:30")},
	{"k8s:shop/cronjob/backup", NULL, NULL},  /* six hours before */
	{"k8s:shop/deployment/mail", NULL, NULL}, /* Pending */
	{"k8s:shop/deployment/ads", NULL, NULL},  /* scaled to zero */
	{"node:kind-worker", NULL, NULL},	  /* nodes are not workloads that run */
};

START_TEST(test_shape_running)
{
	struct inventory *inv = load_shapes();
	struct graph *g = graph_new();
	const struct graph_workload *w;
	uint64_t first = 0, last = 0;
	bool ran;

	for (size_t i = 0; i < inventory_workload_count(inv); i++)
		(void)graph_add_workload(g, inventory_workload(inv, i));
	inventory_note_running(inv, g, ts(TS("10:00:00")), ts(TS("10:00:30")));
	w = graph_find_workload(g, shape_running_cases[_i].id);
	ck_assert_ptr_nonnull(w);
	ran = graph_workload_running(g, w, &first, &last);
	ck_assert_msg(ran == (shape_running_cases[_i].first != NULL), "%s: ran %d",
		      shape_running_cases[_i].id, ran);
	if (ran) {
		ck_assert_uint_eq(first, ts(shape_running_cases[_i].first));
		ck_assert_uint_eq(last, ts(shape_running_cases[_i].last));
	}
	graph_free(g);
	inventory_free(inv);
}
END_TEST

struct warnings {
	char text[4096];
	size_t n;
};

static void collect_warning(void *userdata, const char *msg)
{
	struct warnings *w = userdata;
	size_t len = strlen(w->text);

	snprintf(w->text + len, sizeof(w->text) - len, "%s\n", msg);
	w->n++;
}

/* Said once each, however often the inventory is rebuilt. */
START_TEST(test_shape_warnings)
{
	struct inventory *inv = inventory_new();
	struct warnings w = {"", 0};
	struct util_err err = {{0}};

	inventory_set_warn(inv, collect_warning, &w);
	ck_assert_msg(inventory_load(inv, SHAPES, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(inventory_add_cluster_range(inv, "10.250.0.0/16"), 0);
	ck_assert_int_eq(inventory_load(inv, INV_DIR "services-only.yaml", &err), 0);
	ck_assert_int_eq(inventory_load(inv, INV_DIR "nodes.yaml", &err), 0);
	ck_assert_str_eq(w.text,
			 "two Running pods claim 10.244.1.77: shop/stale-a and shop/stale-b; "
			 "flows from it are taken as the latter's\n" INV_DIR
			 "services-only.yaml: holds no Pod, Node, controller or container, so it "
			 "names no workload (kubectl get pods,nodes,... -A, or docker inspect of "
			 "containers)\n");
	ck_assert_int_eq(inventory_add_cluster_range(inv, "10.250.0.0"), -EINVAL);
	ck_assert_int_eq(inventory_add_cluster_range(inv, "10.250.0.0/33"), -EINVAL);
	inventory_free(inv);
}
END_TEST

/*
 * Where no range is given, ClusterIPs tell where the service range lies, but never wider than
 * a service range can be: two ranges far apart stay two (not a prefix over everything).
 */
static const struct {
	const char *what, *ip, *id;
} inferred_cases[] = {
	{"inside the first range", "10.96.7.7", "unknown:10.96.0.0/20"},
	{"inside the second range", "172.20.0.33", "unknown:172.20.0.0/26"},
	{"between them: outside", "100.64.0.1", "external:100.64.0.1/32"},
	{"the internet: outside", "203.0.113.9", "external:203.0.113.9/32"},
	{"IPv6, within a /108", "fd00:10:96::fff", "unknown:fd00:10:96::/116"},
	{"IPv6, outside", "2001:db8::1", "external:2001:db8::1/128"},
};

START_TEST(test_inferred_ranges)
{
	static const char text[] =
		"apiVersion: v1\nkind: List\nitems:\n"
		"- {kind: Service, apiVersion: v1, metadata: {name: a, namespace: x}, spec: "
		"{clusterIPs: [10.96.0.10, 'fd00:10:96::a'], ports: [{port: 80}]}}\n"
		"- {kind: Service, apiVersion: v1, metadata: {name: b, namespace: x}, spec: "
		"{clusterIPs: [10.96.12.1, 'fd00:10:96::f00'], ports: [{port: 80}]}}\n"
		"- {kind: Service, apiVersion: v1, metadata: {name: c, namespace: x}, spec: "
		"{clusterIP: 172.20.0.10, ports: [{port: 80}]}}\n"
		"- {kind: Service, apiVersion: v1, metadata: {name: d, namespace: x}, spec: "
		"{clusterIP: 172.20.0.60, ports: [{port: 80}]}}\n";
	char path[] = "/tmp/test-inventory-XXXXXX";
	struct inventory *inv = inventory_new();
	struct util_addr a = addr(inferred_cases[_i].ip);
	struct util_err err = {{0}};
	struct graph_workload *w;

	test_write_temp(path, text, sizeof(text) - 1);
	ck_assert_msg(inventory_load(inv, path, &err) == 0, "%s", err.msg);
	unlink(path);
	w = inventory_resolve_client(inv, &a);
	ck_assert_msg(strcmp(graph_workload_id(w), inferred_cases[_i].id) == 0, "%s: %s, not %s",
		      inferred_cases[_i].what, graph_workload_id(w), inferred_cases[_i].id);
	inventory_free(inv);
}
END_TEST

/*
 * Two snapshots of one job pod: Running in the first, Succeeded (ran 10:00:00 to 10:00:10) in
 * the second. In either order the finished record wins: after 10:00:10 the address is nobody's,
 * and the job ran only then.
 */
static const char snap_running[] =
	"apiVersion: v1\nkind: Pod\nmetadata: {name: job-a, namespace: x, uid: u-1, labels: "
	"{app: a}}\nspec: {nodeName: n}\nstatus: {phase: Running, startTime: "
	"'2026-11-30T10:00:00Z', podIP: 10.244.0.7}\n";
static const char snap_done[] =
	"apiVersion: v1\nkind: Pod\nmetadata: {name: job-a, namespace: x, uid: u-1, labels: "
	"{app: a}}\nspec: {nodeName: n}\nstatus: {phase: Succeeded, startTime: "
	"'2026-11-30T10:00:00Z', podIP: 10.244.0.7, containerStatuses: [{name: c, state: "
	"{terminated: {startedAt: '2026-11-30T10:00:00Z', finishedAt: '2026-11-30T10:00:10Z'}}}]}"
	"\n---\napiVersion: v1\nkind: Node\nmetadata: {name: n}\nspec: {podCIDR: 10.244.0.0/24}\n";

START_TEST(test_snapshots)
{
	const char *texts[2] = {_i ? snap_done : snap_running, _i ? snap_running : snap_done};
	struct inventory *inv = inventory_new();
	struct graph *g = graph_new();
	struct util_addr a = addr("10.244.0.7");
	struct util_err err = {{0}};
	uint64_t first = 0, last = 0;
	const struct graph_workload *job;

	for (int i = 0; i < 2; i++) {
		char path[] = "/tmp/test-inventory-XXXXXX";

		test_write_temp(path, texts[i], strlen(texts[i]));
		ck_assert_msg(inventory_load(inv, path, &err) == 0, "%s", err.msg);
		unlink(path);
	}
	ck_assert_str_eq(
		graph_workload_id(inventory_resolve_client_at(inv, &a, ts(TS("10:00:05")))),
		"k8s:x/pod/job-a");
	ck_assert_str_eq(
		graph_workload_id(inventory_resolve_client_at(inv, &a, ts(TS("10:00:30")))),
		"unknown:10.244.0.0/24");
	for (size_t i = 0; i < inventory_workload_count(inv); i++)
		(void)graph_add_workload(g, inventory_workload(inv, i));
	inventory_note_running(inv, g, ts(TS("09:00:00")), ts(TS("11:00:00")));
	job = graph_find_workload(g, "k8s:x/pod/job-a");
	ck_assert(graph_workload_running(g, job, &first, &last));
	ck_assert_uint_eq(first, ts(TS("10:00:00")));
	ck_assert_uint_eq(last, ts(TS("10:00:10")));
	graph_free(g);
	inventory_free(inv);
}
END_TEST

static Suite *inventory_suite(void)
{
	Suite *s = suite_create("inventory");
	TCase *tc = tcase_create("inventory");

	tcase_add_loop_test(tc, test_workloads, 0, (int)UTIL_ARRAY_SIZE(workload_cases));
	tcase_add_loop_test(tc, test_list_items, 0, (int)UTIL_ARRAY_SIZE(list_cases));
	tcase_add_test(tc, test_pending_and_running);
	tcase_add_loop_test(tc, test_labels, 0, (int)UTIL_ARRAY_SIZE(label_cases));
	tcase_add_loop_test(tc, test_ip, 0, (int)UTIL_ARRAY_SIZE(ip_cases));
	tcase_add_loop_test(tc, test_nodes, 0, (int)UTIL_ARRAY_SIZE(node_cases));
	tcase_add_loop_test(tc, test_service, 0, (int)UTIL_ARRAY_SIZE(svc_cases));
	tcase_add_loop_test(tc, test_external, 0, (int)UTIL_ARRAY_SIZE(ext_cases));
	tcase_add_test(tc, test_external_flood);
	tcase_add_test(tc, test_external_prefix_range);
	tcase_add_loop_test(tc, test_bad, 0, (int)UTIL_ARRAY_SIZE(bad_cases));
	tcase_add_loop_test(tc, test_special, 0, (int)UTIL_ARRAY_SIZE(special_cases));
	tcase_add_loop_test(tc, test_flow, 0, (int)UTIL_ARRAY_SIZE(flow_cases));
	tcase_add_loop_test(tc, test_flow_outlives_inventory, 0, 2);
	tcase_add_test(tc, test_shape_workloads);
	tcase_add_loop_test(tc, test_shape_ip, 0, (int)UTIL_ARRAY_SIZE(shape_ip_cases));
	tcase_add_loop_test(tc, test_shape_service, 0, (int)UTIL_ARRAY_SIZE(shape_svc_cases));
	tcase_add_loop_test(tc, test_shape_running, 0, (int)UTIL_ARRAY_SIZE(shape_running_cases));
	tcase_add_test(tc, test_shape_warnings);
	tcase_add_loop_test(tc, test_flow_memo, 0, (int)UTIL_ARRAY_SIZE(memo_cases));
	tcase_add_test(tc, test_flow_memo_many);
	tcase_add_loop_test(tc, test_add_flows, 0, (int)UTIL_ARRAY_SIZE(batch_cases));
	tcase_add_test(tc, test_service_outside_flood);
	tcase_add_loop_test(tc, test_inferred_ranges, 0, (int)UTIL_ARRAY_SIZE(inferred_cases));
	tcase_add_loop_test(tc, test_snapshots, 0, 2);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return test_run(inventory_suite());
}
