/*
 * check 4: the tap exists and is up.
 *
 * vtund creates the tap when a session starts and removes it when the
 * session ends.  A tap that is down ends vtund's session at the next frame
 * and vtund then sleeps 5 s, so a down tap is brought up at once, on either
 * end.  On the client a missing tap means the client is connecting: it is
 * already retrying, but between attempts it sleeps 5 s and ignores SIGHUP
 * (vtund 3.0.4 catches SIGHUP only once connected).  So when it sleeps
 * (in nanosleep, not in network I/O: a connect or an authentication in
 * progress is never interrupted; the server may be waiting for `killold`),
 * it is stopped and check 1 starts a fresh one at once, which connects
 * without the sleep; with back-off, so a server that refuses is not
 * hammered.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "checks.h"
#include "event.h"
#include "links.h"
#include "log.h"

#define LINK_SETTLE_MS		50
#define CONNECT_POLL_MS		250
#define SLEEP_PATIENCE_MS	100	/* it sleeps 5 s: do not wait for it */

static enum check_result
nudge_client(struct tapcheck *tc)
{
	char fault[128], action[64];
	uint64_t now = ev_now_ms();
	int ok;

	if (tc->connecting_since == 0)
		tc->connecting_since = now;
	/* Look again as soon as patience ends, then every CONNECT_POLL_MS. */
	tc->settle_ms = now - tc->connecting_since < SLEEP_PATIENCE_MS ?
	    SLEEP_PATIENCE_MS - (now - tc->connecting_since) : CONNECT_POLL_MS;
	if (!tc->client_sleeping || now - tc->connecting_since <
	    SLEEP_PATIENCE_MS || !repair_allowed(tc, CHK_TAP))
		return CR_WAIT;
	snprintf(fault, sizeof(fault), "no tunnel for %.1f s: the vtund "
	    "client sleeps before its next attempt",
	    (now - tc->connecting_since) / 1000.0);
	ok = tc->watched_pid > 0 && kill(tc->watched_pid, SIGTERM) == 0;
	snprintf(action, sizeof(action), "stopped vtund client %d to "
	    "reconnect at once", (int)tc->watched_pid);
	tc->repaired = 1;		/* mail: a tap-related restart */
	repair_done(tc, CHK_TAP, fault, action, ok, CONNECT_POLL_MS);
	return CR_REPAIRED;
}

enum check_result
check_tap(struct tapcheck *tc)
{
	struct link_info li;
	char fault[100], action[100];
	int err;

	err = links_get(tc->links, tc->tap->tap, &li);
	if (err == LINKS_NOTFOUND) {
		if (tc->conf->machine == ROLE_CLIENT && tc->client_connecting)
			return nudge_client(tc);
		if (tc->conf->machine == ROLE_SERVER)
			return CR_SKIP;	/* no session; the listener runs */
		tc->settle_ms = CONNECT_POLL_MS;	/* vtund creating it */
		return CR_WAIT;
	}
	tc->connecting_since = 0;
	if (err != 0) {
		log_warnx("tap: %s: %s", tc->tap->tap, links_strerror(err));
		return CR_OK;
	}
	if (li.admin_up)
		return CR_OK;
	snprintf(fault, sizeof(fault), "%s is down", tc->tap->tap);
	if (!repair_allowed(tc, CHK_TAP)) {
		check_fault(tc, CHK_TAP, fault);
		return CR_FAULT;
	}
	err = links_set_up(tc->links, tc->tap->tap);
	snprintf(action, sizeof(action), "set %s up%s%s", tc->tap->tap,
	    err ? ": " : "", err ? links_strerror(err) : "");
	tc->repaired = 1;
	repair_done(tc, CHK_TAP, fault, action, err == 0, LINK_SETTLE_MS);
	return CR_REPAIRED;
}
