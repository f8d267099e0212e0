/*
 * Unit tests for src/tcpresume.c: the RFC 6069 message it hands the
 * kernel, and its reading of captured segments (ours and the far end's).  Checksums are verified
 * the way a receiver does (the one's complement sum over the message, the
 * ICMPv6 pseudo-header included, is 0xffff).
 *
 * What this hides: whether the kernel accepts the message and retransmits;
 * tests/lab/t_resume.c sends it to a real socket in back-off, and
 * tests/lab/test_hostile.sh runs it with vtund after an outage.
 */
#include <sys/socket.h>

#include <arpa/inet.h>

#include "tcpresume.h"
#include "unit.h"

static uint32_t
sum(const uint8_t *p, size_t len, uint32_t s)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		s += (uint32_t)p[len - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return s;
}

static uint32_t
be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static void
key4(struct tcp_key *k)
{
	memset(k, 0, sizeof(*k));
	k->family = AF_INET;
	inet_pton(AF_INET, "10.99.0.2", k->src);
	inet_pton(AF_INET, "10.99.0.1", k->dst);
	k->sport = 41822;
	k->dport = 5000;
}

static void
key6(struct tcp_key *k)
{
	memset(k, 0, sizeof(*k));
	k->family = AF_INET6;
	inet_pton(AF_INET6, "fd00:99::2", k->src);
	inet_pton(AF_INET6, "fd00:99::1", k->dst);
	k->sport = 41822;
	k->dport = 5000;
}

static void
test_message_ipv4(void)
{
	struct tcp_key k;
	uint8_t m[128], *icmp = m + 20, *q = m + 28;
	size_t n;

	key4(&k);
	n = tcpresume_message(&k, 0xdeadbeef, m, sizeof(m));
	CHECK_INT(n, 20 + 8 + 20 + 8);
	CHECK_INT(m[0], 0x45);
	CHECK_INT(m[9], 1);			/* ICMP */
	CHECK(memcmp(m + 12, k.dst, 4) == 0);	/* from the far end */
	CHECK(memcmp(m + 16, k.src, 4) == 0);	/* to this end */
	CHECK_INT(m[2] << 8 | m[3], n);
	CHECK_INT(sum(m, 20, 0), 0xffff);
	CHECK_INT(icmp[0], 3);			/* destination unreachable */
	CHECK_INT(icmp[1], 1);			/* host: RFC 6069's codes */
	CHECK_INT(sum(icmp, n - 20, 0), 0xffff);
	/* The quote: our segment, this end to the far end. */
	CHECK_INT(q[9], 6);
	CHECK(memcmp(q + 12, k.src, 4) == 0);
	CHECK(memcmp(q + 16, k.dst, 4) == 0);
	CHECK_INT(sum(q, 20, 0), 0xffff);
	CHECK_INT(q[20] << 8 | q[21], 41822);
	CHECK_INT(q[22] << 8 | q[23], 5000);
	CHECK_INT(be32(q + 24), 0xdeadbeef);
	CHECK_INT(tcpresume_message(&k, 1, m, n - 1), 0);	/* short */
}

static void
test_message_ipv6(void)
{
	struct tcp_key k;
	uint8_t m[128], *icmp = m + 40, *q = m + 48;
	uint32_t pseudo;
	size_t n;

	key6(&k);
	n = tcpresume_message(&k, 7, m, sizeof(m));
	CHECK_INT(n, 40 + 8 + 40 + 8);
	CHECK_INT(m[0] >> 4, 6);
	CHECK_INT(m[6], 58);			/* ICMPv6 */
	CHECK_INT(m[4] << 8 | m[5], n - 40);
	CHECK(memcmp(m + 8, k.dst, 16) == 0);
	CHECK(memcmp(m + 24, k.src, 16) == 0);
	CHECK_INT(icmp[0], 1);			/* destination unreachable */
	CHECK_INT(icmp[1], 0);			/* no route: RFC 6069's code */
	pseudo = sum(m + 8, 32, 0) + (uint32_t)(n - 40) + 58;
	CHECK_INT(sum(icmp, n - 40, pseudo), 0xffff);
	CHECK_INT(q[6], 6);
	CHECK(memcmp(q + 8, k.src, 16) == 0);
	CHECK(memcmp(q + 24, k.dst, 16) == 0);
	CHECK_INT(q[40] << 8 | q[41], 41822);
	CHECK_INT(be32(q + 44), 7);
}

/* A segment as the capture sees it: IP header first. */
static size_t
segment4(const struct tcp_key *k, uint32_t seq, size_t data, uint8_t *p)
{
	memset(p, 0, 20 + 20 + data);
	p[0] = 0x45;
	p[2] = (uint8_t)((40 + data) >> 8);
	p[3] = (uint8_t)(40 + data);
	p[9] = 6;
	memcpy(p + 12, k->src, 4);
	memcpy(p + 16, k->dst, 4);
	p[20] = (uint8_t)(k->sport >> 8);
	p[21] = (uint8_t)k->sport;
	p[22] = (uint8_t)(k->dport >> 8);
	p[23] = (uint8_t)k->dport;
	p[24] = (uint8_t)(seq >> 24);
	p[25] = (uint8_t)(seq >> 16);
	p[26] = (uint8_t)(seq >> 8);
	p[27] = (uint8_t)seq;
	p[32] = 5 << 4;
	return 40 + data;
}

static void
test_parse(void)
{
	struct tcp_key k, other;
	uint8_t p[128];
	uint32_t seq = 0;
	size_t n;

	key4(&k);
	n = segment4(&k, 123456, 50, p);
	CHECK_INT(tcpresume_parse(&k, p, n, &seq), TCPRESUME_OURS);
	CHECK_INT(seq, 123456);
	/* Cut by the capture's snap length: the headers are enough. */
	CHECK_INT(tcpresume_parse(&k, p, 40, &seq), TCPRESUME_OURS);
	/* A pure ACK carries no data: it says nothing of snd_una. */
	n = segment4(&k, 99, 0, p);
	CHECK_INT(tcpresume_parse(&k, p, n, &seq), 0);
	/* Another connection, or the far end's segment. */
	other = k;
	other.sport = 41823;
	n = segment4(&other, 5, 10, p);
	CHECK_INT(tcpresume_parse(&k, p, n, &seq), 0);
	memcpy(other.src, k.dst, 4);
	memcpy(other.dst, k.src, 4);
	other.sport = k.sport;
	n = segment4(&other, 5, 10, p);
	CHECK_INT(tcpresume_parse(&k, p, n, &seq), 0);
	/* The far end's segment: its ACK tells where our data stands. */
	memcpy(other.src, k.dst, 4);
	memcpy(other.dst, k.src, 4);
	other.sport = k.dport;
	other.dport = k.sport;
	n = segment4(&other, 777, 0, p);
	CHECK_INT(tcpresume_parse(&k, p, n, &seq), 0);	/* no ACK flag */
	p[33] = 0x10;					/* ACK */
	p[28] = 0x01;
	p[29] = 0x02;
	p[30] = 0x03;
	p[31] = 0x04;
	CHECK_INT(tcpresume_parse(&k, p, n, &seq), TCPRESUME_THEIRS);
	CHECK_INT(seq, 0x01020304);
	seq = 123456;
	/* Truncated or not IPv4. */
	n = segment4(&k, 5, 10, p);
	CHECK_INT(tcpresume_parse(&k, p, 30, &seq), 0);
	p[0] = 0x65;
	CHECK_INT(tcpresume_parse(&k, p, n, &seq), 0);
	CHECK_INT(seq, 123456);			/* untouched by the refusals */
}

static void
test_kick_refuses_bad_counts(void)
{
	struct tcp_key k;

	key4(&k);
	CHECK_INT(tcpresume_kick(&k, 1, 0), -1);
	CHECK_INT(tcpresume_kick(&k, 1, TCPRESUME_KICKS_MAX + 1), -1);
}

/*
 * The offset of snd_una over bytes_acked: believed only from two points
 * that agree at two different acknowledgement numbers; wraps mod 2^32.
 */
static void
test_offset(void)
{
	struct tcpresume_offset o;
	uint32_t seq = 0;

	memset(&o, 0, sizeof(o));
	CHECK(tcpresume_una(&o, 100, &seq) == 0);
	CHECK(tcpresume_learn(&o, 5000, 1000) == 0);	/* offset 4000 */
	CHECK(tcpresume_learn(&o, 5000, 1000) == 0);	/* the same ACK */
	/* An ACK not yet taken when sampled (bytes_acked lags): no. */
	CHECK(tcpresume_learn(&o, 5194, 1000) == 0);
	CHECK(tcpresume_una(&o, 100, &seq) == 0);
	/* The true offset again (4000), twice: believed at the second. */
	CHECK(tcpresume_learn(&o, 5388, 1388) == 0);
	CHECK(tcpresume_learn(&o, 5582, 1582) == 1);
	CHECK(tcpresume_una(&o, 2000, &seq) == 1);
	CHECK_INT(seq, 6000);
	/* Across the wrap of the sequence space. */
	memset(&o, 0, sizeof(o));
	CHECK(tcpresume_learn(&o, 0xfffffff0u, 10) == 0);
	CHECK(tcpresume_learn(&o, 0x00000010u, 42) == 1);
	CHECK(tcpresume_una(&o, (1ULL << 32) + 100, &seq) == 1);
	CHECK_INT(seq, (uint32_t)(0xffffffe6u + 100));
}

int
main(void)
{
	RUN(test_message_ipv4);
	RUN(test_message_ipv6);
	RUN(test_parse);
	RUN(test_kick_refuses_bad_counts);
	RUN(test_offset);
	return unit_done();
}
