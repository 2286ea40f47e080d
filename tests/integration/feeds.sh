#!/usr/bin/env bash
# Threat feeds end to end (DESIGN §8, docs/feeds.md): a lab (lab/feeds/cluster.yaml: two web
# pods, a feed server, an attacker and a client outside), agents and the lab's controller
# (in node1's namespace, settings lab/feeds/controller.yaml), the feed served over HTTP by
# lab/feeds/feed_server.py from the external host "feeds".  With the article's
# GlobalThreatFeed and default.blockthreats (lab/feeds/policy.yaml) it checks:
#   - the listed attacker is blocked and the client is not; the denied flows name
#     default.blockthreats and threatfeed.<feed>; one gtf_suspicious_flow event per flow id;
#   - a second pull is a 304 (If-None-Match sent), also after a controller restart;
#   - a server that returns 500, hangs, sends 50 MiB or sends garbage leaves the set and the
#     block as they were, and the reason in the feed's status (palisade get ... -o json);
#   - the attacker removed from the feed is let in again;
#   - a pull that shrinks the set too much is held until `palisade feed confirm`;
#   - entries in the cluster's own ranges are refused and reported;
#   - a deleted feed takes its set with it.
# Pulls are driven by `palisade feed sync --wait`.  Needs root, jq and python3
# (tests/integration/run.sh); prints PASS/FAIL/SKIP lines; every wait is bounded.
set -u
cd "$(dirname "$0")/../.."
P=$(readlink -f "${PALISADE:-build/palisade}")
DIR=tests/integration/lab/feeds
TMP=$(mktemp -d "${TMPDIR:-/tmp}/palisade-feeds.XXXXXX")
STATE=$TMP/state
DS=$STATE/datastore
WWW=$TMP/www
FEED=sample-global-threat-feed
SET=threatfeed.$FEED
GNS=$DS/GlobalNetworkSet_-_$SET.json
ATTACKER=198.51.100.66
W=2 # seconds per flow window

cleanup() {
	[ -f "$WWW/ready" ] && kill "$(cat "$WWW/ready")" 2>/dev/null
	"$P" lab down --state "$STATE" >/dev/null 2>&1
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

pass() { echo "PASS feeds/$1"; }
fail() {
	echo "FAIL feeds/$1"
	shift
	[ $# -gt 0 ] && printf '%s\n' "$@" | head -n 40 | sed 's/^/    /'
	return 0
}

if ! command -v python3 >/dev/null; then
	echo "SKIP feeds: python3 is not installed"
	exit 0
fi

# ---- the lab, the feed server, the feed ------------------------------------------------------

mkdir -p "$WWW"
printf '%s\n' "$ATTACKER" 192.0.2.10 192.0.2.11 192.0.2.12 >"$WWW/blacklist"
sed "s/name: feedstest/name: feedstest-$$/" "$DIR/cluster.yaml" >"$TMP/cluster.yaml"
if ! PALISADE_FLOW_INTERVAL=$W "$P" lab up -f "$TMP/cluster.yaml" --state "$STATE" \
	--controller-config "$DIR/controller.yaml" >"$TMP/up.out" 2>&1; then
	fail setup "lab up failed:" "$(tail -n 30 "$TMP/up.out")"
	exit 1
fi
"$P" lab exec --state "$STATE" feeds -- python3 "$PWD/$DIR/feed_server.py" --dir "$WWW" \
	--port 8080 --lifetime 300 >"$TMP/server.log" 2>&1 &
status=$("$P" lab status --state "$STATE" -o json)
WEB1=$(echo "$status" | jq -r '.pods[0].ip')
WEB2=$(echo "$status" | jq -r '.pods[1].ip')
deadline=$((SECONDS + 15))
until [ -s "$WWW/ready" ] && [ -f "$STATE/controller/feeds.json" ]; do
	if [ $SECONDS -ge $deadline ]; then
		fail setup "feed server or controller not up:" "$(cat "$TMP/server.log")" \
			"$(tail -n 5 "$STATE/logs/controller.log" 2>&1)"
		exit 1
	fi
	sleep 0.1
done

# connects HOST IP: 0 when HOST can open a TCP connection to IP:80 (0.5 s timeout).
connects() {
	"$P" lab exec --state "$STATE" "$1" -- python3 -c '
import socket, sys
s = socket.socket()
s.settimeout(0.5)
try:
    s.connect((sys.argv[1], 80))
except OSError:
    sys.exit(1)' "$2"
}
# wait_for SECONDS CMD...: until CMD succeeds; prints the seconds it took.
wait_for() {
	local limit=$1 start=$SECONDS
	shift
	while [ $((SECONDS - start)) -le "$limit" ]; do
		if "$@"; then
			echo $((SECONDS - start))
			return 0
		fi
		sleep 0.2
	done
	return 1
}
blocked() { ! connects attacker "$WEB1" && ! connects attacker "$WEB2"; }
allowed() { connects attacker "$WEB1" && connects attacker "$WEB2"; }
st() { "$P" get globalthreatfeed "$FEED" --datastore "$DS" -o json | jq -c "${1:-.status}"; }
cond() { st ".status.errorConditions[] | select(.type == \"$1\") | .message" | jq -r .; }
sync() { "$P" feed sync "$FEED" --lab "$STATE" --wait --timeout 30; }
set_sum() { md5sum <"$GNS" | cut -d' ' -f1; }

"$P" apply --datastore "$DS" -f "$DIR/policy.yaml" >/dev/null

# ---- listed: blocked ---------------------------------------------------------------------

if t=$(wait_for 15 blocked); then
	pass "listed-host-blocked (${t}s after apply)"
else
	fail listed-host-blocked "status: $(st)" "$(tail -n 5 "$STATE/logs/controller.log")"
fi
if connects client "$WEB1" && connects client "$WEB2"; then
	pass unlisted-host-allowed
else
	fail unlisted-host-allowed
fi
if jq -e --arg a "$ATTACKER/32" '.metadata.labels["security-action"] == "block" and
	(.spec.nets | index($a))' "$GNS" >/dev/null 2>&1 &&
	st | jq -e '.lastSuccessfulSync != null and .errorConditions == [] and .acceptedEntries == 4' >/dev/null; then
	pass set-written-and-status
else
	fail set-written-and-status "$(cat "$GNS" 2>&1)" "$(st)"
fi

# Flows and events: the attempts above were denied by default.blockthreats, source in the set.
denied() {
	"$P" flows --state "$STATE" -o json --action deny --source "$ATTACKER" 2>/dev/null |
		jq -s -c --arg set "$SET" 'map(select(.source_name == $set and .source_type == "ns" and
			(.policies.all_policies | any(test("^[0-9]+\\|default\\|default\\.blockthreats\\|deny\\|")))))'
}
has_denied() { denied | jq -e 'length > 0' >/dev/null; }
if t=$(wait_for $((3 * W + 4)) has_denied); then
	pass "denied-flows-name-policy-and-set (${t}s; $(denied | jq length) records)"
else
	fail denied-flows-name-policy-and-set \
		"$("$P" flows --state "$STATE" -o json --source "$ATTACKER" 2>&1 | tail -n 4)"
fi
gtf() { "$P" events --state "$STATE" -o json 2>/dev/null | jq -s -c 'map(select(.type == "gtf_suspicious_flow"))'; }
has_gtf() { gtf | jq -e 'length >= 2' >/dev/null; }
if wait_for $((3 * W + 4)) has_gtf >/dev/null; then
	sleep $((2 * W + 2)) # later windows must not repeat them
	ev=$(gtf)
	if echo "$ev" | jq -e --arg a "$ATTACKER" 'length == 2 and all(.source_ip == $a) and
		(group_by(.id) | all(length == 1)) and
		(map(.description) | all(test("sample-global-threat-feed")))' >/dev/null; then
		pass "gtf-event-once-per-flow-id ($(echo "$ev" | jq length) events, one per pod)"
	else
		fail gtf-event-once-per-flow-id "$ev"
	fi
else
	fail gtf-event-once-per-flow-id "events: $(gtf)" "$(tail -n 3 "$STATE/logs/controller.log")"
fi

# ---- 304 --------------------------------------------------------------------------------

before=$(set_sum)
out=$(sync)
if [ $? = 0 ] && st | jq -e '.notModified == 1' >/dev/null &&
	tail -n 1 "$WWW/requests.log" | grep -qE '^/blacklist 304 "[0-9a-f]{16}"$' && [ "$(set_sum)" = "$before" ]; then
	pass "etag-304 ($out)"
else
	fail etag-304 "$out" "$(st)" "$(tail -n 3 "$WWW/requests.log")"
fi
# The validators survive a restart of the controller.
kill -TERM "$(cat "$STATE/pids/controller.pid")"
sleep 0.3
"$P" lab exec --state "$STATE" node1 -- "$P" controller --lab "$STATE" --config "$PWD/$DIR/controller.yaml" \
	>>"$STATE/logs/controller.log" 2>&1 &
echo $! >"$STATE/pids/controller.pid"
wait_for 10 grep -q "controller started.*resumed=yes" "$STATE/logs/controller.log" >/dev/null
out=$(sync)
if [ $? = 0 ] && st | jq -e '.notModified == 2' >/dev/null &&
	tail -n 1 "$WWW/requests.log" | grep -q '^/blacklist 304 '; then
	pass etag-304-after-restart
else
	fail etag-304-after-restart "$out" "$(st)" "$(tail -n 3 "$WWW/requests.log")"
fi

# ---- a bad server keeps the last good set ------------------------------------------------

bad_server() { # MODE EXPECTED-MESSAGE-REGEX
	local before out msg
	before=$(set_sum)
	echo "$1" >"$WWW/mode"
	out=$(sync)
	msg=$(cond PullFailed)
	if [ "$(set_sum)" = "$before" ] && echo "$msg" | grep -qE "$2" && blocked &&
		st | jq -e '.lastSuccessfulSync != null and .acceptedEntries == 4' >/dev/null; then
		pass "server-$1-keeps-set ($msg)"
	else
		fail "server-$1-keeps-set" "sync: $out" "PullFailed: $msg" "$(st)"
	fi
}
bad_server 500 '^HTTP 500 Internal Server Error$'
bad_server hang '^stalled: no data for 2 s$'
bad_server big '^body larger than 33554432 bytes$'
bad_server garbage '^malformed: [0-9]+ lines? did not parse and 0 entries did'
echo normal >"$WWW/mode"

# ---- removed from the feed: allowed again ------------------------------------------------

printf '%s\n' 192.0.2.10 192.0.2.11 192.0.2.12 >"$WWW/blacklist" # 4 -> 3: no shrink to hold
out=$(sync)
if t=$(wait_for 10 allowed) && ! jq -e --arg a "$ATTACKER/32" '.spec.nets | index($a)' "$GNS" >/dev/null &&
	[ -z "$(cond PullFailed)" ]; then
	pass "unlisted-host-allowed-again (${t}s after the pull)"
else
	fail unlisted-host-allowed-again "$out" "$(cat "$GNS")" "$(st)"
fi

# ---- a big shrink is held until confirmed --------------------------------------------------

printf '%s\n' 192.0.2.10 >"$WWW/blacklist" # 3 -> 1
before=$(set_sum)
out=$(sync)
if [ "$(set_sum)" = "$before" ] && st | jq -e '.heldEntries == 1 and .acceptedEntries == 3' >/dev/null &&
	cond ShrinkHeld | grep -q "palisade feed confirm $FEED"; then
	pass "shrink-held ($out)"
else
	fail shrink-held "$out" "$(st)"
fi
out=$("$P" feed confirm "$FEED" --lab "$STATE" --timeout 20)
if [ $? = 0 ] && jq -e '.spec.nets == ["192.0.2.10/32"]' "$GNS" >/dev/null &&
	st | jq -e '.heldEntries == null and .acceptedEntries == 1' >/dev/null && [ -z "$(cond ShrinkHeld)" ]; then
	pass "shrink-confirmed ($out)"
else
	fail shrink-confirmed "$out" "$(cat "$GNS")" "$(st)"
fi

# ---- the cluster's own ranges are refused -------------------------------------------------

printf '%s\n' 192.0.2.10 "$ATTACKER" 10.244.1.0/24 172.31.255.2 >"$WWW/blacklist"
out=$(sync)
msg=$(cond EntriesRefused)
if [ "$msg" = "2 entries refused by the safety rails: 10.244.1.0/24 (overlaps protected range 10.244.0.0/16); 172.31.255.2/32 (overlaps protected range 172.31.255.0/24)" ] &&
	jq -e '.spec.nets == ["192.0.2.10/32", "198.51.100.66/32"]' "$GNS" >/dev/null &&
	st | jq -e '.refused == 2' >/dev/null && wait_for 10 blocked >/dev/null; then
	pass "protected-ranges-refused ($msg)"
else
	fail protected-ranges-refused "$out" "$msg" "$(cat "$GNS")" "$(st)"
fi

# ---- a deleted feed takes its set with it -------------------------------------------------

"$P" delete globalthreatfeed "$FEED" --datastore "$DS" >/dev/null
if wait_for 10 test ! -e "$GNS" >/dev/null && wait_for 10 allowed >/dev/null; then
	pass deleted-feed-removes-set
else
	fail deleted-feed-removes-set "$(ls "$DS")" "$(tail -n 3 "$STATE/logs/controller.log")"
fi

# Nothing lost on the way: the controller's own counters.
if jq -e '.parse_errors == 0 and .pending_dropped == 0 and .events_dropped == 0' "$STATE/controller/status.json" >/dev/null; then
	pass controller-counters
else
	fail controller-counters "$(cat "$STATE/controller/status.json")"
fi
exit 0
