/*
 * peer: parse and serve the peer protocol (docs/peer-protocol.md).
 *
 * The server reads with poll() so that a partial line cannot hold it
 * forever, answers every request with exactly one line, and never changes a
 * file on a request it did not fully understand.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "links.h"
#include "peer.h"
#include "processes.h"
#include "status.h"
#include "switches.h"

#define WORDS_MAX	5

static const struct {
	const char	*name;
	enum peer_verb	 verb;
	int		 nargs;
} verbs[] = {
	{ PEER_HELLO,	PV_HELLO,	1 },
	{ "counters",	PV_COUNTERS,	1 },
	{ "switches",	PV_SWITCHES,	1 },
	{ "set",	PV_SET,		3 },
	{ "reset",	PV_RESET,	1 },
	{ "probe",	PV_PROBE,	1 },
	{ "lock",	PV_LOCK,	1 },
	{ "end",	PV_END,		1 },
	{ "status",	PV_STATUS,	0 },
	{ "quit",	PV_QUIT,	0 },
};

static int
split(char *s, char **words, int max)
{
	int n = 0;

	while (*s != '\0') {
		while (*s == ' ')
			s++;
		if (*s == '\0')
			break;
		if (n == max)
			return -1;
		words[n++] = s;
		while (*s != '\0' && *s != ' ')
			s++;
		if (*s != '\0')
			*s++ = '\0';
	}
	return n;
}

static int
valid_session(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= SESSION_MAX)
		return 0;
	for (; *s != '\0'; s++)
		if (!isalnum((unsigned char)*s) && strchr("._-", *s) == NULL)
			return 0;
	return 1;
}

static int
parse_args(struct peer_request *req, char **w, char *err, size_t errlen)
{
	char *end;
	long v;
	int sw;

	/* The caller checked the number of words; this keeps it local. */
	if ((req->verb != PV_STATUS && req->verb != PV_QUIT && w[1] == NULL) ||
	    (req->verb == PV_SET && (w[2] == NULL || w[3] == NULL))) {
		snprintf(err, errlen, "missing argument");
		return -1;
	}
	switch (req->verb) {
	case PV_HELLO:
		errno = 0;
		v = strtol(w[1], &end, 10);
		if (!isdigit((unsigned char)w[1][0]) || *end != '\0' ||
		    errno != 0 || v > 1000) {
			snprintf(err, errlen, "bad version \"%.20s\"", w[1]);
			return -1;
		}
		req->version = (int)v;
		return 0;
	case PV_STATUS:
	case PV_QUIT:
		return 0;
	default:
		break;
	}
	if (!valid_session(w[1])) {
		snprintf(err, errlen, "bad session name \"%.64s\"", w[1]);
		return -1;
	}
	strcpy(req->session, w[1]);
	if (req->verb != PV_SET)
		return 0;
	if ((sw = switch_parse(w[2])) == -1) {
		snprintf(err, errlen, "unknown switch \"%.20s\"", w[2]);
		return -1;
	}
	req->sw = (enum switch_id)sw;
	if (strcmp(w[3], "on") != 0 && strcmp(w[3], "off") != 0) {
		snprintf(err, errlen, "expected on or off, not \"%.20s\"", w[3]);
		return -1;
	}
	req->on = strcmp(w[3], "on") == 0;
	return 0;
}

int
peer_parse_request(const char *line, struct peer_request *req, char *err,
    size_t errlen)
{
	char buf[PEER_LINE_MAX + 1], *w[WORDS_MAX] = { NULL };
	int n;
	size_t i;

	memset(req, 0, sizeof(*req));
	if (strlen(line) > PEER_LINE_MAX) {
		snprintf(err, errlen, "line too long");
		return -1;
	}
	strcpy(buf, line);
	if ((n = split(buf, w, WORDS_MAX)) <= 0) {
		snprintf(err, errlen, n == 0 ? "empty request" :
		    "too many words");
		return -1;
	}
	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (strcmp(w[0], verbs[i].name) == 0)
			break;
	if (i == sizeof(verbs) / sizeof(verbs[0])) {
		snprintf(err, errlen, "unknown request \"%.20s\"", w[0]);
		return -1;
	}
	if (n - 1 != verbs[i].nargs) {
		snprintf(err, errlen, "%s takes %d argument%s", verbs[i].name,
		    verbs[i].nargs, verbs[i].nargs == 1 ? "" : "s");
		return -1;
	}
	req->verb = verbs[i].verb;
	return parse_args(req, w, err, errlen);
}

static int
reply_counters(const struct tap_conf *t, FILE *out)
{
	struct link_info li;
	struct links *l;
	int rc;

	if ((l = links_open()) == NULL)
		return fprintf(out, "err cannot open netlink\n");
	rc = links_get(l, t->tap, &li);
	links_close(l);
	if (rc == LINKS_NOTFOUND)
		return fprintf(out, "ok %s absent\n", t->session);
	if (rc != 0)
		return fprintf(out, "err %s: %s\n", t->tap, links_strerror(rc));
	return fprintf(out, "ok %s rx_packets=%" PRIu64 " tx_packets=%" PRIu64
	    " rx_bytes=%" PRIu64 " tx_bytes=%" PRIu64 "\n", t->session,
	    li.rx_packets, li.tx_packets, li.rx_bytes, li.tx_bytes);
}

static int
read_switches(const struct config *conf, const struct tap_conf *t,
    struct datafile *df)
{
	char path[PATH_MAX + 64], err[512];

	if (datafile_path(conf->data_dir, t->tap, path, sizeof(path)) == -1)
		return -1;
	return datafile_read(path, df, err, sizeof(err)) == -1 ? -1 : 0;
}

static int
reply_switches(const struct config *conf, const struct tap_conf *t,
    FILE *out)
{
	struct datafile df;
	int i;

	if (read_switches(conf, t, &df) == -1)
		return fprintf(out, "err %s: cannot read the data file\n",
		    t->session);
	fprintf(out, "ok %s", t->session);
	for (i = 0; i < SW_MAX; i++)
		fprintf(out, " %s=%s", switch_name(i), df.sw[i] ? "on" : "off");
	return fprintf(out, "\n");
}

static int
forget_counters(struct datafile *df, void *arg)
{
	df->have_prev = 0;
	df->prev_rounds = 0;
	return 1;
}

static int
reply_reset(const struct config *conf, const struct tap_conf *t, FILE *out)
{
	char path[PATH_MAX + 64];

	if (datafile_path(conf->data_dir, t->tap, path, sizeof(path)) == -1 ||
	    datafile_update(path, forget_counters, NULL) == -1)
		return fprintf(out, "err %s: cannot write the data file\n",
		    t->session);
	return fprintf(out, "ok %s reset\n", t->session);
}

/* Probing: the daemon runs, uses probes, and the tap's service is on. */
static int
reply_probe(const struct config *conf, const struct tap_conf *t, FILE *out)
{
	struct datafile df;
	int running = status_daemon_pid(conf) != 0;
	int probing = running && conf->liveness == LIVENESS_PROBE &&
	    read_switches(conf, t, &df) == 0 && df.sw[SW_SERVICE];

	return fprintf(out, "ok %s running=%d probing=%d\n", t->session,
	    running, probing);
}

/*
 * The session's vtund lock: held while the old server session still
 * exists, and a new one would wait for it (killold, half a second a step).
 */
static int
reply_lock(const struct tap_conf *t, FILE *out)
{
	pid_t pid;
	int held = procs_session_locked(t->session, &pid);

	if (held == -1)
		return fprintf(out, "err %s: %s/%s: %s\n", t->session,
		    VTUND_LOCK_DIR, t->session, strerror(errno));
	return fprintf(out, "ok %s held=%d\n", t->session, held);
}

/*
 * End the server's session, as the client is about to reconnect because no
 * data flows (what `killold` would do, without its half-second sleeps).
 * Not while the tap's service switch is off here.
 */
static int
reply_end(const struct config *conf, const struct tap_conf *t, FILE *out)
{
	struct datafile df;
	pid_t pid;
	int ended = 0, held;

	if (conf->machine == ROLE_SERVER && read_switches(conf, t, &df) == 0 &&
	    df.sw[SW_SERVICE] &&
	    (ended = procs_end_server_session(t->session)) == -1)
		return fprintf(out, "err %s: %s\n", t->session,
		    strerror(errno));
	if ((held = procs_session_locked(t->session, &pid)) == -1)
		held = 1;
	return fprintf(out, "ok %s ended=%d held=%d\n", t->session, ended,
	    held);
}

static int
reply_set(const struct config *conf, const struct tap_conf *t,
    const struct peer_request *req, FILE *out)
{
	if (switches_set(conf, t->tap, req->sw, req->on) == -1)
		return fprintf(out, "err %s: %s\n", t->session,
		    strerror(errno));
	return fprintf(out, "ok %s %s=%s\n", t->session, switch_name(req->sw),
	    req->on ? "on" : "off");
}

static int
reply_status(const struct config *conf, FILE *out)
{
	fprintf(out, "ok ");
	status_print(conf, 1, NULL, out);	/* one line of JSON */
	return 0;
}

/* Answer one request; returns 1 to go on, 0 to hang up. */
static int
answer(const struct config *conf, const struct peer_request *req,
    int *hello, FILE *out)
{
	const struct tap_conf *t = NULL;

	if (req->verb == PV_HELLO) {
		if (req->version != PEER_VERSION) {
			fprintf(out, "err version %d not supported (%d)\n",
			    req->version, PEER_VERSION);
			return 1;
		}
		*hello = 1;
		fprintf(out, "ok %s %d %s\n", PEER_HELLO, PEER_VERSION,
		    machine_name(conf->machine));
		return 1;
	}
	if (!*hello) {
		fprintf(out, "err say \"%s %d\" first\n", PEER_HELLO,
		    PEER_VERSION);
		return 1;
	}
	if (req->session[0] && (t = config_find_session(conf, req->session)) == NULL) {
		fprintf(out, "err %s: no such session\n", req->session);
		return 1;
	}
	switch (req->verb) {
	case PV_COUNTERS: reply_counters(t, out); break;
	case PV_SWITCHES: reply_switches(conf, t, out); break;
	case PV_SET: reply_set(conf, t, req, out); break;
	case PV_RESET: reply_reset(conf, t, out); break;
	case PV_PROBE: reply_probe(conf, t, out); break;
	case PV_LOCK: reply_lock(t, out); break;
	case PV_END: reply_end(conf, t, out); break;
	case PV_STATUS: reply_status(conf, out); break;
	case PV_QUIT: fprintf(out, "ok bye\n"); return 0;
	default: break;
	}
	return 1;
}

/* Input state: a line being collected, bounded in size and time. */
struct reader {
	char	 line[PEER_LINE_MAX + 1];
	size_t	 len;
	int	 too_long;	/* discarding up to the next newline */
	int	 bad_byte;
};

/* Take one byte; returns 1 when a line (or a bad one) is complete. */
static int
take_byte(struct reader *r, char ch)
{
	if (ch == '\n')
		return 1;
	if (ch == '\r' && !r->too_long)
		return 0;
	if (r->too_long)
		return 0;
	if (r->len == PEER_LINE_MAX) {
		r->too_long = 1;
		return 0;
	}
	if (!isprint((unsigned char)ch))
		r->bad_byte = 1;
	r->line[r->len++] = ch;
	return 0;
}

/* Handle the complete line in R; returns 1 to go on, 0 to hang up. */
static int
handle_line(const struct config *conf, struct reader *r, int *hello,
    int *errors, FILE *out)
{
	struct peer_request req;
	char err[128];
	int go_on = 1;

	r->line[r->len] = '\0';
	if (r->too_long)
		snprintf(err, sizeof(err), "line too long (at most %d bytes)",
		    PEER_LINE_MAX);
	else if (r->bad_byte)
		snprintf(err, sizeof(err), "unprintable input");
	if (r->too_long || r->bad_byte ||
	    peer_parse_request(r->line, &req, err, sizeof(err)) == -1) {
		fprintf(out, "err %s\n", err);
		if (++*errors >= PEER_ERRORS_MAX) {
			fprintf(out, "err too many errors, goodbye\n");
			go_on = 0;
		}
	} else {
		*errors = 0;
		go_on = answer(conf, &req, hello, out);
	}
	fflush(out);
	memset(r, 0, sizeof(*r));
	return go_on;
}

int
peer_serve(const struct config *conf, int in, int outfd)
{
	struct reader r;
	struct pollfd pfd = { .fd = in, .events = POLLIN };
	FILE *out;
	char buf[512];
	ssize_t n, i;
	int hello = 0, errors = 0, timeout;

	if ((out = fdopen(outfd, "w")) == NULL)
		return 1;
	memset(&r, 0, sizeof(r));
	for (;;) {
		timeout = r.len > 0 || r.too_long ? PEER_LINE_TIMEOUT_MS : -1;
		if (poll(&pfd, 1, timeout) == 0) {
			fprintf(out, "err timeout in the middle of a line\n");
			break;
		}
		if ((n = read(in, buf, sizeof(buf))) == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		for (i = 0; i < n; i++)
			if (take_byte(&r, buf[i]) &&
			    !handle_line(conf, &r, &hello, &errors, out))
				goto done;
	}
done:
	fclose(out);
	return 0;
}

/* "ok SESSION key=value ..." into the value of KEY. */
static int
reply_value(const char *reply, const char *key, char *val, size_t len)
{
	const char *p;
	size_t klen = strlen(key), n;

	if (strncmp(reply, "ok ", 3) != 0)
		return -1;
	for (p = strchr(reply + 3, ' '); p != NULL; p = strchr(p + 1, ' '))
		if (strncmp(p + 1, key, klen) == 0 && p[1 + klen] == '=') {
			p += klen + 2;
			n = strcspn(p, " ");
			if (n == 0 || n >= len)
				return -1;
			memcpy(val, p, n);
			val[n] = '\0';
			return 0;
		}
	return -1;
}

static int
reply_u64(const char *reply, const char *key, uint64_t *out)
{
	char val[32], *end;

	if (reply_value(reply, key, val, sizeof(val)) == -1 ||
	    !isdigit((unsigned char)val[0]))
		return -1;
	errno = 0;
	*out = strtoull(val, &end, 10);
	return *end == '\0' && errno == 0 ? 0 : -1;
}

int
peer_parse_counters(const char *reply, struct peer_counters *pc)
{
	const char *sp;

	memset(pc, 0, sizeof(*pc));
	if (strncmp(reply, "ok ", 3) != 0)
		return -1;
	sp = strchr(reply + 3, ' ');
	if (sp != NULL && strcmp(sp, " absent") == 0) {
		pc->absent = 1;
		return 0;
	}
	if (reply_u64(reply, "rx_packets", &pc->c.rx_packets) == -1 ||
	    reply_u64(reply, "tx_packets", &pc->c.tx_packets) == -1)
		return -1;
	return 0;
}

int
peer_parse_switches(const char *reply, int sw[SW_MAX])
{
	char val[8];
	int i;

	for (i = 0; i < SW_MAX; i++) {
		if (reply_value(reply, switch_name(i), val, sizeof(val)) == -1)
			return -1;
		if (strcmp(val, "on") != 0 && strcmp(val, "off") != 0)
			return -1;
		sw[i] = strcmp(val, "on") == 0;
	}
	return 0;
}

int
peer_parse_probe(const char *reply, struct peer_probe *pp)
{
	uint64_t running, probing;

	if (reply_u64(reply, "running", &running) == -1 ||
	    reply_u64(reply, "probing", &probing) == -1 ||
	    running > 1 || probing > 1)
		return -1;
	pp->running = (int)running;
	pp->probing = (int)probing;
	return 0;
}

int
peer_parse_lock(const char *reply, int *held)
{
	uint64_t h;

	if (reply_u64(reply, "held", &h) == -1 || h > 1)
		return -1;
	*held = (int)h;
	return 0;
}

int
peer_parse_end(const char *reply, int *ended, int *held)
{
	uint64_t e, h;

	if (reply_u64(reply, "ended", &e) == -1 || e > 16 ||
	    reply_u64(reply, "held", &h) == -1 || h > 1)
		return -1;
	*ended = (int)e;
	*held = (int)h;
	return 0;
}
