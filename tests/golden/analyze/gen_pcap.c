/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Writes the capture of the analyze golden case, good-demo.in (a classic pcap file, Ethernet,
 * microsecond timestamps; named .in because that is what tests/golden/run.sh takes as a case).
 * Not built by default; the output is committed.  To regenerate:
 *
 *	cc -std=c11 -Wall -o /tmp/gen_pcap tests/golden/analyze/gen_pcap.c
 *	/tmp/gen_pcap tests/golden/analyze/good-demo.in
 *
 * The addresses are those of examples/policy-demo/cluster.yaml, judged by
 * tests/golden/analyze/policy/policies.yaml.  Times are offsets from T = 1700000010 s
 * (2023-11-14T22:13:30Z, a multiple of 15 s, so the default windows start at T):
 *
 *   T+1.000  access:41000 -> nginx-abcde:80 TCP, handshake, request, response, FINs: allowed
 *            (src: profile; dst: security Log, Pass, then knp access-nginx rule 0)
 *   T+2.000  access -> nginx-abcde ICMP echo and reply: allowed; times out at T+32
 *   T+3.000  no-access:42000 -> nginx-fghij:80 SYN, retransmitted at T+4 and T+6, unanswered:
 *            denied by ingress (end of tier default); SYN_SENT times out at T+126
 *   T+5.000  client:43000 -> policy-demo nginx-klmno:80, answered in the capture but denied
 *            by client's egress policy: one src record, no reply counted
 *   T+7.000  client -> advanced-policy-demo nginx:53 UDP, two queries (source ports 50001,
 *            50002) and replies, in 802.1Q VLAN 100: one record of two flows
 *   T+9.000  scanner 198.51.100.66 -> 10.244.0.30..34:22 SYNs: unused pod addresses,
 *            no-endpoint; and -> access:22 SYN answered by an RST
 *   T+9.500  a malformed frame (IPv4 header length 12), T+9.600 a frame cut by the snap length
 *            inside its IPv4 header, T+9.700 an ARP request (unsupported)
 *   T+12.000 access:41001 -> nginx-abcde:80, data at T+14 and T+17 (across the window
 *            boundary at T+15), FINs at T+22
 *   T+140.000 client:50003 -> advanced-policy-demo nginx:53, one unanswered datagram
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define T0 1700000010u

static FILE *out;

static void le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void be16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void be32(uint8_t *p, uint32_t v)
{
	be16(p, v >> 16);
	be16(p + 2, v & 0xffff);
}

static void write_all(const void *p, size_t n)
{
	if (fwrite(p, 1, n, out) != n) {
		perror("gen_pcap: write");
		exit(1);
	}
}

static void file_header(void)
{
	uint8_t h[24] = {0};

	le32(h, 0xa1b2c3d4);
	h[4] = 2; /* version 2.4, little endian */
	h[6] = 4;
	le32(h + 16, 65535); /* snap length */
	le32(h + 20, 1);     /* LINKTYPE_ETHERNET */
	write_all(h, sizeof(h));
}

/* One record at T + ms milliseconds: caplen bytes of a frame of len bytes. */
static void record(uint32_t ms, const uint8_t *frame, size_t caplen, size_t len)
{
	uint8_t h[16];

	le32(h, T0 + ms / 1000);
	le32(h + 4, (ms % 1000) * 1000);
	le32(h + 8, (uint32_t)caplen);
	le32(h + 12, (uint32_t)len);
	write_all(h, sizeof(h));
	write_all(frame, caplen);
}

static uint32_t ip4(unsigned a, unsigned b, unsigned c, unsigned d)
{
	return (uint32_t)a << 24 | b << 16 | c << 8 | d;
}

static uint32_t sum16(const uint8_t *p, size_t n, uint32_t s)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	return s;
}

static unsigned fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return ~s & 0xffff;
}

/*
 * An Ethernet frame (with a VLAN tag when vlan is non-zero) carrying IPv4 with the transport
 * header th (thlen bytes) and plen bytes of payload; transport checksums are filled in.
 */
static void emit(uint32_t ms, unsigned vlan, uint32_t src, uint32_t dst, unsigned proto,
		 const uint8_t *th, size_t thlen, size_t plen)
{
	static const uint8_t macs[12] = {0x02, 0, 0, 0, 0, 0x01, 0x02, 0, 0, 0, 0, 0x02};
	uint8_t f[1600] = {0}, *ip, *l4;
	size_t off = 12, l4len = thlen + plen;
	uint32_t s;
	int ck;

	memcpy(f, macs, sizeof(macs));
	if (vlan) {
		be16(f + off, 0x8100);
		be16(f + off + 2, vlan);
		off += 4;
	}
	be16(f + off, 0x0800);
	ip = f + off + 2;
	ip[0] = 0x45;
	be16(ip + 2, 20 + l4len);
	be16(ip + 4, ms & 0xffff); /* identification */
	be16(ip + 6, 0x4000);	   /* DF */
	ip[8] = 64;
	ip[9] = (uint8_t)proto;
	be32(ip + 12, src);
	be32(ip + 16, dst);
	be16(ip + 10, fold(sum16(ip, 20, 0)));
	l4 = ip + 20;
	memcpy(l4, th, thlen);
	for (size_t i = 0; i < plen; i++)
		l4[thlen + i] = (uint8_t)('a' + i % 26);
	/* TCP checksum at 16, UDP at 6, ICMP at 2 (ICMP has no pseudo-header). */
	ck = proto == 6 ? 16 : proto == 17 ? 6 : 2;
	s = proto == 1 ? 0 : sum16(ip + 12, 8, 0) + proto + (uint32_t)l4len;
	be16(l4 + ck, fold(sum16(l4, l4len, s)));
	if (proto == 17 && l4[ck] == 0 && l4[ck + 1] == 0)
		be16(l4 + ck, 0xffff);
	record(ms, f, off + 2 + 20 + l4len, off + 2 + 20 + l4len);
}

#define FIN 0x01
#define SYN 0x02
#define RST 0x04
#define PSH 0x08
#define ACK 0x10

static void tcp(uint32_t ms, uint32_t src, unsigned sport, uint32_t dst, unsigned dport,
		uint32_t seq, uint32_t ack, unsigned flags, size_t plen)
{
	uint8_t th[20] = {0};

	be16(th, sport);
	be16(th + 2, dport);
	be32(th + 4, seq);
	be32(th + 8, ack);
	th[12] = 5 << 4;
	th[13] = (uint8_t)flags;
	be16(th + 14, 64240);
	emit(ms, 0, src, dst, 6, th, sizeof(th), plen);
}

static void udp(uint32_t ms, unsigned vlan, uint32_t src, unsigned sport, uint32_t dst,
		unsigned dport, size_t plen)
{
	uint8_t uh[8] = {0};

	be16(uh, sport);
	be16(uh + 2, dport);
	be16(uh + 4, 8 + plen);
	emit(ms, vlan, src, dst, 17, uh, sizeof(uh), plen);
}

static void icmp_echo(uint32_t ms, uint32_t src, uint32_t dst, unsigned type, unsigned seq)
{
	uint8_t ih[8] = {(uint8_t)type, 0};

	be16(ih + 4, 0x1234);
	be16(ih + 6, seq);
	emit(ms, 0, src, dst, 1, ih, sizeof(ih), 56);
}

/* A whole connection: handshake, request, response, FINs from the client first. */
static void tcp_session(uint32_t ms, uint32_t c, unsigned cport, uint32_t s, unsigned sport,
			size_t req, size_t resp)
{
	uint32_t cs = 1000, ss = 5000;

	tcp(ms, c, cport, s, sport, cs, 0, SYN, 0);
	tcp(ms + 1, s, sport, c, cport, ss, cs + 1, SYN | ACK, 0);
	tcp(ms + 2, c, cport, s, sport, cs + 1, ss + 1, ACK, 0);
	tcp(ms + 10, c, cport, s, sport, cs + 1, ss + 1, PSH | ACK, req);
	tcp(ms + 20, s, sport, c, cport, ss + 1, cs + 1 + req, PSH | ACK, resp);
	tcp(ms + 21, c, cport, s, sport, cs + 1 + req, ss + 1 + resp, ACK, 0);
	tcp(ms + 30, c, cport, s, sport, cs + 1 + req, ss + 1 + resp, FIN | ACK, 0);
	tcp(ms + 31, s, sport, c, cport, ss + 1 + resp, cs + 2 + req, FIN | ACK, 0);
	tcp(ms + 32, c, cport, s, sport, cs + 2 + req, ss + 2 + resp, ACK, 0);
}

int main(int argc, char **argv)
{
	const uint32_t access = ip4(10, 244, 0, 20), no_access = ip4(10, 244, 0, 21);
	const uint32_t nginx_a = ip4(10, 244, 0, 10), nginx_f = ip4(10, 244, 0, 11);
	const uint32_t nginx_k = ip4(10, 244, 0, 12), adv_nginx = ip4(10, 244, 1, 10);
	const uint32_t client = ip4(10, 244, 1, 11), scanner = ip4(198, 51, 100, 66);
	uint8_t bad[60] = {0};

	if (argc != 2) {
		fprintf(stderr, "usage: gen_pcap OUTPUT\n");
		return 2;
	}
	out = fopen(argv[1], "wb");
	if (!out) {
		perror(argv[1]);
		return 1;
	}
	file_header();

	tcp_session(1000, access, 41000, nginx_a, 80, 78, 300);

	icmp_echo(2000, access, nginx_a, 8, 1);
	icmp_echo(2001, nginx_a, access, 0, 1);

	tcp(3000, no_access, 42000, nginx_f, 80, 7000, 0, SYN, 0);
	tcp(4000, no_access, 42000, nginx_f, 80, 7000, 0, SYN, 0);
	tcp_session(5000, client, 43000, nginx_k, 80, 78, 300);
	tcp(6000, no_access, 42000, nginx_f, 80, 7000, 0, SYN, 0);

	udp(7000, 100, client, 50001, adv_nginx, 53, 40);
	udp(7002, 100, adv_nginx, 53, client, 50001, 100);
	udp(8000, 100, client, 50002, adv_nginx, 53, 40);
	udp(8001, 100, adv_nginx, 53, client, 50002, 100);

	for (unsigned i = 0; i < 5; i++)
		tcp(9000 + 10 * i, scanner, 60000, ip4(10, 244, 0, 30 + i), 22, 9000, 0, SYN, 0);
	tcp(9100, scanner, 60000, access, 22, 9000, 0, SYN, 0);
	tcp(9101, access, 22, scanner, 60000, 0, 9001, RST | ACK, 0);

	/* Malformed: IPv4 with a header length of 3 words. */
	memcpy(bad, "\x02\0\0\0\0\x01\x02\0\0\0\0\x02\x08\x00\x43", 15);
	record(9500, bad, sizeof(bad), sizeof(bad));
	/* Truncated: a 60-byte frame of which the snap length kept 24 bytes. */
	memset(bad, 0, sizeof(bad));
	memcpy(bad, "\x02\0\0\0\0\x01\x02\0\0\0\0\x02\x08\x00\x45\x00\x00\x28", 18);
	record(9600, bad, 24, 60);
	/* An ARP request: not IP. */
	memset(bad, 0, sizeof(bad));
	memcpy(bad,
	       "\xff\xff\xff\xff\xff\xff\x02\0\0\0\0\x01\x08\x06\x00\x01\x08\x00\x06\x04\x00\x01",
	       22);
	record(9700, bad, 42, 42);

	tcp(12000, access, 41001, nginx_a, 80, 100, 0, SYN, 0);
	tcp(12001, nginx_a, 80, access, 41001, 900, 101, SYN | ACK, 0);
	tcp(12002, access, 41001, nginx_a, 80, 101, 901, ACK, 0);
	tcp(14000, access, 41001, nginx_a, 80, 101, 901, PSH | ACK, 500);
	tcp(14001, nginx_a, 80, access, 41001, 901, 601, ACK, 0);
	tcp(17000, nginx_a, 80, access, 41001, 901, 601, PSH | ACK, 1000);
	tcp(17001, access, 41001, nginx_a, 80, 601, 1901, ACK, 0);
	tcp(22000, access, 41001, nginx_a, 80, 601, 1901, FIN | ACK, 0);
	tcp(22001, nginx_a, 80, access, 41001, 1901, 602, FIN | ACK, 0);
	tcp(22002, access, 41001, nginx_a, 80, 602, 1902, ACK, 0);

	udp(140000, 0, client, 50003, adv_nginx, 53, 40);

	if (fclose(out)) {
		perror(argv[1]);
		return 1;
	}
	return 0;
}
