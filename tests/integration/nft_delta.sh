#!/usr/bin/env bash
# Element deltas through netlink (src/dataplane/nft_delta.c, nft_netlink.c): in namespaces
# of its own, applies a render with nft, then the delta to a changed cluster's render with
# `palisade nft-delta --apply`, and requires the kernel to hold exactly what a full apply of
# the new render gives (nft list table in a second namespace).  Also: the way back, a delta
# against a kernel that does not hold the old script (refused, nothing changed), and a policy
# change (full apply needed).  Root only; prints PASS/FAIL lines.
set -u
cd "$(dirname "$0")/../.."
PALISADE=${PALISADE:-$PWD/build/palisade}
name=integration/nft_delta

if [ "$(id -u)" != 0 ] || ! command -v nft >/dev/null; then
	echo "SKIP $name: needs root and nft"
	exit 0
fi
T=$(mktemp -d /tmp/palisade-nftdelta.XXXXXX)
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
exit $failed
