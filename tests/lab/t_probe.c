/*
 * Probes on a real kernel, in a private network namespace: two probe
 * endpoints on the ends of a veth pair see each other, measure RTT, drop
 * foreign, replayed and malformed frames, and a probe arriving on a bridge
 * port is not forwarded to the other ports (the LAN).
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <netlink/route/link.h>
#include <poll.h>
#include <sched.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "links.h"
#include "netns.h"
#include "probe.h"
#include "unit.h"

static struct links *links;

static int
add_veth_up(const char *a, const char *b)
{
	if (add_veth(a, b) == -1)
		return -1;
	return links_set_up(links, a) == 0 && links_set_up(links, b) == 0 ?
	    0 : -1;
}

static void
sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Wait up to MS for P to receive probes; returns how many. */
static int
receive(struct probe *p, int ms)
{
	struct pollfd pfd = { .fd = p->fd, .events = POLLIN };
	int n = 0, r;

	while (ms > 0 && poll(&pfd, 1, 50) >= 0) {
		if ((r = probe_receive(p)) > 0)
			n += r;
		ms -= 50;
		if (n > 0)
			break;
	}
	return n;
}

/* A raw socket on IFNAME that sends BUF as it is. */
static void
inject(const char *ifname, const uint8_t *buf, size_t len)
{
	struct sockaddr_ll sll;
	int fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));

	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_ifindex = (int)if_nametoindex(ifname);
	if (sendto(fd, buf, len, 0, (struct sockaddr *)&sll, sizeof(sll)) ==
	    -1)
		perror("inject");
	close(fd);
}

static void
test_probes_cross_a_link(void)
{
	struct probe a, b;
	int i;

	CHECK_INT(add_veth_up("pa", "pb"), 0);
	probe_init(&a, "pa", "lcsr");
	probe_init(&b, "pb", "lcsr");
	CHECK_INT(probe_bind(&a), 0);
	CHECK_INT(probe_bind(&b), 0);
	CHECK_INT(probe_send(&a), 0);
	CHECK_INT(receive(&b, 1000), 1);
	CHECK(b.have_peer && b.peer_id == a.my_id);
	/* a does not hear its own frame. */
	CHECK_INT(receive(&a, 200), 0);
	for (i = 0; i < 3; i++) {
		CHECK_INT(probe_send(&b), 0);
		CHECK_INT(receive(&a, 1000), 1);
		CHECK_INT(probe_send(&a), 0);
		CHECK_INT(receive(&b, 1000), 1);
	}
	CHECK(a.have_rtt && b.have_rtt);
	CHECK(a.rtt_ms >= 0 && a.rtt_ms < 100);
	CHECK(probe_loss(&a) >= 0 && probe_loss(&a) < 0.01);
	printf("# rtt over veth: %.3f ms, loss %.2f\n", a.rtt_ms,
	    probe_loss(&a));
	probe_close(&a);
	probe_close(&b);
}

static void
test_rejects_foreign_replayed_malformed(void)
{
	struct probe a, b, other;
	struct probe_frame f;
	uint8_t buf[PROBE_FRAME_LEN];
	unsigned long dropped;

	probe_init(&a, "pa", "lcsr");
	probe_init(&b, "pb", "lcsr");
	probe_init(&other, "pa", "lcsr2");
	CHECK_INT(probe_bind(&b), 0);
	CHECK_INT(probe_bind(&other), 0);
	/* Another session's probe is dropped. */
	CHECK_INT(probe_send(&other), 0);
	CHECK_INT(receive(&b, 300), 0);
	CHECK_STR(b.last_drop, "foreign session");
	/* A replay of an accepted frame is dropped. */
	memset(&f, 0, sizeof(f));
	f.version = 1;
	f.my_id = 99;
	f.seq = 5;
	strcpy(f.session, "lcsr");
	probe_frame_build(&f, buf);
	inject("pa", buf, sizeof(buf));
	CHECK_INT(receive(&b, 500), 1);
	inject("pa", buf, sizeof(buf));
	CHECK_INT(receive(&b, 300), 0);
	CHECK_STR(b.last_drop, "stale or replayed sequence");
	/* Garbage with the probe EtherType is dropped, counted. */
	dropped = b.dropped;
	buf[14] = 'X';
	inject("pa", buf, sizeof(buf));
	inject("pa", buf, 30);
	CHECK_INT(receive(&b, 300), 0);
	CHECK(b.dropped >= dropped + 1);
	probe_close(&b);
	probe_close(&other);
	(void)a;
}

/* A bridge does not forward probes from a port to the other ports. */
static void
test_bridge_does_not_forward(void)
{
	struct probe a, lan;

	CHECK_INT(add_veth_up("qa", "qb"), 0);	/* qa: "tunnel", qb: port */
	CHECK_INT(add_veth_up("la", "lb"), 0);	/* la: port, lb: LAN host */
	CHECK_INT(links_create_bridge(links, "pbr0"), 0);
	CHECK_INT(links_set_master(links, "qb", "pbr0"), 0);
	CHECK_INT(links_set_master(links, "la", "pbr0"), 0);
	CHECK_INT(links_set_up(links, "pbr0"), 0);
	sleep_ms(100);
	probe_init(&a, "qa", "lcsr");
	probe_init(&lan, "lb", "lcsr");
	CHECK_INT(probe_bind(&a), 0);
	CHECK_INT(probe_bind(&lan), 0);
	for (int i = 0; i < 5; i++)
		CHECK_INT(probe_send(&a), 0);
	CHECK_INT(receive(&lan, 500), 0);
	CHECK_INT(lan.dropped, 0);
	probe_close(&a);
	probe_close(&lan);
}

int
main(void)
{
	if (unshare(CLONE_NEWNET) == -1) {
		printf("skip - probe: cannot create a network namespace: %s\n",
		    strerror(errno));
		return 0;
	}
	if ((links = links_open()) == NULL)
		return 1;
	links_set_up(links, "lo");
	RUN(test_probes_cross_a_link);
	RUN(test_rejects_foreign_replayed_malformed);
	RUN(test_bridge_does_not_forward);
	links_close(links);
	return unit_done();
}
