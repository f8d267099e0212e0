/*
 * status: a table (or JSON) of every tap's state, from the data files.
 */
#include <sys/file.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "datafile.h"
#include "status.h"

pid_t
status_daemon_pid(const struct config *conf)
{
	char buf[32];
	ssize_t n;
	long pid;
	int fd, locked;

	if ((fd = open(conf->pid_file, O_RDONLY | O_CLOEXEC)) == -1)
		return 0;
	locked = flock(fd, LOCK_SH | LOCK_NB) == -1 && errno == EWOULDBLOCK;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (!locked || n <= 0)
		return 0;
	buf[n] = '\0';
	pid = strtol(buf, NULL, 10);
	return pid > 0 ? (pid_t)pid : 0;
}

static void
format_time(time_t t, char *buf, size_t len)
{
	struct tm tm;

	if (t == 0) {
		snprintf(buf, len, "-");
		return;
	}
	localtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%S%z", &tm);
}

static void
read_tap(const struct config *conf, const struct tap_conf *tap,
    struct datafile *df)
{
	char path[PATH_MAX + 64], err[512];

	if (datafile_path(conf->data_dir, tap->tap, path, sizeof(path)) == -1 ||
	    datafile_read(path, df, err, sizeof(err)) != 0)
		datafile_defaults(df);
}

static void
switches_text(const struct datafile *df, char *buf, size_t len)
{
	int i, off = 0;

	buf[0] = '\0';
	for (i = 0; i < SW_MAX; i++)
		if (!df->sw[i])
			off = 1;
	if (!off) {
		snprintf(buf, len, "all on");
		return;
	}
	for (i = 0; i < SW_MAX; i++)
		if (!df->sw[i])
			snprintf(buf + strlen(buf), len - strlen(buf),
			    "%s%s", buf[0] ? "," : "", switch_name(i));
	snprintf(buf + strlen(buf), len - strlen(buf), " off");
}

static void
print_probe(const struct datafile *df, FILE *out)
{
	if (!df->probe.valid)
		return;
	fprintf(out, "    probes:      path %s, rtt %.1f ms (smoothed %.1f), "
	    "loss %.1f%% over the last minute\n", df->probe.up ? "up" : "DOWN",
	    df->probe.rtt_ms, df->probe.srtt_ms, df->probe.loss * 100);
}

static void
print_peer(const struct status_peer *peer, FILE *out)
{
	struct datafile df;
	char sw[80];

	if (peer == NULL)
		return;
	if (!peer->known) {
		fprintf(out, "    peer:        %s\n", peer->why);
		return;
	}
	memcpy(df.sw, peer->sw, sizeof(df.sw));
	switches_text(&df, sw, sizeof(sw));
	fprintf(out, "    peer:        switches %s\n", sw);
}

static void
print_table(const struct config *conf, pid_t pid,
    const struct status_peer *peers, FILE *out)
{
	struct datafile df;
	char sw[80], when[40];
	size_t i;
	int c;

	fprintf(out, "vtundfix %s: %s", machine_name(conf->machine),
	    pid ? "running" : "not running");
	if (pid)
		fprintf(out, " (pid %d)", (int)pid);
	fprintf(out, ", %s\n\n%-8s %-12s", conf->path, "TAP", "SESSION");
	for (c = 0; c < CHK_MAX; c++)
		fprintf(out, " %-8s", check_name(c));
	fprintf(out, " SWITCHES\n");
	for (i = 0; i < conf->ntaps; i++) {
		read_tap(conf, &conf->taps[i], &df);
		switches_text(&df, sw, sizeof(sw));
		fprintf(out, "%-8s %-12s", conf->taps[i].tap,
		    conf->taps[i].session);
		for (c = 0; c < CHK_MAX; c++)
			fprintf(out, " %-8s", check_state_name(df.state[c]));
		fprintf(out, " %s\n", sw);
		if (df.fault[0]) {
			format_time(df.fault_time, when, sizeof(when));
			fprintf(out, "    last fault:  %s %s\n", when, df.fault);
		}
		if (df.repair[0]) {
			format_time(df.repair_time, when, sizeof(when));
			fprintf(out, "    last repair: %s %s\n", when, df.repair);
		}
		print_probe(&df, out);
		print_peer(peers ? &peers[i] : NULL, out);
	}
}

/* A JSON string: quotes, backslashes and control characters escaped. */
static void
json_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			fprintf(out, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(out, "\\u%04x", ch);
		else
			fputc(ch, out);
	}
	fputc('"', out);
}

static void
json_event(FILE *out, const char *key, time_t t, const char *text)
{
	char when[40];

	fprintf(out, ",\"%s\":", key);
	if (text[0] == '\0') {
		fprintf(out, "null");
		return;
	}
	format_time(t, when, sizeof(when));
	fprintf(out, "{\"time\":");
	json_string(out, when);
	fprintf(out, ",\"text\":");
	json_string(out, text);
	fputc('}', out);
}

static void
json_switches(FILE *out, const int *sw)
{
	int c;

	fputc('{', out);
	for (c = 0; c < SW_MAX; c++)
		fprintf(out, "%s\"%s\":%s", c ? "," : "", switch_name(c),
		    sw[c] ? "true" : "false");
	fputc('}', out);
}

static void
json_probe(FILE *out, const struct datafile *df)
{
	fprintf(out, ",\"probe\":");
	if (!df->probe.valid) {
		fprintf(out, "null");
		return;
	}
	fprintf(out, "{\"up\":%s,\"rtt_ms\":%.3f,\"srtt_ms\":%.3f,"
	    "\"loss\":%.4f}", df->probe.up ? "true" : "false",
	    df->probe.rtt_ms, df->probe.srtt_ms, df->probe.loss);
}

static void
json_peer(FILE *out, const struct status_peer *peer)
{
	if (peer == NULL)
		return;
	fprintf(out, ",\"peer\":{\"switches\":");
	if (peer->known)
		json_switches(out, peer->sw);
	else
		fprintf(out, "null");
	fprintf(out, ",\"error\":");
	if (peer->known)
		fprintf(out, "null");
	else
		json_string(out, peer->why);
	fputc('}', out);
}

static void
json_tap(FILE *out, const struct tap_conf *tap, const struct datafile *df,
    const struct status_peer *peer)
{
	char when[40];
	int c;

	fprintf(out, "{\"tap\":");
	json_string(out, tap->tap);
	fprintf(out, ",\"session\":");
	json_string(out, tap->session);
	fprintf(out, ",\"bridge\":");
	json_string(out, tap->bridge);
	fprintf(out, ",\"uplink\":");
	json_string(out, tap->uplink);
	fprintf(out, ",\"checks\":{");
	for (c = 0; c < CHK_MAX; c++) {
		format_time(df->since[c], when, sizeof(when));
		fprintf(out, "%s\"%s\":{\"state\":\"%s\",\"since\":",
		    c ? "," : "", check_name(c), check_state_name(df->state[c]));
		if (df->since[c])
			json_string(out, when);
		else
			fprintf(out, "null");
		fprintf(out, ",\"repairs\":%lu}", df->repairs[c]);
	}
	fprintf(out, "},\"switches\":");
	json_switches(out, df->sw);
	json_event(out, "last_fault", df->fault_time, df->fault);
	json_event(out, "last_repair", df->repair_time, df->repair);
	json_probe(out, df);
	json_peer(out, peer);
	fputc('}', out);
}

static void
print_json(const struct config *conf, pid_t pid,
    const struct status_peer *peers, FILE *out)
{
	struct datafile df;
	size_t i;

	fprintf(out, "{\"version\":1,\"machine\":\"%s\",\"config\":",
	    machine_name(conf->machine));
	json_string(out, conf->path);
	fprintf(out, ",\"running\":%s,\"pid\":", pid ? "true" : "false");
	if (pid)
		fprintf(out, "%d", (int)pid);
	else
		fprintf(out, "null");
	fprintf(out, ",\"taps\":[");
	for (i = 0; i < conf->ntaps; i++) {
		read_tap(conf, &conf->taps[i], &df);
		if (i)
			fputc(',', out);
		json_tap(out, &conf->taps[i], &df, peers ? &peers[i] : NULL);
	}
	fprintf(out, "]}\n");
}

int
status_print(const struct config *conf, int json,
    const struct status_peer *peers, FILE *out)
{
	pid_t pid = status_daemon_pid(conf);

	if (json)
		print_json(conf, pid, peers, out);
	else
		print_table(conf, pid, peers, out);
	return pid ? 0 : 3;
}
