#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# disk.sh - a full disk and a read-only state directory (root only).
#
#   fldisk-c 10.213.0.1 --- veth --- fldisk-s 10.213.0.2 (TCP 8080, 9090, 7070 served;
#                                               the agent captures here)
#
# The live agent keeps its state on a small tmpfs: filled, it says once that checkpoints fail,
# keeps learning, and says so again once when space is back and a checkpoint saved what it
# learned meanwhile; the same for a read-only remount; at exit, a save that still fails is exit
# status 2. Then every offline writer (learn, merge -o, emit -o in each format) on the full and
# on the read-only file system: exit 2, one line naming the file, the old file byte for byte as
# it was, no temporary file left. Everything runs in a mount namespace of its own (unshare -m),
# so no mount made here shows on the host; traffic goes only between these two namespaces.
# Usage: disk.sh FLOWLOCK SRCROOT
set -u
flowlock=$1
root=$2
[ "$(id -u)" = 0 ] || { echo "disk: not root, skipped"; exit 77; }
if [ -z "${FLDISK_MOUNT_NS:-}" ]; then
	unshare -m true 2>/dev/null || { echo "disk: no mount namespaces, skipped"; exit 77; }
	FLDISK_MOUNT_NS=1 exec unshare -m --propagation private "$0" "$@"
fi
ip netns add fldisk-probe 2>/dev/null && ip netns del fldisk-probe || { echo "disk: no netns, skipped"; exit 77; }
. "$(dirname "$0")/lib.sh"
require disk busybox
py=$(command -v /usr/bin/python3 || command -v python3) || { echo "disk: python3 missing: skipped"; exit 77; }
sample=$root/samples/shop
NS="fldisk-s fldisk-c"
fs=$tmp/fs

cleanup() {
	for ns in $NS; do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
	done
	for ns in $NS; do ip netns del "$ns" 2>/dev/null; done
	umount "$fs" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

inns() { local ns=$1; shift; ip netns exec "fldisk-$ns" "$@"; }

for ns in $NS; do ip netns del "$ns" 2>/dev/null; done
ip netns add fldisk-s
ip netns add fldisk-c
ip link add fldisk-v0 netns fldisk-s type veth peer name fldisk-v1 netns fldisk-c
ip -n fldisk-s link set lo up
ip -n fldisk-c link set lo up
ip -n fldisk-s addr add 10.213.0.2/24 dev fldisk-v0
ip -n fldisk-c addr add 10.213.0.1/24 dev fldisk-v1
ip -n fldisk-s link set fldisk-v0 up
ip -n fldisk-c link set fldisk-v1 up
for port in 8080 9090 7070; do
	inns s busybox nc -ll -p $port -e /bin/true >/dev/null 2>&1 &
done

# Who is who: docker inspect output, so that emit --format nftables has addresses too.
cat >"$tmp/inventory.json" <<'EOF'
[{"Id": "c1", "Name": "/client", "State": {"Running": true},
  "NetworkSettings": {"Networks": {"b": {"IPAddress": "10.213.0.1"}}}},
 {"Id": "s1", "Name": "/server", "State": {"Running": true},
  "NetworkSettings": {"Networks": {"b": {"IPAddress": "10.213.0.2"}}}}]
EOF

mkdir "$fs"
mount -t tmpfs -o size=256k,mode=755 fldisk "$fs" || { echo "disk: cannot mount a tmpfs"; exit 1; }

tcp() { # port: one served connection client -> server
	local i
	for i in 1 2 3 4 5; do # the listener may not be up yet
		echo hi | inns c busybox nc -w 2 10.213.0.2 "$1" >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	echo "disk: tcp to port $1 failed"
}
fill() { cat /dev/zero >"$fs/fill" 2>/dev/null; }
# Waits for a condition to hold: a guard against a hang, not a measure of speed.
wait_for() { # condition-command...
	for _ in $(seq 600); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}
temp_files() { ls -A "$fs" | grep -c '\.tmp\.'; }
edges() { # state: "PROTO PORT" of each edge, sorted, on one line
	learned_edges "$1" | awk '{print $3, $4}' | tr '\n' ' '
}
lines() { # file pattern: how many lines match
	grep -c -- "$2" "$1"
}

# ---- The live agent -----------------------------------------------------------------------

state=$fs/live.yaml
err=$tmp/live.err
ip netns exec fldisk-s "$flowlock" learn -q -i fldisk-v0 --inventory "$tmp/inventory.json" --state "$state" \
	--checkpoint 1 2>"$err" &
agent=$!
# the first checkpoint comes after the capture is open: traffic from then on is seen
expect "live: the first checkpoint is saved" wait_for test -s "$state"
tcp 8080
expect "live: the first edge is saved" \
	wait_for sh -c "'$flowlock' show '$state' 2>/dev/null | grep -q 'TCP  *8080'"

# full: one line, learning goes on, the state stays as it was
fill
expect "live, full: the failing checkpoint is said" \
	wait_for grep -q 'cannot save the state' "$err"
cp "$state" "$tmp/live.before"
tcp 9090
sleep 3.5 # three more checkpoints, all failing
expect "live, full: the agent runs on" kill -0 "$agent"
expect "live, full: said once, not at each checkpoint ($(cat "$err"))" \
	[ "$(lines "$err" 'cannot save the state')" -eq 1 ]
expect "live, full: the line names the file and the cause ($(head -n 1 "$err"))" \
	grep -qF "$state: writing: No space left on device" "$err"
expect "live, full: nothing else on stderr" [ "$(wc -l <"$err")" -eq 1 ]
expect "live, full: the state is as it was" cmp -s "$state" "$tmp/live.before"
expect "live, full: no temporary file ($(ls -A "$fs"))" [ "$(temp_files)" -eq 0 ]

# space is back: the next checkpoint saves what was learned meanwhile, and says so once
rm "$fs/fill"
expect "live, space back: recovery is said" wait_for grep -q 'saved again' "$err"
expect "live, space back: the state holds the edge learned while full" \
	[ "$(edges "$state")" = "TCP 8080 TCP 9090 " ]
sleep 1.5
expect "live, space back: recovery said once ($(cat "$err"))" \
	[ "$(lines "$err" 'saved again')" -eq 1 ]
expect "live, space back: the line names the file" grep -qF "$state: saved again, after" "$err"

# read-only: the same
mount -o remount,ro "$fs"
expect "live, read-only: the failing checkpoint is said" \
	wait_for sh -c "[ \$(grep -c 'cannot save the state' '$err') -eq 2 ]"
cp "$state" "$tmp/live.before"
tcp 7070
sleep 3.5
expect "live, read-only: the agent runs on" kill -0 "$agent"
expect "live, read-only: said once ($(cat "$err"))" \
	[ "$(lines "$err" 'cannot save the state')" -eq 2 ]
expect "live, read-only: the line names the file and the cause" \
	grep -qF "$state: creating a temporary file: Read-only file system" "$err"
expect "live, read-only: the state is as it was" cmp -s "$state" "$tmp/live.before"
mount -o remount,rw "$fs"
expect "live, writable again: recovery is said" \
	wait_for sh -c "[ \$(grep -c 'saved again' '$err') -eq 2 ]"
expect "live, writable again: the state holds the edge learned meanwhile" \
	[ "$(edges "$state")" = "TCP 7070 TCP 8080 TCP 9090 " ]

# still full at exit: the final save fails, exit status 2, the old state kept
fill
expect "live, full at exit: the failing checkpoint is said" \
	wait_for sh -c "[ \$(grep -c 'cannot save the state' '$err') -eq 3 ]"
cp "$state" "$tmp/live.before"
n=$(wc -l <"$err")
kill -TERM "$agent"
wait "$agent"
rc=$?
expect "live, full at exit: exit status 2 (rc $rc)" [ $rc -eq 2 ]
expect "live, full at exit: one line naming the file ($(tail -n +$((n + 1)) "$err"))" \
	[ "$(tail -n +$((n + 1)) "$err")" = "flowlock: $state: writing: No space left on device" ]
expect "live, full at exit: the state is as it was" cmp -s "$state" "$tmp/live.before"
expect "live, full at exit: no temporary file ($(ls -A "$fs"))" [ "$(temp_files)" -eq 0 ]
rm "$fs/fill"

# ---- The offline writers ------------------------------------------------------------------

bad_write() { # name target expected-substring command...
	local name=$1 target=$2 want=$3 rc
	shift 3
	if [ -e "$target" ]; then cp "$target" "$tmp/before"; else rm -f "$tmp/before"; fi
	"$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ $rc -ne 2 ]; then
		fail=$((fail + 1)); echo "FAIL: $name: exit $rc, expected 2"; cat "$tmp/err"
	elif [ "$(wc -l <"$tmp/err")" -ne 1 ] || ! grep -qF -- "$target: $want" "$tmp/err"; then
		fail=$((fail + 1)); echo "FAIL: $name: stderr is not one line with '$target: $want'"
		cat "$tmp/err"
	elif [ -e "$tmp/before" ] && ! cmp -s "$target" "$tmp/before"; then
		fail=$((fail + 1)); echo "FAIL: $name: $target changed"
	elif [ ! -e "$tmp/before" ] && [ -e "$target" ]; then
		fail=$((fail + 1)); echo "FAIL: $name: $target was created"
	elif [ "$(temp_files)" -ne 0 ]; then
		fail=$((fail + 1)); echo "FAIL: $name: a temporary file was left: $(ls -A "$fs")"
	else
		pass=$((pass + 1))
	fi
}

writers() { # what-is-wrong expected-substring
	local how=$1 want=$2 fmt
	bad_write "learn, $how" "$fs/shop.yaml" "$want" "$flowlock" learn -q -r "$sample/shop.pcapng" \
		--inventory "$sample/inventory.yaml" --state "$fs/shop.yaml"
	bad_write "learn of a new state, $how" "$fs/new.yaml" "$want" "$flowlock" learn -q \
		-r "$sample/shop.pcapng" --state "$fs/new.yaml"
	bad_write "merge -o, $how" "$fs/merged.yaml" "$want" "$flowlock" merge \
		-o "$fs/merged.yaml" "$fs/shop.yaml" "$state"
	for fmt in k8s json dot; do
		bad_write "emit --format $fmt -o, $how" "$fs/out.$fmt" "$want" \
			"$flowlock" emit -q --format $fmt -o "$fs/out.$fmt" "$fs/shop.yaml"
	done
	bad_write "emit --format nftables -o, $how" "$fs/out.nftables" "$want" \
		"$flowlock" emit -q --format nftables --inventory "$tmp/inventory.json" \
		-o "$fs/out.nftables" "$state"
}

# the files to protect, written while there is room
ok=true
"$flowlock" learn -q -r "$sample/shop.pcapng" --inventory "$sample/inventory.yaml" \
	--state "$fs/shop.yaml" || ok=false
"$flowlock" merge -o "$fs/merged.yaml" "$fs/shop.yaml" "$state" 2>"$tmp/merge.err" || ok=false
for fmt in k8s json dot; do
	"$flowlock" emit -q --format $fmt -o "$fs/out.$fmt" "$fs/shop.yaml" || ok=false
done
"$flowlock" emit -q --format nftables --inventory "$tmp/inventory.json" -o "$fs/out.nftables" \
	"$state" || ok=false
expect "offline: the files to protect were written" $ok

fill
writers "full" "writing: No space left on device"
rm "$fs/fill"
mount -o remount,ro "$fs"
writers "read-only" "creating a temporary file: Read-only file system"
mount -o remount,rw "$fs"

# a state directory that is a read-only bind mount of a writable one
mkdir "$fs/rw" "$tmp/ro"
cp "$fs/shop.yaml" "$fs/rw/shop.yaml"
mount --bind "$fs/rw" "$tmp/ro" && mount -o remount,bind,ro "$tmp/ro"
bad_write "learn, read-only bind mount" "$tmp/ro/shop.yaml" \
	"creating a temporary file: Read-only file system" "$flowlock" learn -q \
	-r "$sample/shop.pcapng" --inventory "$sample/inventory.yaml" --state "$tmp/ro/shop.yaml"
expect "read-only bind mount: no temporary file ($(ls -A "$fs/rw"))" \
	[ "$(ls -A "$fs/rw" | grep -c '\.tmp\.')" -eq 0 ]
umount "$tmp/ro"

finish disk
