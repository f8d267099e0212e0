/*
 * check 5 (both ends): data flows through the tunnel.
 *
 * The verdict comes from the liveness source (in-tunnel probes, or the
 * seed's counter rule) through tc->tunnel_dead.  The client restarts the
 * tunnel: first SIGHUP to its vtund client, which reconnects at once; if
 * that did not help, kill it and start a new one.  The server does not
 * restart (seed): it logs the fault and skips the bridge forwarding check.
 * Before either, the server is asked (peer channel) to end its old session
 * at once; else the client's reconnect would find it still there and
 * `killold` would sleep half a second, or more for a stopped session.
 * After a restart the check stays in fault until liveness sees flow again,
 * so "healthy again" means traffic, not merely a signal sent.
 */
#include <signal.h>
#include <stdio.h>

#include "checks.h"
#include "event.h"
#include "links.h"
#include "liveness.h"
#include "log.h"

#define RESTART_SETTLE_MS	1000
#define SESSION_END_WAIT_MS	2000	/* the server takes at most ~1 s */

/*
 * First step: ask the server (the worker sends "end SESSION" on the peer
 * channel) to end its old session now, and wait for its answer.
 */
static enum check_result
end_server_session(struct tapcheck *tc, const char *fault)
{
	tc->session_end_until = ev_now_ms() + SESSION_END_WAIT_MS;
	tc->session_end_answered = tc->server_session_ended = 0;
	tc->ask_session_end = 1;
	tc->tunnel_pending = 1;		/* until flow is seen again */
	tc->repaired = 1;		/* mail: a tap-related restart */
	repair_done(tc, CHK_TUNNEL, fault, "asked the server to end its "
	    "session", 1, SESSION_END_WAIT_MS);
	return CR_REPAIRED;
}

/* Second step, once the server answered (or did not in time). */
static enum check_result
signal_client(struct tapcheck *tc)
{
	/* SIGHUP first; a second failure in a row gets the client killed
	 * (check 1 then starts a new one). */
	int sig = tc->backoff[CHK_TUNNEL].failures <= 1 ? SIGHUP : SIGTERM;
	int ok = tc->watched_pid > 0 && kill(tc->watched_pid, sig) == 0;

	log_info("tunnel: %s%s vtund client %d: %s",
	    tc->server_session_ended ? "the server ended its session; " : "",
	    sig == SIGHUP ? "sent SIGHUP to" : "killed", (int)tc->watched_pid,
	    ok ? "ok" : "failed");
	tc->session_end_until = 0;
	tc->tunnel_dead = 0;		/* a fresh verdict is needed */
	tc->tunnel_pending = 1;
	liveness_restarted();
	tc->settle_ms = RESTART_SETTLE_MS;
	return CR_REPAIRED;
}

static enum check_result
restart_client(struct tapcheck *tc, const char *fault)
{
	uint64_t now = ev_now_ms();

	if (tc->session_end_until == 0) {
		if (!repair_allowed(tc, CHK_TUNNEL)) {
			check_fault(tc, CHK_TUNNEL, fault);
			return CR_FAULT;
		}
		return end_server_session(tc, fault);
	}
	if (!tc->session_end_answered && now < tc->session_end_until) {
		tc->settle_ms = tc->session_end_until - now;
		return CR_WAIT;
	}
	return signal_client(tc);
}

enum check_result
check_tunnel(struct tapcheck *tc)
{
	char fault[160];

	if (!tc->tunnel_dead) {
		tc->session_end_until = 0;	/* flows again: ask anew */
		return tc->tunnel_pending ? CR_WAIT : CR_OK;
	}
	snprintf(fault, sizeof(fault), "no data flows through %s (%s)",
	    tc->tap->tap, tc->tunnel_why[0] ? tc->tunnel_why : "liveness");
	if (tc->conf->machine == ROLE_SERVER) {
		check_fault(tc, CHK_TUNNEL, fault);
		return CR_SKIP;
	}
	return restart_client(tc, fault);
}
