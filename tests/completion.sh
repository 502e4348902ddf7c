#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# completion.sh - the shell completions: completions/flowlock.bash offers what is expected for
# a table of command lines, every option and choice that 'flowlock COMMAND --help' lists (read
# from the program, so an option added there but not to the completions fails here), and file
# names in a folder of its own; completions/_flowlock parses in zsh and names the same options.
# Usage: completion.sh FLOWLOCK SRCROOT
set -u
flowlock=$(realpath "$1") root=$(realpath "$2")
bash_completion=/usr/share/bash-completion/bash_completion
[ -r "$bash_completion" ] || { echo "completion: $bash_completion missing: skipped"; exit 77; }
. "$(dirname "$0")/lib.sh"
bash_file=$root/completions/flowlock.bash zsh_file=$root/completions/_flowlock

# What _flowlock offers for LINE, the cursor at its end: one candidate a line, sorted. Each
# line is completed by a bash of its own, in $tmp/files, with COMP_WORDS as readline makes
# them (words at blanks, and = and : words of their own: COMP_WORDBREAKS).
complete_script='
. "$1" || exit 3
. "$2" || exit 3
line=$3
read -ra COMP_WORDS <<<"$(printf "%s" "$line" | sed "s/[=:]/ & /g")"
[[ -z $line || $line == *" " ]] && COMP_WORDS+=("")
COMP_CWORD=$((${#COMP_WORDS[@]} - 1)) COMP_LINE=$line COMP_POINT=${#line}
COMPREPLY=()
_flowlock flowlock "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
((${#COMPREPLY[@]} == 0)) || printf "%s\n" "${COMPREPLY[@]}"'
complete_line() { # line
	(cd "$tmp/files" && bash --norc --noprofile -c "$complete_script" completion \
		"$bash_completion" "$bash_file" "$1") | sort -u
}
words() { tr ' ' '\n' | grep -v '^$' | sort -u; } # space-separated words -> sorted lines

# The candidates for LINE are exactly WANT (space-separated; empty: none).
offers() { # line want
	local got want
	got=$(complete_line "$1")
	want=$(echo "$2" | words)
	if [ "$got" = "$want" ]; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAIL: '$1': offers [$(echo $got)], expected [$(echo $want)]"
	fi
}
# The candidates for LINE include every one of WANT.
offers_all() { # line want
	local missing
	missing=$(comm -13 <(complete_line "$1") <(echo "$2" | words))
	if [ -z "$missing" ]; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAIL: '$1': does not offer $(echo $missing)"
	fi
}

mkdir -p "$tmp/files/sub"
touch "$tmp/files/"{a.yaml,b.yml,c.json,rules.nft,cap.pcap,cap2.pcapng,notes.txt,sub/x.yaml}

# ---- The program's own word: its commands, each command's options and choices -------------

# The commands under "Commands:" in flowlock --help.
commands=$("$flowlock" --help | awk '/^Commands:/ { on = 1; next } on && /^$/ { exit }
	on && /^  [a-z]/ { print $1 }')
[ -n "$commands" ] || { echo "completion: no commands in '$flowlock --help'"; exit 1; }

# The options a --help lists: in the usage (up to the first blank line), and in the option
# column (up to two blanks: the description) of the lines that begin with an option, a little
# indented (deeper, a description goes on: "-o json" there is kubectl's).
help_options() { # command
	"$flowlock" "$1" --help | awk 'NR == 1, /^$/ { print; next }
		/^ +-/ && index($0, "-") <= 9 {
			sub(/^ +/, ""); i = index($0, "  "); print (i ? substr($0, 1, i - 1) : $0) }' |
		grep -oE -- '(^|[][ ,(|])--?[A-Za-z0-9][A-Za-z0-9-]*' | sed 's/^[^-]*//' | sort -u
}
# The choices the usage gives an option: lowercase words after it (--format text|json).
help_choices() { # command option
	"$flowlock" "$1" --help | awk 'NR == 1, /^$/' |
		grep -oE -- "$2 [a-z0-9]+(\|[a-z0-9]+)*" | cut -d' ' -f2 | tr '|' '\n' | sort -u
}

offers "flowlock " "$(echo $commands)"
for cmd in $commands; do
	opts=$(help_options "$cmd")
	expect "$cmd --help lists options" [ -n "$opts" ]
	offers_all "flowlock $cmd -" "$opts"
	offers_all "flowlock $cmd --" "$(echo "$opts" | grep -- '^--')"
	for opt in $(echo "$opts" | grep -- '^--'); do
		choices=$(help_choices "$cmd" "$opt")
		[ -z "$choices" ] || offers "flowlock $cmd $opt " "$choices"
		# zsh names it too (in any command: a rough check)
		expect "$zsh_file names $cmd $opt" \
			grep -qE -- "(^|[^a-z0-9-])$opt([^a-z0-9-]|$)" "$zsh_file"
	done
done

# ---- A table of command lines: LINE | WANT (exactly) ----------------------------------------

state_files='a.yaml b.yml sub' # directories are offered to descend into
all_files='a.yaml b.yml c.json rules.nft cap.pcap cap2.pcapng notes.txt sub'
while IFS='|' read -r line want; do
	[ -z "$line" ] || offers "$line" "$(eval echo "$want")"
done <<'EOF'
flowlock em|emit
flowlock x|
flowlock -|--help --version
flowlock frob |
flowlock emit --for|--format
flowlock emit --format |dot json k8s nftables
flowlock emit -f n|nftables
flowlock emit --format=|dot json k8s nftables
flowlock emit --format=j|json
flowlock emit --mode |audit enforce
flowlock emit --mode=a|audit
flowlock show --format |json text
flowlock diff -f m|markdown
flowlock check --format |json text
flowlock apply --d|--dry-run
flowlock learn --tunnel-port |geneve: vxlan:
flowlock learn --tunnel-port v|vxlan:
flowlock learn --tunnel-port vxlan:|4789 8472
flowlock learn --tunnel-port geneve:|6081
flowlock learn --duration |
flowlock emit --namespace |
flowlock show --stale |
flowlock show |$state_files
flowlock show s|sub
flowlock show sub/|sub/x.yaml
flowlock show a.yaml |
flowlock show --coverage --stale 3 |$state_files
flowlock emit -f k8s |$state_files
flowlock emit --docker |$state_files
flowlock emit --docker=|$all_files
flowlock emit -o |$all_files
flowlock emit --output=n|notes.txt
flowlock emit -I |a.yaml b.yml c.json sub
flowlock apply |rules.nft sub
flowlock apply -n |rules.nft sub
flowlock apply rules.nft |
flowlock learn -r |cap.pcap cap2.pcapng sub
flowlock learn --read c|cap.pcap cap2.pcapng
flowlock learn --read=c|cap.pcap cap2.pcapng
flowlock learn -I |a.yaml b.yml c.json sub
flowlock learn -s |$state_files
flowlock learn --state=|$state_files
flowlock check -b |$state_files
flowlock check --baseline a.yaml --for|--format
flowlock diff |$state_files
flowlock diff a.yaml |$state_files
flowlock diff -f json a.yaml |$state_files
flowlock diff a.yaml b.yml |
flowlock verify |a.yaml b.yml c.json sub
flowlock verify c.json |$state_files
flowlock verify -I c.json --namespace 'a*' c.json |$state_files
flowlock verify c.json a.yaml |
flowlock merge -o |$state_files
flowlock merge -o out.yaml a.yaml |$state_files
flowlock learn --user |$(compgen -u)
EOF
offers_all "flowlock learn --user ro" root
offers_all "flowlock learn " "--read --state --interface"
offers "flowlock learn -i " "$(ls /sys/class/net)"
offers "flowlock check --interface l" "$(ls /sys/class/net | grep '^l')"

# ---- zsh: it parses (its behaviour is not driven here) -------------------------------------

if command -v zsh >/dev/null; then
	expect "zsh -n $zsh_file" zsh -n "$zsh_file"
else
	echo "completion: zsh missing: its part skipped"
fi

finish completion
