/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Kubernetes kinds: Namespace, Pod, ServiceAccount, Service, the four workload controllers
 * and NetworkPolicy (networking.k8s.io/v1 and extensions/v1beta1, both read with v1
 * semantics).  Validation follows the API server's: names, label selectors, ports and
 * peers are checked as it checks them, and policyTypes is defaulted as it defaults it.
 * Fields Palisade has no use for are accepted (so real manifests load) and not stored.
 */
#include "lib/decode.h"

#include <stdint.h>
#include <string.h>

/* ---- Namespace and ServiceAccount ----------------------------------------------------------- */

static const char *const ns_spec_keys[] = {"finalizers", NULL};

/* Fills r from root; errors go to d. */
void dec_namespace(struct dctx *d, const struct doc_node *root, struct resource *r)
{
	const struct doc_node *spec;
	const char **fin;
	size_t nfin, mark;

	dec_check_keys(d, root, dec_top_keys);
	dec_map(d, root, "status");
	spec = dec_map(d, root, "spec");
	if (!spec)
		return;
	mark = dec_push_key(d, "spec");
	dec_check_keys(d, spec, ns_spec_keys);
	dec_str_list(d, spec, "finalizers", &fin, &nfin);
	dec_pop(d, mark);
}

static const char *const sa_keys[] = {"apiVersion",
				      "kind",
				      "metadata",
				      "secrets",
				      "imagePullSecrets",
				      "automountServiceAccountToken",
				      NULL};

/* Fills r from root; errors go to d. */
void dec_service_account(struct dctx *d, const struct doc_node *root, struct resource *r)
{
	bool automount;

	dec_check_keys(d, root, sa_keys);
	dec_seq(d, root, "secrets");
	dec_seq(d, root, "imagePullSecrets");
	dec_bool(d, root, "automountServiceAccountToken", &automount);
}

/* ---- pod spec ------------------------------------------------------------------------------- */

static const char *const container_keys[] = {
	"name",
	"image",
	"ports",
	"command",
	"args",
	"env",
	"envFrom",
	"resources",
	"volumeMounts",
	"livenessProbe",
	"readinessProbe",
	"startupProbe",
	"lifecycle",
	"imagePullPolicy",
	"securityContext",
	"workingDir",
	"stdin",
	"stdinOnce",
	"tty",
	"terminationMessagePath",
	"terminationMessagePolicy",
	"volumeDevices",
	"resizePolicy",
	"restartPolicy",
	NULL,
};

static const char *const container_port_keys[] = {"name",     "containerPort", "protocol",
						  "hostPort", "hostIP",	       NULL};

static const char *const pod_spec_keys[] = {
	"containers",
	"initContainers",
	"ephemeralContainers",
	"serviceAccountName",
	"serviceAccount",
	"nodeName",
	"hostNetwork",
	"volumes",
	"restartPolicy",
	"nodeSelector",
	"affinity",
	"tolerations",
	"dnsPolicy",
	"securityContext",
	"terminationGracePeriodSeconds",
	"imagePullSecrets",
	"priorityClassName",
	"schedulerName",
	"hostname",
	"subdomain",
	"automountServiceAccountToken",
	"enableServiceLinks",
	"topologySpreadConstraints",
	"runtimeClassName",
	"preemptionPolicy",
	"priority",
	"hostPID",
	"hostIPC",
	"shareProcessNamespace",
	"dnsConfig",
	"readinessGates",
	"overhead",
	"os",
	"hostAliases",
	"activeDeadlineSeconds",
	"setHostnameAsFQDN",
	"schedulingGates",
	"resourceClaims",
	"hostUsers",
	"resources",
	NULL,
};

/* Container ports, appended to ps->ports when keep is set.  Names are unique per container,
 * as the API server checks them. */
static void dec_container_ports(struct dctx *d, const struct doc_node *c, struct pod_spec *ps,
				bool keep)
{
	const struct doc_node *ports = dec_seq(d, c, "ports");
	size_t mark;

	if (!ports)
		return;
	mark = dec_push_key(d, "ports");
	for (size_t i = 0; i < ports->n; i++) {
		const struct doc_node *p = ports->items[i];
		struct container_port cp = {.proto = PROTO_TCP};
		size_t m2 = dec_push_index(d, i), errors = d->errors;
		struct ipaddr hip;
		long long v;
		const char *why;

		if (!dec_node_is(d, p, DOC_MAP)) {
			dec_pop(d, m2);
			continue;
		}
		dec_check_keys(d, p, container_port_keys);
		if (dec_str(d, p, "name", &cp.name) == DEC_OK) {
			size_t m3 = dec_push_key(d, "name");

			if ((why = dec_port_name_err(cp.name)))
				dec_error(d, dec_get(p, "name"), "%s is not a valid port name: %s",
					  dec_quote(d, cp.name), why);
			for (size_t j = 0; j < i && !why; j++) {
				const struct doc_node *o = dec_get(ports->items[j], "name");

				if (o && o->type == DOC_SCALAR && strcmp(o->str, cp.name) == 0) {
					dec_error(d, dec_get(p, "name"),
						  "duplicate port name %s (also ports[%zu])",
						  dec_quote(d, cp.name), j);
					break;
				}
			}
			dec_pop(d, m3);
		}
		if (dec_int(d, p, "containerPort", 1, 65535, &v) == DEC_OK)
			cp.port = (uint16_t)v;
		else if (!dec_get(p, "containerPort"))
			dec_required(d, p, "containerPort", 0);
		if (dec_int(d, p, "hostPort", 0, 65535, &v) == DEC_OK)
			cp.host_port = (uint16_t)v;
		dec_k8s_proto(d, p, "protocol", &cp.proto);
		dec_ip(d, p, "hostIP", &hip);
		/* dec_containers sized ps->ports for every port of every container. */
		if (keep && d->errors == errors && ps->ports)
			ps->ports[ps->nports++] = cp;
		dec_pop(d, m2);
	}
	dec_pop(d, mark);
}

/* Checks a list of containers; keep says whether names, images and ports go into ps. */
static void dec_containers(struct dctx *d, const struct doc_node *spec, const char *key,
			   struct pod_spec *ps, bool keep)
{
	const struct doc_node *list = dec_seq(d, spec, key);
	size_t mark;

	if (!list)
		return;
	mark = dec_push_key(d, key);
	if (keep) {
		size_t nports = 0;

		for (size_t i = 0; i < list->n; i++) {
			const struct doc_node *ports = dec_get(list->items[i], "ports");

			if (ports && ports->type == DOC_SEQ)
				nports += ports->n;
		}
		ps->ports = dec_array(d, nports, sizeof(*ps->ports));
		ps->container_names = dec_array(d, list->n, sizeof(*ps->container_names));
		ps->container_images = dec_array(d, list->n, sizeof(*ps->container_images));
	}
	for (size_t i = 0; i < list->n; i++) {
		const struct doc_node *c = list->items[i];
		const char *name = NULL, *image = NULL, *why;
		size_t m2 = dec_push_index(d, i);

		if (!dec_node_is(d, c, DOC_MAP)) {
			dec_pop(d, m2);
			continue;
		}
		dec_check_keys(d, c, container_keys);
		if (dec_str(d, c, "name", &name) == DEC_ABSENT) {
			dec_required(d, c, "name", 0);
		} else if (name && (why = dec_dns_label_err(name))) {
			size_t m3 = dec_push_key(d, "name");

			dec_error(d, dec_get(c, "name"), "%s is not a valid container name: %s",
				  dec_quote(d, name), why);
			dec_pop(d, m3);
		} else if (name) {
			for (size_t j = 0; j < i; j++) {
				const struct doc_node *o = dec_get(list->items[j], "name");

				if (o && o->type == DOC_SCALAR && strcmp(o->str, name) == 0) {
					size_t m3 = dec_push_key(d, "name");

					dec_error(d, dec_get(c, "name"),
						  "duplicate container name %s (also %s[%zu])",
						  dec_quote(d, name), key, j);
					dec_pop(d, m3);
					break;
				}
			}
		}
		if (dec_str(d, c, "image", &image) == DEC_ABSENT)
			dec_required(d, c, "image", 0);
		dec_container_ports(d, c, ps, keep);
		if (keep && ps->container_names && ps->container_images) {
			ps->container_names[ps->ncontainers] = name;
			ps->container_images[ps->ncontainers] = image;
			ps->ncontainers++;
		}
		dec_pop(d, m2);
	}
	dec_pop(d, mark);
}

/* A PodSpec at the current path (spec, or spec.template.spec); line is for "required". */
static void dec_pod_spec(struct dctx *d, const struct doc_node *spec, struct pod_spec *ps, int line)
{
	const struct doc_node *containers = dec_get(spec, "containers");
	const char *sa = NULL, *sa_old = NULL, *why;

	dec_check_keys(d, spec, pod_spec_keys);
	if (!containers)
		dec_required(d, spec, "containers", line);
	else if (containers->type == DOC_SEQ && containers->n == 0) {
		size_t mark = dec_push_key(d, "containers");

		dec_error(d, containers, "must have at least one container");
		dec_pop(d, mark);
	}
	dec_containers(d, spec, "containers", ps, true);
	dec_containers(d, spec, "initContainers", ps, false);
	dec_seq(d, spec, "ephemeralContainers");
	dec_str(d, spec, "serviceAccountName", &sa);
	dec_str(d, spec, "serviceAccount", &sa_old);
	ps->service_account = sa ? sa : sa_old;
	if (ps->service_account && (why = dec_dns_subdomain_err(ps->service_account))) {
		const char *key = sa ? "serviceAccountName" : "serviceAccount";
		size_t mark = dec_push_key(d, key);

		dec_error(d, dec_get(spec, key), "%s is not a valid service account name: %s",
			  dec_quote(d, ps->service_account), why);
		dec_pop(d, mark);
	}
	dec_str(d, spec, "nodeName", &ps->node_name);
	dec_bool(d, spec, "hostNetwork", &ps->host_network);
}

/* ---- Pod ------------------------------------------------------------------------------------ */

static void dec_pod_status(struct dctx *d, const struct doc_node *st, struct res_pod *p)
{
	const struct doc_node *ips = dec_seq(d, st, "podIPs");
	struct ipaddr one, host;
	bool has_one;

	/* Only the fields below matter; the rest of a pod's status is accepted unseen. */
	has_one = dec_ip(d, st, "podIP", &one) == DEC_OK;
	dec_ip(d, st, "hostIP", &host);
	dec_str(d, st, "phase", &p->phase);
	if (ips && ips->n) {
		size_t mark = dec_push_key(d, "podIPs");

		p->ips = dec_array(d, ips->n, sizeof(*p->ips));
		for (size_t i = 0; i < ips->n && p->ips; i++) {
			size_t m2 = dec_push_index(d, i);
			const struct doc_node *item = ips->items[i];

			if (dec_node_is(d, item, DOC_MAP)) {
				if (dec_ip(d, item, "ip", &p->ips[p->nips]) == DEC_OK)
					p->nips++;
				else if (!dec_get(item, "ip"))
					dec_required(d, item, "ip", 0);
			}
			dec_pop(d, m2);
		}
		if (has_one && p->nips && !ipaddr_equal(&one, &p->ips[0])) {
			size_t m2 = dec_push_index(d, 0);

			dec_error(d, ips->items[0], "must be the same address as status.podIP");
			dec_pop(d, m2);
		}
		dec_pop(d, mark);
	} else if (has_one) {
		p->ips = dec_array(d, 1, sizeof(*p->ips));
		if (p->ips) {
			p->ips[0] = one;
			p->nips = 1;
		}
	}
}

/* Fills r from root; errors go to d. */
void dec_pod(struct dctx *d, const struct doc_node *root, struct resource *r)
{
	const struct doc_node *spec, *status;
	size_t mark;

	dec_check_keys(d, root, dec_top_keys);
	spec = dec_map(d, root, "spec");
	if (spec) {
		mark = dec_push_key(d, "spec");
		dec_pod_spec(d, spec, &r->u.pod.spec, spec->line);
		dec_pop(d, mark);
	} else if (!dec_get(root, "spec")) {
		dec_required(d, root, "spec", 0);
	}
	status = dec_map(d, root, "status");
	if (status) {
		mark = dec_push_key(d, "status");
		dec_pod_status(d, status, &r->u.pod);
		dec_pop(d, mark);
	}
}

/* ---- workloads ------------------------------------------------------------------------------ */

static const char *const deployment_keys[] = {"replicas",
					      "selector",
					      "template",
					      "strategy",
					      "minReadySeconds",
					      "revisionHistoryLimit",
					      "progressDeadlineSeconds",
					      "paused",
					      NULL};
static const char *const replicaset_keys[] = {"replicas", "selector", "template", "minReadySeconds",
					      NULL};
static const char *const daemonset_keys[] = {
	"selector", "template", "updateStrategy", "minReadySeconds", "revisionHistoryLimit", NULL};
static const char *const statefulset_keys[] = {"replicas",
					       "selector",
					       "template",
					       "serviceName",
					       "updateStrategy",
					       "podManagementPolicy",
					       "volumeClaimTemplates",
					       "persistentVolumeClaimRetentionPolicy",
					       "ordinals",
					       "minReadySeconds",
					       "revisionHistoryLimit",
					       NULL};
static const char *const template_keys[] = {"metadata", "spec", NULL};
static const char *const template_meta_keys[] = {"name",
						 "namespace",
						 "labels",
						 "annotations",
						 "creationTimestamp",
						 "generateName",
						 "finalizers",
						 "uid",
						 "resourceVersion",
						 "generation",
						 "ownerReferences",
						 "deletionTimestamp",
						 "deletionGracePeriodSeconds",
						 "selfLink",
						 "managedFields",
						 NULL};

static void dec_template(struct dctx *d, const struct doc_node *spec, struct res_workload *w,
			 bool selector_ok)
{
	const struct doc_node *t = dec_map(d, spec, "template"), *md, *tspec;
	size_t mark, errors;

	if (!t) {
		if (!dec_get(spec, "template"))
			dec_required(d, spec, "template", 0);
		return;
	}
	mark = dec_push_key(d, "template");
	dec_check_keys(d, t, template_keys);
	md = dec_map(d, t, "metadata");
	errors = d->errors;
	if (md) {
		size_t m2 = dec_push_key(d, "metadata");

		dec_check_keys(d, md, template_meta_keys);
		dec_labels(d, md, "labels", DEC_LABELS, &w->tmpl.labels);
		dec_labels(d, md, "annotations", DEC_ANNOTATIONS, &w->tmpl.annotations);
		dec_pop(d, m2);
	}
	if (selector_ok && d->errors == errors &&
	    !labelselector_match(&w->selector, &w->tmpl.labels)) {
		size_t m2 = dec_push_key(d, "metadata");
		size_t m3 = dec_push_key(d, "labels");
		const struct doc_node *at = dec_get(md, "labels");

		dec_error(d, at ? at : (md ? md : t), "do not match spec.selector");
		dec_pop(d, m3);
		dec_pop(d, m2);
	}
	tspec = dec_map(d, t, "spec");
	if (tspec) {
		size_t m2 = dec_push_key(d, "spec");

		dec_pod_spec(d, tspec, &w->tmpl.spec, tspec->line);
		dec_pop(d, m2);
	} else if (!dec_get(t, "spec")) {
		dec_required(d, t, "spec", 0);
	}
	dec_pop(d, mark);
}

/* Deployment, ReplicaSet, DaemonSet, StatefulSet: fills r from root; errors go to d. */
void dec_workload(struct dctx *d, const struct doc_node *root, struct resource *r)
{
	struct res_workload *w = &r->u.workload;
	const struct doc_node *spec;
	const char *const *keys;
	size_t mark, errors;
	bool selector_ok;
	long long v;

	switch (r->kind) {
	case RES_DEPLOYMENT:
		keys = deployment_keys;
		break;
	case RES_REPLICA_SET:
		keys = replicaset_keys;
		break;
	case RES_DAEMON_SET:
		keys = daemonset_keys;
		break;
	default:
		keys = statefulset_keys;
		break;
	}
	w->replicas = 1;
	dec_check_keys(d, root, dec_top_keys);
	dec_map(d, root, "status");
	spec = dec_map(d, root, "spec");
	if (!spec) {
		if (!dec_get(root, "spec"))
			dec_required(d, root, "spec", 0);
		return;
	}
	mark = dec_push_key(d, "spec");
	dec_check_keys(d, spec, keys);
	if (dec_int(d, spec, "replicas", 0, INT32_MAX, &v) == DEC_OK) {
		w->has_replicas = true;
		w->replicas = (int32_t)v;
	}
	errors = d->errors;
	if (dec_label_selector(d, spec, "selector", &w->selector) == DEC_ABSENT) {
		dec_required(d, spec, "selector", 0);
	} else if (w->selector.present && w->selector.match_labels.n == 0 &&
		   w->selector.nexprs == 0) {
		size_t m2 = dec_push_key(d, "selector");

		dec_error(d, dec_get(spec, "selector"),
			  "must not be empty (it would select every pod in the namespace)");
		dec_pop(d, m2);
	}
	selector_ok = w->selector.present && d->errors == errors;
	dec_template(d, spec, w, selector_ok);
	dec_pop(d, mark);
}

/* ---- Service -------------------------------------------------------------------------------- */

static const char *const svc_spec_keys[] = {
	"type",
	"selector",
	"ports",
	"clusterIP",
	"clusterIPs",
	"externalIPs",
	"sessionAffinity",
	"sessionAffinityConfig",
	"loadBalancerIP",
	"loadBalancerSourceRanges",
	"loadBalancerClass",
	"externalName",
	"externalTrafficPolicy",
	"internalTrafficPolicy",
	"healthCheckNodePort",
	"publishNotReadyAddresses",
	"ipFamilies",
	"ipFamilyPolicy",
	"allocateLoadBalancerNodePorts",
	"trafficDistribution",
	NULL,
};
static const char *const svc_types[] = {"ClusterIP", "NodePort", "LoadBalancer", "ExternalName",
					NULL};
static const char *const svc_port_keys[] = {"name",	"protocol",    "port", "targetPort",
					    "nodePort", "appProtocol", NULL};

static void dec_service_port(struct dctx *d, const struct doc_node *p, struct service_port *sp,
			     bool node_ports, bool need_name)
{
	const struct doc_node *tp;
	const char *why, *app;
	long long v;

	dec_check_keys(d, p, svc_port_keys);
	sp->proto = PROTO_TCP;
	if (dec_str(d, p, "name", &sp->name) == DEC_OK && (why = dec_dns_label_err(sp->name))) {
		size_t mark = dec_push_key(d, "name");

		dec_error(d, dec_get(p, "name"), "%s is not a valid port name: %s",
			  dec_quote(d, sp->name), why);
		dec_pop(d, mark);
	} else if (!sp->name && need_name) {
		size_t mark = dec_push_key(d, "name");

		dec_error(d, p, "required when a Service has more than one port");
		dec_pop(d, mark);
	}
	dec_k8s_proto(d, p, "protocol", &sp->proto);
	if (dec_int(d, p, "port", 1, 65535, &v) == DEC_OK)
		sp->port = (uint16_t)v;
	else if (!dec_get(p, "port"))
		dec_required(d, p, "port", 0);
	sp->target_port = sp->port;
	tp = dec_get(p, "targetPort");
	if (tp) {
		size_t mark = dec_push_key(d, "targetPort");

		if (tp->type == DOC_SCALAR && strcmp(doc_type_name(tp), "a number") == 0) {
			if (dec_node_int(d, tp, 1, 65535, &v) == DEC_OK)
				sp->target_port = (uint16_t)v;
		} else if (dec_node_str(d, tp, &sp->target_name) == DEC_OK) {
			if ((why = dec_port_name_err(sp->target_name)))
				dec_error(d, tp, "%s is not a valid port name: %s",
					  dec_quote(d, sp->target_name), why);
			sp->target_port = 0;
		}
		dec_pop(d, mark);
	}
	if (dec_int(d, p, "nodePort", 0, 65535, &v) == DEC_OK) {
		sp->node_port = (uint16_t)v;
		if (v && !node_ports) {
			size_t mark = dec_push_key(d, "nodePort");

			dec_error(d, dec_get(p, "nodePort"),
				  "only valid with type NodePort or LoadBalancer");
			dec_pop(d, mark);
		}
	}
	dec_str(d, p, "appProtocol", &app);
}

static void dec_cluster_ips(struct dctx *d, const struct doc_node *spec, struct res_service *s,
			    bool *headless)
{
	const struct doc_node *one = dec_get(spec, "clusterIP");
	const struct doc_node *many = dec_seq(d, spec, "clusterIPs");
	const struct doc_node *src = NULL;
	size_t mark;

	*headless = false;
	if (one) {
		const char *v;

		mark = dec_push_key(d, "clusterIP");
		if (dec_node_str(d, one, &v) == DEC_OK) {
			struct ipaddr a;

			if (strcmp(v, "None") == 0)
				*headless = true;
			else if (v[0] && ipaddr_parse(v, &a))
				dec_error(d, one, "%s is not a valid IP address or \"None\"",
					  dec_quote(d, v));
			else if (v[0] && !many)
				src = one;
		}
		dec_pop(d, mark);
	}
	if (many && many->n) {
		mark = dec_push_key(d, "clusterIPs");
		s->cluster_ips = dec_array(d, many->n, sizeof(*s->cluster_ips));
		for (size_t i = 0; i < many->n && s->cluster_ips; i++) {
			const struct doc_node *it = many->items[i];
			size_t m2 = dec_push_index(d, i);
			const char *v;

			if (dec_node_str(d, it, &v) == DEC_OK) {
				if (strcmp(v, "None") == 0) {
					*headless = true;
				} else if (ipaddr_parse(v, &s->cluster_ips[s->ncluster_ips])) {
					dec_error(d, it, "%s is not a valid IP address or \"None\"",
						  dec_quote(d, v));
				} else {
					s->ncluster_ips++;
				}
			}
			dec_pop(d, m2);
		}
		if (one && one->type == DOC_SCALAR && many->items[0]->type == DOC_SCALAR &&
		    strcmp(one->str, many->items[0]->str) != 0) {
			size_t m2 = dec_push_index(d, 0);

			dec_error(d, many->items[0], "must be the same as spec.clusterIP");
			dec_pop(d, m2);
		}
		dec_pop(d, mark);
	}
	if (src) {
		s->cluster_ips = dec_array(d, 1, sizeof(*s->cluster_ips));
		if (s->cluster_ips && !ipaddr_parse(src->str, &s->cluster_ips[0]))
			s->ncluster_ips = 1;
	}
}

/* Fills r from root; errors go to d. */
void dec_service(struct dctx *d, const struct doc_node *root, struct resource *r)
{
	struct res_service *s = &r->u.service;
	const struct doc_node *spec, *ports;
	const char *ext;
	bool headless;
	int type = 0;
	size_t mark;

	dec_check_keys(d, root, dec_top_keys);
	dec_map(d, root, "status");
	s->type = svc_types[0];
	spec = dec_map(d, root, "spec");
	if (!spec) {
		if (!dec_get(root, "spec"))
			dec_required(d, root, "spec", 0);
		return;
	}
	mark = dec_push_key(d, "spec");
	dec_check_keys(d, spec, svc_spec_keys);
	if (dec_enum(d, spec, "type", svc_types, &type) == DEC_OK)
		s->type = svc_types[type];
	dec_labels(d, spec, "selector", DEC_LABELS, &s->selector);
	dec_cluster_ips(d, spec, s, &headless);
	if (dec_str(d, spec, "externalName", &ext) == DEC_ABSENT && type == 3)
		dec_required(d, spec, "externalName", 0);
	ports = dec_seq(d, spec, "ports");
	if (ports && ports->n) {
		size_t m2 = dec_push_key(d, "ports");

		s->ports = dec_array(d, ports->n, sizeof(*s->ports));
		for (size_t i = 0; i < ports->n && s->ports; i++) {
			size_t m3 = dec_push_index(d, i);
			struct service_port *sp = &s->ports[i];

			if (dec_node_is(d, ports->items[i], DOC_MAP))
				dec_service_port(d, ports->items[i], sp, type == 1 || type == 2,
						 ports->n > 1);
			for (size_t j = 0; j < i; j++) {
				if (sp->name && s->ports[j].name &&
				    strcmp(sp->name, s->ports[j].name) == 0)
					dec_error(d, ports->items[i],
						  "duplicate port name %s (also ports[%zu])",
						  dec_quote(d, sp->name), j);
				else if (sp->port && sp->port == s->ports[j].port &&
					 sp->proto == s->ports[j].proto)
					dec_error(d, ports->items[i],
						  "duplicate port %u/%s (also ports[%zu])",
						  sp->port, proto_name(sp->proto), j);
			}
			dec_pop(d, m3);
		}
		if (s->ports)
			s->nports = ports->n;
		dec_pop(d, m2);
	} else if (type != 3 && !headless && !dec_get(spec, "ports")) {
		dec_required(d, spec, "ports", 0);
	}
	dec_pop(d, mark);
}

/* ---- NetworkPolicy -------------------------------------------------------------------------- */

static const char *const knp_spec_keys[] = {"podSelector", "policyTypes", "ingress", "egress",
					    NULL};
static const char *const knp_ingress_keys[] = {"from", "ports", NULL};
static const char *const knp_egress_keys[] = {"to", "ports", NULL};
static const char *const knp_peer_keys[] = {"podSelector", "namespaceSelector", "ipBlock", NULL};
static const char *const knp_ipblock_keys[] = {"cidr", "except", NULL};
static const char *const knp_port_keys[] = {"protocol", "port", "endPort", NULL};

static void dec_knp_port(struct dctx *d, const struct doc_node *p, struct k8s_np_port *np)
{
	const struct doc_node *port = dec_get(p, "port"), *endp = dec_get(p, "endPort");
	long long v;

	np->proto = PROTO_TCP;
	np->loc.file = d->file;
	np->loc.line = p->line;
	dec_check_keys(d, p, knp_port_keys);
	dec_k8s_proto(d, p, "protocol", &np->proto);
	if (port) {
		size_t mark = dec_push_key(d, "port");
		const char *why;

		if (port->type == DOC_SCALAR && strcmp(doc_type_name(port), "a number") == 0) {
			if (dec_node_int(d, port, 1, 65535, &v) == DEC_OK) {
				np->port.present = true;
				np->port.num = (uint16_t)v;
			}
		} else if (port->type != DOC_SCALAR) {
			dec_error(d, port, "expected a port number or name, found %s",
				  doc_type_name(port));
		} else if (dec_node_str(d, port, &np->port.name) == DEC_OK) {
			if ((why = dec_port_name_err(np->port.name)))
				dec_error(d, port, "%s is not a valid port name: %s",
					  dec_quote(d, np->port.name), why);
			else
				np->port.present = true;
		}
		dec_pop(d, mark);
	}
	if (endp) {
		size_t mark = dec_push_key(d, "endPort");

		if (!port)
			dec_error(d, endp, "may not be specified when port is not specified");
		else if (port->type == DOC_SCALAR && strcmp(doc_type_name(port), "a string") == 0)
			dec_error(d, endp, "may not be specified when port is a name");
		else if (dec_node_int(d, endp, 1, 65535, &v) == DEC_OK) {
			if (np->port.present && v < np->port.num)
				dec_error(d, endp, "%lld is less than port %u", v, np->port.num);
			else
				np->end_port = (uint16_t)v;
		}
		dec_pop(d, mark);
	}
}

static void dec_ip_block(struct dctx *d, const struct doc_node *peer, struct k8s_np_peer *np)
{
	const struct doc_node *ipb = dec_map(d, peer, "ipBlock"), *exc;
	size_t mark;

	if (!ipb)
		return;
	np->has_ip_block = true;
	mark = dec_push_key(d, "ipBlock");
	dec_check_keys(d, ipb, knp_ipblock_keys);
	if (dec_cidr(d, ipb, "cidr", &np->ip_block) == DEC_ABSENT) {
		dec_required(d, ipb, "cidr", 0);
		np->has_ip_block = false;
	}
	exc = dec_get(ipb, "except");
	if (dec_cidr_list(d, ipb, "except", &np->except, &np->nexcept) == DEC_OK &&
	    dec_get(ipb, "cidr")) {
		size_t m2 = dec_push_key(d, "except");

		for (size_t i = 0; i < np->nexcept; i++) {
			const struct cidr *e = &np->except[i];

			if (e->addr.family != np->ip_block.addr.family ||
			    e->len <= np->ip_block.len || !cidr_contains_cidr(&np->ip_block, e)) {
				char a[CIDR_STRLEN], b[CIDR_STRLEN];
				size_t m3 = dec_push_index(d, i);

				cidr_format(e, a, sizeof(a));
				cidr_format(&np->ip_block, b, sizeof(b));
				dec_error(d, exc->items[i], "%s is not strictly inside cidr %s", a,
					  b);
				dec_pop(d, m3);
			}
		}
		dec_pop(d, m2);
	}
	dec_pop(d, mark);
}

static void dec_knp_peer(struct dctx *d, const struct doc_node *p, struct k8s_np_peer *np)
{
	np->loc.file = d->file;
	np->loc.line = p->line;
	dec_check_keys(d, p, knp_peer_keys);
	dec_label_selector(d, p, "podSelector", &np->pod_selector);
	dec_label_selector(d, p, "namespaceSelector", &np->namespace_selector);
	dec_ip_block(d, p, np);
	if (!dec_get(p, "podSelector") && !dec_get(p, "namespaceSelector") &&
	    !dec_get(p, "ipBlock"))
		dec_error(d, p,
			  "must specify at least one of podSelector, namespaceSelector, ipBlock");
	else if (dec_get(p, "ipBlock") &&
		 (dec_get(p, "podSelector") || dec_get(p, "namespaceSelector")))
		dec_error(d, p, "ipBlock cannot be combined with podSelector or namespaceSelector");
}

static void dec_knp_rules(struct dctx *d, const struct doc_node *spec, const char *key,
			  struct k8s_np_rule **out, size_t *n)
{
	const bool ingress = strcmp(key, "ingress") == 0;
	const char *peers_key = ingress ? "from" : "to";
	const struct doc_node *rules = dec_seq(d, spec, key);
	struct k8s_np_rule *v;
	size_t mark;

	if (!rules)
		return;
	mark = dec_push_key(d, key);
	v = dec_array(d, rules->n, sizeof(*v));
	for (size_t i = 0; i < rules->n && v; i++) {
		const struct doc_node *rn = rules->items[i], *peers, *ports;
		struct k8s_np_rule *rule = &v[i];
		size_t m2 = dec_push_index(d, i);

		rule->loc.file = d->file;
		rule->loc.line = rn->line;
		if (!dec_node_is(d, rn, DOC_MAP)) {
			dec_pop(d, m2);
			continue;
		}
		dec_check_keys(d, rn, ingress ? knp_ingress_keys : knp_egress_keys);
		peers = dec_seq(d, rn, peers_key);
		if (peers && peers->n) {
			size_t m3 = dec_push_key(d, peers_key);

			rule->peers = dec_array(d, peers->n, sizeof(*rule->peers));
			for (size_t j = 0; j < peers->n && rule->peers; j++) {
				size_t m4 = dec_push_index(d, j);

				if (dec_node_is(d, peers->items[j], DOC_MAP))
					dec_knp_peer(d, peers->items[j], &rule->peers[j]);
				dec_pop(d, m4);
			}
			if (rule->peers)
				rule->npeers = peers->n;
			dec_pop(d, m3);
		}
		ports = dec_seq(d, rn, "ports");
		if (ports && ports->n) {
			size_t m3 = dec_push_key(d, "ports");

			rule->ports = dec_array(d, ports->n, sizeof(*rule->ports));
			for (size_t j = 0; j < ports->n && rule->ports; j++) {
				size_t m4 = dec_push_index(d, j);

				if (dec_node_is(d, ports->items[j], DOC_MAP))
					dec_knp_port(d, ports->items[j], &rule->ports[j]);
				dec_pop(d, m4);
			}
			if (rule->ports)
				rule->nports = ports->n;
			dec_pop(d, m3);
		}
		dec_pop(d, m2);
	}
	if (v) {
		*out = v;
		*n = rules->n;
	}
	dec_pop(d, mark);
}

static void dec_knp_types(struct dctx *d, const struct doc_node *spec,
			  struct res_k8s_network_policy *p)
{
	const struct doc_node *egress = dec_get(spec, "egress");

	/* Kubernetes: without policyTypes, Ingress always, Egress iff egress rules exist. */
	p->ingress_type = true;
	p->egress_type = egress && egress->type == DOC_SEQ && egress->n != 0;
	p->types_explicit =
		dec_policy_types(d, spec, "policyTypes", &p->ingress_type, &p->egress_type);
}

/* Fills r from root; errors go to d. */
void dec_k8s_network_policy(struct dctx *d, const struct doc_node *root, struct resource *r)
{
	struct res_k8s_network_policy *p = &r->u.knp;
	const struct doc_node *spec;
	size_t mark;

	dec_check_keys(d, root, dec_top_keys);
	dec_map(d, root, "status");
	/* An omitted podSelector is the empty selector, as the API server reads it. */
	p->pod_selector.present = true;
	p->ingress_type = true;
	spec = dec_map(d, root, "spec");
	if (!spec)
		return;
	mark = dec_push_key(d, "spec");
	dec_check_keys(d, spec, knp_spec_keys);
	if (dec_label_selector(d, spec, "podSelector", &p->pod_selector) == DEC_ABSENT)
		p->pod_selector.present = true;
	dec_knp_rules(d, spec, "ingress", &p->ingress, &p->ningress);
	dec_knp_rules(d, spec, "egress", &p->egress, &p->negress);
	dec_knp_types(d, spec, p);
	dec_pop(d, mark);
}
