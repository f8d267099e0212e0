/*
 * tapcheck: what the checks of one tap know between rounds.  Each field
 * has one writer, named beside it; everyone else only reads.
 */
#ifndef VTUNDFIX_TAPCHECK_H
#define VTUNDFIX_TAPCHECK_H

#include <stdint.h>
#include <sys/types.h>

#include "checks.h"
#include "config.h"
#include "datafile.h"
#include "processes.h"
#include "tunnel.h"

struct links;

struct backoff {
	unsigned	 failures;	/* repairs in a row that did not help */
	uint64_t	 not_before;	/* ms, CLOCK_MONOTONIC */
};

struct tapcheck {
	const struct config	*conf;		/* worker */
	const struct tap_conf	*tap;		/* worker */
	struct links		*links;		/* worker */
	/*
	 * The data file: checks.c writes the checks' states, history and
	 * switches (checks_set_switch), datapath.c the counter rule's
	 * previous values; whoever changed it sets df_dirty, the worker
	 * saves it and clears df_dirty.
	 */
	struct datafile		 df;
	char			 datafile[4200];/* worker */
	int			 df_dirty;
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
	int			 repaired;	/* checks.c: a tap-related repair to
						 * mail about (checks_take_repaired) */
	uint64_t		 settle_ms;	/* checks.c (recheck_in) */
	uint64_t		 trigger_ms;	/* worker */
	int			 full_scan;	/* worker: check 1 looks at every
						 * process this round */
	uint64_t		 fault_ms[CHK_MAX];/* checks.c */
	uint64_t		 fault_trigger_ms[CHK_MAX];/* checks.c */
};

#endif
