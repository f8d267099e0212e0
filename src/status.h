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

#endif
