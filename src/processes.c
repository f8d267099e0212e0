/*
 * processes: vtund processes, seen through /proc.
 *
 * vtund sets its title with setproctitle(): the title is written over
 * argv[0] and padded with NULs, so it is the first string of
 * /proc/PID/cmdline.  A zombie has an empty cmdline and state 'Z'; it is
 * not a running vtund.  A process in another network namespace (another
 * lab, another container) is none of our business.
 */
#include <sys/stat.h>
#include <sys/syscall.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "processes.h"

#define TITLE_MAX	4096

/* The vtund executable, as procs_init() found it. */
static struct {
	char	 path[PATH_MAX];
	dev_t	 dev;
	ino_t	 ino;
	int	 ok;
} vtund_exe = { "/usr/sbin/vtund", 0, 0, -1 };

int
procs_init(const char *vtund)
{
	struct stat st;

	if (vtund != vtund_exe.path)
		snprintf(vtund_exe.path, sizeof(vtund_exe.path), "%s", vtund);
	vtund_exe.ok = 0;
	if (stat(vtund, &st) == -1)
		return -1;
	vtund_exe.dev = st.st_dev;
	vtund_exe.ino = st.st_ino;
	vtund_exe.ok = 1;
	return 0;
}

/* The exe link names VTUND as it was before an upgrade replaced it. */
static int
former_vtund(pid_t pid)
{
	char path[64], link[PATH_MAX + 16], want[PATH_MAX + 16];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	if ((n = readlink(path, link, sizeof(link) - 1)) <= 0)
		return 0;
	link[n] = '\0';
	snprintf(want, sizeof(want), "%s (deleted)", vtund_exe.path);
	return strcmp(link, want) == 0;
}

int
procs_is_vtund(pid_t pid)
{
	char path[64];
	struct stat st;

	if (vtund_exe.ok == -1)
		(void)procs_init(vtund_exe.path);
	snprintf(path, sizeof(path), "/proc/%d", (int)pid);
	if (stat(path, &st) == -1 || st.st_uid != 0)
		return 0;		/* vtund runs as root */
	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	if (stat(path, &st) == 0)
		return vtund_exe.ok && st.st_dev == vtund_exe.dev &&
		    st.st_ino == vtund_exe.ino;
	return former_vtund(pid);
}

static const char *const kind_names[] = {
	[VTUND_LISTENER] = "listener",
	[VTUND_SERVER_SESSION] = "server session",
	[VTUND_CLIENT_CONNECTING] = "client connecting",
	[VTUND_CLIENT_CONNECTED] = "client connected",
	[VTUND_CLOSING] = "closing",
};

const char *
procs_kind_name(enum vtund_kind kind)
{
	if ((unsigned)kind < sizeof(kind_names) / sizeof(kind_names[0]))
		return kind_names[kind];
	return "unknown";
}

/* "ether tap0", "tun tun0": the device of a connected session. */
static int
parse_device(const char *rest, struct vtund_proc *p)
{
	static const char *const types[] = { "ether ", "tun " };
	size_t i, n;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		n = strlen(types[i]);
		if (strncmp(rest, types[i], n) != 0)
			continue;
		rest += n;
		if (*rest == '\0' || strlen(rest) >= sizeof(p->device) ||
		    strpbrk(rest, " /") != NULL)
			return -1;
		strcpy(p->device, rest);
		return 0;
	}
	if (strcmp(rest, "pipe") == 0 || strcmp(rest, "tty") == 0)
		return 0;
	return -1;
}

static int
parse_session_state(const char *rest, struct vtund_proc *p)
{
	const char *sp = strchr(rest, ' ');
	size_t n;

	if (sp == NULL || sp == rest)
		return -1;
	n = (size_t)(sp - rest);
	if (n >= sizeof(p->session))
		return -1;
	memcpy(p->session, rest, n);
	p->session[n] = '\0';
	rest = sp + 1;
	if (strcmp(rest, "closing") == 0 ||
	    strcmp(rest, "running down commands") == 0) {
		p->kind = VTUND_CLOSING;
		return 0;
	}
	if (p->client && strncmp(rest, "connecting to ", 14) == 0 &&
	    rest[14] != '\0') {
		p->kind = VTUND_CLIENT_CONNECTING;
		return 0;
	}
	if (parse_device(rest, p) == -1)
		return -1;
	p->kind = p->client ? VTUND_CLIENT_CONNECTED : VTUND_SERVER_SESSION;
	return 0;
}

int
procs_parse_title(const char *title, struct vtund_proc *p)
{
	const char *rest;

	memset(p, 0, sizeof(*p));
	if (strncmp(title, "vtund[c]: ", 10) == 0)
		p->client = 1;
	else if (strncmp(title, "vtund[s]: ", 10) != 0)
		return -1;
	rest = title + 10;
	if (!p->client && strncmp(rest, "waiting for connections on port ",
	    32) == 0) {
		rest += 32;
		if (*rest == '\0' || strspn(rest, "0123456789") != strlen(rest))
			return -1;
		p->kind = VTUND_LISTENER;
		return 0;
	}
	return parse_session_state(rest, p);
}

/* Read at most LEN - 1 bytes of a small /proc file; -1 on error. */
static ssize_t
read_small(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return n;
}

/* State, parent (field 4; PPID may be NULL) and start time (field 22). */
static int
read_stat(pid_t pid, char *state, pid_t *ppid, unsigned long long *start)
{
	char path[64], buf[1024], *p, *end;
	int field;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (read_small(path, buf, sizeof(buf)) <= 0 ||
	    (p = strrchr(buf, ')')) == NULL || p[1] != ' ')
		return -1;
	p += 2;				/* field 3, the state */
	*state = *p;
	if (ppid != NULL)
		*ppid = (pid_t)strtol(p + 1, NULL, 10);
	for (field = 3; field < 22 && p != NULL; field++)
		if ((p = strchr(p, ' ')) != NULL)
			p++;
	if (p == NULL || !isdigit((unsigned char)*p))
		return -1;
	*start = strtoull(p, &end, 10);
	return *end == ' ' || *end == '\n' || *end == '\0' ? 0 : -1;
}

static int
same_netns(pid_t pid, const struct stat *self)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	return stat(path, &st) == 0 && st.st_ino == self->st_ino &&
	    st.st_dev == self->st_dev;
}

/* A live vtund process of this namespace, parsed into *P. */
static int
read_proc(pid_t pid, const struct stat *netns, struct vtund_proc *p)
{
	char path[64], title[TITLE_MAX], state;
	unsigned long long start;
	pid_t ppid;
	ssize_t n;

	/*
	 * The title is the first string of the command line (vtund pads it
	 * with NULs); a zombie's is empty, and one that fills the whole
	 * buffer without a NUL is too long to be a vtund title.
	 */
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	if ((n = read_small(path, title, sizeof(title))) <= 0 ||
	    ((size_t)n == sizeof(title) - 1 &&
	    memchr(title, '\0', (size_t)n) == NULL) ||
	    strncmp(title, "vtund[", 6) != 0)
		return -1;
	if (procs_parse_title(title, p) == -1)
		return -1;
	if (read_stat(pid, &state, &ppid, &start) == -1 || state == 'Z' ||
	    state == 'X' || !same_netns(pid, netns) || !procs_is_vtund(pid))
		return -1;
	p->pid = pid;
	p->ppid = ppid;
	p->start_time = start;
	return 0;
}

typedef int (*proc_filter)(const struct vtund_proc *, const void *);

static int
scan(proc_filter keep, const void *arg, struct vtund_proc *out, size_t max)
{
	struct vtund_proc p;
	struct dirent *de;
	struct stat netns;
	DIR *dir;
	char *end;
	long pid;
	int found = 0;

	if (stat("/proc/self/ns/net", &netns) == -1 ||
	    (dir = opendir("/proc")) == NULL)
		return -1;
	while ((de = readdir(dir)) != NULL) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		pid = strtol(de->d_name, &end, 10);
		if (*end != '\0' || pid <= 0 || pid == getpid())
			continue;
		if (read_proc((pid_t)pid, &netns, &p) == -1 ||
		    (keep != NULL && !keep(&p, arg)))
			continue;
		if ((size_t)found < max)
			out[found] = p;
		found++;
	}
	closedir(dir);
	return found;
}

int
procs_scan(struct vtund_proc *out, size_t max)
{
	return scan(NULL, NULL, out, max);
}

struct session_filter {
	const char	*session;
	int		 client;
};

static int
is_session(const struct vtund_proc *p, const void *arg)
{
	const struct session_filter *f = arg;

	return p->kind != VTUND_LISTENER && p->client == f->client &&
	    strcmp(p->session, f->session) == 0;
}

int
procs_find_session(const char *session, int client, struct vtund_proc *out,
    size_t max)
{
	struct session_filter f = { session, client };
	int n = scan(is_session, &f, out, max);

	return n > 0 && (size_t)n <= max ? procs_drop_helpers(out, n) : n;
}

/*
 * vtund forks to run its up and down commands; until the child's exec,
 * it is a vtund with its parent's title.  A child of a process of the
 * same kind and session among P is that helper, not another vtund.
 */
int
procs_drop_helpers(struct vtund_proc *p, int n)
{
	int i, j, kept = 0;

	for (i = 0; i < n; i++) {
		for (j = 0; j < n; j++)
			if (j != i && p[j].pid == p[i].ppid &&
			    p[j].kind == p[i].kind &&
			    p[j].client == p[i].client &&
			    strcmp(p[j].session, p[i].session) == 0)
				break;
		if (j == n)
			p[kept++] = p[i];
	}
	return kept;
}

static int
is_listener(const struct vtund_proc *p, const void *arg)
{
	(void)arg;
	return p->kind == VTUND_LISTENER;
}

int
procs_find_listener(struct vtund_proc *out, size_t max)
{
	int n = scan(is_listener, NULL, out, max);

	return n > 0 && (size_t)n <= max ? procs_drop_helpers(out, n) : n;
}

int
procs_signal(const struct vtund_proc *p, int sig)
{
	unsigned long long start;
	char state;
	int fd, rc, err;

	/*
	 * The pidfd is taken before the start time is checked, so it refers
	 * to the process that was checked even if the pid is reused at once.
	 */
	if (p->pid <= 0) {
		errno = ESRCH;
		return -1;
	}
	fd = procs_watch(p->pid);
	if (fd == -1 && errno != ENOSYS) {
		errno = ESRCH;
		return -1;
	}
	if (read_stat(p->pid, &state, NULL, &start) == -1 ||
	    start != p->start_time || state == 'Z' || state == 'X') {
		if (fd != -1)
			close(fd);
		errno = ESRCH;
		return -1;
	}
	if (fd == -1)
		return kill(p->pid, sig);
	rc = (int)syscall(SYS_pidfd_send_signal, fd, sig, NULL, 0);
	err = errno;
	close(fd);
	errno = err;
	return rc;
}

int
procs_sleeping(pid_t pid)
{
	char path[64], buf[256], *end;
	long nr;

	snprintf(path, sizeof(path), "/proc/%d/syscall", (int)pid);
	if (read_small(path, buf, sizeof(buf)) <= 0)
		return -1;
	nr = strtol(buf, &end, 10);
	if (end == buf)
		return 0;		/* "running" */
	return nr == SYS_nanosleep || nr == SYS_clock_nanosleep;
}

int
procs_session_locked(const char *session, pid_t *pid)
{
	char path[PATH_MAX], buf[32], *end;
	struct stat st;
	long n;

	if (session[0] == '\0' || strchr(session, '/') != NULL ||
	    snprintf(path, sizeof(path), "%s/%s", VTUND_LOCK_DIR, session) >=
	    (int)sizeof(path))
		return -1;
	if (read_small(path, buf, sizeof(buf)) == -1)
		return errno == ENOENT ? 0 : -1;
	n = strtol(buf, &end, 10);
	if (end == buf || (*end != '\n' && *end != '\0') || n <= 0 ||
	    n > INT_MAX)
		return 0;		/* not a pid: nothing to wait for */
	snprintf(path, sizeof(path), "/proc/%ld", n);
	if (stat(path, &st) == -1)
		return errno == ENOENT ? 0 : -1;
	*pid = (pid_t)n;
	return 1;
}

#define END_STEP_MS	10
#define END_TERM_MS	500
#define END_KILL_MS	500

/* Wait up to MS for SESSION's lock to be released; 1 if it was. */
static int
lock_released(const char *session, int ms)
{
	struct timespec step = { 0, END_STEP_MS * 1000000L };
	pid_t pid;
	int waited;

	for (waited = 0; procs_session_locked(session, &pid) == 1;
	    waited += END_STEP_MS) {
		if (waited >= ms)
			return 0;
		nanosleep(&step, NULL);
	}
	return 1;
}

int
procs_end_server_session(const char *session)
{
	struct vtund_proc p[4];
	int n, i, ended = 0;

	if ((n = procs_find_session(session, 0, p, 4)) == -1)
		return -1;
	if (n > 4)
		n = 4;
	for (i = 0; i < n; i++) {
		if (procs_signal(&p[i], SIGTERM) == 0)
			ended++;
		else if (errno != ESRCH)
			return -1;
	}
	if (ended == 0 || lock_released(session, END_TERM_MS))
		return ended;
	for (i = 0; i < n; i++)
		(void)procs_signal(&p[i], SIGKILL);
	(void)lock_released(session, END_KILL_MS);
	return ended;
}

int
procs_watch(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

int
procs_lock_holder(const char *session, struct vtund_proc *p)
{
	pid_t pid;
	int held = procs_session_locked(session, &pid);

	if (held != 1)
		return held;
	if (procs_read(pid, p) == -1 || p->client ||
	    p->kind == VTUND_LISTENER || strcmp(p->session, session) != 0)
		return 0;		/* a zombie, or not the session's */
	return 1;
}

int
procs_read(pid_t pid, struct vtund_proc *p)
{
	struct stat netns;

	if (stat("/proc/self/ns/net", &netns) == -1)
		return -1;
	return read_proc(pid, &netns, p);
}

int
procs_refresh(struct vtund_proc *p)
{
	struct vtund_proc q;
	struct stat netns;

	if (stat("/proc/self/ns/net", &netns) == -1 ||
	    read_proc(p->pid, &netns, &q) == -1 ||
	    q.start_time != p->start_time)
		return -1;
	*p = q;
	return 0;
}

/* PID's socket descriptors and their inodes, from /proc/PID/fd. */
static int
socket_fds(pid_t pid, int *fds, uint64_t *inodes, size_t max)
{
	char dir[64], path[PATH_MAX], link[64], *end;
	struct dirent *de;
	DIR *d;
	ssize_t n;
	int found = 0;

	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)pid);
	if ((d = opendir(dir)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL && (size_t)found < max) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if ((n = readlink(path, link, sizeof(link) - 1)) <= 0)
			continue;
		link[n] = '\0';
		if (strncmp(link, "socket:[", 8) != 0)
			continue;
		inodes[found] = strtoull(link + 8, &end, 10);
		if (*end != ']')
			continue;
		if (fds != NULL)
			fds[found] = atoi(de->d_name);
		found++;
	}
	closedir(d);
	return found;
}

int
procs_socket_inodes(pid_t pid, uint64_t *out, size_t max)
{
	return socket_fds(pid, NULL, out, max);
}

/* Borrow PID's descriptor FD through PIDFD: its addresses if it is the
 * socket INODE and connected.  1, 0 not that or not connected, -1. */
static int
borrow(int pidfd, int fd, uint64_t inode, struct proc_socket *ps)
{
	struct stat st;
	socklen_t l = sizeof(ps->local), r = sizeof(ps->remote);
	int mine, ok;

	if ((mine = (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0)) == -1)
		return errno == EBADF ? 0 : -1;	/* closed meanwhile */
	ok = fstat(mine, &st) == 0 && (uint64_t)st.st_ino == inode &&
	    getsockname(mine, (struct sockaddr *)&ps->local, &l) == 0 &&
	    getpeername(mine, (struct sockaddr *)&ps->remote, &r) == 0;
	/* Only a reference of ours: vtund's socket stays as it was. */
	close(mine);
	ps->inode = inode;
	return ok;
}

int
procs_can_borrow(void)
{
	int pidfd, rc, err;

	if ((pidfd = procs_watch(getpid())) == -1)
		return -1;
	/* No descriptor -1: EBADF says the call itself is allowed. */
	rc = (int)syscall(SYS_pidfd_getfd, pidfd, -1, 0);
	err = rc == -1 && errno != EBADF ? errno : 0;
	if (rc >= 0)
		close(rc);
	close(pidfd);
	errno = err;
	return err == 0 ? 0 : -1;
}

int
procs_sockets(pid_t pid, struct proc_socket *out, size_t max)
{
	int fds[32], pidfd, n, i, found = 0, rc;
	uint64_t inodes[32];

	if ((pidfd = procs_watch(pid)) == -1)
		return -1;
	n = socket_fds(pid, fds, inodes, max < 32 ? max : 32);
	for (i = 0; i < n; i++) {
		if ((rc = borrow(pidfd, fds[i], inodes[i], &out[found])) == -1) {
			found = -1;
			break;
		}
		found += rc;
	}
	if (n == -1)
		found = -1;
	i = errno;
	close(pidfd);
	errno = i;
	return found;
}
