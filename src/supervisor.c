/*
 * supervisor: pid file, workers, signals, reload, systemd notification.
 */
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "event.h"
#include "log.h"
#include "metrics.h"
#include "proctitle.h"
#include "supervisor.h"
#include "worker.h"

#define RESPAWN_FIRST_MS	100
#define RESPAWN_MAX_MS		60000
#define CRASH_WINDOW_MS		10000	/* a worker that lived less crashed */
#define STOP_TIMEOUT_MS		5000

struct child {
	const struct tap_conf	*tap;
	pid_t			 pid;		/* 0 when not running */
	int			 pidfd;
	uint64_t		 started;	/* ms */
	unsigned		 crashes;	/* short lives in a row */
	struct ev_timer		 respawn;
	int			 retired;	/* not to be respawned */
};

static struct config	 cur;
static struct child	*children;
static size_t		 nchildren;
static int		 pidfile_fd = -1, signal_fd = -1;
static int		 stopping, reload_pending, terminating;
static struct ev_timer	 audit_timer, watchdog_timer, stop_timer, metrics_timer;
static uint64_t		 watchdog_usec;

static void	 spawn(struct child *);

static int
lock_pidfile(const char *path)
{
	char buf[32];
	ssize_t n;
	int fd;

	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd == -1) {
		fprintf(stderr, "vtundfix: %s: %s\n", path, strerror(errno));
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
		log_warn("%s", cur.pid_file);
}

static int
daemonize(void)
{
	pid_t pid;
	int fd;

	if ((pid = fork()) == -1)
		return -1;
	if (pid > 0)
		_exit(0);
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

static uint64_t
respawn_delay(unsigned crashes)
{
	uint64_t d = RESPAWN_FIRST_MS;

	if (crashes == 0)
		return 0;
	while (--crashes > 0 && d < RESPAWN_MAX_MS)
		d *= 2;
	return d < RESPAWN_MAX_MS ? d : RESPAWN_MAX_MS;
}

static void
respawn_due(void *arg)
{
	spawn(arg);
}

static void
describe_exit(int status, char *buf, size_t len)
{
	if (WIFEXITED(status))
		snprintf(buf, len, "exited with status %d",
		    WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "killed by signal %d (%s)",
		    WTERMSIG(status), strsignal(WTERMSIG(status)));
	else
		snprintf(buf, len, "ended");
}

static int
all_stopped(void)
{
	size_t i;

	for (i = 0; i < nchildren; i++)
		if (children[i].pid != 0)
			return 0;
	return 1;
}

/* A worker's pidfd became readable: it is gone. */
static void
child_exited(int fd, void *arg)
{
	struct child *c = arg;
	char how[80];
	uint64_t delay, lived = ev_now_ms() - c->started;
	int status = 0;

	ev_del_fd(fd);
	close(fd);
	c->pidfd = -1;
	if (waitpid(c->pid, &status, 0) == -1)
		status = 0;
	describe_exit(status, how, sizeof(how));
	c->pid = 0;
	if (stopping || c->retired) {
		if (stopping && all_stopped())
			ev_stop();
		return;
	}
	c->crashes = lived < CRASH_WINDOW_MS ? c->crashes + 1 : 0;
	delay = respawn_delay(c->crashes);
	log_warnx("worker %s %s after %.1f s; restarting it%s%.1f s",
	    c->tap->tap, how, lived / 1000.0, delay ? " in " : "",
	    delay / 1000.0);
	ev_timer_set(&c->respawn, delay, respawn_due, c);
}

static void
spawn(struct child *c)
{
	pid_t pid;

	if (c->pid != 0 || stopping)
		return;
	if ((pid = fork()) == -1) {
		log_warn("fork worker %s", c->tap->tap);
		c->crashes++;
		ev_timer_set(&c->respawn, respawn_delay(c->crashes),
		    respawn_due, c);
		return;
	}
	if (pid == 0) {
		close(pidfile_fd);
		close(signal_fd);
		worker_main(&cur, c->tap);
	}
	c->pid = pid;
	c->started = ev_now_ms();
	c->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (c->pidfd == -1 || ev_add_fd(c->pidfd, child_exited, c) == -1)
		log_warn("cannot watch worker %s (pid %d)", c->tap->tap,
		    (int)pid);
	log_debug("worker %s started, pid %d", c->tap->tap, (int)pid);
}

static void
start_workers(void)
{
	size_t i;

	children = calloc(cur.ntaps, sizeof(*children));
	if (children == NULL && cur.ntaps > 0)
		fatal("calloc");
	nchildren = cur.ntaps;
	for (i = 0; i < nchildren; i++) {
		children[i].tap = &cur.taps[i];
		children[i].pidfd = -1;
		spawn(&children[i]);
	}
}

/* Send SIG to every running worker. */
static void
signal_workers(int sig)
{
	size_t i;

	for (i = 0; i < nchildren; i++)
		if (children[i].pid != 0)
			kill(children[i].pid, sig);
}

static void
stop_timeout(void *arg)
{
	log_warnx("workers did not stop within %d s, killing them",
	    STOP_TIMEOUT_MS / 1000);
	signal_workers(SIGKILL);
}

/* Stop the workers and wait for them: the loop ends when all are gone. */
static void
stop_workers(void)
{
	size_t i;

	stopping = 1;
	for (i = 0; i < nchildren; i++)
		ev_timer_cancel(&children[i].respawn);
	if (all_stopped()) {
		ev_stop();
		return;
	}
	signal_workers(SIGTERM);
	ev_timer_set(&stop_timer, STOP_TIMEOUT_MS, stop_timeout, NULL);
}

/*
 * SIGHUP: read the file again.  A broken file is reported and the running
 * configuration kept.  Otherwise every worker is restarted on the new one
 * (a restart takes milliseconds and the state is in the data files).
 */
static void
reload(void)
{
	struct config next;
	char err[1024];

	log_reopen();
	if (config_load(cur.path, &next, err, sizeof(err)) == -1) {
		log_warnx("%s; keeping the running configuration", err);
		signal_workers(SIGHUP);
		return;
	}
	if (config_equal(&cur, &next)) {
		/* logrotate's SIGHUP: nothing changed, keep the workers. */
		config_free(&next);
		signal_workers(SIGHUP);
		return;
	}
	log_info("reloading %s: %zu tap%s", next.path, next.ntaps,
	    next.ntaps == 1 ? "" : "s");
	stop_workers();
	ev_run();		/* until every worker is gone */
	if (terminating) {
		config_free(&next);
		return;
	}
	stopping = 0;
	ev_timer_cancel(&stop_timer);
	free(children);
	children = NULL;
	config_free(&cur);
	cur = next;
	start_workers();
}

static void
audit(void *arg)
{
	size_t i;

	for (i = 0; i < nchildren; i++) {
		struct child *c = &children[i];

		if (c->pid != 0 && kill(c->pid, 0) == -1 && errno == ESRCH) {
			log_warnx("audit: worker %s (pid %d) is gone",
			    c->tap->tap, (int)c->pid);
			c->pid = 0;
			spawn(c);
		} else if (c->pid == 0 && !c->respawn.armed) {
			spawn(c);
		}
	}
	ev_timer_set(&audit_timer, cur.delay_parentcheck * 1000ULL, audit,
	    NULL);
}

static void
watchdog_ping(void *arg)
{
	sd_notify(0, "WATCHDOG=1");
	ev_timer_set(&watchdog_timer, watchdog_usec / 2000, watchdog_ping,
	    NULL);
}

static void
signal_received(int fd, void *arg)
{
	struct signalfd_siginfo si;

	while (read(fd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGHUP:
			reload_pending = 1;
			ev_stop();	/* reload outside the callback */
			break;
		case SIGTERM:
		case SIGINT:
			log_info("%s: stopping", strsignal((int)si.ssi_signo));
			terminating = 1;
			sd_notify(0, "STOPPING=1");
			if (!stopping)
				stop_workers();
			break;
		}
	}
}

static int
setup(struct config *conf, int foreground)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP, 0 };

	cur = *conf;
	memset(conf, 0, sizeof(*conf));
	if (mkdir(cur.data_dir, 0750) == -1 && errno != EEXIST) {
		fprintf(stderr, "vtundfix: %s: %s\n", cur.data_dir,
		    strerror(errno));
		return -1;
	}
	if ((pidfile_fd = lock_pidfile(cur.pid_file)) == -1)
		return -1;
	if (log_open(cur.log_file, "vtundfix", foreground) == -1)
		return -1;
	if (!foreground && daemonize() == -1) {
		log_warn("daemonize");
		return -1;
	}
	write_pidfile(pidfile_fd);
	if (ev_init() == -1 || (signal_fd = ev_signalfd(sigs)) == -1 ||
	    ev_add_fd(signal_fd, signal_received, NULL) == -1) {
		log_warn("event loop");
		return -1;
	}
	return 0;
}

static void
write_metrics(void *arg)
{
	static int failed;

	if (metrics_write(&cur, 1) == -1) {
		if (!failed)
			log_warn("%s", cur.metrics_file);
		failed = 1;
	} else {
		failed = 0;
	}
	ev_timer_set(&metrics_timer, METRICS_INTERVAL_S * 1000ULL,
	    write_metrics, NULL);
}

static void
start_timers(void)
{
	if (cur.metrics_file[0])
		write_metrics(NULL);
	ev_timer_set(&audit_timer, cur.delay_parentcheck * 1000ULL, audit,
	    NULL);
	if (sd_watchdog_enabled(0, &watchdog_usec) > 0 && watchdog_usec > 0)
		watchdog_ping(NULL);
}

int
supervisor_main(struct config *conf, int foreground)
{
	if (setup(conf, foreground) == -1)
		return 1;
	proctitle_set("vtundfix: supervisor (%zu tap%s, %s)", cur.ntaps,
	    cur.ntaps == 1 ? "" : "s", machine_name(cur.machine));
	log_info("started: %s, %s, %zu tap%s", cur.path,
	    machine_name(cur.machine), cur.ntaps, cur.ntaps == 1 ? "" : "s");
	start_workers();
	start_timers();
	sd_notify(0, "READY=1");
	for (;;) {
		ev_run();
		if (terminating)
			break;
		if (reload_pending) {
			reload_pending = 0;
			sd_notify(0, "RELOADING=1");
			reload();
			sd_notify(0, "READY=1");
		}
		if (terminating)
			break;
	}
	log_info("stopped");
	if (cur.metrics_file[0] && metrics_write(&cur, 0) == -1)
		log_warn("%s", cur.metrics_file);
	unlink(cur.pid_file);
	close(pidfile_fd);
	free(children);
	config_free(&cur);
	return 0;
}
