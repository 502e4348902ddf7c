#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# badinput.sh - bad usage and bad input: exit status 2, one line on stderr naming the file,
# no crash, and an existing state file left byte for byte as it was.
# Usage: badinput.sh FLOWLOCK DATADIR
set -u
flowlock=$1 data=$2
. "$(dirname "$0")/lib.sh"
sample=$data/../../samples/shop

# A good state to protect.
"$flowlock" learn -q -r "$sample/shop.pcapng" --inventory "$sample/inventory.yaml" --state "$tmp/state.yaml" ||
	{ echo "badinput: cannot build the good state"; exit 1; }
cp "$tmp/state.yaml" "$tmp/state.orig"

# Hand-made bad inputs that need no fixture file.
head -c 4096 /dev/urandom >"$tmp/garbage.bin"
: >"$tmp/empty"
printf 'this is not a capture\n' >"$tmp/text.pcap"
head -c 10000 "$sample/shop.pcapng" >"$tmp/truncated.pcapng"
head -c 30 "$sample/shop.pcapng" >"$tmp/header-only.pcapng"

bad() { # name expected-substring command...
	local name=$1 want=$2
	shift 2
	"$@" >"$tmp/out" 2>"$tmp/err"
	local rc=$? lines
	lines=$(wc -l <"$tmp/err")
	if [ $rc -ne 2 ]; then
		fail=$((fail + 1)); echo "FAIL: $name: exit $rc, expected 2"; cat "$tmp/err"
	elif [ "$lines" -ne 1 ]; then
		fail=$((fail + 1)); echo "FAIL: $name: $lines lines on stderr, expected 1"; cat "$tmp/err"
	elif ! grep -qF -- "$want" "$tmp/err"; then
		fail=$((fail + 1)); echo "FAIL: $name: stderr lacks '$want'"; cat "$tmp/err"
	elif ! cmp -s "$tmp/state.yaml" "$tmp/state.orig"; then
		fail=$((fail + 1)); echo "FAIL: $name: the state file changed"
		cp "$tmp/state.orig" "$tmp/state.yaml"
	elif ls "$tmp"/state.yaml.tmp* >/dev/null 2>&1; then
		fail=$((fail + 1)); echo "FAIL: $name: a temporary file was left behind"
	else
		pass=$((pass + 1))
	fi
}

learn() { "$flowlock" learn -r "$sample/shop.pcapng" --state "$tmp/state.yaml" "$@"; }

# usage
bad "no command" "no command given" "$flowlock"
bad "unknown command" "unknown command" "$flowlock" frobnicate
bad "learn: unknown option" "unknown option or missing argument: --frob" "$flowlock" learn --frob
bad "learn: missing argument" "missing argument: -r" "$flowlock" learn -r
bad "emit: unknown option" "unknown option or missing argument: -x" "$flowlock" emit -x "$tmp/state.yaml"
bad "show: unknown option" "unknown option or missing argument: --bogus" "$flowlock" show --bogus "$tmp/state.yaml"
bad "learn: no state" "--state is required" "$flowlock" learn -r "$sample/shop.pcapng"
bad "learn: no capture" "nothing to learn from" "$flowlock" learn --state "$tmp/state.yaml"
bad "learn: --docker without live" "go with live capture" learn --docker
bad "learn: bad duration" "--duration takes" "$flowlock" learn -i lo --duration 0 --state "$tmp/state.yaml"
bad "learn: bad checkpoint" "--checkpoint takes" "$flowlock" learn -i lo --checkpoint x --state "$tmp/state.yaml"
bad "learn: bad prefix" "--external-prefix" learn --external-prefix 33
bad "learn: bad prefix6" "--external-prefix6" learn --external-prefix6 x
bad "emit: bad format" "--format" "$flowlock" emit --format yaml "$tmp/state.yaml"
bad "emit: no format" "--format is required" "$flowlock" emit "$tmp/state.yaml"
bad "emit: two states" "exactly one" "$flowlock" emit --format k8s "$tmp/state.yaml" "$tmp/state.yaml"
bad "emit: nftables without addresses" "needs current addresses" "$flowlock" emit --format nftables "$tmp/state.yaml"
bad "emit: bad mode" "--mode is enforce or audit" "$flowlock" emit --format nftables --mode loud "$tmp/state.yaml"
bad "emit: mode without nftables" "go with --format nftables" "$flowlock" emit --format k8s --mode audit "$tmp/state.yaml"
printf 'table ip filter {\n}\n' >"$tmp/foreign.nft"
bad "apply: a foreign table" "outside flowlock's own table" "$flowlock" apply --dry-run "$tmp/foreign.nft"
printf 'table inet flowlock\ndelete table ip nat\n' >"$tmp/sneaky.nft"
bad "apply: deleting a foreign table" "outside flowlock's own table" "$flowlock" apply --dry-run "$tmp/sneaky.nft"
printf 'table inet flowlock {\n}\nflush ruleset\n' >"$tmp/flush.nft"
bad "apply: flush ruleset" "outside flowlock's own table" "$flowlock" apply --dry-run "$tmp/flush.nft"
printf 'table inet flowlock {\n  chain c { comment "}"; }\n}\ninclude "/etc/x"\n' >"$tmp/include.nft"
bad "apply: include after a quoted brace" "outside flowlock's own table" "$flowlock" apply --dry-run "$tmp/include.nft"
bad "apply: not a ruleset" "refusing to load it" "$flowlock" apply --dry-run "$tmp/garbage.bin"
printf "# only a comment\n" >"$tmp/comment.nft"
bad "apply: no table at all" "not a flowlock ruleset" "$flowlock" apply --dry-run "$tmp/comment.nft"
bad "apply: missing" "$tmp/nope.nft" "$flowlock" apply "$tmp/nope.nft"
bad "show: no state" "exactly one" "$flowlock" show

# captures
bad "capture: missing" "$tmp/nope.pcap" "$flowlock" learn -r "$tmp/nope.pcap" --state "$tmp/state.yaml"
bad "capture: garbage" "$tmp/garbage.bin" "$flowlock" learn -r "$tmp/garbage.bin" --state "$tmp/state.yaml"
bad "capture: empty" "$tmp/empty" "$flowlock" learn -r "$tmp/empty" --state "$tmp/state.yaml"
bad "capture: text" "$tmp/text.pcap" "$flowlock" learn -r "$tmp/text.pcap" --state "$tmp/state.yaml"
bad "capture: truncated" "$tmp/truncated.pcapng" "$flowlock" learn -r "$tmp/truncated.pcapng" --state "$tmp/state.yaml"
bad "capture: header only" "$tmp/header-only.pcapng" "$flowlock" learn -r "$tmp/header-only.pcapng" --state "$tmp/state.yaml"
bad "capture: good then bad" "$tmp/garbage.bin" learn -r "$tmp/garbage.bin"

# inventories and states: every file under tests/data/bad/ must be refused, with its name
for f in "$data"/bad/inventory-*; do
	[ -e "$f" ] && bad "inventory: $(basename "$f")" "$f" learn --inventory "$f"
done
bad "inventory: missing" "$tmp/nope.yaml" learn --inventory "$tmp/nope.yaml"
bad "inventory: garbage" "$tmp/garbage.bin" learn --inventory "$tmp/garbage.bin"
bad "inventory: empty" "$tmp/empty" learn --inventory "$tmp/empty"
# and states whose edges the loader reads into the graph early, then must read again to fail
# as it would have (a duplicate, a fault after it, an undefined workload after an early edge)
for f in "$data"/bad/state-* "$data"/state/bad-edge-duplicate-early.yaml \
	"$data"/state/bad-edge-duplicate-then-key.yaml "$data"/state/bad-edge-undefined-early.yaml; do
	[ -e "$f" ] || continue
	cp "$f" "$tmp/bad-state.yaml"
	bad "state (show): $(basename "$f")" "bad-state.yaml" "$flowlock" show "$tmp/bad-state.yaml"
	bad "state (emit): $(basename "$f")" "bad-state.yaml" "$flowlock" emit --format k8s "$tmp/bad-state.yaml"
	bad "state (learn): $(basename "$f")" "bad-state.yaml" \
		"$flowlock" learn -r "$sample/shop.pcapng" --state "$tmp/bad-state.yaml"
	cmp -s "$f" "$tmp/bad-state.yaml" || { fail=$((fail + 1)); echo "FAIL: learn changed bad state $f"; }
done
bad "state: garbage" "$tmp/garbage.bin" "$flowlock" show "$tmp/garbage.bin"
bad "state: empty" "$tmp/empty" "$flowlock" emit --format json "$tmp/empty"
bad "state: missing" "$tmp/nope.yaml" "$flowlock" show "$tmp/nope.yaml"

# files that are something else than the inventory asked for: each says what it is
gzip -c "$sample/inventory.yaml" >"$tmp/inventory.yaml.gz"
bad "inventory: gzipped" "$tmp/inventory.yaml.gz: gzip-compressed: decompress it first" \
	learn --inventory "$tmp/inventory.yaml.gz"
printf '{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "a"}}\n{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "b"}}\n' >"$tmp/watch.json"
bad "inventory: kubectl get -w output" \
	"$tmp/watch.json: JSON values one after another (kubectl get -w?)" learn --inventory "$tmp/watch.json"
sed '/^kind: List/,$d' "$sample/inventory.yaml" >"$tmp/cut.yaml"
bad "inventory: a kubectl list cut short" \
	"without its closing \"kind: List\": was the file cut short?" learn --inventory "$tmp/cut.yaml"
printf '[{"Id": "sha256:0a1b", "RepoTags": ["busybox:latest"], "RootFS": {"Type": "layers"}, "Config": {"Cmd": ["sh"]}}]\n' >"$tmp/image.json"
bad "inventory: docker image inspect" "docker image inspect output (images, not containers)" \
	learn --inventory "$tmp/image.json"
bad "inventory: a bad time" "invalid time \"yesterday\" for startTime on pod shop/x" learn \
	--inventory <(printf 'apiVersion: v1\nkind: Pod\nmetadata: {name: x, namespace: shop}\nstatus: {phase: Running, startTime: yesterday}\n')
bad "inventory: a bad podCIDR" "invalid CIDR \"10.244.1.0\" on node w1" learn \
	--inventory <(printf 'apiVersion: v1\nkind: Node\nmetadata: {name: w1}\nspec: {podCIDRs: [10.244.1.0]}\n')
bad "inventory: a bad owner group" "invalid apiVersion \"Apps/v1\" on pod shop/x" learn \
	--inventory <(printf 'apiVersion: v1\nkind: Pod\nmetadata: {name: x, namespace: shop, ownerReferences: [{apiVersion: Apps/v1, kind: ReplicaSet, name: r}]}\n')
bad "inventory: a bad EndpointSlice address" "invalid IP address \"10.0.0\" on endpointslice shop/s" learn \
	--inventory <(printf 'apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: s, namespace: shop, labels: {kubernetes.io/service-name: web}}\naddressType: IPv4\nendpoints: [{addresses: [10.0.0]}]\n')
bad "learn: a bad --pod-cidr" "--pod-cidr and --service-cidr take ADDRESS/PREFIX" learn --pod-cidr 10.244.0.0
bad "learn: a bad --service-cidr" "--pod-cidr and --service-cidr take ADDRESS/PREFIX" learn --service-cidr x/12

# standard input: "-" for a capture or an inventory, once
out=$("$flowlock" learn -q -r - --inventory "$sample/inventory.yaml" --state "$tmp/stdin.yaml" \
	<"$sample/shop.pcapng" 2>&1)
expect "learn -r - reads the capture from standard input ($out)" \
	[ "$("$flowlock" show "$tmp/stdin.yaml")" = "$("$flowlock" show "$tmp/state.yaml")" ]
out=$("$flowlock" learn -q -r "$sample/shop.pcapng" --inventory - --state "$tmp/stdin2.yaml" \
	<"$sample/inventory.yaml" 2>&1)
expect "learn --inventory - reads the inventory from standard input ($out)" \
	cmp -s "$tmp/stdin2.yaml" "$tmp/stdin.yaml"
bad "learn: standard input twice" "standard input (-) can be read once" \
	"$flowlock" learn -r - --inventory - --state "$tmp/state.yaml"
bad "learn: a bad capture on standard input" "standard input: not a pcap or pcapng capture" \
	"$flowlock" learn -r - --state "$tmp/state.yaml" <"$tmp/garbage.bin"
bad "learn: a bad inventory on standard input" "standard input:1:1:" \
	"$flowlock" learn -r "$sample/shop.pcapng" --inventory - --state "$tmp/state.yaml" <"$tmp/text.pcap"

# an emit with nothing to write says why
"$flowlock" learn -q -r "$sample/shop.pcapng" --state "$tmp/no-names.yaml"
bad "emit k8s: no Kubernetes workload" "no Kubernetes workload in the state" \
	"$flowlock" emit --format k8s "$tmp/no-names.yaml"
bad "emit k8s: nothing in scope" "no policy to write: none of the 7 Kubernetes workloads" \
	"$flowlock" emit -q --format k8s --namespace nowhere "$tmp/state.yaml"
bad "emit k8s: --namespace with another format" "go with --format k8s" \
	"$flowlock" emit --format json --namespace shop "$tmp/state.yaml"
printf '[{"Id": "c1", "Name": "/web", "State": {"Running": true}, "NetworkSettings": {"Networks": {"b": {"IPAddress": "172.20.0.9"}}}}]\n' >"$tmp/docker.json"
bad "emit nftables: no container in the state" "no Docker container in the state" \
	"$flowlock" emit --format nftables --inventory "$tmp/docker.json" "$tmp/state.yaml"
bad "emit -o - and nothing to write" "no Kubernetes workload" \
	"$flowlock" emit --format k8s -o - "$tmp/no-names.yaml"
bad "show: --stale without --coverage" "go with --coverage" "$flowlock" show --stale 3 "$tmp/state.yaml"
bad "show: a bad --stale" "--stale takes whole days" "$flowlock" show --coverage --stale 0 "$tmp/state.yaml"
bad "show: --format markdown" "--format is text or json" "$flowlock" show --coverage --format markdown "$tmp/state.yaml"

# emit -o into a directory that does not exist: error, nothing written
bad "emit: unwritable output" "$tmp/no/such/dir/out.yaml" \
	"$flowlock" emit --format k8s -o "$tmp/no/such/dir/out.yaml" "$tmp/state.yaml"

# standard output on a full disk: one line saying so, exit 2
to_full() { "$@" >/dev/full; }
"$flowlock" emit --format k8s -o "$tmp/policies.yaml" "$tmp/state.yaml" 2>/dev/null
bad "show: stdout full" "No space left on device" to_full "$flowlock" show "$tmp/state.yaml"
bad "show --coverage: stdout full" "standard output: write failed" \
	to_full "$flowlock" show --coverage "$tmp/state.yaml"
bad "verify: stdout full" "standard output: write failed" \
	to_full "$flowlock" verify --namespace '*' --namespace 'kube-*' "$tmp/policies.yaml" "$tmp/state.yaml"
bad "emit -o -: stdout full" "No space left on device" \
	to_full "$flowlock" emit --format json "$tmp/state.yaml"

# A write that fails half way (here a file size limit, EFBIG; on a full disk ENOSPC takes the
# same path; tests/disk.sh fills a real one as root): exit 2, one line naming the file, the old
# file byte for byte as it was, no temporary file left beside it.
limited() { (trap '' XFSZ; ulimit -f 1; "$@"); }
bad "learn: write fails" "$tmp/state.yaml: writing: File too large" limited learn -q
bad "merge -o: write fails" "$tmp/state.yaml: writing: File too large" \
	limited "$flowlock" merge -o "$tmp/state.yaml" "$tmp/state.orig" "$tmp/state.orig"
cp "$tmp/policies.yaml" "$tmp/policies.orig"
for fmt in k8s json dot; do
	bad "emit --format $fmt -o: write fails" "$tmp/policies.yaml: writing: File too large" \
		limited "$flowlock" emit -q --format "$fmt" -o "$tmp/policies.yaml" "$tmp/state.yaml"
	expect "emit --format $fmt -o: the old output is kept" cmp -s "$tmp/policies.yaml" "$tmp/policies.orig"
	expect "emit --format $fmt -o: no temporary file is left" \
		sh -c "! ls '$tmp'/policies.yaml.tmp* >/dev/null 2>&1"
done

finish badinput
