/*
 * check 5 (both ends): data flows through the tunnel.
 *
 * The verdict comes from the liveness source (in-tunnel probes, or the
 * seed's counter rule) through tc->tunnel_dead.  The client restarts the
 * tunnel: first SIGHUP to its vtund client, which reconnects at once; if
 * that did not help, kill it and start a new one.  The server does not
 * restart (seed): it logs the fault and skips the bridge forwarding check.
 * After a restart the check stays in fault until liveness sees flow again,
 * so "healthy again" means traffic, not merely a signal sent.
 */
#include <signal.h>
#include <stdio.h>

#include "checks.h"
#include "links.h"
#include "liveness.h"
#include "log.h"

#define RESTART_SETTLE_MS	1000

static enum check_result
restart_client(struct tapcheck *tc, const char *fault)
{
	char action[100];
	int sig, ok;

	if (!repair_allowed(tc, CHK_TUNNEL)) {
		check_fault(tc, CHK_TUNNEL, fault);
		return CR_FAULT;
	}
	/* SIGHUP first; a second failure in a row gets the client killed
	 * (check 1 then starts a new one). */
	sig = tc->backoff[CHK_TUNNEL].failures == 0 ? SIGHUP : SIGTERM;
	ok = tc->watched_pid > 0 && kill(tc->watched_pid, sig) == 0;
	snprintf(action, sizeof(action), "%s vtund client %d",
	    sig == SIGHUP ? "sent SIGHUP to" : "killed", (int)tc->watched_pid);
	tc->tunnel_dead = 0;		/* a fresh verdict is needed */
	tc->tunnel_pending = 1;		/* until flow is seen again */
	liveness_restarted();
	tc->repaired = 1;		/* mail: a tap-related restart */
	repair_done(tc, CHK_TUNNEL, fault, action, ok, RESTART_SETTLE_MS);
	return CR_REPAIRED;
}

enum check_result
check_tunnel(struct tapcheck *tc)
{
	char fault[160];

	if (!tc->tunnel_dead)
		return tc->tunnel_pending ? CR_WAIT : CR_OK;
	snprintf(fault, sizeof(fault), "no data flows through %s (%s)",
	    tc->tap->tap, tc->tunnel_why[0] ? tc->tunnel_why : "liveness");
	if (tc->conf->machine == ROLE_SERVER) {
		check_fault(tc, CHK_TUNNEL, fault);
		return CR_SKIP;
	}
	return restart_client(tc, fault);
}
