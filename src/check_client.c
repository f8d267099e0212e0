/*
 * check 1 (client): the vtund client of the session runs, exactly once.
 *
 * No client: start `VTUND -f VTUND_CONF SESSION SERVER`.  Several clients
 * fight for the session forever under `multi killold` (seed): keep the one
 * that is connected (the oldest, if several are) and kill the others.  A
 * client that is still connecting is already retrying: it is left alone
 * here (check 4 hurries it).  A persistent client whose session ended keeps
 * the title "closing" while it sleeps before reconnecting, so "closing"
 * counts as a client that is connecting, not as one that is gone.
 *
 * A client that died leaves a server session that takes a few tens of
 * milliseconds to end; a new client that comes sooner is made to wait half
 * a second by `killold`.  So the start waits (at most SESSION_WAIT_MS)
 * while the worker hears from the peer that the session's lock is held.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <limits.h>
#include <string.h>

#include "checks.h"
#include "event.h"
#include "exec.h"
#include "log.h"
#include "processes.h"

#define MAX_CLIENTS	16
#define START_SETTLE_MS	300
#define KILL_SETTLE_MS	200
#define SESSION_WAIT_MS	1000

static enum check_result
start_client(struct tapcheck *tc)
{
	const struct config *c = tc->conf;
	char *argv[] = { (char *)c->vtund, "-f", (char *)c->vtund_conf,
	    (char *)tc->tap->session, (char *)c->server, NULL };
	char fault[128], action[PATH_MAX + 400];
	size_t len;
	pid_t pid;

	snprintf(fault, sizeof(fault), "no vtund client for session %s",
	    tc->tap->session);
	if (!repair_allowed(tc, CHK_CLIENT)) {
		check_fault(tc, CHK_CLIENT, fault);
		return CR_FAULT;
	}
	pid = exec_spawn(argv);
	if (pid == -1)
		snprintf(action, sizeof(action), "starting %s: %s", c->vtund,
		    strerror(errno));
	else
		snprintf(action, sizeof(action), "started %s %s %s",
		    c->vtund, tc->tap->session, c->server);
	if (tc->session_wait_from != 0) {
		len = strlen(action);
		snprintf(action + len, sizeof(action) - len, " (once the "
		    "server's old session had ended, after %.3f s)",
		    (ev_now_ms() - tc->session_wait_from) / 1000.0);
	}
	tc->session_wait_from = tc->session_wait_until = 0;
	tc->started_pid = pid;
	tc->started_ms = ev_now_ms();
	repair_done(tc, CHK_CLIENT, fault, action, pid != -1, START_SETTLE_MS);
	return CR_REPAIRED;
}

/* A client started a moment ago may not carry its title yet. */
static int
just_started(struct tapcheck *tc)
{
	uint64_t age = ev_now_ms() - tc->started_ms;

	if (tc->started_pid <= 0 || age >= START_SETTLE_MS ||
	    kill(tc->started_pid, 0) == -1)
		return 0;
	tc->settle_ms = START_SETTLE_MS - age;
	return 1;
}

/* The client we watched is gone: wait while its server session ends. */
static int
server_session_ending(struct tapcheck *tc)
{
	uint64_t now = ev_now_ms();

	if (tc->watched_pid > 0 && !tc->tunnel_pending) {
		/* Not after a restart for a dead tunnel: that old session
		 * ends only by killold. */
		tc->session_wait_from = now;
		tc->session_wait_until = now + SESSION_WAIT_MS;
		tc->ask_session_lock = 1;
	}
	tc->watched_pid = 0;
	if (tc->session_wait_until <= now)
		return 0;
	tc->settle_ms = tc->session_wait_until - now;
	return 1;
}

/* The client to keep: connected before connecting, older before newer. */
static int
better(const struct vtund_proc *a, const struct vtund_proc *b)
{
	int ca = a->kind == VTUND_CLIENT_CONNECTED;
	int cb = b->kind == VTUND_CLIENT_CONNECTED;

	if (ca != cb)
		return ca;
	return a->start_time < b->start_time;
}

static enum check_result
kill_duplicates(struct tapcheck *tc, struct vtund_proc *p, int n)
{
	char fault[128], action[160];
	size_t len;
	int i, keep = 0, killed = 0;

	for (i = 1; i < n; i++)
		if (better(&p[i], &p[keep]))
			keep = i;
	snprintf(fault, sizeof(fault), "%d vtund clients for session %s", n,
	    tc->tap->session);
	if (!repair_allowed(tc, CHK_CLIENT)) {
		check_fault(tc, CHK_CLIENT, fault);
		return CR_FAULT;
	}
	snprintf(action, sizeof(action), "kept pid %d, killed", (int)p[keep].pid);
	for (i = 0; i < n; i++) {
		/* SIGKILL: vtund loses a SIGTERM that arrives while it is
		 * authenticating, and the fight goes on. */
		if (i == keep || procs_signal(&p[i], SIGKILL) == -1)
			continue;
		killed++;
		len = strlen(action);
		snprintf(action + len, sizeof(action) - len, " %d",
		    (int)p[i].pid);
	}
	repair_done(tc, CHK_CLIENT, fault, action, killed == n - 1,
	    KILL_SETTLE_MS);
	tc->watched_pid = p[keep].pid;
	return CR_REPAIRED;
}

enum check_result
check_client(struct tapcheck *tc)
{
	struct vtund_proc p[MAX_CLIENTS];
	int n;

	n = procs_find_session(tc->tap->session, 1, p, MAX_CLIENTS);
	if (n == -1) {
		log_warn("client: cannot scan /proc");
		return CR_OK;
	}
	if (n > MAX_CLIENTS)
		n = MAX_CLIENTS;
	if (n == 0 && (just_started(tc) || server_session_ending(tc)))
		return CR_WAIT;
	if (n == 0)
		return start_client(tc);
	if (n > 1)
		return kill_duplicates(tc, p, n);
	tc->watched_pid = p[0].pid;
	tc->client_connecting = p[0].kind != VTUND_CLIENT_CONNECTED;
	tc->client_closing = p[0].kind == VTUND_CLOSING;
	tc->client_sleeping = tc->client_connecting &&
	    procs_sleeping(p[0].pid) == 1;
	return CR_OK;
}
