#!/usr/bin/env bash
# The differential test of the dataplane (DESIGN §4): a lab of 2 nodes, 3 namespaces, 9 pods
# and 2 external hosts; for every scenario in lab/scenarios, `palisade apply` it, wait for
# both agents, and require `palisade lab probe` (real packets through nftables) to equal
# `palisade matrix` (the evaluator) on every cell; then delete it and check again.  Also:
# killing an agent leaves enforcement in place and a restart converges; a broken manifest in
# the datastore is reported and changes nothing.
#
# Prints PASS/FAIL lines; needs root and network namespaces (tests/integration/run.sh).
set -u
cd "$(dirname "$0")/../.."
P=${PALISADE:-build/palisade}
P=$(readlink -f "$P")
DIR=tests/integration/lab
TMP=$(mktemp -d "${TMPDIR:-/tmp}/palisade-diff.XXXXXX")
STATE=$TMP/state
DS=$STATE/datastore
PORTS=80,81
PROTOS=TCP,UDP

cleanup() {
	"$P" lab down --state "$STATE" >/dev/null 2>&1
	rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

pass() { echo "PASS lab-diff/$1"; }
fail() {
	echo "FAIL lab-diff/$1"
	shift
	[ $# -gt 0 ] && printf '%s\n' "$@" | head -n 40 | sed 's/^/    /'
}

nodes() { "$P" lab status --state "$STATE" -o json | jq -r '.nodes[] | if type == "object" then .name else . end'; }
reloads() { # reloads NODE
	jq -r '.reloads' "$STATE/nodes/$1/status.json" 2>/dev/null || echo 0
}

# Waits until every agent has reloaded past the counts in the associative array BEFORE.
declare -A BEFORE
mark() { for n in $(nodes); do BEFORE[$n]=$(reloads "$n"); done; }
wait_agents() {
	local deadline=$((SECONDS + 15)) n done
	while [ $SECONDS -lt $deadline ]; do
		done=1
		for n in $(nodes); do
			[ "$(reloads "$n")" -gt "${BEFORE[$n]:-0}" ] || done=0
		done
		[ $done = 1 ] && return 0
		sleep 0.2
	done
	return 1
}

normalise() { jq -S '[.cells[] | {from, to, port, protocol, allowed}] | sort_by(.from, .to, .port, .protocol)'; }

# compare NAME [DATASTORE]: probe vs matrix over the datastore (or a copy of it).
compare() {
	local name=$1 ds=${2:-$DS} probe matrix
	probe=$("$P" lab probe --state "$STATE" --ports $PORTS --protos $PROTOS -o json 2>"$TMP/probe.err" | normalise) || {
		fail "$name" "lab probe failed:" "$(cat "$TMP/probe.err")"
		return 1
	}
	matrix=$("$P" matrix -f "$ds" --ports $PORTS --protos $PROTOS -o json 2>"$TMP/matrix.err" | normalise) || {
		fail "$name" "matrix failed:" "$(cat "$TMP/matrix.err")"
		return 1
	}
	if [ -z "$probe" ] || [ "$probe" = "[]" ]; then
		fail "$name" "lab probe returned no cells"
		return 1
	fi
	if [ "$probe" = "$matrix" ]; then
		pass "$name"
		return 0
	fi
	fail "$name" "cells where the kernel (probe) and the evaluator (matrix) disagree:" \
		"$(jq -n --argjson p "$probe" --argjson m "$matrix" -r '
			[range(0; $p | length) as $i | select($p[$i].allowed != $m[$i].allowed) |
			 "\($p[$i].protocol)/\($p[$i].port) \($p[$i].from) -> \($p[$i].to): probe \($p[$i].allowed), matrix \($m[$i].allowed)"] | .[]' 2>&1)"
	return 1
}

# Established connections survive an agent restart: the first apply of a new agent replaces
# the table in one transaction and leaves conntrack alone.  A request/response load runs
# between pods on the two nodes (tcp_rr, bounded: 4 s, 2 connections) while the agent of the
# server's node is killed, a policy that isolates the server's namespace is applied, and the
# agent is started again.  The open connections must carry on without a single error (the
# client counts every broken one), while new connections to the server are refused.
established_survive_restart() { # NODE NETNS PIDFILE
	local node=$1 ns=$2 pidfile=$3 status server client sip out crr_out gap
	local rr
	rr=$(dirname "$P")/bench/tcp_rr
	if [ ! -x "$rr" ]; then
		fail established-survive-restart "$rr is not built"
		return
	fi
	status=$("$P" lab status --state "$STATE" -o json)
	server=$(echo "$status" | jq -r --arg n "$node" '[.pods[] | select(.node == $n and (.name | startswith("policy-demo/")))][0].name')
	sip=$(echo "$status" | jq -r --arg s "$server" '.pods[] | select(.name == $s) | .ip')
	client=$(echo "$status" | jq -r --arg n "$node" '[.pods[] | select(.node != $n and (.name | startswith("policy-demo/")))][0].name')
	if [ -z "$server" ] || [ "$server" = null ] || [ -z "$client" ] || [ "$client" = null ]; then
		fail established-survive-restart "no policy-demo pods on both nodes: $status"
		return
	fi
	printf 'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: isolate\n  namespace: policy-demo\nspec:\n  podSelector: {}\n  policyTypes: [Ingress]\n' >"$TMP/isolate.yaml"
	"$P" lab exec --state "$STATE" "$server" -- "$rr" server 9000 15 >/dev/null 2>&1 &
	local spid=$!
	sleep 0.5
	"$P" lab exec --state "$STATE" "$client" -- "$rr" rr "$sip" 9000 2 4 >"$TMP/rr.out" 2>&1 &
	local cpid=$!
	sleep 1
	kill -9 "$(cat "$pidfile")" 2>/dev/null
	"$P" apply --datastore "$DS" -f "$TMP/isolate.yaml" >/dev/null
	rm -f "$STATE/nodes/$node/status.json"
	ip netns exec "$ns" "$P" agent --node "$node" --datastore "$DS" --state "$STATE/nodes/$node" \
		--listen "" >>"$STATE/logs/agent-$node.log" 2>&1 &
	echo $! >"$pidfile"
	wait "$cpid"
	sleep 0.3
	crr_out=$("$P" lab exec --state "$STATE" "$client" -- "$rr" crr "$sip" 9000 1 1 2>&1)
	kill "$spid" 2>/dev/null
	wait "$spid" 2>/dev/null
	out=$(cat "$TMP/rr.out")
	gap=$(echo "$out" | sed -n 's/.*longest gap \([0-9]*\) ms.*/\1/p')
	# A connection the new ruleset stopped carrying stalls until the end (about 2.5 s); a
	# transaction replacing the table does not stop packets at all.
	if [ -f "$STATE/nodes/$node/status.json" ] && echo "$out" | grep -q ', 0 errors,' &&
		! echo "$out" | grep -q '(0 transactions' && [ -n "$gap" ] && [ "$gap" -lt 1000 ] &&
		echo "$crr_out" | grep -q '(0 transactions'; then
		pass established-survive-restart
	else
		fail established-survive-restart "established load: $out" "new connections after the restart (must be 0): $crr_out" \
			"status: $(cat "$STATE/nodes/$node/status.json" 2>&1)"
	fi
	mark
	"$P" delete --datastore "$DS" -f "$TMP/isolate.yaml" >/dev/null
	wait_agents
}

if ! "$P" lab up -f "$DIR/cluster.yaml" --state "$STATE" >"$TMP/up.out" 2>&1; then
	fail setup "lab up failed:" "$(tail -n 30 "$TMP/up.out")"
	exit 1
fi
# Both agents must have applied their first ruleset.
for n in $(nodes); do BEFORE[$n]=0; done
if ! wait_agents; then
	fail agents-start "agents did not apply a ruleset:" "$(cat "$STATE"/nodes/*/status.json 2>&1)" \
		"$(tail -n 20 "$STATE"/logs/agent-*.log 2>/dev/null)"
	exit 1
fi
pass agents-start
compare baseline

for scenario in "$DIR"/scenarios/*.yaml; do
	name=$(basename "$scenario" .yaml)
	mark
	if ! "$P" apply --datastore "$DS" -f "$scenario" >"$TMP/apply.out" 2>&1; then
		fail "$name/apply" "$(cat "$TMP/apply.out")"
		continue
	fi
	wait_agents || { fail "$name/apply" "agents did not reload within 15 s"; continue; }
	compare "$name/applied"
	mark
	"$P" delete --datastore "$DS" -f "$scenario" >"$TMP/delete.out" 2>&1 || {
		fail "$name/delete" "$(cat "$TMP/delete.out")"
		continue
	}
	wait_agents || { fail "$name/delete" "agents did not reload within 15 s"; continue; }
	compare "$name/deleted"
done
# Policy changes reach the kernel as patches of the changed chains and sets, not whole tables.
patches=$(cat "$STATE"/nodes/*/status.json | jq -s 'map(.patches) | add')
if [ "${patches:-0}" -gt 0 ]; then
	pass "policy-changes-as-patches ($patches patches)"
else
	fail policy-changes-as-patches "no agent applied a patch: $(cat "$STATE"/nodes/*/status.json)"
fi

# A broken manifest dropped into the datastore: reported, ignored, enforcement unchanged.
"$P" apply --datastore "$DS" -f "$DIR/scenarios/03-k8s-deny-all-backend.yaml" >/dev/null
mark
wait_agents
mark
printf 'apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata:\n  name: broken\nspec:\n  ingress:\n  - action: Block\n' >"$DS/zz-broken.yaml"
if wait_agents && grep -q '"files_skipped":1' "$STATE"/nodes/*/status.json; then
	pass broken-manifest-reported
else
	fail broken-manifest-reported "$(cat "$STATE"/nodes/*/status.json)"
fi
mkdir -p "$TMP/ds-good"
cp "$DS"/*.json "$DS"/*.yaml "$TMP/ds-good/" 2>/dev/null
rm -f "$TMP/ds-good/zz-broken.yaml"
compare broken-manifest-enforcement-unchanged "$TMP/ds-good"
rm -f "$DS/zz-broken.yaml"

# A change that only moves addresses between sets goes to the kernel as a netlink delta.
"$P" apply --datastore "$DS" -f "$DIR/scenarios/12-article-blockthreats.yaml" >/dev/null
mark
wait_agents
deltas_before=$(cat "$STATE"/nodes/*/status.json | jq -s 'map(.deltas) | add')
mark
sed 's|198.51.100.0/24|203.0.113.0/24|' "$DIR/scenarios/12-article-blockthreats.yaml" >"$TMP/feed-moved.yaml"
"$P" apply --datastore "$DS" -f "$TMP/feed-moved.yaml" >/dev/null
if wait_agents; then
	deltas_after=$(cat "$STATE"/nodes/*/status.json | jq -s 'map(.deltas) | add')
	if [ "$deltas_after" -gt "$deltas_before" ]; then
		pass netset-change-as-netlink-delta
	else
		fail netset-change-as-netlink-delta "no agent applied a delta: $(cat "$STATE"/nodes/*/status.json)"
	fi
	compare netset-change-delta-enforced
else
	fail netset-change-as-netlink-delta "agents did not reload"
fi
mark
"$P" delete --datastore "$DS" -f "$TMP/feed-moved.yaml" >/dev/null
wait_agents

# Kill one agent: its ruleset stays; a change meanwhile is not enforced there; a restart
# converges.
node=$(nodes | head -n 1)
pidfile=$(ls "$STATE"/pids/agent-"$node".pid "$STATE"/nodes/"$node"/agent.pid 2>/dev/null | head -n 1)
if [ -z "$pidfile" ]; then
	fail agent-kill "no pid file for the agent of $node"
else
	kill -9 "$(cat "$pidfile")" 2>/dev/null
	sleep 0.3
	compare agent-killed-enforcement-stays
	"$P" apply --datastore "$DS" -f "$DIR/scenarios/09-calico-tier-deny-pass.yaml" >/dev/null
	sleep 1
	# Restart the agent exactly as the lab started it, and wait for its first status.
	for n in $(nodes); do BEFORE[$n]=-1; done
	BEFORE[$node]=0
	rm -f "$STATE/nodes/$node/status.json"
	ns=$("$P" lab status --state "$STATE" -o json | jq -r --arg n "$node" '.nodes[] | select((if type == "object" then .name else . end) == $n) | if type == "object" then (.netns // empty) else empty end')
	if [ -n "$ns" ]; then
		ip netns exec "$ns" "$P" agent --node "$node" --datastore "$DS" --state "$STATE/nodes/$node" \
			--listen "" >>"$STATE/logs/agent-$node.log" 2>&1 &
		echo $! >"$pidfile"
		if wait_agents; then
			compare agent-restart-converges
		else
			fail agent-restart-converges "restarted agent did not apply"
		fi
		established_survive_restart "$node" "$ns" "$pidfile"
	else
		fail agent-restart-converges "lab status does not give the node's namespace"
	fi
fi
exit 0
