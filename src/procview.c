/*
 * procview: scans, proc connector events, coalesced fresh queries.
 */
#include <sys/socket.h>

#include <errno.h>
#include <linux/cn_proc.h>
#include <stdio.h>
#include <linux/connector.h>
#include <linux/netlink.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "event.h"
#include "log.h"
#include "procview.h"

#define PENDING_TRIES	8		/* an untitled process, looked at */

struct query {
	struct query	*next;
	char		 session[SESSION_MAX];
	int		 client;
	procview_cb	 cb;
	void		*arg;
};

/* A vtund process seen exec'd or forked, not titled yet. */
struct pending {
	pid_t		 pid;
	int		 tries;
};

static struct vtund_proc *procs;
static size_t		 nprocs, capprocs;
static struct pending	*pend;
static size_t		 npend, cappend;
static struct query	*waiting;	/* fresh queries, for the next scan */
static struct ev_timer	 scan_timer, pend_timer;
static int		 cn_fd = -1;
static struct procview_stats st;
static void		(*on_new)(const char *, int);

static int
find(pid_t pid)
{
	size_t i;

	for (i = 0; i < nprocs; i++)
		if (procs[i].pid == pid)
			return (int)i;
	return -1;
}


static int
keep(const struct vtund_proc *p)
{
	int i = find(p->pid);
	struct vtund_proc *n;

	if (i >= 0) {
		procs[i] = *p;
		return 0;
	}
	if (nprocs == capprocs) {
		size_t cap = capprocs ? capprocs * 2 : 64;

		if ((n = realloc(procs, cap * sizeof(*n))) == NULL)
			return -1;
		procs = n;
		capprocs = cap;
	}
	procs[nprocs++] = *p;
	return 1;
}

static void
full_scan(void)
{
	struct vtund_proc *all = NULL, *n;
	size_t cap = capprocs > 32 ? capprocs : 64;
	int found;

	st.scans++;
	for (;;) {
		if ((n = realloc(all, cap * sizeof(*all))) == NULL)
			break;
		all = n;
		if ((found = procs_scan(all, cap)) < 0)
			break;
		if ((size_t)found < cap) {
			free(procs);
			procs = all;
			nprocs = (size_t)found;
			capprocs = cap;
			return;
		}
		cap = (size_t)found * 2;	/* more than fit: again */
	}
	free(all);
}

/* The answer for one query: its processes, re-read (titles change). */
static void
answer(const char *session, int client, procview_cb cb, void *arg)
{
	struct vtund_proc out[PROCVIEW_MAX_ANSWER];
	size_t i = 0;
	int n = 0, listener = session[0] == '\0';

	st.queries++;
	while (i < nprocs) {
		struct vtund_proc *p = &procs[i];
		int match = listener ? p->kind == VTUND_LISTENER :
		    p->kind != VTUND_LISTENER && p->client == client &&
		    strcmp(p->session, session) == 0;

		if (!match) {
			i++;
			continue;
		}
		if (procs_refresh(p) == -1) {
			procs[i] = procs[--nprocs];	/* gone */
			continue;
		}
		if (n < PROCVIEW_MAX_ANSWER)
			out[n++] = *p;
		i++;
	}
	cb(out, procs_drop_helpers(out, n), arg);
}

static void
scan_due(void *arg)
{
	struct query *q;

	full_scan();
	while ((q = waiting) != NULL) {
		waiting = q->next;
		answer(q->session, q->client, q->cb, q->arg);
		free(q);
	}
}

void
procview_query(const char *session, int client, int fresh, procview_cb cb,
    void *arg)
{
	struct query *q;

	/* With the connector the view holds every process already. */
	if (!fresh || st.connector) {
		answer(session, client, cb, arg);
		return;
	}
	if ((q = calloc(1, sizeof(*q))) == NULL) {
		answer(session, client, cb, arg);
		return;
	}
	snprintf(q->session, sizeof(q->session), "%s", session);
	q->client = client;
	q->cb = cb;
	q->arg = arg;
	q->next = waiting;
	waiting = q;
	ev_timer_sooner(&scan_timer, PROCVIEW_COALESCE_MS, scan_due, NULL);
}

void
procview_scan(void)
{
	scan_due(NULL);
}

/* --- the proc connector --- */

static void	 look_pending(void *);

static int
pending_find(pid_t pid)
{
	size_t i;

	for (i = 0; i < npend; i++)
		if (pend[i].pid == pid)
			return (int)i;
	return -1;
}

/* PID is gone: out of the view, and no longer waited for. */
static void
forget(pid_t pid)
{
	int i;

	if ((i = find(pid)) >= 0)
		procs[i] = procs[--nprocs];
	if ((i = pending_find(pid)) >= 0)
		pend[i] = pend[--npend];
}

static void
add_pending(pid_t pid)
{
	struct pending *n;

	if (npend == cappend) {
		size_t cap = cappend ? cappend * 2 : 16;

		if ((n = realloc(pend, cap * sizeof(*n))) == NULL)
			return;
		pend = n;
		cappend = cap;
	}
	pend[npend].pid = pid;
	pend[npend++].tries = 0;
	ev_timer_sooner(&pend_timer, 10, look_pending, NULL);
}

/*
 * vtund sets its title a moment after exec or fork: look again at growing
 * intervals, and tell the session's worker when it has one.
 */
static void
look_pending(void *arg)
{
	struct vtund_proc p;
	size_t i = 0;
	uint64_t next = 0;

	while (i < npend) {
		if (procs_read(pend[i].pid, &p) == 0) {
			if (keep(&p) == 1 && on_new != NULL)
				on_new(p.session, p.client);
		} else if (++pend[i].tries < PENDING_TRIES) {
			next = 10ULL << pend[i].tries;
			i++;
			continue;
		}
		pend[i] = pend[--npend];
	}
	if (npend > 0)
		ev_timer_set(&pend_timer, next ? next : 100, look_pending,
		    NULL);
}

static void
proc_event(const struct proc_event *ev)
{
	pid_t parent, child;

	st.events++;
	st.connector = 1;
	switch (ev->what) {
	case PROC_EVENT_EXEC:
		if (procs_is_vtund(ev->event_data.exec.process_tgid))
			add_pending(ev->event_data.exec.process_tgid);
		break;
	case PROC_EVENT_FORK:
		/*
		 * A fork of a vtund we know, of one not titled yet, or of
		 * one gone before its exec event was read: a vtund client
		 * daemonizes (forks, and the parent exits) before it takes
		 * its title, so the child is what to look at.
		 */
		parent = ev->event_data.fork.parent_tgid;
		child = ev->event_data.fork.child_tgid;
		if (ev->event_data.fork.child_pid == child &&
		    (find(parent) >= 0 || pending_find(parent) >= 0 ||
		    procs_is_vtund(child)))
			add_pending(child);
		break;
	case PROC_EVENT_EXIT:
		if (ev->event_data.exit.process_pid ==
		    ev->event_data.exit.process_tgid)
			forget(ev->event_data.exit.process_tgid);
		break;
	default:
		break;
	}
}

static void
cn_readable(int fd, void *arg)
{
	char buf[8192] __attribute__((aligned(NLMSG_ALIGNTO)));
	struct nlmsghdr *nh;
	ssize_t n;

	for (;;) {
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n == -1 && errno == ENOBUFS) {
			/* Events were lost: the truth comes from a scan. */
			st.overruns++;
			full_scan();
			continue;
		}
		if (n <= 0)
			return;
		for (nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, (size_t)n);
		    nh = NLMSG_NEXT(nh, n)) {
			struct cn_msg *cn = NLMSG_DATA(nh);

			struct proc_event ev;

			if (nh->nlmsg_type != NLMSG_DONE ||
			    cn->id.idx != CN_IDX_PROC ||
			    cn->len < sizeof(struct proc_event))
				continue;
			/* The payload is not aligned for the struct. */
			memcpy(&ev, cn->data, sizeof(ev));
			proc_event(&ev);
		}
	}
}

/* Subscribe; -1 where the kernel does not allow it (not an error). */
static int
cn_open(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK,
	    .nl_groups = CN_IDX_PROC };
	struct {
		struct nlmsghdr	 nh;
		struct cn_msg	 cn;
		enum proc_cn_mcast_op op;
	} __attribute__((packed)) req;
	int fd;

	fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    NETLINK_CONNECTOR);
	if (fd == -1)
		return -1;
	sa.nl_pid = 0;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1) {
		close(fd);
		return -1;
	}
	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = sizeof(req);
	req.nh.nlmsg_type = NLMSG_DONE;
	req.cn.id.idx = CN_IDX_PROC;
	req.cn.id.val = CN_VAL_PROC;
	req.cn.len = sizeof(req.op);
	req.op = PROC_CN_MCAST_LISTEN;
	if (send(fd, &req, sizeof(req), 0) == -1 ||
	    ev_add_fd(fd, cn_readable, NULL) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

int
procview_start(void)
{
	memset(&st, 0, sizeof(st));
	full_scan();
	if ((cn_fd = cn_open()) == -1)
		log_debug("process view: no proc connector here (%s); scans "
		    "when asked", strerror(errno));
	return 0;
}

void
procview_stop(void)
{
	struct query *q;

	ev_timer_cancel(&scan_timer);
	ev_timer_cancel(&pend_timer);
	while ((q = waiting) != NULL) {
		waiting = q->next;
		free(q);
	}
	if (cn_fd != -1) {
		ev_del_fd(cn_fd);
		close(cn_fd);
	}
	cn_fd = -1;
	free(procs);
	free(pend);
	procs = NULL;
	pend = NULL;
	nprocs = capprocs = npend = cappend = 0;
}

void
procview_on_new(void (*cb)(const char *, int))
{
	on_new = cb;
}

void
procview_stats(struct procview_stats *out)
{
	*out = st;
	out->known = nprocs;
}
