#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# merge.sh - whole-program tests of learn --node and merge on samples/shop: the same bytes in
# every order of merging, nothing counted twice, exit codes, and OUT untouched on errors.
# Usage: merge.sh FLOWLOCK DATADIR SRCROOT
set -u
flowlock=$1 data=$2/merge root=$3
shop=$root/samples/shop
. "$(dirname "$0")/lib.sh"
require merge tcpdump

same() { # name file1 file2: byte for byte
	if cmp -s "$2" "$3"; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAIL: $1: $2 and $3 differ"
		diff -u "$2" "$3" | head -30
	fi
}

# Runs flowlock; rc, out and err hold its exit status and output.
run() {
	"$flowlock" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
}

# A failure: exit 2, one line on stderr that mentions what ($2), and file $3 unchanged.
fails() { # name what [file-that-must-not-change copy-of-it]
	expect "$1: exits 2 (got $rc)" [ "$rc" -eq 2 ]
	expect "$1: one line on stderr ($(head -c 300 "$tmp/err"))" [ "$(wc -l <"$tmp/err")" -eq 1 ]
	expect "$1: the message says '$2' ($(head -c 300 "$tmp/err"))" grep -qF -- "$2" "$tmp/err"
	if [ $# -ge 4 ]; then same "$1: left untouched" "$4" "$3"; fi
}

learn() { # STATE NODE-or-empty capture...
	local state=$1 node=$2
	shift 2
	local -a args=()
	for f in "$@"; do args+=(-r "$f"); done
	[ -n "$node" ] && args+=(--node "$node")
	"$flowlock" learn -q "${args[@]}" --inventory "$shop/inventory.yaml" --state "$state"
}

# ---- learn --node ------------------------------------------------------------------------------

learn "$tmp/a.yaml" worker-a "$shop/shop.pcapng"
expect "learn --node exits 0" [ $? -eq 0 ]
expect "the state names its node" [ "$(sed -n 2p "$tmp/a.yaml")" = "node: worker-a" ]
sed 2d "$tmp/a.yaml" >"$tmp/a-unnamed.yaml"
same "apart from the node, the state is the sample's" "$shop/expected-state.yaml" "$tmp/a-unnamed.yaml"

learn "$tmp/b.yaml" worker-b "$shop/shop.pcapng"
cp "$tmp/a.yaml" "$tmp/a.keep"
run learn -q -r "$shop/shop.pcapng" --inventory "$shop/inventory.yaml" --node worker-b \
	--state "$tmp/a.yaml"
fails "learn --node into another node's state" "worker-a" "$tmp/a.yaml" "$tmp/a.keep"
for bad in "" "-a" "a b" "a/b" "$(printf 'a%.0s' $(seq 254))" 'a"b' "$(printf 'a\nb')"; do
	run learn -q -r "$shop/shop.pcapng" --node "$bad" --state "$tmp/never.yaml"
	fails "learn --node '$(printf '%s' "$bad" | head -c 20)'" "--node"
	expect "learn --node '$(printf '%s' "$bad" | head -c 20)': no state written" \
		[ ! -e "$tmp/never.yaml" ]
done

# An unnamed state takes the name of the first agent that gives one; relearning adds to it.
learn "$tmp/claim.yaml" "" "$shop/shop.pcapng"
same "without --node the state is the sample's" "$shop/expected-state.yaml" "$tmp/claim.yaml"
learn "$tmp/claim.yaml" worker-a "$shop/shop.pcapng"
expect "an unnamed state takes the name" [ "$(sed -n 2p "$tmp/claim.yaml")" = "node: worker-a" ]
learn "$tmp/again.yaml" worker-a "$shop/shop.pcapng"
learn "$tmp/again.yaml" worker-a "$shop/shop.pcapng"
same "named later or from the start: the same state" "$tmp/again.yaml" "$tmp/claim.yaml"
learn "$tmp/claim.yaml" "" "$shop/shop.pcapng"
expect "without --node a named state keeps its name" \
	[ "$(sed -n 2p "$tmp/claim.yaml")" = "node: worker-a" ]

# ---- merge: the algebra on real states ------------------------------------------------------

run merge -o "$tmp/ab.yaml" "$tmp/a.yaml" "$tmp/b.yaml"
expect "merge exits 0 ($(head -c 200 "$tmp/err"))" [ "$rc" -eq 0 ]
expect "merge: no warning for named states" [ "$(grep -c warning "$tmp/err")" -eq 0 ]
run merge -q -o "$tmp/ba.yaml" "$tmp/b.yaml" "$tmp/a.yaml"
same "merge(a,b) = merge(b,a)" "$tmp/ab.yaml" "$tmp/ba.yaml"
expect "merge -q: nothing on stderr" [ ! -s "$tmp/err" ]
run merge -q -o "$tmp/ab2.yaml" "$tmp/ab.yaml" "$tmp/a.yaml" "$tmp/ab.yaml" "$tmp/b.yaml"
same "merging again what is merged changes nothing" "$tmp/ab.yaml" "$tmp/ab2.yaml"
run merge -q -o "$tmp/a2.yaml" "$tmp/a.yaml"
same "merge(a) = a" "$tmp/a.yaml" "$tmp/a2.yaml"
run merge -q -o "$tmp/a3.yaml" "$tmp/a.yaml" "$tmp/a.yaml"
same "merge(a,a) = a" "$tmp/a.yaml" "$tmp/a3.yaml"
run merge -q -o "$tmp/ab3.yaml" "$tmp/ab.yaml"
same "a merged state reads back to the same bytes" "$tmp/ab.yaml" "$tmp/ab3.yaml"
expect "a merged state lists its nodes" grep -qx 'nodes:' "$tmp/ab.yaml"
expect "a merged state has no single node" [ "$(grep -c '^node:' "$tmp/ab.yaml")" -eq 0 ]
expect "two nodes that saw the same packets: twice the packets" \
	grep -qx '  packets: 962' "$tmp/ab.yaml"

# The same traffic seen by two nodes: the same edges and policies, each connection twice.
"$flowlock" show "$tmp/ab.yaml" >"$tmp/ab.show"
"$flowlock" show "$tmp/a.yaml" >"$tmp/a.show"
expect "merge: the same edges" \
	[ "$(awk '{print $1, $2, $3, $4}' "$tmp/ab.show")" = "$(awk '{print $1, $2, $3, $4}' "$tmp/a.show")" ]
expect "merge: each node's connections are added" \
	[ "$(awk 'NR > 1 && NF == 9 {print $5 * 2}' "$tmp/a.show")" = "$(awk 'NR > 1 && NF == 9 {print $5}' "$tmp/ab.show")" ]
"$flowlock" emit --format k8s "$tmp/ab.yaml" >"$tmp/ab.k8s" 2>/dev/null
same "merge: the policies are the sample's" "$shop/expected-policies.yaml" "$tmp/ab.k8s"

# Three nodes that each saw part of the traffic: split with BPF filters that keep both
# directions of a flow together, and both sides of a Service's DNAT (they share the client's
# address), as a node sees the connections of its own pods.
fe='host 10.244.1.10 or host 10.244.1.11'
tcpdump -r "$shop/shop.pcapng" -w "$tmp/p1.pcap" 'udp' 2>/dev/null
tcpdump -r "$shop/shop.pcapng" -w "$tmp/p2.pcap" "tcp and ($fe)" 2>/dev/null
tcpdump -r "$shop/shop.pcapng" -w "$tmp/p3.pcap" "not udp and not (tcp and ($fe))" 2>/dev/null
learn "$tmp/n1.yaml" node-1 "$tmp/p1.pcap"
learn "$tmp/n2.yaml" node-2 "$tmp/p2.pcap"
learn "$tmp/n3.yaml" node-3 "$tmp/p3.pcap"
orders=("n1 n2 n3" "n3 n1 n2" "n2 n3 n1" "n3 n2 n1")
for o in "${orders[@]}"; do
	set -- $o
	"$flowlock" merge -q -o "$tmp/m-$1$2$3.yaml" "$tmp/$1.yaml" "$tmp/$2.yaml" "$tmp/$3.yaml"
	same "merge $o = merge n1 n2 n3" "$tmp/m-n1n2n3.yaml" "$tmp/m-$1$2$3.yaml"
done
"$flowlock" merge -q -o "$tmp/n12.yaml" "$tmp/n1.yaml" "$tmp/n2.yaml"
"$flowlock" merge -q -o "$tmp/n23.yaml" "$tmp/n2.yaml" "$tmp/n3.yaml"
"$flowlock" merge -q -o "$tmp/n12-3.yaml" "$tmp/n12.yaml" "$tmp/n3.yaml"
"$flowlock" merge -q -o "$tmp/n1-23.yaml" "$tmp/n1.yaml" "$tmp/n23.yaml"
same "merge(merge(n1,n2),n3) = merge(n1,merge(n2,n3))" "$tmp/n12-3.yaml" "$tmp/n1-23.yaml"
same "a tree of merges = one merge of every node" "$tmp/m-n1n2n3.yaml" "$tmp/n12-3.yaml"
"$flowlock" show "$tmp/n12-3.yaml" >"$tmp/n.show"
same "three partial views merge into the whole graph" "$tmp/a.show" "$tmp/n.show"
"$flowlock" emit --format k8s "$tmp/n12-3.yaml" >"$tmp/n.k8s" 2>/dev/null
same "three partial views: the sample's policies" "$shop/expected-policies.yaml" "$tmp/n.k8s"
# An agent that learns on: merging its newer state replaces its older counts.
learn "$tmp/n1.yaml" node-1 "$tmp/p1.pcap"
"$flowlock" merge -q -o "$tmp/n12-3.yaml" "$tmp/n12-3.yaml" "$tmp/n1.yaml"
expect "a newer state of one node counts once" \
	grep -qx "  packets: $((481 + $(sed -n 's/^  packets: //p' "$tmp/n1.yaml") / 2))" \
	"$tmp/n12-3.yaml"

# ---- learning into a merged state -----------------------------------------------------------

cp "$tmp/ab.yaml" "$tmp/abl.yaml"
learn "$tmp/abl.yaml" worker-a "$shop/shop.pcapng"
expect "learn --node into a merged state exits 0" [ $? -eq 0 ]
expect "learn --node into a merged state: that node's counts grow" \
	grep -qx '  packets: 1443' "$tmp/abl.yaml"
learn "$tmp/abl.yaml" "" "$shop/shop.pcapng"
expect "learn without --node into a merged state: the unnamed node" \
	grep -qx '  "":' "$tmp/abl.yaml"

# ---- warnings and errors --------------------------------------------------------------------

run merge -o "$tmp/u.yaml" "$shop/expected-state.yaml" "$tmp/a.yaml" "$tmp/claim.yaml" \
	"$shop/expected-state.yaml"
expect "merge with unnamed states exits 0" [ "$rc" -eq 0 ]
expect "one warning per unnamed state ($(cat "$tmp/err"))" \
	[ "$(grep -c "^flowlock: warning: $shop/expected-state.yaml has no node name (learn --node): its counts may overlap another unnamed state's\$" "$tmp/err")" -eq 2 ]
expect "no warning for named states" [ "$(grep -c warning "$tmp/err")" -eq 2 ]

echo "keep me" >"$tmp/out.yaml"
cp "$tmp/out.yaml" "$tmp/out.keep"
run merge "$tmp/a.yaml"
fails "merge without -o" "-o OUT is required"
run merge -o "$tmp/out.yaml"
fails "merge without a state" "at least one STATE" "$tmp/out.yaml" "$tmp/out.keep"
run merge --bogus -o "$tmp/out.yaml" "$tmp/a.yaml"
fails "merge --bogus" "--bogus" "$tmp/out.yaml" "$tmp/out.keep"
run merge -o "$tmp/out.yaml" "$tmp/a.yaml" "$tmp/missing.yaml"
fails "merge with a missing state" "$tmp/missing.yaml: No such file" "$tmp/out.yaml" "$tmp/out.keep"
run merge -o "$tmp/out.yaml" "$tmp/a.yaml" "$data/bad-edge-sum.yaml"
fails "merge with a bad merged state" "bad-edge-sum.yaml:46:16: connections" \
	"$tmp/out.yaml" "$tmp/out.keep"
run merge -o "$tmp/out.yaml" "$shop/shop.pcapng" "$tmp/a.yaml"
fails "merge with a capture for a state" "shop.pcapng" "$tmp/out.yaml" "$tmp/out.keep"
# A workload relabelled between two states (a rollout): the labels of the state that saw it
# last win, in either order. a.yaml saw cart at 14:05, conflict-labels.yaml (app: cart2) at 14:04;
# moved to 14:09, the relabelled one wins.
cart_app() { sed -n '/^- id: k8s:shop\/deployment\/cart$/,/^- id:/s/^    app: //p' "$1"; }
sed 's/T14:04:00/T14:09:00/' "$data/conflict-labels.yaml" >"$tmp/relabel-later.yaml"
for order in "a.yaml conflict-labels.yaml" "conflict-labels.yaml a.yaml"; do
	set -- $order
	run merge -q -o "$tmp/rl-${1%.yaml}.yaml" "$data/$1" "$data/$2"
	expect "relabelled earlier ($order): exit 0" [ "$rc" -eq 0 ]
	expect "relabelled earlier ($order): the later labels stay" [ "$(cart_app "$tmp/rl-${1%.yaml}.yaml")" = cart ]
	a=$data/a.yaml b=$tmp/relabel-later.yaml
	[ "$1" = a.yaml ] || { a=$tmp/relabel-later.yaml b=$data/a.yaml; }
	run merge -q -o "$tmp/rl2-${1%.yaml}.yaml" "$a" "$b"
	expect "relabelled later ($order): the new labels win" [ "$(cart_app "$tmp/rl2-${1%.yaml}.yaml")" = cart2 ]
done
same "relabelled: either order, the same bytes" "$tmp/rl-a.yaml" "$tmp/rl-conflict-labels.yaml"
same "relabelled later: either order, the same bytes" "$tmp/rl2-a.yaml" "$tmp/rl2-conflict-labels.yaml"
run merge -q -o "$tmp/rl3.yaml" "$tmp/rl2-a.yaml" "$data/a.yaml" "$tmp/relabel-later.yaml"
same "relabelled: merging again changes nothing" "$tmp/rl2-a.yaml" "$tmp/rl3.yaml"
# Attempts (refused and unanswered flows) merge per node like edges, and read back the same.
run merge -q -o "$tmp/att.yaml" "$data/good-attempts.yaml"
same "a merged state with attempts reads back to the same bytes" "$data/good-attempts.yaml" "$tmp/att.yaml"
run merge -q -o "$tmp/att2.yaml" "$data/good-attempts.yaml" "$data/abc.yaml" "$data/good-attempts.yaml"
same "merging attempts again changes nothing" "$data/good-attempts.yaml" "$tmp/att2.yaml"
run merge -o "$tmp/out.yaml" "$tmp/a.yaml" "$data/bad-attempt-sum.yaml"
fails "merge with a bad attempt" "bad-attempt-sum.yaml:105:12: refused: 3" "$tmp/out.yaml" "$tmp/out.keep"
# Two states that describe one workload differently: the message names the state the later
# one disagrees with, found by reading the earlier ones again (a merge holds one at a time).
printf 'flowlock-state: 2\nnode: %s\nworkloads:\n- id: k8s:shop/deployment/web\n  kind: k8s\n  namespace: shop\n  controller: %s\n  name: web\n' \
	n1 Deployment >"$tmp/w1.yaml"
sed 's/node: n1/node: n3/' "$tmp/w1.yaml" >"$tmp/w3.yaml"
sed 's/node: n1/node: n2/; s/controller: Deployment/controller: DEPLOYMENT/' "$tmp/w1.yaml" >"$tmp/w2.yaml"
run merge -o "$tmp/out.yaml" "$tmp/a.yaml" "$tmp/w3.yaml" "$tmp/w1.yaml" "$tmp/w2.yaml"
fails "merge of states that disagree" \
	"merge: $tmp/w3.yaml and $tmp/w2.yaml disagree: workload \"k8s:shop/deployment/web\" has different controller" \
	"$tmp/out.yaml" "$tmp/out.keep"
run merge -o "$tmp/no/such/dir/out.yaml" "$tmp/a.yaml"
fails "merge into a missing directory" "$tmp/no/such/dir/out.yaml"
run merge --help
expect "merge --help exits 0" [ "$rc" -eq 0 ]
expect "merge --help shows the usage" grep -q '^Usage: flowlock merge -o OUT STATE\.\.\.' "$tmp/out"
run learn --help
expect "learn --help shows --node" grep -q -- '--node NAME' "$tmp/out"

# OUT may be one of the states: a fleet state merged with newer node states in place.
cp "$tmp/a.yaml" "$tmp/fleet.yaml"
run merge -q -o "$tmp/fleet.yaml" "$tmp/fleet.yaml" "$tmp/b.yaml"
same "merge into one of its inputs" "$tmp/ab.yaml" "$tmp/fleet.yaml"

finish merge
