#!/usr/bin/env bash
# The test driver behind `make check`.  Runs every suite, prints one line per test
# ("PASS name", "FAIL name", "SKIP name: why") and ends with "N passed, N failed[, N skipped]".
#
#   tests/run.sh --build DIR [--asan] [--sanitized]
#
# --asan      afterwards rebuild everything under ASan+UBSan (make asan) and run the suites
#             again; its results are added to the same totals.
# --sanitized this run is the sanitizer build itself (integration tests are skipped there:
#             they ran in the normal build and drive the same binaries).
set -u
cd "$(dirname "$0")/.."
BUILD=build
ASAN=0
SANITIZED=0
while [ $# -gt 0 ]; do
	case "$1" in
	--build) BUILD=$2; shift 2 ;;
	--asan) ASAN=1; shift ;;
	--sanitized) SANITIZED=1; shift ;;
	*) echo "tests/run.sh: unknown option $1" >&2; exit 2 ;;
	esac
done
export PALISADE="$PWD/$BUILD/palisade"
export BUILD
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
LOG=$(mktemp -d)
trap 'rm -rf "$LOG"' EXIT
RESULTS="$LOG/results"
: >"$RESULTS"
tag=""
[ "$SANITIZED" = 1 ] && tag="asan:"

record() { # record STATUS NAME [DETAIL]
	printf '%s %s%s%s\n' "$1" "$tag" "$2" "${3:+: $3}" | tee -a "$RESULTS"
}

run_unit() {
	local bin name out rc
	for bin in "$BUILD"/tests/test_*; do
		[ -x "$bin" ] || continue
		name=$(basename "$bin")
		out="$LOG/$name.out"
		CMOCKA_MESSAGE_OUTPUT=TAP timeout 600 "$bin" >"$out" 2>&1
		rc=$?
		grep -E '^(not )?ok [0-9]+' "$out" | while read -r line; do
			case "$line" in
			"not ok"*) record FAIL "$name/${line#*- }" ;;
			*"# SKIP"*) record SKIP "$name/${line#*- }" ;;
			ok*) record PASS "$name/${line#*- }" ;;
			esac
		done
		if [ $rc -ne 0 ] || ! grep -qE '^(not )?ok [0-9]+' "$out"; then
			if ! grep -q '^not ok' "$out"; then
				record FAIL "$name" "exit status $rc"
			fi
			sed 's/^/    /' "$out" | tail -n 40
		fi
	done
}

run_suite_script() { # each line of the script's output is "PASS name" / "FAIL name" / "SKIP name: why"
	local script=$1
	local out
	out="$LOG/$(basename "$(dirname "$script")").suite"
	[ -x "$script" ] || return 0
	"$script" >"$out" 2>&1
	grep -E '^(PASS|FAIL|SKIP) ' "$out" | while read -r status rest; do
		record "$status" "$rest"
	done
	# Details of failures (lines starting with four spaces) are shown as they came.
	grep -E '^    ' "$out" | head -n 200
	if ! grep -qE '^(PASS|FAIL|SKIP) ' "$out"; then
		record FAIL "$script" "printed no results"
		tail -n 40 "$out"
	fi
}

run_replay() {
	local bin name dir
	for bin in "$BUILD"/replay/fuzz_*; do
		[ -x "$bin" ] || continue
		name=$(basename "$bin")
		dir="tests/fuzz/regress/${name#fuzz_}"
		if [ ! -d "$dir" ]; then
			record FAIL "replay/$name" "no regression directory $dir"
			continue
		fi
		if "$bin" "$dir" >"$LOG/$name.replay" 2>&1; then
			record PASS "replay/$name" "$(tail -n 1 "$LOG/$name.replay")"
		else
			record FAIL "replay/$name"
			tail -n 30 "$LOG/$name.replay"
		fi
	done
}

run_format() {
	if ! command -v clang-format >/dev/null; then
		record SKIP format "clang-format is not installed"
	elif make --no-print-directory format-check >"$LOG/format.out" 2>&1; then
		record PASS format
	else
		record FAIL format "run make format"
		grep -E 'error:' "$LOG/format.out" | head -n 20 | sed 's/^/    /'
	fi
}

run_unit
[ "$SANITIZED" = 0 ] && run_format
for s in tests/golden/run.sh tests/conformance/run.sh; do
	run_suite_script "$s"
done
run_replay
if [ "$SANITIZED" = 0 ]; then
	if [ "$(id -u)" = 0 ] && command -v ip >/dev/null && ip netns list >/dev/null 2>&1; then
		for s in tests/integration/run.sh; do
			[ -x "$s" ] && run_suite_script "$s"
		done
	else
		record SKIP integration "needs root, iproute2 and network namespaces"
	fi
fi

if [ "$ASAN" = 1 ]; then
	echo "== the same suites under AddressSanitizer + UndefinedBehaviorSanitizer =="
	if make --no-print-directory asan >"$LOG/asan.out" 2>&1; then
		grep -E '^(PASS|FAIL|SKIP) ' "$LOG/asan.out" >>"$RESULTS"
		grep -E '^(FAIL|SKIP) ' "$LOG/asan.out"
		echo "asan: $(grep -c '^PASS' "$LOG/asan.out") passed, $(grep -c '^FAIL' "$LOG/asan.out") failed"
	else
		grep -E '^(PASS|FAIL|SKIP) ' "$LOG/asan.out" >>"$RESULTS"
		record FAIL "asan" "sanitizer build or run failed"
		tail -n 60 "$LOG/asan.out"
	fi
fi

passed=$(grep -c '^PASS' "$RESULTS")
failed=$(grep -c '^FAIL' "$RESULTS")
skipped=$(grep -c '^SKIP' "$RESULTS")
if [ "$SANITIZED" = 1 ]; then
	exit $([ "$failed" = 0 ] && echo 0 || echo 1)
fi
if [ "$skipped" -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" = 0 ] && [ "$passed" -gt 0 ]
