/*
 * procview: the supervisor's one view of the host's vtund processes
 * (issue 15), so that no worker scans /proc.
 *
 * A full scan of /proc happens at start, on the periodic round (every
 * DELAY_BETWEENCHECK) and after the kernel's proc connector overran; in
 * between, the connector's exec, fork and exit events keep the view up to
 * date (exec of the VTUND file, forks of known vtund processes, exits).
 * The connector needs CAP_NET_ADMIN and works only in the initial network,
 * user and PID namespaces (SPEC §11); elsewhere (a lab namespace, a
 * container) a worker that needs the whole truth asks for a fresh answer,
 * and all such requests within PROCVIEW_COALESCE_MS share one scan.
 *
 * Titles change without an event (connecting, connected, closing), so the
 * processes an answer names are re-read then: the cost of a query is the
 * session's own processes, not the host's.
 */
#ifndef VTUNDFIX_PROCVIEW_H
#define VTUNDFIX_PROCVIEW_H

#include "processes.h"

#define PROCVIEW_COALESCE_MS	20
#define PROCVIEW_MAX_ANSWER	16	/* processes in one answer */

/* After procs_init(VTUND): the first scan, and the connector if allowed. */
int	 procview_start(void);
void	 procview_stop(void);
/* The periodic round: a full scan. */
void	 procview_scan(void);

/*
 * The vtund processes of SESSION on the CLIENT side (1) or the server side
 * (0); SESSION "" is the listener.  FRESH: the answer must include any
 * process that exists now (a scan, unless the connector sees everything).
 * CB is called once, perhaps at once.
 */
typedef void (*procview_cb)(const struct vtund_proc *p, int n, void *arg);
void	 procview_query(const char *session, int client, int fresh,
	    procview_cb cb, void *arg);

/* A new vtund process got its title: CB(session) tells its worker. */
void	 procview_on_new(void (*cb)(const char *session, int client));

struct procview_stats {
	unsigned long	 scans, events, overruns, queries;
	int		 connector;	/* events are arriving */
	size_t		 known;		/* processes in the view */
};
void	 procview_stats(struct procview_stats *);

#endif
