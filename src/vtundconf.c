/*
 * vtundconf: a reader for vtund.conf that follows vtund 3.0.4's own
 * lexer and grammar where it matters to us (vtundconf.h says which rules).
 *
 * vtund's grammar is a list of "NAME { statements }" sections; a statement
 * is "KEYWORD VALUE...;" where a value may be a "{ ... }" block.  Like
 * vtund's lexer we have two modes: in a section '#' starts a comment, in a
 * statement's values it is a character of a word.  We keep only device,
 * persist, multi, proto, keepalive, passwd and the options' port.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "vtundconf.h"

#define TOKEN_MAX	256
#define VALUES_MAX	4

/* The keywords of vtund 3.0.4, in its table's order (cfg_kwords.h). */
enum keyword {
	KW_UNKNOWN = -1,
	KW_OPTIONS, KW_DEFAULT, KW_PORT, KW_PERSIST, KW_MULTI, KW_PASSWD,
	KW_PROTO, KW_DEVICE, KW_KEEPALIVE, KW_OTHER,
};

static const struct keyword_def {
	const char	*name;
	enum keyword	 kw;
} keywords[] = {
	{ "options", KW_OPTIONS }, { "default", KW_DEFAULT }, { "up", KW_OTHER },
	{ "down", KW_OTHER }, { "ipv4", KW_OTHER }, { "ipv6", KW_OTHER },
	{ "port", KW_PORT }, { "srcaddr", KW_OTHER }, { "addr", KW_OTHER },
	{ "iface", KW_OTHER }, { "bindaddr", KW_OTHER }, { "sslauth", KW_OTHER },
	{ "persist", KW_PERSIST }, { "multi", KW_MULTI },
	{ "timeout", KW_OTHER }, { "passwd", KW_PASSWD },
	{ "password", KW_PASSWD }, { "program", KW_OTHER },
	{ "speed", KW_OTHER }, { "compress", KW_OTHER },
	{ "encrypt", KW_OTHER }, { "type", KW_OTHER }, { "proto", KW_PROTO },
	{ "nat_hack", KW_OTHER }, { "delay_udp", KW_OTHER },
	{ "device", KW_DEVICE }, { "ppp", KW_OTHER }, { "ifconfig", KW_OTHER },
	{ "ifcfg", KW_OTHER }, { "firewall", KW_OTHER }, { "route", KW_OTHER },
	{ "ip", KW_OTHER }, { "keepalive", KW_KEEPALIVE }, { "stat", KW_OTHER },
	{ "syslog", KW_OTHER },
};

/* The parameter words that are numbers to vtund (cfg_param). */
static const struct param_def {
	const char	*name;
	int		 value;
} params[] = {
	{ "yes", 1 }, { "no", 0 }, { "allow", 1 }, { "deny", 0 },
	{ "enable", 1 }, { "disable", 0 }, { "tty", -1 }, { "pipe", -1 },
	{ "ether", -1 }, { "tun", -1 }, { "tcp", VTUND_PROTO_TCP },
	{ "udp", VTUND_PROTO_UDP }, { "server", -1 }, { "client", -1 },
	{ "lzo", -1 }, { "zlib", -1 }, { "wait", 1 },
	{ "killold", VTUND_MULTI_KILLOLD }, { "inetd", -1 }, { "stand", -1 },
	{ "keep", VTUND_PERSIST_KEEP },
};

/* vtund's word characters ({word} in cfg_file.l). */
static const char word_chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    "0123456789-_+=!$#%&*^@\\~.";

struct lexer {
	FILE		*fp;
	const char	*path;
	int		 line;
	char		 tok[TOKEN_MAX];
	int		 quoted;	/* the token was a "string" */
	int		 in_values;	/* '#' is a word character */
	char		*err;
	size_t		 errlen;
	struct vtundconf *vc;
	const char	*only;		/* keep only this session, or NULL */
};

/* A statement: its keyword and the values before its ';'. */
struct statement {
	char		 word[TOKEN_MAX];
	enum keyword	 kw;
	int		 abbreviated;	/* vtund 2.x only */
	int		 line;
	char		 values[VALUES_MAX][TOKEN_MAX];
	int		 quoted[VALUES_MAX];
	int		 nvalues;
	int		 blocks;	/* "{ ... }" values */
};

static int
lex_fail(struct lexer *lx, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(lx->err, lx->errlen, "%s:%d: %s", lx->path, lx->line, msg);
	return -1;
}

/*
 * Record something vtund 3.0.4 refuses at LINE.  STOPS: vtund stops
 * reading the file there (a syntax error), so no later session exists.
 */
static int
problem(struct lexer *lx, int line, int stops, const char *fmt, ...)
{
	struct vtundconf *vc = lx->vc;
	struct vtund_problem *n;
	va_list ap;

	if (stops && vc->stop_line == 0)
		vc->stop_line = line;
	if (lx->only != NULL)
		return 0;		/* a worker's load: not reported */
	n = reallocarray(vc->problems, vc->nproblems + 1, sizeof(*n));
	if (n == NULL)
		return lex_fail(lx, "out of memory");
	vc->problems = n;
	n = &vc->problems[vc->nproblems++];
	n->line = line;
	va_start(ap, fmt);
	vsnprintf(n->msg, sizeof(n->msg), fmt, ap);
	va_end(ap);
	return 0;
}

/* How vtund takes a syntax error here: the first one ends its reading. */
static const char *
stops(const struct lexer *lx)
{
	return lx->vc->stop_line == 0 ? "stops reading here" :
	    "would refuse this too";
}

/* The first character of the next token, or EOF. */
static int
skip_space_and_comments(struct lexer *lx)
{
	int c;

	while ((c = getc(lx->fp)) != EOF) {
		if (c == '#' && !lx->in_values)
			while ((c = getc(lx->fp)) != EOF && c != '\n')
				;
		if (c == '\n')
			lx->line++;
		else if (c != EOF && !isspace(c))
			return c;
	}
	return EOF;
}

static int
ends_word(const struct lexer *lx, int c)
{
	return isspace(c) || c == '{' || c == '}' || c == ';' || c == '"' ||
	    c == '\0' || (c == '#' && !lx->in_values);
}

/* Next token into lx->tok: 1, 0 at end of file, -1 on error. */
static int
lex_next(struct lexer *lx)
{
	size_t n = 0;
	int c;

	if ((c = skip_space_and_comments(lx)) == EOF)
		return 0;
	if (c == '\0')
		return lex_fail(lx, "NUL byte in the file");
	lx->quoted = c == '"';
	if (c == '{' || c == '}' || c == ';') {
		lx->tok[0] = (char)c;
		lx->tok[1] = '\0';
		return 1;
	}
	if (!lx->quoted)
		ungetc(c, lx->fp);
	while ((c = getc(lx->fp)) != EOF) {
		if (c == '\0' && lx->quoted)
			return lex_fail(lx, "NUL byte in the file");
		if (lx->quoted ? c == '"' : ends_word(lx, c)) {
			if (!lx->quoted)
				ungetc(c, lx->fp);
			break;
		}
		if (c == '\n')
			lx->line++;
		if (n + 1 >= sizeof(lx->tok))
			return lex_fail(lx, "word is too long");
		lx->tok[n++] = (char)c;
	}
	if (lx->quoted && c != '"')
		return lex_fail(lx, "unterminated string");
	lx->tok[n] = '\0';
	return 1;
}

static int
is_punct(const struct lexer *lx, const char *p)
{
	return !lx->quoted && strcmp(lx->tok, p) == 0;
}

/* Skip a nested "{ ... }" block whose '{' was just read. */
static int
skip_block(struct lexer *lx)
{
	int depth = 1, rc;

	while (depth > 0) {
		if ((rc = lex_next(lx)) <= 0)
			return rc == 0 ? lex_fail(lx, "missing '}'") : -1;
		if (is_punct(lx, "{"))
			depth++;
		else if (is_punct(lx, "}"))
			depth--;
	}
	return 0;
}

/*
 * Look WORD up in a table of N entries of SIZE bytes, each starting with
 * its name: exactly, as vtund 3.0.4 does, else by vtund 2.x's rule (the
 * first 4 characters decide; *ABBREVIATED is set).  The entry, or NULL.
 */
static const void *
lookup(const char *word, const void *table, size_t n, size_t size,
    int *abbreviated)
{
	const char *entry;
	size_t i;

	*abbreviated = 0;
	for (i = 0; i < n; i++) {
		entry = (const char *)table + i * size;
		if (strcmp(word, *(const char *const *)entry) == 0)
			return entry;
	}
	for (i = 0; i < n; i++) {
		entry = (const char *)table + i * size;
		if (strncmp(word, *(const char *const *)entry, 4) == 0) {
			*abbreviated = 1;
			return entry;
		}
	}
	return NULL;
}

#define LOOKUP(word, table, abbreviated) lookup((word), (table),	\
	sizeof(table) / sizeof((table)[0]), sizeof((table)[0]), (abbreviated))

/* A keyword of vtund's, and its full name in *FULL. */
static enum keyword
find_keyword(const char *word, int *abbreviated, const char **full)
{
	const struct keyword_def *k = LOOKUP(word, keywords, abbreviated);

	if (k == NULL)
		return KW_UNKNOWN;
	*full = k->name;
	return k->kw;
}

/* A parameter word's number, and its full name in *FULL; -2 if none. */
static int
find_param(const char *word, int *abbreviated, const char **full)
{
	const struct param_def *p = LOOKUP(word, params, abbreviated);

	if (p == NULL)
		return -2;
	*full = p->name;
	return p->value;
}

static int
all_digits(const char *s)
{
	return *s != '\0' && strspn(s, "0123456789") == strlen(s);
}

/* What vtund's grammar calls a WORD (device names, passwords). */
static int
is_vtund_word(const struct statement *st, int i)
{
	const char *v = st->values[i];
	int abbreviated;
	const char *full;

	return !st->quoted[i] && *v != '\0' &&
	    strspn(v, word_chars) == strlen(v) && !all_digits(v) &&
	    (find_param(v, &abbreviated, &full) == -2 || abbreviated);
}

/*
 * The values of the statement whose keyword was just read, up to its ';'
 * (or the section's '}', which is then pushed back as *CLOSED).
 */
static int
read_values(struct lexer *lx, struct statement *st, int *closed)
{
	int rc;

	lx->in_values = 1;
	for (;;) {
		if ((rc = lex_next(lx)) <= 0) {
			lx->in_values = 0;
			return rc == 0 ? lex_fail(lx, "missing ';'") : -1;
		}
		if (is_punct(lx, ";") || is_punct(lx, "}"))
			break;
		if (is_punct(lx, "{")) {
			if (skip_block(lx) == -1)
				return -1;
			st->blocks++;
		} else if (st->nvalues < VALUES_MAX) {
			st->quoted[st->nvalues] = lx->quoted;
			memcpy(st->values[st->nvalues++], lx->tok, sizeof(lx->tok));
		} else
			st->nvalues++;
	}
	lx->in_values = 0;
	*closed = is_punct(lx, "}");
	return 0;
}

/* A number word (yes, no, keep, killold ..., or digits) into *OUT. */
static int
number_value(struct lexer *lx, const struct statement *st, int *out)
{
	const char *v = st->values[0], *full;
	int abbreviated, n;

	if (st->nvalues != 1 || st->quoted[0])
		return problem(lx, st->line, 1, "%s: expected one value "
		    "(syntax error)", st->word) == -1 ? -1 : 1;
	if (all_digits(v) && strlen(v) < 6) {
		*out = atoi(v);
		return 0;
	}
	if ((n = find_param(v, &abbreviated, &full)) == -2)
		return problem(lx, st->line, 1, "%s: \"%s\" is not a value "
		    "vtund knows (syntax error)", st->word, v) == -1 ? -1 : 1;
	*out = n;
	if (abbreviated && problem(lx, st->line, 1, "\"%s\" is short for "
	    "\"%s\": vtund 3.0.4 accepts only the full word (syntax error)",
	    v, full) == -1)
		return -1;
	return 0;
}

/* keepalive yes|no|INTERVAL:COUNT */
static int
keepalive_value(struct lexer *lx, const struct statement *st,
    struct vtund_session *s)
{
	unsigned a, b;
	int n, rc;
	char end;

	if (st->nvalues == 1 && !st->quoted[0] &&
	    sscanf(st->values[0], "%5u:%5u%c", &a, &b, &end) == 2) {
		s->keepalive = a != 0;
		if (a != 0) {
			s->ka_interval = a;
			s->ka_count = b;
		}
		s->set |= VS_KEEPALIVE;
		return 0;
	}
	if ((rc = number_value(lx, st, &n)) != 0)
		return rc == 1 ? 0 : -1;
	s->keepalive = n > 0;
	s->set |= VS_KEEPALIVE;
	return 0;
}

/* A WORD value (device, passwd) into DST; SECRET: never echoed. */
static int
word_value(struct lexer *lx, const struct statement *st, char *dst,
    size_t len, int secret)
{
	if (st->nvalues == 1 && is_vtund_word(st, 0) &&
	    strlen(st->values[0]) < len) {
		memcpy(dst, st->values[0], strlen(st->values[0]) + 1);
		return 1;
	}
	if (secret)
		return problem(lx, st->line, 1, "%s: the value is not one "
		    "word of letters, digits and -_+=!$#%%&*^@\\~. (not only "
		    "digits, not yes/no/keep...): vtund 3.0.4 %s (syntax "
		    "error)", st->word, stops(lx));
	return problem(lx, st->line, 1, "%s: \"%s\" is not a word vtund "
	    "3.0.4 accepts here (syntax error)", st->word,
	    st->nvalues ? st->values[0] : "");
}

static int
set_word(struct lexer *lx, const struct statement *st, char *dst, size_t len,
    struct vtund_session *s, unsigned flag)
{
	int rc = word_value(lx, st, dst, len, flag == VS_PASSWD);

	if (rc == 1)
		s->set |= flag;
	return rc < 0 ? -1 : 0;
}

/* One statement of a session or of the default section. */
static int
apply_session(struct lexer *lx, const struct statement *st,
    struct vtund_session *s)
{
	int n, rc;

	switch (st->kw) {
	case KW_DEVICE:
		return set_word(lx, st, s->device, sizeof(s->device), s,
		    VS_DEVICE);
	case KW_PASSWD:
		return set_word(lx, st, s->passwd, sizeof(s->passwd), s,
		    VS_PASSWD);
	case KW_KEEPALIVE:
		return keepalive_value(lx, st, s);
	case KW_PERSIST:
	case KW_MULTI:
	case KW_PROTO:
		break;
	default:
		return 0;
	}
	if ((rc = number_value(lx, st, &n)) != 0)
		return rc == 1 ? 0 : -1;
	if (st->kw == KW_PERSIST) {
		s->persist = n == 2 ? VTUND_PERSIST_KEEP : n > 0 ?
		    VTUND_PERSIST_YES : VTUND_PERSIST_NO;
		s->set |= VS_PERSIST;
	} else if (st->kw == KW_MULTI) {
		s->multi = n == 2 ? VTUND_MULTI_KILLOLD : n > 0 ?
		    VTUND_MULTI_ALLOW : VTUND_MULTI_DENY;
		s->set |= VS_MULTI;
	} else if (strcmp(st->values[0], "tcp") == 0 ||
	    strcmp(st->values[0], "udp") == 0) {
		s->proto = n;
		s->set |= VS_PROTO;
	} else
		return problem(lx, st->line, 0, "proto: \"%s\" is neither "
		    "tcp nor udp", st->values[0]);
	return 0;
}

/* options { port N; }: the first port wins, as in vtund. */
static int
apply_options(struct lexer *lx, const struct statement *st, int *port_set)
{
	int n, rc;

	if (st->kw != KW_PORT)
		return 0;
	if ((rc = number_value(lx, st, &n)) != 0)
		return rc == 1 ? 0 : -1;
	if (!all_digits(st->values[0]) || n < 1 || n > 65535)
		return problem(lx, st->line, 0, "port: \"%s\" is not a port "
		    "number", st->values[0]);
	if (!*port_set)
		lx->vc->port = n;
	*port_set = 1;
	return 0;
}

/* The keyword just read starts a statement: check it like vtund. */
static int
start_statement(struct lexer *lx, struct statement *st)
{
	const char *full = "";

	memset(st, 0, sizeof(*st));
	memcpy(st->word, lx->tok, sizeof(lx->tok));
	st->line = lx->line;
	st->kw = lx->quoted ? KW_UNKNOWN :
	    find_keyword(st->word, &st->abbreviated, &full);
	if (st->kw == KW_UNKNOWN)
		return problem(lx, st->line, 1, "unknown keyword \"%s\": "
		    "vtund 3.0.4 %s (\"Unknown option\")", st->word,
		    stops(lx));
	if (st->abbreviated)
		return problem(lx, st->line, 1, "\"%s\" is short for \"%s\": "
		    "vtund.conf(5) allows 4 characters, but that was vtund "
		    "2.x; vtund 3.0.4 %s (\"Unknown option '%s'\"): write "
		    "\"%s\"", st->word, full, stops(lx), st->word, full);
	return 0;
}

/*
 * Statements up to the section's closing '}'.  S is the session (or the
 * default) being read; NULL for the options section (PORT_SET).
 */
static int
parse_section(struct lexer *lx, struct vtund_session *s, int *port_set)
{
	struct statement st;
	int rc, closed = 0;

	for (;;) {
		if ((rc = lex_next(lx)) <= 0)
			return rc == 0 ? lex_fail(lx, "missing '}'") : -1;
		if (is_punct(lx, "}"))
			return 0;
		if (is_punct(lx, ";"))
			continue;
		if (is_punct(lx, "{"))
			return lex_fail(lx, "'{' without a keyword");
		if (start_statement(lx, &st) == -1 ||
		    read_values(lx, &st, &closed) == -1)
			return -1;
		rc = s != NULL ? apply_session(lx, &st, s) :
		    apply_options(lx, &st, port_set);
		explicit_bzero(&st, sizeof(st));	/* a passwd, maybe */
		if (rc == -1)
			return -1;
		if (closed)
			return 0;
	}
}

static int
add_session(struct lexer *lx, const struct vtund_session *s)
{
	struct vtundconf *vc = lx->vc;
	struct vtund_session *n;

	if (lx->only != NULL && strcmp(s->name, lx->only) != 0)
		return 0;
	n = reallocarray(vc->sessions, vc->nsessions + 1, sizeof(*n));
	if (n == NULL)
		return lex_fail(lx, "out of memory");
	vc->sessions = n;
	vc->sessions[vc->nsessions++] = *s;
	return 0;
}

/* vtund's section names ({kword}): letters, digits, '_' and '-'. */
static int
check_section_name(struct lexer *lx, const char *name, enum keyword *kw)
{
	int abbreviated;
	const char *full;

	*kw = KW_UNKNOWN;
	if (lx->quoted || strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789_-") != strlen(name))
		return problem(lx, lx->line, 1, "section name \"%s\": vtund "
		    "3.0.4 allows only letters, digits, '_' and '-', and %s "
		    "(\"Invalid clause\")", name, stops(lx));
	if ((*kw = find_keyword(name, &abbreviated, &full)) != KW_UNKNOWN &&
	    abbreviated)
		*kw = KW_UNKNOWN;
	if (*kw != KW_UNKNOWN && *kw != KW_OPTIONS && *kw != KW_DEFAULT)
		return problem(lx, lx->line, 1, "section name \"%s\" is a "
		    "vtund keyword: vtund 3.0.4 %s (syntax error)", name,
		    stops(lx));
	return 0;
}

/* A session starts from the default as it is now, without its passwd. */
static void
start_session(struct vtund_session *s, const struct vtund_session *def,
    const char *name, int line)
{
	*s = *def;
	explicit_bzero(s->passwd, sizeof(s->passwd));
	s->set &= ~(unsigned)VS_PASSWD;
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->line = line;
}

/* vtund 3.0.4 frees the default's passwd twice: it aborts. */
static int
parse_default(struct lexer *lx, struct vtund_session *def, int line)
{
	int had = def->set & VS_PASSWD;

	if (parse_section(lx, def, NULL) == -1)
		return -1;
	if (had || !(def->set & VS_PASSWD))
		return 0;
	lx->vc->aborts = 1;
	return problem(lx, line, 0, "passwd in the default section: vtund "
	    "3.0.4 aborts once it has read the file (\"free(): invalid "
	    "pointer\"), so no session runs; give each session its own");
}

/* Nothing vtund would run counts as defined. */
static void
finish_file(struct vtundconf *vc)
{
	size_t i;

	if (vc->aborts)
		for (i = 0; i < vc->nsessions; i++)
			vc->sessions[i].defined = 0;
}

static int
parse_file(struct lexer *lx, struct vtund_session *def)
{
	struct vtund_session s;
	char name[TOKEN_MAX];
	enum keyword kw;
	int rc, line, port_set = 0;

	while ((rc = lex_next(lx)) == 1) {
		memcpy(name, lx->tok, sizeof(name));
		line = lx->line;
		if (strlen(name) >= SESSION_MAX)
			return lex_fail(lx, "section name \"%.20s...\" is too "
			    "long", name);
		if (check_section_name(lx, name, &kw) == -1)
			return -1;
		if ((rc = lex_next(lx)) <= 0 || !is_punct(lx, "{"))
			return rc == -1 ? -1 : lex_fail(lx, "expected '{' "
			    "after \"%s\"", name);
		if (kw == KW_OPTIONS)
			rc = parse_section(lx, NULL, &port_set);
		else if (kw == KW_DEFAULT)
			rc = parse_default(lx, def, line);
		else {
			start_session(&s, def, name, line);
			rc = parse_section(lx, &s, NULL);
			s.defined = (s.set & VS_PASSWD) &&
			    lx->vc->stop_line == 0;
			if (rc == 0)
				rc = add_session(lx, &s);
			explicit_bzero(&s, sizeof(s));
		}
		if (rc == -1)
			return -1;
	}
	if (rc == 0)
		finish_file(lx->vc);
	return rc;
}

static void
init_default(struct vtund_session *def)
{
	memset(def, 0, sizeof(*def));
	def->persist = VTUND_PERSIST_NO;
	def->multi = VTUND_MULTI_ALLOW;
	def->proto = VTUND_PROTO_TCP;
	def->ka_interval = 30;
	def->ka_count = 4;
}

static int
read_file(FILE *fp, const char *name, const char *only, struct vtundconf *vc,
    char *err, size_t errlen)
{
	struct vtund_session def;
	struct lexer lx;
	int rc;

	memset(vc, 0, sizeof(*vc));
	memset(&lx, 0, sizeof(lx));
	snprintf(vc->path, sizeof(vc->path), "%s", name);
	vc->port = VTUND_PORT_DEFAULT;
	lx.fp = fp;
	lx.path = name;
	lx.line = 1;
	lx.err = err;
	lx.errlen = errlen;
	lx.vc = vc;
	lx.only = only;
	init_default(&def);
	rc = parse_file(&lx, &def);
	explicit_bzero(&def, sizeof(def));
	explicit_bzero(&lx, sizeof(lx));
	if (rc == -1)
		vtundconf_free(vc);
	return rc;
}

static int
load_file(const char *path, const char *only, struct vtundconf *vc,
    char *err, size_t errlen)
{
	FILE *fp;
	int rc;

	memset(vc, 0, sizeof(*vc));
	if ((fp = fopen(path, "re")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	rc = read_file(fp, path, only, vc, err, errlen);
	fclose(fp);
	return rc;
}

int
vtundconf_read(FILE *fp, const char *name, struct vtundconf *vc, char *err,
    size_t errlen)
{
	return read_file(fp, name, NULL, vc, err, errlen);
}

int
vtundconf_load(const char *path, struct vtundconf *vc, char *err,
    size_t errlen)
{
	return load_file(path, NULL, vc, err, errlen);
}

int
vtundconf_load_session(const char *path, const char *session,
    struct vtundconf *vc, char *err, size_t errlen)
{
	return load_file(path, session, vc, err, errlen);
}

void
vtundconf_free(struct vtundconf *vc)
{
	if (vc->sessions != NULL)
		explicit_bzero(vc->sessions,
		    vc->nsessions * sizeof(*vc->sessions));
	free(vc->sessions);
	free(vc->problems);
	vc->sessions = NULL;
	vc->problems = NULL;
	vc->nsessions = vc->nproblems = 0;
}

const struct vtund_session *
vtundconf_find(const struct vtundconf *vc, const char *name)
{
	size_t i;

	for (i = 0; i < vc->nsessions; i++)
		if (strcmp(vc->sessions[i].name, name) == 0)
			return &vc->sessions[i];
	return NULL;
}

const char *
vtund_persist_name(enum vtund_persist p)
{
	return p == VTUND_PERSIST_KEEP ? "keep" : p == VTUND_PERSIST_YES ?
	    "yes" : "no";
}

const char *
vtund_multi_name(enum vtund_multi m)
{
	return m == VTUND_MULTI_KILLOLD ? "killold" : m == VTUND_MULTI_ALLOW ?
	    "yes" : "no";
}

const char *
vtund_proto_name(enum vtund_proto p)
{
	return p == VTUND_PROTO_UDP ? "udp" : "tcp";
}

/* One requirement: print it and count it when it is not met. */
static int
require(FILE *out, const struct tap_conf *t, int met, const char *what,
    const char *got)
{
	fprintf(out, "  %-4s %s session %s: %s", met ? "ok" : "FAIL", t->tap,
	    t->session, what);
	if (!met)
		fprintf(out, " (found %s)", got[0] ? got : "nothing");
	fputc('\n', out);
	return !met;
}

/* Is the session there for vtund at all?  Else say why not. */
static int
report_defined(const struct vtundconf *vc, const struct tap_conf *t,
    const struct vtund_session *s, FILE *out)
{
	if (s == NULL) {
		fprintf(out, "  FAIL %s session %s: not in %s\n", t->tap,
		    t->session, vc->path);
		return 1;
	}
	if (!(s->set & VS_PASSWD)) {
		fprintf(out, "  FAIL %s session %s: no passwd: vtund ignores "
		    "the session (\"Ignored incomplete session definition\")\n",
		    t->tap, t->session);
		return 1;
	}
	if (vc->aborts) {
		fprintf(out, "  FAIL %s session %s: vtund aborts on %s (see "
		    "above)\n", t->tap, t->session, vc->path);
		return 1;
	}
	if (!s->defined) {
		fprintf(out, "  FAIL %s session %s: vtund stops reading %s at "
		    "line %d, before this session is complete\n", t->tap,
		    t->session, vc->path, vc->stop_line);
		return 1;
	}
	return 0;
}

/* The seed's requirements of one session. */
static int
report_session(const struct vtundconf *vc, const struct tap_conf *t,
    const struct vtund_session *s, FILE *out)
{
	char want[64];
	int problems;

	problems = report_defined(vc, t, s, out);
	if (s == NULL)
		return problems;
	snprintf(want, sizeof(want), "device %s", t->tap);
	problems += require(out, t, strcmp(s->device, t->tap) == 0, want,
	    s->device);
	problems += require(out, t, s->persist != VTUND_PERSIST_NO,
	    s->persist == VTUND_PERSIST_KEEP ? "persist keep (the tap "
	    "survives reconnects)" : "persist yes",
	    s->set & VS_PERSIST ? vtund_persist_name(s->persist) : "");
	problems += require(out, t, s->multi == VTUND_MULTI_KILLOLD,
	    "multi killold", s->set & VS_MULTI ? vtund_multi_name(s->multi) :
	    "");
	fprintf(out, "  info %s session %s: proto %s, port %d, keepalive ",
	    t->tap, t->session, vtund_proto_name(s->proto), vc->port);
	if (s->keepalive)
		fprintf(out, "%u:%u\n", s->ka_interval, s->ka_count);
	else
		fprintf(out, "no\n");
	return problems;
}

int
vtundconf_report(const struct config *conf, const struct vtundconf *vc,
    FILE *out)
{
	int problems = 0;
	size_t i;

	fprintf(out, "%s:\n", vc->path);
	for (i = 0; i < vc->nproblems; i++)
		fprintf(out, "  FAIL %s:%d: %s\n", vc->path,
		    vc->problems[i].line, vc->problems[i].msg);
	problems += (int)vc->nproblems;
	for (i = 0; i < conf->ntaps; i++)
		problems += report_session(vc, &conf->taps[i],
		    vtundconf_find(vc, conf->taps[i].session), out);
	return problems;
}
