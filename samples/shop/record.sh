#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# record.sh - records samples/shop/shop.pcapng from real traffic of a small shop application.
#
# Every pod, the node and the two outside peers are network namespaces this script creates;
# they are wired Calico-style (a veth per pod, /32 routes in a "node" namespace that has no
# other link), and kube-proxy's Service DNAT is done with nftables in the node namespace.
# Traffic goes only between these namespaces. Needs root, iproute2, nftables, tcpdump,
# busybox and python3. Usage: sudo samples/shop/record.sh [OUT.pcapng]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/shop.pcapng}
P=flshop
node=$P-node

# name  address  (pods and outside peers; the node namespace routes between them)
peers=(
	"fe1 10.244.1.10" "fe2 10.244.1.11" "cart 10.244.1.20" "redis 10.244.1.30"
	"catalog 10.244.1.40" "report 10.244.1.50" "pay 10.244.2.10" "dns 10.244.0.5"
	"gw 203.0.113.10" "user 198.51.100.7"
)

cleanup() {
	set +e
	for p in "${peers[@]}"; do ip netns pids "$P-${p%% *}" 2>/dev/null | xargs -r kill 2>/dev/null; done
	ip netns pids "$node" 2>/dev/null | xargs -r kill 2>/dev/null
	sleep 0.3
	for p in "${peers[@]}"; do ip netns del "$P-${p%% *}" 2>/dev/null; done
	ip netns del "$node" 2>/dev/null
}
trap cleanup EXIT
cleanup

inns() { local ns=$1; shift; ip netns exec "$P-$ns" "$@"; }

ip netns add "$node"
ip -n "$node" link set lo up
ip netns exec "$node" sysctl -qw net.ipv4.ip_forward=1
# The node's own address (kubelet probes come from it).
ip -n "$node" addr add 172.18.0.2/32 dev lo

i=0
for p in "${peers[@]}"; do
	name=${p%% *} addr=${p##* }
	ip netns add "$P-$name"
	ip link add "v$i" netns "$node" type veth peer name eth0 netns "$P-$name"
	ip -n "$P-$name" link set lo up
	ip -n "$P-$name" addr add "$addr/32" dev eth0
	ip -n "$P-$name" link set eth0 up
	ip -n "$P-$name" route add 169.254.1.1 dev eth0
	ip -n "$P-$name" route add default via 169.254.1.1 dev eth0
	ip -n "$node" link set "v$i" up
	# the pod's gateway is a link-local address that resolves to the node's end of the veth
	mac=$(ip -n "$node" -br link show "v$i" | awk '{print $3}')
	ip -n "$P-$name" neigh replace 169.254.1.1 lladdr "$mac" dev eth0 nud permanent
	ip -n "$node" route add "$addr/32" dev "v$i"
	i=$((i + 1))
done

# kube-proxy: Service ClusterIP:port -> backend pod:targetPort.
ip netns exec "$node" nft -f - <<'NFT'
table ip kubeproxy {
	chain pre {
		type nat hook prerouting priority dstnat; policy accept;
		ip daddr 10.96.0.10 udp dport 53 dnat to 10.244.0.5:53
		ip daddr 10.96.0.20 tcp dport 80 dnat to 10.244.1.40:9090
		ip daddr 10.96.0.21 tcp dport 80 dnat to 10.244.1.20:8080
		ip daddr 10.96.0.30 tcp dport 443 dnat to 10.244.2.10:8443
	}
}
NFT

www=$(mktemp -d)
echo '{"items":[]}' > "$www/index.html"
echo ok > "$www/healthz"
svc() { ip netns exec "$P-$1" "${@:2}" >/dev/null 2>&1 & }
svc fe1 busybox httpd -f -p 10.244.1.10:8080 -h "$www"
svc fe2 busybox httpd -f -p 10.244.1.11:8080 -h "$www"
svc cart busybox httpd -f -p 10.244.1.20:8080 -h "$www"
svc catalog busybox httpd -f -p 10.244.1.40:9090 -h "$www"
svc pay busybox httpd -f -p 10.244.2.10:8443 -h "$www"
svc gw busybox httpd -f -p 203.0.113.10:443 -h "$www"
svc redis python3 "$here/fakesvc.py" lines 10.244.1.30 6379
svc dns python3 "$here/fakesvc.py" dns 10.244.0.5
sleep 1

# Packets are captured once, as they enter the node from a pod or peer (-Q in): the
# client's view, before kube-proxy's DNAT, which is what flowlock resolves Services from.
ip netns exec "$node" tcpdump -q -i any -Q in -s 256 --time-stamp-precision=nano \
	-w "$out.tmp" >/dev/null 2>&1 &
tcpdump_pid=$!
sleep 1.5

get() { inns "$1" python3 "$here/fakesvc.py" get "$2" "$3" "$4" || echo "request from $1 to $2:$3 failed" >&2; }
lookup() { inns "$1" busybox nslookup "$2" 10.96.0.10 >/dev/null || echo "lookup from $1 failed" >&2; }
for round in 1 2 3; do
	# user -> frontend replicas; kubelet probes from the node address
	get user 10.244.1.10 8080 /
	get user 10.244.1.11 8080 /
	ip netns exec "$node" python3 "$here/fakesvc.py" probe 172.18.0.2 10.244.1.10 8080 /healthz
	ip netns exec "$node" python3 "$here/fakesvc.py" probe 172.18.0.2 10.244.1.11 8080 /healthz
	ip netns exec "$node" python3 "$here/fakesvc.py" probe 172.18.0.2 10.244.1.40 9090 /healthz
	for fe in fe1 fe2; do
		lookup "$fe" catalog.shop.svc.cluster.local
		get "$fe" 10.96.0.20 80 /products
		lookup "$fe" cart.shop.svc.cluster.local
		get "$fe" 10.96.0.21 80 /cart
	done
	lookup cart redis-0.redis.shop.svc.cluster.local
	inns cart python3 "$here/fakesvc.py" redis 10.244.1.30 6379
	lookup cart payments.payments.svc.cluster.local
	get cart 10.96.0.30 443 /charge
	lookup pay gateway.example
	get pay 203.0.113.10 443 /authorize
done
# the nightly report job reads the catalog once
lookup report catalog.shop.svc.cluster.local
get report 10.96.0.20 80 /products
sleep 1.5
kill -INT "$tcpdump_pid"
wait "$tcpdump_pid" || true
rm -rf "$www"
mv "$out.tmp" "$out"
echo "wrote $out"
