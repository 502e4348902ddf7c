#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# no-libcurl.sh - what a user gets when libcurl cannot be loaded (root only).
#
# flowlock opens libcurl (dlopen, libcurl.so.4) only when --docker needs it, before it connects
# to the engine. Here each command runs in a mount namespace of its own (unshare -m, every mount
# made private first, so nothing mounted here shows on the host) where an empty file is
# bind-mounted over each libcurl.so.4 the loader's cache names. `learn --docker` and
# `emit --format nftables --docker` must then exit 2 with one line on stderr naming libcurl,
# and write nothing: an existing state keeps its bytes, inode and time, a state that did not
# exist is not created, emit's -o file neither. The same commands in a namespace without that
# mount get past libcurl: their one line is about the socket, a path in a temporary folder
# where nothing listens. So no Docker Engine is needed, and no traffic leaves this host.
# Usage: no-libcurl.sh FLOWLOCK SRCROOT
set -u
flowlock=$1
root=$2
[ "$(id -u)" = 0 ] || { echo "no-libcurl: not root, skipped"; exit 77; }
. "$(dirname "$0")/lib.sh"
require no-libcurl unshare mount ldconfig readlink stat
unshare -m true 2>/dev/null || { echo "no-libcurl: no mount namespaces, skipped"; exit 77; }

# Every file the loader would open for libcurl.so.4, its symlinks resolved.
mapfile -t libs < <(ldconfig -p | awk '$1 == "libcurl.so.4" { print $NF }' |
	xargs -r readlink -f | sort -u)
[ "${#libs[@]}" -gt 0 ] || { echo "no-libcurl: libcurl.so.4 is not installed, nothing to hide: skipped"; exit 77; }
: >"$tmp/empty"

# Runs a command in a mount namespace of its own; with "hide", every libcurl.so.4 is empty there.
# Exit status 125: the namespace could not be set up as asked.
in_ns() { # hide|keep command...
	local hide=("${libs[@]}")
	[ "$1" = hide ] || hide=()
	shift
	unshare -m -- sh -c '
		empty=$1 n=$2
		shift 2
		mount --make-rprivate / || exit 125
		while [ "$n" -gt 0 ]; do
			mount --bind "$empty" "$1" && [ ! -s "$1" ] || exit 125
			shift
			n=$((n - 1))
		done
		exec "$@"' sh "$tmp/empty" "${#hide[@]}" "${hide[@]}" "$@"
}

sock=$tmp/docker.sock # nothing listens here
err=$tmp/err
out=$tmp/out

# Runs flowlock in a namespace; rc, stdout in $out, stderr in $err. A hang is a failure too.
run() { # hide|keep flowlock-arguments...
	local how=$1
	shift
	in_ns "$how" timeout 60 "$flowlock" "$@" >"$out" 2>"$err"
	rc=$?
	if [ $rc -eq 125 ]; then
		echo "no-libcurl: cannot set up the mount namespace (${libs[*]})"
		exit 1
	fi
}

# What must hold for a file flowlock was told to write or update: the same inode, size,
# modification time and bytes (their CRC), or still no file; and no temporary file beside it.
snapshot() { # file
	if [ -e "$1" ]; then
		echo "inode, size, time: $(stat -c '%i %s %y' "$1"); CRC and size: $(cksum <"$1")"
	else
		echo missing
	fi
}
untouched() { # name file before
	same_text "$1: $2 untouched" "$3" "$(snapshot "$2")"
	expect "$1: no temporary file beside $2" \
		[ -z "$(find "$(dirname "$2")" -maxdepth 1 -name "$(basename "$2").tmp.*")" ]
}

# One line on stderr, ended by a newline (one newline, and no text after it), nothing on stdout.
err_is_one_line() {
	[ "$(wc -l <"$err")" -eq 1 ] && [ "$(awk 'END { print NR }' "$err")" -eq 1 ]
}
one_line() { # name
	expect "$1: exactly one line on stderr (got: $(head -c 600 "$err"))" err_is_one_line
	expect "$1: nothing on stdout" [ ! -s "$out" ]
}

# Whether the first line of stderr matches a bash pattern (in which $sock holds no * ? or [).
first_line_is() { # pattern
	local line
	line=$(head -n 1 "$err")
	# shellcheck disable=SC2053 # $1 is a pattern
	[[ $line == $1 ]]
}
not() { ! "$@"; }

needs_libcurl() { # name
	expect "$1: the line says the Docker Engine client needs libcurl.so.4 (got: $(head -n 1 "$err"))" \
		first_line_is "flowlock: $sock: the Docker Engine client needs libcurl: *libcurl.so.4*"
}

socket_error() { # name
	expect "$1: libcurl loaded: the line is not about libcurl (got: $(head -n 1 "$err"))" \
		not first_line_is "*libcurl*"
	expect "$1: libcurl loaded: the line is the socket's (got: $(head -n 1 "$err"))" \
		first_line_is "flowlock: $sock: *"
}

# The states learn is given: one learned from the shop sample, a version 1 state that any save
# would rewrite, and one that does not exist yet.
"$flowlock" learn -q -r "$root/samples/shop/shop.pcapng" \
	--inventory "$root/samples/shop/inventory.yaml" --state "$tmp/shop.yaml" ||
	{ echo "no-libcurl: cannot learn the shop sample"; exit 1; }
cp "$root/tests/data/state/minimal.yaml" "$tmp/v1.yaml"

for state in "$tmp/shop.yaml" "$tmp/v1.yaml" "$tmp/new.yaml"; do
	name="learn --docker, $(basename "$state")"
	before=$(snapshot "$state")
	# live (-i), as --docker needs: the engine is opened first, before any capture
	args=(learn -i flnocurl0 --docker "$sock" --duration 5 --state "$state")

	run hide "${args[@]}"
	expect "$name, no libcurl: exit status 2 (got $rc)" [ $rc -eq 2 ]
	one_line "$name, no libcurl"
	needs_libcurl "$name, no libcurl"
	untouched "$name, no libcurl" "$state" "$before"

	run keep "${args[@]}"
	expect "$name, libcurl: exit status 2 (got $rc)" [ $rc -eq 2 ]
	one_line "$name, libcurl"
	socket_error "$name, libcurl"
	untouched "$name, libcurl" "$state" "$before"
done

name="emit --format nftables --docker"
before=$(snapshot "$tmp/shop.yaml")
args=(emit --format nftables --docker "$sock" -o "$tmp/rules.nft" "$tmp/shop.yaml")

run hide "${args[@]}"
expect "$name, no libcurl: exit status 2 (got $rc)" [ $rc -eq 2 ]
one_line "$name, no libcurl"
needs_libcurl "$name, no libcurl"
untouched "$name, no libcurl" "$tmp/rules.nft" missing
untouched "$name, no libcurl" "$tmp/shop.yaml" "$before"

run keep "${args[@]}"
expect "$name, libcurl: exit status 2 (got $rc)" [ $rc -eq 2 ]
one_line "$name, libcurl"
socket_error "$name, libcurl"
untouched "$name, libcurl" "$tmp/rules.nft" missing

# Nothing mounted here is left on the host: libcurl is whole outside the namespaces.
for lib in "${libs[@]}"; do
	expect "$lib is whole on the host" [ -s "$lib" ]
done
finish no-libcurl
