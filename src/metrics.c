/*
 * metrics: Prometheus text exposition format, version 0.0.4.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "datafile.h"
#include "metrics.h"
#include "safefile.h"
#include "status.h"
#include "tunnel.h"

struct family {
	const char	*name;
	const char	*type;
	const char	*help;
};

static const struct family families[] = {
	{ "vtundfix_up", "gauge", "Whether the vtundfix daemon runs." },
	{ "vtundfix_check_state", "gauge",
	  "State of a check of a tap: 1 for the state it is in." },
	{ "vtundfix_switch_on", "gauge",
	  "Whether a switch of a tap is on (1) or off (0)." },
	{ "vtundfix_repairs_total", "counter",
	  "Repairs made, by tap and check." },
	{ "vtundfix_tunnel_up", "gauge",
	  "Whether data flows through the tunnel (1) or not (0)." },
	{ "vtundfix_probe_rtt_seconds", "gauge",
	  "Round-trip time of the last in-tunnel probe." },
	{ "vtundfix_probe_srtt_seconds", "gauge",
	  "Smoothed round-trip time of the in-tunnel probes." },
	{ "vtundfix_probe_loss_ratio", "gauge",
	  "Share of in-tunnel probes lost over the last minute." },
	{ "vtundfix_last_repair_timestamp_seconds", "gauge",
	  "Time of the last repair, seconds since the epoch." },
	{ "vtundfix_fault_detection_seconds", "summary",
	  "Time from the event that revealed a fault to its detection." },
	{ "vtundfix_fault_recovery_seconds", "summary",
	  "Time from the detection of a fault to the check being healthy." },
	{ "vtundfix_tunnel_state", "gauge",
	  "State of a tunnel's data path: 1 for the state it is in." },
	{ "vtundfix_probe_rejected_total", "counter",
	  "In-tunnel probe frames rejected (not authentic, replayed, "
	  "malformed)." },
};

enum { F_UP, F_STATE, F_SWITCH, F_REPAIRS, F_TUNNEL, F_RTT, F_SRTT, F_LOSS,
	F_LAST, F_DETECT, F_RECOVER, F_TSTATE, F_REJECTED, F_MAX };

static void
header(FILE *fp, int f)
{
	fprintf(fp, "# HELP %s %s\n# TYPE %s %s\n", families[f].name,
	    families[f].help, families[f].name, families[f].type);
}

/* A label value: backslash, double quote and newline escaped. */
static void
label(FILE *fp, const char *name, const char *value)
{
	fprintf(fp, "%s=\"", name);
	for (; *value; value++) {
		if (*value == '\\' || *value == '"')
			fprintf(fp, "\\%c", *value);
		else if (*value == '\n')
			fprintf(fp, "\\n");
		else
			fputc(*value, fp);
	}
	fputc('"', fp);
}

static void
tap_labels(FILE *fp, const struct tap_conf *t)
{
	label(fp, "tap", t->tap);
	fputc(',', fp);
	label(fp, "session", t->session);
}

static void
per_check(FILE *fp, int f, const struct tap_conf *t, const struct datafile *df)
{
	static const enum check_state states[] = { CS_OK, CS_FAULT, CS_OFF };
	const struct latency *l;
	size_t s;
	int c;

	for (c = 0; c < CHK_MAX; c++) {
		if (df->state[c] == CS_NA)
			continue;
		l = &df->latency[c];
		if (f == F_STATE) {
			for (s = 0; s < sizeof(states) / sizeof(states[0]); s++) {
				fprintf(fp, "%s{", families[f].name);
				tap_labels(fp, t);
				fprintf(fp, ",check=\"%s\",state=\"%s\"} %d\n",
				    check_name(c), check_state_name(states[s]),
				    df->state[c] == states[s]);
			}
			continue;
		}
		if (f == F_REPAIRS) {
			fprintf(fp, "%s{", families[f].name);
			tap_labels(fp, t);
			fprintf(fp, ",check=\"%s\"} %lu\n", check_name(c),
			    df->repairs[c]);
			continue;
		}
		fprintf(fp, "%s_sum{", families[f].name);
		tap_labels(fp, t);
		fprintf(fp, ",check=\"%s\"} %.3f\n", check_name(c),
		    (f == F_DETECT ? l->detect_ms_sum : l->recover_ms_sum) /
		    1000.0);
		fprintf(fp, "%s_count{", families[f].name);
		tap_labels(fp, t);
		fprintf(fp, ",check=\"%s\"} %lu\n", check_name(c), l->count);
	}
}

static void
tunnel_states(FILE *fp, const struct tap_conf *t, const struct tap_report *r)
{
	int s;

	if (r->tunnel_state < 0)
		return;
	for (s = 0; s < TS_MAX; s++) {
		fprintf(fp, "%s{", families[F_TSTATE].name);
		tap_labels(fp, t);
		fprintf(fp, ",state=\"%s\"} %d\n", tunnel_state_name(s),
		    r->tunnel_state == s);
	}
}

static void
per_tap(FILE *fp, int f, const struct tap_conf *t, const struct tap_report *r)
{
	const struct datafile *df = &r->df;
	int i, live = r->tunnel_state >= 0;

	if (f == F_STATE || f == F_REPAIRS || f == F_DETECT || f == F_RECOVER) {
		per_check(fp, f, t, df);
		return;
	}
	if (f == F_SWITCH) {
		for (i = 0; i < SW_MAX; i++) {
			fprintf(fp, "%s{", families[f].name);
			tap_labels(fp, t);
			fprintf(fp, ",switch=\"%s\"} %d\n", switch_name(i),
			    df->sw[i]);
		}
		return;
	}
	if (f == F_TSTATE) {
		tunnel_states(fp, t, r);
		return;
	}
	if (f == F_LAST && df->repair_time == 0)
		return;
	if ((f == F_RTT || f == F_SRTT || f == F_LOSS || f == F_REJECTED) &&
	    (!live || !r->probe.valid))
		return;
	if (f == F_TUNNEL && !live)
		return;
	fprintf(fp, "%s{", families[f].name);
	tap_labels(fp, t);
	fprintf(fp, "} ");
	if (f == F_TUNNEL)
		fprintf(fp, "%d\n", r->tunnel_state == TS_UP ||
		    r->tunnel_state == TS_SUSPECT);
	else if (f == F_RTT)
		fprintf(fp, "%.6f\n", r->probe.rtt_ms / 1000.0);
	else if (f == F_SRTT)
		fprintf(fp, "%.6f\n", r->probe.srtt_ms / 1000.0);
	else if (f == F_LOSS)
		fprintf(fp, "%.4f\n", r->probe.loss);
	else if (f == F_REJECTED)
		fprintf(fp, "%lu\n", r->probe.dropped);
	else
		fprintf(fp, "%lld\n", (long long)df->repair_time);
}

/* Every tap's report: the workers' where they answered, else the file's. */
static struct tap_report *
gather(const struct config *conf, const struct tap_report *r, size_t n)
{
	struct tap_report *all;
	size_t i, j;

	if ((all = calloc(conf->ntaps + 1, sizeof(*all))) == NULL)
		return NULL;
	status_reports_from_files(conf, all);
	for (i = 0; i < conf->ntaps; i++)
		for (j = 0; j < n; j++)
			if (strcmp(r[j].tap, conf->taps[i].tap) == 0)
				all[i] = r[j];
	return all;
}

void
metrics_format(const struct config *conf, const struct tap_report *r,
    size_t n, int up, FILE *fp)
{
	struct tap_report *all;
	size_t i;
	int f;

	header(fp, F_UP);
	fprintf(fp, "%s %d\n", families[F_UP].name, up);
	if ((all = gather(conf, r, n)) == NULL)
		return;
	for (f = F_STATE; f < F_MAX; f++) {
		header(fp, f);
		for (i = 0; i < conf->ntaps; i++)
			per_tap(fp, f, &conf->taps[i], &all[i]);
	}
	free(all);
}

struct metrics_arg {
	const struct config	*conf;
	const struct tap_report	*r;
	size_t			 n;
	int			 up;
};

static int
fill_file(FILE *fp, void *arg)
{
	const struct metrics_arg *m = arg;

	metrics_format(m->conf, m->r, m->n, m->up, fp);
	return 0;
}

/* No fsync: the file is rewritten every METRICS_INTERVAL_S anyway. */
int
metrics_write(const struct config *conf, const struct tap_report *r,
    size_t n, int up)
{
	struct metrics_arg m = { conf, r, n, up };

	if (conf->metrics_file[0] == '\0')
		return 0;
	return sf_replace(conf->metrics_file, 0644, 0, fill_file, &m);
}
