/*
 * libFuzzer target: the peer's whole input loop (relay.c), not only the
 * line parser.  The input is the byte stream the far end sends over ssh:
 * it goes through relay_serve() as it would in `vtundfix peer`, with the
 * daemon there (a thread on a control socket that answers every line) or
 * not (the first byte decides), and the relay must neither crash, nor
 * hang, nor send the daemon a line that is not a well-formed request.
 *
 * The socket lives in a private mkdtemp(3) directory made once per run
 * and removed at exit; the input itself stays in memory (a pipe).
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "peer.h"
#include "relay.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[] = "/tmp/vfx-fuzz-relay-XXXXXX";
static char sock[sizeof(dir) + 16], nosock[sizeof(dir) + 16];

/* Whatever reaches the daemon must be a request the parser takes. */
static void
serve(int fd)
{
	char line[PEER_LINE_MAX + 2], err[128];
	struct peer_request req;
	size_t n = 0;
	char ch;

	while (read(fd, &ch, 1) == 1) {
		if (ch != '\n') {
			if (n + 1 >= sizeof(line))
				abort();	/* an over-long line got through */
			line[n++] = ch;
			continue;
		}
		line[n] = '\0';
		n = 0;
		if (peer_parse_request(line, &req, err, sizeof(err)) == -1)
			abort();	/* a bad line got through */
		if (dprintf(fd, "ok got %s\n", line) < 0)
			break;
	}
	close(fd);
}

static void *
daemon_thread(void *arg)
{
	int lfd = *(int *)arg, fd;

	while ((fd = accept(lfd, NULL, NULL)) != -1)
		serve(fd);
	return NULL;
}

static void
cleanup(void)
{
	unlink(sock);
	rmdir(dir);
}

static void
setup(void)
{
	static int lfd;
	struct sockaddr_un sun;
	pthread_t th;

	signal(SIGPIPE, SIG_IGN);
	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(sock, sizeof(sock), "%s/control", dir);
	snprintf(nosock, sizeof(nosock), "%s/none", dir);
	atexit(cleanup);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", sock);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd == -1 || bind(lfd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    listen(lfd, 4) == -1 ||
	    pthread_create(&th, NULL, daemon_thread, &lfd) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	int in[2], out;

	if (!ready) {
		setup();
		ready = 1;
	}
	if (size == 0)
		return 0;
	if (size > 60000)		/* within a pipe's buffer */
		size = 60000;
	if (pipe(in) == -1 || (out = open("/dev/null", O_WRONLY)) == -1)
		abort();
	if (write(in[1], data + 1, size - 1) != (ssize_t)(size - 1))
		abort();
	close(in[1]);			/* the far end hangs up after it */
	(void)relay_serve(data[0] & 1 ? sock : nosock, in[0], out);
	close(in[0]);
	return 0;
}
