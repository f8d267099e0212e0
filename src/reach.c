/*
 * reach: overlapping non-blocking connects, each with a timer.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "event.h"
#include "reach.h"

struct attempt {
	struct reach	*r;
	int		 fd;		/* -1: free */
	uint64_t	 started;
	struct ev_timer	 timeout;
};

struct reach {
	struct tcp_addrs addrs;
	uint16_t	 port;
	reach_cb	 cb;
	void		*arg;
	unsigned	 next;		/* address to try next */
	struct attempt	 a[REACH_MAX];
};

struct reach *
reach_new(const struct tcp_addrs *server, uint16_t port, reach_cb cb,
    void *arg)
{
	struct reach *r;
	int i;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	r->addrs = *server;
	r->port = port;
	r->cb = cb;
	r->arg = arg;
	for (i = 0; i < REACH_MAX; i++) {
		r->a[i].r = r;
		r->a[i].fd = -1;
	}
	return r;
}

static void
drop_attempt(struct attempt *a)
{
	if (a->fd != -1) {
		ev_del_fd(a->fd);
		close(a->fd);
	}
	a->fd = -1;
	ev_timer_cancel(&a->timeout);
}

/*
 * One attempt ended.  An answer ends every other attempt too: those were
 * started while the underlay was out, and their timeouts would report a
 * silence that is over.
 */
static void
finish(struct attempt *a, int answered)
{
	struct reach *r = a->r;
	uint64_t started = a->started;
	int i;

	drop_attempt(a);
	if (answered)
		for (i = 0; i < REACH_MAX; i++)
			drop_attempt(&r->a[i]);
	r->cb(answered, started, r->arg);
}

void
reach_free(struct reach *r)
{
	int i;

	if (r == NULL)
		return;
	for (i = 0; i < REACH_MAX; i++) {
		if (r->a[i].fd != -1) {
			ev_del_fd(r->a[i].fd);
			close(r->a[i].fd);
		}
		ev_timer_cancel(&r->a[i].timeout);
	}
	free(r);
}

/* A refusal or a reset is an answer: the host is there. */
static int
answered(int err)
{
	return err == 0 || err == ECONNREFUSED || err == ECONNRESET;
}

static void
connected(int fd, void *arg)
{
	struct attempt *a = arg;
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
		err = errno;
	finish(a, answered(err));
}

static void
timed_out(void *arg)
{
	finish(arg, 0);
}

static int
dial(struct reach *r)
{
	struct sockaddr_storage ss;
	socklen_t len;
	unsigned i = r->next++ % r->addrs.n;
	int fd;

	memset(&ss, 0, sizeof(ss));
	if (r->addrs.family[i] == AF_INET6) {
		struct sockaddr_in6 *s6 = (void *)&ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(r->port);
		memcpy(&s6->sin6_addr, r->addrs.addr[i], 16);
		len = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (void *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(r->port);
		memcpy(&s4->sin_addr, r->addrs.addr[i], 4);
		len = sizeof(*s4);
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&ss, len) == -1 &&
	    errno != EINPROGRESS) {
		int err = errno;

		close(fd);
		errno = err;
		return answered(err) ? -2 : -1;
	}
	return fd;
}

void
reach_try(struct reach *r)
{
	struct attempt *a = NULL;
	int i, fd;

	for (i = 0; i < REACH_MAX && a == NULL; i++)
		if (r->a[i].fd == -1 && !r->a[i].timeout.armed)
			a = &r->a[i];
	if (a == NULL)
		return;			/* enough attempts under way */
	if ((fd = dial(r)) < 0) {
		r->cb(fd == -2, ev_now_ms(), r->arg);
		return;
	}
	if (ev_add_fd(fd, connected, a) == -1 ||
	    ev_want_write(fd, 1) == -1) {
		ev_del_fd(fd);
		close(fd);
		r->cb(0, ev_now_ms(), r->arg);
		return;
	}
	a->fd = fd;
	a->started = ev_now_ms();
	ev_timer_set(&a->timeout, REACH_TIMEOUT_MS, timed_out, a);
}
