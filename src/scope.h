/*
 * scope: which sessions a caller of the control socket may touch (SPEC §7).
 *
 * Root may touch every session.  The peer account (USER) may touch only
 * its own: the sessions named by `vtundfix peer --session NAME[,NAME...]`
 * in the key's forced command, else those whose configured peer address (a
 * server tap's client ip, SERVER on a client) is the source address of its
 * ssh connection (SSH_CONNECTION).  Both are read from the calling process
 * itself (/proc/PID/cmdline and /proc/PID/environ, the pid from
 * SO_PEERCRED), never from anything it sends.  Anyone else: nothing.
 */
#ifndef VTUNDFIX_SCOPE_H
#define VTUNDFIX_SCOPE_H

#include <stddef.h>
#include <sys/types.h>

#include "config.h"

struct scope {
	int	 all;			/* root */
	char	 sessions[1024];	/* "a,b,c" from --session, or "" */
	char	 source[64];		/* the ssh source address, or "" */
	char	 key[1100];		/* what identifies this tenant */
};

/*
 * Work out the scope of the process PID running as UID.  0, or -1 with a
 * reason in ERR (the caller is refused).
 */
int	 scope_of(const struct config *conf, pid_t pid, uid_t uid,
	    uid_t peer_uid, struct scope *sc, char *err, size_t errlen);
/* May SC touch TAP's session? */
int	 scope_allows(const struct config *conf, const struct scope *sc,
	    const struct tap_conf *tap);
/* Parse "--session A,B" out of a NUL-separated command line. */
int	 scope_sessions_from_cmdline(const char *cmdline, size_t len,
	    char *out, size_t outlen);
/* The first word of SSH_CONNECTION in a NUL-separated environment. */
int	 scope_source_from_environ(const char *env, size_t len, char *out,
	    size_t outlen);
/* Do the address literals or names A and B name the same host? */
int	 scope_same_host(const char *a, const char *b);

#endif
