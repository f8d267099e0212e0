/*
 * supervisor: the daemon's parent process (SPEC §2).  Holds the pid file
 * lock, forks one worker per tap line, respawns a dead worker at once (with
 * back-off on a crash loop), audits its workers every DELAY_PARENTCHECK,
 * re-reads the configuration on SIGHUP (keeping the old one if the new one
 * is broken) and stops everything on SIGTERM/SIGINT.
 */
#ifndef VTUNDFIX_SUPERVISOR_H
#define VTUNDFIX_SUPERVISOR_H

#include "config.h"

/*
 * Run the daemon with CONF (which it takes over).  Daemonizes unless
 * FOREGROUND.  Returns the process's exit status.
 */
int	 supervisor_main(struct config *conf, int foreground);

#endif
