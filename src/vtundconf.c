/*
 * vtundconf: a reader for vtund.conf, just enough for `vtundfix -t`.
 *
 * vtund's grammar is a list of "NAME { statements }" sections; a statement
 * is "KEY VALUE...;" or "KEY { statements };".  We tokenize words, quoted
 * strings, braces and semicolons, and keep only device, persist and multi.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "vtundconf.h"

#define TOKEN_MAX	256

struct lexer {
	FILE		*fp;
	const char	*path;
	int		 line;
	char		 tok[TOKEN_MAX];
	char		*err;
	size_t		 errlen;
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

/* The first character of the next token, or EOF. */
static int
skip_space_and_comments(struct lexer *lx)
{
	int c;

	while ((c = getc(lx->fp)) != EOF) {
		if (c == '#')
			while ((c = getc(lx->fp)) != EOF && c != '\n')
				;
		if (c == '\n')
			lx->line++;
		else if (c != EOF && !isspace(c))
			return c;
	}
	return EOF;
}

/* Next token into lx->tok: 1, 0 at end of file, -1 on error. */
static int
lex_next(struct lexer *lx)
{
	size_t n = 0;
	int c, quoted;

	if ((c = skip_space_and_comments(lx)) == EOF)
		return 0;
	if (c == '{' || c == '}' || c == ';') {
		lx->tok[0] = (char)c;
		lx->tok[1] = '\0';
		return 1;
	}
	quoted = c == '"';
	if (!quoted)
		ungetc(c, lx->fp);
	while ((c = getc(lx->fp)) != EOF) {
		if (c == '\0')
			return lex_fail(lx, "NUL byte in the file");
		if (quoted ? c == '"' : (isspace(c) || strchr("{};#", c))) {
			if (!quoted)
				ungetc(c, lx->fp);
			break;
		}
		if (c == '\n')
			lx->line++;
		if (n + 1 >= sizeof(lx->tok))
			return lex_fail(lx, "word is too long");
		lx->tok[n++] = (char)c;
	}
	if (quoted && c != '"')
		return lex_fail(lx, "unterminated string");
	lx->tok[n] = '\0';
	return 1;
}

/* Skip a nested "{ ... }" block whose '{' was just read. */
static int
skip_block(struct lexer *lx)
{
	int depth = 1, rc;

	while (depth > 0) {
		if ((rc = lex_next(lx)) <= 0)
			return rc == 0 ? lex_fail(lx, "missing '}'") : -1;
		if (strcmp(lx->tok, "{") == 0)
			depth++;
		else if (strcmp(lx->tok, "}") == 0)
			depth--;
	}
	return 0;
}

static void
keep_value(struct vtund_session *s, const char *key, const char *value)
{
	if (strcmp(key, "device") == 0)
		snprintf(s->device, sizeof(s->device), "%s", value);
	else if (strcmp(key, "persist") == 0)
		snprintf(s->persist, sizeof(s->persist), "%s", value);
	else if (strcmp(key, "multi") == 0)
		snprintf(s->multi, sizeof(s->multi), "%s", value);
}

/* Statements up to the section's closing '}'. */
static int
parse_section(struct lexer *lx, struct vtund_session *s)
{
	char key[TOKEN_MAX];
	int rc, nvalues;

	for (;;) {
		if ((rc = lex_next(lx)) <= 0)
			return rc == 0 ? lex_fail(lx, "missing '}'") : -1;
		if (strcmp(lx->tok, "}") == 0)
			return 0;
		if (strcmp(lx->tok, ";") == 0)
			continue;
		snprintf(key, sizeof(key), "%s", lx->tok);
		for (nvalues = 0;; nvalues++) {
			if ((rc = lex_next(lx)) <= 0)
				return rc == 0 ? lex_fail(lx, "missing ';'") :
				    -1;
			if (strcmp(lx->tok, ";") == 0 ||
			    strcmp(lx->tok, "}") == 0)
				break;
			if (strcmp(lx->tok, "{") == 0) {
				if (skip_block(lx) == -1)
					return -1;
				continue;
			}
			if (nvalues == 0)
				keep_value(s, key, lx->tok);
		}
		if (strcmp(lx->tok, "}") == 0)
			return 0;
	}
}

static int
add_session(struct lexer *lx, struct vtundconf *vc,
    const struct vtund_session *s)
{
	struct vtund_session *n;

	n = reallocarray(vc->sessions, vc->nsessions + 1, sizeof(*n));
	if (n == NULL)
		return lex_fail(lx, "out of memory");
	vc->sessions = n;
	vc->sessions[vc->nsessions++] = *s;
	return 0;
}

/* Fill what a session left unset from the default section. */
static void
apply_defaults(struct vtundconf *vc, const struct vtund_session *def)
{
	size_t i;

	for (i = 0; i < vc->nsessions; i++) {
		struct vtund_session *s = &vc->sessions[i];

		if (s->device[0] == '\0')
			strcpy(s->device, def->device);
		if (s->persist[0] == '\0')
			strcpy(s->persist, def->persist);
		if (s->multi[0] == '\0')
			strcpy(s->multi, def->multi);
	}
}

static int
parse_file(struct lexer *lx, struct vtundconf *vc)
{
	struct vtund_session s, def;
	int rc;

	memset(&def, 0, sizeof(def));
	while ((rc = lex_next(lx)) == 1) {
		memset(&s, 0, sizeof(s));
		if (strlen(lx->tok) >= sizeof(s.name))
			return lex_fail(lx, "section name \"%.20s...\" is too "
			    "long", lx->tok);
		strcpy(s.name, lx->tok);
		s.line = lx->line;
		if ((rc = lex_next(lx)) <= 0 || strcmp(lx->tok, "{") != 0)
			return rc == -1 ? -1 : lex_fail(lx, "expected '{' "
			    "after \"%s\"", s.name);
		if (parse_section(lx, &s) == -1)
			return -1;
		if (strcmp(s.name, "default") == 0)
			def = s;
		else if (strcmp(s.name, "options") != 0 &&
		    add_session(lx, vc, &s) == -1)
			return -1;
	}
	if (rc == 0)
		apply_defaults(vc, &def);
	return rc;
}

int
vtundconf_load(const char *path, struct vtundconf *vc, char *err,
    size_t errlen)
{
	struct lexer lx;
	int rc;

	memset(vc, 0, sizeof(*vc));
	memset(&lx, 0, sizeof(lx));
	lx.path = path;
	lx.line = 1;
	lx.err = err;
	lx.errlen = errlen;
	snprintf(vc->path, sizeof(vc->path), "%s", path);
	if ((lx.fp = fopen(path, "re")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	rc = parse_file(&lx, vc);
	fclose(lx.fp);
	if (rc == -1)
		vtundconf_free(vc);
	return rc;
}

void
vtundconf_free(struct vtundconf *vc)
{
	free(vc->sessions);
	vc->sessions = NULL;
	vc->nsessions = 0;
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

int
vtundconf_report(const struct config *conf, const struct vtundconf *vc,
    FILE *out)
{
	const struct vtund_session *s;
	char want[64];
	int problems = 0;
	size_t i;

	fprintf(out, "%s:\n", vc->path);
	for (i = 0; i < conf->ntaps; i++) {
		const struct tap_conf *t = &conf->taps[i];

		if ((s = vtundconf_find(vc, t->session)) == NULL) {
			fprintf(out, "  FAIL %s session %s: not in %s\n",
			    t->tap, t->session, vc->path);
			problems++;
			continue;
		}
		snprintf(want, sizeof(want), "device %s", t->tap);
		problems += require(out, t, strcmp(s->device, t->tap) == 0,
		    want, s->device);
		problems += require(out, t, strcmp(s->persist, "yes") == 0,
		    "persist yes", s->persist);
		problems += require(out, t, strcmp(s->multi, "killold") == 0,
		    "multi killold", s->multi);
	}
	return problems;
}
