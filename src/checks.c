/*
 * checks: run the seven checks of one tap in the seed's order, keep each
 * check's state in the data file and pace the repairs.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "tapcheck.h"
#include "event.h"
#include "log.h"

#define BACKOFF_FIRST_MS	500
#define BACKOFF_MAX_MS		60000

typedef enum check_result (*check_fn)(struct tapcheck *);

struct check_def {
	enum check_id	 id;
	check_fn	 fn;
	enum switch_id	 sw;		/* the switch that turns it off */
	int		 client, server;/* runs on which end */
};

static const struct check_def check_order[CHK_MAX] = {
	{ CHK_CLIENT,	check_client,	SW_TAP,		1, 0 },
	{ CHK_UPLINK,	check_uplink,	SW_VLAN,	1, 1 },
	{ CHK_BRIDGE,	check_bridge,	SW_BRIDGE,	1, 1 },
	{ CHK_TAP,	check_tap,	SW_TAP,		1, 1 },
	{ CHK_TUNNEL,	check_tunnel,	SW_TAP,		1, 1 },
	{ CHK_FORWARD,	check_forward,	SW_BRIDGE,	1, 1 },
	{ CHK_LISTENER,	check_listener,	SW_LISTENER,	0, 1 },
};

static void
set_state(struct tapcheck *tc, enum check_id c, enum check_state s)
{
	if (tc->df.state[c] == s)
		return;
	tc->df.state[c] = s;
	tc->df.since[c] = time(NULL);
	tc->df_dirty = 1;
}

static uint64_t
backoff_delay(unsigned failures)
{
	uint64_t d = BACKOFF_FIRST_MS;

	if (failures <= 1)
		return 0;
	while (--failures > 1 && d < BACKOFF_MAX_MS)
		d *= 2;
	return d < BACKOFF_MAX_MS ? d : BACKOFF_MAX_MS;
}

/* The seed mails about tap-related restarts: the tap's and the tunnel's. */
static void
mail_worthy(struct tapcheck *tc, enum check_id c)
{
	if (c == CHK_TAP || c == CHK_TUNNEL)
		tc->repaired = 1;
}

int
repair_allowed(const struct tapcheck *tc, enum check_id c)
{
	return ev_now_ms() >= tc->backoff[c].not_before;
}

void
recheck_in(struct tapcheck *tc, uint64_t ms)
{
	if (ms == 0)
		return;
	if (tc->settle_ms == 0 || ms < tc->settle_ms)
		tc->settle_ms = ms;
}

/* A fault waits for its back-off: come back when that ends. */
static void
recheck_backoffs(struct tapcheck *tc)
{
	uint64_t now = ev_now_ms();
	int c;

	for (c = 0; c < CHK_MAX; c++)
		if (tc->df.state[c] == CS_FAULT &&
		    tc->backoff[c].not_before > now)
			recheck_in(tc, tc->backoff[c].not_before - now);
}

void
repair_done(struct tapcheck *tc, enum check_id c, const char *fault,
    const char *action, int ok, uint64_t settle_ms)
{
	struct backoff *b = &tc->backoff[c];
	uint64_t delay;

	b->failures++;
	delay = backoff_delay(b->failures);
	b->not_before = ev_now_ms() + delay;
	log_info("%s: %s; %s: %s", check_name(c), fault, action,
	    ok ? "ok" : "failed");
	if (delay > 0)
		log_info("%s: %u repairs in a row did not last, next one "
		    "not before %.1f s", check_name(c), b->failures,
		    delay / 1000.0);
	repair_record(tc, c, fault, action, ok);
	recheck_in(tc, settle_ms);
}

void
repair_record(struct tapcheck *tc, enum check_id c, const char *fault,
    const char *action, int ok)
{
	set_state(tc, c, CS_FAULT);
	tc->df.fault_time = tc->df.repair_time = time(NULL);
	snprintf(tc->df.fault, sizeof(tc->df.fault), "%s: %s",
	    check_name(c), fault);
	snprintf(tc->df.repair, sizeof(tc->df.repair), "%s: %s: %s",
	    check_name(c), action, ok ? "ok" : "failed");
	tc->df.repairs[c]++;
	tc->df_dirty = 1;
	mail_worthy(tc, c);
}

int
checks_take_repaired(struct tapcheck *tc)
{
	int r = tc->repaired;

	tc->repaired = 0;
	return r;
}

int
checks_set_switch(struct tapcheck *tc, int sw, int on)
{
	if (sw < 0 || sw >= SW_MAX || tc->df.sw[sw] == on)
		return 0;
	tc->df.sw[sw] = on;
	tc->df_dirty = 1;
	return 1;
}

void
check_fault(struct tapcheck *tc, enum check_id c, const char *fault)
{
	char msg[sizeof(tc->df.fault)];

	snprintf(msg, sizeof(msg), "%s: %s", check_name(c), fault);
	if (tc->df.state[c] != CS_FAULT || strcmp(msg, tc->df.fault) != 0) {
		log_info("%s: %s; not repaired", check_name(c), fault);
		tc->df.fault_time = time(NULL);
		snprintf(tc->df.fault, sizeof(tc->df.fault), "%s", msg);
		tc->df_dirty = 1;
	}
	set_state(tc, c, CS_FAULT);
}

static int
applies(const struct tapcheck *tc, const struct check_def *d)
{
	return tc->conf->machine == ROLE_CLIENT ? d->client : d->server;
}

static int
switched_off(const struct tapcheck *tc, const struct check_def *d)
{
	return !tc->df.sw[SW_SERVICE] || !tc->df.sw[d->sw] ||
	    tc->peer_service_off;
}

/* Remember when check C first failed, and what revealed it. */
static void
fault_seen(struct tapcheck *tc, enum check_id c)
{
	if (tc->fault_ms[c] != 0)
		return;
	tc->fault_ms[c] = ev_now_ms();
	tc->fault_trigger_ms[c] = tc->trigger_ms ? tc->trigger_ms :
	    tc->fault_ms[c];
}

/* Check C is healthy: if it had failed, account how long that took. */
static void
fault_cleared(struct tapcheck *tc, enum check_id c)
{
	struct latency *l = &tc->df.latency[c];
	uint64_t now = ev_now_ms();

	tc->backoff[c].failures = 0;
	if (tc->fault_ms[c] == 0)
		return;
	l->count++;
	l->detect_ms_last = tc->fault_ms[c] - tc->fault_trigger_ms[c];
	l->recover_ms_last = now - tc->fault_ms[c];
	l->detect_ms_sum += l->detect_ms_last;
	l->recover_ms_sum += l->recover_ms_last;
	tc->fault_ms[c] = 0;
	tc->df_dirty = 1;
	log_info("%s: healthy again after %.3f s (detected in %.3f s)",
	    check_name(c), l->recover_ms_last / 1000.0,
	    l->detect_ms_last / 1000.0);
}

uint64_t
checks_round(struct tapcheck *tc)
{
	const struct check_def *d;
	enum check_result r;
	int skip_forward = 0;

	tc->settle_ms = 0;
	for (d = check_order; d < check_order + CHK_MAX; d++) {
		if (!applies(tc, d)) {
			set_state(tc, d->id, CS_NA);
			continue;
		}
		if (switched_off(tc, d)) {
			set_state(tc, d->id, CS_OFF);
			continue;
		}
		if (d->id == CHK_FORWARD && skip_forward)
			continue;
		r = d->fn(tc);
		if (r == CR_OK) {
			fault_cleared(tc, d->id);
			set_state(tc, d->id, CS_OK);
			continue;
		}
		if (r == CR_REPAIRED || r == CR_FAULT)
			fault_seen(tc, d->id);
		if (r == CR_SKIP) {
			/* Server, no data flow: seed skips the bridge check. */
			skip_forward = 1;
			continue;
		}
		break;
	}
	recheck_backoffs(tc);
	return tc->settle_ms;
}
