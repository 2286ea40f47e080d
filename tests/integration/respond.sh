#!/usr/bin/env bash
# Automatic response end to end (DESIGN §8, docs/response.md): a lab (lab/respond: three web
# replicas over two nodes, a scanner and a client outside) with the article's
# default.blockthreats and a policy letting the rest in, agents and the lab's controller on
# 2 s windows with response on for ip_sweep_external (20 s).  Checks:
#   - `nmap -sn` from the scanner across node2's pod range leads, through the
#     ip_sweep_external event, to the scanner's address in the quarantine set, with the
#     event's id as its reason, and the scanner blocked (the client is not);
#   - with the controller killed, the block still ends on time (kernel element timeout) and
#     the scanner gets through again; started again, the controller prunes the expired entry.
# nmap targets only the lab's own addresses; every wait is bounded.  Needs root, jq, nmap and
# perl (tests/integration/run.sh); prints PASS/FAIL/SKIP lines.
set -u
cd "$(dirname "$0")/../.."
P=$(readlink -f "${PALISADE:-build/palisade}")
DIR=tests/integration/lab/respond
TMP=$(mktemp -d "${TMPDIR:-/tmp}/palisade-respond.XXXXXX")
STATE=$TMP/state
DS=$STATE/datastore
W=2 # seconds per flow window
SCANNER=198.51.100.66

cleanup() {
	"$P" lab down --state "$STATE" >/dev/null 2>&1
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

pass() { echo "PASS respond/$1"; }
fail() {
	echo "FAIL respond/$1"
	shift
	[ $# -gt 0 ] && printf '%s\n' "$@" | head -n 40 | sed 's/^/    /'
	return 0
}

for tool in nmap perl; do
	if ! command -v $tool >/dev/null; then
		echo "SKIP respond: $tool is not installed"
		exit 0
	fi
done

sed "s/name: respondtest/name: respondtest-$$/" "$DIR/cluster.yaml" >"$TMP/cluster.yaml"
if ! PALISADE_FLOW_INTERVAL=$W "$P" lab up -f "$TMP/cluster.yaml" --state "$STATE" \
	--controller-config "$DIR/controller.yaml" >"$TMP/up.out" 2>&1; then
	fail setup "lab up failed:" "$(tail -n 30 "$TMP/up.out")"
	exit 1
fi
status=$("$P" lab status --state "$STATE" -o json)
node2_range=$(echo "$status" | jq -r '.nodes[] | select(.name == "node2") | .podCIDR')
web1=$(echo "$status" | jq -r '[.pods[] | select(.name | startswith("shop/web-"))][0].name')
web1_ip=$(echo "$status" | jq -r --arg p "$web1" '.pods[] | select(.name == $p) | .ip')
if [ -z "$node2_range" ] || [ -z "$web1_ip" ]; then
	fail setup "unexpected lab status: $status"
	exit 1
fi

# connects HOST: 0 when HOST opens a TCP connection to web1:80 within 0.5 s.
connects() {
	"$P" lab exec --state "$STATE" "$1" -- perl -MIO::Socket::INET -e '
		IO::Socket::INET->new(PeerAddr => $ARGV[0], PeerPort => 80, Timeout => 0.5)
			or exit 1;' "$web1_ip" 2>/dev/null
}
# wait_for SECONDS CMD...: until CMD succeeds; prints the milliseconds it took.
wait_for() {
	local limit=$1 start
	shift
	start=$(date +%s%N)
	while :; do
		if "$@"; then
			echo $((($(date +%s%N) - start) / 1000000))
			return 0
		fi
		[ $((($(date +%s%N) - start) / 1000000000)) -ge "$limit" ] && return 1
		sleep 0.1
	done
}
blocked() { ! connects "$1"; }
qjson() { "$P" quarantine list --datastore "$DS" -o json 2>/dev/null; }
listed() { qjson | jq -e --arg a "$SCANNER/32" 'any(.entries[]; .address == $a)' >/dev/null; }
not_listed() { ! listed; }
ctl() { jq -r "$1" "$STATE/controller/status.json" 2>/dev/null; }

"$P" apply --datastore "$DS" -f "$DIR/policy.yaml" >/dev/null
deadline=$((SECONDS + 30))
until [ "$(ctl '.response.enabled')" = true ] && connects scanner && connects client; do
	if [ $SECONDS -ge $deadline ]; then
		fail start "response not on, or the hosts do not get through before any quarantine" \
			"$(cat "$STATE/controller/status.json" 2>&1)" "$(tail -n 10 "$STATE/logs/controller.log")"
		exit 1
	fi
	sleep 0.2
done
if qjson | jq -e '.entries == []' >/dev/null; then
	pass start
else
	fail start "quarantine not empty: $(qjson)"
fi

# ---- a sweep quarantines its source ---------------------------------------------------------

"$P" lab exec --state "$STATE" scanner -- nmap -sn -n -T4 --max-retries 0 --host-timeout 5s \
	"$node2_range" >"$TMP/nmap-sn.out" 2>&1 || fail sweep "nmap -sn: $(tail -n 5 "$TMP/nmap-sn.out")"
if ms=$(wait_for $((2 * W + 6)) listed); then
	pass "quarantined (${ms} ms after the sweep; flush interval ${W}s, grace 2s)"
else
	fail quarantined "quarantine: $(qjson)" "$(tail -n 10 "$STATE/logs/controller.log")" \
		"status: $(cat "$STATE/controller/status.json")"
	exit 1
fi
if ms=$(wait_for 3 blocked scanner); then
	pass "scanner-blocked (${ms} ms after the entry was written, the check's 0.5 s connect timeout included)"
else
	fail scanner-blocked "the scanner still connects to $web1_ip:80" "$(qjson)"
fi
if connects client; then pass client-not-blocked; else fail client-not-blocked "client cannot connect"; fi

# The entry names the event that caused it.
reason=$(qjson | jq -r --arg a "$SCANNER/32" '.entries[] | select(.address == $a) | .reason')
ids=$("$P" events --state "$STATE" -o json 2>/dev/null |
	jq -r --arg s "$SCANNER" 'select(.origin == "ip_sweep_external" and .source_ip == $s) | .id')
if [ -n "$ids" ] && [ "$reason" = "ip_sweep_external event $(echo "$ids" | head -n 1)" ]; then
	pass reason-names-event
else
	fail reason-names-event "reason \"$reason\", events: $ids"
fi
expires=$(qjson | jq -r --arg a "$SCANNER/32" '.entries[] | select(.address == $a) | .remaining')
if [ -n "$expires" ] && [ "$expires" -gt 0 ] && [ "$expires" -le 20 ]; then
	pass "expiry-set (${expires}s left)"
else
	fail expiry-set "remaining \"$expires\": $(qjson)"
fi
if [ "$(ctl '.response.quarantined')" -ge 1 ] 2>/dev/null; then pass counted; else fail counted "$(cat "$STATE/controller/status.json")"; fi

# ---- the block ends on time with the controller down -----------------------------------------

kill -KILL "$(cat "$STATE/pids/controller.pid")"
if ms=$(wait_for $((expires + 4)) connects scanner) && [ "$ms" -ge $(((expires - 2) * 1000)) ]; then
	pass "expired-in-kernel-without-controller (${ms} ms after the kill, ${expires}s were left)"
elif [ -n "$ms" ]; then
	fail expired-in-kernel-without-controller "the scanner got through after ${ms} ms, before its time (${expires}s)"
else
	fail expired-in-kernel-without-controller "the scanner is still blocked $((expires + 4)) s later" "$(qjson)"
fi
if listed; then
	pass datastore-keeps-entry-while-controller-down
else
	fail datastore-keeps-entry-while-controller-down "$(qjson)"
fi
PALISADE_FLOW_INTERVAL=$W "$P" controller --lab "$STATE" --config "$DIR/controller.yaml" >>"$STATE/logs/controller.log" 2>&1 &
echo $! >"$STATE/pids/controller.pid"
if ms=$(wait_for 10 not_listed); then
	pass "pruned-after-restart (${ms} ms)"
else
	fail pruned-after-restart "$(qjson)" "$(tail -n 5 "$STATE/logs/controller.log")"
fi
if [ "$(ctl '.response.expired')" -ge 1 ] 2>/dev/null && [ "$(ctl '.response.write_errors')" = 0 ]; then
	pass prune-counted
else
	fail prune-counted "$(cat "$STATE/controller/status.json")"
fi
if connects scanner && connects client; then pass reachable-after; else fail reachable-after "scanner or client blocked"; fi
exit 0
