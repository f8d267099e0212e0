/*
 * Probes on a real kernel, in a private network namespace: two probe
 * endpoints on the ends of a veth pair see each other and measure RTT;
 * forged, replayed, altered, foreign and malformed frames are dropped and
 * counted without changing anything; full-size probes tell an MTU black
 * hole from a healthy path; tool_inject really sends what it says (and
 * fails when it cannot); a probe arriving on a bridge port is not
 * forwarded to the other ports (the LAN).
 */
#include <sys/socket.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <spawn.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "links.h"
#include "netns.h"
#include "probe.h"
#include "unit.h"

#define TOOL_INJECT	"build/san/tool_inject"

static struct links *links;
static uint8_t key[PROBE_KEY_LEN];

static int
add_veth_up(const char *a, const char *b)
{
	if (add_veth(a, b) == -1)
		return -1;
	return links_set_up(links, a) == 0 && links_set_up(links, b) == 0 ?
	    0 : -1;
}


/* Frames over 1400 bytes that reach IFNAME vanish (nftables ingress). */
static int
drop_big_frames(const char *ifname, int on)
{
	char hook[128];
	char *add[] = { "nft", "add", "table", "netdev", "vfxmtu", NULL };
	char *chain[] = { "nft", "add", "chain", "netdev", "vfxmtu", "in",
	    hook, NULL };
	char *rule[] = { "nft", "add", "rule", "netdev", "vfxmtu", "in",
	    "meta", "length", ">", "1400", "drop", NULL };
	char *del[] = { "nft", "delete", "table", "netdev", "vfxmtu", NULL };

	if (!on)
		return run(del);
	snprintf(hook, sizeof(hook), "{ type filter hook ingress device %s "
	    "priority 0; }", ifname);
	return run(add) == 0 && run(chain) == 0 && run(rule) == 0 ? 0 : -1;
}

static void
sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* Wait up to MS for P to take probes; returns how many. */
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

/* Read whatever arrives within MS; how many frames were taken. */
static int
drain(struct probe *p, int ms)
{
	int n = 0;

	for (; ms > 0; ms -= 50) {
		sleep_ms(50);
		n += probe_receive(p);
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

static unsigned long
drops(const struct probe *p)
{
	return p->auth_failures + p->replays + p->malformed + p->unconfirmed;
}

static void
pair(struct probe *a, struct probe *b, const char *ia, const char *ib)
{
	probe_init(a, ia, "lcsr", key, 1000);
	probe_init(b, ib, "lcsr", key, 2000);
	CHECK_INT(probe_bind(a), 0);
	CHECK_INT(probe_bind(b), 0);
}

/* One probe each way, each taken. */
static void
round_trip(struct probe *a, struct probe *b)
{
	CHECK_INT(probe_send(a), 0);
	CHECK_INT(receive(b, 1000), 1);
	CHECK_INT(probe_send(b), 0);
	CHECK_INT(receive(a, 1000), 1);
}

static void
test_probes_cross_a_link(void)
{
	struct probe a, b;
	int i;

	CHECK_INT(add_veth_up("pa", "pb"), 0);
	pair(&a, &b, "pa", "pb");
	CHECK_INT(probe_send(&a), 0);
	CHECK_INT(receive(&b, 1000), 1);
	CHECK(b.peer.have && b.peer.epoch == 1000);
	/* a does not hear its own frame. */
	CHECK_INT(receive(&a, 200), 0);
	for (i = 0; i < 3; i++)
		round_trip(&a, &b);
	CHECK(a.have_rtt && b.have_rtt);
	CHECK(a.rtt_ms >= 0 && a.rtt_ms < 100);
	CHECK(probe_loss(&a) >= 0 && probe_loss(&a) < 0.01);
	CHECK_INT(drops(&a) + drops(&b), 0);
	printf("# rtt over veth: %.3f ms, loss %.2f\n", a.rtt_ms,
	    probe_loss(&a));
	probe_close(&a);
	probe_close(&b);
}

/*
 * A frame read a while after it arrived (an idle worker takes probes at
 * its next tick) counts from its arrival, the kernel's time stamp: the
 * silence deadline and the round-trip time are not shifted by the wait.
 */
static void
test_late_read_keeps_arrival_time(void)
{
	struct probe a, b;
	uint64_t sent;

	CHECK_INT(add_veth_up("pc", "pd"), 0);
	pair(&a, &b, "pc", "pd");
	round_trip(&a, &b);
	sent = clock_us() / 1000;
	CHECK_INT(probe_send(&a), 0);
	sleep_ms(400);
	CHECK_INT(probe_receive(&b), 1);
	CHECK(b.last_rx_ms >= sent && b.last_rx_ms < sent + 100);
	/* b answers late; a reads its answer late too: still the path's
	 * round trip, not the two waits. */
	sleep_ms(200);
	CHECK_INT(probe_send(&b), 0);
	sleep_ms(300);
	CHECK_INT(probe_receive(&a), 1);
	CHECK(a.have_rtt && a.rtt_ms < 50);
	printf("# rtt with late reads: %.3f ms\n", a.rtt_ms);
	probe_close(&a);
	probe_close(&b);
}

/*
 * Frames that waited (more than one system call takes at a time) are all
 * taken by one probe_receive, each with its own arrival time.
 */
static void
test_queued_frames_all_taken(void)
{
	struct probe a, b;
	int i;

	CHECK_INT(add_veth_up("pq", "pr"), 0);
	pair(&a, &b, "pq", "pr");
	round_trip(&a, &b);
	for (i = 0; i < 11; i++)
		CHECK_INT(probe_send(&a), 0);
	sleep_ms(100);
	CHECK_INT(probe_receive(&b), 11);
	CHECK_INT(probe_receive(&b), 0);
	CHECK_INT(drops(&b), 0);
	probe_close(&a);
	probe_close(&b);
}

static void
test_hostile_frames_change_nothing(void)
{
	struct probe a, b, other;
	uint8_t buf[PROBE_FRAME_LEN], k2[PROBE_KEY_LEN];
	uint64_t top;

	pair(&a, &b, "pa", "pb");
	round_trip(&a, &b);
	CHECK_INT(probe_derive_key("secret", "lcsr2", k2), 0);
	probe_init(&other, "pa", "lcsr2", k2, 3000);
	CHECK_INT(probe_bind(&other), 0);
	CHECK_INT(probe_send(&other), 0);	/* another session's */
	CHECK_INT(drain(&b, 300), 0);
	CHECK_STR(b.last_drop, "a probe of session lcsr2");
	/* A genuine frame twice, then altered. */
	probe_make(&a, buf, sizeof(buf));
	inject("pa", buf, sizeof(buf));
	CHECK_INT(receive(&b, 500), 1);
	top = b.peer.top;
	inject("pa", buf, sizeof(buf));
	CHECK_INT(drain(&b, 300), 0);
	CHECK_STR(b.last_drop, "seen before (epoch 1000 seq 2)");
	buf[60] ^= 1;
	inject("pa", buf, sizeof(buf));
	inject("pa", buf, 30);
	CHECK_INT(drain(&b, 300), 0);
	CHECK_INT(b.replays, 1);
	CHECK_INT(b.auth_failures, 2);
	CHECK_INT(b.malformed, 1);
	CHECK(b.peer.top == top);
	round_trip(&a, &b);
	probe_close(&a);
	probe_close(&b);
	probe_close(&other);
}

/*
 * Full-size probes through a path that drops frames over 1400 bytes (as
 * a path with a smaller MTU and no fragmentation does): small ones pass,
 * the 1514-byte ones do not, and the sender sees it.  With the filter
 * gone they arrive again.
 */
static void
test_mtu_black_hole(void)
{
	struct probe a, b;
	int i;

	pair(&a, &b, "pa", "pb");
	round_trip(&a, &b);
	CHECK_INT(probe_full_due(&a), 1);
	CHECK_INT(probe_send_full(&a, 1500), 0);
	CHECK_INT(receive(&b, 1000), 1);
	round_trip(&a, &b);
	CHECK_INT(a.mtu.state, PROBE_MTU_OK);
	if (drop_big_frames("pb", 1) == -1)
		SKIP("cannot filter with nft");
	CHECK_INT(probe_send_full(&a, 1500), 0);
	for (i = 0; i < 3; i++)
		round_trip(&a, &b);
	CHECK_INT(a.mtu.state, PROBE_MTU_LOST);
	CHECK_INT(a.mtu.size, 1514);
	CHECK(probe_loss(&b) == 0);	/* the small probes' figure */
	CHECK_INT(drop_big_frames("pb", 0), 0);
	CHECK_INT(probe_send_full(&a, 1500), 0);
	CHECK_INT(receive(&b, 1000), 1);
	round_trip(&a, &b);
	CHECK_INT(a.mtu.state, PROBE_MTU_OK);
	CHECK_INT(probe_send_full(&a, 70000), -1);
	CHECK_INT(errno, EINVAL);
	probe_close(&a);
	probe_close(&b);
}

/* Run tool_inject with ARGS while A probes into IFNAME every 100 ms and
 * B reads; returns its exit status. */
static int
run_inject(char *const args[], struct probe *a, struct probe *b)
{
	pid_t pid;
	int status, r;

	if (posix_spawn(&pid, TOOL_INJECT, NULL, NULL, args, environ) != 0)
		return -1;
	while ((r = waitpid(pid, &status, WNOHANG)) == 0) {
		if (a != NULL)
			(void)probe_send(a);
		if (b != NULL && probe_receive(b) == -1)
			b = NULL;
		sleep_ms(100);
	}
	if (b != NULL)
		drain(b, 300);
	return r == pid && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void
test_tool_inject(void)
{
	char *blind[] = { TOOL_INJECT, "pa", "lcsr", NULL };
	char *all[] = { TOOL_INJECT, "-r", "-a", "-w", "2", "pa", "lcsr",
	    NULL };
	char *nodev[] = { TOOL_INJECT, "nosuchif", "lcsr", NULL };
	char *down[] = { TOOL_INJECT, "pa", "lcsr", NULL };
	char *silent[] = { TOOL_INJECT, "-r", "-w", "1", "pb", "lcsr", NULL };
	struct probe a, b;
	uint64_t top;
	int rcvbuf = 1 << 20;

	if (access(TOOL_INJECT, X_OK) == -1)
		SKIP(TOOL_INJECT " not built");
	pair(&a, &b, "pa", "pb");
	/* Room for every frame, so each one sent is one counted. */
	CHECK_INT(setsockopt(b.fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
	    sizeof(rcvbuf)), 0);
	round_trip(&a, &b);
	CHECK_INT(run_inject(blind, NULL, &b), 0);
	CHECK_INT(drops(&b), 350);
	CHECK(b.malformed >= 250 && b.auth_failures == 100);
	CHECK_INT(b.replays, 0);
	/* Replays and altered copies of a's probes, as they flow. */
	CHECK_INT(run_inject(all, &a, &b), 0);
	CHECK_INT(drops(&b), 350 + 385);
	CHECK_INT(b.replays, 10);
	top = b.peer.top;
	round_trip(&a, &b);
	CHECK(b.peer.top == top + 1);	/* a's next seq: no forged one won */
	printf("# after tool_inject: %lu auth failures, %lu replays, %lu "
	    "malformed\n", b.auth_failures, b.replays, b.malformed);
	/* It says so when it could not inject. */
	CHECK_INT(run_inject(nodev, NULL, NULL), 1);
	CHECK_INT(run_inject(silent, NULL, NULL), 1);	/* no probe flows */
	CHECK_INT(links_set_down(links, "pa"), 0);
	CHECK_INT(run_inject(down, NULL, NULL), 1);
	CHECK_INT(links_set_up(links, "pa"), 0);
	probe_close(&a);
	probe_close(&b);
}

/* A bridge does not forward probes from a port to the other ports. */
static void
test_bridge_does_not_forward(void)
{
	struct probe a, lan;
	int i;

	CHECK_INT(add_veth_up("qa", "qb"), 0);	/* qa: "tunnel", qb: port */
	CHECK_INT(add_veth_up("la", "lb"), 0);	/* la: port, lb: LAN host */
	CHECK_INT(links_create_bridge(links, "pbr0"), 0);
	CHECK_INT(links_set_master(links, "qb", "pbr0"), 0);
	CHECK_INT(links_set_master(links, "la", "pbr0"), 0);
	CHECK_INT(links_set_up(links, "pbr0"), 0);
	sleep_ms(100);
	probe_init(&a, "qa", "lcsr", key, 1000);
	probe_init(&lan, "lb", "lcsr", key, 2000);
	CHECK_INT(probe_bind(&a), 0);
	CHECK_INT(probe_bind(&lan), 0);
	for (i = 0; i < 5; i++)
		CHECK_INT(probe_send(&a), 0);
	CHECK_INT(probe_send_full(&a, 1500), 0);
	CHECK_INT(receive(&lan, 500), 0);
	CHECK_INT(drops(&lan), 0);
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
	if ((links = links_open()) == NULL ||
	    probe_derive_key("secret", "lcsr", key) == -1)
		return 1;
	links_set_up(links, "lo");
	RUN(test_probes_cross_a_link);
	RUN(test_late_read_keeps_arrival_time);
	RUN(test_queued_frames_all_taken);
	RUN(test_hostile_frames_change_nothing);
	RUN(test_mtu_black_hole);
	RUN(test_tool_inject);
	RUN(test_bridge_does_not_forward);
	links_close(links);
	return unit_done();
}
