#!/usr/bin/env bash
# Detection end to end (DESIGN §7): a lab (lab/detect/cluster.yaml: three web replicas over
# two nodes, a prober pod, a scanner and a client outside), agents and the lab's controller
# on 2 s windows.  Checks, reading the controller's events with `palisade events -o json`:
#   - a GlobalAlert (lab/detect/alert.yaml: more than 4 denied flows from one namespace in
#     6 s) stays quiet after 3 denied attempts and fires after 6, naming the namespace;
#   - `nmap -sn` from the scanner across node2's pod range gives one ip_sweep_external event
#     naming the scanner, within two flush intervals (plus the controller's grace);
#   - `nmap -sS` of 200 ports of one web pod gives port_scan_external naming the scanner and
#     the pod;
#   - the controller, killed and started again, feeds every flow log line exactly once.
# nmap targets only the lab's own addresses; every load is bounded.  Needs root, jq, nmap
# and perl (tests/integration/run.sh); prints PASS/FAIL/SKIP lines.
set -u
cd "$(dirname "$0")/../.."
P=$(readlink -f "${PALISADE:-build/palisade}")
DIR=tests/integration/lab/detect
TMP=$(mktemp -d "${TMPDIR:-/tmp}/palisade-detect.XXXXXX")
STATE=$TMP/state
DS=$STATE/datastore
W=2 # seconds per flow window

cleanup() {
	"$P" lab down --state "$STATE" >/dev/null 2>&1
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

pass() { echo "PASS detect/$1"; }
fail() {
	echo "FAIL detect/$1"
	shift
	[ $# -gt 0 ] && printf '%s\n' "$@" | head -n 40 | sed 's/^/    /'
	return 0
}

for tool in nmap perl; do
	if ! command -v $tool >/dev/null; then
		echo "SKIP detect: $tool is not installed"
		exit 0
	fi
done

sed "s/name: detecttest/name: detecttest-$$/" "$DIR/cluster.yaml" >"$TMP/cluster.yaml"
if ! PALISADE_FLOW_INTERVAL=$W "$P" lab up -f "$TMP/cluster.yaml" --state "$STATE" >"$TMP/up.out" 2>&1; then
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

# The agents write windows, the controller closes them.
deadline=$((SECONDS + 30))
until jq -e '.windows > 1' "$STATE/controller/status.json" >/dev/null 2>&1 &&
	jq -e '.flows.windows > 0' "$STATE"/nodes/node1/status.json "$STATE"/nodes/node2/status.json >/dev/null 2>&1; do
	if [ $SECONDS -ge $deadline ]; then
		fail start "controller or agents not running:" "$(cat "$STATE"/controller/status.json "$STATE"/nodes/*/status.json 2>&1)" \
			"$(tail -n 20 "$STATE"/logs/controller.log 2>&1)"
		exit 1
	fi
	sleep 0.2
done
pass start

events() { "$P" events --state "$STATE" -o json 2>/dev/null | jq -s -c "${1:-.}"; }
# wait_event JQ SECONDS: until some event satisfies JQ; prints the seconds it took.
wait_event() {
	local start=$SECONDS
	while [ $((SECONDS - start)) -le "$2" ]; do
		if events | jq -e "any(.[]; $1)" >/dev/null; then
			echo $((SECONDS - start))
			return 0
		fi
		sleep 0.2
	done
	return 1
}
# Denied TCP attempts from the prober to web1:81, each from its own source port.
attempts() {
	"$P" lab exec --state "$STATE" tools/prober -- perl -MIO::Socket::INET -e '
		for (1 .. $ARGV[2]) {
			IO::Socket::INET->new(PeerAddr => $ARGV[0], PeerPort => $ARGV[1], Timeout => 0.3)
				and die "connected\n";
		}' "$web1_ip" 81 "$1"
}

# ---- GlobalAlert: quiet below its threshold, fires above it -------------------------------

"$P" apply --datastore "$DS" -f "$DIR/alert.yaml" >/dev/null
deadline=$((SECONDS + 15))
until jq -e '.alerts == 1' "$STATE/controller/status.json" >/dev/null 2>&1; do
	[ $SECONDS -ge $deadline ] && { fail alert-loaded "$(cat "$STATE/controller/status.json")"; break; }
	sleep 0.2
done
attempts 3
sleep $((4 * W + 2)) # past the lookback, every window closed
ALERT='.type == "global_alert" and .origin == "denied-by-namespace"'
if events | jq -e "any(.[]; $ALERT)" >/dev/null; then
	fail alert-quiet-below-threshold "$(events "[.[] | select($ALERT)]")"
else
	pass alert-quiet-below-threshold
fi
attempts 6
if t=$(wait_event "$ALERT and .source_namespace == \"tools\"" $((4 * W + 4))); then
	pass "alert-fires-above-threshold (${t}s)"
else
	fail alert-fires-above-threshold "events: $(events)" "$(tail -n 5 "$STATE"/logs/controller.log)" \
		"alerts: $(cat "$STATE/controller/alerts.json" 2>&1)"
fi
# The status the controller writes back, as `palisade get` shows it.
got=$("$P" get globalalert denied-by-namespace --datastore "$DS" -o json 2>&1)
if echo "$got" | jq -e '.status.lastExecuted > 0 and .status.lastEvent > 0 and .status.errorConditions == []' >/dev/null 2>&1; then
	pass alert-status-written
else
	fail alert-status-written "$got" "$(cat "$STATE/controller/alerts.json" 2>&1)"
fi

# ---- ip_sweep_external ---------------------------------------------------------------------

"$P" lab exec --state "$STATE" scanner -- nmap -sn -n -T4 --max-retries 0 --host-timeout 5s \
	"$node2_range" >"$TMP/nmap-sn.out" 2>&1 || fail sweep "nmap -sn: $(tail -n 5 "$TMP/nmap-sn.out")"
SWEEP='.type == "anomaly_detection_job" and .origin == "ip_sweep_external" and .source_ip == "198.51.100.66"'
if t=$(wait_event "$SWEEP" $((2 * W + 3))); then
	pass "ip-sweep-external (${t}s after the sweep; flush interval ${W}s, grace 2s)"
else
	fail ip-sweep-external "events: $(events)" "$(tail -n 5 "$STATE"/logs/controller.log)"
fi
sleep $((2 * W))
n=$(events "[.[] | select($SWEEP)] | length")
if [ "$n" = 1 ]; then pass ip-sweep-external-once; else fail ip-sweep-external-once "$n events: $(events "[.[] | select($SWEEP)]")"; fi

# ---- port_scan_external --------------------------------------------------------------------

"$P" lab exec --state "$STATE" scanner -- nmap -sS -n -T4 --max-retries 0 --host-timeout 20s \
	-p 1-200 "$web1_ip" >"$TMP/nmap-ss.out" 2>&1 || fail scan "nmap -sS: $(tail -n 5 "$TMP/nmap-ss.out")"
SCAN='.type == "anomaly_detection_job" and .origin == "port_scan_external" and .source_ip == "198.51.100.66"'
if t=$(wait_event "$SCAN and .dest_ip == \"$web1_ip\"" $((2 * W + 3))); then
	pass "port-scan-external (${t}s after the scan)"
else
	fail port-scan-external "events: $(events)" "$(tail -n 5 "$STATE"/logs/controller.log)"
fi

# ---- a controller restart neither repeats nor misses records ----------------------------------

# Killed (as a crash would), traffic while it is down, started again: every line of every
# node's flow log is fed exactly once to a closed window, counting the ones the first start
# skipped (it follows the logs from their end).
ctl() { jq -r ".$1" "$STATE/controller/status.json"; }
lines() { cat "$STATE"/nodes/*/flows/flows.log* 2>/dev/null | wc -l; }
skipped=$(ctl skipped)
kill -KILL "$(cat "$STATE/pids/controller.pid")"
sleep 0.2
before=$(ctl records)
attempts 4
"$P" lab exec --state "$STATE" scanner -- nmap -sS -n -T4 --max-retries 0 -p 20-40 "$web1_ip" >/dev/null 2>&1
sleep $((2 * W))
"$P" controller --lab "$STATE" >>"$STATE/logs/controller.log" 2>&1 &
echo $! >"$STATE/pids/controller.pid"
deadline=$((SECONDS + 30))
ok=0
while [ $SECONDS -lt $deadline ]; do
	total=$(lines)
	after=$(ctl records)
	if [ "$(ctl records_open)" = 0 ] && [ $((skipped + before + after)) -eq "$total" ]; then
		ok=1
		break
	fi
	sleep 0.5
done
if [ $ok = 1 ] && grep -q 'resumed=yes' "$STATE/logs/controller.log"; then
	pass "controller-restart-exactly-once ($skipped skipped + $before + $after records = $total lines)"
else
	fail controller-restart-exactly-once "skipped $skipped, before $before, after $(ctl records), lines $(lines)" \
		"$(cat "$STATE/controller/status.json")" "$(tail -n 5 "$STATE/logs/controller.log")"
fi

# Nothing lost on the way.
if jq -e '.parse_errors == 0 and .pending_dropped == 0 and .events_dropped == 0' "$STATE/controller/status.json" >/dev/null; then
	pass controller-counters
else
	fail controller-counters "$(cat "$STATE/controller/status.json")"
fi
exit 0
