#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# docker-image.sh - the agent image on a real Docker Engine (root only).
#
# Builds the image offline (tools/build-image: the built flowlock and its libraries, imported),
# checks it is non-root by default and runs as a plain command, then runs it as the agent the
# way an operator would (--network host, --cap-add NET_RAW --cap-add NET_ADMIN, the engine's
# socket mounted read-only, a state volume) next to the host's own binary learning the same
# traffic, with the Compose sample's service (samples/compose) and an agent that becomes nobody
# after opening its handles (as the DaemonSet runs it) beside them, while two
# containers on an --internal network talk. The image's state must hold exactly those edges,
# the same as the host binary's and the Compose service's. Traffic goes only between these
# containers.
# Usage: docker-image.sh FLOWLOCK SRCROOT
set -u
flowlock=$1 src=$2
[ "$(id -u)" = 0 ] || { echo "docker-image: not root, skipped"; exit 77; }
command -v docker-compose >/dev/null || { echo "docker-image: docker-compose missing, skipped"; exit 77; }
py=$(command -v /usr/bin/python3 || command -v python3)
. "$src/tests/docker-lib.sh"
. "$src/tests/lib.sh"
net=flimg-net

host_agent=
trap '[ -n "$host_agent" ] && kill "$host_agent" 2>/dev/null; dl_stop; rm -rf "$tmp"' EXIT
dl_start flimg || exit 1
sock=$dl_sock
image=$("$src/tools/build-image" "$(dirname "$flowlock")" flowlock-test:1 2>"$tmp/build.err")
expect "tools/build-image builds the image ($(head -c 300 "$tmp/build.err"))" [ "$image" = flowlock-test:1 ]
expect "the image runs as 65534 by default" \
	[ "$(docker image inspect -f '{{.Config.User}}' flowlock-test:1)" = 65534:65534 ]
expect "its entry point is flowlock" \
	sh -c "docker run --rm flowlock-test:1 --version | grep -qx 'flowlock $("$flowlock" --version | awk '{print $NF}')'"
docker run --rm --entrypoint /usr/bin/flowlock flowlock-test:1 --help >"$tmp/help.txt" 2>&1
expect "flowlock runs in it, as nobody, with its libraries" grep -q '^Usage: flowlock' "$tmp/help.txt"

docker network create --internal --subnet 10.126.0.0/24 "$net" >/dev/null ||
	{ echo "docker-image: network create failed"; exit 1; }
run() { # name ip command...
	local name=$1 ip=$2
	shift 2
	docker run -d --name "$name" --network "$net" --ip "$ip" "$dl_image" "$@" >/dev/null 2>"$tmp/run.err" ||
		echo "docker-image: cannot start $name: $(head -c 300 "$tmp/run.err")"
}
run flimg-api 10.126.0.11 /bin/busybox nc -ll -p 8080 -e /bin/true
run flimg-web 10.126.0.10 /bin/busybox sleep 600

# the agent from the image, and the host's binary, on the same bridges
mkdir -p "$tmp/vol"
docker run -d --name flimg-agent --user 0 --network host --cap-add NET_RAW --cap-add NET_ADMIN \
	-v "$sock:/var/run/docker.sock:ro" -v "$tmp/vol:/var/lib/flowlock" flowlock-test:1 \
	learn -i 'br-*' --conntrack --docker --state /var/lib/flowlock/state.yaml >/dev/null \
	2>"$tmp/agent-run.err"
rc=$?
expect "the agent container starts ($(head -c 300 "$tmp/agent-run.err"))" [ $rc -eq 0 ]
# and, as the DaemonSet runs it (no engine socket to keep), one that becomes nobody once its
# handles are open
mkdir -p "$tmp/vol-nobody"
chown 65534:65534 "$tmp/vol-nobody"
docker run -d --name flimg-nobody --user 0 --network host --cap-add NET_RAW --cap-add NET_ADMIN \
	-v "$tmp/vol-nobody:/var/lib/flowlock" flowlock-test:1 \
	learn -i 'br-*' --conntrack --state /var/lib/flowlock/state.yaml --user nobody >/dev/null \
	2>"$tmp/nobody-run.err"
rc=$?
expect "the --user nobody agent starts ($(head -c 300 "$tmp/nobody-run.err"))" [ $rc -eq 0 ]
# and the Compose sample's service, its engine socket, state folder and image swapped for the
# test's: the sample's own run otherwise
mkdir -p "$tmp/vol-compose"
cat >"$tmp/compose.override.yaml" <<EOF
services:
  flowlock-agent:
    image: flowlock-test:1
    volumes:
      - $sock:/var/run/docker.sock:ro
      - $tmp/vol-compose:/var/lib/flowlock
EOF
compose=(docker-compose -p flimg -f "$src/samples/compose/compose.yaml" -f "$tmp/compose.override.yaml")
"${compose[@]}" up -d >"$tmp/compose.log" 2>&1
rc=$?
expect "the Compose sample's agent starts ($(tail -n 2 "$tmp/compose.log" | tr '\n' ' '))" [ $rc -eq 0 ]
"$flowlock" learn -i 'br-*' --conntrack --docker "$sock" --state "$tmp/host.yaml" 2>"$tmp/host.err" &
host_agent=$!
sleep 3

pid=$(docker inspect -f '{{.State.Pid}}' flimg-nobody)
expect "it runs as nobody, with CAP_NET_RAW and CAP_NET_ADMIN only ($(grep -E '^(Uid|CapEff)' "/proc/$pid/status" 2>/dev/null | tr '\n\t' '  '))" \
	sh -c "grep -q '^Uid:[[:space:]]*65534[[:space:]]' /proc/$pid/status && grep -q '^CapEff:[[:space:]]*0*3000$' /proc/$pid/status"
for _ in 1 2 3; do
	docker exec flimg-web /bin/busybox sh -c "echo hi | /bin/busybox nc -w 2 10.126.0.11 8080" \
		>/dev/null 2>&1 || echo "docker-image: web -> api failed"
done
sleep 1.5
docker stop -t 30 flimg-agent >/dev/null
expect "the agent container exits 0 on SIGTERM ($(docker logs flimg-agent 2>&1 | tail -n 2 | tr '\n' ' '))" \
	[ "$(docker inspect -f '{{.State.ExitCode}}' flimg-agent)" = 0 ]
docker stop -t 30 flimg-nobody >/dev/null
expect "the --user nobody agent exits 0 on SIGTERM ($(docker logs flimg-nobody 2>&1 | tail -n 2 | tr '\n' ' '))" \
	[ "$(docker inspect -f '{{.State.ExitCode}}' flimg-nobody)" = 0 ]
stop_agent "the host's agent" "$host_agent" "$tmp/host.err"
host_agent=
"${compose[@]}" stop -t 30 >>"$tmp/compose.log" 2>&1
expect "the Compose sample's agent exits 0 on SIGTERM" \
	[ "$(docker inspect -f '{{.State.ExitCode}}' "$("${compose[@]}" ps -q flowlock-agent)")" = 0 ]
"${compose[@]}" down >>"$tmp/compose.log" 2>&1

# the containers' edges: conntrack also sees this host's own connections, which are not the test's
image_edges=$(learned_edges "$tmp/vol/state.yaml" docker:)
same_text "the image's agent learned exactly the driven edge" \
	"docker:flimg-web docker:flimg-api TCP 8080" "$image_edges"
same_text "the image's agent and the host's binary learned the same" \
	"$(learned_edges "$tmp/host.yaml" docker:)" "$image_edges"
expect "the image's agent saw a bridge" grep -q '^  interfaces-seen: [1-9]' "$tmp/vol/state.yaml"
same_text "the Compose sample's agent learned the same" "$image_edges" \
	"$(learned_edges "$tmp/vol-compose/state.yaml" docker:)"

# without names (no --docker), the same edge between the containers' addresses
same_text "the --user nobody agent learned the driven edge, by address" \
	"external:10.126.0.10/32 external:10.126.0.11/32 TCP 8080" \
	"$(learned_edges "$tmp/vol-nobody/state.yaml" external:10.126.)"

# the state it wrote reads with the image's default, unprivileged user
docker run --rm -v "$tmp/vol:/var/lib/flowlock:ro" flowlock-test:1 show state.yaml >"$tmp/show.txt" 2>&1
expect "show reads the state in the image as nobody" grep -q 'flimg-api' "$tmp/show.txt"
docker rmi flowlock-test:1 >/dev/null 2>&1

finish docker-image
