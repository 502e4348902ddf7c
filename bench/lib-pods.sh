# SPDX-License-Identifier: Apache-2.0
# lib-pods.sh - sourced by the live benchmarks (root): a host namespace with a bridge, and a
# server and four client namespaces on it, as pods on a node.
#
# pods_setup P NET makes namespaces P-host (the bridge br-P, with veths vP-srv, vP-c1..vP-c4)
# and P-srv, P-c1..P-c4, with addresses NET.1 (the server) to NET.5 on eth0; pods_cleanup P
# kills what runs in them and removes them, and is safe to call when they do not exist.

pods_cleanup() { # prefix
	local ns
	for ns in "$1-host" "$1-srv" "$1-c1" "$1-c2" "$1-c3" "$1-c4"; do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
	done
	for ns in "$1-host" "$1-srv" "$1-c1" "$1-c2" "$1-c3" "$1-c4"; do
		ip netns del "$ns" 2>/dev/null
	done
}

pods_setup() { # prefix net (three octets)
	local p=$1 i=1 ns
	ip netns add "$p-host"
	ip -n "$p-host" link set lo up
	ip -n "$p-host" link add "br-$p" type bridge
	ip -n "$p-host" link set "br-$p" up
	for ns in srv c1 c2 c3 c4; do
		ip netns add "$p-$ns"
		ip link add "v$p-$ns" netns "$p-host" type veth peer name eth0 netns "$p-$ns"
		ip -n "$p-$ns" link set lo up
		ip -n "$p-$ns" addr add "$2.$i/24" dev eth0
		ip -n "$p-$ns" link set eth0 up
		ip -n "$p-host" link set "v$p-$ns" master "br-$p" up
		i=$((i + 1))
	done
}
