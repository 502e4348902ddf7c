#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# policy-oracle.py - proves, for one golden case, that the emitted NetworkPolicies allow every
# observed connection and nothing else. It is written apart from flowlock's C code: it reads
# the pods straight from the kubectl inventory (all their labels, not flowlock's selectors),
# derives each pod's workload by itself, and evaluates the policies with the Kubernetes
# semantics (a pod selected by a policy of a type is isolated for that direction; a connection
# needs the client's egress and the server's ingress). Every ordered pair of pods and of pods
# and outside peers is tried on every port that appears anywhere plus some that never do.
# Usage: policy-oracle.py INVENTORY.yaml GRAPH.json POLICIES.yaml [--allow-dns]
import ipaddress
import json
import re
import sys

import yaml

inv_path, graph_path, pol_path = sys.argv[1:4]
allow_dns = "--allow-dns" in sys.argv[4:]
inv = yaml.safe_load(open(inv_path))
graph = json.load(open(graph_path))
policies = [p for p in yaml.safe_load_all(open(pol_path)) if p]

namespaces = {}
pods = []
for item in inv["items"]:
    meta = item["metadata"]
    if item["kind"] == "Namespace":
        namespaces[meta["name"]] = meta.get("labels", {})
    elif item["kind"] == "Pod" and not item["spec"].get("hostNetwork"):
        pods.append(item)


def workload_of(pod):
    meta = pod["metadata"]
    owners = meta.get("ownerReferences") or []
    if not owners:
        return f"k8s:{meta['namespace']}/pod/{meta['name']}"
    kind, name = owners[0]["kind"], owners[0]["name"]
    h = meta.get("labels", {}).get("pod-template-hash")
    if kind == "ReplicaSet" and h and name.endswith("-" + h):
        kind, name = "Deployment", name[: -len(h) - 1]
    elif kind == "Job" and re.search(r"-\d{8,}$", name):
        kind, name = "CronJob", re.sub(r"-\d{8,}$", "", name)
    return f"k8s:{meta['namespace']}/{kind.lower()}/{name}"


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
sys.exit(1 if errors else 0)
