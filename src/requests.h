/*
 * requests: what a worker answers about its own session, for the peer
 * protocol's verbs (docs/peer-protocol.md) that the supervisor has already
 * checked the asker may use: counters, switches, set, reset, probe, lock,
 * end.  The reply is one line ("ok ..." or "err ...").
 *
 * "end" takes time (the server's old session is signalled and its lock
 * watched, at most about a second): its reply comes later, through the
 * callback; every other reply is immediate.
 */
#ifndef VTUNDFIX_REQUESTS_H
#define VTUNDFIX_REQUESTS_H

#include <stddef.h>
#include <stdint.h>

#include "tapcheck.h"
#include "peer.h"

typedef void (*request_done)(uint32_t id, const char *reply);

/*
 * Answer REQ.  1: the reply is in REPLY.  0: it follows through DONE with
 * ID.  Changes to the switches are made in TC and saved by the caller
 * (tc->df_dirty), and *CHANGED is set so a round runs.
 */
int	 requests_answer(struct tapcheck *tc, const struct peer_request *req,
	    char *reply, size_t len, int *changed, request_done done,
	    uint32_t id);
void	 requests_stop(void);

#endif
