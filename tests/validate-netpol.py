#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# validate-netpol.py - checks emitted NetworkPolicy YAML against the Kubernetes API models of
# Debian's python3-kubernetes: every key known to the model (no typos, no extra fields), the
# required fields present, the types right, names and labels valid. Exit 1 on any problem.
# With --manifests, checks any v1 objects (Namespace, ServiceAccount, ClusterRole, DaemonSet...)
# against their models the same way: the shipped DaemonSet sample.
import re
import sys

import kubernetes.client as k8s
import yaml

DNS1123_SUB = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
problems = []


def model_for(type_name):
    return getattr(k8s, type_name, None)


def check(value, type_name, path):
    """Walks value against the openapi_types of the named model, like a strict decoder."""
    if type_name.startswith("list["):
        if not isinstance(value, list):
            problems.append(f"{path}: expected a list")
            return
        for i, v in enumerate(value):
            check(v, type_name[5:-1], f"{path}[{i}]")
        return
    if type_name.startswith("dict("):
        inner = type_name[type_name.index(",") + 1:-1].strip()
        if not isinstance(value, dict):
            problems.append(f"{path}: expected a map")
            return
        for k, v in value.items():
            check(v, inner, f"{path}.{k}")
        return
    if type_name == "str":
        if not isinstance(value, str):
            problems.append(f"{path}: expected a string, got {type(value).__name__}")
        return
    if type_name == "int":
        if not isinstance(value, int) or isinstance(value, bool):
            problems.append(f"{path}: expected an integer, got {type(value).__name__}")
        return
    if type_name == "object":  # IntOrString
        if not isinstance(value, (int, str)) or isinstance(value, bool):
            problems.append(f"{path}: expected an int or string")
        return
    model = model_for(type_name)
    if model is None:
        return
    if not isinstance(value, dict):
        problems.append(f"{path}: expected an object ({type_name})")
        return
    by_json = {v: k for k, v in model.attribute_map.items()}
    for key, v in value.items():
        if key not in by_json:
            problems.append(f"{path}: unknown field '{key}' in {type_name}")
            continue
        check(v, model.openapi_types[by_json[key]], f"{path}.{key}")
    # the model's constructor enforces required fields
    try:
        k8s.ApiClient()._ApiClient__deserialize(value, type_name)
    except (ValueError, TypeError) as e:
        problems.append(f"{path}: {e}")


API_GROUPS = {"v1": "V1", "apps/v1": "V1", "rbac.authorization.k8s.io/v1": "V1"}


def manifests(paths):
    for path in paths:
        with open(path) as f:
            docs = [d for d in yaml.safe_load_all(f) if d is not None]
        for i, d in enumerate(docs):
            where = f"{path}#{i}"
            prefix = API_GROUPS.get(d.get("apiVersion"))
            model = prefix + d.get("kind", "") if prefix else None
            if model is None or model_for(model) is None:
                problems.append(f"{where}: no model for {d.get('apiVersion')} {d.get('kind')}")
                continue
            check(d, model, where)
            name = d.get("metadata", {}).get("name", "")
            if not DNS1123_SUB.match(name) or len(name) > 253:
                problems.append(f"{where}: invalid name {name!r}")
    for p in problems:
        print(f"validate-netpol: {p}", file=sys.stderr)
    return 1 if problems else 0


def main():
    if sys.argv[1:2] == ["--manifests"]:
        return manifests(sys.argv[2:])
    for path in sys.argv[1:]:
        with open(path) as f:
            docs = [d for d in yaml.safe_load_all(f) if d is not None]
        for i, d in enumerate(docs):
            where = f"{path}#{i}"
            if d.get("apiVersion") != "networking.k8s.io/v1" or d.get("kind") != "NetworkPolicy":
                problems.append(f"{where}: not a networking.k8s.io/v1 NetworkPolicy")
                continue
            check(d, "V1NetworkPolicy", where)
            meta = d.get("metadata", {})
            if not DNS1123_SUB.match(meta.get("name", "")) or len(meta.get("name", "")) > 253:
                problems.append(f"{where}: invalid name {meta.get('name')!r}")
            spec = d.get("spec", {})
            if "podSelector" not in spec:
                problems.append(f"{where}: spec.podSelector is required")
            for rule in spec.get("ingress", []) + spec.get("egress", []):
                for port in rule.get("ports", []):
                    if port.get("protocol") not in ("TCP", "UDP", "SCTP"):
                        problems.append(f"{where}: bad protocol {port.get('protocol')!r}")
                    if not isinstance(port.get("port"), int) or not 1 <= port["port"] <= 65535:
                        problems.append(f"{where}: bad port {port.get('port')!r}")
            sel = spec.get("podSelector", {}).get("matchLabels", {})
            for k, v in sel.items():
                if not isinstance(v, str) or not LABEL_VALUE.match(v) or len(v) > 63:
                    problems.append(f"{where}: bad label value {v!r}")
    for p in problems:
        print(f"validate-netpol: {p}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
