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
#include "tunnel.h"

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

void
status_reports_from_files(const struct config *conf, struct tap_report *r)
{
	size_t i;

	for (i = 0; i < conf->ntaps; i++) {
		memset(&r[i], 0, sizeof(r[i]));
		snprintf(r[i].tap, sizeof(r[i].tap), "%s", conf->taps[i].tap);
		r[i].tunnel_state = -1;
		datafile_load(conf->data_dir, conf->taps[i].tap, &r[i].df);
	}
}

/* The report of TAP among R, or NULL (its worker did not answer). */
static const struct tap_report *
report_of(const struct tap_conf *tap, const struct tap_report *r, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(r[i].tap, tap->tap) == 0)
			return &r[i];
	return NULL;
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
print_tunnel(const struct tap_report *r, FILE *out)
{
	char when[40];

	if (r->tunnel_state == STATUS_NO_ANSWER)
		fprintf(out, "    worker:      did not answer\n");
	if (r->tunnel_state < 0)
		return;
	format_time(r->tunnel_since, when, sizeof(when));
	fprintf(out, "    tunnel:      %s since %s: %s\n",
	    tunnel_state_name(r->tunnel_state), when, r->tunnel_why);
	if (!r->probe.valid)
		return;
	fprintf(out, "    probes:      rtt %.1f ms (smoothed %.1f), loss "
	    "%.1f%% over the last minute, %lu rejected%s%s\n", r->probe.rtt_ms,
	    r->probe.srtt_ms, r->probe.loss * 100, r->probe.dropped,
	    r->probe.last_drop[0] ? ", last: " : "", r->probe.last_drop);
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
print_table(const struct config *conf, pid_t pid, const struct tap_report *r,
    size_t nr, const struct status_peer *peers, FILE *out)
{
	const struct tap_report *rep;
	const struct datafile *df;
	char sw[80], when[40], text[sizeof(r->df.fault)];
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
		if ((rep = report_of(&conf->taps[i], r, nr)) == NULL)
			continue;	/* not asked for */
		df = &rep->df;
		switches_text(df, sw, sizeof(sw));
		fprintf(out, "%-8s %-12s", conf->taps[i].tap,
		    conf->taps[i].session);
		for (c = 0; c < CHK_MAX; c++)
			fprintf(out, " %-8s", check_state_name(df->state[c]));
		fprintf(out, " %s\n", sw);
		if (df->fault[0]) {
			format_time(df->fault_time, when, sizeof(when));
			status_clean(df->fault, text, sizeof(text));
			fprintf(out, "    last fault:  %s %s\n", when, text);
		}
		if (df->repair[0]) {
			format_time(df->repair_time, when, sizeof(when));
			status_clean(df->repair, text, sizeof(text));
			fprintf(out, "    last repair: %s %s\n", when, text);
		}
		print_tunnel(rep, out);
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
json_tunnel(FILE *out, const struct tap_report *r)
{
	char when[40];

	fprintf(out, ",\"tunnel\":");
	if (r->tunnel_state < 0) {
		fprintf(out, "null");
	} else {
		format_time(r->tunnel_since, when, sizeof(when));
		fprintf(out, "{\"state\":\"%s\",\"since\":",
		    tunnel_state_name(r->tunnel_state));
		json_string(out, when);
		fprintf(out, ",\"why\":");
		json_string(out, r->tunnel_why);
		fputc('}', out);
	}
	fprintf(out, ",\"probe\":");
	if (!r->probe.valid || r->tunnel_state < 0) {
		fprintf(out, "null");
		return;
	}
	fprintf(out, "{\"up\":%s,\"rtt_ms\":%.3f,\"srtt_ms\":%.3f,"
	    "\"loss\":%.4f,\"rejected\":%lu}",
	    r->tunnel_state == TS_UP ? "true" : "false", r->probe.rtt_ms,
	    r->probe.srtt_ms, r->probe.loss, r->probe.dropped);
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
json_tap(FILE *out, const struct tap_conf *tap, const struct tap_report *r,
    const struct status_peer *peer)
{
	const struct datafile *df = &r->df;
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
	json_tunnel(out, r);
	json_peer(out, peer);
	fputc('}', out);
}

static void
print_json(const struct config *conf, pid_t pid, const struct tap_report *r,
    size_t nr, const struct status_peer *peers, FILE *out)
{
	const struct tap_report *rep;
	size_t i, n = 0;

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
		if ((rep = report_of(&conf->taps[i], r, nr)) == NULL)
			continue;
		if (n++)
			fputc(',', out);
		json_tap(out, &conf->taps[i], rep, peers ? &peers[i] : NULL);
	}
	fprintf(out, "]}\n");
}

void
status_print_reports(const struct config *conf, pid_t pid,
    const struct tap_report *r, size_t n, int json,
    const struct status_peer *peers, FILE *out)
{
	if (json)
		print_json(conf, pid, r, n, peers, out);
	else
		print_table(conf, pid, r, n, peers, out);
}

int
status_print(const struct config *conf, int json,
    const struct status_peer *peers, FILE *out)
{
	pid_t pid = status_daemon_pid(conf);
	struct tap_report *r = calloc(conf->ntaps + 1, sizeof(*r));

	if (r == NULL)
		return 1;
	status_reports_from_files(conf, r);
	status_print_reports(conf, pid, r, conf->ntaps, json, peers, out);
	free(r);
	return pid ? 0 : 3;
}

void
status_clean(const char *in, char *out, size_t len)
{
	size_t i = 0;

	for (; *in != '\0' && i + 1 < len; in++)
		out[i++] = (unsigned char)*in < 0x20 || *in == 0x7f ? '?' : *in;
	out[i] = '\0';
}
