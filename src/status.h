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

/* The daemon's pid if it runs (its pid file is locked), else 0. */
pid_t	 status_daemon_pid(const struct config *conf);

/* Print the status of every tap; returns 0, or 3 if the daemon is down. */
int	 status_print(const struct config *conf, int json, FILE *out);

#endif
