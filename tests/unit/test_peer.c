/*
 * Unit tests for src/peer.c: request parsing, reply parsing, and the
 * server itself over a socketpair with a real configuration and data
 * files — well-formed requests, hostile ones, and random bytes.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <stdlib.h>
#include <unistd.h>

#include "config.h"
#include "datafile.h"
#include "peer.h"
#include "unit.h"

static char dir[] = "/tmp/vfx-peer-XXXXXX";
static struct config conf;

static void
test_parse_requests(void)
{
	struct peer_request r;
	char err[128];

	CHECK_INT(peer_parse_request("vtundfix-peer 1", &r, err, sizeof(err)),
	    0);
	CHECK_INT(r.verb, PV_HELLO);
	CHECK_INT(r.version, 1);
	CHECK_INT(peer_parse_request("set lcsr bridge off", &r, err,
	    sizeof(err)), 0);
	CHECK_INT(r.verb, PV_SET);
	CHECK_STR(r.session, "lcsr");
	CHECK_INT(r.sw, SW_BRIDGE);
	CHECK_INT(r.on, 0);
	CHECK_INT(peer_parse_request("set lcsr br on", &r, err, sizeof(err)),
	    0);
	CHECK_INT(r.on, 1);
	CHECK_INT(peer_parse_request("  counters   lcsr2 ", &r, err,
	    sizeof(err)), 0);
	CHECK_STR(r.session, "lcsr2");
	CHECK_INT(peer_parse_request("status", &r, err, sizeof(err)), 0);
	CHECK_INT(r.verb, PV_STATUS);
}

static void
test_parse_errors(void)
{
	static const struct { const char *line, *msg; } cases[] = {
		{ "", "empty request" },
		{ "frobnicate", "unknown request \"frobnicate\"" },
		{ "counters", "counters takes 1 argument" },
		{ "status now", "status takes 0 arguments" },
		{ "set lcsr bridge", "set takes 3 arguments" },
		{ "set lcsr bridge maybe", "expected on or off, not \"maybe\"" },
		{ "set lcsr everything on", "unknown switch \"everything\"" },
		{ "counters ../../etc/passwd", "bad session name "
		    "\"../../etc/passwd\"" },
		{ "counters a;rm", "bad session name \"a;rm\"" },
		{ "vtundfix-peer x", "bad version \"x\"" },
		{ "vtundfix-peer 99999999999999999999", "bad version "
		    "\"99999999999999999999\"" },
		{ "a b c d e f", "too many words" },
	};
	struct peer_request r;
	char err[128];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CHECK_INT(peer_parse_request(cases[i].line, &r, err,
		    sizeof(err)), -1);
		CHECK_STR(err, cases[i].msg);
	}
}

static void
test_parse_replies(void)
{
	struct peer_counters pc;
	struct peer_probe pp;
	int sw[SW_MAX], held, ended;

	CHECK_INT(peer_parse_counters("ok lcsr rx_packets=10 tx_packets=20 "
	    "rx_bytes=1 tx_bytes=2", &pc), 0);
	CHECK_INT(pc.c.rx_packets, 10);
	CHECK_INT(pc.c.tx_packets, 20);
	CHECK_INT(peer_parse_counters("ok lcsr absent", &pc), 0);
	CHECK_INT(pc.absent, 1);
	CHECK_INT(peer_parse_counters("err nope", &pc), -1);
	CHECK_INT(peer_parse_counters("ok lcsr rx_packets=-1 tx_packets=2",
	    &pc), -1);
	CHECK_INT(peer_parse_switches("ok lcsr service=on vlan=off bridge=on "
	    "tap=on listener=off", sw), 0);
	CHECK_INT(sw[SW_VLAN], 0);
	CHECK_INT(sw[SW_SERVICE], 1);
	CHECK_INT(sw[SW_LISTENER], 0);
	CHECK_INT(peer_parse_switches("ok lcsr service=on", sw), -1);
	CHECK_INT(peer_parse_probe("ok lcsr running=1 probing=0", &pp), 0);
	CHECK_INT(pp.running, 1);
	CHECK_INT(pp.probing, 0);
	CHECK_INT(peer_parse_probe("ok lcsr running=2 probing=0", &pp), -1);
	CHECK_INT(peer_parse_lock("ok lcsr held=1", &held), 0);
	CHECK_INT(held, 1);
	CHECK_INT(peer_parse_lock("ok lcsr held=0", &held), 0);
	CHECK_INT(held, 0);
	CHECK_INT(peer_parse_lock("ok lcsr held=2", &held), -1);
	CHECK_INT(peer_parse_lock("ok lcsr held=yes", &held), -1);
	CHECK_INT(peer_parse_lock("err lcsr: no such session", &held), -1);
	CHECK_INT(peer_parse_end("ok lcsr ended=1 held=0", &ended, &held), 0);
	CHECK_INT(ended, 1);
	CHECK_INT(held, 0);
	CHECK_INT(peer_parse_end("ok lcsr ended=0 held=1", &ended, &held), 0);
	CHECK_INT(held, 1);
	CHECK_INT(peer_parse_end("ok lcsr ended=1", &ended, &held), -1);
	CHECK_INT(peer_parse_end("ok lcsr ended=99 held=0", &ended, &held), -1);
	CHECK_INT(peer_parse_end("err lcsr: Operation not permitted", &ended,
	    &held), -1);
}

/* Run the server on a socketpair, feed INPUT, collect everything. */
static int
converse(const char *input, size_t len, char *out, size_t outlen)
{
	int sv[2], status;
	size_t got = 0;
	ssize_t n;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1)
		return -1;
	if ((pid = fork()) == 0) {
		close(sv[0]);
		_exit(peer_serve(&conf, sv[1], dup(sv[1])));
	}
	close(sv[1]);
	if (write(sv[0], input, len) != (ssize_t)len)
		return -1;
	shutdown(sv[0], SHUT_WR);
	while (got + 1 < outlen &&
	    (n = read(sv[0], out + got, outlen - got - 1)) > 0)
		got += (size_t)n;
	out[got] = '\0';
	close(sv[0]);
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void
test_server_conversation(void)
{
	static const char in[] =
	    "counters sess0\n"
	    "vtundfix-peer 2\n"
	    "vtundfix-peer 1\n"
	    "switches sess0\n"
	    "set sess0 bridge off\n"
	    "switches sess0\n"
	    "switches nosuch\n"
	    "probe sess0\n"
	    "lock sess0\n"
	    "lock\n"
	    "end sess0\n"
	    "end sess0 now\n"
	    "counters sess0\n"
	    "reset sess0\n"
	    "quit\n"
	    "switches sess0\n";
	char out[8192];
	struct datafile df;
	char path[300], err[256];

	CHECK_INT(converse(in, sizeof(in) - 1, out, sizeof(out)), 0);
	CHECK_STR(out,
	    "err say \"vtundfix-peer 1\" first\n"
	    "err version 2 not supported (1)\n"
	    "ok vtundfix-peer 1 server\n"
	    "ok sess0 service=on vlan=on bridge=on tap=on listener=on\n"
	    "ok sess0 bridge=off\n"
	    "ok sess0 service=on vlan=on bridge=off tap=on listener=on\n"
	    "err nosuch: no such session\n"
	    "ok sess0 running=0 probing=0\n"
	    "ok sess0 held=0\n"
	    "err lock takes 1 argument\n"
	    "ok sess0 ended=0 held=0\n"
	    "err end takes 1 argument\n"
	    "ok sess0 absent\n"
	    "ok sess0 reset\n"
	    "ok bye\n");
	snprintf(path, sizeof(path), "%s/data_vfxtap0", dir);
	CHECK_INT(datafile_read(path, &df, err, sizeof(err)), 0);
	CHECK_INT(df.sw[SW_BRIDGE], 0);
	CHECK_INT(df.sw[SW_SERVICE], 1);
}

static void
test_server_hostile_input(void)
{
	static const char tail[] = "\nset sess0 \x01\xff service off\n"
	    "vtundfix-peer 1\nset sess0 service off\x00\n";
	char in[2000], out[16384], path[300];
	struct stat st;

	/* An over-long line, then binary garbage, then a NUL. */
	memset(in, 'x', 600);
	memcpy(in + 600, tail, sizeof(tail) - 1);
	CHECK_INT(converse(in, 600 + sizeof(tail) - 1, out, sizeof(out)), 0);
	CHECK(strstr(out, "err line too long (at most 256 bytes)\n") == out);
	CHECK(strstr(out, "err unprintable input\nok vtundfix-peer 1 server\n"
	    "err unprintable input\n") != NULL);
	snprintf(path, sizeof(path), "%s/data_vfxtap0", dir);
	/* Nothing was switched: the file was never even created. */
	CHECK(stat(path, &st) == -1);
}

/*
 * Many more bad lines than PEER_ERRORS_MAX, then a good request: the server
 * answers exactly PEER_ERRORS_MAX errors, says goodbye and hangs up, so the
 * good request after them gets no answer.  Without the hang-up there would
 * be one error per line (GARBAGE_LINES) and an "ok" at the end.
 */
#define GARBAGE_LINES	(PEER_ERRORS_MAX * 8)

static void
test_server_hangs_up_on_garbage(void)
{
	char in[GARBAGE_LINES * 12 + 32], out[16384];
	unsigned seed = 12345;
	size_t n = 0;
	int i, j, errors = 0;
	const char *p;

	for (i = 0; i < GARBAGE_LINES; i++) {
		in[n++] = '\x01';		/* never a valid request */
		for (j = 0; j < 10; j++) {
			seed = seed * 1103515245 + 12345;
			in[n] = (char)(seed >> 16);
			if (in[n] != '\n')
				n++;
		}
		in[n++] = '\n';
	}
	n += (size_t)snprintf(in + n, sizeof(in) - n, "vtundfix-peer 1\n");
	CHECK_INT(converse(in, n, out, sizeof(out)), 0);
	for (p = out; (p = strstr(p, "err ")) != NULL; p++)
		errors++;
	CHECK_INT(errors, PEER_ERRORS_MAX + 1);
	p = strstr(out, "err too many errors, goodbye\n");
	CHECK(p != NULL && p[strlen("err too many errors, goodbye\n")] == '\0');
	CHECK(strstr(out, "ok ") == NULL);
}

static int
remove_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	return remove(path);
}

int
main(void)
{
	char path[300], err[512];
	FILE *fp;

	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(path, sizeof(path), "%s/vtundfix.conf", dir);
	fp = fopen(path, "w");
	fprintf(fp, "MACHINE server\nDATA_DIR %s\nPID_FILE %s/pid\n"
	    "vfxtap0 sess0 10.0.0.2 vfxbr0 vfxnosuchup0\n", dir, dir);
	fclose(fp);
	if (config_load(path, &conf, err, sizeof(err)) == -1) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	RUN(test_parse_requests);
	RUN(test_parse_errors);
	RUN(test_parse_replies);
	RUN(test_server_hostile_input);
	RUN(test_server_conversation);
	RUN(test_server_hangs_up_on_garbage);
	config_free(&conf);
	nftw(dir, remove_one, 8, FTW_DEPTH | FTW_PHYS);
	return unit_done();
}
