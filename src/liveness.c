/*
 * liveness: the verdict of check 5, from probes or from counters.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "event.h"
#include "links.h"
#include "liveness.h"
#include "log.h"
#include "peer.h"
#include "peer_client.h"
#include "probe.h"

/* After a restart, how long a reconnect may take before we judge again:
 * vtund's killold waits up to 5 s for a stuck old session (SPEC §11). */
#define RESTART_GRACE_MS	12000

enum path_state { PATH_UNKNOWN, PATH_UP, PATH_DOWN };

static struct tapcheck	*tc;
static struct peer_chan	*peer;
static void		(*wake)(void);
static void		(*save)(void);
static struct probe	 pr;
static struct ev_timer	 tick, sample_timer, figures_timer;
static struct ev_timer	 deadline;	/* the silence becomes too long */
static enum path_state	 path;
static uint64_t		 quiet_ref_ms;	/* silence is counted from here */
static uint64_t		 restart_ms;	/* last restart, 0 if none */
static int		 asking;	/* a "probe" request is out */
static int		 have_rx_mark;
static uint64_t		 rx_mark;	/* tap RX when probes went missing */
static int		 no_evidence_logged;

static void	 update_figures(void);
static void	 judge_now(void *);

static uint64_t
interval_ms(void)
{
	return tc->conf->probe_interval_ms;
}

static uint64_t
dead_ms(void)
{
	return interval_ms() * tc->conf->probe_multiplier;
}

static uint64_t
silent_ms(uint64_t now)
{
	uint64_t ref = pr.last_rx_ms > quiet_ref_ms ? pr.last_rx_ms :
	    quiet_ref_ms;

	return now > ref ? now - ref : 0;
}

static int
tap_rx(uint64_t *rx)
{
	struct link_info li;

	if (links_get(tc->links, tc->tap->tap, &li) != 0)
		return -1;
	*rx = li.rx_packets;
	return 0;
}

static void
declare_dead(const char *why)
{
	path = PATH_DOWN;
	tc->tunnel_dead = 1;
	snprintf(tc->tunnel_why, sizeof(tc->tunnel_why), "%s", why);
	if (tc->conf->liveness == LIVENESS_PROBE)
		update_figures();
	wake();
}

/* Flow seen: the path is up, a pending restart has worked. */
static void
flow_seen(const char *how)
{
	int was_up = path == PATH_UP;

	if (!was_up)
		log_info("tunnel: data flows (%s)", how);
	path = PATH_UP;
	restart_ms = 0;			/* the restart worked: no more grace */
	tc->tunnel_dead = 0;
	have_rx_mark = 0;
	no_evidence_logged = 0;
	if (!was_up && tc->conf->liveness == LIVENESS_PROBE)
		update_figures();
	if (tc->tunnel_pending) {
		tc->tunnel_pending = 0;
		wake();
	}
}

/* No way to tell: never restart on a guess, and stop waiting. */
static void
no_evidence(const char *why)
{
	if (!no_evidence_logged)
		log_info("tunnel: no probe from the peer for %.1f s, but %s; "
		    "not restarting", silent_ms(ev_now_ms()) / 1000.0, why);
	no_evidence_logged = 1;
	if (tc->tunnel_pending) {
		tc->tunnel_pending = 0;
		wake();
	}
}

/* The peer cannot be asked: did anything at all arrive on the tap? */
static void
judge_by_counters(void)
{
	char why[100];
	uint64_t rx;

	if (!have_rx_mark || tap_rx(&rx) == -1) {
		no_evidence("the peer cannot be asked");
		return;
	}
	if (rx != rx_mark) {
		no_evidence("frames still arrive and the peer cannot be asked");
		return;
	}
	snprintf(why, sizeof(why), "nothing received for %.1f s; peer "
	    "unreachable", silent_ms(ev_now_ms()) / 1000.0);
	declare_dead(why);
}

static void
probe_answer(const char *reply, void *arg)
{
	struct peer_probe pp;
	char why[100];

	asking = 0;
	if (silent_ms(ev_now_ms()) < dead_ms())
		return;			/* a probe came meanwhile */
	if (reply == NULL || peer_parse_probe(reply, &pp) == -1) {
		judge_by_counters();
		return;
	}
	if (!pp.running || !pp.probing) {
		no_evidence(pp.running ? "the peer does not probe" :
		    "vtundfix does not run on the peer");
		return;
	}
	snprintf(why, sizeof(why), "no probe for %.1f s while the peer "
	    "probes", silent_ms(ev_now_ms()) / 1000.0);
	declare_dead(why);
}

static void
evaluate(uint64_t now)
{
	char req[PEER_LINE_MAX];
	uint64_t silent = silent_ms(now);

	if (silent >= interval_ms() && !have_rx_mark &&
	    tap_rx(&rx_mark) == 0)
		have_rx_mark = 1;
	if (silent < dead_ms()) {
		/* Judge the moment the silence is long enough, not at the
		 * next tick: a tick would add up to one interval. */
		ev_timer_set(&deadline, dead_ms() - silent, judge_now, NULL);
		return;
	}
	if (path == PATH_DOWN || asking || pr.fd == -1 || no_evidence_logged)
		return;
	if (restart_ms != 0 && now - restart_ms < RESTART_GRACE_MS) {
		ev_timer_set(&deadline, RESTART_GRACE_MS - (now - restart_ms),
		    judge_now, NULL);
		return;
	}
	snprintf(req, sizeof(req), "probe %s", tc->tap->session);
	if (peer != NULL &&
	    peerchan_request(peer, req, probe_answer, NULL) == 0)
		asking = 1;
	else
		judge_by_counters();
}

static void
judge_now(void *arg)
{
	evaluate(ev_now_ms());
}

static void
probe_readable(int fd, void *arg)
{
	int n = probe_receive(&pr);

	if (n > 0) {
		char how[64];

		snprintf(how, sizeof(how), "probes from the peer, rtt %.1f ms",
		    pr.rtt_ms);
		flow_seen(how);
	} else if (n == -1) {
		log_debug("probe socket: %s", strerror(errno));
		ev_del_fd(fd);
		probe_close(&pr);
	}
}

/* Bind to the tap as it is now; a new tap is a new connection. */
static void
rebind(void)
{
	int old = pr.ifindex;

	if (pr.fd != -1 && old != 0)
		ev_del_fd(pr.fd);
	if (probe_bind(&pr) == -1) {
		if (errno != ENODEV)
			log_warn("probe socket on %s", tc->tap->tap);
		return;
	}
	if (ev_add_fd(pr.fd, probe_readable, NULL) == -1) {
		probe_close(&pr);
		return;
	}
	if (pr.ifindex != old) {
		/* A fresh session: judge it from now on.  The reconnect a
		 * restart's grace waits for has happened, so the grace ends:
		 * a new session that carries nothing is as dead as an old one. */
		path = PATH_UNKNOWN;
		quiet_ref_ms = ev_now_ms();
		restart_ms = 0;
		have_rx_mark = 0;
		no_evidence_logged = 0;
		tc->tunnel_dead = 0;
	}
}

static void
probe_tick(void *arg)
{
	if (pr.fd == -1)
		rebind();
	if (pr.fd != -1 && probe_send(&pr) == -1 && errno != EAGAIN &&
	    errno != ENOBUFS) {
		log_debug("probe send: %s", strerror(errno));
		rebind();
	}
	evaluate(ev_now_ms());
	ev_timer_set(&tick, interval_ms(), probe_tick, NULL);
}

/* The probe figures into the data file (status, metrics). */
static void
update_figures(void)
{
	struct probe_figures *f = &tc->df.probe;
	double loss = probe_loss(&pr);

	f->valid = 1;
	f->up = path == PATH_UP;
	f->rtt_ms = pr.rtt_ms;
	f->srtt_ms = pr.srtt_ms;
	f->loss = loss < 0 ? (path == PATH_UP ? 0 : 1) : loss;
	f->updated = time(NULL);
	tc->df_dirty = 1;
	save();
}

static void
figures_tick(void *arg)
{
	update_figures();
	ev_timer_set(&figures_timer, PROBE_FIGURES_S * 1000ULL, figures_tick,
	    NULL);
}

/* --- the seed's counter rule --- */

static struct counters	 sample_local;

static void
counters_rule(const struct counters *remote)
{
	struct datafile *df = &tc->df;
	const struct counters *l = &sample_local;
	int working;

	tc->df_dirty = 1;
	if (!df->have_prev) {
		df->have_prev = 1;
		df->prev_local = *l;
		df->prev_remote = *remote;
		df->prev_rounds = 0;
		return;
	}
	working = (l->tx_packets > df->prev_local.tx_packets &&
	    remote->rx_packets > df->prev_remote.rx_packets) ||
	    (remote->tx_packets > df->prev_remote.tx_packets &&
	    l->rx_packets > df->prev_local.rx_packets);
	if (working) {
		df->prev_local = *l;
		df->prev_remote = *remote;
		df->prev_rounds = 0;
		flow_seen("counters rose on both ends");
		return;
	}
	if (++df->prev_rounds < 2) {
		log_info("tunnel: counters did not move since the last check; "
		    "checking again next round");
		return;
	}
	df->have_prev = 0;
	declare_dead("counters did not move for two checks");
}

static void
counters_answer(const char *reply, void *arg)
{
	struct peer_counters pc;

	if (reply == NULL || peer_parse_counters(reply, &pc) == -1) {
		log_info("tunnel: no counters from the peer (%s); no verdict",
		    reply ? reply : "unreachable");
		return;
	}
	if (pc.absent) {
		pc.c.rx_packets = pc.c.tx_packets = 0;
		memset(&pc.c, 0, sizeof(pc.c));
	}
	counters_rule(&pc.c);
}

static void
sample_tick(void *arg)
{
	struct link_info li;
	char req[PEER_LINE_MAX];

	ev_timer_set(&sample_timer, tc->conf->delay_betweencheck * 1000ULL,
	    sample_tick, NULL);
	if (links_get(tc->links, tc->tap->tap, &li) != 0)
		return;			/* check 4 deals with a missing tap */
	sample_local.rx_packets = li.rx_packets;
	sample_local.tx_packets = li.tx_packets;
	rebind();
	if (pr.fd != -1)
		(void)probe_send(&pr);	/* an idle tunnel still shows flow */
	snprintf(req, sizeof(req), "counters %s", tc->tap->session);
	if (peer == NULL ||
	    peerchan_request(peer, req, counters_answer, NULL) == -1)
		log_debug("tunnel: peer unavailable; no counter verdict");
}

void
liveness_start(struct tapcheck *t, struct peer_chan *p, void (*w)(void),
    void (*s)(void))
{
	tc = t;
	peer = p;
	wake = w;
	save = s;
	probe_init(&pr, t->tap->tap, t->tap->session);
	quiet_ref_ms = ev_now_ms();
	if (t->conf->liveness == LIVENESS_COUNTERS) {
		ev_timer_set(&sample_timer,
		    t->conf->delay_betweencheck * 1000ULL, sample_tick, NULL);
		return;
	}
	rebind();
	probe_tick(NULL);
	ev_timer_set(&figures_timer, PROBE_FIGURES_S * 1000ULL, figures_tick,
	    NULL);
}

void
liveness_stop(void)
{
	ev_timer_cancel(&tick);
	ev_timer_cancel(&deadline);
	ev_timer_cancel(&sample_timer);
	ev_timer_cancel(&figures_timer);
	if (pr.fd != -1)
		ev_del_fd(pr.fd);
	probe_close(&pr);
}

void
liveness_tap_changed(void)
{
	if (tc != NULL && tc->conf->liveness == LIVENESS_PROBE)
		rebind();
}

void
liveness_restarted(void)
{
	path = PATH_UNKNOWN;
	restart_ms = quiet_ref_ms = ev_now_ms();
	have_rx_mark = 0;
	no_evidence_logged = 0;
	if (tc->conf->liveness == LIVENESS_COUNTERS)
		tc->tunnel_pending = 0;	/* the next rounds will tell */
}
