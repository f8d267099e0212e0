/*
 * datafile: DATA_DIR/data_tapN, the seed's per-tap data file.
 *
 * Human-readable lines: the switches, the previous counters of the seed's
 * liveness rule, each check's last state and the last fault and repair.
 * `vtundfix on|off` and the tap's worker both change it, so every change is
 * a locked read-modify-write (flock on DATA_DIR/.data_tapN.lock) and the
 * file is replaced atomically (temp file + fsync + rename, mode 0640).  A
 * corrupt file is reported and read as safe defaults (every switch on).
 *
 * The data file and its lock are opened as safefile.h says: a symlink, a
 * hard link or a file of another account under their names is refused
 * (the call fails, nothing changes, sf_error() says why).
 */
#ifndef VTUNDFIX_DATAFILE_H
#define VTUNDFIX_DATAFILE_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <time.h>

#include "checks.h"

enum switch_id {
	SW_SERVICE,
	SW_VLAN,
	SW_BRIDGE,
	SW_TAP,
	SW_LISTENER,
	SW_MAX
};

struct counters {
	uint64_t rx_packets, tx_packets;
};

/*
 * How fast faults of one check were handled: detection is from the event
 * that revealed the fault (link event, vtund exit, probe verdict) to the
 * check that saw it; recovery is from there to the check being healthy.
 */
struct latency {
	unsigned long	 count;
	uint64_t	 detect_ms_sum, recover_ms_sum;
	uint64_t	 detect_ms_last, recover_ms_last;
};

struct probe_figures {
	int		 valid;
	int		 up;			/* peer's probes arrive */
	double		 rtt_ms, srtt_ms;
	double		 loss;			/* ratio over the last minute */
	time_t		 updated;
};

struct datafile {
	int		 sw[SW_MAX];		/* 1 on, 0 off */
	int		 have_prev;
	struct counters	 prev_local, prev_remote;
	int		 prev_rounds;		/* rounds without flow */
	enum check_state state[CHK_MAX];
	time_t		 since[CHK_MAX];
	time_t		 fault_time;
	char		 fault[256];		/* "bridge: br0 does not exist" */
	time_t		 repair_time;
	char		 repair[256];		/* "bridge: created br0: ok" */
	unsigned long	 repairs[CHK_MAX];	/* repairs done, by check */
	struct latency	 latency[CHK_MAX];	/* of the repaired faults */
	struct probe_figures probe;		/* in-tunnel probes */
};

void	 datafile_defaults(struct datafile *);
/* DATA_DIR + "data_" + TAP into BUF; -1 if it does not fit. */
int	 datafile_path(const char *data_dir, const char *tap, char *buf,
	    size_t len);
/*
 * Read PATH.  A missing file gives the defaults and 0.  A corrupt one gives
 * the defaults, 1, and "PATH:LINE: message" in ERR.  -1 on I/O errors (ERR).
 */
int	 datafile_read(const char *path, struct datafile *, char *err,
	    size_t errlen);
/* The same for an open stream; NAME is what messages call it. */
int	 datafile_parse(FILE *, const char *name, struct datafile *,
	    char *err, size_t errlen);
/*
 * The data file of TAP in DATA_DIR into *DF, or the defaults (every switch
 * on) when it is missing, corrupt or refused: for what only shows it
 * (status, metrics, the peer's answers).
 */
void	 datafile_load(const char *data_dir, const char *tap,
	    struct datafile *);
/* Atomically replace PATH; 0 or -1 (errno, sf_error()). */
int	 datafile_write(const char *path, const struct datafile *);
/*
 * Locked read-modify-write: read PATH, call FN, write it back if FN returns
 * non-zero.  Returns -1 on I/O errors and refused files (errno,
 * sf_error()), else 0.
 */
int	 datafile_update(const char *path,
	    int (*fn)(struct datafile *, void *), void *arg);

const char *switch_name(enum switch_id);
/* "service", "tap", "vlan", "bridge" or "br", "listener"; -1 if none. */
int	 switch_parse(const char *word);
const char *check_name(enum check_id);
const char *check_state_name(enum check_state);

#endif
