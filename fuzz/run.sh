#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# run.sh - builds the libFuzzer harnesses (clang) and runs each over its corpus, then for a while.
# Usage: fuzz/run.sh [-t SECONDS] [-j JOBS] [-b BUILDDIR] [-o DIR] [HARNESS...]
#            (default: 30 s each, all, as many at once as there are CPUs)
#            -o DIR keeps each harness's grown corpus in DIR/HARNESS, for --merge
#        fuzz/run.sh --merge SEEDDIR [--max-bytes N] [HARNESS...]
#            minimises SEEDDIR/HARNESS and the corpus into the corpus, leaving out inputs over N bytes
# A crash, leak, hang or broken property fails it, with the reproducer and its bytes in the log.
# New inputs found stay in a copy of the corpus; fuzz/corpus/ changes only by --merge.
set -eu
cd "$(dirname "$0")/.."
secs=30
build=build-fuzz
merge=""
max_bytes=""
keep=""
jobs=""
while [ $# -gt 0 ]; do
	case $1 in
	-t) secs=$2; shift 2 ;;
	-j) jobs=$2; shift 2 ;;
	-b) build=$2; shift 2 ;;
	--merge) merge=$2; shift 2 ;;
	--max-bytes) max_bytes=$2; shift 2 ;;
	-o) keep=$2; shift 2 ;;
	-h | --help) sed -n 3,8p "$0"; exit 0 ;;
	-*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
	*) break ;;
	esac
done
all="decode decode-diff capture-file conntrack inventory-k8s inventory-docker watch state policy docker"
harnesses=${*:-$all}
# as many lanes as the CPUs this may use (nproc: affinity and quota), no more than harnesses
n=$(echo "$harnesses" | wc -w)
[ -n "$jobs" ] || jobs=$(nproc 2>/dev/null || echo 1)
case $jobs in
'' | *[!0-9]* | 0*) echo "run.sh: -j takes a number of lanes, 1 or more" >&2; exit 2 ;;
esac
[ "$jobs" -le "$n" ] || jobs=$n

# 77: cannot run here (meson's SKIP); tools/install-deps test installs both
probe=$(mktemp -d)
printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return 0; }\n' >"$probe/p.c"
if ! command -v clang >/dev/null || ! clang -fsanitize=fuzzer "$probe/p.c" -o "$probe/p" 2>/dev/null; then
	rm -rf "$probe"
	echo "run.sh: needs clang and libFuzzer (libclang-rt-dev): SKIP" >&2
	exit 77
fi
rm -rf "$probe"
[ -f "$build/build.ninja" ] ||
	CC=clang meson setup "$build" -Dfuzz=true -Db_lundef=false -Dtests=disabled >/dev/null
targets=""
for h in $harnesses; do targets="$targets fuzz/fuzz-$h"; done
# shellcheck disable=SC2086
meson compile -C "$build" $targets >/dev/null

work=$(mktemp -d)
pids=""
# interrupted: the lanes' harnesses (pkill, procps), then the lanes, go before their folder
stop_lanes() {
	[ -n "$pids" ] || return 0
	for p in $pids; do pkill -P "$p" 2>/dev/null || true; done
	# shellcheck disable=SC2086
	kill $pids 2>/dev/null || true
	wait
}
trap 'stop_lanes; rm -rf "$work"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
status=0
# harness $1: h, its executable, its corpus and its dictionary option
harness() {
	h=$1
	exe=$build/fuzz/fuzz-$h
	corpus=fuzz/corpus/$h
	dict=""
	[ ! -f "fuzz/$h.dict" ] || dict="-dict=fuzz/$h.dict"
}

# One harness over its corpus and then for $secs: its report on standard output, its status
# the function's.
fuzz_one() {
	harness "$1"
	grown=$work/$h/corpus
	[ -z "$keep" ] || grown=$keep/$h
	mkdir -p "$grown" "$work/$h/crash" || return 1
	cp "$corpus"/* "$grown"/ 2>/dev/null || true
	rc=0
	# shellcheck disable=SC2086
	TMPDIR=$work/$h "$exe" $dict -max_total_time="$secs" -timeout=25 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$work/$h/crash/" "$grown" >"$work/$h.log" 2>&1 || rc=$?
	stats=$(awk '/^stat::number_of_executed_units/ { n = $2 } /^stat::average_exec_per_sec/ { s = $2 }
		/^#[0-9]+.*(DONE|pulse|NEW|REDUCE|INITED)/ { for (i = 1; i <= NF; i++) { if ($i == "cov:") c = $(i + 1); if ($i == "ft:") f = $(i + 1) } }
		END { printf "%s execs, %s/s, cov %s, ft %s", n, s, c, f }' "$work/$h.log")
	if [ $rc -ne 0 ] || [ -n "$(ls "$work/$h/crash")" ]; then
		echo "fuzz-$h: FAILED ($stats)"
		grep -v '^#[0-9]' "$work/$h.log" | tail -60
		for f in "$work/$h/crash"/*; do
			[ -f "$f" ] || continue
			echo "reproducer $(basename "$f") ($(wc -c <"$f") bytes; run: $exe FILE):"
			od -An -tx1 -v "$f" | head -64
		done
		return 1
	fi
	echo "fuzz-$h: ok ($stats, $(ls "$corpus" | wc -l) corpus inputs)"
}

if [ -n "$merge" ]; then
	for name in $harnesses; do
		harness "$name"
		mkdir -p "$corpus" "$work/$h" "$work/$h.in"
		find "$corpus"/ "$merge/$h"/ -type f ${max_bytes:+-size -$((max_bytes + 1))c} \
			-exec cp {} "$work/$h.in"/ \;
		# one input per edge covered, not per hit-count bucket: the committed corpus stays small
		# shellcheck disable=SC2086
		"$exe" -merge=1 -use_counters=0 $dict "$work/$h" "$work/$h.in" 2>"$work/$h.log" ||
			{ tail -20 "$work/$h.log"; exit 1; }
		rm -f "$corpus"/*
		cp "$work/$h"/* "$corpus"/
		echo "$h: $(ls "$corpus" | wc -l) inputs, $(du -sk "$corpus" | cut -f1) KiB"
	done
	exit 0
fi

# $jobs lanes, each running every $jobs-th harness in turn; the reports in the harnesses' order.
lane=0
while [ $lane -lt "$jobs" ]; do
	(
		i=0
		for h in $harnesses; do
			if [ $((i % jobs)) -eq $lane ]; then
				rc=0
				fuzz_one "$h" >"$work/$h.out" 2>&1 || rc=$?
				echo $rc >"$work/$h.rc"
			fi
			i=$((i + 1))
		done
	) &
	pids="$pids $!"
	lane=$((lane + 1))
done
wait
pids=""
for h in $harnesses; do
	cat "$work/$h.out" 2>/dev/null || echo "fuzz-$h: no report"
	[ "$(cat "$work/$h.rc" 2>/dev/null)" = 0 ] || status=1
done
exit $status
