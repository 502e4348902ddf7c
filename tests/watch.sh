#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# watch.sh - the live agent reading its inventory as a watch (root only). There is no API
# server here: this script is the writer `kubectl get pods -A --watch --output-watch-events
# -o json` would be, into a FIFO, while namespaces play the pods and send real traffic.
#
#   flw-a   10.81.0.2 --+-- br-flw in flw-host (the agent: -i br-flw -i vfw-*)
#   flw-srv 10.81.0.3 --+   cart: TCP 8080 and 8081
#   flw-late 10.81.0.4 -+   (a pod the stream lists after it was cut and reopened)
#
# flw-a is pod web first. While web holds a connection open to cart:8081, the stream deletes web
# and adds search, a pod of another Deployment, with the same address. The connection began
# while web held the address, so it is web's edge, though it ends after search was known; what
# flw-a sends then is search's. Then the writer dies mid-event; a new writer lists everything
# again, and sends a malformed event and a line of garbage. The agent says each, keeps going,
# and learns exactly the edges driven here. Traffic goes only between these namespaces.
# Usage: watch.sh FLOWLOCK SRCROOT
set -u
flowlock=$1
root=$2
[ "$(id -u)" = 0 ] || { echo "watch: not root, skipped"; exit 77; }
ip netns add flw-probe 2>/dev/null && ip netns del flw-probe || { echo "watch: no netns, skipped"; exit 77; }
py=$(command -v /usr/bin/python3 || command -v python3)
[ -n "$py" ] || { echo "watch: python3 missing"; exit 1; }

. "$(dirname "$0")/lib.sh"
chmod 755 "$tmp"
NS="flw-host flw-a flw-srv flw-late"
make="$root/tests/data/watch/make.py"

cleanup() { netns_cleanup $NS; }
trap 'cleanup; rm -rf "$tmp"' EXIT

inns() { local ns=$1; shift; ip netns exec "flw-$ns" "$@"; }

pod() { # name address
	ip netns add "flw-$1"
	ip link add "vfw-$1" netns flw-host type veth peer name eth0 netns "flw-$1"
	ip -n "flw-$1" link set lo up
	ip -n "flw-$1" addr add "$2/24" dev eth0
	ip -n "flw-$1" link set eth0 up
	ip -n flw-host link set "vfw-$1" master br-flw up
}

cleanup
ip netns add flw-host
ip -n flw-host link set lo up
ip -n flw-host link add br-flw type bridge
ip -n flw-host link set br-flw up
pod a 10.81.0.2
pod srv 10.81.0.3
# cart: reads until the client closes, then closes, on both ports
inns srv "$py" -c '
import socket, threading
def serve(port):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("10.81.0.3", port))
    s.listen(16)
    while True:
        c, _ = s.accept()
        threading.Thread(target=lambda c=c: (c.recv(512) and None, c.close()), daemon=True).start()
for p in (8080, 8081):
    threading.Thread(target=serve, args=(p,), daemon=True).start()
threading.Event().wait()' >/dev/null 2>&1 &

connect() { # from port seconds-open
	inns "$1" "$py" -c "
import socket, sys, time
s = socket.create_connection(('10.81.0.3', $2), timeout=5)
time.sleep($3)
s.sendall(b'bye')
s.close()" || echo "watch: $1 -> cart:$2 failed"
}

event() { # TYPE APP IP START-EPOCH
	"$py" "$make" event "$@"
}

# the agent's state lists every workload the inventory knows: wait until it has this one
wait_known() { # workload-id
	for _ in $(seq 300); do
		grep -q -- "$1" "$tmp/state.yaml" 2>/dev/null && return 0
		kill -0 "$agent" 2>/dev/null || { echo "watch: FAIL: the agent is gone: $(tail -n 1 "$tmp/agent.err")"; exit 1; }
		sleep 0.1
	done
	echo "watch: the agent never knew $1"
	return 1
}

wait_said() { # text
	for _ in $(seq 300); do
		grep -qF -- "$1" "$tmp/agent.err" && return 0
		sleep 0.1
	done
	echo "watch: the agent never said: $1"
	return 1
}

mkfifo "$tmp/pods.json"
now=$(date +%s)
# the Namespace comes as YAML on a pipe: read to its end, once
ip netns exec flw-host "$flowlock" learn -i br-flw -i 'vfw-*' --checkpoint 1 \
	--inventory "$tmp/pods.json" \
	--inventory <(printf 'apiVersion: v1\nkind: Namespace\nmetadata: {name: t, labels: {team: shop}}\n') \
	--state "$tmp/state.yaml" 2>"$tmp/agent.err" &
agent=$!
# the writer, open until it dies (read-write: the test goes on, and fails, if the agent is gone)
exec 3<>"$tmp/pods.json" # never blocks, even if the agent died
{ event ADDED web 10.81.0.2 $((now - 3600)); event ADDED cart 10.81.0.3 $((now - 7200)); } >&3
wait_known k8s:t/deployment/cart

connect a 8080 0
# web's connection stays open while web is deleted and search takes its address
connect a 8081 6 &
long=$!
sleep 2
search_start=$(date +%s)
{
	event MODIFIED web 10.81.0.2 $((now - 3600))
	event DELETED web 10.81.0.2 $((now - 3600))
	event ADDED search 10.81.0.2 "$search_start" s3rch
} >&3
wait_known k8s:t/deployment/search
sleep 0.2 # the last checkpoint was written before or after the rebuild: one more round
connect a 8080 0
wait "$long"

# the writer dies mid-event; a new one lists again, and sends what is broken
event MODIFIED cart 10.81.0.3 $((now - 7200)) | head -c 400 >&3
exec 3>&-
wait_said "the stream ended (its writer closed it); reopening it"
pod late 10.81.0.4
exec 3<>"$tmp/pods.json" # never blocks, even if the agent died
{
	event ADDED cart 10.81.0.3 $((now - 7200))
	event ADDED search 10.81.0.2 "$search_start" s3rch
	echo "E1203 03:12:44.861 reflector.go:147 failed to list *v1.Pod: the server is shutting down"
	event ADDED bad 10.81.0.300 "$now"
	event ADDED late 10.81.0.4 "$(date +%s)" l4te
} >&3
wait_known k8s:t/deployment/late
wait_said "a writer is back"
sleep 1 # the links of flw-late are attached on their notification
connect late 8080 0
connect a 8080 0
sleep 2.5 # quiet: the relisting is over (web is not listed again: it is gone already)
exec 3>&-
sleep 1.5
stop_agent "watch" "$agent" "$tmp/agent.err"

EXPECTED="k8s:t/deployment/late k8s:t/deployment/cart TCP 8080
k8s:t/deployment/search k8s:t/deployment/cart TCP 8080
k8s:t/deployment/web k8s:t/deployment/cart TCP 8080
k8s:t/deployment/web k8s:t/deployment/cart TCP 8081"
same_text "the edges learned are those driven, each by who held the address when it began" \
	"$EXPECTED" "$(learned_edges "$tmp/state.yaml")"
for said in "inventory streams: " \
	"a value cut off by the stream's end: dropped" \
	"warning: $tmp/pods.json: the stream ended (its writer closed it); reopening it" \
	"$tmp/pods.json: a writer is back; what it does not list again is taken as deleted" \
	"bytes that begin no JSON value: skipped" \
	"invalid IP address \"10.81.0.300\" on pod t/bad-5d6e7f8a9-a1b2c: skipped" \
	"note: /dev/fd/"; do
	expect "the agent said: $said" grep -qF -- "$said" "$tmp/agent.err"
done
expect "the agent said nothing it should not ($(grep -v -e 'packets, ' -e 'warning: ' \
	-e 'a writer is back' -e 'inventory streams:' -e 'note: /dev/fd/' "$tmp/agent.err" | head -3))" \
	[ -z "$(grep -v -e 'packets, ' -e 'warning: ' -e 'a writer is back' \
		-e 'inventory streams:' -e 'note: /dev/fd/' "$tmp/agent.err")" ]
finish watch
