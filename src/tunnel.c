/*
 * tunnel: the data path's state machine.  tunnel_input() dispatches on the
 * input; every state change goes through change_state(), which logs it.
 */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "checks.h"
#include "log.h"
#include "tunnel.h"

#define RESTART_BACKOFF_FIRST_MS	500
#define RESTART_BACKOFF_MAX_MS		60000
#define REACH_SETTLE_MS			100
#define REACH_TIMEOUT_GUARD_MS		1500	/* > reach.h's timeout */

static const char *const state_names[TS_MAX] = {
	[TS_NOSESSION] = "no session",
	[TS_STARTING] = "starting",
	[TS_UP] = "up",
	[TS_SUSPECT] = "suspect",
	[TS_REACHING] = "reaching",
	[TS_DEAD] = "dead",
	[TS_ENDING] = "ending",
	[TS_RESTARTING] = "restarting",
	[TS_OUTAGE] = "outage",
	[TS_RESUMING] = "resuming",
	[TS_BROKEN] = "broken",
};

static const char *const input_names[TI_MAX] = {
	[TI_TAP] = "tap", [TI_CLIENT] = "client", [TI_NOCLIENT] = "no client",
	[TI_SESSION] = "session", [TI_PROBE] = "probe", [TI_TIMER] = "timer",
	[TI_PEER_PROBING] = "peer probing", [TI_PEER_SILENT] = "peer silent",
	[TI_PEER_UNKNOWN] = "peer unknown", [TI_REACH_OK] = "reach ok",
	[TI_REACH_FAIL] = "reach failed", [TI_LOCK_FREE] = "lock free",
	[TI_END_DONE] = "end done", [TI_CHECK] = "check",
	[TI_COUNTERS_ALIVE] = "counters rose",
	[TI_COUNTERS_DEAD] = "counters still",
	[TI_UNHEARD] = "unheard",
};

const char *
tunnel_state_name(enum tunnel_state s)
{
	return (unsigned)s < TS_MAX ? state_names[s] : "?";
}

const char *
tunnel_input_name(enum tunnel_input i)
{
	return (unsigned)i < TI_MAX ? input_names[i] : "?";
}

static void
arm(struct tunnel *t, uint64_t at)
{
	t->deadline = at;
	t->ops->arm(t->ctx, at);
}

/* The one place the state changes; WHY is the evidence, logged once. */
static void __attribute__((format(printf, 4, 5)))
change_state(struct tunnel *t, enum tunnel_state to, uint64_t now,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(t->why, sizeof(t->why), fmt, ap);
	va_end(ap);
	if (to != t->state)
		log_info("tunnel: %s -> %s: %s", state_names[t->state],
		    state_names[to], t->why);
	/* No round runs during an outage or a resume but the one that
	 * records it (reaching's settle round); one clears the fault when
	 * the tunnel is up again. */
	if (to == TS_UP && t->state != TS_UP && t->state != TS_SUSPECT &&
	    t->state != TS_NOSESSION)
		t->ops->wake(t->ctx);
	t->state = to;
	t->since_ms = now;
	t->transitions++;
}

static double
secs(uint64_t ms)
{
	return ms / 1000.0;
}

/* --- evidence --- */

/*
 * When the marks are taken: well after the next probe is due (one
 * interval and a half), so that a healthy tunnel never pays for them.
 */
static uint64_t
mark_delay(const struct tunnel *t)
{
	uint64_t d = t->conf.interval_ms * 3 / 2;

	return d < t->conf.detect_ms / 2 ? d : t->conf.detect_ms / 2;
}

/* Something arrived at NOW: silence is counted from here. */
static void
alive_at(struct tunnel *t, uint64_t now)
{
	t->alive_ms = now;
	t->have_mark = 0;
	t->quiet_logged = 0;
	if (t->conf.probes)
		arm(t, now + mark_delay(t));	/* silence is judged */
}

/* Evidence that the path works: restarts in a row are over. */
static void
confirmed(struct tunnel *t)
{
	t->restarts = 0;
	t->restart_not_before = 0;
}

/*
 * vtund's socket: 1 and *S, 0 no view, -1 error.  A socket other than the
 * one this session had is a new session (persist keep: same tap).
 */
static int
tcp_sample(struct tunnel *t, struct tunnel_tcp *s, int *changed)
{
	int view = t->ops->tcp(t->ctx, s);

	*changed = 0;
	if (view != 1)
		return view;
	if (t->inode != 0 && s->inode != t->inode)
		*changed = 1;
	t->inode = s->inode;
	return 1;
}

/* This session's own socket, the one it had: 1 and *S, else 0. */
static int
session_tcp(struct tunnel *t, struct tunnel_tcp *s)
{
	int changed;

	return t->ifindex != 0 && tcp_sample(t, s, &changed) == 1 && !changed;
}

/*
 * The path works again (the server answers, or something arrived through
 * it) while vtund's socket S still waits out its retransmission back-off:
 * tell the kernel (RFC 6069), so that it retransmits now rather than in
 * up to two minutes.  1 told.
 */
static int
tell_kernel(struct tunnel *t, const struct tunnel_tcp *s, uint64_t now)
{
	if (s->unacked == 0 || s->retransmits == 0 ||
	    t->ops->resume(t->ctx, s) != 1)
		return 0;
	t->told_ms = now;
	return 1;
}

/*
 * A down period shorter than the detection time (a flap) leaves vtund's
 * socket in its retransmission back-off: after 2 s down its next
 * retransmission may be more than a second away, and the tunnel with it.
 * The path is seen back sooner: a client watches its server from the
 * mark (1.5 probe intervals of silence, data unacknowledged through a
 * timeout), and either end takes the first probe after such a silence as
 * proof.  Then the kernel is told (RFC 6069), once per silence, if the
 * socket timed out with nothing acknowledged since the mark; a socket
 * whose data moved, or that has not timed out, is left alone (a busy
 * link's own back-off).  (The time since the last ACK proves nothing
 * here: every segment of the far end's carries one, acknowledging
 * nothing new, and resets it.)
 */
static void	 reach(struct tunnel *, uint64_t);
static void	 reach_result(struct tunnel *, int, uint64_t);
static uint64_t	 ack_slack(const struct tunnel_tcp *);

static int
stalled(const struct tunnel *t, const struct tunnel_tcp *s)
{
	return s->unacked > 0 && s->retransmits > 0 && s->rto_pending &&
	    s->bytes_acked == t->acked_mark;
}

/*
 * At the mark of a silence that followed a probe (not the far end's
 * vtundfix stopped for a while, whose kernel acknowledges): data waits and
 * the last ACK is old; watch the server.
 */
static void
stall_seen(struct tunnel *t, const struct tunnel_tcp *s, uint64_t now)
{
	if (t->conf.client && t->alive_ms == t->probe_ms && s->unacked > 0 &&
	    s->last_ack_ms >= TUNNEL_NUDGE_QUIET_MS) {
		log_debug("tunnel: nothing for %.1f s and vtund's TCP waits "
		    "for an ACK since %.1f s: watching the server",
		    secs(now - t->alive_ms), secs(s->last_ack_ms));
		reach(t, now);
	}
}

static void
stall_over(struct tunnel *t, uint64_t now, const char *how)
{
	struct tunnel_tcp s;

	if (!t->have_mark || !t->tcp_at_mark || t->told_ms >= t->mark_ms ||
	    !session_tcp(t, &s) || !stalled(t, &s) ||
	    s.rto_in_ms <= ack_slack(&s) || !tell_kernel(t, &s, now))
		return;
	log_info("tunnel: nothing arrived for %.1f s and vtund's TCP timed out "
	    "%u times in a row; %s: told the kernel the path is back, it "
	    "retransmits now, not in %.1f s", secs(now - t->alive_ms),
	    s.retransmits, how, secs(s.rto_in_ms));
}

/*
 * The peer's probes come but do not echo ours: what it sends gets here,
 * what we send does not get there.  When our socket is stuck in a
 * retransmission back-off meanwhile (the underlay flapped, and the far
 * end got through first), the kernel is told the path works: at once when
 * snd_una is known (tcpresume.h), else at the far end's next segment.  A
 * busy link's socket is left alone: its data moves (which ends a run of
 * timeouts), or it has backed off only once.
 */
static void
unheard(struct tunnel *t, uint64_t now)
{
	struct tunnel_tcp s;

	if ((t->state != TS_UP && t->state != TS_SUSPECT) ||
	    (t->nudge_ms != 0 && now - t->nudge_ms < TUNNEL_NUDGE_EVERY_MS) ||
	    (t->told_ms != 0 && now - t->told_ms < TUNNEL_NUDGE_EVERY_MS) ||
	    !session_tcp(t, &s) ||
	    s.unacked == 0 || s.retransmits < 2 || !s.rto_pending ||
	    s.rto_in_ms < TUNNEL_NUDGE_QUIET_MS)
		return;
	t->nudge_ms = now;
	if (tell_kernel(t, &s, now))
		log_info("tunnel: the peer's probes come but ours do not get "
		    "there; vtund's TCP waits out its retransmission back-off "
		    "(%u timeouts in a row): told the kernel the path is back, "
		    "it retransmits now, not in %.1f s", s.retransmits,
		    secs(s.rto_in_ms));
	else if (t->ops->nudge(t->ctx) == 0)
		log_info("tunnel: the peer's probes come but ours do not get "
		    "there; vtund's TCP waits out its retransmission back-off "
		    "(%u timeouts in a row, the next in %.1f s): telling the "
		    "kernel the path works at the far end's next segment",
		    s.retransmits, secs(s.rto_in_ms));
}

/* Something arrived: back to UP, this end's own back-off undone too. */
static void
back_up(struct tunnel *t, uint64_t now, const char *ev)
{
	struct tunnel_tcp s;

	/* Only after a verdict of broken: a busy link's own back-off is
	 * its congestion control, not ours to undo. */
	if ((t->state == TS_BROKEN || t->state == TS_OUTAGE ||
	    t->state == TS_REACHING || t->state == TS_DEAD) &&
	    session_tcp(t, &s) && tell_kernel(t, &s, now))
		change_state(t, TS_UP, now, "%s; told the kernel the path is "
		    "back: vtund's TCP retransmits now, not in %.1f s", ev,
		    secs(s.rto_in_ms));
	else
		change_state(t, TS_UP, now, "%s", ev);
	t->ops->probes(t->ctx, 1);
}

/* The marks the next judgement compares with. */
static void
take_marks(struct tunnel *t, uint64_t now)
{
	struct tunnel_tcp s;
	int changed;

	t->have_mark = 1;
	t->mark_ms = now;
	if (t->ops->tap_rx(t->ctx, &t->rx_mark) == -1)
		t->rx_mark = UINT64_MAX;
	t->tcp_at_mark = tcp_sample(t, &s, &changed) == 1;
	t->acked_mark = t->tcp_at_mark ? s.bytes_acked : 0;
	if (t->tcp_at_mark && !changed)
		stall_seen(t, &s, now);
}

enum verdict { V_ALIVE, V_ACKED, V_WAIT, V_DEAD, V_NOVIEW, V_IDLE, V_NEW };

/* What the tap's counter and vtund's TCP socket say since the marks. */
static enum verdict
judge(struct tunnel *t, uint64_t now, char *ev, size_t len)
{
	struct tunnel_tcp s;
	uint64_t rx;
	int view, changed;

	if (t->ops->tap_rx(t->ctx, &rx) == 0 && t->rx_mark != UINT64_MAX &&
	    rx != t->rx_mark) {
		snprintf(ev, len, "%llu frames received on the tap",
		    (unsigned long long)(rx - t->rx_mark));
		return V_ALIVE;
	}
	view = tcp_sample(t, &s, &changed);
	if (view != 1) {
		snprintf(ev, len, "0 frames received, no TCP view");
		return V_NOVIEW;
	}
	if (changed) {
		snprintf(ev, len, "vtund has a new TCP connection");
		return V_NEW;
	}
	if (t->tcp_at_mark && s.bytes_acked != t->acked_mark) {
		snprintf(ev, len, "TCP: %llu bytes acknowledged",
		    (unsigned long long)(s.bytes_acked - t->acked_mark));
		return V_ACKED;
	}
	if (!t->tcp_at_mark)
		t->acked_mark = s.bytes_acked, t->tcp_at_mark = 1;
	if (s.unacked == 0 && s.waiting == 0) {
		snprintf(ev, len, "0 frames received, TCP idle "
		    "(nothing to acknowledge)");
		return V_IDLE;
	}
	snprintf(ev, len, "0 frames received, TCP %u segments unacked, "
	    "%u bytes waiting, last ACK %.1f s ago", s.unacked, s.waiting,
	    secs(s.last_ack_ms));
	if (s.last_ack_ms >= t->conf.detect_ms ||
	    now - t->mark_ms >= t->conf.detect_ms)
		return V_DEAD;
	/* Waiting for the moment nothing has been acknowledged for the
	 * detection time: from the last ACK, or from the mark. */
	arm(t, now + (t->conf.detect_ms - s.last_ack_ms <
	    t->conf.detect_ms - (now - t->mark_ms) ?
	    t->conf.detect_ms - s.last_ack_ms :
	    t->conf.detect_ms - (now - t->mark_ms)));
	return V_WAIT;
}

static void	 broken(struct tunnel *, uint64_t, const char *);
static void	 new_session(struct tunnel *, uint64_t, const char *);
static int	 flapping(struct tunnel *, uint64_t);

/* Without a TCP view the peer must confirm it probes (SPEC §5). */
static void
ask_peer(struct tunnel *t, uint64_t now)
{
	if (t->peer_asked_ms != 0 &&
	    now - t->peer_asked_ms < TUNNEL_PEER_ASK_MS)
		return;
	t->peer_asked_ms = now;
	t->ops->ask_probe(t->ctx);
}

/* The deadline in UP or SUSPECT: the silence is long; look closer. */
static void
silence(struct tunnel *t, uint64_t now)
{
	char ev[160];
	uint64_t quiet = now - t->alive_ms;

	if (!t->have_mark) {
		take_marks(t, now);
		arm(t, t->alive_ms + t->conf.detect_ms);
		return;
	}
	if (quiet < t->conf.detect_ms) {
		arm(t, t->alive_ms + t->conf.detect_ms);
		return;
	}
	switch (judge(t, now, ev, sizeof(ev))) {
	case V_NEW:
		new_session(t, now, ev);
		return;
	case V_ACKED:
		/* The far kernel acknowledges, but a frozen far vtund would
		 * too (its socket buffer absorbs the probes): when probes are
		 * expected and none come, the peer's word decides. */
		if (t->conf.probes)
			ask_peer(t, now);
		/* FALLTHROUGH */
	case V_ALIVE:
		confirmed(t);
		/* FALLTHROUGH */
	case V_IDLE:
		/* Idle: nothing sent, nothing owed, no evidence either way
		 * (a broken server session whose data got through is well). */
		if (t->state != TS_UP)
			back_up(t, now, ev);
		alive_at(t, now);
		return;
	case V_DEAD:
		if (t->state == TS_BROKEN) {
			/* A probe ends it at once (watched); this is for frames
			 * without probes, which nobody waits on. */
			arm(t, now + TUNNEL_REASK_MS);
			return;
		}
		broken(t, now, ev);
		return;
	case V_WAIT:
		if (t->state == TS_UP)
			change_state(t, TS_SUSPECT, now, "no probe for %.1f "
			    "s, %s", secs(quiet), ev);
		return;
	case V_NOVIEW:
		if (t->state == TS_UP)
			change_state(t, TS_SUSPECT, now, "no probe for %.1f "
			    "s, %s", secs(quiet), ev);
		if (t->conf.probes)
			ask_peer(t, now);
		arm(t, now + t->conf.detect_ms);
		return;
	}
}

/*
 * Our TCP gets through, the peer's does not, soon after a restart: on a
 * flapping underlay the far end's socket waits out its own retransmission
 * back-off (a few seconds after a short down period), and a restart per
 * flap would follow.  Wait for it once; again only if a probe came since
 * the last wait (then it was a flap that ended, not a stuck far end).
 */
static int
far_end_flaps(struct tunnel *t, uint64_t now)
{
	if (t->restart_ms == 0 || now - t->restart_ms > TUNNEL_FLAP_WINDOW_MS ||
	    (t->far_wait_ms > t->restart_ms && t->probe_ms < t->far_wait_ms))
		return 0;
	change_state(t, TS_SUSPECT, now, "no probe for %.1f s while the peer "
	    "probes, and ours get through; the underlay flaps (a restart "
	    "%.0f s ago did not last): waiting %.1f s once for the far end's "
	    "own retransmission rather than restarting again",
	    secs(now - t->probe_ms), secs(now - t->restart_ms),
	    secs(TUNNEL_FAR_RETRY_MS));
	t->far_wait_ms = now;
	t->peer_asked_ms = 0;		/* ask again when the wait is over */
	t->have_mark = 1;
	t->mark_ms = now;
	arm(t, now + TUNNEL_FAR_RETRY_MS);
	return 1;
}

/* The peer answered "probe": evidence only with no TCP view. */
static void
peer_answer(struct tunnel *t, enum tunnel_input in, uint64_t now)
{
	char ev[160];
	uint64_t rx;

	t->peer_probing = in == TI_PEER_PROBING ? 1 :
	    in == TI_PEER_SILENT ? 0 : -1;
	if (t->state != TS_SUSPECT && t->state != TS_UP)
		return;
	/* Silence counts from the last probe, not from TCP's progress. */
	if (in == TI_PEER_PROBING && t->ops->tap_rx(t->ctx, &rx) == 0 &&
	    t->rx_mark != UINT64_MAX && rx == t->rx_mark &&
	    now - t->probe_ms >= t->conf.detect_ms) {
		if (far_end_flaps(t, now))
			return;
		snprintf(ev, sizeof(ev), "no probe for %.1f s while the peer "
		    "probes, nothing received on the tap",
		    secs(now - t->probe_ms));
		broken(t, now, ev);
		return;
	}
	if (t->state != TS_SUSPECT)
		return;
	if (t->quiet_logged)
		return;
	t->quiet_logged = 1;
	log_info("tunnel: no probe for %.1f s, but %s: no evidence, not "
	    "restarting", secs(now - t->alive_ms),
	    in == TI_PEER_SILENT ? "the peer does not probe" :
	    in == TI_PEER_UNKNOWN ? "the peer cannot be asked" :
	    "frames arrive on the tap");
}

/* --- broken: restart if it can help --- */

static void
reach(struct tunnel *t, uint64_t now)
{
	if (t->reach_pending && t->state != TS_OUTAGE)
		return;
	t->reach_pending = 1;
	t->reach_ms = now;
	t->ops->reach(t->ctx);
}

/* Positive evidence that the session is broken. */
static void
broken(struct tunnel *t, uint64_t now, const char *ev)
{
	snprintf(t->dead_why, sizeof(t->dead_why), "%s", ev);
	/* Whatever we send into a dead TCP session deepens its
	 * retransmission back-off (SPEC §11): send nothing. */
	t->ops->probes(t->ctx, 0);
	if (!t->conf.client) {
		change_state(t, TS_BROKEN, now, "%s; the client reconnects",
		    ev);
		arm(t, now + TUNNEL_REASK_MS);
		return;
	}
	change_state(t, TS_REACHING, now, "%s; does the server answer?", ev);
	arm(t, 0);
	reach(t, now);
	/* Watched since the mark (stall_seen), and silent: an outage. */
	if (t->have_mark && t->unreach_ms >= t->mark_ms &&
	    t->reach_ok_ms < t->unreach_ms)
		reach_result(t, 0, now);
}

static uint64_t
restart_backoff(unsigned n)
{
	uint64_t d = RESTART_BACKOFF_FIRST_MS;

	if (n <= 1)
		return 0;
	while (--n > 1 && d < RESTART_BACKOFF_MAX_MS)
		d *= 2;
	return d < RESTART_BACKOFF_MAX_MS ? d : RESTART_BACKOFF_MAX_MS;
}

static void
outage_over(struct tunnel *t, uint64_t now)
{
	char what[160];

	if (t->outage_ms == 0)
		return;
	snprintf(what, sizeof(what), "underlay outage of %.1f s",
	    secs(now - t->outage_ms));
	t->ops->mail(t->ctx, what);
	t->outage_ms = 0;
}

/*
 * The underlay answers again.  The old session resumes on its own only if
 * it owes nothing; else both ends' sockets wait out their retransmission
 * back-off (up to 120 s), so the client is replaced at once: a fresh one
 * connects without vtund's 5 s sleep, and no back-off applies.
 */
static void
underlay_back(struct tunnel *t, uint64_t now)
{
	struct tunnel_tcp s;
	int same = session_tcp(t, &s);

	if (same && tell_kernel(t, &s, now)) {
		change_state(t, TS_RESUMING, now, "the server answers again "
		    "after %.1f s; told the kernel the path is back: the old "
		    "session's TCP retransmits now, not in %.1f s",
		    secs(now - t->outage_ms), secs(s.rto_in_ms));
		outage_over(t, now);
		t->acked_mark = s.bytes_acked;
		arm(t, now + TUNNEL_RESUME_WAIT_MS + 2 * (uint64_t)s.rtt_ms);
		return;
	}
	if (flapping(t, now)) {
		outage_over(t, now);
		return;
	}
	if (same && s.unacked == 0 && s.waiting == 0) {
		change_state(t, TS_UP, now, "the server answers again after "
		    "%.1f s; the old session owes nothing and resumes",
		    secs(now - t->outage_ms));
		outage_over(t, now);
		t->ops->probes(t->ctx, 1);
		alive_at(t, now);
		return;
	}
	change_state(t, TS_DEAD, now, "the server answers again after %.1f s"
	    "; %s: replacing the client at once", secs(now - t->outage_ms),
	    t->ifindex == 0 ? "no session" : "the old session waits out "
	    "its retransmission back-off");
	outage_over(t, now);
	t->replace = 1;
	t->urgent = 1;
	t->ops->wake(t->ctx);
}

static void
reach_result(struct tunnel *t, int ok, uint64_t now)
{
	/* A silence reported after an answer is from an older attempt. */
	if (!ok && t->reach_ok_ms != 0 &&
	    now - t->reach_ok_ms < REACH_TIMEOUT_GUARD_MS)
		return;
	t->reach_pending = 0;
	t->reach_ok = ok;
	if (ok)
		t->reach_ok_ms = now;
	else
		t->unreach_ms = now;
	switch (t->state) {
	case TS_REACHING:
		if (ok) {
			change_state(t, TS_DEAD, now, "the server answers: a "
			    "restart can help");
			t->ops->wake(t->ctx);
		} else {
			t->outage_ms = t->reach_ms;
			change_state(t, TS_OUTAGE, now, "the server answers "
			    "nothing: keeping the session, sending nothing, "
			    "watching the underlay every %.1f s",
			    secs(TUNNEL_REACH_EVERY_MS));
			arm(t, t->reach_ms + TUNNEL_REASK_MS);
		}
		break;
	case TS_OUTAGE:
		if (ok)
			underlay_back(t, now);
		break;
	case TS_UP:
	case TS_SUSPECT:
		if (ok)
			stall_over(t, now, "the server answers");
		break;
	case TS_NOSESSION:
		if (!ok && t->connecting_since != 0) {
			t->outage_ms = t->reach_ms;
			change_state(t, TS_OUTAGE, now, "connecting for %.1f "
			    "s and the server answers nothing: waiting for "
			    "the underlay", secs(now - t->connecting_since));
			arm(t, t->reach_ms + TUNNEL_REASK_MS);
		} else {
			t->ops->wake(t->ctx);
		}
		break;
	default:
		break;
	}
}

/* Stop the client; check 1 starts a fresh one at once (no lock wait). */
static void
replace_client(struct tunnel *t)
{
	if (t->client_pid > 0)
		(void)t->ops->signal_client(t->ctx, t->client_pid, SIGKILL);
	t->client_pid = 0;
	t->start_ok = 1;
}

/* How long after a retransmission its ACK is awaited. */
static uint64_t
ack_slack(const struct tunnel_tcp *s)
{
	uint64_t d = TUNNEL_ACK_SLACK_MIN_MS + 2 * (uint64_t)s->rtt_ms;

	return d < TUNNEL_DETECT_SLACK_MS ? d : TUNNEL_DETECT_SLACK_MS;
}

/*
 * Would another restart help, so soon after the last?  When the underlay
 * flaps, every restart makes a fresh session that the next down period
 * stalls again.  A session whose TCP has backed off only a little (fewer
 * than TUNNEL_DEEP_RTO timeouts in a row, its next retransmission due
 * soon) gets through by itself the moment the underlay is up: wait for
 * that instead.  Deeply backed off, it would wait up to 120 s: restart.
 */
static int
flapping(struct tunnel *t, uint64_t now)
{
	struct tunnel_tcp s;
	uint64_t wait;
	int changed;

	/* Waited once, in vain, the server answering throughout: the
	 * session is stuck while the underlay is up (a black hole, again),
	 * not a flap. */
	if (t->restart_ms == 0 || now - t->restart_ms > TUNNEL_FLAP_WINDOW_MS ||
	    (t->flap_wait_ms > t->restart_ms &&
	    t->alive_ms < t->flap_wait_ms &&
	    t->unreach_ms < t->flap_wait_ms) ||
	    t->ifindex == 0 || tcp_sample(t, &s, &changed) != 1 || changed ||
	    s.retransmits == 0 || s.retransmits >= TUNNEL_DEEP_RTO ||
	    !s.rto_pending ||
	    s.rto_in_ms > 3000)
		return 0;
	/* The retransmission now rather than at its timer, if the kernel
	 * can be told: a black hole soon after a restart then costs one
	 * round trip, not the timer's remaining second. */
	if (tell_kernel(t, &s, now)) {
		wait = ack_slack(&s);
		change_state(t, TS_SUSPECT, now, "the underlay flaps (a restart "
		    "%.0f s ago did not last): told the kernel the path is "
		    "back, vtund's TCP retransmits now, not in %u ms (%u "
		    "timeouts in a row); waiting %llu ms for its ACK rather "
		    "than restarting again", secs(now - t->restart_ms),
		    s.rto_in_ms, s.retransmits, (unsigned long long)wait);
	} else {
		wait = s.rto_in_ms + ack_slack(&s);
		change_state(t, TS_SUSPECT, now, "the underlay flaps (a restart "
		    "%.0f s ago did not last): waiting %u ms for vtund's own "
		    "retransmission (%u timeouts in a row) rather than "
		    "restarting again", secs(now - t->restart_ms), s.rto_in_ms,
		    s.retransmits);
	}
	t->ops->probes(t->ctx, 1);
	t->urgent = t->replace = 0;
	t->flap_wait_ms = now;
	t->have_mark = 1;		/* judged against the marks taken */
	t->mark_ms = now;
	arm(t, now + wait);
	return 1;
}

/* The restart itself, at check 5 (or check 4 when there is no tap). */
static int
restart(struct tunnel *t, uint64_t now)
{
	int hup = !t->replace && t->client_kind == CLIENT_CONNECTED &&
	    t->restarts == 0;
	int ok = t->client_pid > 0;
	struct tunnel_tcp s;
	int changed;

	t->restarts++;
	t->restart_ms = now;
	t->restart_not_before = t->urgent ? 0 :
	    now + restart_backoff(t->restarts);
	t->urgent = 0;
	t->replace = 0;
	/* The old socket, to tell the new session from it. */
	if (tcp_sample(t, &s, &changed) != 1)
		t->inode = 0;
	t->restart_hup = hup;
	if (hup)
		ok = ok && t->ops->signal_client(t->ctx, t->client_pid,
		    SIGHUP) == 0;
	else
		replace_client(t);
	t->ops->record(t->ctx, TREC_TUNNEL_REPAIR, t->dead_why, hup ?
	    "sent SIGHUP to the vtund client (it reconnects at once)" :
	    "replaced the vtund client (a fresh one connects at once)",
	    hup ? ok : 1);
	change_state(t, TS_RESTARTING, now, "%s", hup ? "SIGHUP sent" :
	    "client replaced");
	t->ops->probes(t->ctx, 1);
	arm(t, now + REACH_SETTLE_MS * 2);
	t->settle_ms = REACH_SETTLE_MS;
	return CR_REPAIRED;
}

/* Check 5: the decisions that touch vtund. */
static int
check(struct tunnel *t, uint64_t now)
{
	uint64_t rx;

	switch (t->state) {
	case TS_REACHING:
	case TS_RESTARTING:
		t->settle_ms = REACH_SETTLE_MS;
		return CR_WAIT;
	case TS_DEAD:
		if (flapping(t, now)) {
			t->settle_ms = 0;
			return CR_OK;
		}
		/* Frames came through the session the last restart made:
		 * it helped, even if no probe had come yet. */
		if (t->restarts > 0 && t->rx_session != UINT64_MAX &&
		    t->ops->tap_rx(t->ctx, &rx) == 0 && rx > t->rx_session)
			confirmed(t);
		if (!t->urgent && now < t->restart_not_before) {
			t->settle_ms = t->restart_not_before - now;
			t->ops->record(t->ctx, TREC_TUNNEL_FAULT, t->dead_why,
			    "restarts did not help; backing off", 0);
			return CR_FAULT;
		}
		/* Ask the server to end its old session first, so that
		 * killold has nothing to wait for; but never wait for a
		 * peer channel after an outage (it may be down). */
		t->end_answered = 0;
		if (t->urgent) {
			(void)t->ops->end_session(t->ctx);
			return restart(t, now);
		}
		if (t->ops->end_session(t->ctx) == 0) {
			change_state(t, TS_ENDING, now, "asked the server to "
			    "end its old session");
			arm(t, now + TUNNEL_END_WAIT_MS);
			t->settle_ms = TUNNEL_END_WAIT_MS;
			return CR_WAIT;
		}
		return restart(t, now);
	case TS_ENDING:
		if (!t->end_answered && now < t->deadline) {
			t->settle_ms = t->deadline - now;
			return CR_WAIT;
		}
		return restart(t, now);
	/* Both end on an input (the server's answer, a probe) or on the
	 * machine's own timer, never on a round: a round during an outage
	 * would look at every link and process for nothing. */
	case TS_OUTAGE:
		return CR_FAULT;
	case TS_RESUMING:
		return CR_WAIT;
	case TS_BROKEN:
		return CR_SKIP;
	default:
		return CR_OK;
	}
}

/* --- the session and the client --- */

/* A session began (a new tap, or a new socket on a kept tap). */
static void
new_session(struct tunnel *t, uint64_t now, const char *how)
{
	if (t->ops->tap_rx(t->ctx, &t->rx_session) != 0)
		t->rx_session = UINT64_MAX;
	t->ops->new_session(t->ctx);
	t->ops->probes(t->ctx, 1);
	t->peer_asked_ms = 0;
	t->connecting_since = 0;
	t->reach_pending = 0;
	outage_over(t, now);
	/* Silence is counted from now; if the new session carries nothing
	 * the evidence rules find it as they would any other. */
	change_state(t, TS_UP, now, "%s%s", how, t->state == TS_RESTARTING ?
	    ": the restart made a new session" : "");
	t->probe_ms = now;
	alive_at(t, now);
}

static void
no_session(struct tunnel *t, uint64_t now)
{
	t->ifindex = 0;
	t->inode = 0;
	t->have_mark = 0;
	switch (t->state) {
	case TS_OUTAGE:
	case TS_RESTARTING:
	case TS_NOSESSION:
	case TS_STARTING:
	case TS_DEAD:
		return;
	default:
		change_state(t, TS_NOSESSION, now, "the tap is gone");
		arm(t, 0);
	}
}

/* Check 4 on the client: no tap, the client connects. */
static int
connecting(struct tunnel *t, uint64_t now)
{
	uint64_t waited;

	if (t->connecting_since == 0)
		t->connecting_since = now;
	waited = now - t->connecting_since;
	t->settle_ms = 250;
	if (t->state == TS_DEAD && t->urgent) {
		/* The underlay is back and the client still waits out a
		 * connect attempt made during the outage. */
		t->urgent = 0;
		t->restart_ms = now;
		replace_client(t);
		t->restart_hup = 0;
		snprintf(t->dead_why, sizeof(t->dead_why), "no tunnel for "
		    "%.1f s: the client still waits out a connection attempt "
		    "made during the outage", secs(waited));
		t->ops->record(t->ctx, TREC_TAP_REPAIR, t->dead_why,
		    "replaced the vtund client (a fresh one connects at once)",
		    1);
		change_state(t, TS_RESTARTING, now, "client replaced");
		arm(t, now + REACH_SETTLE_MS * 2);
		return CR_REPAIRED;
	}
	/*
	 * After a restart too: the new session may end at once (vtund ends
	 * a session whose tap is written to before its up block set it up),
	 * and the client then sleeps 5 s; do not wait for that.
	 */
	if (t->state != TS_NOSESSION && t->state != TS_RESTARTING)
		return CR_WAIT;
	if (t->state == TS_NOSESSION && waited >= TUNNEL_CONNECT_REACH_MS &&
	    now - t->reach_ms >= TUNNEL_REACH_EVERY_MS)
		reach(t, now);
	if (!t->client_sleeping || waited < TUNNEL_SLEEP_PATIENCE_MS) {
		if (waited < TUNNEL_SLEEP_PATIENCE_MS)
			t->settle_ms = TUNNEL_SLEEP_PATIENCE_MS - waited;
		return CR_WAIT;
	}
	/* It sleeps 5 s before its next attempt and ignores SIGHUP:
	 * a fresh client connects at once (SPEC §11); with back-off, so a
	 * server that refuses is not hammered. */
	if (now < t->restart_not_before) {
		t->settle_ms = t->restart_not_before - now;
		return CR_WAIT;
	}
	t->restarts++;
	t->restart_ms = now;		/* the flap rule counts from it too */
	t->restart_not_before = now + restart_backoff(t->restarts);
	replace_client(t);
	snprintf(t->dead_why, sizeof(t->dead_why), "no tunnel for %.1f s: "
	    "the vtund client sleeps before its next attempt", secs(waited));
	t->ops->record(t->ctx, TREC_TAP_REPAIR, t->dead_why, "replaced the "
	    "vtund client (a fresh one connects at once)", 1);
	if (t->state == TS_RESTARTING)
		arm(t, now + REACH_SETTLE_MS * 2);	/* its own 5 s */
	return CR_REPAIRED;
}

static int
tap_seen(struct tunnel *t, const struct tunnel_tap *tap, uint64_t now)
{
	char how[64];

	if (tap == NULL)
		return CR_OK;
	if (!tap->present) {
		no_session(t, now);
		return t->conf.client ? connecting(t, now) : CR_SKIP;
	}
	if (tap->ifindex != t->ifindex) {
		snprintf(how, sizeof(how), "%s session (tap index %d)",
		    t->ifindex ? "a new" : "a", tap->ifindex);
		t->ifindex = tap->ifindex;
		t->inode = 0;
		new_session(t, now, how);
	}
	return CR_OK;
}

static int
client_seen(struct tunnel *t, const struct tunnel_client *c, uint64_t now)
{
	if (c == NULL)
		return CR_OK;
	t->client_pid = c->pid;
	t->client_kind = c->kind;
	t->client_sleeping = c->sleeping;
	t->start_ok = 0;
	if (c->kind == CLIENT_CONNECTED)
		t->connecting_since = 0;
	if (t->state == TS_STARTING)
		change_state(t, TS_NOSESSION, now, "vtund client %d runs",
		    (int)c->pid);
	return CR_OK;
}

static int
no_client(struct tunnel *t, uint64_t now)
{
	pid_t pid;

	if (t->started_pid > 0 &&
	    now - t->started_ms < TUNNEL_START_SETTLE_MS) {
		t->settle_ms = TUNNEL_START_SETTLE_MS - (now - t->started_ms);
		return CR_WAIT;		/* not titled yet */
	}
	if (t->client_pid > 0 && !t->start_ok) {
		/* The client we knew died: its server session is ending;
		 * a new client sooner would wait in killold. */
		t->client_pid = 0;
		change_state(t, TS_STARTING, now, "the vtund client is gone; "
		    "waiting for the server's old session to end");
		arm(t, now + TUNNEL_LOCK_WAIT_MS);
		t->ops->ask_lock(t->ctx);
	}
	if (t->state == TS_STARTING && !t->start_ok && now < t->deadline) {
		t->settle_ms = t->deadline - now;
		return CR_WAIT;
	}
	pid = t->ops->start_client(t->ctx);
	t->started_pid = pid > 0 ? pid : 0;
	t->started_ms = now;
	t->start_ok = 0;
	if (t->state == TS_STARTING)
		change_state(t, TS_NOSESSION, now, "vtund client started once "
		    "the server's old session had ended (after %.3f s)",
		    secs(now - t->since_ms));
	t->settle_ms = TUNNEL_START_SETTLE_MS;
	return CR_REPAIRED;
}

/* --- timers --- */

/*
 * An outage tick.  The supervisor watches the server every 0.25 s for
 * every tunnel to it, and the question stays open until it answers; the
 * worker asks again only now and then, in case it was forgotten.  Nothing
 * is sampled: nothing arrives during an outage, and a probe or the
 * server's answer ends it.
 */
static void
outage_tick(struct tunnel *t, uint64_t now)
{
	reach(t, now);
	arm(t, now + TUNNEL_REASK_MS);
}

/*
 * Resuming: has the retransmission the kernel was told to make been
 * acknowledged?  If not, the client is replaced at once, as it would have
 * been without the telling.
 */
static void
resume_tick(struct tunnel *t, uint64_t now)
{
	struct tunnel_tcp s;
	int changed, view = tcp_sample(t, &s, &changed);

	if (view == 1 && changed) {
		new_session(t, now, "vtund has a new TCP connection");
		return;
	}
	if (view == 1 && s.bytes_acked != t->acked_mark) {
		change_state(t, TS_UP, now, "the old session resumed: %llu "
		    "bytes acknowledged", (unsigned long long)(s.bytes_acked -
		    t->acked_mark));
		confirmed(t);
		t->ops->probes(t->ctx, 1);
		alive_at(t, now);
		return;
	}
	change_state(t, TS_DEAD, now, "the old session did not resume within "
	    "%.1f s of the kernel being told: replacing the client at once",
	    secs(now - t->since_ms));
	t->replace = 1;
	t->urgent = 1;
	t->ops->wake(t->ctx);
}

/* Restarting: has the new session come (a new socket on a kept tap)? */
static void
restart_tick(struct tunnel *t, uint64_t now)
{
	struct tunnel_tcp s;
	int changed;

	/* After SIGHUP a kept tap (persist keep) shows the new session
	 * only as a new connection; a replaced client makes a new tap, and
	 * its connection comes before its session. */
	if (t->restart_hup && t->ifindex != 0 &&
	    tcp_sample(t, &s, &changed) == 1 && changed) {
		new_session(t, now, "vtund has a new TCP connection");
		return;
	}
	if (now - t->restart_ms < TUNNEL_RESTART_GRACE_MS) {
		arm(t, now + REACH_SETTLE_MS * 2);
		return;
	}
	change_state(t, TS_REACHING, now, "no new session %.1f s after the "
	    "restart; does the server answer?", secs(now - t->restart_ms));
	t->replace = 1;
	reach(t, now);
}

static void
timer(struct tunnel *t, uint64_t now)
{
	if (t->deadline == 0 || now < t->deadline) {
		if (t->deadline != 0)
			arm(t, t->deadline);
		return;
	}
	t->deadline = 0;
	switch (t->state) {
	case TS_UP:
	case TS_SUSPECT:
	case TS_BROKEN:
		silence(t, now);
		break;
	case TS_OUTAGE:
		outage_tick(t, now);
		break;
	case TS_RESUMING:
		resume_tick(t, now);
		break;
	case TS_RESTARTING:
		restart_tick(t, now);
		break;
	case TS_STARTING:
		t->start_ok = 1;
		t->ops->wake(t->ctx);
		break;
	case TS_ENDING:
		t->ops->wake(t->ctx);
		break;
	default:
		break;
	}
}

/* A genuine probe: the path works, whatever we thought. */
static void
probe(struct tunnel *t, uint64_t now)
{
	enum tunnel_state was = t->state;

	if (was == TS_NOSESSION || was == TS_STARTING)
		return;			/* a probe without a session? stale */
	confirmed(t);
	t->probe_ms = now;
	if (was == TS_UP || was == TS_SUSPECT)
		stall_over(t, now, "a probe came");
	if (was != TS_UP) {
		outage_over(t, now);
		t->reach_pending = 0;
		t->replace = t->urgent = 0;
		back_up(t, now, !t->conf.probes ? "the counters rose on both "
		    "ends" : was == TS_RESTARTING ? "a probe from the peer: the "
		    "restart worked" : "a probe from the peer");
	}
	alive_at(t, now);
}

void
tunnel_init(struct tunnel *t, const struct tunnel_conf *conf,
    const struct tunnel_ops *ops, void *ctx, uint64_t now)
{
	memset(t, 0, sizeof(*t));
	t->conf = *conf;
	t->ops = ops;
	t->ctx = ctx;
	t->state = TS_NOSESSION;
	t->since_ms = now;
	t->peer_probing = -1;
	snprintf(t->why, sizeof(t->why), "starting");
}

int
tunnel_input(struct tunnel *t, enum tunnel_input in, const void *arg,
    uint64_t now)
{
	t->settle_ms = 0;
	switch (in) {
	case TI_TAP:
		return tap_seen(t, arg, now);
	case TI_CLIENT:
		return client_seen(t, arg, now);
	case TI_NOCLIENT:
		return no_client(t, now);
	case TI_SESSION:
		if (t->ifindex != 0 && t->state != TS_NOSESSION)
			new_session(t, now, "vtund has a new TCP connection");
		return 0;
	case TI_PROBE:
		probe(t, now);
		return 0;
	case TI_TIMER:
		timer(t, now);
		return 0;
	case TI_PEER_PROBING:
	case TI_PEER_SILENT:
	case TI_PEER_UNKNOWN:
		peer_answer(t, in, now);
		return 0;
	case TI_REACH_OK:
	case TI_REACH_FAIL:
		reach_result(t, in == TI_REACH_OK, now);
		return 0;
	case TI_LOCK_FREE:
		if (t->state == TS_STARTING) {
			t->start_ok = 1;
			t->ops->wake(t->ctx);
		}
		return 0;
	case TI_END_DONE:
		t->end_answered = 1;
		if (t->state == TS_ENDING)
			t->ops->wake(t->ctx);
		return 0;
	case TI_CHECK:
		return check(t, now);
	case TI_COUNTERS_ALIVE:
		probe(t, now);
		return 0;
	case TI_UNHEARD:
		unheard(t, now);
		return 0;
	case TI_COUNTERS_DEAD:
		if (t->state == TS_UP || t->state == TS_SUSPECT)
			broken(t, now, "the tap counters did not move on both "
			    "ends for two checks (LIVENESS counters)");
		return 0;
	default:
		return 0;
	}
}
