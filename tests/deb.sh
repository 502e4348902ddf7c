#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# deb.sh - the Debian package, built and installed as an operator would (root only).
#
# Builds flowlock_*.deb from a copy of the source (dpkg-buildpackage -us -uc -b; the unit suites
# run elsewhere in tests/run, so nocheck), has lintian find no error or warning in it, then
# installs it with apt into a fresh Debian bookworm root (debootstrap --variant=minbase, from
# this host's Debian mirror, systemd added first as on a real host): the files are where the
# package says, /etc/default/flowlock is a conffile, the postinst made the flowlock user in the
# docker group, both units pass systemd-analyze verify there, the installed program and man
# page run, and a purge leaves nothing behind. Last, dist/Containerfile builds the image from
# the package on a private Docker Engine, the fresh root standing in for debian:bookworm-slim.
# Usage: deb.sh SRCROOT
set -u
src=$1
[ "$(id -u)" = 0 ] || { echo "deb: not root, skipped"; exit 77; }
for tool in dpkg-buildpackage dh lintian debootstrap fakeroot; do
	command -v "$tool" >/dev/null || { echo "deb: $tool missing, skipped"; exit 77; }
done
. "$src/tests/lib.sh"
root=$tmp/root
cleanup() {
	# the root holds bind mounts of the host's /dev: never remove through one
	for m in dev/pts dev sys proc; do umount -l "$root/$m" 2>/dev/null; done
	if awk -v d="$root/" 'index($2, d) == 1 {found = 1} END {exit !found}' /proc/mounts; then
		echo "deb: something is still mounted under $root: left in place"
		return
	fi
	rm -rf --one-file-system "$tmp"
}
trap cleanup EXIT

# the source as committed plus what is not yet (never the build folders)
mkdir -p "$tmp/src"
if git -C "$src" rev-parse >/dev/null 2>&1; then
	(cd "$src" && { git ls-files; git ls-files -o --exclude-standard; } | tar -cf - -T -) |
		tar -xf - -C "$tmp/src"
else
	tar -C "$src" --exclude='./build*' -cf - . | tar -xf - -C "$tmp/src"
fi
(cd "$tmp/src" && DEB_BUILD_OPTIONS=nocheck dpkg-buildpackage -us -uc -b) >"$tmp/build.log" 2>&1
rc=$?
expect "dpkg-buildpackage -us -uc -b ($(tail -n 2 "$tmp/build.log" | tr '\n' ' '))" [ $rc -eq 0 ]
deb=$(ls "$tmp"/flowlock_*.deb 2>/dev/null | head -n 1)
[ -n "$deb" ] || { echo "deb: no flowlock_*.deb built"; tail -20 "$tmp/build.log"; exit 1; }

lintian "$tmp"/flowlock_*.changes >"$tmp/lintian.out" 2>&1
expect "lintian finds no error or warning ($(grep -E '^[EW]:' "$tmp/lintian.out" | head -3 | tr '\n' ' '))" \
	sh -c "! grep -qE '^[EW]:' '$tmp/lintian.out'"

# a fresh bookworm from the mirror this host's apt uses
mirror=$(awk '/^URIs:/ {print $2; exit}
	/^deb / {for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) {print $i; exit}}' \
	/etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null | head -n 1)
debootstrap --variant=minbase bookworm "$root" "${mirror:-http://deb.debian.org/debian}" \
	>"$tmp/debootstrap.log" 2>&1 || { echo "deb: debootstrap failed"; tail -5 "$tmp/debootstrap.log"; exit 1; }
# the Containerfile's base, debian:bookworm-slim, stood in for by that fresh root as it is now
tar -C "$root" --numeric-owner -cf "$tmp/base.tar" . 2>/dev/null
mount -t proc proc "$root/proc" && mount -t sysfs sysfs "$root/sys" &&
	mount --bind /dev "$root/dev" && mount --bind /dev/pts "$root/dev/pts"
cp /etc/resolv.conf "$root/etc/resolv.conf"
# no service starts in the root, as in a container or an image build
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod +x "$root/usr/sbin/policy-rc.d"
cp "$deb" "$root/tmp/"
in_root() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
	DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 /bin/sh -c "$1"; }
in_root "apt-get update -qq && apt-get install -y -qq --no-install-recommends systemd man-db" \
	>"$tmp/apt.log" 2>&1 || { echo "deb: apt in the root failed"; tail -5 "$tmp/apt.log"; exit 1; }
in_root "apt-get install -y -qq --no-install-recommends /tmp/$(basename "$deb")" >"$tmp/install.log" 2>&1
rc=$?
expect "apt installs the package into a fresh bookworm ($(tail -n 2 "$tmp/install.log" | tr '\n' ' '))" \
	[ $rc -eq 0 ]

files=$(in_root "dpkg -L flowlock" | sort)
for f in /usr/bin/flowlock /etc/default/flowlock /lib/systemd/system/flowlock-agent.service \
	/lib/systemd/system/flowlock-apply.service /usr/lib/sysusers.d/flowlock.conf \
	/usr/share/man/man8/flowlock.8.gz /usr/share/man/man8/flowlock-learn.8.gz \
	/usr/share/bash-completion/completions/flowlock /usr/share/zsh/vendor-completions/_flowlock \
	/usr/share/flowlock/samples/k8s/flowlock-agent.yaml /usr/share/flowlock/samples/compose/compose.yaml; do
	expect "the package installs $f" grep -qx "$f" <<<"$files"
done
expect "/etc/default/flowlock is a conffile" \
	sh -c "chroot '$root' dpkg-query -W -f='\${Conffiles}' flowlock | grep -q /etc/default/flowlock"
expect "the postinst made the flowlock system user and the docker group" \
	sh -c "chroot '$root' id -u flowlock >/dev/null && chroot '$root' getent group docker >/dev/null"
for unit in flowlock-agent flowlock-apply; do
	in_root "systemd-analyze verify /lib/systemd/system/$unit.service" >"$tmp/verify.out" 2>&1
	rc=$?
	expect "systemd-analyze verify $unit.service in the root (rc $rc: $(head -c 300 "$tmp/verify.out"))" \
		test $rc -eq 0 -a ! -s "$tmp/verify.out"
done
expect "the agent is not enabled on install" \
	sh -c "! chroot '$root' systemctl is-enabled flowlock-agent.service >/dev/null 2>&1"
expect "the installed flowlock runs" sh -c "chroot '$root' flowlock --help | grep -q '^Usage: flowlock'"
expect "man flowlock-learn finds the page" \
	sh -c "chroot '$root' env MANWIDTH=80 man flowlock-learn 2>/dev/null | grep -q '^NAME'"

in_root "apt-get purge -y -qq flowlock" >"$tmp/purge.log" 2>&1
expect "apt purges it" [ $? -eq 0 ]
expect "nothing of it is left" sh -c "[ ! -e '$root/usr/bin/flowlock' ] && [ ! -e '$root/etc/default/flowlock' ] && \
	[ ! -e '$root/lib/systemd/system/flowlock-agent.service' ]"

# dist/Containerfile, on a private engine: the image from the package, and what it runs
if command -v dockerd >/dev/null && command -v busybox >/dev/null; then
	. "$src/tests/docker-lib.sh"
	trap 'dl_stop; cleanup' EXIT
	if dl_start fldeb; then
		docker import "$tmp/base.tar" debian:bookworm-slim >/dev/null
		mkdir -p "$tmp/ctx"
		cp "$deb" "$tmp/ctx/"
		docker build -q -f "$src/dist/Containerfile" -t flowlock-deb:1 "$tmp/ctx" >"$tmp/docker-build.log" 2>&1
		rc=$?
		expect "docker build -f dist/Containerfile ($(tail -n 3 "$tmp/docker-build.log" | tr '\n' ' '))" \
			[ $rc -eq 0 ]
		expect "the Containerfile's image runs as 65534" \
			[ "$(docker image inspect -f '{{.Config.User}}' flowlock-deb:1 2>/dev/null)" = 65534:65534 ]
		expect "flowlock runs in it" \
			sh -c "docker run --rm flowlock-deb:1 --version | grep -q '^flowlock '"
		expect "without systemd" \
			sh -c "docker run --rm --entrypoint /bin/sh flowlock-deb:1 -c '! dpkg -s systemd' >/dev/null 2>&1"
		expect "its /var/lib/flowlock is its user's" \
			sh -c "docker run --rm --entrypoint /bin/sh flowlock-deb:1 -c 'test -w /var/lib/flowlock'"
		expect "it holds libcurl for --docker" \
			sh -c "docker run --rm --entrypoint /bin/sh flowlock-deb:1 -c 'ls /usr/lib/*/libcurl.so.4' >/dev/null"
	fi
else
	echo "deb: dockerd or busybox missing: the Containerfile is not built"
	fail=$((fail + 1))
fi

finish deb
