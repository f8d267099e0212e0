/*
 * Unit tests for src/processes.c (src/exec.c has tests/unit/test_exec.c).
 *
 * vtund 3.0.4 writes its title over argv[0] and pads the rest of the
 * argument area with NULs, so the title is the first string of
 * /proc/PID/cmdline (checked against the real vtund).  The fake vtunds
 * here are sleep(1) with the title as argv[0] and "30" as argv[1].
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <sys/prctl.h>
#include <sys/syscall.h>

#include <arpa/inet.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <stddef.h>

#include <sched.h>
#include <stdio.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

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

/* Wait (up to 5 s: the machine may be busy) until PID has exec'd. */
static void
wait_exec(pid_t pid, const char *exe)
{
	char path[64], link[256];
	struct timespec ts = { 0, 10000000 };
	ssize_t n;
	int i;

	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	for (i = 0; i < 500; i++) {
		if ((n = readlink(path, link, sizeof(link) - 1)) > 0) {
			link[n] = '\0';
			if (strstr(link, exe) != NULL)
				return;
		}
		nanosleep(&ts, NULL);
	}
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
	wait_exec(pid, "sleep");
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
	struct vtund_proc p[16], me = { .pid = 0 };
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
test_long_titles(void)
{
	static char title[6000];
	char name[SESSION_MAX + 1];
	struct vtund_proc p;
	static const char *const kinds[] = { "listener", "server session",
	    "client connecting", "client connected", "closing" };
	size_t i;

	/* Session names up to SESSION_MAX - 1 bytes, no more. */
	memset(name, 'a', sizeof(name));
	name[SESSION_MAX - 1] = '\0';
	snprintf(title, sizeof(title), "vtund[c]: %s ether tap0", name);
	CHECK_INT(procs_parse_title(title, &p), 0);
	CHECK_INT(strlen(p.session), SESSION_MAX - 1);
	name[SESSION_MAX - 1] = 'a';
	name[SESSION_MAX] = '\0';
	snprintf(title, sizeof(title), "vtund[c]: %s ether tap0", name);
	CHECK_INT(procs_parse_title(title, &p), -1);
	/* Garbage of every length. */
	memset(title, 'x', sizeof(title) - 1);
	memcpy(title, "vtund[c]: ", 10);
	CHECK_INT(procs_parse_title(title, &p), -1);
	memcpy(title, "vtund[s]: waiting for connections on port ", 42);
	CHECK_INT(procs_parse_title(title, &p), -1);
	CHECK_INT(procs_parse_title("vtund[s]: waiting for connections on port ",
	    &p), -1);
	CHECK_INT(procs_parse_title("vtund[s]: waiting for connections on port "
	    "50x0", &p), -1);
	CHECK_INT(procs_parse_title("vtund[s]:lcsr ether tap0", &p), -1);
	CHECK_INT(procs_parse_title(" vtund[s]: lcsr ether tap0", &p), -1);
	CHECK_INT(procs_parse_title("vtund[s]:  ether tap0", &p), -1);
	CHECK_INT(procs_parse_title("vtund[c]: lcsr ether tap0 extra", &p), -1);
	CHECK_INT(procs_parse_title("vtund[c]: lcsr connecting to ", &p), -1);
	/* lcsr is not lcsr2. */
	CHECK_INT(procs_parse_title("vtund[c]: lcsr2 closing", &p), 0);
	CHECK_STR(p.session, "lcsr2");
	CHECK_INT(p.kind, VTUND_CLOSING);
	CHECK_INT(p.client, 1);
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		CHECK_STR(procs_kind_name((enum vtund_kind)i), kinds[i]);
	CHECK_STR(procs_kind_name((enum vtund_kind)99), "unknown");
}

/* Wait up to 2 s for FIND(SESSION, CLIENT, PID) to become WANT. */
static int
settle(const char *session, int client, pid_t pid, int want)
{
	struct timespec ts = { 0, 20000000 };
	int i;

	for (i = 0; i < 100; i++) {
		if (find(session, client, pid) == want)
			return 1;
		nanosleep(&ts, NULL);
	}
	return 0;
}

/* A process that exited but was not reaped yet is not a running vtund. */
static void
test_zombie_after_exit(void)
{
	char title[128], session[32], state[64], path[64];
	char *argv[] = { title, "0.5", NULL };
	struct pollfd pfd;
	FILE *fp;
	pid_t pid;

	snprintf(session, sizeof(session), "vfxz%d", (int)getpid());
	snprintf(title, sizeof(title), "vtund[c]: %s ether tap9", session);
	if ((pid = fork()) == 0) {
		execv("/bin/sleep", argv);
		_exit(127);
	}
	CHECK(pid > 0);
	CHECK(settle(session, 1, pid, 1));
	pfd.fd = procs_watch(pid);
	pfd.events = POLLIN;
	CHECK(pfd.fd != -1);
	CHECK_INT(poll(&pfd, 1, 5000), 1);
	/* Exited, not reaped: state Z. */
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	state[0] = '\0';
	if ((fp = fopen(path, "r")) != NULL) {
		if (fgets(state, sizeof(state), fp) == NULL)
			state[0] = '\0';
		fclose(fp);
	}
	CHECK(strstr(state, ") Z ") != NULL);
	CHECK(!find(session, 1, pid));
	waitpid(pid, NULL, 0);
	close(pfd.fd);
	CHECK_INT(procs_watch(-1), -1);
}

static void
test_listener_and_sleeping(void)
{
	char title[] = "vtund[s]: waiting for connections on port 59999";
	struct vtund_proc p[16];
	struct timespec ts = { 0, 100000000 };
	int i, n, found = 0, rc;
	pid_t pid;

	if ((pid = fork()) == 0) {
		execv("/bin/sleep", (char *[]){ title, "30", NULL });
		_exit(127);
	}
	CHECK(pid > 0);
	nanosleep(&ts, NULL);
	n = procs_find_listener(p, 16);
	CHECK(n >= 1);
	for (i = 0; i < n && i < 16; i++)
		if (p[i].pid == pid) {
			found = 1;
			CHECK_INT(p[i].kind, VTUND_LISTENER);
			CHECK_INT(p[i].client, 0);
			CHECK_STR(p[i].session, "");
			CHECK(p[i].start_time > 0);
		}
	CHECK(found);
	CHECK(!find("", 0, pid));		/* not a session */
	CHECK(procs_scan(NULL, 0) >= 1);	/* counts without storing */
	/* sleep(1) sits in clock_nanosleep like a vtund between attempts. */
	for (i = 0; i < 20 && (rc = procs_sleeping(pid)) != 1; i++)
		nanosleep(&ts, NULL);
	CHECK_INT(procs_sleeping(pid), 1);
	CHECK_INT(procs_sleeping(-1), -1);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	/* Gone: never signalled. */
	for (i = 0; i < n && i < 16; i++)
		if (p[i].pid == pid) {
			CHECK_INT(procs_signal(&p[i], 0), -1);
			CHECK_INT(errno, ESRCH);
		}
	{
		struct vtund_proc none = { .pid = 0 };

		CHECK_INT(procs_signal(&none, SIGTERM), -1);
	}
}

/* A vtund in another network namespace is none of our business. */
static void
test_other_netns(void)
{
	char title[128], session[32];
	int sync[2], ok = 0;
	pid_t pid;

	snprintf(session, sizeof(session), "vfxns%d", (int)getpid());
	snprintf(title, sizeof(title), "vtund[c]: %s ether tap0", session);
	if (pipe(sync) == -1)
		SKIP("pipe");
	if ((pid = fork()) == 0) {
		char c = unshare(CLONE_NEWNET) == 0;

		(void)!write(sync[1], &c, 1);
		if (!c)
			_exit(1);
		execv("/bin/sleep", (char *[]){ title, "30", NULL });
		_exit(127);
	}
	close(sync[1]);
	{
		char c = 0;

		ok = read(sync[0], &c, 1) == 1 && c;
	}
	close(sync[0]);
	if (!ok) {
		waitpid(pid, NULL, 0);
		SKIP("cannot create a network namespace");
	}
	{
		struct timespec ts = { 0, 200000000 };

		nanosleep(&ts, NULL);
	}
	CHECK(!find(session, 1, pid));
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* Write vtund's lock file for SESSION with CONTENT; 0 or -1. */
static int
write_lock(const char *session, const char *content)
{
	char path[256];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", VTUND_LOCK_DIR, session);
	if ((fp = fopen(path, "w")) == NULL)
		return -1;
	fputs(content, fp);
	return fclose(fp);
}

static void
test_session_lock(void)
{
	char session[32], path[256], pidline[32];
	struct pollfd pfd;
	pid_t pid, held = 0;

	snprintf(session, sizeof(session), "vfxlock%d", (int)getpid());
	snprintf(path, sizeof(path), "%s/%s", VTUND_LOCK_DIR, session);
	if (mkdir(VTUND_LOCK_DIR, 0755) == -1 && errno != EEXIST)
		SKIP("cannot create " VTUND_LOCK_DIR " (not root)");
	CHECK_INT(procs_session_locked(session, &held), 0);	/* no file */
	snprintf(pidline, sizeof(pidline), "%d\n", (int)getpid());
	CHECK_INT(write_lock(session, pidline), 0);
	CHECK_INT(procs_session_locked(session, &held), 1);
	CHECK_INT(held, getpid());
	/* A zombie still holds it: vtund's kill(pid, 0) succeeds on one. */
	if ((pid = fork()) == 0)
		_exit(0);
	CHECK(pid > 0);
	pfd.fd = procs_watch(pid);
	pfd.events = POLLIN;
	CHECK_INT(poll(&pfd, 1, 5000), 1);
	close(pfd.fd);
	snprintf(pidline, sizeof(pidline), "%d\n", (int)pid);
	CHECK_INT(write_lock(session, pidline), 0);
	CHECK_INT(procs_session_locked(session, &held), 1);
	CHECK_INT(held, pid);
	waitpid(pid, NULL, 0);
	CHECK_INT(procs_session_locked(session, &held), 0);	/* stale */
	CHECK_INT(write_lock(session, "vtund\n"), 0);
	CHECK_INT(procs_session_locked(session, &held), 0);
	CHECK_INT(write_lock(session, "-1\n"), 0);
	CHECK_INT(procs_session_locked(session, &held), 0);
	CHECK_INT(procs_session_locked("../etc/passwd", &held), -1);
	CHECK_INT(procs_session_locked("", &held), -1);
	unlink(path);
}

/*
 * A title proves nothing: a process whose executable is not VTUND, or that
 * does not run as root, is not vtund, whatever it calls itself; it is never
 * found and never signalled.
 */
static void
test_identity(void)
{
	struct vtund_proc p[16], me;
	char *argv[] = { "vtund[c]: vfxident connecting to 10.0.0.1", "30",
	    NULL };
	struct timespec ts = { 0, 100000000 };
	pid_t other, nobody;
	int i, n;

	/* /bin/sh is not the VTUND file (here /bin/sleep). */
	if ((other = fork()) == 0) {
		execv("/bin/sh", (char *[]){ "vtund[c]: vfxident connecting to "
		    "10.0.0.1", "-c", "sleep 30", NULL });
		_exit(127);
	}
	/* The right file, but not root: an unprivileged imitation. */
	if ((nobody = fork()) == 0) {
		if (setgid(65534) == -1 || setuid(65534) == -1)
			_exit(126);
		execv("/bin/sleep", argv);
		_exit(127);
	}
	nanosleep(&ts, NULL);
	CHECK(!procs_is_vtund(other));
	CHECK(!procs_is_vtund(nobody));
	CHECK(!find("vfxident", 1, other));
	CHECK(!find("vfxident", 1, nobody));
	n = procs_scan(p, 16);
	for (i = 0; i < n && i < 16; i++)
		CHECK(p[i].pid != other && p[i].pid != nobody);
	/* Never signalled, even when asked by pid and title. */
	memset(&me, 0, sizeof(me));
	me.pid = other;
	CHECK_INT(procs_refresh(&me), -1);
	kill(other, SIGKILL);
	kill(nobody, SIGKILL);
	waitpid(other, NULL, 0);
	waitpid(nobody, NULL, 0);
}

/*
 * vtund's helper for an up or down command (a fork, vtund until its exec,
 * with its parent's title) is not a second client or listener; a second
 * vtund of the same session that is not a child is.
 */
static void
test_helpers_dropped(void)
{
	struct vtund_proc p[4];
	int n;

	memset(p, 0, sizeof(p));
	p[0].pid = 100; p[0].ppid = 1; p[0].client = 1;
	p[0].kind = VTUND_CLIENT_CONNECTED;
	snprintf(p[0].session, sizeof(p[0].session), "lcsr");
	p[1] = p[0];
	p[1].pid = 101; p[1].ppid = 100;	/* its down block */
	p[2] = p[0];
	p[2].pid = 102; p[2].ppid = 1;		/* a real duplicate */
	p[3] = p[0];
	p[3].pid = 103; p[3].ppid = 100;	/* another session's child */
	snprintf(p[3].session, sizeof(p[3].session), "other");
	n = procs_drop_helpers(p, 4);
	CHECK_INT(n, 3);
	CHECK_INT(p[0].pid, 100);
	CHECK_INT(p[1].pid, 102);
	CHECK_INT(p[2].pid, 103);
	/* A listener's fork before it takes the session's title. */
	memset(p, 0, sizeof(p));
	p[0].pid = 200; p[0].ppid = 1; p[0].kind = VTUND_LISTENER;
	p[1] = p[0];
	p[1].pid = 201; p[1].ppid = 200;
	CHECK_INT(procs_drop_helpers(p, 2), 1);
	CHECK_INT(p[0].pid, 200);
}

/*
 * A process's connected sockets, read from the sockets themselves: a
 * child holds a loopback connection (and a listening socket, which is not
 * connected); its addresses come back exactly, and borrowing them leaves
 * the child's connection open and working.
 */
static void
test_sockets(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	struct proc_socket ps[8];
	socklen_t al = sizeof(a);
	int lfd, afd, go[2], i, n, found = 0;
	uint16_t lport, cport;
	char c = 0;
	pid_t pid;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CHECK((lfd = socket(AF_INET, SOCK_STREAM, 0)) != -1);
	CHECK(bind(lfd, (struct sockaddr *)&a, sizeof(a)) == 0);
	CHECK(listen(lfd, 1) == 0);
	CHECK(getsockname(lfd, (struct sockaddr *)&a, &al) == 0);
	lport = ntohs(a.sin_port);
	CHECK(pipe(go) == 0);
	if ((pid = fork()) == 0) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);

		if (fd == -1 || connect(fd, (struct sockaddr *)&a,
		    sizeof(a)) == -1)
			_exit(1);
		(void)write(go[1], "x", 1);
		/* Echo one byte once the parent has looked. */
		if (read(fd, &c, 1) != 1 || write(fd, &c, 1) != 1)
			_exit(2);
		_exit(0);
	}
	CHECK(pid > 0);
	CHECK(read(go[0], &c, 1) == 1);
	CHECK((afd = accept(lfd, (struct sockaddr *)&a, &al)) != -1);
	cport = ntohs(a.sin_port);	/* the child's end */
	n = procs_sockets(pid, ps, 8);
	CHECK(n >= 1);
	for (i = 0; i < n; i++) {
		const struct sockaddr_in *l = (const void *)&ps[i].local;
		const struct sockaddr_in *r = (const void *)&ps[i].remote;

		if (ps[i].local.ss_family == AF_INET &&
		    ntohs(l->sin_port) == cport && ntohs(r->sin_port) == lport &&
		    r->sin_addr.s_addr == htonl(INADDR_LOOPBACK))
			found++;
		CHECK(ps[i].inode != 0);
	}
	CHECK_INT(found, 1);
	/* The child's connection is untouched: it still echoes. */
	c = 'v';
	CHECK(write(afd, &c, 1) == 1);
	c = 0;
	CHECK(read(afd, &c, 1) == 1 && c == 'v');
	CHECK(waitpid(pid, &i, 0) == pid && WIFEXITED(i) &&
	    WEXITSTATUS(i) == 0);
	/* A process that is gone: an error, not a guess. */
	CHECK(procs_sockets(pid, ps, 8) == -1);
	close(afd);
	close(lfd);
	close(go[0]);
	close(go[1]);
}

/*
 * procs_can_borrow: yes here; no in a child whose seccomp filter refuses
 * pidfd_getfd with EPERM, as systemd's SystemCallFilter=@system-service
 * alone does (the unit does not allow it: vm/tcp-lookup-under-seccomp).
 */
static void
test_can_borrow(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
		    offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_pidfd_getfd, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { sizeof(f) / sizeof(f[0]), f };
	int status;
	pid_t pid;

	CHECK(procs_can_borrow() == 0);
	if ((pid = fork()) == 0) {
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1 ||
		    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) == -1)
			_exit(3);
		_exit(procs_can_borrow() == -1 && errno == EPERM ? 0 : 1);
	}
	CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

int
main(void)
{
	/* The fakes below are /bin/sleep with a vtund title, so /bin/sleep
	 * plays VTUND here (what that hides: the real vtund file, which the
	 * lab tests use). */
	if (procs_init("/bin/sleep") == -1)
		return 1;
	RUN(test_identity);
	RUN(test_helpers_dropped);
	RUN(test_titles);
	RUN(test_scan_zombie_and_signal);
	RUN(test_long_titles);
	RUN(test_zombie_after_exit);
	RUN(test_listener_and_sleeping);
	RUN(test_other_netns);
	RUN(test_session_lock);
	RUN(test_sockets);
	RUN(test_can_borrow);
	return unit_done();
}
