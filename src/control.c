/*
 * control: accept, scope, read lines, dispatch, write replies.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "control.h"
#include "event.h"
#include "log.h"
#include "peer.h"
#include "peer_client.h"
#include "peerhub.h"
#include "scope.h"
#include "status.h"
#include "workers.h"

struct conn {
	struct conn	*next;
	int		 fd;
	struct scope	 sc;
	char		 in[PEER_LINE_MAX + 2];
	size_t		 inlen;
	char		 raw[1024];	/* read, not yet taken */
	size_t		 rawlen;
	int		 too_long, bad_byte;
	char		*out;
	size_t		 outlen, outcap;
	int		 busy;		/* a request is being answered */
	int		 closing;	/* close once the output is out */
	int		 hello, errors;
	int		 watching;	/* "watch": told each change */
	double		 tokens;
	uint64_t	 tokens_ms;
	struct ev_timer	 idle;
	char		 session[SESSION_MAX];	/* of the request in flight */
	int		 status_text;
	int		 taking;	/* inside take_input() */
	int		 dead;		/* to be freed by settle() */
	uint64_t	 id;		/* for callbacks that outlive it */
	/* "status ... peers": the peers' switches, asked of each host */
	int		 want_peers;
	size_t		 nhosts, hosts_pending;
	char		(*hosts)[HOST_MAX];
	char		**host_reply;
};

static const struct config *conf;
static int		 listen_fd = -1;
static char		 sock_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
static struct conn	*conns;
static uid_t		 peer_uid = (uid_t)-1;
static uint64_t		 next_conn_id = 1;

static void	 take_input(struct conn *);

static void
forget_hosts(struct conn *c)
{
	size_t i;

	for (i = 0; i < c->nhosts; i++)
		free(c->host_reply[i]);
	free(c->host_reply);
	free(c->hosts);
	c->host_reply = NULL;
	c->hosts = NULL;
	c->nhosts = c->hosts_pending = 0;
}

static void
conn_free(struct conn *c)
{
	struct conn **pp;

	for (pp = &conns; *pp != NULL; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	workers_forget(c);
	forget_hosts(c);
	ev_timer_cancel(&c->idle);
	ev_del_fd(c->fd);
	close(c->fd);
	free(c->out);
	free(c);
}

/* Write what can be written; a broken connection is marked dead. */
static void
flush(struct conn *c)
{
	ssize_t n;

	while (c->outlen > 0 && !c->dead) {
		n = write(c->fd, c->out, c->outlen);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			break;
		if (n <= 0) {
			c->dead = 1;
			break;
		}
		memmove(c->out, c->out + n, c->outlen - (size_t)n);
		c->outlen -= (size_t)n;
	}
}

/*
 * The one place a connection ends, at the end of each event handler:
 * dead, or closing with everything written.  Otherwise listen for what it
 * needs next.  Returns 1 if C is gone.
 */
static int
settle(struct conn *c)
{
	flush(c);
	if (c->dead || (c->closing && c->outlen == 0)) {
		conn_free(c);
		return 1;
	}
	(void)ev_want_write(c->fd, c->outlen > 0);
	(void)ev_want_read(c->fd, !c->busy && !c->closing);
	return 0;
}

/* Queue TEXT (with its newlines) for the caller. */
static void
emit(struct conn *c, const char *text, size_t len)
{
	char *p;

	if (c->outlen + len > c->outcap) {
		size_t cap = (c->outlen + len) * 2;

		if ((p = realloc(c->out, cap)) == NULL) {
			c->dead = 1;
			return;
		}
		c->out = p;
		c->outcap = cap;
	}
	memcpy(c->out + c->outlen, text, len);
	c->outlen += len;
}

static void	 answered(struct conn *);

/* One reply line, then go on reading. */
static void
reply(struct conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void
reply(struct conn *c, const char *fmt, ...)
{
	char line[PEER_LINE_MAX * 4];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof(line) - 1)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	emit(c, line, (size_t)n);
	answered(c);
}

/* The request is answered: send it, then take the next one. */
static void
answered(struct conn *c)
{
	c->busy = 0;
	if (c->taking)
		return;			/* take_input() goes on */
	take_input(c);
	(void)settle(c);
}

static void
idle_out(void *arg)
{
	struct conn *c = arg;

	c->closing = 1;
	reply(c, "err idle for %d s, goodbye", CONTROL_IDLE_MS / 1000);
}

/* --- answers --- */

static int
tap_wanted(const struct tap_conf *t, void *arg)
{
	struct conn *c = arg;

	return scope_allows(conf, &c->sc, t);
}

/*
 * What the peer said of TAP's switches: its host's reply to "switches"
 * ("ok" and " SESSION=sw,sw" for each session with something off).
 */
static void
peer_of(struct conn *c, const struct tap_conf *t, const struct tap_report *r,
    struct status_peer *p)
{
	const char *host = peer_host(conf, t), *reply = NULL, *q;
	char name[SESSION_MAX + 2];
	size_t i, n;
	int sw;

	memset(p, 0, sizeof(*p));
	for (i = 0; i < c->nhosts; i++)
		if (strcmp(c->hosts[i], host) == 0)
			reply = c->host_reply[i];
	if (reply == NULL || strncmp(reply, "ok", 2) != 0) {
		snprintf(p->why, sizeof(p->why), "peer %.60s: %.80s", host,
		    reply != NULL ? reply : "no answer");
		status_clean(p->why, p->why, sizeof(p->why));
		return;
	}
	p->known = 1;
	snprintf(name, sizeof(name), " %s=", t->session);
	q = strstr(reply, name);
	n = q != NULL ? strcspn(q + strlen(name), " ") : 0;
	for (sw = 0; sw < SW_MAX; sw++) {
		const char *s = q != NULL ? strstr(q + strlen(name),
		    switch_name(sw)) : NULL;

		p->sw[sw] = s == NULL || s >= q + strlen(name) + n;
	}
	(void)r;
}

static struct conn *
conn_by_id(uint64_t id)
{
	struct conn *c;

	for (c = conns; c != NULL; c = c->next)
		if (c->id == id)
			return c;
	return NULL;
}

struct host_ctx {
	uint64_t	 conn;
	size_t		 i;
};

static void	 status_reports(struct conn *);

static void
host_answered(const char *reply, void *arg)
{
	struct host_ctx *hc = arg;
	struct conn *c = conn_by_id(hc->conn);

	if (c != NULL && hc->i < c->nhosts) {
		c->host_reply[hc->i] = strdup(reply != NULL ? reply :
		    "no answer");
		if (--c->hosts_pending == 0)
			status_reports(c);
	}
	free(hc);
}

/* Ask each distinct peer host of the scoped taps once. */
static void
ask_hosts(struct conn *c)
{
	struct host_ctx *hc;
	size_t i, j;

	c->hosts = calloc(conf->ntaps + 1, sizeof(*c->hosts));
	c->host_reply = calloc(conf->ntaps + 1, sizeof(*c->host_reply));
	if (c->hosts == NULL || c->host_reply == NULL) {
		status_reports(c);
		return;
	}
	for (i = 0; i < conf->ntaps; i++) {
		const char *host = peer_host(conf, &conf->taps[i]);

		if (!scope_allows(conf, &c->sc, &conf->taps[i]))
			continue;
		for (j = 0; j < c->nhosts && strcmp(c->hosts[j], host) != 0;
		    j++)
			;
		if (j == c->nhosts)
			snprintf(c->hosts[c->nhosts++], HOST_MAX, "%s", host);
	}
	c->hosts_pending = c->nhosts + 1;	/* +1: until all are asked */
	for (i = 0; i < c->nhosts; i++) {
		if ((hc = malloc(sizeof(*hc))) == NULL) {
			c->host_reply[i] = strdup("out of memory");
			c->hosts_pending--;
			continue;
		}
		hc->conn = c->id;
		hc->i = i;
		if (peerhub_ask(c->hosts[i], "switches", host_answered, hc) ==
		    -1) {
			c->host_reply[i] = strdup("cannot be asked now (the "
			    "channel is backing off)");
			c->hosts_pending--;
			free(hc);
		}
	}
	if (--c->hosts_pending == 0)
		status_reports(c);
}

/* Reports for every tap in scope; a worker that did not answer shows. */
static void
status_done(struct tap_report *r, size_t n, void *arg)
{
	struct conn *c = arg;
	struct tap_report *all;
	struct status_peer *peers;
	char *text = NULL;
	size_t i, j, m = 0, len = 0;
	FILE *fp;

	all = calloc(conf->ntaps + 1, sizeof(*all));
	peers = calloc(conf->ntaps + 1, sizeof(*peers));
	fp = open_memstream(&text, &len);
	if (all == NULL || peers == NULL || fp == NULL) {
		free(all);
		free(peers);
		if (fp != NULL)
			fclose(fp);
		free(text);
		reply(c, "err out of memory");
		return;
	}
	for (i = 0; i < conf->ntaps; i++) {
		if (!scope_allows(conf, &c->sc, &conf->taps[i]))
			continue;
		for (j = 0; j < n && strcmp(r[j].tap, conf->taps[i].tap) != 0;
		    j++)
			;
		if (j < n) {
			peer_of(c, &conf->taps[i], &r[j], &peers[i]);
			all[m++] = r[j];
			continue;
		}
		snprintf(all[m].tap, sizeof(all[m].tap), "%s",
		    conf->taps[i].tap);
		datafile_defaults(&all[m].df);
		all[m++].tunnel_state = STATUS_NO_ANSWER;
	}
	if (!c->status_text)
		fputs("ok ", fp);
	status_print_reports(conf, getpid(), all, m, !c->status_text,
	    c->want_peers ? peers : NULL, fp);
	if (c->status_text)
		fputs(".\n", fp);
	fclose(fp);
	if (c->status_text)
		emit(c, "ok\n", 3);
	emit(c, text, len);
	free(text);
	free(all);
	free(peers);
	forget_hosts(c);
	answered(c);
}

/* PREFIX and, per session in R with something off, " S=sw,sw". */
static void
format_switches(const struct tap_report *r, size_t n, const char *prefix,
    char *line, size_t size)
{
	const struct tap_conf *t;
	size_t i, len;
	int sw, first;

	snprintf(line, size, "%s", prefix);
	for (i = 0; i < n; i++) {
		if ((t = config_find_tap(conf, r[i].tap)) == NULL)
			continue;
		first = 1;
		for (sw = 0; sw < SW_MAX; sw++) {
			if (r[i].df.sw[sw])
				continue;
			len = strlen(line);
			if (first)
				snprintf(line + len, size - len, " %s=%s",
				    t->session, switch_name(sw));
			else
				snprintf(line + len, size - len, ",%s",
				    switch_name(sw));
			first = 0;
		}
	}
}

static void
switches_done(struct tap_report *r, size_t n, void *arg)
{
	char line[PEER_LINE_MAX * 4];

	format_switches(r, n, "ok", line, sizeof(line));
	reply(arg, "%s", line);
}

/* A client polls this every few seconds: answered from what the workers
 * told (workers_switches), none woken. */
static void
switches_answer(struct conn *c)
{
	struct tap_report *r;
	size_t n;

	c->busy = 1;
	if (workers_switches(tap_wanted, c, &r, &n) == 0) {
		switches_done(r, n, c);
		free(r);
		return;
	}
	workers_reports(tap_wanted, c, switches_done, c);
}

/*
 * A worker told of a switch change: every watching caller that may see
 * that tap gets its sessions' switches now (PEER_EVENT_SWITCHES), so that
 * a client learns of a change at once instead of polling every 5 s.
 */
void
control_switches_changed(const struct tap_conf *t)
{
	struct conn *c, *next;
	struct tap_report *r;
	char line[PEER_LINE_MAX * 4];
	size_t n, len;

	for (c = conns; c != NULL; c = next) {
		next = c->next;
		/* Each event is the whole state: one that finds the last
		 * still unread (a stuck caller) is not queued. */
		if (!c->watching || c->dead || c->outlen > PEER_REPLY_MAX ||
		    !scope_allows(conf, &c->sc, t) ||
		    workers_switches(tap_wanted, c, &r, &n) == -1)
			continue;
		format_switches(r, n, PEER_EVENT_SWITCHES, line, sizeof(line));
		free(r);
		len = strlen(line);
		line[len++] = '\n';
		emit(c, line, len);
		if (!c->taking)
			(void)settle(c);
	}
}

static void
status_reports(struct conn *c)
{
	workers_reports(tap_wanted, c, status_done, c);
}

static void
worker_answered(const char *line, void *arg)
{
	struct conn *c = arg;

	if (line == NULL)
		reply(c, "err %s: its worker did not answer", c->session);
	else
		reply(c, "%s", line);
}

static void
dispatch(struct conn *c, const struct peer_request *req, const char *line)
{
	const struct tap_conf *t = NULL;

	switch (req->verb) {
	case PV_HELLO:
		if (req->version != PEER_VERSION) {
			reply(c, "err version %d not supported (%d)",
			    req->version, PEER_VERSION);
			return;
		}
		c->hello = 1;
		reply(c, "ok %s %d %s", PEER_HELLO, PEER_VERSION,
		    machine_name(conf->machine));
		return;
	case PV_QUIT:
		c->closing = 1;
		reply(c, "ok bye");
		return;
	default:
		break;
	}
	if (!c->hello) {
		reply(c, "err say \"%s %d\" first", PEER_HELLO, PEER_VERSION);
		return;
	}
	if (req->verb == PV_STATUS) {
		c->busy = 1;
		c->status_text = req->text;
		/* Only a local root asks the peers (no amplification by a
		 * tenant). */
		c->want_peers = req->peers && c->sc.all;
		if (c->want_peers)
			ask_hosts(c);
		else
			status_reports(c);
		return;
	}
	if ((req->verb == PV_SWITCHES && req->session[0] == '\0') ||
	    req->verb == PV_WATCH) {
		c->watching |= req->verb == PV_WATCH;
		switches_answer(c);
		return;
	}
	if ((t = config_find_session(conf, req->session)) == NULL) {
		/* Whether another tenant's session exists is not told. */
		if (c->sc.all)
			reply(c, "err %s: no such session", req->session);
		else
			reply(c, "err %s: not allowed for this peer",
			    req->session);
		return;
	}
	if (!scope_allows(conf, &c->sc, t)) {
		log_warnx("control: %s asked \"%.40s\" of session %s: not "
		    "allowed", c->sc.key, line, t->session);
		reply(c, "err %s: not allowed for this peer", req->session);
		return;
	}
	snprintf(c->session, sizeof(c->session), "%s", req->session);
	c->busy = 1;
	if (workers_ask(req->session, line, worker_answered, c) == -1)
		reply(c, "err %s: its worker is not running", req->session);
}

/* A request a second, in tokens: CONTROL_RATE a second, bursts of twice. */
static int
rate_ok(struct conn *c)
{
	uint64_t now = ev_now_ms();

	c->tokens += (now - c->tokens_ms) * CONTROL_RATE / 1000.0;
	if (c->tokens > 2 * CONTROL_RATE)
		c->tokens = 2 * CONTROL_RATE;
	c->tokens_ms = now;
	if (c->tokens < 1)
		return 0;
	c->tokens -= 1;
	return 1;
}

static void
handle_line(struct conn *c)
{
	struct peer_request req;
	char err[128], line[PEER_LINE_MAX + 1];
	int bad = c->too_long || c->bad_byte;

	memcpy(line, c->in, c->inlen);
	line[c->inlen] = '\0';
	if (c->too_long)
		snprintf(err, sizeof(err), "line too long (at most %d bytes)",
		    PEER_LINE_MAX);
	else if (c->bad_byte)
		snprintf(err, sizeof(err), "unprintable input");
	c->inlen = 0;
	c->too_long = c->bad_byte = 0;
	ev_timer_set(&c->idle, CONTROL_IDLE_MS, idle_out, c);
	if (!rate_ok(c)) {
		reply(c, "err more than %d requests a second", CONTROL_RATE);
		return;
	}
	if (bad || peer_parse_request(line, &req, err, sizeof(err)) == -1) {
		reply(c, "err %s", err);
		if (++c->errors >= CONTROL_ERRORS_MAX) {
			c->closing = 1;
			reply(c, "err too many errors, goodbye");
		}
		return;
	}
	c->errors = 0;
	dispatch(c, &req, line);
}

/* Lines from what was read, one request at a time. */
static void
take_input(struct conn *c)
{
	size_t i;

	c->taking = 1;
	for (i = 0; i < c->rawlen && !c->busy && !c->closing; i++) {
		char ch = c->raw[i];

		if (ch == '\n') {
			handle_line(c);
			continue;
		}
		if (ch == '\r' || c->too_long)
			continue;
		if (c->inlen == PEER_LINE_MAX) {
			c->too_long = 1;
			continue;
		}
		if ((unsigned char)ch < 0x20 || (unsigned char)ch > 0x7e)
			c->bad_byte = 1;
		c->in[c->inlen++] = ch;
	}
	memmove(c->raw, c->raw + i, c->rawlen - i);
	c->rawlen -= i;
	c->taking = 0;
}

static void
conn_readable(int fd, void *arg)
{
	struct conn *c = arg;
	ssize_t n;

	if (!c->busy && !c->closing && c->rawlen < sizeof(c->raw)) {
		n = read(fd, c->raw + c->rawlen, sizeof(c->raw) - c->rawlen);
		if (n == 0 || (n == -1 && errno != EAGAIN && errno != EINTR))
			c->dead = 1;
		else if (n > 0) {
			c->rawlen += (size_t)n;
			take_input(c);
		}
	}
	(void)settle(c);
}

static size_t
tenant_conns(const struct scope *sc)
{
	struct conn *c;
	size_t n = 0;

	for (c = conns; c != NULL; c = c->next)
		n += strcmp(c->sc.key, sc->key) == 0;
	return n;
}

static size_t
nconns(void)
{
	struct conn *c;
	size_t n = 0;

	for (c = conns; c != NULL; c = c->next)
		n++;
	return n;
}

static void
refuse(int fd, const char *why)
{
	char line[256];
	int n = snprintf(line, sizeof(line), "err %s\n", why);

	(void)!write(fd, line, (size_t)n);
	close(fd);
}

static void
accept_conn(int lfd, void *arg)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	struct conn *c;
	char err[256];
	int fd;

	fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd == -1)
		return;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1) {
		refuse(fd, "no credentials");
		return;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		refuse(fd, "out of memory");
		return;
	}
	if (scope_of(conf, cred.pid, cred.uid, peer_uid, &c->sc, err,
	    sizeof(err)) == -1) {
		log_warnx("control: refused pid %d: %s", (int)cred.pid, err);
		free(c);
		refuse(fd, err);
		return;
	}
	if (nconns() >= CONTROL_SPARE + conf->ntaps ||
	    tenant_conns(&c->sc) >= CONTROL_PER_TENANT) {
		log_warnx("control: refused %s: too many connections",
		    c->sc.key);
		free(c);
		refuse(fd, "too many connections for this peer");
		return;
	}
	c->fd = fd;
	c->id = next_conn_id++;
	c->tokens = 2 * CONTROL_RATE;
	c->tokens_ms = ev_now_ms();
	if (ev_add_fd(fd, conn_readable, c) == -1) {
		free(c);
		close(fd);
		return;
	}
	c->next = conns;
	conns = c;
	ev_timer_set(&c->idle, CONTROL_IDLE_MS, idle_out, c);
	log_debug("control: %s connected (pid %d)", c->sc.key, (int)cred.pid);
}

/* The socket's directory: root's, and reachable by USER. */
static int
make_dir(const char *path, gid_t gid)
{
	char dir[sizeof(sock_path)], *slash;
	struct stat st;

	snprintf(dir, sizeof(dir), "%s", path);
	if ((slash = strrchr(dir, '/')) == NULL || slash == dir)
		return 0;
	*slash = '\0';
	if (mkdir(dir, 0750) == -1 && errno != EEXIST)
		return -1;
	if (lstat(dir, &st) == -1)
		return -1;
	if (!S_ISDIR(st.st_mode) || st.st_uid != 0 || (st.st_mode & 002)) {
		errno = EPERM;
		return -1;
	}
	/* Only a directory vtundfix made is given to USER's group. */
	if (st.st_gid == 0 && (st.st_mode & 0777) == 0750 && gid != 0 &&
	    chown(dir, 0, gid) == -1)
		return -1;
	return 0;
}

int
control_open(const struct config *c)
{
	struct sockaddr_un sun;
	struct passwd *pw;
	struct stat st;
	gid_t gid = 0;
	int fd;

	conf = c;
	if ((pw = getpwnam(c->user)) != NULL) {
		peer_uid = pw->pw_uid;
		gid = pw->pw_gid;
	} else {
		log_warnx("control: user %s does not exist; only root may "
		    "use %s", c->user, c->control_socket);
	}
	if (strlen(c->control_socket) >= sizeof(sun.sun_path)) {
		log_warnx("%s: name too long", c->control_socket);
		return -1;
	}
	snprintf(sock_path, sizeof(sock_path), "%s", c->control_socket);
	if (make_dir(sock_path, gid) == -1) {
		log_warn("%s: directory", sock_path);
		return -1;
	}
	/* We hold the pid file's lock: a socket left here is stale.  Never
	 * remove anything else (a symlink, a file). */
	if (lstat(sock_path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			log_warnx("%s: exists and is not a socket", sock_path);
			return -1;
		}
		unlink(sock_path);
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, sock_path, strlen(sock_path));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    chown(sock_path, 0, gid) == -1 || chmod(sock_path, 0660) == -1 ||
	    listen(fd, SOMAXCONN) == -1 || ev_add_fd(fd, accept_conn, NULL) == -1) {
		log_warn("%s", sock_path);
		if (fd != -1)
			close(fd);
		return -1;
	}
	listen_fd = fd;
	return 0;
}

void
control_reload(const struct config *c)
{
	struct passwd *pw;

	conf = c;
	if ((pw = getpwnam(c->user)) != NULL)
		peer_uid = pw->pw_uid;
	else {
		peer_uid = (uid_t)-1;
		log_warnx("control: user %s does not exist; only root may "
		    "use %s", c->user, sock_path);
	}
}

void
control_close(void)
{
	while (conns != NULL)
		conn_free(conns);
	if (listen_fd != -1) {
		ev_del_fd(listen_fd);
		close(listen_fd);
		unlink(sock_path);
	}
	listen_fd = -1;
}
