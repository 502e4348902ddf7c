#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# record.sh - records samples/kind/: per-node captures of a kind-like dual-stack cluster, the
# cluster's inventory, and the list of connections that were driven.
#
# It builds a 3-node kind cluster out of network namespaces: a bridge namespace stands for the
# "kind" docker network, a gw namespace for the outside router and the internet hosts, a laptop
# namespace for an outside user, one namespace per node (kindnet-style routes to the other nodes'
# pod CIDRs, kube-proxy's nftables-mode rules and kindnet's masquerading, both generated from the
# inventory's Services, EndpointSlices and Nodes by cluster.py) and one per pod (a veth into its
# node, /32 and /128 routes). Every node captures what enters it (tcpdump -i any -Q in) while the
# script drives a fixed scenario on a clock that starts at T, the epoch second the captures
# started: steady traffic in T+1..T+15, a CronJob pod at T+16..T+20, a new pod reusing its
# address from T+22. It writes kind-control-plane.pcapng, kind-worker.pcapng, kind-worker2.pcapng,
# inventory.json (kubectl get ... -A -o json, times derived from T) and connections.txt (ground
# truth, written as the connections succeed). Traffic goes only to addresses of the namespaces
# it creates; all of them are deleted on exit. Needs root; installs tcpdump, nftables, iproute2,
# busybox-static and python3 if missing. Usage: sudo samples/kind/record.sh [OUTDIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here}
mkdir -p "$out"
out=$(cd "$out" && pwd)

die() { echo "record.sh: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "needs root"

missing=()
command -v tcpdump >/dev/null || missing+=(tcpdump)
command -v nft >/dev/null || missing+=(nftables)
command -v ip >/dev/null || missing+=(iproute2)
command -v busybox >/dev/null || missing+=(busybox-static)
[ -x /usr/bin/python3 ] || missing+=(python3)
if [ ${#missing[@]} -gt 0 ]; then
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
PY=/usr/bin/python3

P=flk                                   # every namespace this script makes is named flk-*
BR=br-5a6f0e3c21d4                      # the "kind" docker network's bridge
nodes=() pods=()
declare -A N4 N6 C4 C6 NLISTEN PNODE P4 P6 PVETH PLIFE PLISTEN
while read -r kind a b c d e f g rest; do
	if [ "$kind" = node ]; then
		nodes+=("$a"); N4[$a]=$b N6[$a]=$c C4[$a]=$d C6[$a]=$e NLISTEN[$a]="$f $g $rest"
	else
		pods+=("$a"); PLIFE[$a]=$b PNODE[$a]=$c P4[$a]=$d P6[$a]=$e PVETH[$a]=$f PLISTEN[$a]=$rest
	fi
done < <("$PY" "$here/cluster.py" plan)
[ ${#nodes[@]} = 3 ] || die "cluster.py plan failed"
names=("$P-br" "$P-gw" "$P-laptop")
for n in "${nodes[@]}"; do names+=("$P-$n"); done
for k in "${pods[@]}"; do names+=("$P-$k"); done
files=(kind-control-plane.pcapng kind-worker.pcapng kind-worker2.pcapng inventory.json connections.txt)

work=
stopns() {       # stopns NS: end the processes running in NS (ours: servers, clients, tcpdump)
	local pids
	pids=$(ip netns pids "$1" 2>/dev/null) || return 0
	[ -n "$pids" ] || return 0
	# shellcheck disable=SC2086 # one pid per word
	kill $pids 2>/dev/null || true
	sleep 0.2
	pids=$(ip netns pids "$1" 2>/dev/null) || return 0
	# shellcheck disable=SC2086
	[ -z "$pids" ] || kill -9 $pids 2>/dev/null || true
}
cleanup() {
	set +e
	local ns sig pids
	for sig in TERM KILL; do       # the processes still running in our namespaces, and only those
		pids=$(for ns in "${names[@]}"; do ip netns pids "$ns" 2>/dev/null; done)
		[ -z "$pids" ] && break
		# shellcheck disable=SC2086 # one pid per word
		kill -s $sig $pids 2>/dev/null
		sleep 0.3
	done
	for ns in "${names[@]}"; do ip netns del "$ns" 2>/dev/null; done
	for f in "${files[@]}"; do rm -f "$out/.$f.tmp"; done
	[ -z "$work" ] || rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
cleanup
work=$(mktemp -d)

# mkns NS: a namespace without IPv6 DAD or router solicitations (no stray packets, no delays)
mkns() {
	ip netns add "$1"
	ip netns exec "$1" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
		net.ipv6.conf.all.router_solicitations=0 net.ipv6.conf.default.router_solicitations=0 \
		net.ipv6.conf.all.accept_ra=0 net.ipv6.conf.default.accept_ra=0 >/dev/null
	ip -n "$1" link set lo up
}
# serve NS SPEC...: start kindsvc.py's listeners in NS and wait until they are bound
serve() {
	local ns=$1; shift
	[ $# -gt 0 ] || return 0
	ip netns exec "$ns" "$PY" "$here/kindsvc.py" serve --ready "$work/ready.$ns" "$@" \
		>"$work/serve.$ns.log" 2>&1 &
	for _ in $(seq 100); do [ -e "$work/ready.$ns" ] && return 0; sleep 0.05; done
	cat "$work/serve.$ns.log" >&2
	die "listeners in $ns did not start"
}
# attach NS PORT ADDR4 ADDR6: eth0 of NS on the kind bridge
attach() {
	ip link add "$2" netns "$P-br" type veth peer name eth0 netns "$1"
	ip -n "$P-br" link set "$2" master "$BR" up
	ip -n "$1" addr add "$3/16" dev eth0
	ip -n "$1" addr add "$4/64" dev eth0 nodad
	ip -n "$1" link set eth0 up
}

# --- the "kind" docker network, the outside router and internet hosts, an outside user
ip netns add "$P-br"
ip netns exec "$P-br" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip -n "$P-br" link add "$BR" type bridge stp_state 0 forward_delay 0 mcast_snooping 0
ip -n "$P-br" link set "$BR" up
mkns "$P-gw"
attach "$P-gw" veth0a1e2f3 172.18.0.1 fc00:f853:ccd:e793::1
for ip in 203.0.113.10 203.0.113.50 203.0.113.60; do ip -n "$P-gw" addr add "$ip/32" dev lo; done
serve "$P-gw" tcp,203.0.113.10,443 tcp,203.0.113.50,443 tcp,203.0.113.60,443 dns,172.18.0.1,53
mkns "$P-laptop"
attach "$P-laptop" veth7c4d5e6 172.18.0.100 fc00:f853:ccd:e793::100
ip -n "$P-laptop" route add default via 172.18.0.1
ip -n "$P-laptop" -6 route add default via fc00:f853:ccd:e793::1

# --- nodes
for n in "${nodes[@]}"; do
	ns=$P-$n
	mkns "$ns"
	ip netns exec "$ns" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 \
		net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
	attach "$ns" "veth$(printf %s "$n" | sha256sum | cut -c1-7)" "${N4[$n]}" "${N6[$n]}"
	ip -n "$ns" route add default via 172.18.0.1
	ip -n "$ns" -6 route add default via fc00:f853:ccd:e793::1
	for o in "${nodes[@]}"; do
		[ "$o" = "$n" ] && continue
		ip -n "$ns" route add "${C4[$o]}" via "${N4[$o]}"
		ip -n "$ns" -6 route add "${C6[$o]}" via "${N6[$o]}"
	done
	"$PY" "$here/cluster.py" kube-proxy "$n" >"$work/kube-proxy.$n.nft"
	"$PY" "$here/cluster.py" kindnet "$n" >"$work/kindnet.$n.nft"
	ip netns exec "$ns" nft -f "$work/kube-proxy.$n.nft"
	ip netns exec "$ns" nft -f "$work/kindnet.$n.nft"
	# shellcheck disable=SC2086
	serve "$ns" ${NLISTEN[$n]}
done
# MetalLB (L2 mode) announces frontend-external's LoadBalancer address from kind-worker
ip -n "$P-kind-worker" addr add 172.18.255.200/32 dev eth0

# --- pods
mkpod() {        # mkpod KEY: the pod's namespace, its veth into the node, routes, listeners
	local k=$1 ns=$P-$1 node=$P-${PNODE[$1]} veth=${PVETH[$1]} mac
	mkns "$ns"
	ip link add "$veth" netns "$node" type veth peer name eth0 netns "$ns"
	ip -n "$ns" addr add "${P4[$k]}/32" dev eth0
	ip -n "$ns" addr add "${P6[$k]}/128" dev eth0 nodad
	ip -n "$ns" link set eth0 up
	ip -n "$node" link set "$veth" up
	# the pod's gateways are link-local addresses that resolve to the node's end of the veth
	mac=$(ip -n "$node" -br link show "$veth" | awk '{print $3}')
	ip -n "$ns" route add 169.254.1.1 dev eth0
	ip -n "$ns" route add default via 169.254.1.1 dev eth0
	ip -n "$ns" neigh replace 169.254.1.1 lladdr "$mac" dev eth0 nud permanent
	ip -n "$ns" -6 route add default via fe80::1 dev eth0
	ip -n "$ns" -6 neigh replace fe80::1 lladdr "$mac" dev eth0 nud permanent
	ip -n "$node" route add "${P4[$k]}/32" dev "$veth"
	ip -n "$node" -6 route add "${P6[$k]}/128" dev "$veth"
	# shellcheck disable=SC2086
	serve "$ns" ${PLISTEN[$k]}
}
rmpod() { stopns "$P-$1"; ip netns del "$P-$1"; }
for k in "${pods[@]}"; do [ "${PLIFE[$k]}" = steady ] && mkpod "$k"; done

# --- captures: one per node, of what enters it from its pods and from the node network
for n in "${nodes[@]}"; do
	ip netns exec "$P-$n" tcpdump -n -q -Z root -i any -Q in -s 256 --time-stamp-precision=nano \
		-w "$work/$n.pcap" >/dev/null 2>"$work/tcpdump.$n.log" &
done
for n in "${nodes[@]}"; do
	for _ in $(seq 100); do grep -q "listening on" "$work/tcpdump.$n.log" && break; sleep 0.05; done
	grep -q "listening on" "$work/tcpdump.$n.log" || { cat "$work/tcpdump.$n.log" >&2; die "tcpdump in $n did not start"; }
done
T=$(date +%s)
echo "record.sh: captures started, T=$T"

# --- the clock: at S waits for T+S (fails if already late), by S fails if T+S has passed
ms() { awk -v s="$1" 'BEGIN { printf "%d", s * 1000 }'; }
at() {
	local target now
	target=$((T * 1000 + $(ms "$1"))) now=$(date +%s%3N)
	((now <= target + 500)) || die "phase at T+$1 started $((now - target)) ms late"
	# (in the background, so that a signal ends the wait at once)
	((now >= target)) || { sleep "$(awk -v d=$((target - now)) 'BEGIN { print d / 1000 }')" & wait $!; }
}
by() {
	local now
	now=$(date +%s%3N)
	((now <= T * 1000 + $(ms "$1"))) || die "phase overran its slot: T+$1 passed $((now - T * 1000 - $(ms "$1"))) ms ago"
}

# --- driving: drive NS-KEY [--src ADDR] OP... runs one client (in the background); join waits
# for all of them and fails if one did. OP: PROTO,DST,PORT,ARG,NOTE (see kindsvc.py).
jobs_=()
drive() {
	local k=$1; shift
	ip netns exec "$P-$k" "$PY" "$here/kindsvc.py" client --t0 "$T" --log "$work/connections" "$@" &
	jobs_+=($!)
}
join() {
	local pid failed=0
	for pid in "${jobs_[@]}"; do wait "$pid" || failed=1; done
	jobs_=()
	[ $failed = 0 ] || die "a connection failed"
}
D4=10.96.0.10 D6=fd00:10:96::a B=boutique.svc.cluster.local
steady_round() {
	drive frontend-1 \
		"dns,$D4,53,cartservice.$B,frontend->kube-dns" "tcp,10.96.10.20,7070,/,frontend->cartservice" \
		"dns,$D6,53,cartservice.$B/AAAA,frontend->kube-dns" "tcp,fd00:10:96::1020,7070,/,frontend->cartservice" \
		"dns,$D4,53,productcatalogservice.$B,frontend->kube-dns" "tcp,10.96.10.40,3550,/,frontend->productcatalogservice" \
		"dns,$D4,53,currencyservice.$B,frontend->kube-dns" "tcp,10.96.10.50,7000,/,frontend->currencyservice" \
		"dns,$D4,53,checkoutservice.$B,frontend->kube-dns" "tcp,10.96.10.60,5050,/,frontend->checkoutservice"
	drive frontend-2 \
		"dns,$D6,53,productcatalogservice.$B/AAAA,frontend->kube-dns" "tcp,fd00:10:96::1040,3550,/,frontend->productcatalogservice" \
		"dns,$D4,53,cartservice.$B,frontend->kube-dns" "tcp,10.96.10.20,7070,/,frontend->cartservice" \
		"tcp,fd00:10:96::1020,7070,/,frontend->cartservice" \
		"dns,$D4,53,currencyservice.$B,frontend->kube-dns" "tcp,10.96.10.50,7000,/,frontend->currencyservice" \
		"dns,$D4,53,checkoutservice.$B,frontend->kube-dns" "tcp,10.96.10.60,5050,/,frontend->checkoutservice"
	drive checkoutservice \
		"dns,$D4,53,paymentservice.$B,checkoutservice->kube-dns" "tcp,10.96.10.70,50051,/,checkoutservice->paymentservice" \
		"dns,$D4,53,currencyservice.$B,checkoutservice->kube-dns" "tcp,10.96.10.50,7000,/,checkoutservice->currencyservice" \
		"dns,$D4,53,cartservice.$B,checkoutservice->kube-dns" "tcp,10.96.10.20,7070,/,checkoutservice->cartservice" \
		"dns,$D4,53,productcatalogservice.$B,checkoutservice->kube-dns" "tcp,10.96.10.40,3550,/,checkoutservice->productcatalogservice"
	drive cartservice \
		"dns,$D4,53,redis-cart-0.redis-cart.$B,cartservice->kube-dns" "tcp,10.244.2.30,6379,/,cartservice->redis-cart-0" \
		"dns,$D6,53,redis-cart-0.redis-cart.$B/AAAA,cartservice->kube-dns" "tcp,fd00:10:244:2::1e,6379,/,cartservice->redis-cart-0"
	drive paymentservice \
		"dns,$D4,53,gateway.example,paymentservice->kube-dns" "tcp,203.0.113.10,443,/,paymentservice->payment-gateway"
	local ping=()
	[ "$1" != 1 ] || ping=("ping,10.244.1.10,-,,loadgenerator->frontend-pod(ping)")
	drive loadgenerator \
		"dns,$D4,53,frontend.$B,loadgenerator->kube-dns" "tcp,10.96.10.10,80,/,loadgenerator->frontend" \
		"dns,$D6,53,frontend.$B/AAAA,loadgenerator->kube-dns" "tcp,fd00:10:96::1010,80,/,loadgenerator->frontend" \
		"${ping[@]}"
	drive laptop \
		"tcp,172.18.255.200,80,/,laptop->frontend-external(LoadBalancer)" \
		"tcp,172.18.0.3,30080,/,laptop->frontend-external(NodePort@kind-worker)" \
		"tcp,172.18.0.4,30080,/,laptop->frontend-external(NodePort@kind-worker2)"
	drive kind-worker --src 172.18.0.3 \
		"tcp,10.244.1.10,8080,/healthz,kubelet@kind-worker->frontend(probe)" \
		"tcp,172.18.0.2,6443,/api,kubelet@kind-worker->kube-apiserver"
	drive kind-worker2 --src 172.18.0.4 \
		"tcp,10.244.2.10,8080,/healthz,kubelet@kind-worker2->frontend(probe)" \
		"tcp,172.18.0.2,6443,/api,kubelet@kind-worker2->kube-apiserver"
	drive log-shipper-1 \
		"dns,$D4,53,logs.example,log-shipper->kube-dns" "tcp,203.0.113.50,443,/,log-shipper->log-collector"
	drive log-shipper-2 \
		"dns,$D4,53,logs.example,log-shipper->kube-dns" "tcp,203.0.113.50,443,/,log-shipper->log-collector"
	drive prometheus \
		"tcp,172.18.0.2,9100,/metrics,prometheus->node-exporter@kind-control-plane" \
		"tcp,fc00:f853:ccd:e793::3,9100,/metrics,prometheus->node-exporter@kind-worker" \
		"tcp,172.18.0.4,9100,/metrics,prometheus->node-exporter@kind-worker2" \
		"tcp,fc00:f853:ccd:e793::4,9100,/metrics,prometheus->node-exporter@kind-worker2" \
		"tcp,10.244.2.70,8080,/metrics,prometheus->kube-state-metrics" \
		"tcp,10.244.0.2,9153,/metrics,prometheus->coredns" \
		"tcp,10.244.0.3,9153,/metrics,prometheus->coredns" \
		"tcp,10.96.0.1,443,/metrics,prometheus->kubernetes"
	drive kube-state-metrics "tcp,10.96.0.1,443,/api,kube-state-metrics->kubernetes"
	drive local-path "tcp,10.96.0.1,443,/api,local-path-provisioner->kubernetes"
	drive coredns-1 \
		"dns,172.18.0.1,53,gateway.example,coredns->upstream-dns" "tcp,10.96.0.1,443,/api,coredns->kubernetes"
	drive coredns-2 \
		"dns,172.18.0.1,53,logs.example,coredns->upstream-dns" "tcp,10.96.0.1,443,/api,coredns->kubernetes"
	drive train-mnist \
		"dns,$D4,53,datasets.example,train-mnist->kube-dns" "tcp,203.0.113.60,443,/mnist,train-mnist->dataset-host"
	join
}

at 1; steady_round 1; by 4.5
at 4.5; steady_round 2; by 8
# a pod that came and went: 10.244.1.99 is in no inventory
at 8; mkpod ephemeral
drive ephemeral "dns,$D4,53,frontend.$B,unknown-pod->kube-dns" "tcp,10.96.10.10,80,/,unknown-pod->frontend"
join; rmpod ephemeral; by 10
at 10.5; steady_round 3; by 15
# the CronJob's pod: sandbox at T+15.6, container runs T+16..T+20, then it is gone
at 15.6; mkpod nightly; by 16.5
at 18
drive nightly "dns,$D4,53,productcatalogservice.$B,nightly-report->kube-dns" \
	"tcp,10.96.10.40,3550,/,nightly-report->productcatalogservice"
join; by 20
at 20.3; rmpod nightly; by 21
# recommendationservice's new pod gets the same address 10.244.2.9
at 22; mkpod reco; by 23
at 25
drive reco "dns,$D4,53,productcatalogservice.$B,recommendationservice->kube-dns" \
	"tcp,10.96.10.40,3550,/,recommendationservice->productcatalogservice"
join
at 25.5
drive frontend-2 "dns,$D4,53,recommendationservice.$B,frontend->kube-dns" \
	"tcp,10.96.10.80,8080,/,frontend->recommendationservice"
join; by 26.5
at 27

# --- stop the captures, write the files
for n in "${nodes[@]}"; do stopns "$P-$n"; done
for n in "${nodes[@]}"; do
	[ -s "$work/$n.pcap" ] || die "no capture from $n"
	"$PY" "$here/kindsvc.py" pcapng "$work/$n.pcap" "$out/.$n.pcapng.tmp" \
		"$n: tcpdump -i any -Q in -s 256 --time-stamp-precision=nano (samples/kind/record.sh, T=$T)"
done
"$PY" "$here/cluster.py" inventory "$T" >"$out/.inventory.json.tmp"
{
	echo "# Connections samples/kind/record.sh drove and saw succeed (ground truth, independent of flowlock)."
	echo "# T=$T ($(date -u -d "@$T" +%Y-%m-%dT%H:%M:%SZ)): the epoch second the captures started; OFFSET_S = seconds after T."
	echo "# DST_IP is what the client dialled (ClusterIP, LoadBalancer IP, node address, pod IP, outside IP);"
	echo "# PROTO UDP with port 53 is one DNS query; ICMP is one echo request (DST_PORT -)."
	echo "# OFFSET_S CLIENT_IP DST_IP PROTO DST_PORT NOTE"
	sort -n -k1,1 "$work/connections"
} >"$out/.connections.txt.tmp"
for f in "${files[@]}"; do mv "$out/.$f.tmp" "$out/$f"; done
echo "record.sh: wrote ${files[*]} in $out ($(grep -vc '^#' "$out/connections.txt") connections)"
