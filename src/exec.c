/*
 * exec: run programs with execve and a fixed argv, never a shell.
 *
 * Every child reports a failed execve through a close-on-exec pipe, so the
 * caller learns "no such file" from the return value instead of from a
 * child that exits 127.  Children get the default signal mask and
 * dispositions, and a fixed environment (PATH only).
 */
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "processes.h"
#include "exec.h"

#define FIXED_PATH	"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:" \
			"/sbin:/bin"

static char *const fixed_env[] = { "PATH=" FIXED_PATH, NULL };

/* The account the next child runs as (exec_pipe_as), or NULL. */
static const struct exec_user *run_as;

/* A regular file we may execute (access() alone passes directories). */
static int
executable(const char *path)
{
	struct stat st;

	if (stat(path, &st) == -1)
		return 0;
	if (!S_ISREG(st.st_mode)) {
		errno = EACCES;
		return 0;
	}
	return access(path, X_OK) == 0;
}

int
exec_resolve(const char *name, char *path, size_t len)
{
	const char *dir, *end;
	int n;

	if (strchr(name, '/') != NULL) {
		if (!executable(name))
			return -1;
		n = snprintf(path, len, "%s", name);
		return n < 0 || (size_t)n >= len ? (errno = ENAMETOOLONG, -1) :
		    0;
	}
	for (dir = FIXED_PATH; *dir != '\0'; dir = *end ? end + 1 : end) {
		end = strchrnul(dir, ':');
		n = snprintf(path, len, "%.*s/%s", (int)(end - dir), dir, name);
		if (n > 0 && (size_t)n < len && executable(path))
			return 0;
	}
	errno = ENOENT;
	return -1;
}

/* In a child: default signals, nothing blocked. */
static void
reset_signals(void)
{
	sigset_t none;
	int sig;

	for (sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

/* In a child: close every descriptor from LOWFD up, except KEEP. */
static void
close_from(int lowfd, int keep)
{
	int fd;

	if (keep < lowfd) {
		if (syscall(SYS_close_range, lowfd, ~0U, 0) == 0)
			return;
	} else if ((keep == lowfd ||
	    syscall(SYS_close_range, lowfd, keep - 1, 0) == 0) &&
	    syscall(SYS_close_range, keep + 1, ~0U, 0) == 0)
		return;
	for (fd = lowfd; fd < 65536; fd++)
		if (fd != keep)
			close(fd);
}

/* In a child: report ERR on ERRFD and exit. */
static void __attribute__((noreturn))
child_fail(int errfd, int err)
{
	(void)!write(errfd, &err, sizeof(err));
	_exit(127);
}

/* In a child: become RUN_AS, or report errno on ERRFD and exit. */
static void
child_become(int errfd, char **env, size_t n, char *buf, size_t len)
{
	const struct exec_user *u = run_as;
	int w;

	if (initgroups(u->name, u->gid) == -1 || setgid(u->gid) == -1 ||
	    setuid(u->uid) == -1)
		child_fail(errfd, errno);
	w = snprintf(buf, len, "HOME=%s%cUSER=%s%cLOGNAME=%s", u->home, 0,
	    u->name, 0, u->name);
	if (w < 0 || (size_t)w >= len || n < 5)
		child_fail(errfd, ENAMETOOLONG);
	env[0] = (char *)fixed_env[0];
	env[1] = buf;
	env[2] = buf + strlen(buf) + 1;
	env[3] = env[2] + strlen(env[2]) + 1;
	env[4] = NULL;
	if (chdir(u->home) == -1)
		(void)chdir("/");
}

/* In a child: exec ARGV, or report errno on ERRFD and exit. */
static void __attribute__((noreturn))
child_exec(char *const argv[], int errfd)
{
	char path[PATH_MAX], buf[4096 + 200], *env[5];
	char *const *envp = fixed_env;
	int err;

	if (argv == NULL || argv[0] == NULL)
		child_fail(errfd, EINVAL);
	if (run_as != NULL) {
		child_become(errfd, env, 5, buf, sizeof(buf));
		envp = env;
	}
	if (exec_resolve(argv[0], path, sizeof(path)) == 0)
		execve(path, argv, envp);
	err = errno;
	child_fail(errfd, err);
}

/* Read the child's report: 0 if it exec'd, else -1 with its errno. */
static int
exec_result(int errfd)
{
	int err;
	ssize_t n;

	while ((n = read(errfd, &err, sizeof(err))) == -1 && errno == EINTR)
		;
	close(errfd);
	if (n == (ssize_t)sizeof(err)) {
		errno = err;
		return -1;
	}
	return 0;
}

/* In a child: /dev/null on the chosen standard descriptors, or exit. */
static void
devnull_stdio(int in, int out, int err, int errfd)
{
	int fd = open("/dev/null", O_RDWR);

	if (fd == -1)
		child_fail(errfd, errno);
	if ((in && dup2(fd, 0) == -1) || (out && dup2(fd, 1) == -1) ||
	    (err && dup2(fd, 2) == -1))
		child_fail(errfd, errno);
	if (fd > 2)
		close(fd);
}

static pid_t
reap(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	return pid;
}

/* Two close-on-exec pipes, or -1 (errno) with neither open. */
static int
pipe_pair(int a[2], int b[2])
{
	int err;

	if (pipe2(a, O_CLOEXEC) == -1)
		return -1;
	if (pipe2(b, O_CLOEXEC) == -1) {
		err = errno;
		close(a[0]);
		close(a[1]);
		errno = err;
		return -1;
	}
	return 0;
}

/*
 * Detached: an intermediate child starts the program and exits at once,
 * so the program is reparented (to init or the nearest subreaper) and the
 * caller never has to reap it.  Two close-on-exec pipes, one writer each,
 * so that nothing can arrive out of order: on PIDP the intermediate child
 * sends the program's pid (or -1 and its fork errno); on ERRP the program
 * sends an errno if its execve fails, and end of file means it is running.
 */
static void __attribute__((noreturn))
spawn_middle(char *const argv[], int pidfd, int errfd)
{
	pid_t pid;
	int err;

	reset_signals();
	setsid();
	if ((pid = fork()) != 0) {
		err = errno;
		(void)!write(pidfd, &pid, sizeof(pid));
		if (pid == -1)
			(void)!write(pidfd, &err, sizeof(err));
		_exit(pid == -1 ? 1 : 0);
	}
	close(pidfd);
	devnull_stdio(1, 1, 1, errfd);
	close_from(3, errfd);
	child_exec(argv, errfd);
}

/* The program's pid from the intermediate child, or -1 (errno). */
static pid_t
spawned_pid(int pidfd)
{
	pid_t pid = -1;
	int err = ECHILD;
	ssize_t n;

	while ((n = read(pidfd, &pid, sizeof(pid))) == -1 && errno == EINTR)
		;
	if (n == (ssize_t)sizeof(pid) && pid == -1 &&
	    read(pidfd, &err, sizeof(err)) != (ssize_t)sizeof(err))
		err = ECHILD;
	close(pidfd);
	if (n != (ssize_t)sizeof(pid) || pid <= 0) {
		errno = err;
		return -1;
	}
	return pid;
}

pid_t
exec_spawn(char *const argv[])
{
	int pidp[2], errp[2], err;
	pid_t mid, pid;

	if (pipe_pair(pidp, errp) == -1)
		return -1;
	if ((mid = fork()) == 0) {
		close(pidp[0]);
		close(errp[0]);
		spawn_middle(argv, pidp[1], errp[1]);
	}
	err = errno;
	close(pidp[1]);
	close(errp[1]);
	if (mid == -1) {
		close(pidp[0]);
		close(errp[0]);
		errno = err;
		return -1;
	}
	reap(mid);
	if ((pid = spawned_pid(pidp[0])) == -1) {
		err = errno;
		close(errp[0]);
		errno = err;
		return -1;
	}
	return exec_result(errp[0]) == -1 ? -1 : pid;
}

/*
 * Fork a child running ARGV with stdin from IN and stdout to OUT (/dev/null
 * when -1), stderr to /dev/null when QUIET_ERR; KEEP_STDIO leaves all three
 * alone.  Returns its pid once it has exec'd, or -1 (errno from the child).
 */
static pid_t
start_child(char *const argv[], int in, int out, int quiet_err, int keep_stdio)
{
	int pfd[2], err;
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC) == -1)
		return -1;
	if ((pid = fork()) == -1) {
		err = errno;
		close(pfd[0]);
		close(pfd[1]);
		errno = err;
		return -1;
	}
	if (pid == 0) {
		close(pfd[0]);
		reset_signals();
		if (!keep_stdio) {
			if ((in != -1 && dup2(in, 0) == -1) ||
			    (out != -1 && dup2(out, 1) == -1))
				child_fail(pfd[1], errno);
			devnull_stdio(in == -1, out == -1, quiet_err, pfd[1]);
		}
		close_from(3, pfd[1]);
		child_exec(argv, pfd[1]);
	}
	close(pfd[1]);
	if (exec_result(pfd[0]) == -1) {
		err = errno;
		reap(pid);
		errno = err;
		return -1;
	}
	return pid;
}

static int
ms_left(long long deadline)
{
	long long left = deadline - (long long)clock_ms();

	return left < 0 ? 0 : left > INT_MAX ? INT_MAX : (int)left;
}

/*
 * Write LEN bytes of INPUT to the non-blocking FD until DEADLINE.  EPIPE
 * (the program does not want more) ends it; SIGPIPE is blocked meanwhile.
 */
static void
feed(int fd, const char *input, size_t len, long long deadline)
{
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	ssize_t n;
	int rc;

	while (len > 0) {
		rc = poll(&pfd, 1, ms_left(deadline));
		if (rc == -1 && errno == EINTR)
			continue;
		if (rc <= 0)
			break;
		n = write(fd, input, len);
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n <= 0)
			break;
		input += n;
		len -= (size_t)n;
	}
}

/* Wait up to MS for PID to exit: 1 exited, 0 still running. */
static int
wait_exit(pid_t pid, int pidfd, int ms)
{
	struct pollfd pfd = { .fd = pidfd, .events = POLLIN };
	long long deadline = (long long)clock_ms() + ms;
	struct timespec tick = { 0, 10000000 };
	siginfo_t si;
	int rc;

	if (pidfd != -1) {
		while ((rc = poll(&pfd, 1, ms_left(deadline))) == -1 &&
		    errno == EINTR)
			;
		return rc != 0;
	}
	for (;;) {		/* no pidfd: poll with WNOWAIT */
		si.si_pid = 0;
		if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG |
		    WNOWAIT) == -1 || si.si_pid != 0)
			return 1;
		if (ms_left(deadline) == 0)
			return 0;
		nanosleep(&tick, NULL);
	}
}

int
exec_run(char *const argv[], const char *input, size_t len, int timeout_ms)
{
	long long deadline = (long long)clock_ms() +
	    (timeout_ms < 0 ? 0 : timeout_ms);
	struct timespec zero = { 0, 0 };
	int in[2], pidfd, status, err;
	sigset_t pipe_set, old;
	pid_t pid;

	if (pipe2(in, O_CLOEXEC) == -1)
		return -1;
	pid = start_child(argv, in[0], -1, 1, 0);
	err = errno;
	close(in[0]);
	if (pid == -1) {
		close(in[1]);
		errno = err;
		return -1;
	}
	pidfd = procs_watch(pid);
	/* A child that does not read its input must not kill us. */
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	sigprocmask(SIG_BLOCK, &pipe_set, &old);
	fcntl(in[1], F_SETFL, O_NONBLOCK);
	if (input != NULL)
		feed(in[1], input, len, deadline);
	close(in[1]);
	if (!sigismember(&old, SIGPIPE))
		while (sigtimedwait(&pipe_set, NULL, &zero) > 0)
			;
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (!wait_exit(pid, pidfd, ms_left(deadline))) {
		kill(pid, SIGTERM);
		if (!wait_exit(pid, pidfd, 1000))
			kill(pid, SIGKILL);
		if (pidfd != -1)
			close(pidfd);
		reap(pid);
		errno = ETIMEDOUT;
		return -1;
	}
	if (pidfd != -1)
		close(pidfd);
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR)
			return -1;
	return status;
}

pid_t
exec_pipe(char *const argv[], int *to_child, int *from_child)
{
	int in[2], out[2], err;
	pid_t pid;

	if (pipe_pair(in, out) == -1)
		return -1;
	pid = start_child(argv, in[0], out[1], 1, 0);
	err = errno;
	close(in[0]);
	close(out[1]);
	if (pid == -1) {
		close(in[1]);
		close(out[0]);
		errno = err;
		return -1;
	}
	fcntl(in[1], F_SETFL, O_NONBLOCK);
	fcntl(out[0], F_SETFL, O_NONBLOCK);
	*to_child = in[1];
	*from_child = out[0];
	return pid;
}

pid_t
exec_pipe_as(char *const argv[], const struct exec_user *u, int *to_child,
    int *from_child)
{
	pid_t pid;

	run_as = u;
	pid = exec_pipe(argv, to_child, from_child);
	run_as = NULL;
	return pid;
}

int
exec_user_lookup(const char *name, struct exec_user *u)
{
	struct passwd *pw;

	errno = 0;
	if ((pw = getpwnam(name)) == NULL) {
		if (errno == 0)
			errno = ENOENT;
		return -1;
	}
	memset(u, 0, sizeof(*u));
	u->uid = pw->pw_uid;
	u->gid = pw->pw_gid;
	snprintf(u->name, sizeof(u->name), "%s", pw->pw_name);
	snprintf(u->home, sizeof(u->home), "%s", pw->pw_dir);
	return 0;
}

int
exec_wait(char *const argv[])
{
	int status;
	pid_t pid;

	if ((pid = start_child(argv, -1, -1, 0, 1)) == -1)
		return -1;
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR)
			return -1;
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}
