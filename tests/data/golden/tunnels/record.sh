#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# record.sh - records the tunnel captures of this golden case from real traffic between two
# network namespaces, one capture per tunnel, taken on the underlay as on a node's uplink.
#
# Each tunnel gets a fresh pair of namespaces, fltun-a and fltun-b (the nodes), joined by a veth
# underlay (192.168.77.1 and .2, fd77::1 and ::2). The tunnel device in each carries the "pod"
# addresses: 10.244.1.10 and fd00:244::1:10 (web, on node-a), 10.244.2.20 and fd00:244::2:20
# (db, on node-b). web opens a TCP connection to db:8080, exchanges UDP on 5353 and probes UDP
# 9999, which is closed (the ICMP port unreachable comes back through the tunnel), over IPv4 and
# IPv6. Traffic goes only between these namespaces.
#
# VXLAN is the kernel's (dstport 4789, flannel's 8472, and 4789 over the IPv6 underlay). This
# kernel has no geneve, ipip, sit or ip_gre: for those, tunnel.py relays a TUN or TAP device over
# the underlay, writing the tunnel header itself (see there). Needs root, iproute2, tcpdump,
# python3. Usage: sudo tests/data/golden/tunnels/record.sh [KIND...]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
kinds=("$@")
[ ${#kinds[@]} -gt 0 ] || kinds=(vxlan vxlan-8472 vxlan6 geneve gre gretap ipip)
A="ip netns exec fltun-a"
B="ip netns exec fltun-b"

cleanup() {
	set +e
	for ns in fltun-a fltun-b; do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null
	done
	sleep 0.3
	ip netns del fltun-a 2>/dev/null
	ip netns del fltun-b 2>/dev/null
}
trap cleanup EXIT

record() {
	local kind=$1 out=$here/$1.pcap
	cleanup
	set -e
	ip netns add fltun-a
	ip netns add fltun-b
	ip link add fltun-u0 netns fltun-a type veth peer name fltun-u1 netns fltun-b
	$A ip link set lo up
	$B ip link set lo up
	$A ip addr add 192.168.77.1/24 dev fltun-u0
	$B ip addr add 192.168.77.2/24 dev fltun-u1
	$A ip addr add fd77::1/64 dev fltun-u0 nodad
	$B ip addr add fd77::2/64 dev fltun-u1 nodad
	$A ip link set fltun-u0 up
	$B ip link set fltun-u1 up

	case $kind in
	vxlan | vxlan-8472 | vxlan6)
		local port=4789 la=192.168.77.1 lb=192.168.77.2
		[ "$kind" = vxlan-8472 ] && port=8472
		[ "$kind" = vxlan6 ] && la=fd77::1 lb=fd77::2
		$A ip link add fltun0 type vxlan id 42 dstport $port local $la remote $lb dev fltun-u0
		$B ip link add fltun0 type vxlan id 42 dstport $port local $lb remote $la dev fltun-u1
		;;
	*)
		$A python3 "$here/tunnel.py" endpoint "$kind" fltun0 192.168.77.1 192.168.77.2 &
		$B python3 "$here/tunnel.py" endpoint "$kind" fltun0 192.168.77.2 192.168.77.1 &
		for _ in $(seq 50); do
			$A ip link show fltun0 >/dev/null 2>&1 && $B ip link show fltun0 >/dev/null 2>&1 && break
			sleep 0.1
		done
		;;
	esac
	$A ip link set fltun0 mtu 1400
	$B ip link set fltun0 mtu 1400
	$A ip addr add 10.244.1.10/16 dev fltun0
	$B ip addr add 10.244.2.20/16 dev fltun0
	$A ip addr add fd00:244::1:10/64 dev fltun0 nodad
	$B ip addr add fd00:244::2:20/64 dev fltun0 nodad
	$A ip link set fltun0 up
	$B ip link set fltun0 up

	$B python3 "$here/tunnel.py" server &
	sleep 1
	$A tcpdump -q -n -i fltun-u0 -s 256 --time-stamp-precision=nano -w "$out.tmp" >/dev/null 2>&1 &
	local td=$!
	sleep 1.5
	$A python3 "$here/tunnel.py" client 10.244.2.20
	$A python3 "$here/tunnel.py" client fd00:244::2:20
	sleep 1
	kill -INT $td
	wait $td || true
	mv "$out.tmp" "$out"
	echo "wrote $out ($(tcpdump -r "$out" 2>/dev/null | wc -l) packets)"
}

for k in "${kinds[@]}"; do
	record "$k"
done
