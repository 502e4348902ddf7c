#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# cluster.sh - the README's cluster workflow on samples/kind, a kind-like dual-stack cluster
# recorded from real traffic in network namespaces (samples/kind/record.sh): each node's capture
# learned with --node, merged, emitted, verified, and proven with policy-oracle.py, pair by pair
# and for every recorded connection after kube-proxy's DNAT. Then the safety defaults one by one,
# and policies that look right but are not (the ClusterIP instead of its endpoint, one address of
# a dual-stack node) must be caught. FLOWLOCK_UPDATE_GOLDEN=1 rewrites the goldens.
# Usage: cluster.sh FLOWLOCK DATADIR SRCROOT
set -u
flowlock=$1 root=$3
. "$(dirname "$0")/lib.sh"
kind=$root/samples/kind
inv=$kind/inventory.json
py=$(find_python kubernetes yaml) || { echo "cluster: python3-kubernetes missing: skipped"; exit 77; }

run() { # name expected-status flowlock-args...: stdout in $tmp/out, stderr in $tmp/err
	local name=$1 want=$2 rc
	shift 2
	"$flowlock" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	expect "$name: exit $want (got $rc: $(head -c 300 "$tmp/err"))" [ "$rc" -eq "$want" ]
}

# ---- learn on each node, merge --------------------------------------------------------------

nodes="kind-control-plane kind-worker kind-worker2"
for n in $nodes; do
	run "learn $n" 0 learn -q -r "$kind/$n.pcapng" --inventory "$inv" --node "$n" \
		--state "$tmp/$n.yaml"
done
run "merge" 0 merge -q -o "$tmp/cluster.yaml" "$tmp/kind-control-plane.yaml" \
	"$tmp/kind-worker.yaml" "$tmp/kind-worker2.yaml"
state=$tmp/cluster.yaml
check "state" "$kind/expected-state.yaml" "$state"
"$flowlock" show "$state" >"$tmp/show.txt"
check "show" "$kind/expected-show.txt" "$tmp/show.txt"
"$flowlock" show --coverage "$state" >"$tmp/coverage.txt"
check "show --coverage" "$kind/expected-coverage.txt" "$tmp/coverage.txt"

# the same captures learned again, into fresh states: the same bytes
for n in $nodes; do
	"$flowlock" learn -q -r "$kind/$n.pcapng" --inventory "$inv" --node "$n" \
		--state "$tmp/again-$n.yaml"
done
"$flowlock" merge -q -o "$tmp/again.yaml" "$tmp/again-kind-worker2.yaml" \
	"$tmp/again-kind-control-plane.yaml" "$tmp/again-kind-worker.yaml"
expect "learning and merging is deterministic" cmp -s "$state" "$tmp/again.yaml"

# What the cluster really did reached the state (the identity of each kind of workload).
edges=$(learned_edges "$state")
has_edge() { grep -qx -- "$1" <<<"$edges"; }
expect "the kubernetes Service leads to the API server's node on 6443" \
	has_edge "k8s:monitoring/deployment/kube-state-metrics node:kind-control-plane TCP 6443"
expect "nothing is learned to the kubernetes ClusterIP" \
	[ -z "$(grep -E '10\.96\.0\.1/|unknown:10\.96' <<<"$edges")" ]
expect "a LoadBalancer and a NodePort lead to the frontend, as ingress from the user" \
	has_edge "external:172.18.0.100/32 k8s:boutique/deployment/frontend TCP 8080"
expect "an Argo Rollout is one workload" \
	has_edge "k8s:boutique/deployment/frontend k8s:boutique/rollout.argoproj.io/productcatalogservice TCP 3550"
expect "a static pod is one workload without its node's name" \
	has_edge "k8s:kube-system/staticpod/log-shipper external:203.0.113.50/32 TCP 443"
expect "a Volcano Job keeps its API group" \
	has_edge "k8s:ml/job.batch.volcano.sh/train-mnist external:203.0.113.60/32 TCP 443"
expect "the CronJob's pod, while it ran" \
	has_edge "k8s:boutique/cronjob/nightly-report k8s:boutique/rollout.argoproj.io/productcatalogservice TCP 3550"
expect "the pod that took its address afterwards" \
	has_edge "k8s:boutique/deployment/recommendationservice k8s:boutique/rollout.argoproj.io/productcatalogservice TCP 3550"
expect "Prometheus scrapes a node over IPv6 and IPv4" \
	has_edge "k8s:monitoring/statefulset/prometheus-k8s node:kind-worker2 TCP 9100"
expect "a pod that came and went is an unknown peer, not an external one" \
	has_edge "unknown:10.244.1.0/24 k8s:boutique/deployment/frontend TCP 8080"
expect "no pod address became an external peer" [ -z "$(grep -E 'external:(10\.244|fd00:10:244)' <<<"$edges")" ]
# one connection seen before and after a DNAT (the client's node and the server's) is counted
# once per node, and the node with both sides counts it once
expect "the report job called the catalog once, through the Service" \
	grep -A6 -- '- client: k8s:boutique/cronjob/nightly-report' "$tmp/kind-worker2.yaml" \
	| grep -q 'connections: 1$'

# ---- emit: the safe defaults ----------------------------------------------------------------

run "emit" 0 emit --format k8s -o "$tmp/policies.yaml" "$state"
check "policies" "$kind/expected-policies.yaml" "$tmp/policies.yaml"
check "policy warnings" "$kind/expected-policies.warnings" "$tmp/err"
pol_ns() { "$py" -c 'import sys, yaml
for d in yaml.safe_load_all(open(sys.argv[1])):
    if d: print(d["metadata"]["namespace"] + "/" + d["metadata"]["name"])' "$1"; }
pol_ns "$tmp/policies.yaml" >"$tmp/names"
expect "nothing in kube-system is locked by default" [ -z "$(grep '^kube-' "$tmp/names")" ]
expect "emit says kube-system is left out" grep -q 'kube-system: no policy for its' "$tmp/err"
for w in cronjob/db-backup deployment/adservice deployment/emailservice; do
	expect "$w never ran: no policy" [ -z "$(grep "flowlock-${w#*/}\$" "$tmp/names")" ]
	expect "$w never ran: said" grep -q "k8s:boutique/$w: never seen running" "$tmp/err"
done
expect "the catalog is unlocked: the report job has no labels to select it by" \
	grep -q 'productcatalogservice: no policy written: its peer k8s:boutique/cronjob/nightly-report' \
	"$tmp/err"
expect "the unknown peer's traffic is left out, and said" \
	grep -q 'unknown:10.244.1.0/24: 1 connection with k8s:boutique/deployment/frontend from' "$tmp/err"
expect "the API server is reached at its endpoint, not its ClusterIP" \
	grep -q 'cidr: "172.18.0.2/32"' "$tmp/policies.yaml"
expect "no ipBlock on a cluster address" \
	[ -z "$(grep -E 'cidr: "(10\.96|10\.244|fd00:10:)' "$tmp/policies.yaml")" ]
"$py" "$root/tests/validate-netpol.py" "$tmp/policies.yaml"
rc=$?
expect "the policies validate as networking.k8s.io/v1" [ $rc -eq 0 ]
run "emit -o - is standard output" 0 emit --format k8s -o - "$state"
expect "emit -o - writes what -o FILE writes" cmp -s "$tmp/out" "$tmp/policies.yaml"

# ---- verify and the oracle ------------------------------------------------------------------

# exit 1: one ping would break, and NetworkPolicy has no rule that could allow it
run "verify" 1 verify --inventory "$inv" "$tmp/policies.yaml" "$state"
check "verify report" "$kind/expected-verify.txt" "$tmp/out"
expect "verify: the only edge that would break is the ping" \
	grep -q '34 allowed, 1 would break (1 of them a protocol NetworkPolicy cannot allow)' "$tmp/out"
"$flowlock" emit --format json "$state" >"$tmp/graph.json"
oracle() { # name policies [--connections FILE]: the oracle's verdict in $tmp/oracle
	"$py" "$root/tests/policy-oracle.py" "$inv" "$tmp/graph.json" "$2" "${@:3}" 2>"$tmp/oracle"
}
oracle "defaults" "$tmp/policies.yaml" --connections "$kind/connections.txt"
rc=$?
[ $rc -eq 0 ] || head -n 20 "$tmp/oracle"
expect "oracle: allowed = observed, and every recorded connection passes after DNAT ($(tr '\n' ' ' <"$tmp/oracle"))" \
	[ $rc -eq 0 ]
expect "oracle: the exceptions are the ping and the pod that came and went" \
	grep -q ' 0 denied, 3 that no policy can allow' "$tmp/oracle"

# Asked for, kube-system is locked too: CoreDNS keeps its upstream and the API server. The report
# job has no labels to select it by: only --allow-dns (every pod may ask kube-dns) lets CoreDNS
# be locked without cutting it off.
run "emit --namespace '*' --namespace 'kube-*'" 0 emit --format k8s --namespace '*' \
	--namespace 'kube-*' -o "$tmp/all.yaml" "$state"
expect "CoreDNS stays unlocked: the report job asks it and cannot be selected" \
	grep -q 'coredns: no policy written: its peer k8s:boutique/cronjob/nightly-report' "$tmp/err"
run "emit --namespace '*' --namespace 'kube-*' --allow-dns" 0 emit --format k8s --allow-dns \
	--namespace '*' --namespace 'kube-*' -o "$tmp/all.yaml" "$state"
pol_ns "$tmp/all.yaml" >"$tmp/all-names"
"$py" "$root/tests/validate-netpol.py" "$tmp/all.yaml"
rc=$?
expect "every namespace's policies validate as networking.k8s.io/v1" [ $rc -eq 0 ]
expect "kube-system's CoreDNS gets a policy when asked for" grep -qx 'kube-system/flowlock-coredns' \
	"$tmp/all-names"
"$py" -c 'import sys, yaml
p = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d and d["metadata"]["name"] == "flowlock-coredns"][0]
to = [(peer.get("ipBlock", {}).get("cidr"), port["port"]) for r in p["spec"]["egress"] for peer in r["to"] for port in r["ports"]]
assert ("172.18.0.1/32", 53) in to and ("172.18.0.2/32", 6443) in to, to' "$tmp/all.yaml"
rc=$?
expect "CoreDNS may reach its upstream resolver and the API server" [ $rc -eq 0 ]
run "verify, every namespace" 1 verify --namespace '*' --namespace 'kube-*' --inventory "$inv" \
	"$tmp/all.yaml" "$state"
expect "verify, every namespace: only the ping would break" \
	grep -q ' allowed, 1 would break (1 of them a protocol NetworkPolicy cannot allow)' "$tmp/out"
oracle "every namespace" "$tmp/all.yaml" --allow-dns --connections "$kind/connections.txt"
rc=$?
expect "oracle, every namespace: allowed = observed + DNS, nothing recorded is denied ($(tr '\n' ' ' <"$tmp/oracle"))" \
	[ $rc -eq 0 ]

run "emit --namespace ml" 0 emit --format k8s --namespace ml "$state"
expect "--namespace ml: one policy" [ "$(grep -c '^kind: NetworkPolicy' "$tmp/out")" -eq 1 ]
run "emit --exclude-namespace '*'" 2 emit --format k8s --exclude-namespace '*' "$state"
expect "nothing to write says why" grep -q 'no policy to write: none of the' "$tmp/err"

# ---- policies that look right but are not ---------------------------------------------------

# The rule for the kubernetes Service written as its ClusterIP: CNIs judge after DNAT, so the
# API server's endpoint is what must be allowed; verify and the oracle both see the break.
sed 's|cidr: "172.18.0.2/32"|cidr: "10.96.0.1/32"|' "$tmp/policies.yaml" >"$tmp/clusterip.yaml"
run "verify: the ClusterIP instead of the endpoint" 1 verify --inventory "$inv" \
	"$tmp/clusterip.yaml" "$state"
expect "verify: the calls to the API server would break" \
	grep -q 'k8s:monitoring/deployment/kube-state-metrics *node:kind-control-plane *TCP *6443' \
	"$tmp/out"
oracle "clusterip" "$tmp/clusterip.yaml" --connections "$kind/connections.txt"
rc=$?
expect "oracle: a ClusterIP rule denies the recorded calls to the API server" [ $rc -ne 0 ]
expect "oracle: ... and says so after DNAT" \
	grep -q '10.96.0.1:443 (after DNAT 172.18.0.2:6443) is denied' "$tmp/oracle"

# One address of a dual-stack node: a scrape over IPv6 would be refused.
"$py" -c 'import sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
for d in docs:
    for r in d["spec"].get("egress", []):
        r["to"] = [p for p in r["to"] if p.get("ipBlock", {}).get("cidr") != "fc00:f853:ccd:e793::4/128"]
print(yaml.safe_dump_all(docs), end="")' "$tmp/policies.yaml" >"$tmp/v4only.yaml"
run "verify: one address of a dual-stack node" 1 verify --inventory "$inv" "$tmp/v4only.yaml" \
	"$state"
expect "verify: the IPv6 scrape would break" \
	grep -q 'k8s:monitoring/statefulset/prometheus-k8s *node:kind-worker2 *TCP *9100' "$tmp/out"
oracle "v4only" "$tmp/v4only.yaml" --connections "$kind/connections.txt"
rc=$?
expect "oracle: the IPv6 scrape is denied" [ $rc -ne 0 ]
expect "oracle: ... the one to the node's IPv6 address" \
	grep -q 'fc00:f853:ccd:e793::4:9100 (after DNAT fc00:f853:ccd:e793::4:9100) is denied' \
	"$tmp/oracle"

# ---- a state through PyYAML and yq still loads ----------------------------------------------

"$py" -c 'import sys, yaml; print(yaml.safe_dump(yaml.safe_load(open(sys.argv[1]))), end="")' \
	"$state" >"$tmp/pyyaml.yaml"
run "show a state PyYAML rewrote (keys sorted)" 0 show "$tmp/pyyaml.yaml"
expect "... the same table" cmp -s "$tmp/out" "$tmp/show.txt"
if command -v yq >/dev/null; then
	yq -y . "$state" >"$tmp/yq.yaml"
	run "show a state yq rewrote" 0 show "$tmp/yq.yaml"
	expect "... the same table" cmp -s "$tmp/out" "$tmp/show.txt"
else
	fail=$((fail + 1))
	echo "FAIL: yq missing (tools/install-deps test installs it)"
fi

finish cluster
