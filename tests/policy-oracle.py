#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# policy-oracle.py - proves, for one golden case, that the emitted NetworkPolicies allow every
# observed connection and nothing else. It is written apart from flowlock's C code: it reads
# the pods straight from the kubectl inventory (all their labels, not flowlock's selectors),
# derives each pod's workload by itself, and evaluates the policies with the Kubernetes
# semantics (a pod selected by a policy of a type is isolated for that direction; a connection
# needs the client's egress and the server's ingress). Every ordered pair of pods and of pods
# and outside peers is tried on every port that appears anywhere plus some that never do.
#
# With --connections FILE (samples/kind/connections.txt: each connection a recording drove, as
# the client dialled it), it also proves that every one of them is allowed as the CNI sees it:
# after kube-proxy's DNAT (a ClusterIP, a NodePort, a load balancer address become each of the
# Service's ready endpoints on their target port, worked out here from the inventory's Services
# and EndpointSlices), with each address the pod that held it at that moment. The only ones
# that may be denied are ICMP (NetworkPolicy has no rule for it) and those from addresses no
# inventory names (a pod that came and went: no policy can name it).
# Usage: policy-oracle.py INVENTORY GRAPH.json POLICIES.yaml [--allow-dns] [--connections FILE]
import datetime
import ipaddress
import json
import re
import sys

import yaml

inv_path, graph_path, pol_path = sys.argv[1:4]
allow_dns = "--allow-dns" in sys.argv[4:]
conn_path = sys.argv[sys.argv.index("--connections") + 1] if "--connections" in sys.argv else None
inv = yaml.safe_load(open(inv_path))
graph = json.load(open(graph_path))
policies = [p for p in yaml.safe_load_all(open(pol_path)) if p]

namespaces = {}
pods = []
all_pods = []
objects = {}  # (namespace, controller, name) of ReplicaSets and Jobs -> their controller owner
for item in inv["items"]:
    meta = item["metadata"]
    if item["kind"] == "Namespace":
        namespaces[meta["name"]] = meta.get("labels", {})
    elif item["kind"] == "Pod":
        all_pods.append(item)
        if not item["spec"].get("hostNetwork"):
            pods.append(item)


def controller_of(owner):
    """Kind, with its API group when that is not a built-in one: Rollout.argoproj.io."""
    api = owner.get("apiVersion", "v1")
    group = api.rsplit("/", 1)[0] if "/" in api else ""
    kind = owner["kind"]
    return kind if group in ("", "apps", "batch", "extensions") else f"{kind}.{group}"


def controller_owner(meta):
    owners = meta.get("ownerReferences") or []
    for o in owners:
        if o.get("controller"):
            return o
    return owners[0] if owners else None


for item in inv["items"]:
    if item["kind"] in ("ReplicaSet", "Job"):
        o = controller_owner(item["metadata"])
        if o:
            objects[(item["metadata"]["namespace"], controller_of(item),
                     item["metadata"]["name"])] = o


def workload_of(pod):
    meta = pod["metadata"]
    ns = meta["namespace"]
    owner = controller_owner(meta)
    if not owner:
        return f"k8s:{ns}/pod/{meta['name']}"
    kind, name = controller_of(owner), owner["name"]
    labels = meta.get("labels", {})
    if kind == "Node":  # a static pod: one workload on every node
        suffix = "-" + name
        base = meta["name"][: -len(suffix)] if meta["name"].endswith(suffix) else meta["name"]
        return f"k8s:{ns}/staticpod/{base}"
    up = objects.get((ns, kind, name))
    if up:
        kind, name = controller_of(up), up["name"]
    elif kind == "ReplicaSet":
        for label, ctl in (("pod-template-hash", "Deployment"),
                           ("rollouts-pod-template-hash", "Rollout.argoproj.io")):
            h = labels.get(label)
            if h and name.endswith("-" + h):
                kind, name = ctl, name[: -len(h) - 1]
                break
    elif kind == "Job" and owner.get("apiVersion", "").startswith("batch/") and \
            re.search(r"-\d{8,}$", name):
        kind, name = "CronJob", re.sub(r"-\d{8,}$", "", name)
    return f"k8s:{ns}/{kind.lower()}/{name}"


def selects(selector, labels):
    if selector is None:
        return False
    for k, v in (selector.get("matchLabels") or {}).items():
        if labels.get(k) != v:
            return False
    assert not selector.get("matchExpressions"), "the oracle does not evaluate matchExpressions"
    return True


# An endpoint is ("pod", pod) or ("ip", address string).
def peer_matches(peer, policy_ns, ep):
    if "ipBlock" in peer:
        if ep[0] != "ip":
            # real clusters may or may not match pod IPs by ipBlock; flowlock never relies on it
            return False
        net = ipaddress.ip_network(peer["ipBlock"]["cidr"])
        return ipaddress.ip_address(ep[1]) in net and not any(
            ipaddress.ip_address(ep[1]) in ipaddress.ip_network(e)
            for e in peer["ipBlock"].get("except", []))
    if ep[0] != "pod":
        return False
    meta = ep[1]["metadata"]
    if "namespaceSelector" in peer:
        if not selects(peer["namespaceSelector"], namespaces.get(meta["namespace"], {})):
            return False
    elif meta["namespace"] != policy_ns:
        return False
    if "podSelector" in peer:
        return selects(peer["podSelector"], meta.get("labels", {}))
    return True


def port_matches(ports, proto, port):
    if not ports:
        return True
    return any(p.get("protocol", "TCP") == proto and p.get("port") == port for p in ports)


def allowed_one_side(ep, other, proto, port, direction):
    """Is the connection allowed at ep's side (egress for the client, ingress for the server)?"""
    if ep[0] != "pod":
        return True  # outside the cluster nothing is enforced
    meta = ep[1]["metadata"]
    key, peers_key = ("egress", "to") if direction == "egress" else ("ingress", "from")
    isolated = False
    for pol in policies:
        spec = pol["spec"]
        if pol["metadata"]["namespace"] != meta["namespace"]:
            continue
        if not selects(spec["podSelector"], meta.get("labels", {})):
            continue
        if direction.capitalize() not in spec.get("policyTypes", []):
            continue
        isolated = True
        for rule in spec.get(key, []) or []:
            peers = rule.get(peers_key)
            if peers and not any(peer_matches(p, meta["namespace"], other) for p in peers):
                continue
            if port_matches(rule.get("ports"), proto, port):
                return True
    return not isolated


observed = set()
outside = {}  # outside address -> workload id
for w in graph["workloads"]:
    if w["kind"] in ("external", "node"):
        for a in w.get("addresses", []):
            outside[a.split("/")[0]] = w["id"]
for e in graph["edges"]:
    observed.add((e["client"], e["server"], e["protocol"], e["port"]))
if allow_dns:
    dns = [p for p in pods if p["metadata"]["namespace"] == "kube-system"
           and p["metadata"].get("labels", {}).get("k8s-app") == "kube-dns"]
    # --allow-dns means every pod, even one flowlock never saw, may ask kube-dns
    for d in dns:
        for proto in ("UDP", "TCP"):
            observed.add(("stranger", workload_of(d), proto, 53))
            for p in pods:
                observed.add((workload_of(p), workload_of(d), proto, 53))

ports = sorted({(e[2], e[3]) for e in observed if e[2] in ("TCP", "UDP", "SCTP")}
               | {("TCP", 22), ("TCP", 5432), ("UDP", 5353), ("SCTP", 9999)})
# Strangers: workloads nobody observed and no policy selects (an unlabelled pod in every
# namespace, one in a namespace of its own, an address never seen). Every connection to or from
# them must be denied by the managed side alone, so each policy is proven on its own.
STRANGER = "stranger"
strangers = []
for ns in sorted(set(namespaces) | {"flowlock-oracle-new"}):
    namespaces.setdefault(ns, {"kubernetes.io/metadata.name": ns})
    strangers.append({"metadata": {"name": "stranger", "namespace": ns, "labels": {}},
                      "stranger": True})
outside_strangers = ["192.0.2.99"]


def selected(pod):
    """Whether some policy selects the pod: flowlock locks it (and leaves others unlocked)."""
    meta = pod["metadata"]
    return any(pol["metadata"]["namespace"] == meta["namespace"]
               and selects(pol["spec"]["podSelector"], meta.get("labels", {}))
               for pol in policies)


def name_of(ep):
    if ep[0] == "pod":
        return STRANGER if ep[1].get("stranger") else workload_of(ep[1])
    return outside.get(ep[1], STRANGER + "-outside")


endpoints = ([("pod", p) for p in pods] + [("pod", p) for p in strangers]
             + [("ip", a) for a in sorted(outside)] + [("ip", a) for a in outside_strangers])
errors = checked = 0
for c in endpoints:
    for s in endpoints:
        cname, sname = name_of(c), name_of(s)

        # a pod no policy selects (a system namespace, a workload never seen running) is not
        # locked: its side allows anything, and the other side alone decides
        def managed(ep):
            return ep[0] == "pod" and not ep[1].get("stranger") and selected(ep[1])

        # with no managed pod on either side, no policy of flowlock's has a say
        if not managed(c) and not managed(s):
            continue
        for proto, port in ports:
            want = (cname, sname, proto, port) in observed
            got = (allowed_one_side(c, s, proto, port, "egress")
                   and allowed_one_side(s, c, proto, port, "ingress"))
            checked += 1
            if want != got:
                errors += 1
                what = "observed but denied" if want else "never observed but allowed"
                print(f"policy-oracle: {cname} -> {sname} {proto}/{port}: {what}", file=sys.stderr)
print(f"policy-oracle: {checked} connections checked, {errors} wrong", file=sys.stderr)

# ---- the recorded connections, after DNAT ---------------------------------------------------


def when(s):
    return datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=datetime.timezone.utc).timestamp()


def pod_span(pod):
    """When the pod held its addresses: from its start to its last container's finish."""
    st = pod.get("status", {})
    start = when(st["startTime"]) if st.get("startTime") else None
    end = None
    if st.get("phase") in ("Succeeded", "Failed"):
        ends = [when(c["state"]["terminated"]["finishedAt"])
                for c in st.get("containerStatuses", [])
                if (c.get("state", {}).get("terminated") or {}).get("finishedAt")]
        end = max(ends) if ends else start
    return start, end


def holder(ip, t):
    """("pod", pod) holding ip at t (a running pod, else a finished one that ran then), or
    ("ip", ip): a node, an outside address, or an address no inventory names."""
    a = ipaddress.ip_address(ip)
    best = None
    for p in all_pods:
        if p["spec"].get("hostNetwork"):
            continue
        ips = {ipaddress.ip_address(x["ip"]) for x in p.get("status", {}).get("podIPs", [])}
        if p.get("status", {}).get("podIP"):
            ips.add(ipaddress.ip_address(p["status"]["podIP"]))
        if a not in ips:
            continue
        start, end = pod_span(p)
        if start is None or (end is None and p["status"].get("phase") != "Running"):
            continue
        if start - 2 <= t and (end is None or t <= end + 2):
            best = p
    return ("pod", best) if best else ("ip", ip)


def dnat(dst, proto, port):
    """Where kube-proxy sends dst:port: each ready endpoint of the Service behind it."""
    d = ipaddress.ip_address(dst)
    nodes = {ipaddress.ip_address(a["address"]) for i in inv["items"] if i["kind"] == "Node"
             for a in i["status"].get("addresses", []) if a["type"] in ("InternalIP", "ExternalIP")}
    out = []
    for svc in (i for i in inv["items"] if i["kind"] == "Service"):
        spec = svc["spec"]
        vips = {ipaddress.ip_address(x) for x in spec.get("clusterIPs", []) if x != "None"}
        vips |= {ipaddress.ip_address(x) for x in spec.get("externalIPs", [])}
        vips |= {ipaddress.ip_address(x["ip"]) for x in
                 svc.get("status", {}).get("loadBalancer", {}).get("ingress", []) if "ip" in x}
        for sp in spec.get("ports", []):
            if sp.get("protocol", "TCP") != proto:
                continue
            hit = (d in vips and sp["port"] == port) or \
                (d in nodes and sp.get("nodePort") == port)
            if not hit:
                continue
            for sl in inv["items"]:
                if sl["kind"] != "EndpointSlice" or sl["metadata"]["namespace"] != \
                        svc["metadata"]["namespace"] or sl["metadata"].get("labels", {}).get(
                            "kubernetes.io/service-name") != svc["metadata"]["name"]:
                    continue
                target = [p["port"] for p in sl.get("ports", [])
                          if p.get("name", "") == sp.get("name", "")]
                for ep in sl.get("endpoints", []):
                    if ep.get("conditions", {}).get("ready", True) is False:
                        continue
                    for a in ep["addresses"]:
                        if ipaddress.ip_address(a).version == d.version and target:
                            out.append((a, target[0]))
    return out or [(dst, port)]


if conn_path:
    named = {ipaddress.ip_address(x["ip"]) for p in all_pods
             for x in p.get("status", {}).get("podIPs", [])}
    named |= {ipaddress.ip_address(a["address"]) for i in inv["items"] if i["kind"] == "Node"
              for a in i["status"].get("addresses", []) if a["type"] != "Hostname"}
    lines = open(conn_path).read().splitlines()
    base = int(re.search(r"T=(\d+)", "\n".join(lines)).group(1))
    allowed = denied_ok = conn_errors = 0
    for line in lines:
        if not line.strip() or line.startswith("#"):
            continue
        off, src, dst, proto, port, note = line.split()[:6]
        t = base + float(off)
        if proto == "ICMP":
            denied_ok += 1  # NetworkPolicy has no rule for ICMP: nothing to prove
            continue
        client = holder(src, t)
        if client[0] == "ip" and ipaddress.ip_address(src) not in named and any(
                ipaddress.ip_address(src) in ipaddress.ip_network(c)
                for n in inv["items"] if n["kind"] == "Node" for c in n["spec"].get("podCIDRs", [])):
            denied_ok += 1  # a pod address no inventory names: no policy can allow it
            continue
        for bip, bport in dnat(dst, proto, int(port)):
            server = holder(bip, t)
            ok = (allowed_one_side(client, server, proto, bport, "egress")
                  and allowed_one_side(server, client, proto, bport, "ingress"))
            if ok:
                allowed += 1
            else:
                conn_errors += 1
                print(f"policy-oracle: {note} {src} -> {dst}:{port} (after DNAT {bip}:{bport}) "
                      "is denied", file=sys.stderr)
    print(f"policy-oracle: {allowed} recorded connections allowed after DNAT, {conn_errors} denied, "
          f"{denied_ok} that no policy can allow (ICMP, unknown addresses)", file=sys.stderr)
    errors += conn_errors
sys.exit(1 if errors else 0)
