#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# bench.sh - times `flowlock learn` next to a bare libpcap read of the same file, in one run.
#
# Usage: bench/bench.sh [BUILDDIR] [PACKETS] [EDGES]   (defaults: build 2000000 3000)
# Prints, for a capture of PACKETS and one of 4x PACKETS with the same EDGES, and the same two
# with a node's mix (bench-gen --mix: payload, IPv6, DNS, pings, VLAN tags): the best of RUNS
# timings of each, their ratio, packets per second, and peak resident memory. The ratio is what
# to compare across machines; a shared, noisy machine moves both sides alike. What learn does
# after the last packet (reporting the flows still open, writing the state) costs the same
# however many packets came before, so the 4x captures show the packet rate; for each kind a
# last line splits the two: the cost of a packet (from the difference between the 4x and the
# 1x capture) and the fixed cost that is left.
set -euo pipefail
export LC_ALL=C # bash's time writes the locale's decimal point; awk reads only a dot
build=${1:-build}
packets=${2:-2000000}
edges=${3:-3000}
runs=${RUNS:-5}
out=${BENCH_DIR:-$(mktemp -d)}
trap '[ -n "${BENCH_DIR:-}" ] || rm -rf "$out"' EXIT

for tool in "$build/flowlock" "$build/bench/bench-gen" "$build/bench/bench-bare" /usr/bin/time; do
	[ -x "$tool" ] || { echo "bench: $tool is missing (build first; /usr/bin/time is Debian's 'time')" >&2; exit 2; }
done

# best wall time (s, to the millisecond) of a command over $runs runs; $prep runs, untimed,
# before each run and before the one run that reads peak memory
prep=:
best_time() {
	local best="" t
	for _ in $(seq "$runs"); do
		eval "$prep"
		t=$( { TIMEFORMAT=%3R; time "$@" >/dev/null 2>&1; } 2>&1 )
		if [ -z "$best" ] || awk "BEGIN{exit !($t < $best)}"; then best=$t; fi
	done
	echo "$best"
}

# peak resident memory (KiB) of one run
peak_rss() {
	eval "$prep"
	/usr/bin/time -f "%M" "$@" 2>&1 >/dev/null | tail -n 1
}

printf '%-6s %-10s %-9s %10s %10s %8s %12s %12s %10s\n' mix packets edges bare_s learn_s ratio learn_pps bare_rss_kb learn_rss_kb
for run in "plain $packets" "plain $((packets * 4))" "node $packets" "node $((packets * 4))"; do
	read -r kind n <<<"$run"
	cap="$out/synthetic-$kind-$n.pcap"
	if [ "$kind" = node ]; then
		"$build/bench/bench-gen" --mix "$cap" "$n" "$edges"
	else
		"$build/bench/bench-gen" "$cap" "$n" "$edges"
	fi
	cat "$cap" >/dev/null # both sides start from the page cache
	prep=:
	bare_s=$(best_time "$build/bench/bench-bare" "$cap")
	bare_rss=$(peak_rss "$build/bench/bench-bare" "$cap")
	prep="rm -f '$out/state.yaml'" # each run learns from nothing
	learn_s=$(best_time "$build/flowlock" learn -q -r "$cap" --state "$out/state.yaml")
	learn_rss=$(peak_rss "$build/flowlock" learn -q -r "$cap" --state "$out/state.yaml")
	learned=$("$build/flowlock" show "$out/state.yaml" | tail -n 1)
	awk -v k="$kind" -v n="$n" -v e="$edges" -v b="$bare_s" -v l="$learn_s" -v br="$bare_rss" -v lr="$learn_rss" \
		'BEGIN{printf "%-6s %-10d %-9d %10.3f %10.3f %8.2f %12.0f %12d %10d\n", k, n, e, b, l, (b>0?l/b:0), (l>0?n/l:0), br, lr}'
	echo "  learned: $learned"
	rm -f "$cap"
	# the 4x capture of a kind against its 1x one: what each packet beyond the first costs, and
	# what costs the same however many came (start, the flows open at the end, the save)
	if [ "$n" -eq "$packets" ]; then
		first_b=$bare_s first_l=$learn_s
	else
		awk -v n1="$packets" -v n4="$n" -v b1="$first_b" -v l1="$first_l" -v b4="$bare_s" -v l4="$learn_s" \
			'BEGIN{d = n4 - n1; sb = (b4 - b1) / d; sl = (l4 - l1) / d;
			printf "  per packet: learn %.0f ns, bare %.0f ns: %.2fx; fixed: learn %.3f s, bare %.3f s\n",
				sl * 1e9, sb * 1e9, (sb > 0 ? sl / sb : 0), l1 - sl * n1, b1 - sb * n1}'
	fi
done
