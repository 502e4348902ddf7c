#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# docker-nft.sh - the nftables proof on a real Docker Engine (root only).
#
# Five containers on one --internal network (IPv4 and IPv6), with a known call graph:
#
#   web   .10  client          -> api:8080 (TCP, IPv4 and IPv6), api (ping, IPv4), cache:6379 (IPv6)
#   api   .11  8080 and 9090   -> db:5432
#   db    .12  5432
#   cache .13  6379            (compose project shop, service cache)
#   admin .14  9000            a stranger: listens, is never called, calls nobody
#
# The agent learns that traffic; flowlock emits an nftables ruleset for the engine's current
# addresses and applies it. Then every client tries every other container's every port, and
# pings it, over IPv4 and IPv6:
#   enforce: exactly the learned pairs connect; every other attempt is dropped;
#   audit:   everything connects, and the kernel log holds exactly the attempts enforce
#            dropped (prefix "flowlock-deny: ");
#   again:   applying the same file twice gives the same verdicts and one table;
#   moved:   db restarts on a new address; emitting again follows it.
# Also: the rest of the ruleset (Docker's tables) is not changed by apply. Traffic goes only
# between these containers. It needs br_netfilter with bridge-nf-call-ip(6)tables=1, which it
# sets for its run and restores; it replaces any table inet flowlock on this host.
# Usage: docker-nft.sh FLOWLOCK SRCROOT
set -u
flowlock=$1
[ "$(id -u)" = 0 ] || { echo "docker-nft: not root, skipped"; exit 77; }
command -v nft >/dev/null || { echo "docker-nft: nft missing"; exit 1; }
py=$(command -v /usr/bin/python3 || command -v python3)
. "$2/tests/docker-lib.sh"
. "$(dirname "$0")/lib.sh"

net=flnft-net
declare -A ip4=([web]=10.125.0.10 [api]=10.125.0.11 [db]=10.125.0.12 [cache]=10.125.0.13 [admin]=10.125.0.14)
declare -A ports=([web]="" [api]="8080 9090" [db]=5432 [cache]=6379 [admin]=9000)
names="web api db cache admin"
ip6() { echo "fd00:125::${ip4[$1]##*.}"; }

sysctls="net.bridge.bridge-nf-call-iptables net.bridge.bridge-nf-call-ip6tables"
saved=
cleanup() {
	nft delete table inet flowlock 2>/dev/null
	dl_stop
	rm -rf "$tmp"
	for s in $saved; do sysctl -qw "$s"; done
}
trap cleanup EXIT

[ -d /proc/sys/net/bridge ] || modprobe br_netfilter 2>/dev/null
[ -d /proc/sys/net/bridge ] || { echo "docker-nft: br_netfilter is not available, skipped"; exit 77; }
for s in $sysctls; do
	saved="$saved $s=$(sysctl -n "$s")"
	sysctl -qw "$s=1"
done
nft delete table inet flowlock 2>/dev/null

# The audit step reads what nft's log statement writes to the kernel log. Outside the host's
# network namespace the kernel drops it unless the host sets net.netfilter.nf_log_all_netns=1:
# probe with one datagram to the loopback's discard port.
probe="flnft-probe-$$-$RANDOM: "
nft -f - <<EOF || { echo "docker-nft: nft cannot load a probe table"; exit 1; }
table inet flowlock_probe {
	chain out {
		type filter hook output priority 0;
		ip daddr 127.0.0.1 udp dport 9 log prefix "$probe"
	}
}
EOF
(echo x >/dev/udp/127.0.0.1/9) 2>/dev/null
sleep 0.2
nft delete table inet flowlock_probe 2>/dev/null
if ! dmesg | grep -qF "$probe"; then
	echo "docker-nft: an nft log rule does not reach the kernel log here: in a network" \
		"namespace other than the host's, the host must set net.netfilter.nf_log_all_netns=1"
	exit 1
fi

dl_start flnft || exit 1
sock=$dl_sock
docker network create --internal --ipv6 --subnet 10.125.0.0/24 --subnet fd00:125::/64 "$net" \
	>/dev/null || { echo "docker-nft: network create failed"; exit 1; }

run() { # name [docker run options...]: a container listening on its ports, or idle
	local name=$1 cmd="" p
	shift
	for p in ${ports[$name]}; do cmd="$cmd nc -ll -p $p -e /bin/true &"; done
	docker run -d --name "flnft-$name" --network "$net" --ip "${ip4[$name]}" --ip6 "$(ip6 "$name")" \
		"$@" "$dl_image" /bin/sh -c "$cmd exec sleep 3600" >/dev/null ||
		echo "docker-nft: cannot start $name"
}
run web
run api
run db
run cache --label com.docker.compose.project=shop --label com.docker.compose.service=cache
run admin

# Learn.
state=$tmp/state.yaml
"$flowlock" learn -i 'br-*' --conntrack --docker "$sock" --state "$state" 2>"$tmp/agent.err" &
agent=$!
sleep 2
drive() { # client address port
	docker exec "flnft-$1" nc -w 2 "$2" "$3" </dev/null >/dev/null 2>&1 ||
		echo "docker-nft: learning: $1 -> $2 port $3 failed"
}
for _ in 1 2; do
	drive web "${ip4[api]}" 8080
	drive web "$(ip6 api)" 8080
	drive api "${ip4[db]}" 5432
	drive web "$(ip6 cache)" 6379
	docker exec flnft-web ping -c 1 -W 2 "${ip4[api]}" >/dev/null || echo "docker-nft: learning: ping failed"
done
sleep 1.5
stop_agent learning "$agent" "$tmp/agent.err"
# the containers' edges: conntrack also sees this host's own connections, which are not the test's
same_text "the learned edges differ from the driven ones" "docker:flnft-api docker:flnft-db TCP 5432
docker:flnft-web docker:flnft-api ICMP 0
docker:flnft-web docker:flnft-api TCP 8080
docker:flnft-web docker:shop/cache TCP 6379" "$(learned_edges "$state" docker:)"

# What each attempt should give: the learned pairs connect, nothing else does.
# A TCP edge holds for both families; a ping learned over IPv4 is ICMP, not ICMPv6.
allowed() { # client server port family
	case "$1 $2 $3" in
	"web api 8080" | "api db 5432" | "web cache 6379") return 0 ;;
	"web api icmp") [ "$4" = 4 ] && return 0 ;;
	esac
	return 1
}
attempts=$tmp/attempts # client server port family address
make_attempts() {
	local c s p
	for c in $names; do
		for s in $names; do
			[ "$c" = "$s" ] && continue
			for p in ${ports[$s]} icmp; do
				echo "$c $s $p 4 ${ip4[$s]}"
				echo "$c $s $p 6 $(ip6 "$s")"
			done
		done
	done >"$attempts"
}
make_attempts
expected() { # verdict-if-denied: one line per attempt, "client server port family verdict"
	while read -r c s p f a; do
		if allowed "$c" "$s" "$p" "$f"; then echo "$c $s $p $f connects"; else echo "$c $s $p $f $1"; fi
	done <"$attempts" | sort
}

# Every attempt, from inside its client; in parallel, or one at a time with a pause so the
# rate-limited log keeps every denial.
try_all() { # par|seq
	local c
	for c in $names; do
		awk -v c="$c" '$1 == c { print $2, $3, $4, $5 }' "$attempts" |
			docker exec -i "flnft-$c" /bin/sh -c '
			try() {
				if [ "$2" = icmp ]; then ping -c 1 -W 2 "$4" >/dev/null 2>&1
				else nc -w 2 "$4" "$2" </dev/null >/dev/null 2>&1; fi &&
					echo "$1 $2 $3 connects" || echo "$1 $2 $3 blocked"
			}
			while read -r s p f a; do
				if [ "$0" = par ]; then try "$s" "$p" "$f" "$a" & else try "$s" "$p" "$f" "$a"; sleep 0.2; fi
			done
			wait' "$1" | sed "s/^/$c /"
	done | sort
}

verdicts() { # label mode: compares every attempt's verdict with what the mode should give
	same_text "$1: the verdicts differ from the learned graph" "$(expected "$2")" "$(try_all "$3")"
}

others() { nft list ruleset 2>/dev/null | awk '/^table inet flowlock /{skip=1} !skip{print} /^}/{skip=0}'; }

# Enforce.
before=$(others)
"$flowlock" emit --format nftables --docker "$sock" -o "$tmp/enforce.nft" "$state"
"$flowlock" apply "$tmp/enforce.nft" >"$tmp/apply.out" 2>&1
rc=$?
expect "apply loads the enforce ruleset (rc $rc: $(head -c 300 "$tmp/apply.out"))" [ $rc -eq 0 ]
expect "apply changed nothing outside table inet flowlock" [ "$(others)" = "$before" ]
verdicts enforce blocked par

# Audit: every attempt goes through, and each one enforce dropped is in the kernel log.
"$flowlock" emit --format nftables --mode audit --docker "$sock" -o "$tmp/audit.nft" "$state"
"$flowlock" apply "$tmp/audit.nft" >"$tmp/apply.out" 2>&1
expect "apply loads the audit ruleset" [ $? -eq 0 ]
mark="flnft-mark-$$-$RANDOM"
echo "$mark" >/dev/kmsg
verdicts audit connects seq
sleep 0.5
logged=$(dmesg | awk -v m="$mark" 'index($0, m) { on = 1; next } on && /flowlock-deny: /' |
	"$py" -c '
import ipaddress, re, sys
names = {}
for n, a in zip(sys.argv[1::2], sys.argv[2::2]):
    names[ipaddress.ip_address(a)] = n
for line in sys.stdin:
    f = dict(re.findall(r"(\w+)=(\S+)", line))
    src, dst = ipaddress.ip_address(f["SRC"]), ipaddress.ip_address(f["DST"])
    port = f["DPT"] if f["PROTO"] in ("TCP", "UDP") else "icmp"
    print(names.get(src, src), names.get(dst, dst), port, src.version)' $(for n in $names; do echo "$n ${ip4[$n]} $n $(ip6 "$n")"; done) | sort)
want=$(expected blocked | awk '$5 == "blocked" { print $1, $2, $3, $4 }')
if [ "$logged" = "$want" ]; then
	pass=$((pass + 1))
else
	fail=$((fail + 1))
	echo "FAIL: audit: the log does not hold exactly the attempts enforce blocked"
	diff <(echo "$want") <(echo "$logged")
fi

# Apply enforce twice: one table, the same verdicts.
"$flowlock" apply "$tmp/enforce.nft" >/dev/null 2>&1 && "$flowlock" apply "$tmp/enforce.nft" >/dev/null 2>&1
expect "apply succeeds twice in a row" [ $? -eq 0 ]
expect "one table inet flowlock after applying twice" \
	[ "$(nft list tables | grep -c '^table inet flowlock$')" = 1 ]
verdicts "enforce applied twice" blocked par

# db restarts on a new address: the old ruleset does not know it, a new emit does.
docker rm -f flnft-db >/dev/null
ip4[db]=10.125.0.22
run db
make_attempts
docker exec flnft-api nc -w 2 10.125.0.22 5432 </dev/null >/dev/null 2>&1
expect "the stale ruleset blocks api -> db at its new address" [ $? -ne 0 ]
"$flowlock" emit --format nftables --docker "$sock" -o "$tmp/moved.nft" "$state" &&
	"$flowlock" apply "$tmp/moved.nft" >/dev/null 2>&1
expect "emit and apply for the new address" [ $? -eq 0 ]
verdicts "after db moved" blocked par

finish docker-nft
