#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# golden-dot.sh - Graphviz reads the dot output of every golden case (samples/*,
# tests/data/golden/*); golden.sh compares the same output byte for byte. Without Graphviz this
# says so and exits 77 (meson: SKIP); tools/install-deps test installs it.
# Usage: golden-dot.sh FLOWLOCK DATADIR SRCROOT
set -u
flowlock=$1 data=$2 root=$3
. "$(dirname "$0")/lib.sh"
require golden-dot dot

for dir in "$root"/samples/*/ "$data"/golden/*/; do
	[ -f "$dir/expected-state.yaml" ] || continue
	name=$(basename "$dir")
	"$flowlock" emit --format dot "$dir/expected-state.yaml" >"$tmp/graph.dot"
	expect "$name: emit --format dot exits 0" [ $? -eq 0 ]
	dot -Tsvg "$tmp/graph.dot" >"$tmp/graph.svg" 2>"$tmp/dot.err"
	rc=$?
	expect "$name: Graphviz reads the dot output ($(head -c 200 "$tmp/dot.err"))" \
		[ $rc -eq 0 -a -s "$tmp/graph.svg" ]
done

finish golden-dot
