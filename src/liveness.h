/*
 * liveness: does data flow through the tunnel?  The verdict behind check 5
 * (SPEC §5), in one of two ways:
 *
 *   probe	in-tunnel probes every PROBE_INTERVAL_MS; the path is dead
 *		after PROBE_MULTIPLIER intervals without a peer probe, but
 *		only with evidence: the peer, asked over the peer channel,
 *		says it is probing.  When the peer cannot be asked, the tap's
 *		own receive counter decides (nothing at all arrived).
 *   counters	the seed's rule: every DELAY_BETWEENCHECK the local and the
 *		peer's tap counters; working if local TX and remote RX rose,
 *		or remote TX and local RX rose; dead after two checks without.
 *		A probe frame is sent before each sample, so an idle but
 *		healthy tunnel still shows traffic.
 *
 * The verdict goes into tc->tunnel_dead / tunnel_why; after a restart,
 * tc->tunnel_pending stays set until flow is seen again.  WAKE is called
 * whenever the verdict changes, to run a check round at once.
 */
#ifndef VTUNDFIX_LIVENESS_H
#define VTUNDFIX_LIVENESS_H

#include "checks.h"

struct peer_chan;

/*
 * WAKE runs a check round at once; SAVE writes the data file (the probe
 * figures in it are refreshed every PROBE_FIGURES_S seconds).
 */
void	 liveness_start(struct tapcheck *tc, struct peer_chan *peer,
	    void (*wake)(void), void (*save)(void));
void	 liveness_stop(void);
/* The tap appeared, changed or vanished: rebind the probe socket. */
void	 liveness_tap_changed(void);
/* Check 5 restarted the tunnel: judge afresh after a grace period. */
void	 liveness_restarted(void);
#define PROBE_FIGURES_S		10

#endif
