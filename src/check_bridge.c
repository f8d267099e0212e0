/*
 * check 3 (both ends): the bridge exists, is up, and has the uplink and the
 * tap as ports.
 *
 * The smallest thing wrong is repaired: a missing port is added (or moved
 * off a wrong bridge), a down bridge is brought up, a missing bridge is
 * created with its ports.  A healthy bridge is never torn down.  The tap is
 * a required port only while it exists: vtund creates it with the session.
 * A missing uplink is a fault of the bridge too; the uplink check (2) makes
 * it, or, while its switch is off, nothing does and the fault stays.
 */
#include <stdio.h>
#include <string.h>

#include "tapcheck.h"
#include "links.h"
#include "log.h"

#define LINK_SETTLE_MS	50

struct fixes {
	char	 fault[200];
	char	 action[200];
	int	 err;
};

static void
append(char *buf, size_t len, const char *text)
{
	size_t used = strlen(buf);

	snprintf(buf + used, len - used, "%s%s", used ? ", " : "", text);
}

static void
note(struct fixes *f, const char *fault, const char *action, int err)
{
	char msg[120];

	append(f->fault, sizeof(f->fault), fault);
	snprintf(msg, sizeof(msg), "%s%s%s", action, err ? ": " : "",
	    err ? links_strerror(err) : "");
	append(f->action, sizeof(f->action), msg);
	if (err && !f->err)
		f->err = err;
}

/* Make NAME a port of the bridge if it exists and is not one. */
static void
fix_port(struct tapcheck *tc, const char *name, int required,
    struct fixes *f)
{
	const char *br = tc->tap->bridge;
	struct link_info li;
	char fault[100], action[100];

	if (links_get(tc->links, name, &li) != 0) {
		if (required) {
			snprintf(fault, sizeof(fault), "%s missing", name);
			append(f->fault, sizeof(f->fault), fault);
		}
		return;
	}
	if (strcmp(li.master, br) == 0)
		return;
	if (li.master[0])
		snprintf(fault, sizeof(fault), "%s on %s, not on %s", name,
		    li.master, br);
	else
		snprintf(fault, sizeof(fault), "%s not on %s", name, br);
	snprintf(action, sizeof(action), "added %s to %s", name, br);
	note(f, fault, action, links_set_master(tc->links, name, br));
}

/* NAME is a port of the bridge, or does not exist (yet) and need not. */
static int
port_ok(struct tapcheck *tc, const char *name, int required)
{
	struct link_info li;

	if (links_get(tc->links, name, &li) != 0)
		return !required;
	return strcmp(li.master, tc->tap->bridge) == 0;
}

/* The uplink must be a port; the tap only once vtund has made it. */
static int
bridge_ports_ok(struct tapcheck *tc)
{
	return port_ok(tc, tc->tap->uplink, 1) && port_ok(tc, tc->tap->tap, 0);
}

static void
fix_bridge(struct tapcheck *tc, struct fixes *f)
{
	const char *br = tc->tap->bridge;
	struct link_info li;
	char fault[100], action[100];
	int err;

	err = links_get(tc->links, br, &li);
	if (err == LINKS_NOTFOUND) {
		snprintf(fault, sizeof(fault), "%s does not exist", br);
		snprintf(action, sizeof(action), "created %s", br);
		err = links_create_bridge(tc->links, br);
		if (err == 0)
			err = links_set_up(tc->links, br);
		note(f, fault, action, err);
	} else if (err == 0 && !li.admin_up) {
		snprintf(fault, sizeof(fault), "%s is down", br);
		snprintf(action, sizeof(action), "set %s up", br);
		note(f, fault, action, links_set_up(tc->links, br));
	}
}

enum check_result
check_bridge(struct tapcheck *tc)
{
	const struct tap_conf *t = tc->tap;
	struct link_info li;
	struct fixes f;
	int err;

	err = links_get(tc->links, t->bridge, &li);
	if (err == 0 && strcmp(li.kind, "bridge") != 0) {
		char fault[100];

		snprintf(fault, sizeof(fault), "%s is a %s, not a bridge",
		    t->bridge, li.kind[0] ? li.kind : "plain interface");
		check_fault(tc, CHK_BRIDGE, fault);
		return CR_FAULT;
	}
	if (err == 0 && li.admin_up && bridge_ports_ok(tc))
		return CR_OK;
	if (!repair_allowed(tc, CHK_BRIDGE)) {
		check_fault(tc, CHK_BRIDGE, "bridge needs repair");
		return CR_FAULT;
	}
	memset(&f, 0, sizeof(f));
	fix_bridge(tc, &f);
	fix_port(tc, t->uplink, 1, &f);
	fix_port(tc, t->tap, 0, &f);
	if (f.action[0] == '\0') {
		/*
		 * Nothing could be done: the uplink is missing and the uplink
		 * check (switched off) does not make it.  A fault, not repaired
		 * (logged once while it lasts), that ends the round.
		 */
		if (f.fault[0] == '\0')
			return CR_OK;
		check_fault(tc, CHK_BRIDGE, f.fault);
		return CR_FAULT;
	}
	repair_done(tc, CHK_BRIDGE, f.fault, f.action, f.err == 0,
	    LINK_SETTLE_MS);
	return CR_REPAIRED;
}
