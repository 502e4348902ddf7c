#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# scan.sh - a port scan must not widen the policy: the live agent, on real traffic between
# network namespaces, learns only the one connection that was served (root only).
#
#   flscan-web 10.77.1.1 --- flscan-vweb  flscan-host  flscan-vdb --- flscan-db 10.77.2.1
#   fd77:1::1                (routes, conntrack)                       fd77:2::1
#
# web makes one served connection to db on TCP 8080, then scans db: 200 TCP ports that answer
# with RST, 100 SYNs that db's own nftables drops (no answer), and 20 UDP probes it also drops
# (so no ICMP comes back); over IPv4, and once more over IPv6. The agent runs in flscan-host on
# both veths: with pcap, with pcap and conntrack, and with conntrack alone. Each must learn
# exactly web -> db TCP 8080 and count the rest as refused or unanswered attempts (conntrack
# alone: as attempts, see below). Traffic goes only between these namespaces.
#
# Usage: scan.sh FLOWLOCK SRCROOT
#        scan.sh --record OUT.pcap   records the traffic once, as seen on flscan-vweb (needs
#                                    tcpdump); tests/data/golden/scan/scan.pcap was made so
set -u
record=
if [ "${1:-}" = --record ]; then
	record=$(realpath -m "$2")
else
	flowlock=$1
fi
[ "$(id -u)" = 0 ] || { echo "scan: not root, skipped"; exit 77; }
ip netns add flscan-probe 2>/dev/null && ip netns del flscan-probe || { echo "scan: no netns, skipped"; exit 77; }
. "$(dirname "$0")/lib.sh"
require scan ip nft ss
[ -z "$record" ] || require scan tcpdump
py=$(command -v /usr/bin/python3 || command -v python3) || { echo "scan: python3 missing: skipped"; exit 77; }
inventory=$(cd "$(dirname "$0")" && pwd)/data/golden/scan/inventory.yaml
NS="flscan-host flscan-web flscan-db"

cleanup() { netns_cleanup $NS; }
trap 'cleanup; rm -rf "$tmp"' EXIT

inns() { local ns=$1; shift; ip netns exec "flscan-$ns" "$@"; }

side() { # name net-number: a namespace routed through the host
	ip netns add "flscan-$1"
	ip link add "flscan-v$1" netns flscan-host type veth peer name eth0 netns "flscan-$1"
	ip -n "flscan-$1" link set lo up
	ip -n "flscan-$1" addr add "10.77.$2.1/24" dev eth0
	ip -n "flscan-$1" addr add "fd77:$2::1/64" dev eth0 nodad
	ip -n "flscan-$1" link set eth0 up
	ip -n "flscan-$1" route add default via "10.77.$2.254"
	ip -n "flscan-$1" -6 route add default via "fd77:$2::fe"
	ip -n flscan-host addr add "10.77.$2.254/24" dev "flscan-v$1"
	ip -n flscan-host addr add "fd77:$2::fe/64" dev "flscan-v$1" nodad
	ip -n flscan-host link set "flscan-v$1" up
	# static neighbours: no ARP or neighbour discovery on the wire, and nothing sent to find
	# them (a ping would leave conntrack entries the agent's first dump reads)
	local mine theirs
	mine=$(ip -n "flscan-$1" -br link show eth0 | awk '{print $3}')
	theirs=$(ip -n flscan-host -br link show "flscan-v$1" | awk '{print $3}')
	ip -n "flscan-$1" neigh replace "10.77.$2.254" lladdr "$theirs" dev eth0 nud permanent
	ip -n "flscan-$1" neigh replace "fd77:$2::fe" lladdr "$theirs" dev eth0 nud permanent
	ip -n flscan-host neigh replace "10.77.$2.1" lladdr "$mine" dev "flscan-v$1" nud permanent
	ip -n flscan-host neigh replace "fd77:$2::1" lladdr "$mine" dev "flscan-v$1" nud permanent
}

topology() {
	cleanup
	ip netns add flscan-host
	ip -n flscan-host link set lo up
	ip netns exec flscan-host sysctl -qw net.ipv4.ip_forward=1
	ip netns exec flscan-host sysctl -qw net.ipv6.conf.all.forwarding=1
	side web 1
	side db 2
	# No router solicitations or advertisements: only the driven traffic is on the wire.
	for ns in web db host; do
		ip netns exec "flscan-$ns" sysctl -qw net.ipv6.conf.all.router_solicitations=0 2>/dev/null
	done
	# a ct rule turns conntrack on for the forwarded traffic (the agent reads it here)
	ip netns exec flscan-host nft -f - <<-'EOF'
	table inet flscan {
		chain flscanfwd {
			type filter hook forward priority filter; policy accept;
			ct state new counter
		}
	}
	EOF
	# db drops these in its own namespace, so nothing (no RST, no ICMP) answers them
	ip netns exec flscan-db nft -f - <<-'EOF'
	table inet flscan {
		chain flscanin {
			type filter hook input priority filter; policy accept;
			tcp dport 9000-9099 drop
			udp dport 7000-7019 drop
		}
	}
	EOF
	# db serves TCP 8080 on both families: reads a request, answers, closes
	inns db "$py" -c '
import socket, threading
def serve(family, addr):
    s = socket.socket(family, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, 8080))
    s.listen(8)
    while True:
        c, _ = s.accept()
        c.recv(64)
        c.sendall(b"ok\n")
        c.close()
threading.Thread(target=serve, args=(socket.AF_INET, "10.77.2.1"), daemon=True).start()
serve(socket.AF_INET6, "fd77:2::1")' >/dev/null 2>&1 &
	# wait until both ends answer, without a packet on the wire: the listener is up
	for _ in $(seq 50); do
		inns db ss -Hltn 'sport = :8080' | grep -q 'fd77:2::1' && break
		sleep 0.1
	done
}

# The scan, from web: prints one line per family of what each kind of attempt got.
drive() {
	inns web "$py" - <<-'EOF'
	import errno, socket, time
	for family, db in ((socket.AF_INET, "10.77.2.1"), (socket.AF_INET6, "fd77:2::1")):
	    c = socket.create_connection((db, 8080), timeout=3)
	    c.sendall(b"GET\n")
	    served = c.recv(64) == b"ok\n"
	    c.close()
	    refused = 0
	    for port in range(1, 201):
	        s = socket.socket(family, socket.SOCK_STREAM)
	        s.settimeout(3)
	        refused += s.connect_ex((db, port)) == errno.ECONNREFUSED
	        s.close()
	    # one SYN each: closed before the kernel sends it again (its first retransmit is at 1 s)
	    syns = []
	    for port in range(9000, 9100):
	        s = socket.socket(family, socket.SOCK_STREAM)
	        s.setblocking(False)
	        s.connect_ex((db, port))
	        syns.append(s)
	    time.sleep(0.5)
	    pending = sum(s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0 for s in syns)
	    for s in syns:
	        s.close()
	    for port in range(7000, 7020):
	        u = socket.socket(family, socket.SOCK_DGRAM)
	        u.sendto(b"probe", (db, port))
	        u.close()
	    print(family.name, "served" if served else "not-served", refused, pending)
	EOF
}

if [ -n "$record" ]; then
	topology
	ip netns exec flscan-host tcpdump -q -n -i flscan-vweb -s 256 -U --time-stamp-precision=nano \
		-w "$record.tmp" >/dev/null 2>&1 &
	tcpdump_pid=$!
	sleep 1.5
	drive
	sleep 1
	kill -INT "$tcpdump_pid"
	wait "$tcpdump_pid"
	mv "$record.tmp" "$record"
	echo "scan: wrote $record"
	exit 0
fi

EXPECTED="k8s:scan/pod/web k8s:scan/pod/db TCP 8080"

counter() { # state name: its value, or 0
	awk -v n="  $2:" 'index($0, n) == 1 {print $2; f = 1} END {if (!f) print 0}' "$1"
}

run_agent() { # name learn-args...
	local name=$1
	shift
	topology
	local state=$tmp/$name.yaml
	ip netns exec flscan-host "$flowlock" learn "$@" --inventory "$inventory" --state "$state" \
		2>"$tmp/$name.err" &
	local agent=$!
	sleep 1.5
	local drove
	drove=$(drive)
	# every attempt got what the scan meant it to get, before any is counted
	same_text "$name: the traffic was as driven" "AF_INET served 200 100
AF_INET6 served 200 100" "$drove"
	sleep 1
	stop_agent "$name" "$agent" "$tmp/$name.err"
	same_text "$name: only the served connection is an edge" "$EXPECTED" \
		"$(learned_edges "$state")" "$tmp/$name.err"
	local conns
	conns=$("$flowlock" emit --format json "$state" | "$py" -c '
import json, sys
print(sum(e["connections"] for e in json.load(sys.stdin)["edges"]))')
	expect "$name: two connections served, one per family (got $conns)" [ "$conns" = 2 ]
	# the policy lets web reach db on 8080 and nothing else
	"$flowlock" emit --format k8s "$state" >"$tmp/$name-k8s.yaml" 2>/dev/null
	expect "$name: the policy names one port ($(grep -c 'port:' "$tmp/$name-k8s.yaml") ports)" \
		[ "$(grep -c 'port:' "$tmp/$name-k8s.yaml")" = 2 ]
	expect "$name: ... and it is 8080" [ "$(grep -c 'port: 8080' "$tmp/$name-k8s.yaml")" = 2 ]
	local flows refused unanswered
	flows=$(counter "$state" flows)
	refused=$(counter "$state" flows-refused)
	unanswered=$(counter "$state" flows-unanswered)
	echo "$name: flows $flows, refused $refused, unanswered $unanswered"
	# per family: 1 served + 200 refused + 100 SYNs and 20 probes unanswered
	expect "$name: 642 flows (got $flows)" [ "$flows" = 642 ]
	if [ "$name" = conntrack-only ]; then
		# the kernel drops the entry of a SYN answered with a RST before it marks it
		# replied, so conntrack alone cannot tell a refusal from silence: it knows that 640
		# were attempts
		expect "$name: 640 attempts (refused $refused + unanswered $unanswered)" \
			[ $((refused + unanswered)) = 640 ]
	else
		expect "$name: 400 refused (got $refused)" [ "$refused" = 400 ]
		expect "$name: 240 unanswered (got $unanswered)" [ "$unanswered" = 240 ]
	fi
}

run_agent pcap -i 'flscan-v*'
run_agent conntrack -i 'flscan-v*' --conntrack
run_agent conntrack-only --conntrack
expect "conntrack: events were read" \
	sh -c "grep 'conntrack-events:' '$tmp/conntrack.yaml' | grep -qv ': 0$'"

finish scan
