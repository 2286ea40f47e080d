#!/usr/bin/env bash
# Threat-feed latency: from a changed feed to the kernel's sets holding the change.
#
# Brings up a lab (tests/integration/lab/feeds/cluster.yaml under a unique name: two web pods
# on two nodes, the feed server "feeds", the hosts "attacker" and "client"), the article's
# GlobalThreatFeed and default.blockthreats (tests/integration/lab/feeds/policy.yaml), and
# serves the feed from inside the lab (tests/integration/lab/feeds/feed_server.py).
#
# 1. A 100,000-entry feed (random addresses, one of them the attacker).  N times, one entry
#    is replaced (the attacker by the client, then back), `palisade feed sync` is run, and two
#    probers measure from the sync until the kernel has the change: one connects from the
#    host that left the feed every 20 ms until it gets in (the element is gone), the other
#    from the host that joined until it no longer gets in (the element is there; resolution
#    20 ms, a dropped SYN's timeout).  The parts come from the logs: the controller's pull
#    (fetch, parse + rails + the set's text, write) and node1's agent (reload, render, delta;
#    it starts after its 100 ms debounce).
# 2. The first load of a 1,000,000-line feed (addresses and /20-/31 prefixes, as
#    bench_feed.c generates): from `palisade apply` of the feed until the attacker, listed in
#    it, is blocked, with the same parts.
#
# Lines: "name value unit (details)".  Usage: bench/bench_feed_latency.sh [BUILD]
# (root; prints a SKIP line otherwise).  BENCH_FEED_N sets N (default 5).
set -u
BUILD=$(readlink -f "${1:-build}")
cd "$(dirname "$0")/.."
N=${BENCH_FEED_N:-5}
LAB=tests/integration/lab/feeds
ATTACKER=198.51.100.66
CLIENT=203.0.113.10

if [ "$(id -u)" != 0 ]; then
	echo "SKIP feed_latency: needs root (network namespaces, nftables)"
	exit 0
fi
for t in ip jq python3; do
	command -v $t >/dev/null || {
		echo "SKIP feed_latency: $t not installed"
		exit 0
	}
done
P="$BUILD/palisade"
[ -x "$P" ] || {
	echo "feed_latency: $BUILD/palisade not built" >&2
	exit 1
}

TMP=$(mktemp -d /tmp/palisade-bench-feed.XXXXXX)
S=$TMP/state
DS=$S/datastore
WWW=$TMP/www
cleanup() {
	[ -f "$WWW/ready" ] && kill "$(cat "$WWW/ready")" 2>/dev/null
	"$P" lab down --state "$S" >/dev/null 2>&1
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$WWW"
# 100,000 distinct addresses in 11.0.0.0-14.255.255.255, the attacker last.
python3 - "$WWW/blacklist" <<'EOF'
import random, sys
r = random.Random(1)
s = set()
while len(s) < 99999:
    s.add(r.randrange(0x0B000000, 0x0F000000))
with open(sys.argv[1], "w") as f:
    for a in sorted(s):
        f.write("%d.%d.%d.%d\n" % (a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255))
    f.write("198.51.100.66\n")
EOF
# Pulls only when asked: a day's period, an hour's backoff.
printf 'feeds:\n  backoff: 1h\n  timeout: 60s\n' >"$TMP/controller.yaml"
sed "s/name: feedstest/name: bfeed$$/" "$LAB/cluster.yaml" >"$TMP/cluster.yaml"
if ! "$P" lab up -f "$TMP/cluster.yaml" --state "$S" --controller-config "$TMP/controller.yaml" \
	>"$TMP/up.log" 2>&1; then
	echo "feed_latency: lab up failed:" >&2
	cat "$TMP/up.log" >&2
	exit 1
fi
"$P" lab exec --state "$S" feeds -- python3 "$PWD/$LAB/feed_server.py" --dir "$WWW" \
	--lifetime 900 >"$TMP/server.log" 2>&1 &
WEB=$("$P" lab status --state "$S" -o json | jq -r '.pods[] | select(.node == "node1") | .ip')
CLOG=$S/logs/controller.log
ALOG=$S/logs/agent-node1.log

# probe HOST WANT LIMIT: from HOST, connect to the node1 web pod every 20 ms until the
# connection's outcome is WANT (open|closed), after having seen the other outcome; prints
# "ready" when it has seen the other outcome, then the time (epoch seconds) of the first
# attempt with the outcome wanted.
# ready FILE...: until every prober has printed "ready" (10 s at most).
ready() {
	local f
	for f in "$@"; do
		until_ok 10 grep -q ready "$f" || return 1
	done
}
probe() {
	"$P" lab exec --state "$S" "$1" -- python3 -c '
import socket, sys, time
ip, want, limit = sys.argv[1], sys.argv[2] == "open", float(sys.argv[3])
end, other = time.time() + limit, False
while time.time() < end:
    t = time.time()
    s = socket.socket()
    s.settimeout(0.02)
    try:
        s.connect((ip, 80))
        ok = True
    except OSError:
        ok = False
    s.close()
    if ok != want:
        if not other:
            print("ready", flush=True)
        other = True
    elif other:
        print("%.6f" % t)
        sys.exit(0)
    time.sleep(max(0, 0.02 - (time.time() - t)))
print("%s: no change to %s within %s s (other outcome seen: %s)" % (socket.gethostname(),
      sys.argv[2], sys.argv[3], other), file=sys.stderr)
sys.exit(1)' "$WEB" "$2" "$3"
}
# The ms= of the first line matching RE in LOG after line FROM.
log_ms() { tail -n +$(($2 + 1)) "$1" | grep -m1 -E "$3" | sed -n 's/.* ms=\([0-9.]*\).*/\1/p'; }
log_field() { tail -n +$(($2 + 1)) "$1" | grep -m1 -E "$3" | sed -n "s/.* $4=\\([0-9.]*\\).*/\\1/p"; }
lines() { wc -l <"$1"; }
# stats FILE: "median max" (nearest rank)
stats() { sort -g "$1" | awk '{v[NR] = $1} END {printf "%.1f %.1f\n", v[int((NR + 1) / 2)], v[NR]}'; }
elapsed_ms() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.1f", (b - a) * 1000}'; }
# until_ok SECONDS CMD...: bounded wait.
until_ok() {
	local end=$((SECONDS + $1))
	shift
	until "$@"; do
		[ $SECONDS -ge $end ] && return 1
		sleep 0.1
	done
}

until_ok 10 test -s "$WWW/ready" || {
	echo "feed_latency: feed server not up: $(cat "$TMP/server.log")" >&2
	exit 1
}

# ---- the 100,000-entry feed: first load, then N one-entry changes ------------------------

# The first pull of a feed, from `palisade feed sync` (the policies are in force already: the
# feed was applied while its server answered 500) until the kernel blocks the attacker.
# first_load TAG LIMIT: prints the milliseconds.  (Its failed pulls log "feed pull failed",
# so the first "feed pulled" after the caller's mark is the pull measured.)
first_load() {
	local prober
	echo 500 >"$WWW/mode"
	"$P" apply --datastore "$DS" -f "$LAB/policy.yaml" >/dev/null || return 1
	until_ok 30 jq -e '.["sample-global-threat-feed"].failures > 0' "$S/controller/feeds.json" \
		>/dev/null 2>&1 || return 1
	sleep 1 # the agents apply the policies
	echo normal >"$WWW/mode"
	probe attacker closed "$2" >"$TMP/$1" &
	prober=$!
	ready "$TMP/$1" || return 1
	t0=$(date +%s.%N)
	"$P" feed sync sample-global-threat-feed --lab "$S" >/dev/null || return 1
	wait $prober || return 1
	elapsed_ms "$t0" "$(tail -n 1 "$TMP/$1")"
}

c0=$(lines "$CLOG")
a0=$(lines "$ALOG")
if ! first=$(first_load first100k 60); then
	echo "feed_latency: the attacker was not blocked within 60 s" >&2
	tail -n 5 "$CLOG" "$ALOG" >&2
	exit 1
fi
sleep 0.5 # the agent logs its reload right after the transaction
echo "feed_latency.first_load_100k $first ms (100,000 addresses; feed sync of the feed's first pull to the attacker blocked)"
echo "feed_latency.first_load_100k.pull_parse_write $(log_ms "$CLOG" "$c0" 'feed pulled') ms (fetch $(log_field "$CLOG" "$c0" 'feed pulled' fetch_ms) + parse/rails/text $(log_field "$CLOG" "$c0" 'feed pulled' parse_ms) + write $(log_field "$CLOG" "$c0" 'feed pulled' write_ms))"
echo "feed_latency.first_load_100k.agent_apply $(tail -n +$((a0 + 1)) "$ALOG" | grep -E 'node=node1 .* ms=' | tail -n 1 | sed -n 's/.* ms=\([0-9.]*\).*/\1/p') ms (node1's last reload: load, render, patch)"
sleep 1

: >"$TMP/out"
: >"$TMP/in"
: >"$TMP/pull"
: >"$TMP/apply"
leaving=$ATTACKER
joining=$CLIENT
for ((i = 1; i <= N; i++)); do
	sed -i "s/^$leaving\$/$joining/" "$WWW/blacklist"
	lh=$( [ "$leaving" = "$ATTACKER" ] && echo attacker || echo client)
	jh=$( [ "$joining" = "$ATTACKER" ] && echo attacker || echo client)
	c0=$(lines "$CLOG")
	a0=$(lines "$ALOG")
	probe "$lh" open 30 >"$TMP/t_out" &
	p1=$!
	probe "$jh" closed 30 >"$TMP/t_in" &
	p2=$!
	ready "$TMP/t_out" "$TMP/t_in" || exit 1
	t0=$(date +%s.%N)
	"$P" feed sync sample-global-threat-feed --lab "$S" >/dev/null || exit 1
	ok=1
	wait $p1 || ok=0
	wait $p2 || ok=0
	if [ $ok = 0 ]; then
		echo "feed_latency: change $i ($leaving out, $joining in) did not reach the kernel within 30 s" >&2
		tail -n 3 "$CLOG" "$ALOG" >&2
		exit 1
	fi
	elapsed_ms "$t0" "$(tail -n 1 "$TMP/t_out")" >>"$TMP/out"
	echo >>"$TMP/out"
	elapsed_ms "$t0" "$(tail -n 1 "$TMP/t_in")" >>"$TMP/in"
	echo >>"$TMP/in"
	until_ok 10 test -n "$(log_ms "$ALOG" "$a0" 'node=node1 .* ms=')"
	log_ms "$CLOG" "$c0" 'feed pulled' >>"$TMP/pull"
	log_ms "$ALOG" "$a0" 'node=node1 .* ms=' >>"$TMP/apply"
	t=$leaving
	leaving=$joining
	joining=$t
	sleep 0.5
done
read -r o50 omax < <(stats "$TMP/out")
read -r i50 imax < <(stats "$TMP/in")
read -r p50 pmax < <(stats "$TMP/pull")
read -r a50 amax < <(stats "$TMP/apply")
echo "feed_latency.change_100k.removed_p50 $o50 ms (max $omax; $N changes of one entry of 100,000: feed sync until the host that left gets in)"
echo "feed_latency.change_100k.added_p50 $i50 ms (max $imax; the same changes until the host that joined is dropped; 20 ms resolution)"
echo "feed_latency.change_100k.pull_parse_write_p50 $p50 ms (max $pmax; the controller's pull, from its log)"
echo "feed_latency.change_100k.agent_apply_p50 $a50 ms (max $amax; node1's reload, render and delta, from its log; after its 100 ms debounce)"

# ---- the 1,000,000-line feed, first load -------------------------------------------------

"$P" delete globalthreatfeed sample-global-threat-feed --datastore "$DS" >/dev/null
until_ok 20 test ! -e "$DS/GlobalNetworkSet_-_threatfeed.sample-global-threat-feed.json" || exit 1
python3 - "$WWW/blacklist" <<'EOF'
import random, sys
r = random.Random(2)
with open(sys.argv[1], "w") as f:
    f.write("# 1,000,000 lines: addresses and /20-/31 prefixes\n")
    for i in range(999999):
        a = r.randrange(0x0B000000, 0x60000000)
        if r.random() < 0.3:
            n = r.randrange(20, 32)
            a &= (0xFFFFFFFF << (32 - n)) & 0xFFFFFFFF
            f.write("%d.%d.%d.%d/%d\n" % (a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255, n))
        else:
            f.write("%d.%d.%d.%d\n" % (a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255))
    f.write("198.51.100.66\n")
EOF
c0=$(lines "$CLOG")
a0=$(lines "$ALOG")
if ! first=$(first_load first1m 120); then
	echo "feed_latency: the 1,000,000-line feed did not block the attacker within 120 s" >&2
	tail -n 5 "$CLOG" "$ALOG" >&2
	exit 1
fi
sleep 0.5
pulled=$(tail -n +$((c0 + 1)) "$CLOG" | grep -m1 'feed pulled')
echo "feed_latency.first_load_1m $first ms (1,000,000 lines, $(echo "$pulled" | sed -n 's/.* prefixes=\([0-9]*\).*/\1/p') prefixes after merging; feed sync of the first pull to the attacker blocked)"
echo "feed_latency.first_load_1m.pull_parse_write $(log_ms "$CLOG" "$c0" 'feed pulled') ms (fetch $(log_field "$CLOG" "$c0" 'feed pulled' fetch_ms) + parse/rails/text $(log_field "$CLOG" "$c0" 'feed pulled' parse_ms) + write $(log_field "$CLOG" "$c0" 'feed pulled' write_ms))"
echo "feed_latency.first_load_1m.agent_apply $(tail -n +$((a0 + 1)) "$ALOG" | grep -E 'node=node1 .* ms=' | tail -n 1 | sed -n 's/.* ms=\([0-9.]*\).*/\1/p') ms (node1's last reload: load, render, patch)"
