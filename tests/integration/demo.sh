#!/usr/bin/env bash
# `make demo` inside `make check`, so that it cannot rot: runs examples/demo.sh (the article's
# three layers on a lab of its own, in a fresh state directory, so with a prefix of its own)
# and turns each of its checks into a PASS or FAIL line, then one line for the whole run.
# The demo tears its lab down itself, also when it fails; tests/integration/run.sh checks that
# nothing is left behind.  Needs root, jq, nmap, h2load, nghttpd, perl and python3.
set -u
cd "$(dirname "$0")/../.."
P=$(readlink -f "${PALISADE:-build/palisade}")
TMP=$(mktemp -d "${TMPDIR:-/tmp}/palisade-demo-test.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

for tool in nmap h2load nghttpd perl python3; do
	if ! command -v $tool >/dev/null; then
		echo "SKIP demo: $tool is not installed"
		exit 0
	fi
done

: >"$TMP/results"
start=$SECONDS
DEMO_RESULTS=$TMP/results bash examples/demo.sh "$P" >"$TMP/demo.out" 2>&1
rc=$?
took=$((SECONDS - start))
cat "$TMP/results"
checks=$(grep -c '^PASS \|^FAIL ' "$TMP/results")
if [ $rc = 0 ] && ! grep -q '^FAIL ' "$TMP/results" && [ "$checks" -gt 0 ]; then
	echo "PASS demo ($checks checks in ${took}s; the demo allows 300s)"
	exit 0
fi
echo "FAIL demo"
echo "    examples/demo.sh exited with status $rc after ${took}s ($checks checks recorded); its last lines:"
tail -n 40 "$TMP/demo.out" | sed 's/^/    /'
exit 1
