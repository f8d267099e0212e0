/*
 * reachhub: one reach (reach.h) per server, and who waits on it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "event.h"
#include "log.h"
#include "reach.h"
#include "reachhub.h"

struct waiter {
	struct waiter	*next;
	uint64_t	 who;
	uint64_t	 asked;		/* ms */
	int		 told;		/* has had an answer since asking */
};

struct target {
	struct target	*next;
	char		 host[HOST_MAX];
	uint16_t	 port;
	struct reach	*r;
	struct waiter	*waiters;
	struct ev_timer	 tick;
};

static struct target	*targets;
static reachhub_cb	 tell;

static void
drop_waiters(struct target *t)
{
	struct waiter *w;

	while ((w = t->waiters) != NULL) {
		t->waiters = w->next;
		free(w);
	}
}

static void
tick(void *arg)
{
	struct target *t = arg;

	if (t->waiters == NULL)
		return;			/* nobody asks: stop watching */
	reach_try(t->r);
	ev_timer_set(&t->tick, REACHHUB_EVERY_MS, tick, t);
}

/*
 * An attempt ended.  Only the waiters that asked before it began hear of
 * it (it says nothing of what came after their question): an answer goes
 * to all of those (and ends their watch), a silence only to those that
 * have not heard since asking.
 */
static void
result(int answered, uint64_t started, void *arg)
{
	struct target *t = arg;
	struct waiter *w, **pp;

	for (pp = &t->waiters; (w = *pp) != NULL;) {
		if (w->asked > started) {
			pp = &w->next;
			continue;
		}
		if (answered || !w->told)
			tell(w->who, answered);
		w->told = 1;
		if (answered) {
			*pp = w->next;
			free(w);
		} else {
			pp = &w->next;
		}
	}
	if (t->waiters == NULL)
		ev_timer_cancel(&t->tick);
	else if (!t->tick.armed)
		tick(t);		/* someone asked after this attempt */
}

static struct target *
target_for(const char *host, uint16_t port)
{
	struct tcp_addrs addrs;
	struct target *t;
	char err[256];

	for (t = targets; t != NULL; t = t->next)
		if (t->port == port && strcmp(t->host, host) == 0)
			return t;
	if (tcpinfo_resolve(host, &addrs, err, sizeof(err)) == -1) {
		log_warnx("reach: %s", err);
		return NULL;
	}
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	snprintf(t->host, sizeof(t->host), "%s", host);
	t->port = port;
	if ((t->r = reach_new(&addrs, port, result, t)) == NULL) {
		free(t);
		return NULL;
	}
	t->next = targets;
	targets = t;
	return t;
}

int
reachhub_ask(uint64_t who, const char *host, uint16_t port)
{
	struct target *t = target_for(host, port);
	struct waiter *w;

	if (t == NULL)
		return -1;
	for (w = t->waiters; w != NULL && w->who != who; w = w->next)
		;
	if (w != NULL)
		return 0;		/* already waiting: the watch goes on */
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return -1;
	w->who = who;
	w->asked = ev_now_ms();
	w->next = t->waiters;
	t->waiters = w;
	if (!t->tick.armed)
		tick(t);		/* the first attempt at once */
	return 0;
}

void
reachhub_forget(uint64_t who)
{
	struct target *t;
	struct waiter *w, **pp;

	for (t = targets; t != NULL; t = t->next)
		for (pp = &t->waiters; (w = *pp) != NULL;) {
			if (w->who == who) {
				*pp = w->next;
				free(w);
			} else {
				pp = &w->next;
			}
		}
}

void
reachhub_init(reachhub_cb cb)
{
	tell = cb;
}

void
reachhub_stop(void)
{
	struct target *t;

	while ((t = targets) != NULL) {
		targets = t->next;
		ev_timer_cancel(&t->tick);
		reach_free(t->r);
		drop_waiters(t);
		free(t);
	}
}
