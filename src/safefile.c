/*
 * safefile: open and replace the daemon's files without following what
 * another account planted (safefile.h says what is checked and why).
 *
 * Each call opens the file's directory, then works relative to that
 * descriptor: openat(O_NOFOLLOW), fstatat(AT_SYMLINK_NOFOLLOW), renameat,
 * unlinkat.  What a file is gets checked on the opened descriptor itself
 * (fstat), so nothing can be swapped between the check and the use.
 */
#include <sys/random.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "safefile.h"

#define TEMP_TRIES	100

static char last_error[PATH_MAX + 256];

/* A directory descriptor and the file's name in it. */
struct where {
	int		 dirfd;
	const char	*name;
	char		 dir[PATH_MAX];
};

/* Record "PATH: MESSAGE" and fail with ERR. */
static int
refuse(const char *path, int err, const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(last_error, sizeof(last_error), "%s: %s", path, msg);
	errno = err;
	return -1;
}

/* Record "PATH: strerror(errno)" and fail with errno kept. */
static int
fail_errno(const char *path)
{
	return refuse(path, errno, "%s", strerror(errno));
}

const char *
sf_error(void)
{
	return last_error;
}

static const char *
type_name(mode_t mode)
{
	if (S_ISDIR(mode))
		return "a directory";
	if (S_ISFIFO(mode))
		return "a FIFO";
	if (S_ISSOCK(mode))
		return "a socket";
	if (S_ISCHR(mode) || S_ISBLK(mode))
		return "a device";
	return "not a regular file";
}

/* Is ST fit to be one of the daemon's files?  0, or -1 with the reason. */
static int
check_stat(const char *path, const struct stat *st)
{
	if (S_ISLNK(st->st_mode))
		return refuse(path, ELOOP, "is a symbolic link: not followed "
		    "(the daemon's files are regular files owned by root)");
	if (!S_ISREG(st->st_mode))
		return refuse(path, EINVAL, "is %s, not a regular file: not "
		    "used", type_name(st->st_mode));
	if (st->st_uid != 0 && st->st_uid != geteuid())
		return refuse(path, EPERM, "is owned by uid %lu, not by root: "
		    "not used", (unsigned long)st->st_uid);
	if (st->st_mode & (S_IWGRP | S_IWOTH))
		return refuse(path, EPERM, "is writable by %s (mode %04o): "
		    "not used", (st->st_mode & S_IWGRP) ? (st->st_mode &
		    S_IWOTH) ? "group and others" : "its group" : "others",
		    (unsigned)(st->st_mode & 07777));
	if (st->st_nlink != 1)
		return refuse(path, EMLINK, "has %lu hard links (a file of the "
		    "daemon has one): not used", (unsigned long)st->st_nlink);
	return 0;
}

/* Open the directory of PATH into W. */
static int
open_dir(const char *path, struct where *w)
{
	const char *slash = strrchr(path, '/');
	size_t len;

	w->dirfd = -1;
	w->name = slash ? slash + 1 : path;
	if (*w->name == '\0' || strcmp(w->name, ".") == 0 ||
	    strcmp(w->name, "..") == 0)
		return refuse(path, EINVAL, "is not a file name");
	len = slash == NULL ? 0 : slash == path ? 1 : (size_t)(slash - path);
	if (len >= sizeof(w->dir))
		return refuse(path, ENAMETOOLONG, "%s", strerror(ENAMETOOLONG));
	if (len == 0)
		strcpy(w->dir, ".");
	else {
		memcpy(w->dir, path, len);
		w->dir[len] = '\0';
	}
	w->dirfd = open(w->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (w->dirfd == -1 && errno == EACCES)
		w->dirfd = open(w->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (w->dirfd == -1)
		return refuse(path, errno, "%s: %s", w->dir, strerror(errno));
	return 0;
}

/* Why opening W's file failed: its own checks if it exists, else errno. */
static int
explain_open_error(const char *path, const struct where *w)
{
	int err = errno;
	struct stat st;

	if (fstatat(w->dirfd, w->name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    check_stat(path, &st) == -1)
		return -1;
	errno = err;
	return fail_errno(path);
}

/* Close FD keeping errno. */
static void
close_keep_errno(int fd)
{
	int err = errno;

	close(fd);
	errno = err;
}

/* The checks on an open descriptor; closes it if they fail. */
static int
check_fd(const char *path, int fd)
{
	struct stat st;

	if (fstat(fd, &st) == -1)
		fail_errno(path);
	else if (check_stat(path, &st) == 0)
		return 0;
	close_keep_errno(fd);
	return -1;
}

int
sf_open(const char *path, int flags, mode_t mode)
{
	struct where w;
	int fd;

	if (flags & O_TRUNC)
		return refuse(path, EINVAL, "O_TRUNC is not supported");
	if (open_dir(path, &w) == -1)
		return -1;
	fd = openat(w.dirfd, w.name, flags | O_NOFOLLOW | O_NONBLOCK |
	    O_NOCTTY | O_CLOEXEC, mode);
	if (fd == -1)
		explain_open_error(path, &w);
	close_keep_errno(w.dirfd);
	if (fd == -1 || check_fd(path, fd) == -1)
		return -1;
	if (!(flags & O_NONBLOCK) &&
	    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) == -1) {
		fail_errno(path);
		close_keep_errno(fd);
		return -1;
	}
	return fd;
}

int
sf_open_append(const char *path, mode_t mode)
{
	return sf_open(path, O_WRONLY | O_APPEND | O_CREAT, mode);
}

int
sf_open_lock(const char *path, mode_t mode)
{
	return sf_open(path, O_RDWR | O_CREAT, mode);
}

FILE *
sf_fopen_read(const char *path)
{
	FILE *fp;
	int fd;

	if ((fd = sf_open(path, O_RDONLY, 0)) == -1)
		return NULL;
	if ((fp = fdopen(fd, "re")) == NULL) {
		fail_errno(path);
		close_keep_errno(fd);
	}
	return fp;
}

/* An existing file at W may be replaced only if it is one of ours. */
static int
check_existing(const char *path, const struct where *w)
{
	struct stat st;

	if (fstatat(w->dirfd, w->name, &st, AT_SYMLINK_NOFOLLOW) == 0)
		return check_stat(path, &st);
	return errno == ENOENT ? 0 : fail_errno(path);
}

/* Six characters for a temporary name, unpredictable when it can be. */
static void
random_suffix(char *out)
{
	static const char chars[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	static unsigned counter;
	unsigned char r[6];
	int i;

	if (getrandom(r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r)) {
		unsigned v = (unsigned)getpid() * 2654435761u ^
		    (unsigned)time(NULL) ^ ++counter * 40503u;

		for (i = 0; i < 6; i++, v /= 36)
			r[i] = (unsigned char)v;
	}
	for (i = 0; i < 6; i++)
		out[i] = chars[r[i] % (sizeof(chars) - 1)];
	out[6] = '\0';
}

/* Create ".NAME.XXXXXX" beside NAME: its descriptor, TMP filled, or -1. */
static int
create_temp(const char *path, const struct where *w, mode_t mode, char *tmp,
    size_t len)
{
	char suffix[7];
	int fd, i;

	for (i = 0; i < TEMP_TRIES; i++) {
		random_suffix(suffix);
		if ((size_t)snprintf(tmp, len, ".%s.%s", w->name, suffix) >= len)
			return refuse(path, ENAMETOOLONG, "%s",
			    strerror(ENAMETOOLONG));
		fd = openat(w->dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL |
		    O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, mode);
		if (fd != -1) {
			if (fchmod(fd, mode) == 0)
				return fd;
			fail_errno(path);
			close_keep_errno(fd);
			unlinkat(w->dirfd, tmp, 0);
			return -1;
		}
		if (errno != EEXIST)
			return refuse(path, errno, "%s/%s: %s", w->dir, tmp,
			    strerror(errno));
	}
	return refuse(path, EEXIST, "no free temporary name in %s", w->dir);
}

/* Write FILL's output into FD (consumed), fsync'd when SYNC. */
static int
fill_temp(const char *path, int fd, int sync, int (*fill)(FILE *, void *),
    void *arg)
{
	FILE *fp;
	int rc;

	if ((fp = fdopen(fd, "w")) == NULL) {
		fail_errno(path);
		close_keep_errno(fd);
		return -1;
	}
	rc = fill(fp, arg);
	if (rc == 0 && (fflush(fp) == EOF || (sync && fsync(fd) == -1)))
		rc = -1;
	if (rc == -1) {
		fail_errno(path);
		fclose(fp);
		return -1;
	}
	return fclose(fp) == EOF ? fail_errno(path) : 0;
}

int
sf_replace(const char *path, mode_t mode, int flags,
    int (*fill)(FILE *fp, void *arg), void *arg)
{
	char tmp[NAME_MAX + 1];
	struct where w;
	int fd, err, rc = -1;

	if (open_dir(path, &w) == -1)
		return -1;
	if (check_existing(path, &w) == -1 ||
	    (fd = create_temp(path, &w, mode, tmp, sizeof(tmp))) == -1) {
		close_keep_errno(w.dirfd);
		return -1;
	}
	if (fill_temp(path, fd, flags & SF_SYNC, fill, arg) == 0) {
		if (renameat(w.dirfd, tmp, w.dirfd, w.name) == 0)
			rc = 0;
		else
			fail_errno(path);
	}
	err = errno;
	if (rc == -1)
		unlinkat(w.dirfd, tmp, 0);
	else if (flags & SF_SYNC)
		(void)fsync(w.dirfd);	/* the rename is durable too, if it can */
	close(w.dirfd);
	errno = err;
	return rc;
}
