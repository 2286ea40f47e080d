#!/usr/bin/env bash
# make bench: runs every benchmark program in BUILD/bench (bench_*) and every executable
# bench/bench_*.sh script (given BUILD as $1; the lab ones need root and print a SKIP line
# without it), and prints their results, with the machine noted so figures can be compared.
set -u
BUILD=${1:-build}
echo "machine: $(nproc) cores, $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
status=0
for b in "$BUILD"/bench/bench_*; do
	[ -x "$b" ] || continue
	echo "== $(basename "$b")"
	"$b" || status=1
done
for b in "$(dirname "$0")"/bench_*.sh; do
	[ -x "$b" ] || continue
	echo "== $(basename "$b")"
	"$b" "$BUILD" || status=1
done
exit $status
