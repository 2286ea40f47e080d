#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Conformance suites: tests/conformance/<suite>/ with a cluster.yaml and scenarios
# NNN-name.yaml, each checked by
#   NNN-name.expect   the full truth table of `palisade matrix` (text output), and/or
#   NNN-name.queries  JSON lines for `palisade eval --batch`, each with "expect" (bool) and
#                     optional "expect_ingress" / "expect_egress" (the "decided" strings).
# Prints one line per scenario, "PASS conformance/<suite>/<scenario>" or
# "FAIL conformance/<suite>/<scenario>" followed by details indented by four spaces.
# Exit status 0 when every scenario passed.  See tests/conformance/README.md.
#
#   PALISADE=build/palisade tests/conformance/run.sh [SUITE...]
set -u
cd "$(dirname "$0")/../.." || exit 2
PALISADE=${PALISADE:-build/palisade}
TMP=$(mktemp -d) || exit 2
trap 'rm -rf "$TMP"' EXIT
MAX_DETAIL=20 # cells or queries listed per failing scenario

TIMEOUT=()
command -v timeout >/dev/null 2>&1 && TIMEOUT=(timeout 120)
HAVE_JQ=0
command -v jq >/dev/null 2>&1 && HAVE_JQ=1

indent() { sed 's/^/    /'; }

# The cells of a matrix in text form, one line each: "<block> <from> <to> <cell>", in input
# order; "#" lines and blank lines are ignored.  A block header is "<PROTO>/<port>" followed by
# the destination names; malformed lines come out as "BAD <line number>: <line>".
cells() {
	awk '
	/^[ \t]*#/ || NF == 0 { next }
	$1 ~ /^[A-Z][A-Za-z0-9]*\/[0-9]+$/ {
		block = $1; n = NF - 1
		for (i = 2; i <= NF; i++) dst[i] = $i
		next
	}
	block == "" || NF != n + 1 { print "BAD " NR ": " $0; next }
	{ for (i = 2; i <= NF; i++) print block, $1, dst[i], $i }
	' "$1"
}

# Normalised text: no comments, no blank lines, single spaces, no trailing space.
normalise() {
	grep -v -E '^[[:space:]]*(#|$)' "$1" | tr -s ' \t' '  ' | sed -e 's/^ //' -e 's/ $//'
}

# check_matrix DIR SCENARIO EXPECT: prints failure details, returns 1 on failure
check_matrix() {
	local dir=$1 scen=$2 exp=$3 ports protos rc
	ports=$(sed -n 's/^#[[:space:]]*ports:[[:space:]]*\([0-9,]*\)[[:space:]]*$/\1/p' "$exp" | head -n 1)
	protos=$(sed -n 's/^#[[:space:]]*protos:[[:space:]]*\([A-Za-z0-9,]*\)[[:space:]]*$/\1/p' "$exp" | head -n 1)
	: "${ports:=80,81}" "${protos:=TCP,UDP,SCTP}"
	${TIMEOUT[@]+"${TIMEOUT[@]}"} "$PALISADE" matrix -f "$dir/cluster.yaml" -f "$scen" --ports "$ports" \
		--protos "$protos" >"$TMP/out" 2>"$TMP/err"
	rc=$?
	if [ $rc -ne 0 ]; then
		echo "palisade matrix exited with status $rc:"
		echo "  $PALISADE matrix -f $dir/cluster.yaml -f $scen --ports $ports --protos $protos"
		head -n 30 "$TMP/err"
		return 1
	fi
	if ! grep -q '[^[:space:]]' "$TMP/out"; then
		echo "palisade matrix printed nothing (exit status 0)"
		head -n 10 "$TMP/err"
		return 1
	fi
	normalise "$exp" >"$TMP/exp.n"
	normalise "$TMP/out" >"$TMP/out.n"
	cmp -s "$TMP/exp.n" "$TMP/out.n" && return 0
	cells "$exp" >"$TMP/exp.c"
	cells "$TMP/out" >"$TMP/out.c"
	# Cells that differ, in the expectation's order, then cells only one side has.
	awk -v max="$MAX_DETAIL" '
	function say(m) { if (shown < max) print m; shown++ }
	FILENAME == ARGV[1] {
		if ($1 == "BAD") { badout[++nb] = substr($0, 5); next }
		k = $1 " " $2 " -> " $3
		if (!(k in got)) order[++ng] = k
		got[k] = $4
		next
	}
	$1 == "BAD" { say("expectation line malformed: " substr($0, 5)); next }
	{
		k = $1 " " $2 " -> " $3
		want[k] = $4
		if (!(k in got)) say(k ": expected " $4 ", missing from the output")
		else if (got[k] != $4) say(k ": expected " $4 ", got " got[k])
	}
	END {
		for (i = 1; i <= nb; i++) say("output line malformed: " badout[i])
		for (i = 1; i <= ng; i++) if (!(order[i] in want)) say(order[i] ": not expected, got " got[order[i]])
		if (shown > max) print "... " shown - max " more"
		if (shown == 0) print "cells agree but the layout differs (order of blocks, rows or columns):"
	}' "$TMP/out.c" "$TMP/exp.c" >"$TMP/detail"
	cat "$TMP/detail"
	if tail -n 1 "$TMP/detail" | grep -q '^cells agree'; then
		diff "$TMP/exp.n" "$TMP/out.n" | head -n 20
	fi
	return 1
}

# check_queries DIR SCENARIO QUERIES: prints failure details, returns 1 on failure
check_queries() {
	local dir=$1 scen=$2 qf=$3 rc nq no
	if [ "$HAVE_JQ" = 0 ]; then
		echo "jq is not installed: cannot check $qf"
		return 1
	fi
	grep -v -E '^[[:space:]]*$' "$qf" >"$TMP/q"
	if ! jq -e -s 'all(.[]; type == "object" and has("expect"))' "$TMP/q" >/dev/null 2>"$TMP/jqerr"; then
		echo "$qf: every line must be a JSON object with \"expect\""
		head -n 5 "$TMP/jqerr"
		return 1
	fi
	${TIMEOUT[@]+"${TIMEOUT[@]}"} "$PALISADE" eval -f "$dir/cluster.yaml" -f "$scen" --batch "$qf" \
		>"$TMP/out" 2>"$TMP/err"
	rc=$?
	if [ $rc -ne 0 ]; then
		echo "palisade eval exited with status $rc:"
		echo "  $PALISADE eval -f $dir/cluster.yaml -f $scen --batch $qf"
		head -n 30 "$TMP/err"
		return 1
	fi
	nq=$(wc -l <"$TMP/q")
	grep -v -E '^[[:space:]]*$' "$TMP/out" >"$TMP/o"
	no=$(wc -l <"$TMP/o")
	if [ "$nq" -ne "$no" ]; then
		echo "$nq queries but $no output lines"
		head -n 10 "$TMP/o"
		return 1
	fi
	# Pair query i with output line i; a line that is not JSON is shown as it came.
	paste -d '\n' "$TMP/q" "$TMP/o" | jq -R -r -n --argjson max "$MAX_DETAIL" '
		def parsed: . as $l | try ($l | fromjson) catch {"__raw": $l};
		def decided(d): if type == "object" and (.[d] | type) == "object" then .[d].decided else null end;
		[inputs] as $lines
		| [ range(0; $lines | length; 2) as $j | $lines[$j] as $ql | ($lines[$j + 1] // "") as $ol
			| ($ql | fromjson) as $q | ($ol | parsed) as $o
			| [ (if ($o | type) != "object" or ($o | has("__raw")) then "output is not a JSON object"
			     elif $o.allowed != $q.expect then "allowed: expected \($q.expect), got \($o.allowed)"
			     else empty end),
			    (if ($q | has("expect_egress")) and (($o | type) == "object") then
				($o | decided("egress")) as $d
				| if $d != $q.expect_egress then "egress decided: expected \($q.expect_egress | tojson), got \($d | tojson)" else empty end
			     else empty end),
			    (if ($q | has("expect_ingress")) and (($o | type) == "object") then
				($o | decided("ingress")) as $d
				| if $d != $q.expect_ingress then "ingress decided: expected \($q.expect_ingress | tojson), got \($d | tojson)" else empty end
			     else empty end) ]
			| if length > 0 then {i: ($j / 2 + 1), q: $ql, o: $ol, why: .} else empty end ] as $bad
		| ($bad[0:$max][] | "query \(.i): \(.q)", "  output: \(.o)", "  \(.why | join("; "))"),
		  (if ($bad | length) > $max then "... \(($bad | length) - $max) more failing queries" else empty end)
		' >"$TMP/detail" 2>"$TMP/jqerr"
	rc=$?
	if [ $rc -ne 0 ]; then
		echo "comparing with jq failed:"
		head -n 5 "$TMP/jqerr"
		return 1
	fi
	if [ -s "$TMP/detail" ]; then
		cat "$TMP/detail"
		return 1
	fi
	return 0
}

failed=0
suites=("$@")
if [ ${#suites[@]} -eq 0 ]; then
	for d in tests/conformance/*/; do
		[ -f "$d/cluster.yaml" ] && suites+=("$(basename "$d")")
	done
fi
for suite in ${suites[@]+"${suites[@]}"}; do
	dir=tests/conformance/$suite
	for scen in "$dir"/[0-9][0-9][0-9]-*.yaml; do
		[ -e "$scen" ] || continue
		base=${scen%.yaml}
		name="conformance/$suite/$(basename "$base")"
		: >"$TMP/report"
		ok=1
		if [ ! -x "$PALISADE" ]; then
			echo "palisade binary not found or not executable: $PALISADE" >>"$TMP/report"
			ok=0
		elif [ ! -f "$dir/cluster.yaml" ]; then
			echo "no $dir/cluster.yaml" >>"$TMP/report"
			ok=0
		elif [ ! -f "$base.expect" ] && [ ! -f "$base.queries" ]; then
			echo "neither $base.expect nor $base.queries exists" >>"$TMP/report"
			ok=0
		else
			if [ -f "$base.expect" ]; then
				check_matrix "$dir" "$scen" "$base.expect" >"$TMP/part" || {
					ok=0
					{ echo "matrix ($base.expect):"; indent <"$TMP/part"; } >>"$TMP/report"
				}
			fi
			if [ -f "$base.queries" ]; then
				check_queries "$dir" "$scen" "$base.queries" >"$TMP/part" || {
					ok=0
					{ echo "queries ($base.queries):"; indent <"$TMP/part"; } >>"$TMP/report"
				}
			fi
		fi
		if [ $ok = 1 ]; then
			echo "PASS $name"
		else
			echo "FAIL $name"
			indent <"$TMP/report"
			failed=$((failed + 1))
		fi
	done
done
[ $failed -eq 0 ]
