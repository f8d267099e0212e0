/*
 * vtundfix: keeps vtund layer-2 tunnels alive (SPEC §2).
 *
 *	vtundfix [-nv] [-f FILE]		run the daemon
 *	vtundfix -t [-f FILE]			check the configuration
 *	vtundfix [-f FILE] on|off [TAP] [SCOPE] [SWITCH]
 *	vtundfix [-f FILE] status [--json]
 *	vtundfix [-f FILE] peer [--session LIST] [--control PATH]
 *						relay the peer protocol
 *
 * This file only reads the command line and hands over to the module that
 * does the job.  Exit status: 0 success, 1 failure, 2 usage, 3 (status)
 * the daemon is not running.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "peer.h"
#include "peer_client.h"
#include "proctitle.h"
#include "ctlclient.h"
#include "relay.h"
#include "status.h"
#include "supervisor.h"
#include "switches.h"
#include "vtundconf.h"

#define EXIT_USAGE	2

static void
usage(FILE *out)
{
	fprintf(out,
	    "usage: vtundfix [-nv] [-f FILE]\n"
	    "       vtundfix -t [-f FILE]\n"
	    "       vtundfix [-f FILE] on|off [tapN|vlanVID|VID] "
	    "[local|remote|both]\n"
	    "                [service|tap|vlan|bridge|br|listener|all]\n"
	    "       vtundfix [-f FILE] status [--json] [--local]\n"
	    "       vtundfix [-f FILE] peer [--session NAME[,NAME...]] "
	    "[--control PATH]\n"
	    "\n"
	    "  -f, --config FILE  configuration (default %s)\n"
	    "  -n, --foreground   do not daemonize; log to stderr as well\n"
	    "  -t, --test         check the configuration and vtund.conf, "
	    "then exit\n"
	    "  -v, --verbose      log debug messages\n"
	    "  -h, --help         this text\n"
	    "  -V, --version      print the version\n", CONFIG_DEFAULT_PATH);
}

static int
load(const char *path, struct config *conf)
{
	char err[1024];

	if (config_load(path, conf, err, sizeof(err)) == -1) {
		fprintf(stderr, "vtundfix: %s\n", err);
		return -1;
	}
	return 0;
}

/* -t: the configuration, then what the seed requires of vtund.conf. */
static int
test_config(const struct config *conf)
{
	struct vtundconf vc;
	char err[1024];
	int problems;

	printf("%s: ok (%s, %zu tap%s)\n", conf->path,
	    machine_name(conf->machine), conf->ntaps,
	    conf->ntaps == 1 ? "" : "s");
	if (vtundconf_load(conf->vtund_conf, &vc, err, sizeof(err)) == -1) {
		fprintf(stderr, "vtundfix: %s\n", err);
		return 1;
	}
	problems = vtundconf_report(conf, &vc, stdout);
	vtundconf_free(&vc);
	if (problems > 0) {
		fprintf(stderr, "vtundfix: %s: %d problem%s\n", conf->vtund_conf,
		    problems, problems == 1 ? "" : "s");
		return 1;
	}
	return 0;
}

/* A connection to the peer of TAP, reused while the host stays the same. */
static struct peer_conn *
peer_for(const struct config *conf, const struct tap_conf *tap,
    struct peer_conn **conn, char *host, size_t hostlen, char *err,
    size_t errlen)
{
	const char *want = peer_host(conf, tap);

	if (*conn != NULL && strcmp(host, want) == 0)
		return *conn;
	peer_close(*conn);
	snprintf(host, hostlen, "%s", want);
	*conn = peer_connect(conf, want, err, errlen);
	return *conn;
}

/* Sends one request line, fills REPLY; 0 on an "ok" answer. */
typedef int (*call_fn)(void *conn, const char *line, char *reply,
    size_t len);

static int
call_peer(void *conn, const char *line, char *reply, size_t len)
{
	return peer_call(conn, line, reply, len);
}

static int
call_ctl(void *conn, const char *line, char *reply, size_t len)
{
	return ctl_call(conn, line, reply, len);
}

/* One "set SESSION SWITCH on|off" per switch of REQ; 0 if all were. */
static int
send_sets(const struct tap_conf *t, const struct switch_request *req,
    call_fn call, void *conn, const char *where)
{
	char line[PEER_LINE_MAX], reply[512];
	int sw, failed = 0;

	for (sw = 0; sw < SW_MAX; sw++) {
		if (!req->sw[sw])
			continue;
		snprintf(line, sizeof(line), "set %s %s %s", t->session,
		    switch_name(sw), req->on ? "on" : "off");
		if (call(conn, line, reply, sizeof(reply)) != 0) {
			fprintf(stderr, "vtundfix: %s: %s%s: %s\n", t->tap,
			    where, switch_name(sw), reply);
			failed = 1;
		}
	}
	return failed ? -1 : 0;
}

/* The remote half of `vtundfix on|off`: one "set" per switch. */
static int
apply_remote(const struct config *conf, const struct switch_request *req)
{
	struct peer_conn *conn = NULL;
	char host[HOST_MAX] = "", err[512];
	int failed = 0;
	size_t i;

	for (i = 0; i < conf->ntaps; i++) {
		const struct tap_conf *t = &conf->taps[i];

		if (req->tap != NULL && req->tap != t)
			continue;
		if (peer_for(conf, t, &conn, host, sizeof(host), err,
		    sizeof(err)) == NULL) {
			fprintf(stderr, "vtundfix: %s: remote switches not "
			    "changed: %s\n", t->tap, err);
			failed = 1;
			continue;
		}
		if (send_sets(t, req, call_peer, conn, "remote ") != 0)
			failed = 1;
		printf("%s: switches turned %s (remote %s, session %s)\n",
		    t->tap, req->on ? "on" : "off", host, t->session);
	}
	peer_close(conn);
	return failed ? -1 : 0;
}

/*
 * The local half: the running daemon's workers change their switches (a
 * control request each); with no daemon, the data files are written.
 */
static int
apply_local(const struct config *conf, const struct switch_request *req)
{
	struct ctl_conn *c;
	char err[256];
	size_t i;
	int failed = 0;

	if ((c = ctl_connect(conf->control_socket, 1, err, sizeof(err))) ==
	    NULL)
		return switches_apply_local(conf, req, stdout);
	for (i = 0; i < conf->ntaps; i++) {
		const struct tap_conf *t = &conf->taps[i];

		if (req->tap != NULL && req->tap != t)
			continue;
		if (send_sets(t, req, call_ctl, c, "") != 0)
			failed = 1;
		printf("%s: switches turned %s (local)\n", t->tap,
		    req->on ? "on" : "off");
	}
	ctl_close(c);
	return failed ? -1 : 0;
}

static int
cmd_switch(const struct config *conf, int on, int argc, char *argv[])
{
	struct switch_request req;
	char err[512];
	int rc = 0;

	if (switches_parse(conf, on, argc, argv, &req, err, sizeof(err)) ==
	    -1) {
		fprintf(stderr, "vtundfix: %s\n", err);
		usage(stderr);
		return EXIT_USAGE;
	}
	if ((req.scope & SCOPE_LOCAL) && apply_local(conf, &req) == -1)
		rc = 1;
	if ((req.scope & SCOPE_REMOTE) && apply_remote(conf, &req) == -1)
		rc = 1;
	return rc;
}

/* The peer's switches of every tap, for the status table. */
static void
ask_peers(const struct config *conf, struct status_peer *peers)
{
	struct peer_conn *conn = NULL;
	char host[HOST_MAX] = "", err[512], line[PEER_LINE_MAX], reply[512];
	size_t i;

	for (i = 0; i < conf->ntaps; i++) {
		const struct tap_conf *t = &conf->taps[i];
		struct status_peer *p = &peers[i];

		if (peer_for(conf, t, &conn, host, sizeof(host), err,
		    sizeof(err)) == NULL) {
			snprintf(p->why, sizeof(p->why), "%.150s", err);
			continue;
		}
		snprintf(line, sizeof(line), "switches %s", t->session);
		if (peer_call(conn, line, reply, sizeof(reply)) != 0 ||
		    peer_parse_switches(reply, p->sw) == -1)
			snprintf(p->why, sizeof(p->why), "peer %.40s: %.100s", host,
			    reply);
		else
			p->known = 1;
	}
	peer_close(conn);
}

/* The running daemon's status, through its control socket; -1 if none. */
static int
daemon_status(const struct config *conf, int json, int local)
{
	struct ctl_conn *c;
	char err[256], *line;
	int rc;

	if ((c = ctl_connect(conf->control_socket, 1, err, sizeof(err))) ==
	    NULL)
		return -1;
	if ((line = malloc(PEER_REPLY_MAX)) == NULL) {
		ctl_close(c);
		return -1;
	}
	if (json) {
		rc = ctl_call(c, local ? "status json" : "status json peers",
		    line, PEER_REPLY_MAX);
		if (rc == 0)
			printf("%s\n", line + 3);
	} else if ((rc = ctl_call(c, local ? "status text" :
	    "status text peers", line, PEER_REPLY_MAX)) == 0) {
		while ((rc = ctl_line(c, line, PEER_REPLY_MAX)) == 1)
			printf("%s\n", line);
		rc = rc == 0 ? 0 : 1;
	}
	if (rc != 0)
		fprintf(stderr, "vtundfix: status: %s\n", line);
	free(line);
	ctl_close(c);
	return rc == 0 ? 0 : 1;
}

static int
cmd_status(const struct config *conf, int argc, char *argv[])
{
	struct status_peer *peers = NULL;
	int json = 0, local = 0, i, rc;

	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			json = 1;
		else if (strcmp(argv[i], "--local") == 0)
			local = 1;
		else {
			fprintf(stderr, "vtundfix: status: unexpected \"%s\"\n",
			    argv[i]);
			return EXIT_USAGE;
		}
	}
	if ((rc = daemon_status(conf, json, local)) != -1)
		return rc;
	if (!local) {
		if ((peers = calloc(conf->ntaps, sizeof(*peers))) == NULL) {
			perror("vtundfix");
			return 1;
		}
		ask_peers(conf, peers);
	}
	rc = status_print(conf, json, peers, stdout);
	free(peers);
	return rc;
}

static int
command(struct config *conf, int argc, char *argv[])
{
	if (strcmp(argv[0], "on") == 0 || strcmp(argv[0], "off") == 0)
		return cmd_switch(conf, argv[0][1] == 'n', argc - 1, argv + 1);
	if (strcmp(argv[0], "status") == 0)
		return cmd_status(conf, argc - 1, argv + 1);
	fprintf(stderr, "vtundfix: unknown command \"%s\"\n", argv[0]);
	usage(stderr);
	return EXIT_USAGE;
}

/*
 * `vtundfix peer`: run by sshd as the peer account, so it reads no
 * configuration it may not be allowed to read: the control socket is
 * --control, else CONTROL_SOCKET of a configuration given with -f (if it
 * can be read), else the default.  --session is for the daemon, which
 * reads it from this process's command line (scope.h); here it is only
 * checked for form so that a broken forced command says so.
 */
static int
cmd_peer(const char *path, int path_given, int argc, char *argv[])
{
	const char *control = CONTROL_SOCKET_DEFAULT, *sessions = NULL;
	struct config conf;
	char err[1024];
	int i, rc;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--session") == 0 && i + 1 < argc)
			sessions = argv[++i];
		else if (strncmp(argv[i], "--session=", 10) == 0)
			sessions = argv[i] + 10;
		else if (strcmp(argv[i], "--control") == 0 && i + 1 < argc)
			control = argv[++i];
		else {
			fprintf(stderr, "vtundfix: peer: unexpected \"%s\"\n",
			    argv[i]);
			return EXIT_USAGE;
		}
	}
	if (sessions != NULL && (sessions[0] == '\0' ||
	    strspn(sessions, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUV"
	    "WXYZ0123456789._-,") != strlen(sessions))) {
		fprintf(stderr, "vtundfix: peer: bad --session \"%s\"\n",
		    sessions);
		return EXIT_USAGE;
	}
	if (path_given && control == (const char *)CONTROL_SOCKET_DEFAULT &&
	    config_load(path, &conf, err, sizeof(err)) == 0) {
		rc = relay_serve(conf.control_socket, 0, 1);
		config_free(&conf);
		return rc;
	}
	return relay_serve(control, 0, 1);
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "config",	required_argument,	NULL, 'f' },
		{ "foreground",	no_argument,		NULL, 'n' },
		{ "test",	no_argument,		NULL, 't' },
		{ "verbose",	no_argument,		NULL, 'v' },
		{ "help",	no_argument,		NULL, 'h' },
		{ "version",	no_argument,		NULL, 'V' },
		{ NULL,		0,			NULL, 0 },
	};
	const char *path = CONFIG_DEFAULT_PATH;
	struct config conf;
	int ch, foreground = 0, test = 0, path_given = 0, rc;

	proctitle_init(argc, argv);
	/* A peer or mailer that went away is an error to report, not death. */
	signal(SIGPIPE, SIG_IGN);
	while ((ch = getopt_long(argc, argv, "+f:ntvhV", longopts, NULL)) !=
	    -1) {
		switch (ch) {
		case 'f': path = optarg; path_given = 1; break;
		case 'n': foreground = 1; break;
		case 't': test = 1; break;
		case 'v': log_verbose = 1; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("vtundfix %s\n", VERSION); return 0;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if ((test || foreground) && argc > 0) {
		fprintf(stderr, "vtundfix: -%c takes no command\n",
		    test ? 't' : 'n');
		return EXIT_USAGE;
	}
	if (argc > 0 && strcmp(argv[0], "peer") == 0)
		return cmd_peer(path, path_given, argc, argv);
	if (load(path, &conf) == -1)
		return 1;
	if (test)
		rc = test_config(&conf);
	else if (argc > 0)
		rc = command(&conf, argc, argv);
	else
		rc = supervisor_main(&conf, foreground);
	config_free(&conf);
	return rc;
}
