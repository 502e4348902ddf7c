#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# install.sh - meson install, as a user and as a packager would run it.
#
# Configures a build of its own with a prefix in a temporary folder (unoptimized: only the
# installed files are looked at), installs it there, and checks: every file lands where it
# should, the units' ExecStart names the installed binary, both units pass systemd-analyze
# verify (with the installed man pages on MANPATH, so Documentation= is checked too),
# systemd-sysusers makes the agent's user from its file (in an empty root), every man page
# renders and names its command, the bash completion loads and completes, and the
# installed binary runs. Then DESTDIR: the same install under another root puts every file
# there and nothing outside it.
# Usage: install.sh SRCROOT
set -u
src=$1
. "$src/tests/lib.sh"
for tool in meson scdoc systemd-analyze systemd-sysusers man; do
	command -v "$tool" >/dev/null || { echo "install: $tool missing, skipped"; exit 77; }
done

prefix=$tmp/prefix
build=$tmp/build
meson setup "$build" "$src" --prefix "$prefix" -Doptimization=0 -Dtests=disabled -Dman=enabled \
	>"$tmp/setup.log" 2>&1 || { echo "install: meson setup failed"; tail -5 "$tmp/setup.log"; exit 1; }
meson compile -C "$build" >"$tmp/compile.log" 2>&1 || { echo "install: build failed"; tail -5 "$tmp/compile.log"; exit 1; }
meson install -C "$build" --no-rebuild >"$tmp/install.log" 2>&1
rc=$?
expect "meson install succeeds ($(tail -n 1 "$tmp/install.log"))" [ $rc -eq 0 ]

commands="learn emit show apply diff check verify merge"
want="bin/flowlock
etc/default/flowlock
lib/systemd/system/flowlock-agent.service
lib/systemd/system/flowlock-apply.service
lib/sysusers.d/flowlock.conf
share/bash-completion/completions/flowlock
share/flowlock/samples/compose/compose.yaml
share/flowlock/samples/k8s/flowlock-agent.yaml
share/man/man8/flowlock.8
$(for c in $commands; do echo "share/man/man8/flowlock-$c.8"; done)
share/zsh/vendor-completions/_flowlock"
same_text "the installed files" "$(sort <<<"$want")" "$(cd "$prefix" && find . -type f | sed 's|^\./||' | sort)"

# the units start the installed binary, and pass verify
for unit in flowlock-agent flowlock-apply; do
	f=$prefix/lib/systemd/system/$unit.service
	expect "$unit.service starts $prefix/bin/flowlock" grep -q "^ExecStart=$prefix/bin/flowlock " "$f"
	MANPATH=$prefix/share/man systemd-analyze verify "$f" >"$tmp/verify.out" 2>&1
	rc=$?
	# a warning (an unknown key, a missing man page) fails it too
	expect "systemd-analyze verify $unit.service (rc $rc: $(head -c 400 "$tmp/verify.out"))" \
		test $rc -eq 0 -a ! -s "$tmp/verify.out"
done

# the agent's user, as systemd-sysusers makes it (into an empty root: nothing else changes)
sysroot=$tmp/sysroot
mkdir -p "$sysroot/etc"
systemd-sysusers --root "$sysroot" "$prefix/lib/sysusers.d/flowlock.conf" >"$tmp/sysusers.out" 2>&1
rc=$?
expect "systemd-sysusers reads flowlock.conf ($(head -c 200 "$tmp/sysusers.out"))" [ $rc -eq 0 ]
expect "it makes the flowlock system user" \
	awk -F: '$1 == "flowlock" && $3 < 1000 && $6 == "/var/lib/flowlock" {ok = 1} END {exit !ok}' \
	"$sysroot/etc/passwd"
expect "and the docker group the agent's unit names" awk -F: '$1 == "docker" {ok = 1} END {exit !ok}' \
	"$sysroot/etc/group"
expect "the agent's unit reads the installed defaults file" \
	grep -qx "EnvironmentFile=-$prefix/etc/default/flowlock" "$prefix/lib/systemd/system/flowlock-agent.service"

# each page renders, without a warning, under the name it is installed as
for page in flowlock $(for c in $commands; do echo "flowlock-$c"; done); do
	f=$prefix/share/man/man8/$page.8
	MANWIDTH=80 man -l "$f" >"$tmp/page.txt" 2>"$tmp/page.err"
	rc=$?
	expect "man -l $page.8 renders (rc $rc: $(head -c 200 "$tmp/page.err"))" \
		test $rc -eq 0 -a ! -s "$tmp/page.err"
	expect "$page.8 has a NAME section" grep -q '^NAME' "$tmp/page.txt"
	expect "$page.8 is named $page" grep -Eq "^ +$page - " "$tmp/page.txt"
done

# the completion, as bash-completion would load it
if [ -f /usr/share/bash-completion/bash_completion ]; then
	got=$(bash -c '. /usr/share/bash-completion/bash_completion
		. "$1"
		COMP_WORDS=(flowlock em) COMP_CWORD=1 COMP_LINE="flowlock em" COMP_POINT=11
		complete -p flowlock >/dev/null && $(complete -p flowlock | sed "s/.*-F \([^ ]*\) .*/\1/") flowlock em flowlock
		echo "${COMPREPLY[*]}"' _ "$prefix/share/bash-completion/completions/flowlock" 2>&1)
	same_text "the installed bash completion completes 'flowlock em'" emit "$got"
fi

"$prefix/bin/flowlock" --help >"$tmp/help.txt" 2>&1
expect "the installed binary runs" grep -q '^Usage: flowlock COMMAND' "$tmp/help.txt"

# DESTDIR: everything under it, nothing elsewhere
dest=$tmp/dest
DESTDIR=$dest meson install -C "$build" --no-rebuild >"$tmp/install2.log" 2>&1
expect "DESTDIR=... meson install succeeds" [ $? -eq 0 ]
same_text "DESTDIR holds the same files under the prefix" "$(sort <<<"$want")" \
	"$(cd "$dest$prefix" && find . -type f | sed 's|^\./||' | sort)"
expect "nothing but the prefix under DESTDIR" \
	[ "$(find "$dest" -type f | grep -vc "^$dest$prefix/")" = 0 ]

finish install
