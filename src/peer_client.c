/*
 * peer_client: the calling side of the peer protocol.
 *
 * A connection is PEER_COMMAND's process with a pipe each way.  Blocking
 * calls poll with a deadline; the worker's channel queues requests, sends
 * one at a time and gives up on a request after PEER_TIMEOUT_MS (on the
 * hello, which waits for ssh to connect, PEER_CONNECT_TIMEOUT_MS, doubled
 * after each time it ran out, up to PEER_CONNECT_TIMEOUT_MAX_MS; a request
 * made before the hello's answer waits for it at most PEER_TIMEOUT_MS, or
 * not at all), closing
 * the connection, failing what was queued and backing off before the next
 * attempt (1 s doubling to 60 s).
 */
#include <sys/wait.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "event.h"
#include "exec.h"
#include "log.h"
#include "peer.h"
#include "peer_client.h"

struct peer_conn {
	pid_t	 pid;
	int	 to, from;
	char	 buf[PEER_REPLY_MAX];
	size_t	 len;
};

const char *
peer_host(const struct config *conf, const struct tap_conf *tap)
{
	return conf->machine == ROLE_CLIENT ? conf->server : tap->client_ip;
}

/*
 * PEER_COMMAND runs as USER (SPEC §7): that account's key, known_hosts and
 * ssh configuration, never root's.  USER root runs it unchanged.
 */
static struct peer_conn *
conn_start(const struct config *conf, const char *host)
{
	struct exec_user u;
	struct peer_conn *c;
	char **argv;
	int as_user = strcmp(conf->user, "root") != 0;

	if (as_user && exec_user_lookup(conf->user, &u) == -1)
		return NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	if ((argv = command_expand(&conf->peer_command, host)) == NULL) {
		free(c);
		return NULL;
	}
	c->pid = as_user ? exec_pipe_as(argv, &u, &c->to, &c->from) :
	    exec_pipe(argv, &c->to, &c->from);
	free(argv);
	if (c->pid == -1) {
		free(c);
		return NULL;
	}
	return c;
}

static void
conn_stop(struct peer_conn *c)
{
	if (c == NULL)
		return;
	close(c->to);
	close(c->from);
	kill(c->pid, SIGKILL);		/* also when it is stopped */
	while (waitpid(c->pid, NULL, 0) == -1 && errno == EINTR)
		;
	free(c);
}

/* Write a whole request line; 0 or -1.  Lines are tiny: one write. */
static int
conn_send(struct peer_conn *c, const char *request)
{
	char line[PEER_LINE_MAX + 2];
	int n = snprintf(line, sizeof(line), "%s\n", request);

	if (n < 0 || (size_t)n >= sizeof(line))
		return -1;
	return write(c->to, line, (size_t)n) == n ? 0 : -1;
}

/*
 * Read what is there; move a complete line into REPLY.  1 a line, 0 not
 * yet, -1 closed or broken (text in REPLY).
 */
static int
conn_take_line(struct peer_conn *c, char *reply, size_t len)
{
	char *nl;
	ssize_t n;
	size_t l;

	for (;;) {
		if ((nl = memchr(c->buf, '\n', c->len)) != NULL) {
			l = (size_t)(nl - c->buf);
			snprintf(reply, len, "%.*s", (int)l, c->buf);
			c->len -= l + 1;
			memmove(c->buf, nl + 1, c->len);
			return 1;
		}
		if (c->len == sizeof(c->buf)) {
			snprintf(reply, len, "reply too long");
			return -1;
		}
		n = read(c->from, c->buf + c->len, sizeof(c->buf) - c->len);
		if (n > 0) {
			c->len += (size_t)n;
			continue;
		}
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			return 0;
		snprintf(reply, len, n == 0 ? "connection closed" : "%s",
		    strerror(errno));
		return -1;
	}
}

static int
call_within(struct peer_conn *c, const char *request, char *reply,
    size_t len, int ms)
{
	struct pollfd pfd = { .fd = c->from, .events = POLLIN };
	uint64_t deadline = ev_now_ms() + (uint64_t)ms, now;
	int rc;

	if (conn_send(c, request) == -1) {
		snprintf(reply, len, "cannot send: %s", strerror(errno));
		return -1;
	}
	while ((rc = conn_take_line(c, reply, len)) == 0) {
		now = ev_now_ms();
		if (now >= deadline || poll(&pfd, 1,
		    (int)(deadline - now)) == 0) {
			snprintf(reply, len, "no reply within %d s",
			    ms / 1000);
			return -1;
		}
	}
	if (rc == -1)
		return -1;
	return strncmp(reply, "ok", 2) == 0 ? 0 : 1;
}

int
peer_call(struct peer_conn *c, const char *request, char *reply, size_t len)
{
	return call_within(c, request, reply, len, PEER_TIMEOUT_MS);
}

struct peer_conn *
peer_connect(const struct config *conf, const char *host, char *err,
    size_t errlen)
{
	struct peer_conn *c;
	char hello[32], reply[256];

	if ((c = conn_start(conf, host)) == NULL) {
		snprintf(err, errlen, "%s: %s", conf->peer_command.argv[0],
		    strerror(errno));
		return NULL;
	}
	snprintf(hello, sizeof(hello), "%s %d", PEER_HELLO, PEER_VERSION);
	if (call_within(c, hello, reply, sizeof(reply),
	    PEER_CONNECT_TIMEOUT_MS) != 0) {
		snprintf(err, errlen, "peer %s: %s", host, reply);
		conn_stop(c);
		return NULL;
	}
	return c;
}

void
peer_close(struct peer_conn *c)
{
	char reply[64];

	if (c != NULL && conn_send(c, "quit") == 0)
		(void)conn_take_line(c, reply, sizeof(reply));
	conn_stop(c);
}

/* --- the supervisor's channels, one per peer host --- */

struct pending {
	struct pending	*next;
	char		 line[PEER_LINE_MAX + 1];
	peer_reply_cb	 cb;
	void		*arg;
	uint64_t	 queued_ms;
};

struct peer_chan {
	const struct config *conf;
	char		 host[HOST_MAX];
	struct peer_conn *conn;
	int		 up;
	int		 in_flight;	/* the head of the queue was sent */
	struct pending	*head, *tail;
	size_t		 count;
	struct ev_timer	 timeout;
	struct ev_timer	 waited;	/* requests queued behind the hello */
	uint64_t	 next_connect;	/* ms: back-off */
	uint64_t	 backoff_ms;
	uint64_t	 hello_ms;	/* the hello's patience */
	int		 warned;	/* the failure was logged */
	peer_event_cb	 on_event;	/* event lines; NULL: closed */
	void		*event_arg;
};

static void	 chan_send_next(struct peer_chan *);

static struct pending *
chan_pop(struct peer_chan *ch)
{
	struct pending *p = ch->head;

	ch->head = p->next;
	if (ch->head == NULL)
		ch->tail = NULL;
	ch->count--;
	ch->in_flight = 0;
	return p;
}

static void
chan_answer(struct peer_chan *ch, const char *reply)
{
	struct pending *p = chan_pop(ch);

	if (p->cb != NULL)
		p->cb(reply, p->arg);
	free(p);
}

/* Give up on the connection: close it, fail what was queued, back off. */
static void
chan_fail(struct peer_chan *ch, const char *why)
{
	if (ch->conn != NULL) {
		ev_del_fd(ch->conn->from);
		conn_stop(ch->conn);
		ch->conn = NULL;
	}
	ev_timer_cancel(&ch->timeout);
	ev_timer_cancel(&ch->waited);
	ch->up = 0;
	ch->next_connect = ev_now_ms() + ch->backoff_ms;
	/* Logged once per episode of failures, not once per retry. */
	if (!ch->warned)
		log_warnx("peer %s: %s; retrying in %llu s", ch->host, why,
		    (unsigned long long)(ch->backoff_ms / 1000));
	ch->warned = 1;
	ch->backoff_ms *= 2;
	if (ch->backoff_ms > PEER_BACKOFF_MAX_MS)
		ch->backoff_ms = PEER_BACKOFF_MAX_MS;
	while (ch->count > 0)
		chan_answer(ch, NULL);
	if (ch->on_event != NULL)
		ch->on_event(NULL, ch->event_arg);
}

static void
chan_timeout(void *arg)
{
	struct peer_chan *ch = arg;
	char why[64];

	snprintf(why, sizeof(why), "no reply within %llu s",
	    (unsigned long long)(ch->up ? PEER_TIMEOUT_MS : ch->hello_ms) /
	    1000);
	/* ssh was still connecting: it gets longer next time. */
	if (!ch->up) {
		ch->hello_ms *= 2;
		if (ch->hello_ms > PEER_CONNECT_TIMEOUT_MAX_MS)
			ch->hello_ms = PEER_CONNECT_TIMEOUT_MAX_MS;
	}
	chan_fail(ch, why);
}

static void
chan_readable(int fd, void *arg)
{
	struct peer_chan *ch = arg;
	char reply[PEER_REPLY_MAX];
	int rc;

	while (ch->conn != NULL &&
	    (rc = conn_take_line(ch->conn, reply, sizeof(reply))) != 0) {
		if (rc == 1 && ch->up && peer_is_event(reply)) {
			if (ch->on_event != NULL)
				ch->on_event(reply, ch->event_arg);
			continue;
		}
		if (rc == -1 || !ch->in_flight) {
			chan_fail(ch, rc == -1 ? reply : "unexpected reply");
			return;
		}
		ev_timer_cancel(&ch->timeout);
		chan_answer(ch, reply);
		chan_send_next(ch);
	}
}

static void
chan_send_next(struct peer_chan *ch)
{
	if (ch->conn == NULL || ch->in_flight || ch->count == 0)
		return;
	if (conn_send(ch->conn, ch->head->line) == -1) {
		chan_fail(ch, "cannot send");
		return;
	}
	ch->in_flight = 1;
	/* Until the hello's answer, ssh is still connecting. */
	ev_timer_set(&ch->timeout, ch->up ? PEER_TIMEOUT_MS : ch->hello_ms,
	    chan_timeout, ch);
}

static void
hello_done(const char *reply, void *arg)
{
	struct peer_chan *ch = arg;

	if (reply == NULL)
		return;			/* chan_fail has logged it */
	if (strncmp(reply, "ok ", 3) != 0) {
		chan_fail(ch, reply);
		return;
	}
	ch->up = 1;
	ev_timer_cancel(&ch->waited);
	ch->warned = 0;
	ch->backoff_ms = PEER_BACKOFF_MIN_MS;
	ch->hello_ms = PEER_CONNECT_TIMEOUT_MS;
	log_info("peer %s: connected (%s)", ch->host, reply + 3);
}

/*
 * While ssh connects (the hello may take PEER_CONNECT_TIMEOUT_MS), no
 * request waits longer than PEER_TIMEOUT_MS for it: the asker goes on
 * with what it knew, as if the channel were down.  The queue is in the
 * order of asking, the hello first.
 */
static void
chan_expire(void *arg)
{
	struct peer_chan *ch = arg;
	struct pending *p;
	uint64_t now = ev_now_ms();

	while (ch->head != NULL && ch->in_flight && !ch->up &&
	    (p = ch->head->next) != NULL &&
	    now - p->queued_ms >= PEER_TIMEOUT_MS) {
		ch->head->next = p->next;
		if (ch->tail == p)
			ch->tail = ch->head;
		ch->count--;
		if (p->cb != NULL)
			p->cb(NULL, p->arg);
		free(p);
	}
	if (!ch->up && ch->head != NULL && ch->head->next != NULL)
		ev_timer_set(&ch->waited, ch->head->next->queued_ms +
		    PEER_TIMEOUT_MS - now, chan_expire, ch);
}

static int
chan_push(struct peer_chan *ch, const char *line, peer_reply_cb cb, void *arg)
{
	struct pending *p;

	if (ch->count >= PEER_QUEUE_MAX || strlen(line) > PEER_LINE_MAX ||
	    (p = calloc(1, sizeof(*p))) == NULL)
		return -1;
	strcpy(p->line, line);
	p->cb = cb;
	p->arg = arg;
	p->queued_ms = ev_now_ms();
	/* The first request behind the hello arms the expiry; it re-arms
	 * itself for the next. */
	if (ch->conn != NULL && !ch->up && ch->count == 1)
		ev_timer_set(&ch->waited, PEER_TIMEOUT_MS, chan_expire, ch);
	if (ch->tail != NULL)
		ch->tail->next = p;
	else
		ch->head = p;
	ch->tail = p;
	ch->count++;
	return 0;
}

static int
chan_connect(struct peer_chan *ch)
{
	char hello[32];

	if ((ch->conn = conn_start(ch->conf, ch->host)) == NULL ||
	    ev_add_fd(ch->conn->from, chan_readable, ch) == -1) {
		if (ch->conn != NULL) {
			conn_stop(ch->conn);
			ch->conn = NULL;
		}
		chan_fail(ch, strerror(errno));
		return -1;
	}
	snprintf(hello, sizeof(hello), "%s %d", PEER_HELLO, PEER_VERSION);
	return chan_push(ch, hello, hello_done, ch);
}

int
peerchan_request(struct peer_chan *ch, const char *request, int how,
    peer_reply_cb cb, void *arg)
{
	if (ch->conn == NULL) {
		if ((!(how & PEER_ASK_NOW_TRY) &&
		    ev_now_ms() < ch->next_connect) || chan_connect(ch) == -1)
			return -1;
		chan_send_next(ch);	/* the hello */
	}
	if (!ch->up && !(how & PEER_ASK_WAIT))
		return -1;
	if (chan_push(ch, request, cb, arg) == -1)
		return -1;
	chan_send_next(ch);
	return 0;
}

int
peerchan_up(const struct peer_chan *ch)
{
	return ch->up;
}

const char *
peerchan_host(const struct peer_chan *ch)
{
	return ch->host;
}

void
peerchan_on_event(struct peer_chan *ch, peer_event_cb cb, void *arg)
{
	ch->on_event = cb;
	ch->event_arg = arg;
}

void
peerchan_set_conf(struct peer_chan *ch, const struct config *conf)
{
	ch->conf = conf;
}

struct peer_chan *
peerchan_new(const struct config *conf, const char *host)
{
	struct peer_chan *ch;

	if ((ch = calloc(1, sizeof(*ch))) == NULL)
		return NULL;
	ch->conf = conf;
	snprintf(ch->host, sizeof(ch->host), "%s", host);
	ch->backoff_ms = PEER_BACKOFF_MIN_MS;
	ch->hello_ms = PEER_CONNECT_TIMEOUT_MS;
	return ch;
}

/* Every request still queued is answered (NULL) before the channel goes. */
void
peerchan_free(struct peer_chan *ch)
{
	if (ch == NULL)
		return;
	if (ch->conn != NULL) {
		ev_del_fd(ch->conn->from);
		conn_stop(ch->conn);
		ch->conn = NULL;
	}
	ev_timer_cancel(&ch->timeout);
	ev_timer_cancel(&ch->waited);
	while (ch->count > 0)
		chan_answer(ch, NULL);
	free(ch);
}
