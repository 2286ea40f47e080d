#!/usr/bin/env bash
# Baseline detectors in the lab (DESIGN §7): lab/baseline/cluster.yaml (web in the middle of
# a rolling update: an old and a new ReplicaSet; api; four client pods), agents and a
# controller on 2 s windows, the baseline jobs' warm-up shortened to 5 windows and the
# outlier job's learning to 6 so that a short run means something.
#   1. False alarms: a benign workload for 24 windows (clients call web, web calls api; from
#      window 9 the calls move from the old web pods to the new ones, one pod at a time; from
#      window 15 twice as many clients) must give no event at all.
#   2. An HTTP/2 connection flood (h2load: 400 connections, one request each) against one
#      new web pod serving h2c (nghttpd), on top of the same traffic, must give
#      inbound_connection_spike naming that pod and its ReplicaSet.
# Traffic stays inside the lab; every loop is bounded.  Needs root, jq, perl, nghttpd and
# h2load (tests/integration/run.sh); prints PASS/FAIL/SKIP lines.
set -u
cd "$(dirname "$0")/../.."
P=$(readlink -f "${PALISADE:-build/palisade}")
DIR=tests/integration/lab/baseline
TMP=$(mktemp -d "${TMPDIR:-/tmp}/palisade-baseline.XXXXXX")
STATE=$TMP/state
W=2
BENIGN_WINDOWS=24

cleanup() {
	"$P" lab down --state "$STATE" >/dev/null 2>&1
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

pass() { echo "PASS detect-baseline/$1"; }
fail() {
	echo "FAIL detect-baseline/$1"
	shift
	[ $# -gt 0 ] && printf '%s\n' "$@" | head -n 40 | sed 's/^/    /'
	return 0
}
for tool in perl nghttpd h2load; do
	if ! command -v $tool >/dev/null; then
		echo "SKIP detect-baseline: $tool is not installed"
		exit 0
	fi
done

sed "s/name: baselinetest/name: baselinetest-$$/" "$DIR/cluster.yaml" >"$TMP/cluster.yaml"
if ! PALISADE_FLOW_INTERVAL=$W "$P" lab up -f "$TMP/cluster.yaml" --state "$STATE" >"$TMP/up.out" 2>&1; then
	fail setup "lab up failed:" "$(tail -n 30 "$TMP/up.out")"
	exit 1
fi
status=$("$P" lab status --state "$STATE" -o json)
pods() { echo "$status" | jq -r --arg p "$1" '[.pods[] | select(.name | startswith($p))] | sort_by(.name) | .[].name'; }
ip_of() { echo "$status" | jq -r --arg p "$1" '.pods[] | select(.name == $p) | .ip'; }
mapfile -t OLD < <(pods shop/web-5d8f9c7b6-)
mapfile -t NEW < <(pods shop/web-7c9d8e6f5-)
mapfile -t API < <(pods shop/api-)
mapfile -t CLIENT < <(pods shop/client-)
if [ ${#OLD[@]} != 3 ] || [ ${#NEW[@]} != 3 ] || [ ${#API[@]} != 2 ] || [ ${#CLIENT[@]} != 4 ]; then
	fail setup "unexpected pods: $(echo "$status" | jq -c '[.pods[].name]')"
	exit 1
fi

# The lab's controller, replaced by one with short warm-ups (same state: it resumes).
kill "$(cat "$STATE/pids/controller.pid")" 2>/dev/null
sleep 0.3
J=()
for job in inbound_connection_spike service_bytes_anomaly pod_outlier_ip_activity; do
	J+=(--job "$job.warmup_windows=5" --job "$job.warmup_seconds=10")
done
J+=(--job pod_outlier_ip_activity.learning_windows=6)
"$P" controller --lab "$STATE" "${J[@]}" >>"$STATE/logs/controller.log" 2>&1 &
echo $! >"$STATE/pids/controller.pid"
deadline=$((SECONDS + 20))
until jq -e '.windows > 0' "$STATE/controller/status.json" >/dev/null 2>&1; do
	if [ $SECONDS -ge $deadline ]; then
		fail start "controller: $(tail -n 5 "$STATE/logs/controller.log")"
		exit 1
	fi
	sleep 0.2
done

# calls FROM N IP...: N short TCP exchanges from pod FROM to each IP's port 80 (the lab's
# responder answers each with its name).
calls() {
	local from=$1 n=$2
	shift 2
	"$P" lab exec --state "$STATE" "$from" -- perl -MIO::Socket::INET -e '
		alarm 5;
		my $n = shift;
		for my $ip (@ARGV) {
			for (1 .. $n) {
				my $s = IO::Socket::INET->new(PeerAddr => $ip, PeerPort => 80, Timeout => 1) or next;
				print $s "hi\n"; my $r = <$s>; close $s;
			}
		}' "$n" "$@" >/dev/null 2>&1
}
# The web pods that serve in window w: old ones at first, replaced one by one from window 9.
serving() {
	local w=$1 k=0
	[ "$w" -ge 9 ] && k=1
	[ "$w" -ge 11 ] && k=2
	[ "$w" -ge 13 ] && k=3
	for ((i = k; i < 3; i++)); do echo "${OLD[$i]}"; done
	for ((i = 0; i < k; i++)); do echo "${NEW[$i]}"; done
}
# One window of benign traffic, then wait for the next window boundary.
window_traffic() {
	local w=$1 nclients=2 webs ips=() apis=() pids=()
	[ "$w" -ge 15 ] && nclients=4
	mapfile -t webs < <(serving "$w")
	for p in "${webs[@]}"; do ips+=("$(ip_of "$p")"); done
	for p in "${API[@]}"; do apis+=("$(ip_of "$p")"); done
	for ((c = 0; c < nclients; c++)); do
		calls "${CLIENT[$c]}" 2 "${ips[@]}" &
		pids+=($!)
	done
	for p in "${webs[@]}"; do
		calls "$p" 1 "${apis[@]}" &
		pids+=($!)
	done
	wait "${pids[@]}" # not the controller, also a child of this shell
	sleep $((W - $(date +%s) % W))
}

# Align with the windows, note where the events stand, run the benign workload.
sleep $((W - $(date +%s) % W))
before=$("$P" events --state "$STATE" -o json 2>/dev/null | wc -l)
for ((w = 1; w <= BENIGN_WINDOWS; w++)); do window_traffic $w; done
sleep $((W + 3)) # the last window closed
after=$("$P" events --state "$STATE" -o json 2>/dev/null | wc -l)
windows=$(jq -r .windows "$STATE/controller/status.json")
if [ "$after" = "$before" ]; then
	pass "benign-workload-no-events ($BENIGN_WINDOWS windows of traffic, rolling update, clients 2x)"
else
	fail benign-workload-no-events "$((after - before)) events:" \
		"$("$P" events --state "$STATE" -o json 2>/dev/null | tail -n $((after - before)) | cut -c1-400)"
fi

# ---- the flood -----------------------------------------------------------------------------

target=${NEW[0]}
target_ip=$(ip_of "$target")
mkdir -p "$TMP/www" && echo ok >"$TMP/www/index.html"
"$P" lab exec --state "$STATE" "$target" -- timeout 30 nghttpd --no-tls -d "$TMP/www" 8080 \
	>"$TMP/nghttpd.log" 2>&1 &
sleep 0.5
window_traffic 25
"$P" lab exec --state "$STATE" "${CLIENT[0]}" -- timeout 20 h2load -n 400 -c 400 -t 1 \
	"http://$target_ip:8080/" >"$TMP/h2load.out" 2>&1 || fail flood "h2load: $(tail -n 5 "$TMP/h2load.out")"
for w in 26 27 28; do window_traffic $w; done
sleep $((W + 3))
rs=${target#shop/}
rs=${rs%-*}
SPIKE='select(.type == "anomaly_detection_job" and .origin == "inbound_connection_spike")'
got=$("$P" events --state "$STATE" -o json 2>/dev/null | jq -c "$SPIKE")
if ! grep -q '400 succeeded' "$TMP/h2load.out"; then
	fail inbound-connection-spike "the flood did not reach an HTTP/2 server:" "$(grep -E 'requests|status' "$TMP/h2load.out")" \
		"$(cat "$TMP/nghttpd.log")"
elif echo "$got" | jq -e --arg pod "${target#shop/}" --arg rs "$rs-*" \
	'select(.dest_name == $pod and .dest_name_aggr == $rs and .dest_namespace == "shop")' >/dev/null 2>&1; then
	pass "inbound-connection-spike ($target, $rs-*; $(grep -m1 'requests:' "$TMP/h2load.out" | sed 's/^ *//'))"
else
	fail inbound-connection-spike "spike events: $got" "h2load: $(grep -E 'requests|connections' "$TMP/h2load.out" | head -3)" \
		"all events: $("$P" events --state "$STATE" 2>/dev/null | tail -n 5)"
fi
exit 0
