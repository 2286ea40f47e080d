#!/usr/bin/env bash
# Golden-file suites: run palisade on frozen inputs and compare what it prints.
#
# Prints one line per case, "PASS <suite>/<case>" or "FAIL <suite>/<case>", a failure
# followed by what differed, indented by four spaces.  Exits 1 if any case failed.
#
# Convention (add a suite by adding a directory; this script needs no change):
#   tests/golden/<suite>/cmd      one line: the palisade arguments, {} standing for the
#                                 case's input file, e.g. "validate -f {}".  Directories
#                                 without a cmd file are not suites of this runner.
#   tests/golden/<suite>/<case>.yaml (or .yml, .json, .in)   one case's input.
#   <case>.err   expected standard error, byte for byte.
#   <case>.out   expected standard output (optional; not compared when absent).
# A case whose name starts with "good-" must exit 0 and, without a .err file, print nothing
# on stderr.  Any other case must exit 1 and must have a .err file.
# Commands run from the repository root with {} replaced by tests/golden/<suite>/<file>, so
# file names in messages are repository-relative.  $PALISADE names the binary (default
# build/palisade).
set -u
cd "$(dirname "$0")/../.."
PALISADE=${PALISADE:-build/palisade}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
failed=0

indent() { sed 's/^/    /'; }

for dir in tests/golden/*/; do
	suite=$(basename "$dir")
	[ -f "$dir/cmd" ] || continue
	args=$(head -n 1 "$dir/cmd")
	for input in "$dir"*.yaml "$dir"*.yml "$dir"*.json "$dir"*.in; do
		[ -f "$input" ] || continue
		file=${input#"$dir"}
		name=${file%.*}
		path="tests/golden/$suite/$file"
		base="tests/golden/$suite/$name"
		# shellcheck disable=SC2086 # the arguments are meant to be split
		set -- ${args//\{\}/$path}
		"$PALISADE" "$@" >"$TMP/out" 2>"$TMP/err"
		status=$?
		problems=""
		case "$name" in
		good-*) want=0 ;;
		*) want=1 ;;
		esac
		if [ "$status" != "$want" ]; then
			problems+="exit status $status, expected $want"$'\n'
		fi
		if [ -f "$base.err" ]; then
			if ! diff -u "$base.err" "$TMP/err" >"$TMP/diff"; then
				problems+="stderr differs from $base.err:"$'\n'"$(tail -n +3 "$TMP/diff")"$'\n'
			fi
		elif [ "$want" = 1 ]; then
			problems+="no $base.err; stderr was:"$'\n'"$(cat "$TMP/err")"$'\n'
		elif [ -s "$TMP/err" ]; then
			problems+="unexpected stderr:"$'\n'"$(cat "$TMP/err")"$'\n'
		fi
		if [ -f "$base.out" ] && ! diff -u "$base.out" "$TMP/out" >"$TMP/diff"; then
			problems+="stdout differs from $base.out:"$'\n'"$(tail -n +3 "$TMP/diff")"$'\n'
		fi
		if [ -z "$problems" ]; then
			echo "PASS $suite/$name"
		else
			echo "FAIL $suite/$name"
			printf '%s' "$problems" | indent
			failed=1
		fi
	done
done
exit $failed
