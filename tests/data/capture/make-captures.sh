#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# make-captures.sh - records the real traffic behind test-decode.c and test-capture-file.c
# between two private netns.
#
# Needs root. Traffic stays between the namespaces fltest-a and fltest-b (10.99.0.0/24,
# fd99::/64, and a tun device on 10.98.0.0/24, fd98::/64), deleted on exit. Writes the raw
# captures into OUTDIR (default /tmp/fltest), from which extract-packets.py writes the packets
# of decode/; the small fixtures of the file tests go into this directory.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${1:-/tmp/fltest}
PY="python3 $HERE/traffic.py"
A="ip netns exec fltest-a"
B="ip netns exec fltest-b"
mkdir -p "$OUT"

cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null || true; done
	ip netns del fltest-a 2>/dev/null || true
	ip netns del fltest-b 2>/dev/null || true
}
PIDS=""
trap cleanup EXIT
ip netns add fltest-a
ip netns add fltest-b
ip link add fl-va netns fltest-a type veth peer name fl-vb netns fltest-b
$A ip link set lo up
$B ip link set lo up
$A ip addr add 10.99.0.1/24 dev fl-va
$A ip addr add fd99::1/64 dev fl-va nodad
$B ip addr add 10.99.0.2/24 dev fl-vb
$B ip addr add fd99::2/64 dev fl-vb nodad
$A ip link set fl-va up
$B ip link set fl-vb up

$A $PY server & PIDS="$PIDS $!"
TD="tcpdump -n -U --time-stamp-precision=nano"

# Phase 1: the small session fixture (TCP, UDP, ping), before anything else is on the wire.
sleep 1
$B $TD -i fl-vb -w "$OUT/session.pcap" 2>/dev/null & T=$!
sleep 1
$B $PY tcp 10.99.0.1 8080
$B $PY udp 10.99.0.1 5353
$B busybox ping6 -c 1 fd99::1 >/dev/null
sleep 0.5; kill $T 2>/dev/null || true; wait $T || true

# Phase 2: everything, on Ethernet, "any" with SLL and with SLL2.
$B $TD -i fl-vb -w "$OUT/eth.pcap" 2>/dev/null & T1=$!
$B $TD -i any -y LINUX_SLL -w "$OUT/sll.pcap" 2>/dev/null & T2=$!
$B $TD -i any -y LINUX_SLL2 -w "$OUT/sll2.pcap" 2>/dev/null & T3=$!
sleep 1
$A $PY mld-join
$B $PY client
$A $PY sctp-ack
$B sh -c "sysctl -qw net.ipv4.tcp_ecn=1 && $PY ecn"
sleep 0.5
$B $PY vlan "$OUT/eth.pcap" fl-vb 2>/dev/null || true
sleep 0.5; kill $T1 $T2 $T3; wait $T1 $T2 $T3 || true

# Phase 3: tagged frames, seen from the receiving side (Ethernet and SLL).
$B $TD -i fl-vb -w "$OUT/vlan.pcap" 2>/dev/null & T1=$!
$B $TD -i any -y LINUX_SLL -w "$OUT/vlan-sll.pcap" 2>/dev/null & T2=$!
$B $TD -i any -y LINUX_SLL2 -w "$OUT/vlan-sll2.pcap" 2>/dev/null & T3=$!
sleep 1
$A $PY vlan "$OUT/eth.pcap" fl-va
sleep 0.5; kill $T1 $T2 $T3; wait $T1 $T2 $T3 || true

# Phase 4: raw IP from a tun device (DLT_RAW).
$B $PY tun fltun0 10 & PIDS="$PIDS $!"
for i in $(seq 50); do $B ip link show fltun0 >/dev/null 2>&1 && break; sleep 0.1; done
$B ip addr add 10.98.0.1/24 dev fltun0
$B ip addr add fd98::1/64 dev fltun0 nodad
$B ip link set fltun0 up
$B $TD -i fltun0 -w "$OUT/raw.pcap" 2>/dev/null & T=$!
sleep 1
$B busybox ping -c 1 -W 1 10.98.0.2 >/dev/null 2>&1 || true
$B busybox ping6 -c 1 -W 1 fd98::2 >/dev/null 2>&1 || true
$B sh -c "$PY tcp 10.98.0.2 443" 2>/dev/null || true
sleep 0.5; kill $T 2>/dev/null || true; wait $T || true

# Phase 5: an 802.3/LLC frame: a spanning-tree BPDU from a bridge in fltest-a.
$A ip link add flbr type bridge stp_state 1
$A ip link add fl-s1 type veth peer name fl-s2
$A ip link set fl-s1 master flbr
$A ip link set flbr up
$A ip link set fl-s1 up
$A ip link set fl-s2 up
$A timeout 10 $TD -i fl-s2 -c 1 -w "$OUT/stp.pcap" stp 2>/dev/null || true

# Fixtures for the file tests.
cp "$OUT/session.pcap" "$HERE/session.pcap"
$PY pcapng "$OUT/session.pcap" "$HERE/session.pcapng"
# A real pcap cut inside its last record, and relabelled DLT_PPP (9) and DLT_USER0 (147).
head -c $(($(stat -c %s "$OUT/session.pcap") - 20)) "$OUT/session.pcap" >"$HERE/truncated.pcap"
relabel() {
	python3 -c 'import sys; d = bytearray(open(sys.argv[1], "rb").read()); d[20:24] = int(sys.argv[3]).to_bytes(4, "little"); open(sys.argv[2], "wb").write(d)' \
		"$OUT/session.pcap" "$HERE/$1" "$2"
}
relabel ppp.pcap 9
relabel user0.pcap 147
printf 'GET / HTTP/1.1\r\nHost: example\r\n\r\n' >"$HERE/garbage.pcap"
: >"$HERE/empty.pcap"
echo "captures in $OUT"
