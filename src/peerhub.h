/*
 * peerhub: the supervisor's peer channels, one per peer host (SPEC §7):
 * every tunnel between two hosts shares one PEER_COMMAND (ssh) — a hub
 * with 1000 sites has one per site, a client with two taps to one server
 * has one.  On a client it also watches the server's switches (seed: a
 * client does not check what the server switched off): one "watch" for
 * all the tunnels to that server, after which the server tells each
 * change; each worker hears when its session's switches change.  A server
 * that cannot watch (an older vtundfix) is polled.
 */
#ifndef VTUNDFIX_PEERHUB_H
#define VTUNDFIX_PEERHUB_H

#include "config.h"
#include "peer_client.h"

#define PEERHUB_POLL_MS		5000	/* a server that cannot watch */
#define PEERHUB_CHECK_MS	60000	/* one that tells each change */

void	 peerhub_start(const struct config *conf);
/* The configuration changed: keep the channels still needed. */
void	 peerhub_reload(const struct config *conf);
void	 peerhub_stop(void);
/*
 * Ask HOST; CB gets the reply line or NULL.  0, or -1 (CB not called).
 * peerhub_ask is a person's (status): a channel backing off connects at
 * once, and the question waits for the connection up to PEER_TIMEOUT_MS.
 * peerhub_ask_now is a worker's: it keeps the back-off and never waits
 * for a connection (recovery never waits for the peer channel).
 */
int	 peerhub_ask(const char *host, const char *line, peer_reply_cb cb,
	    void *arg);
int	 peerhub_ask_now(const char *host, const char *line, peer_reply_cb cb,
	    void *arg);

#endif
