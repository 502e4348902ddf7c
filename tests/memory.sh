#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# memory.sh - memory follows what is kept, never the bytes read: a kubectl list four times as
# long, of the same workloads, costs learn only its pods' records, and never its file's size;
# and a flood of SYNs from forged sources costs the flow table's cap, not a peer per source.
# Usage: memory.sh FLOWLOCK BENCH-GEN
set -u
flowlock=$1
bench_gen=$2
. "$(dirname "$0")/lib.sh"
require memory python3
[ -x /usr/bin/time ] || { echo "memory: /usr/bin/time (Debian's time) missing: skipped"; exit 77; }

# A `kubectl get pods -A -o json` list of PODS pods of 400 Deployments in 20 namespaces, on 50
# nodes, each with the managedFields, annotations and statuses a real dump carries (7 KiB a pod).
gen() { # pods file
	python3 - "$1" "$2" <<'EOF'
import json, sys
pods, path = int(sys.argv[1]), sys.argv[2]
fields = {"f:metadata": {"f:labels": {".": {}, "f:app": {}, "f:pod-template-hash": {}},
                         "f:ownerReferences": {".": {}, 'k:{"uid":"x"}': {}}},
          "f:spec": {"f:containers": {'k:{"name":"app"}': {".": {}, "f:image": {},
                                                           "f:ports": {".": {}}}}}}
items = []
for i in range(pods):
    d = i % 400
    ns, dep = "ns%d" % (d % 20), "dep%d" % d
    ip = "10.%d.%d.%d" % (64 + i // 65536, i // 256 % 256, i % 256)
    items.append({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {
            "name": "%s-6d4cf56db6-%05d" % (dep, i), "namespace": ns,
            "uid": "00000000-0000-4000-8000-%012d" % i,
            "labels": {"app": dep, "pod-template-hash": "6d4cf56db6"},
            "annotations": {"kubectl.kubernetes.io/restartedAt": "2026-12-01T00:00:00Z",
                            "note": "x" * 200},
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet",
                                 "name": dep + "-6d4cf56db6", "uid": "x", "controller": True}],
            "managedFields": [{"manager": m, "operation": "Update", "apiVersion": "v1",
                               "time": "2026-12-01T00:00:00Z", "fieldsType": "FieldsV1",
                               "fieldsV1": fields} for m in ("kube-controller-manager",
                                                             "kubelet", "kubectl")]},
        "spec": {"nodeName": "node-%d" % (i % 50),
                 "containers": [{"name": "app", "image": "registry.example/app:1",
                                 "ports": [{"name": "http", "containerPort": 8080,
                                            "protocol": "TCP"}]}]},
        "status": {"phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}],
                   "hostIP": "172.18.%d.%d" % (i % 50 // 250, i % 50 + 2),
                   "startTime": "2026-12-01T00:00:00Z",
                   "conditions": [{"type": t, "status": "True",
                                   "lastTransitionTime": "2026-12-01T00:00:00Z"}
                                  for t in ("Initialized", "Ready", "ContainersReady",
                                            "PodScheduled")],
                   "containerStatuses": [{"name": "app", "ready": True, "restartCount": 0,
                                          "image": "registry.example/app:1",
                                          "state": {"running": {
                                              "startedAt": "2026-12-01T00:00:00Z"}}}]}})
with open(path, "w") as f:
    json.dump({"apiVersion": "v1", "items": items, "kind": "List",
               "metadata": {"resourceVersion": ""}}, f, indent=4)
EOF
}

printf '\xd4\xc3\xb2\xa1\x02\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\xff\xff\x00\x00\x01\x00\x00\x00' >"$tmp/empty.pcap"

# learn reading a list of PODS pods: its peak resident memory (KiB) into rss_PODS
peak() { # pods
	local rc
	gen "$1" "$tmp/pods-$1.json"
	rm -f "$tmp/state.yaml"
	/usr/bin/time -o "$tmp/rss" -f %M "$flowlock" learn -r "$tmp/empty.pcap" \
		-I "$tmp/pods-$1.json" --state "$tmp/state.yaml" 2>"$tmp/err"
	rc=$?
	expect "learn reads $1 pods" [ "$rc" -eq 0 ]
	# 400 Deployments and the 50 nodes their pods run on
	expect "all 450 workloads of $1 pods" grep -q "among 450 workloads" "$tmp/err"
	printf -v "rss_$1" %s "$(tail -n 1 "$tmp/rss")"
}

peak 3000
peak 12000
bytes=$(stat -c %s "$tmp/pods-12000.json")
echo "memory: 3,000 pods: $rss_3000 KiB; 12,000 pods ($((bytes >> 20)) MiB of JSON): $rss_12000 KiB"
# four times the bytes, the same workloads: what grows is the pods kept (their addresses and
# times, under a KiB each), never the 7 KiB of text each pod takes in the file
expect "9,000 more pods cost at most 2 KiB each" [ "$rss_12000" -le $((rss_3000 + 18000)) ]
expect "12,000 pods read in less memory than a quarter of their bytes" \
	[ "$rss_12000" -le $((bytes / 4096)) ]

# standard input and a pipe are read as they come too, never held whole
rm -f "$tmp/state.yaml"
/usr/bin/time -o "$tmp/rss" -f %M "$flowlock" learn -r "$tmp/empty.pcap" -I - \
	--state "$tmp/state.yaml" <"$tmp/pods-12000.json" 2>"$tmp/err"
expect "learn reads 12,000 pods from standard input" grep -q "among 450 workloads" "$tmp/err"
stdin=$(tail -n 1 "$tmp/rss")
rm -f "$tmp/state.yaml"
/usr/bin/time -o "$tmp/rss" -f %M "$flowlock" learn -r "$tmp/empty.pcap" \
	-I <(cat "$tmp/pods-12000.json") --state "$tmp/state.yaml" 2>"$tmp/err"
expect "learn reads 12,000 pods from a pipe" grep -q "among 450 workloads" "$tmp/err"
pipe=$(tail -n 1 "$tmp/rss")
echo "memory: the same from standard input: $stdin KiB; from a pipe: $pipe KiB"
expect "standard input costs what the file does" [ "$stdin" -le $((rss_12000 + 2048)) ]
expect "a pipe costs what the file does" [ "$pipe" -le $((rss_12000 + 2048)) ]

# SYNs from random forged sources, nothing answering: each source is an outside peer of its own.
# With the flow table held small, three times the sources must cost no more. Both runs are long
# enough to fill the reader's ring (262,144 packets), which is resident as it is reached.
flood() { # syns
	rm -f "$tmp/flood.yaml"
	"$bench_gen" --syn-flood - "$1" 4 2>/dev/null |
		/usr/bin/time -o "$tmp/rss" -f %M "$flowlock" learn -q -r - --max-flows 4096 \
			--state "$tmp/flood.yaml" 2>"$tmp/err"
	expect "learn reads a flood of $1 SYNs ($(head -c 200 "$tmp/err"))" \
		grep -q "^  flows: $1\$" "$tmp/flood.yaml"
	printf -v "flood_$1" %s "$(tail -n 1 "$tmp/rss")"
}
flood 300000
flood 900000
echo "memory: a flood of 300,000 forged SYNs: $flood_300000 KiB; of 900,000: $flood_900000 KiB"
expect "600,000 more forged sources cost at most 8 MiB" \
	[ "$flood_900000" -le $((flood_300000 + 8192)) ]
finish memory
