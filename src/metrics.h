/*
 * metrics: METRICS_FILE in the Prometheus textfile-collector format, for
 * node_exporter's --collector.textfile.directory.  Written atomically (temp
 * file + rename, safefile.h) by the supervisor from its workers' reports (a
 * tap whose worker does not answer, or every tap when the daemon stops,
 * from its data file), every METRICS_INTERVAL_S and when it stops.  One
 * prefix, vtundfix_; base units
 * (seconds, ratios); counters end in _total.
 */
#ifndef VTUNDFIX_METRICS_H
#define VTUNDFIX_METRICS_H

#include <stdio.h>

#include "config.h"

#define METRICS_INTERVAL_S	15

struct tap_report;

/* Write the metrics of every tap into FP, from the N reports R. */
void	 metrics_format(const struct config *conf, const struct tap_report *r,
	    size_t n, int up, FILE *fp);
/*
 * Replace conf->metrics_file atomically (sf_replace(): a planted symlink or
 * someone else's file there is refused); 0 or -1 (errno, sf_error()).
 */
int	 metrics_write(const struct config *conf, const struct tap_report *r,
	    size_t n, int up);

#endif
