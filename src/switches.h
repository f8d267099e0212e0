/*
 * switches: the seed's `vtundfix on|off` command (SPEC §6).
 *
 *	vtundfix on|off [tapN|vlanVID|VID] [local|remote|both]
 *	    [service|tap|vlan|bridge|br|listener|all]
 *
 * Defaults: every tap, both ends, every switch.  The words may come in any
 * order; each names its kind unambiguously.  Local switches are written to
 * the data files, where the running worker sees them within a second.
 */
#ifndef VTUNDFIX_SWITCHES_H
#define VTUNDFIX_SWITCHES_H

#include <stdio.h>

#include "config.h"
#include "datafile.h"

enum scope {
	SCOPE_LOCAL = 1,
	SCOPE_REMOTE = 2,
	SCOPE_BOTH = 3,
};

struct switch_request {
	int		 on;			/* 1 on, 0 off */
	const struct tap_conf *tap;		/* NULL: every tap */
	enum scope	 scope;
	int		 sw[SW_MAX];		/* which to change */
};

/*
 * Parse the words after "on"/"off".  0, or -1 with a message in ERR
 * (the caller prints it and the usage, exit 2).
 */
int	 switches_parse(const struct config *conf, int on, int argc,
	    char *argv[], struct switch_request *req, char *err, size_t errlen);

/*
 * Apply REQ to the local data files, reporting each change on OUT.
 * 0, or -1 after reporting the failure on stderr.
 */
int	 switches_apply_local(const struct config *conf,
	    const struct switch_request *req, FILE *out);

/* Set switch SW of TAP to ON in the local data file; 0 or -1 (errno). */
int	 switches_set(const struct config *conf, const char *tap,
	    enum switch_id sw, int on);

#endif
