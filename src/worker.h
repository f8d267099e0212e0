/*
 * worker: one process per tap line.  It owns its tap: runs the check rounds
 * (checks.c) when something happens — a link event handed on by the
 * supervisor, the exit of the vtund process it watches, a control request,
 * a decision of the tunnel state machine — and every DELAY_BETWEENCHECK
 * seconds.  FD is its socket to the supervisor (msg.h).  It exits when its
 * supervisor is gone.
 */
#ifndef VTUNDFIX_WORKER_H
#define VTUNDFIX_WORKER_H

#include "config.h"

/* Run the worker of TAP; never returns. */
void	 worker_main(const struct config *conf, const struct tap_conf *tap,
	    int fd)
	    __attribute__((noreturn));

#endif
