/*
 * ctlclient: the asking side of the control socket (control.h), for the
 * programs that are not the daemon: the relay `vtundfix peer`, `vtundfix
 * status`, `vtundfix on|off` and vtundctl.  One request line, one reply
 * line (a table for "status text": lines up to one that is ".").  After
 * "watch", the daemon also sends event lines (PEER_EVENT, peer.h) of its
 * own, at any time.
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
typedef void (*ctl_event_cb)(const char *line, void *arg);

/* Send REQUEST; its reply line into REPLY.  0 ok, 1 err, -1 failure. */
int	 ctl_call(struct ctl_conn *, const char *request, char *reply,
	    size_t len);
/* The same; event lines that come before the reply go to EV. */
int	 ctl_call_ev(struct ctl_conn *, const char *request, char *reply,
	    size_t len, ctl_event_cb ev, void *arg);
/* The descriptor, to wait for events on. */
int	 ctl_fd(const struct ctl_conn *);
/* It is readable: read once, give EV each complete event line.  0, or -1
 * when the daemon closed the connection (errno). */
int	 ctl_events(struct ctl_conn *, ctl_event_cb ev, void *arg);
/* The event lines read with a reply, after it: to EV, in order. */
void	 ctl_buffered_events(struct ctl_conn *, ctl_event_cb ev, void *arg);
/* The next line of a multi-line reply; 1, 0 at ".", -1 failure. */
int	 ctl_line(struct ctl_conn *, char *line, size_t len);
void	 ctl_close(struct ctl_conn *);

#endif
