/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PALISADE_BENCH_CLUSTER_GEN_H
#define PALISADE_BENCH_CLUSTER_GEN_H

/*
 * The generated benchmark cluster shared by the benchmarks: nns namespaces of pods_per_ns
 * pods each, nk8s Kubernetes NetworkPolicies, ncal Calico NetworkPolicies in tier platform,
 * ngnp GlobalNetworkPolicies in tier security, and 20 GlobalNetworkSets, as one YAML stream.
 * Header-only because every benchmark source file is its own program.
 */
#include "lib/strbuf.h"

static const char *const tiers3[] = {"frontend", "backend", "db"};

static inline void cluster_gen(struct strbuf *b, int nns, int pods_per_ns, int nk8s, int ncal, int ngnp)
{
	strbuf_puts(b, "apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata:\n  name: security\n"
		       "spec:\n  order: 100\n---\n"
		       "apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata:\n  name: platform\n"
		       "spec:\n  order: 200\n---\n");
	for (int n = 0; n < nns; n++) {
		strbuf_printf(b,
			      "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ns-%03d\n"
			      "  labels:\n    team: t%d\n    env: %s\n---\n",
			      n, n % 20, n % 3 ? "prod" : "dev");
		for (int p = 0; p < pods_per_ns; p++) {
			int id = n * pods_per_ns + p;

			strbuf_printf(
				b,
				"apiVersion: v1\nkind: Pod\nmetadata:\n  name: pod-%d\n"
				"  namespace: ns-%03d\n  labels:\n    app: app-%d\n"
				"    tier: %s\n    version: v%d\n"
				"    pod-template-hash: h%d\nspec:\n  containers:\n  - name: c\n    image: app\n"
				"    ports:\n    - name: http\n      containerPort: 8080\n"
				"status:\n  podIP: 10.%d.%d.%d\n---\n",
				id, n, p % 5, tiers3[p % 3], p % 2, p % 7, 100 + id / 65536,
				(id / 256) % 256, id % 256);
		}
	}
	for (int i = 0; i < nk8s; i++) {
		int n = i % nns;

		switch (i / nns % 3) {
		case 0:
			strbuf_printf(b,
				      "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
				      "metadata:\n  name: deny-%d\n  namespace: ns-%03d\nspec:\n"
				      "  podSelector: {}\n  policyTypes: [Ingress]\n---\n",
				      i, n);
			break;
		case 1:
			strbuf_printf(
				b,
				"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
				"metadata:\n  name: fe-to-be-%d\n  namespace: ns-%03d\nspec:\n"
				"  podSelector:\n    matchLabels:\n      tier: backend\n"
				"  ingress:\n  - from:\n    - podSelector:\n        matchLabels:\n"
				"          tier: frontend\n    ports:\n    - port: http\n---\n",
				i, n);
			break;
		default:
			strbuf_printf(
				b,
				"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
				"metadata:\n  name: team-%d\n  namespace: ns-%03d\nspec:\n"
				"  podSelector:\n    matchLabels:\n      app: app-%d\n"
				"  ingress:\n  - from:\n    - namespaceSelector:\n        matchLabels:\n"
				"          team: t%d\n      podSelector:\n        matchExpressions:\n"
				"        - {key: tier, operator: In, values: [frontend, backend]}\n"
				"  - from:\n    - ipBlock:\n        cidr: 192.168.0.0/16\n"
				"        except: [192.168.1.0/24]\n---\n",
				i, n, i % 5, (i + 1) % 20);
		}
	}
	for (int i = 0; i < ncal; i++)
		strbuf_printf(
			b,
			"apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata:\n"
			"  name: platform.cal-%d\n  namespace: ns-%03d\nspec:\n  tier: platform\n"
			"  order: %d\n  selector: app == 'app-%d' && version == 'v%d'\n"
			"  types: [Ingress, Egress]\n  ingress:\n  - action: Allow\n"
			"    protocol: TCP\n    source:\n      selector: tier == 'frontend'\n"
			"    destination:\n      ports: [8080, '9000:9100']\n  - action: Pass\n"
			"  egress:\n  - action: Deny\n    destination:\n"
			"      nets: [169.254.0.0/16]\n  - action: Pass\n---\n",
			i, i % nns, i % 50, i % 5, i % 2);
	for (int i = 0; i < 20; i++)
		strbuf_printf(
			b,
			"apiVersion: projectcalico.org/v3\nkind: GlobalNetworkSet\nmetadata:\n"
			"  name: feed-%d\n  labels:\n    security-action: %s\nspec:\n"
			"  nets: [198.51.%d.0/24, 203.0.%d.0/24]\n---\n",
			i, i % 2 ? "block" : "watch", i, i);
	for (int i = 0; i < ngnp; i++)
		strbuf_printf(
			b,
			"apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata:\n"
			"  name: security.gnp-%d\nspec:\n  tier: security\n  order: %d\n"
			"  selector: %s\n  namespaceSelector: team == 't%d' || env == 'dev'\n"
			"  ingress:\n  - action: Deny\n    source:\n"
			"      selector: security-action == 'block'\n  - action: Pass\n"
			"  egress:\n  - action: Pass\n---\n",
			i, i, i % 4 ? "all()" : "has(app)", i % 20);
}

#endif
