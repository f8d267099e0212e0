/*
 * check 7 (server): the vtund listener runs; if not, run LISTENER_START.
 *
 * There is one listener for all sessions, but every worker checks it (seed).
 * So that two workers never start two listeners, the start happens under a
 * lock (DATA_DIR/.listener.lock) and not again within LISTENER_GRACE_S of
 * the last start, whose time the lock file keeps (an empty lock file: never
 * started).
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tapcheck.h"
#include "exec.h"
#include "log.h"
#include "processes.h"
#include "safefile.h"

#define LISTENER_GRACE_S	2
#define START_SETTLE_MS		300

/*
 * The listener: the one we know, re-read; else the process view's answer;
 * else ask it (-2: wait for the answer, which runs the round again).
 * FRESH: the answer must be as of now (before starting one).
 */
static int
listener_running(struct tapcheck *tc, int fresh)
{
	struct vtund_proc p[4];
	int n;

	if (tc->view.side == 'l' && tc->view.seq != tc->view_used[1]) {
		tc->view_used[1] = tc->view.seq;
		if (tc->view.n > 0)
			tc->listener = tc->view.p[0];
		else
			memset(&tc->listener, 0, sizeof(tc->listener));
		return tc->view.n > 0;
	}
	if (tc->listener.pid > 0 && procs_refresh(&tc->listener) == 0 &&
	    tc->listener.kind == VTUND_LISTENER)
		return 1;
	memset(&tc->listener, 0, sizeof(tc->listener));
	if (tc->ask_procs == NULL) {	/* no supervisor: look ourselves */
		n = procs_find_listener(p, 4);
		if (n > 0)
			tc->listener = p[0];
		return n > 0;
	}
	if (!tc->view.pending && tc->ask_procs('l', fresh) == -1)
		return -1;
	recheck_in(tc, 500);
	return -2;
}

/* Start the listener unless another worker just did; 1 if started. */
static int
start_listener(struct tapcheck *tc, char *action, size_t len)
{
	char lock[PATH_MAX + 16];
	struct stat st;
	pid_t pid = 0;
	int fd;

	snprintf(lock, sizeof(lock), "%s.listener.lock", tc->conf->data_dir);
	if ((fd = sf_open_lock(lock, 0640)) == -1) {
		snprintf(action, len, "%s", sf_error());
		return -1;
	}
	if (flock(fd, LOCK_EX) == -1) {
		snprintf(action, len, "%s: %s", lock, strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	/* Under the lock, the whole truth: a scan (a listener starts rarely). */
	if (procs_find_listener(NULL, 0) == 0 && (fstat(fd, &st) == -1 ||
	    st.st_size == 0 || time(NULL) - st.st_mtime >= LISTENER_GRACE_S)) {
		pid = exec_spawn(tc->conf->listener_start.argv);
		if (ftruncate(fd, 0) == 0)
			dprintf(fd, "%lld\n", (long long)time(NULL));
	}
	close(fd);
	if (pid == -1)
		snprintf(action, len, "running %s: %s",
		    tc->conf->listener_start.argv[0], strerror(errno));
	else
		snprintf(action, len, "ran %s", tc->conf->listener_start.argv[0]);
	return pid > 0 ? 1 : pid;
}

enum check_result
check_listener(struct tapcheck *tc)
{
	char action[PATH_MAX + 64];
	int r = listener_running(tc, 1);

	if (r == -2)
		return CR_WAIT;
	if (r == 1)
		return CR_OK;
	if (!repair_allowed(tc, CHK_LISTENER)) {
		check_fault(tc, CHK_LISTENER, "no vtund listener");
		return CR_FAULT;
	}
	r = start_listener(tc, action, sizeof(action));
	if (r == 0) {
		/* Another worker started it a moment ago. */
		recheck_in(tc, START_SETTLE_MS);
		return CR_WAIT;
	}
	repair_done(tc, CHK_LISTENER, "no vtund listener", action, r == 1,
	    START_SETTLE_MS);
	return CR_REPAIRED;
}
