/*
 * Unit tests for src/tcpinfo.c and src/reach.c against the real kernel:
 * TCP connections over loopback (IPv4 and IPv6) in a network namespace of
 * the test's own (unshare: nothing leaves it), found by the filtered dump,
 * asked for by 4-tuple, and their counters followed as data is sent.
 *
 * What this hides: vtund's sockets and a real underlay.  The lab tests run
 * both (tests/lab/test_liveness.sh, test_hostile.sh).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "event.h"
#include "links.h"
#include "reach.h"
#include "tcpinfo.h"
#include "unit.h"

static int in_netns;

struct pair {
	int	 listener, client, server;
	uint16_t port;
};

static int
make_pair(int family, struct pair *p)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int one = 1;

	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET6) {
		struct sockaddr_in6 *s6 = (void *)&ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_addr = in6addr_loopback;
		len = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (void *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		len = sizeof(*s4);
	}
	p->listener = socket(family, SOCK_STREAM, 0);
	setsockopt(p->listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (p->listener == -1 || bind(p->listener, (void *)&ss, len) == -1 ||
	    listen(p->listener, 4) == -1 ||
	    getsockname(p->listener, (void *)&ss, &len) == -1)
		return -1;
	p->port = ntohs(family == AF_INET6 ?
	    ((struct sockaddr_in6 *)&ss)->sin6_port :
	    ((struct sockaddr_in *)&ss)->sin_port);
	p->client = socket(family, SOCK_STREAM, 0);
	if (p->client == -1 || connect(p->client, (void *)&ss, len) == -1)
		return -1;
	p->server = accept(p->listener, NULL, NULL);
	return p->server == -1 ? -1 : 0;
}

static void
close_pair(struct pair *p)
{
	close(p->client);
	close(p->server);
	close(p->listener);
}

static uint64_t
inode_of(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 ? (uint64_t)st.st_ino : 0;
}

static void
find_and_follow(const char *host, int family)
{
	struct tcp_addrs addrs;
	struct tcp_match m;
	struct tcp_key key, skey;
	struct tunnel_tcp s, s2;
	struct tcpinfo *ti;
	struct pair p;
	char err[128], buf[4096];

	if (!in_netns)
		SKIP("needs root to make its own network namespace");
	CHECK_INT(tcpinfo_resolve(host, &addrs, err, sizeof(err)), 0);
	CHECK_INT(addrs.family[0], family);
	CHECK_INT(make_pair(family, &p), 0);
	CHECK((ti = tcpinfo_open()) != NULL);
	/* The client's view: remote port is vtund's. */
	memset(&m, 0, sizeof(m));
	m.remote = &addrs;
	m.remote_port = p.port;
	CHECK_INT(tcpinfo_find(ti, &m, &key, &s), 1);
	CHECK_INT(key.dport, p.port);
	CHECK(s.inode == inode_of(p.client));
	/* The server's view: local port is vtund's. */
	memset(&m, 0, sizeof(m));
	m.remote = &addrs;
	m.local_port = p.port;
	CHECK_INT(tcpinfo_find(ti, &m, &skey, &s2), 1);
	CHECK(s2.inode == inode_of(p.server));
	CHECK_INT(skey.sport, p.port);
	/* Sending moves bytes_acked, seen by the exact lookup. */
	memset(buf, 'x', sizeof(buf));
	CHECK(write(p.client, buf, sizeof(buf)) == (ssize_t)sizeof(buf));
	usleep(20000);
	CHECK_INT(tcpinfo_get(ti, &key, &s2), 1);
	CHECK(s2.bytes_acked >= s.bytes_acked + sizeof(buf));
	CHECK_INT(s2.unacked, 0);
	CHECK(s2.last_ack_ms < 1000);
	/* The inode tells two matches apart. */
	{
		uint64_t ino = inode_of(p.client);
		struct pair q;

		CHECK_INT(make_pair(family, &q), 0);
		memset(&m, 0, sizeof(m));
		m.remote = &addrs;
		m.local_port = 0;
		m.remote_port = p.port;
		m.inodes = &ino;
		m.ninodes = 1;
		/* q connects to its own port: p's match stays unique */
		CHECK_INT(tcpinfo_find(ti, &m, &key, &s), 1);
		CHECK(s.inode == ino);
		close_pair(&q);
	}
	close_pair(&p);
	usleep(20000);
	CHECK_INT(tcpinfo_get(ti, &key, &s), 0);	/* gone */
	tcpinfo_close(ti);
}

static void
test_ipv4(void)
{
	find_and_follow("127.0.0.1", AF_INET);
}

static void
test_ipv6(void)
{
	find_and_follow("::1", AF_INET6);
}

/*
 * A client with many tunnels to one server has as many connections to
 * that address and port: each is found by its inode, whichever comes in
 * the dump (more than fit in one collection, and more than one netlink
 * reply's worth), and without an inode none is picked.
 */
#define MANY	100
static void
test_many_to_one_server(void)
{
	struct tcp_addrs addrs;
	struct tcp_match m;
	struct tcp_key key;
	struct tunnel_tcp s;
	struct tcpinfo *ti;
	struct pair p;
	struct sockaddr_in sin;
	int cli[MANY], srv[MANY], i, found = 0;
	uint64_t ino;
	char err[128];

	if (!in_netns)
		SKIP("needs root to make its own network namespace");
	CHECK_INT(tcpinfo_resolve("127.0.0.1", &addrs, err, sizeof(err)), 0);
	CHECK_INT(make_pair(AF_INET, &p), 0);
	CHECK_INT(listen(p.listener, MANY), 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons(p.port);
	for (i = 0; i < MANY; i++) {
		cli[i] = socket(AF_INET, SOCK_STREAM, 0);
		CHECK_INT(connect(cli[i], (void *)&sin, sizeof(sin)), 0);
		srv[i] = accept(p.listener, NULL, NULL);
	}
	CHECK((ti = tcpinfo_open()) != NULL);
	memset(&m, 0, sizeof(m));
	m.remote = &addrs;
	m.remote_port = p.port;
	CHECK_INT(tcpinfo_find(ti, &m, &key, &s), 0);	/* ambiguous */
	m.ninodes = 1;
	m.inodes = &ino;
	for (i = 0; i < MANY; i++) {
		ino = inode_of(cli[i]);
		if (tcpinfo_find(ti, &m, &key, &s) == 1 && s.inode == ino)
			found++;
	}
	CHECK_INT(found, MANY);
	for (i = 0; i < MANY; i++) {
		close(cli[i]);
		close(srv[i]);
	}
	close_pair(&p);
	tcpinfo_close(ti);
}

static void
test_resolve_errors(void)
{
	struct tcp_addrs a;
	char err[128];

	CHECK_INT(tcpinfo_resolve("no-such-host.invalid", &a, err,
	    sizeof(err)), -1);
	CHECK(strstr(err, "no-such-host.invalid") != NULL);
}

static int answers, results;

static void
got(int answered, uint64_t started, void *arg)
{
	results++;
	answers += answered;
	if (results == *(int *)arg)
		ev_stop();
}

static void
stop_soon(void *arg)
{
	ev_stop();
}

static void
test_reach(void)
{
	struct tcp_addrs addrs;
	struct ev_timer guard;
	struct reach *r;
	struct pair p;
	char err[128];
	int want = 1;

	if (!in_netns)
		SKIP("needs root to make its own network namespace");
	CHECK_INT(make_pair(AF_INET, &p), 0);
	CHECK_INT(tcpinfo_resolve("127.0.0.1", &addrs, err, sizeof(err)), 0);
	CHECK_INT(ev_init(), 0);
	memset(&guard, 0, sizeof(guard));
	/* A listener answers; the first answer ends the other attempt (it
	 * would only report a silence that is over). */
	r = reach_new(&addrs, p.port, got, &want);
	reach_try(r);
	reach_try(r);
	ev_timer_set(&guard, 5000, stop_soon, NULL);
	if (results < want)
		ev_run();
	CHECK_INT(results, 1);
	CHECK_INT(answers, 1);
	results = answers = 0;
	ev_timer_set(&guard, 300, stop_soon, NULL);
	ev_run();			/* nothing more comes */
	CHECK_INT(results, 0);
	/* A closed port: a refusal is an answer too. */
	close(p.listener);
	reach_try(r);
	ev_timer_set(&guard, 5000, stop_soon, NULL);
	if (results < want)
		ev_run();
	CHECK_INT(results, 1);
	CHECK_INT(answers, 1);
	reach_free(r);
	/* No route at all: no answer (perhaps at once, before the loop). */
	results = answers = 0;
	CHECK_INT(tcpinfo_resolve("192.0.2.1", &addrs, err, sizeof(err)), 0);
	r = reach_new(&addrs, 5000, got, &want);
	reach_try(r);
	ev_timer_set(&guard, 5000, stop_soon, NULL);
	if (results < want)
		ev_run();
	CHECK_INT(results, 1);
	CHECK_INT(answers, 0);
	reach_free(r);
	ev_timer_cancel(&guard);
	close(p.client);
	close(p.server);
	ev_free();
}

/* Addresses from getsockname/getpeername into the kernel's lookup key. */
static void
test_key(void)
{
	struct sockaddr_storage l, r;
	struct sockaddr_in *l4 = (void *)&l, *r4 = (void *)&r;
	struct sockaddr_in6 *l6 = (void *)&l, *r6 = (void *)&r;
	struct tcp_key k;
	char text[128];

	memset(&l, 0, sizeof(l));
	memset(&r, 0, sizeof(r));
	l4->sin_family = r4->sin_family = AF_INET;
	inet_pton(AF_INET, "10.99.0.2", &l4->sin_addr);
	inet_pton(AF_INET, "10.99.0.1", &r4->sin_addr);
	l4->sin_port = htons(41822);
	r4->sin_port = htons(5000);
	CHECK(tcpinfo_key(&l, &r, &k) == 0);
	tcpinfo_key_str(&k, text, sizeof(text));
	CHECK_STR(text, "10.99.0.2:41822 -> 10.99.0.1:5000");

	memset(&l, 0, sizeof(l));
	memset(&r, 0, sizeof(r));
	l6->sin6_family = r6->sin6_family = AF_INET6;
	inet_pton(AF_INET6, "fd00::2", &l6->sin6_addr);
	inet_pton(AF_INET6, "fd00::1", &r6->sin6_addr);
	l6->sin6_port = htons(41822);
	r6->sin6_port = htons(5000);
	CHECK(tcpinfo_key(&l, &r, &k) == 0);
	tcpinfo_key_str(&k, text, sizeof(text));
	CHECK_STR(text, "[fd00::2]:41822 -> [fd00::1]:5000");

	/* A dual-stack socket talking IPv4: keyed as IPv4. */
	inet_pton(AF_INET6, "::ffff:10.99.0.2", &l6->sin6_addr);
	inet_pton(AF_INET6, "::ffff:10.99.0.1", &r6->sin6_addr);
	CHECK(tcpinfo_key(&l, &r, &k) == 0);
	CHECK_INT(k.family, AF_INET);
	tcpinfo_key_str(&k, text, sizeof(text));
	CHECK_STR(text, "10.99.0.2:41822 -> 10.99.0.1:5000");

	/* Not a TCP/IP pair: refused. */
	inet_pton(AF_INET6, "fd00::1", &r6->sin6_addr);
	CHECK(tcpinfo_key(&l, &r, &k) == -1);	/* IPv4 to IPv6 */
	l.ss_family = AF_UNIX;
	CHECK(tcpinfo_key(&l, &r, &k) == -1);
}

int
main(void)
{
	struct links *l;

	if (unshare(CLONE_NEWNET) == 0 && (l = links_open()) != NULL) {
		in_netns = links_set_up(l, "lo") == 0;
		links_close(l);
	}
	RUN(test_key);
	RUN(test_ipv4);
	RUN(test_ipv6);
	RUN(test_many_to_one_server);
	RUN(test_resolve_errors);
	RUN(test_reach);
	return unit_done();
}
