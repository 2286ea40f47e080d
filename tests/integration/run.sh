#!/usr/bin/env bash
# The integration suite: runs every tests/integration/*.sh (except this file) one after the
# other, each under a time limit, and passes on their result lines: "PASS name", "FAIL name"
# (details indented by four spaces) and "SKIP name: why".  A script that exits non-zero
# without printing a FAIL line gets one.  Needs root, iproute2 and jq; everything the tests
# build lives in network namespaces of their own (palisade lab), and anything a script leaves
# behind (namespaces named like a lab's, pl<4 hex>-*) is reported and removed here.  Scripts
# make their temporary directories under $TMPDIR (this run's), so that labs of other runs on
# the same machine (registered with a state directory elsewhere) are left alone.
#
#   tests/integration/run.sh            (tests/run.sh calls it as root; PALISADE may name
#                                        the binary, default build/palisade)
set -u
cd "$(dirname "$0")/../.."
export PALISADE=${PALISADE:-$PWD/build/palisade}
LIMIT=${INTEGRATION_TIMEOUT:-200} # seconds per script; the suite stays well under 5 minutes

if [ "$(id -u)" != 0 ]; then
	echo "SKIP integration: needs root"
	exit 0
fi
for tool in ip jq timeout; do
	if ! command -v "$tool" >/dev/null; then
		echo "SKIP integration: $tool is not installed"
		exit 0
	fi
done
if [ ! -x "$PALISADE" ]; then
	echo "FAIL integration"
	echo "    $PALISADE is not built"
	exit 1
fi

lab_namespaces() { ip netns list 2>/dev/null | awk '{print $1}' | grep -E '^pl[0-9a-f]{4}-' | sort; }
# The prefixes of labs that are not this run's: registered, with a state directory outside
# $OUT (the scripts make theirs under $TMPDIR, which is inside it).  Another test run, a demo
# or a person's lab on the same machine is never taken for something a script left behind.
foreign_prefixes() {
	local f state
	for f in /run/palisade/labs/*; do
		[ -f "$f" ] || continue
		state=$(head -n 1 "$f")
		case "$state" in "$OUT"/*) continue ;; esac
		[ -d "$state" ] && "$PALISADE" lab status --state "$state" -o json 2>/dev/null | jq -r '.prefix // empty'
	done | sort -u
}

OUT=$(mktemp -d /tmp/palisade-integration.XXXXXX)
trap 'rm -rf "$OUT"' EXIT
export TMPDIR=$OUT/tmp
mkdir -p "$TMPDIR"
failed=0
for script in tests/integration/*.sh; do
	[ "$(basename "$script")" = run.sh ] && continue
	name=integration/$(basename "$script" .sh)
	before=$(lab_namespaces)
	log="$OUT/$(basename "$script").out"
	timeout --kill-after=10 "$LIMIT" bash "$script" >"$log" 2>&1
	rc=$?
	grep -E '^(PASS|FAIL|SKIP) |^    ' "$log"
	if [ $rc -ne 0 ] && ! grep -q '^FAIL ' "$log"; then
		echo "FAIL $name"
		if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
			echo "    timed out after ${LIMIT}s"
		else
			echo "    exit status $rc"
		fi
		grep -vE '^(PASS|FAIL|SKIP) |^    ' "$log" | tail -n 20 | sed 's/^/    /'
	fi
	[ $rc -ne 0 ] && failed=1
	# Whatever a script left behind is removed, so that the next one starts clean.
	left=$(comm -13 <(echo "$before") <(lab_namespaces) | grep -v '^$')
	foreign=$(foreign_prefixes)
	[ -n "$left" ] && [ -n "$foreign" ] && left=$(echo "$left" | grep -v -F "$foreign")
	if [ -n "$left" ]; then
		echo "FAIL $name/cleanup"
		echo "$left" | sed 's/^/    left behind: /' | head -n 20
		for prefix in $(echo "$left" | cut -c1-7 | sort -u); do
			"$PALISADE" lab down --prefix "$prefix" >/dev/null 2>&1
		done
		failed=1
	fi
done
exit $failed
