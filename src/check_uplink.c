/*
 * check 2 (both ends): the uplink exists and is up; a VLAN uplink
 * ("eth0.763") is a VLAN with id 763 on eth0.
 *
 * Repairs: create a missing VLAN on its parent, recreate one whose id or
 * parent is wrong, bring the uplink up.  A plain uplink that is missing
 * cannot be created: that is reported, not repaired.
 */
#include <stdio.h>
#include <string.h>

#include "tapcheck.h"
#include "links.h"
#include "log.h"

#define LINK_SETTLE_MS	50

static int
vlan_is_right(const struct tap_conf *t, const struct link_info *li)
{
	return strcmp(li->kind, "vlan") == 0 && li->vlan_id == t->vlan_id &&
	    strcmp(li->vlan_parent, t->uplink_parent) == 0;
}

/* Create the VLAN (deleting a wrong one first) and bring it up. */
static int
make_vlan(struct tapcheck *tc, int exists, char *action, size_t len)
{
	const struct tap_conf *t = tc->tap;
	int err = 0;

	if (exists)
		err = links_delete(tc->links, t->uplink);
	if (err == 0)
		err = links_create_vlan(tc->links, t->uplink, t->uplink_parent,
		    t->vlan_id);
	if (err == 0)
		err = links_set_up(tc->links, t->uplink);
	if (err == 0)
		err = links_set_master(tc->links, t->uplink, t->bridge);
	snprintf(action, len, "%s VLAN %d on %s%s%s",
	    exists ? "recreated" : "created", t->vlan_id, t->uplink_parent,
	    err ? ": " : "", err ? links_strerror(err) : "");
	return err;
}

static enum check_result
repair(struct tapcheck *tc, const char *fault, int err, const char *action)
{
	repair_done(tc, CHK_UPLINK, fault, action, err == 0, LINK_SETTLE_MS);
	return CR_REPAIRED;
}

static enum check_result
check_vlan(struct tapcheck *tc, int exists, const struct link_info *li)
{
	const struct tap_conf *t = tc->tap;
	struct link_info parent;
	char fault[160], action[160];
	int err;

	if (exists && vlan_is_right(t, li))
		return CR_OK;
	if (!exists && links_get(tc->links, t->uplink_parent, &parent) != 0) {
		snprintf(fault, sizeof(fault), "%s and its parent %s do not "
		    "exist", t->uplink, t->uplink_parent);
		check_fault(tc, CHK_UPLINK, fault);
		return CR_FAULT;
	}
	if (exists)
		snprintf(fault, sizeof(fault), "%s is %s%s id %d on %s, not "
		    "VLAN %d on %s", t->uplink, li->kind[0] ? li->kind : "?",
		    "", li->vlan_id, li->vlan_parent[0] ? li->vlan_parent : "-",
		    t->vlan_id, t->uplink_parent);
	else
		snprintf(fault, sizeof(fault), "%s does not exist", t->uplink);
	if (!repair_allowed(tc, CHK_UPLINK)) {
		check_fault(tc, CHK_UPLINK, fault);
		return CR_FAULT;
	}
	err = make_vlan(tc, exists, action, sizeof(action));
	return repair(tc, fault, err, action);
}

enum check_result
check_uplink(struct tapcheck *tc)
{
	const struct tap_conf *t = tc->tap;
	struct link_info li;
	char fault[160], action[160];
	int err, exists;

	err = links_get(tc->links, t->uplink, &li);
	if (err != 0 && err != LINKS_NOTFOUND) {
		log_warnx("uplink: %s: %s", t->uplink, links_strerror(err));
		return CR_OK;
	}
	exists = err == 0;
	if (t->vlan_id != 0) {
		enum check_result r = check_vlan(tc, exists, &li);

		if (r != CR_OK)
			return r;
	} else if (!exists) {
		snprintf(fault, sizeof(fault), "%s does not exist", t->uplink);
		check_fault(tc, CHK_UPLINK, fault);
		return CR_FAULT;
	}
	if (li.admin_up)
		return CR_OK;
	snprintf(fault, sizeof(fault), "%s is down", t->uplink);
	if (!repair_allowed(tc, CHK_UPLINK)) {
		check_fault(tc, CHK_UPLINK, fault);
		return CR_FAULT;
	}
	err = links_set_up(tc->links, t->uplink);
	snprintf(action, sizeof(action), "set %s up%s%s", t->uplink,
	    err ? ": " : "", err ? links_strerror(err) : "");
	return repair(tc, fault, err, action);
}
