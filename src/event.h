/*
 * event: a small epoll loop with timers, after hostapd's eloop and redis'
 * ae.  Descriptors are registered with a callback and a context pointer;
 * timers are caller-owned structs kept in a list sorted by deadline, and the
 * loop sleeps exactly until the next one.  Single-threaded.
 *
 * There is no fixed limit on descriptors: the table grows with the highest
 * descriptor registered (a hub's supervisor watches two per worker).  Each
 * registration carries a generation number, so an event that epoll reported
 * for a descriptor that was removed (and perhaps reused) meanwhile, in the
 * same batch, is dropped instead of reaching the new owner's callback.
 */
#ifndef VTUNDFIX_EVENT_H
#define VTUNDFIX_EVENT_H

#include <stdint.h>

typedef void (*ev_fd_cb)(int fd, void *arg);
typedef void (*ev_timer_cb)(void *arg);

struct ev_timer {
	uint64_t	 when;		/* CLOCK_MONOTONIC, ms */
	ev_timer_cb	 cb;
	void		*arg;
	int		 armed;
	struct ev_timer	*next;
};

int	 ev_init(void);
/* Forget every descriptor and timer (a forked worker starts afresh). */
void	 ev_free(void);
/* Call CB when FD is readable (or hung up / in error).  0 or -1 (errno). */
int	 ev_add_fd(int fd, ev_fd_cb cb, void *arg);
/* Also when FD is writable (a connect in progress): WRITABLE 1 or 0. */
int	 ev_want_write(int fd, int writable);
/* Not when FD is readable (a request is being answered): 1 or 0. */
int	 ev_want_read(int fd, int readable);
void	 ev_del_fd(int fd);
/* (Re)arm T to fire once after DELAY_MS. */
void	 ev_timer_set(struct ev_timer *t, uint64_t delay_ms, ev_timer_cb cb,
	    void *arg);
/* Arm T to fire after DELAY_MS unless it is already due sooner. */
void	 ev_timer_sooner(struct ev_timer *t, uint64_t delay_ms,
	    ev_timer_cb cb, void *arg);
void	 ev_timer_cancel(struct ev_timer *t);
/* Run until ev_stop(); returns 0, or -1 if epoll fails. */
int	 ev_run(void);
void	 ev_stop(void);

uint64_t ev_now_ms(void);

/*
 * Block SIGS (a 0-terminated list) and return a signalfd for them, for use
 * with ev_add_fd(); -1 on error.
 */
int	 ev_signalfd(const int *sigs);
/*
 * Read every pending signal from a signalfd and call CB for each; the one
 * read loop for the supervisor and the workers.
 */
void	 ev_signals(int fd, void (*cb)(int signo));

#endif
