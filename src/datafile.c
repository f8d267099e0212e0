/*
 * datafile: read and write DATA_DIR/data_tapN.
 *
 *	# vtundfix data file for tap0 ...
 *	switch service on
 *	counters 10 12 9 11 0		local rx tx, remote rx tx, rounds
 *	state bridge ok 1732490000
 *	repairs bridge 3
 *	fault 1732490000 bridge: br0 does not exist
 *	repair 1732490000 bridge: created br0: ok
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "datafile.h"
#include "safefile.h"

static const char *switch_names[SW_MAX] = {
	"service", "vlan", "bridge", "tap", "listener"
};
static const char *check_names[CHK_MAX] = {
	"client", "uplink", "bridge", "tap", "tunnel", "forward", "listener"
};
static const char *state_names[] = {
	"unknown", "ok", "fault", "off", "n/a"
};

const char *
switch_name(enum switch_id sw)
{
	return sw < SW_MAX ? switch_names[sw] : "?";
}

int
switch_parse(const char *word)
{
	int i;

	if (strcmp(word, "br") == 0)
		return SW_BRIDGE;
	for (i = 0; i < SW_MAX; i++)
		if (strcmp(word, switch_names[i]) == 0)
			return i;
	return -1;
}

const char *
check_name(enum check_id c)
{
	return c < CHK_MAX ? check_names[c] : "?";
}

const char *
check_state_name(enum check_state s)
{
	return s <= CS_NA ? state_names[s] : "?";
}

static int
check_parse(const char *word)
{
	int i;

	for (i = 0; i < CHK_MAX; i++)
		if (strcmp(word, check_names[i]) == 0)
			return i;
	return -1;
}

static int
state_parse(const char *word)
{
	int i;

	for (i = 0; i <= CS_NA; i++)
		if (strcmp(word, state_names[i]) == 0)
			return i;
	return -1;
}

void
datafile_defaults(struct datafile *df)
{
	int i;

	memset(df, 0, sizeof(*df));
	for (i = 0; i < SW_MAX; i++)
		df->sw[i] = 1;
}

int
datafile_path(const char *data_dir, const char *tap, char *buf, size_t len)
{
	int n;

	n = snprintf(buf, len, "%s%sdata_%s", data_dir,
	    data_dir[0] && data_dir[strlen(data_dir) - 1] == '/' ? "" : "/",
	    tap);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

/* "latency CHECK COUNT DETECT-SUM RECOVER-SUM DETECT-LAST RECOVER-LAST" */
static int
parse_latency(const char *line, struct datafile *df)
{
	unsigned long long a, b, c, d;
	unsigned long count;
	char word[32];
	int i, n;

	if (sscanf(line, "latency %31s %lu %llu %llu %llu %llu%n", word,
	    &count, &a, &b, &c, &d, &n) != 6 || line[n] != '\0' ||
	    (i = check_parse(word)) == -1)
		return -1;
	df->latency[i].count = count;
	df->latency[i].detect_ms_sum = a;
	df->latency[i].recover_ms_sum = b;
	df->latency[i].detect_ms_last = c;
	df->latency[i].recover_ms_last = d;
	return 0;
}

/* "probe up|down RTT SRTT LOSS UPDATED" */
static int
parse_probe(const char *line, struct datafile *df)
{
	struct probe_figures *p = &df->probe;
	char state[8];
	long long t;
	int n;

	if (sscanf(line, "probe %7s %lf %lf %lf %lld%n", state, &p->rtt_ms,
	    &p->srtt_ms, &p->loss, &t, &n) != 5 || line[n] != '\0' ||
	    (strcmp(state, "up") != 0 && strcmp(state, "down") != 0))
		return -1;
	p->valid = 1;
	p->up = strcmp(state, "up") == 0;
	p->updated = (time_t)t;
	return 0;
}

/* Parse one line into DF; -1 if it is not a valid line. */
static int
parse_line(char *line, struct datafile *df)
{
	char word[32], arg[32], text[256];
	unsigned long long a, b, c, d;
	long long t;
	int i, n, rounds;

	if (line[0] == '#' || line[0] == '\0')
		return 0;
	if (sscanf(line, "switch %31s %31s%n", word, arg, &n) == 2 &&
	    line[n] == '\0') {
		if ((i = switch_parse(word)) == -1 ||
		    (strcmp(arg, "on") != 0 && strcmp(arg, "off") != 0))
			return -1;
		df->sw[i] = strcmp(arg, "on") == 0;
		return 0;
	}
	if (sscanf(line, "counters %llu %llu %llu %llu %d%n", &a, &b, &c, &d,
	    &rounds, &n) == 5 && line[n] == '\0' && rounds >= 0) {
		df->have_prev = 1;
		df->prev_local.rx_packets = a;
		df->prev_local.tx_packets = b;
		df->prev_remote.rx_packets = c;
		df->prev_remote.tx_packets = d;
		df->prev_rounds = rounds;
		return 0;
	}
	if (sscanf(line, "state %31s %31s %lld%n", word, arg, &t, &n) == 3 &&
	    line[n] == '\0') {
		if ((i = check_parse(word)) == -1 || state_parse(arg) == -1)
			return -1;
		df->state[i] = state_parse(arg);
		df->since[i] = (time_t)t;
		return 0;
	}
	if (sscanf(line, "repairs %31s %llu%n", word, &a, &n) == 2 &&
	    line[n] == '\0') {
		if ((i = check_parse(word)) == -1)
			return -1;
		df->repairs[i] = (unsigned long)a;
		return 0;
	}
	if (parse_latency(line, df) == 0 || parse_probe(line, df) == 0)
		return 0;
	if (sscanf(line, "fault %lld %255[^\n]", &t, text) == 2) {
		df->fault_time = (time_t)t;
		snprintf(df->fault, sizeof(df->fault), "%s", text);
		return 0;
	}
	if (sscanf(line, "repair %lld %255[^\n]", &t, text) == 2) {
		df->repair_time = (time_t)t;
		snprintf(df->repair, sizeof(df->repair), "%s", text);
		return 0;
	}
	return -1;
}

int
datafile_parse(FILE *fp, const char *name, struct datafile *df, char *err,
    size_t errlen)
{
	char line[512];
	int lineno = 0;

	datafile_defaults(df);
	while (fgets(line, sizeof(line), fp) != NULL) {
		size_t len = strlen(line);
		int too_long = 0;

		lineno++;
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		else if (!feof(fp))
			too_long = 1;	/* longer than any line we write */
		if (too_long || parse_line(line, df) == -1) {
			snprintf(err, errlen, "%s:%d: unreadable line, using "
			    "defaults (every switch on)", name, lineno);
			datafile_defaults(df);
			return 1;
		}
	}
	return 0;
}

int
datafile_read(const char *path, struct datafile *df, char *err, size_t errlen)
{
	FILE *fp;
	int r;

	datafile_defaults(df);
	if ((fp = sf_fopen_read(path)) == NULL) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "%s", sf_error());
		return -1;
	}
	r = datafile_parse(fp, path, df, err, errlen);
	fclose(fp);
	return r;
}

void
datafile_load(const char *data_dir, const char *tap, struct datafile *df)
{
	char path[PATH_MAX + 64], err[512];

	if (datafile_path(data_dir, tap, path, sizeof(path)) == -1 ||
	    datafile_read(path, df, err, sizeof(err)) != 0)
		datafile_defaults(df);
}

static void
format_file(FILE *fp, const struct datafile *df)
{
	int i;

	fprintf(fp, "# vtundfix data file: written by vtundfix, switches are "
	    "changed with `vtundfix on|off`\n");
	for (i = 0; i < SW_MAX; i++)
		fprintf(fp, "switch %s %s\n", switch_names[i],
		    df->sw[i] ? "on" : "off");
	if (df->have_prev)
		fprintf(fp, "counters %" PRIu64 " %" PRIu64 " %" PRIu64 " %"
		    PRIu64 " %d\n", df->prev_local.rx_packets,
		    df->prev_local.tx_packets, df->prev_remote.rx_packets,
		    df->prev_remote.tx_packets, df->prev_rounds);
	for (i = 0; i < CHK_MAX; i++) {
		if (df->state[i] != CS_UNKNOWN)
			fprintf(fp, "state %s %s %lld\n", check_names[i],
			    state_names[df->state[i]],
			    (long long)df->since[i]);
		if (df->repairs[i])
			fprintf(fp, "repairs %s %lu\n", check_names[i],
			    df->repairs[i]);
		if (df->latency[i].count)
			fprintf(fp, "latency %s %lu %" PRIu64 " %" PRIu64 " %"
			    PRIu64 " %" PRIu64 "\n", check_names[i],
			    df->latency[i].count, df->latency[i].detect_ms_sum,
			    df->latency[i].recover_ms_sum,
			    df->latency[i].detect_ms_last,
			    df->latency[i].recover_ms_last);
	}
	if (df->probe.valid)
		fprintf(fp, "probe %s %.3f %.3f %.4f %lld\n",
		    df->probe.up ? "up" : "down", df->probe.rtt_ms,
		    df->probe.srtt_ms, df->probe.loss,
		    (long long)df->probe.updated);
	if (df->fault[0])
		fprintf(fp, "fault %lld %s\n", (long long)df->fault_time,
		    df->fault);
	if (df->repair[0])
		fprintf(fp, "repair %lld %s\n", (long long)df->repair_time,
		    df->repair);
}

static int
fill_file(FILE *fp, void *df)
{
	format_file(fp, df);
	return 0;
}

int
datafile_write(const char *path, const struct datafile *df)
{
	return sf_replace(path, 0640, SF_SYNC, fill_file, (void *)df);
}

/* Take the lock beside PATH: DIR/.NAME.lock. */
static int
lock_datafile(const char *path, int made_dir)
{
	char lock[4200];
	const char *base = strrchr(path, '/');
	int fd;

	base = base ? base + 1 : path;
	snprintf(lock, sizeof(lock), "%.*s.%s.lock", (int)(base - path), path,
	    base);
	fd = sf_open_lock(lock, 0640);
	if (fd == -1 && errno == ENOENT && base > path && !made_dir) {
		/* DATA_DIR not made yet (the daemon never ran): make it. */
		snprintf(lock, sizeof(lock), "%.*s", (int)(base - path), path);
		if (mkdir(lock, 0750) == -1 && errno != EEXIST)
			return -1;
		return lock_datafile(path, 1);
	}
	if (fd == -1)
		return -1;
	if (flock(fd, LOCK_EX) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

int
datafile_update(const char *path, int (*fn)(struct datafile *, void *),
    void *arg)
{
	struct datafile df;
	char err[512];
	int fd, rc = 0;

	if ((fd = lock_datafile(path, 0)) == -1)
		return -1;
	if (datafile_read(path, &df, err, sizeof(err)) == -1 ||
	    (fn(&df, arg) && datafile_write(path, &df) == -1))
		rc = -1;
	close(fd);		/* releases the lock */
	return rc;
}
