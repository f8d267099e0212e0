/*
 * worker: one process per tap line.  It owns its tap: runs the check rounds
 * (checks.c) when something happens — a link event from the kernel, the exit
 * of the vtund process it watches, a switch change in its data file, a
 * verdict of the liveness source — and every DELAY_BETWEENCHECK seconds.
 * It exits when its supervisor is gone.
 */
#ifndef VTUNDFIX_WORKER_H
#define VTUNDFIX_WORKER_H

#include "config.h"

/* Run the worker of TAP; never returns. */
void	 worker_main(const struct config *conf, const struct tap_conf *tap)
	    __attribute__((noreturn));

#endif
