/*
 * peer: the peer protocol (SPEC §7, docs/peer-protocol.md): its requests
 * and replies, parsed into typed form.
 *
 * One request per line, one reply line per request ("ok ..." or
 * "err MESSAGE").  Tunnels are named by their vtund session, which is the
 * same on both ends (tap names need not be).  Everything is bounded: lines
 * of at most PEER_LINE_MAX bytes, printable ASCII only, a partial line must
 * be completed within PEER_LINE_TIMEOUT_MS, and after PEER_ERRORS_MAX bad
 * requests in a row the server hangs up.
 */
#ifndef VTUNDFIX_PEER_H
#define VTUNDFIX_PEER_H

#include <stddef.h>

#include "config.h"
#include "datafile.h"

#define PEER_VERSION		1
#define PEER_HELLO		"vtundfix-peer"
#define PEER_LINE_MAX		256
#define PEER_REPLY_MAX		65536	/* status replies carry JSON */
#define PEER_LINE_TIMEOUT_MS	10000
#define PEER_ERRORS_MAX		16

enum peer_verb {
	PV_HELLO,		/* vtundfix-peer VERSION */
	PV_COUNTERS,		/* counters SESSION */
	PV_SWITCHES,		/* switches SESSION */
	PV_SET,			/* set SESSION SWITCH on|off */
	PV_RESET,		/* reset SESSION: forget stored counters */
	PV_PROBE,		/* probe SESSION: is this end probing */
	PV_LOCK,		/* lock SESSION: does vtund hold its lock */
	PV_END,			/* end SESSION: end the server session */
	PV_STATUS,		/* status: the JSON of `vtundfix status` */
	PV_WATCH,		/* watch: the switches, now and when they
				 * change (PEER_EVENT_SWITCHES lines) */
	PV_QUIT,
};

/*
 * After "watch", the answering end sends a line of its own whenever a
 * switch of the caller's sessions changes: PEER_EVENT_SWITCHES and what
 * follows "ok" in the reply to "switches" (the sessions with a switch off,
 * e.g. "event switches lcsr=bridge").  An event line is never a reply:
 * replies begin with "ok" or "err".
 */
#define PEER_EVENT		"event "
#define PEER_EVENT_SWITCHES	"event switches"


struct peer_request {
	enum peer_verb	 verb;
	int		 version;		/* PV_HELLO */
	char		 session[SESSION_MAX];
	enum switch_id	 sw;			/* PV_SET */
	int		 on;			/* PV_SET */
	int		 text;			/* PV_STATUS: a table */
	int		 peers;			/* and the peers' switches */
	uint16_t	 port;			/* PV_END: the client's port of
						 * the session to end; 0 any */
};

/*
 * Parse one request line (no newline).  0, or -1 with the reason in ERR.
 * Knows nothing of the configuration: the session is only checked for form.
 */
int	 peer_parse_request(const char *line, struct peer_request *req,
	    char *err, size_t errlen);

/* Replies, for the client side.  0, or -1 if the line is not such a reply. */
struct peer_counters {
	int		 absent;		/* the tap does not exist */
	struct counters	 c;
};
int	 peer_parse_counters(const char *reply, struct peer_counters *pc);
int	 peer_parse_switches(const char *reply, int sw[SW_MAX]);
/* Is LINE an event line (PEER_EVENT), not a reply? */
int	 peer_is_event(const char *line);

struct peer_probe {
	int		 running;		/* the daemon runs */
	int		 probing;		/* and its worker probes this tap */
};
int	 peer_parse_probe(const char *reply, struct peer_probe *pp);

/* "ok SESSION held=0|1": *HELD is whether the session's lock is held. */
int	 peer_parse_lock(const char *reply, int *held);

/* "ok SESSION ended=N held=0|1": how many server sessions were ended, and
 * whether the lock is still held. */
int	 peer_parse_end(const char *reply, int *ended, int *held);

#endif
