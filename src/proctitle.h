/*
 * proctitle: what `ps` shows for a process ("vtundfix: worker tap0 (lcsr)"),
 * written over the argv area as setproctitle(3) does on the BSDs.
 */
#ifndef VTUNDFIX_PROCTITLE_H
#define VTUNDFIX_PROCTITLE_H

/* Call once from main() before anything reads argv or the environment. */
void	 proctitle_init(int argc, char *argv[]);
void	 proctitle_set(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));

#endif
