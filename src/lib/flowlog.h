/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PALISADE_FLOWLOG_H
#define PALISADE_FLOWLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct strbuf;

/*
 * One flow log record, Calico Enterprise's schema (DESIGN §6, docs/flowlogs.md), as printed
 * by the aggregator and read back by `palisade flows` and the controller:
 *
 *   {"start_time":1764370800,"end_time":1764370815,
 *    "source_ip":"10.244.0.5","source_name":"access","source_name_aggr":"access",
 *    "source_namespace":"policy-demo","source_port":null,"source_type":"wep",
 *    "source_labels":{"labels":["run=access"]},
 *    "dest_ip":"10.244.1.7","dest_name":"nginx-7d9f8c6b5-x2x9q",
 *    "dest_name_aggr":"nginx-7d9f8c6b5-*","dest_namespace":"policy-demo","dest_port":80,
 *    "dest_type":"wep","dest_labels":{"labels":["app=nginx","pod-template-hash=7d9f8c6b5"]},
 *    "proto":"tcp","action":"allow","reporter":"dst",
 *    "policies":{"all_policies":["0|default|policy-demo/knp.default.access-nginx|allow|0"]},
 *    "bytes_in":120,"bytes_out":600,"packets_in":2,"packets_out":2,
 *    "num_flows":1,"num_flows_started":1,"num_flows_completed":1,
 *    "num_flows_unanswered":0,"host":"node-1"}
 *
 * Policies are "<idx>|<tier>|<policy>|<action>|<rule>" with the action in lower case, idx the
 * position in the flow's hit list; the evaluator's special decisions map to
 * "<idx>|<tier>|<tier>.end-of-tier|deny|-1", "<idx>|__PROFILE__|__PROFILE__.kns.<ns>|allow|-1"
 * (and other profiles by name), "<idx>|__PROFILE__|__PROFILE__.__NO_MATCH__|deny|-1",
 * "<idx>|__NO_ENDPOINT__|__NO_ENDPOINT__|deny|-1", "<idx>|__UNMANAGED__|__UNMANAGED__|allow|-1",
 * and Palisade's "<idx>|__LOOPBACK__|__LOOPBACK__|allow|-1" (flow_hit_policy() in flow.h).
 * bytes_in/out and packets_in/out are relative to the reporting endpoint (reporter dst:
 * "in" is what the source sent).  num_flows_unanswered (a Palisade field) counts the flows
 * whose destination never replied: denied attempts, unanswered SYNs, scans.
 * Aggregated-away fields print as null (ports, IPs) or "-" (names).  Labels and policies
 * always print as objects ({"labels":[]} when there are none).
 */

#define FLOWLOG_MAX_LABELS   64
#define FLOWLOG_MAX_POLICIES 16

struct flowlog_side {
	char ip[46];	     /* "" when null */
	char name[254];	     /* "-" when aggregated away or unknown */
	char name_aggr[256]; /* a 253-byte owner name + "-*" fits (ENRICH_NAME_AGGR_SIZE) */
	char ns[64];	     /* "-" when none */
	int port;	     /* -1 when null */
	char type[8];	     /* wep, hep, ns, net */
	const char *labels[FLOWLOG_MAX_LABELS]; /* "k=v", pointing into the record's storage */
	size_t nlabels;
};

struct flowlog_rec {
	uint64_t start_time, end_time;
	struct flowlog_side src, dst;
	char proto[16];
	char action[8];	  /* allow, deny */
	char reporter[4]; /* src, dst */
	const char *policies[FLOWLOG_MAX_POLICIES];
	size_t npolicies;
	uint64_t bytes_in, bytes_out, packets_in, packets_out;
	uint64_t num_flows, num_flows_started, num_flows_completed, num_flows_unanswered;
	char host[254];
	char *storage; /* owns the label and policy strings; flowlog_rec_fini frees it */
};

/*
 * Appends rec as one JSON line (with the trailing newline) to out, fields in the order of the
 * example above.  Returns 0, -EINVAL when a string of rec is not valid UTF-8 (nothing is
 * appended), or -ENOMEM (out may hold part of the line, and is in its oom state when strbuf
 * ran out).  rec is borrowed.
 */
int flowlog_print(const struct flowlog_rec *rec, struct strbuf *out);

/*
 * Parses one JSON line (without or with its newline) into rec.  On error returns -EINVAL (or
 * -ENOMEM) and writes a message naming the field into err (may be NULL), e.g.
 * "source_port: expected an integer 0..65535 or null"; rec is then left empty and needs no
 * fini.  Every field of the example is required except num_flows_unanswered (0 when absent
 * or null, so Calico Enterprise's own records parse); source_labels, dest_labels and
 * policies may be null (none); unknown fields are ignored, duplicate keys rejected.  Values
 * are checked: IPs parse, ports are 0..65535, types are wep/hep/ns/net, action allow/deny,
 * reporter src/dst, labels "key=value", policies "<idx>|<tier>|<policy>|<action>|<rule>",
 * counters are non-negative, end_time >= start_time, strings fit their fields.  rec must be
 * finished with flowlog_rec_fini after success.
 */
int flowlog_parse(const char *line, size_t len, struct flowlog_rec *rec, char *err, size_t errsize);
/* Frees rec's storage; accepts a zeroed or already finished rec. */
void flowlog_rec_fini(struct flowlog_rec *rec);

#endif
