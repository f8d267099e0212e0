/*
 * safefile: how the daemon opens and replaces its own files (SPEC §7):
 * the data files and their locks in DATA_DIR, LOG_FILE, PID_FILE,
 * METRICS_FILE, the listener lock.  Some of them live in directories that
 * another account may write (an old group-writable DATA_DIR, the metrics
 * collector's directory), where that account could plant a symbolic link,
 * a hard link, a FIFO or a file of its own under the daemon's file name.
 *
 * So every file is opened relative to a descriptor of its directory, with
 * O_NOFOLLOW (a planted symlink is never followed), O_NONBLOCK while it is
 * opened (a FIFO cannot hang us) and O_NOCTTY; and an existing file must be
 *	- a regular file,
 *	- owned by root or by the caller's own user,
 *	- not writable by group or others, and
 *	- linked once (a hard link to someone else's file is not ours).
 * A file that is not gets refused before a byte is read or written: the
 * call fails, nothing changes, and sf_error() says precisely why, with the
 * file's name.  The path of the directory itself is trusted (it may hold
 * symlinks the administrator made, as /var/run does); its last component,
 * the file, is what is checked.
 *
 * Errors: -1 with errno (ELOOP a symlink, EMLINK hard-linked, EPERM owner
 * or mode, EINVAL not a regular file, else the system's), and sf_error()
 * holds "PATH: reason" for the last failure of any call here.  Nothing
 * here logs: the caller logs sf_error() once, where it knows what it was
 * doing.
 */
#ifndef VTUNDFIX_SAFEFILE_H
#define VTUNDFIX_SAFEFILE_H

#include <stdio.h>
#include <sys/types.h>

/* sf_replace() flags */
#define SF_SYNC		0x1	/* fsync the new file before the rename */

/*
 * Open PATH with FLAGS (O_RDONLY, O_WRONLY, O_RDWR, O_APPEND, O_CREAT; no
 * O_TRUNC) and MODE for a new file, as described above.  Returns the
 * descriptor (close-on-exec, blocking), or -1.
 */
int	 sf_open(const char *path, int flags, mode_t mode);

/* The log file: sf_open(PATH, O_WRONLY | O_APPEND | O_CREAT, MODE). */
int	 sf_open_append(const char *path, mode_t mode);

/*
 * A lock file (the pid file, the listener lock, a data file's lock):
 * sf_open(PATH, O_RDWR | O_CREAT, MODE).  The caller takes the flock(2)
 * it wants on the descriptor; closing it releases the lock.
 */
int	 sf_open_lock(const char *path, mode_t mode);

/* A file to read, or NULL (ENOENT when it does not exist). */
FILE	*sf_fopen_read(const char *path);

/*
 * Replace PATH atomically with what FILL(fp, ARG) writes (FILL returns 0,
 * or -1 with errno): a new file in the same directory, created with
 * O_EXCL | O_NOFOLLOW and MODE, written, fsync'd when FLAGS has SF_SYNC,
 * then renamed over PATH.  An existing PATH that fails the checks above is
 * left alone and nothing is written.  On any failure the temporary file is
 * removed.  0 or -1.
 */
int	 sf_replace(const char *path, mode_t mode, int flags,
	    int (*fill)(FILE *fp, void *arg), void *arg);

/* "PATH: reason" of the last failure. */
const char *sf_error(void);

#endif
