/*
 * event: epoll, timers sorted by deadline, signalfd.
 *
 * One loop per process (the supervisor and each worker have their own), so
 * the state is static.  Descriptor callbacks are looked up in a small table
 * indexed by registration order; a process watches a handful of descriptors.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "event.h"
#include "log.h"

struct ev_fd {
	int		 fd;
	ev_fd_cb	 cb;
	void		*arg;
};

#define EV_MAXFD	64

static int		 ep = -1;
static struct ev_fd	 fds[EV_MAXFD];
static struct ev_timer	*timers;
static int		 stopping;

uint64_t
ev_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int
ev_init(void)
{
	int i;

	ev_free();
	for (i = 0; i < EV_MAXFD; i++)
		fds[i].fd = -1;
	ep = epoll_create1(EPOLL_CLOEXEC);
	return ep == -1 ? -1 : 0;
}

void
ev_free(void)
{
	if (ep != -1)
		close(ep);
	ep = -1;
	timers = NULL;
	stopping = 0;
}

int
ev_add_fd(int fd, ev_fd_cb cb, void *arg)
{
	struct epoll_event ee;
	int i;

	for (i = 0; i < EV_MAXFD && fds[i].fd != -1; i++)
		;
	if (i == EV_MAXFD) {
		errno = EMFILE;
		return -1;
	}
	memset(&ee, 0, sizeof(ee));
	ee.events = EPOLLIN;
	ee.data.u32 = (uint32_t)i;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ee) == -1)
		return -1;
	fds[i].fd = fd;
	fds[i].cb = cb;
	fds[i].arg = arg;
	return 0;
}

void
ev_del_fd(int fd)
{
	int i;

	for (i = 0; i < EV_MAXFD; i++) {
		if (fds[i].fd == fd) {
			epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
			fds[i].fd = -1;
		}
	}
}

void
ev_timer_cancel(struct ev_timer *t)
{
	struct ev_timer **pp;

	for (pp = &timers; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == t) {
			*pp = t->next;
			break;
		}
	}
	t->armed = 0;
	t->next = NULL;
}

void
ev_timer_set(struct ev_timer *t, uint64_t delay_ms, ev_timer_cb cb, void *arg)
{
	struct ev_timer **pp;

	if (t->armed)
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

int
ev_run(void)
{
	struct epoll_event ev[16];
	int i, n;

	stopping = 0;
	while (!stopping) {
		n = epoll_wait(ep, ev, 16, next_timeout());
		if (n == -1) {
			if (errno == EINTR)
				continue;
			log_warn("epoll_wait");
			return -1;
		}
		for (i = 0; i < n && !stopping; i++) {
			struct ev_fd *f = &fds[ev[i].data.u32];

			if (f->fd != -1)
				f->cb(f->fd, f->arg);
		}
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
