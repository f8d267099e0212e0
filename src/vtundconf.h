/*
 * vtundconf: read vtund's own configuration (vtund.conf) as vtund 3.0.4
 * reads it, far enough for `vtundfix -t` (SPEC §3) and for the daemon:
 * per session its device, persist, multi, proto, keepalive and passwd (the
 * probe key is derived from it), and the port of the `options` section.
 *
 * The rules are vtund 3.0.4's own (its cfg_file.l and cfg_file.y, and
 * checked against Debian's binary):
 *   - A session starts from the `default` section as it stands at that
 *     point of the file (a later `default` does not apply to it), except
 *     its passwd: a session without its own passwd is ignored by vtund
 *     ("Ignored incomplete session definition").
 *   - Keywords must be written in full.  vtund.conf(5) still says they
 *     can be abbreviated to 4 characters; that was vtund 2.x.  vtund 3.0.4
 *     stops reading the file at the first unknown word ("Unknown option
 *     'devi'"), so the sessions from there on are never defined.  We read
 *     a 4-character abbreviation (vtund 2.x's rule: the first 4 characters
 *     decide) for its value, and record the place as a problem.
 *   - The first `port` of `options` wins; 5000 when none.
 *   - A passwd in the `default` section makes vtund 3.0.4 abort once it
 *     has read the file ("free(): invalid pointer"): nothing runs.
 * Anything vtund 3.0.4 would refuse is recorded in `problems` (with its
 * line); the file still loads.  vtundconf_load() fails only when the file
 * cannot be read or its braces and quotes do not balance.
 *
 * A passwd is a secret: it is never printed, in a report or an error, and
 * vtundconf_free() wipes it.
 */
#ifndef VTUNDFIX_VTUNDCONF_H
#define VTUNDFIX_VTUNDCONF_H

#include <stdio.h>

#include "config.h"

#define VTUND_PORT_DEFAULT	5000
#define VTUND_PASSWD_MAX	256	/* with NUL */

enum vtund_persist {
	VTUND_PERSIST_NO,		/* vtund's default */
	VTUND_PERSIST_YES,
	VTUND_PERSIST_KEEP,		/* reconnect, and keep the tap */
};

enum vtund_multi {
	VTUND_MULTI_DENY,
	VTUND_MULTI_ALLOW,		/* vtund's default ("yes") */
	VTUND_MULTI_KILLOLD,
};

enum vtund_proto {
	VTUND_PROTO_TCP,		/* vtund's default */
	VTUND_PROTO_UDP,
};

/* Which keys a session (or the default it started from) set. */
#define VS_DEVICE	0x01
#define VS_PERSIST	0x02
#define VS_MULTI	0x04
#define VS_PROTO	0x08
#define VS_KEEPALIVE	0x10
#define VS_PASSWD	0x20

struct vtund_session {
	char	 name[SESSION_MAX];
	int	 line;			/* of its name */
	unsigned set;			/* VS_* */
	char	 device[IFNAMSIZ];	/* "" when not set */
	enum vtund_persist persist;
	enum vtund_multi multi;
	enum vtund_proto proto;
	int	 keepalive;		/* 1: echo requests on an idle link */
	unsigned ka_interval;		/* seconds (30) */
	unsigned ka_count;		/* misses before the link is dead (4) */
	char	 passwd[VTUND_PASSWD_MAX];/* "" when none: vtund ignores it */
	int	 defined;		/* vtund defines it: a passwd, and it
					   comes before any place vtund stops */
};

/* Something vtund 3.0.4 would refuse, and where. */
struct vtund_problem {
	int	 line;
	char	 msg[200];
};

struct vtundconf {
	char	 path[PATH_MAX];
	int	 port;			/* options { port N; }, else 5000 */
	struct vtund_session *sessions;	/* in file order */
	size_t	 nsessions;
	struct vtund_problem *problems;
	size_t	 nproblems;
	int	 stop_line;		/* where vtund stops reading, 0: never */
	int	 aborts;		/* vtund exits on this file: nothing
					   is defined (a default passwd) */
};

/* 0, or -1 with "FILE:LINE: message" (or "FILE: message") in ERR. */
int	 vtundconf_load(const char *path, struct vtundconf *vc, char *err,
	    size_t errlen);
/* The same, keeping only the sessions named SESSION (a worker needs its
 * own, not a hub's thousand); problems are not recorded, only where vtund
 * stops reading (stop_line). */
int	 vtundconf_load_session(const char *path, const char *session,
	    struct vtundconf *vc, char *err, size_t errlen);
/* The same from an open stream; NAME is used in messages (fuzzers). */
int	 vtundconf_read(FILE *fp, const char *name, struct vtundconf *vc,
	    char *err, size_t errlen);
/* Free what loading built and wipe the passwords. */
void	 vtundconf_free(struct vtundconf *vc);
/* The first session called NAME (vtund uses the first), or NULL. */
const struct vtund_session *vtundconf_find(const struct vtundconf *vc,
	    const char *name);

const char *vtund_persist_name(enum vtund_persist);
const char *vtund_multi_name(enum vtund_multi);
const char *vtund_proto_name(enum vtund_proto);

/*
 * Report on OUT the problems of the file, then per tap of CONF whether
 * vtund defines its session as the seed requires: `device TAP`, `persist
 * yes` (or `keep`), `multi killold`.  Returns the number of problems found
 * (0: all good).  Never prints a passwd.
 */
int	 vtundconf_report(const struct config *conf,
	    const struct vtundconf *vc, FILE *out);

#endif
