/*
 * workers: the supervisor's children, one per tap line (SPEC §2).
 *
 * Each child is watched through a pidfd and talked to over its own
 * socketpair (msg.h); it inherits no other descriptor of the supervisor.
 * A dead worker is respawned at once, with back-off on a crash loop.
 *
 * A reload is a swap, done at once and never in a nested loop: the new
 * set of tap lines is compared with the running one; workers whose line or
 * whose global settings changed are stopped (SIGTERM, SIGKILL after
 * WORKERS_STOP_MS), new ones start, and a new worker for a tap whose old
 * worker is still ending waits for that exit — so any number of reloads,
 * at any moment, leaves exactly one worker per tap.
 */
#ifndef VTUNDFIX_WORKERS_H
#define VTUNDFIX_WORKERS_H

#include <stddef.h>

#include "config.h"
#include "status.h"

#define WORKERS_STOP_MS		5000

/* Take CONF (the supervisor keeps it alive) and start every worker. */
void	 workers_start(const struct config *conf);
/* Swap to NEXT (kept alive by the caller until workers_idle_config()). */
void	 workers_reload(const struct config *next);
/* Stop every worker; ALL_GONE is called once none is left. */
void	 workers_stop(void (*all_gone)(void));
/* Every DELAY_PARENTCHECK: respawn what is missing (a lost event). */
void	 workers_audit(void);
void	 workers_signal(int sig);
size_t	 workers_running(void);

/* A link event: hand it to the workers of NAME ("" = all, an overrun). */
void	 workers_link_event(const char *name, int removed);
/* vtund processes may have changed: every worker looks (proc events). */
void	 workers_procs_changed(void);
/* A new vtund process of SESSION got its title (procview.h). */
void	 workers_procs_new(const char *session, int client);
/* The peer's switches of SESSION, for its worker. */
void	 workers_peer_switches(const char *session, const char *text);

/* Forward a scoped request line to SESSION's worker; CB gets the reply. */
typedef void (*worker_reply)(const char *reply, void *arg);
int	 workers_ask(const char *session, const char *line, worker_reply cb,
	    void *arg);
/* Cancel the callbacks of requests made with ARG (a caller went away). */
void	 workers_forget(void *arg);

/*
 * The reports of every worker WANT accepts (NULL: all); CB gets them once
 * all answered or WORKERS_REPORT_MS passed (a silent worker is left out).
 */
#define WORKERS_REPORT_MS	2000
typedef int (*report_filter)(const struct tap_conf *, void *arg);
typedef void (*reports_done)(struct tap_report *r, size_t n, void *arg);
void	 workers_reports(report_filter want, void *warg, reports_done cb,
	    void *arg);

/*
 * The switches every running worker WANT accepts last told (MSG_SWITCHES),
 * without waking any: 0 and *R (tap, pid and df.sw set; free it), or -1
 * when one has not told yet (then ask their reports).
 */
int	 workers_switches(report_filter want, void *warg,
	    struct tap_report **r, size_t *n);

/* How the supervisor asks the peer on a worker's behalf (peerhub.c). */
typedef void (*peer_answer_cb)(const char *reply, void *arg);
void	 workers_set_peer(int (*ask)(const char *host, const char *line,
	    peer_answer_cb cb, void *arg));
/* Who hears that a worker's switches changed (control.c's watchers). */
void	 workers_on_switches(void (*changed)(const struct tap_conf *tap));

#endif
