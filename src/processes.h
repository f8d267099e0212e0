/*
 * processes: find vtund processes by their titles in /proc, start and kill
 * them, and watch them for exit.
 *
 * vtund 3.0.4 sets titles such as (SPEC §4)
 *	vtund[s]: waiting for connections on port 5000	listener
 *	vtund[s]: SESSION ether tap0			server session
 *	vtund[c]: SESSION connecting to ADDR		client, connecting
 *	vtund[c]: SESSION ether tap0			client, connected
 *	vtund[?]: SESSION closing / running down commands
 * Only live processes (not zombies) in the caller's own network namespace
 * count.  Session names match exactly: "lcsr" is not "lcsr2".
 *
 * A title alone proves nothing (any process can set one): a process is
 * vtund only if its executable (/proc/PID/exe) is the VTUND file, or that
 * file's former self after an upgrade ("... (deleted)"), and it runs as
 * root.  Others are ignored and never signalled, whatever their title.
 * Reading another root process's exe needs CAP_SYS_PTRACE when the daemon
 * runs with a reduced capability set.
 */
#ifndef VTUNDFIX_PROCESSES_H
#define VTUNDFIX_PROCESSES_H

#include <net/if.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "config.h"

enum vtund_kind {
	VTUND_LISTENER,
	VTUND_SERVER_SESSION,
	VTUND_CLIENT_CONNECTING,
	VTUND_CLIENT_CONNECTED,
	VTUND_CLOSING,			/* closing or running down commands */
};

struct vtund_proc {
	pid_t	 pid;
	pid_t	 ppid;			/* /proc/PID/stat field 4 */
	enum vtund_kind kind;
	int	 client;		/* title says vtund[c] */
	char	 session[SESSION_MAX];	/* "" for the listener */
	char	 device[IFNAMSIZ];	/* "tap0" when connected */
	unsigned long long start_time;	/* /proc/PID/stat field 22 */
};

/*
 * Which executable is vtund (default /usr/sbin/vtund).  0, or -1 (errno)
 * if it cannot be examined; no process is vtund then.
 */
int	 procs_init(const char *vtund);
/* Is PID a vtund process by the rule above?  1 or 0. */
int	 procs_is_vtund(pid_t pid);

/*
 * Every vtund process in this network namespace; up to MAX are stored in
 * OUT.  Returns how many were found (may exceed MAX), or -1 (errno).
 */
int	 procs_scan(struct vtund_proc *out, size_t max);

/*
 * Only the processes of SESSION (exact match) on the client or server side,
 * in the same form.
 */
int	 procs_find_session(const char *session, int client,
	    struct vtund_proc *out, size_t max);
/* The listener(s), in the same form. */
int	 procs_find_listener(struct vtund_proc *out, size_t max);
/*
 * Drop from P (N entries) the children of an entry of the same kind and
 * session: vtund's own helpers for its up and down commands, which are
 * vtund with their parent's title until their exec.  Returns the new N.
 */
int	 procs_drop_helpers(struct vtund_proc *p, int n);

/* Parse one title; 0 and *P filled if it is a vtund title, else -1. */
int	 procs_parse_title(const char *title, struct vtund_proc *p);

/*
 * Send SIG to P if it is still the same process (pid and start time), so a
 * reused pid is never hit.  0, or -1 with errno (ESRCH when gone).
 */
int	 procs_signal(const struct vtund_proc *p, int sig);

/*
 * Is PID sleeping in nanosleep (from /proc/PID/syscall)?  A persistent vtund
 * client sleeps 5 s between attempts; while it connects or authenticates it
 * is in network I/O instead.  1, 0, or -1 if it cannot be told.
 */
int	 procs_sleeping(pid_t pid);

/* vtund's lock files, one per session, global across network namespaces. */
#define VTUND_LOCK_DIR	"/var/lock/vtund"

/*
 * Does vtund's lock file for SESSION name a process that still exists, a
 * zombie included?  A new server session of `multi killold` then waits for
 * it in steps of half a second.  1 (*PID set), 0 (no lock file, or a stale
 * one), or -1 if it cannot be told.
 */
int	 procs_session_locked(const char *session, pid_t *pid);

/*
 * End the server session(s) of SESSION, as `killold` would when the client
 * reconnects, but without its half-second sleeps: SIGTERM, then SIGKILL if
 * the lock is still held after 0.5 s (a stopped session ignores SIGTERM).
 * Blocks until the lock is released, at most about 1 s.  Returns how many
 * sessions were signalled (0 if none), or -1 (errno).
 */
int	 procs_end_server_session(const char *session);

/* A pidfd for PID that becomes readable when it exits; -1 on error. */
int	 procs_watch(pid_t pid);

/*
 * Re-read one known process: 0 and *P refreshed (its title may have
 * changed: connecting, connected, closing), -1 if it is gone or no longer
 * the same process (pid reused: start time differs).  Cheap: no scan.
 */
int	 procs_refresh(struct vtund_proc *p);

/*
 * The server session of SESSION that holds vtund's lock (the one killold
 * would end), from the lock file: no scan.  1 and *P, 0 none, -1 error.
 */
int	 procs_lock_holder(const char *session, struct vtund_proc *p);

/* Read PID as a vtund process of this namespace: 0 and *P, or -1. */
int	 procs_read(pid_t pid, struct vtund_proc *p);

/* The inodes of PID's sockets (socket:[N] in /proc/PID/fd); count or -1. */
int	 procs_socket_inodes(pid_t pid, uint64_t *out, size_t max);

/*
 * The connected sockets PID holds, with their two addresses, read from
 * the sockets themselves: each is borrowed for a moment (pidfd_getfd(2),
 * which needs CAP_SYS_PTRACE) for getsockname and getpeername, and given
 * back.  Exact where a sock_diag dump would walk the kernel's whole
 * connection table (256 K buckets here: about a millisecond per dump).
 * Count, or -1 (errno: EPERM, ENOSYS where it cannot be done).
 */
struct proc_socket {
	uint64_t		 inode;
	struct sockaddr_storage	 local, remote;
};
int	 procs_sockets(pid_t pid, struct proc_socket *out, size_t max);
/* Whether procs_sockets can work here (a sandbox may forbid
 * pidfd_getfd): 0, or -1 and errno. */
int	 procs_can_borrow(void);

const char *procs_kind_name(enum vtund_kind kind);

#endif
