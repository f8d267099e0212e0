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
#include <sys/types.h>

#include "config.h"
#include "datafile.h"

struct links;

enum check_result {
	CR_OK,			/* healthy: go on with the next check */
	CR_REPAIRED,		/* a repair was made: re-check after settling */
	CR_WAIT,		/* transient (vtund is connecting): re-check */
	CR_FAULT,		/* wrong and not repaired (off or backing off) */
	CR_SKIP,		/* server, tunnel down: skip the forward check */
};

struct backoff {
	unsigned	 failures;	/* repairs in a row that did not help */
	uint64_t	 not_before;	/* ms, CLOCK_MONOTONIC */
};

struct tapcheck {
	const struct config	*conf;
	const struct tap_conf	*tap;
	struct links		*links;
	struct datafile		 df;		/* switches and history */
	char			 datafile[4200];
	int			 df_dirty;	/* to be written */
	struct backoff		 backoff[CHK_MAX];
	pid_t			 watched_pid;	/* vtund process to watch */
	int			 client_connecting;/* client has no session */
	int			 client_closing;/* and its last one ended */
	int			 client_sleeping;/* between two attempts */
	uint64_t		 connecting_since;/* ms, 0 if connected */
	pid_t			 started_pid;	/* client started last */
	uint64_t		 started_ms;	/* and when */
	uint64_t		 session_wait_from;/* ms: client gone, the server's */
	uint64_t		 session_wait_until;/* old session still ending */
	int			 ask_session_lock;/* worker: ask the peer */
	uint64_t		 session_end_until;/* ms: asked the server to end */
	int			 session_end_answered;/* its session; it answered */
	int			 server_session_ended;/* and ended it */
	int			 ask_session_end;/* worker: ask the peer */
	int			 tunnel_dead;	/* liveness says no data flows */
	int			 tunnel_pending;/* restarted, no flow seen yet */
	char			 tunnel_why[100];/* and why it says so */
	struct counters		 fwd_uplink, fwd_tap;/* check 6's samples */
	uint64_t		 fwd_sampled;	/* ms, 0 if none */
	int			 peer_service_off;/* the peer switched us off */
	int			 repaired;	/* a restart to mail about */
	char			 fault_msg[256];/* this round's fault */
	uint64_t		 settle_ms;	/* wanted re-check delay */
	uint64_t		 trigger_ms;	/* event that started the round */
	uint64_t		 fault_ms[CHK_MAX];/* first seen, 0 if healthy */
	uint64_t		 fault_trigger_ms[CHK_MAX];
};

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
 * For the checks: may a repair of kind C be made now?  If not, the fault
 * stays and a re-check is asked for when the back-off ends.
 */
int	 repair_allowed(struct tapcheck *, enum check_id c);
/*
 * Log one event: "CHECK: FAULT; ACTION: RESULT", record it in the data
 * file and arm the back-off of C.  OK is whether the action succeeded.
 */
void	 repair_done(struct tapcheck *, enum check_id c, const char *fault,
	    const char *action, int ok, uint64_t settle_ms);
/* Record that check C found a fault it does not repair now. */
void	 check_fault(struct tapcheck *, enum check_id c, const char *fault);

#endif
