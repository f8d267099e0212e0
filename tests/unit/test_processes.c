/* Unit tests for src/processes.c and src/exec.c. */
#include <sys/wait.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "exec.h"
#include "processes.h"
#include "unit.h"

static void
test_titles(void)
{
	static const struct {
		const char *title;
		int kind, client;
		const char *session, *device;
	} ok[] = {
	{ "vtund[s]: waiting for connections on port 5000", VTUND_LISTENER, 0,
	  "", "" },
	{ "vtund[s]: lcsr ether tap0", VTUND_SERVER_SESSION, 0, "lcsr",
	  "tap0" },
	{ "vtund[c]: lcsr connecting to 192.168.10.5",
	  VTUND_CLIENT_CONNECTING, 1, "lcsr", "" },
	{ "vtund[c]: lcsr2 ether tap1", VTUND_CLIENT_CONNECTED, 1, "lcsr2",
	  "tap1" },
	{ "vtund[c]: lcsr tun tun0", VTUND_CLIENT_CONNECTED, 1, "lcsr",
	  "tun0" },
	{ "vtund[c]: lcsr closing", VTUND_CLOSING, 1, "lcsr", "" },
	{ "vtund[s]: lcsr running down commands", VTUND_CLOSING, 0, "lcsr",
	  "" },
	};
	static const char *bad[] = {
		"", "vtund", "vtund[x]: lcsr ether tap0", "sshd: vtund[c]: x",
		"vtund[c]: waiting for connections on port 5000",
		"vtund[s]: lcsr connecting to 1.2.3.4",
		"vtund[c]: lcsr ether", "vtund[c]: lcsr ether ../../x",
		"vtund[c]: lcsr frobnicating", "vtund[c]: ",
		"vtund[c]: lcsr ether averyveryverylongname0",
	};
	struct vtund_proc p;
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		CHECK_INT(procs_parse_title(ok[i].title, &p), 0);
		CHECK_INT(p.kind, ok[i].kind);
		CHECK_INT(p.client, ok[i].client);
		CHECK_STR(p.session, ok[i].session);
		CHECK_STR(p.device, ok[i].device);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (procs_parse_title(bad[i], &p) != -1) {
			fprintf(stderr, "accepted: \"%s\"\n", bad[i]);
			CHECK(!"a bad title was accepted");
		}
	CHECK_STR(procs_kind_name(VTUND_CLIENT_CONNECTING),
	    "client connecting");
}

/* A child whose title is TITLE: argv[0] is the title, as vtund does. */
static pid_t
fake_vtund(const char *title)
{
	char *argv[] = { (char *)title, "30", NULL };
	pid_t pid = fork();

	if (pid == 0) {
		execv("/bin/sleep", argv);
		_exit(127);
	}
	return pid;
}

static int
find(const char *session, int client, pid_t pid)
{
	struct vtund_proc p[16];
	int i, n = procs_find_session(session, client, p, 16);

	for (i = 0; i < n && i < 16; i++)
		if (p[i].pid == pid)
			return 1;
	return 0;
}

static void
test_scan_zombie_and_signal(void)
{
	struct vtund_proc p[16], me;
	pid_t pid = fake_vtund("vtund[c]: vfxunit connecting to 10.0.0.1");
	struct timespec ts = { 0, 100000000 };
	int i, n, fd;

	nanosleep(&ts, NULL);
	CHECK(find("vfxunit", 1, pid));
	CHECK(!find("vfxunit", 0, pid));	/* not a server */
	CHECK(!find("vfxuni", 1, pid));		/* exact names */
	n = procs_scan(p, 16);
	for (i = 0; i < n && i < 16; i++)
		if (p[i].pid == pid)
			me = p[i];
	CHECK_INT(me.pid, pid);
	/* A stale start time is another process: not signalled. */
	me.start_time++;
	CHECK_INT(procs_signal(&me, SIGTERM), -1);
	CHECK_INT(errno, ESRCH);
	me.start_time--;
	fd = procs_watch(pid);
	CHECK(fd != -1);
	CHECK_INT(procs_signal(&me, SIGTERM), 0);
	{
		struct pollfd pfd = { .fd = fd, .events = POLLIN };

		CHECK_INT(poll(&pfd, 1, 2000), 1);	/* exit seen at once */
	}
	/* Not reaped yet: a zombie, which is not a running vtund. */
	CHECK(!find("vfxunit", 1, pid));
	waitpid(pid, NULL, 0);
	close(fd);
}

static void
test_exec(void)
{
	char path[256], out[] = "/tmp/vfx-exec-XXXXXX", buf[64];
	struct timespec t0, t1;
	FILE *fp;
	int rc, fd;

	CHECK_INT(exec_resolve("ip", path, sizeof(path)), 0);
	CHECK(strstr(path, "/ip") != NULL);
	CHECK_INT(exec_resolve("no-such-program", path, sizeof(path)), -1);
	CHECK_INT(exec_spawn((char *[]){ "no-such-program", NULL }), -1);
	CHECK_INT(errno, ENOENT);
	CHECK(exec_spawn((char *[]){ "/bin/true", NULL }) > 0);
	CHECK_INT(exec_wait((char *[]){ "/bin/false", NULL }), 1);
	CHECK_INT(exec_wait((char *[]){ "/bin/sh", "-c", "kill -9 $$", NULL }),
	    128 + 9);
	CHECK_INT(exec_wait((char *[]){ "/nonexistent/x", NULL }), -1);
	/* Input reaches the program; a shell word is passed literally. */
	fd = mkstemp(out);
	close(fd);
	rc = exec_run((char *[]){ "/usr/bin/tee", out, NULL }, "hello $(id)\n",
	    12, 5000);
	CHECK(rc != -1 && WIFEXITED(rc) && WEXITSTATUS(rc) == 0);
	fp = fopen(out, "r");
	CHECK(fp != NULL && fgets(buf, sizeof(buf), fp) != NULL);
	CHECK_STR(buf, "hello $(id)\n");
	if (fp)
		fclose(fp);
	unlink(out);
	/* A hanging program is killed after the timeout. */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK_INT(exec_run((char *[]){ "/bin/sleep", "10", NULL }, NULL, 0,
	    300), -1);
	CHECK_INT(errno, ETIMEDOUT);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	CHECK(t1.tv_sec - t0.tv_sec < 3);
	/* A program that does not read its input does not kill us. */
	{
		static char big[1 << 20];

		memset(big, 'x', sizeof(big));
		rc = exec_run((char *[]){ "/bin/true", NULL }, big,
		    sizeof(big), 2000);
		CHECK(rc != -1 && WIFEXITED(rc));
	}
}

int
main(void)
{
	RUN(test_titles);
	RUN(test_scan_zombie_and_signal);
	RUN(test_exec);
	return unit_done();
}
