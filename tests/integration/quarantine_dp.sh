#!/usr/bin/env bash
# Quarantine in the dataplane (docs/dataplane.md, "Expiring entries"): a network set whose
# entries carry palisade.dev/expires becomes kernel set elements with timeouts, so a block
# takes effect at once and ends on time even when no agent runs.  A lab of 2 nodes (one web
# pod each), an external host "attacker" and a control host "client", and the article's
# default.blockthreats (deny ingress from security-action == 'block') followed by an
# allow-all policy (lab/quarantine/).  Then:
#   1. a quarantine GlobalNetworkSet holding the attacker, expiring in 8 s: the attacker is
#      blocked from both pods within 1 s of the apply, the client is not, and each node's
#      kernel holds the element with a timeout (the set's first appearance adds a rule: a
#      patch, not a whole-table apply);
#   2. every agent is killed (SIGKILL): the attacker stays blocked, and gets through again
#      when the entry expires, with no agent running;
#   3. the agents are started again: they converge (the expired entry is not rendered, the
#      attacker still gets through);
#   4. a new entry expiring in 5 s is extended to 13 s before it expires (both netlink
#      deltas): the attacker stays blocked past the old time and gets through after the new
#      one;
#   5. the controller prunes the expired entry: each agent's delta deletes it although the
#      kernel dropped it already, counts it (palisade_delta_expired_total) and needs no
#      whole-table apply.
# Prints PASS/FAIL lines; needs root, jq and perl (tests/integration/run.sh).
set -u
cd "$(dirname "$0")/../.."
P=$(readlink -f "${PALISADE:-build/palisade}")
DIR=tests/integration/lab/quarantine
TMP=$(mktemp -d "${TMPDIR:-/tmp}/palisade-quarantine.XXXXXX")
STATE=$TMP/state
DS=$STATE/datastore
ATTACKER=198.51.100.66

cleanup() {
	"$P" lab down --state "$STATE" >/dev/null 2>&1
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

failed=0
pass() { echo "PASS quarantine_dp/$1"; }
fail() {
	failed=1
	echo "FAIL quarantine_dp/$1"
	shift
	[ $# -gt 0 ] && printf '%s\n' "$@" | head -n 40 | sed 's/^/    /'
	return 0
}
# Fails the current step and stops: what follows depends on it.
fatal() {
	fail "$@"
	exit 1
}

if ! command -v perl >/dev/null; then
	echo "SKIP quarantine_dp: perl is not installed"
	exit 0
fi

now_ms() { date +%s%3N; }
rfc3339() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }

# reach FROM IP NAME: a TCP connection from FROM to IP:80 gets the responder's answer NAME
# within 0.25 s (a denied SYN is dropped: the connection times out).
reach() {
	local got
	got=$("$P" lab exec --state "$STATE" "$1" -- perl -MIO::Socket::INET -e '
		my $s = IO::Socket::INET->new(PeerAddr => $ARGV[0], PeerPort => 80, Timeout => 0.25)
			or exit 1;
		my ($r, $rin) = ("", "");
		vec($rin, fileno($s), 1) = 1;
		select($rin, undef, undef, 0.25) and sysread($s, $r, 64);
		print $r;' "$2" 2>/dev/null)
	[ "$got" = "$3" ]
}
# until_state WANT DEADLINE_MS: probes the attacker -> web1 until it is blocked (WANT=blocked)
# or reachable (WANT=open); prints the time in ms at which the first probe that showed it
# started, or nothing at the deadline.  A probe's SYN leaves some tens of ms after that time
# (lab exec, perl), hence the 200 ms of slack where an expiry is compared with it.
until_state() {
	local want=$1 deadline=$2 t
	while [ "$(now_ms)" -lt "$deadline" ]; do
		t=$(now_ms)
		if reach attacker "$WEB1_IP" shop/web1; then
			[ "$want" = open ] && { echo "$t"; return 0; }
		else
			[ "$want" = blocked ] && { echo "$t"; return 0; }
		fi
		sleep 0.05
	done
	return 1
}

nodes() { "$P" lab status --state "$STATE" -o json | jq -r '.nodes[] | if type == "object" then .name else . end'; }
field() { jq -r ".$2" "$STATE/nodes/$1/status.json" 2>/dev/null; } # field NODE KEY
kernel() { "$P" lab exec --state "$STATE" "$1" -- nft list table inet palisade; } # kernel NODE
metric() { # metric NODE NAME
	"$P" lab exec --state "$STATE" "$1" -- curl -sf http://127.0.0.1:9099/metrics |
		awk -v n="$2" '$1 == n {print $2}'
}
declare -A BEFORE
mark() { for n in $(nodes); do BEFORE[$n]=$(field "$n" reloads || echo 0); done; }
wait_agents() { # until every agent reloaded past mark (10 s at most)
	local deadline=$((SECONDS + 10)) n done
	while [ $SECONDS -lt $deadline ]; do
		done=1
		for n in $(nodes); do
			[ "$(field "$n" reloads)" -gt "${BEFORE[$n]:-0}" ] 2>/dev/null || done=0
		done
		[ $done = 1 ] && return 0
		sleep 0.1
	done
	return 1
}
# quarantine EXPIRY|none: the response's set, holding the attacker until EXPIRY (epoch
# seconds), or holding nothing (the controller pruned it).
quarantine() {
	local nets="[$ATTACKER/32]" exp
	if [ "$1" = none ]; then
		nets="[]" exp='{}'
	else
		exp="{\"$ATTACKER/32\":\"$(rfc3339 "$1")\"}"
	fi
	cat >"$TMP/quarantine.yaml" <<EOF
apiVersion: projectcalico.org/v3
kind: GlobalNetworkSet
metadata:
  name: palisade.quarantine
  labels: {security-action: block}
  annotations:
    palisade.dev/expires: '$exp'
    palisade.dev/reasons: '{}'
spec:
  nets: $nets
EOF
	"$P" apply --datastore "$DS" -f "$TMP/quarantine.yaml" >"$TMP/apply.out" 2>&1 ||
		fatal apply "$(cat "$TMP/apply.out")"
}

# ---- the lab ----------------------------------------------------------------------------------

sed "s/name: quarantine$/name: quarantine-$$/" "$DIR/cluster.yaml" >"$TMP/cluster.yaml"
if ! "$P" lab up -f "$TMP/cluster.yaml" -f "$DIR/policy.yaml" --state "$STATE" >"$TMP/up.out" 2>&1; then
	fatal setup "lab up failed:" "$(tail -n 30 "$TMP/up.out")"
fi
deadline=$((SECONDS + 15))
until [ "$(field node1 applies)" = 1 ] && [ "$(field node2 applies)" = 1 ]; do
	[ $SECONDS -ge $deadline ] && fatal setup "agents did not apply a ruleset:" \
		"$(cat "$STATE"/nodes/*/status.json 2>&1)" "$(tail -n 20 "$STATE"/logs/agent-*.log 2>&1)"
	sleep 0.1
done
status=$("$P" lab status --state "$STATE" -o json)
WEB1_IP=$(echo "$status" | jq -r '.pods[] | select(.name == "shop/web1") | .ip')
WEB2_IP=$(echo "$status" | jq -r '.pods[] | select(.name == "shop/web2") | .ip')
if [ -z "$WEB1_IP" ] || [ -z "$WEB2_IP" ]; then
	fatal setup "unexpected lab status: $status"
fi
if reach attacker "$WEB1_IP" shop/web1 && reach attacker "$WEB2_IP" shop/web2 &&
	reach client "$WEB1_IP" shop/web1; then
	pass baseline-open
else
	fatal baseline-open "before any quarantine the attacker and the client must reach both pods"
fi

# ---- 1. blocked at once, with a kernel timeout ----------------------------------------------

mark
EXP1=$(($(date +%s) + 8))
t0=$(now_ms)
quarantine "$EXP1"
t_block=$(until_state blocked $((t0 + 3000)))
if [ -z "$t_block" ]; then
	fail blocked-within-1s "the attacker still reached shop/web1 3 s after the apply"
elif [ $((t_block - t0)) -gt 1000 ]; then
	fail blocked-within-1s "blocked only after $((t_block - t0)) ms"
else
	pass "blocked-within-1s ($((t_block - t0)) ms)"
fi
if ! reach attacker "$WEB2_IP" shop/web2 && reach client "$WEB1_IP" shop/web1 &&
	reach client "$WEB2_IP" shop/web2; then
	pass blocked-on-both-nodes-client-open
else
	fail blocked-on-both-nodes-client-open "attacker -> web2 must be blocked, client -> web1 and web2 open"
fi
wait_agents || fail agents-reload "agents did not reload after the apply"
ok=1
for n in node1 node2; do
	k=$(kernel "$n")
	if ! echo "$k" | grep -qE "$ATTACKER timeout [0-9]s expires"; then
		ok=0
		fail "kernel-timeout-$n" "no element $ATTACKER with a timeout under 10 s:" \
			"$(echo "$k" | grep -B3 -A3 'flags timeout')"
	elif [ "$(field "$n" last)" != patched ]; then
		# The set's first appearance adds its rule (a patch); the hash set was declared
		# `flags timeout` already, so never a whole-table apply.
		ok=0
		fail "kernel-timeout-$n" "the change was not a patch: $(cat "$STATE/nodes/$n/status.json")"
	fi
done
[ $ok = 1 ] && pass "kernel-element-with-timeout ($(kernel node1 | grep -oE "$ATTACKER timeout [0-9a-z]+ expires [0-9a-z]+"))"

# ---- 2. no agent: still blocked, then open at the expiry -------------------------------------

for f in "$STATE"/pids/agent-*.pid; do
	kill -9 "$(cat "$f")" 2>/dev/null
done
dead=0
for _ in $(seq 50); do
	alive=0
	for f in "$STATE"/pids/agent-*.pid; do
		kill -0 "$(cat "$f")" 2>/dev/null && alive=1
	done
	[ $alive = 0 ] && { dead=1; break; }
	sleep 0.1
done
[ $dead = 1 ] || fatal agents-killed "an agent survived SIGKILL"
if [ "$(date +%s)" -lt $((EXP1 - 1)) ] && ! reach attacker "$WEB1_IP" shop/web1; then
	pass still-blocked-without-agents
else
	fail still-blocked-without-agents "the attacker got through with no agent before the expiry"
fi
t_open=$(until_state open $((EXP1 * 1000 + 3000)))
if [ -z "$t_open" ]; then
	fail expired-without-agents "the attacker was still blocked 3 s after the expiry"
elif [ "$t_open" -lt $((EXP1 * 1000 - 200)) ]; then
	fail expired-without-agents "the attacker got through $((EXP1 * 1000 - t_open)) ms before the expiry"
elif kernel node1 | grep -q "$ATTACKER" || kernel node2 | grep -q "$ATTACKER"; then
	fail expired-without-agents "a kernel still holds $ATTACKER after the expiry"
else
	pass "expired-without-agents (open $((t_open - EXP1 * 1000)) ms after the expiry)"
fi

# ---- 3. the agents come back and converge ----------------------------------------------------

restart_agents() {
	local n ns
	for n in $(nodes); do
		ns=$(echo "$status" | jq -r --arg n "$n" '.nodes[] | select((if type == "object" then .name else . end) == $n) | if type == "object" then (.netns // empty) else empty end')
		[ -n "$ns" ] || fatal restart "lab status does not give the namespace of $n"
		rm -f "$STATE/nodes/$n/status.json"
		ip netns exec "$ns" "$P" agent --node "$n" --datastore "$DS" --state "$STATE/nodes/$n" \
			--lab >>"$STATE/logs/agent-$n.log" 2>&1 &
		echo $! >"$STATE/pids/agent-$n.pid"
	done
	deadline=$((SECONDS + 10))
	until [ "$(field node1 applies)" = 1 ] && [ "$(field node2 applies)" = 1 ]; do
		[ $SECONDS -ge $deadline ] && fatal restart "restarted agents did not apply:" \
			"$(tail -n 20 "$STATE"/logs/agent-*.log 2>&1)"
		sleep 0.1
	done
}
restart_agents
if kernel node1 | grep -q "$ATTACKER" || kernel node2 | grep -q "$ATTACKER"; then
	fail restart-converges "a restarted agent rendered the expired entry again"
elif ! reach attacker "$WEB1_IP" shop/web1 || ! reach attacker "$WEB2_IP" shop/web2; then
	fail restart-converges "the attacker is blocked after the restart"
else
	pass restart-converges
fi

# ---- 4. extended before it expires -----------------------------------------------------------

mark
EXP2=$(($(date +%s) + 5))
quarantine "$EXP2"
until_state blocked $(($(now_ms) + 3000)) >/dev/null || fail extend "the new entry did not block"
wait_agents || fail extend "agents did not reload"
for n in node1 node2; do
	[ "$(field "$n" last)" = delta ] ||
		fail "extend-$n" "the new entry was not a netlink delta: $(cat "$STATE/nodes/$n/status.json")"
done
sleep 1
mark
EXP3=$((EXP2 + 8))
quarantine "$EXP3"
wait_agents || fail extend "agents did not reload after the extension"
if [ "$(date +%s)" -ge "$EXP2" ]; then
	fail extend "the extension came after the old expiry (the machine is too slow for this test)"
fi
for n in node1 node2; do
	[ "$(field "$n" last)" = delta ] ||
		fail "extend-$n" "the extension was not a netlink delta: $(cat "$STATE/nodes/$n/status.json")"
done
# Past the old expiry (with a margin for the probes), the attacker must still be blocked.
while [ "$(now_ms)" -lt $((EXP2 * 1000 + 1500)) ]; do sleep 0.1; done
if reach attacker "$WEB1_IP" shop/web1 || reach attacker "$WEB2_IP" shop/web2; then
	fail extended-stays-blocked "the attacker got through after the old expiry $(rfc3339 "$EXP2")"
else
	pass "extended-stays-blocked ($(kernel node2 | grep -oE "$ATTACKER timeout [0-9a-z]+ expires [0-9a-z]+"))"
fi
t_open=$(until_state open $((EXP3 * 1000 + 3000)))
if [ -z "$t_open" ]; then
	fail extended-expires "the attacker was still blocked 3 s after the new expiry"
elif [ "$t_open" -lt $((EXP3 * 1000 - 200)) ]; then
	fail extended-expires "the attacker got through $((EXP3 * 1000 - t_open)) ms before the new expiry"
else
	pass "extended-expires (open $((t_open - EXP3 * 1000)) ms after the new expiry)"
fi

# ---- 5. pruned after the kernel expired it ---------------------------------------------------

mark
quarantine none
wait_agents || fail pruned "agents did not reload after the prune"
ok=1
for n in node1 node2; do
	expired=$(metric "$n" palisade_delta_expired_total)
	fallbacks=$(metric "$n" palisade_delta_fallbacks_total)
	if [ "$(field "$n" last)" != delta ] || [ "$expired" != 1 ] || [ "$fallbacks" != 0 ] ||
		[ "$(field "$n" delta_expired)" != 1 ]; then
		ok=0
		fail "pruned-$n" "want a delta that counted 1 expired element and no fallback:" \
			"palisade_delta_expired_total=$expired palisade_delta_fallbacks_total=$fallbacks" \
			"$(cat "$STATE/nodes/$n/status.json")"
	fi
done
if [ $ok = 1 ] && reach attacker "$WEB1_IP" shop/web1 && reach client "$WEB2_IP" shop/web2; then
	pass pruned-after-expiry-counted
elif [ $ok = 1 ]; then
	fail pruned-after-expiry-counted "the attacker or the client is blocked after the prune"
fi
exit $failed
