/*
 * reach: does the server answer at all?  A non-blocking TCP connect to
 * vtund's port on the server (SPEC §5): a SYN-ACK or a refusal (RST) means
 * the underlay carries packets and a restart can help; nothing within the
 * timeout means it does not (an outage), and restarting would only deepen
 * vtund's own back-off.  Attempts may overlap (one is started every half
 * second during an outage, each with its own timeout), and each ends in
 * exactly one callback.  The connection, when made, is closed at once.
 */
#ifndef VTUNDFIX_REACH_H
#define VTUNDFIX_REACH_H

#include <stdint.h>

#include "tcpinfo.h"

#define REACH_TIMEOUT_MS	1000
#define REACH_MAX		4	/* attempts at once */

struct reach;
/* STARTED: when the attempt began (monotonic ms): what it proves is as
 * of then, not before. */
typedef void (*reach_cb)(int answered, uint64_t started, void *arg);

struct reach *reach_new(const struct tcp_addrs *server, uint16_t port,
	    reach_cb cb, void *arg);
void	 reach_free(struct reach *);
/* Start one attempt; CB follows (at once if it fails to start). */
void	 reach_try(struct reach *);

#endif
