/*
 * probe: build, send, receive and judge in-tunnel probe frames.
 */
#include <sys/random.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "probe.h"

#define PROBE_VERSION	1
#define RTT_MAX_US	10000000ULL	/* an echo older than 10 s is stale */

static const uint8_t probe_dst[6] = { 0x01, 0x80, 0xc2, 0x00, 0x00, 0x0e };
static const uint8_t magic[4] = { 'V', 'F', 'X', 'P' };

static uint64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static void
put32(uint8_t *p, uint32_t v)
{
	v = htonl(v);
	memcpy(p, &v, 4);
}

static void
put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)(v >> 32));
	put32(p + 4, (uint32_t)v);
}

static uint32_t
get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return ntohl(v);
}

static uint64_t
get64(const uint8_t *p)
{
	return (uint64_t)get32(p) << 32 | get32(p + 4);
}

void
probe_frame_build(const struct probe_frame *f, uint8_t *buf)
{
	uint8_t *p = buf + 14;

	memset(buf, 0, PROBE_FRAME_LEN);
	memcpy(buf, probe_dst, 6);
	/* Source: locally administered, derived from the sender's id. */
	buf[6] = 0x02;
	buf[7] = 0x76;
	put32(buf + 8, f->my_id);
	buf[12] = PROBE_ETHERTYPE >> 8;
	buf[13] = PROBE_ETHERTYPE & 0xff;
	memcpy(p, magic, 4);
	p[4] = f->version;
	p[5] = f->flags;
	put32(p + 8, f->my_id);
	put32(p + 12, f->your_id);
	put32(p + 16, f->seq);
	put64(p + 20, f->tx_us);
	put64(p + 28, f->echo_us);
	put32(p + 36, f->hold_us);
	memcpy(p + 40, f->session, strnlen(f->session, PROBE_SESSION_LEN));
}

int
probe_frame_parse(const uint8_t *buf, size_t len, struct probe_frame *f,
    char *err, size_t errlen)
{
	const uint8_t *p = buf + 14;
	size_t i;

	memset(f, 0, sizeof(*f));
	if (len < PROBE_FRAME_LEN) {
		snprintf(err, errlen, "short frame (%zu bytes)", len);
		return -1;
	}
	if (memcmp(buf, probe_dst, 6) != 0 ||
	    buf[12] != PROBE_ETHERTYPE >> 8 ||
	    buf[13] != (PROBE_ETHERTYPE & 0xff) || memcmp(p, magic, 4) != 0) {
		snprintf(err, errlen, "not a probe");
		return -1;
	}
	if (p[4] != PROBE_VERSION) {
		snprintf(err, errlen, "probe version %u", p[4]);
		return -1;
	}
	f->version = p[4];
	f->flags = p[5];
	f->my_id = get32(p + 8);
	f->your_id = get32(p + 12);
	f->seq = get32(p + 16);
	f->tx_us = get64(p + 20);
	f->echo_us = get64(p + 28);
	f->hold_us = get32(p + 36);
	for (i = 0; i < PROBE_SESSION_LEN; i++) {
		uint8_t c = p[40 + i];

		if (c == 0)
			break;
		if (c < 0x21 || c > 0x7e) {
			snprintf(err, errlen, "bad session name");
			return -1;
		}
		f->session[i] = (char)c;
	}
	for (; i < PROBE_SESSION_LEN; i++)
		if (p[40 + i] != 0) {
			snprintf(err, errlen, "bad session padding");
			return -1;
		}
	if (f->my_id == 0) {
		snprintf(err, errlen, "sender id 0");
		return -1;
	}
	return 0;
}

void
probe_init(struct probe *pr, const char *tap, const char *session)
{
	memset(pr, 0, sizeof(*pr));
	pr->fd = -1;
	snprintf(pr->tap, sizeof(pr->tap), "%s", tap);
	snprintf(pr->session, sizeof(pr->session), "%s", session);
	while (pr->my_id == 0)
		if (getrandom(&pr->my_id, sizeof(pr->my_id), 0) == -1)
			pr->my_id = (uint32_t)getpid() ^ (uint32_t)now_us();
}

void
probe_close(struct probe *pr)
{
	if (pr->fd != -1)
		close(pr->fd);
	pr->fd = -1;
	pr->ifindex = 0;
}

int
probe_bind(struct probe *pr)
{
	struct sockaddr_ll sll;
	int ifindex, fd;

	if ((ifindex = (int)if_nametoindex(pr->tap)) == 0) {
		probe_close(pr);
		errno = ENODEV;
		return -1;
	}
	if (pr->fd != -1 && ifindex == pr->ifindex)
		return 0;
	probe_close(pr);
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    htons(PROBE_ETHERTYPE));
	if (fd == -1)
		return -1;
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(PROBE_ETHERTYPE);
	sll.sll_ifindex = ifindex;
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) == -1) {
		close(fd);
		return -1;
	}
	pr->fd = fd;
	pr->ifindex = ifindex;
	return 0;
}

int
probe_send(struct probe *pr)
{
	struct probe_frame f;
	uint8_t buf[PROBE_FRAME_LEN];
	uint64_t now = now_us();

	if (pr->fd == -1) {
		errno = ENODEV;
		return -1;
	}
	memset(&f, 0, sizeof(f));
	f.version = PROBE_VERSION;
	f.my_id = pr->my_id;
	f.your_id = pr->have_peer ? pr->peer_id : 0;
	f.seq = ++pr->seq;
	f.tx_us = now;
	if (pr->have_peer && now - pr->peer_rx_us < RTT_MAX_US) {
		f.echo_us = pr->peer_tx_us;
		f.hold_us = (uint32_t)(now - pr->peer_rx_us);
	}
	snprintf(f.session, sizeof(f.session), "%s", pr->session);
	probe_frame_build(&f, buf);
	if (send(pr->fd, buf, sizeof(buf), MSG_DONTWAIT) == -1)
		return -1;
	return 0;
}

static struct probe_bucket *
bucket_now(struct probe *pr)
{
	uint64_t s = now_us() / 1000000;
	struct probe_bucket *b = &pr->loss[s % PROBE_LOSS_WINDOW_S];

	if (b->second != s) {
		b->second = s;
		b->expected = b->received = 0;
	}
	return b;
}

double
probe_loss(const struct probe *pr)
{
	uint64_t s = now_us() / 1000000, expected = 0, received = 0;
	int i;

	for (i = 0; i < PROBE_LOSS_WINDOW_S; i++) {
		const struct probe_bucket *b = &pr->loss[i];

		if (b->second + PROBE_LOSS_WINDOW_S > s) {
			expected += b->expected;
			received += b->received;
		}
	}
	if (expected == 0)
		return -1;
	return received >= expected ? 0 : 1.0 - (double)received / expected;
}

static void
drop(struct probe *pr, const char *why)
{
	pr->dropped++;
	snprintf(pr->last_drop, sizeof(pr->last_drop), "%s", why);
}

/* A parsed frame from the peer: is it fresh, and what does it tell? */
static int
take_frame(struct probe *pr, const struct probe_frame *f)
{
	struct probe_bucket *b;
	uint64_t now = now_us(), rtt;

	if (strcmp(f->session, pr->session) != 0)
		return drop(pr, "foreign session"), 0;
	if (f->my_id == pr->my_id)
		return drop(pr, "our own probe"), 0;
	if (pr->have_peer && f->my_id == pr->peer_id &&
	    f->seq <= pr->peer_seq)
		return drop(pr, "stale or replayed sequence"), 0;
	b = bucket_now(pr);
	b->expected += pr->have_peer && f->my_id == pr->peer_id ?
	    f->seq - pr->peer_seq : 1;
	b->received++;
	pr->have_peer = 1;
	pr->peer_id = f->my_id;
	pr->peer_seq = f->seq;
	pr->peer_tx_us = f->tx_us;
	pr->peer_rx_us = now;
	pr->last_rx_ms = now / 1000;
	if (f->your_id == pr->my_id && f->echo_us != 0 && f->echo_us <= now &&
	    now - f->echo_us < RTT_MAX_US && f->hold_us <= now - f->echo_us) {
		rtt = now - f->echo_us - f->hold_us;
		pr->rtt_ms = rtt / 1000.0;
		pr->srtt_ms = pr->have_rtt ? pr->srtt_ms * 0.875 +
		    pr->rtt_ms * 0.125 : pr->rtt_ms;
		pr->have_rtt = 1;
	}
	return 1;
}

int
probe_receive(struct probe *pr)
{
	uint8_t buf[2048];
	struct sockaddr_ll from;
	socklen_t fromlen;
	struct probe_frame f;
	char err[80];
	ssize_t n;
	int got = 0;

	if (pr->fd == -1)
		return -1;
	for (;;) {
		memset(&from, 0, sizeof(from));
		fromlen = sizeof(from);
		n = recvfrom(pr->fd, buf, sizeof(buf), MSG_DONTWAIT,
		    (struct sockaddr *)&from, &fromlen);
		if (n == -1)
			return errno == EAGAIN || errno == EINTR ? got : -1;
		if (from.sll_pkttype == PACKET_OUTGOING)
			continue;
		if (probe_frame_parse(buf, (size_t)n, &f, err,
		    sizeof(err)) == -1) {
			drop(pr, err);
			continue;
		}
		got += take_frame(pr, &f);
	}
}
