/*
 * worker: the event loop of one tap.
 *
 * Wakes up for: messages from the supervisor (link events for its
 * interfaces, control requests, the peer's replies and switches, report
 * requests), the exit of the vtund process it watches (pidfd), its
 * supervisor's exit (pidfd), signals, its probe socket and the tunnel's
 * state machine (datapath.c), and two timers — the periodic round and the
 * settle re-check after a repair.  It writes its data file only when a
 * switch, a fault or a repair changed it.
 */
#include <sys/prctl.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tapcheck.h"
#include "clock.h"
#include "datapath.h"
#include "event.h"
#include "links.h"
#include "log.h"
#include "msg.h"
#include "notify.h"
#include "peer.h"
#include "processes.h"
#include "proctitle.h"
#include "requests.h"
#include "safefile.h"
#include "status.h"
#include "vtundconf.h"
#include "worker.h"

#define PEER_WAIT_MS	6000	/* the supervisor times out at 5 s */
#define ASKS_MAX	8

static struct tapcheck	 tc;
static int		 sup = -1;		/* socketpair to the supervisor */
static struct ev_timer	 round_timer;
static int		 vtund_fd = -1;		/* pidfd of the watched vtund */
static pid_t		 vtund_pid;
static uint64_t		 event_ms;		/* first event not handled */
static uint64_t		 next_full_ms;		/* periodic round due */
static uint32_t		 next_id = 1;
static int		 peer_sw[SW_MAX];	/* the server's, as last heard */
static int		 peer_sw_known;
static struct {
	uint32_t	 id;			/* 0: free */
	dp_reply_cb	 cb;
	void		*arg;
	struct ev_timer	 timeout;
} asks[ASKS_MAX];

static void	 run_round(void *);

static void
round_soon(void)
{
	if (event_ms == 0)
		event_ms = ev_now_ms();
	ev_timer_sooner(&round_timer, 0, run_round, NULL);
}

/* Look at every process, not only the known client, next round. */
static void
rescan_soon(void)
{
	tc.full_scan = 1;
	round_soon();
}

static void
save_datafile(void)
{
	if (!tc.df_dirty)
		return;
	tc.df_dirty = 0;
	if (datafile_write(tc.datafile, &tc.df) == -1)
		log_warnx("%s", sf_error());
}

/* --- the peer, through the supervisor --- */

static void
ask_expired(void *arg)
{
	int i = (int)(intptr_t)arg;
	dp_reply_cb cb = asks[i].cb;

	asks[i].id = 0;
	cb(NULL, asks[i].arg);
}

static int
ask_peer(const char *verb, const char *args, dp_reply_cb cb, void *arg)
{
	char req[PEER_LINE_MAX];
	int i;

	for (i = 0; i < ASKS_MAX && asks[i].id != 0; i++)
		;
	if (i == ASKS_MAX)
		return -1;
	snprintf(req, sizeof(req), "%s %s%s%s", verb, tc.tap->session,
	    args ? " " : "", args ? args : "");
	if (msg_send_str(sup, MSG_PEER_REQ, next_id, req) == -1)
		return -1;
	asks[i].id = next_id++;
	if (next_id == 0)
		next_id = 1;
	asks[i].cb = cb;
	asks[i].arg = arg;
	ev_timer_set(&asks[i].timeout, PEER_WAIT_MS, ask_expired,
	    (void *)(intptr_t)i);
	return 0;
}

static void
peer_replied(uint32_t id, const char *reply)
{
	int i;

	for (i = 0; i < ASKS_MAX; i++) {
		if (asks[i].id != id)
			continue;
		asks[i].id = 0;
		ev_timer_cancel(&asks[i].timeout);
		asks[i].cb(reply[0] ? reply : NULL, asks[i].arg);
		return;
	}
}

/* The server's switches: a client does not check what the server switched
 * off (seed). */
static void
peer_switches(const char *text)
{
	char line[PEER_LINE_MAX + 8];
	int sw[SW_MAX], off;

	if (snprintf(line, sizeof(line), "ok %s %.*s", tc.tap->session,
	    PEER_LINE_MAX - 1, text) >= (int)sizeof(line))
		return;
	if (peer_parse_switches(line, sw) == -1)
		return;
	memcpy(peer_sw, sw, sizeof(peer_sw));
	peer_sw_known = 1;
	off = !sw[SW_SERVICE];
	if (off == tc.peer_service_off)
		return;
	tc.peer_service_off = off;
	log_info("the server switched service %s for session %s",
	    off ? "off" : "on", tc.tap->session);
	round_soon();
}

/* --- the supervisor's process view --- */

static uint32_t		 procs_id;	/* the question out */
static uint64_t		 procs_asked_ms;
#define PROCS_WAIT_MS	2000	/* an answer lost: ask again */

static int
ask_procs(char side, int fresh)
{
	char text[SESSION_MAX + 8];

	snprintf(text, sizeof(text), "%c %d %s", side, fresh,
	    side == 'l' ? "" : tc.tap->session);
	procs_id = next_id++;
	if (next_id == 0)
		next_id = 1;
	if (msg_send_str(sup, MSG_PROCS_REQ, procs_id, text) == -1)
		return -1;
	tc.view.side = side;
	tc.view.pending = 1;
	procs_asked_ms = ev_now_ms();
	return 0;
}

static void
procs_answered(uint32_t id, const void *data, size_t len)
{
	size_t n = len / sizeof(struct vtund_proc);

	if (id != procs_id || len % sizeof(struct vtund_proc) != 0)
		return;			/* stale, or not ours */
	if (n > sizeof(tc.view.p) / sizeof(tc.view.p[0]))
		n = sizeof(tc.view.p) / sizeof(tc.view.p[0]);
	memcpy(tc.view.p, data, n * sizeof(struct vtund_proc));
	tc.view.n = (int)n;
	tc.view.pending = 0;
	tc.view.seq++;
	round_soon();
}

static int
ask_reach(const char *text)
{
	return msg_send_str(sup, MSG_REACH_REQ, 0, text);
}

/* --- control requests, already scoped by the supervisor --- */

static void
ctl_done(uint32_t id, const char *reply)
{
	if (msg_send_str(sup, MSG_CTL_REPLY, id, reply) == -1)
		log_warn("control reply");
}

/* The supervisor answers the peer's polls of the switches from this. */
static void
tell_switches(void)
{
	if (msg_send(sup, MSG_SWITCHES, 0, tc.df.sw, sizeof(tc.df.sw)) == -1)
		log_warn("switches to the supervisor");
}

static void
ctl_request(uint32_t id, const char *line)
{
	struct peer_request req;
	char reply[PEER_LINE_MAX * 2], err[128];
	int changed, rc;

	if (peer_parse_request(line, &req, err, sizeof(err)) == -1) {
		snprintf(reply, sizeof(reply), "err %s", err);
		ctl_done(id, reply);
		return;
	}
	rc = requests_answer(&tc, &req, reply, sizeof(reply), &changed,
	    ctl_done, id);
	if (changed)
		tell_switches();	/* before the reply: no stale answer */
	if (rc == 1)
		ctl_done(id, reply);
	if (changed) {
		log_info("switch %s turned %s (%s)", switch_name(req.sw),
		    req.on ? "on" : "off", "control request");
		save_datafile();
		round_soon();
	} else {
		save_datafile();	/* reset */
	}
}

static void
send_report(uint32_t id)
{
	struct tap_report r;

	memset(&r, 0, sizeof(r));
	snprintf(r.tap, sizeof(r.tap), "%s", tc.tap->tap);
	r.pid = getpid();
	r.df = tc.df;
	r.tunnel_state = tc.tunnel.state;
	r.tunnel_since = time(NULL) -
	    (time_t)((clock_ms() - tc.tunnel.since_ms) / 1000);
	snprintf(r.tunnel_why, sizeof(r.tunnel_why), "%s", tc.tunnel.why);
	datapath_report(&r.probe);
	r.peer_known = peer_sw_known;
	memcpy(r.peer_sw, peer_sw, sizeof(r.peer_sw));
	if (msg_send(sup, MSG_REPORT, id, &r, sizeof(r)) == -1)
		log_warn("report");
}

/* The tap's events since the last round: its probe socket is looked at
 * once per round, not once per event (a bridge port leaving and coming
 * back is four or five events). */
static int	 tap_touched;

/* "+NAME" changed, "-NAME" removed, "" an overrun: look at everything. */
static void
link_event(const char *text)
{
	const char *name = text[0] ? text + 1 : text;

	if (name[0] != '\0' && !tap_uses(tc.tap, name))
		return;
	if (name[0] == '\0' || strcmp(name, tc.tap->tap) == 0) {
		tap_touched = 1;
		/* Two clients fighting for the session make its tap vanish
		 * again and again: then every process is looked at.  A tap
		 * that merely changed (taken off its bridge) is not that. */
		if (text[0] != '+')
			tc.full_scan = 1;
	}
	round_soon();
}

static void
supervisor_message(int fd, void *arg)
{
	static char buf[MSG_PAYLOAD_MAX + 1];
	struct msg_hdr h = { 0, 0, 0 };
	int r;

	while ((r = msg_recv(fd, &h, buf, sizeof(buf))) == 1) {
		switch (h.type) {
		case MSG_PEER_REPLY: peer_replied(h.id, buf); break;
		case MSG_LINK: link_event(buf); break;
		case MSG_CTL_REQ: ctl_request(h.id, buf); break;
		case MSG_REPORT_REQ: send_report(h.id); break;
		case MSG_PEER_SWITCHES: peer_switches(buf); break;
		case MSG_PROCS: rescan_soon(); break;
		case MSG_PROCS_REPLY: procs_answered(h.id, buf, h.len); break;
		case MSG_REACH_RESULT: datapath_reach_result(buf[0] == '1');
			break;
		default: break;
		}
	}
	if (r == 0 || (r == -1 && errno != EAGAIN && errno != EBADMSG)) {
		log_info("supervisor gone, exiting");
		ev_stop();
	}
}

/* --- vtund, the round --- */

static void
vtund_exited(int fd, void *arg)
{
	log_debug("vtund process %d exited", (int)vtund_pid);
	ev_del_fd(fd);
	close(fd);
	vtund_fd = -1;
	vtund_pid = 0;
	rescan_soon();
}

/* Watch the vtund process the last round found (client or listener). */
static void
watch_vtund(void)
{
	pid_t want = tc.conf->machine == ROLE_CLIENT ? tc.client.pid :
	    tc.listener.pid;

	if (want == vtund_pid)
		return;
	if (vtund_fd != -1) {
		ev_del_fd(vtund_fd);
		close(vtund_fd);
		vtund_fd = -1;
	}
	vtund_pid = want;
	if (vtund_pid <= 0)
		return;
	vtund_fd = procs_watch(vtund_pid);
	if (vtund_fd == -1 || ev_add_fd(vtund_fd, vtund_exited, NULL) == -1) {
		if (vtund_fd != -1)
			close(vtund_fd);
		vtund_fd = -1;
		vtund_pid = 0;
		rescan_soon();		/* gone already: look again */
	}
}

static void
run_round(void *arg)
{
	uint64_t again, now = ev_now_ms();

	if (tc.view.pending && now - procs_asked_ms > PROCS_WAIT_MS)
		tc.view.pending = 0;	/* no answer: the next round asks */
	if (now >= next_full_ms) {
		tc.full_scan = 1;	/* the periodic round looks at all */
		next_full_ms = now + tc.conf->delay_betweencheck * 1000ULL;
	}
	if (tap_touched) {
		tap_touched = 0;
		datapath_tap_changed();
	}
	tc.trigger_ms = event_ms;
	event_ms = 0;
	again = checks_round(&tc);
	tc.full_scan = 0;
	if (checks_take_repaired(&tc))
		notify_restart(tc.df.repair);
	save_datafile();
	watch_vtund();
	if (again == 0 || now + again > next_full_ms)
		again = next_full_ms > now ? next_full_ms - now : 0;
	ev_timer_set(&round_timer, again, run_round, NULL);
}

static void
on_signal(int signo)
{
	switch (signo) {
	case SIGHUP:
		log_reopen();
		break;
	case SIGTERM:
	case SIGINT:
		ev_stop();
		break;
	}
}

static void
signal_received(int fd, void *arg)
{
	ev_signals(fd, on_signal);
}

static void
supervisor_gone(int fd, void *arg)
{
	log_info("supervisor gone, exiting");
	ev_stop();
}

/* Exit with the supervisor: at once through a pidfd, PDEATHSIG as well. */
static void
follow_supervisor(pid_t supervisor)
{
	int fd;

	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != supervisor)
		exit(0);
	fd = procs_watch(supervisor);
	if (fd == -1 || ev_add_fd(fd, supervisor_gone, NULL) == -1)
		log_warn("cannot watch the supervisor");
}

static void
load_datafile(void)
{
	char err[512];

	if (datafile_path(tc.conf->data_dir, tc.tap->tap, tc.datafile,
	    sizeof(tc.datafile)) == -1)
		fatalx("data file name too long");
	if (datafile_read(tc.datafile, &tc.df, err, sizeof(err)) != 0) {
		log_warnx("%s", err);
		tc.df_dirty = 1;	/* rebuild it */
	}
}

/* What vtund.conf says of the session: its port, protocol and key. */
static void
session_of(struct dp_session *s)
{
	const struct vtund_session *vs;
	struct vtundconf vc;
	char err[512];

	memset(s, 0, sizeof(*s));
	s->port = 5000;
	if (vtundconf_load_session(tc.conf->vtund_conf, tc.tap->session, &vc,
	    err, sizeof(err)) == -1) {
		log_warnx("%s; assuming vtund's defaults", err);
		return;
	}
	s->port = (uint16_t)vc.port;
	if ((vs = vtundconf_find(&vc, tc.tap->session)) != NULL) {
		s->udp = vs->proto == VTUND_PROTO_UDP;
		snprintf(s->passwd, sizeof(s->passwd), "%s", vs->passwd);
	} else {
		log_warnx("%s: no session %s", tc.conf->vtund_conf,
		    tc.tap->session);
	}
	vtundconf_free(&vc);
}

void
worker_main(const struct config *conf, const struct tap_conf *tap, int fd)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP, 0 };
	pid_t supervisor = getppid();
	struct dp_session sess;
	int sfd;

	proctitle_set("vtundfix: worker %s (%s)", tap->tap, tap->session);
	log_set_prefix(tap->tap);
	memset(&tc, 0, sizeof(tc));
	tc.conf = conf;
	tc.tap = tap;
	tc.ask_procs = ask_procs;
	sup = fd;
	if (ev_init() == -1)
		fatal("epoll");
	if ((sfd = ev_signalfd(sigs)) == -1 ||
	    ev_add_fd(sfd, signal_received, NULL) == -1)
		fatal("signalfd");
	follow_supervisor(supervisor);
	if (ev_add_fd(sup, supervisor_message, NULL) == -1)
		fatal("supervisor socket");
	if ((tc.links = links_open()) == NULL)
		fatalx("cannot open a netlink socket");
	(void)procs_init(conf->vtund);
	load_datafile();
	tell_switches();
	notify_init(conf, tap);
	session_of(&sess);
	datapath_start(&tc, &sess, ask_peer, ask_reach, round_soon);
	memset(&sess, 0, sizeof(sess));		/* the passwd: not kept */
	log_info("checking %s: session %s, bridge %s, uplink %s", tap->tap,
	    tap->session, tap->bridge, tap->uplink);
	run_round(NULL);
	ev_run();
	datapath_stop();
	requests_stop();
	save_datafile();
	log_info("worker stopped");
	exit(0);
}
