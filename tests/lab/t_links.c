/*
 * The link module against a real kernel, in a private network namespace
 * (unshare: nothing touches the host, and everything vanishes at exit,
 * also when a check fails).
 *
 *	t_links		every inspection, every repair, link events
 *	t_links vlan	the VLAN tests; this host's kernel has no 802.1Q, so
 *			tests/vm/test_vlan.sh runs them in a VM with Debian's
 *			kernel.  Here they report themselves skipped.
 */
#include <sys/ioctl.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <netlink/route/link.h>
#include <poll.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <arpa/inet.h>
#include <time.h>
#include <unistd.h>

#include "links.h"
#include "netns.h"
#include "unit.h"

static struct links *links;

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Taps, which the link module does not create either. */
static int
add_tap(const char *name)
{
	struct ifreq ifr;
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);

	if (fd == -1)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, TUNSETIFF, &ifr) == -1 ||
	    ioctl(fd, TUNSETPERSIST, 1) == -1) {
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

static void
test_missing(void)
{
	struct link_info li;

	CHECK_INT(links_get(links, "nosuch0", &li), LINKS_NOTFOUND);
	CHECK_INT(links_set_up(links, "nosuch0"), LINKS_NOTFOUND);
	CHECK_INT(links_set_master(links, "nosuch0", "nosuch1"),
	    LINKS_NOTFOUND);
	CHECK_INT(links_set_down(links, "nosuch0"), LINKS_NOTFOUND);
	CHECK_INT(links_delete(links, "nosuch0"), LINKS_NOTFOUND);
	CHECK_INT(links_release(links, "nosuch0"), LINKS_NOTFOUND);
	CHECK_INT(links_create_vlan(links, "v.5", "nosuch0", 5),
	    LINKS_NOTFOUND);
	CHECK_STR(links_strerror(LINKS_NOTFOUND), "no such interface");
	/* Existing, without a kind: lo. */
	CHECK_INT(links_get(links, "lo", &li), 0);
	CHECK_STR(li.name, "lo");
	CHECK_STR(li.kind, "");
	CHECK_STR(li.master, "");
	CHECK_INT(li.vlan_id, 0);
	CHECK_INT(li.admin_up, 1);
}

static void
test_bridge_create_up_down(void)
{
	struct link_info li;

	CHECK_INT(links_create_bridge(links, "br0"), 0);
	CHECK(links_create_bridge(links, "br0") < 0);	/* exists */
	CHECK_INT(links_get(links, "br0", &li), 0);
	CHECK_STR(li.kind, "bridge");
	CHECK_INT(li.admin_up, 0);
	CHECK(li.ifindex > 0);
	CHECK_INT(links_set_up(links, "br0"), 0);
	CHECK_INT(links_get(links, "br0", &li), 0);
	CHECK_INT(li.admin_up, 1);
	CHECK_INT(links_set_down(links, "br0"), 0);
	CHECK_INT(links_get(links, "br0", &li), 0);
	CHECK_INT(li.admin_up, 0);
	CHECK_INT(links_set_up(links, "br0"), 0);
}

static void
test_veth_carrier_and_kind(void)
{
	struct link_info a;

	CHECK_INT(add_veth("va", "vb"), 0);
	CHECK_INT(links_set_up(links, "va"), 0);
	CHECK_INT(links_get(links, "va", &a), 0);
	CHECK_STR(a.kind, "veth");
	CHECK_INT(a.carrier, 0);		/* the other end is down */
	CHECK_INT(links_set_up(links, "vb"), 0);
	usleep(50000);
	CHECK_INT(links_get(links, "va", &a), 0);
	CHECK_INT(a.carrier, 1);
}

static void
test_tap(void)
{
	struct link_info li;

	CHECK_INT(add_tap("tap0"), 0);
	CHECK_INT(links_get(links, "tap0", &li), 0);
	CHECK_STR(li.kind, "tun");
	CHECK_INT(li.admin_up, 0);
}

static void
test_enslave_move_release(void)
{
	struct link_info li;

	CHECK_INT(links_set_master(links, "tap0", "br0"), 0);
	CHECK_INT(links_get(links, "tap0", &li), 0);
	CHECK_STR(li.master, "br0");
	/* Moved straight from a wrong bridge to the right one. */
	CHECK_INT(links_create_bridge(links, "br9"), 0);
	CHECK_INT(links_set_master(links, "tap0", "br9"), 0);
	CHECK_INT(links_get(links, "tap0", &li), 0);
	CHECK_STR(li.master, "br9");
	CHECK_INT(links_set_master(links, "tap0", "br0"), 0);
	CHECK_INT(links_get(links, "tap0", &li), 0);
	CHECK_STR(li.master, "br0");
	CHECK_INT(links_release(links, "tap0"), 0);
	CHECK_INT(links_get(links, "tap0", &li), 0);
	CHECK_STR(li.master, "");
	CHECK_INT(links_delete(links, "br9"), 0);
	CHECK_INT(links_get(links, "br9", &li), LINKS_NOTFOUND);
}

static void
test_counters(void)
{
	struct link_info before, after;
	struct sockaddr_ll sll;
	unsigned char frame[64];
	int fd, i;

	CHECK_INT(links_get(links, "va", &before), 0);
	fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	CHECK(fd != -1);
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_ifindex = before.ifindex;
	memset(frame, 0xff, 6);
	memset(frame + 6, 0x02, 6);
	frame[12] = 0x88;
	frame[13] = 0xb6;
	for (i = 0; i < 10; i++)
		CHECK(sendto(fd, frame, sizeof(frame), 0,
		    (struct sockaddr *)&sll, sizeof(sll)) == sizeof(frame));
	close(fd);
	usleep(50000);
	CHECK_INT(links_get(links, "va", &after), 0);
	/* Ours, and perhaps some IPv6 housekeeping of the kernel. */
	CHECK(after.tx_packets - before.tx_packets >= 10 &&
	    after.tx_packets - before.tx_packets <= 20);
	CHECK(after.tx_bytes - before.tx_bytes >= 640);
	CHECK_INT(links_get(links, "vb", &after), 0);
	CHECK(after.rx_packets >= 10);
}

/* Events: what the callback heard, and when. */
static struct { char name[IFNAMSIZ]; enum link_event ev; uint64_t at; }
    heard[64];
static int nheard;

static void
record(const char *name, enum link_event ev, void *arg)
{
	if (nheard < 64) {
		snprintf(heard[nheard].name, IFNAMSIZ, "%s", name);
		heard[nheard].ev = ev;
		heard[nheard].at = now_ms();
		nheard++;
	}
}

/* Wait up to MS for an event EV on NAME; its delay in ms, or -1. */
static long
wait_event(struct links_watch *w, const char *name, enum link_event ev,
    uint64_t since, int ms)
{
	struct pollfd pfd = { .fd = links_watch_fd(w), .events = POLLIN };
	uint64_t end = now_ms() + (uint64_t)ms;
	int i;

	while (now_ms() < end) {
		if (poll(&pfd, 1, 10) > 0)
			links_watch_read(w);
		for (i = 0; i < nheard; i++)
			if (strcmp(heard[i].name, name) == 0 &&
			    heard[i].ev == ev)
				return (long)(heard[i].at - since);
	}
	return -1;
}

static void
test_events(void)
{
	struct links_watch *w = links_watch_open(record, NULL);
	uint64_t t0;
	long d;

	CHECK(w != NULL);
	if (w == NULL)
		return;
	CHECK_INT(links_create_bridge(links, "brev"), 0);
	CHECK(wait_event(w, "brev", LINK_CHANGED, now_ms(), 1000) >= 0);
	CHECK_INT(links_set_up(links, "tap0"), 0);
	CHECK(wait_event(w, "tap0", LINK_CHANGED, now_ms(), 1000) >= 0);
	nheard = 0;
	t0 = now_ms();
	CHECK_INT(links_set_down(links, "tap0"), 0);
	CHECK(wait_event(w, "tap0", LINK_CHANGED, t0, 1000) >= 0);
	nheard = 0;
	t0 = now_ms();
	CHECK_INT(links_delete(links, "brev"), 0);
	d = wait_event(w, "brev", LINK_REMOVED, t0, 1000);
	printf("# deleted bridge reported after %ld ms\n", d);
	CHECK(d >= 0 && d < 100);
	links_watch_close(w);
}

/*
 * A port taken off its bridge is changed, not removed: the kernel also
 * sends an RTM_DELLINK of family AF_BRIDGE for it (a worker took that for
 * a vanished tap, and looked at every process of the host).
 */
static void
test_port_off_bridge_not_removed(void)
{
	struct links_watch *w = links_watch_open(record, NULL);
	uint64_t t0;
	int i, removed = 0;

	CHECK(w != NULL);
	if (w == NULL)
		return;
	CHECK_INT(links_create_bridge(links, "brpo"), 0);
	CHECK_INT(links_set_master(links, "tap0", "brpo"), 0);
	CHECK(wait_event(w, "tap0", LINK_CHANGED, now_ms(), 1000) >= 0);
	usleep(100000);
	links_watch_read(w);
	nheard = 0;
	t0 = now_ms();
	CHECK_INT(links_release(links, "tap0"), 0);
	CHECK(wait_event(w, "tap0", LINK_CHANGED, t0, 1000) >= 0);
	usleep(100000);
	links_watch_read(w);
	for (i = 0; i < nheard; i++)
		removed |= strcmp(heard[i].name, "tap0") == 0 &&
		    heard[i].ev == LINK_REMOVED;
	CHECK(!removed);
	CHECK_INT(links_delete(links, "brpo"), 0);
	links_watch_close(w);
}

/*
 * Overrun: with a tiny receive buffer and nobody reading, the kernel drops
 * events (ENOBUFS); the watch then asks for a look at everything ("") and
 * goes on working.
 */
static void
test_events_overrun(void)
{
	struct links_watch *w = links_watch_open(record, NULL);
	char name[IFNAMSIZ];
	int i, size = 1, overrun = 0;

	CHECK(w != NULL);
	if (w == NULL)
		return;
	CHECK(setsockopt(links_watch_fd(w), SOL_SOCKET, SO_RCVBUFFORCE,
	    &size, sizeof(size)) == 0);
	for (i = 0; i < 40; i++) {
		snprintf(name, sizeof(name), "brov%d", i);
		CHECK_INT(links_create_bridge(links, name), 0);
		CHECK_INT(links_delete(links, name), 0);
	}
	nheard = 0;
	CHECK_INT(links_watch_read(w), 0);
	for (i = 0; i < nheard; i++)
		if (heard[i].name[0] == '\0' && heard[i].ev == LINK_CHANGED)
			overrun = 1;
	CHECK(overrun);
	nheard = 0;
	CHECK_INT(links_create_bridge(links, "brov"), 0);
	CHECK(wait_event(w, "brov", LINK_CHANGED, now_ms(), 1000) >= 0);
	CHECK_INT(links_delete(links, "brov"), 0);
	links_watch_close(w);
}

static void
test_vlan(void)
{
	struct link_info li;
	int rc;

	CHECK_INT(add_veth("trunk0", "trunk1"), 0);
	rc = links_create_vlan(links, "trunk0.763", "trunk0", 763);
	if (rc == -NLE_OPNOTSUPP && getenv("VFX_IN_VM") == NULL) {
		printf("skip - links/vlan: no 802.1Q in this kernel\n");
		printf("# tests/vm/test_vlan.sh runs the VLAN tests in a VM\n");
		exit(0);
	}
	CHECK_INT(rc, 0);
	CHECK_INT(links_get(links, "trunk0.763", &li), 0);
	CHECK_STR(li.kind, "vlan");
	CHECK_INT(li.vlan_id, 763);
	CHECK_STR(li.vlan_parent, "trunk0");
	printf("# vlan %s: parent %s id %d (read back through netlink)\n",
	    li.name, li.vlan_parent, li.vlan_id);
	CHECK_INT(links_create_vlan(links, "bad.5", "nosuch", 5),
	    LINKS_NOTFOUND);
	/* A VLAN with the wrong id is recreated with the right one. */
	CHECK_INT(links_delete(links, "trunk0.763"), 0);
	CHECK_INT(links_create_vlan(links, "trunk0.763", "trunk0", 764), 0);
	CHECK_INT(links_get(links, "trunk0.763", &li), 0);
	CHECK_INT(li.vlan_id, 764);
	CHECK_INT(links_delete(links, "trunk0.763"), 0);
	CHECK_INT(links_create_vlan(links, "trunk0.763", "trunk0", 763), 0);
	CHECK_INT(links_get(links, "trunk0.763", &li), 0);
	CHECK_INT(li.vlan_id, 763);
	/* ... and on the wrong parent. */
	CHECK_INT(links_delete(links, "trunk0.763"), 0);
	CHECK_INT(links_create_vlan(links, "trunk0.763", "trunk1", 763), 0);
	CHECK_INT(links_get(links, "trunk0.763", &li), 0);
	CHECK_STR(li.vlan_parent, "trunk1");
	CHECK(links_set_up(links, "trunk0.763") != 0);	/* parent down */
	CHECK_INT(links_set_up(links, "trunk1"), 0);
	CHECK_INT(links_set_up(links, "trunk0.763"), 0);
	CHECK_INT(links_create_bridge(links, "brv"), 0);
	CHECK_INT(links_set_master(links, "trunk0.763", "brv"), 0);
	CHECK_INT(links_get(links, "trunk0.763", &li), 0);
	CHECK_STR(li.master, "brv");
}

int
main(int argc, char *argv[])
{
	int vlan = argc > 1 && strcmp(argv[1], "vlan") == 0;

	if (unshare(CLONE_NEWNET) == -1) {
		printf("skip - links: cannot create a network namespace: %s\n",
		    strerror(errno));
		return 0;
	}
	if ((links = links_open()) == NULL)
		return 1;
	links_set_up(links, "lo");
	if (vlan) {
		RUN(test_vlan);
	} else {
		RUN(test_missing);
		RUN(test_bridge_create_up_down);
		RUN(test_veth_carrier_and_kind);
		RUN(test_tap);
		RUN(test_enslave_move_release);
		RUN(test_counters);
		RUN(test_events);
	RUN(test_port_off_bridge_not_removed);
		RUN(test_events_overrun);
	}
	links_close(links);
	return unit_done();
}
