/*
 * tool_reach: probe many addresses at once and report when every one of
 * them has answered, for the lab's mass faults (1000 tunnels cannot be
 * probed by one ping process each, nor one after another).
 *
 *	tool_reach [-i INTERVAL_MS] [-w SECONDS] [-t T0_MS] [-v] [ADDR...]
 *
 * Addresses come from the arguments, else from stdin (one a line).  Every
 * INTERVAL_MS (default 50) an ICMP echo request goes to each address that
 * has not answered yet, from one raw socket.  Times are milliseconds from
 * T0 (wall clock, as `date +%s%3N` prints it; default: now) to the first
 * reply received.  Prints, with -v, "ADDR MS" per address as it answers,
 * then "all MS" (the last first reply) and exits 0, or after SECONDS
 * (default 60) "missing K of N: ADDR..." and exits 1.  Runs as root, in
 * the namespace of the probing host.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAGIC	0x76667872u	/* "vfxr" */
#define MAXDST	65536

struct dst {
	struct sockaddr_in sa;
	long long first;	/* ms from T0 of the first reply, -1: none */
};

static struct dst *dsts;
static int ndst;

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint16_t
checksum(const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint32_t sum = 0;

	for (; len > 1; p += 2, len -= 2)
		sum += (uint32_t)p[0] << 8 | p[1];
	if (len)
		sum += (uint32_t)p[0] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

static int
add_dst(const char *s)
{
	if (ndst == MAXDST) {
		fprintf(stderr, "tool_reach: more than %d addresses\n", MAXDST);
		return -1;
	}
	memset(&dsts[ndst].sa, 0, sizeof(dsts[ndst].sa));
	dsts[ndst].sa.sin_family = AF_INET;
	if (inet_pton(AF_INET, s, &dsts[ndst].sa.sin_addr) != 1) {
		fprintf(stderr, "tool_reach: %s: not an IPv4 address\n", s);
		return -1;
	}
	dsts[ndst++].first = -1;
	return 0;
}

static void
send_round(int fd, uint16_t id)
{
	uint8_t pkt[sizeof(struct icmphdr) + 8];
	struct icmphdr *h = (struct icmphdr *)pkt;
	uint32_t w[2];
	int i;

	for (i = 0; i < ndst; i++) {
		if (dsts[i].first >= 0)
			continue;
		memset(pkt, 0, sizeof(pkt));
		h->type = ICMP_ECHO;
		h->un.echo.id = htons(id);
		h->un.echo.sequence = htons((uint16_t)i);
		w[0] = htonl(MAGIC);
		w[1] = htonl((uint32_t)i);
		memcpy(pkt + sizeof(*h), w, sizeof(w));
		h->checksum = checksum(pkt, sizeof(pkt));
		/* ENOBUFS, EHOSTUNREACH...: the tunnel is down; try again. */
		(void)sendto(fd, pkt, sizeof(pkt), MSG_DONTWAIT,
		    (struct sockaddr *)&dsts[i].sa, sizeof(dsts[i].sa));
	}
}

/* Read every reply queued; returns how many addresses answered first now. */
static int
read_replies(int fd, uint16_t id, long long t0, int verbose)
{
	uint8_t buf[1500];
	struct sockaddr_in from;
	socklen_t fl;
	ssize_t n;
	int got = 0;

	for (;;) {
		const struct iphdr *ip = (const struct iphdr *)buf;
		const struct icmphdr *h;
		uint32_t w[2];
		size_t hl;

		fl = sizeof(from);
		n = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT,
		    (struct sockaddr *)&from, &fl);
		if (n < 0)
			return got;
		hl = (size_t)ip->ihl * 4;
		if ((size_t)n < hl + sizeof(*h) + sizeof(w))
			continue;
		h = (const struct icmphdr *)(buf + hl);
		memcpy(w, buf + hl + sizeof(*h), sizeof(w));
		if (h->type != ICMP_ECHOREPLY || ntohs(h->un.echo.id) != id ||
		    ntohl(w[0]) != MAGIC || ntohl(w[1]) >= (uint32_t)ndst)
			continue;
		struct dst *d = &dsts[ntohl(w[1])];
		if (d->first >= 0 ||
		    d->sa.sin_addr.s_addr != from.sin_addr.s_addr)
			continue;
		d->first = now_ms() - t0;
		if (d->first < 0)
			d->first = 0;
		if (verbose)
			printf("%s %lld\n", inet_ntoa(from.sin_addr), d->first);
		got++;
	}
}

static int
report(int answered)
{
	long long last = 0;
	int i, shown = 0;

	if (answered == ndst) {
		for (i = 0; i < ndst; i++)
			if (dsts[i].first > last)
				last = dsts[i].first;
		printf("all %lld\n", last);
		return 0;
	}
	printf("missing %d of %d:", ndst - answered, ndst);
	for (i = 0; i < ndst && shown < 10; i++)
		if (dsts[i].first < 0) {
			printf(" %s", inet_ntoa(dsts[i].sa.sin_addr));
			shown++;
		}
	printf("%s\n", ndst - answered > shown ? " ..." : "");
	return 1;
}

int
main(int argc, char *argv[])
{
	long long t0 = -1, deadline, next;
	int interval = 50, secs = 60, verbose = 0, ch, fd, answered = 0;
	int rcvbuf = 4 << 20;
	char line[64];
	uint16_t id = (uint16_t)getpid();

	while ((ch = getopt(argc, argv, "i:w:t:v")) != -1) {
		switch (ch) {
		case 'i': interval = atoi(optarg); break;
		case 'w': secs = atoi(optarg); break;
		case 't': t0 = atoll(optarg); break;
		case 'v': verbose = 1; break;
		default:
			fprintf(stderr, "usage: tool_reach [-i INTERVAL_MS] "
			    "[-w SECONDS] [-t T0_MS] [-v] [ADDR...]\n");
			return 2;
		}
	}
	if (interval < 1 || secs < 1)
		return 2;
	if ((dsts = calloc(MAXDST, sizeof(*dsts))) == NULL)
		return 2;
	for (; optind < argc; optind++)
		if (add_dst(argv[optind]) == -1)
			return 2;
	if (ndst == 0)
		while (fgets(line, sizeof(line), stdin) != NULL) {
			line[strcspn(line, " \t\r\n")] = '\0';
			if (line[0] != '\0' && add_dst(line) == -1)
				return 2;
		}
	if (ndst == 0)
		return 2;
	if ((fd = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP)) == -1) {
		perror("tool_reach: socket");
		return 2;
	}
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
	    sizeof(rcvbuf));
	if (t0 < 0)
		t0 = now_ms();
	setvbuf(stdout, NULL, _IOLBF, 0);
	deadline = now_ms() + (long long)secs * 1000;
	next = 0;
	while (answered < ndst) {
		long long now = now_ms();
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (now >= deadline)
			break;
		if (now >= next) {
			send_round(fd, id);
			next = now + interval;
		}
		if (poll(&p, 1, (int)(next < deadline ? next - now :
		    deadline - now)) > 0)
			answered += read_replies(fd, id, t0, verbose);
	}
	close(fd);
	return report(answered);
}
