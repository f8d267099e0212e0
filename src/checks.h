/*
 * checks: the seven checks of one tap, in the seed's order (SPEC §4), and
 * their repairs.  Each check lives in its own file, check_<name>.c; this
 * module runs them in order and stops a round at the first fault.
 *
 * A check looks, and when something is wrong and its switch is on, repairs
 * the smallest thing and says so in the log.  Repairs of one kind back off
 * exponentially while they do not help, so an unrepairable fault (underlay
 * down) cannot cause a restart storm.
 */
#ifndef VTUNDFIX_CHECKS_H
#define VTUNDFIX_CHECKS_H

#include <stdint.h>

/* The checks, in the seed's order (SPEC §4). */
enum check_id {
	CHK_CLIENT,		/* 1 client: vtund client process */
	CHK_UPLINK,		/* 2 uplink / VLAN */
	CHK_BRIDGE,		/* 3 bridge exists, up, has its ports */
	CHK_TAP,		/* 4 tap exists and is up */
	CHK_TUNNEL,		/* 5 data flows through the tunnel */
	CHK_FORWARD,		/* 6 the bridge forwards */
	CHK_LISTENER,		/* 7 server: vtund listener */
	CHK_MAX
};

enum check_state {
	CS_UNKNOWN,		/* not checked yet */
	CS_OK,
	CS_FAULT,		/* wrong, being repaired */
	CS_OFF,			/* switched off */
	CS_NA,			/* does not apply on this end */
};

enum check_result {
	CR_OK,			/* healthy: go on with the next check */
	CR_REPAIRED,		/* a repair was made: re-check after settling */
	CR_WAIT,		/* transient (vtund is connecting): re-check */
	CR_FAULT,		/* wrong and not repaired (off or backing off) */
	CR_SKIP,		/* server, tunnel down: skip the forward check */
};

struct tapcheck;

/*
 * Run one round.  Returns the number of milliseconds after which the round
 * wants to run again (a repair settling, vtund connecting), or 0 when all is
 * well and the next periodic round will do.
 */
uint64_t	 checks_round(struct tapcheck *);

/* The checks, each in its own file. */
enum check_result check_client(struct tapcheck *);
enum check_result check_uplink(struct tapcheck *);
enum check_result check_bridge(struct tapcheck *);
enum check_result check_tap(struct tapcheck *);
enum check_result check_tunnel(struct tapcheck *);
enum check_result check_forward(struct tapcheck *);
enum check_result check_listener(struct tapcheck *);

/*
 * For the checks: may a repair of kind C be made now?  Only asks: when
 * not, the fault stays, and the round (checks_round) comes back when the
 * back-off ends.
 */
int	 repair_allowed(const struct tapcheck *, enum check_id c);
/*
 * For the checks: run the round again within MS milliseconds (a repair
 * settling, an answer awaited); of several wishes in a round, the
 * earliest wins.
 */
void	 recheck_in(struct tapcheck *, uint64_t ms);
/*
 * Log one event: "CHECK: FAULT; ACTION: RESULT", record it in the data
 * file and arm the back-off of C.  OK is whether the action succeeded.
 */
void	 repair_done(struct tapcheck *, enum check_id c, const char *fault,
	    const char *action, int ok, uint64_t settle_ms);
/*
 * Record a repair whose pace another module keeps (the tunnel's restarts,
 * tunnel.c): the data file's history and counts, no log line (the state
 * change was logged), no back-off.
 */
void	 repair_record(struct tapcheck *, enum check_id c, const char *fault,
	    const char *action, int ok);
/*
 * Was a tap-related repair made (the seed mails about those) since the
 * last call?  The worker asks after each round.
 */
int	 checks_take_repaired(struct tapcheck *);
/* Set switch SW; returns whether it changed. */
int	 checks_set_switch(struct tapcheck *, int sw, int on);
/* Record that check C found a fault it does not repair now. */
void	 check_fault(struct tapcheck *, enum check_id c, const char *fault);

#endif
