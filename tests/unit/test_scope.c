/*
 * Unit tests for src/scope.c: who may touch which session.  The lab test
 * tests/lab/test_trust.sh runs the same rules through real sshd, a real
 * account and the control socket.
 */
#include <stdlib.h>
#include <unistd.h>

#include "scope.h"
#include "unit.h"

static char dir[] = "/tmp/vfx-scope-XXXXXX";
static struct config srv, cli;

static void
load(struct config *c, const char *name, const char *text)
{
	char path[128], err[512];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "w");
	fputs(text, fp);
	fclose(fp);
	if (config_load(path, c, err, sizeof(err)) == -1) {
		fprintf(stderr, "%s\n", err);
		exit(1);
	}
}

static void
test_cmdline_and_environ(void)
{
	static const char cmd[] = "/usr/sbin/vtundfix\0peer\0--session\0a,b";
	static const char cmd2[] = "vtundfix\0peer\0--session=c";
	static const char none[] = "vtundfix\0peer";
	static const char env[] = "HOME=/x\0SSH_CONNECTION=10.0.0.7 5555 "
	    "10.0.0.1 22\0USER=v";
	char out[64];

	CHECK_INT(scope_sessions_from_cmdline(cmd, sizeof(cmd), out,
	    sizeof(out)), 1);
	CHECK_STR(out, "a,b");
	CHECK_INT(scope_sessions_from_cmdline(cmd2, sizeof(cmd2), out,
	    sizeof(out)), 1);
	CHECK_STR(out, "c");
	CHECK_INT(scope_sessions_from_cmdline(none, sizeof(none), out,
	    sizeof(out)), 0);
	CHECK_INT(scope_source_from_environ(env, sizeof(env), out,
	    sizeof(out)), 1);
	CHECK_STR(out, "10.0.0.7");
	CHECK_INT(scope_source_from_environ(none, sizeof(none), out,
	    sizeof(out)), 0);
}

static void
test_allows(void)
{
	struct scope sc;

	memset(&sc, 0, sizeof(sc));
	sc.all = 1;
	CHECK(scope_allows(&srv, &sc, &srv.taps[0]));
	/* --session: exactly the names listed ("sa" is not "sa2"). */
	memset(&sc, 0, sizeof(sc));
	snprintf(sc.sessions, sizeof(sc.sessions), "sa");
	CHECK(scope_allows(&srv, &sc, &srv.taps[0]));
	CHECK(!scope_allows(&srv, &sc, &srv.taps[1]));
	CHECK(!scope_allows(&srv, &sc, &srv.taps[2]));
	snprintf(sc.sessions, sizeof(sc.sessions), "sb,sa2");
	CHECK(!scope_allows(&srv, &sc, &srv.taps[0]));
	CHECK(scope_allows(&srv, &sc, &srv.taps[1]));
	CHECK(scope_allows(&srv, &sc, &srv.taps[2]));
	/* The source address, against the server's client ips. */
	memset(&sc, 0, sizeof(sc));
	snprintf(sc.source, sizeof(sc.source), "10.0.0.7");
	CHECK(scope_allows(&srv, &sc, &srv.taps[0]));
	CHECK(!scope_allows(&srv, &sc, &srv.taps[1]));
	snprintf(sc.source, sizeof(sc.source), "::ffff:10.0.0.8");
	CHECK(!scope_allows(&srv, &sc, &srv.taps[0]));
	CHECK(scope_allows(&srv, &sc, &srv.taps[1]));
	/* On a client, the peer address is SERVER. */
	snprintf(sc.source, sizeof(sc.source), "10.0.0.1");
	CHECK(scope_allows(&cli, &sc, &cli.taps[0]));
	snprintf(sc.source, sizeof(sc.source), "10.0.0.2");
	CHECK(!scope_allows(&cli, &sc, &cli.taps[0]));
	/* Neither: nothing. */
	memset(&sc, 0, sizeof(sc));
	CHECK(!scope_allows(&srv, &sc, &srv.taps[0]));
}

static void
test_scope_of_uids(void)
{
	struct scope sc;
	char err[256];

	CHECK_INT(scope_of(&srv, getpid(), 0, 999, &sc, err, sizeof(err)), 0);
	CHECK_INT(sc.all, 1);
	/* Neither root nor the peer account: refused. */
	CHECK_INT(scope_of(&srv, getpid(), 1234, 999, &sc, err, sizeof(err)),
	    -1);
	CHECK(strstr(err, "uid 1234") != NULL);
	/* The peer account, but the pid is not that account's process. */
	CHECK_INT(scope_of(&srv, getpid(), 999, 999, &sc, err, sizeof(err)),
	    -1);
	CHECK_INT(sc.all, 0);
}

static void
remove_files(void)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/srv.conf", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/cli.conf", dir);
	unlink(path);
	rmdir(dir);
}

int
main(void)
{
	int rc;

	if (mkdtemp(dir) == NULL)
		return 1;
	load(&srv, "srv.conf", "MACHINE server\n"
	    "tap0 sa 10.0.0.7 br0 eth0.763\n"
	    "tap1 sb 10.0.0.8 br1 eth0.764\n"
	    "tap2 sa2 10.0.0.9 br2 eth0.765\n");
	load(&cli, "cli.conf", "MACHINE client\nSERVER 10.0.0.1\n"
	    "tap0 sa 10.0.0.7 br0 eth0.763\n");
	RUN(test_cmdline_and_environ);
	RUN(test_allows);
	RUN(test_scope_of_uids);
	rc = unit_done();
	config_free(&srv);
	config_free(&cli);
	remove_files();
	return rc;
}
