#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# verify-oracle.sh - an independent evaluator, tests/policy-oracle.py, finds the same breaks as
# 'flowlock verify' in samples/shop's policies and in verify.sh's hand-damaged copies of them.
# Without python3-yaml this says so and exits 77 (meson: SKIP); tools/install-deps test installs it.
# Usage: verify-oracle.sh FLOWLOCK DATADIR SRCROOT
set -u
flowlock=$1 data=$2/policy root=$3
shop=$root/samples/shop
. "$(dirname "$0")/lib.sh"
py=$(find_python yaml) || { echo "verify-oracle: python3-yaml missing: skipped"; exit 77; }

# golden.sh checks that learning the shop capture writes this state
state=$shop/expected-state.yaml
"$flowlock" emit --format json "$state" >"$tmp/graph.json"
for p in "$shop/expected-policies.yaml" "$data/shop-port-changed.yaml" "$data/shop-widened.yaml"; do
	name=$(basename "$p")
	"$py" "$root/tests/policy-oracle.py" "$shop/inventory.yaml" "$tmp/graph.json" "$p" \
		2>"$tmp/oracle"
	expect "$name: the oracle ran to its summary ($(tail -n 1 "$tmp/oracle"))" \
		grep -q '^policy-oracle: [0-9]* connections checked' "$tmp/oracle"
	"$flowlock" verify -I "$shop/inventory.yaml" "$p" "$state" >"$tmp/v.out" 2>/dev/null
	denied=$(grep -c 'observed but denied' "$tmp/oracle")
	breaks=$(sed -n 's/.* allowed, \([0-9]*\) would break.*/\1/p' "$tmp/v.out")
	expect "oracle agrees on what breaks with $name ($denied vs $breaks)" [ "$denied" = "$breaks" ]
done

finish verify-oracle
