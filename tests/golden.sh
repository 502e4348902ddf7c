#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# golden.sh - whole-program golden tests: capture + inventory -> state -> every output format,
# compared byte for byte with the expected files. FLOWLOCK_UPDATE_GOLDEN=1 rewrites them.
# golden-api.sh checks the same policies against the Kubernetes API models and the policy oracle,
# golden-dot.sh the dot output with Graphviz.
# Usage: golden.sh FLOWLOCK DATADIR SRCROOT
set -u
flowlock=$1 data=$2 root=$3
. "$(dirname "$0")/lib.sh"

# One golden case: a folder with capture files (*.pcap, *.pcapng), inventories (inventory*),
# optional 'args' (extra learn options) and the expected outputs.
run_case() {
	local dir=$1 name
	name=$(basename "$dir")
	local -a args=()
	for f in "$dir"/*.pcap "$dir"/*.pcapng; do [ -e "$f" ] && args+=(-r "$f"); done
	for f in "$dir"/inventory*; do [ -e "$f" ] && args+=(--inventory "$f"); done
	[ -f "$dir/args" ] && read -r -a extra <"$dir/args" && args+=("${extra[@]}")

	local state=$tmp/$name.state.yaml
	local rc
	rm -f "$tmp/again.yaml" "$tmp/k8s-o.yaml"
	"$flowlock" learn -q "${args[@]}" --state "$state" 2>"$tmp/err"
	rc=$?
	expect "$name: learn exits 0 ($(head -c 200 "$tmp/err"))" [ $rc -eq 0 ]
	check "$name: state" "$dir/expected-state.yaml" "$state"
	"$flowlock" emit --format k8s "$state" >"$tmp/k8s.yaml" 2>"$tmp/k8s.err"
	check "$name: k8s" "$dir/expected-policies.yaml" "$tmp/k8s.yaml"
	check "$name: k8s warnings" "$dir/expected-policies.warnings" "$tmp/k8s.err"
	"$flowlock" emit --format k8s --allow-dns "$state" >"$tmp/k8s-dns.yaml" 2>/dev/null
	check "$name: k8s --allow-dns" "$dir/expected-policies-allow-dns.yaml" "$tmp/k8s-dns.yaml"
	"$flowlock" emit --format json "$state" >"$tmp/graph.json"
	check "$name: json" "$dir/expected-graph.json" "$tmp/graph.json"
	"$flowlock" emit --format dot "$state" >"$tmp/graph.dot"
	check "$name: dot" "$dir/expected-graph.dot" "$tmp/graph.dot"
	"$flowlock" show "$state" >"$tmp/show.txt"
	check "$name: show" "$dir/expected-show.txt" "$tmp/show.txt"

	# -o writes the same bytes as standard output (or, with no Kubernetes workload, nothing)
	if "$flowlock" emit --format k8s -o "$tmp/k8s-o.yaml" "$state" 2>/dev/null; then
		expect "$name: -o equals stdout" cmp -s "$tmp/k8s.yaml" "$tmp/k8s-o.yaml"
	else
		expect "$name: a failed emit -o writes nothing" [ ! -e "$tmp/k8s-o.yaml" -a ! -s "$tmp/k8s.yaml" ]
	fi
	# Docker hosts: the nftables ruleset, where the case has one
	if [ -f "$dir/expected-ruleset.nft" ]; then
		local -a inv=()
		for f in "$dir"/inventory*; do [ -e "$f" ] && inv+=(--inventory "$f"); done
		"$flowlock" emit --format nftables "${inv[@]}" "$state" >"$tmp/ruleset.nft" 2>/dev/null
		check "$name: nft" "$dir/expected-ruleset.nft" "$tmp/ruleset.nft"
	fi

	# Same input, same bytes: a second learn into a fresh state is identical.
	"$flowlock" learn -q "${args[@]}" --state "$tmp/again.yaml"
	expect "$name: learning is deterministic" cmp -s "$state" "$tmp/again.yaml"

	# Learning the same capture twice changes counters and times, never edges or policies.
	"$flowlock" learn -q "${args[@]}" --state "$tmp/again.yaml"
	expect "$name: relearning keeps the edge count" \
		[ "$(grep -c '^- client:' "$state")" = "$(grep -c '^- client:' "$tmp/again.yaml")" ]
	"$flowlock" emit --format k8s "$tmp/again.yaml" >"$tmp/k8s-again.yaml" 2>/dev/null
	expect "$name: relearning keeps the policies" cmp -s "$tmp/k8s.yaml" "$tmp/k8s-again.yaml"
	expect "$name: relearning doubles the connections" \
		[ "$(grep -m1 'connections:' "$tmp/again.yaml" | awk '{print $2}')" = \
		"$(($(grep -m1 'connections:' "$state" | awk '{print $2}') * 2))" ]
}

run_case "$root/samples/shop"

# A flow table too small for the capture (--max-flows): flows are ended early and counted, and
# the edges are the sample's, connections and times included.
shop=$root/samples/shop
"$flowlock" learn -q -r "$shop/shop.pcapng" --inventory "$shop/inventory.yaml" --max-flows 64 \
	--state "$tmp/small.yaml" 2>"$tmp/err"
rc=$?
expect "--max-flows 64: learn exits 0 ($(head -c 200 "$tmp/err"))" [ $rc -eq 0 ]
expect "--max-flows 64: flows were evicted" grep -q '^  flows-evicted: [1-9]' "$tmp/small.yaml"
expect "--max-flows 64: the sample's edges" cmp -s <(sed -n '/^edges:/,$p' "$shop/expected-state.yaml") \
	<(sed -n '/^edges:/,$p' "$tmp/small.yaml")
for bad in 0 63 16777217 x ""; do
	"$flowlock" learn -q -r "$shop/shop.pcapng" --max-flows "$bad" --state "$tmp/never.yaml" 2>"$tmp/err"
	expect "--max-flows '$bad' is refused with exit 2" [ $? -eq 2 ]
	expect "--max-flows '$bad': one line naming the option" grep -q -- '--max-flows takes 64 to' "$tmp/err"
done
expect "--max-flows: nothing was written" [ ! -e "$tmp/never.yaml" ]
# The recorded scan, seen from the scanner's side only (a one-way capture point): by default
# the served TCP 8080 connection is still learned (the client sent data after its SYN) and
# nothing else; --one-way also takes the 20 unanswered UDP probes for served, as documented,
# and never a TCP port that only got a SYN.
scan=$data/golden/scan
if tcpdump -r "$scan/scan.pcap" -w "$tmp/oneway.pcap" 'src host 10.77.1.1 or src host fd77:1::1' 2>/dev/null; then
	"$flowlock" learn -q -r "$tmp/oneway.pcap" --inventory "$scan/inventory.yaml" --state "$tmp/ow.yaml"
	expect "one-way capture, default: only the served edge" \
		[ "$("$flowlock" show "$tmp/ow.yaml" | sed '1d;$d' | awk '{print $3 $4}' | tr '\n' ' ')" = "TCP8080 " ]
	"$flowlock" learn -q -r "$tmp/oneway.pcap" --inventory "$scan/inventory.yaml" --one-way \
		--state "$tmp/ow2.yaml"
	expect "one-way capture, --one-way: the served edge and the 20 UDP probes" \
		[ "$("$flowlock" show "$tmp/ow2.yaml" | sed '1d;$d' | awk '{n[$3]++} END {print n["TCP"], n["UDP"]}')" = "1 20" ]
else
	expect "tcpdump filters the scan capture" false
fi
# --one-way changes nothing on a capture that sees both directions of every connection.
"$flowlock" learn -q -r "$shop/shop.pcapng" --inventory "$shop/inventory.yaml" --one-way \
	--state "$tmp/oneway.yaml"
expect "--one-way on a two-way capture: the sample's edges" cmp -s \
	<(sed -n '/^edges:/,$p' "$shop/expected-state.yaml") <(sed -n '/^edges:/,$p' "$tmp/oneway.yaml")
for dir in "$data"/golden/*/; do
	[ -d "$dir" ] && run_case "${dir%/}"
done

# The cluster sample: an agent command line flowlock learn accepts (golden-api.sh validates it).
ds=$root/samples/k8s/flowlock-agent.yaml
learn_help=$("$flowlock" learn --help)
bad_opts=$(sed -n 's/^ *- \(--[a-z-]*\).*/\1/p' "$ds" | sort -u | while read -r o; do
	printf '%s\n' "$learn_help" | grep -q -- "$o[ =\[,]" || echo "$o"
done)
expect "samples/k8s: the agent's options were found" [ "$(grep -c -- '^ *- --' "$ds")" -ge 8 ]
expect "samples/k8s: every agent option is one flowlock learn knows (unknown: $bad_opts)" \
	[ -z "$bad_opts" ]

finish golden
