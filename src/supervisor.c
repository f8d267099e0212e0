/*
 * supervisor: pid file, signals, reload, timers, and the modules the
 * daemon's parent process runs: its workers (workers.c), the control
 * socket (control.c), the peer channels (peerhub.c) and the one
 * subscription to link events, handed on to the workers of each interface.
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "control.h"
#include "event.h"
#include "links.h"
#include "log.h"
#include "metrics.h"
#include "peerhub.h"
#include "processes.h"
#include "proctitle.h"
#include "procview.h"
#include "reachhub.h"
#include "safefile.h"
#include "supervisor.h"
#include "workers.h"

static struct config	*cur;		/* on the heap: reloads swap it */
static int		 pidfile_fd = -1;
static int		 terminating;
static struct ev_timer	 audit_timer, watchdog_timer, metrics_timer, scan_timer;
static uint64_t		 watchdog_usec;
static struct links_watch *links;

static int
lock_pidfile(const char *path)
{
	char buf[32];
	ssize_t n;
	int fd;

	if ((fd = sf_open_lock(path, 0644)) == -1) {
		fprintf(stderr, "vtundfix: %s\n", sf_error());
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == 0)
		return fd;
	n = read(fd, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	fprintf(stderr, "vtundfix: already running (pid %s)\n",
	    buf[0] ? buf : "?");
	close(fd);
	return -1;
}

static void
write_pidfile(int fd)
{
	char buf[32];
	int len;

	len = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) == -1 || pwrite(fd, buf, (size_t)len, 0) != len)
		log_warn("%s", cur->pid_file);
}

static int		 ready_fd = -1;	/* the waiting parent, until ready */

/*
 * Into the background.  The parent waits until the daemon is ready (its
 * pid file written, its control socket listening, its workers started) or
 * has failed, and exits 0 or 1 accordingly: `vtundfix` returns when the
 * daemon can be asked, as an init script expects.
 */
static int
daemonize(void)
{
	char ok = 0;
	int p[2], fd;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) == -1 || (pid = fork()) == -1)
		return -1;
	if (pid > 0) {
		close(p[1]);
		while (read(p[0], &ok, 1) == -1 && errno == EINTR)
			;
		_exit(ok == 1 ? 0 : 1);
	}
	close(p[0]);
	ready_fd = p[1];
	if (setsid() == -1)
		return -1;
	if (chdir("/") == -1)
		return -1;
	if ((fd = open("/dev/null", O_RDWR)) != -1) {
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
	}
	return 0;
}

/*
 * SIGHUP: read the file again.  A broken file is reported and the running
 * configuration kept; an unchanged one (logrotate's SIGHUP) only reopens
 * the logs.  Otherwise the new configuration is swapped in at once
 * (workers.h): no nested loop, so reloads may come at any moment.
 */
static void
reload(void)
{
	struct config *next;
	char err[1024];

	log_reopen();
	if ((next = calloc(1, sizeof(*next))) == NULL) {
		log_warn("reload");
		return;
	}
	if (config_load(cur->path, next, err, sizeof(err)) == -1) {
		log_warnx("%s; keeping the running configuration", err);
		free(next);
		workers_signal(SIGHUP);
		return;
	}
	if (config_equal(cur, next)) {
		config_free(next);
		free(next);
		workers_signal(SIGHUP);
		return;
	}
	sd_notify(0, "RELOADING=1");
	log_info("reloading %s: %zu tap%s", next->path, next->ntaps,
	    next->ntaps == 1 ? "" : "s");
	if (strcmp(next->vtund, cur->vtund) != 0)
		(void)procs_init(next->vtund);
	workers_reload(next);
	peerhub_reload(next);
	control_reload(next);
	config_free(cur);
	free(cur);
	cur = next;
	proctitle_set("vtundfix: supervisor (%zu tap%s, %s)", cur->ntaps,
	    cur->ntaps == 1 ? "" : "s", machine_name(cur->machine));
	sd_notify(0, "READY=1");
}

static void
all_gone(void)
{
	ev_stop();
}

static void
on_signal(int signo)
{
	switch (signo) {
	case SIGHUP:
		if (!terminating)
			reload();
		break;
	case SIGTERM:
	case SIGINT:
		if (terminating)
			break;
		log_info("%s: stopping", strsignal(signo));
		terminating = 1;
		sd_notify(0, "STOPPING=1");
		control_close();
		workers_stop(all_gone);
		break;
	}
}

static void
signal_received(int fd, void *arg)
{
	ev_signals(fd, on_signal);
}

static void
link_event(const char *name, enum link_event ev, void *arg)
{
	workers_link_event(name, ev == LINK_REMOVED);
}

static void
link_readable(int fd, void *arg)
{
	if (links_watch_read(links) < 0) {
		/* An overrun: events were lost; every worker looks. */
		log_debug("link events: overrun");
		workers_link_event("", 0);
	}
}

static void
audit(void *arg)
{
	workers_audit();
	ev_timer_set(&audit_timer, cur->delay_parentcheck * 1000ULL, audit,
	    NULL);
}

/* The view's periodic round: a full scan, whatever the events said. */
static void
periodic_scan(void *arg)
{
	procview_scan();
	ev_timer_set(&scan_timer, cur->delay_betweencheck * 1000ULL,
	    periodic_scan, NULL);
}

static void
watchdog_ping(void *arg)
{
	sd_notify(0, "WATCHDOG=1");
	ev_timer_set(&watchdog_timer, watchdog_usec / 2000, watchdog_ping,
	    NULL);
}

static void
metrics_done(struct tap_report *r, size_t n, void *arg)
{
	static int failed;

	if (metrics_write(cur, r, n, !terminating) == -1) {
		if (!failed)
			log_warnx("%s", sf_error());
		failed = 1;
	} else {
		failed = 0;
	}
}

static void
write_metrics(void *arg)
{
	workers_reports(NULL, NULL, metrics_done, NULL);
	ev_timer_set(&metrics_timer, METRICS_INTERVAL_S * 1000ULL,
	    write_metrics, NULL);
}

static int
setup(struct config *conf, int foreground)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP, 0 };
	int sfd;

	if ((cur = calloc(1, sizeof(*cur))) == NULL)
		return -1;
	*cur = *conf;
	memset(conf, 0, sizeof(*conf));
	if (mkdir(cur->data_dir, 0750) == -1 && errno != EEXIST) {
		fprintf(stderr, "vtundfix: %s: %s\n", cur->data_dir,
		    strerror(errno));
		return -1;
	}
	if ((pidfile_fd = lock_pidfile(cur->pid_file)) == -1)
		return -1;
	if (log_open(cur->log_file, "vtundfix", foreground) == -1)
		return -1;
	if (!foreground && daemonize() == -1) {
		log_warn("daemonize");
		return -1;
	}
	write_pidfile(pidfile_fd);
	if (ev_init() == -1 || (sfd = ev_signalfd(sigs)) == -1 ||
	    ev_add_fd(sfd, signal_received, NULL) == -1) {
		log_warn("event loop");
		return -1;
	}
	if ((links = links_watch_open(link_event, NULL)) == NULL ||
	    ev_add_fd(links_watch_fd(links), link_readable, NULL) == -1) {
		log_warnx("cannot subscribe to link events");
		return -1;
	}
	if (control_open(cur) == -1)
		return -1;
	return 0;
}

static void
start_timers(void)
{
	if (cur->metrics_file[0])
		write_metrics(NULL);
	ev_timer_set(&audit_timer, cur->delay_parentcheck * 1000ULL, audit,
	    NULL);
	ev_timer_set(&scan_timer, cur->delay_betweencheck * 1000ULL,
	    periodic_scan, NULL);
	if (sd_watchdog_enabled(0, &watchdog_usec) > 0 && watchdog_usec > 0)
		watchdog_ping(NULL);
}

int
supervisor_main(struct config *conf, int foreground)
{
	if (setup(conf, foreground) == -1)
		return 1;
	proctitle_set("vtundfix: supervisor (%zu tap%s, %s)", cur->ntaps,
	    cur->ntaps == 1 ? "" : "s", machine_name(cur->machine));
	log_info("started: %s, %s, %zu tap%s", cur->path,
	    machine_name(cur->machine), cur->ntaps, cur->ntaps == 1 ? "" : "s");
	workers_set_peer(peerhub_ask_now);
	workers_on_switches(control_switches_changed);
	(void)procs_init(cur->vtund);
	if (procs_can_borrow() == -1)
		log_info("each session's TCP connection is found with a "
		    "sock_diag dump, once (pidfd_getfd(2): %s)", strerror(errno));
	procview_on_new(workers_procs_new);
	procview_start();
	peerhub_start(cur);
	workers_start(cur);
	start_timers();
	sd_notify(0, "READY=1");
	if (ready_fd != -1) {
		char ok = 1;

		(void)!write(ready_fd, &ok, 1);
		close(ready_fd);
		ready_fd = -1;
	}
	ev_run();
	log_info("stopped");
	if (cur->metrics_file[0] && metrics_write(cur, NULL, 0, 0) == -1)
		log_warnx("%s", sf_error());
	peerhub_stop();
	procview_stop();
	reachhub_stop();
	links_watch_close(links);
	unlink(cur->pid_file);
	close(pidfile_fd);
	config_free(cur);
	free(cur);
	return 0;
}
