#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# scale.sh - flowlock on synthetic clusters of many workloads, each figure next to its floor
# (libyaml's bare parser or emitter on the same file) measured in the same run.
#
# Usage: bench/scale.sh [BUILDDIR] [SIZES...]   (defaults: build 500 2000 8000 workloads)
# For each size, bench/scale-gen.py writes a cluster (kubectl -o json with managedFields, a lean
# -o yaml, a state of 3.2 edges a workload, node states to merge), untimed; then every row
# prints the best of RUNS timings of flowlock, its floor, their ratio and flowlock's peak
# resident memory. The ratios are what to compare across machines and sizes.
#
# Environment: RUNS (default 3), SCALE_DIR (keep the clusters there, and reuse them on the next
# run), VERIFY_MAX (verify only up to that many workloads; verify of 8,000 takes minutes),
# NODE_STATES and NODE_EDGES (the merge of nodes/: default W/8 states, at most 1,000, of 1,000
# edges), SEED (default 13), SCALE_QUICK=1 (sizes 100 300, one run, 20 node states of 200
# edges: to try the script).
set -euo pipefail
export LC_ALL=C
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-build}
shift || true
if [ -n "${SCALE_QUICK:-}" ]; then
	sizes=${*:-100 300}
	runs=${RUNS:-1}
	node_states=${NODE_STATES:-20}
	node_edges=${NODE_EDGES:-200}
else
	sizes=${*:-500 2000 8000}
	runs=${RUNS:-3}
	node_states=${NODE_STATES:-}
	node_edges=${NODE_EDGES:-}
fi
verify_max=${VERIFY_MAX:-}
seed=${SEED:-13}
out=${SCALE_DIR:-$(mktemp -d /tmp/flowlock-scale.XXXXXX)}
trap '[ -n "${SCALE_DIR:-}" ] || rm -rf "$out"' EXIT
mkdir -p "$out"

for tool in "$build/flowlock" "$build/bench/bench-yaml" "$build/bench/bench-state" \
	"$build/bench/bench-inventory" /usr/bin/time; do
	[ -x "$tool" ] || { echo "scale: $tool is missing (build first; /usr/bin/time is Debian's 'time')" >&2; exit 2; }
done
command -v python3 >/dev/null || { echo "scale: python3 is missing" >&2; exit 2; }
fl=$build/flowlock
by=$build/bench/bench-yaml
bs=$build/bench/bench-state
bi=$build/bench/bench-inventory
tmp=$out/tmp
mkdir -p "$tmp"
# a capture of no packets: learn then only reads the inventory
python3 -c 'import struct,sys; sys.stdout.buffer.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))' >"$tmp/empty.pcap"

# A flowlock command's best wall time (s, microseconds) over $runs runs; $prep runs untimed
# before each. Exit statuses in $ok are success (diff and verify say 1 when they find something);
# any other prints the start of the command's stderr and gives "failed".
prep=:
ok=0
best_time() {
	local best="" t0 t1 rc
	for _ in $(seq "$runs"); do
		eval "$prep"
		t0=$EPOCHREALTIME
		rc=0
		"$@" >/dev/null 2>"$tmp/stderr" || rc=$?
		t1=$EPOCHREALTIME
		if ! [[ " $ok " == *" $rc "* ]]; then
			echo "scale: exit $rc from: $*" >&2
			head -n 3 "$tmp/stderr" | sed 's/^/scale:   /' >&2
			echo failed
			return
		fi
		best=$(awk -v a="$t0" -v b="$t1" -v best="$best" \
			'BEGIN{t=b-a; if (best=="" || t<best) best=t; printf "%.6f", best}')
	done
	echo "$best"
}

# peak resident memory (KiB) of one run of a command, whatever its exit status (best_time
# judged that)
peak_rss() {
	eval "$prep"
	{ /usr/bin/time -f "%M" "$@" 2>&1 >/dev/null || true; } | tail -n 1
}

# best of $runs of a key from a bench program's key=value line; key_of reads another key of the
# last run's line
best_key() {
	local key=$1 best="" v
	shift
	for _ in $(seq "$runs"); do
		eval "$prep"
		"$@" >"$tmp/last" || { echo failed; return; }
		v=$(key_of "$key")
		best=$(awk -v v="$v" -v best="$best" 'BEGIN{if (best=="" || v<best) best=v; printf "%.6f", best}')
	done
	echo "$best"
}
key_of() { sed -n "s/.*\\b$1=\\([0-9.]*\\).*/\\1/p" "$tmp/last"; }

mib() { awk -v b="$(du -b -s "$1" | cut -f1)" 'BEGIN{printf "%.1f", b/1048576}'; }

fmt_row() { printf '%-24s %-15s %8s %11s %10s %8s %9s  %s\n' "$@"; }
row() { # work input MiB flowlock_s floor_s rss_kib floor-name
	local ratio=- rss=-
	if [[ $4 =~ ^[0-9.]+$ && $5 =~ ^[0-9.]+$ ]]; then
		ratio=$(awk -v a="$4" -v b="$5" 'BEGIN{printf (b>0 ? "%.2f" : "-"), (b>0 ? a/b : 0)}')
	fi
	[[ $6 =~ ^[0-9]+$ ]] && rss=$(awk -v k="$6" 'BEGIN{printf "%.1f", k/1024}')
	fmt_row "$1" "$2" "$3" "$4" "$5" "$ratio" "$rss" "$7"
	per_edge["$1|$w"]=$4
}
# One row for a flowlock command: its best time and, when it ran, its peak memory.
measure() { # work input MiB floor_s floor-name COMMAND...
	local work=$1 input=$2 size=$3 floor=$4 floor_name=$5 t rss=-
	shift 5
	t=$(best_time "$@")
	[ "$t" = failed ] || rss=$(peak_rss "$@")
	row "$work" "$input" "$size" "$t" "$floor" "$rss" "$floor_name"
}

# What flowlock makes of an inventory of the cluster in $dir, untimed: every workload found, with
# the labels state.yaml gives it (those its policies select)?
check() {
	local inv=$1 found
	rm -f "$tmp/learned.yaml"
	if ! "$fl" learn -q -r "$tmp/empty.pcap" -I "$dir/$inv" --state "$tmp/learned.yaml" 2>"$tmp/stderr"; then
		echo "check: flowlock refused $inv: $(head -n 1 "$tmp/stderr")"
		return
	fi
	found=$(grep -c '^- id: k8s:' "$tmp/learned.yaml" || true)
	# the k8s workloads, labels and all, as the state has them (not when they ran)
	k8s_blocks() { awk '/^workloads:/{w=1;next} /^[a-z]/{w=0} w && /^- id: /{k=($3 ~ /^k8s:/)} w && k && !/-running:/' "$1"; }
	if cmp -s <(k8s_blocks "$tmp/learned.yaml") <(k8s_blocks "$dir/state.yaml"); then
		echo "check: $inv: flowlock found $found of $w workloads, labels as in state.yaml"
	else
		echo "check: $inv: flowlock found $found of $w workloads; they DIFFER from state.yaml's"
	fi
}
declare -A per_edge
declare -A edges_of

for w in $sizes; do
	dir=$out/w$w
	if [ -f "$dir/manifest.json" ]; then
		echo "scale: reusing the cluster of $w workloads in $dir" >&2
	else
		gen_args=()
		[ -n "$node_states" ] && gen_args+=(--node-states "$node_states")
		[ -n "$node_edges" ] && gen_args+=(--node-edges "$node_edges")
		echo "scale: generating $w workloads into $dir (not timed)" >&2
		nice python3 "$here/scale-gen.py" --seed "$seed" "${gen_args[@]}" "$w" "$dir"
	fi
	read -r pods nodes edges n_states state_edges < <(python3 -c '
import json, sys
m = json.load(open(sys.argv[1]))
print(m["pods"], m["nodes"], m["edges"], m["node_states"], m["node_state_edges"])' "$dir/manifest.json")
	edges_of[$w]=$edges
	# everything from the page cache, for flowlock and for the floor alike
	cat "$dir"/*.json "$dir"/*.yaml "$dir"/nodes/*.yaml >/dev/null 2>&1 || true

	echo
	echo "== $w workloads: $pods pods, $nodes nodes, $edges edges; cluster.json $(mib "$dir/cluster.json") MiB," \
		"pods.yaml $(mib "$dir/pods.yaml") MiB, state.yaml $(mib "$dir/state.yaml") MiB," \
		"nodes/ $n_states states of $state_edges edges ($(mib "$dir/nodes") MiB)"

	check cluster.json
	check pods.yaml
	if "$bs" "$dir/state.yaml" "$tmp/saved.yaml" >/dev/null && cmp -s "$tmp/saved.yaml" "$dir/state.yaml"; then
		echo "check: state.yaml loaded and saved again is the same bytes"
	else
		echo "check: state.yaml loaded and saved again DIFFERS"
	fi
	"$fl" emit --format k8s -q -o "$tmp/policies.yaml" "$dir/state.yaml"
	echo "check: emit wrote $(grep -c '^kind: NetworkPolicy' "$tmp/policies.yaml") NetworkPolicies ($(mib "$tmp/policies.yaml") MiB)"

	fmt_row work input MiB flowlock_s floor_s ratio rss_MiB floor
	prep=:
	ok=0
	state_floor=$(best_key seconds "$by" parse "$dir/state.yaml")
	inv_json_floor=$(best_key seconds "$by" parse "$dir/cluster.json")
	inv_yaml_floor=$(best_key seconds "$by" parse "$dir/pods.yaml")

	prep="rm -f '$tmp/learned.yaml'"
	measure "inventory read, JSON" cluster.json "$(mib "$dir/cluster.json")" "$inv_json_floor" \
		"parse cluster.json" "$fl" learn -q -r "$tmp/empty.pcap" -I "$dir/cluster.json" --state "$tmp/learned.yaml"
	measure "inventory read, YAML" pods.yaml "$(mib "$dir/pods.yaml")" "$inv_yaml_floor" \
		"parse pods.yaml" "$fl" learn -q -r "$tmp/empty.pcap" -I "$dir/pods.yaml" --state "$tmp/learned.yaml"
	prep=:
	# the same reads timed inside one process: inventory_load() alone, as the state's load is
	t=$(best_key load_s "$bi" "$dir/cluster.json")
	row "inventory load, JSON" cluster.json "$(mib "$dir/cluster.json")" "$t" "$inv_json_floor" \
		"$(key_of maxrss_kib)" "parse cluster.json (in-process, inventory_load)"
	t=$(best_key load_s "$bi" "$dir/pods.yaml")
	row "inventory load, YAML" pods.yaml "$(mib "$dir/pods.yaml")" "$t" "$inv_yaml_floor" \
		"$(key_of maxrss_kib)" "parse pods.yaml (in-process, inventory_load)"

	t=$(best_key load_s "$bs" "$dir/state.yaml")
	row "state load" state.yaml "$(mib "$dir/state.yaml")" "$t" "$state_floor" "$(key_of maxrss_kib)" \
		"parse state.yaml (in-process, graph_state_load)"
	t=$(best_key save_s "$bs" "$dir/state.yaml")
	emit_floor=$(best_key seconds "$by" emit "$dir/state.yaml")
	row "state save" state.yaml "$(mib "$dir/state.yaml")" "$t" "$emit_floor" "-" \
		"emit state.yaml's events (in-process, graph_state_save)"

	state_mb=$(mib "$dir/state.yaml")
	measure show state.yaml "$state_mb" "$state_floor" "parse state.yaml" "$fl" show "$dir/state.yaml"
	measure "emit k8s" state.yaml "$state_mb" "$state_floor" "parse state.yaml" \
		"$fl" emit --format k8s -q -o "$tmp/policies.yaml" "$dir/state.yaml"
	ok="0 1"
	measure diff "state{,-b}.yaml" "$state_mb" "$state_floor" "parse state.yaml" \
		"$fl" diff "$dir/state.yaml" "$dir/state-b.yaml"
	ok=0
	measure "merge of 2" "state{,-b}.yaml" "$state_mb" "$state_floor" "parse state.yaml" \
		"$fl" merge -q -o "$tmp/merged.yaml" "$dir/state.yaml" "$dir/state-b.yaml"

	if [ -n "$verify_max" ] && [ "$w" -gt "$verify_max" ]; then
		fmt_row verify policies - skipped - - - "VERIFY_MAX=$verify_max"
	else
		ok="0 1"
		measure verify policies "$(mib "$tmp/policies.yaml")" "$inv_yaml_floor" \
			"parse pods.yaml (flowlock's policies, the state)" \
			"$fl" verify -q -I "$dir/pods.yaml" "$tmp/policies.yaml" "$dir/state.yaml"
		ok=0
	fi

	if [ "$n_states" -gt 0 ]; then
		load=$(best_key load_s "$bs" load "$dir"/nodes/node-*.yaml)
		measure "merge of nodes/" "${n_states}x$state_edges" "$(mib "$dir/nodes")" "$load" \
			"load each of them (in-process, graph_state_load)" \
			"$fl" merge -q -o "$tmp/merged.yaml" "$dir"/nodes/node-*.yaml
	fi
done

# Linear in edges: the same figure per 1,000 edges should stay flat from size to size.
echo
echo "== seconds per 1,000 edges"
printf '%-24s' work
for w in $sizes; do printf ' %12s' "W=$w"; done
echo
for work in "state load" "state save" show "emit k8s" diff "merge of 2" verify; do
	printf '%-24s' "$work"
	for w in $sizes; do
		v=${per_edge["$work|$w"]:-}
		if [[ $v =~ ^[0-9.]+$ ]]; then
			awk -v t="$v" -v e="${edges_of[$w]}" 'BEGIN{printf " %12.4f", t*1000/e}'
		else
			printf ' %12s' -
		fi
	done
	echo
done
