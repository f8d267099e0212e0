/*
 * relay: `vtundfix peer` — the other end's questions, relayed (SPEC §7).
 *
 * sshd starts it as the unprivileged peer account, through the key's
 * forced command (`vtundfix peer --session NAME`).  It reads requests on
 * stdin with the peer protocol's bounds (lines of PEER_LINE_MAX printable
 * bytes, a partial line completed within PEER_LINE_TIMEOUT_MS, a hang-up
 * after PEER_ERRORS_MAX bad requests in a row or RELAY_IDLE_MS without
 * one), and hands every well-formed one to the running daemon's control
 * socket, which works out what this caller may touch from the caller
 * itself.  It reads and writes no file of the daemon.  While the daemon
 * does not run, it answers itself: "probe" says running=0 (so the far end
 * knows there is no evidence here), everything else an error.
 */
#ifndef VTUNDFIX_RELAY_H
#define VTUNDFIX_RELAY_H

#define RELAY_IDLE_MS	(10 * 60 * 1000)

/* Serve IN/OUT until EOF, "quit", too many errors or idleness.  Exit code. */
int	 relay_serve(const char *control, int in, int out);

#endif
