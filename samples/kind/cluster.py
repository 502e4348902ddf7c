#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# cluster.py - the fixed description of the samples/kind cluster, and everything derived from it.
#
# The data below (nodes, workloads, pods, Services) is the single source of truth: record.sh
# builds its network namespaces from `plan`, the inventory it writes comes from `inventory T`,
# and kube-proxy's nftables rules come from the Services and EndpointSlices of that same
# inventory, so what the dump says is what the namespaces do. Only times depend on T, the
# epoch second at which the captures started; everything else is fixed.
#
#   cluster.py plan               nodes and pods to build (one line each, for record.sh)
#   cluster.py inventory T        kubectl get ... -A -o json, times relative to T
#   cluster.py kube-proxy NODE    kube-proxy's nftables-mode rules (ip and ip6) for NODE
#   cluster.py kindnet NODE       the node's masquerade rules (pods -> non-pod addresses)
#   cluster.py dns                the names the DNS servers answer
import base64
import datetime
import hashlib
import ipaddress
import json
import math
import sys
import uuid

# ---------------------------------------------------------------- basics

T = 0                               # capture start (epoch s); set by `inventory T`
BORN = -(3 * 86400 + 5400)          # the cluster was created 3 days 1.5 h before T
K8S = "v1.32.2"
CLUSTER_CIDRS = ("10.244.0.0/16", "fd00:10:244::/56")
SERVICE_CIDRS = ("10.96.0.0/16", "fd00:10:96::/112")
ALNUM = "bcdfghjklmnpqrstvwxz2456789"   # the alphabet of generated name suffixes


def ts(off):
    """RFC 3339 time of T+off (whole seconds, like the API server)."""
    t = datetime.datetime.fromtimestamp(math.floor(T + off), datetime.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def digest(*parts):
    return hashlib.sha256("/".join(str(p) for p in parts).encode()).digest()


def uid(*parts):
    return str(uuid.UUID(bytes=digest("uid", *parts)[:16], version=4))


def hexid(n, *parts):
    return digest("hex", *parts).hex()[:n]


def sfx(n, *parts):
    return "".join(ALNUM[b % len(ALNUM)] for b in digest("sfx", *parts)[:n])


def rv(off):
    """resourceVersion: grows with the time of the object's last write."""
    return str(480 + int((off - BORN) / 3))


def v6of(ip4):
    """Pod IPv6 address: fd00:10:244:N::<last v4 octet, in hex> for 10.244.N.x."""
    o = [int(x) for x in ip4.split(".")]
    return str(ipaddress.IPv6Network(f"fd00:10:244:{o[2]:x}::/64")[o[3]])


def family(ip):
    return "IPv6" if ":" in ip else "IPv4"


# ---------------------------------------------------------------- nodes

NODES = [
    dict(name="kind-control-plane", n=0, ip4="172.18.0.2", ip6="fc00:f853:ccd:e793::2",
         created=BORN, role="control-plane", listen=[6443, 9100]),
    dict(name="kind-worker", n=1, ip4="172.18.0.3", ip6="fc00:f853:ccd:e793::3",
         created=BORN + 21, role=None, listen=[9100]),
    dict(name="kind-worker2", n=2, ip4="172.18.0.4", ip6="fc00:f853:ccd:e793::4",
         created=BORN + 21, role=None, listen=[9100]),
]
for _n in NODES:
    _n["cidr4"] = f"10.244.{_n['n']}.0/24"
    _n["cidr6"] = str(ipaddress.IPv6Network(f"fd00:10:244:{_n['n']:x}::/64"))
    _n["uid"] = uid("node", _n["name"])
NODE = {n["name"]: n for n in NODES}

# The "internet" (the gw namespace) and the names the upstream DNS server knows.
OUTSIDE = {
    "gateway.example": "203.0.113.10",        # payment gateway
    "logs.example": "203.0.113.50",           # log collector
    "datasets.example": "203.0.113.60",       # dataset host
}
LB_IP = "172.18.255.200"                      # frontend-external, announced by kind-worker

# ---------------------------------------------------------------- containers

OB = "us-central1-docker.pkg.dev/google-samples/microservices-demo"
BUSYBOX = "docker.io/library/busybox:1.36.1"


def C(name, image, ports=(), req=None, lim=None, command=None, args=None, env=None,
      probe=None, mounts=(), sec=None):
    """A container. ports: (name, port, protocol[, hostPort])."""
    return dict(name=name, image=image, ports=list(ports), req=req, lim=lim, command=command,
                args=args, env=env, probe=probe, mounts=list(mounts), sec=sec)


FIELD_REFS = {"NODE_NAME": "spec.nodeName", "HOST_IP": "status.hostIP", "POD_IP": "status.podIP",
              "POD_NAMESPACE": "metadata.namespace"}


def container_spec(c, api_mount=None, template=False):
    d = {"image": c["image"], "imagePullPolicy": "IfNotPresent", "name": c["name"],
         "resources": {}, "terminationMessagePath": "/dev/termination-log",
         "terminationMessagePolicy": "File"}
    if c["command"]:
        d["command"] = c["command"]
    if c["args"]:
        d["args"] = c["args"]
    if c["env"]:
        d["env"] = [{"name": k, "value": v} if v is not None else
                    {"name": k, "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": FIELD_REFS[k]}}}
                    for k, v in c["env"]]
    if c["ports"]:
        d["ports"] = []
        for p in c["ports"]:
            e = {"containerPort": p[1], "name": p[0], "protocol": p[2]}
            if len(p) > 3:
                e["hostPort"] = p[3]
            d["ports"].append(e)
    if c["req"]:
        d["resources"]["requests"] = dict(c["req"])
    if c["lim"]:
        d["resources"]["limits"] = dict(c["lim"])
    if c["probe"]:
        path, port = c["probe"]
        d["readinessProbe"] = {"failureThreshold": 3, "httpGet": {"path": path, "port": port,
                               "scheme": "HTTP"}, "initialDelaySeconds": 5, "periodSeconds": 10,
                               "successThreshold": 1, "timeoutSeconds": 1}
    if c["sec"]:
        d["securityContext"] = c["sec"]
    mounts = [dict(m) for m in c["mounts"]]
    if api_mount and not template:
        mounts.append({"mountPath": "/var/run/secrets/kubernetes.io/serviceaccount",
                       "name": api_mount, "readOnly": True})
    if mounts:
        d["volumeMounts"] = mounts
    return d


def qos(containers):
    reqs = [c["req"] or {} for c in containers]
    lims = [c["lim"] or {} for c in containers]
    if not any(reqs) and not any(lims):
        return "BestEffort"
    if all(l and l.get("cpu") and l.get("memory") and (not r or r == l)
           for r, l in zip(reqs, lims)):
        return "Guaranteed"
    return "Burstable"


# ---------------------------------------------------------------- workloads and pods
#
# A pod: namespace, name, node, v4 address (the v6 one follows), owner, and its life:
#   key     network namespace record.sh builds for it ("" = none)
#   life    steady (whole capture), nightly (T+15.5..T+20.3), reco (T+21.6..end), or None
#   phase   what the dump shows at the end of the capture

WORKLOADS = []      # dicts: kind, ns, name, ...
PODS = []


def W(kind, ns, name, containers, labels, **kw):
    w = dict(kind=kind, ns=ns, name=name, containers=containers, labels=labels,
             init=kw.pop("init", []), hostnet=kw.pop("hostnet", False), **kw)
    w.setdefault("created", BORN + 700)
    w.setdefault("sa", "default")
    w["uid"] = uid(kind, ns, name)
    WORKLOADS.append(w)
    return w


def Pod(w, name, node, ip, key="", life="steady", phase="Running", created=None, started=None,
        finished=None, owner=None, labels=None, **kw):
    created = w["created"] + 5 if created is None else created
    started = created + 2 if started is None else started
    p = dict(w=w, ns=w["ns"], name=name, node=node, ip=ip, key=key, life=life, phase=phase,
             created=created, started=started, finished=finished, owner=owner,
             labels=dict(w["labels"], **(labels or {})), **kw)
    p["uid"] = uid("pod", p["ns"], name, created)
    if w["hostnet"] and node:
        p["ip"] = NODE[node]["ip4"]
    PODS.append(p)
    return p


def rs_owner(w, h):
    return dict(apiVersion="apps/v1", kind="ReplicaSet", name=f"{w['name']}-{h}",
                uid=uid("ReplicaSet", w["ns"], f"{w['name']}-{h}"))


def wl_owner(w):
    api = {"StatefulSet": "apps/v1", "DaemonSet": "apps/v1", "Job": "batch/v1",
           "VolcanoJob": "batch.volcano.sh/v1alpha1"}[w["kind"]]
    kind = "Job" if w["kind"] == "VolcanoJob" else w["kind"]
    return dict(apiVersion=api, kind=kind, name=w["name"], uid=w["uid"])


def node_owner(node):
    return dict(apiVersion="v1", kind="Node", name=node, uid=NODE[node]["uid"])


# --- kube-system: static control-plane pods (hostNetwork, mirror pods owned by the Node)
CP = "kind-control-plane"
_static = [
    ("etcd", "registry.k8s.io/etcd:3.5.16-0", {"cpu": "100m", "memory": "100Mi"},
     ["etcd", "--advertise-client-urls=https://172.18.0.2:2379", "--data-dir=/var/lib/etcd",
      "--listen-client-urls=https://127.0.0.1:2379,https://172.18.0.2:2379",
      "--listen-peer-urls=https://172.18.0.2:2380", "--name=kind-control-plane"],
     {"kubeadm.kubernetes.io/etcd.advertise-client-urls": "https://172.18.0.2:2379"}),
    ("kube-apiserver", f"registry.k8s.io/kube-apiserver-amd64:{K8S}", {"cpu": "250m"},
     ["kube-apiserver", "--advertise-address=172.18.0.2", "--secure-port=6443",
      "--service-cluster-ip-range=10.96.0.0/16,fd00:10:96::/112",
      "--service-account-issuer=https://kubernetes.default.svc.cluster.local"],
     {"kubeadm.kubernetes.io/kube-apiserver.advertise-address.endpoint": "172.18.0.2:6443"}),
    ("kube-controller-manager", f"registry.k8s.io/kube-controller-manager-amd64:{K8S}",
     {"cpu": "200m"},
     ["kube-controller-manager", "--allocate-node-cidrs=true",
      "--cluster-cidr=10.244.0.0/16,fd00:10:244::/56",
      "--service-cluster-ip-range=10.96.0.0/16,fd00:10:96::/112", "--node-cidr-mask-size-ipv4=24",
      "--node-cidr-mask-size-ipv6=64"], {}),
    ("kube-scheduler", f"registry.k8s.io/kube-scheduler-amd64:{K8S}", {"cpu": "100m"},
     ["kube-scheduler", "--bind-address=127.0.0.1", "--kubeconfig=/etc/kubernetes/scheduler.conf",
      "--leader-elect=true"], {}),
]
for _name, _img, _req, _cmd, _ann in _static:
    _w = W("Static", "kube-system", _name, [C(_name, _img, req=_req, command=_cmd)],
           {"component": _name, "tier": "control-plane"}, hostnet=True, created=BORN + 8,
           priority="system-node-critical", ann=_ann)
    Pod(_w, f"{_name}-{CP}", CP, None, created=BORN + 31, started=BORN + 9,
        owner=node_owner(CP), static=True)

# --- kube-system: DaemonSets kube-proxy and kindnet (hostNetwork, one pod per node)
_kp = W("DaemonSet", "kube-system", "kube-proxy",
        [C("kube-proxy", f"registry.k8s.io/kube-proxy-amd64:{K8S}",
           command=["/usr/local/bin/kube-proxy", "--config=/var/lib/kube-proxy/config.conf",
                    "--hostname-override=$(NODE_NAME)"],
           env=[("NODE_NAME", None)], sec={"privileged": True},
           mounts=[{"mountPath": "/var/lib/kube-proxy", "name": "kube-proxy"},
                   {"mountPath": "/run/xtables.lock", "name": "xtables-lock"},
                   {"mountPath": "/lib/modules", "name": "lib-modules", "readOnly": True}])],
        {"k8s-app": "kube-proxy"}, hostnet=True, created=BORN + 14, sa="kube-proxy",
        priority="system-node-critical", rev="7d8f9b6c5",
        init=[C("init-conntrack", BUSYBOX, command=["sh", "-c",
                "sysctl -w net.netfilter.nf_conntrack_max=131072"], sec={"privileged": True})])
_kn = W("DaemonSet", "kube-system", "kindnet",
        [C("kindnet-cni", "docker.io/kindest/kindnetd:v20250214-acbabc1a",
           req={"cpu": "100m", "memory": "50Mi"}, lim={"cpu": "100m", "memory": "50Mi"},
           env=[("HOST_IP", None), ("POD_IP", None), ("POD_SUBNET", "10.244.0.0/16"),
                ("POD_SUBNETV6", "fd00:10:244::/56"), ("CONTROL_PLANE_ENDPOINT", "kind-control-plane:6443")],
           sec={"capabilities": {"add": ["NET_RAW", "NET_ADMIN"]}, "privileged": False},
           mounts=[{"mountPath": "/etc/cni/net.d", "name": "cni-cfg"},
                   {"mountPath": "/run/xtables.lock", "name": "xtables-lock"},
                   {"mountPath": "/lib/modules", "name": "lib-modules", "readOnly": True}])],
        {"app": "kindnet", "k8s-app": "kindnet", "tier": "node"}, hostnet=True,
        created=BORN + 15, sa="kindnet", rev="6c9d8f7b4",
        init=[C("install-cni-plugins", "docker.io/kindest/kindnetd:v20250214-acbabc1a",
                command=["sh", "-c", "cp -f /opt/cni/bin/* /host/opt/cni/bin/"],
                mounts=[{"mountPath": "/host/opt/cni/bin", "name": "cni-bin"}])])
for (_node, _a, _b) in [(CP, "7xk2p", "hx8jw"), ("kind-worker", "gm9vd", "p2lrc"),
                        ("kind-worker2", "tq4lz", "z7ngf")]:
    _t = BORN + 20 if _node == CP else NODE[_node]["created"] + 12
    Pod(_kp, f"kube-proxy-{_a}", _node, None, created=_t, started=_t + 1, owner=wl_owner(_kp))
    Pod(_kn, f"kindnet-{_b}", _node, None, created=_t, started=_t + 2, owner=wl_owner(_kn))

# --- kube-system: coredns (2 replicas on the control plane)
_dns = W("Deployment", "kube-system", "coredns",
         [C("coredns", "registry.k8s.io/coredns/coredns:v1.11.3",
            [("dns", 53, "UDP"), ("dns-tcp", 53, "TCP"), ("metrics", 9153, "TCP")],
            req={"cpu": "100m", "memory": "70Mi"}, lim={"memory": "170Mi"},
            args=["-conf", "/etc/coredns/Corefile"],
            mounts=[{"mountPath": "/etc/coredns", "name": "config-volume", "readOnly": True}],
            sec={"allowPrivilegeEscalation": False, "capabilities": {"add": ["NET_BIND_SERVICE"],
                 "drop": ["ALL"]}, "readOnlyRootFilesystem": True})],
         {"k8s-app": "kube-dns"}, created=BORN + 14, replicas=2, hash="668d6bf9bc",
         sa="coredns", priority="system-cluster-critical")
Pod(_dns, "coredns-668d6bf9bc-4xq7w", CP, "10.244.0.2", key="coredns-1",
    created=BORN + 20, started=BORN + 52, owner=rs_owner(_dns, "668d6bf9bc"))
Pod(_dns, "coredns-668d6bf9bc-wm5jl", CP, "10.244.0.3", key="coredns-2",
    created=BORN + 20, started=BORN + 52, owner=rs_owner(_dns, "668d6bf9bc"))

# --- kube-system: a non-hostNetwork static pod on each worker
_ls = W("Static", "kube-system", "log-shipper",
        [C("fluent-bit", "cr.fluentbit.io/fluent/fluent-bit:3.2.6", [("http-metrics", 2020, "TCP")],
           req={"cpu": "50m", "memory": "64Mi"}, lim={"memory": "128Mi"},
           args=["--config=/fluent-bit/etc/fluent-bit.yaml"],
           mounts=[{"mountPath": "/var/log", "name": "varlog", "readOnly": True}])],
        {"app": "log-shipper", "tier": "node"}, created=BORN + 30)
for _node, _ip, _key in [("kind-worker", "10.244.1.3", "log-shipper-1"),
                         ("kind-worker2", "10.244.2.3", "log-shipper-2")]:
    Pod(_ls, f"log-shipper-{_node}", _node, _ip, key=_key, created=BORN + 48, started=BORN + 40,
        owner=node_owner(_node), static=True)

# --- local-path-storage
_lp = W("Deployment", "local-path-storage", "local-path-provisioner",
        [C("local-path-provisioner", "docker.io/kindest/local-path-provisioner:v20250214-acbabc1a",
           command=["local-path-provisioner", "--debug", "start", "--helper-image",
                    "docker.io/kindest/local-path-helper:v20241212-8ac705d0",
                    "--config", "/etc/config/config.json"],
           env=[("POD_NAMESPACE", None), ("CONFIG_MOUNT_PATH", "/etc/config/")],
           mounts=[{"mountPath": "/etc/config/", "name": "config-volume"}])],
        {"app": "local-path-provisioner"}, created=BORN + 14, replicas=1, hash="7dc846544d",
        sa="local-path-provisioner-service-account")
Pod(_lp, "local-path-provisioner-7dc846544d-9bq5n", CP, "10.244.0.4", key="local-path",
    created=BORN + 20, started=BORN + 52, owner=rs_owner(_lp, "7dc846544d"))

# --- boutique
BQ = BORN + 660      # when the shop was deployed
_ver = "v0.10.2"
_fe_c = [C("server", f"{OB}/frontend:{_ver}", [("http", 8080, "TCP")],
           req={"cpu": "100m", "memory": "64Mi"}, lim={"cpu": "200m", "memory": "128Mi"},
           env=[("PORT", "8080"), ("PRODUCT_CATALOG_SERVICE_ADDR", "productcatalogservice:3550"),
                ("CURRENCY_SERVICE_ADDR", "currencyservice:7000"),
                ("CART_SERVICE_ADDR", "cartservice:7070"),
                ("RECOMMENDATION_SERVICE_ADDR", "recommendationservice:8080"),
                ("CHECKOUT_SERVICE_ADDR", "checkoutservice:5050"),
                ("AD_SERVICE_ADDR", "adservice:9555")],
           probe=("/healthz", 8080)),
         C("log-tailer", BUSYBOX, req={"cpu": "10m", "memory": "16Mi"},
           lim={"cpu": "50m", "memory": "32Mi"},
           command=["sh", "-c", "tail -F /var/log/frontend/access.log"],
           mounts=[{"mountPath": "/var/log/frontend", "name": "logs"}])]
_fe = W("Deployment", "boutique", "frontend", _fe_c, {"app": "frontend"}, created=BQ, replicas=2,
        hash="7b9f5d6c4d", old_hash="5c4d8f7b96", rs_created=-86400 - 1200, generation=2,
        volumes=[{"emptyDir": {}, "name": "logs"}])
Pod(_fe, "frontend-7b9f5d6c4d-2xkqp", "kind-worker", "10.244.1.10", key="frontend-1",
    created=-86400 - 1195, owner=rs_owner(_fe, "7b9f5d6c4d"))
Pod(_fe, "frontend-7b9f5d6c4d-9tz8w", "kind-worker2", "10.244.2.10", key="frontend-2",
    created=-86400 - 1195, owner=rs_owner(_fe, "7b9f5d6c4d"))
# evicted two days ago; its address 10.244.1.7 now belongs to checkoutservice
Pod(_fe, "frontend-5c4d8f7b96-qx7mz", "kind-worker", "10.244.1.7", life=None, phase="Failed",
    created=-172800 - 4, started=-172800, finished=-129600, owner=rs_owner(_fe, "5c4d8f7b96"),
    labels={"pod-template-hash": "5c4d8f7b96"}, evicted=True)


def grpc(name, image_name, port, env=(), req=None, lim=None, **kw):
    return C(name, f"{OB}/{image_name}:{_ver}", [("grpc", port, "TCP")],
             req=req or {"cpu": "100m", "memory": "64Mi"}, lim=lim or {"cpu": "200m", "memory": "128Mi"},
             env=[("PORT", str(port))] + list(env), **kw)


_cart = W("Deployment", "boutique", "cartservice",
          [grpc("server", "cartservice", 7070, [("REDIS_ADDR", "redis-cart-0.redis-cart:6379")],
                req={"cpu": "200m", "memory": "64Mi"}, lim={"cpu": "300m", "memory": "128Mi"})],
          {"app": "cartservice"}, created=BQ, replicas=1, hash="6f9c8d7b5c")
Pod(_cart, "cartservice-6f9c8d7b5c-k8m2x", "kind-worker", "10.244.1.20", key="cartservice",
    owner=rs_owner(_cart, "6f9c8d7b5c"))

_redis = W("StatefulSet", "boutique", "redis-cart",
           [C("redis", "docker.io/library/redis:7.4-alpine", [("redis", 6379, "TCP")],
              req={"cpu": "70m", "memory": "200Mi"}, lim={"cpu": "125m", "memory": "256Mi"},
              mounts=[{"mountPath": "/data", "name": "redis-data"}])],
           {"app": "redis-cart"}, created=BQ, replicas=1, rev="redis-cart-6c5d9f7b8d",
           service="redis-cart", volumes=[{"emptyDir": {}, "name": "redis-data"}])
Pod(_redis, "redis-cart-0", "kind-worker2", "10.244.2.30", key="redis-cart",
    owner=wl_owner(_redis))

_pc = W("Rollout", "boutique", "productcatalogservice",
        [grpc("server", "productcatalogservice", 3550,
              [("DISABLE_PROFILER", "1"), ("EXTRA_LATENCY", "")])],
        {"app": "productcatalogservice"}, created=BQ, replicas=2, hash="6d8f7bc9d4",
        rs_created=-7200, generation=3)
for _pname, _node, _ip, _key in [("productcatalogservice-6d8f7bc9d4-7hwzn", "kind-worker",
                                  "10.244.1.40", "catalog-1"),
                                 ("productcatalogservice-6d8f7bc9d4-lq9xc", "kind-worker2",
                                  "10.244.2.40", "catalog-2")]:
    Pod(_pc, _pname, _node, _ip, key=_key, created=-7195, owner=rs_owner(_pc, "6d8f7bc9d4"),
        labels={"rollouts-pod-template-hash": "6d8f7bc9d4"})

_cur = W("Deployment", "boutique", "currencyservice",
         [grpc("server", "currencyservice", 7000, [("DISABLE_PROFILER", "1")])],
         {"app": "currencyservice"}, created=BQ, replicas=1, hash="5d6f8c9b7d")
Pod(_cur, "currencyservice-5d6f8c9b7d-x4t9r", "kind-worker2", "10.244.2.50", key="currencyservice",
    owner=rs_owner(_cur, "5d6f8c9b7d"))

_co = W("Deployment", "boutique", "checkoutservice",
        [grpc("server", "checkoutservice", 5050,
              [("PRODUCT_CATALOG_SERVICE_ADDR", "productcatalogservice:3550"),
               ("SHIPPING_SERVICE_ADDR", "shippingservice:50051"),
               ("PAYMENT_SERVICE_ADDR", "paymentservice:50051"),
               ("EMAIL_SERVICE_ADDR", "emailservice:5000"),
               ("CURRENCY_SERVICE_ADDR", "currencyservice:7000"),
               ("CART_SERVICE_ADDR", "cartservice:7070")])],
        {"app": "checkoutservice"}, created=BQ, replicas=1, hash="8c7d6f5b9d",
        init=[C("wait-for-payment", BUSYBOX, command=["sh", "-c",
                "until nslookup paymentservice.boutique.svc.cluster.local; do sleep 2; done"])])
Pod(_co, "checkoutservice-8c7d6f5b9d-m6p4z", "kind-worker", "10.244.1.7", key="checkoutservice",
    created=-100000, owner=rs_owner(_co, "8c7d6f5b9d"))

_pay = W("Deployment", "boutique", "paymentservice",
         [grpc("server", "paymentservice", 50051, [("DISABLE_PROFILER", "1"),
               ("PAYMENT_GATEWAY_ADDR", "payments-gateway.boutique.svc.cluster.local:443")])],
         {"app": "paymentservice"}, created=BQ, replicas=1, hash="7f8d9c6b5d")
Pod(_pay, "paymentservice-7f8d9c6b5d-c2v8n", "kind-worker2", "10.244.2.60", key="paymentservice",
    owner=rs_owner(_pay, "7f8d9c6b5d"))

_lg = W("Deployment", "boutique", "loadgenerator",
        [C("main", f"{OB}/loadgenerator:{_ver}", req={"cpu": "300m", "memory": "256Mi"},
           lim={"cpu": "500m", "memory": "512Mi"},
           env=[("FRONTEND_ADDR", "frontend:80"), ("USERS", "10"), ("RATE", "1")])],
        {"app": "loadgenerator"}, created=BQ, replicas=1, hash="6d9b8f7c5d",
        init=[C("frontend-check", BUSYBOX, command=["/bin/sh", "-exc",
                "until wget --spider -T 2 http://frontend:80; do sleep 10; done"])])
Pod(_lg, "loadgenerator-6d9b8f7c5d-n7w2k", "kind-worker", "10.244.1.80", key="loadgenerator",
    owner=rs_owner(_lg, "6d9b8f7c5d"))

_ad = W("Deployment", "boutique", "adservice",
        [grpc("server", "adservice", 9555, req={"cpu": "200m", "memory": "180Mi"},
              lim={"cpu": "300m", "memory": "300Mi"})],
        {"app": "adservice"}, created=BQ, replicas=0, hash="7c8b9d6f5c", generation=2)

_mail = W("Deployment", "boutique", "emailservice",
          [C("server", f"{OB}/emailservice:{_ver}", [("grpc", 8080, "TCP")],
             req={"cpu": "100m", "memory": "64Gi"}, lim={"cpu": "200m", "memory": "64Gi"},
             env=[("PORT", "8080"), ("DISABLE_PROFILER", "1")])],
          {"app": "emailservice"}, created=-3600, replicas=1, hash="5f7d8c9b6d")
Pod(_mail, "emailservice-5f7d8c9b6d-j4r8t", None, None, life=None, phase="Pending",
    created=-3595, owner=rs_owner(_mail, "5f7d8c9b6d"))

_cj_nightly = W("CronJob", "boutique", "nightly-report",
                [C("report", "registry.example.com/boutique/nightly-report:1.4.0",
                   req={"cpu": "50m", "memory": "64Mi"}, lim={"memory": "128Mi"},
                   args=["--catalog=productcatalogservice.boutique.svc.cluster.local:3550"])],
                {}, created=BQ + 60, schedule="0 2 * * *", restart="OnFailure")
_job_nightly = W("Job", "boutique", "nightly-report-29412360", _cj_nightly["containers"], {},
                 created=15.4, cron=_cj_nightly, restart="OnFailure", done=21)
Pod(_job_nightly, "nightly-report-29412360-b7x4m", "kind-worker2", "10.244.2.9", key="nightly",
    life="nightly", phase="Succeeded", created=15.4, started=15.6, finished=20,
    owner=wl_owner(_job_nightly), run_started=16)

_cj_backup = W("CronJob", "boutique", "db-backup",
               [C("backup", "docker.io/library/redis:7.4-alpine",
                  command=["sh", "-c", "redis-cli -h redis-cart-0.redis-cart --rdb /backup/dump.rdb"],
                  req={"cpu": "50m", "memory": "32Mi"},
                  mounts=[{"mountPath": "/backup", "name": "backup"}])],
               {}, created=BQ + 60, schedule="0 */6 * * *", restart="Never",
               volumes=[{"emptyDir": {}, "name": "backup"}])
_job_backup = W("Job", "boutique", "db-backup-29411980", _cj_backup["containers"], {},
                created=-21605, cron=_cj_backup, restart="Never", done=-21535,
                volumes=_cj_backup["volumes"])
Pod(_job_backup, "db-backup-29411980-w9g2t", "kind-worker", "10.244.1.66", life=None,
    phase="Succeeded", created=-21605, started=-21603, finished=-21540,
    owner=wl_owner(_job_backup), run_started=-21600)

_reco = W("Deployment", "boutique", "recommendationservice",
          [grpc("server", "recommendationservice", 8080,
                [("PRODUCT_CATALOG_SERVICE_ADDR", "productcatalogservice:3550"),
                 ("DISABLE_PROFILER", "1")], req={"cpu": "100m", "memory": "220Mi"},
                lim={"cpu": "200m", "memory": "450Mi"})],
          {"app": "recommendationservice"}, created=21.3, replicas=1, hash="7d9c6b8f5d")
Pod(_reco, "recommendationservice-7d9c6b8f5d-s5k2w", "kind-worker2", "10.244.2.9", key="reco",
    life="reco", created=21.4, started=22, owner=rs_owner(_reco, "7d9c6b8f5d"), ready=23)

# --- monitoring
MON = BORN + 400
_kp_labels = {"app.kubernetes.io/component": "prometheus", "app.kubernetes.io/instance": "k8s",
              "app.kubernetes.io/name": "prometheus", "app.kubernetes.io/part-of": "kube-prometheus",
              "app.kubernetes.io/version": "3.1.0"}
_prom = W("StatefulSet", "monitoring", "prometheus-k8s",
          [C("prometheus", "quay.io/prometheus/prometheus:v3.1.0", [("web", 9090, "TCP")],
             req={"memory": "400Mi"},
             args=["--web.console.templates=/etc/prometheus/consoles",
                   "--config.file=/etc/prometheus/config_out/prometheus.env.yaml",
                   "--storage.tsdb.path=/prometheus", "--storage.tsdb.retention.time=24h",
                   "--web.enable-lifecycle", "--web.route-prefix=/"],
             mounts=[{"mountPath": "/etc/prometheus/config_out", "name": "config-out",
                      "readOnly": True},
                     {"mountPath": "/prometheus", "name": "prometheus-k8s-db"}]),
           C("config-reloader", "quay.io/prometheus-operator/prometheus-config-reloader:v0.80.0",
             [("reloader-web", 8080, "TCP")],
             req={"cpu": "10m", "memory": "50Mi"}, lim={"cpu": "10m", "memory": "50Mi"},
             args=["--listen-address=:8080", "--reload-url=http://127.0.0.1:9090/-/reload",
                   "--config-file=/etc/prometheus/config/prometheus.yaml.gz",
                   "--config-envsubst-file=/etc/prometheus/config_out/prometheus.env.yaml"],
             mounts=[{"mountPath": "/etc/prometheus/config_out", "name": "config-out"}])],
          dict(_kp_labels, **{"app.kubernetes.io/managed-by": "prometheus-operator",
                              "operator.prometheus.io/name": "k8s", "operator.prometheus.io/shard": "0",
                              "prometheus": "k8s"}),
          created=MON + 40, replicas=1, rev="prometheus-k8s-5b7c9d8f6c", service="prometheus-operated",
          sa="prometheus-k8s", selector_keys=["app.kubernetes.io/instance",
                                              "app.kubernetes.io/managed-by",
                                              "app.kubernetes.io/name",
                                              "operator.prometheus.io/name",
                                              "operator.prometheus.io/shard", "prometheus"],
          init=[C("init-config-reloader",
                  "quay.io/prometheus-operator/prometheus-config-reloader:v0.80.0",
                  req={"cpu": "10m", "memory": "50Mi"}, lim={"cpu": "10m", "memory": "50Mi"},
                  args=["--watch-interval=0", "--listen-address=:8081",
                        "--config-file=/etc/prometheus/config/prometheus.yaml.gz",
                        "--config-envsubst-file=/etc/prometheus/config_out/prometheus.env.yaml"],
                  mounts=[{"mountPath": "/etc/prometheus/config_out", "name": "config-out"}])],
          volumes=[{"emptyDir": {"medium": "Memory"}, "name": "config-out"},
                   {"emptyDir": {}, "name": "prometheus-k8s-db"}])
Pod(_prom, "prometheus-k8s-0", "kind-worker", "10.244.1.90", key="prometheus",
    owner=wl_owner(_prom), labels={"app.kubernetes.io/managed-by": "prometheus-operator"})

_ne = W("DaemonSet", "monitoring", "node-exporter",
        [C("node-exporter", "quay.io/prometheus/node-exporter:v1.8.2", [("metrics", 9100, "TCP", 9100)],
           req={"cpu": "102m", "memory": "180Mi"}, lim={"cpu": "250m", "memory": "180Mi"},
           args=["--web.listen-address=:9100", "--path.sysfs=/host/sys", "--path.rootfs=/host/root",
                 "--no-collector.wifi", "--no-collector.hwmon"],
           mounts=[{"mountPath": "/host/sys", "mountPropagation": "HostToContainer",
                    "name": "sys", "readOnly": True},
                   {"mountPath": "/host/root", "mountPropagation": "HostToContainer",
                    "name": "root", "readOnly": True}])],
        {"app.kubernetes.io/component": "exporter", "app.kubernetes.io/name": "node-exporter",
         "app.kubernetes.io/part-of": "kube-prometheus", "app.kubernetes.io/version": "1.8.2"},
        hostnet=True, created=MON + 30, sa="node-exporter", rev="58d9c7f6b4",
        selector_keys=["app.kubernetes.io/component", "app.kubernetes.io/name",
                       "app.kubernetes.io/part-of"])
for _node, _s in [(CP, "8kfzq"), ("kind-worker", "vx4bn"), ("kind-worker2", "2wl6h")]:
    Pod(_ne, f"node-exporter-{_s}", _node, None, owner=wl_owner(_ne))

_ksm = W("Deployment", "monitoring", "kube-state-metrics",
         [C("kube-state-metrics", "registry.k8s.io/kube-state-metrics/kube-state-metrics:v2.14.0",
            [("http-metrics", 8080, "TCP"), ("telemetry", 8081, "TCP")],
            req={"cpu": "10m", "memory": "190Mi"}, lim={"cpu": "100m", "memory": "250Mi"},
            args=["--host=0.0.0.0", "--port=8080", "--telemetry-host=0.0.0.0", "--telemetry-port=8081"],
            sec={"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                 "runAsNonRoot": True, "runAsUser": 65534})],
         {"app.kubernetes.io/component": "exporter", "app.kubernetes.io/name": "kube-state-metrics",
          "app.kubernetes.io/part-of": "kube-prometheus", "app.kubernetes.io/version": "2.14.0"},
         created=MON + 30, replicas=1, hash="6c7d8b9f5d", sa="kube-state-metrics",
         selector_keys=["app.kubernetes.io/component", "app.kubernetes.io/name",
                        "app.kubernetes.io/part-of"])
Pod(_ksm, "kube-state-metrics-6c7d8b9f5d-r2x9v", "kind-worker2", "10.244.2.70",
    key="kube-state-metrics", owner=rs_owner(_ksm, "6c7d8b9f5d"))

# --- ml: a Volcano job
_vj = W("VolcanoJob", "ml", "train-mnist",
        [C("worker", "docker.io/pytorch/pytorch:2.5.1-cuda12.4-cudnn9-runtime",
           req={"cpu": "1", "memory": "2Gi"}, lim={"cpu": "1", "memory": "2Gi"},
           command=["python", "/workspace/train.py", "--epochs=5",
                    "--data-url=https://datasets.example/mnist/"],
           env=[("VC_TASK_INDEX", "0")])],
        {"volcano.sh/job-name": "train-mnist", "volcano.sh/job-namespace": "ml",
         "volcano.sh/queue-name": "default", "volcano.sh/task-spec": "worker"},
        created=-3600, restart="OnFailure", scheduler="volcano")
Pod(_vj, "train-mnist-worker-0", "kind-worker2", "10.244.2.80", key="train-mnist",
    created=-3598, started=-3590, owner=wl_owner(_vj),
    labels={"volcano.sh/job-retry-count": "0", "volcano.sh/job-version": "0"})

# A pod that came and went during the capture: in no inventory.
EPHEMERAL = dict(key="ephemeral", node="kind-worker", ip="10.244.1.99")

# ---------------------------------------------------------------- Services
#
# ports: (name, port, protocol, targetPort[, nodePort])


def S(ns, name, ports, selector=None, ips=None, stack="SingleStack", **kw):
    s = dict(ns=ns, name=name, ports=ports, selector=selector, ips=ips or [], stack=stack, **kw)
    s.setdefault("created", BQ if ns == "boutique" else BORN + 14)
    s["uid"] = uid("Service", ns, name)
    SERVICES.append(s)
    return s


SERVICES = []
S("default", "kubernetes", [("https", 443, "TCP", 6443)], ips=["10.96.0.1"], created=BORN + 6,
  labels={"component": "apiserver", "provider": "kubernetes"}, apiserver=True)
S("kube-system", "kube-dns", [("dns", 53, "UDP", 53), ("dns-tcp", 53, "TCP", 53),
                              ("metrics", 9153, "TCP", 9153)],
  {"k8s-app": "kube-dns"}, ["10.96.0.10", "fd00:10:96::a"], "PreferDualStack",
  labels={"k8s-app": "kube-dns", "kubernetes.io/cluster-service": "true",
          "kubernetes.io/name": "CoreDNS"},
  annotations={"prometheus.io/port": "9153", "prometheus.io/scrape": "true"})
S("boutique", "frontend", [("http", 80, "TCP", "http")], {"app": "frontend"},
  ["10.96.10.10", "fd00:10:96::1010"], "PreferDualStack", labels={"app": "frontend"})
S("boutique", "frontend-external", [("http", 80, "TCP", 8080, 30080)], {"app": "frontend"},
  ["10.96.10.11"], type="LoadBalancer", etp="Local", hcnp=32145, lb=[LB_IP],
  labels={"app": "frontend"})
S("boutique", "cartservice", [("grpc", 7070, "TCP", 7070)], {"app": "cartservice"},
  ["10.96.10.20", "fd00:10:96::1020"], "PreferDualStack", labels={"app": "cartservice"})
S("boutique", "redis-cart", [("tcp-redis", 6379, "TCP", 6379)], {"app": "redis-cart"},
  ["None"], "PreferDualStack", families=["IPv4", "IPv6"], labels={"app": "redis-cart"})
S("boutique", "productcatalogservice", [("grpc", 3550, "TCP", 3550)],
  {"app": "productcatalogservice"}, ["10.96.10.40", "fd00:10:96::1040"], "PreferDualStack",
  labels={"app": "productcatalogservice"})
S("boutique", "currencyservice", [("grpc", 7000, "TCP", 7000)], {"app": "currencyservice"},
  ["10.96.10.50"], labels={"app": "currencyservice"})
S("boutique", "checkoutservice", [("grpc", 5050, "TCP", "grpc")], {"app": "checkoutservice"},
  ["10.96.10.60"], labels={"app": "checkoutservice"})
S("boutique", "paymentservice", [("grpc", 50051, "TCP", 50051)], {"app": "paymentservice"},
  ["10.96.10.70"], labels={"app": "paymentservice"})
S("boutique", "recommendationservice", [("grpc", 8080, "TCP", 8080)],
  {"app": "recommendationservice"}, ["10.96.10.80"], created=21.3,
  labels={"app": "recommendationservice"})
S("boutique", "adservice", [("grpc", 9555, "TCP", 9555)], {"app": "adservice"},
  ["10.96.10.90"], labels={"app": "adservice"})
S("boutique", "emailservice", [("grpc", 5000, "TCP", 8080)], {"app": "emailservice"},
  ["10.96.10.100"], created=-3600, labels={"app": "emailservice"})
S("boutique", "payments-gateway", [("https", 443, "TCP", 443)], type="ExternalName",
  external="gateway.example", labels={"app": "paymentservice"})
S("monitoring", "prometheus-k8s", [("web", 9090, "TCP", "web"), ("reloader-web", 8080, "TCP",
                                                                 "reloader-web")],
  {"app.kubernetes.io/component": "prometheus", "app.kubernetes.io/instance": "k8s",
   "app.kubernetes.io/name": "prometheus", "app.kubernetes.io/part-of": "kube-prometheus"},
  ["10.96.20.10"], created=MON + 40, labels=dict(_kp_labels))
S("monitoring", "node-exporter", [("metrics", 9100, "TCP", "metrics")],
  {"app.kubernetes.io/component": "exporter", "app.kubernetes.io/name": "node-exporter",
   "app.kubernetes.io/part-of": "kube-prometheus"}, ["None"], created=MON + 30,
  labels={"app.kubernetes.io/component": "exporter", "app.kubernetes.io/name": "node-exporter",
          "app.kubernetes.io/part-of": "kube-prometheus", "app.kubernetes.io/version": "1.8.2"})
S("monitoring", "kube-state-metrics", [("http-metrics", 8080, "TCP", "http-metrics"),
                                       ("telemetry", 8081, "TCP", "telemetry")],
  {"app.kubernetes.io/component": "exporter", "app.kubernetes.io/name": "kube-state-metrics",
   "app.kubernetes.io/part-of": "kube-prometheus"}, ["10.96.20.20"], created=MON + 30,
  labels={"app.kubernetes.io/component": "exporter", "app.kubernetes.io/name": "kube-state-metrics",
          "app.kubernetes.io/part-of": "kube-prometheus", "app.kubernetes.io/version": "2.14.0"})

NAMESPACES = [("default", BORN + 5), ("kube-node-lease", BORN + 5), ("kube-public", BORN + 5),
              ("kube-system", BORN + 5), ("local-path-storage", BORN + 14), ("boutique", BQ - 60),
              ("ml", -86400 * 2), ("monitoring", MON)]

# ---------------------------------------------------------------- managedFields

LIST_KEYS = {"containers": ("name",), "initContainers": ("name",), "env": ("name",),
             "volumes": ("name",), "volumeMounts": ("mountPath",), "conditions": ("type",),
             "podIPs": ("ip",), "hostIPs": ("ip",), "ownerReferences": ("uid",),
             "tasks": ("name",)}


def fields(x, name=None, top=False):
    if isinstance(x, dict):
        d = {} if top or not x else {".": {}}
        for k, v in x.items():
            d["f:" + k] = fields(v, k)
        return d
    if isinstance(x, list) and x and all(isinstance(i, dict) for i in x):
        keys = LIST_KEYS.get(name)
        if name == "ports":
            keys = ("containerPort", "protocol") if "containerPort" in x[0] else ("port", "protocol")
        if keys and all(k in i for i in x for k in keys):
            d = {".": {}} if name != "ownerReferences" else {".": {}}
            for i in x:
                kk = json.dumps({k: i[k] for k in sorted(keys)}, separators=(",", ":"))
                d["k:" + kk] = {} if name == "ownerReferences" else fields(i, None)
            return d
    return {}


def mf(manager, op, off, f, sub=None, api="v1"):
    e = {"apiVersion": api, "fieldsType": "FieldsV1", "fieldsV1": f, "manager": manager,
         "operation": op, "time": ts(off)}
    if sub:
        e["subresource"] = sub
    return e


def strip(d, *keys):
    return {k: v for k, v in d.items() if k not in keys}


# ---------------------------------------------------------------- objects


def meta(ns, name, u, created, last, labels=None, annotations=None, owner=None, gen_name=None,
         generation=None, managed=None):
    m = {"creationTimestamp": ts(created), "name": name, "resourceVersion": rv(last), "uid": u}
    if ns:
        m["namespace"] = ns
    if labels:
        m["labels"] = dict(labels)
    if annotations:
        m["annotations"] = dict(annotations)
    if owner:
        o = dict(owner)
        if o["kind"] != "Node":     # the kubelet's mirror pods: controller, but no blockOwnerDeletion
            o["blockOwnerDeletion"] = True
        o["controller"] = True
        m["ownerReferences"] = [o]
    if gen_name:
        m["generateName"] = gen_name
    if generation is not None:
        m["generation"] = generation
    if managed:
        m["managedFields"] = managed
    return m


def api_volume(p):
    return f"kube-api-access-{sfx(5, 'vol', p['ns'], p['name'], p['created'])}"


def hostpath_volumes(w):
    if w["name"] == "kube-proxy":
        return [{"configMap": {"defaultMode": 420, "name": "kube-proxy"}, "name": "kube-proxy"},
                {"hostPath": {"path": "/run/xtables.lock", "type": "FileOrCreate"},
                 "name": "xtables-lock"},
                {"hostPath": {"path": "/lib/modules", "type": ""}, "name": "lib-modules"}]
    if w["name"] == "kindnet":
        return [{"hostPath": {"path": "/etc/cni/net.d", "type": ""}, "name": "cni-cfg"},
                {"hostPath": {"path": "/opt/cni/bin", "type": ""}, "name": "cni-bin"},
                {"hostPath": {"path": "/run/xtables.lock", "type": "FileOrCreate"},
                 "name": "xtables-lock"},
                {"hostPath": {"path": "/lib/modules", "type": ""}, "name": "lib-modules"}]
    if w["name"] == "node-exporter":
        return [{"hostPath": {"path": "/sys", "type": ""}, "name": "sys"},
                {"hostPath": {"path": "/", "type": ""}, "name": "root"}]
    if w["name"] == "coredns":
        return [{"configMap": {"defaultMode": 420, "items": [{"key": "Corefile", "path": "Corefile"}],
                               "name": "coredns"}, "name": "config-volume"}]
    if w["name"] == "local-path-provisioner":
        return [{"configMap": {"defaultMode": 420, "name": "local-path-config"},
                 "name": "config-volume"}]
    if w["name"] == "log-shipper":
        return [{"hostPath": {"path": "/var/log", "type": "Directory"}, "name": "varlog"}]
    if w["kind"] == "Static":
        return [{"hostPath": {"path": "/etc/kubernetes/pki", "type": "DirectoryOrCreate"},
                 "name": "k8s-certs"}]
    return list(w.get("volumes", []))


def pod_spec(w, p=None):
    """The pod template's spec (p None) or the pod's spec (defaults filled in)."""
    vol = api_volume(p) if p and w["kind"] != "Static" else None
    s = {"containers": [container_spec(c, vol, p is None) for c in w["containers"]],
         "dnsPolicy": "ClusterFirstWithHostNet" if w["hostnet"] and w["kind"] == "DaemonSet"
         and w["name"] == "node-exporter" else "ClusterFirst",
         "restartPolicy": {"OnFailure": "OnFailure", "Never": "Never"}.get(w.get("restart"), "Always"),
         "schedulerName": w.get("scheduler", "default-scheduler"), "securityContext": {},
         "terminationGracePeriodSeconds": 30}
    if w["init"]:
        s["initContainers"] = [container_spec(c, vol, p is None) for c in w["init"]]
    if w["hostnet"]:
        s["hostNetwork"] = True
    if w.get("priority"):
        s["priorityClassName"] = w["priority"]
    if w["kind"] != "Static":
        s["serviceAccountName"] = w["sa"]
    vols = hostpath_volumes(w)
    if w["name"] == "kube-proxy" or w["name"] == "kindnet":
        s["nodeSelector"] = {"kubernetes.io/os": "linux"}
        s["tolerations"] = [{"operator": "Exists"}]
    if w["name"] == "coredns":
        s["nodeSelector"] = {"kubernetes.io/os": "linux"}
        s["tolerations"] = [{"key": "CriticalAddonsOnly", "operator": "Exists"},
                            {"effect": "NoSchedule", "key": "node-role.kubernetes.io/control-plane"}]
    if w["name"] == "local-path-provisioner":
        s["nodeSelector"] = {"kubernetes.io/os": "linux"}
        s["tolerations"] = [{"effect": "NoSchedule", "key": "node-role.kubernetes.io/control-plane",
                             "operator": "Equal"}]
    if w["name"] == "node-exporter":
        s["tolerations"] = [{"operator": "Exists"}]
        s["hostPID"] = True
    if w["kind"] == "VolcanoJob" and p:
        s["hostname"] = p["name"]
        s["subdomain"] = w["name"]
    if p is None:
        if vols:
            s["volumes"] = vols
        return s
    # what admission, the scheduler and the kubelet add to a pod
    s["enableServiceLinks"] = True
    s["preemptionPolicy"] = "PreemptLowerPriority"
    s["priority"] = {"system-node-critical": 2000001000,
                     "system-cluster-critical": 2000000000}.get(w.get("priority"), 0)
    if p["node"]:
        s["nodeName"] = p["node"]
    if w["kind"] != "Static":
        s["serviceAccount"] = w["sa"]
        vols = vols + [{"name": vol, "projected": {"defaultMode": 420, "sources": [
            {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
            {"configMap": {"items": [{"key": "ca.crt", "path": "ca.crt"}], "name": "kube-root-ca.crt"}},
            {"downwardAPI": {"items": [{"fieldRef": {"apiVersion": "v1",
                                                     "fieldPath": "metadata.namespace"},
                                        "path": "namespace"}]}}]}}]
    tol = list(s.get("tolerations", []))
    if w["kind"] == "DaemonSet":
        s["affinity"] = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": [{"matchFields": [{"key": "metadata.name", "operator": "In",
                                                    "values": [p["node"]]}]}]}}}
        for key, eff in [("node.kubernetes.io/not-ready", "NoExecute"),
                         ("node.kubernetes.io/unreachable", "NoExecute"),
                         ("node.kubernetes.io/disk-pressure", "NoSchedule"),
                         ("node.kubernetes.io/memory-pressure", "NoSchedule"),
                         ("node.kubernetes.io/pid-pressure", "NoSchedule"),
                         ("node.kubernetes.io/unschedulable", "NoSchedule")] + (
                [("node.kubernetes.io/network-unavailable", "NoSchedule")] if w["hostnet"] else []):
            tol.append({"effect": eff, "key": key, "operator": "Exists"})
    elif w["kind"] == "Static":
        tol = [{"effect": "NoExecute", "operator": "Exists"}]
    else:
        tol += [{"effect": "NoExecute", "key": "node.kubernetes.io/not-ready", "operator": "Exists",
                 "tolerationSeconds": 300},
                {"effect": "NoExecute", "key": "node.kubernetes.io/unreachable", "operator": "Exists",
                 "tolerationSeconds": 300}]
    s["tolerations"] = tol
    if vols:
        s["volumes"] = vols
    return s


def image_id(image):
    repo = image.rsplit(":", 1)[0]
    if repo.count("/") == 0:
        repo = "docker.io/library/" + repo
    return f"{repo}@sha256:{hexid(64, 'image', image)}"


def cstatus(p, c, state, ready, vol):
    d = {"containerID": f"containerd://{hexid(64, 'ctr', p['ns'], p['name'], p['created'], c['name'])}",
         "image": c["image"], "imageID": image_id(c["image"]), "lastState": {}, "name": c["name"],
         "ready": ready, "restartCount": 0, "started": "running" in state, "state": state}
    mounts = [{"mountPath": m["mountPath"], "name": m["name"]} | (
        {"readOnly": True, "recursiveReadOnly": "Disabled"} if m.get("readOnly") else {})
        for m in c["mounts"]]
    if vol:
        mounts.append({"mountPath": "/var/run/secrets/kubernetes.io/serviceaccount", "name": vol,
                       "readOnly": True, "recursiveReadOnly": "Disabled"})
    if mounts:
        d["volumeMounts"] = mounts
    return d


def cond(typ, status, off, reason=None, message=None):
    d = {"lastProbeTime": None, "lastTransitionTime": ts(off), "status": status, "type": typ}
    if reason:
        d["reason"] = reason
    if message:
        d["message"] = message
    return d


EVICTION = ("The node was low on resource: memory. Threshold quantity: 100Mi, available: 86212Ki. "
            "Container server was using 415828Ki, request is 64Mi, has larger consumption of memory. "
            "Container log-tailer was using 1220Ki, request is 16Mi, has larger consumption of memory. ")


def pod_obj(p):
    w = p["w"]
    vol = api_volume(p) if w["kind"] != "Static" else None
    ann = {}
    if p.get("static"):
        h = hexid(32, "config", p["name"])
        ann = {"kubernetes.io/config.hash": h, "kubernetes.io/config.mirror": h,
               "kubernetes.io/config.seen": ts(p["started"] - 2).replace("Z", ".412378311Z"),
               "kubernetes.io/config.source": "file"}
        ann.update(w.get("ann", {}))
    if w["kind"] == "VolcanoJob":
        ann = {"scheduling.k8s.io/group-name": f"train-mnist-{w['uid']}",
               "volcano.sh/job-name": "train-mnist", "volcano.sh/job-retry-count": "0",
               "volcano.sh/job-version": "0", "volcano.sh/queue-name": "default",
               "volcano.sh/task-index": "0", "volcano.sh/task-spec": "worker",
               "volcano.sh/template-uid": "train-mnist-worker"}
    labels = dict(p["labels"])
    if w["kind"] == "Deployment":
        labels["pod-template-hash"] = p["owner"]["name"].rsplit("-", 1)[1]
    elif w["kind"] == "StatefulSet":
        labels.update({"apps.kubernetes.io/pod-index": p["name"].rsplit("-", 1)[1],
                       "controller-revision-hash": w["rev"],
                       "statefulset.kubernetes.io/pod-name": p["name"]})
    elif w["kind"] == "DaemonSet":
        labels.update({"controller-revision-hash": w["rev"], "pod-template-generation": "1"})
    elif w["kind"] == "Job":
        labels.update({"batch.kubernetes.io/controller-uid": w["uid"],
                       "batch.kubernetes.io/job-name": w["name"], "controller-uid": w["uid"],
                       "job-name": w["name"]})
    spec = pod_spec(w, p)
    gen_name = None
    if not p.get("static"):
        gen_name = (p["name"][:-1] if w["kind"] == "VolcanoJob" else
                    p["name"].rsplit("-", 1)[0] + "-")
        if w["kind"] == "VolcanoJob":
            gen_name = None
    # status
    st = {"phase": p["phase"], "qosClass": qos(w["containers"] + w["init"])}
    node = NODE.get(p["node"])
    sched = p["created"] + 1
    last = p["created"]
    if p["phase"] == "Pending":
        st["conditions"] = [cond("PodScheduled", "False", sched, "Unschedulable",
                                 "0/3 nodes are available: 1 node(s) had untolerated taint "
                                 "{node-role.kubernetes.io/control-plane: }, 2 Insufficient memory. "
                                 "preemption: 0/3 nodes are available: 1 Preemption is not helpful "
                                 "for scheduling, 2 No preemption victims found for incoming pod.")]
        last = sched
    else:
        run = p.get("run_started", p["started"] + 1)
        ip4 = p["ip"]
        st["hostIP"] = node["ip4"]
        st["hostIPs"] = [{"ip": node["ip4"]}, {"ip": node["ip6"]}]
        st["podIP"] = ip4
        st["podIPs"] = [{"ip": ip4}, {"ip": node["ip6"] if w["hostnet"] else v6of(ip4)}]
        st["startTime"] = ts(p["started"])
        init_done = p["started"] + 1
        if w["init"]:
            st["initContainerStatuses"] = [
                cstatus(p, c, {"terminated": {"containerID": None, "exitCode": 0,
                                              "finishedAt": ts(init_done), "reason": "Completed",
                                              "startedAt": ts(p["started"] + 0.5)}},
                        True, vol) for c in w["init"]]
            for s, c in zip(st["initContainerStatuses"], w["init"]):
                s["state"]["terminated"]["containerID"] = s["containerID"]
                s["started"] = False
            run = max(run, init_done + 1)
        if p["phase"] == "Running":
            ready = p.get("ready", run + 5)
            st["conditions"] = [cond("PodReadyToStartContainers", "True", p["started"] + 1),
                                cond("Initialized", "True", init_done if w["init"] else p["started"]),
                                cond("Ready", "True", ready), cond("ContainersReady", "True", ready),
                                cond("PodScheduled", "True", sched)]
            st["containerStatuses"] = [cstatus(p, c, {"running": {"startedAt": ts(run)}}, True, vol)
                                       for c in w["containers"]]
            last = ready
        elif p["phase"] == "Succeeded":
            fin = p["finished"]
            st["conditions"] = [cond("PodReadyToStartContainers", "False", fin + 1),
                                cond("Initialized", "True", p["started"], "PodCompleted"),
                                cond("Ready", "False", fin + 1, "PodCompleted"),
                                cond("ContainersReady", "False", fin + 1, "PodCompleted"),
                                cond("PodScheduled", "True", sched)]
            st["containerStatuses"] = [
                cstatus(p, c, {"terminated": {"containerID": None, "exitCode": 0,
                                              "finishedAt": ts(fin), "reason": "Completed",
                                              "startedAt": ts(run)}}, False, vol)
                for c in w["containers"]]
            for s in st["containerStatuses"]:
                s["state"]["terminated"]["containerID"] = s["containerID"]
            last = fin + 1
        elif p.get("evicted"):
            fin = p["finished"]
            st["conditions"] = [cond("DisruptionTarget", "True", fin, "TerminationByKubelet", EVICTION),
                                cond("PodReadyToStartContainers", "False", fin + 1),
                                cond("Initialized", "True", p["started"]),
                                cond("Ready", "False", fin + 1, "PodFailed"),
                                cond("ContainersReady", "False", fin + 1, "PodFailed"),
                                cond("PodScheduled", "True", sched)]
            st["message"] = EVICTION
            st["reason"] = "Evicted"
            st["containerStatuses"] = [
                cstatus(p, c, {"terminated": {"exitCode": 137, "finishedAt": None,
                                              "message": "The container could not be located when "
                                              "the pod was terminated",
                                              "reason": "ContainerStatusUnknown",
                                              "startedAt": None}}, False, vol)
                for c in w["containers"]]
            for s in st["containerStatuses"]:
                del s["containerID"]
                s["imageID"] = ""
            last = fin + 2
    # managedFields
    md = {"generateName": gen_name, "labels": labels, "ownerReferences": [p["owner"]]}
    if not gen_name:
        del md["generateName"]
    if ann:
        md["annotations"] = ann
    spec_f = strip(spec, "nodeName", "serviceAccount", "enableServiceLinks", "preemptionPolicy",
                   "priority", "tolerations")
    creator = {"Deployment": "kube-controller-manager", "Rollout": "kube-controller-manager",
               "StatefulSet": "kube-controller-manager", "DaemonSet": "kube-controller-manager",
               "Job": "kube-controller-manager", "VolcanoJob": "vc-controller-manager",
               "Static": "kubelet"}[w["kind"]]
    managed = [mf(creator, "Update", p["created"], {"f:metadata": fields(md, top=True),
                                                   "f:spec": fields(spec_f, top=True)})]
    stf = strip(st, "qosClass")
    if p["phase"] == "Pending":
        managed.append(mf("kube-scheduler", "Update", sched, {"f:status": {"f:conditions": fields(
            st["conditions"], "conditions")}}, "status"))
    else:
        managed.append(mf("kubelet", "Update", last, {"f:status": fields(stf, top=True)}, "status"))
    m = meta(p["ns"], p["name"], p["uid"], p["created"], last, labels, ann or None, p["owner"],
             gen_name, managed=managed)
    return {"apiVersion": "v1", "kind": "Pod", "metadata": m, "spec": spec, "status": st}


def template(w, labels):
    return {"metadata": {"creationTimestamp": None, "labels": dict(labels)}, "spec": pod_spec(w)}


def selector(w):
    keys = w.get("selector_keys") or sorted(w["labels"])
    return {"matchLabels": {k: w["labels"][k] for k in keys}}


def last_applied(kind, api, ns, name, spec, labels=None):
    m = {"annotations": {}, "name": name, "namespace": ns}
    if labels:
        m["labels"] = labels
    obj = {"apiVersion": api, "kind": kind, "metadata": m, "spec": spec}
    return json.dumps(obj, separators=(",", ":"), sort_keys=True) + "\n"


def applied_spec(w):
    """What the manifest said (before defaulting): enough to look like kubectl apply's annotation."""
    cs = []
    for c in w["containers"]:
        d = {"image": c["image"], "name": c["name"]}
        if c["ports"]:
            d["ports"] = [{"containerPort": p[1], "name": p[0]} for p in c["ports"]]
        if c["env"]:
            d["env"] = [{"name": k, "value": v} for k, v in c["env"] if v is not None]
        r = {}
        if c["req"]:
            r["requests"] = c["req"]
        if c["lim"]:
            r["limits"] = c["lim"]
        if r:
            d["resources"] = r
        cs.append(d)
    spec = {"selector": selector(w), "template": {"metadata": {"labels": dict(w["labels"])},
                                                  "spec": {"containers": cs}}}
    if "replicas" in w:
        spec["replicas"] = w["replicas"]
    return spec


def pods_of(w):
    return [p for p in PODS if p["w"] is w]


def deployment_objs(w):
    objs = []
    pods = [p for p in pods_of(w) if p["phase"] == "Running" and not p.get("evicted")]
    pending = [p for p in pods_of(w) if p["phase"] == "Pending"]
    gen = w.get("generation", 1)
    ready_t = max([p.get("ready", p["started"] + 6) for p in pods], default=w["created"] + 10)
    la = last_applied("Deployment", "apps/v1", w["ns"], w["name"], applied_spec(w))
    ann = {"deployment.kubernetes.io/revision": str(gen)}
    if w["ns"] not in ("kube-system", "local-path-storage"):
        ann["kubectl.kubernetes.io/last-applied-configuration"] = la
    spec = {"progressDeadlineSeconds": 600, "replicas": w["replicas"], "revisionHistoryLimit": 10,
            "selector": selector(w), "strategy": {"rollingUpdate": {"maxSurge": "25%",
                                                                    "maxUnavailable": "25%"},
                                                  "type": "RollingUpdate"},
            "template": template(w, w["labels"])}
    avail = len(pods)
    conds = []
    if pending:
        conds.append({"lastTransitionTime": ts(w["created"]), "lastUpdateTime": ts(w["created"]),
                      "message": "Deployment does not have minimum availability.",
                      "reason": "MinimumReplicasUnavailable", "status": "False", "type": "Available"})
    else:
        conds.append({"lastTransitionTime": ts(ready_t), "lastUpdateTime": ts(ready_t),
                      "message": "Deployment has minimum availability.",
                      "reason": "MinimumReplicasAvailable", "status": "True", "type": "Available"})
    rsname = f"{w['name']}-{w['hash']}"
    conds.append({"lastTransitionTime": ts(w["created"]), "lastUpdateTime": ts(ready_t),
                  "message": f'ReplicaSet "{rsname}" has successfully progressed.'
                  if not pending else f'ReplicaSet "{rsname}" is progressing.',
                  "reason": "NewReplicaSetAvailable" if not pending else "ReplicaSetUpdated",
                  "status": "True", "type": "Progressing"})
    status = {"conditions": conds, "observedGeneration": gen}
    if w["replicas"]:
        status.update({"replicas": w["replicas"], "updatedReplicas": w["replicas"]})
        if avail:
            status.update({"availableReplicas": avail, "readyReplicas": avail})
        if pending:
            status["unavailableReplicas"] = len(pending)
    last = max(ready_t, w["created"])
    mgr = "kubectl-client-side-apply" if "kubectl.kubernetes.io/last-applied-configuration" in ann \
        else "kubeadm"
    managed = [mf(mgr, "Update", w["created"], {"f:metadata": fields(
        {"annotations": strip(ann, "deployment.kubernetes.io/revision")} if len(ann) > 1 else
        {"labels": w["labels"]}, top=True), "f:spec": fields(strip(spec, "template"), top=True)},
        api="apps/v1"),
        mf("kube-controller-manager", "Update", last, {"f:metadata": {"f:annotations": {
            "f:deployment.kubernetes.io/revision": {}}}, "f:status": fields(status, top=True)},
            "status", "apps/v1")]
    objs.append({"apiVersion": "apps/v1", "kind": "Deployment",
                 "metadata": meta(w["ns"], w["name"], w["uid"], w["created"], last,
                                  w["labels"] if w["ns"] != "boutique" else {"app": w["name"]},
                                  ann, generation=gen, managed=managed),
                 "spec": spec, "status": status})
    return objs


def replicaset_objs(w):
    out = []
    hashes = [(w["hash"], w.get("rs_created", w["created"]), w["replicas"], w.get("generation", 1))]
    if w.get("old_hash"):
        hashes.insert(0, (w["old_hash"], w["created"], 0, 1))
    for h, created, replicas, revision in hashes:
        name = f"{w['name']}-{h}"
        hk = "rollouts-pod-template-hash" if w["kind"] == "Rollout" else "pod-template-hash"
        labels = dict(w["labels"], **{hk: h})
        pods = [p for p in pods_of(w) if p["owner"]["name"] == name and p["phase"] == "Running"]
        if w["kind"] == "Rollout":
            owner = dict(apiVersion="argoproj.io/v1alpha1", kind="Rollout", name=w["name"],
                         uid=w["uid"])
            ann = {"rollout.argoproj.io/desired-replicas": str(w["replicas"]),
                   "rollout.argoproj.io/revision": str(revision)}
            mgr = "rollouts-controller"
        else:
            owner = dict(apiVersion="apps/v1", kind="Deployment", name=w["name"], uid=w["uid"])
            ann = {"deployment.kubernetes.io/desired-replicas": str(w["replicas"]),
                   "deployment.kubernetes.io/max-replicas": str(w["replicas"] + max(1, -(-w["replicas"] // 4))),
                   "deployment.kubernetes.io/revision": str(revision)}
            mgr = "kube-controller-manager"
        spec = {"replicas": replicas, "selector": {"matchLabels": dict(selector(w)["matchLabels"], **{hk: h})},
                "template": template(w, labels)}
        status = {"observedGeneration": 1 if replicas else 2, "replicas": replicas}
        if replicas:
            status["fullyLabeledReplicas"] = replicas
        if pods:
            status.update({"availableReplicas": len(pods), "readyReplicas": len(pods)})
        last = max([p.get("ready", p["started"] + 6) for p in pods], default=created + 30)
        managed = [mf(mgr, "Update", created, {"f:metadata": fields(
            {"annotations": ann, "labels": labels, "ownerReferences": [owner]}, top=True),
            "f:spec": fields(strip(spec, "template"), top=True)}, api="apps/v1"),
            mf("kube-controller-manager", "Update", last, {"f:status": fields(status, top=True)},
               "status", "apps/v1")]
        out.append({"apiVersion": "apps/v1", "kind": "ReplicaSet",
                    "metadata": meta(w["ns"], name, uid("ReplicaSet", w["ns"], name), created, last,
                                     labels, ann, owner, generation=1 if replicas else 2,
                                     managed=managed),
                    "spec": spec, "status": status})
    return out


def statefulset_obj(w):
    pods = pods_of(w)
    spec = {"persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Retain", "whenScaled": "Retain"},
            "podManagementPolicy": "Parallel" if w["ns"] == "monitoring" else "OrderedReady",
            "replicas": w["replicas"], "revisionHistoryLimit": 10, "selector": selector(w),
            "serviceName": w["service"], "template": template(w, w["labels"]),
            "updateStrategy": {"rollingUpdate": {"partition": 0}, "type": "RollingUpdate"}}
    n = len(pods)
    status = {"availableReplicas": n, "collisionCount": 0, "currentReplicas": n,
              "currentRevision": w["rev"], "observedGeneration": 1, "readyReplicas": n,
              "replicas": n, "updateRevision": w["rev"], "updatedReplicas": n}
    last = max(p["started"] + 6 for p in pods)
    if w["ns"] == "monitoring":
        mgr, owner = "PrometheusOperator", dict(apiVersion="monitoring.coreos.com/v1", kind="Prometheus",
                                                 name="k8s", uid=uid("Prometheus", "monitoring", "k8s"))
        ann = {"operator.prometheus.io/controller-id": "", "prometheus-operator-input-hash": "1580843210394820132"}
    else:
        mgr, owner, ann = "kubectl-client-side-apply", None, {
            "kubectl.kubernetes.io/last-applied-configuration":
                last_applied("StatefulSet", "apps/v1", w["ns"], w["name"], applied_spec(w))}
    managed = [mf(mgr, "Update", w["created"], {"f:metadata": fields({"annotations": ann,
                                                                      "labels": w["labels"]}, top=True),
                                                "f:spec": fields(strip(spec, "template"), top=True)},
                  api="apps/v1"),
               mf("kube-controller-manager", "Update", last, {"f:status": fields(status, top=True)},
                  "status", "apps/v1")]
    return {"apiVersion": "apps/v1", "kind": "StatefulSet",
            "metadata": meta(w["ns"], w["name"], w["uid"], w["created"], last, w["labels"], ann,
                             owner, generation=1, managed=managed),
            "spec": spec, "status": status}


def daemonset_obj(w):
    spec = {"revisionHistoryLimit": 10, "selector": selector(w),
            "template": template(w, w["labels"]),
            "updateStrategy": {"rollingUpdate": {"maxSurge": 0, "maxUnavailable": 1},
                               "type": "RollingUpdate"}}
    status = {"currentNumberScheduled": 3, "desiredNumberScheduled": 3, "numberAvailable": 3,
              "numberMisscheduled": 0, "numberReady": 3, "observedGeneration": 1,
              "updatedNumberScheduled": 3}
    last = max(p["started"] + 6 for p in pods_of(w))
    ann = {"deprecated.daemonset.template.generation": "1"}
    mgr = "kubectl-client-side-apply" if w["ns"] == "monitoring" else "kubeadm"
    if mgr == "kubectl-client-side-apply":
        ann["kubectl.kubernetes.io/last-applied-configuration"] = last_applied(
            "DaemonSet", "apps/v1", w["ns"], w["name"], applied_spec(w))
    managed = [mf(mgr, "Update", w["created"], {"f:metadata": fields({"annotations": ann,
                                                                      "labels": w["labels"]}, top=True),
                                                "f:spec": fields(strip(spec, "template"), top=True)},
                  api="apps/v1"),
               mf("kube-controller-manager", "Update", last, {"f:status": fields(status, top=True)},
                  "status", "apps/v1")]
    return {"apiVersion": "apps/v1", "kind": "DaemonSet",
            "metadata": meta(w["ns"], w["name"], w["uid"], w["created"], last, w["labels"], ann,
                             generation=1, managed=managed),
            "spec": spec, "status": status}


def job_obj(w):
    cj = w["cron"]
    p = pods_of(w)[0]
    labels = {"batch.kubernetes.io/controller-uid": w["uid"], "batch.kubernetes.io/job-name": w["name"],
              "controller-uid": w["uid"], "job-name": w["name"]}
    tw = dict(w, labels=labels)
    spec = {"backoffLimit": 6, "completionMode": "NonIndexed", "completions": 1,
            "manualSelector": False, "parallelism": 1, "podReplacementPolicy": "TerminatingOrFailed",
            "selector": {"matchLabels": {"batch.kubernetes.io/controller-uid": w["uid"]}},
            "suspend": False, "template": template(tw, labels)}
    done = w["done"]
    status = {"completionTime": ts(done), "conditions": [
        {"lastProbeTime": ts(done), "lastTransitionTime": ts(done), "message": "Reached expected number of succeeded pods",
         "reason": "CompletionsReached", "status": "True", "type": "SuccessCriteriaMet"},
        {"lastProbeTime": ts(done), "lastTransitionTime": ts(done), "message": "Reached expected number of succeeded pods",
         "reason": "CompletionsReached", "status": "True", "type": "Complete"}],
        "ready": 0, "startTime": ts(w["created"]), "succeeded": 1, "terminating": 0,
        "uncountedTerminatedPods": {}}
    owner = dict(apiVersion="batch/v1", kind="CronJob", name=cj["name"], uid=cj["uid"])
    managed = [mf("kube-controller-manager", "Update", w["created"], {"f:metadata": fields(
        {"ownerReferences": [owner]}, top=True), "f:spec": fields(strip(spec, "template", "selector"),
                                                                   top=True)}, api="batch/v1"),
               mf("kube-controller-manager", "Update", done, {"f:status": fields(status, top=True)},
                  "status", "batch/v1")]
    return {"apiVersion": "batch/v1", "kind": "Job",
            "metadata": meta(w["ns"], w["name"], w["uid"], w["created"], done, labels,
                             {"batch.kubernetes.io/cronjob-scheduled-timestamp": ts(w["created"] - 0.4)},
                             owner, generation=1, managed=managed),
            "spec": spec, "status": status}


def cronjob_obj(w, jobs):
    jt = {"metadata": {"creationTimestamp": None},
          "spec": {"template": template(w, {}) | {"metadata": {"creationTimestamp": None}}}}
    spec = {"concurrencyPolicy": "Forbid", "failedJobsHistoryLimit": 1, "jobTemplate": jt,
            "schedule": w["schedule"], "successfulJobsHistoryLimit": 3, "suspend": False}
    last_job = max(jobs, key=lambda j: j["created"])
    status = {"lastScheduleTime": ts(last_job["created"] - 0.4),
              "lastSuccessfulTime": ts(last_job["done"])}
    ann = {"kubectl.kubernetes.io/last-applied-configuration": json.dumps(
        {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"annotations": {}, "name": w["name"],
                                                                  "namespace": w["ns"]},
         "spec": {"schedule": w["schedule"], "concurrencyPolicy": "Forbid", "jobTemplate": {
             "spec": {"template": {"spec": {"containers": [{"image": c["image"], "name": c["name"]}
                                                            for c in w["containers"]],
                                            "restartPolicy": w["restart"]}}}}}},
        separators=(",", ":"), sort_keys=True) + "\n"}
    managed = [mf("kubectl-client-side-apply", "Update", w["created"], {"f:metadata": fields(
        {"annotations": ann}, top=True), "f:spec": fields(strip(spec, "jobTemplate"), top=True)},
        api="batch/v1"),
        mf("kube-controller-manager", "Update", last_job["done"], {"f:status": fields(status, top=True)},
           "status", "batch/v1")]
    return {"apiVersion": "batch/v1", "kind": "CronJob",
            "metadata": meta(w["ns"], w["name"], w["uid"], w["created"], last_job["done"], None, ann,
                             generation=1, managed=managed),
            "spec": spec, "status": status}


def rollout_obj(w):
    pods = [p for p in pods_of(w) if p["phase"] == "Running"]
    ready = max(p["started"] + 6 for p in pods)
    spec = {"replicas": w["replicas"], "revisionHistoryLimit": 3, "selector": selector(w),
            "strategy": {"canary": {"steps": [{"setWeight": 20}, {"pause": {"duration": "30s"}},
                                              {"setWeight": 50}, {"pause": {"duration": "30s"}}]}},
            "template": template(w, w["labels"])}
    conds = [
        {"lastTransitionTime": ts(ready), "lastUpdateTime": ts(ready), "message": "Rollout has minimum availability",
         "reason": "AvailableReason", "status": "True", "type": "Available"},
        {"lastTransitionTime": ts(ready + 62), "lastUpdateTime": ts(ready + 62),
         "message": "Rollout is not paused", "reason": "RolloutResumed", "status": "False", "type": "Paused"},
        {"lastTransitionTime": ts(ready + 63), "lastUpdateTime": ts(ready + 63),
         "message": f'ReplicaSet "{w["name"]}-{w["hash"]}" has successfully progressed.',
         "reason": "NewReplicaSetAvailable", "status": "True", "type": "Progressing"},
        {"lastTransitionTime": ts(ready + 63), "lastUpdateTime": ts(ready + 63),
         "message": "Rollout is healthy", "reason": "RolloutHealthy", "status": "True", "type": "Healthy"},
        {"lastTransitionTime": ts(ready + 63), "lastUpdateTime": ts(ready + 63),
         "message": "Rollout completed update to revision 3 (" + w["hash"] + "): Rollout completed update to revision 3",
         "reason": "RolloutCompleted", "status": "True", "type": "Completed"}]
    status = {"HPAReplicas": 2, "availableReplicas": 2, "blueGreen": {}, "canary": {},
              "conditions": conds, "currentPodHash": w["hash"], "currentStepHash": "5ffbfbb8b",
              "currentStepIndex": 4, "observedGeneration": str(w["generation"]), "phase": "Healthy",
              "readyReplicas": 2, "replicas": 2, "selector": "app=productcatalogservice",
              "stableRS": w["hash"], "updatedReplicas": 2}
    ann = {"rollout.argoproj.io/revision": "3",
           "kubectl.kubernetes.io/last-applied-configuration": last_applied(
               "Rollout", "argoproj.io/v1alpha1", w["ns"], w["name"], applied_spec(w))}
    managed = [mf("kubectl-client-side-apply", "Update", -7250, {"f:metadata": fields(
        {"annotations": strip(ann, "rollout.argoproj.io/revision")}, top=True),
        "f:spec": fields(strip(spec, "template"), top=True)}, api="argoproj.io/v1alpha1"),
        mf("rollouts-controller", "Update", ready + 63, {"f:metadata": {"f:annotations": {
            "f:rollout.argoproj.io/revision": {}}}}, api="argoproj.io/v1alpha1"),
        mf("rollouts-controller", "Update", ready + 63, {"f:status": fields(status, top=True)},
           "status", "argoproj.io/v1alpha1")]
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
            "metadata": meta(w["ns"], w["name"], w["uid"], w["created"], ready + 63,
                             {"app": "productcatalogservice"}, ann, generation=w["generation"],
                             managed=managed),
            "spec": spec, "status": status}


def volcano_obj(w):
    p = pods_of(w)[0]
    tmpl = template(w, {})
    tmpl["metadata"] = {}
    spec = {"maxRetry": 3, "minAvailable": 1, "plugins": {"env": [], "svc": []},
            "policies": [{"action": "RestartJob", "event": "PodEvicted"}], "queue": "default",
            "schedulerName": "volcano", "tasks": [{"maxRetry": 3, "minAvailable": 1, "name": "worker",
                                                   "replicas": 1, "template": tmpl}]}
    run = p["started"] + 2
    status = {"conditions": [{"lastTransitionTime": ts(w["created"] + 1), "status": "Pending"},
                             {"lastTransitionTime": ts(run), "status": "Running"}],
              "minAvailable": 1, "running": 1,
              "state": {"lastTransitionTime": ts(run), "phase": "Running"},
              "taskStatusCount": {"worker": {"phase": {"Running": 1}}}, "version": 1}
    ann = {"kubectl.kubernetes.io/last-applied-configuration": json.dumps(
        {"apiVersion": "batch.volcano.sh/v1alpha1", "kind": "Job",
         "metadata": {"annotations": {}, "name": w["name"], "namespace": w["ns"]},
         "spec": {"minAvailable": 1, "queue": "default", "schedulerName": "volcano",
                  "plugins": {"env": [], "svc": []},
                  "tasks": [{"name": "worker", "replicas": 1}]}},
        separators=(",", ":"), sort_keys=True) + "\n"}
    managed = [mf("kubectl-client-side-apply", "Update", w["created"], {"f:metadata": fields(
        {"annotations": ann}, top=True), "f:spec": fields(strip(spec, "tasks"), top=True)},
        api="batch.volcano.sh/v1alpha1"),
        mf("vc-controller-manager", "Update", run, {"f:status": fields(status, top=True)}, "status",
           "batch.volcano.sh/v1alpha1")]
    return {"apiVersion": "batch.volcano.sh/v1alpha1", "kind": "Job",
            "metadata": meta(w["ns"], w["name"], w["uid"], w["created"], run, None, ann,
                             generation=1, managed=managed),
            "spec": spec, "status": status}


def node_obj(n):
    labels = {"beta.kubernetes.io/arch": "amd64", "beta.kubernetes.io/os": "linux",
              "kubernetes.io/arch": "amd64", "kubernetes.io/hostname": n["name"],
              "kubernetes.io/os": "linux"}
    if n["role"]:
        labels["node-role.kubernetes.io/control-plane"] = ""
        labels["node.kubernetes.io/exclude-from-external-load-balancers"] = ""
    ann = {"kubeadm.alpha.kubernetes.io/cri-socket": "unix:///run/containerd/containerd.sock",
           "node.alpha.kubernetes.io/ttl": "0",
           "volumes.kubernetes.io/controller-managed-attach-detach": "true"}
    spec = {"podCIDR": n["cidr4"], "podCIDRs": [n["cidr4"], n["cidr6"]],
            "providerID": f"kind://docker/kind/{n['name']}"}
    if n["role"]:
        spec["taints"] = [{"effect": "NoSchedule", "key": "node-role.kubernetes.io/control-plane"}]
    hb = -17
    ready = n["created"] + 40
    conds = [
        {"lastHeartbeatTime": ts(hb), "lastTransitionTime": ts(n["created"]),
         "message": "kubelet has sufficient memory available", "reason": "KubeletHasSufficientMemory",
         "status": "False", "type": "MemoryPressure"},
        {"lastHeartbeatTime": ts(hb), "lastTransitionTime": ts(n["created"]),
         "message": "kubelet has no disk pressure", "reason": "KubeletHasNoDiskPressure",
         "status": "False", "type": "DiskPressure"},
        {"lastHeartbeatTime": ts(hb), "lastTransitionTime": ts(n["created"]),
         "message": "kubelet has sufficient PID available", "reason": "KubeletHasSufficientPID",
         "status": "False", "type": "PIDPressure"},
        {"lastHeartbeatTime": ts(hb), "lastTransitionTime": ts(ready),
         "message": "kubelet is posting ready status", "reason": "KubeletReady",
         "status": "True", "type": "Ready"}]
    images = sorted({c["image"] for p in PODS if p["node"] == n["name"]
                     for c in p["w"]["containers"] + p["w"]["init"]})
    status = {"addresses": [{"address": n["ip4"], "type": "InternalIP"},
                            {"address": n["ip6"], "type": "InternalIP"},
                            {"address": n["name"], "type": "Hostname"}],
              "allocatable": {"cpu": "8", "ephemeral-storage": "102626232Ki", "hugepages-1Gi": "0",
                              "hugepages-2Mi": "0", "memory": "16318356Ki", "pods": "110"},
              "capacity": {"cpu": "8", "ephemeral-storage": "102626232Ki", "hugepages-1Gi": "0",
                           "hugepages-2Mi": "0", "memory": "16318356Ki", "pods": "110"},
              "conditions": conds, "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
              "features": {"supplementalGroupsPolicy": True},
              "images": [{"names": [image_id(i), i], "sizeBytes": 10_000_000 + int(hexid(6, "sz", i), 16) * 7}
                         for i in images],
              "nodeInfo": {"architecture": "amd64", "bootID": uid("boot", n["name"]),
                           "containerRuntimeVersion": "containerd://2.0.2",
                           "kernelVersion": "6.8.0-51-generic", "kubeProxyVersion": "",
                           "kubeletVersion": K8S, "machineID": hexid(32, "machine", n["name"]),
                           "operatingSystem": "linux", "osImage": "Debian GNU/Linux 12 (bookworm)",
                           "systemUUID": uid("system", n["name"])},
              "runtimeHandlers": [{"features": {"recursiveReadOnlyMounts": True, "userNamespaces": True},
                                   "name": "runc"},
                                  {"features": {"recursiveReadOnlyMounts": True, "userNamespaces": True},
                                   "name": ""}]}
    managed = [mf("kubeadm", "Update", n["created"] + 3, {"f:metadata": {"f:annotations": {
        "f:kubeadm.alpha.kubernetes.io/cri-socket": {}}, "f:labels": {
        "f:node-role.kubernetes.io/control-plane": {},
        "f:node.kubernetes.io/exclude-from-external-load-balancers": {}} if n["role"] else {}}}),
        mf("kube-controller-manager", "Update", n["created"] + 20, {"f:metadata": {"f:annotations": {
            "f:node.alpha.kubernetes.io/ttl": {}}}, "f:spec": {"f:podCIDR": {}, "f:podCIDRs": {
            ".": {}, f'v:"{n["cidr4"]}"': {}, f'v:"{n["cidr6"]}"': {}}}}),
        mf("kubelet", "Update", n["created"] + 1, {"f:metadata": {"f:annotations": {
            ".": {}, "f:volumes.kubernetes.io/controller-managed-attach-detach": {}},
            "f:labels": {".": {}, "f:beta.kubernetes.io/arch": {}, "f:beta.kubernetes.io/os": {},
                         "f:kubernetes.io/arch": {}, "f:kubernetes.io/hostname": {},
                         "f:kubernetes.io/os": {}}}, "f:spec": {"f:providerID": {}}}),
        mf("kubelet", "Update", hb, {"f:status": fields(strip(status, "images", "nodeInfo",
                                                                "allocatable", "capacity"), top=True)},
           "status")]
    if not n["role"]:
        managed[0]["fieldsV1"]["f:metadata"].pop("f:labels")
    return {"apiVersion": "v1", "kind": "Node",
            "metadata": meta(None, n["name"], n["uid"], n["created"], hb, labels, ann, managed=managed),
            "spec": spec, "status": status}


def namespace_obj(name, created):
    labels = {"kubernetes.io/metadata.name": name}
    ann = None
    if name in ("boutique", "monitoring", "ml", "local-path-storage"):
        ann = {"kubectl.kubernetes.io/last-applied-configuration": json.dumps(
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"annotations": {}, "name": name}},
            separators=(",", ":"), sort_keys=True) + "\n"}
        mgr = "kubectl-client-side-apply"
    else:
        mgr = "kube-apiserver"
    f = {"f:metadata": {"f:labels": {".": {}, "f:kubernetes.io/metadata.name": {}}}}
    if ann:
        f["f:metadata"]["f:annotations"] = {".": {}, "f:kubectl.kubernetes.io/last-applied-configuration": {}}
    return {"apiVersion": "v1", "kind": "Namespace",
            "metadata": meta(None, name, uid("ns", name), created, created, labels, ann,
                             managed=[mf(mgr, "Update", created, f)]),
            "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}}


def service_obj(s):
    spec = {"internalTrafficPolicy": "Cluster", "sessionAffinity": "None", "type": s.get("type", "ClusterIP")}
    if s.get("type") == "ExternalName":
        spec = {"externalName": s["external"], "sessionAffinity": "None", "type": "ExternalName"}
    else:
        spec["clusterIP"] = s["ips"][0]
        spec["clusterIPs"] = list(s["ips"])
        fams = s.get("families") or [family(i) for i in s["ips"]]
        spec["ipFamilies"] = fams
        spec["ipFamilyPolicy"] = s["stack"]
    ports = []
    for p in s["ports"]:
        e = {"name": p[0], "port": p[1], "protocol": p[2], "targetPort": p[3]}
        if len(p) > 4:
            e["nodePort"] = p[4]
        ports.append(e)
    spec["ports"] = ports
    if s.get("selector"):
        spec["selector"] = dict(s["selector"])
    if s.get("type") == "LoadBalancer":
        spec["allocateLoadBalancerNodePorts"] = True
        spec["externalTrafficPolicy"] = s["etp"]
        spec["healthCheckNodePort"] = s["hcnp"]
    status = {"loadBalancer": {}}
    if s.get("lb"):
        status["loadBalancer"] = {"ingress": [{"ip": ip, "ipMode": "VIP"} for ip in s["lb"]]}
    ann = dict(s.get("annotations") or {})
    last = s["created"]
    if s["ns"] in ("boutique", "monitoring"):
        applied = {"ports": [{"name": p[0], "port": p[1], "targetPort": p[3]} for p in s["ports"]]}
        if s.get("selector"):
            applied["selector"] = s["selector"]
        for k in ("type",):
            if s.get(k):
                applied[k] = s[k]
        ann["kubectl.kubernetes.io/last-applied-configuration"] = last_applied(
            "Service", "v1", s["ns"], s["name"], applied, s.get("labels"))
        mgr = "kubectl-client-side-apply"
    else:
        mgr = "kubeadm" if s["name"] == "kube-dns" else "kube-apiserver"
    managed = [mf(mgr, "Update", s["created"], {"f:metadata": fields(
        {"annotations": ann, "labels": s.get("labels", {})} if ann else {"labels": s.get("labels", {})},
        top=True), "f:spec": fields(strip(spec, "clusterIP", "clusterIPs", "ipFamilies"), top=True)})]
    if s.get("lb"):
        last = s["created"] + 4
        ann["metallb.io/ip-allocated-from-pool"] = "kind-pool"
        managed.append(mf("metallb-controller", "Update", last, {"f:metadata": {"f:annotations": {
            "f:metallb.io/ip-allocated-from-pool": {}}}}))
        managed.append(mf("metallb-controller", "Update", last, {"f:status": fields(status, top=True)},
                          "status"))
    return {"apiVersion": "v1", "kind": "Service",
            "metadata": meta(s["ns"], s["name"], s["uid"], s["created"], last, s.get("labels"),
                             ann or None, managed=managed),
            "spec": spec, "status": status}


def match(sel, labels):
    return all(labels.get(k) == v for k, v in sel.items())


def endpoints_of(s):
    """Ready pods behind Service s: [(pod, {family: ip}, {service port name: target port})]."""
    out = []
    for p in PODS:
        if p["ns"] != s["ns"] or p["phase"] != "Running" or not p["ip"]:
            continue
        labels = pod_obj(p)["metadata"]["labels"]
        if not match(s["selector"], labels):
            continue
        tps = {}
        for (name, port, proto, target, *_) in s["ports"]:
            if isinstance(target, str):
                named = [cp for c in p["w"]["containers"] for cp in c["ports"] if cp[0] == target]
                if not named:
                    raise SystemExit(f"{s['name']}: pod {p['name']} has no port named {target}")
                target = named[0][1]
            tps[name] = (target, proto)
        v6 = NODE[p["node"]]["ip6"] if p["w"]["hostnet"] else v6of(p["ip"])
        out.append((p, {"IPv4": p["ip"], "IPv6": v6}, tps))
    return out


def slice_objs(s):
    if s.get("type") == "ExternalName":
        return []
    if s.get("apiserver"):
        n = NODE[CP]
        eps = {"addressType": "IPv4", "apiVersion": "discovery.k8s.io/v1",
               "endpoints": [{"addresses": [n["ip4"]], "conditions": {"ready": True}}],
               "kind": "EndpointSlice",
               "metadata": meta("default", "kubernetes", uid("eps", "kubernetes"), BORN + 6, BORN + 6,
                                {"kubernetes.io/service-name": "kubernetes"},
                                managed=[mf("kube-apiserver", "Update", BORN + 6, {
                                    "f:addressType": {}, "f:endpoints": {}, "f:metadata": {
                                        "f:labels": {".": {}, "f:kubernetes.io/service-name": {}}},
                                    "f:ports": {}}, api="discovery.k8s.io/v1")]),
               "ports": [{"name": "https", "port": 6443, "protocol": "TCP"}]}
        return [eps]
    fams = s.get("families") or [family(i) for i in s["ips"]]
    eps = endpoints_of(s)
    out = []
    for fam in fams:
        name = f"{s['name']}-{sfx(5, 'eps', s['ns'], s['name'], fam)}"
        endpoints = []
        for p, addrs, _ in sorted(eps, key=lambda e: e[1][fam]):
            endpoints.append({"addresses": [addrs[fam]], "conditions": {
                "ready": True, "serving": True, "terminating": False}, "nodeName": p["node"],
                "targetRef": {"kind": "Pod", "name": p["name"], "namespace": p["ns"], "uid": p["uid"]}})
        ports = None
        if eps:
            ports = [{"name": name_, "port": t[0], "protocol": t[1]} for name_, t in eps[0][2].items()]
        changed = max([s["created"] + 1] + [p.get("ready", p["started"] + 6) for p, _, _ in eps])
        labels = dict(s.get("labels") or {})
        labels.update({"endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io",
                       "kubernetes.io/service-name": s["name"]})
        if s["ips"] == ["None"]:
            labels["service.kubernetes.io/headless"] = ""
        ann = {"endpoints.kubernetes.io/last-change-trigger-time": ts(changed)}
        owner = dict(apiVersion="v1", kind="Service", name=s["name"], uid=s["uid"])
        obj = {"addressType": fam, "apiVersion": "discovery.k8s.io/v1", "endpoints": endpoints or None,
               "kind": "EndpointSlice", "ports": ports}
        obj["metadata"] = meta(s["ns"], name, uid("eps", s["ns"], name), s["created"], changed + 1, labels,
                               ann, owner, f"{s['name']}-", generation=1 + len(endpoints),
                               managed=[mf("kube-controller-manager", "Update", changed + 1, {
                                   "f:addressType": {}, "f:endpoints": {}, "f:metadata": fields(
                                       {"annotations": ann, "generateName": 1, "labels": labels,
                                        "ownerReferences": [owner]}, top=True), "f:ports": {}},
                                   api="discovery.k8s.io/v1")])
        out.append(obj)
    return out


ENDPOINTS_FOR = {("default", "kubernetes"), ("kube-system", "kube-dns"), ("boutique", "frontend"),
                 ("boutique", "cartservice"), ("boutique", "checkoutservice"),
                 ("monitoring", "prometheus-k8s")}


def endpoints_obj(s, slices):
    v4 = [e for e in slices if e["addressType"] == "IPv4"]
    if not v4:
        return None
    sl = v4[0]
    subset = {"addresses": [], "ports": [dict(p) for p in sl["ports"]]}
    for e in sl["endpoints"] or []:
        a = {"ip": e["addresses"][0]}
        if "nodeName" in e:
            a["nodeName"] = e["nodeName"]
        if "targetRef" in e:
            a["targetRef"] = dict(e["targetRef"])
        subset["addresses"].append(a)
    labels = dict(s.get("labels") or {})
    ann = None
    if s.get("apiserver"):
        labels = {"endpointslice.kubernetes.io/skip-mirror": "true"}
        mgr = "kube-apiserver"
    else:
        labels["endpoints.kubernetes.io/managed-by"] = "endpoint-controller"
        ann = {"endpoints.kubernetes.io/last-change-trigger-time":
               sl["metadata"]["annotations"]["endpoints.kubernetes.io/last-change-trigger-time"]}
        mgr = "kube-controller-manager"
    last = sl["metadata"]["creationTimestamp"]
    return {"apiVersion": "v1", "kind": "Endpoints",
            "metadata": meta(s["ns"], s["name"], uid("ep", s["ns"], s["name"]), s["created"],
                             s["created"] + 2, labels, ann, managed=[mf(mgr, "Update", s["created"] + 2, {
                                 "f:metadata": fields({"labels": labels} | ({"annotations": ann} if ann else {}),
                                                      top=True), "f:subsets": {}})]),
            "subsets": [subset]}


def by_ns_name(o):
    return (o["metadata"].get("namespace", ""), o["metadata"]["name"])


def inventory(t0=0):
    global T
    T = t0
    items = []
    items += [node_obj(n) for n in NODES]
    items += sorted((namespace_obj(*n) for n in NAMESPACES), key=by_ns_name)
    items += sorted((pod_obj(p) for p in PODS), key=by_ns_name)
    items += sorted((service_obj(s) for s in SERVICES), key=by_ns_name)
    slices = {s["name"] + "/" + s["ns"]: slice_objs(s) for s in SERVICES}
    items += sorted((e for v in slices.values() for e in v), key=by_ns_name)
    eps = []
    for s in SERVICES:
        if (s["ns"], s["name"]) in ENDPOINTS_FOR:
            e = endpoints_obj(s, slices[s["name"] + "/" + s["ns"]])
            if e:
                eps.append(e)
    items += sorted(eps, key=by_ns_name)
    wl = lambda k: [w for w in WORKLOADS if w["kind"] == k]
    items += sorted((o for w in wl("Deployment") for o in deployment_objs(w)), key=by_ns_name)
    items += sorted((statefulset_obj(w) for w in wl("StatefulSet")), key=by_ns_name)
    items += sorted((daemonset_obj(w) for w in wl("DaemonSet")), key=by_ns_name)
    items += sorted((o for w in wl("Deployment") + wl("Rollout") for o in replicaset_objs(w)),
                    key=by_ns_name)
    items += sorted((job_obj(w) for w in wl("Job")), key=by_ns_name)
    items += sorted((cronjob_obj(w, [j for j in wl("Job") if j["cron"] is w]) for w in wl("CronJob")),
                    key=by_ns_name)
    items += sorted((rollout_obj(w) for w in wl("Rollout")), key=by_ns_name)
    items += sorted((volcano_obj(w) for w in wl("VolcanoJob")), key=by_ns_name)
    return {"apiVersion": "v1", "items": items, "kind": "List", "metadata": {"resourceVersion": ""}}


def dump(obj):
    return json.dumps(obj, indent=4, sort_keys=True) + "\n"


# ---------------------------------------------------------------- kube-proxy (nftables mode)


def hash_name(name):
    return base64.b32encode(hashlib.sha256(name.encode()).digest()).decode()[:8] + "-" + name


def kube_proxy(node, inv):
    """kube-proxy's nftables rules for node, from the inventory's Services and EndpointSlices."""
    svcs = [o for o in inv["items"] if o["kind"] == "Service"]
    slices = [o for o in inv["items"] if o["kind"] == "EndpointSlice"]
    out = []
    for fam, ipx, addr_t, cidr_i in (("IPv4", "ip", "ipv4_addr", 0), ("IPv6", "ip6", "ipv6_addr", 1)):
        T_ = f"{ipx} kube-proxy"
        lo = "ip daddr != 127.0.0.0/8" if ipx == "ip" else "ip6 daddr != ::1"
        local_pods = f"{ipx} saddr {CLUSTER_CIDRS[cidr_i]}"
        not_local_pods = f"{ipx} saddr != {CLUSTER_CIDRS[cidr_i]}"
        R = out.append
        R(f'add table {T_} {{ comment "rules for kube-proxy" ; }}')
        for name, typ, hook, prio in [
                ("filter-prerouting", "filter", "prerouting", -110), ("filter-input", "filter", "input", -110),
                ("filter-forward", "filter", "forward", -110), ("filter-output", "filter", "output", -110),
                ("filter-output-post-dnat", "filter", "output", -90),
                ("nat-prerouting", "nat", "prerouting", -100), ("nat-output", "nat", "output", -100),
                ("nat-postrouting", "nat", "postrouting", 100)]:
            R(f"add chain {T_} {name} {{ type {typ} hook {hook} priority {prio} ; }}")
        for c in ["nodeport-endpoints-check", "service-endpoints-check", "firewall-check", "services",
                  "masquerading", "cluster-ips-check", "mark-for-masquerade"]:
            R(f"add chain {T_} {c}")
        for dst, src, extra in [("nodeport-endpoints-check", "filter-input", "ct state new "),
                                ("service-endpoints-check", "filter-input", "ct state new "),
                                ("service-endpoints-check", "filter-forward", "ct state new "),
                                ("service-endpoints-check", "filter-output", "ct state new "),
                                ("firewall-check", "filter-prerouting", "ct state new "),
                                ("firewall-check", "filter-output", "ct state new "),
                                ("services", "nat-output", ""), ("services", "nat-prerouting", ""),
                                ("masquerading", "nat-postrouting", ""),
                                ("cluster-ips-check", "filter-forward", "ct state new "),
                                ("cluster-ips-check", "filter-output-post-dnat", "ct state new ")]:
            R(f"add rule {T_} {src} {extra}jump {dst}")
        R(f"add rule {T_} mark-for-masquerade mark set mark or 0x4000")
        R(f"add rule {T_} masquerading mark and 0x4000 == 0 return")
        R(f"add rule {T_} masquerading mark set mark xor 0x4000")
        R(f"add rule {T_} masquerading masquerade fully-random")
        R(f'add set {T_} cluster-ips {{ type {addr_t} ; comment "Active ClusterIPs" ; }}')
        R(f'add rule {T_} cluster-ips-check {ipx} daddr @cluster-ips reject comment "Reject traffic to invalid ports of ClusterIPs"')
        R(f'add rule {T_} cluster-ips-check {ipx} daddr {{ {SERVICE_CIDRS[cidr_i]} }} drop comment "Drop traffic to unallocated ClusterIPs"')
        R(f'add map {T_} no-endpoint-services {{ type {addr_t} . inet_proto . inet_service : verdict ; comment "vmap to drop or reject packets to services with no endpoints" ; }}')
        R(f'add map {T_} no-endpoint-nodeports {{ type inet_proto . inet_service : verdict ; comment "vmap to drop or reject packets to service nodeports with no endpoints" ; }}')
        R(f'add chain {T_} reject-chain {{ comment "helper for @no-endpoint-services / @no-endpoint-nodeports" ; }}')
        R(f"add rule {T_} reject-chain reject")
        R(f"add rule {T_} service-endpoints-check {ipx} daddr . meta l4proto . th dport vmap @no-endpoint-services")
        R(f"add rule {T_} nodeport-endpoints-check {lo} meta l4proto . th dport vmap @no-endpoint-nodeports")
        R(f'add map {T_} firewall-ips {{ type {addr_t} . inet_proto . inet_service : verdict ; comment "destinations that are subject to LoadBalancerSourceRanges" ; }}')
        R(f"add rule {T_} firewall-check {ipx} daddr . meta l4proto . th dport vmap @firewall-ips")
        R(f'add map {T_} service-ips {{ type {addr_t} . inet_proto . inet_service : verdict ; comment "ClusterIP, ExternalIP and LoadBalancer IP traffic" ; }}')
        R(f'add map {T_} service-nodeports {{ type inet_proto . inet_service : verdict ; comment "NodePort traffic" ; }}')
        R(f"add rule {T_} services {ipx} daddr . meta l4proto . th dport vmap @service-ips")
        R(f"add rule {T_} services fib daddr type local {lo} meta l4proto . th dport vmap @service-nodeports")

        for svc in sorted(svcs, key=by_ns_name):
            sp = svc["spec"]
            if sp["type"] == "ExternalName" or sp.get("clusterIP") == "None":
                continue
            cips = [ip for ip in sp["clusterIPs"] if family(ip) == fam]
            if not cips:
                continue
            cip = cips[0]
            ns, name = svc["metadata"]["namespace"], svc["metadata"]["name"]
            mine = [e for e in slices if e["metadata"]["labels"].get("kubernetes.io/service-name") == name
                    and e["metadata"]["namespace"] == ns and e["addressType"] == fam]
            lbs = [i["ip"] for i in svc["status"].get("loadBalancer", {}).get("ingress", [])
                   if family(i["ip"]) == fam]
            etp_local = sp.get("externalTrafficPolicy") == "Local"
            R(f"# {ns}/{name}")
            for port in sp["ports"]:
                block = []
                R = block.append
                proto = port["protocol"].lower()
                pname = port.get("name", "")
                base = f"{ns}/{name}/{proto}/{pname}"
                eps = []
                for sl in mine:
                    tp = [p for p in (sl["ports"] or []) if p.get("name", "") == pname
                          and p["protocol"] == port["protocol"]]
                    if not tp:
                        continue
                    for e in sl["endpoints"] or []:
                        if e["conditions"].get("ready", True):
                            eps.append((e["addresses"][0], tp[0]["port"], e.get("nodeName")))
                eps.sort()
                local = [e for e in eps if e[2] == node]
                svc_chain = "service-" + hash_name(base)
                local_chain = "local-" + hash_name(base)
                ext_chain = "external-" + hash_name(base)
                external = bool(lbs) or "nodePort" in port
                R(f"add element {T_} cluster-ips {{ {cip} }}")
                if not eps:
                    verdict = "goto reject-chain"
                    R(f'add element {T_} no-endpoint-services {{ {cip} . {proto} . {port["port"]} comment "{ns}/{name}:{pname}" : {verdict} }}')
                    for lb in lbs:
                        R(f'add element {T_} no-endpoint-services {{ {lb} . {proto} . {port["port"]} comment "{ns}/{name}:{pname}" : {verdict} }}')
                    if "nodePort" in port:
                        R(f'add element {T_} no-endpoint-nodeports {{ {proto} . {port["nodePort"]} comment "{ns}/{name}:{pname}" : {verdict} }}')
                    out.extend(block)
                    R = out.append
                    continue

                def ep_chain(e):
                    ip, p, _ = e
                    return "endpoint-" + hash_name(f"{base}__{ip.replace(':', '.')}/{p}")

                def lb_rules(chain, group):
                    vm = " , ".join(f"{i} : goto {ep_chain(e)}" for i, e in enumerate(group))
                    R(f"add chain {T_} {chain}")
                    if chain == svc_chain:
                        R(f"add rule {T_} {chain} {ipx} daddr {cip} {proto} dport {port['port']} "
                          f"{not_local_pods} jump mark-for-masquerade")
                    R(f"add rule {T_} {chain} numgen random mod {len(group)} vmap {{ {vm} }}")

                lb_rules(svc_chain, eps)
                has_ext = bool(local) if etp_local else True
                if external:
                    R(f"add chain {T_} {ext_chain}")
                    if etp_local:
                        R(f'add rule {T_} {ext_chain} {local_pods} goto {svc_chain} comment "short-circuit pod traffic"')
                        R(f'add rule {T_} {ext_chain} fib saddr type local jump mark-for-masquerade comment "masquerade local traffic"')
                        R(f'add rule {T_} {ext_chain} fib saddr type local goto {svc_chain} comment "short-circuit local traffic"')
                        if local:
                            R(f"add rule {T_} {ext_chain} goto {local_chain}")
                            lb_rules(local_chain, local)
                    else:
                        R(f"add rule {T_} {ext_chain} jump mark-for-masquerade")
                        R(f"add rule {T_} {ext_chain} goto {svc_chain}")
                for e in eps:
                    c = ep_chain(e)
                    R(f"add chain {T_} {c}")
                    R(f"add rule {T_} {c} {ipx} saddr {e[0]} jump mark-for-masquerade")
                    dst = f"[{e[0]}]:{e[1]}" if ":" in e[0] else f"{e[0]}:{e[1]}"
                    R(f"add rule {T_} {c} meta l4proto {proto} dnat to {dst}")
                R(f"add element {T_} service-ips {{ {cip} . {proto} . {port['port']} : goto {svc_chain} }}")
                for lb in lbs:
                    R(f"add element {T_} service-ips {{ {lb} . {proto} . {port['port']} : goto {ext_chain} }}")
                    if not has_ext:
                        R(f'add element {T_} no-endpoint-services {{ {lb} . {proto} . {port["port"]} comment "{ns}/{name}:{pname}" : drop }}')
                if "nodePort" in port:
                    R(f"add element {T_} service-nodeports {{ {proto} . {port['nodePort']} : goto {ext_chain} }}")
                    if not has_ext:
                        R(f'add element {T_} no-endpoint-nodeports {{ {proto} . {port["nodePort"]} comment "{ns}/{name}:{pname}" : drop }}')
                # like kube-proxy's transaction: every chain exists before a rule refers to it
                out.extend([b for b in block if b.startswith("add chain")] +
                           [b for b in block if not b.startswith("add chain")])
                R = out.append
        R("")
    return "\n".join(out) + "\n"


def kindnet(node, inv):
    """kindnet's masquerading: traffic from pods to anything outside the pod CIDRs."""
    nodes = [o for o in inv["items"] if o["kind"] == "Node"]
    v4 = sorted({c for n in nodes for c in n["spec"]["podCIDRs"] if ":" not in c})
    v6 = sorted({c for n in nodes for c in n["spec"]["podCIDRs"] if ":" in c})
    return f"""table inet kindnet-ipmasq {{
	comment "kindnet: masquerade traffic from pods to non-pod destinations"
	set noMasqV4 {{ type ipv4_addr ; flags interval ; auto-merge ; elements = {{ {", ".join(v4)} }} ; }}
	set noMasqV6 {{ type ipv6_addr ; flags interval ; auto-merge ; elements = {{ {", ".join(v6)} }} ; }}
	chain postrouting {{
		type nat hook postrouting priority srcnat - 10 ; policy accept ;
		ip saddr @noMasqV4 ip daddr != @noMasqV4 masquerade
		ip6 saddr @noMasqV6 ip6 daddr != @noMasqV6 masquerade
	}}
}}
"""


# ---------------------------------------------------------------- DNS and the plan


def dns_records():
    """name -> [addresses] the coredns pods (and, for OUTSIDE, the upstream server) answer."""
    inv = inventory(0)
    rec = {}
    for o in inv["items"]:
        if o["kind"] != "Service":
            continue
        ns, name, sp = o["metadata"]["namespace"], o["metadata"]["name"], o["spec"]
        fq = f"{name}.{ns}.svc.cluster.local"
        if sp["type"] == "ExternalName":
            rec[fq] = [OUTSIDE[sp["externalName"]]]
        elif sp.get("clusterIP") != "None":
            rec[fq] = list(sp["clusterIPs"])
    for o in inv["items"]:
        if o["kind"] == "EndpointSlice" and o["metadata"]["labels"].get("service.kubernetes.io/headless") == "":
            svc = o["metadata"]["labels"]["kubernetes.io/service-name"]
            ns = o["metadata"]["namespace"]
            for e in o["endpoints"] or []:
                host = e["targetRef"]["name"]
                rec.setdefault(f"{host}.{svc}.{ns}.svc.cluster.local", []).extend(e["addresses"])
                rec.setdefault(f"{svc}.{ns}.svc.cluster.local", []).extend(e["addresses"])
    for name, ip in OUTSIDE.items():
        rec[name] = [ip]
    return rec


def listeners(w, ip4, ip6):
    out = []
    for c in w["containers"]:
        for (_, port, proto, *_) in c["ports"]:
            for ip in (ip4, ip6):
                kind = "dns" if (proto == "UDP" and port == 53) else proto.lower()
                out.append(f"{kind},{ip},{port}")
    return out


def plan():
    lines = []
    for n in NODES:
        ls = [f"tcp,{ip},{p}" for p in n["listen"] for ip in (n["ip4"], n["ip6"])]
        lines.append(" ".join(["node", n["name"], n["ip4"], n["ip6"], n["cidr4"], n["cidr6"]] + ls))
    for p in PODS:
        if not p["key"]:
            continue
        ip6 = v6of(p["ip"])
        veth = "veth" + hexid(8, "veth", p["ns"], p["name"])
        lines.append(" ".join(["pod", p["key"], p["life"], p["node"], p["ip"], ip6, veth,
                               f"{p['ns']}/{p['name']}"] + listeners(p["w"], p["ip"], ip6)))
    e = EPHEMERAL
    lines.append(" ".join(["pod", e["key"], "ephemeral", e["node"], e["ip"], v6of(e["ip"]),
                           "veth" + hexid(8, "veth", "ephemeral"), "-"]))
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    cmd = sys.argv[1] if len(sys.argv) > 1 else ""
    if cmd == "plan":
        sys.stdout.write(plan())
    elif cmd == "inventory":
        sys.stdout.write(dump(inventory(int(sys.argv[2]))))
    elif cmd == "kube-proxy":
        sys.stdout.write(kube_proxy(sys.argv[2], inventory(0)))
    elif cmd == "kindnet":
        sys.stdout.write(kindnet(sys.argv[2], inventory(0)))
    elif cmd == "dns":
        for k, v in sorted(dns_records().items()):
            print(k, " ".join(v))
    else:
        sys.exit("usage: cluster.py plan | inventory T | kube-proxy NODE | kindnet NODE | dns")
