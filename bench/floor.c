/*
 * floor: what one wake-up a second costs on this machine, with nothing
 * else to do.  The reference for the scale bench's idle figure (an idle
 * worker wakes once per probe interval: epoll_wait's timeout, two reads
 * of its probe socket, the second finding it empty, and one send).
 *
 *	floor SECONDS [calls [PHASE_MS]]
 *
 * Without "calls" it only wakes; with it, it also makes the worker's
 * three calls, on a socket pair.  PHASE_MS delays the first wake-up, so
 * that many copies wake at different moments, as a hub's workers do.
 * bench/floor.sh runs it and reports the scheduler's CPU time.
 */
#include <sys/epoll.h>
#include <sys/socket.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	struct epoll_event ev[8];
	char buf[256];
	int n = argc > 1 ? atoi(argv[1]) : 30, calls, sv[2], ep, i;

	calls = argc > 2 && strcmp(argv[2], "calls") == 0;
	if ((ep = epoll_create1(EPOLL_CLOEXEC)) == -1 ||
	    socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, sv) == -1)
		return 1;
	memset(buf, 0, sizeof(buf));
	if (calls && send(sv[0], buf, 192, 0) == -1)
		return 1;
	if (argc > 3)
		(void)epoll_wait(ep, ev, 8, atoi(argv[3]) % 1000);
	for (i = 0; i < n; i++) {
		(void)epoll_wait(ep, ev, 8, 1000);
		if (!calls)
			continue;
		(void)recv(sv[1], buf, sizeof(buf), 0);
		(void)recv(sv[1], buf, sizeof(buf), 0);
		(void)send(sv[0], buf, 192, 0);
	}
	return 0;
}
