/*
 * ctlclient: the asking side of the control socket (control.h), for the
 * programs that are not the daemon: the relay `vtundfix peer`, `vtundfix
 * status`, `vtundfix on|off` and vtundctl.  One request line, one reply
 * line (a table for "status text": lines up to one that is ".").
 */
#ifndef VTUNDFIX_CTLCLIENT_H
#define VTUNDFIX_CTLCLIENT_H

#include <stddef.h>

#define CTL_TIMEOUT_MS	10000

struct ctl_conn;

/*
 * Connect to PATH.  NULL with errno (ENOENT or ECONNREFUSED: the daemon
 * does not run) and a message in ERR.  HELLO: shake hands first.
 */
struct ctl_conn *ctl_connect(const char *path, int hello, char *err,
	    size_t errlen);
/* Send REQUEST; its reply line into REPLY.  0 ok, 1 err, -1 failure. */
int	 ctl_call(struct ctl_conn *, const char *request, char *reply,
	    size_t len);
/* The next line of a multi-line reply; 1, 0 at ".", -1 failure. */
int	 ctl_line(struct ctl_conn *, char *line, size_t len);
void	 ctl_close(struct ctl_conn *);

#endif
