#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# golden-api.sh - the policies flowlock writes for every golden case (samples/*, tests/data/golden/*),
# checked by outside oracles: the Kubernetes API models of Debian's python3-kubernetes
# (tests/validate-netpol.py), and, where the case has a kubectl inventory, tests/policy-oracle.py's
# proof that they allow exactly what was observed. The DaemonSet sample is checked against the
# models too. golden.sh compares the same outputs byte for byte. Without python3-kubernetes this
# says so and exits 77 (meson: SKIP); tools/install-deps test installs it.
# Usage: golden-api.sh FLOWLOCK DATADIR SRCROOT
set -u
flowlock=$1 data=$2 root=$3
. "$(dirname "$0")/lib.sh"
py=$(find_python kubernetes yaml) ||
	{ echo "golden-api: python3-kubernetes or python3-yaml missing: skipped"; exit 77; }
policies=0

# One golden case: a folder with expected-state.yaml (and, for the proof, a kubectl inventory).
api_case() {
	local dir=$1 name rc kinv
	local state=$dir/expected-state.yaml
	name=$(basename "$dir")
	"$flowlock" emit --format k8s "$state" >"$tmp/k8s.yaml" 2>"$tmp/err"
	rc=$?
	if [ $rc -ne 0 ]; then
		# no Kubernetes workload (a Docker host): nothing to check, and its golden says so
		expect "$name: no policy, as expected-policies.yaml says (rc $rc: $(head -c 200 "$tmp/err"))" \
			[ $rc -eq 2 -a ! -s "$dir/expected-policies.yaml" ]
		return
	fi
	"$flowlock" emit --format k8s --allow-dns "$state" >"$tmp/k8s-dns.yaml" 2>/dev/null
	rc=$?
	expect "$name: emit --allow-dns exits 0 (rc $rc)" [ $rc -eq 0 ]
	"$py" "$root/tests/validate-netpol.py" "$tmp/k8s.yaml" "$tmp/k8s-dns.yaml"
	rc=$?
	expect "$name: policies validate as networking.k8s.io/v1" [ $rc -eq 0 ]
	policies=$((policies + $(grep -c '^kind: NetworkPolicy' "$tmp/k8s.yaml" "$tmp/k8s-dns.yaml" |
		awk -F: '{n += $NF} END {print n}')))

	# The proof: allowed == observed over every pod pair and port (needs a kubectl inventory).
	kinv=$(grep -l '^kind: List' "$dir"/inventory* 2>/dev/null | head -n 1)
	[ -n "$kinv" ] || return
	"$flowlock" emit --format json "$state" >"$tmp/graph.json"
	"$py" "$root/tests/policy-oracle.py" "$kinv" "$tmp/graph.json" "$tmp/k8s.yaml" 2>"$tmp/oracle"
	rc=$?
	[ $rc -eq 0 ] || head -n 20 "$tmp/oracle"
	expect "$name: policies allow exactly what was observed ($(tail -n 1 "$tmp/oracle"))" [ $rc -eq 0 ]
	"$py" "$root/tests/policy-oracle.py" "$kinv" "$tmp/graph.json" "$tmp/k8s-dns.yaml" --allow-dns \
		2>"$tmp/oracle"
	rc=$?
	[ $rc -eq 0 ] || head -n 20 "$tmp/oracle"
	expect "$name: --allow-dns policies allow exactly observed + DNS ($(tail -n 1 "$tmp/oracle"))" \
		[ $rc -eq 0 ]
}

for dir in "$root"/samples/*/ "$data"/golden/*/; do
	[ -f "$dir/expected-state.yaml" ] && api_case "${dir%/}"
done
expect "policies were validated ($policies)" [ "$policies" -gt 0 ]

# The cluster sample: the DaemonSet and what it needs, as valid v1 objects.
"$py" "$root/tests/validate-netpol.py" --manifests "$root/samples/k8s/flowlock-agent.yaml"
expect "samples/k8s: the DaemonSet sample validates against the API models" [ $? -eq 0 ]

echo "golden-api: $policies policies validated"
finish golden-api
