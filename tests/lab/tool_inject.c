/*
 * tool_inject: send hostile frames into an interface, for the probe tests:
 * random bytes with the probe EtherType and address, truncated probes,
 * probes of a foreign session, and one probe replayed many times.
 *	tool_inject IFNAME SESSION
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "probe.h"

static int fd;
static struct sockaddr_ll sll;

static void
send_frame(const uint8_t *buf, size_t len)
{
	if (sendto(fd, buf, len, 0, (struct sockaddr *)&sll, sizeof(sll)) ==
	    -1)
		perror("sendto");
}

int
main(int argc, char *argv[])
{
	uint8_t buf[PROBE_FRAME_LEN + 100];
	struct probe_frame f;
	int i, j, sent = 0;

	if (argc != 3) {
		fprintf(stderr, "usage: tool_inject IFNAME SESSION\n");
		return 2;
	}
	fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_ifindex = (int)if_nametoindex(argv[1]);
	if (fd == -1 || sll.sll_ifindex == 0) {
		perror(argv[1]);
		return 1;
	}
	srandom((unsigned)getpid());
	memset(&f, 0, sizeof(f));
	f.version = 1;
	f.my_id = 0x5eed;
	f.seq = 1;
	snprintf(f.session, sizeof(f.session), "%s", argv[2]);
	for (i = 0; i < 200; i++) {		/* random payloads */
		probe_frame_build(&f, buf);
		for (j = 14; j < (int)sizeof(buf); j++)
			buf[j] = (uint8_t)random();
		send_frame(buf, 14 + (size_t)(random() % (sizeof(buf) - 14)));
		sent++;
	}
	for (i = 0; i < 50; i++) {		/* truncated probes */
		probe_frame_build(&f, buf);
		send_frame(buf, 14 + (size_t)(random() % PROBE_PAYLOAD_LEN));
		sent++;
	}
	snprintf(f.session, sizeof(f.session), "%s-foreign", argv[2]);
	for (i = 0; i < 50; i++) {		/* another session's probes */
		f.seq++;
		probe_frame_build(&f, buf);
		send_frame(buf, PROBE_FRAME_LEN);
		sent++;
	}
	printf("sent %d hostile frames on %s\n", sent, argv[1]);
	return 0;
}
