/*
 * notify: coalesced mail through MAIL_COMMAND, sent by a child process.
 */
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "event.h"
#include "exec.h"
#include "log.h"
#include "notify.h"
#include "processes.h"
#include "proctitle.h"

#define MAIL_TIMEOUT_MS	30000

static const struct config	*conf;
static const struct tap_conf	*tap;
static struct ev_timer		 hold_timer;
static time_t			 last_sent;	/* 0: nothing sent yet */
static unsigned			 held;		/* restarts not mailed yet */
static char			 last_what[256];

static void
mail_done(int fd, void *arg)
{
	pid_t pid = (pid_t)(long)arg;
	int status;

	ev_del_fd(fd);
	close(fd);
	if (waitpid(pid, &status, 0) == -1)
		return;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return;
	log_warnx("mail to %s: %s failed (%s %d)", conf->email,
	    conf->mail_command.argv[0],
	    WIFEXITED(status) ? "exit status" : "timed out or signal",
	    WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
}

static int
format_mail(char *buf, size_t len, unsigned count)
{
	char host[256] = "?";

	gethostname(host, sizeof(host) - 1);
	return snprintf(buf, len,
	    "To: %s\nSubject: vtundfix: %s (%s) restarted on %s\n"
	    "Auto-Submitted: auto-generated\n\n"
	    "vtundfix on %s (%s) restarted tunnel %s, session %s, "
	    "%u time%s.\nLast: %s\n",
	    conf->email, tap->tap, tap->session, host, host,
	    machine_name(conf->machine), tap->tap, tap->session, count,
	    count == 1 ? "" : "s", last_what);
}

static void
send_mail(unsigned count)
{
	char msg[2048];
	pid_t pid;
	int len, pfd, rc;

	len = format_mail(msg, sizeof(msg), count);
	if (len < 0 || (size_t)len >= sizeof(msg))
		len = (int)strlen(msg);
	last_sent = time(NULL);
	if ((pid = fork()) == -1) {
		log_warn("mail to %s: fork", conf->email);
		return;
	}
	if (pid == 0) {
		proctitle_set("vtundfix: mail for %s", tap->tap);
		rc = exec_run(conf->mail_command.argv, msg, (size_t)len,
		    MAIL_TIMEOUT_MS);
		_exit(rc != -1 && WIFEXITED(rc) ? WEXITSTATUS(rc) : 125);
	}
	pfd = procs_watch(pid);
	if (pfd == -1 || ev_add_fd(pfd, mail_done, (void *)(long)pid) == -1) {
		log_warn("mail to %s: cannot watch pid %d", conf->email,
		    (int)pid);
		if (pfd != -1)
			close(pfd);
	}
}

static void
hold_expired(void *arg)
{
	if (held == 0)
		return;
	send_mail(held);
	held = 0;
}

void
notify_init(const struct config *c, const struct tap_conf *t)
{
	conf = c;
	tap = t;
	last_sent = 0;
	held = 0;
}

void
notify_restart(const char *what)
{
	snprintf(last_what, sizeof(last_what), "%s", what);
	if (conf == NULL || conf->email[0] == '\0')
		return;
	if (last_sent == 0 || time(NULL) - last_sent >= NOTIFY_HOLD_S) {
		send_mail(1);
		return;
	}
	if (held++ == 0)
		ev_timer_set(&hold_timer, (uint64_t)(last_sent + NOTIFY_HOLD_S -
		    time(NULL)) * 1000, hold_expired, NULL);
}
