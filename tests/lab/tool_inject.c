/*
 * tool_inject: send hostile frames into an interface, for the probe tests.
 *
 *	tool_inject [-r] [-a] [-w SECONDS] IFNAME SESSION
 *
 * Always: random bytes behind the probe address and EtherType, truncated
 * probes, well-formed probes of SESSION-foreign, and probes of SESSION
 * tagged with a guessed key.  With -r or -a it first captures a genuine
 * v2 probe of SESSION on IFNAME (either direction, within -w seconds,
 * default 5) and then
 *	-r  replays it 10 times, verbatim;
 *	-a  sends it altered: one bit flipped at each of 24 offsets across
 *	    header, fields and tag, and re-tagged with a guessed key after
 *	    raising its seq by a million (issue 14's forged "peer id, high
 *	    seq" frame).
 * Frames sent on a tap go to the far end of the tunnel (the local
 * daemon's socket sees them as outgoing and skips them), so check the far
 * end's drop counters.  Prints one line of what was sent.  Exit status: 0
 * when every frame was sent, 1 when one could not be sent or no genuine
 * probe was captured (so a test knows the injection happened), 2 usage.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "probe.h"

struct injector {
	int		 fd;
	struct sockaddr_ll sll;
	const char	*ifname;
	int		 sent, failed;
};

static void
send_frame(struct injector *in, const uint8_t *buf, size_t len)
{
	/* Paced, so a receiver's socket buffer holds them all and its
	 * counters show every one. */
	struct timespec pace = { 0, 500000 };

	nanosleep(&pace, NULL);
	if (sendto(in->fd, buf, len, 0, (struct sockaddr *)&in->sll,
	    sizeof(in->sll)) == (ssize_t)len) {
		in->sent++;
		return;
	}
	if (in->failed++ == 0)
		fprintf(stderr, "tool_inject: %s: send: %s\n", in->ifname,
		    strerror(errno));
}

/* A frame of SESSION with plausible fields, tagged with a guessed key. */
static size_t
forged(const char *session, uint8_t *buf, size_t len)
{
	struct probe_frame f;
	uint8_t guess[PROBE_KEY_LEN];

	memset(guess, 0x5e, sizeof(guess));
	memset(&f, 0, sizeof(f));
	f.len = PROBE_FRAME_LEN;
	f.sender_id = 0x5eed;
	f.epoch = 1;
	f.seq = (uint64_t)random() + 1;
	snprintf(f.session, sizeof(f.session), "%s", session);
	return probe_frame_build(&f, guess, buf, len);
}

static int
send_blind(struct injector *in, const char *session)
{
	uint8_t buf[PROBE_FRAME_LEN + 100];
	char foreign[PROBE_SESSION_LEN];
	int i, j;

	snprintf(foreign, sizeof(foreign), "%.50s-foreign", session);
	for (i = 0; i < 200; i++) {		/* random payloads */
		forged(session, buf, sizeof(buf));
		for (j = 14; j < (int)sizeof(buf); j++)
			buf[j] = (uint8_t)random();
		send_frame(in, buf, 14 + (size_t)(random() %
		    (sizeof(buf) - 14)));
	}
	for (i = 0; i < 50; i++) {		/* truncated probes */
		forged(session, buf, sizeof(buf));
		send_frame(in, buf, 14 + (size_t)(random() %
		    (PROBE_FRAME_LEN - 14)));
	}
	for (i = 0; i < 50; i++) {		/* another session's */
		forged(foreign, buf, sizeof(buf));
		send_frame(in, buf, PROBE_FRAME_LEN);
	}
	for (i = 0; i < 50; i++) {		/* ours, guessed key */
		forged(session, buf, sizeof(buf));
		send_frame(in, buf, PROBE_FRAME_LEN);
	}
	return 350;
}

/* Wait up to SECS for a genuine-looking v2 probe of SESSION on IN. */
static int
capture(struct injector *in, const char *session, int secs, uint8_t *buf,
    size_t *len, int *outgoing)
{
	struct pollfd pfd = { .fd = in->fd, .events = POLLIN };
	uint64_t end = clock_ms() + (uint64_t)secs * 1000;
	struct sockaddr_ll from;
	struct probe_frame f;
	socklen_t fromlen;
	char err[80];
	ssize_t n;

	while (clock_ms() < end) {
		if (poll(&pfd, 1, 100) <= 0)
			continue;
		fromlen = sizeof(from);
		n = recvfrom(in->fd, buf, PROBE_FRAME_LEN, MSG_DONTWAIT,
		    (struct sockaddr *)&from, &fromlen);
		if (n == PROBE_FRAME_LEN && probe_frame_parse(buf, (size_t)n,
		    &f, err, sizeof(err)) == 0 && strcmp(f.session, session) == 0) {
			*len = (size_t)n;
			*outgoing = from.sll_pkttype == PACKET_OUTGOING;
			return 0;
		}
	}
	return -1;
}

static int
send_replays(struct injector *in, const uint8_t *buf, size_t len)
{
	int i;

	for (i = 0; i < 10; i++)
		send_frame(in, buf, len);
	return 10;
}

static int
send_altered(struct injector *in, const uint8_t *buf, size_t len)
{
	uint8_t bad[PROBE_FRAME_LEN], guess[PROBE_KEY_LEN];
	struct probe_frame f;
	char err[80];
	int i;

	for (i = 0; i < 24; i++) {
		memcpy(bad, buf, len);
		bad[7 + i * ((int)len - 8) / 23] ^= 0x10;
		send_frame(in, bad, len);
	}
	if (probe_frame_parse(buf, len, &f, err, sizeof(err)) == 0) {
		f.seq += 1000000;
		memset(guess, 0x5e, sizeof(guess));
		probe_frame_build(&f, guess, bad, sizeof(bad));
		send_frame(in, bad, len);
	}
	return 25;
}

static int
open_injector(struct injector *in, const char *ifname)
{
	memset(in, 0, sizeof(*in));
	in->ifname = ifname;
	in->sll.sll_family = AF_PACKET;
	in->sll.sll_protocol = htons(ETH_P_ALL);
	in->sll.sll_ifindex = (int)if_nametoindex(ifname);
	if (in->sll.sll_ifindex == 0) {
		fprintf(stderr, "tool_inject: %s: no such interface\n", ifname);
		return -1;
	}
	in->fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	if (in->fd == -1 || bind(in->fd, (struct sockaddr *)&in->sll,
	    sizeof(in->sll)) == -1) {
		fprintf(stderr, "tool_inject: %s: %s\n", ifname,
		    strerror(errno));
		return -1;
	}
	return 0;
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: tool_inject [-r] [-a] [-w SECONDS] IFNAME SESSION\n");
	exit(2);
}

int
main(int argc, char *argv[])
{
	struct injector in;
	uint8_t genuine[PROBE_FRAME_LEN];
	size_t len = 0;
	int c, replay = 0, alter = 0, wait_s = 5, outgoing = 0;
	int blind, replays = 0, altered = 0;

	while ((c = getopt(argc, argv, "raw:")) != -1) {
		if (c == 'r')
			replay = 1;
		else if (c == 'a')
			alter = 1;
		else if (c != 'w' || (wait_s = atoi(optarg)) <= 0)
			usage();
	}
	if (argc - optind != 2 || strlen(argv[optind + 1]) >= 50)
		usage();
	if (open_injector(&in, argv[optind]) == -1)
		return 1;
	srandom((unsigned)getpid());
	if ((replay || alter) && capture(&in, argv[optind + 1], wait_s,
	    genuine, &len, &outgoing) == -1) {
		fprintf(stderr, "tool_inject: %s: no probe of %s seen in %d s\n",
		    in.ifname, argv[optind + 1], wait_s);
		return 1;
	}
	blind = send_blind(&in, argv[optind + 1]);
	if (replay)
		replays = send_replays(&in, genuine, len);
	if (alter)
		altered = send_altered(&in, genuine, len);
	printf("sent %d of %d hostile frames on %s: %d blind, %d replayed, "
	    "%d altered%s\n", in.sent, blind + replays + altered, in.ifname,
	    blind, replays, altered, len == 0 ? "" : outgoing ?
	    " (of an outgoing probe)" : " (of an incoming probe)");
	close(in.fd);
	return in.failed == 0 ? 0 : 1;
}
