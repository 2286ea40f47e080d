#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""
Reference model for the Kubernetes NetworkPolicy conformance suite.

This is an independent, deliberately naive transcription of the NetworkPolicy rules of the
Kubernetes API documentation (the NetworkPolicy concepts page and the networking.k8s.io/v1
API reference) over the fixed cluster of cluster.yaml.  It shares no code with Palisade.

The scenarios live here as Python data.  Running the script writes, for every scenario,
NNN-name.yaml (the NetworkPolicy manifests), NNN-name.expect (the full truth table) and,
for a few, NNN-name.queries (eval queries with the expected verdict), plus cluster.yaml, so
that manifests and tables can never disagree.  The committed files are the golden truth;
python is not needed at test time.

    tests/conformance/k8s/oracle.py            write every file
    tests/conformance/k8s/oracle.py --check    compare the files on disk, write nothing
    tests/conformance/k8s/oracle.py 026        print one scenario's .expect on stdout
    tests/conformance/k8s/oracle.py --list     one line per scenario

Only the standard library is used.
"""

import ipaddress
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
V1 = "networking.k8s.io/v1"
V1BETA1 = "extensions/v1beta1"
PROTOS = ["TCP", "UDP", "SCTP"]
PORTS = [80, 81]

# --------------------------------------------------------------------------------------
# The cluster (written to cluster.yaml).  Namespace labels besides ns: env on x and y only;
# pod labels besides pod: tier on a and b only, so that NotIn / DoesNotExist over an absent
# key mean something.  kubernetes.io/metadata.name is NOT written: the control plane sets it
# on every namespace, so the implementation under test must add it itself.

NAMESPACES = {
    "x": {"ns": "x", "env": "prod"},
    "y": {"ns": "y", "env": "dev"},
    "z": {"ns": "z"},
}
POD_LABELS = {
    "a": {"pod": "a", "tier": "front"},
    "b": {"pod": "b", "tier": "back"},
    "c": {"pod": "c"},
}
NODES = {"x": "node-1", "y": "node-2", "z": "node-3"}
SUBNET = {"x": "10.244.0", "y": "10.244.1", "z": "10.244.2"}
HOST = {"a": 10, "b": 11, "c": 12}
# (name, containerPort, protocol): the name says both the number and the protocol, so a
# named-port rule pins exactly one (port, protocol) pair.
CONTAINER_PORTS = [
    ("serve-80-tcp", 80, "TCP"),
    ("serve-80-udp", 80, "UDP"),
    ("serve-80-sctp", 80, "SCTP"),
    ("serve-81-tcp", 81, "TCP"),
    ("serve-81-udp", 81, "UDP"),
    ("serve-81-sctp", 81, "SCTP"),
]


class Endpoint:
    """A pod of the cluster, or a bare IP address that is not a pod."""

    def __init__(self, ip, ns=None, name=None, labels=None, ports=None):
        self.ip = ipaddress.ip_address(ip)
        self.ns = ns
        self.name = name
        self.labels = labels or {}
        self.ports = ports or []

    @property
    def is_pod(self):
        return self.name is not None

    @property
    def key(self):
        return "%s/%s" % (self.ns, self.name) if self.is_pod else str(self.ip)


PODS = []
for _ns in sorted(NAMESPACES):
    for _p in sorted(POD_LABELS):
        PODS.append(
            Endpoint(
                "%s.%d" % (SUBNET[_ns], HOST[_p]),
                _ns,
                _p,
                dict(POD_LABELS[_p]),
                list(CONTAINER_PORTS),
            )
        )
PODS_BY_KEY = {p.key: p for p in PODS}
PODS_BY_IP = {str(p.ip): p for p in PODS}


def namespace_labels(ns, extra_namespaces):
    labels = dict(NAMESPACES.get(ns, extra_namespaces.get(ns, {})))
    # "The Kubernetes control plane sets an immutable label kubernetes.io/metadata.name on
    # all namespaces, the value of the label is the namespace name."
    labels["kubernetes.io/metadata.name"] = ns
    return labels


# --------------------------------------------------------------------------------------
# The rules, one function per paragraph of the documentation.


def selector_matches(sel, labels):
    """metav1.LabelSelector: matchLabels and matchExpressions, all ANDed; {} matches all."""
    for k, v in (sel.get("matchLabels") or {}).items():
        # "A single {key,value} in the matchLabels map is equivalent to an element of
        # matchExpressions, whose key field is "key", the operator is "In", and the values
        # array contains only "value"."
        if labels.get(k) != v:
            return False
    for req in sel.get("matchExpressions") or []:
        key, op, values = req["key"], req["operator"], req.get("values") or []
        if op == "In":
            ok = key in labels and labels[key] in values
        elif op == "NotIn":
            # "tier notin (frontend, backend) selects all resources with key equal to tier
            # and values other than frontend and backend, and all resources with no labels
            # with the tier key"
            ok = key not in labels or labels[key] not in values
        elif op == "Exists":
            ok = key in labels
        elif op == "DoesNotExist":
            ok = key not in labels
        else:
            raise ValueError("bad operator " + op)
        if not ok:
            return False
    return True


def in_cidr(ip, cidr):
    net = ipaddress.ip_network(cidr, strict=True)
    return ip.version == net.version and ip in net


def peer_matches(peer, policy_ns, ep, extra_namespaces):
    """NetworkPolicyPeer."""
    if "ipBlock" in peer:
        # "ipBlock: This selects particular IP CIDR ranges to allow as ingress sources or
        # egress destinations."  "except is a slice of CIDRs that should not be included
        # within an IPBlock".  Here (as in Calico) pod IPs are matched too.
        block = peer["ipBlock"]
        if not in_cidr(ep.ip, block["cidr"]):
            return False
        return not any(in_cidr(ep.ip, e) for e in block.get("except") or [])
    if not ep.is_pod:
        return False  # selectors select pods only
    pod_sel = peer.get("podSelector")
    ns_sel = peer.get("namespaceSelector")
    if ns_sel is not None:
        # "namespaceSelector selects namespaces using cluster-scoped labels ... if present
        # but empty, it selects all namespaces."
        if not selector_matches(ns_sel, namespace_labels(ep.ns, extra_namespaces)):
            return False
    elif ep.ns != policy_ns:
        # podSelector alone: "it selects the pods matching podSelector in the policy's own
        # namespace."
        return False
    if pod_sel is not None and not selector_matches(pod_sel, ep.labels):
        return False
    return True


def port_matches(entry, proto, port, dst):
    """NetworkPolicyPort, for traffic to destination endpoint dst."""
    # "protocol ... If not specified, this field defaults to TCP."
    if entry.get("protocol", "TCP") != proto:
        return False
    if "port" not in entry:
        # "If this field is not provided, this matches all port names and numbers."
        return True
    p = entry["port"]
    if isinstance(p, str):
        # A named port is a port of the destination pod: "This can either be a numerical or
        # named port on a pod."  "If present, only traffic on the specified protocol AND port
        # will be matched": the name must denote a port of that protocol on that pod.
        return any(n == p and pr == proto and num == port for (n, num, pr) in dst.ports)
    end = entry.get("endPort")
    if end is None:
        return port == p
    # "endPort indicates that the range of ports from port to endPort if set, inclusive,
    # should be allowed by the policy."
    return p <= port <= end


def policy_types(spec):
    # "If this field is not specified, it will default based on the existence of ingress or
    # egress rules; policies that contain an egress section are assumed to affect egress, and
    # all policies (whether or not they contain an ingress section) are assumed to affect
    # ingress."  (The API server fills it in when the list is empty: Egress iff the egress
    # list has at least one rule.)
    if spec.get("policyTypes"):
        return set(spec["policyTypes"])
    types = {"Ingress"}
    if spec.get("egress"):
        types.add("Egress")
    return types


def policy_selects(pol, ep):
    # "podSelector selects the pods to which this NetworkPolicy object applies ... An empty
    # selector matches all pods in the policy's namespace."
    return ep.is_pod and pol["metadata"]["namespace"] == ep.ns and selector_matches(
        pol["spec"]["podSelector"], ep.labels
    )


def rule_single(rule, peers_key):
    """True when a rule has at most one peer and at most one port, so that it becomes exactly
    one Calico rule and its index is the Calico rule index."""
    return len(rule.get(peers_key) or []) <= 1 and len(rule.get("ports") or []) <= 1


def direction(direc, ep, other, proto, port, dst, policies, extra_namespaces):
    """Does ep's side allow the connection in direction direc ("Ingress": ep is the
    destination, other the source; "Egress": ep is the source, other the destination)?
    Returns (allowed, decided) where decided is the eval contract's string or None when the
    rule index would depend on how a multi-peer/multi-port rule is split."""
    if not ep.is_pod:
        return True, "unmanaged|-|Allow|-1"
    rules_key, peers_key = ("ingress", "from") if direc == "Ingress" else ("egress", "to")
    # "A pod is isolated for ingress if there is any NetworkPolicy that both selects the pod
    # and has "Ingress" in its policyTypes" (likewise for egress).
    applicable = [
        p for p in policies if policy_selects(p, ep) and direc in policy_types(p["spec"])
    ]
    if not applicable:
        # "By default, a pod is non-isolated for ingress; all inbound connections are
        # allowed."  (and for egress)
        return True, "profile|kns.%s|Allow|-1" % ep.ns
    # "the connections allowed in that direction from that pod is the union of what the
    # applicable policies allow."  Palisade reports the first policy by name that allows.
    applicable.sort(key=lambda p: "%s/knp.default.%s" % (p["metadata"]["namespace"], p["metadata"]["name"]))
    for pol in applicable:
        pns = pol["metadata"]["namespace"]
        exact = True
        for idx, rule in enumerate(pol["spec"].get(rules_key) or []):
            exact = exact and rule_single(rule, peers_key)
            peers = rule.get(peers_key) or []
            # "If this field is empty or missing, this rule matches all sources" / "... all
            # destinations"; otherwise "only if the traffic matches at least one item".
            if peers and not any(peer_matches(pe, pns, other, extra_namespaces) for pe in peers):
                continue
            ports = rule.get("ports") or []
            # "If this field is empty or missing, this rule matches all ports"; otherwise
            # "only if the traffic matches at least one port in the list."
            if ports and not any(port_matches(pt, proto, port, dst) for pt in ports):
                continue
            name = "%s/knp.default.%s" % (pns, pol["metadata"]["name"])
            return True, ("default|%s|Allow|%d" % (name, idx)) if exact else None
    # "When a pod is isolated for ingress, the only allowed connections into the pod are
    # those from the pod's node and those allowed by the ingress list of some NetworkPolicy
    # that applies to the pod for ingress."
    return False, "default|end-of-tier|Deny|-1"


def connection(src, dst, proto, port, policies, extra_namespaces):
    """(allowed, egress (allowed, decided), ingress (allowed, decided))"""
    eg = direction("Egress", src, dst, proto, port, dst, policies, extra_namespaces)
    ig = direction("Ingress", dst, src, proto, port, dst, policies, extra_namespaces)
    # "For a connection from a source pod to a destination pod to be allowed, both the egress
    # policy on the source pod and the ingress policy on the destination pod need to allow
    # the connection."
    return eg[0] and ig[0], eg, ig


def matrix_allowed(src, dst, proto, port, policies, extra_namespaces):
    if src is dst:
        # "Other pods that are allowed (exception: a pod cannot block access to itself)"
        return True
    return connection(src, dst, proto, port, policies, extra_namespaces)[0]


# --------------------------------------------------------------------------------------
# Output: YAML (a small emitter for the subset used here) and the truth table.

YAML_PLAIN = re.compile(r"^[A-Za-z][A-Za-z0-9./_-]*$")
YAML_SPECIAL = {
    "y", "Y", "n", "N", "yes", "Yes", "YES", "no", "No", "NO", "true", "True", "TRUE",
    "false", "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF", "null", "Null", "NULL",
}


def yaml_scalar(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    s = str(v)
    if YAML_PLAIN.match(s) and s not in YAML_SPECIAL:
        return s
    if re.match(r"^[0-9][0-9./]*$", s) and "/" in s:  # CIDRs read as strings anyway
        return s
    return json.dumps(s)


def yaml_lines(obj, indent):
    pad = " " * indent
    out = []
    if isinstance(obj, dict):
        for k, v in obj.items():
            key = yaml_scalar(k)
            if isinstance(v, dict) and v:
                out.append("%s%s:" % (pad, key))
                out.extend(yaml_lines(v, indent + 2))
            elif isinstance(v, list) and v:
                out.append("%s%s:" % (pad, key))
                out.extend(yaml_lines(v, indent))
            elif isinstance(v, dict):
                out.append("%s%s: {}" % (pad, key))
            elif isinstance(v, list):
                out.append("%s%s: []" % (pad, key))
            else:
                out.append("%s%s: %s" % (pad, key, yaml_scalar(v)))
    elif isinstance(obj, list):
        for item in obj:
            if isinstance(item, dict) and item:
                sub = yaml_lines(item, indent + 2)
                sub[0] = pad + "- " + sub[0][indent + 2:]
                out.extend(sub)
            elif isinstance(item, dict):
                out.append(pad + "- {}")
            elif isinstance(item, list):
                raise ValueError("nested lists are not used")
            else:
                out.append(pad + "- " + yaml_scalar(item))
    else:
        raise ValueError("not a collection")
    return out


def yaml_stream(docs, header):
    text = "".join("# %s\n" % h if h else "#\n" for h in header)
    for i, d in enumerate(docs):
        if i:
            text += "---\n"
        text += "\n".join(yaml_lines(d, 0)) + "\n"
    return text


def cluster_docs():
    docs = []
    for ns in sorted(NAMESPACES):
        docs.append({
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": ns, "labels": dict(NAMESPACES[ns])},
        })
    for p in PODS:
        docs.append({
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": p.name, "namespace": p.ns, "labels": dict(p.labels)},
            "spec": {
                "nodeName": NODES[p.ns],
                "containers": [{
                    "name": "server",
                    "image": "registry.k8s.io/e2e-test-images/agnhost:2.47",
                    "ports": [
                        {"name": n, "containerPort": num, "protocol": pr}
                        for (n, num, pr) in p.ports
                    ],
                }],
            },
            "status": {
                "phase": "Running",
                "podIP": str(p.ip),
                "podIPs": [{"ip": str(p.ip)}],
            },
        })
    return docs


def truth_table(sc):
    policies = [d for d in sc["docs"] if d.get("kind") == "NetworkPolicy"]
    extra = {
        d["metadata"]["name"]: d["metadata"].get("labels") or {}
        for d in sc["docs"]
        if d.get("kind") == "Namespace"
    }
    names = [p.key for p in PODS]
    heads = ["%s/%d" % (proto, port) for proto in PROTOS for port in PORTS]
    first = max(len(n) for n in names + heads)
    width = max(len(n) for n in names)
    blocks = []
    for proto in PROTOS:
        for port in PORTS:
            head = "%s/%d" % (proto, port)
            lines = [" ".join([head.ljust(first)] + [n.ljust(width) for n in names]).rstrip()]
            for src in PODS:
                cells = [
                    "." if matrix_allowed(src, dst, proto, port, policies, extra) else "X"
                    for dst in PODS
                ]
                lines.append(" ".join([src.key.ljust(first)] + [c.ljust(width) for c in cells]).rstrip())
            blocks.append("\n".join(lines) + "\n")
    return "\n".join(blocks)


def wrap(text, width=92, prefix=""):
    words, lines, cur = text.split(), [], prefix
    for w in words:
        if len(cur) + len(w) + 1 > width and cur.strip():
            lines.append(cur.rstrip())
            cur = prefix + "  "
        cur += w + " "
    if cur.strip():
        lines.append(cur.rstrip())
    return lines


def comment_header(sc):
    lines = ["%s: %s" % (sc["id"], sc["title"])]
    lines += wrap("Tests: " + sc["tests"], 88)
    for d in sc["docs_cited"]:
        lines += wrap("Decided by: " + d, 88)
    if sc.get("hand_checked"):
        lines.append("Hand-checked cell by cell against the documentation.")
    lines.append("Generated by tests/conformance/k8s/oracle.py (reference model of the K8s docs).")
    return lines


def expect_text(sc):
    head = "".join("# %s\n" % l for l in comment_header(sc))
    return head + "\n" + truth_table(sc)


def endpoint_of(s):
    if s in PODS_BY_KEY:
        return PODS_BY_KEY[s]
    if s in PODS_BY_IP:
        return PODS_BY_IP[s]
    return Endpoint(s)


def queries_text(sc):
    policies = [d for d in sc["docs"] if d.get("kind") == "NetworkPolicy"]
    out = []
    for q in sc.get("queries", []):
        frm, to, port = q[0], q[1], q[2]
        proto = q[3] if len(q) > 3 else "TCP"
        src, dst = endpoint_of(frm), endpoint_of(to)
        assert src is not dst, "self-traffic is not queried"
        allowed, eg, ig = connection(src, dst, proto, port, policies, {})
        line = {"from": frm, "to": to, "port": port, "protocol": proto, "expect": allowed}
        if eg[1] is not None:
            line["expect_egress"] = eg[1]
        if ig[1] is not None:
            line["expect_ingress"] = ig[1]
        line["comment"] = "%s -> %s %s/%d: %s" % (
            src.key, dst.key, proto, port, "allowed" if allowed else "denied")
        out.append(json.dumps(line, separators=(",", ":")))
    return "\n".join(out) + "\n" if out else ""


# --------------------------------------------------------------------------------------
# Building blocks for the scenarios.

ABSENT = object()


def ml(**labels):
    """matchLabels selector; keys with dots are passed via a dict."""
    return {"matchLabels": labels}


def mlk(d):
    return {"matchLabels": dict(d)}


def me(*reqs, **labels):
    s = {}
    if labels:
        s["matchLabels"] = labels
    s["matchExpressions"] = [r for r in reqs]
    return s


def req(key, op, *values):
    r = {"key": key, "operator": op}
    if values:
        r["values"] = list(values)
    return r


def pod(sel):
    return {"podSelector": sel}


def nsel(sel):
    return {"namespaceSelector": sel}


def both(ns_sel, pod_sel):
    return {"namespaceSelector": ns_sel, "podSelector": pod_sel}


def ipb(cidr, *exc):
    b = {"cidr": cidr}
    if exc:
        b["except"] = list(exc)
    return {"ipBlock": b}


def port(p=ABSENT, proto=ABSENT, end=ABSENT):
    e = {}
    if proto is not ABSENT:
        e["protocol"] = proto
    if p is not ABSENT:
        e["port"] = p
    if end is not ABSENT:
        e["endPort"] = end
    return e


def rule(peers=ABSENT, ports=ABSENT, key="from"):
    r = {}
    if peers is not ABSENT:
        r[key] = peers
    if ports is not ABSENT:
        r["ports"] = ports
    return r


def egr(peers=ABSENT, ports=ABSENT):
    return rule(peers, ports, key="to")


def np(name, ns, selector, ingress=ABSENT, egress=ABSENT, types=ABSENT, api=V1):
    spec = {"podSelector": selector}
    if types is not ABSENT:
        spec["policyTypes"] = types
    if ingress is not ABSENT:
        spec["ingress"] = ingress
    if egress is not ABSENT:
        spec["egress"] = egress
    return {
        "apiVersion": api,
        "kind": "NetworkPolicy",
        "metadata": {"name": name, "namespace": ns},
        "spec": spec,
    }


ALL = {}  # the empty selector


# The documentation, quoted.  C_ = concepts page "Network Policies"; R_ = API reference.
D_DEFAULT = ('concepts: "By default, a pod is non-isolated for ingress; all inbound connections '
             'are allowed." and "By default, a pod is non-isolated for egress; all outbound '
             'connections are allowed."')
D_ISO_IN = ('concepts: "A pod is isolated for ingress if there is any NetworkPolicy that both '
            'selects the pod and has "Ingress" in its policyTypes" and "When a pod is isolated '
            'for ingress, the only allowed connections into the pod are those from the pod\'s '
            'node and those allowed by the ingress list of some NetworkPolicy that applies to '
            'the pod for ingress."')
D_ISO_EG = ('concepts: "A pod is isolated for egress if there is any NetworkPolicy that both '
            'selects the pod and has "Egress" in its policyTypes" and "When a pod is isolated '
            'for egress, the only allowed connections from the pod are those allowed by the '
            'egress list of some NetworkPolicy that applies to the pod for egress."')
D_EMPTY_INGRESS = ('reference NetworkPolicySpec.ingress: "If this field is empty then this '
                   'NetworkPolicy does not allow any traffic (and serves solely to ensure that '
                   'the pods it selects are isolated by default)"')
D_ADDITIVE = ('concepts: "Network policies do not conflict; they are additive. If any policy or '
              'policies apply to a given pod for a given direction, the connections allowed in '
              'that direction from that pod is the union of what the applicable policies allow."')
D_BOTH = ('concepts: "For a connection from a source pod to a destination pod to be allowed, '
          'both the egress policy on the source pod and the ingress policy on the destination '
          'pod need to allow the connection. If either side does not allow the connection, it '
          'will not happen."')
D_SELF = ('concepts: "Other pods that are allowed (exception: a pod cannot block access to '
          'itself)" -- the diagonal of every table is allowed.')
D_FROM = ('reference NetworkPolicyIngressRule.from: "If this field is empty or missing, this '
          'rule matches all sources (traffic not restricted by source). If this field is present '
          'and contains at least one item, this rule allows traffic only if the traffic matches '
          'at least one item in the from list."')
D_TO = ('reference NetworkPolicyEgressRule.to: "If this field is empty or missing, this rule '
        'matches all destinations (traffic not restricted by destination). If this field is '
        'present and contains at least one item, this rule allows traffic only if the traffic '
        'matches at least one item in the to list."')
D_PORTS = ('reference NetworkPolicyIngressRule.ports: "If this field is empty or missing, this '
           'rule matches all ports (traffic not restricted by port). If this field is present '
           'and contains at least one item, then this rule allows traffic only if the traffic '
           'matches at least one port in the list."')
D_RULES_OR = ('reference NetworkPolicySpec.ingress: "Traffic is allowed to a pod if there are '
              'no NetworkPolicies selecting the pod (and cluster policy otherwise allows the '
              'traffic), OR if the traffic source is the pod\'s local node, OR if the traffic '
              'matches at least one ingress rule across all of the NetworkPolicy objects whose '
              'podSelector matches the pod."')
D_EG_RULES_OR = ('reference NetworkPolicySpec.egress: "Outgoing traffic is allowed if there are '
                 'no NetworkPolicies selecting the pod (and cluster policy otherwise allows the '
                 'traffic), OR if the traffic matches at least one egress rule across all of the '
                 'NetworkPolicy objects whose podSelector matches the pod."')
D_PEER_POD = ('reference NetworkPolicyPeer.podSelector: "If namespaceSelector is also set, then '
              'the NetworkPolicyPeer as a whole selects the pods matching podSelector in the '
              'Namespaces selected by NamespaceSelector. Otherwise it selects the pods matching '
              'podSelector in the policy\'s own namespace."')
D_PEER_NS = ('reference NetworkPolicyPeer.namespaceSelector: "This field follows standard label '
             'selector semantics; if present but empty, it selects all namespaces. If podSelector '
             'is also set, then the NetworkPolicyPeer as a whole selects the pods matching '
             'podSelector in the namespaces selected by namespaceSelector. Otherwise it selects '
             'all pods in the namespaces selected by namespaceSelector."')
D_AND_PEER = ('concepts: "A single to/from entry that specifies both namespaceSelector and '
              'podSelector selects particular Pods within particular namespaces." -- one element '
              'with both selectors is an AND; two elements of the from array are an OR.')
D_IPBLOCK = ('concepts: "ipBlock: This selects particular IP CIDR ranges to allow as ingress '
             'sources or egress destinations."; reference IPBlock.except: "except is a slice of '
             'CIDRs that should not be included within an IPBlock". (The docs leave pod IPs '
             'implementation-defined; here, as in Calico, pod IPs match ipBlock.)')
D_PROTO = ('reference NetworkPolicyPort.protocol: "protocol represents the protocol (TCP, UDP, or '
           'SCTP) which traffic must match. If not specified, this field defaults to TCP."')
D_PORT = ('reference NetworkPolicyPort.port: "port represents the port on the given protocol. '
          'This can either be a numerical or named port on a pod. If this field is not provided, '
          'this matches all port names and numbers. If present, only traffic on the specified '
          'protocol AND port will be matched."')
D_NAMED = ('named ports are ports of the destination pod: "This can either be a numerical or '
           'named port on a pod." With "only traffic on the specified protocol AND port will be '
           'matched", a name resolves to the pod\'s container port of that name and of the '
           'traffic\'s protocol (cluster.yaml: serve-<port>-<proto>).')
D_ENDPORT = ('reference NetworkPolicyPort.endPort: "endPort indicates that the range of ports '
             'from port to endPort if set, inclusive, should be allowed by the policy."')
D_TYPES = ('reference NetworkPolicySpec.policyTypes: "If this field is not specified, it will '
           'default based on the existence of ingress or egress rules; policies that contain an '
           'egress section are assumed to affect egress, and all policies (whether or not they '
           'contain an ingress section) are assumed to affect ingress." (an egress section '
           'means at least one egress rule: egress: [] does not add Egress)')
D_TYPES_EXPLICIT = ('reference NetworkPolicySpec.policyTypes: "List of rule types that the '
                    'NetworkPolicy relates to. Valid options are ["Ingress"], ["Egress"], or '
                    '["Ingress", "Egress"]." -- a direction not listed is not affected, whatever '
                    'rules the policy holds for it.')
D_SPEC_POD = ('reference NetworkPolicySpec.podSelector: "podSelector selects the pods to which '
              'this NetworkPolicy object applies. The array of rules is applied to any pods '
              'selected by this field. An empty selector matches all pods in the policy\'s '
              'namespace." NetworkPolicy is a namespaced object: it selects pods of its own '
              'namespace only.')
D_METANAME = ('concepts, Targeting a Namespace by its name: "The Kubernetes control plane sets an '
              'immutable label kubernetes.io/metadata.name on all namespaces, the value of the '
              'label is the namespace name." (cluster.yaml does not write it)')
D_IN = ('labels concepts, set-based requirements: "environment in (production, qa) selects all '
        'resources with key equal to environment and value equal to production or qa."')
D_NOTIN = ('labels concepts: "tier notin (frontend, backend) selects all resources with key equal '
           'to tier and values other than frontend and backend, and all resources with no labels '
           'with the tier key."')
D_EXISTS = ('labels concepts: "partition selects all resources including a label with key '
            'partition; no values are checked." (operator Exists)')
D_DNE = ('labels concepts: "!partition selects all resources without a label with key '
         'partition; no values are checked." (operator DoesNotExist)')
D_ANDED = ('reference LabelSelector: "matchLabels is a map of {key,value} pairs. A single '
           '{key,value} in the matchLabels map is equivalent to an element of matchExpressions, '
           'whose key field is "key", the operator is "In", and the values array contains only '
           '"value". The requirements are ANDed."')
D_V1BETA1 = ('extensions/v1beta1 NetworkPolicy has the schema and semantics of '
             'networking.k8s.io/v1 (deprecated API migration guide: "Migrate manifests and API '
             'clients to use the networking.k8s.io/v1 API version").')

SCENARIOS = []


def scenario(num, name, title, tests, docs_cited, docs, queries=(), hand_checked=False):
    SCENARIOS.append({
        "num": num,
        "id": "%03d-%s" % (num, name),
        "title": title,
        "tests": tests,
        "docs_cited": docs_cited,
        "docs": docs,
        "queries": list(queries),
        "hand_checked": hand_checked,
    })


# --------------------------------------------------------------------------------------
# The scenarios.  Pods: x/a x/b x/c y/a ... z/c; namespaces x (env=prod), y (env=dev), z;
# pods a (tier=front), b (tier=back), c (no tier).

scenario(1, "no-policy", "no NetworkPolicy at all",
         "with no policy every pod is non-isolated in both directions: everything is allowed. "
         "The scenario file is an empty v1 List.",
         [D_DEFAULT],
         [{"apiVersion": "v1", "kind": "List", "items": []}],
         queries=[("x/a", "y/b", 80), ("z/c", "x/a", 81, "UDP")],
         hand_checked=True)

scenario(2, "deny-all-ingress-x", "default-deny ingress in namespace x (policyTypes absent)",
         "podSelector {} with no ingress section and no policyTypes: Ingress by default, so every "
         "pod of x is isolated for ingress and nothing may enter x; x may still send anywhere.",
         [D_TYPES, D_EMPTY_INGRESS, D_ISO_IN, D_SELF],
         [np("default-deny-ingress", "x", ALL)],
         queries=[("y/a", "x/a", 80), ("x/a", "y/a", 80), ("x/b", "x/c", 81, "SCTP")],
         hand_checked=True)

scenario(3, "deny-all-ingress-explicit-y", "default-deny ingress in y with policyTypes [Ingress]",
         "explicit policyTypes [Ingress] and no rules isolates every pod of y for ingress.",
         [D_ISO_IN, D_EMPTY_INGRESS],
         [np("deny-ingress", "y", ALL, types=["Ingress"])])

scenario(4, "deny-all-egress-x", "default-deny egress in namespace x",
         "policyTypes [Egress] without egress rules: pods of x may send nowhere (except to "
         "themselves); ingress into x is untouched.",
         [D_ISO_EG, D_BOTH, D_SELF],
         [np("default-deny-egress", "x", ALL, types=["Egress"])],
         queries=[("x/a", "y/a", 80), ("y/a", "x/a", 80)],
         hand_checked=True)

scenario(5, "deny-all-both-x", "default-deny ingress and egress in namespace x",
         "policyTypes [Ingress, Egress] without rules: x is cut off in both directions, y and z "
         "talk freely among themselves.",
         [D_ISO_IN, D_ISO_EG, D_SELF],
         [np("default-deny-all", "x", ALL, types=["Ingress", "Egress"])],
         hand_checked=True)

scenario(6, "allow-all-ingress-empty-rule", "one policy with ingress: [{}] selecting all of x",
         "a single empty rule has neither from nor ports, so it matches every source on every "
         "port and protocol; the pods are isolated but everything is allowed.",
         [D_FROM, D_PORTS],
         [np("allow-all-ingress", "x", ALL, ingress=[{}])],
         queries=[("z/c", "x/b", 81, "SCTP")])

scenario(7, "allow-all-over-deny-all", "deny-all ingress plus allow-all ingress in x",
         "policies are additive: the allow-all policy's union with the deny-all policy allows "
         "everything.",
         [D_ADDITIVE, D_FROM],
         [np("deny-all", "x", ALL), np("allow-all", "x", ALL, ingress=[rule()])])

scenario(8, "allow-all-egress-empty-rule", "policyTypes [Egress] with egress: [{}] in y",
         "an empty egress rule matches all destinations and ports: nothing is denied.",
         [D_TO, D_PORTS],
         [np("allow-all-egress", "y", ALL, egress=[{}], types=["Egress"])])

scenario(9, "allow-same-namespace", "pods of x accept only pods of x",
         "from: [podSelector: {}] selects all pods in the policy's own namespace.",
         [D_PEER_POD, D_ISO_IN],
         [np("allow-same-namespace", "x", ALL, ingress=[rule([pod(ALL)])])],
         queries=[("x/b", "x/a", 80), ("y/b", "x/a", 80)],
         hand_checked=True)

scenario(10, "from-pod-selector", "x/a accepts only pod b of its own namespace",
         "a podSelector-only peer is confined to the policy's namespace: x/b may connect to x/a, "
         "y/b and z/b (same labels, other namespaces) may not.",
         [D_PEER_POD],
         [np("allow-from-b", "x", ml(pod="a"), ingress=[rule([pod(ml(pod="b"))])])],
         queries=[("x/b", "x/a", 80), ("y/b", "x/a", 80), ("x/c", "x/b", 80)],
         hand_checked=True)

scenario(11, "from-namespace-selector", "x/a accepts all pods of namespace y",
         "a namespaceSelector-only peer selects every pod in the matching namespaces.",
         [D_PEER_NS],
         [np("allow-from-y", "x", ml(pod="a"), ingress=[rule([nsel(ml(ns="y"))])])])

scenario(12, "pod-and-ns-selector-one-peer", "one peer with namespaceSelector ns=y AND podSelector pod=b",
         "both selectors in ONE from element are ANDed: only y/b may reach x/a.",
         [D_AND_PEER, D_PEER_POD, D_PEER_NS],
         [np("allow-y-b", "x", ml(pod="a"),
             ingress=[rule([both(ml(ns="y"), ml(pod="b"))])])],
         queries=[("y/b", "x/a", 80), ("y/a", "x/a", 80), ("x/b", "x/a", 80)],
         hand_checked=True)

scenario(13, "pod-and-ns-selector-two-peers", "the same two selectors as two separate peers",
         "two from elements are ORed: every pod of y, and pod b of x (the podSelector-only peer "
         "means the policy's own namespace), may reach x/a.",
         [D_AND_PEER, D_PEER_POD, D_PEER_NS, D_FROM],
         [np("allow-y-or-b", "x", ml(pod="a"),
             ingress=[rule([nsel(ml(ns="y")), pod(ml(pod="b"))])])],
         hand_checked=True)

scenario(14, "pod-selector-in-all-namespaces", "namespaceSelector {} with podSelector pod=c",
         "an empty namespaceSelector selects all namespaces, so pod c of every namespace may "
         "reach the pods of y.",
         [D_PEER_NS, D_AND_PEER],
         [np("allow-c-anywhere", "y", ALL, ingress=[rule([both(ALL, ml(pod="c"))])])])

scenario(15, "namespace-selector-empty-with-port", "from namespaceSelector {} on TCP/80 only, into z/b",
         "namespaceSelector {} alone selects every pod in every namespace; the ports list still "
         "restricts the rule to TCP port 80.",
         [D_PEER_NS, D_PORTS],
         [np("all-pods-tcp-80", "z", ml(pod="b"),
             ingress=[rule([nsel(ALL)], [port(80, "TCP")])])])

scenario(16, "pod-selector-empty-peer-z", "pods a and c of z accept pods of z only",
         "podSelector {} as a peer means all pods of the policy's own namespace (z), nothing "
         "else; z/b is not selected by the policy and stays open.",
         [D_PEER_POD, D_SPEC_POD],
         [np("z-local", "z", me(req("pod", "In", "a", "c")), ingress=[rule([pod(ALL)])])])

scenario(17, "match-expressions-in", "x/a accepts pods whose label pod is In [b, c]",
         "matchExpressions In over the pod label: x/b and x/c may reach x/a.",
         [D_IN, D_PEER_POD],
         [np("in-b-c", "x", ml(pod="a"),
             ingress=[rule([pod(me(req("pod", "In", "b", "c")))])])])

scenario(18, "match-expressions-notin-absent-key", "pods with tier NotIn [front], in any namespace",
         "NotIn also matches pods that lack the key: pods b (tier=back) and c (no tier label) of "
         "every namespace may reach x/a; pods a (tier=front) may not.",
         [D_NOTIN, D_PEER_NS],
         [np("not-front", "x", ml(pod="a"),
             ingress=[rule([both(ALL, me(req("tier", "NotIn", "front")))])])],
         hand_checked=True)

scenario(19, "match-expressions-exists", "from namespaces that have an env label",
         "Exists on a namespace label: x (env=prod) and y (env=dev) have it, z does not; into "
         "all pods of z.",
         [D_EXISTS, D_PEER_NS],
         [np("from-env", "z", ALL, ingress=[rule([nsel(me(req("env", "Exists")))])])])

scenario(20, "match-expressions-does-not-exist", "from namespaces without an env label",
         "DoesNotExist on a namespace label: only z qualifies; into all pods of x.",
         [D_DNE, D_PEER_NS],
         [np("from-no-env", "x", ALL, ingress=[rule([nsel(me(req("env", "DoesNotExist")))])])])

scenario(21, "ns-notin-absent-key", "from namespaces with env NotIn [prod]",
         "NotIn on a namespace label: y (env=dev) and z (no env) qualify, x (env=prod) does not; "
         "into y/c.",
         [D_NOTIN, D_PEER_NS],
         [np("not-prod", "y", ml(pod="c"),
             ingress=[rule([nsel(me(req("env", "NotIn", "prod")))])])])

scenario(22, "metadata-name-label", "namespaceSelector on kubernetes.io/metadata.name: z",
         "the automatic namespace name label selects namespace z although cluster.yaml never "
         "writes that label; into all pods of y.",
         [D_METANAME, D_PEER_NS],
         [np("from-z-by-name", "y", ALL,
             ingress=[rule([nsel(mlk({"kubernetes.io/metadata.name": "z"}))])])],
         queries=[("z/a", "y/b", 80), ("x/a", "y/b", 80)])

scenario(23, "metadata-name-in", "kubernetes.io/metadata.name In [x, z] with podSelector pod=a",
         "matchExpressions over the automatic name label, ANDed with a podSelector in the same "
         "peer: x/a and z/a may reach z/c.",
         [D_METANAME, D_IN, D_AND_PEER],
         [np("from-a-in-x-z", "z", ml(pod="c"),
             ingress=[rule([both(me(req("kubernetes.io/metadata.name", "In", "x", "z")),
                                 ml(pod="a"))])])])

scenario(24, "matchlabels-and-expressions", "matchLabels and matchExpressions in one selector",
         "namespaceSelector {matchLabels env=dev, matchExpressions ns In [x, y]}: the two are "
         "ANDed, so only y matches; into x/b.",
         [D_ANDED, D_PEER_NS],
         [np("dev-and-xy", "x", ml(pod="b"),
             ingress=[rule([nsel(me(req("ns", "In", "x", "y"), env="dev"))])])])

scenario(25, "ipblock-ingress", "ipBlock 10.244.1.0/24 into x/a",
         "an ipBlock peer matching the pod subnet of y admits exactly the pods of y.",
         [D_IPBLOCK],
         [np("from-y-subnet", "x", ml(pod="a"), ingress=[rule([ipb("10.244.1.0/24")])])])

scenario(26, "ipblock-except-ingress", "ipBlock 10.244.1.0/24 except 10.244.1.11/32 into x/a",
         "except carves y/b (10.244.1.11) out of the block: y/a and y/c may reach x/a, y/b may "
         "not.  The queries also try addresses that are not pods.",
         [D_IPBLOCK],
         [np("from-y-subnet-but-b", "x", ml(pod="a"),
             ingress=[rule([ipb("10.244.1.0/24", "10.244.1.11/32")])])],
         queries=[("10.244.1.10", "x/a", 80), ("10.244.1.11", "x/a", 80),
                  ("10.244.1.200", "x/a", 81), ("192.0.2.1", "x/a", 80), ("y/c", "x/a", 81, "UDP")],
         hand_checked=True)

scenario(27, "ipblock-egress", "pods of x may send only to 10.244.2.0/24",
         "an egress ipBlock peer: x reaches z only; y and z are not isolated.",
         [D_IPBLOCK, D_ISO_EG],
         [np("to-z-subnet", "x", ALL, egress=[egr([ipb("10.244.2.0/24")])], types=["Egress"])],
         queries=[("x/a", "z/c", 80), ("x/a", "y/a", 80), ("x/a", "10.244.2.99", 80),
                  ("x/a", "198.51.100.7", 80)])

scenario(28, "ipblock-except-egress", "egress of y/a to 10.244.0.0/16 except 10.244.1.0/24 and 10.244.2.12/32",
         "two except entries: y/a may reach x and z/a, z/b, but not y and not z/c.  policyTypes "
         "is absent: the non-empty egress section adds Egress, and Ingress with no ingress rules "
         "denies all ingress to y/a.",
         [D_IPBLOCK, D_TYPES, D_EMPTY_INGRESS],
         [np("y-a-egress", "y", ml(pod="a"),
             egress=[egr([ipb("10.244.0.0/16", "10.244.1.0/24", "10.244.2.12/32")])])],
         queries=[("y/a", "x/c", 80), ("y/a", "z/c", 80), ("y/a", "10.244.5.5", 80),
                  ("y/a", "203.0.113.9", 80), ("x/a", "y/a", 80)])

scenario(29, "ipblock-single-host", "x/c accepts only 10.244.0.11/32 (x/b)",
         "a /32 ipBlock is one pod.",
         [D_IPBLOCK],
         [np("from-x-b-ip", "x", ml(pod="c"), ingress=[rule([ipb("10.244.0.11/32")])])])

scenario(30, "ipblock-world-except-x", "z/b accepts 0.0.0.0/0 except 10.244.0.0/24",
         "everything but the subnet of x may reach z/b.",
         [D_IPBLOCK],
         [np("all-but-x", "z", ml(pod="b"),
             ingress=[rule([ipb("0.0.0.0/0", "10.244.0.0/24")])])],
         queries=[("198.51.100.1", "z/b", 80), ("10.244.0.10", "z/b", 80)])

scenario(31, "port-numeric", "x accepts TCP/80 from anyone",
         "port 80 without protocol defaults to TCP: only TCP/80 is allowed into x, UDP/80 and "
         "SCTP/80 are not.",
         [D_PROTO, D_PORT, D_FROM],
         [np("tcp-80", "x", ALL, ingress=[rule(ports=[port(80)])])],
         hand_checked=True)

scenario(32, "port-udp", "y accepts UDP/81 only",
         "protocol UDP and port 81: one block of the table is open for y.",
         [D_PROTO, D_PORT],
         [np("udp-81", "y", ALL, ingress=[rule(ports=[port(81, "UDP")])])])

scenario(33, "port-sctp", "z/a accepts SCTP/80 only",
         "SCTP is matched like TCP and UDP.",
         [D_PROTO, D_PORT],
         [np("sctp-80", "z", ml(pod="a"), ingress=[rule(ports=[port(80, "SCTP")])])])

scenario(34, "port-protocol-only", "x/b accepts every UDP port",
         "a port entry with only protocol UDP matches all UDP ports, no TCP or SCTP.",
         [D_PORT, D_PROTO],
         [np("any-udp", "x", ml(pod="b"), ingress=[rule(ports=[port(proto="UDP")])])])

scenario(35, "named-port-tcp", "x accepts the named port serve-80-tcp",
         "port: serve-80-tcp (protocol defaults to TCP) resolves to TCP 80 on the destination.",
         [D_NAMED, D_PROTO],
         [np("named-80", "x", ALL, ingress=[rule(ports=[port("serve-80-tcp")])])])

scenario(36, "named-port-udp-name-with-tcp", "a UDP port name under the default TCP protocol",
         "port: serve-81-udp with no protocol means TCP; the pods have no TCP port of that name, "
         "so the rule matches nothing and y/a accepts nothing (not even UDP/81).",
         [D_NAMED, D_PROTO, D_ISO_IN],
         [np("udp-name-as-tcp", "y", ml(pod="a"), ingress=[rule(ports=[port("serve-81-udp")])])],
         queries=[("x/a", "y/a", 81, "UDP"), ("x/a", "y/a", 81, "TCP")],
         hand_checked=True)

scenario(37, "named-port-udp", "the UDP port name with protocol UDP",
         "protocol UDP, port serve-81-udp: UDP/81 only into y/a.",
         [D_NAMED, D_PROTO],
         [np("udp-name", "y", ml(pod="a"),
             ingress=[rule(ports=[port("serve-81-udp", "UDP")])])],
         hand_checked=True)

scenario(38, "named-port-tcp-name-with-udp", "a TCP port name under protocol UDP",
         "protocol UDP, port serve-80-tcp: no UDP port has that name; together with a second "
         "entry SCTP serve-80-sctp only SCTP/80 is allowed into z.",
         [D_NAMED, D_PORTS],
         [np("mixed-names", "z", ALL,
             ingress=[rule(ports=[port("serve-80-tcp", "UDP"), port("serve-80-sctp", "SCTP")])])])

scenario(39, "endport-80-81", "TCP port 80 with endPort 81 into x/c",
         "the range 80-81 inclusive covers both ports of TCP.",
         [D_ENDPORT, D_PROTO],
         [np("tcp-80-81", "x", ml(pod="c"), ingress=[rule(ports=[port(80, end=81)])])])

scenario(40, "endport-81-81", "UDP port 81 with endPort 81 into y",
         "a one-port range 81-81 allows UDP/81 and not UDP/80.",
         [D_ENDPORT],
         [np("udp-81-81", "y", ALL, ingress=[rule(ports=[port(81, "UDP", 81)])])])

scenario(41, "endport-wide-range", "TCP 1-80 and SCTP 81-65535 into z/c",
         "ranges that reach past the tested ports: TCP/80 and SCTP/81 are inside, TCP/81 and "
         "SCTP/80 are outside.",
         [D_ENDPORT, D_PORTS],
         [np("ranges", "z", ml(pod="c"),
             ingress=[rule(ports=[port(1, "TCP", 80), port(81, "SCTP", 65535)])])])

scenario(42, "multiple-ports-or", "ports [TCP 80, UDP 81] into x/a",
         "entries of one ports list are ORed.",
         [D_PORTS],
         [np("two-ports", "x", ml(pod="a"), ingress=[rule(ports=[port(80), port(81, "UDP")])])])

scenario(43, "multiple-policies-or", "two policies select x/a, one admits y, one admits x/b",
         "the union of the two policies: y/* and x/b may reach x/a.",
         [D_ADDITIVE],
         [np("from-y", "x", ml(pod="a"), ingress=[rule([nsel(ml(ns="y"))])]),
          np("from-b", "x", ml(pod="a"), ingress=[rule([pod(ml(pod="b"))])])],
         queries=[("y/c", "x/a", 80), ("x/b", "x/a", 80), ("z/b", "x/a", 80)])

scenario(44, "multiple-rules-or", "one policy, two rules: from z on any port, or anyone on TCP/81",
         "rules of one policy are ORed: z reaches y/b on everything, x and y on TCP/81 only.",
         [D_RULES_OR, D_PORTS],
         [np("two-rules", "y", ml(pod="b"),
             ingress=[rule([nsel(ml(ns="z"))]), rule(ports=[port(81)])])])

scenario(45, "rule-from-and-ports", "one rule with from pod=b and ports TCP/80",
         "from and ports of the same rule are ANDed: only x/b on TCP/80 may reach x/a and x/c.",
         [D_FROM, D_PORTS],
         [np("b-on-80", "x", me(req("pod", "NotIn", "b")),
             ingress=[rule([pod(ml(pod="b"))], [port(80, "TCP")])])],
         hand_checked=True)

scenario(46, "egress-to-namespace", "pods of x may send only to namespace y",
         "egress namespaceSelector: x reaches y, not z and not x itself.",
         [D_PEER_NS, D_ISO_EG],
         [np("to-y", "x", ALL, egress=[egr([nsel(ml(ns="y"))])], types=["Egress"])])

scenario(47, "egress-deny-all-plus-pod", "deny-all egress in x plus x/a -> y/b allowed",
         "a deny-all egress policy and a second policy letting x/a send to pod b of namespace y "
         "(both selectors in one peer).",
         [D_ADDITIVE, D_ISO_EG, D_AND_PEER],
         [np("deny-egress", "x", ALL, types=["Egress"]),
          np("a-to-y-b", "x", ml(pod="a"), egress=[egr([both(ml(ns="y"), ml(pod="b"))])],
             types=["Egress"])],
         queries=[("x/a", "y/b", 80), ("x/a", "y/c", 80), ("x/b", "y/b", 80)])

scenario(48, "types-both-only-ingress-rules", "policyTypes [Ingress, Egress] with only ingress rules",
         "Egress is listed but there are no egress rules, so the pods of z send nothing; their "
         "ingress admits namespace y.",
         [D_TYPES_EXPLICIT, D_ISO_EG, D_ISO_IN],
         [np("z-in-from-y", "z", ALL, ingress=[rule([nsel(ml(ns="y"))])],
             types=["Ingress", "Egress"])],
         hand_checked=True)

scenario(49, "types-egress-ignores-ingress", "policyTypes [Egress] with ingress rules present",
         "the ingress rules are ignored and x/a is not isolated for ingress; its egress is TCP/80 "
         "only.",
         [D_TYPES_EXPLICIT, D_ISO_EG],
         [np("egress-only", "x", ml(pod="a"), ingress=[rule([pod(ml(pod="b"))])],
             egress=[egr(ports=[port(80)])], types=["Egress"])],
         queries=[("z/a", "x/a", 81), ("x/a", "z/a", 81), ("x/a", "z/a", 80)],
         hand_checked=True)

scenario(50, "types-absent-empty-egress", "policyTypes absent with egress: []",
         "an empty egress list does not add Egress: y/c is isolated for ingress (from x only) and "
         "not for egress.",
         [D_TYPES],
         [np("empty-egress", "y", ml(pod="c"), ingress=[rule([nsel(ml(ns="x"))])], egress=[])],
         queries=[("y/c", "z/a", 80), ("z/a", "y/c", 80)],
         hand_checked=True)

scenario(51, "types-absent-with-egress", "policyTypes absent, egress rule and ingress rule",
         "the egress section adds Egress: y/b sends only to z and accepts only from z.",
         [D_TYPES],
         [np("ingress-and-egress", "y", ml(pod="b"), ingress=[rule([nsel(ml(ns="z"))])],
             egress=[egr([nsel(ml(ns="z"))])])])

scenario(52, "types-absent-egress-only-rules", "policyTypes absent, only egress rules",
         "Ingress is always implied: z/a accepts nothing, and sends only to pods a.",
         [D_TYPES, D_EMPTY_INGRESS],
         [np("egress-rules-only", "z", ml(pod="a"), egress=[egr([both(ALL, ml(pod="a"))])])])

scenario(53, "target-match-expressions", "policy podSelector with matchExpressions pod In [a, b]",
         "deny-all ingress for the pods of z with pod in (a, b); z/c stays open.",
         [D_SPEC_POD, D_IN],
         [np("deny-a-b", "z", me(req("pod", "In", "a", "b")), types=["Ingress"])])

scenario(54, "target-notin-absent-key", "policy podSelector tier NotIn [back]",
         "selects y/a (tier=front) and y/c (no tier): both deny all ingress; y/b stays open.",
         [D_SPEC_POD, D_NOTIN],
         [np("deny-not-back", "y", me(req("tier", "NotIn", "back")))])

scenario(55, "target-does-not-exist", "policy podSelector tier DoesNotExist, egress deny",
         "only pods without a tier label (c) in x are isolated for egress.",
         [D_SPEC_POD, D_DNE, D_ISO_EG],
         [np("deny-egress-untiered", "x", me(req("tier", "DoesNotExist")), types=["Egress"])])

scenario(56, "policy-namespace-scoped", "a policy in z selecting pod=a",
         "a NetworkPolicy selects pods of its own namespace only: z/a is isolated, x/a and y/a "
         "are not.",
         [D_SPEC_POD],
         [np("deny-a", "z", ml(pod="a"), types=["Ingress", "Egress"])])

scenario(57, "policy-selects-nothing", "a policy whose podSelector matches no pod",
         "podSelector pod=d selects nothing, so the deny-all has no effect.",
         [D_SPEC_POD, D_DEFAULT],
         [np("deny-d", "x", ml(pod="d"), types=["Ingress", "Egress"])])

scenario(58, "policy-in-empty-namespace", "deny-all in a namespace without pods",
         "namespace w (declared in the scenario) has no pods; its deny-all policies select "
         "nothing that exists.",
         [D_SPEC_POD, D_DEFAULT],
         [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "w", "labels": {"ns": "w"}}},
          np("deny-all", "w", ALL, types=["Ingress", "Egress"])])

scenario(59, "ingress-x-egress-y", "ingress policy in x (from y) and egress policy in y (to z)",
         "both sides must allow: y -> x is allowed by x's ingress but denied by y's egress, so "
         "x accepts nobody; y sends only to z.",
         [D_BOTH, D_ISO_IN, D_ISO_EG],
         [np("x-from-y", "x", ALL, ingress=[rule([nsel(ml(ns="y"))])]),
          np("y-to-z", "y", ALL, egress=[egr([nsel(ml(ns="z"))])], types=["Egress"])],
         queries=[("y/a", "x/a", 80), ("y/a", "z/a", 80), ("z/a", "x/a", 80)],
         hand_checked=True)

scenario(60, "self-traffic-all-isolated", "deny-all ingress and egress in every namespace",
         "only the diagonal (a pod to itself) remains allowed.",
         [D_SELF, D_ISO_IN, D_ISO_EG],
         [np("deny-all", ns, ALL, types=["Ingress", "Egress"]) for ns in ("x", "y", "z")],
         hand_checked=True)

scenario(61, "extensions-v1beta1-ingress", "extensions/v1beta1: y accepts pods a from anywhere",
         "the deprecated API group reads like networking.k8s.io/v1.",
         [D_V1BETA1, D_AND_PEER],
         [np("from-a", "y", ALL, ingress=[rule([both(ALL, ml(pod="a"))])], api=V1BETA1)])

scenario(62, "extensions-v1beta1-ipblock-ports", "extensions/v1beta1: ipBlock and ports",
         "x/b accepts 10.244.2.0/24 except 10.244.2.10/32 on UDP/80 only.",
         [D_V1BETA1, D_IPBLOCK, D_PORTS],
         [np("z-but-a-udp", "x", ml(pod="b"),
             ingress=[rule([ipb("10.244.2.0/24", "10.244.2.10/32")], [port(80, "UDP")])],
             api=V1BETA1)])

scenario(63, "extensions-v1beta1-egress", "extensions/v1beta1: egress-only policy",
         "policyTypes [Egress]: z/c may send only to namespace x on TCP.",
         [D_V1BETA1, D_TYPES_EXPLICIT, D_ISO_EG],
         [np("z-c-to-x", "z", ml(pod="c"),
             egress=[egr([nsel(ml(ns="x"))], [port(proto="TCP")])], types=["Egress"],
             api=V1BETA1)])

scenario(64, "egress-named-port", "egress of x to namespace z on named port serve-81-tcp",
         "a named port in an egress rule resolves on the destination pod: TCP/81 to z only.",
         [D_NAMED, D_ISO_EG],
         [np("to-z-81", "x", ALL, egress=[egr([nsel(ml(ns="z"))], [port("serve-81-tcp")])],
             types=["Egress"])])

scenario(65, "egress-protocol-only", "egress of y/a: every SCTP port, anywhere",
         "a protocol-only port entry in an egress rule without to.",
         [D_PORT, D_TO],
         [np("sctp-out", "y", ml(pod="a"), egress=[egr(ports=[port(proto="SCTP")])],
             types=["Egress"])])

scenario(66, "egress-udp-80-everywhere", "egress of all pods of z: UDP/80 only",
         "egress rule with ports and no to: all destinations on UDP/80.",
         [D_TO, D_PORTS],
         [np("udp-80-out", "z", ALL, egress=[egr(ports=[port(80, "UDP")])], types=["Egress"])])

scenario(67, "ingress-and-egress-one-policy", "x/b: ingress from x/a, egress to x/c",
         "one policy with both directions (policyTypes absent, egress rule present).",
         [D_TYPES, D_PEER_POD, D_BOTH],
         [np("b-both", "x", ml(pod="b"), ingress=[rule([pod(ml(pod="a"))])],
             egress=[egr([pod(ml(pod="c"))])])])

scenario(68, "egress-pod-selector-own-namespace", "x/a may send to pod c of x only",
         "a podSelector-only egress peer is confined to the policy's namespace: x/c yes, y/c and "
         "z/c no.",
         [D_PEER_POD, D_ISO_EG],
         [np("a-to-c", "x", ml(pod="a"), egress=[egr([pod(ml(pod="c"))])], types=["Egress"])])

scenario(69, "empty-from-list-with-port", "from: [] with ports TCP/81 into z",
         "an explicitly empty from list matches all sources; the ports list restricts to TCP/81.",
         [D_FROM, D_PORTS],
         [np("empty-from", "z", ALL, ingress=[rule([], [port(81, "TCP")])])])

scenario(70, "empty-ports-list", "from namespace z with ports: [] into y/a",
         "an explicitly empty ports list matches all ports and protocols.",
         [D_PORTS],
         [np("empty-ports", "y", ml(pod="a"), ingress=[rule([nsel(ml(ns="z"))], [])])])

scenario(71, "deny-ingress-everywhere", "default-deny ingress in all three namespaces",
         "no connection between distinct pods is allowed; the diagonal stays open.",
         [D_ISO_IN, D_SELF],
         [np("deny-ingress", ns, ALL) for ns in ("x", "y", "z")])

scenario(72, "ns-and-pod-notin", "into y/b from {ns In [x, z]} AND {pod NotIn [a]}",
         "namespace and pod matchExpressions in one peer: x/b, x/c, z/b, z/c.",
         [D_AND_PEER, D_IN, D_NOTIN],
         [np("from-xz-not-a", "y", ml(pod="b"),
             ingress=[rule([both(me(req("ns", "In", "x", "z")),
                                 me(req("pod", "NotIn", "a")))])])])

scenario(73, "ipblock-and-selector-peers", "from [ipBlock 10.244.2.0/24 except z/c, podSelector pod=a]",
         "peers of different kinds are ORed: z/a, z/b (by address) and x/a (by label) may reach "
         "x/b.",
         [D_FROM, D_IPBLOCK, D_PEER_POD],
         [np("mixed-peers", "x", ml(pod="b"),
             ingress=[rule([ipb("10.244.2.0/24", "10.244.2.12/32"), pod(ml(pod="a"))])])])

scenario(74, "egress-ipblock-endport", "egress of x/a to 10.244.1.10/32 on UDP 80-81",
         "egress ipBlock with an endPort range: x/a reaches only y/a and only over UDP.",
         [D_IPBLOCK, D_ENDPORT, D_ISO_EG],
         [np("a-to-y-a-udp", "x", ml(pod="a"),
             egress=[egr([ipb("10.244.1.10/32")], [port(80, "UDP", 81)])], types=["Egress"])])

scenario(75, "split-ingress-egress-policies", "an Ingress-only and an Egress-only policy on z/b",
         "z/b accepts only namespace x and sends only to namespace y.",
         [D_ADDITIVE, D_TYPES_EXPLICIT],
         [np("z-b-in", "z", ml(pod="b"), ingress=[rule([nsel(ml(ns="x"))])], types=["Ingress"]),
          np("z-b-out", "z", ml(pod="b"), egress=[egr([nsel(ml(ns="y"))])], types=["Egress"])])

scenario(76, "overlapping-policies", "x/a gets the union of a pod=a policy and a podSelector {} policy",
         "policy A (pod=a) admits namespace y; policy B (all of x) admits x/c: x/a accepts y and "
         "x/c, x/b and x/c accept x/c only.",
         [D_ADDITIVE, D_SPEC_POD],
         [np("a-from-y", "x", ml(pod="a"), ingress=[rule([nsel(ml(ns="y"))])]),
          np("all-from-c", "x", ALL, ingress=[rule([pod(ml(pod="c"))])])])

scenario(77, "ports-or-across-policies", "x/a: TCP/80 from anyone OR UDP/81 from z",
         "each policy contributes its own (peer, port) pairs; they are not crossed.",
         [D_ADDITIVE, D_PORTS],
         [np("tcp-80", "x", ml(pod="a"), ingress=[rule(ports=[port(80)])]),
          np("udp-81-from-z", "x", ml(pod="a"),
             ingress=[rule([nsel(ml(ns="z"))], [port(81, "UDP")])])])

scenario(78, "endport-sctp", "SCTP 80-81 into y/c from namespace x",
         "endPort with SCTP.",
         [D_ENDPORT, D_PROTO],
         [np("sctp-range", "y", ml(pod="c"),
             ingress=[rule([nsel(ml(ns="x"))], [port(80, "SCTP", 81)])])])

scenario(79, "egress-ns-and-pod-one-peer", "egress of z to {ns=x AND pod=c}",
         "egress peer with both selectors: z reaches x/c only.",
         [D_AND_PEER, D_ISO_EG],
         [np("to-x-c", "z", ALL, egress=[egr([both(ml(ns="x"), ml(pod="c"))])],
             types=["Egress"])])

scenario(80, "egress-ns-and-pod-two-peers", "egress of z to {ns=x} OR {pod=c}",
         "two egress peers: z reaches all of x, and pod c of z itself.",
         [D_AND_PEER, D_PEER_POD, D_TO],
         [np("to-x-or-c", "z", ALL, egress=[egr([nsel(ml(ns="x")), pod(ml(pod="c"))])],
             types=["Egress"])])

scenario(81, "pod-notin-two-values", "into x/a from pods with pod NotIn [a, b] in any namespace",
         "NotIn with two values: pods c only.",
         [D_NOTIN],
         [np("only-c", "x", ml(pod="a"),
             ingress=[rule([both(ALL, me(req("pod", "NotIn", "a", "b")))])])])

scenario(82, "peer-matches-nothing", "namespaceSelector {ns=y, env=prod} matches no namespace",
         "matchLabels pairs are ANDed; no namespace has both, so z/a is isolated with no "
         "allowed source.",
         [D_ANDED, D_ISO_IN],
         [np("nobody", "z", ml(pod="a"), ingress=[rule([nsel(ml(ns="y", env="prod"))])])])

scenario(83, "egress-deny-x-ingress-allow-x", "x denies all egress, y allows ingress from x",
         "y's ingress rule cannot help when the source's egress denies: x reaches nothing.",
         [D_BOTH],
         [np("deny-egress", "x", ALL, types=["Egress"]),
          np("from-x", "y", ALL, ingress=[rule([nsel(ml(ns="x"))])])])

scenario(84, "same-rule-two-port-kinds", "into z/b: named serve-81-udp (UDP) and numeric TCP 80",
         "a named and a numeric port in one list.",
         [D_NAMED, D_PORTS],
         [np("named-and-numeric", "z", ml(pod="b"),
             ingress=[rule(ports=[port("serve-81-udp", "UDP"), port(80, "TCP")])])])


# --------------------------------------------------------------------------------------

def scenario_yaml(sc):
    header = ["%s: %s" % (sc["id"], sc["title"])]
    header += wrap(sc["tests"], 88)
    header.append("The truth table is %s.expect (made by oracle.py)." % sc["id"])
    return yaml_stream(sc["docs"], header)


def cluster_yaml():
    header = [
        "The cluster of the Kubernetes NetworkPolicy conformance suite: namespaces x, y, z and",
        "pods a, b, c in each, every pod serving ports 80 and 81 on TCP, UDP and SCTP under the",
        "names serve-<port>-<proto>.  Extra labels: env on namespaces x (prod) and y (dev);",
        "tier on pods a (front) and b (back).  kubernetes.io/metadata.name is deliberately not",
        "written: the control plane sets it on every namespace.  Generated by oracle.py.",
    ]
    return yaml_stream(cluster_docs(), header)


def all_files():
    files = {"cluster.yaml": cluster_yaml()}
    seen = set()
    for sc in SCENARIOS:
        assert sc["num"] not in seen, sc["id"]
        seen.add(sc["num"])
        files[sc["id"] + ".yaml"] = scenario_yaml(sc)
        files[sc["id"] + ".expect"] = expect_text(sc)
        q = queries_text(sc)
        if q:
            files[sc["id"] + ".queries"] = q
    return files


def main(argv):
    files = all_files()
    if len(argv) > 1 and argv[1] == "--list":
        for sc in SCENARIOS:
            print("%s  %s%s" % (sc["id"], sc["title"], "  [hand-checked]" if sc["hand_checked"] else ""))
        return 0
    if len(argv) > 1 and argv[1] == "--check":
        bad = 0
        for name, text in sorted(files.items()):
            path = os.path.join(HERE, name)
            try:
                with open(path) as f:
                    on_disk = f.read()
            except OSError:
                on_disk = None
            if on_disk != text:
                print("differs: " + name)
                bad += 1
        ours = set(files)
        for name in os.listdir(HERE):
            if re.match(r"^[0-9]{3}-.*\.(yaml|expect|queries)$", name) and name not in ours:
                print("not generated by oracle.py: " + name)
                bad += 1
        print("%d files checked, %d differ" % (len(files), bad))
        return 1 if bad else 0
    if len(argv) > 1:
        for sc in SCENARIOS:
            if sc["id"].startswith(argv[1]):
                sys.stdout.write(expect_text(sc))
                return 0
        print("no scenario " + argv[1], file=sys.stderr)
        return 2
    for name, text in files.items():
        with open(os.path.join(HERE, name), "w") as f:
            f.write(text)
    print("wrote %d files (%d scenarios)" % (len(files), len(SCENARIOS)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
