/*
 * msg: the typed messages between the supervisor and one worker, over the
 * SOCK_SEQPACKET socketpair the supervisor makes for each worker (as
 * OpenBSD's imsg between a daemon's processes).  One message per packet:
 * a fixed header and at most MSG_PAYLOAD_MAX bytes.  Sends never block: a
 * peer that does not read (a stopped worker) loses messages, and every
 * request has its own timeout on the asking side.
 */
#ifndef VTUNDFIX_MSG_H
#define VTUNDFIX_MSG_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum msg_type {
	MSG_PEER_REQ = 1,	/* w->s: "VERB SESSION" for the peer */
	MSG_PEER_REPLY,		/* s->w: the peer's reply line; "" none */
	MSG_LINK,		/* s->w: "+NAME" changed, "-NAME" removed;
				 * "" look at everything (an overrun) */
	MSG_CTL_REQ,		/* s->w: a request line, already scoped */
	MSG_CTL_REPLY,		/* w->s: its reply line */
	MSG_REPORT_REQ,		/* s->w: send your report */
	MSG_REPORT,		/* w->s: struct tap_report (status.h) */
	MSG_PEER_SWITCHES,	/* s->w: the peer's switches, "service=on ..." */
	MSG_PROCS,		/* s->w: a new vtund process of yours: look */
	MSG_PROCS_REQ,		/* w->s: "c|s|l 0|1 SESSION": the client's,
				 * server's or the listener's processes,
				 * fresh or not (procview.h) */
	MSG_PROCS_REPLY,	/* s->w: struct vtund_proc[] */
	MSG_REACH_REQ,		/* w->s: "PORT HOST": does it answer? */
	MSG_REACH_RESULT,	/* s->w: "1" it answers, "0" not */
	MSG_SWITCHES,		/* w->s: int[SW_MAX], its switches: at start
				 * and whenever one changes */
	MSG_TYPE_MAX
};

#define MSG_PAYLOAD_MAX	16384

struct msg_hdr {
	uint32_t	 type;
	uint32_t	 id;		/* matches a reply to its request */
	uint32_t	 len;		/* of the payload */
};

/* 0, or -1 (errno; EAGAIN when the other side does not read). */
int	 msg_send(int fd, enum msg_type type, uint32_t id, const void *data,
	    size_t len);
/* A text payload, NUL not included. */
int	 msg_send_str(int fd, enum msg_type type, uint32_t id, const char *s);
/*
 * Receive one message into *H and BUF (LEN bytes, at least
 * MSG_PAYLOAD_MAX + 1; text payloads come NUL-terminated).  1 a message,
 * 0 the other side is gone, -1 nothing now (EAGAIN) or an error (errno;
 * EBADMSG for a malformed one, which is dropped).
 */
int	 msg_recv(int fd, struct msg_hdr *h, void *buf, size_t len);

/* A socketpair for a worker: [0] the supervisor's end, [1] the worker's. */
int	 msg_pair(int fds[2]);

#endif
