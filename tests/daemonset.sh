#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# daemonset.sh - the DaemonSet sample's pod, run here as its containers would run (root only).
# There is no cluster: kubectl is a stand-in that replays recorded watch streams
# (tests/data/watch) and exits, as a watch does when the API server ends it. The sample's own
# scripts run with its paths moved into a temporary folder: the init container makes the FIFOs,
# the sidecar starts a watch per kind and starts each again when it ends, and the agent, with
# the sample's own options, reads them as streams, becomes nobody, and reopens each FIFO.
# Usage: daemonset.sh FLOWLOCK SRCROOT
set -u
flowlock=$1
root=$2
[ "$(id -u)" = 0 ] || { echo "daemonset: not root, skipped"; exit 77; }
ip netns add fld-probe 2>/dev/null && ip netns del fld-probe || { echo "daemonset: no netns, skipped"; exit 77; }
. "$(dirname "$0")/lib.sh"
py=$(find_python yaml) || { echo "daemonset: python3 with yaml missing: skipped"; exit 77; }
chmod 755 "$tmp"
# the sidecar is a process group of its own (job control), so that its sleeps end with it
sidecar=
trap '[ -n "$sidecar" ] && kill -- -"$sidecar" 2>/dev/null
	ip netns pids fld-node 2>/dev/null | xargs -r kill -9 2>/dev/null
	ip netns del fld-node 2>/dev/null; rm -rf "$tmp"' EXIT

# each container's command, with the sample's folders moved under $tmp
"$py" - "$root/samples/k8s/flowlock-agent.yaml" "$tmp" <<'EOF'
import shlex, sys, yaml
ds = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d and d["kind"] == "DaemonSet"][0]
spec = ds["spec"]["template"]["spec"]
out = sys.argv[2]
def moved(s):
    return s.replace("/run/flowlock", out + "/run").replace("/var/lib/flowlock", out + "/state")
for c in spec["initContainers"] + spec["containers"]:
    cmd = [moved(a) for a in c["command"]]
    if c["name"] == "agent":
        # as a pod would: the node's name, and a run that ends
        cmd = [a.replace("$(NODE_NAME)", "worker-1") for a in cmd] + ["--duration=12"]
    with open("%s/%s.cmd" % (out, c["name"]), "w") as f:
        f.write(" ".join(shlex.quote(a) for a in cmd[1:]) + "\n")
EOF
mkdir -p "$tmp/run" "$tmp/state" "$tmp/bin"
# kubectl: a watch replays its recording, then ends; a list prints one controller
cat >"$tmp/bin/kubectl" <<EOF
#!/bin/sh
case "\$*" in
*--watch*pods* | *pods*--watch*) cat "$root/tests/data/watch/churn-1.json" ;;
*--watch*services* | *services*--watch*) cat "$root/tests/data/watch/endpoints-1.json" ;;
*--watch*) ;;
*deployments*) printf 'apiVersion: v1\nkind: List\nitems:\n- {apiVersion: apps/v1, kind: Deployment, metadata: {name: idle, namespace: shop}}\n' ;;
*) exit 1 ;;
esac
echo "\$*" >>"$tmp/kubectl.log"
EOF
chmod 755 "$tmp/bin/kubectl"

export PATH="$tmp/bin:$PATH"
eval "busybox sh $(cat "$tmp/state-owner.cmd")"
expect "init: the FIFOs are made" [ -p "$tmp/run/pods.json" ]
expect "init: the FIFOs are nobody's" [ "$(stat -c %u "$tmp/run/nodes.json")" = 65534 ]
eval "sh $(cat "$tmp/first-inventory.cmd")"
expect "init: the controllers are listed" grep -q 'name: idle' "$tmp/run/controllers.yaml"

# the node: a network namespace of its own, so the sample's interface patterns match nothing
ip netns add fld-node
set -m
eval "sh $(cat "$tmp/inventory.cmd")" >"$tmp/sidecar.out" 2>"$tmp/sidecar.err" &
sidecar=$!
set +m
eval "ip netns exec fld-node \"$flowlock\" $(cat "$tmp/agent.cmd")" 2>"$tmp/agent.err"
rc=$?
expect "the agent ran with the sample's options and ended well (rc $rc: $(tail -n 2 "$tmp/agent.err" | tr '\r\n' '  '))" \
	[ $rc -eq 0 ]
state=$tmp/state/worker-1.yaml
for id in k8s:shop/deployment/web k8s:shop/deployment/cart k8s:shop/statefulset/db \
	k8s:shop/deployment/idle node:worker-1; do
	expect "the state knows $id from the streams and the list" grep -q -- "- id: $id$" "$state"
done
expect "the agent reopened a FIFO whose watch ended ($(grep -c reopening "$tmp/agent.err"))" \
	grep -q "pods.json: the stream ended (its writer closed it); reopening it" "$tmp/agent.err"
expect "the sidecar started a watch again once it ended" \
	[ "$(grep -c -- '^get pods -A --watch' "$tmp/kubectl.log")" -ge 2 ]
expect "the agent became nobody (the state is nobody's)" [ "$(stat -c %u "$state")" = 65534 ]
finish daemonset
