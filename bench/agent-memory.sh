#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# agent-memory.sh - the live agent's memory on one node of a large cluster (root only; a
# benchmark, not a test: it prints what it measured and never fails on a number).
#
# The agent runs as the DaemonSet runs it on a node: live capture on a bridge of pod namespaces,
# conntrack, and the whole cluster's `kubectl get -o json` inventory (bench/scale-gen.py
# writes one; 20,000 pods is W=8000). Four clients open short connections to a server while it
# learns; halfway, a SIGHUP makes it read the inventory again, as a refresh does. It prints the
# agent's resident memory after start, its peak (VmHWM) and what it learned.
# Usage: bench/agent-memory.sh [BUILDDIR] [CLUSTER.json] [CONNECTIONS per client]
#        (defaults: build, a cluster of 8,000 workloads generated into a temporary folder, 5000)
set -u
build=${1:-build}
inventory=${2:-}
n=${3:-5000}
[ "$(id -u)" = 0 ] || { echo "agent-memory: needs root"; exit 2; }
for tool in "$build/flowlock" "$build/bench/bench-conn"; do
	[ -x "$tool" ] || { echo "agent-memory: $tool is missing (build first)"; exit 2; }
done
flowlock=$(realpath "$build/flowlock")
conn=$(realpath "$build/bench/bench-conn")
tmp=$(mktemp -d)
. "$(dirname "$0")/lib-pods.sh"
cleanup() {
	pods_cleanup flm
	rm -rf "$tmp"
}
trap cleanup EXIT
pods_cleanup flm
mkdir -p "$tmp"
if [ -z "$inventory" ]; then
	echo "agent-memory: generating a cluster of 8,000 workloads (20,000 pods)..."
	python3 "$(dirname "$0")/scale-gen.py" --no-node-states 8000 "$tmp/cluster" >/dev/null ||
		exit 2
	inventory=$tmp/cluster/cluster.json
fi
inventory=$(realpath "$inventory")

pods_setup flm 10.82.0
ip netns exec flm-srv "$conn" serve 10.82.0.1 7000 &

kib() { awk -v k="$2" '$1 == k":" {print $2}' "/proc/$1/status"; }

ip netns exec flm-host "$flowlock" learn -q -i 'vflm-*' --conntrack --inventory "$inventory" \
	--node node-1 --state "$tmp/state.yaml" 2>"$tmp/err" &
agent=$!
# started once it captures: the inventory is read before the first interface is opened
for _ in $(seq 600); do
	ls -l "/proc/$agent/fd" 2>/dev/null | grep -q 'socket:' && break
	kill -0 "$agent" 2>/dev/null || { echo "agent-memory: the agent stopped:"; cat "$tmp/err"; exit 1; }
	sleep 0.2
done
sleep 2
started=$(kib "$agent" VmRSS)
clients=()
for c in c1 c2 c3 c4; do
	ip netns exec "flm-$c" "$conn" connect 10.82.0.1 7000 "$n" >/dev/null &
	clients+=($!)
done
sleep 1
kill -HUP "$agent"
wait "${clients[@]}"
sleep 3
rss=$(kib "$agent" VmRSS)
peak=$(kib "$agent" VmHWM)
kill -TERM "$agent"
wait "$agent"
edges=$(grep -c '^- client:' "$tmp/state.yaml")
pods=$(grep -c '^            "kind": "Pod",$' "$inventory")
printf 'inventory: %s (%d MiB, %d pods)\n' "$inventory" $(($(stat -c %s "$inventory") >> 20)) "$pods"
printf 'agent RSS after start: %d MiB; after %d connections and a re-read: %d MiB; peak: %d MiB\n' \
	$((started >> 10)) $((4 * n)) $((rss >> 10)) $((peak >> 10))
printf 'learned: %d edges\n' "$edges"
