#!/usr/bin/env bash
# Forwarding cost of the ruleset: TCP request/response rate between two pods on different
# nodes, through both nodes' `inet palisade` tables with 2,000 policies applied, against the
# same nodes with no table at all.  The goal (DESIGN §5) is under 10 % cost.
#
# The lab is bench/lab.yaml (2 nodes, 4 pods) under a unique name and a mktemp state
# directory.  The load is build/bench/tcp_rr (bench/tcp_rr.c): its server in a web pod of
# node1, its client in a client pod of node2, so every packet is forwarded by both nodes.
# Two modes: rr (1-byte ping-pong over CONNS established connections: conntrack's fast path)
# and crr (a new connection per transaction: what goes through the policy chains).
#
# The 2,000 policies are the worst case for one connection: 1,000 Kubernetes NetworkPolicies
# selecting the server pods (ingress, each allowing a port of its own) and 1,000 Calico
# NetworkPolicies selecting the client pods (egress, likewise), where only the last of each
# in evaluation order allows the benchmark's port, so a new connection walks every policy
# chain of both programs before it is accepted.
#
# Also measured: the agents' ruleset before any policy is applied (conntrack, base chains and
# profiles: what every connection pays), and the 2,000 policies plus two that allow the port
# first in evaluation order (the best case).
#
# Then the agents are stopped (their pids from <state>/pids) so they do not re-apply, the
# table is deleted in both node namespaces, and the same runs are repeated.  Each figure is
# the best of RUNS runs of SECS seconds (the machine is shared; other load only slows a run).
# Lines: "name value unit (details)".  Usage: bench/bench_fwd.sh [BUILD]  (root, or SKIP)
set -u
BUILD=$(readlink -f "${1:-build}")
cd "$(dirname "$0")/.."
NPOL=${BENCH_FWD_POLICIES:-2000}
SECS=${BENCH_FWD_SECS:-3}
RUNS=${BENCH_FWD_RUNS:-2}
CONNS=${BENCH_FWD_CONNS:-8}
PORT=5001

if [ "$(id -u)" != 0 ]; then
	echo "SKIP fwd: needs root (network namespaces, nftables)"
	exit 0
fi
for t in ip nft jq; do
	command -v $t >/dev/null || {
		echo "SKIP fwd: $t not installed"
		exit 0
	}
done
P=$(readlink -f "$BUILD/palisade")
RR=$(readlink -f "$BUILD/bench/tcp_rr")
[ -x "$P" ] && [ -x "$RR" ] || {
	echo "fwd: $BUILD/palisade or $BUILD/bench/tcp_rr not built" >&2
	exit 1
}

TMP=$(mktemp -d /tmp/palisade-bench-fwd.XXXXXX)
S=$TMP/state
DS=$S/datastore
cleanup() {
	"$P" lab down --state "$S" >/dev/null 2>&1
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

sed "s/LABNAME/bfwd$$/" bench/lab.yaml >"$TMP/lab.yaml"
if ! "$P" lab up -f "$TMP/lab.yaml" --state "$S" >"$TMP/up.log" 2>&1; then
	echo "fwd: lab up failed:" >&2
	cat "$TMP/up.log" >&2
	exit 1
fi
"$P" lab status --state "$S" -o json >"$TMP/status.json"
SRV=$(jq -r '.pods[] | select(.name | startswith("bench-a/web-")) | select(.node == "node1") | .name' "$TMP/status.json" | head -n 1)
SRV_IP=$(jq -r --arg p "$SRV" '.pods[] | select(.name == $p) | .ip' "$TMP/status.json")
CLI=$(jq -r '.pods[] | select(.name | startswith("bench-b/client-")) | select(.node == "node2") | .name' "$TMP/status.json" | head -n 1)
NODE_NS=$(jq -r '.nodes[].netns' "$TMP/status.json")
if [ -z "$SRV" ] || [ -z "$CLI" ]; then
	echo "fwd: no web pod on node1 or no client pod on node2" >&2
	exit 1
fi

# wait_status FIELD MIN SECONDS: until every node's status.json has FIELD >= MIN.
wait_status() {
	local deadline=$((SECONDS + $3)) ok f
	while [ $SECONDS -lt $deadline ]; do
		ok=1
		for f in "$S"/nodes/*/status.json; do
			[ "$(jq -r ".$1 // 0" "$f" 2>/dev/null || echo 0)" -ge "$2" ] 2>/dev/null || ok=0
		done
		[ $ok = 1 ] && return 0
		sleep 0.2
	done
	echo "fwd: agents did not reach $1 >= $2 in $3 s" >&2
	return 1
}
wait_status applies 1 30 || exit 1

# Server for the whole run (it exits by itself after 120 s; lab down removes it anyway).
"$P" lab exec --state "$S" "$SRV" -- "$RR" server $PORT 120 >"$TMP/server.log" 2>&1 &
sleep 0.3

# best MODE: the best tps of RUNS runs
best() {
	local b=0 r out
	for ((r = 0; r < RUNS; r++)); do
		out=$("$P" lab exec --state "$S" "$CLI" -- "$RR" "$1" "$SRV_IP" $PORT "$CONNS" "$SECS") || {
			echo "fwd: $1 client failed: $out" >&2
			return 1
		}
		out=${out#* }
		out=${out%% *}
		[ "$out" -gt "$b" ] && b=$out
	done
	echo "$b"
}

# The agents' ruleset without policies: conntrack, the base chains and the profiles only.
rr_base=$(best rr) || exit 1
crr_base=$(best crr) || exit 1

# The policies: half Kubernetes (ingress of the web pods), half Calico (egress of the clients).
half=$((NPOL / 2))
{
	for ((i = 1; i <= half; i++)); do
		# names sort in evaluation order (tier default, order 1000, ties by name); the last allows PORT
		port=$((10000 + i))
		[ $i = $half ] && port=$PORT
		cat <<EOF
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: knp-$(printf %05d $i)
  namespace: bench-a
spec:
  podSelector:
    matchLabels: {app: web}
  policyTypes: [Ingress]
  ingress:
  - from:
    - namespaceSelector:
        matchLabels: {team: data}
      podSelector:
        matchLabels: {app: client}
    ports:
    - {protocol: TCP, port: $port}
---
EOF
	done
	for ((i = 1; i <= NPOL - half; i++)); do
		port=$((30000 + i))
		[ $i = $((NPOL - half)) ] && port=$PORT
		cat <<EOF
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata:
  name: cnp-$(printf %05d $i)
  namespace: bench-b
spec:
  order: $i
  selector: app == 'client'
  types: [Egress]
  egress:
  - action: Allow
    protocol: TCP
    destination:
      namespaceSelector: team == 'web'
      selector: app == 'web'
      ports: [$port]
---
EOF
	done
} >"$TMP/policies.yaml"
t0=$SECONDS
"$P" apply -f "$TMP/policies.yaml" --datastore "$DS" >/dev/null || exit 1
wait_status policies "$NPOL" 120 || exit 1
rules=$(jq -s 'map(.rules) | add' "$S"/nodes/*/status.json)
echo "fwd.policies $NPOL policies ($rules rules over both nodes; applied and in the kernel in $((SECONDS - t0)) s)"

# The benchmark's port must be allowed by the policies, and only it: a port no policy allows
# must be refused (the policies are in force).
"$P" lab exec --state "$S" "$CLI" -- "$RR" crr "$SRV_IP" $PORT 1 1 >/dev/null || {
	echo "fwd: the policies do not let the benchmark through" >&2
	exit 1
}
if "$P" lab exec --state "$S" "$CLI" -- "$RR" crr "$SRV_IP" 80 1 1 >/dev/null 2>&1; then
	echo "fwd: port 80 gets through: the policies are not in force" >&2
	exit 1
fi

rr_pol=$(best rr) || exit 1
crr_pol=$(best crr) || exit 1

# The same 2,000 policies plus one of each kind that allows the port first in evaluation order
# (a Kubernetes policy whose name sorts first, a Calico policy of order 0): the best case.
cat >"$TMP/first.yaml" <<EOF
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: a-first
  namespace: bench-a
spec:
  podSelector:
    matchLabels: {app: web}
  policyTypes: [Ingress]
  ingress:
  - from:
    - namespaceSelector:
        matchLabels: {team: data}
    ports:
    - {protocol: TCP, port: $PORT}
---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata:
  name: a-first
  namespace: bench-b
spec:
  order: 0
  selector: app == 'client'
  types: [Egress]
  egress:
  - action: Allow
    protocol: TCP
    destination:
      ports: [$PORT]
EOF
"$P" apply -f "$TMP/first.yaml" --datastore "$DS" >/dev/null || exit 1
wait_status policies $((NPOL + 2)) 60 || exit 1
sleep 0.5
crr_first=$(best crr) || exit 1

# No ruleset: stop the agents (so nothing re-applies) and delete the table on both nodes.
for f in "$S"/pids/agent-*.pid; do
	pid=$(cat "$f")
	kill "$pid" 2>/dev/null
	for _ in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
done
for ns in $NODE_NS; do
	ip netns exec "$ns" nft delete table inet palisade || exit 1
	[ -z "$(ip netns exec "$ns" nft list ruleset)" ] || {
		echo "fwd: node namespace $ns still has a ruleset" >&2
		exit 1
	}
done

rr_none=$(best rr) || exit 1
crr_none=$(best crr) || exit 1

cost() { awk -v w="$1" -v n="$2" 'BEGIN { printf "%.1f", (n - w) * 100 / n }'; }
details="$SRV on node1 <- $CLI on node2, $CONNS connections, best of $RUNS x $SECS s"
echo "fwd.rr_with_policy $rr_pol tps (1-byte request/response on established connections; $details)"
echo "fwd.rr_base_ruleset $rr_base tps (the agents' ruleset before any policy: conntrack and base chains; $(cost "$rr_base" "$rr_none") % cost)"
echo "fwd.rr_no_ruleset $rr_none tps (same nodes, agents stopped, table deleted)"
echo "fwd.cost_pct $(cost "$rr_pol" "$rr_none") % (established connections; goal < 10)"
echo "fwd.crr_with_policy $crr_pol tps (new connection per transaction, each walking all $NPOL policies, half on each node; $details)"
echo "fwd.crr_with_policy_first_match $crr_first tps (the same plus 2 policies that allow the port first: $(cost "$crr_first" "$crr_none") % cost)"
echo "fwd.crr_base_ruleset $crr_base tps (the agents' ruleset before any policy; $(cost "$crr_base" "$crr_none") % cost)"
echo "fwd.crr_no_ruleset $crr_none tps (same nodes, agents stopped, table deleted)"
echo "fwd.crr_cost_pct $(cost "$crr_pol" "$crr_none") % (new connections; goal < 10)"
