/*
 * requests: a worker's answers to the peer protocol's verbs.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "datapath.h"
#include "event.h"
#include "links.h"
#include "log.h"
#include "processes.h"
#include "requests.h"

#define END_STEP_MS	10
#define END_TERM_MS	500	/* a stopped session ignores SIGTERM */
#define END_GIVEUP_MS	1000

/* One "end" at a time: the session has one server process to end. */
static struct {
	int		 busy;
	uint32_t	 id;
	request_done	 done;
	struct vtund_proc p[4];
	int		 n, ended, killed;
	uint64_t	 started;
	struct ev_timer	 timer;
	const struct tapcheck *tc;
} end;

static void
reply_counters(struct tapcheck *tc, char *reply, size_t len)
{
	struct link_info li;
	int rc = links_get(tc->links, tc->tap->tap, &li);

	if (rc == LINKS_NOTFOUND)
		snprintf(reply, len, "ok %s absent", tc->tap->session);
	else if (rc != 0)
		snprintf(reply, len, "err %s: %s", tc->tap->tap,
		    links_strerror(rc));
	else
		snprintf(reply, len, "ok %s rx_packets=%" PRIu64 " tx_packets="
		    "%" PRIu64 " rx_bytes=%" PRIu64 " tx_bytes=%" PRIu64,
		    tc->tap->session, li.rx_packets, li.tx_packets,
		    li.rx_bytes, li.tx_bytes);
}

static void
reply_switches(struct tapcheck *tc, char *reply, size_t len)
{
	size_t n;
	int i;

	n = (size_t)snprintf(reply, len, "ok %s", tc->tap->session);
	for (i = 0; i < SW_MAX && n < len; i++)
		n += (size_t)snprintf(reply + n, len - n, " %s=%s",
		    switch_name(i), tc->df.sw[i] ? "on" : "off");
}

static void
reply_lock(struct tapcheck *tc, char *reply, size_t len)
{
	pid_t pid;
	int held = procs_session_locked(tc->tap->session, &pid);

	if (held == -1)
		snprintf(reply, len, "err %s: %s/%s: %s", tc->tap->session,
		    VTUND_LOCK_DIR, tc->tap->session, strerror(errno));
	else
		snprintf(reply, len, "ok %s held=%d", tc->tap->session, held);
}

static void
end_reply(int held)
{
	char reply[128];

	if (end.ended > 0)
		log_info("tunnel: the client asked to end the server session "
		    "(it found no data flowing): %d ended%s%s", end.ended,
		    end.killed ? " (SIGKILL: it ignored SIGTERM)" : "",
		    held ? "; its lock is still held" : "");
	snprintf(reply, sizeof(reply), "ok %s ended=%d held=%d",
	    end.tc->tap->session, end.ended, held);
	ev_timer_cancel(&end.timer);
	end.busy = 0;
	end.done(end.id, reply);
}

/* Every END_STEP_MS: released yet?  SIGKILL a session that ignores TERM. */
static void
end_step(void *arg)
{
	uint64_t waited = clock_ms() - end.started;
	pid_t pid;
	int i, held = procs_session_locked(end.tc->tap->session, &pid);

	if (held != 1) {
		end_reply(0);
		return;
	}
	if (waited >= END_GIVEUP_MS) {
		end_reply(1);
		return;
	}
	if (waited >= END_TERM_MS && !end.killed) {
		for (i = 0; i < end.n; i++)
			(void)procs_signal(&end.p[i], SIGKILL);
		end.killed = 1;
	}
	ev_timer_set(&end.timer, END_STEP_MS, end_step, NULL);
}

/*
 * Is the session that holds the lock the one the client means (its port
 * of the old connection, PORT)?  Unsure is no: killold ends it anyway.
 */
static int
is_that_session(pid_t pid, uint16_t port)
{
	uint16_t now;
	int rc;

	if (port == 0)
		return 1;
	if ((rc = datapath_client_port(pid, &now)) == 1 && now == port)
		return 1;
	if (rc == 1)
		log_info("tunnel: the client asked to end its session from port "
		    "%u; the session now is from port %u: not ended",
		    (unsigned)port, (unsigned)now);
	else
		log_info("tunnel: the client asked to end its session from port "
		    "%u; cannot tell the session's port: not ended",
		    (unsigned)port);
	return 0;
}

/*
 * End the server's session(s), as killold would when the client
 * reconnects, without its half-second sleeps.  Not on a client, not while
 * the service switch is off here, and not a newer session than the one
 * the client asks about (PORT, docs/peer-protocol.md).
 */
static int
start_end(struct tapcheck *tc, uint16_t port, char *reply, size_t len,
    request_done done, uint32_t id)
{
	int i, n;

	if (tc->conf->machine != ROLE_SERVER || !tc->df.sw[SW_SERVICE]) {
		snprintf(reply, len, "ok %s ended=0 held=0", tc->tap->session);
		return 1;
	}
	if (end.busy) {
		snprintf(reply, len, "err %s: already ending", tc->tap->session);
		return 1;
	}
	/* The session that holds the lock, not a scan of every process: a
	 * hub answers a thousand of these after an outage. */
	n = procs_lock_holder(tc->tap->session, &end.p[0]);
	if (n == -1) {
		snprintf(reply, len, "err %s: %s", tc->tap->session,
		    strerror(errno));
		return 1;
	}
	if (n == 1 && !is_that_session(end.p[0].pid, port)) {
		snprintf(reply, len, "ok %s ended=0 held=1", tc->tap->session);
		return 1;
	}
	end.n = n > 4 ? 4 : n;
	end.ended = end.killed = 0;
	for (i = 0; i < end.n; i++)
		if (procs_signal(&end.p[i], SIGTERM) == 0)
			end.ended++;
	end.busy = 1;
	end.id = id;
	end.done = done;
	end.tc = tc;
	end.started = clock_ms();
	end_step(NULL);
	return 0;
}

static int
reply_set(struct tapcheck *tc, const struct peer_request *req, char *reply,
    size_t len, int *changed)
{
	*changed = checks_set_switch(tc, req->sw, req->on);
	snprintf(reply, len, "ok %s %s=%s", tc->tap->session,
	    switch_name(req->sw), req->on ? "on" : "off");
	return 1;
}

int
requests_answer(struct tapcheck *tc, const struct peer_request *req,
    char *reply, size_t len, int *changed, request_done done, uint32_t id)
{
	*changed = 0;
	switch (req->verb) {
	case PV_COUNTERS:
		reply_counters(tc, reply, len);
		return 1;
	case PV_SWITCHES:
		reply_switches(tc, reply, len);
		return 1;
	case PV_SET:
		return reply_set(tc, req, reply, len, changed);
	case PV_RESET:
		datapath_counters_reset();
		snprintf(reply, len, "ok %s reset", tc->tap->session);
		return 1;
	case PV_PROBE:
		snprintf(reply, len, "ok %s running=1 probing=%d",
		    tc->tap->session, datapath_probing() &&
		    tc->df.sw[SW_SERVICE]);
		return 1;
	case PV_LOCK:
		reply_lock(tc, reply, len);
		return 1;
	case PV_END:
		return start_end(tc, req->port, reply, len, done, id);
	default:
		snprintf(reply, len, "err %s: not a session request",
		    tc->tap->session);
		return 1;
	}
}

void
requests_stop(void)
{
	ev_timer_cancel(&end.timer);
	end.busy = 0;
}
