/*
 * tcpresume: an RFC 6069 nudge for a TCP session stuck in retransmission
 * back-off (tcpresume.h says why and how).
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tcpresume.h"
#include "wire.h"

#define SNAPLEN		128	/* IP and TCP headers, options included */
#define CAPTURE_RCVBUF	65536
#define IP4_HLEN	20
#define IP6_HLEN	40
#define ICMP_HLEN	8
#define QUOTE_TCP	8	/* ports and sequence: what RFC 792 quotes */
#define PROTO_TCP	6
#define PROTO_ICMP	1
#define PROTO_ICMP6	58
#define ICMP_UNREACH	3
#define ICMP_HOST_UNREACH 1
#define ICMP6_UNREACH	1
#define ICMP6_NOROUTE	0
#ifndef IPV6_HDRINCL
#define IPV6_HDRINCL	36	/* <linux/in6.h>, Linux 4.5 */
#endif

struct tcpresume {
	int		 fd;
	struct tcp_key	 key;
	int		 have_ours, have_theirs;
	uint32_t	 ours, theirs;	/* the newest of each */
};

static size_t
addr_len(int family)
{
	return family == AF_INET6 ? 16 : 4;
}

/* --- the capture --- */

/*
 * The filter: KEY's TCP segments, cut to SNAPLEN: the outgoing ones (local
 * to far end: what the socket retransmits) and the incoming ones (their
 * acknowledgement number is where the socket's data stands).  IPv6 with
 * extension headers is not matched (vtund's connections have none); IPv4
 * fragments are not either.
 */
struct prog {
	struct sock_filter ins[96];
	unsigned	 n;
	unsigned	 fails[48];	/* jumps to patch to the branch's end */
	unsigned	 nfails;
};

static void
emit(struct prog *p, uint16_t code, uint32_t k)
{
	p->ins[p->n++] = (struct sock_filter)BPF_STMT(code, k);
}

/* Go on if A == K, else to the next branch. */
static void
require(struct prog *p, uint32_t k)
{
	p->fails[p->nfails++] = p->n;
	p->ins[p->n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ |
	    BPF_K, k, 0, 0);
}

static void
require_word(struct prog *p, uint32_t off, const uint8_t *bytes)
{
	emit(p, BPF_LD | BPF_W | BPF_ABS, off);
	require(p, get32(bytes));
}

/* Accept packets of PKTTYPE from SRC to DST with PORTS (source << 16 |
 * destination); anything else goes on to what follows. */
static void
branch(struct prog *p, int family, uint32_t pkttype, const uint8_t *src,
    const uint8_t *dst, uint32_t ports)
{
	unsigned i;

	p->nfails = 0;
	emit(p, BPF_LD | BPF_B | BPF_ABS, SKF_AD_OFF + SKF_AD_PKTTYPE);
	require(p, pkttype);
	emit(p, BPF_LD | BPF_H | BPF_ABS, SKF_AD_OFF + SKF_AD_PROTOCOL);
	if (family == AF_INET6) {
		require(p, ETH_P_IPV6);
		emit(p, BPF_LD | BPF_B | BPF_ABS, 6);	/* next header */
		require(p, PROTO_TCP);
		for (i = 0; i < 4; i++)
			require_word(p, 8 + 4 * i, src + 4 * i);
		for (i = 0; i < 4; i++)
			require_word(p, 24 + 4 * i, dst + 4 * i);
		emit(p, BPF_LD | BPF_W | BPF_ABS, IP6_HLEN);
		require(p, ports);
	} else {
		require(p, ETH_P_IP);
		emit(p, BPF_LD | BPF_B | BPF_ABS, 9);	/* protocol */
		require(p, PROTO_TCP);
		require_word(p, 12, src);
		require_word(p, 16, dst);
		emit(p, BPF_LD | BPF_H | BPF_ABS, 6);	/* fragment offset */
		p->fails[p->nfails++] = p->n;
		p->ins[p->n++] = (struct sock_filter)BPF_JUMP(BPF_JMP |
		    BPF_JSET | BPF_K, 0x1fff, 0, 0);	/* patched: jt */
		emit(p, BPF_LDX | BPF_B | BPF_MSH, 0);	/* X = header length */
		emit(p, BPF_LD | BPF_W | BPF_IND, 0);
		require(p, ports);
	}
	emit(p, BPF_RET | BPF_K, SNAPLEN);
	for (i = 0; i < p->nfails; i++) {
		struct sock_filter *f = &p->ins[p->fails[i]];
		uint8_t off = (uint8_t)(p->n - p->fails[i] - 1);

		if (BPF_OP(f->code) == BPF_JSET)
			f->jt = off;
		else
			f->jf = off;
	}
}

static void
build_filter(const struct tcp_key *key, struct prog *p)
{
	memset(p, 0, sizeof(*p));
	branch(p, key->family, PACKET_OUTGOING, key->src, key->dst,
	    (uint32_t)key->sport << 16 | key->dport);
	branch(p, key->family, PACKET_HOST, key->dst, key->src,
	    (uint32_t)key->dport << 16 | key->sport);
	emit(p, BPF_RET | BPF_K, 0);
}

struct tcpresume *
tcpresume_open(const struct tcp_key *key)
{
	struct tcpresume *r;
	struct prog p;
	struct sock_fprog fp;
	struct sockaddr_ll sll;
	int size = CAPTURE_RCVBUF, e;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	r->key = *key;
	/* Protocol 0: nothing arrives before the filter is in place. */
	r->fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (r->fd == -1)
		goto fail;
	build_filter(key, &p);
	fp.len = (unsigned short)p.n;
	fp.filter = p.ins;
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ALL);	/* outgoing: only ALL sees */
	if (setsockopt(r->fd, SOL_SOCKET, SO_ATTACH_FILTER, &fp,
	    sizeof(fp)) == -1 ||
	    setsockopt(r->fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size)) ==
	    -1 ||
	    bind(r->fd, (struct sockaddr *)&sll, sizeof(sll)) == -1)
		goto fail;
	return r;
fail:
	e = errno;
	tcpresume_close(r);
	errno = e;
	return NULL;
}

int
tcpresume_fd(const struct tcpresume *r)
{
	return r->fd;
}

void
tcpresume_close(struct tcpresume *r)
{
	if (r == NULL)
		return;
	if (r->fd != -1)
		close(r->fd);
	free(r);
}

/* Where the IP header says the segment goes: 1 KEY's way, -1 the other
 * way, 0 neither.  *IP and *TOTAL: header and packet length. */
static int
direction(const struct tcp_key *key, const uint8_t *pkt, size_t len,
    size_t *ip, size_t *total)
{
	size_t a = addr_len(key->family), soff, doff;

	if (key->family == AF_INET6) {
		if (len < IP6_HLEN + 20 || pkt[0] >> 4 != 6 ||
		    pkt[6] != PROTO_TCP)
			return 0;
		*ip = IP6_HLEN;
		*total = IP6_HLEN + get16(pkt + 4);
		soff = 8;
		doff = 24;
	} else {
		if (len < IP4_HLEN || pkt[0] >> 4 != 4 || pkt[9] != PROTO_TCP)
			return 0;
		*ip = (size_t)(pkt[0] & 0x0f) * 4;
		*total = get16(pkt + 2);
		if (*ip < IP4_HLEN || len < *ip + 20)
			return 0;
		soff = 12;
		doff = 16;
	}
	if (memcmp(pkt + soff, key->src, a) == 0 &&
	    memcmp(pkt + doff, key->dst, a) == 0 &&
	    get16(pkt + *ip) == key->sport && get16(pkt + *ip + 2) == key->dport)
		return 1;
	if (memcmp(pkt + soff, key->dst, a) == 0 &&
	    memcmp(pkt + doff, key->src, a) == 0 &&
	    get16(pkt + *ip) == key->dport && get16(pkt + *ip + 2) == key->sport)
		return -1;
	return 0;
}

int
tcpresume_parse(const struct tcp_key *key, const uint8_t *pkt, size_t len,
    uint32_t *seq)
{
	size_t ip, total, doff;
	int dir = direction(key, pkt, len, &ip, &total);

	if (dir == 0)
		return 0;
	doff = (size_t)(pkt[ip + 12] >> 4) * 4;
	if (doff < 20)
		return 0;
	if (dir == 1) {
		if (total <= ip + doff)
			return 0;	/* ours without data: says nothing */
		*seq = get32(pkt + ip + 4);
		return TCPRESUME_OURS;
	}
	if (!(pkt[ip + 13] & 0x10))
		return 0;		/* the peer's, without an ACK */
	*seq = get32(pkt + ip + 8);	/* what it acknowledges */
	return TCPRESUME_THEIRS;
}

int
tcpresume_drain(struct tcpresume *r, uint32_t *ack, int *have)
{
	uint8_t buf[SNAPLEN];
	uint32_t s;
	ssize_t n;
	int count = 0;

	while ((n = recv(r->fd, buf, sizeof(buf), MSG_TRUNC)) >= 0) {
		count++;
		switch (tcpresume_parse(&r->key, buf, (size_t)n < sizeof(buf) ?
		    (size_t)n : sizeof(buf), &s)) {
		case TCPRESUME_OURS:
			r->ours = s;
			r->have_ours = 1;
			break;
		case TCPRESUME_THEIRS:
			r->theirs = s;
			r->have_theirs = 1;
			break;
		}
	}
	if (ack != NULL)
		*ack = r->theirs;
	if (have != NULL)
		*have = r->have_theirs;
	return count;
}

int
tcpresume_head(struct tcpresume *r, uint32_t *seq)
{
	(void)tcpresume_drain(r, NULL, NULL);
	/* Our retransmission is the head itself; the far end's ACK is
	 * where the head stands only once this kernel has taken it (not
	 * when a local firewall dropped it after the capture). */
	if (r->have_ours)
		*seq = r->ours;
	else if (r->have_theirs)
		*seq = r->theirs;
	return r->have_ours || r->have_theirs;
}

/* --- snd_una from bytes_acked --- */

int
tcpresume_learn(struct tcpresume_offset *o, uint32_t ack, uint64_t bytes_acked)
{
	uint32_t point = ack - (uint32_t)bytes_acked;

	if (o->known)
		return 1;
	if (o->have_point && ack != o->point_ack && point == o->point) {
		o->known = 1;
		o->offset = point;
		return 1;
	}
	o->have_point = 1;
	o->point = point;
	o->point_ack = ack;
	return 0;
}

int
tcpresume_una(const struct tcpresume_offset *o, uint64_t bytes_acked,
    uint32_t *seq)
{
	if (!o->known)
		return 0;
	*seq = o->offset + (uint32_t)bytes_acked;
	return 1;
}

/* --- the message --- */

static uint32_t
sum16(const uint8_t *p, size_t len, uint32_t sum)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += get16(p + i);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static uint16_t
fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* The quoted segment: KEY's local end to its far end. */
static size_t
quote(const struct tcp_key *key, uint32_t seq, uint8_t *q)
{
	size_t a = addr_len(key->family), h;

	if (key->family == AF_INET6) {
		q[0] = 0x60;
		put16(q + 4, 20);
		q[6] = PROTO_TCP;
		q[7] = 64;
		memcpy(q + 8, key->src, a);
		memcpy(q + 24, key->dst, a);
		h = IP6_HLEN;
	} else {
		q[0] = 0x45;
		put16(q + 2, IP4_HLEN + 20);
		q[6] = 0x40;			/* don't fragment */
		q[8] = 64;
		q[9] = PROTO_TCP;
		memcpy(q + 12, key->src, a);
		memcpy(q + 16, key->dst, a);
		put16(q + 10, fold(sum16(q, IP4_HLEN, 0)));
		h = IP4_HLEN;
	}
	put16(q + h, key->sport);
	put16(q + h + 2, key->dport);
	put32(q + h + 4, seq);
	return h + QUOTE_TCP;
}

size_t
tcpresume_message(const struct tcp_key *key, uint32_t seq, uint8_t *buf,
    size_t len)
{
	size_t a = addr_len(key->family), h, body;
	uint8_t *icmp;
	uint32_t sum;

	h = key->family == AF_INET6 ? IP6_HLEN : IP4_HLEN;
	if (len < h + ICMP_HLEN + h + QUOTE_TCP)
		return 0;
	memset(buf, 0, h + ICMP_HLEN + h + QUOTE_TCP);
	icmp = buf + h;
	body = ICMP_HLEN + quote(key, seq, icmp + ICMP_HLEN);
	if (key->family == AF_INET6) {
		buf[0] = 0x60;
		put16(buf + 4, (uint16_t)body);
		buf[6] = PROTO_ICMP6;
		buf[7] = 64;
		memcpy(buf + 8, key->dst, a);		/* from the far end */
		memcpy(buf + 24, key->src, a);		/* to us */
		icmp[0] = ICMP6_UNREACH;
		icmp[1] = ICMP6_NOROUTE;
		/* The pseudo-header: addresses, length, next header. */
		sum = sum16(buf + 8, 32, 0) + (uint32_t)body + PROTO_ICMP6;
		put16(icmp + 2, fold(sum16(icmp, body, sum)));
	} else {
		buf[0] = 0x45;
		put16(buf + 2, (uint16_t)(h + body));
		buf[8] = 64;
		buf[9] = PROTO_ICMP;
		memcpy(buf + 12, key->dst, a);
		memcpy(buf + 16, key->src, a);
		put16(buf + 10, fold(sum16(buf, IP4_HLEN, 0)));
		icmp[0] = ICMP_UNREACH;
		icmp[1] = ICMP_HOST_UNREACH;
		put16(icmp + 2, fold(sum16(icmp, body, 0)));
	}
	return h + body;
}

int
tcpresume_kick(const struct tcp_key *key, uint32_t seq, unsigned n)
{
	uint8_t msg[IP6_HLEN * 2 + ICMP_HLEN + QUOTE_TCP];
	struct sockaddr_storage to;
	socklen_t tolen;
	size_t len = tcpresume_message(key, seq, msg, sizeof(msg));
	int fd, on = 1, e;
	unsigned i;

	if (n == 0 || n > TCPRESUME_KICKS_MAX) {
		errno = EINVAL;
		return -1;
	}
	memset(&to, 0, sizeof(to));
	if (key->family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&to;

		s6->sin6_family = AF_INET6;
		memcpy(&s6->sin6_addr, key->src, 16);
		tolen = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&to;

		s4->sin_family = AF_INET;
		memcpy(&s4->sin_addr, key->src, 4);
		tolen = sizeof(*s4);
	}
	/* IPPROTO_RAW: the header is ours (IPv6: IPV6_HDRINCL as well). */
	fd = socket(key->family, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	if (fd == -1)
		return -1;
	if (key->family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_HDRINCL, &on, sizeof(on)) == -1)
		goto fail;
	for (i = 0; i < n; i++)
		if (sendto(fd, msg, len, 0, (struct sockaddr *)&to, tolen) !=
		    (ssize_t)len)
			goto fail;
	close(fd);
	return 0;
fail:
	e = errno;
	close(fd);
	errno = e;
	return -1;
}
