#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# workflow.sh - the lockdown workflow end to end: learn a baseline, check new traffic against it,
# diff two states. The new traffic holds exactly one edge the baseline has not; check and diff
# must report exactly that edge and exit 1, report nothing and exit 0 on identical inputs, and
# exit 2 with one line on stderr for bad input. FLOWLOCK_UPDATE_GOLDEN=1 rewrites the goldens.
# Usage: workflow.sh FLOWLOCK DATADIR SRCROOT
set -u
flowlock=$1 data=$2/workflow root=$3
. "$(dirname "$0")/lib.sh"
require workflow tcpdump python3
full=$root/samples/shop/shop.pcapng
inv=$root/samples/shop/inventory.yaml
base_cap=$data/baseline.pcap
new_edge="k8s:shop/cronjob/report -> k8s:shop/deployment/catalog TCP 9090"

# run NAME WANT-STATUS ARGS...: flowlock with stdout in $tmp/out, stderr in $tmp/err
run() {
	local name=$1 want=$2 rc
	shift 2
	"$flowlock" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	expect "$name: exit $want, not $rc ($(head -c 300 "$tmp/err"))" [ "$rc" -eq "$want" ]
}

# ---- the two states ----------------------------------------------------------------------------

run "learn the baseline" 0 learn -q -r "$base_cap" --inventory "$inv" --state "$tmp/base.yaml"
run "learn the full capture" 0 learn -q -r "$full" --inventory "$inv" --state "$tmp/full.yaml"
# The oracle, independent of check and diff: the two states' tables differ by that one edge.
edge_keys() { "$flowlock" show "$1" | sed '1d;$d' | awk '{print $1 " -> " $2 " " $3 " " $4}' | sort; }
edge_keys "$tmp/base.yaml" >"$tmp/show-base"
edge_keys "$tmp/full.yaml" >"$tmp/show-full"
only_full=$(comm -13 "$tmp/show-base" "$tmp/show-full")
only_base=$(comm -23 "$tmp/show-base" "$tmp/show-full")
expect "the baseline lacks exactly the one edge (full has: $only_full)" \
	[ "$only_full" = "$new_edge" ]
expect "the baseline has nothing the full capture lacks ($only_base)" [ -z "$only_base" ]

# The committed capture is what its filter makes (see $data/README).
tcpdump -Z "$(id -un)" --time-stamp-precision=nano -r "$full" -w "$tmp/refiltered.pcap" \
	'not (host 10.244.1.50 and tcp)' 2>/dev/null
"$flowlock" learn -q -r "$tmp/refiltered.pcap" --inventory "$inv" \
	--state "$tmp/refiltered.yaml"
expect "baseline.pcap is shop.pcapng through its filter" \
	cmp -s "$tmp/base.yaml" "$tmp/refiltered.yaml"

cp "$tmp/base.yaml" "$tmp/base.orig"

# ---- check ---------------------------------------------------------------------------------

run "check" 1 check --baseline "$tmp/base.yaml" -r "$full" --inventory "$inv"
check "check" "$data/expected-check.txt" "$tmp/out"
expect "check says nothing on stderr ($(head -c 200 "$tmp/err"))" [ ! -s "$tmp/err" ]
# every line but the summary is one flow of the new edge, and the summary counts them
reported=$(sed '$d' "$tmp/out" | cut -d' ' -f2- | sort -u)
flows=$(sed '$d' "$tmp/out" | wc -l)
expect "check reports exactly the new edge (got: $reported)" [ "$reported" = "$new_edge" ]
expect "check's lines start with an RFC 3339 time" \
	[ -z "$(sed '$d' "$tmp/out" | grep -Ev '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{9}Z ')" ]
expect "check's summary counts $flows flows and 1 edge" \
	[ "$(tail -n 1 "$tmp/out")" = "$flows of 97 flows not in the baseline, 1 distinct edge" ]
cp "$tmp/out" "$tmp/check-first"
run "check again" 1 check -q --baseline "$tmp/base.yaml" -r "$full" --inventory "$inv"
expect "check is deterministic" cmp -s "$tmp/check-first" "$tmp/out"

run "check --format json" 1 check --format json --baseline "$tmp/base.yaml" -r "$full" \
	--inventory "$inv"
check "check json" "$data/expected-check.json" "$tmp/out"
python3 -c '
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
*hits, summary = rows
assert hits and all(r["event"] == "violation" for r in hits)
assert {(r["client"], r["server"], r["protocol"], r["port"]) for r in hits} == \
{("k8s:shop/cronjob/report", "k8s:shop/deployment/catalog", "TCP", 9090)}
assert summary == {"event": "summary", "flows_seen": 97, "flows": len(hits), "edges": 1}
' "$tmp/out"
expect "check json: one JSON object per line, the new edge only" [ $? -eq 0 ]
expect "check never writes the baseline" cmp -s "$tmp/base.yaml" "$tmp/base.orig"
expect "check leaves no file beside the baseline" \
	[ "$(find "$tmp" -maxdepth 1 -name 'base.yaml.*' | wc -l)" -eq 0 ]

# the same traffic as the baseline's, and a baseline that has every edge: nothing to report
run "check, the baseline's own traffic" 0 check --baseline "$tmp/base.yaml" -r "$base_cap" \
	--inventory "$inv"
expect "check, the baseline's own traffic: only the summary" \
	[ "$(cat "$tmp/out")" = "0 of 95 flows not in the baseline, 0 distinct edges" ]
run "check, a baseline with every edge" 0 check --baseline "$tmp/full.yaml" -r "$full" \
	--inventory "$inv" --format json
expect "check json, nothing found: only the summary" \
	[ "$(cat "$tmp/out")" = '{"event": "summary", "flows_seen": 97, "flows": 0, "edges": 0}' ]

# without the inventory every address is an external peer: check says so, then reports them all
run "check without the inventory" 1 check --baseline "$tmp/base.yaml" -r "$full"
expect "check without the inventory warns, once" \
	[ "$(grep -c '^flowlock: warning: the baseline names workloads' "$tmp/err")" -eq 1 ]
expect "check without the inventory: every flow reported" \
	[ "$(tail -n 1 "$tmp/out")" = "97 of 97 flows not in the baseline, 29 distinct edges" ]
run "check -q without the inventory" 1 check -q --baseline "$tmp/base.yaml" -r "$full"
expect "check -q: no warning" [ ! -s "$tmp/err" ]

# Attempts: the port-0 recording holds a datagram from port 0 to UDP 7000, refused with port
# unreachable. It is an attempt on 7000, never an edge: checked against the state, it is
# reported as one, and alone it does not fail the check.
pz=$data/../golden/port-zero
run "check, attempts only" 0 check --baseline "$pz/expected-state.yaml" \
	-r "$pz/port-zero.pcap" --inventory "$pz/inventory.json"
expect "check, attempts only: one attempt line, then the summary ($(head -c 400 "$tmp/out"))" \
	[ "$(sed -n '1s/^[^ ]* //p; 2p' "$tmp/out")" = "docker:shop/db -> docker:shop/web UDP 7000 (attempt: refused)
0 of 5 flows not in the baseline, 0 distinct edges; 1 attempt (refused or unanswered)" ]
run "check --format json, attempts only" 0 check --format json \
	--baseline "$pz/expected-state.yaml" -r "$pz/port-zero.pcap" --inventory "$pz/inventory.json"
python3 -c '
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
assert [l["event"] for l in lines] == ["attempt", "summary"], lines
a, s = lines
assert (a["client"], a["server"], a["protocol"], a["port"], a["outcome"]) == \
    ("docker:shop/db", "docker:shop/web", "UDP", 7000, "refused"), a
assert (s["flows"], s["edges"], s["attempts"]) == (0, 0, 1), s' "$tmp/out"
expect "check json: an attempt event and the summary" [ $? -eq 0 ]
# a baseline without the served edges: they are violations, the attempt is still an attempt
"$flowlock" learn -q -r "$pz/port-zero.pcap" --state "$tmp/pz-nothing.yaml"
run "check, violations and an attempt" 1 check --baseline "$tmp/pz-nothing.yaml" \
	-r "$pz/port-zero.pcap" --inventory "$pz/inventory.json"
expect "check, violations and an attempt: 4 flows, 2 edges, 1 attempt ($(tail -n 1 "$tmp/out"))" \
	[ "$(tail -n 1 "$tmp/out")" = "4 of 5 flows not in the baseline, 2 distinct edges; 1 attempt (refused or unanswered)" ]

# ---- diff ----------------------------------------------------------------------------------

for fmt in text markdown json; do
	ext=$fmt
	[ "$fmt" = markdown ] && ext=md
	run "diff --format $fmt" 1 diff --format "$fmt" "$tmp/base.yaml" "$tmp/full.yaml"
	check "diff $fmt" "$data/expected-diff.$ext" "$tmp/out"
	expect "diff $fmt names the new edge's server" grep -q 'k8s:shop/deployment/catalog' "$tmp/out"
done
run "diff (default text)" 1 diff "$tmp/base.yaml" "$tmp/full.yaml"
expect "diff: text is the default" cmp -s "$data/expected-diff.text" "$tmp/out"
expect "diff text: exactly one + line, the new edge" \
	[ "$(grep '^[+-] ' "$tmp/out" | awk '{print $1 " " $2 " -> " $3 " " $4 " " $5}')" = \
		"+ $new_edge" ]
run "diff the other way" 0 diff "$tmp/full.yaml" "$tmp/base.yaml"
expect "diff the other way: the edge is removed, which is no gate" \
	[ "$(grep '^[+-] ' "$tmp/out" | awk '{print $1 " " $2 " -> " $3 " " $4 " " $5}')" = \
		"- $new_edge" ]
for s in base full; do
	for fmt in text markdown json; do
		run "diff $s $s --format $fmt" 0 diff --format "$fmt" "$tmp/$s.yaml" "$tmp/$s.yaml"
	done
	expect "diff $s $s: nothing changed" grep -q '"edges_added": \[\], "edges_removed": \[\]' \
		"$tmp/out"
done

# ---- bad input: exit 2, one line on stderr, nothing on stdout ------------------------------

printf 'version: [\n' >"$tmp/garbage.yaml"
printf 'not a capture\n' >"$tmp/garbage.pcap"
printf 'kind: Pod\nmetadata: {name: "a\\nb", namespace: x}\n' >"$tmp/bad-inventory.yaml"
bad() { # name args...
	local name=$1
	shift
	run "$name" 2 "$@"
	expect "$name: one line on stderr" [ "$(wc -l <"$tmp/err")" -eq 1 ]
	expect "$name: it starts with flowlock:" grep -q '^flowlock: ' "$tmp/err"
	expect "$name: nothing on stdout" [ ! -s "$tmp/out" ]
}
bad "diff of a missing state" diff "$tmp/missing.yaml" "$tmp/full.yaml"
bad "diff of a garbage state" diff "$tmp/base.yaml" "$tmp/garbage.yaml"
bad "diff of one state" diff "$tmp/base.yaml"
bad "diff of three states" diff "$tmp/base.yaml" "$tmp/base.yaml" "$tmp/base.yaml"
bad "diff --format yaml" diff --format yaml "$tmp/base.yaml" "$tmp/full.yaml"
bad "diff --bogus" diff --bogus "$tmp/base.yaml" "$tmp/full.yaml"
bad "check without a baseline" check -r "$full"
bad "check of a missing baseline" check --baseline "$tmp/missing.yaml" -r "$full"
bad "check of a garbage baseline" check --baseline "$tmp/garbage.yaml" -r "$full"
bad "check of a garbage capture" check --baseline "$tmp/base.yaml" -r "$tmp/garbage.pcap" \
	--inventory "$inv"
bad "check of a missing capture" check --baseline "$tmp/base.yaml" -r "$tmp/missing.pcap" \
	--inventory "$inv"
bad "check with a bad inventory" check --baseline "$tmp/base.yaml" -r "$full" \
	--inventory "$tmp/bad-inventory.yaml"
bad "check with nothing to read" check --baseline "$tmp/base.yaml"
bad "check --state" check --baseline "$tmp/base.yaml" -r "$full" --state "$tmp/x.yaml"
bad "check --checkpoint" check --baseline "$tmp/base.yaml" -r "$full" --checkpoint 5
bad "check --format markdown" check --baseline "$tmp/base.yaml" -r "$full" --format markdown
bad "check with an argument" check --baseline "$tmp/base.yaml" -r "$full" "$full"
bad "learn --baseline" learn --baseline "$tmp/base.yaml" -r "$full" --state "$tmp/x.yaml"
expect "a refused learn writes no state" [ ! -e "$tmp/x.yaml" ]
expect "nothing refused touched the baseline" cmp -s "$tmp/base.yaml" "$tmp/base.orig"

# ---- help ----------------------------------------------------------------------------------

for cmd in check diff; do
	run "$cmd --help" 0 "$cmd" --help
	expect "$cmd --help prints its usage" grep -q "^Usage: flowlock $cmd" "$tmp/out"
done
run "flowlock --help" 0 --help
expect "flowlock --help lists check and diff" \
	[ "$(grep -cE '^  (check|diff) ' "$tmp/out")" -eq 2 ]

finish workflow
