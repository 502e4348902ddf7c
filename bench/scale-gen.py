#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""scale-gen.py - writes a synthetic cluster of W workloads for bench/scale.sh.

Usage: bench/scale-gen.py [--seed N] [--node-states N] [--node-edges E] [--no-node-states]
                          WORKLOADS OUTDIR

Deterministic for a given seed and WORKLOADS. Pods are 2.5 W, application namespaces
max(4, W/200), nodes max(3, W/80). The W workloads are what flowlock calls k8s workloads (with a
NetworkPolicy of their own); kube-proxy (a hostNetwork DaemonSet) and the control plane's static
pods come on top, and flowlock counts them as their nodes. Writes into OUTDIR:

  cluster.json   kubectl get pods,services,endpointslices,nodes,namespaces -A -o json, as a real
                 cluster prints it: managedFields, last-applied annotations, conditions, statuses,
                 dual-stack addresses. About 27 KB per pod, its Services and EndpointSlices
                 included (a pod alone about 22 KB: one container, the two writers' managedFields
                 and the List's indent make that already), so 550 MB at W=8000
  pods.yaml      kubectl get pods,namespaces -A -o yaml of the same cluster, lean: no
                 managedFields, annotations or container statuses (about 860 bytes a pod)
  state.yaml     a flowlock state: the W workloads, the nodes, a few outside peers, 3.2 W edges
  state-b.yaml   the same workloads, 5% of the edges gone and as many new ones (for diff, merge)
  nodes/         node states (`node: NAME`), each a random draw of the same edge set, so they
                 overlap (default W/8 states, at most 1,000, of min(1,000, edges) edges)
  manifest.json  the counts and the k8s workload ids, to check what flowlock found
"""
import argparse
import json
import os
import random
import re
import sys
import time

HASH_CHARS = "bcdfghjklmnpqrstvwxz2456789"  # Kubernetes' SafeEncodeString alphabet
APP_WORDS = [
    "payments", "orders", "cart", "checkout", "catalog", "search", "inventory", "shipping",
    "billing", "auth", "users", "profile", "notifications", "email", "recommendations",
    "reviews", "pricing", "ledger", "fraud", "analytics", "reporting", "gateway", "frontend",
    "media", "upload", "thumbnail", "geo", "session", "config", "audit", "loyalty", "quotes",
]
ROLE_WORDS = ["api", "worker", "svc", "consumer", "scheduler", "web", "grpc", "sync",
              "indexer", "router", "backend", "processor"]
NS_WORDS = ["shop", "payments", "identity", "search", "media", "data", "ml", "platform",
            "logistics", "ads", "growth", "support", "finance", "risk", "content", "mobile"]
IMAGES = ["registry.example.com/{ns}/{name}:v{v}", "ghcr.io/example/{name}:{v}",
          "123456789012.dkr.ecr.eu-west-1.amazonaws.com/{ns}-{name}:release-{v}"]
SIDE_IMAGES = [("envoy", "docker.io/envoyproxy/envoy:v1.31.2", 9901, "envoy-admin"),
               ("log-shipper", "cr.fluentbit.io/fluent/fluent-bit:3.2.6", 2020, "fb-metrics"),
               ("cloudsql-proxy", "gcr.io/cloud-sql-connectors/cloud-sql-proxy:2.14.1", None,
                None)]
T0 = 1796083200  # 2026-12-01T00:00:00Z: the observation window starts here


def ts(sec):
    """An API timestamp, to the second."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(sec))


def ts_ns(ns):
    """A flowlock state time, to the nanosecond."""
    return "%s.%09dZ" % (time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ns // 10**9)),
                         ns % 10**9)


class Gen:
    def __init__(self, w, seed):
        self.w = w
        self.rnd = random.Random(seed * 1000003 + w)
        self.rv = 1000

    def uid(self):
        r = self.rnd.getrandbits(128)
        h = "%032x" % r
        return "%s-%s-4%s-%s-%s" % (h[:8], h[8:12], h[13:16], "89ab"[r & 3] + h[17:20], h[20:])

    def suffix(self, n):
        return "".join(self.rnd.choice(HASH_CHARS) for _ in range(n))

    def resource_version(self):
        self.rv += self.rnd.randint(1, 40)
        return str(self.rv)


# ---- fieldsV1: the field sets managedFields records, derived from the object itself ----------

# Lists merged by a key, as the API's schemas declare them; any other list is atomic: one field.
LIST_KEYS = ("containerPort", "mountPath", "name", "type", "ip", "uid")
ATOMIC = {"containerStatuses", "initContainerStatuses", "tolerations", "sources", "images",
          "endpoints", "finalizers", "command", "args"}


def list_key(item):
    if "containerPort" in item:
        return 'k:{"containerPort":%d,"protocol":"%s"}' % (item["containerPort"],
                                                          item.get("protocol", "TCP"))
    for k in LIST_KEYS:
        if k in item:
            return "k:" + json.dumps({k: item[k]}, separators=(",", ":"))
    return None


def fields_v1(v, depth=0):
    """The fieldsV1 tree of v: every field "f:NAME", a keyed list item "k:{...}", and "." for a
    map or list item that is itself set (not for the top-level maps)."""
    if isinstance(v, dict):
        out = {} if depth < 2 else {".": {}}
        for k, x in v.items():
            out["f:" + k] = {} if k in ATOMIC else fields_v1(x, depth + 1)
        return out
    if isinstance(v, list) and v and isinstance(v[0], dict) and list_key(v[0]):
        out = {".": {}}
        for item in v:
            out[list_key(item)] = fields_v1(item, 2)
        return out
    return {}


def managed(manager, op, when, fields, subresource=None, api="v1"):
    m = {"apiVersion": api, "fieldsType": "FieldsV1", "fieldsV1": fields, "manager": manager,
         "operation": op, "time": ts(when)}
    if subresource:
        m["subresource"] = subresource
    return m


def last_applied(obj):
    """kubectl apply's annotation: the object as applied, compact JSON, ending in a newline."""
    return json.dumps(obj, separators=(",", ":"), sort_keys=True) + "\n"


# ---- the cluster model --------------------------------------------------------------------------

class Node:
    def __init__(self, i, name, control_plane):
        self.i, self.name, self.cp = i, name, control_plane
        self.ip4 = "172.18.%d.%d" % (i // 250, i % 250 + 2)
        self.ip6 = "fc00:f853:ccd:e793::%x" % (i + 2)
        # /23 per node (--node-cidr-mask-size=23): 2.5 W pods on W/80 nodes is 200 a node
        self.net4 = (10 << 24) | (244 << 16) | (i << 9)
        self.cidr4 = "%d.%d.%d.0/23" % (self.net4 >> 24, self.net4 >> 16 & 255,
                                        self.net4 >> 8 & 255)
        self.cidr6 = "fd00:10:244:%x::/64" % i
        self.next_host = 2
        self.pods = 0

    def pod_ips(self):
        h = self.next_host
        self.next_host += 1
        if h > 510:
            sys.exit("scale-gen: node %s has no pod address left" % self.name)
        a = self.net4 + h
        return ("%d.%d.%d.%d" % (a >> 24, a >> 16 & 255, a >> 8 & 255, a & 255),
                "fd00:10:244:%x::%x" % (self.i, h))


class Workload:
    def __init__(self, ns, kind, name, labels, ports, replicas, host_network=False):
        self.ns, self.kind, self.name = ns, kind, name
        self.labels = labels  # the selector every pod carries: the state's labels
        self.ports = ports  # [(port, name)] that the main container serves, TCP
        self.replicas = replicas
        self.host_network = host_network
        self.pods = []
        self.service = None
        self.hash = None

    def id(self):
        return "k8s:%s/%s/%s" % (self.ns, self.kind.lower(), self.name)


def plan(g, w):
    """Namespaces, nodes and the workloads with their replica counts, to 2.5 W pods."""
    rnd = g.rnd
    n_ns = max(4, w // 200)
    n_nodes = max(3, w // 80)
    target_pods = int(w * 2.5)
    nss = []
    for i in range(n_ns):
        base = NS_WORDS[i % len(NS_WORDS)]
        nss.append(base if i < len(NS_WORDS) else "%s-%d" % (base, i // len(NS_WORDS) + 1))
    n_cp = 3 if n_nodes >= 10 else 1
    nodes = [Node(i, "control-plane-%d" % i if i < n_cp else "worker-%03d" % i, i < n_cp)
             for i in range(n_nodes)]

    wls = []
    # kube-system as a cluster has it: CoreDNS, metrics-server, and kube-proxy on every node
    wls.append(Workload("kube-system", "Deployment", "coredns", {"k8s-app": "kube-dns"},
                        [(53, "dns-tcp"), (9153, "metrics")], 2))
    wls.append(Workload("kube-system", "Deployment", "metrics-server",
                        {"k8s-app": "metrics-server"}, [(10250, "https")], 1))
    extra = [Workload("kube-system", "DaemonSet", "kube-proxy", {"k8s-app": "kube-proxy"},
                      [(10249, "metrics")], n_nodes, host_network=True)]
    n_ds = max(1, w // 2000)
    apps = w - len(wls)
    used = set()
    for k in range(apps):
        ns = nss[k % n_ns] if k < n_ns else rnd.choice(nss)
        r = rnd.random()
        if k < n_ds:
            kind, name = "DaemonSet", ["log-agent", "node-problem-detector", "csi-node",
                                       "trace-agent"][k % 4]
        elif r < 0.08:
            kind = "CronJob"
        elif r < 0.18:
            kind = "StatefulSet"
        elif r < 0.19:
            kind = "Pod"
        else:
            kind = "Deployment"
        if kind != "DaemonSet":
            if kind == "StatefulSet":
                name = rnd.choice(APP_WORDS) + "-" + rnd.choice(["db", "cache", "queue",
                                                                  "store", "kafka", "zk"])
            elif kind == "CronJob":
                name = rnd.choice(APP_WORDS) + "-" + rnd.choice(["report", "cleanup", "sync",
                                                                  "backup", "rollup"])
            else:
                name = rnd.choice(APP_WORDS) + "-" + rnd.choice(ROLE_WORDS)
        base, n = name, 2
        while (ns, name) in used:
            name = "%s-%d" % (base, n)
            n += 1
        used.add((ns, name))
        if rnd.random() < 0.3:
            labels = {"app": name}
        else:
            labels = {"app.kubernetes.io/name": name, "app.kubernetes.io/instance": name,
                      "app.kubernetes.io/part-of": ns}
            if rnd.random() < 0.5:
                labels["app.kubernetes.io/component"] = rnd.choice(["backend", "frontend",
                                                                    "worker", "database"])
            if rnd.random() < 0.4:
                labels["app.kubernetes.io/version"] = "%d.%d.%d" % (
                    rnd.randint(0, 4), rnd.randint(0, 30), rnd.randint(0, 9))
            if rnd.random() < 0.3:
                labels["team"] = ns
        if kind == "CronJob":
            ports = []
        elif kind == "StatefulSet":
            ports = [(rnd.choice([5432, 6379, 9092, 2181, 27017, 3306]), "tcp-main")]
            if rnd.random() < 0.5:
                ports.append((9187, "metrics"))
        elif kind == "DaemonSet":
            ports = [(2020, "metrics")]
        else:
            ports = [(rnd.choice([8080, 8080, 8443, 9000, 3000, 5000]), "http")]
            if rnd.random() < 0.5:
                ports.append((rnd.choice([9090, 50051]), "grpc" if rnd.random() < 0.5
                              else "admin"))
            if rnd.random() < 0.4:
                ports.append((9102, "metrics"))
        replicas = n_nodes if kind == "DaemonSet" else 1
        wls.append(Workload(ns, kind, name, labels, ports, replicas))

    # replicas: the rest of the 2.5 W pods over Deployments and StatefulSets
    static = 2 * sum(1 for n in nodes if n.cp)
    fixed = sum(x.replicas for x in wls + extra) + static
    scalable = [x for x in wls if x.kind in ("Deployment", "StatefulSet")]
    left = max(0, target_pods - fixed)
    for _ in range(left):
        rnd.choice(scalable).replicas += 1
    return nss, nodes, wls, extra


def container(g, wl, token):
    rnd = g.rnd
    env = [{"name": "LOG_LEVEL", "value": rnd.choice(["info", "debug", "warn"])}]
    for i in range(rnd.choice([0, 0, 1, 2])):
        dep = rnd.choice(APP_WORDS)
        env.append({"name": "%s_ADDR" % dep.upper(),
                    "value": "%s-api.%s.svc.cluster.local:8080" % (dep, wl.ns)})
    c = {"env": env,
         "image": rnd.choice(IMAGES).format(ns=wl.ns, name=wl.name,
                                            v="%d.%d.%d" % (rnd.randint(0, 4),
                                                            rnd.randint(0, 30),
                                                            rnd.randint(0, 9))),
         "imagePullPolicy": "IfNotPresent", "name": "main",
         "resources": {"limits": {"memory": "%dMi" % rnd.choice([256, 512, 1024])},
                       "requests": {"cpu": "%dm" % rnd.choice([50, 100, 250]),
                                    "memory": "%dMi" % rnd.choice([64, 128, 256])}},
         "terminationMessagePath": "/dev/termination-log",
         "terminationMessagePolicy": "File",
         "volumeMounts": [{"mountPath": "/var/run/secrets/kubernetes.io/serviceaccount",
                           "name": token, "readOnly": True}]}
    if wl.ports:
        c["ports"] = [{"containerPort": p, "name": n, "protocol": "TCP"} for p, n in wl.ports]
        if wl.ns == "kube-system" and wl.name == "coredns":
            c["ports"].insert(0, {"containerPort": 53, "name": "dns", "protocol": "UDP"})
        probe = {"failureThreshold": 3, "initialDelaySeconds": 5, "periodSeconds": 10,
                 "successThreshold": 1, "timeoutSeconds": 1}
        if wl.ports[0][1] == "http":
            probe["httpGet"] = {"path": "/healthz", "port": "http", "scheme": "HTTP"}
        else:
            probe["tcpSocket"] = {"port": wl.ports[0][0]}
        c["readinessProbe"] = probe
    return c


def sidecar(g, name, image, port, port_name):
    c = {"image": image, "imagePullPolicy": "IfNotPresent", "name": name,
         "resources": {"requests": {"cpu": "10m", "memory": "32Mi"}},
         "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File",
         "volumeMounts": [{"mountPath": "/var/log/app", "name": "logs"}]}
    if port:
        c["ports"] = [{"containerPort": port, "name": port_name, "protocol": "TCP"}]
    return c


def pod_object(g, wl, idx, node, phase, created):
    """One pod as the API server returns it, and its lean copy for pods.yaml."""
    rnd = g.rnd
    labels = dict(wl.labels)
    owner = None
    if wl.kind == "Deployment":
        name = "%s-%s-%s" % (wl.name, wl.hash, g.suffix(5))
        labels["pod-template-hash"] = wl.hash
        owner = ("apps/v1", "ReplicaSet", "%s-%s" % (wl.name, wl.hash))
    elif wl.kind == "StatefulSet":
        name = "%s-%d" % (wl.name, idx)
        labels.update({"apps.kubernetes.io/pod-index": str(idx),
                       "controller-revision-hash": "%s-%s" % (wl.name, wl.hash),
                       "statefulset.kubernetes.io/pod-name": name})
        owner = ("apps/v1", "StatefulSet", wl.name)
    elif wl.kind == "DaemonSet":
        name = "%s-%s" % (wl.name, g.suffix(5))
        labels.update({"controller-revision-hash": wl.hash, "pod-template-generation": "3"})
        owner = ("apps/v1", "DaemonSet", wl.name)
    elif wl.kind == "CronJob":
        job = "%s-%d" % (wl.name, 29400000 + rnd.randint(0, 99999))
        name = "%s-%s" % (job, g.suffix(5))
        juid = g.uid()
        labels.update({"batch.kubernetes.io/controller-uid": juid,
                       "batch.kubernetes.io/job-name": job, "controller-uid": juid,
                       "job-name": job})
        owner = ("batch/v1", "Job", job)
    elif wl.kind == "StaticPod":
        name = "%s-%s" % (wl.name, node.name)
        owner = ("v1", "Node", node.name)
    else:
        name = wl.name if idx == 0 else "%s-%d" % (wl.name, idx)
    uid = g.uid()
    annotations = {}
    if wl.kind == "Pod":
        annotations["kubectl.kubernetes.io/last-applied-configuration"] = last_applied(
            {"apiVersion": "v1", "kind": "Pod",
             "metadata": {"annotations": {}, "labels": wl.labels, "name": name,
                          "namespace": wl.ns},
             "spec": {"containers": [{"image": "registry.example.com/%s/%s:stable"
                                      % (wl.ns, wl.name), "name": "main"}]}})
    elif wl.kind == "StaticPod":
        annotations.update({"kubernetes.io/config.hash": "%032x" % rnd.getrandbits(128),
                            "kubernetes.io/config.source": "file"})
    else:
        annotations["kubectl.kubernetes.io/restartedAt"] = ts(created - 86400)
    if wl.ports and rnd.random() < 0.6:
        annotations.update({"prometheus.io/path": "/metrics", "prometheus.io/port": "9102",
                            "prometheus.io/scrape": "true"})
    if rnd.random() < 0.3:
        annotations["checksum/config"] = "%064x" % rnd.getrandbits(256)

    token = "kube-api-access-%s" % g.suffix(5)
    containers = [container(g, wl, token)]
    n_side = rnd.choice([0, 0, 0, 0, 0, 0, 0, 0, 1, 2])
    for s in rnd.sample(SIDE_IMAGES, n_side):
        containers.append(sidecar(g, *s))
    spec = {"containers": containers, "dnsPolicy": "ClusterFirst", "enableServiceLinks": True,
            "preemptionPolicy": "PreemptLowerPriority", "priority": 0,
            "restartPolicy": "OnFailure" if wl.kind == "CronJob" else "Always",
            "schedulerName": "default-scheduler", "securityContext": {"fsGroup": 10001},
            "serviceAccount": wl.name, "serviceAccountName": wl.name,
            "terminationGracePeriodSeconds": 30,
            "tolerations": [{"effect": "NoExecute", "key": "node.kubernetes.io/not-ready",
                             "operator": "Exists", "tolerationSeconds": 300},
                            {"effect": "NoExecute", "key": "node.kubernetes.io/unreachable",
                             "operator": "Exists", "tolerationSeconds": 300}],
            "volumes": [{"name": token, "projected": {"defaultMode": 420, "sources": [
                {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                {"configMap": {"items": [{"key": "ca.crt", "path": "ca.crt"}],
                               "name": "kube-root-ca.crt"}}]}}]}
    if n_side:
        spec["volumes"].insert(0, {"emptyDir": {}, "name": "logs"})
    if wl.host_network:
        spec["hostNetwork"] = True
        spec["dnsPolicy"] = "ClusterFirstWithHostNet"
    if wl.kind == "StatefulSet":
        spec["hostname"] = name
        spec["subdomain"] = wl.name
    if node is not None:
        spec["nodeName"] = node.name
    meta = {"annotations": annotations, "creationTimestamp": ts(created), "labels": labels,
            "name": name, "namespace": wl.ns, "resourceVersion": g.resource_version(),
            "uid": uid}
    if owner:
        meta["ownerReferences"] = [{"apiVersion": owner[0], "blockOwnerDeletion": True,
                                    "controller": True, "kind": owner[1], "name": owner[2],
                                    "uid": g.uid()}]
        if wl.kind != "StaticPod":
            meta["generateName"] = name[:name.rfind("-") + 1]

    # status
    started = created + rnd.randint(2, 40)
    conds = [("PodReadyToStartContainers", "True"), ("Initialized", "True"),
             ("Ready", "True"), ("ContainersReady", "True"), ("PodScheduled", "True")]
    status = {"phase": phase, "qosClass": "Burstable"}
    ip4 = ip6 = None
    if phase == "Pending" and node is None:
        conds = [("PodScheduled", "False")]
    elif phase == "Pending":
        conds = [("PodReadyToStartContainers", "False"), ("Initialized", "True"),
                 ("Ready", "False"), ("ContainersReady", "False"), ("PodScheduled", "True")]
    elif phase == "Succeeded":
        conds = [("PodReadyToStartContainers", "False"), ("Initialized", "True"),
                 ("Ready", "False"), ("ContainersReady", "False"), ("PodScheduled", "True")]
    status["conditions"] = []
    for t, s in conds:
        c = {"lastProbeTime": None, "lastTransitionTime": ts(started), "status": s, "type": t}
        if s == "False" and t == "PodScheduled":
            c.update({"message": "0/%d nodes are available: %d Insufficient cpu. preemption:"
                      " 0/%d nodes are available: %d No preemption victims found for incoming"
                      " pod." % (g.n_nodes, g.n_nodes, g.n_nodes, g.n_nodes),
                      "reason": "Unschedulable"})
        elif s == "False" and phase == "Succeeded" and t in ("Ready", "ContainersReady"):
            c["reason"] = "PodCompleted"
        elif s == "False" and t in ("Ready", "ContainersReady"):
            c.update({"message": "containers with unready status: [main]",
                      "reason": "ContainersNotReady"})
        status["conditions"].append(c)
    if node is not None:
        status["hostIP"] = node.ip4
        status["hostIPs"] = [{"ip": node.ip4}, {"ip": node.ip6}]
        if wl.host_network:
            ip4, ip6 = node.ip4, node.ip6
        elif phase != "Pending":
            ip4, ip6 = node.pod_ips()
        if ip4:
            status["podIP"] = ip4
            status["podIPs"] = [{"ip": ip4}, {"ip": ip6}]
        status["startTime"] = ts(started)
        cs = []
        for c in containers:
            st = {"containerID": "containerd://%064x" % rnd.getrandbits(256),
                  "image": c["image"],
                  "imageID": c["image"].split(":")[0] + "@sha256:%064x" % rnd.getrandbits(256),
                  "lastState": {}, "name": c["name"], "ready": phase == "Running",
                  "restartCount": rnd.choice([0, 0, 0, 1, 3]), "started": phase == "Running",
                  }
            if phase == "Running":
                st["state"] = {"running": {"startedAt": ts(started + 3)}}
            elif phase == "Succeeded":
                st["state"] = {"terminated": {
                    "containerID": st["containerID"], "exitCode": 0,
                    "finishedAt": ts(started + 95), "reason": "Completed",
                    "startedAt": ts(started + 3)}}
            else:
                del st["containerID"]
                st["imageID"] = ""
                st["state"] = {"waiting": {"reason": "ContainerCreating"}}
            cs.append(st)
        status["containerStatuses"] = cs
    obj = {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec, "status": status}

    mf_meta = {k: v for k, v in meta.items()
               if k in ("generateName", "labels", "ownerReferences", "annotations")}
    if "ownerReferences" in mf_meta:
        mf_meta["ownerReferences"] = [{"uid": mf_meta["ownerReferences"][0]["uid"]}]
    writer = {"Deployment": "kube-controller-manager", "StatefulSet": "kube-controller-manager",
              "DaemonSet": "kube-controller-manager", "CronJob": "kube-controller-manager",
              "Pod": "kubectl-client-side-apply", "StaticPod": "kubelet"}[wl.kind]
    meta["managedFields"] = [
        managed(writer, "Update", created, fields_v1({"metadata": mf_meta, "spec": {
            k: v for k, v in spec.items() if k != "nodeName"}})),
    ]
    if node is None:  # only the scheduler has written its status
        meta["managedFields"].append(managed("kube-scheduler", "Update", created, fields_v1(
            {"status": {"conditions": status["conditions"]}}), subresource="status"))
    else:
        meta["managedFields"].append(managed("kubelet", "Update", started, fields_v1(
            {"status": status}), subresource="status"))

    lean_meta = {"labels": labels, "name": name, "namespace": wl.ns, "uid": uid}
    if owner:
        lean_meta["ownerReferences"] = [{"apiVersion": owner[0], "controller": True,
                                         "kind": owner[1], "name": owner[2]}]
    lean_spec = {"containers": [{"name": c["name"], "ports": c["ports"]} if "ports" in c
                                else {"name": c["name"]} for c in containers[:1]]}
    if node is not None:
        lean_spec["nodeName"] = node.name
    if wl.host_network:
        lean_spec["hostNetwork"] = True
    lean_status = {"phase": phase}
    if ip4:
        lean_status["podIP"] = ip4
        lean_status["podIPs"] = [{"ip": ip4}, {"ip": ip6}]
    if node is not None:
        lean_status["hostIP"] = node.ip4
        lean_status["startTime"] = ts(started)
    lean = {"apiVersion": "v1", "kind": "Pod", "metadata": lean_meta, "spec": lean_spec,
            "status": lean_status}
    wl.pods.append({"name": name, "uid": uid, "node": node, "ip4": ip4, "ip6": ip6,
                    "ready": phase == "Running"})
    return obj, lean


def build_pods(g, nodes, wls, extra):
    rnd = g.rnd
    workers = [n for n in nodes if not n.cp] or nodes
    pods = []
    created0 = T0 - 20 * 86400
    for wl in wls + extra:
        wl.hash = g.suffix(10 if wl.kind == "Deployment" else 9)
        for i in range(wl.replicas):
            if wl.kind == "DaemonSet":
                node = nodes[i % len(nodes)]
            else:
                node = min(rnd.sample(workers, min(2, len(workers))), key=lambda n: n.pods)
            r = rnd.random()
            phase = "Running"
            if wl.kind == "CronJob":
                phase = "Succeeded" if r < 0.8 else "Running"
            elif wl.kind not in ("DaemonSet",) and r < 0.006:
                phase, node = "Pending", None  # unschedulable
            elif wl.kind not in ("DaemonSet",) and r < 0.012:
                phase = "Pending"  # scheduled, containers being created
            if node:
                node.pods += 1
            pods.append(pod_object(g, wl, i, node, phase,
                                   created0 + rnd.randint(0, 19 * 86400)))
    # the control plane's static pods: hostNetwork, owned by their Node
    for n in nodes:
        if not n.cp:
            continue
        for comp, port in (("kube-apiserver", 6443), ("etcd", 2379)):
            wl = Workload("kube-system", "StaticPod", comp,
                          {"component": comp, "tier": "control-plane"}, [(port, "https")], 1,
                          host_network=True)
            pods.append(pod_object(g, wl, 0, n, "Running", created0))
    pods.sort(key=lambda p: (p[0]["metadata"]["namespace"], p[0]["metadata"]["name"]))
    return pods


def build_services(g, wls):
    rnd = g.rnd
    services, slices = [], []
    k = 20
    for wl in wls:
        if not wl.ports or wl.kind in ("CronJob", "DaemonSet"):
            continue
        headless = wl.kind == "StatefulSet"
        typ = "ClusterIP"
        if not headless and rnd.random() < 0.03:
            typ = rnd.choice(["NodePort", "LoadBalancer"])
        name = wl.name if wl.name != "coredns" else "kube-dns"
        uid = g.uid()
        ports = []
        for p, pn in wl.ports:
            sp = {"name": pn, "port": 80 if pn == "http" else p, "protocol": "TCP",
                  "targetPort": pn if rnd.random() < 0.5 else p}
            if typ != "ClusterIP":
                sp["nodePort"] = 30000 + (k * 7 + p) % 2767
            ports.append(sp)
        if name == "kube-dns":
            ports.insert(0, {"name": "dns", "port": 53, "protocol": "UDP", "targetPort": 53})
            ip4, ip6 = "10.96.0.10", "fd00:10:96::a"
        else:
            ip4, ip6 = "10.96.%d.%d" % (k // 256, k % 256), "fd00:10:96::%x" % k
            k += 1
        applied = {"apiVersion": "v1", "kind": "Service",
                   "metadata": {"annotations": {}, "labels": wl.labels, "name": name,
                                "namespace": wl.ns},
                   "spec": {"ports": [{key: v for key, v in p.items() if key != "nodePort"}
                                      for p in ports], "selector": wl.labels}}
        if headless:
            applied["spec"]["clusterIP"] = "None"
        if typ != "ClusterIP":
            applied["spec"]["type"] = typ
        spec = {"clusterIP": "None" if headless else ip4,
                "clusterIPs": ["None"] if headless else [ip4, ip6],
                "internalTrafficPolicy": "Cluster",
                "ipFamilies": ["IPv4", "IPv6"], "ipFamilyPolicy": "RequireDualStack" if headless
                else "PreferDualStack", "ports": ports, "selector": wl.labels,
                "sessionAffinity": "None", "type": typ}
        if typ != "ClusterIP":
            spec["externalTrafficPolicy"] = "Cluster"
        if typ == "LoadBalancer":
            spec["allocateLoadBalancerNodePorts"] = True
        status = {"loadBalancer": {}}
        if typ == "LoadBalancer":
            status["loadBalancer"] = {"ingress": [{"ip": "198.51.100.%d" % (k % 250 + 2),
                                                   "ipMode": "VIP"}]}
        created = T0 - 21 * 86400 + rnd.randint(0, 86400)
        # applied with kubectl (its annotation), or installed by Helm (its labels)
        helm = rnd.random() < 0.5
        labels = dict(wl.labels, **{"app.kubernetes.io/managed-by": "Helm"}) if helm \
            else wl.labels
        if helm:
            annotations = {"meta.helm.sh/release-name": wl.name,
                           "meta.helm.sh/release-namespace": wl.ns}
        else:
            annotations = {"kubectl.kubernetes.io/last-applied-configuration":
                           last_applied(applied)}
        meta = {"annotations": annotations, "creationTimestamp": ts(created), "labels": labels,
                "name": name, "namespace": wl.ns, "resourceVersion": g.resource_version(),
                "uid": uid}
        meta["managedFields"] = [managed("helm" if helm else "kubectl-client-side-apply",
                                         "Update", created, fields_v1({"metadata": {
                                             "annotations": annotations, "labels": labels},
                                             "spec": {k2: v for k2, v in spec.items()
                                                      if k2 not in ("clusterIP", "clusterIPs",
                                                                    "ipFamilies")}}))]
        if typ == "LoadBalancer":
            meta["managedFields"].append(managed("cloud-controller-manager", "Update", created,
                                                 fields_v1({"status": status}),
                                                 subresource="status"))
        services.append({"apiVersion": "v1", "kind": "Service", "metadata": meta,
                         "spec": spec, "status": status})
        wl.service = name
        # one EndpointSlice per address family, as the controller writes for dual stack
        for fam in ("IPv4", "IPv6"):
            eps = []
            for p in wl.pods:
                if not p["ip4"]:
                    continue
                eps.append({"addresses": [p["ip4"] if fam == "IPv4" else p["ip6"]],
                            "conditions": {"ready": p["ready"], "serving": p["ready"],
                                           "terminating": False},
                            "nodeName": p["node"].name,
                            "targetRef": {"kind": "Pod", "name": p["name"],
                                          "namespace": wl.ns, "uid": p["uid"]},
                            "zone": "eu-west-1" + "abc"[p["node"].i % 3]})
            sl_labels = dict(wl.labels)
            sl_labels.update({"endpointslice.kubernetes.io/managed-by":
                              "endpointslice-controller.k8s.io",
                              "kubernetes.io/service-name": name})
            if headless:
                sl_labels["service.kubernetes.io/headless"] = ""
            sl_meta = {"annotations": {"endpoints.kubernetes.io/last-change-trigger-time":
                                       ts(T0 - rnd.randint(0, 86400))},
                       "creationTimestamp": ts(created), "generateName": name + "-",
                       "generation": rnd.randint(1, 40), "labels": sl_labels,
                       "name": "%s-%s" % (name, g.suffix(5)), "namespace": wl.ns,
                       "ownerReferences": [{"apiVersion": "v1", "blockOwnerDeletion": True,
                                            "controller": True, "kind": "Service",
                                            "name": name, "uid": uid}],
                       "resourceVersion": g.resource_version(), "uid": g.uid()}
            sl_ports = [{"name": p["name"], "port": p["targetPort"] if isinstance(
                p["targetPort"], int) else dict((n, q) for q, n in wl.ports).get(
                p["targetPort"], p["port"]), "protocol": p["protocol"]} for p in ports]
            sl = {"addressType": fam, "apiVersion": "discovery.k8s.io/v1", "endpoints": eps,
                  "kind": "EndpointSlice", "metadata": sl_meta, "ports": sl_ports}
            sl_meta["managedFields"] = [managed(
                "kube-controller-manager", "Update", created,
                fields_v1({"addressType": 1, "endpoints": 1, "metadata": {
                    "annotations": sl_meta["annotations"], "generateName": 1,
                    "labels": sl_labels, "ownerReferences": [{"uid": uid}]},
                    "ports": 1}), api="discovery.k8s.io/v1")]  # atomic lists: one field
            slices.append(sl)
    # the API server's own Service
    services.append({"apiVersion": "v1", "kind": "Service", "metadata": {
        "creationTimestamp": ts(T0 - 22 * 86400),
        "labels": {"component": "apiserver", "provider": "kubernetes"}, "name": "kubernetes",
        "namespace": "default", "resourceVersion": "234", "uid": g.uid()},
        "spec": {"clusterIP": "10.96.0.1", "clusterIPs": ["10.96.0.1"],
                 "internalTrafficPolicy": "Cluster", "ipFamilies": ["IPv4"],
                 "ipFamilyPolicy": "SingleStack",
                 "ports": [{"name": "https", "port": 443, "protocol": "TCP",
                            "targetPort": 6443}],
                 "sessionAffinity": "None", "type": "ClusterIP"},
        "status": {"loadBalancer": {}}})
    key = lambda o: (o["metadata"]["namespace"], o["metadata"]["name"])
    return sorted(services, key=key), sorted(slices, key=key)


def node_object(g, n):
    rnd = g.rnd
    labels = {"beta.kubernetes.io/arch": "amd64", "beta.kubernetes.io/instance-type":
              "m6i.2xlarge", "beta.kubernetes.io/os": "linux",
              "failure-domain.beta.kubernetes.io/region": "eu-west-1",
              "failure-domain.beta.kubernetes.io/zone": "eu-west-1" + "abc"[n.i % 3],
              "kubernetes.io/arch": "amd64", "kubernetes.io/hostname": n.name,
              "kubernetes.io/os": "linux", "node.kubernetes.io/instance-type": "m6i.2xlarge",
              "topology.kubernetes.io/region": "eu-west-1",
              "topology.kubernetes.io/zone": "eu-west-1" + "abc"[n.i % 3]}
    if n.cp:
        labels["node-role.kubernetes.io/control-plane"] = ""
    alloc = {"cpu": "7910m", "ephemeral-storage": "95551679124", "hugepages-1Gi": "0",
             "hugepages-2Mi": "0", "memory": "31792128Ki", "pods": "250"}
    cap = {"cpu": "8", "ephemeral-storage": "102626232Ki", "hugepages-1Gi": "0",
           "hugepages-2Mi": "0", "memory": "32408576Ki", "pods": "250"}
    beat = ts(T0 + 30 * 3600 - rnd.randint(0, 40))
    conds = [{"lastHeartbeatTime": beat, "lastTransitionTime": ts(T0 - 22 * 86400),
              "message": m, "reason": r, "status": s, "type": t}
             for t, s, r, m in (
                 ("MemoryPressure", "False", "KubeletHasSufficientMemory",
                  "kubelet has sufficient memory available"),
                 ("DiskPressure", "False", "KubeletHasNoDiskPressure",
                  "kubelet has no disk pressure"),
                 ("PIDPressure", "False", "KubeletHasSufficientPID",
                  "kubelet has sufficient PID available"),
                 ("Ready", "True", "KubeletReady", "kubelet is posting ready status"))]
    images = []
    for _ in range(rnd.randint(15, 30)):
        repo = rnd.choice(IMAGES).format(ns=rnd.choice(NS_WORDS), name=rnd.choice(APP_WORDS),
                                         v="%d.%d.%d" % (rnd.randint(0, 4), rnd.randint(0, 30),
                                                         rnd.randint(0, 9)))
        images.append({"names": [repo.split(":")[0] + "@sha256:%064x" % rnd.getrandbits(256),
                                 repo], "sizeBytes": rnd.randint(5, 900) * 1000003})
    status = {"addresses": [{"address": n.ip4, "type": "InternalIP"},
                            {"address": n.ip6, "type": "InternalIP"},
                            {"address": n.name, "type": "Hostname"},
                            {"address": "%s.eu-west-1.compute.internal" % n.name,
                             "type": "InternalDNS"}],
              "allocatable": alloc, "capacity": cap, "conditions": conds,
              "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
              "features": {"supplementalGroupsPolicy": True}, "images": images,
              "nodeInfo": {"architecture": "amd64", "bootID": g.uid(),
                           "containerRuntimeVersion": "containerd://2.0.2",
                           "kernelVersion": "6.1.0-28-cloud-amd64",
                           "kubeProxyVersion": "v1.32.2", "kubeletVersion": "v1.32.2",
                           "machineID": "%032x" % rnd.getrandbits(128),
                           "operatingSystem": "linux",
                           "osImage": "Debian GNU/Linux 12 (bookworm)",
                           "systemUUID": g.uid()},
              "runtimeHandlers": [{"features": {"recursiveReadOnlyMounts": True,
                                                "userNamespaces": True}, "name": ""},
                                  {"features": {"recursiveReadOnlyMounts": True,
                                                "userNamespaces": True}, "name": "runc"}]}
    spec = {"podCIDR": n.cidr4, "podCIDRs": [n.cidr4, n.cidr6],
            "providerID": "aws:///eu-west-1%s/i-%017x" % ("abc"[n.i % 3], rnd.getrandbits(68))}
    if n.cp:
        spec["taints"] = [{"effect": "NoSchedule",
                           "key": "node-role.kubernetes.io/control-plane"}]
    meta = {"annotations": {"kubeadm.alpha.kubernetes.io/cri-socket":
                            "unix:///run/containerd/containerd.sock",
                            "node.alpha.kubernetes.io/ttl": "0",
                            "volumes.kubernetes.io/controller-managed-attach-detach": "true"},
            "creationTimestamp": ts(T0 - 22 * 86400), "labels": labels, "name": n.name,
            "resourceVersion": g.resource_version(), "uid": g.uid()}
    meta["managedFields"] = [
        managed("kubelet", "Update", T0 - 22 * 86400, fields_v1({"metadata": {
            "annotations": meta["annotations"], "labels": labels}})),
        managed("kube-controller-manager", "Update", T0 - 22 * 86400,
                fields_v1({"spec": {"podCIDR": 1, "podCIDRs": 1}})),
        managed("kubelet", "Update", T0, fields_v1({"status": status}), subresource="status"),
    ]
    return {"apiVersion": "v1", "kind": "Node", "metadata": meta, "spec": spec,
            "status": status}


def namespace_object(g, name, lean):
    labels = {"kubernetes.io/metadata.name": name}
    if not name.startswith("kube-") and name != "default":
        labels["team"] = name
    meta = {"labels": labels, "name": name}
    if lean:
        return {"apiVersion": "v1", "kind": "Namespace", "metadata": meta,
                "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}}
    meta.update({"creationTimestamp": ts(T0 - 22 * 86400), "resourceVersion":
                 g.resource_version(), "uid": g.uid()})
    if "team" in labels:
        meta["annotations"] = {"kubectl.kubernetes.io/last-applied-configuration":
                               last_applied({"apiVersion": "v1", "kind": "Namespace",
                                             "metadata": {"annotations": {},
                                                          "labels": {"team": name},
                                                          "name": name}})}
        meta["managedFields"] = [managed("kubectl-client-side-apply", "Update", T0 - 22 * 86400,
                                         fields_v1({"metadata": {
                                             "annotations": meta["annotations"],
                                             "labels": labels}}))]
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": meta,
            "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}}


# ---- writers ----------------------------------------------------------------------------------

def write_json_list(path, items):
    """kubectl's -o json: a List, 4-space indent, keys sorted, each item streamed."""
    with open(path, "w") as f:
        f.write('{\n    "apiVersion": "v1",\n    "items": [\n')
        for i, obj in enumerate(items):
            s = json.dumps(obj, indent=4, sort_keys=True)
            f.write("        " + s.replace("\n", "\n        "))
            f.write(",\n" if i + 1 < len(items) else "\n")
        f.write('    ],\n    "kind": "List",\n    "metadata": {\n'
                '        "resourceVersion": ""\n    }\n}\n')


def write_watch(outdir, items, churn):
    """What `kubectl get KIND -A --watch --output-watch-events -o json` writes first, one file per
    kind: an ADDED event for each object; and churn MODIFIED events of the first pods again."""
    d = os.path.join(outdir, "watch")
    os.makedirs(d, exist_ok=True)
    files = {}
    pods = 0
    with open(os.path.join(d, "pods-churn.json"), "w") as ch:
        for obj in items:
            kind = obj["kind"].lower() + "s"
            if kind not in files:
                files[kind] = open(os.path.join(d, kind + ".json"), "w")
            files[kind].write(json.dumps({"type": "ADDED", "object": obj}, indent=4,
                                         sort_keys=True) + "\n")
            if obj["kind"] == "Pod" and pods < churn:
                pods += 1
                ch.write(json.dumps({"type": "MODIFIED", "object": obj}, indent=4,
                                    sort_keys=True) + "\n")
    for f in files.values():
        f.close()


# what a plain scalar cannot be: YAML would read it as something else, or not at all
PLAIN_UNSAFE = re.compile(r"""^$|^[-?:,\[\]{}#&*!|>'"%@` ]|\s$|: |:$| #|[\x00-\x1f\x7f]|"""
                          r"""^[-+]?(\d[\d_]*\.?\d*|\.\d+)([eE][-+]?\d+)?$|^0x|^[-+]?\.(inf|nan)$|"""
                          r"""^\d{4}-\d\d-\d\d|^(true|false|yes|no|on|off|y|n|null|~)$""", re.I)


def yscalar(v):
    if v is None:
        return "null"
    if v is True or v is False:
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    return json.dumps(v) if PLAIN_UNSAFE.search(v) else v


def yaml_lines(v, ind, out):
    """Block YAML as go-yaml (kubectl) writes it: sequences at their key's indent."""
    sp = " " * ind
    if isinstance(v, dict):
        for k in sorted(v):
            x = v[k]
            if isinstance(x, dict) and x:
                out.append("%s%s:" % (sp, yscalar(k)))
                yaml_lines(x, ind + 2, out)
            elif isinstance(x, list) and x:
                out.append("%s%s:" % (sp, yscalar(k)))
                yaml_lines(x, ind, out)
            else:
                out.append("%s%s: %s" % (sp, yscalar(k), "{}" if x == {} else
                                         "[]" if x == [] else yscalar(x)))
    else:
        for x in v:
            if isinstance(x, dict) and x:
                sub = []
                yaml_lines(x, ind + 2, sub)
                sub[0] = sp + "- " + sub[0][ind + 2:]
                out.extend(sub)
            else:
                out.append("%s- %s" % (sp, yscalar(x)))


def write_yaml_list(path, items):
    with open(path, "w") as f:
        f.write("apiVersion: v1\nitems:\n")
        for obj in items:
            out = []
            yaml_lines([obj], 0, out)
            f.write("\n".join(out))
            f.write("\n")
        f.write('kind: List\nmetadata:\n  resourceVersion: ""\n')


# ---- the state --------------------------------------------------------------------------------

COUNTER_NAMES = ["flows", "packets", "packets-decoded", "packets-fragment", "packets-malformed",
                 "packets-not-ip", "packets-truncated", "packets-unsupported"]


def state_workloads(nodes, wls, externals):
    """id -> its block of state YAML; k8s workloads as flowlock learns them from the pods."""
    out = {}
    for wl in wls:
        lines = ["- id: %s" % wl.id(), "  kind: k8s", "  namespace: %s" % wl.ns,
                 "  controller: %s" % wl.kind, "  name: %s" % wl.name]
        if wl.labels:
            lines.append("  labels:")
            for k in sorted(wl.labels):
                lines.append("    %s: %s" % (k, state_scalar(wl.labels[k])))
        out[wl.id()] = lines
    for n in nodes:
        out["node:" + n.name] = ["- id: node:%s" % n.name, "  kind: node", "  name: %s" % n.name,
                                 "  addresses:", "  - %s/32" % n.ip4, "  - %s/128" % n.ip6]
    for e in externals:
        out["external:" + e] = ["- id: external:%s" % e, "  kind: external", "  name: %s" % e,
                                "  addresses:", "  - %s" % e]
    return out


def running_lines(first, last):
    return ['  first-running: "%s"' % ts_ns(first), '  last-running: "%s"' % ts_ns(last)]


def state_scalar(v):
    """A label as flowlock's emitter writes it (out_plain_safe in util/util-yaml.c), so that a
    state flowlock loads and saves again comes out byte for byte the same."""
    plain = re.fullmatch(r"[A-Za-z][A-Za-z0-9._/-]*|[0-9][A-Za-z0-9._/:-]*/[A-Za-z0-9._/:-]*", v)
    if plain and not v.endswith(":") and v.lower() not in (
            "y", "n", "yes", "no", "on", "off", "true", "false", "null"):
        return v
    return json.dumps(v)


def write_state(path, node, wl_blocks, running, edges, rnd, window, counters_scale):
    """edges: sorted (client, server, proto, port) tuples. A state without a node name holds
    every workload, with when it ran; a node's state only those its edges name."""
    ids = set(wl_blocks) if node is None else set()
    run = dict(running) if node is None else {}
    n_flows = 0
    body = []
    for c, s, proto, port in edges:
        conns = rnd.randint(1, 5000)
        n_flows += conns
        first = window[0] + rnd.randint(0, (window[1] - window[0]) // 2)
        last = first + rnd.randint(0, (window[1] - first))
        ids.add(c)
        ids.add(s)
        # flowlock notes both ends of an edge running over its first and last seen
        for i in (c, s):
            if node is None and i.startswith("k8s:"):
                f0, l0 = run.get(i, (first, last))
                run[i] = (min(f0, first), max(l0, last))
        body.append("- client: %s\n  server: %s\n  protocol: %s\n  port: %d\n"
                    "  connections: %d\n  first-seen: \"%s\"\n  last-seen: \"%s\"\n"
                    % (c, s, "TCP" if proto == 6 else "UDP", port, conns, ts_ns(first),
                       ts_ns(last)))
    with open(path, "w") as f:
        f.write("flowlock-state: 2\n")
        if node:
            f.write("node: %s\n" % node)
        f.write("counters:\n")
        packets = n_flows * counters_scale
        vals = {"flows": n_flows, "packets": packets, "packets-decoded": packets * 97 // 100,
                "packets-fragment": 0, "packets-malformed": 0,
                "packets-not-ip": packets // 50, "packets-truncated": 0,
                "packets-unsupported": packets // 100}
        for name in COUNTER_NAMES:
            f.write("  %s: %d\n" % (name, vals[name]))
        f.write('observed:\n- from: "%s"\n  until: "%s"\n' % (ts_ns(window[0]),
                                                             ts_ns(window[1])))
        f.write("workloads:\n")
        for i in sorted(ids):
            lines = wl_blocks[i]
            if i in run:
                lines = lines + running_lines(*run[i])
            f.write("\n".join(lines))
            f.write("\n")
        f.write("edges:\n" if edges else "edges: []\n")
        f.write("".join(body))


def make_edges(g, nodes, wls, target):
    """target distinct edges: DNS to CoreDNS, workload to workload (mostly within a namespace),
    kubelet probes from nodes, and a few outside clients and servers."""
    rnd = g.rnd
    servers = [w for w in wls if w.ports and w.kind not in ("CronJob",)]
    by_ns = {}
    for w in servers:
        by_ns.setdefault(w.ns, []).append(w)
    coredns = wls[0]
    ext_clients = ["203.0.113.%d/32" % (10 + i) for i in range(8)]
    ext_servers = ["198.51.100.%d/32" % (100 + i) for i in range(12)] + ["192.0.2.0/24"]
    gateways = [w for w in servers if "gateway" in w.name or "frontend" in w.name] or servers
    edges = set()
    clients = [w for w in wls if w is not coredns]
    while len(edges) < target:
        r = rnd.random()
        if r < 0.15:
            c = rnd.choice(clients)
            edges.add((c.id(), coredns.id(), 17, 53))
            continue
        if r < 0.17:
            s = rnd.choice(servers)
            edges.add(("node:" + rnd.choice(nodes).name, s.id(), 6, rnd.choice(s.ports)[0]))
            continue
        if r < 0.175:
            s = rnd.choice(gateways)
            edges.add(("external:" + rnd.choice(ext_clients), s.id(), 6, s.ports[0][0]))
            continue
        if r < 0.19:
            c = rnd.choice(clients)
            edges.add((c.id(), "external:" + rnd.choice(ext_servers), 6,
                       rnd.choice([443, 443, 443, 5432, 9093])))
            continue
        c = rnd.choice(clients)
        pool = by_ns.get(c.ns) if rnd.random() < 0.8 else None
        s = rnd.choice(pool or servers)
        if s is c:
            continue
        edges.add((c.id(), s.id(), 6, rnd.choice(s.ports)[0]))
    return sorted(edges), ext_clients + ext_servers


def main():
    ap = argparse.ArgumentParser(description="synthetic cluster for bench/scale.sh")
    ap.add_argument("workloads", type=int)
    ap.add_argument("outdir")
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--node-states", type=int, default=None,
                    help="node states in nodes/ (default W/8, at most 1000)")
    ap.add_argument("--node-edges", type=int, default=None,
                    help="edges in each node state (default min(1000, edges))")
    ap.add_argument("--no-node-states", action="store_true")
    ap.add_argument("--watch", action="store_true",
                    help="also write watch/KIND.json: the cluster as kubectl watches print it")
    a = ap.parse_args()
    w = a.workloads
    if w < 10:
        sys.exit("scale-gen: at least 10 workloads")
    os.makedirs(a.outdir, exist_ok=True)
    g = Gen(w, a.seed)

    nss, nodes, wls, extra = plan(g, w)
    g.n_nodes = len(nodes)
    pods = build_pods(g, nodes, wls, extra)
    services, slices = build_services(g, wls)
    all_ns = sorted(set(nss) | {"default", "kube-system", "kube-public", "kube-node-lease"})
    node_objs = [node_object(g, n) for n in nodes]

    items = [p[0] for p in pods] + services + slices + node_objs + \
        [namespace_object(g, n, False) for n in all_ns]
    write_json_list(os.path.join(a.outdir, "cluster.json"), items)
    if a.watch:
        write_watch(a.outdir, items, 2000)
    del items
    write_yaml_list(os.path.join(a.outdir, "pods.yaml"),
                    [p[1] for p in pods] + [namespace_object(g, n, True) for n in all_ns])
    del pods

    # the state: the W workloads (those with a running pod were seen running), 3.2 W edges
    n_edges = int(round(w * 3.2))
    edges, externals = make_edges(g, nodes, wls, n_edges)
    blocks = state_workloads(nodes, wls, externals)
    window = (T0 * 10**9 + 123456789, (T0 + 30 * 3600) * 10**9 + 987654321)
    running = {}
    for wl in wls:
        if any(p["ready"] for p in wl.pods) or wl.kind == "CronJob":
            first = window[0] + g.rnd.randint(0, 3600 * 10**9)
            running[wl.id()] = (first, window[1] - g.rnd.randint(0, 3600 * 10**9))
    write_state(os.path.join(a.outdir, "state.yaml"), None, blocks, running, edges, g.rnd,
                window, 9)

    # a later state: 5% of the edges gone, as many new ones
    rnd = g.rnd
    keep = [e for e in edges if rnd.random() >= 0.05]
    new = set(keep)
    extra_edges, _ = make_edges(Gen(w, a.seed + 1), nodes, wls, n_edges)
    for e in extra_edges:
        if len(new) >= n_edges:
            break
        new.add(e)
    write_state(os.path.join(a.outdir, "state-b.yaml"), None, blocks, running, sorted(new),
                rnd, window, 9)

    n_states = 0
    node_edges = 0
    if not a.no_node_states:
        n_states = a.node_states if a.node_states is not None else min(1000, max(4, w // 8))
        node_edges = min(a.node_edges if a.node_edges is not None else 1000, len(edges))
        d = os.path.join(a.outdir, "nodes")
        os.makedirs(d, exist_ok=True)
        for i in range(n_states):
            sub = sorted(rnd.sample(edges, node_edges))
            write_state(os.path.join(d, "node-%04d.yaml" % i), "worker-%04d" % i, blocks,
                        running, sub, rnd, window, 9)

    k8s_ids = sorted(wl.id() for wl in wls)
    manifest = {"workloads": w, "k8s_workloads": len(k8s_ids),
                "pods": sum(len(x.pods) for x in wls + extra) + 2 * sum(n.cp for n in nodes),
                "nodes": len(nodes), "namespaces": len(all_ns), "services": len(services),
                "endpointslices": len(slices), "edges": len(edges), "node_states": n_states,
                "node_state_edges": node_edges, "k8s_ids": k8s_ids,
                "host_network": sorted("%s/%s" % (x.ns, x.name) for x in extra)}
    with open(os.path.join(a.outdir, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
