/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PALISADE_PCAP_READ_H
#define PALISADE_PCAP_READ_H

#include <stddef.h>
#include <stdint.h>

#include "lib/packet.h"

/*
 * Reading a capture file (pcap or pcapng, through libpcap) into parsed IP packets for
 * `palisade analyze`.  Frames that do not parse are skipped, each counted by its reason, so the
 * caller sees only packets it can track and the totals say what was left out.
 */
struct pcap_read_stats {
	uint64_t packets;     /* frames read */
	uint64_t ip;	      /* frames parsed to an IP packet (handed to the caller) */
	uint64_t truncated;   /* a header cut short by the capture's snap length */
	uint64_t malformed;   /* impossible header fields */
	uint64_t unsupported; /* not IP (ARP, LLC, ...) */
};

struct pcap_reader;

/*
 * Opens a capture file ("-" for standard input).  Returns the reader (free it with
 * pcap_read_close), or NULL with a message naming the file in err: unreadable, not a capture,
 * or a link type the parser does not know.
 */
struct pcap_reader *pcap_read_open(const char *path, char *err, size_t errsize);
/* Closes the file and frees r; accepts NULL. */
void pcap_read_close(struct pcap_reader *r);

/*
 * The next frame that parses to an IP packet.  Returns 1 with *pkt and *ts_ns (nanoseconds
 * since the epoch, the capture's timestamp) set, 0 at the end of the file, or -EIO with a
 * message in err when the file cannot be read further (cut short, corrupt).
 */
int pcap_read_next(struct pcap_reader *r, struct packet *pkt, uint64_t *ts_ns, char *err,
		   size_t errsize);

/* Copies the counters of the frames read so far into out. */
void pcap_read_get_stats(const struct pcap_reader *r, struct pcap_read_stats *out);

#endif
