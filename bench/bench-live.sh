#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# bench-live.sh - the live agent under a burst of short connections (root only; a benchmark,
# not a test: it prints what it measured and never fails on a number).
#
# Four client namespaces and one server namespace on a bridge in a host namespace; the agent
# captures on the bridge. Each round every client opens and closes N connections as fast as it
# can; the agent must learn every one (the state's connection count) with zero pcap drops.
# Usage: bench/bench-live.sh [BUILDDIR] [N per client per round...]   (default: build 2000 5000 10000)
set -u
build=${1:-build}
shift || true
rounds=("$@")
[ ${#rounds[@]} -gt 0 ] || rounds=(2000 5000 10000)
[ "$(id -u)" = 0 ] || { echo "bench-live: needs root"; exit 2; }
for tool in "$build/flowlock" "$build/bench/bench-conn"; do
	[ -x "$tool" ] || { echo "bench-live: $tool is missing (build first)"; exit 2; }
done
flowlock=$(realpath "$build/flowlock")
conn=$(realpath "$build/bench/bench-conn")
tmp=$(mktemp -d)
. "$(dirname "$0")/lib-pods.sh"
cleanup() {
	pods_cleanup flb
	rm -rf "$tmp"
}
trap cleanup EXIT
pods_cleanup flb
mkdir -p "$tmp"

pods_setup flb 10.81.0
ip netns exec flb-srv "$conn" serve 10.81.0.1 7000 &
sleep 0.5

printf '%-12s %-12s %-10s %-10s %-8s %-8s %s\n' connections elapsed_s conn_per_s learned missed drops edges
for n in "${rounds[@]}"; do
	state=$tmp/state-$n.yaml
	ip netns exec flb-host "$flowlock" learn -q -i br-flb --state "$state" &
	agent=$!
	sleep 1.5
	start=$(date +%s.%N)
	for c in c1 c2 c3 c4; do
		ip netns exec "flb-$c" "$conn" connect 10.81.0.1 7000 "$n" >/dev/null &
	done
	wait $(jobs -p | grep -v "^$agent$" | tail -n 4) 2>/dev/null
	end=$(date +%s.%N)
	sleep 1
	kill -TERM "$agent"
	wait "$agent"
	made=$((4 * n))
	learned=$("$flowlock" emit --format json "$state" |
		python3 -c 'import json,sys; print(sum(e["connections"] for e in json.load(sys.stdin)["edges"]))')
	drops=$(awk '/pcap-drops/ {s += $2} END {print s + 0}' "$state")
	edges=$(grep -c '^- client:' "$state")
	awk -v m="$made" -v s="$start" -v e="$end" -v l="$learned" -v d="$drops" -v g="$edges" \
		'BEGIN{printf "%-12d %-12.2f %-10.0f %-10d %-8d %-8d %d\n", m, e-s, m/(e-s), l, m-l, d, g}'
done
