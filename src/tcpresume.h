/*
 * tcpresume: after an underlay outage, vtund's TCP session resumes at once
 * instead of at its backed-off retransmission timer (SPEC §5, §11).
 *
 * During an outage the kernel retransmits what vtund's socket owes at
 * doubling intervals: 20 s into an outage the next attempt is some 5 s
 * away, 90 s in up to a minute.  When the underlay is back the session
 * would sit idle until then.  RFC 6069 (TCP-LD, in Linux since 2.6.36 for
 * IPv4 and 5.8 for IPv6) lets an ICMP "host unreachable" (ICMPv6 "no
 * route") that quotes the socket's oldest unacknowledged byte undo one
 * doubling each; once the undone timer has passed, the kernel retransmits
 * at once.  So when the path is shown to work again, this end hands its
 * own kernel one such message per doubling, from the far end's address to
 * its own, over the loopback: the segment goes out now, its ACK comes
 * back one round trip later, and nothing else changes (no restart, no new
 * session, vtund never notices).
 *
 * The quoted sequence number must be the socket's snd_una exactly, which
 * the kernel tells no one (sock_diag has no sequence numbers).  It is
 * learnt from the wire: a packet socket with a filter for that one
 * connection records what the kernel retransmits (the head of its queue:
 * snd_una) and what the far end acknowledges (once the kernel has taken
 * that segment, snd_una too).  It is open only while a session is judged
 * broken, for the moment the far end's next segment takes when our data
 * is stuck while the far end's arrives, and once per session, a second
 * or two while it is healthy, to learn snd_una's offset from tcp_info's
 * bytes_acked (below), which then tells snd_una at any moment without a
 * capture; it is read when needed and costs nothing meanwhile (during an
 * outage a retransmission leaves once per back-off interval).
 *
 * Both need CAP_NET_RAW, which the probes already use.  A message the
 * kernel does not accept (a wrong sequence, the socket busy) changes
 * nothing; the caller looks for forward progress and falls back on a
 * restart.
 */
#ifndef VTUNDFIX_TCPRESUME_H
#define VTUNDFIX_TCPRESUME_H

#include <stddef.h>
#include <stdint.h>

#include "tcpinfo.h"

/* At most this many messages per kick (a doubling each; RTO max 120 s). */
#define TCPRESUME_KICKS_MAX	16

struct tcpresume;

/* Start recording KEY's outgoing data segments.  NULL on error (errno). */
struct tcpresume *tcpresume_open(const struct tcp_key *key);
void	 tcpresume_close(struct tcpresume *);

/*
 * Read what was recorded: 1 and *SEQ, the socket's oldest unacknowledged
 * byte as the newest segment recorded tells it (a retransmission of the
 * head of its queue, or the peer's acknowledgement number), 0 none seen.
 */
int	 tcpresume_head(struct tcpresume *, uint32_t *seq);
/* Its descriptor, readable when a segment was recorded. */
int	 tcpresume_fd(const struct tcpresume *);
/*
 * Read what was recorded since the last read: how many segments (0 none),
 * and in *ACK the newest acknowledgement number of the far end's seen so
 * far, if *HAVE.
 */
int	 tcpresume_drain(struct tcpresume *, uint32_t *ack, int *have);

/*
 * snd_una without a capture.  The kernel adds every byte acknowledged to
 * snd_una and to tcp_info's bytes_acked alike, so for the life of a
 * connection snd_una = OFFSET + bytes_acked (mod 2^32).  The offset is
 * learnt once, while the session is healthy, from the capture: an
 * acknowledgement number the kernel has taken (the capture read again,
 * nothing new, some time after it came) and bytes_acked sampled just
 * after it.  Two such observations must agree, at two different
 * acknowledgement numbers, before it is believed: an ACK a local firewall
 * dropped after the capture, or one not yet taken when sampled, gives a
 * point that does not.
 */
struct tcpresume_offset {
	int		 known;
	uint32_t	 offset;
	int		 have_point;
	uint32_t	 point, point_ack;	/* a first observation */
};
/* One observation: 1 when the offset is known now, else 0. */
int	 tcpresume_learn(struct tcpresume_offset *, uint32_t ack,
	    uint64_t bytes_acked);
/* snd_una for a sample's BYTES_ACKED: 1 and *SEQ, 0 not known. */
int	 tcpresume_una(const struct tcpresume_offset *, uint64_t bytes_acked,
	    uint32_t *seq);

/*
 * Hand this host's kernel N (1..TCPRESUME_KICKS_MAX) messages that the
 * path of KEY was disrupted, quoting SEQ.  0, or -1 (errno).
 */
int	 tcpresume_kick(const struct tcp_key *key, uint32_t seq, unsigned n);

/*
 * The message itself, for the tests: KEY's far end to its local end,
 * quoting a segment of KEY with SEQ.  Its length, or 0 if LEN is short.
 */
size_t	 tcpresume_message(const struct tcp_key *key, uint32_t seq,
	    uint8_t *buf, size_t len);

/*
 * The capture's view of one packet (IP header first): TCPRESUME_OURS and
 * *SEQ its sequence number for a data segment of KEY sent by its local
 * end; TCPRESUME_THEIRS and *SEQ the number it acknowledges for a segment
 * of the far end's with an ACK; else 0.
 */
#define TCPRESUME_OURS		1
#define TCPRESUME_THEIRS	2
int	 tcpresume_parse(const struct tcp_key *key, const uint8_t *pkt,
	    size_t len, uint32_t *seq);

#endif
