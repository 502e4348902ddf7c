#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# live.sh - the live agent on a small host made of network namespaces (root only).
#
#   fll-web 10.79.0.1 --+                 +-- fll-backend 10.80.0.2 (routed, behind DNAT:
#   fll-api 10.79.0.2 --+-- br-fll  in    |   Service 10.79.9.9:80 -> 10.80.0.2:8080)
#   fll-db  10.79.0.3 --+   fll-host -----+
#   fll-late 10.79.0.4 -+  (created after the agent started)
#
# The agent runs in fll-host on br-fll and the vfl-* veths, with conntrack off and on, and
# must learn exactly the edges driven here. Traffic goes only between these namespaces.
# Usage: live.sh FLOWLOCK SRCROOT
set -u
flowlock=$1
root=$2
[ "$(id -u)" = 0 ] || { echo "live: not root, skipped"; exit 77; }
ip netns add fll-probe 2>/dev/null && ip netns del fll-probe || { echo "live: no netns, skipped"; exit 77; }
command -v busybox >/dev/null || { echo "live: busybox missing"; exit 1; }
py=$(command -v /usr/bin/python3 || command -v python3)

. "$(dirname "$0")/lib.sh"
chmod 755 "$tmp"
NS="fll-host fll-web fll-api fll-db fll-backend fll-late fll-late2"

cleanup() { netns_cleanup $NS; }
trap 'cleanup; rm -rf "$tmp"' EXIT

inns() { local ns=$1; shift; ip netns exec "fll-$ns" "$@"; }

pod() { # name address: a pod on the bridge
	ip netns add "fll-$1"
	ip link add "vfl-$1" netns fll-host type veth peer name eth0 netns "fll-$1"
	ip -n "fll-$1" link set lo up
	ip -n "fll-$1" addr add "$2/24" dev eth0
	ip -n "fll-$1" link set eth0 up
	ip -n "fll-$1" route add 10.79.9.0/24 via 10.79.0.254
	ip -n "fll-$1" route add 10.80.0.0/24 via 10.79.0.254
	ip -n "fll-$1" route add 10.79.2.0/24 via 10.79.0.254
	ip -n fll-host link set "vfl-$1" master br-fll up
}

late_bridge() { # a second bridge, created while the agent runs, with one pod on it
	ip -n fll-host link add br-fll2 type bridge
	ip -n fll-host addr add 10.79.2.254/24 dev br-fll2
	ip -n fll-host link set br-fll2 up
	ip netns add fll-late2
	ip link add vfl-late2 netns fll-host type veth peer name eth0 netns fll-late2
	ip -n fll-late2 link set lo up
	ip -n fll-late2 addr add 10.79.2.1/24 dev eth0
	ip -n fll-late2 link set eth0 up
	ip -n fll-late2 route add default via 10.79.2.254
	ip -n fll-host link set vfl-late2 master br-fll2 up
}

topology() {
	cleanup
	ip netns add fll-host
	ip -n fll-host link set lo up
	ip netns exec fll-host sysctl -qw net.ipv4.ip_forward=1
	ip -n fll-host link add br-fll type bridge
	ip -n fll-host addr add 10.79.0.254/24 dev br-fll
	ip -n fll-host link set br-fll up
	pod web 10.79.0.1
	pod api 10.79.0.2
	pod db 10.79.0.3
	# the backend is routed, not bridged, so its replies pass the host's conntrack
	ip netns add fll-backend
	ip link add vfl-backend netns fll-host type veth peer name eth0 netns fll-backend
	ip -n fll-backend link set lo up
	ip -n fll-backend addr add 10.80.0.2/24 dev eth0
	ip -n fll-backend link set eth0 up
	ip -n fll-backend route add default via 10.80.0.1
	ip -n fll-host addr add 10.80.0.1/24 dev vfl-backend
	ip -n fll-host link set vfl-backend up
	ip netns exec fll-host nft -f - <<-'EOF'
	table ip fll {
		chain pre {
			type nat hook prerouting priority dstnat; policy accept;
			ip daddr 10.79.9.9 tcp dport 80 dnat to 10.80.0.2:8080
		}
	}
	EOF
	# conntrack sees bridged traffic only through br_netfilter; on where the kernel has it
	if [ -e /proc/sys/net/bridge/bridge-nf-call-iptables ]; then
		ip netns exec fll-host sysctl -qw net.bridge.bridge-nf-call-iptables=1 2>/dev/null
	fi
	# servers: TCP that accepts and closes (busybox), UDP echo (python)
	inns api busybox nc -ll -p 8080 -e /bin/true >/dev/null 2>&1 &
	inns db busybox nc -ll -p 5432 -e /bin/true >/dev/null 2>&1 &
	inns backend busybox nc -ll -p 8080 -e /bin/true >/dev/null 2>&1 &
	inns db "$py" -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.79.0.3", 5353))
while True:
    d, a = s.recvfrom(512)
    s.sendto(d, a)' >/dev/null 2>&1 &
	sleep 0.5
}

# The inventory: kubectl output for these pods, and a Service in front of the backend.
cat >"$tmp/inventory.yaml" <<'EOF'
apiVersion: v1
kind: List
items:
- {apiVersion: v1, kind: Namespace, metadata: {name: t, labels: {kubernetes.io/metadata.name: t}}}
- {apiVersion: v1, kind: Pod, metadata: {name: web, namespace: t, labels: {app: web}}, status: {phase: Running, podIP: 10.79.0.1}}
- {apiVersion: v1, kind: Pod, metadata: {name: api, namespace: t, labels: {app: api}}, status: {phase: Running, podIP: 10.79.0.2}}
- {apiVersion: v1, kind: Pod, metadata: {name: db, namespace: t, labels: {app: db}}, status: {phase: Running, podIP: 10.79.0.3}}
- {apiVersion: v1, kind: Pod, metadata: {name: late, namespace: t, labels: {app: late}}, status: {phase: Running, podIP: 10.79.0.4}}
- {apiVersion: v1, kind: Pod, metadata: {name: late2, namespace: t, labels: {app: late2}}, status: {phase: Running, podIP: 10.79.2.1}}
- apiVersion: v1
  kind: Pod
  metadata: {name: backend, namespace: t, labels: {app: backend}}
  spec: {containers: [{name: b, ports: [{name: http, containerPort: 8080}]}]}
  status: {phase: Running, podIP: 10.80.0.2}
- apiVersion: v1
  kind: Service
  metadata: {name: backend, namespace: t}
  spec: {clusterIP: 10.79.9.9, selector: {app: backend}, ports: [{port: 80, targetPort: http}]}
EOF

tcp() { # from to-addr port
	echo "hello from $1" | inns "$1" busybox nc -w 2 "$2" "$3" >/dev/null 2>&1 ||
		echo "live: tcp $1 -> $2:$3 failed"
}
udp() { # from to-addr port
	inns "$1" "$py" -c "
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
s.sendto(b'q', ('$2', $3))
s.recvfrom(512)" || echo "live: udp $1 -> $2:$3 failed"
}

drive() { # inventory-file
	for _ in 1 2 3; do
		tcp web 10.79.0.2 8080
		tcp api 10.79.0.3 5432
		udp web 10.79.0.3 5353
		tcp web 10.79.9.9 80
	done
	# a pod whose interface appears while the agent runs, and the inventory file learns of it:
	# the agent notices the file changed and re-reads it
	cp "$tmp/inventory.yaml" "$1.new" && mv "$1.new" "$1"
	pod late 10.79.0.4
	late_bridge
	sleep 1.5 # the agent attaches on the link notification; give it time to see the link up
	tcp late 10.79.0.2 8080
	tcp late 10.79.0.2 8080
	tcp late2 10.79.0.2 8080
}

EXPECTED="k8s:t/pod/api k8s:t/pod/db TCP 5432
k8s:t/pod/late k8s:t/pod/api TCP 8080
k8s:t/pod/late2 k8s:t/pod/api TCP 8080
k8s:t/pod/web k8s:t/pod/api TCP 8080
k8s:t/pod/web k8s:t/pod/backend TCP 8080
k8s:t/pod/web k8s:t/pod/db UDP 5353"

run_agent() { # name extra-args...
	local name=$1
	shift
	topology
	local state=$tmp/$name.yaml inv=$tmp/$name-inventory.yaml
	grep -v 'name: late' "$tmp/inventory.yaml" >"$inv"
	# br-fll* also matches the bridge created later
	ip netns exec fll-host "$flowlock" learn -i 'br-fll*' -i 'vfl-*' --inventory "$inv" \
		--state "$state" --checkpoint 2 "$@" 2>"$tmp/$name.err" &
	local agent=$!
	sleep 1.5
	drive "$inv"
	kill -HUP "$agent"
	sleep 0.5
	sleep 1
	stop_agent "$name" "$agent" "$tmp/$name.err"
	same_text "$name: learned edges differ from the driven ones" "$EXPECTED" "$(learned_edges "$state")"
	# each connection is one flow, however many interfaces and conntrack saw it: 3 rounds, 3
	local conns
	conns=$("$flowlock" emit --format json "$state" | "$py" -c '
import json, sys
print(sum(e["connections"] for e in json.load(sys.stdin)["edges"]
          if e["client"] == "k8s:t/pod/web" and e["server"] == "k8s:t/pod/api"))')
	expect "$name: web -> api counted once per connection (got $conns, want 3)" [ "$conns" = 3 ]
	expect "$name: drops are counted (none here)" grep -q '^  pcap-drops: 0$' "$state"
	# br-fll, vfl-web, -api, -db, -backend at the start; vfl-late, br-fll2, vfl-late2 later
	expect "$name: the interfaces created later were attached ($(grep interfaces-seen "$state"))" \
		grep -q '^  interfaces-seen: 8$' "$state"
	# once for the changed file, once for SIGHUP
	expect "$name: the inventory was re-read on change and on SIGHUP" \
		[ "$(grep -c 'inventory re-read' "$tmp/$name.err")" -ge 2 ]
	# the window is the agent's run, and every Running pod of the inventory was seen running
	"$flowlock" show --coverage --format json "$state" | "$py" -c '
import json, sys
c = json.load(sys.stdin)
assert c["window"]["spans"] == 1 and c["window"]["watched_seconds"] >= 4, c["window"]
assert c["never_seen_running"] == [], c["never_seen_running"]
assert c["workloads"]["Pod"]["seen_running"] == 6, c["workloads"]' 2>"$tmp/$name.cov"
	local rc=$?
	expect "$name: the run is the window, and every pod ran ($(tail -n 1 "$tmp/$name.cov"))" \
		[ $rc -eq 0 ]
}

run_agent pcap
run_agent conntrack --conntrack
expect "conntrack: events were read" \
	sh -c "grep 'conntrack-events:' '$tmp/conntrack.yaml' | grep -qv ': 0$'"

# Port 0: a SYN and a datagram to db's port 0 (raw sockets: no socket API sends to it) are
# counted and skipped. The checkpoints after them still save, and with them what came later.
zero() { # from to-addr: a TCP SYN and a UDP datagram to port 0
	inns "$1" "$py" -c "
import socket, struct
def csum(d):
    d += b'\\0' * (len(d) % 2)
    s = sum(struct.unpack('!%dH' % (len(d) // 2), d))
    s = (s & 0xffff) + (s >> 16)
    return ~((s & 0xffff) + (s >> 16)) & 0xffff
src, dst = socket.inet_aton('$(inns "$1" ip -4 -o addr show eth0 | awk '{print $4}' | cut -d/ -f1)'), socket.inet_aton('$2')
tcp = struct.pack('!HHIIBBHHH', 40000, 0, 1, 0, 0x50, 0x02, 64240, 0, 0)
tcp = tcp[:16] + struct.pack('!H', csum(src + dst + struct.pack('!BBH', 0, 6, 20) + tcp)) + tcp[18:]
udp = struct.pack('!HHHH', 40001, 0, 13, 0) + b'zero?'
udp = udp[:6] + struct.pack('!H', csum(src + dst + struct.pack('!BBH', 0, 17, 13) + udp)) + udp[8:]
for proto, seg in ((6, tcp), (17, udp)):
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, proto)
    s.sendto(seg, ('$2', 0))
    s.close()"
}
for mode in pcap conntrack; do
	topology
	extra=()
	[ $mode = conntrack ] && extra=(--conntrack)
	ip netns exec fll-host "$flowlock" learn -i br-fll -i 'vfl-*' "${extra[@]}" --inventory "$tmp/inventory.yaml" \
		--state "$tmp/zero-$mode.yaml" --checkpoint 1 2>"$tmp/zero-$mode.err" &
	agent=$!
	sleep 1.5
	tcp web 10.79.0.2 8080
	zero web 10.79.0.3
	zero api 10.79.0.3
	sleep 2.5
	tcp api 10.79.0.3 5432
	sleep 2.5
	# a checkpoint after the port-0 flows ended saved what came after them
	same_text "port 0 ($mode): the checkpoint holds the edges, none to port 0" \
		"k8s:t/pod/api k8s:t/pod/db TCP 5432
k8s:t/pod/web k8s:t/pod/api TCP 8080" "$(learned_edges "$tmp/zero-$mode.yaml")"
	stop_agent "port 0 ($mode)" "$agent" "$tmp/zero-$mode.err"
	expect "port 0 ($mode): no save failed ($(grep -m1 'cannot save' "$tmp/zero-$mode.err"))" \
		[ -z "$(grep 'cannot save' "$tmp/zero-$mode.err")" ]
	expect "port 0 ($mode): counted ($(grep flows-port-zero "$tmp/zero-$mode.yaml"))" \
		grep -q '^  flows-port-zero: [2-9]' "$tmp/zero-$mode.yaml"
done

# a -i pattern that matches no interface at start says so, and the agent runs on
topology
ip netns exec fll-host "$flowlock" learn -i 'fll-nothing*' -i br-fll --duration 1 \
	--state "$tmp/nomatch.yaml" 2>"$tmp/nomatch.err"
rc=$?
expect "-i matching nothing: the agent exits 0 (rc $rc)" [ $rc -eq 0 ]
expect "-i matching nothing: said once ($(head -c 300 "$tmp/nomatch.err"))" \
	[ "$(grep -c "no interface matches -i fll-nothing\* now" "$tmp/nomatch.err")" -eq 1 ]
expect "-i matching something: not said" [ -z "$(grep 'matches -i br-fll ' "$tmp/nomatch.err")" ]

# kill -9 in the middle of checkpoints leaves a complete state, never half of one
topology
ip netns exec fll-host "$flowlock" learn -q -i br-fll -i 'vfl-*' --state "$tmp/killed.yaml" --checkpoint 1 &
agent=$!
for _ in 1 2 3 4 5 6; do tcp web 10.79.0.2 8080; sleep 0.5; done
kill -9 "$agent"
wait "$agent" 2>/dev/null
expect "kill -9: the state still loads" "$flowlock" show "$tmp/killed.yaml" >/dev/null
expect "kill -9: the state is one whole document" \
	sh -c "'$flowlock' emit --format json '$tmp/killed.yaml' | grep -q '\"edges\"'"

# --user: after opening everything the agent runs unprivileged with two capabilities
topology
mkdir -m 1777 "$tmp/u"
ip netns exec fll-host "$flowlock" learn -q -i br-fll -i 'vfl-*' --state "$tmp/u/user.yaml" --user nobody \
	--duration 4 2>"$tmp/user.err" &
agent=$!
sleep 2
uid=$(awk '/^Uid:/ {print $2}' /proc/$agent/status 2>/dev/null)
capeff=$(awk '/^CapEff:/ {print $2}' /proc/$agent/status 2>/dev/null)
tcp web 10.79.0.2 8080
wait "$agent"
rc=$?
expect "--user: runs as nobody (uid $uid)" [ "$uid" = "$(id -u nobody)" ]
# CAP_NET_ADMIN (12) and CAP_NET_RAW (13) only: 0x3000
expect "--user: keeps only CAP_NET_RAW and CAP_NET_ADMIN (CapEff $capeff)" [ "$capeff" = 0000000000003000 ]
expect "--user: exits 0 and wrote its state (rc $rc: $(head -c 200 "$tmp/user.err"))" \
	sh -c "[ $rc -eq 0 ] && '$flowlock' show '$tmp/u/user.yaml' | grep -q 'TCP    8080'"

finish live
