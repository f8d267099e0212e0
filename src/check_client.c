/*
 * check 1 (client): the vtund client of the session runs, exactly once.
 *
 * Several clients fight for the session forever under `multi killold`
 * (seed): keep the one that is connected (the oldest, if several are) and
 * kill the others.  One client: the tunnel's state machine learns of it.
 * None: the state machine decides when to start one (at once, or once the
 * server's old session has released its lock: tunnel.c), and the start is
 * paced by this check's back-off so that a vtund that cannot start is not
 * started in a loop.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "tapcheck.h"
#include "clock.h"
#include "log.h"
#include "processes.h"

#define MAX_CLIENTS	16
#define KILL_SETTLE_MS	200

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
	tc->client = p[keep];
	snprintf(fault, sizeof(fault), "%d vtund clients for session %s", n,
	    tc->tap->session);
	if (!repair_allowed(tc, CHK_CLIENT)) {
		check_fault(tc, CHK_CLIENT, fault);
		return CR_FAULT;
	}
	snprintf(action, sizeof(action), "kept pid %d, killed",
	    (int)p[keep].pid);
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
	return CR_REPAIRED;
}

static enum client_kind
kind_of(const struct vtund_proc *p)
{
	switch (p->kind) {
	case VTUND_CLIENT_CONNECTED:
		return CLIENT_CONNECTED;
	case VTUND_CLOSING:
		return CLIENT_CLOSING;
	default:
		return CLIENT_CONNECTING;
	}
}

#define ASK_WAIT	(-2)

/*
 * The session's clients: a fresh answer of the supervisor's process view
 * first (it may show a duplicate); else a cheap look at the one we know;
 * else (none known, or every process wanted this round) ask the view and
 * wait for its answer, which runs the round again.  No worker scans /proc.
 */
static int
find_clients(struct tapcheck *tc, struct vtund_proc *p, int max)
{
	int n;

	if (tc->view.side == 'c' && tc->view.seq != tc->view_used[0]) {
		tc->view_used[0] = tc->view.seq;
		n = tc->view.n < max ? tc->view.n : max;
		memcpy(p, tc->view.p, (size_t)n * sizeof(*p));
		return n;
	}
	if (!tc->full_scan && tc->client.pid > 0 &&
	    procs_refresh(&tc->client) == 0 && tc->client.client &&
	    strcmp(tc->client.session, tc->tap->session) == 0) {
		p[0] = tc->client;
		return 1;
	}
	if (tc->ask_procs == NULL)	/* no supervisor: look ourselves */
		return procs_find_session(tc->tap->session, 1, p, (size_t)max);
	if (!tc->view.pending && tc->ask_procs('c', 1) == -1)
		return -1;
	recheck_in(tc, 500);		/* the answer wakes us sooner */
	return ASK_WAIT;
}

enum check_result
check_client(struct tapcheck *tc)
{
	struct vtund_proc p[MAX_CLIENTS];
	struct tunnel_client c;
	char fault[128];
	int n, r;

	n = find_clients(tc, p, MAX_CLIENTS);
	if (n == ASK_WAIT)
		return CR_WAIT;
	if (n == -1) {
		log_warn("client: cannot look at the processes");
		return CR_OK;
	}
	if (n > MAX_CLIENTS)
		n = MAX_CLIENTS;
	if (n > 1)
		return kill_duplicates(tc, p, n);
	if (n == 1) {
		tc->client = p[0];
		c.pid = p[0].pid;
		c.kind = kind_of(&p[0]);
		c.sleeping = c.kind != CLIENT_CONNECTED &&
		    procs_sleeping(p[0].pid) == 1;
		return tunnel_input(&tc->tunnel, TI_CLIENT, &c, clock_ms());
	}
	memset(&tc->client, 0, sizeof(tc->client));
	snprintf(fault, sizeof(fault), "no vtund client for session %s",
	    tc->tap->session);
	if (!repair_allowed(tc, CHK_CLIENT)) {
		check_fault(tc, CHK_CLIENT, fault);
		return CR_FAULT;
	}
	r = tunnel_input(&tc->tunnel, TI_NOCLIENT, NULL, clock_ms());
	recheck_in(tc, tc->tunnel.settle_ms);
	return r;
}
