/*
 * probe: in-tunnel liveness frames, BFD asynchronous mode carried inside
 * the tunnel (SPEC §5).
 *
 * Each end sends a small frame into its tap every PROBE_INTERVAL_MS and
 * reads the peer's from the tap (AF_PACKET).  The destination is
 * 01:80:c2:00:00:0e, a link-local group address a Linux bridge never
 * forwards, so probes do not leak into either LAN; the EtherType is IEEE's
 * local experimental 0x88b5.
 *
 * Payload (network byte order), 72 bytes:
 *	"VFXP" version(1) flags(1) reserved(2)
 *	my_id(4) your_id(4) seq(4)
 *	tx_us(8)	sender's monotonic clock when sent
 *	echo_us(8)	the last tx_us the sender received from us (0: none)
 *	hold_us(4)	how long the sender held that echo before sending
 *	session(32)	vtund session name, NUL padded
 * A frame is taken only if it is well formed, names our session, is not
 * our own, and its seq is newer than the last one from that sender
 * instance (my_id): stale, foreign and replayed frames are dropped.  RTT is
 * now - echo_us - hold_us, measured on our own clock.
 */
#ifndef VTUNDFIX_PROBE_H
#define VTUNDFIX_PROBE_H

#include <stddef.h>
#include <stdint.h>

#define PROBE_ETHERTYPE		0x88b5
#define PROBE_PAYLOAD_LEN	72
#define PROBE_FRAME_LEN		(14 + PROBE_PAYLOAD_LEN)
#define PROBE_SESSION_LEN	32
#define PROBE_LOSS_WINDOW_S	60

struct probe_frame {
	uint8_t		 version;
	uint8_t		 flags;
	uint32_t	 my_id, your_id, seq;
	uint64_t	 tx_us, echo_us;
	uint32_t	 hold_us;
	char		 session[PROBE_SESSION_LEN + 1];
};

/* The whole Ethernet frame into BUF (PROBE_FRAME_LEN bytes). */
void	 probe_frame_build(const struct probe_frame *, uint8_t *buf);
/* Parse a whole Ethernet frame; 0, or -1 with the reason in ERR. */
int	 probe_frame_parse(const uint8_t *buf, size_t len, struct probe_frame *,
	    char *err, size_t errlen);

struct probe_bucket {
	uint64_t	 second;		/* monotonic s */
	uint32_t	 expected, received;
};

struct probe {
	int		 fd;			/* -1 while the tap is missing */
	int		 ifindex;
	char		 tap[16];
	char		 session[PROBE_SESSION_LEN + 1];
	uint32_t	 my_id, seq;
	/* the peer, as last heard */
	int		 have_peer;
	uint32_t	 peer_id, peer_seq;
	uint64_t	 peer_tx_us;		/* to echo */
	uint64_t	 peer_rx_us;		/* when we got it */
	uint64_t	 last_rx_ms;		/* 0: never */
	/* figures */
	int		 have_rtt;
	double		 rtt_ms, srtt_ms;
	struct probe_bucket loss[PROBE_LOSS_WINDOW_S];
	unsigned long	 dropped;		/* frames rejected */
	char		 last_drop[80];		/* and why, the last time */
};

/* Set up P for TAP and SESSION; no socket yet. */
void	 probe_init(struct probe *, const char *tap, const char *session);
/*
 * (Re)bind the socket to the tap's current ifindex: the tap is recreated
 * on every vtund connection.  0, or -1 (errno; ENODEV: no tap).
 */
int	 probe_bind(struct probe *);
void	 probe_close(struct probe *);
/* Send one probe; 0 or -1 (errno). */
int	 probe_send(struct probe *);
/*
 * Read every waiting frame.  Returns how many valid peer probes arrived
 * (0 or more), or -1 when the socket failed (the tap went away).
 */
int	 probe_receive(struct probe *);
/* Loss ratio over the last minute (0..1), -1 if nothing is known. */
double	 probe_loss(const struct probe *);

#endif
