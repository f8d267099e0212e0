/*
 * check 5 (both ends): data flows through the tunnel.
 *
 * The verdict and the restarts are the tunnel's state machine's
 * (tunnel.c, SPEC §5): alive while anything arrives, dead only on positive
 * evidence, never restarted when restarting cannot help.  This check is
 * where its decisions that touch vtund are taken, so that they follow the
 * seed's order (a missing bridge or tap is repaired first) and obey the
 * switches.  The server never restarts (seed): a broken tunnel is logged
 * and the bridge forwarding check skipped.
 */
#include <stdio.h>

#include "tapcheck.h"
#include "clock.h"
#include "tunnel.h"

enum check_result
check_tunnel(struct tapcheck *tc)
{
	char fault[300];
	int r = tunnel_input(&tc->tunnel, TI_CHECK, NULL, clock_ms());

	recheck_in(tc, tc->tunnel.settle_ms);
	if (r == CR_FAULT || r == CR_SKIP) {
		snprintf(fault, sizeof(fault), "%s: %s",
		    tunnel_state_name(tc->tunnel.state), tc->tunnel.why);
		check_fault(tc, CHK_TUNNEL, fault);
	}
	return (enum check_result)r;
}
