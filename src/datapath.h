/*
 * datapath: one worker's evidence and actions for its tunnel's state
 * machine (tunnel.h): the in-tunnel probes (probe.h), the tap's counters
 * (links.h), vtund's TCP connection (tcpinfo.h), the server's reachability
 * (reach.h), questions to the peer, and what is done to vtund.  It owns no
 * policy: tunnel.c decides, this module fetches and acts.
 */
#ifndef VTUNDFIX_DATAPATH_H
#define VTUNDFIX_DATAPATH_H

#include <stdint.h>
#include <sys/types.h>

#include "tapcheck.h"

/*
 * Ask the peer "VERB SESSION" (and " ARGS" unless NULL); CB gets the reply
 * line or NULL.  0 or -1.
 */
typedef void (*dp_reply_cb)(const char *reply, void *arg);
typedef int (*dp_ask_fn)(const char *verb, const char *args, dp_reply_cb cb,
    void *arg);

/* What vtund.conf says of the session (vtundconf.h). */
struct dp_session {
	uint16_t	 port;		/* vtund's port (options { port }) */
	int		 udp;		/* proto udp: no TCP view of the data */
	char		 passwd[256];	/* the probe key comes from it */
};

/* REACH asks the supervisor whether "PORT HOST" answers (reachhub.h). */
int	 datapath_start(struct tapcheck *, const struct dp_session *,
	    dp_ask_fn ask, int (*reach)(const char *), void (*wake)(void));
/* The supervisor's answer to a reach question. */
void	 datapath_reach_result(int answered);
void	 datapath_stop(void);
/* The tap appeared, changed or vanished: rebind the probe socket. */
void	 datapath_tap_changed(void);
/* Is this end probing now (for the peer's "probe" question)? */
int	 datapath_probing(void);
/* Probe frames seen on / sent into the tap (check 6 discounts them). */
void	 datapath_probe_frames(uint64_t *rx, uint64_t *tx);
/*
 * On the server: the client's port of the connection process PID holds
 * for this session (1, *PORT set), 0 if there is no such view, -1 error.
 */
int	 datapath_client_port(pid_t pid, uint16_t *port);
/* Forget the counter rule's previous values (the peer's "reset"). */
void	 datapath_counters_reset(void);
/* The probe figures for status and metrics. */
struct probe_report {
	int		 valid;
	double		 rtt_ms, srtt_ms, loss;
	unsigned long	 dropped;
	char		 last_drop[80];
};
void	 datapath_report(struct probe_report *);

#endif
