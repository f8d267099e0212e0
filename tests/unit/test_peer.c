/*
 * Unit tests for src/peer.c: request parsing, reply parsing, and the
 * server itself over a socketpair with a real configuration and data
 * files — well-formed requests, hostile ones, and random bytes.
 */
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "clock.h"
#include "config.h"
#include "datafile.h"
#include "peer.h"
#include "peer_client.h"
#include "event.h"
#include "relay.h"
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
	CHECK_INT(peer_parse_request("watch", &r, err, sizeof(err)), 0);
	CHECK_INT(r.verb, PV_WATCH);
	CHECK_INT(peer_parse_request("watch lcsr", &r, err, sizeof(err)), -1);
	CHECK_INT(peer_parse_request("end lcsr", &r, err, sizeof(err)), 0);
	CHECK_INT(r.verb, PV_END);
	CHECK_INT(r.port, 0);
	CHECK_INT(peer_parse_request("end lcsr 40123", &r, err, sizeof(err)),
	    0);
	CHECK_INT(r.port, 40123);
}

static void
test_parse_errors(void)
{
	static const struct { const char *line, *msg; } cases[] = {
		{ "", "empty request" },
		{ "frobnicate", "unknown request \"frobnicate\"" },
		{ "counters", "counters takes 1 argument" },
		{ "status now", "status takes [json|text] [peers], not \"now\"" },
		{ "status peers json", "status takes [json|text] [peers], not \"json\"" },
		{ "status json peers x", "status takes 0 to 2 arguments" },
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
		{ "end lcsr 0", "bad port \"0\"" },
		{ "end lcsr 65536", "bad port \"65536\"" },
		{ "end lcsr -1", "bad port \"-1\"" },
		{ "end lcsr 80x", "bad port \"80x\"" },
		{ "end lcsr 1 2", "end takes 1 to 2 arguments" },
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

/*
 * A stand-in for the daemon's control socket: answers every line with
 * "ok got LINE" (and "ok bye" to quit), one connection, then exits.  What
 * it hides: the daemon's own answers and scope checks, which the lab tests
 * run for real (tests/lab/test_peer.sh, test_trust.sh).
 */
static char ctl_path[100];

static pid_t fake_daemon_strict(const char *reply_prefix, int strict);

static pid_t
fake_daemon(const char *reply_prefix)
{
	return fake_daemon_strict(reply_prefix, 0);
}

/*
 * Listen on ctl_path and fork: the parent gets the child's pid (or -1),
 * the child 0 and the accepted connection as IN and OUT.
 */
static pid_t
fake_listen(FILE **in, FILE **out)
{
	struct sockaddr_un sun;
	int lfd, fd;
	pid_t pid;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", ctl_path);
	unlink(ctl_path);
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (lfd == -1 || bind(lfd, (void *)&sun, sizeof(sun)) == -1 ||
	    listen(lfd, 1) == -1)
		return -1;
	if ((pid = fork()) != 0) {
		close(lfd);
		return pid;
	}
	fd = accept(lfd, NULL, NULL);
	*in = fdopen(fd, "r");
	*out = fdopen(dup(fd), "w");
	return 0;
}

/* STRICT: as the daemon, nothing but the handshake before the handshake. */
static pid_t
fake_daemon_strict(const char *reply_prefix, int strict)
{
	FILE *in, *out;
	char line[512];
	pid_t pid;

	if ((pid = fake_listen(&in, &out)) != 0)
		return pid;
	while (fgets(line, sizeof(line), in) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (strcmp(line, "quit") == 0) {
			fprintf(out, "ok bye\n");
			break;
		}
		if (strict && strcmp(line, "vtundfix-peer 1") == 0)
			strict = 0;
		else if (strict) {
			fprintf(out, "err say \"vtundfix-peer 1\" first\n");
			fflush(out);
			continue;
		}
		fprintf(out, "%s%s\n", reply_prefix, line);
		fflush(out);
	}
	fclose(out);
	_exit(0);
}

/* Run the relay on a socketpair, feed INPUT, collect everything. */
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
		_exit(relay_serve(ctl_path, sv[1], dup(sv[1])));
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

/* Well-formed lines go to the daemon verbatim, one reply each. */
static void
test_relay_forwards(void)
{
	static const char in[] =
	    "vtundfix-peer 1\n"
	    "switches sess0\n"
	    "set sess0 bridge off\n"
	    "status\n"
	    "quit\n"
	    "switches sess0\n";
	char out[8192];
	pid_t d = fake_daemon("ok got ");

	CHECK(d > 0);
	CHECK_INT(converse(in, sizeof(in) - 1, out, sizeof(out)), 0);
	CHECK_STR(out,
	    "ok got vtundfix-peer 1\n"
	    "ok got switches sess0\n"
	    "ok got set sess0 bridge off\n"
	    "ok got status\n"
	    "ok bye\n");
	waitpid(d, NULL, 0);
}

/* Bad input never reaches the daemon; what the daemon says is cleaned. */
static void
test_relay_hostile_input(void)
{
	static const char tail[] = "\nset sess0 \x01\xff service off\n"
	    "status text\nlock\nswitches sess0\nset sess0 service off\x00\n";
	char in[2000], out[16384];
	pid_t d = fake_daemon("ok \x1b[2Jgot ");

	CHECK(d > 0);
	/* An over-long line, then binary garbage, then a NUL. */
	memset(in, 'x', 600);
	memcpy(in + 600, tail, sizeof(tail) - 1);
	CHECK_INT(converse(in, 600 + sizeof(tail) - 1, out, sizeof(out)), 0);
	CHECK_STR(out,
	    "err line too long (at most 256 bytes)\n"
	    "err unprintable input\n"
	    "err status text is not for the peer\n"
	    "err lock takes 1 argument\n"
	    "ok ?[2Jgot switches sess0\n"
	    "err unprintable input\n");
	waitpid(d, NULL, 0);
}

/* No daemon: "probe" says so (no evidence here), the rest is refused. */
static void
test_relay_without_daemon(void)
{
	static const char in[] =
	    "vtundfix-peer 1\n"
	    "probe sess0\n"
	    "set sess0 service off\n"
	    "quit\n";
	char out[4096];

	unlink(ctl_path);
	CHECK_INT(converse(in, sizeof(in) - 1, out, sizeof(out)), 0);
	CHECK_STR(out,
	    "ok vtundfix-peer 1 unknown\n"
	    "ok sess0 running=0 probing=0\n"
	    "err vtundfix does not run here\n"
	    "ok bye\n");
}

/*
 * PEER_ERRORS_MAX bad lines in a row end the conversation: the good lines
 * after them get no answer at all.
 */
static void
test_relay_hangs_up_on_garbage(void)
{
	char in[4096], out[16384];
	size_t len = 0;
	int i, errors = 0;
	const char *p;

	unlink(ctl_path);
	for (i = 0; i < PEER_ERRORS_MAX + 10; i++)
		len += (size_t)snprintf(in + len, sizeof(in) - len,
		    "nonsense %d\n", i);
	len += (size_t)snprintf(in + len, sizeof(in) - len,
	    "vtundfix-peer 1\nprobe sess0\n");
	CHECK_INT(converse(in, len, out, sizeof(out)), 0);
	for (p = out; (p = strstr(p, "err unknown request")) != NULL; p++)
		errors++;
	CHECK_INT(errors, PEER_ERRORS_MAX);
	CHECK(strstr(out, "err too many errors, goodbye\n") != NULL);
	CHECK(strstr(out, "ok ") == NULL);
}

/* One relay on a socketpair, talked to a line at a time. */
struct talk {
	int	 fd;
	pid_t	 pid;
};

static int
talk_start(struct talk *t)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1)
		return -1;
	if ((t->pid = fork()) == 0) {
		close(sv[0]);
		_exit(relay_serve(ctl_path, sv[1], dup(sv[1])));
	}
	close(sv[1]);
	t->fd = sv[0];
	return 0;
}

/* Send LINE (with its newline), read one reply line into OUT. */
static void
talk(struct talk *t, const char *line, char *out, size_t len)
{
	size_t got = 0;
	char ch;

	if (write(t->fd, line, strlen(line)) != (ssize_t)strlen(line))
		out[0] = '\0';
	while (got + 1 < len && read(t->fd, &ch, 1) == 1 && ch != '\n')
		out[got++] = ch;
	out[got] = '\0';
}

static void
talk_end(struct talk *t)
{
	close(t->fd);
	waitpid(t->pid, NULL, 0);
}

/*
 * The daemon restarts while the far end's relay runs (a package upgrade,
 * systemctl restart): the relay's next request reaches the new daemon,
 * which wants the handshake again; the relay says it, the far end need not.
 */
static void
test_relay_survives_daemon_restart(void)
{
	struct talk t;
	char out[512];
	pid_t d;

	unlink(ctl_path);
	CHECK((d = fake_daemon_strict("ok got ", 1)) > 0);
	CHECK_INT(talk_start(&t), 0);
	talk(&t, "vtundfix-peer 1\n", out, sizeof(out));
	CHECK_STR(out, "ok got vtundfix-peer 1");
	talk(&t, "switches sess0\n", out, sizeof(out));
	CHECK_STR(out, "ok got switches sess0");
	kill(d, SIGKILL);
	waitpid(d, NULL, 0);
	CHECK((d = fake_daemon_strict("ok new ", 1)) > 0);
	talk(&t, "switches sess0\n", out, sizeof(out));
	CHECK_STR(out, "ok new switches sess0");
	talk(&t, "quit\n", out, sizeof(out));
	CHECK_STR(out, "ok bye");
	talk_end(&t);
	waitpid(d, NULL, 0);
	/* Said to the relay alone (no daemon yet), then the daemon comes. */
	unlink(ctl_path);
	CHECK_INT(talk_start(&t), 0);
	talk(&t, "vtundfix-peer 1\n", out, sizeof(out));
	CHECK_STR(out, "ok vtundfix-peer 1 unknown");
	CHECK((d = fake_daemon_strict("ok got ", 1)) > 0);
	talk(&t, "switches sess0\n", out, sizeof(out));
	CHECK_STR(out, "ok got switches sess0");
	talk(&t, "quit\n", out, sizeof(out));
	talk_end(&t);
	waitpid(d, NULL, 0);
}

/*
 * A daemon that is watched: its event lines come after the watch's reply,
 * while the relay waits for the far end, and before the reply to a later
 * request; then it stops (closes the connection).
 */
static pid_t
fake_watched_daemon(void)
{
	FILE *in, *out;
	char line[512];
	pid_t pid;

	if ((pid = fake_listen(&in, &out)) != 0)
		return pid;
	while (fgets(line, sizeof(line), in) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (strcmp(line, "watch") == 0) {
			fprintf(out, "ok s=bridge\nevent switches s=tap\n");
			fflush(out);
			usleep(200000);
			fprintf(out, "event switches\n");
		} else if (strcmp(line, "switches") == 0) {
			fprintf(out, "event switches s=vlan\nok s=vlan\n");
			fflush(out);
			break;		/* and stops */
		} else {
			fprintf(out, "ok %s\n", line);
		}
		fflush(out);
	}
	_exit(0);
}

/* One line from FD into OUT (without newline), if it comes within MS. */
static void
line_within(int fd, char *out, size_t len, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	size_t got = 0;
	char ch;

	while (got + 1 < len && poll(&pfd, 1, ms) > 0 &&
	    read(fd, &ch, 1) == 1 && ch != '\n')
		out[got++] = ch;
	out[got] = '\0';
}

/* Read from FD until it closes or MS pass. */
static void
read_all(int fd, char *out, size_t len, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	size_t got = 0;
	ssize_t n;

	while (got + 1 < len && poll(&pfd, 1, ms) > 0 &&
	    (n = read(fd, out + got, len - got - 1)) > 0)
		got += (size_t)n;
	out[got] = '\0';
}

/*
 * After "watch", the daemon's event lines reach the far end as they come:
 * while the relay waits for the far end's next line, and before the reply
 * they preceded.  When the daemon stops, a watch cannot go on: the relay
 * says so and hangs up, so that the far end connects and watches again.
 */
static void
test_relay_passes_events(void)
{
	struct talk t;
	char out[1024];
	pid_t d;

	CHECK((d = fake_watched_daemon()) > 0);
	CHECK_INT(talk_start(&t), 0);
	talk(&t, "vtundfix-peer 1\n", out, sizeof(out));
	CHECK_STR(out, "ok vtundfix-peer 1");
	talk(&t, "watch\n", out, sizeof(out));
	CHECK_STR(out, "ok s=bridge");
	/* read with the reply: passed on with it, not at the next read */
	line_within(t.fd, out, sizeof(out), 100);
	CHECK_STR(out, "event switches s=tap");
	talk(&t, "", out, sizeof(out));	/* 200 ms later, unasked */
	CHECK_STR(out, "event switches");
	if (write(t.fd, "switches\n", 9) != 9)
		CHECK(0);
	read_all(t.fd, out, sizeof(out), 2000);
	CHECK_STR(out, "event switches s=vlan\nok s=vlan\n"
	    "err vtundfix stopped here, goodbye\n");
	talk_end(&t);
	waitpid(d, NULL, 0);
}

/*
 * A line must be whole within PEER_LINE_TIMEOUT_MS of its first byte: a
 * byte now and then does not hold the relay open.
 */
static void
test_relay_line_deadline(void)
{
	struct talk t;
	char out[512];
	uint64_t start;
	int i;

	unlink(ctl_path);
	CHECK_INT(talk_start(&t), 0);
	start = clock_ms();
	for (i = 0; i < 6; i++) {
		struct pollfd pfd = { .fd = t.fd, .events = POLLIN };

		if (write(t.fd, "s", 1) != 1 ||
		    poll(&pfd, 1, PEER_LINE_TIMEOUT_MS / 4) != 0)
			break;		/* the relay answered, or left */
	}
	talk(&t, "", out, sizeof(out));
	CHECK_STR(out, "err timeout in the middle of a line");
	/* Well before the six drips (1.5 timeouts) had been sent. */
	CHECK(clock_ms() - start < PEER_LINE_TIMEOUT_MS * 3 / 2 + 1000);
	talk_end(&t);
}

static int
remove_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	return remove(path);
}

/* --- the supervisor's channel --- */

static int chan_null, chan_answers;

static void
chan_cb(const char *reply, void *arg)
{
	chan_answers++;
	if (reply == NULL)
		chan_null++;
	ev_stop();
}

static void
chan_guard(void *arg)
{
	ev_stop();
}

/*
 * A far end whose ssh takes long to connect (here: one that never says
 * hello back): a worker's request (no wait) fails at once; a person's
 * (status: wait) fails after PEER_TIMEOUT_MS, not when the hello gives up
 * (PEER_CONNECT_TIMEOUT_MS); the channel keeps connecting throughout.
 */
static void
test_channel_request_waits_not_for_hello(void)
{
	char *argv[] = { "/bin/sleep", "30", NULL };
	struct config cconf;
	struct peer_chan *ch;
	struct ev_timer guard;
	uint64_t t0, took;

	memset(&cconf, 0, sizeof(cconf));
	snprintf(cconf.user, sizeof(cconf.user), "root");
	cconf.peer_command.argv = argv;
	cconf.peer_command.argc = 2;
	memset(&guard, 0, sizeof(guard));
	CHECK_INT(ev_init(), 0);
	ch = peerchan_new(&cconf, "192.0.2.1");
	CHECK(ch != NULL);
	if (ch == NULL)
		return;
	CHECK_INT(peerchan_request(ch, "probe", 0, chan_cb, NULL), -1);
	t0 = clock_ms();
	CHECK_INT(peerchan_request(ch, "switches", PEER_ASK_WAIT, chan_cb,
	    NULL), 0);
	CHECK_INT(peerchan_request(ch, "lock", 0, chan_cb, NULL), -1);
	ev_timer_set(&guard, PEER_TIMEOUT_MS + 3000, chan_guard, NULL);
	ev_run();
	took = clock_ms() - t0;
	CHECK_INT(chan_answers, 1);
	CHECK_INT(chan_null, 1);
	CHECK(took >= PEER_TIMEOUT_MS - 100 && took < PEER_TIMEOUT_MS + 2000);
	CHECK_INT(peerchan_up(ch), 0);
	ev_timer_cancel(&guard);
	peerchan_free(ch);
	CHECK_INT(chan_answers, 1);	/* the hello's own answer is not ours */
	ev_free();
}

static char	 event_lines[4][64];
static int	 nevents;

static void
chan_event(const char *line, void *arg)
{
	if (nevents < 4)
		snprintf(event_lines[nevents++], sizeof(event_lines[0]), "%s",
		    line != NULL ? line : "(closed)");
	if (line == NULL)
		ev_stop();
}

static char	 watch_reply[64];

static void
watch_cb(const char *reply, void *arg)
{
	snprintf(watch_reply, sizeof(watch_reply), "%s",
	    reply != NULL ? reply : "(none)");
}

/*
 * The channel passes the far end's event lines to its watcher, never
 * taking one for a reply, and tells it when the channel closes.
 */
static void
test_channel_events(void)
{
	char *argv[] = { "/bin/sh", "-c", "read h; echo 'ok vtundfix-peer 1 "
	    "server'; read w; echo 'ok s=bridge'; echo 'event switches s=tap';"
	    " echo 'event later words'; sleep 1", NULL };
	struct config cconf;
	struct peer_chan *ch;
	struct ev_timer guard;

	memset(&cconf, 0, sizeof(cconf));
	snprintf(cconf.user, sizeof(cconf.user), "root");
	cconf.peer_command.argv = argv;
	cconf.peer_command.argc = 3;
	memset(&guard, 0, sizeof(guard));
	CHECK_INT(ev_init(), 0);
	ch = peerchan_new(&cconf, "192.0.2.1");
	CHECK(ch != NULL);
	if (ch == NULL)
		return;
	peerchan_on_event(ch, chan_event, NULL);
	CHECK_INT(peerchan_request(ch, "watch", PEER_ASK_WAIT, watch_cb,
	    NULL), 0);
	ev_timer_set(&guard, 5000, chan_guard, NULL);
	ev_run();
	CHECK_STR(watch_reply, "ok s=bridge");
	CHECK_INT(nevents, 3);
	CHECK_STR(event_lines[0], "event switches s=tap");
	CHECK_STR(event_lines[1], "event later words");
	CHECK_STR(event_lines[2], "(closed)");
	ev_timer_cancel(&guard);
	peerchan_free(ch);
	ev_free();
}

int
main(void)
{
	char path[300], err[512];
	FILE *fp;

	if (mkdtemp(dir) == NULL)
		return 1;
	signal(SIGPIPE, SIG_IGN);	/* a relay that hung up: an error */
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
	snprintf(ctl_path, sizeof(ctl_path), "%s/control", dir);
	RUN(test_relay_forwards);
	RUN(test_relay_hostile_input);
	RUN(test_relay_without_daemon);
	RUN(test_relay_hangs_up_on_garbage);
	RUN(test_relay_survives_daemon_restart);
	RUN(test_relay_line_deadline);
	RUN(test_relay_passes_events);
	RUN(test_channel_request_waits_not_for_hello);
	RUN(test_channel_events);
	config_free(&conf);
	nftw(dir, remove_one, 8, FTW_DEPTH | FTW_PHYS);
	return unit_done();
}
