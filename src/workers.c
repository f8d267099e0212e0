/*
 * workers: spawn, watch, talk to, stop and swap the workers.
 */
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "event.h"
#include "log.h"
#include "msg.h"
#include "peer_client.h"
#include "processes.h"
#include "procview.h"
#include "reachhub.h"
#include "worker.h"
#include "workers.h"

#define RESPAWN_FIRST_MS	100
#define RESPAWN_MAX_MS		60000
#define CRASH_WINDOW_MS		10000	/* a worker that lived less crashed */
#define ASK_TIMEOUT_MS		3000

enum child_state {
	C_WAITING,	/* to start: after its predecessor, or a back-off */
	C_RUNNING,
	C_ENDING,	/* signalled, leaving for good */
};

struct child {
	struct child	*next;
	struct tap_conf	 tap;		/* a copy: configs come and go */
	enum child_state state;
	pid_t		 pid;
	int		 pidfd, sock;
	uint32_t	 gen;		/* this spawn, unique */
	uint64_t	 started;
	unsigned	 crashes;
	struct ev_timer	 respawn, kill_timer;
	int		 sw_known;	/* this spawn has told its switches */
	int		 sw[SW_MAX];
};

/* A request forwarded to a worker, waiting for its reply. */
struct ask {
	struct ask	*next;
	uint32_t	 id, gen;
	worker_reply	 cb;
	void		*arg;
	struct ev_timer	 timeout;
};

/* A collection of reports. */
struct collection {
	struct collection *next;
	uint32_t	 id;
	size_t		 want, got;
	struct tap_report *r;
	reports_done	 cb;
	void		*arg;
	struct ev_timer	 timeout;
};

static const struct config *conf;
static struct child	*children;
static struct ask	*asks;
static struct collection *collections;
static uint32_t		 next_gen = 1, next_id = 1;
static int		 stopping;
static void		(*on_all_gone)(void);
static int		(*ask_peer)(const char *, const char *, peer_answer_cb,
			    void *);
static rlim_t		 nofile_soft;	/* restored in workers */
static void		(*switches_changed)(const struct tap_conf *);

/*
 * Who uses an interface: for each name a tap line uses (its tap, bridge,
 * uplink), the children of that line, in a hash table rebuilt when the
 * children change.  A hub's link event finds its workers without looking
 * at every child: a thousand taps leaving their bridges were five
 * thousand events, each compared with a thousand tap lines.
 */
struct user {
	struct user	*next;
	uint32_t	 hash;
	const char	*name;		/* in child->tap */
	struct child	*c;
};
static struct user	**users_by_name;
static struct user	*users;
static size_t		 users_mask;	/* buckets - 1 */
static int		 users_stale = 1;

static void	 spawn(struct child *);
static void	 reach_told(uint64_t, int);
static void	 child_message(int, void *);

static uint32_t
new_id(void)
{
	uint32_t id = next_id++;

	if (next_id == 0)
		next_id = 1;
	return id;
}

static struct child *
by_gen(uint32_t gen)
{
	struct child *c;

	for (c = children; c != NULL; c = c->next)
		if (c->gen == gen && c->state == C_RUNNING)
			return c;
	return NULL;
}

static struct child *
by_session(const char *session)
{
	struct child *c;

	for (c = children; c != NULL; c = c->next)
		if (c->state == C_RUNNING &&
		    strcmp(c->tap.session, session) == 0)
			return c;
	return NULL;
}

/* Is a worker of TAP still there (running or ending), other than SELF? */
static int
tap_busy(const char *tap, const struct child *self)
{
	const struct child *c;

	for (c = children; c != NULL; c = c->next)
		if (c != self && c->pid != 0 && strcmp(c->tap.tap, tap) == 0)
			return 1;
	return 0;
}

static uint64_t
respawn_delay(unsigned crashes)
{
	uint64_t d = RESPAWN_FIRST_MS;

	if (crashes == 0)
		return 0;
	while (--crashes > 0 && d < RESPAWN_MAX_MS)
		d *= 2;
	return d < RESPAWN_MAX_MS ? d : RESPAWN_MAX_MS;
}

static void
describe_exit(int status, char *buf, size_t len)
{
	if (WIFEXITED(status))
		snprintf(buf, len, "exited with status %d",
		    WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "killed by signal %d (%s)",
		    WTERMSIG(status), strsignal(WTERMSIG(status)));
	else
		snprintf(buf, len, "ended");
}

/* The requests and reports a gone worker will never answer. */
static void
fail_pending(uint32_t gen)
{
	struct ask **pp = &asks, *a;

	while ((a = *pp) != NULL) {
		if (a->gen != gen) {
			pp = &a->next;
			continue;
		}
		*pp = a->next;
		ev_timer_cancel(&a->timeout);
		if (a->cb != NULL)
			a->cb(NULL, a->arg);
		free(a);
	}
}

static void
unlink_child(struct child *dead)
{
	struct child **pp;

	for (pp = &children; *pp != NULL; pp = &(*pp)->next)
		if (*pp == dead) {
			*pp = dead->next;
			break;
		}
	ev_timer_cancel(&dead->respawn);
	ev_timer_cancel(&dead->kill_timer);
	free(dead);
	users_stale = 1;
}

/* A worker of TAP has ended: start the one that waited for it. */
static void
start_successor(const char *tap)
{
	struct child *c;

	for (c = children; c != NULL; c = c->next)
		if (c->state == C_WAITING && c->pid == 0 &&
		    !c->respawn.armed && strcmp(c->tap.tap, tap) == 0) {
			spawn(c);
			return;
		}
}

static void
check_all_gone(void)
{
	if (stopping && workers_running() == 0 && on_all_gone != NULL) {
		void (*cb)(void) = on_all_gone;

		on_all_gone = NULL;
		cb();
	}
}

static void
respawn_due(void *arg)
{
	spawn(arg);
}

/* A worker's pidfd became readable: it is gone. */
static void
child_exited(int fd, void *arg)
{
	struct child *c = arg;
	char how[80], tap[IFNAMSIZ];
	uint64_t delay, lived = ev_now_ms() - c->started;
	int status = 0;

	ev_del_fd(fd);
	close(fd);
	ev_del_fd(c->sock);
	close(c->sock);
	c->pidfd = c->sock = -1;
	if (waitpid(c->pid, &status, 0) == -1)
		status = 0;
	describe_exit(status, how, sizeof(how));
	c->pid = 0;
	ev_timer_cancel(&c->kill_timer);
	fail_pending(c->gen);
	reachhub_forget(c->gen);
	snprintf(tap, sizeof(tap), "%s", c->tap.tap);
	if (stopping || c->state == C_ENDING) {
		log_debug("worker %s %s", tap, how);
		unlink_child(c);
		if (!stopping)
			start_successor(tap);
		check_all_gone();
		return;
	}
	c->crashes = lived < CRASH_WINDOW_MS ? c->crashes + 1 : 0;
	delay = respawn_delay(c->crashes);
	log_warnx("worker %s %s after %.1f s; restarting it%s%.1f s", tap,
	    how, lived / 1000.0, delay ? " in " : "", delay / 1000.0);
	c->state = C_WAITING;
	ev_timer_set(&c->respawn, delay, respawn_due, c);
}

/*
 * In the new worker: keep only its socket (as fd 3), the standard
 * descriptors and the log, and the descriptor limit it would have had.
 */
static void
child_setup(int sock)
{
	struct rlimit rl;

	ev_free();
	if (dup2(sock, 3) == -1)
		_exit(1);
	syscall(SYS_close_range, 4, ~0U, 0);
	log_after_fork();
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && nofile_soft != 0) {
		rl.rlim_cur = nofile_soft;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static void
spawn(struct child *c)
{
	int sv[2];
	pid_t pid;

	if (c->pid != 0 || stopping)
		return;
	if (tap_busy(c->tap.tap, c)) {
		c->state = C_WAITING;	/* its predecessor is still ending */
		return;
	}
	if (msg_pair(sv) == -1) {
		log_warn("worker %s: socketpair", c->tap.tap);
		goto retry;
	}
	if ((pid = fork()) == -1) {
		log_warn("fork worker %s", c->tap.tap);
		close(sv[0]);
		close(sv[1]);
		goto retry;
	}
	if (pid == 0) {
		child_setup(sv[1]);
		worker_main(conf, &c->tap, 3);
	}
	close(sv[1]);
	c->pid = pid;
	c->sock = sv[0];
	c->gen = next_gen++;
	c->state = C_RUNNING;
	c->sw_known = 0;
	c->started = ev_now_ms();
	c->pidfd = procs_watch(pid);
	if (c->pidfd == -1 || ev_add_fd(c->pidfd, child_exited, c) == -1 ||
	    ev_add_fd(c->sock, child_message, c) == -1)
		log_warn("cannot watch worker %s (pid %d)", c->tap.tap,
		    (int)pid);
	log_debug("worker %s started, pid %d", c->tap.tap, (int)pid);
	return;
retry:
	c->crashes++;
	c->state = C_WAITING;
	ev_timer_set(&c->respawn, respawn_delay(c->crashes), respawn_due, c);
}

static struct child *
add_child(const struct tap_conf *tap)
{
	struct child *c, **pp;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		fatal("calloc");
	c->tap = *tap;
	c->pidfd = c->sock = -1;
	c->state = C_WAITING;
	for (pp = &children; *pp != NULL; pp = &(*pp)->next)
		;
	*pp = c;
	users_stale = 1;
	return c;
}

/*
 * The supervisor's descriptor budget: per tap its worker's pidfd and
 * socket and a control connection from its peer (control.h), and spare.
 */
static void
raise_nofile(size_t ntaps)
{
	struct rlimit rl;
	rlim_t want = (rlim_t)ntaps * 3 + 512;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		return;
	if (nofile_soft == 0)
		nofile_soft = rl.rlim_cur;
	if (rl.rlim_cur >= want)
		return;
	rl.rlim_cur = want < rl.rlim_max ? want : rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1 || rl.rlim_cur < want)
		log_warnx("%zu taps need %llu descriptors, the limit is %llu "
		    "(raise LimitNOFILE= or ulimit -Hn)", ntaps,
		    (unsigned long long)want,
		    (unsigned long long)rl.rlim_cur);
}

void
workers_start(const struct config *c)
{
	size_t i;

	reachhub_init(reach_told);
	conf = c;
	stopping = 0;
	raise_nofile(c->ntaps);
	for (i = 0; i < c->ntaps; i++)
		spawn(add_child(&c->taps[i]));
}

static void
kill_now(void *arg)
{
	struct child *c = arg;

	if (c->pid != 0) {
		log_warnx("worker %s did not stop within %d s, killing it",
		    c->tap.tap, WORKERS_STOP_MS / 1000);
		kill(c->pid, SIGKILL);
	}
}

/* Stop C for good (SIGTERM, SIGKILL later); unlinked once it exits. */
static void
retire(struct child *c)
{
	ev_timer_cancel(&c->respawn);
	if (c->pid == 0) {
		unlink_child(c);
		return;
	}
	if (c->state == C_ENDING)
		return;
	c->state = C_ENDING;
	kill(c->pid, SIGTERM);
	ev_timer_set(&c->kill_timer, WORKERS_STOP_MS, kill_now, c);
}

static int
same_globals(const struct config *a, const struct config *b)
{
	struct config x = *a, y = *b;

	x.taps = y.taps = NULL;
	x.ntaps = y.ntaps = 0;
	return config_equal(&x, &y);
}

static int
same_tap(const struct tap_conf *a, const struct tap_conf *b)
{
	return strcmp(a->tap, b->tap) == 0 &&
	    strcmp(a->session, b->session) == 0 &&
	    strcmp(a->client_ip, b->client_ip) == 0 &&
	    strcmp(a->bridge, b->bridge) == 0 &&
	    strcmp(a->uplink, b->uplink) == 0;
}

/* The child that stays for NEW's tap line, or NULL. */
static struct child *
keeper(const struct tap_conf *t, int globals)
{
	struct child *c;

	for (c = children; c != NULL; c = c->next)
		if (c->state != C_ENDING && strcmp(c->tap.tap, t->tap) == 0)
			return globals && same_tap(&c->tap, t) ? c : NULL;
	return NULL;
}

void
workers_reload(const struct config *next)
{
	int globals = same_globals(conf, next);
	struct child *c, *nc, **keep;
	size_t i;

	if ((keep = calloc(next->ntaps + 1, sizeof(struct child *))) == NULL)
		fatal("calloc");
	for (i = 0; i < next->ntaps; i++)
		keep[i] = keeper(&next->taps[i], globals);
	/* Everything not kept goes: running ones end, waiting ones vanish. */
	for (c = children; c != NULL; c = nc) {
		nc = c->next;
		for (i = 0; i < next->ntaps && keep[i] != c; i++)
			;
		if (i == next->ntaps)
			retire(c);
	}
	conf = next;
	raise_nofile(next->ntaps);
	for (i = 0; i < next->ntaps; i++) {
		if (keep[i] != NULL) {
			keep[i]->tap = next->taps[i];
			users_stale = 1;
			continue;
		}
		spawn(add_child(&next->taps[i]));
	}
	free(keep);
}

void
workers_stop(void (*all_gone)(void))
{
	struct child *c, *nc;

	stopping = 1;
	on_all_gone = all_gone;
	for (c = children; c != NULL; c = nc) {
		nc = c->next;
		ev_timer_cancel(&c->respawn);
		if (c->pid == 0)
			unlink_child(c);
		else
			retire(c);
	}
	check_all_gone();
}

void
workers_audit(void)
{
	struct child *c;
	int status;

	for (c = children; c != NULL; c = c->next) {
		if (c->state == C_RUNNING && c->pid != 0 &&
		    waitpid(c->pid, &status, WNOHANG) == c->pid) {
			/* Its exit event was lost: handle it now (a zombie
			 * is not a running worker). */
			log_warnx("audit: worker %s (pid %d) is gone",
			    c->tap.tap, (int)c->pid);
			if (c->pidfd != -1) {
				ev_del_fd(c->pidfd);
				close(c->pidfd);
			}
			c->pidfd = -1;
			ev_del_fd(c->sock);
			close(c->sock);
			c->sock = -1;
			fail_pending(c->gen);
			c->pid = 0;
			c->state = C_WAITING;
		}
		if (c->state == C_WAITING && c->pid == 0 && !c->respawn.armed)
			spawn(c);
	}
}

void
workers_signal(int sig)
{
	struct child *c;

	for (c = children; c != NULL; c = c->next)
		if (c->pid != 0)
			kill(c->pid, sig);
}

size_t
workers_running(void)
{
	struct child *c;
	size_t n = 0;

	for (c = children; c != NULL; c = c->next)
		n += c->pid != 0;
	return n;
}

static uint32_t
name_hash(const char *s)
{
	uint32_t h = 2166136261u;	/* FNV-1a */

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

static void
add_user(struct user *u, const char *name, struct child *c)
{
	struct user **b;

	u->hash = name_hash(name);
	u->name = name;
	u->c = c;
	b = &users_by_name[u->hash & users_mask];
	u->next = *b;
	*b = u;
}

static void
index_users(void)
{
	struct child *c;
	size_t n = 0, buckets = 16;
	struct user *u;

	for (c = children; c != NULL; c = c->next)
		n += TAP_NAMES_MAX;
	while (buckets < 2 * n)
		buckets *= 2;
	free(users);
	free(users_by_name);
	if ((users = calloc(n + 1, sizeof(*users))) == NULL ||
	    (users_by_name = calloc(buckets, sizeof(struct user *))) == NULL)
		fatal("calloc");
	users_mask = buckets - 1;
	u = users;
	for (c = children; c != NULL; c = c->next) {
		const char *names[TAP_NAMES_MAX];
		size_t i, k = tap_names(&c->tap, names);

		for (i = 0; i < k; i++)
			add_user(u++, names[i], c);
	}
	users_stale = 0;
}

void
workers_link_event(const char *name, int removed)
{
	struct child *c;
	struct user *u;
	uint32_t h;
	char text[IFNAMSIZ + 2];

	snprintf(text, sizeof(text), "%s%s", name[0] ? (removed ? "-" : "+") :
	    "", name);
	if (name[0] == '\0') {
		for (c = children; c != NULL; c = c->next)
			if (c->state == C_RUNNING)
				(void)msg_send_str(c->sock, MSG_LINK, 0, text);
		return;
	}
	if (users_stale)
		index_users();
	h = name_hash(name);
	for (u = users_by_name[h & users_mask]; u != NULL; u = u->next)
		if (u->hash == h && u->c->state == C_RUNNING &&
		    strcmp(u->name, name) == 0)
			(void)msg_send_str(u->c->sock, MSG_LINK, 0, text);
}

void
workers_procs_changed(void)
{
	struct child *c;

	for (c = children; c != NULL; c = c->next)
		if (c->state == C_RUNNING)
			(void)msg_send(c->sock, MSG_PROCS, 0, NULL, 0);
}

void
workers_procs_new(const char *session, int client)
{
	struct child *c = by_session(session);

	if (c != NULL && client == (conf->machine == ROLE_CLIENT))
		(void)msg_send(c->sock, MSG_PROCS, 0, NULL, 0);
}

struct procs_ctx {
	uint32_t	 gen, id;
};

static void
procs_answered(const struct vtund_proc *p, int n, void *arg)
{
	struct procs_ctx *pc = arg;
	struct child *c = by_gen(pc->gen);

	if (c != NULL)
		(void)msg_send(c->sock, MSG_PROCS_REPLY, pc->id, p,
		    (size_t)n * sizeof(*p));
	free(pc);
}

/* "c|s|l FRESH SESSION" */
static void
procs_request(struct child *c, uint32_t id, const char *text)
{
	struct procs_ctx *pc;
	char side = text[0];
	int fresh = text[0] != '\0' && text[1] == ' ' && text[2] == '1';
	const char *session = strlen(text) > 4 ? text + 4 : "";

	if ((side != 'c' && side != 's' && side != 'l') ||
	    (pc = malloc(sizeof(*pc))) == NULL) {
		(void)msg_send(c->sock, MSG_PROCS_REPLY, id, NULL, 0);
		return;
	}
	pc->gen = c->gen;
	pc->id = id;
	procview_query(side == 'l' ? "" : session, side == 'c', fresh,
	    procs_answered, pc);
}

/* "PORT HOST" */
static void
reach_request(struct child *c, const char *text)
{
	char *end;
	unsigned long port = strtoul(text, &end, 10);

	if (*end != ' ' || port == 0 || port > 65535 ||
	    reachhub_ask(c->gen, end + 1, (uint16_t)port) == -1)
		(void)msg_send_str(c->sock, MSG_REACH_RESULT, 0, "1");
}

static void
reach_told(uint64_t who, int answered)
{
	struct child *c = by_gen((uint32_t)who);

	if (c != NULL)
		(void)msg_send_str(c->sock, MSG_REACH_RESULT, 0,
		    answered ? "1" : "0");
}

void
workers_peer_switches(const char *session, const char *text)
{
	struct child *c = by_session(session);

	if (c != NULL)
		(void)msg_send_str(c->sock, MSG_PEER_SWITCHES, 0, text);
}

/* --- requests to workers --- */

static void
ask_expired(void *arg)
{
	struct ask *a = arg, **pp;

	for (pp = &asks; *pp != NULL; pp = &(*pp)->next)
		if (*pp == a) {
			*pp = a->next;
			break;
		}
	if (a->cb != NULL)
		a->cb(NULL, a->arg);
	free(a);
}

int
workers_ask(const char *session, const char *line, worker_reply cb,
    void *arg)
{
	struct child *c = by_session(session);
	struct ask *a;

	if (c == NULL || (a = calloc(1, sizeof(*a))) == NULL)
		return -1;
	a->id = new_id();
	a->gen = c->gen;
	a->cb = cb;
	a->arg = arg;
	if (msg_send_str(c->sock, MSG_CTL_REQ, a->id, line) == -1) {
		free(a);
		return -1;
	}
	a->next = asks;
	asks = a;
	ev_timer_set(&a->timeout, ASK_TIMEOUT_MS, ask_expired, a);
	return 0;
}

void
workers_forget(void *arg)
{
	struct ask *a;
	struct collection *col;

	for (a = asks; a != NULL; a = a->next)
		if (a->arg == arg)
			a->cb = NULL;
	for (col = collections; col != NULL; col = col->next)
		if (col->arg == arg)
			col->cb = NULL;
}

static void
ask_answered(struct child *c, uint32_t id, const char *reply)
{
	struct ask **pp, *a;

	for (pp = &asks; (a = *pp) != NULL; pp = &a->next) {
		if (a->id != id || a->gen != c->gen)
			continue;
		*pp = a->next;
		ev_timer_cancel(&a->timeout);
		if (a->cb != NULL)
			a->cb(reply, a->arg);
		free(a);
		return;
	}
}

/* --- reports --- */

static void
collection_done(struct collection *col)
{
	struct collection **pp;

	for (pp = &collections; *pp != NULL; pp = &(*pp)->next)
		if (*pp == col) {
			*pp = col->next;
			break;
		}
	ev_timer_cancel(&col->timeout);
	if (col->cb != NULL)
		col->cb(col->r, col->got, col->arg);
	free(col->r);
	free(col);
}

static void
collection_expired(void *arg)
{
	collection_done(arg);
}

/* A running worker of a tap WANT accepts (NULL: all). */
static int
wanted(const struct child *c, report_filter want, void *warg)
{
	return c->state == C_RUNNING && (want == NULL || want(&c->tap, warg));
}

void
workers_reports(report_filter want, void *warg, reports_done cb, void *arg)
{
	struct collection *col;
	struct child *c;

	if ((col = calloc(1, sizeof(*col))) == NULL) {
		cb(NULL, 0, arg);
		return;
	}
	col->id = new_id();
	col->cb = cb;
	col->arg = arg;
	for (c = children; c != NULL; c = c->next)
		if (wanted(c, want, warg) &&
		    msg_send(c->sock, MSG_REPORT_REQ, col->id, NULL, 0) == 0)
			col->want++;
	col->r = calloc(col->want + 1, sizeof(*col->r));
	col->next = collections;
	collections = col;
	if (col->r == NULL || col->want == 0) {
		col->want = 0;
		collection_done(col);
		return;
	}
	ev_timer_set(&col->timeout, WORKERS_REPORT_MS, collection_expired, col);
}

static void
report_arrived(uint32_t id, const void *data, size_t len)
{
	struct collection *col;

	if (len != sizeof(struct tap_report))
		return;
	for (col = collections; col != NULL; col = col->next) {
		if (col->id != id)
			continue;
		if (col->got < col->want)
			memcpy(&col->r[col->got++], data, len);
		if (col->got == col->want)
			collection_done(col);
		return;
	}
}

/* --- the peer, on a worker's behalf --- */

struct peer_ctx {
	uint32_t	 gen, id;
};

static void
peer_answered(const char *reply, void *arg)
{
	struct peer_ctx *pc = arg;
	struct child *c = by_gen(pc->gen);

	if (c != NULL)
		(void)msg_send_str(c->sock, MSG_PEER_REPLY, pc->id,
		    reply != NULL ? reply : "");
	free(pc);
}

static void
peer_request(struct child *c, uint32_t id, const char *line)
{
	const char *host = conf->machine == ROLE_CLIENT ? conf->server :
	    c->tap.client_ip;
	struct peer_ctx *pc;

	if (ask_peer == NULL || (pc = malloc(sizeof(*pc))) == NULL) {
		(void)msg_send_str(c->sock, MSG_PEER_REPLY, id, "");
		return;
	}
	pc->gen = c->gen;
	pc->id = id;
	if (ask_peer(host, line, peer_answered, pc) == -1) {
		(void)msg_send_str(c->sock, MSG_PEER_REPLY, id, "");
		free(pc);
	}
}

void
workers_set_peer(int (*ask)(const char *, const char *, peer_answer_cb,
    void *))
{
	ask_peer = ask;
}

void
workers_on_switches(void (*changed)(const struct tap_conf *))
{
	switches_changed = changed;
}

static void
switches_told(struct child *c, const void *data, size_t len)
{
	int sw[SW_MAX], i;

	if (len != sizeof(sw)) {
		log_warnx("worker %s: switches of %zu bytes, not %zu", c->tap.tap,
		    len, sizeof(sw));
		return;
	}
	memcpy(sw, data, sizeof(sw));
	for (i = 0; i < SW_MAX; i++)
		if (sw[i] != 0 && sw[i] != 1) {
			log_warnx("worker %s: switch %d is %d", c->tap.tap, i,
			    sw[i]);
			return;
		}
	if (c->sw_known && memcmp(c->sw, sw, sizeof(sw)) == 0)
		return;
	memcpy(c->sw, sw, sizeof(sw));
	c->sw_known = 1;
	if (switches_changed != NULL)
		switches_changed(&c->tap);
}

int
workers_switches(report_filter want, void *warg, struct tap_report **out,
    size_t *n)
{
	struct tap_report *r;
	struct child *c;
	size_t k = 0, i = 0;

	for (c = children; c != NULL; c = c->next) {
		if (!wanted(c, want, warg))
			continue;
		if (!c->sw_known)
			return -1;
		k++;
	}
	if ((r = calloc(k + 1, sizeof(*r))) == NULL)
		return -1;
	for (c = children; c != NULL && i < k; c = c->next) {
		if (!wanted(c, want, warg))
			continue;
		snprintf(r[i].tap, sizeof(r[i].tap), "%s", c->tap.tap);
		r[i].pid = c->pid;
		memcpy(r[i].df.sw, c->sw, sizeof(c->sw));
		i++;
	}
	*out = r;
	*n = i;
	return 0;
}

static void
child_message(int fd, void *arg)
{
	static char buf[MSG_PAYLOAD_MAX + 1];
	struct child *c = arg;
	struct msg_hdr h = { 0, 0, 0 };
	int r = -1;

	while (c->sock == fd && (r = msg_recv(fd, &h, buf, sizeof(buf))) ==
	    1) {
		switch (h.type) {
		case MSG_PEER_REQ: peer_request(c, h.id, buf); break;
		case MSG_CTL_REPLY: ask_answered(c, h.id, buf); break;
		case MSG_REPORT: report_arrived(h.id, buf, h.len); break;
		case MSG_PROCS_REQ: procs_request(c, h.id, buf); break;
		case MSG_REACH_REQ: reach_request(c, buf); break;
		case MSG_SWITCHES: switches_told(c, buf, h.len); break;
		default: break;
		}
	}
	if (r == 0 && c->sock == fd) {
		/* The worker closed its end: its exit follows (pidfd). */
		ev_del_fd(fd);
	}
}
