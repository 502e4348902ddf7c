#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# docker-e2e.sh - the live agent on a real Docker Engine (root only).
#
# Starts a private dockerd (vfs storage, its own socket and data root), builds a busybox image
# with docker import, runs containers on an --internal network with fixed addresses, drives
# traffic between them (and from one started after the agent), and checks that
# `flowlock learn -i 'br-*' --conntrack --docker` names the containers and holds exactly the
# edges driven. Traffic goes only between these containers.
# Usage: docker-e2e.sh FLOWLOCK SRCROOT
set -u
flowlock=$1
[ "$(id -u)" = 0 ] || { echo "docker-e2e: not root, skipped"; exit 77; }
py=$(command -v /usr/bin/python3 || command -v python3)

. "$2/tests/docker-lib.sh"
. "$(dirname "$0")/lib.sh"
net=fle2e-net

trap 'dl_stop; rm -rf "$tmp"' EXIT
dl_start fle2e || exit 1
sock=$dl_sock
docker network create --internal --subnet 10.124.0.0/24 "$net" >/dev/null ||
	{ echo "docker-e2e: network create failed"; exit 1; }

run() { # name ip [labels...] -- command...
	local name=$1 ip=$2
	shift 2
	docker run -d --name "$name" --network "$net" --ip "$ip" "$@" >/dev/null 2>"$tmp/run.err" ||
		echo "docker-e2e: cannot start $name: $(head -c 300 "$tmp/run.err")"
}
run fle2e-api 10.124.0.11 fle2e-busybox:1 /bin/busybox nc -ll -p 8080 -e /bin/true
run fle2e-db 10.124.0.12 fle2e-busybox:1 /bin/busybox nc -ll -p 5432 -e /bin/true
run fle2e-cache 10.124.0.13 --label com.docker.compose.project=shop \
	--label com.docker.compose.service=cache fle2e-busybox:1 /bin/busybox nc -ll -p 6379 -e /bin/true
run fle2e-web 10.124.0.10 fle2e-busybox:1 /bin/busybox sleep 600
bridge=br-$(docker network inspect -f '{{.Id}}' "$net" | cut -c1-12)

state=$tmp/state.yaml
"$flowlock" learn -i 'br-*' --conntrack --docker "$sock" --state "$state" --checkpoint 2 \
	2>"$tmp/agent.err" &
agent=$!
sleep 2

tcp() { # container addr port
	docker exec "$1" /bin/busybox sh -c "echo hi | /bin/busybox nc -w 2 $2 $3" >/dev/null 2>&1 ||
		echo "docker-e2e: $1 -> $2:$3 failed"
}
for _ in 1 2 3; do
	tcp fle2e-web 10.124.0.11 8080
	tcp fle2e-api 10.124.0.12 5432
	tcp fle2e-web 10.124.0.13 6379
done
# a container that starts after the agent: named through the engine's event stream
run fle2e-late 10.124.0.14 fle2e-busybox:1 /bin/busybox sleep 600
sleep 1
tcp fle2e-late 10.124.0.11 8080
# an address that moves: db goes, db2 comes up on its address; the edge follows the owner
docker rm -f fle2e-db >/dev/null
run fle2e-db2 10.124.0.12 fle2e-busybox:1 /bin/busybox nc -ll -p 5432 -e /bin/true
sleep 1
tcp fle2e-api 10.124.0.12 5432
sleep 1.5
stop_agent learning "$agent" "$tmp/agent.err"
# the containers' edges: conntrack also sees this host's own connections, which are not the test's
same_text "the learned edges differ from the driven ones" "docker:fle2e-api docker:fle2e-db TCP 5432
docker:fle2e-api docker:fle2e-db2 TCP 5432
docker:fle2e-late docker:fle2e-api TCP 8080
docker:fle2e-web docker:fle2e-api TCP 8080
docker:fle2e-web docker:shop/cache TCP 6379" "$(learned_edges "$state" docker:)" "$tmp/agent.err"
expect "no packet was dropped" grep -q '^  pcap-drops: 0$' "$state"
expect "the network's bridge ($bridge) was captured" sh -c "grep -q '^  interfaces-seen: [1-9]' '$state'"
expect "conntrack events were read" sh -c "grep 'conntrack-events:' '$state' | grep -qv ': 0$'"
# the agent's run is the window, and every container the engine ran was seen running, even
# shop/cache, which only answered
"$flowlock" show --coverage --format json "$state" | "$py" -c '
import json, sys
c = json.load(sys.stdin)
assert c["window"]["spans"] == 1 and c["window"]["watched_seconds"] >= 5, c["window"]
assert c["never_seen_running"] == [], c["never_seen_running"]
assert c["workloads"]["container"]["seen_running"] == 6, c["workloads"]' 2>"$tmp/cov.err"
rc=$?
expect "the run is the window, and every container ran ($(tail -n 1 "$tmp/cov.err"))" [ $rc -eq 0 ]

# Drift: check, live, against what was just learned. A learned call is not reported; a new
# one (web -> db2:5432) is, as one JSON line, while check still runs.
"$flowlock" check --baseline "$state" -i 'br-*' --conntrack --docker "$sock" --format json \
	>"$tmp/check.out" 2>"$tmp/check.err" &
checker=$!
sleep 2
tcp fle2e-web 10.124.0.11 8080
tcp fle2e-web 10.124.0.12 5432
for _ in $(seq 50); do [ -s "$tmp/check.out" ] && break; sleep 0.1; done
sleep 1
expect "check reports the new edge while it runs, as one JSON line" "$py" -c '
import json, sys
lines = open(sys.argv[1]).read().splitlines()
got = [(v["client"], v["server"], v["protocol"], v["port"]) for v in map(json.loads, lines)]
sys.exit(got != [("docker:fle2e-web", "docker:fle2e-db2", "TCP", 5432)])' "$tmp/check.out"
kill -TERM "$checker"
wait "$checker"
rc=$?
expect "check exits 1 after a violation (rc $rc: $(head -c 200 "$tmp/check.err"))" [ $rc -eq 1 ]
expect "check ends with its summary" sh -c "tail -n 1 '$tmp/check.out' | grep -q '\"event\": \"summary\"'"

# The engine restarts under a running agent: naming resumes when it is back. The containers
# stop with the engine; api comes back on its fixed address, and a container created after
# the restart is named.
state2=$tmp/state2.yaml
"$flowlock" learn -i 'br-*' --docker "$sock" --state "$state2" 2>"$tmp/agent2.err" &
agent=$!
sleep 2
dl_engine_stop && dl_engine_start docker-e2e
docker start fle2e-api >/dev/null
for _ in $(seq 100); do grep -q 'naming containers again' "$tmp/agent2.err" && break; sleep 0.1; done
expect "the agent says the engine is back ($(tail -n 2 "$tmp/agent2.err" | tr '\n' ' '))" \
	grep -q 'naming containers again' "$tmp/agent2.err"
run fle2e-new 10.124.0.15 fle2e-busybox:1 /bin/busybox sleep 600
sleep 1
tcp fle2e-new 10.124.0.11 8080
sleep 1.5
stop_agent "after the engine restarted" "$agent" "$tmp/agent2.err"
got=$(learned_edges "$state2")
expect "a container created after the restart is named ($(echo "$got" | tr '\n' ';'))" \
	grep -qx 'docker:fle2e-new docker:fle2e-api TCP 8080' <<<"$got"

finish docker-e2e
