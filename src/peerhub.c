/*
 * peerhub: channels by host, and the client's watch of the switches.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "log.h"
#include "peer.h"
#include "peerhub.h"
#include "workers.h"

struct hub {
	struct hub	*next;
	struct peer_chan *ch;
	int		 used;		/* by the current configuration */
	int		 polling;	/* a request is out */
	int		 watching;	/* the server tells each change */
	int		 no_watch;	/* it cannot (older): poll it */
	uint64_t	 heard_ms;	/* its switches' last answer */
};

static const struct config *conf;
static struct hub	*hubs;
static struct ev_timer	 poll_timer;
static int		*last_on;	/* per tap: the peer's switches on,
					 * as bits; -1 not known yet */

static void	 hub_event(const char *, void *);
static void	 poll_switches(void *);

static const char *
host_of(const struct tap_conf *t)
{
	return peer_host(conf, t);
}

static struct hub *
hub_for(const char *host)
{
	struct hub *h;

	for (h = hubs; h != NULL; h = h->next)
		if (strcmp(peerchan_host(h->ch), host) == 0)
			return h;
	return NULL;
}

static void
use_hosts(void)
{
	struct hub *h, **pp;
	size_t i;

	for (h = hubs; h != NULL; h = h->next)
		h->used = 0;
	for (i = 0; i < conf->ntaps; i++) {
		const char *host = host_of(&conf->taps[i]);

		if ((h = hub_for(host)) == NULL) {
			if ((h = calloc(1, sizeof(*h))) == NULL ||
			    (h->ch = peerchan_new(conf, host)) == NULL)
				fatal("peer channel");
			peerchan_on_event(h->ch, hub_event, h);
			h->next = hubs;
			hubs = h;
		}
		h->used = 1;
		peerchan_set_conf(h->ch, conf);	/* a reload freed the old */
	}
	for (pp = &hubs; (h = *pp) != NULL;) {
		if (h->used) {
			pp = &h->next;
			continue;
		}
		*pp = h->next;
		peerchan_free(h->ch);
		free(h);
	}
}

/*
 * The reply to "switches" or "watch" ("ok" and, for each session with a
 * switch off, " SESSION=sw,sw"), or an event's words after its name.
 * Sessions not named have every switch on.
 */
static void
apply_switches(struct hub *h, const char *reply)
{
	char want[PEER_LINE_MAX], text[PEER_LINE_MAX], name[SESSION_MAX + 2];
	const char *p, *off;
	size_t i, n;
	int sw, mask;

	h->heard_ms = ev_now_ms();
	for (i = 0; i < conf->ntaps; i++) {
		const struct tap_conf *t = &conf->taps[i];

		if (strcmp(host_of(t), peerchan_host(h->ch)) != 0)
			continue;
		snprintf(name, sizeof(name), " %s=", t->session);
		off = (p = strstr(reply, name)) != NULL ? p + strlen(name) : "";
		n = strcspn(off, " ");
		snprintf(want, sizeof(want), "%.*s", (int)n, off);
		text[0] = '\0';
		mask = 0;
		for (sw = 0; sw < SW_MAX; sw++) {
			int on = strstr(want, switch_name(sw)) == NULL;

			mask |= on << sw;
			snprintf(text + strlen(text), sizeof(text) - strlen(text),
			    "%s%s=%s", sw ? " " : "", switch_name(sw),
			    on ? "on" : "off");
		}
		/* Tell the worker only what changed: idle costs nothing. */
		if (last_on[i] == mask)
			continue;
		last_on[i] = mask;
		workers_peer_switches(t->session, text);
	}
}

static void
switches_answer(const char *reply, void *arg)
{
	struct hub *h = arg;

	h->polling = 0;
	if (reply != NULL && strncmp(reply, "ok", 2) == 0)
		apply_switches(h, reply);	/* else keep what we knew */
}

static void
watch_answer(const char *reply, void *arg)
{
	struct hub *h = arg;

	h->polling = 0;
	if (reply == NULL)
		return;			/* the channel failed: hub_event */
	if (strncmp(reply, "ok", 2) != 0) {
		log_info("peer %s: does not tell its switches as they change "
		    "(%s): asked every %d s", peerchan_host(h->ch), reply,
		    PEERHUB_POLL_MS / 1000);
		h->no_watch = 1;
		return;
	}
	h->watching = 1;
	apply_switches(h, reply);
}

/* A change the server told, or (LINE NULL) the channel closed. */
static void
hub_event(const char *line, void *arg)
{
	struct hub *h = arg;
	size_t n = strlen(PEER_EVENT_SWITCHES);

	if (line == NULL) {
		h->watching = h->no_watch = 0;
		ev_timer_sooner(&poll_timer, PEERHUB_POLL_MS, poll_switches,
		    NULL);
		return;
	}
	if (strncmp(line, PEER_EVENT_SWITCHES, n) != 0 ||
	    (line[n] != '\0' && line[n] != ' '))
		return;			/* an event of a later version */
	apply_switches(h, line + n);	/* what follows "ok" in a reply */
}

/*
 * What to ask H now: to watch (once per connection), or, of a server that
 * watches, "switches" every PEERHUB_CHECK_MS, so that a channel that died
 * without closing (an outage) is found by that request's timeout; of one
 * that cannot watch, "switches" every PEERHUB_POLL_MS.
 */
static void
hub_ask(struct hub *h, uint64_t now)
{
	const char *what = "watch";
	peer_reply_cb cb = watch_answer;

	if (h->polling || (h->watching &&
	    now - h->heard_ms + PEERHUB_POLL_MS <= PEERHUB_CHECK_MS))
		return;
	if (h->watching || h->no_watch) {
		what = "switches";
		cb = switches_answer;
	}
	if (peerchan_request(h->ch, what, PEER_ASK_WAIT, cb, h) == 0)
		h->polling = 1;
}

static void
poll_switches(void *arg)
{
	struct hub *h;
	int all = 1;

	for (h = hubs; h != NULL; h = h->next) {
		hub_ask(h, ev_now_ms());
		all &= h->watching;
	}
	ev_timer_set(&poll_timer, all ? PEERHUB_CHECK_MS : PEERHUB_POLL_MS,
	    poll_switches, NULL);
}

void
peerhub_start(const struct config *c)
{
	struct hub *h;
	size_t i;

	conf = c;
	free(last_on);
	if ((last_on = calloc(c->ntaps + 1, sizeof(*last_on))) == NULL)
		fatal("calloc");
	for (i = 0; i < c->ntaps; i++)
		last_on[i] = -1;
	use_hosts();
	for (h = hubs; h != NULL; h = h->next)
		h->heard_ms = 0;	/* the workers may be new: ask now */
	if (c->machine == ROLE_CLIENT)
		poll_switches(NULL);
}

void
peerhub_reload(const struct config *c)
{
	ev_timer_cancel(&poll_timer);
	peerhub_start(c);
}

void
peerhub_stop(void)
{
	struct hub *h;

	ev_timer_cancel(&poll_timer);
	while ((h = hubs) != NULL) {
		hubs = h->next;
		peerchan_free(h->ch);
		free(h);
	}
	free(last_on);
	last_on = NULL;
}

static int
ask(const char *host, const char *line, int how, peer_reply_cb cb, void *arg)
{
	struct hub *h = hub_for(host);

	return h == NULL ? -1 : peerchan_request(h->ch, line, how, cb, arg);
}

int
peerhub_ask(const char *host, const char *line, peer_reply_cb cb, void *arg)
{
	return ask(host, line, PEER_ASK_WAIT | PEER_ASK_NOW_TRY, cb, arg);
}

int
peerhub_ask_now(const char *host, const char *line, peer_reply_cb cb,
    void *arg)
{
	return ask(host, line, 0, cb, arg);
}
