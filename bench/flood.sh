#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# flood.sh - peak memory of `flowlock learn -r` under a SYN flood, next to as many real
# connections (a benchmark, not a test: it prints what it measured and never fails on a number).
#
# Usage: bench/flood.sh [BUILDDIR] [COUNT...]   (defaults: build 1000000 10000000)
# For each COUNT, two captures from bench-gen, streamed through a pipe (at 10 million they
# would be 0.8 and 9 GB): COUNT bare SYNs from random addresses and ports to 4 servers, none
# answered; and COUNT whole connections (handshake, data, close: 8 to 15 packets) among 4000
# client pods of 50 Deployments and 97 server pods of 12 Deployments, on 3000 (client, server,
# port) triples. Each stream is read by `flowlock learn -r -` with an inventory of those pods,
# and, in the same run, by the bare libpcap loop (the floor). Prints wall time, peak RSS, and
# the ratios: flood RSS over connections RSS, learn time over bare time. Flood memory is
# bounded by the tracker's cap on open flows and the graph's cap on attempts, so it must not
# grow from one COUNT to the next.
set -euo pipefail
build=${1:-build}
shift || true
counts=("$@")
[ ${#counts[@]} -gt 0 ] || counts=(1000000 10000000)
edges=${EDGES:-3000}
servers=${SERVERS:-4}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

for tool in "$build/flowlock" "$build/bench/bench-gen" "$build/bench/bench-bare" /usr/bin/time; do
	[ -x "$tool" ] || { echo "flood: $tool is missing (build first; /usr/bin/time is Debian's 'time')" >&2; exit 2; }
done

# The pods bench-gen's addresses belong to: clients 10.1.0.1 to 10.1.15.160, servers 10.2.0.1
# to 10.2.0.97, each a pod of a Deployment (owner ReplicaSet NAME-HASH, pod-template-hash HASH).
awk 'BEGIN {
	print "apiVersion: v1\nkind: List\nitems:"
	print "- {apiVersion: v1, kind: Namespace, metadata: {name: bench, labels: {kubernetes.io/metadata.name: bench}}}"
	for (i = 1; i <= 4097; i++) {
		if (i <= 4000) { d = "client-" (i % 50); ip = "10.1." int(i / 256) "." (i % 256) }
		else { d = "server-" ((i - 4000) % 12); ip = "10.2.0." (i - 4000) }
		printf "- {apiVersion: v1, kind: Pod, metadata: {name: %s-5d8f9-p%d, namespace: bench, ", d, i
		printf "labels: {app: %s, pod-template-hash: 5d8f9}, ownerReferences: ", d
		printf "[{apiVersion: apps/v1, kind: ReplicaSet, name: %s-5d8f9, controller: true}]}, ", d
		printf "status: {phase: Running, podIP: %s}}\n", ip
	}
}' >"$out/inventory.yaml"

# "wall_s peak_rss_kb" of one reader of a fresh bench-gen stream: gen-args -- reader...
measure() {
	local -a gen=()
	while [ "$1" != -- ]; do gen+=("$1"); shift; done
	shift
	"$build/bench/bench-gen" "${gen[@]}" 2>"$out/gen" |
		/usr/bin/time -o "$out/time" -f "%e %M" "$@" >/dev/null 2>"$out/err" ||
		{ echo "flood: $* failed: $(head -c 300 "$out/err")" >&2; exit 1; }
	cat "$out/time"
}

learned() { # state: what show says, and the counters of flows and attempts
	echo "$("$build/flowlock" show "$1" | tail -n 1);$(grep -E \
		'^  (flows|flows-evicted|flows-unanswered|attempts-dropped):' "$1" | tr -s ' \n' ' ' | sed 's/ $//')"
}

printf '%-10s %-12s %10s %8s %8s %10s %10s %9s\n' count capture packets bare_s learn_s ratio \
	learn_rss_kb rss_ratio
for n in "${counts[@]}"; do
	declare -A rss=()
	for kind in flood connections; do
		if [ "$kind" = flood ]; then
			gen=(--syn-flood - "$n" "$servers")
		else
			gen=(--connections - "$n" "$edges")
		fi
		read -r bare_s _ < <(measure "${gen[@]}" -- "$build/bench/bench-bare" -)
		packets=$(awk '{print $2}' "$out/gen")
		rm -f "$out/state.yaml"
		read -r learn_s learn_rss < <(measure "${gen[@]}" -- "$build/flowlock" learn -q -r - \
			--inventory "$out/inventory.yaml" --state "$out/state.yaml")
		rss[$kind]=$learn_rss
		awk -v n="$n" -v k="$kind" -v p="$packets" -v b="$bare_s" -v l="$learn_s" -v r="$learn_rss" \
			-v f="${rss[flood]}" 'BEGIN{printf "%-10d %-12s %10d %8.2f %8.2f %9.1fx %10d %9s\n",
			n, k, p, b, l, (b > 0 ? l / b : 0), r, (k == "flood" ? "" : sprintf("%.2f", f / r))}'
		echo "  learned: $(learned "$out/state.yaml")"
	done
done
echo "ratio: learn time over the bare libpcap loop reading the same stream (both include bench-gen)"
echo "rss_ratio: peak RSS of learn under the flood over its peak RSS on real connections"
