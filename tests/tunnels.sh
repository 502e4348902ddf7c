#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# tunnels.sh - each recorded tunnel capture on its own (tests/data/golden/tunnels): learn finds
# the pods' edges inside and never the nodes' tunnel flow; --no-tunnels and --tunnel-port change
# what is opened; check agrees; bad --tunnel-port values are usage errors.
# Usage: tunnels.sh FLOWLOCK DATADIR
set -u
flowlock=$1 data=$2
. "$(dirname "$0")/lib.sh"
py=$(find_python json)
[ -n "$py" ] || { echo "tunnels: python3 missing: skipped"; exit 77; }
dir=$data/golden/tunnels
inv=$dir/inventory.yaml
inner="k8s:overlay/deployment/web k8s:overlay/statefulset/db TCP 8080
k8s:overlay/deployment/web k8s:overlay/statefulset/db UDP 5353"

learn() { # state capture options...
	local state=$1 cap=$2
	shift 2
	rm -f "$state"
	"$flowlock" learn -r "$cap" --inventory "$inv" --state "$state" "$@" 2>"$tmp/err"
}

captures=(vxlan vxlan-8472 vxlan6 geneve gre gretap ipip)
for name in "${captures[@]}"; do
	cap=$dir/$name.pcap
	learn "$tmp/s.yaml" "$cap"
	rc=$?
	expect "$name: learn exits 0 ($(head -c 200 "$tmp/err"))" [ $rc -eq 0 ]
	same_text "$name: the pods' edges inside the tunnel, nothing else" "$inner" \
		"$(learned_edges "$tmp/s.yaml")"
	expect "$name: nothing truncated or malformed ($(cat "$tmp/err"))" \
		grep -q 'skipped 0 truncated, 0 malformed, 0 fragments' "$tmp/err"
	# check reads it the same way: nothing new against the state just learned
	"$flowlock" check -q --baseline "$tmp/s.yaml" -r "$cap" --inventory "$inv" >"$tmp/out" 2>&1
	rc=$?
	expect "$name: check finds every flow in the baseline ($(head -c 200 "$tmp/out"))" [ $rc -eq 0 ]

	# --no-tunnels: the inner flows are not opened, so none of the pods' edges is learned
	learn "$tmp/o.yaml" "$cap" --no-tunnels
	expect "$name --no-tunnels: learn exits 0" [ $? -eq 0 ]
	same_text "$name --no-tunnels: no inner edge" "" "$(learned_edges "$tmp/o.yaml")"
done

# --no-tunnels --tunnel-port vxlan:8472 opens flannel's port and no other
learn "$tmp/s.yaml" "$dir/vxlan-8472.pcap" --no-tunnels --tunnel-port vxlan:8472
same_text "--no-tunnels --tunnel-port vxlan:8472: flannel's VXLAN is opened" "$inner" \
	"$(learned_edges "$tmp/s.yaml")"
for name in vxlan geneve gre ipip; do
	learn "$tmp/s.yaml" "$dir/$name.pcap" --no-tunnels --tunnel-port vxlan:8472
	same_text "--no-tunnels --tunnel-port vxlan:8472: $name is not" "" \
		"$(learned_edges "$tmp/s.yaml")"
done
# a port listed for another kind than its packets: the VXLAN flag is missing, malformed
learn "$tmp/s.yaml" "$dir/geneve.pcap" --no-tunnels --tunnel-port vxlan:6081
expect "geneve read as vxlan: learn exits 0" [ $? -eq 0 ]
expect "geneve read as vxlan: its packets are malformed ($(cat "$tmp/err"))" \
	grep -q 'skipped 0 truncated, [1-9][0-9]* malformed' "$tmp/err"
same_text "geneve read as vxlan: no edge" "" "$(learned_edges "$tmp/s.yaml")"
# a port of the same kind twice, and the defaults repeated, change nothing
learn "$tmp/s.yaml" "$dir/vxlan.pcap" --tunnel-port vxlan:4789 --tunnel-port vxlan:4789
same_text "--tunnel-port repeating a default" "$inner" "$(learned_edges "$tmp/s.yaml")"

# Bad values: exit 2 with one line naming the option, and no state written.
bad() { # why args...
	local why=$1
	shift
	rm -f "$tmp/bad.yaml"
	"$flowlock" learn -r "$dir/vxlan.pcap" --state "$tmp/bad.yaml" "$@" >/dev/null 2>"$tmp/err"
	local rc=$?
	expect "$why: exit 2 (rc $rc)" [ $rc -eq 2 ]
	expect "$why: one line naming --tunnel-port ($(cat "$tmp/err"))" \
		[ "$(wc -l <"$tmp/err")" -eq 1 -a "$(grep -c -- --tunnel-port "$tmp/err")" -eq 1 ]
	expect "$why: no state written" [ ! -e "$tmp/bad.yaml" ]
}
bad "an unknown kind" --tunnel-port gre:47
bad "no kind" --tunnel-port 4789
bad "port 0" --tunnel-port vxlan:0
bad "port 65536" --tunnel-port vxlan:65536
bad "no port" --tunnel-port geneve:
bad "a default port as the other kind" --tunnel-port geneve:4789
bad "one port as two kinds" --no-tunnels --tunnel-port geneve:9000 --tunnel-port vxlan:9000
many=()
for p in $(seq 10001 10017); do many+=(--tunnel-port "vxlan:$p"); done
bad "17 ports" --no-tunnels "${many[@]}"
expect "learn --help names --tunnel-port and --no-tunnels" \
	sh -c "'$flowlock' learn --help | grep -q -- '--tunnel-port KIND:PORT' && '$flowlock' learn --help | grep -q -- '--no-tunnels'"

finish tunnels
