/*
 * datapath: the worker's side of tunnel.c.  One per worker process, so the
 * state is static.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "clock.h"
#include "datapath.h"
#include "event.h"
#include "exec.h"
#include "links.h"
#include "log.h"
#include "notify.h"
#include "peer.h"
#include "probe.h"
#include "processes.h"
#include "tcpinfo.h"
#include "tcpresume.h"
#include "tunnel.h"

#define LOCK_POLL_MS	10
/*
 * A new session's first probe waits this long, or until a frame from the
 * far end shows its tap is up: vtund ends a session whose tap is written
 * to while still down (EIO), and under load the far end's up block may
 * not have set its new tap up yet (a hub where every site reconnects).
 */
#define PROBE_HOLD_MS	1000

static struct tapcheck	*tc;
static struct dp_session sess;
static dp_ask_fn	 ask;
static int		(*reach_ask)(const char *);
static void		(*wake_round)(void);
static struct probe	 pr;
static int		 probing;	/* sending probes (not paused) */
static struct ev_timer	 probe_timer, fsm_timer, lock_timer, sample_timer;
static struct counters	 sample_local;
static uint64_t		 lock_until;
static struct tcpinfo	*ti;
static struct tcp_addrs	 peer_addrs;
static int		 have_addrs;
static struct tcp_key	 key;
static int		 have_key;
static int		 borrow_refused; /* pidfd_getfd refused: dumps only */
static uint64_t		 probes_rx, probes_tx;
static struct tcpresume	*capture;	/* capture_update() says when */

static void	 feed(enum tunnel_input in);
static void	 watch_probes(void);
static int	 drain_probes(void);
static void	 op_mail(void *, const char *);

/* --- evidence --- */

static int
op_tap_rx(void *ctx, uint64_t *rx)
{
	struct link_info li;

	if (links_get(tc->links, tc->tap->tap, &li) != 0)
		return -1;
	*rx = li.rx_packets - probes_rx;	/* frames from vtund, not ours */
	return 0;
}

/* The session's vtund process: its sockets tell several matches apart. */
static pid_t
session_pid(void)
{
	pid_t pid = 0;

	if (tc->conf->machine == ROLE_CLIENT)
		return tc->client.pid;
	return procs_session_locked(tc->tap->session, &pid) == 1 ? pid : 0;
}

/* K is this session's connection: to or from the peer on vtund's port. */
static int
ours(const struct tcp_key *k)
{
	size_t i;

	if ((tc->conf->machine == ROLE_CLIENT ? k->dport : k->sport) !=
	    sess.port)
		return 0;
	for (i = 0; i < peer_addrs.n; i++)
		if (peer_addrs.family[i] == k->family &&
		    memcmp(peer_addrs.addr[i], k->dst, k->family == AF_INET ?
		    4 : 16) == 0)
			return 1;
	return 0;
}

/*
 * The session's connection among the sockets its vtund process holds,
 * read from them (processes.h): 1 with KEY and *S, 0 it holds none, -1
 * they cannot be read so (no CAP_SYS_PTRACE, an old kernel).
 */
static int
held_socket(pid_t pid, struct tcp_key *k, struct tunnel_tcp *s)
{
	struct proc_socket ps[8];
	int n, i;

	if (pid <= 0 || borrow_refused)
		return -1;
	if ((n = procs_sockets(pid, ps, 8)) == -1) {
		/* Not permitted (the supervisor said so at start): not
		 * tried again, each later lookup goes straight to a dump. */
		if (errno == EPERM || errno == ENOSYS) {
			borrow_refused = 1;
			log_debug("tunnel: vtund's sockets cannot be read "
			    "(%s): dumps instead", strerror(errno));
		}
		return -1;
	}
	for (i = 0; i < n; i++)
		if (tcpinfo_key(&ps[i].local, &ps[i].remote, k) == 0 &&
		    ours(k) && tcpinfo_get(ti, k, s) == 1)
			return 1;
	return 0;
}

/* Exactly, from the process's sockets; else with a filtered dump. */
static int
find_socket(struct tunnel_tcp *s)
{
	struct tcp_match m;
	uint64_t inodes[32];
	pid_t pid = session_pid();
	int n = 0, rc_;

	if ((rc_ = held_socket(pid, &key, s)) != -1) {
		have_key = rc_ == 1;
		return rc_;
	}
	memset(&m, 0, sizeof(m));
	m.remote = &peer_addrs;
	if (tc->conf->machine == ROLE_CLIENT)
		m.remote_port = sess.port;
	else
		m.local_port = sess.port;
	rc_ = tcpinfo_find(ti, &m, &key, s);
	if (rc_ == 0 && pid > 0 &&
	    (n = procs_socket_inodes(pid, inodes, 32)) > 0) {
		/* Several connections to that peer: the session's own. */
		m.inodes = inodes;
		m.ninodes = (size_t)n;
		rc_ = tcpinfo_find(ti, &m, &key, s);
	}
	have_key = rc_ == 1;
	return rc_;
}

static int
op_tcp(void *ctx, struct tunnel_tcp *s)
{
	int r;

	if (sess.udp || ti == NULL || !have_addrs)
		return 0;
	if (have_key && (r = tcpinfo_get(ti, &key, s)) != 0)
		return r;
	return find_socket(s);		/* first time, or a new socket */
}

/* --- questions to the peer --- */

static void
probe_answer(const char *reply, void *arg)
{
	struct peer_probe pp;

	if (reply == NULL || peer_parse_probe(reply, &pp) == -1)
		feed(TI_PEER_UNKNOWN);
	else
		feed(pp.running && pp.probing ? TI_PEER_PROBING :
		    TI_PEER_SILENT);
}

static void
op_ask_probe(void *ctx)
{
	if (ask("probe", NULL, probe_answer, NULL) == -1)
		feed(TI_PEER_UNKNOWN);
}

static void	 ask_lock_now(void *);

static void
lock_answer(const char *reply, void *arg)
{
	int held;

	if (reply != NULL && peer_parse_lock(reply, &held) == 0 && held &&
	    clock_ms() < lock_until) {
		ev_timer_set(&lock_timer, LOCK_POLL_MS, ask_lock_now, NULL);
		return;
	}
	feed(TI_LOCK_FREE);		/* released, or no way to tell: go */
}

static void
ask_lock_now(void *arg)
{
	if (ask("lock", NULL, lock_answer, NULL) == -1)
		lock_answer(NULL, NULL);
}

static void
op_ask_lock(void *ctx)
{
	lock_until = clock_ms() + TUNNEL_LOCK_WAIT_MS;
	ask_lock_now(NULL);
}

static void
end_answer(const char *reply, void *arg)
{
	feed(TI_END_DONE);
}

/*
 * "end SESSION PORT": PORT, this end's port of the old connection, names
 * the session to end, so that a request that arrives late (the peer
 * channel was down) cannot end the new session.  Without a view of the
 * old connection nothing is asked: vtund's killold ends it instead.
 */
static int
op_end_session(void *ctx)
{
	char port[8];

	if (!have_key)
		return -1;
	snprintf(port, sizeof(port), "%u", (unsigned)key.sport);
	return ask("end", port, end_answer, NULL);
}

/* --- the underlay --- */

/*
 * The supervisor watches the server once for every tunnel to it
 * (reachhub.h); its answer comes as datapath_reach_result().
 */
static void
op_reach(void *ctx)
{
	char text[HOST_MAX + 8];

	snprintf(text, sizeof(text), "%u %s", (unsigned)sess.port,
	    tc->conf->server);
	if (!have_addrs || reach_ask(text) == -1)
		feed(TI_REACH_OK);	/* cannot tell: assume it answers */
}

void
datapath_reach_result(int answered)
{
	feed(answered ? TI_REACH_OK : TI_REACH_FAIL);
}

/* --- actions --- */

static pid_t
op_start_client(void *ctx)
{
	const struct config *c = tc->conf;
	char *argv[] = { (char *)c->vtund, "-f", (char *)c->vtund_conf,
	    (char *)tc->tap->session, (char *)c->server, NULL };
	char fault[128], action[PATH_MAX + SESSION_MAX + HOST_MAX + 64];
	pid_t pid;

	snprintf(fault, sizeof(fault), "no vtund client for session %s",
	    tc->tap->session);
	pid = exec_spawn(argv);
	if (pid == -1)
		snprintf(action, sizeof(action), "starting %s: %s", c->vtund,
		    strerror(errno));
	else
		snprintf(action, sizeof(action), "started %s %s %s", c->vtund,
		    tc->tap->session, c->server);
	repair_done(tc, CHK_CLIENT, fault, action, pid != -1,
	    TUNNEL_START_SETTLE_MS);
	return pid;
}

static int
op_signal_client(void *ctx, pid_t pid, int sig)
{
	if (tc->client.pid != pid) {
		errno = ESRCH;
		return -1;
	}
	/* SIGKILL: vtund loses a SIGTERM that arrives while it connects or
	 * authenticates; SIGHUP: an established client reconnects. */
	return procs_signal(&tc->client, sig);
}

/*
 * Now and then a probe of the tap's full frame size: a path that passes
 * small frames and drops full-size ones (an MTU black hole) is reported
 * once and mailed once; a restart would not cure it, so none is made.
 */
static void
full_probe(void)
{
	static enum probe_mtu_state told = PROBE_MTU_UNKNOWN;
	struct link_info li;
	char what[200];

	if (probe_full_due(&pr) && links_get(tc->links, tc->tap->tap, &li) ==
	    0 && li.mtu > 0 && probe_send_full(&pr, li.mtu) == 0)
		probes_tx++;
	if (pr.mtu.state == told)
		return;
	if (pr.mtu.state == PROBE_MTU_LOST) {
		snprintf(what, sizeof(what), "full-size frames (%u bytes) do "
		    "not cross the tunnel, small ones do: an MTU black hole on "
		    "the path; a restart would not cure it", pr.mtu.size);
		log_warnx("tunnel: %s", what);
		op_mail(NULL, what);
	} else if (told == PROBE_MTU_LOST) {
		log_info("tunnel: full-size frames (%u bytes) cross the tunnel "
		    "again", pr.mtu.size);
	}
	told = pr.mtu.state;
}

static uint64_t	 hold_until;	/* no probe before, unless the peer's came */

#define PROBE_TICK_JOIN_MS	5	/* a tick this close runs with the deadline */

static void
send_probe(void *arg)
{
	if (probing && pr.fd == -1)
		datapath_tap_changed();
	drain_probes();			/* first: the echo goes back fresh */
	watch_probes();
	if (probing && pr.fd != -1 && clock_ms() >= hold_until) {
		if (probe_send(&pr) == 0)
			probes_tx++;
		else if (errno != EAGAIN && errno != ENOBUFS)
			datapath_tap_changed();
		full_probe();
	}
	ev_timer_set(&probe_timer, tc->conf->probe_interval_ms, send_probe,
	    NULL);
}

/*
 * The capture of vtund's connection (tcpresume.h) is open while the
 * session is judged broken (its probes paused), read when the path works
 * again; or for a nudge, watched until the far end's next segment; or,
 * once per session while it is healthy, to learn snd_una's offset from
 * bytes_acked, so that the kernel can be told at once later, before any
 * retransmission was recorded.
 */
#define CALIB_START_MS		1000	/* after the session began */
#define CALIB_SETTLE_MS		20	/* an ACK this old was taken */
#define CALIB_GIVEUP_MS		10000	/* silent: the capture's way */
#define CALIB_SEGMENTS_MAX	256	/* busy (never quiet for 20 ms): the
					 * same, before it costs a worker */

static int		 capture_broken;	/* wanted: judged broken */
static int		 nudging;		/* wanted: kick at a segment */
static int		 calibrating;		/* wanted: learning the offset */
static int		 watched_capture = -1;	/* its fd, watched */
static struct ev_timer	 nudge_timer;
static struct ev_timer	 calib_timer;		/* start, then give up */
static struct ev_timer	 settle_timer;
static struct tcpresume_offset una;
static unsigned		 calib_seen;		/* segments while learning */

static void	 nudge_end(void *);
static void	 calib_end(void);
static void	 capture_readable(int, void *);

static void
capture_update(void)
{
	static int warned;
	char k[128];
	int fd;

	if (!have_key) {
		nudge_end(NULL);	/* no key: no nudge either */
		calib_end();
	}
	if (!have_key || (!capture_broken && !nudging && !calibrating)) {
		if (watched_capture != -1)
			ev_del_fd(watched_capture);
		watched_capture = -1;
		tcpresume_close(capture);
		capture = NULL;
		return;
	}
	if (capture == NULL && (capture = tcpresume_open(&key)) == NULL &&
	    !warned++) {
		tcpinfo_key_str(&key, k, sizeof(k));
		log_warn("tunnel: recording the segments of %s", k);
	}
	/* Watched while someone waits for a segment. */
	fd = capture != NULL && (nudging || calibrating) ?
	    tcpresume_fd(capture) : -1;
	if (fd == watched_capture)
		return;
	if (watched_capture != -1)
		ev_del_fd(watched_capture);
	watched_capture = fd != -1 && ev_add_fd(fd, capture_readable, NULL) ==
	    0 ? fd : -1;
}

/* Hand the kernel the RFC 6069 messages for S; 1 told, 0 cannot. */
static int
op_resume(void *ctx, const struct tunnel_tcp *s)
{
	unsigned n = s->backoff + 1;
	uint32_t seq;
	char k[128];

	/* The offset learnt, for this very sample; else what the capture
	 * recorded. */
	if (!have_key || (tcpresume_una(&una, s->bytes_acked, &seq) != 1 &&
	    (capture == NULL || tcpresume_head(capture, &seq) != 1)))
		return 0;
	if (n > TCPRESUME_KICKS_MAX)
		n = TCPRESUME_KICKS_MAX;
	tcpinfo_key_str(&key, k, sizeof(k));
	if (tcpresume_kick(&key, seq, n) == -1) {
		log_warn("tunnel: telling the kernel the path of %s is back", k);
		return 0;
	}
	log_debug("tunnel: %s: %u RFC 6069 messages quoting sequence %u", k, n,
	    seq);
	return 1;
}

/* The nudge is over (done, or no segment came in time). */
static void
nudge_end(void *arg)
{
	if (!nudging)
		return;
	nudging = 0;
	ev_timer_cancel(&nudge_timer);
	capture_update();
}

/* A segment was recorded: the kernel is told now, if still stuck. */
static void
nudge_segment(void)
{
	struct tunnel_tcp s;

	if (op_tcp(NULL, &s) == 1 && s.unacked > 0 && s.retransmits > 0)
		(void)op_resume(NULL, &s);
	nudge_end(NULL);
}

static int
op_nudge(void *ctx)
{
	if (!have_key || nudging)
		return -1;
	nudging = 1;
	capture_update();
	if (watched_capture == -1) {
		nudging = 0;
		capture_update();
		return -1;
	}
	ev_timer_set(&nudge_timer, 2 * tc->conf->probe_interval_ms,
	    nudge_end, NULL);
	return 0;
}

/* --- learning snd_una's offset --- */

static void
calib_end(void)
{
	if (!calibrating)
		return;
	calibrating = 0;
	ev_timer_cancel(&calib_timer);
	ev_timer_cancel(&settle_timer);
	capture_update();
}

static void
calib_giveup(void *arg)
{
	log_debug("tunnel: no offset for snd_una within %.0f s: the capture "
	    "learns it when needed", CALIB_GIVEUP_MS / 1000.0);
	calib_end();
}

/* Nothing recorded since the ACK came, long enough for the kernel to
 * have taken it: bytes_acked now belongs to that ACK, if still nothing
 * new once it is sampled. */
static void
calib_settled(void *arg)
{
	struct tunnel_tcp s;
	uint32_t ack;
	int have;

	if (capture == NULL || !calibrating)
		return;
	if (tcpresume_drain(capture, &ack, &have) > 0) {
		ev_timer_set(&settle_timer, CALIB_SETTLE_MS, calib_settled,
		    NULL);
		return;
	}
	if (!have || !have_key || tcpinfo_get(ti, &key, &s) != 1 ||
	    tcpresume_drain(capture, NULL, NULL) > 0)
		return;			/* the next segment tries again */
	if (tcpresume_learn(&una, ack, s.bytes_acked) == 1) {
		log_debug("tunnel: snd_una is bytes_acked + %u", una.offset);
		calib_end();
	}
}

static void
capture_readable(int fd, void *arg)
{
	int n;

	if (nudging) {
		nudge_segment();
		return;
	}
	/* Read now (the descriptor is level-triggered); while learning,
	 * the newest ACK is looked at once nothing more came for a while. */
	n = tcpresume_drain(capture, NULL, NULL);
	if (!calibrating)
		return;
	if ((calib_seen += (unsigned)n) > CALIB_SEGMENTS_MAX) {
		log_debug("tunnel: the session is busy: no offset for snd_una "
		    "now; the capture learns it when needed");
		calib_end();
		return;
	}
	ev_timer_set(&settle_timer, CALIB_SETTLE_MS, calib_settled, NULL);
}

/* A probe interval into the session: its connection, then its ACKs. */
static void
calib_start(void *arg)
{
	struct tunnel_tcp s;

	if (una.known || calibrating || sess.udp ||
	    (!have_key && op_tcp(NULL, &s) != 1))
		return;
	calibrating = 1;
	calib_seen = 0;
	capture_update();
	if (watched_capture == -1) {
		calibrating = 0;
		capture_update();
		return;
	}
	ev_timer_set(&calib_timer, CALIB_GIVEUP_MS, calib_giveup, NULL);
}

static void
op_probes(void *ctx, int on)
{
	/* With the offset learnt, a sample tells snd_una: no capture, whose
	 * filter a thousand broken sessions would each run on every packet
	 * of the host. */
	capture_broken = !on && !una.known;
	capture_update();
	if (tc->conf->liveness != LIVENESS_PROBE || probing == on)
		return;
	probing = on;
	log_debug("probes %s", on ? "resumed" : "paused: nothing is sent into "
	    "a broken session");
}

static void
op_new_session(void *ctx)
{
	have_key = 0;
	capture_update();
	memset(&una, 0, sizeof(una));
	ev_timer_set(&calib_timer, CALIB_START_MS, calib_start, NULL);
	hold_until = clock_ms() + PROBE_HOLD_MS;
	datapath_tap_changed();
	probe_forget_peer(&pr);	/* a new session: a new peer state
				   (probe API v2: adapted mechanically) */
}

/*
 * The silence deadline.  While the tunnel is up it fires only when the
 * peer's probes arrive just after ours leave (the probe tick found
 * nothing, the deadline then finds it): the worker would wake twice a
 * second.  Then the next probe goes now and the ticks follow from here,
 * half an interval after the peer's arrive, so that each tick takes the
 * peer's probe and the deadline moves on before it fires.
 */
static void
fsm_due(void *arg)
{
	int up = tc->tunnel.state == TS_UP;

	/* The tick due now as well (or within a few ms) takes the probe; the
	 * deadline moves on: one read of the socket, not two, and the ticks
	 * drift ahead of the deadline, where they belong. */
	if (up && probe_timer.armed &&
	    probe_timer.when <= ev_now_ms() + PROBE_TICK_JOIN_MS) {
		ev_timer_cancel(&probe_timer);
		send_probe(NULL);
		if (fsm_timer.armed)
			return;
	}
	/* a probe that came counts first */
	if (drain_probes() > 0 && up && probing)
		ev_timer_set(&probe_timer, 0, send_probe, NULL);
	feed(TI_TIMER);
}

static void
op_arm(void *ctx, uint64_t at)
{
	uint64_t now = clock_ms();

	if (at == 0)
		ev_timer_cancel(&fsm_timer);
	else
		ev_timer_set(&fsm_timer, at > now ? at - now : 0, fsm_due,
		    NULL);
}

static void
op_wake(void *ctx)
{
	wake_round();
}

static void
op_record(void *ctx, enum tunnel_record kind, const char *fault,
    const char *action, int ok)
{
	enum check_id c = kind == TREC_TAP_REPAIR ? CHK_TAP : CHK_TUNNEL;

	if (kind == TREC_TUNNEL_FAULT) {
		check_fault(tc, c, fault);
		return;
	}
	/* The pace is the tunnel's (tunnel.c); this logs and records. */
	log_info("%s: %s; %s: %s", check_name(c), fault, action,
	    ok ? "ok" : "failed");
	repair_record(tc, c, fault, action, ok);
}

static void
op_mail(void *ctx, const char *what)
{
	char line[300];

	snprintf(line, sizeof(line), "tunnel %s (session %s): %s",
	    tc->tap->tap, tc->tap->session, what);
	notify_restart(line);
}

static const struct tunnel_ops ops = {
	op_tap_rx, op_tcp, op_ask_probe, op_reach, op_ask_lock,
	op_end_session, op_start_client, op_signal_client, op_probes,
	op_resume, op_nudge, op_new_session, op_arm, op_wake, op_record, op_mail,
};

static void
feed(enum tunnel_input in)
{
	(void)tunnel_input(&tc->tunnel, in, NULL, clock_ms());
	watch_probes();
}

int
datapath_client_port(pid_t pid, uint16_t *port)
{
	struct tcp_match m;
	struct tcp_key k;
	struct tunnel_tcp s;
	uint64_t inodes[32];
	int n, rc;

	if (sess.udp || ti == NULL || !have_addrs)
		return 0;
	if ((rc = held_socket(pid, &k, &s)) != -1) {
		if (rc == 1)
			*port = k.dport;
		return rc;
	}
	if ((n = procs_socket_inodes(pid, inodes, 32)) <= 0)
		return n == 0 ? 0 : -1;
	memset(&m, 0, sizeof(m));
	m.remote = &peer_addrs;
	m.local_port = sess.port;
	m.inodes = inodes;
	m.ninodes = (size_t)n;
	if ((rc = tcpinfo_find(ti, &m, &k, &s)) == 1)
		*port = k.dport;
	return rc;
}

/* --- the seed's counter rule (LIVENESS counters) --- */

void
datapath_counters_reset(void)
{
	if (tc == NULL)
		return;
	tc->df.have_prev = 0;
	tc->df.prev_rounds = 0;
	tc->df_dirty = 1;
}

/*
 * Working if, within two checks, local TX and remote RX rose, or remote TX
 * and local RX rose; the previous values live in the data file (seed), and
 * this module is their only writer.
 */
static void
counters_rule(const struct counters *remote)
{
	struct datafile *df = &tc->df;
	const struct counters *l = &sample_local;
	int working;

	tc->df_dirty = 1;
	if (!df->have_prev) {
		df->have_prev = 1;
		df->prev_local = *l;
		df->prev_remote = *remote;
		df->prev_rounds = 0;
		return;
	}
	working = (l->tx_packets > df->prev_local.tx_packets &&
	    remote->rx_packets > df->prev_remote.rx_packets) ||
	    (remote->tx_packets > df->prev_remote.tx_packets &&
	    l->rx_packets > df->prev_local.rx_packets);
	if (working) {
		df->prev_local = *l;
		df->prev_remote = *remote;
		df->prev_rounds = 0;
		feed(TI_COUNTERS_ALIVE);
		return;
	}
	if (++df->prev_rounds < 2) {
		log_info("tunnel: counters did not move since the last check; "
		    "checking again next round");
		return;
	}
	df->have_prev = 0;
	feed(TI_COUNTERS_DEAD);
}

static void
counters_answer(const char *reply, void *arg)
{
	struct peer_counters pc;

	if (reply == NULL || peer_parse_counters(reply, &pc) == -1) {
		log_info("tunnel: no counters from the peer (%s); no verdict",
		    reply ? reply : "unreachable");
		return;
	}
	if (pc.absent)
		memset(&pc.c, 0, sizeof(pc.c));
	counters_rule(&pc.c);
}

static void
sample_tick(void *arg)
{
	struct link_info li;

	ev_timer_set(&sample_timer, tc->conf->delay_betweencheck * 1000ULL,
	    sample_tick, NULL);
	if (links_get(tc->links, tc->tap->tap, &li) != 0)
		return;			/* check 4 deals with a missing tap */
	sample_local.rx_packets = li.rx_packets;
	sample_local.tx_packets = li.tx_packets;
	datapath_tap_changed();
	if (pr.fd != -1 && clock_ms() >= hold_until && probe_send(&pr) == 0)
		probes_tx++;		/* an idle tunnel still shows flow */
	if (ask("counters", NULL, counters_answer, NULL) == -1)
		log_debug("tunnel: peer unavailable; no counter verdict");
}

/* --- probes --- */

static int	 watched = -1;	/* the probe socket in the event loop */

/* Take what waits in the probe socket; the state machine hears when the
 * newest genuine probe arrived (the kernel's time stamp).  The number of
 * genuine probes taken. */
static int
drain_probes(void)
{
	unsigned long before = probe_dropped(&pr);
	int n = probe_receive(&pr);

	if (n > 0) {
		hold_until = 0;		/* the far end's tap is up */
		probes_rx += (uint64_t)n + (probe_dropped(&pr) - before);
		(void)tunnel_input(&tc->tunnel, TI_PROBE, NULL,
		    pr.last_rx_ms ? pr.last_rx_ms : clock_ms());
		if (probe_unheard(&pr) >= TUNNEL_UNHEARD_PROBES)
			(void)tunnel_input(&tc->tunnel, TI_UNHEARD, NULL,
			    clock_ms());
	} else if (n == 0) {
		probes_rx += probe_dropped(&pr) - before;
	} else if (pr.fd != -1) {
		log_debug("probe socket: %s", strerror(errno));
		ev_del_fd(pr.fd);
		watched = -1;
		probe_close(&pr);
	}
	return n > 0 ? n : 0;
}

static void
probe_readable(int fd, void *arg)
{
	drain_probes();
	watch_probes();
}

/*
 * While the tunnel is up, a probe frame does not wake the worker: it
 * waits in the socket, time-stamped by the kernel, for the next probe
 * tick or the silence deadline, whichever comes first (an idle worker
 * wakes once per interval, not twice).  In any other state every frame
 * is taken at once.
 */
static void
watch_probes(void)
{
	int want = pr.fd != -1 && tc->tunnel.state != TS_UP;

	if (watched != -1 && (!want || watched != pr.fd)) {
		ev_del_fd(watched);
		watched = -1;
	}
	if (want && watched == -1 && ev_add_fd(pr.fd, probe_readable, NULL) ==
	    0)
		watched = pr.fd;
}

/* (Re)bind the probe socket to the tap as it is now. */
void
datapath_tap_changed(void)
{
	int old = pr.ifindex, oldfd = pr.fd, rc, err;

	if (tc == NULL)
		return;
	rc = probe_bind(&pr);
	err = errno;
	if (rc == 0 && pr.fd == oldfd && pr.ifindex == old)
		return;			/* the same tap */
	if (oldfd != -1)
		ev_del_fd(oldfd);	/* closed by probe_bind: forget it */
	watched = -1;
	if (rc == -1) {
		if (err != ENODEV)
			log_warnx("probe socket on %s: %s", tc->tap->tap,
			    strerror(err));
		return;
	}
	watch_probes();
}

/*
 * The key comes from the session's vtund passwd, which both ends share.
 * A session without one gets a stand-in key from its name alone (no
 * secret: forgeable), said once in the log.  The epoch is the wall clock
 * in microseconds: a far end that restarts has a higher one and is taken
 * at once, replays of the old one are not.
 */
static void
probe_start(const struct tapcheck *t)
{
	uint8_t pkey[PROBE_KEY_LEN] = { 0 };

	if (probe_derive_key(sess.passwd, t->tap->session, pkey) == -1) {
		if (t->conf->liveness == LIVENESS_PROBE)
			log_warnx("tunnel: session %s has no passwd in "
			    "VTUND_CONF: its probes are not authenticated",
			    t->tap->session);
		(void)probe_derive_key(t->tap->session, t->tap->session, pkey);
	}
	probe_init(&pr, t->tap->tap, t->tap->session, pkey, clock_wall_us());
	probe_set_side(&pr, t->conf->machine == ROLE_CLIENT ?
	    PROBE_SIDE_CLIENT : PROBE_SIDE_SERVER);
	sodium_memzero(pkey, sizeof(pkey));
	sodium_memzero(sess.passwd, sizeof(sess.passwd));	/* no longer */
}

int
datapath_start(struct tapcheck *t, const struct dp_session *s,
    dp_ask_fn a, int (*r)(const char *), void (*w)(void))
{
	const struct config *c = t->conf;
	struct tunnel_conf tconf;
	char err[256];
	const char *host = c->machine == ROLE_CLIENT ? c->server :
	    t->tap->client_ip;

	tc = t;
	sess = *s;
	ask = a;
	reach_ask = r;
	wake_round = w;
	tconf.client = c->machine == ROLE_CLIENT;
	tconf.interval_ms = c->probe_interval_ms;
	tconf.detect_ms = (uint64_t)c->probe_interval_ms * c->probe_multiplier;
	tconf.probes = c->liveness == LIVENESS_PROBE;
	tunnel_init(&t->tunnel, &tconf, &ops, NULL, clock_ms());
	if (tcpinfo_resolve(host, &peer_addrs, err, sizeof(err)) == -1)
		log_warnx("tunnel: %s; no TCP view of vtund's connection, "
		    "and the server's reachability is not watched", err);
	else
		have_addrs = 1;
	if (!sess.udp && (ti = tcpinfo_open()) == NULL)
		log_warn("tunnel: no TCP view of vtund's connection");
	probe_start(t);
	datapath_tap_changed();
	if (tconf.probes) {
		probing = 1;
		send_probe(NULL);
	} else {
		ev_timer_set(&sample_timer, c->delay_betweencheck * 1000ULL,
		    sample_tick, NULL);
	}
	return 0;
}

void
datapath_stop(void)
{
	ev_timer_cancel(&probe_timer);
	ev_timer_cancel(&fsm_timer);
	ev_timer_cancel(&lock_timer);
	ev_timer_cancel(&sample_timer);
	if (pr.fd != -1)
		ev_del_fd(pr.fd);
	watched = -1;
	probe_close(&pr);
	nudge_end(NULL);
	calib_end();
	ev_timer_cancel(&calib_timer);
	if (watched_capture != -1)
		ev_del_fd(watched_capture);
	watched_capture = -1;
	tcpresume_close(capture);
	capture = NULL;
	tcpinfo_close(ti);
	ti = NULL;
}

int
datapath_probing(void)
{
	return tc != NULL && tc->conf->liveness == LIVENESS_PROBE && probing;
}

void
datapath_probe_frames(uint64_t *rx, uint64_t *tx)
{
	*rx = probes_rx;
	*tx = probes_tx;
}

void
datapath_report(struct probe_report *r)
{
	double loss = probe_loss(&pr);

	memset(r, 0, sizeof(*r));
	r->valid = tc != NULL && tc->conf->liveness == LIVENESS_PROBE;
	r->rtt_ms = pr.rtt_ms;
	r->srtt_ms = pr.srtt_ms;
	r->loss = loss < 0 ? 0 : loss;
	r->dropped = probe_dropped(&pr);	/* probe API v2: adapted
						   mechanically */
	snprintf(r->last_drop, sizeof(r->last_drop), "%s", pr.last_drop);
}
