/*
 * probe: build, authenticate, send, receive and judge in-tunnel probe
 * frames (the format and the rules are in probe.h).  Judging a frame never
 * writes to the probe; only a frame judged genuine and new is committed.
 */
#include <sys/random.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "probe.h"
#include "wire.h"

#define RTT_MAX_US	10000000ULL	/* an echo older than 10 s is stale */
#define KDF_DOMAIN	"vtundfix probe v2"

/* Field offsets from the frame's first byte (probe.h has the table). */
enum {
	OFF_MAGIC = 14, OFF_VERSION = 18, OFF_FLAGS = 19, OFF_LEN = 20,
	OFF_FULL_RX_LEN = 22, OFF_SENDER = 24, OFF_HOLD = 28, OFF_EPOCH = 32,
	OFF_SEQ = 40, OFF_TX = 48, OFF_ECHO_EPOCH = 56, OFF_ECHO_SEQ = 64,
	OFF_ECHO_US = 72, OFF_FULL_RX_SEQ = 80, OFF_FULL_SENT = 88,
	OFF_SESSION = 96
};

_Static_assert(OFF_SESSION + PROBE_SESSION_LEN == PROBE_HEADER_LEN,
    "header layout");
_Static_assert(PROBE_KEY_LEN == crypto_auth_KEYBYTES, "key length");
_Static_assert(PROBE_TAG_LEN == crypto_auth_BYTES, "tag length");

/* How a frame that passed its tag is taken, or not. */
enum verdict {
	DROP_REPLAY,		/* seen, too old, old or stale epoch */
	DROP_UNCONFIRMED,	/* an unproven sender past its grace */
	TAKE_SAME_EPOCH,	/* rule 3 */
	TAKE_NEW_EPOCH,		/* rules 1 and 2 */
	TAKE_DISPLACE		/* rule 4: the peer changed */
};

static const uint8_t probe_dst[6] = { 0x01, 0x80, 0xc2, 0x00, 0x00, 0x0e };
static const uint8_t magic[4] = { 'V', 'F', 'X', 'P' };

/* sodium_init() once per process; 1 when libsodium can be used. */
static int
sodium_ready(void)
{
	static int state;		/* 0 unknown, 1 ready, -1 unusable */

	if (state == 0)
		state = sodium_init() >= 0 ? 1 : -1;
	return state == 1;
}

/* --- the key --- */

static void
hash_counted(crypto_generichash_state *st, const char *s)
{
	uint8_t len[4];

	put32(len, (uint32_t)strlen(s));
	crypto_generichash_update(st, len, sizeof(len));
	crypto_generichash_update(st, (const uint8_t *)s, strlen(s));
}

int
probe_derive_key(const char *passwd, const char *session,
    uint8_t key[PROBE_KEY_LEN])
{
	crypto_generichash_state st;

	if (passwd == NULL || session == NULL || *passwd == '\0' ||
	    *session == '\0' || strlen(session) >= PROBE_SESSION_LEN ||
	    strlen(passwd) > UINT32_MAX || !sodium_ready()) {
		errno = EINVAL;
		return -1;
	}
	/* The domain with its NUL, then length-prefixed fields: no two
	 * (session, passwd) pairs hash the same input. */
	crypto_generichash_init(&st, NULL, 0, PROBE_KEY_LEN);
	crypto_generichash_update(&st, (const uint8_t *)KDF_DOMAIN,
	    sizeof(KDF_DOMAIN));
	hash_counted(&st, session);
	hash_counted(&st, passwd);
	crypto_generichash_final(&st, key, PROBE_KEY_LEN);
	sodium_memzero(&st, sizeof(st));
	return 0;
}

/* --- the frame --- */

static void
put_fields(const struct probe_frame *f, uint8_t *buf)
{
	memcpy(buf, probe_dst, 6);
	/* Source: locally administered, from the sender's id. */
	buf[6] = 0x02;
	buf[7] = 0x76;
	put32(buf + 8, f->sender_id);
	put16(buf + 12, PROBE_ETHERTYPE);
	memcpy(buf + OFF_MAGIC, magic, 4);
	buf[OFF_VERSION] = PROBE_VERSION;
	buf[OFF_FLAGS] = f->flags;
	put16(buf + OFF_LEN, f->len);
	put16(buf + OFF_FULL_RX_LEN, f->full_rx_len);
	put32(buf + OFF_SENDER, f->sender_id);
	put32(buf + OFF_HOLD, f->hold_us);
	put64(buf + OFF_EPOCH, f->epoch);
	put64(buf + OFF_SEQ, f->seq);
	put64(buf + OFF_TX, f->tx_us);
	put64(buf + OFF_ECHO_EPOCH, f->echo_epoch);
	put64(buf + OFF_ECHO_SEQ, f->echo_seq);
	put64(buf + OFF_ECHO_US, f->echo_us);
	put64(buf + OFF_FULL_RX_SEQ, f->full_rx_seq);
	put64(buf + OFF_FULL_SENT, f->full_sent);
	memcpy(buf + OFF_SESSION, f->session, strlen(f->session));
}

size_t
probe_frame_build(const struct probe_frame *f,
    const uint8_t key[PROBE_KEY_LEN], uint8_t *buf, size_t buflen)
{
	size_t len = f->len;

	if (len < PROBE_FRAME_LEN || len > buflen || len > PROBE_FRAME_MAX ||
	    memchr(f->session, '\0', PROBE_SESSION_LEN) == NULL ||
	    !sodium_ready())
		return 0;
	memset(buf, 0, len);
	put_fields(f, buf);
	crypto_auth(buf + len - PROBE_TAG_LEN, buf, len - PROBE_TAG_LEN, key);
	return len;
}

static void
get_fields(const uint8_t *buf, struct probe_frame *f)
{
	f->flags = buf[OFF_FLAGS];
	f->len = get16(buf + OFF_LEN);
	f->full_rx_len = get16(buf + OFF_FULL_RX_LEN);
	f->sender_id = get32(buf + OFF_SENDER);
	f->hold_us = get32(buf + OFF_HOLD);
	f->epoch = get64(buf + OFF_EPOCH);
	f->seq = get64(buf + OFF_SEQ);
	f->tx_us = get64(buf + OFF_TX);
	f->echo_epoch = get64(buf + OFF_ECHO_EPOCH);
	f->echo_seq = get64(buf + OFF_ECHO_SEQ);
	f->echo_us = get64(buf + OFF_ECHO_US);
	f->full_rx_seq = get64(buf + OFF_FULL_RX_SEQ);
	f->full_sent = get64(buf + OFF_FULL_SENT);
}

/* The session field: printable name, then only NUL bytes. */
static int
get_session(const uint8_t *p, char *session)
{
	size_t i;

	for (i = 0; i < PROBE_SESSION_LEN - 1 && p[i] != 0; i++) {
		if (p[i] < 0x21 || p[i] > 0x7e)
			return -1;
		session[i] = (char)p[i];
	}
	session[i] = '\0';
	for (; i < PROBE_SESSION_LEN; i++)
		if (p[i] != 0)
			return -1;
	return 0;
}

/* What no sender of ours writes: 0 ids, counters and lengths off. */
#define KNOWN_FLAGS	(PROBE_FLAG_FULL | PROBE_FLAG_SERVER | PROBE_FLAG_CLIENT)
#define SIDE_FLAGS	(PROBE_FLAG_SERVER | PROBE_FLAG_CLIENT)

static const char *
bad_values(const struct probe_frame *f, size_t received)
{
	int full = f->flags & PROBE_FLAG_FULL;

	if ((f->flags & ~KNOWN_FLAGS) || (f->flags & SIDE_FLAGS) == SIDE_FLAGS)
		return "unknown flags";
	if (f->len > received || f->len < PROBE_FRAME_LEN ||
	    (full ? f->len == PROBE_FRAME_LEN : f->len != PROBE_FRAME_LEN))
		return "bad length";
	if (f->sender_id == 0)
		return "sender id 0";
	if (f->epoch == 0 || f->seq == 0)
		return "epoch or seq 0";
	return NULL;
}

int
probe_frame_parse(const uint8_t *buf, size_t len, struct probe_frame *f,
    char *err, size_t errlen)
{
	const char *bad;

	memset(f, 0, sizeof(*f));
	if (len < PROBE_FRAME_LEN) {
		snprintf(err, errlen, "short frame (%zu bytes)", len);
		return -1;
	}
	if (memcmp(buf, probe_dst, 6) != 0 ||
	    get16(buf + 12) != PROBE_ETHERTYPE ||
	    memcmp(buf + OFF_MAGIC, magic, 4) != 0) {
		snprintf(err, errlen, "not a probe");
		return -1;
	}
	if (buf[OFF_VERSION] != PROBE_VERSION) {
		snprintf(err, errlen, "probe version %u", buf[OFF_VERSION]);
		return -1;
	}
	get_fields(buf, f);
	if (get_session(buf + OFF_SESSION, f->session) == -1)
		bad = "bad session name";
	else
		bad = bad_values(f, len);
	if (bad != NULL) {
		snprintf(err, errlen, "%s", bad);
		return -1;
	}
	return 0;
}

/* --- set-up and the socket --- */

void
probe_init(struct probe *pr, const char *tap, const char *session,
    const uint8_t key[PROBE_KEY_LEN], uint64_t epoch)
{

	memset(pr, 0, sizeof(*pr));
	pr->fd = -1;
	snprintf(pr->tap, sizeof(pr->tap), "%s", tap);
	snprintf(pr->session, sizeof(pr->session), "%s", session);
	memcpy(pr->key, key, PROBE_KEY_LEN);
	if (epoch == 0)
		epoch = clock_wall_us();
	pr->epoch = epoch;
	while (pr->id == 0)
		if (getrandom(&pr->id, sizeof(pr->id), 0) == -1)
			pr->id = (uint32_t)getpid() ^ (uint32_t)clock_us();
	(void)sodium_ready();
}

void
probe_set_side(struct probe *pr, enum probe_side side)
{
	pr->side = side;
}

static uint8_t
side_flag(enum probe_side side)
{
	return side == PROBE_SIDE_SERVER ? PROBE_FLAG_SERVER :
	    side == PROBE_SIDE_CLIENT ? PROBE_FLAG_CLIENT : 0;
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
	int ifindex, fd, one = 1;

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
	/* Arrival times from the kernel: frames may be read a while later. */
	(void)setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one));
	pr->fd = fd;
	pr->ifindex = ifindex;
	return 0;
}

/* --- loss --- */

static struct probe_bucket *
bucket_now(struct probe *pr)
{
	uint64_t s = clock_us() / 1000000;
	struct probe_bucket *b = &pr->loss[s % PROBE_LOSS_WINDOW_S];

	if (b->second != s) {
		b->second = s;
		b->expected = b->received = 0;
	}
	return b;
}

static void
count_loss(struct probe *pr, uint64_t expected, int received)
{
	struct probe_bucket *b = bucket_now(pr);

	b->expected += (uint32_t)(expected > UINT32_MAX ? UINT32_MAX :
	    expected);
	b->received += (uint32_t)received;
}

uint64_t
probe_unheard(const struct probe *pr)
{
	const struct probe_peer *p = &pr->peer;

	if (!p->have || p->echo_epoch != pr->epoch || p->echo_seq == 0 ||
	    p->echo_seq > pr->seq)
		return 0;
	return pr->seq - p->echo_seq;
}

double
probe_loss(const struct probe *pr)
{
	uint64_t s = clock_us() / 1000000, expected = 0, received = 0;
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

unsigned long
probe_dropped(const struct probe *pr)
{
	return pr->auth_failures + pr->replays + pr->malformed +
	    pr->unconfirmed;
}

/* --- judging a frame (reads the probe, never writes it) --- */

/*
 * Heard: F echoes a frame of ours sent after the peer's current epoch was
 * first taken (or the last reset), so it was made after that epoch
 * appeared: a recording of an earlier peer cannot be.
 */
static int
has_heard(const struct probe *pr, const struct probe_frame *f)
{
	return f->echo_epoch == pr->epoch && f->echo_seq > pr->peer.since &&
	    f->echo_seq <= pr->seq;
}

/* Fresh: heard, and lately: it echoes one of our last PROBE_FRESH_SEQS. */
static int
is_fresh(const struct probe *pr, const struct probe_frame *f)
{
	return has_heard(pr, f) && pr->seq - f->echo_seq < PROBE_FRESH_SEQS;
}

/* The peer's epoch was taken during our last PROBE_FRESH_SEQS sends. */
static int
peer_alive(const struct probe *pr)
{
	return pr->seq - pr->peer.taken_at < PROBE_FRESH_SEQS;
}

static enum verdict
refuse(char *why, size_t len, const char *what, uint64_t epoch,
    uint64_t seq)
{
	snprintf(why, len, "%s (epoch %llu seq %llu)", what,
	    (unsigned long long)epoch, (unsigned long long)seq);
	return DROP_REPLAY;
}

/* Rule 3: the anti-replay window of the peer's current epoch. */
static enum verdict
judge_window(const struct probe *pr, const struct probe_frame *f,
    char *why, size_t len)
{
	const struct probe_peer *p = &pr->peer;
	uint64_t d;

	if (f->seq <= p->top) {
		d = p->top - f->seq;
		if (d >= PROBE_WINDOW)
			return refuse(why, len, "older than the window",
			    f->epoch, f->seq);
		if (p->seen >> d & 1)
			return refuse(why, len, "seen before", f->epoch, f->seq);
	}
	/* A sender that never showed it hears us gets a grace, no more:
	 * what a recording replayed into a fresh probe can fake. */
	if (!p->proven && !has_heard(pr, f) &&
	    pr->seq - p->since >= PROBE_FRESH_SEQS) {
		snprintf(why, len, "epoch %llu does not hear us",
		    (unsigned long long)f->epoch);
		return DROP_UNCONFIRMED;
	}
	return TAKE_SAME_EPOCH;
}

static enum verdict
judge(const struct probe *pr, const struct probe_frame *f, char *why,
    size_t len)
{
	const struct probe_peer *p = &pr->peer;
	int fresh = is_fresh(pr, f);

	if (p->have && f->epoch == p->epoch)
		return judge_window(pr, f, why, len);
	if (!fresh && f->epoch <= p->stale)
		return refuse(why, len, "stale epoch", f->epoch, f->seq);
	if (!p->have || f->epoch > p->epoch)
		return TAKE_NEW_EPOCH;
	if (fresh && !(p->proven && peer_alive(pr)))
		return TAKE_DISPLACE;
	return refuse(why, len, "old epoch", f->epoch, f->seq);
}

/* --- committing a genuine frame --- */

static void
start_epoch(struct probe *pr, const struct probe_frame *f, enum verdict v)
{
	struct probe_peer *p = &pr->peer;

	if (v == TAKE_DISPLACE && p->epoch > p->stale)
		p->stale = p->epoch;
	if (p->have) {
		/* Another sender: its word on our full-size probes is
		 * about frames it never saw. */
		pr->mtu.pending = 0;
		pr->mtu.due = 1;
	}
	p->have = 1;
	p->epoch = f->epoch;
	p->top = f->seq;
	p->seen = 1;
	p->full_sent = f->full_sent;
	p->proven = 0;
	p->since = pr->seq;
	p->tx_us = p->rx_us = 0;
	p->echo_epoch = p->echo_seq = 0;
	p->full_rx_seq = 0;
	p->full_rx_len = 0;
	count_loss(pr, !(f->flags & PROBE_FLAG_FULL),
	    !(f->flags & PROBE_FLAG_FULL));
}

/* A frame of the current epoch; 1 if it is the newest so far. */
static int
advance_window(struct probe *pr, const struct probe_frame *f)
{
	struct probe_peer *p = &pr->peer;
	int small = !(f->flags & PROBE_FLAG_FULL);
	uint64_t gap, fulls, expected;

	if (f->seq <= p->top) {
		p->seen |= 1ULL << (p->top - f->seq);
		count_loss(pr, 0, small);
		return 0;
	}
	/* Small probes sent since the newest one: the gap less the
	 * full-size ones, which the MTU state accounts for. */
	gap = f->seq - p->top;
	fulls = f->full_sent >= p->full_sent ? f->full_sent - p->full_sent : 0;
	expected = gap > fulls ? gap - fulls : 0;
	if (expected < (uint64_t)small)
		expected = (uint64_t)small;
	count_loss(pr, expected, small);
	p->seen = gap >= PROBE_WINDOW ? 1 : p->seen << gap | 1;
	p->top = f->seq;
	p->full_sent = f->full_sent;
	return 1;
}

static void
update_rtt(struct probe *pr, const struct probe_frame *f, uint64_t now)
{
	uint64_t rtt;

	if (f->echo_epoch != pr->epoch || f->echo_us == 0 ||
	    f->echo_us > now || now - f->echo_us >= RTT_MAX_US ||
	    f->hold_us > now - f->echo_us)
		return;
	rtt = now - f->echo_us - f->hold_us;
	pr->rtt_ms = (double)rtt / 1000.0;
	pr->srtt_ms = pr->have_rtt ? pr->srtt_ms * 0.875 + pr->rtt_ms * 0.125 :
	    pr->rtt_ms;
	pr->have_rtt = 1;
}

/* The peer's word on our last full-size probe (issue 13, point 6). */
static void
judge_mtu(struct probe *pr, const struct probe_frame *f, uint64_t now_ms)
{
	struct probe_mtu *m = &pr->mtu;

	if (m->sent_seq == 0 || f->echo_epoch != pr->epoch)
		return;
	if (f->full_rx_seq >= m->sent_seq) {
		if (m->state != PROBE_MTU_OK)
			m->since_ms = now_ms;
		m->state = PROBE_MTU_OK;
		m->size = m->sent_size;
		m->pending = 0;
	} else if (m->pending && f->echo_seq >= m->sent_seq + 2) {
		/* Two later probes of ours arrived and it did not: lost,
		 * not merely overtaken. */
		if (m->state != PROBE_MTU_LOST)
			m->since_ms = m->sent_ms;
		m->state = PROBE_MTU_LOST;
		m->size = m->sent_size;
		m->pending = 0;
	}
}

/* NOW: when the frame arrived (the kernel's time stamp, or the clock). */
static void
commit(struct probe *pr, const struct probe_frame *f, enum verdict v,
    int heard, uint64_t now)
{
	struct probe_peer *p = &pr->peer;
	int newest = 1;

	if (v == TAKE_SAME_EPOCH)
		newest = advance_window(pr, f);
	else
		start_epoch(pr, f, v);
	p->proven |= heard;
	p->taken_at = pr->seq;
	pr->last_rx_ms = now / 1000;
	if (f->flags & PROBE_FLAG_FULL) {
		if (f->seq > p->full_rx_seq) {
			p->full_rx_seq = f->seq;
			p->full_rx_len = f->len;
		}
	} else if (newest) {
		p->tx_us = f->tx_us;
		p->rx_us = now;
		update_rtt(pr, f, now);
	}
	if (newest) {
		p->echo_epoch = f->echo_epoch;
		p->echo_seq = f->echo_seq;
		judge_mtu(pr, f, now / 1000);
	}
}

static int
drop(struct probe *pr, unsigned long *counter, const char *why)
{
	(*counter)++;
	snprintf(pr->last_drop, sizeof(pr->last_drop), "%s", why);
	return 0;
}

int
probe_take(struct probe *pr, const uint8_t *buf, size_t len)
{
	return probe_take_at(pr, buf, len, clock_us());
}

int
probe_take_at(struct probe *pr, const uint8_t *buf, size_t len,
    uint64_t arrived_us)
{
	struct probe_frame f;
	char why[80];
	enum verdict v;

	if (probe_frame_parse(buf, len, &f, why, sizeof(why)) == -1)
		return drop(pr, &pr->malformed, why);
	if (strcmp(f.session, pr->session) != 0) {
		snprintf(why, sizeof(why), "a probe of session %.40s",
		    f.session);
		return drop(pr, &pr->auth_failures, why);
	}
	if (!sodium_ready() || crypto_auth_verify(buf + f.len - PROBE_TAG_LEN,
	    buf, f.len - PROBE_TAG_LEN, pr->key) != 0)
		return drop(pr, &pr->auth_failures, "bad authentication tag");
	if (f.sender_id == pr->id && f.epoch == pr->epoch)
		return drop(pr, &pr->replays, "our own probe, come back");
	if (pr->side != PROBE_SIDE_UNKNOWN &&
	    (f.flags & side_flag(pr->side)) != 0)
		return drop(pr, &pr->replays, "a probe of our side, come back");
	v = judge(pr, &f, why, sizeof(why));
	if (v == DROP_REPLAY)
		return drop(pr, &pr->replays, why);
	if (v == DROP_UNCONFIRMED)
		return drop(pr, &pr->unconfirmed, why);
	commit(pr, &f, v, has_heard(pr, &f), arrived_us);
	return 1;
}

/* --- making and sending --- */

/* What we tell the peer of itself: echo, and its full-size probes. */
static void
fill_echo(const struct probe *pr, struct probe_frame *f, uint64_t now)
{
	const struct probe_peer *p = &pr->peer;

	if (!p->have)
		return;
	f->echo_epoch = p->epoch;
	f->echo_seq = p->top;
	if (p->rx_us != 0 && now - p->rx_us < RTT_MAX_US) {
		f->echo_us = p->tx_us;
		f->hold_us = (uint32_t)(now - p->rx_us);
	}
	f->full_rx_seq = p->full_rx_seq;
	f->full_rx_len = (uint16_t)p->full_rx_len;
}

static int
peer_hears_us(const struct probe *pr)
{
	return pr->peer.have && pr->peer.echo_epoch == pr->epoch;
}

/* A full-size probe about to go: remember it for judge_mtu. */
static void
note_full(struct probe *pr, size_t len, uint64_t now)
{
	struct probe_mtu *m = &pr->mtu;

	m->sent_seq = pr->seq;
	m->sent_size = (unsigned)len;
	m->sent_ms = now / 1000;
	/* Only a peer that hears us now can tell us it arrived; else one
	 * is still wanted. */
	m->pending = peer_hears_us(pr);
	m->due = !m->pending;
}

size_t
probe_make(struct probe *pr, uint8_t *buf, size_t len)
{
	struct probe_frame f;
	uint64_t now = clock_us();
	int full = len > PROBE_FRAME_LEN;

	if (len < PROBE_FRAME_LEN || len > PROBE_FRAME_MAX)
		return 0;
	memset(&f, 0, sizeof(f));
	f.flags = (uint8_t)((full ? PROBE_FLAG_FULL : 0) | side_flag(pr->side));
	f.len = (uint16_t)len;
	f.sender_id = pr->id;
	f.epoch = pr->epoch;
	f.seq = ++pr->seq;
	f.tx_us = now;
	if (full) {
		pr->full_sent++;
		note_full(pr, len, now);
	}
	f.full_sent = pr->full_sent;
	fill_echo(pr, &f, now);
	snprintf(f.session, sizeof(f.session), "%s", pr->session);
	return probe_frame_build(&f, pr->key, buf, len);
}

static int
send_frame(struct probe *pr, const uint8_t *buf, size_t len)
{
	if (len == 0) {
		errno = EIO;		/* libsodium unusable */
		return -1;
	}
	return send(pr->fd, buf, len, MSG_DONTWAIT) == (ssize_t)len ? 0 : -1;
}

int
probe_send(struct probe *pr)
{
	uint8_t buf[PROBE_FRAME_LEN];

	if (pr->fd == -1) {
		errno = ENODEV;
		return -1;
	}
	return send_frame(pr, buf, probe_make(pr, buf, sizeof(buf)));
}

int
probe_send_full(struct probe *pr, unsigned mtu)
{
	size_t len = (size_t)mtu + 14;
	uint8_t *buf;
	int r, saved;

	if (pr->fd == -1) {
		errno = ENODEV;
		return -1;
	}
	if (len <= PROBE_FRAME_LEN || len > PROBE_FRAME_MAX) {
		errno = EINVAL;
		return -1;
	}
	if ((buf = malloc(len)) == NULL)
		return -1;
	r = send_frame(pr, buf, probe_make(pr, buf, len));
	saved = errno;
	free(buf);
	if (r == -1)
		pr->mtu.pending = 0;	/* never sent: nothing to judge;
					   tried again after the interval */
	errno = saved;
	return r;
}

int
probe_full_due(const struct probe *pr)
{
	const struct probe_mtu *m = &pr->mtu;

	if (!peer_hears_us(pr))
		return 0;
	return m->due || m->sent_ms == 0 ||
	    clock_ms() - m->sent_ms >= PROBE_FULL_INTERVAL_MS;
}

void
probe_forget_peer(struct probe *pr)
{
	struct probe_peer *p = &pr->peer;

	/* Keep the epoch and its window: a replay stays a replay.  Forget
	 * only what the old session vouched for. */
	p->proven = 0;
	p->since = pr->seq;
	p->tx_us = p->rx_us = 0;
	p->echo_epoch = p->echo_seq = 0;
	pr->have_rtt = 0;
	pr->rtt_ms = pr->srtt_ms = 0;
	pr->mtu.pending = 0;
	pr->mtu.due = 1;
}

/* --- receiving --- */

/*
 * When the frame in MSG arrived, on the monotonic clock: its kernel time
 * stamp (wall clock) moved by the clocks' difference now; NOW if none.
 */
static uint64_t
arrival_us(struct msghdr *msg, uint64_t now, uint64_t wall_now)
{
	struct cmsghdr *c;
	struct timespec ts;
	uint64_t stamp;

	for (c = CMSG_FIRSTHDR(msg); c != NULL; c = CMSG_NXTHDR(msg, c)) {
		if (c->cmsg_level != SOL_SOCKET ||
		    c->cmsg_type != SCM_TIMESTAMPNS ||
		    c->cmsg_len < CMSG_LEN(sizeof(ts)))
			continue;
		memcpy(&ts, CMSG_DATA(c), sizeof(ts));
		stamp = (uint64_t)ts.tv_sec * 1000000 +
		    (uint64_t)ts.tv_nsec / 1000;
		if (stamp > wall_now || wall_now - stamp > now)
			return now;	/* the wall clock stepped */
		return now - (wall_now - stamp);
	}
	return now;
}

int
probe_receive(struct probe *pr)
{
	static uint8_t buf[PROBE_FRAME_MAX + 1];
	union {
		struct cmsghdr	 align;
		char		 space[CMSG_SPACE(sizeof(struct timespec))];
	} ctl;
	struct sockaddr_ll from;
	struct iovec iov;
	struct msghdr msg;
	uint64_t now = clock_us(), wall_now = clock_wall_us();
	ssize_t n;
	int got = 0;

	if (pr->fd == -1)
		return -1;
	for (;;) {
		memset(&from, 0, sizeof(from));
		memset(&msg, 0, sizeof(msg));
		iov.iov_base = buf;
		iov.iov_len = sizeof(buf);
		msg.msg_name = &from;
		msg.msg_namelen = sizeof(from);
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		msg.msg_control = ctl.space;
		msg.msg_controllen = sizeof(ctl.space);
		n = recvmsg(pr->fd, &msg, MSG_DONTWAIT | MSG_TRUNC);
		if (n == -1)
			return errno == EAGAIN || errno == EINTR ? got : -1;
		if (from.sll_pkttype == PACKET_OUTGOING)
			continue;
		if ((size_t)n > sizeof(buf)) {
			drop(pr, &pr->malformed, "frame too long");
			continue;
		}
		got += probe_take_at(pr, buf, (size_t)n,
		    arrival_us(&msg, now, wall_now));
	}
}
