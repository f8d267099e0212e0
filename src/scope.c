/*
 * scope: the tenant of a control connection, from /proc of the caller.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "scope.h"

#define PROC_READ_MAX	65536

/* Read all of a small /proc file (NUL-separated); length or -1. */
static ssize_t
read_proc_file(pid_t pid, const char *name, char *buf, size_t len)
{
	char path[64];
	ssize_t n, got = 0;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, name);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	while ((size_t)got < len - 1 &&
	    (n = read(fd, buf + got, len - 1 - (size_t)got)) > 0)
		got += n;
	close(fd);
	buf[got] = '\0';
	return got;
}

int
scope_sessions_from_cmdline(const char *cmd, size_t len, char *out,
    size_t outlen)
{
	const char *p = cmd, *end = cmd + len;
	size_t n;

	out[0] = '\0';
	while (p < end) {
		n = strnlen(p, (size_t)(end - p));
		if (strcmp(p, "--session") == 0 && p + n + 1 < end) {
			p += n + 1;
			snprintf(out, outlen, "%s", p);
			return 1;
		}
		if (strncmp(p, "--session=", 10) == 0) {
			snprintf(out, outlen, "%s", p + 10);
			return 1;
		}
		p += n + 1;
	}
	return 0;
}

int
scope_source_from_environ(const char *env, size_t len, char *out,
    size_t outlen)
{
	const char *p = env, *end = env + len;
	size_t n;

	out[0] = '\0';
	for (; p < end; p += n + 1) {
		n = strnlen(p, (size_t)(end - p));
		if (strncmp(p, "SSH_CONNECTION=", 15) != 0)
			continue;
		n = strcspn(p + 15, " ");
		if (n == 0 || n >= outlen)
			return 0;
		memcpy(out, p + 15, n);
		out[n] = '\0';
		return 1;
	}
	return 0;
}

/* An address literal into 16 bytes (IPv4 as IPv4-mapped IPv6). */
static int
literal(const char *s, unsigned char a[16])
{
	struct in_addr v4;

	if (inet_pton(AF_INET6, s, a) == 1)
		return 0;
	if (inet_pton(AF_INET, s, &v4) != 1)
		return -1;
	memset(a, 0, 10);
	a[10] = a[11] = 0xff;
	memcpy(a + 12, &v4, 4);
	return 0;
}

/* Resolve NAME to its first address, the same way. */
static int
resolved(const char *name, unsigned char a[16])
{
	struct addrinfo hints, *res;
	char buf[INET6_ADDRSTRLEN];
	int rc;

	if (literal(name, a) == 0)
		return 0;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_flags = AI_NUMERICSERV;
	if (getaddrinfo(name, NULL, &hints, &res) != 0)
		return -1;
	rc = getnameinfo(res->ai_addr, res->ai_addrlen, buf, sizeof(buf),
	    NULL, 0, NI_NUMERICHOST);
	freeaddrinfo(res);
	return rc == 0 ? literal(buf, a) : -1;
}

int
scope_same_host(const char *a, const char *b)
{
	unsigned char x[16], y[16];

	if (strcmp(a, b) == 0)
		return 1;
	return literal(a, x) == 0 && resolved(b, y) == 0 &&
	    memcmp(x, y, 16) == 0;
}

static int
listed(const char *list, const char *session)
{
	size_t n = strlen(session);
	const char *p;

	for (p = list; *p != '\0'; p += strcspn(p, ",") + (p[strcspn(p, ",")]
	    != '\0')) {
		if (strncmp(p, session, n) == 0 && (p[n] == ',' ||
		    p[n] == '\0'))
			return 1;
	}
	return 0;
}

int
scope_allows(const struct config *conf, const struct scope *sc,
    const struct tap_conf *tap)
{
	const char *peer;

	if (sc->all)
		return 1;
	if (sc->sessions[0] != '\0')
		return listed(sc->sessions, tap->session);
	if (sc->source[0] == '\0')
		return 0;
	peer = conf->machine == ROLE_CLIENT ? conf->server : tap->client_ip;
	return scope_same_host(sc->source, peer);
}

int
scope_of(const struct config *conf, pid_t pid, uid_t uid, uid_t peer_uid,
    struct scope *sc, char *err, size_t errlen)
{
	static char buf[PROC_READ_MAX];
	struct stat st;
	char path[64];
	ssize_t n;

	memset(sc, 0, sizeof(*sc));
	if (uid == 0) {
		sc->all = 1;
		snprintf(sc->key, sizeof(sc->key), "root");
		return 0;
	}
	if (uid != peer_uid) {
		snprintf(err, errlen, "uid %u may not use the control socket",
		    (unsigned)uid);
		return -1;
	}
	/* The process must still be the caller's (not a reused pid). */
	snprintf(path, sizeof(path), "/proc/%d", (int)pid);
	if (stat(path, &st) == -1 || st.st_uid != uid) {
		snprintf(err, errlen, "pid %d: cannot be examined", (int)pid);
		return -1;
	}
	if ((n = read_proc_file(pid, "cmdline", buf, sizeof(buf))) > 0 &&
	    scope_sessions_from_cmdline(buf, (size_t)n, sc->sessions,
	    sizeof(sc->sessions))) {
		snprintf(sc->key, sizeof(sc->key), "sessions %s", sc->sessions);
		return 0;
	}
	if ((n = read_proc_file(pid, "environ", buf, sizeof(buf))) > 0 &&
	    scope_source_from_environ(buf, (size_t)n, sc->source,
	    sizeof(sc->source))) {
		snprintf(sc->key, sizeof(sc->key), "from %s", sc->source);
		return 0;
	}
	if (n == -1 && errno == EACCES) {
		snprintf(err, errlen, "pid %d: /proc/%d/environ: %s", (int)pid,
		    (int)pid, strerror(EACCES));
		return -1;
	}
	snprintf(sc->key, sizeof(sc->key), "local %u", (unsigned)uid);
	return 0;			/* no session at all */
}
