#!/usr/bin/env bash
# Flow logs end to end (DESIGN §6): a lab of 2 nodes (lab/flows/cluster.yaml: shop/client on
# node1, a Deployment's pod shop/web-* on node2, an external host "scanner" inside the
# GlobalNetworkSet "suspects"), one policy (lab/flows/policy.yaml), agents flushing every
# 2 s.  Known traffic goes through the kernel:
#   - exactly 1000 bytes over TCP from client to web:9000, answered with 11 bytes
#   - 5 UDP datagrams of 100 bytes from client to web:53 (the responder answers each)
#   - a TCP attempt from client to web:81, denied by web's ingress (one SYN)
#   - a TCP attempt from client to an address of node2's pod range that nobody has
#   - a TCP attempt from scanner to web:80, denied by the policy's first rule
# and every record the two agents write to <state>/nodes/<node>/flows/flows.log is checked
# with jq: names, aggregated names, namespaces, labels, types, ports, action, reporter,
# policies, byte and packet counts (conntrack counts IP lengths: a SYN is 60 bytes, every
# other TCP segment 52 plus its payload, since Linux sends timestamps), num_flows_*.  Also the
# flow counters in status.json and /metrics.
#
# Meanwhile tcpdump records node2's fabric interface (everything node2 receives from node1
# and the external host, and what it sends back); `palisade analyze` of that capture against
# the same datastore must give the agents' records for the flows it can see: the same sides,
# reporters, actions, policies and, summed over windows, the same packet and byte counts and
# started flows.
#
# Prints PASS/FAIL lines; needs root, jq and perl (tests/integration/run.sh).
set -u
cd "$(dirname "$0")/../.."
P=$(readlink -f "${PALISADE:-build/palisade}")
DIR=tests/integration/lab/flows
TMP=$(mktemp -d "${TMPDIR:-/tmp}/palisade-flows.XXXXXX")
STATE=$TMP/state
DS=$STATE/datastore
TCP_BYTES=1000
UDP_COUNT=5
UDP_SIZE=100
SERVER_PID=
CAP_PID=

cleanup() {
	[ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null
	[ -n "$CAP_PID" ] && kill "$CAP_PID" 2>/dev/null
	"$P" lab down --state "$STATE" >/dev/null 2>&1
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

pass() { echo "PASS flows/$1"; }
fail() {
	echo "FAIL flows/$1"
	shift
	[ $# -gt 0 ] && printf '%s\n' "$@" | head -n 40 | sed 's/^/    /'
	return 0
}

if ! command -v perl >/dev/null; then
	echo "SKIP flows: perl is not installed"
	exit 0
fi

# A lab name of this run, so that a lab left by another run cannot collide in the registry.
sed "s/name: flowtest/name: flowtest-$$/" "$DIR/cluster.yaml" >"$TMP/cluster.yaml"
if ! PALISADE_FLOW_INTERVAL=2 "$P" lab up -f "$TMP/cluster.yaml" --state "$STATE" >"$TMP/up.out" 2>&1; then
	fail setup "lab up failed:" "$(tail -n 30 "$TMP/up.out")"
	exit 1
fi
status=$("$P" lab status --state "$STATE" -o json)
WEB=$(echo "$status" | jq -r '.pods[] | select(.name | startswith("shop/web-")) | .name')
WEB_IP=$(echo "$status" | jq -r '.pods[] | select(.name | startswith("shop/web-")) | .ip')
WEB_NAME=${WEB#shop/}
WEB_RS=${WEB_NAME%-*}
# An address of node2's pod /24 that no pod has.
UNUSED=$(echo "$status" | jq -r '.nodes[] | select(.name == "node2") | .podCIDR' | sed 's|\.0/24$|.250|')
if [ -z "$WEB_IP" ] || [ "$WEB_RS" = "$WEB_NAME" ] || [ "${UNUSED%.250}" = "$UNUSED" ]; then
	fail setup "unexpected lab status: $status"
	exit 1
fi

# Both agents collect (status.json has flow counters once a window has ended).
deadline=$((SECONDS + 20))
until jq -e '.flows.windows > 0' "$STATE"/nodes/node1/status.json "$STATE"/nodes/node2/status.json >/dev/null 2>&1; do
	if [ $SECONDS -ge $deadline ]; then
		fail collectors-start "no flow windows:" "$(cat "$STATE"/nodes/*/status.json 2>&1)" \
			"$(tail -n 20 "$STATE"/logs/agent-*.log 2>/dev/null)"
		exit 1
	fi
	sleep 0.2
done
pass collectors-start

# Conntrack keeps a closed TCP connection 120 s in TIME_WAIT before its destroy event; the
# lab's node namespaces make that 1 s, so that the test sees completions.
for n in node1 node2; do
	"$P" lab exec --state "$STATE" "$n" -- sysctl -qw net.netfilter.nf_conntrack_tcp_timeout_time_wait=1
done

reloads() { jq -r '.reloads' "$STATE/nodes/$1/status.json" 2>/dev/null || echo 0; }
r1=$(reloads node1)
r2=$(reloads node2)
"$P" apply --datastore "$DS" -f "$DIR/policy.yaml" >/dev/null
deadline=$((SECONDS + 15))
while [ "$(reloads node1)" -le "$r1" ] || [ "$(reloads node2)" -le "$r2" ]; do
	if [ $SECONDS -ge $deadline ]; then
		fail policy-applied "agents did not reload: $(cat "$STATE"/nodes/*/status.json)"
		exit 1
	fi
	sleep 0.2
done

# ---- capture ------------------------------------------------------------------------------

# tcpdump keeps root (-Z root) so that it can write into this run's private directory.
if command -v tcpdump >/dev/null; then
	"$P" lab exec --state "$STATE" node2 -- tcpdump -i fab0 -n -U -Z root -w "$TMP/node2.pcap" \
		2>"$TMP/tcpdump.err" &
	CAP_PID=$!
	for _ in $(seq 100); do grep -q 'listening on' "$TMP/tcpdump.err" && break; sleep 0.05; done
	grep -q 'listening on' "$TMP/tcpdump.err" || fail capture "tcpdump: $(cat "$TMP/tcpdump.err")"
fi

# ---- traffic ------------------------------------------------------------------------------

# TCP: the server reads to the end and answers with the count as 10 digits and a newline.
"$P" lab exec --state "$STATE" "$WEB" -- perl -MIO::Socket::INET -e '
	alarm 20;
	my $l = IO::Socket::INET->new(LocalPort => 9000, Listen => 1, ReuseAddr => 1) or die "listen: $!";
	open(my $f, ">", $ARGV[0]) or die; close $f;
	my $c = $l->accept or die; my ($n, $b) = (0);
	while (my $r = sysread($c, $b, 65536)) { $n += $r }
	syswrite($c, sprintf("%010d\n", $n)); close $c;' "$TMP/ready" >"$TMP/server.out" 2>&1 &
SERVER_PID=$!
for _ in $(seq 100); do [ -e "$TMP/ready" ] && break; sleep 0.05; done
got=$("$P" lab exec --state "$STATE" shop/client -- perl -MIO::Socket::INET -e '
	alarm 10;
	my $s = IO::Socket::INET->new(PeerAddr => $ARGV[0], PeerPort => 9000) or die "connect: $!";
	syswrite($s, "x" x $ARGV[1]) == $ARGV[1] or die "short write";
	shutdown($s, 1); my $r = "";
	while (sysread($s, my $b, 100)) { $r .= $b } print $r;' "$WEB_IP" $TCP_BYTES 2>&1)
wait "$SERVER_PID"
SERVER_PID=
if [ "$got" = "$(printf '%010d' $TCP_BYTES)" ]; then
	pass tcp-transfer
else
	fail tcp-transfer "client got: $got" "server: $(cat "$TMP/server.out")"
fi

# UDP: one socket, so one flow; every datagram answered with "shop/web-...\n".
got=$("$P" lab exec --state "$STATE" shop/client -- perl -MIO::Socket::INET -e '
	alarm 10;
	my $s = IO::Socket::INET->new(PeerAddr => $ARGV[0], PeerPort => 53, Proto => "udp") or die;
	for (1 .. $ARGV[1]) { $s->send("u" x $ARGV[2]) == $ARGV[2] or die "short send" }
	my $n = 0; for (1 .. $ARGV[1]) { my $b; $s->recv($b, 1000); $n++ if length $b }
	print $n;' "$WEB_IP" $UDP_COUNT $UDP_SIZE 2>&1)
if [ "$got" = "$UDP_COUNT" ]; then pass udp-exchange; else fail udp-exchange "replies: $got"; fi

# Denied and unanswered attempts: 0.5 s is less than the first SYN retransmission (1 s).
attempt() { # attempt FROM IP PORT
	"$P" lab exec --state "$STATE" "$1" -- perl -MIO::Socket::INET -e '
		IO::Socket::INET->new(PeerAddr => $ARGV[0], PeerPort => $ARGV[1], Timeout => 0.5)
			and die "connected\n";' "$2" "$3" 2>&1
}
out=$(attempt shop/client "$WEB_IP" 81)$(attempt shop/client "$UNUSED" 80)$(attempt scanner "$WEB_IP" 80)
if [ -z "$out" ]; then pass denied-attempts; else fail denied-attempts "$out"; fi

# ---- records ------------------------------------------------------------------------------

LOG1=$STATE/nodes/node1/flows/flows.log
LOG2=$STATE/nodes/node2/flows/flows.log
records() { cat "$LOG1" "$LOG2" 2>/dev/null | jq -s -c .; }

# Every flow has ended (the TCP ones: FIN and a 1 s TIME_WAIT; the denied ones: a window
# without packets), except the UDP one and the SYN node1 let out (conntrack keeps them).
READY='
	def done(f): [.[] | select(f) | .num_flows_completed] | add == 1;
	done(.host == "node1" and .dest_port == 9000) and done(.host == "node2" and .dest_port == 9000)
	and done(.host == "node1" and .dest_ip == $unused)
	and done(.host == "node2" and .dest_port == 81) and done(.host == "node2" and .source_name == "suspects")
	and ([.[] | select(.proto == "udp")] | length) >= 2
	and ([.[] | select(.host == "node1" and .dest_port == 81)] | length) >= 1'
deadline=$((SECONDS + 45))
until records | jq -e --arg unused "$UNUSED" "$READY" >/dev/null 2>&1; do
	if [ $SECONDS -ge $deadline ]; then
		fail records-written "not every flow was reported within 45 s:" "$(cat "$LOG1" "$LOG2" 2>&1)" \
			"$(tail -n 10 "$STATE"/logs/agent-*.log)"
		exit 1
	fi
	sleep 0.5
done
# One more window, so that nothing of this traffic is still pending.
sleep 2.5
ALL=$(records)
pass records-written

# check NAME FILTER: FILTER (jq, over the array of every record of both nodes, with $web,
# $rs, $webip, $unused, $tcp, $udpn, $udps, $reply set) must be true.
check() {
	local name=$1 filter=$2
	if echo "$ALL" | jq -e --arg web "$WEB_NAME" --arg rs "$WEB_RS" --arg webip "$WEB_IP" \
		--arg unused "$UNUSED" --argjson tcp $TCP_BYTES --argjson udpn $UDP_COUNT \
		--argjson udps $UDP_SIZE "$filter" >"$TMP/check.out" 2>&1; then
		pass "$name"
	else
		fail "$name" "jq: $filter" "gave: $(cat "$TMP/check.out")" "records:" \
			"$(echo "$ALL" | jq -c '.[] | {host, reporter, action, source_name, dest_name, dest_ip, dest_port, proto, policies, bytes_in, bytes_out, packets_in, packets_out, num_flows, num_flows_started, num_flows_completed, num_flows_unanswered}')"
	fi
}

# Definitions shared by the checks: the records of one flow as seen by one node, and sums.
DEFS='
	def of(h; r; p; port): [.[] | select(.host == h and .reporter == r and .proto == p and .dest_port == port)];
	def sum(f): map(f) | add;
	def pod_side(s; name; aggr; labels):
		all(.[]; s.name == name and s.name_aggr == aggr and s.ns == "shop" and s.type == "wep" and s.labels == labels);
	def src: {name: .source_name, name_aggr: .source_name_aggr, ns: .source_namespace, type: .source_type, labels: .source_labels.labels, ip: .source_ip, port: .source_port};
	def dst: {name: .dest_name, name_aggr: .dest_name_aggr, ns: .dest_namespace, type: .dest_type, labels: .dest_labels.labels, ip: .dest_ip, port: .dest_port};
	def client: pod_side(src; "client"; "client"; ["app=client"]);
	def webdst: pod_side(dst; $web; $rs + "-*"; ["app=web", "pod-template-hash=" + ($rs | sub(".*-"; ""))]);
	def one_flow: length >= 1 and all(.[]; .num_flows == 1) and sum(.num_flows_started) == 1;
	def profile: ["0|__PROFILE__|__PROFILE__.kns.shop|allow|-1"];
	def tcp_bytes(payload; packets): payload + 52 * packets + 8;'

check records-shape "$DEFS"'
	length > 0 and all(.[]; (.host == "node1" or .host == "node2") and .source_port == null
		and .end_time >= .start_time and .end_time - .start_time <= 3)'

check tcp-source-node1 "$DEFS"'
	of("node1"; "src"; "tcp"; 9000) | one_flow and client and webdst
	and all(.[]; .action == "allow" and .policies.all_policies == profile and .source_ip != null and .dest_ip == $webip)
	and sum(.num_flows_completed) == 1 and sum(.num_flows_unanswered) == 0
	and sum(.packets_out) >= 4 and sum(.packets_in) >= 3
	and sum(.bytes_out) == tcp_bytes($tcp; sum(.packets_out))
	and sum(.bytes_in) == tcp_bytes(11; sum(.packets_in))'

check tcp-destination-node2 "$DEFS"'
	of("node2"; "dst"; "tcp"; 9000) | one_flow and client and webdst
	and all(.[]; .action == "allow" and .policies.all_policies == ["0|default|shop/web-ingress|allow|1"])
	and sum(.num_flows_completed) == 1 and sum(.num_flows_unanswered) == 0
	and sum(.bytes_in) == tcp_bytes($tcp; sum(.packets_in))
	and sum(.bytes_out) == tcp_bytes(11; sum(.packets_out))'

check tcp-both-ends-agree "$DEFS"'
	(of("node1"; "src"; "tcp"; 9000) | [sum(.packets_out), sum(.bytes_out), sum(.packets_in), sum(.bytes_in)])
	== (of("node2"; "dst"; "tcp"; 9000) | [sum(.packets_in), sum(.bytes_in), sum(.packets_out), sum(.bytes_out)])'

check udp-source-node1 "$DEFS"'
	of("node1"; "src"; "udp"; 53) | one_flow and client and webdst
	and all(.[]; .action == "allow" and .policies.all_policies == profile)
	and sum(.packets_out) == $udpn and sum(.bytes_out) == $udpn * ($udps + 28)
	and sum(.packets_in) == $udpn and sum(.bytes_in) == $udpn * (("shop/" + $web + "\n" | length) + 28)
	and sum(.num_flows_completed) == 0 and sum(.num_flows_unanswered) == 0'

check udp-destination-node2 "$DEFS"'
	of("node2"; "dst"; "udp"; 53) | one_flow and client and webdst
	and all(.[]; .action == "allow" and .policies.all_policies == ["0|default|shop/web-ingress|allow|2"])
	and sum(.packets_in) == $udpn and sum(.bytes_in) == $udpn * ($udps + 28)
	and sum(.packets_out) == $udpn and sum(.bytes_out) == $udpn * (("shop/" + $web + "\n" | length) + 28)'

# Denied at web's ingress: node1 let the SYN out (allowed there, conntrack counts it, no
# answer), node2 dropped it (NFLOG counts it; completed after a quiet window).
check denied-source-node1 "$DEFS"'
	of("node1"; "src"; "tcp"; 81) | one_flow and client and webdst
	and all(.[]; .action == "allow" and .policies.all_policies == profile)
	and sum(.packets_out) == 1 and sum(.bytes_out) == 60 and sum(.packets_in) == 0
	and sum(.num_flows_unanswered) == length and sum(.num_flows_completed) == 0'

check denied-destination-node2 "$DEFS"'
	of("node2"; "dst"; "tcp"; 81) | one_flow and client and webdst
	and all(.[]; .action == "deny" and .policies.all_policies == ["0|default|default.end-of-tier|deny|-1"])
	and sum(.packets_in) == 1 and sum(.bytes_in) == 60 and sum(.packets_out) == 0 and sum(.bytes_out) == 0
	and sum(.num_flows_completed) == 1 and sum(.num_flows_unanswered) == length'

# The unused address is dropped before routing on the client's own node, reported by
# destination with the no-endpoint decision.
check unused-address-node1 "$DEFS"'
	[.[] | select(.dest_ip == $unused)] | one_flow and client
	and all(.[]; .host == "node1" and .reporter == "dst" and .action == "deny" and .dest_port == 80
		and .dest_name == "-" and .dest_name_aggr == "pvt" and .dest_namespace == "-" and .dest_type == "net"
		and .policies.all_policies == ["0|__NO_ENDPOINT__|__NO_ENDPOINT__|deny|-1"])
	and sum(.packets_in) == 1 and sum(.bytes_in) == 60 and sum(.num_flows_completed) == 1'

# The external host is known by its network set; only the destination reports it.
check external-in-network-set "$DEFS"'
	[.[] | select(.source_ip == "198.51.100.66")] | one_flow and webdst
	and all(.[]; .host == "node2" and .reporter == "dst" and .action == "deny" and .proto == "tcp" and .dest_port == 80
		and .source_name == "suspects" and .source_name_aggr == "suspects" and .source_namespace == "-"
		and .source_type == "ns" and .source_labels.labels == ["threat=scanner"]
		and .policies.all_policies == ["0|default|shop/web-ingress|deny|0"])
	and sum(.packets_in) == 1 and sum(.bytes_in) == 60 and sum(.num_flows_completed) == 1'

check nothing-else "$DEFS"'
	length == ([of("node1"; "src"; "tcp"; 9000), of("node2"; "dst"; "tcp"; 9000), of("node1"; "src"; "udp"; 53),
		of("node2"; "dst"; "udp"; 53), of("node1"; "src"; "tcp"; 81), of("node2"; "dst"; "tcp"; 81),
		[.[] | select(.dest_ip == $unused or .source_ip == "198.51.100.66")]] | map(length) | add)'

# ---- the capture through `palisade analyze` -----------------------------------------------

# One line per flow and reporter: who, what was decided, and the counters summed over the
# windows (the agents' windows and the analyzer's need not cut a flow at the same instant).
SUMMARY='group_by([.reporter, .action, .proto, .source_ip, .source_name, .source_name_aggr,
		.source_namespace, .source_type, .source_labels, .dest_ip, .dest_name, .dest_name_aggr,
		.dest_namespace, .dest_type, .dest_labels, .dest_port, .policies])
	| map(.[0] as $r | {reporter: $r.reporter, action: $r.action, proto: $r.proto,
		src: [$r.source_ip, $r.source_name, $r.source_name_aggr, $r.source_namespace, $r.source_type, $r.source_labels],
		dst: [$r.dest_ip, $r.dest_name, $r.dest_name_aggr, $r.dest_namespace, $r.dest_type, $r.dest_labels, $r.dest_port],
		policies: $r.policies,
		packets: [(map(.packets_in) | add), (map(.packets_out) | add)],
		bytes: [(map(.bytes_in) | add), (map(.bytes_out) | add)],
		started: (map(.num_flows_started) | add)})'
if [ -z "$CAP_PID" ]; then
	echo "SKIP flows/analyze-matches-agents: tcpdump is not installed"
else
	kill -INT "$CAP_PID"
	wait "$CAP_PID"
	CAP_PID=
	if ! "$P" analyze -f "$DS" --pcap "$TMP/node2.pcap" --interval 2 -o json >"$TMP/analyze.json" \
		2>"$TMP/analyze.err"; then
		fail analyze-matches-agents "palisade analyze failed: $(cat "$TMP/analyze.err")"
	else
		# The unused address never reaches node2 (node1 drops it before routing).
		agents=$(echo "$ALL" | jq -c --arg unused "$UNUSED" \
			"[.[] | select(.dest_ip != \$unused)] | $SUMMARY | sort")
		analyzed=$(jq -s -c "$SUMMARY | sort" "$TMP/analyze.json")
		if [ "$agents" = "$analyzed" ] && [ "$(echo "$agents" | jq length)" -eq 7 ]; then
			pass "analyze-matches-agents (7 flow reports, $(jq -s length "$TMP/analyze.json") records)"
		else
			fail analyze-matches-agents "agents:" "$(echo "$agents" | jq -c '.[]')" \
				"analyze:" "$(echo "$analyzed" | jq -c '.[]')" "$(cat "$TMP/analyze.err")"
		fi
	fi
fi

# The counters: windows written, nothing lost.
for n in node1 node2; do
	if jq -e '.flows | .records_written > 0 and .write_errors == 0 and .nflog_overflows == 0
		and .conntrack_overflows == 0 and .nflog_unparsable == 0 and .hits_unknown == 0 and .dropped == 0' \
		"$STATE/nodes/$n/status.json" >/dev/null; then
		pass "status-counters-$n"
	else
		fail "status-counters-$n" "$(cat "$STATE/nodes/$n/status.json")"
	fi
done
metrics=$("$P" lab exec --state "$STATE" node2 -- curl -sf http://127.0.0.1:9099/metrics 2>&1)
written=$(echo "$metrics" | sed -n 's/^palisade_flow_records_written_total \([0-9]*\)$/\1/p')
if [ -n "$written" ] && [ "$written" -gt 0 ] && echo "$metrics" | grep -q '^palisade_flows_active ' &&
	echo "$metrics" | grep -q '^palisade_conntrack_overflows_total 0$' &&
	echo "$metrics" | grep -q '^palisade_nflog_overflows_total 0$'; then
	pass metrics
else
	fail metrics "$(echo "$metrics" | grep -E 'flow|nflog|conntrack')"
fi
exit 0
