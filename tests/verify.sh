#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# verify.sh - whole-program tests of 'flowlock verify' on samples/shop: the policies flowlock wrote
# break nothing and allow nothing extra; hand-damaged copies are caught; bad input exits 2.
# Reports are compared with tests/data/policy/*.out; FLOWLOCK_UPDATE_GOLDEN=1 rewrites them.
# verify-oracle.sh checks the breaks found against tests/policy-oracle.py's.
# Usage: verify.sh FLOWLOCK DATADIR SRCROOT
set -u
flowlock=$1 data=$2/policy root=$3
shop=$root/samples/shop
. "$(dirname "$0")/lib.sh"

# verify NAME POLICY EXPECTED-EXIT [options...]: runs it, checks the exit status and the report.
verify() {
	local name=$1 policy=$2 want=$3 rc
	shift 3
	"$flowlock" verify "$@" "$policy" "$tmp/shop.state.yaml" >"$tmp/$name.out" 2>"$tmp/$name.err"
	rc=$?
	expect "$name: exit $want (got $rc: $(head -c 200 "$tmp/$name.err"))" [ "$rc" -eq "$want" ]
	check "$name: report" "$data/$name.out" "$tmp/$name.out"
}

"$flowlock" learn -q -r "$shop/shop.pcapng" --inventory "$shop/inventory.yaml" \
	--state "$tmp/shop.state.yaml"
expect "learn the shop sample" [ -s "$tmp/shop.state.yaml" ]

# The policies flowlock wrote for what it saw: nothing would break, nothing is excess.
verify shop-exact "$shop/expected-policies.yaml" 0 --inventory "$shop/inventory.yaml"
expect "shop-exact: 0 would break, 0 excess" grep -q \
	'13 observed edges: 13 allowed, 0 would break; excess: 0 pairs allowed but never observed, 0 observed pairs allowed more' \
	"$tmp/shop-exact.out"
expect "shop-exact: only that kube-system is not reported on ($(cat "$tmp/shop-exact.err"))" \
	[ "$(cat "$tmp/shop-exact.err")" = "flowlock: warning: kube-system: 1 workload not reported on: Kubernetes' own namespace is left out unless --namespace kube-system names it" ]
# The same without the inventory: kubernetes.io/metadata.name is every namespace's label anyway.
verify shop-exact "$shop/expected-policies.yaml" 0
# The same policies as one JSON List.
verify shop-exact "$data/shop-list.json" 0 --inventory "$shop/inventory.yaml"
# --allow-dns lets every workload ask kube-dns: excess, but nothing breaks.
verify shop-allow-dns "$shop/expected-policies-allow-dns.yaml" 0 --inventory "$shop/inventory.yaml"

# Hand-damaged copies: a changed port breaks the report CronJob's calls to the catalog (exit 1);
# a widened ipBlock lets payments-api reach every other outside peer (excess, exit 0).
verify shop-port-changed "$data/shop-port-changed.yaml" 1 --inventory "$shop/inventory.yaml"
expect "shop-port-changed: 1 would break" grep -q '12 allowed, 1 would break' \
	"$tmp/shop-port-changed.out"
verify shop-widened "$data/shop-widened.yaml" 0 --inventory "$shop/inventory.yaml"
expect "shop-widened: 2 pairs excess" grep -q 'excess: 2 pairs allowed but never observed' \
	"$tmp/shop-widened.out"
verify shop-widened-quiet "$data/shop-widened.yaml" 0 --inventory "$shop/inventory.yaml" -q
expect "--quiet: the summary line only" [ "$(wc -l <"$tmp/shop-widened-quiet.out")" -eq 1 ]

# A JSON List of mixed kinds: a default deny for shop, and DNS egress.
verify kinds "$data/kinds.json" 1 --inventory "$shop/inventory.yaml"
# A file with no NetworkPolicy: a warning, and every pair with a pod is allowed everything.
"$flowlock" verify "$data/no-policies.yaml" "$tmp/shop.state.yaml" >"$tmp/no-policies.out" \
	2>"$tmp/err"
expect "no NetworkPolicy: exit 0" [ $? -eq 0 ]
check "no-policies: report" "$data/no-policies.out" "$tmp/no-policies.out"
expect "no NetworkPolicy: warned" grep -q 'warning: .*holds no NetworkPolicy' "$tmp/err"

# Same input, same bytes.
"$flowlock" verify -I "$shop/inventory.yaml" "$data/shop-widened.yaml" "$tmp/shop.state.yaml" \
	>"$tmp/again.out"
expect "verify is deterministic" cmp -s "$tmp/again.out" "$tmp/shop-widened.out"

# Bad usage and bad input: exit 2, one line on stderr naming the file.
bad() { # name expected-stderr-pattern args...
	local name=$1 pattern=$2 rc
	shift 2
	"$flowlock" verify "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	expect "$name: exit 2 (got $rc)" [ "$rc" -eq 2 ]
	expect "$name: one line on stderr" [ "$(wc -l <"$tmp/err")" -eq 1 ]
	expect "$name: stderr says '$pattern' ($(head -c 200 "$tmp/err"))" grep -q -- "$pattern" "$tmp/err"
	expect "$name: nothing on stdout" [ ! -s "$tmp/out" ]
}
bad "no arguments" "expected a POLICY file and a STATE file"
bad "one argument" "expected a POLICY file and a STATE file" "$shop/expected-policies.yaml"
bad "unknown option" "unknown option" --frobnicate "$shop/expected-policies.yaml" "$tmp/shop.state.yaml"
bad "malformed policy" "bad-port.yaml:13:13: invalid port name" \
	"$data/bad-port.yaml" "$tmp/shop.state.yaml"
bad "missing policy" "nothing.yaml: No such file" "$tmp/nothing.yaml" "$tmp/shop.state.yaml"
bad "missing state" "nothing.state.yaml: No such file" "$shop/expected-policies.yaml" "$tmp/nothing.state.yaml"
bad "a state as the policy" "not a Kubernetes object (no kind)" \
	"$tmp/shop.state.yaml" "$tmp/shop.state.yaml"
bad "policies as the state" "expected-policies.yaml:" \
	"$shop/expected-policies.yaml" "$shop/expected-policies.yaml"
printf 'apiVersion: v1\nkind: List\nitems:\n- kind: Namespace\n  metadata: {name: "x;y"}\n' \
	>"$tmp/bad-inventory.yaml"
bad "bad inventory" "bad-inventory.yaml:5:" -I "$tmp/bad-inventory.yaml" \
	"$shop/expected-policies.yaml" "$tmp/shop.state.yaml"
printf 'apiVersion: v1\nkind: List\nitems:\n- kind: Namespace\n  metadata: {name: x, labels: {a: "b\\nc"}}\n' \
	>"$tmp/bad-ns-label.yaml"
bad "bad namespace label" "bad-ns-label.yaml:5:.*invalid label value" -I "$tmp/bad-ns-label.yaml" \
	"$shop/expected-policies.yaml" "$tmp/shop.state.yaml"

"$flowlock" verify --help >"$tmp/out"
rc=$?
expect "--help exits 0" [ "$rc" -eq 0 ]
expect "--help says what it does" grep -q '^Usage: flowlock verify' "$tmp/out"

finish verify
