#!/usr/bin/env bash
# The demo behind `make demo` and scripts/run-demo: the article's three layers of defense on a
# lab of two nodes (examples/demo/lab.yaml), with real packets, flow logs, detection, a threat
# feed pulled over HTTP and automatic response.  Every step says in plain words what should
# happen, shows the evidence under it (indented), and checks it; the script ends with a
# summary of what was blocked and detected and how long each took, tears the lab down (also on
# failure or Ctrl-C) and exits non-zero if any step did not behave as described.
#
#   examples/demo.sh [PALISADE]      as root; PALISADE defaults to build/palisade
#
# DEMO_RESULTS=FILE appends one line per check to FILE ("PASS demo/<id> ..." or
# "FAIL demo/<id> ..."), for tests/integration/demo.sh.  The lab lives in a state directory
# of its own under $TMPDIR (default /tmp; its namespaces are named after it), so it never
# collides with another lab.  Needs ip, jq, nmap, h2load, nghttpd, perl and python3 (scripts/deps.sh installs them).
set -u
export LC_ALL=C
P=$(readlink -f "${1:-build/palisade}")
cd "$(dirname "$0")/.."
A=examples/article
D=examples/demo
W=2 # seconds per flow log window in this demo (the default is 15)
RESULTS=${DEMO_RESULTS:-}

if [ "$(id -u)" != 0 ]; then
	echo "demo: needs root: it builds network namespaces and nftables rules (sudo make demo)" >&2
	exit 1
fi
if [ ! -x "$P" ]; then
	echo "demo: $P is not built (make, or scripts/run-demo)" >&2
	exit 1
fi
for tool in ip jq nmap h2load nghttpd perl python3 timeout; do
	if ! command -v "$tool" >/dev/null; then
		echo "demo: $tool is not installed (scripts/deps.sh installs what the demo needs)" >&2
		exit 1
	fi
done

TMP=$(mktemp -d "${TMPDIR:-/tmp}/palisade-demo.XXXXXX")
STATE=$TMP/state
DS=$STATE/datastore
BG=() # background processes of this script
cleanup() {
	for pid in "${BG[@]}"; do kill "$pid" 2>/dev/null; done
	"$P" lab down --state "$STATE" >/dev/null 2>&1
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'echo; echo "demo: interrupted; tearing the lab down" >&2; exit 130' INT
trap 'exit 143' TERM

# ---- printing, checks and clocks ------------------------------------------------------------

START_US=${EPOCHREALTIME/./}
checks=0
fails=0
now_us() { echo "${EPOCHREALTIME/./}"; }
# secs FROM_US [TO_US]: the time between two now_us readings, as seconds with 2 decimals.
secs() {
	local d=$((${2:-$(now_us)} - $1))
	[ $d -lt 0 ] && d=0
	printf '%d.%02d' $((d / 1000000)) $((d % 1000000 / 10000))
}
section() { printf '\n=== %s\n' "$*"; }
say() { printf '\n'; printf '%s' "$*" | tr '\n' ' ' | fmt -w 96; }
show() { sed 's/^/      /'; }
ok() { # ok ID TEXT
	checks=$((checks + 1))
	printf '   ok: %s\n' "$2"
	[ -n "$RESULTS" ] && echo "PASS demo/$1 ($2)" >>"$RESULTS"
	return 0
}
bad() { # bad ID TEXT [DETAIL...]
	checks=$((checks + 1))
	fails=$((fails + 1))
	printf '   FAILED: %s\n' "$2"
	[ $# -gt 2 ] && printf '%s\n' "${@:3}" | head -n 30 | sed 's/^/      /'
	if [ -n "$RESULTS" ]; then
		echo "FAIL demo/$1 ($2)" >>"$RESULTS"
		[ $# -gt 2 ] && printf '%s\n' "${@:3}" | head -n 30 | sed 's/^/    /' >>"$RESULTS"
	fi
	return 0
}
# fatal ID TEXT [DETAIL...]: a step the rest depends on failed; the trap tears down.
fatal() {
	bad "$@"
	printf '\nThe demo stops here: %d of %d checks failed.\n' "$fails" "$checks"
	exit 1
}
# wait_for SECONDS CMD...: runs CMD every 0.1 s until it succeeds; 1 after SECONDS.
wait_for() {
	local end=$(($(now_us) + $1 * 1000000))
	shift
	until "$@"; do
		[ "$(now_us)" -ge $end ] && return 1
		sleep 0.1
	done
}

# ---- the lab --------------------------------------------------------------------------------

section "Setting up: a lab cluster of two nodes on this machine"
say "palisade lab up builds the article's cluster from examples/demo/lab.yaml out of network
namespaces: two nodes, the policy-demo namespace (an nginx Deployment of 3 replicas, a pod
labelled run: access and one without) and advanced-policy-demo, plus four hosts outside the
cluster (a normal client, a scanner, an address listed in a threat feed and the feed's
server). It starts an agent per node (nftables, flow logs every ${W} s here) and the
controller (detection, threat feeds, response), with the settings of
examples/demo/controller.yaml."
sed "s/^  name: palisade-demo\$/  name: palisade-demo-$$/" "$D/lab.yaml" >"$TMP/lab.yaml"
t=$(now_us)
if ! PALISADE_FLOW_INTERVAL=$W "$P" lab up -f "$TMP/lab.yaml" --state "$STATE" \
	--controller-config "$D/controller.yaml" >"$TMP/up.out" 2>&1; then
	fatal lab-up "palisade lab up failed" "$(tail -n 20 "$TMP/up.out")"
fi
show <"$TMP/up.out"
LABSTATUS=$("$P" lab status --state "$STATE" -o json)
pods() { echo "$LABSTATUS" | jq -r --arg p "$1" '[.pods[] | select(.name | startswith($p))] | sort_by(.name) | .[].name'; }
ip_of() { echo "$LABSTATUS" | jq -r --arg n "$1" '(.pods[], .hosts[]) | select(.name == $n) | .ip'; }
mapfile -t NGINX < <(pods policy-demo/nginx-)
mapfile -t NODES < <(echo "$LABSTATUS" | jq -r '.nodes[].name')
NCELLS=$(echo "$LABSTATUS" | jq '(.pods | length) * ((.pods | length) + (.hosts | length))')
SCANNER_IP=$(ip_of scanner)
LISTED_IP=$(ip_of feed-listed)
FEED_IP=$(ip_of feed-server)
if [ ${#NGINX[@]} != 3 ] || [ ${#NODES[@]} != 2 ] || [ "$(echo "$LABSTATUS" | jq '.pods | length')" != 7 ] ||
	[ "$(echo "$LABSTATUS" | jq '.hosts | length')" != 4 ]; then
	fatal lab-up "the lab is not the one examples/demo/lab.yaml describes" "$LABSTATUS"
fi
agents_applied() {
	local n
	for n in "${NODES[@]}"; do
		jq -e '.applies >= 1' "$STATE/nodes/$n/status.json" >/dev/null 2>&1 || return 1
	done
}
controller_running() { jq -e '.windows >= 1' "$STATE/controller/status.json" >/dev/null 2>&1; }
if ! wait_for 20 agents_applied; then
	fatal lab-up "the agents did not apply a ruleset within 20 s" "$(tail -n 5 "$STATE"/logs/agent-*.log)"
fi
ok lab-up "2 nodes, 7 pods, 4 external hosts; both agents enforcing, $(secs "$t") s after lab up"

if ! wait_for 20 controller_running; then
	fatal controller "the controller did not close a window within 20 s" "$(tail -n 5 "$STATE/logs/controller.log")"
fi
CTL_START_US=$(now_us)

# ---- helpers for the layers -----------------------------------------------------------------

# converged N: both agents run a ruleset with N policies.
converged() {
	local n
	for n in "${NODES[@]}"; do
		jq -e --argjson n "$1" '.policies == $n' "$STATE/nodes/$n/status.json" >/dev/null 2>&1 || return 1
	done
}
# apply_and_wait ID N FILE...: palisade apply, then wait until both agents enforce N policies;
# sets APPLIED_IN to the seconds that took.
apply_and_wait() {
	local id=$1 n=$2 t args=()
	shift 2
	for f in "$@"; do args+=(-f "$f"); done
	t=$(now_us)
	if ! "$P" apply --datastore "$DS" "${args[@]}" >"$TMP/apply.out" 2>&1; then
		show <"$TMP/apply.out"
		fatal "$id" "palisade apply failed"
	fi
	show <"$TMP/apply.out"
	if ! wait_for 10 converged "$n"; then
		fatal "$id" "the agents did not apply it within 10 s" "$(cat "$STATE"/nodes/*/status.json)"
	fi
	APPLIED_IN=$(secs "$t")
}
# probe NAME: `palisade lab probe` (TCP/80 from every pod and host to every pod), shown and
# kept in $TMP/NAME.txt; "." is a connection that got through, "X" one that did not.
probe() {
	if ! "$P" lab probe --state "$STATE" --ports 80 >"$TMP/$1.txt" 2>"$TMP/$1.err"; then
		fatal "$1" "palisade lab probe failed" "$(cat "$TMP/$1.err")"
	fi
	show <"$TMP/$1.txt"
}
# check_probe ID NAME EXPECT TEXT: every cell of probe NAME is what the function EXPECT FROM TO
# prints (allow or deny), and `palisade matrix` (the evaluator, from the same datastore)
# prints the same table.
check_probe() {
	local id=$1 name=$2 expect=$3 text=$4 from to got want wrong=() n=0
	while read -r from to got; do
		n=$((n + 1))
		want=$($expect "$from" "$to")
		[ "$got" = "$want" ] || wrong+=("$from -> $to: $got, expected $want")
	done < <(awk 'NR == 1 { for (i = 2; i <= NF; i++) dst[i] = $i; next }
		NF { for (i = 2; i <= NF; i++) print $1, dst[i], ($i == "." ? "allow" : "deny") }' "$TMP/$name.txt")
	if [ $n -ne "$NCELLS" ] || [ ${#wrong[@]} -gt 0 ]; then
		bad "$id" "$text" "$n cells of $NCELLS, ${#wrong[@]} not as expected:" "${wrong[@]}"
	else
		ok "$id" "$text (all $n cells)"
	fi
	"$P" matrix -f "$DS" --ports 80 >"$TMP/$name.eval" 2>/dev/null
	if diff -u "$TMP/$name.eval" "$TMP/$name.txt" >"$TMP/$name.diff"; then
		ok "$id-eval" "the packets agree with palisade matrix (the evaluator) in every cell"
	else
		bad "$id-eval" "the packets disagree with palisade matrix (the evaluator)" "$(cat "$TMP/$name.diff")"
	fi
}
is_nginx() { case "$1" in policy-demo/nginx-*) return 0 ;; esac; return 1; }
expect_open() { echo allow; }
expect_access_nginx() { # access-nginx: only run=access (and the pod itself) reach nginx
	if is_nginx "$2" && [ "$1" != policy-demo/access ] && [ "$1" != "$2" ]; then
		echo deny
	else
		echo allow
	fi
}
expect_layer1() { # and the egress policy: advanced-policy-demo's pods reach only its nginx
	case "$1" in
	advanced-policy-demo/*)
		if [ "$2" = advanced-policy-demo/nginx ] || [ "$1" = "$2" ]; then echo allow; else echo deny; fi
		return
		;;
	esac
	expect_access_nginx "$1" "$2"
}

# ---- layer 1 --------------------------------------------------------------------------------

section "Layer 1: network policy reduces the attack surface"
say "Before any policy, every pod and every outside host reaches every pod on TCP/80.
Rows are where a connection comes from, columns where it goes; \".\" got through, \"X\" did
not."
probe l1-open
check_probe l1-open l1-open expect_open "no policy: everything is open"

say "The article's first policy, applied verbatim (the YAML is indented with no-break spaces,
as text copied from the web page is): access-nginx lets only pods labelled run: access reach
the nginx pods."
apply_and_wait l1-access-nginx 1 "$A/01-access-nginx.yaml"
T_ACCESS=$APPLIED_IN
probe l1-access-nginx
check_probe l1-access-nginx l1-access-nginx expect_access_nginx \
	"nginx pods take connections only from policy-demo/access; enforced on both nodes ${T_ACCESS} s after the apply"

say "The article's egress policy: pods of advanced-policy-demo may only open connections to
pods labelled run: nginx in their own namespace."
apply_and_wait l1-egress 2 "$A/02-allow-egress.yaml"
T_EGRESS=$APPLIED_IN
probe l1-egress
check_probe l1-egress l1-egress expect_layer1 \
	"advanced-policy-demo's pods reach only advanced-policy-demo/nginx; enforced ${T_EGRESS} s after the apply"

# ---- layer 2 --------------------------------------------------------------------------------

section "Layer 2: context-rich flow logs and anomaly detection"
say "Every agent writes a flow log record per flow and window, with the pods' names,
namespaces, labels and replica sets. The controller reads them and runs detection jobs.
First, some normal traffic: policy-demo/access calls each nginx pod twice a second, while the
detectors learn what normal looks like."
NGINX_IPS=()
for p in "${NGINX[@]}"; do NGINX_IPS+=("$(ip_of "$p")"); done
"$P" lab exec --state "$STATE" policy-demo/access -- perl -MIO::Socket::INET -e '
	alarm 120;
	while (1) {
		for my $ip (@ARGV) {
			my $s = IO::Socket::INET->new(PeerAddr => $ip, PeerPort => 80, Timeout => 1) or next;
			print $s "hi\n"; my $r = <$s>; close $s;
		}
		select(undef, undef, undef, 0.5);
	}' "${NGINX_IPS[@]}" >/dev/null 2>&1 &
NORMAL_PID=$!
BG+=($NORMAL_PID)
# The spike job's warm-up (8 windows, 16 s since the controller started) and a few windows of
# normal traffic behind it.
warm() {
	local w
	w=$(jq -r .windows "$STATE/controller/status.json" 2>/dev/null) || return 1
	[ "$w" -ge 11 ] && [ $(($(now_us) - CTL_START_US)) -ge 20000000 ]
}
t=$(now_us)
if wait_for 60 warm; then
	ok l2-warm-up "the controller has closed $(jq -r .windows "$STATE/controller/status.json") windows of ${W} s, past the detectors' warm-up (waited $(secs "$t") s)"
else
	bad l2-warm-up "the controller did not close its warm-up windows" "$(cat "$STATE/controller/status.json")"
fi
"$P" flows --state "$STATE" --source policy-demo/access --since 10s -o summary >"$TMP/normal.txt" 2>&1
show <"$TMP/normal.txt"

TARGET=${NGINX[0]}
TARGET_IP=$(ip_of "$TARGET")
say "An HTTP/2 connection flood, the kind of attack the article starts from: h2load opens 400
connections from policy-demo/access (allowed by layer 1) to one nginx pod, $TARGET, which
serves h2c on port 8080 (nghttpd)."
mkdir -p "$TMP/www" && echo ok >"$TMP/www/index.html"
"$P" lab exec --state "$STATE" "$TARGET" -- timeout 60 nghttpd --no-tls -d "$TMP/www" 8080 \
	>"$TMP/nghttpd.log" 2>&1 &
BG+=($!)
wait_for 5 "$P" lab exec --state "$STATE" "$TARGET" -- perl -MIO::Socket::INET \
	-e 'IO::Socket::INET->new(PeerAddr => "127.0.0.1", PeerPort => 8080) or exit 1'
t=$(now_us)
"$P" lab exec --state "$STATE" policy-demo/access -- timeout 20 h2load -n 400 -c 400 -t 1 \
	"http://$TARGET_IP:8080/" >"$TMP/h2load.out" 2>&1
FLOOD_US=$(now_us)
grep -E '^(finished in|requests:)' "$TMP/h2load.out" | show
if grep -q '400 succeeded' "$TMP/h2load.out"; then
	ok l2-flood "400 HTTP/2 requests on 400 connections succeeded in $(secs "$t" "$FLOOD_US") s"
else
	bad l2-flood "the flood did not get through" "$(tail -n 5 "$TMP/h2load.out")"
fi
events_json() { "$P" events --state "$STATE" -o json 2>/dev/null; }
has_event() { events_json | jq -e -s "any(.[]; $1)" >/dev/null; }
SPIKE="(.origin == \"inbound_connection_spike\" and .dest_name == \"${TARGET#policy-demo/}\")"
if wait_for $((4 * W + 6)) has_event "$SPIKE"; then
	T_SPIKE=$(secs "$FLOOD_US")
	ok l2-spike "inbound_connection_spike names $TARGET, $T_SPIKE s after the flood"
else
	T_SPIKE=
	bad l2-spike "no inbound_connection_spike event for $TARGET" "$(events_json | cut -c1-300)"
fi
kill "$NORMAL_PID" 2>/dev/null
say "The flow logs of the flood (palisade flows, one line per source, destination and port):"
"$P" flows --state "$STATE" --source policy-demo/access --dest "$TARGET" --since 30s -o summary | show
n=$("$P" flows --state "$STATE" --dest "$TARGET" --since 30s -o json |
	jq -s '[.[] | select(.dest_port == 8080 and .reporter == "dst" and .source_name == "access")
		| .num_flows_started] | add // 0')
if [ "$n" -ge 400 ]; then
	ok l2-flood-flows "the flow logs count $n new connections from policy-demo/access to $TARGET:8080"
else
	bad l2-flood-flows "the flow logs count $n new connections to $TARGET:8080, not 400"
fi
say "The security event it produced (palisade events):"
"$P" events --state "$STATE" --origin inbound_connection_spike | show
others=$(events_json | jq -s -c "[.[] | select(.origin == \"inbound_connection_spike\" and ($SPIKE | not))]")
if [ "$others" = "[]" ]; then
	ok l2-spike-only "no other pod or replica set was reported"
else
	bad l2-spike-only "other inbound_connection_spike events" "$others"
fi

NODE2_RANGE=$(echo "$LABSTATUS" | jq -r '.nodes[1].podCIDR')
say "Reconnaissance from outside: the scanner sweeps node2's pod range ($NODE2_RANGE) with
nmap -sn (ICMP echo and TCP probes to every address)."
t=$(now_us)
"$P" lab exec --state "$STATE" scanner -- timeout 30 nmap -sn -n -T4 --max-retries 0 \
	--host-timeout 5s "$NODE2_RANGE" >"$TMP/nmap.out" 2>&1
SWEEP_US=$(now_us)
tail -n 1 "$TMP/nmap.out" | show
SWEEP="(.origin == \"ip_sweep_external\" and .source_ip == \"$SCANNER_IP\")"
if wait_for $((2 * W + 6)) has_event "$SWEEP"; then
	T_SWEEP=$(secs "$SWEEP_US")
	ok l2-sweep "ip_sweep_external names the scanner ($SCANNER_IP), $T_SWEEP s after the sweep"
else
	T_SWEEP=
	bad l2-sweep "no ip_sweep_external event for $SCANNER_IP" "$(events_json | cut -c1-300)"
fi
# The responder acts on the event (layer 3 shows it); the time it takes is measured here.
quarantine_json() { "$P" quarantine list --datastore "$DS" -o json 2>/dev/null; }
quarantined() { quarantine_json | jq -e --arg a "$SCANNER_IP/32" 'any(.entries[]; .address == $a)' >/dev/null; }
t=$(now_us)
T_QUAR=
wait_for 10 quarantined && T_QUAR=$(secs "$t")
# Every address of node2's /24 that no pod holds, each denied as no-endpoint.
UNUSED=$((256 - $(echo "$LABSTATUS" | jq --arg n "${NODES[1]}" '[.pods[] | select(.node == $n)] | length')))
sweep_flows() {
	SWEPT=$("$P" flows --state "$STATE" --source "$SCANNER_IP" --since 60s -o json 2>/dev/null |
		jq -s '[.[] | select(.action == "deny" and .dest_name_aggr == "pvt") | .dest_ip] | unique | length')
	[ "$SWEPT" -ge "$UNUSED" ]
}
SWEPT=0
if wait_for $((3 * W + 4)) sweep_flows && [ "$SWEPT" = "$UNUSED" ]; then
	ok l2-sweep-flows "denied flows from the scanner reached all $SWEPT addresses of $NODE2_RANGE that no pod holds"
else
	bad l2-sweep-flows "denied flows from the scanner reached $SWEPT addresses no pod holds, not $UNUSED"
fi
say "Its flow logs: most addresses belong to no pod (pvt, denied as no-endpoint), and the
scanner is 'pub', an address outside the cluster; a few of the records:"
"$P" flows --state "$STATE" --source "$SCANNER_IP" --since 60s -o summary | show
"$P" flows --state "$STATE" --source "$SCANNER_IP" --since 60s --limit 4 | show
"$P" flows --state "$STATE" --source "$SCANNER_IP" --since 60s -o json --limit 1 | show
say "And the event:"
"$P" events --state "$STATE" --origin ip_sweep_external | show

# ---- layer 3 --------------------------------------------------------------------------------

section "Layer 3: threat feeds and automatic response block suspicious addresses"
FEED=sample-global-threat-feed
SET=threatfeed.$FEED
say "The feed-server host ($FEED_IP) serves a threat feed over HTTP,
examples/demo/feed/blacklist; it lists feed-listed ($LISTED_IP) and an address nothing uses:"
grep -v '^#' "$D/feed/blacklist" | show
"$P" lab exec --state "$STATE" feed-server -- timeout 600 python3 -m http.server --bind "$FEED_IP" 8000 \
	--directory "$PWD/$D/feed" >"$TMP/feed-server.log" 2>&1 &
BG+=($!)
feed_up() {
	"$P" lab exec --state "$STATE" node1 -- perl -MIO::Socket::INET \
		-e 'IO::Socket::INET->new(PeerAddr => $ARGV[0], PeerPort => 8000, Timeout => 1) or exit 1' \
		"$FEED_IP" 2>/dev/null
}
wait_for 10 feed_up || fatal l3-feed-server "the feed server did not start" "$(cat "$TMP/feed-server.log")"

say "The article's GlobalThreatFeed, verbatim except for its URL, which points at the lab's
feed server:"
sed "s#https://an.example.threat.feed/blacklist#http://$FEED_IP:8000/blacklist#" \
	"$A/03-threat-feed.yaml" >"$TMP/threat-feed.yaml"
diff -u "$A/03-threat-feed.yaml" "$TMP/threat-feed.yaml" | tail -n +3 | show
t=$(now_us)
"$P" apply --datastore "$DS" -f "$TMP/threat-feed.yaml" 2>&1 | show
feed_set() { "$P" get globalnetworkset "$SET" --datastore "$DS" -o json 2>/dev/null; }
set_holds() { feed_set | jq -e --arg ip "$LISTED_IP/32" '.spec.nets | index($ip)' >/dev/null; }
if wait_for 30 set_holds; then
	T_PULL=$(secs "$t")
	ok l3-feed-pulled "the controller pulled the feed into GlobalNetworkSet $SET, $T_PULL s after the apply"
else
	T_PULL=
	fatal l3-feed-pulled "no GlobalNetworkSet $SET holding $LISTED_IP after 30 s" \
		"$("$P" get globalthreatfeed "$FEED" --datastore "$DS" -o yaml 2>&1)" "$(tail -n 5 "$STATE/logs/controller.log")"
fi
"$P" get globalnetworkset "$SET" --datastore "$DS" -o yaml | show
got=$(feed_set | jq -c '{nets: (.spec.nets | sort), labels: .metadata.labels}')
if [ "$got" = "{\"nets\":[\"192.0.2.66/32\",\"198.18.0.7/32\"],\"labels\":{\"security-action\":\"block\"}}" ]; then
	ok l3-feed-set "the set holds exactly the feed's two addresses, with the feed's label security-action=block"
else
	bad l3-feed-set "the set is not the feed's two addresses with its label" "$got"
fi
say "The feed's status, as palisade get shows it:"
"$P" get globalthreatfeed "$FEED" --datastore "$DS" -o yaml | sed -n '/^status:/,$p' |
	grep -E '^status:|^  (lastSuccessfulSync|errorConditions|globalNetworkSet|entries|acceptedEntries|refused|parseErrors|pulls|failures|nextPull):' | show
if "$P" get globalthreatfeed "$FEED" --datastore "$DS" -o json |
	jq -e '(.status.lastSuccessfulSync | length > 0) and (.status.errorConditions | length == 0)' >/dev/null; then
	ok l3-feed-status "lastSuccessfulSync is set and there are no error conditions"
else
	bad l3-feed-status "the feed's status does not show a clean sync" \
		"$("$P" get globalthreatfeed "$FEED" --datastore "$DS" -o json 2>&1)"
fi

say "A network set blocks nothing by itself; policy does. So far the listed host still gets
everywhere layer 1 lets outside hosts go:"
probe l3-feed
check_probe l3-feed l3-feed expect_layer1 "nothing changed: the feed is a labelled set that no policy uses yet"

say "Detection found the scanner's sweep (layer 2); the controller's responder, set up by
examples/demo/controller.yaml to act on ip_sweep_external, put the scanner in the quarantine
set palisade.quarantine, with the same label and an expiry:"
"$P" quarantine list --datastore "$DS" 2>&1 | show
sweep_id=$(events_json | jq -r -s "[.[] | select($SWEEP)][0].id")
if quarantine_json | jq -e --arg a "$SCANNER_IP/32" --arg id "$sweep_id" \
	'any(.entries[]; .address == $a and (.reason | contains($id)) and .remaining > 0)' >/dev/null; then
	ok l3-quarantined "the scanner $SCANNER_IP is quarantined for its ip_sweep_external event $sweep_id${T_QUAR:+, $T_QUAR s after the event was written}"
else
	bad l3-quarantined "the scanner is not quarantined for its ip_sweep_external event $sweep_id" \
		"$(quarantine_json)" "$(tail -n 5 "$STATE/logs/controller.log")"
fi

say "Now the article's default.blockthreats, verbatim: it denies ingress from anything
labelled security-action=block. palisade validate warns that on its own it would end tier
default in Deny for every pod, as Calico defines tiers:"
"$P" validate -f "$DS" -f "$A/04-blockthreats.yaml" 2>&1 >/dev/null | grep 'default.blockthreats' | fmt -w 96 | show
say "So examples/demo/allow-unblocked.yaml is applied with it: it lets in everything not
labelled security-action=block, except where layer 1 decides (the nginx pods of policy-demo)."
apply_and_wait l3-block 4 "$A/04-blockthreats.yaml" "$D/allow-unblocked.yaml"
T_BLOCK=$APPLIED_IN
probe l3-block
expect_layer3() {
	case "$1" in
	feed-listed | scanner) echo deny ;;
	*) expect_layer1 "$1" "$2" ;;
	esac
}
check_probe l3-block l3-block expect_layer3 \
	"feed-listed and the scanner reach no pod; internet-client, feed-server and the pods reach what they did before; enforced ${T_BLOCK} s after the apply"

say "The denied connections in the flow logs name the policy and the set that holds the
source: the feed's for feed-listed, the quarantine for the scanner."
# blocked_flows IP SET: a denied flow from IP whose source is the network set SET, denied by
# default.blockthreats.
blocked_flows() {
	"$P" flows --state "$STATE" --source "$1" --action deny --since 30s -o json 2>/dev/null |
		jq -s -e --arg set "$2" 'map(select(.source_name == $set and
			any(.policies.all_policies[]; contains("|default.blockthreats|deny|")))) | length > 0' >/dev/null
}
for who in "$LISTED_IP $SET" "$SCANNER_IP palisade.quarantine"; do
	set -- $who
	if wait_for $((3 * W + 4)) blocked_flows "$1" "$2"; then
		ok "l3-blocked-flows-$2" "denied flows from $1 name default.blockthreats and $2"
	else
		bad "l3-blocked-flows-$2" "no denied flow from $1 naming default.blockthreats and $2" \
			"$("$P" flows --state "$STATE" --source "$1" --since 30s 2>&1)"
	fi
	"$P" flows --state "$STATE" --source "$1" --policy default.blockthreats --since 30s --limit 3 | show
done

say "Every flow between a pod and an address of the feed is a gtf_suspicious_flow event, one
per flow (source, destination, port, protocol) an hour, allowed or denied:"
GTF="(.type == \"gtf_suspicious_flow\" and .source_ip == \"$LISTED_IP\")"
# gtf_once: as many events (each id written once) as flows from feed-listed in the set.
gtf_once() {
	local nf ne dup
	nf=$("$P" flows --state "$STATE" --source "$LISTED_IP" -o json 2>/dev/null |
		jq -s --arg set "$SET" '[.[] | select(.source_name == $set) | [.dest_ip, .dest_port, .proto]] | unique | length')
	ne=$(events_json | jq -s "[.[] | select($GTF)] | length")
	dup=$(cat "$STATE"/controller/events/events.log* 2>/dev/null | jq -s "[.[] | select($GTF) | .id] | length - (unique | length)")
	GTF_COUNTS="$ne events for $nf flows, $dup ids written twice"
	[ "$nf" -gt 0 ] && [ "$ne" = "$nf" ] && [ "$dup" = 0 ]
}
GTF_COUNTS=
if wait_for $((3 * W + 4)) gtf_once; then
	ok l3-gtf "gtf_suspicious_flow: $GTF_COUNTS"
else
	bad l3-gtf "gtf_suspicious_flow events are not one per flow from $LISTED_IP: $GTF_COUNTS" \
		"$(events_json | jq -c -s "[.[] | select($GTF) | [.id, .dest_ip, .dest_port]]")"
fi
"$P" events --state "$STATE" --type gtf_suspicious_flow --limit 4 | show

# ---- summary --------------------------------------------------------------------------------

section "Summary"
{
	echo "Blocked, each enforced on both nodes this long after its apply:"
	echo "  layer 1  policy-demo/no-access, other pods and outside hosts -> nginx (access-nginx): ${T_ACCESS} s"
	echo "  layer 1  advanced-policy-demo -> outside its namespace's nginx (egress policy): ${T_EGRESS} s"
	echo "  layer 3  feed-listed $LISTED_IP: in $SET ${T_PULL:-(not pulled)} s after the feed was applied,"
	echo "           blocked by default.blockthreats ${T_BLOCK:-(not applied)} s after its apply"
	echo "  layer 3  the scanner $SCANNER_IP: quarantined ${T_QUAR:-(not quarantined)} s after its event,"
	echo "           blocked by default.blockthreats with feed-listed"
	echo "Detected, from the flow logs (${W} s windows), this long after the traffic:"
	echo "  layer 2  a connection flood on $TARGET: inbound_connection_spike, ${T_SPIKE:-(not detected)} s"
	echo "  layer 2  a sweep of $NODE2_RANGE by the scanner: ip_sweep_external, ${T_SWEEP:-(not detected)} s"
	echo "  layer 3  connections from feed-listed: gtf_suspicious_flow, ${GTF_COUNTS:-none}"
} | show
PREFIX=$(echo "$LABSTATUS" | jq -r .prefix)
"$P" lab down --state "$STATE" >"$TMP/down.out" 2>&1
show <"$TMP/down.out"
if ip netns list | grep -q "^$PREFIX"; then
	bad lab-down "namespaces of the lab are left" "$(ip netns list | grep "^$PREFIX")"
else
	ok lab-down "the lab is down: no namespace named $PREFIX* is left"
fi
took=$(secs "$START_US")
if [ "${took%.*}" -lt 300 ]; then
	ok time "the demo took $took s (it must stay under 300 s)"
else
	bad time "the demo took $took s, more than 300 s"
fi
if [ "$fails" = 0 ]; then
	echo "Every step behaved as described ($checks checks)."
	exit 0
fi
echo "$fails of $checks checks did not behave as described (FAILED above)."
exit 1
