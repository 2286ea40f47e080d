#!/usr/bin/env bash
# Element deltas through netlink (src/dataplane/nft_delta.c, nft_netlink.c): in namespaces
# of its own, applies a render with nft, then the delta to a changed cluster's render with
# `palisade nft-delta --apply`, and requires the kernel to hold exactly what a full apply of
# the new render gives (nft list table in a second namespace).  Also: the way back, a delta
# against a kernel that does not hold the old script (refused, nothing changed), and a policy
# change (full apply needed); and set elements with timeouts (expiring network-set entries):
# unchanged expiries send nothing, extended ones update the kernel's element, removed ones are
# deleted even when the kernel has expired them already, by delta and by patch.  Root only;
# prints PASS/FAIL lines.
set -u
cd "$(dirname "$0")/../.."
PALISADE=${PALISADE:-$PWD/build/palisade}
name=integration/nft_delta

if [ "$(id -u)" != 0 ] || ! command -v nft >/dev/null; then
	echo "SKIP $name: needs root and nft"
	exit 0
fi
T=$(mktemp -d "${TMPDIR:-/tmp}/palisade-nftdelta.XXXXXX")
A=plnl-$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')
B=plnl-$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')
cleanup() {
	ip netns del "$A" 2>/dev/null
	ip netns del "$B" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
ip netns add "$A" && ip netns add "$B" || { echo "FAIL $name"; echo "    ip netns add"; exit 1; }

failed=0
fail() {
	echo "FAIL $name/$1"
	shift
	printf '    %s\n' "$@"
	failed=1
}
render() { "$PALISADE" agent --dry-run -f "$1" --node node-1 >"$2"; }
table() { ip netns exec "$1" nft list table inet palisade; }
# The table with its sets, maps and chains in name order: the kernel lists objects in the
# order they were created, which a patch changes without changing what the table does.
objects() {
	table "$1" | awk '/^\t(set|map|chain) /{b=$0; inb=1; next}
		inb {b=b "\\n" $0; if ($0 == "\t}") {print b; inb=0}; next}' | sort
}

# The old cluster: the network-set golden case.  The new one: the feed's prefixes change
# (merged differently), the pod api leaves the dmz zone and a new dmz pod api2 arrives.
cp tests/golden/nft/good-netsets.yaml "$T/old.yaml"
sed -e 's|203.0.113.7/32, 203.0.113.6/32|203.0.113.7/32, 203.0.113.4/31, 198.51.99.0/24, "2001:db8:beef::/64"|' \
	-e 's|name: api, namespace: edge, labels: {app: api, zone: dmz}|name: api, namespace: edge, labels: {app: api, zone: lan}|' \
	"$T/old.yaml" >"$T/new.yaml"
cat >>"$T/new.yaml" <<'YAML'
---
apiVersion: v1
kind: Pod
metadata: {name: api2, namespace: edge, labels: {app: api, zone: dmz}}
spec: {nodeName: node-1, containers: [{name: c, image: api}]}
status: {podIP: 10.244.0.32}
YAML
# Named ports: b's http port moves from 8080 to 8081, its dns port from 5353 to 5354.
sed -e 's|{name: http, containerPort: 8080}|{name: http, containerPort: 8081}|' \
	-e 's|{name: dns, containerPort: 5353, protocol: UDP}|{name: dns, containerPort: 5354, protocol: UDP}|' \
	tests/golden/nft/good-named-ports.yaml >"$T/np-new.yaml"
# A policy change: the dmz rule's action.
sed -e '0,/  - action: Allow/s//  - action: Log/' "$T/old.yaml" >"$T/pol.yaml"
render "$T/old.yaml" "$T/old.nft" && render "$T/new.yaml" "$T/new.nft" &&
	render "$T/pol.yaml" "$T/pol.nft" && render tests/golden/nft/good-named-ports.yaml "$T/np-old.nft" &&
	render "$T/np-new.yaml" "$T/np-new.nft" || { echo "FAIL $name"; echo "    render failed"; exit 1; }

# 1. old -> new by delta equals new by full apply.
ip netns exec "$A" nft -f "$T/old.nft"
ip netns exec "$B" nft -f "$T/new.nft"
if ! out=$(ip netns exec "$A" "$PALISADE" nft-delta --apply "$T/old.nft" "$T/new.nft" 2>&1); then
	fail forward "nft-delta --apply failed:" "$out"
elif ! d=$(diff <(table "$A") <(table "$B")); then
	fail forward "kernel after the delta differs from a full apply:" "$d"
else
	n=$(echo "$out" | sed -n 's/^# \([0-9]*\) elements.*/\1/p')
	echo "PASS $name/forward ($n elements)"
fi
# The feed's sets hold exactly the new entries: merged prefixes in the interval set, the
# single address in the hash set (names are hashes, nft_names.h: the feed's sets are the
# first of the render).
elements() {
	ip netns exec "$A" nft list set inet palisade "$1" | tr -d '\n\t' |
		sed -n 's/.*elements = { \(.*\) }.*/\1/p' | sed 's/,  */, /g'
}
feedset=$(grep -o -m1 'set a[0-9a-f]*_n4' "$T/new.nft" | cut -d' ' -f2)
want='198.51.99.0/24, 198.51.100.0/24, 203.0.113.4/31'
got=$(elements "$feedset")
if [ "$got" != "$want" ]; then
	fail interval-set "$feedset holds: $got" "want:       $want"
elif ! elements "${feedset%_n4}_e4" | grep -q '203\.0\.113\.7\b'; then
	fail interval-set "${feedset%_n4}_e4 lacks 203.0.113.7: $(elements "${feedset%_n4}_e4")"
else
	echo "PASS $name/interval-set"
fi

# 2. new -> old by delta equals old by full apply.
ip netns exec "$B" nft -f "$T/old.nft"
if ! out=$(ip netns exec "$A" "$PALISADE" nft-delta --apply "$T/new.nft" "$T/old.nft" 2>&1); then
	fail backward "nft-delta --apply failed:" "$out"
elif ! d=$(diff <(table "$A") <(table "$B")); then
	fail backward "kernel after the delta differs from a full apply:" "$d"
else
	echo "PASS $name/backward"
fi

# 3. The kernel holds old already; a delta new -> old deletes elements that are not there:
# refused with the kernel's error, and nothing changes (one batch, all or nothing).
before=$(table "$A")
if out=$(ip netns exec "$A" "$PALISADE" nft-delta --apply "$T/new.nft" "$T/old.nft" 2>&1); then
	fail stale "a delta against a kernel that does not hold its old script was accepted"
elif ! echo "$out" | grep -q 'No such file or directory'; then
	fail stale "unexpected error:" "$out"
elif [ "$(table "$A")" != "$before" ]; then
	fail stale "the refused batch changed the kernel's ruleset"
else
	echo "PASS $name/stale"
fi

# 4. Named-port sets (ipv4_addr . inet_proto . inet_service) by delta.
ip netns exec "$A" nft -f "$T/np-old.nft"
ip netns exec "$B" nft -f "$T/np-new.nft"
if ! out=$(ip netns exec "$A" "$PALISADE" nft-delta --apply "$T/np-old.nft" "$T/np-new.nft" 2>&1); then
	fail named-ports "nft-delta --apply failed:" "$out"
elif ! echo "$out" | grep -q '10.244.0.41 . tcp . 8081'; then
	fail named-ports "the delta misses the new port:" "$out"
elif ! d=$(diff <(table "$A") <(table "$B")); then
	fail named-ports "kernel after the delta differs from a full apply:" "$d"
else
	echo "PASS $name/named-ports"
fi

# 5. Policy changes are patches of chains and sets (src/dataplane/nft_patch.c): for each
# pair, the kernel holding the first render, patched, must equal a full apply of the second.
cp tests/golden/nft/good-tiers.yaml "$T/tiers.yaml"
cp tests/golden/nft/good-tiers.yaml "$T/tiers2.yaml"
cat >>"$T/tiers2.yaml" <<'YAML'
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: security.first}
spec:
  tier: security
  order: 1
  selector: role == 'back'
  ingress:
  - action: Deny
    protocol: UDP
    source: {nets: [192.0.2.0/24]}
  - action: Allow
    source: {selector: role == 'front'}
YAML
render "$T/tiers.yaml" "$T/tiers.nft" && render "$T/tiers2.yaml" "$T/tiers2.nft" ||
	{ echo "FAIL $name"; echo "    render failed"; exit 1; }
patched=0
for pair in old:pol pol:old tiers:tiers2 tiers2:tiers old:tiers2 tiers2:old; do
	from=${pair%%:*} to=${pair##*:}
	ip netns exec "$A" nft -f "$T/$from.nft"
	ip netns exec "$B" nft -f "$T/$to.nft"
	if ! out=$(ip netns exec "$A" "$PALISADE" nft-delta --apply "$T/$from.nft" "$T/$to.nft" 2>&1); then
		fail "patch-$from-$to" "nft-delta --apply failed:" "$out"
	elif ! echo "$out" | grep -q '^# patch: '; then
		fail "patch-$from-$to" "want a patch, got:" "$out"
	elif ! d=$(diff <(objects "$A") <(objects "$B")); then
		fail "patch-$from-$to" "kernel after the patch differs from a full apply:" "$d"
	else
		patched=$((patched + 1))
	fi
done
[ $patched -eq 6 ] && echo "PASS $name/patch (6 policy changes, each way)"

# 6. A new hook (the unused-address chain appears with a pod range) needs the whole table.
out=$("$PALISADE" nft-delta "$T/np-old.nft" "$T/old.nft" 2>&1)
if [ $? -eq 1 ] && [ "$out" = "full apply needed" ]; then
	echo "PASS $name/full"
else
	fail full "want exit 1 and \"full apply needed\", got:" "$out"
fi

# 7. Timed elements (tests/golden/nft/good-quarantine.yaml, whose entries expire from
# 2025-11-29T02:00:08Z on): renders at chosen times (--now) stand for the agent rendering
# at those times.  The kernel lists an element's whole timeout and what is left of it
# ("expires"): an element a delta left alone keeps the timeout of the render that created it,
# and the renders' clock is not the kernel's, so the comparisons keep only whether an
# element times out; the extended element's timeout is checked on its own.
NOW=1764381600 # 2025-11-29T02:00:00Z
qrender() { "$PALISADE" agent --dry-run --now "$2" -f "$1" --node node-1 >"$3"; }
untimed() { sed -E 's/ timeout [0-9hms]+( expires [0-9hms]+)?/ timeout/g'; }
table_t() { table "$1" | untimed; }
objects_t() { objects "$1" | untimed; }
Q=tests/golden/nft/good-quarantine.yaml
# The new datastore: 198.51.100.66 extended (02:00:08 -> 02:00:20), 198.51.100.68 pruned
# from both sets, 203.0.113.9 no longer permanent (only its expiry is left), 2001:db8::66
# made permanent, 198.51.100.69 added with an expiry.
python3 - "$Q" "$T/q-new.yaml" <<'PY'
import sys
s = open(sys.argv[1]).read()
for a, b in [('"198.51.100.66/32": "2025-11-29T02:00:08Z"', '"198.51.100.66/32": "2025-11-29T02:00:20Z"'),
             ('"198.51.100.68": "2025-11-29T02:00:30.2Z", ', '"198.51.100.69": "2025-11-29T02:00:40Z", '),
             (', "2001:db8::66/128": "2025-11-29T03:00:00Z"}', '}'),
             ('198.51.100.68, 10.244.0.31', '198.51.100.69, 10.244.0.31'),
             ("'{\"198.51.100.68\": \"2025-11-29T02:05:00Z\"}'", "'{}'"),
             ('nets: [198.51.100.68, 203.0.113.9]', 'nets: [198.51.100.70]')]:
    assert a in s, a
    s = s.replace(a, b)
open(sys.argv[2], 'w').write(s)
PY
qrender "$Q" $NOW "$T/q-old.nft" && qrender "$Q" $((NOW + 2)) "$T/q-same.nft" &&
	qrender "$T/q-new.yaml" $((NOW + 2)) "$T/q-new.nft" ||
	{ echo "FAIL $name"; echo "    render failed"; exit 1; }
out=$("$PALISADE" nft-delta "$T/q-old.nft" "$T/q-same.nft" 2>&1)
if [ "$out" = "# 0 elements in 0 sets" ]; then
	echo "PASS $name/timeouts-unchanged"
else
	fail timeouts-unchanged "the same expiries 2 s later must send nothing, got:" "$out"
fi
ip netns exec "$A" nft -f "$T/q-old.nft"
ip netns exec "$B" nft -f "$T/q-new.nft"
if ! out=$(ip netns exec "$A" "$PALISADE" nft-delta --apply "$T/q-old.nft" "$T/q-new.nft" 2>&1); then
	fail timeouts-delta "nft-delta --apply failed:" "$out"
elif ! d=$(diff <(table_t "$A") <(table_t "$B")); then
	fail timeouts-delta "kernel after the delta differs from a full apply:" "$d"
elif ! table "$A" | grep -q '198\.51\.100\.66 timeout 18s expires 1[0-8]s'; then
	fail timeouts-delta "198.51.100.66 was not extended to 18 s:" "$(table "$A" | grep -A4 'flags timeout')"
else
	echo "PASS $name/timeouts-delta ($(echo "$out" | sed -n 's/^# \([0-9]*\) elements.*/\1/p') elements: extended, pruned, made permanent, made timed, added)"
fi
# An element the kernel has expired already: the old render gives 198.51.100.66 1 s, the new
# one (2 s later) leaves it out; the delete must not fail the batch.
qrender "$Q" $((NOW + 7)) "$T/q-1s.nft" && qrender "$Q" $((NOW + 9)) "$T/q-9.nft" ||
	{ echo "FAIL $name"; echo "    render failed"; exit 1; }
expired_wait() { # expired_wait NETNS: until 198.51.100.66 has left the kernel's set (3 s at most)
	local i
	for i in $(seq 30); do
		table "$1" | grep -q '198\.51\.100\.66 ' || return 0
		sleep 0.1
	done
	return 1
}
ip netns exec "$A" nft -f "$T/q-1s.nft"
ip netns exec "$B" nft -f "$T/q-9.nft"
if ! expired_wait "$A"; then
	fail timeouts-expired "198.51.100.66 (timeout 1s) still in the kernel after 3 s"
elif ! out=$(ip netns exec "$A" "$PALISADE" nft-delta --apply "$T/q-1s.nft" "$T/q-9.nft" 2>&1); then
	fail timeouts-expired "nft-delta --apply failed:" "$out"
elif ! echo "$out" | grep -q '^# 1 timed elements had already expired$'; then
	fail timeouts-expired "the expired element was not counted:" "$out"
elif ! d=$(diff <(table_t "$A") <(table_t "$B")); then
	fail timeouts-expired "kernel after the delta differs from a full apply:" "$d"
else
	echo "PASS $name/timeouts-expired"
fi
# The same by patch (a policy changes too), with the element expired and not yet expired.
sed -e 's/  - action: Deny/  - action: Log\n  - action: Deny/' "$Q" >"$T/q-pol.yaml"
qrender "$T/q-pol.yaml" $((NOW + 9)) "$T/q-pol.nft" ||
	{ echo "FAIL $name"; echo "    render failed"; exit 1; }
patched=0
for wait in yes no; do
	ip netns exec "$A" nft -f "$T/q-1s.nft"
	ip netns exec "$B" nft -f "$T/q-pol.nft"
	[ $wait = yes ] && ! expired_wait "$A" && fail "timeouts-patch" "198.51.100.66 did not expire"
	if ! out=$(ip netns exec "$A" "$PALISADE" nft-delta --apply "$T/q-1s.nft" "$T/q-pol.nft" 2>&1); then
		fail "timeouts-patch-$wait" "nft-delta --apply failed:" "$out"
	elif ! echo "$out" | grep -q '^# patch: '; then
		fail "timeouts-patch-$wait" "want a patch, got:" "$out"
	elif ! d=$(diff <(objects_t "$A") <(objects_t "$B")); then
		fail "timeouts-patch-$wait" "kernel after the patch differs from a full apply:" "$d"
	else
		patched=$((patched + 1))
	fi
done
[ $patched -eq 2 ] && echo "PASS $name/timeouts-patch (gone element expired and not yet expired)"
exit $failed
