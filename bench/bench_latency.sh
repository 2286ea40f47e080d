#!/usr/bin/env bash
# Policy latency: from a changed datastore file to the kernel holding the new rule.
#
# Brings up a lab (bench/lab.yaml: 2 nodes, 4 pods, under a unique name and a mktemp state
# directory), waits for the agents' first apply, then N times renames a new policy file into
# the datastore (written beside it first, so the rename is the change the agent sees) and
# measures the time until `nft list table inet palisade` in node1's namespace shows the
# policy's rule.  Comments are not in the kernel, so each policy allows a port of its own
# and the poll looks for `dport <port> `.  The agent's own time for that reload (render and
# libnftables transaction, the `ms=` of its `applied` log line) is reported beside it.  The
# whole measurement is repeated with MANY extra policies already applied.
#
# The figure includes the agent's 100 ms debounce (docs/cli.md, agent) and the poll's own
# period (one `nft list` run, printed as poll_ms).  Lines: "name value unit (details)".
# Usage: bench/bench_latency.sh [BUILD]   (root; prints a SKIP line otherwise)
set -u
BUILD=$(readlink -f "${1:-build}")
cd "$(dirname "$0")/.."
N=${BENCH_LAT_N:-20}
MANY=${BENCH_LAT_MANY:-500}

if [ "$(id -u)" != 0 ]; then
	echo "SKIP latency: needs root (network namespaces, nftables)"
	exit 0
fi
for t in ip nft jq; do
	command -v $t >/dev/null || {
		echo "SKIP latency: $t not installed"
		exit 0
	}
done
P=$(readlink -f "$BUILD/palisade")
[ -x "$P" ] || {
	echo "latency: $BUILD/palisade not built" >&2
	exit 1
}

TMP=$(mktemp -d /tmp/palisade-bench-lat.XXXXXX)
S=$TMP/state
DS=$S/datastore
cleanup() {
	"$P" lab down --state "$S" >/dev/null 2>&1
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

sed "s/LABNAME/blat$$/" bench/lab.yaml >"$TMP/lab.yaml"
if ! "$P" lab up -f "$TMP/lab.yaml" --state "$S" >"$TMP/up.log" 2>&1; then
	echo "latency: lab up failed:" >&2
	cat "$TMP/up.log" >&2
	exit 1
fi
NODE=node1
NS=$("$P" lab status --state "$S" -o json | jq -r --arg n $NODE '.nodes[] | select(.name == $n) | .netns')
LOG=$S/logs/agent-$NODE.log

# wait_status FIELD MIN: until every node's status.json has FIELD >= MIN (30 s at most).
wait_status() {
	local deadline=$((SECONDS + 30)) ok f
	while [ $SECONDS -lt $deadline ]; do
		ok=1
		for f in "$S"/nodes/*/status.json; do
			[ "$(jq -r ".$1 // 0" "$f" 2>/dev/null || echo 0)" -ge "$2" ] 2>/dev/null || ok=0
		done
		[ $ok = 1 ] && return 0
		sleep 0.1
	done
	echo "latency: agents did not reach $1 >= $2" >&2
	return 1
}
wait_status applies 1 || exit 1

policy() { # policy NAME PORT: a Calico policy selecting the web pods, allowing TCP PORT in
	cat <<EOF
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata:
  name: $1
  namespace: bench-a
spec:
  selector: app == 'web'
  types: [Ingress]
  ingress:
  - action: Allow
    protocol: TCP
    source:
      namespaceSelector: team == 'data'
      selector: app == 'client'
    destination:
      ports: [$2]
EOF
}

# stats FILE: "median p90 max" of the numbers in FILE (nearest rank)
stats() {
	sort -g "$1" | awk '{v[NR] = $1} END {
		m = int((NR + 1) / 2); p = int(NR * 0.9 + 0.999); if (p > NR) p = NR
		printf "%.1f %.1f %.1f\n", v[m], v[p], v[NR] }'
}

# One nft listing's time, so the poll's resolution can be read beside the result.
poll_ms() {
	ip netns exec "$NS" bash -c 't0=$EPOCHREALTIME; for i in 1 2 3 4 5; do nft list table inet palisade >/dev/null; done
		t1=$EPOCHREALTIME; echo "$t0 $t1" | awk "{printf \"%.1f\", (\$2 - \$1) * 200}"'
}

# measure TAG BASEPORT: N changes, one policy each; prints the result lines.
measure() {
	local tag=$1 base=$2 i port name lines ms before pol
	: >"$TMP/lat.$tag"
	: >"$TMP/apply.$tag"
	pol=$(jq -r .policies "$S/nodes/$NODE/status.json")
	for ((i = 1; i <= N; i++)); do
		port=$((base + i))
		name=lat-$tag-$i
		policy "$name" $port >"$TMP/$name.yaml"
		before=$(grep -c 'msg=applied' "$LOG")
		# Inside the node's namespace: rename the file in, then list the table until the rule is
		# there (10 s at most); prints the milliseconds.
		ms=$(ip netns exec "$NS" bash -c '
			src=$1 dst=$2 port=$3
			t0=$EPOCHREALTIME
			mv "$src" "$dst"
			until nft list table inet palisade | grep -q "dport $port "; do
				t=$EPOCHREALTIME
				[ "${t%.*}" -gt $((${t0%.*} + 10)) ] && { echo timeout; exit 1; }
			done
			t1=$EPOCHREALTIME
			echo "$t0 $t1" | awk "{printf \"%.1f\", (\$2 - \$1) * 1000}"' _ \
			"$TMP/$name.yaml" "$DS/networkpolicy_bench-a_$name.yaml" $port) || {
			echo "latency: rule for $name (port $port) not in the kernel after 10 s" >&2
			return 1
		}
		echo "$ms" >>"$TMP/lat.$tag"
		# the agent's own figure for this reload: the ms= of its next applied line
		for _ in $(seq 50); do
			[ "$(grep -c 'msg=applied' "$LOG")" -gt "$before" ] && break
			sleep 0.02
		done
		grep 'msg=applied' "$LOG" | tail -n 1 | sed -n 's/.* ms=\([0-9.]*\).*/\1/p' >>"$TMP/apply.$tag"
		sleep 0.2 # let the debounce window close so changes do not merge
	done
	read -r l50 l90 lmax < <(stats "$TMP/lat.$tag")
	read -r a50 a90 amax < <(stats "$TMP/apply.$tag")
	local pm
	pm=$(poll_ms)
	echo "latency.$tag.file_to_kernel_p50 $l50 ms ($N changes, 1 policy each, $pol policies already applied; includes the agent's 100 ms debounce; poll period ${pm} ms)"
	echo "latency.$tag.file_to_kernel_p90 $l90 ms (max $lmax ms)"
	echo "latency.$tag.agent_apply_p50 $a50 ms (agent's render + transaction time, from its log)"
	echo "latency.$tag.agent_apply_p90 $a90 ms (max $amax ms)"
}

measure few 41000 || exit 1

if [ "$MANY" -gt 0 ]; then
	# MANY extra policies, one multi-document file through `palisade apply`
	for ((i = 1; i <= MANY; i++)); do
		policy "extra-$i" $((20000 + i))
		echo ---
	done >"$TMP/many.yaml"
	base=$(jq -r .policies "$S/nodes/$NODE/status.json")
	"$P" apply -f "$TMP/many.yaml" --datastore "$DS" >/dev/null || exit 1
	wait_status policies $((base + MANY)) || exit 1
	sleep 0.3
	measure many 42000 || exit 1
fi
