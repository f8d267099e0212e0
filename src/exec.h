/*
 * exec: the one place where vtundfix runs other programs.  Always execve
 * with a fixed argv, never a shell.  A program name without '/' is looked
 * up in a fixed PATH (/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:
 * /sbin:/bin), not the caller's environment.
 */
#ifndef VTUNDFIX_EXEC_H
#define VTUNDFIX_EXEC_H

#include <stddef.h>
#include <sys/types.h>

/*
 * Start ARGV detached (own session, stdin/stdout/stderr on /dev/null, all
 * other descriptors closed, default signal mask and dispositions) and do not
 * wait for it.  Returns its pid or -1.  An execve failure in the child is
 * reported through the return value (-1, errno) thanks to a close-on-exec
 * pipe.
 */
pid_t	 exec_spawn(char *const argv[]);

/*
 * Run ARGV with INPUT (LEN bytes, may be NULL) on its stdin, its output
 * discarded, and wait up to TIMEOUT_MS.  When the time is up the child is
 * killed (SIGTERM, then SIGKILL).  Returns the wait status, or -1 (errno;
 * ETIMEDOUT when it had to be killed).
 */
int	 exec_run(char *const argv[], const char *input, size_t len,
	    int timeout_ms);

/*
 * Start ARGV with pipes on its stdin and stdout for a conversation (the peer
 * channel).  *TO_CHILD and *FROM_CHILD get the parent's ends (close-on-exec,
 * non-blocking).  stderr goes to /dev/null.  Returns the pid or -1.
 */
pid_t	 exec_pipe(char *const argv[], int *to_child, int *from_child);

/* Who a program runs as: an account's uid, groups and HOME. */
struct exec_user {
	uid_t	 uid;
	gid_t	 gid;
	char	 name[64];
	char	 home[4096];
};

/* Look NAME up in the password database; 0, or -1 (ENOENT if none). */
int	 exec_user_lookup(const char *name, struct exec_user *u);

/*
 * exec_pipe(), run as U: its supplementary groups (initgroups), gid and
 * uid are set before the exec, and HOME, USER and LOGNAME are U's, so that
 * ssh uses that account's key and known_hosts.  Needs CAP_SETUID and
 * CAP_SETGID unless U is the caller.
 */
pid_t	 exec_pipe_as(char *const argv[], const struct exec_user *u,
	    int *to_child, int *from_child);

/*
 * Run ARGV in the foreground with the caller's stdin, stdout and stderr and
 * wait for it (the control tools).  Returns its exit status (128 + N when
 * killed by signal N), or -1 (errno) if it could not be started.
 */
int	 exec_wait(char *const argv[]);

/* Resolve NAME as exec does; 0 and PATH filled, or -1 (ENOENT). */
int	 exec_resolve(const char *name, char *path, size_t len);

#endif
