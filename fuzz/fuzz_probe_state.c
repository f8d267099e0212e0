/*
 * libFuzzer target: two probe ends talking, with hostile frames among the
 * genuine ones (issue 14, point 7).  The input is a script: each byte an
 * operation, some followed by argument bytes.  Invariants checked:
 *   - a genuine frame delivered as soon as it is made is taken (the
 *     script keeps both ends hearing each other: a direction loses at
 *     most MAX_LOST frames in a row);
 *   - a genuine frame delivered late (reordered, or after a restart) is
 *     taken exactly when it is new to the receiver's view of its sender:
 *     a higher epoch, or a seq of the same epoch inside the window;
 *   - a hostile frame (raw bytes; a delivered frame replayed, flipped,
 *     cut, lengthened or overwritten; a frame sent back to its sender) is
 *     dropped and leaves the receiver as it was, byte for byte, but for
 *     its drop counters;
 *   - a full-size probe heard by the peer is "ok" at its sender after the
 *     peer's next frame; one lost is "lost" after two more round trips.
 * The ends restart (with higher epochs) and forget their peers on the
 * script's word.  The script cannot forge a tag: it has no key.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_LOST	4		/* in a row, per direction */
#define FULL_LEN	300		/* a full-size probe (MTU 286) */
#define NREC		16		/* frames kept for replays */
#define MAX_OPS		400

struct script {
	const uint8_t	*p;
	size_t		 n;
};

struct end {
	struct probe	 p;
	int		 life;		/* restarts so far */
	int		 lost;		/* its frames lost in a row */
};

struct rec {
	uint8_t		 buf[FULL_LEN];
	size_t		 len;
	int		 from;		/* 0 or 1 */
	uint64_t	 epoch, seq;
	int		 taken_life;	/* receiver's life that took it, -1 */
};

static struct end ends[2];
static struct rec recs[NREC];
static int nrec, next_rec;
static uint8_t key[PROBE_KEY_LEN];

static int
next(struct script *s)
{
	if (s->n == 0)
		return -1;
	s->n--;
	return *s->p++;
}

static uint8_t
arg(struct script *s)
{
	int c = next(s);

	return c < 0 ? 0 : (uint8_t)c;
}

/* Two argument bytes, high one first (one call each: sequenced). */
static size_t
arg16(struct script *s)
{
	size_t hi = arg(s);

	return hi << 8 | arg(s);
}

static void
fail(const char *what, const struct probe *p)
{
	fprintf(stderr, "fuzz_probe_state: %s (last drop: %s)\n", what,
	    p->last_drop);
	abort();
}

static void
start(int i, uint64_t epoch)
{
	struct end *e = &ends[i];

	probe_init(&e->p, "tap0", "lcsr", key, epoch);
	probe_set_side(&e->p, i == 0 ? PROBE_SIDE_SERVER : PROBE_SIDE_CLIENT);
	e->p.id = (uint32_t)(0x100 * (i + 1) + e->life);	/* repeatable */
	e->lost = 0;
}

static unsigned long
drops(const struct probe *p)
{
	return p->auth_failures + p->replays + p->malformed + p->unconfirmed;
}

static int
same_state(const struct probe *x, const struct probe *y)
{
	struct probe a, b;

	memcpy(&a, x, sizeof(a));
	memcpy(&b, y, sizeof(b));
	a.auth_failures = a.replays = a.malformed = a.unconfirmed = 0;
	b.auth_failures = b.replays = b.malformed = b.unconfirmed = 0;
	memset(a.last_drop, 0, sizeof(a.last_drop));
	memset(b.last_drop, 0, sizeof(b.last_drop));
	return memcmp(&a, &b, sizeof(a)) == 0;
}

/* Hostile BUF into end TO: dropped, counted, nothing else changed. */
static void
hostile(int to, const uint8_t *buf, size_t len)
{
	static struct probe before;
	struct probe *p = &ends[to].p;

	memcpy(&before, p, sizeof(before));
	if (probe_take(p, buf, len) != 0)
		fail("a hostile frame was taken", p);
	if (!same_state(&before, p) || drops(p) != drops(&before) + 1)
		fail("a hostile frame changed the state", p);
}

/* Make FROM's next frame of LEN bytes and keep it; the record. */
static struct rec *
make(int from, size_t len)
{
	struct rec *r = &recs[next_rec];

	next_rec = (next_rec + 1) % NREC;
	if (nrec < NREC)
		nrec++;
	if (probe_make(&ends[from].p, r->buf, len) != len)
		fail("probe_make failed", &ends[from].p);
	r->len = len;
	r->from = from;
	r->epoch = ends[from].p.epoch;
	r->seq = ends[from].p.seq;
	r->taken_life = -1;
	return r;
}

static void
deliver_now(struct rec *r)
{
	int to = 1 - r->from;

	if (probe_take(&ends[to].p, r->buf, r->len) != 1)
		fail("a genuine frame was not taken", &ends[to].p);
	r->taken_life = ends[to].life;
	ends[r->from].lost = 0;
}

static void
genuine(int from, size_t len)
{
	deliver_now(make(from, len));
}

static void
round_trip(int from)
{
	genuine(from, PROBE_FRAME_LEN);
	genuine(1 - from, PROBE_FRAME_LEN);
}

static void
lose(int from, size_t len)
{
	if (ends[from].lost >= MAX_LOST) {
		genuine(from, len);
		return;
	}
	(void)make(from, len);
	ends[from].lost++;
}

/* A full-size probe, heard or lost, and what its sender learns. */
static void
full_probe(int from, int heard)
{
	struct probe *p = &ends[from].p;
	struct rec *r = make(from, FULL_LEN);
	int pending = p->mtu.pending;
	uint64_t sent_ms = p->mtu.sent_ms, peer_epoch = p->peer.epoch;

	if (heard) {
		deliver_now(r);
		genuine(1 - from, PROBE_FRAME_LEN);
		if (pending && (p->mtu.state != PROBE_MTU_OK ||
		    p->mtu.size != FULL_LEN))
			fail("a full-size probe arrived, not ok", p);
		return;
	}
	round_trip(from);
	round_trip(from);
	/* A peer that restarted meanwhile never had the chance: the
	 * judgement is dropped and a new full-size probe wanted. */
	if (p->peer.epoch != peer_epoch) {
		if (p->mtu.pending || !p->mtu.due)
			fail("a restarted peer judged a full-size probe", p);
		return;
	}
	if (pending && (p->mtu.state != PROBE_MTU_LOST ||
	    p->mtu.since_ms > sent_ms))
		fail("a full-size probe was lost, not lost", p);
}

/* A frame never delivered, delivered now: taken exactly when new. */
static void
late(struct rec *r)
{
	int to = 1 - r->from;
	struct probe *p = &ends[to].p;
	const struct probe_peer *v = &p->peer;
	unsigned long unconfirmed = p->unconfirmed;
	int want, got;

	if (!v->have || r->epoch > v->epoch)
		want = 1;
	else if (r->epoch < v->epoch)
		want = 0;
	else
		want = r->seq > v->top || v->top - r->seq < PROBE_WINDOW;
	if (!want) {
		hostile(to, r->buf, r->len);
		return;
	}
	got = probe_take(p, r->buf, r->len);
	/* Taken, or refused only because its sender is not yet shown to
	 * hear us (rule 3's grace). */
	if (!got && (v->proven || p->unconfirmed != unconfirmed + 1))
		fail("a late genuine frame was refused", p);
	if (got)
		r->taken_life = ends[to].life;
}

/* A frame the receiver's present life took, altered by the script. */
static void
tamper(struct script *s, struct rec *r)
{
	uint8_t bad[FULL_LEN + 64];
	int to = arg(s) & 1 ? r->from : 1 - r->from;
	size_t len = r->len, i, n;

	memcpy(bad, r->buf, r->len);
	switch (arg(s) % 4) {
	case 0:				/* flip bytes */
		for (n = arg(s) % 4 + 1; n > 0; n--) {
			i = arg16(s) % len;
			bad[i] ^= arg(s) | 1;
		}
		break;
	case 1:				/* cut */
		len = arg16(s) % len;
		break;
	case 2:				/* lengthen */
		for (n = arg(s) % 64 + 1; n > 0; n--)
			bad[len++] = arg(s);
		break;
	default:			/* overwrite 8 bytes anywhere */
		i = arg16(s) % (len - 8);
		for (n = 0; n < 8; n++)
			bad[i + n] = arg(s);
		break;
	}
	hostile(to, bad, len);
}

static struct rec *
pick(struct script *s)
{
	return nrec == 0 ? NULL : &recs[arg(s) % nrec];
}

/* A record fit for replay or tampering: taken by the receiver's present
 * life (else it would be new to it), or sent back to its sender. */
static int
replayable(const struct rec *r)
{
	return r != NULL && r->taken_life == ends[1 - r->from].life;
}

static void
raw(struct script *s)
{
	uint8_t buf[512];
	size_t len = (size_t)arg(s) * 2, i;
	int to = arg(s) & 1;

	for (i = 0; i < len; i++)
		buf[i] = arg(s);
	hostile(to, buf, len);
}

static void
step(struct script *s, int op)
{
	int x = op & 1;
	struct rec *r;

	switch (op >> 1) {
	case 0: case 1: case 2:
		genuine(x, PROBE_FRAME_LEN);
		break;
	case 3:
		lose(x, arg(s) & 1 ? FULL_LEN : PROBE_FRAME_LEN);
		break;
	case 4:
		full_probe(x, arg(s) & 1);
		break;
	case 5:
		ends[x].life++;
		start(x, ends[x].p.epoch + 1 + arg(s));
		break;
	case 6:
		probe_forget_peer(&ends[x].p);
		break;
	case 7:
		raw(s);
		break;
	case 8: case 9:
		if (replayable(r = pick(s)))
			tamper(s, r);
		break;
	case 10:
		if (replayable(r = pick(s)))
			hostile(arg(s) & 1 ? r->from : 1 - r->from, r->buf,
			    r->len);
		break;
	case 11:
		if ((r = pick(s)) != NULL && r->taken_life == -1)
			late(r);
		break;
	default:
		round_trip(x);
		break;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct script s = { data, size };
	int op, ops = 0;

	static int have_key;

	if (!have_key && probe_derive_key("fuzz", "lcsr", key) == -1)
		abort();
	have_key = 1;
	memset(ends, 0, sizeof(ends));
	memset(recs, 0, sizeof(recs));
	nrec = next_rec = 0;
	start(0, 1000);
	start(1, 2000);
	while ((op = next(&s)) >= 0 && ops++ < MAX_OPS)
		step(&s, op % 26);
	return 0;
}
