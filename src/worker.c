/*
 * worker: the event loop of one tap.
 *
 * Wakes up for: rtnetlink link events on its interfaces, the exit of the
 * vtund process it watches (pidfd), changes of its data file (inotify: the
 * switches), its supervisor's exit (pidfd), signals, and two timers — the
 * periodic round and the settle re-check after a repair.
 */
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "checks.h"
#include "event.h"
#include "links.h"
#include "liveness.h"
#include "log.h"
#include "notify.h"
#include "peer.h"
#include "peer_client.h"
#include "proctitle.h"
#include "worker.h"

static struct tapcheck	 tc;
static struct links_watch *watch;
static struct ev_timer	 round_timer;
static int		 vtund_fd = -1;		/* pidfd of tc.watched_pid */
static pid_t		 vtund_pid;
static int		 inotify_fd = -1;	/* on the data file: switches */
static struct peer_chan	*peer;
static struct ev_timer	 peer_timer;

#define PEER_POLL_MS	5000	/* how often a client asks the server's switches */
#define SESSION_POLL_MS	10	/* how often to ask for the session's lock */
static struct ev_timer	 lock_timer;

static void	 run_round(void *);

static uint64_t		 event_ms;		/* first event not handled */

static void
round_soon(void)
{
	if (event_ms == 0)
		event_ms = ev_now_ms();
	ev_timer_sooner(&round_timer, 0, run_round, NULL);
}

/* Copy everything but the switches, which belong to `vtundfix on|off`. */
static int
merge_history(struct datafile *df, void *arg)
{
	int sw[SW_MAX];

	memcpy(sw, df->sw, sizeof(sw));
	*df = tc.df;
	memcpy(df->sw, sw, sizeof(sw));
	return 1;
}

static void
save_datafile(void)
{
	if (!tc.df_dirty)
		return;
	tc.df_dirty = 0;
	if (datafile_update(tc.datafile, merge_history, NULL) == -1)
		log_warn("%s", tc.datafile);
}

/* The server's switches: a client does not check what the server switched
 * off (seed). */
static void
peer_switches(const char *reply, void *arg)
{
	int sw[SW_MAX], off;

	if (reply == NULL || peer_parse_switches(reply, sw) == -1)
		return;			/* keep what we knew */
	off = !sw[SW_SERVICE];
	if (off == tc.peer_service_off)
		return;
	tc.peer_service_off = off;
	log_info("the server switched service %s for session %s",
	    off ? "off" : "on", tc.tap->session);
	round_soon();
}

/* Send the peer "VERB SESSION"; CB gets the reply.  0, or -1. */
static int
ask_peer(const char *verb, peer_reply_cb cb)
{
	char req[PEER_LINE_MAX];

	snprintf(req, sizeof(req), "%s %s", verb, tc.tap->session);
	return peerchan_request(peer, req, cb, NULL);
}

static void
poll_peer(void *arg)
{
	(void)ask_peer("switches", peer_switches);
	ev_timer_set(&peer_timer, PEER_POLL_MS, poll_peer, NULL);
}

static void	 ask_lock(void *);

static void
lock_answer(const char *reply, void *arg)
{
	int held;

	if (reply != NULL && peer_parse_lock(reply, &held) == 0 && held &&
	    ev_now_ms() < tc.session_wait_until) {
		ev_timer_set(&lock_timer, SESSION_POLL_MS, ask_lock, NULL);
		return;
	}
	tc.session_wait_until = 0;	/* ended, or no way to tell: go */
	round_soon();
}

static void
ask_lock(void *arg)
{
	if (!peerchan_up(peer) || ask_peer("lock", lock_answer) == -1)
		lock_answer(NULL, NULL);
}

static void
end_answer(const char *reply, void *arg)
{
	int ended, held;

	tc.session_end_answered = 1;
	tc.server_session_ended = reply != NULL &&
	    peer_parse_end(reply, &ended, &held) == 0 && ended > 0 && !held;
	round_soon();
}

/* Ask the server to end its session before the client reconnects. */
static void
ask_end(void)
{
	if (!peerchan_up(peer) || ask_peer("end", end_answer) == -1)
		end_answer(NULL, NULL);
}

static void
vtund_exited(int fd, void *arg)
{
	log_debug("vtund process %d exited", (int)vtund_pid);
	ev_del_fd(fd);
	close(fd);
	vtund_fd = -1;
	vtund_pid = 0;
	round_soon();
}

/* Watch the vtund process the last round found. */
static void
watch_vtund(void)
{
	if (tc.watched_pid == vtund_pid)
		return;
	if (vtund_fd != -1) {
		ev_del_fd(vtund_fd);
		close(vtund_fd);
		vtund_fd = -1;
	}
	vtund_pid = tc.watched_pid;
	if (vtund_pid <= 0)
		return;
	vtund_fd = (int)syscall(SYS_pidfd_open, vtund_pid, 0);
	if (vtund_fd == -1 || ev_add_fd(vtund_fd, vtund_exited, NULL) == -1) {
		/* Gone already: look again at once. */
		if (vtund_fd != -1)
			close(vtund_fd);
		vtund_fd = -1;
		vtund_pid = 0;
		round_soon();
	}
}

static void
run_round(void *arg)
{
	uint64_t again;

	tc.repaired = 0;
	tc.trigger_ms = event_ms;
	event_ms = 0;
	again = checks_round(&tc);
	if (tc.repaired)
		notify_restart(tc.df.repair);
	save_datafile();
	watch_vtund();
	if (again == 0)
		again = tc.conf->delay_betweencheck * 1000ULL;
	ev_timer_set(&round_timer, again, run_round, NULL);
	if (tc.ask_session_lock) {	/* check 1 waits for the answer */
		tc.ask_session_lock = 0;
		ask_lock(NULL);
	}
	if (tc.ask_session_end) {	/* check 5 waits for the answer */
		tc.ask_session_end = 0;
		ask_end();
	}
}

static int
interesting(const char *name)
{
	const struct tap_conf *t = tc.tap;

	return name[0] == '\0' || strcmp(name, t->tap) == 0 ||
	    strcmp(name, t->bridge) == 0 || strcmp(name, t->uplink) == 0 ||
	    (t->uplink_parent[0] && strcmp(name, t->uplink_parent) == 0);
}

static void
link_event(const char *name, enum link_event ev, void *arg)
{
	if (!interesting(name))
		return;
	if (name[0] == '\0' || strcmp(name, tc.tap->tap) == 0)
		liveness_tap_changed();
	log_debug("link %s %s", name[0] ? name : "(all)",
	    ev == LINK_REMOVED ? "removed" : "changed");
	round_soon();
}

static void
link_readable(int fd, void *arg)
{
	if (links_watch_read(watch) < 0)
		log_warnx("link events: read failed");
}

static void
reload_switches(void)
{
	struct datafile df;
	char err[512];
	int i, r, changed = 0;

	if ((r = datafile_read(tc.datafile, &df, err, sizeof(err))) != 0)
		log_warnx("%s", err);
	if (r == -1)
		return;		/* keep the switches we have */
	for (i = 0; i < SW_MAX; i++) {
		if (df.sw[i] == tc.df.sw[i])
			continue;
		log_info("switch %s turned %s", switch_name(i),
		    df.sw[i] ? "on" : "off");
		tc.df.sw[i] = df.sw[i];
		changed = 1;
	}
	if (changed)
		round_soon();
}

/*
 * The data file is watched itself, not its directory: every worker saves
 * its own file into DATA_DIR, and a watch on the directory would wake every
 * worker for every save (n² wake-ups, most of the idle cost at 100 taps).
 * A save replaces the file (rename), which ends the watch on the old one,
 * so the watch is set again after each event.  While the file is missing
 * the directory is watched until it is back.
 */
static void
watch_datafile(void)
{
	static int dir_wd = -1, warned;

	for (;;) {
		if (inotify_add_watch(inotify_fd, tc.datafile, IN_CLOSE_WRITE |
		    IN_ATTRIB | IN_MOVE_SELF | IN_DELETE_SELF) != -1) {
			if (dir_wd != -1)
				inotify_rm_watch(inotify_fd, dir_wd);
			dir_wd = -1;
			return;
		}
		if (errno != ENOENT || dir_wd != -1)
			break;
		dir_wd = inotify_add_watch(inotify_fd, tc.conf->data_dir,
		    IN_MOVED_TO | IN_CLOSE_WRITE);
		if (dir_wd == -1)
			break;
		/* and look again: the file may have come meanwhile */
	}
	if (dir_wd == -1 && !warned) {
		log_warn("%s: cannot watch for switch changes", tc.datafile);
		warned = 1;
	}
}

static void
datafile_changed(int fd, void *arg)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));

	while (read(fd, buf, sizeof(buf)) > 0)
		;			/* any event: look again */
	watch_datafile();
	reload_switches();
}

static void
signal_received(int fd, void *arg)
{
	struct signalfd_siginfo si;

	while (read(fd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGHUP:
			log_reopen();
			break;
		case SIGTERM:
		case SIGINT:
			ev_stop();
			break;
		}
	}
}

static void
supervisor_gone(int fd, void *arg)
{
	log_info("supervisor gone, exiting");
	ev_stop();
}

static void
open_datafile_watch(void)
{
	inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (inotify_fd == -1 ||
	    ev_add_fd(inotify_fd, datafile_changed, NULL) == -1) {
		log_warn("%s: cannot watch for switch changes", tc.datafile);
		return;
	}
	watch_datafile();
}

/* Exit with the supervisor: at once through a pidfd, PDEATHSIG as well. */
static void
follow_supervisor(pid_t supervisor)
{
	int fd;

	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != supervisor)
		exit(0);
	fd = (int)syscall(SYS_pidfd_open, supervisor, 0);
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

void
worker_main(const struct config *conf, const struct tap_conf *tap)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP, 0 };
	pid_t supervisor = getppid();
	int sfd;

	proctitle_set("vtundfix: worker %s (%s)", tap->tap, tap->session);
	log_set_prefix(tap->tap);
	memset(&tc, 0, sizeof(tc));
	tc.conf = conf;
	tc.tap = tap;
	if (ev_init() == -1)
		fatal("epoll");
	if ((sfd = ev_signalfd(sigs)) == -1 ||
	    ev_add_fd(sfd, signal_received, NULL) == -1)
		fatal("signalfd");
	follow_supervisor(supervisor);
	if ((tc.links = links_open()) == NULL)
		fatalx("cannot open a netlink socket");
	if ((watch = links_watch_open(link_event, NULL)) == NULL ||
	    ev_add_fd(links_watch_fd(watch), link_readable, NULL) == -1)
		fatalx("cannot subscribe to link events");
	load_datafile();
	open_datafile_watch();
	notify_init(conf, tap);
	if ((peer = peerchan_new(conf, peer_host(conf, tap))) == NULL)
		fatal("peer channel");
	liveness_start(&tc, peer, round_soon, save_datafile);
	if (conf->machine == ROLE_CLIENT)
		poll_peer(NULL);
	log_info("checking %s: session %s, bridge %s, uplink %s", tap->tap,
	    tap->session, tap->bridge, tap->uplink);
	run_round(NULL);
	ev_run();
	liveness_stop();
	peerchan_free(peer);
	save_datafile();
	log_info("worker stopped");
	exit(0);
}
