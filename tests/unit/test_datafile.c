/* Unit tests for src/datafile.c and src/switches.c. */
#include <sys/stat.h>

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "datafile.h"
#include "safefile.h"
#include "switches.h"
#include "unit.h"

static char dir[] = "/tmp/vfx-datafile-XXXXXX";
static char path[256];

static void
write_text(const char *text)
{
	FILE *fp = fopen(path, "w");

	fputs(text, fp);
	fclose(fp);
}

static void
test_missing_file_gives_defaults(void)
{
	struct datafile df;
	char err[256];
	int i;

	unlink(path);
	CHECK_INT(datafile_read(path, &df, err, sizeof(err)), 0);
	for (i = 0; i < SW_MAX; i++)
		CHECK_INT(df.sw[i], 1);
	CHECK_INT(df.have_prev, 0);
}

static void
test_round_trip(void)
{
	struct datafile a, b;
	struct stat st;
	char err[256];

	datafile_defaults(&a);
	a.sw[SW_BRIDGE] = 0;
	a.have_prev = 1;
	a.prev_local.rx_packets = 10;
	a.prev_remote.tx_packets = 18446744073709551615ULL;
	a.prev_rounds = 1;
	a.state[CHK_BRIDGE] = CS_FAULT;
	a.since[CHK_BRIDGE] = 1732490000;
	a.repairs[CHK_CLIENT] = 3;
	a.fault_time = 1732490001;
	snprintf(a.fault, sizeof(a.fault), "bridge: br0 does not exist");
	a.repair_time = 1732490002;
	snprintf(a.repair, sizeof(a.repair), "bridge: created br0: ok");
	CHECK_INT(datafile_write(path, &a), 0);
	CHECK_INT(stat(path, &st), 0);
	CHECK_INT(st.st_mode & 0777, 0640);
	CHECK_INT(datafile_read(path, &b, err, sizeof(err)), 0);
	CHECK_INT(b.sw[SW_BRIDGE], 0);
	CHECK_INT(b.sw[SW_VLAN], 1);
	CHECK(b.prev_remote.tx_packets == 18446744073709551615ULL);
	CHECK_INT(b.prev_local.rx_packets, 10);
	CHECK_INT(b.state[CHK_BRIDGE], CS_FAULT);
	CHECK_INT(b.since[CHK_BRIDGE], 1732490000);
	CHECK_INT(b.repairs[CHK_CLIENT], 3);
	CHECK_STR(b.fault, "bridge: br0 does not exist");
	CHECK_STR(b.repair, "bridge: created br0: ok");
}

static void
test_corrupt_file_reported_defaults(void)
{
	struct datafile df;
	char err[512], want[512];

	write_text("switch service off\nswitch bogus on\n");
	CHECK_INT(datafile_read(path, &df, err, sizeof(err)), 1);
	snprintf(want, sizeof(want), "%s:2: unreadable line, using defaults "
	    "(every switch on)", path);
	CHECK_STR(err, want);
	CHECK_INT(df.sw[SW_SERVICE], 1);
	write_text("switch service off\nswitch tap maybe\n");
	CHECK_INT(datafile_read(path, &df, err, sizeof(err)), 1);
	write_text("\x01\x02garbage");
	CHECK_INT(datafile_read(path, &df, err, sizeof(err)), 1);
	write_text("switch service off");	/* no newline at the end: fine */
	CHECK_INT(datafile_read(path, &df, err, sizeof(err)), 0);
	CHECK_INT(df.sw[SW_SERVICE], 0);
}

static int
turn_tap_off(struct datafile *df, void *arg)
{
	df->sw[SW_TAP] = 0;
	return 1;
}

static void
test_update_rebuilds_corrupt_file(void)
{
	struct datafile df;
	char err[256];

	write_text("nonsense\n");
	CHECK_INT(datafile_update(path, turn_tap_off, NULL), 0);
	CHECK_INT(datafile_read(path, &df, err, sizeof(err)), 0);
	CHECK_INT(df.sw[SW_TAP], 0);
	CHECK_INT(df.sw[SW_SERVICE], 1);
}

/* A root-only file elsewhere that a planted symlink points at. */
static void
make_victim(char *victim, size_t len)
{
	int fd;

	snprintf(victim, len, "/tmp/vfx-datafile-victim-XXXXXX");
	if ((fd = mkstemp(victim)) != -1) {
		(void)!write(fd, "root's secret\n", 14);
		fchmod(fd, 0600);
		close(fd);
	}
}

static int
victim_untouched(const char *victim)
{
	char buf[64] = "";
	FILE *fp = fopen(victim, "r");

	if (fp != NULL) {
		(void)!fgets(buf, sizeof(buf), fp);
		fclose(fp);
	}
	return strcmp(buf, "root's secret\n") == 0;
}

/*
 * Symlinks planted in DATA_DIR under the data file's name or its lock's:
 * the update fails with the reason, the symlink's target is untouched.
 */
static void
test_planted_symlinks_refused(void)
{
	char victim[64], lock[300], want[400];
	struct stat st;

	make_victim(victim, sizeof(victim));
	unlink(path);
	CHECK_INT(symlink(victim, path), 0);
	errno = 0;
	CHECK_INT(datafile_update(path, turn_tap_off, NULL), -1);
	CHECK_INT(errno, ELOOP);
	snprintf(want, sizeof(want), "%s: is a symbolic link", path);
	CHECK(strncmp(sf_error(), want, strlen(want)) == 0);
	CHECK_INT(datafile_write(path, &(struct datafile){ 0 }), -1);
	CHECK(lstat(path, &st) == 0 && S_ISLNK(st.st_mode));
	CHECK(victim_untouched(victim));
	unlink(path);
	snprintf(lock, sizeof(lock), "%s/.data_tap0.lock", dir);
	unlink(lock);
	CHECK_INT(symlink(victim, lock), 0);
	CHECK_INT(datafile_update(path, turn_tap_off, NULL), -1);
	snprintf(want, sizeof(want), "%s: is a symbolic link", lock);
	CHECK(strncmp(sf_error(), want, strlen(want)) == 0);
	CHECK(victim_untouched(victim));
	CHECK(access(path, F_OK) == -1);	/* nothing written */
	unlink(lock);
	unlink(victim);
}

static struct tap_conf taps[2] = {
	{ .tap = "tap0", .session = "lcsr", .bridge = "br0",
	  .uplink = "eth0.763", .uplink_parent = "eth0", .vlan_id = 763 },
	{ .tap = "tap1", .session = "lcsr2", .bridge = "br1",
	  .uplink = "eth1", .vlan_id = 0 },
};

static void
make_conf(struct config *conf)
{
	memset(conf, 0, sizeof(*conf));
	snprintf(conf->path, sizeof(conf->path), "test.conf");
	snprintf(conf->data_dir, sizeof(conf->data_dir), "%s/", dir);
	conf->taps = taps;
	conf->ntaps = 2;
}

static void
test_switch_syntax(void)
{
	struct config conf;
	struct switch_request r;
	char err[256];
	char *a1[] = { "tap1" };
	char *a2[] = { "vlan763", "local", "br" };
	char *a3[] = { "763", "listener", "remote" };
	char *a4[] = { "tap7" };
	char *a5[] = { "local", "both" };
	char *a6[] = { "bogus" };

	make_conf(&conf);
	CHECK_INT(switches_parse(&conf, 0, 0, NULL, &r, err, sizeof(err)), 0);
	CHECK(r.tap == NULL && r.scope == SCOPE_BOTH && r.on == 0);
	CHECK(r.sw[SW_SERVICE] && r.sw[SW_LISTENER]);
	CHECK_INT(switches_parse(&conf, 1, 1, a1, &r, err, sizeof(err)), 0);
	CHECK(r.tap == &taps[1] && r.on == 1);
	CHECK_INT(switches_parse(&conf, 0, 3, a2, &r, err, sizeof(err)), 0);
	CHECK(r.tap == &taps[0] && r.scope == SCOPE_LOCAL);
	CHECK(r.sw[SW_BRIDGE] && !r.sw[SW_SERVICE]);
	CHECK_INT(switches_parse(&conf, 0, 3, a3, &r, err, sizeof(err)), 0);
	CHECK(r.tap == &taps[0] && r.scope == SCOPE_REMOTE);
	CHECK(r.sw[SW_LISTENER] && !r.sw[SW_TAP]);
	CHECK_INT(switches_parse(&conf, 0, 1, a4, &r, err, sizeof(err)), -1);
	CHECK_STR(err, "tap7: no such tap or VLAN in test.conf");
	CHECK_INT(switches_parse(&conf, 0, 2, a5, &r, err, sizeof(err)), -1);
	CHECK_STR(err, "unexpected \"both\"");
	CHECK_INT(switches_parse(&conf, 0, 1, a6, &r, err, sizeof(err)), -1);
	CHECK_STR(err, "unexpected \"bogus\"");
}

static void
test_switch_apply_local(void)
{
	struct config conf;
	struct switch_request r;
	struct datafile df;
	char err[256], p1[300];
	char *args[] = { "tap1", "vlan" };
	FILE *out = fopen("/dev/null", "w");

	make_conf(&conf);
	CHECK_INT(switches_parse(&conf, 0, 2, args, &r, err, sizeof(err)), 0);
	CHECK_INT(switches_apply_local(&conf, &r, out), 0);
	snprintf(p1, sizeof(p1), "%s/data_tap1", dir);
	CHECK_INT(datafile_read(p1, &df, err, sizeof(err)), 0);
	CHECK_INT(df.sw[SW_VLAN], 0);
	CHECK_INT(df.sw[SW_BRIDGE], 1);
	snprintf(p1, sizeof(p1), "%s/data_tap0", dir);
	CHECK(access(p1, F_OK) == -1);		/* other tap untouched */
	CHECK_INT(switches_set(&conf, "tap1", SW_VLAN, 1), 0);
	snprintf(p1, sizeof(p1), "%s/data_tap1", dir);
	CHECK_INT(datafile_read(p1, &df, err, sizeof(err)), 0);
	CHECK_INT(df.sw[SW_VLAN], 1);
	fclose(out);
}

int
main(void)
{
	char cmd[300];

	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(path, sizeof(path), "%s/data_tap0", dir);
	RUN(test_missing_file_gives_defaults);
	RUN(test_round_trip);
	RUN(test_corrupt_file_reported_defaults);
	RUN(test_update_rebuilds_corrupt_file);
	RUN(test_planted_symlinks_refused);
	unlink(path);
	RUN(test_switch_syntax);
	RUN(test_switch_apply_local);
	snprintf(cmd, sizeof(cmd), "%s", dir);
	/* Remove what the tests wrote. */
	unlink(path);
	snprintf(path, sizeof(path), "%s/data_tap1", dir); unlink(path);
	snprintf(path, sizeof(path), "%s/.data_tap0.lock", dir); unlink(path);
	snprintf(path, sizeof(path), "%s/.data_tap1.lock", dir); unlink(path);
	rmdir(dir);
	return unit_done();
}
