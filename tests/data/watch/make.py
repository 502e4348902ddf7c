#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Writes the recorded watch streams test-watch.c replays, as `kubectl get KIND -A --watch
--output-watch-events -o json` prints them: one event per change, indented by four spaces, each
object as the API server returns it (managedFields, several containers, statuses, dual-stack
addresses, a hostNetwork pod, a Pending pod). Each STREAM-STEP.json is what the writer sends
at one step of a case; the test applies each step at a time of its own.

    python3 tests/data/watch/make.py tests/data/watch
"""
import copy
import json
import os
import sys

T0 = 1764720000  # 2025-12-03T00:00:00Z


def ts(sec):
    import time
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(sec))


RV = [41000]


def rv():
    RV[0] += 7
    return str(RV[0])


def managed(manager, when, fields, sub=None):
    m = {"apiVersion": "v1", "fieldsType": "FieldsV1", "fieldsV1": fields,
         "manager": manager, "operation": "Update", "time": ts(when)}
    if sub:
        m["subresource"] = sub
    return m


def container(name, image, port=None, port_name=None):
    c = {"image": image, "imagePullPolicy": "IfNotPresent", "name": name,
         "resources": {"limits": {"memory": "128Mi"}, "requests": {"cpu": "10m", "memory": "32Mi"}},
         "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File",
         "volumeMounts": [{"mountPath": "/var/run/secrets/kubernetes.io/serviceaccount",
                           "name": "kube-api-access-x7k2q", "readOnly": True}]}
    if port:
        c["ports"] = [{"containerPort": port, "name": port_name, "protocol": "TCP"}]
    return c


def pod(ns, name, uid, labels, owner, node, ips, phase, start, containers, host_network=False,
        finished=None, deleting=None):
    created = start - 3 if start else T0
    meta = {"creationTimestamp": ts(created), "generateName": name.rsplit("-", 1)[0] + "-",
            "labels": labels, "name": name, "namespace": ns, "resourceVersion": rv(), "uid": uid,
            "annotations": {"kubectl.kubernetes.io/restartedAt": ts(T0 - 86400)},
            "managedFields": [
                managed("kube-controller-manager", created,
                        {"f:metadata": {"f:generateName": {}, "f:labels": {
                            "k:" + k: {} for k in labels}}}),
                managed("kubelet", created + 2, {"f:status": {"f:conditions": {}}}, "status")]}
    if owner:
        meta["ownerReferences"] = [{"apiVersion": owner[0], "blockOwnerDeletion": True,
                                    "controller": True, "kind": owner[1], "name": owner[2],
                                    "uid": "0b5c%s-%s" % (uid[4:8], uid[9:])}]
    if deleting:
        meta["deletionTimestamp"] = ts(deleting)
        meta["deletionGracePeriodSeconds"] = 30
    spec = {"containers": containers, "dnsPolicy": "ClusterFirst", "enableServiceLinks": True,
            "preemptionPolicy": "PreemptLowerPriority", "priority": 0, "restartPolicy": "Always",
            "schedulerName": "default-scheduler", "securityContext": {},
            "serviceAccount": "default", "serviceAccountName": "default",
            "terminationGracePeriodSeconds": 30,
            "tolerations": [{"effect": "NoExecute", "key": "node.kubernetes.io/not-ready",
                             "operator": "Exists", "tolerationSeconds": 300}],
            "volumes": [{"name": "kube-api-access-x7k2q", "projected": {"defaultMode": 420}}]}
    if node:
        spec["nodeName"] = node
    if host_network:
        spec["hostNetwork"] = True
    status = {"phase": phase, "qosClass": "Burstable"}
    if node:
        status["conditions"] = [
            {"lastProbeTime": None, "lastTransitionTime": ts(created + 1), "status": "True",
             "type": "PodScheduled"},
            {"lastProbeTime": None, "lastTransitionTime": ts(start or created),
             "status": "True" if phase == "Running" else "False", "type": "Ready"}]
        status["hostIP"] = NODES[node][0]
        status["hostIPs"] = [{"ip": a} for a in NODES[node]]
    if ips:
        status["podIP"] = ips[0]
        status["podIPs"] = [{"ip": a} for a in ips]
    if start:
        status["startTime"] = ts(start)
        cs = []
        for c in containers:
            state = {"running": {"startedAt": ts(start + 1)}}
            if finished:
                state = {"terminated": {"containerID": "containerd://" + uid.replace("-", ""),
                                        "exitCode": 0, "finishedAt": ts(finished),
                                        "reason": "Completed", "startedAt": ts(start + 1)}}
            cs.append({"containerID": "containerd://" + uid.replace("-", "")[:24] + c["name"],
                       "image": c["image"], "imageID": c["image"] + "@sha256:" + "ab" * 32,
                       "lastState": {}, "name": c["name"], "ready": phase == "Running",
                       "restartCount": 0, "started": phase == "Running", "state": state})
        status["containerStatuses"] = cs
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec, "status": status}


NODES = {"worker-1": ["172.18.0.3", "fc00:f853:ccd:e793::3"],
         "worker-2": ["172.18.0.4", "fc00:f853:ccd:e793::4"]}


def deploy_pod(app, hash_, sfx, uid, node, ips, start, phase="Running", **kw):
    labels = {"app": app, "pod-template-hash": hash_}
    return pod("shop", "%s-%s-%s" % (app, hash_, sfx), uid, labels,
               ("apps/v1", "ReplicaSet", "%s-%s" % (app, hash_)), node, ips, phase, start,
               [container(app, "registry.example/shop/%s:1.4.2" % app, 8080, "http"),
                container("istio-proxy", "docker.io/istio/proxyv2:1.22.1", 15090, "http-envoy-prom")],
               **kw)


WEB = deploy_pod("web", "7d4b9c6f5", "x2kqp", "7b1e0a52-3c4d-4e5f-8a6b-7c8d9e0f1a2b", "worker-1",
                 ["10.244.1.10", "fd00:10:244:1::a"], T0 - 7200)
CART = deploy_pod("cart", "5f6d8b7c9", "m4wz8", "a9f3c2d1-1e2f-4a3b-9c4d-5e6f7a8b9c0d", "worker-1",
                  ["10.244.1.11", "fd00:10:244:1::b"], T0 - 7000)
DB = pod("shop", "db-0", "c3d4e5f6-0718-4293-a4b5-c6d7e8f90a1b",
         {"app": "db", "apps.kubernetes.io/pod-index": "0",
          "controller-revision-hash": "db-6c8f9d7b5", "statefulset.kubernetes.io/pod-name": "db-0"},
         ("apps/v1", "StatefulSet", "db"), "worker-2", ["10.244.2.5", "fd00:10:244:2::5"], "Running",
         T0 - 86000, [container("postgres", "docker.io/library/postgres:16.3", 5432, "pg")])
REPORT = pod("shop", "report-29421440-q7k2p", "d4e5f607-1829-43a4-b5c6-d7e8f9a0b1c2",
             {"batch.kubernetes.io/job-name": "report-29421440", "job-name": "report-29421440"},
             ("batch/v1", "Job", "report-29421440"), "worker-2", ["10.244.2.9"], "Succeeded",
             T0 - 3600, [container("report", "registry.example/shop/report:2.0")],
             finished=T0 - 3540)
API_PENDING = deploy_pod("api", "6b7c8d9e0", "p0nd1", "e5f60718-2930-44b5-86c7-e8f9a0b1c2d3",
                         None, [], None, phase="Pending")
PROXY = pod("kube-system", "kube-proxy-7fz2r", "f6071829-3a4b-45c6-97d8-f9a0b1c2d3e4",
            {"controller-revision-hash": "5c8b9f6d7", "k8s-app": "kube-proxy",
             "pod-template-generation": "1"}, ("apps/v1", "DaemonSet", "kube-proxy"), "worker-1",
            NODES["worker-1"], "Running", T0 - 90000,
            [container("kube-proxy", "registry.k8s.io/kube-proxy:v1.31.0")], host_network=True)


def event(kind, obj):
    return json.dumps({"type": kind, "object": obj}, indent=4) + "\n"


def bare(obj):
    return json.dumps(obj, separators=(",", ":")) + "\n"


def running(p, start, uid=None):
    """p, scheduled and started: its addresses appear in a MODIFIED event."""
    q = copy.deepcopy(p)
    q["metadata"]["resourceVersion"] = rv()
    return q


def search_pod(start, ips=("10.244.1.11", "fd00:10:244:1::b"), phase="Running"):
    return deploy_pod("search", "8e9f0a1b2", "r7t5v", "0718293a-4b5c-46d7-a8e9-f0a1b2c3d4e5",
                      "worker-1" if ips else None, list(ips), start if ips else None, phase=phase)


def service(name, cluster_ips, port, target, selector):
    return {"apiVersion": "v1", "kind": "Service",
            "metadata": {"creationTimestamp": ts(T0 - 86400), "labels": {"app": name},
                         "name": name, "namespace": "shop", "resourceVersion": rv(),
                         "uid": "5e%s-0000-4000-8000-00000000%04d" % ("0" * 6, len(name)),
                         "managedFields": [managed("kubectl-client-side-apply", T0 - 86400,
                                                   {"f:spec": {"f:ports": {}}})]},
            "spec": {"clusterIP": cluster_ips[0], "clusterIPs": cluster_ips,
                     "internalTrafficPolicy": "Cluster",
                     "ipFamilies": ["IPv4", "IPv6"][:len(cluster_ips)],
                     "ipFamilyPolicy": "PreferDualStack" if len(cluster_ips) > 1 else "SingleStack",
                     "ports": [{"name": "http", "port": port, "protocol": "TCP",
                                "targetPort": target}],
                     "selector": selector, "sessionAffinity": "None", "type": "ClusterIP"},
            "status": {"loadBalancer": {}}}


def slice_(svc, sfx, endpoints, port, family="IPv4"):
    """endpoints: (address, pod name, pod uid, node)."""
    return {"addressType": family, "apiVersion": "discovery.k8s.io/v1",
            "endpoints": [{"addresses": [a], "conditions": {"ready": True, "serving": True,
                                                          "terminating": False},
                           "nodeName": node,
                           "targetRef": {"kind": "Pod", "name": pn, "namespace": "shop", "uid": pu}}
                          for a, pn, pu, node in endpoints],
            "kind": "EndpointSlice",
            "metadata": {"creationTimestamp": ts(T0 - 86400), "generateName": svc + "-",
                         "generation": 3,
                         "labels": {"endpointslice.kubernetes.io/managed-by":
                                    "endpointslice-controller.k8s.io",
                                    "kubernetes.io/service-name": svc},
                         "name": "%s-%s" % (svc, sfx), "namespace": "shop",
                         "resourceVersion": rv(), "uid": "6f000000-0000-4000-8000-0000000%s"
                         % sfx,
                         "managedFields": [managed("kube-controller-manager", T0 - 86400,
                                                   {"f:endpoints": {}})]},
            "ports": [{"name": "http", "port": port, "protocol": "TCP"}]}


def pod_name(p):
    return p["metadata"]["name"]


def pod_uid(p):
    return p["metadata"]["uid"]


def main(out):
    steps = {}
    base = [WEB, CART, DB, REPORT, API_PENDING, PROXY]

    # churn: cart is deleted and search, a new workload, gets its addresses
    steps["churn-1"] = "".join(event("ADDED", p) for p in base)
    gone = copy.deepcopy(CART)
    gone["metadata"]["deletionTimestamp"] = ts(T0 + 190)
    gone["metadata"]["resourceVersion"] = rv()
    pending = search_pod(None, ips=(), phase="Pending")
    web2 = copy.deepcopy(WEB)
    web2["metadata"]["labels"]["version"] = "2"
    web2["metadata"]["resourceVersion"] = rv()
    steps["churn-2"] = (event("MODIFIED", gone) + event("DELETED", gone) +
                        event("ADDED", pending) + event("MODIFIED", search_pod(T0 + 201)) +
                        event("MODIFIED", web2))

    # endpoints: the cart Service's backends move to cart-canary, another Deployment
    canary = deploy_pod("cart-canary", "9a0b1c2d3", "c4n4r", "18293a4b-5c6d-47e8-b9f0-a1b2c3d4e5f6",
                        "worker-2", ["10.244.2.12", "fd00:10:244:2::c"], T0 - 600)
    canary["metadata"]["labels"]["app"] = "cart"
    canary["metadata"]["labels"]["track"] = "canary"
    svc = service("cart", ["10.96.20.11", "fd00:10:96::20b"], 80, 8080, {"app": "cart"})
    steps["endpoints-1"] = (
        event("ADDED", svc) +
        event("ADDED", slice_("cart", "7xk2p", [("10.244.1.11", pod_name(CART), pod_uid(CART),
                                                 "worker-1")], 8080)) +
        event("ADDED", slice_("cart", "q9d4m", [("fd00:10:244:1::b", pod_name(CART),
                                                 pod_uid(CART), "worker-1")], 8080, "IPv6")))
    steps["endpoints-pods"] = "".join(event("ADDED", p) for p in base + [canary])
    steps["endpoints-2"] = (
        event("MODIFIED", slice_("cart", "7xk2p", [("10.244.2.12", pod_name(canary),
                                                    pod_uid(canary), "worker-2")], 8080)) +
        event("MODIFIED", slice_("cart", "q9d4m", [("fd00:10:244:2::c", pod_name(canary),
                                                    pod_uid(canary), "worker-2")], 8080, "IPv6")))

    svc_gone = copy.deepcopy(svc)
    svc_gone["metadata"]["resourceVersion"] = rv()
    steps["endpoints-3"] = (
        event("DELETED", svc_gone) +
        event("DELETED", slice_("cart", "7xk2p", [("10.244.2.12", pod_name(canary),
                                                   pod_uid(canary), "worker-2")], 8080)) +
        event("DELETED", slice_("cart", "q9d4m", [("fd00:10:244:2::c", pod_name(canary),
                                                   pod_uid(canary), "worker-2")], 8080, "IPv6")))

    # cut: the writer dies mid-event; a new one lists everything again, without cart
    steps["cut-1"] = "".join(event("ADDED", p) for p in base)
    partial = event("MODIFIED", running(WEB, 0))
    steps["cut-2"] = partial[:len(partial) // 2]
    steps["cut-3"] = "".join(event("ADDED", p) for p in base if p is not CART)

    # malformed: what a broken writer or a hostile one may send, between good events
    bad_ip = copy.deepcopy(DB)
    bad_ip["status"]["podIPs"] = [{"ip": "10.244.2.300"}]
    bad_ip["metadata"]["uid"] = "bad00000-0000-4000-8000-000000000001"
    bad_label = copy.deepcopy(WEB)
    bad_label["metadata"]["labels"]["app"] = "web\x1b[31m"
    bad_label["metadata"]["uid"] = "bad00000-0000-4000-8000-000000000002"
    steps["malformed-1"] = (
        event("ADDED", WEB) +
        "this line is no JSON at all\n" +
        event("ADDED", bad_ip) +
        event("RESYNCED", CART) +
        event("ADDED", bad_label) +
        json.dumps({"type": "BOOKMARK", "object": {
            "kind": "Pod", "apiVersion": "v1",
            "metadata": {"resourceVersion": rv(), "annotations": {
                "k8s.io/initial-events-end": "true"}}}}, indent=4) + "\n" +
        '{\n    "type": "ADDED",\n    "object": {"kind": "Pod", "apiVersion": "v1", ]\n}\n' +
        json.dumps({"type": "ERROR", "object": {
            "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": "too old resource version: 41000 (41213)", "reason": "Expired",
            "code": 410}}, indent=4) + "\n" +
        event("ADDED", CART) +
        # managedFields are dropped unread: what is wrong inside them does not matter
        event("ADDED", DB).replace('"manager": "kubelet",',
                                   '"manager": "kubelet",\n                    "manager": "kubelet",'))

    # deleted-bad: cart's DELETED event carries what cannot be read: it is deleted still
    cart_bad = copy.deepcopy(CART)
    cart_bad["metadata"]["labels"]["app"] = "cart\x1b[31m"
    steps["deleted-bad-1"] = event("DELETED", cart_bad)

    # relist-repeat: a relisting, then a change to an object it listed: the listing is over
    steps["relist-repeat-1"] = ("".join(event("ADDED", p) for p in base if p is not CART) +
                                event("MODIFIED", web2))

    # cut-next: a writer cut off mid-event, and another one's first event right after it
    partial = event("MODIFIED", WEB)
    steps["cut-next-1"] = (event("ADDED", DB) + partial[:len(partial) // 3] + "\n" +
                           event("ADDED", CART))

    # list: `kubectl get pods -o json` as one List, then another without cart
    def as_list(items):
        return json.dumps({"apiVersion": "v1", "items": items, "kind": "List",
                           "metadata": {"resourceVersion": ""}}, indent=4) + "\n"
    steps["list-1"] = as_list(base)
    steps["list-2"] = as_list([p for p in base if p is not CART])

    # bare: `kubectl get pods -A --watch -o json` without --output-watch-events, compact
    steps["bare-1"] = "".join(bare(p) for p in base)

    os.makedirs(out, exist_ok=True)
    for name, text in steps.items():
        with open(os.path.join(out, name + ".json"), "w") as f:
            f.write(text)


def one_event(argv):
    """event TYPE APP IP START [SUFFIX]: one event of a pod of Deployment APP in namespace t,
    for tests/watch.sh, which drives a stream by hand."""
    kind, app, ip, start = argv[0], argv[1], argv[2], int(argv[3])
    sfx = argv[4] if len(argv) > 4 else "a1b2c"
    import zlib
    uid = "%08x-0000-4000-8000-%012x" % (zlib.crc32(app.encode()), zlib.crc32(sfx.encode()))
    p = deploy_pod(app, "5d6e7f8a9", sfx, uid, "worker-1", [ip], start)
    p["metadata"]["namespace"] = "t"
    sys.stdout.write(event(kind, p))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "event":
        one_event(sys.argv[2:])
    else:
        main(sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__)))
