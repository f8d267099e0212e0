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
#include "processes.h"
#include "tunnel.h"

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

/*
 * One tap's checks.  Each field has one writer, named beside it; everyone
 * else only reads.
 */
struct tapcheck {
	const struct config	*conf;		/* worker */
	const struct tap_conf	*tap;		/* worker */
	struct links		*links;		/* worker */
	struct datafile		 df;		/* checks.c, worker (switches) */
	char			 datafile[4200];/* worker */
	int			 df_dirty;	/* checks.c, worker */
	struct backoff		 backoff[CHK_MAX];/* checks.c */
	struct tunnel		 tunnel;	/* tunnel.c */
	struct vtund_proc	 client;	/* check_client.c: the one client,
						 * pid 0 if none */
	struct vtund_proc	 listener;	/* check_listener.c */
	/*
	 * The supervisor's process view (procview.h), asked through
	 * ask_procs (the worker's); its answers land in view (written by the
	 * worker only), and a check takes one by its seq.
	 */
	int			(*ask_procs)(char side, int fresh);
	struct {
		char		 side;		/* 'c' client, 'l' listener */
		int		 pending;	/* a question is out */
		unsigned	 seq;		/* answers so far */
		int		 n;
		struct vtund_proc p[16];
	} view;
	unsigned		 view_used[2];	/* the checks: seq taken, by
						 * client (0) and listener (1) */
	struct {				/* check_forward.c */
		struct counters	 uplink, tap;
		uint64_t	 probes_rx, probes_tx;
		int		 tap_ifindex;
		uint64_t	 sampled;	/* ms, 0 if none */
	} fwd;
	int			 peer_service_off;/* worker: the peer switched
						 * this session off */
	int			 repaired;	/* checks, datapath.c: a restart to
						 * mail about; worker clears it */
	uint64_t		 settle_ms;	/* checks.c and the checks */
	uint64_t		 trigger_ms;	/* worker */
	int			 full_scan;	/* worker: check 1 looks at every
						 * process this round */
	uint64_t		 fault_ms[CHK_MAX];/* checks.c */
	uint64_t		 fault_trigger_ms[CHK_MAX];/* checks.c */
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
/*
 * Record a repair whose pace another module keeps (the tunnel's restarts,
 * tunnel.c): the data file's history and counts, no log line (the state
 * change was logged), no back-off.
 */
void	 repair_record(struct tapcheck *, enum check_id c, const char *fault,
	    const char *action, int ok);
/* Record that check C found a fault it does not repair now. */
void	 check_fault(struct tapcheck *, enum check_id c, const char *fault);

#endif
