# SPDX-License-Identifier: Apache-2.0
# docker-lib.sh - sourced by the Docker suites: a private Docker Engine and a busybox image.
#
# dl_start NAME starts dockerd with vfs storage, its own socket, data and exec roots under a
# fresh temporary folder ($dl_tmp), points the docker CLI at it (DOCKER_HOST) and imports the
# image NAME-busybox:1 built from busybox and its applet links, so no registry is needed, and
# checks that docker exec runs inside it.
# dl_stop removes every container and network of that engine, stops it and the folder.
# dl_engine_stop and dl_engine_start restart the engine alone (its containers stop with it).
dl_tmp= dl_sock= dl_image=

dl_engine_start() { # prefix
	dockerd --storage-driver=vfs --data-root "$dl_tmp/root" --exec-root "$dl_tmp/exec" \
		-H "unix://$dl_sock" --pidfile "$dl_tmp/dockerd.pid" >>"$dl_tmp/dockerd.log" 2>&1 &
	for _ in $(seq 100); do docker version >/dev/null 2>&1 && return 0; sleep 0.3; done
	echo "$1: dockerd did not start"
	tail -5 "$dl_tmp/dockerd.log"
	return 1
}

dl_engine_stop() { # waits for the process to end, not only its socket
	local pid
	[ -f "$dl_tmp/dockerd.pid" ] || return 0
	pid=$(cat "$dl_tmp/dockerd.pid")
	kill "$pid" 2>/dev/null || return 0
	for _ in $(seq 150); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.2; done
	kill -9 "$pid" 2>/dev/null
	return 1
}

dl_start() {
	local prefix=$1 tool applet
	for tool in dockerd docker busybox; do
		command -v "$tool" >/dev/null || { echo "$prefix: $tool missing"; return 1; }
	done
	dl_tmp=$(mktemp -d "/tmp/$prefix.XXXXXX")
	dl_sock=$dl_tmp/docker.sock
	export DOCKER_HOST=unix://$dl_sock
	dl_engine_start "$prefix" || return 1
	mkdir -p "$dl_tmp/image/bin"
	cp "$(command -v busybox)" "$dl_tmp/image/bin/busybox"
	for applet in sh nc sleep cat true echo ping; do ln -s busybox "$dl_tmp/image/bin/$applet"; done
	dl_image=$prefix-busybox:1
	: >"$dl_tmp/image/.flowlock-image"
	tar -C "$dl_tmp/image" -c . | docker import - "$dl_image" >/dev/null ||
		{ echo "$prefix: docker import failed"; return 1; }
	dl_check_exec "$prefix"
}

# docker exec must run inside the container's image. When the suite runs in a root entered with
# chroot, the mount namespace's root stays the host's: runc moves a container's first process
# into its image, but exec joins the namespace and lands on the host's files, where "nc" or
# "ping" is the host's, or nothing (docker run still works, so only a check with exec tells).
dl_check_exec() { # prefix
	local ok=0
	docker run -d --name "$1-execcheck" --network none "$dl_image" /bin/busybox sleep 60 \
		>/dev/null 2>&1 &&
		docker exec "$1-execcheck" /bin/busybox test -e /.flowlock-image 2>/dev/null && ok=1
	docker rm -f "$1-execcheck" >/dev/null 2>&1
	[ $ok = 1 ] && return 0
	echo "$1: docker exec does not run inside the container's image: is this a chroot? runc" \
		"needs / to be the root of its mount namespace (enter the root with pivot_root, or" \
		"run the suite on the host)"
	return 1
}

dl_stop() {
	[ -n "$dl_tmp" ] || return 0
	if [ -S "$dl_sock" ]; then
		docker ps -aq | xargs -r docker rm -f >/dev/null 2>&1
		docker network ls -q --filter type=custom | xargs -r docker network rm >/dev/null 2>&1
	fi
	dl_engine_stop
	# what the engine leaves mounted there (exec-root/netns/default, after a container ran in
	# the host's network)
	awk -v d="$dl_tmp/" 'index($2, d) == 1 {print $2}' /proc/mounts | sort -r |
		xargs -r -n 1 umount -l 2>/dev/null
	rm -rf "$dl_tmp"
}
