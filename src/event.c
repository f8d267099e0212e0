/*
 * event: epoll, timers sorted by deadline, signalfd.
 *
 * One loop per process (the supervisor and each worker have their own), so
 * the state is static.  The descriptor table is indexed by the descriptor
 * itself and grows on demand; epoll carries (generation << 32 | fd), and an
 * event whose generation is not the slot's current one is stale.
 */
#include <sys/epoll.h>
#include <sys/signalfd.h>

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "event.h"
#include "log.h"

struct ev_fd {
	ev_fd_cb	 cb;
	void		*arg;
	uint32_t	 gen;
	int		 used;
	int		 writable;
	int		 unreadable;
};

#define EV_BATCH	64

static int		 ep = -1;
static struct ev_fd	*fds;
static size_t		 nfds;
static struct ev_timer	*timers;
static int		 stopping;

uint64_t
ev_now_ms(void)
{
	return clock_ms();
}

int
ev_init(void)
{
	ev_free();
	ep = epoll_create1(EPOLL_CLOEXEC);
	return ep == -1 ? -1 : 0;
}

void
ev_free(void)
{
	if (ep != -1)
		close(ep);
	ep = -1;
	free(fds);
	fds = NULL;
	nfds = 0;
	timers = NULL;
	stopping = 0;
}

static int
grow(int fd)
{
	size_t n = nfds ? nfds : 16;
	struct ev_fd *p;

	while (n <= (size_t)fd)
		n *= 2;
	if (n == nfds)
		return 0;
	if ((p = realloc(fds, n * sizeof(*p))) == NULL)
		return -1;
	memset(p + nfds, 0, (n - nfds) * sizeof(*p));
	fds = p;
	nfds = n;
	return 0;
}

static int
ctl(int op, int fd)
{
	struct epoll_event ee;

	memset(&ee, 0, sizeof(ee));
	ee.events = (fds[fd].unreadable ? 0 : EPOLLIN) |
	    (fds[fd].writable ? EPOLLOUT : 0);
	ee.data.u64 = (uint64_t)fds[fd].gen << 32 | (uint32_t)fd;
	return epoll_ctl(ep, op, fd, &ee);
}

int
ev_add_fd(int fd, ev_fd_cb cb, void *arg)
{
	if (fd < 0) {
		errno = EBADF;
		return -1;
	}
	if (grow(fd) == -1)
		return -1;
	if (fds[fd].used) {
		errno = EEXIST;
		return -1;
	}
	fds[fd].gen++;
	fds[fd].writable = fds[fd].unreadable = 0;
	if (ctl(EPOLL_CTL_ADD, fd) == -1)
		return -1;
	fds[fd].cb = cb;
	fds[fd].arg = arg;
	fds[fd].used = 1;
	return 0;
}

int
ev_want_write(int fd, int writable)
{
	if (fd < 0 || (size_t)fd >= nfds || !fds[fd].used) {
		errno = EBADF;
		return -1;
	}
	fds[fd].writable = writable;
	return ctl(EPOLL_CTL_MOD, fd);
}

int
ev_want_read(int fd, int readable)
{
	if (fd < 0 || (size_t)fd >= nfds || !fds[fd].used) {
		errno = EBADF;
		return -1;
	}
	fds[fd].unreadable = !readable;
	return ctl(EPOLL_CTL_MOD, fd);
}

void
ev_del_fd(int fd)
{
	if (fd < 0 || (size_t)fd >= nfds || !fds[fd].used)
		return;
	epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
	fds[fd].used = 0;
	fds[fd].gen++;		/* events already read for it are stale */
}

void
ev_timer_cancel(struct ev_timer *t)
{
	struct ev_timer **pp;

	if (t->armed) {
		for (pp = &timers; *pp != NULL; pp = &(*pp)->next) {
			if (*pp == t) {
				*pp = t->next;
				break;
			}
		}
	}
	t->armed = 0;
	t->next = NULL;
}

void
ev_timer_set(struct ev_timer *t, uint64_t delay_ms, ev_timer_cb cb, void *arg)
{
	struct ev_timer **pp;

	ev_timer_cancel(t);
	t->when = ev_now_ms() + delay_ms;
	t->cb = cb;
	t->arg = arg;
	t->armed = 1;
	for (pp = &timers; *pp != NULL && (*pp)->when <= t->when;
	    pp = &(*pp)->next)
		;
	t->next = *pp;
	*pp = t;
}

void
ev_timer_sooner(struct ev_timer *t, uint64_t delay_ms, ev_timer_cb cb,
    void *arg)
{
	if (t->armed && t->when <= ev_now_ms() + delay_ms)
		return;
	ev_timer_set(t, delay_ms, cb, arg);
}

static int
next_timeout(void)
{
	uint64_t now;

	if (timers == NULL)
		return -1;
	now = ev_now_ms();
	if (timers->when <= now)
		return 0;
	if (timers->when - now > 24 * 3600 * 1000ULL)
		return 24 * 3600 * 1000;
	return (int)(timers->when - now);
}

static void
run_due_timers(void)
{
	uint64_t now = ev_now_ms();
	struct ev_timer *t;

	while (!stopping && (t = timers) != NULL && t->when <= now) {
		timers = t->next;
		t->armed = 0;
		t->next = NULL;
		t->cb(t->arg);
	}
}

static void
dispatch(const struct epoll_event *e)
{
	int fd = (int)(uint32_t)e->data.u64;
	uint32_t gen = (uint32_t)(e->data.u64 >> 32);

	if ((size_t)fd >= nfds || !fds[fd].used || fds[fd].gen != gen)
		return;			/* removed meanwhile */
	fds[fd].cb(fd, fds[fd].arg);
}

int
ev_run(void)
{
	struct epoll_event ev[EV_BATCH];
	int i, n;

	stopping = 0;
	while (!stopping) {
		n = epoll_wait(ep, ev, EV_BATCH, next_timeout());
		if (n == -1) {
			if (errno == EINTR)
				continue;
			log_warn("epoll_wait");
			return -1;
		}
		for (i = 0; i < n && !stopping; i++)
			dispatch(&ev[i]);
		run_due_timers();
	}
	return 0;
}

void
ev_stop(void)
{
	stopping = 1;
}

int
ev_signalfd(const int *sigs)
{
	sigset_t set;

	sigemptyset(&set);
	for (; *sigs != 0; sigs++)
		sigaddset(&set, *sigs);
	if (sigprocmask(SIG_BLOCK, &set, NULL) == -1)
		return -1;
	return signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
}

void
ev_signals(int fd, void (*cb)(int signo))
{
	struct signalfd_siginfo si;

	while (read(fd, &si, sizeof(si)) == sizeof(si))
		cb((int)si.ssi_signo);
}
