/*
 * control: the running daemon's control socket (SPEC §7, CONTROL_SOCKET),
 * after OpenBSD ntpd/bgpd's control.c.  `vtundfix peer` (the peer account,
 * started by sshd), `vtundfix status`, `vtundfix on|off` and vtundctl ask
 * here; nothing else of the daemon is touched by them.
 *
 * The socket is a stream of request and reply lines (the peer protocol,
 * docs/peer-protocol.md), owned root:USER with mode 0660.  The caller's
 * credentials (SO_PEERCRED) give its scope (scope.h), which every request
 * is checked against before the session's worker acts; requests outside it
 * get "err SESSION: not allowed for this peer" and change nothing.
 * Bounded: lines of PEER_LINE_MAX bytes, CONTROL_RATE requests a second,
 * CONTROL_IDLE_MS without a request, CONTROL_PER_TENANT connections per
 * tenant, and in all one per tap (a hub's every site keeps its relay
 * connected) plus CONTROL_SPARE.
 */
#ifndef VTUNDFIX_CONTROL_H
#define VTUNDFIX_CONTROL_H

#include "config.h"

#define CONTROL_SPARE		256
#define CONTROL_PER_TENANT	4
#define CONTROL_RATE		20
#define CONTROL_IDLE_MS		(10 * 60 * 1000)
#define CONTROL_ERRORS_MAX	16

/* Create and listen; 0, or -1 with the reason logged. */
int	 control_open(const struct config *conf);
/* The configuration changed (the socket stays). */
void	 control_reload(const struct config *conf);
void	 control_close(void);
/* TAP's worker told a change of its switches: tell the watching callers. */
void	 control_switches_changed(const struct tap_conf *tap);

#endif
