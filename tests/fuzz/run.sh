#!/usr/bin/env bash
# make fuzz: links every fuzz target with libFuzzer and runs it for a bounded time, seeded
# from tests/fuzz/regress/<target>/ (the regression inputs) and tests/fuzz/seeds/<target>/.
# Any crash, leak or timeout input is copied into tests/fuzz/regress/<target>/ so that
# `make check` replays it from then on.  Exits non-zero if any target found a problem.
set -u
cd "$(dirname "$0")/../.."
BUILD=${1:-build-fuzz}
SECONDS_EACH=${2:-60}
LIBS="$(pkg-config --libs yaml-0.1 jansson) -lm"
status=0
for obj in "$BUILD"/tests/fuzz/fuzz_*.o; do
	[ -f "$obj" ] || continue
	name=$(basename "$obj" .o)
	target=${name#fuzz_}
	bin="$BUILD/fuzz/$name"
	mkdir -p "$BUILD/fuzz" "tests/fuzz/regress/$target"
	clang -fsanitize=fuzzer,address,undefined -o "$bin" "$obj" "$BUILD/libpalisade.a" $LIBS || { status=1; continue; }
	work="tests/fuzz/corpus-work/$target"
	mkdir -p "$work"
	seeds=()
	[ -d "tests/fuzz/seeds/$target" ] && seeds+=("tests/fuzz/seeds/$target")
	echo "== fuzz $target for ${SECONDS_EACH}s"
	"$bin" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
		-artifact_prefix="tests/fuzz/regress/$target/" "$work" "tests/fuzz/regress/$target" "${seeds[@]}" \
		>"$BUILD/fuzz/$target.log" 2>&1
	rc=$?
	tail -n 3 "$BUILD/fuzz/$target.log"
	if [ $rc -ne 0 ]; then
		echo "fuzz $target: FOUND A PROBLEM (input saved under tests/fuzz/regress/$target/)"
		status=1
	fi
done
exit $status
