/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PALISADE_NFLOG_H
#define PALISADE_NFLOG_H

#include <stddef.h>
#include <stdint.h>

#include "lib/nflog_rec.h"

/*
 * The rule hits of the ruleset (DESIGN §5, §6): every rule that decides a new connection,
 * and every Log and Pass rule, sends an NFLOG record whose prefix is the rule's id, on
 * group 1 (ingress) or 2 (egress).  This binds both groups in the calling process's network
 * namespace on one non-blocking netlink socket (libmnl, libnetfilter_log's message helpers)
 * in copy-packet mode with enough bytes for the IP and transport headers, and turns each
 * record into a struct nflog_rec (nflog_rec_parse).
 *
 * A group can be bound by one socket per namespace: a second agent in the same namespace
 * gets EBUSY.  When the receive buffer is full the kernel drops records and the next read
 * fails with ENOBUFS: counted in overflows.  Records that do not parse are counted in
 * unparsable and go nowhere else.
 */
struct nflog_reader;

typedef void nflog_reader_cb(void *arg, const struct nflog_rec *rec);

struct nflog_reader_opts {
	uint16_t ingress_group; /* 0: 1 */
	uint16_t egress_group;	/* 0: 2 */
	uint32_t copy_range;	/* bytes of each packet; 0: 256 */
	size_t rcvbuf;		/* socket receive buffer in bytes; 0: 8 MiB */
};

struct nflog_reader_stats {
	uint64_t records;    /* records parsed and delivered */
	uint64_t overflows;  /* ENOBUFS: records the kernel dropped (at least one each) */
	uint64_t unparsable; /* records without a valid prefix or IP packet */
};

/*
 * Binds the two groups.  o may be NULL.  NULL with errno set (EBUSY: a group is bound by
 * another socket of this namespace; EPERM without CAP_NET_ADMIN).
 */
struct nflog_reader *nflog_reader_new(const struct nflog_reader_opts *o, nflog_reader_cb *cb,
				      void *arg);
/* Unbinds and closes; accepts NULL. */
void nflog_reader_free(struct nflog_reader *r);

int nflog_reader_fd(const struct nflog_reader *r);

/* Reads every pending record (a bounded number of datagrams per call), handing each parsed
 * one to cb.  0, or -errno on a socket error other than ENOBUFS (which is counted). */
int nflog_reader_read(struct nflog_reader *r);

void nflog_reader_get_stats(const struct nflog_reader *r, struct nflog_reader_stats *out);

#endif
