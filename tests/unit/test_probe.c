/*
 * Unit tests for src/probe.c: the key, the frame format, and what is
 * taken.  Two probes talk through probe_make/probe_take, no sockets; every
 * dropped frame is checked to leave the receiver exactly as it was.
 */
#include <stdlib.h>

#include "probe.h"
#include "unit.h"

#define EPOCH_A		1000000
#define EPOCH_B		2000000

static uint8_t key[PROBE_KEY_LEN];

/* Hex of N bytes into OUT (2N + 1 bytes). */
static const char *
hex(const uint8_t *p, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
	return out;
}

static void
setup(struct probe *a, struct probe *b)
{
	CHECK_INT(probe_derive_key("secret", "lcsr", key), 0);
	probe_init(a, "tap0", "lcsr", key, EPOCH_A);
	probe_init(b, "tap0", "lcsr", key, EPOCH_B);
}

/* FROM's next small probe into TO; what probe_take said. */
static int
xfer(struct probe *from, struct probe *to)
{
	uint8_t buf[PROBE_FRAME_LEN];

	CHECK_INT(probe_make(from, buf, sizeof(buf)), PROBE_FRAME_LEN);
	return probe_take(to, buf, sizeof(buf));
}

/* A and B hear each other: N rounds both ways, each frame taken. */
static void
converse(struct probe *a, struct probe *b, int n)
{
	while (n-- > 0) {
		CHECK_INT(xfer(a, b), 1);
		CHECK_INT(xfer(b, a), 1);
	}
}

static unsigned long
drops(const struct probe *p)
{
	return p->auth_failures + p->replays + p->malformed + p->unconfirmed;
}

/* X and Y are the same but for drop counters and last_drop. */
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

/* BUF must be dropped by P, counted once, and change nothing else. */
static void
check_dropped(struct probe *p, const uint8_t *buf, size_t len,
    const char *why)
{
	struct probe before;

	memcpy(&before, p, sizeof(before));
	CHECK_INT(probe_take(p, buf, len), 0);
	CHECK(same_state(&before, p));
	CHECK_INT(drops(p), drops(&before) + 1);
	if (why != NULL)
		CHECK_STR(p->last_drop, why);
}

static void
test_key_derivation(void)
{
	uint8_t k2[PROBE_KEY_LEN], k3[PROBE_KEY_LEN];
	char h[2 * PROBE_KEY_LEN + 1];
	char long_name[80];

	/* Computed independently: Python's hashlib.blake2b over the
	 * encoding probe.h documents. */
	CHECK_INT(probe_derive_key("secret", "lcsr", key), 0);
	CHECK_STR(hex(key, sizeof(key), h), "cc159a5217c7974302a81be5bbb21698"
	    "67a5b548e594fc39dccef79f422b6ca8");
	CHECK_INT(probe_derive_key("secret", "lcsr2", k2), 0);
	CHECK(memcmp(key, k2, sizeof(key)) != 0);
	CHECK_INT(probe_derive_key("secret2", "lcsr", k2), 0);
	CHECK(memcmp(key, k2, sizeof(key)) != 0);
	/* Length prefixes: moving a byte between the fields changes it. */
	CHECK_INT(probe_derive_key("c", "ab", k2), 0);
	CHECK_INT(probe_derive_key("bc", "a", k3), 0);
	CHECK(memcmp(k2, k3, sizeof(k2)) != 0);
	CHECK_INT(probe_derive_key("", "lcsr", k2), -1);
	CHECK_INT(probe_derive_key(NULL, "lcsr", k2), -1);
	CHECK_INT(probe_derive_key("secret", "", k2), -1);
	memset(long_name, 'x', 64);
	long_name[64] = '\0';
	CHECK_INT(probe_derive_key("secret", long_name, k2), -1);
	long_name[63] = '\0';
	CHECK_INT(probe_derive_key("secret", long_name, k2), 0);
}

static struct probe_frame
sample(void)
{
	struct probe_frame f;

	memset(&f, 0, sizeof(f));
	f.len = PROBE_FRAME_LEN;
	f.sender_id = 0x11223344;
	f.hold_us = 1000;
	f.epoch = 0x0102030405060708ULL;
	f.seq = 7;
	f.tx_us = 42;
	f.echo_epoch = 9;
	f.echo_seq = 3;
	f.echo_us = 41;
	strcpy(f.session, "lcsr");
	return f;
}

static void
test_frame_layout(void)
{
	struct probe_frame f = sample(), g;
	uint8_t buf[PROBE_FRAME_LEN + 20];
	char h[2 * PROBE_TAG_LEN + 1], err[80];

	CHECK_INT(probe_derive_key("secret", "lcsr", key), 0);
	CHECK_INT(probe_frame_build(&f, key, buf, sizeof(buf)),
	    PROBE_FRAME_LEN);
	/* Link-local group destination: a bridge never forwards it. */
	CHECK(memcmp(buf, "\x01\x80\xc2\x00\x00\x0e", 6) == 0);
	CHECK(memcmp(buf + 6, "\x02\x76\x11\x22\x33\x44\x88\xb5", 8) == 0);
	CHECK(memcmp(buf + 14, "VFXP\x02\x00\x00\xc0", 8) == 0);
	CHECK(memcmp(buf + 32, "\x01\x02\x03\x04\x05\x06\x07\x08", 8) == 0);
	CHECK_STR((char *)buf + 96, "lcsr");
	/* HMAC-SHA-512-256 of the first 160 bytes, from Python's hmac. */
	CHECK_STR(hex(buf + PROBE_HEADER_LEN, PROBE_TAG_LEN, h),
	    "d056ea56dcf518aee03a56327f49bae0edb30b83b1ab4275db5ae2662b75a218");
	CHECK_INT(probe_frame_parse(buf, PROBE_FRAME_LEN, &g, err,
	    sizeof(err)), 0);
	CHECK(memcmp(&f, &g, sizeof(f)) == 0);
	/* A frame padded by a driver is still the same probe. */
	memset(buf + PROBE_FRAME_LEN, 0xee, 20);
	CHECK_INT(probe_frame_parse(buf, sizeof(buf), &g, err, sizeof(err)),
	    0);
	/* What cannot be built. */
	f.len = PROBE_FRAME_LEN - 1;
	CHECK_INT(probe_frame_build(&f, key, buf, sizeof(buf)), 0);
	f.len = sizeof(buf) + 1;
	CHECK_INT(probe_frame_build(&f, key, buf, sizeof(buf)), 0);
}

/* Build a copy of sample() changed by EDIT, parse it, expect WHY. */
static void
expect_parse_error(void (*edit)(struct probe_frame *, uint8_t *),
    const char *why)
{
	struct probe_frame f = sample(), g;
	uint8_t buf[PROBE_FRAME_LEN];
	char err[80];

	probe_frame_build(&f, key, buf, sizeof(buf));
	edit(&f, buf);
	CHECK_INT(probe_frame_parse(buf, sizeof(buf), &g, err, sizeof(err)),
	    -1);
	CHECK_STR(err, why);
}

static void
edit_dst(struct probe_frame *f, uint8_t *b) { b[5] = 0x0f; }
static void
edit_version(struct probe_frame *f, uint8_t *b) { b[18] = 1; }
static void
edit_flags(struct probe_frame *f, uint8_t *b) { b[19] = 0x80; }
static void
edit_both_sides(struct probe_frame *f, uint8_t *b) { b[19] = 6; }
static void
edit_full_flag(struct probe_frame *f, uint8_t *b) { b[19] = 1; }
static void
edit_len(struct probe_frame *f, uint8_t *b) { b[21] = 0xc1; }
static void
edit_session(struct probe_frame *f, uint8_t *b) { b[97] = '\n'; }
static void
edit_padding(struct probe_frame *f, uint8_t *b) { b[159] = 'x'; }
static void
edit_sender(struct probe_frame *f, uint8_t *b) { memset(b + 24, 0, 4); }
static void
edit_epoch(struct probe_frame *f, uint8_t *b) { memset(b + 32, 0, 8); }

static void
test_parse_rejects(void)
{
	struct probe_frame g;
	uint8_t buf[PROBE_FRAME_LEN] = { 0 };
	char err[80];

	CHECK_INT(probe_derive_key("secret", "lcsr", key), 0);
	CHECK_INT(probe_frame_parse(buf, 20, &g, err, sizeof(err)), -1);
	CHECK_STR(err, "short frame (20 bytes)");
	expect_parse_error(edit_dst, "not a probe");
	expect_parse_error(edit_version, "probe version 1");
	expect_parse_error(edit_flags, "unknown flags");
	expect_parse_error(edit_both_sides, "unknown flags");
	expect_parse_error(edit_full_flag, "bad length");
	expect_parse_error(edit_len, "bad length");	/* longer than sent */
	expect_parse_error(edit_session, "bad session name");
	expect_parse_error(edit_padding, "bad session name");
	expect_parse_error(edit_sender, "sender id 0");
	expect_parse_error(edit_epoch, "epoch or seq 0");
}

static void
test_genuine_exchange(void)
{
	struct probe a, b;

	setup(&a, &b);
	CHECK_INT(b.peer.have, 0);
	CHECK(probe_loss(&b) < 0);
	converse(&a, &b, 5);
	CHECK(b.peer.have && b.peer.epoch == EPOCH_A);
	CHECK(a.peer.have && a.peer.epoch == EPOCH_B);
	CHECK(a.last_rx_ms > 0 && b.last_rx_ms > 0);
	CHECK(a.have_rtt && b.have_rtt);
	CHECK(a.rtt_ms >= 0 && a.rtt_ms < 1000);
	CHECK(probe_loss(&a) == 0 && probe_loss(&b) == 0);
	CHECK_INT(drops(&a) + drops(&b), 0);
	CHECK(a.peer.proven && b.peer.proven);
}

/*
 * The attack of issue 14: a forged frame with the peer's id, epoch and a
 * huge seq.  It fails the MAC, changes nothing, and the genuine probes
 * that follow are still taken, not counted as replays.
 */
static void
test_forged_frame_changes_nothing(void)
{
	struct probe a, b;
	struct probe_frame f;
	uint8_t buf[PROBE_FRAME_LEN], forged_key[PROBE_KEY_LEN];
	char err[80];

	setup(&a, &b);
	converse(&a, &b, 3);
	CHECK_INT(probe_make(&a, buf, sizeof(buf)), PROBE_FRAME_LEN);
	CHECK_INT(probe_frame_parse(buf, sizeof(buf), &f, err, sizeof(err)),
	    0);
	f.seq = 1000000000;
	memset(forged_key, 0x5a, sizeof(forged_key));
	probe_frame_build(&f, forged_key, buf, sizeof(buf));
	check_dropped(&b, buf, sizeof(buf), "bad authentication tag");
	memset(buf + PROBE_HEADER_LEN, 0, PROBE_TAG_LEN);	/* no tag */
	check_dropped(&b, buf, sizeof(buf), "bad authentication tag");
	CHECK_INT(b.auth_failures, 2);
	converse(&a, &b, 3);
	CHECK_INT(b.replays, 0);
	CHECK(probe_loss(&b) < 0.25);	/* one frame of a's was made, lost */
}

static void
test_replay_dropped(void)
{
	struct probe a, b;
	uint8_t buf[PROBE_FRAME_LEN];

	setup(&a, &b);
	converse(&a, &b, 2);
	probe_make(&a, buf, sizeof(buf));
	CHECK_INT(probe_take(&b, buf, sizeof(buf)), 1);
	check_dropped(&b, buf, sizeof(buf), "seen before (epoch 1000000 seq 3)");
	CHECK_INT(b.replays, 1);
	/* Our own frame sent back to us. */
	probe_make(&b, buf, sizeof(buf));
	check_dropped(&b, buf, sizeof(buf), "our own probe, come back");
	CHECK_INT(b.replays, 2);
	converse(&a, &b, 1);
}

/* One flipped bit anywhere in a small or a full-size frame. */
static void
test_altered_byte_anywhere(void)
{
	struct probe a, b;
	static uint8_t buf[1514], bad[1514];
	size_t lens[2] = { PROBE_FRAME_LEN, sizeof(buf) }, i, k;

	setup(&a, &b);
	converse(&a, &b, 2);
	for (k = 0; k < 2; k++) {
		CHECK_INT(probe_make(&a, buf, lens[k]), lens[k]);
		for (i = 0; i < lens[k]; i++) {
			memcpy(bad, buf, lens[k]);
			bad[i] ^= 0x01;
			check_dropped(&b, bad, lens[k], NULL);
		}
		CHECK_INT(probe_take(&b, buf, lens[k]), 1);
	}
	CHECK_INT(b.replays + b.unconfirmed, 0);
	CHECK_INT(b.auth_failures + b.malformed,
	    PROBE_FRAME_LEN + sizeof(buf));
	CHECK(b.auth_failures > b.malformed);
	converse(&a, &b, 1);
}

static void
test_wrong_key(void)
{
	struct probe a, b, other;
	uint8_t k2[PROBE_KEY_LEN], buf[PROBE_FRAME_LEN];

	setup(&a, &b);
	/* The same session with another passwd. */
	CHECK_INT(probe_derive_key("not-the-secret", "lcsr", k2), 0);
	probe_init(&other, "tap0", "lcsr", k2, EPOCH_A + 1);
	probe_make(&other, buf, sizeof(buf));
	check_dropped(&b, buf, sizeof(buf), "bad authentication tag");
	/* Another session with the same passwd: its key differs too. */
	CHECK_INT(probe_derive_key("secret", "lcsr2", k2), 0);
	probe_init(&other, "tap1", "lcsr2", k2, EPOCH_A + 1);
	probe_make(&other, buf, sizeof(buf));
	check_dropped(&b, buf, sizeof(buf), "a probe of session lcsr2");
	CHECK_INT(b.auth_failures, 2);
	CHECK_INT(b.peer.have, 0);
	converse(&a, &b, 1);
}

/* The peer restarted: its new, higher epoch is taken at once (before
 * it has heard us), and its old epoch's frames are replays from then on. */
static void
test_restart_taken_at_once(void)
{
	struct probe a, b, a2;
	uint8_t old1[PROBE_FRAME_LEN], old2[PROBE_FRAME_LEN];

	setup(&a, &b);
	converse(&a, &b, 3);
	probe_make(&a, old1, sizeof(old1));
	CHECK_INT(probe_take(&b, old1, sizeof(old1)), 1);
	probe_make(&a, old2, sizeof(old2));	/* made, never delivered */
	probe_init(&a2, "tap0", "lcsr", key, EPOCH_A + 5);
	CHECK_INT(xfer(&a2, &b), 1);
	CHECK(b.peer.epoch == EPOCH_A + 5);
	check_dropped(&b, old1, sizeof(old1),
	    "old epoch (epoch 1000000 seq 4)");
	check_dropped(&b, old2, sizeof(old2),
	    "old epoch (epoch 1000000 seq 5)");
	converse(&a2, &b, 3);
	CHECK_INT(b.replays, 2);
}

/*
 * After probe_forget_peer, replays of the old epoch are still refused
 * and the genuine (restarted) peer is taken; with nothing known at all
 * (our own restart), a replay may be taken but cannot keep the genuine
 * peer out.
 */
static void
test_old_epoch_replay_after_reset(void)
{
	struct probe a, b, a2, b2;
	uint8_t rec[PROBE_FRAME_LEN];

	setup(&a, &b);
	converse(&a, &b, 2);
	probe_make(&a, rec, sizeof(rec));	/* recorded by an attacker */
	CHECK_INT(probe_take(&b, rec, sizeof(rec)), 1);
	probe_init(&a2, "tap0", "lcsr", key, EPOCH_A + 5);
	converse(&a2, &b, 2);
	probe_forget_peer(&b);
	CHECK(!b.have_rtt && !b.peer.proven);
	check_dropped(&b, rec, sizeof(rec), "old epoch (epoch 1000000 seq 3)");
	converse(&a2, &b, 2);
	/* b restarts and knows nothing: the replay is taken, then the
	 * genuine peer at once. */
	probe_init(&b2, "tap0", "lcsr", key, EPOCH_B + 5);
	CHECK_INT(probe_take(&b2, rec, sizeof(rec)), 1);
	CHECK_INT(xfer(&a2, &b2), 1);
	CHECK(b2.peer.epoch == EPOCH_A + 5);
	CHECK_INT(probe_take(&b2, rec, sizeof(rec)), 0);
	converse(&a2, &b2, 2);
}

/*
 * The tap was recreated and another machine, with a lower epoch, is
 * behind it, while recordings of the old peer are replayed.  The new
 * peer is taken as soon as it has heard us; the old epoch becomes stale.
 */
static void
test_new_machine_lower_epoch(void)
{
	struct probe a, b, c;
	uint8_t rec[4][PROBE_FRAME_LEN], buf[PROBE_FRAME_LEN];
	int i;

	setup(&a, &b);
	converse(&a, &b, 2);
	for (i = 0; i < 4; i++)		/* made by a, recorded, not seen */
		probe_make(&a, rec[i], PROBE_FRAME_LEN);
	probe_forget_peer(&b);
	probe_init(&c, "tap0", "lcsr", key, EPOCH_A - 500);
	CHECK_INT(probe_take(&b, rec[0], PROBE_FRAME_LEN), 1);	/* replay */
	/* c has not heard b yet: its lower epoch looks old. */
	probe_make(&c, buf, sizeof(buf));
	check_dropped(&b, buf, sizeof(buf), "old epoch (epoch 999500 seq 1)");
	CHECK_INT(xfer(&b, &c), 1);
	CHECK_INT(xfer(&c, &b), 1);	/* fresh: a changed peer */
	CHECK(b.peer.epoch == EPOCH_A - 500);
	CHECK(b.peer.stale == EPOCH_A);
	check_dropped(&b, rec[1], PROBE_FRAME_LEN,
	    "stale epoch (epoch 1000000 seq 4)");
	check_dropped(&b, rec[2], PROBE_FRAME_LEN, NULL);
	converse(&c, &b, 3);
}

/*
 * A frame of an earlier lifetime of ours, sent back to us: the same key
 * signed it, so only the side bit tells it from the peer's.
 */
static void
test_reflection_of_earlier_lifetime(void)
{
	struct probe a, b, a2;
	uint8_t rec[PROBE_FRAME_LEN];

	setup(&a, &b);
	probe_set_side(&a, PROBE_SIDE_SERVER);
	probe_set_side(&b, PROBE_SIDE_CLIENT);
	converse(&a, &b, 2);
	probe_make(&a, rec, sizeof(rec));
	CHECK_INT(probe_take(&b, rec, sizeof(rec)), 1);
	probe_init(&a2, "tap0", "lcsr", key, EPOCH_A + 5);
	/* What probe_set_side is for: without it, a2 knows nothing and
	 * takes its own past for a peer. */
	CHECK_INT(probe_take(&a2, rec, sizeof(rec)), 1);
	probe_init(&a2, "tap0", "lcsr", key, EPOCH_A + 6);
	probe_set_side(&a2, PROBE_SIDE_SERVER);
	check_dropped(&a2, rec, sizeof(rec), "a probe of our side, come back");
	CHECK_INT(a2.replays, 1);
	converse(&a2, &b, 2);
	/* The side is in the flags, under the tag. */
	CHECK_INT(rec[19], PROBE_FLAG_SERVER);
}

/* proto udp: reordering within the window is fine, each frame once. */
static void
test_window(void)
{
	struct probe a, b;
	static uint8_t f[90][PROBE_FRAME_LEN];
	int i, order[] = { 1, 5, 3, 2, 4 };

	setup(&a, &b);
	for (i = 1; i < 90; i++)
		probe_make(&a, f[i], PROBE_FRAME_LEN);
	for (i = 0; i < 5; i++)
		CHECK_INT(probe_take(&b, f[order[i]], PROBE_FRAME_LEN), 1);
	check_dropped(&b, f[3], PROBE_FRAME_LEN,
	    "seen before (epoch 1000000 seq 3)");
	CHECK_INT(probe_take(&b, f[80], PROBE_FRAME_LEN), 1);
	check_dropped(&b, f[16], PROBE_FRAME_LEN,
	    "older than the window (epoch 1000000 seq 16)");
	CHECK_INT(probe_take(&b, f[17], PROBE_FRAME_LEN), 1);	/* 63 back */
	check_dropped(&b, f[17], PROBE_FRAME_LEN, NULL);
	CHECK_INT(probe_take(&b, f[79], PROBE_FRAME_LEN), 1);
	CHECK_INT(probe_take(&b, f[89], PROBE_FRAME_LEN), 1);	/* jump */
	CHECK_INT(probe_take(&b, f[81], PROBE_FRAME_LEN), 1);
	CHECK_INT(b.peer.top, 89);
	CHECK_INT(b.replays, 3);
}

/* A sender that never echoes us is taken for a grace, not for ever. */
static void
test_unheard_sender(void)
{
	struct probe a, b;
	uint8_t buf[PROBE_FRAME_LEN];
	int i;

	setup(&a, &b);
	CHECK_INT(xfer(&a, &b), 1);
	for (i = 0; i < PROBE_FRESH_SEQS; i++)	/* b's probes get lost */
		probe_make(&b, buf, sizeof(buf));
	probe_make(&a, buf, sizeof(buf));
	check_dropped(&b, buf, sizeof(buf),
	    "epoch 1000000 does not hear us");
	CHECK_INT(b.unconfirmed, 1);
	CHECK_INT(xfer(&b, &a), 1);
	CHECK_INT(xfer(&a, &b), 1);	/* fresh now, and proven */
	for (i = 0; i < 2 * PROBE_FRESH_SEQS; i++)
		probe_make(&b, buf, sizeof(buf));
	CHECK_INT(xfer(&a, &b), 1);	/* a proven peer stays a peer */
}

/* A slow link after a reset: the peer's echoes lag far behind, but they
 * show it heard us since, and that proves it. */
/*
 * What we send stops getting there while the peer's frames still come:
 * the count of our probes the peer has not echoed grows; once it hears
 * us again it is back to 0 or 1.
 */
static void
test_unheard_count(void)
{
	struct probe a, b;
	uint8_t lost[PROBE_FRAME_LEN];
	int i;

	setup(&a, &b);
	CHECK_INT(probe_unheard(&a), 0);	/* nothing known */
	converse(&a, &b, 3);
	CHECK(probe_unheard(&a) <= 1);
	for (i = 0; i < 4; i++) {
		CHECK_INT(probe_make(&a, lost, sizeof(lost)), PROBE_FRAME_LEN);
		CHECK_INT(xfer(&b, &a), 1);	/* B's frames still come */
	}
	CHECK_INT(probe_unheard(&a), 4);
	converse(&a, &b, 1);
	CHECK(probe_unheard(&a) <= 1);
}

static void
test_slow_peer_proven_after_reset(void)
{
	struct probe a, b;
	uint8_t buf[PROBE_FRAME_LEN];
	int i;

	setup(&a, &b);
	converse(&a, &b, 2);
	probe_forget_peer(&b);
	CHECK_INT(xfer(&b, &a), 1);		/* the one a hears */
	for (i = 0; i < 2 * PROBE_FRESH_SEQS; i++)
		probe_make(&b, buf, sizeof(buf));	/* still in flight */
	for (i = 0; i < 2 * PROBE_FRESH_SEQS; i++)
		CHECK_INT(xfer(&a, &b), 1);
	CHECK(b.peer.proven);
	CHECK_INT(b.unconfirmed, 0);
}

static void
test_counters(void)
{
	struct probe a, b;
	uint8_t buf[PROBE_FRAME_LEN], k2[PROBE_KEY_LEN];
	struct probe other;

	setup(&a, &b);
	converse(&a, &b, 1);
	probe_make(&a, buf, sizeof(buf));
	CHECK_INT(probe_take(&b, buf, sizeof(buf)), 1);
	CHECK_INT(probe_take(&b, buf, sizeof(buf)), 0);		/* replay */
	CHECK_INT(probe_take(&b, buf, 100), 0);			/* short */
	buf[14] = 'X';
	CHECK_INT(probe_take(&b, buf, sizeof(buf)), 0);		/* garbage */
	CHECK_INT(probe_derive_key("other", "lcsr", k2), 0);
	probe_init(&other, "tap0", "lcsr", k2, EPOCH_A);
	probe_make(&other, buf, sizeof(buf));
	CHECK_INT(probe_take(&b, buf, sizeof(buf)), 0);		/* bad tag */
	CHECK_INT(b.replays, 1);
	CHECK_INT(b.malformed, 2);
	CHECK_INT(b.auth_failures, 1);
	CHECK_INT(b.unconfirmed, 0);
	CHECK_STR(b.last_drop, "bad authentication tag");
}

/* Full-size probes: received -> ok; lost while small ones pass -> lost. */
static void
test_mtu_state(void)
{
	struct probe a, b;
	static uint8_t full[1514];
	uint64_t lost_at;

	setup(&a, &b);
	CHECK_INT(probe_full_due(&a), 0);	/* b has not heard a yet */
	converse(&a, &b, 2);
	CHECK_INT(a.mtu.state, PROBE_MTU_UNKNOWN);
	CHECK_INT(probe_full_due(&a), 1);
	CHECK_INT(probe_make(&a, full, sizeof(full)), sizeof(full));
	CHECK_INT(probe_full_due(&a), 0);
	CHECK_INT(probe_take(&b, full, sizeof(full)), 1);
	CHECK_INT(b.peer.full_rx_seq, 3);
	CHECK_INT(xfer(&b, &a), 1);
	CHECK_INT(a.mtu.state, PROBE_MTU_OK);
	CHECK_INT(a.mtu.size, 1514);
	/* The next one is lost; small ones still arrive both ways. */
	CHECK_INT(probe_make(&a, full, sizeof(full)), sizeof(full));
	lost_at = a.mtu.sent_ms;
	converse(&a, &b, 1);
	CHECK_INT(a.mtu.state, PROBE_MTU_OK);	/* might be overtaken */
	converse(&a, &b, 1);
	CHECK_INT(a.mtu.state, PROBE_MTU_LOST);
	CHECK(a.mtu.since_ms == lost_at);
	CHECK_INT(a.mtu.size, 1514);
	/* Its loss is the MTU state's, not the small probes' loss figure. */
	CHECK(probe_loss(&b) == 0);
	/* Asked for again after a reset; one that arrives mends it. */
	probe_forget_peer(&a);
	CHECK_INT(probe_full_due(&a), 0);	/* until b is heard again */
	converse(&a, &b, 1);
	CHECK_INT(probe_full_due(&a), 1);
	CHECK_INT(a.mtu.state, PROBE_MTU_LOST);
	probe_make(&a, full, sizeof(full));
	CHECK_INT(probe_take(&b, full, sizeof(full)), 1);
	CHECK_INT(xfer(&b, &a), 1);
	CHECK_INT(a.mtu.state, PROBE_MTU_OK);
}

/* A full-size probe sent before the peer heard us is never judged. */
static void
test_mtu_unjudged_without_peer(void)
{
	struct probe a, b;
	static uint8_t full[1514];

	setup(&a, &b);
	probe_make(&a, full, sizeof(full));	/* nobody listens yet */
	converse(&a, &b, 4);
	CHECK_INT(a.mtu.state, PROBE_MTU_UNKNOWN);
	CHECK_INT(probe_full_due(&a), 1);
}

static void
test_init(void)
{
	struct probe a, b;

	setup(&a, &b);
	CHECK(a.peer.have == 0 && a.fd == -1 && a.last_rx_ms == 0);
	CHECK(a.mtu.state == PROBE_MTU_UNKNOWN);
	probe_init(&b, "tap0", "lcsr", key, EPOCH_A);
	CHECK(a.id != 0 && b.id != 0 && a.id != b.id);
	probe_init(&b, "tap0", "lcsr", key, 0);	/* realtime: after 2020 */
	CHECK(b.epoch > 1577836800ULL * 1000000);
	CHECK_INT(probe_send(&a), -1);		/* no socket */
	CHECK_INT(probe_send_full(&a, 1500), -1);
}

int
main(void)
{
	RUN(test_key_derivation);
	RUN(test_frame_layout);
	RUN(test_parse_rejects);
	RUN(test_genuine_exchange);
	RUN(test_forged_frame_changes_nothing);
	RUN(test_replay_dropped);
	RUN(test_altered_byte_anywhere);
	RUN(test_wrong_key);
	RUN(test_restart_taken_at_once);
	RUN(test_old_epoch_replay_after_reset);
	RUN(test_new_machine_lower_epoch);
	RUN(test_reflection_of_earlier_lifetime);
	RUN(test_window);
	RUN(test_unheard_sender);
	RUN(test_unheard_count);
	RUN(test_slow_peer_proven_after_reset);
	RUN(test_counters);
	RUN(test_mtu_state);
	RUN(test_mtu_unjudged_without_peer);
	RUN(test_init);
	return unit_done();
}
