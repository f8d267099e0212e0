/*
 * ctlclient: a blocking line exchange with the control socket.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "ctlclient.h"
#include "peer.h"

struct ctl_conn {
	int	 fd;
	char	 buf[PEER_REPLY_MAX];
	size_t	 len;
};

/* A complete line in the buffer into LINE (without newline); 1, or 0. */
static int
take_line(struct ctl_conn *c, char *line, size_t len)
{
	char *nl = memchr(c->buf, '\n', c->len);
	size_t l;

	if (nl == NULL)
		return 0;
	l = (size_t)(nl - c->buf);
	snprintf(line, len, "%.*s", (int)l, c->buf);
	c->len -= l + 1;
	memmove(c->buf, nl + 1, c->len);
	return 1;
}

/* One read into the buffer; 0, or -1 (errno). */
static int
fill(struct ctl_conn *c)
{
	ssize_t n;

	if (c->len == sizeof(c->buf)) {
		errno = EMSGSIZE;
		return -1;
	}
	while ((n = read(c->fd, c->buf + c->len, sizeof(c->buf) - c->len)) ==
	    -1 && errno == EINTR)
		;
	if (n <= 0) {
		if (n == 0)
			errno = ECONNRESET;
		return -1;
	}
	c->len += (size_t)n;
	return 0;
}

/*
 * The next line that is not an event (without newline) into LINE; event
 * lines met on the way go to EV.  1, or -1 (errno).
 */
static int
read_line(struct ctl_conn *c, char *line, size_t len, ctl_event_cb ev,
    void *arg)
{
	struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
	uint64_t deadline = clock_ms() + CTL_TIMEOUT_MS, now;

	for (;;) {
		while (take_line(c, line, len)) {
			if (!peer_is_event(line))
				return 1;
			if (ev != NULL)
				ev(line, arg);
		}
		now = clock_ms();
		if (now >= deadline || poll(&pfd, 1, (int)(deadline - now)) <=
		    0) {
			errno = ETIMEDOUT;
			return -1;
		}
		if (fill(c) == -1)
			return -1;
	}
}

struct ctl_conn *
ctl_connect(const char *path, int hello, char *err, size_t errlen)
{
	struct sockaddr_un sun;
	struct ctl_conn *c;
	char reply[256];
	int saved;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "%s: name too long", path);
		errno = ENAMETOOLONG;
		return NULL;
	}
	memcpy(sun.sun_path, path, strlen(path));
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd == -1 || connect(c->fd, (struct sockaddr *)&sun,
	    sizeof(sun)) == -1) {
		saved = errno;
		snprintf(err, errlen, "%s: %s", path, strerror(saved));
		ctl_close(c);
		errno = saved;
		return NULL;
	}
	if (hello) {
		snprintf(reply, sizeof(reply), "%s %d", PEER_HELLO,
		    PEER_VERSION);
		if (ctl_call(c, reply, reply, sizeof(reply)) != 0) {
			snprintf(err, errlen, "%s: %s", path, reply);
			ctl_close(c);
			errno = EPROTO;
			return NULL;
		}
	}
	return c;
}

int
ctl_call(struct ctl_conn *c, const char *request, char *reply, size_t len)
{
	return ctl_call_ev(c, request, reply, len, NULL, NULL);
}

int
ctl_call_ev(struct ctl_conn *c, const char *request, char *reply, size_t len,
    ctl_event_cb ev, void *arg)
{
	char line[PEER_LINE_MAX + 2];
	int n = snprintf(line, sizeof(line), "%s\n", request);

	if (n < 0 || (size_t)n >= sizeof(line)) {
		snprintf(reply, len, "request too long");
		return -1;
	}
	if (write(c->fd, line, (size_t)n) != n ||
	    read_line(c, reply, len, ev, arg) == -1) {
		snprintf(reply, len, "%s", strerror(errno));
		return -1;
	}
	return strncmp(reply, "ok", 2) == 0 ? 0 : 1;
}

void
ctl_buffered_events(struct ctl_conn *c, ctl_event_cb ev, void *arg)
{
	char line[PEER_REPLY_MAX];

	while (take_line(c, line, sizeof(line)))
		if (peer_is_event(line))
			ev(line, arg);
}

int
ctl_events(struct ctl_conn *c, ctl_event_cb ev, void *arg)
{
	if (fill(c) == -1)
		return -1;
	ctl_buffered_events(c, ev, arg);
	return 0;
}

int
ctl_fd(const struct ctl_conn *c)
{
	return c->fd;
}

int
ctl_line(struct ctl_conn *c, char *line, size_t len)
{
	if (read_line(c, line, len, NULL, NULL) == -1)
		return -1;
	return strcmp(line, ".") == 0 ? 0 : 1;
}

void
ctl_close(struct ctl_conn *c)
{
	if (c == NULL)
		return;
	if (c->fd != -1)
		close(c->fd);
	free(c);
}
