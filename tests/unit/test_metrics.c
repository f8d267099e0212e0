/*
 * Unit tests for src/metrics.c: the exposition text, checked here for its
 * content and by promtool (Debian's prometheus package) for its format.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include "datafile.h"
#include "metrics.h"
#include "safefile.h"
#include "status.h"
#include "tunnel.h"
#include "unit.h"

static char dir[] = "/tmp/vfx-metrics-XXXXXX";

static struct tap_conf taps[2] = {
	{ .tap = "tap0", .session = "lcsr", .bridge = "br0",
	  .uplink = "eth0.763", .uplink_parent = "eth0", .vlan_id = 763 },
	{ .tap = "tap1", .session = "lcsr2", .bridge = "br1",
	  .uplink = "eth1" },
};

static void
make_conf(struct config *conf)
{
	memset(conf, 0, sizeof(*conf));
	snprintf(conf->data_dir, sizeof(conf->data_dir), "%s/", dir);
	snprintf(conf->metrics_file, sizeof(conf->metrics_file),
	    "%s/vtundfix.prom", dir);
	conf->taps = taps;
	conf->ntaps = 2;
}

static void
write_data(void)
{
	struct datafile df;
	char path[300];

	datafile_defaults(&df);
	df.state[CHK_BRIDGE] = CS_OK;
	df.state[CHK_LISTENER] = CS_NA;
	df.repairs[CHK_BRIDGE] = 4;
	df.repair_time = 1732490000;
	snprintf(df.repair, sizeof(df.repair), "bridge: created br0: ok");
	df.latency[CHK_BRIDGE].count = 4;
	df.latency[CHK_BRIDGE].detect_ms_sum = 2;
	df.latency[CHK_BRIDGE].recover_ms_sum = 60;
	df.probe.valid = 1;
	df.probe.up = 1;
	df.probe.rtt_ms = 1.5;
	df.probe.srtt_ms = 1.25;
	df.probe.loss = 0.01;
	df.sw[SW_VLAN] = 0;
	snprintf(path, sizeof(path), "%s/data_tap0", dir);
	CHECK_INT(datafile_write(path, &df), 0);
}

static char *
slurp(const char *path)
{
	static char buf[65536];
	FILE *fp = fopen(path, "r");
	size_t n;

	if (fp == NULL)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

static void
test_metrics_content(void)
{
	struct tap_report r[2], *t0 = &r[0];
	struct config conf;
	struct stat st;
	char *text;

	make_conf(&conf);
	write_data();
	/* tap0's worker answered (its report), tap1's did not (its file). */
	CHECK_INT(conf.ntaps, 2);
	status_reports_from_files(&conf, r);
	t0->tunnel_state = TS_UP;
	t0->probe.valid = 1;
	t0->probe.rtt_ms = 1.5;
	t0->probe.dropped = 3;
	CHECK_INT(metrics_write(&conf, t0, 1, 1), 0);
	CHECK_INT(stat(conf.metrics_file, &st), 0);
	CHECK_INT(st.st_mode & 0777, 0644);
	text = slurp(conf.metrics_file);
	CHECK(text != NULL);
	if (text == NULL)
		return;
	CHECK(strstr(text, "\nvtundfix_up 1\n") != NULL);
	CHECK(strstr(text, "vtundfix_check_state{tap=\"tap0\",session=\"lcsr\","
	    "check=\"bridge\",state=\"ok\"} 1\n") != NULL);
	CHECK(strstr(text, "vtundfix_repairs_total{tap=\"tap0\",session="
	    "\"lcsr\",check=\"bridge\"} 4\n") != NULL);
	CHECK(strstr(text, "vtundfix_switch_on{tap=\"tap0\",session=\"lcsr\","
	    "switch=\"vlan\"} 0\n") != NULL);
	CHECK(strstr(text, "vtundfix_probe_rtt_seconds{tap=\"tap0\",session="
	    "\"lcsr\"} 0.001500\n") != NULL);
	CHECK(strstr(text, "vtundfix_fault_recovery_seconds_sum{tap=\"tap0\","
	    "session=\"lcsr\",check=\"bridge\"} 0.060\n") != NULL);
	CHECK(strstr(text, "vtundfix_last_repair_timestamp_seconds{tap=\"tap0\""
	    ",session=\"lcsr\"} 1732490000\n") != NULL);
	/* Not applicable checks are left out. */
	CHECK(strstr(text, "check=\"listener\",state=\"ok\"} 0\n{tap=\"tap0\"")
	    == NULL);
	CHECK(strstr(text, "session=\"lcsr\",check=\"listener\"") == NULL);
	CHECK(strstr(text, "vtundfix_tunnel_state{tap=\"tap0\",session="
	    "\"lcsr\",state=\"up\"} 1\n") != NULL);
	CHECK(strstr(text, "vtundfix_probe_rejected_total{tap=\"tap0\","
	    "session=\"lcsr\"} 3\n") != NULL);
	/* tap1 has no report and no data file: defaults, no probe figures,
	 * no tunnel state. */
	CHECK(strstr(text, "vtundfix_probe_rtt_seconds{tap=\"tap1\"") == NULL);
	CHECK(strstr(text, "vtundfix_tunnel_state{tap=\"tap1\"") == NULL);
}

static void
test_promtool_accepts(void)
{
	struct config conf;
	char cmd[PATH_MAX + 64];
	int rc;

	if (access("/usr/bin/promtool", X_OK) != 0)
		SKIP("promtool not installed (Debian package prometheus)");
	make_conf(&conf);
	CHECK_INT(metrics_write(&conf, NULL, 0, 1), 0);
	snprintf(cmd, sizeof(cmd), "/usr/bin/promtool check metrics <%s",
	    conf.metrics_file);
	rc = system(cmd);
	CHECK(WIFEXITED(rc) && WEXITSTATUS(rc) == 0);
}

/*
 * The collector's directory is often writable by another account: a
 * symlink planted under METRICS_FILE's name is refused, its target and the
 * symlink stay as they were, and no temporary file is left.
 */
static void
test_planted_symlink_refused(void)
{
	char victim[64] = "/tmp/vfx-metrics-victim-XXXXXX", buf[64] = "";
	struct config conf;
	struct stat st;
	FILE *fp;
	int fd;

	make_conf(&conf);
	if ((fd = mkstemp(victim)) == -1)
		return;
	(void)!write(fd, "root's secret\n", 14);
	close(fd);
	unlink(conf.metrics_file);
	CHECK_INT(symlink(victim, conf.metrics_file), 0);
	CHECK_INT(metrics_write(&conf, NULL, 0, 1), -1);
	CHECK(strstr(sf_error(), "vtundfix.prom: is a symbolic link") != NULL);
	CHECK(lstat(conf.metrics_file, &st) == 0 && S_ISLNK(st.st_mode));
	if ((fp = fopen(victim, "r")) != NULL) {
		(void)!fgets(buf, sizeof(buf), fp);
		fclose(fp);
	}
	CHECK_STR(buf, "root's secret\n");
	unlink(conf.metrics_file);
	unlink(victim);
}

int
main(void)
{
	char path[300];

	if (mkdtemp(dir) == NULL)
		return 1;
	RUN(test_metrics_content);
	RUN(test_promtool_accepts);
	RUN(test_planted_symlink_refused);
	snprintf(path, sizeof(path), "%s/data_tap0", dir); unlink(path);
	snprintf(path, sizeof(path), "%s/.data_tap0.lock", dir); unlink(path);
	snprintf(path, sizeof(path), "%s/vtundfix.prom", dir); unlink(path);
	rmdir(dir);
	return unit_done();
}
