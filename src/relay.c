/*
 * relay: bounded line reader on stdin, forwarder to the control socket.
 */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "ctlclient.h"
#include "peer.h"
#include "relay.h"

/* Input state: a line being collected, bounded in size and time. */
struct reader {
	char	 line[PEER_LINE_MAX + 1];
	size_t	 len;
	int	 too_long;	/* discarding up to the next newline */
	int	 bad_byte;
	uint64_t started_ms;	/* the line's first byte; 0 between lines */
};

struct relay {
	const char	*control;
	struct ctl_conn	*ctl;	/* NULL while the daemon does not run */
	FILE		*out;
	int		 errors;
	int		 hello;	/* the far end has said hello: a new
				 * connection to the daemon says it again */
	int		 watching; /* "watch" was answered: the daemon's
				 * event lines are passed on as they come */
};

/* Take one byte; returns 1 when a line (or a bad one) is complete. */
static int
take_byte(struct reader *r, char ch)
{
	if (r->started_ms == 0)
		r->started_ms = clock_ms();
	if (ch == '\n')
		return 1;
	if (r->too_long || ch == '\r')
		return 0;
	if (r->len == PEER_LINE_MAX) {
		r->too_long = 1;
		return 0;
	}
	if ((unsigned char)ch < 0x20 || (unsigned char)ch > 0x7e)
		r->bad_byte = 1;
	r->line[r->len++] = ch;
	return 0;
}

/* What is sent back: printable only, whatever the daemon said. */
static void
emit(struct relay *rl, const char *reply)
{
	for (; *reply != '\0'; reply++)
		fputc((unsigned char)*reply < 0x20 || *reply == 0x7f ? '?' :
		    *reply, rl->out);
	fputc('\n', rl->out);
	fflush(rl->out);
}

static void
pass_event(const char *line, void *arg)
{
	emit(arg, line);
}

/* The daemon does not run here: answer what can be answered. */
static int
answer_alone(struct relay *rl, const struct peer_request *req)
{
	char line[PEER_LINE_MAX + 64];

	switch (req->verb) {
	case PV_HELLO:
		if (req->version != PEER_VERSION)
			snprintf(line, sizeof(line), "err version %d not "
			    "supported (%d)", req->version, PEER_VERSION);
		else {
			snprintf(line, sizeof(line), "ok %s %d unknown",
			    PEER_HELLO, PEER_VERSION);
			rl->hello = 1;
		}
		break;
	case PV_PROBE:
		snprintf(line, sizeof(line), "ok %s running=0 probing=0",
		    req->session);
		break;
	case PV_QUIT:
		emit(rl, "ok bye");
		return 0;
	default:
		snprintf(line, sizeof(line), "err vtundfix does not run here");
		break;
	}
	emit(rl, line);
	return 1;
}

/*
 * A connection to the daemon, made when there is none.  The daemon asks
 * each connection for the handshake: after the daemon restarted, the
 * relay says it again for the far end, which said it once.
 */
static int
connected(struct relay *rl, const struct peer_request *req)
{
	char err[256];

	if (rl->ctl == NULL)
		rl->ctl = ctl_connect(rl->control,
		    rl->hello && req->verb != PV_HELLO, err, sizeof(err));
	return rl->ctl != NULL;
}

static int
forward(struct relay *rl, const char *line, const struct peer_request *req)
{
	char reply[PEER_REPLY_MAX];

	if (!connected(rl, req))
		return answer_alone(rl, req);
	if (ctl_call_ev(rl->ctl, line, reply, sizeof(reply), pass_event,
	    rl) == -1) {
		ctl_close(rl->ctl);
		rl->ctl = NULL;
		/* A watch does not outlive its connection: the far end is
		 * told, and watches again when it comes back. */
		if (rl->watching) {
			emit(rl, "err vtundfix stopped here, goodbye");
			return 0;
		}
		/* It stopped, or restarted: once more, else answer alone. */
		if (!connected(rl, req) ||
		    ctl_call_ev(rl->ctl, line, reply, sizeof(reply), pass_event,
		    rl) == -1) {
			ctl_close(rl->ctl);
			rl->ctl = NULL;
			return answer_alone(rl, req);
		}
	}
	if (req->verb == PV_HELLO && strncmp(reply, "ok ", 3) == 0)
		rl->hello = 1;
	if (req->verb == PV_WATCH && strncmp(reply, "ok", 2) == 0)
		rl->watching = 1;
	emit(rl, reply);
	ctl_buffered_events(rl->ctl, pass_event, rl);	/* newer than it */
	return req->verb != PV_QUIT && strcmp(reply, "err too many errors, "
	    "goodbye") != 0;
}

/* Handle the complete line in R; returns 1 to go on, 0 to hang up. */
static int
handle_line(struct relay *rl, struct reader *r)
{
	struct peer_request req;
	char err[128], reply[160];
	int rc;

	r->line[r->len] = '\0';
	if (r->too_long)
		snprintf(err, sizeof(err), "line too long (at most %d bytes)",
		    PEER_LINE_MAX);
	else if (r->bad_byte)
		snprintf(err, sizeof(err), "unprintable input");
	if (r->too_long || r->bad_byte ||
	    peer_parse_request(r->line, &req, err, sizeof(err)) == -1 ||
	    (req.verb == PV_STATUS && req.text &&
	    snprintf(err, sizeof(err), "status text is not for the peer"))) {
		snprintf(reply, sizeof(reply), "err %s", err);
		emit(rl, reply);
		memset(r, 0, sizeof(*r));
		if (++rl->errors >= PEER_ERRORS_MAX) {
			emit(rl, "err too many errors, goodbye");
			return 0;
		}
		return 1;
	}
	rl->errors = 0;
	rc = forward(rl, req.verb == PV_STATUS ? "status" : r->line, &req);
	memset(r, 0, sizeof(*r));
	return rc;
}

/* A line must be complete within PEER_LINE_TIMEOUT_MS of its first byte. */
static int
line_left(const struct reader *r)
{
	uint64_t spent = clock_ms() - r->started_ms;

	return spent >= PEER_LINE_TIMEOUT_MS ? 0 :
	    (int)(PEER_LINE_TIMEOUT_MS - spent);
}

/* The daemon's event lines; 0 when it has gone (the far end is told). */
static int
take_events(struct relay *rl)
{
	if (ctl_events(rl->ctl, pass_event, rl) == 0)
		return 1;
	emit(rl, "err vtundfix stopped here, goodbye");
	return 0;
}

int
relay_serve(const char *control, int in, int outfd)
{
	struct relay rl = { control, NULL, NULL, 0, 0, 0 };
	struct reader r;
	struct pollfd pfd[2] = { { .fd = in, .events = POLLIN },
	    { .fd = -1, .events = POLLIN } };
	char buf[512];
	ssize_t n, i;
	int timeout, rc;

	if ((rl.out = fdopen(outfd, "w")) == NULL)
		return 1;
	memset(&r, 0, sizeof(r));
	for (;;) {
		timeout = r.started_ms == 0 ? RELAY_IDLE_MS :
		    line_left(&r);
		pfd[1].fd = rl.watching && rl.ctl != NULL ? ctl_fd(rl.ctl) : -1;
		if ((rc = poll(pfd, 2, timeout)) == 0) {
			emit(&rl, r.started_ms != 0 ? "err timeout in "
			    "the middle of a line" : "err idle, goodbye");
			break;
		}
		if (rc == -1) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd[1].fd != -1 && pfd[1].revents != 0 &&
		    !take_events(&rl))
			break;
		if (pfd[0].revents == 0)
			continue;
		if ((n = read(in, buf, sizeof(buf))) == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		for (i = 0; i < n; i++) {
			if (!take_byte(&r, buf[i]))
				continue;
			if (!handle_line(&rl, &r))
				goto done;
		}
	}
done:
	ctl_close(rl.ctl);
	fclose(rl.out);
	return 0;
}
