/*
 * tcpresume on a real kernel: a TCP connection between two private
 * network namespaces (a veth pair), an outage that drops everything
 * arriving at the sender (nftables, netdev ingress), so that its socket
 * backs off; then the underlay returns and:
 *   - the capture has learnt the socket's oldest unacknowledged byte from
 *     what it retransmitted;
 *   - a message quoting a wrong sequence changes nothing (the socket stays
 *     in back-off: this is what would happen without vtundfix);
 *   - the right one makes it retransmit at once: acknowledged within a
 *     fraction of its next timer.
 * IPv4 and IPv6, each in its own pair of namespaces.  Once more (IPv4)
 * with the sequence taken from the offset learnt while the connection was
 * healthy (snd_una = offset + bytes_acked, tcpresume.h), as the daemon
 * does when it must tell the kernel before any retransmission was
 * recorded (a flap soon after a restart); it must equal what the capture
 * recorded.
 *
 * What this hides: vtund itself and the state machine's timing;
 * tests/lab/test_hostile.sh has the whole of it, with vtund.
 */
#include <sys/socket.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "netns.h"
#include "tcpinfo.h"
#include "tcpresume.h"
#include "unit.h"

#define PORT		5000
#define OUTAGE_MS	9000	/* RTOs at 0.2 0.6 1.4 3.0 6.2 s: the next
				 * one is 3.5 s after the return */


#define RUN_CMD(...) run((char *const[]){ __VA_ARGS__, NULL })

static void
sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

struct side {
	char	*addr, *peer;
	int	 family;
};

/* IPv6 without duplicate address detection: usable at once. */
static int
addr_add(const struct side *s, char *addr, char *dev)
{
	if (s->family == AF_INET6)
		return RUN_CMD("ip", "addr", "add", addr, "dev", dev, "nodad");
	return RUN_CMD("ip", "addr", "add", addr, "dev", dev);
}

/* The far end: its own namespace (a child), vb, a listener that reads. */
static pid_t
far_end(const struct side *s, int ready[2], int go[2])
{
	pid_t pid = fork();
	char c = 0;
	int l, fd, on = 1;
	struct sockaddr_storage a;
	socklen_t alen;
	char buf[4096];

	if (pid != 0)
		return pid;
	if (unshare(CLONE_NEWNET) == -1)
		_exit(1);
	(void)!write(ready[1], &c, 1);
	if (read(go[0], &c, 1) != 1)
		_exit(1);
	if (RUN_CMD("ip", "link", "set", "lo", "up") != 0 ||
	    addr_add(s, s->peer, "vb") != 0 ||
	    RUN_CMD("ip", "link", "set", "vb", "up") != 0)
		_exit(1);
	memset(&a, 0, sizeof(a));
	if (s->family == AF_INET6) {
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&a;

		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(PORT);
		alen = sizeof(*a6);
	} else {
		struct sockaddr_in *a4 = (struct sockaddr_in *)&a;

		a4->sin_family = AF_INET;
		a4->sin_port = htons(PORT);
		alen = sizeof(*a4);
	}
	if ((l = socket(s->family, SOCK_STREAM, 0)) == -1 ||
	    setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1 ||
	    bind(l, (struct sockaddr *)&a, alen) == -1 || listen(l, 1) == -1)
		_exit(1);
	(void)!write(ready[1], &c, 1);
	if ((fd = accept(l, NULL, NULL)) == -1)
		_exit(1);
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	_exit(0);
}

static int
drop_arriving(int on)
{
	if (!on)
		return RUN_CMD("nft", "delete", "table", "netdev", "vfxresume");
	return RUN_CMD("nft", "add", "table", "netdev", "vfxresume") == 0 &&
	    RUN_CMD("nft", "add", "chain", "netdev", "vfxresume", "in",
	    "{ type filter hook ingress device va priority 0; }") == 0 &&
	    RUN_CMD("nft", "add", "rule", "netdev", "vfxresume", "in",
	    "meta", "protocol", "!=", "arp", "drop") == 0 ? 0 : -1;
}

static int
connect_to(const struct side *s, const char *peer_ip, struct tcp_key *k)
{
	struct sockaddr_storage a, me;
	socklen_t alen, mlen = sizeof(me);
	int fd, i;

	memset(&a, 0, sizeof(a));
	memset(k, 0, sizeof(*k));
	k->family = s->family;
	k->dport = PORT;
	if (s->family == AF_INET6) {
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&a;

		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(PORT);
		inet_pton(AF_INET6, peer_ip, &a6->sin6_addr);
		memcpy(k->dst, &a6->sin6_addr, 16);
		alen = sizeof(*a6);
	} else {
		struct sockaddr_in *a4 = (struct sockaddr_in *)&a;

		a4->sin_family = AF_INET;
		a4->sin_port = htons(PORT);
		inet_pton(AF_INET, peer_ip, &a4->sin_addr);
		memcpy(k->dst, &a4->sin_addr, 4);
		alen = sizeof(*a4);
	}
	for (i = 0; i < 50; i++) {
		if ((fd = socket(s->family, SOCK_STREAM, 0)) == -1)
			return -1;
		if (connect(fd, (struct sockaddr *)&a, alen) == 0)
			break;
		close(fd);
		fd = -1;
		sleep_ms(100);
	}
	if (fd == -1 || getsockname(fd, (struct sockaddr *)&me, &mlen) == -1)
		return -1;
	if (s->family == AF_INET6) {
		struct sockaddr_in6 *m6 = (struct sockaddr_in6 *)&me;

		memcpy(k->src, &m6->sin6_addr, 16);
		k->sport = ntohs(m6->sin6_port);
	} else {
		struct sockaddr_in *m4 = (struct sockaddr_in *)&me;

		memcpy(k->src, &m4->sin_addr, 4);
		k->sport = ntohs(m4->sin_port);
	}
	return fd;
}

/* While the connection is healthy: two agreeing points make the offset. */
static void
learn_offset(struct tcpinfo *ti, const struct tcp_key *k, int fd,
    struct tcpresume_offset *o)
{
	struct tcpresume *cap = tcpresume_open(k);
	struct tunnel_tcp t;
	uint32_t ack;
	int i, have;

	CHECK(cap != NULL);
	memset(o, 0, sizeof(*o));
	/* As the daemon does: an ACK recorded, nothing new for 20 ms (the
	 * kernel has taken it), bytes_acked sampled, still nothing new. */
	for (i = 0; cap != NULL && i < 20 && !o->known; i++) {
		CHECK(write(fd, "ping", 4) == 4);
		sleep_ms(100);
		if (tcpresume_drain(cap, &ack, &have) == 0 || !have)
			continue;
		sleep_ms(20);
		if (tcpresume_drain(cap, NULL, NULL) == 0 &&
		    tcpinfo_get(ti, k, &t) == 1 &&
		    tcpresume_drain(cap, NULL, NULL) == 0)
			(void)tcpresume_learn(o, ack, t.bytes_acked);
	}
	CHECK(o->known);
	tcpresume_close(cap);
}

static void
one_family(const struct side *s, const char *peer_ip, int learn)
{
	struct tcpresume_offset o;
	int ready[2], go[2], fd = -1, i;
	struct tcpinfo *ti = NULL;
	struct tcpresume *cap = NULL;
	struct tunnel_tcp before, after;
	struct tcp_key k;
	uint32_t seq = 0;
	uint64_t t0;
	pid_t far;
	char pidarg[16], c;

	if (pipe(ready) == -1 || pipe(go) == -1) {
		CHECK(!"pipe");
		return;
	}
	if (unshare(CLONE_NEWNET) == -1 || add_veth("va", "vb") == -1) {
		CHECK(!"namespace and veth");
		return;
	}
	far = far_end(s, ready, go);
	CHECK(read(ready[0], &c, 1) == 1);
	snprintf(pidarg, sizeof(pidarg), "%d", (int)far);
	CHECK(RUN_CMD("ip", "link", "set", "vb", "netns", pidarg) == 0);
	CHECK(write(go[1], &c, 1) == 1);
	CHECK(RUN_CMD("ip", "link", "set", "lo", "up") == 0);
	CHECK(addr_add(s, s->addr, "va") == 0);
	CHECK(RUN_CMD("ip", "link", "set", "va", "up") == 0);
	CHECK(read(ready[0], &c, 1) == 1);	/* it listens */
	if ((fd = connect_to(s, peer_ip, &k)) == -1 ||
	    (ti = tcpinfo_open()) == NULL) {
		CHECK(!"connected");
		goto out;
	}
	CHECK(write(fd, "hello", 5) == 5);
	if (learn)
		learn_offset(ti, &k, fd, &o);
	CHECK(drop_arriving(1) == 0);
	/* As the daemon does: the capture opens once the session is found
	 * broken, some seconds in. */
	for (i = 0; i < OUTAGE_MS / 100; i++) {
		if (i % 5 == 0)
			CHECK(write(fd, "data", 4) == 4);
		if (i == 20 && (cap = tcpresume_open(&k)) == NULL)
			CHECK(!"capture opened");
		sleep_ms(100);
	}
	CHECK(drop_arriving(0) == 0);
	CHECK(tcpinfo_get(ti, &k, &before) == 1);
	CHECK(before.unacked > 0);
	CHECK(before.backoff >= 4);
	CHECK(before.rto_in_ms > 2000);	/* it would wait that long */
	CHECK(cap != NULL && tcpresume_head(cap, &seq) == 1);
	if (learn) {
		/* The offset alone says what the capture recorded. */
		uint32_t from_offset = 0;

		CHECK(tcpresume_una(&o, before.bytes_acked, &from_offset) == 1);
		CHECK_INT(from_offset, seq);
		seq = from_offset;
	}
	/* A wrong sequence: nothing changes. */
	CHECK(tcpresume_kick(&k, seq - 1, before.backoff + 1) == 0);
	sleep_ms(300);
	CHECK(tcpinfo_get(ti, &k, &after) == 1);
	CHECK_INT(after.bytes_acked, before.bytes_acked);
	CHECK_INT(after.backoff, before.backoff);
	/* The right one: retransmitted and acknowledged at once. */
	t0 = clock_ms();
	CHECK(tcpresume_kick(&k, seq, before.backoff + 1) == 0);
	do {
		sleep_ms(10);
		CHECK(tcpinfo_get(ti, &k, &after) == 1);
	} while (after.bytes_acked == before.bytes_acked &&
	    clock_ms() - t0 < 1500);
	fprintf(stderr, "# resumed %llu ms after the message (the socket's "
	    "own timer: %u ms)\n", (unsigned long long)(clock_ms() - t0),
	    before.rto_in_ms);
	CHECK(after.bytes_acked > before.bytes_acked);
	CHECK(clock_ms() - t0 < 1000);
out:
	tcpresume_close(cap);
	tcpinfo_close(ti);
	if (fd != -1)
		close(fd);
	kill(far, SIGKILL);
	waitpid(far, NULL, 0);
}

static void
resume_ipv4(void)
{
	static const struct side s = { "10.79.0.1/24", "10.79.0.2/24",
	    AF_INET };

	one_family(&s, "10.79.0.2", 0);
}

static void
resume_learnt(void)
{
	static const struct side s = { "10.79.0.1/24", "10.79.0.2/24",
	    AF_INET };

	one_family(&s, "10.79.0.2", 1);
}

static void
resume_ipv6(void)
{
	static const struct side s = { "fd00:79::1/64", "fd00:79::2/64",
	    AF_INET6 };

	one_family(&s, "fd00:79::2", 0);
}

/* Each family in a child: its own namespaces, gone when it exits. */
static void
in_child(void (*fn)(void))
{
	pid_t pid;
	int status;

	fflush(stdout);
	if ((pid = fork()) == 0) {
		unit_checks_failed = 0;
		fn();
		_exit(unit_checks_failed ? 1 : 0);
	}
	CHECK(pid > 0 && waitpid(pid, &status, 0) == pid &&
	    WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void test_resume_ipv4(void) { in_child(resume_ipv4); }
static void test_resume_ipv6(void) { in_child(resume_ipv6); }
static void test_resume_learnt_offset(void) { in_child(resume_learnt); }

int
main(void)
{
	if (geteuid() != 0) {
		printf("skip - t_resume: needs root (namespaces, raw sockets)\n");
		return 0;
	}
	RUN(test_resume_ipv4);
	RUN(test_resume_ipv6);
	RUN(test_resume_learnt_offset);
	return unit_done();
}
