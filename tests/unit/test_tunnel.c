/*
 * Unit tests for src/tunnel.c: the data path's state machine, fed by a
 * small simulated world in 10 ms steps (no lab, no clock, no vtund).
 *
 * The world has a tunnel path that carries data or not (a black hole, an
 * outage), a peer that probes or not (its vtundfix stopped), a server that
 * answers TCP connects or not (the underlay), a TCP socket whose counters
 * follow what is sent into it, and a vtund client that reconnects when told
 * to.  Each test compares the ordered list of state changes with the one
 * the design promises (docs/tunnel-states.md), as OpenBSD's ifstated
 * regress compares its logged state changes.
 *
 * What this hides: real vtund timing, real TCP back-off and real netlink;
 * the lab tests (tests/lab/test_liveness.sh, test_hostile.sh) cover those.
 */
#include <signal.h>
#include <stdlib.h>

#include "tapcheck.h"
#include "tunnel.h"
#include "unit.h"

#define STEP	10

struct world {
	uint64_t	 now;
	/* the network */
	int		 path_ok;	/* the session's flow passes */
	int		 underlay_ok;	/* new connections get through */
	int		 peer_probes;	/* the far end's vtundfix probes */
	int		 peer_channel;	/* the peer can be asked */
	int		 tcp_view;	/* vtund's socket is visible */
	int		 lan_busy;	/* frames arrive on the tap */
	int		 zero_window;	/* far vtund frozen: acks, no progress */
	int		 holes_stick;	/* new connections are black-holed too */
	int		 far_frozen;	/* far vtund stopped: its kernel acks,
					 * nothing comes back */
	int		 sessions_die;	/* new sessions end at once (EIO on a
					 * tap not up yet), this many */
	int		 sleeping;	/* the client waits 5 s to reconnect */
	int		 resume_none;	/* nothing learnt of the socket: the
					 * kernel cannot be told */
	int		 resume_lost;	/* told, and the retransmission lost */
	int		 ours_lost;	/* what we send is lost, what the
					 * peer sends arrives */
	/* the session */
	int		 ifindex;
	int		 session;	/* the tap exists */
	pid_t		 client;	/* 0: none */
	uint64_t	 reconnect_at;	/* a new session then, 0: none */
	uint64_t	 rx;
	struct tunnel_tcp tcp;
	uint64_t	 last_ack;	/* ms */
	uint64_t	 rto_at;	/* the retransmission timer, 0: off */
	uint64_t	 inode;
	/* the state machine's doings */
	uint64_t	 deadline;
	int		 probes_on;
	int		 wake;
	uint64_t	 round_at;	/* a settle re-check, 0: none */
	/* the supervisor's watch of the server (reachhub.h): one question
	 * stays open until the server answers; a silence is told once */
	int		 reach_waiting, reach_told, reach_calls;
	uint64_t	 reach_asked;
	uint64_t	 answer_at;	/* a peer answer due */
	enum tunnel_input answer;
	int		 starts, hups, kills, ends, records, mails, asks, kicks;
	int		 nudges;
	char		 mail[200];
	char		 trail[1024];
	enum tunnel_state last;
	struct tunnel	 t;
};

static int
w_tap_rx(void *ctx, uint64_t *rx)
{
	struct world *w = ctx;

	if (!w->session)
		return -1;
	*rx = w->rx;
	return 0;
}

static int
w_tcp(void *ctx, struct tunnel_tcp *s)
{
	struct world *w = ctx;

	if (!w->tcp_view || !w->session)
		return 0;
	*s = w->tcp;
	s->last_ack_ms = (uint32_t)(w->now - w->last_ack);
	s->inode = w->inode;
	return 1;
}

static void
w_ask_probe(void *ctx)
{
	struct world *w = ctx;

	w->asks++;
	w->answer_at = w->now + 20;
	w->answer = !w->peer_channel ? TI_PEER_UNKNOWN :
	    w->peer_probes ? TI_PEER_PROBING : TI_PEER_SILENT;
}

static void
w_reach(void *ctx)
{
	struct world *w = ctx;

	w->reach_calls++;
	if (w->reach_waiting)
		return;			/* the watch goes on */
	w->reach_waiting = 1;
	w->reach_told = 0;
	w->reach_asked = w->now;
}

static void
w_ask_lock(void *ctx)
{
	struct world *w = ctx;

	w->answer_at = w->now + 30;
	w->answer = TI_LOCK_FREE;
}

static int
w_end_session(void *ctx)
{
	struct world *w = ctx;

	w->ends++;
	if (!w->peer_channel)
		return -1;
	w->answer_at = w->now + 50;
	w->answer = TI_END_DONE;
	return 0;
}

static void
new_connection(struct world *w, uint64_t after)
{
	w->reconnect_at = w->now + after;
}

static pid_t
w_start_client(void *ctx)
{
	struct world *w = ctx;

	w->starts++;
	w->client = 1000 + w->starts;
	w->sleeping = 0;
	if (w->underlay_ok)
		new_connection(w, 100);
	return w->client;
}

static int
w_signal_client(void *ctx, pid_t pid, int sig)
{
	struct world *w = ctx;

	if (pid != w->client)
		return -1;
	if (sig == SIGHUP) {
		w->hups++;
		w->session = 0;		/* the tap goes with the session */
		if (w->underlay_ok)
			new_connection(w, 100);
	} else {
		w->kills++;
		w->client = 0;
		w->session = 0;
		w->reconnect_at = 0;
	}
	return 0;
}

static void w_probes(void *ctx, int on) { ((struct world *)ctx)->probes_on = on; }

/* RFC 6069: the kernel undoes its back-off and retransmits now. */
static int
w_resume(void *ctx, const struct tunnel_tcp *s)
{
	struct world *w = ctx;

	if (w->resume_none)
		return 0;
	w->kicks++;
	if (!w->resume_lost && w->tcp.unacked > 0)
		w->rto_at = w->now + STEP;
	return 1;
}

/* At the far end's next segment: the same as w_resume. */
static int
w_nudge(void *ctx)
{
	struct world *w = ctx;

	w->nudges++;
	if (w->path_ok && w->tcp.unacked > 0)
		w->rto_at = w->now + 50;
	return 0;
}

static void w_new_session(void *ctx) { (void)ctx; }
static void w_arm(void *ctx, uint64_t at) { ((struct world *)ctx)->deadline = at; }
static void w_wake(void *ctx) { ((struct world *)ctx)->wake = 1; }

static void
w_record(void *ctx, enum tunnel_record kind, const char *fault,
    const char *what, int ok)
{
	((struct world *)ctx)->records++;
}

static void
w_mail(void *ctx, const char *what)
{
	struct world *w = ctx;

	w->mails++;
	snprintf(w->mail, sizeof(w->mail), "%s", what);
}

static const struct tunnel_ops ops = {
	w_tap_rx, w_tcp, w_ask_probe, w_reach, w_ask_lock, w_end_session,
	w_start_client, w_signal_client, w_probes, w_resume, w_nudge,
	w_new_session, w_arm,
	w_wake, w_record, w_mail,
};

/* Feed one input; note a state change in the trail. */
static int
feed(struct world *w, enum tunnel_input in, const void *arg)
{
	int r = tunnel_input(&w->t, in, arg, w->now);

	if (w->t.state != w->last) {
		size_t n = strlen(w->trail);

		snprintf(w->trail + n, sizeof(w->trail) - n, "%s%s",
		    n ? " > " : "", tunnel_state_name(w->t.state));
		w->last = w->t.state;
	}
	return r;
}

/* A check that did not pass asks for a re-check after its settle time. */
static int
settle(struct world *w, int r)
{
	if (r != CR_OK && r != CR_SKIP)
		w->round_at = w->now + (w->t.settle_ms ? w->t.settle_ms : STEP);
	return r;
}

/* A check round as the worker runs it: checks 1, 4 and 5. */
static void
round_(struct world *w)
{
	struct tunnel_tap tap = { w->session, w->ifindex };
	int r;

	w->wake = 0;
	w->round_at = 0;
	if (w->t.conf.client) {
		if (w->client == 0) {
			if (settle(w, feed(w, TI_NOCLIENT, NULL)) != CR_OK)
				return;
		} else {
			struct tunnel_client c = { w->client,
			    w->session ? CLIENT_CONNECTED : CLIENT_CONNECTING,
			    w->sleeping };

			feed(w, TI_CLIENT, &c);
		}
	}
	r = settle(w, feed(w, TI_TAP, &tap));
	if (r != CR_OK)
		return;
	settle(w, feed(w, TI_CHECK, NULL));
}

/* One probe each way per second, data into TCP, timers, answers. */
static void
step(struct world *w)
{
	w->now += STEP;
	if (w->reconnect_at && w->now >= w->reconnect_at && w->client) {
		w->reconnect_at = 0;
		w->session = 1;
		w->ifindex++;
		w->inode++;
		w->path_ok = !w->holes_stick;	/* a fresh flow passes */
		w->far_frozen = 0;		/* a fresh server session */
		memset(&w->tcp, 0, sizeof(w->tcp));
		w->rto_at = 0;
		w->last_ack = w->now;
		w->wake = 1;
		if (w->sessions_die > 0) {
			/* gone before anyone looked; vtund sleeps 5 s */
			w->sessions_die--;
			w->session = 0;
			w->sleeping = 1;
			new_connection(w, 5000);
		}
	}
	if (w->session)
		w->sleeping = 0;
	/*
	 * vtund's TCP: what it owes is retransmitted when its timer fires
	 * (200 ms doubling), and acknowledged if the path passes then.
	 */
	if (w->session && w->tcp.unacked > 0 && w->rto_at == 0)
		w->rto_at = w->now + 200;
	if (w->session && w->rto_at != 0 && w->now >= w->rto_at) {
		if (w->path_ok && !w->zero_window && !w->ours_lost) {
			w->tcp.bytes_acked += w->tcp.waiting;
			w->tcp.unacked = w->tcp.waiting = 0;
			w->tcp.retransmits = 0;
			w->rto_at = 0;
			w->last_ack = w->now;
		} else {
			if (w->tcp.retransmits < 15)
				w->tcp.retransmits++;
			w->rto_at = w->now + (200ULL << (w->tcp.retransmits <
			    9 ? w->tcp.retransmits : 9));
		}
	}
	w->tcp.rto_pending = w->rto_at != 0;
	w->tcp.rto_in_ms = w->rto_at > w->now ?
	    (uint32_t)(w->rto_at - w->now) : 0;
	if (w->session && w->probes_on && w->now % 1000 == 0) {
		/* our probe goes into vtund's socket */
		if (w->path_ok && !w->zero_window && !w->ours_lost) {
			w->tcp.bytes_acked += 100;
			w->last_ack = w->now;
		} else {
			if (!w->zero_window)
				w->tcp.unacked++;
			w->tcp.waiting += 100;
			if (w->zero_window)
				w->last_ack = w->now;	/* window probes */
		}
	}
	if (w->session && w->lan_busy && w->path_ok)
		w->rx += 3;
	if (w->session && w->path_ok && w->peer_probes && !w->far_frozen &&
	    w->now % 1000 == 500) {
		/* Its segment carries an ACK, new or not: the time since the
		 * last ACK restarts whether our data moved or not. */
		w->last_ack = w->now;
		feed(w, TI_PROBE, NULL);
		/* its probes echo ours only once ours get there */
		if (w->tcp.unacked > 0 && w->tcp.retransmits > 0)
			feed(w, TI_UNHEARD, NULL);
	}
	/* An attempt every 250 ms: an answer in 10 ms, a silence in 500. */
	if (w->reach_waiting && w->underlay_ok &&
	    (w->now - w->reach_asked) % 250 == STEP) {
		w->reach_waiting = 0;
		feed(w, TI_REACH_OK, NULL);
	} else if (w->reach_waiting && !w->underlay_ok && !w->reach_told &&
	    w->now - w->reach_asked >= 500) {
		w->reach_told = 1;
		feed(w, TI_REACH_FAIL, NULL);
	}
	if (w->answer_at && w->now >= w->answer_at) {
		w->answer_at = 0;
		feed(w, w->answer, NULL);
	}
	if (w->deadline && w->now >= w->deadline)
		feed(w, TI_TIMER, NULL);
	if (w->wake || (w->round_at && w->now >= w->round_at))
		round_(w);
}

static void
run(struct world *w, uint64_t ms)
{
	uint64_t end = w->now + ms;

	while (w->now < end)
		step(w);
}

/* A healthy, connected tunnel, UP for a few seconds. */
static void
world_init(struct world *w, int client)
{
	struct tunnel_conf c = { client, 3000, 1000, 1 };

	memset(w, 0, sizeof(*w));
	w->now = 100000;
	w->path_ok = w->underlay_ok = w->peer_probes = w->peer_channel = 1;
	w->tcp_view = 1;
	w->client = client ? 500 : 0;
	w->session = 1;
	w->ifindex = 7;
	w->inode = 42;
	w->last_ack = w->now;
	tunnel_init(&w->t, &c, &ops, w, w->now);
	w->last = w->t.state;
	w->probes_on = 1;
	round_(w);
	run(w, 5000);
	w->trail[0] = '\0';
}

static void
test_idle_healthy_stays_up(void)
{
	struct world w;

	world_init(&w, 1);
	CHECK_INT(w.t.state, TS_UP);
	run(&w, 600000);
	CHECK_STR(w.trail, "");
	CHECK_INT(w.hups + w.kills + w.starts, 0);
}

/* The far end's vtundfix is stopped: no probes, but vtund ACKs ours. */
static void
test_far_end_stopped_no_restart(void)
{
	struct world w;

	world_init(&w, 1);
	w.peer_probes = 0;
	w.peer_channel = 0;
	run(&w, 300000);
	CHECK_INT(w.hups + w.kills + w.starts, 0);
	CHECK_INT(w.reach_calls, 0);
	CHECK(w.t.state == TS_UP || w.t.state == TS_SUSPECT);
}

/* Probes held up for 12 s behind bulk data: frames still arrive. */
static void
test_busy_link_no_restart(void)
{
	struct world w;

	world_init(&w, 1);
	w.peer_probes = 0;		/* stuck in the queue */
	w.lan_busy = 1;
	run(&w, 120000);
	CHECK_STR(w.trail, "");
	CHECK_INT(w.hups + w.kills, 0);
	/* And a busy link without LAN frames back: TCP progress counts. */
	w.lan_busy = 0;
	run(&w, 60000);
	CHECK_INT(w.hups + w.kills, 0);
}

static void
test_black_hole_restarts(void)
{
	struct world w;
	uint64_t t0;

	world_init(&w, 1);
	t0 = w.now;
	w.path_ok = 0;
	run(&w, 10000);
	CHECK_STR(w.trail, "suspect > reaching > dead > ending > restarting > "
	    "up");
	CHECK_INT(w.ends, 1);
	CHECK_INT(w.hups, 1);
	CHECK_INT(w.t.state, TS_UP);
	/* Detected within the detection time (plus one probe interval). */
	CHECK(w.t.since_ms - t0 < 4500);
	CHECK_INT(w.mails, 0);
}

/*
 * Soon after a restart, the far end's data stops for a few seconds while
 * ours gets through (its socket waits out the back-off of a down period
 * on a flapping underlay): waited for, not restarted.  A far end stuck
 * that way (frozen) is restarted after that one wait.
 */
static void
test_far_end_flap_waited_once(void)
{
	struct world w;

	world_init(&w, 1);
	w.path_ok = 0;
	run(&w, 10000);
	CHECK_INT(w.hups, 1);		/* the restart the window counts from */
	run(&w, 3000);
	w.trail[0] = '\0';
	w.far_frozen = 1;		/* nothing comes back; ours is acked */
	run(&w, 3800);
	w.far_frozen = 0;		/* its retransmission gets through */
	run(&w, 3000);
	CHECK_INT(w.hups + w.kills, 1);
	CHECK_INT(w.t.state, TS_UP);
	CHECK(strstr(w.trail, "suspect") != NULL);	/* it waited */
	/* Frozen for good: one wait, then a restart. */
	w.trail[0] = '\0';
	w.far_frozen = 1;
	run(&w, 15000);
	CHECK_INT(w.hups + w.kills, 2);
	CHECK(strstr(w.trail, "suspect > up > reaching > dead") != NULL);
}

/*
 * A second black hole soon after a restart that worked, the server
 * answering throughout: the flap rule waits at most once for vtund's own
 * retransmission, then restarts (not once per retransmission timeout).
 */
static void
test_black_hole_again_soon(void)
{
	struct world w;
	uint64_t t0;

	world_init(&w, 1);
	w.path_ok = 0;
	run(&w, 10000);
	CHECK_INT(w.t.state, TS_UP);
	CHECK_INT(w.hups + w.kills, 1);
	run(&w, 3000);
	t0 = w.now;
	w.path_ok = 0;
	run(&w, 15000);
	CHECK_INT(w.t.state, TS_UP);
	CHECK_INT(w.hups + w.kills, 2);
	CHECK(w.t.since_ms - t0 < 6000);
}

/*
 * The same, with the kernel told (the offset of snd_una was learnt while
 * the session was healthy): the flap rule's wait is the retransmission's
 * round trip, not its timer's remaining seconds; and the kernel is told
 * nothing when the restart is near anyway (resume_none: the old way).
 */
static void
test_black_hole_again_soon_told(void)
{
	struct world w;
	uint64_t t0, told, plain;
	int pass;

	for (pass = 0; pass < 2; pass++) {
		world_init(&w, 1);
		w.resume_none = pass == 1;
		w.path_ok = 0;
		run(&w, 10000);
		CHECK_INT(w.hups + w.kills, 1);
		run(&w, 3000);
		t0 = w.now;
		w.path_ok = 0;
		w.kicks = 0;
		run(&w, 15000);
		CHECK_INT(w.t.state, TS_UP);
		CHECK_INT(w.hups + w.kills, 2);
		if (pass == 0) {
			CHECK(w.kicks >= 1);
			told = w.t.since_ms - t0;
		} else {
			CHECK_INT(w.kicks, 0);
			plain = w.t.since_ms - t0;
		}
	}
	/* Detection (3 s) and a round trip, well before the timer's way. */
	CHECK(told < 3800);
	CHECK(told + 300 < plain);
}

/* The old attack surface: a peer channel that is down changes nothing. */
/*
 * The restart's new session ends at once (vtund: EIO on a tap its up
 * block had not set up yet) and the client sleeps 5 s before the next
 * attempt: it is replaced instead, and the tunnel is back long before.
 */
static void
test_restart_session_dies_at_once(void)
{
	struct world w;
	uint64_t t0;

	world_init(&w, 1);
	t0 = w.now;
	w.path_ok = 0;
	w.sessions_die = 1;
	run(&w, 9000);
	CHECK_INT(w.hups, 1);
	CHECK_INT(w.kills, 1);			/* the sleeping one replaced */
	CHECK_INT(w.starts, 1);
	CHECK_INT(w.t.state, TS_UP);
	/* Found in about 3 s, then not the client's 5 s more. */
	CHECK(w.t.since_ms - t0 < 6000);
}

/* The session ended by itself and the client sleeps: replaced at once,
 * and that replacement is a restart the flap rule counts from. */
static void
test_sleeping_client_replaced(void)
{
	struct world w;
	uint64_t t0;

	world_init(&w, 1);
	CHECK_INT(w.t.restart_ms, 0);
	w.session = 0;
	w.sleeping = 1;
	new_connection(&w, 5000);
	t0 = w.now;
	round_(&w);
	run(&w, 1000);
	CHECK_INT(w.kills, 1);
	CHECK_INT(w.t.state, TS_UP);
	CHECK(w.t.since_ms - t0 < 500);
	CHECK(w.t.restart_ms >= t0 && w.t.restart_ms - t0 < 500);
}

static void
test_black_hole_peer_down_still_restarts(void)
{
	struct world w;

	world_init(&w, 1);
	w.peer_channel = 0;
	w.path_ok = 0;
	run(&w, 10000);
	CHECK_STR(w.trail, "suspect > reaching > dead > restarting > up");
	CHECK_INT(w.hups, 1);
}

/* A frozen server session: ACKs with a zero window, nothing acked. */
static void
test_zero_window_is_dead(void)
{
	struct world w;

	world_init(&w, 1);
	w.path_ok = 0;
	w.zero_window = 1;
	run(&w, 12000);
	CHECK_STR(w.trail, "suspect > reaching > dead > ending > "
	    "restarting > up");
}

/* A 30 s outage of the underlay and the peer channel; when it ends, new
 * connections pass, and the old flow if OLD_FLOW_PASSES. */
static uint64_t
outage(struct world *w, int old_flow_passes)
{
	world_init(w, 1);
	w->path_ok = 0;
	w->underlay_ok = 0;
	w->peer_channel = 0;
	run(w, 30000);
	/* Reaching is passed within one input: the server was watched from
	 * the mark (1.5 s of silence) and said nothing since. */
	CHECK_STR(w->trail, "suspect > outage");
	CHECK_INT(w->hups + w->kills + w->starts, 0);
	CHECK_INT(w->probes_on, 0);	/* nothing sent into it */
	/* The supervisor watches; the worker asks once, and again only now
	 * and then (a thousand workers asking every tick cost the hub). */
	CHECK(w->reach_calls >= 1 && w->reach_calls <= 8);
	w->underlay_ok = 1;
	w->path_ok = old_flow_passes;
	return w->now;
}

/* The kernel is told the path is back: the old session resumes. */
static void
test_outage_resumes(void)
{
	struct world w;

	outage(&w, 1);
	run(&w, 400);
	CHECK_INT(w.kicks, 1);
	CHECK_INT(w.tcp.unacked, 0);	/* its retransmission was acked */
	run(&w, 1600);
	CHECK_STR(w.trail, "suspect > outage > resuming > up");
	CHECK_INT(w.hups + w.kills + w.starts, 0);
	CHECK_INT(w.probes_on, 1);
	CHECK_INT(w.mails, 1);
	CHECK(strstr(w.mail, "outage of") != NULL);
}

/* Told, but nothing gets through on the old flow: replaced at once. */
static void
test_outage_resume_fails_replaces(void)
{
	struct world w;
	uint64_t back = outage(&w, 0);

	run(&w, 2000);
	CHECK_STR(w.trail, "suspect > outage > resuming > dead > "
	    "restarting > up");
	CHECK_INT(w.kills, 1);		/* replaced, not SIGHUP */
	CHECK_INT(w.starts, 1);
	CHECK(w.t.since_ms - back < 1500);
	CHECK_INT(w.mails, 1);
}

/* Nothing learnt of the socket (no retransmission seen): replaced. */
static void
test_outage_holds_then_replaces(void)
{
	struct world w;
	uint64_t back;

	back = outage(&w, 1);
	w.resume_none = 1;
	run(&w, 2000);
	CHECK_STR(w.trail, "suspect > outage > dead > restarting > "
	    "up");
	CHECK_INT(w.kicks, 0);
	CHECK_INT(w.kills, 1);
	CHECK_INT(w.starts, 1);
	CHECK(w.t.since_ms - back < 1000);
	CHECK_INT(w.mails, 1);
	CHECK(strstr(w.mail, "outage of") != NULL);
}

/*
 * The server end after an outage: the client's retransmission brings a
 * probe; the server's own socket, backed off as well, is told at once.
 */
static void
test_server_outage_resumes(void)
{
	struct world w;

	world_init(&w, 0);
	w.path_ok = 0;
	run(&w, 30000);
	CHECK_STR(w.trail, "suspect > broken");
	CHECK(w.tcp.retransmits > 3);
	w.path_ok = 1;
	run(&w, 1000);
	CHECK_STR(w.trail, "suspect > broken > up");
	CHECK_INT(w.kicks, 1);
	CHECK(w.tcp.unacked == 0);
	CHECK(strstr(w.t.why, "told the kernel") != NULL);
}

/*
 * The server end on a flapping underlay: a 2.5 s down period (too short
 * for a verdict), then the client's probes come again (it got through
 * first) while the server's socket waits out its back-off.  The kernel is
 * told at the client's next segment instead.  Backed off only once (a
 * busy link's loss), a socket is left alone.
 */
static void
test_unheard_nudged(void)
{
	struct world w;

	world_init(&w, 0);
	w.resume_none = 1;	/* snd_una not known: the capture's way */
	w.path_ok = 0;
	run(&w, 2450);			/* the peer's next probe: at 2.5 s */
	CHECK(w.tcp.retransmits >= 2);
	CHECK(w.t.state == TS_UP || w.t.state == TS_SUSPECT);	/* no verdict */
	w.path_ok = 1;
	CHECK(w.tcp.unacked > 0 && w.rto_at - w.now > 1000);
	run(&w, 1100);
	CHECK_INT(w.nudges, 1);
	CHECK_INT(w.kicks, 0);		/* no verdict: nothing else told it */
	CHECK_INT(w.tcp.unacked, 0);	/* retransmitted and acknowledged */
	CHECK_INT(w.t.state, TS_UP);
	CHECK_INT(w.hups + w.kills, 0);
	/* snd_una known (its offset learnt): told at the probe itself. */
	world_init(&w, 0);
	w.ours_lost = 1;		/* the peer's probes keep coming */
	run(&w, 1000 - w.now % 1000 + 2450);
	w.ours_lost = 0;
	run(&w, 2100);			/* once per 2 s, during the loss too */
	CHECK(w.kicks >= 1);
	CHECK_INT(w.nudges, 0);
	CHECK_INT(w.tcp.unacked, 0);
	CHECK_INT(w.hups + w.kills, 0);
	/* One timeout only. */
	w.nudges = 0;
	w.path_ok = 0;
	run(&w, 400);
	w.path_ok = 1;
	run(&w, 2000);
	CHECK_INT(w.nudges, 0);
}

/*
 * Only a verdict of broken lets the kernel be told: a session merely
 * suspect (a busy, lossy link whose TCP backs off) keeps its back-off,
 * which is its congestion control.
 */
static void
test_suspect_keeps_its_backoff(void)
{
	struct world w;
	int i;

	world_init(&w, 0);
	w.path_ok = 0;
	for (i = 0; i < 1000 && w.t.state != TS_SUSPECT; i++)
		step(&w);
	CHECK_INT(w.t.state, TS_SUSPECT);
	w.path_ok = 1;
	for (i = 0; i < 1000 && w.t.state != TS_UP; i++)
		step(&w);
	CHECK_STR(w.trail, "suspect > up");
	CHECK(w.tcp.retransmits > 0);	/* it was backing off */
	CHECK_INT(w.kicks, 0);
}

/*
 * A frozen far vtund (SIGSTOP): its kernel still acknowledges our probes
 * (the socket buffer absorbs them), nothing comes back.  TCP alone says
 * alive; the peer's word that it probes decides.
 */
static void
test_frozen_far_vtund(void)
{
	struct world w;

	world_init(&w, 1);
	w.far_frozen = 1;
	run(&w, 15000);
	CHECK_INT(w.hups, 1);
	CHECK_INT(w.t.state, TS_UP);
	CHECK(strstr(w.trail, "reaching > dead > ending > restarting > up") !=
	    NULL);
}

/*
 * A flapping underlay (3 s down, 2 s up, for a minute: vtund's
 * retransmissions back off past the down periods): at most one restart;
 * vtund's own retransmissions carry the session through the rest, and it
 * is up at once when the flapping ends.
 */
static void
test_flapping_underlay(void)
{
	struct world w;
	int i;

	world_init(&w, 1);
	for (i = 0; i < 12; i++) {
		w.path_ok = w.underlay_ok = 0;
		run(&w, 3000);
		w.path_ok = w.underlay_ok = 1;
		run(&w, 2000);
	}
	CHECK(w.hups + w.kills <= 1);
	CHECK(strstr(w.trail, "reaching") != NULL ||	/* it was tested */
	    strstr(w.trail, "outage") != NULL);
	run(&w, 3000);
	CHECK_INT(w.t.state, TS_UP);
}

/*
 * A down period shorter than the detection time (2 s of a flap): nothing
 * changes state, but vtund's socket is left in its back-off, the next
 * retransmission up to 1.6 s after the path is back.  The client watches
 * its server from the mark and tells the kernel when it answers; the
 * server end, which cannot watch, tells it at the first probe.  Either way
 * the session's data is acknowledged well before its own timer.
 */
static uint64_t
short_down_resumed_after(struct world *w)
{
	uint64_t back;

	run(w, 1000 - w->now % 1000 + 600);	/* just after the peer's */
	w->path_ok = w->underlay_ok = 0;
	run(w, 2400);
	CHECK(w->tcp.retransmits >= 2 && w->tcp.rto_in_ms > 500);
	w->path_ok = w->underlay_ok = 1;
	back = w->now;
	while (w->tcp.unacked > 0 && w->now - back < 5000)
		step(w);
	CHECK_STR(w->trail, "");
	CHECK_INT(w->hups + w->kills + w->starts, 0);
	return w->now - back;
}

static void
test_short_down_told(void)
{
	struct world w;
	uint64_t took;

	world_init(&w, 1);
	took = short_down_resumed_after(&w);
	CHECK(took <= 300);		/* the next watch attempt */
	CHECK_INT(w.kicks, 1);
	world_init(&w, 0);
	took = short_down_resumed_after(&w);
	CHECK(took <= 600);		/* the next probe from the client */
	CHECK_INT(w.kicks, 1);
	CHECK_INT(w.reach_calls, 0);	/* a server does not watch */
	/* Nothing to tell when nothing timed out: no question either. */
	world_init(&w, 1);
	w.probes_on = 0;
	run(&w, 1000 - w.now % 1000 + 600);
	w.path_ok = w.underlay_ok = 0;
	run(&w, 2400);
	w.path_ok = w.underlay_ok = 1;
	run(&w, 2000);
	CHECK_INT(w.kicks + w.reach_calls, 0);
}

/* The old session lost nothing (no probes, idle LAN): it just resumes. */
static void
test_outage_idle_session_resumes(void)
{
	struct world w;

	world_init(&w, 1);
	w.path_ok = 0;
	w.underlay_ok = 0;
	run(&w, 20000);
	CHECK_INT(w.t.state, TS_OUTAGE);
	w.tcp.unacked = 0;
	w.tcp.waiting = 0;
	w.path_ok = w.underlay_ok = 1;
	run(&w, 3000);
	CHECK_INT(w.kills + w.hups, 0);
	CHECK_INT(w.t.state, TS_UP);
}

/* vtund's own keepalive ended the session during a long outage. */
static void
test_long_outage_client_connecting(void)
{
	struct world w;
	uint64_t back;

	world_init(&w, 1);
	w.path_ok = 0;
	w.underlay_ok = 0;
	run(&w, 20000);
	w.session = 0;			/* vtund gave up; reconnects */
	w.wake = 1;
	run(&w, 20000);
	CHECK_INT(w.t.state, TS_OUTAGE);
	CHECK_INT(w.kills, 0);
	w.underlay_ok = 1;
	back = w.now;
	run(&w, 2000);
	CHECK_INT(w.kills, 1);
	CHECK_INT(w.t.state, TS_UP);
	CHECK(w.t.since_ms - back < 1000);
}

/* No TCP view (proto udp): the peer must confirm it probes. */
static void
test_no_view_needs_peer(void)
{
	struct world w;

	world_init(&w, 1);
	w.tcp_view = 0;
	w.peer_probes = 0;		/* its vtundfix is stopped */
	run(&w, 60000);
	CHECK_INT(w.hups + w.kills, 0);
	CHECK(w.asks >= 2);		/* it keeps asking: no latch */
	/* Then the peer's vtundfix starts and a black hole begins. */
	w.peer_probes = 1;
	w.path_ok = 0;
	run(&w, 15000);
	CHECK_INT(w.hups, 1);
}

/* Restarts that do not help back off; a working path resets that. */
static void
test_restarts_back_off(void)
{
	struct world w;

	world_init(&w, 1);
	w.path_ok = 0;
	w.holes_stick = 1;		/* every new session is black-holed */
	run(&w, 120000);
	/* 0, 0.5, 1, 2, 4, 8, 16, 32 s apart, each after a detection */
	CHECK(w.hups + w.kills >= 4);
	CHECK(w.hups + w.kills <= 9);
	CHECK(w.hups <= 1);		/* SIGHUP once, then replacements */
	w.holes_stick = 0;
	w.path_ok = 1;
	run(&w, 70000);
	CHECK_INT(w.t.state, TS_UP);
	CHECK_INT(w.t.restarts, 0);
}

static void
test_server_never_restarts(void)
{
	struct world w;

	world_init(&w, 0);
	w.path_ok = 0;
	run(&w, 10000);
	CHECK_STR(w.trail, "suspect > broken");
	CHECK_INT(w.probes_on, 0);
	CHECK_INT(w.hups + w.kills + w.reach_calls, 0);
	/* the client reconnects: a new tap */
	w.ifindex++;
	w.inode++;
	w.path_ok = 1;
	w.tcp.unacked = w.tcp.waiting = 0;
	w.last_ack = w.now;
	round_(&w);
	run(&w, 3000);
	CHECK_INT(w.t.state, TS_UP);
	CHECK_INT(w.probes_on, 1);
}

/* A client that died: wait for the server's old session, then start. */
static void
test_client_died_waits_for_lock(void)
{
	struct world w;

	world_init(&w, 1);
	w.client = 0;
	w.session = 0;
	round_(&w);
	CHECK_INT(w.t.state, TS_STARTING);
	CHECK_INT(w.starts, 0);
	run(&w, 500);
	CHECK_INT(w.starts, 1);
	run(&w, 2000);
	CHECK_INT(w.t.state, TS_UP);
}

int
main(void)
{
	RUN(test_idle_healthy_stays_up);
	RUN(test_far_end_stopped_no_restart);
	RUN(test_busy_link_no_restart);
	RUN(test_black_hole_restarts);
	RUN(test_black_hole_again_soon);
	RUN(test_far_end_flap_waited_once);
	RUN(test_black_hole_again_soon_told);
	RUN(test_restart_session_dies_at_once);
	RUN(test_sleeping_client_replaced);
	RUN(test_black_hole_peer_down_still_restarts);
	RUN(test_zero_window_is_dead);
	RUN(test_frozen_far_vtund);
	RUN(test_outage_resumes);
	RUN(test_outage_resume_fails_replaces);
	RUN(test_outage_holds_then_replaces);
	RUN(test_server_outage_resumes);
	RUN(test_suspect_keeps_its_backoff);
	RUN(test_unheard_nudged);
	RUN(test_flapping_underlay);
	RUN(test_short_down_told);
	RUN(test_outage_idle_session_resumes);
	RUN(test_long_outage_client_connecting);
	RUN(test_no_view_needs_peer);
	RUN(test_restarts_back_off);
	RUN(test_server_never_restarts);
	RUN(test_client_died_waits_for_lock);
	return unit_done();
}
