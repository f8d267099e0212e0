/* Unit tests for src/config.c and src/vtundconf.c: SPEC §3. */
#include <sys/stat.h>

#include <stdlib.h>
#include <unistd.h>

#include "config.h"
#include "unit.h"
#include "vtundconf.h"

static char dir[] = "/tmp/vfx-config-XXXXXX";
static char path[256];

/* Write TEXT to the scratch file and load it; returns config_load's rc. */
static int
load_text(const char *text, struct config *conf, char *err, size_t len)
{
	FILE *fp = fopen(path, "w");

	fputs(text, fp);
	fclose(fp);
	return config_load(path, conf, err, len);
}

/* The message a bad file gets, with the scratch path cut off. */
static const char *
error_of(const char *text)
{
	static char err[512];
	struct config conf;

	if (load_text(text, &conf, err, sizeof(err)) == 0) {
		config_free(&conf);
		return "(loaded)";
	}
	if (conf.taps != NULL || conf.ntaps != 0)
		return "(partial configuration left behind)";
	if (strncmp(err, path, strlen(path)) != 0)
		return err;
	return err + strlen(path);
}

#define CLIENT	"MACHINE client\nSERVER 10.0.0.1\n"
#define LONG40	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"	/* + '/' */
#define LONG100	LONG40 LONG40 "aaaaaaaaaaaaaaaaaaaaaa"
#define TAPLINE	"tap0 lcsr 192.168.1.100 br0 eth0.763\n"

static void
test_seed_file_loads_unchanged(void)
{
	struct config c;
	char err[512];

	CHECK_INT(config_load("tests/data/seed.conf", &c, err, sizeof(err)), 0);
	CHECK_STR(c.directory, "/usr/local/vtundfix/");
	CHECK_INT(c.delay_betweencheck, 300);
	CHECK_INT(c.delay_parentcheck, 300);
	CHECK_STR(c.server, "192.168.10.5");
	CHECK_INT(c.machine, ROLE_CLIENT);
	CHECK_STR(c.email, "example@example.com");
	CHECK_INT(c.ntaps, 2);
	if (c.ntaps != 2)
		return;
	CHECK_STR(c.taps[0].tap, "tap0");
	CHECK_STR(c.taps[0].session, "lcsr");
	CHECK_STR(c.taps[0].client_ip, "192.168.1.100");
	CHECK_STR(c.taps[0].bridge, "br0");
	CHECK_STR(c.taps[0].uplink, "eth0.763");
	CHECK_STR(c.taps[0].uplink_parent, "eth0");
	CHECK_INT(c.taps[0].vlan_id, 763);
	CHECK_INT(c.taps[0].line, 10);
	CHECK_STR(c.taps[1].session, "lcsr2");
	CHECK_INT(c.taps[1].vlan_id, 764);
	CHECK(config_find_tap(&c, "tap1") == &c.taps[1]);
	CHECK(config_find_tap(&c, "tap2") == NULL);
	config_free(&c);
}

static void
test_defaults(void)
{
	struct config c;
	char err[512];

	CHECK_INT(load_text(CLIENT TAPLINE, &c, err, sizeof(err)), 0);
	CHECK_STR(c.directory, "/usr/local/vtundfix/");
	CHECK_STR(c.user, "vtundfix");
	CHECK_STR(c.email, "");
	CHECK_STR(c.data_dir, "/var/vtundfix/");
	CHECK_STR(c.log_file, "/var/vtundfix/vtundfix.log");
	CHECK_STR(c.pid_file, "/var/run/vtundfix.pid");
	CHECK_STR(c.vtund, "/usr/sbin/vtund");
	CHECK_STR(c.vtund_conf, "/etc/vtund.conf");
	CHECK_INT(c.liveness, LIVENESS_PROBE);
	CHECK_INT(c.probe_interval_ms, 1000);
	CHECK_INT(c.probe_multiplier, 3);
	CHECK_STR(c.metrics_file, "");
	CHECK_STR(c.control_socket, "/run/vtundfix/control");
	CHECK_INT(c.listener_start.argc, 4);
	CHECK_STR(c.listener_start.argv[0], "/usr/sbin/vtund");
	CHECK_STR(c.listener_start.argv[1], "-s");
	CHECK_STR(c.listener_start.argv[3], "/etc/vtund.conf");
	CHECK_INT(c.peer_command.argc, 8);
	CHECK_STR(c.peer_command.argv[0], "ssh");
	CHECK_STR(c.peer_command.argv[5], "vtundfix@%h");
	CHECK_STR(c.mail_command.argv[0], "/usr/sbin/sendmail");
	CHECK_INT(c.mail_command.argc, 3);
	CHECK(c.listener_start.argv[c.listener_start.argc] == NULL);
	config_free(&c);
}

static void
test_every_key(void)
{
	struct config c;
	char err[512], **argv;

	CHECK_INT(load_text(
	    "MACHINE server\n"
	    "DIRECTORY /opt/vtundfix/\n"
	    "DELAY_BETWEENCHECK 60\n"
	    "DELAY_PARENTCHECK 30\n"
	    "SERVER 10.0.0.1\n"
	    "EMAIL root\n"
	    "USER tunnel\n"
	    "DATA_DIR /srv/vfx\n"
	    "PID_FILE /run/vfx.pid\n"
	    "VTUND /usr/local/sbin/vtund\n"
	    "VTUND_CONF /etc/vtund-test.conf\n"
	    "PEER_COMMAND ip netns exec peer vtundfix -f /x peer # comment\n"
	    "LIVENESS counters\n"
	    "PROBE_INTERVAL_MS 200\n"
	    "PROBE_MULTIPLIER 5\n"
	    "MAIL_COMMAND /usr/local/bin/mailer -t\n"
	    "METRICS_FILE /var/lib/node/vtundfix.prom\n"
	    "CONTROL_SOCKET /run/vfx-lab1/control\n"
	    "tap3 sess 10.0.0.2 br3 enp1s0\n"
	    "tap4 sess4 vpn-gw.example.org br4 enp2s0\n"
	    "tap5 sess5 fd00::5 br5 enp3s0\n", &c, err, sizeof(err)), 0);
	CHECK_STR(c.control_socket, "/run/vfx-lab1/control");
	CHECK_STR(c.taps[1].client_ip, "vpn-gw.example.org");
	CHECK_STR(c.taps[2].client_ip, "fd00::5");
	CHECK_INT(c.machine, ROLE_SERVER);
	CHECK_STR(c.directory, "/opt/vtundfix/");
	CHECK_INT(c.delay_betweencheck, 60);
	CHECK_INT(c.delay_parentcheck, 30);
	CHECK_STR(c.email, "root");
	CHECK_STR(c.user, "tunnel");
	CHECK_STR(c.data_dir, "/srv/vfx/");
	CHECK_STR(c.log_file, "/srv/vfx/vtundfix.log");
	CHECK_STR(c.pid_file, "/run/vfx.pid");
	CHECK_STR(c.listener_start.argv[0], "/usr/local/sbin/vtund");
	CHECK_STR(c.listener_start.argv[3], "/etc/vtund-test.conf");
	CHECK_INT(c.peer_command.argc, 8);
	CHECK_STR(c.peer_command.argv[7], "peer");
	CHECK_INT(c.liveness, LIVENESS_COUNTERS);
	CHECK_INT(c.probe_interval_ms, 200);
	CHECK_INT(c.probe_multiplier, 5);
	CHECK_INT(c.mail_command.argc, 2);
	CHECK_STR(c.metrics_file, "/var/lib/node/vtundfix.prom");
	CHECK_STR(c.taps[0].uplink, "enp1s0");
	CHECK_STR(c.taps[0].uplink_parent, "");
	CHECK_INT(c.taps[0].vlan_id, 0);
	argv = command_expand(&c.peer_command, "10.9.8.7");
	CHECK(argv != NULL);
	if (argv != NULL) {
		CHECK_STR(argv[0], "ip");
		CHECK(argv[8] == NULL);
		free(argv);
	}
	config_free(&c);
}

static void
test_equal(void)
{
	struct config a, b;
	char err[512];

	CHECK_INT(load_text(CLIENT TAPLINE, &a, err, sizeof(err)), 0);
	CHECK_INT(load_text(CLIENT TAPLINE, &b, err, sizeof(err)), 0);
	CHECK(config_equal(&a, &b));
	config_free(&b);
	CHECK_INT(load_text(CLIENT "PEER_COMMAND ssh %h x\n" TAPLINE, &b, err,
	    sizeof(err)), 0);
	CHECK(!config_equal(&a, &b));
	config_free(&b);
	CHECK_INT(load_text(CLIENT "tap0 lcsr 192.168.1.100 br0 eth0.764\n", &b,
	    err, sizeof(err)), 0);
	CHECK(!config_equal(&a, &b));
	config_free(&b);
	CHECK_INT(load_text(CLIENT "CONTROL_SOCKET /run/other\n" TAPLINE, &b,
	    err, sizeof(err)), 0);
	CHECK(!config_equal(&a, &b));
	config_free(&b);
	config_free(&a);
}

static void
test_command_expand(void)
{
	struct config c;
	char err[512], **argv;

	CHECK_INT(load_text(CLIENT "PEER_COMMAND ssh x@%h:%h %%h\n" TAPLINE,
	    &c, err, sizeof(err)), 0);
	argv = command_expand(&c.peer_command, "server.example");
	CHECK_STR(argv[1], "x@server.example:server.example");
	CHECK_STR(argv[2], "%server.example");
	CHECK(argv[3] == NULL);
	free(argv);
	config_free(&c);
}

static void
test_log_to_syslog_and_vlan_names(void)
{
	struct config c;
	char err[512];

	CHECK_INT(load_text(CLIENT "LOG_FILE syslog\n"
	    "tap0 a 1.2.3.4 br0 bond0.1\n"
	    "tap1 b 1.2.3.4 br1 eth0.4094\n"
	    "tap2 c 1.2.3.4 br2 v.lan\n", &c, err, sizeof(err)), 0);
	CHECK_STR(c.log_file, "syslog");
	CHECK_STR(c.taps[0].uplink_parent, "bond0");
	CHECK_INT(c.taps[0].vlan_id, 1);
	CHECK_INT(c.taps[1].vlan_id, 4094);
	CHECK_STR(c.taps[2].uplink_parent, "");
	config_free(&c);
}

static void
test_comments_blank_lines_and_header(void)
{
	struct config c;
	char err[512];

	CHECK_INT(load_text("# comment\n\n   \n\t# indented\n"
	    "<tap> <tun name> <client ip> <bridge> <vlan for bridge>\n"
	    CLIENT "tap0 lcsr 1.2.3.4 br0 eth0.7 # trailing\r\n", &c, err,
	    sizeof(err)), 0);
	CHECK_INT(c.ntaps, 1);
	CHECK_STR(c.taps[0].uplink, "eth0.7");
	config_free(&c);
}

/* Every kind of bad input, with its exact message. */
static void
test_errors(void)
{
	static const struct { const char *text, *msg; } cases[] = {
	{ CLIENT "FOO 1\n" TAPLINE, ":3: unknown key \"FOO\"" },
	{ CLIENT "DELAY_BETWEENCHECK abc\n" TAPLINE,
	  ":3: DELAY_BETWEENCHECK: \"abc\" is not a number" },
	{ CLIENT "DELAY_BETWEENCHECK 30s\n" TAPLINE,
	  ":3: DELAY_BETWEENCHECK: \"30s\" is not a number" },
	{ CLIENT "DELAY_BETWEENCHECK -5\n" TAPLINE,
	  ":3: DELAY_BETWEENCHECK: \"-5\" is not a number" },
	{ CLIENT "DELAY_BETWEENCHECK 0\n" TAPLINE,
	  ":3: DELAY_BETWEENCHECK: 0 is out of range (1-86400)" },
	{ CLIENT "DELAY_PARENTCHECK 99999999999999999999999\n" TAPLINE,
	  ":3: DELAY_PARENTCHECK: 99999999999999999999999 is out of range "
	  "(1-86400)" },
	{ CLIENT "PROBE_INTERVAL_MS 5\n" TAPLINE,
	  ":3: PROBE_INTERVAL_MS: 5 is out of range (10-60000)" },
	{ CLIENT "PROBE_MULTIPLIER 1\n" TAPLINE,
	  ":3: PROBE_MULTIPLIER: 1 is out of range (2-255)" },
	{ CLIENT "DELAY_BETWEENCHECK\n" TAPLINE,
	  ":3: DELAY_BETWEENCHECK: missing value" },
	{ CLIENT "DELAY_BETWEENCHECK 5 6\n" TAPLINE,
	  ":3: DELAY_BETWEENCHECK: unexpected \"6\" after the value" },
	{ CLIENT "DELAY_BETWEENCHECK 5\nDELAY_BETWEENCHECK 6\n" TAPLINE,
	  ":4: DELAY_BETWEENCHECK is already set on line 3" },
	{ "MACHINE router\n" TAPLINE,
	  ":1: MACHINE: \"router\" is neither server nor client" },
	{ "MACHINE client\n" TAPLINE,
	  ": SERVER is not set (required on a client)" },
	{ "SERVER 1.2.3.4\n" TAPLINE,
	  ": MACHINE is not set (server or client)" },
	{ CLIENT, ": no tap lines: nothing to check" },
	{ CLIENT "LIVENESS ping\n" TAPLINE,
	  ":3: LIVENESS: \"ping\" is neither probe nor counters" },
	{ CLIENT "DATA_DIR var/vtundfix\n" TAPLINE,
	  ":3: DATA_DIR: \"var/vtundfix\" is not an absolute path" },
	{ CLIENT "USER Root!\n" TAPLINE,
	  ":3: USER: \"Root!\" is not a valid user name" },
	{ "MACHINE client\nSERVER bad/host\n" TAPLINE,
	  ":2: SERVER \"bad/host\" is not a host name or address" },
	{ CLIENT "tap0 lcsr 1.2.3.4 br0\n",
	  ":3: malformed tap line: expected \"<tap> <session> <client ip> "
	  "<bridge> <uplink>\", got 4 words" },
	{ CLIENT "tap0 lcsr 1.2.3.4 br0 eth0.763 extra\n",
	  ":3: malformed tap line: expected \"<tap> <session> <client ip> "
	  "<bridge> <uplink>\", got 6 words" },
	{ CLIENT TAPLINE "tap0 other 1.2.3.4 br1 eth0.764\n",
	  ":4: duplicate tap tap0 (first on line 3)" },
	{ CLIENT TAPLINE "tap1 other 1.2.3.4 br0 eth0.764\n",
	  ":4: duplicate bridge br0 (first on line 3)" },
	{ CLIENT TAPLINE "tap1 lcsr 1.2.3.4 br1 eth0.764\n",
	  ":4: duplicate session lcsr (first on line 3)" },
	{ CLIENT TAPLINE "tap1 lcsr2 1.2.3.4 br1 eth0.763\n",
	  ":4: duplicate uplink eth0.763 (first on line 3)" },
	{ CLIENT "tap0 lcsr 1.2.3.4 br0 eth0.0\n",
	  ":3: VLAN id 0 of \"eth0.0\" is out of range (1-4094)" },
	{ CLIENT "tap0 lcsr 1.2.3.4 br0 eth0.4095\n",
	  ":3: VLAN id 4095 of \"eth0.4095\" is out of range (1-4094)" },
	{ CLIENT "tap0 lcsr 1.2.3.4 averylongbridge0 eth0.1\n",
	  ":3: bridge name \"averylongbridge0\" is longer than 15 "
	  "characters" },
	{ CLIENT "tap0 lcsr 1.2.3.4 br0 eth0:1\n",
	  ":3: uplink name \"eth0:1\" contains a character the kernel "
	  "refuses" },
	{ CLIENT "ta/p0 lcsr 1.2.3.4 br0 eth0.1\n",
	  ":3: tap name \"ta/p0\" contains a character the kernel refuses" },
	{ CLIENT "tap0 lc$sr 1.2.3.4 br0 eth0.1\n",
	  ":3: session name \"lc$sr\" may only contain letters, digits, "
	  "'.', '_' and '-'" },
	{ CLIENT "tap0 lcsr 1.2.3.4 .. eth0.1\n",
	  ":3: bridge name \"..\" is not allowed" },
	{ CLIENT "tap0 lcsr -oProxy br0 eth0.1\n",
	  ":3: client ip \"-oProxy\" is not a host name or address" },
	{ CLIENT "tap0 lcsr 192.168.1.300 br0 eth0.1\n",
	  ":3: client ip \"192.168.1.300\" is not a valid IPv4 address" },
	{ CLIENT "tap0 lcsr 10.1.2 br0 eth0.1\n",
	  ":3: client ip \"10.1.2\" is not a valid IPv4 address" },
	{ CLIENT "tap0 lcsr 10.1.2.3. br0 eth0.1\n",
	  ":3: client ip \"10.1.2.3.\" is not a valid IPv4 address" },
	{ "MACHINE client\nSERVER 10.0.0.256\n" TAPLINE,
	  ":2: SERVER \"10.0.0.256\" is not a valid IPv4 address" },
	{ CLIENT "tap0 -lcsr 1.2.3.4 br0 eth0.1\n",
	  ":3: session name \"-lcsr\" starts with '-'" },
	{ CLIENT "tap0 . 1.2.3.4 br0 eth0.1\n",
	  ":3: session name \".\" is not allowed" },
	{ CLIENT "tap0 .. 1.2.3.4 br0 eth0.1\n",
	  ":3: session name \"..\" is not allowed" },
	{ CLIENT "CONTROL_SOCKET run/control\n" TAPLINE,
	  ":3: CONTROL_SOCKET: \"run/control\" is not an absolute path" },
	{ CLIENT "CONTROL_SOCKET /" LONG100 "/control\n" TAPLINE,
	  ":3: CONTROL_SOCKET: \"/" LONG40 "...\" is longer than 107 "
	  "characters (a unix socket's limit)" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CHECK_STR(error_of(cases[i].text), cases[i].msg);
}

static void
test_binary_and_long_lines(void)
{
	char big[6000];
	FILE *fp;
	struct config c;
	char err[512];

	memset(big, 'A', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	CHECK_STR(error_of(big), ":1: line is longer than 4096 characters");
	fp = fopen(path, "w");
	fwrite("MACHINE cl\0ient\n", 1, 16, fp);
	fclose(fp);
	CHECK_INT(config_load(path, &c, err, sizeof(err)), -1);
	CHECK(strstr(err, ":1: line contains a NUL byte") != NULL);
}

static void
test_missing_and_unreadable_file(void)
{
	struct config c;
	char err[512], want[600];

	CHECK_INT(config_load("/nonexistent/vtundfix.conf", &c, err,
	    sizeof(err)), -1);
	CHECK_STR(err, "/nonexistent/vtundfix.conf: No such file or "
	    "directory");
	CHECK_INT(config_load(dir, &c, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s: read error: Is a directory", dir);
	CHECK_STR(err, want);
}

/* vtundconf_report() of CONF_TEXT's taps against vtund.conf FIXTURE. */
static int
report(const char *fixture, const char *conf_text, struct vtundconf *vc,
    char *out, size_t outlen)
{
	struct config c;
	char err[512];
	FILE *mem;
	int problems = -1;

	memset(out, 0, outlen);
	if (vtundconf_load(fixture, vc, err, sizeof(err)) == -1) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	if (load_text(conf_text, &c, err, sizeof(err)) == -1) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	if ((mem = fmemopen(out, outlen - 1, "w")) != NULL) {
		problems = vtundconf_report(&c, vc, mem);
		fclose(mem);
	}
	config_free(&c);
	return problems;
}

/* No passwd of any fixture ever reaches a report. */
static void
check_no_secrets(const char *out)
{
	static const char *const secrets[] = { "Ma#x9", "s3cond_Secret",
	    "pw-", "31337", "secret" };
	size_t i;

	for (i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++)
		if (strstr(out, secrets[i]) != NULL) {
			fprintf(stderr, "report shows \"%s\":\n%s", secrets[i],
			    out);
			CHECK(!"a passwd was printed");
		}
}

static void
test_vtund_seed(void)
{
	struct vtundconf vc;
	char out[4096];

	CHECK_INT(report("tests/data/vtund-seed.conf", CLIENT TAPLINE
	    "tap1 lcsr2 192.168.1.101 br1 eth0.764\n", &vc, out,
	    sizeof(out)), 0);
	CHECK(strstr(out, "  ok   tap1 session lcsr2: multi killold\n") != NULL);
	CHECK(strstr(out, "  info tap0 session lcsr: proto tcp, port 5000, "
	    "keepalive 30:4\n") != NULL);
	CHECK_INT(vc.nsessions, 2);
	CHECK_STR(vtundconf_find(&vc, "lcsr")->passwd, "secret");
	check_no_secrets(out);
	vtundconf_free(&vc);
}

/* A hub's file with most of vtund's keywords, as sites write it. */
static void
test_vtund_server(void)
{
	const struct vtund_session *s;
	struct vtundconf vc;
	char out[4096];

	CHECK_INT(report("tests/data/vtund-server.conf", CLIENT TAPLINE
	    "tap1 lcsr2 1.2.3.4 br1 eth0.7\ntap2 lcsr3 1.2.3.4 br2 eth0.8\n",
	    &vc, out, sizeof(out)), 1);
	CHECK_INT(vc.nproblems, 0);
	CHECK_INT(vc.port, 5001);
	CHECK_INT(vc.nsessions, 3);
	if ((s = vtundconf_find(&vc, "lcsr")) != NULL) {
		CHECK_STR(s->passwd, "Ma#x9-pw.!");
		CHECK_STR(s->device, "tap0");
		CHECK_INT(s->persist, VTUND_PERSIST_YES);
		CHECK_INT(s->multi, VTUND_MULTI_KILLOLD);
		CHECK_INT(s->proto, VTUND_PROTO_TCP);
		CHECK_INT(s->keepalive, 1);
		CHECK_INT(s->ka_interval, 30);
		CHECK_INT(s->ka_count, 4);
		CHECK_INT(s->defined, 1);
	}
	if ((s = vtundconf_find(&vc, "lcsr2")) != NULL) {
		CHECK_STR(s->passwd, "s3cond_Secret");
		CHECK_INT(s->persist, VTUND_PERSIST_KEEP);
		CHECK_INT(s->proto, VTUND_PROTO_UDP);
		CHECK_INT(s->ka_interval, 10);
		CHECK_INT(s->ka_count, 3);
	}
	CHECK(vtundconf_find(&vc, "lcsr3") != NULL &&
	    !vtundconf_find(&vc, "lcsr3")->defined);
	CHECK(strstr(out, "  ok   tap1 session lcsr2: persist keep (the tap "
	    "survives reconnects)\n") != NULL);
	CHECK(strstr(out, "  info tap1 session lcsr2: proto udp, port 5001, "
	    "keepalive 10:3\n") != NULL);
	CHECK(strstr(out, "  FAIL tap2 session lcsr3: no passwd: vtund ignores "
	    "the session (\"Ignored incomplete session definition\")\n") !=
	    NULL);
	check_no_secrets(out);
	vtundconf_free(&vc);
}

/*
 * `devi tap0; pers keep; mult killold;`: read for their values, and each
 * reported, as vtund 3.0.4 stops at the first ("Unknown option 'devi'").
 */
static void
test_vtund_abbreviations(void)
{
	const struct vtund_session *s;
	struct vtundconf vc;
	char out[4096];

	CHECK_INT(report("tests/data/vtund-abbrev.conf", CLIENT
	    "tap0 first 1.2.3.4 br0 eth0.6\ntap1 lcsr 1.2.3.4 br1 eth0.7\n"
	    "tap2 after 1.2.3.4 br2 eth0.8\n", &vc, out, sizeof(out)), 5);
	CHECK_INT(vc.nproblems, 3);
	CHECK_INT(vc.stop_line, 7);
	if ((s = vtundconf_find(&vc, "lcsr")) != NULL) {
		CHECK_STR(s->device, "tap1");
		CHECK_INT(s->persist, VTUND_PERSIST_KEEP);
		CHECK_INT(s->multi, VTUND_MULTI_KILLOLD);
		CHECK_INT(s->defined, 0);
	}
	CHECK(vtundconf_find(&vc, "first") != NULL &&
	    vtundconf_find(&vc, "first")->defined);
	CHECK(strstr(out, "  FAIL tests/data/vtund-abbrev.conf:7: \"devi\" is "
	    "short for \"device\": vtund.conf(5) allows 4 characters, but that "
	    "was vtund 2.x; vtund 3.0.4 stops reading here (\"Unknown option "
	    "'devi'\"): write \"device\"\n") != NULL);
	CHECK(strstr(out, ":8: \"pers\" is short for \"persist\": vtund.conf(5) "
	    "allows 4 characters, but that was vtund 2.x; vtund 3.0.4 would "
	    "refuse this too (\"Unknown option 'pers'\")") != NULL);
	CHECK(strstr(out, ":9: \"mult\" is short for \"multi\"") != NULL);
	CHECK(strstr(out, "  ok   tap0 session first: multi killold\n") != NULL);
	CHECK(strstr(out, "  FAIL tap1 session lcsr: vtund stops reading "
	    "tests/data/vtund-abbrev.conf at line 7, before this session is "
	    "complete\n") != NULL);
	CHECK(strstr(out, "  FAIL tap2 session after: vtund stops") != NULL);
	check_no_secrets(out);
	vtundconf_free(&vc);
}

/*
 * A worker's load (vtundconf_load_session) keeps its own session only,
 * as the full load sees it: the same port, values and stop line, no
 * problems kept.  A hub's worker so holds one session, not a thousand.
 */
static void
same_session(const char *fixture, const char *name)
{
	const struct vtund_session *a, *b;
	struct vtundconf all, one;
	char err[512];

	if (vtundconf_load(fixture, &all, err, sizeof(err)) == -1 ||
	    vtundconf_load_session(fixture, name, &one, err, sizeof(err)) ==
	    -1) {
		CHECK(!"loads");
		return;
	}
	a = vtundconf_find(&all, name);
	b = vtundconf_find(&one, name);
	CHECK_INT(one.nsessions, 1);
	CHECK_INT(one.nproblems, 0);
	CHECK_INT(one.port, all.port);
	CHECK_INT(one.stop_line, all.stop_line);
	CHECK(a != NULL && b != NULL && memcmp(a, b, sizeof(*a)) == 0);
	vtundconf_free(&all);
	vtundconf_free(&one);
}

static void
test_vtund_one_session(void)
{
	struct vtundconf vc;
	char err[512];

	same_session("tests/data/vtund-server.conf", "lcsr");
	same_session("tests/data/vtund-server.conf", "lcsr2");
	same_session("tests/data/vtund-server.conf", "lcsr3");
	same_session("tests/data/vtund-abbrev.conf", "lcsr");
	same_session("tests/data/vtund-abbrev.conf", "after");
	CHECK_INT(vtundconf_load_session("tests/data/vtund-server.conf",
	    "nosuch", &vc, err, sizeof(err)), 0);
	CHECK_INT(vc.nsessions, 0);
	CHECK(vtundconf_find(&vc, "lcsr") == NULL);
	vtundconf_free(&vc);
}

/* Inheritance from the default as it stands, first session wins. */
static void
test_vtund_order(void)
{
	const struct vtund_session *s;
	struct vtundconf vc;
	char out[4096];

	CHECK_INT(report("tests/data/vtund-order.conf", CLIENT
	    "tap7 late 1.2.3.4 br0 eth0.6\n", &vc, out, sizeof(out)), 3);
	if ((s = vtundconf_find(&vc, "early")) != NULL) {
		CHECK_STR(s->device, "tapX");
		CHECK_INT(s->multi, VTUND_MULTI_KILLOLD);
		CHECK_INT(s->persist, VTUND_PERSIST_NO);
		CHECK_INT(s->keepalive, 0);
		CHECK_INT(s->defined, 1);
	}
	if ((s = vtundconf_find(&vc, "late")) != NULL) {
		CHECK_STR(s->passwd, "pw-late");
		CHECK_STR(s->device, "tap7");
		CHECK_INT(s->multi, VTUND_MULTI_DENY);
		CHECK_INT(s->persist, VTUND_PERSIST_YES);
		CHECK_INT(s->ka_interval, 15);
		CHECK_INT(s->ka_count, 2);
		CHECK_INT(s->defined, 1);
	}
	CHECK_INT(vc.stop_line, 9);
	CHECK_INT(vc.nproblems, 2);
	CHECK(strstr(out, "  FAIL tap7 session late: multi killold (found "
	    "no)\n") != NULL);
	CHECK(strstr(out, ":9: passwd: the value is not one word") != NULL);
	CHECK(strstr(out, ":10: persist: \"maybe\" is not a value vtund knows "
	    "(syntax error)\n") != NULL);
	check_no_secrets(out);
	vtundconf_free(&vc);
}

static void
test_vtund_default_passwd(void)
{
	struct vtundconf vc;
	char out[4096];

	CHECK_INT(report("tests/data/vtund-default-passwd.conf", CLIENT TAPLINE,
	    &vc, out, sizeof(out)), 2);
	CHECK_INT(vc.aborts, 1);
	CHECK(strstr(out, ":3: passwd in the default section: vtund 3.0.4 "
	    "aborts") != NULL);
	CHECK(strstr(out, "  FAIL tap0 session lcsr: vtund aborts on ") != NULL);
	check_no_secrets(out);
	vtundconf_free(&vc);
}

/* What stops the reader itself: FILE:LINE messages. */
static void
test_vtund_errors(void)
{
	static const struct { const char *text; size_t len; const char *msg; }
	    cases[] = {
		{ "lcsr { device tap0;\n", 20, ":2: missing '}'" },
		/* Found by fuzz/fuzz_vtundconf.c: a NUL made the reader loop. */
		{ "lcsr { ppp a;\0x; }\n", 20, ":1: NUL byte in the file" },
		{ "lcsr { ip \"x;\n}\n", 16, ":3: unterminated string" },
		{ "lcsr\n;", 6, ":2: expected '{' after \"lcsr\"" },
		{ "lcsr { device tap0 ", 19, ":1: missing ';'" },
	};
	struct vtundconf vc;
	char err[512];
	size_t i;
	FILE *fp;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fp = fmemopen((void *)cases[i].text, cases[i].len, "r");
		CHECK_INT(vtundconf_read(fp, "mem", &vc, err, sizeof(err)), -1);
		fclose(fp);
		if (strstr(err, cases[i].msg) == NULL)
			fprintf(stderr, "case %zu: got \"%s\", want \"%s\"\n",
			    i, err, cases[i].msg);
		CHECK(strstr(err, cases[i].msg) != NULL);
		CHECK(vc.sessions == NULL && vc.problems == NULL);
	}
	CHECK_INT(vtundconf_load("/nonexistent/vtund.conf", &vc, err,
	    sizeof(err)), -1);
	CHECK_STR(err, "/nonexistent/vtund.conf: No such file or directory");
}

int
main(void)
{
	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(path, sizeof(path), "%s/vtundfix.conf", dir);
	RUN(test_seed_file_loads_unchanged);
	RUN(test_defaults);
	RUN(test_every_key);
	RUN(test_command_expand);
	RUN(test_equal);
	RUN(test_log_to_syslog_and_vlan_names);
	RUN(test_comments_blank_lines_and_header);
	RUN(test_errors);
	RUN(test_binary_and_long_lines);
	RUN(test_missing_and_unreadable_file);
	RUN(test_vtund_seed);
	RUN(test_vtund_server);
	RUN(test_vtund_abbreviations);
	RUN(test_vtund_one_session);
	RUN(test_vtund_order);
	RUN(test_vtund_default_passwd);
	RUN(test_vtund_errors);
	unlink(path);
	rmdir(dir);
	return unit_done();
}
