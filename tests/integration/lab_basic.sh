#!/usr/bin/env bash
# palisade lab, end to end without policy: a lab of 2 nodes, 2 namespaces, a Deployment of
# 3 replicas, one Pod and 2 external hosts.  Checks lab status, generated names and owner
# references in the datastore, that the datastore validates and that `matrix` over it equals
# `lab probe` (everything allowed), UDP, lab exec, that the root namespace is untouched, and
# that lab down (also after the state directory is lost) removes everything.  Agents are not
# started (--no-agents): that is lab_diff.sh's job.
#
# Prints PASS/FAIL lines; needs root (tests/integration/run.sh).
set -u
cd "$(dirname "$0")/../.."
P=$(readlink -f "${PALISADE:-build/palisade}")
TMP=$(mktemp -d "${TMPDIR:-/tmp}/palisade-labbasic.XXXXXX")
STATE=$TMP/state
DS=$STATE/datastore
NAME=basic-$$
ALPHA=bcdfghjklmnpqrstvwxz2456789

cleanup() {
	"$P" lab down --state "$STATE" >/dev/null 2>&1
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

pass() { echo "PASS lab-basic/$1"; }
fail() {
	echo "FAIL lab-basic/$1"
	shift
	[ $# -gt 0 ] && printf '%s\n' "$@" | head -n 30 | sed 's/^/    /'
	return 0
}
check() { # check NAME CMD...: PASS when CMD succeeds, else FAIL with its output
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then pass "$name"; else fail "$name" "$out"; fi
}

cat >"$TMP/lab.yaml" <<EOF
apiVersion: palisade.dev/v1alpha1
kind: Lab
metadata:
  name: $NAME
spec:
  nodes: 2
  podCIDR: 10.244.0.0/16
  externalHosts:
  - {name: client, ip: 203.0.113.10}
  - {name: attacker, ip: 198.51.100.66}
---
apiVersion: v1
kind: Namespace
metadata:
  name: web
  labels: {team: web}
---
apiVersion: v1
kind: Namespace
metadata:
  name: data
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: nginx
  namespace: web
spec:
  replicas: 3
  selector:
    matchLabels: {app: nginx}
  template:
    metadata:
      labels: {app: nginx}
    spec:
      containers:
      - name: nginx
        image: nginx
        ports:
        - containerPort: 80
---
apiVersion: v1
kind: Pod
metadata:
  name: db
  namespace: data
  labels: {app: db}
spec:
  containers:
  - name: db
    image: postgres
    ports:
    - {containerPort: 80}
    - {containerPort: 53, protocol: UDP}
EOF

# Bad input: exit 1, nothing made.
printf 'apiVersion: v1\nkind: Pod\nmetadata: {name: x}\nspec: {containers: []}\n' >"$TMP/bad.yaml"
"$P" lab up -f "$TMP/bad.yaml" --state "$TMP/bad-state" --no-agents >"$TMP/bad.out" 2>&1
rc=$?
if [ $rc = 1 ] && [ ! -e "$TMP/bad-state" ] && grep -q 'containers' "$TMP/bad.out"; then
	pass bad-input-refused
else
	fail bad-input-refused "exit $rc" "$(cat "$TMP/bad.out")"
fi

# A failure half-way (an `ip` that refuses the hosts' onlink routes): exit 2 with the reason,
# and everything made so far is removed again.
mkdir -p "$TMP/bin"
printf '#!/bin/sh\nfor a in "$@"; do [ "$a" = onlink ] && { echo injected failure >&2; exit 1; }; done\nexec %s "$@"\n' \
	"$(command -v ip)" >"$TMP/bin/ip"
chmod +x "$TMP/bin/ip"
PATH="$TMP/bin:$PATH" "$P" lab up -f "$TMP/lab.yaml" --state "$TMP/fail-state" --no-agents >"$TMP/fail.out" 2>&1
rc=$?
fprefix=$(grep -o 'pl[0-9a-f]\{4\}-' "$TMP/fail.out" | head -n 1)
if [ $rc = 2 ] && grep -q 'injected failure' "$TMP/fail.out" && [ -n "$fprefix" ] &&
	[ "$(ip netns list | awk '{print $1}' | grep -c "^$fprefix")" = 0 ] &&
	[ ! -e "$TMP/fail-state" ] && [ ! -e "/run/palisade/labs/$NAME" ]; then
	pass up-failure-removes-everything
else
	fail up-failure-removes-everything "exit $rc" "$(cat "$TMP/fail.out")" \
		"$(ip netns list | grep "^${fprefix:-none}")"
	"$P" lab down --state "$TMP/fail-state" >/dev/null 2>&1
fi

if ! "$P" lab up -f "$TMP/lab.yaml" --state "$STATE" --no-agents >"$TMP/up.out" 2>&1; then
	fail up "$(cat "$TMP/up.out")"
	exit 1
fi
pass up
STATUS=$("$P" lab status --state "$STATE" -o json)
PREFIX=$(echo "$STATUS" | jq -r .prefix)

# status -o json: DESIGN §10's shape.
check status-json jq -e --arg ds "$DS" --arg st "$STATE" '
	(.nodes | length) == 2 and (.pods | length) == 4 and (.hosts | length) == 2 and
	.datastore == $ds and .state == $st and
	([.pods[].node] | unique) == ["node1", "node2"] and
	all(.pods[]; (.ip | startswith("10.244.")) and (.name | test("^[a-z0-9.-]+/[a-z0-9.-]+$"))) and
	([.hosts[] | "\(.name)=\(.ip)"] | sort) == ["attacker=198.51.100.66", "client=203.0.113.10"]
	' <<<"$STATUS"
check status-text "$P" lab status --state "$STATE"
# Without --state, the registry finds the lab when it is the only one up.
if [ "$(ls /run/palisade/labs 2>/dev/null | wc -l)" = 1 ]; then
	check status-from-registry bash -c "'$P' lab status -o json | jq -e '.state == \"$STATE\"'"
fi

# Generated names: web/nginx-<hash>-<5>, one ReplicaSet owned by the Deployment.
NGINX=$(echo "$STATUS" | jq -r '.pods[].name | select(startswith("web/nginx-"))')
RS=$(echo "$NGINX" | sed -E 's|^web/(nginx-[^-]+)-[^-]+$|\1|' | sort -u)
if [ "$(echo "$NGINX" | wc -l)" = 3 ] && [ "$(echo "$RS" | wc -l)" = 1 ] &&
	echo "$NGINX" | grep -qE "^web/nginx-[$ALPHA]{9,10}-[$ALPHA]{5}\$"; then
	pass generated-names
else
	fail generated-names "$NGINX"
fi
rsfile=$DS/replicaset_web_$RS.yaml
rsuid=$(sed -n 's/^  uid: "\(.*\)"$/\1/p' "$rsfile" 2>/dev/null)
hash=${RS#nginx-}
owner_ok=1
msg=""
grep -q 'kind: "Deployment"' "$rsfile" 2>/dev/null || { owner_ok=0; msg="$rsfile: no Deployment owner"; }
for pod in $NGINX; do
	f=$DS/pod_web_${pod#web/}.yaml
	for want in 'kind: "ReplicaSet"' "name: \"$RS\"" "uid: \"$rsuid\"" 'controller: true' \
		"pod-template-hash: \"$hash\"" 'nodeName: "node' 'podIP: "10.244.'; do
		grep -qF "$want" "$f" 2>/dev/null || { owner_ok=0; msg="$msg $f: no $want;"; }
	done
done
[ -n "$rsuid" ] || { owner_ok=0; msg="$msg no uid in $rsfile"; }
if [ $owner_ok = 1 ]; then pass owner-references; else fail owner-references "$msg"; fi
check datastore-validates "$P" validate -f "$DS"

# Probe: everything allowed without policy, and the same as the evaluator says.
normalise() { jq -S '[.cells[] | {from, to, port, protocol, allowed}] | sort_by(.from, .to, .port, .protocol)'; }
probe=$("$P" lab probe --state "$STATE" -o json 2>"$TMP/probe.err")
if echo "$probe" | jq -e '(.cells | length) == 24 and all(.cells[]; .allowed)' >/dev/null; then
	pass probe-all-allowed
else
	fail probe-all-allowed "$(cat "$TMP/probe.err")" "$(echo "$probe" | jq -c '.cells[] | select(.allowed | not)' | head -n 10)"
fi
matrix=$("$P" matrix -f "$DS" -o json 2>&1)
if [ "$(echo "$probe" | normalise)" = "$(echo "$matrix" | normalise)" ]; then
	pass probe-equals-matrix
else
	fail probe-equals-matrix "probe: $probe" "matrix: $matrix"
fi
check probe-text-layout diff <("$P" matrix -f "$DS") <("$P" lab probe --state "$STATE")
# UDP: only data/db serves 53/UDP; a port nobody serves is never allowed.
udp=$("$P" lab probe --state "$STATE" --ports 53 --protos UDP -o json 2>&1)
check probe-udp jq -e '(.cells | length) == 24 and all(.cells[]; .allowed == (.to == "data/db"))' <<<"$udp"

# exec: into a pod, a host and a node.
pod=$(echo "$NGINX" | head -n 1)
podip=$(echo "$STATUS" | jq -r --arg p "$pod" '.pods[] | select(.name == $p) | .ip')
check exec-pod bash -c "'$P' lab exec --state '$STATE' '$pod' -- ip -4 -o addr show dev eth0 | grep -qF ' $podip/32 '"
check exec-host bash -c "'$P' lab exec --state '$STATE' client -- ip -4 -o addr show dev eth0 | grep -qF ' 203.0.113.10/32 '"
check exec-node bash -c "'$P' lab exec --state '$STATE' node1 -- cat /proc/sys/net/ipv4/ip_forward | grep -qx 1"
if "$P" lab exec --state "$STATE" web/nope -- true >/dev/null 2>&1; then
	fail exec-unknown "lab exec into an unknown pod succeeded"
else
	pass exec-unknown
fi

# The root namespace has none of the lab's interfaces, addresses or routes.
bad=""
ip -o link show | grep -qE 'cali[0-9a-f]{11}|fab0' && bad="$bad interfaces;"
ip -o addr show | grep -qF '172.31.255.' && bad="$bad fabric address;"
ip route show | grep -qF 'via 172.31.255.' && bad="$bad routes via the fabric;"
if [ -z "$bad" ]; then pass root-untouched; else fail root-untouched "$bad"; fi

# down removes everything; a second down has nothing to do.
check down "$P" lab down --state "$STATE"
left=$(ip netns list | awk '{print $1}' | grep -c "^$PREFIX")
procs=$(pgrep -f -- "$STATE" | wc -l)
if [ "$left" = 0 ] && [ "$procs" = 0 ] && [ ! -e "$STATE" ] && [ ! -e "/run/palisade/labs/$NAME" ]; then
	pass down-removes-everything
else
	fail down-removes-everything "namespaces left: $left, processes left: $procs" "$(ls -d "$STATE" "/run/palisade/labs/$NAME" 2>&1)"
fi
check down-idempotent "$P" lab down --state "$STATE"

# The same manifests give the same pod names; a lab whose state directory is lost (a crash)
# is still removed, found by the prefix of its state path.
if "$P" lab up -f "$TMP/lab.yaml" --state "$STATE" --no-agents >"$TMP/up2.out" 2>&1; then
	again=$("$P" lab status --state "$STATE" -o json | jq -r '.pods[].name | select(startswith("web/nginx-"))')
	if [ "$again" = "$NGINX" ]; then pass names-stable; else fail names-stable "$NGINX" "$again"; fi
	rm -rf "$STATE"
	"$P" lab down --state "$STATE" >"$TMP/down2.out" 2>&1
	left=$(ip netns list | awk '{print $1}' | grep -c "^$PREFIX")
	procs=$(pgrep -f -- "$STATE" | wc -l)
	if [ "$left" = 0 ] && [ "$procs" = 0 ] && [ ! -e "/run/palisade/labs/$NAME" ]; then
		pass down-after-crash
	else
		fail down-after-crash "namespaces left: $left, processes left: $procs" "$(cat "$TMP/down2.out")"
	fi
else
	fail names-stable "$(cat "$TMP/up2.out")"
fi
exit 0
