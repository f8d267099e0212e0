/*
 * log: ISO-8601 stamped lines to a file, syslog or stderr.
 *
 * The file is opened O_APPEND so that the supervisor and its workers can
 * share it, each line going out in one write(2); it is opened as safefile.h
 * says (a planted symlink or someone else's file is refused and reported).  logrotate moves the file
 * away and sends SIGHUP; log_reopen() then opens the new one.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "safefile.h"

int log_verbose;

static char	 log_path[4096];
static int	 log_fd = -1;
static int	 log_syslog;
static int	 log_stderr = 1;
static int	 log_failed;		/* a write failure was already reported */
static char	 log_ident[32] = "vtundfix";
static char	 log_prefix[64];

int
log_open(const char *target, const char *ident, int foreground)
{
	if (ident != NULL)
		snprintf(log_ident, sizeof(log_ident), "%s", ident);
	log_stderr = foreground;
	log_path[0] = '\0';
	log_syslog = 0;
	if (target == NULL || *target == '\0') {
		log_stderr = 1;
		return 0;
	}
	if (strcmp(target, "syslog") == 0) {
		log_syslog = 1;
		openlog(log_ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
		return 0;
	}
	snprintf(log_path, sizeof(log_path), "%s", target);
	return log_reopen();
}

int
log_reopen(void)
{
	int fd;

	if (log_path[0] == '\0')
		return 0;
	if ((fd = sf_open_append(log_path, 0640)) == -1) {
		int saved = errno;

		/* Keep the old descriptor, if any: nothing is lost. */
		fprintf(stderr, "%s: %s\n", log_ident, sf_error());
		if (!log_stderr)
			syslog(LOG_ERR, "%s", sf_error());
		errno = saved;
		return -1;
	}
	if (log_fd != -1)
		close(log_fd);
	log_fd = fd;
	log_failed = 0;
	return 0;
}

void
log_after_fork(void)
{
	log_fd = -1;		/* already closed; its number may be reused */
	if (log_syslog)
		openlog(log_ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	(void)log_reopen();
}

void
log_close(void)
{
	if (log_fd != -1)
		close(log_fd);
	log_fd = -1;
	if (log_syslog)
		closelog();
}

void
log_set_prefix(const char *prefix)
{
	snprintf(log_prefix, sizeof(log_prefix), "%s", prefix ? prefix : "");
}

static void
format_time(char *buf, size_t len)
{
	struct timeval tv;
	struct tm tm;
	char zone[8];

	gettimeofday(&tv, NULL);
	localtime_r(&tv.tv_sec, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	strftime(zone, sizeof(zone), "%z", &tm);
	snprintf(buf + strlen(buf), len - strlen(buf), ".%03ld%.3s:%s",
	    (long)tv.tv_usec / 1000, zone, zone + 3);
}

static void
log_file_write(const char *line, size_t len)
{
	ssize_t n;

	if (log_fd == -1)
		return;
	n = write(log_fd, line, len);
	if (n == (ssize_t)len) {
		log_failed = 0;
		return;
	}
	if (!log_failed) {
		/* Report once; checking goes on without the file. */
		log_failed = 1;
		fprintf(stderr, "%s: cannot write %s: %s\n", log_ident,
		    log_path, n == -1 ? strerror(errno) : "short write");
		syslog(LOG_ERR, "cannot write %s: %s", log_path,
		    n == -1 ? strerror(errno) : "short write");
	}
}

static void
vlog(int pri, const char *fmt, va_list ap, const char *err)
{
	char msg[2048], line[2300], stamp[40];
	int saved = errno;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (err != NULL)
		snprintf(msg + strlen(msg), sizeof(msg) - strlen(msg), ": %s",
		    err);
	if (log_syslog) {
		if (log_prefix[0])
			syslog(pri, "%s: %s", log_prefix, msg);
		else
			syslog(pri, "%s", msg);
	}
	format_time(stamp, sizeof(stamp));
	snprintf(line, sizeof(line), "%s %s[%ld]: %s%s%s\n", stamp, log_ident,
	    (long)getpid(), log_prefix, log_prefix[0] ? ": " : "", msg);
	log_file_write(line, strlen(line));
	if (log_stderr) {
		if (log_prefix[0])
			fprintf(stderr, "%s: %s: %s\n", log_ident, log_prefix,
			    msg);
		else
			fprintf(stderr, "%s: %s\n", log_ident, msg);
	}
	errno = saved;
}

#define LOGFN(name, pri, witherr)				\
void								\
name(const char *fmt, ...)					\
{								\
	const char *e = (witherr) ? strerror(errno) : NULL;	\
	va_list ap;						\
								\
	va_start(ap, fmt);					\
	vlog(pri, fmt, ap, e);					\
	va_end(ap);						\
}

LOGFN(log_info, LOG_INFO, 0)
LOGFN(log_warn, LOG_WARNING, 1)
LOGFN(log_warnx, LOG_WARNING, 0)

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (!log_verbose)
		return;
	va_start(ap, fmt);
	vlog(LOG_DEBUG, fmt, ap, NULL);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	const char *e = strerror(errno);
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_CRIT, fmt, ap, e);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_CRIT, fmt, ap, NULL);
	va_end(ap);
	exit(1);
}
