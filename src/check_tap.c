/*
 * check 4: the tap exists and is up.
 *
 * vtund creates the tap when a session starts and removes it when the
 * session ends (unless `persist keep`).  A tap that is down ends vtund's
 * session at the next frame and vtund then sleeps 5 s, so a down tap is
 * brought up at once, on either end.  A missing tap on the client means the
 * client is connecting: the tunnel's state machine decides whether to wait,
 * to replace a client that sleeps between attempts, or to hold while the
 * server answers nothing (tunnel.c).  On the server there is no session.
 */
#include <stdio.h>

#include "tapcheck.h"
#include "clock.h"
#include "links.h"
#include "log.h"

#define LINK_SETTLE_MS		50

static enum check_result
to_tunnel(struct tapcheck *tc, int present, int ifindex)
{
	struct tunnel_tap t = { present, ifindex };
	int r = tunnel_input(&tc->tunnel, TI_TAP, &t, clock_ms());

	recheck_in(tc, tc->tunnel.settle_ms);
	return (enum check_result)r;
}

enum check_result
check_tap(struct tapcheck *tc)
{
	struct link_info li;
	char fault[100], action[100];
	int err;

	err = links_get(tc->links, tc->tap->tap, &li);
	if (err == LINKS_NOTFOUND)
		return to_tunnel(tc, 0, 0);
	if (err != 0) {
		log_warnx("tap: %s: %s", tc->tap->tap, links_strerror(err));
		return CR_OK;
	}
	if (!li.admin_up) {
		snprintf(fault, sizeof(fault), "%s is down", tc->tap->tap);
		if (!repair_allowed(tc, CHK_TAP)) {
			check_fault(tc, CHK_TAP, fault);
			return CR_FAULT;
		}
		err = links_set_up(tc->links, tc->tap->tap);
		snprintf(action, sizeof(action), "set %s up%s%s", tc->tap->tap,
		    err ? ": " : "", err ? links_strerror(err) : "");
		repair_done(tc, CHK_TAP, fault, action, err == 0,
		    LINK_SETTLE_MS);
		return CR_REPAIRED;
	}
	return to_tunnel(tc, 1, li.ifindex);
}
