/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Dataplane benchmarks of `make bench` (needs root; prints a SKIP line otherwise).  Each runs
 * inside a network namespace the benchmark creates and deletes itself:
 *   dp.render_ms / dp.apply_ms  render and apply the full ruleset of the generated cluster
 *                               (10,000 endpoints, 2,000 policies), one transaction
 *   dp.reapply_ms               apply the same ruleset again (what a restart does)
 *   dp.netset_1m_nft_ms         load a 1,000,000-CIDR network set as an nft interval set
 *   dp.netset_1m_ipset_ms       `ipset restore` of the same CIDRs into a hash:net set
 *                               (when ipset is installed), and the ratio
 * BENCH_SCALE scales the cluster as in bench_core.
 */
#include "dataplane/nft_apply.h"
#include "dataplane/nft_patch.h"
#include "dataplane/nft_render.h"
#include "lib/cidr.h"
#include "lib/diag.h"
#include "lib/model.h"
#include "lib/resource.h"
#include "lib/strbuf.h"

#include "cluster_gen.h"

#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int run(const char *const argv[])
{
	pid_t pid = fork();
	int st;

	if (pid == 0) {
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Enters a fresh network namespace of our own (named, so that ipset can be run in it). */
static int enter_netns(const char *name)
{
	char path[256];
	int fd;
	const char *add[] = {"ip", "netns", "add", name, NULL};

	if (run(add))
		return -1;
	snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWNET)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

static void random_cidrs(struct cidr *v, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++) {
		uint32_t a = (uint32_t)rand_r(&seed) << 1 ^ (uint32_t)rand_r(&seed);
		struct ipaddr ip = {.family = 4};

		/* Keep clear of 0/8, 10/8 and 127/8 so nothing overlaps the lab's ranges. */
		a = (a & 0x7fffffff) | 0x20000000;
		ip.a[0] = (uint8_t)(a >> 24);
		ip.a[1] = (uint8_t)(a >> 16);
		ip.a[2] = (uint8_t)(a >> 8);
		ip.a[3] = (uint8_t)a;
		cidr_from_addr(&ip, 24 + (unsigned)(rand_r(&seed) % 9), &v[i]);
	}
}

/*
 * One policy added to the running cluster, as the agent handles it: load and build the new
 * model, render it, compute the patch against the ruleset in the kernel and apply it (one
 * libnftables transaction), against applying the whole new table.
 */
static void policy_change(const struct strbuf *manifests, const struct nft_render_opts *o0,
			  struct nft_applier *nft, const char *applied)
{
	static const char pol[] =
		"---\napiVersion: projectcalico.org/v3\n"
		"kind: GlobalNetworkPolicy\nmetadata: {name: bench-added}\n"
		"spec:\n  order: 1\n  selector: app == 'app-3' && tier == 'backend'\n"
		"  ingress:\n  - action: Deny\n    protocol: TCP\n"
		"    source: {nets: [192.0.2.0/24]}\n    destination: {ports: [22]}\n";
	struct strbuf b, script, patch;
	struct resource_set rs;
	struct diag_list d;
	struct nft_render_opts o = *o0;
	struct nft_patch_stats ps;
	struct model *m = NULL;
	const char *err = NULL;
	double t0, tload, trender, tpatch, tapply;

	strbuf_init(&b);
	strbuf_init(&script);
	strbuf_init(&patch);
	resource_set_init(&rs);
	diag_list_init(&d);
	o.stats = NULL;
	strbuf_add(&b, manifests->s, manifests->len);
	strbuf_puts(&b, pol);
	t0 = now_s();
	if (resource_load_buffer(&rs, b.s, b.len, "bench.yaml", &d) || d.errors ||
	    !(m = model_build(&rs, &d))) {
		printf("dp.policy_change FAILED: model\n");
		goto out;
	}
	tload = now_s() - t0;
	t0 = now_s();
	nft_render(m, &o, &script);
	trender = now_s() - t0;
	t0 = now_s();
	if (nft_patch_compute(applied, script.s, &patch, &ps)) {
		printf("dp.policy_change FAILED: no patch\n");
		goto out;
	}
	tpatch = now_s() - t0;
	t0 = now_s();
	if (nft_applier_run(nft, patch.s, &err)) {
		printf("dp.policy_change FAILED: %.300s\n", err);
		goto out;
	}
	tapply = now_s() - t0;
	printf("dp.policy_change_ms %.1f ms (load+model %.1f, render %.1f, patch %.1f, apply %.1f: "
	       "chains +%zu ~%zu -%zu, %zu rules)\n",
	       (tload + trender + tpatch + tapply) * 1e3, tload * 1e3, trender * 1e3, tpatch * 1e3,
	       tapply * 1e3, ps.chains_added, ps.chains_changed, ps.chains_removed, ps.rules);
	t0 = now_s();
	if (nft_applier_run(nft, script.s, &err) == 0)
		printf("dp.policy_change_full_apply_ms %.1f ms (the same change as a whole table)\n",
		       (now_s() - t0) * 1e3);
out:
	model_free(m);
	resource_set_fini(&rs);
	diag_list_fini(&d);
	strbuf_fini(&b);
	strbuf_fini(&script);
	strbuf_fini(&patch);
}

int main(void)
{
	double scale = getenv("BENCH_SCALE") ? atof(getenv("BENCH_SCALE")) : 1.0;
	char ns[64];
	struct strbuf b, script;
	struct resource_set rs;
	struct diag_list d;
	struct model *m;
	struct nft_render_opts o;
	struct nft_render_stats st;
	struct nft_applier *nft;
	const char *err;
	double t0, t;
	const char *del[] = {"ip", "netns", "del", ns, NULL};
	int rc = 1;

	if (geteuid() != 0) {
		printf("dp.SKIP needs root (network namespaces)\n");
		return 0;
	}
	snprintf(ns, sizeof(ns), "plbench%ld", (long)getpid());
	strbuf_init(&b);
	strbuf_init(&script);
	cluster_gen(&b, (int)(500 * scale) ? (int)(500 * scale) : 1, 20, (int)(1500 * scale),
		    (int)(400 * scale), (int)(100 * scale));
	resource_set_init(&rs);
	diag_list_init(&d);
	if (resource_load_buffer(&rs, b.s, b.len, "bench.yaml", &d) || d.errors)
		return 1;
	m = model_build(&rs, &d);
	if (!m)
		return 1;
	if (enter_netns(ns)) {
		printf("dp.SKIP cannot create a network namespace\n");
		return 0;
	}
	nft = nft_applier_new();
	memset(&o, 0, sizeof(o));
	memset(&st, 0, sizeof(st));
	o.nflog_ingress = 1;
	o.nflog_egress = 2;
	o.stats = &st;
	t0 = now_s();
	nft_render(m, &o, &script);
	t = now_s() - t0;
	printf("dp.render_ms %.1f ms (%zu endpoints, %zu policies: %zu chains, %zu rules, %zu sets, %zu KiB)\n",
	       t * 1e3, m->neps, m->npols, st.chains, st.rules, st.sets, script.len / 1024);
	t0 = now_s();
	if (nft_applier_run(nft, script.s, &err)) {
		printf("dp.apply FAILED: %.300s\n", err);
		goto out;
	}
	printf("dp.apply_ms %.1f ms (one transaction)\n", (now_s() - t0) * 1e3);
	t0 = now_s();
	if (nft_applier_run(nft, script.s, &err) == 0)
		printf("dp.reapply_ms %.1f ms (atomic replace of the same ruleset)\n",
		       (now_s() - t0) * 1e3);
	policy_change(&b, &o, nft, script.s);
	{
		size_t n = (size_t)(1000000 * (scale < 1 ? scale : 1));
		struct cidr *v = malloc(n * sizeof(*v));
		struct strbuf s;
		char buf[CIDR_STRLEN];
		size_t merged;
		double tn, ti;
		FILE *f;
		const char *ipset_restore[] = {"sh", "-c",
					       "ipset restore < /tmp/palisade-bench.ipset", NULL};
		const char *ipset_have[] = {"sh", "-c", "command -v ipset >/dev/null", NULL};

		random_cidrs(v, n, 42);
		t0 = now_s();
		merged = cidr_merge(v, n);
		strbuf_init(&s);
		strbuf_puts(
			&s,
			"add table inet pbench\nadd set inet pbench feed { type ipv4_addr; flags interval; }\n");
		for (size_t i = 0; i < merged; i++) {
			cidr_format(&v[i], buf, sizeof(buf));
			strbuf_printf(&s, "%s%s",
				      i % 1000 == 0 ? (i ? "}\nadd element inet pbench feed { "
							 : "add element inet pbench feed { ")
						    : ", ",
				      buf);
		}
		strbuf_puts(&s, " }\n");
		if (nft_applier_run(nft, s.s, &err)) {
			printf("dp.netset_1m FAILED: %.300s\n", err);
			goto out;
		}
		tn = now_s() - t0;
		printf("dp.netset_1m_nft_ms %.0f ms (%zu CIDRs merged to %zu, interval set, incl. merge)\n",
		       tn * 1e3, n, merged);
		if (run(ipset_have) == 0) {
			f = fopen("/tmp/palisade-bench.ipset", "w");
			fprintf(f,
				"create pbench hash:net family inet hashsize 65536 maxelem 2000000\n");
			random_cidrs(v, n,
				     42); /* the same, unmerged: ipset takes them as they come */
			for (size_t i = 0; i < n; i++) {
				cidr_format(&v[i], buf, sizeof(buf));
				fprintf(f, "add pbench %s -exist\n", buf);
			}
			fclose(f);
			t0 = now_s();
			if (run(ipset_restore) == 0) {
				ti = now_s() - t0;
				printf("dp.netset_1m_ipset_ms %.0f ms (ipset restore, hash:net)\n",
				       ti * 1e3);
				printf("dp.netset_1m_ratio %.2f (nft interval set time / ipset restore time)\n",
				       tn / ti);
			}
			unlink("/tmp/palisade-bench.ipset");
		} else {
			printf("dp.netset_1m_ipset SKIP ipset is not installed (apt-get install ipset)\n");
		}
		strbuf_fini(&s);
		free(v);
	}
	rc = 0;
out:
	nft_applier_free(nft);
	run(del);
	model_free(m);
	resource_set_fini(&rs);
	diag_list_fini(&d);
	strbuf_fini(&b);
	strbuf_fini(&script);
	return rc;
}
