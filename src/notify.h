/*
 * notify: mail a person about tap-related restarts (seed: EMAIL), through
 * MAIL_COMMAND (sendmail-compatible, message on stdin).
 *
 * Coalesced: the first restart is mailed at once, later ones within
 * NOTIFY_HOLD_S are collected into one mail with their count.  Sending never
 * blocks the worker: a child process runs the command with a time limit and
 * its failure is logged.
 */
#ifndef VTUNDFIX_NOTIFY_H
#define VTUNDFIX_NOTIFY_H

#include "config.h"

#define NOTIFY_HOLD_S	600

/* Set up for one tap's worker; needs the event loop. */
void	 notify_init(const struct config *conf, const struct tap_conf *tap);
/* A tap-related restart happened; WHAT says which. */
void	 notify_restart(const char *what);

#endif
