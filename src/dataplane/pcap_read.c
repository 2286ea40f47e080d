/* SPDX-License-Identifier: Apache-2.0 */
#include "dataplane/pcap_read.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2 276
#endif
#define LINKTYPE_RAW 101 /* what the file says; libpcap reports it as DLT_RAW */

struct pcap_reader {
	pcap_t *p;
	int link; /* enum packet_link */
	struct pcap_read_stats st;
};

/* libpcap's DLT_* value to the parser's link type (LINKTYPE_* numbers), or -1. */
static int link_of(int dlt)
{
	switch (dlt) {
	case DLT_NULL:
	case DLT_LOOP: /* the family in network order: the parser tries both orders */
		return PACKET_LINK_NULL;
	case DLT_EN10MB:
		return PACKET_LINK_ETHERNET;
	case DLT_RAW:
	case LINKTYPE_RAW:
		return PACKET_LINK_RAW;
	case DLT_LINUX_SLL:
		return PACKET_LINK_LINUX_SLL;
	case DLT_LINUX_SLL2:
		return PACKET_LINK_LINUX_SLL2;
	case DLT_IPV4:
		return PACKET_LINK_IPV4;
	case DLT_IPV6:
		return PACKET_LINK_IPV6;
	default:
		return -1;
	}
}

struct pcap_reader *pcap_read_open(const char *path, char *err, size_t errsize)
{
	char ebuf[PCAP_ERRBUF_SIZE] = "";
	struct pcap_reader *r = calloc(1, sizeof(*r));
	int dlt;

	if (!r) {
		snprintf(err, errsize, "%s: out of memory", path);
		return NULL;
	}
	/* Nanosecond timestamps whatever the file holds (libpcap scales microseconds). */
	r->p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, ebuf);
	if (!r->p) {
		/* libpcap names the file in some messages (fopen's) and not in others. */
		if (!strncmp(ebuf, path, strlen(path)))
			snprintf(err, errsize, "%s", ebuf);
		else
			snprintf(err, errsize, "%s: %s", path, ebuf);
		free(r);
		return NULL;
	}
	dlt = pcap_datalink(r->p);
	r->link = link_of(dlt);
	if (r->link < 0) {
		const char *name = pcap_datalink_val_to_name(dlt);

		snprintf(err, errsize,
			 "%s: link type %d (%s) is not supported (Ethernet, Linux cooked v1/v2, "
			 "raw IP, BSD loopback are)",
			 path, dlt, name ? name : "unknown");
		pcap_close(r->p);
		free(r);
		return NULL;
	}
	return r;
}

void pcap_read_close(struct pcap_reader *r)
{
	if (!r)
		return;
	pcap_close(r->p);
	free(r);
}

int pcap_read_next(struct pcap_reader *r, struct packet *pkt, uint64_t *ts_ns, char *err,
		   size_t errsize)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	int rc;

	while ((rc = pcap_next_ex(r->p, &h, &data)) == 1) {
		r->st.packets++;
		switch (packet_parse_frame(r->link, data, h->caplen, pkt)) {
		case PACKET_OK:
			r->st.ip++;
			*ts_ns = h->ts.tv_sec < 0 ? 0
						  : (uint64_t)h->ts.tv_sec * 1000000000ULL +
							    (uint64_t)h->ts.tv_usec;
			return 1;
		case PACKET_TRUNCATED:
			r->st.truncated++;
			break;
		case PACKET_MALFORMED:
			r->st.malformed++;
			break;
		default:
			r->st.unsupported++;
			break;
		}
	}
	if (rc == PCAP_ERROR_BREAK) /* -2: end of the file */
		return 0;
	snprintf(err, errsize, "%s", pcap_geterr(r->p));
	return -EIO;
}

void pcap_read_get_stats(const struct pcap_reader *r, struct pcap_read_stats *out)
{
	*out = r->st;
}
