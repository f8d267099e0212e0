/*
 * Unit tests for src/procview.c, run in the initial namespaces (not in a
 * lab namespace), where the kernel's proc connector works (SPEC §11): a
 * vtund process that starts is learned from exec events without a scan,
 * and its exit too; and, in a network namespace of the test's own where
 * the connector is refused, fresh questions asked together share one scan.
 *
 * The "vtund" here is a private copy of perl that behaves as a vtund
 * client does at its start: the exec'd process forks and exits, and its
 * child takes the title a moment later (what that hides: vtund itself,
 * which the lab tests run, but in namespaces without the connector; the
 * systemd VM test runs the daemon with the connector and real vtund).
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "event.h"
#include "procview.h"
#include "unit.h"

static char dir[] = "/tmp/vfx-procview-XXXXXX", exe[64], session[32];
static int news, answers, answered_n;
static pid_t answered_pid;

static int
copy_file(const char *from, const char *to)
{
	char buf[65536];
	ssize_t n;
	int in = open(from, O_RDONLY), out;

	if (in == -1)
		return -1;
	out = open(to, O_WRONLY | O_CREAT | O_EXCL, 0755);
	if (out == -1) {
		close(in);
		return -1;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			break;
	close(in);
	return close(out);
}

/* Started as vtund starts: daemonized, then titled. */
static void
fake_vtund(void)
{
	char script[256];
	pid_t pid;

	snprintf(script, sizeof(script), "exit if fork; select(undef, undef, "
	    "undef, 0.1); $0 = 'vtund[c]: %s connecting to 10.0.0.1'; "
	    "sleep 30", session);
	if ((pid = fork()) == 0) {
		execl(exe, "vtund", "-e", script, (char *)NULL);
		_exit(127);
	}
	waitpid(pid, NULL, 0);		/* the daemonized child goes on */
}

static void
got_new(const char *s, int client)
{
	if (strcmp(s, session) == 0 && client)
		news++;
	ev_stop();
}

static void
got_answer(const struct vtund_proc *p, int n, void *arg)
{
	answers++;
	answered_n = n;
	answered_pid = n > 0 ? p[0].pid : 0;
}

static void
stop(void *arg)
{
	ev_stop();
}

/* Run the loop until STOP or MS pass. */
static void
loop_for(int ms)
{
	struct ev_timer t;

	memset(&t, 0, sizeof(t));
	ev_timer_set(&t, (uint64_t)ms, stop, NULL);
	ev_run();
	ev_timer_cancel(&t);
}

static void
test_connector_learns_without_scan(void)
{
	struct procview_stats st;
	pid_t pid;
	int i;

	CHECK_INT(ev_init(), 0);
	procview_on_new(got_new);
	CHECK_INT(procview_start(), 0);
	/* Let the first events prove the connector works here. */
	for (i = 0; i < 20; i++) {
		procview_stats(&st);
		if (st.connector)
			break;
		if (fork() == 0)
			_exit(0);
		wait(NULL);
		loop_for(50);
	}
	procview_stats(&st);
	CHECK_INT(st.connector, 1);
	if (!st.connector) {
		procview_stop();
		ev_free();
		return;
	}
	CHECK_INT(st.scans, 1);		/* the start's only */
	fake_vtund();
	for (i = 0; i < 40 && news == 0; i++)
		loop_for(50);
	CHECK_INT(news, 1);
	answers = 0;
	procview_query(session, 1, 1, got_answer, NULL);
	CHECK_INT(answers, 1);		/* at once: no scan needed */
	CHECK_INT(answered_n, 1);
	procview_stats(&st);
	CHECK_INT(st.scans, 1);
	pid = answered_pid;
	CHECK(pid > 0);
	if (pid > 0)
		kill(pid, SIGKILL);
	loop_for(100);
	procview_query(session, 1, 1, got_answer, NULL);
	CHECK_INT(answered_n, 0);	/* its exit was seen */
	procview_stop();
	ev_free();
}

/* No connector (another network namespace): fresh questions share scans. */
static void
test_fresh_questions_coalesce(void)
{
	struct procview_stats st;
	pid_t child;
	int status;

	if ((child = fork()) == 0) {
		if (unshare(CLONE_NEWNET) == -1)
			_exit(3);
		if (ev_init() == -1 || procview_start() == -1)
			_exit(4);
		procview_stats(&st);
		if (st.connector || st.scans != 1)
			_exit(5);
		answers = 0;
		procview_query("a", 1, 1, got_answer, NULL);
		procview_query("b", 1, 1, got_answer, NULL);
		procview_query("c", 0, 1, got_answer, NULL);
		procview_query("", 0, 1, got_answer, NULL);
		if (answers != 0)
			_exit(6);	/* they wait for the scan */
		loop_for(200);
		procview_stats(&st);
		if (answers != 4 || st.scans != 2)
			_exit(7);
		procview_query("a", 1, 0, got_answer, NULL);
		_exit(answers == 5 && st.scans == 2 ? 0 : 8);
	}
	CHECK(waitpid(child, &status, 0) == child);
	CHECK(WIFEXITED(status));
	CHECK_INT(WEXITSTATUS(status), 0);
}

int
main(void)
{
	char path[128];
	int rc;

	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(exe, sizeof(exe), "%s/vtund", dir);
	snprintf(session, sizeof(session), "vfxpv%d", (int)getpid());
	if (copy_file("/usr/bin/perl", exe) == -1 || procs_init(exe) == -1) {
		fprintf(stderr, "cannot make %s: %s\n", exe, strerror(errno));
		return 1;
	}
	RUN(test_connector_learns_without_scan);
	RUN(test_fresh_questions_coalesce);
	rc = unit_done();
	snprintf(path, sizeof(path), "%s", exe);
	unlink(path);
	rmdir(dir);
	return rc;
}
