/* SPDX-License-Identifier: Apache-2.0 */
/* packet_parse_frame with the link type picked by the first byte, packet_parse_ip on the rest. */
#include <stdlib.h>

#include "lib/packet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int links[8] = {PACKET_LINK_NULL,	     PACKET_LINK_ETHERNET,
				     PACKET_LINK_RAW,	     PACKET_LINK_LINUX_SLL,
				     PACKET_LINK_IPV4,	     PACKET_LINK_IPV6,
				     PACKET_LINK_LINUX_SLL2, 12345};
	struct packet p;

	if (size < 1)
		return 0;
	if (packet_parse_frame(links[data[0] % 8], data + 1, size - 1, &p) == PACKET_OK &&
	    (p.src.family != p.dst.family || (p.src.family != 4 && p.src.family != 6) ||
	     (p.fragment && (p.sport || p.dport))))
		abort();
	if (packet_parse_ip(data + 1, size - 1, &p) == PACKET_OK && p.ip_len < 20)
		abort();
	return 0;
}
