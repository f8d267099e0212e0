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
 * broken, or for the moment the far end's next segment takes when our
 * data is stuck while the far end's arrives; it is read when needed and
 * costs nothing meanwhile (during an outage a retransmission leaves once
 * per back-off interval).
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
