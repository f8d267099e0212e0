/*
 * log: one place where vtundfix writes what it saw and did.
 *
 * Messages go to the log file (LOG_FILE), to syslog, or to stderr while the
 * daemon runs in the foreground or before the log is opened.  Every line
 * carries an ISO-8601 time.  A failure to write the log is reported once on
 * stderr/syslog and never stops the caller.
 */
#ifndef VTUNDFIX_LOG_H
#define VTUNDFIX_LOG_H

#include <stdarg.h>

/* Where the log goes: path of a file, "syslog", or NULL for stderr only. */
int	 log_open(const char *target, const char *ident, int foreground);
int	 log_reopen(void);
void	 log_close(void);
/* In a child whose descriptors were closed: open the log again. */
void	 log_after_fork(void);
/* Prefix added to every message (e.g. "tap0"), NULL for none. */
void	 log_set_prefix(const char *prefix);

void	 log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	 log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* log_warn appends ": strerror(errno)"; log_warnx does not. */
void	 log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	 log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	 fatal(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
void	 fatalx(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2), noreturn));

extern int log_verbose;

#endif
