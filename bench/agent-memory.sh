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
# With WATCH=1 the inventory comes as the DaemonSet sample gives it: one FIFO per kind, fed what
# kubectl watches print (scale-gen.py --watch); halfway, 2,000 pods are MODIFIED again.
# Usage: [WATCH=1] bench/agent-memory.sh [BUILDDIR] [CLUSTER.json] [CONNECTIONS per client]
#        (defaults: build, a cluster of 8,000 workloads generated into a temporary folder, 5000;
#        with WATCH=1, CLUSTER.json's folder holds watch/)
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
	python3 "$(dirname "$0")/scale-gen.py" --no-node-states --watch 8000 "$tmp/cluster" \
		>/dev/null || exit 2
	inventory=$tmp/cluster/cluster.json
fi
inventory=$(realpath "$inventory")

pods_setup flm 10.82.0
ip netns exec flm-srv "$conn" serve 10.82.0.1 7000 &

kib() { awk -v k="$2" '$1 == k":" {print $2}' "/proc/$1/status"; }

watch=${WATCH:-0}
writers=()
inv_args=(--inventory "$inventory")
if [ "$watch" = 1 ]; then
	streams=$(dirname "$inventory")/watch
	[ -f "$streams/pods.json" ] || { echo "agent-memory: $streams/pods.json is missing"; exit 2; }
	inv_args=()
	for k in pods services endpointslices nodes namespaces; do
		mkfifo "$tmp/$k.fifo"
		inv_args+=(--inventory "$tmp/$k.fifo")
	done
fi
ip netns exec flm-host "$flowlock" learn -q -i 'vflm-*' --conntrack "${inv_args[@]}" \
	--node node-1 --state "$tmp/state.yaml" 2>"$tmp/err" &
agent=$!
if [ "$watch" = 1 ]; then
	# each writer stays, as a watch does; the pods' one sends the churn when told
	for k in services endpointslices nodes namespaces; do
		{ cat "$streams/$k.json"; sleep 3600; } >"$tmp/$k.fifo" &
		writers+=($!)
	done
	mkfifo "$tmp/churn"
	{ cat "$streams/pods.json"; cat "$tmp/churn"; sleep 3600; } >"$tmp/pods.fifo" &
	writers+=($!)
fi
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
if [ "$watch" = 1 ]; then
	cat "$streams/pods-churn.json" >"$tmp/churn"
else
	kill -HUP "$agent"
fi
wait "${clients[@]}"
sleep 3
rss=$(kib "$agent" VmRSS)
peak=$(kib "$agent" VmHWM)
kill -TERM "$agent"
wait "$agent"
for w in "${writers[@]}"; do pkill -P "$w"; kill "$w"; done 2>/dev/null
edges=$(awk '/^[a-z]/ {in_edges = $1 == "edges:"} in_edges && /^- client:/ {n++} END {print n + 0}' \
	"$tmp/state.yaml")
pods=$(grep -c '^            "kind": "Pod",$' "$inventory")
[ "$watch" = 1 ] && echo "inventory as watch streams: $(ls "$streams")"
printf 'inventory: %s (%d MiB, %d pods)\n' "$inventory" $(($(stat -c %s "$inventory") >> 20)) "$pods"
printf 'agent RSS after start: %d MiB; after %d connections and %s: %d MiB; peak: %d MiB\n' \
	$((started >> 10)) $((4 * n)) "$([ "$watch" = 1 ] && echo "2,000 pods modified" || echo "a re-read")" \
	$((rss >> 10)) $((peak >> 10))
# what the shared rings cost in packets: the kernel's drops, from the state's counter
drops=$(awk '$1 == "pcap-drops:" {print $2; exit}' "$tmp/state.yaml")
printf 'learned: %d edges; pcap drops: %s\n' "$edges" "${drops:-0}"
