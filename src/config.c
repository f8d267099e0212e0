/*
 * config: read /etc/vtundfix.conf (SPEC §3).
 *
 * The file is read line by line into a scratch struct config; the first
 * error stops everything with "FILE:LINE: message" and the caller's struct
 * stays zeroed.  Defaults that depend on other keys (LOG_FILE, LISTENER_START,
 * PEER_COMMAND) are filled in only after the whole file has been read.
 */
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

#define LINE_MAX_LEN	4096
#define WORDS_MAX	64

/* Where parsing stands: for messages and duplicate detection. */
struct parser {
	const char	*path;
	int		 line;
	char		*err;
	size_t		 errlen;
	struct config	*conf;
	int		 seen[32];	/* line of each key, 0 if unset */
	size_t		 taps_alloc;
};

static int parse_number(struct parser *, const char *, const char *,
    unsigned, unsigned, unsigned *);

static int
fail(struct parser *p, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (p->line > 0)
		snprintf(p->err, p->errlen, "%s:%d: %s", p->path, p->line, msg);
	else
		snprintf(p->err, p->errlen, "%s: %s", p->path, msg);
	return -1;
}

/* Copy SRC into a fixed field, refusing what does not fit. */
static int
set_string(struct parser *p, const char *key, char *dst, size_t len,
    const char *src)
{
	if (strlen(src) >= len)
		return fail(p, "%s: value is longer than %zu characters", key,
		    len - 1);
	strcpy(dst, src);
	return 0;
}

static int
set_path(struct parser *p, const char *key, char *dst, size_t len,
    const char *src)
{
	if (src[0] != '/')
		return fail(p, "%s: \"%s\" is not an absolute path", key, src);
	return set_string(p, key, dst, len, src);
}

/* A unix socket's path must fit in sun_path (108 bytes with the NUL). */
static int
set_socket_path(struct parser *p, const char *key, char *dst, const char *src)
{
	if (strlen(src) >= CONTROL_SOCKET_MAX)
		return fail(p, "%s: \"%.40s...\" is longer than %d characters "
		    "(a unix socket's limit)", key, src, CONTROL_SOCKET_MAX - 1);
	return set_path(p, key, dst, CONTROL_SOCKET_MAX, src);
}

/* The kernel's rules for interface names (dev_valid_name()). */
static int
check_ifname(struct parser *p, const char *what, const char *name)
{
	const char *c;

	if (strlen(name) >= IFNAMSIZ)
		return fail(p, "%s name \"%s\" is longer than %d characters",
		    what, name, IFNAMSIZ - 1);
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return fail(p, "%s name \"%s\" is not allowed", what, name);
	for (c = name; *c != '\0'; c++)
		if (*c == '/' || *c == ':' || isspace((unsigned char)*c) ||
		    !isprint((unsigned char)*c))
			return fail(p, "%s name \"%s\" contains a character "
			    "the kernel refuses", what, name);
	return 0;
}

/*
 * Host names and addresses: letters, digits, '.', ':', '-', '_'.  A name
 * made only of digits and dots can only be meant as an IPv4 address (no
 * top-level domain is numeric), so it must be a valid one: 192.168.1.300
 * is a typo, not a host to look up.
 */
static int
check_host(struct parser *p, const char *what, const char *host)
{
	struct in_addr in;
	const char *c;

	if (strlen(host) >= HOST_MAX)
		return fail(p, "%s \"%.40s...\" is too long", what, host);
	for (c = host; *c != '\0'; c++)
		if (!isalnum((unsigned char)*c) && strchr(".:-_", *c) == NULL)
			return fail(p, "%s \"%s\" is not a host name or "
			    "address", what, host);
	if (host[0] == '-')
		return fail(p, "%s \"%s\" is not a host name or address",
		    what, host);
	if (strspn(host, "0123456789.") == strlen(host) &&
	    inet_pton(AF_INET, host, &in) != 1)
		return fail(p, "%s \"%s\" is not a valid IPv4 address", what,
		    host);
	return 0;
}

/*
 * vtund session names become file names (vtund's lock file, our scope
 * lists) and command-line words (the client's argv): no '/', no leading
 * '-' that a program would take for an option, not "." or "..".
 */
static int
check_session(struct parser *p, const char *session)
{
	const char *c;

	if (strlen(session) >= SESSION_MAX)
		return fail(p, "session name \"%s\" is longer than %d "
		    "characters", session, SESSION_MAX - 1);
	if (session[0] == '-')
		return fail(p, "session name \"%s\" starts with '-'", session);
	if (strcmp(session, ".") == 0 || strcmp(session, "..") == 0)
		return fail(p, "session name \"%s\" is not allowed", session);
	for (c = session; *c != '\0'; c++)
		if (!isalnum((unsigned char)*c) && strchr("._-", *c) == NULL)
			return fail(p, "session name \"%s\" may only contain "
			    "letters, digits, '.', '_' and '-'", session);
	return 0;
}

/* Split a command value into words; argv is one allocation per word. */
static int
set_command(struct parser *p, const char *key, struct command *cmd,
    char **words, int nwords)
{
	int i;

	if (cmd->argv != NULL)
		return fail(p, "%s is set twice", key);
	cmd->argv = calloc((size_t)nwords + 1, sizeof(char *));
	if (cmd->argv == NULL)
		return fail(p, "out of memory");
	for (i = 0; i < nwords; i++) {
		if ((cmd->argv[i] = strdup(words[i])) == NULL)
			return fail(p, "out of memory");
		cmd->argc++;
	}
	return 0;
}

static void
free_command(struct command *cmd)
{
	int i;

	if (cmd->argv == NULL)
		return;
	for (i = 0; i < cmd->argc; i++)
		free(cmd->argv[i]);
	free(cmd->argv);
	cmd->argv = NULL;
	cmd->argc = 0;
}

/* The settings, in the order of SPEC §3. */
enum key {
	K_DIRECTORY, K_DELAY_BETWEENCHECK, K_DELAY_PARENTCHECK, K_SERVER,
	K_MACHINE, K_EMAIL, K_USER, K_DATA_DIR, K_LOG_FILE, K_PID_FILE,
	K_VTUND, K_VTUND_CONF, K_LISTENER_START, K_PEER_COMMAND, K_LIVENESS,
	K_PROBE_INTERVAL_MS, K_PROBE_MULTIPLIER, K_MAIL_COMMAND,
	K_METRICS_FILE, K_CONTROL_SOCKET, K_MAX
};

static const char *const key_names[K_MAX] = {
	"DIRECTORY", "DELAY_BETWEENCHECK", "DELAY_PARENTCHECK", "SERVER",
	"MACHINE", "EMAIL", "USER", "DATA_DIR", "LOG_FILE", "PID_FILE",
	"VTUND", "VTUND_CONF", "LISTENER_START", "PEER_COMMAND", "LIVENESS",
	"PROBE_INTERVAL_MS", "PROBE_MULTIPLIER", "MAIL_COMMAND",
	"METRICS_FILE", "CONTROL_SOCKET",
};
_Static_assert(K_MAX <= 32, "struct parser's seen[] is too small");

static int
is_command_key(enum key k)
{
	return k == K_LISTENER_START || k == K_PEER_COMMAND ||
	    k == K_MAIL_COMMAND;
}

static int
parse_user(struct parser *p, const char *v)
{
	const char *c;

	if (!islower((unsigned char)v[0]) && v[0] != '_')
		return fail(p, "USER: \"%s\" is not a valid user name", v);
	for (c = v; *c != '\0'; c++)
		if (!islower((unsigned char)*c) && !isdigit((unsigned char)*c)
		    && strchr("_-.", *c) == NULL)
			return fail(p, "USER: \"%s\" is not a valid user "
			    "name", v);
	return set_string(p, "USER", p->conf->user, sizeof(p->conf->user), v);
}

static int
parse_machine(struct parser *p, const char *v)
{
	if (strcmp(v, "server") == 0)
		p->conf->machine = ROLE_SERVER;
	else if (strcmp(v, "client") == 0)
		p->conf->machine = ROLE_CLIENT;
	else
		return fail(p, "MACHINE: \"%s\" is neither server nor client",
		    v);
	return 0;
}

static int
parse_liveness(struct parser *p, const char *v)
{
	if (strcmp(v, "probe") == 0)
		p->conf->liveness = LIVENESS_PROBE;
	else if (strcmp(v, "counters") == 0)
		p->conf->liveness = LIVENESS_COUNTERS;
	else
		return fail(p, "LIVENESS: \"%s\" is neither probe nor counters",
		    v);
	return 0;
}

/* One single-word setting. */
static int
parse_value(struct parser *p, enum key k, const char *v)
{
	struct config *c = p->conf;
	const char *name = key_names[k];

	switch (k) {
	case K_DIRECTORY:
		return set_path(p, name, c->directory, sizeof(c->directory), v);
	case K_DELAY_BETWEENCHECK:
		return parse_number(p, name, v, 1, 86400,
		    &c->delay_betweencheck);
	case K_DELAY_PARENTCHECK:
		return parse_number(p, name, v, 1, 86400,
		    &c->delay_parentcheck);
	case K_SERVER:
		if (check_host(p, name, v) == -1)
			return -1;
		return set_string(p, name, c->server, sizeof(c->server), v);
	case K_MACHINE:
		return parse_machine(p, v);
	case K_EMAIL:
		if (v[0] == '-')
			return fail(p, "EMAIL: \"%s\" is not an address", v);
		return set_string(p, name, c->email, sizeof(c->email), v);
	case K_USER:
		return parse_user(p, v);
	case K_DATA_DIR:
		if (set_path(p, name, c->data_dir, sizeof(c->data_dir) - 1, v))
			return -1;
		if (c->data_dir[strlen(c->data_dir) - 1] != '/')
			strcat(c->data_dir, "/");
		return 0;
	case K_LOG_FILE:
		if (strcmp(v, "syslog") == 0)
			return set_string(p, name, c->log_file,
			    sizeof(c->log_file), v);
		return set_path(p, name, c->log_file, sizeof(c->log_file), v);
	case K_PID_FILE:
		return set_path(p, name, c->pid_file, sizeof(c->pid_file), v);
	case K_VTUND:
		return set_path(p, name, c->vtund, sizeof(c->vtund), v);
	case K_VTUND_CONF:
		return set_path(p, name, c->vtund_conf, sizeof(c->vtund_conf),
		    v);
	case K_LIVENESS:
		return parse_liveness(p, v);
	case K_PROBE_INTERVAL_MS:
		return parse_number(p, name, v, 10, 60000,
		    &c->probe_interval_ms);
	case K_PROBE_MULTIPLIER:
		return parse_number(p, name, v, 2, 255, &c->probe_multiplier);
	case K_METRICS_FILE:
		return set_path(p, name, c->metrics_file,
		    sizeof(c->metrics_file), v);
	case K_CONTROL_SOCKET:
		return set_socket_path(p, name, c->control_socket, v);
	default:
		return fail(p, "%s: internal error", name);
	}
}

static int
parse_number(struct parser *p, const char *key, const char *v, unsigned min,
    unsigned max, unsigned *out)
{
	unsigned long n;
	char *end;

	if (!isdigit((unsigned char)v[0]))
		return fail(p, "%s: \"%s\" is not a number", key, v);
	errno = 0;
	n = strtoul(v, &end, 10);
	if (*end != '\0')
		return fail(p, "%s: \"%s\" is not a number", key, v);
	if (errno == ERANGE || n < min || n > max)
		return fail(p, "%s: %s is out of range (%u-%u)", key, v, min,
		    max);
	*out = (unsigned)n;
	return 0;
}

static int
parse_setting(struct parser *p, char **words, int nwords)
{
	int k;

	for (k = 0; k < K_MAX; k++)
		if (strcmp(words[0], key_names[k]) == 0)
			break;
	if (k == K_MAX)
		return fail(p, "unknown key \"%s\"", words[0]);
	if (p->seen[k] != 0)
		return fail(p, "%s is already set on line %d", words[0],
		    p->seen[k]);
	p->seen[k] = p->line;
	if (nwords < 2)
		return fail(p, "%s: missing value", words[0]);
	if (is_command_key(k)) {
		struct command *cmd = k == K_LISTENER_START ?
		    &p->conf->listener_start : k == K_PEER_COMMAND ?
		    &p->conf->peer_command : &p->conf->mail_command;
		return set_command(p, words[0], cmd, words + 1, nwords - 1);
	}
	if (nwords > 2)
		return fail(p, "%s: unexpected \"%s\" after the value",
		    words[0], words[2]);
	return parse_value(p, k, words[1]);
}

/* "eth0.763" is a VLAN: parent eth0, id 763. */
static int
parse_uplink(struct parser *p, struct tap_conf *t)
{
	char *dot = strrchr(t->uplink, '.');
	const char *c;
	unsigned long id;

	if (dot == NULL || dot == t->uplink || dot[1] == '\0')
		return 0;
	for (c = dot + 1; *c != '\0'; c++)
		if (!isdigit((unsigned char)*c))
			return 0;	/* a plain name with a dot */
	id = strtoul(dot + 1, NULL, 10);
	if (id < 1 || id > 4094)
		return fail(p, "VLAN id %s of \"%s\" is out of range (1-4094)",
		    dot + 1, t->uplink);
	memcpy(t->uplink_parent, t->uplink, (size_t)(dot - t->uplink));
	t->uplink_parent[dot - t->uplink] = '\0';
	t->vlan_id = (int)id;
	return 0;
}

/* A tap line must not repeat a tap, bridge, uplink or session. */
static int
check_duplicates(struct parser *p, const struct tap_conf *t)
{
	const struct config *c = p->conf;
	size_t i;

	for (i = 0; i < c->ntaps; i++) {
		const struct tap_conf *o = &c->taps[i];

		if (strcmp(o->tap, t->tap) == 0)
			return fail(p, "duplicate tap %s (first on line %d)",
			    t->tap, o->line);
		if (strcmp(o->bridge, t->bridge) == 0)
			return fail(p, "duplicate bridge %s (first on line %d)",
			    t->bridge, o->line);
		if (strcmp(o->session, t->session) == 0)
			return fail(p, "duplicate session %s (first on line "
			    "%d)", t->session, o->line);
		if (strcmp(o->uplink, t->uplink) == 0)
			return fail(p, "duplicate uplink %s (first on line %d)",
			    t->uplink, o->line);
	}
	return 0;
}

static int
add_tap(struct parser *p, const struct tap_conf *t)
{
	struct config *c = p->conf;
	struct tap_conf *n;

	if (c->ntaps == p->taps_alloc) {
		p->taps_alloc = p->taps_alloc ? p->taps_alloc * 2 : 8;
		n = reallocarray(c->taps, p->taps_alloc, sizeof(*n));
		if (n == NULL)
			return fail(p, "out of memory");
		c->taps = n;
	}
	c->taps[c->ntaps++] = *t;
	return 0;
}

static int
parse_tap(struct parser *p, char **words, int nwords)
{
	struct tap_conf t;

	if (nwords != 5)
		return fail(p, "malformed tap line: expected \"<tap> <session> "
		    "<client ip> <bridge> <uplink>\", got %d word%s", nwords,
		    nwords == 1 ? "" : "s");
	memset(&t, 0, sizeof(t));
	t.line = p->line;
	if (check_ifname(p, "tap", words[0]) == -1 ||
	    check_session(p, words[1]) == -1 ||
	    check_host(p, "client ip", words[2]) == -1 ||
	    check_ifname(p, "bridge", words[3]) == -1 ||
	    check_ifname(p, "uplink", words[4]) == -1)
		return -1;
	strcpy(t.tap, words[0]);
	strcpy(t.session, words[1]);
	strcpy(t.client_ip, words[2]);
	strcpy(t.bridge, words[3]);
	strcpy(t.uplink, words[4]);
	if (parse_uplink(p, &t) == -1 || check_duplicates(p, &t) == -1)
		return -1;
	return add_tap(p, &t);
}

/* Setting keys are upper case; anything else is a tap line. */
static int
is_key_word(const char *w)
{
	for (; *w != '\0'; w++)
		if (!isupper((unsigned char)*w) && *w != '_')
			return 0;
	return 1;
}

/* Cut a line into words in place; '#' at a word's start ends the line. */
static int
split_words(char *line, char **words, int max)
{
	int n = 0;
	char *s = line;

	for (;;) {
		while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
			s++;
		if (*s == '\0' || *s == '#')
			return n;
		if (n == max)
			return -1;
		words[n++] = s;
		while (*s != '\0' && *s != ' ' && *s != '\t' && *s != '\r' &&
		    *s != '\n')
			s++;
		if (*s != '\0')
			*s++ = '\0';
	}
}

static int
parse_line(struct parser *p, char *line)
{
	char *words[WORDS_MAX];
	int n;

	if ((n = split_words(line, words, WORDS_MAX)) == -1)
		return fail(p, "too many words");
	if (n == 0 || words[0][0] == '<')	/* the seed's header line */
		return 0;
	if (is_key_word(words[0]))
		return parse_setting(p, words, n);
	return parse_tap(p, words, n);
}

/* Use WORDS (NULL-terminated) for CMD unless the file set it. */
static int
default_command(struct parser *p, struct command *cmd, char **words)
{
	int n = 0;

	if (cmd->argv != NULL)
		return 0;
	while (words[n] != NULL)
		n++;
	return set_command(p, "default", cmd, words, n);
}

/* Defaults, the ones that depend on other settings, and required keys. */
static int
finish(struct parser *p)
{
	struct config *c = p->conf;
	char login[sizeof(c->user) + 3];

	p->line = 0;
	if (c->machine == ROLE_NONE)
		return fail(p, "MACHINE is not set (server or client)");
	if (c->machine == ROLE_CLIENT && c->server[0] == '\0')
		return fail(p, "SERVER is not set (required on a client)");
	if (c->ntaps == 0)
		return fail(p, "no tap lines: nothing to check");
	if (c->log_file[0] == '\0' && snprintf(c->log_file,
	    sizeof(c->log_file), "%svtundfix.log", c->data_dir) >=
	    (int)sizeof(c->log_file))
		return fail(p, "DATA_DIR is too long");
	if (default_command(p, &c->listener_start, (char *[]){ c->vtund,
	    "-s", "-f", c->vtund_conf, NULL }) == -1)
		return -1;
	snprintf(login, sizeof(login), "%s@%%h", c->user);
	if (default_command(p, &c->peer_command, (char *[]){ "ssh", "-o",
	    "BatchMode=yes", "-o", "ConnectTimeout=10", login, "vtundfix",
	    "peer", NULL }) == -1)
		return -1;
	return default_command(p, &c->mail_command, (char *[]){
	    "/usr/sbin/sendmail", "-t", "-oi", NULL });
}

static void
set_defaults(struct config *c, const char *path)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->path, sizeof(c->path), "%s", path);
	strcpy(c->directory, "/usr/local/vtundfix/");
	c->delay_betweencheck = 300;
	c->delay_parentcheck = 300;
	strcpy(c->user, "vtundfix");
	strcpy(c->data_dir, "/var/vtundfix/");
	strcpy(c->pid_file, "/var/run/vtundfix.pid");
	strcpy(c->vtund, "/usr/sbin/vtund");
	strcpy(c->vtund_conf, "/etc/vtund.conf");
	strcpy(c->control_socket, CONTROL_SOCKET_DEFAULT);
	c->liveness = LIVENESS_PROBE;
	c->probe_interval_ms = 1000;
	c->probe_multiplier = 3;
}

static int
read_lines(struct parser *p, FILE *fp)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int rc = 0;

	while (rc == 0 && (len = getline(&line, &cap, fp)) != -1) {
		p->line++;
		if (len > LINE_MAX_LEN)
			rc = fail(p, "line is longer than %d characters",
			    LINE_MAX_LEN);
		else if (strlen(line) != (size_t)len)
			rc = fail(p, "line contains a NUL byte");
		else
			rc = parse_line(p, line);
	}
	free(line);
	if (rc == 0 && ferror(fp)) {
		p->line = 0;
		rc = fail(p, "read error: %s", strerror(errno));
	}
	return rc;
}

int
config_load(const char *path, struct config *conf, char *err, size_t errlen)
{
	struct parser p;
	struct config c;
	FILE *fp;
	int rc;

	memset(&p, 0, sizeof(p));
	p.path = path;
	p.err = err;
	p.errlen = errlen;
	p.conf = &c;
	memset(conf, 0, sizeof(*conf));
	set_defaults(&c, path);
	if ((fp = fopen(path, "re")) == NULL) {
		fail(&p, "%s", strerror(errno));
		return -1;
	}
	rc = read_lines(&p, fp);
	fclose(fp);
	if (rc == 0)
		rc = finish(&p);
	if (rc == -1) {
		config_free(&c);
		return -1;
	}
	*conf = c;
	return 0;
}

void
config_free(struct config *conf)
{
	free_command(&conf->listener_start);
	free_command(&conf->peer_command);
	free_command(&conf->mail_command);
	free(conf->taps);
	memset(conf, 0, sizeof(*conf));
}

static int
command_equal(const struct command *a, const struct command *b)
{
	int i;

	if (a->argc != b->argc)
		return 0;
	for (i = 0; i < a->argc; i++)
		if (strcmp(a->argv[i], b->argv[i]) != 0)
			return 0;
	return 1;
}

int
config_equal(const struct config *a, const struct config *b)
{
	size_t i;

	for (i = 0; i < a->ntaps && a->ntaps == b->ntaps; i++) {
		const struct tap_conf *x = &a->taps[i], *y = &b->taps[i];

		if (strcmp(x->tap, y->tap) != 0 ||
		    strcmp(x->session, y->session) != 0 ||
		    strcmp(x->client_ip, y->client_ip) != 0 ||
		    strcmp(x->bridge, y->bridge) != 0 ||
		    strcmp(x->uplink, y->uplink) != 0)
			return 0;
	}
	return a->ntaps == b->ntaps &&
	    strcmp(a->path, b->path) == 0 &&
	    strcmp(a->directory, b->directory) == 0 &&
	    a->delay_betweencheck == b->delay_betweencheck &&
	    a->delay_parentcheck == b->delay_parentcheck &&
	    strcmp(a->server, b->server) == 0 && a->machine == b->machine &&
	    strcmp(a->email, b->email) == 0 && strcmp(a->user, b->user) == 0 &&
	    strcmp(a->data_dir, b->data_dir) == 0 &&
	    strcmp(a->log_file, b->log_file) == 0 &&
	    strcmp(a->pid_file, b->pid_file) == 0 &&
	    strcmp(a->vtund, b->vtund) == 0 &&
	    strcmp(a->vtund_conf, b->vtund_conf) == 0 &&
	    a->liveness == b->liveness &&
	    a->probe_interval_ms == b->probe_interval_ms &&
	    a->probe_multiplier == b->probe_multiplier &&
	    strcmp(a->metrics_file, b->metrics_file) == 0 &&
	    strcmp(a->control_socket, b->control_socket) == 0 &&
	    command_equal(&a->listener_start, &b->listener_start) &&
	    command_equal(&a->peer_command, &b->peer_command) &&
	    command_equal(&a->mail_command, &b->mail_command);
}

const struct tap_conf *
config_find_tap(const struct config *conf, const char *tap)
{
	size_t i;

	for (i = 0; i < conf->ntaps; i++)
		if (strcmp(conf->taps[i].tap, tap) == 0)
			return &conf->taps[i];
	return NULL;
}

const struct tap_conf *
config_find_session(const struct config *conf, const char *session)
{
	size_t i;

	for (i = 0; i < conf->ntaps; i++)
		if (strcmp(conf->taps[i].session, session) == 0)
			return &conf->taps[i];
	return NULL;
}

size_t
tap_names(const struct tap_conf *t, const char *names[TAP_NAMES_MAX])
{
	const char *all[TAP_NAMES_MAX] = { t->tap, t->bridge, t->uplink,
	    t->uplink_parent };
	size_t i, j, n = 0;

	for (i = 0; i < TAP_NAMES_MAX; i++) {
		for (j = 0; j < i && strcmp(all[j], all[i]) != 0; j++)
			;
		if (all[i][0] != '\0' && j == i)
			names[n++] = all[i];
	}
	return n;
}

int
tap_uses(const struct tap_conf *t, const char *name)
{
	const char *names[TAP_NAMES_MAX];
	size_t i, n = tap_names(t, names);

	for (i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0)
			return 1;
	return 0;
}

/* Replace every "%h" in S by HOST into DST (NULL: only measure). */
static size_t
expand_word(char *dst, const char *s, const char *host)
{
	size_t n = 0, hl = strlen(host);

	while (*s != '\0') {
		if (s[0] == '%' && s[1] == 'h') {
			if (dst)
				memcpy(dst + n, host, hl);
			n += hl;
			s += 2;
		} else {
			if (dst)
				dst[n] = *s;
			n++;
			s++;
		}
	}
	if (dst)
		dst[n] = '\0';
	return n + 1;
}

char **
command_expand(const struct command *cmd, const char *host)
{
	size_t size = (size_t)(cmd->argc + 1) * sizeof(char *);
	char **argv, *s;
	int i;

	for (i = 0; i < cmd->argc; i++)
		size += expand_word(NULL, cmd->argv[i], host);
	if ((argv = malloc(size)) == NULL)
		return NULL;
	s = (char *)(argv + cmd->argc + 1);
	for (i = 0; i < cmd->argc; i++) {
		argv[i] = s;
		s += expand_word(s, cmd->argv[i], host);
	}
	argv[cmd->argc] = NULL;
	return argv;
}

const char *
machine_name(enum machine_role role)
{
	switch (role) {
	case ROLE_SERVER:
		return "server";
	case ROLE_CLIENT:
		return "client";
	default:
		return "none";
	}
}
