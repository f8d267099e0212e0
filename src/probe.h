/*
 * probe: authenticated in-tunnel liveness frames, BFD's asynchronous mode
 * carried inside the tunnel (SPEC §5, §7).
 *
 * Each end sends a small frame into its tap every PROBE_INTERVAL_MS and
 * reads the peer's from the tap (AF_PACKET).  The destination is
 * 01:80:c2:00:00:0e, a link-local group address a Linux bridge never
 * forwards, so probes do not leak into either LAN; the EtherType is IEEE's
 * local experimental 0x88b5.  This module gathers evidence (the last
 * genuine probe, RTT, loss, whether full-size frames get through); it
 * decides nothing: the tunnel state machine does.
 *
 * Authentication.  Every frame ends in a 32-byte HMAC-SHA-512-256 tag
 * (libsodium's crypto_auth) over every byte before it, Ethernet header
 * included.  HMAC rather than keyed BLAKE2b: both are fine and cost about
 * a microsecond per frame, but HMAC-SHA-2 is the standard construction a
 * capture tool or a second implementation can check with any library, and
 * crypto_auth_verify compares in constant time.  The key is per session,
 * derived from the session's vtund `passwd` and its name (probe_derive_key)
 * with BLAKE2b-256 over a domain-separated, length-prefixed encoding:
 *	BLAKE2b-256("vtundfix probe v2" NUL, u32 len, session, u32 len, passwd)
 * A fast hash, not Argon2: the passwd is already exposed to offline
 * guessing at vtund's own cost, one MD5 and one Blowfish key setup per
 * guess (vtund answers its server's clear-text challenge with
 * Blowfish(MD5(passwd))), so a slow KDF here would not make the passwd any
 * harder to find, while a hub deriving 1000 keys at start with Argon2's
 * interactive limits would need minutes and gigabytes.  The session name
 * in the key means no two sessions share a key, even with one passwd.
 *
 * Frame v2 (network byte order; offsets from the frame's first byte):
 *	 0 dst(6) src(6) type(2)   src is 02:76 + the sender's id
 *	14 "VFXP"(4) version=2(1) flags(1)   1 full-size, 2 sent by the
 *	                                     server end, 4 by the client end
 *	20 len(2)          the whole frame's length, tag included
 *	22 full_rx_len(2)  length of the probe full_rx_seq names (0: none)
 *	24 sender_id(4)    random per instance: our own frames, reflected
 *	28 hold_us(4)      how long the sender held echo_us before sending
 *	32 epoch(8)        sender's epoch: grows across its restarts
 *	40 seq(8)          1, 2, ... within the epoch (small and full alike)
 *	48 tx_us(8)        sender's monotonic clock when sent
 *	56 echo_epoch(8)   the epoch of the last frame the sender took from
 *	64 echo_seq(8)       us, its highest seq and the tx_us of the last
 *	72 echo_us(8)        small one (0: nothing taken yet)
 *	80 full_rx_seq(8)  seq of the last full-size probe taken from us in
 *	                   echo_epoch (0: none)
 *	88 full_sent(8)    full-size probes the sender sent in this epoch
 *	96 session(64)     vtund session name, NUL padded
 *	160 zeros up to len - 32 (full-size probes only), then the tag(32)
 * A small probe is PROBE_FRAME_LEN (192) bytes; a full-size one is the
 * tap's MTU + 14.  Frames longer than len (driver padding) are accepted;
 * the bytes after len are ignored.  Version 1 frames (unauthenticated)
 * are dropped as malformed: during an upgrade, an end still on v1 gives
 * no probe evidence, which is absence of evidence, not death.
 *
 * What is taken.  A frame is judged before anything changes; one that is
 * malformed, not of our session, fails the MAC, is our own, or is not new
 * changes nothing but a drop counter and last_drop.  Anti-replay follows
 * IPsec (RFC 4303 §3.4.3): per peer epoch the highest seq and a 64-frame
 * bitmap below it, so `proto udp` tunnels may reorder within 64 frames;
 * each frame is taken at most once.  A frame has *heard* us when it
 * echoes our epoch and a seq of ours sent after the peer's current epoch
 * was first taken (or the last reset): it was made after that epoch
 * appeared, which no recording of an earlier peer can be.  It is *fresh*
 * when it has heard us lately: the echo is one of our last
 * PROBE_FRESH_SEQS frames.  An epoch is *proven* once a frame of it that
 * has heard us was taken since the last reset (however slow the link).
 * Epochs order the peer's lifetimes:
 *   1. nothing known of the peer: taken;
 *   2. a higher epoch than the peer's: taken at once (the peer restarted);
 *   3. the same epoch: taken if its seq is new to the window, and, while
 *      the epoch is unproven and the frame has not heard us, only during a
 *      grace of PROBE_FRESH_SEQS of our sends (BFD's three-way idea: a
 *      sender that never shows it hears us is not a peer for long);
 *   4. a lower epoch: a replay, unless the frame is fresh and the current
 *      epoch is not both proven and alive (taken during our last
 *      PROBE_FRESH_SEQS sends).  Then the peer has changed (another
 *      machine behind a recreated tap, or a peer whose clock and stored
 *      epoch went back), and the displaced epoch becomes *stale*: unfresh
 *      frames of it or any lower epoch are refused from then on.
 * probe_forget_peer keeps the epoch, its window and the stale mark (a
 * replay stays a replay across a reset) and forgets that the epoch was
 * proven, so that another machine behind the new session, whatever its
 * epoch, is taken as soon as it is fresh.  Why no replay locks out the
 * genuine peer, before or after a reset: a replay is a copy of a frame
 * some sender of this key sent earlier, so it has not heard us (let alone
 * lately), never proves its epoch, and its (epoch, seq) is at most where
 * that sender got to.  If the genuine peer has the highest epoch (the normal case: epochs
 * grow), rules 2 and 3 take its next frames whatever was replayed.  If a
 * replayed epoch is higher (the peer changed), the genuine peer's frames
 * turn fresh within one interval of hearing us and rule 4 takes them,
 * since the replayed epoch is unproven; that epoch is then stale.  What a
 * replay can still do: be taken while nothing better is known (after our
 * own restart, before the genuine peer is heard), at most once per
 * recorded frame and for PROBE_FRESH_SEQS of our sends per epoch.
 * Frames are authenticated with one key both ways, so a frame of ours
 * could be sent back to us: one of this lifetime is refused by its sender
 * id and epoch; one of an earlier lifetime is refused by the side bit
 * when probe_set_side was called (both ends should), else it is just
 * another unfresh epoch, refused or displaced as above.
 */
#ifndef VTUNDFIX_PROBE_H
#define VTUNDFIX_PROBE_H

#include <stddef.h>
#include <stdint.h>

#define PROBE_KEY_LEN		32	/* crypto_auth_KEYBYTES */
#define PROBE_TAG_LEN		32	/* crypto_auth_BYTES */
#define PROBE_ETHERTYPE		0x88b5
#define PROBE_VERSION		2
#define PROBE_SESSION_LEN	64	/* the field; names up to 63 bytes */
#define PROBE_HEADER_LEN	160	/* Ethernet header to session */
#define PROBE_FRAME_LEN		(PROBE_HEADER_LEN + PROBE_TAG_LEN)
#define PROBE_FRAME_MAX		65535	/* len is 16 bits */
#define PROBE_FLAG_FULL		0x01
#define PROBE_FLAG_SERVER	0x02
#define PROBE_FLAG_CLIENT	0x04
#define PROBE_WINDOW		64	/* anti-replay window, frames */
#define PROBE_FRESH_SEQS	16	/* "fresh": echoes our last 16 */
#define PROBE_FULL_INTERVAL_MS	30000	/* a full-size probe this often */
#define PROBE_LOSS_WINDOW_S	60

/* The fields of one frame, as probe_frame_build writes them. */
struct probe_frame {
	uint8_t		 flags;
	uint16_t	 len;			/* whole frame, tag included */
	uint16_t	 full_rx_len;
	uint32_t	 sender_id, hold_us;
	uint64_t	 epoch, seq, tx_us;
	uint64_t	 echo_epoch, echo_seq, echo_us;
	uint64_t	 full_rx_seq, full_sent;
	char		 session[PROBE_SESSION_LEN];	/* NUL terminated */
};

/*
 * Write F as a whole frame of F->len bytes into BUF (BUFLEN bytes), tagged
 * with KEY.  Returns F->len, or 0 if F->len is not between PROBE_FRAME_LEN
 * and BUFLEN (or PROBE_FRAME_MAX) or the session name does not fit.
 */
size_t	 probe_frame_build(const struct probe_frame *f,
	    const uint8_t key[PROBE_KEY_LEN], uint8_t *buf, size_t buflen);
/*
 * Parse the frame in BUF (LEN bytes as received), without checking its
 * tag.  0, or -1 with the reason in ERR.
 */
int	 probe_frame_parse(const uint8_t *buf, size_t len, struct probe_frame *,
	    char *err, size_t errlen);

struct probe_bucket {
	uint64_t	 second;		/* monotonic s */
	uint32_t	 expected, received;
};

/* Which end of the tunnel a probe speaks for (MACHINE). */
enum probe_side {
	PROBE_SIDE_UNKNOWN,		/* frames carry no side */
	PROBE_SIDE_SERVER,
	PROBE_SIDE_CLIENT
};

/* Do full-size probes reach the peer?  (issue 13: MTU black holes) */
enum probe_mtu_state {
	PROBE_MTU_UNKNOWN,		/* none judged yet */
	PROBE_MTU_OK,			/* the last one judged arrived */
	PROBE_MTU_LOST			/* lost since since_ms */
};

struct probe_mtu {
	enum probe_mtu_state state;
	unsigned	 size;			/* frame bytes of the one judged */
	uint64_t	 since_ms;		/* LOST: the first lost one sent;
						   OK: when it was confirmed */
	/* private to probe.c */
	uint64_t	 sent_seq, sent_ms;	/* our last full-size probe */
	unsigned	 sent_size;
	int		 pending;		/* it awaits the peer's word */
	int		 due;			/* one is wanted now */
};

/* What we know of the peer (private to probe.c but have_peer, epoch). */
struct probe_peer {
	int		 have;			/* a frame was taken */
	uint64_t	 epoch;			/* of the frames we take */
	uint64_t	 top;			/* highest seq taken */
	uint64_t	 seen;			/* bit i: seq top - i taken */
	uint64_t	 full_sent;		/* its count at top */
	int		 proven;		/* it has heard us since */
	uint64_t	 since;			/* our seq at its start or reset */
	uint64_t	 taken_at;		/* our seq when we last took one */
	uint64_t	 tx_us, rx_us;		/* last small one: to echo */
	uint64_t	 echo_epoch, echo_seq;	/* what it last took from us */
	uint64_t	 full_rx_seq;		/* our last full one it took, */
	unsigned	 full_rx_len;		/*   reported back to it */
	uint64_t	 stale;			/* epochs <= this need freshness */
};

struct probe {
	int		 fd;			/* -1 while the tap is missing */
	int		 ifindex;
	char		 tap[16];
	char		 session[PROBE_SESSION_LEN];
	/* last genuine probe, monotonic ms (clock_ms()); 0: never */
	uint64_t	 last_rx_ms;
	/* figures from echoes of small probes */
	int		 have_rtt;
	double		 rtt_ms, srtt_ms;
	struct probe_mtu mtu;
	/* frames dropped, by reason; the last reason in words */
	unsigned long	 auth_failures;		/* bad tag, another session */
	unsigned long	 replays;		/* seen, too old, old epoch, ours */
	unsigned long	 malformed;		/* not a v2 probe at all */
	unsigned long	 unconfirmed;		/* its sender does not hear us */
	char		 last_drop[80];
	struct probe_peer peer;			/* peer.have, peer.epoch */
	/* private to probe.c */
	uint8_t		 key[PROBE_KEY_LEN];
	uint64_t	 epoch, seq, full_sent;
	uint32_t	 id;
	enum probe_side	 side;
	struct probe_bucket loss[PROBE_LOSS_WINDOW_S];
};

/*
 * The probe key of SESSION from its vtund PASSWD (see above).  0, or -1
 * (errno EINVAL: passwd or session empty or NULL, session longer than 63
 * bytes, or libsodium unusable).  Without a passwd probes cannot be
 * authenticated; the caller then has no probe evidence for that tap.
 */
int	 probe_derive_key(const char *passwd, const char *session,
	    uint8_t key[PROBE_KEY_LEN]);
/*
 * Set up P for TAP and SESSION with KEY; no socket yet.  EPOCH must grow
 * across this end's restarts (the worker uses max(realtime us, last stored
 * + 1)): the far end takes a higher epoch at once and refuses lower ones.
 * 0 is replaced by the realtime clock in microseconds.
 */
void	 probe_init(struct probe *, const char *tap, const char *session,
	    const uint8_t key[PROBE_KEY_LEN], uint64_t epoch);
/*
 * Say which end P is (after probe_init): its frames then carry the side,
 * and frames claiming P's own side are refused as reflections of ours.
 */
void	 probe_set_side(struct probe *, enum probe_side);
/*
 * (Re)bind the socket to the tap's current ifindex: the tap is recreated
 * on every vtund connection (unless `persist keep`).  0, or -1 (errno;
 * ENODEV: no tap).  It keeps the peer: see probe_forget_peer.
 */
int	 probe_bind(struct probe *);
/* Close the socket (the key and what is known of the peer stay). */
void	 probe_close(struct probe *);
/* Send one small probe; 0 or -1 (errno). */
int	 probe_send(struct probe *);
/*
 * Send one full-size probe: MTU + 14 bytes, MTU being the tap's.  Its
 * fate shows in P->mtu once the peer has answered.  0 or -1 (errno;
 * EINVAL: MTU out of range).  Call it when probe_full_due() says so, and
 * whenever a check is wanted at once.
 */
int	 probe_send_full(struct probe *, unsigned mtu);
/*
 * Is a full-size probe due: the peer hears us and none was sent for
 * PROBE_FULL_INTERVAL_MS, or none since the peer (re)started or was
 * forgotten?  1 or 0.
 */
int	 probe_full_due(const struct probe *);
/*
 * Read every waiting frame.  Returns how many genuine peer probes were
 * taken (0 or more), or -1 when the socket failed (the tap went away).
 */
int	 probe_receive(struct probe *);
/*
 * Forget the peer: call it when the tap is recreated or a new vtund
 * session starts, since the far end may now be another machine.  Echoes,
 * RTT, the pending full-size judgement and the proof that the peer hears
 * us go; its epoch, window and stale epochs stay, so replays stay refused
 * (see above for why they cannot lock the genuine peer out).  The MTU
 * verdict stays too (the underlay is the same) and a new full-size probe
 * becomes due.
 */
void	 probe_forget_peer(struct probe *);
/* Loss ratio of small probes over the last minute (0..1), -1: unknown. */
double	 probe_loss(const struct probe *);
/* Frames dropped so far, whatever the reason (the counters' sum). */
unsigned long probe_dropped(const struct probe *);
/*
 * How many of our probes were sent since the newest one the peer's newest
 * frame echoes: 0 or 1 while the peer hears us, more when what we send
 * does not get there while what it sends does.  0 when unknown (nothing
 * taken, or its echo is of another epoch of ours).
 */
uint64_t probe_unheard(const struct probe *);

/*
 * The socket-free core of probe_send and probe_receive, for tests and
 * fuzzers.  probe_make writes P's next genuine frame of LEN bytes into BUF
 * (PROBE_FRAME_LEN: a small probe; more: a full-size one, recorded for
 * the MTU judgement) and returns LEN, or 0 (LEN out of range).
 * probe_take judges one received frame: 1 taken, 0 dropped (counted).
 */
size_t	 probe_make(struct probe *, uint8_t *buf, size_t len);
int	 probe_take(struct probe *, const uint8_t *buf, size_t len);
/* The same for a frame that arrived at ARRIVED_US (clock_us). */
int	 probe_take_at(struct probe *, const uint8_t *buf, size_t len,
	    uint64_t arrived_us);

#endif
