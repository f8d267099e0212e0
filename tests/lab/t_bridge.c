/*
 * Check 3 (src/check_bridge.c) against a real kernel, in a private network
 * namespace (unshare: nothing touches the host): the rounds of one server
 * tap with a plain uplink, as checks_round() runs them, and what they log.
 *
 *	- a missing bridge is created, up, with the uplink as its port;
 *	- an uplink taken off the bridge is put back, the bridge kept;
 *	- with the vlan switch off and the uplink gone, the bridge check's
 *	  fault is logged once, not once per round.
 */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <unistd.h>

#include "tapcheck.h"
#include "links.h"
#include "log.h"
#include "netns.h"
#include "unit.h"

static char logpath[] = "/tmp/vfx-t-bridge-XXXXXX";
static struct config conf;
static struct tap_conf tap = {
	.tap = "vfxtap0", .session = "vfxsess", .client_ip = "10.0.0.2",
	.bridge = "vfxbr0", .uplink = "vfxup0",
};
static struct tapcheck tc;

/* A server tap whose switches are all on but tap and listener. */
static void
reset_tapcheck(void)
{
	struct links *l = tc.links;

	memset(&tc, 0, sizeof(tc));
	tc.conf = &conf;
	tc.tap = &tap;
	tc.links = l;
	datafile_defaults(&tc.df);
	tc.df.sw[SW_TAP] = 0;
	tc.df.sw[SW_LISTENER] = 0;
}

/* How many lines of the log contain TEXT. */
static int
log_lines(const char *text)
{
	char line[2048];
	FILE *fp = fopen(logpath, "r");
	int n = 0;

	if (fp == NULL)
		return -1;
	while (fgets(line, sizeof(line), fp) != NULL)
		if (strstr(line, text) != NULL)
			n++;
	fclose(fp);
	return n;
}

static void
test_missing_bridge_created(void)
{
	struct link_info li;

	reset_tapcheck();
	CHECK_INT(links_get(tc.links, "vfxbr0", &li), LINKS_NOTFOUND);
	checks_round(&tc);
	CHECK_INT(tc.df.state[CHK_BRIDGE], CS_FAULT);
	CHECK_INT(tc.df.repairs[CHK_BRIDGE], 1);
	CHECK_INT(links_get(tc.links, "vfxbr0", &li), 0);
	CHECK_STR(li.kind, "bridge");
	CHECK_INT(li.admin_up, 1);
	CHECK_INT(links_get(tc.links, "vfxup0", &li), 0);
	CHECK_STR(li.master, "vfxbr0");
	CHECK_INT(log_lines("bridge: vfxbr0 does not exist, vfxup0 not on "
	    "vfxbr0; created vfxbr0, added vfxup0 to vfxbr0: ok"), 1);
	checks_round(&tc);
	CHECK_INT(tc.df.state[CHK_BRIDGE], CS_OK);
}

static void
test_lost_port_put_back(void)
{
	struct link_info li;
	int ifindex;

	reset_tapcheck();
	CHECK_INT(links_get(tc.links, "vfxbr0", &li), 0);
	ifindex = li.ifindex;
	CHECK_INT(links_release(tc.links, "vfxup0"), 0);
	checks_round(&tc);
	CHECK_INT(links_get(tc.links, "vfxup0", &li), 0);
	CHECK_STR(li.master, "vfxbr0");
	CHECK_INT(links_get(tc.links, "vfxbr0", &li), 0);
	CHECK_INT(li.ifindex, ifindex);		/* the same bridge */
	CHECK_INT(log_lines("bridge: vfxup0 not on vfxbr0; added vfxup0 to "
	    "vfxbr0: ok"), 1);
}

/* The vlan switch off: nothing repairs the uplink, the fault stays. */
static void
test_unrepairable_fault_logged_once(void)
{
	int round;

	reset_tapcheck();
	tc.df.sw[SW_VLAN] = 0;
	CHECK_INT(links_delete(tc.links, "vfxup0"), 0);
	for (round = 0; round < 3; round++)
		checks_round(&tc);
	CHECK_INT(tc.df.state[CHK_UPLINK], CS_OFF);
	CHECK_INT(tc.df.state[CHK_BRIDGE], CS_FAULT);
	CHECK_INT(log_lines("bridge: vfxup0 missing; not repaired"), 1);
}

int
main(void)
{
	int fd;

	if (unshare(CLONE_NEWNET) == -1) {
		printf("skip - bridge: cannot create a network namespace: %s\n",
		    strerror(errno));
		return 0;
	}
	if ((fd = mkstemp(logpath)) == -1 ||
	    log_open(logpath, "t_bridge", 0) == -1)
		return 1;
	close(fd);
	conf.machine = ROLE_SERVER;
	conf.ntaps = 1;
	conf.taps = &tap;
	if ((tc.links = links_open()) == NULL || add_veth("vfxup0", "vfxup0p")
	    != 0 || links_set_up(tc.links, "vfxup0") != 0)
		return 1;
	RUN(test_missing_bridge_created);
	RUN(test_lost_port_put_back);
	RUN(test_unrepairable_fault_logged_once);
	links_close(tc.links);
	log_close();
	unlink(logpath);
	return unit_done();
}
