#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# record.sh - records port-zero.pcap: real traffic between two private namespaces, where some
# flows use port 0, which no policy can name. Needs root, python3 and tcpdump.
#
# fl0-web (10.97.0.1, fd97::1) and fl0-db (10.97.0.2, fd97::2), on one veth pair, deleted on
# exit. web calls db's TCP 8080 and UDP 5353 (served: the edges to learn). Then, with raw
# sockets: a SYN to db's TCP port 0 (the kernel resets it), a UDP exchange with port 0 on the
# server's side both ways, and a Geneve-like reply from db's port 0 to web's UDP 6081 (web says
# port unreachable), and a datagram from db's port 0 to web's UDP 7000 (refused: an attempt
# on 7000). Only the first two may become edges.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
W="ip netns exec fl0-web"
D="ip netns exec fl0-db"
cleanup() {
	[ -n "${SRV:-}" ] && kill "$SRV" 2>/dev/null
	ip netns del fl0-web 2>/dev/null || true
	ip netns del fl0-db 2>/dev/null || true
}
trap cleanup EXIT
ip netns add fl0-web
ip netns add fl0-db
ip link add fl0-w netns fl0-web type veth peer name fl0-d netns fl0-db
$W ip link set lo up
$D ip link set lo up
$W ip addr add 10.97.0.1/24 dev fl0-w
$W ip addr add fd97::1/64 dev fl0-w nodad
$D ip addr add 10.97.0.2/24 dev fl0-d
$D ip addr add fd97::2/64 dev fl0-d nodad
$W ip link set fl0-w up
$D ip link set fl0-d up

$D python3 "$HERE/traffic.py" server & SRV=$!
sleep 1
$D tcpdump -n -U --time-stamp-precision=nano -i fl0-d -w "$HERE/port-zero.pcap" \
	'not icmp6 or ip6[40] < 133' 2>/dev/null & T=$!
sleep 1
$W python3 "$HERE/traffic.py" client
$W python3 "$HERE/traffic.py" zero-client & Z=$!
sleep 0.3
$D python3 "$HERE/traffic.py" zero-server
wait $Z
sleep 0.5
kill $T
wait $T || true
