/*
 * status: `vtundfix status [--json]` — what each tap's checks found, the
 * last fault and repair, the switches, read from the data files and the pid
 * file.  The JSON form is documented in docs/status-json.md.
 */
#ifndef VTUNDFIX_STATUS_H
#define VTUNDFIX_STATUS_H

#include <stdio.h>
#include <sys/types.h>

#include "config.h"
#include "datafile.h"
#include "datapath.h"

/*
 * What a running worker reports of its tap (MSG_REPORT): what status and
 * metrics show while the daemon runs, from memory, not from files.
 */
struct tap_report {
	char		 tap[IFNAMSIZ];
	pid_t		 pid;			/* the worker */
	struct datafile	 df;
	int		 tunnel_state;		/* enum tunnel_state */
	time_t		 tunnel_since;
	char		 tunnel_why[200];
	struct probe_report probe;
	int		 peer_known;		/* the peer's switches */
	int		 peer_sw[SW_MAX];
};

/* The daemon's pid if it runs (its pid file is locked), else 0. */
pid_t	 status_daemon_pid(const struct config *conf);

/* What the other end said about a tap's switches. */
struct status_peer {
	int	 known;			/* 0: could not ask; WHY says why */
	int	 sw[SW_MAX];
	char	 why[160];
};

/*
 * Print the status of every tap; PEERS (one per tap, or NULL) adds the
 * peer's switches.  Returns 0, or 3 if the daemon is down.
 */
int	 status_print(const struct config *conf, int json,
	    const struct status_peer *peers, FILE *out);

/* A report per tap of CONF (conf->ntaps of them) from the data files. */
void	 status_reports_from_files(const struct config *conf,
	    struct tap_report *r);
/*
 * Print the N reports R (the daemon's, or from files) as a table or JSON.
 * A tap without a report is left out (not in the asker's scope); a
 * report whose tunnel_state is STATUS_NO_ANSWER stands for a worker that
 * did not answer, and -1 for a tap read from its data file.
 */
#define STATUS_NO_ANSWER	(-2)
void	 status_print_reports(const struct config *conf, pid_t pid,
	    const struct tap_report *r, size_t n, int json,
	    const struct status_peer *peers, FILE *out);
/* Text for a terminal: control characters replaced by '?'. */
void	 status_clean(const char *in, char *out, size_t len);

#endif
