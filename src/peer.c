/*
 * peer: parse the peer protocol's requests and replies
 * (docs/peer-protocol.md).  Who answers them: the session's worker
 * (requests.c), reached through the control socket (control.c); `vtundfix
 * peer` only relays (relay.c).
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "peer.h"
#include "switches.h"

#define WORDS_MAX	5

static const struct {
	const char	*name;
	enum peer_verb	 verb;
	int		 nargs, maxargs;
} verbs[] = {
	{ PEER_HELLO,	PV_HELLO,	1, 1 },
	{ "counters",	PV_COUNTERS,	1, 1 },
	{ "switches",	PV_SWITCHES,	0, 1 },	/* none: every session */
	{ "set",	PV_SET,		3, 3 },
	{ "reset",	PV_RESET,	1, 1 },
	{ "probe",	PV_PROBE,	1, 1 },
	{ "lock",	PV_LOCK,	1, 1 },
	{ "end",	PV_END,		1, 2 },	/* SESSION [PORT] */
	{ "status",	PV_STATUS,	0, 2 },	/* [json|text] [peers] */
	{ "watch",	PV_WATCH,	0, 0 },
	{ "quit",	PV_QUIT,	0, 0 },
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

/* "status [json|text] [peers]" */
static int
parse_status(struct peer_request *req, char **w, char *err, size_t errlen)
{
	int i;

	for (i = 1; i < WORDS_MAX && w[i] != NULL; i++) {
		if (strcmp(w[i], "text") == 0 || strcmp(w[i], "json") == 0) {
			if (i != 1)
				goto bad;
			req->text = w[i][0] == 't';
		} else if (strcmp(w[i], "peers") == 0) {
			req->peers = 1;
		} else {
			goto bad;
		}
	}
	return 0;
bad:
	snprintf(err, errlen, "status takes [json|text] [peers], not \"%.20s\"",
	    w[i]);
	return -1;
}

/* "end SESSION [PORT]": the client's port of the session to end. */
static int
parse_port(struct peer_request *req, const char *w, char *err, size_t errlen)
{
	char *end;
	long v;

	if (w == NULL)
		return 0;
	errno = 0;
	v = strtol(w, &end, 10);
	if (!isdigit((unsigned char)w[0]) || *end != '\0' || errno != 0 ||
	    v < 1 || v > 65535) {
		snprintf(err, errlen, "bad port \"%.20s\"", w);
		return -1;
	}
	req->port = (uint16_t)v;
	return 0;
}

static int
parse_args(struct peer_request *req, char **w, char *err, size_t errlen)
{
	char *end;
	long v;
	int sw;

	/* The caller checked the number of words; this keeps it local. */
	if ((req->verb != PV_STATUS && req->verb != PV_QUIT &&
	    req->verb != PV_SWITCHES && req->verb != PV_WATCH &&
	    w[1] == NULL) ||
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
		return parse_status(req, w, err, errlen);
	case PV_QUIT:
	case PV_WATCH:
		return 0;
	case PV_SWITCHES:
		if (w[1] == NULL)
			return 0;	/* every session */
		break;
	default:
		break;
	}
	if (!valid_session(w[1])) {
		snprintf(err, errlen, "bad session name \"%.64s\"", w[1]);
		return -1;
	}
	strcpy(req->session, w[1]);
	if (req->verb == PV_END)
		return parse_port(req, w[2], err, errlen);
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
	if (n - 1 < verbs[i].nargs || n - 1 > verbs[i].maxargs) {
		if (verbs[i].nargs == verbs[i].maxargs)
			snprintf(err, errlen, "%s takes %d argument%s",
			    verbs[i].name, verbs[i].nargs,
			    verbs[i].nargs == 1 ? "" : "s");
		else
			snprintf(err, errlen, "%s takes %d to %d arguments",
			    verbs[i].name, verbs[i].nargs, verbs[i].maxargs);
		return -1;
	}
	req->verb = verbs[i].verb;
	return parse_args(req, w, err, errlen);
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
peer_is_event(const char *line)
{
	return strncmp(line, PEER_EVENT, strlen(PEER_EVENT)) == 0;
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
