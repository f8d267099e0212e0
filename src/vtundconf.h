/*
 * vtundconf: read vtund's own configuration (vtund.conf) far enough to
 * check what the seed requires of every session vtundfix looks after
 * (SPEC §3, `vtundfix -t`): the session exists, its device is the
 * configured tap, `persist yes` and `multi killold`.
 *
 * Values in vtund's `default { ... }` section apply to every session that
 * does not set them itself, as in vtund.
 */
#ifndef VTUNDFIX_VTUNDCONF_H
#define VTUNDFIX_VTUNDCONF_H

#include <stdio.h>

#include "config.h"

struct vtund_session {
	char	 name[SESSION_MAX];
	char	 device[IFNAMSIZ];	/* "" when not set */
	char	 persist[16];		/* "yes", "keep", "no" or "" */
	char	 multi[16];		/* "killold", "yes", "no" or "" */
	int	 line;
};

struct vtundconf {
	char	 path[PATH_MAX];
	struct vtund_session *sessions;
	size_t	 nsessions;
};

/* 0, or -1 with "FILE:LINE: message" in ERR. */
int	 vtundconf_load(const char *path, struct vtundconf *vc, char *err,
	    size_t errlen);
void	 vtundconf_free(struct vtundconf *vc);
const struct vtund_session *vtundconf_find(const struct vtundconf *vc,
	    const char *name);

/*
 * Report on OUT, per tap of CONF, whether its session meets the seed's
 * requirements.  Returns the number of problems found (0: all good).
 */
int	 vtundconf_report(const struct config *conf,
	    const struct vtundconf *vc, FILE *out);

#endif
