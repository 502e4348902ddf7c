# SPDX-License-Identifier: Apache-2.0
# lib.sh - sourced by the whole-program test scripts: counting checks and golden comparisons.
#
# Sets pass=0 fail=0 and a temporary folder $tmp removed on exit (a script that needs more
# cleanup sets its own trap and removes $tmp there). expect runs a condition, check compares
# an output with its golden file (FLOWLOCK_UPDATE_GOLDEN=1 rewrites the golden instead), and
# finish prints "NAME: N passed, N failed" and returns the script's status.
pass=0 fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Ends every process in the network namespaces given, then deletes them (the root suites' hosts).
netns_cleanup() { # namespace...
	local ns
	for ns in "$@"; do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
	done
	for ns in "$@"; do ip netns del "$ns" 2>/dev/null; done
}

expect() { # name condition-command...
	local name=$1
	shift
	if "$@"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $name"; fi
}

check() { # name expected-file actual-file
	if [ "${FLOWLOCK_UPDATE_GOLDEN:-}" = 1 ]; then
		cp "$3" "$2"
	fi
	if cmp -s "$2" "$3"; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAIL: $1: output differs from $2"
		diff -u "$2" "$3" | head -40
	fi
}

# Like check, for two texts in hand: on a difference, the diff (and file, when given).
same_text() { # name want got [file-to-show]
	if [ "$2" = "$3" ]; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAIL: $1"
		diff <(echo "$2") <(echo "$3")
		[ -z "${4:-}" ] || cat "$4"
	fi
}

# Ends a live agent with SIGTERM and expects it to exit 0; its stderr is quoted if it does not.
stop_agent() { # name pid stderr-file
	local rc
	kill -TERM "$2"
	wait "$2"
	rc=$?
	expect "$1: the agent exits 0 on SIGTERM (rc $rc: $(tail -n 2 "$3" | tr '\n' ' '))" [ $rc -eq 0 ]
}

# A python3 that can import the given modules (Debian's, with python3-yaml and
# python3-kubernetes, may not be the first on PATH); empty when there is none.
find_python() { # module...
	local p m ok
	for p in /usr/bin/python3 python3; do
		ok=1
		for m in "$@"; do "$p" -c "import $m" 2>/dev/null || { ok=0; break; }; done
		[ $ok = 1 ] && { command -v "$p"; return 0; }
	done
	return 1
}

# A script that cannot do its work without these tools says so and exits 77 (meson: SKIP).
# tools/install-deps test installs every one of them, so nothing is skipped in CI.
require() { # script-name tool...
	local name=$1 t
	shift
	for t in "$@"; do
		command -v "$t" >/dev/null || { echo "$name: $t missing: skipped"; exit 77; }
	done
}

finish() { # name
	echo "$1: $pass passed, $fail failed"
	[ "$fail" -eq 0 ]
}

# The edges of a state, one "client server protocol port" line each, sorted ($flowlock, $py).
learned_edges() { # state [PREFIX: only edges with an end whose id starts with it]
	"$flowlock" emit --format json "$1" | "$py" -c '
import json, sys
prefix = sys.argv[1]
for e in json.load(sys.stdin)["edges"]:
    if e["client"].startswith(prefix) or e["server"].startswith(prefix):
        print(e["client"], e["server"], e["protocol"], e["port"])' "${2:-}" | sort
}
