#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# nft-ingress.sh - the nftables ruleset on routed traffic: published ports and egress (root only).
#
# Docker publishes a port with a DNAT rule, so the forward hook sees the container's address and
# port; an internal network cannot publish one. This builds that host out of namespaces:
#
#   fli-out1 10.82.1.1 --- vfli-out1 --+  fli-host (10.82.x.254)     +-- fli-web 10.81.0.2
#   fli-out2 10.82.2.1 --- vfli-out2 --+  DNAT :18080 -> web:80 ----- br-fli   listens 80, 81
#                                         DNAT :18081 -> web:81
#
# and an inventory (docker inspect output) naming 10.81.0.2 as the container "web". The agent
# learns out1 -> :18080 and web -> out1:9000; the emitted ruleset, applied in fli-host, must let
# exactly those through (in4 and out4 sets) and block the other published port, the other
# client, and egress to another port or address, while traffic between out1 and out2 (no
# managed container) is left alone. Traffic goes only between these namespaces.
# Usage: nft-ingress.sh FLOWLOCK SRCROOT
set -u
flowlock=$1
[ "$(id -u)" = 0 ] || { echo "nft-ingress: not root, skipped"; exit 77; }
ip netns add fli-probe 2>/dev/null && ip netns del fli-probe || { echo "nft-ingress: no netns, skipped"; exit 77; }
for tool in busybox nft; do
	command -v "$tool" >/dev/null || { echo "nft-ingress: $tool missing"; exit 1; }
done
py=$(command -v /usr/bin/python3 || command -v python3)

. "$(dirname "$0")/lib.sh"
NS="fli-host fli-web fli-out1 fli-out2"

cleanup() {
	for ns in $NS; do ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null; done
	for ns in $NS; do ip netns del "$ns" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT

inns() { local ns=$1; shift; ip netns exec "fli-$ns" "$@"; }

for ns in $NS; do ip netns add "$ns"; ip -n "$ns" link set lo up; done
inns host sysctl -qw net.ipv4.ip_forward=1
ip -n fli-host link add br-fli type bridge
ip -n fli-host addr add 10.81.0.254/24 dev br-fli
ip -n fli-host link set br-fli up
ip link add vfli-web netns fli-host type veth peer name eth0 netns fli-web
ip -n fli-host link set vfli-web master br-fli up
ip -n fli-web addr add 10.81.0.2/24 dev eth0
ip -n fli-web link set eth0 up
ip -n fli-web route add default via 10.81.0.254
for i in 1 2; do
	ip link add "vfli-out$i" netns fli-host type veth peer name eth0 netns "fli-out$i"
	ip -n fli-host addr add "10.82.$i.254/24" dev "vfli-out$i"
	ip -n fli-host link set "vfli-out$i" up
	ip -n "fli-out$i" addr add "10.82.$i.1/24" dev eth0
	ip -n "fli-out$i" link set eth0 up
	ip -n "fli-out$i" route add default via "10.82.$i.254"
done
# what docker run -p 18080:80 -p 18081:81 installs, in a table of the test's own
inns host nft -f - <<'EOF'
table ip fli-nat {
	chain prerouting {
		type nat hook prerouting priority dstnat; policy accept;
		iifname != "br-fli" tcp dport 18080 dnat to 10.81.0.2:80
		iifname != "br-fli" tcp dport 18081 dnat to 10.81.0.2:81
	}
}
EOF
serve() { # namespace port
	inns "$1" busybox nc -ll -p "$2" -e /bin/true >/dev/null 2>&1 &
}
serve web 80
serve web 81
serve out1 9000
serve out1 9001
serve out2 9000
cat >"$tmp/inventory.json" <<'EOF'
[{"Id": "5eb0c0ffee00000000000000000000000000000000000000000000000000feed",
  "Name": "/web",
  "State": {"Running": true},
  "Config": {"Labels": {}},
  "NetworkSettings": {"Ports": {"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "18080"}],
                                "81/tcp": [{"HostIp": "0.0.0.0", "HostPort": "18081"}]},
                      "Networks": {"fli": {"IPAddress": "10.81.0.2", "IPPrefixLen": 24,
                                           "GlobalIPv6Address": ""}}}}]
EOF
sleep 0.5

try() { # namespace address port: "connects" or "blocked"
	if inns "$1" busybox nc -w 2 "$2" "$3" </dev/null >/dev/null 2>&1; then echo connects; else echo blocked; fi
}

# Learn: out1 uses the published port 18080, web calls out1:9000. (ip netns exec, not inns:
# $! must be the agent itself.)
state=$tmp/state.yaml
ip netns exec fli-host "$flowlock" learn -i br-fli -i 'vfli-*' --conntrack --inventory "$tmp/inventory.json" \
	--state "$state" 2>"$tmp/agent.err" &
agent=$!
sleep 2
for _ in 1 2; do
	[ "$(try out1 10.82.1.254 18080)" = connects ] || echo "nft-ingress: learning: out1 -> :18080 failed"
	[ "$(try web 10.82.1.1 9000)" = connects ] || echo "nft-ingress: learning: web -> out1:9000 failed"
done
sleep 1.5
stop_agent learning "$agent" "$tmp/agent.err"
same_text "the learned edges differ from the driven ones" "docker:web external:10.82.1.1/32 TCP 9000
external:10.82.1.1/32 docker:web TCP 80" "$(learned_edges "$state")" "$tmp/agent.err"

# Enforce, applied in the host namespace.
"$flowlock" emit --format nftables --inventory "$tmp/inventory.json" -o "$tmp/rules.nft" "$state"
expect "the ruleset allows out1 to web:80 by the in4 set" \
	grep -q '10.82.1.1 . tcp . 10.81.0.2 . 80 comment "external:10.82.1.1/32 -> docker:web"' "$tmp/rules.nft"
inns host "$flowlock" apply "$tmp/rules.nft" >"$tmp/apply.out" 2>&1
rc=$?
expect "apply loads the ruleset ($(head -c 200 "$tmp/apply.out"))" [ $rc -eq 0 ]

verdicts=$(
	echo "out1 published 18080 $(try out1 10.82.1.254 18080)"
	echo "out1 published 18081 $(try out1 10.82.1.254 18081)"
	echo "out2 published 18080 $(try out2 10.82.2.254 18080)"
	echo "web out1 9000 $(try web 10.82.1.1 9000)"
	echo "web out1 9001 $(try web 10.82.1.1 9001)"
	echo "web out2 9000 $(try web 10.82.2.1 9000)"
	echo "out1 out2 9000 $(try out1 10.82.2.1 9000)"
)
want="out1 published 18080 connects
out1 published 18081 blocked
out2 published 18080 blocked
web out1 9000 connects
web out1 9001 blocked
web out2 9000 blocked
out1 out2 9000 connects"
same_text "the verdicts differ from the learned graph" "$want" "$verdicts"

finish nft-ingress
